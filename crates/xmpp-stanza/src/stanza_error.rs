//! Stanza errors (RFC 6120 section 8.3).

use crate::error::{Error, excerpt};
use crate::jid::Jid;
use crate::ns;
use crate::rescope;
use crate::serialize_error::SerializeError;
use crate::text::Text;
use crate::xml::{self, Reader, Start, Token};

/// How the sender should react to a stanza error (RFC 6120 section 8.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StanzaErrorType {
    /// Retry after providing credentials.
    Auth,
    /// Do not retry: the error cannot be remedied.
    Cancel,
    /// Proceed: the condition was only a warning.
    Continue,
    /// Retry after changing the data sent.
    Modify,
    /// Retry after waiting: the error is temporary.
    Wait,
}

impl StanzaErrorType {
    /// The `type` attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            StanzaErrorType::Auth => "auth",
            StanzaErrorType::Cancel => "cancel",
            StanzaErrorType::Continue => "continue",
            StanzaErrorType::Modify => "modify",
            StanzaErrorType::Wait => "wait",
        }
    }

    fn parse(s: &str) -> Result<StanzaErrorType, Error> {
        Ok(match s {
            "auth" => StanzaErrorType::Auth,
            "cancel" => StanzaErrorType::Cancel,
            "continue" => StanzaErrorType::Continue,
            "modify" => StanzaErrorType::Modify,
            "wait" => StanzaErrorType::Wait,
            _ => return Err(Error::Invalid("error type")),
        })
    }
}

/// Every defined stanza error condition (RFC 6120 section 8.3.3), and any
/// other kept as received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StanzaErrorCondition {
    /// 8.3.3.1 `bad-request`
    BadRequest,
    /// 8.3.3.2 `conflict`
    Conflict,
    /// 8.3.3.3 `feature-not-implemented`
    FeatureNotImplemented,
    /// 8.3.3.4 `forbidden`
    Forbidden,
    /// 8.3.3.5 `gone`, with the entity's new address if known.
    Gone(Option<String>),
    /// 8.3.3.6 `internal-server-error`
    InternalServerError,
    /// 8.3.3.7 `item-not-found`
    ItemNotFound,
    /// 8.3.3.8 `jid-malformed`
    JidMalformed,
    /// 8.3.3.9 `not-acceptable`
    NotAcceptable,
    /// 8.3.3.10 `not-allowed`
    NotAllowed,
    /// 8.3.3.11 `not-authorized`
    NotAuthorized,
    /// 8.3.3.12 `policy-violation`
    PolicyViolation,
    /// 8.3.3.13 `recipient-unavailable`
    RecipientUnavailable,
    /// 8.3.3.14 `redirect`, with the alternate address if given.
    Redirect(Option<String>),
    /// 8.3.3.15 `registration-required`
    RegistrationRequired,
    /// 8.3.3.16 `remote-server-not-found`
    RemoteServerNotFound,
    /// 8.3.3.17 `remote-server-timeout`
    RemoteServerTimeout,
    /// 8.3.3.18 `resource-constraint`
    ResourceConstraint,
    /// 8.3.3.19 `service-unavailable`
    ServiceUnavailable,
    /// 8.3.3.20 `subscription-required`
    SubscriptionRequired,
    /// 8.3.3.21 `undefined-condition`
    UndefinedCondition,
    /// 8.3.3.22 `unexpected-request`
    UnexpectedRequest,
    /// A condition element RFC 6120 does not define (in the
    /// `urn:ietf:params:xml:ns:xmpp-stanzas` namespace), kept as received.
    /// Refused at serialisation when it is in another namespace or names a
    /// defined condition or `text`, since it would not read back as itself.
    Other(minidom::Element),
}

impl StanzaErrorCondition {
    /// The element name of the condition.
    pub fn name(&self) -> &str {
        use StanzaErrorCondition as C;
        match self {
            C::BadRequest => "bad-request",
            C::Conflict => "conflict",
            C::FeatureNotImplemented => "feature-not-implemented",
            C::Forbidden => "forbidden",
            C::Gone(_) => "gone",
            C::InternalServerError => "internal-server-error",
            C::ItemNotFound => "item-not-found",
            C::JidMalformed => "jid-malformed",
            C::NotAcceptable => "not-acceptable",
            C::NotAllowed => "not-allowed",
            C::NotAuthorized => "not-authorized",
            C::PolicyViolation => "policy-violation",
            C::RecipientUnavailable => "recipient-unavailable",
            C::Redirect(_) => "redirect",
            C::RegistrationRequired => "registration-required",
            C::RemoteServerNotFound => "remote-server-not-found",
            C::RemoteServerTimeout => "remote-server-timeout",
            C::ResourceConstraint => "resource-constraint",
            C::ServiceUnavailable => "service-unavailable",
            C::SubscriptionRequired => "subscription-required",
            C::UndefinedCondition => "undefined-condition",
            C::UnexpectedRequest => "unexpected-request",
            C::Other(el) => el.name(),
        }
    }

    /// The defined condition named `name`, or None for an unknown name.
    pub fn from_name(name: &str, text: Option<String>) -> Option<StanzaErrorCondition> {
        use StanzaErrorCondition as C;
        Some(match name {
            "bad-request" => C::BadRequest,
            "conflict" => C::Conflict,
            "feature-not-implemented" => C::FeatureNotImplemented,
            "forbidden" => C::Forbidden,
            "gone" => C::Gone(text),
            "internal-server-error" => C::InternalServerError,
            "item-not-found" => C::ItemNotFound,
            "jid-malformed" => C::JidMalformed,
            "not-acceptable" => C::NotAcceptable,
            "not-allowed" => C::NotAllowed,
            "not-authorized" => C::NotAuthorized,
            "policy-violation" => C::PolicyViolation,
            "recipient-unavailable" => C::RecipientUnavailable,
            "redirect" => C::Redirect(text),
            "registration-required" => C::RegistrationRequired,
            "remote-server-not-found" => C::RemoteServerNotFound,
            "remote-server-timeout" => C::RemoteServerTimeout,
            "resource-constraint" => C::ResourceConstraint,
            "service-unavailable" => C::ServiceUnavailable,
            "subscription-required" => C::SubscriptionRequired,
            "undefined-condition" => C::UndefinedCondition,
            "unexpected-request" => C::UnexpectedRequest,
            _ => return None,
        })
    }

    /// The error type RFC 6120 section 8.3.3 suggests for this condition.
    pub fn default_type(&self) -> StanzaErrorType {
        use StanzaErrorCondition as C;
        use StanzaErrorType as T;
        match self {
            C::BadRequest | C::JidMalformed | C::NotAcceptable | C::Redirect(_) => T::Modify,
            C::Forbidden | C::NotAuthorized | C::RegistrationRequired | C::SubscriptionRequired => {
                T::Auth
            }
            C::PolicyViolation => T::Modify,
            C::RecipientUnavailable
            | C::RemoteServerTimeout
            | C::ResourceConstraint
            | C::UnexpectedRequest => T::Wait,
            _ => T::Cancel,
        }
    }

    /// Reads the condition element `child` (in the stanzas namespace, not
    /// `text`) inside an element whose content namespace is `content_ns`.
    pub(crate) fn parse<'a>(
        r: &mut Reader<'a>,
        child: Start<'a>,
        content_ns: &str,
    ) -> Result<StanzaErrorCondition, Error> {
        let name = child.local();
        if matches!(name, "gone" | "redirect") {
            let text = r.text()?;
            let text = (!text.is_empty()).then_some(text);
            return StanzaErrorCondition::from_name(name, text)
                .ok_or(Error::Invalid("error condition"));
        }
        match StanzaErrorCondition::from_name(name, None) {
            Some(condition) => {
                r.skip()?;
                Ok(condition)
            }
            None => Ok(StanzaErrorCondition::Other(rescope::read_tree(
                r, child, content_ns,
            )?)),
        }
    }

    /// Writes the condition element; `scope` is the default namespace in
    /// scope, `content_ns` the content namespace of the stream.
    pub(crate) fn write(
        &self,
        out: &mut Vec<u8>,
        scope: &str,
        content_ns: &str,
    ) -> Result<(), SerializeError> {
        use StanzaErrorCondition as C;
        match self {
            C::Gone(Some(t)) | C::Redirect(Some(t)) if t.is_empty() => {
                Err(SerializeError::InvalidValue("error condition address"))
            }
            C::Gone(t) | C::Redirect(t) => xml::text_element(
                out,
                self.name(),
                Some(ns::STANZAS),
                t.as_deref().unwrap_or_default(),
            ),
            C::Other(el) => xml::write_tree_checked(out, el, scope, content_ns, |ns, name| {
                ns != ns::STANZAS
                    || name == "text"
                    || StanzaErrorCondition::from_name(name, None).is_some()
            }),
            _ => xml::text_element(out, self.name(), Some(ns::STANZAS), ""),
        }
    }
}

/// The `<error/>` child of a stanza of type `error` (RFC 6120 section 8.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StanzaError {
    /// The `type` attribute.
    pub kind: StanzaErrorType,
    /// The `by` attribute: the entity that returned the error.
    pub by: Option<Jid>,
    /// The legacy `code` attribute (RFC 3920 era), kept as received.
    pub code: Option<String>,
    /// The condition.
    pub condition: StanzaErrorCondition,
    /// Descriptive `<text/>` elements, one per language.
    pub texts: Vec<Text>,
    /// Application-specific condition elements, in the order received.
    /// Refused at serialisation when in the stanzas namespace (the reader
    /// would take them for the condition).
    pub apps: Vec<minidom::Element>,
}

impl StanzaError {
    /// An error with the condition's default type and nothing else.
    pub fn new(condition: StanzaErrorCondition) -> StanzaError {
        StanzaError {
            kind: condition.default_type(),
            by: None,
            code: None,
            condition,
            texts: Vec::new(),
            apps: Vec::new(),
        }
    }

    /// The error a server returns for a stanza to or from a blocked
    /// contact: `not-acceptable` with XEP-0191's `<blocked/>` payload.
    pub fn blocked() -> StanzaError {
        let mut error = StanzaError::new(StanzaErrorCondition::NotAcceptable);
        error.kind = StanzaErrorType::Cancel;
        error
            .apps
            .push(minidom::Element::bare("blocked", ns::BLOCKING_ERRORS));
        error
    }

    /// Whether the error carries XEP-0191's `<blocked/>` payload.
    pub fn is_blocked(&self) -> bool {
        self.apps
            .iter()
            .any(|a| a.is("blocked", ns::BLOCKING_ERRORS))
    }

    /// Reads the content of `<error>` (whose start tag is `start`) in a
    /// stanza in namespace `stanza_ns`.
    pub(crate) fn parse(
        r: &mut Reader<'_>,
        start: &Start<'_>,
        stanza_ns: &str,
    ) -> Result<StanzaError, Error> {
        let mut kind = None;
        let mut by = None;
        let mut code = None;
        start.each_attr(|prefix, local, value| {
            match (prefix, local) {
                (None, "type") => kind = Some(StanzaErrorType::parse(&value)?),
                (None, "by") => by = Some(Jid::new(&value)?),
                (None, "code") => code = Some(value.into_owned()),
                _ => {}
            }
            Ok(())
        })?;
        let kind = kind.ok_or(Error::Missing("error type"))?;
        let mut condition = None;
        let mut texts = Vec::new();
        let mut apps = Vec::new();
        loop {
            match r.next()? {
                Token::End => break,
                Token::Text(_) => {}
                Token::Start(child) if child.is("text", ns::STANZAS) => {
                    texts.push(Text::parse(r, &child)?);
                }
                Token::Start(child) if child.ns() == ns::STANZAS => {
                    if condition.is_some() {
                        return Err(Error::Unexpected(excerpt(child.local())));
                    }
                    condition = Some(StanzaErrorCondition::parse(r, child, stanza_ns)?);
                }
                Token::Start(child) => apps.push(rescope::read_tree(r, child, stanza_ns)?),
            }
        }
        Ok(StanzaError {
            kind,
            by,
            code,
            condition: condition.ok_or(Error::Missing("error condition"))?,
            texts,
            apps,
        })
    }

    /// Appends `<error>...</error>`; `stanza_ns` is the namespace of the
    /// stanza it is in.
    pub(crate) fn write(&self, out: &mut Vec<u8>, stanza_ns: &str) -> Result<(), SerializeError> {
        out.extend_from_slice(b"<error");
        xml::attr(out, "type", self.kind.as_str())?;
        xml::opt_attr(out, "by", self.by.as_ref().map(Jid::as_str))?;
        xml::opt_attr(out, "code", self.code.as_deref())?;
        out.push(b'>');
        self.condition.write(out, stanza_ns, stanza_ns)?;
        for t in &self.texts {
            t.write(out, "text", Some(ns::STANZAS))?;
        }
        for app in &self.apps {
            xml::write_tree_checked(out, app, stanza_ns, stanza_ns, |ns, _| ns == ns::STANZAS)?;
        }
        xml::end(out, "error");
        Ok(())
    }
}

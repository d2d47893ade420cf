//! Stream errors (RFC 6120 section 4.9).

use crate::Context;
use crate::error::{Error, excerpt};
use crate::ns;
use crate::rescope;
use crate::serialize_error::SerializeError;
use crate::text::Text;
use crate::xml::{self, Reader, Start, Token};

/// Every defined stream error condition (RFC 6120 section 4.9.3), and any
/// other kept as received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamErrorCondition {
    /// 4.9.3.1 `bad-format`
    BadFormat,
    /// 4.9.3.2 `bad-namespace-prefix`
    BadNamespacePrefix,
    /// 4.9.3.3 `conflict`
    Conflict,
    /// 4.9.3.4 `connection-timeout`
    ConnectionTimeout,
    /// 4.9.3.5 `host-gone`
    HostGone,
    /// 4.9.3.6 `host-unknown`
    HostUnknown,
    /// 4.9.3.7 `improper-addressing`
    ImproperAddressing,
    /// 4.9.3.8 `internal-server-error`
    InternalServerError,
    /// 4.9.3.9 `invalid-from`
    InvalidFrom,
    /// 4.9.3.10 `invalid-namespace`
    InvalidNamespace,
    /// 4.9.3.11 `invalid-xml`
    InvalidXml,
    /// 4.9.3.12 `not-authorized`
    NotAuthorized,
    /// 4.9.3.13 `not-well-formed`
    NotWellFormed,
    /// 4.9.3.14 `policy-violation`
    PolicyViolation,
    /// 4.9.3.15 `remote-connection-failed`
    RemoteConnectionFailed,
    /// 4.9.3.16 `reset`
    Reset,
    /// 4.9.3.17 `resource-constraint`
    ResourceConstraint,
    /// 4.9.3.18 `restricted-xml`
    RestrictedXml,
    /// 4.9.3.19 `see-other-host`, with the host (and optional port) to use.
    SeeOtherHost(String),
    /// 4.9.3.20 `system-shutdown`
    SystemShutdown,
    /// 4.9.3.21 `undefined-condition`
    UndefinedCondition,
    /// 4.9.3.22 `unsupported-encoding`
    UnsupportedEncoding,
    /// 4.9.3.23 `unsupported-feature`
    UnsupportedFeature,
    /// 4.9.3.24 `unsupported-stanza-type`
    UnsupportedStanzaType,
    /// 4.9.3.25 `unsupported-version`
    UnsupportedVersion,
    /// A condition element RFC 6120 does not define (in the
    /// `urn:ietf:params:xml:ns:xmpp-streams` namespace), kept as received.
    /// Refused at serialisation when it is in another namespace or names a
    /// defined condition or `text`, since it would not read back as itself.
    Other(minidom::Element),
}

impl StreamErrorCondition {
    /// The element name of the condition.
    pub fn name(&self) -> &str {
        use StreamErrorCondition as C;
        match self {
            C::BadFormat => "bad-format",
            C::BadNamespacePrefix => "bad-namespace-prefix",
            C::Conflict => "conflict",
            C::ConnectionTimeout => "connection-timeout",
            C::HostGone => "host-gone",
            C::HostUnknown => "host-unknown",
            C::ImproperAddressing => "improper-addressing",
            C::InternalServerError => "internal-server-error",
            C::InvalidFrom => "invalid-from",
            C::InvalidNamespace => "invalid-namespace",
            C::InvalidXml => "invalid-xml",
            C::NotAuthorized => "not-authorized",
            C::NotWellFormed => "not-well-formed",
            C::PolicyViolation => "policy-violation",
            C::RemoteConnectionFailed => "remote-connection-failed",
            C::Reset => "reset",
            C::ResourceConstraint => "resource-constraint",
            C::RestrictedXml => "restricted-xml",
            C::SeeOtherHost(_) => "see-other-host",
            C::SystemShutdown => "system-shutdown",
            C::UndefinedCondition => "undefined-condition",
            C::UnsupportedEncoding => "unsupported-encoding",
            C::UnsupportedFeature => "unsupported-feature",
            C::UnsupportedStanzaType => "unsupported-stanza-type",
            C::UnsupportedVersion => "unsupported-version",
            C::Other(el) => el.name(),
        }
    }

    /// The defined condition named `name` (`text` is the see-other-host address),
    /// or None for an unknown name.
    pub fn from_name(name: &str, text: String) -> Option<StreamErrorCondition> {
        use StreamErrorCondition as C;
        Some(match name {
            "bad-format" => C::BadFormat,
            "bad-namespace-prefix" => C::BadNamespacePrefix,
            "conflict" => C::Conflict,
            "connection-timeout" => C::ConnectionTimeout,
            "host-gone" => C::HostGone,
            "host-unknown" => C::HostUnknown,
            "improper-addressing" => C::ImproperAddressing,
            "internal-server-error" => C::InternalServerError,
            "invalid-from" => C::InvalidFrom,
            "invalid-namespace" => C::InvalidNamespace,
            "invalid-xml" => C::InvalidXml,
            "not-authorized" => C::NotAuthorized,
            "not-well-formed" => C::NotWellFormed,
            "policy-violation" => C::PolicyViolation,
            "remote-connection-failed" => C::RemoteConnectionFailed,
            "reset" => C::Reset,
            "resource-constraint" => C::ResourceConstraint,
            "restricted-xml" => C::RestrictedXml,
            "see-other-host" => C::SeeOtherHost(text),
            "system-shutdown" => C::SystemShutdown,
            "undefined-condition" => C::UndefinedCondition,
            "unsupported-encoding" => C::UnsupportedEncoding,
            "unsupported-feature" => C::UnsupportedFeature,
            "unsupported-stanza-type" => C::UnsupportedStanzaType,
            "unsupported-version" => C::UnsupportedVersion,
            _ => return None,
        })
    }
}

/// A `<stream:error/>` (RFC 6120 section 4.9.2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamError {
    /// The condition.
    pub condition: StreamErrorCondition,
    /// Descriptive `<text/>` elements, one per language.
    pub texts: Vec<Text>,
    /// Application-specific condition elements, in the order received.
    /// Refused at serialisation when in the streams namespace (the reader
    /// would take them for the condition).
    pub apps: Vec<minidom::Element>,
}

impl StreamError {
    /// An error with only a condition.
    pub fn new(condition: StreamErrorCondition) -> StreamError {
        StreamError {
            condition,
            texts: Vec::new(),
            apps: Vec::new(),
        }
    }

    /// Parses one `<stream:error/>` from `bytes`.
    pub fn parse(bytes: &[u8], ctx: &Context) -> Result<StreamError, Error> {
        xml::parse_with(
            bytes,
            ctx,
            |r, start| {
                if !start.is("error", ns::STREAM) {
                    return Err(Error::Unexpected(excerpt(start.local())));
                }
                StreamError::parse_content(r, &start, ctx.namespace.as_str())
            },
            |e| e,
        )
    }

    /// Reads the content of `<stream:error>` on a stream whose content
    /// namespace is `content_ns`.
    pub(crate) fn parse_content(
        r: &mut Reader<'_>,
        _start: &Start<'_>,
        content_ns: &str,
    ) -> Result<StreamError, Error> {
        let mut condition = None;
        let mut texts = Vec::new();
        let mut apps = Vec::new();
        loop {
            match r.next()? {
                Token::End => break,
                Token::Text(_) => {}
                Token::Start(child) if child.is("text", ns::STREAMS) => {
                    texts.push(Text::parse(r, &child)?);
                }
                Token::Start(child) if child.ns() == ns::STREAMS => {
                    if condition.is_some() {
                        return Err(Error::Unexpected(excerpt(child.local())));
                    }
                    let name = child.local();
                    condition = Some(if name == "see-other-host" {
                        StreamErrorCondition::SeeOtherHost(r.text()?)
                    } else if let Some(known) = StreamErrorCondition::from_name(name, String::new())
                    {
                        r.skip()?;
                        known
                    } else {
                        StreamErrorCondition::Other(rescope::read_tree(r, child, content_ns)?)
                    });
                }
                Token::Start(child) => apps.push(rescope::read_tree(r, child, content_ns)?),
            }
        }
        Ok(StreamError {
            condition: condition.ok_or(Error::Missing("stream error condition"))?,
            texts,
            apps,
        })
    }

    /// Appends the serialised error to `out`; leaves `out` as it was on
    /// error.
    pub fn serialize(&self, ctx: &Context, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        xml::guarded(out, |out| self.write(ctx, out))
    }

    fn write(&self, ctx: &Context, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        let content_ns = ctx.namespace.as_str();
        crate::stream_start_tag(out, ctx, "stream:error")?;
        out.push(b'>');
        match &self.condition {
            StreamErrorCondition::SeeOtherHost(host) => {
                xml::text_element(out, "see-other-host", Some(ns::STREAMS), host)?;
            }
            StreamErrorCondition::Other(el) => {
                xml::write_tree_checked(out, el, content_ns, content_ns, |ns, name| {
                    ns != ns::STREAMS
                        || name == "text"
                        || StreamErrorCondition::from_name(name, String::new()).is_some()
                })?;
            }
            known => xml::text_element(out, known.name(), Some(ns::STREAMS), "")?,
        }
        for t in &self.texts {
            t.write(out, "text", Some(ns::STREAMS))?;
        }
        for app in &self.apps {
            xml::write_tree_checked(out, app, content_ns, content_ns, |ns, _| ns == ns::STREAMS)?;
        }
        xml::end(out, "stream:error");
        Ok(())
    }
}

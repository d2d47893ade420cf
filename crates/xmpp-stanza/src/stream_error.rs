//! Stream errors (RFC 6120 section 4.9).

use crate::Context;
use crate::error::Error;
use crate::ns;
use crate::text::Text;
use crate::xml::{self, Reader, Start, Token};

/// Every defined stream error condition (RFC 6120 section 4.9.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
}

impl StreamErrorCondition {
    /// The element name of the condition.
    pub fn name(&self) -> &'static str {
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
        }
    }

    /// The condition named `name` (`text` is the see-other-host address),
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
pub struct StreamError {
    /// The defined condition.
    pub condition: StreamErrorCondition,
    /// Descriptive `<text/>` elements, one per language.
    pub texts: Vec<Text>,
    /// An application-specific condition element.
    pub app: Option<minidom::Element>,
}

impl StreamError {
    /// An error with only a condition.
    pub fn new(condition: StreamErrorCondition) -> StreamError {
        StreamError {
            condition,
            texts: Vec::new(),
            app: None,
        }
    }

    /// Parses one `<stream:error/>` from `bytes`.
    pub fn parse(bytes: &[u8], ctx: &Context) -> Result<StreamError, Error> {
        xml::parse_with(bytes, ctx, |r, start| {
            if !start.is("error", ns::STREAM) {
                return Err(Error::Unexpected(start.local().to_owned()));
            }
            StreamError::parse_content(r, &start)
        })
    }

    pub(crate) fn parse_content(
        r: &mut Reader<'_>,
        _start: &Start<'_>,
    ) -> Result<StreamError, Error> {
        let mut condition = None;
        let mut texts = Vec::new();
        let mut app = None;
        loop {
            match r.next()? {
                Token::End => break,
                Token::Text(_) => {}
                Token::Start(child) if child.ns() == ns::STREAMS => {
                    if child.local() == "text" {
                        texts.push(Text::parse(r, &child)?);
                    } else if condition.is_some() {
                        return Err(Error::Unexpected(child.local().to_owned()));
                    } else {
                        let name = child.local().to_owned();
                        let text = r.text()?;
                        condition = Some(
                            StreamErrorCondition::from_name(&name, text)
                                .unwrap_or(StreamErrorCondition::UndefinedCondition),
                        );
                    }
                }
                Token::Start(child) => {
                    let tree = r.tree(child)?;
                    if app.is_none() {
                        app = Some(tree);
                    }
                }
            }
        }
        Ok(StreamError {
            condition: condition.ok_or(Error::Missing("stream error condition"))?,
            texts,
            app,
        })
    }

    /// Appends the serialised error to `out`.
    pub fn serialize(&self, ctx: &Context, out: &mut Vec<u8>) {
        crate::stream_start_tag(out, ctx, "stream:error");
        out.push(b'>');
        let text = match &self.condition {
            StreamErrorCondition::SeeOtherHost(host) => host.as_str(),
            _ => "",
        };
        xml::text_element(out, self.condition.name(), Some(ns::STREAMS), text);
        for t in &self.texts {
            t.write(out, "text", Some(ns::STREAMS));
        }
        if let Some(app) = &self.app {
            xml::write_tree(out, app, ctx.namespace.as_str());
        }
        xml::end(out, "stream:error");
    }
}

//! Errors and the RFC 6120 section 4.9.3 stream error conditions they map to.

use std::fmt;

/// An RFC 6120 section 4.9.3 stream error condition.
///
/// Every peer violation this crate detects maps to one of these, so the
/// caller can answer with the stream error the RFC asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamErrorCondition {
    /// 4.9.3.1: XML that cannot be processed (used for framing violations).
    BadFormat,
    /// 4.9.3.2: a namespace prefix that is not declared.
    BadNamespacePrefix,
    /// 4.9.3.3: a new stream conflicts with an existing one.
    Conflict,
    /// 4.9.3.4: the peer has gone silent.
    ConnectionTimeout,
    /// 4.9.3.5: the `to` domain is no longer served.
    HostGone,
    /// 4.9.3.6: the `to` domain is not served.
    HostUnknown,
    /// 4.9.3.7: a stanza addressing error between servers.
    ImproperAddressing,
    /// 4.9.3.8: an internal server error.
    InternalServerError,
    /// 4.9.3.9: a `from` that does not match an authorized identity.
    InvalidFrom,
    /// 4.9.3.10: a wrong stream or framing namespace.
    InvalidNamespace,
    /// 4.9.3.11: invalid XML (for example a bad character reference).
    InvalidXml,
    /// 4.9.3.12: data sent before authentication.
    NotAuthorized,
    /// 4.9.3.13: XML that is not well-formed.
    NotWellFormed,
    /// 4.9.3.14: a local policy was violated (size, depth and count limits).
    PolicyViolation,
    /// 4.9.3.15: a remote connection could not be made.
    RemoteConnectionFailed,
    /// 4.9.3.16: the stream is reset by the server.
    Reset,
    /// 4.9.3.17: the server lacks resources.
    ResourceConstraint,
    /// 4.9.3.18: comments, processing instructions, DTDs or entity references.
    RestrictedXml,
    /// 4.9.3.19: the client should reconnect elsewhere.
    SeeOtherHost,
    /// 4.9.3.20: the server is shutting down.
    SystemShutdown,
    /// 4.9.3.21: any other condition.
    UndefinedCondition,
    /// 4.9.3.22: not UTF-8, or broken UTF-8.
    UnsupportedEncoding,
    /// 4.9.3.23: a required feature is not supported.
    UnsupportedFeature,
    /// 4.9.3.24: a first-level child that is not supported.
    UnsupportedStanzaType,
    /// 4.9.3.25: a stream version that is not supported.
    UnsupportedVersion,
}

impl StreamErrorCondition {
    /// Every condition, in RFC order.
    pub const ALL: [StreamErrorCondition; 25] = [
        Self::BadFormat,
        Self::BadNamespacePrefix,
        Self::Conflict,
        Self::ConnectionTimeout,
        Self::HostGone,
        Self::HostUnknown,
        Self::ImproperAddressing,
        Self::InternalServerError,
        Self::InvalidFrom,
        Self::InvalidNamespace,
        Self::InvalidXml,
        Self::NotAuthorized,
        Self::NotWellFormed,
        Self::PolicyViolation,
        Self::RemoteConnectionFailed,
        Self::Reset,
        Self::ResourceConstraint,
        Self::RestrictedXml,
        Self::SeeOtherHost,
        Self::SystemShutdown,
        Self::UndefinedCondition,
        Self::UnsupportedEncoding,
        Self::UnsupportedFeature,
        Self::UnsupportedStanzaType,
        Self::UnsupportedVersion,
    ];

    /// The element name used on the wire, e.g. `not-well-formed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadFormat => "bad-format",
            Self::BadNamespacePrefix => "bad-namespace-prefix",
            Self::Conflict => "conflict",
            Self::ConnectionTimeout => "connection-timeout",
            Self::HostGone => "host-gone",
            Self::HostUnknown => "host-unknown",
            Self::ImproperAddressing => "improper-addressing",
            Self::InternalServerError => "internal-server-error",
            Self::InvalidFrom => "invalid-from",
            Self::InvalidNamespace => "invalid-namespace",
            Self::InvalidXml => "invalid-xml",
            Self::NotAuthorized => "not-authorized",
            Self::NotWellFormed => "not-well-formed",
            Self::PolicyViolation => "policy-violation",
            Self::RemoteConnectionFailed => "remote-connection-failed",
            Self::Reset => "reset",
            Self::ResourceConstraint => "resource-constraint",
            Self::RestrictedXml => "restricted-xml",
            Self::SeeOtherHost => "see-other-host",
            Self::SystemShutdown => "system-shutdown",
            Self::UndefinedCondition => "undefined-condition",
            Self::UnsupportedEncoding => "unsupported-encoding",
            Self::UnsupportedFeature => "unsupported-feature",
            Self::UnsupportedStanzaType => "unsupported-stanza-type",
            Self::UnsupportedVersion => "unsupported-version",
        }
    }

    /// Parses a wire name such as `host-unknown`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for StreamErrorCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in this crate.
///
/// Variants up to [`Error::InsecureRedirect`] are violations by the peer and
/// map to a stream error condition through [`Error::condition`]; the rest are
/// API misuse or back-pressure on the caller's side and map to none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The XML is not well-formed.
    #[error("not well-formed XML: {0}")]
    NotWellFormed(&'static str),
    /// A construct RFC 6120 section 11.1 forbids (DTD, comment, PI, entity).
    #[error("restricted XML: {0}")]
    RestrictedXml(&'static str),
    /// The bytes are not valid UTF-8, or a declaration names another encoding.
    #[error("data is not UTF-8")]
    UnsupportedEncoding,
    /// An element or attribute uses an undeclared namespace prefix.
    #[error("undeclared namespace prefix")]
    BadNamespacePrefix,
    /// A stream header, framing element or element has the wrong namespace.
    #[error("invalid namespace: {0}")]
    InvalidNamespace(&'static str),
    /// The stream `version` is missing or its major version is not 1.
    #[error("unsupported stream version")]
    UnsupportedVersion,
    /// A framing rule of RFC 7395 or RFC 6120 was broken.
    #[error("bad format: {0}")]
    BadFormat(&'static str),
    /// An element is larger than [`Limits::max_element_size`](crate::Limits).
    #[error("element larger than {limit} bytes")]
    ElementTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// Elements nest deeper than [`Limits::max_depth`](crate::Limits).
    #[error("elements nested deeper than {limit}")]
    TooDeep {
        /// The configured limit.
        limit: usize,
    },
    /// A tag has more attributes than [`Limits::max_attributes`](crate::Limits).
    #[error("more than {limit} attributes on one tag")]
    TooManyAttributes {
        /// The configured limit.
        limit: usize,
    },
    /// More namespace declarations are in scope at once inside an element
    /// than [`Limits::max_namespace_declarations`](crate::Limits).
    #[error("more than {limit} namespace declarations in scope")]
    TooManyNamespaces {
        /// The configured limit.
        limit: usize,
    },
    /// A stream header (or `<open/>`) is larger than
    /// [`Limits::max_header_size`](crate::Limits): it is kept for the whole
    /// stream, so it gets a tighter bound than elements.
    #[error("stream header larger than {limit} bytes")]
    HeaderTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// A `see-other-uri` would move a secure stream to an insecure endpoint
    /// (RFC 7395 section 3.6.1), or is not a WebSocket or HTTP URI.
    #[error("refused redirect to {0}")]
    InsecureRedirect(String),
    /// The handshake did not negotiate the `xmpp` subprotocol (RFC 7395 section 3.1).
    #[error("the `xmpp` WebSocket subprotocol was not negotiated")]
    SubprotocolNotNegotiated,
    /// Input after the stream was closed or failed.
    #[error("the stream is closed")]
    StreamClosed,
    /// A command that this role or state does not allow.
    #[error("not allowed now: {0}")]
    NotAllowed(&'static str),
    /// What was given to `send` is not one complete element starting with
    /// `<` (RFC 7395 section 3.3.3 binds the sender too), or a value given to
    /// `open`, `stream_error` or `redirect` holds a character XML cannot
    /// carry even escaped; nothing was queued.
    #[error("cannot be sent: {0}")]
    InvalidOutgoing(&'static str),
    /// Queuing this element would put more than the configured
    /// `max_queued_bytes` in the output queue; nothing was queued. Drain
    /// `poll_transmit` (write to the transport) and try again.
    #[error("more than {limit} bytes queued for sending")]
    QueueFull {
        /// The configured limit.
        limit: usize,
    },
}

impl Error {
    /// The stream error condition to send for a peer violation, `None` for API misuse.
    pub fn condition(&self) -> Option<StreamErrorCondition> {
        use StreamErrorCondition as C;
        Some(match self {
            Error::NotWellFormed(_) => C::NotWellFormed,
            Error::RestrictedXml(_) => C::RestrictedXml,
            Error::UnsupportedEncoding => C::UnsupportedEncoding,
            Error::BadNamespacePrefix => C::BadNamespacePrefix,
            Error::InvalidNamespace(_) => C::InvalidNamespace,
            Error::UnsupportedVersion => C::UnsupportedVersion,
            Error::BadFormat(_) => C::BadFormat,
            Error::ElementTooLarge { .. }
            | Error::TooDeep { .. }
            | Error::TooManyAttributes { .. }
            | Error::TooManyNamespaces { .. }
            | Error::HeaderTooLarge { .. } => C::PolicyViolation,
            Error::InsecureRedirect(_) => C::PolicyViolation,
            Error::SubprotocolNotNegotiated => C::UnsupportedFeature,
            Error::StreamClosed
            | Error::NotAllowed(_)
            | Error::InvalidOutgoing(_)
            | Error::QueueFull { .. } => return None,
        })
    }

    /// The short reason carried by a variant, for re-reporting a scan error
    /// on our own output as [`Error::InvalidOutgoing`].
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Error::NotWellFormed(reason)
            | Error::RestrictedXml(reason)
            | Error::InvalidNamespace(reason)
            | Error::BadFormat(reason)
            | Error::NotAllowed(reason)
            | Error::InvalidOutgoing(reason) => reason,
            Error::UnsupportedEncoding => "not UTF-8",
            _ => "limit exceeded",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in StreamErrorCondition::ALL {
            assert_eq!(StreamErrorCondition::from_name(c.as_str()), Some(c));
        }
        assert_eq!(StreamErrorCondition::from_name("nope"), None);
    }

    #[test]
    fn misuse_has_no_condition() {
        assert_eq!(Error::StreamClosed.condition(), None);
        assert_eq!(
            Error::TooDeep { limit: 1 }.condition(),
            Some(StreamErrorCondition::PolicyViolation)
        );
    }
}

//! The crate's parse error and the protocol answer each one maps to.

use crate::jid::JidError;
use crate::stanza_error::{StanzaErrorCondition, StanzaErrorType};
use crate::stream_error::StreamErrorCondition;

/// Why bytes could not be read as an XMPP element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not UTF-8.
    #[error("input is not UTF-8")]
    Utf8,
    /// The input is not well-formed XML.
    #[error("not well-formed XML: {0}")]
    Xml(String),
    /// A construct RFC 6120 section 11 forbids (comment, processing
    /// instruction, DTD, entity reference other than the predefined ones).
    #[error("restricted XML: {0} not allowed")]
    Restricted(&'static str),
    /// An element prefix that no declaration binds.
    #[error("unbound namespace prefix")]
    UnboundPrefix,
    /// A configured limit was exceeded.
    #[error("limit exceeded: {0}")]
    Limit(&'static str),
    /// The top-level element is in a namespace that is not the stream's.
    #[error("invalid namespace {0:?}")]
    InvalidNamespace(String),
    /// An element appeared where the protocol does not allow it.
    #[error("unexpected element <{0}>")]
    Unexpected(String),
    /// A required element or attribute is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// An element or attribute defined by the protocol has a value it does not allow.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// An address that is not a valid JID.
    #[error("malformed JID: {0}")]
    Jid(#[from] JidError),
}

impl Error {
    /// The stream error a server answers with when a peer sends this
    /// (RFC 6120 section 4.9.3).
    pub fn stream_condition(&self) -> StreamErrorCondition {
        match self {
            Error::Utf8 => StreamErrorCondition::UnsupportedEncoding,
            Error::Xml(_) => StreamErrorCondition::NotWellFormed,
            Error::Restricted(_) => StreamErrorCondition::RestrictedXml,
            Error::UnboundPrefix => StreamErrorCondition::BadNamespacePrefix,
            Error::Limit(_) => StreamErrorCondition::PolicyViolation,
            Error::InvalidNamespace(_) => StreamErrorCondition::InvalidNamespace,
            Error::Unexpected(_) | Error::Missing(_) | Error::Invalid(_) | Error::Jid(_) => {
                StreamErrorCondition::InvalidXml
            }
        }
    }

    /// The stanza error to answer with when the stanza itself was readable
    /// but its content is not (RFC 6120 section 8.3.3), or None when only a
    /// stream error fits.
    pub fn stanza_condition(&self) -> Option<(StanzaErrorType, StanzaErrorCondition)> {
        match self {
            Error::Jid(_) => Some((StanzaErrorType::Modify, StanzaErrorCondition::JidMalformed)),
            Error::Unexpected(_) | Error::Missing(_) | Error::Invalid(_) => {
                Some((StanzaErrorType::Modify, StanzaErrorCondition::BadRequest))
            }
            _ => None,
        }
    }
}

//! The crate's parse errors and the protocol answer each one maps to.
//!
//! [`Error`] says what was wrong; [`ParseError`], which
//! [`Element::parse`](crate::Element::parse) returns, adds the header of
//! the stanza it was wrong in, so a server can address a stanza error
//! (RFC 6120 section 8.3), and decides between a stanza error, a stream
//! error and silence ([`Answer`]).

use std::borrow::Cow;

use crate::jid::{Jid, JidError};
use crate::stanza_error::{StanzaErrorCondition, StanzaErrorType};
use crate::stream_error::StreamErrorCondition;
use crate::xml::Start;
use crate::{Context, StreamNamespace};

/// How many characters of a name or namespace from the input an error
/// keeps: enough to find it in a log, never all of a 256 KiB name.
pub(crate) const EXCERPT_CHARS: usize = 64;

/// `s` as an error quotes it: at most [`EXCERPT_CHARS`] characters, `…`
/// marking a cut.
pub(crate) fn excerpt(s: &str) -> String {
    excerpt_of(s, EXCERPT_CHARS)
}

/// `s` cut to at most `chars` characters, `…` marking a cut.
pub(crate) fn excerpt_of(s: &str, chars: usize) -> String {
    match s.char_indices().nth(chars) {
        None => s.to_owned(),
        Some((end, _)) => format!("{}…", s.get(..end).unwrap_or_default()),
    }
}

/// Why bytes could not be read as an XMPP element. Names and namespaces
/// from the input are quoted in part (64 characters at most), so an error
/// costs little to keep or log whatever the input was.
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

    /// The stanza error that fits when the stanza itself was readable but
    /// its content is not (RFC 6120 section 8.3.3), or None when only a
    /// stream error fits. Whether to send it depends on the stanza's
    /// header, which only [`ParseError::answer`] knows.
    pub(crate) fn stanza_condition(&self) -> Option<(StanzaErrorType, StanzaErrorCondition)> {
        match self {
            Error::Jid(_) => Some((StanzaErrorType::Modify, StanzaErrorCondition::JidMalformed)),
            Error::Unexpected(_) | Error::Missing(_) | Error::Invalid(_) => {
                Some((StanzaErrorType::Modify, StanzaErrorCondition::BadRequest))
            }
            _ => None,
        }
    }
}

/// A parse error of a top-level element, with the header of the stanza it
/// occurred in when that much was read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
#[non_exhaustive]
pub struct ParseError {
    error: Error,
    /// Boxed: the header is only there on the error path, and a small
    /// error keeps `Result<Element, ParseError>` small.
    header: Option<Box<StanzaHeader>>,
}

/// What to send back for a [`ParseError`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// A stanza error of the stanza's kind, with its `id`, to its sender
    /// (RFC 6120 section 8.3.1); the content of the stream is fine.
    Stanza(StanzaErrorType, StanzaErrorCondition),
    /// A stream error, which closes the stream (RFC 6120 section 4.9).
    Stream(StreamErrorCondition),
    /// Nothing: the stanza was itself an error, which is never answered
    /// with an error (RFC 6120 section 8.3.1), or an iq result, which is
    /// never answered with a response (section 8.2.3).
    Ignore,
}

/// The kinds of stanza (RFC 6120 section 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StanzaKind {
    /// `<message/>`
    Message,
    /// `<presence/>`
    Presence,
    /// `<iq/>`
    Iq,
}

/// The attributes of a stanza a server needs to address an error to its
/// sender, as read from its start tag (RFC 6120 section 8.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StanzaHeader {
    kind: StanzaKind,
    namespace: StreamNamespace,
    id: Option<String>,
    from: Option<Result<Jid, JidError>>,
    to: Option<Result<Jid, JidError>>,
    stanza_type: Option<String>,
}

impl StanzaHeader {
    /// Message, presence or iq.
    pub fn kind(&self) -> StanzaKind {
        self.kind
    }

    /// The stream namespace the stanza was in.
    pub fn namespace(&self) -> StreamNamespace {
        self.namespace
    }

    /// The `id` attribute.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The `from` attribute, when present and a valid JID.
    pub fn from(&self) -> Option<&Jid> {
        self.from.as_ref()?.as_ref().ok()
    }

    /// The `to` attribute, when present and a valid JID.
    pub fn to(&self) -> Option<&Jid> {
        self.to.as_ref()?.as_ref().ok()
    }

    /// Why the `from` attribute is not a JID, when it is present and not one.
    pub fn from_error(&self) -> Option<&JidError> {
        self.from.as_ref()?.as_ref().err()
    }

    /// Why the `to` attribute is not a JID, when it is present and not one.
    pub fn to_error(&self) -> Option<&JidError> {
        self.to.as_ref()?.as_ref().err()
    }

    /// The `type` attribute as received, valid or not.
    pub fn stanza_type(&self) -> Option<&str> {
        self.stanza_type.as_deref()
    }

    /// Whether the stanza is of type `error`, which is never answered
    /// with another error.
    pub fn is_error(&self) -> bool {
        self.stanza_type() == Some("error")
    }
}

impl ParseError {
    pub(crate) fn new(error: Error, header: Option<HeaderRef<'_>>, ctx: &Context) -> ParseError {
        ParseError {
            error,
            header: header.map(|h| Box::new(h.into_owned(ctx.namespace))),
        }
    }

    /// What was wrong.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// What was wrong, without the header.
    pub fn into_error(self) -> Error {
        self.error
    }

    /// The stanza's header; None when the error came before the top-level
    /// start tag was read, or the element is not a stanza.
    pub fn header(&self) -> Option<&StanzaHeader> {
        self.header.as_deref()
    }

    /// The stream error a server answers with when it cannot or need not
    /// answer at the stanza level (RFC 6120 section 4.9.3).
    pub fn stream_condition(&self) -> StreamErrorCondition {
        self.error.stream_condition()
    }

    /// The stanza error to answer with, or None when no stanza error may
    /// be sent: see [`ParseError::answer`].
    pub fn stanza_condition(&self) -> Option<(StanzaErrorType, StanzaErrorCondition)> {
        match self.answer() {
            Answer::Stanza(kind, condition) => Some((kind, condition)),
            _ => None,
        }
    }

    /// How a server answers the element that failed to parse.
    ///
    /// A stanza error needs a stanza to answer: a header read in full, of
    /// a type other than `error` (or `result` for an iq), and an `id` if
    /// it is an iq (the answer must carry it). On a client stream a malformed `from` or `to` is
    /// answered with `jid-malformed` all the same: the server knows the
    /// sender from the stream and stamps `from` itself (RFC 6120 section
    /// 8.1.2.1). Between servers it is an `improper-addressing` stream
    /// error (RFC 6120 section 4.9.3.7), since the answer has nowhere to go.
    pub fn answer(&self) -> Answer {
        let stream = Answer::Stream(self.stream_condition());
        let (Some(header), Some((kind, condition))) =
            (self.header(), self.error.stanza_condition())
        else {
            return stream;
        };
        let bad_address = header.from_error().is_some() || header.to_error().is_some();
        if header.namespace == StreamNamespace::Server && bad_address {
            return Answer::Stream(StreamErrorCondition::ImproperAddressing);
        }
        let iq_result = header.kind == StanzaKind::Iq && header.stanza_type() == Some("result");
        if header.is_error() || iq_result {
            return Answer::Ignore;
        }
        if header.kind == StanzaKind::Iq && header.id.is_none() {
            return stream;
        }
        Answer::Stanza(kind, condition)
    }
}

/// A stanza header borrowed from the start tag, kept while the stanza is
/// parsed and made owned only if parsing fails.
pub(crate) struct HeaderRef<'a> {
    kind: StanzaKind,
    id: Option<Cow<'a, str>>,
    from: Option<Cow<'a, str>>,
    to: Option<Cow<'a, str>>,
    stanza_type: Option<Cow<'a, str>>,
}

impl<'a> HeaderRef<'a> {
    /// The header of `start` if it is a stanza of the stream's namespace.
    pub(crate) fn capture(start: &Start<'a>, ctx: &Context) -> Option<HeaderRef<'a>> {
        if start.ns() != ctx.namespace.as_str() {
            return None;
        }
        let kind = match start.local() {
            "message" => StanzaKind::Message,
            "presence" => StanzaKind::Presence,
            "iq" => StanzaKind::Iq,
            _ => return None,
        };
        Some(HeaderRef {
            kind,
            id: start.attr_cow("id"),
            from: start.attr_cow("from"),
            to: start.attr_cow("to"),
            stanza_type: start.attr_cow("type"),
        })
    }

    fn into_owned(self, namespace: StreamNamespace) -> StanzaHeader {
        StanzaHeader {
            kind: self.kind,
            namespace,
            id: self.id.map(Cow::into_owned),
            from: self.from.map(|s| Jid::new(&s)),
            to: self.to.map(|s| Jid::new(&s)),
            stanza_type: self.stanza_type.map(Cow::into_owned),
        }
    }
}

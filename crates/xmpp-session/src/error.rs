//! What a session returns to its caller, and why a session ended.
//!
//! Peer violations are not errors of a call: the session answers them on
//! the wire (a stream error, a SASL failure, a stanza error) and reports
//! the end of the stream as [`CloseReason`]. [`Error`] is for the caller's
//! own mistakes and for refused commands.

use chatwire_sasl::Failure;
use chatwire_xmpp_framing::StreamErrorCondition;
use chatwire_xmpp_stanza::{JidError, SaslFailure, StanzaError, StreamError};

/// A command or input the session refused; nothing was sent for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The session is over: the stream was closed, failed, or the transport
    /// went away.
    #[error("the session is closed")]
    Closed,
    /// The command does not fit the current stage (for example a stanza
    /// before the session is ready, or credentials nobody asked for).
    #[error("not allowed now: {0}")]
    NotAllowed(&'static str),
    /// Input for the other transport (bytes to a WebSocket session, or a
    /// message to a TCP session).
    #[error("this session runs over the other transport")]
    WrongTransport,
    /// A resource given to [`crate::BindDecision::Bind`] is not a valid
    /// resourcepart.
    #[error("invalid resource: {0}")]
    InvalidResource(JidError),
    /// The framing layer refused a command (an API misuse or a full
    /// output queue).
    #[error("framing: {0}")]
    Framing(#[from] chatwire_xmpp_framing::Error),
    /// A stanza could not be serialised.
    #[error("serialisation: {0}")]
    Serialize(#[from] chatwire_xmpp_stanza::SerializeError),
    /// chatwire-sasl refused an argument (credentials above the configured
    /// iteration bound, a server secret, a client configuration).
    #[error("sasl: {0}")]
    Sasl(#[from] chatwire_sasl::Error),
}

/// Why a session ended; reported once, as the last event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer closed its stream and we answered (or had closed first).
    Closed,
    /// The transport closed before the streams were closed; `clean` when
    /// the peer had closed its stream first.
    TransportClosed {
        /// Whether the peer had closed its stream first.
        clean: bool,
    },
    /// We sent this stream error: the peer broke a rule, or a stage timed
    /// out (`connection-timeout`), or the caller asked for it.
    SentStreamError(StreamErrorCondition),
    /// The peer sent this stream error (see-other-host included).
    ReceivedStreamError(StreamError),
    /// RFC 7395 section 3.6.1: the server closed the WebSocket stream with
    /// `see-other-uri` (already checked against downgrade).
    SeeOtherUri(String),
    /// Client only: negotiation failed on our side and the stream was closed.
    NegotiationFailed(NegotiationError),
    /// We closed our stream and the peer did not close its own within the
    /// close timeout: drop the transport.
    CloseTimedOut,
}

/// Client only: why negotiation could not go on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NegotiationError {
    /// STARTTLS is required by our configuration and the server does not
    /// offer it, or it answered `<starttls/>` with `<failure/>`.
    TlsUnavailable,
    /// No offered mechanism fits our SASL policy, or the exchange failed on
    /// our side (a wrong server signature, a downgrade).
    Sasl(chatwire_sasl::Error),
    /// The server refused authentication.
    AuthFailed(SaslFailure),
    /// The server does not offer resource binding after authentication.
    BindUnavailable,
    /// The server refused to bind a resource.
    BindRefused(StanzaError),
    /// The server sent something the negotiation does not allow here.
    Unexpected(&'static str),
}

/// Server only: why an authentication attempt failed, as reported to the
/// caller (the client only sees the SASL condition).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthFailure {
    /// The user name, when the exchange got that far.
    pub username: Option<String>,
    /// The condition sent in `<failure/>`.
    pub failure: Failure,
    /// Failed attempts on this stream so far, this one included.
    pub attempts: u32,
}

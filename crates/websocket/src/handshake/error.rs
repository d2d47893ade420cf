//! Handshake errors: what the peer sent wrong ([`HandshakeError`], answered with an
//! HTTP status or by failing the connection) apart from what the caller asked us to
//! write that cannot be written ([`FieldError`]).

use super::VERSION;
use super::head::write_refusal;

/// Why a handshake failed: the peer's message is not an acceptable opening handshake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The bytes are not an HTTP/1.1 message head.
    #[error("malformed HTTP: {0}")]
    Malformed(String),
    /// The head is larger than [`HandshakeLimits`](super::HandshakeLimits) allow.
    #[error("handshake head too large")]
    TooLarge,
    /// A request whose method is not GET.
    #[error("method is not GET")]
    NotGet,
    /// A message older than HTTP/1.1.
    #[error("HTTP version below 1.1")]
    OldHttp,
    /// A header the handshake requires is missing, repeated where it may appear only
    /// once (RFC 6455 section 11.3, RFC 7230 section 5.4), or holds a wrong value.
    #[error("missing, repeated or wrong header: {0}")]
    BadHeader(&'static str),
    /// The client asked for a WebSocket version other than 13.
    #[error("unsupported WebSocket version {0:?}")]
    UnsupportedVersion(String),
    /// The server answered with a status other than 101.
    #[error("server answered with status {0}")]
    Status(u16),
    /// The server's `Sec-WebSocket-Accept` does not match our key.
    #[error("Sec-WebSocket-Accept does not match the key")]
    BadAccept,
    /// The server picked a subprotocol the client did not offer.
    #[error("server selected a subprotocol that was not offered: {0}")]
    UnofferedProtocol(String),
    /// A `Sec-WebSocket-Extensions` value that does not follow the header grammar.
    #[error("Sec-WebSocket-Extensions: {0}")]
    BadExtensions(#[from] ExtensionSyntaxError),
    /// The server accepted an extension the client did not offer.
    #[error("server accepted an extension that was not offered: {0}")]
    UnofferedExtension(String),
    /// The server accepted the same extension twice.
    #[error("server accepted extension {0} twice")]
    DuplicateExtension(String),
    /// The server's acceptance carries a parameter that no offer of that extension
    /// carried or allowed in the response.
    #[error(
        "server accepted extension {extension} with parameter {parameter}, which was not offered"
    )]
    UnofferedParameter {
        /// The extension's name.
        extension: String,
        /// The parameter's name.
        parameter: String,
    },
    /// The server's acceptance carries the same parameter twice (RFC 7692 section 5).
    #[error("server accepted extension {extension} with parameter {parameter} twice")]
    DuplicateParameter {
        /// The extension's name.
        extension: String,
        /// The parameter's name.
        parameter: String,
    },
}

impl HandshakeError {
    /// The HTTP status a server answers this failure with: 426 for a version it does
    /// not speak (section 4.2.2), 431 for an oversized head, 400 otherwise.
    pub fn status(&self) -> u16 {
        match self {
            Self::UnsupportedVersion(_) => 426,
            Self::TooLarge => 431,
            _ => 400,
        }
    }

    /// Appends the server's HTTP answer to a failed request to `out`.
    pub fn write_response(&self, out: &mut Vec<u8>) {
        match self {
            Self::UnsupportedVersion(_) => write_refusal(
                426,
                "Upgrade Required",
                &[("Sec-WebSocket-Version", VERSION)],
                out,
            ),
            Self::TooLarge => write_refusal(431, "Request Header Fields Too Large", &[], out),
            _ => write_refusal(400, "Bad Request", &[], out),
        }
    }
}

/// Where a `Sec-WebSocket-Extensions` value breaks the grammar of RFC 6455 section 9.1
/// (tokens and quoted strings, RFC 7230 section 3.2.6). Offsets count bytes from the
/// start of the field value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionSyntaxError {
    /// An extension or parameter name, or a parameter value, was expected.
    #[error("expected a token at byte {0}")]
    ExpectedToken(usize),
    /// Something other than `,`, `;` or the end followed an item.
    #[error("unexpected byte at {0}")]
    Unexpected(usize),
    /// A quoted string opened here is not closed.
    #[error("unterminated quoted string at byte {0}")]
    UnterminatedQuote(usize),
    /// A quoted string opened here holds a control character.
    #[error("control character in quoted string at byte {0}")]
    BadQuotedByte(usize),
    /// A quoted value that is not a token once unquoted, which section 9.1 requires.
    #[error("quoted value at byte {0} is not a token")]
    QuotedNotToken(usize),
}

/// A value the caller asked to write that is not valid where it goes. Nothing is
/// written: sent as is, it would break the message (a CR or LF in the path injects
/// header lines) or the header's grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// The request target is not an absolute path with an optional query.
    #[error("request target {0:?} is not an absolute path with an optional query")]
    Path(String),
    /// The host is not a URI host with an optional port.
    #[error("host {0:?} is not a URI host with an optional port")]
    Host(String),
    /// The origin is neither `null` nor `scheme://host[:port]`.
    #[error("origin {0:?} is not a serialized origin")]
    Origin(String),
    /// A subprotocol that is not a token (RFC 6455 section 4.1, item 10).
    #[error("subprotocol {0:?} is not a token")]
    Protocol(String),
    /// A subprotocol offered twice (section 4.1, item 10: they must be unique).
    #[error("subprotocol {0:?} is offered twice")]
    DuplicateProtocol(String),
    /// An extension name that is not a token.
    #[error("extension name {0:?} is not a token")]
    ExtensionName(String),
    /// An extension parameter whose name or value is not a token (section 9.1).
    #[error(
        "extension {extension:?}: parameter {parameter:?} has a name or value that is not a token"
    )]
    ExtensionParameter {
        /// The extension's name.
        extension: String,
        /// The parameter's name.
        parameter: String,
    },
    /// An extension parameter given twice in one offer or acceptance.
    #[error("extension {extension:?}: parameter {parameter:?} is given twice")]
    DuplicateParameter {
        /// The extension's name.
        extension: String,
        /// The parameter's name.
        parameter: String,
    },
    /// A header name that is not a token.
    #[error("header name {0:?} is not a token")]
    HeaderName(String),
    /// A header value that is not printable ASCII with inner spaces and tabs.
    #[error("value of header {0:?} is not printable ASCII")]
    HeaderValue(String),
    /// A header the handshake writes itself, or that would change how the message is framed.
    #[error("header {0:?} is written by the handshake itself")]
    ReservedHeader(String),
    /// A subprotocol the client did not offer (section 4.2.2).
    #[error("subprotocol {0:?} was not offered by the client")]
    UnofferedProtocol(String),
    /// An extension the client did not offer (section 9.1).
    #[error("extension {0:?} was not offered by the client")]
    UnofferedExtension(String),
    /// An extension accepted twice.
    #[error("extension {0:?} is accepted twice")]
    DuplicateExtension(String),
    /// A refusal status outside 300-599.
    #[error("status {0} is not a redirect or an error")]
    Status(u16),
    /// A reason phrase with characters a status line may not hold.
    #[error("reason phrase {0:?} is not printable ASCII")]
    Reason(String),
}

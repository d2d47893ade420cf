//! The server's side (RFC 6455 section 4.2): read and check the request, then answer
//! 101 with what it selected from the client's offers, or refuse.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::error::{FieldError, HandshakeError};
use super::extension::{self, Extension};
use super::grammar::{first_repeat, is_host, is_reason_phrase, is_token};
use super::head::{Fields, borrowed, check_headers, head_len, write_field, write_refusal};
use super::{HandshakeLimits, VERSION, accept_key};

/// A checked client upgrade request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The request target, e.g. `/xmpp-websocket`.
    pub path: String,
    /// The `Host` header: a URI host and an optional port.
    pub host: String,
    /// The `Sec-WebSocket-Key` header (base64 of 16 bytes).
    pub key: String,
    /// The `Origin` header, which browsers always send.
    pub origin: Option<String>,
    /// Subprotocols offered (tokens), in the client's order of preference.
    pub protocols: Vec<String>,
    /// Extensions offered, in the client's order of preference. One extension may be
    /// offered several times, with alternative parameters.
    pub extensions: Vec<Extension>,
    /// Every header as received, for what the handshake itself does not look at.
    pub headers: Vec<(String, String)>,
}

/// Reads a client's upgrade request from the front of `input`.
///
/// `Ok(None)` means the head is not complete yet. On success, returns the request and
/// the number of bytes it took; on failure, answer with [`HandshakeError::write_response`].
pub fn parse_request(
    input: &[u8],
    limits: &HandshakeLimits,
) -> Result<Option<(Request, usize)>, HandshakeError> {
    let mut headers = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut req = httparse::Request::new(&mut headers);
    let parsed = req.parse(input);
    let Some(head_len) = head_len(parsed, input.len(), limits)? else {
        return Ok(None);
    };
    if req.method != Some("GET") {
        return Err(HandshakeError::NotGet);
    }
    if req.version != Some(1) {
        return Err(HandshakeError::OldHttp);
    }
    let fields = Fields(req.headers);
    // RFC 7230 section 5.4: exactly one Host, with a valid value.
    let host = fields.required("Host")?;
    if !is_host(host) {
        return Err(HandshakeError::BadHeader("Host"));
    }
    if !fields.has_token("upgrade", "websocket") {
        return Err(HandshakeError::BadHeader("Upgrade"));
    }
    if !fields.has_token("connection", "upgrade") {
        return Err(HandshakeError::BadHeader("Connection"));
    }
    let key = fields.required("Sec-WebSocket-Key")?;
    let key_ok = BASE64.decode(key).map(|k| k.len() == 16).unwrap_or(false);
    if !key_ok {
        return Err(HandshakeError::BadHeader("Sec-WebSocket-Key"));
    }
    let version = fields.required("Sec-WebSocket-Version")?;
    if version != VERSION {
        return Err(HandshakeError::UnsupportedVersion(version.to_owned()));
    }
    let request = Request {
        path: req.path.unwrap_or("/").to_owned(),
        host: host.to_owned(),
        key: key.to_owned(),
        origin: fields.single("Origin")?.map(str::to_owned),
        protocols: fields.tokens("Sec-WebSocket-Protocol")?,
        extensions: fields.extensions()?,
        headers: fields.all(),
    };
    Ok(Some((request, head_len)))
}

/// What a server answers an acceptable request with: the subprotocol it selected, the
/// extensions it accepted (with the parameters it chose), and any further headers.
/// [`Request::write_accept`] checks each against the request.
///
/// ```
/// use chatwire_websocket::handshake::{Accept, Extension};
///
/// let accept = Accept::new()
///     .with_protocol("xmpp")
///     .with_extension(Extension::new("permessage-deflate").with_param_value("client_max_window_bits", "10"));
/// # let _ = accept;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Accept {
    /// The selected subprotocol: one the client offered.
    pub protocol: Option<String>,
    /// The accepted extensions, in the order they apply: each one the client offered,
    /// each at most once.
    pub extensions: Vec<Extension>,
    /// Further headers, e.g. `Set-Cookie`. Names the 101 carries anyway are refused.
    pub headers: Vec<(String, String)>,
}

impl Accept {
    /// An acceptance that selects no subprotocol and no extension.
    pub fn new() -> Self {
        Self::default()
    }

    /// Selects `protocol`.
    pub fn with_protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocol = Some(protocol.into());
        self
    }

    /// Accepts one more extension, applied after those already accepted.
    pub fn with_extension(mut self, extension: Extension) -> Self {
        self.extensions.push(extension);
        self
    }

    /// Adds a further header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Response headers the 101 carries anyway, or that a 1xx response may not carry.
const RESERVED_RESPONSE_HEADERS: &[&str] = &[
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Accept",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
    "Content-Length",
    "Transfer-Encoding",
];

impl Request {
    /// Whether the client offered subprotocol `name` (compared exactly, section 4.1).
    pub fn offers_protocol(&self, name: &str) -> bool {
        self.protocols.iter().any(|p| p == name)
    }

    /// The client's offers of extension `name`, most preferred first.
    pub fn extension_offers<'r>(
        &'r self,
        name: &'r str,
    ) -> impl Iterator<Item = &'r Extension> + 'r {
        self.extensions.iter().filter(move |e| e.name == name)
    }

    /// Appends the 101 answer to `out` (section 4.2.2), or refuses, writing nothing, if
    /// `accept` selects a subprotocol or extension the client did not offer, accepts an
    /// extension twice, or holds a value that cannot be written.
    pub fn write_accept(&self, accept: &Accept, out: &mut Vec<u8>) -> Result<(), FieldError> {
        self.check(accept)?;
        out.extend_from_slice(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
        );
        write_field(out, "Sec-WebSocket-Accept", &accept_key(&self.key));
        if let Some(protocol) = &accept.protocol {
            write_field(out, "Sec-WebSocket-Protocol", protocol);
        }
        if !accept.extensions.is_empty() {
            out.extend_from_slice(b"Sec-WebSocket-Extensions: ");
            extension::put_list(accept.extensions.iter(), out);
            out.extend_from_slice(b"\r\n");
        }
        for (name, value) in &accept.headers {
            write_field(out, name, value);
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// Everything [`Request::write_accept`] refuses.
    fn check(&self, accept: &Accept) -> Result<(), FieldError> {
        if let Some(protocol) = &accept.protocol {
            if !is_token(protocol) {
                return Err(FieldError::Protocol(protocol.clone()));
            }
            if !self.offers_protocol(protocol) {
                return Err(FieldError::UnofferedProtocol(protocol.clone()));
            }
        }
        for extension in &accept.extensions {
            extension.check()?;
            if self.extension_offers(&extension.name).next().is_none() {
                return Err(FieldError::UnofferedExtension(extension.name.clone()));
            }
        }
        if let Some(name) = first_repeat(accept.extensions.iter().map(|e| e.name.as_str())) {
            return Err(FieldError::DuplicateExtension(name.to_owned()));
        }
        check_headers(borrowed(&accept.headers), RESERVED_RESPONSE_HEADERS)
    }
}

/// Appends a refusal (`status`, `reason`, extra headers, empty body, connection closed)
/// to `out`, or refuses, writing nothing, if the status is not 300-599, the reason
/// phrase has control characters, or a header cannot be written.
pub fn write_reject(
    status: u16,
    reason: &str,
    headers: &[(&str, &str)],
    out: &mut Vec<u8>,
) -> Result<(), FieldError> {
    if !(300..=599).contains(&status) {
        return Err(FieldError::Status(status));
    }
    if !is_reason_phrase(reason) {
        return Err(FieldError::Reason(reason.to_owned()));
    }
    check_headers(
        headers.iter().copied(),
        &["Connection", "Content-Length", "Transfer-Encoding"],
    )?;
    write_refusal(status, reason, headers, out);
    Ok(())
}

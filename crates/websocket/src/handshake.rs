//! The opening handshake (RFC 6455 section 4), both roles.
//!
//! Client: [`ClientHandshake::new`] writes the upgrade request, then
//! [`ClientHandshake::handle_response`] checks the server's answer. Server:
//! [`parse_request`] reads and checks the request; [`Request::write_accept`]
//! answers 101, and [`HandshakeError::write_response`] answers 400 or 426.
//! Both parsers take the bytes received so far and say how many they used:
//! whatever follows belongs to the WebSocket connection.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::{Digest, Sha1};

/// The GUID appended to the key before hashing (section 1.3).
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The only protocol version this crate speaks (section 4.1).
pub const VERSION: &str = "13";

/// Bounds on a handshake message, checked before it is parsed further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeLimits {
    /// Largest request or response head, in bytes, up to and including the blank line.
    pub max_head_size: usize,
    /// Most header fields.
    pub max_headers: usize,
}

impl Default for HandshakeLimits {
    fn default() -> Self {
        Self {
            max_head_size: 8192,
            max_headers: 64,
        }
    }
}

/// Why a handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The bytes are not an HTTP/1.1 message head.
    #[error("malformed HTTP: {0}")]
    Malformed(String),
    /// The head is larger than [`HandshakeLimits`] allow.
    #[error("handshake head too large")]
    TooLarge,
    /// A request whose method is not GET.
    #[error("method is not GET")]
    NotGet,
    /// A message older than HTTP/1.1.
    #[error("HTTP version below 1.1")]
    OldHttp,
    /// A header the handshake requires is missing or holds the wrong value.
    #[error("missing or wrong header: {0}")]
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
    /// The server accepted an extension the client did not offer.
    #[error("server accepted an extension that was not offered: {0}")]
    UnofferedExtension(String),
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
            Self::UnsupportedVersion(_) => write_reject(
                426,
                "Upgrade Required",
                &[("Sec-WebSocket-Version", VERSION)],
                out,
            ),
            Self::TooLarge => write_reject(431, "Request Header Fields Too Large", &[], out),
            _ => write_reject(400, "Bad Request", &[], out),
        }
    }
}

/// An extension offered or accepted in `Sec-WebSocket-Extensions` (section 9.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extension {
    /// The extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// Its parameters, with the value unquoted where one is given.
    pub params: Vec<(String, Option<String>)>,
}

/// A checked client upgrade request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The request target, e.g. `/xmpp-websocket`.
    pub path: String,
    /// The `Host` header.
    pub host: String,
    /// The `Sec-WebSocket-Key` header (base64 of 16 bytes).
    pub key: String,
    /// The `Origin` header, which browsers always send.
    pub origin: Option<String>,
    /// Subprotocols offered, in the client's order of preference.
    pub protocols: Vec<String>,
    /// Extensions offered, in the client's order of preference.
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
    let head_len = match req.parse(input) {
        Ok(httparse::Status::Complete(n)) if n <= limits.max_head_size => n,
        Ok(httparse::Status::Partial) if input.len() <= limits.max_head_size => return Ok(None),
        Ok(_) | Err(httparse::Error::TooManyHeaders) => return Err(HandshakeError::TooLarge),
        Err(e) => return Err(HandshakeError::Malformed(e.to_string())),
    };
    if req.method != Some("GET") {
        return Err(HandshakeError::NotGet);
    }
    if req.version != Some(1) {
        return Err(HandshakeError::OldHttp);
    }
    let fields = Fields(req.headers);
    let host = fields
        .one("host")
        .ok_or(HandshakeError::BadHeader("Host"))?;
    if !fields.has_token("upgrade", "websocket") {
        return Err(HandshakeError::BadHeader("Upgrade"));
    }
    if !fields.has_token("connection", "upgrade") {
        return Err(HandshakeError::BadHeader("Connection"));
    }
    let key = fields
        .one("sec-websocket-key")
        .ok_or(HandshakeError::BadHeader("Sec-WebSocket-Key"))?;
    let key_ok = BASE64
        .decode(key.trim())
        .map(|k| k.len() == 16)
        .unwrap_or(false);
    if !key_ok {
        return Err(HandshakeError::BadHeader("Sec-WebSocket-Key"));
    }
    let version = fields
        .one("sec-websocket-version")
        .ok_or(HandshakeError::BadHeader("Sec-WebSocket-Version"))?;
    if version.trim() != VERSION {
        return Err(HandshakeError::UnsupportedVersion(
            version.trim().to_owned(),
        ));
    }
    let request = Request {
        path: req.path.unwrap_or("/").to_owned(),
        host: host.trim().to_owned(),
        key: key.trim().to_owned(),
        origin: fields.one("origin").map(|o| o.trim().to_owned()),
        protocols: fields.list("sec-websocket-protocol"),
        extensions: parse_extensions(&fields.list("sec-websocket-extensions")),
        headers: fields.all(),
    };
    Ok(Some((request, head_len)))
}

impl Request {
    /// Whether the client offered subprotocol `name` (compared exactly, section 4.1).
    pub fn offers_protocol(&self, name: &str) -> bool {
        self.protocols.iter().any(|p| p == name)
    }

    /// Appends the 101 answer to `out`, selecting `protocol` (which must be one the client
    /// offered) and accepting `extensions` (a `Sec-WebSocket-Extensions` value).
    pub fn write_accept(
        &self,
        protocol: Option<&str>,
        extensions: Option<&str>,
        out: &mut Vec<u8>,
    ) {
        let accept = accept_key(&self.key);
        out.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ");
        out.extend_from_slice(accept.as_bytes());
        out.extend_from_slice(b"\r\n");
        if let Some(protocol) = protocol {
            write_header(out, "Sec-WebSocket-Protocol", protocol);
        }
        if let Some(extensions) = extensions {
            write_header(out, "Sec-WebSocket-Extensions", extensions);
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends a refusal (`status`, `reason`, extra headers, empty body, connection closed) to `out`.
pub fn write_reject(status: u16, reason: &str, headers: &[(&str, &str)], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("HTTP/1.1 {status} {reason}\r\n").as_bytes());
    for (name, value) in headers {
        write_header(out, name, value);
    }
    out.extend_from_slice(b"Connection: close\r\nContent-Length: 0\r\n\r\n");
}

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (section 4.2.2, step 5.4).
pub fn accept_key(key: &str) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key.as_bytes());
    sha1.update(ACCEPT_GUID.as_bytes());
    BASE64.encode(sha1.finalize())
}

/// What a client asks for in its upgrade request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientRequest {
    /// The `Host` header: host, and port if not the default.
    pub host: String,
    /// The request target, e.g. `/xmpp-websocket`.
    pub path: String,
    /// Subprotocols to offer, most preferred first (e.g. `xmpp` for RFC 7395).
    pub protocols: Vec<String>,
    /// A `Sec-WebSocket-Extensions` value to offer.
    pub extensions: Option<String>,
    /// Further headers, e.g. `Origin` or `Authorization`.
    pub headers: Vec<(String, String)>,
}

/// The client side of the handshake: writes the request, checks the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHandshake {
    key: String,
    protocols: Vec<String>,
    extension_names: Vec<String>,
    limits: HandshakeLimits,
}

/// The server's acceptance, as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The subprotocol the server selected, if any.
    pub protocol: Option<String>,
    /// The extensions the server accepted, with their parameters.
    pub extensions: Vec<Extension>,
    /// Every header as received.
    pub headers: Vec<(String, String)>,
}

impl ClientHandshake {
    /// Appends the upgrade request for `request` to `out`. `nonce` must be 16 fresh random
    /// bytes (section 4.1: the key is a randomly selected nonce).
    pub fn new(request: &ClientRequest, nonce: [u8; 16], out: &mut Vec<u8>) -> Self {
        let key = BASE64.encode(nonce);
        let path = if request.path.is_empty() {
            "/"
        } else {
            request.path.as_str()
        };
        out.extend_from_slice(format!("GET {path} HTTP/1.1\r\n").as_bytes());
        write_header(out, "Host", &request.host);
        out.extend_from_slice(b"Upgrade: websocket\r\nConnection: Upgrade\r\n");
        write_header(out, "Sec-WebSocket-Key", &key);
        write_header(out, "Sec-WebSocket-Version", VERSION);
        if !request.protocols.is_empty() {
            write_header(out, "Sec-WebSocket-Protocol", &request.protocols.join(", "));
        }
        if let Some(extensions) = &request.extensions {
            write_header(out, "Sec-WebSocket-Extensions", extensions);
        }
        for (name, value) in &request.headers {
            write_header(out, name, value);
        }
        out.extend_from_slice(b"\r\n");
        let offered = request
            .extensions
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>();
        Self {
            key,
            protocols: request.protocols.clone(),
            extension_names: parse_extensions(&split_list(&offered))
                .into_iter()
                .map(|e| e.name)
                .collect(),
            limits: HandshakeLimits::default(),
        }
    }

    /// Sets the bounds on the response head.
    pub fn with_limits(mut self, limits: HandshakeLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Reads the server's answer from the front of `input`.
    ///
    /// `Ok(None)` means the head is not complete yet. On success, returns what the server
    /// accepted and the number of bytes the head took (WebSocket frames may follow).
    pub fn handle_response(
        &self,
        input: &[u8],
    ) -> Result<Option<(Response, usize)>, HandshakeError> {
        let mut headers = vec![httparse::EMPTY_HEADER; self.limits.max_headers];
        let mut resp = httparse::Response::new(&mut headers);
        let head_len = match resp.parse(input) {
            Ok(httparse::Status::Complete(n)) if n <= self.limits.max_head_size => n,
            Ok(httparse::Status::Partial) if input.len() <= self.limits.max_head_size => {
                return Ok(None);
            }
            Ok(_) | Err(httparse::Error::TooManyHeaders) => return Err(HandshakeError::TooLarge),
            Err(e) => return Err(HandshakeError::Malformed(e.to_string())),
        };
        if resp.version != Some(1) {
            return Err(HandshakeError::OldHttp);
        }
        let status = resp.code.unwrap_or(0);
        if status != 101 {
            return Err(HandshakeError::Status(status));
        }
        let fields = Fields(resp.headers);
        if !fields.has_token("upgrade", "websocket") {
            return Err(HandshakeError::BadHeader("Upgrade"));
        }
        if !fields.has_token("connection", "upgrade") {
            return Err(HandshakeError::BadHeader("Connection"));
        }
        let accept = fields
            .one("sec-websocket-accept")
            .ok_or(HandshakeError::BadHeader("Sec-WebSocket-Accept"))?;
        if accept.trim() != accept_key(&self.key) {
            return Err(HandshakeError::BadAccept);
        }
        let protocol = match fields.list("sec-websocket-protocol").as_slice() {
            [] => None,
            [one] if self.protocols.contains(one) => Some(one.clone()),
            [one] => return Err(HandshakeError::UnofferedProtocol(one.clone())),
            _ => return Err(HandshakeError::BadHeader("Sec-WebSocket-Protocol")),
        };
        let extensions = parse_extensions(&fields.list("sec-websocket-extensions"));
        if let Some(unoffered) = extensions
            .iter()
            .find(|e| !self.extension_names.contains(&e.name))
        {
            return Err(HandshakeError::UnofferedExtension(unoffered.name.clone()));
        }
        let response = Response {
            protocol,
            extensions,
            headers: fields.all(),
        };
        Ok(Some((response, head_len)))
    }
}

/// Header lookups over a parsed head; names compare case-insensitively.
struct Fields<'h, 'b>(&'h [httparse::Header<'b>]);

impl Fields<'_, '_> {
    /// The value of the first field called `name`, if it is UTF-8.
    fn one(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
    }

    /// The comma-separated items of every field called `name`, trimmed, empty ones dropped.
    fn list(&self, name: &str) -> Vec<String> {
        let values: Vec<&str> = self
            .0
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .filter_map(|h| std::str::from_utf8(h.value).ok())
            .collect();
        split_list(&values)
    }

    /// Whether some field called `name` lists `token` (case-insensitively).
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.list(name)
            .iter()
            .any(|t| t.eq_ignore_ascii_case(token))
    }

    fn all(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect()
    }
}

/// Splits comma-separated header values into trimmed, non-empty items.
fn split_list(values: &[&str]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses extension items (`name; param; param=value; param="quoted"`).
fn parse_extensions(items: &[String]) -> Vec<Extension> {
    items
        .iter()
        .filter_map(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().filter(|n| !n.is_empty())?.to_owned();
            let params = parts
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (
                        k.trim().to_owned(),
                        Some(v.trim().trim_matches('"').to_owned()),
                    ),
                    None => (p.to_owned(), None),
                })
                .collect();
            Some(Extension { name, params })
        })
        .collect()
}

/// Appends one header line; CR and LF are dropped so a value cannot end the line early.
fn write_header(out: &mut Vec<u8>, name: &str, value: &str) {
    let clean = |s: &str| {
        s.bytes()
            .filter(|b| *b != b'\r' && *b != b'\n')
            .collect::<Vec<u8>>()
    };
    out.extend_from_slice(&clean(name));
    out.extend_from_slice(b": ");
    out.extend_from_slice(&clean(value));
    out.extend_from_slice(b"\r\n");
}

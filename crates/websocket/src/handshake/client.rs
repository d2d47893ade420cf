//! The client's side (RFC 6455 section 4.1): write the upgrade request, then check
//! the server's answer against what was offered.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::error::{FieldError, HandshakeError};
use super::extension::{self, Extension, ExtensionOffer};
use super::grammar::{first_repeat, is_host, is_origin, is_request_target, is_token};
use super::head::{Fields, borrowed, check_headers, head_len, write_field};
use super::{HandshakeLimits, VERSION, accept_key};

/// What a client asks for in its upgrade request. Every field is checked when the
/// request is written ([`ClientHandshake::new`]), which refuses rather than writes a
/// value that does not fit its header.
///
/// ```
/// use chatwire_websocket::handshake::{ClientRequest, Extension, ExtensionOffer};
///
/// let request = ClientRequest::new("chat.example:5280", "/xmpp-websocket")
///     .with_origin("https://chat.example")
///     .with_protocol("xmpp")
///     .with_extension(
///         ExtensionOffer::new(Extension::new("permessage-deflate").with_param("client_max_window_bits"))
///             .with_response_param("server_no_context_takeover"),
///     );
/// # let _ = request;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientRequest {
    /// The `Host` header: host, and port if not the default (`[::1]:8080` for IPv6).
    pub host: String,
    /// The request target: an absolute path and an optional query, percent-encoded
    /// (e.g. `/xmpp-websocket`). Empty means `/`.
    pub path: String,
    /// The `Origin` header (`scheme://host[:port]` or `null`), which browsers always send.
    pub origin: Option<String>,
    /// Subprotocols to offer, most preferred first (e.g. `xmpp` for RFC 7395): distinct tokens.
    pub protocols: Vec<String>,
    /// Extensions to offer, most preferred first.
    pub extensions: Vec<ExtensionOffer>,
    /// Further headers, e.g. `Authorization`. Names the handshake writes itself (and
    /// `Origin`, which has its own field) are refused.
    pub headers: Vec<(String, String)>,
}

impl ClientRequest {
    /// A request for `path` on `host`, offering nothing.
    pub fn new(host: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            path: path.into(),
            ..Self::default()
        }
    }

    /// Sets the `Origin` header.
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Offers one more subprotocol, after those already offered.
    pub fn with_protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    /// Offers one more extension, after those already offered.
    pub fn with_extension(mut self, offer: impl Into<ExtensionOffer>) -> Self {
        self.extensions.push(offer.into());
        self
    }

    /// Adds a further header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The request target as written: the path, or `/` if it is empty.
    fn target(&self) -> &str {
        if self.path.is_empty() {
            "/"
        } else {
            &self.path
        }
    }

    /// Everything [`ClientHandshake::new`] refuses.
    fn check(&self) -> Result<(), FieldError> {
        if !is_request_target(self.target()) {
            return Err(FieldError::Path(self.path.clone()));
        }
        if !is_host(&self.host) {
            return Err(FieldError::Host(self.host.clone()));
        }
        if let Some(origin) = self.origin.as_ref().filter(|o| !is_origin(o)) {
            return Err(FieldError::Origin(origin.clone()));
        }
        if let Some(protocol) = self.protocols.iter().find(|p| !is_token(p)) {
            return Err(FieldError::Protocol(protocol.clone()));
        }
        if let Some(protocol) = first_repeat(self.protocols.iter().map(String::as_str)) {
            return Err(FieldError::DuplicateProtocol(protocol.to_owned()));
        }
        for offer in &self.extensions {
            offer.extension.check()?;
        }
        check_headers(borrowed(&self.headers), RESERVED_REQUEST_HEADERS)
    }
}

/// Request headers the client writes itself, or that would give a GET a body.
const RESERVED_REQUEST_HEADERS: &[&str] = &[
    "Host",
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
    "Origin",
    "Content-Length",
    "Transfer-Encoding",
];

/// The client side of the handshake: writes the request, checks the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHandshake {
    key: String,
    protocols: Vec<String>,
    offers: Vec<ExtensionOffer>,
    limits: HandshakeLimits,
}

/// The server's acceptance, as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The subprotocol the server selected, if any.
    pub protocol: Option<String>,
    /// The extensions the server accepted, in the order it listed them (the order
    /// they apply in, section 9.1), each checked against the offers.
    pub extensions: Vec<Extension>,
    /// Every header as received.
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// The accepted extension called `name`, if the server accepted it.
    pub fn extension(&self, name: &str) -> Option<&Extension> {
        self.extensions.iter().find(|e| e.name == name)
    }
}

impl ClientHandshake {
    /// Appends the upgrade request for `request` to `out`. `nonce` must be 16 fresh random
    /// bytes (section 4.1: the key is a randomly selected nonce).
    ///
    /// Refuses, writing nothing, if a field of `request` cannot be written as it is.
    pub fn new(
        request: &ClientRequest,
        nonce: [u8; 16],
        out: &mut Vec<u8>,
    ) -> Result<Self, FieldError> {
        request.check()?;
        let key = BASE64.encode(nonce);
        out.extend_from_slice(format!("GET {} HTTP/1.1\r\n", request.target()).as_bytes());
        write_field(out, "Host", &request.host);
        out.extend_from_slice(b"Upgrade: websocket\r\nConnection: Upgrade\r\n");
        write_field(out, "Sec-WebSocket-Key", &key);
        write_field(out, "Sec-WebSocket-Version", VERSION);
        if let Some(origin) = &request.origin {
            write_field(out, "Origin", origin);
        }
        if !request.protocols.is_empty() {
            write_field(out, "Sec-WebSocket-Protocol", &request.protocols.join(", "));
        }
        if !request.extensions.is_empty() {
            out.extend_from_slice(b"Sec-WebSocket-Extensions: ");
            extension::put_list(request.extensions.iter().map(|o| &o.extension), out);
            out.extend_from_slice(b"\r\n");
        }
        for (name, value) in &request.headers {
            write_field(out, name, value);
        }
        out.extend_from_slice(b"\r\n");
        Ok(Self {
            key,
            protocols: request.protocols.clone(),
            offers: request.extensions.clone(),
            limits: HandshakeLimits::default(),
        })
    }

    /// Sets the bounds on the response head.
    pub fn with_limits(mut self, limits: HandshakeLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The extension offers the request carried, for an extension to read its own
    /// offer when it interprets the acceptance.
    pub fn offers(&self) -> &[ExtensionOffer] {
        &self.offers
    }

    /// Reads the server's answer from the front of `input`.
    ///
    /// `Ok(None)` means the head is not complete yet. On success, returns what the server
    /// accepted and the number of bytes the head took (WebSocket frames may follow).
    /// Any error means the client must fail the connection (section 4.1).
    pub fn handle_response(
        &self,
        input: &[u8],
    ) -> Result<Option<(Response, usize)>, HandshakeError> {
        let mut headers = vec![httparse::EMPTY_HEADER; self.limits.max_headers];
        let mut resp = httparse::Response::new(&mut headers);
        let parsed = resp.parse(input);
        let Some(head_len) = head_len(parsed, input.len(), &self.limits)? else {
            return Ok(None);
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
        if fields.required("Sec-WebSocket-Accept")? != accept_key(&self.key) {
            return Err(HandshakeError::BadAccept);
        }
        let protocol = self.selected_protocol(&fields)?;
        let extensions = fields.extensions()?;
        extension::check_acceptance(&self.offers, &extensions)?;
        let response = Response {
            protocol,
            extensions,
            headers: fields.all(),
        };
        Ok(Some((response, head_len)))
    }

    /// The subprotocol the server selected: at most one field holding one token, which
    /// the client offered (section 4.1, item 6 of the response checks).
    fn selected_protocol(&self, fields: &Fields<'_, '_>) -> Result<Option<String>, HandshakeError> {
        const NAME: &str = "Sec-WebSocket-Protocol";
        let Some(value) = fields.single(NAME)? else {
            return Ok(None);
        };
        if !is_token(value) {
            return Err(HandshakeError::BadHeader(NAME));
        }
        if !self.protocols.iter().any(|p| p == value) {
            return Err(HandshakeError::UnofferedProtocol(value.to_owned()));
        }
        Ok(Some(value.to_owned()))
    }
}

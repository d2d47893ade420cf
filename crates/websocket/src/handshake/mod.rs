//! The opening handshake (RFC 6455 section 4), both roles, with subprotocol and
//! extension negotiation (section 9.1).
//!
//! Client: [`ClientHandshake::new`] writes the upgrade request for a [`ClientRequest`],
//! then [`ClientHandshake::handle_response`] checks the server's answer against what
//! was offered. Server: [`parse_request`] reads and checks the request;
//! [`Request::write_accept`] answers 101 with an [`Accept`], and
//! [`HandshakeError::write_response`] answers 400, 426 or 431.
//!
//! Both parsers take the bytes received so far and say how many they used: whatever
//! follows belongs to the WebSocket connection. Both writers check every value against
//! the grammar of its header and refuse ([`FieldError`]) rather than write it
//! malformed.
//!
//! An extension negotiation from end to end (RFC 7692's `permessage-deflate` here; what
//! its parameters mean is the extension's business):
//!
//! ```
//! use chatwire_websocket::handshake::{
//!     Accept, ClientHandshake, ClientRequest, Extension, ExtensionOffer, HandshakeLimits,
//!     parse_request,
//! };
//!
//! // The client offers deflate and lets the server add `server_no_context_takeover`.
//! let offer = Extension::new("permessage-deflate").with_param("client_max_window_bits");
//! let request = ClientRequest::new("chat.example", "/chat")
//!     .with_protocol("xmpp")
//!     .with_extension(ExtensionOffer::new(offer).with_response_param("server_no_context_takeover"));
//! let mut wire = Vec::new();
//! let client = ClientHandshake::new(&request, *b"the sample nonce", &mut wire)?;
//!
//! // The server reads the offer and accepts it with parameters of its choosing.
//! let (request, _) = parse_request(&wire, &HandshakeLimits::default())?.expect("complete");
//! let offered = request.extension_offers("permessage-deflate").next().expect("offered");
//! assert_eq!(offered.param("client_max_window_bits"), Some(None));
//! let accept = Accept::new().with_protocol("xmpp").with_extension(
//!     Extension::new("permessage-deflate")
//!         .with_param_value("client_max_window_bits", "10")
//!         .with_param("server_no_context_takeover"),
//! );
//! wire.clear();
//! request.write_accept(&accept, &mut wire)?;
//!
//! // The client checks the acceptance against its offers.
//! let (response, used) = client.handle_response(&wire)?.expect("complete");
//! assert_eq!(used, wire.len());
//! let deflate = response.extension("permessage-deflate").expect("accepted");
//! assert_eq!(deflate.param("client_max_window_bits"), Some(Some("10")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::{Digest, Sha1};

mod client;
mod error;
mod extension;
mod grammar;
mod head;
mod server;

pub use client::{ClientHandshake, ClientRequest, Response};
pub use error::{ExtensionSyntaxError, FieldError, HandshakeError};
pub use extension::{Extension, ExtensionOffer, parse_extensions, write_extensions};
pub use server::{Accept, Request, parse_request, write_reject};

/// The GUID appended to the key before hashing (section 1.3).
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The only protocol version this crate speaks (section 4.1).
pub const VERSION: &str = "13";

/// Bounds on a handshake message, checked before it is parsed further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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

impl HandshakeLimits {
    /// Sets the largest head, in bytes.
    pub fn with_max_head_size(mut self, bytes: usize) -> Self {
        self.max_head_size = bytes;
        self
    }

    /// Sets the most header fields.
    pub fn with_max_headers(mut self, count: usize) -> Self {
        self.max_headers = count;
        self
    }
}

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (section 4.2.2, step 5.4).
pub fn accept_key(key: &str) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key.as_bytes());
    sha1.update(ACCEPT_GUID.as_bytes());
    BASE64.encode(sha1.finalize())
}

//! `permessage-deflate` (RFC 7692): negotiation in both roles and per-message
//! compression, behind the `deflate` feature.
//!
//! The server calls [`DeflateConfig::negotiate`] on the parsed request and puts the
//! extension it returns in its [`Accept`](crate::handshake::Accept); the client
//! offers [`DeflateConfig::offer`] and checks the answer with
//! [`DeflateConfig::check_response`]. Either side then hands the agreed
//! [`DeflateParams`] to [`Connection::with_deflate`](crate::Connection::with_deflate).
//!
//! ```
//! use std::time::Instant;
//! use chatwire_websocket::handshake::{
//!     Accept, ClientHandshake, ClientRequest, HandshakeLimits, parse_request,
//! };
//! use chatwire_websocket::{Config, Connection, DeflateConfig, Event};
//!
//! let deflate = DeflateConfig::default();
//! let mut wire = Vec::new();
//! let request = ClientRequest::new("chat.example", "/").with_extension(deflate.offer());
//! let client = ClientHandshake::new(&request, *b"the sample nonce", &mut wire)?;
//!
//! let (request, _) = parse_request(&wire, &HandshakeLimits::default())?.expect("complete");
//! let (extension, server_params) = deflate.negotiate(&request).expect("offered");
//! wire.clear();
//! request.write_accept(&Accept::new().with_extension(extension), &mut wire)?;
//!
//! let (response, _) = client.handle_response(&wire)?.expect("complete");
//! let client_params = deflate.check_response(&response)?.expect("accepted");
//!
//! let now = Instant::now();
//! let mut client = Connection::client(now, Config::default(), || [1, 2, 3, 4])
//!     .with_deflate(client_params);
//! let mut server = Connection::server(now, Config::default()).with_deflate(server_params);
//! let text = "<message to='juliet@example.com'><body>Wherefore art thou?</body></message>";
//! client.send_text(&text.repeat(4))?;
//! wire.clear();
//! client.poll_transmit(&mut wire);
//! assert!(wire.len() < 2 * text.len()); // four copies in the space of two
//! server.handle_input(now, &wire)?;
//! assert_eq!(server.poll_event(), Some(Event::Text(text.repeat(4).into())));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Memory
//!
//! Compression state is the bulk of what a connection holds, so it is made only
//! when needed and freed when it is not: the compressor on the first message at
//! or above [`DeflateConfig::threshold`], the decompressor on the first compressed
//! message received; a direction without context takeover frees its state after
//! each message. [`DeflateConfig::low_memory`] asks for that on the server's side
//! and for small windows. docs/benchmarks.md lists the sizes measured.
//!
//! # Limits
//!
//! Inflated bytes count against
//! [`Limits::max_message_size`](crate::Limits::max_message_size) as they are
//! produced, a bounded chunk at a time: a small message that inflates past the
//! limit fails the connection with 1009 without the rest being inflated. Text is
//! checked for UTF-8 as it is inflated.

mod codec;
mod negotiation;

pub(crate) use codec::Deflate;
pub use negotiation::{
    DeflateError, DeflateParams, MAX_WINDOW_BITS, MIN_WINDOW_BITS, PERMESSAGE_DEFLATE,
};

/// How this side negotiates and compresses.
///
/// `#[non_exhaustive]`: start from [`DeflateConfig::default`] or
/// [`DeflateConfig::low_memory`] and chain the `with_*` setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// Ask that the server reset its compressor after every message: a server
    /// then frees the compressor between messages (default off).
    pub server_no_context_takeover: bool,
    /// Client role: offer `client_no_context_takeover`, a promise to reset the
    /// compressor after every message whatever the answer (RFC 7692 section
    /// 7.1.1.2; some servers accept only offers that carry it). Server role: ask
    /// for it in every acceptance, and free the decompressor between messages.
    /// Default off.
    pub client_no_context_takeover: bool,
    /// Largest server window to agree to, 8 to 15 (default 15).
    pub server_max_window_bits: u8,
    /// Largest client window to agree to, 8 to 15 (default 15). A server can only
    /// impose it when the client offered `client_max_window_bits`.
    pub client_max_window_bits: u8,
    /// zlib compression level, 0 (stored) to 9 (smallest, slowest); default 6.
    pub level: u32,
    /// Messages shorter than this many bytes are sent uncompressed (default 64):
    /// deflate's framing costs more than it saves on a few bytes.
    pub threshold: usize,
}

impl Default for DeflateConfig {
    /// 32 KiB windows with context takeover both ways (best ratio), level 6.
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
            level: 6,
            threshold: 64,
        }
    }
}

impl DeflateConfig {
    /// For a server holding many connections: no context takeover on its own side
    /// (its compressor lives only while a message is compressed), 1 KiB windows,
    /// level 6, and messages under 128 bytes sent as they are.
    pub fn low_memory() -> Self {
        Self {
            server_no_context_takeover: true,
            client_no_context_takeover: false,
            server_max_window_bits: 10,
            client_max_window_bits: 10,
            level: 6,
            threshold: 128,
        }
    }

    /// Sets [`DeflateConfig::server_no_context_takeover`].
    pub fn with_server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = on;
        self
    }

    /// Sets [`DeflateConfig::client_no_context_takeover`].
    pub fn with_client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// Sets [`DeflateConfig::server_max_window_bits`] (clamped to 8..15).
    pub fn with_server_max_window_bits(mut self, bits: u8) -> Self {
        self.server_max_window_bits = bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        self
    }

    /// Sets [`DeflateConfig::client_max_window_bits`] (clamped to 8..15).
    pub fn with_client_max_window_bits(mut self, bits: u8) -> Self {
        self.client_max_window_bits = bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        self
    }

    /// Sets [`DeflateConfig::level`] (clamped to 0..9).
    pub fn with_level(mut self, level: u32) -> Self {
        self.level = level.min(9);
        self
    }

    /// Sets [`DeflateConfig::threshold`].
    pub fn with_threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }
}

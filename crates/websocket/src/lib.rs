//! A sans-IO WebSocket implementation (RFC 6455): frame codec, message layer,
//! connection state machine and opening handshake, for clients and servers.
//!
//! Nothing here touches a socket, a clock or a random source. Received bytes go
//! in, events and bytes to send come out; the current time and mask keys are
//! passed in by the caller.
//!
//! Covered: section 4 (opening handshake, both roles, every written value checked
//! against its header's grammar), section 9.1 (extension offers and acceptances, the
//! acceptance checked against the offers), section 5 (framing: header encoding with
//! minimal lengths, masking, fragmentation, control frames), section 7 (closing
//! handshake, close codes including those registered with IANA since, failing the
//! connection), section 8.1 (UTF-8, checked as it arrives, once: text comes out as
//! [`Utf8Bytes`]). With the `deflate` feature, RFC 7692 `permessage-deflate`:
//! negotiation in both roles and per-message compression, inflated bytes counted
//! against the message limit as they are produced (see [`deflate`]).
//!
//! Layers, each usable alone:
//! - [`FrameHeader`], [`FrameDecoder`], [`encode_frame`], [`apply_mask`]: the codec.
//! - [`Connection`]: reassembly, limits, ping/pong, close, keepalive, bounded memory.
//! - [`Config`] and [`Limits`]: its settings, with a preset for chat servers.
//! - [`handshake`]: the HTTP upgrade.
//! - `deflate` (feature): RFC 7692 negotiation and compression.
//!
//! ```
//! use std::time::Instant;
//! use chatwire_websocket::{Config, Connection, Event};
//!
//! // A client and a server, wired back to back in memory.
//! let now = Instant::now();
//! let mut client = Connection::client(now, Config::default(), || [0x12, 0x34, 0x56, 0x78]);
//! let mut server = Connection::server(now, Config::default());
//!
//! client.send_text("hello")?;
//! let mut wire = Vec::new();
//! client.poll_transmit(&mut wire);
//!
//! server.handle_input(now, &wire)?;
//! while let Some(event) = server.poll_event() {
//!     if let Event::Text(text) = event {
//!         server.send_text(text.as_str())?; // echo
//!     }
//! }
//! wire.clear();
//! server.poll_transmit(&mut wire);
//!
//! client.handle_input(now, &wire)?;
//! assert_eq!(client.poll_event(), Some(Event::Text("hello".into())));
//! # Ok::<(), chatwire_websocket::Error>(())
//! ```
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod close;
mod config;
mod connection;
mod decoder;
#[cfg(feature = "deflate")]
pub mod deflate;
mod encoder;
mod error;
mod frame;
pub mod handshake;
mod mask;
mod output;
mod reassembly;

pub use chatwire_utf8::{InvalidUtf8, Utf8Builder, Utf8Bytes, Utf8Stream};
pub use close::{
    CloseCode, CloseFrame, MAX_CLOSE_REASON, parse_close_payload, write_close_payload,
};
pub use config::{Config, Limits};
pub use connection::{Connection, Event, MaskSource, Role, State};
pub use decoder::{Decoded, FrameDecoder};
#[cfg(feature = "deflate")]
pub use deflate::{DeflateConfig, DeflateError, DeflateParams};
pub use encoder::{encode_frame, encode_frame_with_rsv};
pub use error::{Error, ProtocolError};
pub use frame::{FrameHeader, HeaderRules, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, OpCode, RSV1};
pub use mask::{apply_mask, mask_into};

/// The repository README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

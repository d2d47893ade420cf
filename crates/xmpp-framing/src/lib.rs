//! Sans-IO XMPP framing: RFC 7395 (XMPP over WebSocket) and the RFC 6120
//! XML stream over TCP, producing the same [`Event`]s through the same
//! verbs ([`Framing`]).
//!
//! Covered:
//! - RFC 7395 section 3.1 (the `xmpp` subprotocol: [`websocket::offers_xmpp`],
//!   [`websocket::check_selected_subprotocol`]), 3.2 (text messages only),
//!   3.3 (`<open/>`/`<close/>` in the framing namespace, one complete element
//!   per message, first byte `<`, on receipt and on sending), 3.4 (stream
//!   initiation: the client opens, the server answers once), 3.5 (stream
//!   errors, after our own `<open/>` when failing at open), 3.6 and 3.6.1
//!   (closing, `see-other-uri` without downgrade), 3.7 (restarts), 3.8 (no
//!   whitespace keepalives): [`WsFraming`], both roles.
//! - RFC 6120 sections 4.1-4.4 and 4.6.1 (stream header, who sends it
//!   first, top-level elements, whitespace keepalives, restarts, stream
//!   close), 4.7.5 (version), 4.8.2 (content namespace, kept across
//!   restarts), 4.9 (stream errors after our own header when failing at
//!   open, [`StreamErrorCondition`]), 11.1 (restricted XML: no DTD, comment,
//!   processing instruction, or entity reference other than the five
//!   predefined ones and character references), 11.5 (the XML declaration
//!   only before a header) and 11.6 (UTF-8): [`TcpFraming`], with
//!   [`TcpSplitter`] as its reading half, and the `tcp::write_*` functions.
//!
//! Every limit in [`Limits`] is enforced while bytes arrive, before they are
//! buffered; a billion-laughs document is refused at its `<!DOCTYPE`. Text
//! is checked for UTF-8 once: by the WebSocket layer (messages arrive as
//! [`chatwire_utf8::Utf8Bytes`]) or as TCP bytes arrive; elements come out
//! as `Utf8Bytes`, and output goes into a `String`. Once events and output
//! are drained, a framing object holds almost no memory whatever it carried:
//! its buffers shrink back, and an element pins at most twice its own size.
//!
//! The drive loop, here a WebSocket server:
//!
//! ```
//! use chatwire_utf8::Utf8Bytes;
//! use chatwire_xmpp_framing::websocket::{Config, WsFraming};
//! use chatwire_xmpp_framing::{Event, StreamHeader};
//!
//! let mut server = WsFraming::server(Config::new(true));
//! let received = [
//!     r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="1.0"/>"#,
//!     r#"<presence xmlns="jabber:client"/>"#,
//!     r#"<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>"#,
//! ];
//! let mut seen = Vec::new();
//! let mut out = String::new();
//! for message in received {
//!     // The WebSocket layer hands over text messages as `Utf8Bytes`.
//!     if let Err(error) = server.handle_message(Utf8Bytes::from_static(message)) {
//!         if let Some(condition) = error.condition() {
//!             server.stream_error(condition, None)?;
//!         }
//!     }
//!     while let Some(event) = server.poll_event() {
//!         match event {
//!             Event::StreamOpen(header) => {
//!                 let reply = StreamHeader::new()
//!                     .with_from(header.to.unwrap_or_default())
//!                     .with_id("abc");
//!                 server.open(&reply)?;
//!                 seen.push("open".to_owned());
//!             }
//!             Event::Element(element) => seen.push(element.local_name.to_string()),
//!             Event::StreamClose { .. } => seen.push("close".to_owned()),
//!             _ => {}
//!         }
//!     }
//!     while server.poll_transmit(&mut out) > 0 {
//!         // websocket.send_text(&out), then:
//!         out.clear();
//!     }
//! }
//! assert_eq!(seen, ["open", "presence", "close"]);
//! assert!(server.is_closed());
//! # Ok::<(), chatwire_xmpp_framing::Error>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod check;
mod error;
mod escape;
mod event;
mod framing;
mod limits;
mod outbox;
mod scan;
mod state;
pub mod tcp;
pub mod websocket;

pub use error::{Error, StreamErrorCondition};
pub use event::{Element, Event, NsContext, StreamHeader};
pub use framing::Framing;
pub use limits::Limits;
pub use state::Role;
pub use tcp::{TcpFraming, TcpSplitter};
pub use websocket::WsFraming;

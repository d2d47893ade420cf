//! Sans-IO XMPP stream negotiation for both roles, over WebSocket (RFC
//! 7395) or TCP (RFC 6120): stream open, features, STARTTLS, SASL, stream
//! restart, resource binding, then the stanza flow.
//!
//! Covered:
//! - RFC 6120 section 4 (streams: open, restart, close, stream errors,
//!   `host-unknown`, `not-authorized`, `invalid-from`, `connection-timeout`
//!   for a stage that takes too long), 5 (STARTTLS, TCP only: the caller runs
//!   the handshake and hands back the channel-binding data), 6 (SASL through
//!   chatwire-sasl, with the credential lookup handed to the caller, the same
//!   failure for an unknown user and a wrong password, a limit on failed
//!   attempts per stream, `invalid-authzid`), 7 (resource binding, conflicts
//!   decided by the caller, one resource per stream), 8.1.2.1 (the server
//!   stamps `from`), 8.3 (a stanza that cannot be read gets a stanza error
//!   and the stream lives on).
//! - RFC 7395 section 3.6.1 (`see-other-uri`) and RFC 6120 section 4.9.3.19
//!   (`see-other-host`) reported to the client as [`CloseReason`]s.
//! - XEP-0440 channel-binding types offered and read, XEP-0474 downgrade
//!   protection (through chatwire-sasl).
//! - XEP-0198 stream management, both roles: enable with or without
//!   resumption, `<r/>`/`<a/>` with 32-bit wrapping `h` counting stanzas
//!   only (an unreadable stanza too), the unacknowledged queue readable by
//!   the caller, a request after N stanzas or T seconds, an `h` above what
//!   was sent answered with `undefined-condition`, resumption with
//!   `previd`/`h` on a new connection (the server's caller finds the
//!   detached session, [`Resumption`]), `<failed/>` with the fitting
//!   condition.
//!
//! One type per role, [`ServerSession`] and [`ClientSession`]; the transport
//! is the constructor's choice. Input is `handle_*`, output is
//! `poll_event`, `poll_transmit` and `poll_timeout`; time comes in as an
//! [`Instant`](std::time::Instant), random bytes (stream ids, SCRAM
//! nonces) from a closure the caller supplies.
//!
//! The drive loop, a client and a server over an in-memory TCP pipe:
//!
//! ```
//! use std::time::Instant;
//! use chatwire_sasl::{AccountPolicy, Secret};
//! use chatwire_xmpp_session::*;
//! use chatwire_xmpp_stanza::Jid;
//!
//! let now = Instant::now();
//! let random = |buf: &mut [u8]| buf.fill(7);
//! let config = ServerConfig::new("example.com", Secret::new(*b"0123456789abcdef0123456789abcdef")?)
//!     .with_starttls(StartTls::Disabled)
//!     .with_plain_without_tls(true);
//! let mut server = ServerSession::tcp(now, config, Default::default(), Security::Plain, random);
//! let mut login = ClientConfig::new(Jid::new("juliet@example.com/balcony")?, "r0m30")
//!     .with_starttls(StartTls::Disabled);
//! login.sasl.allow_plain_without_tls = true;
//! login.sasl.preference = vec![chatwire_sasl::Mechanism::Plain];
//! let mut client = ClientSession::tcp(now, login, Default::default(), Security::Plain, random)?;
//! let stored = AccountPolicy::default().derive("r0m30", b"16 random bytes!")?;
//!
//! let mut wire = String::new();
//! let mut ready = None;
//! for _ in 0..10 {
//!     wire.clear();
//!     client.poll_transmit(&mut wire);
//!     server.handle_input(now, wire.as_bytes())?;
//!     while let Some(event) = server.poll_event() {
//!         match event {
//!             ServerEvent::NeedCredentials { username, .. } => {
//!                 let found = (username == "juliet").then_some(&stored);
//!                 server.handle_credentials(now, found)?;
//!             }
//!             ServerEvent::BindRequested { resource } => {
//!                 let resource = resource.unwrap_or_else(|| "assigned".to_owned());
//!                 server.handle_bind(now, BindDecision::Bind(resource))?;
//!             }
//!             _ => {}
//!         }
//!     }
//!     wire.clear();
//!     server.poll_transmit(&mut wire);
//!     client.handle_input(now, wire.as_bytes())?;
//!     while let Some(event) = client.poll_event() {
//!         if let ClientEvent::Ready { jid } = event {
//!             ready = Some(jid);
//!         }
//!     }
//! }
//! assert_eq!(ready.map(|j| j.to_string()).as_deref(), Some("juliet@example.com/balcony"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
pub mod conditions;
mod error;
mod server;
mod sm;
mod tls;
mod transport;

pub use client::{ClientConfig, ClientEvent, ClientSession};
pub use error::{AuthFailure, CloseReason, Error, NegotiationError};
pub use server::{BindDecision, ImFeatures, ServerConfig, ServerEvent, ServerSession};
pub use sm::{Resumption, SmConfig, SmState};
pub use tls::{SASL_CB_NS, Security, StartTls};

/// Frees a queue's memory once it is empty: a session holds nothing for
/// the events and stanzas it has passed on, however many came at once
/// (ten thousand idle sessions should not each keep their busiest moment).
pub(crate) fn release_if_empty<T>(queue: &mut std::collections::VecDeque<T>) {
    if queue.is_empty() && queue.capacity() > 0 {
        *queue = std::collections::VecDeque::new();
    }
}

/// Where a session draws random bytes from: the caller's source (a CSPRNG
/// in production, a fixed pattern in tests).
pub(crate) type Random = Box<dyn FnMut(&mut [u8]) + Send>;

/// A fresh stream id: 16 random bytes in hex (RFC 6120 section 4.7.3 asks
/// for an id that is unique and unpredictable).
pub(crate) fn hex_id(random: &mut Random) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    random(&mut bytes);
    let mut id = String::with_capacity(32);
    for byte in bytes {
        for nibble in [byte >> 4, byte & 0x0f] {
            id.push(char::from(
                HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    id
}

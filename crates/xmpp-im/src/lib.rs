//! Sans-IO instant messaging and presence for XMPP servers (RFC 6121).
//!
//! The crate holds no storage, socket, clock or randomness: a server keeps
//! one small [`ContactState`] per user and contact in its own store, feeds
//! subscription stanzas through the Appendix A tables (next), and carries
//! out what they say.
//!
//! Covered so far:
//! - RFC 6121 Appendix A.1: the nine subscription states ([`State`]) and
//!   the pre-approval flag of section 3.4 ([`ContactState`]), read from and
//!   written to roster items (section 2.1.2: `subscription`, `ask`,
//!   `approved`).
//!
//! ```
//! use chatwire_xmpp_im::{ContactState, State};
//! use chatwire_xmpp_stanza::{Ask, Subscription};
//!
//! let s = ContactState::new(State::NonePendingOutIn);
//! assert_eq!(s.subscription(), Subscription::None);
//! assert_eq!(s.ask(), Some(Ask::Subscribe));
//! assert!(s.pending_in());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod state;

pub use state::{ContactState, State};

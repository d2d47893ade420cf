//! Sans-IO instant messaging and presence for XMPP servers (RFC 6121).
//!
//! The crate holds no storage, socket, clock or randomness: a server keeps
//! one small [`ContactState`] per user and contact in its own store, feeds
//! subscription stanzas through [`transition`], and carries out the
//! [`Transition`] it gets back (route, deliver or drop the stanza, push the
//! roster item, send an auto-reply or presence, persist the new state).
//!
//! Covered so far:
//! - RFC 6121 Appendix A.1: the nine subscription states ([`State`]) and
//!   the pre-approval flag of section 3.4 ([`ContactState`]), read from and
//!   written to roster items (section 2.1.2: `subscription`, `ask`,
//!   `approved`).
//! - RFC 6121 Appendix A.2 (outbound) and A.3 (inbound): all eight tables,
//!   cell for cell ([`table`]), with the notes: pre-approval recorded,
//!   withdrawn and honoured (A.2.3, A.2.4 note 1, A.3.1 note 1, section
//!   3.4), and the SHOULD auto-replies (A.3.1 note 2, A.3.2 note 1).
//! - Sections 3.1-3.3 as far as one contact's state goes: routing with the
//!   bare `from` (3.1.2), delivery and the pending inbound request kept for
//!   redelivery (3.1.3), roster pushes on every visible change, current
//!   presence to a newly approved contact (3.1.5) and `unavailable` to a
//!   contact whose subscription ends (3.2.1, 3.3.3).
//! - The client side of sections 2.1.6, 2.6 and 3.1.3: [`RosterCache`], a
//!   client's copy of its roster, fetched with versioning, kept current by
//!   roster pushes from the user's own account only, with the inbound
//!   subscription requests the user has not answered.
//!
//! Not yet: serving roster get and set with versioning (section 2), presence
//! broadcast and probes (section 4), message routing (section 8.5), offline
//! storage and blocking (XEP-0191).
//!
//! # Driving one subscription
//! ```
//! use chatwire_xmpp_im::{ContactState, Forward, Policy, PresenceEffect, State, SubscriptionType};
//!
//! let policy = Policy::default();
//! // juliet's server, juliet's state for romeo: romeo asked, juliet has not answered.
//! let juliet_for_romeo = ContactState::new(State::None)
//!     .inbound(SubscriptionType::Subscribe, &policy);
//! assert_eq!(juliet_for_romeo.forward, Forward::Deliver);
//! assert_eq!(juliet_for_romeo.after.state(), State::NonePendingIn);
//! assert!(!juliet_for_romeo.roster_push); // a pending request is not in the roster
//!
//! // juliet approves.
//! let approved = juliet_for_romeo.after.outbound(SubscriptionType::Subscribed, &policy);
//! assert_eq!(approved.forward, Forward::Route);
//! assert_eq!(approved.after.state(), State::From);
//! assert!(approved.roster_push);
//! assert_eq!(approved.presence, PresenceEffect::SendCurrent);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod blocking;
mod output;
mod presence;
mod roster;
mod roster_cache;
mod routing;
mod server;
mod stamp;
mod state;
mod subscription;
mod user;

pub use output::{Change, Envelope, Output, StoredContact};
pub use roster_cache::{RosterCache, RosterPushError, RosterResult, RosterResultError};
pub use server::{Config, Server, Ties};
pub use stamp::Timestamp;
pub use state::{ContactState, State};
pub use subscription::{
    Direction, Forward, Policy, PresenceEffect, Rule, SubscriptionType, Transition, table,
    transition,
};
pub use user::{Session, User};

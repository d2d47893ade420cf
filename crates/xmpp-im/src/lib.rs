//! Sans-IO instant messaging and presence for XMPP (RFC 6121, XEP-0191).
//!
//! The crate holds no storage, socket, clock or randomness. A server keeps
//! one [`User`] per user it has loaded (its contacts, blocklist and
//! connected sessions) and one small [`Session`] value inside it per
//! connected resource; it passes each event to [`Server`] with the user it
//! concerns and the time, and carries out the [`Output`]s it gets back:
//! deliver a stanza to one of the user's sessions, route one to another
//! user's server, or persist a [`Change`]. See `docs/im.md` for the order
//! in which to carry them out and the choices made where the RFCs leave
//! one.
//!
//! - RFC 6121 Appendix A: the nine subscription states ([`State`]), the
//!   pre-approval flag ([`ContactState`], two bytes per user and contact),
//!   and all eight transition tables, cell for cell ([`table`],
//!   [`transition`]).
//! - Sections 3.1-3.4 ([`Server`]): routing, delivery, roster pushes to
//!   interested resources, auto-replies, presence to a contact gaining or
//!   losing From, and pending requests delivered again at each login.
//! - Section 2: roster get with versioning (whole roster, empty result, or
//!   the pushes since the client's version), set and remove with their
//!   error cases, pushes to every interested resource.
//! - Section 4: initial and updated presence to subscribers and the user's
//!   own resources, probes and their answers, directed presence, and
//!   `unavailable` when a session goes.
//! - Section 8.5: messages and iqs to bare and full JIDs by priority and
//!   type, offline storage with XEP-0203 `<delay/>` ([`Timestamp`]).
//! - XEP-0191 blocking: the blocklist commands, their pushes, and their
//!   effect on routing in both directions.
//! - The client side of sections 2.1.6, 2.6 and 3.1.3: [`RosterCache`], a
//!   client's copy of its roster, fetched with versioning, kept current by
//!   roster pushes from the user's own account only, with the inbound
//!   subscription requests the user has not answered.
//!
//! # Routing a message between two users
//! ```
//! use chatwire_xmpp_im::{Output, Server, Timestamp, User};
//! use chatwire_xmpp_stanza::{AnyStanza, Jid, Message, Presence, PresenceType};
//!
//! let server = Server::default();
//! let now = Timestamp(1_700_000_000_000);
//! let alice_phone = Jid::new("alice@example.com/phone").unwrap();
//! let bob_laptop = Jid::new("bob@example.com/laptop").unwrap();
//! let mut alice = User::new(&alice_phone);
//! let mut bob = User::new(&bob_laptop);
//! server.session_bound(&mut alice, &alice_phone);
//! server.session_bound(&mut bob, &bob_laptop);
//! let mut out = Vec::new();
//! server.outbound(&mut bob, &bob_laptop, Presence::new(PresenceType::Available).into(), now, &mut out);
//! out.clear();
//!
//! let hello = Message::chat(Jid::new("bob@example.com").unwrap(), "hello");
//! server.outbound(&mut alice, &alice_phone, AnyStanza::Message(hello), now, &mut out);
//! let Some(Output::Route(envelope)) = out.pop() else { panic!() };
//! assert_eq!(envelope.from, alice_phone);
//!
//! server.inbound(&mut bob, envelope, now, &mut out);
//! let Some(Output::Deliver(delivered)) = out.pop() else { panic!() };
//! assert_eq!(delivered.to, bob_laptop);
//! ```
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
mod blocklist;
mod output;
mod presence;
mod roster;
mod roster_cache;
mod routing;
mod server;
mod stamp;
mod state;
mod stored;
mod subscription;
mod user;

pub use output::{Broadcast, Change, Envelope, Output, StoredContact};
pub use roster_cache::{
    MAX_PENDING, RosterCache, RosterPushError, RosterResult, RosterResultError,
};
pub use server::{Config, Server, Ties};
pub use stamp::Timestamp;
pub use state::{ContactState, State};
pub use stored::StoredUser;
pub use subscription::{
    Direction, Forward, Policy, PresenceEffect, Rule, SubscriptionType, Transition, table,
    transition,
};
pub use user::{Session, User};

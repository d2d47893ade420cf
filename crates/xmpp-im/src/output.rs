//! What the machine asks its caller to do: write a stanza to one of the
//! user's sessions, hand one to another user's server, or persist a change.

use std::sync::Arc;

use chatwire_xmpp_stanza::{
    AddressTemplate, AnyStanza, Context, Jid, Message, Presence, RosterItem, SerializeError, Stanza,
};

use crate::state::ContactState;

/// A stanza with the addresses to write on it. Broadcasts share one
/// stanza between all their envelopes; only the addresses differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The `from` to write.
    pub from: Jid,
    /// The `to` to write: a full JID for [`Output::Deliver`], any JID for
    /// [`Output::Route`].
    pub to: Jid,
    /// The stanza; its own `from` and `to` are not written.
    pub stanza: Arc<AnyStanza>,
}

impl Envelope {
    /// An envelope for a stanza of its own.
    pub fn new(from: Jid, to: Jid, stanza: impl Into<AnyStanza>) -> Envelope {
        Envelope {
            from,
            to,
            stanza: Arc::new(stanza.into()),
        }
    }

    /// Appends the stanza with this envelope's addresses to `out`.
    pub fn serialize(&self, ctx: &Context, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        self.stanza
            .serialize_addressed(ctx, Some(&self.from), Some(&self.to), out)
    }

    /// The stanza with this envelope's addresses written into it, for a
    /// caller that wants a value rather than bytes.
    pub fn to_stanza(&self) -> AnyStanza {
        let mut stanza = (*self.stanza).clone();
        let (from, to) = match &mut stanza {
            AnyStanza::Message(m) => (&mut m.from, &mut m.to),
            AnyStanza::Presence(p) => (&mut p.from, &mut p.to),
            AnyStanza::Iq(iq) => (&mut iq.from, &mut iq.to),
        };
        *from = Some(self.from.clone());
        *to = Some(self.to.clone());
        stanza
    }
}

/// One stanza from one sender to many recipients (a presence broadcast):
/// as many [`Output::Route`]s, held as one value so that the stanza can be
/// serialized once and only the addresses written per recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broadcast {
    /// The `from` of every copy.
    pub from: Jid,
    /// The recipients, one route each.
    pub to: Vec<Jid>,
    /// The stanza; its own `from` and `to` are not written.
    pub stanza: Arc<AnyStanza>,
}

impl Broadcast {
    /// The routes, one envelope per recipient.
    pub fn envelopes(&self) -> impl Iterator<Item = Envelope> + '_ {
        self.to.iter().map(|to| Envelope {
            from: self.from.clone(),
            to: to.clone(),
            stanza: Arc::clone(&self.stanza),
        })
    }

    /// Serializes the stanza once and hands `each` the bytes for every
    /// recipient in turn (in one buffer, reused).
    pub fn serialize_each(
        &self,
        ctx: &Context,
        mut each: impl FnMut(&Jid, &[u8]),
    ) -> Result<(), SerializeError> {
        let template = AddressTemplate::new(&*self.stanza, ctx)?.with_from(&self.from)?;
        let mut out = Vec::with_capacity(template.len() + 128);
        for to in &self.to {
            out.clear();
            template.write(None, Some(to), &mut out)?;
            each(to, &out);
        }
        Ok(())
    }
}

/// One thing the caller must do, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Write the stanza to the user's session whose full JID is `to`.
    Deliver(Envelope),
    /// Hand the stanza to the server of `to`'s domain: for a local user,
    /// its [`crate::Server::inbound`]; for an account that does not exist,
    /// [`crate::Server::no_such_user`]. Kept apart from delivery so that a
    /// cluster or a server-to-server link can carry it.
    Route(Envelope),
    /// Route one stanza to each of many recipients, as [`Output::Route`]
    /// would each copy.
    Broadcast(Broadcast),
    /// Persist a change to the user's stored state.
    Store(Change),
}

/// A change to what the caller stores for the user. Applying them in order
/// to the store, and loading the result with [`crate::User::load`], gives a
/// user equal to the one in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Insert or replace what is stored for `contact`.
    Contact {
        /// The contact's bare JID.
        contact: Jid,
        /// The new record.
        stored: Box<StoredContact>,
    },
    /// Delete what is stored for `contact` (a removed item whose record is
    /// no longer needed for roster versioning), and store `floor`: the
    /// oldest roster version from which pushes can still be replayed.
    Forget {
        /// The contact's bare JID.
        contact: Jid,
        /// The new floor.
        floor: u64,
    },
    /// Append the message to the user's offline queue. It already carries
    /// its XEP-0203 `<delay/>`.
    OfflineStore(Box<Message>),
    /// Load the user's offline queue and pass the messages to
    /// [`crate::Server::offline_loaded`] for the session named. The queue
    /// can be emptied at once, or each message kept until the session
    /// acknowledges it (XEP-0198), so that a crash or a lost connection
    /// loses none; the ones never acknowledged then go to
    /// [`crate::Server::offline_returned`].
    OfflineDrain {
        /// The session that became available with a non-negative priority.
        session: Jid,
    },
    /// Add these JIDs to the blocklist.
    Block(Vec<Jid>),
    /// Remove these JIDs from the blocklist.
    Unblock(Vec<Jid>),
    /// Empty the blocklist.
    UnblockAll,
}

/// What a server stores per user and contact: the roster item (if the
/// contact is in the roster), the subscription state, the pending inbound
/// request and the roster version of the last change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredContact {
    /// The roster item, None when the contact is not in the roster (a
    /// stranger's pending request, or a removed item kept for versioning).
    /// Its `subscription`, `ask` and `approved` are written from `state`.
    pub item: Option<RosterItem>,
    /// The subscription state, pre-approval included.
    pub state: ContactState,
    /// The contact's unanswered `subscribe`, redelivered at each login
    /// (RFC 6121 section 3.1.3).
    pub request: Option<Presence>,
    /// The roster version of the last change to this contact's item.
    pub ver: u64,
}

impl StoredContact {
    /// Whether this record only remembers a removal, for roster versioning.
    pub fn is_removed(&self) -> bool {
        self.item.is_none() && self.request.is_none() && self.state == ContactState::default()
    }
}

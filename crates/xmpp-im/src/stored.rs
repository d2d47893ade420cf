//! One user's stored state held in memory, written only from [`Change`]s:
//! what any store must be able to give back to [`User::load`], for tests
//! that check a real store against it and for servers that need no disk.

use std::collections::BTreeMap;

use chatwire_xmpp_stanza::{Jid, Message};

use crate::output::{Change, StoredContact};
use crate::user::User;

/// What a store holds for one user after applying the machine's changes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredUser {
    /// The contact records, by bare JID.
    pub contacts: BTreeMap<Jid, StoredContact>,
    /// The roster version floor of the last [`Change::Forget`].
    pub floor: u64,
    /// The blocklist, in the order the JIDs were added.
    pub blocklist: Vec<Jid>,
    /// The offline queue, oldest first.
    pub offline: Vec<Message>,
}

impl StoredUser {
    /// Applies one change. [`Change::OfflineDrain`] is a request, not a
    /// change: the queue stays until the caller takes from it.
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::Contact { contact, stored } => {
                self.contacts.insert(contact, *stored);
            }
            Change::Forget { contact, floor } => {
                self.contacts.remove(&contact);
                self.floor = floor;
            }
            Change::OfflineStore(message) => self.offline.push(*message),
            Change::OfflineDrain { .. } => {}
            Change::Block(jids) => self.blocklist.extend(jids),
            Change::Unblock(jids) => self.blocklist.retain(|j| !jids.contains(j)),
            Change::UnblockAll => self.blocklist.clear(),
        }
    }

    /// The user as the machine keeps it in memory, with no session.
    pub fn load(&self, jid: &Jid) -> User {
        User::load(
            jid,
            self.contacts.clone(),
            self.floor,
            self.blocklist.clone(),
            u32::try_from(self.offline.len()).unwrap_or(u32::MAX),
        )
    }
}

//! What the server keeps in memory per user: the contacts (roster items,
//! subscription states, pending requests), the blocklist, and one small
//! value per connected session.

use std::collections::BTreeMap;
use std::sync::Arc;

use chatwire_xmpp_stanza::{AnyStanza, Jid, Presence, RosterItem};

use crate::blocklist::Blocklist;
use crate::output::{Change, Output, StoredContact};
use crate::stamp::Timestamp;
use crate::state::ContactState;

/// One user's state, loaded from the caller's store (or new), and the
/// user's connected sessions. Everything the machine changes in it is also
/// reported as an [`Output::Store`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub(crate) jid: Jid,
    pub(crate) contacts: BTreeMap<Jid, StoredContact>,
    /// The roster version: the number of roster changes so far.
    pub(crate) version: u64,
    /// Pushes after this version can be replayed (RFC 6121 section 2.6).
    pub(crate) floor: u64,
    pub(crate) blocklist: Blocklist,
    pub(crate) offline: u32,
    pub(crate) sessions: Vec<Session>,
    /// Blocking pushes sent while loaded: their iq ids.
    pub(crate) block_pushes: u64,
    /// How many records are roster items, strangers' requests and
    /// remembered removals: the limits are checked on every stanza, so
    /// they are counted as records change rather than on each check.
    pub(crate) counts: Counts,
}

/// Record counts by kind; see [`User::counts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Counts {
    pub(crate) items: usize,
    pub(crate) strangers: usize,
    pub(crate) removed: usize,
}

impl Counts {
    fn of(stored: &StoredContact) -> Counts {
        Counts {
            items: usize::from(stored.item.is_some()),
            strangers: usize::from(stored.item.is_none() && stored.request.is_some()),
            removed: usize::from(stored.is_removed()),
        }
    }

    fn add(&mut self, stored: &StoredContact) {
        let c = Counts::of(stored);
        self.items += c.items;
        self.strangers += c.strangers;
        self.removed += c.removed;
    }

    fn sub(&mut self, stored: &StoredContact) {
        let c = Counts::of(stored);
        self.items = self.items.saturating_sub(c.items);
        self.strangers = self.strangers.saturating_sub(c.strangers);
        self.removed = self.removed.saturating_sub(c.removed);
    }
}

/// One connected resource of the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub(crate) jid: Jid,
    /// Requested the roster: receives roster pushes (RFC 6121 section 2.2).
    pub(crate) interested: bool,
    /// Asked for the roster with a `ver`: its pushes carry one (RFC 6121
    /// section 2.6).
    pub(crate) versioned: bool,
    /// Requested the blocklist: receives blocking pushes (XEP-0191).
    pub(crate) blocklist_interested: bool,
    /// The last available presence broadcast, None while not available.
    pub(crate) presence: Option<Arc<AnyStanza>>,
    pub(crate) priority: i8,
    /// When the session last became available or changed its presence:
    /// ties between resources of equal priority go to the most recent.
    pub(crate) since: Timestamp,
    /// Entities sent directed available presence, owed `unavailable`
    /// when the session goes offline (RFC 6121 section 4.6).
    pub(crate) directed: Vec<Jid>,
}

impl Session {
    fn new(jid: Jid) -> Session {
        Session {
            jid,
            interested: false,
            versioned: false,
            blocklist_interested: false,
            presence: None,
            priority: 0,
            since: Timestamp(0),
            directed: Vec::new(),
        }
    }

    /// The session's full JID.
    pub fn jid(&self) -> &Jid {
        &self.jid
    }

    /// Whether it has sent initial presence and not gone unavailable.
    pub fn is_available(&self) -> bool {
        self.presence.is_some()
    }

    /// Whether it asked for the roster.
    pub fn is_interested(&self) -> bool {
        self.interested
    }

    /// The priority of its last presence.
    pub fn priority(&self) -> i8 {
        self.priority
    }
}

impl User {
    /// A user with nothing stored yet.
    pub fn new(jid: &Jid) -> User {
        User::load(jid, Vec::new(), 0, Vec::new(), 0)
    }

    /// A user as stored: the contact records (in any order), the version
    /// floor of the last [`Change::Forget`] (0 if none), the blocklist and
    /// the length of the offline queue.
    pub fn load(
        jid: &Jid,
        contacts: impl IntoIterator<Item = (Jid, StoredContact)>,
        floor: u64,
        blocklist: Vec<Jid>,
        offline: u32,
    ) -> User {
        let contacts: BTreeMap<Jid, StoredContact> = contacts
            .into_iter()
            .map(|(jid, stored)| (jid.to_bare(), stored))
            .collect();
        let version = contacts.values().map(|c| c.ver).fold(floor, u64::max);
        let mut counts = Counts::default();
        for stored in contacts.values() {
            counts.add(stored);
        }
        User {
            jid: jid.to_bare(),
            contacts,
            version,
            floor,
            blocklist: Blocklist::new(blocklist),
            offline,
            sessions: Vec::new(),
            block_pushes: 0,
            counts,
        }
    }

    /// The user's bare JID.
    pub fn jid(&self) -> &Jid {
        &self.jid
    }

    /// The roster version as a number (written as its decimal string).
    pub fn roster_version(&self) -> u64 {
        self.version
    }

    /// The subscription state for a contact (by bare JID), if there is one.
    pub fn contact_state(&self, contact: &Jid) -> Option<ContactState> {
        self.contacts.get(contact).map(|c| c.state)
    }

    /// The roster item for a contact, as a roster get would show it.
    pub fn roster_item(&self, contact: &Jid) -> Option<RosterItem> {
        let stored = self.contacts.get(contact)?;
        roster_item(stored)
    }

    /// The roster, as a roster get would show it.
    pub fn roster(&self) -> impl Iterator<Item = RosterItem> + '_ {
        self.contacts.values().filter_map(roster_item)
    }

    /// How many items the roster has.
    pub fn roster_len(&self) -> usize {
        self.counts.items
    }

    /// How many requests from contacts not in the roster are kept.
    pub fn stranger_requests(&self) -> usize {
        self.counts.strangers
    }

    /// Contacts whose `subscribe` awaits an answer, with the request.
    pub fn pending_requests(&self) -> impl Iterator<Item = (&Jid, &Presence)> {
        self.contacts
            .iter()
            .filter_map(|(jid, c)| Some((jid, c.request.as_ref()?)))
    }

    /// The blocklist.
    pub fn blocklist(&self) -> &[Jid] {
        self.blocklist.items()
    }

    /// Whether stanzas from `jid` are blocked (XEP-0191 matching: a listed
    /// domain covers every JID at it, a bare JID every resource of it).
    pub fn is_blocked(&self, jid: &Jid) -> bool {
        self.blocklist.covers(jid)
    }

    /// How many messages wait in the offline queue.
    pub fn offline_count(&self) -> u32 {
        self.offline
    }

    /// The connected sessions.
    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }

    /// Whether no session is connected: the caller may drop the user from
    /// memory and load it again later.
    pub fn is_idle(&self) -> bool {
        self.sessions.is_empty()
    }

    pub(crate) fn session(&self, jid: &Jid) -> Option<&Session> {
        self.sessions.iter().find(|s| s.jid == *jid)
    }

    pub(crate) fn session_mut(&mut self, jid: &Jid) -> Option<&mut Session> {
        self.sessions.iter_mut().find(|s| s.jid == *jid)
    }

    /// Adds a connected session (a resource was bound).
    pub(crate) fn connect(&mut self, jid: &Jid) {
        if self.session(jid).is_none() {
            self.sessions.push(Session::new(jid.clone()));
        }
    }

    pub(crate) fn available(&self) -> impl Iterator<Item = &Session> {
        self.sessions.iter().filter(|s| s.is_available())
    }

    pub(crate) fn has_available(&self) -> bool {
        self.sessions.iter().any(Session::is_available)
    }

    /// Stores `stored` for `contact`; a change visible in the roster gets
    /// the next roster version. A record that holds nothing is dropped,
    /// unless it remembers a removal for versioning.
    pub(crate) fn commit(
        &mut self,
        contact: &Jid,
        mut stored: StoredContact,
        roster_changed: bool,
        max_removed: usize,
        out: &mut Vec<Output>,
    ) {
        if roster_changed {
            self.version += 1;
            stored.ver = self.version;
        }
        // A record that holds nothing and never was in the roster (a
        // stranger's request, withdrawn) is dropped; one that was keeps its
        // version, as a removal to replay.
        if stored.is_removed() && stored.ver == 0 {
            if let Some(old) = self.contacts.remove(contact) {
                self.counts.sub(&old);
                // Defensive: a record forgotten here held no replayable
                // change (its version is 0), but never let a reload compute
                // a lower roster version than the one in memory.
                self.floor = self.floor.max(old.ver);
                out.push(Output::Store(Change::Forget {
                    contact: contact.clone(),
                    floor: self.floor,
                }));
            }
            return;
        }
        let removed = stored.is_removed();
        self.counts.add(&stored);
        if let Some(old) = self.contacts.insert(contact.clone(), stored.clone()) {
            self.counts.sub(&old);
        }
        out.push(Output::Store(Change::Contact {
            contact: contact.clone(),
            stored: Box::new(stored),
        }));
        if removed {
            self.forget_old_removals(max_removed, out);
        }
    }

    /// Keeps at most `max` removal records, forgetting the oldest first.
    fn forget_old_removals(&mut self, max: usize, out: &mut Vec<Output>) {
        if self.counts.removed <= max {
            return;
        }
        let mut removed: Vec<(u64, Jid)> = self
            .contacts
            .iter()
            .filter(|(_, c)| c.is_removed())
            .map(|(jid, c)| (c.ver, jid.clone()))
            .collect();
        if removed.len() <= max {
            return;
        }
        removed.sort_unstable();
        let excess = removed.len() - max;
        for (ver, jid) in removed.into_iter().take(excess) {
            if let Some(old) = self.contacts.remove(&jid) {
                self.counts.sub(&old);
            }
            self.floor = self.floor.max(ver);
            out.push(Output::Store(Change::Forget {
                contact: jid,
                floor: self.floor,
            }));
        }
    }
}

/// The roster item a record shows, its subscription written from the state.
pub(crate) fn roster_item(stored: &StoredContact) -> Option<RosterItem> {
    let mut item = stored.item.clone()?;
    stored.state.apply_to(&mut item);
    Some(item)
}

//! A user's blocklist (XEP-0191): the entries in the order they were
//! added, and an index that answers "is this JID covered?" with at most
//! four look-ups, whatever the list's length: a presence broadcast asks it
//! once per contact.

use std::collections::HashSet;

use chatwire_xmpp_stanza::Jid;

/// The blocked JIDs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Blocklist {
    items: Vec<Jid>,
    index: HashSet<String>,
}

impl PartialEq for Blocklist {
    fn eq(&self, other: &Blocklist) -> bool {
        self.items == other.items
    }
}

impl Eq for Blocklist {}

impl Blocklist {
    pub(crate) fn new(items: Vec<Jid>) -> Blocklist {
        let mut list = Blocklist::default();
        for jid in items {
            list.add(jid);
        }
        list
    }

    pub(crate) fn items(&self) -> &[Jid] {
        &self.items
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether `jid` itself is an entry.
    pub(crate) fn contains(&self, jid: &Jid) -> bool {
        self.index.contains(jid.as_str())
    }

    pub(crate) fn add(&mut self, jid: Jid) {
        if self.index.insert(jid.as_str().to_owned()) {
            self.items.push(jid);
        }
    }

    pub(crate) fn remove(&mut self, jid: &Jid) -> bool {
        let removed = self.index.remove(jid.as_str());
        if removed {
            self.items.retain(|j| j != jid);
        }
        removed
    }

    pub(crate) fn clear(&mut self) {
        self.items.clear();
        self.index.clear();
    }

    /// Whether an entry covers `jid`, in the matching order of XEP-0016
    /// section 2.1 that XEP-0191 refers to: the full JID, the bare JID,
    /// the domain with the resource, the domain.
    pub(crate) fn covers(&self, jid: &Jid) -> bool {
        if self.index.is_empty() {
            return false;
        }
        let full = jid.as_str();
        // Neither a localpart nor a domainpart holds a '/'.
        let bare = full.split('/').next().unwrap_or(full);
        if self.index.contains(full) || self.index.contains(bare) {
            return true;
        }
        if self.index.contains(jid.domain()) {
            return true;
        }
        match (jid.local(), jid.resource()) {
            (Some(_), Some(resource)) => {
                self.index.contains(&format!("{}/{resource}", jid.domain()))
            }
            _ => false,
        }
    }
}

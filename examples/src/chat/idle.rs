//! The users kept in memory without a session, least recently used first,
//! so that a stanza to an offline user does not reload its roster each
//! time while memory stays bounded. Touching a user is O(1) amortised.

use std::collections::{HashMap, VecDeque};

use chatwire_xmpp_stanza::Jid;

/// Recently used idle users, at most `capacity`.
#[derive(Debug)]
pub struct IdleUsers {
    capacity: usize,
    /// Each user's latest touch.
    latest: HashMap<Jid, u64>,
    /// Touches, oldest first; a touch older than its user's latest is
    /// stale and skipped.
    order: VecDeque<(u64, Jid)>,
    touches: u64,
}

impl IdleUsers {
    /// Room for `capacity` users.
    pub fn new(capacity: usize) -> IdleUsers {
        IdleUsers {
            capacity,
            latest: HashMap::new(),
            order: VecDeque::new(),
            touches: 0,
        }
    }

    /// `user` was just used; the users pushed out, least recently used
    /// first.
    pub fn touch(&mut self, user: &Jid) -> Vec<Jid> {
        self.touches += 1;
        self.latest.insert(user.clone(), self.touches);
        self.order.push_back((self.touches, user.clone()));
        let mut evicted = Vec::new();
        while let Some((touch, oldest)) = self.order.front() {
            if self.latest.get(oldest) != Some(touch) {
                self.order.pop_front();
            } else if self.latest.len() > self.capacity {
                self.latest.remove(oldest);
                if let Some((_, jid)) = self.order.pop_front() {
                    evicted.push(jid);
                }
            } else {
                break;
            }
        }
        // Stale touches behind a live front: rebuilt once they outnumber
        // the live ones, so the queue stays within twice the users.
        if self.order.len() > 2 * self.latest.len() + 16 {
            self.order
                .retain(|(touch, jid)| self.latest.get(jid) == Some(touch));
        }
        evicted
    }

    /// How many users are kept.
    pub fn len(&self) -> usize {
        self.latest.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn jid(n: u8) -> Jid {
        Jid::new(&format!("u{n}@example.com")).unwrap()
    }

    proptest! {
        /// Against the obvious list: remove the user, append it, drop from
        /// the front beyond the capacity.
        #[test]
        fn evicts_as_a_plain_lru_list(
            capacity in 1usize..6,
            touches in prop::collection::vec(0u8..10, 0..200),
        ) {
            let mut lru = IdleUsers::new(capacity);
            let mut list: VecDeque<Jid> = VecDeque::new();
            for n in touches {
                let user = jid(n);
                list.retain(|j| *j != user);
                list.push_back(user.clone());
                let mut expected = Vec::new();
                while list.len() > capacity {
                    expected.extend(list.pop_front());
                }
                prop_assert_eq!(lru.touch(&user), expected);
                prop_assert_eq!(lru.len(), list.len());
                prop_assert!(lru.order.len() <= 2 * lru.len() + 17);
            }
        }
    }
}

//! The blocking command (XEP-0191), server side: the blocklist get, block
//! and unblock, their pushes, and the presence that makes a blocked
//! contact see the user go offline (and back).

use std::sync::Arc;

use chatwire_xmpp_stanza::{AnyStanza, Blocking, Iq, IqPayload, Jid, Presence, PresenceType};

use crate::output::{Change, Envelope, Output};
use crate::server::Run;

impl Run<'_> {
    /// A blocking command from a session.
    pub(crate) fn blocking(&mut self, session: &Jid, iq: Iq, command: &Blocking, set: bool) {
        match (command, set) {
            (Blocking::List(_), false) => {
                if let Some(s) = self.user.session_mut(session) {
                    s.blocklist_interested = true;
                }
                let list = Blocking::List(self.user.blocklist.items().to_vec());
                self.result(session, &iq, Some(IqPayload::Blocking(list)));
            }
            (Blocking::Block(jids), true) if !jids.is_empty() => self.block(session, iq, jids),
            (Blocking::Unblock(jids), true) => self.unblock(session, iq, jids),
            _ => self.refuse_iq(
                session,
                iq,
                chatwire_xmpp_stanza::StanzaErrorCondition::BadRequest,
            ),
        }
    }

    /// Section 3.3: adds the JIDs, pushes the block to every session that
    /// asked for the blocklist, and sends `unavailable` from every
    /// available session to the contacts it covers that had the user's
    /// presence.
    fn block(&mut self, session: &Jid, iq: Iq, jids: &[Jid]) {
        if jids.len() > self.config.max_blocklist {
            return self.refuse_iq(
                session,
                iq,
                chatwire_xmpp_stanza::StanzaErrorCondition::ResourceConstraint,
            );
        }
        let mut seen = std::collections::HashSet::new();
        let added: Vec<Jid> = jids
            .iter()
            .filter(|jid| !self.user.blocklist.contains(jid) && seen.insert(jid.as_str()))
            .cloned()
            .collect();
        if self.user.blocklist.len() + added.len() > self.config.max_blocklist {
            return self.refuse_iq(
                session,
                iq,
                chatwire_xmpp_stanza::StanzaErrorCondition::ResourceConstraint,
            );
        }
        // Only entities not blocked already: one blocked before was sent
        // `unavailable` then, and gets nothing more from the user
        // (XEP-0191, "User Blocks Contact").
        let had_presence: Vec<(Jid, Jid)> = self
            .presence_receivers()
            .into_iter()
            .filter(|(_, to)| !self.user.is_blocked(to))
            .collect();
        for jid in &added {
            self.user.blocklist.add(jid.clone());
        }
        if !added.is_empty() {
            self.out.push(Output::Store(Change::Block(added.clone())));
        }
        self.result(session, &iq, None);
        self.push_blocking(Blocking::Block(jids.to_vec()));
        let unavailable: Arc<AnyStanza> = Arc::new(Presence::new(PresenceType::Unavailable).into());
        for (from, to) in had_presence {
            if self.user.is_blocked(&to) {
                self.route(&from, &to, &unavailable);
            }
        }
        let blocklist = &self.user.blocklist;
        for s in &mut self.user.sessions {
            s.directed.retain(|to| !blocklist.covers(to));
        }
    }

    /// Section 3.4: removes the JIDs (all of them when none are named),
    /// pushes the unblock, and sends current presence to the contacts with
    /// From or Both that it uncovers, and probes those with To or Both.
    fn unblock(&mut self, session: &Jid, iq: Iq, jids: &[Jid]) {
        let before: Vec<(Jid, bool, bool)> = self
            .user
            .contacts
            .iter()
            .filter(|(jid, _)| self.user.is_blocked(jid))
            .map(|(jid, c)| (jid.clone(), c.state.state().from(), c.state.state().to()))
            .collect();
        if jids.is_empty() {
            self.user.blocklist.clear();
            self.out.push(Output::Store(Change::UnblockAll));
        } else {
            let removed: Vec<Jid> = jids
                .iter()
                .filter(|j| self.user.blocklist.contains(j))
                .cloned()
                .collect();
            for jid in jids {
                self.user.blocklist.remove(jid);
            }
            if !removed.is_empty() {
                self.out.push(Output::Store(Change::Unblock(removed)));
            }
        }
        self.result(session, &iq, None);
        self.push_blocking(Blocking::Unblock(jids.to_vec()));
        let probe: Arc<AnyStanza> = Arc::new(Presence::new(PresenceType::Probe).into());
        let bare = self.user.jid.clone();
        for (contact, from, to) in before {
            if self.user.is_blocked(&contact) {
                continue;
            }
            if from {
                self.presence_effect(&contact, crate::subscription::PresenceEffect::SendCurrent);
            }
            if to && self.user.has_available() {
                self.route(&bare, &contact, &probe);
            }
        }
    }

    /// Every (session, entity) pair where the entity has the session's
    /// presence: contacts with From or Both, and directed presence.
    fn presence_receivers(&self) -> Vec<(Jid, Jid)> {
        let mut pairs = Vec::new();
        for s in self.user.available() {
            for (contact, c) in &self.user.contacts {
                if c.state.state().from() {
                    pairs.push((s.jid.clone(), contact.clone()));
                }
            }
            for to in &s.directed {
                pairs.push((s.jid.clone(), to.clone()));
            }
        }
        pairs
    }

    /// A blocking push to every session that asked for the blocklist.
    fn push_blocking(&mut self, command: Blocking) {
        self.user.block_pushes += 1;
        let push: Arc<AnyStanza> = Arc::new(
            Iq::set(
                format!("block{}", self.user.block_pushes),
                IqPayload::Blocking(command),
            )
            .into(),
        );
        let from = self.user.jid.clone();
        let to: Vec<Jid> = self
            .user
            .sessions
            .iter()
            .filter(|s| s.blocklist_interested)
            .map(|s| s.jid.clone())
            .collect();
        for session in to {
            self.out.push(Output::Deliver(Envelope {
                from: from.clone(),
                to: session,
                stanza: Arc::clone(&push),
            }));
        }
    }
}

//! Roster management, server side (RFC 6121 section 2): get with
//! versioning, set, remove, and the pushes that follow every change.

use chatwire_xmpp_stanza::{
    AnyStanza, Iq, IqPayload, Jid, Roster, RosterItem, StanzaError, StanzaErrorCondition,
    Subscription,
};

use crate::output::{Envelope, Output, StoredContact};
use crate::server::Run;
use crate::subscription::{Direction, PresenceEffect, SubscriptionType, transition};
use crate::user::roster_item;

impl Run<'_> {
    /// A roster get (sections 2.2 and 2.6.3). Makes the session an
    /// interested resource. With a `ver` the server knows: an empty result
    /// when nothing changed, else an empty result and the pushes since
    /// that version while they are remembered, else the whole roster.
    pub(crate) fn roster_get(&mut self, session: &Jid, iq: &Iq, query: &Roster) {
        let versioned = query.ver.is_some() && self.config.roster_versioning;
        if let Some(s) = self.user.session_mut(session) {
            s.interested = true;
            s.versioned = versioned;
        }
        let version = self.user.version;
        let known = query
            .ver
            .as_deref()
            .filter(|_| self.config.roster_versioning)
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|v| *v >= self.user.floor && *v <= version);
        if let Some(since) = known {
            self.result(session, iq, None);
            let mut changes: Vec<(u64, Jid)> = self
                .user
                .contacts
                .iter()
                .filter(|(_, c)| c.ver > since && (c.item.is_some() || c.is_removed()))
                .map(|(jid, c)| (c.ver, jid.clone()))
                .collect();
            changes.sort_unstable();
            for (_, contact) in changes {
                if let Some(stored) = self.user.contacts.get(&contact).cloned() {
                    self.push_to(session, &contact, &stored, true);
                }
            }
            return;
        }
        let mut roster = Roster::default();
        roster.items = self.user.roster().collect();
        if query.ver.is_some() && self.config.roster_versioning {
            roster.ver = Some(version.to_string());
        }
        self.result(session, iq, Some(IqPayload::Roster(roster)));
    }

    /// A roster set (sections 2.3-2.5): exactly one item; `subscription`
    /// ignored unless it is `remove`; names and groups checked.
    pub(crate) fn roster_set(&mut self, session: &Jid, iq: Iq, query: &Roster) {
        let [item] = query.items.as_slice() else {
            return self.refuse_iq(session, iq, StanzaErrorCondition::BadRequest);
        };
        let contact = item.jid.to_bare();
        if contact == self.user.jid {
            return self.refuse_iq(session, iq, StanzaErrorCondition::NotAllowed);
        }
        if item.subscription() == Some(&Subscription::Remove) {
            return self.roster_remove(session, iq, &contact);
        }
        if let Some(condition) = self.check_item(item) {
            return self.refuse_iq(session, iq, condition);
        }
        let mut stored = self
            .user
            .contacts
            .get(&contact)
            .cloned()
            .unwrap_or_default();
        if stored.item.is_none() && self.user.counts.items >= self.config.max_roster_items {
            return self.refuse_iq(session, iq, StanzaErrorCondition::NotAllowed);
        }
        let mut new_item = RosterItem::new(contact.clone());
        new_item.name = item.name.clone().filter(|n| !n.is_empty());
        new_item.groups = item.groups.clone();
        new_item.set_extensions(item.extensions().to_vec());
        stored.item = Some(new_item);
        let max_removed = self.config.max_removed;
        self.user
            .commit(&contact, stored, true, max_removed, self.out);
        let stored = self
            .user
            .contacts
            .get(&contact)
            .cloned()
            .unwrap_or_default();
        self.result(session, &iq, None);
        self.push_item(&contact, &stored);
    }

    /// Section 2.5: removing an item cancels the subscriptions both ways
    /// (`unsubscribe` and `unsubscribed` to the contact), pushes the
    /// removal and remembers it for versioning.
    fn roster_remove(&mut self, session: &Jid, iq: Iq, contact: &Jid) {
        let Some(before) = self.user.contacts.get(contact).cloned() else {
            return self.refuse_iq(session, iq, StanzaErrorCondition::ItemNotFound);
        };
        if before.item.is_none() {
            return self.refuse_iq(session, iq, StanzaErrorCondition::ItemNotFound);
        }
        let state = before.state.state();
        let policy = self.config.policy;
        let removed = StoredContact::default();
        let max_removed = self.config.max_removed;
        self.user
            .commit(contact, removed, true, max_removed, self.out);
        let stored = self.user.contacts.get(contact).cloned().unwrap_or_default();
        let mut effect = PresenceEffect::None;
        if state.to() || state.pending_out() {
            self.route_subscription(contact, SubscriptionType::Unsubscribe);
        }
        if state.from() || state.pending_in() {
            let t = transition(
                before.state,
                Direction::Outbound,
                SubscriptionType::Unsubscribed,
                &policy,
            );
            effect = t.presence;
            self.route_subscription(contact, SubscriptionType::Unsubscribed);
        }
        self.result(session, &iq, None);
        self.push_item(contact, &stored);
        self.presence_effect(contact, effect);
    }

    /// Why an item may not be stored, if it may not.
    fn check_item(&self, item: &RosterItem) -> Option<StanzaErrorCondition> {
        let max = self.config.max_name_bytes;
        if item.name.as_ref().is_some_and(|n| n.len() > max)
            || item.groups.len() > self.config.max_groups
        {
            return Some(StanzaErrorCondition::NotAcceptable);
        }
        for (i, group) in item.groups.iter().enumerate() {
            if group.is_empty() || group.len() > max {
                return Some(StanzaErrorCondition::NotAcceptable);
            }
            if item.groups.iter().take(i).any(|g| g == group) {
                return Some(StanzaErrorCondition::BadRequest);
            }
        }
        None
    }

    /// A roster push of `stored` to every interested session (section
    /// 2.1.6); a removal is pushed with `subscription='remove'`.
    pub(crate) fn push_item(&mut self, contact: &Jid, stored: &StoredContact) {
        let interested: Vec<(Jid, bool)> = self
            .user
            .sessions
            .iter()
            .filter(|s| s.interested)
            .map(|s| (s.jid.clone(), s.versioned))
            .collect();
        for (session, versioned) in interested {
            self.push_to(&session, contact, stored, versioned);
        }
    }

    /// A push of one item to one session; with `ver` only for a session
    /// that asked for the roster with one (section 2.6.3).
    fn push_to(&mut self, session: &Jid, contact: &Jid, stored: &StoredContact, versioned: bool) {
        let item = roster_item(stored).unwrap_or_else(|| {
            let mut removed = RosterItem::new(contact.clone());
            removed.set_subscription(Some(Subscription::Remove));
            removed
        });
        let mut roster = Roster::default();
        roster.items = vec![item];
        if versioned {
            roster.ver = Some(stored.ver.to_string());
        }
        let push = Iq::set(format!("push{}", stored.ver), IqPayload::Roster(roster));
        self.out.push(Output::Deliver(Envelope::new(
            self.user.jid.clone(),
            session.clone(),
            push,
        )));
    }

    /// Answers a session's iq with an error.
    pub(crate) fn refuse_iq(&mut self, session: &Jid, iq: Iq, condition: StanzaErrorCondition) {
        self.refuse(session, AnyStanza::Iq(iq), StanzaError::new(condition));
    }
}

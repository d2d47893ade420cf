//! Presence (RFC 6121 section 4) and the subscription stanzas (section 3)
//! as the server handles them: broadcast, probes and their answers,
//! directed presence, and the table-driven subscription steps with their
//! roster pushes, auto-replies and presence effects.

use std::sync::Arc;

use chatwire_xmpp_stanza::{AnyStanza, Jid, Presence, PresenceType, RosterItem};

use crate::output::{Broadcast, Change, Envelope, Output, StoredContact};
use crate::server::{Run, same_bare};
use crate::subscription::{Direction, Forward, PresenceEffect, SubscriptionType, transition};

impl Run<'_> {
    /// Presence a session sent.
    pub(crate) fn outbound_presence(&mut self, session: &Jid, mut presence: Presence) {
        if let Some(ty) = SubscriptionType::from_presence_type(presence.kind) {
            if let Some(to) = presence.to.take() {
                self.outbound_subscription(&to.to_bare(), ty, presence);
            }
            return;
        }
        let Some(to) = presence.to.take() else {
            match presence.kind {
                PresenceType::Available => self.broadcast(session, presence),
                PresenceType::Unavailable => {
                    self.go_unavailable(session, Arc::new(presence.into()));
                }
                // A probe or an error needs an address.
                _ => {}
            }
            return;
        };
        if self.user.is_blocked(&to) {
            return;
        }
        match presence.kind {
            PresenceType::Probe => {
                // A client should leave probes to its server (section
                // 4.3); one it sends goes out from the bare JID.
                let stanza = Arc::new(presence.into());
                let from = self.user.jid.clone();
                self.route(&from, &to, &stanza);
            }
            PresenceType::Available | PresenceType::Unavailable => {
                self.directed(session, &to, presence);
            }
            _ => self.route(session, &to, &Arc::new(presence.into())),
        }
    }

    /// Presence sent to one entity (section 4.6): routed, and the entity
    /// remembered, so that it gets `unavailable` when the session goes,
    /// unless it has the presence by subscription anyway.
    fn directed(&mut self, session: &Jid, to: &Jid, presence: Presence) {
        let available = presence.kind == PresenceType::Available;
        self.route(session, to, &Arc::new(presence.into()));
        let subscribed = self
            .user
            .contacts
            .get(&to.to_bare())
            .is_some_and(|c| c.state.state().from());
        let max = self.config.max_directed.max(1);
        let mut evicted = None;
        if let Some(s) = self.user.session_mut(session) {
            s.directed.retain(|j| j != to);
            // Tracked whether or not the session is available yet (RFC 3921
            // section 5.1.4, case 3): the entity has the presence either way.
            if available && !subscribed {
                if s.directed.len() >= max {
                    // Full: the entity tracked longest is told now, so that
                    // every entity that had the presence hears it end.
                    evicted = Some(s.directed.remove(0));
                }
                s.directed.push(to.clone());
            }
        }
        if let Some(old) = evicted {
            let unavailable = Arc::new(Presence::new(PresenceType::Unavailable).into());
            self.route(session, &old, &unavailable);
        }
    }

    /// The session ends without being available: the entities it sent
    /// directed presence to still hear that it is gone.
    pub(crate) fn end_directed(&mut self, session: &Jid) {
        let Some(s) = self.user.session_mut(session) else {
            return;
        };
        let directed = std::mem::take(&mut s.directed);
        let unavailable: Arc<AnyStanza> = Arc::new(Presence::new(PresenceType::Unavailable).into());
        for to in directed {
            self.route(session, &to, &unavailable);
        }
    }

    /// Initial or updated presence (sections 4.2 and 4.4): to every
    /// contact with From or Both and every available session; on initial
    /// presence also probes to contacts with To or Both, pending requests
    /// redelivered (section 3.1.3) and the offline queue drained.
    fn broadcast(&mut self, session: &Jid, presence: Presence) {
        let priority = presence.priority.unwrap_or(0);
        let stanza: Arc<AnyStanza> = Arc::new(presence.into());
        let now = self.now;
        let Some(s) = self.user.session_mut(session) else {
            return;
        };
        let initial = s.presence.is_none();
        let was_negative = s.priority < 0;
        s.presence = Some(Arc::clone(&stanza));
        s.priority = priority;
        s.since = now;
        self.send_to_subscribers(session, &stanza);
        let from = session.clone();
        self.deliver_to_available(&from, &stanza);
        if initial {
            self.probe_contacts();
            self.redeliver_requests(session);
        }
        if (initial || was_negative) && priority >= 0 && self.user.offline > 0 {
            self.user.offline = 0;
            self.out.push(Output::Store(Change::OfflineDrain {
                session: session.clone(),
            }));
        }
    }

    /// Routes `stanza` from `session` to every contact with From or Both
    /// that is not blocked.
    fn send_to_subscribers(&mut self, session: &Jid, stanza: &Arc<AnyStanza>) {
        let blocking = !self.user.blocklist.is_empty();
        let to: Vec<Jid> = self
            .user
            .contacts
            .iter()
            .filter(|(contact, stored)| {
                stored.state.state().from() && !(blocking && self.user.is_blocked(contact))
            })
            .map(|(contact, _)| contact.clone())
            .collect();
        if !to.is_empty() {
            self.out.push(Output::Broadcast(Broadcast {
                from: session.clone(),
                to,
                stanza: Arc::clone(stanza),
            }));
        }
    }

    /// Probes every contact with To or Both, from the user's bare JID
    /// (section 4.3.1).
    fn probe_contacts(&mut self) {
        let probe: Arc<AnyStanza> = Arc::new(Presence::new(PresenceType::Probe).into());
        let from = self.user.jid.clone();
        let contacts: Vec<Jid> = self
            .user
            .contacts
            .iter()
            .filter(|(jid, c)| c.state.state().to() && !self.user.is_blocked(jid))
            .map(|(jid, _)| jid.clone())
            .collect();
        for contact in contacts {
            self.route(&from, &contact, &probe);
        }
    }

    /// Delivers every unanswered `subscribe` to a session that just became
    /// available, except those from a JID blocked since (XEP-0191, "User
    /// Blocks Contact": nothing from a blocked contact is delivered; the
    /// request stays pending for after an unblock).
    fn redeliver_requests(&mut self, session: &Jid) {
        let requests: Vec<(Jid, Arc<AnyStanza>)> = self
            .user
            .pending_requests()
            .filter(|(jid, _)| !self.user.is_blocked(jid))
            .map(|(jid, p)| (jid.clone(), Arc::new(p.clone().into())))
            .collect();
        for (contact, request) in requests {
            self.deliver(&contact, session, &request);
        }
    }

    /// The session goes unavailable (section 4.5): `stanza` to every
    /// contact with From or Both, every other available session and every
    /// entity that had directed presence from it.
    pub(crate) fn go_unavailable(&mut self, session: &Jid, stanza: Arc<AnyStanza>) {
        let Some(s) = self.user.session_mut(session) else {
            return;
        };
        if s.presence.take().is_none() {
            return;
        }
        let directed = std::mem::take(&mut s.directed);
        self.send_to_subscribers(session, &stanza);
        let from = session.clone();
        self.deliver_to_available(&from, &stanza);
        for to in directed {
            self.route(&from, &to, &stanza);
        }
    }

    /// Presence routed to the user: subscription stanzas through the
    /// tables, probes answered, the rest delivered.
    pub(crate) fn inbound_presence(&mut self, envelope: &Envelope, kind: PresenceType) {
        if let Some(ty) = SubscriptionType::from_presence_type(kind) {
            self.inbound_subscription(envelope, ty);
            return;
        }
        match kind {
            PresenceType::Probe => self.answer_probe(&envelope.from),
            _ => {
                if envelope.to.is_full() {
                    // Section 8.5.3: only to that resource, if connected.
                    if self.user.session(&envelope.to).is_some() {
                        self.deliver(&envelope.from, &envelope.to, &envelope.stanza);
                    }
                } else {
                    // Section 8.5.2.1.2: to every available resource;
                    // with none, there is nothing to do.
                    self.deliver_to_available(&envelope.from, &envelope.stanza);
                }
            }
        }
    }

    /// Section 4.3.2: a contact with From or Both gets the presence of
    /// every available session, or `unavailable`; anyone else gets
    /// `unsubscribed`, which tells its server that it has no subscription.
    fn answer_probe(&mut self, prober: &Jid) {
        let subscribed = self
            .user
            .contacts
            .get(&prober.to_bare())
            .is_some_and(|c| c.state.state().from());
        let bare = self.user.jid.clone();
        if !subscribed {
            self.route_subscription(prober, SubscriptionType::Unsubscribed);
            return;
        }
        let current: Vec<(Jid, Arc<AnyStanza>)> = self
            .user
            .available()
            .filter_map(|s| Some((s.jid.clone(), Arc::clone(s.presence.as_ref()?))))
            .collect();
        if current.is_empty() {
            let unavailable = Arc::new(Presence::new(PresenceType::Unavailable).into());
            self.route(&bare, prober, &unavailable);
        }
        for (from, stanza) in current {
            self.route(&from, prober, &stanza);
        }
    }

    /// A subscription stanza from the user to `contact` (Appendix A.2).
    pub(crate) fn outbound_subscription(
        &mut self,
        contact: &Jid,
        ty: SubscriptionType,
        presence: Presence,
    ) {
        if *contact == self.user.jid || self.user.is_blocked(contact) {
            return;
        }
        let before = self.user.contacts.get(contact).cloned().unwrap_or_default();
        if before.item.is_none() && self.roster_full() {
            return;
        }
        let t = transition(before.state, Direction::Outbound, ty, &self.config.policy);
        let (stored, push) = self.settle(contact, before, t.after, t.roster_push);
        if t.forward == Forward::Route {
            let stanza = Arc::new(subscription_stanza(presence, ty).into());
            let from = self.user.jid.clone();
            self.route(&from, contact, &stanza);
        }
        self.announce(contact, &stored, push, t.presence);
    }

    /// A subscription stanza from a contact to the user (Appendix A.3).
    fn inbound_subscription(&mut self, envelope: &Envelope, ty: SubscriptionType) {
        let contact = envelope.from.to_bare();
        if same_bare(&contact, &self.user.jid) {
            return;
        }
        let known = self.user.contacts.get(&contact).cloned();
        if known.is_none() && ty == SubscriptionType::Subscribe && self.strangers_full() {
            return;
        }
        let mut before = known.unwrap_or_default();
        let t = transition(before.state, Direction::Inbound, ty, &self.config.policy);
        let deliver = t.forward == Forward::Deliver;
        if let (true, SubscriptionType::Subscribe, AnyStanza::Presence(p)) =
            (deliver, ty, &*envelope.stanza)
        {
            before.request = Some(kept_request(p));
        }
        let (stored, push) = self.settle(&contact, before, t.after, t.roster_push);
        if deliver {
            self.deliver_to_available(&contact, &envelope.stanza);
        }
        if let Some(reply) = t.auto_reply {
            self.route_subscription(&contact, reply);
        }
        self.announce(&contact, &stored, push, t.presence);
    }

    /// Stores a contact's new state, adding it to the roster when the
    /// state needs a roster item. Runs before anything is routed, so that
    /// a caller carrying routes to local users at once finds every change
    /// stored before it can come back. Gives the record and whether the
    /// roster changed.
    fn settle(
        &mut self,
        contact: &Jid,
        before: StoredContact,
        after: crate::ContactState,
        roster_push: bool,
    ) -> (StoredContact, bool) {
        let mut stored = before.clone();
        let state = after.state();
        let mut push = roster_push && stored.item.is_some();
        if stored.item.is_none()
            && (state.to() || state.from() || state.pending_out() || after.approved())
        {
            stored.item = Some(RosterItem::new(contact.clone()));
            push = true;
        }
        if !state.pending_in() {
            stored.request = None;
        }
        stored.state = after;
        if stored != before || push {
            let max_removed = self.config.max_removed;
            self.user
                .commit(contact, stored.clone(), push, max_removed, self.out);
            if let Some(kept) = self.user.contacts.get(contact) {
                stored.ver = kept.ver;
            }
        }
        (stored, push)
    }

    /// The roster push and presence a settled change calls for.
    fn announce(
        &mut self,
        contact: &Jid,
        stored: &StoredContact,
        push: bool,
        effect: PresenceEffect,
    ) {
        if push {
            self.push_item(contact, stored);
        }
        self.presence_effect(contact, effect);
    }

    /// Current presence to a newly approved contact, `unavailable` to one
    /// whose subscription ended (sections 3.1.5, 3.2.1, 3.3.3).
    pub(crate) fn presence_effect(&mut self, contact: &Jid, effect: PresenceEffect) {
        let sends: Vec<(Jid, Arc<AnyStanza>)> = match effect {
            PresenceEffect::None => return,
            PresenceEffect::SendCurrent => self
                .user
                .available()
                .filter_map(|s| Some((s.jid.clone(), Arc::clone(s.presence.as_ref()?))))
                .collect(),
            PresenceEffect::SendUnavailable => {
                let unavailable: Arc<AnyStanza> =
                    Arc::new(Presence::new(PresenceType::Unavailable).into());
                self.user
                    .available()
                    .map(|s| (s.jid.clone(), Arc::clone(&unavailable)))
                    .collect()
            }
        };
        for (from, stanza) in sends {
            self.route(&from, contact, &stanza);
        }
    }

    fn roster_full(&self) -> bool {
        self.user.counts.items >= self.config.max_roster_items
    }

    fn strangers_full(&self) -> bool {
        self.user.counts.strangers >= self.config.max_stranger_requests
    }
}

/// The stanza to route for a subscription step: the user's own, its
/// addresses cleared (the envelope carries them) and its type normalised.
fn subscription_stanza(mut presence: Presence, ty: SubscriptionType) -> Presence {
    presence.from = None;
    presence.to = None;
    presence.kind = ty.presence_type();
    presence
}

/// Longest `id` kept with a pending request; a longer one is dropped.
const MAX_KEPT_ID_BYTES: usize = 64;

/// Bytes of `<status/>` text kept with a pending request.
const MAX_KEPT_STATUS_BYTES: usize = 1024;

/// What is kept of a contact's `subscribe` until the user answers: its
/// type, id (up to [`MAX_KEPT_ID_BYTES`]) and status texts up to
/// [`MAX_KEPT_STATUS_BYTES`]. Extension
/// payloads are not kept, so that a stranger's request costs the user's
/// store a bounded amount, whatever size the stanza had.
fn kept_request(request: &Presence) -> Presence {
    let mut kept = Presence::new(PresenceType::Subscribe);
    kept.id = request
        .id
        .clone()
        .filter(|id| id.len() <= MAX_KEPT_ID_BYTES);
    let mut budget = MAX_KEPT_STATUS_BYTES;
    for status in &request.statuses {
        if status.text.len() > budget {
            break;
        }
        budget -= status.text.len();
        kept.statuses.push(status.clone());
    }
    kept
}

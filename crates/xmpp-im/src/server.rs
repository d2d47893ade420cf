//! The server machine's entry points: a session bound or gone, a stanza
//! from one of the user's sessions, a stanza routed to the user, offline
//! messages loaded. Each takes the one [`User`] it concerns and appends
//! [`Output`]s; the sections of RFC 6121 live in their own modules.

use std::sync::Arc;

use chatwire_xmpp_stanza::{
    AnyStanza, Iq, IqPayload, Jid, Message, MessageType, Presence, PresenceType, StanzaError,
    StanzaErrorCondition,
};

use crate::output::{Change, Envelope, Output};
use crate::stamp::Timestamp;
use crate::subscription::{Policy, SubscriptionType};
use crate::user::User;

/// Where a message to a bare JID goes among resources of equal, highest,
/// non-negative priority (RFC 6121 section 8.5.2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ties {
    /// Every one of them.
    All,
    /// The one whose presence changed most recently.
    MostRecent,
}

/// Server choices RFC 6121 and XEP-0191 leave open, and the limits that
/// keep one user's state bounded. The default follows every SHOULD.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Subscription choices (pre-approval, auto-replies).
    pub policy: Policy,
    /// `chat` messages to a bare JID. Default [`Ties::All`].
    pub chat_ties: Ties,
    /// `normal` messages to a bare JID: [`Ties::MostRecent`] delivers to
    /// one resource, [`Ties::All`] to every resource of the highest
    /// non-negative priority (the "most available resources" of RFC 6121
    /// section 8.5.2.1.1). Default [`Ties::MostRecent`].
    pub normal_ties: Ties,
    /// Keep `normal` and `chat` messages for a user with no available
    /// resource (RFC 6121 section 8.5.2.2.1, XEP-0160). Off: answer
    /// `service-unavailable`. Default on.
    pub offline: bool,
    /// Offline queue length beyond which messages are refused with
    /// `service-unavailable`.
    pub max_offline: u32,
    /// Roster items per user; a roster set adding one more is refused with
    /// `not-allowed`, a subscription that would add one is dropped.
    pub max_roster_items: usize,
    /// Requests from contacts not in the roster kept at once; further ones
    /// are dropped, so that strangers cannot grow a user's state.
    pub max_stranger_requests: usize,
    /// Blocklist entries per user (`resource-constraint` beyond).
    pub max_blocklist: usize,
    /// Removed roster items remembered for versioning; older removals make
    /// clients with older versions fetch the whole roster.
    pub max_removed: usize,
    /// Entities per session tracked for directed presence.
    pub max_directed: usize,
    /// Longest roster item name and group name, in bytes (`not-acceptable`
    /// beyond).
    pub max_name_bytes: usize,
    /// Most groups per roster item (`not-acceptable` beyond).
    pub max_groups: usize,
    /// Answer roster gets that carry a `ver` with versioned results
    /// (RFC 6121 section 2.6). Default on.
    pub roster_versioning: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            policy: Policy::default(),
            chat_ties: Ties::All,
            normal_ties: Ties::MostRecent,
            offline: true,
            max_offline: 1000,
            max_roster_items: 20_000,
            max_stranger_requests: 500,
            max_blocklist: 5000,
            max_removed: 1000,
            max_directed: 100,
            max_name_bytes: 1023,
            max_groups: 64,
            roster_versioning: true,
        }
    }
}

/// The RFC 6121 and XEP-0191 server machine. It holds only its
/// configuration; all state is in the [`User`] values the caller passes.
#[derive(Debug, Clone, Default)]
pub struct Server {
    pub(crate) config: Config,
}

/// One call's working set: the configuration, the user, where outputs go,
/// and the time.
pub(crate) struct Run<'a> {
    pub(crate) config: &'a Config,
    pub(crate) user: &'a mut User,
    pub(crate) out: &'a mut Vec<Output>,
    pub(crate) now: Timestamp,
}

impl Server {
    /// A machine with `config`.
    pub fn new(config: Config) -> Server {
        Server { config }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn run<'a>(&'a self, user: &'a mut User, now: Timestamp, out: &'a mut Vec<Output>) -> Run<'a> {
        Run {
            config: &self.config,
            user,
            out,
            now,
        }
    }

    /// A resource was bound for the user: `session` (a full JID of the
    /// user) is now a connected resource. Ignored for another user's JID.
    pub fn session_bound(&self, user: &mut User, session: &Jid) {
        if session.is_full() && same_bare(session, &user.jid) {
            user.connect(session);
        }
    }

    /// The session went away, gracefully or not: if it was available, its
    /// `unavailable` goes to everyone who had its presence (RFC 6121
    /// section 4.5.2).
    pub fn session_ended(
        &self,
        user: &mut User,
        session: &Jid,
        now: Timestamp,
        out: &mut Vec<Output>,
    ) {
        let mut run = self.run(user, now, out);
        if run.user.session(session).is_some_and(|s| s.is_available()) {
            run.go_unavailable(
                session,
                Arc::new(Presence::new(PresenceType::Unavailable).into()),
            );
        } else {
            run.end_directed(session);
        }
        run.user.sessions.retain(|s| s.jid != *session);
    }

    /// A stanza one of the user's sessions sent. `session` is its full JID;
    /// the stanza's own `from` is ignored (RFC 6120 section 8.1.2.1).
    pub fn outbound(
        &self,
        user: &mut User,
        session: &Jid,
        stanza: AnyStanza,
        now: Timestamp,
        out: &mut Vec<Output>,
    ) {
        let mut run = self.run(user, now, out);
        if run.user.session(session).is_none() {
            return;
        }
        match stanza {
            AnyStanza::Presence(p) => run.outbound_presence(session, p),
            AnyStanza::Message(m) => run.outbound_message(session, m),
            AnyStanza::Iq(iq) => run.outbound_iq(session, iq),
        }
    }

    /// A stanza routed to the user (an [`Output::Route`] whose `to` is the
    /// user's bare JID or one of its full JIDs).
    pub fn inbound(
        &self,
        user: &mut User,
        envelope: Envelope,
        now: Timestamp,
        out: &mut Vec<Output>,
    ) {
        let mut run = self.run(user, now, out);
        if !same_bare(&envelope.to, &run.user.jid) {
            return;
        }
        if run.user.is_blocked(&envelope.from) {
            run.inbound_blocked(&envelope);
            return;
        }
        match &*envelope.stanza {
            AnyStanza::Presence(p) => {
                let presence = p.kind;
                run.inbound_presence(&envelope, presence);
            }
            AnyStanza::Message(m) => {
                let kind = m.kind;
                run.inbound_message(&envelope, kind);
            }
            AnyStanza::Iq(iq) => {
                let request = iq.is_request();
                run.inbound_iq(&envelope, request);
            }
        }
    }

    /// The answer to a stanza routed to an account that does not exist
    /// (RFC 6121 section 8.5.1): `service-unavailable` for an iq request
    /// and a message, `unsubscribed` for a subscription request or a
    /// probe, nothing otherwise.
    pub fn no_such_user(&self, envelope: &Envelope, out: &mut Vec<Output>) {
        match &*envelope.stanza {
            AnyStanza::Iq(_) | AnyStanza::Message(_) => {
                if let Some(error) = error_reply(envelope, StanzaErrorCondition::ServiceUnavailable)
                {
                    out.push(Output::Route(error));
                }
            }
            AnyStanza::Presence(p) => {
                if matches!(p.kind, PresenceType::Subscribe | PresenceType::Probe) {
                    out.push(Output::Route(Envelope::new(
                        envelope.to.to_bare(),
                        envelope.from.to_bare(),
                        Presence::new(PresenceType::Unsubscribed),
                    )));
                }
            }
        }
    }

    /// `count` offline messages that [`Server::offline_loaded`] handed to a
    /// session which ended before acknowledging them. A caller that keeps
    /// each stored message until the session acknowledges it (XEP-0198)
    /// still holds them: they count as queued again, and are drained at
    /// once to the available session a normal message would go to, if
    /// there is one, else at the next login.
    pub fn offline_returned(&self, user: &mut User, count: u32, out: &mut Vec<Output>) {
        if count == 0 {
            return;
        }
        user.offline = user.offline.saturating_add(count);
        let target = user
            .available()
            .filter(|s| s.priority >= 0)
            .max_by_key(|s| (s.priority, s.since))
            .map(|s| s.jid.clone());
        if let Some(session) = target {
            user.offline = 0;
            out.push(Output::Store(Change::OfflineDrain { session }));
        }
    }

    /// The user's offline queue, loaded after an [`crate::Change::OfflineDrain`]:
    /// each message goes to `session`, with the `<delay/>` it was stored
    /// with, except those from a JID blocked since.
    pub fn offline_loaded(
        &self,
        user: &mut User,
        session: &Jid,
        messages: Vec<Message>,
        out: &mut Vec<Output>,
    ) {
        let gone = user.session(session).is_none();
        for message in messages {
            if gone {
                // The session went between the drain and the load: the
                // messages go back to the queue, for the next login.
                user.offline = user.offline.saturating_add(1);
                out.push(Output::Store(Change::OfflineStore(Box::new(message))));
                continue;
            }
            // XEP-0191, "User Blocks Contact": once blocked, nothing from
            // the contact is delivered, not even what was stored before.
            if message.from.as_ref().is_some_and(|f| user.is_blocked(f)) {
                continue;
            }
            let from = message
                .from
                .clone()
                .unwrap_or_else(|| domain_jid(&user.jid));
            out.push(Output::Deliver(Envelope::new(
                from,
                session.clone(),
                message,
            )));
        }
    }
}

impl Run<'_> {
    /// Writes `stanza` to one session.
    pub(crate) fn deliver(&mut self, from: &Jid, to: &Jid, stanza: &Arc<AnyStanza>) {
        self.out.push(Output::Deliver(Envelope {
            from: from.clone(),
            to: to.clone(),
            stanza: Arc::clone(stanza),
        }));
    }

    /// Hands `stanza` to `to`'s server.
    pub(crate) fn route(&mut self, from: &Jid, to: &Jid, stanza: &Arc<AnyStanza>) {
        self.out.push(Output::Route(Envelope {
            from: from.clone(),
            to: to.clone(),
            stanza: Arc::clone(stanza),
        }));
    }

    /// Writes `stanza` to every available session.
    pub(crate) fn deliver_to_available(&mut self, from: &Jid, stanza: &Arc<AnyStanza>) {
        for session in self.user.sessions.iter().filter(|s| s.is_available()) {
            self.out.push(Output::Deliver(Envelope {
                from: from.clone(),
                to: session.jid.clone(),
                stanza: Arc::clone(stanza),
            }));
        }
    }

    /// Answers a stanza the user's session sent with an error from the
    /// user's server.
    pub(crate) fn refuse(&mut self, session: &Jid, stanza: AnyStanza, error: StanzaError) {
        let to = stanza_to(&stanza)
            .cloned()
            .unwrap_or_else(|| self.user.jid.clone());
        let reply: Option<AnyStanza> = match stanza {
            AnyStanza::Iq(iq) => iq.error_reply(error).map(Into::into),
            AnyStanza::Message(m) => m.error_reply(error).map(Into::into),
            AnyStanza::Presence(p) => p.error_reply(error).map(Into::into),
        };
        if let Some(reply) = reply {
            self.out
                .push(Output::Deliver(Envelope::new(to, session.clone(), reply)));
        }
    }

    /// Answers a stanza routed to the user with an error.
    pub(crate) fn bounce(&mut self, envelope: &Envelope, condition: StanzaErrorCondition) {
        if let Some(error) = error_reply(envelope, condition) {
            self.out.push(Output::Route(error));
        }
    }

    /// A stanza from a JID on the user's blocklist (XEP-0191 section 3.5):
    /// an iq request or a message gets `service-unavailable`, as if the
    /// user were not there; anything else is dropped.
    fn inbound_blocked(&mut self, envelope: &Envelope) {
        let answer = match &*envelope.stanza {
            AnyStanza::Iq(iq) => iq.is_request(),
            AnyStanza::Message(m) => m.kind != MessageType::Error,
            AnyStanza::Presence(_) => false,
        };
        if answer {
            self.bounce(envelope, StanzaErrorCondition::ServiceUnavailable);
        }
    }

    /// Sends a subscription presence from the user's bare JID.
    pub(crate) fn route_subscription(&mut self, to: &Jid, ty: SubscriptionType) {
        self.out.push(Output::Route(Envelope::new(
            self.user.jid.clone(),
            to.clone(),
            Presence::new(ty.presence_type()),
        )));
    }

    /// Answers an iq request from a session with a result.
    pub(crate) fn result(&mut self, session: &Jid, iq: &Iq, payload: Option<IqPayload>) {
        if let Some(result) = iq.result(payload) {
            self.out.push(Output::Deliver(Envelope::new(
                self.user.jid.clone(),
                session.clone(),
                result,
            )));
        }
    }
}

/// The error answering an envelope's stanza, addressed back to its sender.
pub(crate) fn error_reply(
    envelope: &Envelope,
    condition: StanzaErrorCondition,
) -> Option<Envelope> {
    let error = StanzaError::new(condition);
    let reply: AnyStanza = match &*envelope.stanza {
        AnyStanza::Iq(iq) => iq.error_reply(error)?.into(),
        AnyStanza::Message(m) => m.error_reply(error)?.into(),
        AnyStanza::Presence(p) => p.error_reply(error)?.into(),
    };
    Some(Envelope::new(
        envelope.to.clone(),
        envelope.from.clone(),
        reply,
    ))
}

/// The `to` of a stanza.
pub(crate) fn stanza_to(stanza: &AnyStanza) -> Option<&Jid> {
    match stanza {
        AnyStanza::Iq(iq) => iq.to.as_ref(),
        AnyStanza::Message(m) => m.to.as_ref(),
        AnyStanza::Presence(p) => p.to.as_ref(),
    }
}

/// Whether two JIDs share their bare part, without allocating.
pub(crate) fn same_bare(a: &Jid, b: &Jid) -> bool {
    a.local() == b.local() && a.domain() == b.domain()
}

/// The JID of a JID's domain (the server's address in `<delay/>`).
pub(crate) fn domain_jid(jid: &Jid) -> Jid {
    Jid::new(jid.domain()).unwrap_or_else(|_| jid.to_bare())
}

//! The shared half of the chat server: the users loaded in memory, the
//! bound sessions and their outgoing queues, and the loop that carries out
//! what the IM machine asks (deliver, route, store) until nothing is left.
//! Connections call in with what their clients send; the machine decides.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use chatwire_xmpp_im::{Change, Envelope, Output, Server as ImServer, Timestamp, User};
use chatwire_xmpp_session::Resumption;
use chatwire_xmpp_stanza::{
    AnyStanza, DiscoInfo, DiscoItems, Identity, Iq, IqPayload, IqType, Jid, MessageType,
    StanzaError, StanzaErrorCondition, ns,
};
use tokio::sync::mpsc;

use crate::chat::idle::IdleUsers;
use crate::chat::metrics::Metrics;
use crate::chat::offline::{InFlight, Leftovers};
use crate::chat::receipt::Receipt;
use crate::chat::store::{OfflineId, Store, StoreError};

/// One stanza queued for a session; `offline` names the stored message it
/// came from, which stays stored until the session confirms it.
#[derive(Debug)]
pub struct Outgoing {
    /// The stanza and its addresses.
    pub envelope: Envelope,
    /// The offline message it is, if it is one.
    pub offline: Option<OfflineId>,
    /// Its sender's receipt: held until the message is safe.
    pub receipt: Option<Receipt>,
}

impl From<Envelope> for Outgoing {
    fn from(envelope: Envelope) -> Outgoing {
        Outgoing {
            envelope,
            offline: None,
            receipt: None,
        }
    }
}

/// How a bound session is reached: its queue of stanzas to write, and the
/// signal that ends it (a slow consumer, a conflicting login).
#[derive(Debug, Clone)]
pub struct SessionHandle {
    /// Stanzas for the session, bounded: a client that does not read fills
    /// it and is disconnected.
    pub tx: mpsc::Sender<Box<Outgoing>>,
    /// Tells the connection to end the session, with this reason.
    pub kick: mpsc::Sender<Kick>,
    /// Offline messages are left after the page delivered: the connection
    /// asks for the next page ([`Hub::more_offline`]) once its queue is
    /// empty, so that a long queue never fills it.
    pub more_offline: Arc<std::sync::atomic::AtomicBool>,
}

/// Why a session is ended from outside its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kick {
    /// Its queue is full: the client stopped reading.
    SlowConsumer,
    /// Another login took its resource.
    Conflict,
    /// The server is shutting down.
    Shutdown,
    /// A new connection resumes this session (XEP-0198): hand it over with
    /// [`Hub::detach`] and end the stream with `conflict`.
    Takeover,
}

/// A session whose connection was lost, kept for XEP-0198 resumption: its
/// stream management state and its queue, which keeps filling meanwhile.
pub struct Detached {
    /// The session's stream management state.
    pub resumption: Resumption,
    /// Stanzas queued for it since.
    pub rx: mpsc::Receiver<Box<Outgoing>>,
    /// The offline messages it was sent and has not confirmed.
    pub offline: InFlight,
    /// Its end signals.
    pub kick_rx: mpsc::Receiver<Kick>,
    /// How the hub reaches it.
    pub handle: SessionHandle,
    /// Which detachment this is: a resumed and again detached session
    /// keeps its id, and the earlier timer must not end the later one.
    pub generation: u64,
}

/// What [`Hub::take_detached`] found.
pub enum Taken {
    /// The detached session, for this account.
    Found(Box<Detached>),
    /// Its connection is still up and was asked to hand it over: ask again
    /// in a moment.
    Pending,
    /// No session of this account has that id.
    None,
}

struct State {
    users: HashMap<Jid, User>,
    sessions: HashMap<Jid, SessionHandle>,
    /// Resumable sessions whose connection is up, by resumption id.
    resumable: HashMap<String, Jid>,
    /// Sessions kept for resumption, by resumption id.
    detached: HashMap<String, Detached>,
    /// Detachments so far, for [`Detached::generation`].
    detachments: u64,
    /// Users with no session kept loaded, oldest first: a stanza to an
    /// offline user does not reload its roster each time.
    idle: IdleUsers,
    /// Per user, the offline messages handed to a session and not yet
    /// confirmed: still stored, and not to be handed out twice.
    in_flight: HashMap<Jid, BTreeSet<OfflineId>>,
    /// The receipt of the message being routed: every copy delivered to a
    /// session meanwhile holds it.
    receipt: Option<Receipt>,
}

/// Users with no session kept in memory.
const MAX_IDLE_USERS: usize = 1024;

/// Everything connections share.
pub struct Hub {
    domain: Jid,
    im: ImServer,
    store: Arc<dyn Store>,
    state: Mutex<State>,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
}

impl Hub {
    /// A hub for `domain` over `store`.
    pub fn new(domain: &Jid, im: ImServer, store: Arc<dyn Store>) -> Hub {
        Hub {
            domain: domain.clone(),
            im,
            store,
            state: Mutex::new(State {
                users: HashMap::new(),
                sessions: HashMap::new(),
                resumable: HashMap::new(),
                detached: HashMap::new(),
                detachments: 0,
                idle: IdleUsers::new(MAX_IDLE_USERS),
                in_flight: HashMap::new(),
                receipt: None,
            }),
            metrics: Metrics::default(),
        }
    }

    /// The domain served.
    pub fn domain(&self) -> &Jid {
        &self.domain
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves state a later call can
        // still use: every step either completed or did not start.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many resources `account` has bound.
    pub fn resources(&self, account: &Jid) -> usize {
        self.lock()
            .users
            .get(account)
            .map_or(0, |u| u.sessions().len())
    }

    /// Whether `resource` is bound for `account` now.
    pub fn is_bound(&self, full: &Jid) -> bool {
        self.lock().sessions.contains_key(full)
    }

    /// Registers a bound session; the session that held the same full JID
    /// before, if any, is told to end with `conflict` (RFC 6120 section
    /// 7.7.2.2, the newest login wins).
    pub fn bind(&self, full: &Jid, handle: SessionHandle) -> Result<(), StoreError> {
        let mut state = self.lock();
        let bare = full.to_bare();
        if !state.users.contains_key(&bare) {
            let user = self.store.load_user(&bare)?.into_user(&bare);
            state.users.insert(bare.clone(), user);
        }
        if let Some(old) = state.sessions.insert(full.clone(), handle) {
            // The newest login takes the resource: the old session ends
            // here, for the IM machine too, so that the new one starts
            // afresh (not available, no directed presence, new probes).
            let _ = old.kick.try_send(Kick::Conflict);
            state.resumable.retain(|_, jid| jid != full);
            let mut out = Vec::new();
            if let Some(user) = state.users.get_mut(&bare) {
                self.im
                    .session_ended(user, full, crate::chat::conn::timestamp(), &mut out);
            }
            self.carry(&mut state, &bare, out, crate::chat::conn::timestamp());
            Metrics::dec(&self.metrics.sessions);
        }
        if let Some(user) = state.users.get_mut(&bare) {
            self.im.session_bound(user, full);
        }
        Metrics::inc(&self.metrics.sessions);
        Ok(())
    }

    /// A stanza the session `full` sent.
    /// `receipt`, when the sender counts on it, is let go once every copy
    /// of a message is safe (stored, or confirmed by its recipient), and
    /// at once for anything else.
    pub fn outbound(
        &self,
        full: &Jid,
        stanza: AnyStanza,
        now: Timestamp,
        receipt: Option<Receipt>,
    ) {
        let mut state = self.lock();
        let bare = full.to_bare();
        let Some(user) = state.users.get_mut(&bare) else {
            return;
        };
        let mut out = Vec::new();
        let message = matches!(stanza, AnyStanza::Message(_));
        self.im.outbound(user, full, stanza, now, &mut out);
        state.receipt = receipt.filter(|_| message);
        self.carry(&mut state, &bare, out, now);
        state.receipt = None;
    }

    /// The session `full` is gone (its connection closed and it was not
    /// kept for resumption). `handle_id` names the connection, so that a
    /// session replaced by a newer login is not removed by the old one.
    pub fn unbind(&self, full: &Jid, tx: &mpsc::Sender<Box<Outgoing>>, now: Timestamp) {
        let mut state = self.lock();
        self.unbind_locked(&mut state, full, tx, now);
    }

    fn unbind_locked(
        &self,
        state: &mut State,
        full: &Jid,
        tx: &mpsc::Sender<Box<Outgoing>>,
        now: Timestamp,
    ) {
        match state.sessions.get(full) {
            Some(h) if h.tx.same_channel(tx) => {}
            _ => return,
        }
        state.sessions.remove(full);
        state.resumable.retain(|_, jid| jid != full);
        Metrics::dec(&self.metrics.sessions);
        let bare = full.to_bare();
        let mut out = Vec::new();
        if let Some(user) = state.users.get_mut(&bare) {
            self.im.session_ended(user, full, now, &mut out);
        }
        self.carry(state, &bare, out, now);
        Self::keep_idle(state, &bare);
    }

    /// Keeps a user that has no session left among the idle ones, dropping
    /// the oldest idle users beyond [`MAX_IDLE_USERS`].
    fn keep_idle(state: &mut State, bare: &Jid) {
        if !state.users.get(bare).is_some_and(User::is_idle) {
            return;
        }
        for old in state.idle.touch(bare) {
            if state.users.get(&old).is_some_and(User::is_idle) {
                state.users.remove(&old);
            }
        }
    }

    /// Whether `full` is bound to the session whose queue is `tx`.
    pub fn is_bound_to(&self, full: &Jid, tx: &mpsc::Sender<Box<Outgoing>>) -> bool {
        self.lock()
            .sessions
            .get(full)
            .is_some_and(|h| h.tx.same_channel(tx))
    }

    /// The session `full` can be resumed under `id` (XEP-0198).
    pub fn resumable(&self, id: &str, full: &Jid) {
        self.lock().resumable.insert(id.to_owned(), full.clone());
    }

    /// Keeps a session whose connection was lost for `timeout`; then, if
    /// nobody resumed it, it ends and what it never acknowledged is routed
    /// again.
    pub fn detach(self: &Arc<Self>, mut detached: Detached, timeout: std::time::Duration) {
        let Some(id) = detached.resumption.id().map(str::to_owned) else {
            return;
        };
        let generation = {
            let mut state = self.lock();
            state.detachments += 1;
            detached.generation = state.detachments;
            state.resumable.remove(&id);
            state.detached.insert(id.clone(), detached);
            state.detachments
        };
        let hub = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            hub.expire(&id, generation);
        });
    }

    /// The detached session `id` for `account` to resume.
    pub fn take_detached(&self, id: &str, account: &Jid) -> Taken {
        let mut state = self.lock();
        let ours = |jid: &Jid| jid.to_bare() == *account;
        if state
            .detached
            .get(id)
            .is_some_and(|d| ours(&d.resumption.jid))
        {
            return match state.detached.remove(id) {
                Some(d) => Taken::Found(Box::new(d)),
                None => Taken::None,
            };
        }
        let live = state.resumable.get(id).filter(|jid| ours(jid)).cloned();
        if let Some(handle) = live.and_then(|jid| state.sessions.get(&jid)) {
            let _ = handle.kick.try_send(Kick::Takeover);
            return Taken::Pending;
        }
        Taken::None
    }

    /// A detached session that a resumption did not take, kept again.
    pub fn put_back(&self, detached: Detached) {
        if let Some(id) = detached.resumption.id().map(str::to_owned) {
            self.lock().detached.insert(id, detached);
        }
    }

    /// A detached session's time is up: it ends, and the messages it never
    /// acknowledged or never got go through routing again.
    fn expire(&self, id: &str, generation: u64) {
        let detached = {
            let mut state = self.lock();
            match state.detached.get(id) {
                Some(d) if d.generation == generation => {}
                _ => return,
            }
            let Some(detached) = state.detached.remove(id) else {
                return;
            };
            detached
        };
        let now = crate::chat::conn::timestamp();
        let jid = detached.resumption.jid.clone();
        let tx = detached.handle.tx.clone();
        let left = detached_leftovers(detached);
        tracing::info!(%jid, rerouted = left.reroute.len(), released = left.release.len(), "resumption expired");
        self.session_gone(&jid, &tx, left, now);
    }

    /// The session `full` is gone for good (its connection closed and it
    /// was not kept for resumption, or its resumption expired), leaving
    /// `left`: nothing it accepted is lost.
    pub fn session_gone(
        &self,
        full: &Jid,
        tx: &mpsc::Sender<Box<Outgoing>>,
        left: Leftovers,
        now: Timestamp,
    ) {
        let mut state = self.lock();
        self.unbind_locked(&mut state, full, tx, now);
        self.leftovers_locked(&mut state, &full.to_bare(), left, now);
    }

    /// What an ended session of `owner` left: confirmed offline messages
    /// deleted, unconfirmed ones handed out again, and every other message
    /// it accepted routed again, as if just sent to the account (another
    /// resource gets it, or offline storage).
    fn leftovers_locked(&self, state: &mut State, owner: &Jid, left: Leftovers, now: Timestamp) {
        if !left.delete.is_empty() {
            if let Err(e) = self.store.delete_offline(owner, &left.delete) {
                tracing::error!(user = %owner, error = %e, "offline delete failed");
            }
            Self::settle(state, owner, &left.delete);
        }
        self.reroute_locked(state, left.reroute, now);
        if !left.release.is_empty() {
            Self::settle(state, owner, &left.release);
            let count = u32::try_from(left.release.len()).unwrap_or(u32::MAX);
            let mut out = Vec::new();
            if let Some(user) = state.users.get_mut(owner) {
                self.im.offline_returned(user, count, &mut out);
            }
            self.carry(state, owner, out, now);
        }
    }

    /// The offline messages `ids` of `owner` are no longer on their way.
    fn settle(state: &mut State, owner: &Jid, ids: &[OfflineId]) {
        if let Some(set) = state.in_flight.get_mut(owner) {
            for id in ids {
                set.remove(id);
            }
            if set.is_empty() {
                state.in_flight.remove(owner);
            }
        }
    }

    /// The session `session` confirmed these offline messages: they are
    /// deleted. One that fails to delete stays marked as on its way, so
    /// that it is not handed out again while the server runs.
    pub fn offline_delivered(&self, session: &Jid, ids: &[OfflineId]) {
        if ids.is_empty() {
            return;
        }
        let owner = session.to_bare();
        // Deleted before the mark goes: a drain in between must not find
        // the message stored and unmarked.
        if let Err(e) = self.store.delete_offline(&owner, ids) {
            tracing::error!(user = %owner, error = %e, "offline delete failed");
            return;
        }
        Self::settle(&mut self.lock(), &owner, ids);
    }

    fn reroute_locked(
        &self,
        state: &mut State,
        stanzas: Vec<(AnyStanza, Option<Receipt>)>,
        now: Timestamp,
    ) {
        for (stanza, receipt) in stanzas {
            let s = stanza.as_stanza();
            let (Some(from), Some(to)) = (s.from().cloned(), s.to().cloned()) else {
                continue;
            };
            // Only messages: presence and iq answers are stale by now.
            if !matches!(&stanza, AnyStanza::Message(m) if m.kind != MessageType::Error) {
                continue;
            }
            let envelope = Envelope::new(from, to.to_bare(), stanza);
            state.receipt = receipt;
            self.route(state, envelope, now);
            state.receipt = None;
        }
    }

    /// Carries out the machine's outputs for `owner`, and everything that
    /// follows, until nothing is left. Store changes of one machine call
    /// are written in one transaction before its stanzas move.
    fn carry(&self, state: &mut State, owner: &Jid, out: Vec<Output>, now: Timestamp) {
        let mut changes = Vec::new();
        let mut moves = Vec::new();
        for output in out {
            match output {
                Output::Store(change) => changes.push(change),
                other => moves.push(other),
            }
        }
        let mut drains = Vec::new();
        changes.retain(|c| match c {
            Change::OfflineDrain { session } => {
                drains.push(session.clone());
                false
            }
            Change::OfflineStore(_) => {
                Metrics::inc(&self.metrics.offline_stored);
                true
            }
            _ => true,
        });
        if !changes.is_empty()
            && let Err(e) = self.store.apply(owner, &changes)
        {
            tracing::error!(user = %owner, error = %e, "store write failed");
        }
        for output in moves {
            match output {
                Output::Deliver(envelope) => self.deliver(state, envelope.into(), now),
                Output::Route(envelope) => self.route(state, envelope, now),
                Output::Broadcast(broadcast) => {
                    for envelope in broadcast.envelopes() {
                        self.route(state, envelope, now);
                    }
                }
                Output::Store(_) => {}
            }
        }
        for session in drains {
            self.drain_page(state, owner, &session, now);
        }
    }

    /// Delivers the next page of the offline queue to `session`: as many
    /// messages as half the room left in its queue, so that draining never
    /// fills it; the connection asks for more once it has written them.
    /// Each message stays stored until the session confirms it.
    fn drain_page(&self, state: &mut State, owner: &Jid, session: &Jid, now: Timestamp) {
        static NONE: BTreeSet<OfflineId> = BTreeSet::new();
        let Some(handle) = state.sessions.get(session) else {
            return;
        };
        let room = (handle.tx.capacity() / 2).max(1);
        let more = Arc::clone(&handle.more_offline);
        let skip = state.in_flight.get(owner).unwrap_or(&NONE);
        let page = match self.store.offline_page(owner, skip, room) {
            Ok(page) => page,
            Err(e) => {
                tracing::error!(user = %owner, error = %e, "offline load failed");
                return;
            }
        };
        more.store(page.len() >= room, std::sync::atomic::Ordering::Relaxed);
        let mut dropped = Vec::new();
        for (id, message) in page {
            let mut out = Vec::new();
            if let Some(user) = state.users.get_mut(owner) {
                self.im
                    .offline_loaded(user, session, vec![message], &mut out);
            }
            let mut handed = false;
            let mut kept = false;
            let mut rest = Vec::new();
            for output in out {
                match output {
                    Output::Deliver(envelope) if !handed => {
                        handed = true;
                        state.in_flight.entry(owner.clone()).or_default().insert(id);
                        let offline = Some(id);
                        self.deliver(
                            state,
                            Outgoing {
                                envelope,
                                offline,
                                receipt: None,
                            },
                            now,
                        );
                    }
                    // The session went meanwhile: the machine counts the
                    // message as queued again, and it is still stored.
                    Output::Store(Change::OfflineStore(_)) => kept = true,
                    other => rest.push(other),
                }
            }
            if !handed && !kept {
                // Not delivered at all (its sender is blocked now).
                dropped.push(id);
            }
            self.carry(state, owner, rest, now);
        }
        if !dropped.is_empty()
            && let Err(e) = self.store.delete_offline(owner, &dropped)
        {
            tracing::error!(user = %owner, error = %e, "offline delete failed");
        }
    }

    /// The next page of offline messages for `session`, whose queue is
    /// empty again.
    pub fn more_offline(&self, session: &Jid, now: Timestamp) {
        let mut state = self.lock();
        let bare = session.to_bare();
        self.drain_page(&mut state, &bare, session, now);
    }

    /// Queues a stanza for a bound session; a full queue ends the session.
    fn deliver(&self, state: &mut State, mut outgoing: Outgoing, now: Timestamp) {
        if outgoing.receipt.is_none() {
            outgoing.receipt.clone_from(&state.receipt);
        }
        self.count(&outgoing.envelope.stanza);
        let owner = outgoing.envelope.to.to_bare();
        let Some(handle) = state.sessions.get(&outgoing.envelope.to) else {
            // The session went while this was on its way (a slow consumer
            // ended in this very call): the message goes where it would go
            // without that session, never nowhere.
            let mut left = Leftovers::default();
            left.queued(outgoing);
            self.leftovers_locked(state, &owner, left, now);
            return;
        };
        let Err(mpsc::error::TrySendError::Full(outgoing)) = handle.tx.try_send(Box::new(outgoing))
        else {
            return;
        };
        // The client stopped reading: its session ends here, so that
        // nothing more is queued for it, and this message goes where it
        // would go without that session (another resource, or offline).
        Metrics::inc(&self.metrics.slow_consumers);
        let _ = handle.kick.try_send(Kick::SlowConsumer);
        let full = outgoing.envelope.to.clone();
        let tx = handle.tx.clone();
        let mut left = Leftovers::default();
        left.queued(*outgoing);
        // A session kept for resumption ends too: its queue is full.
        let detached: Vec<String> = state
            .detached
            .iter()
            .filter(|(_, d)| d.resumption.jid == full)
            .map(|(id, _)| id.clone())
            .collect();
        for id in detached {
            if let Some(d) = state.detached.remove(&id) {
                left.extend(detached_leftovers(d));
            }
        }
        self.unbind_locked(state, &full, &tx, now);
        self.leftovers_locked(state, &owner, left, now);
    }

    /// Hands a stanza to the user it is for, to the server itself, or back
    /// with an error when there is nobody to take it.
    fn route(&self, state: &mut State, envelope: Envelope, now: Timestamp) {
        self.count(&envelope.stanza);
        if envelope.to.domain() != self.domain.domain() {
            // No server-to-server links.
            return self.bounce(
                state,
                &envelope,
                StanzaErrorCondition::RemoteServerNotFound,
                now,
            );
        }
        if envelope.to.local().is_none() {
            return self.serve_domain(state, &envelope, now);
        }
        let bare = envelope.to.to_bare();
        if !state.users.contains_key(&bare) {
            match self.load(&bare) {
                Ok(Some(user)) => {
                    state.users.insert(bare.clone(), user);
                }
                Ok(None) => {
                    let mut out = Vec::new();
                    self.im.no_such_user(&envelope, &mut out);
                    return self.carry(state, &bare, out, now);
                }
                Err(e) => {
                    tracing::error!(user = %bare, error = %e, "user load failed");
                    return;
                }
            }
        }
        let mut out = Vec::new();
        if let Some(user) = state.users.get_mut(&bare) {
            self.im.inbound(user, envelope, now, &mut out);
        }
        self.carry(state, &bare, out, now);
        Self::keep_idle(state, &bare);
    }

    /// The user's state, if the account exists.
    fn load(&self, bare: &Jid) -> Result<Option<User>, StoreError> {
        let Some(local) = bare.local() else {
            return Ok(None);
        };
        if self.store.account(local)?.is_none() {
            return Ok(None);
        }
        Ok(Some(self.store.load_user(bare)?.into_user(bare)))
    }

    /// Stanzas to the server itself: XEP-0030 disco, XEP-0199 ping,
    /// XEP-0092 version; any other request is `service-unavailable`.
    fn serve_domain(&self, state: &mut State, envelope: &Envelope, now: Timestamp) {
        let AnyStanza::Iq(iq) = &*envelope.stanza else {
            return;
        };
        if !iq.is_request() {
            return;
        }
        let payload = match (iq.kind, &iq.payload) {
            (IqType::Get, Some(IqPayload::Ping)) => None,
            (IqType::Get, Some(IqPayload::DiscoInfo(q))) if q.node.is_none() => {
                Some(IqPayload::DiscoInfo(server_info()))
            }
            (IqType::Get, Some(IqPayload::DiscoItems(q))) if q.node.is_none() => {
                Some(IqPayload::DiscoItems(DiscoItems::default()))
            }
            (IqType::Get, Some(IqPayload::Other(el))) if el.is("query", VERSION_NS) => {
                Some(IqPayload::Other(version()))
            }
            _ => {
                return self.bounce(
                    state,
                    envelope,
                    StanzaErrorCondition::ServiceUnavailable,
                    now,
                );
            }
        };
        let mut result = Iq::new(IqType::Result, iq.id.clone());
        result.payload = payload;
        let reply = Envelope::new(envelope.to.clone(), envelope.from.clone(), result);
        self.route_back(state, reply, now);
    }

    /// The error answering `envelope`, back to its sender.
    fn bounce(
        &self,
        state: &mut State,
        envelope: &Envelope,
        condition: StanzaErrorCondition,
        now: Timestamp,
    ) {
        let error = StanzaError::new(condition);
        let reply: Option<AnyStanza> = match &*envelope.stanza {
            AnyStanza::Iq(iq) => iq.error_reply(error).map(Into::into),
            AnyStanza::Message(m) => m.error_reply(error).map(Into::into),
            AnyStanza::Presence(p) => p.error_reply(error).map(Into::into),
        };
        if let Some(reply) = reply {
            let reply = Envelope::new(envelope.to.clone(), envelope.from.clone(), reply);
            self.route_back(state, reply, now);
        }
    }

    /// An answer from the server to one of our users: to the session if
    /// the address is one, else through the user's inbound handling.
    fn route_back(&self, state: &mut State, envelope: Envelope, now: Timestamp) {
        if envelope.to.domain() != self.domain.domain() || envelope.to.local().is_none() {
            return;
        }
        if state.sessions.contains_key(&envelope.to) {
            self.deliver(state, envelope.into(), now);
        } else {
            self.route(state, envelope, now);
        }
    }

    fn count(&self, stanza: &AnyStanza) {
        Metrics::inc(match stanza {
            AnyStanza::Message(_) => &self.metrics.messages,
            AnyStanza::Presence(_) => &self.metrics.presences,
            AnyStanza::Iq(_) => &self.metrics.iqs,
        });
    }

    /// Ends every session, for a shutdown.
    pub fn kick_all(&self, why: Kick) {
        for handle in self.lock().sessions.values() {
            let _ = handle.kick.try_send(why);
        }
    }
}

/// XEP-0092 software version.
const VERSION_NS: &str = "jabber:iq:version";

/// What the server implements, for XEP-0030: exactly that.
fn server_info() -> DiscoInfo {
    let mut info = DiscoInfo::default();
    let mut identity = Identity::new("server", "im");
    identity.name = Some("chatwire".to_owned());
    info.identities.push(identity);
    info.features = [
        ns::DISCO_INFO,
        ns::DISCO_ITEMS,
        ns::PING,
        ns::BLOCKING,
        VERSION_NS,
        "urn:xmpp:sm:3",
        "msgoffline",
    ]
    .iter()
    .map(|f| (*f).to_owned())
    .collect();
    info
}

/// XEP-0092: the software's name and version.
fn version() -> chatwire_xmpp_stanza::minidom::Element {
    chatwire_xmpp_stanza::minidom::Element::builder("query", VERSION_NS)
        .append(
            chatwire_xmpp_stanza::minidom::Element::builder("name", VERSION_NS)
                .append("chatwire")
                .build(),
        )
        .append(
            chatwire_xmpp_stanza::minidom::Element::builder("version", VERSION_NS)
                .append(env!("CARGO_PKG_VERSION"))
                .build(),
        )
        .build()
}

/// What a detached session leaves when it ends: its unacknowledged
/// stanzas and its queue.
fn detached_leftovers(mut detached: Detached) -> Leftovers {
    let acked = detached.resumption.state.acked();
    let unacked = detached.resumption.state.take_unacked();
    let mut left = detached.offline.end(acked, unacked);
    detached.rx.close();
    while let Ok(outgoing) = detached.rx.try_recv() {
        left.queued(*outgoing);
    }
    left
}

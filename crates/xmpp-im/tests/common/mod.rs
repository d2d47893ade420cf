//! An in-memory server around the machine: users loaded lazily from a
//! store that only ever sees the machine's [`Change`]s, every delivered
//! stanza serialized and parsed back (so tests read what would go on the
//! wire), and routes between local users carried until none are left.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, VecDeque};

use chatwire_xmpp_im::{Change, Config, Envelope, Output, Server, StoredUser, Timestamp, User};
use chatwire_xmpp_stanza::{AnyStanza, Context, Element, Jid, Message};

pub fn jid(s: &str) -> Jid {
    Jid::new(s).unwrap()
}

/// Parses one client stanza from XML (a client-to-server WebSocket frame).
pub fn stanza(xml: &str) -> AnyStanza {
    let ctx = Context::client_websocket();
    match Element::parse(xml.as_bytes(), &ctx) {
        Ok(Element::Message(m)) => AnyStanza::Message(m),
        Ok(Element::Presence(p)) => AnyStanza::Presence(p),
        Ok(Element::Iq(iq)) => AnyStanza::Iq(iq),
        other => panic!("not a stanza: {other:?}: {xml}"),
    }
}

/// One stanza as a session received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub xml: String,
    pub stanza: AnyStanza,
}

impl Received {
    pub fn from(&self) -> String {
        self.stanza.as_stanza().from().unwrap().to_string()
    }
    pub fn name(&self) -> &'static str {
        self.stanza.as_stanza().name()
    }
    pub fn type_attr(&self) -> Option<&'static str> {
        self.stanza.as_stanza().type_attr()
    }
}

pub struct World {
    pub server: Server,
    /// Accounts that exist; a user is loaded while it has sessions.
    pub accounts: BTreeMap<Jid, StoredUser>,
    pub loaded: BTreeMap<Jid, User>,
    pub inbox: BTreeMap<Jid, Vec<Received>>,
    /// Stanzas routed out of the local domain.
    pub remote: Vec<Envelope>,
    pub now: u64,
    pub domain: String,
}

impl World {
    pub fn new(config: Config, accounts: &[&str]) -> World {
        World {
            server: Server::new(config),
            accounts: accounts
                .iter()
                .map(|a| (jid(a), StoredUser::default()))
                .collect(),
            loaded: BTreeMap::new(),
            inbox: BTreeMap::new(),
            remote: Vec::new(),
            now: 1_000_000,
            domain: "example.com".to_owned(),
        }
    }

    fn user(&mut self, bare: &Jid) -> &mut User {
        if !self.loaded.contains_key(bare) {
            let user = self.accounts[bare].load(bare);
            self.loaded.insert(bare.clone(), user);
        }
        self.loaded.get_mut(bare).unwrap()
    }

    /// Binds a resource.
    pub fn connect(&mut self, full: &str) {
        let full = jid(full);
        let bare = full.to_bare();
        let server = self.server.clone();
        server.session_bound(self.user(&bare), &full);
        self.inbox.entry(full).or_default();
    }

    /// The session goes away.
    pub fn disconnect(&mut self, full: &str) {
        let full = jid(full);
        let bare = full.to_bare();
        let mut out = Vec::new();
        let server = self.server.clone();
        let now = self.tick();
        server.session_ended(self.user(&bare), &full, now, &mut out);
        self.inbox.remove(&full);
        self.carry(&bare, out);
        if self.loaded.get(&bare).is_some_and(User::is_idle) {
            self.loaded.remove(&bare);
        }
    }

    fn tick(&mut self) -> Timestamp {
        self.now += 1000;
        Timestamp(self.now)
    }

    /// A session sends a stanza, given as XML.
    pub fn send(&mut self, full: &str, xml: &str) {
        let full = jid(full);
        let bare = full.to_bare();
        let mut out = Vec::new();
        let server = self.server.clone();
        let now = self.tick();
        server.outbound(self.user(&bare), &full, stanza(xml), now, &mut out);
        self.carry(&bare, out);
    }

    /// The messages a session was handed from the offline queue and never
    /// acknowledged, back from a caller that kept them stored until then.
    pub fn offline_returned(&mut self, bare: &str, messages: Vec<Message>) {
        let bare = jid(bare);
        let count = u32::try_from(messages.len()).unwrap();
        self.accounts
            .get_mut(&bare)
            .unwrap()
            .offline
            .extend(messages);
        let mut out = Vec::new();
        let server = self.server.clone();
        server.offline_returned(self.user(&bare), count, &mut out);
        self.carry(&bare, out);
    }

    /// A stanza arrives for a local JID from elsewhere (another server, or
    /// a local user whose side is not under test), given as XML.
    pub fn inject(&mut self, from: &str, to: &str, xml: &str) {
        let env = Envelope::new(jid(from), jid(to), stanza(xml));
        let owner = jid(to).to_bare();
        self.tick();
        self.carry(&owner, vec![Output::Route(env)]);
    }

    /// The XML of every stanza routed out of the local domain since the
    /// last call.
    pub fn take_remote_xml(&mut self) -> Vec<String> {
        let ctx = Context::client_websocket();
        std::mem::take(&mut self.remote)
            .into_iter()
            .map(|env| {
                let mut bytes = Vec::new();
                env.serialize(&ctx, &mut bytes).unwrap();
                String::from_utf8(bytes).unwrap()
            })
            .collect()
    }

    /// Carries out outputs until no route is left, first in, first out:
    /// each call's outputs in order, and a route's outputs after those of
    /// the call that routed it, so that a user's changes reach the store
    /// in the order the machine made them.
    fn carry(&mut self, owner: &Jid, out: Vec<Output>) {
        let mut queue: VecDeque<(Jid, Output)> =
            out.into_iter().map(|o| (owner.clone(), o)).collect();
        while let Some((owner, output)) = queue.pop_front() {
            let mut more = Vec::new();
            match output {
                Output::Broadcast(b) => {
                    for env in b.envelopes().collect::<Vec<_>>().into_iter().rev() {
                        queue.push_front((owner.clone(), Output::Route(env)));
                    }
                    continue;
                }
                Output::Deliver(env) => self.receive(&env),
                Output::Store(Change::OfflineDrain { session }) => {
                    let messages =
                        std::mem::take(&mut self.accounts.get_mut(&owner).unwrap().offline);
                    let server = self.server.clone();
                    server.offline_loaded(self.user(&owner), &session, messages, &mut more);
                }
                Output::Store(change) => self.accounts.get_mut(&owner).unwrap().apply(change),
                Output::Route(env) => {
                    let bare = env.to.to_bare();
                    if env.to.domain() != self.domain || env.to.local().is_none() {
                        self.remote.push(env);
                    } else if self.accounts.contains_key(&bare) {
                        let server = self.server.clone();
                        let now = Timestamp(self.now);
                        server.inbound(self.user(&bare), env, now, &mut more);
                        queue.extend(more.into_iter().map(|o| (bare.clone(), o)));
                        continue;
                    } else {
                        self.server.no_such_user(&env, &mut more);
                    }
                }
            }
            queue.extend(more.into_iter().map(|o| (owner.clone(), o)));
        }
    }

    fn receive(&mut self, env: &Envelope) {
        let ctx = Context::client_websocket();
        let mut bytes = Vec::new();
        env.serialize(&ctx, &mut bytes).unwrap();
        let xml = String::from_utf8(bytes).unwrap();
        let stanza = stanza(&xml);
        let inbox = self
            .inbox
            .get_mut(&env.to)
            .unwrap_or_else(|| panic!("delivered to {} which is not connected: {xml}", env.to));
        inbox.push(Received { xml, stanza });
    }

    /// Everything a session received since the last call.
    pub fn take(&mut self, full: &str) -> Vec<Received> {
        std::mem::take(self.inbox.get_mut(&jid(full)).unwrap())
    }

    /// The XML a session received since the last call.
    pub fn take_xml(&mut self, full: &str) -> Vec<String> {
        self.take(full).into_iter().map(|r| r.xml).collect()
    }

    /// The user as loaded now, or as the store would load it.
    pub fn view(&self, bare: &str) -> User {
        let bare = jid(bare);
        match self.loaded.get(&bare) {
            Some(user) => user.clone(),
            None => self.accounts[&bare].load(&bare),
        }
    }

    /// Whether every loaded user equals what its store would load, the
    /// sessions aside.
    pub fn check_store(&self) {
        for (bare, user) in &self.loaded {
            let fresh = self.accounts[bare].load(bare);
            assert_eq!(user.roster_version(), fresh.roster_version(), "{bare}");
            let a: Vec<_> = user.roster().collect();
            let b: Vec<_> = fresh.roster().collect();
            assert_eq!(a, b, "roster of {bare}");
            assert_eq!(user.roster_len(), a.len(), "counted items of {bare}");
            assert_eq!(fresh.roster_len(), b.len(), "counted items of {bare}");
            let strangers = user
                .pending_requests()
                .filter(|(jid, _)| user.roster_item(jid).is_none())
                .count();
            assert_eq!(
                user.stranger_requests(),
                strangers,
                "counted strangers of {bare}"
            );
            let pa: Vec<_> = user.pending_requests().collect();
            let pb: Vec<_> = fresh.pending_requests().collect();
            assert_eq!(pa, pb, "pending of {bare}");
            assert_eq!(user.blocklist(), fresh.blocklist(), "{bare}");
            assert_eq!(user.offline_count(), fresh.offline_count(), "{bare}");
        }
    }
}

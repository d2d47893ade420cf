//! The RFC 6121 / XEP-0191 server machine driven by arbitrary sequences of
//! events for three accounts on `example.com` (two resources each) and
//! one remote contact, with every route carried to the user it names (or
//! to `no_such_user`), every store change applied to a model store, and
//! every offline drain fed back (and, on some disconnects, the drained
//! messages returned unacknowledged). It must never panic, and:
//! - every `Deliver` goes to a connected session of the user whose
//!   machine produced it;
//! - every delivered envelope serializes and parses back;
//! - after each step, each user loaded from the model store has the same
//!   roster, roster version, pending requests, blocklist and offline count
//!   as the user in memory;
//! - roster versions never decrease (in memory or across a reload);
//! - carrying routes ends (at most `MAX_STEPS` outputs per event).
//!
//! Input: a sequence of operations, each an opcode byte and its argument
//! bytes (missing bytes read as 0). Most operations build a stanza as XML
//! from structured choices (subscription types, roster get/set/remove with
//! `ver`, blocking, messages of every type, iqs) and parse it with
//! `Element::parse`, so the interesting shapes come up often; one takes
//! the stanza's bytes straight from the input.
#![no_main]

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chatwire_xmpp_im::{
    Change, Config, Envelope, Output, Server, StoredUser, Ties, Timestamp, User,
};
use chatwire_xmpp_stanza::{AnyStanza, Context, Element, Jid, Message};
use libfuzzer_sys::fuzz_target;

const DOMAIN: &str = "example.com";
const USERS: [&str; 3] = ["alice@example.com", "bob@example.com", "carol@example.com"];
const REMOTE: &str = "dave@remote.example";
const RESOURCES: [&str; 2] = ["a", "b"];
/// Outputs carried for one event before the loop counts as endless.
const MAX_STEPS: usize = 100_000;
const MAX_OPS: usize = 256;

/// Addresses a stanza can name: every user and resource, the remote
/// contact, a resource that is never bound, an account that does not
/// exist, both domains, and no address at all.
const TARGETS: [Option<&str>; 16] = [
    Some("alice@example.com"),
    Some("bob@example.com"),
    Some("carol@example.com"),
    Some("dave@remote.example"),
    Some("alice@example.com/a"),
    Some("alice@example.com/b"),
    Some("bob@example.com/a"),
    Some("bob@example.com/b"),
    Some("carol@example.com/a"),
    Some("carol@example.com/b"),
    Some("dave@remote.example/a"),
    Some("alice@example.com/gone"),
    Some("nobody@example.com"),
    Some("example.com"),
    Some("remote.example"),
    None,
];

const NAMES: [&str; 4] = ["", "Friend", "R&amp;J", "\u{e9}t\u{e9}"];
const GROUPS: [&str; 4] = ["Friends", "Work", "", "Friends"];
const PRIORITIES: [i8; 6] = [0, 1, 5, -1, 127, -128];
const SHOWS: [&str; 5] = ["", "away", "chat", "dnd", "xa"];
const MESSAGE_TYPES: [&str; 6] = ["", "normal", "chat", "groupchat", "headline", "error"];
const PRESENCE_TYPES: [&str; 8] = [
    "",
    "unavailable",
    "subscribe",
    "subscribed",
    "unsubscribe",
    "unsubscribed",
    "probe",
    "error",
];
const IQ_TYPES: [&str; 4] = ["get", "set", "result", "error"];
const IQ_PAYLOADS: [&str; 6] = [
    "<ping xmlns='urn:xmpp:ping'/>",
    "<query xmlns='jabber:iq:roster'/>",
    "<blocklist xmlns='urn:xmpp:blocking'/>",
    "<query xmlns='jabber:iq:version'/>",
    "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>",
    "",
];
const ERROR: &str = "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>";

/// Set `IM_SERVER_TRACE` to print every operation and output.
fn trace() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("IM_SERVER_TRACE").is_some())
}

fn jid(s: &str) -> Jid {
    Jid::new(s).unwrap()
}

/// Reads operation arguments; past the end, every byte is 0.
struct Input<'a> {
    data: &'a [u8],
}

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[usize::from(self.byte()) % choices.len()]
    }

    fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }
}

fn parse(xml: &[u8]) -> Option<AnyStanza> {
    match Element::parse(xml, &Context::client_websocket()) {
        Ok(Element::Message(m)) => Some(AnyStanza::Message(m)),
        Ok(Element::Presence(p)) => Some(AnyStanza::Presence(p)),
        Ok(Element::Iq(iq)) => Some(AnyStanza::Iq(iq)),
        _ => None,
    }
}

fn to_attr(to: Option<&str>) -> String {
    to.map(|t| format!(" to='{t}'")).unwrap_or_default()
}

struct World {
    server: Server,
    accounts: BTreeMap<Jid, StoredUser>,
    /// Users with a session, in memory; others are loaded on demand and
    /// dropped again when idle.
    loaded: BTreeMap<Jid, User>,
    connected: BTreeSet<Jid>,
    versions: BTreeMap<Jid, u64>,
    /// Offline messages handed to a session by the latest drains, as a
    /// caller that keeps them until acknowledged would still hold them.
    handed: BTreeMap<Jid, Vec<Message>>,
    now: u64,
    ctx: Context,
    buf: Vec<u8>,
}

impl World {
    fn new(config: Config) -> World {
        World {
            server: Server::new(config),
            accounts: USERS
                .iter()
                .map(|u| (jid(u), StoredUser::default()))
                .collect(),
            loaded: BTreeMap::new(),
            connected: BTreeSet::new(),
            versions: BTreeMap::new(),
            handed: BTreeMap::new(),
            now: 1_000_000_000_000,
            ctx: Context::client_websocket(),
            buf: Vec::new(),
        }
    }

    fn user(&mut self, bare: &Jid) -> &mut User {
        if !self.loaded.contains_key(bare) {
            let user = self.accounts[bare].load(bare);
            self.loaded.insert(bare.clone(), user);
        }
        self.loaded.get_mut(bare).unwrap()
    }

    fn unload_idle(&mut self, bare: &Jid) {
        if self.loaded.get(bare).is_some_and(User::is_idle) {
            self.loaded.remove(bare);
        }
    }

    fn tick(&mut self, by: u64) -> Timestamp {
        self.now += by;
        Timestamp(self.now)
    }

    fn connect(&mut self, full: &Jid) {
        let bare = full.to_bare();
        let server = self.server.clone();
        server.session_bound(self.user(&bare), full);
        self.connected.insert(full.clone());
    }

    fn disconnect(&mut self, full: &Jid) {
        let bare = full.to_bare();
        let mut out = Vec::new();
        let server = self.server.clone();
        let now = self.tick(1000);
        server.session_ended(self.user(&bare), full, now, &mut out);
        self.connected.remove(full);
        self.carry(&bare, out);
        self.unload_idle(&bare);
    }

    fn send(&mut self, full: &Jid, stanza: AnyStanza) {
        let bare = full.to_bare();
        let mut out = Vec::new();
        let server = self.server.clone();
        let now = self.tick(1000);
        server.outbound(self.user(&bare), full, stanza, now, &mut out);
        self.carry(&bare, out);
        self.unload_idle(&bare);
    }

    /// The sessions that got the user's offline messages went away without
    /// acknowledging them: the messages are stored again, ahead of newer
    /// ones, and the machine is told.
    fn return_offline(&mut self, bare: &Jid) {
        let messages = self.handed.remove(bare).unwrap_or_default();
        if messages.is_empty() {
            return;
        }
        let count = u32::try_from(messages.len()).unwrap();
        let stored = &mut self.accounts.get_mut(bare).unwrap().offline;
        stored.splice(0..0, messages);
        let mut out = Vec::new();
        let server = self.server.clone();
        server.offline_returned(self.user(bare), count, &mut out);
        self.carry(bare, out);
        self.unload_idle(bare);
    }

    /// A stanza from the remote contact's server to `to`.
    fn remote(&mut self, from: Jid, to: Jid, stanza: AnyStanza) {
        let owner = from.to_bare();
        self.tick(1000);
        self.carry(&owner, vec![Output::Route(Envelope::new(from, to, stanza))]);
    }

    /// Carries out outputs until no route is left.
    fn carry(&mut self, owner: &Jid, out: Vec<Output>) {
        // First in, first out: each call's outputs are carried out in
        // order, and a route's outputs after those of the call that
        // routed it, so that a user's changes reach the store in the
        // order the machine made them.
        let mut queue: VecDeque<(Jid, Output)> =
            out.into_iter().map(|o| (owner.clone(), o)).collect();
        let mut steps = 0usize;
        let mut touched: BTreeSet<Jid> = BTreeSet::new();
        while let Some((owner, output)) = queue.pop_front() {
            steps += 1;
            assert!(steps <= MAX_STEPS, "carrying routes does not end");
            let mut more = Vec::new();
            let mut more_owner = owner.clone();
            if trace() {
                eprintln!("  {owner}: {output:?}");
            }
            match output {
                Output::Broadcast(b) => {
                    // Each copy as the template writes it must read back
                    // as the envelope's own serialization does.
                    let ctx = chatwire_xmpp_stanza::Context::client_websocket();
                    let mut copies = Vec::new();
                    b.serialize_each(&ctx, |_, bytes| copies.push(bytes.to_vec()))
                        .expect("a broadcast serializes");
                    for (env, copy) in b.envelopes().zip(&copies) {
                        let mut direct = Vec::new();
                        env.serialize(&ctx, &mut direct).expect("serializes");
                        assert_eq!(&direct, copy, "template and serializer differ");
                    }
                    for env in b.envelopes().collect::<Vec<_>>().into_iter().rev() {
                        queue.push_front((owner.clone(), Output::Route(env)));
                    }
                    continue;
                }
                Output::Deliver(env) => self.deliver(&owner, &env),
                Output::Store(Change::OfflineDrain { session }) => {
                    let messages =
                        std::mem::take(&mut self.accounts.get_mut(&owner).unwrap().offline);
                    let server = self.server.clone();
                    server.offline_loaded(self.user(&owner), &session, messages, &mut more);
                    let handed = self.handed.entry(owner.clone()).or_default();
                    for output in &more {
                        if let Output::Deliver(env) = output
                            && let AnyStanza::Message(m) = &*env.stanza
                        {
                            handed.push(m.clone());
                        }
                    }
                }
                Output::Store(change) => self.accounts.get_mut(&owner).unwrap().apply(change),
                Output::Route(env) => {
                    let bare = env.to.to_bare();
                    if env.to.domain() != DOMAIN || env.to.local().is_none() {
                        // Out of the local domain, or to the server itself.
                    } else if self.accounts.contains_key(&bare) {
                        let server = self.server.clone();
                        let now = Timestamp(self.now);
                        server.inbound(self.user(&bare), env, now, &mut more);
                        touched.insert(bare.clone());
                        more_owner = bare;
                    } else {
                        self.server.no_such_user(&env, &mut more);
                    }
                }
            }
            queue.extend(more.into_iter().map(|o| (more_owner.clone(), o)));
        }
        for bare in touched {
            self.unload_idle(&bare);
        }
    }

    fn deliver(&mut self, owner: &Jid, env: &Envelope) {
        assert!(
            env.to.to_bare() == *owner,
            "{owner}'s machine delivered to {}",
            env.to
        );
        assert!(
            self.connected.contains(&env.to),
            "delivered to {} which is not connected",
            env.to
        );
        let user = self.loaded.get(owner).expect("delivering user is loaded");
        assert!(
            user.sessions().iter().any(|s| *s.jid() == env.to),
            "delivered to {} which the user does not list",
            env.to
        );
        self.buf.clear();
        env.serialize(&self.ctx, &mut self.buf)
            .unwrap_or_else(|e| panic!("{env:?} does not serialize: {e:?}"));
        let back = parse(&self.buf).unwrap_or_else(|| {
            panic!(
                "delivered stanza does not parse back: {}",
                String::from_utf8_lossy(&self.buf)
            )
        });
        let header = back.as_stanza();
        assert_eq!(header.from(), Some(&env.from));
        assert_eq!(header.to(), Some(&env.to));
    }

    /// Every user, loaded or not, equals what its store would load, and
    /// no roster version went down.
    fn check(&mut self) {
        for (bare, stored) in &self.accounts {
            let fresh = stored.load(bare);
            let user = self.loaded.get(bare).unwrap_or(&fresh);
            assert_eq!(
                user.roster_version(),
                fresh.roster_version(),
                "version of {bare}"
            );
            assert!(user.roster().eq(fresh.roster()), "roster of {bare}");
            assert!(
                user.pending_requests().eq(fresh.pending_requests()),
                "pending requests of {bare}"
            );
            assert_eq!(user.blocklist(), fresh.blocklist(), "blocklist of {bare}");
            assert_eq!(
                user.offline_count(),
                fresh.offline_count(),
                "offline of {bare}"
            );
            let last = self.versions.entry(bare.clone()).or_insert(0);
            assert!(
                user.roster_version() >= *last,
                "roster version of {bare} went from {last} to {}",
                user.roster_version()
            );
            *last = user.roster_version();
        }
    }
}

/// One stanza built from structured choices, as XML.
fn build(input: &mut Input<'_>, version: u64) -> String {
    let to = input.pick(&TARGETS);
    match input.byte() % 10 {
        // Presence of any type to any address (subscriptions, probes,
        // directed presence, broadcast when there is no `to`).
        0 | 1 => {
            let ty = input.pick(&PRESENCE_TYPES);
            let flags = input.byte();
            let mut xml = format!("<presence xmlns='jabber:client'{}", to_attr(to));
            if !ty.is_empty() {
                xml.push_str(&format!(" type='{ty}'"));
            }
            xml.push('>');
            if flags & 1 != 0 {
                xml.push_str(&format!("<priority>{}</priority>", input.pick(&PRIORITIES)));
            }
            let show = input.pick(&SHOWS);
            if !show.is_empty() {
                xml.push_str(&format!("<show>{show}</show>"));
            }
            if flags & 2 != 0 {
                xml.push_str("<status>hi</status>");
            }
            if ty == "error" || flags & 4 != 0 {
                xml.push_str(ERROR);
            }
            xml.push_str("</presence>");
            xml
        }
        // Broadcast presence, no `to`, with a priority.
        2 => format!(
            "<presence xmlns='jabber:client'><priority>{}</priority><show>{}</show></presence>",
            input.pick(&PRIORITIES),
            input.pick(&["away", "chat", "dnd", "xa"])
        ),
        // Roster get, with a `ver` that is absent, empty, current, older,
        // newer or not a number.
        3 => {
            let ver = match input.byte() % 7 {
                0 => String::new(),
                1 => " ver=''".to_owned(),
                2 => format!(" ver='{version}'"),
                3 => format!(" ver='{}'", version.saturating_sub(1)),
                4 => format!(" ver='{}'", version.saturating_sub(u64::from(input.byte()))),
                5 => format!(" ver='{}'", version + 1),
                _ => " ver='x'".to_owned(),
            };
            format!(
                "<iq xmlns='jabber:client' type='get' id='r'><query xmlns='jabber:iq:roster'{ver}/></iq>"
            )
        }
        // Roster set: one item (sometimes removed), or two.
        4 | 5 => {
            let item_jid = input.pick(&TARGETS).unwrap_or("alice@example.com");
            let flags = input.byte();
            let mut item = format!("<item jid='{item_jid}'");
            let name = input.pick(&NAMES);
            if flags & 1 != 0 {
                item.push_str(&format!(" name='{name}'"));
            }
            match (flags >> 1) % 6 {
                0 | 1 => item.push_str(" subscription='remove'"),
                2 => item.push_str(" subscription='both'"),
                3 => item.push_str(" ask='subscribe'"),
                _ => {}
            }
            item.push('>');
            for _ in 0..(flags >> 4) % 4 {
                item.push_str(&format!("<group>{}</group>", input.pick(&GROUPS)));
            }
            item.push_str("</item>");
            if flags & 0x40 != 0 && flags & 0x80 != 0 {
                item.push_str("<item jid='dave@remote.example'/>");
            }
            let to = if flags & 0x80 != 0 && flags & 0x40 == 0 {
                to_attr(to)
            } else {
                String::new()
            };
            format!(
                "<iq xmlns='jabber:client' type='set' id='s'{to}><query xmlns='jabber:iq:roster'>{item}</query></iq>"
            )
        }
        // Blocking: get, block, unblock, unblock all.
        6 => {
            let target = input.pick(&TARGETS).unwrap_or("example.com");
            let second = input.pick(&TARGETS).unwrap_or("remote.example");
            let (ty, payload) = match input.byte() % 6 {
                0 => ("get", "<blocklist xmlns='urn:xmpp:blocking'/>".to_owned()),
                1 | 2 => (
                    "set",
                    format!("<block xmlns='urn:xmpp:blocking'><item jid='{target}'/></block>"),
                ),
                3 => (
                    "set",
                    format!(
                        "<block xmlns='urn:xmpp:blocking'><item jid='{target}'/><item jid='{second}'/></block>"
                    ),
                ),
                4 => (
                    "set",
                    format!("<unblock xmlns='urn:xmpp:blocking'><item jid='{target}'/></unblock>"),
                ),
                _ => ("set", "<unblock xmlns='urn:xmpp:blocking'/>".to_owned()),
            };
            format!("<iq xmlns='jabber:client' type='{ty}' id='b'>{payload}</iq>")
        }
        // A message of any type to any address.
        7 | 8 => {
            let ty = input.pick(&MESSAGE_TYPES);
            let ty_attr = if ty.is_empty() {
                String::new()
            } else {
                format!(" type='{ty}'")
            };
            let error = if ty == "error" { ERROR } else { "" };
            format!(
                "<message xmlns='jabber:client'{}{ty_attr} id='m'><body>hello</body><thread>t</thread>{error}</message>",
                to_attr(to)
            )
        }
        // An iq of any type to any address.
        _ => {
            let ty = input.pick(&IQ_TYPES);
            let mut payload = input.pick(&IQ_PAYLOADS).to_owned();
            if matches!(ty, "get" | "set") && payload.is_empty() {
                payload = IQ_PAYLOADS[0].to_owned();
            }
            if ty == "error" {
                payload.push_str(ERROR);
            }
            format!(
                "<iq xmlns='jabber:client'{} type='{ty}' id='q'>{payload}</iq>",
                to_attr(to)
            )
        }
    }
}

fn full(user: usize, resource: usize) -> Jid {
    jid(&format!(
        "{}/{}",
        USERS[user % USERS.len()],
        RESOURCES[resource % RESOURCES.len()]
    ))
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input { data };
    let selector = input.byte();
    let mut config = Config::default();
    if selector & 1 != 0 {
        config.chat_ties = Ties::MostRecent;
    }
    if selector & 2 != 0 {
        config.normal_ties = Ties::All;
    }
    if selector & 4 != 0 {
        config.offline = false;
    }
    if selector & 8 != 0 {
        config.roster_versioning = false;
    }
    if selector & 16 != 0 {
        // Small limits, so that every limit is reached.
        config.max_offline = 2;
        config.max_roster_items = 3;
        config.max_stranger_requests = 1;
        config.max_blocklist = 2;
        config.max_removed = 1;
        config.max_directed = 1;
        config.max_name_bytes = 6;
        config.max_groups = 1;
    }
    if selector & 32 != 0 {
        config.policy = config.policy.with_pre_approval(false);
    }
    if selector & 64 != 0 {
        config.policy = config.policy.with_auto_reply(false);
    }
    let mut world = World::new(config);
    for _ in 0..MAX_OPS {
        if input.data.is_empty() {
            break;
        }
        let op = input.byte();
        let who = input.byte();
        let session = full(usize::from(who & 0x0f), usize::from(who >> 4));
        if trace() && op % 8 < 2 {
            eprintln!(
                "{} {session}",
                ["connect", "disconnect"][usize::from(op % 8)]
            );
        }
        match op % 8 {
            0 => world.connect(&session),
            1 => {
                world.disconnect(&session);
                if op & 0x80 != 0 {
                    world.return_offline(&session.to_bare());
                }
            }
            // A session sends a stanza built from choices.
            2..=5 => {
                let version = world.user(&session.to_bare()).roster_version();
                world.unload_idle(&session.to_bare());
                let xml = build(&mut input, version);
                let stanza =
                    parse(xml.as_bytes()).unwrap_or_else(|| panic!("does not parse: {xml}"));
                world.send(&session, stanza);
            }
            // A session sends a stanza read from the input.
            6 => {
                let len = usize::from(input.byte());
                let bytes = input.bytes(len).to_vec();
                if let Some(stanza) = parse(&bytes) {
                    world.send(&session, stanza);
                }
            }
            // The remote contact (or, rarely, a stranger) sends a stanza
            // built from choices to a local address.
            _ => {
                let from = match who >> 4 {
                    0..=7 => jid(REMOTE),
                    8..=13 => jid("dave@remote.example/a"),
                    14 => jid("eve@remote.example/x"),
                    _ => jid("remote.example"),
                };
                let to = jid(match who & 0x0f {
                    n @ 0..=8 => {
                        TARGETS[[0, 1, 2, 4, 5, 6, 7, 8, 9][usize::from(n)]].unwrap_or(DOMAIN)
                    }
                    9 => "alice@example.com/gone",
                    10 => "nobody@example.com",
                    _ => "alice@example.com",
                });
                let xml = build(&mut input, 0);
                let stanza =
                    parse(xml.as_bytes()).unwrap_or_else(|| panic!("does not parse: {xml}"));
                world.remote(from, to, stanza);
            }
        }
        world.check();
    }
});

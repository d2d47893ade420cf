//! Helpers shared by the integration tests: a deterministic random
//! source, a user store, and a pump that drives our client against our
//! server in memory, with TLS simulated as a pass-through that hands both
//! sides the same channel-binding bytes.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)] // each test binary uses a part

use std::time::{Duration, Instant};

use chatwire_sasl::{AccountPolicy, ChannelBinding, Mechanism, Secret, StoredCredentials};
use chatwire_xmpp_session::{
    BindDecision, ClientConfig, ClientEvent, ClientSession, Resumption, Security, ServerConfig,
    ServerEvent, ServerSession, StartTls,
};
use chatwire_xmpp_stanza::Jid;

pub const DOMAIN: &str = "example.com";
pub const USER: &str = "juliet";
pub const PASSWORD: &str = "r0m30";
/// Iterations used by the test accounts: low, so that sweeping every split
/// point stays fast in debug builds; the client is told to accept it.
pub const ITERATIONS: u32 = 64;

/// A deterministic "random" source: a counter, different per seed.
pub fn random(seed: u8) -> impl FnMut(&mut [u8]) + Send + 'static {
    let mut counter = seed;
    move |buf: &mut [u8]| {
        for byte in buf {
            counter = counter.wrapping_add(37);
            *byte = counter;
        }
    }
}

pub fn secret() -> Secret {
    Secret::new(*b"0123456789abcdef0123456789abcdef").unwrap()
}

pub fn policy() -> AccountPolicy {
    AccountPolicy::new(ITERATIONS, 16, &chatwire_sasl::ScramHash::STRONGEST_FIRST).unwrap()
}

pub fn stored() -> StoredCredentials {
    policy().derive(PASSWORD, b"sixteen byte slt").unwrap()
}

pub fn server_config() -> ServerConfig {
    let mut config = ServerConfig::new(DOMAIN, secret());
    config.sasl = config.sasl.with_account_policy(policy());
    config
}

pub fn client_config(jid: &str, password: &str) -> ClientConfig {
    let mut config = ClientConfig::new(Jid::new(jid).unwrap(), password);
    config.sasl.min_iterations = ITERATIONS;
    config
}

pub fn binding(data: &[u8]) -> ChannelBinding {
    ChannelBinding::new("tls-exporter", data.to_vec()).unwrap()
}

/// The transport a pair runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// `wss:`, with channel binding from the start.
    Wss,
    /// TCP, STARTTLS, then channel binding.
    TcpStartTls,
    /// TCP without TLS.
    TcpPlain,
}

/// How bytes are cut on their way across (TCP only: WebSocket messages are
/// whole by nature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Whole,
    EveryByte,
    /// Each transfer in two pieces, the first `n` bytes long.
    At(usize),
}

/// What each side reported, and what went over the wire.
#[derive(Debug, Default)]
pub struct Log {
    pub server: Vec<ServerEvent>,
    pub client: Vec<ClientEvent>,
    /// Client to server, in order (one entry per WebSocket message or TCP write).
    pub to_server: Vec<String>,
    /// Server to client.
    pub to_client: Vec<String>,
    /// Both directions in the order they were sent: `true` for client to
    /// server.
    pub wire: Vec<(bool, String)>,
}

pub struct Pair {
    pub client: ClientSession,
    pub server: ServerSession,
    pub now: Instant,
    pub wire: Wire,
    pub split: Split,
    pub log: Log,
    /// What the server's TLS layer yields as channel binding.
    pub server_binding: Vec<u8>,
    /// What the client's TLS layer yields (differs from the server's only
    /// under a man in the middle).
    pub client_binding: Vec<u8>,
    /// Store lookups: user name to credentials.
    pub store: Vec<(String, StoredCredentials)>,
    /// The resource the server binds when the client asks for none.
    pub assigned_resource: String,
    /// Overrides the bind decision.
    pub bind_decision: Option<BindDecision>,
    /// Detached server sessions, found by resumption id.
    pub detached: Vec<Resumption>,
    server_tls_pending: bool,
    client_tls_pending: bool,
}

impl Pair {
    pub fn new(wire: Wire, server: ServerConfig, client: ClientConfig) -> Pair {
        Pair::with_bindings(
            wire,
            server,
            client,
            b"exported keying material",
            b"exported keying material",
        )
    }

    pub fn with_bindings(
        wire: Wire,
        server: ServerConfig,
        client: ClientConfig,
        server_binding: &[u8],
        client_binding: &[u8],
    ) -> Pair {
        let now = Instant::now();
        let (server, client) = match wire {
            Wire::Wss => (
                ServerSession::websocket(
                    now,
                    server,
                    Default::default(),
                    Security::Tls(vec![binding(server_binding)]),
                    random(1),
                ),
                ClientSession::websocket(
                    now,
                    client,
                    Default::default(),
                    Security::Tls(vec![binding(client_binding)]),
                    random(2),
                )
                .unwrap(),
            ),
            Wire::TcpStartTls | Wire::TcpPlain => (
                ServerSession::tcp(now, server, Default::default(), Security::Plain, random(1)),
                ClientSession::tcp(now, client, Default::default(), Security::Plain, random(2))
                    .unwrap(),
            ),
        };
        Pair {
            client,
            server,
            now,
            wire,
            split: Split::Whole,
            log: Log::default(),
            server_binding: server_binding.to_vec(),
            client_binding: client_binding.to_vec(),
            store: vec![(USER.to_owned(), stored())],
            assigned_resource: "assigned-1".to_owned(),
            bind_decision: None,
            detached: Vec::new(),
            server_tls_pending: false,
            client_tls_pending: false,
        }
    }

    /// Moves data both ways and answers the sessions' questions until
    /// nothing moves any more.
    pub fn run(&mut self) {
        for _ in 0..200 {
            let mut moved = self.client_to_server();
            moved |= self.server_to_client();
            if self.server_tls_pending && self.client_tls_pending {
                self.server_tls_pending = false;
                self.client_tls_pending = false;
                let server_binding = binding(&self.server_binding);
                let client_binding = binding(&self.client_binding);
                self.server
                    .handle_tls_established(self.now, vec![server_binding])
                    .unwrap();
                self.drain_server();
                self.client
                    .handle_tls_established(self.now, vec![client_binding])
                    .unwrap();
                self.drain_client();
                moved = true;
            }
            if !moved {
                return;
            }
        }
        panic!("the pair never settled");
    }

    fn client_to_server(&mut self) -> bool {
        let mut moved = false;
        loop {
            let mut out = String::new();
            if self.client.poll_transmit(&mut out) == 0 {
                break;
            }
            moved = true;
            self.log.to_server.push(out.clone());
            self.log.wire.push((true, out.clone()));
            match self.wire {
                Wire::Wss => {
                    if self.server.handle_message(self.now, out).is_err() {
                        break;
                    }
                    self.drain_server();
                }
                _ => {
                    for piece in pieces(out.as_bytes(), self.split) {
                        if self.server.handle_input(self.now, piece).is_err() {
                            break;
                        }
                        self.drain_server();
                    }
                }
            }
        }
        moved
    }

    fn server_to_client(&mut self) -> bool {
        let mut moved = false;
        loop {
            let mut out = String::new();
            if self.server.poll_transmit(&mut out) == 0 {
                break;
            }
            moved = true;
            self.log.to_client.push(out.clone());
            self.log.wire.push((false, out.clone()));
            match self.wire {
                Wire::Wss => {
                    if self.client.handle_message(self.now, out).is_err() {
                        break;
                    }
                    self.drain_client();
                }
                _ => {
                    for piece in pieces(out.as_bytes(), self.split) {
                        if self.client.handle_input(self.now, piece).is_err() {
                            break;
                        }
                        self.drain_client();
                    }
                }
            }
        }
        moved
    }

    pub fn drain_server(&mut self) {
        while let Some(event) = self.server.poll_event() {
            match &event {
                ServerEvent::StartTls => self.server_tls_pending = true,
                ServerEvent::NeedCredentials { username, .. } => {
                    let found = self
                        .store
                        .iter()
                        .find(|(name, _)| name == username)
                        .map(|(_, c)| c.clone());
                    self.server
                        .handle_credentials(self.now, found.as_ref())
                        .unwrap();
                }
                ServerEvent::BindRequested { resource } => {
                    let decision = self.bind_decision.clone().unwrap_or_else(|| {
                        BindDecision::Bind(
                            resource
                                .clone()
                                .unwrap_or_else(|| self.assigned_resource.clone()),
                        )
                    });
                    self.server.handle_bind(self.now, decision).unwrap();
                }
                ServerEvent::ResumeRequested { previd, .. } => {
                    let index = self.detached.iter().position(|r| r.id() == Some(previd));
                    let found = index.map(|i| self.detached.remove(i));
                    self.server.handle_resume(self.now, found).unwrap();
                }
                _ => {}
            }
            self.log.server.push(event);
        }
    }

    pub fn drain_client(&mut self) {
        while let Some(event) = self.client.poll_event() {
            if event == ClientEvent::StartTls {
                self.client_tls_pending = true;
            }
            self.log.client.push(event);
        }
    }

    pub fn client_ready(&self) -> Option<&Jid> {
        self.log.client.iter().find_map(|e| match e {
            ClientEvent::Ready { jid } => Some(jid),
            _ => None,
        })
    }

    pub fn server_ready(&self) -> Option<&Jid> {
        self.log.server.iter().find_map(|e| match e {
            ServerEvent::Ready { jid } => Some(jid),
            _ => None,
        })
    }

    pub fn client_mechanism(&self) -> Option<Mechanism> {
        self.log.client.iter().find_map(|e| match e {
            ClientEvent::Authenticated { mechanism } => Some(*mechanism),
            _ => None,
        })
    }
}

impl Pair {
    /// Drops whatever either side has queued, as a connection lost with
    /// data in flight would.
    pub fn lose_in_flight(&mut self) {
        let mut lost = String::new();
        while self.client.poll_transmit(&mut lost) > 0 {}
        while self.server.poll_transmit(&mut lost) > 0 {}
    }

    /// The stanzas each side received, as events, from `from` on.
    pub fn server_stanzas(&self) -> Vec<chatwire_xmpp_stanza::AnyStanza> {
        self.log
            .server
            .iter()
            .filter_map(|e| match e {
                ServerEvent::Stanza(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn client_stanzas(&self) -> Vec<chatwire_xmpp_stanza::AnyStanza> {
        self.log
            .client
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Stanza(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }
}

/// `bytes` cut as `split` says.
pub fn pieces(bytes: &[u8], split: Split) -> Vec<&[u8]> {
    match split {
        Split::Whole => vec![bytes],
        Split::EveryByte => bytes.chunks(1).collect(),
        Split::At(n) if n > 0 && n < bytes.len() => {
            let (a, b) = bytes.split_at(n);
            vec![a, b]
        }
        Split::At(_) => vec![bytes],
    }
}

/// Client and server configurations for one mechanism on one wire.
pub fn configs(wire: Wire, mechanism: Mechanism) -> (ServerConfig, ClientConfig) {
    let mut server = server_config();
    let mut client = client_config("juliet@example.com/balcony", PASSWORD);
    client.sasl.preference = vec![mechanism];
    client.sasl.allow_plain_with_channel_binding = mechanism == Mechanism::Plain;
    server = server.with_mechanisms([mechanism]);
    match wire {
        Wire::Wss => {}
        Wire::TcpStartTls => {
            server = server.with_starttls(StartTls::Required);
            client = client.with_starttls(StartTls::Required);
        }
        Wire::TcpPlain => {
            server = server
                .with_starttls(StartTls::Disabled)
                .with_plain_without_tls(true);
            client = client.with_starttls(StartTls::Disabled);
            client.sasl.allow_plain_without_tls = true;
        }
    }
    (server, client)
}

/// A second in the future.
pub fn later(now: Instant, seconds: u64) -> Instant {
    now + Duration::from_secs(seconds)
}

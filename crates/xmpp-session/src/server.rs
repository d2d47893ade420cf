//! The receiving entity: answers stream headers with the features of each
//! stage, runs STARTTLS (TCP), SASL and resource binding, then stamps and
//! hands over the client's stanzas (RFC 6120 sections 4-8).
//!
//! What only the caller knows is asked for with an event and given back
//! with a `handle_*` call: the TLS handshake ([`ServerEvent::StartTls`],
//! [`ServerSession::handle_tls_established`]), the user's stored
//! credentials ([`ServerEvent::NeedCredentials`],
//! [`ServerSession::handle_credentials`]) and whether a resource may be
//! bound ([`ServerEvent::BindRequested`], [`ServerSession::handle_bind`]).
//! Until the answer comes, input is kept unread, so a slow store fits.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use chatwire_sasl::{
    ChannelBinding, DowngradeProtection, Failure, Mechanism, Secret, Server as SaslServer,
    ServerStep, StoredCredentials,
};
use chatwire_xmpp_framing::{
    Event as FramingEvent, StreamErrorCondition, StreamHeader, TcpFraming, WsFraming, tcp,
    websocket,
};
use chatwire_xmpp_stanza::{
    Answer, AnyStanza, Bind, Context, Csi, Element, Features, Iq, IqPayload, IqType, Jid, Limits,
    Message, MessageType, ParseError, Presence, PresenceType, Sasl, SaslFailure, Sm, SmEnabled,
    SmFailed, SmResume, StanzaError, StanzaErrorCondition, StanzaErrorType, StanzaHeader,
    StanzaKind, StreamError, StreamErrorCondition as StanzaStreamCondition, Tls, ns,
};

use crate::conditions::{sasl_failure_to_condition, stream_condition_to_framing};
use crate::error::{AuthFailure, CloseReason, Error};
use crate::sm::{Resumption, SmConfig, SmState, handled_count_too_high};
use crate::tls::{Security, StartTls, channel_binding_feature};
use crate::transport::Transport;
use crate::{Random, hex_id};

/// Settings shared by every server session of a domain.
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The domain we serve: the `from` of our headers and the domain of
    /// every JID we bind. A client header with another `to` gets
    /// `host-unknown`.
    pub domain: String,
    /// STARTTLS on TCP (default [`StartTls::Optional`]).
    pub starttls: StartTls,
    /// The chatwire-sasl server settings (secret, account policy, bounds).
    /// Channel binding and XEP-0474 data are filled in per stream.
    pub sasl: chatwire_sasl::ServerConfig,
    /// The mechanisms offered, in order (default: SCRAM-SHA-512, -256 and
    /// -1 with their -PLUS variants, then PLAIN). -PLUS is offered only with
    /// channel-binding data from TLS, PLAIN only over TLS unless
    /// [`ServerConfig::plain_without_tls`], EXTERNAL only over TLS with
    /// `sasl.external_identity`.
    pub mechanisms: Vec<Mechanism>,
    /// Offers PLAIN on a stream without TLS (default `false`).
    pub plain_without_tls: bool,
    /// Failed authentication attempts per stream before the stream is
    /// closed with `policy-violation` (RFC 6120 section 6.4.5 asks for 2 to
    /// 5; default 3).
    pub max_auth_failures: u32,
    /// Time from the start of the connection, and from each restart, to the
    /// client's stream header (default 30 s).
    pub open_timeout: Duration,
    /// Time from the start of the connection to a successful
    /// authentication (default 60 s).
    pub auth_timeout: Duration,
    /// Time from authentication to a bound resource (default 30 s).
    pub bind_timeout: Duration,
    /// Time after our `close()` for the client's own closing tag; then the
    /// session ends with [`CloseReason::CloseTimedOut`] (default 10 s).
    pub close_timeout: Duration,
    /// Limits on each stanza, checked while it is read.
    pub stanza_limits: Limits,
    /// XEP-0198 stream management (offered by default).
    pub sm: SmConfig,
    /// Most bytes of input kept unread while a question to the caller is
    /// open (credentials, bind, resumption, TLS); beyond it the stream ends
    /// with `policy-violation`. A client that waits for the answer, as
    /// RFC 6120 has it, sends nothing meanwhile; this leaves room for a few
    /// pipelined stanzas and stops one that floods. Default 256 KiB, the
    /// framing's default element size: keep it at least that.
    pub max_held_input: usize,
    /// Stream features of the IM layer above, advertised once
    /// authenticated: RFC 6121 roster versioning (section 2.6.1) and
    /// subscription pre-approval (section 3.4). Default off: this crate
    /// serves no rosters itself.
    pub im_features: ImFeatures,
}

/// The RFC 6121 stream features a server advertises after authentication
/// when it serves rosters ([`ServerConfig::im_features`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ImFeatures {
    /// `<ver xmlns='urn:xmpp:features:rosterver'/>`.
    pub roster_versioning: bool,
    /// `<sub xmlns='urn:xmpp:features:pre-approval'/>`.
    pub pre_approval: bool,
}

impl ImFeatures {
    /// Both features on or off.
    pub fn new(roster_versioning: bool, pre_approval: bool) -> ImFeatures {
        ImFeatures {
            roster_versioning,
            pre_approval,
        }
    }
}

impl ServerConfig {
    /// Default settings for `domain`, with `secret` keying the salts that
    /// unknown users are shown.
    pub fn new(domain: impl Into<String>, secret: Secret) -> Self {
        ServerConfig {
            domain: domain.into(),
            starttls: StartTls::Optional,
            sasl: chatwire_sasl::ServerConfig::new(secret),
            mechanisms: vec![
                Mechanism::ScramSha512Plus,
                Mechanism::ScramSha256Plus,
                Mechanism::ScramSha1Plus,
                Mechanism::ScramSha512,
                Mechanism::ScramSha256,
                Mechanism::ScramSha1,
                Mechanism::Plain,
            ],
            plain_without_tls: false,
            max_auth_failures: 3,
            open_timeout: Duration::from_secs(30),
            auth_timeout: Duration::from_secs(60),
            bind_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(10),
            stanza_limits: Limits::default(),
            sm: SmConfig::default(),
            max_held_input: 256 * 1024,
            im_features: ImFeatures::default(),
        }
    }

    /// Sets [`ServerConfig::im_features`].
    pub fn with_im_features(mut self, features: ImFeatures) -> Self {
        self.im_features = features;
        self
    }

    /// Sets [`ServerConfig::sm`].
    pub fn with_sm(mut self, sm: SmConfig) -> Self {
        self.sm = sm;
        self
    }

    /// Sets [`ServerConfig::starttls`].
    pub fn with_starttls(mut self, starttls: StartTls) -> Self {
        self.starttls = starttls;
        self
    }

    /// Sets [`ServerConfig::mechanisms`].
    pub fn with_mechanisms(mut self, mechanisms: impl IntoIterator<Item = Mechanism>) -> Self {
        self.mechanisms = mechanisms.into_iter().collect();
        self
    }

    /// Sets [`ServerConfig::plain_without_tls`].
    pub fn with_plain_without_tls(mut self, allowed: bool) -> Self {
        self.plain_without_tls = allowed;
        self
    }

    /// Sets [`ServerConfig::max_auth_failures`].
    pub fn with_max_auth_failures(mut self, failures: u32) -> Self {
        self.max_auth_failures = failures;
        self
    }

    /// Sets [`ServerConfig::max_held_input`].
    pub fn with_max_held_input(mut self, bytes: usize) -> Self {
        self.max_held_input = bytes;
        self
    }

    /// Sets [`ServerConfig::close_timeout`].
    pub fn with_close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Sets the open, authentication and bind timeouts.
    pub fn with_timeouts(mut self, open: Duration, auth: Duration, bind: Duration) -> Self {
        self.open_timeout = open;
        self.auth_timeout = auth;
        self.bind_timeout = bind;
        self
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("domain", &self.domain)
            .field("starttls", &self.starttls)
            .field("mechanisms", &self.mechanisms)
            .field("plain_without_tls", &self.plain_without_tls)
            .field("max_auth_failures", &self.max_auth_failures)
            .finish_non_exhaustive()
    }
}

/// What happened on a server session; drain with
/// [`ServerSession::poll_event`] after every input and command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // stanzas are most events: no allocation each
pub enum ServerEvent {
    /// `<proceed/>` is queued: transmit it, run the TLS handshake as the
    /// server, then call [`ServerSession::handle_tls_established`]. Input
    /// is TLS data from now on.
    StartTls,
    /// Look up `username` and call [`ServerSession::handle_credentials`]
    /// (`None` for an unknown user: the client sees the same exchange).
    NeedCredentials {
        /// The user name after SASLprep.
        username: String,
        /// The authorization identity the client asked for, as sent.
        authzid: Option<String>,
    },
    /// An authentication attempt failed (the same `<failure/>` goes out for
    /// an unknown user and a wrong password).
    AuthFailed(AuthFailure),
    /// The client authenticated as `jid` (a bare JID of our domain).
    Authenticated {
        /// The authenticated account.
        jid: Jid,
        /// The mechanism used.
        mechanism: Mechanism,
    },
    /// The client asks to bind a resource (`None`: it wants one assigned).
    /// Answer with [`ServerSession::handle_bind`]: the caller knows the
    /// account's other sessions and decides conflicts (RFC 6120 section
    /// 7.7.2.2).
    BindRequested {
        /// The requested resourcepart, already checked and normalised.
        resource: Option<String>,
    },
    /// A resource is bound: stanzas flow from now on.
    Ready {
        /// The full JID of this session.
        jid: Jid,
    },
    /// A stanza from the client, `from` stamped with its full JID.
    Stanza(AnyStanza),
    /// XEP-0198: the client enabled stream management; `id` is set when
    /// the stream can be resumed under it.
    SmEnabled {
        /// The resumption id, when resumption was granted.
        id: Option<String>,
    },
    /// XEP-0198: the client asks to resume the stream `previd`, instead of
    /// binding. Find the detached session ([`ServerSession::detach`]) and
    /// answer with [`ServerSession::handle_resume`]. If the old session has
    /// not noticed its connection is gone, detach it now and end it with
    /// [`ServerSession::stream_error`] (`conflict`), but only when it is of
    /// the account that asks (its [`ServerSession::jid`], made bare, is
    /// this session's [`ServerSession::account`]): the id comes from the
    /// client, and `handle_resume` refusing another account's session
    /// comes too late to save a connection already ended for it.
    ResumeRequested {
        /// The id of the stream to resume.
        previd: String,
        /// The client's `h` for that stream.
        h: u32,
    },
    /// XEP-0198: the stream resumed as `jid`; the stanzas the client had
    /// not acknowledged are sent again. Stanzas flow from now on.
    Resumed {
        /// The full JID of the resumed session.
        jid: Jid,
    },
    /// XEP-0198: the detached session given to
    /// [`ServerSession::handle_resume`] was not taken (it belongs to
    /// another account, the client's `h` was above what it was sent, or
    /// the answer could not be queued): here it is back, unchanged. Keep it
    /// for its owner to resume, or store its unacknowledged stanzas as
    /// offline messages.
    ResumptionReturned(Resumption),
    /// A XEP-0352 client state indication.
    ClientState(Csi),
    /// The session is over; the last event. Transmit what is queued, then
    /// close the transport.
    Closed(CloseReason),
}

/// The caller's answer to [`ServerEvent::BindRequested`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindDecision {
    /// Bind this resourcepart: the one requested, or another the caller
    /// chose (RFC 6120 section 7.7.2.2 lets the server assign one on
    /// conflict, and section 7.6 when the client asked for none). To
    /// override an existing session, end that one first with
    /// [`ServerSession::stream_error`] and `conflict`.
    Bind(String),
    /// Refuse with this stanza error (`conflict` to keep the existing
    /// session, `resource-constraint` when the account has too many,
    /// `not-allowed`).
    Refuse(StanzaError),
}

/// Where the negotiation is.
enum Stage {
    /// Waiting for the client's stream header.
    AwaitOpen,
    /// Features sent; waiting for the client's next step.
    Negotiating,
    /// `<proceed/>` sent; the caller runs the TLS handshake.
    AwaitTls,
    /// A SASL exchange is in progress.
    Sasl(Box<Exchange>),
    /// A resumption request waits for the caller's lookup.
    AwaitResume {
        /// The client's `h` for the old stream.
        h: u32,
    },
    /// A bind request waits for the caller's decision.
    AwaitBind {
        /// The id of the bind iq, for the answer.
        id: String,
    },
    /// A resource is bound.
    Ready,
    /// The session is over.
    Closed,
}

struct Exchange {
    server: SaslServer,
    username: Option<String>,
    /// The store's own key for the account
    /// ([`ServerSession::handle_credentials_for`]): the account that
    /// authenticates, whatever name the client typed.
    account: Option<String>,
    awaiting_credentials: bool,
}

/// One client connection, server side, over WebSocket or TCP.
///
/// ```
/// use std::time::Instant;
/// use chatwire_sasl::Secret;
/// use chatwire_xmpp_session::{Security, ServerConfig, ServerEvent, ServerSession};
///
/// let config = ServerConfig::new("example.com", Secret::new(*b"0123456789abcdef0123456789abcdef")?);
/// let mut counter = 0u8;
/// let random = move |buf: &mut [u8]| buf.iter_mut().for_each(|b| { counter = counter.wrapping_add(1); *b = counter });
/// let now = Instant::now();
/// let mut server = ServerSession::websocket(now, config, Default::default(), Security::Tls(Vec::new()), random);
/// server.handle_message(now, r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="1.0"/>"#.to_owned())?;
/// let mut out = String::new();
/// server.poll_transmit(&mut out); // our <open/>
/// out.clear();
/// server.poll_transmit(&mut out); // the features
/// assert!(out.contains("<mechanism>SCRAM-SHA-256</mechanism>"));
/// assert!(server.poll_event().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ServerSession {
    config: ServerConfig,
    transport: Transport,
    ctx: Context,
    random: Random,
    stage: Stage,
    tls: bool,
    channel_bindings: Vec<ChannelBinding>,
    /// Mechanisms offered on the current stream.
    offered: Vec<Mechanism>,
    /// The authenticated bare JID.
    account: Option<Jid>,
    /// The bound full JID.
    bound: Option<Jid>,
    stream_id: Option<String>,
    failures: u32,
    open_deadline: Option<Instant>,
    auth_deadline: Option<Instant>,
    bind_deadline: Option<Instant>,
    /// Set by `close()`: when to stop waiting for the client's close.
    close_deadline: Option<Instant>,
    events: VecDeque<ServerEvent>,
    finished: bool,
    /// Bytes of input received while a question to the caller was open,
    /// kept unread in the framing.
    held: usize,
    /// XEP-0198 state, once enabled (or resumed).
    sm: Option<SmState>,
    /// The XEP-0198 number of each queued `Stanza` event, in order, when
    /// the caller confirms stanzas ([`SmConfig::confirm_within`]).
    stanza_numbers: VecDeque<Option<u32>>,
    /// The number of the stanza being handled, until it is handed over.
    counting_number: Option<u32>,
    /// The number of the `Stanza` event `poll_event` returned last.
    last_number: Option<u32>,
    /// The time of the latest input, for commands that take none.
    now: Instant,
}

impl ServerSession {
    /// A session on a WebSocket connection (RFC 7395) that negotiated the
    /// `xmpp` subprotocol. `security` says whether it is `wss:`; `random`
    /// fills buffers with fresh random bytes (stream ids, SCRAM nonces).
    pub fn websocket(
        now: Instant,
        config: ServerConfig,
        framing: websocket::Config,
        security: Security,
        random: impl FnMut(&mut [u8]) + Send + 'static,
    ) -> Self {
        let framing = framing.with_secure(security.is_tls());
        let transport = Transport::Ws(WsFraming::server(framing));
        Self::new(now, config, transport, security, Box::new(random))
    }

    /// A session on a TCP connection (RFC 6120); `security` is
    /// [`Security::Tls`] for TLS from the first byte (XEP-0368), else
    /// STARTTLS is offered as configured.
    pub fn tcp(
        now: Instant,
        config: ServerConfig,
        framing: tcp::Config,
        security: Security,
        random: impl FnMut(&mut [u8]) + Send + 'static,
    ) -> Self {
        let transport = Transport::Tcp(TcpFraming::server(framing));
        Self::new(now, config, transport, security, Box::new(random))
    }

    fn new(
        now: Instant,
        config: ServerConfig,
        transport: Transport,
        security: Security,
        random: Random,
    ) -> Self {
        let ctx = transport.context(config.stanza_limits);
        ServerSession {
            open_deadline: now.checked_add(config.open_timeout),
            auth_deadline: now.checked_add(config.auth_timeout),
            bind_deadline: None,
            close_deadline: None,
            ctx,
            transport,
            random,
            stage: Stage::AwaitOpen,
            tls: security.is_tls(),
            channel_bindings: security.into_channel_bindings(),
            offered: Vec::new(),
            account: None,
            bound: None,
            stream_id: None,
            failures: 0,
            events: VecDeque::new(),
            stanza_numbers: VecDeque::new(),
            counting_number: None,
            last_number: None,
            finished: false,
            held: 0,
            sm: None,
            now,
            config,
        }
    }

    /// The bound full JID, once [`ServerEvent::Ready`] was reported.
    pub fn jid(&self) -> Option<&Jid> {
        self.bound.as_ref()
    }

    /// The authenticated bare JID, once authenticated.
    pub fn account(&self) -> Option<&Jid> {
        self.account.as_ref()
    }

    /// The id of the current stream (from our latest header).
    pub fn stream_id(&self) -> Option<&str> {
        self.stream_id.as_deref()
    }

    /// Whether TLS protects the stream.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether a resource is bound and stanzas flow.
    pub fn is_ready(&self) -> bool {
        matches!(self.stage, Stage::Ready)
    }

    /// XEP-0198 state, once the client enabled stream management.
    pub fn sm(&self) -> Option<&SmState> {
        self.sm.as_ref()
    }

    /// XEP-0198: takes what a resumed stream needs (the bound JID, the
    /// counters, the unacknowledged stanzas) out of a session whose
    /// transport was lost. `None` when the stream is not resumable; then
    /// [`ServerSession::take_unacked`] still yields what the client did not
    /// acknowledge, to store as offline messages.
    pub fn detach(&mut self) -> Option<Resumption> {
        if !self.sm.as_ref().is_some_and(SmState::is_resumable) {
            return None;
        }
        let jid = self.bound.clone()?;
        let mut state = self.sm.take()?;
        state.confirm_all();
        Some(Resumption { jid, state })
    }

    /// With [`SmConfig::confirm_within`]: the XEP-0198 number of the
    /// stanza [`ServerSession::poll_event`] returned last, to pass to
    /// [`ServerSession::confirm`] once it is safe (stored, or delivered).
    /// `None` for other events, or when stanzas are not counted.
    pub fn stanza_number(&self) -> Option<u32> {
        self.last_number
    }

    /// With [`SmConfig::confirm_within`]: the stanza numbered `number` is
    /// safe, so our `h` may count it. Confirmations may come in any order;
    /// an `<r/>` is answered once all before it are confirmed.
    pub fn confirm(&mut self, number: u32) {
        let now = self.now;
        let due = self.sm.as_mut().is_some_and(|sm| {
            sm.confirm(number);
            sm.owed_answer_due(now, &self.config.sm)
        });
        if due {
            self.send_ack();
        }
    }

    /// Sends `<a/>` with the `h` we report.
    fn send_ack(&mut self) {
        let h = self.sm.as_ref().map_or(0, SmState::reported);
        if self.send_element(&Element::Sm(Sm::Ack(h))).is_err() {
            self.fail(StreamErrorCondition::InternalServerError);
        }
    }

    /// XEP-0198: the stanzas the client has not acknowledged, taken out
    /// (empty without stream management).
    pub fn take_unacked(&mut self) -> Vec<Element> {
        self.sm
            .as_mut()
            .map(SmState::take_unacked)
            .unwrap_or_default()
    }

    /// Whether the session is over: close the transport once
    /// [`ServerSession::poll_transmit`] is drained.
    pub fn is_closed(&self) -> bool {
        self.finished || self.transport.framing_ref().is_closed()
    }

    /// Handles one WebSocket text message.
    ///
    /// Errors are the caller's (wrong transport, input after the end);
    /// what the client did wrong is answered on the wire and reported as
    /// events.
    pub fn handle_message(&mut self, now: Instant, message: String) -> Result<(), Error> {
        self.now = now;
        self.check_input()?;
        if self.hold(now, message.len()) {
            return Ok(());
        }
        let result = self.transport.handle_message(message)?;
        self.after_input(now, result);
        Ok(())
    }

    /// Handles bytes read from a TCP connection (after TLS, decrypted),
    /// split anywhere.
    pub fn handle_input(&mut self, now: Instant, input: &[u8]) -> Result<(), Error> {
        self.now = now;
        self.check_input()?;
        if self.hold(now, input.len()) {
            return Ok(());
        }
        let result = self.transport.handle_input(input)?;
        self.after_input(now, result);
        Ok(())
    }

    /// The transport closed under us.
    pub fn handle_transport_closed(&mut self, now: Instant) {
        self.now = now;
        self.transport.framing().handle_transport_closed();
        self.process(now);
        // Input held back for an answer of the caller's goes with the
        // transport; the session ends all the same.
        if !self.finished {
            self.finish(CloseReason::TransportClosed { clean: false });
        }
    }

    /// Handles the end of a stage's time: the open, authentication or bind
    /// timeout, or an `<r/>` unanswered for [`SmConfig::ack_timeout`],
    /// closes the stream with `connection-timeout`; the close timeout ends
    /// the session.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if self.finished {
            return;
        }
        if self.close_deadline.is_some_and(|deadline| deadline <= now) {
            self.finish(CloseReason::CloseTimedOut);
            return;
        }
        let ack_overdue = self
            .sm
            .as_ref()
            .and_then(|sm| sm.ack_deadline(&self.config.sm))
            .is_some_and(|deadline| deadline <= now);
        if ack_overdue {
            self.fail(StreamErrorCondition::ConnectionTimeout);
            return;
        }
        let request_due = self
            .sm
            .as_ref()
            .and_then(|sm| sm.request_deadline(&self.config.sm))
            .is_some_and(|deadline| deadline <= now);
        if request_due {
            self.send_request();
        }
        let config = &self.config.sm;
        if self
            .sm
            .as_mut()
            .is_some_and(|sm| sm.owed_answer_due(now, config))
        {
            self.send_ack();
        }
        let expired = [self.open_deadline, self.auth_deadline, self.bind_deadline]
            .into_iter()
            .flatten()
            .any(|deadline| deadline <= now);
        if expired {
            self.fail(StreamErrorCondition::ConnectionTimeout);
        }
    }

    /// The TLS handshake after [`ServerEvent::StartTls`] succeeded;
    /// `channel_bindings` is what the TLS layer can produce for -PLUS
    /// (`tls-exporter`, `tls-server-end-point`), empty for none.
    pub fn handle_tls_established(
        &mut self,
        now: Instant,
        channel_bindings: Vec<ChannelBinding>,
    ) -> Result<(), Error> {
        self.now = now;
        if self.finished {
            return Err(Error::Closed);
        }
        if !matches!(self.stage, Stage::AwaitTls) {
            return Err(Error::NotAllowed("no STARTTLS in progress"));
        }
        self.tls = true;
        self.channel_bindings = channel_bindings;
        self.stage = Stage::AwaitOpen;
        self.open_deadline = now.checked_add(self.config.open_timeout);
        self.process(now);
        Ok(())
    }

    /// The answer to [`ServerEvent::NeedCredentials`]: the account's
    /// stored credentials, or `None` when there is no such account.
    ///
    /// An error from chatwire-sasl about the credentials themselves (an
    /// iteration count above the configured bound) is returned and the
    /// question stays open.
    pub fn handle_credentials(
        &mut self,
        now: Instant,
        credentials: Option<&StoredCredentials>,
    ) -> Result<(), Error> {
        self.resume_credentials(now, None, credentials)
    }

    /// As [`ServerSession::handle_credentials`], for a store that found
    /// the user under its own key `account` (a case-folded name, say), so
    /// that every spelling of an unknown user shows one salt. On success
    /// the client is `account` at our domain, whatever name it typed.
    pub fn handle_credentials_for(
        &mut self,
        now: Instant,
        account: &str,
        credentials: Option<&StoredCredentials>,
    ) -> Result<(), Error> {
        self.resume_credentials(now, Some(account), credentials)
    }

    /// The answer to [`ServerEvent::ResumeRequested`]: the detached
    /// session with that id, or `None` when there is none (the client gets
    /// `item-not-found` and may bind instead). A session of another
    /// account is refused the same way and comes back as
    /// [`ServerEvent::ResumptionReturned`].
    pub fn handle_resume(&mut self, now: Instant, found: Option<Resumption>) -> Result<(), Error> {
        self.now = now;
        if self.finished {
            return Err(Error::Closed);
        }
        let Stage::AwaitResume { h } = self.stage else {
            return Err(Error::NotAllowed("no resumption request is waiting"));
        };
        let ours = match found {
            Some(r) if r.state.is_resumable() && Some(r.jid.to_bare()) == self.account => r,
            other => {
                // Another account's session stays its owner's: the caller
                // gets it back to keep, unchanged.
                self.events
                    .extend(other.map(ServerEvent::ResumptionReturned));
                self.stage = Stage::Negotiating;
                self.sm_failed(StanzaErrorCondition::ItemNotFound, None);
                self.process(now);
                return Ok(());
            }
        };
        let Resumption { jid, mut state } = ours;
        if let Err(too_high) = state.ack(h, now) {
            // The stream ends, but what the old one holds is not lost.
            self.events
                .push_back(ServerEvent::ResumptionReturned(Resumption { jid, state }));
            self.ack_too_high(too_high);
            return Ok(());
        }
        state.resumed(now);
        let resumed = SmResume::new(state.handled(), state.id().unwrap_or_default());
        let sent = self
            .send_element(&Element::Sm(Sm::Resumed(resumed)))
            .and_then(|()| {
                state
                    .unacked()
                    .try_for_each(|stanza| self.transport.send_element(stanza, &self.ctx))
            });
        if let Err(error) = sent {
            self.events
                .push_back(ServerEvent::ResumptionReturned(Resumption { jid, state }));
            return Err(error);
        }
        self.sm = Some(state);
        self.bound = Some(jid.clone());
        self.bind_deadline = None;
        self.stage = Stage::Ready;
        self.events.push_back(ServerEvent::Resumed { jid });
        self.process(now);
        Ok(())
    }

    /// The answer to [`ServerEvent::BindRequested`].
    pub fn handle_bind(&mut self, now: Instant, decision: BindDecision) -> Result<(), Error> {
        self.now = now;
        if self.finished {
            return Err(Error::Closed);
        }
        let Stage::AwaitBind { id } = &self.stage else {
            return Err(Error::NotAllowed("no bind request is waiting"));
        };
        let id = id.clone();
        let account = self
            .account
            .clone()
            .ok_or(Error::NotAllowed("not authenticated"))?;
        match decision {
            BindDecision::Bind(resource) => {
                let jid = account
                    .with_resource(&resource)
                    .map_err(Error::InvalidResource)?;
                let mut bind = Bind::default();
                bind.jid = Some(jid.clone());
                let mut result = Iq::new(IqType::Result, id);
                result.payload = Some(IqPayload::Bind(bind));
                self.send_element(&Element::Iq(result))?;
                self.bound = Some(jid.clone());
                self.bind_deadline = None;
                self.stage = Stage::Ready;
                self.events.push_back(ServerEvent::Ready { jid });
            }
            BindDecision::Refuse(error) => {
                let mut reply = Iq::new(IqType::Error, id);
                reply.error = Some(error);
                self.send_element(&Element::Iq(reply))?;
                self.stage = Stage::Negotiating;
            }
        }
        self.process(now);
        Ok(())
    }

    /// Queues a stanza for the client (its `from` and `to` as the router
    /// set them). Only once the session is ready.
    ///
    /// With XEP-0198 on, the stanza also joins the unacknowledged queue,
    /// timed from the latest `handle_*` call (a command takes no time), and
    /// an `<r/>` follows when the configured count is reached.
    pub fn send(&mut self, stanza: impl Into<Element>) -> Result<(), Error> {
        if !matches!(self.stage, Stage::Ready) {
            return Err(Error::NotAllowed("the session is not ready"));
        }
        let element = stanza.into();
        if element.as_stanza().is_none() {
            return Err(Error::NotAllowed("only stanzas are sent this way"));
        }
        self.send_stanza(element)
    }

    /// Closes our stream (RFC 6120 section 4.4); [`ServerEvent::Closed`]
    /// follows when the client closes its own, or after
    /// [`ServerConfig::close_timeout`] (timed from the latest `handle_*`
    /// call).
    pub fn close(&mut self) -> Result<(), Error> {
        if self.finished {
            return Err(Error::Closed);
        }
        self.transport.framing().close()?;
        if self.close_deadline.is_none() {
            self.close_deadline = self.now.checked_add(self.config.close_timeout);
        }
        Ok(())
    }

    /// Ends the stream with an error of our choosing: `system-shutdown`,
    /// `conflict` (another session took the resource), `see-other-host`
    /// with its address, `reset`.
    pub fn stream_error(&mut self, error: &StreamError) -> Result<(), Error> {
        if self.finished {
            return Err(Error::Closed);
        }
        self.transport.stream_error(error, &self.ctx)?;
        let condition = stream_condition_to_framing(&error.condition)
            .unwrap_or(StreamErrorCondition::UndefinedCondition);
        self.finish(CloseReason::SentStreamError(condition));
        Ok(())
    }

    /// WebSocket only: ends the stream with `<close see-other-uri=.../>`
    /// (RFC 7395 section 3.6.1; over TCP use [`ServerSession::stream_error`]
    /// with see-other-host). The framing refuses a `ws:` target from a
    /// `wss:` connection.
    pub fn redirect(&mut self, uri: &str) -> Result<(), Error> {
        if self.finished {
            return Err(Error::Closed);
        }
        self.transport.redirect(uri)?;
        self.finish(CloseReason::Closed);
        Ok(())
    }

    /// XEP-0198: asks the client for an acknowledgement now (before going
    /// idle, say); the configured count and time trigger this by
    /// themselves.
    pub fn request_ack(&mut self) -> Result<(), Error> {
        if self.finished {
            return Err(Error::Closed);
        }
        if self.sm.is_none() || !matches!(self.stage, Stage::Ready) {
            return Err(Error::NotAllowed("stream management is not enabled"));
        }
        self.send_request();
        Ok(())
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        let event = self.events.pop_front();
        crate::release_if_empty(&mut self.events);
        self.last_number = match event {
            Some(ServerEvent::Stanza(_)) => self.stanza_numbers.pop_front().flatten(),
            _ => None,
        };
        crate::release_if_empty(&mut self.stanza_numbers);
        event
    }

    /// Appends queued output to `out` (one WebSocket message per call, or
    /// all TCP output); the number of bytes, 0 when nothing is queued.
    pub fn poll_transmit(&mut self, out: &mut String) -> usize {
        self.transport.framing().poll_transmit(out)
    }

    /// When [`ServerSession::handle_timeout`] should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.finished {
            return None;
        }
        let request = self
            .sm
            .as_ref()
            .and_then(|sm| sm.request_deadline(&self.config.sm));
        let ack = self
            .sm
            .as_ref()
            .and_then(|sm| sm.ack_deadline(&self.config.sm));
        let owed = self
            .sm
            .as_ref()
            .and_then(|sm| sm.owed_deadline(&self.config.sm));
        [
            self.open_deadline,
            self.auth_deadline,
            self.bind_deadline,
            self.close_deadline,
            request,
            ack,
            owed,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn check_input(&self) -> Result<(), Error> {
        if self.transport.framing_ref().is_closed() {
            return Err(Error::Closed);
        }
        Ok(())
    }

    /// Counts `len` bytes of input against [`ServerConfig::max_held_input`]
    /// when they will wait for the caller's answer, and ends the stream
    /// with `policy-violation` when there are too many: the framing keeps
    /// all of it meanwhile. `true` when the stream ended.
    fn hold(&mut self, now: Instant, len: usize) -> bool {
        if !self.waiting_for_caller() {
            // Nothing waits: everything held before was read.
            self.held = 0;
            return false;
        }
        self.held = self.held.saturating_add(len);
        if self.held <= self.config.max_held_input {
            return false;
        }
        self.fail(StreamErrorCondition::PolicyViolation);
        self.process(now);
        true
    }

    /// Handles what the framing made of an input: its events first (they
    /// came before any error), then its verdict.
    fn after_input(&mut self, now: Instant, result: Result<(), chatwire_xmpp_framing::Error>) {
        self.process(now);
        if let Err(error) = result {
            if self.finished {
                return;
            }
            // Events after the error point are dropped by the framing; the
            // ones waiting for a caller's answer go with the stream.
            let condition = error
                .condition()
                .unwrap_or(StreamErrorCondition::InternalServerError);
            self.fail(condition);
        }
    }

    /// Handles framing events until none is left, the caller must answer
    /// first, or the session is over.
    fn process(&mut self, now: Instant) {
        while !self.finished && !self.waiting_for_caller() {
            let Some(event) = self.transport.framing().poll_event() else {
                break;
            };
            match event {
                FramingEvent::StreamOpen(header) => self.on_open(&header),
                FramingEvent::Element(element) => self.on_element(now, &element),
                FramingEvent::StreamClose { .. } => self.finish(CloseReason::Closed),
                FramingEvent::TransportClosed { clean } => {
                    self.finish(CloseReason::TransportClosed { clean });
                }
                _ => {}
            }
        }
        // After a stream error we sent, the framing still reads (it takes
        // the peer's close), but nothing here will look at it: drop what
        // came, or a peer that keeps sending piles it up unread.
        if self.finished {
            while self.transport.framing().poll_event().is_some() {}
        }
    }

    fn waiting_for_caller(&self) -> bool {
        match &self.stage {
            Stage::AwaitTls | Stage::AwaitBind { .. } | Stage::AwaitResume { .. } => true,
            Stage::Sasl(exchange) => exchange.awaiting_credentials,
            _ => false,
        }
    }

    fn on_open(&mut self, header: &StreamHeader) {
        let id = hex_id(&mut self.random);
        let ours = StreamHeader::new()
            .with_from(self.config.domain.clone())
            .with_id(id.clone());
        if self.transport.framing().open(&ours).is_err() {
            self.fail(StreamErrorCondition::InternalServerError);
            return;
        }
        self.stream_id = Some(id);
        self.open_deadline = None;
        if !self.serves(header.to.as_deref()) {
            self.fail(StreamErrorCondition::HostUnknown);
            return;
        }
        let features = self.features();
        if self.send_element(&Element::Features(features)).is_err() {
            self.fail(StreamErrorCondition::InternalServerError);
            return;
        }
        self.stage = Stage::Negotiating;
    }

    /// Whether a header's `to` names our domain (RFC 6120 section 4.7.2: a
    /// header without `to` is for the default domain, ours).
    fn serves(&self, to: Option<&str>) -> bool {
        let Some(to) = to else {
            return true;
        };
        match (Jid::new(to), Jid::new(&self.config.domain)) {
            (Ok(to), Ok(domain)) => to == domain,
            _ => false,
        }
    }

    /// The features of the current stage (RFC 6120 sections 5.3.1, 6.3.1,
    /// 7.2), recording the mechanisms offered.
    fn features(&mut self) -> Features {
        let mut features = Features::default();
        self.offered.clear();
        if self.account.is_some() {
            features.bind = true;
            features.sm = self.config.sm.enabled;
            features.roster_versioning = self.config.im_features.roster_versioning;
            features.pre_approval = self.config.im_features.pre_approval;
            return features;
        }
        let tls_pending = self.transport.is_tcp() && !self.tls;
        if tls_pending && self.config.starttls != StartTls::Disabled {
            let required = self.config.starttls == StartTls::Required;
            features.starttls = Some(required);
            if required {
                return features;
            }
        }
        self.offered = self
            .config
            .mechanisms
            .iter()
            .copied()
            .filter(|m| self.may_offer(*m))
            .collect();
        features.mechanisms = Some(self.offered.iter().map(|m| m.name().to_owned()).collect());
        if self.offered.iter().any(|m| m.is_plus()) {
            features
                .other
                .extend(channel_binding_feature(&self.channel_bindings));
        }
        features
    }

    fn may_offer(&self, mechanism: Mechanism) -> bool {
        match mechanism {
            m if m.is_plus() => !self.channel_bindings.is_empty(),
            Mechanism::Plain => self.tls || self.config.plain_without_tls,
            // The identity comes from the TLS layer (a client certificate):
            // without TLS nothing proves it.
            Mechanism::External => self.tls && self.config.sasl.external_identity.is_some(),
            _ => true,
        }
    }

    fn on_element(&mut self, now: Instant, element: &chatwire_xmpp_framing::Element) {
        let parsed = Element::parse(element.as_bytes(), &self.ctx);
        if let Ok(Element::StreamError(error)) = parsed {
            let _ = self.transport.framing().close();
            self.finish(CloseReason::ReceivedStreamError(error));
            return;
        }
        if self.account.is_none() {
            self.before_auth(now, element, parsed);
        } else if self.bound.is_none() {
            self.before_bind(parsed);
        } else {
            self.when_ready(parsed);
        }
    }

    /// RFC 6120 sections 5 and 6: only STARTTLS and SASL, and no stanza
    /// (`not-authorized`, section 4.9.3.12).
    fn before_auth(
        &mut self,
        now: Instant,
        element: &chatwire_xmpp_framing::Element,
        parsed: Result<Element, ParseError>,
    ) {
        let is_stanza = &*element.namespace == ns::CLIENT
            && matches!(&*element.local_name, "message" | "presence" | "iq");
        if is_stanza {
            self.fail(StreamErrorCondition::NotAuthorized);
            return;
        }
        match parsed {
            Ok(Element::Tls(Tls::StartTls)) => self.on_starttls(),
            Ok(Element::Sasl(sasl)) => self.on_sasl(now, sasl),
            Ok(Element::Sm(_) | Element::Csi(_)) => self.fail(StreamErrorCondition::NotAuthorized),
            Ok(Element::Tls(_) | Element::Features(_)) => {
                self.fail(StreamErrorCondition::PolicyViolation);
            }
            Ok(_) => self.fail(StreamErrorCondition::UnsupportedStanzaType),
            Err(error) if &*element.namespace == ns::SASL => {
                // A SASL nonza we cannot read ends the attempt, not the stream.
                let failure = match error.error() {
                    chatwire_xmpp_stanza::Error::Invalid("base64") => Failure::IncorrectEncoding,
                    _ => Failure::MalformedRequest,
                };
                let username = self.take_username();
                self.auth_failed(failure, username);
            }
            Err(error) => self.fail(parse_condition(&error)),
        }
    }

    /// RFC 6120 section 7: only the bind request. Any other stanza before
    /// a resource is bound is refused with `not-authorized`.
    fn before_bind(&mut self, parsed: Result<Element, ParseError>) {
        match parsed {
            Ok(Element::Iq(iq)) if matches!(iq.payload, Some(IqPayload::Bind(_))) => {
                self.on_bind(iq);
            }
            Ok(Element::Message(_) | Element::Presence(_) | Element::Iq(_)) => {
                self.fail(StreamErrorCondition::NotAuthorized);
            }
            Ok(Element::Sasl(_) | Element::Tls(_) | Element::Features(_)) => {
                self.fail(StreamErrorCondition::PolicyViolation);
            }
            Ok(Element::Sm(Sm::Resume(resume))) => self.on_resume(resume),
            // XEP-0198 section 3: enabling comes after binding.
            Ok(Element::Sm(Sm::Enable(_))) => {
                self.sm_failed(StanzaErrorCondition::UnexpectedRequest, None);
            }
            Ok(Element::Csi(_) | Element::Sm(_)) => self.fail(StreamErrorCondition::NotAuthorized),
            Ok(_) => self.fail(StreamErrorCondition::UnsupportedStanzaType),
            Err(error) if error.header().is_some() => {
                self.fail(StreamErrorCondition::NotAuthorized);
            }
            Err(error) => self.fail(parse_condition(&error)),
        }
    }

    /// RFC 6120 section 8: stanzas, stamped with the full JID.
    fn when_ready(&mut self, parsed: Result<Element, ParseError>) {
        // XEP-0198: every stanza counts in `h`, readable or not.
        let is_stanza = match &parsed {
            Ok(element) => element.as_stanza().is_some(),
            Err(error) => error.header().is_some(),
        };
        if is_stanza && let Some(sm) = &mut self.sm {
            self.counting_number = sm.count_inbound();
        }
        self.handle_ready(parsed);
        // A stanza the session answered or dropped itself is safe now.
        if let Some(number) = self.counting_number.take() {
            self.confirm(number);
        }
    }

    fn handle_ready(&mut self, parsed: Result<Element, ParseError>) {
        let stanza = match parsed {
            Ok(Element::Message(m)) => AnyStanza::Message(m),
            Ok(Element::Presence(p)) => AnyStanza::Presence(p),
            Ok(Element::Iq(iq)) => AnyStanza::Iq(iq),
            Ok(Element::Csi(csi)) => {
                self.events.push_back(ServerEvent::ClientState(csi));
                return;
            }
            Ok(Element::Sm(sm)) => {
                self.on_sm(sm);
                return;
            }
            Ok(Element::Sasl(_) | Element::Tls(_) | Element::Features(_)) => {
                self.fail(StreamErrorCondition::PolicyViolation);
                return;
            }
            Ok(_) => {
                self.fail(StreamErrorCondition::UnsupportedStanzaType);
                return;
            }
            Err(error) => {
                self.answer_parse_error(&error);
                return;
            }
        };
        self.on_stanza(stanza);
    }

    fn on_stanza(&mut self, mut stanza: AnyStanza) {
        let Some(jid) = self.bound.clone() else {
            return;
        };
        if let Some(from) = stanza.as_stanza().from() {
            // RFC 6120 section 8.1.2.1: the full JID, or the bare one.
            if *from != jid && *from != jid.to_bare() {
                self.fail(StreamErrorCondition::InvalidFrom);
                return;
            }
        }
        if let AnyStanza::Iq(iq) = &stanza
            && matches!(iq.payload, Some(IqPayload::Bind(_)))
        {
            // RFC 6120 section 7.7: one resource per stream.
            let mut error = StanzaError::new(StanzaErrorCondition::NotAllowed);
            error.kind = StanzaErrorType::Cancel;
            if let Some(reply) = iq.error_reply(error) {
                let _ = self.send_stanza(Element::Iq(reply));
            }
            return;
        }
        match &mut stanza {
            AnyStanza::Message(m) => m.from = Some(jid),
            AnyStanza::Presence(p) => p.from = Some(jid),
            AnyStanza::Iq(iq) => iq.from = Some(jid),
        }
        self.events.push_back(ServerEvent::Stanza(stanza));
        let confirming = self.config.sm.confirm_within.is_some();
        let number = self.counting_number.take().filter(|_| confirming);
        self.stanza_numbers.push_back(number);
    }

    /// A stanza we could not read: a stanza error when its header allows
    /// one, so a bad stanza never costs the stream (RFC 6120 section 8.3).
    fn answer_parse_error(&mut self, error: &ParseError) {
        match (error.answer(), error.header()) {
            (Answer::Stanza(kind, condition), Some(header)) => {
                let Some(to) = self.bound.clone() else {
                    return;
                };
                let mut stanza_error = StanzaError::new(condition);
                stanza_error.kind = kind;
                let reply = error_reply(header, stanza_error, to);
                if self.send_stanza(reply).is_err() {
                    self.fail(StreamErrorCondition::InternalServerError);
                }
            }
            (Answer::Ignore, _) => {}
            // A stanza that cannot be answered (an iq without an id): it is
            // dropped (and counted), the stream lives on.
            (Answer::Stream(StanzaStreamCondition::InvalidXml), Some(_)) => {}
            _ => self.fail(parse_condition(error)),
        }
    }

    /// XEP-0198 nonzas once a resource is bound.
    fn on_sm(&mut self, sm: Sm) {
        match (sm, self.sm.is_some()) {
            (Sm::Enable(enable), false) if self.config.sm.enabled => {
                let resume = enable.resume && self.config.sm.resume;
                let id = resume.then(|| hex_id(&mut self.random));
                let mut enabled = SmEnabled::default();
                enabled.id = id.clone();
                enabled.resume = resume;
                enabled.max = self.config.sm.max_resume.filter(|_| resume);
                if self
                    .send_element(&Element::Sm(Sm::Enabled(enabled)))
                    .is_err()
                {
                    self.fail(StreamErrorCondition::InternalServerError);
                    return;
                }
                let mut state = SmState::new(true);
                state.set_enabled(id.clone(), resume);
                if self.config.sm.confirm_within.is_some() {
                    state.confirm_stanzas();
                }
                self.sm = Some(state);
                self.events.push_back(ServerEvent::SmEnabled { id });
            }
            (Sm::Enable(_) | Sm::Resume(_), _) => {
                self.sm_failed(StanzaErrorCondition::UnexpectedRequest, None);
            }
            (Sm::Request, true) => {
                let now = self.now;
                if self.sm.as_mut().is_some_and(|sm| sm.answer_now(now)) {
                    self.send_ack();
                }
            }
            (Sm::Ack(h), true) => {
                let now = self.now;
                if let Some(Err(too_high)) = self.sm.as_mut().map(|sm| sm.ack(h, now)) {
                    self.ack_too_high(too_high);
                } else if self
                    .sm
                    .as_ref()
                    .is_some_and(|sm| sm.request_due(&self.config.sm))
                {
                    self.send_request();
                }
            }
            _ => self.fail(StreamErrorCondition::UnsupportedStanzaType),
        }
    }

    /// XEP-0198 section 5: `<resume/>` in place of binding.
    fn on_resume(&mut self, resume: SmResume) {
        if !(self.config.sm.enabled && self.config.sm.resume) {
            self.sm_failed(StanzaErrorCondition::FeatureNotImplemented, None);
            return;
        }
        self.stage = Stage::AwaitResume { h: resume.h };
        self.events.push_back(ServerEvent::ResumeRequested {
            previd: resume.previd,
            h: resume.h,
        });
    }

    fn sm_failed(&mut self, condition: StanzaErrorCondition, h: Option<u32>) {
        let mut failed = SmFailed::default();
        failed.condition = Some(condition);
        failed.h = h;
        if self.send_element(&Element::Sm(Sm::Failed(failed))).is_err() {
            self.fail(StreamErrorCondition::InternalServerError);
        }
    }

    /// Sends `<r/>`.
    fn send_request(&mut self) {
        if self.send_element(&Element::Sm(Sm::Request)).is_err() {
            return;
        }
        if let Some(sm) = &mut self.sm {
            sm.request_sent(self.now);
        }
    }

    /// XEP-0198 section 4: an `h` above what was sent is an
    /// `undefined-condition` stream error with `<handled-count-too-high/>`.
    fn ack_too_high(&mut self, too_high: crate::sm::TooHigh) {
        let mut error = StreamError::new(StanzaStreamCondition::UndefinedCondition);
        error.apps.extend(handled_count_too_high(too_high));
        if self.transport.stream_error(&error, &self.ctx).is_err() {
            let _ = self
                .transport
                .framing()
                .stream_error(StreamErrorCondition::UndefinedCondition, None);
        }
        self.finish(CloseReason::SentStreamError(
            StreamErrorCondition::UndefinedCondition,
        ));
    }

    fn on_starttls(&mut self) {
        let offered = self.transport.is_tcp()
            && !self.tls
            && self.config.starttls != StartTls::Disabled
            && matches!(self.stage, Stage::Negotiating);
        if !offered {
            // RFC 6120 section 5.4.2.2: <failure/>, then the end of the stream.
            let _ = self.send_element(&Element::Tls(Tls::Failure));
            let _ = self.transport.framing().close();
            self.finish(CloseReason::Closed);
            return;
        }
        if self.send_element(&Element::Tls(Tls::Proceed)).is_err()
            || self.transport.framing().restart().is_err()
        {
            self.fail(StreamErrorCondition::BadFormat);
            return;
        }
        self.stage = Stage::AwaitTls;
        self.events.push_back(ServerEvent::StartTls);
    }

    fn on_sasl(&mut self, now: Instant, sasl: Sasl) {
        match sasl {
            Sasl::Auth {
                mechanism,
                initial_response,
            } => self.on_auth(now, &mechanism, initial_response.as_deref()),
            Sasl::Response(data) => {
                let Stage::Sasl(exchange) = &mut self.stage else {
                    self.auth_failed(Failure::MalformedRequest, None);
                    return;
                };
                let result = exchange.server.step(&data);
                self.on_step(now, result);
            }
            Sasl::Abort => {
                let username = self.take_username();
                self.auth_failed(Failure::Aborted, username);
            }
            _ => self.fail(StreamErrorCondition::UnsupportedStanzaType),
        }
    }

    fn on_auth(&mut self, now: Instant, name: &str, initial_response: Option<&[u8]>) {
        if matches!(self.stage, Stage::Sasl(_)) {
            let username = self.take_username();
            self.auth_failed(Failure::MalformedRequest, username);
            return;
        }
        if self.transport.is_tcp() && !self.tls && self.config.starttls == StartTls::Required {
            self.auth_failed(Failure::EncryptionRequired, None);
            return;
        }
        let mechanism = name.parse::<Mechanism>().ok();
        let Some(mechanism) = mechanism.filter(|m| self.offered.contains(m)) else {
            let needs_tls = matches!(mechanism, Some(Mechanism::Plain | Mechanism::External));
            let failure = if needs_tls && !self.tls {
                Failure::EncryptionRequired
            } else {
                Failure::InvalidMechanism
            };
            self.auth_failed(failure, None);
            return;
        };
        // RFC 5802 section 6: a client's `y` flag is a downgrade only if we
        // advertised -PLUS; without that, our TLS data plays no part.
        let plus_advertised = self.offered.iter().any(|m| m.is_plus());
        let mut config = self.config.sasl.clone();
        if plus_advertised {
            config.channel_bindings = self.channel_bindings.clone();
        }
        config.plus_advertised = plus_advertised;
        config.downgrade_protection = Some(DowngradeProtection {
            mechanisms: self.offered.iter().map(|m| m.name().to_owned()).collect(),
            channel_bindings: plus_advertised.then(|| {
                self.channel_bindings
                    .iter()
                    .map(|b| b.kind().to_owned())
                    .collect()
            }),
        });
        let nonce = chatwire_sasl::nonce(&mut *self.random);
        let mut server = match SaslServer::new(mechanism, config, &nonce) {
            Ok(server) => server,
            Err(_) => {
                self.auth_failed(Failure::TemporaryAuthFailure, None);
                return;
            }
        };
        let result = server.start(initial_response);
        self.stage = Stage::Sasl(Box::new(Exchange {
            server,
            username: None,
            account: None,
            awaiting_credentials: false,
        }));
        self.on_step(now, result);
    }

    fn resume_credentials(
        &mut self,
        now: Instant,
        account: Option<&str>,
        credentials: Option<&StoredCredentials>,
    ) -> Result<(), Error> {
        self.now = now;
        if self.finished {
            return Err(Error::Closed);
        }
        let Stage::Sasl(exchange) = &mut self.stage else {
            return Err(Error::NotAllowed("no credentials were asked for"));
        };
        if !exchange.awaiting_credentials {
            return Err(Error::NotAllowed("no credentials were asked for"));
        }
        let result = match account {
            Some(account) => exchange.server.credentials_for(account, credentials),
            None => exchange.server.credentials(credentials),
        };
        if let Err(error) = &result
            && error.is_api_misuse()
        {
            return Err(Error::Sasl(error.clone()));
        }
        exchange.awaiting_credentials = false;
        exchange.account = account.map(str::to_owned);
        self.on_step(now, result);
        self.process(now);
        Ok(())
    }

    fn on_step(&mut self, now: Instant, result: Result<ServerStep, chatwire_sasl::Error>) {
        match result {
            Ok(ServerStep::Challenge(challenge)) => {
                if self
                    .send_element(&Element::Sasl(Sasl::Challenge(challenge)))
                    .is_err()
                {
                    self.fail(StreamErrorCondition::InternalServerError);
                }
            }
            Ok(ServerStep::NeedCredentials { username, authzid }) => {
                if let Stage::Sasl(exchange) = &mut self.stage {
                    exchange.username = Some(username.clone());
                    exchange.awaiting_credentials = true;
                }
                self.events
                    .push_back(ServerEvent::NeedCredentials { username, authzid });
            }
            Ok(ServerStep::Success {
                additional_data,
                outcome,
            }) => self.on_success(now, additional_data, outcome),
            Err(error) => {
                let failure = if error.is_api_misuse() {
                    Failure::TemporaryAuthFailure
                } else {
                    error.failure()
                };
                let username = self.take_username();
                self.auth_failed(failure, username);
            }
        }
    }

    fn on_success(
        &mut self,
        now: Instant,
        additional_data: Option<Vec<u8>>,
        outcome: chatwire_sasl::Outcome,
    ) {
        let username = self.take_username();
        // A store that took the typed name for one of its accounts said
        // which: that account is the one that proved the password, not
        // whatever account the typed name would be on its own.
        let key = match &mut self.stage {
            Stage::Sasl(exchange) => exchange.account.take(),
            _ => None,
        };
        let account = key
            .as_deref()
            .or(outcome.authcid.as_deref())
            .and_then(|user| Jid::from_parts(Some(user), &self.config.domain, None).ok());
        let Some(account) = account else {
            self.auth_failed(Failure::NotAuthorized, username);
            return;
        };
        // RFC 6120 section 6.4.6: an authzid other than the account itself
        // is not ours to grant.
        if let Some(authzid) = outcome.authzid.as_deref().filter(|a| !a.is_empty())
            && Jid::new(authzid).ok().as_ref() != Some(&account)
        {
            self.auth_failed(Failure::InvalidAuthzid, username);
            return;
        }
        if self
            .send_element(&Element::Sasl(Sasl::Success(additional_data)))
            .is_err()
            || self.transport.framing().restart().is_err()
        {
            self.fail(StreamErrorCondition::BadFormat);
            return;
        }
        self.account = Some(account.clone());
        self.auth_deadline = None;
        self.bind_deadline = now.checked_add(self.config.bind_timeout);
        self.open_deadline = now.checked_add(self.config.open_timeout);
        self.stage = Stage::AwaitOpen;
        self.events.push_back(ServerEvent::Authenticated {
            jid: account,
            mechanism: outcome.mechanism,
        });
    }

    fn take_username(&mut self) -> Option<String> {
        match &mut self.stage {
            Stage::Sasl(exchange) => exchange.username.take(),
            _ => None,
        }
    }

    /// Sends `<failure/>`, reports it, and ends the stream after too many.
    fn auth_failed(&mut self, failure: Failure, username: Option<String>) {
        self.failures = self.failures.saturating_add(1);
        self.stage = Stage::Negotiating;
        let nonza = Sasl::Failure(SaslFailure::new(sasl_failure_to_condition(failure)));
        if self.send_element(&Element::Sasl(nonza)).is_err() {
            self.fail(StreamErrorCondition::InternalServerError);
            return;
        }
        self.events.push_back(ServerEvent::AuthFailed(AuthFailure {
            username,
            failure,
            attempts: self.failures,
        }));
        if self.failures >= self.config.max_auth_failures {
            // RFC 6120 section 6.4.5: too many retries end the stream.
            self.fail(StreamErrorCondition::PolicyViolation);
        }
    }

    fn on_bind(&mut self, iq: Iq) {
        let Some(IqPayload::Bind(bind)) = &iq.payload else {
            return;
        };
        if iq.kind != IqType::Set {
            self.reply_error(
                &iq,
                StanzaErrorCondition::BadRequest,
                StanzaErrorType::Modify,
            );
            return;
        }
        let resource = match bind.resource.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(requested) => {
                let checked = self
                    .account
                    .as_ref()
                    .and_then(|account| account.with_resource(requested).ok());
                // RFC 6120 section 7.7.2.1: a resource that cannot be one.
                let Some(jid) = checked else {
                    self.reply_error(
                        &iq,
                        StanzaErrorCondition::BadRequest,
                        StanzaErrorType::Modify,
                    );
                    return;
                };
                jid.resource().map(str::to_owned)
            }
        };
        self.stage = Stage::AwaitBind { id: iq.id.clone() };
        self.events
            .push_back(ServerEvent::BindRequested { resource });
    }

    fn reply_error(&mut self, iq: &Iq, condition: StanzaErrorCondition, kind: StanzaErrorType) {
        let mut error = StanzaError::new(condition);
        error.kind = kind;
        if let Some(reply) = iq.error_reply(error)
            && self.send_element(&Element::Iq(reply)).is_err()
        {
            self.fail(StreamErrorCondition::InternalServerError);
        }
    }

    /// Sends a stanza: ours, or a stanza error the session answers with.
    /// Both count in the peer's `h`, so both join the XEP-0198 queue; a
    /// queue beyond [`SmConfig::max_unacked`] ends the stream (the stanza
    /// was accepted all the same: it stays in the queue for the caller).
    fn send_stanza(&mut self, element: Element) -> Result<(), Error> {
        self.send_element(&element)?;
        let now = self.now;
        let (request, over) = match &mut self.sm {
            Some(sm) => (
                sm.push_outbound(element, now, &self.config.sm),
                sm.unacked_over_limit(&self.config.sm),
            ),
            None => (false, false),
        };
        if over {
            self.fail(StreamErrorCondition::PolicyViolation);
        } else if request {
            self.send_request();
        }
        Ok(())
    }

    fn send_element(&mut self, element: &Element) -> Result<(), Error> {
        self.transport.send_element(element, &self.ctx)
    }

    /// Ends the stream with a stream error for something the client did.
    fn fail(&mut self, condition: StreamErrorCondition) {
        if self.finished {
            return;
        }
        let _ = self.transport.framing().stream_error(condition, None);
        self.finish(CloseReason::SentStreamError(condition));
    }

    fn finish(&mut self, reason: CloseReason) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.stage = Stage::Closed;
        self.events.push_back(ServerEvent::Closed(reason));
    }
}

impl fmt::Debug for ServerSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSession")
            .field("transport", &self.transport)
            .field("tls", &self.tls)
            .field("account", &self.account)
            .field("bound", &self.bound)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

/// The framing's copy of the stream error a parse error calls for.
fn parse_condition(error: &ParseError) -> StreamErrorCondition {
    stream_condition_to_framing(&error.stream_condition())
        .unwrap_or(StreamErrorCondition::UndefinedCondition)
}

/// The error stanza answering a stanza we could not read, built from its
/// header: same kind and id, from the address it was sent to, to `sender`.
pub(crate) fn error_reply(header: &StanzaHeader, error: StanzaError, sender: Jid) -> Element {
    let id = header.id().map(str::to_owned);
    let from = header.to().cloned();
    match header.kind() {
        StanzaKind::Message => {
            let mut reply = Message::default();
            reply.kind = MessageType::Error;
            reply.id = id;
            reply.from = from;
            reply.to = Some(sender);
            reply.error = Some(error);
            Element::Message(reply)
        }
        StanzaKind::Presence => {
            let mut reply = Presence::new(PresenceType::Error);
            reply.id = id;
            reply.from = from;
            reply.to = Some(sender);
            reply.error = Some(error);
            Element::Presence(reply)
        }
        StanzaKind::Iq => {
            let mut reply = Iq::new(IqType::Error, id.unwrap_or_default());
            reply.from = from;
            reply.to = Some(sender);
            reply.error = Some(error);
            Element::Iq(reply)
        }
    }
}

//! The initiating entity: opens the stream, follows the server's features
//! through STARTTLS (TCP), SASL and resource binding, then sends and
//! receives stanzas (RFC 6120 sections 4-8).
//!
//! The mechanism is chosen by chatwire-sasl from what the server offered
//! ([`chatwire_sasl::Client::negotiate`]: channel binding when possible,
//! XEP-0440 types, XEP-0474 downgrade checks). A server's stream error or
//! redirect ends the session with a typed [`CloseReason`], so the caller
//! can reconnect elsewhere.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use chatwire_sasl::{ChannelBinding, Client as SaslClient, ClientStep, Mechanism, ServerOffer};
use chatwire_xmpp_framing::{
    Event as FramingEvent, StreamErrorCondition, StreamHeader, TcpFraming, WsFraming, tcp,
    websocket,
};
use chatwire_xmpp_stanza::{
    Answer, AnyStanza, Bind, Context, Element, Features, Iq, IqPayload, IqType, Jid, Limits,
    ParseError, Sasl, Sm, SmEnable, SmFailed, SmResume, StanzaError, StanzaErrorCondition,
    StreamError, StreamErrorCondition as StanzaStreamCondition, Tls,
};

use crate::Random;
use crate::conditions::stream_condition_to_framing;
use crate::error::{CloseReason, Error, NegotiationError};
use crate::server::error_reply;
use crate::sm::{Resumption, SmConfig, SmState, TooHigh, handled_count_too_high};
use crate::tls::{Security, StartTls, channel_binding_types};
use crate::transport::Transport;

/// The id of our bind request.
const BIND_ID: &str = "bind-1";

/// Settings of one client login.
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Who we are: the domain is the server we open the stream to; a
    /// resourcepart, if any, is the resource we ask to bind (else the
    /// server assigns one).
    pub jid: Jid,
    /// The chatwire-sasl client settings: user name, password and policy
    /// (preferred mechanisms, PLAIN without TLS, downgrade protection).
    pub sasl: chatwire_sasl::ClientConfig,
    /// STARTTLS on TCP (default [`StartTls::Required`]: a client does not
    /// send its password over a stream the server could not protect).
    pub starttls: StartTls,
    /// Time from the start to a bound resource (default 60 s).
    pub negotiation_timeout: Duration,
    /// Time after our `close()` for the server's own closing tag; then the
    /// session ends with [`CloseReason::CloseTimedOut`] (default 10 s).
    pub close_timeout: Duration,
    /// Limits on each element from the server, checked while it is read.
    pub stanza_limits: Limits,
    /// XEP-0198 stream management (enabled when offered, by default).
    pub sm: SmConfig,
}

impl ClientConfig {
    /// Logs in as `jid` (its localpart is the SASL user name) with
    /// `password`, under the default policies.
    pub fn new(jid: Jid, password: impl Into<String>) -> Self {
        let user = jid.local().unwrap_or_default().to_owned();
        ClientConfig {
            sasl: chatwire_sasl::ClientConfig::new(user, password),
            jid,
            starttls: StartTls::Required,
            negotiation_timeout: Duration::from_secs(60),
            close_timeout: Duration::from_secs(10),
            stanza_limits: Limits::default(),
            sm: SmConfig::default(),
        }
    }

    /// Sets [`ClientConfig::sm`].
    pub fn with_sm(mut self, sm: SmConfig) -> Self {
        self.sm = sm;
        self
    }

    /// Sets [`ClientConfig::starttls`].
    pub fn with_starttls(mut self, starttls: StartTls) -> Self {
        self.starttls = starttls;
        self
    }

    /// Sets [`ClientConfig::close_timeout`].
    pub fn with_close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Sets [`ClientConfig::negotiation_timeout`].
    pub fn with_negotiation_timeout(mut self, timeout: Duration) -> Self {
        self.negotiation_timeout = timeout;
        self
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("jid", &self.jid)
            .field("sasl", &self.sasl)
            .field("starttls", &self.starttls)
            .finish_non_exhaustive()
    }
}

/// What happened on a client session; drain with
/// [`ClientSession::poll_event`] after every input and command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // stanzas are most events: no allocation each
pub enum ClientEvent {
    /// The server agreed to STARTTLS: run the TLS handshake as the client
    /// on the same connection, then call
    /// [`ClientSession::handle_tls_established`].
    StartTls,
    /// SASL succeeded (and, for SCRAM, the server proved it knows the
    /// password).
    Authenticated {
        /// The mechanism used.
        mechanism: Mechanism,
    },
    /// A resource is bound: stanzas flow from now on.
    Ready {
        /// Our full JID, as the server bound it.
        jid: Jid,
    },
    /// A stanza from the server.
    Stanza(AnyStanza),
    /// XEP-0198: the server enabled stream management; `id` is set when
    /// the stream can be resumed.
    SmEnabled {
        /// The resumption id.
        id: Option<String>,
        /// Where to reconnect to resume, if the server said.
        location: Option<String>,
    },
    /// XEP-0198: the server refused to enable stream management.
    SmFailed(SmFailed),
    /// XEP-0198: the stream resumed as `jid`; the stanzas the server had
    /// not acknowledged are sent again. Stanzas flow from now on.
    Resumed {
        /// Our full JID.
        jid: Jid,
    },
    /// XEP-0198: resumption failed; binding follows. These stanzas were
    /// sent on the old stream and never acknowledged: send them again
    /// once ready if they still matter.
    ResumeFailed {
        /// The unacknowledged stanzas of the old stream.
        unacked: Vec<Element>,
    },
    /// The session is over; the last event. A stream error from the server
    /// (see-other-host included) and a WebSocket `see-other-uri` come here.
    Closed(CloseReason),
}

enum Stage {
    /// Our header is sent; waiting for the server's.
    AwaitHeader,
    /// Waiting for `<stream:features/>`.
    AwaitFeatures,
    /// `<starttls/>` sent.
    AwaitProceed,
    /// The caller runs the TLS handshake.
    AwaitTls,
    /// A SASL exchange is in progress.
    Sasl(Box<SaslClient>),
    /// Our `<resume/>` is sent; the resumption stays in `pending_resume`
    /// until the answer, so a connection lost meanwhile loses nothing.
    AwaitResumed,
    /// Our bind request is sent.
    AwaitBind,
    /// A resource is bound.
    Ready,
    /// The session is over.
    Closed,
}

/// One connection to a server, client side, over WebSocket or TCP.
pub struct ClientSession {
    config: ClientConfig,
    transport: Transport,
    ctx: Context,
    random: Random,
    stage: Stage,
    tls: bool,
    channel_bindings: Vec<ChannelBinding>,
    authenticated: bool,
    bound: Option<Jid>,
    stream_id: Option<String>,
    deadline: Option<Instant>,
    /// Set by `close()`: when to stop waiting for the server's close.
    close_deadline: Option<Instant>,
    events: VecDeque<ClientEvent>,
    finished: bool,
    /// XEP-0198 state, from our `<enable/>` (or a resumption) on.
    sm: Option<SmState>,
    /// The server offered `<sm/>` after authentication.
    sm_offered: bool,
    /// A stream to resume instead of binding.
    pending_resume: Option<Resumption>,
    /// The time of the latest input, for commands that take none.
    now: Instant,
}

impl ClientSession {
    /// A session on a WebSocket connection that negotiated the `xmpp`
    /// subprotocol; our `<open/>` is queued at once. `security` says
    /// whether it is `wss:` (with the TLS layer's channel-binding data);
    /// `random` fills buffers with fresh random bytes (SCRAM nonces).
    pub fn websocket(
        now: Instant,
        config: ClientConfig,
        framing: websocket::Config,
        security: Security,
        random: impl FnMut(&mut [u8]) + Send + 'static,
    ) -> Result<Self, Error> {
        let framing = framing.with_secure(security.is_tls());
        let transport = Transport::Ws(WsFraming::client(framing));
        Self::new(now, config, transport, security, Box::new(random))
    }

    /// A session on a TCP connection; our stream header is queued at once.
    /// `security` is [`Security::Tls`] for TLS from the first byte
    /// (XEP-0368), else STARTTLS is used as configured.
    pub fn tcp(
        now: Instant,
        config: ClientConfig,
        framing: tcp::Config,
        security: Security,
        random: impl FnMut(&mut [u8]) + Send + 'static,
    ) -> Result<Self, Error> {
        let transport = Transport::Tcp(TcpFraming::client(framing));
        Self::new(now, config, transport, security, Box::new(random))
    }

    fn new(
        now: Instant,
        config: ClientConfig,
        transport: Transport,
        security: Security,
        random: Random,
    ) -> Result<Self, Error> {
        let ctx = transport.context(config.stanza_limits);
        let mut session = ClientSession {
            deadline: now.checked_add(config.negotiation_timeout),
            close_deadline: None,
            ctx,
            transport,
            random,
            stage: Stage::AwaitHeader,
            tls: security.is_tls(),
            channel_bindings: security.into_channel_bindings(),
            authenticated: false,
            bound: None,
            stream_id: None,
            events: VecDeque::new(),
            finished: false,
            sm: None,
            sm_offered: false,
            pending_resume: None,
            now,
            config,
        };
        session.open()?;
        Ok(session)
    }

    /// Our full JID, once [`ClientEvent::Ready`] was reported.
    pub fn jid(&self) -> Option<&Jid> {
        self.bound.as_ref()
    }

    /// The id the server gave the current stream.
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

    /// XEP-0198 state, once we enabled stream management.
    pub fn sm(&self) -> Option<&SmState> {
        self.sm.as_ref()
    }

    /// XEP-0198: asks to resume `resumption` (from
    /// [`ClientSession::detach`] on the lost session) instead of binding.
    /// Call it before authentication completes.
    pub fn resume(&mut self, resumption: Resumption) -> Result<(), Error> {
        if self.authenticated || self.finished {
            return Err(Error::NotAllowed(
                "resumption is asked for before authentication",
            ));
        }
        self.pending_resume = Some(resumption);
        Ok(())
    }

    /// XEP-0198: what a new session needs to resume this one after the
    /// transport was lost; `None` when the server did not grant
    /// resumption (then [`ClientSession::take_unacked`] yields what the
    /// server never acknowledged).
    ///
    /// A resumption given to [`ClientSession::resume`] that the server
    /// has not answered yet (the connection dropped first) comes back as
    /// it was, to try again.
    pub fn detach(&mut self) -> Option<Resumption> {
        if let Some(pending) = self.pending_resume.take() {
            return Some(pending);
        }
        if !self.sm.as_ref().is_some_and(SmState::is_resumable) {
            return None;
        }
        let jid = self.bound.clone()?;
        let state = self.sm.take()?;
        Some(Resumption { jid, state })
    }

    /// XEP-0198: the stanzas the server has not acknowledged, taken out.
    pub fn take_unacked(&mut self) -> Vec<Element> {
        self.sm
            .as_mut()
            .map(SmState::take_unacked)
            .unwrap_or_default()
    }

    /// Whether the session is over: close the transport once
    /// [`ClientSession::poll_transmit`] is drained.
    pub fn is_closed(&self) -> bool {
        self.finished || self.transport.framing_ref().is_closed()
    }

    /// Handles one WebSocket text message.
    pub fn handle_message(&mut self, now: Instant, message: String) -> Result<(), Error> {
        self.now = now;
        self.check_input()?;
        let result = self.transport.handle_message(message)?;
        self.after_input(now, result);
        Ok(())
    }

    /// Handles bytes read from a TCP connection (after TLS, decrypted),
    /// split anywhere.
    pub fn handle_input(&mut self, now: Instant, input: &[u8]) -> Result<(), Error> {
        self.now = now;
        self.check_input()?;
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

    /// Handles the end of the negotiation time, or of an `<r/>`
    /// unanswered for [`SmConfig::ack_timeout`]: the stream is closed with
    /// `connection-timeout`. The close timeout ends the session.
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
        if ack_overdue || self.deadline.is_some_and(|deadline| deadline <= now) {
            self.fail(StreamErrorCondition::ConnectionTimeout);
            return;
        }
        let request_due = self
            .sm
            .as_ref()
            .and_then(|sm| sm.request_deadline(&self.config.sm))
            .is_some_and(|deadline| deadline <= now);
        if !self.finished && request_due {
            self.send_request();
        }
    }

    /// The TLS handshake after [`ClientEvent::StartTls`] succeeded;
    /// `channel_bindings` is what the TLS layer can produce, preferred
    /// type first (empty for none). The stream restarts over TLS.
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
        self.open()?;
        self.process(now);
        Ok(())
    }

    /// Queues a stanza for the server. Only once the session is ready.
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

    /// Closes our stream (RFC 6120 section 4.4), after a last XEP-0198
    /// acknowledgement when stream management is on; [`ClientEvent::Closed`]
    /// follows when the server closes its own, or after
    /// [`ClientConfig::close_timeout`] (timed from the latest `handle_*`
    /// call).
    pub fn close(&mut self) -> Result<(), Error> {
        if self.finished {
            return Err(Error::Closed);
        }
        if self.close_deadline.is_none() && matches!(self.stage, Stage::Ready) {
            let handled = self
                .sm
                .as_ref()
                .filter(|sm| sm.is_enabled())
                .map(SmState::handled);
            if let Some(h) = handled {
                self.send_element(&Element::Sm(Sm::Ack(h)))?;
            }
        }
        self.transport.framing().close()?;
        if self.close_deadline.is_none() {
            self.close_deadline = self.now.checked_add(self.config.close_timeout);
        }
        Ok(())
    }

    /// XEP-0198: asks the server for an acknowledgement now (before going
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
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        let event = self.events.pop_front();
        crate::release_if_empty(&mut self.events);
        event
    }

    /// Appends queued output to `out` (one WebSocket message per call, or
    /// all TCP output); the number of bytes, 0 when nothing is queued.
    pub fn poll_transmit(&mut self, out: &mut String) -> usize {
        self.transport.framing().poll_transmit(out)
    }

    /// When [`ClientSession::handle_timeout`] should be called next.
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
        [self.deadline, self.close_deadline, request, ack]
            .into_iter()
            .flatten()
            .min()
    }

    fn open(&mut self) -> Result<(), Error> {
        let header = StreamHeader::new().with_to(self.config.jid.domain().to_owned());
        self.transport.framing().open(&header)?;
        self.stage = Stage::AwaitHeader;
        Ok(())
    }

    fn check_input(&self) -> Result<(), Error> {
        if self.transport.framing_ref().is_closed() {
            return Err(Error::Closed);
        }
        Ok(())
    }

    fn after_input(&mut self, now: Instant, result: Result<(), chatwire_xmpp_framing::Error>) {
        self.process(now);
        if let Err(error) = result {
            let condition = error
                .condition()
                .unwrap_or(StreamErrorCondition::UndefinedCondition);
            self.fail(condition);
        }
    }

    fn process(&mut self, _now: Instant) {
        while !self.finished && !matches!(self.stage, Stage::AwaitTls) {
            let Some(event) = self.transport.framing().poll_event() else {
                break;
            };
            match event {
                FramingEvent::StreamOpen(header) => {
                    if matches!(self.stage, Stage::AwaitHeader) {
                        self.stream_id = header.id;
                        self.stage = Stage::AwaitFeatures;
                    }
                }
                FramingEvent::Element(element) => self.on_element(&element),
                FramingEvent::StreamClose { see_other_uri } => match see_other_uri {
                    Some(uri) => self.finish(CloseReason::SeeOtherUri(uri)),
                    None => self.finish(CloseReason::Closed),
                },
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

    fn on_element(&mut self, element: &chatwire_xmpp_framing::Element) {
        let parsed = match Element::parse(element.as_bytes(), &self.ctx) {
            Ok(parsed) => parsed,
            Err(error) => {
                self.on_parse_error(&error);
                return;
            }
        };
        if let Element::StreamError(error) = parsed {
            let _ = self.transport.framing().close();
            self.finish(CloseReason::ReceivedStreamError(error));
            return;
        }
        let stage = std::mem::replace(&mut self.stage, Stage::Closed);
        match (stage, parsed) {
            (Stage::AwaitFeatures, Element::Features(features)) => self.on_features(&features),
            (Stage::AwaitProceed, Element::Tls(Tls::Proceed)) => {
                if self.transport.framing().restart().is_err() {
                    self.fail(StreamErrorCondition::BadFormat);
                    return;
                }
                self.stage = Stage::AwaitTls;
                self.events.push_back(ClientEvent::StartTls);
            }
            (Stage::AwaitProceed, Element::Tls(Tls::Failure)) => {
                self.give_up(NegotiationError::TlsUnavailable);
            }
            (Stage::Sasl(client), Element::Sasl(sasl)) => self.on_sasl(client, sasl),
            (Stage::AwaitBind, Element::Iq(iq)) if iq.id == BIND_ID => self.on_bind_result(iq),
            (Stage::AwaitResumed, Element::Sm(sm)) => match self.pending_resume.take() {
                Some(resumption) => self.on_resume_answer(resumption, sm),
                None => self.fail(StreamErrorCondition::InternalServerError),
            },
            (Stage::Ready, Element::Message(m)) => self.stanza(AnyStanza::Message(m)),
            (Stage::Ready, Element::Presence(p)) => self.stanza(AnyStanza::Presence(p)),
            (Stage::Ready, Element::Iq(iq)) => self.stanza(AnyStanza::Iq(iq)),
            (Stage::Ready, Element::Sm(sm)) => {
                self.stage = Stage::Ready;
                self.on_sm(sm);
            }
            (Stage::Ready, _) => {
                self.stage = Stage::Ready;
                self.fail(StreamErrorCondition::UnsupportedStanzaType);
            }
            (_, _) => {
                self.stage = Stage::Closed;
                self.fail(StreamErrorCondition::PolicyViolation);
            }
        }
    }

    fn stanza(&mut self, stanza: AnyStanza) {
        self.stage = Stage::Ready;
        if let Some(sm) = &mut self.sm {
            sm.count_inbound();
        }
        self.events.push_back(ClientEvent::Stanza(stanza));
    }

    /// XEP-0198 nonzas once ready.
    fn on_sm(&mut self, sm: Sm) {
        match (sm, &mut self.sm) {
            (Sm::Enabled(enabled), Some(state)) if !state.is_enabled() => {
                let resumable = enabled.resume && enabled.id.is_some();
                state.set_enabled(enabled.id.clone(), resumable);
                self.events.push_back(ClientEvent::SmEnabled {
                    id: enabled.id,
                    location: enabled.location,
                });
            }
            // Only as the answer to our <enable/>: later, dropping the
            // state would lose what the server has not acknowledged.
            (Sm::Failed(failed), Some(state)) if !state.is_enabled() => {
                self.sm = None;
                self.events.push_back(ClientEvent::SmFailed(failed));
            }
            (Sm::Request, Some(state)) => {
                let h = state.handled();
                if self.send_element(&Element::Sm(Sm::Ack(h))).is_err() {
                    self.fail(StreamErrorCondition::InternalServerError);
                }
            }
            (Sm::Ack(h), Some(state)) => {
                if let Err(too_high) = state.ack(h, self.now) {
                    self.ack_too_high(too_high);
                } else if state.request_due(&self.config.sm) {
                    self.send_request();
                }
            }
            _ => self.fail(StreamErrorCondition::UnsupportedStanzaType),
        }
    }

    /// XEP-0198 section 5: `<resumed/>` or `<failed/>`.
    fn on_resume_answer(&mut self, resumption: Resumption, sm: Sm) {
        match sm {
            Sm::Resumed(resumed) => {
                let Resumption { jid, mut state } = resumption;
                if let Err(too_high) = state.ack(resumed.h, self.now) {
                    // Ours to detach again, as it was.
                    self.pending_resume = Some(Resumption { jid, state });
                    self.ack_too_high(too_high);
                    return;
                }
                state.resumed(self.now);
                let sent = state
                    .unacked()
                    .try_for_each(|stanza| self.transport.send_element(stanza, &self.ctx));
                if sent.is_err() {
                    self.pending_resume = Some(Resumption { jid, state });
                    self.fail(StreamErrorCondition::InternalServerError);
                    return;
                }
                self.sm = Some(state);
                self.bound = Some(jid.clone());
                self.deadline = None;
                self.stage = Stage::Ready;
                self.events.push_back(ClientEvent::Resumed { jid });
            }
            Sm::Failed(failed) => {
                let mut state = resumption.state;
                // What the server says it handled is not sent again.
                if let Some(h) = failed.h {
                    let _ = state.ack(h, self.now);
                }
                self.events.push_back(ClientEvent::ResumeFailed {
                    unacked: state.take_unacked(),
                });
                self.request_bind();
            }
            _ => {
                self.pending_resume = Some(resumption);
                self.fail(StreamErrorCondition::PolicyViolation);
            }
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

    /// XEP-0198 section 4: an `h` above what was sent.
    fn ack_too_high(&mut self, too_high: TooHigh) {
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

    fn on_parse_error(&mut self, error: &ParseError) {
        if matches!(self.stage, Stage::Ready) {
            // A stanza we cannot read costs a stanza error when it says
            // whom to send it to, never the stream; it counts in `h`.
            let answer = error.answer();
            let answerable = matches!(
                answer,
                Answer::Stanza(..)
                    | Answer::Ignore
                    | Answer::Stream(StanzaStreamCondition::InvalidXml)
            );
            if let Some(header) = error.header()
                && answerable
            {
                if let Some(sm) = &mut self.sm {
                    sm.count_inbound();
                }
                if let (Answer::Stanza(kind, condition), Some(sender)) =
                    (answer, header.from().cloned())
                {
                    let mut stanza_error = StanzaError::new(condition);
                    stanza_error.kind = kind;
                    let reply = error_reply(header, stanza_error, sender);
                    if self.send_stanza(reply).is_err() {
                        self.fail(StreamErrorCondition::InternalServerError);
                    }
                }
                return;
            }
        }
        let condition = stream_condition_to_framing(&error.stream_condition())
            .unwrap_or(StreamErrorCondition::UndefinedCondition);
        self.fail(condition);
    }

    fn on_features(&mut self, features: &Features) {
        if self.authenticated {
            self.sm_offered = features.sm;
            let resume = self
                .pending_resume
                .as_ref()
                .filter(|_| features.sm)
                .and_then(|r| Some(SmResume::new(r.state.handled(), r.state.id()?)));
            if let Some(resume) = resume {
                if self.send_element(&Element::Sm(Sm::Resume(resume))).is_err() {
                    self.fail(StreamErrorCondition::InternalServerError);
                    return;
                }
                self.stage = Stage::AwaitResumed;
                return;
            }
            if let Some(mut resumption) = self.pending_resume.take() {
                self.events.push_back(ClientEvent::ResumeFailed {
                    unacked: resumption.state.take_unacked(),
                });
            }
            if !features.bind {
                self.give_up(NegotiationError::BindUnavailable);
                return;
            }
            self.request_bind();
            return;
        }
        let tcp_plain = self.transport.is_tcp() && !self.tls;
        if tcp_plain && features.starttls.is_some() && self.config.starttls != StartTls::Disabled {
            if self.send_element(&Element::Tls(Tls::StartTls)).is_err() {
                self.fail(StreamErrorCondition::InternalServerError);
                return;
            }
            self.stage = Stage::AwaitProceed;
            return;
        }
        if tcp_plain
            && (self.config.starttls == StartTls::Required || features.starttls == Some(true))
        {
            self.give_up(NegotiationError::TlsUnavailable);
            return;
        }
        let mut offer =
            ServerOffer::new(features.mechanisms.clone().unwrap_or_default()).with_tls(self.tls);
        if let Some(types) = channel_binding_types(&features.other) {
            offer = offer.with_channel_binding_types(types);
        }
        let mut sasl_config = self.config.sasl.clone();
        if self.tls {
            sasl_config
                .channel_bindings
                .extend(self.channel_bindings.iter().cloned());
        }
        let nonce = chatwire_sasl::nonce(&mut *self.random);
        let started = SaslClient::negotiate(&offer, &sasl_config, &nonce)
            .and_then(|mut client| client.start().map(|initial| (client, initial)));
        let (client, initial) = match started {
            Ok(started) => started,
            Err(error) => {
                self.give_up(NegotiationError::Sasl(error));
                return;
            }
        };
        let auth = Sasl::Auth {
            mechanism: client.mechanism().name().to_owned(),
            initial_response: Some(initial.to_vec()),
        };
        if self.send_element(&Element::Sasl(auth)).is_err() {
            self.fail(StreamErrorCondition::InternalServerError);
            return;
        }
        self.stage = Stage::Sasl(Box::new(client));
    }

    fn on_sasl(&mut self, mut client: Box<SaslClient>, sasl: Sasl) {
        match sasl {
            Sasl::Challenge(challenge) => {
                let response = match client.step(&challenge) {
                    Ok(ClientStep::Response(response)) => response,
                    Ok(ClientStep::Verified) => Vec::new(),
                    Err(error) => {
                        self.give_up(NegotiationError::Sasl(error));
                        return;
                    }
                };
                if self
                    .send_element(&Element::Sasl(Sasl::Response(response)))
                    .is_err()
                {
                    self.fail(StreamErrorCondition::InternalServerError);
                    return;
                }
                self.stage = Stage::Sasl(client);
            }
            Sasl::Success(data) => {
                if let Err(error) = client.success(data.as_deref()) {
                    self.give_up(NegotiationError::Sasl(error));
                    return;
                }
                if self.transport.framing().restart().is_err() {
                    self.fail(StreamErrorCondition::BadFormat);
                    return;
                }
                self.authenticated = true;
                if self.open().is_err() {
                    self.fail(StreamErrorCondition::InternalServerError);
                    return;
                }
                self.events.push_back(ClientEvent::Authenticated {
                    mechanism: client.mechanism(),
                });
            }
            Sasl::Failure(failure) => self.give_up(NegotiationError::AuthFailed(failure)),
            _ => self.fail(StreamErrorCondition::PolicyViolation),
        }
    }

    fn request_bind(&mut self) {
        let mut bind = Bind::default();
        bind.resource = self.config.jid.resource().map(str::to_owned);
        let request = Iq::set(BIND_ID, IqPayload::Bind(bind));
        if self.send_element(&Element::Iq(request)).is_err() {
            self.fail(StreamErrorCondition::InternalServerError);
            return;
        }
        self.stage = Stage::AwaitBind;
    }

    fn on_bind_result(&mut self, iq: Iq) {
        match (iq.kind, iq.payload, iq.error) {
            (IqType::Result, Some(IqPayload::Bind(Bind { jid: Some(jid), .. })), _) => {
                if !self.is_ours(&jid) {
                    self.give_up(NegotiationError::Unexpected(
                        "bind result for another account",
                    ));
                    return;
                }
                self.bound = Some(jid.clone());
                self.deadline = None;
                self.stage = Stage::Ready;
                self.events.push_back(ClientEvent::Ready { jid });
                if self.sm_offered && self.config.sm.enabled {
                    self.enable_sm();
                }
            }
            (IqType::Error, _, error) => {
                let error = error
                    .unwrap_or_else(|| StanzaError::new(StanzaErrorCondition::UndefinedCondition));
                self.give_up(NegotiationError::BindRefused(error));
            }
            _ => self.give_up(NegotiationError::Unexpected("bind result without a JID")),
        }
    }

    /// Whether a bound JID belongs to the account we logged in as (RFC
    /// 6120 section 7.6.1: the server binds a resource to that account):
    /// our server's domain, and our localpart when we have one (without
    /// one, ANONYMOUS, the server chooses it).
    fn is_ours(&self, jid: &Jid) -> bool {
        let ours = &self.config.jid;
        jid.domain() == ours.domain() && (ours.local().is_none() || jid.local() == ours.local())
    }

    /// XEP-0198 section 3: `<enable/>`; our outbound count starts here,
    /// the inbound one at `<enabled/>`.
    fn enable_sm(&mut self) {
        let mut enable = SmEnable::default();
        enable.resume = self.config.sm.resume;
        enable.max = self.config.sm.max_resume.filter(|_| enable.resume);
        if self.send_element(&Element::Sm(Sm::Enable(enable))).is_err() {
            self.fail(StreamErrorCondition::InternalServerError);
            return;
        }
        self.sm = Some(SmState::new(false));
    }

    /// Sends a stanza: ours, or a stanza error the session answers with.
    /// Both count in the peer's `h`, so both join the XEP-0198 queue.
    fn send_stanza(&mut self, element: Element) -> Result<(), Error> {
        self.send_element(&element)?;
        let now = self.now;
        let request = match &mut self.sm {
            Some(sm) => sm.push_outbound(element, now, &self.config.sm),
            None => false,
        };
        if request {
            self.send_request();
        }
        Ok(())
    }

    fn send_element(&mut self, element: &Element) -> Result<(), Error> {
        self.transport.send_element(element, &self.ctx)
    }

    /// Negotiation cannot go on: close our stream and report why.
    fn give_up(&mut self, reason: NegotiationError) {
        let _ = self.transport.framing().close();
        self.finish(CloseReason::NegotiationFailed(reason));
    }

    /// Ends the stream with a stream error for something the server did.
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
        self.events.push_back(ClientEvent::Closed(reason));
    }
}

impl fmt::Debug for ClientSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSession")
            .field("transport", &self.transport)
            .field("tls", &self.tls)
            .field("bound", &self.bound)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

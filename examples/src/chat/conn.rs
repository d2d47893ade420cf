//! One client connection: bytes between the socket and the session
//! machine (through the WebSocket machine for RFC 7395), TLS when the
//! session asks for it, and stanzas between the session and the hub.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use chatwire_websocket::{Connection as WsConnection, Event as WsEvent, State as WsState};
use chatwire_xmpp_im::Timestamp;
use chatwire_xmpp_session::{
    BindDecision, CloseReason, Security, ServerConfig, ServerEvent, ServerSession,
};
use chatwire_xmpp_stanza::{
    Jid, StanzaError, StanzaErrorCondition, StreamError, StreamErrorCondition,
};
use rand::Rng;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::chat::hub::{Detached, Hub, Kick, Outgoing, SessionHandle, Taken};
use crate::chat::metrics::Metrics;
use crate::chat::offline::InFlight;
use crate::chat::receipt::{Confirmations, Receipt};

/// A byte stream: TCP, or TLS over TCP.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {
    /// The socket itself when nothing sits between it and us. Such a
    /// stream is read when it is ready, into a buffer on the stack, so an
    /// idle connection holds no read buffer.
    fn plain(&self) -> Option<&TcpStream> {
        None
    }
}

impl Io for TcpStream {
    fn plain(&self) -> Option<&TcpStream> {
        Some(self)
    }
}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for tokio_rustls::server::TlsStream<T> {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for tokio_rustls::client::TlsStream<T> {}
impl Io for tokio::io::DuplexStream {}
impl Io for Box<dyn Io> {
    fn plain(&self) -> Option<&TcpStream> {
        (**self).plain()
    }
}

/// Bytes read from the socket per call.
const READ_CHUNK: usize = 16 * 1024;

/// Reads per wake-up before output gets its turn.
const READS_PER_WAKE: usize = 4;

/// What waiting for input found.
enum Readable {
    /// The plain socket has something: read it with [`read_ready`].
    Socket,
    /// This many bytes were read into the connection's buffer (0: closed).
    Read(usize),
}

/// Waits for input. A plain socket is only waited on; a TLS stream reads
/// into `buf`, which is allocated on first use.
async fn readable(io: &mut Box<dyn Io>, buf: &mut Vec<u8>) -> std::io::Result<Readable> {
    if let Some(tcp) = io.plain() {
        tcp.readable().await?;
        return Ok(Readable::Socket);
    }
    if buf.is_empty() {
        buf.resize(READ_CHUNK, 0);
    }
    io.read(buf).await.map(Readable::Read)
}

/// Reads what a ready socket holds, a chunk at a time into a buffer on the
/// stack, and hands each chunk to `input`. `Ok(false)` when the peer closed.
fn read_ready(tcp: &TcpStream, mut input: impl FnMut(&[u8])) -> std::io::Result<bool> {
    let mut chunk = [0u8; READ_CHUNK];
    for _ in 0..READS_PER_WAKE {
        match tcp.try_read(&mut chunk) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                input(chunk.get(..n).unwrap_or_default());
                if n < chunk.len() {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Settings shared by every connection.
#[derive(Clone)]
pub struct ConnSettings {
    /// The session machine's settings.
    pub session: ServerConfig,
    /// WebSocket settings (keepalive, limits).
    pub websocket: chatwire_websocket::Config,
    /// Stanzas queued for one session before it counts as not reading.
    pub queue: usize,
    /// Longest a write may wait for the client to read.
    pub write_timeout: Duration,
    /// Resources one account may bind at once.
    pub max_resources: usize,
    /// How long a dropped XEP-0198 session is kept for resumption.
    pub resume_timeout: Duration,
    /// Failed authentications per address per minute.
    pub auth_limiter: Arc<crate::chat::limits::AuthLimiter>,
    /// Silence after which a bound client is pinged (XEP-0199), and as long
    /// again without an answer before it counts as gone.
    pub idle_timeout: Duration,
    /// TLS, for STARTTLS on TCP.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

/// What the connection carries the XML stream in.
pub enum Carrier {
    /// RFC 7395, after the HTTP upgrade; `leftover` came behind the
    /// request head.
    WebSocket {
        /// Bytes read past the handshake.
        leftover: Vec<u8>,
        /// The permessage-deflate parameters agreed in the handshake.
        deflate: Option<chatwire_websocket::DeflateParams>,
    },
    /// RFC 6120 over TCP.
    Tcp,
}

/// The WebSocket layer under an RFC 7395 session, or nothing for TCP.
enum Wire {
    Ws(Box<WsConnection>),
    Tcp,
}

/// Runs one connection to its end.
pub async fn serve(
    hub: Arc<Hub>,
    settings: Arc<ConnSettings>,
    mut io: Box<dyn Io>,
    carrier: Carrier,
    security: Security,
    peer: SocketAddr,
) {
    Metrics::inc(&hub.metrics.connections);
    tracing::info!(%peer, "connection opened");
    let now = Instant::now();
    let random = |buf: &mut [u8]| rand::rng().fill_bytes(buf);
    let (mut session, mut wire, leftover) = match carrier {
        Carrier::WebSocket { leftover, deflate } => (
            ServerSession::websocket(
                now,
                settings.session.clone(),
                Default::default(),
                security,
                random,
            ),
            Wire::Ws(Box::new({
                let ws = WsConnection::server(now, settings.websocket.clone());
                match deflate {
                    Some(params) => ws.with_deflate(params),
                    None => ws,
                }
            })),
            leftover,
        ),
        Carrier::Tcp => (
            ServerSession::tcp(
                now,
                settings.session.clone(),
                Default::default(),
                security,
                random,
            ),
            Wire::Tcp,
            Vec::new(),
        ),
    };
    let (tx, rx) = mpsc::channel::<Box<Outgoing>>(settings.queue.max(1));
    let (kick_tx, kick_rx) = mpsc::channel::<Kick>(4);
    let mut conn = Conn {
        hub: Arc::clone(&hub),
        settings: Arc::clone(&settings),
        bound: None,
        handle: SessionHandle {
            tx,
            kick: kick_tx,
            more_offline: Arc::default(),
        },
        rx,
        offline: InFlight::default(),
        confirmations: Arc::default(),
        kick_rx,
        peer,
        starttls: false,
        resume: None,
        adopting: None,
        close_reason: None,
        lost: false,
        slow: false,
        last_input: now,
        pinged: false,
    };
    if !leftover.is_empty() {
        conn.input(&mut session, &mut wire, &leftover);
    }
    // Only a TLS stream needs a buffer of its own between reads.
    let mut buf = Vec::new();
    let why = loop {
        conn.events(&mut session);
        for number in conn.confirmations.take() {
            session.confirm(number);
        }
        if let Some(jid) = &conn.bound {
            hub.offline_delivered(jid, &conn.offline.acked(session.sm()));
        }
        if let Some(previd) = conn.resume.take() {
            conn.find_detached(&mut session, &previd).await;
            continue;
        }
        // Everything the hub queued goes out now: a client that pipelines
        // requests gets all its answers, not one per read.
        while let Ok(outgoing) = conn.rx.try_recv() {
            conn.send(&mut session, *outgoing);
        }
        if let Some(jid) = &conn.bound
            && conn
                .handle
                .more_offline
                .swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            hub.more_offline(jid, timestamp());
            continue;
        }
        if let Err(e) = conn.flush(&mut session, &mut wire, &mut io).await {
            conn.lost = true;
            break format!("write failed: {e}");
        }
        if let Some(jid) = &conn.bound {
            hub.offline_delivered(jid, &conn.offline.flushed());
        }
        if conn.starttls {
            conn.starttls = false;
            // Boxed: the handshake's state is large and needed once.
            match Box::pin(starttls(&settings, io)).await {
                Ok((tls, bindings)) => {
                    io = tls;
                    let _ = session.handle_tls_established(Instant::now(), bindings);
                    continue;
                }
                Err(e) => {
                    tracing::info!(%peer, error = %e, "TLS handshake failed");
                    Metrics::dec(&hub.metrics.connections);
                    return;
                }
            }
        }
        if session.is_closed() || matches!(&wire, Wire::Ws(ws) if ws.state() == WsState::Closed) {
            break "closed".to_owned();
        }
        let deadline = next_deadline(&session, &wire).min(conn.idle_deadline());
        let sleep = tokio::time::sleep_until(deadline.into());
        tokio::select! {
            read = readable(&mut io, &mut buf) => {
                let open = match read {
                    Ok(Readable::Socket) => match io.plain() {
                        Some(tcp) => read_ready(tcp, |bytes| {
                            conn.last_input = Instant::now();
                            conn.pinged = false;
                            conn.input(&mut session, &mut wire, bytes);
                        })
                        .unwrap_or(false),
                        None => false,
                    },
                    Ok(Readable::Read(0)) | Err(_) => false,
                    Ok(Readable::Read(n)) => {
                        conn.last_input = Instant::now();
                        conn.pinged = false;
                        conn.input(&mut session, &mut wire, buf.get(..n).unwrap_or_default());
                        true
                    }
                };
                if !open {
                    conn.lost = true;
                    session.handle_transport_closed(Instant::now());
                    conn.events(&mut session);
                    break "peer closed".to_owned();
                }
            },
            Some(outgoing) = conn.rx.recv() => conn.send(&mut session, *outgoing),
            () = conn.confirmations.ready.notified() => {},
            Some(kick) = conn.kick_rx.recv() => {
                let condition = match kick {
                    Kick::SlowConsumer => {
                        // Not kept for resumption: the hub has ended it.
                        conn.lost = false;
                        conn.slow = true;
                        StreamErrorCondition::PolicyViolation
                    }
                    Kick::Conflict => StreamErrorCondition::Conflict,
                    Kick::Shutdown => StreamErrorCondition::SystemShutdown,
                    Kick::Takeover => {
                        conn.lost = true;
                        StreamErrorCondition::Conflict
                    }
                };
                if kick == Kick::Takeover {
                    // Hand the session over before the stream error ends it.
                    conn.keep(&mut session);
                }
                let _ = session.stream_error(&StreamError::new(condition));
            },
            () = sleep => {
                let now = Instant::now();
                conn.idle(&mut session, now);
                session.handle_timeout(now);
                if let Wire::Ws(ws) = &mut wire {
                    ws.handle_timeout(now);
                }
            },
        }
    };
    conn.events(&mut session);
    let _ = conn.flush(&mut session, &mut wire, &mut io).await;
    let _ = io.shutdown().await;
    if conn.lost && !conn.slow && conn.resumable_end() {
        conn.keep(&mut session);
    }
    if let Some(jid) = conn.bound.take() {
        // Nothing accepted is lost: what the client never acknowledged,
        // and what was still queued for it, is routed again, and offline
        // messages it never confirmed stay stored for the next drain.
        let acked = session.sm().map_or(0, |sm| sm.acked());
        let mut left = std::mem::take(&mut conn.offline).end(acked, session.take_unacked());
        conn.rx.close();
        while let Ok(outgoing) = conn.rx.try_recv() {
            left.queued(*outgoing);
        }
        hub.session_gone(&jid, &conn.handle.tx, left, timestamp());
    }
    Metrics::dec(&hub.metrics.connections);
    tracing::info!(%peer, reason = %why, "connection closed");
}

/// The connection's own state besides the machines.
struct Conn {
    hub: Arc<Hub>,
    settings: Arc<ConnSettings>,
    bound: Option<Jid>,
    handle: SessionHandle,
    /// Stanzas the hub queued for this session.
    rx: mpsc::Receiver<Box<Outgoing>>,
    /// The offline messages sent and not yet confirmed.
    offline: InFlight,
    /// This connection's messages that became safe, to acknowledge.
    confirmations: Arc<Confirmations>,
    /// Signals to end it.
    kick_rx: mpsc::Receiver<Kick>,
    peer: SocketAddr,
    /// `<proceed/>` is queued: switch to TLS once it is written.
    starttls: bool,
    /// A resumption id the client asked for, to look up.
    resume: Option<String>,
    /// The queue and handle of a detached session being resumed, until
    /// the session machine says whether it took it.
    adopting: Option<Adopting>,
    /// How the stream ended.
    close_reason: Option<CloseReason>,
    /// The connection was lost rather than closed.
    lost: bool,
    /// The hub ended the session: the client stopped reading.
    slow: bool,
    /// When the client last sent anything.
    last_input: Instant,
    /// A XEP-0199 ping is out, for the silence since `last_input`.
    pinged: bool,
}

/// A detached session being resumed: what the connection takes over once
/// the session machine accepts the resumption.
struct Adopting {
    rx: mpsc::Receiver<Box<Outgoing>>,
    offline: InFlight,
    kick_rx: mpsc::Receiver<Kick>,
    handle: SessionHandle,
    generation: u64,
}

impl Conn {
    /// Writes a stanza the hub queued; an offline message is remembered
    /// until the client confirms it.
    fn send(&mut self, session: &mut ServerSession, outgoing: Outgoing) {
        let Outgoing {
            envelope,
            offline,
            receipt,
        } = outgoing;
        if receipt.is_some() && (!session.is_ready() || session.is_closed()) {
            // Its sender waits for it to be safe: route it again later.
            self.offline.refused(envelope.to_stanza(), receipt);
            return;
        }
        let sent = session.send(envelope.to_stanza()).is_ok();
        if let Some(id) = offline {
            self.offline.sent(id, session.sm(), sent);
        }
        if let (true, Some(receipt)) = (sent, receipt) {
            self.offline.sent_receipt(receipt, session.sm());
        }
    }

    /// Feeds bytes read from the socket to the machines.
    fn input(&mut self, session: &mut ServerSession, wire: &mut Wire, bytes: &[u8]) {
        let now = Instant::now();
        match wire {
            Wire::Tcp => {
                let _ = session.handle_input(now, bytes);
            }
            Wire::Ws(ws) => {
                if let Err(e) = ws.handle_input(now, bytes) {
                    tracing::debug!(peer = %self.peer, error = %e, "websocket input refused");
                }
                while let Some(event) = ws.poll_event() {
                    match event {
                        WsEvent::Text(text) => {
                            let _ = session.handle_message(now, text.as_str().to_owned());
                        }
                        WsEvent::Close(_) | WsEvent::CloseTimedOut | WsEvent::KeepaliveTimedOut => {
                            tracing::debug!(peer = %self.peer, ?event, "websocket closing");
                            session.handle_transport_closed(now);
                        }
                        // RFC 7395 section 3.2: binary messages are not XMPP.
                        WsEvent::Binary(_) => {
                            let _ = session.stream_error(&StreamError::new(
                                StreamErrorCondition::UnsupportedEncoding,
                            ));
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// Acts on what the session reports.
    fn events(&mut self, session: &mut ServerSession) {
        while let Some(event) = session.poll_event() {
            let now = Instant::now();
            match event {
                ServerEvent::NeedCredentials { username, .. } => {
                    if self.settings.auth_limiter.exhausted(self.peer.ip(), now) {
                        tracing::info!(peer = %self.peer, "too many failed authentications");
                        let _ = session
                            .stream_error(&StreamError::new(StreamErrorCondition::PolicyViolation));
                        continue;
                    }
                    let (account, credentials) = self.credentials(&username);
                    let _ = match &account {
                        Some(local) => {
                            session.handle_credentials_for(now, local, credentials.as_ref())
                        }
                        None => session.handle_credentials(now, None),
                    };
                }
                ServerEvent::AuthFailed(why) => {
                    Metrics::inc(&self.hub.metrics.auth_failures);
                    self.settings.auth_limiter.failed(self.peer.ip(), now);
                    tracing::info!(peer = %self.peer, ?why, "authentication failed");
                }
                ServerEvent::Authenticated { jid, mechanism } => {
                    tracing::info!(peer = %self.peer, %jid, mechanism = mechanism.name(), "authenticated");
                }
                ServerEvent::BindRequested { resource } => {
                    let decision = self.bind_decision(session, resource);
                    let _ = session.handle_bind(now, decision);
                }
                ServerEvent::Ready { jid } => {
                    if let Err(e) = self.hub.bind(&jid, self.handle.clone()) {
                        tracing::error!(%jid, error = %e, "user load failed");
                        let _ = session.stream_error(&StreamError::new(
                            StreamErrorCondition::InternalServerError,
                        ));
                        continue;
                    }
                    self.bound = Some(jid);
                }
                ServerEvent::Stanza(stanza) => {
                    // Acknowledged to the client once it is safe.
                    let receipt = session
                        .stanza_number()
                        .map(|number| Receipt::new(&self.confirmations, number));
                    if let Some(jid) = &self.bound {
                        self.hub.outbound(jid, stanza, timestamp(), receipt);
                    }
                }
                ServerEvent::SmEnabled { id: Some(id) } => {
                    if let Some(jid) = &self.bound {
                        self.hub.resumable(&id, jid);
                    }
                }
                ServerEvent::ResumeRequested { previd, .. } => self.resume = Some(previd),
                ServerEvent::Resumed { jid } => {
                    if let Some(adopted) = self.adopting.take() {
                        self.rx = adopted.rx;
                        self.offline = adopted.offline;
                        self.kick_rx = adopted.kick_rx;
                        self.handle = adopted.handle;
                    }
                    if !self.hub.is_bound_to(&jid, &self.handle.tx)
                        && let Err(e) = self.hub.bind(&jid, self.handle.clone())
                    {
                        tracing::error!(%jid, error = %e, "user load failed");
                    }
                    if let Some(id) = session.sm().and_then(|sm| sm.id()) {
                        self.hub.resumable(id, &jid);
                    }
                    tracing::info!(peer = %self.peer, %jid, "session resumed");
                    self.bound = Some(jid);
                }
                ServerEvent::ResumptionReturned(resumption) => {
                    if let Some(adopted) = self.adopting.take() {
                        self.hub.put_back(Detached {
                            resumption,
                            rx: adopted.rx,
                            offline: adopted.offline,
                            kick_rx: adopted.kick_rx,
                            handle: adopted.handle,
                            generation: adopted.generation,
                        });
                    }
                }
                ServerEvent::StartTls => self.starttls = true,
                ServerEvent::Closed(reason) => {
                    tracing::debug!(peer = %self.peer, ?reason, "stream ended");
                    self.close_reason = Some(reason);
                }
                _ => {}
            }
        }
    }

    /// When the silence of a bound client next needs attention.
    fn idle_deadline(&self) -> Instant {
        let idle = self.settings.idle_timeout;
        let since = if self.pinged { idle * 2 } else { idle };
        if self.bound.is_none() || idle.is_zero() {
            return self.last_input + Duration::from_secs(3600);
        }
        self.last_input + since
    }

    /// A bound client silent for the idle timeout gets a XEP-0199 ping;
    /// silent as long again, it counts as gone (`connection-timeout`, and
    /// its session is kept for resumption when it can be).
    fn idle(&mut self, session: &mut ServerSession, now: Instant) {
        let idle = self.settings.idle_timeout;
        if self.bound.is_none() || idle.is_zero() || now < self.last_input + idle {
            return;
        }
        if !self.pinged {
            self.pinged = true;
            let mut ping = chatwire_xmpp_stanza::Iq::get(
                "chatwire-idle",
                chatwire_xmpp_stanza::IqPayload::Ping,
            );
            ping.from = Some(self.hub.domain().clone());
            ping.to = self.bound.clone();
            let _ = session.send(ping);
        } else if now >= self.last_input + idle * 2 {
            tracing::info!(peer = %self.peer, "client silent, dropped");
            self.lost = true;
            let _ =
                session.stream_error(&StreamError::new(StreamErrorCondition::ConnectionTimeout));
            self.close_reason = None;
        }
    }

    /// Looks up the detached session the client asks to resume; a session
    /// whose connection is still up is asked to hand over, and looked for
    /// again for up to a second.
    async fn find_detached(&mut self, session: &mut ServerSession, previd: &str) {
        let Some(account) = session.account().cloned() else {
            let _ = session.handle_resume(Instant::now(), None);
            return;
        };
        for _ in 0..20 {
            match self.hub.take_detached(previd, &account) {
                Taken::Found(detached) => {
                    let Detached {
                        resumption,
                        rx,
                        offline,
                        mut kick_rx,
                        handle,
                        generation,
                    } = *detached;
                    // Kicks meant for the lost connection are stale now.
                    while kick_rx.try_recv().is_ok() {}
                    self.adopting = Some(Adopting {
                        rx,
                        offline,
                        kick_rx,
                        handle,
                        generation,
                    });
                    let _ = session.handle_resume(Instant::now(), Some(resumption));
                    return;
                }
                Taken::Pending => tokio::time::sleep(Duration::from_millis(50)).await,
                Taken::None => break,
            }
        }
        let _ = session.handle_resume(Instant::now(), None);
    }

    /// Whether the stream ended in a way that leaves it to be resumed: the
    /// transport was lost, or the peer stopped answering; not a close, nor
    /// an error either side sent on purpose.
    fn resumable_end(&self) -> bool {
        match &self.close_reason {
            None => true,
            Some(CloseReason::TransportClosed { clean }) => !clean,
            Some(CloseReason::SentStreamError(condition)) => {
                *condition == chatwire_xmpp_framing::StreamErrorCondition::ConnectionTimeout
            }
            Some(_) => false,
        }
    }

    /// Hands a resumable session to the hub to keep; afterwards this
    /// connection no longer owns it.
    fn keep(&mut self, session: &mut ServerSession) {
        if self.bound.is_none() {
            return;
        }
        let Some(resumption) = session.detach() else {
            return;
        };
        let (tx, rx) = mpsc::channel(1);
        let (kick_tx, kick_rx) = mpsc::channel(1);
        let detached = Detached {
            resumption,
            rx: std::mem::replace(&mut self.rx, rx),
            offline: std::mem::take(&mut self.offline),
            kick_rx: std::mem::replace(&mut self.kick_rx, kick_rx),
            handle: std::mem::replace(
                &mut self.handle,
                SessionHandle {
                    tx,
                    kick: kick_tx,
                    more_offline: Arc::default(),
                },
            ),
            generation: 0,
        };
        self.bound = None;
        tracing::info!(peer = %self.peer, "session kept for resumption");
        self.hub.detach(detached, self.settings.resume_timeout);
    }

    /// The stored credentials for a name the client typed, with the
    /// store's key for it: the localpart as RFC 7622 prepares it.
    fn credentials(
        &self,
        username: &str,
    ) -> (Option<String>, Option<chatwire_sasl::StoredCredentials>) {
        let domain = self.hub.domain().domain();
        let Ok(jid) = Jid::new(&format!("{username}@{domain}")) else {
            return (None, None);
        };
        let Some(local) = jid.local() else {
            return (None, None);
        };
        match self.hub.store().account(local) {
            Ok(credentials) => (Some(local.to_owned()), credentials),
            Err(e) => {
                tracing::error!(error = %e, "account lookup failed");
                (Some(local.to_owned()), None)
            }
        }
    }

    /// RFC 6120 section 7.6: the requested resource, or a random one; the
    /// newest login takes a resource already bound.
    fn bind_decision(&self, session: &ServerSession, resource: Option<String>) -> BindDecision {
        let Some(account) = session.account() else {
            return BindDecision::Refuse(StanzaError::new(StanzaErrorCondition::NotAllowed));
        };
        if self.hub.resources(account) >= self.settings.max_resources {
            return BindDecision::Refuse(StanzaError::new(
                StanzaErrorCondition::ResourceConstraint,
            ));
        }
        BindDecision::Bind(resource.unwrap_or_else(|| {
            let mut bytes = [0u8; 8];
            rand::rng().fill_bytes(&mut bytes);
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        }))
    }

    /// Writes everything queued, within the write timeout; STARTTLS
    /// switches the socket to TLS once `<proceed/>` is out.
    async fn flush(
        &mut self,
        session: &mut ServerSession,
        wire: &mut Wire,
        io: &mut Box<dyn Io>,
    ) -> std::io::Result<()> {
        let mut text = String::new();
        let mut bytes = Vec::new();
        loop {
            text.clear();
            if session.poll_transmit(&mut text) == 0 {
                break;
            }
            match wire {
                Wire::Tcp => bytes.extend_from_slice(text.as_bytes()),
                Wire::Ws(ws) => {
                    let _ = ws.send_text(&text);
                }
            }
        }
        if let Wire::Ws(ws) = wire {
            ws.poll_transmit(&mut bytes);
        }
        if !bytes.is_empty() {
            tokio::time::timeout(self.settings.write_timeout, io.write_all(&bytes))
                .await
                .map_err(|_| {
                    Metrics::inc(&self.hub.metrics.slow_consumers);
                    std::io::Error::new(std::io::ErrorKind::TimedOut, "client not reading")
                })??;
        }
        Ok(())
    }
}

/// The TLS handshake after `<proceed/>`, and the channel-binding data of
/// the new TLS session (RFC 9266 `tls-exporter`, TLS 1.3 only).
async fn starttls(
    settings: &ConnSettings,
    io: Box<dyn Io>,
) -> std::io::Result<(Box<dyn Io>, Vec<chatwire_sasl::ChannelBinding>)> {
    let Some(acceptor) = &settings.tls else {
        return Err(std::io::Error::other("no TLS configured"));
    };
    let tls = acceptor.accept(io).await?;
    let bindings = channel_bindings(tls.get_ref().1);
    Ok((Box::new(tls), bindings))
}

/// RFC 9266: 32 bytes exported with the label `EXPORTER-Channel-Binding`
/// and no context, on TLS 1.3.
pub fn channel_bindings(tls: &rustls::ServerConnection) -> Vec<chatwire_sasl::ChannelBinding> {
    if tls.protocol_version() != Some(rustls::ProtocolVersion::TLSv1_3) {
        return Vec::new();
    }
    let mut data = [0u8; 32];
    if tls
        .export_keying_material(&mut data, b"EXPORTER-Channel-Binding", None)
        .is_err()
    {
        return Vec::new();
    }
    chatwire_sasl::ChannelBinding::new("tls-exporter", data.to_vec())
        .into_iter()
        .collect()
}

/// The earliest of the machines' deadlines (far away when none).
fn next_deadline(session: &ServerSession, wire: &Wire) -> Instant {
    let far = Instant::now() + Duration::from_secs(3600);
    let ws = match wire {
        Wire::Ws(ws) => ws.poll_timeout(),
        Wire::Tcp => None,
    };
    [session.poll_timeout(), ws]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(far)
}

/// Now, for the IM machine.
pub fn timestamp() -> Timestamp {
    let millis = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    Timestamp(millis)
}

//! One load session's connection: plain `ws://` (RFC 7395, no
//! permessage-deflate, as the servers compared do not offer it) or `tcp://`
//! (RFC 6120) on loopback, driven by chatwire-xmpp-session's client
//! machine. The socket is a field the caller reads in its own `select!`, so
//! that reading, sending and timers share one loop per session and nothing
//! is written from a future that may be cancelled.

use std::time::{Duration, Instant};

use chatwire_websocket::Connection as WsConnection;
use chatwire_xmpp_session::{
    ClientConfig, ClientEvent, ClientSession, Security, SmConfig, StartTls,
};
use chatwire_xmpp_stanza::{AnyStanza, Element, IqPayload, IqType, Jid, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::chat::client::{ClientError, Url, drain, feed, parse_url, random, websocket_handshake};

/// Where the sessions connect.
pub struct Target {
    url: Url,
    domain: String,
}

/// What a session reports to its driver.
#[derive(Debug)]
pub enum Event {
    /// A message stanza arrived.
    Message(Box<Message>),
    /// The session ended; the reason as text.
    Closed(String),
}

/// A connected session.
pub struct Session {
    /// The socket: read it, then pass the bytes to [`Session::handle_read`].
    pub stream: TcpStream,
    session: ClientSession,
    ws: Option<Box<WsConnection>>,
    bound: Option<Jid>,
    closed: Option<String>,
    text: String,
    out: Vec<u8>,
}

impl Target {
    /// `ws://host:port/path` or `tcp://host:port`, and the domain that user
    /// names are qualified with.
    pub fn new(url: &str, domain: &str) -> Result<Target, ClientError> {
        let url = parse_url(url)?;
        if url.scheme != "ws" && url.scheme != "tcp" {
            return Err(ClientError::Url(format!(
                "{}: the load tool speaks ws:// and tcp:// only",
                url.scheme
            )));
        }
        Ok(Target {
            url,
            domain: domain.to_owned(),
        })
    }

    /// `name@domain`.
    pub fn jid(&self, name: &str) -> Result<Jid, ClientError> {
        Jid::new(&format!("{name}@{}", self.domain))
            .map_err(|e| ClientError::Url(format!("{name}@{}: {e}", self.domain)))
    }
}

impl Session {
    /// Connects, authenticates (SCRAM as the server offers) and binds
    /// within `timeout`.
    pub async fn connect(
        target: &Target,
        name: &str,
        password: &str,
        timeout: Duration,
    ) -> Result<Session, ClientError> {
        tokio::time::timeout(timeout, Session::connect_inner(target, name, password))
            .await
            .map_err(|_| ClientError::Timeout)?
    }

    async fn connect_inner(
        target: &Target,
        name: &str,
        password: &str,
    ) -> Result<Session, ClientError> {
        let url = &target.url;
        let mut stream = TcpStream::connect((url.host.as_str(), url.port)).await?;
        stream.set_nodelay(true)?;
        // A server slow to acknowledge (XEP-0198) is measured, not left:
        // no timeout on our requests.
        let config = ClientConfig::new(target.jid(name)?, password.to_owned())
            .with_starttls(StartTls::Disabled)
            .with_sm(SmConfig::default().with_ack_timeout(None));
        let closed = |e: chatwire_xmpp_session::Error| ClientError::Closed(e.to_string());
        let now = Instant::now();
        let mut session = if url.scheme == "tcp" {
            let session =
                ClientSession::tcp(now, config, Default::default(), Security::Plain, random)
                    .map_err(closed)?;
            Session::new(stream, session, None)
        } else {
            let authority = format!("{}:{}", url.host, url.port);
            let (ws, leftover) =
                websocket_handshake(&mut stream, &authority, &url.path, false).await?;
            let session =
                ClientSession::websocket(now, config, Default::default(), Security::Plain, random)
                    .map_err(closed)?;
            let mut session = Session::new(stream, session, Some(Box::new(ws)));
            session.handle_read(&leftover);
            session
        };
        let mut buf = vec![0u8; 4096];
        while session.bound.is_none() {
            session.flush().await?;
            if let Some(reason) = &session.closed {
                return Err(ClientError::Closed(reason.clone()));
            }
            let deadline = session.deadline();
            tokio::select! {
                read = session.stream.read(&mut buf) => {
                    match read? {
                        0 => session.handle_eof(),
                        n => session.handle_read(buf.get(..n).unwrap_or_default()),
                    }
                }
                () = tokio::time::sleep_until(deadline.into()) => session.handle_timeout(),
            }
            // Nothing but negotiation happens before binding.
            while let Some(event) = session.poll_event() {
                if let Event::Closed(reason) = event {
                    return Err(ClientError::Closed(reason));
                }
            }
        }
        Ok(session)
    }

    fn new(stream: TcpStream, session: ClientSession, ws: Option<Box<WsConnection>>) -> Self {
        Session {
            stream,
            session,
            ws,
            bound: None,
            closed: None,
            text: String::new(),
            out: Vec::new(),
        }
    }

    /// Queues a stanza; [`Session::flush`] writes it.
    pub fn send(&mut self, stanza: impl Into<Element>) -> Result<(), ClientError> {
        self.session
            .send(stanza)
            .map_err(|e| ClientError::Closed(e.to_string()))
    }

    /// Asks the server to acknowledge what it has (XEP-0198), if enabled.
    pub fn request_ack(&mut self) {
        let _ = self.session.request_ack();
    }

    /// Closes our stream; [`Event::Closed`] follows.
    pub fn close(&mut self) {
        let _ = self.session.close();
    }

    /// XEP-0198: stanzas sent since enabling, when enabled.
    pub fn sm_sent(&self) -> Option<u32> {
        self.session.sm().map(|sm| sm.sent())
    }

    /// XEP-0198: the server's latest acknowledgement (our stanzas it
    /// handled), when enabled.
    pub fn sm_acked(&self) -> Option<u32> {
        self.session.sm().map(|sm| sm.acked())
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        self.closed.is_some() || self.session.is_closed()
    }

    /// When [`Session::handle_timeout`] is due.
    pub fn deadline(&self) -> Instant {
        self.session
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600))
    }

    /// Bytes read from the socket.
    pub fn handle_read(&mut self, bytes: &[u8]) {
        feed(
            &mut self.session,
            self.ws.as_deref_mut(),
            Instant::now(),
            bytes,
        );
    }

    /// The socket reached its end.
    pub fn handle_eof(&mut self) {
        self.session.handle_transport_closed(Instant::now());
    }

    /// The deadline from [`Session::deadline`] passed.
    pub fn handle_timeout(&mut self) {
        self.session.handle_timeout(Instant::now());
    }

    /// The next event; pings are answered here (RFC 6120 section 8.2.3:
    /// every request gets an answer).
    pub fn poll_event(&mut self) -> Option<Event> {
        while let Some(event) = self.session.poll_event() {
            match event {
                ClientEvent::Ready { jid } | ClientEvent::Resumed { jid } => self.bound = Some(jid),
                ClientEvent::Stanza(AnyStanza::Message(message)) => {
                    return Some(Event::Message(Box::new(message)));
                }
                ClientEvent::Stanza(AnyStanza::Iq(iq))
                    if iq.kind == IqType::Get && matches!(iq.payload, Some(IqPayload::Ping)) =>
                {
                    if let Some(result) = iq.result(None) {
                        let _ = self.session.send(result);
                    }
                }
                ClientEvent::Closed(reason) => {
                    let reason = format!("{reason:?}");
                    self.closed = Some(reason.clone());
                    return Some(Event::Closed(reason));
                }
                _ => {}
            }
        }
        None
    }

    /// Writes what the session queued.
    pub async fn flush(&mut self) -> std::io::Result<()> {
        self.out.clear();
        drain(
            &mut self.session,
            self.ws.as_deref_mut(),
            &mut self.text,
            &mut self.out,
        );
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
        }
        Ok(())
    }
}

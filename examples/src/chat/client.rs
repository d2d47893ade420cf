//! The client side's IO: a connection to an XMPP server over `ws://`,
//! `wss://` or `tcp://` (STARTTLS when offered), driven by
//! chatwire-xmpp-session's client machine. Used by `chat-client` and the
//! chat server's tests.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chatwire_websocket::handshake::{ClientHandshake, ClientRequest};
use chatwire_websocket::{Connection as WsConnection, Event as WsEvent};
use chatwire_xmpp_session::{
    ClientConfig, ClientEvent, ClientSession, Resumption, Security, StartTls,
};
use chatwire_xmpp_stanza::{AnyStanza, Element, Jid};
use rand::Rng;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::chat::conn::Io;

/// Why a client could not connect or went away.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A socket error.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The URL is not `ws://`, `wss://` or `tcp://` with a host.
    #[error("bad url: {0}")]
    Url(String),
    /// TLS setup or handshake failed.
    #[error("tls: {0}")]
    Tls(String),
    /// The WebSocket upgrade was refused.
    #[error("websocket handshake: {0}")]
    Handshake(String),
    /// The XMPP session ended before or while it was used.
    #[error("session closed: {0}")]
    Closed(String),
    /// Nothing happened in time.
    #[error("timed out")]
    Timeout,
}

/// Where to connect and as whom.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// `ws://host:port/path`, `wss://host:port/path` or `tcp://host:port`.
    pub url: String,
    /// The account, bare or with a resource.
    pub jid: Jid,
    /// The password.
    pub password: String,
    /// A CA certificate (PEM) to trust instead of the system's roots.
    pub ca: Option<std::path::PathBuf>,
}

enum Wire {
    Ws(Box<WsConnection>),
    Tcp,
}

/// A connected, bound client session.
pub struct Client {
    io: Box<dyn Io>,
    session: ClientSession,
    wire: Wire,
    stanzas: VecDeque<AnyStanza>,
    tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
    jid: Option<Jid>,
    resumed: bool,
    mechanism: Option<chatwire_sasl::Mechanism>,
    /// Why the stream ended, once it did.
    closed: Option<String>,
    buf: Vec<u8>,
}

/// The parts of a `ws://`, `wss://` or `tcp://` URL.
pub(crate) struct Url {
    pub(crate) scheme: String,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) path: String,
}

pub(crate) fn parse_url(url: &str) -> Result<Url, ClientError> {
    let bad = || ClientError::Url(url.to_owned());
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (
            rest.get(..i).ok_or_else(bad)?,
            rest.get(i..).ok_or_else(bad)?,
        ),
        None => (rest, "/"),
    };
    let default_port = match scheme {
        "ws" => 80,
        "wss" => 443,
        "tcp" => 5222,
        _ => return Err(bad()),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().map_err(|_| bad())?),
        None => (authority, default_port),
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok(Url {
        scheme: scheme.to_owned(),
        host: host.trim_matches(['[', ']']).to_owned(),
        port,
        path: path.to_owned(),
    })
}

fn tls_connector(ca: Option<&Path>) -> Result<tokio_rustls::TlsConnector, ClientError> {
    let tls = |e: &dyn std::fmt::Display| ClientError::Tls(e.to_string());
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(path) => {
            for cert in CertificateDer::pem_file_iter(path).map_err(|e| tls(&e))? {
                roots.add(cert.map_err(|e| tls(&e))?).map_err(|e| tls(&e))?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// RFC 9266 `tls-exporter` data of a client TLS connection (TLS 1.3).
fn client_bindings(tls: &rustls::ClientConnection) -> Vec<chatwire_sasl::ChannelBinding> {
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

/// Fills `buf` from the thread's random generator (SCRAM nonces).
pub(crate) fn random(buf: &mut [u8]) {
    rand::rng().fill_bytes(buf);
}

impl Client {
    /// Connects, negotiates and binds, within `timeout`.
    pub async fn connect(
        options: &ClientOptions,
        timeout: Duration,
    ) -> Result<Client, ClientError> {
        tokio::time::timeout(timeout, Client::connect_inner(options, None))
            .await
            .map_err(|_| ClientError::Timeout)?
    }

    /// Connects and resumes a lost session (XEP-0198) instead of binding;
    /// if the server refuses, binds a new one.
    pub async fn resume(
        options: &ClientOptions,
        resumption: Resumption,
        timeout: Duration,
    ) -> Result<Client, ClientError> {
        tokio::time::timeout(timeout, Client::connect_inner(options, Some(resumption)))
            .await
            .map_err(|_| ClientError::Timeout)?
    }

    /// What resuming this session needs, once its connection is lost
    /// (None when the server did not grant resumption).
    pub fn detach(&mut self) -> Option<Resumption> {
        self.session.detach()
    }

    /// The SASL mechanism the session authenticated with.
    pub fn mechanism(&self) -> Option<chatwire_sasl::Mechanism> {
        self.mechanism
    }

    /// Whether the last connection resumed a session rather than bound one.
    pub fn resumed(&self) -> bool {
        self.resumed
    }

    async fn connect_inner(
        options: &ClientOptions,
        resumption: Option<Resumption>,
    ) -> Result<Client, ClientError> {
        let url = parse_url(&options.url)?;
        let stream = TcpStream::connect((url.host.as_str(), url.port)).await?;
        stream.set_nodelay(true)?;
        let needs_tls = url.scheme != "ws";
        let tls = if needs_tls || options.ca.is_some() {
            let name = ServerName::try_from(url.host.clone())
                .map_err(|e| ClientError::Tls(e.to_string()))?;
            Some((tls_connector(options.ca.as_deref())?, name))
        } else {
            None
        };
        let config = ClientConfig::new(options.jid.clone(), options.password.clone())
            .with_starttls(StartTls::Optional);
        let now = Instant::now();
        let mut client = match url.scheme.as_str() {
            "tcp" => Client {
                session: ClientSession::tcp(
                    now,
                    config,
                    Default::default(),
                    Security::Plain,
                    random,
                )
                .map_err(|e| ClientError::Closed(e.to_string()))?,
                io: Box::new(stream),
                wire: Wire::Tcp,
                stanzas: VecDeque::new(),
                tls,
                jid: None,
                resumed: false,
                mechanism: None,
                closed: None,
                buf: vec![0; 16 * 1024],
            },
            scheme => {
                let (mut io, security): (Box<dyn Io>, Security) = match (scheme, &tls) {
                    ("wss", Some((connector, name))) => {
                        let tls = connector
                            .connect(name.clone(), stream)
                            .await
                            .map_err(|e| ClientError::Tls(e.to_string()))?;
                        let bindings = client_bindings(tls.get_ref().1);
                        (Box::new(tls), Security::Tls(bindings))
                    }
                    _ => (Box::new(stream), Security::Plain),
                };
                let authority = format!("{}:{}", url.host, url.port);
                // Offers permessage-deflate (RFC 7692), as browsers do.
                let (ws, leftover) =
                    websocket_handshake(&mut io, &authority, &url.path, true).await?;
                let mut client = Client {
                    session: ClientSession::websocket(
                        now,
                        config,
                        Default::default(),
                        security,
                        random,
                    )
                    .map_err(|e| ClientError::Closed(e.to_string()))?,
                    io,
                    wire: Wire::Ws(Box::new(ws)),
                    stanzas: VecDeque::new(),
                    tls: None,
                    jid: None,
                    resumed: false,
                    mechanism: None,
                    closed: None,
                    buf: vec![0; 16 * 1024],
                };
                client.input(&leftover);
                client
            }
        };
        if let Some(resumption) = resumption {
            client
                .session
                .resume(resumption)
                .map_err(|e| ClientError::Closed(e.to_string()))?;
        }
        while client.jid.is_none() {
            client.step().await?;
        }
        Ok(client)
    }

    /// Our full JID.
    pub fn jid(&self) -> Option<&Jid> {
        self.jid.as_ref()
    }

    /// Sends a stanza.
    pub async fn send(&mut self, stanza: impl Into<Element>) -> Result<(), ClientError> {
        self.session
            .send(stanza)
            .map_err(|e| ClientError::Closed(e.to_string()))?;
        self.flush().await
    }

    /// XEP-0198: how many of our stanzas the server has acknowledged
    /// (`None` without stream management).
    pub fn acked(&self) -> Option<u32> {
        self.session.sm().map(|sm| sm.acked())
    }

    /// XEP-0198: asks the server for an acknowledgement (`<r/>`); the
    /// answer is read by [`Client::next`].
    pub async fn request_ack(&mut self) -> Result<(), ClientError> {
        self.session
            .request_ack()
            .map_err(|e| ClientError::Closed(e.to_string()))?;
        self.flush().await
    }

    /// The next stanza from the server, or None after `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Result<Option<AnyStanza>, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(stanza) = self.stanzas.pop_front() {
                return Ok(Some(stanza));
            }
            match tokio::time::timeout_at(deadline, self.step()).await {
                Ok(result) => result?,
                Err(_) => return Ok(None),
            }
        }
    }

    /// Closes the stream and waits for the server's closing tag.
    pub async fn close(mut self) -> Result<(), ClientError> {
        let _ = self.session.close();
        self.flush().await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !self.session.is_closed() {
            match tokio::time::timeout_at(deadline, self.step()).await {
                Ok(Ok(())) => {}
                _ => break,
            }
        }
        let _ = self.io.shutdown().await;
        Ok(())
    }

    /// Stanzas already read and handled but not yet taken with
    /// [`Client::next`].
    pub fn take_buffered(&mut self) -> Vec<AnyStanza> {
        self.stanzas.drain(..).collect()
    }

    /// Drops the connection without closing the stream, as a network
    /// failure would.
    pub fn drop_connection(self) {}

    /// One round: write what is queued, then read once (or time out).
    async fn step(&mut self) -> Result<(), ClientError> {
        self.flush().await?;
        if self.session.is_closed() {
            let reason = self
                .closed
                .clone()
                .unwrap_or_else(|| "stream closed".into());
            return Err(ClientError::Closed(reason));
        }
        let deadline = self
            .session
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        let sleep = tokio::time::sleep_until(deadline.into());
        tokio::select! {
            read = self.io.read(&mut self.buf) => {
                let n = read?;
                if n == 0 {
                    self.session.handle_transport_closed(Instant::now());
                    self.events().await?;
                    return Err(ClientError::Closed("connection closed".into()));
                }
                let bytes = self.buf.get(..n).unwrap_or_default().to_vec();
                self.input(&bytes);
            }
            () = sleep => self.session.handle_timeout(Instant::now()),
        }
        self.events().await
    }

    fn input(&mut self, bytes: &[u8]) {
        let ws = match &mut self.wire {
            Wire::Tcp => None,
            Wire::Ws(ws) => Some(ws.as_mut()),
        };
        feed(&mut self.session, ws, Instant::now(), bytes);
    }

    async fn events(&mut self) -> Result<(), ClientError> {
        while let Some(event) = self.session.poll_event() {
            match event {
                ClientEvent::Ready { jid } => self.jid = Some(jid),
                ClientEvent::Authenticated { mechanism, .. } => self.mechanism = Some(mechanism),
                ClientEvent::Resumed { jid } => {
                    self.jid = Some(jid);
                    self.resumed = true;
                }
                // XEP-0199: a ping is answered here, as every client must
                // answer requests (RFC 6120 section 8.2.3).
                ClientEvent::Stanza(AnyStanza::Iq(iq))
                    if iq.kind == chatwire_xmpp_stanza::IqType::Get
                        && matches!(iq.payload, Some(chatwire_xmpp_stanza::IqPayload::Ping)) =>
                {
                    if let Some(result) = iq.result(None) {
                        let _ = self.session.send(result);
                    }
                }
                ClientEvent::Stanza(stanza) => self.stanzas.push_back(stanza),
                ClientEvent::StartTls => self.starttls().await?,
                ClientEvent::Closed(reason) => {
                    let reason = format!("{reason:?}");
                    self.closed = Some(reason.clone());
                    if self.jid.is_none() {
                        return Err(ClientError::Closed(reason));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    async fn starttls(&mut self) -> Result<(), ClientError> {
        self.flush().await?;
        let Some((connector, name)) = self.tls.take() else {
            return Err(ClientError::Tls(
                "STARTTLS without a TLS configuration".into(),
            ));
        };
        let plain = std::mem::replace(&mut self.io, Box::new(tokio::io::duplex(1).0));
        let tls = connector
            .connect(name, plain)
            .await
            .map_err(|e| ClientError::Tls(e.to_string()))?;
        let bindings = client_bindings(tls.get_ref().1);
        self.io = Box::new(tls);
        self.session
            .handle_tls_established(Instant::now(), bindings)
            .map_err(|e| ClientError::Closed(e.to_string()))?;
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), ClientError> {
        let mut bytes = Vec::new();
        let ws = match &mut self.wire {
            Wire::Tcp => None,
            Wire::Ws(ws) => Some(ws.as_mut()),
        };
        drain(&mut self.session, ws, &mut String::new(), &mut bytes);
        if !bytes.is_empty() {
            self.io.write_all(&bytes).await?;
        }
        Ok(())
    }
}

/// Hands bytes read from the socket to the session: as they are over TCP,
/// as the text messages they carry over a WebSocket connection.
pub(crate) fn feed(
    session: &mut ClientSession,
    ws: Option<&mut WsConnection>,
    now: Instant,
    bytes: &[u8],
) {
    let Some(ws) = ws else {
        let _ = session.handle_input(now, bytes);
        return;
    };
    let _ = ws.handle_input(now, bytes);
    while let Some(event) = ws.poll_event() {
        match event {
            WsEvent::Text(text) => {
                let _ = session.handle_message(now, text.as_str().to_owned());
            }
            WsEvent::Close(_) | WsEvent::CloseTimedOut | WsEvent::KeepaliveTimedOut => {
                session.handle_transport_closed(now);
            }
            _ => {}
        }
    }
}

/// Appends to `out` the bytes to write for what the session queued (as
/// WebSocket frames when there is a WebSocket connection); `text` is
/// scratch space.
pub(crate) fn drain(
    session: &mut ClientSession,
    mut ws: Option<&mut WsConnection>,
    text: &mut String,
    out: &mut Vec<u8>,
) {
    loop {
        text.clear();
        if session.poll_transmit(text) == 0 {
            break;
        }
        match ws.as_deref_mut() {
            None => out.extend_from_slice(text.as_bytes()),
            Some(ws) => {
                let _ = ws.send_text(text);
            }
        }
    }
    if let Some(ws) = ws {
        ws.poll_transmit(out);
    }
}

/// The RFC 6455 opening handshake asking for the `xmpp` subprotocol,
/// offering permessage-deflate when `deflate` is set; returns the
/// connection and the bytes read past the response.
pub(crate) async fn websocket_handshake<T: Io + ?Sized>(
    io: &mut T,
    authority: &str,
    path: &str,
    deflate: bool,
) -> Result<(WsConnection, Vec<u8>), ClientError> {
    let config = chatwire_websocket::Config::default();
    let mut request = ClientRequest::new(authority, path).with_protocol("xmpp");
    if deflate {
        request = request.with_extension(config.deflate.offer());
    }
    let mut out = Vec::new();
    let nonce: [u8; 16] = rand::random();
    let handshake = ClientHandshake::new(&request, nonce, &mut out)
        .map_err(|e| ClientError::Handshake(e.to_string()))?;
    io.write_all(&out).await?;
    let mut input = Vec::new();
    let mut buf = [0u8; 4096];
    let (response, used) = loop {
        let n = io.read(&mut buf).await?;
        if n == 0 {
            return Err(ClientError::Handshake("connection closed".into()));
        }
        input.extend_from_slice(buf.get(..n).unwrap_or_default());
        if let Some(done) = handshake
            .handle_response(&input)
            .map_err(|e| ClientError::Handshake(e.to_string()))?
        {
            break done;
        }
    };
    // A response that breaks the offer fails the handshake.
    let agreed = if deflate {
        config
            .deflate
            .check_response(&response)
            .map_err(|e| ClientError::Handshake(e.to_string()))?
    } else {
        None
    };
    let mut ws = WsConnection::client(Instant::now(), config, rand::random);
    if let Some(params) = agreed {
        ws = ws.with_deflate(params);
    }
    Ok((ws, input.get(used..).unwrap_or_default().to_vec()))
}

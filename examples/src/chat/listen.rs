//! The listening sockets: each accepted connection is read up to its HTTP
//! request head, then becomes an XMPP WebSocket (the upgrade validated and
//! answered by chatwire-websocket's handshake) or an HTTP exchange served
//! by hyper; on the TCP port, an RFC 6120 stream.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use chatwire_websocket::handshake::{Accept, HandshakeLimits, parse_request, write_reject};
use chatwire_xmpp_session::Security;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::chat::conn::{self, Carrier, ConnSettings, Io};
use crate::chat::http::{self, Site, WEBSOCKET_PATH};
use crate::chat::hub::Hub;

/// Limits on accepting connections.
#[derive(Debug, Clone)]
pub struct AcceptLimits {
    /// Open connections per client address.
    pub per_address: usize,
    /// Time to receive the HTTP request head, and to finish TLS.
    pub handshake_timeout: Duration,
}

/// Open connections per address.
#[derive(Debug, Default)]
pub struct Counter(Mutex<HashMap<IpAddr, usize>>);

/// One connection counted until dropped.
pub struct Slot {
    counter: Arc<Counter>,
    ip: IpAddr,
}

impl Counter {
    fn take(self: &Arc<Counter>, ip: IpAddr, max: usize) -> Option<Slot> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let open = map.entry(ip).or_insert(0);
        if *open >= max {
            return None;
        }
        *open += 1;
        Some(Slot {
            counter: Arc::clone(self),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.counter.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(open) = map.get_mut(&self.ip) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Everything an accept loop needs.
pub struct Listener {
    /// The hub.
    pub hub: Arc<Hub>,
    /// Connection settings.
    pub settings: Arc<ConnSettings>,
    /// HTTP site.
    pub site: Arc<Site>,
    /// Accept limits.
    pub limits: AcceptLimits,
    /// Connections per address.
    pub counter: Arc<Counter>,
    /// TLS from the first byte (wss:), if configured.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// Accept permessage-deflate (RFC 7692) when offered.
    pub deflate: bool,
}

impl Listener {
    /// Accepts HTTP and WebSocket connections forever.
    pub async fn web(self: Arc<Self>, listener: TcpListener) {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let Some(slot) = self.counter.take(peer.ip(), self.limits.per_address) else {
                tracing::info!(%peer, "too many connections from this address");
                continue;
            };
            let this = Arc::clone(&self);
            tokio::spawn(async move {
                let _slot = slot;
                this.web_connection(stream, peer).await;
            });
        }
    }

    /// Accepts RFC 6120 TCP connections forever.
    pub async fn tcp(self: Arc<Self>, listener: TcpListener) {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let Some(slot) = self.counter.take(peer.ip(), self.limits.per_address) else {
                tracing::info!(%peer, "too many connections from this address");
                continue;
            };
            let _ = stream.set_nodelay(true);
            let this = Arc::clone(&self);
            tokio::spawn(async move {
                let _slot = slot;
                conn::serve(
                    Arc::clone(&this.hub),
                    Arc::clone(&this.settings),
                    Box::new(stream),
                    Carrier::Tcp,
                    Security::Plain,
                    peer,
                )
                .await;
            });
        }
    }

    async fn web_connection(self: Arc<Self>, stream: TcpStream, peer: SocketAddr) {
        let _ = stream.set_nodelay(true);
        let timeout = self.limits.handshake_timeout;
        let (mut io, security): (Box<dyn Io>, Security) = match &self.tls {
            None => (Box::new(stream), Security::Plain),
            Some(acceptor) => match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let bindings = conn::channel_bindings(tls.get_ref().1);
                    (Box::new(tls), Security::Tls(bindings))
                }
                _ => return,
            },
        };
        // A peer that trickles the request head is dropped at the timeout.
        let Ok(Some(head)) = tokio::time::timeout(timeout, read_head(&mut io)).await else {
            return;
        };
        if is_websocket_request(&head) {
            self.websocket(io, head, security, peer).await;
        } else {
            let hub = Arc::clone(&self.hub);
            let site = Arc::clone(&self.site);
            let service = service_fn(move |request| {
                http::handle(Arc::clone(&hub), Arc::clone(&site), request)
            });
            let replay = Replay { head, pos: 0, io };
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(timeout)
                .serve_connection(TokioIo::new(replay), service)
                .await;
        }
    }

    /// RFC 6455 opening handshake with the `xmpp` subprotocol (RFC 7395
    /// section 3.3), then the XMPP session.
    async fn websocket(
        &self,
        mut io: Box<dyn Io>,
        head: Vec<u8>,
        security: Security,
        peer: SocketAddr,
    ) {
        // The handshake in a function of its own: its request, answer and
        // buffers are gone, not kept in the task, while the session runs.
        let Some(carrier) = self.handshake(&mut io, head).await else {
            return;
        };
        conn::serve(
            Arc::clone(&self.hub),
            Arc::clone(&self.settings),
            io,
            carrier,
            security,
            peer,
        )
        .await;
    }

    /// Answers the upgrade request in `head`; the carrier for the session
    /// when it is accepted.
    async fn handshake(&self, io: &mut Box<dyn Io>, head: Vec<u8>) -> Option<Carrier> {
        let (request, used) = match parse_request(&head, &HandshakeLimits::default()) {
            Ok(Some(done)) => done,
            Ok(None) => return None,
            Err(e) => {
                let mut out = Vec::new();
                e.write_response(&mut out);
                let _ = io.write_all(&out).await;
                return None;
            }
        };
        if !request.offers_protocol("xmpp") {
            // RFC 7395 section 3.3: without the subprotocol there is no
            // XMPP on this connection.
            let mut out = Vec::new();
            if write_reject(400, "Bad Request", &[], &mut out).is_ok() {
                let _ = io.write_all(&out).await;
            }
            return None;
        }
        // RFC 7692: permessage-deflate when the client offers it and the
        // server allows it, with the server's memory-saving preferences.
        let mut accept = Accept::new().with_protocol("xmpp");
        let mut deflate = None;
        if self.deflate
            && let Some((extension, params)) = self.settings.websocket.deflate.negotiate(&request)
        {
            accept = accept.with_extension(extension);
            deflate = Some(params);
        }
        let mut out = Vec::new();
        if request.write_accept(&accept, &mut out).is_err() || io.write_all(&out).await.is_err() {
            return None;
        }
        let leftover = head.get(used..).unwrap_or_default().to_vec();
        Some(Carrier::WebSocket { leftover, deflate })
    }
}

/// Reads until the HTTP request head is complete (it may bring bytes
/// after it); `None` when the peer closes first or the head is too long.
/// Reads straight into the head's own spare room: a buffer in this
/// future would stay in the connection's task for as long as it lasts (a
/// task is as large as the largest state it ever awaits).
async fn read_head(io: &mut Box<dyn Io>) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let limit = HandshakeLimits::default().max_head_size;
    loop {
        head.reserve(1024);
        let n = io.read_buf(&mut head).await.ok()?;
        if n == 0 {
            return None;
        }
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            return Some(head);
        }
        if head.len() > limit {
            return None;
        }
    }
}

/// Whether the request head asks for the XMPP WebSocket endpoint with an
/// upgrade; anything else goes to the HTTP side.
fn is_websocket_request(head: &[u8]) -> bool {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    if request.parse(head).is_err() {
        return false;
    }
    let path = request.path.unwrap_or("");
    let path = path.split('?').next().unwrap_or(path);
    let upgrade = request.headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("upgrade")
            && String::from_utf8_lossy(h.value)
                .split(',')
                .any(|v| v.trim().eq_ignore_ascii_case("websocket"))
    });
    path == WEBSOCKET_PATH && upgrade
}

/// A stream that gives back the bytes already read before the rest, so
/// that hyper sees the request from its first byte.
struct Replay {
    head: Vec<u8>,
    pos: usize,
    io: Box<dyn Io>,
}

impl AsyncRead for Replay {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if let Some(rest) = this.head.get(this.pos..).filter(|r| !r.is_empty()) {
            let n = rest.len().min(buf.remaining());
            buf.put_slice(rest.get(..n).unwrap_or_default());
            this.pos += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Replay {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

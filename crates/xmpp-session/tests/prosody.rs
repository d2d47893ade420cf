//! Our client role against a real Prosody 0.12, over WebSocket (our
//! chatwire-websocket connection on a TCP socket) and over plain TCP: SCRAM-SHA-1 and PLAIN, bind, stream
//! management, a message to ourselves, and the resumption of a dropped
//! stream with a message in flight. Then over TCP with STARTTLS required by
//! the server: the TLS handshake by rustls, the channel-binding data handed
//! to the session, the restart over TLS, SCRAM-SHA-1 or PLAIN, bind, a
//! message to ourselves and the close.
//!
//! Needs a running server. `.ci/suites/41-prosody-session.sh` starts one
//! without TLS (the shared throwaway configuration turns it off) and runs
//! these with `--ignored`; `CHATWIRE_PROSODY_WS` and `CHATWIRE_PROSODY_TCP`
//! override its endpoints. `.ci/suites/42-prosody-starttls.sh` starts one
//! that requires STARTTLS, with a certificate made for the run, and sets
//! `CHATWIRE_PROSODY_STARTTLS` (host:port) and `CHATWIRE_PROSODY_CA` (the
//! certificate, PEM); without them the STARTTLS tests return at once.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chatwire_sasl::{ChannelBinding, Mechanism};
use chatwire_websocket::handshake::{ClientHandshake, ClientRequest};
use chatwire_websocket::{Connection, Event as WsEvent};
use chatwire_xmpp_session::{
    ClientConfig, ClientEvent, ClientSession, CloseReason, NegotiationError, Security, StartTls,
};
use chatwire_xmpp_stanza::{AnyStanza, Jid, Message};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use sha2::{Digest, Sha256};

/// RFC 7395 on RFC 6455: our WebSocket connection over a TCP socket.
struct WsConn {
    socket: TcpStream,
    ws: Connection,
}

/// RFC 6120 section 5: the TCP socket after STARTTLS, with the plaintext
/// read since the handshake (to report what the server offered).
struct TlsConn {
    stream: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
    transcript: Vec<u8>,
}

/// One connection to Prosody, either transport.
enum Conn {
    Ws(Box<WsConn>),
    Tcp(TcpStream),
    Tls(Box<TlsConn>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Ws,
    Tcp,
}

fn tcp_socket(address: &str) -> TcpStream {
    let socket = TcpStream::connect(address).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket
}

fn connect(transport: Transport) -> Conn {
    match transport {
        Transport::Ws => {
            let endpoint = std::env::var("CHATWIRE_PROSODY_WS")
                .unwrap_or_else(|_| "ws://127.0.0.1:15280/xmpp-websocket".to_owned());
            let rest = endpoint.strip_prefix("ws://").unwrap();
            let (host, path) = rest.split_at(rest.find('/').unwrap());
            let mut socket = tcp_socket(host);
            let request = ClientRequest::new(host, path).with_protocol("xmpp");
            let mut out = Vec::new();
            let mut nonce = [0u8; 16];
            random()(&mut nonce);
            let handshake = ClientHandshake::new(&request, nonce, &mut out).unwrap();
            socket.write_all(&out).unwrap();
            let mut input = Vec::new();
            let (response, used) = loop {
                let mut buf = [0u8; 4096];
                let n = socket.read(&mut buf).unwrap();
                assert!(n > 0, "closed during the handshake");
                input.extend_from_slice(&buf[..n]);
                if let Some(done) = handshake.handle_response(&input).unwrap() {
                    break done;
                }
            };
            // RFC 7395 section 3.1: the server must select `xmpp`.
            assert_eq!(response.protocol.as_deref(), Some("xmpp"));
            let mut masks = random();
            let mut ws = Connection::client(Instant::now(), Default::default(), move || {
                let mut mask = [0u8; 4];
                masks(&mut mask);
                mask
            });
            ws.handle_input(Instant::now(), &input[used..]).unwrap();
            Conn::Ws(Box::new(WsConn { socket, ws }))
        }
        Transport::Tcp => {
            let endpoint = std::env::var("CHATWIRE_PROSODY_TCP")
                .unwrap_or_else(|_| "127.0.0.1:15222".to_owned());
            Conn::Tcp(tcp_socket(&endpoint))
        }
    }
}

fn random() -> impl FnMut(&mut [u8]) + Send + 'static {
    // Fresh nonces per run: Prosody may remember them.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mut state = (seed as u64) | 1;
    move |buf: &mut [u8]| {
        for byte in buf {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = state.to_le_bytes()[0];
        }
    }
}

fn session(transport: Transport, mechanism: Mechanism, resource: &str) -> ClientSession {
    let jid = Jid::new(&format!("alice@localhost/{resource}")).unwrap();
    let mut config = ClientConfig::new(jid, "alicepw").with_starttls(StartTls::Disabled);
    config.sasl.preference = vec![mechanism];
    config.sasl.allow_plain_without_tls = true;
    let now = Instant::now();
    match transport {
        Transport::Ws => {
            ClientSession::websocket(now, config, Default::default(), Security::Plain, random())
        }
        Transport::Tcp => {
            ClientSession::tcp(now, config, Default::default(), Security::Plain, random())
        }
    }
    .unwrap()
}

/// Writes what the session queued.
fn flush(client: &mut ClientSession, conn: &mut Conn) {
    let mut out = String::new();
    while client.poll_transmit(&mut out) > 0 {
        match conn {
            Conn::Ws(conn) => {
                conn.ws.send_text(&out).unwrap();
                out.clear();
            }
            Conn::Tcp(socket) => {
                socket.write_all(out.as_bytes()).unwrap();
                out.clear();
            }
            Conn::Tls(conn) => {
                conn.stream.write_all(out.as_bytes()).unwrap();
                out.clear();
            }
        }
    }
    if let Conn::Ws(conn) = conn {
        let mut bytes = Vec::new();
        conn.ws.poll_transmit(&mut bytes);
        conn.socket.write_all(&bytes).unwrap();
    }
}

/// Runs the session until `done` says so; returns every event seen.
fn run_until(
    client: &mut ClientSession,
    conn: &mut Conn,
    mut done: impl FnMut(&ClientEvent) -> bool,
) -> Vec<ClientEvent> {
    let mut events = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        flush(client, conn);
        while let Some(event) = client.poll_event() {
            let finished = done(&event);
            events.push(event);
            if finished {
                flush(client, conn);
                return events;
            }
        }
        assert!(Instant::now() < deadline, "no end in sight: {events:?}");
        let now = Instant::now();
        let socket: &mut dyn Read = match conn {
            Conn::Ws(conn) => &mut conn.socket,
            Conn::Tcp(socket) => socket,
            Conn::Tls(conn) => &mut conn.stream,
        };
        let mut buf = [0u8; 4096];
        let n = match socket.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => panic!("{e}: {events:?}"),
        };
        match conn {
            Conn::Ws(conn) if n > 0 => {
                conn.ws.handle_input(now, &buf[..n]).unwrap();
                while let Some(event) = conn.ws.poll_event() {
                    match event {
                        WsEvent::Text(text) => {
                            client.handle_message(now, String::from(text)).unwrap();
                        }
                        WsEvent::Close(_) => client.handle_transport_closed(now),
                        _ => {}
                    }
                }
            }
            Conn::Tcp(_) if n > 0 => client.handle_input(now, &buf[..n]).unwrap(),
            Conn::Tls(conn) if n > 0 => {
                conn.transcript.extend_from_slice(&buf[..n]);
                client.handle_input(now, &buf[..n]).unwrap();
            }
            _ => client.handle_transport_closed(now),
        }
        assert!(
            !events.iter().any(|e| matches!(e, ClientEvent::Closed(_))),
            "{events:?}"
        );
    }
}

fn bodies(events: &[ClientEvent], body: &str) -> usize {
    events
        .iter()
        .filter(
            |e| matches!(e, ClientEvent::Stanza(AnyStanza::Message(m)) if m.body() == Some(body)),
        )
        .count()
}

fn negotiate_message_resume(transport: Transport, mechanism: Mechanism) {
    let resource = format!("chatwire-{transport:?}-{mechanism}");
    let mut client = session(transport, mechanism, &resource);
    let mut conn = connect(transport);
    let events = run_until(&mut client, &mut conn, |e| {
        matches!(e, ClientEvent::SmEnabled { .. })
    });
    assert!(events.contains(&ClientEvent::Authenticated { mechanism }));
    let me = client.jid().unwrap().clone();
    assert_eq!(me.as_str(), format!("alice@localhost/{resource}"));
    assert!(client.sm().unwrap().is_resumable(), "{events:?}");

    // A message to ourselves comes back.
    client.send(Message::chat(me.clone(), "hello")).unwrap();
    let events = run_until(
        &mut client,
        &mut conn,
        |e| matches!(e, ClientEvent::Stanza(AnyStanza::Message(m)) if m.body() == Some("hello")),
    );
    assert_eq!(bodies(&events, "hello"), 1);

    // Another one, then the connection drops before we read anything.
    client.send(Message::chat(me.clone(), "in flight")).unwrap();
    flush(&mut client, &mut conn);
    drop(conn);
    client.handle_transport_closed(Instant::now());
    let resumption = client.detach().unwrap();

    let mut resumed = session(transport, mechanism, &resource);
    resumed.resume(resumption).unwrap();
    let mut conn = connect(transport);
    let mut events = run_until(&mut resumed, &mut conn, |e| {
        matches!(e, ClientEvent::Resumed { .. })
    });
    assert!(
        events.contains(&ClientEvent::Resumed { jid: me.clone() }),
        "{events:?}"
    );
    // The message in flight arrives (sent again by Prosody, or by us if
    // Prosody never got it), exactly once: a marker sent after it comes
    // back after it.
    resumed.send(Message::chat(me.clone(), "marker")).unwrap();
    events.extend(run_until(
        &mut resumed,
        &mut conn,
        |e| matches!(e, ClientEvent::Stanza(AnyStanza::Message(m)) if m.body() == Some("marker")),
    ));
    assert_eq!(bodies(&events, "in flight"), 1, "{events:?}");

    resumed.close().unwrap();
    run_until(&mut resumed, &mut conn, |e| {
        matches!(e, ClientEvent::Closed(_))
    });
}

#[test]
#[ignore = "needs Prosody: .ci/suites/41-prosody-session.sh"]
fn websocket_scram_sha_1() {
    negotiate_message_resume(Transport::Ws, Mechanism::ScramSha1);
}

#[test]
#[ignore = "needs Prosody: .ci/suites/41-prosody-session.sh"]
fn websocket_plain() {
    negotiate_message_resume(Transport::Ws, Mechanism::Plain);
}

#[test]
#[ignore = "needs Prosody: .ci/suites/41-prosody-session.sh"]
fn tcp_scram_sha_1() {
    negotiate_message_resume(Transport::Tcp, Mechanism::ScramSha1);
}

#[test]
#[ignore = "needs Prosody: .ci/suites/41-prosody-session.sh"]
fn tcp_plain() {
    negotiate_message_resume(Transport::Tcp, Mechanism::Plain);
}

/// The STARTTLS endpoint and the PEM certificate to trust, as
/// `.ci/suites/42-prosody-starttls.sh` sets them; `None` without them
/// (the Prosody of the other suite has no TLS).
fn starttls_endpoint() -> Option<(String, String)> {
    let endpoint = std::env::var("CHATWIRE_PROSODY_STARTTLS").ok()?;
    let ca = std::env::var("CHATWIRE_PROSODY_CA").unwrap();
    Some((endpoint, ca))
}

/// A rustls client (ring) that trusts only the run's self-signed
/// certificate, limited to `version`.
fn tls_config(
    ca: &str,
    version: &'static rustls::SupportedProtocolVersion,
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(ca).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// The channel-binding data of a finished handshake, preferred first:
/// RFC 9266 tls-exporter (32 bytes exported with the label
/// `EXPORTER-Channel-Binding` and no context), then RFC 5929
/// tls-server-end-point (the server certificate hashed with SHA-256, the
/// hash of its ecdsa-with-SHA256 signature).
fn channel_bindings(tls: &rustls::ClientConnection) -> Vec<ChannelBinding> {
    let exporter = tls
        .export_keying_material([0u8; 32], b"EXPORTER-Channel-Binding", None)
        .unwrap();
    let certificate = &tls.peer_certificates().unwrap()[0];
    let end_point = Sha256::digest(certificate.as_ref());
    vec![
        ChannelBinding::new("tls-exporter", exporter.to_vec()).unwrap(),
        ChannelBinding::new("tls-server-end-point", end_point.to_vec()).unwrap(),
    ]
}

/// The `<mechanism/>` names and XEP-0440 types in the first
/// `<stream:features/>` of `transcript`.
fn offered(transcript: &[u8]) -> (Vec<String>, Option<Vec<String>>) {
    let text = String::from_utf8_lossy(transcript);
    let end = text.find("</stream:features>").unwrap();
    let features = &text[..end];
    let between = |open: &str, close: &str| -> Vec<String> {
        features
            .split(open)
            .skip(1)
            .filter_map(|rest| rest.split(close).next())
            .map(str::to_owned)
            .collect()
    };
    let mechanisms = between("<mechanism>", "</mechanism>");
    let types = features
        .contains("urn:xmpp:sasl-cb:0")
        .then(|| between("<channel-binding type='", "'"));
    (mechanisms, types)
}

/// STARTTLS required by the server: our session asks for it, the test runs
/// the rustls handshake on the same socket and hands over `bindings` of
/// it, the stream restarts over TLS, then SASL (`mechanism` expected),
/// bind, stream management, a message to ourselves and the close. Prints
/// what Prosody offered after TLS.
fn starttls_session(
    version: &'static rustls::SupportedProtocolVersion,
    with_bindings: bool,
    preference: Vec<Mechanism>,
    mechanism: Mechanism,
) {
    let Some((endpoint, ca)) = starttls_endpoint() else {
        eprintln!("CHATWIRE_PROSODY_STARTTLS is not set: run .ci/suites/42-prosody-starttls.sh");
        return;
    };
    let resource = format!("chatwire-starttls-{:?}-{mechanism}", version.version);
    let jid = Jid::new(&format!("alice@localhost/{resource}")).unwrap();
    // StartTls::Required is the default: no password before TLS.
    let mut config = ClientConfig::new(jid, "alicepw");
    config.sasl.preference = preference;
    let now = Instant::now();
    let mut client =
        ClientSession::tcp(now, config, Default::default(), Security::Plain, random()).unwrap();

    let mut conn = Conn::Tcp(tcp_socket(&endpoint));
    run_until(&mut client, &mut conn, |e| {
        matches!(e, ClientEvent::StartTls)
    });
    assert!(!client.is_tls());
    let Conn::Tcp(mut socket) = conn else {
        unreachable!()
    };
    let mut tls =
        rustls::ClientConnection::new(tls_config(&ca, version), "localhost".try_into().unwrap())
            .unwrap();
    while tls.is_handshaking() {
        tls.complete_io(&mut socket).unwrap();
    }
    let protocol = tls.protocol_version().unwrap();
    let bindings = if with_bindings {
        channel_bindings(&tls)
    } else {
        Vec::new()
    };
    client
        .handle_tls_established(Instant::now(), bindings)
        .unwrap();
    assert!(client.is_tls());

    let mut conn = Conn::Tls(Box::new(TlsConn {
        stream: rustls::StreamOwned::new(tls, socket),
        transcript: Vec::new(),
    }));
    let events = run_until(&mut client, &mut conn, |e| {
        matches!(e, ClientEvent::SmEnabled { .. })
    });
    let Conn::Tls(tls_conn) = &conn else {
        unreachable!()
    };
    let (mechanisms, types) = offered(&tls_conn.transcript);
    eprintln!(
        "prosody after STARTTLS ({protocol:?}): mechanisms {mechanisms:?}, XEP-0440 channel-binding types {types:?}; we used {mechanism}"
    );
    assert!(
        events.contains(&ClientEvent::Authenticated { mechanism }),
        "{events:?}"
    );
    let me = client.jid().unwrap().clone();
    assert_eq!(me.as_str(), format!("alice@localhost/{resource}"));

    client.send(Message::chat(me.clone(), "over tls")).unwrap();
    let events = run_until(
        &mut client,
        &mut conn,
        |e| matches!(e, ClientEvent::Stanza(AnyStanza::Message(m)) if m.body() == Some("over tls")),
    );
    assert_eq!(bodies(&events, "over tls"), 1);

    client.close().unwrap();
    let events = run_until(&mut client, &mut conn, |e| {
        matches!(e, ClientEvent::Closed(_))
    });
    assert_eq!(
        events.last(),
        Some(&ClientEvent::Closed(CloseReason::Closed))
    );
}

/// TLS 1.3 and SCRAM-SHA-1, the session holding tls-exporter and
/// tls-server-end-point data. Prosody 0.12 binds only to tls-unique, which
/// TLS 1.3 lacks, so it offers no -PLUS here: the session takes
/// SCRAM-SHA-1 with the `y` flag (RFC 5802 section 6), which Prosody
/// accepts since it supports no binding on this connection.
#[test]
#[ignore = "needs Prosody with TLS: .ci/suites/42-prosody-starttls.sh"]
fn starttls_tls13_scram_sha_1() {
    starttls_session(
        &rustls::version::TLS13,
        true,
        vec![Mechanism::ScramSha1Plus, Mechanism::ScramSha1],
        Mechanism::ScramSha1,
    );
}

/// TLS 1.2, where Prosody 0.12 binds to tls-unique and so offers
/// SCRAM-SHA-1-PLUS (without XEP-0440). rustls cannot give tls-unique, so
/// the session holds no channel-binding data and takes SCRAM-SHA-1 with
/// the `n` flag.
#[test]
#[ignore = "needs Prosody with TLS: .ci/suites/42-prosody-starttls.sh"]
fn starttls_tls12_scram_sha_1() {
    starttls_session(
        &rustls::version::TLS12,
        false,
        vec![Mechanism::ScramSha1Plus, Mechanism::ScramSha1],
        Mechanism::ScramSha1,
    );
}

/// TLS 1.3 and PLAIN: allowed once TLS is up, without the policy that
/// allows it in clear. The session holds no channel-binding data (a
/// binding-capable client does not pick PLAIN by default).
#[test]
#[ignore = "needs Prosody with TLS: .ci/suites/42-prosody-starttls.sh"]
fn starttls_tls13_plain() {
    starttls_session(
        &rustls::version::TLS13,
        false,
        vec![Mechanism::Plain],
        Mechanism::Plain,
    );
}

/// Prosody lists `<starttls><required/></starttls>` (and no mechanisms)
/// before TLS: a session told never to use STARTTLS gives up with
/// `TlsUnavailable` instead of sending a password, and closes its stream.
#[test]
#[ignore = "needs Prosody with TLS: .ci/suites/42-prosody-starttls.sh"]
fn starttls_required_by_the_server_is_not_skipped() {
    let Some((endpoint, _)) = starttls_endpoint() else {
        eprintln!("CHATWIRE_PROSODY_STARTTLS is not set: run .ci/suites/42-prosody-starttls.sh");
        return;
    };
    let jid = Jid::new("alice@localhost/chatwire-no-tls").unwrap();
    let mut config = ClientConfig::new(jid, "alicepw").with_starttls(StartTls::Disabled);
    config.sasl.allow_plain_without_tls = true;
    let mut client = ClientSession::tcp(
        Instant::now(),
        config,
        Default::default(),
        Security::Plain,
        random(),
    )
    .unwrap();
    let mut conn = Conn::Tcp(tcp_socket(&endpoint));
    let events = run_until(&mut client, &mut conn, |e| {
        matches!(e, ClientEvent::Closed(_))
    });
    assert_eq!(
        events,
        [ClientEvent::Closed(CloseReason::NegotiationFailed(
            NegotiationError::TlsUnavailable
        ))]
    );
    assert!(client.is_closed());
}

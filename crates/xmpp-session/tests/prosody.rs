//! Our client role against a real Prosody 0.12, over WebSocket (our
//! chatwire-websocket connection on a TCP socket) and over plain TCP: SCRAM-SHA-1 and PLAIN, bind, stream
//! management, a message to ourselves, and the resumption of a dropped
//! stream with a message in flight.
//!
//! Needs a running server (Prosody's TLS module is off in the throwaway
//! configuration, so STARTTLS is not exercised here);
//! `.ci/suites/41-prosody-session.sh` starts one and runs these with
//! `--ignored`. `CHATWIRE_PROSODY_WS` and `CHATWIRE_PROSODY_TCP` override
//! the endpoints.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use chatwire_sasl::Mechanism;
use chatwire_websocket::handshake::{ClientHandshake, ClientRequest};
use chatwire_websocket::{Connection, Event as WsEvent};
use chatwire_xmpp_session::{ClientConfig, ClientEvent, ClientSession, Security, StartTls};
use chatwire_xmpp_stanza::{AnyStanza, Jid, Message};

/// RFC 7395 on RFC 6455: our WebSocket connection over a TCP socket.
struct WsConn {
    socket: TcpStream,
    ws: Connection,
}

/// One connection to Prosody, either transport.
enum Conn {
    Ws(Box<WsConn>),
    Tcp(TcpStream),
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
        let socket = match conn {
            Conn::Ws(conn) => &mut conn.socket,
            Conn::Tcp(socket) => socket,
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

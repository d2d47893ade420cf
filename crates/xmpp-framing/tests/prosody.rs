//! Interop with a real Prosody: RFC 7395 with our framing on tungstenite,
//! and RFC 6120 with `TcpFraming` on a plain TCP socket.
//!
//! Needs a running server; `.ci/suites/40-prosody-framing.sh` starts one and
//! runs these with `--ignored`. `CHATWIRE_PROSODY_WS` and
//! `CHATWIRE_PROSODY_TCP` override the endpoints.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use chatwire_utf8::Utf8Bytes;
use chatwire_xmpp_framing::tcp::{self, TcpFraming};
use chatwire_xmpp_framing::websocket::{Config, WsFraming, check_selected_subprotocol};
use chatwire_xmpp_framing::{Event, Framing, StreamErrorCondition, StreamHeader};
use tungstenite::client::IntoClientRequest;
use tungstenite::http::HeaderValue;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

fn endpoint() -> String {
    std::env::var("CHATWIRE_PROSODY_WS")
        .unwrap_or_else(|_| "ws://127.0.0.1:15280/xmpp-websocket".to_owned())
}

fn connect() -> Socket {
    let mut request = endpoint().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("xmpp"));
    let (socket, response) = tungstenite::connect(request).unwrap();
    let selected = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok());
    check_selected_subprotocol(selected).unwrap();
    if let MaybeTlsStream::Plain(tcp) = socket.get_ref() {
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    }
    socket
}

/// Writes every queued framing message as one text message.
fn flush(framing: &mut WsFraming, socket: &mut Socket) {
    let mut out = String::new();
    while framing.poll_transmit(&mut out) > 0 {
        socket
            .send(Message::text(std::mem::take(&mut out)))
            .unwrap();
    }
}

/// Reads messages until the framing yields an event.
fn next_event(framing: &mut WsFraming, socket: &mut Socket) -> Event {
    loop {
        if let Some(event) = framing.poll_event() {
            return event;
        }
        match socket.read().unwrap() {
            Message::Text(text) => framing
                .handle_message(Utf8Bytes::from(text.as_str().to_owned()))
                .unwrap(),
            Message::Binary(_) => framing.handle_binary_message().unwrap(),
            _ => {}
        }
    }
}

fn expect_features(framing: &mut WsFraming, socket: &mut Socket) -> String {
    let Event::StreamOpen(header) = next_event(framing, socket) else {
        panic!("expected <open/>")
    };
    assert_eq!(header.from.as_deref(), Some("localhost"));
    assert_eq!(header.version.as_deref(), Some("1.0"));
    assert!(header.id.is_some());
    let Event::Element(features) = next_event(framing, socket) else {
        panic!("expected stream features")
    };
    assert_eq!(&*features.namespace, "http://etherx.jabber.org/streams");
    assert_eq!(&*features.local_name, "features");
    features.as_str().to_owned()
}

fn close(framing: &mut WsFraming, socket: &mut Socket) {
    framing.close().unwrap();
    flush(framing, socket);
    assert_eq!(
        next_event(framing, socket),
        Event::StreamClose {
            see_other_uri: None
        }
    );
    assert!(framing.is_closed());
    socket.close(None).unwrap();
    while socket.read().is_ok() {}
}

/// Base64 of `\0alice\0alicepw` for SASL PLAIN (RFC 4616).
const ALICE_PLAIN: &str = "AGFsaWNlAGFsaWNlcHc=";

#[test]
#[ignore = "needs Prosody: .ci/suites/40-prosody-framing.sh"]
fn open_features_close() {
    let mut socket = connect();
    let mut client = WsFraming::client(Config::new(false));
    client
        .open(&StreamHeader::new().with_to("localhost"))
        .unwrap();
    flush(&mut client, &mut socket);
    let features = expect_features(&mut client, &mut socket);
    assert!(
        features.contains("urn:ietf:params:xml:ns:xmpp-sasl"),
        "{features}"
    );
    // RFC 7395 section 3.9: no STARTTLS over WebSocket.
    assert!(
        !features.contains("urn:ietf:params:xml:ns:xmpp-tls"),
        "{features}"
    );
    close(&mut client, &mut socket);
}

#[test]
#[ignore = "needs Prosody: .ci/suites/40-prosody-framing.sh"]
fn authenticate_restart_bind_close() {
    let mut socket = connect();
    let mut client = WsFraming::client(Config::new(false));
    let header = StreamHeader::new().with_to("localhost");
    client.open(&header).unwrap();
    flush(&mut client, &mut socket);
    expect_features(&mut client, &mut socket);
    let auth = format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{ALICE_PLAIN}</auth>"
    );
    client.send(&auth).unwrap();
    flush(&mut client, &mut socket);
    let Event::Element(success) = next_event(&mut client, &mut socket) else {
        panic!("expected SASL outcome")
    };
    assert_eq!(&*success.local_name, "success", "{}", success.as_str());
    // RFC 7395 section 3.7: a new <open/>, no <close/>.
    client.restart().unwrap();
    client.open(&header).unwrap();
    flush(&mut client, &mut socket);
    let features = expect_features(&mut client, &mut socket);
    assert!(
        features.contains("urn:ietf:params:xml:ns:xmpp-bind"),
        "{features}"
    );
    client
        .send("<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>framing</resource></bind></iq>")
        .unwrap();
    flush(&mut client, &mut socket);
    let Event::Element(result) = next_event(&mut client, &mut socket) else {
        panic!("expected bind result")
    };
    assert_eq!(&*result.namespace, "jabber:client");
    assert!(
        result.as_str().contains("alice@localhost/framing"),
        "{}",
        result.as_str()
    );
    close(&mut client, &mut socket);
}

/// PEERS.md divergence: without the `xmpp` subprotocol Prosody refuses the
/// handshake (HTTP 501), as RFC 7395 section 3.1 lets it.
#[test]
#[ignore = "needs Prosody: .ci/suites/40-prosody-framing.sh"]
fn prosody_refuses_a_handshake_without_the_subprotocol() {
    let request = endpoint().into_client_request().unwrap();
    match tungstenite::connect(request) {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 501),
        Err(other) => panic!("unexpected error {other}"),
        Ok((_, response)) => {
            // Had it accepted, our client side would still refuse it.
            let selected = response
                .headers()
                .get("Sec-WebSocket-Protocol")
                .and_then(|v| v.to_str().ok());
            assert!(check_selected_subprotocol(selected).is_err());
        }
    }
}

// --- RFC 6120 over plain TCP (Prosody's c2s port, encryption not required) ---

fn tcp_endpoint() -> String {
    std::env::var("CHATWIRE_PROSODY_TCP").unwrap_or_else(|_| "127.0.0.1:15222".to_owned())
}

fn tcp_connect() -> TcpStream {
    let socket = TcpStream::connect(tcp_endpoint()).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket
}

fn tcp_flush(framing: &mut TcpFraming, socket: &mut TcpStream) {
    let mut out = String::new();
    if framing.poll_transmit(&mut out) > 0 {
        socket.write_all(out.as_bytes()).unwrap();
    }
}

/// Reads from the socket until the framing yields an event; `None` at end of file.
fn tcp_next_event(framing: &mut TcpFraming, socket: &mut TcpStream) -> Event {
    let mut buf = [0u8; 1460];
    loop {
        if let Some(event) = framing.poll_event() {
            return event;
        }
        match socket.read(&mut buf) {
            Ok(0) => framing.handle_transport_closed(),
            // A peer that has closed its socket answers what we still
            // send (our closing tag) with a reset, which may come first.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                framing.handle_transport_closed();
            }
            Ok(n) => framing.handle_input(&buf[..n]).unwrap(),
            Err(e) => panic!("{e}"),
        }
    }
}

fn tcp_expect_features(framing: &mut TcpFraming, socket: &mut TcpStream) -> String {
    let Event::StreamOpen(header) = tcp_next_event(framing, socket) else {
        panic!("expected a stream header")
    };
    assert_eq!(header.from.as_deref(), Some("localhost"));
    assert_eq!(header.content_namespace.as_deref(), Some("jabber:client"));
    assert!(header.id.is_some());
    let Event::Element(features) = tcp_next_event(framing, socket) else {
        panic!("expected stream features")
    };
    assert_eq!(&*features.local_name, "features");
    features.as_str().to_owned()
}

#[test]
#[ignore = "needs Prosody: .ci/suites/40-prosody-framing.sh"]
fn tcp_authenticate_restart_bind_close() {
    let mut socket = tcp_connect();
    let mut client = TcpFraming::client(tcp::Config::default());
    let header = StreamHeader::new().with_to("localhost");
    client.open(&header).unwrap();
    tcp_flush(&mut client, &mut socket);
    let features = tcp_expect_features(&mut client, &mut socket);
    assert!(
        features.contains("urn:ietf:params:xml:ns:xmpp-sasl"),
        "{features}"
    );
    client
        .send(&format!(
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{ALICE_PLAIN}</auth>"
        ))
        .unwrap();
    tcp_flush(&mut client, &mut socket);
    let Event::Element(success) = tcp_next_event(&mut client, &mut socket) else {
        panic!("expected SASL outcome")
    };
    assert_eq!(&*success.local_name, "success", "{}", success.as_str());
    // RFC 6120 section 6.4.6: a new stream over the same connection.
    client.restart().unwrap();
    client.open(&header).unwrap();
    tcp_flush(&mut client, &mut socket);
    let features = tcp_expect_features(&mut client, &mut socket);
    assert!(
        features.contains("urn:ietf:params:xml:ns:xmpp-bind"),
        "{features}"
    );
    client
        .send("<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>tcp</resource></bind></iq>")
        .unwrap();
    tcp_flush(&mut client, &mut socket);
    let Event::Element(result) = tcp_next_event(&mut client, &mut socket) else {
        panic!("expected bind result")
    };
    assert_eq!(&*result.namespace, "jabber:client");
    assert!(
        result.as_str().contains("alice@localhost/tcp"),
        "{}",
        result.as_str()
    );
    client.close().unwrap();
    tcp_flush(&mut client, &mut socket);
    assert_eq!(
        tcp_next_event(&mut client, &mut socket),
        Event::StreamClose {
            see_other_uri: None
        }
    );
    assert!(client.is_closed());
}

/// Prosody answers a stream error to a header it refuses, after a header of
/// its own (RFC 6120 section 4.9.1.2), and our client reads it.
#[test]
#[ignore = "needs Prosody: .ci/suites/40-prosody-framing.sh"]
fn tcp_prosody_refuses_an_unknown_host() {
    let mut socket = tcp_connect();
    let mut client = TcpFraming::client(tcp::Config::default());
    client
        .open(&StreamHeader::new().with_to("unknown.example"))
        .unwrap();
    tcp_flush(&mut client, &mut socket);
    assert!(matches!(
        tcp_next_event(&mut client, &mut socket),
        Event::StreamOpen(_)
    ));
    let Event::Element(error) = tcp_next_event(&mut client, &mut socket) else {
        panic!("expected a stream error")
    };
    assert_eq!(&*error.local_name, "error");
    assert!(
        error
            .as_str()
            .contains(StreamErrorCondition::HostUnknown.as_str()),
        "{}",
        error.as_str()
    );
    // Prosody closes the stream and the connection.
    loop {
        match tcp_next_event(&mut client, &mut socket) {
            Event::TransportClosed { .. } => break,
            // Our answering </stream:stream> was queued; send it.
            Event::StreamClose { .. } => tcp_flush(&mut client, &mut socket),
            other => panic!("{other:?}"),
        }
    }
    assert!(Framing::is_closed(&client));
}

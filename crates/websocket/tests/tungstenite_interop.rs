//! Interoperability with an independent implementation, tungstenite, over
//! loopback TCP: its client against our server, our client against its server.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Instant;

use chatwire_websocket::handshake::{
    Accept, ClientHandshake, ClientRequest, HandshakeLimits, parse_request,
};
use chatwire_websocket::{CloseCode, CloseFrame, Config, Connection, Event, State};
use tungstenite::Message;

/// Runs our side of an open connection: echoes data messages until closed; returns every event.
fn drive(
    stream: &mut TcpStream,
    conn: &mut Connection,
    mut input: Vec<u8>,
    echo: bool,
) -> Vec<Event> {
    let mut seen = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut out = Vec::new();
    loop {
        if !input.is_empty() {
            conn.handle_input(Instant::now(), &input).unwrap();
            input.clear();
        }
        while let Some(event) = conn.poll_event() {
            if echo {
                match &event {
                    Event::Text(t) => conn.send_text(t.as_str()).unwrap(),
                    Event::Binary(b) => conn.send_binary(b).unwrap(),
                    _ => {}
                }
            }
            seen.push(event);
        }
        out.clear();
        conn.poll_transmit(&mut out);
        stream.write_all(&out).unwrap();
        if conn.state() == State::Closed {
            return seen;
        }
        let n = stream.read(&mut buf).unwrap();
        if n == 0 {
            return seen;
        }
        input.extend_from_slice(&buf[..n]);
    }
}

fn big_binary() -> Vec<u8> {
    (0..300_000u32).map(|i| (i * 7 % 256) as u8).collect()
}

#[test]
fn tungstenite_client_against_our_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        let (request, used) = loop {
            let n = stream.read(&mut buf).unwrap();
            head.extend_from_slice(&buf[..n]);
            if let Some(done) = parse_request(&head, &HandshakeLimits::default()).unwrap() {
                break done;
            }
        };
        assert!(request.offers_protocol("xmpp"));
        let mut out = Vec::new();
        request
            .write_accept(&Accept::new().with_protocol("xmpp"), &mut out)
            .unwrap();
        stream.write_all(&out).unwrap();
        let mut conn = Connection::server(Instant::now(), Config::default());
        drive(&mut stream, &mut conn, head.split_off(used), true)
    });

    let mut request =
        tungstenite::client::IntoClientRequest::into_client_request(format!("ws://{addr}/xmpp"))
            .unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "xmpp".parse().unwrap());
    let (mut ws, response) =
        tungstenite::client(request, TcpStream::connect(addr).unwrap()).unwrap();
    assert_eq!(
        response.headers().get("Sec-WebSocket-Protocol").unwrap(),
        "xmpp"
    );

    ws.send(Message::text("héllo")).unwrap();
    assert_eq!(ws.read().unwrap(), Message::text("héllo"));
    ws.send(Message::binary(big_binary())).unwrap();
    assert_eq!(ws.read().unwrap(), Message::binary(big_binary()));
    ws.send(Message::Ping("are you there".into())).unwrap();
    assert_eq!(ws.read().unwrap(), Message::Pong("are you there".into()));
    ws.close(Some(tungstenite::protocol::CloseFrame {
        code: tungstenite::protocol::frame::coding::CloseCode::Normal,
        reason: "bye".into(),
    }))
    .unwrap();
    loop {
        match ws.read() {
            Ok(Message::Close(Some(frame))) => assert_eq!(u16::from(frame.code), 1000),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("{e}"),
        }
    }

    let events = server.join().unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(events[2], Event::Ping("are you there".into()));
    assert_eq!(
        events[3],
        Event::Close(Some(CloseFrame {
            code: CloseCode::NORMAL,
            reason: "bye".into()
        }))
    );
}

#[test]
fn our_client_against_a_tungstenite_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut ws = tungstenite::accept(stream).unwrap();
        let mut received = Vec::new();
        loop {
            match ws.read() {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                    received.push(message.clone());
                    ws.send(message).unwrap();
                }
                Ok(_) => {}
                Err(tungstenite::Error::ConnectionClosed) => return received,
                Err(e) => panic!("{e}"),
            }
        }
    });

    let mut stream = TcpStream::connect(addr).unwrap();
    let mut out = Vec::new();
    let request = ClientRequest::new(addr.to_string(), "/");
    let handshake = ClientHandshake::new(&request, *b"0123456789abcdef", &mut out).unwrap();
    stream.write_all(&out).unwrap();
    let mut input = Vec::new();
    let mut buf = [0u8; 1024];
    let used = loop {
        let n = stream.read(&mut buf).unwrap();
        input.extend_from_slice(&buf[..n]);
        if let Some((_, used)) = handshake.handle_response(&input).unwrap() {
            break used;
        }
    };
    let leftover = input.split_off(used);
    assert!(leftover.is_empty());

    let mut n = 0u32;
    let mut conn = Connection::client(Instant::now(), Config::default(), move || {
        n = n.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        n.to_be_bytes()
    });
    conn.send_text("κόσμε").unwrap();
    conn.send_binary(&big_binary()).unwrap();
    conn.ping(b"p").unwrap();
    conn.close(Instant::now(), CloseCode::NORMAL, "done")
        .unwrap();
    let events = drive(&mut stream, &mut conn, Vec::new(), false);
    assert_eq!(
        events,
        [
            Event::Text("κόσμε".into()),
            Event::Binary(big_binary().into()),
            Event::Pong("p".into()),
            Event::Close(Some(CloseFrame {
                code: CloseCode::NORMAL,
                reason: "done".into()
            })),
        ]
    );
    drop(stream);
    let received = server.join().unwrap();
    assert_eq!(
        received,
        [Message::text("κόσμε"), Message::binary(big_binary())]
    );
}

//! Garbage anywhere: a recorded TCP negotiation (STARTTLS, SCRAM-SHA-256-PLUS,
//! bind, stream management, stanzas, close) replayed to fresh sessions
//! with one byte changed at every position. No input may panic, a session
//! ends at most once, and its end is its last event.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

mod common;

use std::time::Instant;

use chatwire_sasl::Mechanism;
use chatwire_xmpp_session::{
    BindDecision, ClientEvent, ClientSession, Security, ServerEvent, ServerSession,
};
use chatwire_xmpp_stanza::{Jid, Message};
use common::{Pair, Wire, configs};

/// What each side sent in a full run, as one byte string per direction.
fn transcript() -> (Vec<u8>, Vec<u8>) {
    let (server, client) = configs(Wire::TcpStartTls, Mechanism::ScramSha256Plus);
    let mut pair = Pair::new(Wire::TcpStartTls, server, client);
    pair.run();
    assert!(pair.client_ready().is_some());
    pair.client
        .send(Message::chat(Jid::new("romeo@example.net").unwrap(), "hi"))
        .unwrap();
    pair.client.request_ack().unwrap();
    pair.run();
    pair.client.close().unwrap();
    pair.run();
    (
        pair.log.to_server.concat().into_bytes(),
        pair.log.to_client.concat().into_bytes(),
    )
}

/// An answer to a question the session asked is taken, unless the session
/// ended since (a later part of the same input broke the stream).
fn answered(server: &ServerSession, answer: Result<(), chatwire_xmpp_session::Error>) {
    assert!(
        answer.is_ok()
            || (server.is_closed() && answer == Err(chatwire_xmpp_session::Error::Closed)),
        "{answer:?}"
    );
}

fn replay_to_server(input: &[u8]) {
    let (config, _) = configs(Wire::TcpStartTls, Mechanism::ScramSha256Plus);
    let now = Instant::now();
    let mut server = ServerSession::tcp(
        now,
        config,
        Default::default(),
        Security::Plain,
        common::random(1),
    );
    let mut events = Vec::new();
    let mut out = String::new();
    // Feed in pieces, answering the server's questions between them.
    for piece in input.chunks(64) {
        if server.handle_input(now, piece).is_err() {
            break;
        }
        while let Some(event) = server.poll_event() {
            match &event {
                ServerEvent::StartTls => {
                    let binding = common::binding(b"exported keying material");
                    let answer = server.handle_tls_established(now, vec![binding]);
                    answered(&server, answer);
                }
                ServerEvent::NeedCredentials { username, .. } => {
                    let stored = common::stored();
                    let found = (username == common::USER).then_some(&stored);
                    let answer = server.handle_credentials(now, found);
                    answered(&server, answer);
                }
                ServerEvent::BindRequested { resource } => {
                    // A resource the session let through is valid.
                    let resource = resource.clone().unwrap_or_else(|| "r".to_owned());
                    let answer = server.handle_bind(now, BindDecision::Bind(resource));
                    answered(&server, answer);
                }
                ServerEvent::ResumeRequested { .. } => {
                    let answer = server.handle_resume(now, None);
                    answered(&server, answer);
                }
                _ => {}
            }
            events.push(event);
        }
        server.poll_transmit(&mut out);
    }
    let closes = events
        .iter()
        .filter(|e| matches!(e, ServerEvent::Closed(_)))
        .count();
    assert!(closes <= 1, "{events:?}");
    if closes == 1 {
        assert!(
            matches!(events.last(), Some(ServerEvent::Closed(_))),
            "{events:?}"
        );
        assert!(server.is_closed());
    }
}

fn replay_to_client(input: &[u8]) {
    let (_, config) = configs(Wire::TcpStartTls, Mechanism::ScramSha256Plus);
    let now = Instant::now();
    let mut client = ClientSession::tcp(
        now,
        config,
        Default::default(),
        Security::Plain,
        common::random(2),
    )
    .unwrap();
    let mut events = Vec::new();
    let mut out = String::new();
    for piece in input.chunks(64) {
        if client.handle_input(now, piece).is_err() {
            break;
        }
        while let Some(event) = client.poll_event() {
            if event == ClientEvent::StartTls {
                let _ = client.handle_tls_established(
                    now,
                    vec![common::binding(b"exported keying material")],
                );
            }
            events.push(event);
        }
        client.poll_transmit(&mut out);
    }
    let closes = events
        .iter()
        .filter(|e| matches!(e, ClientEvent::Closed(_)))
        .count();
    assert!(closes <= 1, "{events:?}");
    if closes == 1 {
        assert!(
            matches!(events.last(), Some(ClientEvent::Closed(_))),
            "{events:?}"
        );
    }
}

#[test]
fn the_unchanged_transcript_replays() {
    let (to_server, to_client) = transcript();
    replay_to_server(&to_server);
    replay_to_client(&to_client);
}

#[test]
fn one_byte_changed_anywhere_to_the_server() {
    let (to_server, _) = transcript();
    for position in 0..to_server.len() {
        for byte in [b'<', b'\'', b'x', 0xc3] {
            let mut input = to_server.clone();
            input[position] = byte;
            replay_to_server(&input);
        }
    }
}

#[test]
fn one_byte_changed_anywhere_to_the_client() {
    let (_, to_client) = transcript();
    for position in 0..to_client.len() {
        for byte in [b'<', b'\'', b'x', 0xc3] {
            let mut input = to_client.clone();
            input[position] = byte;
            replay_to_client(&input);
        }
    }
}

/// Cut short anywhere: a session left waiting is not ended by itself.
#[test]
fn truncated_anywhere() {
    let (to_server, to_client) = transcript();
    for end in 0..to_server.len() {
        replay_to_server(&to_server[..end]);
    }
    for end in 0..to_client.len() {
        replay_to_client(&to_client[..end]);
    }
}

/// Writes seeds for the `session_server` and `session_client` fuzz
/// targets (in their input format: a selector byte, then the recorded
/// pieces separated by 0xFF) under `CHATWIRE_FUZZ_SEEDS`, e.g.
/// `fuzz/seeds`.
#[test]
#[ignore = "writes files: CHATWIRE_FUZZ_SEEDS=fuzz/seeds"]
fn write_fuzz_seeds() {
    let Ok(dir) = std::env::var("CHATWIRE_FUZZ_SEEDS") else {
        return;
    };
    // Selector bits: 1 TCP, 2 STARTTLS required, 4 TLS from the start.
    let runs = [
        ("ws-plain", Wire::Wss, Mechanism::Plain, 4u8),
        (
            "ws-scram-sha-256-plus",
            Wire::Wss,
            Mechanism::ScramSha256Plus,
            4,
        ),
        ("tcp-starttls-plain", Wire::TcpStartTls, Mechanism::Plain, 3),
        (
            "tcp-starttls-scram-sha-1",
            Wire::TcpStartTls,
            Mechanism::ScramSha1,
            3,
        ),
        ("tcp-plain-plain", Wire::TcpPlain, Mechanism::Plain, 1),
    ];
    for (name, wire, mechanism, selector) in runs {
        let (server, client) = configs(wire, mechanism);
        let mut pair = Pair::new(wire, server, client);
        pair.run();
        pair.client
            .send(Message::chat(Jid::new("romeo@example.net").unwrap(), "hi"))
            .unwrap();
        pair.client.request_ack().unwrap();
        pair.server.request_ack().unwrap();
        pair.run();
        pair.client.close().unwrap();
        pair.run();
        for (target, pieces) in [
            ("session_server", &pair.log.to_server),
            ("session_client", &pair.log.to_client),
        ] {
            let mut seed = vec![selector];
            for (i, piece) in pieces.iter().enumerate() {
                if i > 0 {
                    seed.push(0xff);
                }
                seed.extend_from_slice(piece.as_bytes());
            }
            let path = std::path::Path::new(&dir).join(target);
            std::fs::create_dir_all(&path).unwrap();
            std::fs::write(path.join(name), seed).unwrap();
        }
    }
}

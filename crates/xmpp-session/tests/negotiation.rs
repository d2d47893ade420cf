//! Our client against our server, in memory: every mechanism on every
//! transport, with and without STARTTLS, inputs split at every byte, then
//! stanzas both ways and a graceful close.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

mod common;

use chatwire_sasl::Mechanism;
use chatwire_xmpp_session::{
    BindDecision, ClientEvent, CloseReason, NegotiationError, ServerEvent,
};
use chatwire_xmpp_stanza::{Jid, Message, StanzaError, StanzaErrorCondition};
use common::{Pair, Split, Wire, configs};

const MECHANISMS: [Mechanism; 7] = [
    Mechanism::Plain,
    Mechanism::ScramSha1,
    Mechanism::ScramSha256,
    Mechanism::ScramSha512,
    Mechanism::ScramSha1Plus,
    Mechanism::ScramSha256Plus,
    Mechanism::ScramSha512Plus,
];

/// Negotiates, exchanges a message each way, closes; checks every step.
fn full_run(wire: Wire, mechanism: Mechanism, split: Split) {
    let (server, client) = configs(wire, mechanism);
    let mut pair = Pair::new(wire, server, client);
    pair.split = split;
    pair.run();
    let context = format!("{wire:?} {mechanism} {split:?}");
    assert_eq!(
        pair.client_mechanism(),
        Some(mechanism),
        "{context}: {:?}",
        pair.log
    );
    let full = Jid::new("juliet@example.com/balcony").unwrap();
    assert_eq!(pair.client_ready(), Some(&full), "{context}");
    assert_eq!(pair.server_ready(), Some(&full), "{context}");
    assert!(
        pair.server.is_tls() == (wire != Wire::TcpPlain),
        "{context}"
    );
    let starttls = pair.log.client.contains(&ClientEvent::StartTls);
    assert_eq!(starttls, wire == Wire::TcpStartTls, "{context}");

    // A stanza each way; the server stamps `from`.
    let romeo = Jid::new("romeo@example.net").unwrap();
    pair.client
        .send(Message::chat(romeo.clone(), "hi"))
        .unwrap();
    pair.run();
    let received = pair.log.server.iter().find_map(|e| match e {
        ServerEvent::Stanza(chatwire_xmpp_stanza::AnyStanza::Message(m)) => Some(m.clone()),
        _ => None,
    });
    let received = received.unwrap_or_else(|| panic!("{context}: {:?}", pair.log));
    assert_eq!(received.from.as_ref(), Some(&full), "{context}");
    assert_eq!(received.to.as_ref(), Some(&romeo));
    assert_eq!(received.body(), Some("hi"));

    let mut reply = Message::chat(full.clone(), "hello");
    reply.from = Some(romeo.clone());
    pair.server.send(reply.clone()).unwrap();
    pair.run();
    assert!(
        pair.log.client.contains(&ClientEvent::Stanza(
            chatwire_xmpp_stanza::AnyStanza::Message(reply)
        )),
        "{context}"
    );

    pair.client.close().unwrap();
    pair.run();
    assert_eq!(
        pair.log.server.last(),
        Some(&ServerEvent::Closed(CloseReason::Closed)),
        "{context}"
    );
    assert_eq!(
        pair.log.client.last(),
        Some(&ClientEvent::Closed(CloseReason::Closed)),
        "{context}"
    );
    assert!(pair.client.is_closed() && pair.server.is_closed());
}

#[test]
fn every_mechanism_over_websocket() {
    for mechanism in MECHANISMS {
        full_run(Wire::Wss, mechanism, Split::Whole);
    }
}

#[test]
fn every_mechanism_over_tcp_with_starttls() {
    for mechanism in MECHANISMS {
        full_run(Wire::TcpStartTls, mechanism, Split::Whole);
    }
}

#[test]
fn scram_and_plain_over_tcp_without_tls() {
    for mechanism in [
        Mechanism::Plain,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
        Mechanism::ScramSha512,
    ] {
        full_run(Wire::TcpPlain, mechanism, Split::Whole);
    }
}

/// Every mechanism over TCP with each side's input handed over one byte
/// at a time, so that every byte boundary is a split point (WebSocket input
/// arrives as whole messages by design: the websocket crate reassembles
/// them).
#[test]
fn tcp_input_one_byte_at_a_time() {
    for mechanism in MECHANISMS {
        full_run(Wire::TcpStartTls, mechanism, Split::EveryByte);
        if !matches!(
            mechanism,
            Mechanism::ScramSha1Plus | Mechanism::ScramSha256Plus | Mechanism::ScramSha512Plus
        ) {
            full_run(Wire::TcpPlain, mechanism, Split::EveryByte);
        }
    }
}

/// Every transfer of a STARTTLS + SCRAM-SHA-256-PLUS negotiation (and of
/// the stanzas and close after it) cut in two at every byte offset up to
/// the longest transfer.
#[test]
fn tcp_every_split_point() {
    let (server, client) = configs(Wire::TcpStartTls, Mechanism::ScramSha256Plus);
    let mut probe = Pair::new(Wire::TcpStartTls, server, client);
    probe.run();
    let longest = probe
        .log
        .to_server
        .iter()
        .chain(&probe.log.to_client)
        .map(String::len)
        .max()
        .unwrap();
    for at in 1..longest {
        full_run(Wire::TcpStartTls, Mechanism::ScramSha256Plus, Split::At(at));
    }
}

/// The default client policy picks the strongest mechanism on offer: with
/// channel binding, SCRAM-SHA-512-PLUS.
#[test]
fn default_preference_binds_the_channel() {
    for wire in [Wire::Wss, Wire::TcpStartTls] {
        let (server, mut client) = configs(wire, Mechanism::Plain);
        let server = server.with_mechanisms(common::server_config().mechanisms);
        client.sasl.preference = Mechanism::DEFAULT_PREFERENCE.to_vec();
        let mut pair = Pair::new(wire, server, client);
        pair.run();
        assert_eq!(pair.client_mechanism(), Some(Mechanism::ScramSha512Plus));
        assert!(pair.client_ready().is_some());
    }
}

/// RFC 6120 section 7.6: a client that asks for no resource gets the one
/// the server (here, the caller) assigns.
#[test]
fn server_assigned_resource() {
    let (server, _) = configs(Wire::Wss, Mechanism::ScramSha256);
    let mut client = common::client_config("juliet@example.com", common::PASSWORD);
    client.sasl.preference = vec![Mechanism::ScramSha256];
    let mut pair = Pair::new(Wire::Wss, server, client);
    pair.assigned_resource = "3f9a".to_owned();
    pair.run();
    assert!(
        pair.log
            .server
            .contains(&ServerEvent::BindRequested { resource: None })
    );
    let jid = Jid::new("juliet@example.com/3f9a").unwrap();
    assert_eq!(pair.client_ready(), Some(&jid));
    assert_eq!(pair.server.jid(), Some(&jid));
    assert_eq!(pair.client.jid(), Some(&jid));
}

/// RFC 6120 section 7.7.2.2: on a conflict the server may bind another
/// resource than the one asked for.
#[test]
fn conflict_resolved_with_another_resource() {
    let (server, client) = configs(Wire::TcpPlain, Mechanism::ScramSha1);
    let mut pair = Pair::new(Wire::TcpPlain, server, client);
    pair.bind_decision = Some(BindDecision::Bind("balcony-2".to_owned()));
    pair.run();
    let jid = Jid::new("juliet@example.com/balcony-2").unwrap();
    assert_eq!(pair.client_ready(), Some(&jid));
    assert_eq!(pair.server_ready(), Some(&jid));
}

/// RFC 6120 section 7.7.2.2: or refuse the new session with `conflict`.
#[test]
fn conflict_refused() {
    let (server, client) = configs(Wire::Wss, Mechanism::ScramSha1);
    let mut pair = Pair::new(Wire::Wss, server, client);
    let mut conflict = StanzaError::new(StanzaErrorCondition::Conflict);
    conflict.kind = chatwire_xmpp_stanza::StanzaErrorType::Cancel;
    pair.bind_decision = Some(BindDecision::Refuse(conflict.clone()));
    pair.run();
    assert_eq!(pair.client_ready(), None);
    assert!(
        pair.log
            .to_client
            .iter()
            .any(|m| m.contains("<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>")),
        "{:?}",
        pair.log.to_client
    );
    assert_eq!(
        pair.log.client.last(),
        Some(&ClientEvent::Closed(CloseReason::NegotiationFailed(
            NegotiationError::BindRefused(conflict)
        )))
    );
}

/// Stream ids come from the caller's random source, fresh for each stream.
#[test]
fn each_stream_has_its_own_id() {
    let (server, client) = configs(Wire::TcpStartTls, Mechanism::ScramSha256);
    let mut pair = Pair::new(Wire::TcpStartTls, server, client);
    pair.run();
    let ids: Vec<&str> = pair
        .log
        .to_client
        .iter()
        .filter_map(|m| m.split(" id=\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(ids.len(), 3, "{:?}", pair.log.to_client);
    assert!(ids.iter().all(|id| id.len() == 32));
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
}

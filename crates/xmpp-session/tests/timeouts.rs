//! A peer that goes silent once the session is ready: an `<r/>` left
//! unanswered ends the stream with `connection-timeout` (the stanzas it
//! did not acknowledge stay with the caller), and a `close()` the peer
//! never answers ends the session after the close timeout.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

mod common;

use std::time::Duration;

use chatwire_sasl::Mechanism;
use chatwire_xmpp_framing::StreamErrorCondition;
use chatwire_xmpp_session::{ClientEvent, CloseReason, ServerEvent, SmConfig};
use chatwire_xmpp_stanza::{Jid, Message};
use common::{Pair, Wire, configs, later};

const TIMEOUT_XML: &str = r#"<connection-timeout xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>"#;

fn ready_pair(wire: Wire, sm: SmConfig) -> Pair {
    let (server, client) = configs(wire, Mechanism::ScramSha256);
    let mut pair = Pair::new(wire, server.with_sm(sm), client.with_sm(sm));
    pair.run();
    assert!(pair.client_ready().is_some(), "{:?}", pair.log);
    pair
}

/// Asks for an acknowledgement after every stanza, never on time, and
/// gives up on an answer after 20 s.
fn eager() -> SmConfig {
    SmConfig::default()
        .with_requests(1, None)
        .with_ack_timeout(Some(Duration::from_secs(20)))
}

fn to_juliet(body: &str) -> Message {
    let mut message = Message::chat(Jid::new("juliet@example.com/balcony").unwrap(), body);
    message.from = Some(Jid::new("romeo@example.net/orchard").unwrap());
    message
}

fn server_output(pair: &mut Pair) -> String {
    let mut all = String::new();
    let mut out = String::new();
    while pair.server.poll_transmit(&mut out) > 0 {
        all.push_str(&out);
        out.clear();
    }
    all
}

fn client_output(pair: &mut Pair) -> String {
    let mut all = String::new();
    let mut out = String::new();
    while pair.client.poll_transmit(&mut out) > 0 {
        all.push_str(&out);
        out.clear();
    }
    all
}

#[test]
fn the_server_gives_up_on_a_client_that_never_acknowledges() {
    for wire in [Wire::Wss, Wire::TcpStartTls] {
        let mut pair = ready_pair(wire, eager());
        pair.server.send(to_juliet("are you there?")).unwrap();
        // The client has gone silent: what the server sends is never read.
        let sent = server_output(&mut pair);
        assert!(sent.contains("<r xmlns='urn:xmpp:sm:3'/>"), "{sent}");
        let due = later(pair.now, 20);
        assert_eq!(pair.server.poll_timeout(), Some(due));

        pair.server.handle_timeout(later(pair.now, 19));
        assert_eq!(server_output(&mut pair), "");
        pair.server.handle_timeout(due);
        let sent = server_output(&mut pair);
        assert!(sent.contains(TIMEOUT_XML), "{wire:?}: {sent}");
        let mut events = Vec::new();
        while let Some(event) = pair.server.poll_event() {
            events.push(event);
        }
        assert_eq!(
            events,
            vec![ServerEvent::Closed(CloseReason::SentStreamError(
                StreamErrorCondition::ConnectionTimeout
            ))]
        );
        // The message waits for a resumption or for offline storage.
        let unacked = pair.server.take_unacked();
        assert_eq!(unacked.len(), 1, "{wire:?}");
    }
}

#[test]
fn the_client_gives_up_on_a_server_that_never_acknowledges() {
    for wire in [Wire::Wss, Wire::TcpStartTls] {
        let mut pair = ready_pair(wire, eager());
        pair.client
            .send(Message::chat(
                Jid::new("romeo@example.net").unwrap(),
                "hello?",
            ))
            .unwrap();
        let sent = client_output(&mut pair);
        assert!(sent.contains("<r xmlns='urn:xmpp:sm:3'/>"), "{sent}");
        let due = later(pair.now, 20);
        assert_eq!(pair.client.poll_timeout(), Some(due));
        pair.client.handle_timeout(due);
        let sent = client_output(&mut pair);
        assert!(sent.contains(TIMEOUT_XML), "{wire:?}: {sent}");
        let mut closed = None;
        while let Some(event) = pair.client.poll_event() {
            if let ClientEvent::Closed(reason) = event {
                closed = Some(reason);
            }
        }
        assert_eq!(
            closed,
            Some(CloseReason::SentStreamError(
                StreamErrorCondition::ConnectionTimeout
            ))
        );
        assert_eq!(pair.client.take_unacked().len(), 1, "{wire:?}");
    }
}

#[test]
fn an_answered_request_stops_the_clock() {
    let mut pair = ready_pair(Wire::Wss, eager());
    pair.server.send(to_juliet("one")).unwrap();
    pair.run();
    assert_eq!(pair.server.sm().unwrap().unacked().count(), 0);
    assert_eq!(pair.server.poll_timeout(), None);
    pair.server.handle_timeout(later(pair.now, 3600));
    assert!(!pair.server.is_closed());
}

#[test]
fn a_close_the_peer_never_answers_ends_the_session() {
    for wire in [Wire::Wss, Wire::TcpStartTls] {
        let mut pair = ready_pair(wire, SmConfig::disabled());
        pair.server.close().unwrap();
        let _ = server_output(&mut pair);
        let due = later(pair.now, 10);
        assert_eq!(pair.server.poll_timeout(), Some(due));
        pair.server.handle_timeout(later(pair.now, 9));
        assert!(pair.server.poll_event().is_none());
        pair.server.handle_timeout(due);
        assert_eq!(
            pair.server.poll_event(),
            Some(ServerEvent::Closed(CloseReason::CloseTimedOut))
        );
        assert_eq!(pair.server.poll_timeout(), None);

        pair.client.close().unwrap();
        let _ = client_output(&mut pair);
        assert_eq!(pair.client.poll_timeout(), Some(due));
        pair.client.handle_timeout(due);
        let mut closed = None;
        while let Some(event) = pair.client.poll_event() {
            if let ClientEvent::Closed(reason) = event {
                closed = Some(reason);
            }
        }
        assert_eq!(closed, Some(CloseReason::CloseTimedOut), "{wire:?}");
    }
}

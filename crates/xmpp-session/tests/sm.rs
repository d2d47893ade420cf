//! XEP-0198 between our client and our server, in memory: enabling,
//! acknowledgements counting stanzas only, requests after N stanzas or T
//! seconds, and resumption after a connection drop in which every stanza
//! in flight arrives exactly once or comes back as unacknowledged.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

mod common;

use chatwire_sasl::Mechanism;
use chatwire_xmpp_session::{ClientEvent, ServerEvent, SmConfig};
use chatwire_xmpp_stanza::{AnyStanza, Element, Jid, Message};
use common::{Pair, Wire, configs, later};

fn jid() -> Jid {
    Jid::new("juliet@example.com/balcony").unwrap()
}

fn to_romeo(body: &str) -> Message {
    Message::chat(Jid::new("romeo@example.net").unwrap(), body)
}

fn to_juliet(body: &str) -> Message {
    let mut message = Message::chat(jid(), body);
    message.from = Some(Jid::new("romeo@example.net/orchard").unwrap());
    message
}

fn ready_pair(wire: Wire, sm: SmConfig) -> Pair {
    let (server, client) = configs(wire, Mechanism::ScramSha256);
    let mut pair = Pair::new(wire, server.with_sm(sm), client.with_sm(sm));
    pair.run();
    assert_eq!(pair.client_ready(), Some(&jid()), "{:?}", pair.log);
    pair
}

fn bodies(stanzas: &[AnyStanza]) -> Vec<String> {
    stanzas
        .iter()
        .filter_map(|s| match s {
            AnyStanza::Message(m) => m.body().map(str::to_owned),
            _ => None,
        })
        .collect()
}

#[test]
fn enable_and_acknowledge_both_ways() {
    for wire in [Wire::Wss, Wire::TcpStartTls] {
        let mut pair = ready_pair(wire, SmConfig::default());
        let id = pair.log.server.iter().find_map(|e| match e {
            ServerEvent::SmEnabled { id } => id.clone(),
            _ => None,
        });
        assert!(id.is_some(), "{:?}", pair.log.server);
        assert!(pair.log.client.contains(&ClientEvent::SmEnabled {
            id: id.clone(),
            location: None
        }));
        assert!(pair.client.sm().unwrap().is_resumable());

        for body in ["1", "2", "3"] {
            pair.client.send(to_romeo(body)).unwrap();
        }
        pair.server.send(to_juliet("a")).unwrap();
        pair.server.send(to_juliet("b")).unwrap();
        pair.run();
        assert_eq!(pair.client.sm().unwrap().unacked().count(), 3);
        pair.client.request_ack().unwrap();
        pair.server.request_ack().unwrap();
        pair.run();
        // Only stanzas count: the <enable/>, <r/> and <a/> do not.
        assert_eq!(pair.server.sm().unwrap().handled(), 3);
        assert_eq!(pair.client.sm().unwrap().handled(), 2);
        assert_eq!(pair.client.sm().unwrap().acked(), 3);
        assert_eq!(pair.server.sm().unwrap().acked(), 2);
        assert_eq!(pair.client.sm().unwrap().unacked().count(), 0);
        assert_eq!(pair.server.sm().unwrap().unacked().count(), 0);
        assert!(
            pair.log
                .to_client
                .iter()
                .any(|m| m.contains("<a xmlns='urn:xmpp:sm:3' h='3'/>")),
            "{:?}",
            pair.log.to_client
        );
    }
}

/// A client that closes its stream acknowledges first: the server ends
/// with nothing unacknowledged, so it has nothing to deliver again (to
/// another resource, or from offline storage at the next login).
#[test]
fn client_acknowledges_before_closing() {
    for wire in [Wire::Wss, Wire::TcpStartTls] {
        let quiet = SmConfig::default().with_requests(0, None);
        let mut pair = ready_pair(wire, quiet);
        pair.server.send(to_juliet("a")).unwrap();
        pair.server.send(to_juliet("b")).unwrap();
        pair.run();
        assert_eq!(pair.server.sm().unwrap().unacked().count(), 2);
        let before = pair.log.to_server.len();
        pair.client.close().unwrap();
        pair.run();
        let sent = pair.log.to_server[before..].join("");
        let ack = sent.find("<a xmlns='urn:xmpp:sm:3' h='2'/>");
        let close = sent
            .find("</stream:stream>")
            .or_else(|| sent.find("<close "));
        assert!(
            ack.is_some() && ack < close,
            "no <a h='2'/> before the close: {sent}"
        );
        assert_eq!(pair.server.sm().unwrap().acked(), 2, "{wire:?}");
        assert_eq!(pair.server.sm().unwrap().unacked().count(), 0);
    }
}

#[test]
fn request_after_n_stanzas() {
    let sm = SmConfig::default().with_requests(2, None);
    let mut pair = ready_pair(Wire::Wss, sm);
    pair.server.send(to_juliet("a")).unwrap();
    pair.run();
    assert!(!pair.log.to_client.iter().any(|m| m.starts_with("<r ")));
    pair.server.send(to_juliet("b")).unwrap();
    pair.run();
    assert!(
        pair.log
            .to_client
            .iter()
            .any(|m| m == "<r xmlns='urn:xmpp:sm:3'/>")
    );
    assert!(
        pair.log
            .to_server
            .iter()
            .any(|m| m == "<a xmlns='urn:xmpp:sm:3' h='2'/>")
    );
    assert_eq!(pair.server.sm().unwrap().unacked().count(), 0);
}

/// A burst sent while an `<r/>` is out: when the answer comes, the stanzas
/// sent since are asked about at once, so that the burst is acknowledged
/// without waiting for another stanza or the timer (a client that then
/// closes without acknowledging leaves nothing to deliver again).
#[test]
fn a_burst_is_acknowledged_without_waiting() {
    for wire in [Wire::Wss, Wire::TcpStartTls] {
        let config = SmConfig::default().with_requests(5, None);
        let mut pair = ready_pair(wire, config);
        let body_of = |i: usize| i.to_string();
        for i in 0..23 {
            pair.server.send(to_juliet(&body_of(i))).unwrap();
            pair.client.send(to_romeo(&body_of(i))).unwrap();
        }
        pair.run();
        assert_eq!(pair.server.sm().unwrap().acked(), 23, "{wire:?}");
        assert_eq!(pair.client.sm().unwrap().acked(), 23, "{wire:?}");
        assert_eq!(pair.server.sm().unwrap().unacked().count(), 0);
        assert_eq!(pair.client.sm().unwrap().unacked().count(), 0);
    }
}

#[test]
fn request_after_time() {
    let sm = SmConfig::default().with_requests(0, Some(std::time::Duration::from_secs(10)));
    let mut pair = ready_pair(Wire::TcpStartTls, sm);
    assert_eq!(pair.client.poll_timeout(), None);
    pair.client.send(to_romeo("1")).unwrap();
    let due = later(pair.now, 10);
    assert_eq!(pair.client.poll_timeout(), Some(due));
    pair.client.handle_timeout(later(pair.now, 9));
    pair.run();
    assert_eq!(pair.client.sm().unwrap().unacked().count(), 1);
    pair.client.handle_timeout(due);
    pair.run();
    assert_eq!(pair.client.sm().unwrap().unacked().count(), 0);
    assert_eq!(pair.client.poll_timeout(), None);
}

/// The connection drops with a stanza in flight each way; the new
/// connection resumes, and each side gets the lost stanza exactly once.
#[test]
fn resume_after_a_drop() {
    for wire in [Wire::Wss, Wire::TcpStartTls] {
        let mut old = ready_pair(wire, SmConfig::default());
        old.client.send(to_romeo("delivered")).unwrap();
        old.server.send(to_juliet("delivered")).unwrap();
        old.run();
        old.client.send(to_romeo("in flight")).unwrap();
        old.server.send(to_juliet("in flight")).unwrap();
        old.lose_in_flight();
        old.client.handle_transport_closed(old.now);
        old.server.handle_transport_closed(old.now);
        let for_client = old.client.detach().unwrap();
        let for_server = old.server.detach().unwrap();
        assert_eq!(for_client.state.unacked().count(), 2);
        assert_eq!(for_server.state.unacked().count(), 2);
        assert_eq!(bodies(&old.server_stanzas()), ["delivered"]);

        let (server, client) = configs(wire, Mechanism::ScramSha256);
        let mut new = Pair::new(wire, server, client);
        new.client.resume(for_client).unwrap();
        new.detached.push(for_server);
        new.run();
        assert!(
            new.log
                .client
                .contains(&ClientEvent::Resumed { jid: jid() })
        );
        assert!(
            new.log
                .server
                .contains(&ServerEvent::Resumed { jid: jid() })
        );
        assert!(
            !new.log
                .to_server
                .iter()
                .any(|m| m.contains("urn:ietf:params:xml:ns:xmpp-bind"))
        );
        // Exactly the lost ones, once each.
        assert_eq!(bodies(&new.server_stanzas()), ["in flight"]);
        assert_eq!(bodies(&new.client_stanzas()), ["in flight"]);
        assert_eq!(new.server_stanzas()[0].as_stanza().from(), Some(&jid()));

        // The resumed stream goes on counting, and can be acknowledged.
        new.client.request_ack().unwrap();
        new.server.request_ack().unwrap();
        new.run();
        assert_eq!(new.client.sm().unwrap().unacked().count(), 0);
        assert_eq!(new.server.sm().unwrap().unacked().count(), 0);
        assert_eq!(new.server.sm().unwrap().handled(), 2);
        assert_eq!(new.client.sm().unwrap().handled(), 2);
    }
}

/// Resuming an id the server does not know: `<failed/>` with
/// `item-not-found`, the unacknowledged stanzas come back to the caller,
/// and the client binds as usual.
#[test]
fn resume_with_an_unknown_id() {
    let mut old = ready_pair(Wire::Wss, SmConfig::default());
    old.client.send(to_romeo("lost")).unwrap();
    old.lose_in_flight();
    old.client.handle_transport_closed(old.now);
    let for_client = old.client.detach().unwrap();

    let (server, client) = configs(Wire::Wss, Mechanism::ScramSha256);
    let mut new = Pair::new(Wire::Wss, server, client);
    new.client.resume(for_client).unwrap();
    new.run();
    assert!(new.log.to_client.iter().any(|m| m
        == "<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"));
    let unacked = new.log.client.iter().find_map(|e| match e {
        ClientEvent::ResumeFailed { unacked } => Some(unacked.clone()),
        _ => None,
    });
    let unacked = unacked.unwrap();
    assert_eq!(unacked.len(), 1);
    assert!(matches!(&unacked[0], Element::Message(m) if m.body() == Some("lost")));
    assert_eq!(new.client_ready(), Some(&jid()));
}

/// Without resumption the unacknowledged stanzas stay readable, so a
/// server can store them as offline messages.
#[test]
fn unacked_stanzas_without_resumption() {
    let sm = SmConfig::default().with_resume(false);
    let mut pair = ready_pair(Wire::Wss, sm);
    pair.server.send(to_juliet("for later")).unwrap();
    pair.lose_in_flight();
    pair.server.handle_transport_closed(pair.now);
    assert!(pair.server.detach().is_none());
    let unacked = pair.server.take_unacked();
    assert_eq!(unacked.len(), 1);
    assert!(matches!(&unacked[0], Element::Message(m) if m.body() == Some("for later")));
}

#[test]
fn stream_management_off() {
    let mut pair = ready_pair(Wire::Wss, SmConfig::disabled());
    assert!(pair.server.sm().is_none() && pair.client.sm().is_none());
    assert!(pair.client.request_ack().is_err());
    assert!(
        !pair
            .log
            .to_client
            .iter()
            .any(|m| m.contains("urn:xmpp:sm:3"))
    );
}

/// A ready pair whose server counts a stanza only once it is confirmed
/// (answers owed at most 10 s); nobody asks for acknowledgements unasked.
fn confirming_pair(wire: Wire) -> Pair {
    let (server, client) = configs(wire, Mechanism::ScramSha256);
    let quiet = SmConfig::default().with_requests(0, None);
    let confirming = quiet.with_confirm_within(Some(std::time::Duration::from_secs(10)));
    let mut pair = Pair::new(wire, server.with_sm(confirming), client.with_sm(quiet));
    pair.run();
    assert_eq!(pair.client_ready(), Some(&jid()), "{:?}", pair.log);
    pair
}

/// A server that confirms stanzas itself (stored or delivered) answers an
/// `<r/>` only once everything before it is confirmed, in any order.
#[test]
fn acknowledgements_wait_for_the_callers_confirmation() {
    for wire in [Wire::Wss, Wire::TcpStartTls] {
        let mut pair = confirming_pair(wire);
        for body in ["1", "2", "3"] {
            pair.client.send(to_romeo(body)).unwrap();
        }
        pair.client.request_ack().unwrap();
        pair.run();
        assert_eq!(pair.server.sm().unwrap().handled(), 3);
        assert_eq!(pair.client.sm().unwrap().acked(), 0, "{wire:?}");
        pair.server.confirm(3);
        pair.server.confirm(1);
        pair.run();
        assert_eq!(
            pair.client.sm().unwrap().acked(),
            0,
            "{wire:?}: 2 is not confirmed"
        );
        pair.server.confirm(2);
        pair.run();
        assert_eq!(pair.client.sm().unwrap().acked(), 3, "{wire:?}");
        assert_eq!(pair.client.sm().unwrap().unacked().count(), 0);
        // Nothing outstanding: the next request is answered at once.
        pair.client.send(to_romeo("4")).unwrap();
        pair.run();
        pair.server.confirm(4);
        pair.client.request_ack().unwrap();
        pair.run();
        assert_eq!(pair.client.sm().unwrap().acked(), 4, "{wire:?}");
    }
}

/// An owed `<a/>` goes out after `confirm_within` with what is confirmed
/// by then, so a client does not take the server for gone.
#[test]
fn an_owed_acknowledgement_goes_out_in_time() {
    let mut pair = confirming_pair(Wire::Wss);
    pair.client.send(to_romeo("1")).unwrap();
    pair.client.send(to_romeo("2")).unwrap();
    pair.client.request_ack().unwrap();
    pair.run();
    pair.server.confirm(1);
    pair.run();
    assert_eq!(pair.client.sm().unwrap().acked(), 0);
    let due = later(pair.now, 10);
    assert_eq!(pair.server.poll_timeout(), Some(due));
    pair.server.handle_timeout(later(pair.now, 9));
    pair.run();
    assert_eq!(pair.client.sm().unwrap().acked(), 0);
    pair.server.handle_timeout(due);
    pair.run();
    assert_eq!(pair.client.sm().unwrap().acked(), 1);
    assert_eq!(pair.client.sm().unwrap().unacked().count(), 1);
}

/// An `<r/>` is answered once what came before it is confirmed, even while
/// later stanzas still wait: a steady stream still gets its answers.
#[test]
fn an_answer_does_not_wait_for_later_stanzas() {
    let mut pair = confirming_pair(Wire::Wss);
    pair.client.send(to_romeo("1")).unwrap();
    pair.client.send(to_romeo("2")).unwrap();
    pair.client.request_ack().unwrap();
    pair.client.send(to_romeo("3")).unwrap();
    pair.run();
    assert_eq!(pair.server.sm().unwrap().handled(), 3);
    pair.server.confirm(1);
    pair.server.confirm(2);
    pair.run();
    assert_eq!(pair.client.sm().unwrap().acked(), 2);
    assert_eq!(pair.client.sm().unwrap().unacked().count(), 1);
}

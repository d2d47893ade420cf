//! RFC 6121 sections 3 and 4 through the server machine, two and three
//! users in memory, checked on the XML each session receives.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatwire_xmpp_im::{Config, State};
use common::{World, jid};

const A: &str = "alice@example.com/phone";
const B: &str = "bob@example.com/laptop";

fn world() -> World {
    World::new(
        Config::default(),
        &["alice@example.com", "bob@example.com", "carol@example.com"],
    )
}

/// alice and bob online, each with the roster requested, subscribed both ways.
fn friends() -> World {
    let mut w = world();
    for s in [A, B] {
        w.connect(s);
        w.send(
            s,
            "<iq xmlns='jabber:client' type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>",
        );
        w.send(s, "<presence xmlns='jabber:client'/>");
    }
    w.send(
        A,
        "<presence xmlns='jabber:client' to='bob@example.com' type='subscribe'/>",
    );
    w.send(
        B,
        "<presence xmlns='jabber:client' to='alice@example.com' type='subscribed'/>",
    );
    w.send(
        B,
        "<presence xmlns='jabber:client' to='alice@example.com' type='subscribe'/>",
    );
    w.send(
        A,
        "<presence xmlns='jabber:client' to='bob@example.com' type='subscribed'/>",
    );
    w.take(A);
    w.take(B);
    w
}

#[test]
fn subscribe_and_approve_end_to_end() {
    let mut w = world();
    for s in [A, B] {
        w.connect(s);
        w.send(
            s,
            "<iq xmlns='jabber:client' type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>",
        );
        w.send(s, "<presence xmlns='jabber:client'/>");
    }
    w.take(A);
    w.take(B);
    w.send(A, "<presence xmlns='jabber:client' to='bob@example.com' type='subscribe'><status>hi</status></presence>");
    // alice gets the push of the new item with ask='subscribe' (3.1.2).
    let a = w.take_xml(A);
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(
        a[0].contains("jid='bob@example.com'") && a[0].contains("ask='subscribe'"),
        "{}",
        a[0]
    );
    // bob's available resource gets the request from alice's bare JID (3.1.3).
    let b = w.take(B);
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0].from(), "alice@example.com");
    assert_eq!(b[0].type_attr(), Some("subscribe"));
    assert!(b[0].xml.contains("<status>hi</status>"));

    w.send(
        B,
        "<presence xmlns='jabber:client' to='alice@example.com' type='subscribed'/>",
    );
    let b = w.take(B);
    // bob: a push with subscription='from' only (3.1.5).
    assert_eq!(b.len(), 1, "{b:?}");
    assert!(b[0].xml.contains("subscription='from'"), "{}", b[0].xml);
    let a = w.take(A);
    // alice: the subscribed, the push with subscription='to', and bob's presence.
    let names: Vec<_> = a
        .iter()
        .map(|r| (r.name(), r.type_attr(), r.from()))
        .collect();
    assert!(
        names.contains(&("presence", Some("subscribed"), "bob@example.com".into())),
        "{names:?}"
    );
    assert!(
        names.contains(&("iq", Some("set"), "alice@example.com".into())),
        "{names:?}"
    );
    assert!(names.contains(&("presence", None, B.into())), "{names:?}");
    assert_eq!(
        w.view("alice@example.com")
            .contact_state(&jid("bob@example.com"))
            .unwrap()
            .state(),
        State::To
    );
    assert_eq!(
        w.view("bob@example.com")
            .contact_state(&jid("alice@example.com"))
            .unwrap()
            .state(),
        State::From
    );
    w.check_store();
}

#[test]
fn presence_reaches_subscribers_and_own_resources_only() {
    let mut w = friends();
    w.connect("carol@example.com/x");
    w.send("carol@example.com/x", "<presence xmlns='jabber:client'/>");
    w.take("carol@example.com/x");
    w.send(
        A,
        "<presence xmlns='jabber:client'><show>away</show></presence>",
    );
    let b = w.take_xml(B);
    assert_eq!(b.len(), 1, "{b:?}");
    assert!(b[0].contains("<show>away</show>") && b[0].contains(&format!("from='{A}'")));
    assert_eq!(w.take(A).len(), 1, "own resource gets its broadcast");
    assert!(w.take("carol@example.com/x").is_empty());
}

#[test]
fn initial_presence_probes_and_gets_answers() {
    let mut w = friends();
    w.disconnect(A);
    w.take(B);
    w.connect(A);
    w.send(
        A,
        "<presence xmlns='jabber:client'><priority>5</priority></presence>",
    );
    let a = w.take(A);
    // Its own presence, and bob's presence as the answer to the probe.
    let froms: Vec<_> = a.iter().map(|r| (r.from(), r.type_attr())).collect();
    assert!(froms.contains(&(B.to_owned(), None)), "{froms:?}");
    let b = w.take(B);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].from(), A);
}

#[test]
fn unavailable_on_disconnect_and_directed_presence() {
    let mut w = friends();
    w.connect("carol@example.com/x");
    w.send("carol@example.com/x", "<presence xmlns='jabber:client'/>");
    w.take("carol@example.com/x");
    w.send(
        A,
        "<presence xmlns='jabber:client' to='carol@example.com/x'/>",
    );
    assert_eq!(w.take("carol@example.com/x").len(), 1);
    w.disconnect(A);
    let b = w.take(B);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].type_attr(), Some("unavailable"));
    let c = w.take("carol@example.com/x");
    assert_eq!(c.len(), 1, "directed presence owes unavailable (4.6.3)");
    assert_eq!(c[0].type_attr(), Some("unavailable"));
}

#[test]
fn request_while_offline_is_redelivered_at_each_login() {
    let mut w = world();
    w.connect(A);
    w.send(
        A,
        "<presence xmlns='jabber:client' to='bob@example.com' type='subscribe'/>",
    );
    for _ in 0..2 {
        w.connect(B);
        w.send(B, "<presence xmlns='jabber:client'/>");
        let b = w.take(B);
        let requests: Vec<_> = b
            .iter()
            .filter(|r| r.type_attr() == Some("subscribe"))
            .collect();
        assert_eq!(requests.len(), 1, "{b:?}");
        assert_eq!(requests[0].from(), "alice@example.com");
        w.disconnect(B);
    }
    w.check_store();
}

#[test]
fn probe_from_non_subscriber_gets_unsubscribed() {
    let mut w = world();
    w.connect(A);
    w.send(
        A,
        "<presence xmlns='jabber:client' to='bob@example.com' type='probe'/>",
    );
    let a = w.take(A);
    assert!(a.iter().all(|r| r.type_attr() != Some("probe")));
    // bob's server said unsubscribed; alice had no subscription, so the
    // table drops it and nothing reaches alice.
    assert!(
        a.iter()
            .all(|r| r.name() != "presence" || r.type_attr().is_some()),
        "{a:?}"
    );
}

#[test]
fn stranger_requests_are_bounded_and_kept_small() {
    let mut config = Config::default();
    config.max_stranger_requests = 2;
    let mut w = World::new(
        config,
        &[
            "alice@example.com",
            "bob@example.com",
            "carol@example.com",
            "dave@example.com",
        ],
    );
    let big = "x".repeat(2000);
    for s in [
        "bob@example.com/a",
        "carol@example.com/a",
        "dave@example.com/a",
    ] {
        w.connect(s);
        w.send(
            s,
            &format!(
                "<presence xmlns='jabber:client' to='alice@example.com' type='subscribe'>\
                 <status>please</status><status>{big}</status>\
                 <nick xmlns='http://jabber.org/protocol/nick'>N</nick></presence>"
            ),
        );
    }
    w.connect(A);
    w.send(A, "<presence xmlns='jabber:client'/>");
    let requests: Vec<_> = w
        .take(A)
        .into_iter()
        .filter(|r| r.type_attr() == Some("subscribe"))
        .collect();
    assert_eq!(requests.len(), 2, "{requests:?}");
    for r in &requests {
        assert!(r.xml.contains("<status>please</status>"), "{}", r.xml);
        assert!(
            !r.xml.contains(&big) && !r.xml.contains("nick"),
            "{}",
            r.xml
        );
    }
    w.check_store();
}

#[test]
fn removal_then_unsubscribed_keeps_the_stored_roster_version() {
    // alice removes bob; bob's server answers with unsubscribed, which
    // finds no subscription left and drops the removal record: the stored
    // floor must rise to its version (RFC 6121 section 2.6.3), or alice
    // reloads with an older roster version than she had.
    let mut w = friends();
    w.send(
        A,
        "<iq xmlns='jabber:client' type='set' id='rm'><query xmlns='jabber:iq:roster'>\
<item jid='bob@example.com' subscription='remove'/></query></iq>",
    );
    w.check_store();
    let alice = jid("alice@example.com");
    w.loaded.remove(&alice);
    let reloaded = w.view("alice@example.com");
    assert!(
        reloaded.roster_version() >= 4,
        "{}",
        reloaded.roster_version()
    );
}

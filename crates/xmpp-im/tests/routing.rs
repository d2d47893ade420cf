//! RFC 6121 section 8.5 through the server machine: every case of message,
//! presence and iq delivery to a local account, with several resources at
//! different priorities, offline storage with its XEP-0203 `<delay/>`, and
//! the exact XML of the errors sent back. Expectations come from the RFC
//! text; where it leaves a choice, the comment says which one is tested.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatwire_xmpp_im::{Config, Ties, Timestamp};
use chatwire_xmpp_stanza::Payload;
use common::{World, jid};

const A: &str = "alice@example.com/phone";
const BOB: &str = "bob@example.com";
/// A remote sender, so that what goes back to it can be read as XML.
const ROMEO: &str = "romeo@montague.net/orchard";

fn world_with(config: Config) -> World {
    let mut w = World::new(config, &["alice@example.com", BOB, "carol@example.com"]);
    w.connect(A);
    w
}

fn world() -> World {
    world_with(Config::default())
}

fn full(resource: &str) -> String {
    format!("{BOB}/{resource}")
}

/// Connects bob's resource and sends available presence with `priority`.
fn online(w: &mut World, resource: &str, priority: i8) {
    let s = full(resource);
    w.connect(&s);
    w.send(
        &s,
        &format!("<presence xmlns='jabber:client'><priority>{priority}</priority></presence>"),
    );
}

/// bob with a, b at priority 5 (b the more recent), c at 1 and d at -1;
/// every inbox emptied.
fn bob_four(w: &mut World) {
    online(w, "a", 5);
    online(w, "b", 5);
    online(w, "c", 1);
    online(w, "d", -1);
    clear(w);
}

fn clear(w: &mut World) {
    let sessions: Vec<String> = w.inbox.keys().map(ToString::to_string).collect();
    for s in sessions {
        w.take(&s);
    }
    w.take_remote_xml();
}

/// A message with `body` as its id and body; an error one carries an
/// `<error/>` too.
fn message(to: &str, kind: &str, body: &str) -> String {
    let error = if kind == "error" {
        "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
    } else {
        ""
    };
    format!(
        "<message xmlns='jabber:client' to='{to}' type='{kind}' id='{body}'><body>{body}</body>{error}</message>"
    )
}

/// The resources of bob (among `resources`) whose inbox holds exactly one
/// stanza carrying `body`, from `from`; no inbox may hold anything else.
fn receivers(w: &mut World, resources: &[&str], body: &str, from: &str) -> Vec<String> {
    let mut got = Vec::new();
    for r in resources {
        let inbox = w.take(&full(r));
        assert!(inbox.len() <= 1, "{r}: {inbox:?}");
        if let Some(m) = inbox.first() {
            assert_eq!(m.name(), "message", "{r}: {}", m.xml);
            assert!(m.xml.contains(&format!("<body>{body}</body>")), "{}", m.xml);
            assert_eq!(m.from(), from, "{}", m.xml);
            got.push((*r).to_owned());
        }
    }
    got
}

fn service_unavailable(kind: &str, id: &str, from: &str, to: &str) -> String {
    format!(
        "<{kind} xmlns='jabber:client' type='error' id='{id}' from='{from}' to='{to}'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></{kind}>"
    )
}

// 8.5.1: no such user.

#[test]
fn no_such_user_message_and_iq_get_service_unavailable() {
    let mut w = world();
    w.inject(
        ROMEO,
        "nobody@example.com",
        "<message xmlns='jabber:client' type='chat' id='m1'><body>hi</body></message>",
    );
    w.inject(
        ROMEO,
        "nobody@example.com/res",
        "<iq xmlns='jabber:client' type='get' id='i1'><query xmlns='jabber:iq:version'/></iq>",
    );
    w.inject(
        ROMEO,
        "nobody@example.com",
        "<iq xmlns='jabber:client' type='set' id='i2'><query xmlns='jabber:iq:private'/></iq>",
    );
    // Addresses swapped, id kept, type='cancel' (RFC 6120 section 8.3.3.19).
    assert_eq!(
        w.take_remote_xml(),
        vec![
            service_unavailable("message", "m1", "nobody@example.com", ROMEO),
            service_unavailable("iq", "i1", "nobody@example.com/res", ROMEO),
            service_unavailable("iq", "i2", "nobody@example.com", ROMEO),
        ]
    );
    // A local sender gets the same error at its session.
    w.send(A, &message("nobody@example.com", "normal", "m2"));
    assert_eq!(
        w.take_xml(A),
        vec![service_unavailable(
            "message",
            "m2",
            "nobody@example.com",
            A
        )]
    );
}

#[test]
fn no_such_user_never_answers_errors_or_results() {
    // RFC 6120 section 8.3.1: an error or a result is never answered.
    let mut w = world();
    w.inject(
        ROMEO,
        "nobody@example.com",
        "<message xmlns='jabber:client' type='error' id='m1'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    );
    w.inject(
        ROMEO,
        "nobody@example.com",
        "<iq xmlns='jabber:client' type='result' id='i1'/>",
    );
    w.inject(
        ROMEO,
        "nobody@example.com/r",
        "<iq xmlns='jabber:client' type='error' id='i2'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    );
    assert_eq!(w.take_remote_xml(), Vec::<String>::new());
}

#[test]
fn no_such_user_presence_ignored_subscribe_unsubscribed() {
    let mut w = world();
    for p in [
        "<presence xmlns='jabber:client'/>",
        "<presence xmlns='jabber:client' type='unavailable'/>",
        "<presence xmlns='jabber:client' type='subscribed'/>",
        "<presence xmlns='jabber:client' type='unsubscribe'/>",
        "<presence xmlns='jabber:client' type='unsubscribed'/>",
    ] {
        w.inject(ROMEO, "nobody@example.com", p);
        assert_eq!(w.take_remote_xml(), Vec::<String>::new(), "{p}");
    }
    w.inject(
        ROMEO,
        "nobody@example.com",
        "<presence xmlns='jabber:client' type='subscribe'/>",
    );
    // From and to the bare JIDs, as subscription stanzas are (section 3.1.2).
    assert_eq!(
        w.take_remote_xml(),
        vec![
            "<presence xmlns='jabber:client' type='unsubscribed' from='nobody@example.com' to='romeo@montague.net'/>"
        ]
    );
    // A probe: the RFC allows ignoring it or answering `unsubscribed`; the
    // machine answers, as it does for a probe from a non-subscriber.
    w.inject(
        ROMEO,
        "nobody@example.com",
        "<presence xmlns='jabber:client' type='probe'/>",
    );
    assert_eq!(
        w.take_remote_xml(),
        vec![
            "<presence xmlns='jabber:client' type='unsubscribed' from='nobody@example.com' to='romeo@montague.net'/>"
        ]
    );
}

// 8.5.2.1.1: bare JID, at least one available resource.

#[test]
fn normal_most_recent_goes_to_one_highest_priority_resource() {
    let mut w = world();
    bob_four(&mut w);
    let all = ["a", "b", "c", "d"];
    w.send(A, &message(BOB, "normal", "n1"));
    assert_eq!(receivers(&mut w, &all, "n1", A), vec!["b"]);
    // a changes its presence: it is now the most recent of priority 5.
    w.send(
        &full("a"),
        "<presence xmlns='jabber:client'><show>chat</show><priority>5</priority></presence>",
    );
    clear(&mut w);
    w.send(A, &message(BOB, "normal", "n2"));
    assert_eq!(receivers(&mut w, &all, "n2", A), vec!["a"]);
    // A message without a type is `normal` (RFC 6121 section 5.2.2).
    w.send(
        A,
        "<message xmlns='jabber:client' to='bob@example.com' id='n3'><body>n3</body></message>",
    );
    assert_eq!(receivers(&mut w, &all, "n3", A), vec!["a"]);
    assert!(w.take(A).is_empty());
}

#[test]
fn normal_ties_all_goes_to_every_highest_priority_resource() {
    let mut c = Config::default();
    c.normal_ties = Ties::All;
    let mut w = world_with(c);
    bob_four(&mut w);
    w.send(A, &message(BOB, "normal", "n1"));
    assert_eq!(
        receivers(&mut w, &["a", "b", "c", "d"], "n1", A),
        vec!["a", "b"]
    );
}

#[test]
fn chat_default_goes_to_every_highest_priority_resource() {
    let mut w = world();
    bob_four(&mut w);
    w.send(A, &message(BOB, "chat", "c1"));
    assert_eq!(
        receivers(&mut w, &["a", "b", "c", "d"], "c1", A),
        vec!["a", "b"]
    );
    assert!(w.take(A).is_empty());
}

#[test]
fn chat_most_recent_goes_to_one_resource() {
    let mut c = Config::default();
    c.chat_ties = Ties::MostRecent;
    let mut w = world_with(c);
    bob_four(&mut w);
    w.send(A, &message(BOB, "chat", "c1"));
    assert_eq!(receivers(&mut w, &["a", "b", "c", "d"], "c1", A), vec!["b"]);
}

#[test]
fn single_resource_gets_chat_and_normal_whatever_the_ties() {
    let mut c = Config::default();
    c.chat_ties = Ties::MostRecent;
    c.normal_ties = Ties::All;
    let mut w = world_with(c);
    online(&mut w, "c", 0);
    online(&mut w, "d", -3);
    clear(&mut w);
    for (kind, body) in [("chat", "c1"), ("normal", "n1"), ("headline", "h1")] {
        w.send(A, &message(BOB, kind, body));
        assert_eq!(receivers(&mut w, &["c", "d"], body, A), vec!["c"], "{kind}");
    }
}

#[test]
fn groupchat_to_bare_jid_is_refused_and_delivered_to_nobody() {
    let mut w = world();
    bob_four(&mut w);
    w.send(A, &message(BOB, "groupchat", "g1"));
    for r in ["a", "b", "c", "d"] {
        assert!(w.take(&full(r)).is_empty(), "{r}");
    }
    assert_eq!(
        w.take_xml(A),
        vec![service_unavailable("message", "g1", BOB, A)]
    );
}

#[test]
fn headline_goes_to_every_non_negative_resource() {
    let mut w = world();
    bob_four(&mut w);
    w.send(A, &message(BOB, "headline", "h1"));
    assert_eq!(
        receivers(&mut w, &["a", "b", "c", "d"], "h1", A),
        vec!["a", "b", "c"]
    );
    assert!(w.take(A).is_empty());
}

#[test]
fn error_to_bare_jid_is_dropped() {
    let mut w = world();
    bob_four(&mut w);
    w.send(
        A,
        "<message xmlns='jabber:client' to='bob@example.com' type='error' id='e1'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    );
    for r in ["a", "b", "c", "d"] {
        assert!(w.take(&full(r)).is_empty(), "{r}");
    }
    assert!(w.take(A).is_empty());
    assert_eq!(w.view(BOB).offline_count(), 0);
}

#[test]
fn negative_priority_only_counts_as_no_resource() {
    let mut w = world();
    online(&mut w, "d", -1);
    online(&mut w, "e", -5);
    clear(&mut w);
    // chat and normal: stored offline, as with no available resource.
    w.send(A, &message(BOB, "chat", "c1"));
    w.send(A, &message(BOB, "normal", "n1"));
    // headline: ignored; groupchat: refused.
    w.send(A, &message(BOB, "headline", "h1"));
    w.send(A, &message(BOB, "groupchat", "g1"));
    assert!(w.take(&full("d")).is_empty());
    assert!(w.take(&full("e")).is_empty());
    assert_eq!(
        w.take_xml(A),
        vec![service_unavailable("message", "g1", BOB, A)]
    );
    assert_eq!(w.view(BOB).offline_count(), 2);
    let stored: Vec<_> = w.accounts[&jid(BOB)]
        .offline
        .iter()
        .map(|m| m.id.clone().unwrap())
        .collect();
    assert_eq!(stored, vec!["c1", "n1"]);
    // d goes to priority 0: the queue is delivered to it, and only to it.
    w.send(
        &full("d"),
        "<presence xmlns='jabber:client'><priority>0</priority></presence>",
    );
    let d: Vec<_> = w
        .take(&full("d"))
        .into_iter()
        .filter(|r| r.name() == "message")
        .collect();
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(w.take(&full("e")).iter().all(|r| r.name() != "message"));
    assert_eq!(w.view(BOB).offline_count(), 0);
    w.check_store();
}

// 8.5.2.2.1: bare JID, no available resource.

#[test]
fn offline_message_carries_delay_and_waits_for_non_negative_initial_presence() {
    let mut w = world();
    // The next tick makes the time XEP-0082's example instant.
    w.now = 1_031_699_305_000 - 1000;
    w.send(A, &message(BOB, "chat", "c1"));
    assert!(w.take(A).is_empty(), "stored, not refused");
    let stored = &w.accounts[&jid(BOB)].offline;
    assert_eq!(stored.len(), 1);
    let delay = stored[0]
        .payloads
        .iter()
        .find_map(|p| match p {
            Payload::Delay(d) => Some(d),
            _ => None,
        })
        .expect("a <delay/>");
    // XEP-0203: the time it was stored, XEP-0082 form, from the server.
    assert_eq!(delay.stamp, "2002-09-10T23:08:25.000Z");
    assert_eq!(delay.from, Some(jid("example.com")));
    assert_eq!(
        delay.stamp,
        Timestamp(1_031_699_305_000).to_xep0082(),
        "the time passed in"
    );

    // A connected resource that is not available does not get it.
    w.connect(&full("a"));
    w.send(A, &message(BOB, "normal", "n1"));
    assert!(w.take(&full("a")).is_empty());
    assert_eq!(w.view(BOB).offline_count(), 2);

    // Initial presence with a negative priority: still waiting (XEP-0160).
    w.send(
        &full("a"),
        "<presence xmlns='jabber:client'><priority>-1</priority></presence>",
    );
    assert!(
        w.take(&full("a")).iter().all(|r| r.name() != "message"),
        "nothing delivered at negative priority"
    );
    assert_eq!(w.view(BOB).offline_count(), 2);

    // Another resource's initial presence at priority 0 gets the queue.
    w.connect(&full("b"));
    w.send(&full("b"), "<presence xmlns='jabber:client'/>");
    let got: Vec<_> = w
        .take(&full("b"))
        .into_iter()
        .filter(|r| r.name() == "message")
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].from(), A);
    assert!(
        got[0].xml.contains(
            "<delay xmlns='urn:xmpp:delay' from='example.com' stamp='2002-09-10T23:08:25.000Z'>"
        ),
        "{}",
        got[0].xml
    );
    assert!(got[0].xml.contains("<body>c1</body>"));
    assert!(got[1].xml.contains("<body>n1</body>"));
    assert!(got[1].xml.contains("<delay xmlns='urn:xmpp:delay'"));
    assert!(w.take(&full("a")).iter().all(|r| r.name() != "message"));
    assert_eq!(w.view(BOB).offline_count(), 0);
    assert!(w.accounts[&jid(BOB)].offline.is_empty());

    // Delivered once: a later login finds nothing.
    w.connect(&full("c"));
    w.send(&full("c"), "<presence xmlns='jabber:client'/>");
    assert!(w.take(&full("c")).iter().all(|r| r.name() != "message"));
    w.check_store();
}

/// A caller that keeps each offline message until the session it went to
/// acknowledges it (XEP-0198) gives back what a lost session never
/// acknowledged: it goes to the resource a chat message would go to now
/// (the highest priority, then the most recent), and with none available
/// it waits for the next non-negative initial presence.
#[test]
fn offline_returned_goes_to_another_resource_or_waits() {
    let bodies = |got: Vec<common::Received>| -> Vec<String> {
        got.iter()
            .filter_map(|r| match &r.stanza {
                chatwire_xmpp_stanza::AnyStanza::Message(m) => m.body().map(str::to_owned),
                _ => None,
            })
            .collect()
    };
    let mut w = world();
    w.send(A, &message(BOB, "chat", "c1"));
    w.send(A, &message(BOB, "chat", "c2"));
    let kept = w.accounts[&jid(BOB)].offline.clone();
    online(&mut w, "a", 0);
    assert_eq!(bodies(w.take(&full("a"))), ["c1", "c2"]);
    online(&mut w, "b", 1);
    online(&mut w, "c", 3);
    online(&mut w, "d", -1);
    clear(&mut w);
    w.disconnect(&full("a"));
    w.offline_returned(BOB, kept.clone());
    assert_eq!(bodies(w.take(&full("c"))), ["c1", "c2"], "highest priority");
    assert!(bodies(w.take(&full("b"))).is_empty());
    assert!(bodies(w.take(&full("d"))).is_empty());
    assert_eq!(w.view(BOB).offline_count(), 0);

    // Nobody available at a non-negative priority: the messages wait.
    w.disconnect(&full("b"));
    w.disconnect(&full("c"));
    w.accounts.get_mut(&jid(BOB)).unwrap().offline.clear();
    w.offline_returned(BOB, kept);
    assert!(bodies(w.take(&full("d"))).is_empty(), "negative priority");
    assert_eq!(w.view(BOB).offline_count(), 2);
    online(&mut w, "e", 0);
    assert_eq!(bodies(w.take(&full("e"))), ["c1", "c2"]);
    assert_eq!(w.view(BOB).offline_count(), 0);
    w.check_store();
}

#[test]
fn offline_headline_and_error_dropped_groupchat_refused() {
    let mut w = world();
    w.send(A, &message(BOB, "headline", "h1"));
    w.send(
        A,
        "<message xmlns='jabber:client' to='bob@example.com' type='error' id='e1'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    );
    assert!(w.take(A).is_empty());
    w.send(A, &message(BOB, "groupchat", "g1"));
    assert_eq!(
        w.take_xml(A),
        vec![service_unavailable("message", "g1", BOB, A)]
    );
    assert_eq!(w.view(BOB).offline_count(), 0);
    assert!(w.accounts[&jid(BOB)].offline.is_empty());
}

#[test]
fn offline_queue_full_refuses_with_service_unavailable() {
    let mut c = Config::default();
    c.max_offline = 2;
    let mut w = world_with(c);
    w.send(A, &message(BOB, "chat", "c1"));
    w.send(A, &message(BOB, "normal", "n1"));
    assert!(w.take(A).is_empty());
    w.send(A, &message(BOB, "chat", "c2"));
    assert_eq!(
        w.take_xml(A),
        vec![service_unavailable("message", "c2", BOB, A)]
    );
    assert_eq!(w.view(BOB).offline_count(), 2);
    assert_eq!(w.accounts[&jid(BOB)].offline.len(), 2);
    // Draining makes room again.
    online(&mut w, "a", 0);
    clear(&mut w);
    w.disconnect(&full("a"));
    w.send(A, &message(BOB, "chat", "c3"));
    assert!(w.take(A).is_empty());
    assert_eq!(w.view(BOB).offline_count(), 1);
    w.check_store();
}

#[test]
fn offline_storage_off_refuses_with_service_unavailable() {
    let mut c = Config::default();
    c.offline = false;
    let mut w = world_with(c);
    w.send(A, &message(BOB, "chat", "c1"));
    w.send(A, &message(BOB, "normal", "n1"));
    assert_eq!(
        w.take_xml(A),
        vec![
            service_unavailable("message", "c1", BOB, A),
            service_unavailable("message", "n1", BOB, A),
        ]
    );
    assert_eq!(w.view(BOB).offline_count(), 0);
}

// 8.5.3.1: full JID, resource connected.

#[test]
fn full_jid_connected_gets_every_type() {
    let mut w = world();
    online(&mut w, "a", 5);
    online(&mut w, "d", -1);
    w.connect(&full("e")); // connected, never available
    clear(&mut w);
    for r in ["d", "e", "a"] {
        for kind in ["normal", "chat", "groupchat", "headline", "error"] {
            let body = format!("{kind}-{r}");
            w.send(A, &message(&full(r), kind, &body));
            assert_eq!(
                receivers(&mut w, &["a", "d", "e"], &body, A),
                vec![r],
                "{kind} to {r}"
            );
        }
    }
    assert!(w.take(A).is_empty());
}

// 8.5.3.2.1: full JID, no such resource.

#[test]
fn full_jid_not_connected_chat_goes_as_to_bare_jid() {
    let mut w = world();
    bob_four(&mut w);
    w.send(A, &message(&full("gone"), "chat", "c1"));
    assert_eq!(
        receivers(&mut w, &["a", "b", "c", "d"], "c1", A),
        vec!["a", "b"]
    );
    assert!(w.take(A).is_empty());
}

#[test]
fn full_jid_not_connected_chat_with_nobody_online_is_stored() {
    let mut w = world();
    w.send(A, &message(&full("gone"), "chat", "c1"));
    assert!(w.take(A).is_empty());
    assert_eq!(w.view(BOB).offline_count(), 1);
}

#[test]
fn full_jid_not_connected_other_types() {
    let mut w = world();
    bob_four(&mut w);
    // normal and groupchat: the RFC allows ignoring or an error; the
    // machine answers `service-unavailable`.
    w.send(A, &message(&full("gone"), "normal", "n1"));
    w.send(A, &message(&full("gone"), "groupchat", "g1"));
    assert_eq!(
        w.take_xml(A),
        vec![
            service_unavailable("message", "n1", &full("gone"), A),
            service_unavailable("message", "g1", &full("gone"), A),
        ]
    );
    // headline: ignored (the other allowed choice, which does not reveal
    // whether a resource is online); error: always ignored.
    w.send(A, &message(&full("gone"), "headline", "h1"));
    w.send(
        A,
        "<message xmlns='jabber:client' to='bob@example.com/gone' type='error' id='e1'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    );
    assert!(w.take(A).is_empty());
    for r in ["a", "b", "c", "d"] {
        assert!(w.take(&full(r)).is_empty(), "{r}");
    }
    assert_eq!(w.view(BOB).offline_count(), 0);
}

#[test]
fn full_jid_not_connected_chat_with_only_negative_resources_is_stored() {
    let mut w = world();
    online(&mut w, "d", -1);
    clear(&mut w);
    w.send(A, &message(&full("gone"), "chat", "c1"));
    assert!(w.take(&full("d")).is_empty());
    assert!(w.take(A).is_empty());
    assert_eq!(w.view(BOB).offline_count(), 1);
}

// 8.5.2.1.3, 8.5.2.2.3, 8.5.3.1, 8.5.3.2.3: iq.

#[test]
fn iq_to_bare_jid_answered_by_the_server() {
    let mut w = world();
    bob_four(&mut w);
    w.send(
        A,
        "<iq xmlns='jabber:client' to='bob@example.com' type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>",
    );
    w.send(
        A,
        "<iq xmlns='jabber:client' to='bob@example.com' type='set' id='s1'><query xmlns='jabber:iq:private'/></iq>",
    );
    // Another user's roster is not served either.
    w.send(
        A,
        "<iq xmlns='jabber:client' to='bob@example.com' type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>",
    );
    w.send(
        A,
        "<iq xmlns='jabber:client' to='bob@example.com' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    assert_eq!(
        w.take_xml(A),
        vec![
            service_unavailable("iq", "v1", BOB, A),
            service_unavailable("iq", "s1", BOB, A),
            service_unavailable("iq", "r1", BOB, A),
            format!("<iq xmlns='jabber:client' type='result' id='p1' from='{BOB}' to='{A}'/>"),
        ]
    );
    for r in ["a", "b", "c", "d"] {
        assert!(w.take(&full(r)).is_empty(), "{r}");
    }
}

#[test]
fn iq_to_bare_jid_of_offline_user() {
    let mut w = world();
    w.send(
        A,
        "<iq xmlns='jabber:client' to='bob@example.com' type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>",
    );
    w.send(
        A,
        "<iq xmlns='jabber:client' to='bob@example.com' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    assert_eq!(
        w.take_xml(A),
        vec![
            service_unavailable("iq", "v1", BOB, A),
            format!("<iq xmlns='jabber:client' type='result' id='p1' from='{BOB}' to='{A}'/>"),
        ]
    );
}

#[test]
fn iq_results_and_errors_with_nowhere_to_go_are_dropped() {
    let mut w = world();
    bob_four(&mut w);
    for to in [BOB.to_owned(), full("gone")] {
        w.send(
            A,
            &format!("<iq xmlns='jabber:client' to='{to}' type='result' id='x1'/>"),
        );
        w.send(
            A,
            &format!(
                "<iq xmlns='jabber:client' to='{to}' type='error' id='x2'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
            ),
        );
    }
    assert!(w.take(A).is_empty());
    for r in ["a", "b", "c", "d"] {
        assert!(w.take(&full(r)).is_empty(), "{r}");
    }
}

#[test]
fn iq_to_offline_full_jid_service_unavailable() {
    let mut w = world();
    bob_four(&mut w);
    w.send(
        A,
        "<iq xmlns='jabber:client' to='bob@example.com/gone' type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>",
    );
    w.send(
        A,
        "<iq xmlns='jabber:client' to='bob@example.com/gone' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    assert_eq!(
        w.take_xml(A),
        vec![
            service_unavailable("iq", "v1", &full("gone"), A),
            service_unavailable("iq", "p1", &full("gone"), A),
        ]
    );
}

#[test]
fn iq_to_connected_full_jid_delivered() {
    let mut w = world();
    online(&mut w, "d", -1);
    w.connect(&full("e"));
    clear(&mut w);
    for r in ["d", "e"] {
        w.send(
            A,
            &format!(
                "<iq xmlns='jabber:client' to='{}' type='get' id='v-{r}'><query xmlns='jabber:iq:version'/></iq>",
                full(r)
            ),
        );
        let got = w.take_xml(&full(r));
        assert_eq!(
            got,
            vec![format!(
                "<iq xmlns='jabber:client' type='get' id='v-{r}' from='{A}' to='{}'><query xmlns='jabber:iq:version'/></iq>",
                full(r)
            )]
        );
    }
    // The answer goes back to alice's session.
    w.send(
        &full("e"),
        &format!("<iq xmlns='jabber:client' to='{A}' type='result' id='v-e'/>"),
    );
    assert_eq!(
        w.take_xml(A),
        vec![format!(
            "<iq xmlns='jabber:client' type='result' id='v-e' from='{}' to='{A}'/>",
            full("e")
        )]
    );
}

// RFC 6120 section 10.3.1: a message with no `to`.

#[test]
fn message_without_to_goes_to_own_bare_jid() {
    let mut w = world();
    bob_four(&mut w);
    w.send(
        &full("c"),
        "<message xmlns='jabber:client' type='chat' id='self'><body>note</body></message>",
    );
    assert_eq!(
        receivers(&mut w, &["a", "b", "c", "d"], "note", &full("c")),
        vec!["a", "b"]
    );
}

// Section 8.5.2.1.2 and 8.5.3: presence.

#[test]
fn presence_to_bare_jid_goes_to_every_available_resource() {
    let mut w = world();
    bob_four(&mut w);
    w.connect(&full("e"));
    w.send(A, "<presence xmlns='jabber:client' to='bob@example.com'/>");
    for r in ["a", "b", "c", "d"] {
        let got = w.take(&full(r));
        assert_eq!(got.len(), 1, "{r}: {got:?}");
        assert_eq!(got[0].from(), A);
    }
    assert!(w.take(&full("e")).is_empty(), "not available");
    // To a full JID: that resource only; to one not connected: nothing.
    w.send(
        A,
        "<presence xmlns='jabber:client' to='bob@example.com/e'/>",
    );
    w.send(
        A,
        "<presence xmlns='jabber:client' to='bob@example.com/gone'/>",
    );
    assert_eq!(w.take(&full("e")).len(), 1);
    for r in ["a", "b", "c", "d"] {
        assert!(w.take(&full(r)).is_empty(), "{r}");
    }
    assert!(w.take(A).is_empty());
}

/// XEP-0030 section 3.1: the server answers disco#info for an account,
/// from the account's own resource and from anyone else, with the account
/// identity and nothing about presence.
#[test]
fn disco_info_on_the_bare_jid_is_answered_for_the_account() {
    let mut w = world();
    let b = "bob@example.com/desk";
    w.connect(b);
    w.connect(A);
    for from in [b, A] {
        w.send(
            from,
            "<iq xmlns='jabber:client' type='get' id='d' to='bob@example.com'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
        );
        let got = w.take_xml(from);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].contains("type='result'") && got[0].contains("id='d'"),
            "{}",
            got[0]
        );
        assert!(
            got[0].contains("<identity category='account' type='registered'/>"),
            "{}",
            got[0]
        );
    }
}

//! XEP-0191 (blocking command) through the server machine, both
//! directions: the blocklist and its pushes, what a blocked entity can no
//! longer send the user, what the user can no longer send it, and the
//! presence that makes a blocked contact see the user go (and come back).
//! Expectations come from the XEP text; where it leaves a choice, the
//! comment says which one is tested.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatwire_xmpp_im::Config;
use common::{Received, World, jid};

const A: &str = "alice@example.com/phone";
const B: &str = "bob@example.com/a";
const B2: &str = "bob@example.com/b";
const C: &str = "carol@example.com/x";
const ROMEO: &str = "romeo@montague.net/orchard";

fn world_with(config: Config) -> World {
    World::new(
        config,
        &["alice@example.com", "bob@example.com", "carol@example.com"],
    )
}

fn world() -> World {
    world_with(Config::default())
}

fn iq(kind: &str, id: &str, payload: &str) -> String {
    format!("<iq xmlns='jabber:client' type='{kind}' id='{id}'>{payload}</iq>")
}

fn block(id: &str, jids: &[&str]) -> String {
    let items: String = jids.iter().map(|j| format!("<item jid='{j}'/>")).collect();
    iq(
        "set",
        id,
        &format!("<block xmlns='urn:xmpp:blocking'>{items}</block>"),
    )
}

fn unblock(id: &str, jids: &[&str]) -> String {
    let items: String = jids.iter().map(|j| format!("<item jid='{j}'/>")).collect();
    iq(
        "set",
        id,
        &format!("<unblock xmlns='urn:xmpp:blocking'>{items}</unblock>"),
    )
}

fn get_blocklist(w: &mut World, session: &str, id: &str) -> Vec<String> {
    w.send(
        session,
        &iq("get", id, "<blocklist xmlns='urn:xmpp:blocking'/>"),
    );
    w.take_xml(session)
}

fn clear(w: &mut World) {
    let sessions: Vec<String> = w.inbox.keys().map(ToString::to_string).collect();
    for s in sessions {
        w.take(&s);
    }
    w.take_remote_xml();
}

/// Both sessions online with the roster requested; `x` and `y` subscribed
/// to each other.
fn befriend(w: &mut World, x: &str, y: &str) {
    let (xb, yb) = (jid(x).to_bare().to_string(), jid(y).to_bare().to_string());
    for (from, to) in [(x, &yb), (y, &xb)] {
        w.send(
            from,
            &format!("<presence xmlns='jabber:client' to='{to}' type='subscribe'/>"),
        );
        let approver = if from == x { y } else { x };
        let from_bare = if from == x { &xb } else { &yb };
        w.send(
            approver,
            &format!("<presence xmlns='jabber:client' to='{from_bare}' type='subscribed'/>"),
        );
    }
}

fn login(w: &mut World, session: &str) {
    w.connect(session);
    w.send(
        session,
        "<iq xmlns='jabber:client' type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>",
    );
    w.send(session, "<presence xmlns='jabber:client'/>");
}

/// alice, bob (two available resources) and carol online; bob subscribed
/// both ways with alice and with carol; inboxes empty.
fn friends() -> World {
    let mut w = world();
    for s in [A, B, B2, C] {
        login(&mut w, s);
    }
    befriend(&mut w, A, B);
    befriend(&mut w, C, B);
    clear(&mut w);
    w
}

fn presences(got: &[Received]) -> Vec<(String, Option<&'static str>)> {
    got.iter()
        .filter(|r| r.name() == "presence")
        .map(|r| (r.from(), r.type_attr()))
        .collect()
}

fn service_unavailable(kind: &str, id: &str, from: &str, to: &str) -> String {
    format!(
        "<{kind} xmlns='jabber:client' type='error' id='{id}' from='{from}' to='{to}'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></{kind}>"
    )
}

fn blocked_error(kind: &str, id: &str, from: &str, to: &str, body: &str) -> String {
    format!(
        "<{kind} xmlns='jabber:client' type='error' id='{id}' from='{from}' to='{to}'>{body}<error type='cancel'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><blocked xmlns='urn:xmpp:blocking:errors'/></error></{kind}>"
    )
}

// The blocklist, block, unblock, unblock all, and their pushes.

#[test]
fn blocklist_get_empty_then_filled() {
    let mut w = world();
    w.connect(B);
    assert_eq!(
        get_blocklist(&mut w, B, "g1"),
        vec![format!(
            "<iq xmlns='jabber:client' type='result' id='g1' from='bob@example.com' to='{B}'><blocklist xmlns='urn:xmpp:blocking'/></iq>"
        )]
    );
    w.send(
        B,
        &block("b1", &["romeo@montague.net", "iago@shakespeare.lit"]),
    );
    w.take(B);
    assert_eq!(
        get_blocklist(&mut w, B, "g2"),
        vec![format!(
            "<iq xmlns='jabber:client' type='result' id='g2' from='bob@example.com' to='{B}'><blocklist xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/><item jid='iago@shakespeare.lit'/></blocklist></iq>"
        )]
    );
    w.check_store();
    // Kept across logins.
    w.disconnect(B);
    w.connect(B);
    assert!(get_blocklist(&mut w, B, "g3")[0].contains("<item jid='iago@shakespeare.lit'/>"));
}

/// Each push has an id of its own (RFC 6120 section 8.2.3).
#[test]
fn block_is_pushed_to_every_session_that_requested_the_blocklist() {
    let mut w = world();
    let b3 = "bob@example.com/c";
    for s in [B, B2, b3] {
        w.connect(s);
    }
    get_blocklist(&mut w, B, "g1");
    get_blocklist(&mut w, B2, "g1");
    w.send(B, &block("b1", &["romeo@montague.net"]));
    let push = |to: &str| {
        format!(
            "<iq xmlns='jabber:client' type='set' id='block1' from='bob@example.com' to='{to}'><block xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/></block></iq>"
        )
    };
    assert_eq!(
        w.take_xml(B),
        vec![
            format!(
                "<iq xmlns='jabber:client' type='result' id='b1' from='bob@example.com' to='{B}'/>"
            ),
            push(B),
        ]
    );
    assert_eq!(w.take_xml(B2), vec![push(B2)]);
    assert!(w.take(b3).is_empty(), "never asked for the blocklist");
}

#[test]
fn unblock_and_unblock_all_are_pushed() {
    let mut w = world();
    for s in [B, B2] {
        w.connect(s);
    }
    get_blocklist(&mut w, B2, "g1");
    w.send(
        B,
        &block(
            "b1",
            &["romeo@montague.net", "iago@shakespeare.lit", "montague.net"],
        ),
    );
    w.take(B);
    w.take(B2);
    w.send(B, &unblock("u1", &["romeo@montague.net"]));
    assert_eq!(
        w.take_xml(B),
        vec![format!(
            "<iq xmlns='jabber:client' type='result' id='u1' from='bob@example.com' to='{B}'/>"
        )]
    );
    assert_eq!(
        w.take_xml(B2),
        vec![format!(
            "<iq xmlns='jabber:client' type='set' id='block2' from='bob@example.com' to='{B2}'><unblock xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/></unblock></iq>"
        )]
    );
    assert_eq!(
        w.view("bob@example.com").blocklist(),
        &[jid("iago@shakespeare.lit"), jid("montague.net")]
    );
    w.send(B, &unblock("u2", &[]));
    assert_eq!(w.take(B).len(), 1);
    assert_eq!(
        w.take_xml(B2),
        vec![format!(
            "<iq xmlns='jabber:client' type='set' id='block3' from='bob@example.com' to='{B2}'><unblock xmlns='urn:xmpp:blocking'/></iq>"
        )]
    );
    assert!(w.view("bob@example.com").blocklist().is_empty());
    w.check_store();
}

#[test]
fn empty_block_is_a_bad_request() {
    let mut w = world();
    w.connect(B);
    get_blocklist(&mut w, B, "g1");
    w.send(B, &block("b1", &[]));
    assert_eq!(
        w.take_xml(B),
        vec![format!(
            "<iq xmlns='jabber:client' type='error' id='b1' from='bob@example.com' to='{B}'><error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        )]
    );
    assert!(w.view("bob@example.com").blocklist().is_empty());
}

#[test]
fn blocklist_limit_is_a_resource_constraint() {
    let mut c = Config::default();
    c.max_blocklist = 2;
    let mut w = world_with(c);
    w.connect(B);
    get_blocklist(&mut w, B, "g1");
    w.send(B, &block("b1", &["a@x.example", "b@x.example"]));
    assert_eq!(w.take(B).len(), 2);
    w.send(B, &block("b2", &["c@x.example"]));
    assert_eq!(
        w.take_xml(B),
        vec![format!(
            "<iq xmlns='jabber:client' type='error' id='b2' from='bob@example.com' to='{B}'><error type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        )],
        "refused, and nothing pushed"
    );
    assert_eq!(w.view("bob@example.com").blocklist().len(), 2);
    // Blocking a JID already listed adds nothing, so it is accepted (the
    // limit counts entries, not requests: a choice the XEP leaves open).
    w.send(B, &block("b3", &["a@x.example"]));
    let got = w.take(B);
    assert_eq!(got[0].type_attr(), Some("result"), "{got:?}");
    w.check_store();
}

// "Blocked Entity Attempts to Communicate with User".

#[test]
fn blocked_entity_messages_and_iqs_get_service_unavailable() {
    let mut w = world();
    login(&mut w, B);
    w.send(B, &block("b1", &["romeo@montague.net"]));
    clear(&mut w);
    for to in ["bob@example.com", B, "bob@example.com/gone"] {
        w.inject(
            ROMEO,
            to,
            "<message xmlns='jabber:client' type='chat' id='m1'><body>hi</body></message>",
        );
        w.inject(
            ROMEO,
            to,
            "<iq xmlns='jabber:client' type='get' id='i1'><query xmlns='jabber:iq:version'/></iq>",
        );
        assert_eq!(
            w.take_remote_xml(),
            vec![
                service_unavailable("message", "m1", to, ROMEO),
                service_unavailable("iq", "i1", to, ROMEO),
            ],
            "as if the user did not exist"
        );
        // Results, errors and error messages: dropped, never answered.
        w.inject(
            ROMEO,
            to,
            "<iq xmlns='jabber:client' type='result' id='i2'/>",
        );
        w.inject(
            ROMEO,
            to,
            "<message xmlns='jabber:client' type='error' id='m2'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
        );
        assert!(w.take_remote_xml().is_empty());
    }
    assert!(w.take(B).is_empty(), "nothing delivered");
    assert_eq!(w.view("bob@example.com").offline_count(), 0, "nor stored");
}

#[test]
fn blocked_entity_messages_are_not_stored_offline() {
    let mut w = world();
    login(&mut w, B);
    w.send(B, &block("b1", &["romeo@montague.net"]));
    w.disconnect(B);
    w.take_remote_xml();
    w.inject(
        ROMEO,
        "bob@example.com",
        "<message xmlns='jabber:client' type='chat' id='m1'><body>hi</body></message>",
    );
    assert_eq!(
        w.take_remote_xml(),
        vec![service_unavailable(
            "message",
            "m1",
            "bob@example.com",
            ROMEO
        )]
    );
    assert_eq!(w.view("bob@example.com").offline_count(), 0);
}

#[test]
fn offline_messages_from_a_contact_blocked_since_are_not_delivered() {
    // Once the contact is blocked, no stanza from it is delivered ("User
    // Blocks Contact"),
    // including one stored before the block.
    let mut w = world();
    w.inject(
        ROMEO,
        "bob@example.com",
        "<message xmlns='jabber:client' type='chat' id='m1'><body>from romeo</body></message>",
    );
    w.inject(
        "juliet@capulet.example/balcony",
        "bob@example.com",
        "<message xmlns='jabber:client' type='chat' id='m2'><body>from juliet</body></message>",
    );
    assert_eq!(w.view("bob@example.com").offline_count(), 2);
    w.connect(B);
    w.send(B, &block("b1", &["romeo@montague.net"]));
    w.take(B);
    w.send(B, "<presence xmlns='jabber:client'/>");
    let messages: Vec<_> = w
        .take(B)
        .into_iter()
        .filter(|r| r.name() == "message")
        .collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].xml.contains("from juliet"));
    assert_eq!(w.view("bob@example.com").offline_count(), 0);
    w.check_store();
}

#[test]
fn blocked_contact_presence_subscriptions_and_probes_dropped() {
    let mut w = friends();
    w.send(B, &block("b1", &["alice@example.com"]));
    clear(&mut w);
    // Presence broadcast by alice: bob's resources see nothing.
    w.send(
        A,
        "<presence xmlns='jabber:client'><show>away</show></presence>",
    );
    assert!(w.take(B).is_empty());
    assert!(w.take(B2).is_empty());
    // Directed presence, too.
    w.send(A, &format!("<presence xmlns='jabber:client' to='{B}'/>"));
    assert!(w.take(B).is_empty());
    w.take(A);
    // A probe from alice's server gets no answer.
    w.inject(
        "alice@example.com",
        "bob@example.com",
        "<presence xmlns='jabber:client' type='probe'/>",
    );
    assert!(presences(&w.take(A)).is_empty());
    // A subscription request from a stranger who is blocked: not
    // delivered, not kept for the next login.
    w.send(B, &block("b2", &["montague.net"]));
    clear(&mut w);
    w.inject(
        "romeo@montague.net",
        "bob@example.com",
        "<presence xmlns='jabber:client' type='subscribe'/>",
    );
    assert!(w.take(B).is_empty());
    assert!(w.take(B2).is_empty());
    assert!(w.take_remote_xml().is_empty(), "no auto-reply either");
    let bob = w.view("bob@example.com");
    assert_eq!(bob.pending_requests().count(), 0);
    // Unsubscribe from the blocked alice changes nothing either.
    w.inject(
        "alice@example.com",
        "bob@example.com",
        "<presence xmlns='jabber:client' type='unsubscribe'/>",
    );
    assert_eq!(
        w.view("bob@example.com")
            .contact_state(&jid("alice@example.com"))
            .unwrap()
            .state(),
        chatwire_xmpp_im::State::Both
    );
}

// "User Attempts to Communicate with Blocked Entity".

#[test]
fn messages_and_iqs_to_a_blocked_jid_are_refused() {
    let mut w = world();
    w.connect(B);
    w.send(B, &block("b1", &["romeo@montague.net"]));
    clear(&mut w);
    w.send(
        B,
        &format!(
            "<message xmlns='jabber:client' to='{ROMEO}' type='chat' id='m1'><body>hi</body></message>"
        ),
    );
    w.send(
        B,
        "<iq xmlns='jabber:client' to='romeo@montague.net' type='get' id='i1'><query xmlns='jabber:iq:version'/></iq>",
    );
    assert_eq!(
        w.take_xml(B),
        vec![
            blocked_error("message", "m1", ROMEO, B, ""),
            blocked_error("iq", "i1", "romeo@montague.net", B, ""),
        ]
    );
    // An iq result or an error message is dropped without an answer.
    w.send(
        B,
        "<iq xmlns='jabber:client' to='romeo@montague.net' type='result' id='i2'/>",
    );
    assert!(w.take(B).is_empty());
    assert!(w.take_remote_xml().is_empty(), "nothing routed");
}

#[test]
fn presence_to_a_blocked_jid_is_dropped() {
    let mut w = world();
    login(&mut w, B);
    w.send(B, &block("b1", &["romeo@montague.net"]));
    clear(&mut w);
    w.send(
        B,
        "<presence xmlns='jabber:client' to='romeo@montague.net/orchard'/>",
    );
    w.send(
        B,
        "<presence xmlns='jabber:client' to='romeo@montague.net' type='subscribe'/>",
    );
    assert!(w.take_remote_xml().is_empty());
    assert!(w.take(B).is_empty(), "no error for presence");
    assert!(
        w.view("bob@example.com")
            .roster_item(&jid("romeo@montague.net"))
            .is_none()
    );
}

// "User Blocks Contact", "User Unblocks Contact": presence effects.

#[test]
fn presence_broadcasts_skip_blocked_contacts() {
    let mut w = friends();
    w.send(B, &block("b1", &["alice@example.com"]));
    clear(&mut w);
    w.send(
        B,
        "<presence xmlns='jabber:client'><show>dnd</show></presence>",
    );
    assert!(w.take(A).is_empty());
    assert_eq!(presences(&w.take(C)), vec![(B.to_owned(), None)]);
    // Going offline: carol learns it, alice does not.
    w.disconnect(B);
    assert!(w.take(A).is_empty());
    assert_eq!(
        presences(&w.take(C)),
        vec![(B.to_owned(), Some("unavailable"))]
    );
}

#[test]
fn blocking_a_subscriber_sends_unavailable_from_each_available_resource() {
    let mut w = friends();
    w.connect("bob@example.com/c"); // connected, not available
    w.send(B, &block("b1", &["alice@example.com"]));
    let mut got = presences(&w.take(A));
    got.sort();
    assert_eq!(
        got,
        vec![
            (B.to_owned(), Some("unavailable")),
            (B2.to_owned(), Some("unavailable")),
        ]
    );
    assert!(w.take(C).is_empty(), "carol is not blocked");
}

#[test]
fn blocking_sends_unavailable_to_directed_presence_receivers() {
    let mut w = world();
    login(&mut w, B);
    w.send(
        B,
        &format!("<presence xmlns='jabber:client' to='{ROMEO}'/>"),
    );
    w.take_remote_xml();
    w.send(B, &block("b1", &["romeo@montague.net"]));
    assert_eq!(
        w.take_remote_xml(),
        vec![format!(
            "<presence xmlns='jabber:client' type='unavailable' from='{B}' to='{ROMEO}'/>"
        )]
    );
    // And it is not owed another one when the session ends.
    w.disconnect(B);
    assert!(w.take_remote_xml().is_empty());
}

#[test]
fn blocking_another_jid_does_not_repeat_unavailable() {
    let mut w = friends();
    w.send(B, &block("b1", &["alice@example.com"]));
    assert_eq!(presences(&w.take(A)).len(), 2);
    w.send(B, &block("b2", &["carol@example.com"]));
    assert!(
        presences(&w.take(A)).is_empty(),
        "alice was told when she was blocked"
    );
    assert_eq!(presences(&w.take(C)).len(), 2);
}

#[test]
fn unblocking_sends_current_presence_again() {
    let mut w = friends();
    w.send(
        B2,
        "<presence xmlns='jabber:client'><show>away</show></presence>",
    );
    w.send(B, &block("b1", &["alice@example.com"]));
    clear(&mut w);
    w.send(B, &unblock("u1", &["alice@example.com"]));
    let a = w.take(A);
    let mut got = presences(&a);
    got.sort();
    assert_eq!(got, vec![(B.to_owned(), None), (B2.to_owned(), None)]);
    assert!(
        a.iter()
            .any(|r| r.from() == B2 && r.xml.contains("<show>away</show>"))
    );
    // bob probes alice again, and hears from her.
    assert_eq!(presences(&w.take(B)), vec![(A.to_owned(), None)]);
    assert!(w.take(C).is_empty());
}

#[test]
fn unblock_all_sends_current_presence_to_every_unblocked_subscriber() {
    let mut w = friends();
    w.send(B, &block("b1", &["alice@example.com", "carol@example.com"]));
    clear(&mut w);
    w.send(B, &unblock("u1", &[]));
    assert_eq!(presences(&w.take(A)).len(), 2);
    assert_eq!(presences(&w.take(C)).len(), 2);
}

// Which JIDs an entry covers: XEP-0016 section 2.1 matching.

#[test]
fn domain_entry_covers_every_jid_at_the_domain() {
    let mut w = world();
    login(&mut w, B);
    w.send(B, &block("b1", &["montague.net"]));
    clear(&mut w);
    for from in [
        ROMEO,
        "romeo@montague.net",
        "montague.net",
        "montague.net/bot",
    ] {
        w.inject(
            from,
            "bob@example.com",
            "<message xmlns='jabber:client' type='chat' id='m1'><body>hi</body></message>",
        );
        assert_eq!(w.take_remote_xml().len(), 1, "{from}");
    }
    // Another domain, and a subdomain, are not covered.
    for from in ["juliet@capulet.example/balcony", "x@sub.montague.net/r"] {
        w.inject(
            from,
            "bob@example.com",
            "<message xmlns='jabber:client' type='chat' id='m1'><body>hi</body></message>",
        );
        assert!(w.take_remote_xml().is_empty(), "{from}");
    }
    assert_eq!(w.take(B).len(), 2);
    // Outbound, too.
    w.send(
        B,
        "<message xmlns='jabber:client' to='benvolio@montague.net/x' id='m2'><body>x</body></message>",
    );
    assert!(w.take_xml(B)[0].contains("<blocked xmlns='urn:xmpp:blocking:errors'/>"));
}

#[test]
fn bare_entry_covers_every_resource_full_entry_only_its_own() {
    let mut w = world();
    login(&mut w, B);
    w.send(
        B,
        &block(
            "b1",
            &["romeo@montague.net", "juliet@capulet.example/balcony"],
        ),
    );
    clear(&mut w);
    let hi = "<message xmlns='jabber:client' type='chat' id='m1'><body>hi</body></message>";
    for from in [
        "romeo@montague.net/orchard",
        "romeo@montague.net/other",
        "romeo@montague.net",
    ] {
        w.inject(from, "bob@example.com", hi);
        assert_eq!(w.take_remote_xml().len(), 1, "{from}");
    }
    assert!(w.take(B).is_empty());
    w.inject("juliet@capulet.example/balcony", "bob@example.com", hi);
    assert_eq!(w.take_remote_xml().len(), 1);
    for from in ["juliet@capulet.example/tomb", "juliet@capulet.example"] {
        w.inject(from, "bob@example.com", hi);
        assert!(w.take_remote_xml().is_empty(), "{from}");
    }
    assert_eq!(w.take(B).len(), 2);
    // Outbound: the full-JID entry refuses only that resource.
    w.send(
        B,
        "<message xmlns='jabber:client' to='juliet@capulet.example/tomb' id='m2'><body>x</body></message>",
    );
    assert!(w.take(B).is_empty());
    assert_eq!(w.take_remote_xml().len(), 1);
    w.send(
        B,
        "<message xmlns='jabber:client' to='juliet@capulet.example/balcony' id='m3'><body>x</body></message>",
    );
    assert_eq!(w.take(B).len(), 1);
    assert!(w.take_remote_xml().is_empty());
}

#[test]
fn pending_request_from_a_jid_blocked_since_is_not_redelivered() {
    // A subscription request kept while the user was offline (RFC 6121
    // section 3.1.3) is a stanza from the contact: once the contact is
    // blocked, it is not delivered at the next login.
    let mut w = world();
    w.inject(
        "romeo@montague.net",
        "bob@example.com",
        "<presence xmlns='jabber:client' type='subscribe'/>",
    );
    w.inject(
        "juliet@capulet.example",
        "bob@example.com",
        "<presence xmlns='jabber:client' type='subscribe'/>",
    );
    w.connect(B);
    w.send(B, &block("b1", &["romeo@montague.net"]));
    w.take(B);
    w.send(B, "<presence xmlns='jabber:client'/>");
    let requests: Vec<_> = w
        .take(B)
        .into_iter()
        .filter(|r| r.type_attr() == Some("subscribe"))
        .map(|r| r.from())
        .collect();
    assert_eq!(requests, vec!["juliet@capulet.example"]);
}

#[test]
fn domain_resource_entry_covers_that_resource_at_the_domain() {
    // XEP-0016 section 2.1 checks a JID user@domain/resource against the
    // items user@domain/resource, user@domain, domain/resource, domain in
    // that order, so a `domain/resource` entry covers that resource of
    // every user at the domain, and the domain's own resource. The XEP's
    // "(only that resource matches)" could also be read as the domain's
    // own resource alone; the machine follows the checking order.
    let mut w = world();
    login(&mut w, B);
    w.send(B, &block("b1", &["montague.net/orchard"]));
    clear(&mut w);
    let hi = "<message xmlns='jabber:client' type='chat' id='m1'><body>hi</body></message>";
    for from in ["montague.net/orchard", "romeo@montague.net/orchard"] {
        w.inject(from, "bob@example.com", hi);
        assert_eq!(w.take_remote_xml().len(), 1, "{from}");
    }
    for from in [
        "montague.net",
        "romeo@montague.net/balcony",
        "romeo@montague.net",
    ] {
        w.inject(from, "bob@example.com", hi);
        assert!(w.take_remote_xml().is_empty(), "{from}");
    }
    assert_eq!(w.take(B).len(), 3);
}

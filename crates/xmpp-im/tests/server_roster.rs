//! Roster management through the server machine (RFC 6121 section 2):
//! get with and without versioning, set and its error cases, remove, and
//! the pushes each change sends to interested resources only.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatwire_xmpp_im::{Config, State};
use common::{World, jid};

const A: &str = "alice@example.com/phone";
const A2: &str = "alice@example.com/desk";
const B: &str = "bob@example.com/laptop";

fn world(config: Config) -> World {
    World::new(
        config,
        &["alice@example.com", "bob@example.com", "carol@example.com"],
    )
}

fn get(w: &mut World, s: &str, ver: Option<&str>) {
    let ver = ver.map(|v| format!(" ver='{v}'")).unwrap_or_default();
    w.send(s, &format!("<iq xmlns='jabber:client' type='get' id='g'><query xmlns='jabber:iq:roster'{ver}/></iq>"));
}

fn set(w: &mut World, s: &str, item: &str) {
    w.send(s, &format!("<iq xmlns='jabber:client' type='set' id='s'><query xmlns='jabber:iq:roster'>{item}</query></iq>"));
}

fn error_condition(xml: &str) -> Option<&str> {
    let start = xml.find("<error")?;
    let rest = &xml[start..];
    let cond = rest.find("xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'")?;
    let open = rest[..cond].rfind('<')?;
    rest[open + 1..].split([' ', '/']).next()
}

#[test]
fn get_without_ver_is_the_whole_roster_without_ver() {
    let mut w = world(Config::default());
    w.connect(A);
    set(
        &mut w,
        A,
        "<item jid='bob@example.com' name='Bob'><group>Friends</group></item>",
    );
    w.take(A);
    get(&mut w, A, None);
    let a = w.take_xml(A);
    assert_eq!(a.len(), 1);
    assert!(
        a[0].contains("type='result'") && a[0].contains("id='g'"),
        "{}",
        a[0]
    );
    assert!(a[0].contains("<item jid='bob@example.com' name='Bob' subscription='none'><group>Friends</group></item>"), "{}", a[0]);
    assert!(!a[0].contains("ver="), "{}", a[0]);
}

#[test]
fn versioned_get_whole_empty_or_pushes_since() {
    let mut w = world(Config::default());
    w.connect(A);
    get(&mut w, A, Some(""));
    let a = w.take_xml(A);
    assert!(
        a[0].contains("<query xmlns='jabber:iq:roster' ver='0'/>"),
        "{a:?}"
    );
    set(&mut w, A, "<item jid='bob@example.com'/>");
    set(&mut w, A, "<item jid='carol@example.com'/>");
    set(
        &mut w,
        A,
        "<item jid='bob@example.com' subscription='remove'/>",
    );
    w.take(A);
    // Up to date: an empty result (2.6.3).
    get(&mut w, A, Some("3"));
    let a = w.take_xml(A);
    assert_eq!(a.len(), 1);
    assert!(
        a[0].contains("type='result'") && !a[0].contains("<query"),
        "{}",
        a[0]
    );
    // From version 1: empty result, then carol (2), then bob removed (3).
    get(&mut w, A, Some("1"));
    let a = w.take_xml(A);
    assert_eq!(a.len(), 3, "{a:?}");
    assert!(!a[0].contains("<query"));
    assert!(
        a[1].contains("ver='2'") && a[1].contains("jid='carol@example.com'"),
        "{}",
        a[1]
    );
    assert!(
        a[2].contains("ver='3'") && a[2].contains("subscription='remove'"),
        "{}",
        a[2]
    );
    // A version the server never gave: the whole roster.
    for ver in ["99", "abc"] {
        get(&mut w, A, Some(ver));
        let a = w.take_xml(A);
        assert_eq!(a.len(), 1);
        assert!(
            a[0].contains("ver='3'") && a[0].contains("carol@example.com"),
            "{}",
            a[0]
        );
    }
}

#[test]
fn forgotten_removals_force_the_whole_roster() {
    let mut config = Config::default();
    config.max_removed = 1;
    let mut w = world(config);
    w.connect(A);
    set(&mut w, A, "<item jid='bob@example.com'/>"); // 1
    set(&mut w, A, "<item jid='carol@example.com'/>"); // 2
    set(
        &mut w,
        A,
        "<item jid='bob@example.com' subscription='remove'/>",
    ); // 3
    set(
        &mut w,
        A,
        "<item jid='carol@example.com' subscription='remove'/>",
    ); // 4, forgets bob
    w.take(A);
    get(&mut w, A, Some("2"));
    let a = w.take_xml(A);
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(
        a[0].contains("<query xmlns='jabber:iq:roster' ver='4'/>"),
        "{}",
        a[0]
    );
    get(&mut w, A, Some("3"));
    let a = w.take_xml(A);
    assert_eq!(a.len(), 2, "the removal after 3 is remembered: {a:?}");
    w.check_store();
}

#[test]
fn set_error_cases() {
    let mut config = Config::default();
    config.max_roster_items = 1;
    config.max_name_bytes = 10;
    let mut w = world(config);
    w.connect(A);
    let cases = [
        (
            "<item jid='bob@example.com'/><item jid='carol@example.com'/>",
            "bad-request",
        ),
        ("", "bad-request"),
        ("<item jid='alice@example.com'/>", "not-allowed"),
        (
            "<item jid='bob@example.com' name='12345678901'/>",
            "not-acceptable",
        ),
        (
            "<item jid='bob@example.com'><group></group></item>",
            "not-acceptable",
        ),
        (
            "<item jid='bob@example.com'><group>12345678901</group></item>",
            "not-acceptable",
        ),
        (
            "<item jid='bob@example.com'><group>a</group><group>a</group></item>",
            "bad-request",
        ),
        (
            "<item jid='carol@example.com' subscription='remove'/>",
            "item-not-found",
        ),
    ];
    for (item, condition) in cases {
        set(&mut w, A, item);
        let a = w.take_xml(A);
        assert_eq!(a.len(), 1, "{item}: {a:?}");
        assert!(
            a[0].contains("type='error'") && a[0].contains("id='s'"),
            "{}",
            a[0]
        );
        assert_eq!(error_condition(&a[0]), Some(condition), "{item}: {}", a[0]);
    }
    set(&mut w, A, "<item jid='bob@example.com'/>");
    w.take(A);
    set(&mut w, A, "<item jid='carol@example.com'/>");
    let a = w.take_xml(A);
    assert_eq!(
        error_condition(&a[0]),
        Some("not-allowed"),
        "roster full: {}",
        a[0]
    );
    assert_eq!(w.view("alice@example.com").roster_version(), 1);
}

#[test]
fn set_ignores_subscription_and_ask() {
    let mut w = world(Config::default());
    w.connect(A);
    get(&mut w, A, None);
    w.take(A);
    set(
        &mut w,
        A,
        "<item jid='bob@example.com' subscription='both' ask='subscribe' approved='true'/>",
    );
    let a = w.take_xml(A);
    assert!(
        a.iter()
            .any(|x| x.contains("subscription='none'") && !x.contains("ask=")),
        "{a:?}"
    );
    let state = w
        .view("alice@example.com")
        .contact_state(&jid("bob@example.com"))
        .unwrap();
    assert_eq!(state.state(), State::None);
    assert!(!state.approved());
}

#[test]
fn pushes_go_to_interested_resources_only() {
    let mut w = world(Config::default());
    w.connect(A);
    w.connect(A2);
    get(&mut w, A, None);
    w.take(A);
    set(&mut w, A2, "<item jid='bob@example.com' name='B'/>");
    let a = w.take_xml(A);
    assert_eq!(a.len(), 1);
    assert!(
        a[0].contains("type='set'")
            && a[0].contains("name='B'")
            && a[0].contains("from='alice@example.com'")
            && !a[0].contains("ver="),
        "{}",
        a[0]
    );
    let a2 = w.take_xml(A2);
    assert_eq!(a2.len(), 1, "the result only: {a2:?}");
    assert!(a2[0].contains("type='result'"));
}

#[test]
fn remove_cancels_both_ways() {
    let mut w = world(Config::default());
    for s in [A, B] {
        w.connect(s);
        get(&mut w, s, None);
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
    assert_eq!(
        w.view("alice@example.com")
            .contact_state(&jid("bob@example.com"))
            .unwrap()
            .state(),
        State::Both
    );
    w.take(A);
    w.take(B);
    set(
        &mut w,
        A,
        "<item jid='bob@example.com' subscription='remove'/>",
    );
    let a = w.take_xml(A);
    assert!(
        a.iter().any(|x| x.contains("subscription='remove'")),
        "{a:?}"
    );
    let b = w.take(B);
    let types: Vec<_> = b.iter().map(|r| (r.name(), r.type_attr())).collect();
    assert!(
        types.contains(&("presence", Some("unsubscribe"))),
        "{types:?}"
    );
    assert!(
        types.contains(&("presence", Some("unsubscribed"))),
        "{types:?}"
    );
    assert!(
        types.contains(&("presence", Some("unavailable"))),
        "{types:?}"
    );
    assert!(
        w.view("alice@example.com")
            .roster_item(&jid("bob@example.com"))
            .is_none()
    );
    assert_eq!(
        w.view("bob@example.com")
            .contact_state(&jid("alice@example.com"))
            .unwrap()
            .state(),
        State::None
    );
    w.check_store();
}

/// Section 2.6.3: pushes carry `ver` to a session that asked for the
/// roster with one, and only to such a session.
#[test]
fn pushes_carry_ver_only_for_versioning_sessions() {
    let mut w = world(Config::default());
    w.connect(A);
    w.connect(A2);
    get(&mut w, A, None);
    get(&mut w, A2, Some(""));
    w.take(A);
    w.take(A2);
    set(&mut w, A, "<item jid='bob@example.com'/>");
    let plain: Vec<_> = w
        .take_xml(A)
        .into_iter()
        .filter(|x| x.contains("type='set'"))
        .collect();
    let versioned = w.take_xml(A2);
    assert_eq!(plain.len(), 1);
    assert!(!plain[0].contains("ver="), "{}", plain[0]);
    assert!(versioned[0].contains("ver='1'"), "{}", versioned[0]);
}

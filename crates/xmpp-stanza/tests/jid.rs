//! Domainparts (RFC 7622 section 3.2) against the idna crate's own UTS #46
//! conversions, the ASCII fast path included, and the cost of preparing
//! many non-ASCII JIDs.

#![allow(clippy::unwrap_used, clippy::panic)]

use chatwire_xmpp_stanza::{Context, Element, Jid, Limits};
use proptest::prelude::*;

/// What RFC 7622 section 3.2 makes of a domainpart, by way of the idna
/// crate's strict ToASCII (STD3 rules, hyphen checks, DNS lengths) and
/// then ToUnicode, or None where it is not a domain name.
fn uts46(domain: &str) -> Option<String> {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.is_empty() {
        return None;
    }
    let ascii = idna::domain_to_ascii_strict(domain).ok()?;
    let (unicode, result) = idna::domain_to_unicode(&ascii);
    result.ok()?;
    Some(unicode)
}

fn ours(domain: &str) -> Option<String> {
    let jid = Jid::new(&format!("a@{domain}")).ok()?;
    Some(jid.domain().to_owned())
}

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9]{1,3}",
        "[a-z0-9-]{1,8}",
        // Hyphens in the third and fourth places (RFC 5891 section 4.2.3.1).
        "[a-zA-Z0-9]{2}--[a-z0-9-]{0,4}",
        "[xX][nN]--[a-z0-9]{1,10}",
        Just("xn--mnchen-3ya".to_owned()),
        Just("xn--r8jz45g".to_owned()),
        "[a-z\\u{e4}\\u{f6}\\u{fc}\\u{df}\\u{3b1}-\\u{3c9}\\u{4e00}-\\u{4e10}]{1,10}",
        "[A-Z\\u{c4}\\u{d6}\\u{dc}\\u{ff21}-\\u{ff3a}\\u{2163}_]{1,4}",
        "[a-z]{60,66}",
    ]
}

fn domain() -> impl Strategy<Value = String> {
    prop_oneof![
        (prop::collection::vec(label(), 1..6), any::<bool>()),
        // Around the 253-byte limit, both sides of it.
        (
            prop::collection::vec("[a-zA-Z]{60,66}", 3..5),
            any::<bool>()
        ),
    ]
    .prop_map(|(labels, dot)| {
        let mut d = labels.join(".");
        if dot {
            d.push('.');
        }
        d
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn domainpart_is_uts46(d in domain()) {
        prop_assert_eq!(ours(&d), uts46(&d), "{}", d);
    }

    #[test]
    fn ascii_domainpart_is_uts46(d in "[a-zA-Z0-9.-]{1,300}") {
        prop_assert_eq!(ours(&d), uts46(&d), "{}", d);
    }

    #[test]
    fn ip_literals(a in any::<std::net::Ipv6Addr>(), b in any::<std::net::Ipv4Addr>()) {
        let v6 = format!("[{a}]");
        prop_assert_eq!(ours(&v6), Some(v6.clone()));
        let v6_long = format!("[{}]", a.segments().map(|s| format!("{s:04X}")).join(":"));
        prop_assert_eq!(ours(&v6_long), Some(v6));
        prop_assert_eq!(ours(&b.to_string()), Some(b.to_string()));
    }
}

// The ASCII fast path once let through what the slow path refuses.
#[test]
fn fast_path_keeps_the_dns_rules() {
    let label = "a".repeat(63);
    let longest = format!("{label}.{label}.{label}.{}", "a".repeat(61));
    assert_eq!(ours(&longest).as_deref(), Some(longest.as_str()));
    for bad in [
        format!("{longest}a"),
        format!("{longest}.a"),
        "ab--cd".to_owned(),
        "example.ab--cd".to_owned(),
        "AB--CD.example".to_owned(),
    ] {
        assert_eq!(uts46(&bad), None, "{bad}");
        assert_eq!(ours(&bad), None, "{bad}");
    }
    // Hyphens elsewhere are fine.
    assert_eq!(ours("a-b--c.example").as_deref(), Some("a-b--c.example"));
}

/// A roster push of 5,039 items with non-ASCII JIDs, filling the size
/// limit.
fn non_ascii_roster() -> String {
    let mut s = String::from("<iq type='set' id='r'><query xmlns='jabber:iq:roster'>");
    for i in 0..5039 {
        s.push_str(&format!(
            "<item jid='j\u{fc}rgen{i}@m\u{fc}nchen.example'/>"
        ));
    }
    s.push_str("</query></iq>");
    s
}

// Timing only (run with --ignored --nocapture in release mode): the
// figure depends on the machine.
#[test]
#[ignore]
fn roster_of_non_ascii_jids() {
    let input = non_ascii_roster();
    let ctx = Context::client_tcp().with_limits(
        Limits::default()
            .with_max_bytes(input.len())
            .with_max_nodes(4 * 5039),
    );
    let runs = 20;
    let mut best = std::time::Duration::MAX;
    for _ in 0..runs {
        let start = std::time::Instant::now();
        let el = Element::parse(input.as_bytes(), &ctx).unwrap();
        best = best.min(start.elapsed());
        std::hint::black_box(el);
    }
    println!(
        "{} bytes, 5039 items: best of {runs}: {best:?}",
        input.len()
    );
    let jids: Vec<String> = (0..5039)
        .map(|i| format!("j\u{fc}rgen{i}@m\u{fc}nchen.example"))
        .collect();
    let mut best = std::time::Duration::MAX;
    for _ in 0..runs {
        let start = std::time::Instant::now();
        for j in &jids {
            std::hint::black_box(Jid::new(j).unwrap());
        }
        best = best.min(start.elapsed());
    }
    println!("5039 Jid::new alone: best of {runs}: {best:?}");
}

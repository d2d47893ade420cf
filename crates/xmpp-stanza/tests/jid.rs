//! Domainparts (RFC 7622 section 3.2) against the idna crate's own UTS #46
//! conversions, the ASCII fast path included; localparts and resourceparts
//! (sections 3.3 and 3.4) against the PRECIS profiles applied as RFC 8264
//! section 7 defines enforcement, until nothing changes; and the cost of
//! preparing many non-ASCII JIDs.

#![allow(clippy::unwrap_used, clippy::panic)]

use chatwire_xmpp_stanza::{Context, Element, Jid, Limits};
use precis_core::profile::PrecisFastInvocation;
use precis_profiles::{OpaqueString, UsernameCaseMapped};
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

/// A part as a PRECIS profile enforces it, kept only if enforcing it
/// again changes nothing (RFC 8264 section 7: enforcement is idempotent)
/// and it fits RFC 7622's 1023 bytes.
fn precis_fixed_point(enforce: impl Fn(&str) -> Option<String>, part: &str) -> Option<String> {
    let once = enforce(part)?;
    let twice = enforce(&once)?;
    (twice == once && once.len() <= 1023).then_some(once)
}

/// RFC 7622 section 3.3: UsernameCaseMapped, and none of `"&'/:<>@`.
fn localpart(part: &str) -> Option<String> {
    precis_fixed_point(
        |s| UsernameCaseMapped::enforce(s).ok().map(|c| c.into_owned()),
        part,
    )
    .filter(|l| !l.contains(['"', '&', '\'', '/', ':', '<', '>', '@']))
}

/// RFC 7622 section 3.4: OpaqueString.
fn resourcepart(part: &str) -> Option<String> {
    precis_fixed_point(
        |s| OpaqueString::enforce(s).ok().map(|c| c.into_owned()),
        part,
    )
}

fn our_local(part: &str) -> Option<String> {
    let jid = Jid::new(&format!("{part}@example.com")).ok()?;
    jid.local().map(str::to_owned)
}

fn our_resource(part: &str) -> Option<String> {
    let jid = Jid::new(&format!("example.com/{part}")).ok()?;
    jid.resource().map(str::to_owned)
}

/// Characters PRECIS maps, normalises, refuses or allows only in context:
/// case pairs with odd mappings, width variants, spaces, combining marks
/// in and out of canonical order, joiners, and the contextual rules of RFC
/// 5892 appendix A (middle dot, Greek keraia, Hebrew punctuation,
/// Katakana middle dot, Arabic-Indic digits, virama).
fn precis_part() -> impl Strategy<Value = String> {
    let chars: Vec<char> = "aZ9~ \u{a0}\u{3000}\u{2002}iI\u{130}\u{131}\u{3a3}\u{3c3}\u{3c2}\u{df}\u{1e9e}\
         \u{212a}\u{2126}\u{212b}\u{fb01}\u{ff21}\u{ff41}\u{ff61}\u{e9}e\u{301}\u{316}\u{345}\u{3b9}\
         \u{387}\u{b7}l\u{375}\u{3b1}\u{5f3}\u{5f4}\u{5d0}\u{30fb}\u{30a2}\u{660}\u{6f0}\u{94d}\
         \u{915}\u{200c}\u{200d}\u{2163}\u{265a}\u{627}\u{1100}\u{1161}\u{ac00}\u{1f600}\u{7}\u{ad}"
        .chars()
        .collect();
    prop::collection::vec(prop::sample::select(chars), 1..6).prop_map(|c| c.into_iter().collect())
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
    fn localpart_is_precis(part in precis_part()) {
        prop_assert_eq!(our_local(&part), localpart(&part), "{:?}", part);
    }

    #[test]
    fn resourcepart_is_precis(part in precis_part()) {
        prop_assert_eq!(our_resource(&part), resourcepart(&part), "{:?}", part);
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

// Every code point alone and after a letter, as a localpart, a
// resourcepart and inside a domain label (slow in debug builds: run with
// --ignored in release mode).
#[test]
#[ignore]
fn every_code_point() {
    let mut differences = Vec::new();
    for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
        for part in [c.to_string(), format!("a{c}")] {
            if part.contains(['@', '/']) {
                continue;
            }
            if our_local(&part) != localpart(&part) {
                differences.push(format!("localpart {part:?}"));
            }
            if our_resource(&part) != resourcepart(&part) {
                differences.push(format!("resourcepart {part:?}"));
            }
            let domain = format!("{part}b.example");
            if !part.contains(['.', '[']) && ours(&domain) != uts46(&domain) {
                differences.push(format!("domainpart {domain:?}"));
            }
        }
    }
    assert!(differences.is_empty(), "{differences:?}");
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

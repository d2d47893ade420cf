//! Parse time of the shapes that once cost far more than their size:
//! prefixes looked up among many declarations, attributes compared by
//! long namespace names, a namespace name written with a reference used by
//! many elements. Timing only (run with --ignored --nocapture in release
//! mode): the figures depend on the machine; what the limits refuse shows
//! in `tests/reader.rs` and `tests/memory.rs`.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::{Duration, Instant};

use chatwire_xmpp_stanza::{Context, Element, Limits};

/// Skipped children of a roster item: one node per element.
const OPEN: &str = "<iq type='set' id='r'><query xmlns='jabber:iq:roster'><item jid='a'>";
const CLOSE: &str = "</item></query></iq>";

/// `open`, `unit` as many times as fit in the size limit (and at most
/// `most`), then `close`.
fn fill(open: &str, unit: &str, close: &str, most: usize) -> String {
    let max = Limits::default().max_bytes;
    let mut s = String::from(open);
    let mut n = 0;
    while n < most && s.len() + unit.len() + close.len() <= max {
        s.push_str(unit);
        n += 1;
    }
    s.push_str(close);
    s
}

fn best_of(input: &str, ctx: &Context) -> (Duration, String) {
    let mut best = Duration::MAX;
    let mut outcome = String::new();
    for _ in 0..5 {
        let start = Instant::now();
        let result = Element::parse(input.as_bytes(), ctx);
        best = best.min(start.elapsed());
        outcome = match result {
            Ok(_) => "parsed".into(),
            Err(e) => e.to_string(),
        };
    }
    (best, outcome)
}

#[test]
#[ignore]
fn worst_shapes() {
    let ctx = Context::client_tcp();
    let mut shapes = Vec::new();
    // Baselines: ordinary elements of the same sizes.
    shapes.push(("8000 empty children", fill(OPEN, "<a/>", CLOSE, 8000)));
    shapes.push((
        "one long body",
        fill(
            "<message><body>",
            "hello world &amp; more ",
            "</body></message>",
            usize::MAX,
        ),
    ));
    // Many declarations in scope, every element looking up the outermost
    // among 12-byte prefixes: 28 levels of 63 (refused now), then as many
    // as the limits let through (28 levels of 2).
    for per_level in [63, 2] {
        let mut open = String::from(OPEN);
        for level in 0..28 {
            open.push_str("<d");
            for i in 0..per_level {
                open.push_str(&format!(" xmlns:pppppppp{:04}='u'", level * 100 + i));
            }
            open.push('>');
        }
        let close = format!("{}{CLOSE}", "</d>".repeat(28));
        let name = if per_level == 2 {
            "56 declarations in scope"
        } else {
            "1764 declarations in scope"
        };
        shapes.push((name, fill(&open, "<pppppppp0000:a/>", &close, 8000)));
    }
    // 63 prefixes bound to long namespace names equal but for the end,
    // and elements with one attribute of the same local name in each.
    let mut open = format!("{OPEN}<d");
    for i in 0..63 {
        open.push_str(&format!(" xmlns:p{i}='{}{i:02}'", "u".repeat(2000)));
    }
    open.push('>');
    let unit: String = (0..63).map(|i| format!(" p{i}:b=''")).collect();
    shapes.push((
        "attributes in long namespaces",
        fill(&open, &format!("<a{unit}/>"), &format!("</d>{CLOSE}"), 127),
    ));
    // A namespace name with a reference, used by every element.
    let open = format!("{OPEN}<d xmlns:p='&#117;{}'>", "u".repeat(180_000));
    shapes.push((
        "referenced namespace",
        fill(&open, "<p:a/>", &format!("</d>{CLOSE}"), 8000),
    ));
    // Attributes of an unknown payload in one long namespace.
    let open = format!(
        "<message><x xmlns='urn:x' xmlns:p='{}'>",
        "u".repeat(190_000)
    );
    let unit: String = (0..63).map(|i| format!(" p:b{i}=''")).collect();
    shapes.push((
        "tree attributes, long namespace",
        fill(&open, &format!("<a{unit}/>"), "</x></message>", usize::MAX),
    ));
    for (name, input) in shapes {
        let (best, outcome) = best_of(&input, &ctx);
        println!(
            "{name:32} {:6} bytes  best of 5: {best:>10.3?}  {outcome}",
            input.len()
        );
    }
}

//! Memory per stanza, measured with a counting allocator: for the worst
//! shapes of input at the size limit, neither the peak while parsing nor
//! what the parsed value keeps may exceed four times the input. What is
//! allocated in all, kept or not, stands for the work done and may not
//! exceed sixteen times the size limit.
//!
//! The allocator's peak cannot be reset, so each shape is measured in a
//! child process of this test binary (the `measure_one` test, selected by
//! an environment variable) and reported on its standard output.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::System;
use std::process::Command;

use cap::Cap;
use chatwire_xmpp_stanza::{Context, Element, Limits};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static ALLOC: Cap<&'static StatsAlloc<System>> = Cap::new(&INSTRUMENTED_SYSTEM, usize::MAX);

/// Names the shape a child process measures.
const SHAPE_VAR: &str = "CHATWIRE_MEMORY_SHAPE";
/// The size, in bytes, it is measured at.
const SIZE_VAR: &str = "CHATWIRE_MEMORY_SIZE";

/// How far past the input the memory may go.
const FACTOR: usize = 4;

/// How far past the size limit the bytes allocated in all may go.
const ALLOCATED_FACTOR: usize = 16;

/// Builds `open`, then `unit(i)` repeated while it fits, then `close`,
/// all within `max` bytes.
fn fill(max: usize, open: &str, close: &str, unit: impl Fn(usize) -> String) -> String {
    let mut s = String::with_capacity(max);
    s.push_str(open);
    for i in 0.. {
        let u = unit(i);
        if s.len() + u.len() + close.len() > max {
            break;
        }
        s.push_str(&u);
    }
    s.push_str(close);
    s
}

/// Attribute names `a`..`z`, `A`..`Z`, then two letters: short and distinct.
fn attr_name(i: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let letter = |n: usize| char::from(LETTERS[n % LETTERS.len()]);
    if i < LETTERS.len() {
        letter(i).to_string()
    } else {
        format!("{}{}", letter(i / LETTERS.len()), letter(i))
    }
}

/// The shapes measured, worst first within each group.
const SHAPES: &[&str] = &[
    "empty-payloads",
    "empty-elements",
    "attributes",
    "attribute-namespaces",
    "one-attribute",
    "deep",
    "deep-63-byte-namespace",
    "interleaved-text",
    "prefixed",
    "inherited-long-namespace",
    "prefixed-attributes",
    "bodies",
    "roster-items",
    "roster-groups",
    "statuses",
    "references",
    "referenced-namespace",
    "body-attributes-long-namespace",
    "tree-attributes-long-namespace",
];

/// The input of shape `name` at `max` bytes.
fn shape(name: &str, max: usize) -> String {
    let long_ns = format!("urn:{}", "n".repeat(1000));
    let attrs = Limits::default().max_attributes;
    let many_attrs = |prefix: &str, n: usize| {
        let mut e = String::from("<a");
        for i in 0..n {
            e.push_str(&format!(" {prefix}{}=''", attr_name(i)));
        }
        e.push_str("/>");
        e
    };
    let payload = "<message><x xmlns='u'>";
    match name {
        // Direct children of a message become one payload tree each.
        "empty-payloads" => fill(max, "<message>", "</message>", |_| "<a/>".into()),
        // The same inside one payload: children of a tree.
        "empty-elements" => fill(max, payload, "</x></message>", |_| "<a/>".into()),
        // Every element at the attribute limit, names as short as they go.
        "attributes" => fill(max, payload, "</x></message>", |_| many_attrs("", attrs)),
        // One attribute per element: minidom allocates two map leaves for
        // the first attribute of an element, whatever its size.
        "one-attribute" => fill(max, payload, "</x></message>", |_| "<a b=''/>".into()),
        // Every attribute of an element in a namespace of its own: a map
        // leaf each, and a copy of a namespace name just short of costing
        // an extra node.
        "attribute-namespaces" => {
            let n = attrs - 1;
            let mut open = String::from("<message><x xmlns='u'");
            for i in 0..n {
                let ns = format!("{:n>63}", attr_name(i));
                open.push_str(&format!(" xmlns:{}='{ns}'", attr_name(i)));
            }
            open.push('>');
            let mut unit = String::from("<a");
            for i in 0..n {
                unit.push_str(&format!(" {}:b=''", attr_name(i)));
            }
            unit.push_str("/>");
            fill(max, &open, "</x></message>", |_| unit.clone())
        }
        // Nesting to the depth limit, over and over: every element has one
        // child, the most wasteful shape for minidom's child vectors.
        "deep" => fill(max, "<message>", "</message>", |_| {
            let depth = Limits::default().max_depth - 1;
            format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth))
        }),
        // The same in a namespace just short of costing an extra node.
        "deep-63-byte-namespace" => {
            let ns = format!("urn:{}", "n".repeat(59));
            fill(
                max,
                &format!("<message><x xmlns='{ns}'>"),
                "</x></message>",
                |_| {
                    let depth = Limits::default().max_depth - 2;
                    format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth))
                },
            )
        }
        // Text nodes that cannot merge: an element between each two.
        "interleaved-text" => fill(max, payload, "</x></message>", |_| "t<a/>".into()),
        // A prefix declared and used on every element.
        "prefixed" => fill(max, payload, "</x></message>", |_| {
            "<p:a xmlns:p='v'/>".into()
        }),
        // A long namespace inherited by many small elements: each element
        // of a tree keeps its own copy of its namespace name.
        "inherited-long-namespace" => fill(
            max,
            &format!("<message><x xmlns='{long_ns}'>"),
            "</x></message>",
            |_| "<a/>".into(),
        ),
        // Prefixed attributes in a long namespace.
        "prefixed-attributes" => fill(
            max,
            &format!("<message><x xmlns='u' xmlns:p='{long_ns}'>"),
            "</x></message>",
            |_| many_attrs("p:", attrs - 1),
        ),
        // Typed children: empty bodies, roster items, groups, statuses.
        "bodies" => fill(max, "<message>", "</message>", |_| "<body/>".into()),
        "roster-items" => fill(
            max,
            "<iq type='set' id='r'><query xmlns='jabber:iq:roster'>",
            "</query></iq>",
            |_| "<item jid='a'/>".into(),
        ),
        "roster-groups" => fill(
            max,
            "<iq type='set' id='r'><query xmlns='jabber:iq:roster'><item jid='a'>",
            "</item></query></iq>",
            |_| "<group/>".into(),
        ),
        "statuses" => fill(max, "<presence>", "</presence>", |_| "<status/>".into()),
        // One long text made of references.
        "references" => fill(max, "<message><body>", "</body></message>", |_| {
            "&lt;".into()
        }),
        // A namespace name written with a reference, used by many
        // elements: each element holds the name resolved once.
        "referenced-namespace" => fill(
            max,
            &format!(
                "<iq type='set' id='r'><query xmlns='jabber:iq:roster'><item jid='a'><d xmlns:p='&#117;{}'>",
                "n".repeat(max / 2)
            ),
            "</d></item></query></iq>",
            |_| "<p:a/>".into(),
        ),
        // A prefix bound once to a long namespace, used by an attribute of
        // many typed children (kept as extra attributes) or trees: every
        // attribute keeps, and writes back, its own copy of the name.
        "body-attributes-long-namespace" => fill(
            max,
            &format!("<message xmlns:p='urn:{}'>", "n".repeat(max / 2)),
            "</message>",
            |_| "<body p:x=''/>".into(),
        ),
        "tree-attributes-long-namespace" => fill(
            max,
            &format!("<message xmlns:p='urn:{}'>", "n".repeat(max / 2)),
            "</message>",
            |_| "<a xmlns='urn:x' p:x=''/>".into(),
        ),
        other => panic!("no shape {other}"),
    }
}

/// One shape's figures, as a child reports them.
#[derive(Debug)]
struct Figures {
    input: usize,
    peak: usize,
    retained: usize,
    allocations: usize,
    /// Bytes allocated in all, whether kept or not.
    allocated: usize,
    parsed: bool,
}

impl Figures {
    fn line(&self, name: &str) -> String {
        format!(
            "MEASURED {name} input={} peak={} retained={} allocations={} allocated={} parsed={}",
            self.input, self.peak, self.retained, self.allocations, self.allocated, self.parsed
        )
    }

    fn from_line(line: &str) -> Figures {
        let field = |key: &str| -> &str {
            line.split(' ')
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
                .unwrap_or_else(|| panic!("{key} missing in {line}"))
        };
        let number = |key: &str| field(key).parse::<usize>().unwrap();
        Figures {
            input: number("input"),
            peak: number("peak"),
            retained: number("retained"),
            allocations: number("allocations"),
            allocated: number("allocated"),
            parsed: field("parsed") == "true",
        }
    }
}

fn measure(input: &str) -> Figures {
    let ctx = Context::client_tcp();
    let region = stats_alloc::Region::new(&INSTRUMENTED_SYSTEM);
    let before = ALLOC.allocated();
    let result = Element::parse(input.as_bytes(), &ctx);
    let after = ALLOC.allocated();
    // The peak so far may predate the parse (building the input), which
    // only makes this figure larger than the truth.
    let peak = ALLOC.max_allocated().saturating_sub(before);
    let change = region.change();
    let allocations = change.allocations;
    let figures = Figures {
        input: input.len(),
        peak,
        retained: after.saturating_sub(before),
        allocations,
        allocated: change.bytes_allocated,
        parsed: result.is_ok(),
    };
    drop(result);
    figures
}

/// The child: measures the shape named in the environment, if any, at the
/// size given there.
#[test]
fn measure_one() {
    let (Ok(name), Ok(size)) = (std::env::var(SHAPE_VAR), std::env::var(SIZE_VAR)) else {
        return;
    };
    let input = shape(&name, size.parse().unwrap());
    let figures = measure(&input);
    println!("{}", figures.line(&name));
}

/// Runs `measure_one` in a child process for `name` at `size` bytes.
fn measure_in_child(name: &str, size: usize) -> Figures {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "measure_one", "--nocapture", "--test-threads=1"])
        .env(SHAPE_VAR, name)
        .env(SIZE_VAR, size.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{name}: {stdout}");
    let line = stdout
        .lines()
        .find_map(|l| l.find("MEASURED ").and_then(|at| l.get(at..)))
        .unwrap_or_else(|| panic!("{name}: no figures in {stdout}"));
    Figures::from_line(line)
}

fn report(what: &str, name: &str, f: &Figures) {
    println!(
        "{what:7} {name:24} input {:6}  peak {:8} ({:5.2}x)  retained {:8} ({:5.2}x)  allocations {:6}  allocated {:8} ({:5.2}x)  parsed {}",
        f.input,
        f.peak,
        f.peak as f64 / f.input as f64,
        f.retained,
        f.retained as f64 / f.input as f64,
        f.allocations,
        f.allocated,
        f.allocated as f64 / f.input as f64,
        f.parsed
    );
}

/// The largest size (in bytes, up to `max`) at which shape `name` parses
/// with the default limits.
fn largest_parsing(name: &str, max: usize) -> usize {
    let ctx = Context::client_tcp();
    let parses = |size: usize| Element::parse(shape(name, size).as_bytes(), &ctx).is_ok();
    if parses(max) {
        return max;
    }
    let (mut ok, mut bad) = (0, max);
    while bad - ok > 1 {
        let mid = ok + (bad - ok) / 2;
        if parses(mid) {
            ok = mid;
        } else {
            bad = mid;
        }
    }
    ok
}

// At the size limit, each shape costs at most four times its input, while
// it is read and once it is parsed (or refused).
#[test]
fn memory_within_four_times_the_input() {
    if std::env::var(SHAPE_VAR).is_ok() {
        return;
    }
    let max = Limits::default().max_bytes;
    let mut over = Vec::new();
    for &name in SHAPES {
        let len = shape(name, max).len();
        assert!(len <= max && len > max - 1100, "{name}");
        let f = measure_in_child(name, max);
        report("limit", name, &f);
        if f.peak > FACTOR * f.input
            || f.retained > FACTOR * f.input
            || f.allocated > ALLOCATED_FACTOR * max
        {
            over.push(name);
        }
    }
    assert!(
        over.is_empty(),
        "over {FACTOR}x the input or {ALLOCATED_FACTOR}x the size limit in all: {over:?}"
    );
}

// The largest instance of each shape that the node limit lets through
// costs at most four times the size limit: smaller inputs may cost more
// than four times themselves, but never more than the largest may.
#[test]
fn accepted_elements_within_four_times_the_size_limit() {
    if std::env::var(SHAPE_VAR).is_ok() {
        return;
    }
    let max = Limits::default().max_bytes;
    let mut over = Vec::new();
    for &name in SHAPES {
        let size = largest_parsing(name, max);
        let f = measure_in_child(name, size);
        assert!(f.parsed, "{name} at {size}");
        report("largest", name, &f);
        if f.peak > FACTOR * max
            || f.retained > FACTOR * max
            || f.allocated > ALLOCATED_FACTOR * max
        {
            over.push(name);
        }
    }
    assert!(
        over.is_empty(),
        "over {FACTOR}x (in all {ALLOCATED_FACTOR}x) the size limit: {over:?}"
    );
}

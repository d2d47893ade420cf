//! Memory held by idle framing objects and by the elements they hand out,
//! measured with a counting allocator.
//!
//! Required: once events and output are drained, an idle `TcpSplitter`,
//! `TcpFraming` or `WsFraming` holds at most 4 KiB of heap beyond its
//! struct, whatever it carried; an element never keeps more than twice its
//! own size alive.
//!
//! The allocator counts every thread, so each case runs alone in a child
//! process of this test binary (the `child` test, selected by an
//! environment variable), where nothing else allocates meanwhile.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::System;
use std::process::Command;

use chatwire_utf8::Utf8Bytes;
use chatwire_xmpp_framing::tcp::{self, TcpFraming};
use chatwire_xmpp_framing::websocket::{self, WsFraming};
use chatwire_xmpp_framing::{Element, Event, Limits, StreamHeader, TcpSplitter};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Names the case a child process runs.
const CASE_VAR: &str = "CHATWIRE_FRAMING_MEMORY_CASE";
/// What an idle object may hold beyond its struct.
const IDLE_MAX: isize = 4096;
/// One TCP segment on Ethernet.
const SEGMENT: usize = 1460;

const HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";
/// 38 bytes.
const PRESENCE: &str = "<presence to='romeo@example.net/o12'/>";
/// Declaring its namespace, as every WebSocket message must.
const WS_PRESENCE: &str = "<presence xmlns='jabber:client'/>";
const WS_OPEN: &str =
    r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="1.0"/>"#;

/// Bytes currently allocated by the whole process (reallocations are
/// already counted in both totals).
fn live() -> isize {
    let stats = GLOBAL.stats();
    stats.bytes_allocated as isize - stats.bytes_deallocated as isize
}

/// A message stanza of exactly `size` bytes.
fn stanza(size: usize) -> String {
    let open = "<message xmlns='jabber:client' to='juliet@example.com'><body>";
    let close = "</body></message>";
    let mut s = String::with_capacity(size);
    s.push_str(open);
    s.push_str(&"x".repeat(size - open.len() - close.len()));
    s.push_str(close);
    assert_eq!(s.len(), size);
    s
}

/// The heap an element's text keeps alive: measured by dropping it.
fn pinned(element: Element) -> isize {
    let Element { bytes, .. } = element;
    let with = live();
    drop(bytes);
    with - live()
}

fn drain_splitter(splitter: &mut TcpSplitter) -> Vec<Element> {
    std::iter::from_fn(|| splitter.poll_event())
        .filter_map(|event| match event {
            Event::Element(element) => Some(element),
            _ => None,
        })
        .collect()
}

fn check_idle(what: &str, before: isize) {
    let held = live() - before;
    println!("{what}: {held} bytes held when idle");
    assert!(
        held <= IDLE_MAX,
        "{what} holds {held} bytes when idle (at most {IDLE_MAX})"
    );
}

// --- the cases, each run in its own process ---

fn splitter_after_a_big_stanza() {
    let big = stanza(250 * 1024);
    let before = live();
    let mut splitter = TcpSplitter::new(Limits::default());
    splitter.handle_input(HEADER.as_bytes()).unwrap();
    drain_splitter(&mut splitter);
    for segment in big.as_bytes().chunks(SEGMENT) {
        splitter.handle_input(segment).unwrap();
    }
    let elements = drain_splitter(&mut splitter);
    assert_eq!(elements.len(), 1);
    let len = elements[0].bytes.len() as isize;
    let kept = pinned(elements.into_iter().next().unwrap());
    println!("a {len}-byte stanza pins {kept} bytes");
    assert!(kept <= 2 * len, "a {len}-byte stanza pins {kept} bytes");
    check_idle("TcpSplitter after a 250 KiB stanza", before);
}

fn splitter_small_stanza_across_two_reads() {
    let big = stanza(250 * 1024);
    assert_eq!(PRESENCE.len(), 38);
    // What the presence keeps alive once the splitter is gone.
    for cut in [1, 9, 19, 37] {
        let mut splitter = TcpSplitter::new(Limits::default());
        splitter.handle_input(HEADER.as_bytes()).unwrap();
        splitter.handle_input(big.as_bytes()).unwrap();
        drain_splitter(&mut splitter);
        let (a, b) = PRESENCE.as_bytes().split_at(cut);
        splitter.handle_input(a).unwrap();
        splitter.handle_input(b).unwrap();
        let presence = drain_splitter(&mut splitter).pop().unwrap();
        assert_eq!(presence.bytes, PRESENCE);
        drop(splitter);
        let kept = pinned(presence);
        println!("a 38-byte presence cut at {cut} pins {kept} bytes");
        assert!(
            kept <= 2 * 38,
            "a 38-byte presence cut at {cut} pins {kept} bytes"
        );
    }
    // What the splitter keeps once every presence is dropped.
    let before = live();
    let mut splitter = TcpSplitter::new(Limits::default());
    splitter.handle_input(HEADER.as_bytes()).unwrap();
    splitter.handle_input(big.as_bytes()).unwrap();
    drain_splitter(&mut splitter);
    for cut in 1..PRESENCE.len() {
        let (a, b) = PRESENCE.as_bytes().split_at(cut);
        splitter.handle_input(a).unwrap();
        splitter.handle_input(b).unwrap();
        assert_eq!(drain_splitter(&mut splitter).len(), 1);
    }
    check_idle("TcpSplitter after a presence across two reads", before);
}

fn splitter_after_a_burst() {
    let mut burst = String::new();
    for _ in 0..2000 {
        burst.push_str(PRESENCE);
    }
    let before = live();
    let mut splitter = TcpSplitter::new(Limits::default());
    splitter.handle_input(HEADER.as_bytes()).unwrap();
    // Two thousand events queued by one input, then drained.
    splitter.handle_input(burst.as_bytes()).unwrap();
    assert_eq!(drain_splitter(&mut splitter).len(), 2000);
    check_idle("TcpSplitter after 2000 stanzas in one read", before);
}

fn ws_framing_after_traffic() {
    let before = live();
    let mut server = WsFraming::server(websocket::Config::default());
    server
        .handle_message(Utf8Bytes::from_static(WS_OPEN))
        .unwrap();
    assert!(matches!(server.poll_event(), Some(Event::StreamOpen(_))));
    server
        .open(&StreamHeader::new().with_from("example.com").with_id("s1"))
        .unwrap();
    // A burst of sends before any transmit, then a big stanza each way.
    for _ in 0..2000 {
        server.send(WS_PRESENCE).unwrap();
    }
    let big = stanza(250 * 1024);
    server.send(&big).unwrap();
    let mut out = String::new();
    let mut messages = 0;
    while server.poll_transmit(&mut out) > 0 {
        messages += 1;
        out.clear();
    }
    assert_eq!(messages, 2002);
    drop(out);
    server.handle_message(Utf8Bytes::from(big)).unwrap();
    let element = match server.poll_event() {
        Some(Event::Element(element)) => element,
        other => panic!("{other:?}"),
    };
    assert_eq!(server.poll_event(), None);
    drop(element);
    check_idle("WsFraming after 2000 sends and a 250 KiB stanza", before);
}

fn ws_framing_element_pins_at_most_twice() {
    let mut server = WsFraming::server(websocket::Config::default());
    server
        .handle_message(Utf8Bytes::from_static(WS_OPEN))
        .unwrap();
    // A small element padded with whitespace in a large message: copied out.
    let padded = format!("{WS_PRESENCE}{}", " ".repeat(100_000));
    let message = Utf8Bytes::try_from(padded.into_bytes()).unwrap();
    assert!(matches!(server.poll_event(), Some(Event::StreamOpen(_))));
    server.handle_message(message).unwrap();
    let Some(Event::Element(element)) = server.poll_event() else {
        panic!()
    };
    let small = pinned(element);
    let len = WS_PRESENCE.len() as isize;
    assert!(
        small <= 2 * len,
        "a padded {len}-byte presence pins {small} bytes"
    );
    // An element that is most of its message: a slice, sharing the storage.
    let big = stanza(100_000);
    // Built without spare capacity: what the message keeps alive is its length.
    let mut message = big.into_bytes();
    message.push(b'\n');
    message.shrink_to_fit();
    let message = Utf8Bytes::try_from(message).unwrap();
    let start = message.as_bytes().as_ptr();
    server.handle_message(message).unwrap();
    let Some(Event::Element(element)) = server.poll_event() else {
        panic!()
    };
    assert_eq!(element.as_bytes().as_ptr(), start, "not a slice");
    let large = pinned(element);
    assert!(large <= 2 * 100_000, "a 100 kB stanza pins {large} bytes");
}

fn tcp_framing_after_traffic() {
    let big = stanza(250 * 1024);
    let before = live();
    let mut server = TcpFraming::server(tcp::Config::default());
    server.handle_input(HEADER.as_bytes()).unwrap();
    server
        .open(&StreamHeader::new().with_from("example.com").with_id("s1"))
        .unwrap();
    for _ in 0..2000 {
        server.send(PRESENCE).unwrap();
    }
    server.send(&big).unwrap();
    let mut out = String::new();
    assert!(server.poll_transmit(&mut out) > 250 * 1024);
    drop(out);
    for segment in big.as_bytes().chunks(SEGMENT) {
        server.handle_input(segment).unwrap();
    }
    let mut burst = String::new();
    for _ in 0..2000 {
        burst.push_str(PRESENCE);
    }
    server.handle_input(burst.as_bytes()).unwrap();
    drop(burst);
    let mut elements = 0;
    while let Some(event) = server.poll_event() {
        if let Event::Element(_) = event {
            elements += 1;
        }
    }
    assert_eq!(elements, 2001);
    check_idle("TcpFraming after traffic both ways", before);
}

fn queued_output_is_bounded() {
    let config = tcp::Config::default().with_max_queued_bytes(64 * 1024);
    let mut server = TcpFraming::server(config);
    server.handle_input(HEADER.as_bytes()).unwrap();
    server.open(&StreamHeader::new().with_id("s1")).unwrap();
    let before = live();
    let mut refused = 0;
    for _ in 0..10_000 {
        if server.send(PRESENCE).is_err() {
            refused += 1;
        }
    }
    assert!(refused > 0);
    assert!(server.queued_bytes() <= 64 * 1024 + 400);
    let held = live() - before;
    assert!(held <= 2 * 64 * 1024, "{held}");
}

const CASES: &[(&str, fn())] = &[
    ("splitter_after_a_big_stanza", splitter_after_a_big_stanza),
    (
        "splitter_small_stanza_across_two_reads",
        splitter_small_stanza_across_two_reads,
    ),
    ("splitter_after_a_burst", splitter_after_a_burst),
    ("ws_framing_after_traffic", ws_framing_after_traffic),
    (
        "ws_framing_element_pins_at_most_twice",
        ws_framing_element_pins_at_most_twice,
    ),
    ("tcp_framing_after_traffic", tcp_framing_after_traffic),
    ("queued_output_is_bounded", queued_output_is_bounded),
];

/// Runs one case in a child process; fails with the child's output.
fn in_child(case: &str) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CASE_VAR, case)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{case}:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{case} did not run:\n{stdout}");
    // The figures, for `--nocapture`.
    for line in stdout.lines().filter(|l| l.contains("bytes")) {
        println!("{line}");
    }
}

/// The child side: runs the case named in the environment, if any.
#[test]
fn child() {
    let Ok(case) = std::env::var(CASE_VAR) else {
        return;
    };
    let (_, run) = CASES
        .iter()
        .find(|(name, _)| *name == case)
        .unwrap_or_else(|| panic!("no case {case}"));
    run();
}

#[test]
fn tcp_splitter_idle_after_a_250_kib_stanza() {
    in_child("splitter_after_a_big_stanza");
}

#[test]
fn tcp_splitter_small_stanza_across_two_reads_pins_little() {
    in_child("splitter_small_stanza_across_two_reads");
}

#[test]
fn tcp_splitter_idle_after_a_burst_of_events() {
    in_child("splitter_after_a_burst");
}

#[test]
fn ws_framing_idle_after_a_burst_of_sends() {
    in_child("ws_framing_after_traffic");
}

#[test]
fn ws_framing_element_never_pins_more_than_twice_its_size() {
    in_child("ws_framing_element_pins_at_most_twice");
}

#[test]
fn tcp_framing_idle_after_traffic() {
    in_child("tcp_framing_after_traffic");
}

#[test]
fn tcp_framing_queue_is_bounded() {
    in_child("queued_output_is_bounded");
}

//! What a connection keeps on the heap, measured with a counting global allocator.
//!
//! This binary has no test harness (`harness = false`): the cases run one after
//! the other on the main thread, so the allocator's counts are theirs alone.
//! Each case measures the heap that stays allocated across a window: from just
//! after the connection is made to when its events and output are drained (the
//! idle cost), or what a payload the caller keeps still holds alive.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::System;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use chatwire_websocket::{Config, Connection, Error, Event};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

mod common;
use common::client_frame;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The heap an idle connection may hold beyond its struct.
const IDLE_BUDGET: isize = 4096;

/// Bytes allocated and not freed since `region` began (stats_alloc counts the
/// growth of a `realloc` as allocated and its shrinking as freed).
fn live(region: &Region<System>) -> isize {
    let change = region.change();
    change.bytes_allocated as isize - change.bytes_deallocated as isize
}

/// Bytes requested from the allocator since `region` began (frees not subtracted).
fn requested(region: &Region<System>) -> usize {
    region.change().bytes_allocated
}

fn server() -> Connection {
    Connection::server(Instant::now(), Config::default())
}

/// Drops every event and every queued byte.
fn drain(conn: &mut Connection) {
    while conn.poll_event().is_some() {}
    let mut out = Vec::new();
    conn.poll_transmit(&mut out);
}

fn assert_idle(region: &Region<System>, what: &str) {
    let held = live(region);
    println!("    {what}: {held} bytes held");
    assert!(
        held <= IDLE_BUDGET,
        "{what}: the idle connection holds {held} bytes"
    );
}

/// A 16 MiB message read in one piece leaves nothing behind once it is taken.
fn sixteen_mib_message_in_one_read() {
    for opcode in [0x82, 0x81] {
        let payload = vec![b'a'; 16 << 20];
        let wire = client_frame(opcode, &payload);
        let mut conn = server();
        let region = Region::new(GLOBAL);
        conn.handle_input(Instant::now(), &wire).unwrap();
        match conn.poll_event() {
            Some(Event::Binary(data)) => assert_eq!(data, payload),
            Some(Event::Text(text)) => assert_eq!(text.as_bytes(), payload),
            other => panic!("{other:?}"),
        }
        drain(&mut conn);
        assert_idle(&region, "after 16 MiB in one read");
    }
}

/// The same message read 64 KiB at a time.
fn sixteen_mib_message_in_64_kib_reads() {
    let payload = vec![b'a'; 16 << 20];
    let wire = client_frame(0x81, &payload);
    let mut conn = server();
    let region = Region::new(GLOBAL);
    for read in wire.chunks(64 << 10) {
        conn.handle_input(Instant::now(), read).unwrap();
    }
    assert!(matches!(conn.poll_event(), Some(Event::Text(t)) if t.len() == 16 << 20));
    drain(&mut conn);
    assert_idle(&region, "after 16 MiB in 64 KiB reads");
    // A read that ends in the middle of a frame keeps only the frame's own bytes.
    let mut conn = server();
    let region = Region::new(GLOBAL);
    conn.handle_input(Instant::now(), &wire[..64 << 10])
        .unwrap();
    let held = live(&region);
    assert!(
        held <= (64 << 10) + IDLE_BUDGET,
        "64 KiB of a frame hold {held}"
    );
}

/// A payload kept after its connection is gone holds at most twice its size.
fn kept_payload_pins_at_most_twice_its_size() {
    // The case: a 4-byte message read together with a 60 KB one.
    let mut wire = client_frame(0x82, &vec![1u8; 60_000]);
    wire.extend(client_frame(0x82, b"four"));
    let region = Region::new(GLOBAL);
    let mut conn = server();
    conn.handle_input(Instant::now(), &wire).unwrap();
    drop(conn.poll_event());
    let kept = conn.poll_event().unwrap();
    drop(conn);
    let pinned = live(&region);
    println!("    a kept 4-byte payload: {pinned} bytes held");
    assert_eq!(kept, Event::Binary("four".into()));
    assert!(pinned <= 8, "a 4-byte payload holds {pinned} bytes");
    drop(kept);

    // Every size, whole, cut into 1-byte reads, and in three fragments.
    for size in [1usize, 4, 100, 1000, 70_000] {
        let payload: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
        let third = size / 3;
        let mut fragmented = client_frame(0x01, &payload[..third]);
        fragmented.extend(client_frame(0x00, &payload[third..2 * third]));
        fragmented.extend(client_frame(0x80, &payload[2 * third..]));
        let whole = client_frame(0x81, &payload);
        for (how, wire, step) in [
            ("whole", &whole, usize::MAX),
            ("byte by byte", &whole, 1),
            ("fragmented", &fragmented, 7),
        ] {
            let region = Region::new(GLOBAL);
            let mut conn = server();
            for read in wire.chunks(step.min(wire.len())) {
                conn.handle_input(Instant::now(), read).unwrap();
            }
            let kept = conn.poll_event().unwrap();
            drop(conn);
            let pinned = live(&region);
            match &kept {
                Event::Text(text) => assert_eq!(text.as_bytes(), payload),
                other => panic!("{other:?}"),
            }
            assert!(
                pinned <= 2 * size as isize,
                "{size} bytes received {how} hold {pinned}"
            );
            if how != "fragmented" {
                assert_eq!(pinned, size as isize, "{size} bytes in one frame ({how})");
            }
        }
    }
}

/// `poll_transmit` appends to the caller's buffer and never takes it over.
fn poll_transmit_appends_and_keeps_no_scratch_buffer() {
    let mut conn = server();
    let region = Region::new(GLOBAL);
    conn.send_text("x").unwrap();
    let mut scratch: Vec<u8> = Vec::with_capacity(1 << 20);
    assert_eq!(conn.poll_transmit(&mut scratch), 3);
    assert_eq!(scratch, [0x81, 0x01, b'x']);
    assert!(
        scratch.capacity() >= 1 << 20,
        "the caller's buffer was swapped"
    );
    drop(scratch);
    // A large message sent and flushed leaves nothing behind either.
    conn.send_binary(&vec![0u8; 1 << 20]).unwrap();
    let mut out = Vec::new();
    conn.poll_transmit(&mut out);
    assert_eq!(out.len(), 10 + (1 << 20));
    drop(out);
    assert_idle(&region, "after poll_transmit");
}

/// 64 KiB of empty pings in one read: every event drained, then the output.
fn sixty_four_kib_of_pings_drained() {
    let wire: Vec<u8> = std::iter::repeat_n(client_frame(0x89, b""), (64 << 10) / 6)
        .flatten()
        .collect();
    let mut conn = server();
    let region = Region::new(GLOBAL);
    conn.handle_input(Instant::now(), &wire).unwrap();
    let mut pings = 0;
    while let Some(event) = conn.poll_event() {
        assert_eq!(event, Event::Ping(bytes::Bytes::new()));
        pings += 1;
    }
    assert_eq!(pings, (64 << 10) / 6);
    let mut out = Vec::new();
    conn.poll_transmit(&mut out);
    // 16 pongs go out as the pings arrive, then only the most recent is answered.
    assert_eq!(out, [0x8A, 0x00].repeat(17));
    drop(out);
    assert_idle(&region, "after 64 KiB of pings");
}

/// Pings while the output is never drained: the output stays bounded.
fn pings_with_output_never_drained() {
    let chunk: Vec<u8> = std::iter::repeat_n(client_frame(0x89, b"payload"), (64 << 10) / 13)
        .flatten()
        .collect();
    let mut conn = server();
    let region = Region::new(GLOBAL);
    // 64 KiB, events left queued: they are the caller's to drain.
    conn.handle_input(Instant::now(), &chunk).unwrap();
    let queued = conn.queued_output();
    assert!(
        queued <= 17 * 9,
        "{queued} bytes queued after 64 KiB of pings"
    );
    drain(&mut conn);
    assert_idle(&region, "after 64 KiB of pings, drained late");
    // 10 MB more, events drained after each read, the output never.
    for _ in 0..(10 << 20) / chunk.len() {
        conn.handle_input(Instant::now(), &chunk).unwrap();
        while conn.poll_event().is_some() {}
    }
    let queued = conn.queued_output();
    assert!(
        queued <= 17 * 9,
        "{queued} bytes queued after 10 MB of pings"
    );
    assert_idle(&region, "after 10 MB of pings, output not drained");
}

/// A peer that never reads: messages are refused past the output limit.
fn client_that_never_reads() {
    let config = Config::chat_server();
    let limit = config.max_queued_output;
    let message = "m".repeat(1000);
    let pings: Vec<u8> = std::iter::repeat_n(client_frame(0x89, b"?"), 1000)
        .flatten()
        .collect();
    let mut conn = Connection::server(Instant::now(), config);
    let region = Region::new(GLOBAL);
    let mut sent = 0;
    let refusal = loop {
        match conn.send_text(&message) {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
        assert!(sent < 100_000, "never refused");
    };
    assert_eq!(sent, limit / 1004);
    assert_eq!(
        refusal,
        Error::OutputFull {
            queued: sent * 1004,
            needed: 1004,
            limit
        }
    );
    // The peer keeps pinging while it does not read: still bounded.
    conn.handle_input(Instant::now(), &pings).unwrap();
    while conn.poll_event().is_some() {}
    let queued = conn.queued_output();
    assert!(queued <= limit + 3, "{queued} bytes queued");
    let held = live(&region);
    println!("    a peer that does not read, limit {limit}: {held} bytes held");
    assert!(
        held <= limit as isize + IDLE_BUDGET,
        "{held} bytes held for a peer that does not read"
    );
    // Once the socket takes the bytes, sending works again and nothing stays behind.
    drain(&mut conn);
    conn.send_text(&message).unwrap();
    drain(&mut conn);
    assert_idle(&region, "after the peer caught up");
}

/// A text message is copied once, from the input into its own allocation.
fn text_is_copied_once() {
    let text = "é".repeat(1 << 19);
    let wire = client_frame(0x81, text.as_bytes());
    let mut conn = server();
    let region = Region::new(GLOBAL);
    conn.handle_input(Instant::now(), &wire).unwrap();
    let event = conn.poll_event().unwrap();
    let allocated = requested(&region);
    println!(
        "    {} bytes of text received: {allocated} bytes allocated",
        text.len()
    );
    assert_eq!(event, Event::Text(text.clone().into()));
    assert!(
        allocated <= text.len() + 256,
        "{allocated} bytes allocated to receive {} bytes of text",
        text.len()
    );
}

fn main() {
    let cases: &[(&str, fn())] = &[
        (
            "sixteen_mib_message_in_one_read",
            sixteen_mib_message_in_one_read,
        ),
        (
            "sixteen_mib_message_in_64_kib_reads",
            sixteen_mib_message_in_64_kib_reads,
        ),
        (
            "kept_payload_pins_at_most_twice_its_size",
            kept_payload_pins_at_most_twice_its_size,
        ),
        (
            "poll_transmit_appends_and_keeps_no_scratch_buffer",
            poll_transmit_appends_and_keeps_no_scratch_buffer,
        ),
        (
            "sixty_four_kib_of_pings_drained",
            sixty_four_kib_of_pings_drained,
        ),
        (
            "pings_with_output_never_drained",
            pings_with_output_never_drained,
        ),
        ("client_that_never_reads", client_that_never_reads),
        ("text_is_copied_once", text_is_copied_once),
    ];
    // Like libtest: arguments that are not flags filter the cases by name.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (mut passed, mut failed) = (0, 0);
    for (name, case) in cases {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        if catch_unwind(AssertUnwindSafe(case)).is_ok() {
            println!("test {name} ... ok");
            passed += 1;
        } else {
            println!("test {name} ... FAILED");
            failed += 1;
        }
    }
    println!("memory: {passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

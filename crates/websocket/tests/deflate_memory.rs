//! What permessage-deflate costs in memory, measured with a counting global
//! allocator (`cap`): the state sizes per window, what a connection keeps per
//! policy once idle, and the peak while a decompression bomb is refused.
//!
//! No test harness (`harness = false`): the cases run one after the other on the
//! main thread, so the counts are theirs alone. The bomb runs first, so the
//! allocator's peak so far is the bomb's. `cargo test --features deflate --test
//! deflate_memory -- --nocapture` prints the table docs/benchmarks.md quotes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::System;
use std::time::Instant;

use cap::Cap;
use chatwire_websocket::deflate::{DeflateParams, MAX_WINDOW_BITS};
use chatwire_websocket::{
    CloseCode, Config, Connection, DeflateConfig, Error, Event, Limits, ProtocolError,
};
use flate2::{Compress, Compression, Decompress, FlushCompress};

mod common;
use common::client_frame;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// Heap an idle connection may hold besides compression state (as tests/memory.rs).
const IDLE_BUDGET: usize = 4096;

fn params(bits: u8, nct: bool) -> DeflateParams {
    let mut p = DeflateParams::default();
    p.server_max_window_bits = bits;
    p.client_max_window_bits = bits;
    p.server_no_context_takeover = nct;
    p.client_no_context_takeover = nct;
    p
}

fn drain(conn: &mut Connection) {
    while conn.poll_event().is_some() {}
    let mut out = Vec::new();
    conn.poll_transmit(&mut out);
}

/// A 1 KiB message that inflates to 1 MiB, against a 256 KiB limit: refused
/// with 1009, with the peak heap bounded by the limit, not the inflated size.
fn bomb_is_refused_in_bounded_memory() {
    // 1 MiB of zeros deflated by Python's zlib (level 9, raw, tail stripped): made
    // outside this process so that nothing large was allocated before the peak is read.
    let bomb = include_bytes!("data/bomb-1m.deflate");
    assert!(bomb.len() <= 1100, "{} bytes", bomb.len());
    let wire = client_frame(0x82 | 0x40, bomb);
    let limit = 256 << 10;
    let config = Config::chat_server()
        .with_limits(Limits::default().with_max_message_size(limit))
        .with_deflate(DeflateConfig::default());
    let mut server = Connection::server(Instant::now(), config).with_deflate(params(15, false));

    let before = ALLOCATOR.allocated();
    let earlier_peak = ALLOCATOR.max_allocated();
    assert!(
        earlier_peak < before + (64 << 10),
        "the peak is not the bomb's"
    );
    let result = server.handle_input(Instant::now(), &wire);
    let peak = ALLOCATOR.max_allocated().saturating_sub(before);
    assert_eq!(result, Err(Error::Protocol(ProtocolError::MessageTooLarge)));
    let mut out = Vec::new();
    server.poll_transmit(&mut out);
    assert_eq!(&out[2..4], &CloseCode::TOO_BIG.0.to_be_bytes());
    println!(
        "    bomb: {} compressed bytes, 1 MiB inflated, limit {limit}: close 1009, peak heap {peak} bytes",
        bomb.len()
    );
    // The message buffer as it doubles (old and new copy at once: at most 1.5
    // times the limit) plus the inflate state (under 64 KiB at 15 bits): a
    // function of the limit, not of what the message would inflate to.
    assert!(peak < limit * 3 / 2 + (96 << 10), "peak {peak}");
    drop(server);
}

/// Bytes allocated by `make` and still held by what it returns.
fn size_of_state<T>(make: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATOR.allocated();
    let state = make();
    (ALLOCATOR.allocated().saturating_sub(before), state)
}

fn state_sizes() {
    println!("    window bits | deflate state (level 6) | inflate state");
    for bits in 9..=MAX_WINDOW_BITS {
        let (deflate, c) =
            size_of_state(|| Compress::new_with_window_bits(Compression::new(6), false, bits));
        let (inflate, d) = size_of_state(|| Decompress::new_with_window_bits(false, bits));
        println!("    {bits:>11} | {deflate:>23} | {inflate:>13}");
        drop((c, d));
    }
}

/// What a server connection holds once idle, after one compressed message
/// each way, per policy.
fn idle_connection_per_policy() {
    let text: String = (0..20)
        .map(|i| {
            format!("<message to='romeo@montague.lit' id='{i}'><body>hello {i}</body></message>")
        })
        .collect();
    let policies = [
        (
            "default (15 bits, takeover)",
            DeflateConfig::default(),
            params(15, false),
        ),
        (
            "low_memory, client keeps context",
            DeflateConfig::low_memory(),
            {
                let mut p = params(10, false);
                p.server_no_context_takeover = true;
                p
            },
        ),
        (
            "low_memory, client without context",
            DeflateConfig::low_memory(),
            params(10, true),
        ),
        (
            "no takeover both ways, 15 bits",
            DeflateConfig::default(),
            params(15, true),
        ),
    ];
    println!("    policy | after handshake | after one message each way (idle)");
    for (name, deflate, p) in policies {
        let before = ALLOCATOR.allocated();
        let config = Config::chat_server().with_deflate(deflate);
        let mut server = Connection::server(Instant::now(), config).with_deflate(p);
        let fresh = ALLOCATOR.allocated().saturating_sub(before);

        let mut c = Compress::new_with_window_bits(
            Compression::new(6),
            false,
            p.client_max_window_bits.max(9),
        );
        let mut compressed = Vec::with_capacity(4096);
        c.compress_vec(text.as_bytes(), &mut compressed, FlushCompress::Sync)
            .unwrap();
        compressed.truncate(compressed.len() - 4);
        let wire = client_frame(0xC1, &compressed);
        drop(c);
        let base = ALLOCATOR.allocated();
        server.handle_input(Instant::now(), &wire).unwrap();
        while let Some(event) = server.poll_event() {
            if let Event::Text(t) = event {
                server.send_text(t.as_str()).unwrap();
            }
        }
        drain(&mut server);
        let idle = ALLOCATOR.allocated().saturating_sub(base) + fresh;
        drop(wire);
        drop(compressed);
        println!("    {name} | {fresh} | {idle}");
        assert!(fresh <= IDLE_BUDGET, "{name}: {fresh}");
        if p.server_no_context_takeover && p.client_no_context_takeover {
            assert!(idle <= IDLE_BUDGET, "{name}: idle holds {idle}");
        }
        drop(server);
    }
}

fn main() {
    println!("deflate memory");
    bomb_is_refused_in_bounded_memory();
    state_sizes();
    idle_connection_per_policy();
    println!("ok");
}

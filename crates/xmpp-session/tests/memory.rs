//! Memory a session keeps once traffic is over, counted by a global
//! allocator: a server holds thousands of idle sessions, and each should
//! hold what an idle session needs, not its busiest moment.
//!
//! One test in this binary, so that no other test allocates meanwhile.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers

mod common;

use std::alloc::System;

use chatwire_sasl::Mechanism;
use chatwire_xmpp_session::SmConfig;
use chatwire_xmpp_stanza::{Jid, Message};
use common::{Pair, Wire, configs};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// What traffic may leave behind in a session once it is acknowledged and
/// every event is taken.
const AFTER_TRAFFIC_MAX: isize = 512;

/// Stanzas each way: enough to grow every queue well past its start.
const BURST: usize = 200;

/// A negotiated pair with stream management on; `burst` messages each way,
/// all of them acknowledged, every event taken.
fn pair_after(wire: Wire, burst: usize) -> Pair {
    let (server, client) = configs(wire, Mechanism::ScramSha256);
    // No request on count or time: the acknowledgements come at the end.
    let sm = SmConfig::default().with_requests(0, None);
    let mut pair = Pair::new(wire, server.with_sm(sm), client.with_sm(sm));
    pair.run();
    assert!(pair.client_ready().is_some(), "{:?}", pair.log);
    let juliet = Jid::new("juliet@example.com/balcony").unwrap();
    let romeo = Jid::new("romeo@example.net").unwrap();
    for i in 0..burst {
        pair.client
            .send(Message::chat(romeo.clone(), format!("c{i}")))
            .unwrap();
        let mut message = Message::chat(juliet.clone(), format!("s{i}"));
        message.from = Some(romeo.clone());
        pair.server.send(message).unwrap();
    }
    pair.run();
    pair.client.request_ack().unwrap();
    pair.server.request_ack().unwrap();
    pair.run();
    assert_eq!(pair.server.sm().unwrap().unacked().count(), 0);
    assert_eq!(pair.client.sm().unwrap().unacked().count(), 0);
    assert_eq!(pair.server.sm().unwrap().handled() as usize, burst);
    pair
}

/// Bytes freed by dropping `value`: what it held on the heap.
fn held<T>(value: T) -> isize {
    let before = GLOBAL.stats();
    drop(value);
    let after = GLOBAL.stats();
    let freed = after.bytes_deallocated - before.bytes_deallocated;
    let allocated = after.bytes_allocated - before.bytes_allocated;
    freed as isize - allocated as isize
}

#[test]
fn sessions_give_back_what_a_burst_took() {
    for wire in [Wire::Wss, Wire::TcpStartTls] {
        let quiet = pair_after(wire, 0);
        let (quiet_server, quiet_client) = (held(quiet.server), held(quiet.client));
        let busy = pair_after(wire, BURST);
        let (busy_server, busy_client) = (held(busy.server), held(busy.client));
        assert!(
            busy_server - quiet_server <= AFTER_TRAFFIC_MAX,
            "{wire:?}: server holds {busy_server} bytes after {BURST} stanzas each way, {quiet_server} without"
        );
        assert!(
            busy_client - quiet_client <= AFTER_TRAFFIC_MAX,
            "{wire:?}: client holds {busy_client} bytes after {BURST} stanzas each way, {quiet_client} without"
        );
    }
}

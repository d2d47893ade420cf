//! A server and a client connection fed arbitrary peer bytes in arbitrary pieces:
//! no panic, and the events are the same whatever the split.
#![no_main]

use std::time::{Duration, Instant};

use chatwire_websocket::{Config, Connection, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&control, wire)) = data.split_first() else {
        return;
    };
    let config = Config {
        limits: Limits {
            max_frame_size: 4096,
            max_message_size: 8192,
            max_fragments: 16,
        },
        auto_pong: control & 1 == 0,
        keepalive: Some(Duration::from_secs(1)),
        ..Config::default()
    };
    let step = usize::from(control >> 4) + 1;
    for server in [true, false] {
        let whole = run(server, config.clone(), wire, usize::MAX, control & 2 != 0);
        let split = run(server, config.clone(), wire, step, control & 2 != 0);
        assert_eq!(whole, split);
    }
});

/// Feeds `wire` in pieces of `step` bytes; returns the events and the bytes sent back.
fn run(
    server: bool,
    config: Config,
    wire: &[u8],
    step: usize,
    close_first: bool,
) -> (Vec<String>, Vec<u8>) {
    let now = Instant::now();
    let mut conn = if server {
        Connection::server(config)
    } else {
        Connection::client(config, || [1, 2, 3, 4])
    };
    if close_first {
        let _ = conn.close(now, chatwire_websocket::CloseCode::NORMAL, "bye");
    }
    let mut events = Vec::new();
    let mut out = Vec::new();
    for piece in wire.chunks(step.min(wire.len().max(1))) {
        let result = conn.handle_input(now, piece);
        while let Some(event) = conn.poll_event() {
            events.push(format!("{event:?}"));
        }
        if let Err(e) = result {
            events.push(format!("error {e}"));
        }
        conn.poll_transmit(&mut out);
    }
    conn.handle_timeout(now + Duration::from_secs(10));
    while let Some(event) = conn.poll_event() {
        events.push(format!("{event:?}"));
    }
    conn.poll_transmit(&mut out);
    events.push(format!("{:?}", conn.state()));
    (events, out)
}

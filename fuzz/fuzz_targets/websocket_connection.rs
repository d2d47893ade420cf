//! A server and a client connection fed arbitrary peer bytes in arbitrary pieces:
//! no panic; the same events and bytes whatever the split; with the output drained
//! after every piece, the same events, output the peer can decode (pongs only for
//! pings, nothing after the close frame) and a queue that stays small.
#![no_main]

use std::time::{Duration, Instant};

use chatwire_websocket::{
    CloseCode, Config, Connection, Decoded, Error, FrameDecoder, HeaderRules, Limits, OpCode, State,
};
use libfuzzer_sys::fuzz_target;

/// What the connection may queue by itself: 17 pongs, a keepalive ping and a close frame.
const OWN_OUTPUT: usize = 17 * (125 + 6) + 6 + (125 + 6);

fuzz_target!(|data: &[u8]| {
    let Some((&control, wire)) = data.split_first() else {
        return;
    };
    let config = Config::default()
        .with_limits(
            Limits::default()
                .with_max_frame_size(4096)
                .with_max_message_size(8192)
                .with_max_fragments(16),
        )
        .with_auto_pong(control & 1 == 0)
        .with_keepalive(Some(Duration::from_secs(1)))
        .with_keepalive_timeout(Duration::from_secs(5));
    let close_first = control & 2 != 0;
    let step = usize::from(control >> 4) + 1;
    for server in [true, false] {
        let whole = run(server, config.clone(), wire, usize::MAX, close_first, false);
        let split = run(server, config.clone(), wire, step, close_first, false);
        assert_eq!(whole, split);
        let (events, out) = run(server, config.clone(), wire, step, close_first, true);
        assert_eq!(events, whole.0);
        check_output(server, &out, wire);
    }
});

/// Feeds `wire` in pieces of `step` bytes, then runs the timers; returns the events
/// and the bytes sent back (drained after every piece with `drain_each`, else at the end).
fn run(
    server: bool,
    config: Config,
    wire: &[u8],
    step: usize,
    close_first: bool,
    drain_each: bool,
) -> (Vec<String>, Vec<u8>) {
    let now = Instant::now();
    let mut conn = if server {
        Connection::server(now, config)
    } else {
        Connection::client(now, config, || [1, 2, 3, 4])
    };
    assert!(
        conn.poll_timeout().is_some(),
        "the keepalive clock starts at once"
    );
    if close_first {
        let _ = conn.close(now, CloseCode::NORMAL, "bye");
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
            // Every event before the failure has been taken: nothing more may be sent.
            assert!(matches!(conn.send_text("x"), Err(Error::Failed(_))));
        }
        if drain_each {
            assert!(conn.queued_output() <= OWN_OUTPUT);
            let queued = conn.queued_output();
            assert_eq!(conn.poll_transmit(&mut out), queued);
        }
    }
    for seconds in [2, 10, 20, 40] {
        conn.handle_timeout(now + Duration::from_secs(seconds));
        while let Some(event) = conn.poll_event() {
            events.push(format!("{event:?}"));
        }
        if drain_each {
            conn.poll_transmit(&mut out);
        }
    }
    conn.poll_transmit(&mut out);
    if conn.state() == State::Closed {
        assert!(conn.send_text("x").is_err());
        assert_eq!(conn.poll_timeout(), None);
    }
    events.push(format!("{:?}", conn.state()));
    (events, out)
}

/// Decodes what we sent as the peer would: only pings, pongs answering the peer's
/// pings, and at most one close frame, last.
fn check_output(server: bool, out: &[u8], wire: &[u8]) {
    let rules = HeaderRules {
        require_mask: Some(!server),
        ..HeaderRules::default()
    };
    let mut decoder = FrameDecoder::new(rules);
    let mut buffer = out.to_vec();
    let mut closed = false;
    let mut pongs = 0;
    let mut pos = 0;
    while pos < buffer.len() {
        let Ok(Some((Decoded::Frame { header, .. }, used))) =
            decoder.decode(buffer.get_mut(pos..).unwrap_or_default())
        else {
            panic!("our output is not whole frames");
        };
        assert!(!closed, "a frame after our close frame");
        match header.opcode {
            OpCode::Close => closed = true,
            OpCode::Pong => pongs += 1,
            OpCode::Ping => {}
            other => panic!("unexpected {other:?} frame"),
        }
        pos += used;
    }
    // Each pong answers a ping of the peer (a ping frame is at least 2 bytes).
    assert!(pongs <= wire.len() / 2);
}

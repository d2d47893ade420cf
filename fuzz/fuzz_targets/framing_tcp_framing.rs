//! Drives `TcpFraming` (client or server, chosen by the first byte) with
//! arbitrary input through `handle_input`, `restart` (a 0xFF byte, never in
//! UTF-8; refused when the peer sent more after its last element) and
//! `handle_transport_closed` (the end of the input, when the first byte says
//! so), answering like a peer would. Checks that chunking
//! changes neither the events nor the error, and that a peer `TcpFraming`
//! accepts everything we send. (What we send may differ with the chunking:
//! a server answers a header only if the close did not come in the same read.)
#![no_main]

use chatwire_xmpp_framing::tcp::{Config, TcpFraming};
use chatwire_xmpp_framing::{Event, Limits, StreamHeader};
use libfuzzer_sys::fuzz_target;

#[derive(Debug)]
struct Run {
    events: Vec<Event>,
    error: Option<String>,
    sent: String,
    /// Where in `sent` each restart happened.
    restarts: Vec<usize>,
}

fn run(input: &[u8], chunk: usize, server: bool, close_at_end: bool, config: Config) -> Run {
    let mut ours = if server {
        TcpFraming::server(config)
    } else {
        TcpFraming::client(config)
    };
    let mut run = Run {
        events: Vec::new(),
        error: None,
        sent: String::new(),
        restarts: Vec::new(),
    };
    if !server {
        ours.open(&StreamHeader::new().with_to("example.com"))
            .expect("a fresh client opens");
    }
    'input: for (i, segment) in input.split(|&b| b == 0xff).enumerate() {
        if i > 0 {
            match ours.restart() {
                Ok(()) => {
                    run.restarts.push(run.sent.len());
                    if !server {
                        ours.open(&StreamHeader::new()).expect("open after restart");
                    }
                }
                // The peer sent more after the last element: refused, whatever the split.
                Err(error) if error.condition().is_some() => {
                    assert_eq!(
                        ours.poll_event(),
                        None,
                        "nothing read reaches the new stream"
                    );
                    let _ = ours.stream_error(error.condition().expect("checked"), None);
                    ours.poll_transmit(&mut run.sent);
                    run.error = Some(error.to_string());
                    break 'input;
                }
                Err(_) => {}
            }
        }
        for piece in segment.chunks(chunk.max(1)) {
            let result = ours.handle_input(piece);
            while let Some(event) = ours.poll_event() {
                if let (Event::StreamOpen(_), true) = (&event, server) {
                    // Refused only when the peer's close came in the same read.
                    if ours.open(&StreamHeader::new().with_id("s1")).is_ok() {
                        ours.send("<stream:features/>").expect("features");
                    }
                }
                run.events.push(event);
            }
            ours.poll_transmit(&mut run.sent);
            if let Err(error) = result {
                if let Some(condition) = error.condition() {
                    // Refused only when our stream is already closed.
                    let _ = ours.stream_error(condition, Some("fuzz"));
                }
                run.error = Some(error.to_string());
                break 'input;
            }
        }
    }
    if close_at_end {
        ours.handle_transport_closed();
        run.events.extend(std::iter::from_fn(|| ours.poll_event()));
    }
    ours.poll_transmit(&mut run.sent);
    assert_eq!(ours.queued_bytes(), 0);
    run
}

/// A peer of the other role reads everything we sent, restarting where we did.
fn peer_reads(sent: &str, restarts: &[usize], we_are_server: bool, config: Config) {
    let mut peer = if we_are_server {
        TcpFraming::client(config)
    } else {
        TcpFraming::server(config)
    };
    if we_are_server {
        peer.open(&StreamHeader::new())
            .expect("a fresh client opens");
    }
    let mut last = 0;
    let mut cuts = restarts.to_vec();
    cuts.push(sent.len());
    for (i, cut) in cuts.into_iter().enumerate() {
        if i > 0 {
            peer.restart().expect("the peer saw both headers");
            if we_are_server {
                peer.open(&StreamHeader::new()).expect("open after restart");
            }
        }
        let piece = sent.get(last..cut).expect("cut at a restart");
        last = cut;
        if piece.is_empty() {
            continue;
        }
        peer.handle_input(piece.as_bytes())
            .unwrap_or_else(|e| panic!("peer refused {sent:?}: {e}"));
        while let Some(event) = peer.poll_event() {
            if let (Event::StreamOpen(_), false) = (&event, we_are_server) {
                // Refused only when our close came in the same read.
                let _ = peer.open(&StreamHeader::new().with_id("p1"));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let server = control & 0x80 != 0;
    let close_at_end = control & 0x40 != 0;
    let chunk = usize::from(control & 0x3f) + 1;
    let limits = Limits::default()
        .with_max_element_size(4096)
        .with_max_depth(16)
        .with_max_attributes(16)
        .with_max_header_size(512);
    let config = Config::default()
        .with_limits(limits)
        .with_max_queued_bytes(1 << 16);
    let whole = run(input, input.len(), server, close_at_end, config);
    let split = run(input, chunk, server, close_at_end, config);
    assert_eq!(
        (&whole.events, &whole.error),
        (&split.events, &split.error),
        "chunk size {chunk}"
    );
    for event in &whole.events {
        if let Event::Element(element) = event {
            assert!(element.bytes.len() <= 4096);
        }
    }
    // The peer takes our headers at the default size: ours may echo its `to`.
    peer_reads(
        &whole.sent,
        &whole.restarts,
        server,
        config.with_limits(Limits::default()),
    );
});

//! Feeds arbitrary bytes to the RFC 6120 splitter (`TcpSplitter::handle_input`),
//! whole and in chunks, and checks that the split does not change the events
//! or the error. A 0xFF byte (never in UTF-8) stands for `restart()` at that
//! point, so restarts and their declarations are explored too.
#![no_main]

use chatwire_xmpp_framing::{Event, Limits, TcpSplitter};
use libfuzzer_sys::fuzz_target;

const HEADER: &[u8] = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";

fn run(input: &[u8], chunk: usize, limits: Limits) -> (Vec<Event>, Option<String>) {
    let mut splitter = TcpSplitter::new(limits);
    let mut events = Vec::new();
    for (i, segment) in input.split(|&b| b == 0xff).enumerate() {
        if i > 0 {
            splitter.restart();
        }
        for piece in segment.chunks(chunk.max(1)) {
            let result = splitter.handle_input(piece);
            while let Some(event) = splitter.poll_event() {
                events.push(event);
            }
            if let Err(error) = result {
                let _ = error.condition();
                return (events, Some(error.to_string()));
            }
        }
    }
    (events, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, body)) = data.split_first() else {
        return;
    };
    let mut input = Vec::with_capacity(HEADER.len() + body.len());
    if control & 0x80 != 0 {
        input.extend_from_slice(HEADER);
    }
    input.extend_from_slice(body);
    let limits = Limits::default()
        .with_max_element_size(4096)
        .with_max_depth(16)
        .with_max_attributes(16)
        .with_max_header_size(512);
    let chunk = usize::from(control & 0x3f) + 1;
    let whole = run(&input, input.len(), limits);
    let split = run(&input, chunk, limits);
    assert_eq!(whole, split, "chunk size {chunk}");
    for event in &whole.0 {
        if let Event::Element(element) = event {
            assert!(std::str::from_utf8(element.as_bytes()).is_ok());
            assert!(element.bytes.len() <= 4096);
        }
    }
});

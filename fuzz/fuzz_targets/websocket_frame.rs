//! The frame decoder on arbitrary bytes, fed in arbitrary pieces: it must never
//! panic, and a payload must come out the same whatever the split.
#![no_main]

use chatwire_websocket::{Decoded, FrameDecoder, FrameHeader, HeaderRules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&control, wire)) = data.split_first() else {
        return;
    };
    let rules = HeaderRules {
        require_mask: match control & 3 {
            0 => None,
            1 => Some(true),
            _ => Some(false),
        },
        allowed_rsv: (control >> 2) & 7,
        max_payload_len: 1 << 20,
    };
    let whole = decode(wire, rules, usize::MAX);
    let step = usize::from(control >> 5) + 1;
    let split = decode(wire, rules, step);
    assert_eq!(whole, split);
});

/// Decodes `wire` delivered `step` bytes at a time; returns the steps and payload bytes seen.
fn decode(wire: &[u8], rules: HeaderRules, step: usize) -> (Vec<FrameHeader>, Vec<u8>, bool) {
    let mut decoder = FrameDecoder::new(rules);
    let mut buffer = Vec::new();
    let mut steps = Vec::new();
    let mut payload = Vec::new();
    for piece in wire.chunks(step.min(wire.len().max(1))) {
        buffer.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buffer) {
                Ok(Some((decoded, used))) => {
                    // A whole frame in one step and a header followed by payload
                    // pieces must come to the same headers and payload bytes.
                    match decoded {
                        Decoded::Frame { header, header_len } => {
                            steps.push(header);
                            payload.extend_from_slice(&buffer[header_len..used]);
                        }
                        Decoded::Header(header) => steps.push(header),
                        Decoded::Payload { len, .. } => payload.extend_from_slice(&buffer[..len]),
                    }
                    buffer.drain(..used);
                }
                Ok(None) => break,
                Err(_) => return (steps, payload, true),
            }
        }
    }
    (steps, payload, false)
}

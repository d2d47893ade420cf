//! A deflate-negotiated connection, both roles, parameters taken from the input,
//! driven by a script of peer messages compressed by flate2 (fragmented, with
//! context takeover or not), messages we send, and raw bytes: no panic; what the
//! peer compressed arrives as sent (or fails with the size limit); what we send
//! inflates, with flate2, back to what was sent.
#![no_main]

use std::time::Instant;

use chatwire_websocket::deflate::DeflateParams;
use chatwire_websocket::{
    Config, Connection, DeflateConfig, Error, Event, FrameHeader, HeaderRules, Limits, OpCode,
    ProtocolError, RSV1, encode_frame_with_rsv,
};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use libfuzzer_sys::fuzz_target;

const TAIL: [u8; 4] = [0, 0, 0xff, 0xff];
const MAX_MESSAGE: usize = 16 << 10;

fuzz_target!(|data: &[u8]| {
    let Some((head, script)) = data.split_first_chunk::<4>() else {
        return;
    };
    let [server_bits, client_bits, flags, threshold] = *head;
    let mut params = DeflateParams::default();
    params.server_max_window_bits = 8 + server_bits % 8;
    params.client_max_window_bits = 8 + client_bits % 8;
    params.server_no_context_takeover = flags & 1 != 0;
    params.client_no_context_takeover = flags & 2 != 0;
    let deflate = DeflateConfig::default()
        .with_level(u32::from(flags >> 4) % 10)
        .with_threshold(usize::from(threshold));
    let config = Config::default()
        .with_limits(
            Limits::default()
                .with_max_frame_size(8 << 10)
                .with_max_message_size(MAX_MESSAGE)
                .with_max_fragments(32),
        )
        .with_deflate(deflate);
    for server in [true, false] {
        run(server, params, config.clone(), script);
    }
});

/// The peer's side of one direction: its compressor, or its decompressor.
struct Peer {
    compressor: Compress,
    decompressor: Decompress,
    /// Whether the peer resets its compressor after each message.
    peer_resets: bool,
    /// Whether we reset ours.
    we_reset: bool,
}

fn run(server: bool, params: DeflateParams, config: Config, mut script: &[u8]) {
    let now = Instant::now();
    let mut conn = if server {
        Connection::server(now, config)
    } else {
        Connection::client(now, config, || [1, 2, 3, 4])
    }
    .with_deflate(params);
    let (peer_bits, our_bits, peer_resets, we_reset) = if server {
        (
            params.client_max_window_bits,
            params.server_max_window_bits,
            params.client_no_context_takeover,
            params.server_no_context_takeover,
        )
    } else {
        (
            params.server_max_window_bits,
            params.client_max_window_bits,
            params.server_no_context_takeover,
            params.client_no_context_takeover,
        )
    };
    let mut peer = Peer {
        compressor: Compress::new_with_window_bits(Compression::fast(), false, peer_bits.max(9)),
        decompressor: Decompress::new_with_window_bits(false, our_bits.max(9)),
        peer_resets,
        we_reset,
    };
    // Peer frames are masked when we are the server.
    let mask = server.then_some([9, 8, 7, 6]);
    // Once raw bytes went in, the stream may be anything: only "no panic" holds.
    let mut raw_seen = false;
    while let Some((&op, rest)) = script.split_first() {
        let len = usize::from(op >> 3).min(rest.len());
        let (chunk, rest) = rest.split_at(len);
        script = rest;
        let mut wire = Vec::new();
        let mut expected = None;
        match op & 7 {
            0 => {
                wire.extend_from_slice(chunk);
                raw_seen = true;
            }
            1 | 2 => {
                // A compressed message: the chunk repeated, in up to 4 frames.
                let times = usize::from(op & 4) * 64 + 1;
                let message = chunk.repeat(times);
                if peer.peer_resets {
                    peer.compressor.reset();
                }
                let deflated = compress(&mut peer.compressor, &message);
                let frames = usize::from(op >> 6) + 1;
                let size = deflated.len().div_ceil(frames).max(1);
                let pieces: Vec<&[u8]> = if deflated.is_empty() {
                    vec![&[]]
                } else {
                    deflated.chunks(size).collect()
                };
                let last = pieces.len() - 1;
                for (i, piece) in pieces.iter().enumerate() {
                    let (opcode, rsv) = if i == 0 {
                        (OpCode::Binary, RSV1)
                    } else {
                        (OpCode::Continuation, 0)
                    };
                    encode_frame_with_rsv(opcode, i == last, rsv, mask, piece, &mut wire);
                }
                expected = Some(message);
            }
            3 | 4 => {
                // We send: the peer inflates it back.
                let message = chunk.repeat(usize::from(op & 4) * 32 + 1);
                if conn.send_binary(&message).is_ok() && !raw_seen {
                    let mut out = Vec::new();
                    conn.poll_transmit(&mut out);
                    check_sent(&mut peer, server, &out, &message);
                }
                continue;
            }
            5 => encode_frame_with_rsv(
                OpCode::Ping,
                true,
                0,
                mask,
                chunk.get(..chunk.len().min(125)).unwrap_or_default(),
                &mut wire,
            ),
            _ => {
                encode_frame_with_rsv(OpCode::Binary, true, 0, mask, chunk, &mut wire);
                expected = Some(chunk.to_vec());
            }
        }
        let result = conn.handle_input(now, &wire);
        let mut events = Vec::new();
        while let Some(event) = conn.poll_event() {
            events.push(event);
        }
        let mut out = Vec::new();
        conn.poll_transmit(&mut out);
        if raw_seen {
            if result.is_err() {
                return;
            }
            continue;
        }
        match (result, expected) {
            (Ok(()), Some(message)) => {
                assert_eq!(events.last(), Some(&Event::Binary(message.into())));
            }
            (Ok(()), None) => {}
            (
                Err(Error::Protocol(ProtocolError::MessageTooLarge | ProtocolError::FrameTooLarge)),
                Some(message),
            ) => {
                assert!(message.len() > MAX_MESSAGE || wire.len() > (8 << 10));
                return;
            }
            (Err(e), _) => panic!("a well-formed peer was refused: {e}"),
        }
    }
}

/// Raw deflate, sync-flushed, tail stripped (what a peer sends).
fn compress(compressor: &mut Compress, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 64);
    let start = compressor.total_in();
    loop {
        let done = usize::try_from(compressor.total_in() - start).unwrap_or(usize::MAX);
        if out.len() == out.capacity() {
            out.reserve(out.capacity() + 64);
        }
        compressor
            .compress_vec(
                data.get(done..).unwrap_or_default(),
                &mut out,
                FlushCompress::Sync,
            )
            .unwrap();
        let done = usize::try_from(compressor.total_in() - start).unwrap_or(usize::MAX);
        if done >= data.len() && out.len() < out.capacity() {
            break;
        }
    }
    if out.is_empty() {
        // Nothing after a flush: an empty stored block (RFC 7692 section 7.2.3.6).
        return vec![0x00];
    }
    assert!(out.ends_with(&TAIL));
    out.truncate(out.len() - TAIL.len());
    out
}

/// Decodes what we sent as the peer would, and inflates it with flate2.
fn check_sent(peer: &mut Peer, server: bool, out: &[u8], message: &[u8]) {
    let rules = HeaderRules {
        require_mask: Some(!server),
        allowed_rsv: RSV1,
        ..HeaderRules::default()
    };
    let mut pos = 0;
    while pos < out.len() {
        let (header, len) = FrameHeader::decode(out.get(pos..).unwrap_or_default(), &rules)
            .unwrap()
            .unwrap();
        let end = pos + len + header.payload_len as usize;
        let mut payload = out.get(pos + len..end).unwrap().to_vec();
        pos = end;
        if let Some(key) = header.mask {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= key[i % 4];
            }
        }
        if header.opcode != OpCode::Binary {
            continue;
        }
        assert!(header.fin, "we send messages in one frame");
        let plain = if header.rsv == RSV1 {
            if peer.we_reset {
                peer.decompressor.reset(false);
            }
            inflate(&mut peer.decompressor, &payload)
        } else {
            payload
        };
        assert_eq!(plain, message);
    }
}

fn inflate(decompressor: &mut Decompress, data: &[u8]) -> Vec<u8> {
    let mut input = data.to_vec();
    input.extend_from_slice(&TAIL);
    let mut out = Vec::with_capacity(data.len() * 4 + 64);
    let start = decompressor.total_in();
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity());
        }
        let done = usize::try_from(decompressor.total_in() - start).unwrap_or(usize::MAX);
        decompressor
            .decompress_vec(
                input.get(done..).unwrap_or_default(),
                &mut out,
                FlushDecompress::Sync,
            )
            .unwrap();
        let done = usize::try_from(decompressor.total_in() - start).unwrap_or(usize::MAX);
        if done >= input.len() && out.len() < out.capacity() {
            break;
        }
    }
    out
}

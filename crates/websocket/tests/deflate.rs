//! permessage-deflate (RFC 7692) on a connection, checked against flate2 used
//! directly as the independent implementation: every window size, with and
//! without context takeover, RSV1 rules, fragments, limits and UTF-8.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Instant;

use chatwire_websocket::handshake::{
    Accept, ClientHandshake, ClientRequest, Extension, HandshakeLimits, parse_request,
};
use chatwire_websocket::{
    CloseCode, Config, Connection, DeflateConfig, DeflateParams, Error, Event, FrameHeader,
    HeaderRules, Limits, OpCode, ProtocolError, RSV1,
};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use proptest::prelude::*;

mod common;
use common::client_frame;

const TAIL: [u8; 4] = [0, 0, 0xff, 0xff];

fn params(server_bits: u8, client_bits: u8, server_nct: bool, client_nct: bool) -> DeflateParams {
    let mut p = DeflateParams::default();
    p.server_max_window_bits = server_bits;
    p.client_max_window_bits = client_bits;
    p.server_no_context_takeover = server_nct;
    p.client_no_context_takeover = client_nct;
    p
}

fn config() -> Config {
    Config::default().with_deflate(DeflateConfig::default().with_threshold(0))
}

fn server(p: DeflateParams) -> Connection {
    Connection::server(Instant::now(), config()).with_deflate(p)
}

fn client(p: DeflateParams) -> Connection {
    Connection::client(Instant::now(), config(), || [1, 2, 3, 4]).with_deflate(p)
}

/// Raw deflate of one message with flate2, sync-flushed and the tail stripped.
fn flate2_deflate(compressor: &mut Compress, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 1024);
    let start = compressor.total_in() as usize;
    loop {
        let done = compressor.total_in() as usize - start;
        if out.len() == out.capacity() {
            out.reserve(out.capacity() + 64);
        }
        compressor
            .compress_vec(&data[done..], &mut out, FlushCompress::Sync)
            .unwrap();
        if compressor.total_in() as usize - start == data.len() && out.len() < out.capacity() {
            break;
        }
    }
    assert!(out.ends_with(&TAIL));
    out.truncate(out.len() - 4);
    out
}

/// Inflates one message with flate2, tail appended.
fn flate2_inflate(decompressor: &mut Decompress, data: &[u8]) -> Vec<u8> {
    let mut input = data.to_vec();
    input.extend_from_slice(&TAIL);
    let mut out = Vec::with_capacity(data.len() * 4 + 64);
    let start = decompressor.total_in() as usize;
    loop {
        let done = decompressor.total_in() as usize - start;
        if out.len() == out.capacity() {
            out.reserve(out.capacity());
        }
        decompressor
            .decompress_vec(&input[done..], &mut out, FlushDecompress::Sync)
            .unwrap();
        if decompressor.total_in() as usize - start == input.len() && out.len() < out.capacity() {
            break;
        }
    }
    out
}

/// Splits unmasked server output into (header, payload) frames.
fn frames(mut wire: &[u8]) -> Vec<(FrameHeader, Vec<u8>)> {
    let mut found = Vec::new();
    while !wire.is_empty() {
        let (header, len) = FrameHeader::decode(
            wire,
            &HeaderRules {
                allowed_rsv: 0b111,
                ..HeaderRules::default()
            },
        )
        .unwrap()
        .unwrap();
        let end = len + header.payload_len as usize;
        let mut payload = wire[len..end].to_vec();
        if let Some(key) = header.mask {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= key[i % 4];
            }
        }
        found.push((header, payload));
        wire = &wire[end..];
    }
    found
}

fn transmit(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    conn.poll_transmit(&mut out);
    out
}

fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

fn chat(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "<message to='juliet@capulet.lit/balcony' id='m{i}' type='chat'><body>Art thou not Romeo, and a Montague? {i}</body></message>"
            )
        })
        .collect()
}

fn server_rejects(conn: &mut Connection, wire: &[u8], violation: ProtocolError, code: CloseCode) {
    assert_eq!(
        conn.handle_input(Instant::now(), wire),
        Err(Error::Protocol(violation))
    );
    let out = transmit(conn);
    let close = frames(&out).pop().unwrap();
    assert_eq!(close.0.opcode, OpCode::Close);
    assert_eq!(&close.1[..2], &code.0.to_be_bytes());
}

#[test]
fn every_window_and_takeover_against_flate2_both_directions() {
    let messages: Vec<String> = (1..6).map(|i| chat(i * 7)).collect();
    for bits in 8..=15u8 {
        for nct in [false, true] {
            let p = params(bits, bits, nct, nct);
            // Client to server: flate2 compresses (window 9 where 8 was agreed:
            // zlib has no 8 for raw deflate), the server inflates.
            let mut s = server(p);
            let mut compressor =
                Compress::new_with_window_bits(Compression::default(), false, bits.max(9));
            for text in &messages {
                if nct {
                    compressor.reset();
                }
                let deflated = flate2_deflate(&mut compressor, text.as_bytes());
                s.handle_input(Instant::now(), &client_frame(0x81 | 0x40, &deflated))
                    .unwrap();
                assert_eq!(
                    events(&mut s),
                    [Event::Text(text.clone().into())],
                    "{bits} {nct}"
                );
            }
            // Server to client: the server compresses, flate2 inflates.
            let mut decompressor = Decompress::new_with_window_bits(false, bits.max(9));
            for text in &messages {
                s.send_text(text).unwrap();
                let (header, payload) = frames(&transmit(&mut s)).pop().unwrap();
                if bits == 8 {
                    // No 256-byte window in zlib: sent as it is.
                    assert_eq!(header.rsv, 0);
                    assert_eq!(payload, text.as_bytes());
                    continue;
                }
                assert_eq!(header.rsv, RSV1, "{bits} {nct}");
                assert!(payload.len() < text.len());
                if nct {
                    decompressor.reset(false);
                }
                assert_eq!(flate2_inflate(&mut decompressor, &payload), text.as_bytes());
            }
        }
    }
}

#[test]
fn rfc7692_section_7_2_3_examples() {
    // 7.2.3.1: "Hello" in one compressed block; 7.2.3.2: again, sharing the window.
    let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let again = [0xf2, 0x00, 0x11, 0x00, 0x00];
    let mut s = server(DeflateParams::default());
    let mut wire = client_frame(0xc1, &hello);
    wire.extend(client_frame(0xc1, &again));
    s.handle_input(Instant::now(), &wire).unwrap();
    assert_eq!(
        events(&mut s),
        [Event::Text("Hello".into()), Event::Text("Hello".into())]
    );
    // Our compressor writes the same bytes (7.2.1: tail removed).
    s.send_text("Hello").unwrap();
    s.send_text("Hello").unwrap();
    let sent = frames(&transmit(&mut s));
    assert_eq!(sent[0].1, hello);
    assert_eq!(sent[1].1, again);
    // 7.2.3.1 again, fragmented as in the section: RSV1 on the first frame only.
    let mut s = server(DeflateParams::default());
    let mut wire = client_frame(0x41, &hello[..3]);
    wire.extend(client_frame(0x80, &hello[3..]));
    s.handle_input(Instant::now(), &wire).unwrap();
    assert_eq!(events(&mut s), [Event::Text("Hello".into())]);
}

#[test]
fn empty_messages_are_one_empty_stored_block() {
    // RFC 7692 section 7.2.3.6, also right after another message (when zlib's
    // flush writes nothing).
    for nct in [false, true] {
        let (mut c, mut s) = (
            client(params(15, 15, nct, nct)),
            server(params(15, 15, nct, nct)),
        );
        for text in ["", "hello hello", "", ""] {
            s.send_text(text).unwrap();
            let wire = transmit(&mut s);
            let (header, payload) = frames(&wire).pop().unwrap();
            assert_eq!(header.rsv, RSV1);
            if text.is_empty() {
                assert_eq!(payload, [0x00]);
            }
            c.handle_input(Instant::now(), &wire).unwrap();
            assert_eq!(events(&mut c), [Event::Text(text.into())]);
        }
    }
}

#[test]
fn context_takeover_makes_repeats_small_and_without_it_they_are_not() {
    let text = chat(3);
    let mut sizes = Vec::new();
    for nct in [false, true] {
        let mut s = server(params(15, 15, nct, false));
        s.send_text(&text).unwrap();
        let _ = transmit(&mut s);
        s.send_text(&text).unwrap();
        sizes.push(frames(&transmit(&mut s))[0].1.len());
    }
    assert!(sizes[0] * 4 < sizes[1], "{sizes:?}");
}

#[test]
fn a_window_smaller_than_the_distance_is_still_read_correctly_by_flate2() {
    // Repeats 600 bytes apart: a 9-bit window (512) must not refer back that far.
    let block: String = (0..600)
        .map(|i| char::from(b'a' + (i * 7 % 26) as u8))
        .collect();
    let text = block.repeat(4);
    let mut s = server(params(9, 9, false, false));
    s.send_text(&text).unwrap();
    let (_, payload) = frames(&transmit(&mut s)).pop().unwrap();
    let mut d = Decompress::new_with_window_bits(false, 9);
    assert_eq!(flate2_inflate(&mut d, &payload), text.as_bytes());
}

#[test]
fn two_peers_in_memory_every_setting() {
    for bits in [8u8, 9, 12, 15] {
        for (snct, cnct) in [(false, false), (true, false), (false, true), (true, true)] {
            let p = params(bits, 15 - (bits - 8), snct, cnct);
            let (mut c, mut s) = (client(p), server(p));
            for i in 0..5 {
                let text = chat(i + 1);
                c.send_text(&text).unwrap();
                s.handle_input(Instant::now(), &transmit(&mut c)).unwrap();
                assert_eq!(events(&mut s), [Event::Text(text.clone().into())]);
                let data = text.repeat(i).into_bytes();
                s.send_binary(&data).unwrap();
                c.handle_input(Instant::now(), &transmit(&mut s)).unwrap();
                assert_eq!(events(&mut c), [Event::Binary(data.into())]);
            }
        }
    }
}

#[test]
fn below_the_threshold_messages_go_uncompressed_and_control_frames_never_are() {
    let config = Config::default().with_deflate(DeflateConfig::default().with_threshold(100));
    let mut s = Connection::server(Instant::now(), config).with_deflate(DeflateParams::default());
    s.send_text("short").unwrap();
    s.ping(&[b'p'; 125]).unwrap();
    s.send_text(&chat(2)).unwrap();
    let found = frames(&transmit(&mut s));
    let rsv: Vec<u8> = found.iter().map(|(h, _)| h.rsv).collect();
    assert_eq!(rsv, [0, 0, RSV1]);
}

#[test]
fn fragmented_compressed_messages_and_control_frames_between() {
    let text = chat(40);
    let mut compressor = Compress::new_with_window_bits(Compression::default(), false, 15);
    let deflated = flate2_deflate(&mut compressor, text.as_bytes());
    for pieces in [1, 2, 3, 7, deflated.len()] {
        let size = deflated.len().div_ceil(pieces);
        let chunks: Vec<&[u8]> = deflated.chunks(size).collect();
        let mut wire = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            let fin = if i + 1 == chunks.len() { 0x80 } else { 0 };
            let first = if i == 0 { 0x01 | 0x40 } else { 0x00 };
            wire.extend(client_frame(fin | first, chunk));
            if i == 0 {
                // Before the message ends (or right after it, when it is one frame).
                wire.extend(client_frame(0x89, b"ping"));
            }
        }
        // Every cut of the input, for the small cases.
        let cuts: Vec<usize> = if pieces <= 3 {
            (0..=wire.len()).step_by(37).collect()
        } else {
            vec![0]
        };
        for cut in cuts {
            let mut s = server(DeflateParams::default());
            s.handle_input(Instant::now(), &wire[..cut]).unwrap();
            s.handle_input(Instant::now(), &wire[cut..]).unwrap();
            let got = events(&mut s);
            assert!(got.contains(&Event::Text(text.clone().into())));
            assert!(got.contains(&Event::Ping("ping".into())));
            assert_eq!(got.len(), 2);
        }
    }
}

#[test]
fn rsv1_only_on_the_first_frame_of_a_data_message() {
    let mut compressor = Compress::new_with_window_bits(Compression::default(), false, 15);
    let deflated = flate2_deflate(&mut compressor, b"hello hello hello");
    // On a continuation frame.
    let mut wire = client_frame(0x01 | 0x40, &deflated[..3]);
    wire.extend(client_frame(0x80 | 0x40, &deflated[3..]));
    server_rejects(
        &mut server(DeflateParams::default()),
        &wire,
        ProtocolError::ReservedBits(0b100),
        CloseCode::PROTOCOL_ERROR,
    );
    // On control frames.
    for opcode in [0x89, 0x8A, 0x88] {
        server_rejects(
            &mut server(DeflateParams::default()),
            &client_frame(opcode | 0x40, b""),
            ProtocolError::ReservedBits(0b100),
            CloseCode::PROTOCOL_ERROR,
        );
    }
    // RSV2 and RSV3 stay reserved.
    server_rejects(
        &mut server(DeflateParams::default()),
        &client_frame(0x81 | 0x20, b"x"),
        ProtocolError::ReservedBits(0b010),
        CloseCode::PROTOCOL_ERROR,
    );
    // Without the extension, RSV1 is reserved too.
    server_rejects(
        &mut Connection::server(Instant::now(), Config::default()),
        &client_frame(0x81 | 0x40, &deflated),
        ProtocolError::ReservedBits(0b100),
        CloseCode::PROTOCOL_ERROR,
    );
    // An uncompressed message on a deflate connection is fine.
    let mut s = server(DeflateParams::default());
    s.handle_input(Instant::now(), &client_frame(0x81, b"plain"))
        .unwrap();
    assert_eq!(events(&mut s), [Event::Text("plain".into())]);
}

#[test]
fn inflated_size_counts_against_the_message_limit() {
    let config = config().with_limits(Limits::default().with_max_message_size(64 << 10));
    let mut compressor = Compress::new_with_window_bits(Compression::best(), false, 15);
    let deflated = flate2_deflate(&mut compressor, &vec![b'a'; 1 << 20]);
    assert!(deflated.len() < 2048);
    let mut s =
        Connection::server(Instant::now(), config.clone()).with_deflate(DeflateParams::default());
    server_rejects(
        &mut s,
        &client_frame(0x82 | 0x40, &deflated),
        ProtocolError::MessageTooLarge,
        CloseCode::TOO_BIG,
    );
    // Exactly at the limit is accepted.
    let mut compressor = Compress::new_with_window_bits(Compression::best(), false, 15);
    let deflated = flate2_deflate(&mut compressor, &vec![b'a'; 64 << 10]);
    let mut s = Connection::server(Instant::now(), config).with_deflate(DeflateParams::default());
    s.handle_input(Instant::now(), &client_frame(0x82 | 0x40, &deflated))
        .unwrap();
    assert!(matches!(&events(&mut s)[..], [Event::Binary(b)] if b.len() == 64 << 10));
}

#[test]
fn invalid_utf8_is_found_as_it_is_inflated() {
    // An invalid byte up front, then more than the limit: UTF-8 fails first (1007),
    // before the size limit (1009) is reached.
    let config = config().with_limits(Limits::default().with_max_message_size(64 << 10));
    let mut data = vec![0xff];
    data.extend(vec![b'a'; 1 << 20]);
    let mut compressor = Compress::new_with_window_bits(Compression::best(), false, 15);
    let deflated = flate2_deflate(&mut compressor, &data);
    let mut s = Connection::server(Instant::now(), config).with_deflate(DeflateParams::default());
    server_rejects(
        &mut s,
        &client_frame(0x81 | 0x40, &deflated),
        ProtocolError::InvalidUtf8,
        CloseCode::INVALID_PAYLOAD,
    );
}

#[test]
fn the_bomb_fixture_inflates_to_a_mebibyte_of_zeros() {
    // tests/data/bomb-1m.deflate, used by tests/deflate_memory.rs.
    let bomb = include_bytes!("data/bomb-1m.deflate");
    let mut d = Decompress::new_with_window_bits(false, 15);
    assert_eq!(flate2_inflate(&mut d, bomb), vec![0u8; 1 << 20]);
    // With the default limit (64 MiB) it is accepted.
    let mut s = server(DeflateParams::default());
    s.handle_input(Instant::now(), &client_frame(0x82 | 0x40, bomb))
        .unwrap();
    assert!(matches!(&events(&mut s)[..], [Event::Binary(b)] if b.len() == 1 << 20));
}

#[test]
fn garbage_compressed_data_fails_the_connection() {
    let mut s = server(DeflateParams::default());
    // 0xff: a block type of 3, reserved in RFC 1951.
    server_rejects(
        &mut s,
        &client_frame(0x82 | 0x40, &[0xff, 0xff, 0xff]),
        ProtocolError::InvalidCompressedData,
        CloseCode::INVALID_PAYLOAD,
    );
}

#[test]
fn a_final_block_ends_the_stream_and_the_next_message_starts_afresh() {
    // flate2 with FlushCompress::Finish sets BFINAL; the tail then follows the stream.
    let mut s = server(DeflateParams::default());
    for text in ["first message, first message", "second message, second"] {
        let mut compressor = Compress::new_with_window_bits(Compression::default(), false, 15);
        let mut out = Vec::with_capacity(256);
        compressor
            .compress_vec(text.as_bytes(), &mut out, FlushCompress::Finish)
            .unwrap();
        s.handle_input(Instant::now(), &client_frame(0x81 | 0x40, &out))
            .unwrap();
        assert_eq!(events(&mut s), [Event::Text(text.into())]);
    }
}

#[test]
fn negotiation_through_the_handshake_for_each_policy() {
    let policies = [
        DeflateConfig::default(),
        DeflateConfig::low_memory(),
        DeflateConfig::default()
            .with_client_no_context_takeover(true)
            .with_server_max_window_bits(8)
            .with_client_max_window_bits(9),
    ];
    for client_policy in policies {
        for server_policy in policies {
            let request = ClientRequest::new("h", "/").with_extension(client_policy.offer());
            let mut wire = Vec::new();
            let handshake = ClientHandshake::new(&request, [7; 16], &mut wire).unwrap();
            let (request, _) = parse_request(&wire, &HandshakeLimits::default())
                .unwrap()
                .unwrap();
            let (extension, server_params) = server_policy.negotiate(&request).unwrap();
            wire.clear();
            request
                .write_accept(&Accept::new().with_extension(extension), &mut wire)
                .unwrap();
            let (response, _) = handshake.handle_response(&wire).unwrap().unwrap();
            let client_params = client_policy.check_response(&response).unwrap().unwrap();
            assert_eq!(
                client_params, server_params,
                "{client_policy:?} {server_policy:?}"
            );
            // And the connections agree.
            let mut c =
                Connection::client(Instant::now(), config(), || [9; 4]).with_deflate(client_params);
            let mut s = server(server_params);
            let text = chat(5);
            c.send_text(&text).unwrap();
            s.handle_input(Instant::now(), &transmit(&mut c)).unwrap();
            assert_eq!(events(&mut s), [Event::Text(text.clone().into())]);
        }
    }
}

#[test]
fn the_server_takes_the_first_offer_it_can_honour() {
    let offers = [
        "permessage-deflate; foo=1, permessage-deflate; client_max_window_bits=9",
        "permessage-deflate; server_max_window_bits=16, permessage-deflate",
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover, permessage-deflate; server_no_context_takeover",
    ];
    let expected = [
        "permessage-deflate; client_max_window_bits=9",
        "permessage-deflate",
        "permessage-deflate; server_no_context_takeover",
    ];
    for (offer, answer) in offers.iter().zip(expected) {
        let wire = format!(
            "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: {offer}\r\n\r\n"
        );
        let (request, _) = parse_request(wire.as_bytes(), &HandshakeLimits::default())
            .unwrap()
            .unwrap();
        let (extension, _) = DeflateConfig::default().negotiate(&request).unwrap();
        let mut written = Vec::new();
        extension.write(&mut written).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), answer);
    }
    // Nothing honourable: declined, not failed.
    let wire = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits\r\n\r\n";
    let (request, _) = parse_request(wire.as_bytes(), &HandshakeLimits::default())
        .unwrap()
        .unwrap();
    assert!(DeflateConfig::default().negotiate(&request).is_none());
}

#[test]
fn the_client_fails_a_response_that_breaks_its_offer() {
    let policy = DeflateConfig::low_memory();
    for (accepted, ok) in [
        (
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
            true,
        ),
        (
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8",
            true,
        ),
        ("permessage-deflate; server_max_window_bits=10", false),
        (
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=12",
            false,
        ),
        (
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits",
            false,
        ),
        (
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; mystery",
            false,
        ),
    ] {
        let extension = chatwire_websocket::handshake::parse_extensions(accepted.as_bytes())
            .unwrap()
            .remove(0);
        assert_eq!(
            policy.check_acceptance(&extension).is_ok(),
            ok,
            "{accepted}"
        );
    }
    let _ = Extension::new("x");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn round_trips_whatever_the_settings_and_cuts(
        bits in 8u8..=15,
        snct in any::<bool>(),
        cnct in any::<bool>(),
        level in 0u32..=9,
        messages in proptest::collection::vec(proptest::collection::vec(0u8..4, 0..3000), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let p = params(bits, 23 - bits, snct, cnct);
        let cfg = Config::default().with_deflate(DeflateConfig::default().with_threshold(0).with_level(level));
        let mut c = Connection::client(Instant::now(), cfg.clone(), || [5, 6, 7, 8]).with_deflate(p);
        let mut s = Connection::server(Instant::now(), cfg).with_deflate(p);
        for message in &messages {
            // Small alphabet: compressible, with long repeats.
            let data: Vec<u8> = message.iter().map(|b| b"ab\ncd"[*b as usize]).collect();
            c.send_binary(&data).unwrap();
            let wire = transmit(&mut c);
            let at = cut.index(wire.len() + 1);
            s.handle_input(Instant::now(), &wire[..at]).unwrap();
            s.handle_input(Instant::now(), &wire[at..]).unwrap();
            prop_assert_eq!(events(&mut s), vec![Event::Binary(data.clone().into())]);
            s.send_binary(&data).unwrap();
            c.handle_input(Instant::now(), &transmit(&mut s)).unwrap();
            prop_assert_eq!(events(&mut c), vec![Event::Binary(data.into())]);
        }
    }
}

/// A client with the default offer against a server with the chat-server
/// policy (`Config::chat_server()`, low-memory deflate), through the whole
/// handshake: what each side agrees to, it can read from the other.
#[test]
fn chat_server_policy_against_a_default_client_through_the_handshake() {
    use chatwire_websocket::handshake::{
        Accept, ClientHandshake, ClientRequest, HandshakeLimits, parse_request,
    };
    let client_config = Config::default();
    let server_config = Config::chat_server();
    let request = ClientRequest::new("example.com", "/xmpp-websocket")
        .with_protocol("xmpp")
        .with_extension(client_config.deflate.offer());
    let mut wire = Vec::new();
    let handshake = ClientHandshake::new(&request, [7; 16], &mut wire).unwrap();
    let (parsed, _) = parse_request(&wire, &HandshakeLimits::default())
        .unwrap()
        .unwrap();
    let (extension, server_params) = server_config.deflate.negotiate(&parsed).expect("accepted");
    let mut response = Vec::new();
    parsed
        .write_accept(
            &Accept::new()
                .with_protocol("xmpp")
                .with_extension(extension),
            &mut response,
        )
        .unwrap();
    let (answer, _) = handshake.handle_response(&response).unwrap().unwrap();
    let client_params = client_config
        .deflate
        .check_response(&answer)
        .unwrap()
        .expect("agreed");
    assert_eq!(client_params, server_params);
    let mut s = Connection::server(Instant::now(), server_config).with_deflate(server_params);
    let mut c = Connection::client(Instant::now(), client_config, || [1, 2, 3, 4])
        .with_deflate(client_params);
    for i in 0..5 {
        let text = chat(i + 3);
        c.send_text(&text).unwrap();
        s.handle_input(Instant::now(), &transmit(&mut c)).unwrap();
        assert_eq!(events(&mut s), [Event::Text(text.clone().into())]);
        s.send_text(&text).unwrap();
        c.handle_input(Instant::now(), &transmit(&mut s)).unwrap();
        assert_eq!(events(&mut c), [Event::Text(text.clone().into())]);
    }
}

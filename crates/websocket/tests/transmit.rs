//! Borrowed output (`peek_transmit`, `peek_transmit_vectored`,
//! `advance_transmit`) and shared payloads (`send_binary_shared`,
//! `send_text_shared`) against the copying `send_binary` and `poll_transmit`:
//! the same bytes, in the same order, however the socket splits the writes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::IoSlice;
use std::time::Instant;

use bytes::Bytes;
use chatwire_websocket::{CloseCode, Config, Connection, Error, State, Utf8Bytes};
use proptest::prelude::*;

mod common;
use common::client_frame;

fn server() -> Connection {
    Connection::server(Instant::now(), Config::default())
}

fn poll_all(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    conn.poll_transmit(&mut out);
    out
}

#[test]
fn peek_shows_the_queued_frame_without_taking_it() {
    let mut s = server();
    assert!(s.peek_transmit().is_empty());
    s.send_binary(b"hello").unwrap();
    assert_eq!(
        s.peek_transmit(),
        [0x82, 0x05, b'h', b'e', b'l', b'l', b'o']
    );
    assert_eq!(
        s.peek_transmit(),
        [0x82, 0x05, b'h', b'e', b'l', b'l', b'o']
    );
    assert_eq!(s.queued_output(), 7);
    s.advance_transmit(7);
    assert!(s.peek_transmit().is_empty());
    assert_eq!(s.queued_output(), 0);
    assert!(poll_all(&mut s).is_empty());
}

#[test]
fn a_partial_write_leaves_the_rest_first() {
    let mut s = server();
    s.send_binary(b"abc").unwrap();
    s.advance_transmit(2);
    assert_eq!(s.queued_output(), 3);
    s.send_text("d").unwrap();
    assert_eq!(s.peek_transmit(), [b'a', b'b', b'c', 0x81, 0x01, b'd']);
    s.advance_transmit(2);
    assert_eq!(poll_all(&mut s), [b'c', 0x81, 0x01, b'd']);
    assert_eq!(s.queued_output(), 0);
}

#[test]
fn advancing_past_the_end_takes_everything() {
    let mut s = server();
    s.send_binary(&[7; 300]).unwrap();
    s.advance_transmit(usize::MAX);
    assert_eq!(s.queued_output(), 0);
    assert!(s.peek_transmit().is_empty());
    s.send_binary(b"x").unwrap();
    assert_eq!(s.peek_transmit(), [0x82, 0x01, b'x']);
}

#[test]
fn peek_writes_the_owed_close_and_closes() {
    let mut s = server();
    s.handle_input(Instant::now(), &client_frame(0x88, &[0x03, 0xe8]))
        .unwrap();
    assert_eq!(s.state(), State::Closing);
    assert_eq!(s.peek_transmit(), [0x88, 0x02, 0x03, 0xe8]);
    assert_eq!(s.state(), State::Closed);
    // Handed out once: a second peek shows the same bytes, not a second close.
    assert_eq!(s.peek_transmit(), [0x88, 0x02, 0x03, 0xe8]);
    s.advance_transmit(4);
    assert!(s.peek_transmit().is_empty());
}

#[test]
fn large_output_is_given_back_once_written() {
    let mut s = server();
    s.send_binary(&vec![1; 64 * 1024]).unwrap();
    s.advance_transmit(1000);
    let rest = s.peek_transmit().len();
    s.advance_transmit(rest);
    assert_eq!(s.queued_output(), 0);
    s.send_binary(b"after").unwrap();
    assert_eq!(
        s.peek_transmit(),
        [0x82, 0x05, b'a', b'f', b't', b'e', b'r']
    );
}

/// Writes at most `limit` bytes the way a vectored socket write would, with
/// `slots` slices; returns them.
fn write_vectored(conn: &mut Connection, slots: usize, limit: usize) -> Vec<u8> {
    let mut slices = vec![IoSlice::new(&[]); slots];
    let filled = conn.peek_transmit_vectored(&mut slices);
    let mut written: Vec<u8> = slices[..filled].iter().flat_map(|s| s.to_vec()).collect();
    written.truncate(limit);
    conn.advance_transmit(written.len());
    written
}

#[test]
fn a_shared_payload_goes_out_from_its_own_memory() {
    let mut s = server();
    let payload = Bytes::from(vec![0x5a; 4096]);
    s.send_binary_shared(payload.clone()).unwrap();
    s.send_binary(b"next").unwrap();
    assert_eq!(s.queued_output(), 4 + 4096 + 2 + 4);
    let mut slices = [IoSlice::new(&[]); 4];
    assert_eq!(s.peek_transmit_vectored(&mut slices), 3);
    // RFC 6455 section 5.2: FIN and binary, 126 then a 16-bit length.
    assert_eq!(&*slices[0], [0x82, 126, 0x10, 0x00]);
    assert_eq!(slices[1].as_ptr(), payload.as_ptr(), "not copied");
    assert_eq!(slices[1].len(), 4096);
    assert_eq!(&*slices[2], [0x82, 0x04, b'n', b'e', b'x', b't']);
    // peek_transmit shows one piece at a time.
    assert_eq!(s.peek_transmit(), [0x82, 126, 0x10, 0x00]);
    s.advance_transmit(4 + 100);
    assert_eq!(s.peek_transmit().as_ptr(), payload[100..].as_ptr());
    s.advance_transmit(4096 - 100 + 2);
    assert_eq!(s.peek_transmit(), [b'n', b'e', b'x', b't']);
    s.advance_transmit(4);
    assert_eq!(s.queued_output(), 0);
    assert_eq!(s.peek_transmit_vectored(&mut [IoSlice::new(&[]); 4]), 0);
    // Written, the payload is the caller's alone again.
    assert!(payload.is_unique());
}

#[test]
fn shared_payloads_count_against_the_output_limit() {
    let mut s = Connection::server(
        Instant::now(),
        Config::default().with_max_queued_output(10_000),
    );
    s.send_binary_shared(Bytes::from(vec![1; 6000])).unwrap();
    assert_eq!(s.queued_output(), 6004);
    let refused = s.send_binary_shared(Bytes::from(vec![2; 6000]));
    assert!(matches!(
        refused,
        Err(Error::OutputFull {
            queued: 6004,
            needed: 6004,
            limit: 10_000
        })
    ));
    assert_eq!(s.queued_output(), 6004);
}

#[test]
fn a_client_masks_a_shared_payload_and_leaves_the_original_alone() {
    let mut c = Connection::client(Instant::now(), Config::default(), || [1, 2, 3, 4]);
    let payload = Bytes::from(vec![0; 2000]);
    c.send_binary_shared(payload.clone()).unwrap();
    let wire = write_vectored(&mut c, 4, usize::MAX);
    // FIN + binary, mask bit + 126, length, key, then the payload XOR the key.
    assert_eq!(wire[..8], [0x82, 0xfe, 0x07, 0xd0, 1, 2, 3, 4]);
    assert_eq!(wire[8..12], [1, 2, 3, 4]);
    assert_eq!(wire.len(), 8 + 2000);
    assert!(payload.iter().all(|&b| b == 0));
}

#[test]
fn nothing_is_sent_shared_after_our_close() {
    let mut s = server();
    s.close(Instant::now(), CloseCode::NORMAL, "").unwrap();
    let text = Utf8Bytes::from("a".repeat(2000));
    assert!(matches!(s.send_text_shared(text), Err(Error::Closed)));
}

/// One step of a session: what the application or the peer does, or a write
/// of at most this many bytes.
#[derive(Debug, Clone)]
enum Step {
    Text(String),
    Binary(Vec<u8>),
    SharedText(String),
    SharedBinary(Vec<u8>),
    WriteVectored(usize, usize),
    Ping(Vec<u8>),
    PeerPing(Vec<u8>),
    PeerClose,
    Close,
    Write(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        "\\PC{0,20}".prop_map(Step::Text),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Step::Binary),
        // Around the size from which payloads go out shared, and well above it.
        "\\PC{500,1100}".prop_map(Step::SharedText),
        proptest::collection::vec(any::<u8>(), 0..3000).prop_map(Step::SharedBinary),
        (1usize..5, 0usize..5000).prop_map(|(slots, limit)| Step::WriteVectored(slots, limit)),
        proptest::collection::vec(any::<u8>(), 0..126).prop_map(Step::Ping),
        proptest::collection::vec(any::<u8>(), 0..126).prop_map(Step::PeerPing),
        Just(Step::PeerClose),
        Just(Step::Close),
        (0usize..400).prop_map(Step::Write),
        (0usize..400).prop_map(Step::Write),
    ]
}

/// A connection in either role whose masks are the same sequence every time.
fn connection(client: bool) -> Connection {
    let now = Instant::now();
    if client {
        let mut counter = 0u32;
        Connection::client(now, Config::default(), move || {
            counter = counter.wrapping_add(0x9E37_79B9);
            counter.to_le_bytes()
        })
    } else {
        Connection::server(now, Config::default())
    }
}

/// A frame from the peer: masked towards a server, plain towards a client.
fn peer_frame(client: bool, first_byte: u8, payload: &[u8]) -> Vec<u8> {
    if client {
        let mut out = vec![first_byte, payload.len() as u8];
        out.extend_from_slice(payload);
        out
    } else {
        client_frame(first_byte, payload)
    }
}

proptest! {
    #[test]
    fn borrowed_output_matches_poll_transmit(
        client in any::<bool>(),
        steps in proptest::collection::vec(step(), 0..40),
    ) {
        let now = Instant::now();
        let mut copied = connection(client);
        let mut borrowed = connection(client);
        let (mut copied_wire, mut borrowed_wire) = (Vec::new(), Vec::new());
        for step in &steps {
            let (a, b) = match step {
                Step::Text(text) => (
                    copied.send_text(text).map_err(|e| e.to_string()),
                    borrowed.send_text(text).map_err(|e| e.to_string()),
                ),
                Step::Binary(data) => (
                    copied.send_binary(data).map_err(|e| e.to_string()),
                    borrowed.send_binary(data).map_err(|e| e.to_string()),
                ),
                Step::SharedText(text) => {
                    let shared = Utf8Bytes::from(text.clone());
                    (
                        copied.send_text(text).map_err(|e| e.to_string()),
                        borrowed.send_text_shared(shared).map_err(|e| e.to_string()),
                    )
                }
                Step::SharedBinary(data) => (
                    copied.send_binary(data).map_err(|e| e.to_string()),
                    borrowed
                        .send_binary_shared(Bytes::from(data.clone()))
                        .map_err(|e| e.to_string()),
                ),
                Step::WriteVectored(slots, limit) => {
                    copied_wire.extend(poll_all(&mut copied));
                    let before = borrowed.queued_output();
                    let written = write_vectored(&mut borrowed, *slots, *limit);
                    prop_assert_eq!(borrowed.queued_output(), before - written.len());
                    borrowed_wire.extend(written);
                    (Ok(()), Ok(()))
                }
                Step::Ping(payload) => (
                    copied.ping(payload).map_err(|e| e.to_string()),
                    borrowed.ping(payload).map_err(|e| e.to_string()),
                ),
                Step::PeerPing(_) | Step::PeerClose => {
                    let frame = match step {
                        Step::PeerPing(payload) => peer_frame(client, 0x89, payload),
                        _ => peer_frame(client, 0x88, &[0x03, 0xe8]),
                    };
                    (
                        copied.handle_input(now, &frame).map_err(|e| e.to_string()),
                        borrowed.handle_input(now, &frame).map_err(|e| e.to_string()),
                    )
                }
                Step::Close => (
                    copied.close(now, CloseCode::NORMAL, "bye").map_err(|e| e.to_string()),
                    borrowed.close(now, CloseCode::NORMAL, "bye").map_err(|e| e.to_string()),
                ),
                Step::Write(limit) => {
                    copied_wire.extend(poll_all(&mut copied));
                    let before = borrowed.queued_output();
                    let queued = borrowed.peek_transmit();
                    let n = (*limit).min(queued.len());
                    borrowed_wire.extend_from_slice(&queued[..n]);
                    borrowed.advance_transmit(n);
                    prop_assert_eq!(borrowed.queued_output(), before - n);
                    (Ok(()), Ok(()))
                }
            };
            prop_assert_eq!(a, b);
            while let Some(event) = copied.poll_event() {
                prop_assert_eq!(Some(event), borrowed.poll_event());
            }
            prop_assert_eq!(borrowed.poll_event(), None);
            prop_assert_eq!(copied.state(), borrowed.state());
        }
        copied_wire.extend(poll_all(&mut copied));
        borrowed_wire.extend(write_vectored(&mut borrowed, 64, usize::MAX));
        borrowed_wire.extend(poll_all(&mut borrowed));
        prop_assert_eq!(copied_wire, borrowed_wire);
        prop_assert_eq!(borrowed.queued_output(), 0);
    }
}

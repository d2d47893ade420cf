//! The connection state machine, driven with frames built byte by byte from
//! RFC 6455 and with two connections wired back to back.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use chatwire_websocket::{
    CloseCode, CloseFrame, Config, Connection, Error, Event, Limits, ProtocolError, State,
};
use proptest::prelude::*;

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A masked client frame, built by hand from section 5.2 (independent of the crate's encoder).
fn client_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first_byte];
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n @ 126..=0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&KEY);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ KEY[i % 4]));
    out
}

fn server() -> Connection {
    Connection::server(Config::default())
}

fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

fn transmit(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    conn.poll_transmit(&mut out);
    out
}

/// Moves everything `from` wants to send into `to`; returns `to`'s result.
fn pump(from: &mut Connection, to: &mut Connection, now: Instant) -> Result<(), Error> {
    let bytes = transmit(from);
    to.handle_input(now, &bytes)
}

#[test]
fn rfc6455_section_5_7_masked_text() {
    let mut s = server();
    s.handle_input(
        Instant::now(),
        &[
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ],
    )
    .unwrap();
    assert_eq!(events(&mut s), [Event::Text("Hello".into())]);
}

#[test]
fn rfc6455_section_5_7_unmasked_text_and_fragments_to_a_client() {
    let mut c = Connection::client(Config::default(), || KEY);
    let now = Instant::now();
    c.handle_input(now, &[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])
        .unwrap();
    c.handle_input(now, &[0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f])
        .unwrap();
    assert_eq!(
        events(&mut c),
        [Event::Text("Hello".into()), Event::Text("Hello".into())]
    );
}

#[test]
fn ping_is_answered_with_the_same_payload() {
    let mut s = server();
    s.handle_input(Instant::now(), &client_frame(0x89, b"Hello"))
        .unwrap();
    assert_eq!(events(&mut s), [Event::Ping("Hello".into())]);
    // Section 5.7: an unmasked pong "Hello" from the server.
    assert_eq!(transmit(&mut s), [0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
}

#[test]
fn without_auto_pong_the_caller_answers() {
    let config = Config {
        auto_pong: false,
        ..Config::default()
    };
    let mut s = Connection::server(config);
    s.handle_input(Instant::now(), &client_frame(0x89, b"x"))
        .unwrap();
    assert_eq!(events(&mut s), [Event::Ping("x".into())]);
    assert!(transmit(&mut s).is_empty());
    s.pong(b"x").unwrap();
    assert_eq!(transmit(&mut s), [0x8a, 0x01, b'x']);
}

#[test]
fn control_frames_inside_a_fragmented_message() {
    let mut s = server();
    let mut wire = client_frame(0x01, b"fra");
    wire.extend(client_frame(0x89, b"p"));
    wire.extend(client_frame(0x00, b"gme"));
    wire.extend(client_frame(0x8A, b""));
    wire.extend(client_frame(0x80, b"nted"));
    s.handle_input(Instant::now(), &wire).unwrap();
    assert_eq!(
        events(&mut s),
        [
            Event::Ping("p".into()),
            Event::Pong("".into()),
            Event::Text("fragmented".into())
        ]
    );
}

fn fails_with(wire: &[u8], violation: ProtocolError, code: u16) {
    let mut s = server();
    assert_eq!(
        s.handle_input(Instant::now(), wire),
        Err(Error::Protocol(violation))
    );
    let out = transmit(&mut s);
    assert_eq!(out[0], 0x88, "a close frame");
    assert_eq!(u16::from_be_bytes([out[2], out[3]]), code);
    assert_eq!(s.state(), State::Closed);
    // Whatever comes next is ignored.
    s.handle_input(Instant::now(), &client_frame(0x81, b"late"))
        .unwrap();
    assert!(transmit(&mut s).is_empty());
}

#[test]
fn violations_fail_with_the_right_close_code() {
    fails_with(
        &[0x81, 0x05, b'H', b'e', b'l', b'l', b'o'],
        ProtocolError::UnmaskedFrame,
        1002,
    );
    fails_with(
        &client_frame(0x80, b"x"),
        ProtocolError::UnexpectedContinuation,
        1002,
    );
    let mut two_starts = client_frame(0x01, b"a");
    two_starts.extend(client_frame(0x01, b"b"));
    fails_with(&two_starts, ProtocolError::ExpectedContinuation, 1002);
    fails_with(
        &client_frame(0x09, b""),
        ProtocolError::FragmentedControlFrame,
        1002,
    );
    fails_with(
        &client_frame(0x89, &[0; 126]),
        ProtocolError::ControlFrameTooLong,
        1002,
    );
    fails_with(
        &client_frame(0x83, b""),
        ProtocolError::ReservedOpCode(3),
        1002,
    );
    fails_with(
        &client_frame(0xA1, b""),
        ProtocolError::ReservedBits(0b010),
        1002,
    );
    fails_with(
        &client_frame(0x81, &[0xCE, 0xBA, 0xFF]),
        ProtocolError::InvalidUtf8,
        1007,
    );
    fails_with(
        &client_frame(0x88, &[0x03]),
        ProtocolError::CloseFrameTooShort,
        1002,
    );
    fails_with(
        &client_frame(0x88, &[0x03, 0xED]),
        ProtocolError::InvalidCloseCode(1005),
        1002,
    );
    fails_with(
        &client_frame(0x88, &[0x03, 0xE8, 0xC0]),
        ProtocolError::InvalidUtf8,
        1007,
    );
}

#[test]
fn a_client_refuses_masked_frames() {
    let mut c = Connection::client(Config::default(), || KEY);
    assert_eq!(
        c.handle_input(Instant::now(), &client_frame(0x81, b"x")),
        Err(Error::Protocol(ProtocolError::MaskedFrame))
    );
    let out = transmit(&mut c);
    assert_eq!(out[..2], [0x88, 0x82], "a masked close frame");
}

#[test]
fn invalid_utf8_fails_before_the_frame_is_complete() {
    let mut s = server();
    let wire = client_frame(
        0x81,
        &[b'a', b'b', 0xF4, 0x90, 0x80, 0x80, b'c', b'd', b'e', b'f'],
    );
    // Header (6 bytes) plus "ab", 0xF4, 0x90: invalid from here whatever follows.
    assert_eq!(s.handle_input(Instant::now(), &wire[..9]), Ok(()));
    assert_eq!(
        s.handle_input(Instant::now(), &wire[9..10]),
        Err(Error::Protocol(ProtocolError::InvalidUtf8))
    );
}

#[test]
fn invalid_utf8_fails_in_the_first_fragment_before_the_message_ends() {
    let mut s = server();
    let wire = client_frame(0x01, &[b'a', 0xC0]);
    assert_eq!(
        s.handle_input(Instant::now(), &wire),
        Err(Error::Protocol(ProtocolError::InvalidUtf8))
    );
}

#[test]
fn limits_fail_with_1009_before_buffering() {
    let limits = Limits {
        max_frame_size: 100,
        max_message_size: 150,
        max_fragments: 3,
    };
    let config = Config {
        limits,
        ..Config::default()
    };
    let check = |wire: &[u8], violation: ProtocolError| {
        let mut s = Connection::server(config.clone());
        // The last byte is held back: the limit is enforced before the payload is complete.
        let head = &wire[..wire.len() - 1];
        assert_eq!(
            s.handle_input(Instant::now(), head),
            Err(Error::Protocol(violation))
        );
        let out = transmit(&mut s);
        assert_eq!(u16::from_be_bytes([out[2], out[3]]), 1009);
    };
    check(
        &client_frame(0x82, &[0; 101])[..8],
        ProtocolError::FrameTooLarge,
    );
    let mut long = client_frame(0x02, &[0; 100]);
    long.extend(client_frame(0x80, &[0; 51]));
    check(&long, ProtocolError::MessageTooLarge);
    let mut many = client_frame(0x02, b"a");
    for _ in 0..3 {
        many.extend(client_frame(0x00, b"a"));
    }
    check(&many, ProtocolError::TooManyFragments);
    // At the limits exactly, everything is accepted.
    let mut s = Connection::server(config.clone());
    let mut exact = client_frame(0x02, &[1; 100]);
    exact.extend(client_frame(0x00, &[2; 25]));
    exact.extend(client_frame(0x80, &[3; 25]));
    s.handle_input(Instant::now(), &exact).unwrap();
    assert!(matches!(&events(&mut s)[..], [Event::Binary(b)] if b.len() == 150));
}

#[test]
fn messages_before_a_violation_are_delivered_and_answered_first() {
    let mut s = server();
    let mut wire = client_frame(0x81, b"first");
    wire.extend(client_frame(0x83, b""));
    assert!(s.handle_input(Instant::now(), &wire).is_err());
    assert_eq!(events(&mut s), [Event::Text("first".into())]);
    s.send_text("first").unwrap();
    let out = transmit(&mut s);
    assert_eq!(&out[..7], b"\x81\x05first");
    assert_eq!(out[7..], [0x88, 0x02, 0x03, 0xEA]);
    assert_eq!(s.state(), State::Closed);
}

#[test]
fn close_handshake_started_by_the_client() {
    let now = Instant::now();
    let mut c = Connection::client(Config::default(), || KEY);
    let mut s = server();
    c.close(now, CloseCode::NORMAL, "done").unwrap();
    assert_eq!(c.state(), State::Closing);
    assert_eq!(c.send_text("late"), Err(Error::Closed));
    pump(&mut c, &mut s, now).unwrap();
    let peer = Some(CloseFrame {
        code: CloseCode::NORMAL,
        reason: "done".into(),
    });
    assert_eq!(events(&mut s), [Event::Close(peer)]);
    pump(&mut s, &mut c, now).unwrap();
    assert_eq!(s.state(), State::Closed);
    let echo = Some(CloseFrame {
        code: CloseCode::NORMAL,
        reason: String::new(),
    });
    assert_eq!(events(&mut c), [Event::Close(echo)]);
    assert_eq!(c.state(), State::Closed);
}

#[test]
fn close_handshake_started_by_the_server_with_an_application_code() {
    let now = Instant::now();
    let mut c = Connection::client(Config::default(), || KEY);
    let mut s = server();
    s.close(now, CloseCode(4000), "").unwrap();
    pump(&mut s, &mut c, now).unwrap();
    assert_eq!(
        events(&mut c),
        [Event::Close(Some(CloseFrame {
            code: CloseCode(4000),
            reason: String::new()
        }))]
    );
    pump(&mut c, &mut s, now).unwrap();
    assert_eq!((c.state(), s.state()), (State::Closed, State::Closed));
}

#[test]
fn an_empty_close_is_answered_with_an_empty_close() {
    let mut s = server();
    s.handle_input(Instant::now(), &client_frame(0x88, b""))
        .unwrap();
    assert_eq!(events(&mut s), [Event::Close(None)]);
    assert_eq!(transmit(&mut s), [0x88, 0x00]);
}

#[test]
fn close_arguments_are_checked() {
    let now = Instant::now();
    let mut s = server();
    assert_eq!(
        s.close(now, CloseCode(1005), ""),
        Err(Error::InvalidCloseCode(1005))
    );
    assert_eq!(
        s.close(now, CloseCode(2000), ""),
        Err(Error::InvalidCloseCode(2000))
    );
    assert_eq!(
        s.close(now, CloseCode::NORMAL, &"x".repeat(124)),
        Err(Error::ControlPayloadTooLong)
    );
    assert_eq!(s.ping(&[0; 126]), Err(Error::ControlPayloadTooLong));
    s.close(now, CloseCode::NORMAL, &"x".repeat(123)).unwrap();
    assert_eq!(s.close(now, CloseCode::NORMAL, ""), Err(Error::Closed));
}

#[test]
fn close_times_out_without_an_answer() {
    let now = Instant::now();
    let mut s = server();
    s.close(now, CloseCode::GOING_AWAY, "").unwrap();
    let deadline = s.poll_timeout().unwrap();
    assert_eq!(deadline, now + Config::default().close_timeout);
    s.handle_timeout(deadline - Duration::from_millis(1));
    assert_eq!(s.state(), State::Closing);
    s.handle_timeout(deadline);
    assert_eq!(s.state(), State::Closed);
    assert_eq!(events(&mut s), [Event::CloseTimedOut]);
}

#[test]
fn keepalive_pings_after_silence() {
    let now = Instant::now();
    let config = Config {
        keepalive: Some(Duration::from_secs(30)),
        ..Config::default()
    };
    let mut s = Connection::server(config);
    s.handle_input(now, &client_frame(0x81, b"hi")).unwrap();
    assert_eq!(s.poll_timeout(), Some(now + Duration::from_secs(30)));
    s.handle_timeout(now + Duration::from_secs(29));
    assert!(transmit(&mut s).is_empty());
    s.handle_timeout(now + Duration::from_secs(30));
    assert_eq!(transmit(&mut s), [0x89, 0x00]);
    assert_eq!(s.poll_timeout(), Some(now + Duration::from_secs(60)));
}

#[test]
fn large_messages_round_trip_between_two_connections() {
    let now = Instant::now();
    let mut c = Connection::client(Config::default(), || KEY);
    let mut s = server();
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    c.send_binary(&big).unwrap();
    c.send_text(&"é".repeat(40_000)).unwrap();
    pump(&mut c, &mut s, now).unwrap();
    assert_eq!(
        events(&mut s),
        [Event::Binary(big.into()), Event::Text("é".repeat(40_000))]
    );
}

/// Events (with the final state) from feeding `wire` to a fresh server in pieces cut at `cuts`.
fn events_with_cuts(wire: &[u8], cuts: &[usize]) -> (Vec<Event>, Vec<u8>, State) {
    let mut s = server();
    let mut all = Vec::new();
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain([wire.len()].iter()) {
        let cut = cut.clamp(start, wire.len());
        let _ = s.handle_input(Instant::now(), &wire[start..cut]);
        all.extend(events(&mut s));
        s.poll_transmit(&mut out);
        start = cut;
    }
    (all, out, s.state())
}

fn valid_stream() -> Vec<u8> {
    let mut wire = client_frame(0x81, "κόσμε".as_bytes());
    wire.extend(client_frame(0x01, "Hé".as_bytes()));
    wire.extend(client_frame(0x89, b"ping"));
    wire.extend(client_frame(0x80, "llo €".as_bytes()));
    wire.extend(client_frame(0x82, &[0u8; 300]));
    wire.extend(client_frame(0x88, &[0x03, 0xE8, b'o', b'k']));
    wire
}

#[test]
fn every_split_point_gives_the_same_events() {
    let wire = valid_stream();
    let whole = events_with_cuts(&wire, &[]);
    assert_eq!(whole.0.len(), 5);
    for cut in 0..=wire.len() {
        assert_eq!(events_with_cuts(&wire, &[cut]), whole, "cut at {cut}");
    }
    let every_byte: Vec<usize> = (0..wire.len()).collect();
    assert_eq!(events_with_cuts(&wire, &every_byte), whole);
}

proptest! {
    #[test]
    fn any_cuts_give_the_same_events(cuts in proptest::collection::vec(0usize..400, 0..10)) {
        let wire = valid_stream();
        let mut cuts = cuts;
        cuts.sort_unstable();
        prop_assert_eq!(events_with_cuts(&wire, &cuts), events_with_cuts(&wire, &[]));
    }

    #[test]
    fn messages_survive_the_round_trip(texts in proptest::collection::vec("\\PC{0,50}", 1..5), data in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let now = Instant::now();
        let mut counter = 0u32;
        let mut c = Connection::client(Config::default(), move || { counter = counter.wrapping_add(0x9E37_79B9); counter.to_le_bytes() });
        let mut s = server();
        let mut expected = Vec::new();
        for text in &texts {
            c.send_text(text).unwrap();
            expected.push(Event::Text(text.clone()));
        }
        c.send_binary(&data).unwrap();
        expected.push(Event::Binary(data.clone().into()));
        pump(&mut c, &mut s, now).unwrap();
        prop_assert_eq!(events(&mut s), expected);
    }
}

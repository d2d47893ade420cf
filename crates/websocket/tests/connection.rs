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

mod common;
use common::{KEY, client_frame};

fn server() -> Connection {
    Connection::server(Instant::now(), Config::default())
}

fn client() -> Connection {
    Connection::client(Instant::now(), Config::default(), || KEY)
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
    let mut c = client();
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
    let mut s = Connection::server(Instant::now(), Config::default().with_auto_pong(false));
    s.handle_input(Instant::now(), &client_frame(0x89, b"x"))
        .unwrap();
    assert_eq!(events(&mut s), [Event::Ping("x".into())]);
    assert!(transmit(&mut s).is_empty());
    s.pong(b"x").unwrap();
    assert_eq!(transmit(&mut s), [0x8a, 0x01, b'x']);
}

#[test]
fn a_ping_flood_is_answered_by_the_most_recent_ping() {
    let mut s = server();
    let wire: Vec<u8> = (0..40u8).flat_map(|i| client_frame(0x89, &[i])).collect();
    s.handle_input(Instant::now(), &wire).unwrap();
    // Every ping is reported.
    let pings: Vec<Event> = (0..40u8).map(|i| Event::Ping(vec![i].into())).collect();
    assert_eq!(events(&mut s), pings);
    // Section 5.5.3: the first 16 are answered as they come, then only the latest.
    let mut expected: Vec<u8> = (0..16u8).flat_map(|i| [0x8A, 0x01, i]).collect();
    expected.extend([0x8A, 0x01, 39]);
    assert_eq!(s.queued_output(), expected.len());
    assert_eq!(transmit(&mut s), expected);
    // Once flushed, the next pings are answered again.
    s.handle_input(Instant::now(), &client_frame(0x89, b"again"))
        .unwrap();
    assert_eq!(transmit(&mut s), b"\x8a\x05again");
}

#[test]
fn a_coalesced_pong_goes_out_before_our_close() {
    let now = Instant::now();
    let mut s = server();
    let wire: Vec<u8> = (0..20u8).flat_map(|i| client_frame(0x89, &[i])).collect();
    s.handle_input(now, &wire).unwrap();
    s.close(now, CloseCode::NORMAL, "").unwrap();
    // A ping after our close is not answered.
    s.handle_input(now, &client_frame(0x89, b"late")).unwrap();
    let out = transmit(&mut s);
    assert_eq!(out[16 * 3..], [0x8A, 0x01, 19, 0x88, 0x02, 0x03, 0xE8]);
}

#[test]
fn queued_output_is_capped() {
    let now = Instant::now();
    let config = Config::default().with_max_queued_output(100);
    let mut s = Connection::server(now, config);
    s.send_binary(&[0; 60]).unwrap();
    assert_eq!(s.queued_output(), 62);
    // 62 + 2 + 40 > 100.
    assert_eq!(
        s.send_binary(&[0; 40]),
        Err(Error::OutputFull {
            queued: 62,
            needed: 42,
            limit: 100
        })
    );
    assert_eq!(
        s.ping(&[0; 37]),
        Err(Error::OutputFull {
            queued: 62,
            needed: 39,
            limit: 100
        })
    );
    s.send_binary(&[0; 36]).unwrap();
    assert_eq!(s.queued_output(), 100);
    // Pings from the peer are still answered (one pong past the limit), and close
    // is never refused.
    s.handle_input(now, &client_frame(0x89, b"a")).unwrap();
    s.handle_input(now, &client_frame(0x89, b"b")).unwrap();
    assert_eq!(s.queued_output(), 103);
    s.close(now, CloseCode::NORMAL, "").unwrap();
    let out = transmit(&mut s);
    assert_eq!(out.len(), 107);
    assert_eq!(out[100..], [0x8A, 0x01, b'b', 0x88, 0x02, 0x03, 0xE8]);
    assert_eq!(s.queued_output(), 0);
    // A message bigger than the limit can never be queued.
    let mut s = Connection::server(now, Config::default().with_max_queued_output(100));
    assert!(matches!(
        s.send_binary(&[0; 99]),
        Err(Error::OutputFull { queued: 0, .. })
    ));
}

#[test]
fn poll_transmit_appends_and_reports_what_it_appended() {
    let mut c = client();
    c.send_text("one").unwrap();
    c.ping(b"").unwrap();
    let queued = c.queued_output();
    assert_eq!(queued, (6 + 3) + 6);
    let mut out = b"earlier".to_vec();
    assert_eq!(c.poll_transmit(&mut out), queued);
    assert_eq!(&out[..7], b"earlier");
    assert_eq!(out.len(), 7 + queued);
    assert_eq!(c.poll_transmit(&mut out), 0);
}

#[test]
fn text_arrives_as_utf8_bytes_whatever_the_cuts() {
    let text = "κόσμε €𐍈";
    let mut wire = client_frame(0x01, &text.as_bytes()[..3]);
    wire.extend(client_frame(0x00, &text.as_bytes()[3..9]));
    wire.extend(client_frame(0x80, &text.as_bytes()[9..]));
    for cut in 0..wire.len() {
        let mut s = server();
        s.handle_input(Instant::now(), &wire[..cut]).unwrap();
        s.handle_input(Instant::now(), &wire[cut..]).unwrap();
        let Some(Event::Text(received)) = s.poll_event() else {
            panic!("no text at cut {cut}");
        };
        let received: chatwire_websocket::Utf8Bytes = received;
        assert_eq!(received.as_str(), text);
    }
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
    let mut c = client();
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
    let limits = Limits::default()
        .with_max_frame_size(100)
        .with_max_message_size(150)
        .with_max_fragments(3);
    let config = Config::default().with_limits(limits);
    let check = |wire: &[u8], violation: ProtocolError| {
        let mut s = Connection::server(Instant::now(), config.clone());
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
    let mut s = Connection::server(Instant::now(), config.clone());
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
    // The usual loop: each event answered as it is taken.
    let mut seen = Vec::new();
    while let Some(event) = s.poll_event() {
        if let Event::Text(text) = &event {
            s.send_text(text.as_str()).unwrap();
        }
        seen.push(event);
    }
    assert_eq!(seen, [Event::Text("first".into())]);
    // Every event before the violation has been taken: nothing more may be sent.
    assert_eq!(
        s.send_text("more"),
        Err(Error::Failed(CloseCode::PROTOCOL_ERROR))
    );
    let out = transmit(&mut s);
    assert_eq!(&out[..7], b"\x81\x05first");
    assert_eq!(out[7..], [0x88, 0x02, 0x03, 0xEA]);
    assert_eq!(s.state(), State::Closed);
}

#[test]
fn sending_after_a_failure_is_refused() {
    // Nothing was decoded before the violation: refused at once, and after the flush.
    let mut s = server();
    assert!(
        s.handle_input(Instant::now(), &client_frame(0x83, b""))
            .is_err()
    );
    let failed = Err(Error::Failed(CloseCode::PROTOCOL_ERROR));
    assert_eq!(s.send_text("late"), failed);
    assert_eq!(s.send_binary(b"late"), failed);
    assert_eq!(s.ping(b""), failed);
    assert_eq!(s.pong(b""), failed);
    assert_eq!(transmit(&mut s), [0x88, 0x02, 0x03, 0xEA]);
    assert_eq!(s.send_text("late"), failed);
    assert!(transmit(&mut s).is_empty());
}

#[test]
fn close_after_a_failure_keeps_the_failure_code() {
    for (wire, code) in [
        (client_frame(0x83, b""), [0x03, 0xEA]),
        (client_frame(0x81, &[0xFF]), [0x03, 0xEF]),
    ] {
        let mut s = server();
        assert!(s.handle_input(Instant::now(), &wire).is_err());
        let failure = Err(Error::Failed(CloseCode(u16::from_be_bytes(code))));
        assert_eq!(s.close(Instant::now(), CloseCode::NORMAL, ""), failure);
        assert_eq!(transmit(&mut s), [0x88, 0x02, code[0], code[1]]);
        assert_eq!(s.close(Instant::now(), CloseCode::NORMAL, ""), failure);
        assert_eq!(s.state(), State::Closed);
    }
}

#[test]
fn iana_close_codes_1012_to_1014_are_accepted_and_sent() {
    for code in [1012u16, 1013, 1014] {
        let [hi, lo] = code.to_be_bytes();
        // A server restarting (1012) closes; our client echoes the code, not 1002.
        let mut c = client();
        c.handle_input(Instant::now(), &[0x88, 0x02, hi, lo])
            .unwrap();
        assert_eq!(
            events(&mut c),
            [Event::Close(Some(CloseFrame {
                code: CloseCode(code),
                reason: String::new()
            }))]
        );
        let out = transmit(&mut c);
        assert_eq!(out[..2], [0x88, 0x82]);
        assert_eq!([out[6] ^ KEY[0], out[7] ^ KEY[1]], [hi, lo]);
        // And a server may send them.
        let mut s = server();
        s.close(Instant::now(), CloseCode(code), "later").unwrap();
        assert_eq!(transmit(&mut s)[..4], [0x88, 0x07, hi, lo]);
    }
    assert_eq!(CloseCode::SERVICE_RESTART, CloseCode(1012));
    assert_eq!(CloseCode::TRY_AGAIN_LATER, CloseCode(1013));
    assert_eq!(CloseCode::BAD_GATEWAY, CloseCode(1014));
}

#[test]
fn close_handshake_started_by_the_client() {
    let now = Instant::now();
    let mut c = client();
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
    let mut c = client();
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
    let config = Config::default().with_keepalive(Some(Duration::from_secs(30)));
    let mut s = Connection::server(now, config);
    s.handle_input(now, &client_frame(0x81, b"hi")).unwrap();
    assert_eq!(s.poll_timeout(), Some(now + Duration::from_secs(30)));
    s.handle_timeout(now + Duration::from_secs(29));
    assert!(transmit(&mut s).is_empty());
    s.handle_timeout(now + Duration::from_secs(30));
    assert_eq!(transmit(&mut s), [0x89, 0x00]);
    // The pong (or anything else) restarts the idle clock.
    let later = now + Duration::from_secs(31);
    s.handle_input(later, &client_frame(0x8A, b"")).unwrap();
    assert_eq!(
        events(&mut s),
        [Event::Text("hi".into()), Event::Pong("".into())]
    );
    assert_eq!(s.poll_timeout(), Some(later + Duration::from_secs(30)));
}

#[test]
fn keepalive_clock_starts_when_the_connection_is_made() {
    let now = Instant::now();
    let config = Config::default().with_keepalive(Some(Duration::from_secs(30)));
    let mut s = Connection::server(now, config);
    assert_eq!(s.poll_timeout(), Some(now + Duration::from_secs(30)));
    s.handle_timeout(now + Duration::from_secs(30));
    assert_eq!(transmit(&mut s), [0x89, 0x00]);
}

#[test]
fn a_silent_peer_is_given_up_after_the_keepalive_timeout() {
    let now = Instant::now();
    let config = Config::default()
        .with_keepalive(Some(Duration::from_secs(30)))
        .with_keepalive_timeout(Duration::from_secs(10));
    let mut s = Connection::server(now, config);
    s.handle_input(now, &client_frame(0x81, b"hi")).unwrap();
    events(&mut s);
    let ping_at = now + Duration::from_secs(30);
    s.handle_timeout(ping_at);
    assert_eq!(transmit(&mut s), [0x89, 0x00]);
    // Our own pings do not count as hearing from the peer.
    s.ping(b"x").unwrap();
    transmit(&mut s);
    let deadline = ping_at + Duration::from_secs(10);
    assert_eq!(s.poll_timeout(), Some(deadline));
    s.handle_timeout(deadline - Duration::from_millis(1));
    assert_eq!(s.state(), State::Open);
    s.handle_timeout(deadline);
    assert_eq!(events(&mut s), [Event::KeepaliveTimedOut]);
    assert_eq!(s.state(), State::Closing);
    assert_eq!(
        transmit(&mut s),
        [0x88, 0x02, 0x03, 0xE9],
        "1001 going away"
    );
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(s.send_text("x"), Err(Error::Failed(CloseCode::GOING_AWAY)));
    // Whatever the peer sends now is ignored.
    s.handle_input(deadline, &client_frame(0x88, &[0x03, 0xE8]))
        .unwrap();
    assert!(events(&mut s).is_empty());
}

#[test]
fn a_peer_that_answers_keeps_the_connection() {
    let now = Instant::now();
    let config = Config::default()
        .with_keepalive(Some(Duration::from_secs(30)))
        .with_keepalive_timeout(Duration::from_secs(10));
    let mut s = Connection::server(now, config);
    for _ in 0..5 {
        let mut t = s.poll_timeout().unwrap();
        s.handle_timeout(t);
        assert_eq!(transmit(&mut s), [0x89, 0x00]);
        t += Duration::from_secs(9);
        s.handle_input(t, &client_frame(0x8A, b"")).unwrap();
        assert_eq!(s.poll_timeout(), Some(t + Duration::from_secs(30)));
    }
    assert_eq!(s.state(), State::Open);
}

#[test]
fn a_connection_whose_close_timed_out_ignores_input() {
    let now = Instant::now();
    let mut s = server();
    s.close(now, CloseCode::NORMAL, "").unwrap();
    transmit(&mut s);
    s.handle_timeout(now + Config::default().close_timeout);
    assert_eq!(events(&mut s), [Event::CloseTimedOut]);
    let mut late = client_frame(0x81, b"late");
    late.extend(client_frame(0x88, &[0x03, 0xE8]));
    s.handle_input(now, &late).unwrap();
    assert!(events(&mut s).is_empty());
    assert!(transmit(&mut s).is_empty());
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.send_text("x"), Err(Error::Closed));
}

#[test]
fn large_messages_round_trip_between_two_connections() {
    let now = Instant::now();
    let mut c = client();
    let mut s = server();
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    c.send_binary(&big).unwrap();
    c.send_text(&"é".repeat(40_000)).unwrap();
    pump(&mut c, &mut s, now).unwrap();
    assert_eq!(
        events(&mut s),
        [
            Event::Binary(big.into()),
            Event::Text("é".repeat(40_000).into())
        ]
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
        let mut c = Connection::client(now, Config::default(), move || { counter = counter.wrapping_add(0x9E37_79B9); counter.to_le_bytes() });
        let mut s = server();
        let mut expected = Vec::new();
        for text in &texts {
            c.send_text(text).unwrap();
            expected.push(Event::Text(text.clone().into()));
        }
        c.send_binary(&data).unwrap();
        expected.push(Event::Binary(data.clone().into()));
        pump(&mut c, &mut s, now).unwrap();
        prop_assert_eq!(events(&mut s), expected);
    }
}

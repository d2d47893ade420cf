//! The client session on arbitrary server input: it must never panic,
//! never report its end twice, and report it as its last event.
//!
//! Input: a selector byte (bit 0: TCP or WebSocket; bit 1: STARTTLS
//! required; bit 2: TLS from the start, with channel binding), then pieces
//! separated by 0xFF (never in UTF-8): TCP reads, or WebSocket messages
//! (pieces that are not UTF-8 are skipped). An empty piece advances the
//! clock past every timeout.
#![no_main]

use std::time::{Duration, Instant};

use chatwire_sasl::ChannelBinding;
use chatwire_xmpp_session::{ClientConfig, ClientEvent, ClientSession, Security, StartTls};
use chatwire_xmpp_stanza::Jid;
use libfuzzer_sys::fuzz_target;

fn binding() -> ChannelBinding {
    ChannelBinding::new("tls-exporter", b"exported keying material".to_vec()).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let tcp = selector & 1 != 0;
    let mut config = ClientConfig::new(Jid::new("juliet@example.com/balcony").unwrap(), "r0m30")
        .with_starttls(if selector & 2 != 0 {
            StartTls::Required
        } else {
            StartTls::Optional
        });
    config.sasl.min_iterations = 1;
    config.sasl.max_iterations = 64;
    config.sasl.allow_plain_without_tls = true;
    let security = if selector & 4 != 0 {
        Security::Tls(vec![binding()])
    } else {
        Security::Plain
    };
    let mut counter = 0u8;
    let random = move |buf: &mut [u8]| {
        for byte in buf {
            counter = counter.wrapping_add(1);
            *byte = counter;
        }
    };
    let mut now = Instant::now();
    let mut client = if tcp {
        ClientSession::tcp(now, config, Default::default(), security, random)
    } else {
        ClientSession::websocket(now, config, Default::default(), security, random)
    }
    .unwrap();
    let mut events = Vec::new();
    let mut out = String::new();
    for piece in rest.split(|&b| b == 0xff) {
        if piece.is_empty() {
            now += Duration::from_secs(3600);
            client.handle_timeout(now);
        } else if tcp {
            if client.handle_input(now, piece).is_err() {
                break;
            }
        } else if let Ok(text) = std::str::from_utf8(piece) {
            if client.handle_message(now, text.to_owned()).is_err() {
                break;
            }
        }
        while let Some(event) = client.poll_event() {
            if event == ClientEvent::StartTls {
                let answer = client.handle_tls_established(now, vec![binding()]);
                // A question asked just before the stream failed is refused.
                assert!(answer.is_ok() || client.is_closed(), "{answer:?}");
            }
            events.push(event);
        }
        while client.poll_transmit(&mut out) > 0 {}
        out.clear();
    }
    let closes = events
        .iter()
        .filter(|e| matches!(e, ClientEvent::Closed(_)))
        .count();
    assert!(closes <= 1, "{events:?}");
    if closes == 1 {
        assert!(matches!(events.last(), Some(ClientEvent::Closed(_))));
    }
});

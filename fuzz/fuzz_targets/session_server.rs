//! The server session on arbitrary client input through the whole
//! negotiation and the stanza phase, answering every question like a
//! caller would (credentials for "juliet"/"r0m30", any bind, no detached
//! session, TLS done at once). It must never panic, never report its end
//! twice, and report it as its last event.
//!
//! Input: a selector byte (bit 0: TCP or WebSocket; bit 1: STARTTLS
//! required; bit 2: TLS from the start; bit 3: stream management off),
//! then pieces separated by 0xFF (never in UTF-8): TCP reads, or WebSocket
//! messages (pieces that are not UTF-8 are skipped). An empty
//! piece advances the clock past every timeout.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chatwire_sasl::{AccountPolicy, ChannelBinding, ScramHash, Secret, StoredCredentials};
use chatwire_xmpp_session::{
    BindDecision, Security, ServerConfig, ServerEvent, ServerSession, SmConfig, StartTls,
};
use libfuzzer_sys::fuzz_target;

fn stored() -> &'static StoredCredentials {
    static STORED: OnceLock<StoredCredentials> = OnceLock::new();
    STORED.get_or_init(|| {
        AccountPolicy::new(1, 16, &ScramHash::STRONGEST_FIRST)
            .unwrap()
            .derive("r0m30", b"sixteen byte slt")
            .unwrap()
    })
}

fn binding() -> ChannelBinding {
    ChannelBinding::new("tls-exporter", b"exported keying material".to_vec()).unwrap()
}

/// An answer to a question the session asked is taken, unless the session
/// ended since (a later part of the same input broke the stream).
fn answered(server: &ServerSession, answer: Result<(), chatwire_xmpp_session::Error>) {
    assert!(
        answer.is_ok()
            || (server.is_closed() && answer == Err(chatwire_xmpp_session::Error::Closed)),
        "{answer:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let tcp = selector & 1 != 0;
    let mut config = ServerConfig::new(
        "example.com",
        Secret::new(*b"fuzz secret, sixteen bytes or so").unwrap(),
    )
    .with_starttls(if selector & 2 != 0 {
        StartTls::Required
    } else {
        StartTls::Optional
    })
    .with_plain_without_tls(true);
    config.sasl = config
        .sasl
        .with_account_policy(AccountPolicy::new(1, 16, &ScramHash::STRONGEST_FIRST).unwrap());
    if selector & 8 != 0 {
        config = config.with_sm(SmConfig::disabled());
    } else if selector & 16 != 0 {
        // Acknowledgements wait for confirmations, given below in an
        // order the input picks (some never).
        config =
            config.with_sm(SmConfig::default().with_confirm_within(Some(Duration::from_secs(5))));
    }
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
    let mut server = if tcp {
        ServerSession::tcp(now, config, Default::default(), security, random)
    } else {
        ServerSession::websocket(now, config, Default::default(), security, random)
    };
    let mut events = Vec::new();
    let mut held: Vec<u32> = Vec::new();
    let mut out = String::new();
    for piece in rest.split(|&b| b == 0xff) {
        if piece.is_empty() {
            now += Duration::from_secs(3600);
            server.handle_timeout(now);
        } else if tcp {
            if server.handle_input(now, piece).is_err() {
                break;
            }
        } else if let Ok(text) = std::str::from_utf8(piece) {
            if server.handle_message(now, text.to_owned()).is_err() {
                break;
            }
        }
        while let Some(event) = server.poll_event() {
            if let Some(number) = server.stanza_number() {
                held.push(number);
            }
            match &event {
                ServerEvent::StartTls => {
                    let answer = server.handle_tls_established(now, vec![binding()]);
                    answered(&server, answer);
                }
                ServerEvent::NeedCredentials { username, .. } => {
                    let found = (username == "juliet").then(stored);
                    let answer = server.handle_credentials(now, found);
                    answered(&server, answer);
                }
                ServerEvent::BindRequested { resource } => {
                    let resource = resource.clone().unwrap_or_else(|| "r".to_owned());
                    let answer = server.handle_bind(now, BindDecision::Bind(resource));
                    answered(&server, answer);
                }
                ServerEvent::ResumeRequested { .. } => {
                    let answer = server.handle_resume(now, None);
                    answered(&server, answer);
                }
                _ => {}
            }
            events.push(event);
        }
        // Confirms the stanzas handed over, newest first, but for the
        // oldest `len % 3` of them, which wait for a later piece.
        let keep = piece.len() % 3;
        while held.len() > keep {
            if let Some(number) = held.pop() {
                server.confirm(number);
            }
        }
        while server.poll_transmit(&mut out) > 0 {}
        out.clear();
    }
    let closes = events
        .iter()
        .filter(|e| matches!(e, ServerEvent::Closed(_)))
        .count();
    assert!(closes <= 1, "{events:?}");
    if closes == 1 {
        assert!(matches!(events.last(), Some(ServerEvent::Closed(_))));
        assert!(server.is_closed());
    }
});

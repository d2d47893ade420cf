//! Regression tests from a review of the session as an attacker and as a
//! server author would read it: each one failed before its fix.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

mod common;

use std::time::Instant;

use chatwire_sasl::Mechanism;
use chatwire_xmpp_framing::StreamErrorCondition;
use chatwire_xmpp_session::{
    BindDecision, ClientConfig, ClientEvent, ClientSession, CloseReason, NegotiationError,
    Resumption, Security, ServerConfig, ServerEvent, ServerSession,
};
use chatwire_xmpp_stanza::{Jid, Message};
use common::{PASSWORD, server_config};

const OPEN: &str =
    r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="1.0"/>"#;
/// PLAIN as juliet (`\0juliet\0r0m30`).
const AUTH_JULIET: &str =
    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMA==</auth>";
/// PLAIN as romeo (`\0romeo\0r0m30`).
const AUTH_ROMEO: &str =
    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AHJvbWVvAHIwbTMw</auth>";
/// PLAIN as jules (`\0jules\0r0m30`), a name the store takes for juliet.
const AUTH_JULES: &str =
    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGVzAHIwbTMw</auth>";
const BIND: &str = "<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>balcony</resource></bind></iq>";
const ENABLE: &str = "<enable xmlns='urn:xmpp:sm:3' resume='true'/>";

/// A WebSocket server session driven by hand. Questions are answered only
/// when `answer` is on; resumptions come from `detached`.
struct Raw {
    server: ServerSession,
    now: Instant,
    events: Vec<ServerEvent>,
    answer: bool,
    detached: Vec<Resumption>,
}

impl Raw {
    fn ws(config: ServerConfig) -> Raw {
        let now = Instant::now();
        let server = ServerSession::websocket(
            now,
            config,
            Default::default(),
            Security::Tls(Vec::new()),
            common::random(5),
        );
        Raw {
            server,
            now,
            events: Vec::new(),
            answer: true,
            detached: Vec::new(),
        }
    }

    fn send(&mut self, message: &str) -> Vec<String> {
        self.server
            .handle_message(self.now, message.to_owned())
            .unwrap();
        self.drain();
        self.output()
    }

    fn output(&mut self) -> Vec<String> {
        let mut messages = Vec::new();
        loop {
            let mut out = String::new();
            if self.server.poll_transmit(&mut out) == 0 {
                return messages;
            }
            messages.push(out);
        }
    }

    fn drain(&mut self) {
        while let Some(event) = self.server.poll_event() {
            if self.answer {
                match &event {
                    ServerEvent::NeedCredentials { username, .. } => {
                        let stored = common::stored();
                        let known = username == "juliet" || username == "romeo";
                        self.server
                            .handle_credentials(self.now, known.then_some(&stored))
                            .unwrap();
                    }
                    ServerEvent::BindRequested { resource } => {
                        let resource = resource.clone().unwrap_or_else(|| "r1".to_owned());
                        self.server
                            .handle_bind(self.now, BindDecision::Bind(resource))
                            .unwrap();
                    }
                    ServerEvent::ResumeRequested { previd, .. } => {
                        let index = self.detached.iter().position(|r| r.id() == Some(previd));
                        let found = index.map(|i| self.detached.remove(i));
                        self.server.handle_resume(self.now, found).unwrap();
                    }
                    _ => {}
                }
            }
            self.events.push(event);
        }
    }

    /// Authenticated as `auth`, bound, stream management enabled with
    /// resumption.
    fn ready(auth: &str) -> Raw {
        let mut raw = Raw::ws(server_config());
        raw.send(OPEN);
        assert_eq!(
            raw.send(auth),
            ["<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"]
        );
        raw.send(OPEN);
        raw.send(BIND);
        let enabled = raw.send(ENABLE);
        assert!(enabled[0].starts_with("<enabled"), "{enabled:?}");
        raw
    }

    fn closed_with(&self) -> Option<&CloseReason> {
        self.events.iter().find_map(|e| match e {
            ServerEvent::Closed(reason) => Some(reason),
            _ => None,
        })
    }
}

fn to_juliet(body: &str) -> Message {
    let mut message = Message::chat(Jid::new("juliet@example.com/balcony").unwrap(), body);
    message.from = Some(Jid::new("nurse@example.com/house").unwrap());
    message
}

/// Juliet's session, lost with one stanza unacknowledged, detached for
/// resumption.
fn juliet_detached() -> Resumption {
    let mut juliet = Raw::ready(AUTH_JULIET);
    juliet.server.send(to_juliet("for juliet only")).unwrap();
    juliet.output();
    juliet.server.handle_transport_closed(juliet.now);
    let resumption = juliet.server.detach().unwrap();
    assert_eq!(resumption.state.unacked().count(), 1);
    resumption
}

fn returned(events: &[ServerEvent]) -> Option<&Resumption> {
    events.iter().find_map(|e| match e {
        ServerEvent::ResumptionReturned(r) => Some(r),
        _ => None,
    })
}

/// Romeo learns juliet's resumption id and asks to resume it. The session
/// refuses (another account), but the detached session the caller handed
/// over was dropped: juliet can no longer resume, and the stanza she never
/// acknowledged was lost although the server had accepted it.
#[test]
fn a_resumption_refused_for_another_account_goes_back_to_the_caller() {
    let resumption = juliet_detached();
    let previd = resumption.id().unwrap().to_owned();
    let mut romeo = Raw::ws(server_config());
    romeo.send(OPEN);
    romeo.send(AUTH_ROMEO);
    romeo.send(OPEN);
    romeo.detached.push(resumption.clone());
    let answer = romeo.send(&format!(
        "<resume xmlns='urn:xmpp:sm:3' previd='{previd}' h='0'/>"
    ));
    assert_eq!(
        answer,
        [
            "<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"
        ]
    );
    assert!(
        !romeo
            .events
            .iter()
            .any(|e| matches!(e, ServerEvent::Resumed { .. }))
    );
    assert_eq!(
        returned(&romeo.events),
        Some(&resumption),
        "{:?}",
        romeo.events
    );
}

/// Juliet resumes her own session with an `h` above what was sent: the
/// stream ends with `undefined-condition`, and the stanza she never
/// acknowledged must not be lost with it.
#[test]
fn a_resumption_with_a_too_high_h_goes_back_to_the_caller() {
    let resumption = juliet_detached();
    let previd = resumption.id().unwrap().to_owned();
    let mut juliet = Raw::ws(server_config());
    juliet.send(OPEN);
    juliet.send(AUTH_JULIET);
    juliet.send(OPEN);
    juliet.detached.push(resumption.clone());
    juliet.send(&format!(
        "<resume xmlns='urn:xmpp:sm:3' previd='{previd}' h='7'/>"
    ));
    assert_eq!(
        juliet.closed_with(),
        Some(&CloseReason::SentStreamError(
            StreamErrorCondition::UndefinedCondition
        ))
    );
    assert_eq!(
        returned(&juliet.events),
        Some(&resumption),
        "{:?}",
        juliet.events
    );
}

/// While the caller looks up credentials, input is held unread; a client
/// that keeps sending meanwhile must not make the server hold it all.
#[test]
fn input_held_while_the_caller_decides_is_bounded() {
    let mut raw = Raw::ws(server_config());
    raw.answer = false;
    raw.send(OPEN);
    raw.send(AUTH_JULIET);
    assert!(matches!(
        raw.events.last(),
        Some(ServerEvent::NeedCredentials { .. })
    ));
    let filler = format!(
        "<message xmlns='jabber:client' to='romeo@example.com'><body>{}</body></message>",
        "x".repeat(60 * 1024)
    );
    // 64 MiB: far beyond what any legitimate client pipelines.
    for _ in 0..1024 {
        if raw.server.is_closed() {
            break;
        }
        raw.send(&filler);
    }
    assert_eq!(
        raw.closed_with(),
        Some(&CloseReason::SentStreamError(
            StreamErrorCondition::PolicyViolation
        ))
    );
}

/// A client that enables stream management and never acknowledges makes
/// the server keep every stanza routed to it.
#[test]
fn the_unacknowledged_queue_is_bounded() {
    let mut raw = Raw::ready(AUTH_JULIET);
    for i in 0..100_000 {
        if raw.server.is_closed() {
            break;
        }
        raw.server.send(to_juliet(&i.to_string())).unwrap();
        raw.drain();
        raw.output();
    }
    assert_eq!(
        raw.closed_with(),
        Some(&CloseReason::SentStreamError(
            StreamErrorCondition::PolicyViolation
        ))
    );
    // Nothing accepted is lost: the caller takes the queue back.
    let unacked = raw.server.take_unacked();
    assert!(!unacked.is_empty() && unacked.len() <= 10_000);
}

/// After the session ended with a stream error of ours, the framing still
/// reads (it waits for the client's close) but nothing drained it: every
/// further stanza stayed queued for the life of the connection. The
/// session's `Debug` shows the framing's queue, which is how this looks.
#[test]
fn input_after_the_end_is_not_kept() {
    let mut raw = Raw::ws(server_config());
    raw.send(OPEN);
    // A stanza before authentication: not-authorized, the session is over.
    let stanza = format!(
        "<message xmlns='jabber:client' to='romeo@example.com'><body>{}</body></message>",
        "x".repeat(1024)
    );
    raw.send(&stanza);
    assert!(raw.server.is_closed());
    let before = format!("{:?}", raw.server).len();
    for _ in 0..100 {
        // Accepted or refused, but never kept.
        let _ = raw.server.handle_message(raw.now, stanza.clone());
        raw.drain();
    }
    let after = format!("{:?}", raw.server).len();
    assert!(after < before + 1024, "{before} -> {after}");
    assert_eq!(
        raw.events
            .iter()
            .filter(|e| matches!(e, ServerEvent::Closed(_)))
            .count(),
        1
    );
}

/// A store that takes several names for one account answers with
/// `handle_credentials_for(account, ..)`; the client is then that account,
/// not whatever name it typed.
#[test]
fn the_account_a_store_names_is_the_one_authenticated() {
    let mut raw = Raw::ws(server_config());
    raw.answer = false;
    raw.send(OPEN);
    raw.send(AUTH_JULES);
    assert!(matches!(
        raw.events.last(),
        Some(ServerEvent::NeedCredentials { username, .. }) if username == "jules"
    ));
    let stored = common::stored();
    raw.server
        .handle_credentials_for(raw.now, "juliet", Some(&stored))
        .unwrap();
    raw.drain();
    let authenticated = raw.events.iter().find_map(|e| match e {
        ServerEvent::Authenticated { jid, .. } => Some(jid.clone()),
        _ => None,
    });
    assert_eq!(authenticated, Some(Jid::new("juliet@example.com").unwrap()));
    assert_eq!(
        raw.server.account(),
        Some(&Jid::new("juliet@example.com").unwrap())
    );
}

/// A client driven by hand against a scripted server over `wss:`.
fn client_bound_as(jid: &str) -> Vec<ClientEvent> {
    let now = Instant::now();
    let mut config = ClientConfig::new(Jid::new("juliet@example.com/balcony").unwrap(), PASSWORD);
    config.sasl.preference = vec![Mechanism::Plain];
    let mut client = ClientSession::websocket(
        now,
        config,
        Default::default(),
        Security::Tls(Vec::new()),
        common::random(3),
    )
    .unwrap();
    let script = [
        r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" from="example.com" id="s1" version="1.0"/>"#.to_owned(),
        "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>".to_owned(),
        "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>".to_owned(),
        r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" from="example.com" id="s2" version="1.0"/>"#.to_owned(),
        "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>".to_owned(),
        format!("<iq xmlns='jabber:client' type='result' id='bind-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>{jid}</jid></bind></iq>"),
    ];
    let mut events = Vec::new();
    for message in script {
        let mut out = String::new();
        while client.poll_transmit(&mut out) > 0 {}
        if client.handle_message(now, message).is_err() {
            break;
        }
        while let Some(event) = client.poll_event() {
            events.push(event);
        }
    }
    events
}

/// RFC 6120 section 7.6.1: the server binds a resource to the account
/// that authenticated. A bind result naming another account or another
/// server is not ours to accept.
#[test]
fn the_client_refuses_a_bind_result_for_another_account() {
    let good = client_bound_as("juliet@example.com/balcony");
    assert!(good.contains(&ClientEvent::Ready {
        jid: Jid::new("juliet@example.com/balcony").unwrap()
    }));
    for other in ["romeo@example.com/balcony", "juliet@evil.example/balcony"] {
        let events = client_bound_as(other);
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, ClientEvent::Ready { .. })),
            "{other}: {events:?}"
        );
        assert!(
            matches!(
                events.last(),
                Some(ClientEvent::Closed(CloseReason::NegotiationFailed(
                    NegotiationError::Unexpected(_)
                )))
            ),
            "{other}: {events:?}"
        );
    }
}

/// A client session lost with one stanza of ours unacknowledged, detached.
fn client_detached() -> Resumption {
    let (server, client) = common::configs(common::Wire::Wss, Mechanism::ScramSha256);
    let mut old = common::Pair::new(common::Wire::Wss, server, client);
    old.run();
    let mut message = Message::chat(Jid::new("romeo@example.net").unwrap(), "in flight");
    message.id = Some("m1".to_owned());
    old.client.send(message).unwrap();
    old.lose_in_flight();
    old.client.handle_transport_closed(old.now);
    let resumption = old.client.detach().unwrap();
    assert_eq!(resumption.state.unacked().count(), 1);
    resumption
}

/// The reconnection that was to resume fails before the server answers
/// (the new connection drops during SASL, or right after `<resume/>`):
/// the resumption the caller handed to `resume`, with the stanzas the
/// server never acknowledged, was gone with the session.
#[test]
fn a_client_resumption_not_answered_can_be_detached_again() {
    // Dropped during authentication.
    let resumption = client_detached();
    let (server, client) = common::configs(common::Wire::Wss, Mechanism::ScramSha256);
    let mut new = common::Pair::new(common::Wire::Wss, server, client);
    new.client.resume(resumption.clone()).unwrap();
    new.client.handle_transport_closed(new.now);
    assert_eq!(new.client.detach(), Some(resumption));

    // Dropped after <resume/> went out, before <resumed/> came: the
    // server's store never answers the lookup.
    let resumption = client_detached();
    let (server, client) = common::configs(common::Wire::Wss, Mechanism::ScramSha256);
    let new = common::Pair::new(common::Wire::Wss, server, client);
    let (mut client, mut server, now) = (new.client, new.server, new.now);
    client.resume(resumption.clone()).unwrap();
    let mut sent_resume = false;
    for _ in 0..20 {
        let mut out = String::new();
        while client.poll_transmit(&mut out) > 0 {
            sent_resume |= out.contains("<resume ");
            server
                .handle_message(now, std::mem::take(&mut out))
                .unwrap();
            while let Some(event) = server.poll_event() {
                if let ServerEvent::NeedCredentials { .. } = event {
                    server
                        .handle_credentials(now, Some(&common::stored()))
                        .unwrap();
                }
            }
        }
        while server.poll_transmit(&mut out) > 0 {
            client
                .handle_message(now, std::mem::take(&mut out))
                .unwrap();
            while client.poll_event().is_some() {}
        }
    }
    assert!(sent_resume);
    client.handle_transport_closed(now);
    assert_eq!(client.detach(), Some(resumption));
}

/// EXTERNAL takes its identity from the TLS layer (a client certificate):
/// on a stream without TLS nothing proves it. With an identity configured
/// (the only way the session takes one, before any TLS), a plaintext TCP
/// client was offered EXTERNAL and authenticated as that identity.
#[test]
fn external_needs_tls() {
    let mut config = server_config()
        .with_mechanisms([Mechanism::External, Mechanism::ScramSha256])
        .with_starttls(chatwire_xmpp_session::StartTls::Optional);
    config.sasl.external_identity = Some("juliet".to_owned());
    let now = Instant::now();
    let mut server = ServerSession::tcp(
        now,
        config,
        Default::default(),
        Security::Plain,
        common::random(4),
    );
    let mut out = String::new();
    server.handle_input(now, b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>").unwrap();
    server.poll_transmit(&mut out);
    assert!(!out.contains("<mechanism>EXTERNAL</mechanism>"), "{out}");
    out.clear();
    server
        .handle_input(
            now,
            b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>",
        )
        .unwrap();
    server.poll_transmit(&mut out);
    assert!(out.starts_with("<failure"), "{out}");
    let mut events = Vec::new();
    while let Some(event) = server.poll_event() {
        events.push(event);
    }
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ServerEvent::Authenticated { .. })),
        "{events:?}"
    );
    assert_eq!(server.account(), None);
}

/// XEP-0198 section 3: `<failed/>` answers `<enable/>`. Once the server
/// enabled stream management, a `<failed/>` made the client drop its
/// state, and with it the stanzas the server had not acknowledged, with
/// no way for the caller to get them back.
#[test]
fn a_failed_after_enabled_does_not_drop_the_unacknowledged_stanzas() {
    let (server, client) = common::configs(common::Wire::Wss, Mechanism::ScramSha256);
    let mut pair = common::Pair::new(common::Wire::Wss, server, client);
    pair.run();
    assert!(pair.client.sm().is_some_and(|sm| sm.is_resumable()));
    let message = Message::chat(Jid::new("romeo@example.net").unwrap(), "unacked");
    pair.client.send(message).unwrap();
    pair.lose_in_flight();
    pair.client
        .handle_message(pair.now, "<failed xmlns='urn:xmpp:sm:3'/>".to_owned())
        .unwrap();
    pair.drain_client();
    assert!(
        !pair
            .log
            .client
            .iter()
            .any(|e| matches!(e, ClientEvent::SmFailed(_))),
        "{:?}",
        pair.log.client
    );
    assert_eq!(pair.client.take_unacked().len(), 1);
}

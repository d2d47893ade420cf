//! What a misbehaving peer gets, byte for byte: wrong credentials, stanzas
//! and binds out of turn, spoofed addresses, restarts at the wrong time,
//! garbage at every stage, timeouts; and what our client reports when the
//! server ends the stream.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

mod common;

use std::time::Instant;

use chatwire_sasl::{Failure, Mechanism};
use chatwire_xmpp_framing::StreamErrorCondition;
use chatwire_xmpp_session::{
    ClientEvent, CloseReason, NegotiationError, Security, ServerConfig, ServerEvent, ServerSession,
    StartTls,
};
use chatwire_xmpp_stanza::{
    SaslCondition, SaslFailure, StreamError, StreamErrorCondition as StanzaStreamCondition,
};
use common::{Pair, Wire, configs, later, server_config};

const OPEN: &str =
    r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="1.0"/>"#;
const CLOSE: &str = r#"<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>"#;
const TCP_HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";
const AUTH_PLAIN: &str =
    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMA==</auth>";
const AUTH_WRONG: &str =
    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB3cm9uZw==</auth>";
const AUTH_UNKNOWN: &str =
    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AG5vYm9keQByMG0zMA==</auth>";
const BIND: &str = "<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>balcony</resource></bind></iq>";
const NOT_AUTHORIZED: &str =
    "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>";

/// A stream error and the closing tag over TCP.
fn tcp_stream_error(condition: &str) -> String {
    format!(
        "<stream:error xmlns:stream=\"http://etherx.jabber.org/streams\"><{condition} xmlns=\"urn:ietf:params:xml:ns:xmpp-streams\"/></stream:error></stream:stream>"
    )
}

fn stream_error(condition: &str) -> String {
    format!(
        r#"<stream:error xmlns:stream="http://etherx.jabber.org/streams"><{condition} xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error>"#
    )
}

/// A server session driven by hand, with raw client input.
struct Raw {
    server: ServerSession,
    now: Instant,
    events: Vec<ServerEvent>,
}

impl Raw {
    fn ws(config: ServerConfig) -> Raw {
        let now = Instant::now();
        let server = ServerSession::websocket(
            now,
            config,
            Default::default(),
            Security::Tls(Vec::new()),
            common::random(9),
        );
        Raw {
            server,
            now,
            events: Vec::new(),
        }
    }

    fn tcp(config: ServerConfig) -> Raw {
        let now = Instant::now();
        let server = ServerSession::tcp(
            now,
            config,
            Default::default(),
            Security::Plain,
            common::random(9),
        );
        Raw {
            server,
            now,
            events: Vec::new(),
        }
    }

    /// Feeds one WebSocket message; returns what the server sent.
    fn send(&mut self, message: &str) -> Vec<String> {
        self.server
            .handle_message(self.now, message.to_owned())
            .unwrap();
        self.answer();
        self.output()
    }

    /// Feeds TCP bytes; returns what the server sent.
    fn send_bytes(&mut self, bytes: &str) -> String {
        self.server
            .handle_input(self.now, bytes.as_bytes())
            .unwrap();
        self.answer();
        self.output().concat()
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

    fn answer(&mut self) {
        while let Some(event) = self.server.poll_event() {
            match &event {
                ServerEvent::NeedCredentials { username, .. } => {
                    let stored = common::stored();
                    let found = (username == common::USER).then_some(&stored);
                    self.server.handle_credentials(self.now, found).unwrap();
                }
                ServerEvent::BindRequested { resource } => {
                    let resource = resource.clone().unwrap_or_else(|| "r1".to_owned());
                    self.server
                        .handle_bind(
                            self.now,
                            chatwire_xmpp_session::BindDecision::Bind(resource),
                        )
                        .unwrap();
                }
                ServerEvent::ResumeRequested { .. } => {
                    self.server.handle_resume(self.now, None).unwrap();
                }
                _ => {}
            }
            self.events.push(event);
        }
    }

    /// A WebSocket session taken to the stanza phase with PLAIN.
    fn ready() -> Raw {
        let mut raw = Raw::ws(server_config());
        raw.send(OPEN);
        assert_eq!(
            raw.send(AUTH_PLAIN),
            ["<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"]
        );
        raw.send(OPEN);
        let bound = raw.send(BIND);
        assert_eq!(
            bound,
            [
                "<iq xmlns='jabber:client' type='result' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>juliet@example.com/balcony</jid></bind></iq>"
            ]
        );
        raw
    }

    fn closed_with(&self) -> Option<&CloseReason> {
        self.events.iter().find_map(|e| match e {
            ServerEvent::Closed(reason) => Some(reason),
            _ => None,
        })
    }

    fn assert_stream_error(&self, output: &[String], condition: StreamErrorCondition) {
        assert_eq!(
            output.get(output.len().saturating_sub(2)..),
            Some([stream_error(condition.as_str()), CLOSE.to_owned()].as_slice()),
            "{output:?}"
        );
        assert_eq!(
            self.closed_with(),
            Some(&CloseReason::SentStreamError(condition))
        );
        assert!(self.server.is_closed());
    }
}

#[test]
fn features_before_and_after_authentication() {
    let mut raw =
        Raw::ws(server_config().with_mechanisms([Mechanism::ScramSha256, Mechanism::Plain]));
    let opened = raw.send(OPEN);
    assert_eq!(opened.len(), 2);
    assert!(opened[0].starts_with(
        r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" from="example.com" id=""#
    ));
    assert_eq!(
        opened[1],
        "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-256</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>"
    );
    raw.send(AUTH_PLAIN);
    let reopened = raw.send(OPEN);
    assert_eq!(
        reopened[1],
        "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>"
    );
}

/// RFC 6121 sections 2.6.1 and 3.4: a server that serves rosters says so
/// after authentication, and only then.
#[test]
fn im_features_after_authentication() {
    let config = server_config()
        .with_mechanisms([Mechanism::Plain])
        .with_im_features(chatwire_xmpp_session::ImFeatures::new(true, true));
    let mut raw = Raw::ws(config);
    let opened = raw.send(OPEN);
    assert!(!opened[1].contains("rosterver") && !opened[1].contains("pre-approval"));
    raw.send(AUTH_PLAIN);
    let reopened = raw.send(OPEN);
    assert!(
        reopened[1].contains("<ver xmlns='urn:xmpp:features:rosterver'/>"),
        "{}",
        reopened[1]
    );
    assert!(
        reopened[1].contains("<sub xmlns='urn:xmpp:features:pre-approval'/>"),
        "{}",
        reopened[1]
    );
}

/// RFC 6120 section 6.4.5 / chatwire-sasl: a wrong password and an unknown
/// user get the same bytes.
#[test]
fn wrong_password_and_unknown_user_look_the_same() {
    let mut wrong = Raw::ws(server_config());
    wrong.send(OPEN);
    assert_eq!(wrong.send(AUTH_WRONG), [NOT_AUTHORIZED]);
    let mut unknown = Raw::ws(server_config());
    unknown.send(OPEN);
    assert_eq!(unknown.send(AUTH_UNKNOWN), [NOT_AUTHORIZED]);
    let Some(ServerEvent::AuthFailed(failure)) = wrong.events.last() else {
        panic!("{:?}", wrong.events);
    };
    assert_eq!(failure.username.as_deref(), Some("juliet"));
    assert_eq!(failure.failure, Failure::NotAuthorized);
    assert_eq!(failure.attempts, 1);
    // The stream lives on: a right password still works.
    assert_eq!(
        wrong.send(AUTH_PLAIN),
        ["<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"]
    );
}

/// The same through SCRAM, client against server: the server's messages
/// have the same shape and the failure the same bytes.
#[test]
fn scram_wrong_password_and_unknown_user() {
    for (user, password) in [
        ("juliet@example.com", "wrong"),
        ("nobody@example.com", "r0m30"),
    ] {
        let (server, mut client) = configs(Wire::Wss, Mechanism::ScramSha256);
        let mut login = common::client_config(user, password);
        login.sasl.preference = client.sasl.preference.clone();
        client = login;
        let mut pair = Pair::new(Wire::Wss, server, client);
        pair.run();
        // Open, features, challenge, failure, and our answer to the
        // client's close.
        assert_eq!(pair.log.to_client.len(), 5, "{:?}", pair.log.to_client);
        assert_eq!(pair.log.to_client[3], NOT_AUTHORIZED);
        assert_eq!(
            pair.log.client.last(),
            Some(&ClientEvent::Closed(CloseReason::NegotiationFailed(
                NegotiationError::AuthFailed(SaslFailure::new(SaslCondition::NotAuthorized))
            )))
        );
    }
}

/// RFC 6120 section 6.4.5: too many retries end the stream.
#[test]
fn too_many_failures() {
    let mut raw = Raw::ws(server_config().with_max_auth_failures(3));
    raw.send(OPEN);
    assert_eq!(raw.send(AUTH_WRONG), [NOT_AUTHORIZED]);
    assert_eq!(raw.send(AUTH_UNKNOWN), [NOT_AUTHORIZED]);
    let last = raw.send(AUTH_WRONG);
    assert_eq!(last[0], NOT_AUTHORIZED);
    raw.assert_stream_error(&last, StreamErrorCondition::PolicyViolation);
}

#[test]
fn stanza_before_auth() {
    let mut raw = Raw::ws(server_config());
    raw.send(OPEN);
    let out =
        raw.send("<message xmlns='jabber:client' to='romeo@example.net'><body>hi</body></message>");
    assert_eq!(out.len(), 2);
    raw.assert_stream_error(&out, StreamErrorCondition::NotAuthorized);
}

#[test]
fn bind_before_auth() {
    let mut raw = Raw::ws(server_config());
    raw.send(OPEN);
    let out = raw.send(BIND);
    raw.assert_stream_error(&out, StreamErrorCondition::NotAuthorized);
}

/// RFC 6120 section 7.1: no stanza before a resource is bound.
#[test]
fn stanza_after_auth_before_bind() {
    let mut raw = Raw::ws(server_config());
    raw.send(OPEN);
    raw.send(AUTH_PLAIN);
    raw.send(OPEN);
    let out = raw.send("<presence xmlns='jabber:client'/>");
    raw.assert_stream_error(&out, StreamErrorCondition::NotAuthorized);
}

#[test]
fn second_bind_is_refused_and_the_stream_lives() {
    let mut raw = Raw::ready();
    let out = raw.send("<iq xmlns='jabber:client' type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>other</resource></bind></iq>");
    assert_eq!(
        out,
        [
            "<iq xmlns='jabber:client' type='error' id='b2'><error type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        ]
    );
    assert!(raw.send("<presence xmlns='jabber:client'/>").is_empty());
    assert!(!raw.server.is_closed());
}

#[test]
fn invalid_resource_is_a_bad_request() {
    let mut raw = Raw::ws(server_config());
    raw.send(OPEN);
    raw.send(AUTH_PLAIN);
    raw.send(OPEN);
    let out = raw.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>\u{202e}x</resource></bind></iq>");
    assert_eq!(
        out,
        [
            "<iq xmlns='jabber:client' type='error' id='b1'><error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        ]
    );
}

#[test]
fn spoofed_from_is_invalid_from() {
    let mut raw = Raw::ready();
    let out = raw.send("<message xmlns='jabber:client' from='romeo@example.com/orchard' to='nurse@example.com'><body>x</body></message>");
    raw.assert_stream_error(&out, StreamErrorCondition::InvalidFrom);
}

#[test]
fn own_full_or_bare_from_is_kept_and_stamped() {
    let mut raw = Raw::ready();
    for from in [
        "juliet@example.com/balcony",
        "juliet@example.com",
        "JULIET@example.com",
    ] {
        let out = raw.send(&format!(
            "<message xmlns='jabber:client' from='{from}' to='romeo@example.net'><body>x</body></message>"
        ));
        assert!(out.is_empty());
        let Some(ServerEvent::Stanza(chatwire_xmpp_stanza::AnyStanza::Message(m))) =
            raw.events.last()
        else {
            panic!("{:?}", raw.events);
        };
        assert_eq!(
            m.from.as_ref().unwrap().as_str(),
            "juliet@example.com/balcony"
        );
    }
}

/// A stanza that cannot be read costs a stanza error, never the stream.
#[test]
fn invalid_stanzas_get_stanza_errors() {
    let mut raw = Raw::ready();
    let out =
        raw.send("<message xmlns='jabber:client' id='m1' to='@@bad'><body>x</body></message>");
    assert_eq!(
        out,
        [
            "<message xmlns='jabber:client' type='error' id='m1' to='juliet@example.com/balcony'><error type='modify'><jid-malformed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"
        ]
    );
    let out = raw.send("<iq xmlns='jabber:client' type='get' id='q1' to='example.com'/>");
    assert_eq!(
        out,
        [
            "<iq xmlns='jabber:client' type='error' id='q1' from='example.com' to='juliet@example.com/balcony'><error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        ]
    );
    // An iq without an id cannot be answered: dropped, the stream lives.
    assert!(
        raw.send("<iq xmlns='jabber:client' type='get'><ping xmlns='urn:xmpp:ping'/></iq>")
            .is_empty()
    );
    // An error stanza is never answered.
    assert!(
        raw.send("<message xmlns='jabber:client' type='error' id='e1'><error/></message>")
            .is_empty()
    );
    assert!(!raw.server.is_closed());
    assert!(raw.send("<presence xmlns='jabber:client'/>").is_empty());
    assert!(matches!(raw.events.last(), Some(ServerEvent::Stanza(_))));
}

#[test]
fn restart_at_the_wrong_time() {
    let mut raw = Raw::ready();
    let out = raw.send(OPEN);
    raw.assert_stream_error(&out, StreamErrorCondition::BadFormat);

    let mut tcp = Raw::tcp(
        server_config()
            .with_starttls(StartTls::Disabled)
            .with_plain_without_tls(true),
    );
    tcp.send_bytes(TCP_HEADER);
    // A new header mid-stanza, before any restart: its XML declaration is a
    // processing instruction, which RFC 6120 section 11.1 forbids.
    let out = tcp.send_bytes(&format!("<message><body>{TCP_HEADER}"));
    assert_eq!(out, tcp_stream_error("restricted-xml"));
    assert_eq!(
        tcp.closed_with(),
        Some(&CloseReason::SentStreamError(
            StreamErrorCondition::RestrictedXml
        ))
    );
}

/// Garbage after each stage of the negotiation: the framing refuses it,
/// the session answers with the stream error and closes.
#[test]
fn garbage_at_every_stage() {
    let stages: [&[&str]; 6] = [
        &[],
        &[OPEN],
        &[OPEN, AUTH_WRONG],
        &[OPEN, AUTH_PLAIN],
        &[OPEN, AUTH_PLAIN, OPEN],
        &[OPEN, AUTH_PLAIN, OPEN, BIND],
    ];
    for stage in stages {
        for (garbage, condition) in [
            ("<<<", StreamErrorCondition::NotWellFormed),
            ("not xml", StreamErrorCondition::BadFormat),
            (
                "<a xmlns='urn:x'><!-- c --></a>",
                StreamErrorCondition::RestrictedXml,
            ),
        ] {
            let mut raw = Raw::ws(server_config());
            for message in stage {
                raw.send(message);
            }
            let out = raw.send(garbage);
            raw.assert_stream_error(&out, condition);
        }
        // Well-formed but unknown top-level elements.
        let mut raw = Raw::ws(server_config());
        for message in stage {
            raw.send(message);
        }
        if !stage.is_empty() && stage != [OPEN, AUTH_PLAIN] {
            let out = raw.send("<foo xmlns='urn:example:foo'/>");
            raw.assert_stream_error(&out, StreamErrorCondition::UnsupportedStanzaType);
        }
    }
}

#[test]
fn tcp_garbage_at_every_stage() {
    let config = || {
        server_config()
            .with_starttls(StartTls::Disabled)
            .with_plain_without_tls(true)
    };
    let header = TCP_HEADER;
    let stages: [&[&str]; 4] = [
        &[],
        &[header],
        &[header, AUTH_PLAIN, header],
        &[header, AUTH_PLAIN, header, BIND],
    ];
    for stage in stages {
        let mut raw = Raw::tcp(config());
        for input in stage {
            raw.send_bytes(input);
        }
        let out = raw.send_bytes("<a><!DOCTYPE x>");
        // Before the header, any element is a framing error.
        let condition = if stage.is_empty() {
            StreamErrorCondition::BadFormat
        } else {
            StreamErrorCondition::RestrictedXml
        };
        let expected = format!("{}</stream:stream>", stream_error(condition.as_str()));
        assert!(out.ends_with(&expected), "{out}");
        assert_eq!(
            raw.closed_with(),
            Some(&CloseReason::SentStreamError(condition))
        );
    }
}

#[test]
fn unknown_host() {
    let mut raw = Raw::ws(server_config());
    let out = raw.send(
        r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.net" version="1.0"/>"#,
    );
    assert_eq!(out.len(), 3);
    raw.assert_stream_error(&out, StreamErrorCondition::HostUnknown);
}

#[test]
fn stage_timeouts() {
    // Open.
    let mut raw = Raw::ws(server_config());
    assert_eq!(raw.server.poll_timeout(), Some(later(raw.now, 30)));
    raw.server.handle_timeout(later(raw.now, 29));
    assert!(!raw.server.is_closed());
    raw.server.handle_timeout(later(raw.now, 30));
    raw.answer();
    let out = raw.output();
    assert_eq!(out.len(), 3, "{out:?}");
    raw.assert_stream_error(&out, StreamErrorCondition::ConnectionTimeout);

    // Authentication.
    let mut raw = Raw::ws(server_config());
    raw.send(OPEN);
    assert_eq!(raw.server.poll_timeout(), Some(later(raw.now, 60)));
    raw.server.handle_timeout(later(raw.now, 60));
    raw.answer();
    let out = raw.output();
    raw.assert_stream_error(&out, StreamErrorCondition::ConnectionTimeout);

    // Bind.
    let mut raw = Raw::ws(server_config());
    raw.send(OPEN);
    raw.send(AUTH_PLAIN);
    raw.send(OPEN);
    assert_eq!(raw.server.poll_timeout(), Some(later(raw.now, 30)));
    raw.server.handle_timeout(later(raw.now, 30));
    raw.answer();
    let out = raw.output();
    raw.assert_stream_error(&out, StreamErrorCondition::ConnectionTimeout);

    // None once ready.
    let raw = Raw::ready();
    assert_eq!(raw.server.poll_timeout(), None);
}

#[test]
fn starttls_over_websocket_is_refused() {
    let mut raw = Raw::ws(server_config());
    raw.send(OPEN);
    let out = raw.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    assert_eq!(
        out,
        ["<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", CLOSE]
    );
    assert!(raw.closed_with().is_some());
}

#[test]
fn auth_before_required_starttls() {
    let mut raw = Raw::tcp(server_config().with_starttls(StartTls::Required));
    let out = raw.send_bytes(TCP_HEADER);
    assert!(
        out.ends_with("<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"),
        "{out}"
    );
    let out = raw.send_bytes(AUTH_PLAIN);
    assert_eq!(
        out,
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><encryption-required/></failure>"
    );
}

#[test]
fn mechanisms_not_offered() {
    let config = server_config()
        .with_starttls(StartTls::Optional)
        .with_max_auth_failures(5);
    let mut raw = Raw::tcp(config);
    let out = raw.send_bytes(TCP_HEADER);
    assert!(!out.contains("PLAIN"), "{out}");
    assert!(
        out.contains("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        "{out}"
    );
    assert_eq!(
        raw.send_bytes(AUTH_PLAIN),
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><encryption-required/></failure>"
    );
    assert_eq!(
        raw.send_bytes("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='DIGEST-MD5'/>"),
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-mechanism/></failure>"
    );
    assert_eq!(
        raw.send_bytes(
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1-PLUS'/>"
        ),
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-mechanism/></failure>"
    );
}

#[test]
fn bad_base64_and_authzid() {
    let mut raw = Raw::ws(server_config().with_max_auth_failures(5));
    raw.send(OPEN);
    assert_eq!(
        raw.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>!!!</auth>"),
        ["<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><incorrect-encoding/></failure>"]
    );
    assert_eq!(
        raw.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>cm9tZW9AZXhhbXBsZS5jb20AanVsaWV0AHIwbTMw</auth>"),
        ["<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-authzid/></failure>"]
    );
    // Its own JID as authzid is fine.
    assert_eq!(
        raw.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>anVsaWV0QGV4YW1wbGUuY29tAGp1bGlldAByMG0zMA==</auth>"),
        ["<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"]
    );
}

#[test]
fn abort_counts_as_a_failure() {
    let mut raw = Raw::ws(server_config());
    raw.send(OPEN);
    raw.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'/>");
    assert_eq!(
        raw.send("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
        ["<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>"]
    );
}

/// A man in the middle terminating TLS: the channel bindings differ and
/// -PLUS fails.
#[test]
fn channel_binding_mismatch_fails() {
    for wire in [Wire::Wss, Wire::TcpStartTls] {
        let (server, client) = configs(wire, Mechanism::ScramSha256Plus);
        let mut pair = Pair::with_bindings(wire, server, client, b"server side", b"client side");
        pair.run();
        assert_eq!(pair.client_ready(), None);
        assert!(
            pair.log.to_client.iter().any(|m| m == NOT_AUTHORIZED),
            "{:?}",
            pair.log
        );
    }
}

/// The server redirects over TCP with see-other-host: our client reports it.
#[test]
fn client_reports_see_other_host() {
    let (server, client) = configs(Wire::TcpStartTls, Mechanism::ScramSha1);
    let mut pair = Pair::new(Wire::TcpStartTls, server, client);
    pair.run();
    let error = StreamError::new(StanzaStreamCondition::SeeOtherHost(
        "other.example.com:5222".to_owned(),
    ));
    pair.server.stream_error(&error).unwrap();
    pair.run();
    assert!(
        pair.log.to_client.last().unwrap().contains("<see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>other.example.com:5222</see-other-host>"),
        "{:?}",
        pair.log.to_client
    );
    assert_eq!(
        pair.log.client.last(),
        Some(&ClientEvent::Closed(CloseReason::ReceivedStreamError(
            error
        )))
    );
    assert_eq!(
        pair.log.server.last(),
        Some(&ServerEvent::Closed(CloseReason::SentStreamError(
            StreamErrorCondition::SeeOtherHost
        )))
    );
}

/// RFC 7395 section 3.6.1: see-other-uri.
#[test]
fn client_reports_see_other_uri() {
    let (server, client) = configs(Wire::Wss, Mechanism::ScramSha1);
    let mut pair = Pair::new(Wire::Wss, server, client);
    pair.run();
    pair.server
        .redirect("wss://other.example.com/xmpp")
        .unwrap();
    pair.run();
    assert_eq!(
        pair.log.client.last(),
        Some(&ClientEvent::Closed(CloseReason::SeeOtherUri(
            "wss://other.example.com/xmpp".to_owned()
        )))
    );
    // Never to an insecure endpoint from a secure one.
    let (server, client) = configs(Wire::Wss, Mechanism::ScramSha1);
    let mut pair = Pair::new(Wire::Wss, server, client);
    pair.run();
    assert!(pair.server.redirect("ws://other.example.com/xmpp").is_err());
}

/// A stream error of the server's choosing (system-shutdown) mid-session.
#[test]
fn client_reports_stream_errors() {
    let (server, client) = configs(Wire::Wss, Mechanism::ScramSha1);
    let mut pair = Pair::new(Wire::Wss, server, client);
    pair.run();
    let error = StreamError::new(StanzaStreamCondition::SystemShutdown);
    pair.server.stream_error(&error).unwrap();
    pair.run();
    assert_eq!(
        pair.log.client.last(),
        Some(&ClientEvent::Closed(CloseReason::ReceivedStreamError(
            error
        )))
    );
    assert!(pair.client.is_closed());
}

/// Garbage from the server: our client ends the stream with the error.
#[test]
fn client_answers_garbage_with_a_stream_error() {
    let (_, client) = configs(Wire::Wss, Mechanism::ScramSha1);
    let now = Instant::now();
    let mut session = chatwire_xmpp_session::ClientSession::websocket(
        now,
        client,
        Default::default(),
        Security::Tls(Vec::new()),
        common::random(3),
    )
    .unwrap();
    let mut out = String::new();
    session.poll_transmit(&mut out);
    assert_eq!(out, OPEN);
    session
        .handle_message(now, r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" from="example.com" id="s1" version="1.0"/>"#.to_owned())
        .unwrap();
    session.handle_message(now, "<<<".to_owned()).unwrap();
    let mut messages = Vec::new();
    loop {
        let mut out = String::new();
        if session.poll_transmit(&mut out) == 0 {
            break;
        }
        messages.push(out);
    }
    assert_eq!(
        messages,
        [stream_error("not-well-formed"), CLOSE.to_owned()]
    );
    assert_eq!(
        session.poll_event(),
        Some(ClientEvent::Closed(CloseReason::SentStreamError(
            StreamErrorCondition::NotWellFormed
        )))
    );
    assert_eq!(session.stream_id(), Some("s1"));
}

/// The client refuses to authenticate over TCP without TLS when it
/// requires STARTTLS and the server does not offer it.
#[test]
fn client_requires_starttls() {
    let (server, client) = configs(Wire::TcpPlain, Mechanism::Plain);
    let client = client.with_starttls(StartTls::Required);
    let mut pair = Pair::new(Wire::TcpPlain, server, client);
    pair.run();
    assert_eq!(
        pair.log.client.last(),
        Some(&ClientEvent::Closed(CloseReason::NegotiationFailed(
            NegotiationError::TlsUnavailable
        )))
    );
    assert!(!pair.log.to_server.iter().any(|m| m.contains("<auth")));
}

/// The server sees the client's stream error.
#[test]
fn server_reports_client_stream_errors() {
    let mut raw = Raw::ready();
    raw.send("<stream:error xmlns:stream='http://etherx.jabber.org/streams'><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
    assert_eq!(
        raw.closed_with(),
        Some(&CloseReason::ReceivedStreamError(StreamError::new(
            StanzaStreamCondition::PolicyViolation
        )))
    );
}

const ENABLE: &str = "<enable xmlns='urn:xmpp:sm:3' resume='true'/>";

/// XEP-0198: `h` counts every stanza, one that gets a stanza error too,
/// and nothing else.
#[test]
fn sm_counts_every_stanza() {
    let mut raw = Raw::ready();
    let enabled = raw.send(ENABLE);
    assert_eq!(enabled.len(), 1);
    assert!(
        enabled[0].starts_with("<enabled xmlns='urn:xmpp:sm:3' id='")
            && enabled[0].ends_with("' resume='true'/>"),
        "{enabled:?}"
    );
    raw.send("<presence xmlns='jabber:client'/>");
    let out =
        raw.send("<message xmlns='jabber:client' id='m1' to='@@bad'><body>x</body></message>");
    assert_eq!(out.len(), 1);
    raw.send("<r xmlns='urn:xmpp:sm:3'/>");
    assert_eq!(
        raw.send("<r xmlns='urn:xmpp:sm:3'/>"),
        ["<a xmlns='urn:xmpp:sm:3' h='2'/>"]
    );
    // The stanza error we got counts on our side too: acknowledging it is
    // fine, acknowledging one more is not.
    assert!(raw.send("<a xmlns='urn:xmpp:sm:3' h='1'/>").is_empty());
    assert!(!raw.server.is_closed());
    assert_eq!(raw.server.sm().unwrap().unacked().count(), 0);
    let out = raw.send("<a xmlns='urn:xmpp:sm:3' h='2'/>");
    assert_eq!(out.len(), 2);
    assert_eq!(
        raw.closed_with(),
        Some(&CloseReason::SentStreamError(
            StreamErrorCondition::UndefinedCondition
        ))
    );
}

/// XEP-0198 section 4: an `h` above what was sent.
#[test]
fn sm_h_too_high_is_undefined_condition() {
    let mut raw = Raw::ready();
    raw.send(ENABLE);
    let out = raw.send("<a xmlns='urn:xmpp:sm:3' h='1'/>");
    assert_eq!(
        out,
        [
            "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><handled-count-too-high xmlns='urn:xmpp:sm:3' h='1' send-count='0'/></stream:error>",
            CLOSE
        ]
    );
    assert_eq!(
        raw.closed_with(),
        Some(&CloseReason::SentStreamError(
            StreamErrorCondition::UndefinedCondition
        ))
    );
}

#[test]
fn sm_out_of_turn() {
    // Enable before bind.
    let mut raw = Raw::ws(server_config());
    raw.send(OPEN);
    raw.send(AUTH_PLAIN);
    raw.send(OPEN);
    assert_eq!(
        raw.send(ENABLE),
        [
            "<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"
        ]
    );
    // Resume of an unknown stream, then binding still works.
    assert_eq!(
        raw.send("<resume xmlns='urn:xmpp:sm:3' h='0' previd='nope'/>"),
        [
            "<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"
        ]
    );
    assert_eq!(raw.send(BIND).len(), 1);
    // Enable twice.
    raw.send(ENABLE);
    assert_eq!(
        raw.send(ENABLE),
        [
            "<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"
        ]
    );
    // <r/> without stream management.
    let mut raw = Raw::ready();
    let out = raw.send("<r xmlns='urn:xmpp:sm:3'/>");
    raw.assert_stream_error(&out, StreamErrorCondition::UnsupportedStanzaType);
}

/// The transport goes away while the caller looks up credentials: the
/// session ends, and the late answer is refused.
#[test]
fn transport_lost_while_the_caller_answers() {
    let now = Instant::now();
    let mut server = ServerSession::websocket(
        now,
        server_config(),
        Default::default(),
        Security::Tls(Vec::new()),
        common::random(9),
    );
    server.handle_message(now, OPEN.to_owned()).unwrap();
    server.handle_message(now, AUTH_PLAIN.to_owned()).unwrap();
    assert!(matches!(
        server.poll_event(),
        Some(ServerEvent::NeedCredentials { .. })
    ));
    server.handle_transport_closed(now);
    assert_eq!(
        server.poll_event(),
        Some(ServerEvent::Closed(CloseReason::TransportClosed {
            clean: false
        }))
    );
    assert_eq!(server.poll_event(), None);
    assert!(server.is_closed());
    assert!(server.handle_credentials(now, None).is_err());
}

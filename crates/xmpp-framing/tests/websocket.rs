//! RFC 7395 clause by clause, with the RFC's own examples as vectors.

// Test helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use chatwire_utf8::Utf8Bytes;
use chatwire_xmpp_framing::websocket::{
    Config, FRAMING_NS, WsFraming, check_selected_subprotocol, offers_xmpp, write_close, write_open,
};
use chatwire_xmpp_framing::{Error, Event, Limits, StreamErrorCondition, StreamHeader};
use proptest::prelude::*;

/// A text message as the WebSocket layer hands it over.
fn msg(text: &str) -> Utf8Bytes {
    Utf8Bytes::from(text.to_owned())
}

/// RFC 7395 section 3.4, the client's `<open/>`.
const RFC_CLIENT_OPEN: &str =
    r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="1.0" />"#;
/// RFC 7395 section 3.4, the server's answer.
const RFC_SERVER_OPEN: &str = r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" from="example.com" id="++TR84Sm6A3hnt3Q065SnAbbk3Y=" xml:lang="en" version="1.0" />"#;
/// RFC 7395 section 3.4, stream features with the prefix declared in the message.
const RFC_FEATURES: &str = r#"<stream:features xmlns:stream="http://etherx.jabber.org/streams">
  <mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl">
    <mechanism>PLAIN</mechanism>
  </mechanisms>
</stream:features>"#;
/// RFC 7395 section 3.6, closing.
const RFC_CLOSE: &str = r#"<close xmlns="urn:ietf:params:xml:ns:xmpp-framing" />"#;
/// RFC 7395 section 3.6.1, a redirect.
const RFC_SEE_OTHER: &str = r#"<close xmlns="urn:ietf:params:xml:ns:xmpp-framing" see-other-uri="wss://otherendpoint.example/xmpp-bind" />"#;

fn events(f: &mut WsFraming) -> Vec<Event> {
    std::iter::from_fn(|| f.poll_event()).collect()
}

fn transmitted(f: &mut WsFraming) -> Vec<String> {
    let mut all = Vec::new();
    let mut out = String::new();
    loop {
        let len = f.poll_transmit(&mut out);
        if len == 0 {
            break;
        }
        assert_eq!(len, out.len());
        all.push(std::mem::take(&mut out));
    }
    all
}

fn opened_server() -> WsFraming {
    let mut server = WsFraming::server(Config::new(true));
    server.handle_message(msg(RFC_CLIENT_OPEN)).unwrap();
    server
        .open(&StreamHeader::new().with_from("example.com").with_id("s1"))
        .unwrap();
    events(&mut server);
    transmitted(&mut server);
    server
}

fn opened_client() -> WsFraming {
    let mut client = WsFraming::client(Config::new(true));
    client
        .open(&StreamHeader::new().with_to("example.com"))
        .unwrap();
    client.handle_message(msg(RFC_SERVER_OPEN)).unwrap();
    events(&mut client);
    transmitted(&mut client);
    client
}

fn condition(result: Result<(), Error>) -> StreamErrorCondition {
    result.unwrap_err().condition().unwrap()
}

// --- 3.1 WebSocket handshake ---

#[test]
fn s3_1_client_must_close_without_xmpp_subprotocol() {
    assert!(check_selected_subprotocol(Some("xmpp")).is_ok());
    assert_eq!(
        check_selected_subprotocol(None),
        Err(Error::SubprotocolNotNegotiated)
    );
    assert_eq!(
        check_selected_subprotocol(Some("mqtt")),
        Err(Error::SubprotocolNotNegotiated)
    );
}

#[test]
fn s3_1_server_requires_xmpp_in_the_offer() {
    assert!(offers_xmpp("xmpp"));
    assert!(offers_xmpp("soap,  xmpp"));
    assert!(!offers_xmpp("soap"));
    assert!(!offers_xmpp("Xmpp"));
}

// --- 3.2 text messages only ---

#[test]
fn s3_2_binary_messages_are_refused() {
    let mut server = opened_server();
    assert_eq!(
        condition(server.handle_binary_message()),
        StreamErrorCondition::BadFormat
    );
    assert!(server.is_closed());
}

#[test]
fn s3_2_messages_are_utf8() {
    // `handle_message` takes `Utf8Bytes`, which cannot hold anything else:
    // the WebSocket layer checked the text (RFC 6455 section 8.1).
    let broken = b"<message xmlns='jabber:client'>\xc3\x28</message>".to_vec();
    assert!(Utf8Bytes::try_from(broken).is_err());
}

// --- 3.3.2 framing namespace ---

#[test]
fn s3_3_2_open_in_another_namespace_is_invalid_namespace() {
    let mut server = WsFraming::server(Config::new(true));
    assert_eq!(
        condition(server.handle_message(msg(
            r#"<open xmlns="jabber:client" to="example.com" version="1.0"/>"#
        ))),
        StreamErrorCondition::InvalidNamespace
    );
    let mut server = WsFraming::server(Config::new(true));
    assert_eq!(
        condition(server.handle_message(msg(
            r#"<stream:stream xmlns:stream="http://etherx.jabber.org/streams" to="example.com" version="1.0"/>"#
        ))),
        StreamErrorCondition::InvalidNamespace
    );
}

#[test]
fn s3_3_2_close_in_another_namespace_is_invalid_namespace() {
    let mut server = opened_server();
    assert_eq!(
        condition(server.handle_message(msg("<close/>"))),
        StreamErrorCondition::InvalidNamespace
    );
}

// --- 3.3.3 one complete, standalone element per message ---

#[test]
fn s3_3_3_rfc_examples_parse() {
    let mut client = WsFraming::client(Config::new(true));
    client
        .open(&StreamHeader::new().with_to("example.com"))
        .unwrap();
    assert_eq!(transmitted(&mut client).len(), 1);
    client.handle_message(msg(RFC_SERVER_OPEN)).unwrap();
    client.handle_message(msg(RFC_FEATURES)).unwrap();
    client.handle_message(msg(RFC_CLOSE)).unwrap();
    let ev = events(&mut client);
    let Event::StreamOpen(header) = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(header.from.as_deref(), Some("example.com"));
    assert_eq!(header.id.as_deref(), Some("++TR84Sm6A3hnt3Q065SnAbbk3Y="));
    assert_eq!(header.lang.as_deref(), Some("en"));
    assert_eq!(header.version.as_deref(), Some("1.0"));
    let Event::Element(features) = &ev[1] else {
        panic!("{ev:?}")
    };
    assert_eq!(&*features.local_name, "features");
    assert_eq!(&*features.namespace, "http://etherx.jabber.org/streams");
    assert_eq!(features.as_str(), RFC_FEATURES);
    assert!(features.ns_context.is_empty());
    assert_eq!(
        ev[2],
        Event::StreamClose {
            see_other_uri: None
        }
    );
}

#[test]
fn s3_3_3_two_elements_in_one_message_are_refused() {
    let mut server = opened_server();
    assert_eq!(
        condition(server.handle_message(msg(
            "<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>"
        ))),
        StreamErrorCondition::BadFormat
    );
    assert!(events(&mut server).is_empty());
}

#[test]
fn s3_3_3_partial_elements_are_refused() {
    let mut server = opened_server();
    assert_eq!(
        condition(server.handle_message(msg("<message xmlns='jabber:client'><body>"))),
        StreamErrorCondition::NotWellFormed
    );
}

#[test]
fn s3_3_3_first_character_must_be_lt() {
    let mut server = opened_server();
    assert_eq!(
        condition(server.handle_message(msg(" <presence xmlns='jabber:client'/>"))),
        StreamErrorCondition::BadFormat
    );
    let mut server = opened_server();
    assert_eq!(
        condition(server.handle_message(msg(""))),
        StreamErrorCondition::BadFormat
    );
}

#[test]
fn s3_3_3_xml_declaration_is_tolerated() {
    let mut server = opened_server();
    server
        .handle_message(msg(
            "<?xml version='1.0'?><presence xmlns='jabber:client'/>",
        ))
        .unwrap();
    let ev = events(&mut server);
    let Event::Element(e) = &ev[0] else { panic!() };
    assert_eq!(e.as_str(), "<presence xmlns='jabber:client'/>");
}

#[test]
fn s3_3_3_elements_must_declare_their_namespaces() {
    let mut server = opened_server();
    assert_eq!(
        condition(server.handle_message(msg("<message to='a@b'><body>x</body></message>"))),
        StreamErrorCondition::InvalidNamespace
    );
    let mut client = opened_client();
    assert_eq!(
        condition(client.handle_message(msg("<stream:features/>"))),
        StreamErrorCondition::BadNamespacePrefix
    );
}

// --- 3.4 stream initiation ---

#[test]
fn s3_4_first_message_must_be_open() {
    let mut server = WsFraming::server(Config::new(true));
    assert_eq!(
        condition(server.handle_message(msg("<presence xmlns='jabber:client'/>"))),
        StreamErrorCondition::BadFormat
    );
    let mut server = WsFraming::server(Config::new(true));
    assert!(matches!(
        server.open(&StreamHeader::new()),
        Err(Error::NotAllowed(_))
    ));
}

#[test]
fn s3_4_client_refuses_a_server_open_before_its_own() {
    let mut client = WsFraming::client(Config::new(true));
    assert_eq!(
        condition(client.handle_message(msg(RFC_SERVER_OPEN))),
        StreamErrorCondition::BadFormat
    );
    assert_eq!(client.poll_event(), None);
}

#[test]
fn s3_4_open_carries_the_rfc6120_attributes() {
    let mut server = WsFraming::server(Config::new(true));
    server.handle_message(msg(RFC_CLIENT_OPEN)).unwrap();
    let Some(Event::StreamOpen(h)) = server.poll_event() else {
        panic!()
    };
    assert_eq!(h.to.as_deref(), Some("example.com"));
    assert_eq!(h.version.as_deref(), Some("1.0"));
    server
        .open(
            &StreamHeader::new()
                .with_from("example.com")
                .with_id("++TR84Sm6A3hnt3Q065SnAbbk3Y=")
                .with_lang("en"),
        )
        .unwrap();
    assert_eq!(
        transmitted(&mut server),
        [format!(
            r#"<open xmlns="{FRAMING_NS}" from="example.com" id="++TR84Sm6A3hnt3Q065SnAbbk3Y=" xml:lang="en" version="1.0"/>"#
        )]
    );
}

#[test]
fn s3_4_version_must_be_1() {
    for bad in [
        r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com"/>"#,
        r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="2.0"/>"#,
    ] {
        let mut server = WsFraming::server(Config::new(true));
        assert_eq!(
            condition(server.handle_message(msg(bad))),
            StreamErrorCondition::UnsupportedVersion
        );
    }
}

#[test]
fn s3_4_open_has_no_content() {
    let mut server = WsFraming::server(Config::new(true));
    assert_eq!(
        condition(server.handle_message(msg(
            r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" version="1.0"><x/></open>"#
        ))),
        StreamErrorCondition::BadFormat
    );
}

#[test]
fn s3_4_server_may_answer_open_with_close() {
    let mut client = WsFraming::client(Config::new(true));
    client
        .open(&StreamHeader::new().with_to("example.com"))
        .unwrap();
    client.handle_message(msg(RFC_SEE_OTHER)).unwrap();
    assert_eq!(
        events(&mut client),
        [Event::StreamClose {
            see_other_uri: Some("wss://otherendpoint.example/xmpp-bind".into())
        }]
    );
}

// --- 3.5 stream errors ---

#[test]
fn s3_5_error_at_open_is_sent_after_our_own_open() {
    let mut server = WsFraming::server(Config::new(true));
    let err = server
        .handle_message(msg(
            r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="9.0"/>"#,
        ))
        .unwrap_err();
    server.stream_error(err.condition().unwrap(), None).unwrap();
    let sent = transmitted(&mut server);
    assert_eq!(sent.len(), 3);
    assert_eq!(
        sent[0],
        format!(r#"<open xmlns="{FRAMING_NS}" version="1.0"/>"#)
    );
    assert_eq!(
        sent[1],
        r#"<stream:error xmlns:stream="http://etherx.jabber.org/streams"><unsupported-version xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error>"#
    );
    assert_eq!(sent[2], format!(r#"<close xmlns="{FRAMING_NS}"/>"#));
}

#[test]
fn s3_5_error_is_followed_by_close() {
    let mut server = opened_server();
    server
        .stream_error(StreamErrorCondition::HostUnknown, Some("no such host"))
        .unwrap();
    let sent = transmitted(&mut server);
    assert_eq!(sent.len(), 2);
    assert!(sent[0].contains("<host-unknown"));
    assert!(sent[0].contains(">no such host</text>"));
    assert!(sent[1].starts_with("<close"));
    // The error is itself a standalone, fully namespaced message.
    let mut client = opened_client();
    client.handle_message(msg(&sent[0])).unwrap();
    let Some(Event::Element(e)) = client.poll_event() else {
        panic!()
    };
    assert_eq!(&*e.local_name, "error");
}

// --- 3.6 closing ---

#[test]
fn s3_6_close_is_answered_with_close() {
    let mut server = opened_server();
    server.handle_message(msg(RFC_CLOSE)).unwrap();
    assert_eq!(
        events(&mut server),
        [Event::StreamClose {
            see_other_uri: None
        }]
    );
    assert_eq!(
        transmitted(&mut server),
        [format!(r#"<close xmlns="{FRAMING_NS}"/>"#)]
    );
    assert!(server.is_closed());
    assert_eq!(server.send("<presence/>"), Err(Error::StreamClosed));
    assert_eq!(
        server.handle_message(msg("<presence xmlns='jabber:client'/>")),
        Err(Error::StreamClosed)
    );
}

#[test]
fn s3_6_our_close_then_theirs() {
    let mut client = opened_client();
    client.close().unwrap();
    assert!(!client.is_closed());
    client.handle_message(msg(RFC_CLOSE)).unwrap();
    assert!(client.is_closed());
    assert_eq!(transmitted(&mut client).len(), 1, "no second <close/>");
}

// --- 3.6.1 see-other-uri ---

#[test]
fn s3_6_1_client_refuses_a_downgrade() {
    let mut client = opened_client();
    let err = client
        .handle_message(msg(r#"<close xmlns="urn:ietf:params:xml:ns:xmpp-framing" see-other-uri="ws://otherendpoint.example/xmpp-bind"/>"#))
        .unwrap_err();
    assert!(matches!(err, Error::InsecureRedirect(_)));
    // On a plain ws connection the same redirect is fine.
    let mut client = WsFraming::client(Config::new(false));
    client.open(&StreamHeader::new()).unwrap();
    client
        .handle_message(msg(r#"<close xmlns="urn:ietf:params:xml:ns:xmpp-framing" see-other-uri="ws://otherendpoint.example/xmpp-bind"/>"#))
        .unwrap();
}

#[test]
fn s3_6_1_server_never_redirects_wss_to_ws() {
    let mut server = opened_server();
    assert!(matches!(
        server.redirect("ws://otherendpoint.example/xmpp-bind"),
        Err(Error::InsecureRedirect(_))
    ));
    server
        .redirect("wss://otherendpoint.example/xmpp-bind")
        .unwrap();
    assert_eq!(
        transmitted(&mut server),
        [RFC_SEE_OTHER.replace(" />", "/>")]
    );
    let mut client = opened_client();
    assert!(matches!(
        client.redirect("wss://x.example/"),
        Err(Error::NotAllowed(_))
    ));
}

// --- 3.7 restarts ---

#[test]
fn s3_7_restart_is_a_new_open_without_close() {
    let mut server = opened_server();
    server.restart().unwrap();
    server.handle_message(msg(RFC_CLIENT_OPEN)).unwrap();
    assert!(matches!(server.poll_event(), Some(Event::StreamOpen(_))));
    server
        .open(&StreamHeader::new().with_from("example.com").with_id("s2"))
        .unwrap();
    let sent = transmitted(&mut server);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains(r#"id="s2""#));
    assert!(!server.is_closed());
}

#[test]
fn s3_7_client_restart_sends_a_new_open() {
    let mut client = opened_client();
    // Opening again needs a restart first.
    assert!(matches!(
        client.open(&StreamHeader::new()),
        Err(Error::NotAllowed(_))
    ));
    client.restart().unwrap();
    client
        .open(&StreamHeader::new().with_to("example.com"))
        .unwrap();
    let sent = transmitted(&mut client);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].starts_with("<open "), "{sent:?}");
    client.handle_message(msg(RFC_SERVER_OPEN)).unwrap();
    assert!(matches!(client.poll_event(), Some(Event::StreamOpen(_))));
}

#[test]
fn s3_7_open_without_a_restart_is_refused() {
    // A second <open/> from the client before the server restarted.
    let mut server = opened_server();
    assert_eq!(
        condition(server.handle_message(msg(RFC_CLIENT_OPEN))),
        StreamErrorCondition::BadFormat
    );
    // A second <open/> from the server without a restart.
    let mut client = opened_client();
    assert_eq!(
        condition(client.handle_message(msg(RFC_SERVER_OPEN))),
        StreamErrorCondition::BadFormat
    );
}

/// Found in review: a message read before the restart but not yet handed
/// out came out of `poll_event` after it, as if sent on the new stream.
#[test]
fn s3_7_restart_refuses_messages_not_handed_out() {
    let mut server = opened_server();
    let auth = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>";
    server.handle_message(msg(auth)).unwrap();
    server
        .handle_message(msg(
            "<message xmlns='jabber:client'><body>early</body></message>",
        ))
        .unwrap();
    assert!(matches!(server.poll_event(), Some(Event::Element(e)) if &*e.local_name == "auth"));
    server
        .send("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
        .unwrap();
    assert_eq!(condition(server.restart()), StreamErrorCondition::BadFormat);
    assert_eq!(server.poll_event(), None);
    assert!(server.is_closed());
}

#[test]
fn s3_7_restart_needs_both_opens() {
    let mut server = WsFraming::server(Config::new(true));
    assert!(matches!(server.restart(), Err(Error::NotAllowed(_))));
    server.handle_message(msg(RFC_CLIENT_OPEN)).unwrap();
    assert!(matches!(server.restart(), Err(Error::NotAllowed(_))));
}

// --- 3.8 no whitespace keepalives ---

#[test]
fn s3_8_whitespace_keepalive_is_refused() {
    let mut server = opened_server();
    assert_eq!(
        condition(server.handle_message(msg(" "))),
        StreamErrorCondition::BadFormat
    );
}

// --- RFC 6120 section 11 and limits, applied per message ---

#[test]
fn restricted_xml_in_a_message() {
    for (input, expected) in [
        (
            "<!DOCTYPE lolz [<!ENTITY lol 'lol'>]><message xmlns='jabber:client'>&lol;</message>",
            StreamErrorCondition::RestrictedXml,
        ),
        (
            "<message xmlns='jabber:client'><!-- hi --></message>",
            StreamErrorCondition::RestrictedXml,
        ),
        (
            "<message xmlns='jabber:client'><?pi x?></message>",
            StreamErrorCondition::RestrictedXml,
        ),
        (
            "<message xmlns='jabber:client'>&ext;</message>",
            StreamErrorCondition::RestrictedXml,
        ),
        (
            "<message xmlns='jabber:client'><body>a</message>",
            StreamErrorCondition::NotWellFormed,
        ),
        (
            "<message xmlns='jabber:client'><body>a]]>b</body></message>",
            StreamErrorCondition::NotWellFormed,
        ),
    ] {
        let mut server = opened_server();
        assert_eq!(
            condition(server.handle_message(msg(input))),
            expected,
            "{input:?}"
        );
    }
}

/// The same check as over TCP (`tests/tcp.rs`), on a message.
#[test]
fn namespace_declarations_in_scope_are_limited() {
    let mut message = String::from("<message xmlns='jabber:client'>");
    for i in 0..129 {
        message.push_str(&format!("<x xmlns:p{i}='urn:{i}'>"));
    }
    message.push_str(&"</x>".repeat(129));
    message.push_str("</message>");
    let config = Config::new(true).with_limits(Limits::default().with_max_depth(200));
    let mut server = WsFraming::server(config);
    server.handle_message(msg(RFC_CLIENT_OPEN)).unwrap();
    assert_eq!(
        server.handle_message(msg(&message)),
        Err(Error::TooManyNamespaces { limit: 128 })
    );
}

#[test]
fn limits_apply_per_message() {
    let limits = Limits::default()
        .with_max_element_size(80)
        .with_max_depth(2)
        .with_max_attributes(2);
    let config = Config::new(true).with_limits(limits);
    let open = r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" version="1.0"/>"#;
    let cases = [
        "<a xmlns='urn:x'><b><c/></b></a>".to_owned(),
        "<a xmlns='urn:x' b='1' c='2'/>".to_owned(),
        "<".repeat(81),
    ];
    for (input, expected) in cases.into_iter().zip([
        Error::TooDeep { limit: 2 },
        Error::TooManyAttributes { limit: 2 },
        Error::ElementTooLarge { limit: 80 },
    ]) {
        let mut server = WsFraming::server(config);
        server.handle_message(msg(open)).unwrap();
        assert_eq!(server.handle_message(msg(&input)), Err(expected));
    }
}

// --- two peers in memory ---

#[test]
fn client_and_server_talk() {
    let mut client = WsFraming::client(Config::new(true));
    let mut server = WsFraming::server(Config::new(true));
    client
        .open(&StreamHeader::new().with_to("example.com"))
        .unwrap();
    let mut log = Vec::new();
    for _ in 0..6 {
        for message in transmitted(&mut client) {
            server.handle_message(msg(&message)).unwrap();
        }
        for event in events(&mut server) {
            log.push(format!("server got {event:?}"));
            match event {
                Event::StreamOpen(h) => {
                    server
                        .open(&StreamHeader::new().with_from(h.to.unwrap()).with_id("x"))
                        .unwrap();
                    server.send(RFC_FEATURES).unwrap();
                }
                Event::Element(_) => server.close().unwrap(),
                _ => {}
            }
        }
        for message in transmitted(&mut server) {
            client.handle_message(msg(&message)).unwrap();
        }
        for event in events(&mut client) {
            log.push(format!("client got {event:?}"));
            if let Event::Element(_) = event {
                client.send("<presence xmlns='jabber:client'/>").unwrap();
            }
        }
    }
    assert!(client.is_closed(), "{log:#?}");
    assert!(server.is_closed(), "{log:#?}");
}

// --- round trips ---

fn xml_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 <>&'\"\\t\\n\\r\u{e9}\u{4e2d}\u{1F600}=/:+.-]{0,24}")
        .unwrap()
}

proptest! {
    #[test]
    fn open_round_trips(
        to in proptest::option::of(xml_text()),
        from in proptest::option::of(xml_text()),
        id in proptest::option::of(xml_text()),
        lang in proptest::option::of(xml_text()),
        minor in 0u8..10,
    ) {
        let mut header = StreamHeader::new().with_version(format!("1.{minor}"));
        header.to = to;
        header.from = from;
        header.id = id;
        header.lang = lang;
        let mut message = String::new();
        write_open(&header, &mut message);
        let mut server = WsFraming::server(Config::new(true));
        server.handle_message(msg(&message)).unwrap();
        prop_assert_eq!(server.poll_event(), Some(Event::StreamOpen(header)));
    }

    #[test]
    fn close_round_trips(path in "[a-zA-Z0-9/&<>\"'?=%.-]{0,40}", secure in any::<bool>()) {
        let uri = format!("wss://host.example/{path}");
        let mut message = String::new();
        write_close(Some(&uri), &mut message);
        let mut client = WsFraming::client(Config::new(secure));
        client.open(&StreamHeader::new()).unwrap();
        client.handle_message(msg(&message)).unwrap();
        prop_assert_eq!(
            client.poll_event(),
            Some(Event::StreamClose { see_other_uri: Some(uri) })
        );
    }

    #[test]
    fn arbitrary_messages_never_panic(message in "\\PC{0,200}") {
        let mut server = opened_server();
        let _ = server.handle_message(msg(&message));
        let mut client = opened_client();
        let _ = client.handle_message(msg(&message));
    }
}

// --- the server answers each <open/> once, the client speaks first ---

/// Issue 8: the server could `open()` twice without a restart from the client.
#[test]
fn s3_4_server_answers_each_open_once() {
    let mut server = WsFraming::server(Config::new(true));
    server.handle_message(msg(RFC_CLIENT_OPEN)).unwrap();
    assert_eq!(events(&mut server).len(), 1);
    server.open(&StreamHeader::new().with_id("s1")).unwrap();
    assert!(matches!(
        server.open(&StreamHeader::new().with_id("s2")),
        Err(Error::NotAllowed(_))
    ));
    assert_eq!(transmitted(&mut server).len(), 1);
    // After a restart and the client's new <open/>, once more.
    server.restart().unwrap();
    assert!(matches!(
        server.open(&StreamHeader::new().with_id("s2")),
        Err(Error::NotAllowed(_))
    ));
    server.handle_message(msg(RFC_CLIENT_OPEN)).unwrap();
    server.open(&StreamHeader::new().with_id("s2")).unwrap();
}

/// Issue 8: a client accepted and answered `<close/>` before it sent its
/// own `<open/>`.
#[test]
fn s3_4_client_refuses_close_before_its_own_open() {
    let mut client = WsFraming::client(Config::new(true));
    assert_eq!(
        condition(client.handle_message(msg(RFC_CLOSE))),
        StreamErrorCondition::BadFormat
    );
    assert_eq!(client.poll_event(), None);
    assert_eq!(client.queued_bytes(), 0, "nothing answered");
    let mut client = WsFraming::client(Config::new(true));
    assert_eq!(
        condition(client.handle_message(msg(RFC_FEATURES))),
        StreamErrorCondition::BadFormat
    );
}

// --- 3.3.3 binds the sender too ---

/// Issue 8: `send` accepted two elements in one message and plain text.
#[test]
fn s3_3_3_send_checks_one_complete_element() {
    for bad in [
        "",
        "hello",
        " <presence xmlns='jabber:client'/>",
        "<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>",
        "<presence xmlns='jabber:client'/>trailing text",
        "<message xmlns='jabber:client'><body>",
        "<?xml version='1.0'?><presence xmlns='jabber:client'/>",
        "<message xmlns='jabber:client'><!-- no --></message>",
    ] {
        let mut server = opened_server();
        assert!(
            matches!(server.send(bad), Err(Error::InvalidOutgoing(_))),
            "{bad:?}"
        );
        assert_eq!(server.queued_bytes(), 0);
        assert!(!server.is_closed(), "a refused send leaves the stream open");
    }
    let mut server = opened_server();
    server
        .send("<message xmlns='jabber:client'><body>1 &lt; 2</body></message>")
        .unwrap();
    assert_eq!(transmitted(&mut server).len(), 1);
}

#[test]
fn sending_needs_our_open_first() {
    let mut server = WsFraming::server(Config::new(true));
    server.handle_message(msg(RFC_CLIENT_OPEN)).unwrap();
    assert!(matches!(
        server.send("<presence xmlns='jabber:client'/>"),
        Err(Error::NotAllowed(_))
    ));
    let mut client = WsFraming::client(Config::new(true));
    assert!(matches!(client.close(), Err(Error::NotAllowed(_))));
}

// --- 3.5 stream errors at a restart ---

#[test]
fn s3_5_error_at_a_restart_is_sent_after_our_new_open() {
    let mut server = opened_server();
    server.restart().unwrap();
    let err = server
        .handle_message(msg(
            r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="3.0"/>"#,
        ))
        .unwrap_err();
    server.stream_error(err.condition().unwrap(), None).unwrap();
    let sent = transmitted(&mut server);
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(sent[0].starts_with("<open "));
    assert!(sent[1].contains("<unsupported-version "));
    assert!(sent[2].starts_with("<close "));
    assert_eq!(
        server.stream_error(StreamErrorCondition::Conflict, None),
        Err(Error::StreamClosed)
    );
}

#[test]
fn s3_6_after_an_error_of_our_own_the_peer_close_is_still_taken() {
    let mut server = opened_server();
    server
        .stream_error(StreamErrorCondition::SystemShutdown, None)
        .unwrap();
    assert!(!server.is_closed(), "waiting for the client's <close/>");
    server.handle_message(msg(RFC_CLOSE)).unwrap();
    assert!(server.is_closed());
    assert_eq!(transmitted(&mut server).len(), 2, "error and one <close/>");
}

// --- the transport closing under us ---

#[test]
fn transport_closed_without_close_is_reported() {
    let mut server = opened_server();
    server.send("<presence xmlns='jabber:client'/>").unwrap();
    server.handle_transport_closed();
    assert_eq!(
        events(&mut server),
        [Event::TransportClosed { clean: false }]
    );
    assert!(server.is_closed());
    assert_eq!(server.queued_bytes(), 0, "queued output is dropped");
    assert!(transmitted(&mut server).is_empty());
    assert_eq!(
        server.handle_message(msg(RFC_CLOSE)),
        Err(Error::StreamClosed)
    );
    assert_eq!(server.close(), Err(Error::StreamClosed));
    // Reported once.
    server.handle_transport_closed();
    assert_eq!(server.poll_event(), None);
}

#[test]
fn transport_closed_after_close_is_clean() {
    let mut client = opened_client();
    client.handle_message(msg(RFC_CLOSE)).unwrap();
    events(&mut client);
    client.handle_transport_closed();
    assert_eq!(
        events(&mut client),
        [Event::TransportClosed { clean: true }]
    );
}

// --- output: bounded, visible, one message per call ---

#[test]
fn queued_output_is_bounded_and_visible() {
    let config = Config::new(true).with_max_queued_bytes(100);
    let mut server = WsFraming::server(config);
    server.handle_message(msg(RFC_CLIENT_OPEN)).unwrap();
    server.open(&StreamHeader::new()).unwrap();
    let header_len = server.queued_bytes();
    assert!(header_len > 0);
    let presence = "<presence xmlns='jabber:client'/>";
    // The limit counts everything queued, headers included.
    let mut queued = 0;
    while server.send(presence).is_ok() {
        queued += 1;
    }
    assert_eq!(server.send(presence), Err(Error::QueueFull { limit: 100 }));
    assert_eq!(server.queued_bytes(), header_len + queued * presence.len());
    assert!(server.queued_bytes() <= 100);
    // Closing is never refused.
    server.close().unwrap();
    let sent = transmitted(&mut server);
    assert_eq!(sent.len(), 1 + queued + 1);
    assert_eq!(server.queued_bytes(), 0);
}

// --- text without extra copies ---

#[test]
fn an_element_is_a_slice_of_its_message() {
    let mut server = opened_server();
    let message = msg("<message xmlns='jabber:client'><body>κόσμε</body></message>");
    let range = message.as_bytes().as_ptr_range();
    server.handle_message(message).unwrap();
    let Some(Event::Element(element)) = server.poll_event() else {
        panic!()
    };
    assert_eq!(element.as_bytes().as_ptr_range(), range);
    // After an XML declaration the element is still a slice of the message.
    let message = msg(
        "<?xml version='1.0'?><message xmlns='jabber:client'><body>a longer body than the declaration</body></message>",
    );
    let start = message.as_bytes().as_ptr();
    server.handle_message(message).unwrap();
    let Some(Event::Element(element)) = server.poll_event() else {
        panic!()
    };
    assert_eq!(element.as_bytes().as_ptr(), start.wrapping_add(21));
    assert!(element.as_str().starts_with("<message"));
}

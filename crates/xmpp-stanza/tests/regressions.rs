//! One test per finding of the serialisation and round-trip review: what
//! the writers used to write that the reader refuses or reads differently,
//! what the reader used to throw away, and the API the next crates need.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use chatwire_xmpp_stanza::minidom;
use chatwire_xmpp_stanza::*;

fn ctx() -> Context {
    Context::client_tcp()
}

fn jid(s: &str) -> Jid {
    Jid::new(s).unwrap()
}

/// Serialises `el` and checks the writer's contract: either a refusal that
/// leaves the buffer untouched, or bytes that read back as `el`.
fn refused_or_round_trips(el: &Element, ctx: &Context) -> Result<Vec<u8>, SerializeError> {
    let mut out = b"prefix".to_vec();
    match el.serialize(ctx, &mut out) {
        Err(e) => {
            assert_eq!(out, b"prefix", "a refusal leaves the buffer as it was");
            Err(e)
        }
        Ok(()) => {
            let bytes = out.split_off(6);
            let again = Element::parse(&bytes, ctx)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
            assert_eq!(&again, el, "{}", String::from_utf8_lossy(&bytes));
            Ok(bytes)
        }
    }
}

/// Parses `xml`, serialises it in the same context and returns the text.
fn reserialize(xml: &str, ctx: &Context) -> String {
    let el = Element::parse(xml.as_bytes(), ctx).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let bytes = refused_or_round_trips(&el, ctx).unwrap();
    String::from_utf8(bytes).unwrap()
}

fn parse(xml: &str) -> Element {
    Element::parse(xml.as_bytes(), &ctx()).unwrap_or_else(|e| panic!("{e}: {xml}"))
}

// ---- never write what the parser refuses

#[test]
fn control_character_in_text_is_refused() {
    let m = Message::chat(jid("juliet@example.com"), "a\u{1}b");
    let err = refused_or_round_trips(&Element::Message(m), &ctx()).unwrap_err();
    assert_eq!(
        err,
        SerializeError::InvalidChar {
            ch: '\u{1}',
            position: 1
        }
    );
}

#[test]
fn noncharacter_in_attribute_is_refused() {
    let mut m = Message::chat(jid("juliet@example.com"), "hi");
    m.id = Some("x\u{FFFE}".into());
    let err = refused_or_round_trips(&Element::Message(m), &ctx()).unwrap_err();
    assert_eq!(
        err,
        SerializeError::InvalidChar {
            ch: '\u{FFFE}',
            position: 1
        }
    );
    let mut p = Presence::new(PresenceType::Available);
    p.statuses.push(Text::new("\u{FFFF}"));
    assert!(refused_or_round_trips(&Element::Presence(p), &ctx()).is_err());
}

#[test]
fn element_name_cannot_inject_a_stanza() {
    let evil = minidom::Element::bare("evil xmlns='x'/><iq type='set", "urn:x");
    let mut m = Message::chat(jid("juliet@example.com"), "hi");
    m.payloads.push(Payload::Other(evil.clone()));
    let err = refused_or_round_trips(&Element::Message(m), &ctx()).unwrap_err();
    assert!(matches!(err, SerializeError::InvalidName(_)), "{err:?}");
    // The same at the top level and inside an error.
    assert!(refused_or_round_trips(&Element::Unknown(evil.clone()), &ctx()).is_err());
    let mut error = StanzaError::new(StanzaErrorCondition::BadRequest);
    error.apps.push(evil);
    let iq = Iq::get("1", IqPayload::Ping).error_reply(error).unwrap();
    assert!(refused_or_round_trips(&Element::Iq(iq), &ctx()).is_err());
}

#[test]
fn attribute_named_xmlns_is_refused() {
    // An unprefixed attribute named xmlns would redeclare the namespace.
    let mut el = minidom::Element::bare("x", "urn:x");
    el.set_attr(
        minidom::rxml::Namespace::NONE,
        minidom::rxml::NcName::try_from("xmlns").unwrap(),
        "jabber:client",
    );
    let err = refused_or_round_trips(&Element::Unknown(el), &ctx()).unwrap_err();
    assert_eq!(err, SerializeError::InvalidName("xmlns".into()));
    let mut m = Message::default();
    m.extra_attrs.push(ExtraAttr::new("xmlns", "urn:evil"));
    assert!(refused_or_round_trips(&Element::Message(m), &ctx()).is_err());
}

#[test]
fn top_level_namespace_is_always_declared_over_websocket() {
    // Found by the stanza_serialize fuzzer: a namespace equal to the old
    // "nothing in scope" marker was not declared, and read back as
    // jabber:client.
    let el = Element::Unknown(minidom::Element::bare("z", "\0"));
    let err = refused_or_round_trips(&el, &Context::client_websocket()).unwrap_err();
    assert!(matches!(err, SerializeError::InvalidChar { ch: '\0', .. }));
}

#[test]
fn refusal_leaves_the_buffer_as_it_was() {
    let mut out = b"<earlier/>".to_vec();
    let mut m = Message::chat(jid("juliet@example.com"), "fine");
    m.bodies.push(Text::new("not \u{0}fine"));
    assert!(m.serialize(&ctx(), &mut out).is_err());
    assert_eq!(out, b"<earlier/>");
}

#[test]
fn foreign_text_can_be_cleaned() {
    assert_eq!(
        replace_disallowed_chars("a\u{0}b\u{FFFE}c\td"),
        "a\u{FFFD}b\u{FFFD}c\td"
    );
    let clean = "plain text, \u{10FFFF} and \u{85}";
    assert!(matches!(
        replace_disallowed_chars(clean),
        std::borrow::Cow::Borrowed(_)
    ));
    let m = Message::chat(
        jid("juliet@example.com"),
        replace_disallowed_chars("from a bridge \u{7}"),
    );
    assert!(refused_or_round_trips(&Element::Message(m), &ctx()).is_ok());
}

#[test]
fn values_the_reader_refuses_are_refused() {
    let get = Iq::new(IqType::Get, "1");
    assert_eq!(
        refused_or_round_trips(&Element::Iq(get), &ctx()).unwrap_err(),
        SerializeError::InvalidValue("iq payload")
    );
    let error = Presence::new(PresenceType::Error);
    assert!(refused_or_round_trips(&Element::Presence(error), &ctx()).is_err());
    let mut message = Message::default();
    message.kind = MessageType::Error;
    assert!(refused_or_round_trips(&Element::Message(message), &ctx()).is_err());
    let mut result = Iq::new(IqType::Result, "1");
    result.error = Some(StanzaError::new(StanzaErrorCondition::Conflict));
    assert!(refused_or_round_trips(&Element::Iq(result), &ctx()).is_err());
    // An unknown value spelling a known one would read back as that.
    let mut p = Presence::new(PresenceType::Available);
    p.show = Some(Show::Other(" away".into()));
    assert!(refused_or_round_trips(&Element::Presence(p), &ctx()).is_err());
    let ping = minidom::Element::bare("ping", "urn:xmpp:ping");
    let iq = Iq::get("1", IqPayload::Other(ping));
    assert!(refused_or_round_trips(&Element::Iq(iq), &ctx()).is_err());
}

#[test]
fn reserved_namespaces_are_refused() {
    // Namespaces in XML 1.0 section 3: nothing may be declared the XML or
    // the xmlns namespace, so an element or a prefixed attribute in either
    // cannot be written; the reader refuses the declaration.
    let xmlns = "http://www.w3.org/2000/xmlns/";
    for reserved in [ns::XML, xmlns] {
        let top = Element::Unknown(minidom::Element::bare("a", reserved));
        assert!(refused_or_round_trips(&top, &ctx()).is_err(), "{reserved}");
        let child = minidom::Element::builder("x", "urn:x")
            .append(minidom::Element::bare("b", reserved))
            .build();
        let mut m = Message::default();
        m.payloads.push(Payload::Other(child));
        assert!(refused_or_round_trips(&Element::Message(m), &ctx()).is_err());
    }
    let mut el = minidom::Element::bare("x", "urn:x");
    el.set_attr(
        minidom::rxml::Namespace::from(xmlns.to_owned()),
        minidom::rxml::NcName::try_from("p").unwrap(),
        "urn:evil",
    );
    assert!(refused_or_round_trips(&Element::Unknown(el), &ctx()).is_err());
    let mut m = Message::default();
    m.extra_attrs
        .push(ExtraAttr::namespaced(xmlns, "p", "urn:evil"));
    assert!(refused_or_round_trips(&Element::Message(m), &ctx()).is_err());
}

#[test]
fn an_element_in_the_xml_namespace_is_not_read() {
    // The `xml` prefix needs no declaration, so the reader used to read
    // `<xml:a/>` into a tree the writer then refused (found by the
    // stanza_parse fuzz target).
    for xml in [
        "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><xml:a/></stream:features>",
        "<message><x xmlns='urn:x'><xml:a/></x></message>",
        "<xml:message/>",
    ] {
        let err = Element::parse(xml.as_bytes(), &ctx()).unwrap_err();
        assert_eq!(
            err.stream_condition(),
            StreamErrorCondition::RestrictedXml,
            "{xml}"
        );
    }
    // An attribute in it is as before.
    parse("<message xml:lang='en'><body>hi</body></message>");
}

#[test]
fn stream_prefix_is_declared_when_the_stream_rebinds_it() {
    // A stream header may bind `stream` to something else (and the streams
    // namespace to another prefix); <stream:features/> must still be one.
    let ctx = Context::client_tcp()
        .with_prefix("s", "http://etherx.jabber.org/streams")
        .unwrap()
        .with_prefix("stream", "urn:other")
        .unwrap();
    let mut f = Features::default();
    f.bind = true;
    refused_or_round_trips(&Element::Features(f), &ctx).unwrap();
    let e = StreamError::new(StreamErrorCondition::Conflict);
    refused_or_round_trips(&Element::StreamError(e), &ctx).unwrap();
}

#[test]
fn forwarded_stanza_in_a_kept_tree_keeps_its_namespace() {
    // XEP-0297 section 3.2: the namespace of a forwarded stanza is kept,
    // also where it travels inside an element this crate does not type (an
    // archive result); re-scoping applies to the stanza around it only.
    let xml = "<message to='romeo@example.net'><result xmlns='urn:xmpp:mam:2' id='28482'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/><message xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.net' type='chat'><body>Call me but love</body><x xmlns='urn:x'><y xmlns='jabber:client'/></x></message></forwarded></result><z xmlns='urn:z'><w xmlns='jabber:client'/></z></message>";
    let el = parse(xml);
    let server = Context::server_tcp();
    let bytes = el.to_bytes(&server).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.contains("<message xmlns='jabber:client' from='juliet@example.com/balcony'"),
        "{text}"
    );
    assert!(text.contains("<y xmlns='jabber:client'/>"), "{text}");
    // Outside the forwarded stanza, re-scoping still applies.
    assert!(text.contains("<w xmlns='jabber:server'/>"), "{text}");
    // Read on the server stream and written to a client, it is unchanged.
    let relayed = Element::parse(&bytes, &server).unwrap();
    assert_eq!(relayed.to_bytes(&ctx()).unwrap(), xml.as_bytes());
    // A forwarded stanza in jabber:server stays so on a client stream too.
    let s2s = xml.replace(
        "<message xmlns='jabber:client'",
        "<message xmlns='jabber:server'",
    );
    let out = reserialize(&s2s, &ctx());
    assert!(
        out.contains("<message xmlns='jabber:server' from="),
        "{out}"
    );
}

// ---- errors a caller can answer, and never bounce

#[test]
fn message_and_presence_have_error_replies() {
    let Element::Message(m) = parse(
        "<message from='romeo@example.net/orchard' to='juliet@example.com' id='m1' type='chat'><body>hi</body></message>",
    ) else {
        panic!()
    };
    let reply = m
        .error_reply(StanzaError::new(StanzaErrorCondition::ServiceUnavailable))
        .unwrap();
    assert_eq!(reply.kind, MessageType::Error);
    assert_eq!(reply.to, Some(jid("romeo@example.net/orchard")));
    assert_eq!(reply.from, Some(jid("juliet@example.com")));
    assert_eq!(reply.id.as_deref(), Some("m1"));
    assert!(refused_or_round_trips(&Element::Message(reply), &ctx()).is_ok());
    let Element::Presence(p) = parse(
        "<presence from='romeo@example.net/orchard' to='juliet@example.com' type='subscribe' id='p1'/>",
    ) else {
        panic!()
    };
    let reply = p
        .error_reply(StanzaError::new(StanzaErrorCondition::NotAllowed))
        .unwrap();
    assert_eq!(reply.kind, PresenceType::Error);
    assert_eq!(reply.to, Some(jid("romeo@example.net/orchard")));
    assert!(refused_or_round_trips(&Element::Presence(reply), &ctx()).is_ok());
}

#[test]
fn an_error_is_never_answered_with_an_error() {
    let error = || StanzaError::new(StanzaErrorCondition::BadRequest);
    let Element::Message(m) = parse(
        "<message type='error' id='e'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    ) else {
        panic!()
    };
    assert!(m.error_reply(error()).is_none());
    let Element::Presence(p) = parse(
        "<presence type='error'><error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>",
    ) else {
        panic!()
    };
    assert!(p.error_reply(error()).is_none());
    let Element::Iq(iq) = parse(
        "<iq type='error' id='1'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    ) else {
        panic!()
    };
    assert!(iq.error_reply(error()).is_none());
    // RFC 6120 8.2.3: a result is not answered either.
    let Element::Iq(iq) = parse("<iq type='result' id='1'/>") else {
        panic!()
    };
    assert!(iq.error_reply(error()).is_none());
    assert!(iq.result(None).is_none());
}

// ---- lenient where the RFCs say ignore, exact where they say keep

#[test]
fn roster_set_with_any_subscription_is_kept() {
    // RFC 6121 2.1.2.5: the server ignores any value but "remove".
    for (value, expected) in [
        ("both", Subscription::Both),
        ("pending", Subscription::Other("pending".into())),
    ] {
        let xml = format!(
            "<iq type='set' id='r1'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='{value}'/></query></iq>"
        );
        let Element::Iq(iq) = parse(&xml) else {
            panic!()
        };
        let Some(IqPayload::Roster(r)) = &iq.payload else {
            panic!()
        };
        assert_eq!(r.items[0].subscription(), Some(&expected));
        assert!(reserialize(&xml, &ctx()).contains(&format!("subscription='{value}'")));
    }
}

#[test]
fn unknown_ask_is_kept() {
    let xml = "<iq type='result' id='r1'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' ask='unsubscribe'/></query></iq>";
    let Element::Iq(iq) = parse(xml) else {
        panic!()
    };
    let Some(IqPayload::Roster(r)) = &iq.payload else {
        panic!()
    };
    assert_eq!(r.items[0].ask(), Some(&Ask::Other("unsubscribe".into())));
    assert!(reserialize(xml, &ctx()).contains("ask='unsubscribe'"));
}

#[test]
fn unknown_show_is_kept() {
    let xml = "<presence><show>sleepy</show><status>zzz</status></presence>";
    let Element::Presence(p) = parse(xml) else {
        panic!()
    };
    assert_eq!(p.show, Some(Show::Other("sleepy".into())));
    assert!(reserialize(xml, &ctx()).contains("<show>sleepy</show>"));
}

#[test]
fn sasl_failure_with_unknown_or_no_condition_is_kept() {
    let xml = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><too-tired/><text>later</text></failure>";
    let Element::Sasl(Sasl::Failure(f)) = parse(xml) else {
        panic!()
    };
    assert_eq!(f.condition, Some(SaslCondition::Other("too-tired".into())));
    assert!(reserialize(xml, &ctx()).contains("<too-tired/>"));
    let xml = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>";
    let Element::Sasl(Sasl::Failure(f)) = parse(xml) else {
        panic!()
    };
    assert_eq!(f.condition, None);
    reserialize(xml, &ctx());
    // A kept name must be a name the writer can write back.
    let odd = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><\u{FFF9}/></failure>";
    assert!(Element::parse(odd.as_bytes(), &ctx()).is_err());
}

#[test]
fn unknown_stanza_attributes_survive() {
    let xml = "<message xmlns:e='urn:example' to='juliet@example.com' e:priority='high' \
               marker='1' xml:space='preserve'><body/></message>";
    let out = reserialize(xml, &ctx());
    assert!(out.contains(":priority='high'"), "{out}");
    assert!(out.contains("='urn:example'"), "{out}");
    assert!(out.contains(" marker='1'"), "{out}");
    assert!(out.contains(" xml:space='preserve'"), "{out}");
    for xml in [
        "<presence custom='x'/>",
        "<iq type='result' id='1' custom='x'/>",
    ] {
        assert!(reserialize(xml, &ctx()).contains(" custom='x'"));
    }
}

#[test]
fn unknown_body_attributes_survive() {
    let xml =
        "<message><body xml:lang='en' markup='plain' xmlns:h='urn:h' h:x='y'>hi</body></message>";
    let out = reserialize(xml, &ctx());
    assert!(out.contains(" markup='plain'"), "{out}");
    assert!(out.contains(":x='y'"), "{out}");
}

#[test]
fn legacy_error_code_survives() {
    let xml = "<iq type='error' id='1'><error code='404' type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>";
    assert!(reserialize(xml, &ctx()).contains(" code='404'"));
}

#[test]
fn unknown_error_conditions_survive() {
    let xml = "<message type='error'><error type='cancel'><future-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' detail='x'/></error></message>";
    let Element::Message(m) = parse(xml) else {
        panic!()
    };
    let condition = &m.error.as_ref().unwrap().condition;
    assert_eq!(condition.name(), "future-condition");
    assert_ne!(condition, &StanzaErrorCondition::UndefinedCondition);
    assert!(reserialize(xml, &ctx()).contains("<future-condition"));
    let xml = "<stream:error><future-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>";
    let Element::StreamError(e) = parse(xml) else {
        panic!()
    };
    assert_eq!(e.condition.name(), "future-condition");
    assert!(reserialize(xml, &ctx()).contains("<future-condition"));
}

#[test]
fn every_application_error_element_survives() {
    let xml = "<iq type='error' id='1'><error type='cancel'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><unsupported xmlns='urn:a' feature='x'/><second xmlns='urn:b'/></error></iq>";
    let out = reserialize(xml, &ctx());
    assert!(
        out.contains("<unsupported") && out.contains("<second"),
        "{out}"
    );
    let xml = "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><one xmlns='urn:a'/><two xmlns='urn:b'/></stream:error>";
    let out = reserialize(xml, &ctx());
    assert!(out.contains("<one") && out.contains("<two"), "{out}");
}

#[test]
fn roster_extensions_survive() {
    let xml = "<iq type='result' id='r'><query xmlns='jabber:iq:roster' ver='3'><item jid='a@example.com'><group>G</group><note xmlns='urn:notes'>n</note></item><annotation xmlns='urn:x'/></query></iq>";
    let out = reserialize(xml, &ctx());
    assert!(out.contains("<note xmlns='urn:notes'>n</note>"), "{out}");
    assert!(out.contains("<annotation xmlns='urn:x'/>"), "{out}");
}

#[test]
fn rescoping_covers_every_content_namespace_child() {
    // Read on a server-to-server stream, written on a client stream: no
    // jabber:server may remain (RFC 6120 4.8.3), however deep.
    let xml = "<message xmlns='jabber:server' to='juliet@example.com'><body>hi</body><foo/><x xmlns='urn:x'><y xmlns='jabber:server'/></x><error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><app xmlns='jabber:server'/></error></message>";
    let el = Element::parse(xml.as_bytes(), &Context::server_tcp()).unwrap();
    for client in [Context::client_tcp(), Context::client_websocket()] {
        let bytes = el.to_bytes(&client).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(!text.contains("jabber:server"), "{text}");
        let again = Element::parse(&bytes, &client).unwrap();
        let Element::Message(m) = again else { panic!() };
        let Payload::Other(foo) = &m.payloads[0] else {
            panic!()
        };
        assert_eq!(foo.ns(), "jabber:client");
        let Payload::Other(x) = &m.payloads[1] else {
            panic!()
        };
        assert_eq!(
            x.get_child("y", "jabber:client").map(|y| y.name()),
            Some("y")
        );
    }
}

#[test]
fn both_content_namespaces_are_the_stream_s_inside_a_stanza() {
    // What the writer re-scopes, the reader files the same way, so a
    // parsed stanza is written and read back unchanged.
    let xml = "<message><x xmlns='jabber:server'><y xmlns='jabber:client'/></x></message>";
    let Element::Message(m) = parse(xml) else {
        panic!()
    };
    let [Payload::Other(x)] = &m.payloads[..] else {
        panic!()
    };
    assert_eq!(x.ns(), "jabber:client");
    reserialize(xml, &ctx());
    // An attribute cannot reach xml:lang through another prefix.
    assert!(
        Element::parse(
            b"<message xmlns:x='http://www.w3.org/XML/1998/namespace' x:lang='en'/>",
            &ctx()
        )
        .is_err()
    );
}

#[test]
fn sasl_success_with_empty_data_differs_from_none() {
    let with = parse("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</success>");
    let without = parse("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    assert_ne!(with, without);
    assert_eq!(with, Element::Sasl(Sasl::Success(Some(Vec::new()))));
    assert_eq!(without, Element::Sasl(Sasl::Success(None)));
    assert!(
        reserialize(
            "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</success>",
            &ctx()
        )
        .contains(">=</success>")
    );
}

// ---- what the next crates need

#[test]
fn common_accessors_across_stanza_kinds() {
    let stanzas = [
        parse("<message from='a@example.com/r' to='b@example.com' id='1' type='chat'/>"),
        parse("<presence from='a@example.com/r' to='b@example.com' id='1' type='probe'/>"),
        parse(
            "<iq from='a@example.com/r' to='b@example.com' id='1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>",
        ),
    ];
    let names: Vec<_> = stanzas
        .iter()
        .map(|s| {
            let s = s.as_stanza().unwrap();
            assert_eq!(s.from(), Some(&jid("a@example.com/r")));
            assert_eq!(s.to(), Some(&jid("b@example.com")));
            assert_eq!(s.id(), Some("1"));
            (s.name(), s.type_attr())
        })
        .collect();
    assert_eq!(
        names,
        [
            ("message", Some("chat")),
            ("presence", Some("probe")),
            ("iq", Some("get"))
        ]
    );
    assert!(parse("<r xmlns='urn:xmpp:sm:3'/>").as_stanza().is_none());
}

#[test]
fn stanza_is_written_to_each_recipient_without_cloning() {
    let Element::Presence(p) =
        parse("<presence from='juliet@example.com/balcony'><show>away</show></presence>")
    else {
        panic!()
    };
    let mut out = Vec::new();
    for contact in ["romeo@example.net", "nurse@example.com"] {
        out.clear();
        p.serialize_addressed(&ctx(), p.from.as_ref(), Some(&jid(contact)), &mut out)
            .unwrap();
        let Element::Presence(sent) = Element::parse(&out, &ctx()).unwrap() else {
            panic!()
        };
        assert_eq!(sent.to, Some(jid(contact)));
        assert_eq!(sent.from, p.from);
        assert_eq!(sent.show, Some(Show::Away));
    }
}

// A prefix bound once to a long namespace and used on many attributes:
// each kept attribute holds, and writes back, the whole name, so each use
// is charged against the node limit and the output stays bounded.
#[test]
fn a_long_attribute_namespace_cannot_multiply_the_output() {
    let ctx = ctx();
    let long = format!("urn:{}", "a".repeat(150_000));
    for child in ["<body p:x=''/>", "<a xmlns='urn:x' p:x=''/>"] {
        let mut xml = format!("<message xmlns:p='{long}'>");
        for _ in 0..900 {
            xml.push_str(child);
        }
        xml.push_str("</message>");
        if let Ok(el) = Element::parse(xml.as_bytes(), &ctx) {
            let written = el.to_bytes(&ctx).expect("a parsed value is written");
            assert!(
                written.len() <= 4 * 256 * 1024,
                "{child}: {} bytes",
                written.len()
            );
        }
    }
}

#[test]
fn errors_quote_only_part_of_a_long_name() {
    // Each error used to carry the whole name or namespace: a 200 KB
    // stanza made a 200 KB error for every log line that showed it.
    let long = "a".repeat(200_000);
    let ws = Context::client_websocket();
    let cases = [
        format!("<message xmlns='jabber:client'><body><{long}/></body></message>"),
        format!("<message xmlns='jabber:client'><1{long}/></message>"),
        format!("<message xmlns='jabber:client' 1{long}='x'/>"),
        format!("<iq xmlns='jabber:client' type='get' id='1'><a xmlns='urn:x'/><{long}/></iq>"),
        format!("<message xmlns='jabber:client'><{long}></b{long}></message>"),
        format!("<message xmlns='jabber:client' xmlns:1{long}='urn:x'/>"),
        format!(
            "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><{long}/></stream:error>"
        ),
    ];
    for xml in &cases {
        let err = Element::parse(xml.as_bytes(), &ws).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.len() < 1_000,
            "{} bytes: {}",
            shown.len(),
            &shown[..200]
        );
    }
}

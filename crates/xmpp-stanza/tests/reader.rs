//! The reader's half of the crate: well-formedness (XML 1.0 and Namespaces
//! in XML 1.0 as RFC 6120 section 11 restricts them), the stream context,
//! per-stanza limits and the header a parse error carries.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use chatwire_xmpp_stanza::*;

fn tcp() -> Context {
    Context::client_tcp()
}

fn refused(xml: &str) -> bool {
    Element::parse(xml.as_bytes(), &tcp()).is_err()
}

fn accepted(xml: &str) -> Element {
    Element::parse(xml.as_bytes(), &tcp()).unwrap_or_else(|e| panic!("{e}: {xml}"))
}

// XML 1.0 production [40] STag: attributes are separated by whitespace.
#[test]
fn attributes_need_whitespace_between_them() {
    for bad in [
        "<message to='a@b'id='x'/>",
        "<message to=\"a@b\"id='x'/>",
        "<message><x xmlns='urn:x' a='1'b='2'/></message>",
        "<message id='x'xmlns='jabber:client'/>",
    ] {
        assert!(refused(bad), "{bad}");
    }
    accepted("<message to='a@b' id='x'/>");
    accepted("<message to='a@b'\tid='x'\n/>");
}

// XML 1.0 production [4] NameStartChar excludes digits, '-' and '.'.
#[test]
fn names_start_with_a_name_start_character() {
    for bad in [
        "<message 1d='x'/>",
        "<message -d='x'/>",
        "<message><x xmlns='urn:x' .a='1'/></message>",
        "<message><1x xmlns='urn:x'/></message>",
        "<message xmlns:1p='urn:p'/>",
        "<message><x xmlns='urn:x' a$b='1'/></message>",
        "<message><x xmlns='urn:x'><a\u{d7}b/></x></message>",
    ] {
        assert!(refused(bad), "{bad}");
    }
    accepted("<message><x xmlns='urn:x' _a='1' a-1.b='2' \u{e9}t\u{e9}='3'/></message>");
}

// Namespaces in XML 1.0 section 5: every prefix in use is declared.
#[test]
fn attribute_prefixes_must_be_bound() {
    for bad in [
        "<message p:x='1'/>",
        "<iq id='1' type='get' q:y='2'><ping xmlns='urn:xmpp:ping'/></iq>",
        "<message><body p:x='1'>hi</body></message>",
    ] {
        assert!(refused(bad), "{bad}");
    }
    // A declaration later in the same tag still binds.
    accepted("<message p:x='1' xmlns:p='urn:p'/>");
}

// Namespaces in XML 1.0 section 6.3: no two attributes with the same
// local name and the same namespace name, whatever their prefixes.
#[test]
fn attributes_unique_after_prefix_resolution() {
    for bad in [
        "<message xmlns:p='urn:a' xmlns:q='urn:a' p:x='1' q:x='2'/>",
        "<message><body xmlns:p='urn:a' xmlns:q='urn:a' p:x='1' q:x='2'>b</body></message>",
        "<message xmlns:p='urn:a'><x xmlns='urn:x' xmlns:q='urn:a' p:y='1' q:y='2'/></message>",
    ] {
        assert!(refused(bad), "{bad}");
    }
    // Same local name in different namespaces is fine.
    accepted("<message xmlns:p='urn:a' xmlns:q='urn:b' p:x='1' q:x='2' x='3'/>");
    // Namespaces are compared by name, wherever and however declared.
    for bad in [
        "<message xmlns:p='urn:a'><x xmlns='urn:x' xmlns:q='urn:&#x61;' p:y='1' q:y='2'/></message>",
        "<message xmlns:p='urn:a' xmlns:q='urn:b'><x xmlns='urn:x' xmlns:q='urn:a' p:y='1' q:y='2'/></message>",
        "<message xmlns:p='urn:a' xmlns:q='urn:b'><x xmlns='urn:x' xmlns:r='urn:b' xmlns:q='urn:a' p:y='1' q:y='2'/></message>",
    ] {
        assert!(refused(bad), "{bad}");
    }
    accepted(
        "<message xmlns:p='urn:a' xmlns:q='urn:a'><x xmlns='urn:x' xmlns:q='urn:b' p:y='1' q:y='2'/></message>",
    );
    let ctx = Context::client_tcp().with_prefix("db", "urn:a").unwrap();
    for (xml, ok) in [
        ("<message xmlns:p='urn:a' p:y='1' db:y='2'/>", false),
        ("<message xmlns:p='urn:b' p:y='1' db:y='2'/>", true),
    ] {
        assert_eq!(Element::parse(xml.as_bytes(), &ctx).is_ok(), ok, "{xml}");
    }
}

// Every prefix is looked up among the namespace declarations in scope, so
// their number is bounded (the stream header's aside).
#[test]
fn namespace_declarations_in_scope_are_bounded() {
    let declarations = |from: usize, n: usize| -> String {
        (from..from + n)
            .map(|i| format!(" xmlns:p{i}='urn:{i}'"))
            .collect()
    };
    let nested = |outer: usize, inner: usize| {
        format!(
            "<message{}><x xmlns='urn:x'{}/></message>",
            declarations(0, outer),
            declarations(outer, inner - 1)
        )
    };
    // 64 by default, the default namespace declaration of <x/> included.
    let ok = nested(40, 24);
    accepted(&ok);
    let over = nested(40, 25);
    let err = parse_err(&over, &tcp());
    assert_eq!(
        err.error(),
        &Error::Limit("namespace declarations in scope")
    );
    assert_eq!(
        err.answer(),
        Answer::Stream(StreamErrorCondition::PolicyViolation)
    );
    // Siblings do not add up; the stream's own prefixes do not count.
    let siblings = format!(
        "<message>{}</message>",
        format!("<x xmlns='urn:x'{}/>", declarations(0, 40)).repeat(3)
    );
    accepted(&siblings);
    let mut ctx = tcp();
    for i in 0..100 {
        ctx = ctx.with_prefix(format!("s{i}"), "urn:s").unwrap();
    }
    assert!(Element::parse(ok.as_bytes(), &ctx).is_ok());
    let fewer = Context::client_tcp().with_limits(Limits::default().with_max_namespaces(63));
    assert!(Element::parse(ok.as_bytes(), &fewer).is_err());
}

// XML 1.0 production [66] CharRef: '&#x' [0-9a-fA-F]+ ';' or '&#' [0-9]+ ';'.
#[test]
fn character_references_are_digits_only() {
    for bad in [
        "<message><body>&#x+41;</body></message>",
        "<message><body>&#+65;</body></message>",
        "<message><body>&#x;</body></message>",
        "<message><body>&#X41;</body></message>",
        "<message><body>&#x 41;</body></message>",
        "<message id='&#x+41;'/>",
        "<message id='&#+65;'/>",
    ] {
        assert!(refused(bad), "{bad}");
    }
    let Element::Message(m) =
        accepted("<message id='&#x41;&#66;'><body>&#x43;&#68;</body></message>")
    else {
        panic!()
    };
    assert_eq!(m.id.as_deref(), Some("AB"));
    assert_eq!(m.body(), Some("CD"));
}

// XML 1.0 production [14] CharData excludes ']]>'.
#[test]
fn cdata_end_is_not_character_data() {
    for bad in [
        "<message><body>a]]>b</body></message>",
        "<message>]]></message>",
        "<message><x xmlns='urn:x'>]]></x></message>",
    ] {
        assert!(refused(bad), "{bad}");
    }
    // In an attribute value, as a reference, or inside CDATA it is fine.
    let Element::Message(m) =
        accepted("<message id=']]>'><body>]]&gt;<![CDATA[]]]]><![CDATA[>]]></body></message>")
    else {
        panic!()
    };
    assert_eq!(m.id.as_deref(), Some("]]>"));
    assert_eq!(m.body(), Some("]]>]]>"));
}

const STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";

fn parse_err(xml: &str, ctx: &Context) -> ParseError {
    match Element::parse(xml.as_bytes(), ctx) {
        Ok(el) => panic!("accepted {xml}: {el:?}"),
        Err(e) => e,
    }
}

// RFC 6120 section 8.3.1: the error answer goes to the sender, with the
// same id; so the parse error carries what was read of the header.
#[test]
fn error_carries_the_stanza_header() {
    let err = parse_err(
        "<iq type='set' id='q1' from='juliet@example.com/balcony' to='example.com'>\
         <query xmlns='jabber:iq:roster'><item jid='@bad'/></query></iq>",
        &tcp(),
    );
    let h = err.header().expect("header");
    assert_eq!(h.kind(), StanzaKind::Iq);
    assert_eq!(h.id(), Some("q1"));
    assert_eq!(
        h.from().map(Jid::as_str),
        Some("juliet@example.com/balcony")
    );
    assert_eq!(h.to().map(Jid::as_str), Some("example.com"));
    assert_eq!(h.stanza_type(), Some("set"));
    assert_eq!(
        err.answer(),
        Answer::Stanza(StanzaErrorType::Modify, StanzaErrorCondition::JidMalformed)
    );

    let err = parse_err(
        "<presence id='p1'><priority>high</priority></presence>",
        &tcp(),
    );
    let h = err.header().expect("header");
    assert_eq!(
        (h.kind(), h.id(), h.stanza_type()),
        (StanzaKind::Presence, Some("p1"), None)
    );
    assert_eq!(
        err.stanza_condition(),
        Some((StanzaErrorType::Modify, StanzaErrorCondition::BadRequest))
    );

    // Values with references are read as the stanza parser reads them.
    let err = parse_err(
        "<message id='a&amp;b' type='chat'><body><x/></body></message>",
        &tcp(),
    );
    assert_eq!(err.header().and_then(|h| h.id()), Some("a&b"));

    // A malformed address is kept as the reason it is not a JID.
    let err = parse_err("<message to='a@b/' id='m'><body>x</body></message>", &tcp());
    let h = err.header().expect("header");
    assert_eq!(h.to(), None);
    assert_eq!(h.to_error(), Some(&JidError::EmptyResource));
    assert_eq!(
        err.answer(),
        Answer::Stanza(StanzaErrorType::Modify, StanzaErrorCondition::JidMalformed)
    );
}

// Nothing before the top-level start tag, and nothing that is not a
// stanza, has a header; those errors are answered at the stream level.
#[test]
fn no_header_without_a_stanza() {
    for (xml, condition) in [
        (
            "<message to='a' to='b'/>",
            StreamErrorCondition::NotWellFormed,
        ),
        ("<!-- --><message/>", StreamErrorCondition::RestrictedXml),
        (
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
            StreamErrorCondition::InvalidXml,
        ),
    ] {
        let err = parse_err(xml, &tcp());
        assert!(err.header().is_none(), "{xml}");
        assert_eq!(err.answer(), Answer::Stream(condition.clone()), "{xml}");
        assert_eq!(err.stream_condition(), condition, "{xml}");
        assert_eq!(err.stanza_condition(), None, "{xml}");
    }
    // A stanza whose XML breaks is a stream error, header or not.
    for (xml, condition) in [
        (
            "<message id='m'><body>a]]>b</body></message>",
            StreamErrorCondition::NotWellFormed,
        ),
        (
            "<message id='m'><!-- --></message>",
            StreamErrorCondition::RestrictedXml,
        ),
        (
            "<message id='m'><p:x/></message>",
            StreamErrorCondition::BadNamespacePrefix,
        ),
    ] {
        let err = parse_err(xml, &tcp());
        assert_eq!(err.header().and_then(|h| h.id()), Some("m"));
        assert_eq!(err.answer(), Answer::Stream(condition), "{xml}");
    }
}

// RFC 6120 section 8.3.1: "An entity that receives an error stanza MUST
// NOT respond to the stanza with a further error stanza".
#[test]
fn errors_are_never_answered_with_errors() {
    for xml in [
        // No <error/> child.
        "<iq type='error' id='e1'/>".to_owned(),
        "<message type='error' id='e2'/>".to_owned(),
        "<presence type='error'/>".to_owned(),
        // A malformed `by`.
        format!(
            "<message type='error' id='e3'><error type='cancel' by='@bad'>\
             <item-not-found xmlns='{STANZAS}'/></error></message>"
        ),
        // No error type.
        format!(
            "<presence type='error' id='e4'><error><item-not-found xmlns='{STANZAS}'/></error></presence>"
        ),
        // A malformed address on the error itself.
        format!(
            "<iq type='error' id='e5' to='a@b/'><error type='cancel'>\
             <item-not-found xmlns='{STANZAS}'/></error></iq>"
        ),
    ] {
        for ctx in [Context::client_tcp(), Context::client_websocket()] {
            let xml = if ctx.inherited {
                xml.clone()
            } else {
                xml.replacen(' ', " xmlns='jabber:client' ", 1)
            };
            let err = parse_err(&xml, &ctx);
            assert!(err.header().is_some_and(StanzaHeader::is_error), "{xml}");
            assert_eq!(err.answer(), Answer::Ignore, "{xml}");
            assert_eq!(err.stanza_condition(), None, "{xml}");
        }
    }
}

// RFC 6120 section 8.2.3: "An entity that receives a stanza of type
// "result" or "error" MUST NOT respond to the stanza by sending a further
// IQ response of type "result" or "error"".
#[test]
fn iq_results_are_never_answered_with_errors() {
    for xml in [
        "<iq type='result' id='r1'><query xmlns='jabber:iq:roster'><item jid='@bad'/></query></iq>",
        "<iq type='result' id='r2'><query xmlns='jabber:iq:roster'><item/></query></iq>",
        "<iq type='result' id='r3' from='a@b/'/>",
    ] {
        let err = parse_err(xml, &tcp());
        assert_eq!(
            err.header().and_then(StanzaHeader::stanza_type),
            Some("result")
        );
        assert_eq!(err.answer(), Answer::Ignore, "{xml}");
        assert_eq!(err.stanza_condition(), None, "{xml}");
    }
    // A request is still answered, and a message or presence whose type
    // happens to be "result" (not one of theirs) is not a response.
    let err = parse_err(
        "<iq type='get' id='g'><query xmlns='jabber:iq:roster'><item/></query></iq>",
        &tcp(),
    );
    assert!(matches!(err.answer(), Answer::Stanza(..)));
    let err = parse_err("<presence type='result' id='p'/>", &tcp());
    assert!(matches!(err.answer(), Answer::Stanza(..)));
}

// An iq error must carry the request's id (RFC 6120 section 8.2.3), so an
// iq without one cannot be answered with a stanza error.
#[test]
fn iq_without_id_is_not_answered_with_a_stanza() {
    let err = parse_err("<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>", &tcp());
    assert_eq!(err.header().map(StanzaHeader::id), Some(None));
    assert_eq!(
        err.answer(),
        Answer::Stream(StreamErrorCondition::InvalidXml)
    );
    assert_eq!(err.stanza_condition(), None);
}

// RFC 6120 section 4.9.3.7: between servers, an address that violates the
// rules for XMPP addresses is an improper-addressing stream error; on a
// client stream the server knows the sender and answers the stanza.
#[test]
fn malformed_addresses_between_servers() {
    let s2s = Context::server_tcp();
    for xml in [
        "<message xmlns='jabber:server' from='@a' to='b.example' id='1'><body>x</body></message>",
        "<message xmlns='jabber:server' from='a.example' to='b.example/' id='1'/>",
        "<iq xmlns='jabber:server' type='error' id='1' from='@a' to='b.example'/>",
    ] {
        let err = parse_err(xml, &s2s);
        assert_eq!(
            err.answer(),
            Answer::Stream(StreamErrorCondition::ImproperAddressing),
            "{xml}"
        );
    }
    let err = parse_err("<message from='@a' id='1'><body>x</body></message>", &tcp());
    assert_eq!(
        err.header().and_then(|h| h.from_error()),
        Some(&JidError::EmptyLocal)
    );
    assert_eq!(
        err.answer(),
        Answer::Stanza(StanzaErrorType::Modify, StanzaErrorCondition::JidMalformed)
    );
}

// RFC 6120 section 4.8: prefixes the stream header declares are in scope
// for every element of a TCP stream.
#[test]
fn context_binds_the_stream_header_prefixes() {
    let xml = b"<db:result from='a.example' to='b.example'>key</db:result>";
    let Err(err) = Element::parse(xml, &Context::server_tcp()) else {
        panic!("an unbound prefix was accepted")
    };
    assert_eq!(
        err.stream_condition(),
        StreamErrorCondition::BadNamespacePrefix
    );
    let ctx = Context::server_tcp()
        .with_prefix("db", "jabber:server:dialback")
        .unwrap();
    assert_eq!(ctx.prefix("db"), Some("jabber:server:dialback"));
    assert_eq!(
        ctx.prefix("stream"),
        Some("http://etherx.jabber.org/streams")
    );
    assert_eq!(
        ctx.prefixes().collect::<Vec<_>>(),
        [("db", "jabber:server:dialback")]
    );
    let Element::Unknown(el) = Element::parse(xml, &ctx).unwrap() else {
        panic!()
    };
    assert_eq!(
        (el.name(), el.ns().as_str()),
        ("result", "jabber:server:dialback")
    );
    assert_eq!(el.text(), "key");
    // An element may still rebind the prefix for itself.
    let Element::Unknown(el) = Element::parse(b"<db:x xmlns:db='urn:other'/>", &ctx).unwrap()
    else {
        panic!()
    };
    assert_eq!(el.ns(), "urn:other");
    // Rebinding replaces; reserved and malformed prefixes are refused.
    let ctx = ctx.with_prefix("db", "urn:db2").unwrap();
    assert_eq!(ctx.prefixes().count(), 1);
    assert_eq!(ctx.prefix("db"), Some("urn:db2"));
    for (prefix, ns) in [
        ("xml", "urn:x"),
        ("xmlns", "urn:x"),
        ("1a", "urn:x"),
        ("a:b", "urn:x"),
        ("", "urn:x"),
        ("a", ""),
        ("a", "http://www.w3.org/XML/1998/namespace"),
        ("a", "http://www.w3.org/2000/xmlns/"),
    ] {
        assert!(
            Context::client_tcp().with_prefix(prefix, ns).is_err(),
            "{prefix}={ns}"
        );
    }
}

// RFC 6120 section 8.1.5: the stream's xml:lang is the default language.
#[test]
fn context_carries_the_stream_language() {
    assert_eq!(Context::client_tcp().lang(), None);
    let ctx = Context::client_tcp().with_lang(Some("en".into()));
    assert_eq!(ctx.lang(), Some("en"));
    assert_eq!(ctx.clone().with_lang(None).lang(), None);
    assert_eq!(Context::default(), Context::client_tcp());
}

// Namespaces in XML 1.0 section 3: `xml` and `xmlns` name their own
// namespaces, and no other prefix may be bound to either.
#[test]
fn reserved_namespaces_cannot_be_bound() {
    for bad in [
        "<message xmlns:p='http://www.w3.org/XML/1998/namespace'/>",
        "<message xmlns:p='http://www.w3.org/2000/xmlns/'/>",
        "<message><x xmlns='http://www.w3.org/2000/xmlns/'/></message>",
    ] {
        assert!(refused(bad), "{bad}");
    }
}

// Namespaces in XML 1.0 section 3: the `xml` prefix "MAY, but need not,
// be declared", bound to its own namespace and to no other.
#[test]
fn the_xml_prefix_may_be_declared_as_itself() {
    let Element::Message(m) = accepted(
        "<message xmlns:xml='http://www.w3.org/XML/1998/namespace' xml:lang='en'>\
         <body>hi</body></message>",
    ) else {
        panic!()
    };
    assert_eq!(m.lang.as_deref(), Some("en"));
    accepted(
        "<message><x xmlns='urn:x' xmlns:xml='http://www.w3.org/XML/1998/nam&#x65;space'/></message>",
    );
    for bad in [
        "<message xmlns:xml='urn:x'/>",
        "<message xmlns:xml=''/>",
        "<message xmlns:xml='http://www.w3.org/XML/1998/namespace' \
         xmlns:xml='http://www.w3.org/XML/1998/namespace'/>",
        "<message xmlns:xmlns='http://www.w3.org/2000/xmlns/'/>",
        "<message><x xmlns='http://www.w3.org/XML/1998/namespace'/></message>",
    ] {
        assert!(refused(bad), "{bad}");
    }
}

// A byte order mark is not whitespace: before an element inside a stream
// it is character data, which RFC 6120 section 11 leaves no room for.
#[test]
fn a_byte_order_mark_is_not_whitespace() {
    for bad in [
        "\u{feff}<message/>",
        " \u{feff}<message/>",
        "<message/>\u{feff}",
    ] {
        let err = parse_err(bad, &tcp());
        assert_eq!(
            err.stream_condition(),
            StreamErrorCondition::NotWellFormed,
            "{bad:?}"
        );
    }
    // Inside an element it is text like any other.
    let Element::Message(m) = accepted("<message><body>\u{feff}hi</body></message>") else {
        panic!()
    };
    assert_eq!(m.body(), Some("\u{feff}hi"));
}

fn with_nodes(max_nodes: usize) -> Context {
    Context::client_tcp().with_limits(Limits::default().with_max_nodes(max_nodes))
}

// Elements, attributes and runs of text count as they are read.
#[test]
fn node_limit_applies_as_read() {
    let ctx = with_nodes(10);
    // message + 9 children = 10 nodes.
    let ok = format!("<message>{}</message>", "<body/>".repeat(9));
    assert!(Element::parse(ok.as_bytes(), &ctx).is_ok());
    let over = format!("<message>{}</message>", "<body/>".repeat(10));
    let err = Element::parse(over.as_bytes(), &ctx).unwrap_err();
    assert_eq!(err.error(), &Error::Limit("nodes per element"));
    assert_eq!(
        err.answer(),
        Answer::Stream(StreamErrorCondition::PolicyViolation)
    );
    // Attributes count; namespace declarations do not.
    let attrs = "<message xmlns='jabber:client' xmlns:p='urn:p' a='1' b='2' c='3' d='4' e='5' f='6' g='7' h='8' i='9'/>";
    assert!(Element::parse(attrs.as_bytes(), &ctx).is_ok());
    let attrs = attrs.replace("/>", " j='10'/>");
    assert!(Element::parse(attrs.as_bytes(), &ctx).is_err());
    // A run of text is one node however many references split it.
    let refs = format!("<message><body>{}</body></message>", "&lt;a".repeat(500));
    assert!(Element::parse(refs.as_bytes(), &with_nodes(3)).is_ok());
    assert!(Element::parse(refs.as_bytes(), &with_nodes(2)).is_err());
    // An element of an unknown payload counts five, and one more per 64
    // bytes of namespace name it copies.
    let payload = "<message><x xmlns='urn:x'/></message>";
    assert!(Element::parse(payload.as_bytes(), &with_nodes(6)).is_ok());
    assert!(Element::parse(payload.as_bytes(), &with_nodes(5)).is_err());
    let long = format!("<message><x xmlns='urn:{}'/></message>", "x".repeat(124));
    assert!(Element::parse(long.as_bytes(), &with_nodes(8)).is_ok());
    assert!(Element::parse(long.as_bytes(), &with_nodes(7)).is_err());
    // Its attributes count five per map minidom keeps them in: one of
    // namespaces and one per prefix.
    let one = "<message><x xmlns='urn:x' a='1'/></message>";
    assert!(Element::parse(one.as_bytes(), &with_nodes(17)).is_ok());
    assert!(Element::parse(one.as_bytes(), &with_nodes(16)).is_err());
    let two = "<message><x xmlns='urn:x' xmlns:p='urn:p' a='1' p:b='2' p:c='3'/></message>";
    assert!(Element::parse(two.as_bytes(), &with_nodes(24)).is_ok());
    assert!(Element::parse(two.as_bytes(), &with_nodes(23)).is_err());
    // A prefixed attribute counts one more per 64 bytes of its namespace
    // name, every time: minidom compares the name on each insert.
    let ns = format!("urn:{}", "n".repeat(124));
    let long =
        format!("<message><x xmlns='urn:x' xmlns:p='{ns}' p:a='1' p:b='2' p:c='3'/></message>");
    assert!(Element::parse(long.as_bytes(), &with_nodes(25)).is_ok());
    assert!(Element::parse(long.as_bytes(), &with_nodes(24)).is_err());
}

// The default limits let a stanza of every ordinary shape through.
#[test]
fn default_limits_accept_ordinary_stanzas() {
    let mut roster = String::from("<iq type='result' id='r'><query xmlns='jabber:iq:roster'>");
    for i in 0..1000 {
        roster.push_str(&format!(
            "<item jid='contact{i}@example.org' name='Contact {i}' subscription='both'><group>Friends</group></item>"
        ));
    }
    roster.push_str("</query></iq>");
    assert!(roster.len() < Limits::default().max_bytes);
    accepted(&roster);
    let mut form = String::from("<message><x xmlns='jabber:x:data' type='form'>");
    for i in 0..300 {
        form.push_str(&format!(
            "<field var='f{i}' type='text-single'><value>v</value></field>"
        ));
    }
    form.push_str("</x></message>");
    accepted(&form);
}

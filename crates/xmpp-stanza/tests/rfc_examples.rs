//! Examples from RFC 6120 and RFC 6121 (section numbers beside each),
//! parsed, checked field by field, re-serialised and parsed again.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatwire_xmpp_stanza::*;

fn ctx() -> Context {
    Context::client_tcp()
}

/// Parses, re-serialises in both framings, and checks the value survives.
fn parse(xml: &str) -> Element {
    let el = Element::parse(xml.as_bytes(), &ctx()).unwrap_or_else(|e| panic!("{e}: {xml}"));
    for c in [Context::client_tcp(), Context::client_websocket()] {
        let bytes = el.to_bytes(&c).unwrap_or_else(|e| panic!("{e}: {el:?}"));
        let again = Element::parse(&bytes, &c)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
        assert_eq!(again, el, "{}", String::from_utf8_lossy(&bytes));
    }
    // Every truncation is an error, never a panic.
    for cut in 0..xml.len() {
        if let Some(prefix) = xml.get(..cut)
            && prefix.trim_end() != xml.trim_end()
        {
            assert!(
                Element::parse(prefix.as_bytes(), &ctx()).is_err(),
                "{prefix}"
            );
        }
    }
    el
}

fn jid(s: &str) -> Jid {
    Jid::new(s).unwrap()
}

#[test]
fn rfc6120_8_1_1_message_to() {
    let Element::Message(m) = parse(
        "<message to='romeo@example.net'>\n  <body>Art thou not Romeo, and a Montague?</body>\n</message>",
    ) else {
        panic!()
    };
    assert_eq!(m.to, Some(jid("romeo@example.net")));
    assert_eq!(m.kind, MessageType::Normal);
    assert_eq!(m.body(), Some("Art thou not Romeo, and a Montague?"));
}

#[test]
fn rfc6120_7_bind() {
    // 7.6.1: server-generated resource.
    let Element::Iq(iq) = parse(
        "<iq id='tn281v37' type='set'>\n <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\n</iq>",
    ) else {
        panic!()
    };
    assert_eq!(iq.kind, IqType::Set);
    assert_eq!(iq.payload, Some(IqPayload::Bind(Bind::default())));
    let Element::Iq(iq) = parse(
        "<iq id='tn281v37' type='result'>\n <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\n   <jid>\n     juliet@im.example.com/4db06f06-1ea4-11dc-aca3-000bcd821bfb\n   </jid>\n </bind>\n</iq>",
    ) else {
        panic!()
    };
    let Some(IqPayload::Bind(b)) = iq.payload else {
        panic!()
    };
    assert_eq!(
        b.jid.unwrap().resource(),
        Some("4db06f06-1ea4-11dc-aca3-000bcd821bfb")
    );
    // 7.7.1: client-submitted resource.
    let Element::Iq(iq) = parse(
        "<iq id='wy2xa82b4' type='set'>\n <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\n   <resource>balcony</resource>\n </bind>\n</iq>",
    ) else {
        panic!()
    };
    let Some(IqPayload::Bind(b)) = iq.payload else {
        panic!()
    };
    assert_eq!(b.resource.as_deref(), Some("balcony"));
    // 7.7.2.2: conflict.
    let Element::Iq(iq) = parse(
        "<iq id='wy2xa82b4' type='error'>\n <error type='modify'>\n   <conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\n </error>\n</iq>",
    ) else {
        panic!()
    };
    let err = iq.error.unwrap();
    assert_eq!(err.kind, StanzaErrorType::Modify);
    assert_eq!(err.condition, StanzaErrorCondition::Conflict);
}

#[test]
fn rfc6120_4_3_2_features() {
    let Element::Features(f) = parse(
        "<stream:features>\n <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>\n   <required/>\n </starttls>\n</stream:features>",
    ) else {
        panic!()
    };
    assert_eq!(f.starttls, Some(true));
    // 6.4.1: mechanisms.
    let Element::Features(f) = parse(
        "<stream:features>\n <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\n   <mechanism>SCRAM-SHA-1-PLUS</mechanism>\n   <mechanism>SCRAM-SHA-1</mechanism>\n   <mechanism>PLAIN</mechanism>\n </mechanisms>\n</stream:features>",
    ) else {
        panic!()
    };
    assert_eq!(
        f.mechanisms,
        Some(vec![
            "SCRAM-SHA-1-PLUS".into(),
            "SCRAM-SHA-1".into(),
            "PLAIN".into()
        ])
    );
    // 7.4 bind, RFC 6121 2.6.1 rosterver, 3.4 pre-approval, plus an unknown one kept.
    let Element::Features(f) = parse(
        "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><ver xmlns='urn:xmpp:features:rosterver'/><sub xmlns='urn:xmpp:features:pre-approval'/><sm xmlns='urn:xmpp:sm:3'/><session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session><csi xmlns='urn:xmpp:csi:0'/><register xmlns='http://jabber.org/features/iq-register'/></stream:features>",
    ) else {
        panic!()
    };
    assert!(f.bind && f.roster_versioning && f.pre_approval && f.sm && f.csi);
    assert_eq!(f.session, Some(true));
    assert_eq!(f.other.len(), 1);
    assert_eq!(f.other[0].ns(), "http://jabber.org/features/iq-register");
    // Over WebSocket the prefix is declared on the element itself.
    let ws = Context::client_websocket();
    let bytes = Element::Features(f.clone()).to_bytes(&ws).unwrap();
    assert!(
        bytes.starts_with(b"<stream:features xmlns:stream='http://etherx.jabber.org/streams'>")
    );
}

#[test]
fn rfc6120_6_4_sasl() {
    let Element::Sasl(Sasl::Auth {
        mechanism,
        initial_response,
    }) = parse(
        "<auth xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\"\n      mechanism=\"SCRAM-SHA-1\">\n  biwsbj1qdWxpZXQscj1vTXNUQUF3QUFBQU1BQUFBTlAwVEFBQUFBQUJQVTBBQQ==\n</auth>",
    )
    else {
        panic!()
    };
    assert_eq!(mechanism, "SCRAM-SHA-1");
    assert_eq!(
        initial_response.as_deref(),
        Some(&b"n,,n=juliet,r=oMsTAAwAAAAMAAAANP0TAAAAAABPU0AA"[..])
    );
    let Element::Sasl(Sasl::Challenge(c)) = parse(
        "<challenge xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\">\n  cj1vTXNUQUF3QUFBQU1BQUFBTlAwVEFBQUFBQUJQVTBBQWUxMjQ2OTViLTY5YTktNGRlNi05YzMwLWI1MWIzODA4YzU5ZSxzPU5qaGtZVE0wTURndE5HWTBaaTAwTmpkbUxUa3hNbVV0TkRsbU5UTm1ORE5rTURNeixpPTQwOTY=\n</challenge>",
    ) else {
        panic!()
    };
    assert!(c.starts_with(b"r=oMsTAAwAAAAMAAAANP0TAAAAAABPU0AAe124695b"));
    assert!(c.ends_with(b",i=4096"));
    let Element::Sasl(Sasl::Success(s)) = parse(
        "<success xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\">\n  dj1wTk5ERlZFUXh1WHhDb1NFaVc4R0VaKzFSU289\n</success>",
    ) else {
        panic!()
    };
    assert_eq!(s.as_deref(), Some(&b"v=pNNDFVEQxuXxCoSEiW8GEZ+1RSo="[..]));
    // 6.5.10 and 6.5.2.
    let Element::Sasl(Sasl::Failure(f)) = parse(
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\n  <not-authorized/>\n</failure>",
    ) else {
        panic!()
    };
    assert_eq!(f.condition, Some(SaslCondition::NotAuthorized));
    let Element::Sasl(Sasl::Failure(f)) = parse(
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\n  <account-disabled/>\n  <text xml:lang='en'>Call 212-555-1212 for assistance.</text>\n</failure>",
    ) else {
        panic!()
    };
    assert_eq!(f.condition, Some(SaslCondition::AccountDisabled));
    assert_eq!(
        f.texts,
        vec![Text::with_lang("en", "Call 212-555-1212 for assistance.")]
    );
    assert_eq!(
        parse("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
        Element::Sasl(Sasl::Abort)
    );
    // An empty initial response is a single '='.
    let Element::Sasl(Sasl::Auth {
        initial_response, ..
    }) = parse("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>")
    else {
        panic!()
    };
    assert_eq!(initial_response, Some(Vec::new()));
    assert!(
        Element::parse(
            b"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>!!!</response>",
            &ctx()
        )
        .is_err()
    );
}

#[test]
fn rfc6120_4_9_stream_errors() {
    // 4.9.3.19
    let Element::StreamError(e) = parse(
        "<stream:error>\n  <see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>\n    [2001:41D0:1:A49b::1]:9222\n  </see-other-host>\n</stream:error>",
    ) else {
        panic!()
    };
    let StreamErrorCondition::SeeOtherHost(host) = e.condition else {
        panic!()
    };
    assert_eq!(host.trim(), "[2001:41D0:1:A49b::1]:9222");
    // 4.9.2: text and an application-specific condition.
    let Element::StreamError(e) = parse(
        "<stream:error>\n  <not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\n  <text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>Some special application diagnostic information!</text>\n  <escape-your-data xmlns='http://example.org/ns'/>\n</stream:error>",
    ) else {
        panic!()
    };
    assert_eq!(e.condition, StreamErrorCondition::NotWellFormed);
    assert_eq!(e.texts[0].lang.as_deref(), Some("en"));
    assert_eq!(e.apps[0].name(), "escape-your-data");
    // 4.9.3.*: every condition name.
    for &name in common::STREAM_CONDITIONS {
        let xml = format!(
            "<stream:error><{name} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
        );
        let e = StreamError::parse(xml.as_bytes(), &ctx()).unwrap();
        assert_eq!(e.condition.name(), name);
        if name != "undefined-condition" {
            assert_ne!(e.condition, StreamErrorCondition::UndefinedCondition);
        }
    }
}

#[test]
fn rfc6120_8_3_stanza_errors() {
    // 8.3.2
    let Element::Iq(iq) = parse(
        "<iq from='im.example.com'\n    id='rg1'\n    to='juliet@im.example.com/balcony'\n    type='error'>\n  <error by='im.example.com'\n         type='cancel'>\n    <feature-not-implemented\n        xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\n    <text xml:lang='en'\n        xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Some special application diagnostic information!</text>\n    <unsupported xmlns='http://jabber.org/protocol/pubsub#errors'\n        feature='retrieve-subscriptions'/>\n  </error>\n</iq>",
    ) else {
        panic!()
    };
    let e = iq.error.unwrap();
    assert_eq!(e.by, Some(jid("im.example.com")));
    assert_eq!(e.kind, StanzaErrorType::Cancel);
    assert_eq!(e.condition, StanzaErrorCondition::FeatureNotImplemented);
    assert_eq!(e.apps[0].attr("feature"), Some("retrieve-subscriptions"));
    // 8.3.3.5 gone with a new address; 8.3.3.14 redirect.
    let Element::Message(m) = parse(
        "<message from='romeo@example.net/orchard'\n         id='sj2b371v'\n         to='juliet@capulet.com/balcony'\n         type='error'>\n  <error by='example.net'\n         type='cancel'>\n    <gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:romeo@afterlife.example.net</gone>\n  </error>\n</message>",
    ) else {
        panic!()
    };
    assert_eq!(
        m.error.unwrap().condition,
        StanzaErrorCondition::Gone(Some("xmpp:romeo@afterlife.example.net".into()))
    );
    let Element::Iq(iq) = parse(
        "<iq from='characters@muc.example.com'\n    id='redirect1'\n    to='romeo@example.net/orchard'\n    type='error'>\n  <error type='modify'>\n    <redirect xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:characters@conference.example.org</redirect>\n  </error>\n</iq>",
    ) else {
        panic!()
    };
    assert_eq!(
        iq.error.unwrap().condition,
        StanzaErrorCondition::Redirect(Some("xmpp:characters@conference.example.org".into()))
    );
    // 8.3.3.*: every condition with the type the RFC example uses.
    for (name, kind) in [
        ("bad-request", "modify"),
        ("conflict", "cancel"),
        ("feature-not-implemented", "cancel"),
        ("forbidden", "auth"),
        ("gone", "cancel"),
        ("internal-server-error", "cancel"),
        ("item-not-found", "cancel"),
        ("jid-malformed", "modify"),
        ("not-acceptable", "modify"),
        ("not-allowed", "cancel"),
        ("not-authorized", "auth"),
        ("policy-violation", "modify"),
        ("recipient-unavailable", "wait"),
        ("redirect", "modify"),
        ("registration-required", "auth"),
        ("remote-server-not-found", "cancel"),
        ("remote-server-timeout", "wait"),
        ("resource-constraint", "wait"),
        ("service-unavailable", "cancel"),
        ("subscription-required", "auth"),
        ("undefined-condition", "cancel"),
        ("unexpected-request", "wait"),
    ] {
        let xml = format!(
            "<iq id='e' type='error'><error type='{kind}'><{name} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        );
        let Element::Iq(iq) = parse(&xml) else {
            panic!()
        };
        let e = iq.error.unwrap();
        assert_eq!(e.condition.name(), name);
        assert_eq!(e.kind.as_str(), kind);
        if name != "undefined-condition" {
            assert_ne!(e.condition, StanzaErrorCondition::UndefinedCondition);
        }
    }
}

#[test]
fn rfc6121_2_roster() {
    // 2.1.3
    let Element::Iq(iq) = parse(
        "<iq from='juliet@example.com/balcony'\n    id='bv1bs71f'\n    type='get'>\n <query xmlns='jabber:iq:roster'/>\n</iq>",
    ) else {
        panic!()
    };
    assert_eq!(iq.payload, Some(IqPayload::Roster(Roster::default())));
    // 2.1.4
    let Element::Iq(iq) = parse(
        "<iq id='bv1bs71f'\n    to='juliet@example.com/chamber'\n    type='result'>\n <query xmlns='jabber:iq:roster' ver='ver11'>\n   <item jid='romeo@example.net'\n         name='Romeo'\n         subscription='both'>\n     <group>Friends</group>\n   </item>\n   <item jid='mercutio@example.com'\n         name='Mercutio'\n         subscription='from'/>\n   <item jid='benvolio@example.net'\n         name='Benvolio'\n         subscription='both'/>\n </query>\n</iq>",
    ) else {
        panic!()
    };
    let Some(IqPayload::Roster(r)) = iq.payload else {
        panic!()
    };
    assert_eq!(r.ver.as_deref(), Some("ver11"));
    assert_eq!(r.items.len(), 3);
    assert_eq!(r.items[0].groups, vec!["Friends".to_owned()]);
    assert_eq!(r.items[1].subscription(), Some(&Subscription::From));
    // 2.4.2 remove; 3.1.2 ask; 3.4 approved.
    let Element::Iq(iq) = parse(
        "<iq from='juliet@example.com/balcony'\n    id='hm4hs97y'\n    type='set'>\n <query xmlns='jabber:iq:roster'>\n   <item jid='nurse@example.com'\n         subscription='remove'/>\n </query>\n</iq>",
    ) else {
        panic!()
    };
    let Some(IqPayload::Roster(r)) = iq.payload else {
        panic!()
    };
    assert_eq!(r.items[0].subscription(), Some(&Subscription::Remove));
    let Element::Iq(iq) = parse(
        "<iq id='b89c5r7ib574' to='romeo@example.net/foo' type='set'>\n  <query xmlns='jabber:iq:roster'>\n    <item ask='subscribe' jid='juliet@example.com' subscription='none'/>\n    <item approved='true' jid='nurse@example.com' subscription='none'/>\n  </query>\n</iq>",
    ) else {
        panic!()
    };
    let Some(IqPayload::Roster(r)) = iq.payload else {
        panic!()
    };
    assert!(r.items[0].ask() == Some(&Ask::Subscribe) && !r.items[0].approved);
    assert!(r.items[1].approved && r.items[1].ask().is_none());
}

#[test]
fn rfc6121_3_4_presence() {
    // 3.1.1 subscription request.
    let Element::Presence(p) = parse(
        "<presence id='xk3h1v69'\n          to='juliet@example.com'\n          type='subscribe'/>",
    ) else {
        panic!()
    };
    assert_eq!(p.kind, PresenceType::Subscribe);
    // 4.7.2: show, status per language, priority.
    let Element::Presence(p) = parse(
        "<presence from='romeo@example.net/orchard' xml:lang='en'>\n  <show>dnd</show>\n  <status>Wooing Juliet</status>\n  <status xml:lang='cs'>Dvo\u{159}\u{ed}m se Julii</status>\n  <priority>1</priority>\n</presence>",
    ) else {
        panic!()
    };
    assert_eq!(p.show, Some(Show::Dnd));
    assert_eq!(p.statuses.len(), 2);
    assert_eq!(p.statuses[1].lang.as_deref(), Some("cs"));
    assert_eq!(p.priority, Some(1));
    assert_eq!(p.lang.as_deref(), Some("en"));
    // Priority range is -128..127.
    assert!(Element::parse(b"<presence><priority>128</priority></presence>", &ctx()).is_err());
    let Element::Presence(p) = parse("<presence><priority>-128</priority></presence>") else {
        panic!()
    };
    assert_eq!(p.priority, Some(-128));
    assert!(Element::parse(b"<presence type='bogus'/>", &ctx()).is_err());
    // 4.7.2.1 defines four values; another is kept for the caller to judge.
    let Element::Presence(p) = parse("<presence><show>sleepy</show></presence>") else {
        panic!()
    };
    assert_eq!(p.show, Some(Show::Other("sleepy".into())));
}

#[test]
fn rfc6121_5_messages() {
    // 5.2.3 multiple bodies; 5.2.5 thread with parent.
    let Element::Message(m) = parse(
        "<message\n    from='juliet@example.com/balcony'\n    id='z94nb37h'\n    to='romeo@example.net'\n    type='chat'\n    xml:lang='en'>\n  <body>Wherefore art thou, Romeo?</body>\n  <body xml:lang='de'>Wo bist du, Romeo?</body>\n  <thread parent='e0ffe42b28561960c6b12b944a092794b9683a38'>0e3141cd80894871a68e6fe6b1ec56fa</thread>\n</message>",
    ) else {
        panic!()
    };
    assert_eq!(m.kind, MessageType::Chat);
    assert_eq!(m.bodies.len(), 2);
    assert_eq!(m.bodies[1], Text::with_lang("de", "Wo bist du, Romeo?"));
    let t = m.thread.unwrap();
    assert_eq!(t.id, "0e3141cd80894871a68e6fe6b1ec56fa");
    assert_eq!(
        t.parent.as_deref(),
        Some("e0ffe42b28561960c6b12b944a092794b9683a38")
    );
    // 5.2.4 subject.
    let Element::Message(m) = parse(
        "<message from='juliet@example.com/balcony' id='c8xg3nf8' to='romeo@example.net' type='chat' xml:lang='en'>\n  <subject>I implore you!</subject>\n  <subject xml:lang='cs'>\u{e9}s ti!</subject>\n  <body>Wherefore art thou, Romeo?</body>\n</message>",
    ) else {
        panic!()
    };
    assert_eq!(m.subjects.len(), 2);
    // 5.2.2: an unknown type is normal.
    let Element::Message(m) = parse("<message type='whatever'><body>x</body></message>") else {
        panic!()
    };
    assert_eq!(m.kind, MessageType::Normal);
}

#[test]
fn extensions_are_kept() {
    let xml = "<message to='a@b' id='1'><request xmlns='urn:xmpp:receipts'/><x xmlns='jabber:x:data' type='form'><field var='a' xml:lang='en'><value>1 &lt; 2</value></field></x></message>";
    let Element::Message(m) = parse(xml) else {
        panic!()
    };
    assert_eq!(m.payloads.len(), 2);
    let [Payload::Other(request), Payload::Other(form)] = &m.payloads[..] else {
        panic!()
    };
    assert_eq!(request.ns(), "urn:xmpp:receipts");
    assert_eq!(
        form.get_child("field", "jabber:x:data")
            .and_then(|f| f.get_child("value", "jabber:x:data"))
            .unwrap()
            .text(),
        "1 < 2"
    );
    // Found by the stanza_parse fuzzer: a top-level element in no
    // namespace keeps `xmlns=''` over WebSocket.
    let ws = Context::client_websocket();
    let el = Element::parse(b"<auth xmlns='' mechanism='PLIN'>AGp1</auth>", &ws).unwrap();
    let bytes = el.to_bytes(&ws).unwrap();
    assert!(bytes.starts_with(b"<auth xmlns=''"));
    assert_eq!(Element::parse(&bytes, &ws).unwrap(), el);
    // Unknown top-level elements too.
    let Element::Unknown(el) = parse("<t xmlns='urn:xmpp:sm:3' stanzas='5'/>") else {
        panic!()
    };
    assert_eq!(el.ns(), "urn:xmpp:sm:3");
}

#[test]
fn disco_and_ping() {
    // XEP-0199 example 1 and XEP-0030 example 2.
    let Element::Iq(iq) = parse(
        "<iq from='capulet.lit' to='juliet@capulet.lit/balcony' id='s2c1' type='get'>\n  <ping xmlns='urn:xmpp:ping'/>\n</iq>",
    ) else {
        panic!()
    };
    assert_eq!(iq.payload, Some(IqPayload::Ping));
    let Element::Iq(iq) = parse(
        "<iq type='result'\n    from='plays.shakespeare.lit'\n    to='romeo@montague.net/orchard'\n    id='info1'>\n  <query xmlns='http://jabber.org/protocol/disco#info'>\n    <identity\n        category='conference'\n        type='text'\n        name='Play-Specific Chatrooms'/>\n    <identity\n        category='directory'\n        type='chatroom'\n        name='Play-Specific Chatrooms'/>\n    <feature var='http://jabber.org/protocol/disco#info'/>\n    <feature var='http://jabber.org/protocol/disco#items'/>\n    <feature var='http://jabber.org/protocol/muc'/>\n    <feature var='jabber:iq:register'/>\n    <feature var='jabber:iq:search'/>\n    <feature var='jabber:iq:time'/>\n    <feature var='jabber:iq:version'/>\n  </query>\n</iq>",
    ) else {
        panic!()
    };
    let Some(IqPayload::DiscoInfo(d)) = iq.payload else {
        panic!()
    };
    assert_eq!(d.identities.len(), 2);
    assert_eq!(d.identities[0].kind, "text");
    assert_eq!(d.features.len(), 7);
}

#[test]
fn iq_rules() {
    // RFC 6120 8.2.3: id required; get/set carry exactly one child.
    for bad in [
        "<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>",
        "<iq id='1'><ping xmlns='urn:xmpp:ping'/></iq>",
        "<iq id='1' type='get'/>",
        "<iq id='1' type='set'><a xmlns='x'/><b xmlns='y'/></iq>",
        "<iq id='1' type='error'/>",
        "<iq id='1' type='fetch'><ping xmlns='urn:xmpp:ping'/></iq>",
        "<iq id='1' type='result' to='@bad'/>",
    ] {
        assert!(Element::parse(bad.as_bytes(), &ctx()).is_err(), "{bad}");
    }
    let err = Element::parse(
        b"<iq id='1' type='get' to='a@b/'><ping xmlns='urn:xmpp:ping'/></iq>",
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(
        err.stanza_condition(),
        Some((StanzaErrorType::Modify, StanzaErrorCondition::JidMalformed))
    );
    // A result is never answered with a response.
    let err = Element::parse(b"<iq id='1' type='result' to='a@b/'/>", &ctx()).unwrap_err();
    assert_eq!(err.stanza_condition(), None);
}

#[test]
fn namespaces_follow_the_context() {
    // Over WebSocket each stanza carries its own xmlns (RFC 7395 section 3.3).
    let ws = Context::client_websocket();
    let m = Message::chat(jid("juliet@example.com"), "hi");
    let mut out = Vec::new();
    m.serialize(&ws, &mut out).unwrap();
    assert_eq!(
        out,
        b"<message xmlns='jabber:client' type='chat' to='juliet@example.com'><body>hi</body></message>"
    );
    out.clear();
    m.serialize(&Context::client_tcp(), &mut out).unwrap();
    assert_eq!(
        out,
        b"<message type='chat' to='juliet@example.com'><body>hi</body></message>"
    );
    // A server stanza on a client stream is refused.
    let err = Element::parse(b"<message xmlns='jabber:server'/>", &ctx()).unwrap_err();
    assert_eq!(
        err.stream_condition(),
        StreamErrorCondition::InvalidNamespace
    );
    let Element::Message(_) =
        Element::parse(b"<message xmlns='jabber:server'/>", &Context::server_tcp()).unwrap()
    else {
        panic!()
    };
    // A prefixed stanza is fine when the prefix is declared.
    let Element::Message(m) = Element::parse(
        b"<c:message xmlns:c='jabber:client'><c:body>x</c:body></c:message>",
        &ctx(),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(m.body(), Some("x"));
    assert_eq!(
        Element::parse(b"<x:message/>", &ctx())
            .unwrap_err()
            .stream_condition(),
        StreamErrorCondition::BadNamespacePrefix
    );
    assert_eq!(
        Element::parse(b"<message><!--x--></message>", &ctx())
            .unwrap_err()
            .stream_condition(),
        StreamErrorCondition::RestrictedXml
    );
}

#[test]
fn rfc6120_5_4_2_starttls() {
    assert_eq!(
        parse("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        Element::Tls(Tls::StartTls)
    );
    assert_eq!(
        parse("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        Element::Tls(Tls::Proceed)
    );
    assert_eq!(
        parse("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        Element::Tls(Tls::Failure)
    );
}

#[test]
fn xep0198_stream_management() {
    // Examples 3, 4, 5 and 9 (1.6).
    let Element::Sm(Sm::Enable(e)) = parse("<enable xmlns='urn:xmpp:sm:3' resume='true'/>") else {
        panic!()
    };
    assert!(e.resume && e.max.is_none());
    let Element::Sm(Sm::Enabled(e)) =
        parse("<enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' resume='true'/>")
    else {
        panic!()
    };
    assert_eq!(e.id.as_deref(), Some("some-long-sm-id"));
    assert!(e.resume);
    let Element::Sm(Sm::Enabled(e)) = parse(
        "<enabled xmlns='urn:xmpp:sm:3' id='x' location='[2001:41D0:1:A49b::1]:9222' max='600' resume='1'/>",
    ) else {
        panic!()
    };
    assert_eq!(e.max, Some(600));
    assert_eq!(e.location.as_deref(), Some("[2001:41D0:1:A49b::1]:9222"));
    let Element::Sm(Sm::Failed(f)) = parse(
        "<failed xmlns='urn:xmpp:sm:3' h='22'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>",
    ) else {
        panic!()
    };
    assert_eq!(f.h, Some(22));
    assert_eq!(f.condition, Some(StanzaErrorCondition::UnexpectedRequest));
    assert_eq!(
        parse("<r xmlns='urn:xmpp:sm:3'/>"),
        Element::Sm(Sm::Request)
    );
    assert_eq!(
        parse("<a xmlns='urn:xmpp:sm:3' h='4294967295'/>"),
        Element::Sm(Sm::Ack(u32::MAX))
    );
    let Element::Sm(Sm::Resume(r)) = parse(
        "<resume xmlns='urn:xmpp:sm:3' h='some-number' previd='some-long-sm-id'/>"
            .replace("some-number", "3")
            .as_str(),
    ) else {
        panic!()
    };
    assert_eq!((r.h, r.previd.as_str()), (3, "some-long-sm-id"));
    let Element::Sm(Sm::Resumed(r)) =
        parse("<resumed xmlns='urn:xmpp:sm:3' h='7' previd='some-long-sm-id'/>")
    else {
        panic!()
    };
    assert_eq!(r.h, 7);
    for bad in [
        "<a xmlns='urn:xmpp:sm:3'/>",
        "<a xmlns='urn:xmpp:sm:3' h='-1'/>",
        "<a xmlns='urn:xmpp:sm:3' h='4294967296'/>",
        "<resume xmlns='urn:xmpp:sm:3' h='1'/>",
        "<resumed xmlns='urn:xmpp:sm:3' previd='x'/>",
    ] {
        assert!(Element::parse(bad.as_bytes(), &ctx()).is_err(), "{bad}");
    }
}

#[test]
fn xep0352_client_state_indication() {
    assert_eq!(
        parse("<active xmlns='urn:xmpp:csi:0'/>"),
        Element::Csi(Csi::Active)
    );
    assert_eq!(
        parse("<inactive xmlns='urn:xmpp:csi:0'/>"),
        Element::Csi(Csi::Inactive)
    );
    let Element::Features(f) =
        parse("<stream:features><csi xmlns='urn:xmpp:csi:0'/></stream:features>")
    else {
        panic!()
    };
    assert!(f.csi && f.other.is_empty());
}

#[test]
fn xep0203_delay_and_xep0297_forwarding() {
    // XEP-0203 example 1 (offline storage).
    let Element::Message(m) = parse(
        "<message from='romeo@montague.net/orchard' to='juliet@capulet.com' type='chat'>\n  <body>O blessed, blessed night! I am afeard.</body>\n  <delay xmlns='urn:xmpp:delay' from='capulet.com' stamp='2002-09-10T23:08:25Z'>Offline Storage</delay>\n</message>",
    ) else {
        panic!()
    };
    let [Payload::Delay(d)] = &m.payloads[..] else {
        panic!()
    };
    assert_eq!(d.stamp, "2002-09-10T23:08:25Z");
    assert_eq!(d.from, Some(jid("capulet.com")));
    assert_eq!(d.reason.as_deref(), Some("Offline Storage"));
    // XEP-0297 example 2.
    let Element::Message(m) = parse(
        "<message to='mercutio@verona.lit' from='romeo@montague.lit/orchard' type='chat' id='28gs'>\n  <body>A most courteous exposition!</body>\n  <forwarded xmlns='urn:xmpp:forward:0'>\n    <delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>\n    <message from='juliet@capulet.lit/orchard' id='0202197' to='romeo@montague.lit' type='chat' xmlns='jabber:client'>\n        <body>Yet I should kill thee with much cherishing.</body>\n        <mood xmlns='http://jabber.org/protocol/mood'>\n            <amorous/>\n        </mood>\n    </message>\n  </forwarded>\n</message>",
    ) else {
        panic!()
    };
    let [Payload::Forwarded(f)] = &m.payloads[..] else {
        panic!()
    };
    assert_eq!(
        f.delay.as_ref().map(|d| d.stamp.as_str()),
        Some("2010-07-10T23:08:25Z")
    );
    assert_eq!(f.namespace, StreamNamespace::Client);
    let AnyStanza::Message(inner) = &*f.stanza else {
        panic!()
    };
    assert_eq!(
        inner.body(),
        Some("Yet I should kill thee with much cherishing.")
    );
    // The forwarded stanza keeps jabber:client on a server stream.
    let Element::Message(outer) = Element::parse(
        &Element::Message(m.clone())
            .to_bytes(&Context::server_tcp())
            .unwrap(),
        &Context::server_tcp(),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(outer.payloads, m.payloads);
    for bad in [
        "<message><forwarded xmlns='urn:xmpp:forward:0'/></message>",
        "<message><forwarded xmlns='urn:xmpp:forward:0'><x xmlns='urn:x'/></forwarded></message>",
        "<message><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'/><message xmlns='jabber:client'/></forwarded></message>",
        "<message><delay xmlns='urn:xmpp:delay'/></message>",
    ] {
        assert!(Element::parse(bad.as_bytes(), &ctx()).is_err(), "{bad}");
    }
}

#[test]
fn xep0280_carbons() {
    // Examples 3 and 12, 13 and 14 (1.0).
    let Element::Iq(iq) = parse(
        "<iq xmlns='jabber:client' from='romeo@montague.example/garden' id='enable1' type='set'>\n  <enable xmlns='urn:xmpp:carbons:2'/>\n</iq>",
    ) else {
        panic!()
    };
    assert_eq!(iq.payload, Some(IqPayload::CarbonsEnable));
    let Element::Iq(iq) =
        parse("<iq id='disable1' type='set'><disable xmlns='urn:xmpp:carbons:2'/></iq>")
    else {
        panic!()
    };
    assert_eq!(iq.payload, Some(IqPayload::CarbonsDisable));
    let Element::Message(m) = parse(
        "<message xmlns='jabber:client' from='romeo@montague.example' to='romeo@montague.example/home' type='chat'>\n  <received xmlns='urn:xmpp:carbons:2'>\n    <forwarded xmlns='urn:xmpp:forward:0'>\n      <message xmlns='jabber:client' from='juliet@capulet.example/balcony' to='romeo@montague.example/garden' type='chat'>\n        <body>What man art thou that, thus bescreen'd in night, so stumblest on my counsel?</body>\n        <thread>0e3141cd80894871a68e6fe6b1ec56fa</thread>\n      </message>\n    </forwarded>\n  </received>\n</message>",
    ) else {
        panic!()
    };
    let [Payload::CarbonReceived(f)] = &m.payloads[..] else {
        panic!()
    };
    assert_eq!(
        f.stanza.as_stanza().from(),
        Some(&jid("juliet@capulet.example/balcony"))
    );
    let Element::Message(m) = parse(
        "<message from='romeo@montague.example' to='romeo@montague.example/garden' type='chat'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' to='juliet@capulet.example/balcony' from='romeo@montague.example/home' type='chat'><body>Neither, fair saint, if either thee dislike.</body></message></forwarded></sent></message>",
    ) else {
        panic!()
    };
    assert!(matches!(&m.payloads[..], [Payload::CarbonSent(_)]));
    let Element::Message(m) = parse(
        "<message to='juliet@capulet.example/balcony' type='chat'><body>private</body><private xmlns='urn:xmpp:carbons:2'/><no-copy xmlns='urn:xmpp:hints'/></message>",
    ) else {
        panic!()
    };
    assert_eq!(m.payloads[0], Payload::CarbonPrivate);
    assert!(
        Element::parse(
            b"<message><received xmlns='urn:xmpp:carbons:2'/></message>",
            &ctx()
        )
        .is_err()
    );
}

#[test]
fn xep0191_blocking() {
    // Examples 1, 2, 5, 8, 12 and 17 (1.3).
    let Element::Iq(iq) =
        parse("<iq type='get' id='blocklist1'><blocklist xmlns='urn:xmpp:blocking'/></iq>")
    else {
        panic!()
    };
    assert_eq!(
        iq.payload,
        Some(IqPayload::Blocking(Blocking::List(vec![])))
    );
    let Element::Iq(iq) = parse(
        "<iq type='result' id='blocklist1'>\n  <blocklist xmlns='urn:xmpp:blocking'>\n    <item jid='romeo@montague.net'/>\n    <item jid='iago@shakespeare.lit'/>\n  </blocklist>\n</iq>",
    ) else {
        panic!()
    };
    assert_eq!(
        iq.payload,
        Some(IqPayload::Blocking(Blocking::List(vec![
            jid("romeo@montague.net"),
            jid("iago@shakespeare.lit")
        ])))
    );
    let Element::Iq(iq) = parse(
        "<iq from='juliet@capulet.com/chamber' type='set' id='block1'><block xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/></block></iq>",
    ) else {
        panic!()
    };
    assert_eq!(
        iq.payload,
        Some(IqPayload::Blocking(Blocking::Block(vec![jid(
            "romeo@montague.net"
        )])))
    );
    let Element::Iq(iq) =
        parse("<iq type='set' id='unblock2'><unblock xmlns='urn:xmpp:blocking'/></iq>")
    else {
        panic!()
    };
    assert_eq!(
        iq.payload,
        Some(IqPayload::Blocking(Blocking::Unblock(vec![])))
    );
    let Element::Message(m) = parse(
        "<message type='error' from='romeo@montague.net' to='juliet@capulet.com/chamber'><error type='cancel'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><blocked xmlns='urn:xmpp:blocking:errors'/></error></message>",
    ) else {
        panic!()
    };
    let error = m.error.unwrap();
    assert!(error.is_blocked());
    assert_eq!(error, StanzaError::blocked());
    assert!(Element::parse(b"<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'><item jid='@bad'/></block></iq>", &ctx()).is_err());
}

#[test]
fn xep0030_disco_items() {
    // Examples 9 and 17.
    let Element::Iq(iq) = parse(
        "<iq type='result' from='shakespeare.lit' to='romeo@montague.net/orchard' id='items1'>\n  <query xmlns='http://jabber.org/protocol/disco#items'>\n    <item jid='people.shakespeare.lit' name='Directory of Characters'/>\n    <item jid='plays.shakespeare.lit' name='Play-Specific Chatrooms'/>\n    <item jid='mim.shakespeare.lit' name='Gateway to Marlowe IM'/>\n    <item jid='words.shakespeare.lit' name='Shakespearean Lexicon'/>\n    <item jid='globe.shakespeare.lit' name='Calendar of Performances'/>\n    <item jid='headlines.shakespeare.lit' name='Latest Shakespearean News'/>\n    <item jid='catalog.shakespeare.lit' name='Buy Shakespeare Stuff!'/>\n    <item jid='en2fr.shakespeare.lit' name='French Translation Service'/>\n  </query>\n</iq>",
    ) else {
        panic!()
    };
    let Some(IqPayload::DiscoItems(items)) = iq.payload else {
        panic!()
    };
    assert_eq!(items.items.len(), 8);
    assert_eq!(items.items[0].jid, jid("people.shakespeare.lit"));
    assert_eq!(
        items.items[7].name.as_deref(),
        Some("French Translation Service")
    );
    let Element::Iq(iq) = parse(
        "<iq type='result' id='items2'><query xmlns='http://jabber.org/protocol/disco#items' node='music'><item jid='catalog.shakespeare.lit' node='books' name='Books by and about Shakespeare'/></query></iq>",
    ) else {
        panic!()
    };
    let Some(IqPayload::DiscoItems(items)) = iq.payload else {
        panic!()
    };
    assert_eq!(items.node.as_deref(), Some("music"));
    assert_eq!(items.items[0].node.as_deref(), Some("books"));
}

//! Arbitrary Unicode and arbitrary names through every writer: the output
//! is either refused, with the buffer left as it was and a reason that
//! holds, or parses back to the same value. Refusals are checked against
//! XML 1.0's `Char` production and rxml's NCName check, not against this
//! crate's own predicates.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatwire_xmpp_stanza::minidom;
use chatwire_xmpp_stanza::minidom::rxml::{Namespace, NcName};
use chatwire_xmpp_stanza::*;
use common::{Gen, any_char, contexts, element};
use proptest::collection::vec;
use proptest::prelude::*;

/// XML 1.0 (fifth edition) section 2.2, production [2].
fn is_xml_char(c: char) -> bool {
    matches!(u32::from(c), 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

fn is_ncname(s: &str) -> bool {
    NcName::try_from(s).is_ok()
}

/// Attribute names a writer may refuse although they are NCNames: they
/// would redeclare the namespace or repeat an attribute the element has.
const RESERVED: &[&str] = &["xmlns", "to", "from", "id", "type", "lang"];

/// Serialises into a buffer holding `prefix` and checks the contract.
fn check(el: &Element, ctx: &Context) -> Result<(), SerializeError> {
    let mut out = b"prefix".to_vec();
    match el.serialize(ctx, &mut out) {
        Err(e) => {
            assert_eq!(out, b"prefix", "a refusal leaves the buffer as it was");
            match &e {
                SerializeError::InvalidChar { ch, .. } => {
                    assert!(!is_xml_char(*ch), "{ch:?} refused but allowed by XML")
                }
                SerializeError::InvalidName(name) => assert!(
                    !is_ncname(name) || RESERVED.contains(&name.as_str()),
                    "{name:?} refused but an NCName"
                ),
                _ => {}
            }
            Err(e)
        }
        Ok(()) => {
            let bytes = &out[6..];
            let again = Element::parse(bytes, ctx)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)));
            assert_eq!(&again, el, "{}", String::from_utf8_lossy(bytes));
            Ok(())
        }
    }
}

fn unicode(max: usize) -> impl Strategy<Value = String> {
    vec(any_char(), 0..max).prop_map(|cs| cs.into_iter().collect())
}

/// The first character XML does not allow, with its byte offset.
fn first_disallowed(s: &str) -> Option<(usize, char)> {
    s.char_indices().find(|(_, c)| !is_xml_char(*c))
}

/// Every place a writer puts character data or an attribute value, each
/// given the string under test (the namespace places prefix it with
/// `urn:`, four bytes).
fn text_positions(s: &str) -> Vec<(&'static str, Element)> {
    let jid = Jid::new("juliet@example.com").unwrap();
    let mut list = Vec::new();
    let message = |f: &dyn Fn(&mut Message)| {
        let mut m = Message::chat(jid.clone(), "hi");
        f(&mut m);
        Element::Message(m)
    };
    list.push(("body", message(&|m| m.bodies = vec![Text::new(s)])));
    list.push((
        "body lang",
        message(&|m| m.bodies = vec![Text::with_lang(s, "x")]),
    ));
    list.push(("subject", message(&|m| m.subjects = vec![Text::new(s)])));
    list.push(("message id", message(&|m| m.id = Some(s.to_owned()))));
    list.push(("message lang", message(&|m| m.lang = Some(s.to_owned()))));
    list.push(("thread", message(&|m| m.thread = Some(Thread::new(s)))));
    list.push((
        "extra attribute",
        message(&|m| m.extra_attrs = vec![ExtraAttr::new("x", s)]),
    ));
    list.push((
        "extra attribute namespace",
        message(&|m| m.extra_attrs = vec![ExtraAttr::namespaced(format!("urn:{s}"), "x", "v")]),
    ));
    list.push(("tree text", {
        // minidom can hold an empty text node, which has no XML form.
        let mut el = minidom::Element::bare("x", "urn:x");
        if !s.is_empty() {
            el.append_text(s);
        }
        message(&|m| m.payloads = vec![Payload::Other(el.clone())])
    }));
    list.push(("tree attribute", {
        let mut el = minidom::Element::bare("x", "urn:x");
        el.set_attr(Namespace::NONE, NcName::try_from("a").unwrap(), s);
        message(&|m| m.payloads = vec![Payload::Other(el.clone())])
    }));
    list.push(("tree namespace", {
        let el = minidom::Element::bare("x", format!("urn:{s}"));
        message(&|m| m.payloads = vec![Payload::Other(el.clone())])
    }));
    list.push((
        "delay stamp",
        message(&|m| m.payloads = vec![Payload::Delay(Delay::new(s))]),
    ));
    list.push(("error text", {
        let mut e = StanzaError::new(StanzaErrorCondition::BadRequest);
        e.texts.push(Text::new(s));
        e.code = Some("400".into());
        let iq = Iq::get("1", IqPayload::Ping).error_reply(e).unwrap();
        Element::Iq(iq)
    }));
    list.push(("iq id", Element::Iq(Iq::get(s, IqPayload::Ping))));
    list.push(("roster group", {
        let mut item = RosterItem::new(jid.clone());
        item.groups.push(s.to_owned());
        let mut roster = Roster::default();
        roster.items.push(item);
        Element::Iq(Iq::set("1", IqPayload::Roster(roster)))
    }));
    list.push(("disco feature", {
        let mut info = DiscoInfo::default();
        info.features.push(s.to_owned());
        Element::Iq(Iq::get("1", IqPayload::DiscoInfo(info)))
    }));
    list.push(("see-other-host", {
        Element::StreamError(StreamError::new(StreamErrorCondition::SeeOtherHost(
            s.to_owned(),
        )))
    }));
    list.push((
        "sasl mechanism",
        Element::Sasl(Sasl::Auth {
            mechanism: s.to_owned(),
            initial_response: None,
        }),
    ));
    list.push(("sm previd", Element::Sm(Sm::Resume(SmResume::new(1, s)))));
    list
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Whole values with arbitrary strings and names everywhere.
    #[test]
    fn arbitrary_values_are_refused_or_round_trip(el in element(&Gen::arbitrary())) {
        for ctx in contexts() {
            let _ = check(&el, &ctx);
        }
    }

    /// Text and attribute values are refused exactly when they hold a
    /// character XML does not allow, and the error names the first one.
    #[test]
    fn text_is_refused_exactly_when_xml_refuses_it(s in unicode(24)) {
        let expected = first_disallowed(&s)
            .map(|(position, ch)| SerializeError::InvalidChar { ch, position });
        for (place, el) in text_positions(&s) {
            let result = check(&el, &Context::client_websocket());
            let expected = expected.clone().map(|e| match e {
                SerializeError::InvalidChar { ch, position } if place.ends_with("namespace") => {
                    SerializeError::InvalidChar { ch, position: position + 4 }
                }
                e => e,
            });
            match (&expected, result) {
                (None, Ok(())) => {}
                (Some(e), Err(got)) => prop_assert_eq!(e, &got, "{}", place),
                (e, got) => prop_assert!(false, "{}: expected {:?}, got {:?}", place, e, got),
            }
        }
    }

    /// Element and attribute names are refused exactly when they are not
    /// NCNames (or would redeclare the namespace).
    #[test]
    fn names_are_refused_exactly_when_xml_refuses_them(name in prop_oneof![unicode(8), "[a-z:_.\\-0-9\u{b7}\u{300}\u{37e}\u{2070}]{0,6}"]) {
        let valid = is_ncname(&name);
        let tree = Element::Unknown(minidom::Element::bare(name.clone(), "urn:x"));
        let mut m = Message::default();
        m.extra_attrs.push(ExtraAttr::namespaced("urn:x", name.clone(), "v"));
        let namespaced = Element::Message(m);
        let mut m = Message::default();
        m.extra_attrs.push(ExtraAttr::new(name.clone(), "v"));
        let plain = Element::Message(m);
        let mut condition = Sasl::Failure(SaslFailure::new(SaslCondition::Other(name.clone())));
        if SaslCondition::from_name(&name).is_some() || name == "text" {
            condition = Sasl::Abort;
        }
        for el in [tree, namespaced, plain, Element::Sasl(condition)] {
            let reserved = RESERVED.contains(&name.as_str());
            match check(&el, &Context::client_tcp()) {
                Ok(()) => prop_assert!(valid && !reserved, "{:?} accepted", name),
                Err(SerializeError::InvalidName(n)) => {
                    prop_assert_eq!(&n, &name);
                    prop_assert!(!valid || reserved);
                }
                Err(other) => prop_assert!(false, "{:?}: {:?}", name, other),
            }
        }
    }
}

#[test]
fn surrogates_cannot_reach_a_writer() {
    // A Rust string cannot hold U+D800..U+DFFF; the reader refuses their
    // (ill-formed) UTF-8 encoding before anything else.
    let bytes = b"<message><body>\xED\xA0\x80</body></message>";
    let refused = Element::parse(bytes, &Context::client_tcp()).map_err(|e| e.into_error());
    assert_eq!(refused, Err(Error::Utf8));
}

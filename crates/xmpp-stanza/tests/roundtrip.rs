//! `parse(serialize(x)) == x` for generated values of every type, in both
//! framings, plus re-scoping between content namespaces and "never panics"
//! on mutated input.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatwire_xmpp_stanza::minidom;
use chatwire_xmpp_stanza::*;
use common::{Gen, contexts, element};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn round_trip(el in element(&Gen::clean())) {
        for ctx in contexts() {
            let bytes = el.to_bytes(&ctx);
            prop_assert!(bytes.is_ok(), "{:?}: {:?}", bytes, el);
            let bytes = bytes.unwrap();
            let again = Element::parse(&bytes, &ctx);
            prop_assert_eq!(again.as_ref(), Ok(&el), "{}", String::from_utf8_lossy(&bytes));
            // Serialising the parsed value gives the same bytes.
            let twice = again.map(|a| a.to_bytes(&ctx)).unwrap().unwrap();
            prop_assert_eq!(&twice, &bytes);
        }
    }

    /// Extension elements in either content namespace are written in the
    /// namespace of the stream they go to, at any depth (RFC 6120 4.8.3).
    #[test]
    fn rescoping(el in element(&Gen::clean()), depth in 0..3usize, at in any::<prop::sample::Index>()) {
        let mixed = with_content_child(el.clone(), depth, at, ["jabber:client", "jabber:server"]);
        for (ctx, ns) in [
            (Context::client_tcp(), "jabber:client"),
            (Context::client_websocket(), "jabber:client"),
            (Context::server_tcp(), "jabber:server"),
        ] {
            let bytes = mixed.to_bytes(&ctx).unwrap();
            let again = Element::parse(&bytes, &ctx).unwrap();
            let expected = with_content_child(el.clone(), depth, at, [ns, ns]);
            prop_assert_eq!(again, expected, "{}", String::from_utf8_lossy(&bytes));
        }
    }

    /// Below a `<forwarded/>` kept in an extension element, the forwarded
    /// stanza keeps its namespace, and so does everything in it (XEP-0297
    /// section 3.2), whatever the stream.
    #[test]
    fn forwarded_in_a_kept_tree_is_not_rescoped(el in element(&Gen::clean()), depth in 0..3usize, at in any::<prop::sample::Index>(), ns in prop::sample::select(&["jabber:client", "jabber:server"][..])) {
        let other = if ns == "jabber:client" { "jabber:server" } else { "jabber:client" };
        let kept = with_content_child(el, depth, at, [ns, other]);
        let forwarded = in_forwarded(kept);
        for ctx in [Context::client_tcp(), Context::client_websocket(), Context::server_tcp()] {
            let bytes = forwarded.to_bytes(&ctx).unwrap();
            let again = Element::parse(&bytes, &ctx).unwrap();
            prop_assert_eq!(&again, &forwarded, "{}", String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn mutations_never_panic(el in element(&Gen::clean()), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let ctx = Context::client_tcp();
        let mut bytes = el.to_bytes(&ctx).unwrap();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        // Whatever still parses is written and read back unchanged.
        if let Ok(mutated) = Element::parse(&bytes, &ctx) {
            let written = mutated.to_bytes(&ctx);
            prop_assert!(written.is_ok(), "{:?}: {}", written, String::from_utf8_lossy(&bytes));
            let again = Element::parse(&written.unwrap(), &ctx);
            prop_assert_eq!(again, Ok(mutated));
        }
        bytes.truncate(i);
        // Every strict prefix of one element is incomplete.
        prop_assert!(Element::parse(&bytes, &ctx).is_err());
    }
}

/// `el` with an extension added to a stanza, `depth` levels down: `<note/>`
/// in `ns[0]` holding `<inner/>` in `ns[1]`.
fn with_content_child(
    el: Element,
    depth: usize,
    at: prop::sample::Index,
    ns: [&str; 2],
) -> Element {
    let mut child = minidom::Element::bare("note", ns[0]);
    child.append_child(minidom::Element::bare("inner", ns[1]));
    for level in 0..depth {
        let mut wrapper = minidom::Element::bare(format!("w{level}"), "urn:example:wrap");
        wrapper.append_child(child);
        child = wrapper;
    }
    match el {
        Element::Message(mut m) => {
            let i = at.index(m.payloads.len() + 1);
            m.payloads.insert(i, Payload::Other(child));
            Element::Message(m)
        }
        Element::Presence(mut p) => {
            p.payloads.push(Payload::Other(child));
            Element::Presence(p)
        }
        Element::Iq(mut iq) => {
            if let Some(e) = iq.error.as_mut() {
                e.apps.push(child);
            } else if iq.payload.is_none() {
                iq.payload = Some(IqPayload::Other(child));
            }
            Element::Iq(iq)
        }
        other => other,
    }
}

/// `el` with its extension elements (the one [`with_content_child`] added
/// among them) wrapped in `<result><forwarded>...</forwarded></result>`, as
/// an archive sends them.
fn in_forwarded(el: Element) -> Element {
    let wrap = |child: minidom::Element| {
        let mut forwarded = minidom::Element::bare("forwarded", ns::FORWARD);
        forwarded.append_child(child);
        let mut result = minidom::Element::bare("result", "urn:example:archive");
        result.append_child(forwarded);
        result
    };
    let wrap_last = |payloads: &mut Vec<minidom::Element>| {
        if let Some(last) = payloads.pop() {
            payloads.push(wrap(last));
        }
    };
    match el {
        Element::Message(mut m) => {
            for p in &mut m.payloads {
                if let Payload::Other(tree) = p {
                    *tree = wrap(tree.clone());
                }
            }
            Element::Message(m)
        }
        Element::Presence(mut p) => {
            if let Some(Payload::Other(tree)) = p.payloads.last_mut() {
                *tree = wrap(tree.clone());
            }
            Element::Presence(p)
        }
        Element::Iq(mut iq) => {
            if let Some(e) = iq.error.as_mut() {
                wrap_last(&mut e.apps);
            } else if let Some(IqPayload::Other(tree)) = iq.payload.as_mut() {
                *tree = wrap(tree.clone());
            }
            Element::Iq(iq)
        }
        other => other,
    }
}

#[test]
fn prefixed_input_round_trips() {
    // Prefixes are not kept, the namespaces are.
    let xml = "<c:message xmlns:c='jabber:client' xmlns:p='urn:p' p:a='1'><c:body>x</c:body>\
               <p:x xmlns:q='urn:q' q:b='2'><q:y p:c='3'>t</q:y><z/></p:x></c:message>";
    for ctx in [Context::client_tcp(), Context::client_websocket()] {
        let el = Element::parse(xml.as_bytes(), &ctx).unwrap();
        let bytes = el.to_bytes(&ctx).unwrap();
        assert_eq!(Element::parse(&bytes, &ctx).unwrap(), el);
        let Element::Message(m) = el else { panic!() };
        assert_eq!(
            m.extra_attrs,
            vec![ExtraAttr::namespaced("urn:p", "a", "1")]
        );
        let Payload::Other(x) = &m.payloads[0] else {
            panic!()
        };
        assert_eq!(x.ns(), "urn:p");
        let y = x.get_child("y", "urn:q").unwrap();
        assert_eq!(y.attr_ns("urn:p", "c"), Some("3"));
        assert!(x.get_child("z", "jabber:client").is_some());
    }
}

/// The roster generator reaches every shape of item the round trip must
/// keep: unknown `subscription` and `ask` values and extension children,
/// which a roster item holds out of line.
#[test]
fn roster_generator_reaches_every_item_shape() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let strategy = common::roster(&Gen::clean());
    let mut runner = TestRunner::deterministic();
    let (mut unknown_subscription, mut unknown_ask, mut extensions) = (false, false, false);
    for _ in 0..256 {
        let roster = strategy.new_tree(&mut runner).unwrap().current();
        for item in &roster.items {
            unknown_subscription |= matches!(item.subscription(), Some(Subscription::Other(_)));
            unknown_ask |= matches!(item.ask(), Some(Ask::Other(_)));
            extensions |= !item.extensions().is_empty();
        }
    }
    assert!(unknown_subscription && unknown_ask && extensions);
}

//! Parses arbitrary bytes as a top-level XMPP element; whatever parses must
//! survive a serialise/parse round trip unchanged, in the same framing, and
//! whatever fails must never be answered with an error to an error or to
//! an iq result.
#![no_main]

use chatwire_xmpp_stanza::{
    Answer, Context, Element, Limits, ParseError, StanzaHeader, StanzaKind,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&control, body)) = data.split_first() else {
        return;
    };
    let mut ctx = match control % 3 {
        0 => Context::client_tcp(),
        1 => Context::client_websocket(),
        _ => Context::server_tcp(),
    };
    if control & 0x80 != 0 {
        ctx.limits = ctx
            .limits
            .with_max_depth(4)
            .with_max_attributes(4)
            .with_max_namespaces(4)
            .with_max_nodes(64);
    }
    if control & 0x40 != 0 {
        ctx = ctx
            .with_lang(Some("en".into()))
            .with_prefix("db", "jabber:server:dialback")
            .expect("a valid prefix");
    }
    let element = match Element::parse(body, &ctx) {
        Ok(element) => element,
        Err(e) => return check_answer(&e),
    };
    let bytes = match element.to_bytes(&ctx) {
        Ok(bytes) => bytes,
        Err(e) => panic!("a parsed value refused by the writer: {e}\n{element:?}"),
    };
    let again = match Element::parse(&bytes, &ctx.clone().with_limits(Limits::default())) {
        Ok(again) => again,
        Err(e) => panic!("re-parse failed: {e}\n{}", String::from_utf8_lossy(&bytes)),
    };
    assert_eq!(again, element, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(again.to_bytes(&ctx), Ok(bytes));
});

/// RFC 6120 sections 8.3.1 and 8.2.3: an error stanza is never answered
/// with another, nor an iq result with a response, and a stanza error
/// needs a stanza to answer.
fn check_answer(e: &ParseError) {
    let answer = e.answer();
    let never_answered = |h: &StanzaHeader| {
        h.is_error() || (h.kind() == StanzaKind::Iq && h.stanza_type() == Some("result"))
    };
    match (e.header(), &answer) {
        (Some(h), Answer::Stanza(..)) => {
            assert!(!never_answered(h), "{e:?}");
            assert!(e.stanza_condition().is_some(), "{e:?}");
        }
        (None, Answer::Stanza(..) | Answer::Ignore) => panic!("no header: {e:?}"),
        (Some(h), Answer::Ignore) => assert!(never_answered(h), "{e:?}"),
        _ => assert_eq!(e.stanza_condition(), None),
    }
}

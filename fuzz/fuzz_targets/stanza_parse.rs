//! Parses arbitrary bytes as a top-level XMPP element; whatever parses must
//! survive a serialise/parse round trip unchanged, in the same framing.
#![no_main]

use chatwire_xmpp_stanza::{Context, Element};
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
        ctx.limits.max_depth = 4;
        ctx.limits.max_attributes = 4;
    }
    let Ok(element) = Element::parse(body, &ctx) else {
        return;
    };
    let bytes = match element.to_bytes(&ctx) {
        Ok(bytes) => bytes,
        Err(e) => panic!("a parsed value refused by the writer: {e}\n{element:?}"),
    };
    let again = match Element::parse(
        &bytes,
        &Context {
            limits: Default::default(),
            ..ctx
        },
    ) {
        Ok(again) => again,
        Err(e) => panic!("re-parse failed: {e}\n{}", String::from_utf8_lossy(&bytes)),
    };
    assert_eq!(again, element, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(again.to_bytes(&ctx), Ok(bytes));
});

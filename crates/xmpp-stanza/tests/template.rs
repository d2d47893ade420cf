//! `AddressTemplate` writes, byte for byte, what `serialize_addressed`
//! writes, for every stanza the generators reach and any pair of
//! addresses (resources with `'`, `&` and `<` included), in both framings.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatwire_xmpp_stanza::*;
use common::{Gen, contexts, iq, jid, message, presence};
use proptest::prelude::*;

fn any_stanza() -> impl Strategy<Value = AnyStanza> {
    let g = Gen::clean();
    prop_oneof![
        message(&g).prop_map(AnyStanza::Message),
        presence(&g).prop_map(AnyStanza::Presence),
        iq(&g).prop_map(AnyStanza::Iq),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn template_writes_what_serialize_addressed_writes(
        stanza in any_stanza(),
        from in proptest::option::of(jid()),
        to in proptest::option::of(jid()),
    ) {
        for ctx in contexts() {
            let mut direct = Vec::new();
            let direct_ok = stanza
                .serialize_addressed(&ctx, from.as_ref(), to.as_ref(), &mut direct)
                .is_ok();
            let Ok(template) = AddressTemplate::new(&stanza, &ctx) else {
                // A stanza the writer refuses is refused either way.
                prop_assert!(!direct_ok);
                continue;
            };
            let mut via = Vec::new();
            template.write(from.as_ref(), to.as_ref(), &mut via).unwrap();
            prop_assert_eq!(String::from_utf8_lossy(&via), String::from_utf8_lossy(&direct));
            if let Some(from) = &from {
                let mut fixed = Vec::new();
                template.clone().with_from(from).unwrap().write(None, to.as_ref(), &mut fixed).unwrap();
                prop_assert_eq!(String::from_utf8_lossy(&fixed), String::from_utf8_lossy(&direct));
            }
        }
    }
}

#[test]
fn an_id_that_looks_like_the_gap_is_not_the_gap() {
    let mut p = Presence::new(PresenceType::Available);
    p.id = Some(" to='x'".to_owned());
    let ctx = Context::client_websocket();
    let template = AddressTemplate::new(&p, &ctx).unwrap();
    let to = Jid::new("bob@example.com/a'b").unwrap();
    let mut via = Vec::new();
    template.write(None, Some(&to), &mut via).unwrap();
    let mut direct = Vec::new();
    p.serialize_addressed(&ctx, None, Some(&to), &mut direct)
        .unwrap();
    assert_eq!(via, direct);
}

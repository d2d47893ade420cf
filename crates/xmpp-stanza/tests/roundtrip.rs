//! `parse(serialize(x)) == x` for generated values of every type, in both
//! framings, plus "never panics" on mutated input.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use chatwire_xmpp_stanza::minidom;
use chatwire_xmpp_stanza::*;
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

fn text_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,16}",
        "[<>&'\" \t\n\ra-z]{0,12}",
        Just(String::new()),
    ]
}

fn jid() -> impl Strategy<Value = Jid> {
    (
        of("[a-zA-Z0-9._\\-\u{e9}\u{3a3}]{1,8}"),
        "[a-z0-9]{1,8}(\\.[a-z]{2,4})?",
        of("[!-~\u{265a}]([ -~]{0,8}[!-~])?"),
    )
        .prop_filter_map("valid jid", |(l, d, r)| {
            Jid::from_parts(l.as_deref(), &d, r.as_deref()).ok()
        })
}

fn text() -> impl Strategy<Value = Text> {
    (of("[a-z]{2}(-[A-Z]{2})?"), text_string()).prop_map(|(lang, text)| Text { lang, text })
}

fn leaf(ns: &'static [&'static str]) -> impl Strategy<Value = minidom::Element> {
    (
        "[a-z][a-z0-9]{0,6}",
        proptest::sample::select(ns),
        vec(("[a-z]{1,4}", 0..3usize, text_string()), 0..3),
        of("\\PC{1,10}"),
    )
        .prop_map(|(name, ns, attrs, text)| {
            let mut el = minidom::Element::bare(name, ns);
            for (attr, which, value) in attrs {
                let attr_ns = match which {
                    0 => minidom::rxml::Namespace::NONE,
                    1 => minidom::rxml::Namespace::XML,
                    _ => minidom::rxml::Namespace::from("urn:example:attr".to_owned()),
                };
                let name = minidom::rxml::NcName::try_from(attr.as_str()).unwrap();
                el.set_attr(attr_ns, name, value);
            }
            if let Some(t) = text {
                el.append_text(t);
            }
            el
        })
}

const PAYLOAD_NS: &[&str] = &["urn:example:a", "urn:example:b", ""];

/// Extension trees up to three levels deep, never in a namespace this
/// crate types.
fn payload() -> impl Strategy<Value = minidom::Element> {
    leaf(PAYLOAD_NS).prop_recursive(3, 12, 3, |inner| {
        (
            leaf(PAYLOAD_NS),
            vec(
                prop_oneof![inner.prop_map(Ok), "\\PC{1,6}".prop_map(Err)],
                0..4,
            ),
        )
            .prop_map(|(mut el, children)| {
                for c in children {
                    match c {
                        Ok(child) => {
                            el.append_child(child);
                        }
                        Err(t) => el.append_text(t),
                    }
                }
                el
            })
    })
}

fn stanza_condition() -> impl Strategy<Value = StanzaErrorCondition> {
    let names = [
        "bad-request",
        "conflict",
        "feature-not-implemented",
        "forbidden",
        "gone",
        "internal-server-error",
        "item-not-found",
        "jid-malformed",
        "not-acceptable",
        "not-allowed",
        "not-authorized",
        "policy-violation",
        "recipient-unavailable",
        "redirect",
        "registration-required",
        "remote-server-not-found",
        "remote-server-timeout",
        "resource-constraint",
        "service-unavailable",
        "subscription-required",
        "undefined-condition",
        "unexpected-request",
    ];
    (
        proptest::sample::select(names.to_vec()),
        of("xmpp:[a-z]{1,8}@example\\.net"),
    )
        .prop_map(|(n, t)| StanzaErrorCondition::from_name(n, t).unwrap())
}

fn stanza_error() -> impl Strategy<Value = StanzaError> {
    (
        proptest::sample::select(
            &[
                StanzaErrorType::Auth,
                StanzaErrorType::Cancel,
                StanzaErrorType::Continue,
                StanzaErrorType::Modify,
                StanzaErrorType::Wait,
            ][..],
        ),
        of(jid()),
        stanza_condition(),
        vec(text(), 0..3),
        of(payload()),
    )
        .prop_map(|(kind, by, condition, texts, app)| StanzaError {
            kind,
            by,
            condition,
            texts,
            app,
        })
}

fn message() -> impl Strategy<Value = Message> {
    (
        proptest::sample::select(
            &[
                MessageType::Normal,
                MessageType::Chat,
                MessageType::Groupchat,
                MessageType::Headline,
                MessageType::Error,
            ][..],
        ),
        (of(text_string()), of(jid()), of(jid()), of("[a-z]{2}")),
        vec(text(), 0..3),
        vec(text(), 0..3),
        of((text_string(), of(text_string()))),
        stanza_error(),
        vec(payload(), 0..3),
    )
        .prop_map(
            |(kind, (id, from, to, lang), subjects, bodies, thread, error, payloads)| Message {
                kind,
                id,
                from,
                to,
                lang,
                subjects,
                bodies,
                thread: thread.map(|(id, parent)| Thread { id, parent }),
                error: (kind == MessageType::Error).then_some(error),
                payloads,
            },
        )
}

fn presence() -> impl Strategy<Value = Presence> {
    (
        proptest::sample::select(
            &[
                PresenceType::Available,
                PresenceType::Error,
                PresenceType::Probe,
                PresenceType::Subscribe,
                PresenceType::Subscribed,
                PresenceType::Unavailable,
                PresenceType::Unsubscribe,
                PresenceType::Unsubscribed,
            ][..],
        ),
        (of(text_string()), of(jid()), of(jid()), of("[a-z]{2}")),
        of(proptest::sample::select(
            &[Show::Away, Show::Chat, Show::Dnd, Show::Xa][..],
        )),
        vec(text(), 0..3),
        of(any::<i8>()),
        stanza_error(),
        vec(payload(), 0..3),
    )
        .prop_map(
            |(kind, (id, from, to, lang), show, statuses, priority, error, payloads)| Presence {
                kind,
                id,
                from,
                to,
                lang,
                show,
                statuses,
                priority,
                error: (kind == PresenceType::Error).then_some(error),
                payloads,
            },
        )
}

fn roster() -> impl Strategy<Value = Roster> {
    let item = (
        jid(),
        of(text_string()),
        of(proptest::sample::select(
            &[
                Subscription::None,
                Subscription::To,
                Subscription::From,
                Subscription::Both,
                Subscription::Remove,
            ][..],
        )),
        any::<bool>(),
        any::<bool>(),
        vec(text_string(), 0..3),
    )
        .prop_map(
            |(jid, name, subscription, ask, approved, groups)| RosterItem {
                jid,
                name,
                subscription,
                ask,
                approved,
                groups,
            },
        );
    (of(text_string()), vec(item, 0..4)).prop_map(|(ver, items)| Roster { ver, items })
}

fn disco() -> impl Strategy<Value = DiscoInfo> {
    let identity = (
        "[a-z]{1,8}",
        "[a-z]{1,8}",
        of(text_string()),
        of("[a-z]{2}"),
    )
        .prop_map(|(category, kind, name, lang)| Identity {
            category,
            kind,
            name,
            lang,
        });
    (
        of(text_string()),
        vec(identity, 0..3),
        vec(text_string(), 0..4),
        vec(payload(), 0..2),
    )
        .prop_map(|(node, identities, features, extensions)| DiscoInfo {
            node,
            identities,
            features,
            extensions,
        })
}

fn iq_payload() -> impl Strategy<Value = IqPayload> {
    prop_oneof![
        (of(text_string()), of(jid()))
            .prop_map(|(resource, jid)| IqPayload::Bind(Bind { resource, jid })),
        Just(IqPayload::Session),
        Just(IqPayload::Ping),
        roster().prop_map(IqPayload::Roster),
        disco().prop_map(IqPayload::DiscoInfo),
        payload().prop_map(IqPayload::Other),
    ]
}

fn iq() -> impl Strategy<Value = Iq> {
    (
        proptest::sample::select(&[IqType::Get, IqType::Set, IqType::Result, IqType::Error][..]),
        text_string(),
        (of(jid()), of(jid()), of("[a-z]{2}")),
        iq_payload(),
        any::<bool>(),
        stanza_error(),
    )
        .prop_map(
            |(kind, id, (from, to, lang), payload, with_payload, error)| {
                let payload = match kind {
                    IqType::Get | IqType::Set => Some(payload),
                    _ => with_payload.then_some(payload),
                };
                Iq {
                    kind,
                    id,
                    from,
                    to,
                    lang,
                    payload,
                    error: (kind == IqType::Error).then_some(error),
                }
            },
        )
}

fn stream_error() -> impl Strategy<Value = StreamError> {
    let names = [
        "bad-format",
        "bad-namespace-prefix",
        "conflict",
        "connection-timeout",
        "host-gone",
        "host-unknown",
        "improper-addressing",
        "internal-server-error",
        "invalid-from",
        "invalid-namespace",
        "invalid-xml",
        "not-authorized",
        "not-well-formed",
        "policy-violation",
        "remote-connection-failed",
        "reset",
        "resource-constraint",
        "restricted-xml",
        "see-other-host",
        "system-shutdown",
        "undefined-condition",
        "unsupported-encoding",
        "unsupported-feature",
        "unsupported-stanza-type",
        "unsupported-version",
    ];
    (
        proptest::sample::select(names.to_vec()),
        "[a-z0-9.:\\[\\]]{0,20}",
        vec(text(), 0..3),
        of(payload()),
    )
        .prop_map(|(name, host, texts, app)| {
            let host = if name == "see-other-host" {
                host
            } else {
                String::new()
            };
            StreamError {
                condition: StreamErrorCondition::from_name(name, host).unwrap(),
                texts,
                app,
            }
        })
}

fn features() -> impl Strategy<Value = Features> {
    (
        of(any::<bool>()),
        of(vec("[A-Z0-9-]{1,12}", 0..4)),
        any::<bool>(),
        of(any::<bool>()),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        vec(payload(), 0..3),
    )
        .prop_map(
            |(
                starttls,
                mechanisms,
                bind,
                session,
                (sm, pre_approval, roster_versioning),
                other,
            )| {
                Features {
                    starttls,
                    mechanisms,
                    bind,
                    session,
                    sm,
                    pre_approval,
                    roster_versioning,
                    other,
                }
            },
        )
}

fn sasl() -> impl Strategy<Value = Sasl> {
    let conditions = [
        SaslCondition::Aborted,
        SaslCondition::AccountDisabled,
        SaslCondition::CredentialsExpired,
        SaslCondition::EncryptionRequired,
        SaslCondition::IncorrectEncoding,
        SaslCondition::InvalidAuthzid,
        SaslCondition::InvalidMechanism,
        SaslCondition::MalformedRequest,
        SaslCondition::MechanismTooWeak,
        SaslCondition::NotAuthorized,
        SaslCondition::TemporaryAuthFailure,
    ];
    prop_oneof![
        ("[A-Z0-9-]{1,20}", of(vec(any::<u8>(), 0..40))).prop_map(
            |(mechanism, initial_response)| Sasl::Auth {
                mechanism,
                initial_response
            }
        ),
        vec(any::<u8>(), 0..40).prop_map(Sasl::Challenge),
        vec(any::<u8>(), 0..40).prop_map(Sasl::Response),
        vec(any::<u8>(), 0..40).prop_map(Sasl::Success),
        Just(Sasl::Abort),
        (
            proptest::sample::select(conditions.to_vec()),
            vec(text(), 0..2)
        )
            .prop_map(|(condition, texts)| Sasl::Failure(SaslFailure { condition, texts })),
    ]
}

fn element() -> impl Strategy<Value = Element> {
    prop_oneof![
        message().prop_map(Element::Message),
        presence().prop_map(Element::Presence),
        iq().prop_map(Element::Iq),
        features().prop_map(Element::Features),
        stream_error().prop_map(Element::StreamError),
        sasl().prop_map(Element::Sasl),
        leaf(&["urn:xmpp:sm:3", "urn:example:a", ""]).prop_map(Element::Unknown),
    ]
}

fn contexts() -> [Context; 3] {
    [
        Context::client_tcp(),
        Context::client_websocket(),
        Context::server_tcp(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn round_trip(el in element()) {
        for ctx in contexts() {
            let bytes = el.to_bytes(&ctx);
            let again = Element::parse(&bytes, &ctx);
            prop_assert_eq!(again.as_ref(), Ok(&el), "{}", String::from_utf8_lossy(&bytes));
            // Serialising the parsed value gives the same bytes.
            let twice = again.map(|a| a.to_bytes(&ctx)).unwrap_or_default();
            prop_assert_eq!(&twice, &bytes);
        }
    }

    #[test]
    fn mutations_never_panic(el in element(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let ctx = Context::client_tcp();
        let mut bytes = el.to_bytes(&ctx);
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let _ = Element::parse(&bytes, &ctx);
        bytes.truncate(i);
        // Every strict prefix of one element is incomplete.
        prop_assert!(Element::parse(&bytes, &ctx).is_err());
    }
}

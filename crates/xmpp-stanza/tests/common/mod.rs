//! Proptest generators for every value this crate reads and writes, shared
//! by the round-trip and serialisation-safety properties.
//!
//! Every generator takes a [`Gen`], which says where strings, names and
//! namespace names come from: [`Gen::clean`] draws only values the writers
//! accept (the round-trip property expects every value to survive),
//! [`Gen::arbitrary`] draws from all of Unicode and from arbitrary names
//! (the safety property expects a refusal or a faithful round trip).

#![allow(dead_code, clippy::unwrap_used)]

use chatwire_xmpp_stanza::minidom;
use chatwire_xmpp_stanza::minidom::rxml::{Namespace, NcName};
use chatwire_xmpp_stanza::*;
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use proptest::sample::select;

/// Where generated strings come from.
#[derive(Clone)]
pub struct Gen {
    /// Character data and attribute values.
    pub text: BoxedStrategy<String>,
    /// Element and attribute names.
    pub name: BoxedStrategy<String>,
    /// Namespace names of extension elements and attributes.
    pub ns: BoxedStrategy<String>,
    /// Values of open enumerations (`Other` variants, mechanism names).
    pub token: BoxedStrategy<String>,
}

/// Namespaces for extension trees: none that this crate types, and no
/// stanza content namespace (those are re-scoped, tested on their own).
pub const PAYLOAD_NS: &[&str] = &["urn:example:a", "urn:example:b", "", "urn:xmpp:receipts"];

/// The namespaces nothing may be declared (Namespaces in XML 1.0 section 3).
pub const RESERVED_NS: &[&str] = &[ns::XML, "http://www.w3.org/2000/xmlns/"];

impl Gen {
    /// Only what the writers accept.
    pub fn clean() -> Gen {
        Gen {
            text: prop_oneof![
                "\\PC{0,16}",
                "[<>&'\" \t\n\r\u{85}\u{2028}a-z]{0,12}",
                Just(String::new()),
            ]
            .boxed(),
            name: "[a-z_\u{e9}\u{4e00}][a-z0-9._\\-\u{b7}\u{300}]{0,6}".boxed(),
            ns: select(PAYLOAD_NS).prop_map(str::to_owned).boxed(),
            token: "x-[a-z]{1,6}".boxed(),
        }
    }

    /// Anything: every general category (Cc, Cf, Co, Cn, noncharacters;
    /// Cs cannot occur in a Rust string), XML specials, arbitrary names,
    /// and the namespaces nothing may be declared (`xml`, `xmlns`).
    pub fn arbitrary() -> Gen {
        let clean = Gen::clean();
        Gen {
            text: prop_oneof![3 => clean.text.clone(), 1 => any_unicode()].boxed(),
            name: prop_oneof![3 => clean.name.clone(), 1 => any_unicode()].boxed(),
            ns: prop_oneof![
                6 => clean.ns.clone(),
                2 => any_unicode(),
                1 => select(RESERVED_NS).prop_map(str::to_owned),
            ]
                .prop_filter("content namespaces are re-scoped", |ns| {
                    ns != "jabber:client" && ns != "jabber:server"
                })
                .boxed(),
            token: prop_oneof![
                2 => clean.token.clone(),
                1 => any_unicode(),
                1 => select(&["away", " chat", "both", "subscribe", "remove\n", "text", "gone", "aborted"][..])
                    .prop_map(str::to_owned),
            ]
            .boxed(),
        }
    }
}

/// One character from anywhere in Unicode, weighted towards the ones XML
/// and XMPP treat specially.
pub fn any_char() -> impl Strategy<Value = char> {
    let ranges: &[(u32, u32)] = &[
        (0x00, 0x1F),        // Cc C0
        (0x7F, 0x9F),        // Cc DEL and C1
        (0xFDD0, 0xFDEF),    // noncharacters
        (0xFFF9, 0xFFFF),    // specials, U+FFFE and U+FFFF
        (0xE000, 0xF8FF),    // Co private use
        (0xF0000, 0x10FFFF), // Co planes 15-16 (and their noncharacters)
        (0x0378, 0x0379),    // Cn unassigned
        (0xE0080, 0xE00FF),  // Cn unassigned
        (0x200B, 0x202E),    // Cf and separators
        (0x0300, 0x036F),    // combining marks
        (0xD7F0, 0xD7FF),    // just below the surrogates
        (0x1FFFE, 0x1FFFF),  // plane 1 noncharacters
    ];
    prop_oneof![
        2 => any::<char>(),
        2 => select(ranges).prop_flat_map(|(lo, hi)| (lo..=hi).prop_filter_map("scalar", char::from_u32)),
        1 => select(&['<', '>', '&', '\'', '"', '\t', '\n', '\r', ' ', ':', '='][..]),
    ]
}

/// A string of [`any_char`]s.
pub fn any_unicode() -> BoxedStrategy<String> {
    vec(any_char(), 0..12)
        .prop_map(|cs| cs.into_iter().collect())
        .boxed()
}

pub fn jid() -> impl Strategy<Value = Jid> {
    (
        of("[a-zA-Z0-9._\\-\u{e9}\u{3a3}]{1,8}"),
        "[a-z0-9]{1,8}(\\.[a-z]{2,4})?",
        of("[!-~\u{265a}]([ -~]{0,8}[!-~])?"),
    )
        .prop_filter_map("valid jid", |(l, d, r)| {
            Jid::from_parts(l.as_deref(), &d, r.as_deref()).ok()
        })
}

/// Unknown attributes; in the clean case never one a typed element writes
/// itself, never twice the same.
pub fn extra_attrs(g: &Gen) -> BoxedStrategy<Vec<ExtraAttr>> {
    let attr = (0..4usize, g.ns.clone(), g.name.clone(), g.text.clone()).prop_map(
        |(which, ns, name, value)| match which {
            0 | 1 => ExtraAttr::new(name, value),
            2 => ExtraAttr::namespaced("http://www.w3.org/XML/1998/namespace", name, value),
            _ if ns.is_empty() => ExtraAttr::new(name, value),
            _ => ExtraAttr::namespaced(ns, name, value),
        },
    );
    vec(attr, 0..3).boxed()
}

/// Drops the attributes the clean generators must not produce: reserved
/// names and repeats.
pub fn usable_attrs(mut attrs: Vec<ExtraAttr>, typed: &[&str]) -> Vec<ExtraAttr> {
    let mut seen: Vec<(Option<String>, String)> = Vec::new();
    attrs.retain(|a| {
        let key = (a.ns.clone(), a.name.clone());
        let reserved = match a.ns.as_deref() {
            None => a.name == "xmlns" || typed.contains(&a.name.as_str()),
            Some("http://www.w3.org/XML/1998/namespace") => a.name == "lang",
            Some(_) => false,
        };
        let keep = !reserved && !seen.contains(&key);
        seen.push(key);
        keep
    });
    attrs
}

pub fn text(g: &Gen) -> BoxedStrategy<Text> {
    (of(g.text.clone()), g.text.clone(), extra_attrs(g))
        .prop_map(|(lang, body, attrs)| {
            let mut t = match lang {
                Some(lang) => Text::with_lang(lang, body),
                None => Text::new(body),
            };
            t.extra_attrs = usable_attrs(attrs, &[]);
            t
        })
        .boxed()
}

/// An element without children, possibly with namespaced attributes.
fn leaf(g: &Gen, ns: BoxedStrategy<String>) -> BoxedStrategy<minidom::Element> {
    (
        g.name.clone(),
        ns,
        vec(
            ("[a-z]{1,4}", 0..3usize, g.ns.clone(), g.text.clone()),
            0..3,
        ),
        of(g.text.clone()),
    )
        .prop_map(|(name, ns, attrs, text)| {
            let mut el = minidom::Element::bare(name, ns);
            for (attr, which, attr_ns, value) in attrs {
                let attr_ns = match which {
                    0 => Namespace::NONE,
                    1 => Namespace::XML,
                    _ => Namespace::from(attr_ns),
                };
                el.set_attr(attr_ns, NcName::try_from(attr.as_str()).unwrap(), value);
            }
            if let Some(t) = text.filter(|t| !t.is_empty()) {
                el.append_text(t);
            }
            el
        })
        .boxed()
}

/// Extension trees up to three levels deep, each level in a namespace of
/// its own (what prefixed input reads as), the top one in `ns`.
pub fn tree_in(g: &Gen, ns: BoxedStrategy<String>) -> BoxedStrategy<minidom::Element> {
    let g2 = g.clone();
    let below = leaf(g, g.ns.clone())
        .prop_recursive(2, 8, 3, move |inner| {
            nest(&g2, g2.ns.clone(), inner.boxed(), 3)
        })
        .boxed();
    nest(g, ns, below, 4)
}

/// A leaf in `ns` with up to `max` children drawn from `inner` and text.
fn nest(
    g: &Gen,
    ns: BoxedStrategy<String>,
    inner: BoxedStrategy<minidom::Element>,
    max: usize,
) -> BoxedStrategy<minidom::Element> {
    let text = g.text.clone().prop_filter("text", |t| !t.is_empty());
    (
        leaf(g, ns),
        vec(prop_oneof![inner.prop_map(Ok), text.prop_map(Err)], 0..max),
    )
        .prop_map(|(mut el, children)| {
            for child in children {
                match child {
                    Ok(child) => {
                        el.append_child(child);
                    }
                    Err(t) => el.append_text(t),
                }
            }
            el
        })
        .boxed()
}

/// An extension tree in one of the generator's namespaces.
pub fn tree(g: &Gen) -> BoxedStrategy<minidom::Element> {
    tree_in(g, g.ns.clone())
}

/// Every stanza error condition of RFC 6120 section 8.3.3.
pub const STANZA_CONDITIONS: &[&str] = &[
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

pub fn stanza_condition(g: &Gen) -> BoxedStrategy<StanzaErrorCondition> {
    let stanzas = Just("urn:ietf:params:xml:ns:xmpp-stanzas".to_owned()).boxed();
    prop_oneof![
        4 => (select(STANZA_CONDITIONS), of("xmpp:[a-z]{1,8}@example\\.net"))
            .prop_map(|(n, t)| StanzaErrorCondition::from_name(n, t).unwrap()),
        1 => (g.token.clone(), tree_in(g, stanzas)).prop_map(|(name, mut el)| {
            // An unknown condition named by the token, with the tree's content.
            let mut renamed = minidom::Element::bare(name, el.ns());
            for node in el.take_nodes() {
                renamed.append_node(node);
            }
            StanzaErrorCondition::Other(renamed)
        }),
    ]
    .boxed()
}

pub fn stanza_error(g: &Gen) -> BoxedStrategy<StanzaError> {
    (
        select(
            &[
                StanzaErrorType::Auth,
                StanzaErrorType::Cancel,
                StanzaErrorType::Continue,
                StanzaErrorType::Modify,
                StanzaErrorType::Wait,
            ][..],
        ),
        of(jid()),
        of(prop_oneof!["[0-9]{3}", g.text.clone()]),
        stanza_condition(g),
        vec(text(g), 0..3),
        vec(tree(g), 0..3),
    )
        .prop_map(|(kind, by, code, condition, texts, apps)| {
            let mut e = StanzaError::new(condition);
            e.kind = kind;
            e.by = by;
            e.code = code;
            e.texts = texts;
            e.apps = apps;
            e
        })
        .boxed()
}

pub fn delay(g: &Gen) -> BoxedStrategy<Delay> {
    (
        prop_oneof![
            "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](\\.[0-9]{3})?Z",
            g.text.clone()
        ],
        of(jid()),
        of(g.text
            .clone()
            .prop_filter("a reason has text", |t| !t.is_empty())),
    )
        .prop_map(|(stamp, from, reason)| {
            let mut d = Delay::new(stamp);
            d.from = from;
            d.reason = reason;
            d
        })
        .boxed()
}

/// Payloads of a message or presence; `nested` allows a forwarded stanza.
pub fn payload(g: &Gen, nested: bool) -> BoxedStrategy<Payload> {
    let plain = prop_oneof![
        3 => tree(g).prop_map(Payload::Other),
        1 => delay(g).prop_map(Payload::Delay),
        1 => Just(Payload::CarbonPrivate),
    ];
    if !nested {
        return plain.boxed();
    }
    prop_oneof![
        5 => plain,
        1 => forwarded(g).prop_map(Payload::Forwarded),
        1 => forwarded(g).prop_map(Payload::CarbonReceived),
        1 => forwarded(g).prop_map(Payload::CarbonSent),
    ]
    .boxed()
}

pub fn forwarded(g: &Gen) -> BoxedStrategy<Forwarded> {
    (
        of(delay(g)),
        prop_oneof![
            message_with(g, false).prop_map(AnyStanza::Message),
            presence_with(g, false).prop_map(AnyStanza::Presence),
            iq(g).prop_map(AnyStanza::Iq),
        ],
        any::<bool>(),
    )
        .prop_map(|(delay, stanza, server)| {
            let mut f = Forwarded::new(stanza);
            f.delay = delay;
            if server {
                f.namespace = StreamNamespace::Server;
            }
            f
        })
        .boxed()
}

const STANZA_ATTRS: &[&str] = &["to", "from", "id", "type"];

pub fn message(g: &Gen) -> BoxedStrategy<Message> {
    message_with(g, true)
}

fn message_with(g: &Gen, nested: bool) -> BoxedStrategy<Message> {
    (
        select(
            &[
                MessageType::Normal,
                MessageType::Chat,
                MessageType::Groupchat,
                MessageType::Headline,
                MessageType::Error,
            ][..],
        ),
        (
            of(g.text.clone()),
            of(jid()),
            of(jid()),
            of(g.text.clone()),
            extra_attrs(g),
        ),
        (vec(text(g), 0..3), vec(text(g), 0..3)),
        of((g.text.clone(), of(g.text.clone()))),
        (stanza_error(g), any::<bool>()),
        vec(payload(g, nested), 0..3),
    )
        .prop_map(
            |(
                kind,
                (id, from, to, lang, attrs),
                (subjects, bodies),
                thread,
                (error, with_error),
                payloads,
            )| {
                let mut m = Message::default();
                m.kind = kind;
                m.id = id;
                m.from = from;
                m.to = to;
                m.lang = lang;
                m.extra_attrs = usable_attrs(attrs, STANZA_ATTRS);
                m.subjects = subjects;
                m.bodies = bodies;
                m.thread = thread.map(|(id, parent)| {
                    let mut t = Thread::new(id);
                    t.parent = parent;
                    t
                });
                m.error = (kind == MessageType::Error || with_error).then_some(error);
                m.payloads = payloads;
                m
            },
        )
        .boxed()
}

pub fn presence(g: &Gen) -> BoxedStrategy<Presence> {
    presence_with(g, true)
}

fn presence_with(g: &Gen, nested: bool) -> BoxedStrategy<Presence> {
    (
        select(
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
        (
            of(g.text.clone()),
            of(jid()),
            of(jid()),
            of(g.text.clone()),
            extra_attrs(g),
        ),
        of(prop_oneof![
            4 => select(&[Show::Away, Show::Chat, Show::Dnd, Show::Xa][..]),
            1 => g.token.clone().prop_map(Show::Other),
        ]),
        vec(text(g), 0..3),
        of(any::<i8>()),
        stanza_error(g),
        vec(payload(g, nested), 0..3),
    )
        .prop_map(
            |(kind, (id, from, to, lang, attrs), show, statuses, priority, error, payloads)| {
                let mut p = Presence::new(kind);
                p.id = id;
                p.from = from;
                p.to = to;
                p.lang = lang;
                p.extra_attrs = usable_attrs(attrs, STANZA_ATTRS);
                p.show = show;
                p.statuses = statuses;
                p.priority = priority;
                p.error = (kind == PresenceType::Error).then_some(error);
                p.payloads = payloads;
                p
            },
        )
        .boxed()
}

pub fn roster(g: &Gen) -> BoxedStrategy<Roster> {
    let roster_ns = Just("jabber:iq:roster".to_owned()).boxed();
    let extension = prop_oneof![tree(g), tree_in(g, roster_ns)]
        .prop_filter("not a typed roster child", |e| {
            !(e.ns() == "jabber:iq:roster" && matches!(e.name(), "item" | "group"))
        });
    let item = (
        jid(),
        of(g.text.clone()),
        of(prop_oneof![
            4 => select(&[
                Subscription::None,
                Subscription::To,
                Subscription::From,
                Subscription::Both,
                Subscription::Remove,
            ][..]),
            1 => g.token.clone().prop_map(Subscription::Other),
        ]),
        of(prop_oneof![
            Just(Ask::Subscribe),
            g.token.clone().prop_map(Ask::Other)
        ]),
        any::<bool>(),
        vec(g.text.clone(), 0..3),
        vec(extension.clone(), 0..2),
    )
        .prop_map(
            |(jid, name, subscription, ask, approved, groups, extensions)| {
                let mut item = RosterItem::new(jid);
                item.name = name.map(Into::into);
                item.set_subscription(subscription);
                item.set_ask(ask);
                item.approved = approved;
                item.groups = groups;
                item.set_extensions(extensions);
                item
            },
        );
    (of(g.text.clone()), vec(item, 0..4), vec(extension, 0..2))
        .prop_map(|(ver, items, extensions)| {
            let mut r = Roster::default();
            r.ver = ver;
            r.items = items;
            r.extensions = extensions;
            r
        })
        .boxed()
}

pub fn disco_info(g: &Gen) -> BoxedStrategy<DiscoInfo> {
    let identity = (
        g.text.clone(),
        g.text.clone(),
        of(g.text.clone()),
        of(g.text.clone()),
    )
        .prop_map(|(category, kind, name, lang)| {
            let mut id = Identity::new(category, kind);
            id.name = name;
            id.lang = lang;
            id
        });
    (
        of(g.text.clone()),
        vec(identity, 0..3),
        vec(g.text.clone(), 0..4),
        vec(tree(g), 0..2),
    )
        .prop_map(|(node, identities, features, extensions)| {
            let mut d = DiscoInfo::default();
            d.node = node;
            d.identities = identities;
            d.features = features;
            d.extensions = extensions;
            d
        })
        .boxed()
}

pub fn disco_items(g: &Gen) -> BoxedStrategy<DiscoItems> {
    let item = (jid(), of(g.text.clone()), of(g.text.clone())).prop_map(|(jid, node, name)| {
        let mut i = DiscoItem::new(jid);
        i.node = node;
        i.name = name;
        i
    });
    (of(g.text.clone()), vec(item, 0..3), vec(tree(g), 0..2))
        .prop_map(|(node, items, extensions)| {
            let mut d = DiscoItems::default();
            d.node = node;
            d.items = items;
            d.extensions = extensions;
            d
        })
        .boxed()
}

pub fn iq_payload(g: &Gen) -> BoxedStrategy<IqPayload> {
    prop_oneof![
        (of(g.text.clone()), of(jid())).prop_map(|(resource, jid)| {
            let mut b = Bind::default();
            b.resource = resource;
            b.jid = jid;
            IqPayload::Bind(b)
        }),
        Just(IqPayload::Session),
        Just(IqPayload::Ping),
        Just(IqPayload::CarbonsEnable),
        Just(IqPayload::CarbonsDisable),
        roster(g).prop_map(IqPayload::Roster),
        disco_info(g).prop_map(IqPayload::DiscoInfo),
        disco_items(g).prop_map(IqPayload::DiscoItems),
        (0..3usize, vec(jid(), 0..3)).prop_map(|(which, jids)| IqPayload::Blocking(match which {
            0 => Blocking::List(jids),
            1 => Blocking::Block(jids),
            _ => Blocking::Unblock(jids),
        })),
        tree(g).prop_map(IqPayload::Other),
    ]
    .boxed()
}

pub fn iq(g: &Gen) -> BoxedStrategy<Iq> {
    (
        select(&[IqType::Get, IqType::Set, IqType::Result, IqType::Error][..]),
        g.text.clone(),
        (of(jid()), of(jid()), of(g.text.clone()), extra_attrs(g)),
        iq_payload(g),
        any::<bool>(),
        stanza_error(g),
    )
        .prop_map(
            |(kind, id, (from, to, lang, attrs), payload, with_payload, error)| {
                let mut iq = Iq::new(kind, id);
                iq.from = from;
                iq.to = to;
                iq.lang = lang;
                iq.extra_attrs = usable_attrs(attrs, STANZA_ATTRS);
                iq.payload = match kind {
                    IqType::Get | IqType::Set => Some(payload),
                    _ => with_payload.then_some(payload),
                };
                iq.error = (kind == IqType::Error).then_some(error);
                iq
            },
        )
        .boxed()
}

/// Every stream error condition of RFC 6120 section 4.9.3.
pub const STREAM_CONDITIONS: &[&str] = &[
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

pub fn stream_error(g: &Gen) -> BoxedStrategy<StreamError> {
    let streams = Just("urn:ietf:params:xml:ns:xmpp-streams".to_owned()).boxed();
    let condition = prop_oneof![
        4 => (select(STREAM_CONDITIONS), g.text.clone()).prop_map(|(name, host)| {
            let host = if name == "see-other-host" { host } else { String::new() };
            StreamErrorCondition::from_name(name, host).unwrap()
        }),
        1 => (g.token.clone(), tree_in(g, streams)).prop_map(|(name, mut el)| {
            let mut renamed = minidom::Element::bare(name, el.ns());
            for node in el.take_nodes() {
                renamed.append_node(node);
            }
            StreamErrorCondition::Other(renamed)
        }),
    ];
    (condition, vec(text(g), 0..3), vec(tree(g), 0..3))
        .prop_map(|(condition, texts, apps)| {
            let mut e = StreamError::new(condition);
            e.texts = texts;
            e.apps = apps;
            e
        })
        .boxed()
}

pub fn features(g: &Gen) -> BoxedStrategy<Features> {
    (
        of(any::<bool>()),
        of(vec(prop_oneof!["[A-Z0-9-]{1,12}", g.token.clone()], 0..4)),
        any::<bool>(),
        of(any::<bool>()),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        vec(tree(g), 0..3),
    )
        .prop_map(
            |(
                starttls,
                mechanisms,
                bind,
                session,
                (sm, pre_approval, roster_versioning, csi),
                other,
            )| {
                let mut f = Features::default();
                f.starttls = starttls;
                f.mechanisms = mechanisms;
                f.bind = bind;
                f.session = session;
                f.sm = sm;
                f.pre_approval = pre_approval;
                f.roster_versioning = roster_versioning;
                f.csi = csi;
                f.other = other;
                f
            },
        )
        .boxed()
}

pub fn sasl(g: &Gen) -> BoxedStrategy<Sasl> {
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
    let condition = of(prop_oneof![
        4 => select(conditions.to_vec()),
        1 => g.token.clone().prop_map(SaslCondition::Other),
    ]);
    prop_oneof![
        (
            prop_oneof!["[A-Z0-9-]{1,20}", g.text.clone()],
            of(vec(any::<u8>(), 0..40))
        )
            .prop_map(|(mechanism, initial_response)| Sasl::Auth {
                mechanism,
                initial_response
            }),
        vec(any::<u8>(), 0..40).prop_map(Sasl::Challenge),
        vec(any::<u8>(), 0..40).prop_map(Sasl::Response),
        of(vec(any::<u8>(), 0..40)).prop_map(Sasl::Success),
        Just(Sasl::Abort),
        (condition, vec(text(g), 0..2)).prop_map(|(condition, texts)| {
            let mut f = SaslFailure::new(SaslCondition::Aborted);
            f.condition = condition;
            f.texts = texts;
            Sasl::Failure(f)
        }),
    ]
    .boxed()
}

pub fn sm(g: &Gen) -> BoxedStrategy<Sm> {
    prop_oneof![
        (any::<bool>(), of(any::<u32>())).prop_map(|(resume, max)| {
            let mut e = SmEnable::default();
            e.resume = resume;
            e.max = max;
            Sm::Enable(e)
        }),
        (
            of(g.text.clone()),
            any::<bool>(),
            of(any::<u32>()),
            of(g.text.clone())
        )
            .prop_map(|(id, resume, max, location)| {
                let mut e = SmEnabled::default();
                e.id = id;
                e.resume = resume;
                e.max = max;
                e.location = location;
                Sm::Enabled(e)
            }),
        (any::<u32>(), g.text.clone()).prop_map(|(h, id)| Sm::Resume(SmResume::new(h, id))),
        (any::<u32>(), g.text.clone()).prop_map(|(h, id)| Sm::Resumed(SmResume::new(h, id))),
        (
            of(any::<u32>()),
            of(stanza_condition(g)),
            vec(text(g), 0..2)
        )
            .prop_map(|(h, condition, texts)| {
                let mut f = SmFailed::default();
                f.h = h;
                f.condition = condition;
                f.texts = texts;
                Sm::Failed(f)
            }),
        Just(Sm::Request),
        any::<u32>().prop_map(Sm::Ack),
    ]
    .boxed()
}

pub fn element(g: &Gen) -> BoxedStrategy<Element> {
    prop_oneof![
        3 => message(g).prop_map(Element::Message),
        3 => presence(g).prop_map(Element::Presence),
        3 => iq(g).prop_map(Element::Iq),
        1 => features(g).prop_map(Element::Features),
        1 => stream_error(g).prop_map(Element::StreamError),
        1 => sasl(g).prop_map(Element::Sasl),
        1 => sm(g).prop_map(Element::Sm),
        1 => select(&[Tls::StartTls, Tls::Proceed, Tls::Failure][..]).prop_map(Element::Tls),
        1 => select(&[Csi::Active, Csi::Inactive][..]).prop_map(Element::Csi),
        1 => tree_in(g, prop_oneof![g.ns.clone(), Just("urn:xmpp:sm:3".to_owned())].boxed())
            .prop_filter("not a typed stream management nonza", |el| {
                !(el.ns() == "urn:xmpp:sm:3"
                    && matches!(el.name(), "enable" | "enabled" | "resume" | "resumed" | "failed" | "r" | "a"))
            })
            .prop_map(Element::Unknown),
    ]
    .boxed()
}

pub fn contexts() -> [Context; 3] {
    [
        Context::client_tcp(),
        Context::client_websocket(),
        Context::server_tcp(),
    ]
}

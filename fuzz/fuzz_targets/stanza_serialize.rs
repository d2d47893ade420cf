//! Builds typed values from arbitrary strings and names (every character,
//! XML specials, names that are not names) and serialises them: a refusal
//! must leave the buffer untouched, and whatever is written must parse back
//! to the same value, in the same framing.
#![no_main]

use chatwire_xmpp_stanza::minidom::{self, rxml};
use chatwire_xmpp_stanza::*;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(ctx) = context(&mut u) else {
        return;
    };
    let Ok(element) = element(&mut u, ctx.namespace.as_str()) else {
        return;
    };
    let mut out = b"kept".to_vec();
    match element.serialize(&ctx, &mut out) {
        Err(_) => assert_eq!(out, b"kept", "a refusal left output behind"),
        Ok(()) => {
            let bytes = out.get(4..).unwrap_or_default();
            let again = match Element::parse(bytes, &ctx) {
                Ok(again) => again,
                Err(e) => panic!(
                    "written but refused by the reader: {e}\n{}",
                    String::from_utf8_lossy(bytes)
                ),
            };
            assert_eq!(again, element, "{}", String::from_utf8_lossy(bytes));
        }
    }
});

fn context(u: &mut Unstructured<'_>) -> Result<Context> {
    Ok(match u.int_in_range(0..=2)? {
        0 => Context::client_tcp(),
        1 => Context::client_websocket(),
        _ => Context::server_tcp(),
    })
}

/// Strings that matter to XML and XMPP, or anything at all.
fn text(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=4)? {
        0 => String::new(),
        1 => (*u.choose(&[
            "<",
            "&amp;",
            "]]>",
            "'\"",
            "\r\n",
            "\t",
            "\u{0}",
            "\u{1F}",
            "\u{7F}",
            "\u{85}",
            "\u{FFFE}",
            "\u{FFFF}",
            "\u{FDD0}",
            "\u{10FFFF}",
            "\u{E000}",
            " x ",
            "x",
        ])?)
        .to_owned(),
        _ => u.arbitrary::<String>()?,
    })
}

/// Names that are NCNames, names that are not, and reserved ones.
fn name(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=3)? {
        0 => (*u.choose(&[
            "x",
            "body",
            "error",
            "thread",
            "show",
            "status",
            "priority",
            "subject",
            "item",
            "group",
            "text",
            "delay",
            "forwarded",
            "query",
            "xmlns",
            "to",
            "from",
            "id",
            "type",
            "lang",
            "a:b",
            "1a",
            "-a",
            "a b",
            "evil xmlns='x'/><iq type='set",
            "\u{FFF9}",
            "\u{B7}a",
            "a\u{B7}",
        ])?)
        .to_owned(),
        1 => u.arbitrary::<String>()?,
        _ => {
            let len = u.int_in_range(1..=6)?;
            (0..len)
                .map(|_| {
                    u.choose(&['a', 'z', '_', '-', '.', '0', '\u{e9}', '\u{300}'])
                        .copied()
                })
                .collect::<Result<String>>()?
        }
    })
}

/// Namespaces this crate types, the content namespaces, and others.
fn namespace(u: &mut Unstructured<'_>, content_ns: &str) -> Result<String> {
    Ok(match u.int_in_range(0..=3)? {
        0 => (*u.choose(&[
            "",
            "urn:x",
            ns::STANZAS,
            ns::STREAMS,
            ns::SASL,
            ns::TLS,
            ns::SM,
            ns::CSI,
            ns::DELAY,
            ns::FORWARD,
            ns::CARBONS,
            ns::ROSTER,
            ns::PING,
            ns::DISCO_INFO,
            ns::DISCO_ITEMS,
            ns::BLOCKING,
            ns::XML,
            "http://www.w3.org/2000/xmlns/",
        ])?)
        .to_owned(),
        // Either content namespace is written as the one in scope; use
        // that one so the value reads back unchanged.
        1 => content_ns.to_owned(),
        _ => text(u)?,
    })
}

fn jid(u: &mut Unstructured<'_>) -> Result<Option<Jid>> {
    let s = match u.int_in_range(0..=2)? {
        0 => return Ok(None),
        1 => (*u.choose(&["juliet@example.com", "example.com", "a@b/c d", "[::1]"])?).to_owned(),
        _ => text(u)?,
    };
    Ok(Jid::new(&s).ok())
}

fn opt<T>(
    u: &mut Unstructured<'_>,
    f: impl FnOnce(&mut Unstructured<'_>) -> Result<T>,
) -> Result<Option<T>> {
    if u.arbitrary()? {
        Ok(Some(f(u)?))
    } else {
        Ok(None)
    }
}

fn many<T>(
    u: &mut Unstructured<'_>,
    max: usize,
    mut f: impl FnMut(&mut Unstructured<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let n = u.int_in_range(0..=max)?;
    (0..n).map(|_| f(u)).collect()
}

fn tree(u: &mut Unstructured<'_>, content_ns: &str, depth: u8) -> Result<minidom::Element> {
    let mut el = minidom::Element::bare(name(u)?, namespace(u, content_ns)?);
    for _ in 0..u.int_in_range(0..=3)? {
        let Ok(attr) = rxml::NcName::try_from(name(u)?) else {
            continue;
        };
        let attr_ns = match u.int_in_range(0..=2)? {
            0 => rxml::Namespace::NONE,
            1 => rxml::Namespace::XML,
            _ => rxml::Namespace::from(namespace(u, content_ns)?),
        };
        el.set_attr(attr_ns, attr, text(u)?);
    }
    for _ in 0..u.int_in_range(0..=3)? {
        if depth > 0 && u.arbitrary()? {
            el.append_child(tree(u, content_ns, depth - 1)?);
        } else {
            let t = text(u)?;
            if !t.is_empty() {
                el.append_text(t);
            }
        }
    }
    Ok(el)
}

fn extra_attrs(u: &mut Unstructured<'_>, content_ns: &str) -> Result<Vec<ExtraAttr>> {
    many(u, 3, |u| {
        Ok(match u.int_in_range(0..=2)? {
            0 => ExtraAttr::new(name(u)?, text(u)?),
            1 => ExtraAttr::namespaced(ns::XML, name(u)?, text(u)?),
            _ => ExtraAttr::namespaced(namespace(u, content_ns)?, name(u)?, text(u)?),
        })
    })
}

fn text_el(u: &mut Unstructured<'_>, content_ns: &str) -> Result<Text> {
    let mut t = Text::new(text(u)?);
    t.lang = opt(u, text)?;
    t.extra_attrs = extra_attrs(u, content_ns)?;
    Ok(t)
}

fn stanza_condition(u: &mut Unstructured<'_>, content_ns: &str) -> Result<StanzaErrorCondition> {
    if u.arbitrary()? {
        let mut el = tree(u, content_ns, 1)?;
        if u.arbitrary()? {
            // Usually in the right namespace, named by a name.
            let mut renamed = minidom::Element::bare(name(u)?, ns::STANZAS);
            for node in el.take_nodes() {
                renamed.append_node(node);
            }
            el = renamed;
        }
        return Ok(StanzaErrorCondition::Other(el));
    }
    let names = [
        "bad-request",
        "gone",
        "redirect",
        "conflict",
        "undefined-condition",
    ];
    let n = *u.choose(&names)?;
    let address = opt(u, text)?;
    Ok(StanzaErrorCondition::from_name(n, address).unwrap_or(StanzaErrorCondition::BadRequest))
}

fn stanza_error(u: &mut Unstructured<'_>, content_ns: &str) -> Result<StanzaError> {
    let mut e = StanzaError::new(stanza_condition(u, content_ns)?);
    e.kind = *u.choose(&[
        StanzaErrorType::Auth,
        StanzaErrorType::Cancel,
        StanzaErrorType::Continue,
        StanzaErrorType::Modify,
        StanzaErrorType::Wait,
    ])?;
    e.by = jid(u)?;
    e.code = opt(u, text)?;
    e.texts = many(u, 2, |u| text_el(u, content_ns))?;
    e.apps = many(u, 2, |u| tree(u, content_ns, 1))?;
    Ok(e)
}

fn delay(u: &mut Unstructured<'_>) -> Result<Delay> {
    let mut d = Delay::new(text(u)?);
    d.from = jid(u)?;
    d.reason = opt(u, text)?;
    Ok(d)
}

fn payloads(u: &mut Unstructured<'_>, content_ns: &str, nested: bool) -> Result<Vec<Payload>> {
    many(u, 3, |u| {
        Ok(match u.int_in_range(0..=5)? {
            0 => Payload::Delay(delay(u)?),
            1 => Payload::CarbonPrivate,
            2 if nested => Payload::Forwarded(forwarded(u)?),
            3 if nested => Payload::CarbonReceived(forwarded(u)?),
            _ => Payload::Other(tree(u, content_ns, 2)?),
        })
    })
}

fn forwarded(u: &mut Unstructured<'_>) -> Result<Forwarded> {
    let namespace = if u.arbitrary()? {
        StreamNamespace::Client
    } else {
        StreamNamespace::Server
    };
    let inner = namespace.as_str();
    let stanza = match u.int_in_range(0..=2)? {
        0 => AnyStanza::Message(message(u, inner, false)?),
        1 => AnyStanza::Presence(presence(u, inner, false)?),
        _ => AnyStanza::Iq(iq(u, inner)?),
    };
    let mut f = Forwarded::new(stanza);
    f.namespace = namespace;
    f.delay = opt(u, delay)?;
    Ok(f)
}

fn message(u: &mut Unstructured<'_>, content_ns: &str, nested: bool) -> Result<Message> {
    let mut m = Message::default();
    m.kind = *u.choose(&[
        MessageType::Normal,
        MessageType::Chat,
        MessageType::Groupchat,
        MessageType::Headline,
        MessageType::Error,
    ])?;
    m.id = opt(u, text)?;
    m.from = jid(u)?;
    m.to = jid(u)?;
    m.lang = opt(u, text)?;
    m.extra_attrs = extra_attrs(u, content_ns)?;
    m.subjects = many(u, 2, |u| text_el(u, content_ns))?;
    m.bodies = many(u, 2, |u| text_el(u, content_ns))?;
    m.thread = opt(u, |u| {
        let mut t = Thread::new(text(u)?);
        t.parent = opt(u, text)?;
        Ok(t)
    })?;
    m.error = opt(u, |u| stanza_error(u, content_ns))?;
    m.payloads = payloads(u, content_ns, nested)?;
    Ok(m)
}

fn presence(u: &mut Unstructured<'_>, content_ns: &str, nested: bool) -> Result<Presence> {
    let mut p = Presence::new(*u.choose(&[
        PresenceType::Available,
        PresenceType::Error,
        PresenceType::Probe,
        PresenceType::Subscribe,
        PresenceType::Unavailable,
    ])?);
    p.id = opt(u, text)?;
    p.to = jid(u)?;
    p.extra_attrs = extra_attrs(u, content_ns)?;
    p.show = opt(u, |u| {
        Ok(match u.int_in_range(0..=1)? {
            0 => Show::Dnd,
            _ => Show::Other(text(u)?),
        })
    })?;
    p.statuses = many(u, 2, |u| text_el(u, content_ns))?;
    p.priority = u.arbitrary()?;
    p.error = opt(u, |u| stanza_error(u, content_ns))?;
    p.payloads = payloads(u, content_ns, nested)?;
    Ok(p)
}

fn iq_payload(u: &mut Unstructured<'_>, content_ns: &str) -> Result<IqPayload> {
    Ok(match u.int_in_range(0..=7)? {
        0 => {
            let mut b = Bind::default();
            b.resource = opt(u, text)?;
            b.jid = jid(u)?;
            IqPayload::Bind(b)
        }
        1 => {
            let mut r = Roster::default();
            r.ver = opt(u, text)?;
            r.items = many(u, 2, |u| {
                let Some(jid) = jid(u)? else {
                    return Ok(None);
                };
                let mut item = RosterItem::new(jid);
                item.name = opt(u, text)?.map(Into::into);
                item.set_subscription(opt(u, |u| Ok(Subscription::parse(&text(u)?)))?);
                item.set_ask(opt(u, |u| Ok(Ask::Other(text(u)?)))?);
                item.groups = many(u, 2, text)?;
                item.set_extensions(many(u, 1, |u| tree(u, content_ns, 1))?);
                Ok(Some(item))
            })?
            .into_iter()
            .flatten()
            .collect();
            r.extensions = many(u, 1, |u| tree(u, content_ns, 1))?;
            IqPayload::Roster(r)
        }
        2 => {
            let mut d = DiscoInfo::default();
            d.node = opt(u, text)?;
            d.identities = many(u, 2, |u| {
                let mut i = Identity::new(text(u)?, text(u)?);
                i.name = opt(u, text)?;
                i.lang = opt(u, text)?;
                Ok(i)
            })?;
            d.features = many(u, 2, text)?;
            d.extensions = many(u, 1, |u| tree(u, content_ns, 1))?;
            IqPayload::DiscoInfo(d)
        }
        3 => {
            let mut d = DiscoItems::default();
            d.node = opt(u, text)?;
            d.extensions = many(u, 1, |u| tree(u, content_ns, 1))?;
            IqPayload::DiscoItems(d)
        }
        4 => IqPayload::Blocking(Blocking::Block(
            many(u, 2, jid)?.into_iter().flatten().collect(),
        )),
        5 => IqPayload::CarbonsEnable,
        _ => IqPayload::Other(tree(u, content_ns, 2)?),
    })
}

fn iq(u: &mut Unstructured<'_>, content_ns: &str) -> Result<Iq> {
    let kind = *u.choose(&[IqType::Get, IqType::Set, IqType::Result, IqType::Error])?;
    let mut iq = Iq::new(kind, text(u)?);
    iq.from = jid(u)?;
    iq.lang = opt(u, text)?;
    iq.extra_attrs = extra_attrs(u, content_ns)?;
    iq.payload = opt(u, |u| iq_payload(u, content_ns))?;
    iq.error = opt(u, |u| stanza_error(u, content_ns))?;
    Ok(iq)
}

fn element(u: &mut Unstructured<'_>, content_ns: &str) -> Result<Element> {
    Ok(match u.int_in_range(0..=8)? {
        0 => Element::Message(message(u, content_ns, true)?),
        1 => Element::Presence(presence(u, content_ns, true)?),
        2 => Element::Iq(iq(u, content_ns)?),
        3 => {
            let mut f = Features::default();
            f.mechanisms = opt(u, |u| many(u, 3, text))?;
            f.other = many(u, 2, |u| tree(u, content_ns, 1))?;
            Element::Features(f)
        }
        4 => {
            let condition = if u.arbitrary()? {
                StreamErrorCondition::SeeOtherHost(text(u)?)
            } else {
                StreamErrorCondition::Other(tree(u, content_ns, 1)?)
            };
            let mut e = StreamError::new(condition);
            e.texts = many(u, 2, |u| text_el(u, content_ns))?;
            e.apps = many(u, 2, |u| tree(u, content_ns, 1))?;
            Element::StreamError(e)
        }
        5 => Element::Sasl(match u.int_in_range(0..=2)? {
            0 => Sasl::Auth {
                mechanism: text(u)?,
                initial_response: u.arbitrary()?,
            },
            1 => Sasl::Success(u.arbitrary()?),
            _ => {
                let mut f = SaslFailure::new(SaslCondition::Other(name(u)?));
                f.texts = many(u, 2, |u| text_el(u, content_ns))?;
                Sasl::Failure(f)
            }
        }),
        6 => Element::Sm(match u.int_in_range(0..=2)? {
            0 => {
                let mut e = SmEnabled::default();
                e.id = opt(u, text)?;
                e.location = opt(u, text)?;
                e.max = u.arbitrary()?;
                Sm::Enabled(e)
            }
            1 => Sm::Resume(SmResume::new(u.arbitrary()?, text(u)?)),
            _ => {
                let mut f = SmFailed::default();
                f.h = u.arbitrary()?;
                f.condition = opt(u, |u| stanza_condition(u, content_ns))?;
                f.texts = many(u, 1, |u| text_el(u, content_ns))?;
                Sm::Failed(f)
            }
        }),
        7 => Element::Csi(Csi::Inactive),
        _ => Element::Unknown(tree(u, content_ns, 3)?),
    })
}

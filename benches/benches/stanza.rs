//! chatwire-xmpp-stanza against xmpp-parsers (minidom parse plus `TryFrom`)
//! on the same bytes: a chat message, a presence with caps, a 50-item
//! roster result.

use std::hint::black_box;

use chatwire_xmpp_stanza::{Context, Element};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use xmpp_parsers::minidom;

use chatwire_benches::{MESSAGE, PRESENCE, roster_result};

fn xmpp_parsers_parse(input: &str) -> Option<usize> {
    let el: minidom::Element = input.parse().ok()?;
    match el.name() {
        "message" => {
            let m = xmpp_parsers::message::Message::try_from(el).ok()?;
            Some(m.bodies.len())
        }
        "presence" => {
            let p = xmpp_parsers::presence::Presence::try_from(el).ok()?;
            Some(p.payloads.len())
        }
        _ => {
            let iq = xmpp_parsers::iq::Iq::try_from(el).ok()?;
            let xmpp_parsers::iq::Iq::Result {
                payload: Some(payload),
                ..
            } = iq
            else {
                return None;
            };
            let roster = xmpp_parsers::roster::Roster::try_from(payload).ok()?;
            Some(roster.items.len())
        }
    }
}

/// Parsed xmpp-parsers values, ready to serialise.
#[derive(Clone)]
enum Parsed {
    Message(xmpp_parsers::message::Message),
    Presence(xmpp_parsers::presence::Presence),
    Iq(xmpp_parsers::iq::Iq),
}

fn xmpp_parsers_value(input: &str) -> Option<Parsed> {
    let el: minidom::Element = input.parse().ok()?;
    Some(match el.name() {
        "message" => Parsed::Message(el.try_into().ok()?),
        "presence" => Parsed::Presence(el.try_into().ok()?),
        _ => {
            let iq = xmpp_parsers::iq::Iq::try_from(el).ok()?;
            // Type the roster too so serialising goes through it.
            let xmpp_parsers::iq::Iq::Result {
                from,
                to,
                id,
                payload: Some(payload),
            } = iq
            else {
                return None;
            };
            let roster = xmpp_parsers::roster::Roster::try_from(payload).ok()?;
            Parsed::Iq(xmpp_parsers::iq::Iq::Result {
                from,
                to,
                id,
                payload: Some(roster.into()),
            })
        }
    })
}

fn xmpp_parsers_serialize(value: Parsed, out: &mut Vec<u8>) -> Option<()> {
    let el: minidom::Element = match value {
        Parsed::Message(m) => m.into(),
        Parsed::Presence(p) => p.into(),
        Parsed::Iq(iq) => iq.into(),
    };
    el.write_to(out).ok()
}

fn inputs() -> Vec<(&'static str, String)> {
    vec![
        ("message", MESSAGE.to_owned()),
        ("presence", PRESENCE.to_owned()),
        ("iq-roster", roster_result()),
    ]
}

fn stanza_parse(c: &mut Criterion) {
    let ctx = Context::client_websocket();
    assert_eq!(MESSAGE.len(), 410);
    let mut group = c.benchmark_group("stanza_parse");
    for (name, input) in inputs() {
        // Both sides must understand the input before it is timed.
        assert!(Element::parse(input.as_bytes(), &ctx).is_ok(), "{name}");
        assert!(xmpp_parsers_parse(&input).is_some(), "{name}");
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(format!("chatwire/{name}"), |b| {
            b.iter(|| Element::parse(black_box(input.as_bytes()), &ctx))
        });
        group.bench_function(format!("xmpp-parsers/{name}"), |b| {
            b.iter(|| xmpp_parsers_parse(black_box(&input)))
        });
    }
    group.finish();
}

fn stanza_serialize(c: &mut Criterion) {
    let ctx = Context::client_websocket();
    let mut group = c.benchmark_group("stanza_serialize");
    for (name, input) in inputs() {
        let ours = Element::parse(input.as_bytes(), &ctx).expect("chatwire parses the input");
        let theirs = xmpp_parsers_value(&input).expect("xmpp-parsers parses the input");
        let mut out = Vec::with_capacity(input.len() * 2);
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(format!("chatwire/{name}"), |b| {
            b.iter(|| {
                out.clear();
                black_box(&ours)
                    .serialize(&ctx, &mut out)
                    .expect("chatwire writes what it parsed");
                out.len()
            })
        });
        // xmpp-parsers serialises through an owned minidom tree: the
        // conversion from the typed value is timed, the clone feeding it is not.
        group.bench_function(format!("xmpp-parsers/{name}"), |b| {
            b.iter_batched(
                || theirs.clone(),
                |value| {
                    out.clear();
                    xmpp_parsers_serialize(black_box(value), &mut out);
                    out.len()
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, stanza_parse, stanza_serialize);
criterion_main!(benches);

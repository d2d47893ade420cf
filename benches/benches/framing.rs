//! RFC 6120 TCP stream splitting: a 1,000-stanza stream fed in 1,460-byte
//! chunks (one TCP segment on Ethernet), reported in stanzas per second.
//!
//! `chatwire` is the reading half alone (`TcpSplitter`), `chatwire-tcpframing`
//! the whole connection (`TcpFraming`, which also applies the stream's
//! ordering rules). `quick-xml` tokenizes the same bytes in one piece and
//! counts top-level elements without any checks: a lower bound on the cost
//! of finding them.

use chatwire_xmpp_framing::tcp::{Config, TcpFraming};
use chatwire_xmpp_framing::{Event, Limits, TcpSplitter};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use quick_xml::Reader;
use quick_xml::events::Event as XmlEvent;
use std::hint::black_box;

const STANZAS: usize = 1000;
const SEGMENT: usize = 1460;

fn stream() -> Vec<u8> {
    let mut out = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='s1' version='1.0'>".to_vec();
    for i in 0..STANZAS {
        let stanza = match i % 3 {
            0 => format!(
                "<message from='juliet@example.com/balcony' to='romeo@example.net' type='chat' id='m{i}'><body>Wherefore art thou, Romeo? &lt;3 message {i}</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>"
            ),
            1 => format!(
                "<presence from='romeo@example.net/orchard' id='p{i}'><show>away</show><status>In the orchard</status><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://example.net' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>"
            ),
            _ => format!(
                "<iq type='result' id='i{i}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='v{i}'><item jid='nurse@example.com' name='Nurse' subscription='both'><group>Servants</group></item></query></iq>"
            ),
        };
        out.extend_from_slice(stanza.as_bytes());
        if i % 50 == 0 {
            out.push(b' '); // a whitespace keepalive now and then
        }
    }
    out.extend_from_slice(b"</stream:stream>");
    out
}

fn chatwire(input: &[u8]) -> usize {
    let mut splitter = TcpSplitter::new(Limits::default());
    let mut elements = 0;
    for segment in input.chunks(SEGMENT) {
        if splitter.handle_input(segment).is_err() {
            return 0;
        }
        while let Some(event) = splitter.poll_event() {
            if let Event::Element(element) = event {
                elements += 1;
                black_box(element);
            }
        }
    }
    elements
}

fn chatwire_tcp_framing(input: &[u8]) -> usize {
    let mut server = TcpFraming::server(Config::default());
    let mut elements = 0;
    for segment in input.chunks(SEGMENT) {
        if server.handle_input(segment).is_err() {
            return 0;
        }
        while let Some(event) = server.poll_event() {
            if let Event::Element(element) = event {
                elements += 1;
                black_box(element);
            }
        }
    }
    elements
}

fn quick_xml(input: &[u8]) -> usize {
    let mut reader = Reader::from_reader(input);
    let mut depth = 0usize;
    let mut elements = 0;
    loop {
        match reader.read_event() {
            Ok(XmlEvent::Start(_)) => depth += 1,
            Ok(XmlEvent::Empty(_)) if depth == 1 => elements += 1,
            Ok(XmlEvent::End(_)) => {
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    elements += 1;
                }
            }
            Ok(XmlEvent::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    elements
}

fn framing_split(c: &mut Criterion) {
    let input = stream();
    assert_eq!(chatwire(&input), STANZAS);
    assert_eq!(chatwire_tcp_framing(&input), STANZAS);
    assert_eq!(quick_xml(&input), STANZAS);
    let mut group = c.benchmark_group("framing_split");
    group.throughput(Throughput::Elements(STANZAS as u64));
    group.bench_with_input(
        BenchmarkId::new("chatwire", "tcp-1000-stanzas"),
        &input,
        |b, input| b.iter(|| chatwire(black_box(input))),
    );
    group.bench_with_input(
        BenchmarkId::new("chatwire-tcpframing", "tcp-1000-stanzas"),
        &input,
        |b, input| b.iter(|| chatwire_tcp_framing(black_box(input))),
    );
    group.bench_with_input(
        BenchmarkId::new("quick-xml", "tcp-1000-stanzas"),
        &input,
        |b, input| b.iter(|| quick_xml(black_box(input))),
    );
    group.finish();
}

criterion_group!(benches, framing_split);
criterion_main!(benches);

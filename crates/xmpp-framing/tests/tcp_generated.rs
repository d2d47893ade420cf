//! Generated streams, split at random, checked against quick-xml's
//! namespace-aware reader run over the whole stream in one piece.

// Test helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use chatwire_xmpp_framing::{Event, Limits, TcpSplitter};
use proptest::prelude::*;
use quick_xml::events::Event as XmlEvent;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

const HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

#[derive(Debug, Clone)]
enum Node {
    Element {
        name: String,
        attributes: Vec<(String, String)>,
        children: Vec<Node>,
    },
    Text(String),
    CData(String),
}

fn text() -> impl Strategy<Value = String> {
    "[a-z <>&'\"\u{e9}\u{1F600}\n\t]{0,12}"
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        text().prop_map(Node::Text),
        "[a-z<> &]{0,10}".prop_map(Node::CData),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        (
            prop_oneof![
                Just("body".to_owned()),
                Just("x".to_owned()),
                Just("p:item".to_owned()),
            ],
            proptest::collection::vec(("[a-z]{1,4}", text()), 0..3),
            proptest::collection::vec(inner, 0..4),
        )
            .prop_map(|(name, attributes, children)| Node::Element {
                name,
                attributes,
                children,
            })
    })
}

/// A top-level element: which namespace style, its children.
fn stanza() -> impl Strategy<Value = (u8, Vec<Node>)> {
    (0u8..4, proptest::collection::vec(node(), 0..4))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn write(node: &Node, out: &mut String) {
    match node {
        Node::Text(t) => out.push_str(&escape(t)),
        Node::CData(t) => {
            out.push_str("<![CDATA[");
            out.push_str(t);
            out.push_str("]]>");
        }
        Node::Element {
            name,
            attributes,
            children,
        } => {
            out.push('<');
            out.push_str(name);
            if name.starts_with("p:") {
                out.push_str(" xmlns:p='urn:example:p'");
            }
            let mut seen = Vec::new();
            for (k, v) in attributes {
                if seen.contains(k) {
                    continue;
                }
                seen.push(k.clone());
                out.push_str(&format!(" {k}=\"{}\"", escape(v)));
            }
            if children.is_empty() {
                out.push_str("/>");
            } else {
                out.push('>');
                for child in children {
                    write(child, out);
                }
                out.push_str(&format!("</{name}>"));
            }
        }
    }
}

fn stream(stanzas: &[(u8, Vec<Node>)]) -> String {
    let mut out = HEADER.to_owned();
    for (i, (style, children)) in stanzas.iter().enumerate() {
        let (open, close) = match style {
            0 => ("<message".to_owned(), "</message>"),
            1 => ("<stream:features".to_owned(), "</stream:features>"),
            2 => ("<r xmlns='urn:example:r'".to_owned(), "</r>"),
            _ => ("<q:iq xmlns:q='jabber:server'".to_owned(), "</q:iq>"),
        };
        out.push_str(&open);
        out.push_str(&format!(" id='s{i}'>"));
        for child in children {
            write(child, &mut out);
        }
        out.push_str(close);
        if i % 2 == 0 {
            out.push_str(" \n");
        }
    }
    out.push_str("</stream:stream>");
    out
}

/// (namespace, local name, bytes) of each top-level element, by quick-xml.
fn reference(input: &str) -> Vec<(String, String, String)> {
    let mut reader = NsReader::from_str(input);
    let mut depth = 0;
    let mut start = 0;
    let mut found = Vec::new();
    let mut current = None;
    loop {
        let before = reader.buffer_position() as usize;
        let (ns, event) = reader.read_resolved_event().unwrap();
        let ns = match ns {
            ResolveResult::Bound(ns) => ns.0.to_owned(),
            ResolveResult::Unbound => String::new(),
            ResolveResult::Unknown(p) => panic!("unknown prefix {p}"),
        };
        match event {
            XmlEvent::Start(tag) => {
                depth += 1;
                if depth == 2 {
                    start = before;
                    current = Some((ns, tag.local_name().as_ref().to_owned()));
                }
            }
            XmlEvent::Empty(tag) if depth == 1 => {
                let end = reader.buffer_position() as usize;
                found.push((
                    ns,
                    tag.local_name().as_ref().to_owned(),
                    input[before..end].to_owned(),
                ));
            }
            XmlEvent::End(_) => {
                if depth == 2 {
                    let end = reader.buffer_position() as usize;
                    let (ns, local) = current.take().unwrap();
                    found.push((ns, local, input[start..end].to_owned()));
                }
                depth -= 1;
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    found
}

fn ours(input: &[u8], cuts: &[usize]) -> Vec<(String, String, String)> {
    let mut splitter = TcpSplitter::new(Limits::default());
    let mut found = Vec::new();
    let mut last = 0;
    let mut cuts = cuts.to_vec();
    cuts.push(input.len());
    cuts.sort_unstable();
    for cut in cuts {
        let cut = cut.min(input.len());
        splitter.handle_input(&input[last..cut]).unwrap();
        last = cut;
        while let Some(event) = splitter.poll_event() {
            if let Event::Element(e) = event {
                found.push((
                    e.namespace.to_string(),
                    e.local_name.to_string(),
                    e.as_str().to_owned(),
                ));
            }
        }
    }
    assert!(splitter.is_closed());
    found
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn splits_like_quick_xml(
        stanzas in proptest::collection::vec(stanza(), 1..8),
        cuts in proptest::collection::vec(0usize..4000, 0..12),
    ) {
        let input = stream(&stanzas);
        let expected = reference(&input);
        prop_assert_eq!(expected.len(), stanzas.len());
        prop_assert_eq!(ours(input.as_bytes(), &cuts), expected);
    }
}

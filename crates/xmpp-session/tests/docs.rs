//! `docs/session.md` against the code: each sequence diagram's arrows are
//! the elements that cross the wire, in order, when our client and our
//! server run the negotiation it shows.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

mod common;

use chatwire_sasl::Mechanism;
use chatwire_xmpp_stanza::{Jid, Message};
use common::{Pair, Wire, configs};

/// The arrows of the `index`th mermaid block: (client to server, first word).
fn diagram(index: usize) -> Vec<(bool, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/session.md");
    let text = std::fs::read_to_string(path).unwrap();
    let block = text.split("```mermaid").nth(index + 1).unwrap();
    let block = block.split("```").next().unwrap();
    block
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let (to_server, rest) = if let Some(rest) = line.strip_prefix("C->>S: ") {
                (true, rest)
            } else {
                (false, line.strip_prefix("S->>C: ")?)
            };
            Some((to_server, rest.split_whitespace().next()?.to_owned()))
        })
        .collect()
}

/// The top-level elements of what crossed the wire, by name; a TCP stream
/// header and footer count as `stream:stream` and `/stream:stream`.
fn elements(wire: &[(bool, String)]) -> Vec<(bool, String)> {
    let mut names = Vec::new();
    for (to_server, chunk) in wire {
        let mut depth = 0usize;
        let mut rest = chunk.as_str();
        while let Some(start) = rest.find('<') {
            rest = &rest[start..];
            let end = rest.find('>').unwrap();
            let tag = &rest[..=end];
            rest = &rest[end + 1..];
            if tag.starts_with("<?") {
                continue;
            }
            if let Some(name) = tag.strip_prefix("</") {
                let name = name.trim_end_matches('>');
                if name == "stream:stream" {
                    names.push((*to_server, "/stream:stream".to_owned()));
                } else {
                    depth -= 1;
                }
                continue;
            }
            let name: String = tag[1..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '/' && *c != '>')
                .collect();
            if name == "stream:stream" {
                names.push((*to_server, name));
                continue;
            }
            if depth == 0 {
                names.push((*to_server, name));
            }
            if !tag.ends_with("/>") {
                depth += 1;
            }
        }
    }
    names
}

fn run(wire: Wire, mechanism: Mechanism) -> Vec<(bool, String)> {
    let (server, client) = configs(wire, mechanism);
    let mut pair = Pair::new(wire, server, client);
    pair.run();
    pair.client
        .send(Message::chat(Jid::new("romeo@example.net").unwrap(), "hi"))
        .unwrap();
    pair.client.request_ack().unwrap();
    pair.run();
    pair.client.close().unwrap();
    pair.run();
    elements(&pair.log.wire)
}

#[test]
fn websocket_diagram_matches_the_wire() {
    let expected = diagram(0);
    assert_eq!(expected.len(), 20);
    assert_eq!(expected, run(Wire::Wss, Mechanism::ScramSha256Plus));
}

#[test]
fn tcp_diagram_matches_the_wire() {
    let expected = diagram(1);
    assert_eq!(expected.len(), 25);
    assert_eq!(expected, run(Wire::TcpStartTls, Mechanism::ScramSha1));
}

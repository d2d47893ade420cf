//! `docs/im.md` against the code: its mermaid diagram is the subscription
//! machine exactly as [`table`] has it.
//!
//! Two checks, both always run: the block equals what [`render`] makes of
//! `table()`, and, without `render`, every arrow read back from the page is
//! a cell of `table()` that changes the state, and every such cell is on
//! the page. `CHATWIRE_UPDATE_DOCS=1` rewrites the block instead of
//! comparing it.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;

use chatwire_xmpp_im::{Direction, Rule, State, SubscriptionType, table};

const PAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/im.md");
const UPDATE_VAR: &str = "CHATWIRE_UPDATE_DOCS";
const REGENERATE: &str = "CHATWIRE_UPDATE_DOCS=1 cargo test -p chatwire-xmpp-im --test diagram";
const OPEN: &str = "```mermaid\n";
const CLOSE: &str = "```";

/// Outbound first: the order labels are joined in.
const DIRECTIONS: [Direction; 2] = [Direction::Outbound, Direction::Inbound];

/// One table cell that changes the state.
type Cell = (State, State, Direction, SubscriptionType);

#[test]
fn diagram_matches_table() {
    let text = std::fs::read_to_string(PAGE).unwrap();
    let (before, block, after) = split(&text);
    let expected = render();

    if std::env::var(UPDATE_VAR).as_deref() == Ok("1") {
        if block != expected {
            std::fs::write(PAGE, format!("{before}{expected}{after}")).unwrap();
        }
        let problems = check_page(&expected);
        assert!(
            problems.is_empty(),
            "render() disagrees with table():\n{}",
            problems.join("\n")
        );
        return;
    }

    let mut problems = check_page(block);
    if block != expected {
        problems.push(format!(
            "the diagram is not what table() gives; it should read:\n{OPEN}{expected}{CLOSE}"
        ));
    }
    assert!(
        problems.is_empty(),
        "docs/im.md does not match table():\n{}\n\nRegenerate the diagram with:\n    {REGENERATE}",
        problems.join("\n")
    );
}

/// The mermaid block of the page `text`: what comes before it (up to and
/// including its opening fence), its body, and what follows (from its
/// closing fence).
fn split(text: &str) -> (&str, &str, &str) {
    assert_eq!(
        text.matches(OPEN).count(),
        1,
        "docs/im.md should hold exactly one mermaid block"
    );
    let start = text.find(OPEN).unwrap() + OPEN.len();
    let len = text[start..].find(CLOSE).unwrap();
    (
        &text[..start],
        &text[start..start + len],
        &text[start + len..],
    )
}

/// Every cell of `table()` whose state changes, in table order.
fn changing_cells() -> Vec<Cell> {
    let mut cells = Vec::new();
    for direction in DIRECTIONS {
        for ty in SubscriptionType::ALL {
            for from in State::ALL {
                let (_, to) = table(from, direction, ty);
                if to != from {
                    cells.push((from, to, direction, ty));
                }
            }
        }
    }
    cells
}

/// The diagram body as `table()` gives it: the nine states in Appendix A.1
/// order, then one arrow per pair of states, ordered by source and target,
/// its labels outbound first and in `SubscriptionType::ALL` order.
fn render() -> String {
    let mut edges: BTreeMap<(State, State), Vec<String>> = BTreeMap::new();
    for (from, to, direction, ty) in changing_cells() {
        let label = format!("{} {}", direction_word(direction), type_word(ty));
        edges.entry((from, to)).or_default().push(label);
    }
    let mut out = String::from("stateDiagram-v2\n");
    for state in State::ALL {
        writeln!(out, "    state \"{}\" as {}", state.rfc_name(), id(state)).unwrap();
    }
    for ((from, to), labels) in edges {
        writeln!(
            out,
            "    {} --> {}: {}",
            id(from),
            id(to),
            labels.join(", ")
        )
        .unwrap();
    }
    out
}

fn id(state: State) -> String {
    format!("{state:?}")
}

fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Outbound => "out",
        Direction::Inbound => "in",
    }
}

fn type_word(ty: SubscriptionType) -> &'static str {
    match ty {
        SubscriptionType::Subscribe => "subscribe",
        SubscriptionType::Subscribed => "subscribed",
        SubscriptionType::Unsubscribe => "unsubscribe",
        SubscriptionType::Unsubscribed => "unsubscribed",
    }
}

/// Reads the diagram back and checks it against `table()` directly: each
/// state declared once with its RFC name, each arrow's labels cells that
/// MUST be routed or delivered and lead from its source to its target, no
/// cell twice, and no state-changing cell missing. Returns the problems.
fn check_page(block: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut declared = BTreeSet::new();
    let mut pairs = BTreeSet::new();
    let mut cells = HashSet::new();
    let mut lines = block.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some("stateDiagram-v2") {
        problems.push("the block does not start with `stateDiagram-v2`".to_owned());
    }
    for line in lines {
        if let Some(rest) = line.strip_prefix("state \"") {
            let Some((label, name)) = rest.split_once("\" as ") else {
                problems.push(format!("cannot read `{line}`"));
                continue;
            };
            let Some(state) = state_by_id(name) else {
                problems.push(format!("`{line}`: no state `{name}`"));
                continue;
            };
            if State::from_rfc_name(label) != Some(state) {
                problems.push(format!(
                    "`{line}`: RFC 6121 calls it \"{}\"",
                    state.rfc_name()
                ));
            }
            if !declared.insert(name.to_owned()) {
                problems.push(format!("`{line}`: state declared twice"));
            }
        } else if let Some((arrow, labels)) = line.split_once(": ") {
            let Some((from, to)) = arrow.split_once(" --> ") else {
                problems.push(format!("cannot read `{line}`"));
                continue;
            };
            let (Some(from), Some(to)) = (state_by_id(from.trim()), state_by_id(to.trim())) else {
                problems.push(format!("`{line}`: unknown state"));
                continue;
            };
            if !pairs.insert((from, to)) {
                problems.push(format!("`{line}`: a second arrow for the same pair"));
            }
            for label in labels.split(", ") {
                let Some((direction, ty)) = parse_label(label) else {
                    problems.push(format!("`{line}`: cannot read label `{label}`"));
                    continue;
                };
                let cell = table(from, direction, ty);
                if cell != (Rule::Must, to) || from == to {
                    problems.push(format!(
                        "`{line}`: `{label}` from {} gives {cell:?} in table()",
                        from.rfc_name()
                    ));
                }
                if !cells.insert((from, to, direction, ty)) {
                    problems.push(format!("`{line}`: `{label}` appears twice"));
                }
            }
        } else {
            problems.push(format!("cannot read `{line}`"));
        }
    }
    for state in State::ALL {
        if !declared.contains(&id(state)) {
            problems.push(format!("state {} is not declared", id(state)));
        }
    }
    for (from, to, direction, ty) in changing_cells() {
        if !cells.contains(&(from, to, direction, ty)) {
            problems.push(format!(
                "missing: {direction:?} {ty:?} takes {} to {}",
                from.rfc_name(),
                to.rfc_name()
            ));
        }
    }
    problems
}

fn state_by_id(name: &str) -> Option<State> {
    State::ALL.into_iter().find(|s| format!("{s:?}") == name)
}

fn parse_label(label: &str) -> Option<(Direction, SubscriptionType)> {
    let (direction, ty) = label.trim().split_once(' ')?;
    let direction = match direction {
        "out" => Direction::Outbound,
        "in" => Direction::Inbound,
        _ => return None,
    };
    let ty = match ty {
        "subscribe" => SubscriptionType::Subscribe,
        "subscribed" => SubscriptionType::Subscribed,
        "unsubscribe" => SubscriptionType::Unsubscribe,
        "unsubscribed" => SubscriptionType::Unsubscribed,
        _ => return None,
    };
    Some((direction, ty))
}

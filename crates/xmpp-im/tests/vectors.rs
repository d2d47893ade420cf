//! Every cell of RFC 6121 Appendix A.2 and A.3, from tests/vectors/rfc6121-subscriptions.json
//! (a copy of `../shared/vectors/rfc6121-subscriptions.json`): 8 tables x 9 states.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use chatwire_xmpp_im::{
    ContactState, Direction, Forward, Policy, PresenceEffect, Rule, State, SubscriptionType, table,
    transition,
};
use serde_json::Value;

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/rfc6121-subscriptions.json"
);

fn load() -> Value {
    let text = std::fs::read_to_string(VECTORS).expect("read the vectors");
    serde_json::from_str(&text).expect("parse the vectors")
}

fn table_key(name: &str) -> (Direction, SubscriptionType) {
    let (dir, ty) = name.split_once(' ').unwrap();
    let dir = match dir {
        "outbound" => Direction::Outbound,
        "inbound" => Direction::Inbound,
        other => panic!("direction {other}"),
    };
    let ty = match ty {
        "subscribe" => SubscriptionType::Subscribe,
        "subscribed" => SubscriptionType::Subscribed,
        "unsubscribe" => SubscriptionType::Unsubscribe,
        "unsubscribed" => SubscriptionType::Unsubscribed,
        other => panic!("type {other}"),
    };
    (dir, ty)
}

/// The cell text without its note marker, and the note number if any.
fn split_note(cell: &str) -> (&str, Option<&str>) {
    match cell.split_once(" [") {
        Some((text, note)) => (text, Some(note.trim_end_matches(']'))),
        None => (cell, None),
    }
}

struct Cell {
    table: String,
    dir: Direction,
    ty: SubscriptionType,
    state: State,
    rule: Rule,
    rule_note: Option<String>,
    /// `None` for "pre-approval".
    new_state: Option<State>,
    new_state_note: Option<String>,
}

fn cells() -> Vec<Cell> {
    let v = load();
    let states: Vec<&str> = v["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        State::ALL.map(State::rfc_name),
        "the vectors list the nine states in table order"
    );
    let mut out = Vec::new();
    for (name, t) in v["tables"].as_object().unwrap() {
        let (dir, ty) = table_key(name);
        let column = t["column"].as_str().unwrap();
        assert_eq!(
            column,
            match dir {
                Direction::Outbound => "route",
                Direction::Inbound => "deliver",
            }
        );
        let rows = t["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 9, "{name}");
        for (row, expected_state) in rows.iter().zip(State::ALL) {
            let state = State::from_rfc_name(row["state"].as_str().unwrap()).unwrap();
            assert_eq!(state, expected_state, "{name}: rows in table order");
            let (rule, rule_note) = split_note(row[column].as_str().unwrap());
            let rule = match rule {
                "MUST" => Rule::Must,
                "M.N." => Rule::MustNot,
                "S.N." => Rule::ShouldNot,
                other => panic!("{name}: rule {other}"),
            };
            let (new_state, new_state_note) = split_note(row["new_state"].as_str().unwrap());
            let new_state = match new_state {
                "no state change" => Some(state),
                "pre-approval" => None,
                other => Some(State::from_rfc_name(other).unwrap()),
            };
            out.push(Cell {
                table: name.clone(),
                dir,
                ty,
                state,
                rule,
                rule_note: rule_note.map(str::to_owned),
                new_state,
                new_state_note: new_state_note.map(str::to_owned),
            });
        }
    }
    out
}

#[test]
fn all_72_cells_are_present() {
    let cells = cells();
    assert_eq!(cells.len(), 72);
    for dir in [Direction::Outbound, Direction::Inbound] {
        for ty in SubscriptionType::ALL {
            for state in State::ALL {
                assert_eq!(
                    cells
                        .iter()
                        .filter(|c| c.dir == dir && c.ty == ty && c.state == state)
                        .count(),
                    1
                );
            }
        }
    }
}

#[test]
fn table_matches_every_cell() {
    for c in cells() {
        let (rule, new_state) = table(c.state, c.dir, c.ty);
        assert_eq!(rule, c.rule, "{} / {}", c.table, c.state.rfc_name());
        assert_eq!(
            new_state,
            c.new_state.unwrap_or(c.state),
            "{} / {}",
            c.table,
            c.state.rfc_name()
        );
    }
}

/// The note that says "auto-reply with X" in this cell's table, if the
/// cell refers to it.
fn auto_reply_note(c: &Cell) -> Option<SubscriptionType> {
    let v = load();
    let note = c.rule_note.as_ref()?;
    let text = v["tables"][&c.table]["notes"][note].as_str().unwrap();
    if text.contains("SHOULD auto-reply with \"subscribed\"") {
        Some(SubscriptionType::Subscribed)
    } else if text.contains("SHOULD auto-reply with \"unsubscribed\"") {
        Some(SubscriptionType::Unsubscribed)
    } else {
        None
    }
}

#[test]
fn every_cell_without_pre_approval() {
    for policy in [
        Policy::default(),
        Policy::default().with_pre_approval(false),
    ] {
        for c in cells() {
            let at = format!("{} / {}", c.table, c.state.rfc_name());
            let t = transition(ContactState::new(c.state), c.dir, c.ty, &policy);
            assert_eq!(t.before, ContactState::new(c.state), "{at}");
            assert_eq!(t.rule, c.rule, "{at}");
            let expected_forward = match (c.rule, c.dir) {
                (Rule::Must, Direction::Outbound) => Forward::Route,
                (Rule::Must, Direction::Inbound) => Forward::Deliver,
                _ => Forward::Drop,
            };
            assert_eq!(t.forward, expected_forward, "{at}");
            match c.new_state {
                Some(s) => {
                    assert_eq!(t.after.state(), s, "{at}");
                    assert!(!t.after.approved(), "{at}");
                }
                None => {
                    // The "pre-approval" cells of A.2.3.
                    assert_eq!(t.after.state(), c.state, "{at}");
                    assert_eq!(t.after.approved(), policy.pre_approval, "{at}");
                }
            }
            assert_eq!(t.auto_reply, auto_reply_note(&c), "{at}");
            assert_eq!(
                t.roster_push,
                t.before.subscription() != t.after.subscription()
                    || t.before.ask() != t.after.ask()
                    || t.before.approved() != t.after.approved(),
                "{at}"
            );
            let from_before = c.state.from();
            let from_after = t.after.state().from();
            let expected_presence = match (from_before, from_after) {
                (false, true) => PresenceEffect::SendCurrent,
                (true, false) => PresenceEffect::SendUnavailable,
                _ => PresenceEffect::None,
            };
            assert_eq!(t.presence, expected_presence, "{at}");
        }
    }
}

#[test]
fn auto_replies_off_sends_none() {
    let policy = Policy::default().with_auto_reply(false);
    for c in cells() {
        let t = transition(ContactState::new(c.state), c.dir, c.ty, &policy);
        assert_eq!(t.auto_reply, None, "{} / {}", c.table, c.state.rfc_name());
    }
}

/// Notes the tests act on: the vectors' notes beyond these would need code.
#[test]
fn every_note_is_understood() {
    let v = load();
    for (name, t) in v["tables"].as_object().unwrap() {
        for (n, text) in t["notes"].as_object().unwrap() {
            let text = text.as_str().unwrap();
            let known = text.contains("'ask' flag")
                || text.contains("pre-approval")
                || text.contains("preapproval")
                || text.contains("SHOULD auto-reply with");
            assert!(known, "{name} note {n}: {text}");
        }
    }
}

#[test]
fn note_markers_sit_where_the_code_acts() {
    for c in cells() {
        let at = format!("{} / {}", c.table, c.state.rfc_name());
        // A.2.1 note 1: the cells that set `ask` are the ones that gain Pending Out.
        if c.dir == Direction::Outbound && c.ty == SubscriptionType::Subscribe {
            let gains_ask = !c.state.pending_out() && c.new_state.unwrap().pending_out();
            assert_eq!(c.rule_note.is_some(), gains_ask, "{at}");
        }
        // A.2.3 note 1 marks exactly the pre-approval cells.
        if c.dir == Direction::Outbound && c.ty == SubscriptionType::Subscribed {
            assert_eq!(c.new_state_note.is_some(), c.new_state.is_none(), "{at}");
        }
    }
}

/// A.2.3/A.2.4 note 1 and A.3.1 note 1: the pre-approval cells, with the
/// flag set, in each state that can carry it.
#[test]
fn pre_approval_cells() {
    let policy = Policy::default();
    for (state, approved_state) in [
        (State::None, State::From),
        (State::NonePendingOut, State::FromPendingOut),
        (State::To, State::Both),
    ] {
        let plain = ContactState::new(state);
        // Outbound subscribed records it, not routed, pushed once.
        let t = plain.outbound(SubscriptionType::Subscribed, &policy);
        assert_eq!(t.forward, Forward::Drop);
        assert_eq!(t.rule, Rule::MustNot);
        assert_eq!(t.after, ContactState::with_approved(state, true));
        assert!(t.roster_push);
        let again = t.after.outbound(SubscriptionType::Subscribed, &policy);
        assert!(!again.changed() && !again.roster_push);

        // Outbound unsubscribed withdraws it, not routed.
        let w = t.after.outbound(SubscriptionType::Unsubscribed, &policy);
        assert_eq!(w.forward, Forward::Drop);
        assert_eq!(w.after, plain);
        assert!(w.roster_push);

        // Inbound subscribe is approved on the user's behalf.
        let a = t.after.inbound(SubscriptionType::Subscribe, &policy);
        assert_eq!(a.forward, Forward::Drop);
        assert_eq!(a.after, ContactState::new(approved_state));
        assert_eq!(a.auto_reply, Some(SubscriptionType::Subscribed));
        assert_eq!(a.presence, PresenceEffect::SendCurrent);
        assert!(a.roster_push);

        // Without pre-approval support the flag is not honoured.
        let off = Policy::default().with_pre_approval(false);
        let d = t.after.inbound(SubscriptionType::Subscribe, &off);
        assert_eq!(d.forward, Forward::Deliver);
        assert!(d.after.pending_in());
    }
}

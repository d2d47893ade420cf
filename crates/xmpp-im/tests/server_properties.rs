//! Random sequences of logins, logouts, presence, subscription stanzas and
//! roster changes from three users through the server machine: the users'
//! views of each other stay mirrored, roster versions only grow, the store
//! written from the machine's changes always loads back to the same user,
//! and nothing panics.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeMap;

use chatwire_xmpp_im::Config;
use common::{World, jid};
use proptest::prelude::*;

const USERS: [&str; 3] = ["alice@example.com", "bob@example.com", "carol@example.com"];
const TYPES: [&str; 4] = ["subscribe", "subscribed", "unsubscribe", "unsubscribed"];

#[derive(Debug, Clone)]
enum Op {
    Connect(usize, usize),
    Disconnect(usize, usize),
    Available(usize, usize, i8),
    Unavailable(usize, usize),
    RosterGet(usize, usize, bool),
    Subscription(usize, usize, usize, usize),
    Add(usize, usize, usize),
    Remove(usize, usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let u = 0..3usize;
    let r = 0..2usize;
    prop_oneof![
        1 => (u.clone(), r.clone()).prop_map(|(u, r)| Op::Connect(u, r)),
        1 => (u.clone(), r.clone()).prop_map(|(u, r)| Op::Disconnect(u, r)),
        1 => (u.clone(), r.clone(), -2i8..3).prop_map(|(u, r, p)| Op::Available(u, r, p)),
        1 => (u.clone(), r.clone()).prop_map(|(u, r)| Op::Unavailable(u, r)),
        1 => (u.clone(), r.clone(), any::<bool>()).prop_map(|(u, r, v)| Op::RosterGet(u, r, v)),
        4 => (u.clone(), r.clone(), u.clone(), 0..4usize).prop_map(|(u, r, c, t)| Op::Subscription(u, r, c, t)),
        1 => (u.clone(), r.clone(), u.clone()).prop_map(|(u, r, c)| Op::Add(u, r, c)),
        1 => (u, r, 0..3usize).prop_map(|(u, r, c)| Op::Remove(u, r, c)),
    ]
}

fn session(u: usize, r: usize) -> String {
    format!("{}/r{r}", USERS[u])
}

fn apply(w: &mut World, connected: &mut [[bool; 2]; 3], op: &Op) {
    let needs = |u: usize, r: usize| connected[u][r];
    match *op {
        Op::Connect(u, r) if !connected[u][r] => {
            w.connect(&session(u, r));
            connected[u][r] = true;
        }
        Op::Disconnect(u, r) if needs(u, r) => {
            w.disconnect(&session(u, r));
            connected[u][r] = false;
        }
        Op::Available(u, r, p) if needs(u, r) => w.send(
            &session(u, r),
            &format!("<presence xmlns='jabber:client'><priority>{p}</priority></presence>"),
        ),
        Op::Unavailable(u, r) if needs(u, r) => {
            w.send(&session(u, r), "<presence xmlns='jabber:client' type='unavailable'/>");
        }
        Op::RosterGet(u, r, versioned) if needs(u, r) => {
            let ver = if versioned { " ver='1'" } else { "" };
            w.send(
                &session(u, r),
                &format!("<iq xmlns='jabber:client' type='get' id='g'><query xmlns='jabber:iq:roster'{ver}/></iq>"),
            );
        }
        Op::Subscription(u, r, c, t) if needs(u, r) => w.send(
            &session(u, r),
            &format!("<presence xmlns='jabber:client' to='{}' type='{}'/>", USERS[c], TYPES[t]),
        ),
        Op::Add(u, r, c) if needs(u, r) => w.send(
            &session(u, r),
            &format!("<iq xmlns='jabber:client' type='set' id='a'><query xmlns='jabber:iq:roster'><item jid='{}'/></query></iq>", USERS[c]),
        ),
        Op::Remove(u, r, c) if needs(u, r) => w.send(
            &session(u, r),
            &format!("<iq xmlns='jabber:client' type='set' id='d'><query xmlns='jabber:iq:roster'><item jid='{}' subscription='remove'/></query></iq>", USERS[c]),
        ),
        _ => {}
    }
    for s in w.inbox.values_mut() {
        s.clear();
    }
}

/// alice has To for bob exactly when bob has From for alice, and her
/// Pending Out is his Pending In.
fn check_mirrored(w: &World) {
    for a in USERS {
        for b in USERS {
            if a == b {
                continue;
            }
            let ab = w
                .view(a)
                .contact_state(&jid(b))
                .map(|c| c.state())
                .unwrap_or_default();
            let ba = w
                .view(b)
                .contact_state(&jid(a))
                .map(|c| c.state())
                .unwrap_or_default();
            assert_eq!(ab.to(), ba.from(), "{a} has {ab:?} for {b}, who has {ba:?}");
            assert_eq!(
                ab.pending_out(),
                ba.pending_in(),
                "{a} has {ab:?} for {b}, who has {ba:?}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_sequences_keep_views_consistent(ops in proptest::collection::vec(op(), 1..60)) {
        let mut w = World::new(Config::default(), &USERS);
        let mut connected = [[false; 2]; 3];
        let mut versions: BTreeMap<&str, u64> = BTreeMap::new();
        for op in &ops {
            apply(&mut w, &mut connected, op);
            w.check_store();
            check_mirrored(&w);
            for u in USERS {
                let v = w.view(u).roster_version();
                let before = versions.insert(u, v).unwrap_or(0);
                prop_assert!(v >= before, "{u}: version {before} then {v}");
            }
        }
    }
}

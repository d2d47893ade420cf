//! Totality of the subscription machine and consistency of two users'
//! views of each other.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use chatwire_xmpp_im::{
    ContactState, Direction, Forward, Policy, PresenceEffect, Rule, State, SubscriptionType,
    transition,
};
use proptest::prelude::*;

fn policies() -> [Policy; 4] {
    [
        Policy::default(),
        Policy::default().with_pre_approval(false),
        Policy::default().with_auto_reply(false),
        Policy::default()
            .with_pre_approval(false)
            .with_auto_reply(false),
    ]
}

fn contact_states() -> Vec<ContactState> {
    State::ALL
        .into_iter()
        .flat_map(|s| [false, true].map(|a| ContactState::with_approved(s, a)))
        .collect()
}

/// Every state (with and without pre-approval) x direction x type x policy:
/// a defined result that keeps the crate's invariants.
#[test]
fn every_input_in_every_state_is_defined() {
    let mut seen = 0;
    for before in contact_states() {
        for dir in [Direction::Outbound, Direction::Inbound] {
            for ty in SubscriptionType::ALL {
                for policy in policies() {
                    let t = transition(before, dir, ty, &policy);
                    seen += 1;
                    assert_eq!(t.before, before);
                    assert!(!(t.after.approved() && t.after.state().from()));
                    match (dir, t.forward) {
                        (Direction::Outbound, Forward::Deliver)
                        | (Direction::Inbound, Forward::Route) => panic!("{t:?}"),
                        _ => {}
                    }
                    if t.forward != Forward::Drop {
                        assert_eq!(t.rule, Rule::Must);
                    }
                    // Only the outbound subscribed cells may refuse routing outright.
                    if t.rule == Rule::MustNot {
                        assert_eq!(
                            (dir, ty),
                            (Direction::Outbound, SubscriptionType::Subscribed)
                        );
                    }
                    assert_eq!(t.roster_push, t.before.roster_differs(t.after));
                    if t.presence != PresenceEffect::None {
                        assert!(t.roster_push, "{t:?}");
                    }
                    // Auto-replies only answer inbound stanzas.
                    if dir == Direction::Outbound {
                        assert_eq!(t.auto_reply, None);
                    }
                    // Re-running a dropped stanza changes nothing further.
                    let again = transition(t.after, dir, ty, &policy);
                    assert_eq!(again.after, transition(again.after, dir, ty, &policy).after);
                }
            }
        }
    }
    assert_eq!(seen, 18 * 2 * 4 * 4);
}

/// alice's server holds alice's state for bob, bob's server bob's state for alice.
#[derive(Debug, Clone, Copy)]
struct Pair {
    alice: ContactState,
    bob: ContactState,
}

impl Pair {
    /// `sender` (true: alice) sends `ty` to the other; every routed stanza
    /// and auto-reply is delivered.
    fn send(&mut self, alice_sends: bool, ty: SubscriptionType, pa: &Policy, pb: &Policy) {
        let (mut s, mut r, ps, pr) = if alice_sends {
            (self.alice, self.bob, pa, pb)
        } else {
            (self.bob, self.alice, pb, pa)
        };
        let out = s.outbound(ty, ps);
        s = out.after;
        if out.forward == Forward::Route {
            let inb = r.inbound(ty, pr);
            r = inb.after;
            if let Some(reply) = inb.auto_reply {
                let back = s.inbound(reply, ps);
                assert_eq!(back.auto_reply, None, "auto-replies do not chain");
                s = back.after;
            }
        }
        if alice_sends {
            self.alice = s;
            self.bob = r;
        } else {
            self.bob = s;
            self.alice = r;
        }
    }

    fn consistent(&self) -> bool {
        let (a, b) = (self.alice.state(), self.bob.state());
        a.to() == b.from()
            && a.from() == b.to()
            && a.pending_out() == b.pending_in()
            && a.pending_in() == b.pending_out()
    }
}

fn sub_type() -> impl Strategy<Value = SubscriptionType> {
    prop::sample::select(SubscriptionType::ALL.to_vec())
}

fn policy() -> impl Strategy<Value = Policy> {
    prop::sample::select(policies().to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// From two empty rosters, any sequence of subscription stanzas from
    /// either side, all delivered, keeps the two views mirrored.
    #[test]
    fn two_users_stay_mirrored(
        ops in prop::collection::vec((any::<bool>(), sub_type()), 0..40),
        pa in policy(),
        pb in policy(),
    ) {
        let mut pair = Pair { alice: ContactState::default(), bob: ContactState::default() };
        for (alice_sends, ty) in ops {
            pair.send(alice_sends, ty, &pa, &pb);
            prop_assert!(pair.consistent(), "{pair:?}");
        }
    }

    /// Any state, direction and type: no panic, and the roster push flag
    /// agrees with the visible roster attributes.
    #[test]
    fn arbitrary_inputs_never_panic(
        idx in 0usize..9,
        approved in any::<bool>(),
        inbound in any::<bool>(),
        ty in sub_type(),
        policy in policy(),
    ) {
        let state = State::ALL.get(idx).copied().unwrap_or_default();
        let before = ContactState::with_approved(state, approved);
        let dir = if inbound { Direction::Inbound } else { Direction::Outbound };
        let t = transition(before, dir, ty, &policy);
        prop_assert_eq!(
            t.roster_push,
            before.subscription() != t.after.subscription()
                || before.ask() != t.after.ask()
                || before.approved() != t.after.approved()
        );
    }
}

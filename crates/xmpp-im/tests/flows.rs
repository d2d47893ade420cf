//! RFC 6121 section 3 flows end to end between two users' servers, in
//! memory: each server holds its user's `ContactState` for the other.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use SubscriptionType::{Subscribe, Subscribed, Unsubscribe, Unsubscribed};
use chatwire_xmpp_im::{
    ContactState, Forward, Policy, PresenceEffect, State, SubscriptionType, Transition,
};

/// What one stanza did on each side.
#[derive(Debug)]
struct Exchange {
    out: Transition,
    /// The recipient's inbound step, when the stanza was routed.
    inbound: Option<Transition>,
    /// The sender's inbound step for the recipient's auto-reply.
    reply: Option<Transition>,
}

struct Pair {
    romeo: ContactState,
    juliet: ContactState,
    policy: Policy,
}

impl Pair {
    fn new() -> Pair {
        Pair {
            romeo: ContactState::default(),
            juliet: ContactState::default(),
            policy: Policy::default(),
        }
    }

    fn romeo_sends(&mut self, ty: SubscriptionType) -> Exchange {
        let (e, s, r) = exchange(self.romeo, self.juliet, ty, &self.policy);
        self.romeo = s;
        self.juliet = r;
        e
    }

    fn juliet_sends(&mut self, ty: SubscriptionType) -> Exchange {
        let (e, s, r) = exchange(self.juliet, self.romeo, ty, &self.policy);
        self.juliet = s;
        self.romeo = r;
        e
    }

    fn states(&self) -> (State, State) {
        (self.romeo.state(), self.juliet.state())
    }
}

fn exchange(
    sender: ContactState,
    recipient: ContactState,
    ty: SubscriptionType,
    policy: &Policy,
) -> (Exchange, ContactState, ContactState) {
    let out = sender.outbound(ty, policy);
    let mut s = out.after;
    let mut r = recipient;
    let mut inbound = None;
    let mut reply = None;
    if out.forward == Forward::Route {
        let i = r.inbound(ty, policy);
        r = i.after;
        if let Some(answer) = i.auto_reply {
            let back = s.inbound(answer, policy);
            s = back.after;
            reply = Some(back);
        }
        inbound = Some(i);
    }
    (
        Exchange {
            out,
            inbound,
            reply,
        },
        s,
        r,
    )
}

/// Sections 3.1.1-3.1.6: romeo asks, juliet approves.
#[test]
fn subscribe_and_approve() {
    let mut p = Pair::new();
    let e = p.romeo_sends(Subscribe);
    assert_eq!(e.out.forward, Forward::Route);
    assert!(e.out.roster_push, "ask='subscribe' is pushed (3.1.2)");
    let i = e.inbound.unwrap();
    assert_eq!(i.forward, Forward::Deliver);
    assert!(!i.roster_push, "a pending request is not a roster item");
    assert!(i.after.pending_in(), "kept for redelivery at login (3.1.3)");
    assert_eq!(p.states(), (State::NonePendingOut, State::NonePendingIn));

    let e = p.juliet_sends(Subscribed);
    assert_eq!(e.out.forward, Forward::Route);
    assert!(e.out.roster_push);
    assert_eq!(e.out.presence, PresenceEffect::SendCurrent, "3.1.5");
    let i = e.inbound.unwrap();
    assert_eq!(i.forward, Forward::Deliver);
    assert!(i.roster_push, "subscription='to', no ask (3.1.6)");
    assert_eq!(p.states(), (State::To, State::From));

    // A repeated approval is neither routed nor pushed.
    let e = p.juliet_sends(Subscribed);
    assert_eq!(e.out.forward, Forward::Drop);
    assert!(!e.out.roster_push && e.inbound.is_none());
}

/// Section 3.2: juliet denies, then (after approving) cancels.
#[test]
fn deny_and_cancel() {
    let mut p = Pair::new();
    p.romeo_sends(Subscribe);
    let e = p.juliet_sends(Unsubscribed);
    assert_eq!(e.out.forward, Forward::Route);
    assert!(!e.out.roster_push, "only the hidden pending request goes");
    assert_eq!(e.out.presence, PresenceEffect::None);
    assert!(
        e.inbound.unwrap().roster_push,
        "ask removed on romeo's side"
    );
    assert_eq!(p.states(), (State::None, State::None));

    p.romeo_sends(Subscribe);
    p.juliet_sends(Subscribed);
    let e = p.juliet_sends(Unsubscribed);
    assert_eq!(e.out.presence, PresenceEffect::SendUnavailable, "3.2.1");
    assert!(e.inbound.unwrap().roster_push);
    assert_eq!(p.states(), (State::None, State::None));
}

/// Section 3.3: romeo unsubscribes; juliet's server answers `unsubscribed`.
#[test]
fn unsubscribe() {
    let mut p = Pair::new();
    p.romeo_sends(Subscribe);
    p.juliet_sends(Subscribed);
    let e = p.romeo_sends(Unsubscribe);
    assert_eq!(e.out.forward, Forward::Route);
    assert!(e.out.roster_push);
    let i = e.inbound.unwrap();
    assert_eq!(i.forward, Forward::Deliver);
    assert_eq!(i.presence, PresenceEffect::SendUnavailable, "3.3.3");
    assert_eq!(i.auto_reply, Some(Unsubscribed), "A.3.2 note 1");
    // The auto-reply finds nothing left to cancel on romeo's side.
    assert_eq!(e.reply.unwrap().forward, Forward::Drop);
    assert_eq!(p.states(), (State::None, State::None));
}

/// Mutual subscription, then one direction cancelled.
#[test]
fn both_and_back() {
    let mut p = Pair::new();
    p.romeo_sends(Subscribe);
    p.juliet_sends(Subscribe);
    assert_eq!(
        p.states(),
        (State::NonePendingOutIn, State::NonePendingOutIn)
    );
    p.juliet_sends(Subscribed);
    assert_eq!(p.states(), (State::ToPendingIn, State::FromPendingOut));
    p.romeo_sends(Subscribed);
    assert_eq!(p.states(), (State::Both, State::Both));

    // Resubscribing when already subscribed: juliet's server answers itself.
    let e = p.romeo_sends(Subscribe);
    let i = e.inbound.unwrap();
    assert_eq!(i.forward, Forward::Drop);
    assert_eq!(i.auto_reply, Some(Subscribed), "A.3.1 note 2");
    assert_eq!(p.states(), (State::Both, State::Both));

    p.romeo_sends(Unsubscribe);
    assert_eq!(p.states(), (State::From, State::To));
}

/// Section 3.4: juliet pre-approves romeo, whose request is then approved
/// without reaching her.
#[test]
fn pre_approval() {
    let mut p = Pair::new();
    let e = p.juliet_sends(Subscribed);
    assert_eq!(e.out.forward, Forward::Drop);
    assert!(e.out.roster_push && p.juliet.approved());

    let e = p.romeo_sends(Subscribe);
    let i = e.inbound.unwrap();
    assert_eq!(i.forward, Forward::Drop);
    assert_eq!(i.auto_reply, Some(Subscribed));
    assert_eq!(i.presence, PresenceEffect::SendCurrent);
    assert!(e.reply.unwrap().roster_push);
    assert_eq!(p.states(), (State::To, State::From));
    assert!(!p.juliet.approved());
}

/// Section 3.4 with the pre-approval withdrawn first.
#[test]
fn withdrawn_pre_approval() {
    let mut p = Pair::new();
    p.juliet_sends(Subscribed);
    let e = p.juliet_sends(Unsubscribed);
    assert_eq!(e.out.forward, Forward::Drop);
    assert!(e.out.roster_push && !p.juliet.approved());
    let e = p.romeo_sends(Subscribe);
    assert_eq!(e.inbound.unwrap().forward, Forward::Deliver);
    assert_eq!(p.states(), (State::NonePendingOut, State::NonePendingIn));
}

/// Romeo withdraws his request before juliet answers (A.2.2, A.3.2).
#[test]
fn request_withdrawn() {
    let mut p = Pair::new();
    p.romeo_sends(Subscribe);
    let e = p.romeo_sends(Unsubscribe);
    assert!(e.out.roster_push);
    let i = e.inbound.unwrap();
    assert_eq!(i.forward, Forward::Deliver);
    assert!(!i.after.pending_in(), "the stored request is dropped");
    assert_eq!(p.states(), (State::None, State::None));
}

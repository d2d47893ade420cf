//! The server's subscription state machine: RFC 6121 sections 3.1-3.4 and
//! the eight tables of Appendix A.2 (outbound) and A.3 (inbound).

use chatwire_xmpp_stanza::PresenceType;

use crate::state::{ContactState, State};

/// The four presence types that manage subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionType {
    /// `subscribe`: ask for the recipient's presence.
    Subscribe,
    /// `subscribed`: approve the recipient's request (or pre-approve it).
    Subscribed,
    /// `unsubscribe`: cancel the sender's subscription to the recipient.
    Unsubscribe,
    /// `unsubscribed`: deny the recipient's request or cancel its
    /// subscription to the sender.
    Unsubscribed,
}

impl SubscriptionType {
    /// The four types, in the order of RFC 6121 Appendix A.2.
    pub const ALL: [SubscriptionType; 4] = [
        SubscriptionType::Subscribe,
        SubscriptionType::Unsubscribe,
        SubscriptionType::Subscribed,
        SubscriptionType::Unsubscribed,
    ];

    /// The subscription type of a presence type, if it is one.
    pub fn from_presence_type(ty: PresenceType) -> Option<SubscriptionType> {
        match ty {
            PresenceType::Subscribe => Some(SubscriptionType::Subscribe),
            PresenceType::Subscribed => Some(SubscriptionType::Subscribed),
            PresenceType::Unsubscribe => Some(SubscriptionType::Unsubscribe),
            PresenceType::Unsubscribed => Some(SubscriptionType::Unsubscribed),
            PresenceType::Available
            | PresenceType::Error
            | PresenceType::Probe
            | PresenceType::Unavailable => None,
        }
    }

    /// The presence type to put on the stanza.
    pub fn presence_type(self) -> PresenceType {
        match self {
            SubscriptionType::Subscribe => PresenceType::Subscribe,
            SubscriptionType::Subscribed => PresenceType::Subscribed,
            SubscriptionType::Unsubscribe => PresenceType::Unsubscribe,
            SubscriptionType::Unsubscribed => PresenceType::Unsubscribed,
        }
    }
}

/// Which way a subscription stanza travels, seen from the server holding
/// the [`ContactState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Sent by the server's user to the contact (Appendix A.2).
    Outbound,
    /// Sent by the contact to the server's user (Appendix A.3).
    Inbound,
}

/// A cell of the Appendix A tables' "route" (outbound) or "deliver"
/// (inbound) column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// MUST route or deliver.
    Must,
    /// MUST NOT route ("M.N.").
    MustNot,
    /// SHOULD NOT route or deliver ("S.N."): this crate does not.
    ShouldNot,
}

/// What the server does with the subscription stanza itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Forward {
    /// Outbound: route it to the contact's bare JID, the `from` stamped
    /// with the user's bare JID (section 3.1.2).
    Route,
    /// Inbound: deliver it to the user's available resources; a
    /// `subscribe` is also kept as the pending inbound request and
    /// redelivered at each login until answered (section 3.1.3).
    Deliver,
    /// Drop it silently.
    Drop,
}

/// Presence the server sends because the contact's subscription to the
/// user (From) began or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PresenceEffect {
    /// Nothing.
    None,
    /// Send the current presence of each of the user's available resources
    /// to the contact: the contact was just approved (section 3.1.5).
    SendCurrent,
    /// Send `unavailable` from each of the user's available resources to
    /// the contact: its subscription just ended (sections 3.2.1, 3.3.3).
    SendUnavailable,
}

/// Server choices RFC 6121 leaves open. The default follows every SHOULD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Policy {
    /// Support pre-approval (section 3.4, `urn:xmpp:features:pre-approval`):
    /// an outbound `subscribed` with nothing to approve records it, an
    /// inbound `subscribe` it covers is approved on the user's behalf (the
    /// MAY of Appendix A.3.1 note 1), and an outbound `unsubscribed`
    /// withdraws it. Without it those `subscribed` are ignored. Default on.
    pub pre_approval: bool,
    /// Send the SHOULD auto-replies of Appendix A.3.1 note 2 (`subscribed`
    /// to a `subscribe` from a contact that is already subscribed) and
    /// A.3.2 note 1 (`unsubscribed` to a delivered `unsubscribe`).
    /// Default on.
    pub auto_reply: bool,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            pre_approval: true,
            auto_reply: true,
        }
    }
}

impl Policy {
    /// Sets [`Policy::pre_approval`].
    pub fn with_pre_approval(mut self, on: bool) -> Policy {
        self.pre_approval = on;
        self
    }

    /// Sets [`Policy::auto_reply`].
    pub fn with_auto_reply(mut self, on: bool) -> Policy {
        self.auto_reply = on;
        self
    }
}

/// The outcome of one subscription stanza: the new state and everything
/// the server must do. The caller persists `after` when [`Transition::changed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Transition {
    /// The state before the stanza.
    pub before: ContactState,
    /// The state after it.
    pub after: ContactState,
    /// The Appendix A cell for `before`'s subscription state.
    pub rule: Rule,
    /// What happens to the stanza itself.
    pub forward: Forward,
    /// Push the contact's roster item (with `after`'s `subscription`,
    /// `ask` and `approved`) to each of the user's interested resources.
    pub roster_push: bool,
    /// A stanza the server sends on the user's behalf, from the user's bare
    /// JID to the contact's bare JID, without passing it through the
    /// outbound table.
    pub auto_reply: Option<SubscriptionType>,
    /// Presence to send to the contact on the user's behalf.
    pub presence: PresenceEffect,
}

impl Transition {
    /// The stored state changes (including a pending inbound request,
    /// which the roster does not show).
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// Runs one subscription stanza through the Appendix A table for its
/// direction and type.
///
/// Total: every state, direction, type and policy gives a result.
pub fn transition(
    before: ContactState,
    direction: Direction,
    ty: SubscriptionType,
    policy: &Policy,
) -> Transition {
    let step = match direction {
        Direction::Outbound => outbound(before, ty, policy),
        Direction::Inbound => inbound(before, ty, policy),
    };
    let after = ContactState::with_approved(step.state, step.approved);
    let presence = match (before.state().from(), after.state().from()) {
        (false, true) => PresenceEffect::SendCurrent,
        (true, false) => PresenceEffect::SendUnavailable,
        _ => PresenceEffect::None,
    };
    Transition {
        before,
        after,
        rule: step.rule,
        forward: step.forward,
        roster_push: before.roster_differs(after),
        auto_reply: step.auto_reply,
        presence,
    }
}

impl ContactState {
    /// [`transition`] for a stanza the user sends to the contact.
    pub fn outbound(self, ty: SubscriptionType, policy: &Policy) -> Transition {
        transition(self, Direction::Outbound, ty, policy)
    }

    /// [`transition`] for a stanza the contact sends to the user.
    pub fn inbound(self, ty: SubscriptionType, policy: &Policy) -> Transition {
        transition(self, Direction::Inbound, ty, policy)
    }
}

/// The table cell for a state, direction and type, without pre-approval:
/// the rule and the new state exactly as RFC 6121 Appendix A lists them
/// (the "pre-approval" cells of A.2.3 keep the state).
pub fn table(state: State, direction: Direction, ty: SubscriptionType) -> (Rule, State) {
    use Rule::{Must, MustNot, ShouldNot};
    use State as S;
    use SubscriptionType as T;
    match (direction, ty) {
        // A.2.1: outbound subscribe is always routed.
        (Direction::Outbound, T::Subscribe) => (
            Must,
            match state {
                S::None => S::NonePendingOut,
                S::NonePendingIn => S::NonePendingOutIn,
                S::From => S::FromPendingOut,
                other => other,
            },
        ),
        // A.2.2: outbound unsubscribe is always routed.
        (Direction::Outbound, T::Unsubscribe) => (
            Must,
            match state {
                S::NonePendingOut | S::To => S::None,
                S::NonePendingOutIn | S::ToPendingIn => S::NonePendingIn,
                S::FromPendingOut | S::Both => S::From,
                other => other,
            },
        ),
        // A.2.3: outbound subscribed is routed only to approve a request.
        (Direction::Outbound, T::Subscribed) => match state {
            S::NonePendingIn => (Must, S::From),
            S::NonePendingOutIn => (Must, S::FromPendingOut),
            S::ToPendingIn => (Must, S::Both),
            other => (MustNot, other),
        },
        // A.2.4: outbound unsubscribed is routed when it denies or cancels.
        (Direction::Outbound, T::Unsubscribed) => match state {
            S::NonePendingIn => (Must, S::None),
            S::NonePendingOutIn => (Must, S::NonePendingOut),
            S::ToPendingIn => (Must, S::To),
            S::From => (Must, S::None),
            S::FromPendingOut => (Must, S::NonePendingOut),
            S::Both => (Must, S::To),
            other => (ShouldNot, other),
        },
        // A.3.1: inbound subscribe is delivered when it is news.
        (Direction::Inbound, T::Subscribe) => match state {
            S::None => (Must, S::NonePendingIn),
            S::NonePendingOut => (Must, S::NonePendingOutIn),
            S::To => (Must, S::ToPendingIn),
            other => (ShouldNot, other),
        },
        // A.3.2: inbound unsubscribe is delivered when it withdraws a
        // request or cancels the contact's subscription.
        (Direction::Inbound, T::Unsubscribe) => match state {
            S::NonePendingIn => (Must, S::None),
            S::NonePendingOutIn => (Must, S::NonePendingOut),
            S::ToPendingIn => (Must, S::To),
            S::From => (Must, S::None),
            S::FromPendingOut => (Must, S::NonePendingOut),
            S::Both => (Must, S::To),
            other => (ShouldNot, other),
        },
        // A.3.3: inbound subscribed is delivered only to answer a request.
        (Direction::Inbound, T::Subscribed) => match state {
            S::NonePendingOut => (Must, S::To),
            S::NonePendingOutIn => (Must, S::ToPendingIn),
            S::FromPendingOut => (Must, S::Both),
            other => (ShouldNot, other),
        },
        // A.3.4: inbound unsubscribed is delivered when it denies the
        // user's request or cancels the user's subscription.
        (Direction::Inbound, T::Unsubscribed) => match state {
            S::NonePendingOut | S::To => (Must, S::None),
            S::NonePendingOutIn | S::ToPendingIn => (Must, S::NonePendingIn),
            S::FromPendingOut | S::Both => (Must, S::From),
            other => (ShouldNot, other),
        },
    }
}

/// One table step before the bookkeeping shared by both directions.
struct Step {
    state: State,
    approved: bool,
    rule: Rule,
    forward: Forward,
    auto_reply: Option<SubscriptionType>,
}

fn outbound(before: ContactState, ty: SubscriptionType, policy: &Policy) -> Step {
    let (rule, state) = table(before.state(), Direction::Outbound, ty);
    let forward = if rule == Rule::Must {
        Forward::Route
    } else {
        Forward::Drop
    };
    let approved = match (ty, rule) {
        // A.2.3 "pre-approval" cells: nothing to approve yet (section 3.4).
        (SubscriptionType::Subscribed, Rule::MustNot) => {
            before.approved() || (policy.pre_approval && !before.state().from())
        }
        // A.2.4 note 1: an unrouted unsubscribed withdraws a pre-approval.
        (SubscriptionType::Unsubscribed, Rule::ShouldNot) => false,
        _ => before.approved(),
    };
    Step {
        state,
        approved,
        rule,
        forward,
        auto_reply: None,
    }
}

fn inbound(before: ContactState, ty: SubscriptionType, policy: &Policy) -> Step {
    let (rule, state) = table(before.state(), Direction::Inbound, ty);
    let mut step = Step {
        state,
        approved: before.approved(),
        rule,
        forward: if rule == Rule::Must {
            Forward::Deliver
        } else {
            Forward::Drop
        },
        auto_reply: None,
    };
    match (ty, rule) {
        // A.3.1 note 1 and section 3.4: a pre-approved request is approved
        // on the user's behalf instead of being delivered.
        (SubscriptionType::Subscribe, Rule::Must) if policy.pre_approval && before.approved() => {
            step.state = approve(before.state());
            step.approved = false;
            step.forward = Forward::Drop;
            step.auto_reply = Some(SubscriptionType::Subscribed);
        }
        // A.3.1 note 2: the contact is already subscribed.
        (SubscriptionType::Subscribe, Rule::ShouldNot)
            if policy.auto_reply && before.state().from() =>
        {
            step.auto_reply = Some(SubscriptionType::Subscribed);
        }
        // A.3.2 note 1.
        (SubscriptionType::Unsubscribe, Rule::Must) if policy.auto_reply => {
            step.auto_reply = Some(SubscriptionType::Unsubscribed);
        }
        _ => {}
    }
    step
}

/// The state after the user approves the contact from a state with neither
/// From nor a pending inbound request (None, None + Pending Out, To).
fn approve(state: State) -> State {
    State::from_parts(state.to(), true, state.pending_out(), false).unwrap_or(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_types_round_trip_presence_types() {
        for ty in SubscriptionType::ALL {
            assert_eq!(
                SubscriptionType::from_presence_type(ty.presence_type()),
                Some(ty)
            );
        }
        assert_eq!(
            SubscriptionType::from_presence_type(PresenceType::Probe),
            None
        );
    }

    #[test]
    fn approve_gives_from_for_each_pre_approvable_state() {
        assert_eq!(approve(State::None), State::From);
        assert_eq!(approve(State::NonePendingOut), State::FromPendingOut);
        assert_eq!(approve(State::To), State::Both);
    }
}

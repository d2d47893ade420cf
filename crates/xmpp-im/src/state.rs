//! Per-contact subscription state (RFC 6121 section 3 and Appendix A.1).

use chatwire_xmpp_stanza::{Ask, RosterItem, Subscription};

/// One of the nine subscription states of RFC 6121 Appendix A.1, as the
/// user's server sees its user's relationship with one contact.
///
/// "To" and "From" are from the user's side: `To` means the user receives
/// the contact's presence, `From` that the contact receives the user's.
/// "Pending Out" is the user's unanswered request (the roster's
/// `ask='subscribe'`); "Pending In" the contact's unanswered request, which
/// the server keeps but does not show in the roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum State {
    /// No subscription either way and no request pending.
    #[default]
    None,
    /// "None + Pending Out": the user asked the contact.
    NonePendingOut,
    /// "None + Pending In": the contact asked the user.
    NonePendingIn,
    /// "None + Pending Out+In": both asked, neither answered.
    NonePendingOutIn,
    /// "To": the user is subscribed to the contact.
    To,
    /// "To + Pending In": subscribed to the contact, who asked the user.
    ToPendingIn,
    /// "From": the contact is subscribed to the user.
    From,
    /// "From + Pending Out": the contact is subscribed; the user asked back.
    FromPendingOut,
    /// "Both": subscribed both ways.
    Both,
}

impl State {
    /// The nine states, in the order of the RFC 6121 Appendix A tables.
    pub const ALL: [State; 9] = [
        State::None,
        State::NonePendingOut,
        State::NonePendingIn,
        State::NonePendingOutIn,
        State::To,
        State::ToPendingIn,
        State::From,
        State::FromPendingOut,
        State::Both,
    ];

    /// The state's name as RFC 6121 Appendix A.1 spells it
    /// (`"None + Pending Out+In"`, ...).
    pub fn rfc_name(self) -> &'static str {
        match self {
            State::None => "None",
            State::NonePendingOut => "None + Pending Out",
            State::NonePendingIn => "None + Pending In",
            State::NonePendingOutIn => "None + Pending Out+In",
            State::To => "To",
            State::ToPendingIn => "To + Pending In",
            State::From => "From",
            State::FromPendingOut => "From + Pending Out",
            State::Both => "Both",
        }
    }

    /// Reads a name as [`State::rfc_name`] writes it.
    pub fn from_rfc_name(name: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.rfc_name() == name)
    }

    /// The state made of its parts, if RFC 6121 defines one: a request
    /// cannot be pending in a direction where the subscription exists.
    pub fn from_parts(to: bool, from: bool, pending_out: bool, pending_in: bool) -> Option<State> {
        Some(match (to, from, pending_out, pending_in) {
            (false, false, false, false) => State::None,
            (false, false, true, false) => State::NonePendingOut,
            (false, false, false, true) => State::NonePendingIn,
            (false, false, true, true) => State::NonePendingOutIn,
            (true, false, false, false) => State::To,
            (true, false, false, true) => State::ToPendingIn,
            (false, true, false, false) => State::From,
            (false, true, true, false) => State::FromPendingOut,
            (true, true, false, false) => State::Both,
            _ => return None,
        })
    }

    /// The user is subscribed to the contact's presence (To or Both).
    pub fn to(self) -> bool {
        matches!(self, State::To | State::ToPendingIn | State::Both)
    }

    /// The contact is subscribed to the user's presence (From or Both).
    pub fn from(self) -> bool {
        matches!(self, State::From | State::FromPendingOut | State::Both)
    }

    /// The user's request to the contact is unanswered (`ask='subscribe'`).
    pub fn pending_out(self) -> bool {
        matches!(
            self,
            State::NonePendingOut | State::NonePendingOutIn | State::FromPendingOut
        )
    }

    /// The contact's request to the user is unanswered.
    pub fn pending_in(self) -> bool {
        matches!(
            self,
            State::NonePendingIn | State::NonePendingOutIn | State::ToPendingIn
        )
    }

    /// The roster's `subscription` attribute for this state.
    pub fn subscription(self) -> Subscription {
        match (self.to(), self.from()) {
            (false, false) => Subscription::None,
            (true, false) => Subscription::To,
            (false, true) => Subscription::From,
            (true, true) => Subscription::Both,
        }
    }

    /// The roster's `ask` attribute for this state.
    pub fn ask(self) -> Option<Ask> {
        self.pending_out().then_some(Ask::Subscribe)
    }
}

/// What a server keeps per user and contact: the [`State`] plus the
/// pre-approval flag (RFC 6121 section 3.4, the roster's `approved='true'`).
///
/// Two bytes. Pre-approval only exists while the contact is not subscribed
/// to the user: every constructor and transition clears it once the state
/// has From.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ContactState {
    state: State,
    approved: bool,
}

impl ContactState {
    /// The state without pre-approval.
    pub const fn new(state: State) -> ContactState {
        ContactState {
            state,
            approved: false,
        }
    }

    /// The state with the pre-approval flag set as asked, except that a
    /// state with From never carries it (it would have nothing to approve).
    pub fn with_approved(state: State, approved: bool) -> ContactState {
        ContactState {
            state,
            approved: approved && !state.from(),
        }
    }

    /// Reads a stored roster item's `subscription`, `ask` and `approved`,
    /// plus whether the server holds a pending inbound request from the
    /// contact (which the roster does not show). `None` when the parts do
    /// not make an RFC 6121 state (`remove`, an unknown value, `ask` beside
    /// To, a pending inbound request beside From).
    pub fn from_roster_item(item: &RosterItem, pending_in: bool) -> Option<ContactState> {
        let (to, from) = match item.subscription() {
            None | Some(Subscription::None) => (false, false),
            Some(Subscription::To) => (true, false),
            Some(Subscription::From) => (false, true),
            Some(Subscription::Both) => (true, true),
            Some(Subscription::Remove | Subscription::Other(_)) => return None,
        };
        let pending_out = match item.ask() {
            None => false,
            Some(Ask::Subscribe) => true,
            Some(Ask::Other(_)) => return None,
        };
        let state = State::from_parts(to, from, pending_out, pending_in)?;
        Some(ContactState::with_approved(state, item.approved))
    }

    /// The subscription state.
    pub fn state(self) -> State {
        self.state
    }

    /// The user pre-approved the contact's subscription request.
    pub fn approved(self) -> bool {
        self.approved
    }

    /// The roster's `subscription` attribute.
    pub fn subscription(self) -> Subscription {
        self.state.subscription()
    }

    /// The roster's `ask` attribute.
    pub fn ask(self) -> Option<Ask> {
        self.state.ask()
    }

    /// The contact's request to the user is unanswered: the server keeps
    /// it and redelivers it at each login (RFC 6121 section 3.1.3).
    pub fn pending_in(self) -> bool {
        self.state.pending_in()
    }

    /// Whether a roster push would show a difference between the two
    /// states: `subscription`, `ask` or `approved` differ. A change of the
    /// pending inbound request alone is not visible in the roster.
    pub fn roster_differs(self, other: ContactState) -> bool {
        self.state.to() != other.state.to()
            || self.state.from() != other.state.from()
            || self.state.pending_out() != other.state.pending_out()
            || self.approved != other.approved
    }

    /// Writes `subscription`, `ask` and `approved` into a roster item (for
    /// a roster push or a roster result), leaving its name and groups.
    pub fn apply_to(self, item: &mut RosterItem) {
        item.set_subscription(Some(self.subscription()));
        item.set_ask(self.ask());
        item.approved = self.approved;
    }
}

impl From<State> for ContactState {
    fn from(state: State) -> ContactState {
        ContactState::new(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_for_all_nine_states() {
        for s in State::ALL {
            let back = State::from_parts(s.to(), s.from(), s.pending_out(), s.pending_in());
            assert_eq!(back, Some(s));
            assert_eq!(State::from_rfc_name(s.rfc_name()), Some(s));
        }
        // 16 combinations, 9 states.
        let mut defined = 0;
        for bits in 0u8..16 {
            let parts = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0, bits & 8 != 0);
            if State::from_parts(parts.0, parts.1, parts.2, parts.3).is_some() {
                defined += 1;
            }
        }
        assert_eq!(defined, 9);
    }

    #[test]
    fn contact_state_is_small() {
        assert_eq!(std::mem::size_of::<ContactState>(), 2);
        assert_eq!(std::mem::size_of::<Option<ContactState>>(), 2);
    }

    #[test]
    fn approved_never_beside_from() {
        for s in State::ALL {
            assert_eq!(ContactState::with_approved(s, true).approved(), !s.from());
        }
    }
}

//! The client's copy of its roster (RFC 6121 sections 2.1.6, 2.6 and 3.1.3,
//! client side).
//!
//! A chat client asks for the roster once per session, keeps it current
//! from roster pushes, and keeps the subscription requests it has not yet
//! answered (those are not in the roster). [`RosterCache`] does that
//! bookkeeping and nothing else: the caller sends what it builds, feeds it
//! what arrives, and stores [`RosterCache::version`] and
//! [`RosterCache::items`] between sessions if it wants versioning to pay off.

use std::collections::{BTreeMap, BTreeSet};

use chatwire_xmpp_stanza::{
    Iq, IqPayload, IqType, Jid, Presence, PresenceType, Roster, RosterItem, StanzaError,
    StanzaErrorCondition, Subscription,
};

use crate::state::{ContactState, State};

/// Most pending subscription requests a [`RosterCache`] keeps.
pub const MAX_PENDING: usize = 500;

/// The client's roster: items keyed by bare JID, the roster version, and
/// the inbound subscription requests waiting for the user's answer.
///
/// Sans-IO: it builds the roster get ([`RosterCache::request`]) and the
/// answers to roster pushes, and reads the stanzas the caller hands it.
///
/// ```
/// use chatwire_xmpp_im::{RosterCache, RosterResult, State};
/// use chatwire_xmpp_stanza::{Context, Element, Iq, Jid, Presence};
///
/// let ctx = Context::client_tcp();
/// let iq = |xml: &str| match Element::parse(xml.as_bytes(), &ctx) {
///     Ok(Element::Iq(iq)) => iq,
///     other => panic!("{other:?}"),
/// };
/// let presence = |xml: &str| match Element::parse(xml.as_bytes(), &ctx) {
///     Ok(Element::Presence(p)) => p,
///     other => panic!("{other:?}"),
/// };
///
/// // The copy stored last session; the server advertised versioning.
/// let user = Jid::new("juliet@example.com/balcony")?;
/// let mut cache = RosterCache::restore(&user, Some("ver14".into()), []);
/// cache.set_server_versioning(true);
///
/// // Login: ask only for what changed since ver14.
/// let mut out = Vec::new();
/// cache.request("r1").serialize(&ctx, &mut out)?;
/// assert_eq!(out, b"<iq type='get' id='r1'><query xmlns='jabber:iq:roster' ver='ver14'/></iq>");
///
/// // An empty result: the copy is current, changes come as pushes.
/// let result = iq("<iq type='result' id='r1'/>");
/// assert_eq!(cache.handle_result("r1", &result), Ok(RosterResult::UpToDate));
/// let push = iq("<iq type='set' id='p1'><query xmlns='jabber:iq:roster' ver='ver15'>\
///                <item jid='romeo@example.net' subscription='to'/></query></iq>");
/// let answer: Iq = cache.handle_push(&push)?; // send it back
/// assert_eq!(answer.id, "p1");
///
/// // romeo asks to see juliet's presence; the UI shows the request.
/// cache.handle_presence(&presence("<presence from='romeo@example.net' type='subscribe'/>"));
/// let romeo = Jid::new("romeo@example.net")?;
/// assert_eq!(cache.state(&romeo).map(|s| s.state()), Some(State::ToPendingIn));
/// assert_eq!(cache.version(), Some("ver15"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterCache {
    /// The user's bare JID: the only sender, besides none, whose roster
    /// stanzas are trusted (section 2.1.6).
    user: Jid,
    /// Whether the server advertised roster versioning (section 2.6.1);
    /// without it a `ver` must not be sent (section 2.6.2).
    server_versioning: bool,
    /// The version of `items`, as the server last named it; opaque.
    version: Option<String>,
    /// Ordered so that listings are stable without sorting.
    items: BTreeMap<Jid, RosterItem>,
    /// Contacts (bare JIDs) who asked to see the user's presence and have
    /// no answer yet. Not persisted: the server redelivers them at each
    /// login (section 3.1.3).
    pending: BTreeSet<Jid>,
}

/// What a roster result did to the cache (RFC 6121 section 2.6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RosterResult {
    /// The result carried the whole roster: items and version replaced.
    Full,
    /// An empty result: the cached version is current, and any changes
    /// since it arrive as roster pushes. The cache is kept.
    UpToDate,
}

/// Why a stanza was not taken as the answer to the roster get.
///
/// The cache is unchanged whenever one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RosterResultError {
    /// The iq's id is not the request's: it answers something else.
    #[error("iq id does not match the roster request")]
    OtherId,
    /// A get or set: a request, not an answer to ours.
    #[error("iq is a request, not an answer")]
    NotAnAnswer,
    /// The answer comes from someone other than the user's account, so it
    /// may be forged (RFC 6120 section 8.1.2.1; the rule of RFC 6121
    /// section 2.1.6 for pushes applies to results as much).
    #[error("roster result from {0}, not from the user's account")]
    ForeignSender(Jid),
    /// The server answered with an error.
    #[error("roster request refused: {}", .0.condition.name())]
    Refused(Box<StanzaError>),
    /// A result whose payload is not a roster query.
    #[error("roster result without a roster query")]
    UnexpectedPayload,
}

/// Why a stanza was not applied as a roster push (RFC 6121 section 2.1.6).
///
/// The cache is unchanged whenever one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RosterPushError {
    /// Not an iq set carrying a roster query: the caller routed something
    /// else here.
    #[error("not a roster push")]
    NotAPush,
    /// The push names a sender that is not the user's bare JID: the client
    /// MUST NOT process it (section 2.1.6). Answer `service-unavailable`,
    /// or nothing at all to avoid a presence leak.
    #[error("roster push from {0}, not from the user's account")]
    ForeignSender(Jid),
    /// The query holds this many items instead of exactly one.
    #[error("roster push with {0} items instead of one")]
    ItemCount(usize),
}

impl RosterPushError {
    /// The stanza error condition to answer the push with, if any
    /// (`push.error_reply(StanzaError::new(condition))`): none for a
    /// stanza that was not a push, since another handler owns it.
    pub fn condition(&self) -> Option<StanzaErrorCondition> {
        match self {
            RosterPushError::NotAPush => None,
            RosterPushError::ForeignSender(_) => Some(StanzaErrorCondition::ServiceUnavailable),
            RosterPushError::ItemCount(_) => Some(StanzaErrorCondition::BadRequest),
        }
    }
}

impl RosterCache {
    /// An empty cache for the account `user` (any resource is dropped),
    /// as on first login or after the stored copy was lost.
    pub fn new(user: &Jid) -> RosterCache {
        RosterCache {
            user: user.to_bare(),
            server_versioning: false,
            version: None,
            items: BTreeMap::new(),
            pending: BTreeSet::new(),
        }
    }

    /// A cache holding a copy stored from an earlier session, so that the
    /// next roster get can ask only for what changed (section 2.6). Items
    /// with `subscription='remove'` are skipped; a later item replaces an
    /// earlier one with the same bare JID.
    pub fn restore(
        user: &Jid,
        version: Option<String>,
        items: impl IntoIterator<Item = RosterItem>,
    ) -> RosterCache {
        let mut cache = RosterCache::new(user);
        cache.version = version;
        cache.replace_items(items);
        cache
    }

    /// Records whether the server advertised roster versioning in its
    /// stream features (section 2.6.1, `Features::roster_versioning`);
    /// call it after each stream negotiation, before [`RosterCache::request`].
    pub fn set_server_versioning(&mut self, advertised: bool) {
        self.server_versioning = advertised;
    }

    /// The roster get to send at login (sections 2.2 and 2.6.2). When the
    /// server advertised versioning it carries the cached version, or
    /// `ver=''` when there is none, to bootstrap versioning; otherwise no
    /// `ver` at all, which the RFC forbids towards such a server.
    pub fn request(&self, id: impl Into<String>) -> Iq {
        let mut query = Roster::default();
        if self.server_versioning {
            query.ver = Some(self.version.clone().unwrap_or_default());
        }
        Iq::get(id, IqPayload::Roster(query))
    }

    /// Applies the answer to the roster get sent with `request_id`
    /// (section 2.6.3). A result with a query replaces the items and the
    /// version (none when the query has no `ver`); a result without one
    /// means the cached copy is current and keeps it.
    pub fn handle_result(
        &mut self,
        request_id: &str,
        iq: &Iq,
    ) -> Result<RosterResult, RosterResultError> {
        if iq.id != request_id {
            return Err(RosterResultError::OtherId);
        }
        if let Some(from) = self.foreign(iq.from.as_ref()) {
            return Err(RosterResultError::ForeignSender(from.clone()));
        }
        match (iq.kind, &iq.payload) {
            (IqType::Get | IqType::Set, _) => Err(RosterResultError::NotAnAnswer),
            (IqType::Error, _) => Err(RosterResultError::Refused(Box::new(
                iq.error
                    .clone()
                    .unwrap_or_else(|| StanzaError::new(StanzaErrorCondition::UndefinedCondition)),
            ))),
            (IqType::Result, None) => Ok(RosterResult::UpToDate),
            (IqType::Result, Some(IqPayload::Roster(query))) => {
                self.version.clone_from(&query.ver);
                self.replace_items(query.items.iter().cloned());
                Ok(RosterResult::Full)
            }
            (IqType::Result, Some(_)) => Err(RosterResultError::UnexpectedPayload),
        }
    }

    /// Applies a roster push (section 2.1.6) and gives back the `result`
    /// the client owes the server for it. `subscription='remove'` deletes
    /// the item, anything else adds or replaces it; a `ver` on the push
    /// becomes the cached version. A push naming another sender than the
    /// user's bare JID is refused untouched.
    pub fn handle_push(&mut self, iq: &Iq) -> Result<Iq, RosterPushError> {
        let query = match (iq.kind, &iq.payload) {
            (IqType::Set, Some(IqPayload::Roster(query))) => query,
            _ => return Err(RosterPushError::NotAPush),
        };
        if let Some(from) = self.foreign(iq.from.as_ref()) {
            return Err(RosterPushError::ForeignSender(from.clone()));
        }
        let item = match query.items.as_slice() {
            [item] => item,
            items => return Err(RosterPushError::ItemCount(items.len())),
        };
        let key = item.jid.to_bare();
        if item.subscription() == Some(&Subscription::Remove) {
            self.items.remove(&key);
        } else {
            if grants_from(item) {
                // The user approved (perhaps from another resource): the
                // request is answered.
                self.pending.remove(&key);
            }
            self.items.insert(key, item.clone());
        }
        if let Some(ver) = &query.ver {
            self.version = Some(ver.clone());
        }
        iq.result(None).ok_or(RosterPushError::NotAPush)
    }

    /// Reads a presence the client received: `subscribe` records a pending
    /// request from the sender's bare JID (section 3.1.3), `unsubscribe`
    /// withdraws it (Appendix A.3.2). A request from a contact who already
    /// has From is not recorded: there is nothing left to approve. Returns
    /// whether the pending requests changed.
    ///
    /// At most [`MAX_PENDING`] requests are kept; later ones are ignored
    /// until some are answered.
    pub fn handle_presence(&mut self, presence: &Presence) -> bool {
        let Some(from) = presence.from.as_ref() else {
            return false;
        };
        let key = from.to_bare();
        match presence.kind {
            PresenceType::Subscribe => {
                if self.items.get(&key).is_some_and(grants_from) {
                    return false;
                }
                // A server keeps few strangers' requests; a client that
                // is sent endless ones keeps as many as the server would
                // (chatwire-xmpp-im's default), not more.
                if self.pending.len() >= MAX_PENDING && !self.pending.contains(&key) {
                    return false;
                }
                self.pending.insert(key)
            }
            PresenceType::Unsubscribe => self.pending.remove(&key),
            _ => false,
        }
    }

    /// Reads a presence the client sent: `subscribed` or `unsubscribed`
    /// answers the recipient's pending request (sections 3.1.4 and 3.1.5),
    /// which is then dropped. Returns whether the pending requests changed.
    pub fn handle_outbound_presence(&mut self, presence: &Presence) -> bool {
        match (presence.kind, presence.to.as_ref()) {
            (PresenceType::Subscribed | PresenceType::Unsubscribed, Some(to)) => {
                self.pending.remove(&to.to_bare())
            }
            _ => false,
        }
    }

    /// The user's bare JID.
    pub fn user(&self) -> &Jid {
        &self.user
    }

    /// Whether the server advertised roster versioning, as last set.
    pub fn server_versioning(&self) -> bool {
        self.server_versioning
    }

    /// The version of the cached items, to store beside them.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The roster items, ordered by bare JID.
    pub fn items(&self) -> impl ExactSizeIterator<Item = &RosterItem> + '_ {
        self.items.values()
    }

    /// The item of a contact, looked up by the bare form of `jid`.
    pub fn get(&self, jid: &Jid) -> Option<&RosterItem> {
        if jid.is_bare() {
            self.items.get(jid)
        } else {
            self.items.get(&jid.to_bare())
        }
    }

    /// The bare JIDs of contacts whose subscription request awaits the
    /// user's answer, ordered.
    pub fn pending_requests(&self) -> impl ExactSizeIterator<Item = &Jid> + '_ {
        self.pending.iter()
    }

    /// The subscription state with a contact (bare form of `jid`): the
    /// roster item plus any pending request. A contact who only asked is
    /// "None + Pending In"; None for a stranger, or for an item whose
    /// attributes make no RFC 6121 state.
    pub fn state(&self, jid: &Jid) -> Option<ContactState> {
        let key = jid.to_bare();
        let pending_in = self.pending.contains(&key);
        match self.items.get(&key) {
            Some(item) => ContactState::from_roster_item(item, pending_in),
            None => pending_in.then_some(ContactState::new(State::NonePendingIn)),
        }
    }

    /// The number of roster items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the roster has no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The sender, when it is someone other than the user's account: no
    /// `from` means the account itself (section 2.1.6).
    fn foreign<'a>(&self, from: Option<&'a Jid>) -> Option<&'a Jid> {
        from.filter(|from| **from != self.user)
    }

    fn replace_items(&mut self, items: impl IntoIterator<Item = RosterItem>) {
        self.items = items
            .into_iter()
            .filter(|item| item.subscription() != Some(&Subscription::Remove))
            .map(|item| (item.jid.to_bare(), item))
            .collect();
        let items = &self.items;
        self.pending
            .retain(|jid| !items.get(jid).is_some_and(grants_from));
    }
}

/// The contact is subscribed to the user's presence: any request of
/// theirs is settled.
fn grants_from(item: &RosterItem) -> bool {
    matches!(
        item.subscription(),
        Some(Subscription::From | Subscription::Both)
    )
}

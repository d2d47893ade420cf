//! Roster queries, results and pushes (RFC 6121 section 2).

use std::fmt;

use crate::error::Error;
use crate::jid::Jid;
use crate::ns;
use crate::rescope;
use crate::serialize_error::SerializeError;
use crate::xml::{self, Reader, Start, Token};

/// The `subscription` attribute of a roster item (RFC 6121 section 2.1.2.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Subscription {
    /// Neither side is subscribed.
    #[default]
    None,
    /// The user is subscribed to the contact.
    To,
    /// The contact is subscribed to the user.
    From,
    /// Both are subscribed.
    Both,
    /// In a roster set: delete the item.
    Remove,
    /// A value RFC 6121 does not define, kept as received. In a roster set
    /// a server ignores every value but `remove` (section 2.1.2.5), so this
    /// is not an error; refused at serialisation when it spells a defined
    /// value.
    Other(String),
}

impl Subscription {
    /// The attribute value.
    pub fn as_str(&self) -> &str {
        match self {
            Subscription::None => "none",
            Subscription::To => "to",
            Subscription::From => "from",
            Subscription::Both => "both",
            Subscription::Remove => "remove",
            Subscription::Other(s) => s,
        }
    }

    /// Reads the attribute value.
    pub fn parse(s: &str) -> Subscription {
        match s {
            "none" => Subscription::None,
            "to" => Subscription::To,
            "from" => Subscription::From,
            "both" => Subscription::Both,
            "remove" => Subscription::Remove,
            other => Subscription::Other(other.to_owned()),
        }
    }
}

/// The `ask` attribute of a roster item (RFC 6121 section 2.1.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ask {
    /// `subscribe`: an outbound subscription request is pending.
    Subscribe,
    /// Any other value (RFC 3921's `unsubscribe`, ...), kept as received;
    /// refused at serialisation when it spells `subscribe`.
    Other(String),
}

impl Ask {
    /// The attribute value.
    pub fn as_str(&self) -> &str {
        match self {
            Ask::Subscribe => "subscribe",
            Ask::Other(s) => s,
        }
    }

    /// Reads the attribute value.
    pub fn parse(s: &str) -> Ask {
        match s {
            "subscribe" => Ask::Subscribe,
            other => Ask::Other(other.to_owned()),
        }
    }
}

/// One roster `<item/>` (RFC 6121 section 2.1.2).
///
/// `subscription`, `ask` and the extension children are read and set
/// through methods: a defined value is kept in a byte, while an unknown
/// value and extension children, which few items have, share one
/// allocation made only for them, so that an item stays at 80 bytes (a
/// roster result holds hundreds).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RosterItem {
    /// The contact's JID.
    pub jid: Jid,
    /// The user-assigned name.
    pub name: Option<Box<str>>,
    /// `approved='true'`: a subscription is pre-approved.
    pub approved: bool,
    /// The groups the item is in.
    pub groups: Vec<String>,
    subscription: SubscriptionSlot,
    ask: AskSlot,
    /// Present only while one of its parts is set.
    rare: Option<Box<Rare>>,
}

impl RosterItem {
    /// An item with only a JID.
    pub fn new(jid: Jid) -> RosterItem {
        RosterItem {
            jid,
            name: None,
            approved: false,
            groups: Vec::new(),
            subscription: SubscriptionSlot::Absent,
            ask: AskSlot::Absent,
            rare: None,
        }
    }

    /// The subscription state (absent on a client's roster set).
    pub fn subscription(&self) -> Option<&Subscription> {
        Some(match self.subscription {
            SubscriptionSlot::Absent => return None,
            SubscriptionSlot::None => &Subscription::None,
            SubscriptionSlot::To => &Subscription::To,
            SubscriptionSlot::From => &Subscription::From,
            SubscriptionSlot::Both => &Subscription::Both,
            SubscriptionSlot::Remove => &Subscription::Remove,
            SubscriptionSlot::Other => return self.rare.as_ref()?.subscription.as_ref(),
        })
    }

    /// Sets or clears the subscription state.
    pub fn set_subscription(&mut self, subscription: Option<Subscription>) {
        self.subscription = match &subscription {
            None => SubscriptionSlot::Absent,
            Some(Subscription::None) => SubscriptionSlot::None,
            Some(Subscription::To) => SubscriptionSlot::To,
            Some(Subscription::From) => SubscriptionSlot::From,
            Some(Subscription::Both) => SubscriptionSlot::Both,
            Some(Subscription::Remove) => SubscriptionSlot::Remove,
            Some(Subscription::Other(_)) => SubscriptionSlot::Other,
        };
        let unknown = subscription.filter(|s| matches!(s, Subscription::Other(_)));
        self.change_rare(unknown.is_some(), |rare| rare.subscription = unknown);
    }

    /// The `ask` attribute.
    pub fn ask(&self) -> Option<&Ask> {
        match self.ask {
            AskSlot::Absent => None,
            AskSlot::Subscribe => Some(&Ask::Subscribe),
            AskSlot::Other => self.rare.as_ref()?.ask.as_ref(),
        }
    }

    /// Sets or clears the `ask` attribute.
    pub fn set_ask(&mut self, ask: Option<Ask>) {
        self.ask = match &ask {
            None => AskSlot::Absent,
            Some(Ask::Subscribe) => AskSlot::Subscribe,
            Some(Ask::Other(_)) => AskSlot::Other,
        };
        let unknown = ask.filter(|a| matches!(a, Ask::Other(_)));
        self.change_rare(unknown.is_some(), |rare| rare.ask = unknown);
    }

    /// Other children of the item, kept as received. Refused at
    /// serialisation when one is a roster `<group/>`.
    pub fn extensions(&self) -> &[minidom::Element] {
        self.rare.as_ref().map_or(&[], |rare| &rare.extensions)
    }

    /// Replaces the other children of the item.
    pub fn set_extensions(&mut self, extensions: Vec<minidom::Element>) {
        self.change_rare(!extensions.is_empty(), |rare| rare.extensions = extensions);
    }

    /// Applies `change` to the rare parts, allocating them only when
    /// `adds`, and dropping them when nothing is left in them.
    fn change_rare(&mut self, adds: bool, change: impl FnOnce(&mut Rare)) {
        if !adds && self.rare.is_none() {
            return;
        }
        let rare = self.rare.get_or_insert_with(Box::default);
        change(rare);
        if rare.subscription.is_none() && rare.ask.is_none() && rare.extensions.is_empty() {
            self.rare = None;
        }
    }

    /// Reads the item `start` opens and pushes it onto `items`: the item
    /// is put together once, in the vector, rather than through the
    /// setters and a returned value, each of which would copy it.
    fn parse_into(
        items: &mut Vec<RosterItem>,
        r: &mut Reader<'_>,
        start: &Start<'_>,
        stanza_ns: &str,
    ) -> Result<(), Error> {
        let mut jid = None;
        let mut name = None;
        let mut subscription = SubscriptionSlot::Absent;
        let mut ask = AskSlot::Absent;
        let mut approved = false;
        let mut rare: Option<Box<Rare>> = None;
        start.each_attr(|prefix, local, value| {
            match (prefix, local) {
                (None, "jid") => jid = Some(Jid::new(&value)?),
                (None, "name") => name = Some(Box::from(value)),
                (None, "subscription") => {
                    subscription = SubscriptionSlot::read(&value);
                    if subscription == SubscriptionSlot::Other {
                        let other = Subscription::Other(value.into_owned());
                        rare.get_or_insert_default().subscription = Some(other);
                    }
                }
                (None, "ask") => {
                    ask = AskSlot::read(&value);
                    if ask == AskSlot::Other {
                        rare.get_or_insert_default().ask = Some(Ask::Other(value.into_owned()));
                    }
                }
                (None, "approved") => approved = matches!(&*value, "true" | "1"),
                _ => {}
            }
            Ok(())
        })?;
        let mut groups = Vec::new();
        loop {
            match r.next()? {
                Token::End => break,
                Token::Text(_) => {}
                Token::Start(child) if child.is("group", ns::ROSTER) => groups.push(r.text()?),
                Token::Start(child) => {
                    let extension = rescope::read_tree(r, child, stanza_ns)?;
                    rare.get_or_insert_default().extensions.push(extension);
                }
            }
        }
        items.push(RosterItem {
            jid: jid.ok_or(Error::Missing("item jid"))?,
            name,
            approved,
            groups,
            subscription,
            ask,
            rare,
        });
        Ok(())
    }

    fn write(&self, out: &mut Vec<u8>, stanza_ns: &str) -> Result<(), SerializeError> {
        out.extend_from_slice(b"<item");
        xml::attr(out, "jid", self.jid.as_str())?;
        xml::opt_attr(out, "name", self.name.as_deref())?;
        if let Some(sub) = self.subscription() {
            if let Subscription::Other(s) = sub
                && Subscription::parse(s) != *sub
            {
                return Err(SerializeError::InvalidValue("subscription"));
            }
            xml::attr(out, "subscription", sub.as_str())?;
        }
        if let Some(ask) = self.ask() {
            if let Ask::Other(s) = ask
                && Ask::parse(s) != *ask
            {
                return Err(SerializeError::InvalidValue("ask"));
            }
            xml::attr(out, "ask", ask.as_str())?;
        }
        if self.approved {
            xml::attr(out, "approved", "true")?;
        }
        let extensions = self.extensions();
        if self.groups.is_empty() && extensions.is_empty() {
            out.extend_from_slice(b"/>");
            return Ok(());
        }
        out.push(b'>');
        for g in &self.groups {
            xml::text_element(out, "group", None, g)?;
        }
        for e in extensions {
            xml::write_tree_checked(out, e, ns::ROSTER, stanza_ns, |ns, name| {
                ns == ns::ROSTER && name == "group"
            })?;
        }
        xml::end(out, "item");
        Ok(())
    }
}

impl fmt::Debug for RosterItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RosterItem")
            .field("jid", &self.jid)
            .field("name", &self.name)
            .field("subscription", &self.subscription())
            .field("ask", &self.ask())
            .field("approved", &self.approved)
            .field("groups", &self.groups)
            .field("extensions", &self.extensions())
            .finish()
    }
}

/// Where an item's `subscription` is: absent, a defined value, or an
/// unknown one in [`Rare::subscription`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SubscriptionSlot {
    Absent,
    None,
    To,
    From,
    Both,
    Remove,
    Other,
}

impl SubscriptionSlot {
    /// The slot of a received value: `Other` when RFC 6121 does not
    /// define it, and the value then goes into [`Rare::subscription`].
    fn read(s: &str) -> SubscriptionSlot {
        match s {
            "none" => SubscriptionSlot::None,
            "to" => SubscriptionSlot::To,
            "from" => SubscriptionSlot::From,
            "both" => SubscriptionSlot::Both,
            "remove" => SubscriptionSlot::Remove,
            _ => SubscriptionSlot::Other,
        }
    }
}

/// Where an item's `ask` is: absent, `subscribe`, or an unknown value in
/// [`Rare::ask`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AskSlot {
    Absent,
    Subscribe,
    Other,
}

impl AskSlot {
    /// The slot of a received value: `Other` for anything but
    /// `subscribe`, and the value then goes into [`Rare::ask`].
    fn read(s: &str) -> AskSlot {
        if s == "subscribe" {
            AskSlot::Subscribe
        } else {
            AskSlot::Other
        }
    }
}

/// The parts of a roster item that few items have.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Rare {
    /// An unknown `subscription` value (`Subscription::Other`).
    subscription: Option<Subscription>,
    /// An unknown `ask` value (`Ask::Other`).
    ask: Option<Ask>,
    extensions: Vec<minidom::Element>,
}

/// `<query xmlns='jabber:iq:roster'/>` with its items and version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Roster {
    /// The roster version (RFC 6121 section 2.6), if versioning is used.
    pub ver: Option<String>,
    /// The items.
    pub items: Vec<RosterItem>,
    /// Other children of the query, kept as received. Refused at
    /// serialisation when one is a roster `<item/>`.
    pub extensions: Vec<minidom::Element>,
}

impl Roster {
    /// Reads the query `start` opens in a stanza in namespace `stanza_ns`.
    pub(crate) fn parse(
        r: &mut Reader<'_>,
        start: &Start<'_>,
        stanza_ns: &str,
    ) -> Result<Roster, Error> {
        let mut roster = Roster::default();
        start.each_attr(|prefix, local, value| {
            if prefix.is_none() && local == "ver" {
                roster.ver = Some(value.into_owned());
            }
            Ok(())
        })?;
        loop {
            match r.next()? {
                Token::End => return Ok(roster),
                Token::Text(_) => {}
                Token::Start(child) if child.is("item", ns::ROSTER) => {
                    RosterItem::parse_into(&mut roster.items, r, &child, stanza_ns)?;
                }
                Token::Start(child) => {
                    roster
                        .extensions
                        .push(rescope::read_tree(r, child, stanza_ns)?);
                }
            }
        }
    }

    /// Writes the query inside a stanza in namespace `stanza_ns`.
    pub(crate) fn write(&self, out: &mut Vec<u8>, stanza_ns: &str) -> Result<(), SerializeError> {
        out.extend_from_slice(b"<query");
        xml::attr(out, "xmlns", ns::ROSTER)?;
        xml::opt_attr(out, "ver", self.ver.as_deref())?;
        if self.items.is_empty() && self.extensions.is_empty() {
            out.extend_from_slice(b"/>");
            return Ok(());
        }
        out.push(b'>');
        for item in &self.items {
            item.write(out, stanza_ns)?;
        }
        for e in &self.extensions {
            xml::write_tree_checked(out, e, ns::ROSTER, stanza_ns, |ns, name| {
                ns == ns::ROSTER && name == "item"
            })?;
        }
        xml::end(out, "query");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A roster result holds many items: the rare parts stay out of line.
    #[test]
    fn roster_item_stays_small() {
        assert!(size_of::<RosterItem>() <= 80, "{}", size_of::<RosterItem>());
    }
}

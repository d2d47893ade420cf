//! Roster queries, results and pushes (RFC 6121 section 2).

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
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RosterItem {
    /// The contact's JID.
    pub jid: Jid,
    /// The user-assigned name.
    pub name: Option<String>,
    /// The subscription state (absent on a client's roster set).
    pub subscription: Option<Subscription>,
    /// The `ask` attribute.
    pub ask: Option<Ask>,
    /// `approved='true'`: a subscription is pre-approved.
    pub approved: bool,
    /// The groups the item is in.
    pub groups: Vec<String>,
    /// Other children of the item, kept as received. Refused at
    /// serialisation when one is a roster `<group/>`.
    pub extensions: Vec<minidom::Element>,
}

impl RosterItem {
    /// An item with only a JID.
    pub fn new(jid: Jid) -> RosterItem {
        RosterItem {
            jid,
            name: None,
            subscription: None,
            ask: None,
            approved: false,
            groups: Vec::new(),
            extensions: Vec::new(),
        }
    }

    fn parse(r: &mut Reader<'_>, start: &Start<'_>, stanza_ns: &str) -> Result<RosterItem, Error> {
        let mut jid = None;
        let mut name = None;
        let mut subscription = None;
        let mut ask = None;
        let mut approved = false;
        start.each_attr(|prefix, local, value| {
            match (prefix, local) {
                (None, "jid") => jid = Some(Jid::new(&value)?),
                (None, "name") => name = Some(value.into_owned()),
                (None, "subscription") => subscription = Some(Subscription::parse(&value)),
                (None, "ask") => ask = Some(Ask::parse(&value)),
                (None, "approved") => approved = matches!(&*value, "true" | "1"),
                _ => {}
            }
            Ok(())
        })?;
        let mut groups = Vec::new();
        let mut extensions = Vec::new();
        loop {
            match r.next()? {
                Token::End => break,
                Token::Text(_) => {}
                Token::Start(child) if child.is("group", ns::ROSTER) => groups.push(r.text()?),
                Token::Start(child) => extensions.push(rescope::read_tree(r, child, stanza_ns)?),
            }
        }
        Ok(RosterItem {
            jid: jid.ok_or(Error::Missing("item jid"))?,
            name,
            subscription,
            ask,
            approved,
            groups,
            extensions,
        })
    }

    fn write(&self, out: &mut Vec<u8>, stanza_ns: &str) -> Result<(), SerializeError> {
        out.extend_from_slice(b"<item");
        xml::attr(out, "jid", self.jid.as_str())?;
        xml::opt_attr(out, "name", self.name.as_deref())?;
        if let Some(sub) = &self.subscription {
            if let Subscription::Other(s) = sub
                && Subscription::parse(s) != *sub
            {
                return Err(SerializeError::InvalidValue("subscription"));
            }
            xml::attr(out, "subscription", sub.as_str())?;
        }
        if let Some(ask) = &self.ask {
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
        if self.groups.is_empty() && self.extensions.is_empty() {
            out.extend_from_slice(b"/>");
            return Ok(());
        }
        out.push(b'>');
        for g in &self.groups {
            xml::text_element(out, "group", None, g)?;
        }
        for e in &self.extensions {
            xml::write_tree_checked(out, e, ns::ROSTER, stanza_ns, |ns, name| {
                ns == ns::ROSTER && name == "group"
            })?;
        }
        xml::end(out, "item");
        Ok(())
    }
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
                    roster.items.push(RosterItem::parse(r, &child, stanza_ns)?);
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

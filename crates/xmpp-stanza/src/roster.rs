//! Roster queries, results and pushes (RFC 6121 section 2).

use crate::error::Error;
use crate::jid::Jid;
use crate::ns;
use crate::xml::{self, Reader, Start, Token};

/// The `subscription` attribute of a roster item (RFC 6121 section 2.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
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
}

impl Subscription {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Subscription::None => "none",
            Subscription::To => "to",
            Subscription::From => "from",
            Subscription::Both => "both",
            Subscription::Remove => "remove",
        }
    }

    fn parse(s: &str) -> Result<Subscription, Error> {
        Ok(match s {
            "none" => Subscription::None,
            "to" => Subscription::To,
            "from" => Subscription::From,
            "both" => Subscription::Both,
            "remove" => Subscription::Remove,
            _ => return Err(Error::Invalid("subscription")),
        })
    }
}

/// One roster `<item/>` (RFC 6121 section 2.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterItem {
    /// The contact's JID.
    pub jid: Jid,
    /// The user-assigned name.
    pub name: Option<String>,
    /// The subscription state (absent on a client's roster set).
    pub subscription: Option<Subscription>,
    /// `ask='subscribe'`: an outbound subscription request is pending.
    pub ask: bool,
    /// `approved='true'`: a subscription is pre-approved.
    pub approved: bool,
    /// The groups the item is in.
    pub groups: Vec<String>,
}

impl RosterItem {
    /// An item with only a JID.
    pub fn new(jid: Jid) -> RosterItem {
        RosterItem {
            jid,
            name: None,
            subscription: None,
            ask: false,
            approved: false,
            groups: Vec::new(),
        }
    }

    fn parse(r: &mut Reader<'_>, start: &Start<'_>) -> Result<RosterItem, Error> {
        let mut jid = None;
        let mut name = None;
        let mut subscription = None;
        let mut ask = false;
        let mut approved = false;
        start.each_attr(|prefix, local, value| {
            match (prefix, local) {
                (None, "jid") => jid = Some(Jid::new(&value)?),
                (None, "name") => name = Some(value.into_owned()),
                (None, "subscription") => subscription = Some(Subscription::parse(&value)?),
                (None, "ask") if value == "subscribe" => ask = true,
                (None, "ask") => return Err(Error::Invalid("ask")),
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
                Token::Start(_) => r.skip()?,
            }
        }
        Ok(RosterItem {
            jid: jid.ok_or(Error::Missing("item jid"))?,
            name,
            subscription,
            ask,
            approved,
            groups,
        })
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"<item");
        xml::attr(out, "jid", self.jid.as_str());
        xml::opt_attr(out, "name", self.name.as_deref());
        xml::opt_attr(
            out,
            "subscription",
            self.subscription.map(Subscription::as_str),
        );
        if self.ask {
            xml::attr(out, "ask", "subscribe");
        }
        if self.approved {
            xml::attr(out, "approved", "true");
        }
        if self.groups.is_empty() {
            out.extend_from_slice(b"/>");
            return;
        }
        out.push(b'>');
        for g in &self.groups {
            xml::text_element(out, "group", None, g);
        }
        xml::end(out, "item");
    }
}

/// `<query xmlns='jabber:iq:roster'/>` with its items and version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Roster {
    /// The roster version (RFC 6121 section 2.6), if versioning is used.
    pub ver: Option<String>,
    /// The items.
    pub items: Vec<RosterItem>,
}

impl Roster {
    pub(crate) fn parse(r: &mut Reader<'_>, start: &Start<'_>) -> Result<Roster, Error> {
        let mut ver = None;
        start.each_attr(|prefix, local, value| {
            if prefix.is_none() && local == "ver" {
                ver = Some(value.into_owned());
            }
            Ok(())
        })?;
        let mut items = Vec::new();
        loop {
            match r.next()? {
                Token::End => return Ok(Roster { ver, items }),
                Token::Text(_) => {}
                Token::Start(child) if child.is("item", ns::ROSTER) => {
                    items.push(RosterItem::parse(r, &child)?);
                }
                Token::Start(_) => r.skip()?,
            }
        }
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"<query");
        xml::attr(out, "xmlns", ns::ROSTER);
        xml::opt_attr(out, "ver", self.ver.as_deref());
        if self.items.is_empty() {
            out.extend_from_slice(b"/>");
            return;
        }
        out.push(b'>');
        for item in &self.items {
            item.write(out);
        }
        xml::end(out, "query");
    }
}

//! Service discovery (XEP-0030): `disco#info` and `disco#items`.

use crate::error::Error;
use crate::jid::Jid;
use crate::ns;
use crate::rescope;
use crate::serialize_error::SerializeError;
use crate::xml::{self, Reader, Start, Token};

/// An `<identity/>` of an entity.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Identity {
    /// The `category` attribute (e.g. `client`, `server`).
    pub category: String,
    /// The `type` attribute (e.g. `pc`, `im`).
    pub kind: String,
    /// The `name` attribute.
    pub name: Option<String>,
    /// The `xml:lang` attribute.
    pub lang: Option<String>,
}

impl Identity {
    /// An identity of `category` and `type`.
    pub fn new(category: impl Into<String>, kind: impl Into<String>) -> Identity {
        Identity {
            category: category.into(),
            kind: kind.into(),
            name: None,
            lang: None,
        }
    }
}

/// `<query xmlns='http://jabber.org/protocol/disco#info'/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DiscoInfo {
    /// The `node` attribute.
    pub node: Option<String>,
    /// The identities.
    pub identities: Vec<Identity>,
    /// The `var` of every `<feature/>`.
    pub features: Vec<String>,
    /// Extensions such as XEP-0128 data forms, kept as received. Refused
    /// at serialisation when one is a disco#info identity or feature.
    pub extensions: Vec<minidom::Element>,
}

impl DiscoInfo {
    /// Reads the query `start` opens in a stanza in namespace `stanza_ns`.
    pub(crate) fn parse(
        r: &mut Reader<'_>,
        start: &Start<'_>,
        stanza_ns: &str,
    ) -> Result<DiscoInfo, Error> {
        let mut info = DiscoInfo::default();
        start.each_attr(|prefix, local, value| {
            if prefix.is_none() && local == "node" {
                info.node = Some(value.into_owned());
            }
            Ok(())
        })?;
        loop {
            match r.next()? {
                Token::End => return Ok(info),
                Token::Text(_) => {}
                Token::Start(child) if child.is("identity", ns::DISCO_INFO) => {
                    let (mut category, mut kind, mut name, mut lang) = (None, None, None, None);
                    child.each_attr(|prefix, local, value| {
                        match (prefix, local) {
                            (None, "category") => category = Some(value.into_owned()),
                            (None, "type") => kind = Some(value.into_owned()),
                            (None, "name") => name = Some(value.into_owned()),
                            (Some("xml"), "lang") => lang = Some(value.into_owned()),
                            _ => {}
                        }
                        Ok(())
                    })?;
                    r.skip()?;
                    info.identities.push(Identity {
                        category: category.ok_or(Error::Missing("identity category"))?,
                        kind: kind.ok_or(Error::Missing("identity type"))?,
                        name,
                        lang,
                    });
                }
                Token::Start(child) if child.is("feature", ns::DISCO_INFO) => {
                    let mut var = None;
                    child.each_attr(|prefix, local, value| {
                        if prefix.is_none() && local == "var" {
                            var = Some(value.into_owned());
                        }
                        Ok(())
                    })?;
                    r.skip()?;
                    info.features
                        .push(var.ok_or(Error::Missing("feature var"))?);
                }
                Token::Start(child) => {
                    info.extensions
                        .push(rescope::read_tree(r, child, stanza_ns)?);
                }
            }
        }
    }

    /// Writes the query inside a stanza in namespace `stanza_ns`.
    pub(crate) fn write(&self, out: &mut Vec<u8>, stanza_ns: &str) -> Result<(), SerializeError> {
        out.extend_from_slice(b"<query");
        xml::attr(out, "xmlns", ns::DISCO_INFO)?;
        xml::opt_attr(out, "node", self.node.as_deref())?;
        if self.identities.is_empty() && self.features.is_empty() && self.extensions.is_empty() {
            out.extend_from_slice(b"/>");
            return Ok(());
        }
        out.push(b'>');
        for id in &self.identities {
            out.extend_from_slice(b"<identity");
            xml::attr(out, "category", &id.category)?;
            xml::attr(out, "type", &id.kind)?;
            xml::opt_attr(out, "name", id.name.as_deref())?;
            xml::opt_attr(out, "xml:lang", id.lang.as_deref())?;
            out.extend_from_slice(b"/>");
        }
        for f in &self.features {
            out.extend_from_slice(b"<feature");
            xml::attr(out, "var", f)?;
            out.extend_from_slice(b"/>");
        }
        for e in &self.extensions {
            xml::write_tree_checked(out, e, ns::DISCO_INFO, stanza_ns, |ns, name| {
                ns == ns::DISCO_INFO && matches!(name, "identity" | "feature")
            })?;
        }
        xml::end(out, "query");
        Ok(())
    }
}

/// One `<item/>` of a disco#items result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiscoItem {
    /// The `jid` attribute.
    pub jid: Jid,
    /// The `node` attribute.
    pub node: Option<String>,
    /// The `name` attribute.
    pub name: Option<String>,
}

impl DiscoItem {
    /// An item with only a JID.
    pub fn new(jid: Jid) -> DiscoItem {
        DiscoItem {
            jid,
            node: None,
            name: None,
        }
    }
}

/// `<query xmlns='http://jabber.org/protocol/disco#items'/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DiscoItems {
    /// The `node` attribute.
    pub node: Option<String>,
    /// The items.
    pub items: Vec<DiscoItem>,
    /// Extensions such as XEP-0059 result set management, kept as
    /// received. Refused at serialisation when one is a disco#items item.
    pub extensions: Vec<minidom::Element>,
}

impl DiscoItems {
    /// Reads the query `start` opens in a stanza in namespace `stanza_ns`.
    pub(crate) fn parse(
        r: &mut Reader<'_>,
        start: &Start<'_>,
        stanza_ns: &str,
    ) -> Result<DiscoItems, Error> {
        let mut items = DiscoItems::default();
        start.each_attr(|prefix, local, value| {
            if prefix.is_none() && local == "node" {
                items.node = Some(value.into_owned());
            }
            Ok(())
        })?;
        loop {
            match r.next()? {
                Token::End => return Ok(items),
                Token::Text(_) => {}
                Token::Start(child) if child.is("item", ns::DISCO_ITEMS) => {
                    let (mut jid, mut node, mut name) = (None, None, None);
                    child.each_attr(|prefix, local, value| {
                        match (prefix, local) {
                            (None, "jid") => jid = Some(Jid::new(&value)?),
                            (None, "node") => node = Some(value.into_owned()),
                            (None, "name") => name = Some(value.into_owned()),
                            _ => {}
                        }
                        Ok(())
                    })?;
                    r.skip()?;
                    items.items.push(DiscoItem {
                        jid: jid.ok_or(Error::Missing("item jid"))?,
                        node,
                        name,
                    });
                }
                Token::Start(child) => {
                    items
                        .extensions
                        .push(rescope::read_tree(r, child, stanza_ns)?);
                }
            }
        }
    }

    /// Writes the query inside a stanza in namespace `stanza_ns`.
    pub(crate) fn write(&self, out: &mut Vec<u8>, stanza_ns: &str) -> Result<(), SerializeError> {
        out.extend_from_slice(b"<query");
        xml::attr(out, "xmlns", ns::DISCO_ITEMS)?;
        xml::opt_attr(out, "node", self.node.as_deref())?;
        if self.items.is_empty() && self.extensions.is_empty() {
            out.extend_from_slice(b"/>");
            return Ok(());
        }
        out.push(b'>');
        for item in &self.items {
            out.extend_from_slice(b"<item");
            xml::attr(out, "jid", item.jid.as_str())?;
            xml::opt_attr(out, "node", item.node.as_deref())?;
            xml::opt_attr(out, "name", item.name.as_deref())?;
            out.extend_from_slice(b"/>");
        }
        for e in &self.extensions {
            xml::write_tree_checked(out, e, ns::DISCO_ITEMS, stanza_ns, |ns, name| {
                ns == ns::DISCO_ITEMS && name == "item"
            })?;
        }
        xml::end(out, "query");
        Ok(())
    }
}

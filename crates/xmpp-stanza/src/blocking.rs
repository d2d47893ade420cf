//! Blocking command (XEP-0191): the iq payloads. The `<blocked/>` error
//! payload is built and recognised by [`crate::StanzaError::blocked`] and
//! [`crate::StanzaError::is_blocked`].

use crate::error::Error;
use crate::jid::Jid;
use crate::ns;
use crate::serialize_error::SerializeError;
use crate::xml::{self, Reader, Start, Token};

/// A blocking command payload in `urn:xmpp:blocking`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Blocking {
    /// `<blocklist/>`: empty in a get, the blocked JIDs in its result.
    List(Vec<Jid>),
    /// `<block/>`: JIDs to block, in a set or a server push. XEP-0191
    /// requires at least one; an empty one is kept for the caller to
    /// answer with `bad-request`.
    Block(Vec<Jid>),
    /// `<unblock/>`: JIDs to unblock; none means every one.
    Unblock(Vec<Jid>),
}

impl Blocking {
    /// The JIDs listed.
    pub fn jids(&self) -> &[Jid] {
        match self {
            Blocking::List(j) | Blocking::Block(j) | Blocking::Unblock(j) => j,
        }
    }

    /// Reads the payload `start` opens; unknown children are skipped.
    pub(crate) fn parse(r: &mut Reader<'_>, start: &Start<'_>) -> Result<Blocking, Error> {
        let mut jids = Vec::new();
        loop {
            match r.next()? {
                Token::End => break,
                Token::Text(_) => {}
                Token::Start(child) if child.is("item", ns::BLOCKING) => {
                    let mut jid = None;
                    child.each_attr(|prefix, local, value| {
                        if prefix.is_none() && local == "jid" {
                            jid = Some(Jid::new(&value)?);
                        }
                        Ok(())
                    })?;
                    r.skip()?;
                    jids.push(jid.ok_or(Error::Missing("item jid"))?);
                }
                Token::Start(_) => r.skip()?,
            }
        }
        Ok(match start.local() {
            "blocklist" => Blocking::List(jids),
            "block" => Blocking::Block(jids),
            _ => Blocking::Unblock(jids),
        })
    }

    /// Whether [`Blocking::parse`] reads `name` in `ns`.
    pub(crate) fn is_typed(ns: &str, name: &str) -> bool {
        ns == ns::BLOCKING && matches!(name, "blocklist" | "block" | "unblock")
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        let name = match self {
            Blocking::List(_) => "blocklist",
            Blocking::Block(_) => "block",
            Blocking::Unblock(_) => "unblock",
        };
        out.push(b'<');
        out.extend_from_slice(name.as_bytes());
        xml::attr(out, "xmlns", ns::BLOCKING)?;
        let jids = self.jids();
        if jids.is_empty() {
            out.extend_from_slice(b"/>");
            return Ok(());
        }
        out.push(b'>');
        for jid in jids {
            out.extend_from_slice(b"<item");
            xml::attr(out, "jid", jid.as_str())?;
            out.extend_from_slice(b"/>");
        }
        xml::end(out, name);
        Ok(())
    }
}

//! Resource binding (RFC 6120 section 7).

use crate::error::Error;
use crate::jid::Jid;
use crate::ns;
use crate::serialize_error::SerializeError;
use crate::xml::{self, Reader, Start, Token};

/// `<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>`: a request carries
/// an optional resource, a result the full JID the server bound.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Bind {
    /// The resource the client asks for.
    pub resource: Option<String>,
    /// The full JID the server assigned.
    pub jid: Option<Jid>,
}

impl Bind {
    pub(crate) fn parse(r: &mut Reader<'_>, _start: &Start<'_>) -> Result<Bind, Error> {
        let mut bind = Bind::default();
        loop {
            match r.next()? {
                Token::End => return Ok(bind),
                Token::Text(_) => {}
                Token::Start(child) if child.is("resource", ns::BIND) => {
                    bind.resource = Some(r.text()?);
                }
                Token::Start(child) if child.is("jid", ns::BIND) => {
                    bind.jid = Some(Jid::new(r.text_cow()?.trim())?);
                }
                Token::Start(_) => r.skip()?,
            }
        }
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        out.extend_from_slice(b"<bind");
        xml::attr(out, "xmlns", ns::BIND)?;
        if self.resource.is_none() && self.jid.is_none() {
            out.extend_from_slice(b"/>");
            return Ok(());
        }
        out.push(b'>');
        if let Some(res) = &self.resource {
            xml::text_element(out, "resource", None, res)?;
        }
        if let Some(jid) = &self.jid {
            // The reader trims the text around the JID.
            if jid.as_str().trim() != jid.as_str() {
                return Err(SerializeError::InvalidValue("bind jid"));
            }
            xml::text_element(out, "jid", None, jid.as_str())?;
        }
        xml::end(out, "bind");
        Ok(())
    }
}

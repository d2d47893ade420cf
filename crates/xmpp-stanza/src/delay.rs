//! Delayed delivery (XEP-0203).

use crate::error::Error;
use crate::jid::Jid;
use crate::ns;
use crate::serialize_error::SerializeError;
use crate::xml::{self, Reader, Start};

/// `<delay xmlns='urn:xmpp:delay'/>`: when a stanza was first sent or
/// received, added by whoever held it back (offline storage, a MUC
/// history, a forwarder).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delay {
    /// The `stamp` attribute, an XEP-0082 DateTime in UTC
    /// (`2002-09-10T23:08:25Z`), kept as written.
    pub stamp: String,
    /// The `from` attribute: the entity that delayed the stanza.
    pub from: Option<Jid>,
    /// The natural-language reason, the element's text; never empty
    /// (no text reads back as None).
    pub reason: Option<String>,
}

impl Delay {
    /// A delay with only a time stamp.
    pub fn new(stamp: impl Into<String>) -> Delay {
        Delay {
            stamp: stamp.into(),
            from: None,
            reason: None,
        }
    }

    pub(crate) fn parse(r: &mut Reader<'_>, start: &Start<'_>) -> Result<Delay, Error> {
        let (mut stamp, mut from) = (None, None);
        start.each_attr(|prefix, local, value| {
            match (prefix, local) {
                (None, "stamp") => stamp = Some(value.into_owned()),
                (None, "from") => from = Some(Jid::new(&value)?),
                _ => {}
            }
            Ok(())
        })?;
        let text = r.text()?;
        Ok(Delay {
            stamp: stamp.ok_or(Error::Missing("delay stamp"))?,
            from,
            reason: (!text.is_empty()).then_some(text),
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        out.extend_from_slice(b"<delay");
        xml::attr(out, "xmlns", ns::DELAY)?;
        xml::opt_attr(out, "from", self.from.as_ref().map(Jid::as_str))?;
        xml::attr(out, "stamp", &self.stamp)?;
        match self.reason.as_deref() {
            None => out.extend_from_slice(b"/>"),
            Some("") => return Err(SerializeError::InvalidValue("delay reason")),
            Some(reason) => {
                out.push(b'>');
                xml::escape_text(out, reason)?;
                xml::end(out, "delay");
            }
        }
        Ok(())
    }
}

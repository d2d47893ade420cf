//! One stanza written to many recipients: the bytes before and after its
//! addresses are written once, and only `from` and `to` per recipient. A
//! presence broadcast to thousands of contacts costs a copy per contact,
//! not a serialization.

use crate::Context;
use crate::jid::Jid;
use crate::serialize_error::SerializeError;
use crate::stanza::Stanza;
use crate::xml;

/// A stanza serialized once, with a gap where its `from` and `to` go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressTemplate {
    /// Up to where `from` is written: the name, `xmlns`, `type`, `id`.
    head: Vec<u8>,
    /// After `to`: the other attributes and the content.
    tail: Vec<u8>,
}

/// The stand-in `to` that marks the gap: no attribute written before `to`
/// can hold ` to='` (a `'` in a value is always escaped).
const MARK: &[u8] = b" to='x'";

impl AddressTemplate {
    /// Serializes `stanza` (its own addresses aside) for `ctx`.
    pub fn new(stanza: &dyn Stanza, ctx: &Context) -> Result<AddressTemplate, SerializeError> {
        let marker = Jid::new("x").map_err(|_| SerializeError::InvalidName("x".into()))?;
        let mut bytes = Vec::new();
        stanza.serialize_addressed(ctx, None, Some(&marker), &mut bytes)?;
        let at = bytes
            .windows(MARK.len())
            .position(|w| w == MARK)
            .ok_or_else(|| SerializeError::InvalidName("to".into()))?;
        let tail = bytes.get(at + MARK.len()..).unwrap_or_default().to_vec();
        bytes.truncate(at);
        Ok(AddressTemplate { head: bytes, tail })
    }

    /// The same template with `from` written into it once, for a stanza
    /// from one sender to many: then [`AddressTemplate::write`] with no
    /// `from` writes it.
    pub fn with_from(mut self, from: &Jid) -> Result<AddressTemplate, SerializeError> {
        xml::attr(&mut self.head, "from", from.as_str())?;
        Ok(self)
    }

    /// Appends the stanza with these addresses: the same bytes as
    /// [`Stanza::serialize_addressed`] would write.
    pub fn write(
        &self,
        from: Option<&Jid>,
        to: Option<&Jid>,
        out: &mut Vec<u8>,
    ) -> Result<(), SerializeError> {
        xml::guarded(out, |out| {
            out.extend_from_slice(&self.head);
            xml::opt_attr(out, "from", from.map(Jid::as_str))?;
            xml::opt_attr(out, "to", to.map(Jid::as_str))?;
            out.extend_from_slice(&self.tail);
            Ok(())
        })
    }

    /// Bytes written per recipient besides the addresses.
    pub fn len(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    /// Whether the template is empty (never, for a stanza).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

//! Extension children of `<message/>` and `<presence/>`: the ones this
//! crate types, and every other kept as received.

use crate::delay::Delay;
use crate::error::Error;
use crate::forward::Forwarded;
use crate::ns;
use crate::rescope;
use crate::serialize_error::SerializeError;
use crate::xml::{self, Reader, Start};

/// One extension child of a message or presence, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload {
    /// XEP-0203 `<delay/>`.
    Delay(Delay),
    /// XEP-0297 `<forwarded/>` (a user forwarding a message).
    Forwarded(Forwarded),
    /// XEP-0280 `<received/>`: a carbon copy of a message another resource
    /// of the account received.
    CarbonReceived(Forwarded),
    /// XEP-0280 `<sent/>`: a carbon copy of a message another resource of
    /// the account sent.
    CarbonSent(Forwarded),
    /// XEP-0280 `<private/>`: the sender asks for no carbon copies.
    CarbonPrivate,
    /// Any other element, kept as received. Refused at serialisation when
    /// it names one of the elements above or a child the stanza types
    /// itself (`<body/>`, ...), since it would read back as that.
    Other(minidom::Element),
}

impl Payload {
    /// Reads a child that is not in the stanza's own namespace,
    /// `stanza_ns`. Inlined, so that a kept tree is built in place in the
    /// caller's payload list rather than moved there through this call.
    #[inline]
    pub(crate) fn parse<'a>(
        r: &mut Reader<'a>,
        start: Start<'a>,
        stanza_ns: &str,
    ) -> Result<Payload, Error> {
        Ok(match (start.ns(), start.local()) {
            (ns::DELAY, "delay") => Payload::Delay(Delay::parse(r, &start)?),
            (ns::FORWARD, "forwarded") => Payload::Forwarded(Forwarded::parse(r, &start)?),
            (ns::CARBONS, "received") => Payload::CarbonReceived(Forwarded::parse_wrapped(r)?),
            (ns::CARBONS, "sent") => Payload::CarbonSent(Forwarded::parse_wrapped(r)?),
            (ns::CARBONS, "private") => {
                r.skip()?;
                Payload::CarbonPrivate
            }
            _ => Payload::Other(rescope::read_tree(r, start, stanza_ns)?),
        })
    }

    /// Writes the payload inside a stanza in namespace `stanza_ns`;
    /// `typed_child(name)` says whether the stanza would read a child of
    /// that name in its own namespace as a typed field.
    pub(crate) fn write(
        &self,
        out: &mut Vec<u8>,
        stanza_ns: &str,
        typed_child: impl Fn(&str) -> bool,
    ) -> Result<(), SerializeError> {
        match self {
            Payload::Delay(d) => d.write(out),
            Payload::Forwarded(f) => f.write(out),
            Payload::CarbonReceived(f) => f.write_wrapped(out, "received", ns::CARBONS),
            Payload::CarbonSent(f) => f.write_wrapped(out, "sent", ns::CARBONS),
            Payload::CarbonPrivate => xml::text_element(out, "private", Some(ns::CARBONS), ""),
            Payload::Other(el) => {
                xml::write_tree_checked(out, el, stanza_ns, stanza_ns, |ns, name| {
                    if ns == stanza_ns {
                        typed_child(name)
                    } else {
                        is_typed(ns, name)
                    }
                })
            }
        }
    }
}

/// Whether [`Payload::parse`] reads `name` in `ns` as a typed payload.
fn is_typed(ns: &str, name: &str) -> bool {
    matches!(
        (ns, name),
        (ns::DELAY, "delay")
            | (ns::FORWARD, "forwarded")
            | (ns::CARBONS, "received" | "sent" | "private")
    )
}

//! What every stanza shares (RFC 6120 section 8.1): the addressing and
//! identification attributes, read and written in one place, and the
//! [`Stanza`] trait over the three kinds.

use std::borrow::Cow;

use crate::Context;
use crate::error::Error;
use crate::extra_attr::{self, ExtraAttr};
use crate::iq::Iq;
use crate::jid::Jid;
use crate::message::Message;
use crate::presence::Presence;
use crate::serialize_error::SerializeError;
use crate::xml::{self, Reader, Start};

/// What message, presence and iq have in common (implemented by those three
/// and [`AnyStanza`] only).
///
/// A router reads the addresses through this trait whatever the kind, and
/// writes a stanza to each recipient with [`Stanza::serialize_addressed`]
/// instead of cloning it once per recipient.
pub trait Stanza: WriteStanza {
    /// The element name: `message`, `presence` or `iq`.
    fn name(&self) -> &'static str;

    /// The `to` attribute.
    fn to(&self) -> Option<&Jid>;

    /// The `from` attribute.
    fn from(&self) -> Option<&Jid>;

    /// The `id` attribute.
    fn id(&self) -> Option<&str>;

    /// The `type` attribute as this crate writes it (None for a normal
    /// message and an available presence, which are written without one).
    fn type_attr(&self) -> Option<&'static str>;

    /// Whether this is an error stanza, which must never be answered with
    /// another error (RFC 6120 section 8.3.1).
    fn is_error(&self) -> bool {
        self.type_attr() == Some("error")
    }

    /// Appends the stanza to `out` with `from` and `to` in place of its
    /// own addresses; leaves `out` as it was on error.
    fn serialize_addressed(
        &self,
        ctx: &Context,
        from: Option<&Jid>,
        to: Option<&Jid>,
        out: &mut Vec<u8>,
    ) -> Result<(), SerializeError> {
        xml::guarded(out, |out| {
            self.write(out, Placement::top_level(ctx), from, to)
        })
    }
}

mod sealed {
    use super::*;

    /// Writes a stanza where a [`Placement`] says. Public in a private
    /// module, so that [`Stanza`] cannot be implemented outside this crate.
    pub trait WriteStanza {
        /// Writes the stanza with `from` and `to` as its addresses.
        fn write(
            &self,
            out: &mut Vec<u8>,
            at: Placement<'_>,
            from: Option<&Jid>,
            to: Option<&Jid>,
        ) -> Result<(), SerializeError>;
    }

    /// Where a stanza is written: in namespace `ns`, declared on its start
    /// tag when nothing around it declares it (a WebSocket frame, a
    /// `<forwarded/>`).
    #[derive(Debug, Clone, Copy)]
    pub struct Placement<'a> {
        pub(crate) ns: &'a str,
        pub(crate) declare: bool,
    }
}

pub(crate) use sealed::{Placement, WriteStanza};

/// Any one of the three stanza kinds, as carried by a `<forwarded/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyStanza {
    /// `<message/>`
    Message(Message),
    /// `<presence/>`
    Presence(Presence),
    /// `<iq/>`
    Iq(Iq),
}

impl AnyStanza {
    /// The stanza as the trait every kind implements.
    pub fn as_stanza(&self) -> &dyn Stanza {
        match self {
            AnyStanza::Message(m) => m,
            AnyStanza::Presence(p) => p,
            AnyStanza::Iq(iq) => iq,
        }
    }
}

impl WriteStanza for AnyStanza {
    fn write(
        &self,
        out: &mut Vec<u8>,
        at: Placement<'_>,
        from: Option<&Jid>,
        to: Option<&Jid>,
    ) -> Result<(), SerializeError> {
        self.as_stanza().write(out, at, from, to)
    }
}

impl Stanza for AnyStanza {
    fn name(&self) -> &'static str {
        self.as_stanza().name()
    }

    fn to(&self) -> Option<&Jid> {
        self.as_stanza().to()
    }

    fn from(&self) -> Option<&Jid> {
        self.as_stanza().from()
    }

    fn id(&self) -> Option<&str> {
        self.as_stanza().id()
    }

    fn type_attr(&self) -> Option<&'static str> {
        self.as_stanza().type_attr()
    }
}

impl From<Message> for AnyStanza {
    fn from(m: Message) -> AnyStanza {
        AnyStanza::Message(m)
    }
}

impl From<Presence> for AnyStanza {
    fn from(p: Presence) -> AnyStanza {
        AnyStanza::Presence(p)
    }
}

impl From<Iq> for AnyStanza {
    fn from(iq: Iq) -> AnyStanza {
        AnyStanza::Iq(iq)
    }
}

impl Placement<'_> {
    /// A top-level stanza on the stream `ctx` describes.
    pub(crate) fn top_level(ctx: &Context) -> Placement<'static> {
        Placement {
            ns: ctx.namespace.as_str(),
            declare: !ctx.inherited,
        }
    }
}

/// `to`, `from`, `id`, `xml:lang`, the raw `type` and any other attribute
/// of a stanza.
pub(crate) struct Common<'s> {
    pub(crate) to: Option<Jid>,
    pub(crate) from: Option<Jid>,
    pub(crate) id: Option<String>,
    pub(crate) lang: Option<String>,
    pub(crate) kind: Option<Cow<'s, str>>,
    pub(crate) extra_attrs: Vec<ExtraAttr>,
}

impl<'s> Common<'s> {
    pub(crate) fn parse(r: &mut Reader<'_>, start: &'s Start<'_>) -> Result<Common<'s>, Error> {
        let mut c = Common {
            to: None,
            from: None,
            id: None,
            lang: None,
            kind: None,
            extra_attrs: Vec::new(),
        };
        start.each_attr(|prefix, local, value| {
            match (prefix, local) {
                (None, "to") => c.to = Some(Jid::new(&value)?),
                (None, "from") => c.from = Some(Jid::new(&value)?),
                (None, "id") => c.id = Some(value.into_owned()),
                (None, "type") => c.kind = Some(value),
                (Some("xml"), "lang") => c.lang = Some(value.into_owned()),
                _ => extra_attr::push(&mut c.extra_attrs, r.extra_attr(prefix, local, value)?)?,
            }
            Ok(())
        })?;
        Ok(c)
    }
}

/// The start tag of a stanza (left open by [`Head::write`]).
pub(crate) struct Head<'a> {
    pub(crate) name: &'static str,
    pub(crate) kind: Option<&'a str>,
    pub(crate) id: Option<&'a str>,
    pub(crate) from: Option<&'a Jid>,
    pub(crate) to: Option<&'a Jid>,
    pub(crate) lang: Option<&'a str>,
    pub(crate) extra_attrs: &'a [ExtraAttr],
}

/// The unprefixed attributes [`Head::write`] writes itself.
const TYPED_ATTRS: [&str; 4] = ["type", "id", "from", "to"];

impl Head<'_> {
    /// Appends `<name [xmlns] [type] [id] [from] [to] [xml:lang] [...]`.
    pub(crate) fn write(&self, out: &mut Vec<u8>, at: Placement<'_>) -> Result<(), SerializeError> {
        out.push(b'<');
        out.extend_from_slice(self.name.as_bytes());
        if at.declare {
            xml::attr(out, "xmlns", at.ns)?;
        }
        xml::opt_attr(out, "type", self.kind)?;
        xml::opt_attr(out, "id", self.id)?;
        xml::opt_attr(out, "from", self.from.map(Jid::as_str))?;
        xml::opt_attr(out, "to", self.to.map(Jid::as_str))?;
        xml::opt_attr(out, "xml:lang", self.lang)?;
        extra_attr::write(out, self.extra_attrs, &TYPED_ATTRS, true)
    }
}

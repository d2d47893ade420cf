//! The attributes every stanza shares (RFC 6120 section 8.1).

use std::borrow::Cow;

use crate::error::Error;
use crate::jid::Jid;
use crate::xml::{self, Start};

/// `to`, `from`, `id`, `xml:lang` and the raw `type` of a stanza.
pub(crate) struct Common<'s> {
    pub(crate) to: Option<Jid>,
    pub(crate) from: Option<Jid>,
    pub(crate) id: Option<String>,
    pub(crate) lang: Option<String>,
    pub(crate) kind: Option<Cow<'s, str>>,
}

impl<'s> Common<'s> {
    pub(crate) fn parse(start: &'s Start<'_>) -> Result<Common<'s>, Error> {
        let mut c = Common {
            to: None,
            from: None,
            id: None,
            lang: None,
            kind: None,
        };
        start.each_attr(|prefix, local, value| {
            match (prefix, local) {
                (None, "to") => c.to = Some(Jid::new(&value)?),
                (None, "from") => c.from = Some(Jid::new(&value)?),
                (None, "id") => c.id = Some(value.into_owned()),
                (None, "type") => c.kind = Some(value),
                (Some("xml"), "lang") => c.lang = Some(value.into_owned()),
                _ => {}
            }
            Ok(())
        })?;
        Ok(c)
    }
}

/// Appends `<name [xmlns] [type] [id] [from] [to] [xml:lang]` (the tag is
/// left open).
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_head(
    out: &mut Vec<u8>,
    name: &str,
    ctx: &crate::Context,
    kind: Option<&str>,
    id: Option<&str>,
    from: Option<&Jid>,
    to: Option<&Jid>,
    lang: Option<&str>,
) {
    out.push(b'<');
    out.extend_from_slice(name.as_bytes());
    if !ctx.inherited {
        xml::attr(out, "xmlns", ctx.namespace.as_str());
    }
    xml::opt_attr(out, "type", kind);
    xml::opt_attr(out, "id", id);
    xml::opt_attr(out, "from", from.map(Jid::as_str));
    xml::opt_attr(out, "to", to.map(Jid::as_str));
    xml::opt_attr(out, "xml:lang", lang);
}

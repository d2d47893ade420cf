//! Stream management nonzas (XEP-0198, `urn:xmpp:sm:3`): enabling,
//! acknowledgements and resumption. The `<sm/>` stream feature is
//! [`crate::Features::sm`].

use crate::Context;
use crate::error::{Error, excerpt};
use crate::ns;
use crate::serialize_error::SerializeError;
use crate::stanza_error::StanzaErrorCondition;
use crate::text::Text;
use crate::xml::{self, Reader, Start, Token};

/// A stream management nonza.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sm {
    /// `<enable/>`: the initiating entity turns stream management on.
    Enable(SmEnable),
    /// `<enabled/>`: the receiving entity agrees.
    Enabled(SmEnabled),
    /// `<resume/>`: resume the stream `previd`, `h` stanzas handled.
    Resume(SmResume),
    /// `<resumed/>`: the stream `previd` is resumed, `h` stanzas handled.
    Resumed(SmResume),
    /// `<failed/>`: enabling or resuming failed.
    Failed(SmFailed),
    /// `<r/>`: a request for an acknowledgement.
    Request,
    /// `<a h='...'/>`: the number of stanzas handled so far, modulo 2^32.
    Ack(u32),
}

/// The attributes of `<enable/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SmEnable {
    /// `resume='true'`: the initiating entity wants to be able to resume.
    pub resume: bool,
    /// The preferred maximum resumption time in seconds.
    pub max: Option<u32>,
}

/// The attributes of `<enabled/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SmEnabled {
    /// The stream id to resume with.
    pub id: Option<String>,
    /// `resume='true'`: resumption is allowed.
    pub resume: bool,
    /// The maximum resumption time in seconds.
    pub max: Option<u32>,
    /// Where to reconnect to resume (`host` or `host:port`).
    pub location: Option<String>,
}

/// The attributes of `<resume/>` and `<resumed/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SmResume {
    /// The stanzas handled on the previous stream.
    pub h: u32,
    /// The id of the previous stream.
    pub previd: String,
}

impl SmResume {
    /// Resumption data.
    pub fn new(h: u32, previd: impl Into<String>) -> SmResume {
        SmResume {
            h,
            previd: previd.into(),
        }
    }
}

/// The content of `<failed/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SmFailed {
    /// The stanzas the failing side handled, so the other can resend the
    /// rest.
    pub h: Option<u32>,
    /// The stanza error condition, if given.
    pub condition: Option<StanzaErrorCondition>,
    /// Descriptive `<text/>` elements.
    pub texts: Vec<Text>,
}

impl Sm {
    /// Reads the nonza `start` opens (in `urn:xmpp:sm:3`) on a stream whose
    /// content namespace is `content_ns`.
    pub(crate) fn parse<'a>(
        r: &mut Reader<'a>,
        start: Start<'a>,
        content_ns: &str,
    ) -> Result<Sm, Error> {
        let mut attrs = Attrs::default();
        start.each_attr(|prefix, local, value| {
            if prefix.is_none() {
                match local {
                    "h" => attrs.h = Some(number(&value, "h")?),
                    "max" => attrs.max = Some(number(&value, "max")?),
                    "resume" => attrs.resume = matches!(&*value, "true" | "1"),
                    "id" => attrs.id = Some(value.into_owned()),
                    "previd" => attrs.previd = Some(value.into_owned()),
                    "location" => attrs.location = Some(value.into_owned()),
                    _ => {}
                }
            }
            Ok(())
        })?;
        let resumption = |attrs: Attrs| -> Result<SmResume, Error> {
            Ok(SmResume {
                h: attrs.h.ok_or(Error::Missing("h"))?,
                previd: attrs.previd.ok_or(Error::Missing("previd"))?,
            })
        };
        let sm = match start.local() {
            "enable" => Sm::Enable(SmEnable {
                resume: attrs.resume,
                max: attrs.max,
            }),
            "enabled" => Sm::Enabled(SmEnabled {
                id: attrs.id,
                resume: attrs.resume,
                max: attrs.max,
                location: attrs.location,
            }),
            "resume" => Sm::Resume(resumption(attrs)?),
            "resumed" => Sm::Resumed(resumption(attrs)?),
            "failed" => return SmFailed::parse(r, attrs.h, content_ns).map(Sm::Failed),
            "r" => Sm::Request,
            "a" => Sm::Ack(attrs.h.ok_or(Error::Missing("h"))?),
            other => return Err(Error::Unexpected(excerpt(other))),
        };
        r.skip()?;
        Ok(sm)
    }

    /// Whether [`Sm::parse`] reads an element of this name.
    pub(crate) fn is_typed(name: &str) -> bool {
        matches!(
            name,
            "enable" | "enabled" | "resume" | "resumed" | "failed" | "r" | "a"
        )
    }

    /// Appends the serialised nonza to `out`; leaves `out` as it was on
    /// error. The context matters only for an unknown error condition in
    /// `<failed/>` that holds stanza content.
    pub fn serialize(&self, ctx: &Context, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        xml::guarded(out, |out| self.write(out, ctx.namespace.as_str()))
    }

    fn write(&self, out: &mut Vec<u8>, content_ns: &str) -> Result<(), SerializeError> {
        let name = match self {
            Sm::Enable(_) => "enable",
            Sm::Enabled(_) => "enabled",
            Sm::Resume(_) => "resume",
            Sm::Resumed(_) => "resumed",
            Sm::Failed(_) => "failed",
            Sm::Request => "r",
            Sm::Ack(_) => "a",
        };
        out.push(b'<');
        out.extend_from_slice(name.as_bytes());
        xml::attr(out, "xmlns", ns::SM)?;
        match self {
            Sm::Enable(e) => {
                resume_attr(out, e.resume)?;
                xml::opt_attr(out, "max", e.max.map(|m| m.to_string()).as_deref())?;
            }
            Sm::Enabled(e) => {
                xml::opt_attr(out, "id", e.id.as_deref())?;
                resume_attr(out, e.resume)?;
                xml::opt_attr(out, "max", e.max.map(|m| m.to_string()).as_deref())?;
                xml::opt_attr(out, "location", e.location.as_deref())?;
            }
            Sm::Resume(r) | Sm::Resumed(r) => {
                xml::attr(out, "h", &r.h.to_string())?;
                xml::attr(out, "previd", &r.previd)?;
            }
            Sm::Failed(f) => return f.write(out, content_ns),
            Sm::Request => {}
            Sm::Ack(h) => xml::attr(out, "h", &h.to_string())?,
        }
        out.extend_from_slice(b"/>");
        Ok(())
    }
}

impl SmFailed {
    fn parse(r: &mut Reader<'_>, h: Option<u32>, content_ns: &str) -> Result<SmFailed, Error> {
        let mut failed = SmFailed {
            h,
            ..SmFailed::default()
        };
        loop {
            match r.next()? {
                Token::End => return Ok(failed),
                Token::Text(_) => {}
                Token::Start(child) if child.is("text", ns::STANZAS) => {
                    failed.texts.push(Text::parse(r, &child)?);
                }
                Token::Start(child) if child.ns() == ns::STANZAS && failed.condition.is_none() => {
                    failed.condition = Some(StanzaErrorCondition::parse(r, child, content_ns)?);
                }
                Token::Start(child) => return Err(Error::Unexpected(excerpt(child.local()))),
            }
        }
    }

    /// Writes the rest of `<failed`, whose name and namespace are written.
    fn write(&self, out: &mut Vec<u8>, content_ns: &str) -> Result<(), SerializeError> {
        xml::opt_attr(out, "h", self.h.map(|h| h.to_string()).as_deref())?;
        if self.condition.is_none() && self.texts.is_empty() {
            out.extend_from_slice(b"/>");
            return Ok(());
        }
        out.push(b'>');
        if let Some(condition) = &self.condition {
            condition.write(out, ns::SM, content_ns)?;
        }
        for t in &self.texts {
            t.write(out, "text", Some(ns::STANZAS))?;
        }
        xml::end(out, "failed");
        Ok(())
    }
}

/// The attributes any stream management nonza may carry.
#[derive(Default)]
struct Attrs {
    h: Option<u32>,
    max: Option<u32>,
    resume: bool,
    id: Option<String>,
    previd: Option<String>,
    location: Option<String>,
}

/// An unsigned 32-bit attribute value.
fn number(value: &str, name: &'static str) -> Result<u32, Error> {
    value
        .trim()
        .parse::<u32>()
        .map_err(|_| Error::Invalid(name))
}

fn resume_attr(out: &mut Vec<u8>, resume: bool) -> Result<(), SerializeError> {
    if resume {
        xml::attr(out, "resume", "true")?;
    }
    Ok(())
}

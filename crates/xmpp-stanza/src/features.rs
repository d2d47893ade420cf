//! `<stream:features/>` (RFC 6120 section 4.3.2) with the features this
//! crate knows; anything else is kept as received.

use crate::Context;
use crate::error::Error;
use crate::ns;
use crate::rescope;
use crate::serialize_error::SerializeError;
use crate::xml::{self, Reader, Start, Token};

/// Stream features offered by the receiving entity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Features {
    /// STARTTLS (RFC 6120 section 5.4.1); `Some(true)` when `<required/>`.
    pub starttls: Option<bool>,
    /// SASL mechanisms (RFC 6120 section 6.4.1), in the order offered.
    pub mechanisms: Option<Vec<String>>,
    /// Resource binding (RFC 6120 section 7.4).
    pub bind: bool,
    /// Legacy session; `Some(true)` when marked `<optional/>`.
    pub session: Option<bool>,
    /// Stream management (XEP-0198, `urn:xmpp:sm:3`).
    pub sm: bool,
    /// Subscription pre-approval (RFC 6121 section 3.4).
    pub pre_approval: bool,
    /// Roster versioning (RFC 6121 section 2.6).
    pub roster_versioning: bool,
    /// Client state indication (XEP-0352).
    pub csi: bool,
    /// Features this crate does not type. Refused at serialisation when
    /// one names a feature typed above.
    pub other: Vec<minidom::Element>,
}

impl Features {
    /// Reads `<stream:features>` on a stream whose content namespace is
    /// `content_ns`.
    pub(crate) fn parse(
        r: &mut Reader<'_>,
        _start: &Start<'_>,
        content_ns: &str,
    ) -> Result<Features, Error> {
        let mut f = Features::default();
        loop {
            let child = match r.next()? {
                Token::End => return Ok(f),
                Token::Text(_) => continue,
                Token::Start(child) => child,
            };
            match (child.ns(), child.local()) {
                (ns::TLS, "starttls") => f.starttls = Some(has_child(r, "required", ns::TLS)?),
                (ns::SASL, "mechanisms") => {
                    let mut mechs = Vec::new();
                    loop {
                        match r.next()? {
                            Token::End => break,
                            Token::Text(_) => {}
                            Token::Start(m) if m.is("mechanism", ns::SASL) => {
                                mechs.push(r.text()?.trim().to_owned());
                            }
                            Token::Start(_) => r.skip()?,
                        }
                    }
                    f.mechanisms = Some(mechs);
                }
                (ns::BIND, "bind") => {
                    f.bind = true;
                    r.skip()?;
                }
                (ns::SESSION, "session") => {
                    f.session = Some(has_child(r, "optional", ns::SESSION)?);
                }
                (ns::SM, "sm") => {
                    f.sm = true;
                    r.skip()?;
                }
                (ns::PRE_APPROVAL, "sub") => {
                    f.pre_approval = true;
                    r.skip()?;
                }
                (ns::ROSTER_VER, "ver") => {
                    f.roster_versioning = true;
                    r.skip()?;
                }
                (ns::CSI, "csi") => {
                    f.csi = true;
                    r.skip()?;
                }
                _ => f.other.push(rescope::read_tree(r, child, content_ns)?),
            }
        }
    }

    /// Appends the serialised features to `out`; leaves `out` as it was
    /// on error.
    pub fn serialize(&self, ctx: &Context, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        xml::guarded(out, |out| self.write(ctx, out))
    }

    fn write(&self, ctx: &Context, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        crate::stream_start_tag(out, ctx, "stream:features")?;
        out.push(b'>');
        if let Some(required) = self.starttls {
            wrapper(out, "starttls", ns::TLS, required.then_some("required"))?;
        }
        if let Some(mechs) = &self.mechanisms {
            out.extend_from_slice(b"<mechanisms");
            xml::attr(out, "xmlns", ns::SASL)?;
            out.push(b'>');
            for m in mechs {
                // The reader trims the mechanism name.
                if m.trim() != m {
                    return Err(SerializeError::InvalidValue("mechanism"));
                }
                xml::text_element(out, "mechanism", None, m)?;
            }
            xml::end(out, "mechanisms");
        }
        if self.bind {
            xml::text_element(out, "bind", Some(ns::BIND), "")?;
        }
        if let Some(optional) = self.session {
            wrapper(out, "session", ns::SESSION, optional.then_some("optional"))?;
        }
        let flags = [
            (self.sm, "sm", ns::SM),
            (self.pre_approval, "sub", ns::PRE_APPROVAL),
            (self.roster_versioning, "ver", ns::ROSTER_VER),
            (self.csi, "csi", ns::CSI),
        ];
        for (_, name, ns) in flags.iter().filter(|(on, _, _)| *on) {
            xml::text_element(out, name, Some(ns), "")?;
        }
        let content_ns = ctx.namespace.as_str();
        for other in &self.other {
            xml::write_tree_checked(out, other, content_ns, content_ns, is_typed)?;
        }
        xml::end(out, "stream:features");
        Ok(())
    }
}

/// Whether [`Features::parse`] reads `name` in `ns` as a typed feature.
fn is_typed(ns: &str, name: &str) -> bool {
    matches!(
        (ns, name),
        (ns::TLS, "starttls")
            | (ns::SASL, "mechanisms")
            | (ns::BIND, "bind")
            | (ns::SESSION, "session")
            | (ns::SM, "sm")
            | (ns::PRE_APPROVAL, "sub")
            | (ns::ROSTER_VER, "ver")
            | (ns::CSI, "csi")
    )
}

/// Whether the current element has a child `name` in `ns`; skips the rest.
fn has_child(r: &mut Reader<'_>, name: &str, ns: &str) -> Result<bool, Error> {
    let mut found = false;
    loop {
        match r.next()? {
            Token::End => return Ok(found),
            Token::Text(_) => {}
            Token::Start(child) => {
                found |= child.is(name, ns);
                r.skip()?;
            }
        }
    }
}

/// `<name xmlns='ns'/>` or `<name xmlns='ns'><flag/></name>`.
fn wrapper(
    out: &mut Vec<u8>,
    name: &str,
    ns: &str,
    flag: Option<&str>,
) -> Result<(), SerializeError> {
    match flag {
        None => xml::text_element(out, name, Some(ns), ""),
        Some(flag) => {
            out.push(b'<');
            out.extend_from_slice(name.as_bytes());
            xml::attr(out, "xmlns", ns)?;
            out.push(b'>');
            xml::text_element(out, flag, None, "")?;
            xml::end(out, name);
            Ok(())
        }
    }
}

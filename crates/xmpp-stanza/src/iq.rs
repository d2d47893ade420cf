//! `<iq/>` (RFC 6120 section 8.2.3) and the payloads this crate types.

use crate::Context;
use crate::bind::Bind;
use crate::blocking::Blocking;
use crate::disco::{DiscoInfo, DiscoItems};
use crate::error::{Error, excerpt};
use crate::extra_attr::ExtraAttr;
use crate::jid::Jid;
use crate::ns;
use crate::rescope;
use crate::roster::Roster;
use crate::serialize_error::SerializeError;
use crate::stanza::{Common, Head, Placement, Stanza, WriteStanza};
use crate::stanza_error::StanzaError;
use crate::xml::{self, Reader, Start, Token};

/// The `type` of an iq.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IqType {
    /// Requests information.
    Get,
    /// Provides data or makes a request.
    Set,
    /// Answers a get or set successfully.
    Result,
    /// Answers a get or set with an error.
    Error,
}

impl IqType {
    /// The `type` attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            IqType::Get => "get",
            IqType::Set => "set",
            IqType::Result => "result",
            IqType::Error => "error",
        }
    }

    fn parse(s: &str) -> Result<IqType, Error> {
        Ok(match s {
            "get" => IqType::Get,
            "set" => IqType::Set,
            "result" => IqType::Result,
            "error" => IqType::Error,
            _ => return Err(Error::Invalid("iq type")),
        })
    }
}

/// The child element of an iq.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IqPayload {
    /// Resource binding (RFC 6120 section 7).
    Bind(Bind),
    /// Legacy session establishment (`urn:ietf:params:xml:ns:xmpp-session`).
    Session,
    /// Roster query or push (RFC 6121 section 2).
    Roster(Roster),
    /// Ping (XEP-0199).
    Ping,
    /// Service discovery information (XEP-0030).
    DiscoInfo(DiscoInfo),
    /// Service discovery items (XEP-0030).
    DiscoItems(DiscoItems),
    /// Blocking command (XEP-0191).
    Blocking(Blocking),
    /// XEP-0280 `<enable/>`: turn message carbons on.
    CarbonsEnable,
    /// XEP-0280 `<disable/>`: turn message carbons off.
    CarbonsDisable,
    /// Any other payload, kept as received. Refused at serialisation when
    /// it names a payload typed above, since it would read back as that.
    Other(minidom::Element),
}

impl IqPayload {
    /// Reads the payload `start` opens in a stanza in namespace `stanza_ns`.
    fn parse<'a>(
        r: &mut Reader<'a>,
        start: Start<'a>,
        stanza_ns: &str,
    ) -> Result<IqPayload, Error> {
        Ok(match (start.ns(), start.local()) {
            (ns::BIND, "bind") => IqPayload::Bind(Bind::parse(r, &start)?),
            (ns::SESSION, "session") => {
                r.skip()?;
                IqPayload::Session
            }
            (ns::ROSTER, "query") => IqPayload::Roster(Roster::parse(r, &start, stanza_ns)?),
            (ns::PING, "ping") => {
                r.skip()?;
                IqPayload::Ping
            }
            (ns::DISCO_INFO, "query") => {
                IqPayload::DiscoInfo(DiscoInfo::parse(r, &start, stanza_ns)?)
            }
            (ns::DISCO_ITEMS, "query") => {
                IqPayload::DiscoItems(DiscoItems::parse(r, &start, stanza_ns)?)
            }
            (ns, name) if Blocking::is_typed(ns, name) => {
                IqPayload::Blocking(Blocking::parse(r, &start)?)
            }
            (ns::CARBONS, "enable") => {
                r.skip()?;
                IqPayload::CarbonsEnable
            }
            (ns::CARBONS, "disable") => {
                r.skip()?;
                IqPayload::CarbonsDisable
            }
            _ => IqPayload::Other(rescope::read_tree(r, start, stanza_ns)?),
        })
    }

    /// Whether [`IqPayload::parse`] reads `name` in `ns` as a typed payload.
    fn is_typed(ns: &str, name: &str) -> bool {
        matches!(
            (ns, name),
            (ns::BIND, "bind")
                | (ns::SESSION, "session")
                | (ns::ROSTER, "query")
                | (ns::PING, "ping")
                | (ns::DISCO_INFO, "query")
                | (ns::DISCO_ITEMS, "query")
                | (ns::CARBONS, "enable" | "disable")
        ) || Blocking::is_typed(ns, name)
    }

    fn write(&self, out: &mut Vec<u8>, stanza_ns: &str) -> Result<(), SerializeError> {
        match self {
            IqPayload::Bind(b) => b.write(out),
            IqPayload::Session => xml::text_element(out, "session", Some(ns::SESSION), ""),
            IqPayload::Roster(q) => q.write(out, stanza_ns),
            IqPayload::Ping => xml::text_element(out, "ping", Some(ns::PING), ""),
            IqPayload::DiscoInfo(d) => d.write(out, stanza_ns),
            IqPayload::DiscoItems(d) => d.write(out, stanza_ns),
            IqPayload::Blocking(b) => b.write(out),
            IqPayload::CarbonsEnable => xml::text_element(out, "enable", Some(ns::CARBONS), ""),
            IqPayload::CarbonsDisable => xml::text_element(out, "disable", Some(ns::CARBONS), ""),
            IqPayload::Other(el) => {
                xml::write_tree_checked(out, el, stanza_ns, stanza_ns, IqPayload::is_typed)
            }
        }
    }
}

/// An iq stanza. A get or set carries exactly one payload; a result at
/// most one; an error an `<error/>` and optionally the original payload.
/// Serialisation refuses an iq that breaks these rules.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Iq {
    /// The `type` attribute.
    pub kind: IqType,
    /// The `id` attribute (required for iq).
    pub id: String,
    /// The `from` attribute.
    pub from: Option<Jid>,
    /// The `to` attribute.
    pub to: Option<Jid>,
    /// The `xml:lang` attribute.
    pub lang: Option<String>,
    /// Other attributes, kept as received.
    pub extra_attrs: Vec<ExtraAttr>,
    /// The payload child.
    pub payload: Option<IqPayload>,
    /// The `<error/>` of an iq of type error.
    pub error: Option<StanzaError>,
}

impl Iq {
    /// An iq of type `kind` with nothing but an id; a get or set needs a
    /// payload and an error an `<error/>` before it can be serialised.
    pub fn new(kind: IqType, id: impl Into<String>) -> Iq {
        Iq {
            kind,
            id: id.into(),
            from: None,
            to: None,
            lang: None,
            extra_attrs: Vec::new(),
            payload: None,
            error: None,
        }
    }

    /// A get request.
    pub fn get(id: impl Into<String>, payload: IqPayload) -> Iq {
        Iq {
            payload: Some(payload),
            ..Iq::new(IqType::Get, id)
        }
    }

    /// A set request.
    pub fn set(id: impl Into<String>, payload: IqPayload) -> Iq {
        Iq {
            payload: Some(payload),
            ..Iq::new(IqType::Set, id)
        }
    }

    /// Whether this is a get or set, which must be answered (RFC 6120
    /// section 8.2.3).
    pub fn is_request(&self) -> bool {
        matches!(self.kind, IqType::Get | IqType::Set)
    }

    /// The result answering this request: addresses swapped, same id.
    /// None when this is not a request: a result or an error is never
    /// answered (RFC 6120 section 8.2.3).
    pub fn result(&self, payload: Option<IqPayload>) -> Option<Iq> {
        self.is_request().then(|| Iq {
            from: self.to.clone(),
            to: self.from.clone(),
            payload,
            ..Iq::new(IqType::Result, self.id.clone())
        })
    }

    /// The error answering this request (RFC 6120 section 8.3.1). None
    /// when this is not a request: an error is never answered with another,
    /// nor is a result.
    pub fn error_reply(&self, error: StanzaError) -> Option<Iq> {
        self.is_request().then(|| Iq {
            from: self.to.clone(),
            to: self.from.clone(),
            error: Some(error),
            ..Iq::new(IqType::Error, self.id.clone())
        })
    }

    pub(crate) fn parse(r: &mut Reader<'_>, start: &Start<'_>) -> Result<Iq, Error> {
        let c = Common::parse(r, start)?;
        let kind = IqType::parse(c.kind.as_deref().ok_or(Error::Missing("iq type"))?)?;
        let id = c.id.ok_or(Error::Missing("iq id"))?;
        let mut payload = None;
        let mut error = None;
        let stanza_ns = start.ns();
        loop {
            match r.next()? {
                Token::End => break,
                Token::Text(_) => {}
                Token::Start(child) => {
                    if child.is("error", stanza_ns) && kind == IqType::Error && error.is_none() {
                        error = Some(StanzaError::parse(r, &child, stanza_ns)?);
                    } else if payload.is_none() {
                        payload = Some(IqPayload::parse(r, child, stanza_ns)?);
                    } else {
                        return Err(Error::Unexpected(excerpt(child.local())));
                    }
                }
            }
        }
        match kind {
            IqType::Get | IqType::Set if payload.is_none() => {
                return Err(Error::Missing("iq payload"));
            }
            IqType::Error if error.is_none() => return Err(Error::Missing("error element")),
            _ => {}
        }
        Ok(Iq {
            kind,
            id,
            from: c.from,
            to: c.to,
            lang: c.lang,
            extra_attrs: c.extra_attrs,
            payload,
            error,
        })
    }

    /// Appends the serialised iq to `out`; leaves `out` as it was on error.
    pub fn serialize(&self, ctx: &Context, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        self.serialize_addressed(ctx, self.from.as_ref(), self.to.as_ref(), out)
    }
}

impl WriteStanza for Iq {
    fn write(
        &self,
        out: &mut Vec<u8>,
        at: Placement<'_>,
        from: Option<&Jid>,
        to: Option<&Jid>,
    ) -> Result<(), SerializeError> {
        // What the reader requires, and where it would read an <error/>
        // as the payload.
        match (self.kind, &self.payload, &self.error) {
            (IqType::Get | IqType::Set, None, _) => {
                return Err(SerializeError::InvalidValue("iq payload"));
            }
            (IqType::Error, _, None) => return Err(SerializeError::InvalidValue("error element")),
            (IqType::Get | IqType::Set | IqType::Result, _, Some(_)) => {
                return Err(SerializeError::InvalidValue("error element"));
            }
            _ => {}
        }
        let head = Head {
            name: "iq",
            kind: Some(self.kind.as_str()),
            id: Some(&self.id),
            from,
            to,
            lang: self.lang.as_deref(),
            extra_attrs: &self.extra_attrs,
        };
        head.write(out, at)?;
        if self.payload.is_none() && self.error.is_none() {
            out.extend_from_slice(b"/>");
            return Ok(());
        }
        out.push(b'>');
        // The typed error goes first so a payload that is itself an
        // <error/> element cannot take its place when read back.
        if let Some(e) = &self.error {
            e.write(out, at.ns)?;
        }
        if let Some(p) = &self.payload {
            p.write(out, at.ns)?;
        }
        xml::end(out, "iq");
        Ok(())
    }
}

impl Stanza for Iq {
    fn name(&self) -> &'static str {
        "iq"
    }

    fn to(&self) -> Option<&Jid> {
        self.to.as_ref()
    }

    fn from(&self) -> Option<&Jid> {
        self.from.as_ref()
    }

    fn id(&self) -> Option<&str> {
        Some(&self.id)
    }

    fn type_attr(&self) -> Option<&'static str> {
        Some(self.kind.as_str())
    }
}

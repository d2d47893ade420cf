//! `<iq/>` (RFC 6120 section 8.2.3) and the payloads this crate types.

use crate::Context;
use crate::bind::Bind;
use crate::disco::DiscoInfo;
use crate::error::Error;
use crate::jid::Jid;
use crate::ns;
use crate::roster::Roster;
use crate::stanza::{self, Common};
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
    /// Any other payload, kept as received.
    Other(minidom::Element),
}

impl IqPayload {
    fn parse<'a>(r: &mut Reader<'a>, start: Start<'a>) -> Result<IqPayload, Error> {
        Ok(match (start.ns(), start.local()) {
            (ns::BIND, "bind") => IqPayload::Bind(Bind::parse(r, &start)?),
            (ns::SESSION, "session") => {
                r.skip()?;
                IqPayload::Session
            }
            (ns::ROSTER, "query") => IqPayload::Roster(Roster::parse(r, &start)?),
            (ns::PING, "ping") => {
                r.skip()?;
                IqPayload::Ping
            }
            (ns::DISCO_INFO, "query") => IqPayload::DiscoInfo(DiscoInfo::parse(r, &start)?),
            _ => IqPayload::Other(r.tree(start)?),
        })
    }

    fn write(&self, out: &mut Vec<u8>, parent_ns: &str) {
        match self {
            IqPayload::Bind(b) => b.write(out),
            IqPayload::Session => xml::text_element(out, "session", Some(ns::SESSION), ""),
            IqPayload::Roster(q) => q.write(out),
            IqPayload::Ping => xml::text_element(out, "ping", Some(ns::PING), ""),
            IqPayload::DiscoInfo(d) => d.write(out),
            IqPayload::Other(el) => xml::write_tree(out, el, parent_ns),
        }
    }
}

/// An iq stanza. A get or set carries exactly one payload; a result at
/// most one; an error an `<error/>` and optionally the original payload.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The payload child.
    pub payload: Option<IqPayload>,
    /// The `<error/>` of an iq of type error.
    pub error: Option<StanzaError>,
}

impl Iq {
    /// A get request.
    pub fn get(id: impl Into<String>, payload: IqPayload) -> Iq {
        Iq::request(IqType::Get, id.into(), payload)
    }

    /// A set request.
    pub fn set(id: impl Into<String>, payload: IqPayload) -> Iq {
        Iq::request(IqType::Set, id.into(), payload)
    }

    fn request(kind: IqType, id: String, payload: IqPayload) -> Iq {
        Iq {
            kind,
            id,
            from: None,
            to: None,
            lang: None,
            payload: Some(payload),
            error: None,
        }
    }

    /// The result answering this request: addresses swapped, same id.
    pub fn result(&self, payload: Option<IqPayload>) -> Iq {
        Iq {
            kind: IqType::Result,
            id: self.id.clone(),
            from: self.to.clone(),
            to: self.from.clone(),
            lang: None,
            payload,
            error: None,
        }
    }

    /// The error answering this request (RFC 6120 section 8.3.1).
    pub fn error_reply(&self, error: StanzaError) -> Iq {
        Iq {
            kind: IqType::Error,
            id: self.id.clone(),
            from: self.to.clone(),
            to: self.from.clone(),
            lang: None,
            payload: None,
            error: Some(error),
        }
    }

    pub(crate) fn parse(r: &mut Reader<'_>, start: &Start<'_>) -> Result<Iq, Error> {
        let c = Common::parse(start)?;
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
                        error = Some(StanzaError::parse(r, &child)?);
                    } else if payload.is_none() {
                        payload = Some(IqPayload::parse(r, child)?);
                    } else {
                        return Err(Error::Unexpected(child.local().to_owned()));
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
            payload,
            error,
        })
    }

    /// Appends the serialised iq to `out`.
    pub fn serialize(&self, ctx: &Context, out: &mut Vec<u8>) {
        stanza::write_head(
            out,
            "iq",
            ctx,
            Some(self.kind.as_str()),
            Some(&self.id),
            self.from.as_ref(),
            self.to.as_ref(),
            self.lang.as_deref(),
        );
        if self.payload.is_none() && self.error.is_none() {
            out.extend_from_slice(b"/>");
            return;
        }
        out.push(b'>');
        // The typed error goes first so a payload that is itself an
        // <error/> element cannot take its place when read back.
        let ns = ctx.namespace.as_str();
        if let Some(e) = &self.error {
            e.write(out, ns);
        }
        if let Some(p) = &self.payload {
            p.write(out, ns);
        }
        xml::end(out, "iq");
    }
}

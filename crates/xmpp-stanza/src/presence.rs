//! `<presence/>` (RFC 6120 section 8, RFC 6121 sections 3 and 4).

use crate::Context;
use crate::error::Error;
use crate::extra_attr::ExtraAttr;
use crate::jid::Jid;
use crate::payload::Payload;
use crate::rescope;
use crate::serialize_error::SerializeError;
use crate::stanza::{Common, Head, Placement, Stanza, WriteStanza};
use crate::stanza_error::StanzaError;
use crate::text::Text;
use crate::xml::{self, Reader, Start, Token};

/// The `type` of a presence (RFC 6121 section 4.7.1); no attribute means
/// available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PresenceType {
    /// Available (no `type` attribute).
    #[default]
    Available,
    /// An error answering a presence the sender sent.
    Error,
    /// A request for the recipient's current presence.
    Probe,
    /// A subscription request.
    Subscribe,
    /// A subscription approval.
    Subscribed,
    /// No longer available.
    Unavailable,
    /// Cancels the sender's subscription to the recipient.
    Unsubscribe,
    /// Cancels the recipient's subscription to the sender.
    Unsubscribed,
}

impl PresenceType {
    /// The `type` attribute value (None for available).
    pub fn as_str(self) -> Option<&'static str> {
        Some(match self {
            PresenceType::Available => return None,
            PresenceType::Error => "error",
            PresenceType::Probe => "probe",
            PresenceType::Subscribe => "subscribe",
            PresenceType::Subscribed => "subscribed",
            PresenceType::Unavailable => "unavailable",
            PresenceType::Unsubscribe => "unsubscribe",
            PresenceType::Unsubscribed => "unsubscribed",
        })
    }

    fn parse(s: Option<&str>) -> Result<PresenceType, Error> {
        Ok(match s {
            None => PresenceType::Available,
            Some("error") => PresenceType::Error,
            Some("probe") => PresenceType::Probe,
            Some("subscribe") => PresenceType::Subscribe,
            Some("subscribed") => PresenceType::Subscribed,
            Some("unavailable") => PresenceType::Unavailable,
            Some("unsubscribe") => PresenceType::Unsubscribe,
            Some("unsubscribed") => PresenceType::Unsubscribed,
            Some(_) => return Err(Error::Invalid("presence type")),
        })
    }
}

/// The `<show/>` availability sub-state (RFC 6121 section 4.7.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Show {
    /// Temporarily away.
    Away,
    /// Actively interested in chatting.
    Chat,
    /// Do not disturb.
    Dnd,
    /// Extended away.
    Xa,
    /// A value RFC 6121 does not define, kept as received so the caller
    /// decides (ignore it, or answer with an error). Refused at
    /// serialisation when it would read back as one of the above.
    Other(String),
}

impl Show {
    /// The element text.
    pub fn as_str(&self) -> &str {
        match self {
            Show::Away => "away",
            Show::Chat => "chat",
            Show::Dnd => "dnd",
            Show::Xa => "xa",
            Show::Other(s) => s,
        }
    }

    /// Reads the element text; surrounding whitespace is ignored for the
    /// defined values.
    pub fn parse(s: &str) -> Show {
        match s.trim() {
            "away" => Show::Away,
            "chat" => Show::Chat,
            "dnd" => Show::Dnd,
            "xa" => Show::Xa,
            _ => Show::Other(s.to_owned()),
        }
    }
}

/// A presence stanza.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Presence {
    /// The `type` attribute.
    pub kind: PresenceType,
    /// The `id` attribute.
    pub id: Option<String>,
    /// The `from` attribute.
    pub from: Option<Jid>,
    /// The `to` attribute.
    pub to: Option<Jid>,
    /// The `xml:lang` attribute.
    pub lang: Option<String>,
    /// Other attributes, kept as received.
    pub extra_attrs: Vec<ExtraAttr>,
    /// The `<show/>` element.
    pub show: Option<Show>,
    /// `<status/>` elements, one per language.
    pub statuses: Vec<Text>,
    /// The `<priority/>` element, -128 to 127 (absent means 0).
    pub priority: Option<i8>,
    /// The `<error/>` element; required in a presence of type error.
    pub error: Option<StanzaError>,
    /// Extension elements (caps, vCard updates, delay, ...), in the order
    /// received.
    pub payloads: Vec<Payload>,
}

impl Presence {
    /// A presence of type `kind` with nothing else set.
    pub fn new(kind: PresenceType) -> Presence {
        Presence {
            kind,
            ..Presence::default()
        }
    }

    /// The error answering this presence (RFC 6120 section 8.3.1):
    /// addresses swapped, same id. None when this presence is itself an
    /// error, which must never be answered with another.
    pub fn error_reply(&self, error: StanzaError) -> Option<Presence> {
        if self.kind == PresenceType::Error {
            return None;
        }
        Some(Presence {
            kind: PresenceType::Error,
            id: self.id.clone(),
            from: self.to.clone(),
            to: self.from.clone(),
            error: Some(error),
            ..Presence::default()
        })
    }

    pub(crate) fn parse(r: &mut Reader<'_>, start: &Start<'_>) -> Result<Presence, Error> {
        let c = Common::parse(r, start)?;
        let mut p = Presence {
            kind: PresenceType::parse(c.kind.as_deref())?,
            id: c.id,
            from: c.from,
            to: c.to,
            lang: c.lang,
            extra_attrs: c.extra_attrs,
            ..Presence::default()
        };
        let stanza_ns = start.ns();
        loop {
            match r.next()? {
                Token::End => break,
                Token::Text(_) => {}
                Token::Start(child) if child.ns() == stanza_ns => match child.local() {
                    "show" if p.show.is_none() => p.show = Some(Show::parse(&r.text_cow()?)),
                    "status" => p.statuses.push(Text::parse(r, &child)?),
                    "priority" if p.priority.is_none() => {
                        let text = r.text_cow()?;
                        let value = text
                            .trim()
                            .parse::<i8>()
                            .map_err(|_| Error::Invalid("priority"))?;
                        p.priority = Some(value);
                    }
                    "error" if p.error.is_none() => {
                        p.error = Some(StanzaError::parse(r, &child, stanza_ns)?);
                    }
                    _ => p
                        .payloads
                        .push(Payload::Other(rescope::read_tree(r, child, stanza_ns)?)),
                },
                Token::Start(child) => p.payloads.push(Payload::parse(r, child, stanza_ns)?),
            }
        }
        if p.kind == PresenceType::Error && p.error.is_none() {
            return Err(Error::Missing("error element"));
        }
        Ok(p)
    }

    /// Appends the serialised presence to `out`; leaves `out` as it was on
    /// error.
    pub fn serialize(&self, ctx: &Context, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        self.serialize_addressed(ctx, self.from.as_ref(), self.to.as_ref(), out)
    }
}

impl WriteStanza for Presence {
    fn write(
        &self,
        out: &mut Vec<u8>,
        at: Placement<'_>,
        from: Option<&Jid>,
        to: Option<&Jid>,
    ) -> Result<(), SerializeError> {
        if self.kind == PresenceType::Error && self.error.is_none() {
            return Err(SerializeError::InvalidValue("error element"));
        }
        let head = Head {
            name: "presence",
            kind: self.kind.as_str(),
            id: self.id.as_deref(),
            from,
            to,
            lang: self.lang.as_deref(),
            extra_attrs: &self.extra_attrs,
        };
        head.write(out, at)?;
        let empty = self.show.is_none()
            && self.statuses.is_empty()
            && self.priority.is_none()
            && self.error.is_none()
            && self.payloads.is_empty();
        if empty {
            out.extend_from_slice(b"/>");
            return Ok(());
        }
        out.push(b'>');
        if let Some(show) = &self.show {
            if let Show::Other(s) = show
                && Show::parse(s) != *show
            {
                return Err(SerializeError::InvalidValue("show"));
            }
            xml::text_element(out, "show", None, show.as_str())?;
        }
        for s in &self.statuses {
            s.write(out, "status", None)?;
        }
        if let Some(prio) = self.priority {
            xml::text_element(out, "priority", None, &prio.to_string())?;
        }
        // The typed error goes first so a second <error/> kept as a
        // payload cannot take its place when read back.
        if let Some(e) = &self.error {
            e.write(out, at.ns)?;
        }
        let typed_child = |name: &str| match name {
            "status" => true,
            "show" => self.show.is_none(),
            "priority" => self.priority.is_none(),
            "error" => self.error.is_none(),
            _ => false,
        };
        for p in &self.payloads {
            p.write(out, at.ns, typed_child)?;
        }
        xml::end(out, "presence");
        Ok(())
    }
}

impl Stanza for Presence {
    fn name(&self) -> &'static str {
        "presence"
    }

    fn to(&self) -> Option<&Jid> {
        self.to.as_ref()
    }

    fn from(&self) -> Option<&Jid> {
        self.from.as_ref()
    }

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn type_attr(&self) -> Option<&'static str> {
        self.kind.as_str()
    }
}

//! `<message/>` (RFC 6120 section 8, RFC 6121 section 5).

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

/// The `type` of a message (RFC 6121 section 5.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MessageType {
    /// A standalone message; also what an absent or unknown type means.
    #[default]
    Normal,
    /// One-to-one chat.
    Chat,
    /// Multi-user chat.
    Groupchat,
    /// An alert that expects no reply.
    Headline,
    /// An error answering a message the sender sent.
    Error,
}

impl MessageType {
    /// The `type` attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Normal => "normal",
            MessageType::Chat => "chat",
            MessageType::Groupchat => "groupchat",
            MessageType::Headline => "headline",
            MessageType::Error => "error",
        }
    }

    fn parse(s: Option<&str>) -> MessageType {
        match s {
            Some("chat") => MessageType::Chat,
            Some("groupchat") => MessageType::Groupchat,
            Some("headline") => MessageType::Headline,
            Some("error") => MessageType::Error,
            // RFC 6121 section 5.2.2: anything else is treated as normal.
            _ => MessageType::Normal,
        }
    }
}

/// A conversation thread identifier (RFC 6121 section 5.2.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Thread {
    /// The thread identifier.
    pub id: String,
    /// The thread this one was spawned from.
    pub parent: Option<String>,
}

impl Thread {
    /// A thread without a parent.
    pub fn new(id: impl Into<String>) -> Thread {
        Thread {
            id: id.into(),
            parent: None,
        }
    }
}

/// A message stanza.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Message {
    /// The `type` attribute.
    pub kind: MessageType,
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
    /// `<subject/>` elements, one per language.
    pub subjects: Vec<Text>,
    /// `<body/>` elements, one per language.
    pub bodies: Vec<Text>,
    /// The `<thread/>` element.
    pub thread: Option<Thread>,
    /// The `<error/>` element; required in a message of type error.
    pub error: Option<StanzaError>,
    /// Extension elements, in the order received.
    pub payloads: Vec<Payload>,
}

impl Message {
    /// A chat message to `to` with one body.
    pub fn chat(to: Jid, body: impl Into<String>) -> Message {
        Message {
            kind: MessageType::Chat,
            to: Some(to),
            bodies: vec![Text::new(body)],
            ..Message::default()
        }
    }

    /// The body without a language tag of its own, else the first one.
    pub fn body(&self) -> Option<&str> {
        self.bodies
            .iter()
            .find(|b| b.lang.is_none())
            .or_else(|| self.bodies.first())
            .map(|b| b.text.as_str())
    }

    /// The error answering this message (RFC 6120 section 8.3.1): addresses
    /// swapped, same id. None when this message is itself an error, which
    /// must never be answered with another.
    pub fn error_reply(&self, error: StanzaError) -> Option<Message> {
        if self.kind == MessageType::Error {
            return None;
        }
        Some(Message {
            kind: MessageType::Error,
            id: self.id.clone(),
            from: self.to.clone(),
            to: self.from.clone(),
            error: Some(error),
            ..Message::default()
        })
    }

    pub(crate) fn parse(r: &mut Reader<'_>, start: &Start<'_>) -> Result<Message, Error> {
        let c = Common::parse(r, start)?;
        let mut m = Message {
            kind: MessageType::parse(c.kind.as_deref()),
            id: c.id,
            from: c.from,
            to: c.to,
            lang: c.lang,
            extra_attrs: c.extra_attrs,
            ..Message::default()
        };
        let stanza_ns = start.ns();
        loop {
            match r.next()? {
                Token::End => break,
                Token::Text(_) => {}
                Token::Start(child) if child.ns() == stanza_ns => match child.local() {
                    "body" => m.bodies.push(Text::parse(r, &child)?),
                    "subject" => m.subjects.push(Text::parse(r, &child)?),
                    "thread" if m.thread.is_none() => {
                        let mut parent = None;
                        child.each_attr(|p, l, v| {
                            if p.is_none() && l == "parent" {
                                parent = Some(v.into_owned());
                            }
                            Ok(())
                        })?;
                        let id = r.text()?;
                        m.thread = Some(Thread { id, parent });
                    }
                    "error" if m.error.is_none() => {
                        m.error = Some(StanzaError::parse(r, &child, stanza_ns)?);
                    }
                    _ => m
                        .payloads
                        .push(Payload::Other(rescope::read_tree(r, child, stanza_ns)?)),
                },
                Token::Start(child) => m.payloads.push(Payload::parse(r, child, stanza_ns)?),
            }
        }
        if m.kind == MessageType::Error && m.error.is_none() {
            return Err(Error::Missing("error element"));
        }
        Ok(m)
    }

    /// Appends the serialised message to `out`; leaves `out` as it was on
    /// error.
    pub fn serialize(&self, ctx: &Context, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        self.serialize_addressed(ctx, self.from.as_ref(), self.to.as_ref(), out)
    }
}

impl WriteStanza for Message {
    fn write(
        &self,
        out: &mut Vec<u8>,
        at: Placement<'_>,
        from: Option<&Jid>,
        to: Option<&Jid>,
    ) -> Result<(), SerializeError> {
        if self.kind == MessageType::Error && self.error.is_none() {
            return Err(SerializeError::InvalidValue("error element"));
        }
        let head = Head {
            name: "message",
            kind: self.type_attr(),
            id: self.id.as_deref(),
            from,
            to,
            lang: self.lang.as_deref(),
            extra_attrs: &self.extra_attrs,
        };
        head.write(out, at)?;
        let empty = self.subjects.is_empty()
            && self.bodies.is_empty()
            && self.thread.is_none()
            && self.error.is_none()
            && self.payloads.is_empty();
        if empty {
            out.extend_from_slice(b"/>");
            return Ok(());
        }
        out.push(b'>');
        for s in &self.subjects {
            s.write(out, "subject", None)?;
        }
        for b in &self.bodies {
            b.write(out, "body", None)?;
        }
        if let Some(t) = &self.thread {
            out.extend_from_slice(b"<thread");
            xml::opt_attr(out, "parent", t.parent.as_deref())?;
            if t.id.is_empty() {
                out.extend_from_slice(b"/>");
            } else {
                out.push(b'>');
                xml::escape_text(out, &t.id)?;
                xml::end(out, "thread");
            }
        }
        // The typed error goes first so a second <error/> kept as a
        // payload cannot take its place when read back.
        if let Some(e) = &self.error {
            e.write(out, at.ns)?;
        }
        // What the reader would take for a typed child: bodies and subjects
        // always, a thread or an error when there is none already.
        let typed_child = |name: &str| match name {
            "body" | "subject" => true,
            "thread" => self.thread.is_none(),
            "error" => self.error.is_none(),
            _ => false,
        };
        for p in &self.payloads {
            p.write(out, at.ns, typed_child)?;
        }
        xml::end(out, "message");
        Ok(())
    }
}

impl Stanza for Message {
    fn name(&self) -> &'static str {
        "message"
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
        (self.kind != MessageType::Normal).then(|| self.kind.as_str())
    }
}

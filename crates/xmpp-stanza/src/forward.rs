//! Stanza forwarding (XEP-0297), also the wrapper of message carbons
//! (XEP-0280).

use crate::StreamNamespace;
use crate::delay::Delay;
use crate::error::{Error, excerpt};
use crate::iq::Iq;
use crate::message::Message;
use crate::ns;
use crate::presence::Presence;
use crate::serialize_error::SerializeError;
use crate::stanza::{AnyStanza, Placement, WriteStanza};
use crate::xml::{self, Reader, Start, Token};

/// `<forwarded xmlns='urn:xmpp:forward:0'/>`: a stanza as someone else
/// received or sent it, with the time it was received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Forwarded {
    /// When the forwarder received the stanza.
    pub delay: Option<Delay>,
    /// The forwarded stanza, unchanged.
    pub stanza: Box<AnyStanza>,
    /// The namespace the forwarded stanza is in, which XEP-0297 says must
    /// be preserved (normally `jabber:client`, whatever the outer stream).
    pub namespace: StreamNamespace,
}

impl Forwarded {
    /// Forwards `stanza` in `jabber:client`, without a delay.
    pub fn new(stanza: impl Into<AnyStanza>) -> Forwarded {
        Forwarded {
            delay: None,
            stanza: Box::new(stanza.into()),
            namespace: StreamNamespace::Client,
        }
    }

    /// Reads the content of `<forwarded>`: an optional delay, then exactly
    /// one stanza.
    pub(crate) fn parse(r: &mut Reader<'_>, _start: &Start<'_>) -> Result<Forwarded, Error> {
        let mut delay = None;
        let mut stanza = None;
        loop {
            match r.next()? {
                Token::End => break,
                Token::Text(_) => {}
                Token::Start(child) if child.is("delay", ns::DELAY) && delay.is_none() => {
                    delay = Some(Delay::parse(r, &child)?);
                }
                Token::Start(child) => {
                    let namespace = match child.ns() {
                        ns::CLIENT => StreamNamespace::Client,
                        ns::SERVER => StreamNamespace::Server,
                        _ => return Err(Error::Unexpected(excerpt(child.local()))),
                    };
                    let parsed = match child.local() {
                        _ if stanza.is_some() => {
                            return Err(Error::Unexpected(excerpt(child.local())));
                        }
                        "message" => AnyStanza::Message(Message::parse(r, &child)?),
                        "presence" => AnyStanza::Presence(Presence::parse(r, &child)?),
                        "iq" => AnyStanza::Iq(Iq::parse(r, &child)?),
                        other => return Err(Error::Unexpected(excerpt(other))),
                    };
                    stanza = Some((parsed, namespace));
                }
            }
        }
        let (stanza, namespace) = stanza.ok_or(Error::Missing("forwarded stanza"))?;
        Ok(Forwarded {
            delay,
            stanza: Box::new(stanza),
            namespace,
        })
    }

    /// Reads the content of an element that wraps exactly one
    /// `<forwarded/>` (a carbons `<received/>` or `<sent/>`).
    pub(crate) fn parse_wrapped(r: &mut Reader<'_>) -> Result<Forwarded, Error> {
        let mut forwarded = None;
        loop {
            match r.next()? {
                Token::End => return forwarded.ok_or(Error::Missing("forwarded")),
                Token::Text(_) => {}
                Token::Start(child)
                    if child.is("forwarded", ns::FORWARD) && forwarded.is_none() =>
                {
                    forwarded = Some(Forwarded::parse(r, &child)?);
                }
                Token::Start(child) => return Err(Error::Unexpected(excerpt(child.local()))),
            }
        }
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        out.extend_from_slice(b"<forwarded");
        xml::attr(out, "xmlns", ns::FORWARD)?;
        out.push(b'>');
        if let Some(delay) = &self.delay {
            delay.write(out)?;
        }
        let at = Placement {
            ns: self.namespace.as_str(),
            declare: true,
        };
        let stanza = self.stanza.as_stanza();
        self.stanza.write(out, at, stanza.from(), stanza.to())?;
        xml::end(out, "forwarded");
        Ok(())
    }

    /// Writes `<name xmlns='ns'><forwarded>...</forwarded></name>`.
    pub(crate) fn write_wrapped(
        &self,
        out: &mut Vec<u8>,
        name: &str,
        ns: &str,
    ) -> Result<(), SerializeError> {
        out.push(b'<');
        out.extend_from_slice(name.as_bytes());
        xml::attr(out, "xmlns", ns)?;
        out.push(b'>');
        self.write(out)?;
        xml::end(out, name);
        Ok(())
    }
}

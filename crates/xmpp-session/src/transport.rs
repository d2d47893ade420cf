//! The framing under a session: RFC 7395 over WebSocket or RFC 6120 over
//! TCP, chosen at construction, and the stanza context that goes with it.

use chatwire_xmpp_framing::{Framing, StreamErrorCondition, TcpFraming, WsFraming};
use chatwire_xmpp_stanza::{Context, Element, Limits, StreamError};

use crate::Error;

/// One of the two framings, driven through the [`Framing`] trait.
#[derive(Debug)]
pub(crate) enum Transport {
    /// RFC 7395: one element per WebSocket text message.
    Ws(WsFraming),
    /// RFC 6120: one XML stream over a byte stream.
    Tcp(TcpFraming),
}

impl Transport {
    pub(crate) fn framing(&mut self) -> &mut dyn Framing {
        match self {
            Transport::Ws(f) => f,
            Transport::Tcp(f) => f,
        }
    }

    pub(crate) fn framing_ref(&self) -> &dyn Framing {
        match self {
            Transport::Ws(f) => f,
            Transport::Tcp(f) => f,
        }
    }

    pub(crate) fn is_tcp(&self) -> bool {
        matches!(self, Transport::Tcp(_))
    }

    /// The stanza context of a client-to-server stream on this transport.
    pub(crate) fn context(&self, limits: Limits) -> Context {
        match self {
            Transport::Ws(_) => Context::client_websocket(),
            Transport::Tcp(_) => Context::client_tcp(),
        }
        .with_limits(limits)
    }

    /// Feeds one WebSocket text message.
    pub(crate) fn handle_message(
        &mut self,
        message: String,
    ) -> Result<Result<(), chatwire_xmpp_framing::Error>, Error> {
        match self {
            Transport::Ws(f) => Ok(f.handle_message(message.into())),
            Transport::Tcp(_) => Err(Error::WrongTransport),
        }
    }

    /// Feeds bytes read from a TCP (or TLS) connection.
    pub(crate) fn handle_input(
        &mut self,
        input: &[u8],
    ) -> Result<Result<(), chatwire_xmpp_framing::Error>, Error> {
        match self {
            Transport::Tcp(f) => Ok(f.handle_input(input)),
            Transport::Ws(_) => Err(Error::WrongTransport),
        }
    }

    /// WebSocket only: `<close see-other-uri=.../>` (RFC 7395 section 3.6.1).
    pub(crate) fn redirect(&mut self, uri: &str) -> Result<(), Error> {
        match self {
            Transport::Ws(f) => Ok(f.redirect(uri)?),
            Transport::Tcp(_) => Err(Error::WrongTransport),
        }
    }

    /// Serialises `element` with `ctx` and queues it.
    pub(crate) fn send_element(&mut self, element: &Element, ctx: &Context) -> Result<(), Error> {
        let mut out = Vec::new();
        element.serialize(ctx, &mut out)?;
        let text = String::from_utf8(out)
            .map_err(|_| Error::NotAllowed("serialised element is not UTF-8"))?;
        self.framing().send(&text)?;
        Ok(())
    }

    /// Queues a stream error and the end of our stream. See-other-host's
    /// address, texts and application conditions have no room in the
    /// framing's writer, so such an error is written by the stanza crate (after our header, which a
    /// session always sent by the time it redirects).
    pub(crate) fn stream_error(&mut self, error: &StreamError, ctx: &Context) -> Result<(), Error> {
        let condition = crate::conditions::stream_condition_to_framing(&error.condition)
            .unwrap_or(StreamErrorCondition::UndefinedCondition);
        if (condition == StreamErrorCondition::SeeOtherHost
            || !error.texts.is_empty()
            || !error.apps.is_empty())
            && self
                .send_element(&Element::StreamError(error.clone()), ctx)
                .is_ok()
        {
            self.framing().close()?;
            return Ok(());
        }
        self.framing().stream_error(condition, None)?;
        Ok(())
    }
}

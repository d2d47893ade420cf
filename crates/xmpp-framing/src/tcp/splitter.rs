//! The reading half of an RFC 6120 stream: an incremental splitter.
//!
//! It reads the optional XML declaration and the `<stream:stream>` header
//! (section 4.2), then yields every top-level element as soon as its end tag
//! arrives (section 4.1), skips whitespace keepalives between elements
//! (section 4.6.1), and reports `</stream:stream>` as the stream close
//! (section 4.4). After [`TcpSplitter::restart`] (section 4.3.3: after
//! STARTTLS or SASL) it reads a new declaration and header, which must keep
//! the content namespace.

use std::sync::Arc;

use chatwire_utf8::{Utf8Builder, Utf8Bytes};

use super::{STREAMS_NS, check_content_namespace, header_from};
use crate::check::{self, StartTag};
use crate::event::EventQueue;
use crate::scan::{Boundary, Scanner, is_space};
use crate::{Element, Error, Event, Limits, NsContext};

/// Splits an RFC 6120 TCP byte stream into [`Event`]s, for either role.
///
/// Bytes are checked for UTF-8 once, as they arrive. An element that
/// arrives in one input is copied out of it into storage of its own size;
/// one that spans inputs is gathered in a buffer of its own, which becomes
/// the element with its spare capacity given back. Nothing is kept between
/// elements, so an idle splitter holds almost no memory whatever it read.
///
/// ```
/// use chatwire_xmpp_framing::{Event, TcpSplitter};
///
/// let mut splitter = TcpSplitter::new(Default::default());
/// splitter.handle_input(b"<stream:stream xmlns='jabber:client' ")?;
/// splitter.handle_input(b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")?;
/// splitter.handle_input(b" <presence/> </stream:stream>")?;
/// assert!(matches!(splitter.poll_event(), Some(Event::StreamOpen(_))));
/// assert!(matches!(splitter.poll_event(), Some(Event::Element(e)) if &*e.local_name == "presence"));
/// assert!(matches!(splitter.poll_event(), Some(Event::StreamClose { .. })));
/// # Ok::<(), chatwire_xmpp_framing::Error>(())
/// ```
#[derive(Debug)]
pub struct TcpSplitter {
    limits: Limits,
    scanner: Scanner,
    /// The unit in progress when it spans inputs.
    partial: Utf8Builder,
    position: Position,
    stream: Option<OpenStream>,
    /// The first header's content namespace; restarts must keep it.
    content_namespace: Option<Box<str>>,
    closed: bool,
    failed: bool,
    pub(crate) events: EventQueue,
}

/// Where the reader is in the current XML document (a restart starts a new one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// At the start: an XML declaration or the stream header comes next.
    Start,
    /// After the XML declaration: the stream header comes next.
    AfterDeclaration,
    /// Inside the stream: elements, keepalives, the closing tag.
    InStream,
}

#[derive(Debug)]
struct OpenStream {
    qname: Box<[u8]>,
    ns_context: Arc<NsContext>,
}

impl TcpSplitter {
    /// A splitter waiting for the peer's stream header.
    pub fn new(limits: Limits) -> Self {
        TcpSplitter {
            limits,
            scanner: Scanner::new(&limits),
            partial: Utf8Builder::new(),
            position: Position::Start,
            stream: None,
            content_namespace: None,
            closed: false,
            failed: false,
            events: EventQueue::default(),
        }
    }

    /// Feeds bytes from the socket, split anywhere.
    ///
    /// On error the stream is dead: answer with
    /// [`write_stream_error`](super::write_stream_error) using
    /// [`Error::condition`], then close the connection. Events produced
    /// before the error are still returned by [`TcpSplitter::poll_event`].
    pub fn handle_input(&mut self, input: &[u8]) -> Result<(), Error> {
        if self.failed {
            return Err(Error::StreamClosed);
        }
        let result = self.consume(input);
        if result.is_err() {
            self.failed = true;
            self.partial = Utf8Builder::new();
        }
        result
    }

    /// The peer's next unit starts a new stream (RFC 6120 section 4.3.3):
    /// call it when the negotiation says so (after `<proceed/>` for
    /// STARTTLS, `<success/>` for SASL). Anything half read is dropped and
    /// events not polled yet stay queued: both came before the restart, so
    /// [`TcpFraming::restart`](super::TcpFraming::restart) refuses to restart
    /// over them. An XML declaration may come again, then a header with the
    /// same content namespace. Without this call a new header or declaration
    /// inside the stream is refused.
    pub fn restart(&mut self) {
        self.scanner.reset();
        self.partial = Utf8Builder::new();
        self.position = Position::Start;
        self.stream = None;
    }

    /// Whether the peer sent something not handed out yet: events not
    /// polled, or a unit half read.
    pub(crate) fn holds_input(&self) -> bool {
        self.events.len() > 0 || !self.partial.is_empty() || !self.scanner.at_top()
    }

    /// Forgets everything [`TcpSplitter::holds_input`] reports.
    pub(crate) fn drop_input(&mut self) {
        self.events.truncate(0);
        self.restart();
    }

    /// The next event, if any; drain until `None` after every input.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// Whether the peer's stream header has been read and not yet closed.
    pub fn is_open(&self) -> bool {
        self.stream.is_some() && !self.closed
    }

    /// Whether the peer sent `</stream:stream>`.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The namespace context elements of the current stream inherit.
    pub fn ns_context(&self) -> Option<&Arc<NsContext>> {
        self.stream.as_ref().map(|s| &s.ns_context)
    }

    fn consume(&mut self, mut input: &[u8]) -> Result<(), Error> {
        while !input.is_empty() {
            if self.scanner.at_top() && self.partial.is_empty() {
                let spaces = input.iter().take_while(|&&b| is_space(b)).count();
                input = input.get(spaces..).unwrap_or_default();
                if input.is_empty() {
                    break;
                }
                if self.closed {
                    return Err(Error::NotWellFormed("data after the stream close"));
                }
            }
            let budget = self.unit_limit().saturating_sub(self.partial.len());
            let window = input.get(..budget.min(input.len())).unwrap_or_default();
            if window.is_empty() {
                return Err(self.too_large());
            }
            let (used, boundary) = match self.scanner.scan_to_error(window) {
                Ok(found) => found,
                Err((at, error)) => {
                    // Broken UTF-8 before the offending byte comes first in
                    // the stream: report it, as a split there would have.
                    let before = window.get(..at).unwrap_or_default();
                    self.partial
                        .push(before)
                        .map_err(|_| Error::UnsupportedEncoding)?;
                    return Err(error);
                }
            };
            let (unit, rest) = input.split_at(used.min(input.len()));
            input = rest;
            match boundary {
                None => self
                    .partial
                    .push(unit)
                    .map_err(|_| Error::UnsupportedEncoding)?,
                Some(boundary) => self.finish(boundary, unit)?,
            }
        }
        Ok(())
    }

    /// Headers are kept for the whole stream, so they get the tighter bound.
    fn unit_limit(&self) -> usize {
        match self.position {
            Position::InStream => self.limits.max_element_size,
            Position::Start | Position::AfterDeclaration => self.limits.max_header_size,
        }
    }

    fn too_large(&self) -> Error {
        match self.position {
            Position::InStream => Error::ElementTooLarge {
                limit: self.limits.max_element_size,
            },
            Position::Start | Position::AfterDeclaration => Error::HeaderTooLarge {
                limit: self.limits.max_header_size,
            },
        }
    }

    /// Handles a unit that ended with `tail`.
    fn finish(&mut self, boundary: Boundary, tail: &[u8]) -> Result<(), Error> {
        match boundary {
            Boundary::RootStart => {
                // Keep the start tag: it is a header, or an element goes on.
                self.partial
                    .push(tail)
                    .map_err(|_| Error::UnsupportedEncoding)?;
                if self.position == Position::InStream {
                    return self.refuse_header_inside_the_stream();
                }
                let tag = self.expected_header();
                self.partial = Utf8Builder::new();
                self.open(tag?)
            }
            Boundary::ElementEnd => {
                let text = self.take_unit(tail)?;
                self.element(text)
            }
            Boundary::Declaration => {
                let text = self.take_unit(tail)?;
                self.declaration(&text)
            }
            Boundary::TopEnd => {
                let text = self.take_unit(tail)?;
                self.close(&text)
            }
        }
    }

    /// The finished unit: copied out of `tail` when it arrived whole,
    /// otherwise the gathered buffer without its spare capacity.
    fn take_unit(&mut self, tail: &[u8]) -> Result<Utf8Bytes, Error> {
        let text = if self.partial.is_empty() {
            Utf8Bytes::try_from(tail)
        } else {
            self.partial
                .push(tail)
                .and_then(|()| std::mem::take(&mut self.partial).finish_compact())
        };
        text.map_err(|_| Error::UnsupportedEncoding)
    }

    /// The buffered start tag where a header must come: a header, or the
    /// right error for what it is instead.
    fn expected_header(&self) -> Result<StartTag, Error> {
        let bytes = self.partial.as_bytes();
        if local_name(bytes) != b"stream" {
            return Err(Error::BadFormat("expected a stream header"));
        }
        let tag = check::start_tag(bytes, &NsContext::new())?;
        if &*tag.namespace != STREAMS_NS {
            return Err(Error::InvalidNamespace(
                "stream header not in the streams namespace",
            ));
        }
        Ok(tag)
    }

    /// Inside a stream, an element named `stream` in another namespace is a
    /// stanza like any other; a new stream header needs a restart first.
    fn refuse_header_inside_the_stream(&self) -> Result<(), Error> {
        let (Some(stream), bytes) = (&self.stream, self.partial.as_bytes()) else {
            return Ok(());
        };
        if local_name(bytes) != b"stream" {
            return Ok(());
        }
        let tag = check::start_tag(bytes, &stream.ns_context)?;
        if &*tag.namespace == STREAMS_NS {
            return Err(Error::BadFormat("stream header without a restart"));
        }
        Ok(())
    }

    fn open(&mut self, tag: StartTag) -> Result<(), Error> {
        let header = header_from(&tag)?;
        let namespace = check_content_namespace(header.content_namespace.as_deref())?;
        match &self.content_namespace {
            Some(first) if **first != *namespace => {
                return Err(Error::InvalidNamespace(
                    "a restart changed the content namespace",
                ));
            }
            Some(_) => {}
            None => self.content_namespace = Some(namespace.into()),
        }
        self.scanner.reset();
        self.position = Position::InStream;
        self.stream = Some(OpenStream {
            qname: tag.qname,
            ns_context: Arc::new(tag.declarations),
        });
        self.events.push(Event::StreamOpen(header));
        Ok(())
    }

    fn element(&mut self, text: Utf8Bytes) -> Result<(), Error> {
        let (Position::InStream, Some(stream)) = (self.position, self.stream.as_ref()) else {
            return Err(Error::BadFormat("expected a stream header"));
        };
        let root = check::element(
            text.as_bytes(),
            &stream.ns_context,
            self.limits.max_namespace_declarations,
        )?;
        if &*root.namespace == STREAMS_NS && &*root.local_name == "stream" {
            return Err(Error::BadFormat("empty stream header"));
        }
        // Same rule as over WebSocket: a stanza is never in no namespace.
        if root.namespace.is_empty() {
            return Err(Error::InvalidNamespace("element without a namespace"));
        }
        let element = Element {
            bytes: text,
            ns_context: Arc::clone(&stream.ns_context),
            namespace: root.namespace,
            local_name: root.local_name,
        };
        self.events.push(Event::Element(element));
        Ok(())
    }

    /// RFC 6120 section 11.5 and XML 1.0 section 2.8: the declaration
    /// may only open a document, that is the stream or a restarted stream.
    fn declaration(&mut self, text: &Utf8Bytes) -> Result<(), Error> {
        // A processing instruction is restricted XML wherever it is.
        check::declaration(text.as_bytes())?;
        match self.position {
            Position::Start => {
                self.position = Position::AfterDeclaration;
                Ok(())
            }
            Position::AfterDeclaration => Err(Error::NotWellFormed("second XML declaration")),
            Position::InStream => Err(Error::NotWellFormed("XML declaration inside the stream")),
        }
    }

    fn close(&mut self, text: &Utf8Bytes) -> Result<(), Error> {
        let Some(stream) = self.stream.take() else {
            return Err(Error::NotWellFormed("end tag before the stream header"));
        };
        let bytes = text.as_bytes();
        check::chars(bytes)?;
        let name = bytes
            .get(2..bytes.len().saturating_sub(1))
            .unwrap_or_default();
        let name_len = name.iter().take_while(|&&b| !is_space(b)).count();
        if name.get(..name_len) != Some(&*stream.qname)
            || !name.iter().skip(name_len).all(|&b| is_space(b))
        {
            return Err(Error::NotWellFormed(
                "end tag does not match the stream header",
            ));
        }
        self.closed = true;
        self.events.push(Event::StreamClose {
            see_other_uri: None,
        });
        Ok(())
    }
}

/// The local part of a start tag's name (after any prefix).
fn local_name(start_tag: &[u8]) -> &[u8] {
    let name = start_tag
        .get(1..)
        .unwrap_or_default()
        .split(|&b| is_space(b) || b == b'>' || b == b'/')
        .next()
        .unwrap_or_default();
    name.rsplit(|&b| b == b':').next().unwrap_or_default()
}

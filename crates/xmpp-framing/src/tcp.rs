//! RFC 6120 XML streams over TCP: an incremental splitter for what the peer
//! sends, and writers for what we send.
//!
//! The splitter reads the optional XML declaration and the
//! `<stream:stream>` header (section 4.2), then yields every top-level
//! element as soon as its end tag arrives (section 4.1), skips whitespace
//! keepalives between elements (section 4.6.1), accepts a new header at
//! top level as a stream restart (sections 5.3.4.2 and 6.4.6) and reports
//! `</stream:stream>` as the stream close (section 4.4).

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::check::{self, StartTag};
use crate::escape::escape_into;
use crate::scan::{Boundary, Scanner, is_space};
use crate::{Element, Error, Event, Limits, NsContext, StreamErrorCondition, StreamHeader};

/// The stream namespace of RFC 6120 section 4.8.1.
pub const STREAMS_NS: &str = "http://etherx.jabber.org/streams";
/// The client content namespace (RFC 6120 section 4.8.2).
const CLIENT_NS: &str = "jabber:client";
/// The server content namespace (RFC 6120 section 4.8.2).
const SERVER_NS: &str = "jabber:server";
/// The namespace of stream error conditions (RFC 6120 section 4.9.2).
pub const STREAM_ERRORS_NS: &str = "urn:ietf:params:xml:ns:xmpp-streams";

/// Splits an RFC 6120 TCP byte stream into [`Event`]s, for either role.
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
    /// The bytes of the unit in progress.
    buf: BytesMut,
    stream: Option<OpenStream>,
    /// An XML declaration was read; the next unit must be a stream header.
    declaration_seen: bool,
    closed: bool,
    failed: bool,
    events: VecDeque<Event>,
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
            buf: BytesMut::new(),
            stream: None,
            declaration_seen: false,
            closed: false,
            failed: false,
            events: VecDeque::new(),
        }
    }

    /// Feeds bytes from the socket, split anywhere.
    ///
    /// On error the stream is dead: answer with [`write_stream_error`] using
    /// [`Error::condition`], then close the connection. Events produced
    /// before the error are still returned by [`TcpSplitter::poll_event`].
    pub fn handle_input(&mut self, input: &[u8]) -> Result<(), Error> {
        if self.failed {
            return Err(Error::StreamClosed);
        }
        let result = self.consume(input);
        if result.is_err() {
            self.failed = true;
            self.buf = BytesMut::new();
        }
        result
    }

    /// The next event, if any; drain until `None` after every input.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
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
            if self.scanner.at_top() && self.buf.is_empty() {
                let spaces = input.iter().take_while(|&&b| is_space(b)).count();
                input = input.get(spaces..).unwrap_or_default();
                if input.is_empty() {
                    break;
                }
                if self.closed {
                    return Err(Error::NotWellFormed("data after the stream close"));
                }
            }
            let budget = self.limits.max_element_size.saturating_sub(self.buf.len());
            let window = input.get(..budget.min(input.len())).unwrap_or_default();
            if window.is_empty() {
                return Err(Error::ElementTooLarge {
                    limit: self.limits.max_element_size,
                });
            }
            let (used, boundary) = self.scanner.scan(window)?;
            let (unit, rest) = input.split_at(used.min(input.len()));
            input = rest;
            match boundary {
                None => self.buf.extend_from_slice(unit),
                Some(boundary) => self.finish(boundary, unit)?,
            }
        }
        Ok(())
    }

    /// Handles a unit that ended with `tail`.
    fn finish(&mut self, boundary: Boundary, tail: &[u8]) -> Result<(), Error> {
        if boundary == Boundary::RootStart {
            // Keep the start tag buffered unless it turns out to be a header.
            self.buf.extend_from_slice(tail);
            let expecting_header = self.stream.is_none() || self.declaration_seen;
            return match header_candidate(&self.buf) {
                Some(Ok(tag)) if &*tag.namespace == STREAMS_NS && &*tag.local_name == "stream" => {
                    self.buf.clear();
                    self.open(tag)
                }
                // A restart header that is broken on its own declarations
                // would otherwise be buffered as a stanza that never ends.
                Some(Err(error)) if !expecting_header && self.names_the_stream_header() => {
                    Err(error)
                }
                // Mid-stream, an element merely named `stream` is a stanza like any other.
                _ if !expecting_header => Ok(()),
                Some(Ok(_)) => Err(Error::InvalidNamespace(
                    "stream header not in the streams namespace",
                )),
                Some(Err(error)) => Err(error),
                None => Err(Error::BadFormat("expected a stream header")),
            };
        }
        let bytes = if self.buf.is_empty() {
            Bytes::copy_from_slice(tail)
        } else {
            self.buf.extend_from_slice(tail);
            self.buf.split().freeze()
        };
        match boundary {
            Boundary::Declaration => {
                if self.declaration_seen {
                    return Err(Error::NotWellFormed("second XML declaration"));
                }
                check::declaration(&bytes)?;
                self.declaration_seen = true;
            }
            Boundary::RootStart => {}
            Boundary::ElementEnd => {
                let Some(stream) = self.stream.as_ref().filter(|_| !self.declaration_seen) else {
                    return Err(Error::BadFormat("expected a stream header"));
                };
                let root = check::element(&bytes, &stream.ns_context)?;
                if &*root.namespace == STREAMS_NS && &*root.local_name == "stream" {
                    return Err(Error::BadFormat("empty stream header"));
                }
                // Same rule as over WebSocket: a stanza is never in no namespace.
                if root.namespace.is_empty() {
                    return Err(Error::InvalidNamespace("element without a namespace"));
                }
                self.events.push_back(Event::Element(Element {
                    bytes,
                    ns_context: Arc::clone(&stream.ns_context),
                    namespace: root.namespace,
                    local_name: root.local_name,
                }));
            }
            Boundary::TopEnd => {
                let Some(stream) = self.stream.take() else {
                    return Err(Error::NotWellFormed("end tag before the stream header"));
                };
                check::text(&bytes)?;
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
                self.events.push_back(Event::StreamClose {
                    see_other_uri: None,
                });
            }
        }
        Ok(())
    }

    /// Whether the buffered start tag's name resolves to `stream` in the
    /// streams namespace in the current stream's context.
    fn names_the_stream_header(&self) -> bool {
        let Some(stream) = self.stream.as_ref() else {
            return false;
        };
        let name = self
            .buf
            .get(1..)
            .unwrap_or_default()
            .split(|&b| is_space(b) || b == b'>' || b == b'/')
            .next()
            .unwrap_or_default();
        let Ok(name) = std::str::from_utf8(name) else {
            return false;
        };
        let namespace = match name.split_once(':') {
            Some((prefix, "stream")) => stream.ns_context.prefix(prefix),
            None if name == "stream" => stream.ns_context.default_namespace(),
            _ => None,
        };
        namespace == Some(STREAMS_NS)
    }

    fn open(&mut self, tag: StartTag) -> Result<(), Error> {
        let header = header_from(&tag)?;
        check_content_namespace(header.content_namespace.as_deref())?;
        self.scanner.reset();
        self.declaration_seen = false;
        self.stream = Some(OpenStream {
            qname: tag.qname,
            ns_context: Arc::new(tag.declarations),
        });
        self.events.push_back(Event::StreamOpen(header));
        Ok(())
    }
}

/// Parses a root start tag whose local name is `stream`; `None` for any other element.
fn header_candidate(bytes: &[u8]) -> Option<Result<StartTag, Error>> {
    let name_end = bytes
        .iter()
        .skip(1)
        .position(|&b| is_space(b) || b == b'>' || b == b'/')
        .unwrap_or(0);
    let name = bytes.get(1..=name_end).unwrap_or_default();
    let local = name.rsplit(|&b| b == b':').next().unwrap_or_default();
    (local == b"stream").then(|| check::start_tag(bytes))
}

/// Builds a [`StreamHeader`] from a start tag and checks its version
/// (RFC 6120 section 4.7.5).
pub(crate) fn header_from(tag: &StartTag) -> Result<StreamHeader, Error> {
    let header = StreamHeader {
        to: tag.attribute("to").map(str::to_owned),
        from: tag.attribute("from").map(str::to_owned),
        id: tag.attribute("id").map(str::to_owned),
        version: tag.attribute("version").map(str::to_owned),
        lang: tag.attribute("xml:lang").map(str::to_owned),
        content_namespace: tag.declarations.default_namespace().map(str::to_owned),
    };
    check_version(header.version.as_deref())?;
    Ok(header)
}

/// RFC 6120 section 4.8.2: the header's default namespace names the
/// content namespace, which must be `jabber:client` or `jabber:server`.
fn check_content_namespace(namespace: Option<&str>) -> Result<(), Error> {
    match namespace {
        Some(CLIENT_NS | SERVER_NS) => Ok(()),
        Some(_) => Err(Error::InvalidNamespace(
            "content namespace is not jabber:client or jabber:server",
        )),
        None => Err(Error::InvalidNamespace(
            "stream header without a content namespace",
        )),
    }
}

/// Accepts `1.x`: a peer at a higher minor version talks 1.0 with us.
fn check_version(version: Option<&str>) -> Result<(), Error> {
    let Some((major, minor)) = version.and_then(|v| v.split_once('.')) else {
        return Err(Error::UnsupportedVersion);
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) || major.trim_start_matches('0') != "1" {
        return Err(Error::UnsupportedVersion);
    }
    Ok(())
}

/// Appends an XML declaration and a `<stream:stream>` header (RFC 6120
/// section 4.7) declaring `content_namespace` (`jabber:client` or
/// `jabber:server`) as the default namespace.
pub fn write_stream_header(header: &StreamHeader, content_namespace: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<?xml version='1.0'?><stream:stream xmlns=\"");
    escape_into(content_namespace, out);
    out.extend_from_slice(b"\" xmlns:stream=\"");
    out.extend_from_slice(STREAMS_NS.as_bytes());
    out.push(b'"');
    write_header_attributes(header, out);
    out.push(b'>');
}

/// Appends `</stream:stream>` (RFC 6120 section 4.4).
pub fn write_stream_close(out: &mut Vec<u8>) {
    out.extend_from_slice(b"</stream:stream>");
}

/// Appends `<stream:error>` with `condition` and optional text (RFC 6120
/// section 4.9.2); the `stream` prefix is declared on the element so the same
/// bytes work over WebSocket, where nothing is inherited.
///
/// When the failure is in the peer's stream header, send your own header
/// first (section 4.9.1.2), and close the stream after this.
pub fn write_stream_error(condition: StreamErrorCondition, text: Option<&str>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<stream:error xmlns:stream=\"");
    out.extend_from_slice(STREAMS_NS.as_bytes());
    out.extend_from_slice(b"\"><");
    out.extend_from_slice(condition.as_str().as_bytes());
    out.extend_from_slice(b" xmlns=\"");
    out.extend_from_slice(STREAM_ERRORS_NS.as_bytes());
    out.extend_from_slice(b"\"/>");
    if let Some(text) = text {
        out.extend_from_slice(b"<text xmlns=\"");
        out.extend_from_slice(STREAM_ERRORS_NS.as_bytes());
        out.extend_from_slice(b"\">");
        escape_into(text, out);
        out.extend_from_slice(b"</text>");
    }
    out.extend_from_slice(b"</stream:error>");
}

/// Appends ` to=".." from=".." id=".." xml:lang=".." version=".."`.
pub(crate) fn write_header_attributes(header: &StreamHeader, out: &mut Vec<u8>) {
    let attributes = [
        ("to", header.to.as_deref()),
        ("from", header.from.as_deref()),
        ("id", header.id.as_deref()),
        ("xml:lang", header.lang.as_deref()),
        ("version", Some(header.version.as_deref().unwrap_or("1.0"))),
    ];
    for (name, value) in attributes {
        if let Some(value) = value {
            out.push(b' ');
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"=\"");
            escape_into(value, out);
            out.push(b'"');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(check_version(Some("1.0")).is_ok());
        assert!(check_version(Some("1.1")).is_ok());
        assert!(check_version(None).is_err());
        assert!(check_version(Some("2.0")).is_err());
        assert!(check_version(Some("1")).is_err());
        assert!(check_version(Some("1.x")).is_err());
    }
}

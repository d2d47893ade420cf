//! RFC 6120 XML streams over TCP: [`TcpFraming`] for a whole connection,
//! [`TcpSplitter`] as its reading half, and writers for what we send.
//!
//! [`TcpFraming`] has the same verbs as [`WsFraming`](crate::WsFraming)
//! (both implement [`Framing`](crate::Framing)), so a session drives both
//! transports through one shape. It adds to the splitter the rules of a
//! connection: the initiating entity sends the first header (section 4.2),
//! the receiving entity answers each header once, a stream error goes after
//! our own header when the failure comes first (section 4.9.1.2), a
//! `</stream:stream>` is answered with ours (section 4.4), and restarts
//! (section 4.3.3) reset the reading half while the writer sends a new
//! header.

mod splitter;

use crate::check::{self, StartTag};
use crate::escape::escape_into;
use crate::event::EventQueue;
use crate::outbox::Outbox;
use crate::scan;
use crate::state::StreamState;
use crate::{Error, Event, Limits, Role, StreamErrorCondition, StreamHeader};

pub use splitter::TcpSplitter;

/// The stream namespace of RFC 6120 section 4.8.1.
pub const STREAMS_NS: &str = "http://etherx.jabber.org/streams";
/// The client content namespace (RFC 6120 section 4.8.2).
const CLIENT_NS: &str = "jabber:client";
/// The server content namespace (RFC 6120 section 4.8.2).
const SERVER_NS: &str = "jabber:server";
/// The namespace of stream error conditions (RFC 6120 section 4.9.2).
pub const STREAM_ERRORS_NS: &str = "urn:ietf:params:xml:ns:xmpp-streams";

/// The content namespace of a stream (RFC 6120 section 4.8.2), which
/// elements without their own `xmlns` inherit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ContentNamespace {
    /// `jabber:client`: a client-to-server stream.
    #[default]
    Client,
    /// `jabber:server`: a server-to-server stream.
    Server,
}

impl ContentNamespace {
    /// The namespace name, e.g. `jabber:client`.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentNamespace::Client => CLIENT_NS,
            ContentNamespace::Server => SERVER_NS,
        }
    }
}

/// Settings for [`TcpFraming`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Size, depth, attribute and header limits on what the peer sends.
    pub limits: Limits,
    /// The content namespace both headers declare; a peer header declaring
    /// another one is refused with `<invalid-namespace/>`.
    pub content_namespace: ContentNamespace,
    /// Most bytes [`TcpFraming::send`] lets wait for
    /// [`TcpFraming::poll_transmit`]; beyond it `send` returns
    /// [`Error::QueueFull`]. Headers, closes and stream errors are always
    /// queued. Keep it above the largest element you send. Default 4 MiB; a
    /// chat server should use about 1 MiB per connection.
    pub max_queued_bytes: usize,
}

impl Default for Config {
    /// Default limits, `jabber:client`, 4 MiB of queued output.
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            content_namespace: ContentNamespace::Client,
            max_queued_bytes: 4 * 1024 * 1024,
        }
    }
}

impl Config {
    /// Replaces the limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the content namespace.
    pub fn with_content_namespace(mut self, namespace: ContentNamespace) -> Self {
        self.content_namespace = namespace;
        self
    }

    /// Sets [`Config::max_queued_bytes`].
    pub fn with_max_queued_bytes(mut self, bytes: usize) -> Self {
        self.max_queued_bytes = bytes;
        self
    }
}

/// One RFC 6120 stream (with its restarts) over one TCP or TLS connection.
///
/// Feed what the socket reads to [`TcpFraming::handle_input`] and drain
/// [`TcpFraming::poll_event`]; commands queue text, which
/// [`TcpFraming::poll_transmit`] hands out all at once.
///
/// ```
/// use chatwire_xmpp_framing::tcp::{Config, TcpFraming};
/// use chatwire_xmpp_framing::{Event, StreamHeader};
///
/// let mut client = TcpFraming::client(Config::default());
/// let mut server = TcpFraming::server(Config::default());
/// client.open(&StreamHeader::new().with_to("example.com"))?;
/// let mut wire = String::new();
/// client.poll_transmit(&mut wire);
/// server.handle_input(wire.as_bytes())?;
/// let Some(Event::StreamOpen(header)) = server.poll_event() else { panic!() };
/// server.open(&StreamHeader::new().with_from(header.to.unwrap_or_default()).with_id("s1"))?;
/// server.send("<stream:features/>")?;
/// wire.clear();
/// server.poll_transmit(&mut wire);
/// client.handle_input(wire.as_bytes())?;
/// assert!(matches!(client.poll_event(), Some(Event::StreamOpen(h)) if h.id.as_deref() == Some("s1")));
/// assert!(matches!(client.poll_event(), Some(Event::Element(e)) if &*e.local_name == "features"));
/// # Ok::<(), chatwire_xmpp_framing::Error>(())
/// ```
#[derive(Debug)]
pub struct TcpFraming {
    config: Config,
    state: StreamState,
    reader: TcpSplitter,
    outbox: Outbox,
    /// Events the reader does not produce (the transport's end).
    own_events: EventQueue,
}

impl TcpFraming {
    /// The initiating entity: sends the first header.
    pub fn client(config: Config) -> Self {
        Self::new(Role::Client, config)
    }

    /// The receiving entity: answers the client's headers.
    pub fn server(config: Config) -> Self {
        Self::new(Role::Server, config)
    }

    fn new(role: Role, config: Config) -> Self {
        TcpFraming {
            config,
            state: StreamState::new(role),
            reader: TcpSplitter::new(config.limits),
            outbox: Outbox::new(config.max_queued_bytes),
            own_events: EventQueue::default(),
        }
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.state.role
    }

    /// The peer's latest stream header.
    pub fn peer_header(&self) -> Option<&StreamHeader> {
        self.state.peer_header.as_ref()
    }

    /// Whether the stream is over (both sides closed it, it failed, or the
    /// transport closed): time to close the connection once
    /// [`TcpFraming::poll_transmit`] is drained.
    pub fn is_closed(&self) -> bool {
        self.state.is_closed()
    }

    /// Bytes queued for [`TcpFraming::poll_transmit`].
    pub fn queued_bytes(&self) -> usize {
        self.outbox.queued()
    }

    /// Feeds bytes read from the connection, split anywhere.
    ///
    /// On error the stream is dead: call [`TcpFraming::stream_error`] with
    /// [`Error::condition`] (when it has one), transmit, then close the
    /// connection. Events produced before the error are still returned.
    pub fn handle_input(&mut self, input: &[u8]) -> Result<(), Error> {
        self.state.check_input()?;
        let result = self.receive(input);
        if result.is_err() {
            self.state.failed = true;
        }
        result
    }

    /// The connection closed under us (end of file, reset, TLS failure).
    ///
    /// Yields [`Event::TransportClosed`] once, `clean` when the peer had
    /// sent `</stream:stream>`; drops whatever was queued for sending; every
    /// later input or command fails with [`Error::StreamClosed`].
    pub fn handle_transport_closed(&mut self) {
        if let Some(event) = self.state.transport_closed() {
            self.outbox.clear();
            self.own_events.push(event);
        }
    }

    /// The next event, if any; drain until `None` after every input.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.reader.poll_event().or_else(|| self.own_events.pop())
    }

    /// Appends everything queued to `out`; how many bytes, 0 when nothing
    /// is queued. Write it to the connection as it is.
    pub fn poll_transmit(&mut self, out: &mut String) -> usize {
        self.outbox.pop_all(out)
    }

    /// Queues our stream header (with an XML declaration, RFC 6120 section
    /// 11.5): the client's opening or restarted stream, or the server's
    /// answer to the client's latest header.
    pub fn open(&mut self, header: &StreamHeader) -> Result<(), Error> {
        self.state.check_open()?;
        check_header_values(header)?;
        self.queue_header(header);
        Ok(())
    }

    /// Queues one stanza or other top-level element. It must be one
    /// complete element starting with `<` (a linear scan checks it); it
    /// inherits the stream's namespaces.
    pub fn send(&mut self, element: &str) -> Result<(), Error> {
        self.state.check_send()?;
        scan::one_element(element)?;
        self.outbox.push_element(element)
    }

    /// Queues `</stream:stream>` (RFC 6120 section 4.4); the peer answers
    /// with its own. A server that has not answered the client's header
    /// sends its own first.
    pub fn close(&mut self) -> Result<(), Error> {
        self.state.check_close()?;
        self.queue_close();
        Ok(())
    }

    /// Queues a stream error and `</stream:stream>` (RFC 6120 section 4.9).
    ///
    /// When we have not sent our header for the current stream yet (the
    /// failure is in the peer's header, or came before it), our header goes
    /// first, as RFC 6120 section 4.9.1.2 requires. After a peer violation
    /// [`TcpFraming::is_closed`] is already true: close the connection once
    /// transmitted. After an error of our own choosing (`system-shutdown`,
    /// `conflict`, ...) the peer's `</stream:stream>` is still taken (section
    /// 4.4); close the connection when it came or after a timeout.
    pub fn stream_error(
        &mut self,
        condition: StreamErrorCondition,
        text: Option<&str>,
    ) -> Result<(), Error> {
        self.state.check_stream_error()?;
        text.map_or(Ok(()), check::outgoing_text)?;
        if !self.state.we_opened {
            let header = self.state.error_header();
            self.queue_header(&header);
        }
        self.outbox
            .push_with(|out| write_stream_error(condition, text, out));
        self.queue_close();
        Ok(())
    }

    /// Starts a new stream over the same connection (RFC 6120 section
    /// 4.3.3), after STARTTLS or SASL succeeded: both roles call it at that
    /// point of the negotiation. The reading half then expects a new header
    /// (an XML declaration may precede it; the content namespace must stay);
    /// the client sends its new header with [`TcpFraming::open`], the server
    /// answers the client's with its own.
    ///
    /// Call it as soon as that element's event is handled: anything the
    /// peer sent after it (an event not handed out yet, or part of one) is
    /// refused with [`Error::BadFormat`] and dropped, since after
    /// `<proceed/>` it is plaintext an attacker may have injected (RFC 6120
    /// section 5.4.3.3), and after `<success/>` it precedes the new stream.
    pub fn restart(&mut self) -> Result<(), Error> {
        self.state.check_restart()?;
        if self.reader.holds_input() {
            self.reader.drop_input();
            return Err(self.state.refuse_unread());
        }
        self.state.restart();
        self.reader.restart();
        Ok(())
    }

    fn receive(&mut self, input: &[u8]) -> Result<(), Error> {
        if input.is_empty() {
            return Ok(());
        }
        self.state.check_peer_may_speak()?;
        let seen = self.reader.events.len();
        let read = self.reader.handle_input(input);
        // Apply the connection's rules to what the reader found, in order;
        // a broken rule ends the stream there.
        let mut index = seen;
        while let Some(event) = self.reader.events.get(index) {
            let applied = match event {
                Event::StreamOpen(header) => self.accept_peer_header(header.clone()),
                Event::StreamClose { .. } => {
                    self.peer_closed();
                    Ok(())
                }
                _ => Ok(()),
            };
            if let Err(error) = applied {
                self.reader.events.truncate(index);
                return Err(error);
            }
            index += 1;
        }
        read
    }

    fn accept_peer_header(&mut self, header: StreamHeader) -> Result<(), Error> {
        self.state.check_peer_header()?;
        if header.content_namespace.as_deref() != Some(self.config.content_namespace.as_str()) {
            return Err(Error::InvalidNamespace(
                "the header declares another content namespace than this connection's",
            ));
        }
        self.state.peer_header_received(header);
        Ok(())
    }

    /// RFC 6120 section 4.4: the peer's close is answered with ours.
    fn peer_closed(&mut self) {
        self.state.peer_closed = true;
        if !self.state.we_closed {
            self.queue_close();
        }
    }

    fn queue_header(&mut self, header: &StreamHeader) {
        let namespace = self.config.content_namespace.as_str();
        self.outbox
            .push_with(|out| write_stream_header(header, namespace, out));
        self.state.we_opened = true;
    }

    /// `</stream:stream>`, after our header if the stream never got one.
    fn queue_close(&mut self) {
        if !self.state.we_opened {
            let header = self.state.error_header();
            self.queue_header(&header);
        }
        self.outbox.push_with(write_stream_close);
        self.state.we_closed = true;
    }
}

crate::framing::delegate_framing!(TcpFraming);

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
fn check_content_namespace(namespace: Option<&str>) -> Result<&str, Error> {
    match namespace {
        Some(namespace @ (CLIENT_NS | SERVER_NS)) => Ok(namespace),
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
pub fn write_stream_header(header: &StreamHeader, content_namespace: &str, out: &mut String) {
    out.push_str("<?xml version='1.0'?><stream:stream xmlns=\"");
    escape_into(content_namespace, out);
    out.push_str("\" xmlns:stream=\"");
    out.push_str(STREAMS_NS);
    out.push('"');
    write_header_attributes(header, out);
    out.push('>');
}

/// Appends `</stream:stream>` (RFC 6120 section 4.4).
pub fn write_stream_close(out: &mut String) {
    out.push_str("</stream:stream>");
}

/// Appends `<stream:error>` with `condition` and optional text (RFC 6120
/// section 4.9.2); the `stream` prefix is declared on the element so the same
/// bytes work over WebSocket, where nothing is inherited.
///
/// When the failure is in the peer's stream header, send your own header
/// first (section 4.9.1.2), and close the stream after this.
pub fn write_stream_error(condition: StreamErrorCondition, text: Option<&str>, out: &mut String) {
    out.push_str("<stream:error xmlns:stream=\"");
    out.push_str(STREAMS_NS);
    out.push_str("\"><");
    out.push_str(condition.as_str());
    out.push_str(" xmlns=\"");
    out.push_str(STREAM_ERRORS_NS);
    out.push_str("\"/>");
    if let Some(text) = text {
        out.push_str("<text xmlns=\"");
        out.push_str(STREAM_ERRORS_NS);
        out.push_str("\">");
        escape_into(text, out);
        out.push_str("</text>");
    }
    out.push_str("</stream:error>");
}

/// Refuses header values that XML cannot carry, even escaped.
pub(crate) fn check_header_values(header: &StreamHeader) -> Result<(), Error> {
    [
        &header.to,
        &header.from,
        &header.id,
        &header.lang,
        &header.version,
    ]
    .into_iter()
    .flatten()
    .try_for_each(|value| check::outgoing_text(value))
}

/// Appends ` to=".." from=".." id=".." xml:lang=".." version=".."`.
pub(crate) fn write_header_attributes(header: &StreamHeader, out: &mut String) {
    let attributes = [
        ("to", header.to.as_deref()),
        ("from", header.from.as_deref()),
        ("id", header.id.as_deref()),
        ("xml:lang", header.lang.as_deref()),
        ("version", Some(header.version.as_deref().unwrap_or("1.0"))),
    ];
    for (name, value) in attributes {
        if let Some(value) = value {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            escape_into(value, out);
            out.push('"');
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

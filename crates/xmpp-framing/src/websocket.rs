//! RFC 7395: XMPP over WebSocket, for both roles.
//!
//! Each WebSocket text message carries exactly one complete element
//! (section 3.3.3): `<open/>` and `<close/>` in the framing namespace stand
//! in for the TCP stream header and footer (section 3.3.2), a restart is a
//! new `<open/>` without `<close/>` (section 3.7), and a server may redirect
//! with `<close see-other-uri=.../>` (section 3.6.1).

use std::sync::Arc;

use chatwire_utf8::Utf8Bytes;

use crate::check;
use crate::escape::escape_into;
use crate::event::EventQueue;
use crate::outbox::Outbox;
use crate::scan::{self, Boundary, Scanner, is_space};
use crate::state::StreamState;
use crate::tcp::{
    STREAMS_NS, check_header_values, header_from, write_header_attributes, write_stream_error,
};
use crate::{Element, Error, Event, Limits, NsContext, Role, StreamErrorCondition, StreamHeader};

/// The WebSocket subprotocol name of RFC 7395 section 3.1.
pub const SUBPROTOCOL: &str = "xmpp";
/// The framing namespace of `<open/>` and `<close/>` (RFC 7395 section 3.3.2).
pub const FRAMING_NS: &str = "urn:ietf:params:xml:ns:xmpp-framing";

/// Server side of the handshake: whether a `Sec-WebSocket-Protocol` request
/// header value (a comma-separated list) offers `xmpp`.
///
/// If it does not, refuse the connection: RFC 7395 section 3.1 only defines
/// XMPP on connections that negotiated the subprotocol.
pub fn offers_xmpp(header_value: &str) -> bool {
    header_value.split(',').any(|p| p.trim() == SUBPROTOCOL)
}

/// Client side of the handshake: checks the server's selected subprotocol.
///
/// RFC 7395 section 3.1: without `xmpp` in the response the client MUST
/// close the WebSocket connection.
pub fn check_selected_subprotocol(selected: Option<&str>) -> Result<(), Error> {
    match selected.map(str::trim) {
        Some(SUBPROTOCOL) => Ok(()),
        _ => Err(Error::SubprotocolNotNegotiated),
    }
}

/// Settings for [`WsFraming`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Size, depth, attribute and header limits per message.
    pub limits: Limits,
    /// Whether the connection is `wss:` (RFC 7395 section 3.6.1 forbids
    /// redirects from a secure to an insecure endpoint).
    pub secure: bool,
    /// Most bytes [`WsFraming::send`] lets wait for
    /// [`WsFraming::poll_transmit`]; beyond it `send` returns
    /// [`Error::QueueFull`]. `<open/>`, `<close/>` and stream errors are
    /// always queued. Keep it above the largest element you send. Default
    /// 4 MiB; a chat server should use about 1 MiB per connection.
    pub max_queued_bytes: usize,
}

impl Config {
    /// Default limits on a connection that is (`true`) or is not TLS-protected.
    pub fn new(secure: bool) -> Self {
        Config {
            limits: Limits::default(),
            secure,
            max_queued_bytes: 4 * 1024 * 1024,
        }
    }

    /// Replaces the limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`Config::secure`].
    pub fn with_secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Sets [`Config::max_queued_bytes`].
    pub fn with_max_queued_bytes(mut self, bytes: usize) -> Self {
        self.max_queued_bytes = bytes;
        self
    }
}

impl Default for Config {
    /// A secure (`wss:`) connection with the default limits.
    fn default() -> Self {
        Config::new(true)
    }
}

/// One RFC 7395 stream over one WebSocket connection.
///
/// Feed every received text message to [`WsFraming::handle_message`] and
/// drain [`WsFraming::poll_event`]; every command queues whole messages,
/// which [`WsFraming::poll_transmit`] hands out one per WebSocket text
/// message.
///
/// ```
/// use chatwire_utf8::Utf8Bytes;
/// use chatwire_xmpp_framing::websocket::{Config, WsFraming};
/// use chatwire_xmpp_framing::{Event, StreamHeader};
///
/// let mut client = WsFraming::client(Config::new(true));
/// client.open(&StreamHeader::new().with_to("example.com"))?;
/// let mut message = String::new();
/// while client.poll_transmit(&mut message) > 0 {
///     // send `message` as one WebSocket text message, then:
///     message.clear();
/// }
/// client.handle_message(Utf8Bytes::from_static(
///     r#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" from="example.com" id="x" version="1.0"/>"#,
/// ))?;
/// assert!(matches!(client.poll_event(), Some(Event::StreamOpen(h)) if h.id.as_deref() == Some("x")));
/// # Ok::<(), chatwire_xmpp_framing::Error>(())
/// ```
#[derive(Debug)]
pub struct WsFraming {
    config: Config,
    state: StreamState,
    /// Nothing is inherited over WebSocket; shared by every element.
    ns_context: Arc<NsContext>,
    events: EventQueue,
    outbox: Outbox,
}

impl WsFraming {
    /// The initiating entity.
    pub fn client(config: Config) -> Self {
        Self::new(Role::Client, config)
    }

    /// The receiving entity.
    pub fn server(config: Config) -> Self {
        Self::new(Role::Server, config)
    }

    fn new(role: Role, config: Config) -> Self {
        WsFraming {
            config,
            state: StreamState::new(role),
            ns_context: Arc::new(NsContext::new()),
            events: EventQueue::default(),
            outbox: Outbox::new(config.max_queued_bytes),
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

    /// Whether the stream is over (both sides sent `<close/>`, it failed,
    /// or the WebSocket closed): time for the WebSocket closing handshake
    /// once [`WsFraming::poll_transmit`] is drained.
    pub fn is_closed(&self) -> bool {
        self.state.is_closed()
    }

    /// Bytes queued for [`WsFraming::poll_transmit`].
    pub fn queued_bytes(&self) -> usize {
        self.outbox.queued()
    }

    /// Handles one complete WebSocket text message.
    ///
    /// The WebSocket layer checked the UTF-8 (RFC 6455 section 8.1), so it
    /// is not checked again; an element handed out is a slice of `message`
    /// (copied out only when the message is more than twice its size).
    ///
    /// On error the stream is dead: call [`WsFraming::stream_error`] with
    /// [`Error::condition`], transmit, then close the WebSocket.
    pub fn handle_message(&mut self, message: Utf8Bytes) -> Result<(), Error> {
        self.check_input()?;
        let result = self.receive(message);
        if result.is_err() {
            self.state.failed = true;
        }
        result
    }

    /// Handles a binary message, which RFC 7395 section 3.2 forbids.
    pub fn handle_binary_message(&mut self) -> Result<(), Error> {
        self.check_input()?;
        self.state.failed = true;
        Err(Error::BadFormat("binary WebSocket message"))
    }

    /// The WebSocket closed, with or without a closing handshake.
    ///
    /// Yields [`Event::TransportClosed`] once, `clean` when the peer had
    /// sent `<close/>`; drops whatever was queued for sending; every later
    /// input or command fails with [`Error::StreamClosed`].
    pub fn handle_transport_closed(&mut self) {
        if let Some(event) = self.state.transport_closed() {
            self.outbox.clear();
            self.events.push(event);
        }
    }

    /// The next event, if any; drain until `None` after every message.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// Appends the next outgoing message to `out`; its length in bytes, 0
    /// when none is queued. Send each as its own WebSocket text message
    /// (`send_text(&out)`: it is a `String`, no second UTF-8 check).
    pub fn poll_transmit(&mut self, out: &mut String) -> usize {
        self.outbox.pop_message(out)
    }

    /// Queues `<open/>`: the client's stream open (again after
    /// [`WsFraming::restart`]), or the server's answer to the client's
    /// latest `<open/>` (RFC 7395 sections 3.4 and 3.7).
    pub fn open(&mut self, header: &StreamHeader) -> Result<(), Error> {
        self.state.check_open()?;
        check_header_values(header)?;
        self.queue_open(header);
        Ok(())
    }

    /// Queues one stanza or other top-level element as its own message.
    ///
    /// RFC 7395 section 3.3.3 binds the sender too: `element` must be one
    /// complete element starting with `<` (a linear scan checks it, and the
    /// type guarantees UTF-8), declaring its own namespaces (not checked).
    pub fn send(&mut self, element: &str) -> Result<(), Error> {
        self.state.check_send()?;
        scan::one_element(element)?;
        self.outbox.push_element(element)
    }

    /// Queues `<close/>` (RFC 7395 section 3.6); the peer answers with its
    /// own. A server may also answer the client's `<open/>` this way.
    pub fn close(&mut self) -> Result<(), Error> {
        self.state.check_close()?;
        self.queue_close(None);
        Ok(())
    }

    /// Server only: queues `<close see-other-uri=.../>` (RFC 7395 section 3.6.1).
    ///
    /// Refuses a URI that is not `ws:`/`wss:`/`http:`/`https:`, and on a
    /// secure connection one that is not `wss:`/`https:`.
    pub fn redirect(&mut self, uri: &str) -> Result<(), Error> {
        self.state.check_commands()?;
        if self.state.role != Role::Server {
            return Err(Error::NotAllowed("only servers redirect"));
        }
        check_redirect(uri, self.config.secure)?;
        check::outgoing_text(uri)?;
        self.queue_close(Some(uri));
        Ok(())
    }

    /// Queues a stream error followed by `<close/>` (RFC 7395 section 3.5).
    ///
    /// When we have not sent `<open/>` for the current stream yet, ours goes
    /// first, as RFC 7395 section 3.5 and RFC 6120 section 4.9.1.2 require.
    /// After a peer violation [`WsFraming::is_closed`] is already true: close
    /// the WebSocket once transmitted. After an error of our own choosing
    /// (`system-shutdown`, `conflict`, ...) the peer's `<close/>` is still
    /// taken; close the WebSocket when it came or after a timeout.
    pub fn stream_error(
        &mut self,
        condition: StreamErrorCondition,
        text: Option<&str>,
    ) -> Result<(), Error> {
        self.state.check_stream_error()?;
        text.map_or(Ok(()), check::outgoing_text)?;
        if !self.state.we_opened {
            let header = self.state.error_header();
            self.queue_open(&header);
        }
        self.outbox
            .push_with(|out| write_stream_error(condition, text, out));
        self.queue_close(None);
        Ok(())
    }

    /// Starts a new stream after SASL succeeded (RFC 7395 section 3.7): both
    /// roles call it at that point. The client then sends a new `<open/>`
    /// (no `<close/>`), and the server answers it with its own; a new
    /// `<open/>` without a restart is refused.
    ///
    /// Call it as soon as `<success/>` is handled: a message received after
    /// it and not handed out yet belongs to neither stream, so it is
    /// dropped and the restart refused with [`Error::BadFormat`].
    pub fn restart(&mut self) -> Result<(), Error> {
        self.state.check_restart()?;
        if self.events.len() > 0 {
            self.events.truncate(0);
            return Err(self.state.refuse_unread());
        }
        self.state.restart();
        Ok(())
    }

    /// Nothing may follow the peer's `<close/>` (RFC 7395 section 3.6).
    fn check_input(&self) -> Result<(), Error> {
        self.state.check_input()?;
        if self.state.peer_closed {
            return Err(Error::StreamClosed);
        }
        Ok(())
    }

    fn queue_open(&mut self, header: &StreamHeader) {
        self.outbox.push_with(|out| write_open(header, out));
        self.state.we_opened = true;
    }

    fn queue_close(&mut self, see_other_uri: Option<&str>) {
        self.outbox.push_with(|out| write_close(see_other_uri, out));
        self.state.we_closed = true;
    }

    fn receive(&mut self, message: Utf8Bytes) -> Result<(), Error> {
        self.state.check_peer_may_speak()?;
        let limits = &self.config.limits;
        if message.len() > limits.max_element_size {
            return Err(Error::ElementTooLarge {
                limit: limits.max_element_size,
            });
        }
        let range = single_element(message.as_bytes(), limits)?;
        let bytes = message.as_bytes().get(range.clone()).unwrap_or_default();
        let root = check::element(bytes, &self.ns_context, limits.max_namespace_declarations)?;
        let framing = &*root.namespace == FRAMING_NS;
        match &*root.local_name {
            "open" | "close" if !framing => Err(Error::InvalidNamespace(
                "<open/> and <close/> must be in the framing namespace",
            )),
            "stream" if &*root.namespace == STREAMS_NS => Err(Error::InvalidNamespace(
                "<stream:stream> is not used over WebSocket",
            )),
            _ if framing && root.has_content => {
                Err(Error::BadFormat("framing element with content"))
            }
            "open" => self.receive_open(bytes),
            "close" => self.receive_close(bytes),
            _ if framing => Err(Error::BadFormat("unknown framing element")),
            _ => {
                if !self.state.peer_opened {
                    return Err(Error::BadFormat("element before <open/>"));
                }
                if root.namespace.is_empty() {
                    return Err(Error::InvalidNamespace("element without a namespace"));
                }
                let element_len = range.len();
                let mut text = message.slice(range).unwrap_or_default();
                // Never let a small element keep a large message alive.
                if element_len.saturating_mul(2) < message.len() {
                    text = text.to_compact();
                }
                self.events.push(Event::Element(Element {
                    bytes: text,
                    ns_context: Arc::clone(&self.ns_context),
                    namespace: root.namespace,
                    local_name: root.local_name,
                }));
                Ok(())
            }
        }
    }

    fn receive_open(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.state.check_peer_header()?;
        let limit = self.config.limits.max_header_size;
        if bytes.len() > limit {
            return Err(Error::HeaderTooLarge { limit });
        }
        let tag = check::start_tag(bytes, &NsContext::new())?;
        let mut header = header_from(&tag)?;
        header.content_namespace = None;
        self.state.peer_header_received(header.clone());
        self.events.push(Event::StreamOpen(header));
        Ok(())
    }

    fn receive_close(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let tag = check::start_tag(bytes, &NsContext::new())?;
        let mut see_other_uri = None;
        if let Some(uri) = tag.attribute("see-other-uri") {
            // Only servers redirect; a client's attribute means nothing.
            if self.state.role == Role::Client {
                check_redirect(uri, self.config.secure)?;
                see_other_uri = Some(uri.to_owned());
            }
        }
        self.state.peer_closed = true;
        if !self.state.we_closed {
            self.queue_close(None);
        }
        self.events.push(Event::StreamClose { see_other_uri });
        Ok(())
    }
}

crate::framing::delegate_framing!(WsFraming);

/// Finds the one element of a message: the first byte must be `<`
/// (RFC 7395 section 3.3.3), an XML declaration may lead, and only
/// whitespace may follow the element.
fn single_element(message: &[u8], limits: &Limits) -> Result<std::ops::Range<usize>, Error> {
    if message.first() != Some(&b'<') {
        return Err(Error::BadFormat("message does not start with '<'"));
    }
    let mut scanner = Scanner::new(limits);
    let mut pos = 0;
    let mut declaration_allowed = true;
    loop {
        let rest = message.get(pos..).unwrap_or_default();
        let spaces = rest.iter().take_while(|&&b| is_space(b)).count();
        let start = pos + spaces;
        let unit = message.get(start..).unwrap_or_default();
        if unit.is_empty() {
            return Err(Error::BadFormat("message without an element"));
        }
        let (used, boundary) = scanner.scan(unit)?;
        let end = start + used;
        match boundary {
            Some(Boundary::Declaration) if declaration_allowed => {
                check::declaration(message.get(start..end).unwrap_or_default())?;
                declaration_allowed = false;
                pos = end;
            }
            Some(Boundary::Declaration) => {
                return Err(Error::RestrictedXml("processing instruction"));
            }
            Some(Boundary::RootStart) => {
                let (used, boundary) = scanner.scan(message.get(end..).unwrap_or_default())?;
                if boundary != Some(Boundary::ElementEnd) {
                    return Err(Error::NotWellFormed("incomplete element"));
                }
                return after_element(message, start, end + used);
            }
            Some(Boundary::ElementEnd) => return after_element(message, start, end),
            Some(Boundary::TopEnd) => return Err(Error::NotWellFormed("unexpected end tag")),
            None => return Err(Error::NotWellFormed("incomplete element")),
        }
    }
}

fn after_element(
    message: &[u8],
    start: usize,
    end: usize,
) -> Result<std::ops::Range<usize>, Error> {
    let trailing = message.get(end..).unwrap_or_default();
    if !trailing.iter().all(|&b| is_space(b)) {
        return Err(Error::BadFormat("more than one element in a message"));
    }
    Ok(start..end)
}

/// RFC 7395 section 3.6.1: never from a secure to an insecure endpoint.
fn check_redirect(uri: &str, secure: bool) -> Result<(), Error> {
    let scheme = uri.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    let allowed = match scheme.as_deref() {
        Some("wss" | "https") => true,
        Some("ws" | "http") => !secure,
        _ => false,
    };
    if allowed && uri.len() > uri.find("://").map_or(0, |i| i + 3) {
        Ok(())
    } else {
        Err(Error::InsecureRedirect(uri.to_owned()))
    }
}

/// Appends `<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" .../>`.
pub fn write_open(header: &StreamHeader, out: &mut String) {
    out.push_str("<open xmlns=\"");
    out.push_str(FRAMING_NS);
    out.push('"');
    write_header_attributes(header, out);
    out.push_str("/>");
}

/// Appends `<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>`, with a
/// `see-other-uri` if given.
pub fn write_close(see_other_uri: Option<&str>, out: &mut String) {
    out.push_str("<close xmlns=\"");
    out.push_str(FRAMING_NS);
    out.push('"');
    if let Some(uri) = see_other_uri {
        out.push_str(" see-other-uri=\"");
        escape_into(uri, out);
        out.push('"');
    }
    out.push_str("/>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subprotocol_helpers() {
        assert!(offers_xmpp("xmpp"));
        assert!(offers_xmpp("chat, xmpp"));
        assert!(!offers_xmpp("xmpp-ish, XMPP"));
        assert!(!offers_xmpp(""));
        assert!(check_selected_subprotocol(Some("xmpp")).is_ok());
        assert_eq!(
            check_selected_subprotocol(None),
            Err(Error::SubprotocolNotNegotiated)
        );
        assert_eq!(
            check_selected_subprotocol(Some("chat")),
            Err(Error::SubprotocolNotNegotiated)
        );
    }

    #[test]
    fn redirect_rules() {
        assert!(check_redirect("wss://a.example/ws", true).is_ok());
        assert!(check_redirect("https://a.example/bosh", true).is_ok());
        assert!(check_redirect("ws://a.example/ws", true).is_err());
        assert!(check_redirect("http://a.example/bosh", true).is_err());
        assert!(check_redirect("ws://a.example/ws", false).is_ok());
        assert!(check_redirect("ftp://a.example/", false).is_err());
        assert!(check_redirect("wss://", false).is_err());
        assert!(check_redirect("nonsense", false).is_err());
    }
}

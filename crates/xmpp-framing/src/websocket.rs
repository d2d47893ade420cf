//! RFC 7395: XMPP over WebSocket, for both roles.
//!
//! Each WebSocket text message carries exactly one complete element
//! (section 3.3.3): `<open/>` and `<close/>` in the framing namespace stand
//! in for the TCP stream header and footer (section 3.3.2), a restart is a
//! new `<open/>` without `<close/>` (section 3.7), and a server may redirect
//! with `<close see-other-uri=.../>` (section 3.6.1).

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;

use crate::check;
use crate::escape::escape_into;
use crate::scan::{Boundary, Scanner, is_space};
use crate::tcp::{STREAMS_NS, header_from, write_header_attributes, write_stream_error};
use crate::{Element, Error, Event, Limits, NsContext, StreamErrorCondition, StreamHeader};

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

/// Which end of the connection we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The initiating entity: sends the first `<open/>`.
    Client,
    /// The receiving entity.
    Server,
}

/// Settings for [`WsFraming`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Size, depth and attribute limits per message.
    pub limits: Limits,
    /// Whether the connection is `wss:` (RFC 7395 section 3.6.1 forbids
    /// redirects from a secure to an insecure endpoint).
    pub secure: bool,
}

impl Config {
    /// Default limits on a connection that is (`true`) or is not TLS-protected.
    pub fn new(secure: bool) -> Self {
        Config {
            limits: Limits::default(),
            secure,
        }
    }

    /// Replaces the limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
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
/// use chatwire_xmpp_framing::websocket::{Config, WsFraming};
/// use chatwire_xmpp_framing::{Event, StreamHeader};
///
/// let mut client = WsFraming::client(Config::new(true));
/// client.open(&StreamHeader::new().with_to("example.com"))?;
/// let mut message = Vec::new();
/// while client.poll_transmit(&mut message) {
///     // send `message` as one WebSocket text message, then:
///     message.clear();
/// }
/// client.handle_message(
///     br#"<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" from="example.com" id="x" version="1.0"/>"#,
/// )?;
/// assert!(matches!(client.poll_event(), Some(Event::StreamOpen(h)) if h.id.as_deref() == Some("x")));
/// # Ok::<(), chatwire_xmpp_framing::Error>(())
/// ```
#[derive(Debug)]
pub struct WsFraming {
    role: Role,
    config: Config,
    /// The peer's most recent `<open/>`, once received.
    peer_header: Option<StreamHeader>,
    we_opened: bool,
    we_closed: bool,
    peer_closed: bool,
    failed: bool,
    ns_context: Arc<NsContext>,
    events: VecDeque<Event>,
    transmit: VecDeque<Vec<u8>>,
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
            role,
            config,
            peer_header: None,
            we_opened: false,
            we_closed: false,
            peer_closed: false,
            failed: false,
            ns_context: Arc::new(NsContext::new()),
            events: VecDeque::new(),
            transmit: VecDeque::new(),
        }
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The peer's latest stream header.
    pub fn peer_header(&self) -> Option<&StreamHeader> {
        self.peer_header.as_ref()
    }

    /// Whether both sides have sent `<close/>` (or the stream failed):
    /// time for the WebSocket closing handshake.
    pub fn is_closed(&self) -> bool {
        self.failed || (self.we_closed && self.peer_closed)
    }

    /// Handles one complete WebSocket text message.
    ///
    /// On error the stream is dead: call [`WsFraming::stream_error`] with
    /// [`Error::condition`], transmit, then close the WebSocket.
    pub fn handle_message(&mut self, message: &[u8]) -> Result<(), Error> {
        if self.failed || self.peer_closed {
            return Err(Error::StreamClosed);
        }
        let result = self.receive(message);
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    /// Handles a binary message, which RFC 7395 section 3.2 forbids.
    pub fn handle_binary_message(&mut self) -> Result<(), Error> {
        if self.failed || self.peer_closed {
            return Err(Error::StreamClosed);
        }
        self.failed = true;
        Err(Error::BadFormat("binary WebSocket message"))
    }

    /// The next event, if any; drain until `None` after every message.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Appends the next outgoing message to `out`; false when none is queued.
    /// Send each as its own WebSocket text message.
    pub fn poll_transmit(&mut self, out: &mut Vec<u8>) -> bool {
        match self.transmit.pop_front() {
            Some(message) => {
                out.extend_from_slice(&message);
                true
            }
            None => false,
        }
    }

    /// Queues `<open/>`: the client's stream open or restart, or the server's
    /// answer to the client's `<open/>` (RFC 7395 sections 3.4 and 3.7).
    pub fn open(&mut self, header: &StreamHeader) -> Result<(), Error> {
        self.check_can_send()?;
        if self.role == Role::Server && self.peer_header.is_none() {
            return Err(Error::NotAllowed("the client opens the stream first"));
        }
        let mut message = Vec::with_capacity(128);
        write_open(header, &mut message);
        self.transmit.push_back(message);
        self.we_opened = true;
        Ok(())
    }

    /// Queues one stanza or other top-level element, which must be a
    /// complete element declaring its own namespaces (RFC 7395 section 3.3.3).
    pub fn send(&mut self, element: &[u8]) -> Result<(), Error> {
        self.check_can_send()?;
        if !self.we_opened {
            return Err(Error::NotAllowed("send <open/> first"));
        }
        self.transmit.push_back(element.to_vec());
        Ok(())
    }

    /// Queues `<close/>` (RFC 7395 section 3.6); the peer answers with its own.
    pub fn close(&mut self) -> Result<(), Error> {
        self.check_can_send()?;
        self.queue_close(None);
        Ok(())
    }

    /// Server only: queues `<close see-other-uri=.../>` (RFC 7395 section 3.6.1).
    ///
    /// Refuses a URI that is not `ws:`/`wss:`/`http:`/`https:`, and on a
    /// secure connection one that is not `wss:`/`https:`.
    pub fn redirect(&mut self, uri: &str) -> Result<(), Error> {
        self.check_can_send()?;
        if self.role != Role::Server {
            return Err(Error::NotAllowed("only servers redirect"));
        }
        check_redirect(uri, self.config.secure)?;
        self.queue_close(Some(uri));
        Ok(())
    }

    /// Queues a stream error followed by `<close/>` (RFC 7395 section 3.5).
    ///
    /// A server that has not answered the client's `<open/>` yet first sends
    /// its own `<open/>`, as RFC 7395 section 3.5 and RFC 6120 section
    /// 4.9.1.2 require.
    pub fn stream_error(
        &mut self,
        condition: StreamErrorCondition,
        text: Option<&str>,
    ) -> Result<(), Error> {
        if self.we_closed {
            return Err(Error::StreamClosed);
        }
        if self.role == Role::Server && !self.we_opened {
            let mut header = StreamHeader::new();
            header.from = self.peer_header.as_ref().and_then(|h| h.to.clone());
            let mut message = Vec::with_capacity(128);
            write_open(&header, &mut message);
            self.transmit.push_back(message);
            self.we_opened = true;
        }
        let mut message = Vec::with_capacity(160);
        write_stream_error(condition, text, &mut message);
        self.transmit.push_back(message);
        self.queue_close(None);
        Ok(())
    }

    fn check_can_send(&self) -> Result<(), Error> {
        if self.we_closed || self.failed {
            return Err(Error::StreamClosed);
        }
        Ok(())
    }

    fn queue_close(&mut self, see_other_uri: Option<&str>) {
        let mut message = Vec::with_capacity(64);
        write_close(see_other_uri, &mut message);
        self.transmit.push_back(message);
        self.we_closed = true;
    }

    fn receive(&mut self, message: &[u8]) -> Result<(), Error> {
        let limit = self.config.limits.max_element_size;
        if message.len() > limit {
            return Err(Error::ElementTooLarge { limit });
        }
        let range = single_element(message, &self.config.limits)?;
        let bytes = message.get(range).unwrap_or_default();
        let root = check::element(bytes, &self.ns_context)?;
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
                if self.peer_header.is_none() {
                    return Err(Error::BadFormat("element before <open/>"));
                }
                if root.namespace.is_empty() {
                    return Err(Error::InvalidNamespace("element without a namespace"));
                }
                self.events.push_back(Event::Element(Element {
                    bytes: Bytes::copy_from_slice(bytes),
                    ns_context: Arc::clone(&self.ns_context),
                    namespace: root.namespace,
                    local_name: root.local_name,
                }));
                Ok(())
            }
        }
    }

    fn receive_open(&mut self, bytes: &[u8]) -> Result<(), Error> {
        // RFC 7395 section 3.4: the initiating entity sends the first <open/>.
        if self.role == Role::Client && !self.we_opened {
            return Err(Error::BadFormat("server <open/> before the client's"));
        }
        let tag = check::start_tag(bytes)?;
        let mut header = header_from(&tag)?;
        header.content_namespace = None;
        self.peer_header = Some(header.clone());
        self.events.push_back(Event::StreamOpen(header));
        Ok(())
    }

    fn receive_close(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let tag = check::start_tag(bytes)?;
        let mut see_other_uri = None;
        if let Some(uri) = tag.attribute("see-other-uri") {
            // Only servers redirect; a client's attribute means nothing.
            if self.role == Role::Client {
                check_redirect(uri, self.config.secure)?;
                see_other_uri = Some(uri.to_owned());
            }
        }
        self.peer_closed = true;
        if !self.we_closed {
            self.queue_close(None);
        }
        self.events.push_back(Event::StreamClose { see_other_uri });
        Ok(())
    }
}

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
pub fn write_open(header: &StreamHeader, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<open xmlns=\"");
    out.extend_from_slice(FRAMING_NS.as_bytes());
    out.push(b'"');
    write_header_attributes(header, out);
    out.extend_from_slice(b"/>");
}

/// Appends `<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>`, with a
/// `see-other-uri` if given.
pub fn write_close(see_other_uri: Option<&str>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<close xmlns=\"");
    out.extend_from_slice(FRAMING_NS.as_bytes());
    out.push(b'"');
    if let Some(uri) = see_other_uri {
        out.extend_from_slice(b" see-other-uri=\"");
        escape_into(uri, out);
        out.push(b'"');
    }
    out.extend_from_slice(b"/>");
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

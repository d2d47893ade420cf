//! What both transports report: stream opens, top-level elements, stream closes.

use std::collections::VecDeque;
use std::sync::Arc;

use chatwire_utf8::Utf8Bytes;

/// One thing that happened on an XML stream, the same for WebSocket and TCP.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The peer opened (or, after SASL or STARTTLS, restarted) its stream:
    /// `<open/>` over WebSocket, `<stream:stream>` over TCP.
    StreamOpen(StreamHeader),
    /// One complete top-level element (stanza or nonza).
    Element(Element),
    /// The peer closed its stream: `<close/>` or `</stream:stream>`.
    StreamClose {
        /// RFC 7395 section 3.6.1 redirect, already checked against downgrade.
        see_other_uri: Option<String>,
    },
    /// The transport (TCP connection or WebSocket) closed, reported by the
    /// caller through `handle_transport_closed`. Nothing more arrives, and
    /// whatever was still queued for sending is dropped.
    TransportClosed {
        /// Whether the peer had closed its XML stream first. `false` means it
        /// vanished mid-stream: a session may keep its state for resumption.
        clean: bool,
    },
}

/// The attributes of a stream header (RFC 6120 section 4.7), attribute
/// values unescaped.
///
/// Build one with [`StreamHeader::new`] and the `with_*` setters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamHeader {
    /// `to`: the peer the sender wants to reach.
    pub to: Option<String>,
    /// `from`: the sender.
    pub from: Option<String>,
    /// `id`: the stream id chosen by the receiving entity.
    pub id: Option<String>,
    /// `version`; written as `1.0` when `None`.
    pub version: Option<String>,
    /// `xml:lang`.
    pub lang: Option<String>,
    /// TCP only: the default namespace declared on `<stream:stream>`
    /// (`jabber:client` or `jabber:server`); `None` over WebSocket.
    pub content_namespace: Option<String>,
}

impl StreamHeader {
    /// A header with `version` 1.0 and nothing else.
    pub fn new() -> Self {
        StreamHeader {
            version: Some("1.0".to_owned()),
            ..StreamHeader::default()
        }
    }

    /// Sets `to`.
    pub fn with_to(mut self, to: impl Into<String>) -> Self {
        self.to = Some(to.into());
        self
    }

    /// Sets `from`.
    pub fn with_from(mut self, from: impl Into<String>) -> Self {
        self.from = Some(from.into());
        self
    }

    /// Sets `id`.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets `xml:lang`.
    pub fn with_lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }

    /// Sets `version`.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Sets the content namespace (TCP only; the writers take theirs from the
    /// transport's configuration).
    pub fn with_content_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.content_namespace = Some(namespace.into());
        self
    }
}

/// A complete top-level element: its exact text plus what it inherits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Element {
    /// The element, from `<` to the final `>`, exactly as received.
    ///
    /// Over WebSocket it shares the message's storage (copied out only when
    /// the message is more than twice the element's size); over TCP it is
    /// copied out of the read buffer once, into storage of its own size. The
    /// UTF-8 check is already done, so the stanza layer can skip it.
    pub bytes: Utf8Bytes,
    /// Namespace declarations in scope from the stream header (empty over
    /// WebSocket, where every message declares its own).
    pub ns_context: Arc<NsContext>,
    /// The resolved namespace of the element (empty if it has none).
    pub namespace: Box<str>,
    /// The local name of the element, e.g. `message` or `features`.
    pub local_name: Box<str>,
}

impl Element {
    /// The element as text; see [`Utf8Bytes::as_str`] for its cost.
    pub fn as_str(&self) -> &str {
        self.bytes.as_str()
    }

    /// The element's bytes, which are UTF-8; free.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_bytes()
    }
}

/// Namespace declarations an element inherits from its stream header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NsContext {
    default_ns: Option<Box<str>>,
    prefixes: Vec<(Box<str>, Box<str>)>,
}

impl NsContext {
    /// An empty context (no default namespace, no prefixes).
    pub fn new() -> Self {
        NsContext::default()
    }

    /// The inherited default namespace, e.g. `jabber:client`.
    pub fn default_namespace(&self) -> Option<&str> {
        self.default_ns.as_deref()
    }

    /// The namespace bound to `prefix`, e.g. `stream`.
    pub fn prefix(&self, prefix: &str) -> Option<&str> {
        self.prefixes
            .iter()
            .find(|(p, _)| &**p == prefix)
            .map(|(_, ns)| &**ns)
    }

    /// All inherited prefix declarations, in declaration order.
    pub fn prefixes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.prefixes.iter().map(|(p, ns)| (&**p, &**ns))
    }

    /// Whether nothing is declared.
    pub fn is_empty(&self) -> bool {
        self.default_ns.is_none() && self.prefixes.is_empty()
    }

    /// Declares the default namespace (an empty string undeclares it).
    pub(crate) fn set_default(&mut self, ns: &str) {
        self.default_ns = if ns.is_empty() { None } else { Some(ns.into()) };
    }

    /// Declares (or redeclares) a prefix.
    pub(crate) fn set_prefix(&mut self, prefix: &str, ns: &str) {
        if let Some(slot) = self.prefixes.iter_mut().find(|(p, _)| &**p == prefix) {
            slot.1 = ns.into();
        } else {
            self.prefixes.push((prefix.into(), ns.into()));
        }
    }
}

/// Events waiting for `poll_event`; drained, it gives its memory back.
#[derive(Debug, Default)]
pub(crate) struct EventQueue {
    events: VecDeque<Event>,
}

/// Room kept for events once the queue is drained (one input rarely yields more).
const KEEP_EVENTS: usize = 4;

impl EventQueue {
    pub(crate) fn push(&mut self, event: Event) {
        self.events.push_back(event);
    }

    pub(crate) fn pop(&mut self) -> Option<Event> {
        let event = self.events.pop_front();
        if self.events.is_empty() && self.events.capacity() > KEEP_EVENTS {
            self.events = VecDeque::new();
        }
        event
    }

    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }

    pub(crate) fn get(&self, index: usize) -> Option<&Event> {
        self.events.get(index)
    }

    /// Drops the events from `index` on (those after a broken rule).
    pub(crate) fn truncate(&mut self, index: usize) {
        self.events.truncate(index);
    }
}

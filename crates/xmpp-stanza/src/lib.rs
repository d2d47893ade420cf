//! Typed XMPP stanzas, nonzas, errors and JIDs.
//!
//! The framing layer hands over one complete top-level element as bytes;
//! [`Element::parse`] reads it straight into typed values with quick-xml,
//! given the [`Context`] of the stream (the inherited default namespace,
//! `jabber:client` or `jabber:server`, and the prefixes and `xml:lang` of a
//! TCP stream header). Extension elements and attributes
//! this crate does not type are kept ([`minidom::Element`] trees,
//! [`ExtraAttr`]) and written back unchanged, except that children in the
//! stream's content namespace are re-scoped to the namespace of the stream
//! they are written to (RFC 6120 section 4.8.3), up to a forwarded stanza,
//! which keeps its own (XEP-0297). [`Element::serialize`]
//! appends to a caller-owned buffer and declares namespaces only where the
//! context does not already supply them.
//!
//! The writers never write what the reader refuses: a character XML 1.0
//! does not allow, a name that is not an NCName, a value that would read
//! back as a different one (an iq get without payload, ...) is refused
//! with a [`SerializeError`] and the buffer is left as it was, so text
//! from outside XMPP cannot inject markup. [`replace_disallowed_chars`]
//! cleans foreign text beforehand.
//!
//! Covered:
//! - RFC 7622: JIDs with PRECIS (UsernameCaseMapped localpart, OpaqueString
//!   resourcepart, IDNA2008 or IP-literal domainpart), see [`Jid`].
//! - RFC 6120 section 4.3.2 stream features, 4.9 stream errors (every
//!   condition of 4.9.3), 5.4.2 STARTTLS nonzas, 6.4 and 6.5 SASL nonzas
//!   and failure conditions, 7 resource binding, 8 stanza semantics
//!   (message, presence, iq; error replies that never answer an error),
//!   8.3 stanza errors (every condition of 8.3.3), 11 restricted XML.
//! - RFC 6121 section 2 roster (items, groups, versioning), 4 presence
//!   (show, status, priority), 5 messages (types, bodies, subjects,
//!   threads).
//! - XEP-0030 disco#info and disco#items, XEP-0191 blocking, XEP-0198
//!   stream management, XEP-0199 ping, XEP-0203 delayed delivery, XEP-0280
//!   message carbons, XEP-0297 forwarding, XEP-0352 client state
//!   indication.
//!
//! Parsing is lenient where the protocols ask for it (unknown children and
//! attributes are kept, an unknown message type is `normal`, an unknown
//! `show`, `ask`, `subscription` or condition is kept as `Other`) and
//! strict on what they define (an iq without an id, a presence with an
//! unknown type, a malformed JID are errors). A [`ParseError`] carries the
//! stanza's header when it was read and says how to answer
//! ([`ParseError::answer`]): a stanza error, a stream error, or nothing for
//! a stanza that was itself an error. [`Limits`] bound what one element
//! may cost, in bytes, depth, attributes and nodes, checked as it is read.
//!
//! ```
//! use chatwire_xmpp_stanza::{Context, Element, Iq, IqPayload, Message};
//!
//! // What the framing layer handed over, one element at a time.
//! let received: [&[u8]; 2] = [
//!     b"<message type='chat' to='juliet@example.com'><body>Art thou not Romeo?</body></message>",
//!     b"<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>",
//! ];
//! let ctx = Context::client_tcp();
//! let mut out = Vec::new();
//! for bytes in received {
//!     match Element::parse(bytes, &ctx) {
//!         Ok(Element::Message(m)) => assert_eq!(m.body(), Some("Art thou not Romeo?")),
//!         Ok(Element::Iq(iq)) if iq.payload == Some(IqPayload::Ping) => {
//!             if let Some(result) = iq.result(None) {
//!                 result.serialize(&ctx, &mut out)?;
//!             }
//!         }
//!         Ok(_) => {}
//!         Err(e) => panic!("answer with {:?}", e.answer()),
//!     }
//! }
//! assert_eq!(out, b"<iq type='result' id='p1'/>");
//! # Ok::<(), chatwire_xmpp_stanza::SerializeError>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod bind;
mod blocking;
mod csi;
mod delay;
mod disco;
mod error;
mod extra_attr;
mod features;
mod forward;
mod iq;
mod jid;
mod message;
pub mod ns;
mod payload;
mod presence;
mod rescope;
mod roster;
mod sasl;
mod serialize_error;
mod sm;
mod stanza;
mod stanza_error;
mod stream_error;
mod template;
mod text;
mod tls;
mod xml;

pub use bind::Bind;
pub use blocking::Blocking;
pub use csi::Csi;
pub use delay::Delay;
pub use disco::{DiscoInfo, DiscoItem, DiscoItems, Identity};
pub use error::{Answer, Error, ParseError, StanzaHeader, StanzaKind};
pub use extra_attr::ExtraAttr;
pub use features::Features;
pub use forward::Forwarded;
pub use iq::{Iq, IqPayload, IqType};
pub use jid::{Jid, JidError, MAX_PART_BYTES};
pub use message::{Message, MessageType, Thread};
pub use minidom;
pub use payload::Payload;
pub use presence::{Presence, PresenceType, Show};
pub use roster::{Ask, Roster, RosterItem, Subscription};
pub use sasl::{Sasl, SaslCondition, SaslFailure};
pub use serialize_error::SerializeError;
pub use sm::{Sm, SmEnable, SmEnabled, SmFailed, SmResume};
pub use stanza::{AnyStanza, Stanza};
pub use stanza_error::{StanzaError, StanzaErrorCondition, StanzaErrorType};
pub use stream_error::{StreamError, StreamErrorCondition};
pub use template::AddressTemplate;
pub use text::Text;
pub use tls::Tls;
pub use xml::replace_disallowed_chars;

/// The content namespace of a stream (RFC 6120 section 4.8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamNamespace {
    /// `jabber:client`
    Client,
    /// `jabber:server`
    Server,
}

impl StreamNamespace {
    /// The namespace name.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamNamespace::Client => ns::CLIENT,
            StreamNamespace::Server => ns::SERVER,
        }
    }
}

/// Limits checked while reading, before anything is allocated for them.
///
/// The defaults keep what one element costs in memory, while it is read
/// and once it is parsed, within four times the largest element allowed,
/// whatever its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest top-level element in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting, the top-level element counting as 1.
    pub max_depth: usize,
    /// Most attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
    /// Most namespace declarations in scope at once, those of the stream
    /// header aside: every prefix is looked up among them.
    pub max_namespaces: usize,
    /// Most nodes in one top-level element, counted as they are read: each
    /// element, attribute (namespace declarations aside) and run of
    /// character data counts one. An element kept in an unknown-payload
    /// tree counts five, since minidom stores it at several times the cost
    /// of a typed value, plus one per 64 bytes of the namespace name it
    /// keeps a copy of, plus five per map its attributes are kept in: ten
    /// with its first attribute, five more with each further prefix; a
    /// prefixed attribute there counts one more per 64 bytes of its
    /// namespace name, which minidom compares on every insert.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 256 * 1024,
            max_depth: 32,
            max_attributes: 64,
            max_namespaces: 64,
            max_nodes: 8192,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_bytes`].
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Limits {
        self.max_bytes = max_bytes;
        self
    }

    /// Sets [`Limits::max_depth`].
    pub fn with_max_depth(mut self, max_depth: usize) -> Limits {
        self.max_depth = max_depth;
        self
    }

    /// Sets [`Limits::max_attributes`].
    pub fn with_max_attributes(mut self, max_attributes: usize) -> Limits {
        self.max_attributes = max_attributes;
        self
    }

    /// Sets [`Limits::max_namespaces`].
    pub fn with_max_namespaces(mut self, max_namespaces: usize) -> Limits {
        self.max_namespaces = max_namespaces;
        self
    }

    /// Sets [`Limits::max_nodes`].
    pub fn with_max_nodes(mut self, max_nodes: usize) -> Limits {
        self.max_nodes = max_nodes;
        self
    }
}

/// What the framing layer knows about the stream an element came from.
///
/// On a TCP stream the header declares the content namespace, the `stream`
/// prefix, possibly more prefixes (`db` for dialback, say) and the
/// stream's `xml:lang`; every element inherits them (RFC 6120 sections
/// 4.8 and 8.1.5). Over WebSocket (RFC 7395) each element declares its own.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Context {
    /// The stream's content namespace.
    pub namespace: StreamNamespace,
    /// True on a TCP stream, where the stream header declares the default
    /// namespace and the `stream` prefix for every element; false over
    /// WebSocket (RFC 7395), where each element declares its own.
    pub inherited: bool,
    /// Reading limits.
    pub limits: Limits,
    /// Further prefixes the stream header declares, in declaration order.
    prefixes: Vec<(String, String)>,
    /// The stream header's `xml:lang`.
    lang: Option<String>,
}

impl Default for Context {
    /// A client-to-server TCP stream.
    fn default() -> Context {
        Context::client_tcp()
    }
}

impl Context {
    /// A client-to-server TCP stream.
    pub fn client_tcp() -> Context {
        Context {
            namespace: StreamNamespace::Client,
            inherited: true,
            limits: Limits::default(),
            prefixes: Vec::new(),
            lang: None,
        }
    }

    /// A client-to-server WebSocket connection (RFC 7395).
    pub fn client_websocket() -> Context {
        Context {
            inherited: false,
            ..Context::client_tcp()
        }
    }

    /// A server-to-server TCP stream.
    pub fn server_tcp() -> Context {
        Context {
            namespace: StreamNamespace::Server,
            ..Context::client_tcp()
        }
    }

    /// Sets the reading limits.
    pub fn with_limits(mut self, limits: Limits) -> Context {
        self.limits = limits;
        self
    }

    /// Sets the stream's `xml:lang` (None: the header had none).
    pub fn with_lang(mut self, lang: Option<String>) -> Context {
        self.lang = lang;
        self
    }

    /// Adds a prefix the stream header declares; a prefix declared again
    /// is rebound. `stream` is bound to its namespace without this.
    pub fn with_prefix(
        mut self,
        prefix: impl Into<String>,
        namespace: impl Into<String>,
    ) -> Result<Context, ContextError> {
        let prefix = prefix.into();
        let namespace = namespace.into();
        if prefix == "xml" || prefix == "xmlns" {
            return Err(ContextError::ReservedPrefix(prefix));
        }
        if !xml::is_ncname(&prefix) {
            return Err(ContextError::InvalidPrefix(prefix));
        }
        if namespace.is_empty() || namespace == ns::XML || namespace == xml::XMLNS_NAMESPACE {
            return Err(ContextError::InvalidNamespace(namespace));
        }
        self.prefixes.retain(|(p, _)| *p != prefix);
        self.prefixes.push((prefix, namespace));
        Ok(self)
    }

    /// The stream's `xml:lang`, the language of every stanza that does not
    /// declare its own (RFC 6120 section 8.1.5).
    pub fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }

    /// The prefixes added with [`Context::with_prefix`], as (prefix,
    /// namespace) in declaration order.
    pub fn prefixes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.prefixes.iter().map(|(p, n)| (p.as_str(), n.as_str()))
    }

    /// The namespace `prefix` is bound to by the stream, `stream` included
    /// (which a WebSocket element declares itself, but the reader binds
    /// anyway).
    pub fn prefix(&self, prefix: &str) -> Option<&str> {
        self.prefixes
            .iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .map(|(_, n)| n.as_str())
            .or((prefix == "stream").then_some(ns::STREAM))
    }
}

/// Why a stream prefix cannot be added to a [`Context`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// `xml` and `xmlns` are bound by XML itself.
    #[error("reserved prefix {0:?}")]
    ReservedPrefix(String),
    /// Not an XML name without a colon.
    #[error("invalid prefix {0:?}")]
    InvalidPrefix(String),
    /// Empty, or the XML namespace (Namespaces in XML 1.0 section 3).
    #[error("namespace {0:?} cannot be bound to a prefix")]
    InvalidNamespace(String),
}

/// Any top-level element of an XMPP stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Element {
    /// `<message/>`
    Message(Message),
    /// `<presence/>`
    Presence(Presence),
    /// `<iq/>`
    Iq(Iq),
    /// `<stream:features/>`
    Features(Features),
    /// `<stream:error/>`
    StreamError(StreamError),
    /// A STARTTLS nonza.
    Tls(Tls),
    /// A SASL nonza.
    Sasl(Sasl),
    /// A stream management nonza (XEP-0198).
    Sm(Sm),
    /// A client state indication nonza (XEP-0352).
    Csi(Csi),
    /// Anything else, kept as received. Refused at serialisation when it
    /// names one of the elements above, since it would read back as that.
    Unknown(minidom::Element),
}

/// The element `start` opens. Every arm hands back its own result, so that
/// a large stanza is not moved once more to be wrapped after a `?`.
#[inline]
fn read_element<'a>(
    r: &mut xml::Reader<'a>,
    start: xml::Start<'a>,
    ctx: &Context,
) -> Result<Element, Error> {
    let stanza_ns = ctx.namespace.as_str();
    match (start.ns(), start.local()) {
        (ns, "message") if ns == stanza_ns => Message::parse(r, &start).map(Element::Message),
        (ns, "presence") if ns == stanza_ns => Presence::parse(r, &start).map(Element::Presence),
        (ns, "iq") if ns == stanza_ns => Iq::parse(r, &start).map(Element::Iq),
        (ns @ (ns::CLIENT | ns::SERVER), _) if ns != stanza_ns => {
            Err(Error::InvalidNamespace(error::excerpt(start.ns())))
        }
        (ns::STREAM, "features") => Features::parse(r, &start, stanza_ns).map(Element::Features),
        (ns::STREAM, "error") => {
            StreamError::parse_content(r, &start, stanza_ns).map(Element::StreamError)
        }
        (ns::SASL, _) => Sasl::parse(r, &start).map(Element::Sasl),
        (ns::TLS, name) if Tls::from_name(name).is_some() => {
            r.skip()?;
            Tls::from_name(name)
                .map(Element::Tls)
                .ok_or(Error::Invalid("STARTTLS"))
        }
        (ns::SM, name) if Sm::is_typed(name) => Sm::parse(r, start, stanza_ns).map(Element::Sm),
        (ns::CSI, name) if Csi::from_name(name).is_some() => {
            r.skip()?;
            Csi::from_name(name)
                .map(Element::Csi)
                .ok_or(Error::Invalid("CSI"))
        }
        _ => rescope::read_tree(r, start, stanza_ns).map(Element::Unknown),
    }
}

/// The [`ParseError`] for `e`, met reading `bytes`. Errors are rare: the
/// header is read again from the start tag only then, rather than kept
/// aside for every stanza.
#[cold]
#[inline(never)]
fn parse_error(e: Error, bytes: &[u8], ctx: &Context) -> ParseError {
    let start = xml::read_root(bytes, ctx);
    let header = start
        .as_ref()
        .and_then(|s| error::HeaderRef::capture(s, ctx));
    ParseError::new(e, header, ctx)
}

impl Element {
    /// Parses one complete top-level element. An error carries the
    /// stanza's header when it was read, and says how to answer it.
    pub fn parse(bytes: &[u8], ctx: &Context) -> Result<Element, ParseError> {
        xml::parse_with(
            bytes,
            ctx,
            |r, start| read_element(r, start, ctx),
            |e| parse_error(e, bytes, ctx),
        )
    }

    /// Appends the serialised element to `out`; leaves `out` as it was on
    /// error.
    pub fn serialize(&self, ctx: &Context, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        match self {
            Element::Message(m) => m.serialize(ctx, out),
            Element::Presence(p) => p.serialize(ctx, out),
            Element::Iq(iq) => iq.serialize(ctx, out),
            Element::Features(f) => f.serialize(ctx, out),
            Element::StreamError(e) => e.serialize(ctx, out),
            Element::Tls(t) => t.serialize(out),
            Element::Sasl(s) => s.serialize(out),
            Element::Sm(s) => s.serialize(ctx, out),
            Element::Csi(c) => c.serialize(out),
            Element::Unknown(el) => {
                // Over WebSocket nothing is in scope, so the element always
                // declares its namespace, even an empty one.
                let content_ns = ctx.namespace.as_str();
                let scope = ctx.inherited.then_some(content_ns);
                xml::guarded(out, |out| {
                    xml::write_element(out, el, scope, content_ns, is_typed_top_level)
                })
            }
        }
    }

    /// The serialised element as a new buffer.
    pub fn to_bytes(&self, ctx: &Context) -> Result<Vec<u8>, SerializeError> {
        let mut out = Vec::new();
        self.serialize(ctx, &mut out)?;
        Ok(out)
    }

    /// The element as a stanza, if it is one.
    pub fn as_stanza(&self) -> Option<&dyn Stanza> {
        match self {
            Element::Message(m) => Some(m),
            Element::Presence(p) => Some(p),
            Element::Iq(iq) => Some(iq),
            _ => None,
        }
    }
}

/// Whether [`Element::parse`] reads `name` in `ns` as a typed element (or
/// refuses it); `ns` is the namespace the element is written in, stanza
/// namespaces already re-scoped to the stream's.
fn is_typed_top_level(ns: &str, name: &str) -> bool {
    match ns {
        ns::CLIENT | ns::SERVER => matches!(name, "message" | "presence" | "iq"),
        ns::STREAM => matches!(name, "features" | "error"),
        ns::SASL => true,
        ns::TLS => Tls::from_name(name).is_some(),
        ns::SM => Sm::is_typed(name),
        ns::CSI => Csi::from_name(name).is_some(),
        _ => false,
    }
}

impl From<Message> for Element {
    fn from(m: Message) -> Element {
        Element::Message(m)
    }
}

impl From<Presence> for Element {
    fn from(p: Presence) -> Element {
        Element::Presence(p)
    }
}

impl From<Iq> for Element {
    fn from(iq: Iq) -> Element {
        Element::Iq(iq)
    }
}

impl From<AnyStanza> for Element {
    fn from(s: AnyStanza) -> Element {
        match s {
            AnyStanza::Message(m) => Element::Message(m),
            AnyStanza::Presence(p) => Element::Presence(p),
            AnyStanza::Iq(iq) => Element::Iq(iq),
        }
    }
}

/// Opens `<stream:NAME`, declaring the prefix unless the stream header
/// bound it to the streams namespace.
fn stream_start_tag(out: &mut Vec<u8>, ctx: &Context, qname: &str) -> Result<(), SerializeError> {
    out.push(b'<');
    out.extend_from_slice(qname.as_bytes());
    if !ctx.inherited || ctx.prefix("stream") != Some(ns::STREAM) {
        xml::attr(out, "xmlns:stream", ns::STREAM)?;
    }
    Ok(())
}

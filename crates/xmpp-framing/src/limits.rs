//! Resource limits, checked before any byte of an element is buffered.

/// Bounds on what a peer may make us buffer.
///
/// The scanner counts each limit as the bytes arrive, so an oversized or
/// overly nested element is refused before it is stored.
///
/// The defaults are generous, so that no legitimate peer trips them. A chat
/// server facing the open internet should tighten them for client streams:
///
/// | limit | default | chat server | why |
/// |---|---|---|---|
/// | [`max_element_size`](Limits::max_element_size) | 256 KiB | 64 KiB | chat stanzas are under 4 KiB; raise it where clients publish inline avatars or large pubsub items |
/// | [`max_depth`](Limits::max_depth) | 64 | 32 | stanzas nest a handful of levels deep |
/// | [`max_attributes`](Limits::max_attributes) | 64 | 32 | tags carry a few attributes |
/// | [`max_namespace_declarations`](Limits::max_namespace_declarations) | 128 | 32 | a stanza declares a few namespaces; each name is looked up among those in scope |
/// | [`max_header_size`](Limits::max_header_size) | 4 KiB | 4 KiB | a header is about 250 bytes, but RFC 7622 lets a bare JID reach 2047 |
///
/// ```
/// use chatwire_xmpp_framing::Limits;
///
/// let chat_server = Limits::default()
///     .with_max_element_size(64 * 1024)
///     .with_max_depth(32)
///     .with_max_attributes(32)
///     .with_max_namespace_declarations(32);
/// assert_eq!(chat_server.max_header_size, 4096);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest top-level element (or WebSocket message), in bytes.
    pub max_element_size: usize,
    /// Deepest nesting inside one top-level element (the element itself is depth 1).
    pub max_depth: usize,
    /// Most attributes, namespace declarations included, on one tag.
    pub max_attributes: usize,
    /// Most namespace declarations in scope at once inside one element
    /// (those of the stream header apart). Every name is resolved among
    /// them, so without this bound nesting could make each lookup scan
    /// `max_depth * max_attributes` declarations.
    pub max_namespace_declarations: usize,
    /// Largest stream header (`<stream:stream>` with its XML declaration
    /// counted apart, or `<open/>`), in bytes. The header is kept for the
    /// life of the stream, so this also bounds what an idle stream holds.
    pub max_header_size: usize,
}

impl Limits {
    /// The defaults: 256 KiB elements, depth 64, 64 attributes per tag, 128
    /// namespace declarations in scope, 4 KiB headers.
    pub const DEFAULT: Limits = Limits {
        max_element_size: 256 * 1024,
        max_depth: 64,
        max_attributes: 64,
        max_namespace_declarations: 128,
        max_header_size: 4 * 1024,
    };

    /// Sets [`Limits::max_element_size`].
    pub fn with_max_element_size(mut self, bytes: usize) -> Self {
        self.max_element_size = bytes;
        self
    }

    /// Sets [`Limits::max_depth`].
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Sets [`Limits::max_attributes`].
    pub fn with_max_attributes(mut self, count: usize) -> Self {
        self.max_attributes = count;
        self
    }

    /// Sets [`Limits::max_namespace_declarations`].
    pub fn with_max_namespace_declarations(mut self, count: usize) -> Self {
        self.max_namespace_declarations = count;
        self
    }

    /// Sets [`Limits::max_header_size`].
    pub fn with_max_header_size(mut self, bytes: usize) -> Self {
        self.max_header_size = bytes;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

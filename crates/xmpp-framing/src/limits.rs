//! Resource limits, checked before any byte of an element is buffered.

/// Bounds on what a peer may make us buffer.
///
/// The scanner counts each limit as the bytes arrive, so an oversized or
/// overly nested element is refused before it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest top-level element (or stream header, or WebSocket message), in bytes.
    pub max_element_size: usize,
    /// Deepest nesting inside one top-level element (the element itself is depth 1).
    pub max_depth: usize,
    /// Most attributes, namespace declarations included, on one tag.
    pub max_attributes: usize,
}

impl Limits {
    /// The defaults: 256 KiB elements, depth 64, 64 attributes per tag.
    pub const DEFAULT: Limits = Limits {
        max_element_size: 256 * 1024,
        max_depth: 64,
        max_attributes: 64,
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
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

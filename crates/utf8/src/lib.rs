//! Bytes that are known to be UTF-8.
//!
//! A WebSocket text message is checked as its frames arrive (RFC 6455
//! section 8.1); the XMPP framing layer needs the same guarantee (RFC 7395
//! section 3.2, RFC 6120 section 11.6). [`Utf8Bytes`] carries that guarantee
//! between the layers, so the check runs once and the text is not copied to
//! become a `String`. It can only be built from bytes this crate validated:
//! a `String` or `&'static str`, [`Utf8Bytes::try_from`] a byte buffer, or
//! a [`Utf8Builder`] fed piece by piece.
//!
//! The crate uses no `unsafe` code. [`Utf8Bytes::as_str`] therefore checks
//! the bytes again (SIMD-accelerated, several GB/s); hot paths read
//! [`Utf8Bytes::as_bytes`], which costs nothing.
//!
//! ```
//! use chatwire_utf8::{Utf8Builder, Utf8Bytes};
//!
//! let mut text = Utf8Builder::new();
//! text.push(b"<message>\xCE")?; // a code point cut between two frames
//! text.push(b"\xBA</message>")?;
//! let text: Utf8Bytes = text.finish()?;
//! assert_eq!(text, "<message>κ</message>");
//!
//! let inner = text.slice(9..11).expect("on character boundaries");
//! assert_eq!(inner, "κ");
//! # Ok::<(), chatwire_utf8::InvalidUtf8>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod stream;

use std::borrow::Borrow;
use std::fmt;
use std::ops::{Bound, RangeBounds};

use bytes::{Bytes, BytesMut};

pub use stream::{InvalidUtf8, Utf8Stream};

/// Immutable, cheaply cloned bytes that are valid UTF-8.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// The empty string.
    pub const fn new() -> Self {
        Utf8Bytes(Bytes::new())
    }

    /// A string literal, without copying it.
    pub const fn from_static(text: &'static str) -> Self {
        Utf8Bytes(Bytes::from_static(text.as_bytes()))
    }

    /// The bytes, which are UTF-8.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text. Checks the bytes again (this crate has no `unsafe`); never fails.
    pub fn as_str(&self) -> &str {
        simdutf8::basic::from_utf8(&self.0).unwrap_or_default()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The underlying bytes, giving up the guarantee.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// A part of the string sharing its storage, or `None` if `range` is out of
    /// bounds or does not start and end on character boundaries.
    pub fn slice(&self, range: impl RangeBounds<usize>) -> Option<Utf8Bytes> {
        let start = match range.start_bound() {
            Bound::Included(&n) => n,
            Bound::Excluded(&n) => n.checked_add(1)?,
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&n) => n.checked_add(1)?,
            Bound::Excluded(&n) => n,
            Bound::Unbounded => self.0.len(),
        };
        if start > end || end > self.0.len() {
            return None;
        }
        if !is_boundary(&self.0, start) || !is_boundary(&self.0, end) {
            return None;
        }
        Some(Utf8Bytes(self.0.slice(start..end)))
    }

    /// A copy of the string in an allocation of its own, so that it no longer
    /// keeps a larger shared buffer alive.
    pub fn to_compact(&self) -> Utf8Bytes {
        Utf8Bytes(Bytes::copy_from_slice(&self.0))
    }
}

/// Whether `index` is where a character starts (or the end of the bytes).
fn is_boundary(bytes: &[u8], index: usize) -> bool {
    match bytes.get(index) {
        None => index == bytes.len(),
        // Continuation bytes are 0b10xx_xxxx.
        Some(&b) => (b as i8) >= -0x40,
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<[u8]> for Utf8Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Borrow<[u8]> for Utf8Bytes {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl From<String> for Utf8Bytes {
    fn from(text: String) -> Self {
        Utf8Bytes(Bytes::from(text.into_bytes()))
    }
}

impl From<&'static str> for Utf8Bytes {
    fn from(text: &'static str) -> Self {
        Utf8Bytes::from_static(text)
    }
}

impl From<Box<str>> for Utf8Bytes {
    fn from(text: Box<str>) -> Self {
        Utf8Bytes::from(String::from(text))
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(text: Utf8Bytes) -> Self {
        text.0
    }
}

impl From<Utf8Bytes> for String {
    fn from(text: Utf8Bytes) -> Self {
        text.as_str().to_owned()
    }
}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = InvalidUtf8;

    /// Checks the bytes once.
    fn try_from(bytes: Bytes) -> Result<Self, InvalidUtf8> {
        match simdutf8::basic::from_utf8(&bytes) {
            Ok(_) => Ok(Utf8Bytes(bytes)),
            Err(_) => Err(InvalidUtf8),
        }
    }
}

impl TryFrom<BytesMut> for Utf8Bytes {
    type Error = InvalidUtf8;

    fn try_from(bytes: BytesMut) -> Result<Self, InvalidUtf8> {
        Utf8Bytes::try_from(bytes.freeze())
    }
}

impl TryFrom<Vec<u8>> for Utf8Bytes {
    type Error = InvalidUtf8;

    fn try_from(bytes: Vec<u8>) -> Result<Self, InvalidUtf8> {
        Utf8Bytes::try_from(Bytes::from(bytes))
    }
}

impl TryFrom<&[u8]> for Utf8Bytes {
    type Error = InvalidUtf8;

    /// Checks, then copies.
    fn try_from(bytes: &[u8]) -> Result<Self, InvalidUtf8> {
        match simdutf8::basic::from_utf8(bytes) {
            Ok(_) => Ok(Utf8Bytes(Bytes::copy_from_slice(bytes))),
            Err(_) => Err(InvalidUtf8),
        }
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<String> for Utf8Bytes {
    fn eq(&self, other: &String) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<Utf8Bytes> for str {
    fn eq(&self, other: &Utf8Bytes) -> bool {
        self.as_bytes() == other.0
    }
}

impl PartialEq<Utf8Bytes> for &str {
    fn eq(&self, other: &Utf8Bytes) -> bool {
        self.as_bytes() == other.0
    }
}

/// Builds a [`Utf8Bytes`] from pieces, checking each as it arrives and failing
/// at the first byte after which no valid text can follow. A refusal is final:
/// every later push and [`Utf8Builder::finish`] fail too, so text that skipped a
/// refused piece can never come out as [`Utf8Bytes`].
#[derive(Debug, Default)]
pub struct Utf8Builder {
    data: BytesMut,
    check: Utf8Stream,
}

impl Utf8Builder {
    /// An empty builder.
    pub fn new() -> Self {
        Utf8Builder::default()
    }

    /// Bytes taken so far.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether nothing has been taken yet.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The bytes taken so far; they may end inside a character.
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// Checks `piece`, then copies it in.
    pub fn push(&mut self, piece: &[u8]) -> Result<(), InvalidUtf8> {
        self.check.feed(piece)?;
        self.data.extend_from_slice(piece);
        Ok(())
    }

    /// Bytes the builder can hold before it allocates again.
    pub fn capacity(&self) -> usize {
        self.data.capacity()
    }

    /// Makes room for exactly `additional` more bytes (no amortised doubling), so
    /// a caller that knows how much is coming gets an allocation of that size.
    pub fn reserve_exact(&mut self, additional: usize) {
        let spare = self.data.capacity().saturating_sub(self.data.len());
        if spare >= additional {
            return;
        }
        let mut grown = BytesMut::with_capacity(self.data.len().saturating_add(additional));
        grown.extend_from_slice(&self.data);
        self.data = grown;
    }

    /// Copies `piece` in, lets `transform` rewrite the copy in place (a WebSocket
    /// payload is unmasked this way), then checks the result: one copy, one check.
    pub fn push_transformed(
        &mut self,
        piece: &[u8],
        transform: impl FnOnce(&mut [u8]),
    ) -> Result<(), InvalidUtf8> {
        let start = self.data.len();
        self.data.extend_from_slice(piece);
        let Some(added) = self.data.get_mut(start..) else {
            return Err(InvalidUtf8);
        };
        transform(added);
        if let Err(e) = self.check.feed(added) {
            self.data.truncate(start);
            return Err(e);
        }
        Ok(())
    }

    /// Checks `piece`, then takes it without copying when nothing came before it
    /// (the common case of a message in one frame).
    pub fn push_owned(&mut self, piece: BytesMut) -> Result<(), InvalidUtf8> {
        self.check.feed(&piece)?;
        if self.data.is_empty() {
            self.data = piece;
        } else {
            self.data.extend_from_slice(&piece);
        }
        Ok(())
    }

    /// The text, unless it ends inside a character.
    pub fn finish(mut self) -> Result<Utf8Bytes, InvalidUtf8> {
        self.check.finish()?;
        Ok(Utf8Bytes(self.data.freeze()))
    }

    /// Like [`Utf8Builder::finish`], but gives the unused capacity back first
    /// (a shrinking reallocation, usually done in place), so that text built
    /// from many pieces keeps no more memory alive than its length.
    pub fn finish_compact(mut self) -> Result<Utf8Bytes, InvalidUtf8> {
        self.check.finish()?;
        let mut data = Vec::from(self.data);
        data.shrink_to_fit();
        Ok(Utf8Bytes(Bytes::from(data)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn refuses_what_is_not_utf8() {
        assert_eq!(
            Utf8Bytes::try_from(Bytes::from_static(b"a\xFFb")),
            Err(InvalidUtf8)
        );
        assert_eq!(Utf8Bytes::try_from(&b"\xED\xA0\x80"[..]), Err(InvalidUtf8));
        let mut builder = Utf8Builder::new();
        assert_eq!(builder.push(b"ok\xE2\x82"), Ok(()));
        assert_eq!(builder.finish(), Err(InvalidUtf8));
    }

    #[test]
    fn slices_only_on_character_boundaries() {
        let text = Utf8Bytes::from("aκb".to_owned());
        assert_eq!(text.slice(1..3).as_ref().map(Utf8Bytes::as_str), Some("κ"));
        assert_eq!(text.slice(2..3), None);
        assert_eq!(text.slice(1..2), None);
        assert_eq!(text.slice(..5), None);
        assert_eq!(text.slice(3..=3).as_ref().map(Utf8Bytes::as_str), Some("b"));
        let (from, to) = (3, 1);
        assert_eq!(text.slice(from..to), None);
    }

    #[test]
    fn compact_text_keeps_no_spare_capacity() {
        let mut builder = Utf8Builder::new();
        assert_eq!(builder.push(b"<presence"), Ok(()));
        assert_eq!(builder.as_bytes(), b"<presence");
        assert_eq!(builder.push(b" xmlns='jabber:client'/>\xCE"), Ok(()));
        assert_eq!(builder.finish_compact(), Err(InvalidUtf8));
        let mut builder = Utf8Builder::new();
        for piece in ["<a>", "κ", "</a>"] {
            assert_eq!(builder.push(piece.as_bytes()), Ok(()));
        }
        let text = builder.finish_compact();
        assert_eq!(text.as_ref().map(Utf8Bytes::as_str), Ok("<a>κ</a>"));
        // Without spare capacity the bytes convert back to a Vec in place.
        let bytes = text.map(Utf8Bytes::into_bytes).unwrap_or_default();
        let address = bytes.as_ptr();
        let vec = Vec::from(bytes);
        assert_eq!((vec.as_ptr(), vec.len(), vec.capacity()), (address, 9, 9));
    }

    #[test]
    fn one_piece_is_taken_without_a_copy() {
        let piece = BytesMut::from(&b"hello"[..]);
        let address = piece.as_ptr();
        let mut builder = Utf8Builder::new();
        assert_eq!(builder.push_owned(piece), Ok(()));
        let text = builder.finish();
        assert_eq!(text.as_ref().map(|t| t.as_bytes().as_ptr()), Ok(address));
    }

    #[test]
    fn transformed_pieces_are_checked_after_the_transform() {
        let flip = |bytes: &mut [u8]| bytes.iter_mut().for_each(|b| *b ^= 0x80);
        let mut builder = Utf8Builder::new();
        // 0x4E ^ 0x80 = 0xCE and 0x3A ^ 0x80 = 0xBA: "κ" once transformed.
        assert_eq!(builder.push_transformed(&[0x4E], flip), Ok(()));
        assert_eq!(builder.push_transformed(&[0x3A], flip), Ok(()));
        assert_eq!(
            builder.finish().map(|t| t.as_str().to_owned()),
            Ok("κ".to_owned())
        );
        // "a" becomes 0xE1, which cannot be followed by "b" (0x62 ^ 0x80 = 0xE2).
        let mut builder = Utf8Builder::new();
        assert_eq!(builder.push_transformed(b"ab", flip), Err(InvalidUtf8));
        assert!(builder.is_empty());
    }

    #[test]
    fn reserve_exact_allocates_what_is_asked() {
        let mut builder = Utf8Builder::new();
        builder.reserve_exact(5);
        assert_eq!(builder.capacity(), 5);
        assert_eq!(builder.push(b"hello"), Ok(()));
        assert_eq!(builder.capacity(), 5);
        builder.reserve_exact(3);
        assert_eq!(builder.capacity(), 8);
        assert_eq!(builder.push(b"abc"), Ok(()));
        assert_eq!(
            builder.finish().map(|t| t.as_str().to_owned()),
            Ok("helloabc".to_owned())
        );
    }

    /// Feeds `piece` the way `how` names: 0 `push`, 1 `push_transformed`, 2 `push_owned`.
    fn push_by(builder: &mut Utf8Builder, how: usize, piece: &[u8]) -> Result<(), InvalidUtf8> {
        match how % 3 {
            0 => builder.push(piece),
            1 => builder.push_transformed(piece, |_| {}),
            _ => builder.push_owned(BytesMut::from(piece)),
        }
    }

    #[test]
    fn a_refused_piece_poisons_the_builder() {
        for how in 0..3 {
            let mut builder = Utf8Builder::new();
            // "\xE2\x82" begins "€"; the next piece ends it, then holds 0xFF: refused.
            assert_eq!(push_by(&mut builder, how, b"\xE2\x82"), Ok(()));
            assert_eq!(push_by(&mut builder, how, b"\xAC\xFF"), Err(InvalidUtf8));
            // Nothing after the refusal can make the text valid again.
            assert_eq!(
                push_by(&mut builder, how, b"abc"),
                Err(InvalidUtf8),
                "{how}"
            );
            assert_eq!(builder.finish(), Err(InvalidUtf8), "{how}");
        }
    }

    proptest! {
        #[test]
        fn builder_agrees_with_std(bytes in proptest::collection::vec(any::<u8>(), 0..64), cut in 0usize..64) {
            let cut = cut.min(bytes.len());
            let mut builder = Utf8Builder::new();
            let result = builder
                .push(&bytes[..cut])
                .and_then(|()| builder.push_owned(BytesMut::from(&bytes[cut..])))
                .and_then(|()| builder.finish());
            match std::str::from_utf8(&bytes) {
                Ok(text) => prop_assert_eq!(result.map(|t| t.as_str().to_owned()), Ok(text.to_owned())),
                Err(_) => prop_assert_eq!(result, Err(InvalidUtf8)),
            }
        }

        /// Whatever the pieces and however they are pushed, with refusals ignored, the
        /// builder finishes exactly when std accepts all the pieces joined, into that text.
        #[test]
        fn refusals_are_final(pieces in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..6), 0usize..3), 0..6)) {
            let mut builder = Utf8Builder::new();
            let mut joined = Vec::new();
            for (piece, how) in &pieces {
                let _ = push_by(&mut builder, *how, piece);
                joined.extend_from_slice(piece);
            }
            match std::str::from_utf8(&joined) {
                Ok(text) => prop_assert_eq!(builder.finish().map(|t| t.as_str().to_owned()), Ok(text.to_owned())),
                Err(_) => prop_assert_eq!(builder.finish(), Err(InvalidUtf8)),
            }
        }

        #[test]
        fn slice_agrees_with_str_get(text in "\\PC{0,12}", start in 0usize..40, end in 0usize..40) {
            let ours = Utf8Bytes::from(text.clone());
            prop_assert_eq!(
                ours.slice(start..end).map(|t| t.as_str().to_owned()),
                text.get(start..end).map(str::to_owned)
            );
        }
    }
}

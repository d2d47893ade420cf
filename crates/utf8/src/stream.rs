//! Streaming UTF-8 validation that fails as soon as the bytes seen so far
//! can no longer begin a valid string (RFC 6455 section 8.1 lets an endpoint
//! fail fast; Autobahn cases 6.4.x demand it).

/// Validates text that arrives in pieces, keeping at most three bytes of an
/// unfinished code point between pieces.
///
/// A refusal is final: once a piece is refused, so is every later one and
/// [`Utf8Stream::finish`], whatever it holds (no continuation can repair the text).
#[derive(Debug, Clone, Default)]
pub struct Utf8Stream {
    /// The start of a code point cut off at the end of the last piece.
    pending: [u8; 4],
    pending_len: usize,
    /// A piece was refused since the text began.
    failed: bool,
}

/// The text is not UTF-8, or can no longer become UTF-8 whatever follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8;

impl std::fmt::Display for InvalidUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid UTF-8")
    }
}

impl std::error::Error for InvalidUtf8 {}

impl Utf8Stream {
    /// A validator at the start of a string.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next piece of the text.
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), InvalidUtf8> {
        if self.failed {
            return Err(InvalidUtf8);
        }
        let checked = self.check(piece);
        self.failed = checked.is_err();
        checked
    }

    /// Ends the text: an unfinished code point at the end, or an earlier refusal, is
    /// an error. The stream is then ready for the next text.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let complete = self.pending_len == 0 && !self.failed;
        self.pending_len = 0;
        self.failed = false;
        if complete { Ok(()) } else { Err(InvalidUtf8) }
    }

    /// Checks `piece` after what came before; may leave the state half updated on error.
    fn check(&mut self, mut piece: &[u8]) -> Result<(), InvalidUtf8> {
        if self.pending_len > 0 {
            piece = self.finish_pending(piece)?;
            if self.pending_len > 0 {
                return Ok(());
            }
        }
        match simdutf8::compat::from_utf8(piece) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_some() => Err(InvalidUtf8),
            Err(e) => self.keep_tail(piece.get(e.valid_up_to()..).unwrap_or_default()),
        }
    }

    /// Tops up the pending code point from `piece`; returns what is left of `piece`.
    fn finish_pending<'a>(&mut self, piece: &'a [u8]) -> Result<&'a [u8], InvalidUtf8> {
        let first = self.pending.first().copied().unwrap_or(0);
        let needed = sequence_len(first).saturating_sub(self.pending_len);
        let take = needed.min(piece.len());
        let (head, rest) = piece.split_at(take);
        for byte in head {
            if let Some(slot) = self.pending.get_mut(self.pending_len) {
                *slot = *byte;
                self.pending_len += 1;
            }
        }
        let seen = self.pending.get(..self.pending_len).unwrap_or_default();
        match simdutf8::compat::from_utf8(seen) {
            Ok(_) => {
                self.pending_len = 0;
                Ok(rest)
            }
            // Still a valid prefix: the piece ran out before the code point ended.
            Err(e) if e.error_len().is_none() => Ok(rest),
            Err(_) => Err(InvalidUtf8),
        }
    }

    /// Stores an unfinished code point (a valid prefix, at most three bytes).
    fn keep_tail(&mut self, tail: &[u8]) -> Result<(), InvalidUtf8> {
        let slot = self.pending.get_mut(..tail.len()).ok_or(InvalidUtf8)?;
        slot.copy_from_slice(tail);
        self.pending_len = tail.len();
        Ok(())
    }
}

/// The length of a sequence that starts with `first` (1 for bytes that cannot start one,
/// so that validation then reports them).
fn sequence_len(first: u8) -> usize {
    match first {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn feed_in_pieces(bytes: &[u8], cuts: &[usize]) -> Result<(), InvalidUtf8> {
        let mut v = Utf8Stream::new();
        let mut start = 0;
        for &cut in cuts {
            let cut = cut.clamp(start, bytes.len());
            v.feed(&bytes[start..cut])?;
            start = cut;
        }
        v.feed(&bytes[start..])?;
        v.finish()
    }

    #[test]
    fn fails_fast_inside_a_code_point() {
        // 0xF4 0x90 starts a code point above U+10FFFF: invalid before the rest arrives.
        let mut v = Utf8Stream::new();
        assert_eq!(v.feed(&[0xCE, 0xBA, 0xF4]), Ok(()));
        assert_eq!(v.feed(&[0x90]), Err(InvalidUtf8));
        // A surrogate (ED A0 80) is refused at its second byte.
        let mut v = Utf8Stream::new();
        assert_eq!(v.feed(&[0xED]), Ok(()));
        assert_eq!(v.feed(&[0xA0]), Err(InvalidUtf8));
        // An overlong two-byte form is refused at its first byte.
        assert_eq!(Utf8Stream::new().feed(&[0xC0]), Err(InvalidUtf8));
    }

    #[test]
    fn unfinished_text_fails_at_the_end() {
        let mut v = Utf8Stream::new();
        assert_eq!(v.feed(&[0xE2, 0x82]), Ok(()));
        assert_eq!(v.finish(), Err(InvalidUtf8));
    }

    #[test]
    fn one_byte_at_a_time_hello_world_greek() {
        let text = "κόσμε-€-𐍈";
        let cuts: Vec<usize> = (0..text.len()).collect();
        assert_eq!(feed_in_pieces(text.as_bytes(), &cuts), Ok(()));
    }

    #[test]
    fn an_error_is_final_until_finish() {
        let mut v = Utf8Stream::new();
        // 0xE2 0x82 begins "€"; 0xAC ends it, then 0xFF can begin nothing.
        assert_eq!(v.feed(&[0xE2, 0x82]), Ok(()));
        assert_eq!(v.feed(&[0xAC, 0xFF]), Err(InvalidUtf8));
        assert_eq!(v.feed(b"abc"), Err(InvalidUtf8));
        assert_eq!(v.finish(), Err(InvalidUtf8));
        // `finish` ends the text: the next one starts clean.
        assert_eq!(v.feed(b"abc"), Ok(()));
        assert_eq!(v.finish(), Ok(()));
    }

    proptest! {
        #[test]
        fn agrees_with_std_whatever_the_cuts(bytes in proptest::collection::vec(any::<u8>(), 0..40), cuts in proptest::collection::vec(0usize..40, 0..6)) {
            let mut cuts = cuts;
            cuts.sort_unstable();
            let expected = std::str::from_utf8(&bytes).is_ok();
            prop_assert_eq!(feed_in_pieces(&bytes, &cuts).is_ok(), expected);
        }

        /// Errors ignored, the text still ends valid exactly when std accepts it whole.
        #[test]
        fn ignoring_errors_never_makes_text_valid(bytes in proptest::collection::vec(any::<u8>(), 0..40), cuts in proptest::collection::vec(0usize..40, 0..6)) {
            let mut cuts = cuts;
            cuts.sort_unstable();
            let mut v = Utf8Stream::new();
            let mut start = 0;
            for cut in cuts.into_iter().chain([bytes.len()]) {
                let cut = cut.clamp(start, bytes.len());
                let _ = v.feed(&bytes[start..cut]);
                start = cut;
            }
            prop_assert_eq!(v.finish().is_ok(), std::str::from_utf8(&bytes).is_ok());
        }

        #[test]
        fn valid_strings_pass_whatever_the_cuts(text in "\\PC{0,20}", cuts in proptest::collection::vec(0usize..80, 0..6)) {
            let mut cuts = cuts;
            cuts.sort_unstable();
            prop_assert_eq!(feed_in_pieces(text.as_bytes(), &cuts), Ok(()));
        }

        #[test]
        fn errors_are_reported_no_later_than_std_sees_them(bytes in proptest::collection::vec(any::<u8>(), 1..40)) {
            // Feeding byte by byte, the first failing byte is where std's error ends.
            let mut v = Utf8Stream::new();
            let failed_at = bytes.iter().position(|b| v.feed(&[*b]).is_err());
            match std::str::from_utf8(&bytes) {
                Ok(_) => prop_assert_eq!(failed_at, None),
                Err(e) => match e.error_len() {
                    Some(_) => prop_assert!(failed_at.is_some() && failed_at.unwrap() <= e.valid_up_to() + 3),
                    None => prop_assert_eq!(failed_at, None),
                },
            }
        }
    }
}

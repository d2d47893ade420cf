//! SASLprep (RFC 4013), the stringprep profile applied to user names and passwords.
//!
//! SCRAM prepares strings as "queries" (RFC 5802 s5.1, RFC 3454 s7): code points unassigned in
//! Unicode 3.2 are allowed, so a password with a newer character (an emoji, say) still works.
//! The steps are written here over the stringprep crate's RFC 3454 tables because that crate's
//! `saslprep` refuses unassigned code points ("stored string" rules) and leaves copies of the
//! input in freed memory. NFKC is composed here from unicode-normalization's per-character
//! functions for the same reason: its iterators keep a run of combining marks or a long
//! decomposition in buffers of their own and free them unwiped.

use std::borrow::Cow;

use stringprep::tables;
use unicode_normalization::char::{canonical_combining_class, compose, decompose_compatible};
use zeroize::Zeroizing;

use crate::Error;

/// Prepares `input` with SASLprep (RFC 4013) as a query: maps non-ASCII spaces to SPACE and
/// removes "commonly mapped to nothing" characters, normalizes to NFKC, and refuses prohibited
/// characters and bidi violations. Unassigned code points are allowed.
///
/// The result may be empty (say, for a lone soft hyphen); callers refuse empty user names and
/// passwords where the RFCs ask them to. Every intermediate copy is wiped; an owned result is the
/// caller's to wipe (wrap it in [`zeroize::Zeroizing`] when it holds a password).
///
/// # Errors
/// [`Error::Saslprep`] when the string is refused.
pub fn saslprep(input: &str) -> Result<Cow<'_, str>, Error> {
    if input.bytes().all(|b| b.is_ascii() && !b.is_ascii_control()) {
        return Ok(Cow::Borrowed(input));
    }
    let chars = prepared_chars(input);
    if chars.iter().copied().any(is_prohibited) || violates_bidi_rules(&chars) {
        return Err(Error::Saslprep);
    }
    // Sized first so the output is allocated once: growing a String frees partial copies.
    let mut out = String::with_capacity(chars.iter().copied().map(char::len_utf8).sum());
    out.extend(chars.iter());
    Ok(Cow::Owned(out))
}

/// SASLprep for a user name, refusing one that prepares to nothing (RFC 5802 s5.1, RFC 4616
/// s2): an empty name would match no account, or worse, a row with an empty key.
pub(crate) fn prepare_username(name: &str) -> Result<String, Error> {
    let prepared = saslprep(name)?;
    if prepared.is_empty() {
        return Err(Error::Saslprep);
    }
    Ok(prepared.into_owned())
}

/// RFC 4013 s2.1 mapping followed by s2.2 normalization (NFKC), in one buffer that is wiped
/// when dropped.
fn prepared_chars(input: &str) -> Zeroizing<Vec<char>> {
    // Counted first so the buffer is allocated once: a growing Vec frees partial copies.
    let mut len = 0usize;
    mapped(input).for_each(|c| decompose_compatible(c, |_| len = len.saturating_add(1)));
    let mut chars = Zeroizing::new(Vec::with_capacity(len));
    mapped(input).for_each(|c| decompose_compatible(c, |d| chars.push(d)));
    order_marks(&mut chars);
    compose_in_place(&mut chars);
    chars
}

/// RFC 4013 s2.1: non-ASCII spaces become SPACE, "commonly mapped to nothing" goes.
fn mapped(input: &str) -> impl Iterator<Item = char> + '_ {
    // U+200B is both "mapped to nothing" (B.1) and a non-ASCII space (C.1.2). Removing it, as
    // libidn, Python's stringprep and scramp do, keeps our SCRAM keys equal to theirs.
    input
        .chars()
        .filter(|&c| !tables::commonly_mapped_to_nothing(c))
        .map(|c| {
            if tables::non_ascii_space_character(c) {
                ' '
            } else {
                c
            }
        })
}

/// Canonical ordering (Unicode D109): each run of combining marks sorted by combining class,
/// stably, in place. Each mark is rotated into the sorted part of its run, so no scratch buffer
/// is left behind and a long run costs memory moves, not class look-ups.
fn order_marks(chars: &mut [char]) {
    let mut run_start = 0;
    for at in 0..chars.len() {
        let class = chars.get(at).map_or(0, |&c| canonical_combining_class(c));
        if class == 0 {
            run_start = at.saturating_add(1);
            continue;
        }
        if let Some(run) = chars.get_mut(run_start..=at) {
            let sorted = run.len().saturating_sub(1);
            let place = run.get(..sorted).map_or(0, |s| {
                s.partition_point(|&c| canonical_combining_class(c) <= class)
            });
            if let Some(moved) = run.get_mut(place..) {
                moved.rotate_right(1);
            }
        }
    }
}

/// Canonical composition (Unicode D117), in place: a character joins the last starter when no
/// character left between them is a starter or has a class at least its own.
fn compose_in_place(chars: &mut Vec<char>) {
    let mut kept = 0;
    let mut starter: Option<usize> = None;
    // Class of the last character kept after the starter; after ordering it is the highest.
    let mut last_class: Option<u8> = None;
    for read in 0..chars.len() {
        let Some(&c) = chars.get(read) else { break };
        let class = canonical_combining_class(c);
        let blocked = last_class.is_some_and(|last| last == 0 || last >= class);
        if let Some(slot) = starter
            .filter(|_| !blocked)
            .and_then(|at| chars.get_mut(at))
            && let Some(composed) = compose(*slot, c)
        {
            *slot = composed;
            continue;
        }
        if class == 0 {
            starter = Some(kept);
            last_class = None;
        } else {
            last_class = Some(class);
        }
        if let Some(slot) = chars.get_mut(kept) {
            *slot = c;
        }
        kept = kept.saturating_add(1);
    }
    // The tail left behind stays in the allocation, which Zeroizing wipes whole on drop.
    chars.truncate(kept);
}

/// RFC 4013 s2.3: the prohibited output tables C.1.2 and C.2.1 through C.9.
fn is_prohibited(c: char) -> bool {
    tables::non_ascii_space_character(c)
        || tables::ascii_control_character(c)
        || tables::non_ascii_control_character(c)
        || tables::private_use(c)
        || tables::non_character_code_point(c)
        || tables::surrogate_code(c)
        || tables::inappropriate_for_plain_text(c)
        || tables::inappropriate_for_canonical_representation(c)
        || tables::change_display_properties_or_deprecated(c)
        || tables::tagging_character(c)
}

/// RFC 3454 s6: a string with a right-to-left character has no left-to-right character and
/// starts and ends with a right-to-left character.
fn violates_bidi_rules(s: &[char]) -> bool {
    if !s.iter().copied().any(tables::bidi_r_or_al) {
        return false;
    }
    let first_and_last_rtl = s.first().copied().is_some_and(tables::bidi_r_or_al)
        && s.last().copied().is_some_and(tables::bidi_r_or_al);
    s.iter().copied().any(tables::bidi_l) || !first_and_last_rtl
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4013_section3_examples() {
        assert_eq!(saslprep("I\u{AD}X").unwrap(), "IX");
        assert_eq!(saslprep("user").unwrap(), "user");
        assert_eq!(saslprep("USER").unwrap(), "USER");
        assert_eq!(saslprep("\u{AA}").unwrap(), "a");
        assert_eq!(saslprep("\u{2168}").unwrap(), "IX");
        assert!(saslprep("\u{7}").is_err());
        assert!(saslprep("\u{627}1").is_err());
    }

    #[test]
    fn zero_width_space_maps_to_nothing() {
        assert_eq!(saslprep("\u{200B}ab").unwrap(), "ab");
        assert_eq!(saslprep("a\u{200B}\u{A0}b").unwrap(), "a b");
    }

    #[test]
    fn unassigned_code_points_pass_as_a_query() {
        // U+1F600 and U+0221 are unassigned in Unicode 3.2 (RFC 3454 table A.1).
        assert!(tables::unassigned_code_point('\u{1F600}'));
        assert!(tables::unassigned_code_point('\u{221}'));
        assert_eq!(saslprep("pen\u{1F600}cil").unwrap(), "pen\u{1F600}cil");
        assert_eq!(saslprep("\u{221}").unwrap(), "\u{221}");
    }

    #[test]
    fn prohibited_output_is_checked_after_normalization() {
        // Ideographic space U+3000 maps to SPACE; U+E000 is private use; U+FFFF a non-character.
        assert_eq!(saslprep("a\u{3000}b").unwrap(), "a b");
        assert!(saslprep("a\u{E000}").is_err());
        assert!(saslprep("\u{FFFF}").is_err());
        assert_eq!(saslprep("\u{AD}").unwrap(), "");
    }

    /// The reference: the same mapping, then unicode-normalization's own NFKC iterator.
    fn reference(input: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        mapped(input).nfkc().collect()
    }

    fn ours(input: &str) -> String {
        prepared_chars(input).iter().collect()
    }

    #[test]
    fn normalization_cases() {
        // Marks of several classes out of order, composing and blocked; Hangul jamo; a
        // composition exclusion (U+0958 stays decomposed); long compatibility decompositions.
        for input in [
            "a\u{301}\u{327}",
            "e\u{301}\u{30a}\u{30b}\u{30c}\u{30d}\u{30e}\u{302}\u{303}x",
            "\u{1100}\u{1161}\u{11A8}\u{AC00}\u{11A8}",
            "\u{958}\u{915}\u{93C}",
            "\u{3300}\u{FDFA}\u{FB01}\u{2168}\u{1E9B}\u{323}",
            "\u{301}\u{300}a",
            "\u{F73}\u{F75}\u{344}",
        ] {
            assert_eq!(ours(input), reference(input), "{input:?}");
        }
        assert_eq!(ours("a\u{327}\u{301}"), "\u{E1}\u{327}");
    }

    proptest::proptest! {
        /// NFKC here equals unicode-normalization's on any string, weighted towards the
        /// characters normalization moves, joins or expands.
        #[test]
        fn normalization_matches_unicode_normalization(chars in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(vec![
                    'a', 'e', 'A', ' ', '\u{300}', '\u{301}', '\u{302}', '\u{308}', '\u{316}',
                    '\u{323}', '\u{327}', '\u{328}', '\u{345}', '\u{344}', '\u{5B0}',
                    '\u{5C1}', '\u{E38}', '\u{F71}', '\u{F72}', '\u{F73}', '\u{F74}',
                    '\u{1100}', '\u{1161}', '\u{11A8}', '\u{AC00}', '\u{3099}', '\u{304B}',
                    '\u{3300}', '\u{FDFA}', '\u{FB01}', '\u{958}', '\u{93C}', '\u{915}',
                    '\u{1E9B}', '\u{212B}', '\u{AD}', '\u{A0}', '\u{200B}',
                ]),
                proptest::prelude::any::<char>(),
            ],
            0..48,
        )) {
            let input: String = chars.into_iter().collect();
            proptest::prop_assert_eq!(ours(&input), reference(&input));
        }
    }

    #[test]
    fn bidi_rules() {
        assert_eq!(saslprep("\u{627}\u{628}").unwrap(), "\u{627}\u{628}");
        assert!(saslprep("\u{627}a\u{628}").is_err());
        assert!(saslprep("1\u{627}").is_err());
    }
}

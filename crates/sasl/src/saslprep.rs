//! SASLprep (RFC 4013), the stringprep profile applied to user names and passwords.
//!
//! SCRAM prepares strings as "queries" (RFC 5802 s5.1, RFC 3454 s7): code points unassigned in
//! Unicode 3.2 are allowed, so a password with a newer character (an emoji, say) still works.
//! The steps are written here over the stringprep crate's RFC 3454 tables because that crate's
//! `saslprep` refuses unassigned code points ("stored string" rules) and leaves copies of the
//! input in freed memory.

use std::borrow::Cow;

use stringprep::tables;
use unicode_normalization::UnicodeNormalization;
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
    // Count first so the output is allocated once: growing a String frees partial copies.
    let len = prepared_chars(input).map(char::len_utf8).sum();
    let mut out = Zeroizing::new(String::with_capacity(len));
    out.extend(prepared_chars(input));
    if out.chars().any(is_prohibited) || violates_bidi_rules(&out) {
        return Err(Error::Saslprep);
    }
    Ok(Cow::Owned(core::mem::take(&mut *out)))
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

/// RFC 4013 s2.1 mapping followed by s2.2 normalization, lazily.
fn prepared_chars(input: &str) -> impl Iterator<Item = char> + '_ {
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
        .nfkc()
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
fn violates_bidi_rules(s: &str) -> bool {
    if !s.chars().any(tables::bidi_r_or_al) {
        return false;
    }
    let first_and_last_rtl = s.chars().next().is_some_and(tables::bidi_r_or_al)
        && s.chars().next_back().is_some_and(tables::bidi_r_or_al);
    s.chars().any(tables::bidi_l) || !first_and_last_rtl
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

    #[test]
    fn bidi_rules() {
        assert_eq!(saslprep("\u{627}\u{628}").unwrap(), "\u{627}\u{628}");
        assert!(saslprep("\u{627}a\u{628}").is_err());
        assert!(saslprep("1\u{627}").is_err());
    }
}

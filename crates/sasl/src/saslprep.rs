//! SASLprep (RFC 4013), the stringprep profile applied to user names and passwords.

use std::borrow::Cow;

use crate::Error;

/// Prepares `input` with SASLprep (RFC 4013): maps non-ASCII spaces to SPACE and removes
/// "commonly mapped to nothing" characters, normalizes to NFKC, and refuses prohibited
/// characters and bidi violations. Unassigned code points are allowed (a "query", RFC 3454 s7).
///
/// # Errors
/// [`Error::Saslprep`] when the string is refused.
pub fn saslprep(input: &str) -> Result<Cow<'_, str>, Error> {
    // U+200B is in both B.1 (map to nothing) and C.1.2 (map to SPACE). Mapping it to nothing,
    // as Python's stringprep, scramp and libidn do, keeps our SCRAM keys equal to theirs;
    // the stringprep crate maps it to SPACE, so remove it before handing over.
    if input.contains(ZERO_WIDTH_SPACE) {
        let stripped: String = input.chars().filter(|&c| c != ZERO_WIDTH_SPACE).collect();
        return stringprep::saslprep(&stripped)
            .map(|s| Cow::Owned(s.into_owned()))
            .map_err(|_| Error::Saslprep);
    }
    stringprep::saslprep(input).map_err(|_| Error::Saslprep)
}

const ZERO_WIDTH_SPACE: char = '\u{200B}';

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
}

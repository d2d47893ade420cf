//! The only references restricted XML allows: the five predefined entities
//! and character references (RFC 6120 section 11.1).

use crate::Error;

/// Appends `text` escaped for a double-quoted attribute value or character data.
pub(crate) fn escape_into(text: &str, out: &mut String) {
    let mut rest = text;
    // Every byte that needs escaping is ASCII, so the cuts fall between characters.
    while let Some(pos) = rest.bytes().position(needs_escape) {
        out.push_str(rest.get(..pos).unwrap_or_default());
        out.push_str(match rest.as_bytes().get(pos) {
            Some(b'&') => "&amp;",
            Some(b'<') => "&lt;",
            Some(b'>') => "&gt;",
            Some(b'"') => "&quot;",
            Some(b'\'') => "&apos;",
            Some(b'\t') => "&#9;",
            Some(b'\n') => "&#10;",
            _ => "&#13;",
        });
        rest = rest.get(pos + 1..).unwrap_or_default();
    }
    out.push_str(rest);
}

/// Whether a byte is written as a reference by [`escape_into`].
pub(crate) fn needs_escape(b: u8) -> bool {
    matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | b'\t' | b'\n' | b'\r')
}

/// Resolves the references in a raw attribute value.
pub(crate) fn unescape(raw: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(pos) = rest.find('&') {
        let (plain, tail) = rest.split_at(pos);
        out.push_str(plain);
        let end = tail
            .find(';')
            .ok_or(Error::NotWellFormed("unterminated reference"))?;
        let name = tail.get(1..end).unwrap_or_default();
        out.push(resolve(name)?);
        rest = tail.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

/// Checks every reference in a raw attribute value without building a string.
pub(crate) fn check_references(raw: &str) -> Result<(), Error> {
    let mut rest = raw;
    while let Some(pos) = rest.find('&') {
        let tail = rest.get(pos..).unwrap_or_default();
        let end = tail
            .find(';')
            .ok_or(Error::NotWellFormed("unterminated reference"))?;
        resolve(tail.get(1..end).unwrap_or_default())?;
        rest = tail.get(end + 1..).unwrap_or_default();
    }
    Ok(())
}

/// Resolves one reference name (without `&` and `;`).
pub(crate) fn resolve(name: &str) -> Result<char, Error> {
    match name {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        _ => {
            let Some(number) = name.strip_prefix('#') else {
                return if name.is_empty() {
                    Err(Error::NotWellFormed("empty reference"))
                } else {
                    Err(Error::RestrictedXml("entity reference"))
                };
            };
            let value = match number.strip_prefix('x') {
                Some(hex) => parse_digits(hex, 16),
                None => parse_digits(number, 10),
            }
            .ok_or(Error::NotWellFormed("bad character reference"))?;
            char::from_u32(value)
                .filter(|c| is_xml_char(*c))
                .ok_or(Error::NotWellFormed(
                    "character reference to a non-XML character",
                ))
        }
    }
}

fn parse_digits(digits: &str, radix: u32) -> Option<u32> {
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    u32::from_str_radix(digits, radix).ok()
}

/// XML 1.0 `Char`: tab, newline, carriage return and U+0020 upwards, minus
/// surrogates (impossible in `char`) and U+FFFE/U+FFFF.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_and_character_references() {
        assert_eq!(
            unescape("a&amp;b&lt;&gt;&quot;&apos;&#65;&#x42;").unwrap(),
            "a&b<>\"'AB"
        );
    }

    #[test]
    fn other_entities_are_restricted() {
        assert_eq!(
            unescape("&lol;"),
            Err(Error::RestrictedXml("entity reference"))
        );
        assert!(matches!(unescape("&#0;"), Err(Error::NotWellFormed(_))));
        assert!(matches!(unescape("&#xD800;"), Err(Error::NotWellFormed(_))));
        assert!(matches!(unescape("&amp"), Err(Error::NotWellFormed(_))));
        assert!(matches!(unescape("&#x;"), Err(Error::NotWellFormed(_))));
    }

    #[test]
    fn escape_round_trips() {
        let text = "<a href=\"x\">'&'\t\r\n</a>";
        let mut escaped = String::new();
        escape_into(text, &mut escaped);
        assert!(!escaped.contains(['<', '"', '\n']));
        assert_eq!(unescape(&escaped).unwrap(), text);
    }
}

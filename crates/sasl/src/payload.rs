//! The base64 layer RFC 6120 s6.4 puts around SASL data in `<auth/>`, `<challenge/>`,
//! `<response/>` and `<success/>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::Error;

/// Encodes a challenge, response or success payload; empty data is an empty element.
#[must_use]
pub fn encode_payload(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// Encodes the initial response of `<auth/>`: empty data is sent as `=` so the receiver can
/// tell "present but empty" from "absent" (RFC 6120 s6.4.2). The text is wiped when dropped:
/// PLAIN's carries the password.
#[must_use]
pub fn encode_initial_response(data: &[u8]) -> Zeroizing<String> {
    if data.is_empty() {
        return Zeroizing::new("=".to_owned());
    }
    // Sized up front: a String that grows frees partial copies.
    let mut text = Zeroizing::new(String::with_capacity(
        base64::encoded_len(data.len(), true).unwrap_or(0),
    ));
    STANDARD.encode_string(data, &mut text);
    text
}

/// Decodes a payload: `=` and the empty string are empty data; anything else must be padded
/// base64 without whitespace. `max_len` bounds the decoded size and is checked first.
///
/// # Errors
/// [`Error::Base64`] (`incorrect-encoding`) or [`Error::TooLong`].
pub fn decode_payload(text: &str, max_len: usize) -> Result<Vec<u8>, Error> {
    if text.is_empty() || text == "=" {
        return Ok(Vec::new());
    }
    let len = text.len() / 4 * 3;
    if len > max_len.saturating_add(2) {
        return Err(Error::TooLong {
            len,
            limit: max_len,
        });
    }
    let data = STANDARD
        .decode(text)
        .map_err(|_| Error::Base64("payload"))?;
    if data.len() > max_len {
        return Err(Error::TooLong {
            len: data.len(),
            limit: max_len,
        });
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_forms() {
        assert_eq!(*encode_initial_response(b""), "=");
        assert_eq!(*encode_initial_response(b"\0tim\0pw"), "AHRpbQBwdw==");
        assert_eq!(encode_payload(b""), "");
        assert_eq!(decode_payload("=", 10).unwrap(), b"");
        assert_eq!(decode_payload("", 10).unwrap(), b"");
    }

    #[test]
    fn strict_base64_and_limits() {
        assert_eq!(decode_payload("c2lyaGM=", 10).unwrap(), b"sirhc");
        assert_eq!(decode_payload("c2lyaGM", 10), Err(Error::Base64("payload")));
        assert_eq!(
            decode_payload("c2ly aGM=", 10),
            Err(Error::Base64("payload"))
        );
        assert!(matches!(
            decode_payload("c2lyaGM=", 4),
            Err(Error::TooLong { .. })
        ));
        assert!(matches!(
            decode_payload(&"A".repeat(4000), 100),
            Err(Error::TooLong { .. })
        ));
        assert_eq!(
            Error::Base64("payload").failure().as_str(),
            "incorrect-encoding"
        );
    }
}

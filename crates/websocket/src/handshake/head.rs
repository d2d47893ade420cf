//! HTTP message heads, both directions: reading one within the limits and looking up
//! its fields; writing header lines whose names and values have been checked.

use super::error::{FieldError, HandshakeError};
use super::grammar::{is_field_value, is_token};
use super::{HandshakeLimits, extension};

/// Maps httparse's answer on `input_len` bytes onto the limits: `Ok(None)` while the
/// head is incomplete and still within them, the head's length once it is complete.
pub(crate) fn head_len(
    parsed: httparse::Result<usize>,
    input_len: usize,
    limits: &HandshakeLimits,
) -> Result<Option<usize>, HandshakeError> {
    match parsed {
        Ok(httparse::Status::Complete(n)) if n <= limits.max_head_size => Ok(Some(n)),
        Ok(httparse::Status::Partial) if input_len <= limits.max_head_size => Ok(None),
        Ok(_) | Err(httparse::Error::TooManyHeaders) => Err(HandshakeError::TooLarge),
        Err(e) => Err(HandshakeError::Malformed(e.to_string())),
    }
}

/// Header lookups over a parsed head; names compare case-insensitively.
pub(crate) struct Fields<'h, 'b>(pub(crate) &'h [httparse::Header<'b>]);

impl<'b> Fields<'_, 'b> {
    /// The values of every field called `name`, leading and trailing whitespace removed.
    pub(crate) fn values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'b [u8]> + 's {
        self.0
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.trim_ascii())
    }

    /// The value of a field that may appear at most once; `BadHeader(name)` if it
    /// appears twice or is not UTF-8.
    pub(crate) fn single(&self, name: &'static str) -> Result<Option<&'b str>, HandshakeError> {
        let mut values = self.values(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(HandshakeError::BadHeader(name));
        }
        first
            .map(|v| std::str::from_utf8(v).map_err(|_| HandshakeError::BadHeader(name)))
            .transpose()
    }

    /// The value of a field that must appear exactly once.
    pub(crate) fn required(&self, name: &'static str) -> Result<&'b str, HandshakeError> {
        self.single(name)?.ok_or(HandshakeError::BadHeader(name))
    }

    /// Whether some field called `name` lists `token` (case-insensitively).
    pub(crate) fn has_token(&self, name: &str, token: &str) -> bool {
        self.values(name)
            .flat_map(|v| v.split(|b| *b == b','))
            .any(|item| item.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    }

    /// The tokens of every field called `name` (a `#token` list, e.g.
    /// `Sec-WebSocket-Protocol`); `BadHeader(name)` if an element is not a token.
    pub(crate) fn tokens(&self, name: &'static str) -> Result<Vec<String>, HandshakeError> {
        let mut tokens = Vec::new();
        for value in self.values(name) {
            let list =
                super::grammar::parse_token_list(value).ok_or(HandshakeError::BadHeader(name))?;
            tokens.extend(list);
        }
        Ok(tokens)
    }

    /// The extensions listed in every `Sec-WebSocket-Extensions` field, in order.
    pub(crate) fn extensions(&self) -> Result<Vec<extension::Extension>, HandshakeError> {
        let mut extensions = Vec::new();
        for value in self.values("sec-websocket-extensions") {
            extensions.extend(extension::parse_extensions(value)?);
        }
        Ok(extensions)
    }

    /// Every field as received, for what the handshake itself does not look at.
    pub(crate) fn all(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect()
    }
}

/// Checks caller-supplied header lines: names are tokens, values printable ASCII, and
/// none is one of `reserved` (compared case-insensitively), which the handshake writes
/// itself or which would change how the message is framed.
pub(crate) fn check_headers<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    reserved: &[&str],
) -> Result<(), FieldError> {
    for (name, value) in headers {
        if !is_token(name) {
            return Err(FieldError::HeaderName(name.to_owned()));
        }
        if reserved.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            return Err(FieldError::ReservedHeader(name.to_owned()));
        }
        if !is_field_value(value) {
            return Err(FieldError::HeaderValue(name.to_owned()));
        }
    }
    Ok(())
}

/// Borrows owned header pairs for [`check_headers`].
pub(crate) fn borrowed(headers: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
}

/// Appends one header line. Both parts must have been checked.
pub(crate) fn write_field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends a refusal (status line, `headers`, empty body, connection closed). Every
/// part must have been checked.
pub(crate) fn write_refusal(
    status: u16,
    reason: &str,
    headers: &[(&str, &str)],
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(format!("HTTP/1.1 {status} {reason}\r\n").as_bytes());
    for (name, value) in headers {
        write_field(out, name, value);
    }
    out.extend_from_slice(b"Connection: close\r\nContent-Length: 0\r\n\r\n");
}

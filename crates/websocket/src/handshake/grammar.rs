//! The grammar the handshake's header values follow: tokens and quoted strings
//! (RFC 7230 section 3.2.6), field values (section 3.2), the request target and
//! host (RFC 3986, RFC 7230 section 5.3.1), and serialized origins (RFC 6454).
//!
//! The `is_*` checks gate what we write; [`Cursor`] reads what the peer sent.

use std::collections::HashSet;

/// Whether `byte` may appear in a token (`tchar`).
pub(crate) fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Whether `text` is a token: one or more `tchar`.
pub(crate) fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_tchar)
}

/// Whether `text` may be written as a header field value: printable ASCII, spaces
/// and tabs inside, none at either end (a reader would trim them away).
pub(crate) fn is_field_value(text: &str) -> bool {
    let is_blank = |b: &u8| *b == b' ' || *b == b'\t';
    let bytes = text.as_bytes();
    bytes.iter().all(|b| b.is_ascii_graphic() || is_blank(b))
        && !bytes.first().is_some_and(is_blank)
        && !bytes.last().is_some_and(is_blank)
}

/// Whether `text` may be a reason phrase in a status line: printable ASCII, spaces and tabs.
pub(crate) fn is_reason_phrase(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_graphic() || b == b' ' || b == b'\t')
}

/// Whether `text` is an origin-form request target: an absolute path and an optional
/// query (RFC 7230 section 5.3.1). No fragment (RFC 6455 section 3), no spaces, no
/// control characters; anything else must be percent-encoded by the caller.
pub(crate) fn is_request_target(text: &str) -> bool {
    text.starts_with('/') && uri_chars_ok(text, |b| is_pchar(b) || b == b'/' || b == b'?')
}

/// Whether `text` is a `Host` value: a URI host and an optional port (RFC 7230 section 5.4).
pub(crate) fn is_host(text: &str) -> bool {
    let Some((host, port)) = split_port(text) else {
        return false;
    };
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        // An IP literal (RFC 3986 section 3.2.2), IPv6 or IPvFuture.
        Some(literal) => {
            !literal.is_empty()
                && uri_chars_ok(literal, |b| {
                    is_unreserved(b) || is_sub_delim(b) || b == b':'
                })
        }
        // An IPv4 address or a registered name.
        None => !host.is_empty() && uri_chars_ok(host, |b| is_unreserved(b) || is_sub_delim(b)),
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// Splits `host[:port]` after the host; an IP literal keeps its colons inside brackets.
fn split_port(text: &str) -> Option<(&str, Option<&str>)> {
    let host_len = if text.starts_with('[') {
        text.find(']')
            .map_or(text.len(), |close| close.saturating_add(1))
    } else {
        text.find(':').unwrap_or(text.len())
    };
    let (host, rest) = text.split_at_checked(host_len)?;
    match rest {
        "" => Some((host, None)),
        _ => Some((host, Some(rest.strip_prefix(':')?))),
    }
}

/// Whether `text` is an `Origin` value: `null` or `scheme://host[:port]` (RFC 6454 section 6.2).
pub(crate) fn is_origin(text: &str) -> bool {
    if text == "null" {
        return true;
    }
    let Some((scheme, host)) = text.split_once("://") else {
        return false;
    };
    let mut scheme_bytes = scheme.bytes();
    let scheme_ok = scheme_bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme_bytes.all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.');
    scheme_ok && is_host(host)
}

/// Checks every byte of a URI part with `allowed`, and that each `%` starts a
/// percent-encoding (`%` and two hex digits).
fn uri_chars_ok(text: &str, allowed: impl Fn(u8) -> bool) -> bool {
    let mut bytes = text.bytes();
    while let Some(byte) = bytes.next() {
        if byte == b'%' {
            let hex = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_hexdigit());
            if !(hex(bytes.next()) && hex(bytes.next())) {
                return false;
            }
        } else if !allowed(byte) {
            return false;
        }
    }
    true
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~".contains(&byte)
}

fn is_sub_delim(byte: u8) -> bool {
    b"!$&'()*+,;=".contains(&byte)
}

fn is_pchar(byte: u8) -> bool {
    is_unreserved(byte) || is_sub_delim(byte) || byte == b':' || byte == b'@'
}

/// Reads a header value from left to right: tokens, quoted strings, separators and
/// optional whitespace. Offsets it reports count from the start of the value.
pub(crate) struct Cursor<'a> {
    rest: &'a [u8],
    len: usize,
}

/// Why a quoted string could not be read.
pub(crate) enum QuotedError {
    /// The value ended before the closing quote.
    Unterminated,
    /// A byte a quoted string may not hold (a control character).
    BadByte,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(value: &'a [u8]) -> Self {
        Self {
            rest: value,
            len: value.len(),
        }
    }

    /// The offset of the next unread byte.
    pub(crate) fn offset(&self) -> usize {
        self.len.saturating_sub(self.rest.len())
    }

    pub(crate) fn at_end(&self) -> bool {
        self.rest.is_empty()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Skips optional whitespace (spaces and tabs).
    pub(crate) fn skip_ows(&mut self) {
        let blanks = self
            .rest
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        self.rest = self.rest.get(blanks..).unwrap_or_default();
    }

    /// Consumes `byte` if it is next.
    pub(crate) fn eat(&mut self, byte: u8) -> bool {
        match self.rest.split_first() {
            Some((first, rest)) if *first == byte => {
                self.rest = rest;
                true
            }
            _ => false,
        }
    }

    /// Reads a token, if one starts here.
    pub(crate) fn token(&mut self) -> Option<&'a str> {
        let len = self.rest.iter().take_while(|b| is_tchar(**b)).count();
        let (token, rest) = self.rest.split_at_checked(len)?;
        if token.is_empty() {
            return None;
        }
        self.rest = rest;
        // Token bytes are ASCII, so this cannot fail.
        std::str::from_utf8(token).ok()
    }

    /// Reads a quoted string starting at its opening quote and returns its content with
    /// each quoted-pair (`\x`) replaced by the byte it protects.
    pub(crate) fn quoted_string(&mut self) -> Result<Vec<u8>, QuotedError> {
        if !self.eat(b'"') {
            return Err(QuotedError::BadByte);
        }
        let mut content = Vec::new();
        loop {
            let Some((&byte, rest)) = self.rest.split_first() else {
                return Err(QuotedError::Unterminated);
            };
            self.rest = rest;
            match byte {
                b'"' => return Ok(content),
                b'\\' => {
                    let Some((&escaped, rest)) = self.rest.split_first() else {
                        return Err(QuotedError::Unterminated);
                    };
                    if !is_quoted_text(escaped) && escaped != b'"' && escaped != b'\\' {
                        return Err(QuotedError::BadByte);
                    }
                    self.rest = rest;
                    content.push(escaped);
                }
                _ if is_quoted_text(byte) => content.push(byte),
                _ => return Err(QuotedError::BadByte),
            }
        }
    }
}

/// `qdtext`: what a quoted string holds without escaping (everything visible except
/// `"` and `\`, spaces, tabs, and obs-text).
fn is_quoted_text(byte: u8) -> bool {
    byte == b'\t'
        || byte == b' '
        || (byte.is_ascii_graphic() && byte != b'"' && byte != b'\\')
        || byte >= 0x80
}

/// Reads a comma-separated list of tokens (`#token`), skipping empty elements
/// (RFC 7230 section 7). `None` if an element is not a token.
pub(crate) fn parse_token_list(value: &[u8]) -> Option<Vec<String>> {
    let mut cursor = Cursor::new(value);
    let mut tokens = Vec::new();
    loop {
        cursor.skip_ows();
        if cursor.at_end() {
            return Some(tokens);
        }
        if cursor.eat(b',') {
            continue;
        }
        tokens.push(cursor.token()?.to_owned());
        cursor.skip_ows();
        if !cursor.at_end() && !cursor.eat(b',') {
            return None;
        }
    }
}

/// The first name that appears a second time in a list whose elements must be distinct.
pub(crate) fn first_repeat<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = HashSet::new();
    names.into_iter().find(|name| !seen.insert(*name))
}

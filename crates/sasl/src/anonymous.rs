//! ANONYMOUS (RFC 4505 s3): an optional trace token, at most 255 characters.

use crate::Error;

/// Longest trace token, in Unicode characters (RFC 4505 s3).
pub(crate) const MAX_TRACE_CHARS: usize = 255;

/// Checks a received trace token and returns it (`None` when empty).
pub(crate) fn decode(msg: &[u8]) -> Result<Option<&str>, Error> {
    let trace = core::str::from_utf8(msg).map_err(|_| Error::Malformed("trace is not UTF-8"))?;
    check(trace)?;
    Ok((!trace.is_empty()).then_some(trace))
}

/// A trace token must be short and free of control characters that would confuse logs.
pub(crate) fn check(trace: &str) -> Result<(), Error> {
    if trace.chars().count() > MAX_TRACE_CHARS {
        return Err(Error::Malformed("trace longer than 255 characters"));
    }
    if trace.chars().any(char::is_control) {
        return Err(Error::Malformed("control character in trace"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4505_trace() {
        assert_eq!(decode(b"sirhc").unwrap(), Some("sirhc"));
        assert_eq!(decode(b"").unwrap(), None);
        assert!(decode("x".repeat(256).as_bytes()).is_err());
        assert!(decode("\u{e9}".repeat(255).as_bytes()).is_ok());
        assert!(decode(b"a\0b").is_err());
    }
}

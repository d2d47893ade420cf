//! EXTERNAL (RFC 4422 Appendix A): the client may name an authorization identity; who it is
//! comes from outside SASL (a TLS client certificate).

use crate::Error;

/// Returns the requested authzid (`None` when empty, meaning "derive it from my credentials").
pub(crate) fn decode(msg: &[u8]) -> Result<Option<&str>, Error> {
    let authzid =
        core::str::from_utf8(msg).map_err(|_| Error::Malformed("authzid is not UTF-8"))?;
    if authzid.contains('\0') {
        return Err(Error::InvalidAuthzid);
    }
    Ok((!authzid.is_empty()).then_some(authzid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authzid_forms() {
        assert_eq!(decode(b"").unwrap(), None);
        assert_eq!(
            decode(b"juliet@example.com").unwrap(),
            Some("juliet@example.com")
        );
        assert!(decode(b"\xc3").is_err());
        assert!(decode(b"a\0").is_err());
    }
}

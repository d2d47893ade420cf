//! PLAIN (RFC 4616 s2): `[authzid] NUL authcid NUL passwd`.

use zeroize::Zeroizing;

use crate::Error;

/// The three fields of a PLAIN message, borrowed from it.
pub(crate) struct PlainMessage<'a> {
    pub(crate) authzid: Option<&'a str>,
    pub(crate) authcid: &'a str,
    pub(crate) password: &'a str,
}

/// Hand-written so the password never reaches a log.
impl core::fmt::Debug for PlainMessage<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PlainMessage")
            .field("authzid", &self.authzid)
            .field("authcid", &self.authcid)
            .finish_non_exhaustive()
    }
}

/// Builds the message; the password bytes are wiped when the result is dropped.
pub(crate) fn encode(
    authzid: Option<&str>,
    authcid: &str,
    password: &str,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let authzid = authzid.unwrap_or_default();
    if authcid.is_empty() || password.is_empty() {
        return Err(Error::InvalidArgument(
            "PLAIN needs a user name and a password",
        ));
    }
    if [authzid, authcid, password]
        .iter()
        .any(|s| s.contains('\0'))
    {
        return Err(Error::InvalidArgument("NUL in a PLAIN field"));
    }
    let mut out = Zeroizing::new(Vec::with_capacity(
        authzid.len() + authcid.len() + password.len() + 2,
    ));
    out.extend_from_slice(authzid.as_bytes());
    out.push(0);
    out.extend_from_slice(authcid.as_bytes());
    out.push(0);
    out.extend_from_slice(password.as_bytes());
    Ok(out)
}

/// Splits a message; authcid and password must be non-empty UTF-8 (RFC 4616 s2).
pub(crate) fn decode(msg: &[u8]) -> Result<PlainMessage<'_>, Error> {
    let msg = core::str::from_utf8(msg).map_err(|_| Error::Malformed("PLAIN is not UTF-8"))?;
    let mut parts = msg.split('\0');
    let (Some(authzid), Some(authcid), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::Malformed("PLAIN needs exactly two NUL separators"));
    };
    if authcid.is_empty() || password.is_empty() {
        return Err(Error::Malformed("empty PLAIN authcid or password"));
    }
    Ok(PlainMessage {
        authzid: (!authzid.is_empty()).then_some(authzid),
        authcid,
        password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4616_examples() {
        let m = encode(None, "tim", "tanstaaftanstaaf").unwrap();
        assert_eq!(&m[..], b"\0tim\0tanstaaftanstaaf");
        let m = encode(Some("Ursel"), "Kurt", "xipj3plmq").unwrap();
        let d = decode(&m).unwrap();
        assert_eq!(d.authzid, Some("Ursel"));
        assert_eq!(d.authcid, "Kurt");
        assert_eq!(d.password, "xipj3plmq");
    }

    #[test]
    fn refuses_bad_shapes() {
        for bad in [
            &b"tim\0pw"[..],
            b"\0\0pw",
            b"\0tim\0",
            b"a\0b\0c\0d",
            b"\0\xff\0pw",
        ] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
        assert!(encode(None, "a\0b", "pw").is_err());
    }

    #[test]
    fn debug_hides_the_password() {
        let d = decode(b"admin\0tim\0hunter2").unwrap();
        let shown = format!("{d:?}");
        assert!(shown.contains("tim") && shown.contains("admin"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}

//! The SCRAM message grammar of RFC 5802 s7: parsing borrows from the received bytes, so the
//! AuthMessage is always built from exactly what was exchanged.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::Error;
use crate::channel_binding::is_cb_name;

/// The gs2-cbind-flag (RFC 5802 s7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CbFlag<'a> {
    /// `n`: the client does not support channel binding.
    None,
    /// `y`: the client supports it but thinks the server does not.
    ClientOnly,
    /// `p=name`: the client uses channel binding of this type.
    Used(&'a str),
}

/// A parsed client-first-message.
#[derive(Debug)]
pub(crate) struct ClientFirst<'a> {
    /// The gs2 header with both commas, exactly as received; repeated inside `c=` later.
    pub(crate) gs2_header: &'a str,
    pub(crate) flag: CbFlag<'a>,
    pub(crate) authzid: Option<String>,
    /// client-first-message-bare, the first part of the AuthMessage.
    pub(crate) bare: &'a str,
    /// The user name with `=2C`/`=3D` decoded (borrowed when it has none).
    pub(crate) username: Cow<'a, str>,
    pub(crate) nonce: &'a str,
}

/// A parsed server-first-message.
#[derive(Debug)]
pub(crate) struct ServerFirst<'a> {
    pub(crate) nonce: &'a str,
    pub(crate) salt: Vec<u8>,
    pub(crate) iterations: u32,
    /// XEP-0474 `h=` value, if present. Other extensions are ignored.
    pub(crate) downgrade_hash: Option<&'a str>,
}

/// A parsed client-final-message.
#[derive(Debug)]
pub(crate) struct ClientFinal<'a> {
    /// client-final-message-without-proof, the last part of the AuthMessage.
    pub(crate) without_proof: &'a str,
    pub(crate) channel_binding: Vec<u8>,
    pub(crate) nonce: &'a str,
    pub(crate) proof: Vec<u8>,
}

/// A parsed server-final-message.
#[derive(Debug)]
pub(crate) enum ServerFinal<'a> {
    Verifier(Vec<u8>),
    Error(&'a str),
}

/// Parses a client-first-message.
pub(crate) fn parse_client_first(msg: &[u8]) -> Result<ClientFirst<'_>, Error> {
    let msg = utf8(msg)?;
    let (flag_part, rest) = msg.split_once(',').ok_or(Error::Malformed("gs2 header"))?;
    let (authzid_part, bare) = rest.split_once(',').ok_or(Error::Malformed("gs2 header"))?;
    let header_len = flag_part.len() + authzid_part.len() + 2;
    let gs2_header = msg
        .get(..header_len)
        .ok_or(Error::Malformed("gs2 header"))?;
    let flag = match flag_part {
        "n" => CbFlag::None,
        "y" => CbFlag::ClientOnly,
        other => match other.strip_prefix("p=") {
            Some(name) if is_cb_name(name) => CbFlag::Used(name),
            _ => return Err(Error::Malformed("gs2-cbind-flag")),
        },
    };
    let authzid = match authzid_part {
        "" => None,
        other => match other.strip_prefix("a=") {
            Some(name) if !name.is_empty() => Some(
                unescape_saslname(name)
                    .map_err(|_| Error::InvalidAuthzid)?
                    .into_owned(),
            ),
            _ => return Err(Error::Malformed("gs2 authzid")),
        },
    };
    let mut attrs = Attrs::new(bare);
    let username = match attrs.next_attr()? {
        Some((b'm', _)) => return Err(Error::ExtensionNotSupported),
        Some((b'n', name)) if !name.is_empty() => unescape_saslname(name)?,
        _ => return Err(Error::Malformed("expected n=")),
    };
    let nonce = expect_nonce(attrs.next_attr()?)?;
    attrs.skip_extensions()?;
    Ok(ClientFirst {
        gs2_header,
        flag,
        authzid,
        bare,
        username,
        nonce,
    })
}

/// Parses a server-first-message.
pub(crate) fn parse_server_first(msg: &[u8]) -> Result<ServerFirst<'_>, Error> {
    let msg = utf8(msg)?;
    let mut attrs = Attrs::new(msg);
    let nonce = match attrs.next_attr()? {
        Some((b'm', _)) => return Err(Error::ExtensionNotSupported),
        other => expect_nonce(other)?,
    };
    let salt = match attrs.next_attr()? {
        Some((b's', value)) => decode_b64(value, "salt")?,
        _ => return Err(Error::Malformed("expected s=")),
    };
    if salt.is_empty() {
        return Err(Error::Malformed("empty salt"));
    }
    let iterations = match attrs.next_attr()? {
        Some((b'i', value)) => parse_iterations(value)?,
        _ => return Err(Error::Malformed("expected i=")),
    };
    let mut downgrade_hash = None;
    while let Some((name, value)) = attrs.next_attr()? {
        if name == b'h' {
            downgrade_hash = Some(value);
        }
    }
    Ok(ServerFirst {
        nonce,
        salt,
        iterations,
        downgrade_hash,
    })
}

/// Parses a client-final-message.
pub(crate) fn parse_client_final(msg: &[u8]) -> Result<ClientFinal<'_>, Error> {
    let msg = utf8(msg)?;
    // The proof is always the last attribute (RFC 5802 s7), so split there.
    let (without_proof, proof) = msg
        .rsplit_once(",p=")
        .ok_or(Error::Malformed("expected p="))?;
    if proof.contains(',') {
        return Err(Error::Malformed("p= must be last"));
    }
    let proof = decode_b64(proof, "proof")?;
    let mut attrs = Attrs::new(without_proof);
    let channel_binding = match attrs.next_attr()? {
        Some((b'c', value)) => decode_b64(value, "channel binding")?,
        _ => return Err(Error::Malformed("expected c=")),
    };
    let nonce = expect_nonce(attrs.next_attr()?)?;
    attrs.skip_extensions()?;
    Ok(ClientFinal {
        without_proof,
        channel_binding,
        nonce,
        proof,
    })
}

/// Parses a server-final-message.
pub(crate) fn parse_server_final(msg: &[u8]) -> Result<ServerFinal<'_>, Error> {
    let msg = utf8(msg)?;
    let mut attrs = Attrs::new(msg);
    let result = match attrs.next_attr()? {
        Some((b'v', value)) => ServerFinal::Verifier(decode_b64(value, "verifier")?),
        Some((b'e', value)) if !value.is_empty() => ServerFinal::Error(value),
        _ => return Err(Error::Malformed("expected v= or e=")),
    };
    attrs.skip_extensions()?;
    Ok(result)
}

/// Encodes a saslname: `,` becomes `=2C` and `=` becomes `=3D` (RFC 5802 s5.1).
pub(crate) fn escape_saslname(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            ',' => out.push_str("=2C"),
            '=' => out.push_str("=3D"),
            c => out.push(c),
        }
    }
    out
}

/// Decodes a saslname; any `=` not starting `=2C` or `=3D` is
/// [`Error::InvalidUsernameEncoding`] (`e=invalid-username-encoding`).
pub(crate) fn unescape_saslname(name: &str) -> Result<Cow<'_, str>, Error> {
    if !name.contains('=') {
        return Ok(Cow::Borrowed(name));
    }
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some((head, tail)) = rest.split_once('=') {
        out.push_str(head);
        if let Some(t) = tail.strip_prefix("2C") {
            out.push(',');
            rest = t;
        } else if let Some(t) = tail.strip_prefix("3D") {
            out.push('=');
            rest = t;
        } else {
            return Err(Error::InvalidUsernameEncoding);
        }
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// `printable = %x21-2B / %x2D-7E` (RFC 5802 s7), non-empty.
pub(crate) fn is_printable(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b',')
}

pub(crate) fn encode_b64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// Appends the base64 of `data` to `out`, without a String of its own.
pub(crate) fn push_b64(out: &mut String, data: &[u8]) {
    STANDARD.encode_string(data, out);
}

fn decode_b64(value: &str, what: &'static str) -> Result<Vec<u8>, Error> {
    STANDARD.decode(value).map_err(|_| Error::Base64(what))
}

fn utf8(msg: &[u8]) -> Result<&str, Error> {
    core::str::from_utf8(msg).map_err(|_| Error::Malformed("not UTF-8"))
}

fn expect_nonce(attr: Option<(u8, &str)>) -> Result<&str, Error> {
    match attr {
        Some((b'r', nonce)) if is_printable(nonce) => Ok(nonce),
        _ => Err(Error::Malformed("expected r=")),
    }
}

/// `posit-number = %x31-39 *DIGIT`; an overflowing count is malformed.
fn parse_iterations(value: &str) -> Result<u32, Error> {
    if !value.bytes().all(|b| b.is_ascii_digit()) || value.starts_with('0') {
        return Err(Error::Malformed("iteration count"));
    }
    value
        .parse()
        .map_err(|_| Error::Malformed("iteration count"))
}

/// Splits `a=value,b=value` into attributes, refusing anything that is not `ALPHA "=" value`.
struct Attrs<'a> {
    rest: Option<&'a str>,
}

impl<'a> Attrs<'a> {
    fn new(s: &'a str) -> Self {
        Self { rest: Some(s) }
    }

    fn next_attr(&mut self) -> Result<Option<(u8, &'a str)>, Error> {
        let Some(rest) = self.rest else {
            return Ok(None);
        };
        let (part, tail) = match rest.split_once(',') {
            Some((part, tail)) => (part, Some(tail)),
            None => (rest, None),
        };
        self.rest = tail;
        match part.as_bytes() {
            [name, b'=', ..] if name.is_ascii_alphabetic() => {
                Ok(Some((*name, part.get(2..).unwrap_or_default())))
            }
            _ => Err(Error::Malformed("attribute")),
        }
    }

    /// Extensions are allowed (and ignored) as long as they are well formed.
    fn skip_extensions(&mut self) -> Result<(), Error> {
        while self.next_attr()?.is_some() {}
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trip() {
        assert_eq!(escape_saslname("us,er=x"), "us=2Cer=3Dx");
        assert_eq!(unescape_saslname("us=2Cer=3Dx").unwrap(), "us,er=x");
        assert!(unescape_saslname("a=2").is_err());
        assert!(unescape_saslname("a=41").is_err());
        assert!(unescape_saslname("a=").is_err());
    }

    #[test]
    fn client_first_fields() {
        let m = parse_client_first(b"n,a=ad=2Cmin,n=user,r=abc").unwrap();
        assert_eq!(m.gs2_header, "n,a=ad=2Cmin,");
        assert_eq!(m.authzid.as_deref(), Some("ad,min"));
        assert_eq!(m.bare, "n=user,r=abc");
        assert_eq!(m.flag, CbFlag::None);
        let m = parse_client_first(b"p=tls-unique,,n=u,r=x,z=ext").unwrap();
        assert_eq!(m.flag, CbFlag::Used("tls-unique"));
        assert_eq!(m.nonce, "x");
        assert!(matches!(
            parse_client_first(b"n,,m=x,n=u,r=x"),
            Err(Error::ExtensionNotSupported)
        ));
        for bad in [
            &b"n,,n=u"[..],
            b"x,,n=u,r=a",
            b"p=,,n=u,r=a",
            b"n,b=x,n=u,r=a",
            b"n,,n=,r=a",
            b"n,,n=u,r=",
            b"n,,n=u,r=a,",
            b"n,,n=u,r=a,=x",
            b"n,,",
            b"n",
        ] {
            assert!(parse_client_first(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn server_first_keeps_optional_attributes() {
        let m = parse_server_first(b"r=abc,s=QSXCR+Q6sek8bf92,i=4096,h=xyz,q=other").unwrap();
        assert_eq!(m.iterations, 4096);
        assert_eq!(m.downgrade_hash, Some("xyz"));
        assert!(matches!(
            parse_server_first(b"m=x,r=abc,s=QSXC,i=1"),
            Err(Error::ExtensionNotSupported)
        ));
        for bad in [
            &b"r=abc,s=QSXC,i=0"[..],
            b"r=abc,s=QSXC,i=+1",
            b"r=abc,s=QSXC,i=01",
            b"r=abc,s=QSXC,i=99999999999",
            b"r=abc,s=,i=1",
            b"r=abc,s=!!,i=1",
            b"r=abc,i=1,s=QSXC",
        ] {
            assert!(parse_server_first(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn client_final_proof_last() {
        let m = parse_client_final(b"c=biws,r=abc,x=1,p=AAAA").unwrap();
        assert_eq!(m.without_proof, "c=biws,r=abc,x=1");
        assert_eq!(m.proof, vec![0, 0, 0]);
        assert!(parse_client_final(b"c=biws,p=AAAA,r=abc").is_err());
        assert!(parse_client_final(b"c=biws,r=abc").is_err());
    }

    #[test]
    fn server_final_forms() {
        assert!(matches!(
            parse_server_final(b"e=invalid-proof"),
            Ok(ServerFinal::Error("invalid-proof"))
        ));
        assert!(matches!(
            parse_server_final(b"v=AAAA,z=1"),
            Ok(ServerFinal::Verifier(_))
        ));
        assert!(parse_server_final(b"x=1").is_err());
        assert!(parse_server_final(b"").is_err());
    }
}

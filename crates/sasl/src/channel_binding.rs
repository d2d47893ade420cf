//! Channel-binding data supplied by the caller (RFC 5929, RFC 9266) and the XEP-0474
//! downgrade-protection hash.

use core::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::{Error, ScramHash};

/// Channel-binding data for one type, taken from the TLS layer by the caller.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelBinding {
    kind: String,
    data: Vec<u8>,
}

impl ChannelBinding {
    /// `kind` is the registered name (`tls-exporter`, `tls-server-end-point`, `tls-unique`);
    /// `data` the bytes that go after the gs2 header inside `c=`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `kind` is not a valid `cb-name` (letters, digits, `.`, `-`).
    pub fn new(kind: impl Into<String>, data: impl Into<Vec<u8>>) -> Result<Self, Error> {
        let kind = kind.into();
        if !is_cb_name(&kind) {
            return Err(Error::InvalidArgument("channel-binding type name"));
        }
        Ok(Self {
            kind,
            data: data.into(),
        })
    }

    /// The type name.
    #[must_use]
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The binding data.
    #[must_use]
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

impl fmt::Debug for ChannelBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelBinding")
            .field("kind", &self.kind)
            .field("len", &self.data.len())
            .finish()
    }
}

/// `cb-name = 1*(ALPHA / DIGIT / "." / "-")` (RFC 5802 s7).
pub(crate) fn is_cb_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// XEP-0474 SCRAM downgrade protection: what the server advertised, hashed into the `h=`
/// attribute of the server-first-message.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DowngradeProtection {
    /// The mechanism names in `<mechanisms/>`.
    pub mechanisms: Vec<String>,
    /// The XEP-0440 channel-binding types, or `None` when the server does not advertise them.
    pub channel_bindings: Option<Vec<String>>,
}

impl DowngradeProtection {
    /// The input to `H()`: mechanisms sorted by octet value and joined by 0x1E, then, if
    /// channel-binding types were advertised, 0x1F and the sorted types joined by 0x1E.
    #[must_use]
    pub fn input(&self) -> Vec<u8> {
        let mut mechs: Vec<&str> = self.mechanisms.iter().map(String::as_str).collect();
        mechs.sort_unstable();
        let mut out = mechs.join("\u{1e}").into_bytes();
        if let Some(cbs) = &self.channel_bindings {
            let mut cbs: Vec<&str> = cbs.iter().map(String::as_str).collect();
            cbs.sort_unstable();
            out.push(0x1f);
            out.extend_from_slice(cbs.join("\u{1e}").as_bytes());
        }
        out
    }

    /// The base64 value of `h=` for a SCRAM mechanism using `hash`.
    #[must_use]
    pub fn attribute_value(&self, hash: ScramHash) -> String {
        STANDARD.encode(hash.digest(&self.input()).as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cb_names() {
        assert!(ChannelBinding::new("tls-exporter", vec![1]).is_ok());
        assert!(ChannelBinding::new("tls,x", vec![1]).is_err());
        assert!(ChannelBinding::new("", vec![1]).is_err());
    }

    #[test]
    fn debug_hides_data() {
        let cb = ChannelBinding::new("tls-exporter", b"secret".to_vec()).unwrap();
        assert!(!format!("{cb:?}").contains("115"));
    }
}

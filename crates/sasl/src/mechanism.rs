//! Mechanism names (RFC 4422 s3.1).

use core::fmt;
use core::str::FromStr;

use crate::{Error, ScramHash};

/// A SASL mechanism this crate implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// PLAIN (RFC 4616).
    Plain,
    /// SCRAM-SHA-1 (RFC 5802).
    ScramSha1,
    /// SCRAM-SHA-1-PLUS (RFC 5802, channel binding).
    ScramSha1Plus,
    /// SCRAM-SHA-256 (RFC 7677).
    ScramSha256,
    /// SCRAM-SHA-256-PLUS (RFC 7677, channel binding).
    ScramSha256Plus,
    /// SCRAM-SHA-512.
    ScramSha512,
    /// SCRAM-SHA-512-PLUS.
    ScramSha512Plus,
    /// EXTERNAL (RFC 4422 Appendix A): identity from the TLS layer.
    External,
    /// ANONYMOUS (RFC 4505).
    Anonymous,
}

impl Mechanism {
    /// Every mechanism, strongest first.
    pub const ALL: [Self; 9] = [
        Self::ScramSha512Plus,
        Self::ScramSha256Plus,
        Self::ScramSha1Plus,
        Self::ScramSha512,
        Self::ScramSha256,
        Self::ScramSha1,
        Self::Plain,
        Self::External,
        Self::Anonymous,
    ];

    /// The client's default preference ([`crate::ClientConfig::preference`]): every password
    /// mechanism, strongest first. EXTERNAL and ANONYMOUS are left out because they change who
    /// the client is, not how it proves it.
    pub const DEFAULT_PREFERENCE: [Self; 7] = [
        Self::ScramSha512Plus,
        Self::ScramSha256Plus,
        Self::ScramSha1Plus,
        Self::ScramSha512,
        Self::ScramSha256,
        Self::ScramSha1,
        Self::Plain,
    ];

    /// The registered name, as it appears in `<mechanism/>`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::ScramSha1 => "SCRAM-SHA-1",
            Self::ScramSha1Plus => "SCRAM-SHA-1-PLUS",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha256Plus => "SCRAM-SHA-256-PLUS",
            Self::ScramSha512 => "SCRAM-SHA-512",
            Self::ScramSha512Plus => "SCRAM-SHA-512-PLUS",
            Self::External => "EXTERNAL",
            Self::Anonymous => "ANONYMOUS",
        }
    }

    /// The SCRAM hash, or `None` for non-SCRAM mechanisms.
    #[must_use]
    pub const fn scram_hash(self) -> Option<ScramHash> {
        match self {
            Self::ScramSha1 | Self::ScramSha1Plus => Some(ScramHash::Sha1),
            Self::ScramSha256 | Self::ScramSha256Plus => Some(ScramHash::Sha256),
            Self::ScramSha512 | Self::ScramSha512Plus => Some(ScramHash::Sha512),
            Self::Plain | Self::External | Self::Anonymous => None,
        }
    }

    /// True for the -PLUS (channel-binding) variants.
    #[must_use]
    pub const fn is_plus(self) -> bool {
        matches!(
            self,
            Self::ScramSha1Plus | Self::ScramSha256Plus | Self::ScramSha512Plus
        )
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mechanism {
    type Err = Error;

    /// Mechanism names are case-sensitive upper case (RFC 4422 s3.1).
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .iter()
            .copied()
            .find(|m| m.name() == s)
            .ok_or(Error::UnknownMechanism)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Mechanism::ALL {
            assert_eq!(m.name().parse::<Mechanism>().unwrap(), m);
        }
        assert!("scram-sha-1".parse::<Mechanism>().is_err());
        assert!("DIGEST-MD5".parse::<Mechanism>().is_err());
    }
}

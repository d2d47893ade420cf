//! Mechanism names (RFC 4422 s3.1) and the client's choice among the ones a server offers.

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

    /// The client's default preference: every password mechanism, strongest first. EXTERNAL and
    /// ANONYMOUS are left out because they change who the client is, not how it proves it.
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

    /// Picks the first mechanism of `preference` that the server `offered`. -PLUS variants are
    /// only chosen when `channel_binding_available`, so a client without TLS data falls back to
    /// plain SCRAM. A client that has channel-binding data but still ends up with plain SCRAM
    /// (say, no common binding type) should set [`crate::ClientConfig::server_offers_plus`] from
    /// the same `offered` list, so it sends `y` (RFC 5802 s6) only when no -PLUS was offered.
    pub fn select<'a, I>(
        offered: I,
        preference: &[Self],
        channel_binding_available: bool,
    ) -> Option<Self>
    where
        I: IntoIterator<Item = &'a str>,
        I::IntoIter: Clone,
    {
        let offered = offered.into_iter();
        preference.iter().copied().find(|mech| {
            (channel_binding_available || !mech.is_plus())
                && offered.clone().any(|name| name == mech.name())
        })
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

    #[test]
    fn select_prefers_strongest_and_plus_only_with_binding() {
        let offered = [
            "PLAIN",
            "SCRAM-SHA-1",
            "SCRAM-SHA-256",
            "SCRAM-SHA-256-PLUS",
        ];
        let pref = Mechanism::DEFAULT_PREFERENCE;
        assert_eq!(
            Mechanism::select(offered, &pref, true),
            Some(Mechanism::ScramSha256Plus)
        );
        assert_eq!(
            Mechanism::select(offered, &pref, false),
            Some(Mechanism::ScramSha256)
        );
        assert_eq!(
            Mechanism::select(["PLAIN"], &pref, true),
            Some(Mechanism::Plain)
        );
        assert_eq!(
            Mechanism::select(["X-OAUTH2", "ANONYMOUS"], &pref, true),
            None
        );
        assert_eq!(
            Mechanism::select(["ANONYMOUS"], &[Mechanism::Anonymous], false),
            Some(Mechanism::Anonymous)
        );
    }
}

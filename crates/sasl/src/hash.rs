//! The three SCRAM hash functions and the RFC 5802 s2.2 primitives built on them.

use zeroize::Zeroizing;

use crate::Error;
use crate::sha::{self, HmacKey, Sha, Sha1, Sha256, Sha512};

/// Key material that is wiped when dropped.
pub(crate) type Key = Zeroizing<Vec<u8>>;

/// The hash function `H` of a SCRAM mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScramHash {
    /// SHA-1 (RFC 5802).
    Sha1,
    /// SHA-256 (RFC 7677).
    Sha256,
    /// SHA-512 (draft-melnikov-scram-sha-512, XEP-0474 era deployments).
    Sha512,
}

impl ScramHash {
    /// Every hash, strongest first.
    pub const STRONGEST_FIRST: [Self; 3] = [Self::Sha512, Self::Sha256, Self::Sha1];

    /// Length of `H` output in bytes (also the length of every key and proof).
    #[must_use]
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    /// `H(data)`.
    pub(crate) fn digest(self, data: &[u8]) -> Key {
        fn run<H: Sha>(data: &[u8]) -> Key {
            let mut out = Zeroizing::new(vec![0; H::OUT]);
            sha::digest::<H>(data, &mut out);
            out
        }
        match self {
            Self::Sha1 => run::<Sha1>(data),
            Self::Sha256 => run::<Sha256>(data),
            Self::Sha512 => run::<Sha512>(data),
        }
    }

    /// `HMAC(key, part0 || part1 || ...)`; parts avoid building AuthMessage twice.
    pub(crate) fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Key {
        fn run<H: Sha>(key: &[u8], parts: &[&[u8]]) -> Key {
            let mut out = Zeroizing::new(vec![0; H::OUT]);
            HmacKey::<H>::new(key).mac(parts, &mut out);
            out
        }
        match self {
            Self::Sha1 => run::<Sha1>(key, parts),
            Self::Sha256 => run::<Sha256>(key, parts),
            Self::Sha512 => run::<Sha512>(key, parts),
        }
    }

    /// `Hi(password, salt, i)` of RFC 5802 s2.2: PBKDF2 with HMAC-`H`, one block.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `iterations` is zero.
    pub fn hi(self, password: &[u8], salt: &[u8], iterations: u32) -> Result<Vec<u8>, Error> {
        if iterations == 0 {
            return Err(Error::InvalidArgument("iteration count must be at least 1"));
        }
        let mut out = vec![0u8; self.output_len()];
        match self {
            Self::Sha1 => sha::hi::<Sha1>(password, salt, iterations, &mut out),
            Self::Sha256 => sha::hi::<Sha256>(password, salt, iterations, &mut out),
            Self::Sha512 => sha::hi::<Sha512>(password, salt, iterations, &mut out),
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hi_matches_rfc5802_salted_password() {
        let salt = [
            0x41, 0x25, 0xc2, 0x47, 0xe4, 0x3a, 0xb1, 0xe9, 0x3c, 0x6d, 0xff, 0x76,
        ];
        let sp = ScramHash::Sha1.hi(b"pencil", &salt, 4096).unwrap();
        assert_eq!(sp.len(), 20);
        assert_eq!(sp[0], 0x1d);
        assert_eq!(sp[19], 0x7d);
    }

    #[test]
    fn zero_iterations_refused() {
        assert!(ScramHash::Sha256.hi(b"x", b"y", 0).is_err());
    }
}

//! The account policy a server follows, and the stand-in account an unknown user is shown, so
//! that salts, iteration counts and response times do not tell known users from unknown ones.

use core::fmt;

use zeroize::Zeroizing;

use crate::hash::Key;
use crate::sha::{HmacKey, Sha256};
use crate::{Error, ScramHash, ServerConfig, StoredCredentials};

/// A server secret (for unknown-user salts), wiped on drop and never printed.
///
/// It must hold at least [`Secret::MIN_LEN`] random bytes (32 recommended) from a CSPRNG:
/// anyone who can guess it can compute the fake salts and so tell unknown users from real ones.
/// Keep it stable across restarts so an unknown user keeps the same fake salt.
///
/// Only the keyed HMAC state is kept: every exchange derives a salt from it, so the key
/// schedule is done once here rather than per exchange.
#[derive(Clone)]
pub struct Secret(HmacKey<Sha256>);

impl Secret {
    /// Fewest bytes accepted.
    pub const MIN_LEN: usize = 16;

    /// Wraps secret bytes; they are wiped once keyed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for fewer than [`Secret::MIN_LEN`] bytes (an empty secret
    /// would make every fake salt public).
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, Error> {
        let bytes = Zeroizing::new(bytes.into());
        if bytes.len() < Self::MIN_LEN {
            return Err(Error::InvalidArgument(
                "server secret shorter than 16 bytes",
            ));
        }
        Ok(Self(HmacKey::new(&bytes)))
    }

    /// HMAC-SHA-256 of the concatenated `parts` under the secret (used for salts, which are
    /// public: the result is not wiped).
    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut out = [0; 32];
        self.0.mac(parts, &mut out);
        out
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// How the server's accounts are stored: one salt of `salt_len` bytes and one iteration count,
/// the same for every hash of an account, and keys for each of `hashes`. Unknown users are shown
/// a stand-in that follows the same policy (a stable salt of that length derived from the
/// [`Secret`], the same iteration count, and for PLAIN the same key derivation), so only
/// accounts that depart from the policy stand out. Derive new accounts with
/// [`AccountPolicy::derive`]; re-derive old ones (at their next PLAIN login, say) when
/// [`AccountPolicy::is_followed_by`] says they depart from it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountPolicy {
    iterations: u32,
    salt_len: usize,
    /// The first `hash_count` entries are the hashes, strongest first (no allocation, so a
    /// configuration cloned per connection stays cheap).
    hashes: [ScramHash; 3],
    hash_count: usize,
}

impl Default for AccountPolicy {
    /// 4096 iterations (RFC 7677 s4), 16-byte salts, keys for SHA-1, SHA-256 and SHA-512.
    fn default() -> Self {
        Self {
            iterations: 4096,
            salt_len: 16,
            hashes: ScramHash::STRONGEST_FIRST,
            hash_count: ScramHash::STRONGEST_FIRST.len(),
        }
    }
}

impl AccountPolicy {
    /// Longest accepted salt.
    pub const MAX_SALT_LEN: usize = 256;

    /// A policy; the iteration count is checked against [`ServerConfig::max_iterations`] when
    /// a server is built with it.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero iteration count, a salt length outside
    /// `1..=MAX_SALT_LEN`, or no hash.
    pub fn new(iterations: u32, salt_len: usize, hashes: &[ScramHash]) -> Result<Self, Error> {
        if iterations == 0 {
            return Err(Error::InvalidArgument("zero iterations"));
        }
        if salt_len == 0 || salt_len > Self::MAX_SALT_LEN {
            return Err(Error::InvalidArgument("salt length out of range"));
        }
        let mut kept = ScramHash::STRONGEST_FIRST;
        let mut hash_count = 0;
        for hash in ScramHash::STRONGEST_FIRST {
            if let (true, Some(slot)) = (hashes.contains(&hash), kept.get_mut(hash_count)) {
                *slot = hash;
                hash_count += 1;
            }
        }
        if hash_count == 0 {
            return Err(Error::InvalidArgument("no hash"));
        }
        Ok(Self {
            iterations,
            salt_len,
            hashes: kept,
            hash_count,
        })
    }

    /// Iteration count of every account.
    #[must_use]
    pub const fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Salt length of every account, in bytes.
    #[must_use]
    pub const fn salt_len(&self) -> usize {
        self.salt_len
    }

    /// Hashes every account has keys for, strongest first.
    #[must_use]
    pub fn hashes(&self) -> &[ScramHash] {
        self.hashes.get(..self.hash_count).unwrap_or_default()
    }

    /// Derives an account that follows the policy from a password and a fresh random salt.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `salt` is not `salt_len` bytes long; as
    /// [`StoredCredentials::derive`].
    pub fn derive(&self, password: &str, salt: &[u8]) -> Result<StoredCredentials, Error> {
        if salt.len() != self.salt_len {
            return Err(Error::InvalidArgument(
                "salt length differs from the policy",
            ));
        }
        StoredCredentials::derive(password, salt, self.iterations, self.hashes())
    }

    /// Whether `credentials` look like the policy: same iteration count, salt length and hashes.
    #[must_use]
    pub fn is_followed_by(&self, credentials: &StoredCredentials) -> bool {
        credentials.iterations() == self.iterations
            && credentials.salt().len() == self.salt_len
            && credentials.hashes().eq(self.hashes().iter().copied())
    }

    /// The hash PLAIN checks passwords with: the strongest.
    fn plain_hash(&self) -> ScramHash {
        self.hashes().first().copied().unwrap_or(ScramHash::Sha256)
    }
}

/// The salt, iteration count and keys one exchange runs with: a real account's, or a stand-in
/// shaped by the policy for an unknown user (or a hash the account has no keys for), whose
/// proofs never verify.
pub(crate) struct ExchangeAccount {
    pub(crate) hash: ScramHash,
    pub(crate) salt: Vec<u8>,
    pub(crate) iterations: u32,
    pub(crate) stored_key: Key,
    pub(crate) server_key: Key,
    /// False for a stand-in: the exchange fails at the proof, like a wrong password.
    pub(crate) known: bool,
}

impl ExchangeAccount {
    /// Resolves the account the store keeps under `key` (the user name, unless the caller
    /// named its own key). `hash` is the SCRAM hash, or `None` for PLAIN, which uses the
    /// account's strongest hash (the policy's for an unknown user).
    ///
    /// The stand-in's salt is derived for known users too, so both paths do the same work.
    pub(crate) fn resolve(
        config: &ServerConfig,
        key: &str,
        hash: Option<ScramHash>,
        credentials: Option<&StoredCredentials>,
    ) -> Result<Self, Error> {
        let policy = &config.account_policy;
        let fake_salt = fake_salt(&config.secret, key, policy.salt_len);
        let Some(credentials) = credentials else {
            let hash = hash.unwrap_or_else(|| policy.plain_hash());
            return Ok(Self::stand_in(hash, fake_salt, policy.iterations));
        };
        if credentials.iterations() > config.max_iterations {
            return Err(Error::InvalidArgument(
                "stored iteration count above ServerConfig::max_iterations",
            ));
        }
        let hash = hash
            .or_else(|| credentials.hashes().next())
            .unwrap_or_else(|| policy.plain_hash());
        let salt = credentials.salt().to_vec();
        Ok(match credentials.keys(hash) {
            Some(keys) => Self {
                hash,
                salt,
                iterations: credentials.iterations(),
                stored_key: Zeroizing::new(keys.stored_key().to_vec()),
                server_key: Zeroizing::new(keys.server_key().to_vec()),
                known: true,
            },
            None => Self::stand_in(hash, salt, credentials.iterations()),
        })
    }

    /// Zero keys: no proof can match them (H(ClientKey) would have to be zero), and `known`
    /// is false besides.
    fn stand_in(hash: ScramHash, salt: Vec<u8>, iterations: u32) -> Self {
        Self {
            hash,
            salt,
            iterations,
            stored_key: Zeroizing::new(vec![0; hash.output_len()]),
            server_key: Zeroizing::new(vec![0; hash.output_len()]),
            known: false,
        }
    }
}

/// A salt for a user that does not exist: HMAC of the store's key for the name (the user name
/// itself by default) under the server secret, so repeated attempts, under any name the store
/// takes for that key, see the same salt, as they would for a real account. Longer salts append
/// blocks under a second label (the labels differ before their NUL, so inputs never collide).
fn fake_salt(secret: &Secret, key: &str, len: usize) -> Vec<u8> {
    let mut salt = Vec::with_capacity(len);
    let mut counter: u8 = 0;
    while salt.len() < len {
        let block = if counter == 0 {
            secret.mac(&[b"chatwire-sasl fake salt\0", key.as_bytes()])
        } else {
            secret.mac(&[b"chatwire-sasl fake salt+\0", &[counter], key.as_bytes()])
        };
        salt.extend(block.iter().take(len.saturating_sub(salt.len())));
        counter = counter.wrapping_add(1);
    }
    salt
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new(*b"0123456789abcdef").unwrap()
    }

    #[test]
    fn short_secrets_refused() {
        assert!(Secret::new(Vec::new()).is_err());
        assert!(Secret::new(*b"0123456789abcde").is_err());
        assert_eq!(format!("{:?}", secret()), "Secret(..)");
    }

    #[test]
    fn fake_salt_is_stable_per_user() {
        let a = fake_salt(&secret(), "nobody", 16);
        assert_eq!(a, fake_salt(&secret(), "nobody", 16));
        assert_ne!(a, fake_salt(&secret(), "other", 16));
        assert_eq!(a.len(), 16);
    }

    #[test]
    fn fake_salt_is_hmac_sha256_of_the_name() {
        // The derivation must not change between versions: an unknown user whose salt changed
        // on upgrade would stand out from real accounts, whose salts are stored. Checked against
        // the hmac crate called directly.
        let key = *b"0123456789abcdef";
        use hmac::{Hmac, KeyInit, Mac};
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).unwrap();
        mac.update(b"chatwire-sasl fake salt\0nobody");
        let expected = mac.finalize().into_bytes();
        assert_eq!(fake_salt(&secret(), "nobody", 32), expected.as_slice());
    }

    #[test]
    fn fake_salt_length_follows_the_policy() {
        let short = fake_salt(&secret(), "nobody", 16);
        for len in [1, 28, 32, 33, 64, 100, 256] {
            let f = fake_salt(&secret(), "nobody", len);
            assert_eq!(f.len(), len);
            let common = len.min(16);
            assert_eq!(f[..common], short[..common], "{len}");
        }
        let a = fake_salt(&secret(), "nobody", 64);
        assert_ne!(a[..32], a[32..], "blocks must differ");
    }

    #[test]
    fn policy_bounds() {
        let all = ScramHash::STRONGEST_FIRST;
        assert!(AccountPolicy::new(0, 16, &all).is_err());
        assert!(AccountPolicy::new(1, 0, &all).is_err());
        assert!(AccountPolicy::new(1, 257, &all).is_err());
        assert!(AccountPolicy::new(1, 16, &[]).is_err());
        let p = AccountPolicy::new(1, 4, &[ScramHash::Sha1, ScramHash::Sha512]).unwrap();
        assert_eq!(p.hashes(), [ScramHash::Sha512, ScramHash::Sha1]);
        assert_eq!(p.plain_hash(), ScramHash::Sha512);
        assert!(p.derive("pencil", b"abc").is_err());
        let c = p.derive("pencil", b"abcd").unwrap();
        assert!(p.is_followed_by(&c));
        assert!(!AccountPolicy::default().is_followed_by(&c));
    }
}

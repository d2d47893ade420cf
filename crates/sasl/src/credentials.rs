//! What a SCRAM server stores per account (RFC 5802 s3): one salt and one iteration count, and
//! StoredKey and ServerKey for each hash. Never the SaltedPassword or ClientKey, which would let
//! a thief log in.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::hash::Key;
use crate::{Error, ScramHash, saslprep};

/// A password, wiped on drop and never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Password(String);

impl Password {
    /// Wraps a password as typed by the user (SASLprep happens when it is used).
    #[must_use]
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    /// The raw password.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// StoredKey and ServerKey of one account for one hash.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ScramKeys {
    #[zeroize(skip)]
    hash: ScramHash,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl ScramKeys {
    /// The hash these keys were derived with.
    #[must_use]
    pub const fn hash(&self) -> ScramHash {
        self.hash
    }

    /// StoredKey = H(ClientKey).
    #[must_use]
    pub fn stored_key(&self) -> &[u8] {
        &self.stored_key
    }

    /// ServerKey = HMAC(SaltedPassword, "Server Key").
    #[must_use]
    pub fn server_key(&self) -> &[u8] {
        &self.server_key
    }
}

impl fmt::Debug for ScramKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramKeys")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// Server-side credentials of one account: the salt and iteration count, shared by every hash
/// so that SCRAM-SHA-1, -256 and -512 show the same values (the one policy unknown users are
/// made to follow too, see [`crate::AccountPolicy`]), and the keys of each hash the account has.
///
/// One value is one row of a user store: the server asks for it by user name
/// ([`crate::ServerStep::NeedCredentials`]) and picks the keys of the mechanism's hash itself.
#[derive(Clone)]
pub struct StoredCredentials {
    salt: Vec<u8>,
    iterations: u32,
    keys: Vec<ScramKeys>,
}

impl StoredCredentials {
    /// Derives the keys of every hash in `hashes` from a password (SASLprep applied), a
    /// caller-chosen random salt and an iteration count. [`crate::AccountPolicy::derive`] does
    /// the same with the policy's values.
    ///
    /// # Errors
    /// [`Error::Saslprep`] for a password refused by SASLprep or empty once prepared,
    /// [`Error::InvalidArgument`] for an empty salt, a zero iteration count or no hash.
    pub fn derive(
        password: &str,
        salt: &[u8],
        iterations: u32,
        hashes: &[ScramHash],
    ) -> Result<Self, Error> {
        let mut credentials = Self::new(salt.to_vec(), iterations)?;
        if hashes.is_empty() {
            return Err(Error::InvalidArgument("no hash to derive keys for"));
        }
        let prepared = prepare_password(password)?;
        for &hash in hashes {
            let salted = Zeroizing::new(hash.hi(prepared.as_bytes(), salt, iterations)?);
            let keys = Keys::from_salted_password(hash, &salted)?;
            credentials.insert(ScramKeys {
                hash,
                stored_key: keys.stored_key.to_vec(),
                server_key: keys.server_key.to_vec(),
            });
        }
        Ok(credentials)
    }

    /// Starts credentials from a stored salt and iteration count, without keys; add them with
    /// [`StoredCredentials::with_keys`]. An account without keys for a mechanism's hash fails
    /// that mechanism like a wrong password.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty salt or a zero iteration count.
    pub fn new(salt: Vec<u8>, iterations: u32) -> Result<Self, Error> {
        if salt.is_empty() || iterations == 0 {
            return Err(Error::InvalidArgument("empty salt or zero iterations"));
        }
        Ok(Self {
            salt,
            iterations,
            keys: Vec::new(),
        })
    }

    /// Adds (or replaces) the stored keys of one hash, for example from a database row.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when a key has the wrong length for `hash`.
    pub fn with_keys(
        mut self,
        hash: ScramHash,
        stored_key: Vec<u8>,
        server_key: Vec<u8>,
    ) -> Result<Self, Error> {
        if stored_key.len() != hash.output_len() || server_key.len() != hash.output_len() {
            return Err(Error::InvalidArgument("key length does not match the hash"));
        }
        self.insert(ScramKeys {
            hash,
            stored_key,
            server_key,
        });
        Ok(self)
    }

    /// The salt.
    #[must_use]
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The iteration count.
    #[must_use]
    pub const fn iterations(&self) -> u32 {
        self.iterations
    }

    /// The keys for `hash`, if the account has them.
    #[must_use]
    pub fn keys(&self, hash: ScramHash) -> Option<&ScramKeys> {
        self.keys.iter().find(|k| k.hash == hash)
    }

    /// The hashes this account has keys for, strongest first.
    pub fn hashes(&self) -> impl Iterator<Item = ScramHash> + '_ {
        ScramHash::STRONGEST_FIRST
            .into_iter()
            .filter(|&hash| self.keys(hash).is_some())
    }

    /// Checks a plaintext password (PLAIN) against the keys of the strongest hash held, in
    /// constant time. `false` when the account has no keys at all.
    ///
    /// # Errors
    /// [`Error::Saslprep`] when the password is refused by SASLprep.
    pub fn verify_password(&self, password: &str) -> Result<bool, Error> {
        let Some(keys) = self.hashes().next().and_then(|hash| self.keys(hash)) else {
            return Ok(false);
        };
        verify_plain(
            keys.hash,
            &self.salt,
            self.iterations,
            &keys.stored_key,
            password,
        )
    }

    fn insert(&mut self, keys: ScramKeys) {
        self.keys.retain(|k| k.hash != keys.hash);
        self.keys.push(keys);
    }
}

impl fmt::Debug for StoredCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCredentials")
            .field("iterations", &self.iterations)
            .field("hashes", &self.hashes().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// PLAIN's check: derive the keys from `password` and compare StoredKey in constant time.
/// Runs the full derivation even when the result cannot match (unknown users), so the time
/// taken depends only on the hash, salt length and iteration count.
pub(crate) fn verify_plain(
    hash: ScramHash,
    salt: &[u8],
    iterations: u32,
    stored_key: &[u8],
    password: &str,
) -> Result<bool, Error> {
    let prepared = prepare_password(password)?;
    let salted = Zeroizing::new(hash.hi(prepared.as_bytes(), salt, iterations)?);
    let keys = Keys::from_salted_password(hash, &salted)?;
    Ok(bool::from(keys.stored_key.ct_eq(stored_key)))
}

/// SASLprep for a password, refusing one that prepares to nothing (RFC 4616 s2, RFC 5802 s5.1).
pub(crate) fn prepare_password(password: &str) -> Result<Zeroizing<String>, Error> {
    let prepared = Zeroizing::new(saslprep(password)?.into_owned());
    if prepared.is_empty() {
        return Err(Error::Saslprep);
    }
    Ok(prepared)
}

/// ClientKey, StoredKey and ServerKey derived from a SaltedPassword.
pub(crate) struct Keys {
    pub(crate) client_key: Key,
    pub(crate) stored_key: Key,
    pub(crate) server_key: Key,
}

impl Keys {
    pub(crate) fn from_salted_password(hash: ScramHash, salted: &[u8]) -> Result<Self, Error> {
        let client_key = hash.hmac(salted, &[b"Client Key"]);
        let stored_key = hash.digest(&client_key);
        let server_key = hash.hmac(salted, &[b"Server Key"]);
        Ok(Self {
            client_key,
            stored_key,
            server_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ScramHash; 3] = [ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512];

    #[test]
    fn debug_hides_keys() {
        let c = StoredCredentials::derive("pencil", b"salt", 16, &ALL).unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains("stored_key"), "{text}");
        assert!(text.contains("Sha512"), "{text}");
        assert_eq!(format!("{:?}", Password::new("pencil")), "Password(..)");
    }

    #[test]
    fn plain_password_check() {
        let c =
            StoredCredentials::derive("pen\u{AD}cil", b"salt", 16, &[ScramHash::Sha256]).unwrap();
        assert!(c.verify_password("pencil").unwrap());
        assert!(!c.verify_password("pencik").unwrap());
        let keyless = StoredCredentials::new(b"salt".to_vec(), 16).unwrap();
        assert!(!keyless.verify_password("pencil").unwrap());
    }

    #[test]
    fn one_salt_for_every_hash() {
        let c = StoredCredentials::derive("pencil", b"salt", 16, &ALL).unwrap();
        assert_eq!(c.hashes().collect::<Vec<_>>(), ScramHash::STRONGEST_FIRST);
        for hash in ALL {
            assert_eq!(c.keys(hash).unwrap().stored_key().len(), hash.output_len());
        }
        let rebuilt = StoredCredentials::new(c.salt().to_vec(), c.iterations())
            .unwrap()
            .with_keys(
                ScramHash::Sha1,
                c.keys(ScramHash::Sha1).unwrap().stored_key().to_vec(),
                c.keys(ScramHash::Sha1).unwrap().server_key().to_vec(),
            )
            .unwrap();
        assert!(rebuilt.verify_password("pencil").unwrap());
        assert!(rebuilt.keys(ScramHash::Sha256).is_none());
    }

    #[test]
    fn bad_parts_refused() {
        assert!(StoredCredentials::new(Vec::new(), 1).is_err());
        assert!(StoredCredentials::new(b"s".to_vec(), 0).is_err());
        let c = StoredCredentials::new(b"s".to_vec(), 1).unwrap();
        assert!(
            c.with_keys(ScramHash::Sha1, vec![0; 32], vec![0; 20])
                .is_err()
        );
        assert!(StoredCredentials::derive("pencil", b"s", 1, &[]).is_err());
        assert!(StoredCredentials::derive("\u{AD}", b"s", 1, &ALL).is_err());
    }
}

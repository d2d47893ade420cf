//! What a SCRAM server stores per user (RFC 5802 s3): salt, iteration count, StoredKey and
//! ServerKey. Never the SaltedPassword or ClientKey, which would let a thief log in.

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

/// Server-side SCRAM credentials for one user and one hash.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct StoredCredentials {
    #[zeroize(skip)]
    hash: ScramHash,
    salt: Vec<u8>,
    iterations: u32,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl StoredCredentials {
    /// Derives the stored form from a password (SASLprep applied), a caller-chosen random salt
    /// and an iteration count.
    ///
    /// # Errors
    /// [`Error::Saslprep`] for a refused password, [`Error::InvalidArgument`] for an empty salt or
    /// a zero iteration count.
    pub fn derive(
        hash: ScramHash,
        password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, Error> {
        if salt.is_empty() {
            return Err(Error::InvalidArgument("empty salt"));
        }
        let prepared = Zeroizing::new(saslprep(password)?.into_owned());
        let salted = Zeroizing::new(hash.hi(prepared.as_bytes(), salt, iterations)?);
        let keys = Keys::from_salted_password(hash, &salted)?;
        Ok(Self {
            hash,
            salt: salt.to_vec(),
            iterations,
            stored_key: keys.stored_key.to_vec(),
            server_key: keys.server_key.to_vec(),
        })
    }

    /// Builds credentials from stored parts (for example a database row).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when a key has the wrong length for `hash`, the salt is empty or
    /// the iteration count is zero.
    pub fn from_parts(
        hash: ScramHash,
        salt: Vec<u8>,
        iterations: u32,
        stored_key: Vec<u8>,
        server_key: Vec<u8>,
    ) -> Result<Self, Error> {
        if stored_key.len() != hash.output_len() || server_key.len() != hash.output_len() {
            return Err(Error::InvalidArgument("key length does not match the hash"));
        }
        if salt.is_empty() || iterations == 0 {
            return Err(Error::InvalidArgument("empty salt or zero iterations"));
        }
        Ok(Self {
            hash,
            salt,
            iterations,
            stored_key,
            server_key,
        })
    }

    /// The hash these keys were derived with.
    #[must_use]
    pub const fn hash(&self) -> ScramHash {
        self.hash
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

    /// Checks a plaintext password (PLAIN) against the stored keys, in constant time.
    ///
    /// # Errors
    /// [`Error::Saslprep`] when the password is refused by SASLprep.
    pub fn verify_password(&self, password: &str) -> Result<bool, Error> {
        let prepared = Zeroizing::new(saslprep(password)?.into_owned());
        let salted = Zeroizing::new(self.hash.hi(
            prepared.as_bytes(),
            &self.salt,
            self.iterations,
        )?);
        let keys = Keys::from_salted_password(self.hash, &salted)?;
        Ok(bool::from(keys.stored_key.ct_eq(&self.stored_key)))
    }

    /// Stand-in credentials for a user that does not exist: the salt is derived from a server
    /// secret and the name, so repeated attempts see the same salt as for a real account, and the
    /// keys are derived from the secret too, so no proof can match.
    pub(crate) fn fake(
        hash: ScramHash,
        secret: &[u8],
        username: &str,
        iterations: u32,
        salt_len: usize,
    ) -> Result<Self, Error> {
        if salt_len == 0 || salt_len > crate::ServerConfig::MAX_FAKE_SALT_LEN {
            return Err(Error::InvalidArgument("fake salt length out of range"));
        }
        // The first block keeps the original derivation; longer salts append blocks under a
        // distinct label (the labels differ before their NUL, so inputs never collide).
        let mut salt =
            ScramHash::Sha256.hmac(secret, &[b"chatwire-sasl fake salt\0", username.as_bytes()])?;
        let mut counter: u8 = 0;
        while salt.len() < salt_len {
            counter = counter.wrapping_add(1);
            let block = ScramHash::Sha256.hmac(
                secret,
                &[
                    b"chatwire-sasl fake salt+\0",
                    &[counter],
                    username.as_bytes(),
                ],
            )?;
            salt.extend_from_slice(&block);
        }
        salt.truncate(salt_len);
        let key = hash.hmac(secret, &[b"chatwire-sasl fake key\0", username.as_bytes()])?;
        Ok(Self {
            hash,
            salt: salt.to_vec(),
            iterations: iterations.max(1),
            stored_key: key.to_vec(),
            server_key: key.to_vec(),
        })
    }
}

impl fmt::Debug for StoredCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCredentials")
            .field("hash", &self.hash)
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

/// ClientKey, StoredKey and ServerKey derived from a SaltedPassword.
pub(crate) struct Keys {
    pub(crate) client_key: Key,
    pub(crate) stored_key: Key,
    pub(crate) server_key: Key,
}

impl Keys {
    pub(crate) fn from_salted_password(hash: ScramHash, salted: &[u8]) -> Result<Self, Error> {
        let client_key = hash.hmac(salted, &[b"Client Key"])?;
        let stored_key = hash.digest(&client_key);
        let server_key = hash.hmac(salted, &[b"Server Key"])?;
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

    #[test]
    fn debug_hides_keys() {
        let c = StoredCredentials::derive(ScramHash::Sha1, "pencil", b"salt", 16).unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains("stored_key"));
        assert_eq!(format!("{:?}", Password::new("pencil")), "Password(..)");
    }

    #[test]
    fn plain_password_check() {
        let c = StoredCredentials::derive(ScramHash::Sha256, "pen\u{AD}cil", b"salt", 16).unwrap();
        assert!(c.verify_password("pencil").unwrap());
        assert!(!c.verify_password("pencik").unwrap());
    }

    #[test]
    fn fake_salt_is_stable_per_user() {
        let a = StoredCredentials::fake(ScramHash::Sha1, b"secret", "nobody", 4096, 16).unwrap();
        let b = StoredCredentials::fake(ScramHash::Sha1, b"secret", "nobody", 4096, 16).unwrap();
        let c = StoredCredentials::fake(ScramHash::Sha1, b"secret", "other", 4096, 16).unwrap();
        assert_eq!(a.salt(), b.salt());
        assert_ne!(a.salt(), c.salt());
        assert_eq!(a.salt().len(), 16);
    }

    #[test]
    fn fake_salt_length_follows_the_config() {
        let short =
            StoredCredentials::fake(ScramHash::Sha1, b"secret", "nobody", 4096, 16).unwrap();
        for len in [1, 28, 32, 33, 64, 100, 256] {
            let f =
                StoredCredentials::fake(ScramHash::Sha1, b"secret", "nobody", 4096, len).unwrap();
            assert_eq!(f.salt().len(), len);
            let common = len.min(16);
            assert_eq!(f.salt()[..common], short.salt()[..common], "{len}");
        }
        let a = StoredCredentials::fake(ScramHash::Sha1, b"secret", "nobody", 4096, 64).unwrap();
        assert_ne!(a.salt()[..32], a.salt()[32..], "blocks must differ");
        for bad in [0, 257] {
            assert!(StoredCredentials::fake(ScramHash::Sha1, b"secret", "x", 4096, bad).is_err());
        }
    }
}

//! What `chat-server` persists, behind one trait: the accounts (SCRAM
//! credentials) and, per user, what the IM machine reports as
//! [`Change`]s. The embedded default is [`crate::chat::sqlite`]; the trait is
//! object-safe and `Send + Sync` so that a shared SQL store (PostgreSQL,
//! say) can later let several nodes serve the same users.

use std::collections::BTreeSet;

use chatwire_sasl::StoredCredentials;
use chatwire_xmpp_im::{Change, StoredContact, User};
use chatwire_xmpp_stanza::{Jid, Message};

/// A server's persistent state. Every method is one transaction: it
/// either happens completely or not at all, and once it returns `Ok` its
/// effect survives a crash as far as the backend promises.
///
/// Accounts are keyed by localpart (the SASL user name); user data by bare
/// JID, so a store can hold several domains.
pub trait Store: Send + Sync {
    /// The credentials of an account, None when it does not exist.
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails or holds a corrupt record.
    fn account(&self, localpart: &str) -> Result<Option<StoredCredentials>, StoreError>;

    /// Creates an account or replaces its credentials (salt, iteration
    /// count and the keys of every hash, all at once).
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails.
    fn put_account(
        &self,
        localpart: &str,
        credentials: &StoredCredentials,
    ) -> Result<(), StoreError>;

    /// Deletes an account's credentials; false when there was none. The
    /// user's roster, blocklist and offline queue are kept: they are keyed
    /// by JID, which this trait does not derive from a localpart.
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails.
    fn delete_account(&self, localpart: &str) -> Result<bool, StoreError>;

    /// Everything stored for the user, to build a [`User`] from (empty for
    /// a user with nothing stored yet).
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails or holds a corrupt record.
    fn load_user(&self, user: &Jid) -> Result<UserRecord, StoreError>;

    /// Applies the changes of one machine call, in order, in one
    /// transaction. [`Change::OfflineDrain`] is a request rather than a
    /// change and is skipped: the caller answers it with
    /// [`Store::offline_page`].
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails or a value cannot be
    /// serialized; nothing is applied then.
    fn apply(&self, user: &Jid, changes: &[Change]) -> Result<(), StoreError>;

    /// The user's oldest `limit` offline messages, oldest first, leaving
    /// out those in `skip` (handed to a session already). Nothing is
    /// removed: a message stays stored until [`Store::delete_offline`],
    /// once the session acknowledged it, so that a crash in between loses
    /// nothing.
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails or holds a corrupt record.
    fn offline_page(
        &self,
        user: &Jid,
        skip: &BTreeSet<OfflineId>,
        limit: usize,
    ) -> Result<Vec<(OfflineId, Message)>, StoreError>;

    /// Removes offline messages, in one transaction: delivered and
    /// acknowledged, or dropped. Ids no longer stored are ignored.
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails; nothing is removed then.
    fn delete_offline(&self, user: &Jid, ids: &[OfflineId]) -> Result<(), StoreError>;
}

/// The key of one stored offline message; a later message has a larger
/// one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OfflineId(pub i64);

/// What a store holds for one user: the arguments of [`User::load`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserRecord {
    /// The contact records, in no particular order.
    pub contacts: Vec<(Jid, StoredContact)>,
    /// The roster version floor of the last [`Change::Forget`], 0 if none.
    pub floor: u64,
    /// The blocklist, in the order the JIDs were added.
    pub blocklist: Vec<Jid>,
    /// How many messages wait in the offline queue.
    pub offline_count: u32,
}

impl UserRecord {
    /// The user as the machine keeps it in memory, with no session.
    pub fn into_user(self, jid: &Jid) -> User {
        User::load(
            jid,
            self.contacts,
            self.floor,
            self.blocklist,
            self.offline_count,
        )
    }
}

/// Why a store operation failed. The server cannot answer the user's
/// request then; it reports an internal server error and keeps running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The embedded database failed (IO, a full disk, a locked file).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory could not be created.
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
    /// The database would not switch to WAL journal mode (a file system
    /// without shared memory, say), so writes would not be both durable and
    /// concurrent with reads: the mode it reported instead.
    #[error("journal mode {0} instead of wal")]
    JournalMode(String),
    /// The database was written by a newer schema than this build knows.
    #[error("schema version {found} is newer than {supported}, the newest this build reads")]
    SchemaTooNew {
        /// The version in the database.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A stored record does not read back (edited by hand, or written by a
    /// buggy build): what and why.
    #[error("corrupt {what}: {why}")]
    Corrupt {
        /// The kind of record.
        what: &'static str,
        /// What was wrong with it.
        why: String,
    },
    /// A value could not be written as XML (the machine never produces
    /// one, a caller might).
    #[error("cannot serialize {what}: {why}")]
    Serialize {
        /// The kind of value.
        what: &'static str,
        /// What the serializer refused.
        why: String,
    },
    /// A hash the store does not know how to name.
    #[error("unsupported SCRAM hash {0:?}")]
    UnsupportedHash(chatwire_sasl::ScramHash),
}

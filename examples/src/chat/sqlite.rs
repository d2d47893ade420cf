//! The embedded [`Store`]: one SQLite file, `chatwire.sqlite3`, in the
//! server's data directory.
//!
//! Durability: the file is in WAL journal mode with `synchronous=FULL`, so
//! every commit syncs the write-ahead log before the call returns. Once a
//! method has returned `Ok`, its effect survives the process being killed
//! (SIGKILL) and, as far as SQLite and the disk's honesty about flushes go,
//! a power loss. WAL also lets a backup tool read while the server writes.
//!
//! Stanzas are stored as the XML chatwire-xmpp-stanza writes for a
//! WebSocket client stream and read back with the same parser, so nothing a
//! client sent (roster groups, extensions, a message's `<delay/>`) is lost
//! on the way. Contact states are stored as their index in [`State::ALL`]
//! plus the pre-approval flag.
//!
//! One connection behind a [`Mutex`]: every call is a short transaction, so
//! the async server calls it directly. Should that ever block the runtime
//! too long, a connection pool or `spawn_blocking` can come in here
//! without changing the [`Store`] trait.
//!
//! ```
//! use chatwire_examples::chat::sqlite::SqliteStore;
//! use chatwire_examples::chat::store::Store;
//! use chatwire_xmpp_im::Change;
//! use chatwire_xmpp_stanza::{Jid, Message};
//!
//! # let dir = std::env::temp_dir().join(format!("chatwire-doc-{}", std::process::id()));
//! let store = SqliteStore::open(&dir)?;
//! let juliet = Jid::new("juliet@example.com")?;
//! let hello = Message::chat(juliet.clone(), "hello");
//! // The changes of one machine call, in one transaction.
//! store.apply(&juliet, &[Change::OfflineStore(Box::new(hello.clone()))])?;
//! let user = store.load_user(&juliet)?.into_user(&juliet);
//! assert_eq!(user.offline_count(), 1);
//! let page = store.offline_page(&juliet, &Default::default(), 10)?;
//! assert_eq!(page.len(), 1);
//! assert_eq!(page[0].1, hello);
//! // Kept until the session it went to acknowledges it.
//! store.delete_offline(&juliet, &[page[0].0])?;
//! assert!(store.offline_page(&juliet, &Default::default(), 10)?.is_empty());
//! # drop(store);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chatwire_sasl::{ScramHash, StoredCredentials};
use chatwire_xmpp_im::{Change, ContactState, State, StoredContact};
use chatwire_xmpp_stanza::{
    Context, Element, Iq, IqPayload, IqType, Jid, Limits, Message, Presence, Roster, RosterItem,
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::chat::store::{OfflineId, Store, StoreError, UserRecord};

/// A [`Store`] in one SQLite file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl SqliteStore {
    /// The database's file name inside the data directory.
    pub const FILE_NAME: &'static str = "chatwire.sqlite3";

    /// The schema this build writes; older ones are upgraded on open.
    pub const SCHEMA_VERSION: i64 = 1;

    /// Opens (or creates) `chatwire.sqlite3` in `data_dir`, creating the
    /// directory if missing, and brings the schema up to date.
    ///
    /// # Errors
    /// [`StoreError`] when the directory or file cannot be created or
    /// opened, WAL mode is refused, or the schema is newer than this build.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let data_dir = data_dir.as_ref();
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(Self::FILE_NAME);
        let mut conn = Connection::open(&path)?;
        // Another process (a backup, an admin shell) may hold the write
        // lock for a moment: wait rather than fail at once.
        conn.busy_timeout(Duration::from_secs(5))?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::JournalMode(mode));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held dropped its transaction, which
        // rolled back: the connection is as good as before.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store for SqliteStore {
    fn account(&self, localpart: &str) -> Result<Option<StoredCredentials>, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let row: Option<(Vec<u8>, i64)> = tx
            .query_row(
                "SELECT salt, iterations FROM accounts WHERE localpart = ?1",
                params![localpart],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((salt, iterations)) = row else {
            return Ok(None);
        };
        let iterations = u32::try_from(iterations).map_err(|e| corrupt("account", e))?;
        let mut credentials =
            StoredCredentials::new(salt, iterations).map_err(|e| corrupt("account", e))?;
        let mut stmt = tx.prepare_cached(
            "SELECT hash, stored_key, server_key FROM account_keys WHERE localpart = ?1",
        )?;
        let rows = stmt.query_map(params![localpart], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Vec<u8>>(1)?,
                row.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        for row in rows {
            let (hash, stored_key, server_key) = row?;
            let hash = hash_from_name(&hash)
                .ok_or_else(|| corrupt("account", format!("unknown hash {hash}")))?;
            credentials = credentials
                .with_keys(hash, stored_key, server_key)
                .map_err(|e| corrupt("account", e))?;
        }
        Ok(Some(credentials))
    }

    fn put_account(
        &self,
        localpart: &str,
        credentials: &StoredCredentials,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO accounts (localpart, salt, iterations) VALUES (?1, ?2, ?3)
             ON CONFLICT (localpart) DO UPDATE
             SET salt = excluded.salt, iterations = excluded.iterations",
            params![localpart, credentials.salt(), credentials.iterations()],
        )?;
        tx.execute(
            "DELETE FROM account_keys WHERE localpart = ?1",
            params![localpart],
        )?;
        for hash in credentials.hashes() {
            let Some(keys) = credentials.keys(hash) else {
                continue;
            };
            tx.execute(
                "INSERT INTO account_keys (localpart, hash, stored_key, server_key)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    localpart,
                    hash_name(hash)?,
                    keys.stored_key(),
                    keys.server_key()
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn delete_account(&self, localpart: &str) -> Result<bool, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM account_keys WHERE localpart = ?1",
            params![localpart],
        )?;
        let deleted = tx.execute(
            "DELETE FROM accounts WHERE localpart = ?1",
            params![localpart],
        )?;
        tx.commit()?;
        Ok(deleted > 0)
    }

    fn load_user(&self, user: &Jid) -> Result<UserRecord, StoreError> {
        let user = user_key(user);
        let mut conn = self.lock();
        // One read transaction: a consistent snapshot of the four tables.
        let tx = conn.transaction()?;
        let mut record = UserRecord {
            contacts: read_contacts(&tx, &user)?,
            ..UserRecord::default()
        };
        let floor: Option<i64> = tx
            .query_row(
                "SELECT floor FROM roster_floor WHERE user = ?1",
                params![user],
                |row| row.get(0),
            )
            .optional()?;
        record.floor = floor.map_or(0, i64::cast_unsigned);
        {
            let mut stmt =
                tx.prepare_cached("SELECT jid FROM blocklist WHERE user = ?1 ORDER BY id")?;
            let rows = stmt.query_map(params![user], |row| row.get::<_, String>(0))?;
            for jid in rows {
                record.blocklist.push(parse_jid("blocklist entry", &jid?)?);
            }
        }
        let count: i64 = tx.query_row(
            "SELECT COUNT(*) FROM offline WHERE user = ?1",
            params![user],
            |row| row.get(0),
        )?;
        // Four billion queued messages is beyond any configured limit.
        record.offline_count = u32::try_from(count).unwrap_or(u32::MAX);
        Ok(record)
    }

    fn apply(&self, user: &Jid, changes: &[Change]) -> Result<(), StoreError> {
        let user = user_key(user);
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for change in changes {
            apply_change(&tx, &user, change)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn offline_page(
        &self,
        user: &Jid,
        skip: &BTreeSet<OfflineId>,
        limit: usize,
    ) -> Result<Vec<(OfflineId, Message)>, StoreError> {
        let user = user_key(user);
        // The skipped ids are among the oldest rows: reading that many more
        // still fills the page.
        let wanted = limit.saturating_add(skip.len());
        let wanted = i64::try_from(wanted).unwrap_or(i64::MAX);
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, message FROM offline WHERE user = ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![user, wanted], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut page = Vec::new();
        for row in rows {
            let (id, xml) = row?;
            let id = OfflineId(id);
            if page.len() < limit && !skip.contains(&id) {
                page.push((id, read_message(&xml)?));
            }
        }
        Ok(page)
    }

    fn delete_offline(&self, user: &Jid, ids: &[OfflineId]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let user = user_key(user);
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached("DELETE FROM offline WHERE user = ?1 AND id = ?2")?;
            for id in ids {
                stmt.execute(params![user, id.0])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// Version 1: accounts with keys per hash, and per user the contacts, the
/// roster floor, the blocklist and the offline queue. Autoincrement ids
/// keep the order of the blocklist and the queue.
const SCHEMA_V1: &str = "
CREATE TABLE accounts (
    localpart TEXT PRIMARY KEY,
    salt BLOB NOT NULL,
    iterations INTEGER NOT NULL
) STRICT;
CREATE TABLE account_keys (
    localpart TEXT NOT NULL REFERENCES accounts (localpart) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    stored_key BLOB NOT NULL,
    server_key BLOB NOT NULL,
    PRIMARY KEY (localpart, hash)
) STRICT;
CREATE TABLE contacts (
    user TEXT NOT NULL,
    contact TEXT NOT NULL,
    item TEXT,
    state INTEGER NOT NULL,
    approved INTEGER NOT NULL,
    request TEXT,
    ver INTEGER NOT NULL,
    PRIMARY KEY (user, contact)
) STRICT;
CREATE TABLE roster_floor (
    user TEXT PRIMARY KEY,
    floor INTEGER NOT NULL
) STRICT;
CREATE TABLE blocklist (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL,
    jid TEXT NOT NULL
) STRICT;
CREATE INDEX blocklist_user ON blocklist (user, jid);
CREATE TABLE offline (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL,
    message TEXT NOT NULL
) STRICT;
CREATE INDEX offline_user ON offline (user, id);
";

/// Creates the schema in a new file, or checks the version of an old one.
/// A later version adds its step here, each in the same transaction as the
/// version bump.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT",
    )?;
    let found: Option<i64> =
        tx.query_row("SELECT MAX(version) FROM schema_version", [], |row| {
            row.get(0)
        })?;
    match found {
        None => {
            tx.execute_batch(SCHEMA_V1)?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES (?1)",
                params![SqliteStore::SCHEMA_VERSION],
            )?;
        }
        Some(found) if found > SqliteStore::SCHEMA_VERSION => {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: SqliteStore::SCHEMA_VERSION,
            });
        }
        Some(_) => {}
    }
    tx.commit()?;
    Ok(())
}

/// One change, inside the caller's transaction.
fn apply_change(tx: &Transaction<'_>, user: &str, change: &Change) -> Result<(), StoreError> {
    match change {
        Change::Contact { contact, stored } => {
            let item = stored.item.as_ref().map(write_item).transpose()?;
            let request = stored.request.as_ref().map(write_presence).transpose()?;
            let (state, approved) = write_state(stored.state);
            tx.prepare_cached(
                "INSERT OR REPLACE INTO contacts
                 (user, contact, item, state, approved, request, ver)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                user,
                contact.to_string(),
                item,
                state,
                approved,
                request,
                stored.ver.cast_signed()
            ])?;
        }
        Change::Forget { contact, floor } => {
            tx.prepare_cached("DELETE FROM contacts WHERE user = ?1 AND contact = ?2")?
                .execute(params![user, contact.to_string()])?;
            tx.prepare_cached(
                "INSERT INTO roster_floor (user, floor) VALUES (?1, ?2)
                 ON CONFLICT (user) DO UPDATE SET floor = excluded.floor",
            )?
            .execute(params![user, floor.cast_signed()])?;
        }
        Change::OfflineStore(message) => {
            let xml = write_message(message)?;
            tx.prepare_cached("INSERT INTO offline (user, message) VALUES (?1, ?2)")?
                .execute(params![user, xml])?;
        }
        // A request for `take_offline`, not a change.
        Change::OfflineDrain { .. } => {}
        Change::Block(jids) => {
            let mut stmt =
                tx.prepare_cached("INSERT INTO blocklist (user, jid) VALUES (?1, ?2)")?;
            for jid in jids {
                stmt.execute(params![user, jid.to_string()])?;
            }
        }
        Change::Unblock(jids) => {
            let mut stmt =
                tx.prepare_cached("DELETE FROM blocklist WHERE user = ?1 AND jid = ?2")?;
            for jid in jids {
                stmt.execute(params![user, jid.to_string()])?;
            }
        }
        Change::UnblockAll => {
            tx.prepare_cached("DELETE FROM blocklist WHERE user = ?1")?
                .execute(params![user])?;
        }
    }
    Ok(())
}

fn read_contacts(
    tx: &Transaction<'_>,
    user: &str,
) -> Result<Vec<(Jid, StoredContact)>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT contact, item, state, approved, request, ver
         FROM contacts WHERE user = ?1 ORDER BY contact",
    )?;
    let rows = stmt.query_map(params![user], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, Option<String>>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, bool>(3)?,
            row.get::<_, Option<String>>(4)?,
            row.get::<_, i64>(5)?,
        ))
    })?;
    let mut contacts = Vec::new();
    for row in rows {
        let (contact, item, state, approved, request, ver) = row?;
        let stored = StoredContact {
            item: item.as_deref().map(read_item).transpose()?,
            state: read_state(state, approved)?,
            request: request.as_deref().map(read_presence).transpose()?,
            ver: ver.cast_unsigned(),
        };
        contacts.push((parse_jid("contact", &contact)?, stored));
    }
    Ok(contacts)
}

/// The key for a user's rows: the bare JID, whatever resource was passed.
fn user_key(user: &Jid) -> String {
    user.to_bare().to_string()
}

/// The index in [`State::ALL`], which lists every state.
fn write_state(state: ContactState) -> (i64, bool) {
    let index = State::ALL
        .iter()
        .position(|s| *s == state.state())
        .and_then(|i| i64::try_from(i).ok())
        .unwrap_or(0);
    (index, state.approved())
}

fn read_state(index: i64, approved: bool) -> Result<ContactState, StoreError> {
    let state = usize::try_from(index)
        .ok()
        .and_then(|i| State::ALL.get(i).copied())
        .ok_or_else(|| corrupt("contact state", index))?;
    Ok(ContactState::with_approved(state, approved))
}

fn hash_name(hash: ScramHash) -> Result<&'static str, StoreError> {
    match hash {
        ScramHash::Sha1 => Ok("SHA-1"),
        ScramHash::Sha256 => Ok("SHA-256"),
        ScramHash::Sha512 => Ok("SHA-512"),
        other => Err(StoreError::UnsupportedHash(other)),
    }
}

fn hash_from_name(name: &str) -> Option<ScramHash> {
    ScramHash::STRONGEST_FIRST
        .into_iter()
        .find(|&hash| hash_name(hash).is_ok_and(|n| n == name))
}

/// How stanzas are written: as to a WebSocket client, each element
/// declaring its own namespace, so a record stands alone.
fn write_ctx() -> Context {
    Context::client_websocket()
}

/// How stanzas are read back: twice the wire limits, since a stored
/// message is one that passed them plus the `<delay/>` the server added.
fn read_ctx() -> Context {
    let wire = Limits::default();
    Context::client_websocket().with_limits(
        wire.with_max_bytes(wire.max_bytes.saturating_mul(2))
            .with_max_nodes(wire.max_nodes.saturating_mul(2)),
    )
}

fn write_message(message: &Message) -> Result<String, StoreError> {
    let mut out = Vec::new();
    message
        .serialize(&write_ctx(), &mut out)
        .map_err(|e| serialize("message", e))?;
    String::from_utf8(out).map_err(|e| serialize("message", e))
}

fn read_message(xml: &str) -> Result<Message, StoreError> {
    match Element::parse(xml.as_bytes(), &read_ctx()) {
        Ok(Element::Message(message)) => Ok(message),
        Ok(_) => Err(corrupt("message", "not a message")),
        Err(e) => Err(corrupt("message", e)),
    }
}

fn write_presence(presence: &Presence) -> Result<String, StoreError> {
    let mut out = Vec::new();
    presence
        .serialize(&write_ctx(), &mut out)
        .map_err(|e| serialize("presence", e))?;
    String::from_utf8(out).map_err(|e| serialize("presence", e))
}

fn read_presence(xml: &str) -> Result<Presence, StoreError> {
    match Element::parse(xml.as_bytes(), &read_ctx()) {
        Ok(Element::Presence(presence)) => Ok(presence),
        Ok(_) => Err(corrupt("presence", "not a presence")),
        Err(e) => Err(corrupt("presence", e)),
    }
}

/// A roster item is not a stanza: it is written as the one item of a
/// roster push, which the parser reads whole (groups, extensions).
fn write_item(item: &RosterItem) -> Result<String, StoreError> {
    let mut roster = Roster::default();
    roster.items.push(item.clone());
    let mut iq = Iq::new(IqType::Set, "store");
    iq.payload = Some(IqPayload::Roster(roster));
    let mut out = Vec::new();
    iq.serialize(&write_ctx(), &mut out)
        .map_err(|e| serialize("roster item", e))?;
    String::from_utf8(out).map_err(|e| serialize("roster item", e))
}

fn read_item(xml: &str) -> Result<RosterItem, StoreError> {
    let iq = match Element::parse(xml.as_bytes(), &read_ctx()) {
        Ok(Element::Iq(iq)) => iq,
        Ok(_) => return Err(corrupt("roster item", "not an iq")),
        Err(e) => return Err(corrupt("roster item", e)),
    };
    match iq.payload {
        Some(IqPayload::Roster(roster)) if roster.items.len() == 1 => roster
            .items
            .into_iter()
            .next()
            .ok_or_else(|| corrupt("roster item", "no item")),
        _ => Err(corrupt("roster item", "not a roster push of one item")),
    }
}

fn parse_jid(what: &'static str, s: &str) -> Result<Jid, StoreError> {
    Jid::new(s).map_err(|e| corrupt(what, e))
}

fn corrupt(what: &'static str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what,
        why: why.to_string(),
    }
}

fn serialize(what: &'static str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Serialize {
        what,
        why: why.to_string(),
    }
}

//! The SQLite store against the in-memory model the xmpp-im harness keeps:
//! every `Change` variant, random change sequences, reopening the file,
//! accounts, and the offline queue.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use chatwire_examples::chat::sqlite::SqliteStore;
use chatwire_examples::chat::store::{OfflineId, Store, StoreError};
use chatwire_sasl::{AccountPolicy, ScramHash, StoredCredentials};
use chatwire_xmpp_im::{Change, ContactState, State, StoredContact, StoredUser};
use chatwire_xmpp_stanza::{Context, Element, IqPayload, Jid, Message, Presence, RosterItem};
use proptest::prelude::*;

/// A directory of its own under the system's temporary directory, removed
/// when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("chatwire-store-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether the store loads back exactly what the model holds.
fn assert_same(store: &dyn Store, model: &StoredUser, user: &Jid) {
    let record = store.load_user(user).unwrap();
    let contacts: BTreeMap<Jid, StoredContact> = record.contacts.iter().cloned().collect();
    assert_eq!(record.contacts.len(), contacts.len(), "duplicate contacts");
    assert_eq!(contacts, model.contacts, "contacts of {user}");
    assert_eq!(record.floor, model.floor, "floor of {user}");
    assert_eq!(record.blocklist, model.blocklist, "blocklist of {user}");
    assert_eq!(
        record.offline_count as usize,
        model.offline.len(),
        "offline of {user}"
    );
    assert_eq!(record.into_user(user), model.load(user), "user {user}");
}

/// The whole offline queue, read and then deleted.
fn take_all(store: &dyn Store, user: &Jid) -> Result<Vec<Message>, StoreError> {
    let page = store.offline_page(user, &BTreeSet::new(), usize::MAX)?;
    let ids: Vec<OfflineId> = page.iter().map(|(id, _)| *id).collect();
    store.delete_offline(user, &ids)?;
    Ok(page.into_iter().map(|(_, m)| m).collect())
}

fn jid(s: &str) -> Jid {
    Jid::new(s).unwrap()
}

fn parse(xml: &str) -> Element {
    Element::parse(xml.as_bytes(), &Context::client_websocket()).unwrap()
}

fn message(xml: &str) -> Message {
    match parse(xml) {
        Element::Message(m) => m,
        other => panic!("not a message: {other:?}"),
    }
}

fn presence(xml: &str) -> Presence {
    match parse(xml) {
        Element::Presence(p) => p,
        other => panic!("not a presence: {other:?}"),
    }
}

/// The one item of a roster push.
fn item(xml_item: &str) -> RosterItem {
    let xml = format!(
        "<iq xmlns='jabber:client' type='set' id='p'><query xmlns='jabber:iq:roster'>{xml_item}</query></iq>"
    );
    match parse(&xml) {
        Element::Iq(iq) => match iq.payload {
            Some(IqPayload::Roster(r)) => r.items.into_iter().next().unwrap(),
            other => panic!("not a roster push: {other:?}"),
        },
        other => panic!("not an iq: {other:?}"),
    }
}

fn contact(
    contact: &Jid,
    item: Option<RosterItem>,
    state: ContactState,
    request: Option<Presence>,
    ver: u64,
) -> Change {
    Change::Contact {
        contact: contact.clone(),
        stored: Box::new(StoredContact {
            item,
            state,
            request,
            ver,
        }),
    }
}

/// Applies one batch to both and compares them.
fn step(store: &dyn Store, model: &mut StoredUser, user: &Jid, changes: Vec<Change>) {
    store.apply(user, &changes).unwrap();
    for change in changes {
        model.apply(change);
    }
    assert_same(store, model, user);
}

#[test]
fn every_change_variant_round_trips() {
    let dir = TempDir::new();
    let store = SqliteStore::open(dir.path()).unwrap();
    let juliet = jid("juliet@example.com");
    let romeo = jid("romeo@example.net");
    let nurse = jid("nurse@example.com");
    let mut model = StoredUser::default();
    assert_same(&store, &model, &juliet);

    // A contact with everything: name, groups, an extension, approval, a
    // pending request with a status and a payload, a version above i64.
    let mut full = item(
        "<item jid='romeo@example.net' name='Romeo &amp; &lt;co&gt;' subscription='none' ask='subscribe' approved='true'>\
         <group>Friends</group><group>Verona ♥</group><note xmlns='urn:example:note' k='v'>x<b/></note></item>",
    );
    let state = ContactState::with_approved(State::NonePendingOutIn, true);
    state.apply_to(&mut full);
    let request = presence(
        "<presence xmlns='jabber:client' type='subscribe' from='romeo@example.net' id='s1'>\
         <status>let me in</status><status xml:lang='fr'>laisse-moi</status>\
         <nick xmlns='http://jabber.org/protocol/nick'>Romeo</nick></presence>",
    );
    step(
        &store,
        &mut model,
        &juliet,
        vec![contact(
            &romeo,
            Some(full),
            state,
            Some(request.clone()),
            u64::MAX,
        )],
    );

    // Replaced; a stranger's request without an item.
    let plain = item("<item jid='romeo@example.net' subscription='both'/>");
    step(
        &store,
        &mut model,
        &juliet,
        vec![
            contact(&romeo, Some(plain), ContactState::new(State::Both), None, 7),
            contact(
                &nurse,
                None,
                ContactState::new(State::NonePendingIn),
                Some(request),
                8,
            ),
        ],
    );

    // Forget, and a floor.
    step(
        &store,
        &mut model,
        &juliet,
        vec![Change::Forget {
            contact: nurse.clone(),
            floor: 8,
        }],
    );

    // The blocklist: order kept, duplicates as the model keeps them.
    let a = jid("a@example.org");
    let b = jid("b@example.org/res");
    let c = jid("example.org");
    step(
        &store,
        &mut model,
        &juliet,
        vec![
            Change::Block(vec![a.clone(), b.clone()]),
            Change::Block(vec![c.clone(), a.clone()]),
        ],
    );
    step(
        &store,
        &mut model,
        &juliet,
        vec![Change::Unblock(vec![a.clone()])],
    );
    step(
        &store,
        &mut model,
        &juliet,
        vec![Change::UnblockAll, Change::Block(vec![b.clone()])],
    );

    // The offline queue, with a delay and a payload; a drain is skipped.
    let m1 = message(
        "<message xmlns='jabber:client' type='chat' from='romeo@example.net/orchard' to='juliet@example.com' id='m1'>\
         <body>art thou &lt;there&gt;?</body><thread>t1</thread>\
         <delay xmlns='urn:xmpp:delay' from='example.com' stamp='2026-11-29T23:00:00.000Z'>Offline Storage</delay>\
         <x xmlns='urn:example:x'><y a='1'/></x></message>",
    );
    let m2 = message(
        "<message xmlns='jabber:client' from='nurse@example.com/k' to='juliet@example.com'><subject>s</subject><body>two</body></message>",
    );
    step(
        &store,
        &mut model,
        &juliet,
        vec![
            Change::OfflineStore(Box::new(m1.clone())),
            Change::OfflineDrain {
                session: jid("juliet@example.com/balcony"),
            },
            Change::OfflineStore(Box::new(m2.clone())),
        ],
    );
    assert_eq!(take_all(&store, &juliet).unwrap(), vec![m1, m2]);
    model.offline.clear();
    assert_same(&store, &model, &juliet);

    // Another user's rows are apart.
    assert_same(&store, &StoredUser::default(), &romeo);
}

#[test]
fn a_full_jid_names_its_bare_user() {
    let dir = TempDir::new();
    let store = SqliteStore::open(dir.path()).unwrap();
    let a = jid("a@example.org");
    store
        .apply(
            &jid("juliet@example.com/balcony"),
            &[Change::Block(vec![a.clone()])],
        )
        .unwrap();
    assert_eq!(
        store
            .load_user(&jid("juliet@example.com"))
            .unwrap()
            .blocklist,
        vec![a]
    );
}

#[test]
fn a_failing_batch_applies_nothing() {
    let dir = TempDir::new();
    let store = SqliteStore::open(dir.path()).unwrap();
    let juliet = jid("juliet@example.com");
    // Refused at serialisation: an `Other` subscription spelling a defined value.
    let mut bad = RosterItem::new(jid("romeo@example.net"));
    bad.set_subscription(Some(chatwire_xmpp_stanza::Subscription::Other(
        "both".to_owned(),
    )));
    let changes = [
        Change::Block(vec![jid("a@example.org")]),
        contact(
            &jid("romeo@example.net"),
            Some(bad),
            ContactState::default(),
            None,
            1,
        ),
    ];
    let err = store.apply(&juliet, &changes).unwrap_err();
    assert!(matches!(err, StoreError::Serialize { .. }), "{err}");
    assert_same(&store, &StoredUser::default(), &juliet);
}

#[test]
fn offline_take_returns_in_arrival_order_and_empties() {
    let dir = TempDir::new();
    let store = SqliteStore::open(dir.path()).unwrap();
    let juliet = jid("juliet@example.com");
    let romeo = jid("romeo@example.net");
    let sent: Vec<Message> = (0..20)
        .map(|i| Message::chat(juliet.clone(), format!("m{i}")))
        .collect();
    for (i, m) in sent.iter().enumerate() {
        let mut changes = vec![Change::OfflineStore(Box::new(m.clone()))];
        if i == 3 {
            // Someone else's message in between.
            changes.push(Change::OfflineStore(Box::new(Message::chat(
                romeo.clone(),
                "other",
            ))));
            store.apply(&romeo, &changes[1..]).unwrap();
            changes.truncate(1);
        }
        store.apply(&juliet, &changes).unwrap();
    }
    assert_eq!(store.load_user(&juliet).unwrap().offline_count, 20);
    assert_eq!(take_all(&store, &juliet).unwrap(), sent);
    assert_eq!(take_all(&store, &juliet).unwrap(), Vec::new());
    assert_eq!(store.load_user(&juliet).unwrap().offline_count, 0);
    assert_eq!(take_all(&store, &romeo).unwrap().len(), 1);
}

#[test]
fn everything_survives_reopening() {
    let dir = TempDir::new();
    let juliet = jid("juliet@example.com");
    let romeo = jid("romeo@example.net");
    let mut model = StoredUser::default();
    let salt = [7u8; 16];
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.path(), dir.path().join("chatwire.sqlite3"));
        let credentials = AccountPolicy::default().derive("pencil", &salt).unwrap();
        store.put_account("juliet", &credentials).unwrap();
        let mut it = item("<item jid='romeo@example.net' name='R'><group>g</group></item>");
        ContactState::new(State::To).apply_to(&mut it);
        step(
            &store,
            &mut model,
            &juliet,
            vec![
                contact(&romeo, Some(it), ContactState::new(State::To), None, 3),
                Change::Forget {
                    contact: jid("old@example.net"),
                    floor: 2,
                },
                Change::Block(vec![jid("spam@example.org")]),
                Change::OfflineStore(Box::new(Message::chat(juliet.clone(), "kept"))),
            ],
        );
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_same(&store, &model, &juliet);
    let credentials = store.account("juliet").unwrap().unwrap();
    assert!(credentials.verify_password("pencil").unwrap());
    assert!(!credentials.verify_password("pen").unwrap());
    assert!(AccountPolicy::default().is_followed_by(&credentials));
    assert_eq!(credentials.salt(), salt);
    assert_eq!(take_all(&store, &juliet).unwrap(), model.offline);

    // The durability settings hold on the file itself.
    let raw = rusqlite::Connection::open(store.path()).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = raw
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SqliteStore::SCHEMA_VERSION);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = TempDir::new();
    let path = SqliteStore::open(dir.path()).unwrap().path().to_owned();
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute("INSERT INTO schema_version (version) VALUES (99)", [])
        .unwrap();
    drop(raw);
    let err = SqliteStore::open(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::SchemaTooNew {
                found: 99,
                supported: 1
            }
        ),
        "{err}"
    );
}

#[test]
fn the_data_dir_is_created() {
    let dir = TempDir::new();
    let nested = dir.path().join("a").join("b");
    SqliteStore::open(&nested).unwrap();
    assert!(nested.join(SqliteStore::FILE_NAME).is_file());
}

#[test]
fn accounts_put_get_replace_delete() {
    let dir = TempDir::new();
    let store = SqliteStore::open(dir.path()).unwrap();
    assert!(store.account("juliet").unwrap().is_none());
    assert!(!store.delete_account("juliet").unwrap());

    let policy = AccountPolicy::default();
    let first = policy.derive("pencil", &[1; 16]).unwrap();
    store.put_account("juliet", &first).unwrap();
    let got = store.account("juliet").unwrap().unwrap();
    assert_eq!(got.salt(), first.salt());
    assert_eq!(got.iterations(), first.iterations());
    assert_eq!(
        got.hashes().collect::<Vec<_>>(),
        first.hashes().collect::<Vec<_>>()
    );
    for hash in first.hashes() {
        let (a, b) = (got.keys(hash).unwrap(), first.keys(hash).unwrap());
        assert_eq!(a.stored_key(), b.stored_key());
        assert_eq!(a.server_key(), b.server_key());
    }
    assert!(got.verify_password("pencil").unwrap());

    // Replaced whole: fewer hashes, a new salt and count.
    let second = StoredCredentials::derive("quill", b"salt", 2, &[ScramHash::Sha1]).unwrap();
    store.put_account("juliet", &second).unwrap();
    let got = store.account("juliet").unwrap().unwrap();
    assert_eq!(got.hashes().collect::<Vec<_>>(), vec![ScramHash::Sha1]);
    assert_eq!((got.salt(), got.iterations()), (&b"salt"[..], 2));
    assert!(got.verify_password("quill").unwrap());
    assert!(!got.verify_password("pencil").unwrap());

    // Other accounts are apart; a deleted one is gone after reopening.
    store.put_account("romeo", &first).unwrap();
    assert!(store.delete_account("juliet").unwrap());
    assert!(store.account("juliet").unwrap().is_none());
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert!(store.account("juliet").unwrap().is_none());
    assert!(
        store
            .account("romeo")
            .unwrap()
            .unwrap()
            .verify_password("pencil")
            .unwrap()
    );
}

#[test]
fn the_store_is_shared_as_a_trait_object() {
    fn shared(_: std::sync::Arc<dyn Store>) {}
    let dir = TempDir::new();
    shared(std::sync::Arc::new(SqliteStore::open(dir.path()).unwrap()));
}

// Random sequences.

const CONTACTS: [&str; 4] = [
    "romeo@example.net",
    "nurse@example.com",
    "example.org",
    "tybalt@example.net/r",
];

#[derive(Debug, Clone)]
enum Op {
    /// One machine call's changes for user 0 or 1.
    Apply(usize, Vec<Change>),
    Take(usize),
    Reopen,
}

fn some_jid() -> impl Strategy<Value = Jid> {
    (0..CONTACTS.len()).prop_map(|i| jid(CONTACTS[i]))
}

fn stored_contact(contact: Jid) -> impl Strategy<Value = StoredContact> {
    let names = prop::option::of(prop::sample::select(vec!["R", "Nurse & <co>", "Ĵuliet ♥"]));
    let groups = prop::sample::subsequence(vec!["Friends", "Family", "a&b"], 0..=3);
    let parts = prop::option::of((names, groups, any::<bool>()));
    (
        parts,
        0..State::ALL.len(),
        any::<bool>(),
        prop::option::of(0..3usize),
        any::<u64>(),
    )
        .prop_map(move |(parts, s, approved, request, ver)| {
            let state = ContactState::with_approved(State::ALL[s], approved);
            let item = parts.map(|(name, groups, ext)| {
                let mut xml = format!("<item jid='{contact}'>");
                for g in groups {
                    xml += &format!("<group>{}</group>", g.replace('&', "&amp;"));
                }
                if ext {
                    xml += "<ext xmlns='urn:example:ext'>v</ext>";
                }
                xml += "</item>";
                let mut it = item(&xml);
                it.name = name.map(Box::from);
                state.apply_to(&mut it);
                it
            });
            let request = request.map(|n| {
                let mut p = presence(&format!(
                    "<presence xmlns='jabber:client' type='subscribe' from='{contact}'/>"
                ));
                for i in 0..n {
                    p.statuses
                        .push(chatwire_xmpp_stanza::Text::new(format!("please {i} <&>")));
                }
                p
            });
            StoredContact {
                item,
                state,
                request,
                ver,
            }
        })
}

fn change() -> impl Strategy<Value = Change> {
    let jids = || prop::collection::vec(some_jid(), 0..3);
    prop_oneof![
        4 => some_jid().prop_flat_map(|c| stored_contact(c.clone()).prop_map(move |s| Change::Contact { contact: c.clone(), stored: Box::new(s) })),
        2 => (some_jid(), any::<u64>()).prop_map(|(contact, floor)| Change::Forget { contact, floor }),
        2 => ("[a-z <>&]{1,12}", any::<bool>()).prop_map(|(body, delay)| {
            let mut m = Message::chat(jid("juliet@example.com"), body);
            m.from = Some(jid("romeo@example.net/x"));
            if delay {
                let mut d = chatwire_xmpp_stanza::Delay::new("2026-11-29T23:00:00Z");
                d.from = Some(jid("example.com"));
                m.payloads.push(chatwire_xmpp_stanza::Payload::Delay(d));
            }
            Change::OfflineStore(Box::new(m))
        }),
        1 => Just(Change::OfflineDrain { session: jid("juliet@example.com/r") }),
        2 => jids().prop_map(Change::Block),
        2 => jids().prop_map(Change::Unblock),
        1 => Just(Change::UnblockAll),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..2usize, prop::collection::vec(change(), 0..6)).prop_map(|(u, c)| Op::Apply(u, c)),
        1 => (0..2usize).prop_map(Op::Take),
        1 => Just(Op::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_changes_load_back_as_the_model(ops in prop::collection::vec(op(), 1..16)) {
        let users = [jid("juliet@example.com"), jid("romeo@example.net")];
        let dir = TempDir::new();
        let mut store = SqliteStore::open(dir.path()).unwrap();
        let mut models = [StoredUser::default(), StoredUser::default()];
        for op in ops {
            match op {
                Op::Apply(u, changes) => step(&store, &mut models[u], &users[u], changes),
                Op::Take(u) => {
                    let taken = take_all(&store, &users[u]).unwrap();
                    prop_assert_eq!(taken, std::mem::take(&mut models[u].offline));
                }
                Op::Reopen => {
                    drop(store);
                    store = SqliteStore::open(dir.path()).unwrap();
                }
            }
            for (user, model) in users.iter().zip(&models) {
                assert_same(&store, model, user);
            }
        }
        for (user, model) in users.iter().zip(&models) {
            prop_assert_eq!(&take_all(&store, user).unwrap(), &model.offline);
        }
    }
}

/// A page of the offline queue: the oldest first, leaving out the ones
/// on their way to a session; nothing is removed until deleted by id.
#[test]
fn offline_queue_is_read_a_page_at_a_time_and_kept_until_deleted() {
    let dir = TempDir::new();
    let store = SqliteStore::open(dir.path()).unwrap();
    let juliet = jid("juliet@capulet.example");
    let sent: Vec<Message> = (0..5)
        .map(|i| Message::chat(juliet.clone(), format!("m{i}")))
        .collect();
    let changes: Vec<Change> = sent
        .iter()
        .map(|m| Change::OfflineStore(Box::new(m.clone())))
        .collect();
    store.apply(&juliet, &changes).unwrap();
    let bodies = |page: &[(OfflineId, Message)]| -> Vec<String> {
        page.iter()
            .map(|(_, m)| m.body().unwrap_or_default().to_owned())
            .collect()
    };
    let mut skip = BTreeSet::new();
    let first = store.offline_page(&juliet, &skip, 2).unwrap();
    assert_eq!(bodies(&first), ["m0", "m1"]);
    assert_eq!(
        bodies(&store.offline_page(&juliet, &skip, 2).unwrap()),
        ["m0", "m1"],
        "reading removes nothing"
    );
    skip.extend(first.iter().map(|(id, _)| *id));
    let second = store.offline_page(&juliet, &skip, 2).unwrap();
    assert_eq!(bodies(&second), ["m2", "m3"]);
    skip.extend(second.iter().map(|(id, _)| *id));
    assert_eq!(
        bodies(&store.offline_page(&juliet, &skip, 2).unwrap()),
        ["m4"]
    );
    // m1 and m2 confirmed; m0 and m3 released: the queue keeps them in order.
    store
        .delete_offline(&juliet, &[first[1].0, second[0].0])
        .unwrap();
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.load_user(&juliet).unwrap().offline_count, 3);
    let rest = store.offline_page(&juliet, &BTreeSet::new(), 10).unwrap();
    assert_eq!(bodies(&rest), ["m0", "m3", "m4"]);
    // Deleting what is gone already is no error.
    store.delete_offline(&juliet, &[first[1].0]).unwrap();
    assert_eq!(store.load_user(&juliet).unwrap().offline_count, 3);
}

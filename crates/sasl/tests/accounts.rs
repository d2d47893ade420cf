//! An unknown user looks like a known one: the same salt pattern and iteration count for every
//! hash, and the same answers to a misconfiguration. (Response times: `tests/timing.rs`.)
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

use chatwire_sasl::{
    AccountPolicy, Client, ClientConfig, ClientStep, Error, Mechanism, ScramHash, Secret, Server,
    ServerConfig, ServerStep, StoredCredentials,
};

const CNONCE: &str = "clientnonceAAAA";
const SNONCE: &str = "servernonceBBBBCCCC";
const SCRAM: [Mechanism; 3] = [
    Mechanism::ScramSha1,
    Mechanism::ScramSha256,
    Mechanism::ScramSha512,
];

fn config() -> ServerConfig {
    ServerConfig::new(Secret::new(*b"0123456789abcdef0123456789abcdef").unwrap())
}

/// The `s=` and `i=` an attacker sees for `user`.
fn salt_and_iterations(
    config: &ServerConfig,
    mech: Mechanism,
    user: &str,
    credentials: Option<&StoredCredentials>,
) -> (Vec<u8>, u32) {
    use base64::Engine;
    let mut server = Server::new(mech, config.clone(), SNONCE).unwrap();
    server
        .start(Some(format!("n,,n={user},r={CNONCE}").as_bytes()))
        .unwrap();
    let ServerStep::Challenge(first) = server.credentials(credentials).unwrap() else {
        panic!("no server-first")
    };
    let first = String::from_utf8(first).unwrap();
    let attr = |name: &str| {
        first
            .split(',')
            .find_map(|a| a.strip_prefix(name))
            .unwrap()
            .to_owned()
    };
    let salt = base64::engine::general_purpose::STANDARD
        .decode(attr("s="))
        .unwrap();
    (salt, attr("i=").parse().unwrap())
}

/// Under any policy, a real account shows one salt and one iteration count for all three
/// hashes, and an unknown user shows the same shape: one stable salt of the policy's length and
/// the policy's iteration count.
#[test]
fn unknown_users_follow_the_account_policy() {
    for (iterations, salt_len) in [(4096, 16), (10_000, 28), (5000, 64)] {
        let policy = AccountPolicy::new(iterations, salt_len, &ScramHash::STRONGEST_FIRST).unwrap();
        let config = config().with_account_policy(policy.clone());
        let salt: Vec<u8> = (0..salt_len).map(|i| i as u8).collect();
        let account = policy.derive("pencil", &salt).unwrap();
        let known: Vec<_> = SCRAM
            .iter()
            .map(|&m| salt_and_iterations(&config, m, "alice", Some(&account)))
            .collect();
        let unknown: Vec<_> = SCRAM
            .iter()
            .map(|&m| salt_and_iterations(&config, m, "mallory", None))
            .collect();
        for seen in [&known, &unknown] {
            assert!(seen.iter().all(|s| *s == seen[0]), "{seen:?}");
            assert_eq!(seen[0].0.len(), salt_len);
            assert_eq!(seen[0].1, iterations);
        }
        assert_eq!(known[0].0, salt);
        assert_ne!(unknown[0].0, salt);
        // Stable across attempts, like a stored salt.
        assert_eq!(
            salt_and_iterations(&config, Mechanism::ScramSha1, "mallory", None),
            unknown[0]
        );
    }
}

/// An account without keys for a hash shows its own salt and fails like a wrong password.
#[test]
fn account_without_the_hash_fails_like_a_wrong_password() {
    let account =
        StoredCredentials::derive("pencil", b"0123456789abcdef", 4096, &[ScramHash::Sha256])
            .unwrap();
    let (salt, iterations) =
        salt_and_iterations(&config(), Mechanism::ScramSha1, "alice", Some(&account));
    assert_eq!(salt, b"0123456789abcdef");
    assert_eq!(iterations, 4096);
    let cc = ClientConfig::new("alice", "pencil");
    let mut client = Client::new(Mechanism::ScramSha1, &cc, CNONCE).unwrap();
    let mut server = Server::new(Mechanism::ScramSha1, config(), SNONCE).unwrap();
    server.start(Some(&client.start().unwrap())).unwrap();
    let ServerStep::Challenge(first) = server.credentials(Some(&account)).unwrap() else {
        panic!()
    };
    let ClientStep::Response(last) = client.step(&first).unwrap() else {
        panic!()
    };
    assert_eq!(server.step(&last), Err(Error::NotAuthorized));
}

/// A misconfiguration fails every exchange when the server is built, instead of showing only
/// for unknown users (4576ba9: a zero fake-salt length gave unknown users
/// `temporary-auth-failure` and known users a challenge).
#[test]
fn misconfiguration_shows_for_everyone() {
    assert!(AccountPolicy::new(4096, 0, &ScramHash::STRONGEST_FIRST).is_err());
    assert!(AccountPolicy::new(0, 16, &ScramHash::STRONGEST_FIRST).is_err());
    assert!(AccountPolicy::new(4096, 16, &[]).is_err());
    let mut too_many = config();
    too_many.max_iterations = 4095;
    for mech in Mechanism::ALL {
        let err = Server::new(mech, too_many.clone(), SNONCE).unwrap_err();
        assert!(err.is_api_misuse(), "{mech}: {err:?}");
    }
}

#[test]
fn short_or_empty_secret_refused() {
    for len in [0, 1, Secret::MIN_LEN - 1] {
        assert!(Secret::new(vec![7; len]).unwrap_err().is_api_misuse());
    }
    assert!(Secret::new(vec![7; Secret::MIN_LEN]).is_ok());
}

/// The server's own bound on iteration counts: stored credentials above it are refused before
/// any PBKDF2 runs (PLAIN), and the exchange can go on with other credentials.
#[test]
fn stored_iterations_above_the_server_maximum_are_refused() {
    let mut config = config();
    config.max_iterations = 5000;
    let costly = StoredCredentials::new(b"0123456789abcdef".to_vec(), 50_000_000)
        .unwrap()
        .with_keys(ScramHash::Sha256, vec![0; 32], vec![0; 32])
        .unwrap();
    for mech in [Mechanism::Plain, Mechanism::ScramSha256] {
        let mut server = Server::new(mech, config.clone(), SNONCE).unwrap();
        let first: &[u8] = if mech == Mechanism::Plain {
            b"\0alice\0pencil"
        } else {
            b"n,,n=alice,r=abc"
        };
        server.start(Some(first)).unwrap();
        let err = server.credentials(Some(&costly)).unwrap_err();
        assert!(err.is_api_misuse(), "{mech}: {err:?}");
        // Still waiting for credentials: resumed as an unknown user, it runs to its usual end.
        let resumed = server.credentials(None);
        if mech == Mechanism::Plain {
            assert_eq!(resumed, Err(Error::NotAuthorized));
        } else {
            assert!(
                matches!(resumed, Ok(ServerStep::Challenge(_))),
                "{resumed:?}"
            );
        }
    }
}

/// A store that treats several names as one account (XMPP localparts are case-insensitive,
/// RFC 7622 s3.3) shows that account's one salt for "Alice" and "alice". An unknown name must
/// behave alike, or trying two spellings of a name tells accounts apart: the stand-in salt
/// follows the key the store looked the name up under.
#[test]
fn unknown_user_salt_follows_the_store_key() {
    use base64::Engine;
    let account = AccountPolicy::default()
        .derive("pencil", b"0123456789abcdef")
        .unwrap();
    let store = |key: &str| (key == "alice").then_some(&account);
    let salt_of = |user: &str| {
        let mut server = Server::new(Mechanism::ScramSha256, config(), SNONCE).unwrap();
        let step = server
            .start(Some(format!("n,,n={user},r={CNONCE}").as_bytes()))
            .unwrap();
        let ServerStep::NeedCredentials { username, .. } = step else {
            panic!("no lookup")
        };
        let key = username.to_lowercase();
        let ServerStep::Challenge(first) = server.credentials_for(&key, store(&key)).unwrap()
        else {
            panic!("no server-first")
        };
        let first = String::from_utf8(first).unwrap();
        let salt = first
            .split(",s=")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(salt)
            .unwrap()
    };
    assert_eq!(salt_of("Alice"), salt_of("alice"));
    assert_eq!(salt_of("Mallory"), salt_of("mallory"));
    assert_ne!(salt_of("mallory"), salt_of("trudy"));

    // PLAIN takes the key too, and an unknown one fails like a wrong password.
    let mut server = Server::new(Mechanism::Plain, config(), "").unwrap();
    server.start(Some(b"\0Mallory\0pencil")).unwrap();
    assert_eq!(
        server.credentials_for("mallory", store("mallory")),
        Err(Error::NotAuthorized)
    );
    let mut server = Server::new(Mechanism::Plain, config(), "").unwrap();
    server.start(Some(b"\0Alice\0pencil")).unwrap();
    assert!(matches!(
        server.credentials_for("alice", store("alice")),
        Ok(ServerStep::Success { .. })
    ));
}

//! The SASL server on arbitrary client messages at every step, for every mechanism: it must
//! never panic, a success must name who authenticated, and neither an unknown user nor an
//! account without keys for the mechanism's hash ever succeeds.
//!
//! Input: a mechanism byte, then client messages separated by 0xFF (never in UTF-8). Real
//! credentials for "user"/"pencil" with the RFC 5802 / RFC 7677 salts, so the seeds built from
//! those vectors reach the final proof check; "sha1only" has SHA-1 keys only.
#![no_main]

use std::sync::OnceLock;

use chatwire_sasl::{
    AccountPolicy, ChannelBinding, Mechanism, ScramHash, Secret, Server, ServerConfig, ServerStep,
    StoredCredentials,
};
use libfuzzer_sys::fuzz_target;

/// "user" with the salt of the RFC vector for the mechanism's hash (RFC 5802 for SHA-1,
/// RFC 7677 for the others), keys for every hash; "sha1only" with SHA-1 keys only.
fn credentials(hash: ScramHash, username: &str) -> Option<&'static StoredCredentials> {
    static CREDS: OnceLock<[StoredCredentials; 3]> = OnceLock::new();
    let all = CREDS.get_or_init(|| {
        let sha1_salt = [65, 37, 194, 71, 228, 58, 177, 233, 60, 109, 255, 118];
        let sha2_salt = [
            91, 109, 153, 104, 157, 18, 53, 142, 236, 160, 75, 20, 18, 54, 250, 129,
        ];
        let all = ScramHash::STRONGEST_FIRST;
        [
            StoredCredentials::derive("pencil", &sha1_salt, 4096, &all).unwrap(),
            StoredCredentials::derive("pencil", &sha2_salt, 4096, &all).unwrap(),
            StoredCredentials::derive("pencil", &sha2_salt, 1, &[ScramHash::Sha1]).unwrap(),
        ]
    });
    match (username, hash) {
        ("user", ScramHash::Sha1) => Some(&all[0]),
        ("user", _) => Some(&all[1]),
        ("sha1only", _) => Some(&all[2]),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mechanism = Mechanism::ALL[usize::from(selector) % Mechanism::ALL.len()];
    let hash = mechanism.scram_hash().unwrap_or(ScramHash::Sha256);
    let nonce = match hash {
        ScramHash::Sha1 => "3rfcNHYJY1ZVvWVs7j",
        _ => "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    };
    let policy = AccountPolicy::new(1, 16, &ScramHash::STRONGEST_FIRST).unwrap();
    let mut config = ServerConfig::new(Secret::new(*b"fuzz secret, sixteen bytes or so").unwrap())
        .with_account_policy(policy);
    config.plus_advertised = selector & 0x80 != 0;
    config.external_identity = (selector & 0x40 != 0).then(|| "cert".to_owned());
    config
        .channel_bindings
        .push(ChannelBinding::new("tls-exporter", b"THIS IS FAKE CB DATA".to_vec()).unwrap());
    config.channel_bindings.push(
        ChannelBinding::new("tls-unique", vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]).unwrap(),
    );
    let Ok(mut server) = Server::new(mechanism, config, nonce) else {
        return;
    };
    let mut messages = rest.split(|&b| b == 0xff);
    let first = messages.next();
    let mut step = server.start(first.filter(|m| !m.is_empty() || selector & 0x20 == 0));
    let mut may_succeed = true;
    loop {
        step = match step {
            Ok(ServerStep::NeedCredentials { username, .. }) => {
                assert!(!username.is_empty());
                let account = credentials(hash, &username);
                may_succeed = account
                    .is_some_and(|a| mechanism == Mechanism::Plain || a.keys(hash).is_some());
                server.credentials(account)
            }
            Ok(ServerStep::Challenge(_)) => match messages.next() {
                Some(m) => server.step(m),
                None => return,
            },
            Ok(ServerStep::Success { outcome, .. }) => {
                assert_eq!(outcome.mechanism, mechanism);
                if mechanism.scram_hash().is_some() || mechanism == Mechanism::Plain {
                    assert!(may_succeed, "{outcome:?}");
                    let who = outcome.authcid.as_deref();
                    assert!(matches!(who, Some("user" | "sha1only")), "{outcome:?}");
                }
                // Nothing is accepted after success.
                if let Some(m) = messages.next() {
                    assert!(server.step(m).is_err());
                }
                return;
            }
            Err(e) => {
                let _ = e.failure();
                if !e.is_api_misuse() {
                    if let Some(m) = messages.next() {
                        assert!(server.step(m).is_err());
                    }
                }
                return;
            }
        };
    }
});

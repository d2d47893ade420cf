//! The SASL server on arbitrary client messages at every step, for every mechanism: it must
//! never panic, and a success must name who authenticated.
//!
//! Input: a mechanism byte, then client messages separated by 0xFF (never in UTF-8). Real
//! credentials for "user"/"pencil" with the RFC 5802 / RFC 7677 salts, so the seeds built from
//! those vectors reach the final proof check.
#![no_main]

use std::sync::OnceLock;

use chatwire_sasl::{
    ChannelBinding, Mechanism, ScramHash, Secret, Server, ServerConfig, ServerStep,
    StoredCredentials,
};
use libfuzzer_sys::fuzz_target;

fn credentials(hash: ScramHash) -> &'static StoredCredentials {
    static CREDS: OnceLock<[StoredCredentials; 3]> = OnceLock::new();
    let all = CREDS.get_or_init(|| {
        let sha1_salt = [65, 37, 194, 71, 228, 58, 177, 233, 60, 109, 255, 118];
        let sha2_salt = [
            91, 109, 153, 104, 157, 18, 53, 142, 236, 160, 75, 20, 18, 54, 250, 129,
        ];
        [
            StoredCredentials::derive(ScramHash::Sha1, "pencil", &sha1_salt, 4096).unwrap(),
            StoredCredentials::derive(ScramHash::Sha256, "pencil", &sha2_salt, 4096).unwrap(),
            StoredCredentials::derive(ScramHash::Sha512, "pencil", &sha2_salt, 4096).unwrap(),
        ]
    });
    match hash {
        ScramHash::Sha1 => &all[0],
        ScramHash::Sha256 => &all[1],
        _ => &all[2],
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
    let mut config = ServerConfig::new(Secret::new(*b"fuzz secret"));
    config.fake_iterations = 1;
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
    loop {
        step = match step {
            Ok(ServerStep::NeedCredentials { username, .. }) => {
                let known = username == "user";
                server.credentials(known.then(|| credentials(hash)))
            }
            Ok(ServerStep::Challenge(_)) => match messages.next() {
                Some(m) => server.step(m),
                None => return,
            },
            Ok(ServerStep::Success { outcome, .. }) => {
                assert_eq!(outcome.mechanism, mechanism);
                if mechanism.scram_hash().is_some() || mechanism == Mechanism::Plain {
                    assert_eq!(outcome.authcid.as_deref(), Some("user"));
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

//! The SASL client on arbitrary server messages at every step, for every mechanism: it must
//! never panic, never accept a server that did not prove itself, and never do more PBKDF2
//! work than its iteration bound allows.
//!
//! Input: a mechanism byte, then server messages separated by 0xFF (never in UTF-8); the last
//! one goes to `success()`.
#![no_main]

use chatwire_sasl::{
    ChannelBinding, Client, ClientConfig, ClientStep, Error, Mechanism, ScramHash,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mechanism = Mechanism::ALL[usize::from(selector) % Mechanism::ALL.len()];
    let mut config = ClientConfig::new("user", "pencil");
    config.min_iterations = 1;
    config.max_iterations = 4096;
    config.anonymous_trace = Some("sirhc".into());
    if selector & 0x80 != 0 {
        config.authzid = Some("ad,min".into());
    }
    config.min_server_nonce_len = 1;
    if mechanism.is_plus() || selector & 0x40 != 0 {
        config
            .channel_bindings
            .push(ChannelBinding::new("tls-exporter", b"THIS IS FAKE CB DATA".to_vec()).unwrap());
    }
    let nonce = match mechanism.scram_hash() {
        Some(ScramHash::Sha1) => "fyko+d2lbbFgONRv9qkxdawL",
        _ => "rOprNGfwEbeRWgbNEkqO",
    };
    let Ok(mut client) = Client::new(mechanism, &config, nonce) else {
        return;
    };
    if client.start().is_err() {
        return;
    }
    let mut messages: Vec<&[u8]> = rest.split(|&b| b == 0xff).collect();
    let last = messages.pop();
    let mut verified = false;
    for m in messages {
        match client.step(m) {
            Ok(ClientStep::Response(_)) => {}
            Ok(ClientStep::Verified) => verified = true,
            Err(Error::IterationCount { got, .. }) => {
                assert!(!(1..=4096).contains(&got));
                return;
            }
            Err(_) => return,
        }
    }
    let outcome = client.success(last.filter(|m| !m.is_empty()));
    if outcome.is_ok() && mechanism.scram_hash().is_some() && !verified {
        // Success without an earlier verifier needs one in the success data.
        assert!(last.is_some_and(|m| m.starts_with(b"v=")));
    }
});

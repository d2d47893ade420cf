//! The client's mechanism choice on arbitrary stream features, then the chosen exchange on
//! arbitrary server messages: it must never panic, never pick what was not offered or is not
//! in the preference, never pick PLAIN without TLS unless allowed, and a binding-capable client
//! offered any -PLUS must bind or fail.
//!
//! Input: a flags byte (TLS, binding-capable, allow PLAIN without TLS, allow PLAIN with
//! channel binding, require XEP-0474, XEP-0440 present), then fields separated by 0xFF: the
//! mechanism names (separated by spaces), the XEP-0440 types (separated by spaces), then server
//! messages for the exchange, the last one going to `success()`.
#![no_main]

use chatwire_sasl::{
    ChannelBinding, Client, ClientConfig, ClientStep, Error, Mechanism, ServerOffer,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut fields = rest.split(|&b| b == 0xff);
    let words = |field: Option<&[u8]>| -> Vec<String> {
        String::from_utf8_lossy(field.unwrap_or_default())
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mechanisms = words(fields.next());
    let types = words(fields.next());
    let tls = flags & 0x01 != 0;
    let mut offer = ServerOffer::new(mechanisms).with_tls(tls);
    if flags & 0x20 != 0 {
        offer = offer.with_channel_binding_types(types);
    }
    let mut config = ClientConfig::new("user", "pencil");
    config.min_iterations = 1;
    config.max_iterations = 4096;
    config.min_server_nonce_len = 1;
    config.allow_plain_without_tls = flags & 0x04 != 0;
    config.allow_plain_with_channel_binding = flags & 0x08 != 0;
    config.require_downgrade_protection = flags & 0x10 != 0;
    let binding_capable = flags & 0x02 != 0 && tls;
    if binding_capable {
        for kind in ["tls-exporter", "tls-server-end-point"] {
            config
                .channel_bindings
                .push(ChannelBinding::new(kind, b"THIS IS FAKE CB DATA".to_vec()).unwrap());
        }
    }
    let mut client = match Client::negotiate(&offer, &config, "rOprNGfwEbeRWgbNEkqO") {
        Ok(client) => client,
        Err(e) => {
            // Every argument above is valid: only the offer can be refused.
            assert!(
                matches!(
                    e,
                    Error::NoAcceptableMechanism | Error::UnsupportedChannelBinding
                ),
                "{e:?}"
            );
            return;
        }
    };
    let mech = client.mechanism();
    assert!(offer.mechanisms.iter().any(|m| m == mech.name()));
    assert!(config.preference.contains(&mech));
    if mech == Mechanism::Plain {
        assert!(tls || config.allow_plain_without_tls);
        assert!(!binding_capable || config.allow_plain_with_channel_binding);
        assert!(!config.require_downgrade_protection);
    }
    let plus_offered = Mechanism::ALL
        .iter()
        .any(|m| m.is_plus() && offer.mechanisms.iter().any(|n| n == m.name()));
    if binding_capable && plus_offered && mech != Mechanism::Plain {
        assert!(mech.is_plus(), "{mech} on {offer:?}");
    }
    if mech.is_plus() {
        assert!(binding_capable);
    }
    let Ok(first) = client.start() else {
        return;
    };
    if binding_capable && mech.scram_hash().is_some() {
        assert!(!first.starts_with(b"n,"), "a binding-capable client sent n");
    }
    let mut messages: Vec<&[u8]> = fields.collect();
    let last = messages.pop();
    let mut verified = false;
    for m in messages {
        match client.step(m) {
            Ok(ClientStep::Response(_)) => {}
            Ok(ClientStep::Verified) => verified = true,
            Err(_) => return,
        }
    }
    let outcome = client.success(last.filter(|m| !m.is_empty()));
    if outcome.is_ok() && mech.scram_hash().is_some() && !verified {
        assert!(last.is_some_and(|m| m.starts_with(b"v=")));
    }
});

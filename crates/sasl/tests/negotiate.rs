//! The client's one entry point from stream features to a running exchange, and what a man in
//! the middle can and cannot achieve by rewriting the mechanism list and the XEP-0440 types.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

use chatwire_sasl::{
    AccountPolicy, ChannelBinding, Client, ClientConfig, DowngradeProtection, Error, Mechanism,
    ScramHash, Secret, Server, ServerConfig, ServerOffer, StoredCredentials,
};
use proptest::prelude::*;

mod common;

const CNONCE: &str = "clientnonceAAAA";
const SNONCE: &str = "servernonceBBBBCCCC";

/// What the real server advertises.
const MECHANISMS: [&str; 7] = [
    "SCRAM-SHA-1",
    "SCRAM-SHA-1-PLUS",
    "SCRAM-SHA-256",
    "SCRAM-SHA-256-PLUS",
    "SCRAM-SHA-512",
    "SCRAM-SHA-512-PLUS",
    "PLAIN",
];
const CB_TYPES: [&str; 2] = ["tls-exporter", "tls-server-end-point"];

fn exporter() -> ChannelBinding {
    ChannelBinding::new("tls-exporter", vec![5; 32]).unwrap()
}

fn end_point() -> ChannelBinding {
    ChannelBinding::new("tls-server-end-point", vec![6; 32]).unwrap()
}

fn real_offer() -> ServerOffer {
    ServerOffer::new(MECHANISMS)
        .with_channel_binding_types(CB_TYPES)
        .with_tls(true)
}

/// The binding-capable server behind the offer; `ssdp` adds the XEP-0474 `h=`.
fn real_server(mechanism: Mechanism, ssdp: bool) -> Result<Server, Error> {
    let mut config = ServerConfig::new(Secret::new(*b"0123456789abcdef0123456789abcdef")?);
    config.channel_bindings = vec![exporter(), end_point()];
    config.plus_advertised = true;
    config.downgrade_protection = ssdp.then(|| real_offer().downgrade_protection());
    Server::new(mechanism, config, SNONCE)
}

/// Few iterations keep the debug-build tests quick; the client's minimum is lowered to match.
const ITERATIONS: u32 = 64;

fn account() -> StoredCredentials {
    AccountPolicy::new(ITERATIONS, 16, &ScramHash::STRONGEST_FIRST)
        .unwrap()
        .derive("pencil", b"0123456789abcdef")
        .unwrap()
}

fn user() -> ClientConfig {
    let mut config = ClientConfig::new("user", "pencil");
    config.min_iterations = ITERATIONS;
    config
}

/// Drives `client` against the real server. `Ok` holds the mechanism the server accepted.
fn drive(mut client: Client, ssdp: bool) -> Result<Mechanism, Error> {
    let mut server = real_server(client.mechanism(), ssdp)?;
    let stored = account();
    common::drive(&mut client, &mut server, |_| Some(&stored)).map(|outcome| outcome.mechanism)
}

fn binding_client() -> ClientConfig {
    user().with_channel_binding(exporter())
}

/// Negotiates on a (rewritten) offer and runs the exchange against the real server.
fn attempt(offer: &ServerOffer, config: &ClientConfig, ssdp: bool) -> Result<Mechanism, Error> {
    drive(Client::negotiate(offer, config, CNONCE)?, ssdp)
}

/// The property of this file: a binding-capable client against a binding-capable server binds
/// or fails.
fn assert_binds_or_fails(offer: &ServerOffer, ssdp: bool) {
    match attempt(offer, &binding_client(), ssdp) {
        Ok(mech) => assert!(
            mech.is_plus(),
            "logged in without binding: {mech} on {offer:?}"
        ),
        Err(e) => assert!(!e.is_api_misuse(), "{e:?} on {offer:?}"),
    }
}

#[test]
fn unmodified_offer_binds() {
    for ssdp in [false, true] {
        assert_eq!(
            attempt(&real_offer(), &binding_client(), ssdp),
            Ok(Mechanism::ScramSha512Plus)
        );
    }
}

/// The real offer as a man in the middle rewrote it: -PLUS kept or removed, and the XEP-0440
/// types replaced.
fn rewritten(keep_plus: bool, cb_types: &[&str]) -> ServerOffer {
    ServerOffer::new(
        MECHANISMS
            .into_iter()
            .filter(|m| keep_plus || !m.ends_with("-PLUS")),
    )
    .with_channel_binding_types(cb_types.iter().copied())
    .with_tls(true)
}

/// The binding-capable client fails with `want`, with or without XEP-0474 on the server.
fn assert_fails_either_way(offer: &ServerOffer, want: &Error) {
    for ssdp in [false, true] {
        assert_eq!(attempt(offer, &binding_client(), ssdp).as_ref(), Err(want));
    }
}

#[test]
fn plus_removed_fails() {
    // The client sends `y`; the server, which advertised -PLUS, refuses it.
    assert_fails_either_way(&rewritten(false, &CB_TYPES), &Error::Downgrade);
}

/// The attack seen in the field: the XEP-0440 list rewritten to a type the client lacks.
#[test]
fn channel_binding_types_rewritten_fails() {
    let offer = rewritten(true, &["tls-unique"]);
    assert_fails_either_way(&offer, &Error::UnsupportedChannelBinding);
}

#[test]
fn both_rewritten_fails() {
    assert_fails_either_way(&rewritten(false, &["tls-unique"]), &Error::Downgrade);
}

#[test]
fn everything_but_plain_removed_fails() {
    let offer = ServerOffer::new(["PLAIN"]).with_tls(true);
    assert_eq!(
        attempt(&offer, &binding_client(), false),
        Err(Error::NoAcceptableMechanism)
    );
    // Only when the caller accepts the risk.
    let mut config = binding_client();
    config.allow_plain_with_channel_binding = true;
    assert_eq!(
        Client::negotiate(&offer, &config, CNONCE).map(|c| c.mechanism()),
        Ok(Mechanism::Plain)
    );
}

/// A type the server supports but did not list in the rewritten XEP-0440 list is not used
/// (XEP-0440), and without any list the client's own first type is.
#[test]
fn channel_binding_type_follows_xep0440() {
    let config = user()
        .with_channel_binding(ChannelBinding::new("tls-unique", vec![1; 12]).unwrap())
        .with_channel_binding(end_point());
    let client = Client::negotiate(&real_offer(), &config, CNONCE).unwrap();
    let first = client_first(client);
    assert!(first.starts_with("p=tls-server-end-point,,"), "{first}");
    let unlisted = ServerOffer::new(MECHANISMS).with_tls(true);
    let first = client_first(Client::negotiate(&unlisted, &config, CNONCE).unwrap());
    assert!(first.starts_with("p=tls-unique,,"), "{first}");
}

fn client_first(mut client: Client) -> String {
    String::from_utf8(client.start().unwrap().to_vec()).unwrap()
}

/// XEP-0474 makes a rewrite visible even where the flags could not, and can be required.
#[test]
fn downgrade_protection_can_be_required() {
    let mut config = user();
    config.require_downgrade_protection = true;
    let offer = ServerOffer::new(["SCRAM-SHA-256", "PLAIN"]).with_tls(true);
    // The real server advertises more than this offer shows: its h= differs.
    assert_eq!(attempt(&offer, &config, true), Err(Error::Downgrade));
    // A server that sends no h= at all.
    assert_eq!(attempt(&offer, &config, false), Err(Error::Downgrade));
    // PLAIN cannot carry h=, so it is not a way out.
    assert_eq!(
        Client::negotiate(&ServerOffer::new(["PLAIN"]).with_tls(true), &config, CNONCE)
            .map(|c| c.mechanism()),
        Err(Error::NoAcceptableMechanism)
    );
    // The untouched offer passes, binding or not.
    let offer = real_offer();
    assert_eq!(attempt(&offer, &config, true), Ok(Mechanism::ScramSha512));
    let mut binding = binding_client();
    binding.require_downgrade_protection = true;
    assert_eq!(
        attempt(&offer, &binding, true),
        Ok(Mechanism::ScramSha512Plus)
    );
}

#[test]
fn plain_needs_tls_unless_allowed() {
    let offer = ServerOffer::new(["PLAIN"]);
    let mut config = ClientConfig::new("user", "pencil");
    assert_eq!(
        Client::negotiate(&offer, &config, CNONCE).map(|c| c.mechanism()),
        Err(Error::NoAcceptableMechanism)
    );
    let over_tls = offer.clone().with_tls(true);
    assert_eq!(
        Client::negotiate(&over_tls, &config, CNONCE).map(|c| c.mechanism()),
        Ok(Mechanism::Plain)
    );
    config.allow_plain_without_tls = true;
    assert_eq!(
        Client::negotiate(&offer, &config, CNONCE).map(|c| c.mechanism()),
        Ok(Mechanism::Plain)
    );
}

#[test]
fn preference_order_and_plus_only_with_binding() {
    let offer = ServerOffer::new([
        "PLAIN",
        "SCRAM-SHA-1",
        "SCRAM-SHA-256",
        "SCRAM-SHA-256-PLUS",
    ])
    .with_tls(true);
    let pick =
        |config: &ClientConfig| Client::negotiate(&offer, config, CNONCE).map(|c| c.mechanism());
    assert_eq!(pick(&binding_client()), Ok(Mechanism::ScramSha256Plus));
    assert_eq!(
        pick(&ClientConfig::new("user", "pencil")),
        Ok(Mechanism::ScramSha256)
    );
    let mut config = ClientConfig::new("user", "pencil");
    config.preference = vec![Mechanism::ScramSha1, Mechanism::ScramSha256];
    assert_eq!(pick(&config), Ok(Mechanism::ScramSha1));
    config.preference = vec![Mechanism::Anonymous];
    assert_eq!(pick(&config), Err(Error::NoAcceptableMechanism));
    let anonymous = ServerOffer::new(["X-OAUTH2", "ANONYMOUS"]);
    assert_eq!(
        Client::negotiate(&anonymous, &config, CNONCE).map(|c| c.mechanism()),
        Ok(Mechanism::Anonymous)
    );
    assert_eq!(
        Client::negotiate(&anonymous, &ClientConfig::new("u", "p"), CNONCE).map(|c| c.mechanism()),
        Err(Error::NoAcceptableMechanism)
    );
}

#[test]
fn downgrade_protection_comes_from_the_offer() {
    let offer = real_offer();
    assert_eq!(
        offer.downgrade_protection(),
        DowngradeProtection {
            mechanisms: MECHANISMS.iter().map(|m| (*m).to_owned()).collect(),
            channel_bindings: Some(CB_TYPES.iter().map(|m| (*m).to_owned()).collect()),
        }
    );
}

#[test]
fn channel_binding_data_without_tls_is_misuse() {
    let offer = ServerOffer::new(MECHANISMS);
    let err = Client::negotiate(&offer, &binding_client(), CNONCE).unwrap_err();
    assert!(err.is_api_misuse(), "{err:?}");
}

/// Every way of cutting down the real offer, with or without XEP-0440 and XEP-0474.
fn rewritten_offer() -> impl Strategy<Value = ServerOffer> {
    let names = prop::sample::subsequence(
        MECHANISMS
            .iter()
            .chain(&["SCRAM-SHA3-512-PLUS", "EXTERNAL", "ANONYMOUS"])
            .copied()
            .collect::<Vec<_>>(),
        0..=10,
    );
    let cb_pool = [
        "tls-exporter",
        "tls-server-end-point",
        "tls-unique",
        "x-made-up",
    ];
    let types = prop::option::of(prop::sample::subsequence(cb_pool.to_vec(), 0..=4));
    (names, types).prop_map(|(names, types)| {
        let offer = ServerOffer::new(names).with_tls(true);
        match types {
            Some(t) => offer.with_channel_binding_types(t),
            None => offer,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_rewrite_binds_or_fails(offer in rewritten_offer(), ssdp in any::<bool>()) {
        assert_binds_or_fails(&offer, ssdp);
    }
}

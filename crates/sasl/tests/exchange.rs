//! Client and server driven against each other in memory, and every refusal the RFCs ask for.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

use chatwire_sasl::{
    ChannelBinding, Client, ClientConfig, ClientStep, Error, Failure, Mechanism, Outcome,
    ScramHash, ScramServerError, Secret, Server, ServerConfig, ServerStep, StoredCredentials,
};
use proptest::prelude::*;

const CNONCE: &str = "clientnonceAAAA";
const SNONCE: &str = "servernonceBBBB";

fn server_config() -> ServerConfig {
    ServerConfig::new(Secret::new(*b"0123456789abcdef0123456789abcdef"))
}

fn creds(hash: ScramHash, password: &str) -> StoredCredentials {
    StoredCredentials::derive(hash, password, b"saltsaltsalt", 4096).unwrap()
}

/// Runs a whole exchange; the server knows only `user` with password `pencil`.
fn run(
    mech: Mechanism,
    client_config: &ClientConfig,
    server_config: ServerConfig,
) -> Result<Outcome, Error> {
    let hash = mech.scram_hash().unwrap_or(ScramHash::Sha256);
    let stored = creds(hash, "pencil");
    let mut client = Client::new(mech, client_config, CNONCE)?;
    let mut server = Server::new(mech, server_config, SNONCE)?;
    let mut step = server.start(Some(&client.start()?))?;
    loop {
        step = match step {
            ServerStep::NeedCredentials { username, .. } => {
                server.credentials((username == "user").then_some(&stored))?
            }
            ServerStep::Challenge(c) => match client.step(&c)? {
                ClientStep::Response(r) => server.step(&r)?,
                ClientStep::Verified => server.step(b"")?,
            },
            ServerStep::Success {
                additional_data,
                outcome,
            } => {
                client.success(additional_data.as_deref())?;
                return Ok(outcome);
            }
        }
    }
}

fn scram_mechs() -> [Mechanism; 3] {
    [
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
        Mechanism::ScramSha512,
    ]
}

#[test]
fn every_mechanism_round_trips() {
    let cb = ChannelBinding::new("tls-exporter", vec![9u8; 32]).unwrap();
    for mech in Mechanism::ALL {
        let mut cc = ClientConfig::new("user", "pencil");
        cc.authzid = Some("admin@example.com".into());
        let mut sc = server_config();
        if mech.is_plus() {
            cc.channel_binding = Some(cb.clone());
            sc.channel_bindings.push(cb.clone());
            sc.plus_advertised = true;
        }
        sc.external_identity = Some("cert-user".into());
        let outcome = run(mech, &cc, sc).unwrap_or_else(|e| panic!("{mech}: {e}"));
        assert_eq!(outcome.mechanism, mech);
        match mech {
            Mechanism::Anonymous => assert_eq!(outcome.authcid, None),
            Mechanism::External => {
                assert_eq!(outcome.authcid.as_deref(), Some("cert-user"));
                assert_eq!(outcome.authzid.as_deref(), Some("admin@example.com"));
            }
            _ => {
                assert_eq!(outcome.authcid.as_deref(), Some("user"));
                assert_eq!(outcome.authzid.as_deref(), Some("admin@example.com"));
            }
        }
    }
}

#[test]
fn wrong_password_and_unknown_user_fail_alike() {
    for mech in scram_mechs().into_iter().chain([Mechanism::Plain]) {
        let wrong = run(mech, &ClientConfig::new("user", "pencik"), server_config());
        let unknown = run(
            mech,
            &ClientConfig::new("nobody", "pencil"),
            server_config(),
        );
        assert_eq!(wrong.unwrap_err(), Error::NotAuthorized, "{mech}");
        assert_eq!(unknown.unwrap_err(), Error::NotAuthorized, "{mech}");
        assert_eq!(Error::NotAuthorized.failure(), Failure::NotAuthorized);
    }
}

/// An unknown user sees a salt and iteration count shaped like a real one, stable across
/// attempts, so probing cannot tell accounts apart before the proof is checked.
#[test]
fn unknown_user_gets_stable_fake_salt() {
    let first = |user: &str| {
        let mut client = Client::new(
            Mechanism::ScramSha256,
            &ClientConfig::new(user, "x"),
            CNONCE,
        )
        .unwrap();
        let mut server = Server::new(Mechanism::ScramSha256, server_config(), SNONCE).unwrap();
        server.start(Some(&client.start().unwrap())).unwrap();
        match server.credentials(None).unwrap() {
            ServerStep::Challenge(c) => String::from_utf8(c).unwrap(),
            other => panic!("{other:?}"),
        }
    };
    let a = first("ghost");
    assert_eq!(a, first("ghost"));
    assert_ne!(a, first("other-ghost"));
    let salt = a.split(",s=").nth(1).unwrap().split(',').next().unwrap();
    assert_eq!(salt.len(), 24, "16-byte salt like real accounts");
    assert!(a.ends_with(",i=4096"));
}

#[test]
fn username_is_escaped_and_saslprepped() {
    let cc = ClientConfig::new("us,er=x\u{AD}", "pen\u{AD}cil");
    let mut client = Client::new(Mechanism::ScramSha256, &cc, CNONCE).unwrap();
    let first = String::from_utf8(client.start().unwrap()).unwrap();
    assert_eq!(first, format!("n,,n=us=2Cer=3Dx,r={CNONCE}"));
    let mut server = Server::new(Mechanism::ScramSha256, server_config(), SNONCE).unwrap();
    let step = server.start(Some(first.as_bytes())).unwrap();
    assert_eq!(
        step,
        ServerStep::NeedCredentials {
            username: "us,er=x".into(),
            authzid: None
        }
    );
}

/// rsasl fails on this: optional attributes in server-first must be kept and ignored.
#[test]
fn optional_server_first_attribute_is_ignored() {
    let mut client = Client::new(
        Mechanism::ScramSha1,
        &ClientConfig::new("user", "pencil"),
        "fyko+d2lbbFgONRv9qkxdawL",
    )
    .unwrap();
    client.start().unwrap();
    let sf = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096,h=abc,z=1";
    let ClientStep::Response(fin) = client.step(sf.as_bytes()).unwrap() else {
        panic!()
    };
    // The AuthMessage covers the attribute, so the proof differs from RFC 5802's.
    assert!(
        !String::from_utf8(fin)
            .unwrap()
            .ends_with("p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=")
    );
}

#[test]
fn mandatory_extension_refused_both_ways() {
    let mut server = Server::new(Mechanism::ScramSha1, server_config(), SNONCE).unwrap();
    let err = server.start(Some(b"n,,m=ext,n=user,r=abc")).unwrap_err();
    assert_eq!(err, Error::ExtensionNotSupported);
    assert_eq!(
        err.scram_server_error(),
        ScramServerError::ExtensionsNotSupported
    );
    let mut client =
        Client::new(Mechanism::ScramSha1, &ClientConfig::new("u", "p"), "abc").unwrap();
    client.start().unwrap();
    assert_eq!(
        client.step(b"m=ext,r=abcdef,s=QSXC,i=4096"),
        Err(Error::ExtensionNotSupported)
    );
}

/// xmpp-rs accepts this: the server nonce must start with ours and add something.
#[test]
fn server_nonce_must_extend_client_nonce() {
    for sf in [
        "r=otherNonce,s=QSXC,i=4096",
        "r=abc,s=QSXC,i=4096",
        "r=ab,s=QSXC,i=4096",
    ] {
        let mut client =
            Client::new(Mechanism::ScramSha1, &ClientConfig::new("u", "p"), "abc").unwrap();
        client.start().unwrap();
        assert_eq!(
            client.step(sf.as_bytes()),
            Err(Error::NonceMismatch),
            "{sf}"
        );
    }
}

#[test]
fn iteration_bounds() {
    let mut cc = ClientConfig::new("u", "p");
    for (i, ok) in [
        (4095, false),
        (4096, true),
        (1_000_000, true),
        (1_000_001, false),
    ] {
        cc.max_iterations = 1_000_000;
        let mut client = Client::new(Mechanism::ScramSha1, &cc, "abc").unwrap();
        client.start().unwrap();
        let sf = format!("r=abcdef,s=QSXC,i={i}");
        if ok {
            // Skip the expensive derivation for the large count: only check the bound.
            if i == 4096 {
                assert!(client.step(sf.as_bytes()).is_ok());
            }
        } else {
            assert!(matches!(
                client.step(sf.as_bytes()),
                Err(Error::IterationCount { .. })
            ));
        }
    }
}

#[test]
fn server_error_is_typed() {
    let mut client =
        Client::new(Mechanism::ScramSha1, &ClientConfig::new("u", "p"), "abc").unwrap();
    client.start().unwrap();
    client.step(b"r=abcdef,s=QSXC,i=4096").unwrap();
    assert_eq!(
        client.step(b"e=invalid-proof"),
        Err(Error::ServerError(ScramServerError::InvalidProof))
    );
}

#[test]
fn client_rejects_bad_or_missing_verifier() {
    let start = || {
        let mut c = Client::new(Mechanism::ScramSha1, &ClientConfig::new("u", "p"), "abc").unwrap();
        c.start().unwrap();
        c.step(b"r=abcdef,s=QSXC,i=4096").unwrap();
        c
    };
    assert_eq!(
        start().step(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        Err(Error::ServerSignature)
    );
    assert_eq!(start().success(None), Err(Error::MissingVerifier));
    assert_eq!(
        start().success(Some(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=")),
        Err(Error::ServerSignature)
    );
}

#[test]
fn y_flag_downgrade_detected() {
    let mut cc = ClientConfig::new("user", "pencil");
    cc.channel_binding = Some(ChannelBinding::new("tls-exporter", vec![1; 32]).unwrap());
    let mut sc = server_config();
    sc.plus_advertised = true;
    assert_eq!(run(Mechanism::ScramSha256, &cc, sc), Err(Error::Downgrade));
    // Without -PLUS on offer the same `y` exchange is fine.
    assert!(run(Mechanism::ScramSha256, &cc, server_config()).is_ok());
}

#[test]
fn plus_offered_but_not_chosen_sends_n() {
    // XEP-0440: no common binding type, so plain SCRAM is picked with binding data still set.
    let offered = ["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"];
    let mut cc = ClientConfig::new("user", "pencil")
        .with_server_offers_plus(offered.iter().any(|m| m.ends_with("-PLUS")));
    cc.channel_binding = Some(ChannelBinding::new("tls-unique", vec![1; 12]).unwrap());
    let mut client = Client::new(Mechanism::ScramSha256, &cc, CNONCE).unwrap();
    assert!(client.start().unwrap().starts_with(b"n,,"));
    let mut sc = server_config();
    sc.plus_advertised = true;
    assert!(run(Mechanism::ScramSha256, &cc, sc).is_ok());
    // Without binding data the flag is `n` either way; -PLUS still needs the data.
    let bare = ClientConfig::new("user", "pencil").with_server_offers_plus(true);
    let mut client = Client::new(Mechanism::ScramSha256, &bare, CNONCE).unwrap();
    assert!(client.start().unwrap().starts_with(b"n,,"));
}

#[test]
fn wrong_hash_credentials_can_be_retried() {
    let cc = ClientConfig::new("user", "pencil");
    let mut client = Client::new(Mechanism::ScramSha256, &cc, CNONCE).unwrap();
    let mut server = Server::new(Mechanism::ScramSha256, server_config(), SNONCE).unwrap();
    let step = server.start(Some(&client.start().unwrap())).unwrap();
    assert!(matches!(step, ServerStep::NeedCredentials { .. }));
    let err = server
        .credentials(Some(&creds(ScramHash::Sha1, "pencil")))
        .unwrap_err();
    assert!(err.is_api_misuse(), "{err:?}");
    let ServerStep::Challenge(first) = server
        .credentials(Some(&creds(ScramHash::Sha256, "pencil")))
        .unwrap()
    else {
        panic!("no server-first")
    };
    let ClientStep::Response(fin) = client.step(&first).unwrap() else {
        panic!("no client-final")
    };
    let ServerStep::Success {
        additional_data, ..
    } = server.step(&fin).unwrap()
    else {
        panic!("no success")
    };
    client.success(additional_data.as_deref()).unwrap();
}

#[test]
fn fake_salt_length_is_configurable() {
    let mut client = Client::new(
        Mechanism::ScramSha256,
        &ClientConfig::new("ghost", "x"),
        CNONCE,
    )
    .unwrap();
    let mut sc = server_config();
    sc.fake_salt_len = 28;
    let mut server = Server::new(Mechanism::ScramSha256, sc, SNONCE).unwrap();
    server.start(Some(&client.start().unwrap())).unwrap();
    let ServerStep::Challenge(c) = server.credentials(None).unwrap() else {
        panic!("no server-first")
    };
    let c = String::from_utf8(c).unwrap();
    let salt = c.split(",s=").nth(1).unwrap().split(',').next().unwrap();
    // base64 of 28 bytes: 40 characters ending in two `=` of padding (16 bytes would be 24).
    assert_eq!(salt.len(), 40, "{c}");
    assert!(salt.ends_with("==") && !salt.ends_with("==="), "{c}");
}

#[test]
fn gs2_flag_must_fit_the_mechanism() {
    let mut server = Server::new(Mechanism::ScramSha256Plus, server_config(), SNONCE).unwrap();
    assert!(matches!(
        server.start(Some(b"n,,n=user,r=abc")),
        Err(Error::Malformed(_))
    ));
    let mut server = Server::new(Mechanism::ScramSha256, server_config(), SNONCE).unwrap();
    assert!(matches!(
        server.start(Some(b"p=tls-exporter,,n=user,r=abc")),
        Err(Error::Malformed(_))
    ));
    let mut server = Server::new(Mechanism::ScramSha256Plus, server_config(), SNONCE).unwrap();
    assert_eq!(
        server.start(Some(b"p=tls-unique,,n=user,r=abc")),
        Err(Error::UnsupportedChannelBinding)
    );
}

#[test]
fn channel_binding_mismatch_refused() {
    let mut cc = ClientConfig::new("user", "pencil");
    cc.channel_binding = Some(ChannelBinding::new("tls-exporter", vec![1; 32]).unwrap());
    let mut sc = server_config();
    sc.channel_bindings
        .push(ChannelBinding::new("tls-exporter", vec![2; 32]).unwrap());
    assert_eq!(
        run(Mechanism::ScramSha256Plus, &cc, sc),
        Err(Error::ChannelBindingMismatch)
    );
}

#[test]
fn plus_without_binding_is_api_misuse() {
    let err = Client::new(
        Mechanism::ScramSha1Plus,
        &ClientConfig::new("u", "p"),
        "abc",
    )
    .unwrap_err();
    assert!(err.is_api_misuse());
    assert!(Client::new(Mechanism::ScramSha1, &ClientConfig::new("u", "p"), "a,b").is_err());
    assert!(Server::new(Mechanism::ScramSha1, server_config(), "").is_err());
}

#[test]
fn server_state_misuse_and_replay() {
    let mut server = Server::new(Mechanism::ScramSha256, server_config(), SNONCE).unwrap();
    assert_eq!(server.step(b"x"), Err(Error::InvalidState));
    assert_eq!(server.start(None), Ok(ServerStep::Challenge(Vec::new())));
    assert!(matches!(
        server.step(b"n,,n=user,r=abc"),
        Ok(ServerStep::NeedCredentials { .. })
    ));
    // Input while waiting for credentials is misuse, and does not end the exchange.
    assert_eq!(server.step(b"x"), Err(Error::InvalidState));
    let wrong_hash = creds(ScramHash::Sha1, "pencil");
    assert!(
        server
            .credentials(Some(&wrong_hash))
            .unwrap_err()
            .is_api_misuse()
    );
}

#[test]
fn failed_exchange_stays_failed() {
    let mut server = Server::new(Mechanism::Plain, server_config(), "").unwrap();
    assert!(server.start(Some(b"garbage")).is_err());
    assert_eq!(
        server.step(b"\0user\0pencil"),
        Err(Error::UnexpectedMessage)
    );
}

#[test]
fn message_limit_checked_before_parsing() {
    let mut sc = server_config();
    sc.max_message_len = 16;
    let mut server = Server::new(Mechanism::ScramSha256, sc, SNONCE).unwrap();
    assert_eq!(
        server.start(Some(&[b'a'; 17])),
        Err(Error::TooLong { len: 17, limit: 16 })
    );
}

#[test]
fn external_needs_an_identity() {
    let mut server = Server::new(Mechanism::External, server_config(), "").unwrap();
    assert_eq!(server.start(Some(b"")), Err(Error::NotAuthorized));
}

#[test]
fn failure_names_match_rfc6120() {
    for f in [
        Failure::Aborted,
        Failure::AccountDisabled,
        Failure::CredentialsExpired,
        Failure::EncryptionRequired,
        Failure::IncorrectEncoding,
        Failure::InvalidAuthzid,
        Failure::InvalidMechanism,
        Failure::MalformedRequest,
        Failure::MechanismTooWeak,
        Failure::NotAuthorized,
        Failure::TemporaryAuthFailure,
    ] {
        assert_eq!(Failure::from_name(f.as_str()), Some(f));
    }
    assert_eq!(
        Error::Base64("proof").failure().as_str(),
        "incorrect-encoding"
    );
    assert_eq!(
        Error::UnknownMechanism.failure().as_str(),
        "invalid-mechanism"
    );
    assert_eq!(Error::InvalidAuthzid.failure().as_str(), "invalid-authzid");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any user name, authzid and password that survive SASLprep authenticate, and the
    /// server reports the prepared names back.
    #[test]
    fn arbitrary_credentials_round_trip(user in "[a-zA-Z0-9,=@. \u{e9}\u{3b1}-]{1,12}",
                                        authzid in "[a-z,=@]{0,8}",
                                        password in "[ -~\u{e9}]{1,16}") {
        let user = user.trim().to_owned();
        prop_assume!(!user.is_empty());
        let mut cc = ClientConfig::new(user.clone(), password.clone());
        cc.authzid = (!authzid.is_empty()).then(|| authzid.clone());
        cc.min_iterations = 1;
        let stored = StoredCredentials::derive(ScramHash::Sha1, &password, b"s", 1).unwrap();
        let mut client = Client::new(Mechanism::ScramSha1, &cc, CNONCE).unwrap();
        let mut server = Server::new(Mechanism::ScramSha1, server_config(), SNONCE).unwrap();
        let ServerStep::NeedCredentials { username, authzid: az } =
            server.start(Some(&client.start().unwrap())).unwrap() else { panic!() };
        prop_assert_eq!(&username, &user);
        prop_assert_eq!(az, cc.authzid.clone());
        let ServerStep::Challenge(sf) = server.credentials(Some(&stored)).unwrap() else { panic!() };
        let ClientStep::Response(cf) = client.step(&sf).unwrap() else { panic!() };
        let ServerStep::Success { additional_data, .. } = server.step(&cf).unwrap() else { panic!() };
        client.success(additional_data.as_deref()).unwrap();
    }

    /// Flipping any byte of the client-final-message makes the server refuse it.
    #[test]
    fn tampered_client_final_refused(pos in 0usize..200, bit in 0u8..8) {
        let mut cc = ClientConfig::new("user", "pencil");
        cc.min_iterations = 1;
        let stored = StoredCredentials::derive(ScramHash::Sha256, "pencil", b"s", 1).unwrap();
        let mut client = Client::new(Mechanism::ScramSha256, &cc, CNONCE).unwrap();
        let mut server = Server::new(Mechanism::ScramSha256, server_config(), SNONCE).unwrap();
        server.start(Some(&client.start().unwrap())).unwrap();
        let ServerStep::Challenge(sf) = server.credentials(Some(&stored)).unwrap() else { panic!() };
        let ClientStep::Response(mut cf) = client.step(&sf).unwrap() else { panic!() };
        let pos = pos % cf.len();
        cf[pos] ^= 1 << bit;
        prop_assert!(server.step(&cf).is_err());
    }
}

/// Found by the sasl_client fuzzer: success data before the client-final-message must not be
/// taken for a server-first-message (which would "succeed" without any proof).
#[test]
fn success_data_before_client_final_refused() {
    let mut client = Client::new(
        Mechanism::ScramSha1,
        &ClientConfig::new("user", "pencil"),
        "fyko+d2lbbFgONRv9qkxdawL",
    )
    .unwrap();
    client.start().unwrap();
    let sf = b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
    assert_eq!(client.success(Some(sf)), Err(Error::UnexpectedMessage));
    assert!(client.success(None).is_err());
}

#[test]
fn debug_output_carries_no_secrets() {
    let mut cc = ClientConfig::new("user", "hunter2-secret");
    cc.channel_binding = Some(ChannelBinding::new("tls-exporter", b"cbsecret".to_vec()).unwrap());
    let text = format!("{cc:?}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("99, 98"), "{text}");
    let sc = server_config();
    assert!(!format!("{sc:?}").contains("0123456789"));
    let client = Client::new(Mechanism::Plain, &cc, "n").unwrap();
    assert!(!format!("{client:?}").contains("hunter2"));
}

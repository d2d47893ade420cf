//! Client and server driven against each other in memory, and every refusal the RFCs ask for.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

use chatwire_sasl::{
    AccountPolicy, ChannelBinding, Client, ClientConfig, ClientStep, Error, Failure, Mechanism,
    Outcome, ScramHash, ScramServerError, Secret, Server, ServerConfig, ServerStep,
    StoredCredentials,
};
use proptest::prelude::*;

mod common;

const CNONCE: &str = "clientnonceAAAA";
const SNONCE: &str = "servernonceBBBBCCCC";
/// A server nonce part long enough for the client's default minimum.
const SPART: &str = "0123456789abcdef";

fn server_config() -> ServerConfig {
    ServerConfig::new(Secret::new(*b"0123456789abcdef0123456789abcdef").unwrap())
}

fn creds(hash: ScramHash, password: &str) -> StoredCredentials {
    StoredCredentials::derive(password, b"saltsaltsalt", 4096, &[hash]).unwrap()
}

/// A client that has sent its client-first-message with nonce `abc`.
fn started_client(config: &ClientConfig) -> Client {
    let mut client = Client::new(Mechanism::ScramSha1, config, "abc").unwrap();
    client.start().unwrap();
    client
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
    common::drive(&mut client, &mut server, |name| {
        (name == "user").then_some(&stored)
    })
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
            cc.channel_bindings.push(cb.clone());
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
    assert_eq!(salt.len(), 24, "16-byte salt like the default policy's");
    assert!(a.ends_with(",i=4096"));
}

#[test]
fn username_is_escaped_and_saslprepped() {
    let cc = ClientConfig::new("us,er=x\u{AD}", "pen\u{AD}cil");
    let mut client = Client::new(Mechanism::ScramSha256, &cc, CNONCE).unwrap();
    let first = String::from_utf8(client.start().unwrap().to_vec()).unwrap();
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
    let mut client = started_client(&ClientConfig::new("u", "p"));
    assert_eq!(
        client.step(format!("m=ext,r=abc{SPART},s=QSXC,i=4096").as_bytes()),
        Err(Error::ExtensionNotSupported)
    );
}

/// xmpp-rs accepts this: the server nonce must start with ours and add something.
#[test]
fn server_nonce_must_extend_client_nonce() {
    for sf in [
        "r=otherNonce0123456789abcdef,s=QSXC,i=4096",
        "r=abc,s=QSXC,i=4096",
        "r=ab,s=QSXC,i=4096",
    ] {
        let mut client = started_client(&ClientConfig::new("u", "p"));
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
        let mut client = started_client(&cc);
        let sf = format!("r=abc{SPART},s=QSXC,i={i}");
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
    let mut client = started_client(&ClientConfig::new("u", "p"));
    client
        .step(format!("r=abc{SPART},s=QSXC,i=4096").as_bytes())
        .unwrap();
    assert_eq!(
        client.step(b"e=invalid-proof"),
        Err(Error::ServerError(ScramServerError::InvalidProof))
    );
}

#[test]
fn client_rejects_bad_or_missing_verifier() {
    let start = || {
        let mut c = started_client(&ClientConfig::new("u", "p"));
        c.step(format!("r=abc{SPART},s=QSXC,i=4096").as_bytes())
            .unwrap();
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
    let cc = ClientConfig::new("user", "pencil")
        .with_channel_binding(ChannelBinding::new("tls-exporter", vec![1; 32]).unwrap());
    let mut sc = server_config();
    sc.plus_advertised = true;
    assert_eq!(run(Mechanism::ScramSha256, &cc, sc), Err(Error::Downgrade));
    // Without -PLUS on offer the same `y` exchange is fine.
    assert!(run(Mechanism::ScramSha256, &cc, server_config()).is_ok());
}

/// RFC 5802 s6: `y` fails at a server that supports channel binding, which one with
/// channel-binding data does, whether or not `plus_advertised` was set as well; otherwise
/// -PLUS stripped from its offer would go unnoticed.
#[test]
fn y_flag_refused_by_a_server_that_can_bind() {
    let mut sc = server_config();
    sc.channel_bindings
        .push(ChannelBinding::new("tls-exporter", vec![1; 32]).unwrap());
    let mut server = Server::new(Mechanism::ScramSha256, sc, SNONCE).unwrap();
    let err = server.start(Some(b"y,,n=user,r=abc")).unwrap_err();
    assert_eq!(err, Error::Downgrade);
    assert_eq!(
        err.scram_server_error(),
        ScramServerError::ServerDoesSupportChannelBinding
    );
}

#[test]
fn fake_salt_length_is_configurable() {
    let mut client = Client::new(
        Mechanism::ScramSha256,
        &ClientConfig::new("ghost", "x"),
        CNONCE,
    )
    .unwrap();
    let sc = server_config()
        .with_account_policy(AccountPolicy::new(4096, 28, &[ScramHash::Sha256]).unwrap());
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
    assert_eq!(
        server.start(Some(b"p=tls-exporter,,n=user,r=abc")),
        Err(Error::ChannelBindingNotSupported)
    );
    let mut server = Server::new(Mechanism::ScramSha256Plus, server_config(), SNONCE).unwrap();
    assert_eq!(
        server.start(Some(b"p=tls-unique,,n=user,r=abc")),
        Err(Error::UnsupportedChannelBinding)
    );
}

#[test]
fn channel_binding_mismatch_refused() {
    let cc = ClientConfig::new("user", "pencil")
        .with_channel_binding(ChannelBinding::new("tls-exporter", vec![1; 32]).unwrap());
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
    let too_costly = StoredCredentials::derive("pencil", b"salt", 1, &[ScramHash::Sha256])
        .and_then(|c| {
            StoredCredentials::new(c.salt().to_vec(), 2_000_000)?.with_keys(
                ScramHash::Sha256,
                c.keys(ScramHash::Sha256).unwrap().stored_key().to_vec(),
                c.keys(ScramHash::Sha256).unwrap().server_key().to_vec(),
            )
        })
        .unwrap();
    assert!(
        server
            .credentials(Some(&too_costly))
            .unwrap_err()
            .is_api_misuse()
    );
    assert!(matches!(
        server.credentials(Some(&creds(ScramHash::Sha256, "pencil"))),
        Ok(ServerStep::Challenge(_))
    ));
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
        let stored = StoredCredentials::derive(&password, b"s", 1, &[ScramHash::Sha1]).unwrap();
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
        let stored = StoredCredentials::derive("pencil", b"s", 1, &[ScramHash::Sha256]).unwrap();
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
    let cc = ClientConfig::new("user", "hunter2-secret")
        .with_channel_binding(ChannelBinding::new("tls-exporter", b"cbsecret".to_vec()).unwrap());
    let text = format!("{cc:?}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("99, 98"), "{text}");
    let sc = server_config();
    assert!(!format!("{sc:?}").contains("0123456789"));
    let client = Client::new(Mechanism::Plain, &cc, "n").unwrap();
    assert!(!format!("{client:?}").contains("hunter2"));
}

/// RFC 5802 s5.1 prepares strings "as a query": a code point unassigned in Unicode 3.2 (an
/// emoji) is allowed. 4576ba9 refused it with `Saslprep` in both roles.
#[test]
fn unassigned_code_point_in_password_authenticates() {
    let password = "pen\u{1F600}cil";
    for mech in [Mechanism::ScramSha256, Mechanism::Plain] {
        let stored =
            StoredCredentials::derive(password, b"saltsaltsalt", 4096, &[ScramHash::Sha256])
                .unwrap();
        let cc = ClientConfig::new("user", password);
        let mut client = Client::new(mech, &cc, CNONCE).unwrap();
        let mut server = Server::new(mech, server_config(), SNONCE).unwrap();
        let outcome = common::drive(&mut client, &mut server, |_| Some(&stored)).unwrap();
        assert_eq!(outcome.mechanism, mech);
    }
}

/// RFC 5802 s5.1: a user name that prepares to the empty string is refused (4576ba9 asked the
/// caller for the credentials of "").
#[test]
fn username_preparing_to_nothing_refused() {
    let mut server = Server::new(Mechanism::ScramSha256, server_config(), SNONCE).unwrap();
    let err = server
        .start(Some("n,,n=\u{AD},r=abc".as_bytes()))
        .unwrap_err();
    assert_eq!(err, Error::Saslprep);
    assert_eq!(
        err.scram_server_error(),
        ScramServerError::InvalidUsernameEncoding
    );
    let mut server = Server::new(Mechanism::Plain, server_config(), "").unwrap();
    assert_eq!(
        server.start(Some("\0\u{AD}\u{200B}\0pencil".as_bytes())),
        Err(Error::Saslprep)
    );
    let err = Client::new(
        Mechanism::ScramSha256,
        &ClientConfig::new("\u{AD}", "pencil"),
        CNONCE,
    )
    .unwrap_err();
    assert!(err.is_api_misuse(), "{err:?}");
}

/// The authzid goes to the caller as sent by every mechanism; SASLprep would turn U+00AA into
/// `a` (4576ba9 did so for SCRAM only, and refused what SASLprep refuses).
#[test]
fn authzid_is_passed_raw_by_every_mechanism() {
    for authzid in ["\u{AA}dmin@example.com", "ad\u{7}min"] {
        for mech in [
            Mechanism::ScramSha256,
            Mechanism::Plain,
            Mechanism::External,
        ] {
            let mut cc = ClientConfig::new("user", "pencil");
            cc.authzid = Some(authzid.to_owned());
            let mut sc = server_config();
            sc.external_identity = Some("user".into());
            let outcome = run(mech, &cc, sc).unwrap_or_else(|e| panic!("{mech}: {e}"));
            assert_eq!(outcome.authzid.as_deref(), Some(authzid), "{mech}");
        }
    }
}

/// RFC 5802 s5.1: `=` not followed by `2C` or `3D` fails with `invalid-username-encoding`
/// (4576ba9: `other-error`).
#[test]
fn bad_escape_is_invalid_username_encoding() {
    for bad in [
        "n,,n=us=2Xer,r=abc",
        "n,,n=user=,r=abc",
        "n,,n=us=3der,r=abc",
    ] {
        let mut server = Server::new(Mechanism::ScramSha256, server_config(), SNONCE).unwrap();
        let err = server.start(Some(bad.as_bytes())).unwrap_err();
        assert_eq!(err, Error::InvalidUsernameEncoding, "{bad}");
        assert_eq!(
            err.scram_server_error(),
            ScramServerError::InvalidUsernameEncoding
        );
        assert_eq!(err.failure(), Failure::MalformedRequest);
    }
    let mut server = Server::new(Mechanism::ScramSha256, server_config(), SNONCE).unwrap();
    assert_eq!(
        server.start(Some(b"n,a=ad=min,n=user,r=abc")),
        Err(Error::InvalidAuthzid)
    );
}

/// RFC 5802 s7: `p=` on a mechanism without channel binding gets `channel-binding-not-supported`
/// (4576ba9: `other-error`).
#[test]
fn channel_binding_on_a_non_plus_mechanism_is_not_supported() {
    let mut server = Server::new(Mechanism::ScramSha256, server_config(), SNONCE).unwrap();
    let err = server
        .start(Some(b"p=tls-exporter,,n=user,r=abc"))
        .unwrap_err();
    assert_eq!(
        err.scram_server_error(),
        ScramServerError::ChannelBindingNotSupported
    );
    assert_eq!(
        err.scram_server_error().as_str(),
        "channel-binding-not-supported"
    );
}

/// The client wants a server nonce part of at least `min_server_nonce_len` characters
/// (4576ba9 accepted a single one).
#[test]
fn short_server_nonce_refused() {
    let mut cc = ClientConfig::new("u", "p");
    for (part, ok) in [("d", false), ("0123456789abcde", false), (SPART, true)] {
        let mut client = started_client(&cc);
        let result = client.step(format!("r=abc{part},s=QSXC,i=4096").as_bytes());
        assert_eq!(result.is_ok(), ok, "{part}: {result:?}");
        if !ok {
            assert_eq!(result, Err(Error::NonceMismatch));
        }
    }
    cc.min_server_nonce_len = 1;
    assert!(started_client(&cc).step(b"r=abcd,s=QSXC,i=4096").is_ok());
}

/// Bounds that contradict each other are refused when the exchange is built (4576ba9 accepted
/// a client minimum above its maximum, and had no server maximum).
#[test]
fn contradicting_bounds_refused() {
    let mut cc = ClientConfig::new("u", "p");
    cc.min_iterations = 5000;
    cc.max_iterations = 4096;
    assert!(
        Client::new(Mechanism::ScramSha1, &cc, "abc")
            .unwrap_err()
            .is_api_misuse()
    );
    cc.min_iterations = 0;
    assert!(Client::new(Mechanism::ScramSha1, &cc, "abc").is_err());
    let mut sc = server_config();
    sc.account_policy = AccountPolicy::new(100_000, 16, &[ScramHash::Sha256]).unwrap();
    sc.max_iterations = 99_999;
    assert!(
        Server::new(Mechanism::Plain, sc, "")
            .unwrap_err()
            .is_api_misuse()
    );
}

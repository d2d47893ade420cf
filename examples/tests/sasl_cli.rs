//! `sasl-cli` run as a process against an in-memory server from chatwire-sasl.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chatwire_sasl::{
    AccountPolicy, Mechanism, ScramHash, Secret, Server, ServerConfig, ServerStep,
};

/// Once the server's final message checks out the client is done, even when the peer has
/// stopped reading and the empty response that acknowledges it cannot be written (the peer
/// proved it accepted the client's proof by sending its signature).
#[test]
fn client_exits_0_once_verified_even_if_the_peer_stopped_reading() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sasl-cli"))
        .args([
            "--client",
            "-m",
            "SCRAM-SHA-256",
            "-a",
            "user",
            "-p",
            "pencil",
        ])
        .args(["--nonce", "clientnonceAAAAAAAAAA"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut to_client = child.stdin.take().unwrap();
    let mut from_client = BufReader::new(child.stdout.take().unwrap());
    let mut receive = move || {
        let mut line = String::new();
        from_client.read_line(&mut line).unwrap();
        STANDARD.decode(line.trim()).unwrap()
    };

    let policy = AccountPolicy::new(4096, 16, &[ScramHash::Sha256]).unwrap();
    let account = policy.derive("pencil", b"0123456789abcdef").unwrap();
    let config = ServerConfig::new(Secret::new(*b"0123456789abcdef0123456789abcdef").unwrap())
        .with_account_policy(policy);
    let mut server = Server::new(Mechanism::ScramSha256, config, "servernonceBBBBBBBBBB").unwrap();
    let step = server.start(Some(&receive())).unwrap();
    assert!(
        matches!(step, ServerStep::NeedCredentials { .. }),
        "{step:?}"
    );
    let ServerStep::Challenge(server_first) = server.credentials(Some(&account)).unwrap() else {
        panic!("no server-first")
    };
    writeln!(to_client, "{}", STANDARD.encode(server_first)).unwrap();
    let ServerStep::Success {
        additional_data: Some(server_final),
        ..
    } = server.step(&receive()).unwrap()
    else {
        panic!("no server-final")
    };
    // Stop reading (the reader goes with the closure) before the client answers the
    // server-final-message.
    drop(receive);
    writeln!(to_client, "{}", STANDARD.encode(server_final)).unwrap();
    drop(to_client);

    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(stderr.contains("sasl-cli: server verified"), "{stderr}");
}

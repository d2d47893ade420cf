//! `chat-server` with a throwaway certificate: `wss://` and STARTTLS, and
//! SCRAM-SHA-256-PLUS bound to the TLS session with `tls-exporter`
//! (RFC 9266) between `chat-client`'s library and the server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod server;

use chatwire_sasl::Mechanism;
use chatwire_xmpp_stanza::{AnyStanza, Message, Presence, PresenceType};
use server::{ChatServer, jid, wait_for};

/// A self-signed certificate for 127.0.0.1 and localhost, written as PEM
/// into `dir`; returns (cert, key) paths.
fn certificate(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

async fn tls_server() -> ChatServer {
    let dir = std::env::temp_dir().join(format!("chatwire-tls-{}", std::process::id()));
    let (cert, key) = certificate(&dir);
    let mut server = ChatServer::start(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ])
    .await;
    server.scheme = "wss";
    server.ca = Some(cert);
    server
}

#[tokio::test]
async fn wss_and_starttls_authenticate_with_channel_binding() {
    let server = tls_server().await;
    let mut alice = server.client("alice", false).await;
    assert_eq!(alice.mechanism(), Some(Mechanism::ScramSha256Plus));
    alice
        .send(Presence::new(PresenceType::Available))
        .await
        .unwrap();
    let mut bob = server.client("bob", true).await;
    assert_eq!(bob.mechanism(), Some(Mechanism::ScramSha256Plus));
    bob.send(Message::chat(jid("alice@localhost"), "over starttls"))
        .await
        .unwrap();
    let got = wait_for(
        &mut alice,
        |s| matches!(s, AnyStanza::Message(m) if m.body().is_some()),
    )
    .await;
    let AnyStanza::Message(m) = got else { panic!() };
    assert_eq!(m.body(), Some("over starttls"));
}

/// With a certificate, TCP requires STARTTLS: a client that will not
/// upgrade gets no mechanisms.
#[tokio::test]
async fn starttls_is_required_on_tcp() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = tls_server().await;
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.tcp_port))
        .await
        .unwrap();
    tcp.write_all(b"<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")
        .await
        .unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("</stream:features>") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), tcp.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed: {seen}");
        seen.push_str(std::str::from_utf8(&buf[..n]).unwrap());
    }
    assert!(
        seen.contains("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"),
        "{seen}"
    );
    assert!(!seen.contains("<mechanisms"), "{seen}");
}

//! `chat-server` as an attacker meets it, over real sockets: stanzas
//! before authentication, telling accounts apart, a client that stops
//! reading, and handshakes that trickle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod server;

use std::time::{Duration, Instant};

use chatwire_examples::chat::client::Client;
use chatwire_xmpp_stanza::{Message, Presence, PresenceType};
use server::{ChatServer, jid};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADER: &[u8] = b"<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

/// Reads until `want` appears or the peer closes; what was read.
async fn read_until(tcp: &mut TcpStream, want: &str) -> String {
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains(want) {
        match tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
    seen
}

/// RFC 6120 section 4.9.3.12: a stanza before authentication is answered
/// with `not-authorized`, and goes nowhere.
#[tokio::test]
async fn stanzas_before_authentication_get_not_authorized() {
    let server = ChatServer::start(&[]).await;
    let mut bob = server.client("bob", false).await;
    bob.send(Presence::new(PresenceType::Available))
        .await
        .unwrap();
    let mut tcp = TcpStream::connect(("127.0.0.1", server.tcp_port))
        .await
        .unwrap();
    tcp.write_all(HEADER).await.unwrap();
    read_until(&mut tcp, "</stream:features>").await;
    tcp.write_all(b"<message to='bob@localhost' type='chat'><body>sneaky</body></message>")
        .await
        .unwrap();
    let answer = read_until(&mut tcp, "</stream:stream>").await;
    assert!(
        answer.contains("<stream:error")
            && answer.contains(r#"<not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>"#),
        "{answer}"
    );
    while let Some(s) = bob.next(Duration::from_secs(1)).await.unwrap() {
        assert!(!format!("{s:?}").contains("sneaky"));
    }
}

/// A wrong password and an unknown user fail the same way, in about the
/// same time.
#[tokio::test]
async fn wrong_password_and_unknown_user_look_alike() {
    let server = ChatServer::start(&[
        "--max-connections-per-address",
        "1000",
        "--max-auth-failures-per-minute",
        "0",
    ])
    .await;
    let attempt = |who: &str, password: &str| {
        let mut options = server.options("alice", false);
        options.jid = jid(&format!("{who}@localhost"));
        options.password = password.to_owned();
        async move {
            let start = Instant::now();
            let error = Client::connect(&options, Duration::from_secs(10))
                .await
                .err()
                .expect("refused")
                .to_string();
            (error, start.elapsed())
        }
    };
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..15 {
        let (e1, t1) = attempt("alice", "wrong").await;
        let (e2, t2) = attempt("mallory", "wrong").await;
        assert_eq!(e1, e2);
        known.push(t1);
        unknown.push(t2);
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[7].as_secs_f64(), unknown[7].as_secs_f64());
    assert!(
        k / u < 1.5 && u / k < 1.5,
        "median {k:.4}s for a known user, {u:.4}s for an unknown one"
    );
}

/// Past the failures an address may have per minute, it gets
/// `policy-violation` before trying again; a right password too.
#[tokio::test]
async fn failed_authentications_per_address_are_limited() {
    let server = ChatServer::start(&["--max-auth-failures-per-minute", "2"]).await;
    let mut wrong = server.options("alice", false);
    wrong.password = "wrong".to_owned();
    let mut errors = Vec::new();
    for _ in 0..3 {
        let error = Client::connect(&wrong, Duration::from_secs(10))
            .await
            .err()
            .expect("refused");
        errors.push(error.to_string());
    }
    assert_eq!(errors[0], errors[1]);
    assert!(errors[0].contains("NotAuthorized"), "{}", errors[0]);
    assert!(errors[2].contains("PolicyViolation"), "{}", errors[2]);
    let right = Client::connect(&server.options("alice", false), Duration::from_secs(10)).await;
    assert!(right.is_err(), "the address waits out its minute");
}

/// A bound client that goes silent is pinged (XEP-0199), and dropped when
/// it does not answer; one that answers stays.
#[tokio::test]
async fn a_silent_peer_is_pinged_then_dropped() {
    let server = ChatServer::start(&["--idle-timeout", "1", "--resume-timeout", "1"]).await;
    // bob never reads again, so never answers a ping.
    let mut bob = server.client("bob", false).await;
    bob.send(Presence::new(PresenceType::Available))
        .await
        .unwrap();
    // alice reads, and her client answers the server's pings.
    let mut alice = server.client("alice", false).await;
    alice
        .send(Presence::new(PresenceType::Available))
        .await
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        let _ = alice.next(Duration::from_millis(200)).await.unwrap();
    }
    let metrics = server.http_get("/metrics").await;
    assert!(
        metrics.contains("chatwire_sessions 1\n"),
        "bob gone, alice kept: {metrics}"
    );
    // Once alice stops reading too, she goes the same way.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let metrics = server.http_get("/metrics").await;
    assert!(metrics.contains("chatwire_sessions 0\n"), "{metrics}");
    drop((alice, bob));
}

/// A client that stops reading while others send to it is disconnected,
/// and the server's memory stays bounded.
#[tokio::test]
async fn a_client_that_stops_reading_is_dropped() {
    let server = ChatServer::start(&["--max-queued-stanzas", "64", "--write-timeout", "2"]).await;
    let mut alice = server.client("alice", false).await;
    alice
        .send(Presence::new(PresenceType::Available))
        .await
        .unwrap();
    let mut bob = server.client("bob", false).await;
    let before = server.rss_kib();
    let text = "x".repeat(64 * 1024);
    // 900 messages of 64 KiB: 56 MiB if the server kept them all in
    // memory; once alice's session is gone they go to offline storage
    // (on disk, under its limit of 1,000). bob reads what comes back, or
    // he too would count as not reading.
    for i in 0..900 {
        bob.send(Message::chat(jid("alice@localhost"), text.clone()))
            .await
            .unwrap();
        if i % 50 == 0 {
            while bob.next(Duration::from_millis(1)).await.unwrap().is_some() {}
        }
    }
    server::ping(&mut bob).await;
    let mut dropped = false;
    for _ in 0..50 {
        let metrics = server.http_get("/metrics").await;
        if metrics.contains("chatwire_sessions 1\n")
            && !metrics.contains("chatwire_slow_consumers_total 0")
        {
            dropped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = server.rss_kib();
    assert!(dropped, "{}", server.http_get("/metrics").await);
    assert!(
        after < before + 32 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    drop(alice);
}

/// A request head sent a byte a second is dropped at the handshake
/// timeout; so is a stream header on the TCP port.
#[tokio::test]
async fn trickling_handshakes_are_dropped() {
    let server = ChatServer::start(&["--handshake-timeout", "2"]).await;
    for (port, bytes) in [
        (
            server.web_port,
            &b"GET /xmpp-websocket HTTP/1.1\r\nHost: x\r\n"[..],
        ),
        (server.tcp_port, HEADER),
    ] {
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let start = Instant::now();
        let mut closed = false;
        for byte in bytes {
            if tcp.write_all(&[*byte]).await.is_err() {
                closed = true;
                break;
            }
            let mut buf = [0u8; 1024];
            let read = tokio::time::timeout(Duration::from_secs(1), tcp.read(&mut buf)).await;
            if let Ok(Ok(n)) = read
                && (n == 0 || String::from_utf8_lossy(&buf[..n]).contains("connection-timeout"))
            {
                closed = true;
                break;
            }
            if start.elapsed() > Duration::from_secs(8) {
                break;
            }
        }
        let took = start.elapsed();
        assert!(closed, "port {port} still open after {took:?}");
        assert!(took < Duration::from_secs(5), "port {port}: {took:?}");
    }
}

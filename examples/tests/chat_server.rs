//! `chat-server` over real sockets, driven by the client side of the same
//! crates: messages over WebSocket and TCP, the RFC 6121 subscription flow,
//! offline delivery with a delay stamp, nothing lost across SIGKILL, and a
//! XEP-0198 resumption after the connection is cut.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod server;

use std::time::Duration;

use chatwire_examples::chat::client::Client;
use chatwire_xmpp_stanza::{
    AnyStanza, Iq, IqPayload, Jid, Message, Payload, Presence, PresenceType, Roster,
};
use server::{ChatServer, jid, wait_for};

const WAIT: Duration = Duration::from_secs(10);

async fn online(server: &ChatServer, who: &str, tcp: bool) -> Client {
    let mut client = server.client(who, tcp).await;
    let mut get = Iq::get("r0", IqPayload::Roster(Roster::default()));
    get.to = None;
    client.send(get).await.unwrap();
    wait_for(
        &mut client,
        |s| matches!(s, AnyStanza::Iq(iq) if iq.id == "r0"),
    )
    .await;
    client
        .send(Presence::new(PresenceType::Available))
        .await
        .unwrap();
    client
}

fn body(stanza: &AnyStanza) -> Option<&str> {
    match stanza {
        AnyStanza::Message(m) => m.body(),
        _ => None,
    }
}

#[tokio::test]
async fn messages_between_websocket_and_tcp() {
    let server = ChatServer::start(&[]).await;
    let mut alice = online(&server, "alice", false).await;
    let mut bob = online(&server, "bob", true).await;
    alice
        .send(Message::chat(jid("bob@localhost"), "over websocket"))
        .await
        .unwrap();
    let got = wait_for(&mut bob, |s| body(s).is_some()).await;
    assert_eq!(body(&got), Some("over websocket"));
    assert_eq!(
        got.as_stanza().from().unwrap().to_bare(),
        jid("alice@localhost")
    );
    bob.send(Message::chat(jid("alice@localhost"), "over tcp"))
        .await
        .unwrap();
    let got = wait_for(&mut alice, |s| body(s).is_some()).await;
    assert_eq!(body(&got), Some("over tcp"));
}

/// RFC 6121 sections 3.1.2-3.1.6, on both sides.
#[tokio::test]
async fn subscription_flow_pushes_and_presence() {
    let server = ChatServer::start(&[]).await;
    let mut alice = online(&server, "alice", false).await;
    let mut bob = online(&server, "bob", false).await;
    let mut subscribe = Presence::new(PresenceType::Subscribe);
    subscribe.to = Some(jid("bob@localhost"));
    alice.send(subscribe).await.unwrap();
    // alice: a push with ask='subscribe' (3.1.2).
    let push = wait_for(
        &mut alice,
        |s| matches!(s, AnyStanza::Iq(iq) if iq.kind == chatwire_xmpp_stanza::IqType::Set),
    )
    .await;
    let AnyStanza::Iq(push) = push else { panic!() };
    let Some(IqPayload::Roster(r)) = &push.payload else {
        panic!()
    };
    assert_eq!(r.items[0].jid, jid("bob@localhost"));
    assert!(r.items[0].ask().is_some());
    // The client answers pushes (RFC 6121 2.1.6).
    alice.send(push.result(None).unwrap()).await.unwrap();
    // bob: the request from alice's bare JID (3.1.3).
    let request = wait_for(
        &mut bob,
        |s| matches!(s, AnyStanza::Presence(p) if p.kind == PresenceType::Subscribe),
    )
    .await;
    assert_eq!(request.as_stanza().from(), Some(&jid("alice@localhost")));

    let mut subscribed = Presence::new(PresenceType::Subscribed);
    subscribed.to = Some(jid("alice@localhost"));
    bob.send(subscribed).await.unwrap();
    // bob: a push with subscription='from' (3.1.5).
    let push = wait_for(
        &mut bob,
        |s| matches!(s, AnyStanza::Iq(iq) if iq.kind == chatwire_xmpp_stanza::IqType::Set),
    )
    .await;
    let AnyStanza::Iq(push) = push else { panic!() };
    let Some(IqPayload::Roster(r)) = &push.payload else {
        panic!()
    };
    assert_eq!(r.items[0].subscription().unwrap().as_str(), "from");
    // alice: subscribed, the push with 'to', and bob's presence (3.1.6).
    let mut saw = (false, false, false);
    for _ in 0..10 {
        let Some(s) = alice.next(WAIT).await.unwrap() else {
            break;
        };
        match &s {
            AnyStanza::Presence(p) if p.kind == PresenceType::Subscribed => saw.0 = true,
            AnyStanza::Iq(iq) => {
                if let Some(IqPayload::Roster(r)) = &iq.payload {
                    saw.1 |= r.items[0]
                        .subscription()
                        .is_some_and(|s| s.as_str() == "to");
                }
            }
            AnyStanza::Presence(p)
                if p.kind == PresenceType::Available
                    && p.from
                        .as_ref()
                        .is_some_and(|f| f.to_bare() == jid("bob@localhost")) =>
            {
                saw.2 = true
            }
            _ => {}
        }
        if saw == (true, true, true) {
            break;
        }
    }
    assert_eq!(saw, (true, true, true), "subscribed, push, presence");
}

#[tokio::test]
async fn offline_messages_arrive_with_a_delay_stamp() {
    let server = ChatServer::start(&[]).await;
    let mut bob = online(&server, "bob", false).await;
    bob.send(Message::chat(jid("alice@localhost"), "while you were away"))
        .await
        .unwrap();
    server::ping(&mut bob).await;
    let mut alice = online(&server, "alice", false).await;
    let got = wait_for(&mut alice, |s| body(s).is_some()).await;
    let AnyStanza::Message(m) = got else { panic!() };
    assert_eq!(m.body(), Some("while you were away"));
    let delay = m
        .payloads
        .iter()
        .find_map(|p| match p {
            Payload::Delay(d) => Some(d),
            _ => None,
        })
        .expect("a <delay/>");
    assert_eq!(delay.from, Some(jid("localhost")));
    // XEP-0082 DateTime, UTC.
    let stamp = delay.stamp.as_bytes();
    assert_eq!(stamp.len(), 24, "{}", delay.stamp);
    assert!(
        delay.stamp.ends_with('Z') && stamp[10] == b'T',
        "{}",
        delay.stamp
    );
}

/// Acknowledged means stored: 20 messages to an offline user, SIGKILL,
/// restart, and each arrives once; the roster is intact.
#[tokio::test]
async fn nothing_acknowledged_is_lost_to_sigkill() {
    let mut server = ChatServer::start(&[]).await;
    let mut bob = online(&server, "bob", false).await;
    let mut set = Iq::set(
        "add",
        IqPayload::Roster({
            let mut r = Roster::default();
            r.items.push(chatwire_xmpp_stanza::RosterItem::new(jid(
                "alice@localhost",
            )));
            r
        }),
    );
    set.to = None;
    bob.send(set).await.unwrap();
    wait_for(
        &mut bob,
        |s| matches!(s, AnyStanza::Iq(iq) if iq.id == "add"),
    )
    .await;
    for i in 0..20 {
        bob.send(Message::chat(jid("alice@localhost"), format!("m{i}")))
            .await
            .unwrap();
    }
    server::ping(&mut bob).await;
    server.kill_and_restart().await;
    let mut alice = online(&server, "alice", false).await;
    let mut bodies = Vec::new();
    while let Some(s) = alice.next(Duration::from_secs(2)).await.unwrap() {
        if let Some(b) = body(&s) {
            bodies.push(b.to_owned());
        }
    }
    let expected: Vec<String> = (0..20).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies, expected);
    let mut bob = server.client("bob", false).await;
    let items = server::roster(&mut bob).await;
    assert_eq!(items, vec![jid("alice@localhost")]);
    // alice read them all and acknowledged them on closing: they are gone
    // from storage, and another restart brings none back.
    alice.close().await.unwrap();
    server.kill_and_restart().await;
    let mut alice = online(&server, "alice", false).await;
    let again: Vec<AnyStanza> = drain(&mut alice).await;
    assert!(
        again.iter().all(|s| body(s).is_none()),
        "delivered twice: {again:?}"
    );
}

/// Reads five message bodies, then loses the connection: the bodies read
/// (what the client already parsed counts as received; what is still in
/// the socket is lost with it, and the server sends it again) and what
/// resuming needs.
async fn read_five_then_cut(
    mut client: Client,
) -> (Vec<String>, chatwire_xmpp_session::Resumption) {
    let mut bodies = Vec::new();
    for _ in 0..5 {
        let s = wait_for(&mut client, |s| body(s).is_some()).await;
        bodies.push(body(&s).unwrap().to_owned());
    }
    bodies.extend(
        client
            .take_buffered()
            .iter()
            .filter_map(body)
            .map(str::to_owned),
    );
    let resumption = client.detach().expect("resumable");
    client.drop_connection();
    (bodies, resumption)
}

/// Everything that arrives within two seconds of silence.
async fn drain(client: &mut Client) -> Vec<AnyStanza> {
    let mut got = Vec::new();
    while let Some(s) = client.next(Duration::from_secs(2)).await.unwrap() {
        got.push(s);
    }
    got
}

/// XEP-0198 and offline storage together: the offline queue is drained
/// into a connection that is cut after five messages; the client resumes
/// and gets the rest once, and what it acknowledged is not stored again.
#[tokio::test]
async fn offline_messages_across_a_cut_and_a_resumption_arrive_once() {
    let mut server = ChatServer::start(&[]).await;
    let mut bob = online(&server, "bob", false).await;
    for i in 0..20 {
        bob.send(Message::chat(jid("alice@localhost"), format!("m{i}")))
            .await
            .unwrap();
    }
    server::ping(&mut bob).await;
    let alice = online(&server, "alice", false).await;
    let (mut bodies, resumption) = read_five_then_cut(alice).await;
    let mut alice = Client::resume(&server.options("alice", false), resumption, WAIT)
        .await
        .unwrap();
    assert!(alice.resumed());
    bodies.extend(
        drain(&mut alice)
            .await
            .iter()
            .filter_map(body)
            .map(str::to_owned),
    );
    let expected: Vec<String> = (0..20).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies, expected);
    alice.close().await.unwrap();
    server.kill_and_restart().await;
    let mut alice = online(&server, "alice", false).await;
    let again = drain(&mut alice).await;
    assert!(
        again.iter().all(|s| body(s).is_none()),
        "delivered twice: {again:?}"
    );
}

/// XEP-0198: the connection is cut while messages flow; the client
/// resumes and gets every message once.
#[tokio::test]
async fn resumption_after_a_cut_loses_and_repeats_nothing() {
    let server = ChatServer::start(&[]).await;
    let alice = online(&server, "alice", false).await;
    let mut bob = online(&server, "bob", false).await;
    for i in 0..10 {
        bob.send(Message::chat(jid("alice@localhost"), format!("m{i}")))
            .await
            .unwrap();
    }
    let (mut bodies, resumption) = read_five_then_cut(alice).await;
    for i in 10..20 {
        bob.send(Message::chat(jid("alice@localhost"), format!("m{i}")))
            .await
            .unwrap();
    }
    server::ping(&mut bob).await;
    let mut alice = Client::resume(&server.options("alice", false), resumption, WAIT)
        .await
        .unwrap();
    assert!(alice.resumed());
    while let Some(s) = alice.next(Duration::from_secs(2)).await.unwrap() {
        if let Some(b) = body(&s) {
            bodies.push(b.to_owned());
        }
    }
    let expected: Vec<String> = (0..20).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies, expected);
}

/// RFC 6120 section 8.1.2.1: a `from` the session may not use ends the
/// stream with `invalid-from`; nothing reaches the recipient.
#[tokio::test]
async fn a_client_cannot_send_as_another_user() {
    let server = ChatServer::start(&[]).await;
    let mut alice = online(&server, "alice", false).await;
    let mut bob = online(&server, "bob", false).await;
    let mut forged = Message::chat(jid("bob@localhost"), "from carol, honest");
    forged.from = Some(jid("carol@localhost/x"));
    alice.send(forged).await.unwrap();
    let mut closed = false;
    for _ in 0..10 {
        match alice.next(Duration::from_secs(2)).await {
            Err(_) => {
                closed = true;
                break;
            }
            Ok(None) => break,
            Ok(Some(_)) => {}
        }
    }
    assert!(closed, "the stream ends");
    while let Some(s) = bob.next(Duration::from_secs(1)).await.unwrap() {
        assert!(body(&s).is_none(), "delivered: {s:?}");
    }
}

#[tokio::test]
async fn disco_ping_and_host_meta() {
    let server = ChatServer::start(&[]).await;
    let mut alice = online(&server, "alice", false).await;
    let mut info = Iq::get(
        "d1",
        IqPayload::DiscoInfo(chatwire_xmpp_stanza::DiscoInfo::default()),
    );
    info.to = Some(Jid::new("localhost").unwrap());
    alice.send(info).await.unwrap();
    let got = wait_for(
        &mut alice,
        |s| matches!(s, AnyStanza::Iq(iq) if iq.id == "d1"),
    )
    .await;
    let AnyStanza::Iq(iq) = got else { panic!() };
    let Some(IqPayload::DiscoInfo(info)) = iq.payload else {
        panic!("{iq:?}")
    };
    for feature in [
        "urn:xmpp:blocking",
        "urn:xmpp:ping",
        "http://jabber.org/protocol/disco#info",
    ] {
        assert!(info.features.iter().any(|f| f == feature), "{feature}");
    }
    let body = server.http_get("/.well-known/host-meta.json").await;
    assert!(
        body.contains(&format!(
            "ws://127.0.0.1:{}/xmpp-websocket",
            server.web_port
        )),
        "{body}"
    );
    let metrics = server.http_get("/metrics").await;
    assert!(metrics.contains("chatwire_sessions 1"), "{metrics}");
}

/// SIGTERM ends every stream with `system-shutdown` and the server exits
/// cleanly.
#[tokio::test]
async fn sigterm_closes_streams_with_system_shutdown() {
    let mut server = ChatServer::start(&[]).await;
    let mut alice = online(&server, "alice", false).await;
    let status = server.terminate(Duration::from_secs(10)).await;
    let error = loop {
        match alice.next(Duration::from_secs(5)).await {
            Err(e) => break e.to_string(),
            Ok(None) => panic!("no stream error"),
            Ok(Some(_)) => {}
        }
    };
    assert!(error.contains("SystemShutdown"), "{error}");
    let status = status.expect("exited");
    assert!(status.success(), "{status}");
}

/// RFC 7692: the server accepts permessage-deflate when offered (the
/// client library offers it, so every WebSocket test here runs over it),
/// and declines it with `--no-deflate`.
#[tokio::test]
async fn permessage_deflate_is_negotiated_unless_turned_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for (flags, expect) in [(&[][..], true), (&["--no-deflate"][..], false)] {
        let server = ChatServer::start(flags).await;
        let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.web_port))
            .await
            .unwrap();
        let request = format!(
            "GET /xmpp-websocket HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
            server.web_port
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = tcp.read(&mut buf).await.unwrap();
            assert!(n > 0);
            head.extend_from_slice(&buf[..n]);
        }
        let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 101"), "{head}");
        assert_eq!(
            head.contains("sec-websocket-extensions: permessage-deflate"),
            expect,
            "{head}"
        );
        let mut alice = online(&server, "alice", false).await;
        let mut bob = online(&server, "bob", false).await;
        let text = "compressible ".repeat(100);
        bob.send(Message::chat(jid("alice@localhost"), text.clone()))
            .await
            .unwrap();
        let got = wait_for(&mut alice, |s| body(s).is_some()).await;
        assert_eq!(body(&got), Some(text.as_str()));
    }
}

/// Reads for `seconds`, until `done` holds for the client.
async fn read_until(client: &mut Client, seconds: u64, done: impl Fn(&Client) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while !done(client) && tokio::time::Instant::now() < deadline {
        let _ = client.next(Duration::from_millis(100)).await.unwrap();
    }
}

/// A message is acknowledged to its sender (XEP-0198 `h`) only once it is
/// safe: while its recipient has not confirmed it, a SIGKILL would lose
/// it, so the sender is not told it arrived.
#[tokio::test]
async fn a_message_is_acknowledged_once_its_recipient_has_it() {
    let server = ChatServer::start(&[]).await;
    let mut alice = online(&server, "alice", false).await;
    let mut bob = online(&server, "bob", false).await;
    server::ping(&mut bob).await;
    bob.request_ack().await.unwrap();
    read_until(&mut bob, 5, |b| b.acked() == Some(3)).await;
    assert_eq!(bob.acked(), Some(3), "roster get, presence and ping");
    for i in 0..5 {
        bob.send(Message::chat(jid("alice@localhost"), format!("m{i}")))
            .await
            .unwrap();
    }
    bob.request_ack().await.unwrap();
    // alice reads nothing meanwhile.
    read_until(&mut bob, 2, |b| b.acked() != Some(3)).await;
    assert_eq!(bob.acked(), Some(3), "acknowledged before alice had them");
    let mut bodies = Vec::new();
    while bodies.len() < 5 {
        let s = wait_for(&mut alice, |s| body(s).is_some()).await;
        bodies.push(body(&s).unwrap_or_default().to_owned());
    }
    // alice answers the server's requests for an acknowledgement as she
    // reads (the last one comes 2 s after the last message); then bob's
    // answer comes.
    read_until(&mut alice, 3, |_| false).await;
    bob.request_ack().await.unwrap();
    read_until(&mut bob, 10, |b| b.acked() == Some(8)).await;
    assert_eq!(bob.acked(), Some(8));
}

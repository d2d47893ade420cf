//! A whole in-memory negotiation, our client against our server: stream
//! open, features, SASL, restart, bind (and XEP-0198 enable), for SCRAM-SHA-256
//! over WebSocket and PLAIN over TCP, at 4096 iterations. The `scram_hi`
//! group of the `sasl` bench gives the PBKDF2 part: SCRAM runs it once on
//! the client (the server holds stored keys); PLAIN once on the server.

use std::hint::black_box;
use std::time::Instant;

use chatwire_benches::SALT;
use chatwire_sasl::{AccountPolicy, Mechanism, Secret, StoredCredentials};
use chatwire_xmpp_session::{
    BindDecision, ClientConfig, ClientEvent, ClientSession, Security, ServerConfig, ServerEvent,
    ServerSession, StartTls,
};
use chatwire_xmpp_stanza::Jid;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

#[derive(Clone, Copy)]
enum Wire {
    Ws,
    Tcp,
}

fn random(seed: u8) -> impl FnMut(&mut [u8]) + Send + 'static {
    let mut counter = seed;
    move |buf: &mut [u8]| {
        for byte in buf {
            counter = counter.wrapping_add(37);
            *byte = counter;
        }
    }
}

fn configs(mechanism: Mechanism, secret: &Secret) -> (ServerConfig, ClientConfig) {
    let server = ServerConfig::new("example.com", secret.clone())
        .with_starttls(StartTls::Disabled)
        .with_plain_without_tls(true)
        .with_mechanisms([mechanism]);
    let mut client = ClientConfig::new(Jid::new("juliet@example.com/balcony").unwrap(), "r0m30")
        .with_starttls(StartTls::Disabled);
    client.sasl.preference = vec![mechanism];
    client.sasl.allow_plain_without_tls = true;
    (server, client)
}

/// Runs one negotiation to the client's ready event; returns the bound JID.
fn negotiate(wire: Wire, mechanism: Mechanism, secret: &Secret, stored: &StoredCredentials) -> Jid {
    let now = Instant::now();
    let (server_config, client_config) = configs(mechanism, secret);
    let (mut server, mut client) = match wire {
        Wire::Ws => (
            ServerSession::websocket(
                now,
                server_config,
                Default::default(),
                Security::Plain,
                random(1),
            ),
            ClientSession::websocket(
                now,
                client_config,
                Default::default(),
                Security::Plain,
                random(2),
            )
            .unwrap(),
        ),
        Wire::Tcp => (
            ServerSession::tcp(
                now,
                server_config,
                Default::default(),
                Security::Plain,
                random(1),
            ),
            ClientSession::tcp(
                now,
                client_config,
                Default::default(),
                Security::Plain,
                random(2),
            )
            .unwrap(),
        ),
    };
    let mut out = String::new();
    loop {
        while client.poll_transmit(&mut out) > 0 {
            match wire {
                Wire::Ws => server
                    .handle_message(now, std::mem::take(&mut out))
                    .unwrap(),
                Wire::Tcp => {
                    server.handle_input(now, out.as_bytes()).unwrap();
                    out.clear();
                }
            }
            while let Some(event) = server.poll_event() {
                match event {
                    ServerEvent::NeedCredentials { .. } => {
                        server.handle_credentials(now, Some(stored)).unwrap();
                    }
                    ServerEvent::BindRequested { resource } => {
                        let resource = resource.unwrap_or_default();
                        server
                            .handle_bind(now, BindDecision::Bind(resource))
                            .unwrap();
                    }
                    _ => {}
                }
            }
        }
        while server.poll_transmit(&mut out) > 0 {
            match wire {
                Wire::Ws => client
                    .handle_message(now, std::mem::take(&mut out))
                    .unwrap(),
                Wire::Tcp => {
                    client.handle_input(now, out.as_bytes()).unwrap();
                    out.clear();
                }
            }
        }
        while let Some(event) = client.poll_event() {
            match event {
                ClientEvent::Ready { jid } => return jid,
                ClientEvent::Closed(reason) => panic!("{reason:?}"),
                _ => {}
            }
        }
    }
}

fn session_negotiate(c: &mut Criterion) {
    let secret = Secret::new(*b"bench secret, thirty-two bytes!!").unwrap();
    let stored = AccountPolicy::default().derive("r0m30", SALT).unwrap();
    let mut group = c.benchmark_group("session_negotiate");
    group.throughput(Throughput::Elements(1));
    let cases = [
        ("scram-sha-256-ws", Wire::Ws, Mechanism::ScramSha256),
        ("plain-tcp", Wire::Tcp, Mechanism::Plain),
    ];
    for (name, wire, mechanism) in cases {
        group.bench_function(BenchmarkId::new("chatwire", name), |b| {
            b.iter(|| negotiate(wire, mechanism, black_box(&secret), black_box(&stored)));
        });
    }
    group.finish();
}

criterion_group!(benches, session_negotiate);
criterion_main!(benches);

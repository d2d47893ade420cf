//! SCRAM costs: `Hi()` (PBKDF2) through chatwire-sasl beside the pbkdf2 crate called directly
//! with the same parameters, and a whole server exchange from stored keys (no PBKDF2), for a
//! known user and for an unknown one (which must cost the same).

use std::hint::black_box;

use chatwire_benches::SALT;
use chatwire_sasl::{
    AccountPolicy, Client, ClientConfig, ClientStep, Error, Mechanism, ScramHash, Secret, Server,
    ServerConfig, ServerStep, StoredCredentials,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const ITERATIONS: u32 = 4096;

fn scram_hi(c: &mut Criterion) {
    let mut group = c.benchmark_group("scram_hi");
    group.throughput(Throughput::Elements(1));
    let cases = [
        ("sha1-4096", ScramHash::Sha1),
        ("sha256-4096", ScramHash::Sha256),
        ("sha512-4096", ScramHash::Sha512),
    ];
    for (name, hash) in cases {
        group.bench_with_input(BenchmarkId::new("chatwire", name), &hash, |b, &hash| {
            b.iter(|| hash.hi(black_box(b"pencil"), black_box(SALT), ITERATIONS));
        });
        group.bench_with_input(BenchmarkId::new("pbkdf2", name), &hash, |b, &hash| {
            b.iter(|| {
                let mut out = [0u8; 64];
                match hash {
                    ScramHash::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(
                        black_box(b"pencil"),
                        black_box(SALT),
                        ITERATIONS,
                        &mut out[..20],
                    ),
                    ScramHash::Sha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
                        black_box(b"pencil"),
                        black_box(SALT),
                        ITERATIONS,
                        &mut out[..32],
                    ),
                    _ => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(
                        black_box(b"pencil"),
                        black_box(SALT),
                        ITERATIONS,
                        &mut out,
                    ),
                }
                out
            });
        });
    }
    group.finish();
}

/// Client messages recorded once, replayed against a fresh server each iteration.
fn recorded_exchange(user: &str, stored: Option<&StoredCredentials>) -> (Vec<u8>, Vec<u8>) {
    let config = ClientConfig::new(user, "pencil");
    let mut client = Client::new(Mechanism::ScramSha256, &config, "rOprNGfwEbeRWgbNEkqO").unwrap();
    let first = client.start().unwrap().to_vec();
    let mut server = new_server();
    server.start(Some(&first)).unwrap();
    let ServerStep::Challenge(server_first) = server.credentials(stored).unwrap() else {
        panic!("expected server-first")
    };
    let ClientStep::Response(last) = client.step(&server_first).unwrap() else {
        panic!("expected client-final")
    };
    (first, last)
}

/// A server builds its configuration once (keying the secret) and clones it per connection.
fn new_server() -> Server {
    thread_local! {
        static CONFIG: ServerConfig =
            ServerConfig::new(Secret::new(*b"bench secret, thirty-two bytes!!").unwrap());
    }
    let config = CONFIG.with(ServerConfig::clone);
    Server::new(
        Mechanism::ScramSha256,
        config,
        "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    )
    .unwrap()
}

/// One server-side exchange: client-first, the lookup's answer, client-final.
fn server_exchange(
    first: &[u8],
    stored: Option<&StoredCredentials>,
    last: &[u8],
) -> Result<ServerStep, Error> {
    let mut server = new_server();
    server.start(Some(black_box(first)))?;
    server.credentials(stored)?;
    server.step(black_box(last))
}

fn scram_server_verify(c: &mut Criterion) {
    let stored = AccountPolicy::default().derive("pencil", SALT).unwrap();
    let (first, last) = recorded_exchange("user", Some(&stored));
    let (unknown_first, unknown_last) = recorded_exchange("nobody", None);
    let mut group = c.benchmark_group("scram_server_verify");
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new("chatwire", "sha256"), |b| {
        b.iter(|| match server_exchange(&first, Some(&stored), &last) {
            Ok(ServerStep::Success { outcome, .. }) => outcome,
            other => panic!("{other:?}"),
        });
    });
    group.bench_function(BenchmarkId::new("chatwire", "sha256-unknown-user"), |b| {
        b.iter(
            || match server_exchange(&unknown_first, None, &unknown_last) {
                Err(Error::NotAuthorized) => {}
                other => panic!("{other:?}"),
            },
        );
    });
    group.finish();
}

criterion_group!(benches, scram_hi, scram_server_verify);
criterion_main!(benches);

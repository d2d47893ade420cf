//! SCRAM costs: `Hi()` (PBKDF2) through chatwire-sasl beside the pbkdf2 crate called directly
//! with the same parameters, and a whole server exchange from stored keys (no PBKDF2).

use std::hint::black_box;

use chatwire_sasl::{
    Client, ClientConfig, ClientStep, Mechanism, ScramHash, Secret, Server, ServerConfig,
    ServerStep, StoredCredentials,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const SALT: &[u8] = b"QSXCR+Q6sek8bf92";
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
fn recorded_exchange(stored: &StoredCredentials) -> (Vec<u8>, Vec<u8>) {
    let config = ClientConfig::new("user", "pencil");
    let mut client = Client::new(Mechanism::ScramSha256, &config, "rOprNGfwEbeRWgbNEkqO").unwrap();
    let first = client.start().unwrap();
    let mut server = new_server();
    server.start(Some(&first)).unwrap();
    let ServerStep::Challenge(server_first) = server.credentials(Some(stored)).unwrap() else {
        panic!("expected server-first")
    };
    let ClientStep::Response(last) = client.step(&server_first).unwrap() else {
        panic!("expected client-final")
    };
    (first, last)
}

fn new_server() -> Server {
    let config = ServerConfig::new(Secret::new(*b"bench secret"));
    Server::new(
        Mechanism::ScramSha256,
        config,
        "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    )
    .unwrap()
}

fn scram_server_verify(c: &mut Criterion) {
    let stored = StoredCredentials::derive(ScramHash::Sha256, "pencil", SALT, ITERATIONS).unwrap();
    let (first, last) = recorded_exchange(&stored);
    let mut group = c.benchmark_group("scram_server_verify");
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new("chatwire", "sha256"), |b| {
        b.iter(|| {
            let mut server = new_server();
            server.start(Some(black_box(&first))).unwrap();
            server.credentials(Some(&stored)).unwrap();
            match server.step(black_box(&last)).unwrap() {
                ServerStep::Success { outcome, .. } => outcome,
                other => panic!("{other:?}"),
            }
        });
    });
    group.finish();
}

criterion_group!(benches, scram_hi, scram_server_verify);
criterion_main!(benches);

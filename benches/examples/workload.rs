//! Runs one bench workload N times, for counting instructions with
//! callgrind, which, unlike a timer, gives the same figure on every run and
//! on a busy machine:
//!
//! ```sh
//! cargo build --release -p chatwire-benches --example workload
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/workload parse_message 200
//! ```
//!
//! Instructions per iteration are the difference between a run of N and a
//! run of 0 (the set-up), divided by N. The inputs are those of the
//! `stanza` and `sasl` benches.

use std::hint::black_box;
use std::process::ExitCode;

use chatwire_benches::{MESSAGE, PRESENCE, SALT, roster_result};
use chatwire_sasl::{
    AccountPolicy, Client, ClientConfig, ClientStep, Mechanism, ScramHash, Secret, Server,
    ServerConfig, ServerStep,
};
use chatwire_xmpp_stanza::{Context, Element};

const WORKLOADS: &str = "parse_message parse_presence parse_roster ser_message ser_presence \
ser_roster hi_sha1 hi_sha256 hi_sha512 scram_verify";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(workload), Some(Ok(n))) = (args.get(1), args.get(2).map(|n| n.parse::<usize>()))
    else {
        eprintln!("usage: workload NAME N\nNAME: {WORKLOADS}");
        return ExitCode::from(2);
    };
    let Some(mut run) = workload_named(workload) else {
        eprintln!("unknown workload {workload}; one of: {WORKLOADS}");
        return ExitCode::from(2);
    };
    for _ in 0..n {
        run();
    }
    ExitCode::SUCCESS
}

/// The workload's set-up done, and one iteration of it as a closure.
fn workload_named(name: &str) -> Option<Box<dyn FnMut()>> {
    let ctx = Context::client_websocket();
    let input = match name {
        "parse_message" | "ser_message" => MESSAGE.to_owned(),
        "parse_presence" | "ser_presence" => PRESENCE.to_owned(),
        _ => roster_result(),
    };
    Some(match name {
        "parse_message" | "parse_presence" | "parse_roster" => Box::new(move || {
            black_box(Element::parse(black_box(input.as_bytes()), &ctx).is_ok());
        }),
        "ser_message" | "ser_presence" | "ser_roster" => {
            let parsed = Element::parse(input.as_bytes(), &ctx).ok()?;
            let mut out = Vec::with_capacity(1 << 16);
            Box::new(move || {
                out.clear();
                black_box(parsed.serialize(&ctx, &mut out).is_ok());
            })
        }
        "hi_sha1" => Box::new(|| hi(ScramHash::Sha1)),
        "hi_sha256" => Box::new(|| hi(ScramHash::Sha256)),
        "hi_sha512" => Box::new(|| hi(ScramHash::Sha512)),
        "scram_verify" => scram_verify()?,
        _ => return None,
    })
}

fn hi(hash: ScramHash) {
    black_box(hash.hi(black_box(b"pencil"), SALT, 4096).ok());
}

/// A whole SCRAM-SHA-256 server exchange from stored keys, replaying
/// recorded client messages, as the `scram_server_verify` bench does.
fn scram_verify() -> Option<Box<dyn FnMut()>> {
    let stored = AccountPolicy::default().derive("pencil", SALT).ok()?;
    let config = ServerConfig::new(Secret::new(*b"bench secret, thirty-two bytes!!").ok()?);
    let new_server = move || {
        Server::new(
            Mechanism::ScramSha256,
            config.clone(),
            "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        )
    };
    let mut client = Client::new(
        Mechanism::ScramSha256,
        &ClientConfig::new("user", "pencil"),
        "rOprNGfwEbeRWgbNEkqO",
    )
    .ok()?;
    let first = client.start().ok()?.to_vec();
    let mut server = new_server().ok()?;
    server.start(Some(&first)).ok()?;
    let ServerStep::Challenge(server_first) = server.credentials(Some(&stored)).ok()? else {
        return None;
    };
    let ClientStep::Response(last) = client.step(&server_first).ok()? else {
        return None;
    };
    Some(Box::new(move || {
        let step = new_server().and_then(|mut server| {
            server.start(Some(black_box(&first)))?;
            server.credentials(Some(&stored))?;
            server.step(black_box(&last))
        });
        black_box(matches!(step, Ok(ServerStep::Success { .. })));
    }))
}

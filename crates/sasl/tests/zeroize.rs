//! Secrets do not outlive their use: after each step below and everything it made is dropped,
//! no copy of the password is left in the heap, live or freed. (4576ba9 left one behind after
//! PLAIN's `Client::start`, and one more after SASLprep of a password with U+200B; SASLprep
//! through unicode-normalization's NFKC iterators left a run of combining marks behind.)
//!
//! The heap is read through `/proc/self/mem`, which needs no unsafe code. The test runs without
//! the harness so that everything happens on the main thread, whose heap is `[heap]` plus
//! anonymous mappings; copies on the stack are out of reach and not looked for.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use chatwire_sasl::{
    Client, ClientConfig, ClientStep, Mechanism, ScramHash, Secret, Server, ServerConfig,
    ServerStep, StoredCredentials, encode_initial_response, saslprep,
};
use zeroize::Zeroizing;

/// Sits 24 bytes into every password below: glibc writes its free-list pointers over the first
/// 16 bytes of a freed block, which would hide a marker at the start.
const MARKER: &str = "Zq7secret";
/// Base64 of the marker as it appears inside `\0user\0` + password (its offset there, 30, is a
/// multiple of 3, so its encoding does not depend on the bytes before it).
const MARKER_B64: &str = "WnE3c2VjcmV0";
const PASSWORD: &str = "0123456789abcdefghijklmnZq7secret-pencil";
const NON_ASCII: &str = "0123456789abcdefghijklmnZq7secret\u{200B}-p\u{e9}ncil-\u{e9}\u{e9}\u{e9}-with-a-long-tail-0123";
/// A run of combining marks longer than the four unicode-normalization's iterators keep
/// inline; none of them composes with `e` once U+0301 has. The marks looked for sit 24 bytes
/// and more into the run (as UTF-32, how those iterators held them), past the free-list
/// pointers.
const MARKS: &str = "0123456789abcdefghijklmnZq7secret-e\u{301}\u{30a}\u{30b}\u{30c}\u{30d}\u{30e}\u{30f}\u{310}\u{302}\u{303}\u{304}\u{305}\u{306}\u{307}-tail";
const MARKS_WIDE: [char; 4] = ['\u{302}', '\u{303}', '\u{304}', '\u{305}'];
const REFUSED: &str = "0123456789abcdefghijklmnZq7secret-p\u{e9}ncil-\u{E000}";

fn main() {
    let mut failures = Vec::new();
    let mut check = |step: &str, f: &dyn Fn()| {
        f();
        let found = copies_in_heap();
        let verdict = if found == 0 { "ok" } else { "LEFT BEHIND" };
        println!("{step}: {found} copies {verdict}");
        if found != 0 {
            failures.push(step.to_owned());
        }
    };
    check("nothing yet", &|| {});
    check("PLAIN client start", &|| {
        let config = ClientConfig::new("user", PASSWORD);
        let mut client = Client::new(Mechanism::Plain, &config, "n").unwrap();
        let first = client.start().unwrap();
        let text = encode_initial_response(&first);
        assert!(text.contains(MARKER_B64));
    });
    check("SASLprep of a non-ASCII password", &|| {
        let out = Zeroizing::new(saslprep(NON_ASCII).unwrap().into_owned());
        assert!(out.contains(MARKER));
    });
    check(
        "SASLprep of a password with a run of combining marks",
        &|| {
            let out = Zeroizing::new(saslprep(MARKS).unwrap().into_owned());
            assert!(out.contains(MARKER));
        },
    );
    check("SASLprep refusing a password", &|| {
        assert!(saslprep(REFUSED).is_err());
    });
    check("deriving stored credentials", &|| {
        StoredCredentials::derive(NON_ASCII, b"salt", 2, &[ScramHash::Sha256]).unwrap();
    });
    check("PLAIN exchange, server side", &|| plain_exchange());
    check("SCRAM exchange, both sides", &|| scram_exchange());
    if !failures.is_empty() {
        eprintln!("password copies left behind after: {failures:?}");
        std::process::exit(1);
    }
    println!("test result: ok. 1 passed; 0 failed");
}

fn server_config() -> ServerConfig {
    ServerConfig::new(Secret::new(*b"0123456789abcdef0123456789abcdef").unwrap())
}

fn plain_exchange() {
    let stored = StoredCredentials::derive(NON_ASCII, b"salt", 2, &[ScramHash::Sha256]).unwrap();
    for password in [NON_ASCII, PASSWORD] {
        let mut client =
            Client::new(Mechanism::Plain, &ClientConfig::new("user", password), "n").unwrap();
        let mut server = Server::new(Mechanism::Plain, server_config(), "").unwrap();
        let step = server.start(Some(&client.start().unwrap())).unwrap();
        assert!(matches!(step, ServerStep::NeedCredentials { .. }));
        let _ = server.credentials(Some(&stored));
    }
}

fn scram_exchange() {
    let stored = StoredCredentials::derive(NON_ASCII, b"salt", 4096, &[ScramHash::Sha256]).unwrap();
    let config = ClientConfig::new("user", NON_ASCII);
    let mut client = Client::new(Mechanism::ScramSha256, &config, "clientnonce").unwrap();
    let mut server =
        Server::new(Mechanism::ScramSha256, server_config(), "0123456789abcdef").unwrap();
    server.start(Some(&client.start().unwrap())).unwrap();
    let ServerStep::Challenge(first) = server.credentials(Some(&stored)).unwrap() else {
        panic!("no server-first")
    };
    let ClientStep::Response(last) = client.step(&first).unwrap() else {
        panic!("no client-final")
    };
    let ServerStep::Success {
        additional_data, ..
    } = server.step(&last).unwrap()
    else {
        panic!("no success")
    };
    client.success(additional_data.as_deref()).unwrap();
}

/// Counts the markers (raw, base64, the marks as UTF-32) in the writable anonymous mappings
/// and `[heap]`.
fn copies_in_heap() -> usize {
    // On the stack, like the read buffer below, so it is not found in the heap itself.
    let mut wide = [0u8; 16];
    for (bytes, &c) in wide.chunks_mut(4).zip(&MARKS_WIDE) {
        bytes.copy_from_slice(&u32::from(c).to_le_bytes());
    }
    let markers = [MARKER.as_bytes(), MARKER_B64.as_bytes(), &wide];
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mut mem = File::open("/proc/self/mem").unwrap();
    // On the stack, so the buffer is not itself in the heap being read.
    let mut buf = [0u8; 4096];
    let mut found = 0;
    for line in maps.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (range, perms, path) = (fields[0], fields[1], fields.get(5).copied().unwrap_or(""));
        if !perms.starts_with("rw") || !(path.is_empty() || path == "[heap]") {
            continue;
        }
        let (start, end) = range.split_once('-').unwrap();
        let start = u64::from_str_radix(start, 16).unwrap();
        let end = u64::from_str_radix(end, 16).unwrap();
        let overlap = wide.len() as u64;
        let mut at = start;
        while at < end {
            let len = usize::try_from(end - at).unwrap().min(buf.len());
            mem.seek(SeekFrom::Start(at)).unwrap();
            if mem.read_exact(&mut buf[..len]).is_err() {
                break;
            }
            found += markers
                .iter()
                .map(|m| buf[..len].windows(m.len()).filter(|w| w == m).count())
                .sum::<usize>();
            // Step back a little so a marker across two reads is seen; one inside the overlap
            // may be counted twice, which does not matter for a check against zero.
            at += (len as u64).saturating_sub(overlap).max(1);
            if len < buf.len() {
                break;
            }
        }
    }
    found
}

//! `chat-load` across a SIGKILL of `chat-server`: the sessions log in
//! again once the server is back on the same data, what was stored for
//! offline delivery arrives, and nothing the server acknowledged is lost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod server;

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chatwire_examples::chat::sqlite::SqliteStore;
use chatwire_examples::chat::store::Store;
use chatwire_xmpp_stanza::Jid;
use server::free_port;

const CLIENTS: u32 = 20;
const MESSAGES: u32 = 80;
/// Users 1..=5 stay unavailable until every message is sent.
const OFFLINE: u32 = 5;

/// A child process killed (SIGKILL, by its PID) when dropped, so that a
/// failing test leaves nothing running.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A temporary data folder, removed when dropped.
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn add_users(dir: &Path) {
    let names: Vec<String> = (0..CLIENTS).map(|i| format!("load{i}")).collect();
    for chunk in names.chunks(4) {
        let children: Vec<Child> = chunk
            .iter()
            .map(|name| {
                Command::new(env!("CARGO_BIN_EXE_chat-server"))
                    .arg("--data-dir")
                    .arg(dir)
                    .args(["--domain", "localhost", "adduser", name])
                    .arg(format!("{name}pw"))
                    .stdout(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
    }
}

fn start_server(dir: &Path, web: u16, tcp: u16) -> Proc {
    let child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
        .arg("--listen")
        .arg(format!("127.0.0.1:{web}"))
        .arg("--tcp-listen")
        .arg(format!("127.0.0.1:{tcp}"))
        .arg("--data-dir")
        .arg(dir)
        .args([
            "--domain",
            "localhost",
            "--max-connections-per-address",
            "200",
        ])
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let server = Proc(child);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", web)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(10), "no server");
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

/// Messages stored for `user`'s offline delivery.
fn stored(dir: &Path, user: &str) -> usize {
    let store = SqliteStore::open(dir).unwrap();
    let jid = Jid::new(&format!("{user}@localhost")).unwrap();
    store
        .offline_page(&jid, &BTreeSet::new(), 10_000)
        .unwrap()
        .len()
}

/// Offline messages stored, read beside the running server.
fn stored_rows(dir: &Path) -> i64 {
    let Ok(db) = rusqlite::Connection::open_with_flags(
        dir.join(SqliteStore::FILE_NAME),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    ) else {
        return 0;
    };
    db.query_row("SELECT count(*) FROM offline", [], |row| row.get(0))
        .unwrap_or(0)
}

#[test]
fn chat_load_survives_a_sigkill_and_loses_nothing_acknowledged() {
    let dir = Dir(std::env::temp_dir().join(format!(
        "chatwire-load-kill-{}-{}",
        std::process::id(),
        free_port()
    )));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    add_users(&dir.0);
    let (web, tcp) = (free_port(), free_port());
    let mut server = start_server(&dir.0, web, tcp);

    // 1,600 messages at 400/s: about four seconds of sending.
    let load = Command::new(env!("CARGO_BIN_EXE_chat-load"))
        .arg("--url")
        .arg(format!("ws://127.0.0.1:{web}/xmpp-websocket"))
        .args(["--clients", &CLIENTS.to_string()])
        .args(["--messages", &MESSAGES.to_string()])
        .args(["--send-rate", "400", "--drain", "2", "--json"])
        .args(["--reconnect-for", "30"])
        .args(["--offline-receivers", &OFFLINE.to_string()])
        .args(["--show-lost", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut load = Proc(load);
    // Read both pipes as they fill, so that chat-load never blocks on them.
    let out = std::thread::spawn({
        let mut pipe = load.0.stdout.take().unwrap();
        move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            s
        }
    });
    let err = std::thread::spawn({
        let mut pipe = load.0.stderr.take().unwrap();
        move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            s
        }
    });

    // The kill comes once the offline receivers have messages stored (and
    // the others some delivered), whatever the time logging in took.
    let start = Instant::now();
    while stored_rows(&dir.0) < 60 {
        assert!(start.elapsed() < Duration::from_secs(10), "nothing stored");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    // What the kill left stored for the first offline receiver: some of
    // load0's messages, not all of them (the kill came mid-run).
    let at_kill = stored(&dir.0, "load1");
    let _server = start_server(&dir.0, web, tcp);
    assert!(
        at_kill > 0 && at_kill < MESSAGES as usize,
        "stored for load1 at the kill: {at_kill}"
    );

    let start = Instant::now();
    let status = loop {
        if let Some(status) = load.0.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(25), "chat-load hangs");
        std::thread::sleep(Duration::from_millis(50));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    assert!(status.success(), "chat-load failed: {out}\n{err}");
    let json: serde_json::Value =
        serde_json::from_str(out.lines().last().unwrap_or_default()).unwrap();
    let get = |key: &str| {
        json.get(key)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or_else(|| panic!("no {key} in {json}"))
    };
    let report = format!("{out}\n{err}");
    let (sent, received, lost) = (get("messages_sent"), get("messages_received"), get("lost"));
    assert_eq!(sent, u64::from(CLIENTS * MESSAGES), "{report}");
    assert_eq!(sent, received + lost, "{report}");
    assert!(get("reconnects") > 0, "{report}");
    assert!(get("messages_acknowledged") > 0, "{report}");
    // Every message the server acknowledged arrived; only those in flight
    // at the kill (a few per sender at most) may be lost.
    assert_eq!(get("lost_acknowledged"), 0, "{report}");
    assert!(lost <= u64::from(CLIENTS) * 5, "{report}");
    eprintln!("stored for load1 at the kill: {at_kill}\n{report}");
}

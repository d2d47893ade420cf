//! A `chat-server` process for tests: free ports on 127.0.0.1, a fresh
//! data directory, started and stopped by PID.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chatwire_examples::chat::client::{Client, ClientOptions};
use chatwire_xmpp_stanza::{AnyStanza, Iq, IqPayload, Jid, Roster};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub fn jid(s: &str) -> Jid {
    Jid::new(s).unwrap()
}

/// A TCP port on 127.0.0.1 that is free now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct ChatServer {
    child: Option<Child>,
    pub web_port: u16,
    pub tcp_port: u16,
    pub dir: PathBuf,
    args: Vec<String>,
    pub scheme: &'static str,
    pub ca: Option<PathBuf>,
}

impl ChatServer {
    /// Starts a demo server (alice/alicepw, bob/bobpw) with extra flags.
    pub async fn start(extra: &[&str]) -> ChatServer {
        let dir = std::env::temp_dir().join(format!(
            "chatwire-test-{}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = ChatServer {
            child: None,
            web_port: free_port(),
            tcp_port: free_port(),
            dir,
            args: extra.iter().map(|s| (*s).to_owned()).collect(),
            scheme: "ws",
            ca: None,
        };
        server.spawn().await;
        server
    }

    async fn spawn(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
            .arg("--demo")
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.web_port))
            .arg("--tcp-listen")
            .arg(format!("127.0.0.1:{}", self.tcp_port))
            .arg("--data-dir")
            .arg(&self.dir)
            .args(&self.args)
            .env(
                "RUST_LOG",
                std::env::var("CHAT_SERVER_LOG").unwrap_or_else(|_| "warn".to_owned()),
            )
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.web_port)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", self.tcp_port)).is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("chat-server did not start");
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// SIGTERM; the exit status, within `wait`.
    pub async fn terminate(&mut self, wait: Duration) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .unwrap();
        let start = std::time::Instant::now();
        while start.elapsed() < wait {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// SIGKILL, then the same server on the same data again.
    pub async fn kill_and_restart(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
        self.spawn().await;
    }

    pub fn options(&self, who: &str, tcp: bool) -> ClientOptions {
        let url = if tcp {
            format!("tcp://127.0.0.1:{}", self.tcp_port)
        } else {
            format!(
                "{}://127.0.0.1:{}/xmpp-websocket",
                self.scheme, self.web_port
            )
        };
        ClientOptions {
            url,
            jid: jid(&format!("{who}@localhost")),
            password: format!("{who}pw"),
            ca: self.ca.clone(),
        }
    }

    pub async fn client(&self, who: &str, tcp: bool) -> Client {
        Client::connect(&self.options(who, tcp), Duration::from_secs(10))
            .await
            .unwrap()
    }

    /// A plain HTTP GET on the web port; the body.
    pub async fn http_get(&self, path: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.web_port))
            .await
            .unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.web_port
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default()
    }

    /// The server's resident set, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    }
}

impl Drop for ChatServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The first stanza matching `want`, within 10 s.
pub async fn wait_for(client: &mut Client, want: impl Fn(&AnyStanza) -> bool) -> AnyStanza {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match client.next(left).await.unwrap() {
            Some(s) if want(&s) => return s,
            Some(_) => {}
            None => panic!("timed out"),
        }
    }
}

/// A ping round trip: everything sent before it was handled.
pub async fn ping(client: &mut Client) {
    let mut ping = Iq::get("ping", IqPayload::Ping);
    ping.to = Some(jid("localhost"));
    client.send(ping).await.unwrap();
    wait_for(
        client,
        |s| matches!(s, AnyStanza::Iq(iq) if iq.id == "ping"),
    )
    .await;
}

/// The roster's JIDs.
pub async fn roster(client: &mut Client) -> Vec<Jid> {
    client
        .send(Iq::get("roster", IqPayload::Roster(Roster::default())))
        .await
        .unwrap();
    let got = wait_for(
        client,
        |s| matches!(s, AnyStanza::Iq(iq) if iq.id == "roster"),
    )
    .await;
    let AnyStanza::Iq(iq) = got else { panic!() };
    let Some(IqPayload::Roster(r)) = iq.payload else {
        panic!("{iq:?}")
    };
    r.items.into_iter().map(|i| i.jid).collect()
}

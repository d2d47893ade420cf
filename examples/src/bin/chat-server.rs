//! An XMPP chat server: RFC 7395 WebSocket and RFC 6120 TCP, accounts and
//! rosters in SQLite, a Converse.js demo page. Every protocol decision is
//! made by the chatwire crates; this binary holds sockets, TLS, HTTP, files
//! and clocks.
//!
//! `chat-server --demo` serves the demo; `chat-server adduser NAME PASSWORD`
//! manages accounts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chatwire_examples::chat::conn::ConnSettings;
use chatwire_examples::chat::http::Site;
use chatwire_examples::chat::hub::{Hub, Kick};
use chatwire_examples::chat::listen::{AcceptLimits, Counter, Listener};
use chatwire_examples::chat::sqlite::SqliteStore;
use chatwire_examples::chat::store::Store;
use chatwire_sasl::{AccountPolicy, Mechanism, Secret};
use chatwire_xmpp_im::{Config as ImConfig, Server as ImServer};
use chatwire_xmpp_session::{ImFeatures, ServerConfig, SmConfig, StartTls};
use chatwire_xmpp_stanza::{Jid, Limits};
use clap::{Parser, Subcommand};
use rand::Rng;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(about = "XMPP chat server over WebSocket (RFC 7395) and TCP (RFC 6120)")]
struct Args {
    /// HTTP, WebSocket (`/xmpp-websocket`) and the demo page.
    #[arg(long, default_value = "127.0.0.1:5280")]
    listen: SocketAddr,
    /// RFC 6120 client connections.
    #[arg(long, default_value = "127.0.0.1:5222")]
    tcp_listen: SocketAddr,
    /// The domain served: users are NAME@DOMAIN.
    #[arg(long, default_value = "localhost")]
    domain: String,
    /// Where accounts, rosters and offline messages are kept.
    #[arg(long, default_value = "./chatwire-data")]
    data_dir: PathBuf,
    /// TLS certificate chain (PEM): wss:// on --listen, STARTTLS on TCP.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Offer STARTTLS without requiring it (when a certificate is given).
    #[arg(long)]
    tls_optional: bool,
    /// Create alice/alicepw and bob/bobpw, serve the Converse.js page, and
    /// allow PLAIN without TLS on loopback.
    #[arg(long)]
    demo: bool,
    /// Serve a local copy of the converse.js npm package's `dist/`
    /// instead of loading it from its CDN.
    #[arg(long)]
    web_assets: Option<PathBuf>,
    /// Decline permessage-deflate (RFC 7692) on WebSocket connections.
    #[arg(long)]
    no_deflate: bool,
    /// Offer PLAIN on streams without TLS.
    #[arg(long)]
    allow_plain_without_tls: bool,
    /// Seconds a dropped XEP-0198 session is kept for resumption.
    #[arg(long, default_value_t = 300)]
    resume_timeout: u64,
    /// Largest stanza, in bytes.
    #[arg(long, default_value_t = 256 * 1024)]
    max_stanza_size: usize,
    /// Seconds to finish the TLS and HTTP handshakes and the stream header.
    #[arg(long, default_value_t = 10)]
    handshake_timeout: u64,
    /// Seconds from connecting to authenticating.
    #[arg(long, default_value_t = 30)]
    auth_timeout: u64,
    /// Failed authentication attempts per stream before it is closed.
    #[arg(long, default_value_t = 3)]
    max_auth_failures: u32,
    /// Failed authentications per client address per minute; past it the
    /// address gets `policy-violation` (0: no limit).
    #[arg(long, default_value_t = 20)]
    max_auth_failures_per_minute: u32,
    /// Open connections per client address.
    #[arg(long, default_value_t = 64)]
    max_connections_per_address: usize,
    /// Seconds of silence before a WebSocket ping and an XMPP ping
    /// (XEP-0199); as long again without an answer and the peer counts as
    /// gone.
    #[arg(long, default_value_t = 30)]
    idle_timeout: u64,
    /// Stanzas queued for a client before it counts as not reading.
    #[arg(long, default_value_t = 1024)]
    max_queued_stanzas: usize,
    /// Seconds a write may wait for a client to read.
    #[arg(long, default_value_t = 30)]
    write_timeout: u64,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Create an account.
    Adduser { name: String, password: String },
    /// Change an account's password.
    Passwd { name: String, password: String },
    /// Delete an account.
    Deluser { name: String },
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&args.data_dir)?);
    let domain = Jid::new(&args.domain)?;
    if let Some(command) = &args.command {
        return accounts(store.as_ref(), &domain, command);
    }
    if args.demo {
        for (name, password) in [("alice", "alicepw"), ("bob", "bobpw")] {
            if store.account(name)?.is_none() {
                set_password(store.as_ref(), &domain, name, password)?;
            }
        }
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(args, store, domain))
}

/// `adduser`, `passwd`, `deluser`.
fn accounts(
    store: &dyn Store,
    domain: &Jid,
    command: &Command,
) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Adduser { name, password } => {
            let local = localpart(domain, name)?;
            if store.account(&local)?.is_some() {
                return Err(format!("{local}@{domain} exists").into());
            }
            set_password(store, domain, &local, password)?;
            println!("created {local}@{domain}");
        }
        Command::Passwd { name, password } => {
            let local = localpart(domain, name)?;
            if store.account(&local)?.is_none() {
                return Err(format!("no account {local}@{domain}").into());
            }
            set_password(store, domain, &local, password)?;
            println!("password changed for {local}@{domain}");
        }
        Command::Deluser { name } => {
            let local = localpart(domain, name)?;
            if !store.delete_account(&local)? {
                return Err(format!("no account {local}@{domain}").into());
            }
            println!("deleted {local}@{domain}");
        }
    }
    Ok(())
}

/// The account name as RFC 7622 prepares a localpart.
fn localpart(domain: &Jid, name: &str) -> Result<String, Box<dyn std::error::Error>> {
    let jid = Jid::new(&format!("{name}@{domain}"))?;
    Ok(jid.local().ok_or("empty name")?.to_owned())
}

/// Stores SCRAM keys (never the password) under the one account policy,
/// so that known and unknown users show the same salt length, iteration
/// count and mechanisms.
fn set_password(
    store: &dyn Store,
    _domain: &Jid,
    local: &str,
    password: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let policy = AccountPolicy::default();
    let mut salt = vec![0u8; policy.salt_len()];
    rand::rng().fill_bytes(&mut salt);
    let credentials = policy.derive(password, &salt)?;
    store.put_account(local, &credentials)?;
    Ok(())
}

/// The key that makes unknown users' salts look like real ones: created
/// once, kept in the data directory.
fn server_secret(data_dir: &Path) -> Result<Secret, Box<dyn std::error::Error>> {
    let path = data_dir.join("secret");
    let bytes = match std::fs::read(&path) {
        Ok(bytes) if bytes.len() >= 32 => bytes,
        _ => {
            let mut bytes = vec![0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            std::fs::write(&path, &bytes)?;
            bytes
        }
    };
    Ok(Secret::new(bytes)?)
}

fn tls_config(
    cert: &Path,
    key: &Path,
) -> Result<tokio_rustls::TlsAcceptor, Box<dyn std::error::Error>> {
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(cert)?.collect::<Result<_, _>>()?;
    let key = PrivateKeyDer::from_pem_file(key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn serve(
    args: Args,
    store: Arc<dyn Store>,
    domain: Jid,
) -> Result<(), Box<dyn std::error::Error>> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls_config(cert, key)?),
        _ => None,
    };
    let loopback = args.listen.ip().is_loopback() && args.tcp_listen.ip().is_loopback();
    let plain_without_tls = args.allow_plain_without_tls || (args.demo && loopback);
    let starttls = match (&tls, args.tls_optional) {
        (None, _) => StartTls::Disabled,
        (Some(_), true) => StartTls::Optional,
        (Some(_), false) => StartTls::Required,
    };
    let handshake = Duration::from_secs(args.handshake_timeout);
    let mut session = ServerConfig::new(domain.as_str(), server_secret(&args.data_dir)?)
        .with_mechanisms([
            Mechanism::ScramSha256Plus,
            Mechanism::ScramSha1Plus,
            Mechanism::ScramSha256,
            Mechanism::ScramSha1,
            Mechanism::Plain,
        ])
        .with_plain_without_tls(plain_without_tls)
        .with_starttls(starttls)
        .with_max_auth_failures(args.max_auth_failures)
        .with_timeouts(handshake, Duration::from_secs(args.auth_timeout), handshake)
        // Ask for an acknowledgement two seconds after a stanza went
        // unacknowledged: a client that went quiet then holds nothing of
        // ours in memory, and one that vanished is noticed sooner. A
        // client's message is acknowledged once it is stored or its
        // recipient has it (an answer waits at most ten seconds).
        .with_sm(
            SmConfig::default()
                .with_requests(5, Some(Duration::from_secs(2)))
                .with_confirm_within(Some(Duration::from_secs(10))),
        )
        .with_im_features(ImFeatures::new(true, true));
    session.stanza_limits = Limits::default().with_max_bytes(args.max_stanza_size);
    let idle = Duration::from_secs(args.idle_timeout);
    let settings = Arc::new(ConnSettings {
        session,
        websocket: chatwire_websocket::Config::chat_server()
            .with_keepalive(Some(idle))
            .with_keepalive_timeout(idle),
        queue: args.max_queued_stanzas,
        write_timeout: Duration::from_secs(args.write_timeout),
        max_resources: 10,
        resume_timeout: Duration::from_secs(args.resume_timeout),
        auth_limiter: Arc::new(chatwire_examples::chat::limits::AuthLimiter::new(
            args.max_auth_failures_per_minute,
        )),
        idle_timeout: idle,
        tls: tls.clone(),
    });
    let hub = Arc::new(Hub::new(&domain, ImServer::new(ImConfig::default()), store));
    let site = Arc::new(Site {
        demo: args.demo,
        web_assets: args.web_assets.clone(),
        secure: tls.is_some(),
    });
    let listener = Arc::new(Listener {
        hub: Arc::clone(&hub),
        settings,
        site,
        limits: AcceptLimits {
            per_address: args.max_connections_per_address,
            handshake_timeout: handshake,
        },
        counter: Arc::new(Counter::default()),
        tls,
        deflate: !args.no_deflate,
    });
    let web = TcpListener::bind(args.listen).await?;
    let tcp = TcpListener::bind(args.tcp_listen).await?;
    let web_addr = web.local_addr()?;
    let scheme = if listener.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(
        "chat-server for {domain}: WebSocket at {}://{web_addr}/xmpp-websocket, TCP at {}",
        if listener.tls.is_some() { "wss" } else { "ws" },
        tcp.local_addr()?
    );
    if args.demo {
        println!(
            "chatwire demo: open {scheme}://{web_addr}/ in two browser windows and log in as alice (password alicepw) and bob (password bobpw)"
        );
    }
    tokio::spawn(Arc::clone(&listener).web(web));
    tokio::spawn(Arc::clone(&listener).tcp(tcp));
    shutdown_signal().await;
    tracing::info!("shutting down");
    hub.kick_all(Kick::Shutdown);
    // Give streams a moment to write their `system-shutdown`.
    for _ in 0..50 {
        if hub
            .metrics
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
            == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

//! A line-oriented SASL peer in the style of the GNU SASL CLI: every outgoing token is one base64
//! line on stdout (empty line for an empty token), every incoming token one base64 line on
//! stdin. Exit status 0 on success, with `sasl-cli: authenticated ...` (server) or
//! `sasl-cli: server verified` (client) on stderr; 1 for a refused exchange, with
//! `sasl-cli: refused: REASON (failure: CONDITION)` or `sasl-cli: peer closed ...`; 2 for a
//! usage error.
//!
//! ```text
//! sasl-cli --client -m SCRAM-SHA-256 -a user -p pencil [-z AUTHZID] [--cb-type T --cb-data B64]
//! sasl-cli --server -m SCRAM-SHA-256 --user user --password pencil [--salt B64] [--iterations N]
//!          [--secret B64]
//! ```
//!
//! The server keeps one account, derived once under its account policy (one salt and iteration
//! count for every hash), and treats any other name as unknown.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chatwire_sasl::{
    AccountPolicy, ChannelBinding, Client, ClientConfig, ClientStep, Mechanism, ScramHash, Secret,
    Server, ServerConfig, ServerStep, StoredCredentials,
};
use clap::Parser;

#[derive(Parser)]
#[command(about = "Line-oriented SASL client or server (base64 tokens on stdin/stdout)")]
struct Args {
    /// Act as the client.
    #[arg(long, conflicts_with = "server", required_unless_present = "server")]
    client: bool,
    /// Act as the server.
    #[arg(long)]
    server: bool,
    /// Mechanism name, e.g. SCRAM-SHA-256-PLUS.
    #[arg(short = 'm', long)]
    mechanism: String,
    /// Client: authentication identity.
    #[arg(short = 'a', long, default_value = "")]
    authcid: String,
    /// Client: authorization identity.
    #[arg(short = 'z', long)]
    authzid: Option<String>,
    /// Client: password.
    #[arg(short = 'p', long = "pass", default_value = "")]
    pass: String,
    /// Server: the one known user.
    #[arg(long)]
    user: Option<String>,
    /// Server: that user's password.
    #[arg(long)]
    password: Option<String>,
    /// Server: the account's salt (base64); 16 random bytes when absent.
    #[arg(long)]
    salt: Option<String>,
    /// Server: iteration count.
    #[arg(long, default_value_t = 4096)]
    iterations: u32,
    /// Server: the secret unknown users' salts derive from (base64, at least 16 bytes); 32
    /// random bytes when absent.
    #[arg(long)]
    secret: Option<String>,
    /// Channel-binding type (tls-exporter, tls-server-end-point, tls-unique).
    #[arg(long, requires = "cb_data")]
    cb_type: Option<String>,
    /// Channel-binding data (base64).
    #[arg(long, requires = "cb_type")]
    cb_data: Option<String>,
    /// Fixed nonce, for reproducible runs.
    #[arg(long)]
    nonce: Option<String>,
    /// Client: EXTERNAL identity the server assumes from TLS (server role only).
    #[arg(long)]
    external_identity: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = if args.server {
        server_setup(&args).and_then(|(server, account)| run_server(&args, server, &account))
    } else {
        client_setup(&args).and_then(run_client)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Stop::Usage(reason)) => {
            eprintln!("sasl-cli: usage: {reason}");
            ExitCode::from(2)
        }
        Err(Stop::Refused(reason)) => {
            eprintln!("sasl-cli: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// Why the program stops early: a usage error (exit status 2) is never a refused exchange
/// (exit status 1), so a test expecting a refusal cannot pass on a typo.
enum Stop {
    Usage(String),
    Refused(String),
}

/// A library error that ends the exchange, with the RFC 6120 condition it maps to.
fn refused(e: chatwire_sasl::Error) -> Stop {
    Stop::Refused(format!("refused: {e} (failure: {})", e.failure()))
}

fn usage(e: impl std::fmt::Display) -> Stop {
    Stop::Usage(e.to_string())
}

fn client_setup(args: &Args) -> Result<Client, Stop> {
    let mechanism: Mechanism = args.mechanism.parse().map_err(usage)?;
    let mut config = ClientConfig::new(args.authcid.clone(), args.pass.clone());
    config.authzid.clone_from(&args.authzid);
    config
        .channel_bindings
        .extend(channel_binding(args).map_err(usage)?);
    let nonce = nonce(args).map_err(usage)?;
    Client::new(mechanism, &config, &nonce).map_err(usage)
}

fn run_client(mut client: Client) -> Result<(), Stop> {
    let mut io = LineIo::new();
    io.send(&client.start().map_err(refused)?)?;
    if client.mechanism().scram_hash().is_some() {
        loop {
            let challenge = io.receive()?;
            match client.step(&challenge).map_err(refused)? {
                ClientStep::Response(response) => io.send(&response)?,
                ClientStep::Verified => break,
            }
        }
        // The server has proven itself, which is what this exchange is for: whatever follows
        // (a success line, application data as Cyrus' sample server sends, or a peer that has
        // stopped reading) changes nothing. The verifier came as a challenge, so it is answered
        // with the empty response, and a line after it with an empty one, as gsasl expects, if
        // the peer still reads.
        eprintln!("sasl-cli: server verified");
        let _ = io.send(&[]);
        if io.receive_optional().ok().flatten().is_some() {
            let _ = io.send(&[]);
        }
        return Ok(());
    }
    // The server's success line (additional data, usually empty). Acknowledge it.
    let data = io
        .receive_optional()?
        .ok_or_else(|| Stop::Refused("peer closed before reporting success".into()))?;
    client.success(Some(&data)).map_err(refused)?;
    eprintln!("sasl-cli: server reported success");
    io.send(&[])
}

fn server_setup(args: &Args) -> Result<(Server, StoredCredentials), Stop> {
    let mechanism: Mechanism = args.mechanism.parse().map_err(usage)?;
    let secret = match &args.secret {
        Some(b64) => STANDARD
            .decode(b64)
            .map_err(|_| usage("--secret is not base64"))?,
        None => random_bytes(32).map_err(usage)?,
    };
    let (account, policy) = account(args).map_err(usage)?;
    let secret = Secret::new(secret).map_err(|e| usage(format!("--secret: {e}")))?;
    let mut config = ServerConfig::new(secret).with_account_policy(policy);
    if let Some(cb) = channel_binding(args).map_err(usage)? {
        config.channel_bindings.push(cb);
        config.plus_advertised = true;
    }
    config.external_identity.clone_from(&args.external_identity);
    let nonce = nonce(args).map_err(usage)?;
    let server = Server::new(mechanism, config, &nonce).map_err(usage)?;
    Ok((server, account))
}

fn run_server(args: &Args, mut server: Server, account: &StoredCredentials) -> Result<(), Stop> {
    let mut io = LineIo::new();
    let first = io.receive()?;
    let mut step = server.start(Some(&first)).map_err(refused)?;
    loop {
        step = match step {
            ServerStep::NeedCredentials { username, .. } => {
                let known = args.user.as_deref() == Some(username.as_str());
                server
                    .credentials(known.then_some(account))
                    .map_err(refused)?
            }
            ServerStep::Challenge(challenge) => {
                io.send(&challenge)?;
                let response = io.receive()?;
                server.step(&response).map_err(refused)?
            }
            ServerStep::Success {
                additional_data,
                outcome,
            } => {
                // Data with success travels as a last challenge, answered by an empty response;
                // then an empty line reports success, and the client may acknowledge it.
                if let Some(data) = additional_data {
                    io.send(&data)?;
                    io.receive_optional()?;
                }
                io.send(&[])?;
                io.receive_optional()?;
                let who = outcome.authcid.unwrap_or_default();
                let authzid = outcome.authzid.unwrap_or_default();
                eprintln!("sasl-cli: authenticated authcid={who} authzid={authzid}");
                return Ok(());
            }
        };
    }
}

/// The one account, derived once for every hash under a policy that takes its salt length and
/// iteration count from it, so unknown users look the same.
fn account(args: &Args) -> Result<(StoredCredentials, AccountPolicy), String> {
    let (Some(_), Some(password)) = (&args.user, &args.password) else {
        return Err("--server needs --user and --password".into());
    };
    let salt = match &args.salt {
        Some(b64) => STANDARD.decode(b64).map_err(|_| "--salt is not base64")?,
        None => random_bytes(16)?,
    };
    let policy = AccountPolicy::new(args.iterations, salt.len(), &ScramHash::STRONGEST_FIRST)
        .map_err(|e| format!("--salt or --iterations: {e}"))?;
    let account = policy
        .derive(password, &salt)
        .map_err(|e| format!("--password: {e}"))?;
    Ok((account, policy))
}

fn channel_binding(args: &Args) -> Result<Option<ChannelBinding>, String> {
    match (&args.cb_type, &args.cb_data) {
        (Some(kind), Some(data)) => {
            let data = STANDARD
                .decode(data)
                .map_err(|_| "--cb-data is not base64")?;
            ChannelBinding::new(kind.clone(), data)
                .map(Some)
                .map_err(|e| e.to_string())
        }
        _ => Ok(None),
    }
}

fn nonce(args: &Args) -> Result<String, String> {
    match &args.nonce {
        Some(n) => Ok(n.clone()),
        None => {
            let bytes = random_bytes(chatwire_sasl::NONCE_RANDOM_BYTES)?;
            let mut fill = |out: &mut [u8]| out.copy_from_slice(&bytes[..out.len()]);
            Ok(chatwire_sasl::nonce(&mut fill))
        }
    }
}

fn random_bytes(n: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut out))
        .map_err(|e| format!("no randomness: {e}"))?;
    Ok(out)
}

/// One base64 token per line in both directions.
struct LineIo {
    stdin: std::io::StdinLock<'static>,
    stdout: std::io::Stdout,
}

impl LineIo {
    fn new() -> Self {
        Self {
            stdin: std::io::stdin().lock(),
            stdout: std::io::stdout(),
        }
    }

    fn send(&mut self, token: &[u8]) -> Result<(), Stop> {
        let mut out = self.stdout.lock();
        writeln!(out, "{}", STANDARD.encode(token))
            .and_then(|()| out.flush())
            .map_err(|e| Stop::Refused(format!("peer closed the exchange (write: {e})")))
    }

    fn receive(&mut self) -> Result<Vec<u8>, Stop> {
        self.receive_optional()?
            .ok_or_else(|| Stop::Refused("peer closed the exchange".to_owned()))
    }

    /// `None` at end of input.
    fn receive_optional(&mut self) -> Result<Option<Vec<u8>>, Stop> {
        let mut line = String::new();
        let n = self
            .stdin
            .read_line(&mut line)
            .map_err(|e| Stop::Refused(format!("read: {e}")))?;
        if n == 0 {
            return Ok(None);
        }
        STANDARD
            .decode(line.trim())
            .map(Some)
            .map_err(|_| Stop::Refused("peer token is not base64".into()))
    }
}

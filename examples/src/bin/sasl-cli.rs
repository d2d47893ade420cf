//! A line-oriented SASL peer in the style of the GNU SASL CLI: every outgoing token is one base64
//! line on stdout (empty line for an empty token), every incoming token one base64 line on
//! stdin. Exit status 0 on success; otherwise a one-line reason on stderr.
//!
//! ```text
//! sasl-cli --client -m SCRAM-SHA-256 -a user -p pencil [-z AUTHZID] [--cb-type T --cb-data B64]
//! sasl-cli --server -m SCRAM-SHA-256 --user user --password pencil [--salt B64] [--iterations N]
//! ```

use std::io::{BufRead, Write};
use std::process::ExitCode;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chatwire_sasl::{
    ChannelBinding, Client, ClientConfig, ClientStep, Mechanism, Secret, Server, ServerConfig,
    ServerStep, StoredCredentials,
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
    /// Server: salt (base64); random when absent.
    #[arg(long)]
    salt: Option<String>,
    /// Server: iteration count.
    #[arg(long, default_value_t = 4096)]
    iterations: u32,
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
        run_server(&args)
    } else {
        run_client(&args)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("sasl-cli: {reason}");
            ExitCode::FAILURE
        }
    }
}

fn run_client(args: &Args) -> Result<(), String> {
    let mechanism: Mechanism = args.mechanism.parse().map_err(|e| format!("{e}"))?;
    let mut config = ClientConfig::new(args.authcid.clone(), args.pass.clone());
    config.authzid.clone_from(&args.authzid);
    config.channel_binding = channel_binding(args)?;
    let nonce = nonce(args)?;
    let mut client = Client::new(mechanism, &config, &nonce).map_err(|e| e.to_string())?;
    let mut io = LineIo::new();
    io.send(&client.start().map_err(|e| e.to_string())?)?;
    if mechanism.scram_hash().is_some() {
        loop {
            let challenge = io.receive()?;
            match client.step(&challenge).map_err(|e| e.to_string())? {
                ClientStep::Response(response) => io.send(&response)?,
                // The verifier came as a challenge: answer it with the empty response.
                ClientStep::Verified => {
                    io.send(&[])?;
                    break;
                }
            }
        }
    }
    // The server's success line (additional data, usually empty); a SCRAM server may also just
    // stop, having proven itself already. Acknowledge with an empty line, as gsasl expects.
    match io.receive_optional()? {
        Some(data) => {
            client.success(Some(&data)).map_err(|e| e.to_string())?;
            io.send(&[])
        }
        None if mechanism.scram_hash().is_some() => Ok(()),
        None => Err("peer closed before reporting success".into()),
    }
}

fn run_server(args: &Args) -> Result<(), String> {
    let mechanism: Mechanism = args.mechanism.parse().map_err(|e| format!("{e}"))?;
    let mut config = ServerConfig::new(Secret::new(random_bytes(32)?));
    if let Some(cb) = channel_binding(args)? {
        config.channel_bindings.push(cb);
        config.plus_advertised = true;
    }
    config.fake_iterations = args.iterations;
    config.external_identity.clone_from(&args.external_identity);
    let nonce = nonce(args)?;
    let mut server = Server::new(mechanism, config, &nonce).map_err(|e| e.to_string())?;
    let mut io = LineIo::new();
    let first = io.receive()?;
    let mut step = server.start(Some(&first)).map_err(|e| e.to_string())?;
    loop {
        step = match step {
            ServerStep::NeedCredentials { username, .. } => {
                let creds = credentials(args, mechanism, &username)?;
                server
                    .credentials(creds.as_ref())
                    .map_err(|e| e.to_string())?
            }
            ServerStep::Challenge(challenge) => {
                io.send(&challenge)?;
                let response = io.receive()?;
                server.step(&response).map_err(|e| e.to_string())?
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

/// Credentials for the one configured user; `None` makes the server treat anyone else as
/// unknown (and still answer with a stable fake salt).
fn credentials(
    args: &Args,
    mechanism: Mechanism,
    username: &str,
) -> Result<Option<StoredCredentials>, String> {
    let (Some(user), Some(password)) = (&args.user, &args.password) else {
        return Err("--server needs --user and --password".into());
    };
    if username != user {
        return Ok(None);
    }
    let hash = mechanism
        .scram_hash()
        .unwrap_or(chatwire_sasl::ScramHash::Sha256);
    let salt = match &args.salt {
        Some(b64) => STANDARD.decode(b64).map_err(|_| "--salt is not base64")?,
        None => random_bytes(16)?,
    };
    StoredCredentials::derive(hash, password, &salt, args.iterations)
        .map(Some)
        .map_err(|e| e.to_string())
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

    fn send(&mut self, token: &[u8]) -> Result<(), String> {
        let mut out = self.stdout.lock();
        writeln!(out, "{}", STANDARD.encode(token))
            .and_then(|()| out.flush())
            .map_err(|e| format!("write: {e}"))
    }

    fn receive(&mut self) -> Result<Vec<u8>, String> {
        self.receive_optional()?
            .ok_or_else(|| "peer closed the exchange".to_owned())
    }

    /// `None` at end of input.
    fn receive_optional(&mut self) -> Result<Option<Vec<u8>>, String> {
        let mut line = String::new();
        let n = self
            .stdin
            .read_line(&mut line)
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Ok(None);
        }
        STANDARD
            .decode(line.trim())
            .map(Some)
            .map_err(|_| "peer token is not base64".into())
    }
}

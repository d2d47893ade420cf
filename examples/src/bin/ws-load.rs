//! A WebSocket load generator: the uWebSockets `load_test` method.
//!
//! `ws-load --url ws://127.0.0.1:9001 --connections 100 --size 20 --seconds 5`
//! opens C connections with chatwire's client role, one tokio task each. Every
//! connection sends a message of S bytes (binary unless `--text`), waits for its
//! echo, checks it byte for byte, and sends the next. After a warm-up the echoed
//! messages are counted over `--runs` windows of T seconds each; the median rate
//! is the result. `--json` adds one JSON object as the last line of output, with
//! at least `connections`, `size` and `msgs_per_s`.
//!
//! A mismatched echo, a connection that fails or closes, or a connection that
//! never got an echo during the measurement makes the exit status non-zero.

use std::error::Error;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chatwire_websocket::handshake::{ClientHandshake, ClientRequest};
use chatwire_websocket::{CloseCode, Config, Connection, Event, Limits};
use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type BoxError = Box<dyn Error + Send + Sync>;

#[derive(Parser)]
#[command(about = "WebSocket echo load generator (send, wait for the echo, repeat)")]
struct Args {
    /// Server URL, e.g. ws://127.0.0.1:9001/ (plain ws:// only).
    #[arg(long)]
    url: String,
    /// Concurrent connections, each with one message in flight.
    #[arg(long, default_value_t = 100)]
    connections: usize,
    /// Payload bytes per message.
    #[arg(long, default_value_t = 20)]
    size: usize,
    /// Length of one measured window, in seconds.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Measured windows; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Seconds of load before the first window, not counted.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Worker threads of the load generator (default: one per CPU).
    #[arg(long)]
    threads: Option<usize>,
    /// Send text messages (ASCII) instead of binary ones.
    #[arg(long)]
    text: bool,
    /// Offer permessage-deflate (RFC 7692); off by default.
    #[arg(long)]
    deflate: bool,
    /// Print one JSON object with the results as the last line.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ws-load: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args, threads)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("ws-load: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the whole test; `Ok(false)` when it completed but found faults.
async fn run(args: &Args, threads: usize) -> Result<bool, BoxError> {
    if args.connections == 0 || args.runs == 0 {
        return Err("--connections and --runs must be at least 1".into());
    }
    let seconds = Duration::try_from_secs_f64(args.seconds)?;
    let warmup = Duration::try_from_secs_f64(args.warmup)?;
    let target = Target::parse(&args.url)?;
    let config = client_config(args.size);

    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        mismatches: AtomicU64::new(0),
        failures: AtomicU64::new(0),
        echoed: (0..args.connections).map(|_| Counter::default()).collect(),
    });
    let mut tasks = Vec::with_capacity(args.connections);
    for index in 0..args.connections {
        let (stream, conn) = connect(&target, &config, args.deflate).await?;
        let payload = Payload::new(index, args.size, args.text);
        let shared = Arc::clone(&shared);
        tasks.push(tokio::spawn(async move {
            if let Err(e) = drive(stream, conn, &payload, &shared, index).await {
                shared.failures.fetch_add(1, Ordering::Relaxed);
                eprintln!("connection {index}: {e}");
            }
        }));
    }

    tokio::time::sleep(warmup).await;
    let mut rates = Vec::with_capacity(args.runs);
    let mut idle = 0;
    for run in 1..=args.runs {
        let before = shared.counts();
        let start = Instant::now();
        tokio::time::sleep(seconds).await;
        let after = shared.counts();
        let elapsed = start.elapsed().as_secs_f64();
        let delta: u64 = after.iter().zip(&before).map(|(a, b)| a - b).sum();
        idle += after.iter().zip(&before).filter(|(a, b)| a == b).count();
        let rate = delta as f64 / elapsed;
        println!(
            "run {run}: {rate:.0} msgs/s ({:.1} MB/s each way), {delta} echoes in {elapsed:.2} s",
            rate * args.size as f64 / 1e6
        );
        rates.push(rate);
    }
    shared.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        // A connection stuck on a silent server is not waited for.
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }

    // Every echo of the run, warm-up included (for CPU time per echo).
    let echoes: u64 = shared.counts().iter().sum();
    let msgs_per_s = median(&mut rates.clone());
    let mismatches = shared.mismatches.load(Ordering::Relaxed);
    let failures = shared.failures.load(Ordering::Relaxed);
    let kind = if args.text { "text" } else { "binary" };
    println!(
        "{} connections x {} B {kind}{}, {threads} threads: median {msgs_per_s:.0} msgs/s over {} runs of {} s",
        args.connections,
        args.size,
        if args.deflate {
            " (deflate offered)"
        } else {
            ""
        },
        args.runs,
        args.seconds,
    );
    if mismatches > 0 {
        eprintln!("ws-load: {mismatches} echoes differed from what was sent");
    }
    if failures > 0 {
        eprintln!("ws-load: {failures} connections failed");
    }
    if idle > 0 {
        eprintln!("ws-load: {idle} connection windows saw no echo");
    }
    if args.json {
        let runs: Vec<String> = rates.iter().map(|r| format!("{r:.1}")).collect();
        println!(
            "{{\"connections\":{},\"size\":{},\"msgs_per_s\":{msgs_per_s:.1},\"runs\":[{}],\
             \"seconds\":{},\"threads\":{threads},\"text\":{},\"deflate\":{},\
             \"echoes\":{echoes},\"mismatches\":{mismatches},\"failures\":{failures}}}",
            args.connections,
            args.size,
            runs.join(","),
            args.seconds,
            args.text,
            args.deflate,
        );
    }
    Ok(mismatches == 0 && failures == 0 && idle == 0)
}

/// What every connection task shares with the measuring loop.
struct Shared {
    stop: AtomicBool,
    mismatches: AtomicU64,
    failures: AtomicU64,
    /// One counter per connection, each written by its task only.
    echoed: Vec<Counter>,
}

impl Shared {
    fn counts(&self) -> Vec<u64> {
        self.echoed
            .iter()
            .map(|c| c.0.load(Ordering::Relaxed))
            .collect()
    }
}

/// A counter on a cache line of its own, so that tasks on different cores do
/// not contend when they count.
#[derive(Default)]
#[repr(align(64))]
struct Counter(AtomicU64);

/// The message one connection sends over and over.
enum Payload {
    Binary(Vec<u8>),
    Text(String),
}

impl Payload {
    /// Bytes that differ from one connection to the next, so that an echo sent
    /// to the wrong connection is caught.
    fn new(index: usize, size: usize, text: bool) -> Self {
        let mut state = (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        if text {
            Self::Text(
                (0..size)
                    .map(|_| char::from(b'a' + (next() % 26) as u8))
                    .collect(),
            )
        } else {
            Self::Binary((0..size).map(|_| next() as u8).collect())
        }
    }

    fn send(&self, conn: &mut Connection) -> Result<(), chatwire_websocket::Error> {
        match self {
            Self::Binary(data) => conn.send_binary(data),
            Self::Text(text) => conn.send_text(text),
        }
    }

    /// Whether `event` is the echo of this payload; `None` if it is no data message.
    fn matches(&self, event: &Event) -> Option<bool> {
        match (self, event) {
            (Self::Binary(sent), Event::Binary(got)) => Some(got[..] == sent[..]),
            (Self::Text(sent), Event::Text(got)) => Some(got.as_str() == sent),
            (_, Event::Binary(_) | Event::Text(_)) => Some(false),
            _ => None,
        }
    }
}

/// Sends, waits for the echo, checks it, counts it; until told to stop.
async fn drive(
    mut stream: TcpStream,
    mut conn: Connection,
    payload: &Payload,
    shared: &Shared,
    index: usize,
) -> Result<(), BoxError> {
    let counter = shared.echoed.get(index).ok_or("no counter")?;
    let mut out = Vec::with_capacity(64 * 1024);
    let mut buf = vec![0u8; 64 * 1024];
    while !shared.stop.load(Ordering::Relaxed) {
        payload.send(&mut conn)?;
        out.clear();
        conn.poll_transmit(&mut out);
        stream.write_all(&out).await?;
        let matched = loop {
            let mut echo = None;
            while let Some(event) = conn.poll_event() {
                if let Event::Close(frame) = &event {
                    return Err(format!("server closed the connection: {frame:?}").into());
                }
                echo = echo.or(payload.matches(&event));
            }
            // Automatic pongs, if the server pinged.
            out.clear();
            if conn.poll_transmit(&mut out) > 0 {
                stream.write_all(&out).await?;
            }
            if let Some(matched) = echo {
                break matched;
            }
            let n = stream.read(&mut buf).await?;
            let input = buf.get(..n).ok_or("read past the buffer")?;
            if n == 0 {
                return Err("server closed the socket".into());
            }
            conn.handle_input(Instant::now(), input)?;
        };
        if !matched {
            shared.mismatches.fetch_add(1, Ordering::Relaxed);
        }
        counter.0.fetch_add(1, Ordering::Relaxed);
    }
    conn.close(Instant::now(), CloseCode::NORMAL, "")?;
    out.clear();
    conn.poll_transmit(&mut out);
    stream.write_all(&out).await?;
    Ok(())
}

/// Host, port and path of a `ws://` URL.
struct Target {
    authority: String,
    path: String,
}

impl Target {
    fn parse(url: &str) -> Result<Self, BoxError> {
        let rest = url
            .strip_prefix("ws://")
            .ok_or("only ws:// URLs are supported")?;
        let (authority, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err("the URL has no host".into());
        }
        Ok(Self {
            authority: authority.to_owned(),
            path: path.to_owned(),
        })
    }
}

/// Limits large enough for the messages of the test.
fn client_config(size: usize) -> Config {
    let limits = Limits::default();
    Config::default().with_limits(
        limits
            .with_max_frame_size(limits.max_frame_size.max(size as u64))
            .with_max_message_size(limits.max_message_size.max(size)),
    )
}

/// Opens one connection and completes the opening handshake.
async fn connect(
    target: &Target,
    config: &Config,
    deflate: bool,
) -> Result<(TcpStream, Connection), BoxError> {
    let mut stream = TcpStream::connect(&target.authority).await?;
    stream.set_nodelay(true)?;
    let mut request = ClientRequest::new(target.authority.as_str(), target.path.as_str());
    if deflate {
        request = request.with_extension(config.deflate.offer());
    }
    let mut out = Vec::new();
    let handshake = ClientHandshake::new(&request, rand::random(), &mut out)?;
    stream.write_all(&out).await?;

    let mut input = Vec::new();
    let mut buf = vec![0u8; 4096];
    let (response, used) = loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err("connection closed during the handshake".into());
        }
        input.extend_from_slice(buf.get(..n).ok_or("read past the buffer")?);
        if let Some(done) = handshake.handle_response(&input)? {
            break done;
        }
    };
    let agreed = config.deflate.check_response(&response)?;
    let mut conn = Connection::client(Instant::now(), config.clone(), rand::random);
    if let Some(params) = agreed {
        conn = conn.with_deflate(params);
    }
    // Frames that came right behind the response head (none, from an echo server).
    conn.handle_input(Instant::now(), input.get(used..).unwrap_or_default())?;
    Ok((stream, conn))
}

/// The median of `values` (the mean of the middle two for an even count).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    match (values.get(mid.wrapping_sub(1)), values.get(mid)) {
        (Some(a), Some(b)) if values.len().is_multiple_of(2) => (a + b) / 2.0,
        (_, Some(b)) => *b,
        _ => 0.0,
    }
}

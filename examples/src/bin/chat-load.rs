//! A load generator for XMPP servers: logs N users in at a bounded rate,
//! waits until all are bound, then each sends M chat messages to the next
//! user, and every receiver checks that each message it was owed arrived
//! once and in order. Reports logins/s, messages lost, duplicated and
//! reordered, throughput, time to delivery, and the server's memory.
//! A session whose connection is lost logs in again (`--reconnect-for`)
//! and goes on; `--offline-receivers K` keeps users 1..=K unavailable
//! until every message is sent, so the server stores theirs offline.
//!
//! `chat-load --url ws://127.0.0.1:5280/xmpp-websocket --domain localhost
//! --clients 1000 --messages 100 --server-pid PID`; `--idle` holds the
//! sessions instead and reports memory per idle session; `--json` ends
//! with one JSON object. Users `load0`..`loadN-1` must exist, each with
//! its name and `pw` as password.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chatwire_examples::load::agent::{self, Outcome, Phase, Plan, Shared};
use chatwire_examples::load::driver::Target;
use chatwire_examples::load::report::{Report, quantile};
use chatwire_examples::load::rss;
use chatwire_examples::load::tally::split_by;
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::time::Instant;

#[derive(Parser)]
#[command(about = "Load test an XMPP server: logins, message delivery, memory per session")]
struct Args {
    /// `ws://host:port/path` (RFC 7395) or `tcp://host:port` (RFC 6120).
    #[arg(long)]
    url: String,
    /// The users' domain.
    #[arg(long, default_value = "localhost")]
    domain: String,
    /// Sessions to open.
    #[arg(long, default_value_t = 100)]
    clients: u32,
    /// Messages each session sends.
    #[arg(long, default_value_t = 10)]
    messages: u32,
    /// User names: this prefix and 0..N-1.
    #[arg(long, default_value = "load")]
    user_prefix: String,
    /// Passwords: the user name and this suffix.
    #[arg(long, default_value = "pw")]
    password_suffix: String,
    /// Logins started per second.
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// Logins under way at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Messages per second over all senders (default: each sends as fast
    /// as it can).
    #[arg(long)]
    send_rate: Option<f64>,
    /// Log in, hold the sessions idle, and report the server's memory per
    /// session instead of sending.
    #[arg(long)]
    idle: bool,
    /// Seconds to hold idle sessions before measuring.
    #[arg(long, default_value_t = 5)]
    hold: u64,
    /// Seconds to wait for messages still owed once every message is sent
    /// and none has arrived for that long.
    #[arg(long, default_value_t = 5)]
    drain: u64,
    /// Seconds one login may take.
    #[arg(long, default_value_t = 60)]
    login_timeout: u64,
    /// The server's process id, to sample its memory (/proc/PID/status).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Runtime worker threads (default: one per CPU).
    #[arg(long)]
    threads: Option<usize>,
    /// Print one JSON object as the last line; no progress bar.
    #[arg(long)]
    json: bool,
    /// Lines listing lost messages, at most.
    #[arg(long, default_value_t = 20)]
    show_lost: usize,
    /// Seconds a session whose connection was lost keeps trying to log in
    /// again; 0 ends it with its connection.
    #[arg(long, default_value_t = 60)]
    reconnect_for: u64,
    /// Users 1..=K (the receivers of the first K senders) send no initial
    /// presence until every sender is done, so the server stores their
    /// messages for offline delivery.
    #[arg(long, default_value_t = 0)]
    offline_receivers: u32,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = Args::parse();
    if args.clients == 0 {
        return Err("--clients must be at least 1".into());
    }
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads.max(1));
    }
    let report = runtime.enable_all().build()?.block_on(run(&args))?;
    print!("{}", report.human());
    if args.json {
        println!("{}", report.json());
    }
    Ok(())
}

/// Samples the server's resident set, keeping the largest seen.
struct Memory {
    pid: Option<u32>,
    peak_kib: Option<u64>,
}

impl Memory {
    fn sample(&mut self) -> Option<u64> {
        let now = rss::read(self.pid?).ok()?.now_kib;
        self.peak_kib = Some(self.peak_kib.map_or(now, |p| p.max(now)));
        Some(now)
    }
}

async fn run(args: &Args) -> Result<Report, Box<dyn std::error::Error>> {
    let plan = Arc::new(Plan {
        target: Target::new(&args.url, &args.domain)?,
        user_prefix: args.user_prefix.clone(),
        password_suffix: args.password_suffix.clone(),
        clients: args.clients,
        messages: if args.idle { 0 } else { args.messages },
        run: rand::random(),
        send_interval: args
            .send_rate
            .filter(|r| *r > 0.0)
            .map(|r| Duration::from_secs_f64(f64::from(args.clients) / r)),
        login_timeout: Duration::from_secs(args.login_timeout),
        epoch: Instant::now(),
        reconnect_for: Duration::from_secs(args.reconnect_for),
        offline_receivers: args.offline_receivers.min(args.clients - 1),
    });
    let shared = Arc::new(Shared::new(args.rate, args.concurrency));
    let mut memory = Memory {
        pid: args.server_pid,
        peak_kib: None,
    };
    let before_kib = memory.sample();
    let n = u64::from(args.clients);
    let tasks: Vec<_> = (0..args.clients)
        .map(|i| tokio::spawn(agent::run(i, Arc::clone(&plan), Arc::clone(&shared))))
        .collect();
    let bar = progress(args.json, n, "login");
    let tick = Duration::from_millis(100);
    loop {
        let bound = shared.bound.load(Ordering::Relaxed);
        let failed = shared.failed.load(Ordering::Relaxed);
        bar.set_position(bound + failed);
        memory.sample();
        if bound + failed >= n {
            break;
        }
        tokio::time::sleep(tick).await;
    }
    bar.finish_and_clear();
    let bound = shared.bound.load(Ordering::Relaxed);
    let login_secs = shared.last_bound_micros.load(Ordering::Relaxed) as f64 / 1e6;
    let mut report = Report {
        clients: n,
        bound,
        login_failures: shared.failed.load(Ordering::Relaxed),
        logins_per_s: if login_secs > 0.0 {
            bound as f64 / login_secs
        } else {
            0.0
        },
        ..Report::default()
    };
    if bound == 0 {
        let _ = shared.phase.send(Phase::Stop);
        return Err("no session could log in".into());
    }
    let start = if args.idle {
        let hold = Instant::now() + Duration::from_secs(args.hold);
        while Instant::now() < hold {
            memory.sample();
            tokio::time::sleep(tick).await;
        }
        Instant::now()
    } else {
        send_and_drain(args, &plan, &shared, &mut memory).await
    };
    let final_kib = memory.sample();
    let _ = shared.phase.send(Phase::Stop);
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await?);
    }
    report.server_rss_kib = memory.peak_kib;
    report.server_rss_final_kib = final_kib;
    // Per session only when the sessions did nothing but wait: a message
    // run's growth is mostly queues and buffers in flight.
    report.server_rss_per_session_kib = match (args.idle, before_kib, final_kib) {
        (true, Some(before), Some(after)) => Some((after as f64 - before as f64) / bound as f64),
        _ => None,
    };
    report.reconnects = shared.reconnects.load(Ordering::Relaxed);
    tally(args, &plan, &shared, &outcomes, start, &mut report);
    Ok(report)
}

/// Starts the sends and waits until every message owed arrived, or all
/// were sent and none arrived for the drain time; returns when sending
/// started.
async fn send_and_drain(args: &Args, plan: &Plan, shared: &Shared, memory: &mut Memory) -> Instant {
    let n = u64::from(args.clients);
    let bound = shared.bound.load(Ordering::Relaxed);
    let failed = shared.failed.load(Ordering::Relaxed);
    // Each bound sender owes its messages to one receiver, bound or not.
    let owed = bound * u64::from(args.messages);
    let bar = progress(args.json, owed, "messages");
    let start = Instant::now();
    let _ = shared.phase.send(Phase::Send);
    let mut last_send = None;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        memory.sample();
        let received = shared.received.load(Ordering::Relaxed);
        bar.set_position(received);
        let done = shared.done_sending.load(Ordering::Relaxed) + failed;
        if done >= n && last_send.is_none() {
            last_send = Some(Instant::now());
            let _ = shared.phase.send(Phase::Deliver);
        }
        if received >= owed {
            break;
        }
        // Messages still arriving keep the run going: it ends once nothing
        // arrived for the drain time.
        if let Some(at) = last_send {
            let last_receipt = plan.epoch
                + Duration::from_micros(shared.last_received_micros.load(Ordering::Relaxed));
            if at.max(last_receipt).elapsed() >= Duration::from_secs(args.drain) {
                break;
            }
        }
    }
    bar.finish_and_clear();
    start
}

/// Adds up what the agents saw.
fn tally(
    args: &Args,
    plan: &Plan,
    shared: &Shared,
    outcomes: &[Outcome],
    start: Instant,
    report: &mut Report,
) {
    let mut latencies: Vec<u64> = Vec::new();
    let mut lost_lines = Vec::new();
    for outcome in outcomes {
        report.messages_sent += u64::from(outcome.sent);
        report.messages_acked += outcome
            .acked
            .as_ref()
            .map_or(0, |a| a.iter().filter(|a| **a).count() as u64);
        let inbox = &outcome.inbox;
        report.messages_received += inbox.received;
        report.duplicated += inbox.duplicated;
        report.reordered += inbox.reordered;
        report.stale += inbox.stale;
        latencies.extend_from_slice(&inbox.latencies_micros);
        if outcome.bound && outcome.error.is_some() {
            report.session_errors += 1;
        }
        // What this agent sent, against what its peer received from it.
        let Some(receiver) = outcomes.get(plan.peer(outcome.index) as usize) else {
            continue;
        };
        let missing = receiver.inbox.missing(outcome.index, outcome.sent);
        let lost: u32 = missing.iter().map(|r| r.end - r.start).sum();
        if lost == 0 {
            continue;
        }
        report.lost += u64::from(lost);
        let acked = |seq: u32| {
            outcome
                .acked
                .as_ref()
                .is_some_and(|a| a.get(seq as usize).copied().unwrap_or(false))
        };
        let pieces = split_by(&missing, acked);
        let lost_acked: u32 = pieces
            .iter()
            .filter(|(_, a)| *a)
            .map(|(r, _)| r.end - r.start)
            .sum();
        report.lost_acked += u64::from(lost_acked);
        if lost_lines.len() < args.show_lost {
            let ranges: Vec<String> = pieces
                .iter()
                .map(|(r, a)| {
                    let seq = match r.end - r.start {
                        1 => r.start.to_string(),
                        _ => format!("{}-{}", r.start, r.end - 1),
                    };
                    if *a {
                        format!("{seq} ACKNOWLEDGED")
                    } else {
                        seq
                    }
                })
                .collect();
            lost_lines.push(format!(
                "lost {} -> {}: seq {} ({}; receiver {})",
                plan.user(outcome.index),
                plan.user(receiver.index),
                ranges.join(","),
                match &outcome.acked {
                    None => "no XEP-0198 acknowledgements".to_owned(),
                    Some(a) => format!(
                        "the server acknowledged {} of its messages, {lost_acked} of these lost",
                        a.iter().filter(|a| **a).count()
                    ),
                },
                receiver.error.as_deref().unwrap_or("ok"),
            ));
        }
    }
    for line in &lost_lines {
        eprintln!("{line}");
    }
    for outcome in outcomes.iter().filter(|o| o.error.is_some()).take(5) {
        eprintln!(
            "{}: {}",
            plan.user(outcome.index),
            outcome.error.as_deref().unwrap_or_default()
        );
    }
    latencies.sort_unstable();
    let ms = |q: f64| quantile(&latencies, q).map(|us| us as f64 / 1000.0);
    report.p50_ms = ms(0.5);
    report.p99_ms = ms(0.99);
    report.max_ms = ms(1.0);
    let last = shared.last_received_micros.load(Ordering::Relaxed);
    let start_micros = (start - plan.epoch).as_micros() as f64;
    let span = (last as f64 - start_micros) / 1e6;
    report.msgs_per_s = if span > 0.0 {
        report.messages_received as f64 / span
    } else {
        0.0
    };
}

fn progress(hidden: bool, len: u64, what: &'static str) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len).with_prefix(what);
    if let Ok(style) = ProgressStyle::with_template(
        "{prefix:>8} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec})",
    ) {
        bar.set_style(style);
    }
    bar
}

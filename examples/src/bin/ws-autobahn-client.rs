//! Drives the Autobahn fuzzingserver with chatwire's client role.
//!
//! `ws-autobahn-client --url ws://127.0.0.1:9011 --agent chatwire` asks the
//! server how many cases there are, runs each one (echoing every message back),
//! then asks it to write its reports. It offers permessage-deflate (RFC 7692)
//! unless `--no-deflate` is given.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use chatwire_websocket::handshake::{ClientHandshake, ClientRequest};
use chatwire_websocket::{Config, Connection, DeflateConfig, Event, Limits, State};
use clap::Parser;

#[derive(Parser)]
#[command(about = "Autobahn fuzzingserver client (RFC 6455 client role)")]
struct Args {
    /// Base URL of the fuzzingserver, e.g. ws://127.0.0.1:9011.
    #[arg(long, default_value = "ws://127.0.0.1:9011")]
    url: String,
    /// Agent name the reports are filed under.
    #[arg(long, default_value = "chatwire")]
    agent: String,
    /// Do not offer permessage-deflate.
    #[arg(long)]
    no_deflate: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let authority = args
        .url
        .strip_prefix("ws://")
        .ok_or("only ws:// URLs are supported")?
        .trim_end_matches('/')
        .to_owned();

    let mut count = String::new();
    run(&authority, "/getCaseCount", false, |event, _| {
        if let Event::Text(text) = event {
            count = text.as_str().to_owned();
        }
    })?;
    let count: u32 = count.trim().parse()?;
    eprintln!("{count} cases");
    for case in 1..=count {
        let path = format!("/runCase?case={case}&agent={}", args.agent);
        let outcome = run(&authority, &path, !args.no_deflate, |event, conn| {
            let _ = match event {
                Event::Text(text) => conn.send_text(text.as_str()),
                Event::Binary(data) => conn.send_binary(&data),
                _ => Ok(()),
            };
        });
        if let Err(e) = outcome {
            eprintln!("case {case}: {e}");
        }
    }
    run(
        &authority,
        &format!("/updateReports?agent={}", args.agent),
        false,
        |_, _| {},
    )?;
    Ok(())
}

/// Opens one connection to `path`, hands every event to `on_event`, and returns
/// when the connection is closed.
fn run(
    authority: &str,
    path: &str,
    deflate: bool,
    mut on_event: impl FnMut(Event, &mut Connection),
) -> Result<(), Box<dyn std::error::Error>> {
    let mut stream = TcpStream::connect(authority)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    // Threshold 0: kosoku 0.1.0 fails a case whose echo arrives uncompressed on a
    // deflate connection, although RFC 7692 section 6 allows it. The offer carries
    // client_no_context_takeover (this client resets its context after every
    // message): kosoku's cases 13.2, 13.5 and 13.6 accept only such offers.
    let config = Config::default()
        .with_limits(Limits::default().with_max_frame_size(64 << 20))
        .with_deflate(
            DeflateConfig::default()
                .with_threshold(0)
                .with_client_no_context_takeover(true),
        );
    let mut request = ClientRequest::new(authority, path);
    if deflate {
        request = request.with_extension(config.deflate.offer());
    }
    let mut out = Vec::new();
    let handshake = ClientHandshake::new(&request, rand::random(), &mut out)?;
    stream.write_all(&out)?;

    let mut buf = vec![0u8; 64 * 1024];
    let mut input = Vec::new();
    let (response, used) = loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err("connection closed during the handshake".into());
        }
        input.extend_from_slice(&buf[..n]);
        if let Some(done) = handshake.handle_response(&input)? {
            break done;
        }
    };
    // A response that breaks the offer fails the handshake.
    let agreed = config.deflate.check_response(&response)?;

    let mut conn = Connection::client(Instant::now(), config, rand::random);
    if let Some(params) = agreed {
        conn = conn.with_deflate(params);
    }
    // Frames that came right behind the response head.
    let _ = conn.handle_input(Instant::now(), &input[used..]);
    loop {
        while let Some(event) = conn.poll_event() {
            on_event(event, &mut conn);
        }
        out.clear();
        conn.poll_transmit(&mut out);
        stream.write_all(&out)?;
        if conn.state() == State::Closed {
            return Ok(());
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        // A protocol error queues the close frame; it is flushed above.
        let _ = conn.handle_input(Instant::now(), &buf[..n]);
    }
}

//! A WebSocket echo client: sends a fixed set of messages to an echo server
//! and checks that each comes back byte for byte.
//!
//! `ws-echo-client --url ws://127.0.0.1:9001/` offers permessage-deflate
//! (RFC 7692), prints the server's `Sec-WebSocket-Extensions` answer, then
//! sends text and binary messages of 10 bytes and 1 MiB (deterministic, see
//! `chatwire_examples::payload`) one at a time. It exits non-zero when an echo
//! differs, the connection closes early, or the server declines an offered
//! deflate: the interop suite must not pass without compression. The wire
//! byte counts printed beside each echo show how much compression saved.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use chatwire_examples::deflate_flags::DeflateFlags;
use chatwire_examples::payload::{chat_text, compressible_bytes};
use chatwire_websocket::handshake::{ClientHandshake, ClientRequest, Response};
use chatwire_websocket::{CloseCode, Config, Connection, Event, State};
use clap::Parser;

#[derive(Parser)]
#[command(about = "WebSocket echo client (RFC 6455 client role)")]
struct Args {
    /// Echo server URL (ws:// only).
    #[arg(long, default_value = "ws://127.0.0.1:9001/")]
    url: String,
    #[command(flatten)]
    deflate: DeflateFlags,
    /// Give up on a silent server after this many seconds.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
}

/// The messages sent, in order: each size as text and as binary.
const SIZES: [usize; 2] = [10, 1 << 20];

type BoxError = Box<dyn std::error::Error>;

fn main() {
    if let Err(e) = run(&Args::parse()) {
        eprintln!("FAIL: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), BoxError> {
    let (authority, path) = split_url(&args.url)?;
    let mut stream = TcpStream::connect(authority)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(args.timeout)))?;

    let config = Config::default().with_deflate(args.deflate.config().unwrap_or_default());
    let mut request = ClientRequest::new(authority, path);
    if !args.deflate.no_deflate {
        request = request.with_extension(config.deflate.offer());
    }
    let mut out = Vec::new();
    let handshake = ClientHandshake::new(&request, rand::random(), &mut out)?;
    stream.write_all(&out)?;
    let mut wire = Wire::new(stream);
    let (response, used) = loop {
        wire.read()?;
        if let Some(done) = handshake.handle_response(&wire.input)? {
            break done;
        }
    };
    println!("negotiated: {}", extensions_header(&response));
    // A response that breaks the offer fails the handshake.
    let agreed = config.deflate.check_response(&response)?;
    if agreed.is_none() && !args.deflate.no_deflate {
        return Err("permessage-deflate offered but not accepted".into());
    }

    let mut conn = Connection::client(Instant::now(), config, rand::random);
    if let Some(params) = agreed {
        conn = conn.with_deflate(params);
    }
    // Frames that came right behind the response head.
    conn.handle_input(Instant::now(), &wire.input[used..])?;
    wire.input.clear();

    for len in SIZES {
        let text = chat_text(len);
        conn.send_text(&text)?;
        wire.expect_echo(&mut conn, Event::Text(text.into()))?;
        let data = compressible_bytes(len);
        conn.send_binary(&data)?;
        wire.expect_echo(&mut conn, Event::Binary(data.into()))?;
    }
    conn.close(Instant::now(), CloseCode::NORMAL, "done")?;
    wire.finish(&mut conn)
}

/// The socket with the bytes received and not yet handed to the connection.
struct Wire {
    stream: TcpStream,
    buf: Vec<u8>,
    input: Vec<u8>,
}

impl Wire {
    fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            buf: vec![0; 64 * 1024],
            input: Vec::new(),
        }
    }

    /// Appends what has arrived to `input`; a closed socket is an error.
    fn read(&mut self) -> Result<usize, BoxError> {
        let n = self.stream.read(&mut self.buf)?;
        if n == 0 {
            return Err("connection closed by the server".into());
        }
        self.input.extend_from_slice(&self.buf[..n]);
        Ok(n)
    }

    /// Writes what the connection queued (pongs, a close), then reads once and
    /// hands the connection what arrived. Returns the bytes read.
    fn turn(&mut self, conn: &mut Connection) -> Result<usize, BoxError> {
        self.flush(conn)?;
        let n = self.read()?;
        conn.handle_input(Instant::now(), &self.input)?;
        self.input.clear();
        Ok(n)
    }

    /// Sends the message the connection queued and turns until a message
    /// arrives, which must be `expected`. Prints the wire bytes each way:
    /// what compression saved.
    fn expect_echo(&mut self, conn: &mut Connection, expected: Event) -> Result<(), BoxError> {
        let (kind, len) = match &expected {
            Event::Text(text) => ("text", text.len()),
            Event::Binary(data) => ("binary", data.len()),
            _ => ("other", 0),
        };
        let sent = self.flush(conn)?;
        let mut received = 0;
        loop {
            while let Some(event) = conn.poll_event() {
                match event {
                    Event::Text(_) | Event::Binary(_) if event == expected => {
                        println!("ok {kind} {len} B: {sent} B on the wire out, {received} B back");
                        return Ok(());
                    }
                    Event::Text(_) | Event::Binary(_) => {
                        return Err(format!("{kind} echo of {len} B differs").into());
                    }
                    Event::Close(frame) => return Err(format!("server closed: {frame:?}").into()),
                    _ => {}
                }
            }
            received += self.turn(conn)?;
        }
    }

    /// Runs the closing handshake to its end.
    fn finish(&mut self, conn: &mut Connection) -> Result<(), BoxError> {
        self.flush(conn)?;
        while conn.state() != State::Closed {
            self.turn(conn)?;
            while conn.poll_event().is_some() {}
        }
        Ok(())
    }

    /// Writes what the connection queued; returns how many bytes that was.
    fn flush(&mut self, conn: &mut Connection) -> Result<usize, BoxError> {
        let mut out = Vec::new();
        let n = conn.poll_transmit(&mut out);
        self.stream.write_all(&out)?;
        Ok(n)
    }
}

/// `host:port` and the path of a `ws://` URL.
fn split_url(url: &str) -> Result<(&str, &str), BoxError> {
    let rest = url
        .strip_prefix("ws://")
        .ok_or("only ws:// URLs are supported")?;
    Ok(match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    })
}

/// The server's `Sec-WebSocket-Extensions` value as sent, or `none`.
fn extensions_header(response: &Response) -> String {
    let values: Vec<&str> = response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("sec-websocket-extensions"))
        .map(|(_, value)| value.as_str())
        .collect();
    if values.is_empty() {
        "none".into()
    } else {
        values.join(", ")
    }
}

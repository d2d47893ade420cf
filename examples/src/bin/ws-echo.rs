//! A WebSocket echo server: every text and binary message is sent back.
//!
//! `ws-echo --listen 127.0.0.1:9001`. One thread per connection; the
//! protocol is all in `chatwire-websocket`, this file only moves bytes.
//! permessage-deflate (RFC 7692) is accepted when the client offers it, unless
//! `--no-deflate` is given; `--no-context-takeover` and `--max-window-bits`
//! narrow what the server agrees to, so that interop tests can hold a peer to
//! each setting. The answer itself is `DeflateConfig::negotiate`'s.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

use chatwire_examples::deflate_flags::DeflateFlags;
use chatwire_websocket::handshake::{Accept, HandshakeLimits, parse_request};
use chatwire_websocket::{Config, Connection, DeflateConfig, Event, State};
use clap::Parser;

#[derive(Parser)]
#[command(about = "WebSocket echo server (RFC 6455)")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9001")]
    listen: String,
    #[command(flatten)]
    deflate: DeflateFlags,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind(&args.listen)?;
    eprintln!("ws-echo listening on {}", listener.local_addr()?);
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let deflate = args.deflate.config();
        std::thread::spawn(move || {
            if let Err(e) = serve(stream, deflate) {
                eprintln!("connection ended: {e}");
            }
        });
    }
    Ok(())
}

fn serve(mut stream: TcpStream, deflate: Option<DeflateConfig>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut head = Vec::new();
    // The opening handshake: read until the request head is complete.
    let (request, used) = loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        match parse_request(&head, &HandshakeLimits::default()) {
            Ok(Some(done)) => break done,
            Ok(None) => continue,
            Err(e) => {
                let mut out = Vec::new();
                e.write_response(&mut out);
                stream.write_all(&out)?;
                return Ok(());
            }
        }
    };
    let config = Config::default().with_deflate(deflate.unwrap_or_default());
    let mut accept = Accept::new();
    let negotiated = deflate.and_then(|deflate| deflate.negotiate(&request));
    let mut params = None;
    if let Some((extension, agreed)) = negotiated {
        accept = accept.with_extension(extension);
        params = Some(agreed);
    }
    let mut out = Vec::new();
    request
        .write_accept(&accept, &mut out)
        .map_err(std::io::Error::other)?;
    stream.write_all(&out)?;

    let mut conn = Connection::server(Instant::now(), config);
    if let Some(params) = params {
        conn = conn.with_deflate(params);
    }
    // Bytes that came right behind the request head.
    let _ = conn.handle_input(Instant::now(), &head[used..]);
    loop {
        while let Some(event) = conn.poll_event() {
            let _ = match event {
                Event::Text(text) => conn.send_text(text.as_str()),
                Event::Binary(data) => conn.send_binary(&data),
                _ => Ok(()),
            };
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

//! The WebSocket echo server behind `ws-echo`, on tokio: one task per
//! connection around the sans-IO [`Connection`], on a current-thread runtime
//! per CPU. A thread per connection spent most of its time switching threads,
//! two switches per echo; a runtime per CPU serves every ready connection
//! between two waits, and a connection's task never moves between threads.

use std::io::IoSlice;
use std::num::NonZeroUsize;
use std::time::Instant;

use chatwire_websocket::handshake::{Accept, HandshakeLimits, parse_request};
use chatwire_websocket::{Config, Connection, DeflateConfig, Event, State};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// Listens on `listen` and echoes every text and binary message back, with a
/// task per connection. Runs a current-thread tokio runtime on each CPU this
/// process may use (`taskset` narrows them) and hands accepted connections to
/// them in turn. Runs until accepting fails. permessage-deflate is negotiated
/// by `deflate`, declined if `None`.
pub fn serve_tokio(listen: &str, deflate: Option<DeflateConfig>) -> std::io::Result<()> {
    let listener = std::net::TcpListener::bind(listen)?;
    eprintln!("ws-echo listening on {}", listener.local_addr()?);
    let cpus = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let mut workers = Vec::with_capacity(cpus);
    for i in 0..cpus {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (tx, rx) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name(format!("ws-echo-{i}"))
            .spawn(move || runtime.block_on(serve_connections(rx, deflate)))?;
        workers.push(tx);
    }
    for (stream, worker) in listener.incoming().zip(workers.iter().cycle()) {
        let stream = stream?;
        stream.set_nonblocking(true)?;
        if worker.send(stream).is_err() {
            return Err(std::io::Error::other("an echo worker stopped"));
        }
    }
    Ok(())
}

/// One runtime's share: a task for each connection handed to it.
async fn serve_connections(
    mut streams: mpsc::UnboundedReceiver<std::net::TcpStream>,
    deflate: Option<DeflateConfig>,
) {
    while let Some(stream) = streams.recv().await {
        tokio::spawn(async move {
            let result = match TcpStream::from_std(stream) {
                Ok(stream) => echo(stream, deflate).await,
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                eprintln!("connection ended: {e}");
            }
        });
    }
}

/// One connection: the opening handshake, then echo until it closes.
async fn echo(mut stream: TcpStream, deflate: Option<DeflateConfig>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut head = Vec::new();
    let (request, used) = loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(buf.get(..n).unwrap_or_default());
        match parse_request(&head, &HandshakeLimits::default()) {
            Ok(Some(done)) => break done,
            Ok(None) => {}
            Err(e) => {
                let mut out = Vec::new();
                e.write_response(&mut out);
                return stream.write_all(&out).await;
            }
        }
    };
    let negotiated = deflate.as_ref().and_then(|d| d.negotiate(&request));
    let config = Config::default().with_deflate(deflate.unwrap_or_default());
    let accept = match &negotiated {
        Some((extension, _)) => Accept::new().with_extension(extension.clone()),
        None => Accept::new(),
    };
    let mut out = Vec::new();
    request
        .write_accept(&accept, &mut out)
        .map_err(std::io::Error::other)?;
    stream.write_all(&out).await?;

    let mut conn = Connection::server(Instant::now(), config);
    if let Some((_, params)) = negotiated {
        conn = conn.with_deflate(params);
    }
    let mut input = head.get(used..).unwrap_or_default();
    loop {
        // A protocol error queues the close frame; it is flushed below.
        let _ = conn.handle_input(Instant::now(), input);
        // The message goes back in the allocation it arrived in.
        while let Some(event) = conn.poll_event() {
            let _ = match event {
                Event::Text(text) => conn.send_text_shared(text),
                Event::Binary(data) => conn.send_binary_shared(data),
                _ => Ok(()),
            };
        }
        // Frame headers from the connection's buffer, payloads from their own:
        // one vectored write, nothing copied on the way.
        loop {
            let mut slices = [IoSlice::new(&[]); 16];
            let filled = conn.peek_transmit_vectored(&mut slices);
            if filled == 0 {
                break;
            }
            let n = match slices.get(..filled).unwrap_or_default() {
                [one] => stream.write(one).await?,
                several => stream.write_vectored(several).await?,
            };
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            conn.advance_transmit(n);
        }
        if conn.state() == State::Closed {
            return Ok(());
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        input = buf.get(..n).unwrap_or_default();
    }
}

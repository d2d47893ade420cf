//! A WebSocket echo server on tokio-tungstenite, written the way its own
//! `echo-server` example is: a multi-thread tokio runtime, one task per
//! connection, every text and binary message forwarded back.
//!
//! `echo-tungstenite --listen 127.0.0.1:9002`. One of the peers that
//! `benches/load/compare-ws.sh` measures `ws-echo` against with `ws-load`.

use futures_util::{StreamExt, TryStreamExt, future};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listen = chatwire_benches::listen_addr("127.0.0.1:9002").map_err(std::io::Error::other)?;
    let listener = TcpListener::bind(&listen).await?;
    eprintln!("echo-tungstenite listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(e) = serve(stream).await {
                eprintln!("connection ended: {e}");
            }
        });
    }
}

async fn serve(stream: TcpStream) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    stream.set_nodelay(true)?;
    let ws = tokio_tungstenite::accept_async(stream).await?;
    let (write, read) = ws.split();
    read.try_filter(|msg| future::ready(msg.is_text() || msg.is_binary()))
        .forward(write)
        .await
}

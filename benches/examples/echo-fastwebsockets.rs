//! A WebSocket echo server on fastwebsockets, written the way its own
//! `echo_server` example is (hyper upgrade, `FragmentCollector`, each task
//! `unconstrained`), on a multi-thread tokio runtime with one task per
//! connection.
//!
//! `echo-fastwebsockets --listen 127.0.0.1:9003`. One of the peers that
//! `benches/load/compare-ws.sh` measures `ws-echo` against with `ws-load`.

use fastwebsockets::{FragmentCollector, OpCode, WebSocketError, upgrade};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listen = chatwire_benches::listen_addr("127.0.0.1:9003").map_err(std::io::Error::other)?;
    let listener = TcpListener::bind(&listen).await?;
    eprintln!(
        "echo-fastwebsockets listening on {}",
        listener.local_addr()?
    );
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let io = TokioIo::new(stream);
            let conn = http1::Builder::new()
                .serve_connection(io, service_fn(upgrade_request))
                .with_upgrades();
            if let Err(e) = conn.await {
                eprintln!("connection ended: {e}");
            }
        });
    }
}

async fn upgrade_request(
    mut req: Request<Incoming>,
) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let (response, fut) = upgrade::upgrade(&mut req)?;
    tokio::spawn(async move {
        if let Err(e) = tokio::task::unconstrained(echo(fut)).await {
            eprintln!("connection ended: {e}");
        }
    });
    Ok(response)
}

async fn echo(fut: upgrade::UpgradeFut) -> Result<(), WebSocketError> {
    let mut ws = FragmentCollector::new(fut.await?);
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => return Ok(()),
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
            _ => {}
        }
    }
}

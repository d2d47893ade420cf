//! A WebSocket echo server: every text and binary message is sent back.
//!
//! `ws-echo --listen 127.0.0.1:9001`. A tokio task per connection
//! ([`chatwire_examples::echo`]); the protocol is all in `chatwire-websocket`,
//! the binary only moves bytes.
//! permessage-deflate (RFC 7692) is accepted when the client offers it, unless
//! `--no-deflate` is given; `--no-context-takeover` and `--max-window-bits`
//! narrow what the server agrees to, so that interop tests can hold a peer to
//! each setting. The answer itself is `DeflateConfig::negotiate`'s.

use chatwire_examples::deflate_flags::DeflateFlags;
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
    chatwire_examples::echo::serve_tokio(&args.listen, args.deflate.config())
}

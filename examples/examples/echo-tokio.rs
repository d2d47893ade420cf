//! `ws-echo` on tokio, one task per connection ([`chatwire_examples::echo`]),
//! for measuring against the thread-per-connection `ws-echo` before the binary
//! switches over: `cargo run --release --example echo-tokio -- --listen ADDR`.

use chatwire_examples::deflate_flags::DeflateFlags;
use clap::Parser;

/// The flags of `ws-echo`.
#[derive(Parser)]
#[command(about = "WebSocket echo server (RFC 6455), tokio task per connection")]
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

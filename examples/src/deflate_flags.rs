//! The permessage-deflate (RFC 7692) flags shared by `ws-echo` and
//! `ws-echo-client`, so that both ends of an interop test are set up with the
//! same words and the same `DeflateConfig`.

use chatwire_websocket::DeflateConfig;
use chatwire_websocket::deflate::MAX_WINDOW_BITS;

/// What a binary negotiates; `#[command(flatten)]` it into its arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct DeflateFlags {
    /// Do not negotiate permessage-deflate.
    #[arg(long)]
    pub no_deflate: bool,
    /// No context takeover in either direction: a client offers
    /// server_no_context_takeover and client_no_context_takeover, a server puts
    /// both in every answer.
    #[arg(long)]
    pub no_context_takeover: bool,
    /// Windows of at most N bits (8..15) in both directions: a client offers
    /// server_max_window_bits and client_max_window_bits, a server agrees to no
    /// more (to the client's only when it offered client_max_window_bits).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(8..=15))]
    pub max_window_bits: Option<u8>,
}

impl DeflateFlags {
    /// The policy these flags ask for, `None` with `--no-deflate`. Every message
    /// is compressed, however short: the 10-byte interop messages exercise the
    /// extension too, and kosoku 0.1.0 (the Autobahn runner in .ci) fails a case
    /// when an echo arrives uncompressed on a deflate connection, although
    /// RFC 7692 section 6 allows it (docs/benchmarks.md).
    pub fn config(&self) -> Option<DeflateConfig> {
        if self.no_deflate {
            return None;
        }
        let bits = self.max_window_bits.unwrap_or(MAX_WINDOW_BITS);
        Some(
            DeflateConfig::default()
                .with_threshold(0)
                .with_server_no_context_takeover(self.no_context_takeover)
                .with_client_no_context_takeover(self.no_context_takeover)
                .with_server_max_window_bits(bits)
                .with_client_max_window_bits(bits),
        )
    }
}

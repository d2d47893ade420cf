//! How a connection behaves: bounds on what the peer can make it hold, on what
//! it queues for sending, and its timers.
//!
//! The defaults are generous (they pass the Autobahn suite, which sends 16 MiB
//! messages); [`Config::chat_server`] holds the values for a server that keeps
//! thousands of chat connections open:
//!
//! | setting | `Config::default()` | `Config::chat_server()` |
//! |---|---|---|
//! | [`Limits::max_frame_size`] | 16 MiB | 256 KiB |
//! | [`Limits::max_message_size`] | 64 MiB | 256 KiB |
//! | [`Limits::max_fragments`] | 131,072 | 256 |
//! | [`Config::auto_pong`] | on | on |
//! | [`Config::keepalive`] | off | every 30 s of silence |
//! | [`Config::keepalive_timeout`] | 30 s | 30 s |
//! | [`Config::close_timeout`] | 5 s | 5 s |
//! | [`Config::max_queued_output`] | 128 MiB | 1 MiB |
//! | `Config::deflate` (feature `deflate`) | `DeflateConfig::default()` | `DeflateConfig::low_memory()` |
//!
//! 256 KiB bounds one XMPP stanza the way common XMPP servers do; a client that
//! lets 1 MiB of output pile up is not reading and had better be dropped.

use std::time::Duration;

/// Bounds on what the peer may make this side buffer, checked before buffering.
///
/// `#[non_exhaustive]`: start from [`Limits::default`] and change fields, or
/// chain the `with_*` setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest frame payload accepted, in bytes (default 16 MiB).
    pub max_frame_size: u64,
    /// Largest message accepted, in bytes, summed over its fragments (default 64 MiB).
    pub max_message_size: usize,
    /// Most frames one message may be split into (default 131,072).
    pub max_fragments: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
            max_fragments: 1 << 17,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_frame_size`].
    pub fn with_max_frame_size(mut self, bytes: u64) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// Sets [`Limits::max_message_size`].
    pub fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Sets [`Limits::max_fragments`].
    pub fn with_max_fragments(mut self, frames: usize) -> Self {
        self.max_fragments = frames;
        self
    }
}

/// How a connection behaves.
///
/// `#[non_exhaustive]`: start from [`Config::default`] or [`Config::chat_server`]
/// and change fields, or chain the `with_*` setters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Size limits on received frames and messages.
    pub limits: Limits,
    /// Answer pings with pongs automatically (default). Either way each ping is
    /// reported as [`Event::Ping`](crate::Event::Ping); with this off, answering is
    /// the caller's duty. When more than 16 pongs wait for
    /// [`poll_transmit`](crate::Connection::poll_transmit), or the output is at
    /// [`Config::max_queued_output`], only the most recent ping is answered, as
    /// RFC 6455 section 5.5.3 allows: a ping flood cannot grow the output.
    pub auto_pong: bool,
    /// Send a ping after this long without receiving anything (default: never).
    /// The clock starts when the connection is created.
    pub keepalive: Option<Duration>,
    /// How long the peer has, after a keepalive ping, to send anything at all (a
    /// pong or any other frame) before the connection is given up with
    /// [`Event::KeepaliveTimedOut`](crate::Event::KeepaliveTimedOut) (default 30 s).
    pub keepalive_timeout: Duration,
    /// How long to wait for the peer's close frame after sending ours (default 5 s).
    pub close_timeout: Duration,
    /// Most bytes the connection queues for sending (default 128 MiB). A message
    /// or ping that would go past it is refused with
    /// [`Error::OutputFull`](crate::Error::OutputFull); the connection's own
    /// frames (a pong, a keepalive ping, a close frame: under 400 bytes together)
    /// are never refused and may go past it.
    pub max_queued_output: usize,
    /// How `permessage-deflate` is negotiated and applied (feature `deflate`):
    /// [`DeflateConfig::default`](crate::DeflateConfig::default) here,
    /// [`DeflateConfig::low_memory`](crate::DeflateConfig::low_memory) in
    /// [`Config::chat_server`]. Used only once a connection is given the agreed
    /// parameters with [`Connection::with_deflate`](crate::Connection::with_deflate).
    #[cfg(feature = "deflate")]
    pub deflate: crate::DeflateConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            auto_pong: true,
            keepalive: None,
            keepalive_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(5),
            max_queued_output: 128 << 20,
            #[cfg(feature = "deflate")]
            deflate: crate::DeflateConfig::default(),
        }
    }
}

impl Config {
    /// Values for a chat server holding many connections: stanza-sized messages,
    /// keepalive on, at most 1 MiB queued per connection (see the module table).
    pub fn chat_server() -> Self {
        Self {
            limits: Limits {
                max_frame_size: 256 << 10,
                max_message_size: 256 << 10,
                max_fragments: 256,
            },
            auto_pong: true,
            keepalive: Some(Duration::from_secs(30)),
            keepalive_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(5),
            max_queued_output: 1 << 20,
            #[cfg(feature = "deflate")]
            deflate: crate::DeflateConfig::low_memory(),
        }
    }

    /// Sets [`Config::limits`].
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`Config::auto_pong`].
    pub fn with_auto_pong(mut self, on: bool) -> Self {
        self.auto_pong = on;
        self
    }

    /// Sets [`Config::keepalive`].
    pub fn with_keepalive(mut self, interval: Option<Duration>) -> Self {
        self.keepalive = interval;
        self
    }

    /// Sets [`Config::keepalive_timeout`].
    pub fn with_keepalive_timeout(mut self, timeout: Duration) -> Self {
        self.keepalive_timeout = timeout;
        self
    }

    /// Sets [`Config::close_timeout`].
    pub fn with_close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Sets [`Config::max_queued_output`].
    pub fn with_max_queued_output(mut self, bytes: usize) -> Self {
        self.max_queued_output = bytes;
        self
    }

    /// Sets [`Config::deflate`].
    #[cfg(feature = "deflate")]
    pub fn with_deflate(mut self, deflate: crate::DeflateConfig) -> Self {
        self.deflate = deflate;
        self
    }
}

//! Counters for `/metrics`, in the Prometheus text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the server counts. Gauges go up and down; counters only up.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Open connections (gauge).
    pub connections: AtomicU64,
    /// Bound sessions (gauge).
    pub sessions: AtomicU64,
    /// Stanzas routed or delivered, by kind.
    pub messages: AtomicU64,
    /// See [`Metrics::messages`].
    pub presences: AtomicU64,
    /// See [`Metrics::messages`].
    pub iqs: AtomicU64,
    /// Failed authentication attempts.
    pub auth_failures: AtomicU64,
    /// Messages stored for offline users.
    pub offline_stored: AtomicU64,
    /// Connections dropped because the client did not read.
    pub slow_consumers: AtomicU64,
}

impl Metrics {
    /// Adds one to a counter or gauge.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes one from a gauge.
    pub fn dec(gauge: &AtomicU64) {
        let _ = gauge.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1));
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        let mut line = |name: &str, kind: &str, help: &str, labels: &str, value: u64| {
            if !labels.contains("kind=\"presence\"") && !labels.contains("kind=\"iq\"") {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            }
            let _ = writeln!(out, "{name}{labels} {value}");
        };
        line(
            "chatwire_connections",
            "gauge",
            "Open client connections.",
            "",
            get(&self.connections),
        );
        line(
            "chatwire_sessions",
            "gauge",
            "Bound XMPP sessions.",
            "",
            get(&self.sessions),
        );
        let help = "Stanzas routed, by kind.";
        line(
            "chatwire_stanzas_routed_total",
            "counter",
            help,
            "{kind=\"message\"}",
            get(&self.messages),
        );
        line(
            "chatwire_stanzas_routed_total",
            "counter",
            help,
            "{kind=\"presence\"}",
            get(&self.presences),
        );
        line(
            "chatwire_stanzas_routed_total",
            "counter",
            help,
            "{kind=\"iq\"}",
            get(&self.iqs),
        );
        line(
            "chatwire_auth_failures_total",
            "counter",
            "Failed authentication attempts.",
            "",
            get(&self.auth_failures),
        );
        line(
            "chatwire_offline_messages_stored_total",
            "counter",
            "Messages stored for users with no available resource.",
            "",
            get(&self.offline_stored),
        );
        line(
            "chatwire_slow_consumers_total",
            "counter",
            "Connections closed because the client stopped reading.",
            "",
            get(&self.slow_consumers),
        );
        out
    }
}

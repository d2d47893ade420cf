//! A load run's figures: the human summary and the one-line JSON object.

use std::fmt::Write as _;

/// The figures of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Sessions asked for.
    pub clients: u64,
    /// Sessions that bound.
    pub bound: u64,
    /// Sessions that failed to log in.
    pub login_failures: u64,
    /// Logins completed per second.
    pub logins_per_s: f64,
    /// Messages sent.
    pub messages_sent: u64,
    /// Distinct messages received.
    pub messages_received: u64,
    /// Messages the server acknowledged (XEP-0198 `h`).
    pub messages_acked: u64,
    /// Messages owed and never received.
    pub lost: u64,
    /// Of the lost, those the server had acknowledged (XEP-0198).
    pub lost_acked: u64,
    /// Messages received again.
    pub duplicated: u64,
    /// Messages received after a later one of the same sender.
    pub reordered: u64,
    /// Messages of earlier runs delivered (offline storage).
    pub stale: u64,
    /// Sessions that ended before the run did.
    pub session_errors: u64,
    /// Logins again after a lost connection.
    pub reconnects: u64,
    /// Messages received per second, from the first send to the last
    /// receipt.
    pub msgs_per_s: f64,
    /// Time to delivery percentiles, in milliseconds.
    pub p50_ms: Option<f64>,
    /// 99th percentile.
    pub p99_ms: Option<f64>,
    /// The slowest.
    pub max_ms: Option<f64>,
    /// The server's largest resident set seen during the run, KiB.
    pub server_rss_kib: Option<u64>,
    /// The server's resident set at the end, KiB.
    pub server_rss_final_kib: Option<u64>,
    /// Resident set growth per bound session, KiB.
    pub server_rss_per_session_kib: Option<f64>,
}

/// The `q`-quantile (0 to 1) of sorted values, nearest rank.
pub fn quantile(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

impl Report {
    /// Several lines for a person.
    pub fn human(&self) -> String {
        let ms = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2} ms"));
        let kib = |v: Option<u64>| v.map_or("-".to_owned(), |v| format!("{v} KiB"));
        let mut s = String::new();
        let _ = writeln!(
            s,
            "sessions: {} asked, {} bound, {} failed to log in, {:.1} logins/s",
            self.clients, self.bound, self.login_failures, self.logins_per_s
        );
        let _ = writeln!(
            s,
            "messages: {} sent, {} acknowledged, {} received, {} lost ({} of them acknowledged by the server), {} duplicated, {} reordered, {} from earlier runs",
            self.messages_sent,
            self.messages_acked,
            self.messages_received,
            self.lost,
            self.lost_acked,
            self.duplicated,
            self.reordered,
            self.stale
        );
        let _ = writeln!(
            s,
            "throughput: {:.0} messages/s; time to delivery p50 {}, p99 {}, max {}",
            self.msgs_per_s,
            ms(self.p50_ms),
            ms(self.p99_ms),
            ms(self.max_ms)
        );
        if self.reconnects > 0 {
            let _ = writeln!(s, "reconnects: {}", self.reconnects);
        }
        if self.session_errors > 0 {
            let _ = writeln!(s, "sessions ended early: {}", self.session_errors);
        }
        if self.server_rss_kib.is_some() {
            let _ = writeln!(
                s,
                "server RSS: peak {}, final {}, per session {}",
                kib(self.server_rss_kib),
                kib(self.server_rss_final_kib),
                self.server_rss_per_session_kib
                    .map_or("-".to_owned(), |v| format!("{v:.1} KiB"))
            );
        }
        s
    }

    /// One JSON object on one line.
    pub fn json(&self) -> String {
        let float = |v: f64| {
            if v.is_finite() {
                format!("{v:.3}")
            } else {
                "null".to_owned()
            }
        };
        let opt_f = |v: Option<f64>| v.map_or("null".to_owned(), float);
        let opt_u = |v: Option<u64>| v.map_or("null".to_owned(), |v| v.to_string());
        format!(
            "{{\"clients\":{},\"messages_sent\":{},\"messages_received\":{},\"lost\":{},\"duplicated\":{},\"reordered\":{},\"msgs_per_s\":{},\"logins_per_s\":{},\"p50_ms\":{},\"p99_ms\":{},\"max_ms\":{},\"server_rss_kib\":{},\"server_rss_per_session_kib\":{},\"messages_acknowledged\":{},\"lost_acknowledged\":{},\"reconnects\":{}}}",
            self.clients,
            self.messages_sent,
            self.messages_received,
            self.lost,
            self.duplicated,
            self.reordered,
            float(self.msgs_per_s),
            float(self.logins_per_s),
            opt_f(self.p50_ms),
            opt_f(self.p99_ms),
            opt_f(self.max_ms),
            opt_u(self.server_rss_kib),
            opt_f(self.server_rss_per_session_kib),
            self.messages_acked,
            self.lost_acked,
            self.reconnects,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(quantile(&v, 0.5), Some(50));
        assert_eq!(quantile(&v, 0.99), Some(99));
        assert_eq!(quantile(&v, 1.0), Some(100));
        assert_eq!(quantile(&v, 0.0), Some(1));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn json_has_the_keys_and_nulls() {
        let json = Report {
            clients: 2,
            ..Report::default()
        }
        .json();
        assert!(json.starts_with("{\"clients\":2,\"messages_sent\":0,"));
        assert!(json.contains("\"server_rss_kib\":null,\"server_rss_per_session_kib\":null,"));
        assert!(
            json.ends_with("\"messages_acknowledged\":0,\"lost_acknowledged\":0,\"reconnects\":0}")
        );
    }
}

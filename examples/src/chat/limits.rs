//! Failed authentications per client address per minute: past the limit,
//! an address gets `policy-violation` instead of another try. The table
//! is bounded: it forgets addresses whose minute is over.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Addresses tracked at once before old entries are swept.
const MAX_TRACKED: usize = 65_536;

/// The failures of each address in its current one-minute window.
#[derive(Debug)]
pub struct AuthLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl AuthLimiter {
    /// A limiter allowing `per_minute` failures per address (0: no limit).
    pub fn new(per_minute: u32) -> AuthLimiter {
        AuthLimiter {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one failure of `ip`.
    pub fn failed(&self, ip: IpAddr, now: Instant) {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() >= MAX_TRACKED {
            windows.retain(|_, (start, _)| now.duration_since(*start) < MINUTE);
        }
        let entry = windows.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= MINUTE {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    /// Whether `ip` used up its failures for this minute.
    pub fn exhausted(&self, ip: IpAddr, now: Instant) -> bool {
        if self.per_minute == 0 {
            return false;
        }
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows.get(&ip).is_some_and(|(start, count)| {
            now.duration_since(*start) < MINUTE && *count >= self.per_minute
        })
    }
}

const MINUTE: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_of_failures_then_a_fresh_one() {
        let limiter = AuthLimiter::new(3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let other: IpAddr = "192.0.2.2".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(!limiter.exhausted(ip, t0));
            limiter.failed(ip, t0);
        }
        assert!(limiter.exhausted(ip, t0));
        assert!(!limiter.exhausted(other, t0));
        assert!(!limiter.exhausted(ip, t0 + MINUTE));
    }
}

//! A server's memory, as Linux reports it in `/proc/PID/status`.

/// Resident set sizes of one process, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rss {
    /// `VmRSS`: resident now.
    pub now_kib: u64,
    /// `VmHWM`: the most ever resident.
    pub peak_kib: u64,
}

/// Reads the resident set sizes of process `pid`.
pub fn read(pid: u32) -> std::io::Result<Rss> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse(&status).ok_or_else(|| std::io::Error::other(format!("no VmRSS for pid {pid}")))
}

/// The `VmRSS` and `VmHWM` lines of a status file.
fn parse(status: &str) -> Option<Rss> {
    let field = |name: &str| {
        status.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            rest.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()
        })
    };
    let now_kib = field("VmRSS")?;
    Some(Rss {
        now_kib,
        peak_kib: field("VmHWM").unwrap_or(now_kib),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_two_lines() {
        let status = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        assert_eq!(
            parse(status),
            Some(Rss {
                now_kib: 1024,
                peak_kib: 2048
            })
        );
        assert_eq!(parse("Name:\tx\n"), None);
    }

    #[test]
    fn reads_this_process() {
        let rss = read(std::process::id());
        assert!(rss.is_ok_and(|r| r.now_kib > 0 && r.peak_kib >= r.now_kib));
    }
}

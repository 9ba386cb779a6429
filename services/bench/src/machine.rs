//! A one-line description of the machine, and its load, for the report.

/// CPU model, core count and memory, from `/proc` (Linux).
#[must_use]
pub fn describe() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim())
        .to_owned();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    format!(
        "{cores} cores ({model}), {mem_gib:.0} GiB RAM, {}",
        std::env::consts::OS
    )
}

/// The 1-minute load average.
#[must_use]
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Linux reports process CPU time in USER_HZ ticks, 100 per second on every
/// architecture we run on.
const TICKS_PER_SEC: f64 = 100.0;

/// CPU time (user + system, seconds) used so far by process `pid`, or by this
/// process when `None`.
#[must_use]
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = pid.map_or_else(
        || "/proc/self/stat".to_owned(),
        |p| format!("/proc/{p}/stat"),
    );
    parse_cpu_ticks(&std::fs::read_to_string(path).ok()?).map(|t| t as f64 / TICKS_PER_SEC)
}

/// utime + stime from a `/proc/<pid>/stat` line (fields 14 and 15; the
/// command name in parentheses may itself contain spaces).
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_read_past_a_command_name_with_spaces() {
        let stat = "42 (a b) S 1 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 4 0 1 2 3";
        assert_eq!(parse_cpu_ticks(stat), Some(280));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn this_process_has_used_some_cpu() {
        assert!(cpu_seconds(None).is_some());
    }
}

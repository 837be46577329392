//! Latency percentiles and process memory.

use std::fmt;

use std::sync::Mutex;

/// Recorded latencies in microseconds.
#[derive(Default)]
pub struct Latencies {
    samples: Mutex<Vec<u64>>,
}

impl Latencies {
    pub fn record(&self, micros: u64) {
        if let Ok(mut s) = self.samples.lock() {
            s.push(micros);
        }
    }

    pub fn count(&self) -> u64 {
        self.samples.lock().map(|s| s.len() as u64).unwrap_or(0)
    }

    pub fn summary(&self) -> Summary {
        let mut s = self.samples.lock().map(|s| s.clone()).unwrap_or_default();
        s.sort_unstable();
        let pick = |q: f64| {
            if s.is_empty() { 0 } else { s[((s.len() - 1) as f64 * q).round() as usize] }
        };
        Summary { n: s.len(), p50: pick(0.50), p95: pick(0.95), p99: pick(0.99), max: s.last().copied().unwrap_or(0) }
    }
}

/// Percentiles of a run.
pub struct Summary {
    n: usize,
    p50: u64,
    p95: u64,
    p99: u64,
    max: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |us: u64| us as f64 / 1000.0;
        write!(
            f,
            "n={} p50={:.2} ms p95={:.2} ms p99={:.2} ms max={:.2} ms",
            self.n,
            ms(self.p50),
            ms(self.p95),
            ms(self.p99),
            ms(self.max)
        )
    }
}

/// Resident set size of a process, in KiB (Linux).
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS for pid {pid}"))
}

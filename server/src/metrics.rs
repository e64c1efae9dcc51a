//! Operational metrics in the Prometheus text format (`GET /metrics`): counts and timings only,
//! never anything about a visitor.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

/// Why a consent POST was refused (the `reason` label of `kelisim_rejects_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    Malformed,
    Invalid,
    Origin,
    UnknownSite,
    UnknownConfigVersion,
    TooLarge,
    UnsupportedMediaType,
    RateLimited,
    Overloaded,
    Storage,
    /// The database did not confirm the write within `http::api::COMMIT_WAIT`.
    Unconfirmed,
}

impl Reject {
    const ALL: [Reject; 11] = [
        Reject::Malformed,
        Reject::Invalid,
        Reject::Origin,
        Reject::UnknownSite,
        Reject::UnknownConfigVersion,
        Reject::TooLarge,
        Reject::UnsupportedMediaType,
        Reject::RateLimited,
        Reject::Overloaded,
        Reject::Storage,
        Reject::Unconfirmed,
    ];
    fn label(self) -> &'static str {
        match self {
            Reject::Malformed => "malformed",
            Reject::Invalid => "invalid",
            Reject::Origin => "origin",
            Reject::UnknownSite => "unknown_site",
            Reject::UnknownConfigVersion => "unknown_config_version",
            Reject::TooLarge => "too_large",
            Reject::UnsupportedMediaType => "unsupported_media_type",
            Reject::RateLimited => "rate_limited",
            Reject::Overloaded => "overloaded",
            Reject::Storage => "storage",
            Reject::Unconfirmed => "unconfirmed",
        }
    }
}

/// A histogram with fixed upper bounds (cumulative buckets, as Prometheus expects).
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    count: AtomicU64,
    sum_bits: AtomicU64,
}

impl Histogram {
    pub fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_bits: AtomicU64::new(0f64.to_bits()),
        }
    }

    pub fn observe(&self, v: f64) {
        if let Some(i) = self.bounds.iter().position(|b| v <= *b) {
            self.counts[i].fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        let _ = self.sum_bits.fetch_update(Relaxed, Relaxed, |b| Some((f64::from_bits(b) + v).to_bits()));
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            cumulative += c.load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {cumulative}");
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", f64::from_bits(self.sum_bits.load(Relaxed)));
        let _ = writeln!(out, "{name}_count {count}");
    }
}

pub struct Metrics {
    pub events_recorded: AtomicU64,
    pub events_duplicate: AtomicU64,
    pub batch_size: Histogram,
    pub commit_seconds: Histogram,
    pub sync_seconds: Histogram,
    pub queue_depth: AtomicI64,
    pub checkpoints_signed: AtomicU64,
    pub events_purged: AtomicU64,
    rejects: [AtomicU64; Reject::ALL.len()],
    log_records: Mutex<BTreeMap<String, u64>>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            events_recorded: AtomicU64::new(0),
            events_duplicate: AtomicU64::new(0),
            batch_size: Histogram::new(&[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0]),
            commit_seconds: Histogram::new(&[0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]),
            sync_seconds: Histogram::new(&[0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]),
            queue_depth: AtomicI64::new(0),
            checkpoints_signed: AtomicU64::new(0),
            events_purged: AtomicU64::new(0),
            rejects: Default::default(),
            log_records: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Metrics {
    pub fn reject(&self, why: Reject) {
        self.rejects[Reject::ALL.iter().position(|r| *r == why).expect("listed")].fetch_add(1, Relaxed);
    }

    pub fn set_log_records(&self, site: &str, n: u64) {
        let mut m = self.log_records.lock().unwrap_or_else(|e| e.into_inner());
        match m.get_mut(site) {
            Some(v) => *v = n,
            None => {
                m.insert(site.to_owned(), n);
            }
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let mut counter = |name: &str, help: &str, v: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        counter(
            "kelisim_events_recorded_total",
            "Consent events committed to the log.",
            self.events_recorded.load(Relaxed),
        );
        counter(
            "kelisim_events_duplicate_total",
            "Consent POSTs whose event_id was already logged for their consent_id (answered with the first receipt).",
            self.events_duplicate.load(Relaxed),
        );
        counter("kelisim_checkpoints_signed_total", "Signed checkpoints made.", self.checkpoints_signed.load(Relaxed));
        counter(
            "kelisim_events_purged_total",
            "Events whose personal fields the retention purge removed.",
            self.events_purged.load(Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP kelisim_rejects_total Consent POSTs refused, by reason.\n# TYPE kelisim_rejects_total counter"
        );
        for (r, c) in Reject::ALL.iter().zip(&self.rejects) {
            let _ = writeln!(out, "kelisim_rejects_total{{reason=\"{}\"}} {}", r.label(), c.load(Relaxed));
        }
        let _ = writeln!(
            out,
            "# HELP kelisim_queue_depth Events waiting for the log writer.\n# TYPE kelisim_queue_depth gauge\nkelisim_queue_depth {}",
            self.queue_depth.load(Relaxed).max(0)
        );
        let _ =
            writeln!(out, "# HELP kelisim_log_records Records in each site's log.\n# TYPE kelisim_log_records gauge");
        for (site, n) in self.log_records.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "kelisim_log_records{{site=\"{site}\"}} {n}");
        }
        self.batch_size.render(&mut out, "kelisim_batch_size", "Events committed per transaction (group commit).");
        self.commit_seconds.render(
            &mut out,
            "kelisim_commit_seconds",
            "Time from a batch's first write to the fsync that made it durable.",
        );
        self.sync_seconds.render(
            &mut out,
            "kelisim_sync_seconds",
            "Time of one COMMIT of the log: writing a batch to the WAL and fsyncing it.",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_cumulative_buckets_and_labelled_rejects() {
        let m = Metrics::default();
        m.batch_size.observe(3.0);
        m.batch_size.observe(1.0);
        m.reject(Reject::RateLimited);
        m.set_log_records("webpulse", 7);
        let t = m.render();
        assert!(t.contains("kelisim_batch_size_bucket{le=\"1\"} 1\n"), "{t}");
        assert!(t.contains("kelisim_batch_size_bucket{le=\"4\"} 2\n"), "{t}");
        assert!(t.contains("kelisim_batch_size_count 2\n"));
        assert!(t.contains("kelisim_batch_size_sum 4\n"));
        assert!(t.contains("kelisim_rejects_total{reason=\"rate_limited\"} 1\n"));
        assert!(t.contains("kelisim_log_records{site=\"webpulse\"} 7\n"));
    }
}

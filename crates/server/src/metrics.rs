//! `/metrics` in the Prometheus text format: request latency by operation, errors by type, and the
//! engine's per-shard counters (incoming and outgoing records and bytes, iterator age, throttles).

use crate::tls::HandshakeFailure;
use shardlog::Store;
use shardlog_storage::MutexExt as _;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BOUNDS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Counts per bucket (not cumulative); the last slot is `+Inf`.
    buckets: [u64; BOUNDS.len() + 1],
    sum: f64,
    count: u64,
}

/// Request counters of a running server.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    errors: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    refused_connections: std::sync::atomic::AtomicU64,
    /// TLS handshakes that timed out and that failed otherwise.
    tls_timeouts: std::sync::atomic::AtomicU64,
    tls_errors: std::sync::atomic::AtomicU64,
}

impl Metrics {
    /// Records one request of `op` that took `took` and failed with `error` (an AWS type), if any.
    pub fn observe(&self, op: &'static str, took: Duration, error: Option<&'static str>) {
        let secs = took.as_secs_f64();
        {
            let mut latency = self.latency.locked();
            let h = latency.entry(op).or_default();
            let slot = BOUNDS
                .iter()
                .position(|b| secs <= *b)
                .unwrap_or(BOUNDS.len());
            h.buckets[slot] += 1;
            h.sum += secs;
            h.count += 1;
        }
        if let Some(kind) = error {
            let mut errors = self.errors.locked();
            *errors.entry((op, kind)).or_default() += 1;
        }
    }

    /// Counts a connection closed because the server had `max_connections` open.
    pub fn connection_refused(&self) {
        self.refused_connections
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Counts a connection closed because its TLS handshake did not complete.
    pub fn tls_handshake_failed(&self, why: HandshakeFailure) {
        self.tls_failures(why)
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn tls_failures(&self, why: HandshakeFailure) -> &std::sync::atomic::AtomicU64 {
        match why {
            HandshakeFailure::TimedOut => &self.tls_timeouts,
            HandshakeFailure::Failed => &self.tls_errors,
        }
    }

    /// The whole exposition.
    pub fn render(&self, store: &Store) -> String {
        let mut out = String::new();
        self.render_requests(&mut out);
        render_shards(store, &mut out);
        out
    }

    fn render_requests(&self, out: &mut String) {
        let latency = self.latency.locked().clone();
        let _ = writeln!(
            out,
            "# HELP shardlog_request_duration_seconds Time to answer a request, by operation."
        );
        let _ = writeln!(out, "# TYPE shardlog_request_duration_seconds histogram");
        for (op, h) in &latency {
            let mut cumulative = 0;
            for (i, n) in h.buckets.iter().enumerate() {
                cumulative += n;
                let le = BOUNDS.get(i).map_or("+Inf".to_string(), |b| b.to_string());
                let _ = writeln!(
                    out,
                    "shardlog_request_duration_seconds_bucket{{operation=\"{op}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "shardlog_request_duration_seconds_sum{{operation=\"{op}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "shardlog_request_duration_seconds_count{{operation=\"{op}\"}} {}",
                h.count
            );
        }
        let refused = self
            .refused_connections
            .load(std::sync::atomic::Ordering::Relaxed);
        let _ = writeln!(out, "# HELP shardlog_connections_refused_total Connections closed on accept because the server had its maximum open.");
        let _ = writeln!(out, "# TYPE shardlog_connections_refused_total counter");
        let _ = writeln!(out, "shardlog_connections_refused_total {refused}");
        let _ = writeln!(out, "# HELP shardlog_tls_handshake_failures_total Connections closed because their TLS handshake timed out or failed.");
        let _ = writeln!(out, "# TYPE shardlog_tls_handshake_failures_total counter");
        for why in [HandshakeFailure::TimedOut, HandshakeFailure::Failed] {
            let n = self
                .tls_failures(why)
                .load(std::sync::atomic::Ordering::Relaxed);
            let reason = why.label();
            let _ = writeln!(
                out,
                "shardlog_tls_handshake_failures_total{{reason=\"{reason}\"}} {n}"
            );
        }
        let errors = self.errors.locked().clone();
        let _ = writeln!(out, "# HELP shardlog_request_errors_total Requests answered with an error, by operation and error type.");
        let _ = writeln!(out, "# TYPE shardlog_request_errors_total counter");
        for ((op, kind), n) in errors {
            let _ = writeln!(
                out,
                "shardlog_request_errors_total{{operation=\"{op}\",type=\"{kind}\"}} {n}"
            );
        }
    }
}

/// Name, help, type, and how to read the value from a shard's statistics.
type ShardMetric = (
    &'static str,
    &'static str,
    &'static str,
    fn(&shardlog::ShardStatistics) -> u64,
);

const SHARD_METRICS: [ShardMetric; 7] = [
    (
        "shardlog_shard_incoming_records_total",
        "Records written to the shard.",
        "counter",
        |s| s.incoming_records,
    ),
    (
        "shardlog_shard_incoming_bytes_total",
        "Bytes (data and partition keys) written to the shard.",
        "counter",
        |s| s.incoming_bytes,
    ),
    (
        "shardlog_shard_outgoing_records_total",
        "Records read from the shard.",
        "counter",
        |s| s.outgoing_records,
    ),
    (
        "shardlog_shard_outgoing_bytes_total",
        "Bytes read from the shard.",
        "counter",
        |s| s.outgoing_bytes,
    ),
    (
        "shardlog_shard_iterator_age_milliseconds",
        "MillisBehindLatest of the shard's most recent read.",
        "gauge",
        |s| s.iterator_age_ms,
    ),
    (
        "shardlog_shard_write_throttled_records_total",
        "Records refused by the shard's write limit.",
        "counter",
        |s| s.write_throttled,
    ),
    (
        "shardlog_shard_read_throttled_calls_total",
        "Reads refused by the shard's read limit.",
        "counter",
        |s| s.read_throttled,
    ),
];

fn render_shards(store: &Store, out: &mut String) {
    let shards: Vec<(String, String, shardlog::ShardStatistics)> = store
        .list_streams()
        .into_iter()
        .flat_map(|stream| {
            let stats = store.shard_statistics(&stream).unwrap_or_default();
            stats
                .into_iter()
                .map(move |(id, s)| (stream.clone(), id.to_string(), s))
        })
        .collect();
    for (name, help, kind, read) in SHARD_METRICS {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (stream, shard, s) in &shards {
            let _ = writeln!(
                out,
                "{name}{{stream=\"{stream}\",shard=\"{shard}\"}} {}",
                read(s)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let m = Metrics::default();
        m.observe("PutRecord", Duration::from_micros(300), None);
        m.observe("PutRecord", Duration::from_secs(9), Some("InternalFailure"));
        let mut out = String::new();
        m.render_requests(&mut out);
        assert!(out.contains(
            "shardlog_request_duration_seconds_bucket{operation=\"PutRecord\",le=\"0.0005\"} 1"
        ));
        assert!(out.contains(
            "shardlog_request_duration_seconds_bucket{operation=\"PutRecord\",le=\"+Inf\"} 2"
        ));
        assert!(out.contains("shardlog_request_duration_seconds_count{operation=\"PutRecord\"} 2"));
        assert!(out.contains(
            "shardlog_request_errors_total{operation=\"PutRecord\",type=\"InternalFailure\"} 1"
        ));
    }
}

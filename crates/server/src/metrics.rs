//! `/metrics` in the Prometheus text format, built on `prometheus-client`: request latency by
//! operation, errors by type, refused connections and TLS handshakes (metrics the server updates),
//! and at each scrape the engine's counters read straight from the store by a [`Collector`]: the
//! `shardlog_shard_*` series of every shard, and the CloudWatch-named `kinesis_*` series per stream,
//! plus per shard for the metrics a stream's enhanced monitoring turned on.
//!
//! | CloudWatch metric | series |
//! | --- | --- |
//! | `IncomingBytes` | `kinesis_incoming_bytes_total{stream[,shard]}` |
//! | `IncomingRecords` | `kinesis_incoming_records_total{stream[,shard]}` |
//! | `GetRecords.Bytes` / `OutgoingBytes` | `kinesis_get_records_bytes_total{stream}` / `kinesis_outgoing_bytes_total{stream,shard}` |
//! | `GetRecords.Records` / `OutgoingRecords` | `kinesis_get_records_records_total{stream}` / `kinesis_outgoing_records_total{stream,shard}` |
//! | `GetRecords.IteratorAgeMilliseconds` / `IteratorAgeMilliseconds` | `kinesis_get_records_iterator_age_milliseconds{stream}` (max over shards) / `kinesis_iterator_age_milliseconds{stream,shard}` |
//! | `WriteProvisionedThroughputExceeded` | `kinesis_write_provisioned_throughput_exceeded_total{stream[,shard]}` |
//! | `ReadProvisionedThroughputExceeded` | `kinesis_read_provisioned_throughput_exceeded_total{stream[,shard]}` |
//! | `SubscribeToShard.RateExceeded` | `kinesis_subscribe_to_shard_rate_exceeded_total{stream,consumer}` |

use crate::tls::HandshakeFailure;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use shardlog::{ShardStatistics, Store};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BOUNDS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// One label: `operation`, `reason`.
type OneLabel = [(&'static str, &'static str); 1];
/// `operation` and `type`.
type TwoLabels = [(&'static str, &'static str); 2];
/// `stream` and `consumer`.
type ConsumerLabels = [(&'static str, String); 2];

fn latency_histogram() -> Histogram {
    Histogram::new(BOUNDS)
}

/// The server's metrics: its own counters and the engine's, rendered from one registry.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    latency: Family<OneLabel, Histogram, fn() -> Histogram>,
    errors: Family<TwoLabels, Counter>,
    refused_connections: Counter,
    tls_failures: Family<OneLabel, Counter>,
    subscribe_rate_exceeded: Family<ConsumerLabels, Counter>,
}

impl Metrics {
    /// The metrics of a server on `store` (read at each scrape).
    pub fn new(store: Store) -> Metrics {
        let mut m = Metrics::without_store();
        m.registry
            .register_collector(Box::new(StoreCollector { store }));
        m
    }

    /// The server's own metrics only.
    fn without_store() -> Metrics {
        let latency: Family<OneLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        let errors = Family::<TwoLabels, Counter>::default();
        let refused_connections = Counter::default();
        let tls_failures = Family::<OneLabel, Counter>::default();
        // Both reasons are reported from the start, at 0.
        for why in [HandshakeFailure::TimedOut, HandshakeFailure::Failed] {
            drop(tls_failures.get_or_create(&[("reason", why.label())]));
        }
        let subscribe_rate_exceeded = Family::<ConsumerLabels, Counter>::default();
        let mut registry = Registry::default();
        registry.register(
            "shardlog_request_duration_seconds",
            "Time to answer a request, by operation",
            latency.clone(),
        );
        registry.register(
            "shardlog_connections_refused",
            "Connections closed on accept because the server had its maximum open",
            refused_connections.clone(),
        );
        registry.register(
            "shardlog_tls_handshake_failures",
            "Connections closed because their TLS handshake timed out or failed",
            tls_failures.clone(),
        );
        registry.register(
            "shardlog_request_errors",
            "Requests answered with an error, by operation and error type",
            errors.clone(),
        );
        registry.register(
            "kinesis_subscribe_to_shard_rate_exceeded",
            "SubscribeToShard.RateExceeded: subscriptions refused because the consumer already has \
             one on the shard (resubscribed within 5 seconds) or the server serves its maximum",
            subscribe_rate_exceeded.clone(),
        );
        Metrics {
            registry,
            latency,
            errors,
            refused_connections,
            tls_failures,
            subscribe_rate_exceeded,
        }
    }

    /// Records one request of `op` that took `took` and failed with `error` (an AWS type), if any.
    pub fn observe(&self, op: &'static str, took: Duration, error: Option<&'static str>) {
        self.latency
            .get_or_create(&[("operation", op)])
            .observe(took.as_secs_f64());
        if let Some(kind) = error {
            self.errors
                .get_or_create(&[("operation", op), ("type", kind)])
                .inc();
        }
    }

    /// Counts a connection closed because the server had `max_connections` open.
    pub fn connection_refused(&self) {
        self.refused_connections.inc();
    }

    /// Counts a connection closed because its TLS handshake did not complete.
    pub fn tls_handshake_failed(&self, why: HandshakeFailure) {
        self.tls_failures
            .get_or_create(&[("reason", why.label())])
            .inc();
    }

    /// Counts a `SubscribeToShard` refused for rate (CloudWatch's `SubscribeToShard.RateExceeded`).
    pub fn subscribe_rate_exceeded(&self, stream: &str, consumer: &str) {
        self.subscribe_rate_exceeded
            .get_or_create(&[
                ("stream", stream.to_string()),
                ("consumer", consumer.to_string()),
            ])
            .inc();
    }

    /// The whole exposition (Prometheus text format 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a `String` does not fail; a collector's error would leave a partial page.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// The `Content-Type` of [`Metrics::render`]'s text.
pub(crate) const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Reads the engine's per-shard counters at each scrape.
#[derive(Debug)]
struct StoreCollector {
    store: Store,
}

/// One stream as a scrape sees it.
struct StreamView {
    name: String,
    /// The shard-level metrics enhanced monitoring turned on (CloudWatch names).
    monitored: Vec<String>,
    shards: Vec<(String, ShardStatistics)>,
}

impl StoreCollector {
    fn streams(&self) -> Vec<StreamView> {
        self.store
            .list_streams()
            .into_iter()
            .filter_map(|name| {
                // A stream deleted since it was listed is left out.
                let shards = self.store.shard_statistics(&name).ok()?;
                let monitored = self
                    .store
                    .stream_settings(&name)
                    .map(|s| s.shard_level_metrics)
                    .unwrap_or_default();
                Some(StreamView {
                    shards: shards
                        .into_iter()
                        .map(|(id, s)| (id.to_string(), s))
                        .collect(),
                    name,
                    monitored,
                })
            })
            .collect()
    }
}

/// Whether a series counts up or is a level.
#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
}

/// How a value is read from a shard's statistics.
type Read = fn(&ShardStatistics) -> u64;

/// `shardlog_shard_*`: every shard, whatever its stream's monitoring settings.
const SHARD_METRICS: [(&str, &str, Kind, Read); 7] = [
    (
        "shardlog_shard_incoming_records",
        "Records written to the shard",
        Kind::Counter,
        |s| s.incoming_records,
    ),
    (
        "shardlog_shard_incoming_bytes",
        "Bytes (data and partition keys) written to the shard",
        Kind::Counter,
        |s| s.incoming_bytes,
    ),
    (
        "shardlog_shard_outgoing_records",
        "Records read from the shard",
        Kind::Counter,
        |s| s.outgoing_records,
    ),
    (
        "shardlog_shard_outgoing_bytes",
        "Bytes read from the shard",
        Kind::Counter,
        |s| s.outgoing_bytes,
    ),
    (
        "shardlog_shard_iterator_age_milliseconds",
        "MillisBehindLatest of the shard's most recent read",
        Kind::Gauge,
        |s| s.iterator_age_ms,
    ),
    (
        "shardlog_shard_write_throttled_records",
        "Records refused by the shard's write limit",
        Kind::Counter,
        |s| s.write_throttled,
    ),
    (
        "shardlog_shard_read_throttled_calls",
        "Reads refused by the shard's read limit",
        Kind::Counter,
        |s| s.read_throttled,
    ),
];

/// A CloudWatch metric of Kinesis as Prometheus series.
struct Kinesis {
    /// The stream-level series (summed over shards; counters get `_total` appended).
    stream_series: &'static str,
    /// The shard-level series (with a `shard` label), present when enhanced monitoring enables
    /// `monitoring_name`; the same name as `stream_series` when CloudWatch uses one name for both.
    shard_series: &'static str,
    /// The shard-level metric's name in `EnableEnhancedMonitoring`.
    monitoring_name: &'static str,
    help: &'static str,
    kind: Kind,
    read: Read,
}

const KINESIS_METRICS: [Kinesis; 7] = [
    Kinesis {
        stream_series: "kinesis_incoming_bytes",
        shard_series: "kinesis_incoming_bytes",
        monitoring_name: "IncomingBytes",
        help: "IncomingBytes: bytes (data and partition keys) put into the stream, or the shard",
        kind: Kind::Counter,
        read: |s| s.incoming_bytes,
    },
    Kinesis {
        stream_series: "kinesis_incoming_records",
        shard_series: "kinesis_incoming_records",
        monitoring_name: "IncomingRecords",
        help: "IncomingRecords: records put into the stream, or the shard",
        kind: Kind::Counter,
        read: |s| s.incoming_records,
    },
    Kinesis {
        stream_series: "kinesis_get_records_bytes",
        shard_series: "kinesis_outgoing_bytes",
        monitoring_name: "OutgoingBytes",
        help: "GetRecords.Bytes (per stream) and OutgoingBytes (per shard): bytes returned by \
               GetRecords and SubscribeToShard",
        kind: Kind::Counter,
        read: |s| s.outgoing_bytes,
    },
    Kinesis {
        stream_series: "kinesis_get_records_records",
        shard_series: "kinesis_outgoing_records",
        monitoring_name: "OutgoingRecords",
        help: "GetRecords.Records (per stream) and OutgoingRecords (per shard): records returned \
               by GetRecords and SubscribeToShard",
        kind: Kind::Counter,
        read: |s| s.outgoing_records,
    },
    Kinesis {
        stream_series: "kinesis_get_records_iterator_age_milliseconds",
        shard_series: "kinesis_iterator_age_milliseconds",
        monitoring_name: "IteratorAgeMilliseconds",
        help: "GetRecords.IteratorAgeMilliseconds (per stream, the largest over its shards) and \
               IteratorAgeMilliseconds (per shard): how far the most recent read was behind the \
               newest record",
        kind: Kind::Gauge,
        read: |s| s.iterator_age_ms,
    },
    Kinesis {
        stream_series: "kinesis_write_provisioned_throughput_exceeded",
        shard_series: "kinesis_write_provisioned_throughput_exceeded",
        monitoring_name: "WriteProvisionedThroughputExceeded",
        help: "WriteProvisionedThroughputExceeded: records refused by a shard's write limit",
        kind: Kind::Counter,
        read: |s| s.write_throttled,
    },
    Kinesis {
        stream_series: "kinesis_read_provisioned_throughput_exceeded",
        shard_series: "kinesis_read_provisioned_throughput_exceeded",
        monitoring_name: "ReadProvisionedThroughputExceeded",
        help: "ReadProvisionedThroughputExceeded: GetRecords calls refused by a shard's read limit",
        kind: Kind::Counter,
        read: |s| s.read_throttled,
    },
];

/// Writes one descriptor and its samples: `(labels, value)` pairs.
fn encode_series<'a>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: Kind,
    samples: impl Iterator<Item = (Vec<(&'static str, &'a str)>, u64)>,
) -> Result<(), std::fmt::Error> {
    let metric_type = match kind {
        Kind::Counter => MetricType::Counter,
        Kind::Gauge => MetricType::Gauge,
    };
    // Help ends with a full stop, as the registry writes it for the other metrics.
    let help = format!("{help}.");
    let mut metric = encoder.encode_descriptor(name, &help, None, metric_type)?;
    for (labels, value) in samples {
        let family = metric.encode_family(&labels)?;
        match kind {
            Kind::Counter => ConstCounter::new(value).encode(family)?,
            Kind::Gauge => ConstGauge::new(value).encode(family)?,
        }
    }
    Ok(())
}

impl Collector for StoreCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let streams = self.streams();
        for (name, help, kind, read) in SHARD_METRICS {
            let samples = streams.iter().flat_map(|st| {
                st.shards.iter().map(move |(shard, s)| {
                    let labels = vec![("stream", st.name.as_str()), ("shard", shard.as_str())];
                    (labels, read(s))
                })
            });
            encode_series(&mut encoder, name, help, kind, samples)?;
        }
        for k in &KINESIS_METRICS {
            let per_stream = streams.iter().map(|st| {
                let values = st.shards.iter().map(|(_, s)| (k.read)(s));
                let value = match k.kind {
                    Kind::Counter => values.sum(),
                    Kind::Gauge => values.max().unwrap_or(0),
                };
                (vec![("stream", st.name.as_str())], value)
            });
            let per_shard = streams
                .iter()
                .filter(|st| st.monitored.iter().any(|m| m == k.monitoring_name))
                .flat_map(|st| {
                    st.shards.iter().map(move |(shard, s)| {
                        let labels = vec![("stream", st.name.as_str()), ("shard", shard.as_str())];
                        (labels, (k.read)(s))
                    })
                });
            if k.stream_series == k.shard_series {
                encode_series(
                    &mut encoder,
                    k.stream_series,
                    k.help,
                    k.kind,
                    per_stream.chain(per_shard),
                )?;
            } else {
                encode_series(&mut encoder, k.stream_series, k.help, k.kind, per_stream)?;
                encode_series(&mut encoder, k.shard_series, k.help, k.kind, per_shard)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use shardlog::{PutEntry, ShardLimits, StartingPosition, StoreOptions};

    #[test]
    fn histogram_is_cumulative() {
        let m = Metrics::without_store();
        m.observe("PutRecord", Duration::from_micros(300), None);
        m.observe("PutRecord", Duration::from_secs(9), Some("InternalFailure"));
        let out = m.render();
        assert!(out.contains(
            "shardlog_request_duration_seconds_bucket{operation=\"PutRecord\",le=\"0.0005\"} 1\n"
        ));
        assert!(out.contains(
            "shardlog_request_duration_seconds_bucket{operation=\"PutRecord\",le=\"+Inf\"} 2\n"
        ));
        assert!(
            out.contains("shardlog_request_duration_seconds_count{operation=\"PutRecord\"} 2\n")
        );
        assert!(out.contains(
            "shardlog_request_errors_total{operation=\"PutRecord\",type=\"InternalFailure\"} 1\n"
        ));
        assert!(out.contains("# TYPE shardlog_request_errors_total counter\n"));
        assert!(out.contains("shardlog_connections_refused_total 0\n"));
        assert!(out.contains("shardlog_tls_handshake_failures_total{reason=\"timeout\"} 0\n"));
    }

    /// The value of the sample whose line starts with `series` (name and labels), if any.
    fn value(text: &str, series: &str) -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn kinesis_series_per_stream_and_per_shard_with_enhanced_monitoring() {
        let dir = tempfile::tempdir().unwrap();
        let opts = StoreOptions {
            limits: Some(ShardLimits {
                write_records_per_sec: 5,
                ..ShardLimits::KINESIS
            }),
            ..StoreOptions::default()
        };
        let store = Store::open(dir.path(), opts).unwrap();
        store.create_stream("plain", 2).unwrap();
        store.create_stream("watched", 2).unwrap();
        store
            .update_stream_settings("watched", |s| {
                let on = ["IncomingRecords".into(), "IteratorAgeMilliseconds".into()];
                s.set_metrics(&on, true).map(|_| ())
            })
            .unwrap();
        for (stream, n) in [("plain", 3), ("watched", 4)] {
            for i in 0..n {
                let key = format!("k{i}");
                store
                    .put_record(stream, PutEntry::new(&key, b"abcd"))
                    .unwrap();
            }
        }
        // Over the write limit of one shard: refused records count as throttled.
        let burst: Vec<PutEntry> = (0..20).map(|_| PutEntry::new("same", b"x")).collect();
        let out = store.put_records("plain", &burst).unwrap();
        let throttled = out.failed_record_count as u64;
        assert!(throttled > 0);
        let it = store
            .get_shard_iterator(
                "watched",
                shardlog::ShardId(0),
                StartingPosition::TrimHorizon,
            )
            .unwrap();
        let read = store.get_records(&it, 100).unwrap().records.len() as u64;

        let text = Metrics::new(store.clone()).render();
        let plain_in = 3 + 20 - throttled;
        assert_eq!(
            value(&text, "kinesis_incoming_records_total{stream=\"plain\"}"),
            Some(plain_in),
            "{text}"
        );
        assert_eq!(
            value(&text, "kinesis_incoming_records_total{stream=\"watched\"}"),
            Some(4)
        );
        assert_eq!(
            value(
                &text,
                "kinesis_write_provisioned_throughput_exceeded_total{stream=\"plain\"}"
            ),
            Some(throttled)
        );
        assert_eq!(
            value(
                &text,
                "kinesis_get_records_records_total{stream=\"watched\"}"
            ),
            Some(read)
        );
        assert!(text.contains("# TYPE kinesis_get_records_iterator_age_milliseconds gauge\n"));
        // Shard series: only for the monitored stream, only for the metrics it enabled.
        let per_shard: u64 = ["shardId-000000000000", "shardId-000000000001"]
            .iter()
            .map(|shard| {
                let series = format!(
                    "kinesis_incoming_records_total{{stream=\"watched\",shard=\"{shard}\"}}"
                );
                value(&text, &series).unwrap_or_else(|| panic!("no {series} in {text}"))
            })
            .sum();
        assert_eq!(per_shard, 4);
        assert!(text.contains(
            "kinesis_iterator_age_milliseconds{stream=\"watched\",shard=\"shardId-000000000000\"}"
        ));
        assert!(!text.contains("kinesis_incoming_records_total{stream=\"plain\",shard="));
        assert!(!text.contains("kinesis_incoming_bytes_total{stream=\"watched\",shard="));
        assert!(!text.contains("kinesis_outgoing_records_total{"));
        // The engine's own per-shard series stay, for every shard.
        assert!(text.contains(
            "shardlog_shard_incoming_records_total{stream=\"plain\",shard=\"shardId-000000000000\"}"
        ));
    }
}

//! Conformance check of `shardlog serve` with the official AWS SDK for Rust (`aws-sdk-kinesis`).
//!
//! Usage: shardlog-sdk-conformance ENDPOINT   (for example http://127.0.0.1:4567)
//!
//! Every check asserts what a client of the SDK depends on and prints `ok   NAME` or
//! `FAIL NAME: ERROR` (SDK errors in full, through `DisplayErrorContext`). Later checks use what
//! earlier ones made (the stream, its shards, the consumer); a check whose prerequisite failed
//! fails too, saying which. The last line is `sdk: N passed, M failed`; the exit code is 1 if any
//! check failed.

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_sdk_kinesis::config::{Credentials, Region};
use aws_sdk_kinesis::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{
    ConsumerStatus, EncryptionType, MetricsName, MinimumThroughputBillingCommitmentInput,
    MinimumThroughputBillingCommitmentInputStatus as CommitmentInput,
    MinimumThroughputBillingCommitmentOutputStatus as Commitment, PutRecordsRequestEntry,
    RecordDistributionStrategy, ScalingType, Shard, ShardIteratorType, StartingPosition,
    StreamDescriptionSummary, StreamMode, StreamModeDetails, StreamStatus,
    SubscribeToShardEventStream,
};
use aws_sdk_kinesis::Client;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

const ACCOUNT: &str = "000000000000";
const STREAM: &str = "sdk-conformance";
const CONSUMER: &str = "sdk-consumer";
/// A second stream for capacity-mode switches and the settings of on-demand streams.
const MODE_STREAM: &str = "sdk-mode";
/// The largest hash key, 2^128 - 1.
const MAX_HASH_KEY: &str = "340282366920938463463374607431768211455";
/// Longest a single check may take (a subscription waits for events, a few seconds apart).
const CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a check failed. `?` turns any error (SDK errors included) into one, with the error's
/// whole chain of causes.
struct Fail(String);

impl<E: std::error::Error> From<E> for Fail {
    fn from(e: E) -> Self {
        Fail(DisplayErrorContext(&e).to_string())
    }
}

type Check<T = ()> = Result<T, Fail>;

/// Fails the check with a formatted message unless the condition holds.
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(Fail(format!($($msg)+)));
        }
    };
}

mod channels;

/// A value an earlier check produced, or a failure naming that check.
fn need<'a, T>(value: &'a Option<T>, from: &str) -> Check<&'a T> {
    value
        .as_ref()
        .ok_or_else(|| Fail(format!("not run: depends on `{from}`, which failed")))
}

/// What the checks learn and later checks use.
#[derive(Default)]
struct State {
    stream_arn: Option<String>,
    /// The two shards of the new stream, from ListShards.
    shards: Option<Vec<Shard>>,
    /// The shard the records went to.
    shard: Option<String>,
    /// The records written, in order: (sequence number, partition key, data).
    written: Option<Vec<(String, String, Vec<u8>)>>,
    consumer_arn: Option<String>,
    /// Children of the split shard.
    children: Option<(String, String)>,
    /// ARN of `MODE_STREAM` while it is on demand.
    on_demand_arn: Option<String>,
}

struct Runner {
    passed: usize,
    failed: usize,
}

impl Runner {
    async fn run<T>(&mut self, name: &str, check: impl Future<Output = Check<T>>) -> Option<T> {
        let outcome = match tokio::time::timeout(CHECK_TIMEOUT, check).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Fail(format!("timed out after {CHECK_TIMEOUT:?}"))),
        };
        match outcome {
            Ok(v) => {
                self.passed += 1;
                println!("ok   {name}");
                Some(v)
            }
            Err(Fail(e)) => {
                self.failed += 1;
                println!("FAIL {name}: {e}");
                None
            }
        }
    }
}

fn is_sequence_number(s: &str) -> bool {
    s.len() == 56 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Compares decimal strings without leading zeros (sequence numbers, hash keys) as numbers.
fn dec_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The decimal number after `s` (below 2^128).
fn next_key(s: &str) -> Check<String> {
    let n: u128 = s.parse().map_err(|_| Fail(format!("bad hash key {s}")))?;
    Ok((n + 1).to_string())
}

/// A hash key in the upper half of `lo..=hi` (a valid NewStartingHashKey).
fn midpoint(lo: &str, hi: &str) -> Check<String> {
    let lo: u128 = lo.parse().map_err(|_| Fail(format!("bad hash key {lo}")))?;
    let hi: u128 = hi.parse().map_err(|_| Fail(format!("bad hash key {hi}")))?;
    Ok((lo + (hi - lo) / 2 + 1).to_string())
}

/// Binary data with every byte value, different for each `n`.
fn payload(n: u8) -> Vec<u8> {
    let mut v: Vec<u8> = (0..=255u8).map(|b| b.wrapping_add(n)).collect();
    v.extend_from_slice(format!("record {n}").as_bytes());
    v
}

async fn summary(k: &Client, name: &str) -> Check<StreamDescriptionSummary> {
    let out = k.describe_stream_summary().stream_name(name).send().await?;
    out.stream_description_summary()
        .cloned()
        .ok_or_else(|| Fail(format!("{name}: no StreamDescriptionSummary")))
}

/// Polls DescribeStreamSummary until `STREAM` is ACTIVE (as after every update in Kinesis).
async fn wait_active(k: &Client) -> Check {
    wait_stream_active(k, STREAM).await
}

/// Polls DescribeStreamSummary until the stream `name` is ACTIVE.
async fn wait_stream_active(k: &Client, name: &str) -> Check {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = summary(k, name).await?.stream_status().clone();
        if status == StreamStatus::Active {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "stream {name} still {status:?} after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Deletes a stream and polls until it is gone: DELETING, then ResourceNotFoundException.
async fn delete_stream(k: &Client, name: &str) -> Check {
    k.delete_stream().stream_name(name).send().await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match k.describe_stream_summary().stream_name(name).send().await {
            Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(()),
            Err(e) => return Err(e.into()),
            Ok(out) => {
                let status = out
                    .stream_description_summary()
                    .map(|s| s.stream_status().clone());
                ensure!(
                    status == Some(StreamStatus::Deleting),
                    "after DeleteStream: {name} is {status:?}"
                );
                ensure!(
                    Instant::now() < deadline,
                    "stream {name} still DELETING after 30 s"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// The error of a call that must fail; a failure (with the answer) if it succeeded.
fn refused<T: std::fmt::Debug, E>(what: &str, result: Result<T, E>) -> Check<E> {
    match result {
        Ok(out) => Err(Fail(format!("{what} succeeded: {out:?}"))),
        Err(e) => Ok(e),
    }
}

/// A stream's tags as a map, from ListTagsForResource.
async fn resource_tags(k: &Client, arn: &str) -> Check<BTreeMap<String, String>> {
    let out = k.list_tags_for_resource().resource_arn(arn).send().await?;
    Ok(out
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

async fn iterator(
    k: &Client,
    shard: &str,
    kind: ShardIteratorType,
    seq: Option<&str>,
) -> Check<String> {
    let out = k
        .get_shard_iterator()
        .stream_name(STREAM)
        .shard_id(shard)
        .shard_iterator_type(kind)
        .set_starting_sequence_number(seq.map(str::to_string))
        .send()
        .await?;
    out.shard_iterator()
        .map(str::to_string)
        .ok_or_else(|| Fail("no ShardIterator".into()))
}

/// Reads from an iterator until a response without records (or the shard's end).
/// Returns (sequence number, partition key, data) of each record.
async fn read_all(k: &Client, mut it: String) -> Check<Vec<(String, String, Vec<u8>)>> {
    let mut got = Vec::new();
    for _ in 0..100 {
        let out = k.get_records().shard_iterator(&it).send().await?;
        for r in out.records() {
            got.push((
                r.sequence_number().to_string(),
                r.partition_key().unwrap_or_default().to_string(),
                r.data().as_ref().to_vec(),
            ));
        }
        match out.next_shard_iterator() {
            Some(next) if !out.records().is_empty() => it = next.to_string(),
            _ => return Ok(got),
        }
    }
    Err(Fail("GetRecords never caught up in 100 calls".into()))
}

fn same_records(got: &[(String, String, Vec<u8>)], want: &[(String, String, Vec<u8>)]) -> Check {
    ensure!(
        got.len() == want.len(),
        "got {} records, want {}: sequence numbers {:?}, want {:?}",
        got.len(),
        want.len(),
        got.iter().map(|r| &r.0).collect::<Vec<_>>(),
        want.iter().map(|r| &r.0).collect::<Vec<_>>()
    );
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        ensure!(g.0 == w.0, "record {i}: sequence number {} != {}", g.0, w.0);
        ensure!(
            g.1 == w.1,
            "record {i}: partition key {:?} != {:?}",
            g.1,
            w.1
        );
        ensure!(
            g.2 == w.2,
            "record {i}: data differs ({} bytes vs {} bytes, first difference at {:?})",
            g.2.len(),
            w.2.len(),
            g.2.iter().zip(&w.2).position(|(a, b)| a != b)
        );
    }
    Ok(())
}

/// Subscribes and collects events until `want` records arrived (or `wait` passed). Returns the
/// records (sequence number, data) and the last ContinuationSequenceNumber.
async fn subscribe(
    k: &Client,
    consumer: &str,
    shard: &str,
    position: StartingPosition,
    want: usize,
    wait: Duration,
) -> Check<(Vec<(String, Vec<u8>)>, String, usize)> {
    let mut out = k
        .subscribe_to_shard()
        .consumer_arn(consumer)
        .shard_id(shard)
        .starting_position(position)
        .send()
        .await?;
    let deadline = tokio::time::Instant::now() + wait;
    let (mut records, mut continuation, mut events) = (Vec::new(), None::<String>, 0);
    while records.len() < want {
        let next = tokio::time::timeout_at(deadline, out.event_stream.recv()).await;
        let event = match next {
            Err(_) => break, // waited long enough
            Ok(received) => received?,
        };
        match event {
            Some(SubscribeToShardEventStream::SubscribeToShardEvent(e)) => {
                events += 1;
                let c = e.continuation_sequence_number();
                ensure!(
                    is_sequence_number(c),
                    "event {events}: ContinuationSequenceNumber {c:?} is not a 56-digit sequence number"
                );
                continuation = Some(c.to_string());
                for r in e.records() {
                    records.push((r.sequence_number().to_string(), r.data().as_ref().to_vec()));
                }
            }
            Some(other) => return Err(Fail(format!("unexpected event {other:?}"))),
            None => {
                return Err(Fail(format!(
                    "event stream ended after {events} events, {} records",
                    records.len()
                )))
            }
        }
    }
    let continuation = continuation.ok_or_else(|| {
        Fail("no SubscribeToShardEvent with a ContinuationSequenceNumber arrived".into())
    })?;
    Ok((records, continuation, events))
}

/// Plain HTTP through hyper for `http://`; for `https://`, rustls (ring) trusting only the PEM
/// certificate named by `SHARDLOG_SDK_CA` (the one `shardlog serve --tls` made).
fn http_client(endpoint: &str) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
    if !endpoint.starts_with("https://") {
        return aws_smithy_http_client::Builder::new().build_http();
    }
    let ca =
        std::env::var("SHARDLOG_SDK_CA").expect("SHARDLOG_SDK_CA names the server's certificate");
    let pem = std::fs::read(&ca).unwrap_or_else(|e| panic!("{ca}: {e}"));
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(pem);
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a TLS context");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https()
}

#[tokio::main]
async fn main() {
    let endpoint = match std::env::args().nth(1) {
        Some(e) => e,
        None => {
            eprintln!("usage: shardlog-sdk-conformance ENDPOINT (e.g. http://127.0.0.1:4567)");
            std::process::exit(2);
        }
    };
    let http = http_client(&endpoint);
    let config = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .endpoint_url(&endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("dummy", "dummy", None, None, "test"))
        // Errors as the server sent them, not retried.
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    let k = Client::new(&config);
    let k = &k;
    let mut st = State::default();
    let mut r = Runner {
        passed: 0,
        failed: 0,
    };

    r.run("create_stream", async {
        k.create_stream()
            .stream_name(STREAM)
            .shard_count(2)
            .send()
            .await?;
        Ok(())
    })
    .await;

    r.run("describe_stream_summary_active", async {
        wait_active(k).await?;
        let out = k
            .describe_stream_summary()
            .stream_name(STREAM)
            .send()
            .await?;
        let s = out
            .stream_description_summary()
            .ok_or_else(|| Fail("no summary".into()))?;
        let arn = format!("arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/{STREAM}");
        ensure!(
            s.stream_arn() == arn,
            "StreamARN {} != {arn}",
            s.stream_arn()
        );
        ensure!(s.stream_name() == STREAM, "StreamName {}", s.stream_name());
        ensure!(
            s.open_shard_count() == 2,
            "OpenShardCount {}",
            s.open_shard_count()
        );
        ensure!(
            s.retention_period_hours() == 24,
            "RetentionPeriodHours {}",
            s.retention_period_hours()
        );
        st.stream_arn = Some(arn);
        Ok(())
    })
    .await;

    r.run("list_streams", async {
        let out = k.list_streams().send().await?;
        ensure!(
            out.stream_names().iter().any(|n| n == STREAM),
            "StreamNames {:?}",
            out.stream_names()
        );
        let summaries: Vec<_> = out
            .stream_summaries()
            .iter()
            .map(|s| s.stream_name())
            .collect();
        ensure!(summaries.contains(&STREAM), "StreamSummaries {summaries:?}");
        ensure!(!out.has_more_streams(), "HasMoreStreams true");
        Ok(())
    })
    .await;

    r.run("describe_stream", async {
        let out = k.describe_stream().stream_name(STREAM).send().await?;
        let d = out
            .stream_description()
            .ok_or_else(|| Fail("no StreamDescription".into()))?;
        ensure!(
            d.stream_status() == &StreamStatus::Active,
            "StreamStatus {:?}",
            d.stream_status()
        );
        ensure!(
            d.stream_arn() == need(&st.stream_arn, "describe_stream_summary_active")?,
            "StreamARN {}",
            d.stream_arn()
        );
        let ids: Vec<_> = d.shards().iter().map(|s| s.shard_id()).collect();
        ensure!(
            ids == ["shardId-000000000000", "shardId-000000000001"],
            "shards {ids:?}"
        );
        ensure!(!d.has_more_shards(), "HasMoreShards true");
        Ok(())
    })
    .await;

    st.shards = r
        .run("list_shards", async {
            let out = k.list_shards().stream_name(STREAM).send().await?;
            let shards = out.shards().to_vec();
            ensure!(shards.len() == 2, "{} shards: {shards:?}", shards.len());
            let range = |s: &Shard| {
                s.hash_key_range()
                    .map(|h| {
                        (
                            h.starting_hash_key().to_string(),
                            h.ending_hash_key().to_string(),
                        )
                    })
                    .ok_or_else(|| Fail(format!("{} has no HashKeyRange", s.shard_id())))
            };
            let (r0, r1) = (range(&shards[0])?, range(&shards[1])?);
            ensure!(
                r0.0 == "0" && r1.1 == MAX_HASH_KEY,
                "hash ranges {r0:?} {r1:?} do not cover 0..2^128-1"
            );
            ensure!(
                next_key(&r0.1)? == r1.0,
                "hash ranges {r0:?} {r1:?} are not adjacent"
            );
            for s in &shards {
                let seq = s
                    .sequence_number_range()
                    .ok_or_else(|| Fail(format!("{} has no SequenceNumberRange", s.shard_id())))?;
                ensure!(
                    is_sequence_number(seq.starting_sequence_number()),
                    "StartingSequenceNumber {:?}",
                    seq.starting_sequence_number()
                );
                ensure!(
                    seq.ending_sequence_number().is_none(),
                    "open shard {} has EndingSequenceNumber",
                    s.shard_id()
                );
                ensure!(
                    s.parent_shard_id().is_none(),
                    "new shard {} has a parent",
                    s.shard_id()
                );
            }
            Ok(shards)
        })
        .await;

    // PutRecord by partition key; the shard it lands on receives the rest (explicit hash keys).
    let first = r
        .run("put_record", async {
            let data = payload(0);
            let out = k
                .put_record()
                .stream_name(STREAM)
                .partition_key("pk-0")
                .data(Blob::new(data.clone()))
                .send()
                .await?;
            let shards = need(&st.shards, "list_shards")?;
            ensure!(
                shards.iter().any(|s| s.shard_id() == out.shard_id()),
                "ShardId {:?} is not a shard of the stream",
                out.shard_id()
            );
            ensure!(
                is_sequence_number(out.sequence_number()),
                "SequenceNumber {:?} is not 56 decimal digits",
                out.sequence_number()
            );
            st.shard = Some(out.shard_id().to_string());
            Ok((out.sequence_number().to_string(), "pk-0".to_string(), data))
        })
        .await;

    r.run("put_records", async {
        let mut written = vec![first
            .clone()
            .ok_or_else(|| Fail("not run: depends on `put_record`, which failed".into()))?];
        let shard = need(&st.shard, "put_record")?.clone();
        let shards = need(&st.shards, "list_shards")?;
        let start = shards
            .iter()
            .find(|s| s.shard_id() == shard)
            .and_then(|s| s.hash_key_range())
            .map(|h| h.starting_hash_key().to_string())
            .ok_or_else(|| Fail("shard of put_record not listed".into()))?;
        let mut req = k.put_records().stream_name(STREAM);
        let mut sent = Vec::new();
        for n in 1..=3u8 {
            let key = format!("pk-{n}");
            let data = payload(n);
            req = req.records(
                PutRecordsRequestEntry::builder()
                    .data(Blob::new(data.clone()))
                    .partition_key(&key)
                    .explicit_hash_key(&start)
                    .build()?,
            );
            sent.push((key, data));
        }
        let out = req.send().await?;
        ensure!(
            out.failed_record_count() == Some(0),
            "FailedRecordCount {:?}",
            out.failed_record_count()
        );
        ensure!(
            out.records().len() == 3,
            "{} result entries",
            out.records().len()
        );
        for (e, (key, data)) in out.records().iter().zip(sent) {
            ensure!(
                e.error_code().is_none(),
                "entry error {:?}: {:?}",
                e.error_code(),
                e.error_message()
            );
            ensure!(
                e.shard_id() == Some(shard.as_str()),
                "ShardId {:?}, want {shard}",
                e.shard_id()
            );
            let seq = e.sequence_number().unwrap_or_default();
            ensure!(
                is_sequence_number(seq),
                "SequenceNumber {seq:?} is not 56 decimal digits"
            );
            let prev = &written
                .last()
                .map(|w: &(String, String, Vec<u8>)| w.0.clone())
                .unwrap_or_default();
            ensure!(
                dec_cmp(seq, prev).is_gt(),
                "sequence number {seq} not after {prev}"
            );
            written.push((seq.to_string(), key, data));
        }
        st.written = Some(written);
        Ok(())
    })
    .await;

    r.run("get_records_trim_horizon", async {
        let shard = need(&st.shard, "put_record")?;
        let written = need(&st.written, "put_records")?;
        let it = iterator(k, shard, ShardIteratorType::TrimHorizon, None).await?;
        same_records(&read_all(k, it).await?, written)
    })
    .await;

    r.run("get_records_at_sequence_number", async {
        let shard = need(&st.shard, "put_record")?;
        let written = need(&st.written, "put_records")?;
        let it = iterator(
            k,
            shard,
            ShardIteratorType::AtSequenceNumber,
            Some(&written[1].0),
        )
        .await?;
        same_records(&read_all(k, it).await?, &written[1..])
    })
    .await;

    r.run("get_records_after_sequence_number", async {
        let shard = need(&st.shard, "put_record")?;
        let written = need(&st.written, "put_records")?;
        let it = iterator(
            k,
            shard,
            ShardIteratorType::AfterSequenceNumber,
            Some(&written[1].0),
        )
        .await?;
        same_records(&read_all(k, it).await?, &written[2..])
    })
    .await;

    r.run("get_records_after_starting_sequence_number", async {
        let shard = need(&st.shard, "put_record")?;
        let written = need(&st.written, "put_records")?;
        let start = need(&st.shards, "list_shards")?
            .iter()
            .find(|s| s.shard_id() == shard)
            .and_then(|s| s.sequence_number_range())
            .map(|r| r.starting_sequence_number().to_string())
            .unwrap_or_default();
        ensure!(
            dec_cmp(&start, &written[0].0).is_lt(),
            "StartingSequenceNumber {start} not below the first record's {}",
            written[0].0
        );
        let it = iterator(
            k,
            shard,
            ShardIteratorType::AfterSequenceNumber,
            Some(&start),
        )
        .await?;
        let out = k.get_records().shard_iterator(it).send().await?;
        let got = out
            .records()
            .first()
            .ok_or_else(|| Fail("no records after the StartingSequenceNumber".into()))?;
        ensure!(
            got.sequence_number() == written[0].0,
            "first record {}, want {}",
            got.sequence_number(),
            written[0].0
        );
        ensure!(
            got.data().as_ref() == written[0].2.as_slice(),
            "data differs"
        );
        Ok(())
    })
    .await;

    r.run("get_records_latest", async {
        let shard = need(&st.shard, "put_record")?;
        let it = iterator(k, shard, ShardIteratorType::Latest, None).await?;
        let out = k.get_records().shard_iterator(it).send().await?;
        ensure!(
            out.records().is_empty(),
            "LATEST returned {} old records",
            out.records().len()
        );
        ensure!(
            out.next_shard_iterator().is_some(),
            "no NextShardIterator on an open shard"
        );
        ensure!(
            out.millis_behind_latest() == Some(0),
            "MillisBehindLatest {:?}",
            out.millis_behind_latest()
        );
        Ok(())
    })
    .await;

    r.run("increase_decrease_stream_retention_period", async {
        k.increase_stream_retention_period()
            .stream_name(STREAM)
            .retention_period_hours(72)
            .send()
            .await?;
        wait_active(k).await?;
        let arn = need(&st.stream_arn, "describe_stream_summary_active")?;
        k.decrease_stream_retention_period()
            .stream_arn(arn)
            .retention_period_hours(48)
            .send()
            .await?;
        wait_active(k).await?;
        let out = k
            .describe_stream_summary()
            .stream_name(STREAM)
            .send()
            .await?;
        let hours = out
            .stream_description_summary()
            .map(|s| s.retention_period_hours());
        ensure!(hours == Some(48), "RetentionPeriodHours {hours:?}, want 48");
        Ok(())
    })
    .await;

    r.run("add_list_remove_tags_for_stream", async {
        k.add_tags_to_stream()
            .stream_name(STREAM)
            .tags("team", "payments")
            .tags("env", "dev")
            .send()
            .await?;
        let tags =
            |out: &aws_sdk_kinesis::operation::list_tags_for_stream::ListTagsForStreamOutput| {
                out.tags()
                    .iter()
                    .map(|t| {
                        (
                            t.key().to_string(),
                            t.value().unwrap_or_default().to_string(),
                        )
                    })
                    .collect::<BTreeMap<_, _>>()
            };
        let out = k.list_tags_for_stream().stream_name(STREAM).send().await?;
        let want: BTreeMap<_, _> = [
            ("env".to_string(), "dev".to_string()),
            ("team".to_string(), "payments".to_string()),
        ]
        .into();
        ensure!(tags(&out) == want, "tags {:?}, want {want:?}", tags(&out));
        ensure!(!out.has_more_tags(), "HasMoreTags true");
        k.remove_tags_from_stream()
            .stream_name(STREAM)
            .tag_keys("env")
            .send()
            .await?;
        let out = k.list_tags_for_stream().stream_name(STREAM).send().await?;
        let want: BTreeMap<_, _> = [("team".to_string(), "payments".to_string())].into();
        ensure!(
            tags(&out) == want,
            "after removing env: tags {:?}, want {want:?}",
            tags(&out)
        );
        Ok(())
    })
    .await;

    st.consumer_arn = r
        .run("register_stream_consumer", async {
            let arn = need(&st.stream_arn, "describe_stream_summary_active")?;
            let out = k
                .register_stream_consumer()
                .stream_arn(arn)
                .consumer_name(CONSUMER)
                .send()
                .await?;
            let c = out.consumer().ok_or_else(|| Fail("no Consumer".into()))?;
            ensure!(
                c.consumer_name() == CONSUMER,
                "ConsumerName {}",
                c.consumer_name()
            );
            let prefix = format!("{arn}/consumer/{CONSUMER}:");
            ensure!(
                c.consumer_arn().starts_with(&prefix),
                "ConsumerARN {} does not start with {prefix}",
                c.consumer_arn()
            );
            Ok(c.consumer_arn().to_string())
        })
        .await;

    r.run("describe_stream_consumer", async {
        let consumer = need(&st.consumer_arn, "register_stream_consumer")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = k
                .describe_stream_consumer()
                .consumer_arn(consumer)
                .send()
                .await?;
            let d = out
                .consumer_description()
                .ok_or_else(|| Fail("no ConsumerDescription".into()))?;
            ensure!(
                d.consumer_arn() == consumer,
                "ConsumerARN {}",
                d.consumer_arn()
            );
            ensure!(
                Some(d.stream_arn()) == st.stream_arn.as_deref(),
                "StreamARN {}",
                d.stream_arn()
            );
            if d.consumer_status() == &ConsumerStatus::Active {
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "consumer still {:?} after 30 s",
                d.consumer_status()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // By stream ARN and name too.
        let arn = need(&st.stream_arn, "describe_stream_summary_active")?;
        let out = k
            .describe_stream_consumer()
            .stream_arn(arn)
            .consumer_name(CONSUMER)
            .send()
            .await?;
        let got = out.consumer_description().map(|d| d.consumer_arn());
        ensure!(
            got == Some(consumer.as_str()),
            "by name: ConsumerARN {got:?}"
        );
        Ok(())
    })
    .await;

    r.run("list_stream_consumers", async {
        let arn = need(&st.stream_arn, "describe_stream_summary_active")?;
        let out = k.list_stream_consumers().stream_arn(arn).send().await?;
        let names: Vec<_> = out
            .consumers()
            .iter()
            .map(|c| (c.consumer_name(), c.consumer_status().clone()))
            .collect();
        ensure!(
            names == [(CONSUMER, ConsumerStatus::Active)],
            "consumers {names:?}"
        );
        Ok(())
    })
    .await;

    // SubscribeToShard from TRIM_HORIZON, then a resubscription after the continuation number.
    let mut subscribed_at = None;
    let continuation = r
        .run("subscribe_to_shard_trim_horizon", async {
            let consumer = need(&st.consumer_arn, "register_stream_consumer")?;
            let shard = need(&st.shard, "put_record")?;
            let written = need(&st.written, "put_records")?;
            let position = StartingPosition::builder()
                .r#type(ShardIteratorType::TrimHorizon)
                .build()?;
            subscribed_at = Some(Instant::now());
            let (got, continuation, events) = subscribe(
                k,
                consumer,
                shard,
                position,
                written.len(),
                Duration::from_secs(20),
            )
            .await?;
            let want: Vec<_> = written.iter().map(|w| (w.0.clone(), w.2.clone())).collect();
            ensure!(
                got == want,
                "records (sequence numbers) {:?}, want {:?}",
                got.iter().map(|g| &g.0).collect::<Vec<_>>(),
                want.iter().map(|w| &w.0).collect::<Vec<_>>()
            );
            ensure!(
                dec_cmp(&continuation, &written[written.len() - 1].0).is_ge(),
                "ContinuationSequenceNumber {continuation} is before the last record delivered"
            );
            ensure!(events >= 1, "no events");
            Ok(continuation)
        })
        .await;

    r.run("subscribe_to_shard_resubscribe_after_continuation", async {
        let consumer = need(&st.consumer_arn, "register_stream_consumer")?;
        let shard = need(&st.shard, "put_record")?.clone();
        let continuation = need(&continuation, "subscribe_to_shard_trim_horizon")?;
        let start = need(&st.shards, "list_shards")?
            .iter()
            .find(|s| s.shard_id() == shard)
            .and_then(|s| s.hash_key_range())
            .map(|h| h.starting_hash_key().to_string())
            .unwrap_or_default();
        // Two new records for the resubscription to deliver, nothing else.
        let mut want = Vec::new();
        for n in 4..=5u8 {
            let data = payload(n);
            let out = k
                .put_record()
                .stream_name(STREAM)
                .partition_key(format!("pk-{n}"))
                .explicit_hash_key(&start)
                .data(Blob::new(data.clone()))
                .send()
                .await?;
            ensure!(out.shard_id() == shard, "ShardId {}", out.shard_id());
            want.push((out.sequence_number().to_string(), data.clone()));
            if let Some(w) = st.written.as_mut() {
                w.push((out.sequence_number().to_string(), format!("pk-{n}"), data));
            }
        }
        // Kinesis refuses a second subscription of the same consumer and shard within 5 seconds.
        if let Some(at) = subscribed_at {
            let ready = at + Duration::from_millis(5_300);
            tokio::time::sleep_until(ready.into()).await;
        }
        let position = StartingPosition::builder()
            .r#type(ShardIteratorType::AfterSequenceNumber)
            .sequence_number(continuation)
            .build()?;
        let (got, next, _) = subscribe(
            k,
            consumer,
            &shard,
            position,
            want.len(),
            Duration::from_secs(20),
        )
        .await?;
        ensure!(
            got == want,
            "records (sequence numbers) {:?}, want exactly the two new ones {:?}",
            got.iter().map(|g| &g.0).collect::<Vec<_>>(),
            want.iter().map(|w| &w.0).collect::<Vec<_>>()
        );
        ensure!(
            dec_cmp(&next, &want[1].0).is_ge(),
            "ContinuationSequenceNumber {next} is before the last record delivered"
        );
        Ok(())
    })
    .await;

    r.run("deregister_stream_consumer", async {
        let arn = need(&st.stream_arn, "describe_stream_summary_active")?;
        let consumer = need(&st.consumer_arn, "register_stream_consumer")?;
        k.deregister_stream_consumer()
            .stream_arn(arn)
            .consumer_name(CONSUMER)
            .send()
            .await?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match k
                .describe_stream_consumer()
                .consumer_arn(consumer)
                .send()
                .await
            {
                Err(e) if e.code() == Some("ResourceNotFoundException") => break,
                Err(e) => return Err(e.into()),
                Ok(out) => {
                    let status = out
                        .consumer_description()
                        .map(|d| d.consumer_status().clone());
                    ensure!(
                        status == Some(ConsumerStatus::Deleting),
                        "after deregistering: status {status:?}"
                    );
                    ensure!(
                        Instant::now() < deadline,
                        "consumer still DELETING after 30 s"
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        let out = k.list_stream_consumers().stream_arn(arn).send().await?;
        ensure!(
            out.consumers().is_empty(),
            "consumers left: {:?}",
            out.consumers()
        );
        Ok(())
    })
    .await;

    st.children = r
        .run("split_shard", async {
            let shard = need(&st.shard, "put_record")?.clone();
            let shards = need(&st.shards, "list_shards")?;
            let (lo, hi) = shards
                .iter()
                .find(|s| s.shard_id() == shard)
                .and_then(|s| s.hash_key_range())
                .map(|h| {
                    (
                        h.starting_hash_key().to_string(),
                        h.ending_hash_key().to_string(),
                    )
                })
                .ok_or_else(|| Fail("no hash range".into()))?;
            let mid = midpoint(&lo, &hi)?;
            k.split_shard()
                .stream_name(STREAM)
                .shard_to_split(&shard)
                .new_starting_hash_key(&mid)
                .send()
                .await?;
            wait_active(k).await?;
            let out = k.list_shards().stream_name(STREAM).send().await?;
            let children: Vec<_> = out
                .shards()
                .iter()
                .filter(|s| s.parent_shard_id() == Some(shard.as_str()))
                .collect();
            ensure!(
                children.len() == 2,
                "{} children of {shard}: {:?}",
                children.len(),
                out.shards()
            );
            let ranges: Vec<_> = children
                .iter()
                .map(|c| {
                    c.hash_key_range().map(|h| {
                        (
                            h.starting_hash_key().to_string(),
                            h.ending_hash_key().to_string(),
                        )
                    })
                })
                .collect();
            let (a, b) = (
                ranges[0].clone().unwrap_or_default(),
                ranges[1].clone().unwrap_or_default(),
            );
            let (a, b) = if dec_cmp(&a.0, &b.0).is_lt() {
                (a, b)
            } else {
                (b, a)
            };
            ensure!(
                a.0 == lo && b.0 == mid && b.1 == hi && next_key(&a.1)? == mid,
                "children's hash ranges {a:?} {b:?} do not split {lo}..{hi} at {mid}"
            );
            let parent = out
                .shards()
                .iter()
                .find(|s| s.shard_id() == shard)
                .ok_or_else(|| Fail("parent no longer listed".into()))?;
            let end = parent
                .sequence_number_range()
                .and_then(|r| r.ending_sequence_number());
            ensure!(
                end.is_some_and(is_sequence_number),
                "closed parent's EndingSequenceNumber {end:?}"
            );
            let mut ids: Vec<_> = children.iter().map(|c| c.shard_id().to_string()).collect();
            ids.sort();
            Ok((ids[0].clone(), ids[1].clone()))
        })
        .await;

    r.run("get_records_closed_shard_child_shards", async {
        let shard = need(&st.shard, "put_record")?;
        let (a, b) = need(&st.children, "split_shard")?;
        let mut it = iterator(k, shard, ShardIteratorType::TrimHorizon, None).await?;
        let mut count = 0;
        for _ in 0..100 {
            let out = k.get_records().shard_iterator(&it).send().await?;
            count += out.records().len();
            match out.next_shard_iterator() {
                Some(next) => it = next.to_string(),
                None => {
                    let mut ids: Vec<_> = out
                        .child_shards()
                        .iter()
                        .map(|c| c.shard_id().to_string())
                        .collect();
                    ids.sort();
                    ensure!(
                        ids == [a.clone(), b.clone()],
                        "ChildShards {ids:?}, want [{a}, {b}]"
                    );
                    for c in out.child_shards() {
                        ensure!(
                            c.parent_shards() == [shard.clone()],
                            "{} ParentShards {:?}",
                            c.shard_id(),
                            c.parent_shards()
                        );
                    }
                    let want = need(&st.written, "put_records")?.len();
                    ensure!(
                        count == want,
                        "read {count} records from the closed shard, want {want}"
                    );
                    return Ok(());
                }
            }
        }
        Err(Fail(
            "closed shard never ended (NextShardIterator kept coming)".into(),
        ))
    })
    .await;

    r.run("merge_shards", async {
        let (a, b) = need(&st.children, "split_shard")?;
        k.merge_shards()
            .stream_name(STREAM)
            .shard_to_merge(a)
            .adjacent_shard_to_merge(b)
            .send()
            .await?;
        wait_active(k).await?;
        let out = k.list_shards().stream_name(STREAM).send().await?;
        let merged: Vec<_> = out
            .shards()
            .iter()
            .filter(|s| s.parent_shard_id() == Some(a.as_str()))
            .collect();
        ensure!(merged.len() == 1, "shards whose parent is {a}: {merged:?}");
        ensure!(
            merged[0].adjacent_parent_shard_id() == Some(b.as_str()),
            "merged shard's AdjacentParentShardId {:?}, want {b}",
            merged[0].adjacent_parent_shard_id()
        );
        ensure!(
            out.shards().len() == 5,
            "{} shards listed, want 5 (2 + 2 children + 1 merged)",
            out.shards().len()
        );
        let open = out
            .shards()
            .iter()
            .filter(|s| {
                s.sequence_number_range()
                    .is_some_and(|r| r.ending_sequence_number().is_none())
            })
            .count();
        ensure!(open == 2, "{open} open shards, want 2");
        Ok(())
    })
    .await;

    r.run("update_shard_count", async {
        let out = k
            .update_shard_count()
            .stream_name(STREAM)
            .target_shard_count(4)
            .scaling_type(ScalingType::UniformScaling)
            .send()
            .await?;
        ensure!(
            out.stream_name() == Some(STREAM),
            "StreamName {:?}",
            out.stream_name()
        );
        ensure!(
            (out.current_shard_count(), out.target_shard_count()) == (Some(2), Some(4)),
            "CurrentShardCount {:?} TargetShardCount {:?}",
            out.current_shard_count(),
            out.target_shard_count()
        );
        wait_active(k).await?;
        let s = k
            .describe_stream_summary()
            .stream_name(STREAM)
            .send()
            .await?;
        let open = s.stream_description_summary().map(|s| s.open_shard_count());
        ensure!(
            open == Some(4),
            "OpenShardCount {open:?} after scaling to 4"
        );
        Ok(())
    })
    .await;

    r.run("describe_limits", async {
        let out = k.describe_limits().send().await?;
        ensure!(
            out.open_shard_count() >= 4,
            "OpenShardCount {}",
            out.open_shard_count()
        );
        ensure!(
            out.shard_limit() >= out.open_shard_count(),
            "ShardLimit {} < OpenShardCount {}",
            out.shard_limit(),
            out.open_shard_count()
        );
        ensure!(
            out.on_demand_stream_count_limit() >= out.on_demand_stream_count(),
            "OnDemandStreamCountLimit {} < OnDemandStreamCount {}",
            out.on_demand_stream_count_limit(),
            out.on_demand_stream_count()
        );
        Ok(())
    })
    .await;

    r.run("enable_enhanced_monitoring", async {
        let out = k
            .enable_enhanced_monitoring()
            .stream_name(STREAM)
            .shard_level_metrics(MetricsName::All)
            .send()
            .await?;
        ensure!(
            out.stream_name() == Some(STREAM),
            "StreamName {:?}",
            out.stream_name()
        );
        ensure!(
            out.current_shard_level_metrics().is_empty(),
            "CurrentShardLevelMetrics {:?}",
            out.current_shard_level_metrics()
        );
        ensure!(
            out.desired_shard_level_metrics().len() == 7,
            "DesiredShardLevelMetrics {:?}, want the 7 metrics",
            out.desired_shard_level_metrics()
        );
        wait_active(k).await?;
        let s = k
            .describe_stream_summary()
            .stream_name(STREAM)
            .send()
            .await?;
        let on = s
            .stream_description_summary()
            .and_then(|s| s.enhanced_monitoring().first())
            .map(|m| m.shard_level_metrics().len());
        ensure!(
            on == Some(7),
            "EnhancedMonitoring has {on:?} metrics, want 7"
        );
        Ok(())
    })
    .await;

    r.run("disable_enhanced_monitoring", async {
        let arn = need(&st.stream_arn, "describe_stream_summary_active")?;
        // One metric by name, then ALL (the rest), by stream ARN.
        let out = k
            .disable_enhanced_monitoring()
            .stream_name(STREAM)
            .shard_level_metrics(MetricsName::IncomingBytes)
            .send()
            .await?;
        ensure!(
            out.stream_name() == Some(STREAM) && out.stream_arn() == Some(arn.as_str()),
            "StreamName {:?} StreamARN {:?}",
            out.stream_name(),
            out.stream_arn()
        );
        ensure!(
            out.current_shard_level_metrics().len() == 7,
            "CurrentShardLevelMetrics {:?}, want the 7 metrics enabled before",
            out.current_shard_level_metrics()
        );
        let rest = out.desired_shard_level_metrics().to_vec();
        ensure!(
            rest.len() == 6 && !rest.contains(&MetricsName::IncomingBytes),
            "DesiredShardLevelMetrics {rest:?}, want the 7 metrics but IncomingBytes"
        );
        wait_active(k).await?;
        let out = k
            .disable_enhanced_monitoring()
            .stream_arn(arn)
            .shard_level_metrics(MetricsName::All)
            .send()
            .await?;
        ensure!(
            out.current_shard_level_metrics() == rest,
            "CurrentShardLevelMetrics {:?}, want {rest:?}",
            out.current_shard_level_metrics()
        );
        ensure!(
            out.desired_shard_level_metrics().is_empty(),
            "DesiredShardLevelMetrics {:?} after disabling ALL",
            out.desired_shard_level_metrics()
        );
        wait_active(k).await?;
        let s = summary(k, STREAM).await?;
        let left: Vec<_> = s
            .enhanced_monitoring()
            .iter()
            .flat_map(|m| m.shard_level_metrics())
            .collect();
        ensure!(left.is_empty(), "EnhancedMonitoring still lists {left:?}");
        Ok(())
    })
    .await;

    r.run("start_stream_encryption", async {
        k.start_stream_encryption()
            .stream_name(STREAM)
            .encryption_type(EncryptionType::Kms)
            .key_id("alias/aws/kinesis")
            .send()
            .await?;
        wait_active(k).await?;
        let s = k
            .describe_stream_summary()
            .stream_name(STREAM)
            .send()
            .await?;
        let s = s
            .stream_description_summary()
            .ok_or_else(|| Fail("no summary".into()))?;
        ensure!(
            s.encryption_type() == Some(&EncryptionType::Kms),
            "EncryptionType {:?}",
            s.encryption_type()
        );
        ensure!(
            s.key_id() == Some("alias/aws/kinesis"),
            "KeyId {:?}",
            s.key_id()
        );
        // Writes to an encrypted stream answer EncryptionType KMS, and its records carry it.
        let mut wrong = Vec::new();
        let put = k
            .put_record()
            .stream_name(STREAM)
            .partition_key("enc")
            .data(Blob::new(b"encrypted".to_vec()))
            .send()
            .await?;
        if put.encryption_type() != Some(&EncryptionType::Kms) {
            wrong.push(format!(
                "PutRecord answered EncryptionType {:?}",
                put.encryption_type()
            ));
        }
        let entry = PutRecordsRequestEntry::builder()
            .partition_key("enc")
            .data(Blob::new(b"encrypted too".to_vec()))
            .build()?;
        let batch = k
            .put_records()
            .stream_name(STREAM)
            .records(entry)
            .send()
            .await?;
        ensure!(
            batch.failed_record_count() == Some(0),
            "PutRecords FailedRecordCount {:?}",
            batch.failed_record_count()
        );
        if batch.encryption_type() != Some(&EncryptionType::Kms) {
            wrong.push(format!(
                "PutRecords answered EncryptionType {:?}",
                batch.encryption_type()
            ));
        }
        let it = iterator(
            k,
            put.shard_id(),
            ShardIteratorType::AtSequenceNumber,
            Some(put.sequence_number()),
        )
        .await?;
        let got = k.get_records().shard_iterator(it).send().await?;
        let record = got
            .records()
            .first()
            .ok_or_else(|| Fail("GetRecords: the encrypted record is missing".into()))?;
        ensure!(
            record.data().as_ref() == b"encrypted",
            "GetRecords returned another record"
        );
        if record.encryption_type() != Some(&EncryptionType::Kms) {
            wrong.push(format!(
                "GetRecords returned the record with EncryptionType {:?}",
                record.encryption_type()
            ));
        }
        ensure!(
            wrong.is_empty(),
            "on a KMS-encrypted stream (AWS answers KMS in each place): {}",
            wrong.join("; ")
        );
        Ok(())
    })
    .await;

    r.run("stop_stream_encryption", async {
        k.stop_stream_encryption()
            .stream_name(STREAM)
            .encryption_type(EncryptionType::Kms)
            .key_id("alias/aws/kinesis")
            .send()
            .await?;
        wait_active(k).await?;
        let s = summary(k, STREAM).await?;
        ensure!(
            s.encryption_type() == Some(&EncryptionType::None),
            "EncryptionType {:?}, want NONE",
            s.encryption_type()
        );
        ensure!(s.key_id().is_none(), "KeyId {:?}", s.key_id());
        // Writes are no longer encrypted: a put answers NONE and its record carries no KMS.
        let put = k
            .put_record()
            .stream_name(STREAM)
            .partition_key("plain")
            .data(Blob::new(b"plain".to_vec()))
            .send()
            .await?;
        ensure!(
            put.encryption_type() == Some(&EncryptionType::None),
            "PutRecord answered EncryptionType {:?}, want NONE",
            put.encryption_type()
        );
        let it = iterator(
            k,
            put.shard_id(),
            ShardIteratorType::AtSequenceNumber,
            Some(put.sequence_number()),
        )
        .await?;
        let got = k.get_records().shard_iterator(it).send().await?;
        let record = got
            .records()
            .first()
            .ok_or_else(|| Fail("GetRecords: the record written is missing".into()))?;
        ensure!(
            record.data().as_ref() == b"plain",
            "GetRecords returned another record"
        );
        ensure!(
            record.encryption_type() != Some(&EncryptionType::Kms),
            "a record written after StopStreamEncryption has EncryptionType KMS"
        );
        Ok(())
    })
    .await;

    r.run("tag_resource_list_tags_for_resource", async {
        let arn = need(&st.stream_arn, "describe_stream_summary_active")?;
        k.tag_resource()
            .resource_arn(arn)
            .tags("sdk", "rust")
            .send()
            .await?;
        let tags = resource_tags(k, arn).await?;
        ensure!(
            tags.get("sdk").map(String::as_str) == Some("rust"),
            "tags {tags:?} lack sdk=rust"
        );
        ensure!(
            tags.get("team").map(String::as_str) == Some("payments"),
            "tags {tags:?} lack team=payments (from AddTagsToStream)"
        );
        Ok(())
    })
    .await;

    r.run("untag_resource", async {
        let arn = need(&st.stream_arn, "describe_stream_summary_active")?;
        k.untag_resource()
            .resource_arn(arn)
            .tag_keys("sdk")
            .send()
            .await?;
        let tags = resource_tags(k, arn).await?;
        let want: BTreeMap<_, _> = [("team".to_string(), "payments".to_string())].into();
        ensure!(
            tags == want,
            "after untagging sdk: tags {tags:?}, want {want:?}"
        );
        let out = k.list_tags_for_stream().stream_name(STREAM).send().await?;
        let keys: Vec<_> = out.tags().iter().map(|t| t.key()).collect();
        ensure!(
            keys == ["team"],
            "ListTagsForStream keys {keys:?}, want [team]"
        );
        Ok(())
    })
    .await;

    r.run("put_get_resource_policy", async {
        let arn = need(&st.stream_arn, "describe_stream_summary_active")?;
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kinesis:DescribeStreamSummary","Resource":"{arn}"}}]}}"#
        );
        k.put_resource_policy().resource_arn(arn).policy(&policy).send().await?;
        let out = k.get_resource_policy().resource_arn(arn).send().await?;
        ensure!(out.policy() == policy, "Policy {:?}, want {policy:?}", out.policy());
        Ok(())
    })
    .await;

    r.run("delete_resource_policy", async {
        let arn = need(&st.stream_arn, "describe_stream_summary_active")?;
        k.delete_resource_policy().resource_arn(arn).send().await?;
        // A stream without a policy answers the empty policy document.
        let out = k.get_resource_policy().resource_arn(arn).send().await?;
        ensure!(
            out.policy() == "{}",
            "Policy {:?} after DeleteResourcePolicy, want {{}}",
            out.policy()
        );
        Ok(())
    })
    .await;

    r.run("update_max_record_size", async {
        let arn = need(&st.stream_arn, "describe_stream_summary_active")?;
        k.update_max_record_size()
            .stream_arn(arn)
            .max_record_size_in_kib(2048)
            .send()
            .await?;
        wait_active(k).await?;
        let s = k
            .describe_stream_summary()
            .stream_name(STREAM)
            .send()
            .await?;
        let size = s
            .stream_description_summary()
            .and_then(|s| s.max_record_size_in_kib());
        ensure!(size == Some(2048), "MaxRecordSizeInKiB {size:?}");
        // 1.5 MiB: over the 1 MiB default, under the new limit.
        let big = vec![0xa5u8; 3 << 19];
        k.put_record()
            .stream_name(STREAM)
            .partition_key("big")
            .data(Blob::new(big))
            .send()
            .await?;
        Ok(())
    })
    .await;

    r.run("describe_account_settings", async {
        let out = k.describe_account_settings().send().await?;
        if let Some(c) = out.minimum_throughput_billing_commitment() {
            ensure!(
                !c.status().as_str().is_empty(),
                "empty MinimumThroughputBillingCommitment status"
            );
        }
        Ok(())
    })
    .await;

    // Warm throughput needs the commitment on AWS: enabled here, disabled after the on-demand checks.
    r.run("update_account_settings_enable", async {
        let enable = MinimumThroughputBillingCommitmentInput::builder()
            .status(CommitmentInput::Enabled)
            .build()?;
        let out = k
            .update_account_settings()
            .minimum_throughput_billing_commitment(enable)
            .send()
            .await?;
        let c = out
            .minimum_throughput_billing_commitment()
            .ok_or_else(|| Fail("no MinimumThroughputBillingCommitment".into()))?;
        ensure!(
            c.status() == &Commitment::Enabled,
            "Status {:?}",
            c.status()
        );
        ensure!(c.ended_at().is_none(), "EndedAt {:?}", c.ended_at());
        let (start, earliest) = c
            .started_at()
            .zip(c.earliest_allowed_end_at())
            .ok_or_else(|| Fail(format!("StartedAt or EarliestAllowedEndAt missing: {c:?}")))?;
        ensure!(
            earliest > start,
            "EarliestAllowedEndAt {earliest} not after StartedAt {start}"
        );
        let out = k.describe_account_settings().send().await?;
        ensure!(
            out.minimum_throughput_billing_commitment() == Some(c),
            "DescribeAccountSettings {:?}, want {c:?}",
            out.minimum_throughput_billing_commitment()
        );
        Ok(())
    })
    .await;

    st.on_demand_arn = r
        .run("update_stream_mode_on_demand", async {
            k.create_stream()
                .stream_name(MODE_STREAM)
                .shard_count(2)
                .send()
                .await?;
            wait_stream_active(k, MODE_STREAM).await?;
            let arn = summary(k, MODE_STREAM).await?.stream_arn().to_string();
            let on_demand = StreamModeDetails::builder()
                .stream_mode(StreamMode::OnDemand)
                .build()?;
            k.update_stream_mode()
                .stream_arn(&arn)
                .stream_mode_details(on_demand)
                .send()
                .await?;
            wait_stream_active(k, MODE_STREAM).await?;
            let s = summary(k, MODE_STREAM).await?;
            let got = s.stream_mode_details().map(|d| d.stream_mode());
            ensure!(
                got == Some(&StreamMode::OnDemand),
                "StreamModeDetails {got:?}, want ON_DEMAND"
            );
            let out = k.list_streams().send().await?;
            let listed = out
                .stream_summaries()
                .iter()
                .find(|s| s.stream_name() == MODE_STREAM)
                .and_then(|s| s.stream_mode_details())
                .map(|d| d.stream_mode());
            ensure!(
                listed == Some(&StreamMode::OnDemand),
                "ListStreams: StreamModeDetails {listed:?}, want ON_DEMAND"
            );
            let limits = k.describe_limits().send().await?;
            ensure!(
                limits.on_demand_stream_count() == 1,
                "OnDemandStreamCount {}, want 1",
                limits.on_demand_stream_count()
            );
            // Kinesis scales on-demand streams itself.
            let e = refused(
                "UpdateShardCount of an on-demand stream",
                k.update_shard_count()
                    .stream_arn(&arn)
                    .target_shard_count(4)
                    .scaling_type(ScalingType::UniformScaling)
                    .send()
                    .await,
            )?;
            ensure!(
                e.as_service_error()
                    .is_some_and(|s| s.is_validation_exception()),
                "UpdateShardCount of an on-demand stream: want ValidationException, got {}",
                DisplayErrorContext(&e)
            );
            Ok(arn)
        })
        .await;

    r.run("update_stream_record_distribution_strategy", async {
        let arn = need(&st.on_demand_arn, "update_stream_mode_on_demand")?;
        k.update_stream_record_distribution_strategy()
            .stream_arn(arn)
            .record_distribution_strategy(RecordDistributionStrategy::Auto)
            .send()
            .await?;
        wait_stream_active(k, MODE_STREAM).await?;
        let s = summary(k, MODE_STREAM).await?;
        ensure!(
            s.record_distribution_strategy() == Some(&RecordDistributionStrategy::Auto),
            "RecordDistributionStrategy {:?}, want AUTO",
            s.record_distribution_strategy()
        );
        // AUTO: a record needs no partition key, and one key's records spread over the shards.
        k.put_record()
            .stream_name(MODE_STREAM)
            .data(Blob::new(b"no key".to_vec()))
            .send()
            .await?;
        let mut req = k.put_records().stream_name(MODE_STREAM);
        for n in 0..8u8 {
            req = req.records(
                PutRecordsRequestEntry::builder()
                    .partition_key("same")
                    .data(Blob::new(payload(n)))
                    .build()?,
            );
        }
        let out = req.send().await?;
        ensure!(
            out.failed_record_count() == Some(0),
            "PutRecords FailedRecordCount {:?}",
            out.failed_record_count()
        );
        let shards: std::collections::BTreeSet<_> =
            out.records().iter().filter_map(|e| e.shard_id()).collect();
        ensure!(
            shards.len() > 1,
            "8 records with one partition key all went to {shards:?} under AUTO"
        );
        // Back to USER_PARTITION_KEY: a partition key is required again.
        k.update_stream_record_distribution_strategy()
            .stream_arn(arn)
            .record_distribution_strategy(RecordDistributionStrategy::UserPartitionKey)
            .send()
            .await?;
        wait_stream_active(k, MODE_STREAM).await?;
        let s = summary(k, MODE_STREAM).await?;
        ensure!(
            s.record_distribution_strategy() == Some(&RecordDistributionStrategy::UserPartitionKey),
            "RecordDistributionStrategy {:?}, want USER_PARTITION_KEY",
            s.record_distribution_strategy()
        );
        let e = refused(
            "PutRecord without a partition key under USER_PARTITION_KEY",
            k.put_record()
                .stream_name(MODE_STREAM)
                .data(Blob::new(b"no key".to_vec()))
                .send()
                .await,
        )?;
        ensure!(
            e.code() == Some("ValidationException"),
            "PutRecord without a partition key: want ValidationException, got {}",
            DisplayErrorContext(&e)
        );
        Ok(())
    })
    .await;

    r.run("update_stream_warm_throughput", async {
        let arn = need(&st.on_demand_arn, "update_stream_mode_on_demand")?;
        let out = k
            .update_stream_warm_throughput()
            .stream_arn(arn)
            .warm_throughput_mibps(10)
            .send()
            .await?;
        ensure!(
            out.stream_name() == Some(MODE_STREAM) && out.stream_arn() == Some(arn.as_str()),
            "StreamName {:?} StreamARN {:?}",
            out.stream_name(),
            out.stream_arn()
        );
        let target = out.warm_throughput().and_then(|w| w.target_mibps());
        ensure!(
            target == Some(10),
            "WarmThroughput TargetMiBps {target:?}, want 10"
        );
        wait_stream_active(k, MODE_STREAM).await?;
        let s = summary(k, MODE_STREAM).await?;
        let target = s.warm_throughput().and_then(|w| w.target_mibps());
        ensure!(
            target == Some(10),
            "DescribeStreamSummary: WarmThroughput {:?}, want TargetMiBps 10",
            s.warm_throughput()
        );
        Ok(())
    })
    .await;

    r.run("update_stream_mode_provisioned", async {
        let arn = need(&st.on_demand_arn, "update_stream_mode_on_demand")?;
        let provisioned = StreamModeDetails::builder()
            .stream_mode(StreamMode::Provisioned)
            .build()?;
        k.update_stream_mode()
            .stream_arn(arn)
            .stream_mode_details(provisioned)
            .send()
            .await?;
        wait_stream_active(k, MODE_STREAM).await?;
        let s = summary(k, MODE_STREAM).await?;
        let got = s.stream_mode_details().map(|d| d.stream_mode());
        ensure!(
            got == Some(&StreamMode::Provisioned),
            "StreamModeDetails {got:?}, want PROVISIONED"
        );
        let limits = k.describe_limits().send().await?;
        ensure!(
            limits.on_demand_stream_count() == 0,
            "OnDemandStreamCount {}, want 0",
            limits.on_demand_stream_count()
        );
        // Both settings exist for on-demand streams only.
        let e = refused(
            "UpdateStreamRecordDistributionStrategy AUTO on a provisioned stream",
            k.update_stream_record_distribution_strategy()
                .stream_arn(arn)
                .record_distribution_strategy(RecordDistributionStrategy::Auto)
                .send()
                .await,
        )?;
        ensure!(
            e.as_service_error()
                .is_some_and(|s| s.is_invalid_argument_exception()),
            "UpdateStreamRecordDistributionStrategy on a provisioned stream: want InvalidArgumentException, got {}",
            DisplayErrorContext(&e)
        );
        let e = refused(
            "UpdateStreamWarmThroughput on a provisioned stream",
            k.update_stream_warm_throughput()
                .stream_arn(arn)
                .warm_throughput_mibps(20)
                .send()
                .await,
        )?;
        ensure!(
            e.as_service_error()
                .is_some_and(|s| s.is_invalid_argument_exception()),
            "UpdateStreamWarmThroughput on a provisioned stream: want InvalidArgumentException, got {}",
            DisplayErrorContext(&e)
        );
        Ok(())
    })
    .await;

    r.run("update_account_settings_disable", async {
        let before = k.describe_account_settings().send().await?;
        let started = before
            .minimum_throughput_billing_commitment()
            .and_then(|c| c.started_at())
            .ok_or_else(|| {
                Fail("not run: depends on `update_account_settings_enable`, which failed".into())
            })?;
        let disable = MinimumThroughputBillingCommitmentInput::builder()
            .status(CommitmentInput::Disabled)
            .build()?;
        let out = k
            .update_account_settings()
            .minimum_throughput_billing_commitment(disable)
            .send()
            .await?;
        let c = out
            .minimum_throughput_billing_commitment()
            .ok_or_else(|| Fail("no MinimumThroughputBillingCommitment".into()))?;
        // Within its first day a commitment runs on until its earliest allowed end.
        ensure!(
            c.status() == &Commitment::EnabledUntilEarliestAllowedEnd,
            "Status {:?}, want ENABLED_UNTIL_EARLIEST_ALLOWED_END",
            c.status()
        );
        ensure!(
            c.started_at() == Some(started),
            "StartedAt {:?}, want {started} as before",
            c.started_at()
        );
        ensure!(
            c.ended_at().is_some() && c.ended_at() == c.earliest_allowed_end_at(),
            "EndedAt {:?}, want EarliestAllowedEndAt {:?}",
            c.ended_at(),
            c.earliest_allowed_end_at()
        );
        let out = k.describe_account_settings().send().await?;
        ensure!(
            out.minimum_throughput_billing_commitment() == Some(c),
            "DescribeAccountSettings {:?}, want {c:?}",
            out.minimum_throughput_billing_commitment()
        );
        Ok(())
    })
    .await;

    r.run("describe_stream_missing_is_resource_not_found", async {
        match k.describe_stream().stream_name("nope").send().await {
            Ok(out) => Err(Fail(format!(
                "describe_stream of a missing stream succeeded: {out:?}"
            ))),
            Err(e) => {
                let want = format!("Stream nope under account {ACCOUNT} not found.");
                let modeled = e
                    .as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception());
                ensure!(
                    modeled
                        && e.code() == Some("ResourceNotFoundException")
                        && e.message() == Some(want.as_str()),
                    "want ResourceNotFoundException {want:?}, got {}",
                    DisplayErrorContext(&e)
                );
                Ok(())
            }
        }
    })
    .await;

    channels::run(k, &mut r).await;

    r.run("delete_stream", async {
        delete_stream(k, STREAM).await?;
        let out = k.list_streams().send().await?;
        ensure!(
            !out.stream_names().iter().any(|n| n == STREAM),
            "still listed: {:?}",
            out.stream_names()
        );
        Ok(())
    })
    .await;

    r.run("delete_mode_stream", async {
        delete_stream(k, MODE_STREAM).await?;
        let out = k.list_streams().send().await?;
        ensure!(
            out.stream_names().is_empty(),
            "streams left: {:?}",
            out.stream_names()
        );
        Ok(())
    })
    .await;

    println!("sdk: {} passed, {} failed", r.passed, r.failed);
    std::process::exit(if r.failed == 0 { 0 } else { 1 });
}

//! `push-compare`: enhanced fan-out (push) delivery for 1, 4 and 16 subscribers of one shard, three
//! ways in one run, and one markdown table:
//!
//! - **in process**: `Store::subscribe(.., StartingPosition::Latest)` and `Subscription::next_event`
//!   on one thread per subscriber, the producer calling `put_record` / `put_records`;
//! - **HTTP/1.1**: `shardlog serve`, one registered consumer and one connection per subscriber,
//!   SubscribeToShard in JSON (a chunked `application/vnd.amazon.eventstream` body, records'
//!   data in base64), one thread per subscriber;
//! - **HTTP/2**: the same server over h2c with prior knowledge, every subscription multiplexed on
//!   ONE connection (hyper's client, default windows: 2 MiB per stream, 5 MiB per connection),
//!   SubscribeToShard in CBOR (data as byte strings), as the Java SDK and the KCL subscribe.
//!
//! For the server ways the producer writes over its own HTTP/1.1 keep-alive JSON connection.
//! Each measurement has two phases on the same subscriptions:
//!
//! - **latency**: `--latency-puts` PutRecord calls of 1 KiB, one at a time, `--gap-us` apart; the
//!   next put waits until every subscriber has the record. Latency = the time a subscriber has
//!   decoded the event holding the record − the time just before the put call started; p50 and
//!   p99 over all subscribers' receipts.
//! - **throughput**: `--records` records of 1 KiB in PutRecords of 500, as fast as one producer
//!   can; records/s per subscriber = records ÷ the time until the LAST subscriber has all of them.
//!
//! Every record's data starts with its index (8 bytes, little endian) followed by fixed pseudo-random
//! bytes; every subscriber checks that it gets every record exactly once, in order, with the right
//! data, and the run fails loudly otherwise.
//!
//! ```text
//! cargo build --release -p shardlog-cli -p shardlog-benches
//! target/release/push-compare [--subscribers 1,4,16] [--latency-puts N (500)] [--gap-us N (2000)]
//!     [--records N (100000)] [--sync] [--ways in-process,http1,http2] [--shardlog PATH]
//!     [--dir PATH]
//! ```
//!
//! The server runs with `--durability none` and the store in process with `Durability::None`
//! unless `--sync` is given (then `sync` for both). Every measurement gets a fresh store and a
//! fresh server. Progress goes to stderr, the table to stdout.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Value};
use shardlog::{Durability, PutEntry, ShardId, StartingPosition, Store, StoreOptions};
use shardlog_benches::engine::partition_keys;
use shardlog_benches::kinesis_http::{
    cpu_ms, read_head, stream_with_consumers, Client, Server, JSON,
};
use shardlog_benches::report::{loadavg, machine, today};
use shardlog_benches::{percentile, Payloads, Res};
use shardlog_server::eventstream;
use shardlog_storage::MutexExt as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Records per PutRecords call (the Kinesis maximum) and data bytes per record.
const BATCH: usize = 500;
const SIZE: usize = 1024;
/// The stream: one shard, which every subscriber reads.
const STREAM: &str = "push";
const SHARD: &str = "shardId-000000000000";
const CBOR: &str = "application/x-amz-cbor-1.1";
/// A subscriber that gets no new record for this long while records are due fails the run.
const STALL: Duration = Duration::from_secs(30);

const HELP: &str = "push-compare [--subscribers 1,4,16] [--latency-puts N (500)] [--gap-us N (2000)] \
[--records N (100000)] [--sync] [--ways in-process,http1,http2] [--shardlog PATH (next to this binary)] \
[--dir PATH (a tempdir under /tmp)]";

/// How the subscribers get their records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    InProcess,
    Http1,
    Http2,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::InProcess => "in process (`Subscription::next_event`)",
            Way::Http1 => "HTTP/1.1, JSON, a connection per subscriber",
            Way::Http2 => "HTTP/2 (h2c), CBOR, one connection",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Way::InProcess => "in-process",
            Way::Http1 => "http1",
            Way::Http2 => "http2",
        }
    }
}

#[derive(Debug, Clone)]
struct Args {
    subscribers: Vec<usize>,
    latency_puts: usize,
    gap: Duration,
    records: usize,
    sync: bool,
    ways: Vec<Way>,
    shardlog: PathBuf,
    dir: Option<PathBuf>,
}

impl Args {
    fn parse() -> Res<Args> {
        let exe = std::env::current_exe()?;
        let mut a = Args {
            subscribers: vec![1, 4, 16],
            latency_puts: 500,
            gap: Duration::from_micros(2000),
            records: 100_000,
            sync: false,
            ways: vec![Way::InProcess, Way::Http1, Way::Http2],
            shardlog: exe.with_file_name("shardlog"),
            dir: None,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--subscribers" => {
                    a.subscribers = value()?
                        .split(',')
                        .map(|s| s.trim().parse::<usize>())
                        .collect::<Result<_, _>>()?;
                }
                "--latency-puts" => a.latency_puts = value()?.replace('_', "").parse()?,
                "--gap-us" => a.gap = Duration::from_micros(value()?.parse()?),
                "--records" => a.records = value()?.replace('_', "").parse()?,
                "--sync" => a.sync = true,
                "--ways" => {
                    a.ways = value()?
                        .split(',')
                        .map(|w| match w.trim() {
                            "in-process" => Ok(Way::InProcess),
                            "http1" => Ok(Way::Http1),
                            "http2" => Ok(Way::Http2),
                            other => Err(format!("unknown way {other:?}")),
                        })
                        .collect::<Result<_, _>>()?;
                }
                "--shardlog" => a.shardlog = value()?.into(),
                "--dir" => a.dir = Some(value()?.into()),
                "-h" | "--help" => {
                    println!("{HELP}");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}\n{HELP}").into()),
            }
        }
        if a.subscribers.contains(&0) || !a.records.is_multiple_of(BATCH) || a.latency_puts == 0 {
            return Err(format!(
                "subscriber counts must be at least 1, --records a multiple of {BATCH}, --latency-puts at least 1"
            )
            .into());
        }
        Ok(a)
    }

    fn durability(&self) -> Durability {
        if self.sync {
            Durability::Sync
        } else {
            Durability::None
        }
    }

    fn durability_flag(&self) -> &'static str {
        if self.sync {
            "sync"
        } else {
            "none"
        }
    }

    /// Records of one measurement: the latency records first, then the throughput records.
    fn total(&self) -> usize {
        self.latency_puts + self.records
    }
}

/// What the subscribers of one measurement tell the producer: how many are subscribed, how many
/// latency records they have received in all, and the first failure.
#[derive(Debug, Default)]
struct State {
    ready: usize,
    receipts: usize,
    failed: Option<String>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    cv: Condvar,
}

impl Shared {
    fn update(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.locked());
        self.cv.notify_all();
    }

    fn fail(&self, e: &str) {
        self.update(|s| {
            s.failed.get_or_insert_with(|| e.to_string());
        });
    }

    /// Waits until `done` holds, a subscriber failed, or `timeout` passed.
    fn wait(&self, what: &str, timeout: Duration, done: impl Fn(&State) -> bool) -> Res<()> {
        let deadline = Instant::now() + timeout;
        let mut s = self.state.locked();
        loop {
            if let Some(e) = &s.failed {
                return Err(e.clone().into());
            }
            if done(&s) {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("waited {timeout:?} for {what}: {s:?}").into());
            }
            s = self
                .cv
                .wait_timeout(s, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// One subscriber's bookkeeping: the next record it must get, when it got each latency record,
/// and when it got the last record.
struct Tracker {
    who: String,
    next: usize,
    latency_puts: usize,
    total: usize,
    payloads: Arc<Payloads>,
    shared: Arc<Shared>,
    latency_at: Vec<Instant>,
    last_at: Option<Instant>,
    progress_at: Instant,
}

impl Tracker {
    fn new(who: String, args: &Args, payloads: &Arc<Payloads>, shared: &Arc<Shared>) -> Tracker {
        Tracker {
            who,
            next: 0,
            latency_puts: args.latency_puts,
            total: args.total(),
            payloads: payloads.clone(),
            shared: shared.clone(),
            latency_at: Vec::with_capacity(args.latency_puts),
            last_at: None,
            progress_at: Instant::now(),
        }
    }

    /// One record's data, received at `at`: it must be the next record, intact.
    fn record(&mut self, data: &[u8], at: Instant) -> Res<()> {
        let index = data
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
            .ok_or_else(|| format!("{}: a record of {} bytes", self.who, data.len()))?
            as usize;
        if index != self.next {
            let what = if index < self.next {
                "a repeated record"
            } else {
                "lost records"
            };
            return Err(format!(
                "{}: {what}: expected record {} next, got record {index}",
                self.who, self.next
            )
            .into());
        }
        if index >= self.total || data[8..] != self.payloads.record(index).1[8..] {
            return Err(format!("{}: record {index} has the wrong data", self.who).into());
        }
        self.next += 1;
        self.progress_at = at;
        if index < self.latency_puts {
            self.latency_at.push(at);
            self.shared.update(|s| s.receipts += 1);
        }
        if self.next == self.total {
            self.last_at = Some(at);
        }
        Ok(())
    }

    fn done(&self) -> bool {
        self.next == self.total
    }

    fn check_stall(&self) -> Res<()> {
        if self.progress_at.elapsed() > STALL {
            return Err(format!(
                "{}: no new record for {STALL:?}; stuck before record {} of {}",
                self.who, self.next, self.total
            )
            .into());
        }
        Ok(())
    }

    /// Runs `f` on the tracker; a failure is reported to the producer as well.
    fn run(mut self, f: impl FnOnce(&mut Tracker) -> Res<()>) -> Res<Tracker> {
        match f(&mut self) {
            Ok(()) => Ok(self),
            Err(e) => {
                let e = if e.to_string().starts_with(&self.who) {
                    e.to_string()
                } else {
                    format!("{}: {e}", self.who)
                };
                self.shared.fail(&e);
                Err(e.into())
            }
        }
    }
}

/// Waits for the subscribers and hands back their trackers.
type Joiner = Box<dyn FnOnce() -> Res<Vec<Tracker>>>;

fn join_threads(handles: Vec<std::thread::JoinHandle<Res<Tracker>>>) -> Res<Vec<Tracker>> {
    let mut out = Vec::new();
    let mut first_error = None;
    for h in handles {
        match h.join().map_err(|_| "a subscriber thread panicked")? {
            Ok(t) => out.push(t),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// The records of one measurement: keys and 1 KiB of data each, record `i`'s data starting with
/// `i`.
struct Records {
    keys: Vec<String>,
    blob: Vec<u8>,
}

impl Records {
    fn new(args: &Args, payloads: &Payloads) -> Records {
        let total = args.total();
        let mut blob = Vec::with_capacity(total * SIZE);
        for i in 0..total {
            let data = payloads.record(i).1;
            blob.extend_from_slice(&(i as u64).to_le_bytes());
            blob.extend_from_slice(&data[8..]);
        }
        Records {
            keys: partition_keys(total, 0x9005),
            blob,
        }
    }

    fn data(&self, i: usize) -> &[u8] {
        &self.blob[i * SIZE..(i + 1) * SIZE]
    }

    fn entry(&self, i: usize) -> PutEntry<'_> {
        PutEntry::new(&self.keys[i], self.data(i))
    }
}

/// Puts one record (latency phase) or one batch of [`BATCH`] (throughput phase).
trait Producer {
    fn put_one(&mut self, i: usize) -> Res<()>;
    fn put_batch(&mut self, first: usize) -> Res<()>;
}

struct InProcessProducer<'a> {
    store: &'a Store,
    records: &'a Records,
}

impl Producer for InProcessProducer<'_> {
    fn put_one(&mut self, i: usize) -> Res<()> {
        self.store.put_record(STREAM, self.records.entry(i))?;
        Ok(())
    }

    fn put_batch(&mut self, first: usize) -> Res<()> {
        let entries: Vec<PutEntry<'_>> = (first..first + BATCH)
            .map(|i| self.records.entry(i))
            .collect();
        let out = self.store.put_records(STREAM, &entries)?;
        if out.failed_record_count != 0 {
            return Err(format!("put_records: {} entries failed", out.failed_record_count).into());
        }
        Ok(())
    }
}

/// The server ways' producer: JSON bodies built before the clock starts, sent over one keep-alive
/// HTTP/1.1 connection.
struct HttpProducer {
    client: Client,
    /// PutRecord bodies of the latency records.
    one: Vec<Vec<u8>>,
    /// PutRecords bodies of the throughput records, by batch.
    batches: Vec<Vec<u8>>,
    latency_puts: usize,
}

impl HttpProducer {
    fn new(addr: SocketAddr, args: &Args, records: &Records) -> Res<HttpProducer> {
        let one = (0..args.latency_puts)
            .map(|i| {
                json!({
                    "StreamName": STREAM,
                    "PartitionKey": records.keys[i],
                    "Data": STANDARD.encode(records.data(i)),
                })
                .to_string()
                .into_bytes()
            })
            .collect();
        let batches = (args.latency_puts..args.total())
            .step_by(BATCH)
            .map(|first| {
                let entries: Vec<Value> = (first..first + BATCH)
                    .map(|i| {
                        json!({
                            "PartitionKey": records.keys[i],
                            "Data": STANDARD.encode(records.data(i)),
                        })
                    })
                    .collect();
                json!({"StreamName": STREAM, "Records": entries})
                    .to_string()
                    .into_bytes()
            })
            .collect();
        Ok(HttpProducer {
            client: Client::connect(addr)?,
            one,
            batches,
            latency_puts: args.latency_puts,
        })
    }
}

impl Producer for HttpProducer {
    fn put_one(&mut self, i: usize) -> Res<()> {
        self.client.send("PutRecord", JSON, &self.one[i])?;
        Ok(())
    }

    fn put_batch(&mut self, first: usize) -> Res<()> {
        let body = &self.batches[(first - self.latency_puts) / BATCH];
        let out: Value = serde_json::from_slice(&self.client.send("PutRecords", JSON, body)?)?;
        if out["FailedRecordCount"].as_u64() != Some(0) {
            return Err(
                format!("PutRecords: FailedRecordCount {}", out["FailedRecordCount"]).into(),
            );
        }
        Ok(())
    }
}

/// What one measurement found.
#[derive(Debug, Clone)]
struct Outcome {
    way: Way,
    subscribers: usize,
    p50: Duration,
    p99: Duration,
    /// Records/s delivered per subscriber in the throughput phase.
    delivered: f64,
    /// Records/s the producer wrote in the throughput phase.
    put: f64,
    /// CPU time (user + system) during the throughput phase, in ms per 1,000 records delivered
    /// (records × subscribers): of this process (subscribers and producer) and of the server.
    client_cpu: f64,
    server_cpu: f64,
}

/// The two phases, once the subscribers are subscribed.
fn produce(
    args: &Args,
    n: usize,
    producer: &mut dyn Producer,
    shared: &Shared,
    join: Joiner,
    way: Way,
    server: Option<u32>,
) -> Res<Outcome> {
    let cpu = || -> Res<(f64, f64)> {
        let server = server.map_or(Ok(0.0), |pid| cpu_ms(&pid.to_string()))?;
        Ok((cpu_ms("self")?, server))
    };
    shared.wait("the subscriptions", Duration::from_secs(30), |s| {
        s.ready >= n
    })?;
    let mut started = Vec::with_capacity(args.latency_puts);
    for i in 0..args.latency_puts {
        std::thread::sleep(args.gap);
        started.push(Instant::now());
        producer.put_one(i)?;
        shared.wait(
            &format!("record {i} at every subscriber"),
            Duration::from_secs(20),
            |s| s.receipts >= (i + 1) * n,
        )?;
    }
    let cpu_before = cpu()?;
    let t0 = Instant::now();
    for first in (args.latency_puts..args.total()).step_by(BATCH) {
        producer.put_batch(first)?;
    }
    let put_time = t0.elapsed();
    let trackers = join()?;
    let cpu_after = cpu()?;
    if trackers.len() != n {
        return Err(format!("{} of {n} subscribers came back", trackers.len()).into());
    }
    let mut latencies = Vec::with_capacity(n * args.latency_puts);
    let mut last = t0;
    for t in &trackers {
        latencies.extend(
            t.latency_at
                .iter()
                .zip(&started)
                .map(|(at, start)| at.saturating_duration_since(*start)),
        );
        last = last.max(t.last_at.ok_or("a subscriber did not finish")?);
    }
    latencies.sort_unstable();
    let delivered = args.records as f64 / last.duration_since(t0).as_secs_f64();
    let put = args.records as f64 / put_time.as_secs_f64();
    Ok(Outcome {
        way,
        subscribers: n,
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
        delivered,
        put,
        client_cpu: (cpu_after.0 - cpu_before.0) / ((args.records * n) as f64 / 1000.0),
        server_cpu: (cpu_after.1 - cpu_before.1) / ((args.records * n) as f64 / 1000.0),
    })
}

// ---------------------------------------------------------------------------------------------
// In process.

fn measure_in_process(args: &Args, n: usize, dir: &Path, payloads: &Arc<Payloads>) -> Res<Outcome> {
    let records = Records::new(args, payloads);
    let store = Store::open(
        dir,
        StoreOptions {
            durability: args.durability(),
            ..StoreOptions::default()
        },
    )?;
    store.create_stream(STREAM, 1)?;
    let shared = Arc::new(Shared::default());
    let mut handles = Vec::with_capacity(n);
    for k in 0..n {
        let mut sub = store.subscribe(STREAM, ShardId(0), StartingPosition::Latest)?;
        let tracker = Tracker::new(
            format!("in-process subscriber {k}"),
            args,
            payloads,
            &shared,
        );
        shared.update(|s| s.ready += 1);
        handles.push(std::thread::spawn(move || {
            tracker.run(|t| {
                while !t.done() {
                    let ev = sub.next_event(Duration::from_millis(500))?;
                    let at = Instant::now();
                    for r in &ev.records {
                        t.record(&r.data, at)?;
                    }
                    t.check_stall()?;
                }
                Ok(())
            })
        }));
    }
    let mut producer = InProcessProducer {
        store: &store,
        records: &records,
    };
    let join: Joiner = Box::new(move || join_threads(handles));
    let out = produce(args, n, &mut producer, &shared, join, Way::InProcess, None);
    store.close()?;
    out
}

// ---------------------------------------------------------------------------------------------
// The server ways.

fn subscribe_input(consumer_arn: &str) -> Value {
    json!({
        "ConsumerARN": consumer_arn,
        "ShardId": SHARD,
        "StartingPosition": {"Type": "LATEST"},
    })
}

fn measure_server(
    args: &Args,
    way: Way,
    n: usize,
    dir: &Path,
    payloads: &Arc<Payloads>,
) -> Res<Outcome> {
    let mut server = Server::start(&args.shardlog, dir, args.durability_flag())?;
    let out = measure_on(args, way, n, &server, payloads);
    server.stop();
    out
}

fn measure_on(
    args: &Args,
    way: Way,
    n: usize,
    server: &Server,
    payloads: &Arc<Payloads>,
) -> Res<Outcome> {
    let addr = server.addr;
    let arns = stream_with_consumers(addr, STREAM, n, "push")?;
    let records = Records::new(args, payloads);
    let mut producer = HttpProducer::new(addr, args, &records)?;
    drop(records);
    let shared = Arc::new(Shared::default());
    let trackers: Vec<Tracker> = (0..n)
        .map(|k| {
            Tracker::new(
                format!("{} subscriber {k}", way.short()),
                args,
                payloads,
                &shared,
            )
        })
        .collect();
    let join: Joiner = match way {
        Way::Http1 => {
            let handles = arns
                .into_iter()
                .zip(trackers)
                .map(|(arn, t)| {
                    std::thread::spawn(move || t.run(|t| http1_subscriber(addr, &arn, t)))
                })
                .collect();
            Box::new(move || join_threads(handles))
        }
        Way::Http2 => {
            let failed = shared.clone();
            let handle = std::thread::spawn(move || {
                let out = http2_subscribers(addr, arns, trackers);
                if let Err(e) = &out {
                    failed.fail(&e.to_string());
                }
                out
            });
            Box::new(move || handle.join().map_err(|_| "the HTTP/2 thread panicked")?)
        }
        Way::InProcess => return Err("not a server way".into()),
    };
    produce(
        args,
        n,
        &mut producer,
        &shared,
        join,
        way,
        Some(server.child.id()),
    )
}

/// Handles one event-stream message of a subscription.
fn on_message(
    headers: &[(String, String)],
    payload: &[u8],
    cbor: bool,
    t: &mut Tracker,
) -> Res<()> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    };
    match (header(":message-type"), header(":event-type")) {
        ("event", "initial-response") => t.shared.update(|s| s.ready += 1),
        ("event", "SubscribeToShardEvent") => {
            let ev: Event = if cbor {
                ciborium::de::from_reader(payload)?
            } else {
                serde_json::from_slice(payload)?
            };
            let at = Instant::now();
            for r in &ev.records {
                t.record(&r.data.0, at)?;
            }
        }
        _ => {
            return Err(format!(
                "unexpected message {headers:?}: {}",
                String::from_utf8_lossy(payload)
            )
            .into())
        }
    }
    Ok(())
}

/// Decodes every complete message at the front of `buf` and removes them.
fn drain(buf: &mut Vec<u8>, cbor: bool, t: &mut Tracker) -> Res<()> {
    let mut pos = 0;
    while let Some((headers, payload, used)) = eventstream::decode(&buf[pos..]) {
        on_message(&headers, payload, cbor, t)?;
        pos += used;
    }
    buf.drain(..pos);
    Ok(())
}

/// A `SubscribeToShardEvent`: only the records' data is used.
#[derive(serde::Deserialize)]
struct Event {
    #[serde(rename = "Records")]
    records: Vec<EventRecord>,
}

#[derive(serde::Deserialize)]
struct EventRecord {
    #[serde(rename = "Data")]
    data: Blob,
}

/// Record data: base64 text in JSON, a byte string in CBOR.
struct Blob(Vec<u8>);

impl<'de> serde::Deserialize<'de> for Blob {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Blob;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("base64 text or a byte string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Blob, E> {
                STANDARD.decode(s).map(Blob).map_err(E::custom)
            }
            fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<Blob, E> {
                Ok(Blob(b.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, b: Vec<u8>) -> Result<Blob, E> {
                Ok(Blob(b))
            }
        }
        d.deserialize_any(V)
    }
}

/// One subscriber over HTTP/1.1: its own connection, SubscribeToShard in JSON, the chunked event
/// stream read on this thread until every record arrived.
fn http1_subscriber(addr: SocketAddr, consumer_arn: &str, t: &mut Tracker) -> Res<()> {
    let s = TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    // The server sends an event at least every 5 s.
    s.set_read_timeout(Some(STALL))?;
    let body = subscribe_input(consumer_arn).to_string();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: Kinesis_20131202.SubscribeToShard\r\nContent-Type: {JSON}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut r = BufReader::with_capacity(256 << 10, s);
    r.get_mut().write_all(head.as_bytes())?;
    r.get_mut().write_all(body.as_bytes())?;
    let (status, chunked, length) = read_head(&mut r)?;
    if status != 200 || !chunked {
        let mut text = vec![0; length.unwrap_or(0)];
        r.read_exact(&mut text)?;
        return Err(format!(
            "SubscribeToShard: HTTP {status}: {}",
            String::from_utf8_lossy(&text)
        )
        .into());
    }
    let mut buf = Vec::with_capacity(4 << 20);
    let mut line = String::new();
    while !t.done() {
        line.clear();
        r.read_line(&mut line)?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size =
            usize::from_str_radix(size, 16).map_err(|e| format!("chunk size {line:?}: {e}"))?;
        if size == 0 {
            return Err("the server ended the subscription".into());
        }
        let at = buf.len();
        buf.resize(at + size, 0);
        r.read_exact(&mut buf[at..])?;
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf)?;
        drain(&mut buf, false, t)?;
        t.check_stall()?;
    }
    Ok(())
}

/// Every subscriber over ONE HTTP/2 connection (h2c, prior knowledge), SubscribeToShard in CBOR,
/// each stream read by its own task on a tokio runtime with a worker thread per core.
fn http2_subscribers(
    addr: SocketAddr,
    arns: Vec<String>,
    trackers: Vec<Tracker>,
) -> Res<Vec<Tracker>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let (send, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp)).await?;
        tokio::spawn(conn);
        let mut tasks = Vec::with_capacity(arns.len());
        for (arn, tracker) in arns.iter().zip(trackers) {
            let mut body = Vec::new();
            ciborium::ser::into_writer(&subscribe_input(arn), &mut body)?;
            let request = hyper::Request::post("http://localhost/")
                .header("x-amz-target", "Kinesis_20131202.SubscribeToShard")
                .header("content-type", CBOR)
                .body(Full::new(Bytes::from(body)))?;
            let response = send.clone().send_request(request).await?;
            if response.version() != hyper::Version::HTTP_2 || response.status() != 200 {
                let status = response.status();
                let text = response.into_body().collect().await?.to_bytes();
                return Err(format!(
                    "SubscribeToShard over HTTP/2: {status}: {}",
                    String::from_utf8_lossy(&text)
                )
                .into());
            }
            let body = response.into_body();
            tasks.push(tokio::spawn(async move {
                let mut tracker = tracker;
                let result = h2_reader(body, &mut tracker).await;
                tracker.run(|_| result)
            }));
        }
        let mut out = Vec::with_capacity(tasks.len());
        let mut first_error = None;
        for task in tasks {
            match task.await? {
                Ok(t) => out.push(t),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(out),
        }
    })
}

async fn h2_reader(mut body: hyper::body::Incoming, t: &mut Tracker) -> Res<()> {
    let mut buf = Vec::with_capacity(4 << 20);
    while !t.done() {
        let frame = match tokio::time::timeout(STALL, body.frame()).await {
            Err(_) => return Err(format!("no frame for {STALL:?}").into()),
            Ok(None) => return Err("the server ended the subscription".into()),
            Ok(Some(frame)) => frame?,
        };
        if let Ok(data) = frame.into_data() {
            buf.extend_from_slice(&data);
            drain(&mut buf, true, t)?;
            t.check_stall()?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The table.

fn duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}

fn print_table(args: &Args, outcomes: &[Outcome], load_before: &str, root: &Path) {
    let durability = if args.sync {
        "`shardlog serve --durability sync`, `Durability::Sync` in process"
    } else {
        "`shardlog serve --durability none`, `Durability::None` in process"
    };
    println!(
        "push-compare, {}: one shard; latency: {} PutRecord of {SIZE} B, {} µs apart, each awaited by every subscriber; \
         throughput: {} records of {SIZE} B in PutRecords of {BATCH} from one producer; {durability}; \
         the server ways' producer on its own HTTP/1.1 keep-alive JSON connection; \
         CPU: user + system time in the throughput phase of this process (subscribers and producer) and of the server, from /proc (10 ms ticks); \
         last column: p50 latency ÷ in process's p50 at the same subscriber count (higher is slower) / records/s per subscriber ÷ in process's; \
         load average {load_before} before, {} after; {}",
        today(),
        args.latency_puts,
        args.gap.as_micros(),
        args.records,
        loadavg(),
        machine(root),
    );
    println!();
    println!(
        "| Way | Subscribers | p50 latency | p99 latency | records/s per subscriber | producer records/s | CPU ms per 1,000 deliveries: bench process + server | vs in process: p50 latency, records/s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for o in outcomes {
        let base = outcomes
            .iter()
            .find(|b| b.way == Way::InProcess && b.subscribers == o.subscribers);
        let ratio = match base {
            Some(_) if o.way == Way::InProcess => "baseline".to_string(),
            Some(b) => format!(
                "{:.1}× / {:.2}×",
                o.p50.as_secs_f64() / b.p50.as_secs_f64(),
                o.delivered / b.delivered
            ),
            None => "—".to_string(),
        };
        println!(
            "| {} | {} | {} | {} | {:.0} | {:.0} | {:.2} + {} | {ratio} |",
            o.way.name(),
            o.subscribers,
            duration(o.p50),
            duration(o.p99),
            o.delivered,
            o.put,
            o.client_cpu,
            if o.way == Way::InProcess {
                "—".to_string()
            } else {
                format!("{:.2}", o.server_cpu)
            },
        );
    }
}

fn main() -> Res<()> {
    let args = Args::parse()?;
    let work = shardlog_benches::WorkDir::new(args.dir.as_deref(), "push-compare")?;
    let root = work.path().to_path_buf();
    let load_before = loadavg();
    let payloads = Arc::new(Payloads::new(SIZE));
    let mut outcomes = Vec::new();
    for &n in &args.subscribers {
        for &way in &args.ways {
            let dir = root.join(format!("{}-{n}", way.short()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir)?;
            eprintln!("{} × {n} (load {}) ...", way.short(), loadavg());
            let started = Instant::now();
            let out = match way {
                Way::InProcess => measure_in_process(&args, n, &dir, &payloads),
                Way::Http1 | Way::Http2 => measure_server(&args, way, n, &dir, &payloads),
            };
            let _ = std::fs::remove_dir_all(&dir);
            let out = out.map_err(|e| format!("{} × {n}: {e}", way.short()))?;
            eprintln!(
                "  p50 {} p99 {}; {:.0} records/s per subscriber, producer {:.0} records/s, CPU ms per 1k deliveries {:.2} + {:.2} ({:.1} s)",
                duration(out.p50),
                duration(out.p99),
                out.delivered,
                out.put,
                out.client_cpu,
                out.server_cpu,
                started.elapsed().as_secs_f64()
            );
            outcomes.push(out);
        }
    }
    print_table(&args, &outcomes, &load_before, &root);
    Ok(())
}

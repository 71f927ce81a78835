//! `subscriber-memory`: how much of `shardlog serve`'s memory a subscriber that stops reading holds,
//! measured, beside the bound the server's queues allow; and whether it slows the producer or a
//! subscriber that keeps reading.
//!
//! For each transport (HTTP/1.1 with JSON, a connection per subscription; h2c with CBOR, every
//! subscription on one connection) and each count of slow subscribers (`--slow`, default 0, 1, 4,
//! 16), on a fresh server (`--durability none`) with one shard:
//!
//! 1. one **live** subscriber (HTTP/1.1, JSON) and the **slow** ones subscribe at LATEST; a slow one
//!    reads the response head and the initial-response event, then never reads again (its socket
//!    stays open);
//! 2. the server's anonymous resident memory (`RssAnon` in `/proc/PID/status`: heap and stacks,
//!    not the mapped segment files) is read: the baseline;
//! 3. one producer writes `--mib` MiB in records of `--record-kib` KiB (PutRecord, JSON) as fast as
//!    it can, while a sampler reads `RssAnon` every 20 ms: the peak;
//! 4. once the live subscriber has every record, and 2 s later, `RssAnon` again: the settled figure.
//!
//! The slow subscribers' cost is the settled (and peak) growth over the baseline, minus the same
//! growth of the row with no slow subscriber, divided by their count. The bound beside it: the
//! events the server queues for one subscription (4), the one being written and the one waiting
//! for room in the queue, each at most
//! 2 MiB of record data and so about 2.7 MiB as JSON (base64) or 2 MiB as CBOR. Records of 1 MiB
//! fill events to that limit, so the default is the worst case.
//!
//! ```text
//! cargo build --release -p shardlog-cli -p shardlog-benches
//! target/release/subscriber-memory [--slow 0,1,4,16] [--mib 256] [--record-kib 1024]
//!     [--ways http1,http2] [--shardlog PATH] [--dir PATH]
//! ```
//!
//! Progress goes to stderr, the table to stdout. The run fails if the live subscriber misses a
//! record or the server drops a slow subscription before the settled reading (it drops one that
//! leaves an event unread for 30 s, so a row must take less: keep `--mib` moderate).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Value};
use shardlog_benches::kinesis_http::{read_head, stream_with_consumers, Client, Server, JSON};
use shardlog_benches::report::{loadavg, machine, today};
use shardlog_benches::Res;
use shardlog_server::eventstream;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const STREAM: &str = "slow";
const SHARD: &str = "shardId-000000000000";
const CBOR: &str = "application/x-amz-cbor-1.1";
/// Events the server holds for one subscription: 4 queued, the one hyper is writing, and the one
/// the subscription's thread waits to queue.
const EVENTS_HELD: f64 = 6.0;
/// Most record data in one event.
const EVENT_DATA_MIB: f64 = 2.0;

const HELP: &str = "subscriber-memory [--slow 0,1,4,16] [--mib 256] [--record-kib 1024] \
[--ways http1,http2] [--shardlog PATH (next to this binary)] [--dir PATH (a tempdir under /tmp)]";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Http1,
    Http2,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Http1 => "HTTP/1.1, JSON, a connection each",
            Way::Http2 => "HTTP/2 (h2c), CBOR, one connection",
        }
    }

    /// Bytes of one full event on the wire, in MiB: base64 in JSON, raw in CBOR.
    fn event_mib(self) -> f64 {
        match self {
            Way::Http1 => EVENT_DATA_MIB * 4.0 / 3.0,
            Way::Http2 => EVENT_DATA_MIB,
        }
    }
}

struct Args {
    slow: Vec<usize>,
    mib: usize,
    record_kib: usize,
    ways: Vec<Way>,
    shardlog: PathBuf,
    dir: Option<PathBuf>,
}

impl Args {
    fn parse() -> Res<Args> {
        let exe = std::env::current_exe()?;
        let mut a = Args {
            slow: vec![0, 1, 4, 16],
            mib: 256,
            record_kib: 1024,
            ways: vec![Way::Http1, Way::Http2],
            shardlog: exe.with_file_name("shardlog"),
            dir: None,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--slow" => a.slow = list(&value()?)?,
                "--mib" => a.mib = value()?.parse()?,
                "--record-kib" => a.record_kib = value()?.parse()?,
                "--ways" => {
                    a.ways = value()?
                        .split(',')
                        .map(|w| match w.trim() {
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
        if !(1..=1024).contains(&a.record_kib) || a.mib == 0 {
            return Err("--record-kib must be 1 to 1024 and --mib at least 1".into());
        }
        Ok(a)
    }

    fn records(&self) -> usize {
        (self.mib * 1024).div_ceil(self.record_kib)
    }
}

fn list(s: &str) -> Res<Vec<usize>> {
    Ok(s.split(',')
        .map(|n| n.trim().parse())
        .collect::<Result<_, _>>()?)
}

/// `RssAnon` of process `pid`, in MiB.
fn rss_anon_mib(pid: u32) -> Res<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .ok_or("no RssAnon in /proc/PID/status")?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kib / 1024.0)
}

/// What one row measured.
struct Row {
    way: Way,
    slow: usize,
    baseline: f64,
    peak: f64,
    settled: f64,
    put_mib_s: f64,
    live_mib_s: f64,
}

fn main() -> Res<()> {
    let args = Args::parse()?;
    let work = shardlog_benches::WorkDir::new(args.dir.as_deref(), "subscriber-memory")?;
    let root = work.path().to_path_buf();
    let load = loadavg();
    let mut rows = Vec::new();
    for &way in &args.ways {
        for &slow in &args.slow {
            eprintln!("{}: {slow} slow subscribers", way.name());
            let dir = root.join(format!("{way:?}-{slow}"));
            rows.push(measure(&args, way, slow, &dir)?);
            std::fs::remove_dir_all(&dir)?;
        }
    }
    print_table(&args, &rows, &load, &root);
    Ok(())
}

fn measure(args: &Args, way: Way, slow: usize, dir: &Path) -> Res<Row> {
    let mut server = Server::start(&args.shardlog, dir, "none")?;
    let out = measure_on(args, way, slow, &server);
    server.stop();
    out
}

fn measure_on(args: &Args, way: Way, slow: usize, server: &Server) -> Res<Row> {
    let (addr, pid) = (server.addr, server.child.id());
    let arns = stream_with_consumers(addr, STREAM, slow + 1, "c")?;
    let records = args.records();
    let live = {
        let arn = arns[0].clone();
        std::thread::spawn(move || live_subscriber(addr, &arn, records))
    };
    // Held open, never read, until the row is done.
    let _slow = match way {
        Way::Http1 => Held::Sockets(
            arns[1..]
                .iter()
                .map(|arn| http1_subscribe(addr, arn))
                .collect::<Res<_>>()?,
        ),
        Way::Http2 => Held::H2(http2_subscribe(addr, &arns[1..])?),
    };
    std::thread::sleep(Duration::from_millis(500));
    let baseline = rss_anon_mib(pid)?;
    let (stop, peak) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Acquire) {
                if let Ok(mib) = rss_anon_mib(pid) {
                    peak.fetch_max((mib * 1024.0) as u64, Ordering::AcqRel);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let put_secs = produce(addr, args)?;
    let live_secs = live.join().map_err(|_| "the live subscriber panicked")??;
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::Release);
    sampler.join().map_err(|_| "the sampler panicked")?;
    let settled = rss_anon_mib(pid)?;
    let mib = (records * args.record_kib) as f64 / 1024.0;
    Ok(Row {
        way,
        slow,
        baseline,
        peak: (peak.load(Ordering::Acquire) as f64 / 1024.0).max(settled),
        settled,
        put_mib_s: mib / put_secs,
        live_mib_s: mib / live_secs,
    })
}

/// The slow subscriptions, kept open and unread.
enum Held {
    Sockets(#[allow(dead_code)] Vec<TcpStream>),
    H2(#[allow(dead_code)] (tokio::runtime::Runtime, Vec<hyper::body::Incoming>)),
}

fn subscribe_input(consumer_arn: &str) -> Value {
    json!({
        "ConsumerARN": consumer_arn,
        "ShardId": SHARD,
        "StartingPosition": {"Type": "LATEST"},
    })
}

/// Opens a JSON subscription over its own HTTP/1.1 connection and reads up to the end of the
/// response head.
fn http1_open(addr: SocketAddr, consumer_arn: &str) -> Res<BufReader<TcpStream>> {
    let s = TcpStream::connect(addr)?;
    let body = subscribe_input(consumer_arn).to_string();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: Kinesis_20131202.SubscribeToShard\r\nContent-Type: {JSON}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut r = BufReader::with_capacity(256 << 10, s);
    r.get_mut().write_all(head.as_bytes())?;
    r.get_mut().write_all(body.as_bytes())?;
    let (status, chunked, _) = read_head(&mut r)?;
    if status != 200 || !chunked {
        return Err(format!("SubscribeToShard: HTTP {status}").into());
    }
    Ok(r)
}

/// A slow HTTP/1.1 subscriber: subscribed, then never read again.
fn http1_subscribe(addr: SocketAddr, consumer_arn: &str) -> Res<TcpStream> {
    let mut r = http1_open(addr, consumer_arn)?;
    let mut events = 0;
    next_chunk(&mut r, &mut Vec::new(), &mut events)?;
    Ok(r.into_inner())
}

/// Reads one chunk into `buf` and counts the records of every complete event in it; false at the
/// body's end.
fn next_chunk(r: &mut impl BufRead, buf: &mut Vec<u8>, records: &mut usize) -> Res<bool> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let size = usize::from_str_radix(line.split(';').next().unwrap_or_default().trim(), 16)
        .map_err(|e| format!("chunk size {line:?}: {e}"))?;
    if size == 0 {
        return Ok(false);
    }
    let at = buf.len();
    buf.resize(at + size + 2, 0);
    r.read_exact(&mut buf[at..])?;
    buf.truncate(at + size);
    let mut pos = 0;
    while let Some((headers, payload, used)) = eventstream::decode(&buf[pos..]) {
        let event = headers
            .iter()
            .any(|(n, v)| n == ":event-type" && v == "SubscribeToShardEvent");
        if event {
            let v: Value = serde_json::from_slice(payload)?;
            *records += v["Records"].as_array().map_or(0, Vec::len);
        }
        pos += used;
    }
    buf.drain(..pos);
    Ok(true)
}

/// The live subscriber: reads until it has `records` records; returns the seconds from its first
/// record to its last.
fn live_subscriber(addr: SocketAddr, consumer_arn: &str, records: usize) -> Res<f64> {
    let mut r = http1_open(addr, consumer_arn)?;
    r.get_ref()
        .set_read_timeout(Some(Duration::from_secs(25)))?;
    let (mut buf, mut got, mut first) = (Vec::new(), 0, None);
    while got < records {
        if !next_chunk(&mut r, &mut buf, &mut got)? {
            return Err(format!("the live subscription ended after {got} records").into());
        }
        if got > 0 && first.is_none() {
            first = Some(Instant::now());
        }
    }
    if got != records {
        return Err(format!("the live subscriber got {got} records, {records} were put").into());
    }
    Ok(first.map_or(0.0, |t| t.elapsed().as_secs_f64()))
}

/// Slow HTTP/2 subscribers: every subscription on one h2c connection, in CBOR; the bodies are
/// held and never polled, so the client's windows fill and the server's sends wait.
fn http2_subscribe(
    addr: SocketAddr,
    arns: &[String],
) -> Res<(tokio::runtime::Runtime, Vec<hyper::body::Incoming>)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let bodies = rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect(addr).await?;
        let (send, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp)).await?;
        tokio::spawn(conn);
        let mut bodies = Vec::new();
        for arn in arns {
            let mut body = Vec::new();
            ciborium::ser::into_writer(&subscribe_input(arn), &mut body)?;
            let request = hyper::Request::post("http://localhost/")
                .header("x-amz-target", "Kinesis_20131202.SubscribeToShard")
                .header("content-type", CBOR)
                .body(Full::new(Bytes::from(body)))?;
            let response = send.clone().send_request(request).await?;
            if response.status() != 200 {
                return Err(format!("SubscribeToShard over HTTP/2: {}", response.status()).into());
            }
            bodies.push(response.into_body());
        }
        Res::Ok(bodies)
    })?;
    Ok((rt, bodies))
}

/// Puts the records one PutRecord at a time; returns the seconds it took.
fn produce(addr: SocketAddr, args: &Args) -> Res<f64> {
    let mut c = Client::connect(addr)?;
    let data = vec![0x5a_u8; args.record_kib * 1024];
    let start = Instant::now();
    for i in 0..args.records() {
        let body = json!({
            "StreamName": STREAM,
            "PartitionKey": format!("k{i}"),
            "Data": STANDARD.encode(&data),
        });
        c.send("PutRecord", JSON, body.to_string().as_bytes())?;
    }
    Ok(start.elapsed().as_secs_f64())
}

fn print_table(args: &Args, rows: &[Row], load_before: &str, root: &Path) {
    println!(
        "`shardlog serve --durability none`, one shard, {} MiB in records of {} KiB, {}",
        args.mib,
        args.record_kib,
        today()
    );
    println!("{}", machine(root));
    println!("load average before: {load_before}; after: {}", loadavg());
    println!();
    println!(
        "| transport | slow subscribers | RssAnon before | peak | settled | settled growth per slow subscriber | bound per slow subscriber | producer MiB/s | live subscriber MiB/s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let none = rows
            .iter()
            .find(|o| o.way == r.way && o.slow == 0)
            .map_or(0.0, |o| o.settled - o.baseline);
        let per = if r.slow == 0 {
            "-".to_string()
        } else {
            format!(
                "{:.1} MiB",
                ((r.settled - r.baseline) - none) / r.slow as f64
            )
        };
        let bound = EVENTS_HELD * r.way.event_mib();
        println!(
            "| {} | {} | {:.1} MiB | {:.1} MiB | {:.1} MiB | {per} | {bound:.1} MiB | {:.0} | {:.0} |",
            r.way.name(),
            r.slow,
            r.baseline,
            r.peak,
            r.settled,
            r.put_mib_s,
            r.live_mib_s
        );
    }
}

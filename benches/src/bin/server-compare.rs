//! `server-compare`: a load generator for Kinesis-compatible servers. In one run it drives
//! `shardlog serve` and kinesalite (installed from npm) with the same work, PutRecords of 500 × 1 KiB
//! from several keep-alive connections and then GetRecords of everything back (each shard read by
//! one of as many readers as connections, each on its own connection), and prints one
//! markdown table: records/s, p99 call latency and the server process's CPU per 1,000 records for
//! each, the same work done by the engine in process (the ceiling a server could reach), and the
//! ratios.
//!
//! ```text
//! cargo build --release -p shardlog-cli -p shardlog-benches
//! target/release/server-compare [--records N] [--repeats N] [--shards N] [--connections N]
//!     [--shardlog PATH] [--baseline PATH] [--kinesalite-dir DIR] [--durability sync|none]
//!     [--protocol json|cbor] [--without-kinesalite]
//! ```
//!
//! `--protocol cbor` sends PutRecords and GetRecords as AWS CBOR 1.1 (what the Java SDK and the KPL
//! send: data as byte strings); control calls stay JSON. kinesalite does not answer CBOR: use
//! `--without-kinesalite` with it. `--baseline` names a second `shardlog`
//! binary (say, built from an older commit) measured in the same run as a third row.
//!
//! `--kinesalite-dir` names a directory with `node_modules/kinesalite` (default: one is made with
//! `npm install kinesalite` in a temporary directory). Progress goes to stderr, the table to stdout.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::json;
use shardlog_benches::kinesis_http::{cpu_ms, Client, Server};
use shardlog_benches::report::{loadavg, machine, today};
use shardlog_benches::{median, percentile, Res};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Records per PutRecords call (the Kinesis maximum) and bytes of data per record.
const BATCH: usize = 500;
const SIZE: usize = 1024;

#[derive(Debug, Clone)]
struct Args {
    records: usize,
    repeats: usize,
    shards: u32,
    connections: usize,
    shardlog: PathBuf,
    baseline: Option<PathBuf>,
    kinesalite_dir: Option<PathBuf>,
    durability: String,
    cbor: bool,
    kinesalite: bool,
}

fn parse_args() -> Res<Args> {
    let exe = std::env::current_exe()?;
    let mut a = Args {
        records: 100_000,
        repeats: 3,
        shards: 4,
        connections: 8,
        shardlog: exe.with_file_name("shardlog"),
        baseline: None,
        kinesalite_dir: None,
        durability: "sync".into(),
        cbor: false,
        kinesalite: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--records" => a.records = value()?.parse()?,
            "--repeats" => a.repeats = value()?.parse()?,
            "--shards" => a.shards = value()?.parse()?,
            "--connections" => a.connections = value()?.parse()?,
            "--shardlog" => a.shardlog = value()?.into(),
            "--baseline" => a.baseline = Some(value()?.into()),
            "--protocol" => {
                a.cbor = match value()?.as_str() {
                    "cbor" => true,
                    "json" => false,
                    other => return Err(format!("unknown protocol {other}").into()),
                }
            }
            "--kinesalite-dir" => a.kinesalite_dir = Some(value()?.into()),
            "--without-kinesalite" => a.kinesalite = false,
            "--durability" => a.durability = value()?,
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(a)
}

/// One measured run against one server.
#[derive(Debug, Clone, Default)]
struct Run {
    put_rps: f64,
    put_p99: Duration,
    get_rps: f64,
    get_p99: Duration,
    /// The server process's CPU time (user + system) per 1,000 records, in ms; 0 in-process.
    put_cpu: f64,
    get_cpu: f64,
}

fn main() -> Res<()> {
    let args = parse_args()?;
    let scratch = tempfile::tempdir()?;
    let kinesalite_dir = match &args.kinesalite_dir {
        _ if !args.kinesalite => PathBuf::new(),
        Some(d) => d.clone(),
        None => install_kinesalite(scratch.path())?,
    };
    // Each server under test: its name and the shardlog binary (None: kinesalite).
    let mut servers = vec![("shardlog serve".to_string(), Some(args.shardlog.clone()))];
    if let Some(b) = &args.baseline {
        servers.push((format!("shardlog serve ({})", b.display()), Some(b.clone())));
    }
    if args.kinesalite {
        servers.push(("kinesalite".to_string(), None));
    }
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); servers.len()];
    for round in 0..args.repeats {
        // Rotate which server goes first, so none always meets a warmer or busier machine.
        for k in 0..servers.len() {
            let i = (k + round) % servers.len();
            let (name, bin) = &servers[i];
            let data = scratch.path().join(format!("data-{round}-{i}"));
            let mut server = match bin {
                Some(bin) => start_shardlog(&args, bin, &data)?,
                None => start_kinesalite(&kinesalite_dir)?,
            };
            eprintln!("round {round}: {name} on {}", server.addr);
            let run = measure(&args, server.addr, server.child.id());
            server.stop();
            let run = run?;
            eprintln!(
                "  put {:.0} rec/s p99 {:?}; get {:.0} rec/s p99 {:?}",
                run.put_rps, run.put_p99, run.get_rps, run.get_p99
            );
            runs[i].push(run);
            let _ = std::fs::remove_dir_all(&data);
        }
    }
    let mut engine_runs = Vec::new();
    for round in 0..args.repeats {
        let dir = scratch.path().join(format!("engine-{round}"));
        eprintln!("round {round}: engine in process");
        engine_runs.push(measure_engine(&args, &dir)?);
        let _ = std::fs::remove_dir_all(&dir);
    }
    let mut named: Vec<(&str, &[Run])> = vec![("engine in process (same work)", &engine_runs)];
    named.extend(
        servers
            .iter()
            .zip(&runs)
            .map(|((name, _), r)| (name.as_str(), r.as_slice())),
    );
    print_table(&args, &named, scratch.path());
    Ok(())
}

fn install_kinesalite(dir: &Path) -> Res<PathBuf> {
    let dir = dir.join("kinesalite");
    std::fs::create_dir_all(&dir)?;
    eprintln!("npm install kinesalite into {}", dir.display());
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--silent",
            "kinesalite",
        ])
        .current_dir(&dir)
        .status()?;
    if !status.success() {
        return Err("npm install kinesalite failed".into());
    }
    Ok(dir)
}

fn free_addr() -> Res<SocketAddr> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?)
}

fn start_shardlog(args: &Args, bin: &Path, data: &Path) -> Res<Server> {
    Server::start(bin, data, &args.durability)
}

fn start_kinesalite(dir: &Path) -> Res<Server> {
    let addr = free_addr()?;
    let script = dir.join("node_modules/kinesalite/cli.js");
    let child = Command::new("node")
        .arg(script)
        .args([
            "--port",
            &addr.port().to_string(),
            "--createStreamMs",
            "0",
            "--updateStreamMs",
            "0",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    Server::spawned(child, addr)
}

fn measure(args: &Args, addr: SocketAddr, pid: u32) -> Res<Run> {
    let mut c = Client::connect(addr)?;
    c.call(
        "CreateStream",
        &json!({"StreamName": "bench", "ShardCount": args.shards}),
    )?;
    while c.call("DescribeStream", &json!({"StreamName": "bench"}))?["StreamDescription"]
        ["StreamStatus"]
        != "ACTIVE"
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let calls = args.records.div_ceil(BATCH);
    let per_conn = calls.div_ceil(args.connections);
    let cpu_before_put = cpu_ms(&pid.to_string())?;
    let started = Instant::now();
    let threads: Vec<_> = (0..args.connections)
        .map(|t| {
            let cbor = args.cbor;
            std::thread::spawn(move || put_calls(addr, t, per_conn, cbor))
        })
        .collect();
    let mut put_lat = Vec::new();
    let mut written = 0;
    for t in threads {
        let (n, lat) = t.join().map_err(|_| "writer panicked")??;
        written += n;
        put_lat.extend(lat);
    }
    let put_time = started.elapsed();
    let put_cpu = cpu_ms(&pid.to_string())? - cpu_before_put;
    put_lat.sort();

    // A fresh connection: servers close idle keep-alive connections (node after 5 s).
    let mut c = Client::connect(addr)?;
    let shards = c.call("ListShards", &json!({"StreamName": "bench"}))?;
    let ids: Vec<String> = shards["Shards"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["ShardId"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    // As many readers as connections, each on its own connection with its own shards (shard k to
    // reader k mod readers), as a consumer application reads each shard in its own worker.
    let readers = args.connections.clamp(1, ids.len().max(1));
    let cpu_before_get = cpu_ms(&pid.to_string())?;
    let started = Instant::now();
    let threads: Vec<_> = (0..readers)
        .map(|r| {
            let mine: Vec<String> = ids.iter().skip(r).step_by(readers).cloned().collect();
            let cbor = args.cbor;
            std::thread::spawn(move || get_calls(addr, &mine, cbor))
        })
        .collect();
    let mut get_lat = Vec::new();
    let mut read = 0;
    for t in threads {
        let (n, lat) = t.join().map_err(|_| "reader panicked")??;
        read += n;
        get_lat.extend(lat);
    }
    let get_time = started.elapsed();
    let get_cpu = cpu_ms(&pid.to_string())? - cpu_before_get;
    get_lat.sort();
    if read != written {
        return Err(format!("wrote {written} records but read {read}").into());
    }
    Ok(Run {
        put_rps: written as f64 / put_time.as_secs_f64(),
        put_p99: percentile(&put_lat, 99.0),
        get_rps: read as f64 / get_time.as_secs_f64(),
        get_p99: percentile(&get_lat, 99.0),
        put_cpu: put_cpu / (written as f64 / 1000.0),
        get_cpu: get_cpu / (read as f64 / 1000.0),
    })
}

/// The same work in process: `put_records` of 500 × 1 KiB from `connections` threads against a
/// `Store` with the server's durability, then `get_records` of everything by as many reader threads
/// as connections. The rate the server would reach if the wire cost nothing.
fn measure_engine(args: &Args, dir: &Path) -> Res<Run> {
    use shardlog_benches::engine;
    let durability = match args.durability.as_str() {
        "none" => shardlog_segment::Durability::None,
        _ => shardlog_segment::Durability::Sync,
    };
    let store = engine::create(dir, durability, 64 << 20, args.shards)?;
    let payloads = shardlog_benches::Payloads::new(SIZE);
    let keys = engine::partition_keys(args.records, 7);
    let requests = engine::requests(&keys, &payloads, BATCH);
    let per_thread = requests.len().div_ceil(args.connections);
    let started = Instant::now();
    let mut put_lat = Vec::new();
    std::thread::scope(|scope| -> Res<()> {
        let workers: Vec<_> = requests
            .chunks(per_thread.max(1))
            .map(|chunk| {
                let store = &store;
                scope.spawn(move || -> Res<Vec<Duration>> {
                    chunk
                        .iter()
                        .map(|req| {
                            let t = Instant::now();
                            let out = store.put_records(engine::STREAM, req)?;
                            if out.failed_record_count > 0 {
                                return Err("put_records: entries failed".into());
                            }
                            Ok(t.elapsed())
                        })
                        .collect()
                })
            })
            .collect();
        for w in workers {
            put_lat.extend(w.join().map_err(|_| "writer panicked")??);
        }
        Ok(())
    })?;
    let put_time = started.elapsed();
    put_lat.sort();
    let readers = args.connections;
    let (get_time, totals) = engine::read_all_with(&store, args.shards, 10_000, readers)?;
    store.close()?;
    if totals.records != keys.len() as u64 {
        return Err(format!("wrote {} records but read {}", keys.len(), totals.records).into());
    }
    Ok(Run {
        put_rps: keys.len() as f64 / put_time.as_secs_f64(),
        put_p99: percentile(&put_lat, 99.0),
        get_rps: totals.records as f64 / get_time.as_secs_f64(),
        get_p99: Duration::ZERO,
        put_cpu: 0.0,
        get_cpu: 0.0,
    })
}

/// One writer: `calls` PutRecords of 500 × 1 KiB with distinct partition keys; returns the records
/// acknowledged and each call's latency. Bodies are built before the clock starts and responses are
/// read for `FailedRecordCount` only, so the generator spends its CPU on the wire, not on encoding.
fn put_calls(
    addr: SocketAddr,
    writer: usize,
    calls: usize,
    cbor: bool,
) -> Res<(usize, Vec<Duration>)> {
    let mut c = Client::connect(addr)?;
    let data = vec![b'x'; SIZE];
    let bodies: Vec<Body> = (0..calls)
        .map(|call| {
            let records: Vec<PutEntry> = (0..BATCH)
                .map(|i| PutEntry {
                    data: Data(&data),
                    key: format!("w{writer}-c{call}-r{i}"),
                })
                .collect();
            Body::new(
                cbor,
                &PutIn {
                    stream: "bench",
                    records,
                },
            )
        })
        .collect();
    let mut lat = Vec::with_capacity(calls);
    let mut acked = 0;
    for body in &bodies {
        let t = Instant::now();
        let out: PutOut =
            body.decode(&c.send("PutRecords", body.content_type(), &body.bytes)?)?;
        lat.push(t.elapsed());
        if out.failed_record_count > 0 {
            return Err(format!("{} records failed", out.failed_record_count).into());
        }
        acked += BATCH;
    }
    Ok((acked, lat))
}

/// One reader: every record of `shards`, one shard after the other, 10,000 per GetRecords from
/// TRIM_HORIZON until a call returns none. Returns the records read and each call's latency.
fn get_calls(addr: SocketAddr, shards: &[String], cbor: bool) -> Res<(usize, Vec<Duration>)> {
    let mut c = Client::connect(addr)?;
    let mut lat = Vec::new();
    let mut read = 0;
    for id in shards {
        let req =
            json!({"StreamName": "bench", "ShardId": id, "ShardIteratorType": "TRIM_HORIZON"});
        let mut it = c.call("GetShardIterator", &req)?["ShardIterator"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        loop {
            let body = Body::new(cbor, &json!({"ShardIterator": it, "Limit": 10_000}));
            let t = Instant::now();
            let out: GetOut =
                body.decode(&c.send("GetRecords", body.content_type(), &body.bytes)?)?;
            lat.push(t.elapsed());
            read += out.records.len();
            match out.next {
                Some(next) if !out.records.is_empty() => it = next,
                _ => break,
            }
        }
    }
    Ok((read, lat))
}

/// A request body in one of the two protocols.
struct Body {
    cbor: bool,
    bytes: Vec<u8>,
}

impl Body {
    fn new<T: serde::Serialize>(cbor: bool, v: &T) -> Body {
        let mut bytes = Vec::new();
        if cbor {
            ciborium::ser::into_writer(v, &mut bytes).expect("CBOR into a Vec");
        } else {
            serde_json::to_writer(&mut bytes, v).expect("JSON into a Vec");
        }
        Body { cbor, bytes }
    }

    fn content_type(&self) -> &'static str {
        if self.cbor {
            "application/x-amz-cbor-1.1"
        } else {
            "application/x-amz-json-1.1"
        }
    }

    /// Decodes the answer, in the request's protocol.
    fn decode<T: serde::de::DeserializeOwned>(&self, bytes: &[u8]) -> Res<T> {
        Ok(if self.cbor {
            ciborium::de::from_reader(bytes)?
        } else {
            serde_json::from_slice(bytes)?
        })
    }
}

#[derive(serde::Serialize)]
struct PutIn<'a> {
    #[serde(rename = "StreamName")]
    stream: &'a str,
    #[serde(rename = "Records")]
    records: Vec<PutEntry<'a>>,
}

#[derive(serde::Serialize)]
struct PutEntry<'a> {
    #[serde(rename = "Data")]
    data: Data<'a>,
    #[serde(rename = "PartitionKey")]
    key: String,
}

/// Record data: base64 text in JSON, a byte string in CBOR.
struct Data<'a>(&'a [u8]);

impl serde::Serialize for Data<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&STANDARD.encode(self.0))
        } else {
            s.serialize_bytes(self.0)
        }
    }
}

#[derive(serde::Deserialize)]
struct PutOut {
    #[serde(rename = "FailedRecordCount")]
    failed_record_count: usize,
}

#[derive(serde::Deserialize)]
struct GetOut {
    #[serde(rename = "Records")]
    records: Vec<serde::de::IgnoredAny>,
    #[serde(rename = "NextShardIterator")]
    next: Option<String>,
}

fn print_table(args: &Args, runs: &[(&str, &[Run])], root: &Path) {
    let med =
        |runs: &[Run], f: fn(&Run) -> f64| median(&mut runs.iter().map(f).collect::<Vec<_>>());
    let protocol = if args.cbor { "CBOR" } else { "JSON" };
    println!(
        "server-compare, {}: {} records of {SIZE} B in PutRecords of {BATCH} from {} connections (as many GetRecords readers, up to one per shard), {} shards, {protocol}, shardlog --durability {}, kinesalite in memory; median of {} runs; load average {} at the end; {}",
        today(), args.records, args.connections, args.shards, args.durability, args.repeats, loadavg(), machine(root)
    );
    println!();
    println!(
        "| | PutRecords records/s | PutRecords p99 ms | server CPU ms per 1k put | GetRecords records/s | GetRecords p99 ms | server CPU ms per 1k get |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, r) in runs {
        println!(
            "| {name} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} |",
            med(r, |r| r.put_rps),
            med(r, |r| ms(r.put_p99)),
            med(r, |r| r.put_cpu),
            med(r, |r| r.get_rps),
            med(r, |r| ms(r.get_p99)),
            med(r, |r| r.get_cpu),
        );
    }
    // Row 0 is the engine in process, row 1 `shardlog serve`, the last kinesalite.
    let (engine, ours) = (runs[0].1, runs[1].1);
    println!(
        "| shardlog serve vs the engine (goal ≥ 0.5×) | {:.2}× | | | {:.2}× | | |",
        med(ours, |r| r.put_rps) / med(engine, |r| r.put_rps),
        med(ours, |r| r.get_rps) / med(engine, |r| r.get_rps),
    );
    if !args.kinesalite {
        return;
    }
    let theirs = runs[runs.len() - 1].1;
    let ratio = |f: fn(&Run) -> f64| med(ours, f) / med(theirs, f);
    let inverse = |f: fn(&Run) -> f64| med(theirs, f) / med(ours, f);
    println!(
        "| shardlog serve vs kinesalite (goal ≥ 10×) | {:.1}× | {:.1}× lower | | {:.1}× | {:.1}× lower | |",
        ratio(|r| r.put_rps),
        inverse(|r| ms(r.put_p99)),
        ratio(|r| r.get_rps),
        inverse(|r| ms(r.get_p99)),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

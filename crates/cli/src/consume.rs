//! `shardlog consume`: a consumer worker that prints each record it is handed.
//!
//! It runs the engine's KCL-style [`Worker`]: against the local data directory, or, with
//! `--endpoint`, against a `shardlog serve` whose lease table it shares with other workers in
//! other processes. Output lines are `shard<TAB>sequence<TAB>partition key<TAB>data`, flushed
//! after every batch; a checkpoint follows every `--checkpoint-every` records, at the shard's
//! end, and at shutdown (SIGTERM or ctrl-c).

use shardlog::consumer::{
    Checkpointer, InitialPosition, LeaseOptions, ProcessRecordsInput, RecordProcessor,
    RemoteLeases, Worker, WorkerConfig,
};
use shardlog::Store;
use shardlog_client::KinesisClient;
use std::io::Write;
use std::time::Duration;

/// The `consume` command's options.
#[derive(clap::Args, Debug)]
pub struct ConsumeArgs {
    /// The stream to consume.
    stream: String,
    /// The consuming application; its workers share the shards.
    #[arg(long)]
    application: String,
    /// This worker's id (default: `<hostname>-<pid>`).
    #[arg(long)]
    worker_id: Option<String>,
    /// A `shardlog serve` endpoint (`http://host:port`) instead of the local data directory.
    #[arg(long)]
    endpoint: Option<String>,
    /// Where shards without a checkpoint start.
    #[arg(long, value_enum, default_value_t = Start::TrimHorizon)]
    initial_position: Start,
    /// Checkpoint after this many records of a shard.
    #[arg(long, default_value_t = 100)]
    checkpoint_every: usize,
    /// Lease failover time for the local lease table, in milliseconds (a server sets its own).
    #[arg(long, default_value_t = 10_000)]
    failover_ms: u64,
}

/// Initial positions as command-line values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Start {
    TrimHorizon,
    Latest,
}

/// Prints records and checkpoints every `every` of them.
struct Printer {
    every: usize,
    since: usize,
}

impl RecordProcessor for Printer {
    fn process_records(&mut self, input: ProcessRecordsInput<'_>, cp: &mut Checkpointer) {
        let mut out = std::io::stdout().lock();
        for r in input.records {
            let data = String::from_utf8_lossy(&r.data).replace('\n', "\\n");
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{data}",
                input.shard_id, r.sequence_number, r.partition_key
            );
        }
        let _ = out.flush();
        self.since += input.records.len();
        if self.since >= self.every {
            self.since = 0;
            report(cp.checkpoint());
        }
    }

    fn shard_ended(&mut self, cp: &mut Checkpointer) {
        report(cp.checkpoint());
    }

    fn shutdown_requested(&mut self, cp: &mut Checkpointer) {
        report(cp.checkpoint());
    }
}

/// A failed checkpoint is not fatal (the records come again after a failover), but say so.
fn report(result: shardlog::Result<()>) {
    if let Err(e) = result {
        tracing::warn!(error = %e, "checkpoint failed; the records come again after a failover");
    }
}

/// Starts the worker; the caller keeps it until it is told to stop.
pub fn start(
    args: ConsumeArgs,
    local: impl FnOnce() -> shardlog::Result<Store>,
) -> Result<Worker, Box<dyn std::error::Error>> {
    let worker_id = args.worker_id.unwrap_or_else(|| {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
        format!("{host}-{}", std::process::id())
    });
    let config = WorkerConfig {
        initial_position: match args.initial_position {
            Start::TrimHorizon => InitialPosition::TrimHorizon,
            Start::Latest => InitialPosition::Latest,
        },
        idle_time_between_reads: Duration::from_millis(50),
        ..WorkerConfig::new(&args.application, &args.stream, &worker_id)
    };
    let every = args.checkpoint_every.max(1);
    let printer = move || Printer { every, since: 0 };
    let worker = match &args.endpoint {
        Some(endpoint) => {
            let client = KinesisClient::new(endpoint)?;
            let leases = RemoteLeases::connect(client.clone())?;
            Worker::start(client, leases, config, printer)?
        }
        None => {
            let store = local()?;
            let options = LeaseOptions {
                lease_duration_ms: args.failover_ms,
                ..LeaseOptions::default()
            };
            let table = store.lease_table(options)?;
            Worker::start(store, table, config, printer)?
        }
    };
    tracing::info!(worker = %worker_id, stream = %args.stream, application = %args.application, "consumer worker started");
    Ok(worker)
}

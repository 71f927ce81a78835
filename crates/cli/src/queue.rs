//! `shardlog queue ...`: try a queue from the shell over the embedded engine (create, receive and
//! acknowledge, dead letters, describe, list, delete). A queue is named by its name or its ARN.

use crate::CliResult;
use base64::Engine as _;
use clap::{Subcommand, ValueEnum};
use serde_json::json;
use shardlog::{
    CreateQueue, DeadLetterConfiguration, QueueAttributes, QueueDescription, QueueRecord,
    QueueStartingPosition, ReceiveQueueRecords, Store,
};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub(crate) enum QueueCommand {
    /// Create a queue on an on-demand stream.
    Create {
        /// Queue name: 1-128 of [a-zA-Z0-9_.-].
        name: String,
        /// The stream (name or ARN); it must be on-demand (`create-stream --on-demand`).
        #[arg(long)]
        stream: String,
        /// Where delivery starts.
        #[arg(long, value_enum, default_value_t = Start::Latest)]
        start: Start,
        /// Milliseconds since the epoch, for `--start at-timestamp`.
        #[arg(long)]
        timestamp: Option<u64>,
        /// Seconds a received record stays invisible (0-43200; default 30).
        #[arg(long)]
        visibility_timeout: Option<u32>,
        /// Receives before a record becomes a dead letter (1-1000; default 6).
        #[arg(long, conflicts_with = "no_dead_letters")]
        max_receive_count: Option<u32>,
        /// Never make dead letters: redeliver until acknowledged.
        #[arg(long)]
        no_dead_letters: bool,
    },
    /// Receive records and print one JSON object a line (receipt handle, record id, key, data).
    Receive {
        queue: String,
        /// Records per receive (1-10).
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Seconds one receive waits for a record (0-20).
        #[arg(long, default_value_t = 0)]
        wait: u64,
        /// Visibility timeout of these records, in seconds, instead of the queue's.
        #[arg(long)]
        visibility_timeout: Option<u32>,
        /// Acknowledge what was printed.
        #[arg(long)]
        ack: bool,
        /// Keep receiving until ctrl-c, SIGTERM or --max records.
        #[arg(long = "loop")]
        repeat: bool,
        /// Stop after this many records.
        #[arg(long)]
        max: Option<usize>,
    },
    /// Acknowledge received records by their receipt handles.
    Ack {
        queue: String,
        #[arg(required = true)]
        handles: Vec<String>,
    },
    /// Receive dead letters and print them as `receive` does; --ack or --restore what was printed.
    Dlq {
        queue: String,
        /// Records to receive (1-10).
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Acknowledge them: they leave the queue.
        #[arg(long, conflicts_with = "restore")]
        ack: bool,
        /// Return them to the queue, visible at once with their receive count reset.
        #[arg(long)]
        restore: bool,
    },
    /// Print a queue's definition as JSON.
    Describe { queue: String },
    /// List queues: name, ARN, stream.
    List {
        /// Only the queues of this stream.
        #[arg(long)]
        stream: Option<String>,
    },
    /// Delete a queue and its delivery state (the stream's records stay).
    Delete { queue: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Start {
    TrimHorizon,
    Latest,
    AtTimestamp,
}

pub(crate) fn run(store: &Store, cmd: QueueCommand, out: &mut impl Write) -> CliResult {
    match cmd {
        QueueCommand::Create {
            name,
            stream,
            start,
            timestamp,
            visibility_timeout,
            max_receive_count,
            no_dead_letters,
        } => {
            let start = match (start, timestamp) {
                (Start::TrimHorizon, None) => QueueStartingPosition::TrimHorizon,
                (Start::Latest, None) => QueueStartingPosition::Latest,
                (Start::AtTimestamp, Some(ms)) => QueueStartingPosition::AtTimestamp(ms),
                (Start::AtTimestamp, None) => {
                    return Err("--start at-timestamp needs --timestamp".into())
                }
                (_, Some(_)) => return Err("--timestamp goes with --start at-timestamp".into()),
            };
            let dead = match (no_dead_letters, max_receive_count) {
                (true, _) => Some(DeadLetterConfiguration::none()),
                (false, Some(n)) => Some(DeadLetterConfiguration::built_in(n)),
                (false, None) => None,
            };
            let attrs = QueueAttributes {
                visibility_timeout_seconds: visibility_timeout,
                dead_letter_configuration: dead,
            };
            let q = store.create_queue(
                CreateQueue::new(&name, &stream)
                    .starting_at(start)
                    .with_attributes(attrs),
            )?;
            writeln!(out, "created queue {name} {}", q.queue_arn)?;
        }
        QueueCommand::Receive {
            queue,
            limit,
            wait,
            visibility_timeout,
            ack,
            repeat,
            max,
        } => {
            let arn = resolve(store, &queue)?;
            let stop = if repeat {
                stop_on_signal()
            } else {
                Arc::default()
            };
            let mut left = max.unwrap_or(usize::MAX);
            loop {
                if left == 0 || stop.load(Ordering::Relaxed) {
                    break;
                }
                // In a loop, wait a second at a time so a signal is seen soon.
                let wait = match repeat {
                    true => Duration::from_secs(1),
                    false => Duration::from_secs(wait),
                };
                let req = ReceiveQueueRecords {
                    limit: limit.min(left),
                    wait,
                    visibility_timeout_seconds: visibility_timeout,
                };
                let got = store.receive_queue_records_with(&arn, req)?;
                left -= got.len().min(left);
                print_and_settle(store, &arn, &got, ack.then_some(Settle::Ack), false, out)?;
                if !repeat {
                    break;
                }
            }
        }
        QueueCommand::Ack { queue, handles } => {
            let arn = resolve(store, &queue)?;
            for batch in handles.chunks(shardlog::MAX_QUEUE_BATCH) {
                report(
                    store.acknowledge_queue_records(&arn, batch)?,
                    "acknowledged",
                    out,
                )?;
            }
        }
        QueueCommand::Dlq {
            queue,
            limit,
            ack,
            restore,
        } => {
            let arn = resolve(store, &queue)?;
            let got = store.receive_dead_letter_queue_records(&arn, limit, Duration::ZERO)?;
            let settle = match (ack, restore) {
                (true, _) => Some(Settle::Ack),
                (_, true) => Some(Settle::Restore),
                _ => None,
            };
            print_and_settle(store, &arn, &got, settle, true, out)?;
        }
        QueueCommand::Describe { queue } => {
            let d = store.describe_queue(&resolve(store, &queue)?)?;
            writeln!(out, "{}", describe(&d))?;
        }
        QueueCommand::List { stream } => {
            for q in store.list_queues(stream.as_deref())? {
                let stream = q.stream_arn.rsplit('/').next().unwrap_or_default();
                writeln!(out, "{}\t{}\t{stream}", q.queue_name, q.queue_arn)?;
            }
        }
        QueueCommand::Delete { queue } => {
            let arn = resolve(store, &queue)?;
            store.delete_queue(&arn)?;
            writeln!(out, "deleted queue {queue}")?;
        }
    }
    Ok(())
}

/// What to do with printed records.
#[derive(Debug, Clone, Copy)]
enum Settle {
    Ack,
    Restore,
}

/// Prints records, one JSON object a line, then acknowledges or restores them, reporting failed
/// handles on stderr.
fn print_and_settle(
    store: &Store,
    arn: &str,
    got: &[QueueRecord],
    settle: Option<Settle>,
    dead: bool,
    out: &mut impl Write,
) -> CliResult {
    for r in got {
        writeln!(out, "{}", record(r))?;
    }
    out.flush()?;
    let Some(settle) = settle.filter(|_| !got.is_empty()) else {
        return Ok(());
    };
    let handles: Vec<&str> = got.iter().map(|r| r.receipt_handle.as_str()).collect();
    let done = match (settle, dead) {
        (Settle::Ack, false) => store.acknowledge_queue_records(arn, &handles)?,
        (Settle::Ack, true) => store.acknowledge_dead_letter_queue_records(arn, &handles)?,
        (Settle::Restore, _) => store.restore_dead_letter_queue_records(arn, &handles)?,
    };
    for f in &done.failed {
        eprintln!(
            "not settled: {}: {}: {}",
            f.receipt_handle, f.error_code, f.error_message
        );
    }
    Ok(())
}

fn report(done: shardlog::QueueBatchOutput, what: &str, out: &mut impl Write) -> CliResult {
    for h in &done.successful {
        writeln!(out, "{what} {h}")?;
    }
    for f in &done.failed {
        writeln!(
            out,
            "failed {}: {}: {}",
            f.receipt_handle, f.error_code, f.error_message
        )?;
    }
    if done.failed.is_empty() {
        Ok(())
    } else {
        Err(format!("{} handle(s) failed", done.failed.len()).into())
    }
}

/// A received record as one JSON object: the data as text when it is UTF-8, else as base64.
fn record(r: &QueueRecord) -> serde_json::Value {
    let mut v = json!({
        "receipt_handle": r.receipt_handle,
        "record_id": r.record_id,
        "sequence_number": r.record.sequence_number.to_string(),
        "partition_key": &*r.record.partition_key,
        "receive_count": r.receive_count,
    });
    match std::str::from_utf8(&r.record.data) {
        Ok(text) => v["data"] = json!(text),
        Err(_) => {
            v["data_base64"] =
                json!(base64::engine::general_purpose::STANDARD.encode(&r.record.data))
        }
    }
    v
}

fn describe(d: &QueueDescription) -> serde_json::Value {
    let start = match d.starting_position {
        QueueStartingPosition::TrimHorizon => json!("TRIM_HORIZON"),
        QueueStartingPosition::Latest => json!("LATEST"),
        QueueStartingPosition::AtTimestamp(ms) => json!({"AT_TIMESTAMP": ms}),
    };
    json!({
        "queue_name": d.queue_name,
        "queue_arn": d.queue_arn,
        "status": d.queue_status.as_str(),
        "created_ms": d.queue_creation_timestamp_ms,
        "stream": d.stream_name,
        "stream_arn": d.stream_arn,
        "starting_position": start,
        "visibility_timeout_seconds": d.visibility_timeout_seconds,
        "max_receive_count": d.dead_letter_configuration.max_receive_count,
        "tags": d.tags,
    })
}

/// The ARN of a queue named by its ARN or its name.
fn resolve(store: &Store, queue: &str) -> CliResult<String> {
    if queue.starts_with("arn:") {
        return Ok(queue.to_string());
    }
    let found = store
        .list_queues(None)?
        .into_iter()
        .find(|q| q.queue_name == queue);
    match found {
        Some(q) => Ok(q.queue_arn),
        None => Err(format!("queue {queue} not found").into()),
    }
}

/// A flag set by the first ctrl-c or SIGTERM (the process is not killed by them from then on).
fn stop_on_signal() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        if let Ok(rt) = rt {
            rt.block_on(crate::shutdown_signal());
            flag.store(true, Ordering::Relaxed);
        }
    });
    stop
}

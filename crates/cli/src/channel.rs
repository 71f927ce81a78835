//! `shardlog channel ...`: deliver a stream to a bucket directory from the shell over the embedded
//! engine (create, describe, list, deliver, delete, status). A channel is named by its name or its
//! ARN.

use crate::CliResult;
use clap::{Subcommand, ValueEnum};
use serde_json::json;
use shardlog::{
    ChannelDescription, ChannelProgress, Compression, CreateChannel, RecordFormat, Store,
};
use std::io::Write;

#[derive(Subcommand, Debug)]
pub(crate) enum ChannelCommand {
    /// Create a channel that delivers an on-demand stream to a bucket (a directory under
    /// `<data-dir>/channels/`).
    Create {
        /// Channel name: 1-128 of [a-zA-Z0-9_.-].
        name: String,
        /// The stream (name or ARN); it must be on-demand (`create-stream --on-demand`).
        #[arg(long)]
        stream: String,
        /// The bucket: its name or `arn:aws:s3:::<name>`.
        #[arg(long)]
        bucket: String,
        /// How records are read and written.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Compression of objects.
        #[arg(long, value_enum, default_value_t = Compress::None)]
        compression: Compress,
        /// Most seconds a record waits before delivery (300-900; default 300).
        #[arg(long)]
        freshness: Option<u32>,
        /// Object key template (`!{channel-name}`, `!{yyyy}`, ...); default Kinesis' own.
        #[arg(long)]
        template: Option<String>,
    },
    /// Print a channel as JSON.
    Describe { channel: String },
    /// List channels (name, ARN, stream), of one stream or all.
    List {
        #[arg(long)]
        stream: Option<String>,
    },
    /// Deliver now every record put so far, whatever its age; print the objects written.
    Deliver,
    /// Delete a channel (its delivered objects stay).
    Delete { channel: String },
    /// A status line per channel: what it delivered (records, bytes, objects) and what waits in
    /// its stream (how many, the oldest's age). Also while `shardlog serve` holds the store,
    /// through its control socket.
    Status {
        /// One channel (name or ARN); every channel by default.
        channel: Option<String>,
        /// One JSON object a line (`shardlog::ChannelProgress`) instead.
        #[arg(long)]
        json: bool,
    },
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub(crate) enum Format {
    Json,
    String,
    ByteArray,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub(crate) enum Compress {
    None,
    Gzip,
    Zstd,
}

pub(crate) fn run(store: &Store, cmd: ChannelCommand, out: &mut impl Write) -> CliResult {
    match cmd {
        ChannelCommand::Create {
            name,
            stream,
            bucket,
            format,
            compression,
            freshness,
            template,
        } => {
            let arn = match bucket.starts_with("arn:") {
                true => bucket,
                false => format!("arn:aws:s3:::{bucket}"),
            };
            let mut req = CreateChannel::new(&name, &stream, &arn);
            req.record_format = match format {
                Format::Json => RecordFormat::Json,
                Format::String => RecordFormat::String,
                Format::ByteArray => RecordFormat::ByteArray,
            };
            req.destination.compression = match compression {
                Compress::None => Compression::None,
                Compress::Gzip => Compression::Gzip,
                Compress::Zstd => Compression::Zstd,
            };
            req.destination.data_freshness_seconds = freshness;
            req.destination.output_key_template = template;
            let c = store.create_channel(req)?;
            writeln!(out, "created channel {name} {}", c.channel_arn)?;
        }
        ChannelCommand::Describe { channel } => {
            let d = store.describe_channel(&resolve(store, &channel)?)?;
            writeln!(out, "{}", describe(&d))?;
        }
        ChannelCommand::List { stream } => {
            for c in store.list_channels(stream.as_deref())? {
                writeln!(
                    out,
                    "{}\t{}\t{}",
                    c.channel_name, c.channel_arn, c.stream_name
                )?;
            }
        }
        ChannelCommand::Deliver => {
            let n = store.deliver_channels()?;
            writeln!(out, "delivered {n} object(s)")?;
        }
        ChannelCommand::Delete { channel } => {
            store.delete_channel(&resolve(store, &channel)?)?;
            writeln!(out, "deleted channel {channel}")?;
        }
        ChannelCommand::Status { channel, json } => {
            print_status(&progress_of(store)?, channel.as_deref(), json, out)?;
        }
    }
    Ok(())
}

/// Every channel's progress.
pub(crate) fn progress_of(store: &Store) -> CliResult<Vec<ChannelProgress>> {
    let mut all = Vec::new();
    for c in store.list_channels(None)? {
        all.push(store.channel_progress(&c.channel_arn)?);
    }
    Ok(all)
}

/// Prints the status of the channels in `all` (only `only`, by name or ARN, if given).
pub(crate) fn print_status(
    all: &[ChannelProgress],
    only: Option<&str>,
    json: bool,
    out: &mut impl Write,
) -> CliResult {
    let shown: Vec<&ChannelProgress> = all
        .iter()
        .filter(|p| only.is_none_or(|o| p.channel_name == o || p.channel_arn == o))
        .collect();
    if let (Some(o), true) = (only, shown.is_empty()) {
        return Err(format!("channel {o} not found").into());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    for p in shown {
        if json {
            writeln!(out, "{}", serde_json::to_string(p)?)?;
        } else {
            writeln!(out, "{}", status_line(p, now))?;
        }
    }
    Ok(())
}

/// `name STATUS: delivered R records (X MB) in O objects (Y MB), the last 3.1 s ago; W waiting,
/// the oldest for 2.0 s`, and the reason when delivery fails.
fn status_line(p: &ChannelProgress, now_ms: u64) -> String {
    let mb = |b: u64| b as f64 / 1e6;
    let ago = |t: u64| now_ms.saturating_sub(t) as f64 / 1000.0;
    let mut line = format!(
        "{} {}: delivered {} records ({:.1} MB) in {} objects ({:.1} MB)",
        p.channel_name,
        p.status.as_str(),
        p.records_delivered,
        mb(p.record_bytes_delivered),
        p.objects_written,
        mb(p.object_bytes_written),
    );
    if let Some(t) = p.last_delivery_ms {
        line += &format!(", the last {:.1} s ago", ago(t));
    }
    match p.oldest_waiting_ms {
        Some(t) => line += &format!("; {} waiting, the oldest for {:.1} s", p.behind, ago(t)),
        None => line += "; nothing waiting",
    }
    if let Some(reason) = &p.status_reason {
        line += &format!(" ({reason})");
    }
    line
}

fn describe(d: &ChannelDescription) -> serde_json::Value {
    json!({
        "channel_name": d.channel_name,
        "channel_arn": d.channel_arn,
        "channel_id": d.channel_id,
        "status": d.status.as_str(),
        "status_reason": d.status_reason,
        "created_ms": d.created_ms,
        "stream": d.stream_name,
        "stream_arn": d.stream_arn,
        "record_format": d.record_format.as_str(),
        "bucket_arn": d.destination.bucket_arn,
        "compression": d.destination.compression.as_str(),
        "data_freshness_seconds": d.destination.data_freshness_seconds,
        "output_key_template": d.destination.output_key_template,
        "tags": d.tags,
    })
}

/// The ARN of a channel named by its ARN or its name.
fn resolve(store: &Store, channel: &str) -> CliResult<String> {
    if channel.starts_with("arn:") {
        return Ok(channel.to_string());
    }
    let found = store
        .list_channels(None)?
        .into_iter()
        .find(|c| c.channel_name == channel);
    match found {
        Some(c) => Ok(c.channel_arn),
        None => Err(format!("channel {channel} not found").into()),
    }
}

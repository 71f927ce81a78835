//! `shardlog`: the command-line tool for a local shardlog data directory.
//!
//! Every command opens the store in `--data-dir` (default `./shardlog-data`), does one thing and
//! exits; errors are one line on stderr and a non-zero exit code.

mod channel;
mod consume;
mod queue;
mod tools;

use clap::{Parser, Subcommand, ValueEnum};
use shardlog::consumer::{Checkpoint, LeaseOptions};
use shardlog::{PutEntry, SequenceNumber, ShardId, StartingPosition, Store, StoreOptions};
use shardlog_segment::Durability;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "shardlog",
    version,
    about = "Durable Kinesis-style streams in a local data directory"
)]
struct Cli {
    /// The data directory.
    #[arg(long, global = true, default_value = "shardlog-data")]
    data_dir: PathBuf,
    /// When writes are durable: `sync` (acknowledged = on disk) or `none` (page cache).
    #[arg(long, global = true, value_enum, default_value_t = DurabilityArg::Sync)]
    durability: DurabilityArg,
    /// The account the store answers as, in ARNs and messages (12 digits).
    #[arg(long, global = true, default_value = shardlog::DEFAULT_ACCOUNT_ID)]
    account_id: String,
    /// The region ARNs name when a request does not say (a signed request's credential scope does).
    #[arg(long, global = true, default_value = shardlog::DEFAULT_REGION)]
    region: String,
    /// Milliseconds a stream stays CREATING, UPDATING or DELETING after a change, as on AWS (0: the
    /// change is done and the stream ACTIVE when the call returns).
    #[arg(long, global = true, default_value_t = 0)]
    state_delay_ms: u64,
    /// Sealed segments of all shards kept open at once (a file descriptor and a mapping each);
    /// the rest are opened when read.
    #[arg(long, global = true, default_value_t = shardlog::DEFAULT_OPEN_SEGMENTS)]
    max_open_segments: usize,
    /// Channels write their objects to this S3 service (a URL such as http://127.0.0.1:9000, or
    /// `aws` for AWS S3 itself) instead of bucket directories in the data directory; region and
    /// credentials come from AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. A channel
    /// delivers only to the destination it was created with, so give the same value each time.
    #[arg(long, global = true, env = "SHARDLOG_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// How log lines on stderr look: `text` for people, `json` (one object a line) for log
    /// collectors. Which are shown follows `RUST_LOG` (default `info` for serve and consume, `warn`
    /// for the other commands).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DurabilityArg {
    Sync,
    None,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a stream with N shards splitting the hash-key space evenly.
    CreateStream {
        /// Stream name: 1-128 of [a-zA-Z0-9_.-].
        name: String,
        /// Number of shards.
        #[arg(long, default_value_t = 1)]
        shards: u32,
        /// On-demand capacity mode (queues need it) instead of provisioned.
        #[arg(long)]
        on_demand: bool,
    },
    /// Delete a stream and its data.
    DeleteStream { name: String },
    /// List streams.
    List,
    /// Describe a stream and its shards.
    Describe { name: String },
    /// Put lines from stdin as records, in batches of up to 500.
    Put {
        stream: String,
        /// Use this partition key for every record.
        #[arg(long, conflicts_with = "key_field")]
        partition_key: Option<String>,
        /// Read each line as JSON and use this field as the partition key.
        #[arg(long)]
        key_field: Option<String>,
    },
    /// Print records of a shard from a position, then exit.
    Get {
        stream: String,
        shard: String,
        #[command(flatten)]
        at: PositionArgs,
        /// Most records to print.
        #[arg(long, default_value_t = 10_000)]
        limit: usize,
    },
    /// Print records of a shard from a position as they arrive, until interrupted.
    Tail {
        stream: String,
        shard: String,
        #[command(flatten)]
        at: PositionArgs,
    },
    /// Split a shard at a new starting hash key.
    Split {
        stream: String,
        shard: String,
        new_starting_hash_key: u128,
    },
    /// Merge two adjacent shards.
    Merge {
        stream: String,
        shard: String,
        adjacent: String,
    },
    /// Scale a stream to N open shards of equal width.
    Scale { stream: String, target: u32 },
    /// Print per-shard statistics since the store was opened by this command.
    Stats { stream: String },
    /// List consumer applications' leases: owner, counter, checkpoint, lineage.
    Leases {
        /// Only this application.
        #[arg(long)]
        application: Option<String>,
        /// Also print each lease's recent checkpoint history.
        #[arg(long)]
        history: bool,
    },
    /// Serve the Kinesis API over HTTP or HTTPS (boto3, the AWS CLI and the SDKs work with
    /// `--endpoint-url`) until SIGTERM or ctrl-c; then in-flight requests finish and the store is
    /// closed.
    Serve {
        /// Address to listen on; loopback by default.
        #[arg(long, default_value = "127.0.0.1:4567")]
        bind: String,
        /// Require SigV4 signatures made with this access key id (with --secret-access-key).
        #[arg(long, requires = "secret_access_key")]
        access_key_id: Option<String>,
        /// The secret key for SigV4 verification.
        #[arg(
            long,
            env = "SHARDLOG_SECRET_ACCESS_KEY",
            requires = "access_key_id",
            hide_env_values = true
        )]
        secret_access_key: Option<String>,
        /// Largest request body accepted, in bytes.
        #[arg(long, default_value_t = 16 << 20)]
        max_body_bytes: usize,
        /// Failover time of the consumer lease table served to workers, in milliseconds.
        #[arg(long, default_value_t = 10_000)]
        lease_failover_ms: u64,
        /// Most connections open at once; more are closed as they arrive.
        #[arg(long, default_value_t = 1000)]
        max_connections: usize,
        /// Most requests answered at once; more are answered 503 (the SDKs retry).
        #[arg(long, default_value_t = 256)]
        max_in_flight: usize,
        /// Seconds a client may take to send a request's headers (also the idle time of a kept-alive
        /// connection).
        #[arg(long, default_value_t = 20)]
        header_timeout_secs: u64,
        /// Serve `GET /metrics` unsigned on this second address (keep it on loopback); with
        /// --access-key-id the API port does not serve it.
        #[arg(long)]
        metrics_bind: Option<std::net::SocketAddr>,
        /// Deliver channel records after at most this many seconds instead of each channel's
        /// DataFreshnessInSeconds (300-900), for demos and tests that cannot wait minutes.
        #[arg(long)]
        channel_freshness_secs: Option<u64>,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Check every checksum and rule of the data directory without changing it (no lock: works
    /// beside a running server). Exit code 0 clean, 1 damage found, 2 the check could not run.
    Verify {
        /// Only this stream (the lease table is then not checked).
        #[arg(long)]
        stream: Option<String>,
        /// One JSON object on stdout instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show a summary of the data directory (streams, shards, lineage, segments, leases), or dump
    /// one segment or checkpoint file. Read-only, no lock.
    Inspect {
        #[command(subcommand)]
        what: Option<tools::InspectWhat>,
        /// JSON on stdout instead of tables.
        #[arg(long, global = true)]
        json: bool,
    },
    /// Write a consistent backup of the store in --data-dir into DEST (a new or empty directory)
    /// while it takes writes: sealed segments hard-linked or copied, active segments up to their
    /// durable point, the lease table, the catalog last. Refuses a store another process (a
    /// server) has open. Exit code 0 done, 2 refused or failed.
    Backup {
        /// The backup directory to make (must not exist or be empty).
        dest: PathBuf,
    },
    /// Repair damage verify finds, only with an explicit flag per action, after saving every file it
    /// changes into --backup-dir; verify runs again at the end. Without action flags it prints the
    /// findings and the flag that repairs each, and changes nothing. Takes the store's lock. Exit
    /// code 0 clean at the end, 1 damage left, 2 refused or failed.
    Repair {
        /// New or empty directory (outside the data directory) for copies of the changed files.
        #[arg(long)]
        backup_dir: PathBuf,
        /// Only this stream's shards (the lease table is then not touched).
        #[arg(long)]
        stream: Option<String>,
        /// Cut a shard after its last valid record (later segments are deleted; lost numbers are
        /// reported and never reused).
        #[arg(long)]
        cut_torn_tail: bool,
        /// Rebuild missing or damaged sparse index (`.idx`) files from the segments.
        #[arg(long)]
        rebuild_index: bool,
        /// Drop the damaged records of a sealed segment (from the damage to its end), keeping
        /// later segments; the lost numbers are reported.
        #[arg(long)]
        drop_damaged_segment: bool,
        /// Make the lease table open at its older commit when the newer one is damaged.
        #[arg(long)]
        checkpoint_older_slot: bool,
        /// One JSON object on stdout instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Make --data-dir (which must not exist or be empty) a copy of the finished backup SRC.
    /// Refuses an unfinished backup and a used data directory. Exit code 0 done, 2 refused or failed.
    Restore {
        /// The backup directory.
        src: PathBuf,
    },
    /// Queues on on-demand streams: create, receive (and acknowledge), ack, dlq, describe, list,
    /// delete.
    Queue {
        #[command(subcommand)]
        command: queue::QueueCommand,
    },
    /// Channels: deliver an on-demand stream to a bucket directory (create, describe, list,
    /// deliver, delete).
    Channel {
        #[command(subcommand)]
        command: channel::ChannelCommand,
    },
    /// Run a consumer worker that prints the records it is handed (`shard, sequence number,
    /// partition key, data`, tab-separated), until SIGTERM or ctrl-c.
    Consume(consume::ConsumeArgs),
}

/// How `serve` speaks TLS: not at all (plain HTTP), with a given certificate, or with a
/// self-signed one kept in the data directory.
#[derive(clap::Args, Debug)]
struct TlsArgs {
    /// Serve HTTPS with a self-signed certificate for localhost, 127.0.0.1 and ::1, made in
    /// `<data-dir>/tls/` and reused across restarts; its path is printed so clients can trust it
    /// (e.g. `AWS_CA_BUNDLE=<path>`).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    tls: bool,
    /// Serve HTTPS with this certificate chain (PEM, the server's certificate first).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

impl TlsArgs {
    /// The server's TLS configuration, if any; logs where a self-signed certificate is.
    fn config(&self, data_dir: &std::path::Path) -> CliResult<Option<shardlog_server::TlsConfig>> {
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            return Ok(Some(shardlog_server::TlsConfig::from_pem_files(cert, key)?));
        }
        if !self.tls {
            return Ok(None);
        }
        let made = shardlog_server::TlsConfig::self_signed_in(data_dir.join("tls"))?;
        tracing::info!(
            cert = %made.cert_path.display(),
            created = made.created,
            "self-signed TLS certificate; trust it in clients, e.g. AWS_CA_BUNDLE=<cert>"
        );
        Ok(Some(made.config))
    }
}

#[derive(clap::Args, Debug)]
struct PositionArgs {
    /// Iterator type.
    #[arg(long = "type", value_enum, default_value_t = IteratorType::TrimHorizon)]
    kind: IteratorType,
    /// Sequence number for at/after-sequence-number.
    #[arg(long)]
    sequence_number: Option<String>,
    /// Milliseconds since the epoch for at-timestamp.
    #[arg(long)]
    timestamp: Option<u64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum IteratorType {
    TrimHorizon,
    Latest,
    AtSequenceNumber,
    AfterSequenceNumber,
    AtTimestamp,
}

type CliResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Sends `tracing` events to stderr (stdout is the commands' output), filtered by `RUST_LOG` or,
/// without it, at `info` for the long-running commands and `warn` for the rest.
fn init_logs(cli: &Cli) {
    use std::io::IsTerminal as _;
    use tracing_subscriber::filter::{EnvFilter, LevelFilter};
    let default = match cli.command {
        Command::Serve { .. } | Command::Consume(_) => LevelFilter::INFO,
        _ => LevelFilter::WARN,
    };
    let filter = EnvFilter::builder()
        .with_default_directive(default.into())
        .from_env_lossy();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second subscriber (none here) would be the only reason this fails: logs then go there.
    let _ = match cli.log_format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).try_init(),
        LogFormat::Json => logs.json().try_init(),
    };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(&cli);
    match cli.command {
        Command::Verify { stream, json } => {
            return tools::verify(&cli.data_dir, stream.as_deref(), json)
        }
        Command::Repair {
            backup_dir,
            stream,
            cut_torn_tail,
            rebuild_index,
            drop_damaged_segment,
            checkpoint_older_slot,
            json,
        } => {
            let opts = shardlog::repair::RepairOptions {
                cut_torn_tail,
                rebuild_index,
                drop_damaged_segment,
                checkpoint_older_slot,
            };
            return tools::repair(&cli.data_dir, stream.as_deref(), &backup_dir, opts, json);
        }
        Command::Backup { dest } => {
            return tools::backup_or_restore(&cli.data_dir, Some(&dest), None)
        }
        Command::Restore { src } => {
            return tools::backup_or_restore(&cli.data_dir, None, Some(&src))
        }
        Command::Inspect { what, json } => {
            return match tools::inspect(&cli.data_dir, what, json) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            };
        }
        _ => {}
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `shardlog channel status` of a store that `shardlog serve` holds, through its control socket.
fn channel_status_through_server(cli: &Cli) -> CliResult {
    let Command::Channel {
        command: channel::ChannelCommand::Status { channel, json },
    } = &cli.command
    else {
        return Ok(());
    };
    let socket = cli.data_dir.join(tools::CONTROL_SOCKET);
    let all = shardlog_server::channels_through(&socket).map_err(|e| {
        format!(
            "the store at {} is open by another process, and its control socket {} did not \
             answer: {e}",
            cli.data_dir.display(),
            socket.display()
        )
    })?;
    channel::print_status(
        &all,
        channel.as_deref(),
        *json,
        &mut std::io::stdout().lock(),
    )
}

fn run(cli: Cli) -> CliResult {
    let durability = match cli.durability {
        DurabilityArg::Sync => Durability::Sync,
        DurabilityArg::None => Durability::None,
    };
    // Only `serve` delivers channels for long enough for a shorter freshness to matter.
    let channel_freshness = match &cli.command {
        Command::Serve {
            channel_freshness_secs,
            ..
        } => channel_freshness_secs.map(std::time::Duration::from_secs),
        _ => None,
    };
    let channel_sink = match cli.s3_endpoint.as_deref() {
        None => None,
        Some(e) => {
            let endpoint = (e != "aws").then(|| e.to_string());
            let sink =
                shardlog_objects::S3Sink::new(shardlog_objects::S3Config::from_env(endpoint))?;
            Some(std::sync::Arc::new(sink) as std::sync::Arc<dyn shardlog::ObjectSink>)
        }
    };
    let open = || {
        let opts = StoreOptions {
            durability,
            account_id: cli.account_id.clone(),
            region: cli.region.clone(),
            state_delay: std::time::Duration::from_millis(cli.state_delay_ms),
            open_segments: shardlog::OpenSegments::new(cli.max_open_segments),
            channel_freshness,
            channel_sink: channel_sink.clone(),
            ..StoreOptions::default()
        };
        Store::open(&cli.data_dir, opts)
    };
    if let Command::Consume(args) = cli.command {
        // With --endpoint the data directory is not opened: the server owns it.
        let worker = consume::start(args, open)?;
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(shutdown_signal());
        worker.shutdown()?;
        return Ok(());
    }
    // A bad certificate is refused before the store is opened.
    let tls = match &cli.command {
        Command::Serve { tls, .. } => tls.config(&cli.data_dir)?,
        _ => None,
    };
    let store = match open() {
        Ok(store) => store,
        // A running `serve` holds the store: it answers the channels' status itself.
        Err(shardlog::Error::Locked(_))
            if matches!(
                &cli.command,
                Command::Channel {
                    command: channel::ChannelCommand::Status { .. }
                }
            ) =>
        {
            return channel_status_through_server(&cli);
        }
        Err(e) => return Err(e.into()),
    };
    if let Command::Serve {
        bind,
        access_key_id,
        secret_access_key,
        max_body_bytes,
        lease_failover_ms,
        max_connections,
        max_in_flight,
        header_timeout_secs,
        metrics_bind,
        channel_freshness_secs: _,
        tls: _,
    } = cli.command
    {
        let credentials = access_key_id
            .zip(secret_access_key)
            .map(|(id, secret)| shardlog_server::Credentials::new(id, secret));
        let opts = shardlog_server::ServerOptions {
            max_body_bytes,
            credentials,
            max_connections,
            max_in_flight,
            header_read_timeout: std::time::Duration::from_secs(header_timeout_secs),
            metrics_bind,
            tls,
            control_socket: control_socket(&cli.data_dir),
            leases: LeaseOptions {
                lease_duration_ms: lease_failover_ms,
                ..LeaseOptions::default()
            },
            ..shardlog_server::ServerOptions::default()
        };
        return serve(store, &bind, opts);
    }
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Serve { .. }
        | Command::Consume(_)
        | Command::Verify { .. }
        | Command::Repair { .. }
        | Command::Backup { .. }
        | Command::Restore { .. }
        | Command::Inspect { .. } => {}
        Command::CreateStream {
            name,
            shards,
            on_demand,
        } => {
            let mode = match on_demand {
                true => shardlog::StreamMode::OnDemand,
                false => shardlog::StreamMode::Provisioned,
            };
            let req = shardlog::CreateStream {
                shard_count: shards,
                mode,
                ..Default::default()
            };
            store.create_stream_with(&name, req)?;
            writeln!(out, "created stream {name} with {shards} shard(s)")?;
        }
        Command::Queue { command } => queue::run(&store, command, &mut out)?,
        Command::Channel { command } => channel::run(&store, command, &mut out)?,
        Command::DeleteStream { name } => {
            store.delete_stream(&name)?;
            writeln!(out, "deleted stream {name}")?;
        }
        Command::List => {
            for name in store.list_streams() {
                writeln!(out, "{name}")?;
            }
        }
        Command::Describe { name } => describe(&store, &name, &mut out)?,
        Command::Put {
            stream,
            partition_key,
            key_field,
        } => put(
            &store,
            &stream,
            partition_key.as_deref(),
            key_field.as_deref(),
            &mut out,
        )?,
        Command::Get {
            stream,
            shard,
            at,
            limit,
        } => get(&store, &stream, &shard, &at, limit, &mut out)?,
        Command::Tail { stream, shard, at } => tail(&store, &stream, &shard, &at, &mut out)?,
        Command::Split {
            stream,
            shard,
            new_starting_hash_key,
        } => {
            let (a, b) = store.split_shard(&stream, shard.parse()?, new_starting_hash_key)?;
            writeln!(out, "split {shard} into {a} and {b}")?;
        }
        Command::Merge {
            stream,
            shard,
            adjacent,
        } => {
            let child = store.merge_shards(&stream, shard.parse()?, adjacent.parse()?)?;
            writeln!(out, "merged {shard} and {adjacent} into {child}")?;
        }
        Command::Scale { stream, target } => {
            let before = store.update_shard_count(&stream, target)?;
            writeln!(out, "scaled {stream} from {before} to {target} open shards")?;
        }
        Command::Stats { stream } => {
            for (id, s) in store.shard_statistics(&stream)? {
                writeln!(
                    out,
                    "{id}\tin {} records {} bytes\tout {} records {} bytes\tage {} ms",
                    s.incoming_records,
                    s.incoming_bytes,
                    s.outgoing_records,
                    s.outgoing_bytes,
                    s.iterator_age_ms
                )?;
            }
        }
        Command::Leases {
            application,
            history,
        } => leases(&store, application.as_deref(), history, &mut out)?,
    }
    store.close()?;
    Ok(())
}

fn checkpoint_text(c: &Checkpoint) -> String {
    match c {
        Checkpoint::SequenceNumber {
            sequence_number,
            sub_sequence_number: 0,
        } => sequence_number.clone(),
        Checkpoint::SequenceNumber {
            sequence_number,
            sub_sequence_number,
        } => format!("{sequence_number}.{sub_sequence_number}"),
        Checkpoint::TrimHorizon => "TRIM_HORIZON".into(),
        Checkpoint::Latest => "LATEST".into(),
        Checkpoint::AtTimestamp(t) => format!("AT_TIMESTAMP({t})"),
        Checkpoint::ShardEnd => "SHARD_END".into(),
    }
}

/// One line per lease, tab-separated, under a header.
fn leases(store: &Store, only: Option<&str>, history: bool, out: &mut impl Write) -> CliResult {
    let table = store.lease_table(LeaseOptions::default())?;
    let apps = match only {
        Some(app) => vec![app.to_string()],
        None => table.applications()?,
    };
    writeln!(
        out,
        "application\tstream\tshard\towner\tcounter\tcheckpoint\towner-switches\tparents\tchildren\trenewed"
    )?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    for app in apps {
        for lease in table.list(&app)? {
            let renewed = match lease.last_renewal_ms {
                0 => "never".to_string(),
                t => format!("{} ms ago", now.saturating_sub(t)),
            };
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                lease.key.application,
                lease.key.stream,
                lease.key.shard_id,
                lease.owner.as_deref().unwrap_or("-"),
                lease.counter,
                checkpoint_text(&lease.checkpoint),
                lease.owner_switches_since_checkpoint,
                lease.parent_shard_ids.join(","),
                lease.child_shard_ids.join(","),
                renewed
            )?;
            if history {
                for h in table.history(&lease.key)? {
                    let owner = h.owner.as_deref().unwrap_or("-");
                    let value = checkpoint_text(&h.checkpoint);
                    writeln!(
                        out,
                        "  #{}\tcounter {}\t{owner}\t{value}",
                        h.index, h.counter
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// Runs the server until SIGTERM or ctrl-c, then closes the store (sync, release the lock).
fn serve(store: Store, bind: &str, opts: shardlog_server::ServerOptions) -> CliResult {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let server = shardlog_server::Server::bind(bind, store.clone(), opts).await?;
        server.run(shutdown_signal()).await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    drop(runtime);
    tracing::info!("closing the store");
    store.close()?;
    tracing::info!("store closed");
    Ok(())
}

/// Where `serve` takes operator commands (`shardlog backup` of the store it holds): the data
/// directory's `control.sock`, unless its path is too long for a Unix socket address (about 100
/// bytes), which is logged.
fn control_socket(data_dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let path = std::path::absolute(data_dir.join(tools::CONTROL_SOCKET)).ok()?;
    if cfg!(unix) && path.as_os_str().len() < 100 {
        return Some(path);
    }
    tracing::warn!(path = %path.display(), "no control socket: `shardlog backup` cannot reach this server");
    None
}

/// Completes at the first SIGTERM or ctrl-c.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn describe(store: &Store, name: &str, out: &mut impl Write) -> CliResult {
    let d = store.describe_stream(name)?;
    writeln!(
        out,
        "{}\t{}\t{}\tretention {} h\t{} open shard(s)",
        d.name, d.arn, d.status, d.retention_hours, d.open_shard_count
    )?;
    for s in d.shards {
        let state = if s.ending_sequence_number.is_some() {
            "CLOSED"
        } else {
            "OPEN"
        };
        let parents: Vec<String> = s
            .parent_shard_id
            .into_iter()
            .chain(s.adjacent_parent_shard_id)
            .map(|p| p.to_string())
            .collect();
        writeln!(
            out,
            "{}\t{state}\thash {}..={}\tstarts at {}\tparents [{}]",
            s.shard_id,
            s.starting_hash_key,
            s.ending_hash_key,
            s.starting_sequence_number,
            parents.join(", ")
        )?;
    }
    Ok(())
}

fn put(
    store: &Store,
    stream: &str,
    fixed: Option<&str>,
    field: Option<&str>,
    out: &mut impl Write,
) -> CliResult {
    let stdin = std::io::stdin().lock();
    let mut lines: Vec<(String, String)> = Vec::with_capacity(500);
    let (mut written, mut failed) = (0usize, 0usize);
    let mut flush = |lines: &mut Vec<(String, String)>| -> CliResult {
        if lines.is_empty() {
            return Ok(());
        }
        let entries: Vec<PutEntry<'_>> = lines
            .iter()
            .map(|(k, d)| PutEntry::new(k, d.as_bytes()))
            .collect();
        let result = store.put_records(stream, &entries)?;
        written += entries.len() - result.failed_record_count;
        failed += result.failed_record_count;
        lines.clear();
        Ok(())
    };
    for (n, line) in stdin.lines().enumerate() {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        let key = match (fixed, field) {
            (Some(k), _) => k.to_string(),
            (None, Some(f)) => json_key(&line, f)
                .ok_or_else(|| format!("line {}: no string or number field {f:?}", n + 1))?,
            (None, None) => (n + 1).to_string(),
        };
        lines.push((key, line));
        if lines.len() == 500 {
            flush(&mut lines)?;
        }
    }
    flush(&mut lines)?;
    writeln!(
        out,
        "put {written} record(s) into {stream}; {failed} failed"
    )?;
    if failed > 0 {
        return Err(format!("{failed} record(s) failed").into());
    }
    Ok(())
}

fn json_key(line: &str, field: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    match value.get(field)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn position(at: &PositionArgs) -> CliResult<StartingPosition> {
    let seq = || -> CliResult<SequenceNumber> {
        let s = at
            .sequence_number
            .as_deref()
            .ok_or("--sequence-number is required for this --type")?;
        Ok(s.parse()?)
    };
    Ok(match at.kind {
        IteratorType::TrimHorizon => StartingPosition::TrimHorizon,
        IteratorType::Latest => StartingPosition::Latest,
        IteratorType::AtSequenceNumber => StartingPosition::AtSequenceNumber(seq()?),
        IteratorType::AfterSequenceNumber => StartingPosition::AfterSequenceNumber(seq()?),
        IteratorType::AtTimestamp => StartingPosition::AtTimestamp(
            at.timestamp
                .ok_or("--timestamp is required for --type at-timestamp")?,
        ),
    })
}

fn print_record(out: &mut impl Write, r: &shardlog::Record) -> std::io::Result<()> {
    writeln!(
        out,
        "{}\t{}\t{}",
        r.sequence_number,
        r.partition_key,
        String::from_utf8_lossy(&r.data)
    )
}

fn get(
    store: &Store,
    stream: &str,
    shard: &str,
    at: &PositionArgs,
    limit: usize,
    out: &mut impl Write,
) -> CliResult {
    let shard: ShardId = shard.parse()?;
    let mut iterator = Some(store.get_shard_iterator(stream, shard, position(at)?)?);
    let mut left = limit;
    while let Some(it) = iterator.take() {
        if left == 0 {
            break;
        }
        let got = store.get_records(&it, left.min(shardlog::MAX_GET_RECORDS))?;
        for r in &got.records {
            print_record(out, r)?;
        }
        left -= got.records.len();
        for c in &got.child_shards {
            writeln!(out, "# end of closed shard; child {}", c.shard_id)?;
        }
        if got.records.is_empty() {
            break;
        }
        iterator = got.next_shard_iterator;
    }
    Ok(())
}

fn tail(
    store: &Store,
    stream: &str,
    shard: &str,
    at: &PositionArgs,
    out: &mut impl Write,
) -> CliResult {
    let shard: ShardId = shard.parse()?;
    let mut sub = store.subscribe(stream, shard, position(at)?)?;
    loop {
        let event = sub.next_event(Duration::from_millis(500))?;
        for r in &event.records {
            print_record(out, r)?;
        }
        out.flush()?;
        if sub.is_finished() {
            for c in &event.child_shards {
                writeln!(out, "# end of closed shard; child {}", c.shard_id)?;
            }
            return Ok(());
        }
    }
}

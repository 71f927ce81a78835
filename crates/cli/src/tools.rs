//! `shardlog verify` and `shardlog inspect`: read-only operator tools. They never open the store
//! (no lock, nothing written), so they work beside a running server. The checks and decoding live
//! in the libraries (`shardlog::verify`, `shardlog::inspect`, `shardlog_segment::inspect`,
//! `shardlog_checkpoint::check_file`); this file parses, prints and shows progress.

use serde_json::{json, Value};
use std::io::{ErrorKind, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

type CliResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// What `inspect` shows.
#[derive(clap::Subcommand, Debug)]
pub enum InspectWhat {
    /// Dump one segment file: header, marks, index entries and records.
    Segment {
        /// The `.seg` file.
        file: PathBuf,
        /// First sequence number to print.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Most records to print.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print keys and data as hex even when they are printable text.
        #[arg(long)]
        hex: bool,
    },
    /// Dump a checkpoint file (e.g. `leases.db`): commit slots, history and every key and value.
    Checkpoint {
        /// The checkpoint file.
        file: PathBuf,
    },
}

/// `shardlog verify`: 0 clean, 1 damage found, 2 the check could not run.
pub fn verify(dir: &Path, stream: Option<&str>, json_out: bool) -> ExitCode {
    match verify_inner(dir, stream, json_out) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn verify_inner(dir: &Path, stream: Option<&str>, json_out: bool) -> CliResult<bool> {
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()).into());
    }
    let total = shardlog::verify::planned_bytes(dir, stream)?;
    let started = Instant::now();
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(indicatif::ProgressStyle::with_template(
            "verify {bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
        )?);
        Some(bar)
    } else {
        eprintln!(
            "verify: checking {} ({} bytes of shard files)",
            dir.display(),
            total
        );
        None
    };
    let progress = |n: u64| {
        if let Some(b) = &bar {
            b.inc(n);
        }
    };
    let check = shardlog::verify::verify_store(dir, stream, &progress)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let secs = started.elapsed().as_secs_f64();
    let clean = check.findings.is_empty();
    let mut out = std::io::stdout().lock();
    if json_out {
        let findings: Vec<Value> = check
            .findings
            .iter()
            .map(|f| {
                json!({"file": f.file, "offset": f.offset, "kind": f.kind.as_str(),
                       "meaning": f.meaning, "advice": f.advice})
            })
            .collect();
        let v = json!({
            "clean": clean, "findings": findings, "streams": check.streams, "shards": check.shards,
            "segments": check.segments, "records": check.records, "bytes_read": check.bytes_read,
            "checked_leases": check.checked_leases, "seconds": secs,
        });
        writeln!(out, "{v}")?;
    } else {
        for f in &check.findings {
            write_finding(&mut out, "DAMAGE", f)?;
            writeln!(out, "  advice:  {}", f.advice)?;
        }
        let verdict = if clean {
            "clean".to_string()
        } else {
            format!("{} finding(s)", check.findings.len())
        };
        writeln!(
            out,
            "{} streams, {} shards, {} segments, {} records, {} bytes read in {secs:.2} s{}: {verdict}",
            check.streams,
            check.shards,
            check.segments,
            check.records,
            check.bytes_read,
            if check.checked_leases { ", lease table checked" } else { "" },
        )?;
    }
    if bar.is_none() {
        eprintln!("verify: done in {secs:.2} s");
    }
    Ok(clean)
}

/// `shardlog repair`: 0 clean at the end, 1 damage left, 2 refused or failed.
pub fn repair(
    dir: &Path,
    stream: Option<&str>,
    backup_dir: &Path,
    opts: shardlog::repair::RepairOptions,
    json_out: bool,
) -> ExitCode {
    match repair_inner(dir, stream, backup_dir, opts, json_out) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn repair_inner(
    dir: &Path,
    stream: Option<&str>,
    backup_dir: &Path,
    opts: shardlog::repair::RepairOptions,
    json_out: bool,
) -> CliResult<bool> {
    use shardlog::repair::repair_flag;
    let r = shardlog::repair::repair_store(dir, stream, backup_dir, opts)?;
    let clean = r.after.findings.is_empty();
    let finding = |f: &shardlog::verify::Finding| {
        json!({"file": f.file, "offset": f.offset, "kind": f.kind.as_str(), "meaning": f.meaning,
               "advice": f.advice, "repair_flag": repair_flag(f)})
    };
    let mut out = std::io::stdout().lock();
    if json_out {
        let actions: Vec<Value> = r
            .actions
            .iter()
            .map(|a| {
                json!({"file": a.file, "action": a.action, "detail": a.detail,
                       "stream": a.shard.as_ref().map(|s| &s.0), "shard": a.shard.as_ref().map(|s| s.1),
                       "lost": a.lost.map(|(s, e)| json!({"start": s, "end": e}))})
            })
            .collect();
        let v = json!({
            "clean": clean, "changed": !r.actions.is_empty(), "actions": actions,
            "before": r.before.findings.iter().map(finding).collect::<Vec<_>>(),
            "after": r.after.findings.iter().map(finding).collect::<Vec<_>>(),
            "backup_dir": backup_dir,
        });
        writeln!(out, "{v}")?;
        return Ok(clean);
    }
    if !opts.any() {
        for f in &r.before.findings {
            write_finding(&mut out, "DAMAGE", f)?;
            match repair_flag(f) {
                Some(flag) => writeln!(out, "  repair:  shardlog repair --backup-dir DIR {flag}")?,
                None => writeln!(out, "  repair:  none; {}", f.advice)?,
            }
        }
        let n = r.before.findings.len();
        writeln!(
            out,
            "{n} finding(s); nothing was changed (no action flag given)"
        )?;
        return Ok(clean);
    }
    for a in &r.actions {
        writeln!(
            out,
            "REPAIRED {} {}: {}",
            a.action,
            a.file.display(),
            a.detail
        )?;
        if let (Some((s, i)), Some((start, end))) = (&a.shard, a.lost) {
            writeln!(
                out,
                "  lost: stream {s} shard {i}, sequence numbers {start}..{end} ({} record numbers)",
                end - start
            )?;
        }
    }
    if r.actions.is_empty() {
        writeln!(out, "nothing to repair with the flags given")?;
    } else {
        writeln!(out, "original files saved in {}", backup_dir.display())?;
    }
    for f in &r.after.findings {
        write_finding(&mut out, "DAMAGE LEFT", f)?;
    }
    let verdict = if clean {
        "clean".to_string()
    } else {
        format!("{} finding(s)", r.after.findings.len())
    };
    writeln!(out, "verify after repair: {verdict}")?;
    Ok(clean)
}

/// `shardlog inspect [segment FILE | checkpoint FILE]`.
pub fn inspect(dir: &Path, what: Option<InspectWhat>, json_out: bool) -> CliResult {
    let mut out = std::io::stdout().lock();
    match what {
        None => summary(dir, json_out, &mut out),
        Some(InspectWhat::Segment {
            file,
            from,
            limit,
            hex,
        }) => segment(&file, from, limit, hex, json_out, &mut out),
        Some(InspectWhat::Checkpoint { file }) => checkpoint(&file, json_out, &mut out),
    }
}

fn summary(dir: &Path, json_out: bool, out: &mut impl Write) -> CliResult {
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()).into());
    }
    let s = shardlog::inspect::summarize(dir)?;
    if json_out {
        let streams: Vec<Value> = s
            .streams
            .iter()
            .map(|st| {
                let shards: Vec<Value> = st
                    .shards
                    .iter()
                    .map(|sh| {
                        json!({"id": sh.id, "parent": sh.parent, "adjacent_parent": sh.adjacent_parent,
                               "children": sh.children, "closed": sh.closed,
                               "starting_hash_key": sh.hash_range.0.to_string(),
                               "ending_hash_key": sh.hash_range.1.to_string(),
                               "segments": sh.segments, "bytes": sh.bytes,
                               "oldest_ms": sh.oldest_ms, "newest_ms": sh.newest_ms})
                    })
                    .collect();
                json!({"name": st.name, "incarnation": st.incarnation, "mode": st.mode,
                       "retention_hours": st.retention_hours, "size_cap_bytes": st.size_cap_bytes,
                       "consumers": st.consumers, "shards": shards})
            })
            .collect();
        let leases: Vec<Value> = s
            .leases
            .iter()
            .map(|l| {
                json!({"application": l.key.application, "stream": l.key.stream,
                       "shard": l.key.shard_id, "owner": l.owner, "counter": l.counter,
                       "checkpoint": crate::checkpoint_text(&l.checkpoint)})
            })
            .collect();
        writeln!(
            out,
            "{}",
            json!({"streams": streams, "leases": leases, "leases_error": s.leases_error})
        )?;
        return Ok(());
    }
    for st in &s.streams {
        let cap = st.size_cap_bytes.map_or("none".into(), |c| c.to_string());
        writeln!(
            out,
            "stream {} (incarnation {}, {}, retention {} h, size cap {cap}, consumers: {})",
            st.name,
            st.incarnation,
            st.mode,
            st.retention_hours,
            if st.consumers.is_empty() {
                "-".into()
            } else {
                st.consumers.join(",")
            }
        )?;
        writeln!(
            out,
            "  shard\tstate\tparent\tadjacent\tchildren\tsegments\tbytes\toldest_ms\tnewest_ms"
        )?;
        for sh in &st.shards {
            let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            let t = |v: Option<u64>| v.map_or("-".into(), |t| t.to_string());
            writeln!(
                out,
                "  {}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                sh.id,
                if sh.closed { "closed" } else { "open" },
                opt(&sh.parent),
                opt(&sh.adjacent_parent),
                if sh.children.is_empty() {
                    "-".into()
                } else {
                    sh.children.join(",")
                },
                sh.segments,
                sh.bytes,
                t(sh.oldest_ms),
                t(sh.newest_ms)
            )?;
        }
    }
    if let Some(e) = &s.leases_error {
        writeln!(out, "leases: unreadable ({e})")?;
    } else {
        writeln!(out, "leases: {}", s.leases.len())?;
        for l in &s.leases {
            writeln!(
                out,
                "  {}\t{}\t{}\towner {}\tcounter {}\tcheckpoint {}",
                l.key.application,
                l.key.stream,
                l.key.shard_id,
                l.owner.as_deref().unwrap_or("-"),
                l.counter,
                crate::checkpoint_text(&l.checkpoint)
            )?;
        }
    }
    Ok(())
}

/// Bytes as text when they are printable UTF-8 (and `hex` is off), else as hex.
fn show(bytes: &[u8], hex: bool) -> (String, &'static str) {
    match std::str::from_utf8(bytes) {
        Ok(s) if !hex && !s.chars().any(|c| c.is_control() && c != '\t') => (s.to_string(), "text"),
        _ => (bytes.iter().map(|b| format!("{b:02x}")).collect(), "hex"),
    }
}

fn segment(
    file: &Path,
    from: u64,
    limit: usize,
    hex: bool,
    json_out: bool,
    out: &mut impl Write,
) -> CliResult {
    let d = shardlog_segment::inspect::dump_segment(file, from, limit)?;
    let records: Vec<Value> = d
        .records
        .iter()
        .map(|r| {
            let (key, key_enc) = show(&r.key, hex);
            let (data, data_enc) = show(&r.data, hex);
            json!({"seq": r.seq, "frame_offset": r.frame_offset, "timestamp_ms": r.timestamp_ms,
                   "key": key, "key_encoding": key_enc, "data": data, "data_encoding": data_enc})
        })
        .collect();
    let header = match &d.header {
        Ok(h) => json!({"log_id": h.log_id, "segment_id": h.segment_id,
                        "prev_segment_id": h.prev_segment_id, "base_seq": h.base_seq,
                        "capacity_bytes": h.capacity_bytes, "created_ms": h.created_ms}),
        Err(e) => json!({"error": e}),
    };
    let marks: Vec<Value> = d
        .marks
        .iter()
        .enumerate()
        .map(|(i, m)| match m {
            Some(m) => json!({"slot": i, "counter": m.counter, "durable_end": m.durable_end,
                              "next_seq": m.next_seq, "last_ts_ms": m.last_ts_ms, "flags": m.flags,
                              "claim_end": m.claim_end, "claim_next": m.claim_next}),
            None => json!({"slot": i, "valid": false}),
        })
        .collect();
    let index = match &d.index {
        None => Value::Null,
        Some(Err(e)) => json!({"error": e}),
        Some(Ok(i)) => json!({"data_end": i.data_end, "next_seq": i.next_seq,
            "first_ts_ms": i.first_ts_ms, "last_ts_ms": i.last_ts_ms,
            "entries": i.entries.iter().map(|e| json!({"seq": e.seq, "offset": e.offset, "timestamp_ms": e.timestamp_ms})).collect::<Vec<_>>()}),
    };
    let stop = d
        .stop
        .as_ref()
        .map(|(o, r)| json!({"offset": o, "reason": r}));
    if json_out {
        writeln!(
            out,
            "{}",
            json!({"file_bytes": d.file_bytes, "header": header, "marks": marks, "index": index,
                   "records": records, "skips": d.skips, "data_end": d.data_end, "stop": stop})
        )?;
        return Ok(());
    }
    writeln!(out, "file bytes: {}", d.file_bytes)?;
    match &d.header {
        Ok(h) => writeln!(
            out,
            "header: log_id {} segment {} prev {} base_seq {} capacity {} created_ms {}",
            h.log_id, h.segment_id, h.prev_segment_id, h.base_seq, h.capacity_bytes, h.created_ms
        )?,
        Err(e) => writeln!(out, "header: does not decode ({e})")?,
    }
    for (i, m) in d.marks.iter().enumerate() {
        match m {
            Some(m) => writeln!(
                out,
                "mark slot {i}: counter {} durable_end {} next_seq {} last_ts_ms {} flags [{}] claim_end {} claim_next {}",
                m.counter, m.durable_end, m.next_seq, m.last_ts_ms, m.flags.join(","), m.claim_end, m.claim_next
            )?,
            None => writeln!(out, "mark slot {i}: empty or invalid")?,
        }
    }
    match &d.index {
        None => writeln!(out, "index: no .idx file")?,
        Some(Err(e)) => writeln!(out, "index: does not decode ({e})")?,
        Some(Ok(i)) => {
            writeln!(
                out,
                "index: data_end {} next_seq {} first_ts_ms {} last_ts_ms {} entries {}",
                i.data_end,
                i.next_seq,
                i.first_ts_ms,
                i.last_ts_ms,
                i.entries.len()
            )?;
            writeln!(out, "  seq\toffset\ttimestamp_ms")?;
            for e in &i.entries {
                writeln!(out, "  {}\t{}\t{}", e.seq, e.offset, e.timestamp_ms)?;
            }
        }
    }
    writeln!(out, "records:")?;
    writeln!(out, "  seq\toffset\ttimestamp_ms\tkey\tdata")?;
    for r in &d.records {
        let (key, _) = show(&r.key, hex);
        let (data, _) = show(&r.data, hex);
        writeln!(
            out,
            "  {}\t{}\t{}\t{key}\t{data}",
            r.seq, r.frame_offset, r.timestamp_ms
        )?;
    }
    for (offset, next) in &d.skips {
        writeln!(out, "skip frame at byte {offset}: next number {next}")?;
    }
    if let Some((o, r)) = &d.stop {
        writeln!(out, "frames stop at byte {o}: {r}")?;
    }
    Ok(())
}

fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

fn checkpoint(file: &Path, json_out: bool, out: &mut impl Write) -> CliResult {
    let (dir, name) = match (file.parent(), file.file_name().and_then(|n| n.to_str())) {
        (Some(d), Some(n)) => (
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            },
            n,
        ),
        _ => return Err(format!("{} is not a file path", file.display()).into()),
    };
    if !file.is_file() {
        return Err(format!("{} is not a file", file.display()).into());
    }
    let storage: Arc<dyn shardlog_storage::Storage> =
        Arc::new(shardlog_storage::FsStorage::open(dir)?);
    let check = shardlog_checkpoint::check_file(storage.clone(), name)?;
    let db = shardlog_checkpoint::Db::open_read_only(storage, name)?;
    let info = db.info();
    let snap = db.read()?;
    let mut entries = Vec::new();
    for e in snap.iter() {
        entries.push(e?);
    }
    if json_out {
        let slots: Vec<Value> = check
            .slots
            .iter()
            .map(|s| {
                json!({"slot": s.slot, "offset": s.offset, "state": s.state, "txn": s.txn,
                       "page_count": s.page_count, "entries": s.entries, "log_pages": s.log_pages})
            })
            .collect();
        let kv: Vec<Value> = entries
            .iter()
            .map(|(k, v)| json!({"key": escape(k), "value": escape(v)}))
            .collect();
        let damage: Vec<Value> = check
            .damage
            .iter()
            .map(|(o, r)| json!({"offset": o, "reason": r}))
            .collect();
        writeln!(
            out,
            "{}",
            json!({"file_bytes": check.file_bytes, "slots": slots, "current_slot": check.current_slot,
                   "txn": info.txn, "tree_txn": info.tree_txn, "page_count": info.page_count,
                   "file_pages": info.file_pages, "free_pages": info.free_pages,
                   "log_bytes": info.log_bytes, "log_capacity_bytes": info.log_capacity_bytes,
                   "entries": kv, "damage": damage})
        )?;
        return Ok(());
    }
    writeln!(out, "file bytes: {}", check.file_bytes)?;
    for s in &check.slots {
        let n = |v: Option<u64>| v.map_or("-".into(), |v| v.to_string());
        writeln!(
            out,
            "slot {} (byte {}): {}; txn {} pages {} keys {} log pages {}{}",
            s.slot,
            s.offset,
            s.state,
            n(s.txn),
            n(s.page_count),
            n(s.entries),
            n(s.log_pages),
            if check.current_slot == Some(s.slot) {
                " (current)"
            } else {
                ""
            }
        )?;
    }
    writeln!(
        out,
        "newest commit {} on tree commit {}; pages {} of {} in the file, {} free; redo log {} of {} bytes",
        info.txn, info.tree_txn, info.page_count, info.file_pages, info.free_pages, info.log_bytes, info.log_capacity_bytes
    )?;
    for (o, r) in &check.damage {
        writeln!(out, "DAMAGE at byte {o}: {r}")?;
    }
    writeln!(out, "keys: {}", entries.len())?;
    for (k, v) in &entries {
        writeln!(out, "  {}\t{}", escape(k), escape(v))?;
    }
    Ok(())
}

/// `shardlog backup DEST` and `shardlog restore SRC`: 0 done, 2 refused or failed.
pub fn backup_or_restore(
    data_dir: &Path,
    backup: Option<&Path>,
    restore: Option<&Path>,
) -> ExitCode {
    let started = Instant::now();
    let (verb, result) = match (backup, restore) {
        (Some(dest), _) => ("backup", run_backup(data_dir, dest)),
        (_, Some(src)) => ("restore", run_restore(src, data_dir)),
        _ => return ExitCode::from(2),
    };
    match result {
        Ok((report, target)) => {
            let secs = started.elapsed().as_secs_f64();
            let mb_s = report.bytes as f64 / 1e6 / secs.max(1e-9);
            println!(
                "{verb}: {} streams, {} shards, {} segments ({} hard-linked), {} bytes{} into {} \
                 in {secs:.2} s ({mb_s:.0} MB/s)",
                report.streams,
                report.shards,
                report.segments,
                report.linked,
                report.bytes,
                if report.leases { ", lease table" } else { "" },
                target.display(),
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

type Report = (shardlog::backup::BackupReport, PathBuf);

fn run_backup(data_dir: &Path, dest: &Path) -> CliResult<Report> {
    if !data_dir.join("catalog").is_file() {
        return Err(format!("{} holds no store (no catalog)", data_dir.display()).into());
    }
    let opts = shardlog::StoreOptions {
        retention_interval: None,
        ..shardlog::StoreOptions::default()
    };
    let store = match shardlog::Store::open(data_dir, opts) {
        Ok(s) => s,
        Err(shardlog::Error::Locked(_)) => return backup_through_server(data_dir, dest),
        Err(e) => return Err(e.into()),
    };
    let progress = Progress::new("backup");
    let report = store.backup(dest, &|n| progress.add(n));
    progress.finish();
    store.close()?;
    Ok((report?, dest.to_path_buf()))
}

/// The file name of a running `serve`'s control socket in its data directory.
pub const CONTROL_SOCKET: &str = "control.sock";

/// The store is held by another process: ask it, through its control socket, to take the backup.
fn backup_through_server(data_dir: &Path, dest: &Path) -> CliResult<Report> {
    let socket = data_dir.join(CONTROL_SOCKET);
    let dest = std::path::absolute(dest)?;
    let progress = Progress::new("backup");
    let report = shardlog_server::backup_through(&socket, &dest, &|n| progress.set(n));
    progress.finish();
    match report {
        Ok(report) => Ok((report, dest)),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::ConnectionRefused) => {
            Err(format!(
                "the store at {} is open by another process, and no `shardlog serve` answers on \
                 {}: stop that process and run this again, or take the backup inside the \
                 process that owns the store (shardlog::Store::backup)",
                data_dir.display(),
                socket.display()
            )
            .into())
        }
        Err(e) => {
            Err(format!("the server holding the store refused or failed the backup: {e}").into())
        }
    }
}

fn run_restore(src: &Path, data_dir: &Path) -> CliResult<Report> {
    let progress = Progress::new("restore");
    let report = shardlog::backup::restore(src, data_dir, &|n| progress.add(n));
    progress.finish();
    Ok((report?, data_dir.to_path_buf()))
}

/// Bytes written so far: a spinner with bytes/s on a terminal, else a line every 256 MiB.
struct Progress {
    verb: &'static str,
    bar: Option<indicatif::ProgressBar>,
    bytes: std::sync::atomic::AtomicU64,
}

impl Progress {
    const LINE_EVERY: u64 = 256 << 20;

    fn new(verb: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
                "{verb} {{spinner}} {{binary_bytes}} {{binary_bytes_per_sec}} {{elapsed}}"
            )) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        if bar.is_none() {
            eprintln!("{verb}: started");
        }
        Progress {
            verb,
            bar,
            bytes: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn add(&self, n: u64) {
        let before = self
            .bytes
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        match &self.bar {
            Some(bar) => bar.inc(n),
            None if (before + n) / Self::LINE_EVERY > before / Self::LINE_EVERY => {
                eprintln!("{}: {} MiB written", self.verb, (before + n) >> 20);
            }
            None => {}
        }
    }

    /// Moves the count up to `total` (for progress reported as totals).
    fn set(&self, total: u64) {
        let now = self.bytes.load(std::sync::atomic::Ordering::Relaxed);
        self.add(total.saturating_sub(now));
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Writes one finding as two lines: `LABEL kind in FILE at byte N` and its meaning.
fn write_finding(
    out: &mut impl Write,
    label: &str,
    f: &shardlog::verify::Finding,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{label} {} in {} at byte {}",
        f.kind.as_str(),
        f.file.display(),
        f.offset
    )?;
    writeln!(out, "  meaning: {}", f.meaning)
}

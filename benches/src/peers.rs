//! The same work done by the peer crates `raft-engine` 0.4 and `commitlog` 0.2 (feature `peers`).
//!
//! Fairness rules (see `docs/performance.md`): each peer gets the same records (key and data), the
//! same batches of records and the same file size as our segments; the peer's own framing, encoding
//! and checksumming are timed. raft-engine entries are built outside the timed loop (they are the
//! peer's input type, as `(key, data)` slices are ours); commitlog's `MessageBuf` is built inside it
//! because building it is commitlog's framing and CRC step.

use crate::{Res, ScanTotals};
use std::path::Path;
use std::time::{Duration, Instant};

/// raft-engine: one Raft group (region 1) holds the stream; the key goes into the entry's
/// `context`, the data into `data`.
pub mod raft {
    use super::*;
    use raft_engine::{Config, Engine, LogBatch, MessageExt, ReadableSize};
    use raft_proto::eraftpb::Entry;

    /// The region every entry goes to.
    pub const REGION: u64 = 1;

    /// raft-engine's message type binding for `eraftpb::Entry`.
    #[derive(Debug, Clone, Copy)]
    pub struct Msg;

    impl MessageExt for Msg {
        type Entry = Entry;
        fn index(e: &Entry) -> u64 {
            e.index
        }
    }

    /// Configuration: no compression, files of `file_bytes`, everything else default.
    pub fn config(dir: &Path, file_bytes: u64) -> Config {
        Config {
            dir: dir.to_string_lossy().into_owned(),
            batch_compression_threshold: ReadableSize(0),
            target_file_size: ReadableSize(file_bytes),
            ..Config::default()
        }
    }

    /// Opens the engine in `dir`.
    pub fn open(dir: &Path, file_bytes: u64) -> Res<Engine> {
        Ok(Engine::open(config(dir, file_bytes))?)
    }

    /// Entries for records `first..`, indexes starting at `first + 1` (Raft indexes start at 1).
    pub fn entries(records: &[(&[u8], &[u8])], first: u64) -> Vec<Entry> {
        records
            .iter()
            .enumerate()
            .map(|(i, (key, data))| Entry {
                index: first + 1 + i as u64,
                term: 1,
                data: data.to_vec().into(),
                context: key.to_vec().into(),
                ..Entry::default()
            })
            .collect()
    }

    /// Writes each batch with one `Engine::write` (`sync` = one `fdatasync` per write).
    pub fn append(engine: &Engine, batches: &[Vec<Entry>], sync: bool) -> Res<Duration> {
        let mut lb = LogBatch::with_capacity(batches.first().map_or(0, Vec::len));
        let start = Instant::now();
        for batch in batches {
            lb.add_entries::<Msg>(REGION, batch)?;
            engine.write(&mut lb, sync)?;
        }
        Ok(start.elapsed())
    }

    /// Reads all entries in order, `chunk` at a time, summing data lengths.
    pub fn scan_all(engine: &Engine, chunk: u64) -> Res<(Duration, ScanTotals)> {
        let mut totals = ScanTotals::default();
        let mut vec = Vec::with_capacity(chunk as usize);
        let start = Instant::now();
        let first = engine.first_index(REGION).ok_or("raft-engine: empty")?;
        let last = engine.last_index(REGION).ok_or("raft-engine: empty")?;
        let mut at = first;
        while at <= last {
            let end = (at + chunk).min(last + 1);
            vec.clear();
            engine.fetch_entries_to::<Msg>(REGION, at, end, None, &mut vec)?;
            for e in &vec {
                totals.records += 1;
                totals.bytes += e.data.len() as u64;
            }
            at = end;
        }
        Ok((start.elapsed(), totals))
    }

    /// Fetches the one entry for record `seq` (index `seq + 1`); returns its data length.
    pub fn fetch_one(engine: &Engine, seq: u64, vec: &mut Vec<Entry>) -> Res<usize> {
        vec.clear();
        engine.fetch_entries_to::<Msg>(REGION, seq + 1, seq + 2, None, vec)?;
        Ok(vec.first().map_or(0, |e| e.data.len()))
    }
}

/// commitlog: the key goes into the message metadata, the data into the payload. commitlog has no
/// durable mode (`flush` never fsyncs the data file), so it is measured without sync only.
pub mod clog {
    use super::*;
    use commitlog::message::{MessageBuf, MessageSet};
    use commitlog::{CommitLog, LogOptions, ReadLimit};

    /// Bytes of commitlog's per-message header.
    pub const HEADER: usize = 20;

    /// Opens the log in `dir` with segments of `segment_bytes`.
    pub fn open(dir: &Path, segment_bytes: u64) -> Res<CommitLog> {
        let mut opts = LogOptions::new(dir);
        opts.segment_max_bytes(segment_bytes as usize);
        opts.message_max_bytes(64 << 20);
        Ok(CommitLog::new(opts)?)
    }

    /// Serialises each batch into a reused `MessageBuf` (commitlog's framing and CRC32C) and appends
    /// it.
    pub fn append(log: &mut CommitLog, batches: &[&[(&[u8], &[u8])]]) -> Res<Duration> {
        let mut buf = MessageBuf::default();
        let start = Instant::now();
        for batch in batches {
            buf.clear();
            for (key, data) in batch.iter() {
                buf.push_with_metadata(key, data)
                    .map_err(|e| format!("commitlog push: {e:?}"))?;
            }
            log.append(&mut buf)
                .map_err(|e| format!("commitlog append: {e:?}"))?;
        }
        Ok(start.elapsed())
    }

    /// Reads everything in order in chunks of `max_bytes` (commitlog verifies each message's CRC32C
    /// when it builds the `MessageBuf`).
    pub fn scan_all(log: &CommitLog, max_bytes: usize) -> Res<(Duration, ScanTotals)> {
        let mut totals = ScanTotals::default();
        let start = Instant::now();
        let end = log.next_offset();
        let mut at = 0;
        while at < end {
            let buf = log
                .read(at, ReadLimit::max_bytes(max_bytes))
                .map_err(|e| format!("commitlog read at {at}: {e:?}"))?;
            let mut last = None;
            for m in buf.iter() {
                totals.records += 1;
                totals.bytes += m.payload().len() as u64;
                last = Some(m.offset());
            }
            at = last.ok_or("commitlog read returned nothing")? + 1;
        }
        Ok((start.elapsed(), totals))
    }

    /// Reads the one message at `seq`; `msg_bytes` is its full size (header, key and data).
    pub fn fetch_one(log: &CommitLog, seq: u64, msg_bytes: usize) -> Res<usize> {
        let buf = log
            .read(seq, ReadLimit::max_bytes(msg_bytes + 1))
            .map_err(|e| format!("commitlog read at {seq}: {e:?}"))?;
        let m = buf.iter().next().ok_or("commitlog: no message")?;
        if m.offset() != seq {
            return Err(format!("commitlog: asked for {seq}, got {}", m.offset()).into());
        }
        Ok(m.payload().len())
    }
}

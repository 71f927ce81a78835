//! Opening a log: validate the chain, recover the newest segment, finish interrupted work.
//!
//! Every step is idempotent and only ever moves the files towards the state a clean open would leave,
//! so a crash during recovery is recovered by running it again.

use crate::codec::{FRAME_ALIGN, FRAME_HEADER_LEN, RECORD_HEADER_LEN};
use crate::error::{Error, Result};
use crate::header::{
    Mark, SegmentHeader, DATA_START, HEADER_LEN, MARK_CLEAN, MARK_EAGER, MARK_LEN, MARK_OFFSETS,
    MARK_SEALED, MAX_SEQ,
};
use crate::index::IndexFile;
use crate::log::ShardLog;
use crate::meta::{LogMeta, META_NAME};
use crate::options::{Durability, LogOptions, RecoveryMode, MAX_SEGMENT_BYTES};
use crate::segment::{
    check_index, corruption, frame_at, index_name, last_nonzero_end, parse_segment_name, rewrite,
    scan, scan_to, segment_name, skip_frame, zero_fill, Segment, Tip,
};
use crate::state::{Chain, Inner, SyncState, Writer};
use shardlog_storage::{read_file, write_file_atomic, Storage, StorageFile};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};

/// A segment file found on open, with its header. Its file is opened only while it is worked on,
/// so a log of many segments never holds them all open at once.
struct Found {
    header: SegmentHeader,
}

impl Found {
    fn open(&self, storage: &dyn Storage) -> Result<Arc<dyn StorageFile>> {
        Ok(storage.open(&segment_name(self.header.segment_id))?)
    }
}

/// State of the newest segment after recovery.
struct Active {
    seg: Arc<Segment>,
    tip: Tip,
    first_ts_ms: u64,
    /// Numbers past the valid end may have been handed out: skip past them.
    must_skip: bool,
    /// Numbers below this may have been acknowledged or read, according to the newest mark's claim.
    mark_next: u64,
    /// Timestamps never go below this (the mark's last timestamp).
    mark_last_ts_ms: u64,
    mark_counter: u64,
    /// Numbers below this may have been handed out in segments that recovery dropped.
    skip_floor: u64,
    /// The newest mark says the log ran in an eager mode and was not closed cleanly.
    eager_unclean: bool,
}

/// How a non-newest segment opened.
enum Opened {
    Sealed(Arc<Segment>),
    /// Its background seal never completed and its tail is torn: the log ends here.
    Torn,
}

impl ShardLog {
    /// Opens the log stored in `storage`, creating it if the storage holds no log.
    ///
    /// Recovery scans the newest segment to its last valid frame; a torn tail after the durable mark is
    /// zero-filled and synced; damage before it is an [`Error::Corrupt`] naming the file and offset
    /// (unless [`RecoveryMode::TruncateNewestSegment`] was chosen).
    ///
    /// ```
    /// use shardlog_segment::{LogOptions, ShardLog};
    /// use shardlog_storage::FsStorage;
    /// use std::sync::Arc;
    /// let dir = tempfile::tempdir().unwrap();
    /// let storage = Arc::new(FsStorage::open(dir.path()).unwrap());
    /// let log = ShardLog::open(storage.clone(), LogOptions::default()).unwrap();
    /// log.append(b"k", b"v").unwrap();
    /// log.close().unwrap();
    /// let log = ShardLog::open(storage, LogOptions::default()).unwrap();
    /// assert_eq!(log.next_seq(), 1);
    /// ```
    pub fn open(storage: Arc<dyn Storage>, opts: LogOptions) -> Result<ShardLog> {
        opts.validate()?;
        let started = std::time::Instant::now();
        let names = storage.list()?;
        remove_leftover_temps(&*storage, &names)?;
        let mut meta = load_meta(&*storage, &opts, &names)?;
        let found = load_segments(&*storage, &mut meta, &names)?;
        let max_id = found.last().map_or(0, |f| f.header.segment_id);
        let mut segments = Vec::with_capacity(found.len());
        let mut active = None;
        for (i, f) in found.iter().enumerate() {
            let Some(next) = found.get(i + 1) else {
                active = Some(recover_active(&*storage, f, &opts, 0)?);
                break;
            };
            match open_sealed(&*storage, f, next.header.base_seq)? {
                Opened::Sealed(seg) => {
                    // Closed again unless among the most recently used: a log of many segments
                    // opens within the descriptor and mapping limits.
                    seg.park(&storage, &opts.open_segments);
                    segments.push(seg);
                }
                Opened::Torn => {
                    // Damage before the segment's durable mark is corruption, not a torn tail:
                    // refuse before anything is deleted.
                    check_torn_after_mark(&*storage, f, &opts)?;
                    let dropped = found.get(i + 1..).unwrap_or_default();
                    let floor = drop_torn_suffix(&*storage, &mut meta, dropped)?;
                    tracing::warn!(
                        file = %storage.path(&segment_name(f.header.segment_id)).display(),
                        later_segments_dropped = dropped.len(),
                        next_seq_floor = floor,
                        "a segment the background sealer never finished has a torn tail: the log ends there"
                    );
                    active = Some(recover_active(&*storage, f, &opts, floor)?);
                    break;
                }
            }
        }
        if let Some(a) = &active {
            segments.push(a.seg.clone());
        }
        let count = segments.len();
        let dir = storage.path("");
        let inner = assemble(storage, opts, meta, segments, active, max_id)?;
        let log = ShardLog::from_inner(inner)?;
        tracing::debug!(
            dir = %dir.display(),
            segments = count,
            next_seq = log.next_seq(),
            took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "shard log opened"
        );
        Ok(log)
    }
}

fn remove_leftover_temps(storage: &dyn Storage, names: &[String]) -> Result<()> {
    // Atomic-write temps and merged segments that were never committed.
    let temps: Vec<&String> = names
        .iter()
        .filter(|n| n.ends_with(".tmp") || n.ends_with(crate::compact::COMPACT_SUFFIX))
        .collect();
    for name in &temps {
        storage.remove(name)?;
    }
    if !temps.is_empty() {
        tracing::info!(
            dir = %storage.path("").display(),
            files = temps.len(),
            "removed temporary files a crash left"
        );
        storage.sync_dir()?;
    }
    Ok(())
}

fn load_meta(storage: &dyn Storage, opts: &LogOptions, names: &[String]) -> Result<LogMeta> {
    let Some(bytes) = read_file(storage, META_NAME)? else {
        if names.iter().any(|n| parse_segment_name(n).is_some()) {
            let reason = "segment files exist but log.meta is missing";
            return Err(Error::corrupt(storage.path(META_NAME), 0, reason));
        }
        let meta = LogMeta {
            log_id: opts.log_id,
            start_seq: opts.first_seq,
            next_seq_floor: opts.first_seq,
            first_live_segment: 1,
        };
        write_file_atomic(storage, META_NAME, &meta.encode())?;
        return Ok(meta);
    };
    let meta = LogMeta::decode(&bytes)
        .map_err(|r| Error::foreign(storage.path(META_NAME), "log.meta", r))?;
    if meta.log_id != opts.log_id {
        let reason = format!(
            "belongs to log {}, opened as log {}",
            meta.log_id, opts.log_id
        );
        return Err(Error::foreign(storage.path(META_NAME), "log.meta", reason));
    }
    Ok(meta)
}

/// Opens every live segment in id order, finishing deletions a crash interrupted and discarding a
/// newest segment whose creation never completed.
fn load_segments(
    storage: &dyn Storage,
    meta: &mut LogMeta,
    names: &[String],
) -> Result<Vec<Found>> {
    let mut ids: Vec<u64> = names.iter().filter_map(|n| parse_segment_name(n)).collect();
    ids.sort_unstable();
    let (dead, live): (Vec<u64>, Vec<u64>) =
        ids.iter().partition(|&&id| id < meta.first_live_segment);
    let mut removed = false;
    for id in dead {
        storage.remove(&segment_name(id))?;
        tracing::info!(
            file = %storage.path(&segment_name(id)).display(),
            "finished deleting an expired segment (a crash interrupted the deletion)"
        );
        removed = true;
    }
    for name in names.iter().filter(|n| n.ends_with(".idx")) {
        let id = name
            .strip_suffix(".idx")
            .and_then(|d| d.parse::<u64>().ok());
        if id.is_some_and(|id| id < meta.first_live_segment || !live.contains(&id)) {
            storage.remove(name)?;
            removed = true;
        }
    }
    let mut found = Vec::with_capacity(live.len());
    for (i, &id) in live.iter().enumerate() {
        let name = segment_name(id);
        let file = storage.open(&name)?;
        let mut head = vec![0u8; (DATA_START.min(file.len())) as usize];
        file.read_at(0, &mut head)?;
        let header = match SegmentHeader::decode(&head) {
            Ok(h) => h,
            Err(_)
                if i + 1 == live.len()
                    && (is_unfinished(&*file, &head)?
                        || lost_spare_header(storage, found.last())?) =>
            {
                // Creation was cut short before the segment could hold a record, or it is a spare
                // whose header never became durable (none of its records was ever reported
                // durable; the skip of step 7 covers their numbers): finish undoing it.
                drop(file);
                storage.remove(&name)?;
                tracing::warn!(
                    file = %storage.path(&name).display(),
                    "deleted a newest segment (or spare) whose creation never completed"
                );
                removed = true;
                continue;
            }
            Err(reason) => return Err(Error::foreign(file.path(), "segment", reason)),
        };
        if found.is_empty() && id != meta.first_live_segment {
            let reason = format!("the log starts at segment {} but the first file is segment {id}: a segment is missing", meta.first_live_segment);
            return Err(Error::corrupt(file.path(), 0, reason));
        }
        // A merged segment names the segment before its run as predecessor: the run's older
        // segments, still on disk if a crash beat their deletion, are covered leftovers.
        let mut covered = Vec::new();
        while found.last().is_some_and(|f: &Found| {
            f.header.segment_id > header.prev_segment_id && f.header.segment_id < id
        }) {
            if let Some(f) = found.pop() {
                if f.header.base_seq < header.base_seq {
                    let reason = format!(
                        "segment {id} does not cover segment {} it replaced",
                        f.header.segment_id
                    );
                    return Err(Error::corrupt(file.path(), 0, reason));
                }
                covered.push(f.header.segment_id);
            }
        }
        if !covered.is_empty() {
            if found.is_empty() && meta.first_live_segment < id {
                // The run started the log: the merged segment starts it now (durably, before the
                // leftovers go).
                meta.first_live_segment = id;
                write_file_atomic(storage, META_NAME, &meta.encode())?;
            }
            tracing::info!(
                file = %storage.path(&name).display(),
                segments = covered.len(),
                "removed segments a merged segment replaced (a crash beat their deletion)"
            );
            crate::compact::remove_leftovers(storage, covered.into_iter())?;
        }
        check_header(&header, &*file, meta, id, found.last())?;
        found.push(Found { header });
    }
    if removed {
        storage.sync_dir()?;
    }
    Ok(found)
}

/// True if a segment with an unreadable header never got past creation: its data area is untouched.
fn is_unfinished(file: &dyn StorageFile, head: &[u8]) -> Result<bool> {
    if head.len() < DATA_START as usize || file.len() <= DATA_START {
        return Ok(true);
    }
    let mut first = vec![0u8; (file.len() - DATA_START).min(4096) as usize];
    file.read_at(DATA_START, &mut first)?;
    Ok(first.iter().all(|&b| b == 0))
}

/// True if the segment before a newest segment without a header shows that a roll into a spare may
/// have happened after its last durable state: its newest mark is EAGER, neither SEALED nor CLEAN. The
/// sealer makes a spare's header durable before it marks the segment before it SEALED (`seal.rs`).
fn lost_spare_header(storage: &dyn Storage, prev: Option<&Found>) -> Result<bool> {
    let Some(prev) = prev else { return Ok(false) };
    let probe = Segment::new(prev.header, prev.open(storage)?, Default::default());
    let open_eager =
        |m: &Mark| m.flags & MARK_EAGER != 0 && m.flags & (MARK_SEALED | MARK_CLEAN) == 0;
    Ok(read_mark(&probe)?.is_some_and(|m| open_eager(&m)))
}

fn check_header(
    header: &SegmentHeader,
    file: &dyn StorageFile,
    meta: &LogMeta,
    id: u64,
    prev: Option<&Found>,
) -> Result<()> {
    let fail = |reason: String| Err(Error::corrupt(file.path(), 0, reason));
    if header.log_id != meta.log_id {
        return fail(format!(
            "segment of log {} found in log {}",
            header.log_id, meta.log_id
        ));
    }
    if header.segment_id != id {
        return fail(format!(
            "header names segment {}, file name says {id}",
            header.segment_id
        ));
    }
    if header.capacity_bytes != file.len() || header.capacity_bytes <= DATA_START {
        return fail(format!(
            "header capacity {} but file has {} bytes",
            header.capacity_bytes,
            file.len()
        ));
    }
    if let Some(prev) = prev {
        if header.prev_segment_id != prev.header.segment_id {
            return fail(format!(
                "segment follows segment {} but the previous file is segment {}: a segment is missing",
                header.prev_segment_id, prev.header.segment_id
            ));
        }
        if header.base_seq < prev.header.base_seq {
            return fail("base sequence number below the previous segment's".into());
        }
    }
    Ok(())
}

/// Opens a sealed segment through its index file, rebuilding the index if it is missing or wrong.
/// Its records must end exactly where the next segment begins.
fn open_sealed(storage: &dyn Storage, f: &Found, next_base: u64) -> Result<Opened> {
    let name = index_name(f.header.segment_id);
    let file = f.open(storage)?;
    let probe = Segment::new(f.header, file.clone(), Default::default());
    let cached = read_file(storage, &name)
        .ok()
        .flatten()
        .and_then(|b| IndexFile::decode(&b).ok())
        .filter(|idx| check_index(idx, &f.header, &*file).is_ok() && idx.next_seq == next_base)
        .filter(|idx| spot_check(&probe, idx));
    let mark = read_mark(&probe)?;
    let sealed = mark.is_some_and(|m| m.flags & MARK_SEALED != 0);
    let idx = match cached {
        Some(idx) => idx,
        None => {
            // Only a segment the background sealer never finished may legitimately have a torn tail.
            let unsealed = mark.is_some_and(|m| m.flags & MARK_EAGER != 0) && !sealed;
            match rebuild_index(storage, f, next_base, &name) {
                Ok(idx) => {
                    tracing::warn!(
                        file = %storage.path(&name).display(),
                        entries = idx.index.entries.len(),
                        "rebuilt a missing or damaged sparse index"
                    );
                    idx
                }
                Err(Error::Corrupt { .. }) if unsealed => return Ok(Opened::Torn),
                Err(e) => return Err(e),
            }
        }
    };
    let seg = Segment::new(f.header, file, idx.index.clone());
    if !sealed {
        // Complete but never sealed (a crash beat the background sealer): it may exist only in the
        // page cache. Make it durable and seal it before trusting it.
        let counter = mark.map_or(0, |m| m.counter).saturating_add(1);
        let sealed_mark = Mark {
            counter,
            durable_end: idx.data_end,
            next_seq: idx.next_seq,
            last_ts_ms: idx.last_ts_ms,
            flags: MARK_SEALED | mark.map_or(0, |m| m.flags & MARK_EAGER),
            claim_end: 0,
            claim_next: 0,
        };
        // Bytes past the last durable mark may be page cache that a failed sync left clean.
        let durable = mark.map_or(DATA_START, |m| m.durable_end.max(DATA_START));
        rewrite(&*seg.file()?, 0, HEADER_LEN as u64)?;
        rewrite(&*seg.file()?, durable.min(idx.data_end), idx.data_end)?;
        seg.file()?.sync()?;
        seg.write_mark(&sealed_mark)?;
        seg.file()?.sync()?;
        tracing::info!(
            file = %storage.path(&segment_name(f.header.segment_id)).display(),
            "sealed a full segment the background sealer never finished"
        );
    }
    seg.set_sealed();
    let tip = Tip {
        end: idx.data_end,
        next_seq: idx.next_seq,
        last_ts_ms: idx.last_ts_ms,
    };
    let first_ts_ms = if idx.index.entries.is_empty() {
        u64::MAX
    } else {
        idx.first_ts_ms
    };
    seg.publish(tip, first_ts_ms);
    seg.durable_state().0 = tip;
    Ok(Opened::Sealed(Arc::new(seg)))
}

/// Errors (in strict mode) if a torn segment's first damaged frame lies before its durable mark.
fn check_torn_after_mark(storage: &dyn Storage, f: &Found, opts: &LogOptions) -> Result<()> {
    let file = f.open(storage)?;
    let probe = Segment::new(f.header, file.clone(), Default::default());
    let mark = read_mark(&probe)?;
    let s = scan(&*file, &f.header)?;
    match acknowledged_damage(&*file, mark, s.stop.as_ref())? {
        Some((offset, reason)) if opts.recovery == RecoveryMode::Strict => {
            Err(corruption(&*file, offset, &reason))
        }
        _ => Ok(()),
    }
}

/// The scan's stop, if the newest mark says it hit acknowledged bytes: bytes before the durable
/// end, or bytes of the last group commit (up to the mark's claim) damaged in a way that a power
/// cut during that sync cannot explain. Anything else is a torn tail.
fn acknowledged_damage(
    file: &dyn StorageFile,
    mark: Option<Mark>,
    stop: Option<&(u64, String)>,
) -> Result<Option<(u64, String)>> {
    let Some((offset, reason)) = stop else {
        return Ok(None);
    };
    let (durable_end, claimed_end) = mark.map_or((DATA_START, DATA_START), |m| {
        (m.durable_end, m.claimed_end())
    });
    if *offset < durable_end {
        let reason = format!("{reason} (before the durable mark at byte {durable_end})");
        return Ok(Some((*offset, reason)));
    }
    if *offset < claimed_end && !torn_write_could_leave(file, *offset, claimed_end)? {
        let reason = format!(
            "{reason} (inside the last group commit, bytes {durable_end}..{claimed_end}, with no \
             zeroed sector: not a torn write, so acknowledged records are damaged)"
        );
        return Ok(Some((*offset, reason)));
    }
    Ok(None)
}

/// True if the frame at `offset` could be a torn write of fresh space. Space past the write end is
/// always zeros (new files, zero-filled tails), a frame is written by one write, and a power cut
/// leaves each 512-byte sector as it was or as some write left it; so a frame torn by a power cut
/// has at least one sector whose part of the frame is all zeros. A flipped bit leaves none.
fn torn_write_could_leave(file: &dyn StorageFile, offset: u64, claimed_end: u64) -> Result<bool> {
    assert!(offset < claimed_end, "only the claimed bytes are judged");
    let mut head = [0u8; FRAME_HEADER_LEN];
    let head_len = (claimed_end - offset).min(FRAME_HEADER_LEN as u64) as usize;
    file.read_at(offset, &mut head[..head_len])?;
    let len = u64::from(u32::from_le_bytes([head[0], head[1], head[2], head[3]]));
    // A damaged length field cannot be trusted: then judge every claimed byte after the frame start.
    let end = if len >= FRAME_HEADER_LEN as u64 && offset + len <= claimed_end {
        offset + len
    } else {
        claimed_end
    };
    let mut piece = vec![0u8; SECTOR as usize];
    let mut at = offset;
    while at < end {
        let to = (at / SECTOR + 1).saturating_mul(SECTOR).min(end);
        let buf = &mut piece[..(to - at) as usize];
        file.read_at(at, buf)?;
        if buf.iter().all(|&b| b == 0) {
            return Ok(true);
        }
        at = to;
    }
    Ok(false)
}

/// The unit a power cut writes whole (`storage::sim` models the same).
const SECTOR: u64 = 512;

/// Deletes the segments after a torn, unsealed one and returns a sequence number above anything they
/// could have held. That floor is made durable in `log.meta` first: once the files are gone nothing
/// else remembers how far numbering went.
fn drop_torn_suffix(storage: &dyn Storage, meta: &mut LogMeta, dropped: &[Found]) -> Result<u64> {
    // Each dropped segment's valid frames (skip frames included) tell how far it numbered; its torn
    // rest can hold at most one record per record header of room.
    let mut floor = 0;
    for f in dropped {
        let file = f.open(storage)?;
        let s = scan(&*file, &f.header)?;
        let room = f.header.capacity_bytes.saturating_sub(s.tip.end) / RECORD_HEADER_LEN as u64;
        let probe = Segment::new(f.header, file, Default::default());
        let marked = read_mark(&probe)?.map_or(0, |m| m.claimed_next());
        floor = floor
            .max(s.tip.next_seq.saturating_add(room).saturating_add(1))
            .max(marked);
    }
    let floor = floor.min(MAX_SEQ - 1);
    if floor > meta.next_seq_floor {
        meta.next_seq_floor = floor;
        write_file_atomic(storage, META_NAME, &meta.encode())?;
    }
    let names = storage.list()?;
    // Newest first, each removal durable before the next, so a crash in between still leaves a
    // chain without a hole.
    for f in dropped.iter().rev() {
        let idx = index_name(f.header.segment_id);
        if names.contains(&idx) {
            storage.remove(&idx)?;
        }
        storage.remove(&segment_name(f.header.segment_id))?;
        storage.sync_dir()?;
    }
    Ok(floor)
}

/// True if the index's last entry names a frame that really starts there.
fn spot_check(seg: &Segment, idx: &IndexFile) -> bool {
    idx.index.entries.last().is_none_or(|last| {
        frame_at(seg, last.offset, idx.data_end).is_ok_and(|(first, _)| first == last.seq)
    })
}

/// Scans a sealed segment, which must end exactly where the next one begins, and rewrites its index.
fn rebuild_index(
    storage: &dyn Storage,
    f: &Found,
    next_base: u64,
    name: &str,
) -> Result<IndexFile> {
    let file = f.open(storage)?;
    let s = scan(&*file, &f.header)?;
    if s.tip.next_seq != next_base {
        let (offset, reason) = s.stop.unwrap_or((s.tip.end, "segment ends early".into()));
        let reason = format!(
            "{reason}; records end at sequence {} but the next segment starts at {next_base}",
            s.tip.next_seq
        );
        return Err(corruption(&*file, offset, &reason));
    }
    let idx = IndexFile {
        log_id: f.header.log_id,
        segment_id: f.header.segment_id,
        base_seq: f.header.base_seq,
        data_end: s.tip.end,
        next_seq: s.tip.next_seq,
        first_ts_ms: if s.first_ts_ms == u64::MAX {
            s.tip.last_ts_ms
        } else {
            s.first_ts_ms
        },
        last_ts_ms: s.tip.last_ts_ms,
        index: s.index,
    };
    write_file_atomic(storage, name, &idx.encode())?;
    Ok(idx)
}

/// Recovers the newest segment: scan, classify damage, cut a torn tail, sync, and write a fresh mark
/// that says "open, unclean" so that a crash from here on is recognised. After a clean close the
/// index file written by `close` replaces the scan.
fn recover_active(
    storage: &dyn Storage,
    f: &Found,
    opts: &LogOptions,
    skip_floor: u64,
) -> Result<Active> {
    let file = f.open(storage)?;
    let seg = Segment::new(f.header, file.clone(), Default::default());
    let mark = read_mark(&seg)?;
    if let Some(m) = mark.filter(|m| m.flags & MARK_CLEAN != 0) {
        if let Some(idx) = clean_index(storage, &seg, &m) {
            return Ok(from_clean_index(seg, idx, m, skip_floor));
        }
    }
    let claimed_end = mark.map_or(DATA_START, |m| m.claimed_end());
    // Never-written preallocated space is not read; zeros before the durable mark and inside the
    // last group commit still are.
    let limit = file.zero_from(DATA_START)?.max(claimed_end);
    let s = scan_to(&*file, &f.header, limit)?;
    let damage = acknowledged_damage(&*file, mark, s.stop.as_ref())?;
    let salvaged = damage.is_some();
    if let Some((offset, reason)) = damage {
        if opts.recovery == RecoveryMode::Strict {
            return Err(corruption(&*file, offset, &reason));
        }
        tracing::error!(
            file = %file.path().display(),
            offset,
            reason = %reason,
            "damage before the durable mark: records from here on are dropped (TruncateNewestSegment)"
        );
    }
    let clean = mark.is_some_and(|m| m.flags & MARK_CLEAN != 0 && m.durable_end == s.tip.end);
    // After a clean close nothing was written past the end; otherwise cut whatever a crash left there.
    if !clean {
        let dirty_end = last_nonzero_end(&*file, s.tip.end)?;
        if dirty_end > s.tip.end {
            zero_fill(&*file, s.tip.end, dirty_end)?;
            tracing::warn!(
                file = %file.path().display(),
                offset = s.tip.end,
                bytes = dirty_end - s.tip.end,
                "cut a torn tail after the last valid record"
            );
        }
    }
    // Also makes bytes that a killed process left in the page cache durable before we trust them.
    // They (and the header) are written again first: after a failed sync, Linux keeps them in the
    // cache but marks them clean, and a plain sync would not write them.
    let durable = mark.map_or(DATA_START, |m| m.durable_end.max(DATA_START));
    rewrite(&*file, 0, HEADER_LEN as u64)?;
    rewrite(&*file, durable.min(s.tip.end), s.tip.end)?;
    file.sync()?;
    *seg.index_mut() = s.index;
    let unclean = mark.is_none_or(|m| m.flags & MARK_CLEAN == 0);
    let eager = mark.is_none_or(|m| m.flags & MARK_EAGER != 0);
    if unclean {
        tracing::info!(
            file = %file.path().display(),
            records_end = s.tip.end,
            next_seq = s.tip.next_seq,
            "recovered the newest segment after an unclean shutdown"
        );
    }
    Ok(Active {
        seg: Arc::new(seg),
        tip: s.tip,
        first_ts_ms: s.first_ts_ms,
        must_skip: (unclean && eager) || salvaged || skip_floor > 0,
        eager_unclean: unclean && eager,
        mark_next: mark.map_or(0, |m| m.claimed_next()),
        mark_last_ts_ms: mark.map_or(0, |m| m.last_ts_ms),
        skip_floor,
        mark_counter: mark.map_or(0, |m| m.counter),
    })
}

/// The index file `close` wrote for the newest segment, if it describes exactly the frames its
/// CLEAN mark names (and its last entry names a real frame).
fn clean_index(storage: &dyn Storage, seg: &Segment, mark: &Mark) -> Option<IndexFile> {
    let bytes = read_file(storage, &index_name(seg.id())).ok()??;
    let idx = IndexFile::decode(&bytes).ok()?;
    let matches = check_index(&idx, &seg.header, &*seg.file().ok()?).is_ok()
        && idx.data_end == mark.durable_end
        && idx.next_seq == mark.next_seq
        && idx.last_ts_ms == mark.last_ts_ms;
    (matches && spot_check(seg, &idx)).then_some(idx)
}

/// The newest segment after a clean close, from its index file: nothing to scan, cut or sync (the
/// close synced everything before it wrote the CLEAN mark).
fn from_clean_index(seg: Segment, idx: IndexFile, mark: Mark, skip_floor: u64) -> Active {
    let first_ts_ms = if idx.index.entries.is_empty() {
        u64::MAX
    } else {
        idx.first_ts_ms
    };
    *seg.index_mut() = idx.index;
    seg.set_index_file_end(idx.data_end);
    Active {
        seg: Arc::new(seg),
        tip: Tip {
            end: idx.data_end,
            next_seq: idx.next_seq,
            last_ts_ms: idx.last_ts_ms,
        },
        first_ts_ms,
        must_skip: skip_floor > 0,
        eager_unclean: false,
        mark_next: mark.claimed_next(),
        mark_last_ts_ms: mark.last_ts_ms,
        skip_floor,
        mark_counter: mark.counter,
    }
}

fn read_mark(seg: &Segment) -> Result<Option<Mark>> {
    let mut slots = [None, None];
    for (slot, offset) in slots.iter_mut().zip(MARK_OFFSETS) {
        let mut b = [0u8; MARK_LEN];
        seg.file()?.read_at(offset, &mut b)?;
        *slot = Mark::decode(&b, seg.seed);
    }
    let cap = seg.header.capacity_bytes;
    let newest = Mark::newest(slots[0], slots[1])
        .filter(|m| m.durable_end >= DATA_START && m.durable_end <= cap);
    Ok(newest)
}

/// Builds the in-memory log and finishes recovery with the writes that need a working writer:
/// a skip past sequence numbers that might have been seen before a crash, and the fresh mark.
fn assemble(
    storage: Arc<dyn Storage>,
    opts: LogOptions,
    meta: LogMeta,
    segments: Vec<Arc<Segment>>,
    active: Option<Active>,
    max_id: u64,
) -> Result<Arc<Inner>> {
    let last_id = max_id;
    let tip = active.as_ref().map(|a| a.tip);
    let next_seq = tip.map_or(meta.next_seq_floor, |t| t.next_seq);
    let writer = Writer {
        active: active.as_ref().map(|a| a.seg.clone()),
        write_end: tip.map_or(DATA_START, |t| t.end),
        next_seq,
        // Arrival times never go backwards, even if the clock did while the log was closed.
        last_ts_ms: segments
            .iter()
            .map(|s| s.tip().last_ts_ms)
            .chain(
                active
                    .as_ref()
                    .map(|a| a.tip.last_ts_ms.max(a.mark_last_ts_ms)),
            )
            .max()
            .unwrap_or(0),
        first_ts_ms: active.as_ref().map_or(u64::MAX, |a| a.first_ts_ms),
        next_segment_id: last_id.saturating_add(1).max(meta.first_live_segment),
        meta,
        buf: Vec::new(),
        spare_asked: false,
    };
    if let Some(a) = &active {
        a.seg.publish(a.tip, a.first_ts_ms);
        *a.seg.durable_state() = (a.tip, a.mark_counter);
    }
    let inner = Arc::new_cyclic(|me| Inner {
        me: me.clone(),
        storage,
        chain: RwLock::new(Chain {
            segments,
            start_seq: meta.start_seq,
        }),
        writer: Mutex::new(writer),
        sync: Mutex::new(SyncState {
            durable_next: next_seq,
            leader: false,
        }),
        sync_cv: Condvar::new(),
        poisoned: AtomicBool::new(false),
        closed: AtomicBool::new(false),
        visible_next: AtomicU64::new(next_seq),
        sealer: crate::handoff::Sealer::default(),
        background_seal: AtomicBool::new(false),
        spare: Default::default(),
        open_mark_pending: AtomicBool::new(false),
        compaction: Mutex::default(),
        opts,
    });
    finish_open(&inner, active)?;
    Ok(inner)
}

fn finish_open(inner: &Inner, active: Option<Active>) -> Result<()> {
    let mut w = inner.lock_writer();
    let floor = w.meta.next_seq_floor;
    let Some(active) = active else {
        w.next_seq = w.next_seq.max(floor);
        inner
            .visible_next
            .store(w.next_seq, std::sync::atomic::Ordering::Release);
        return Ok(());
    };
    let mut target = w
        .next_seq
        .max(floor)
        .max(active.mark_next)
        .max(active.skip_floor);
    if active.must_skip {
        // Records past the valid end may have been read (or acknowledged, without `Sync`) before the
        // crash. Each takes at least a record header, so this many numbers cover all of them.
        let room = active
            .seg
            .header
            .capacity_bytes
            .saturating_sub(active.tip.end);
        let bound = w
            .next_seq
            .saturating_add(room / RECORD_HEADER_LEN as u64 + 1);
        target = target.max(bound);
    }
    if active.eager_unclean {
        // A roll into a spare may have happened after the newest durable state, and the spare (with
        // its records) may be gone: skip as many numbers again as the largest segment can hold.
        target = target
            .saturating_add((MAX_SEGMENT_BYTES - DATA_START) / RECORD_HEADER_LEN as u64 + 1)
            .min(MAX_SEQ - 1);
    }
    // Recovery never hands out a number below the durable floor or a surviving mark's claim
    // (paired with the floor written before any segment is deleted, `drop_torn_suffix`).
    assert!(
        target >= floor && target >= active.mark_next,
        "skip target below the floor"
    );
    if target > w.next_seq {
        let need = (FRAME_HEADER_LEN + FRAME_ALIGN) as u64;
        let seg = match &w.active {
            Some(seg) if seg.header.capacity_bytes.saturating_sub(w.write_end) >= need => {
                seg.clone()
            }
            _ => {
                let capacity = inner.next_capacity(&w, need);
                inner.seal_active(&mut w, None)?;
                inner.start_segment(&mut w, capacity)?
            }
        };
        let frame = skip_frame(&seg, target, w.last_ts_ms);
        seg.file()?.write_at(w.write_end, &frame)?;
        w.write_end += frame.len() as u64;
        tracing::info!(
            file = %seg.file()?.path().display(),
            from = w.next_seq,
            to = target,
            "wrote a skip frame past sequence numbers a crash may have handed out"
        );
        w.next_seq = target;
        seg.file()?.sync()?;
    }
    // The fresh mark covers everything recovered (now synced) and is unclean until close.
    if let Some(seg) = w.active.clone() {
        let tip = w.tip();
        let mut durable = seg.durable_state();
        let mark = Mark {
            counter: durable.1.saturating_add(1),
            durable_end: tip.end,
            next_seq: tip.next_seq,
            last_ts_ms: tip.last_ts_ms,
            flags: if inner.opts.durability == Durability::Sync {
                0
            } else {
                MARK_EAGER
            },
            claim_end: 0,
            claim_next: 0,
        };
        seg.write_mark(&mark)?;
        // Not synced here: the mark only has to be durable before the first new frame is written
        // (`Inner::settle_open_mark`), which the spare task does right after open in the eager
        // modes and the first append otherwise. Until then a crash finds the previous mark, which
        // names the same durable bytes (or is CLEAN, and then nothing was written after it).
        inner.open_mark_pending.store(true, Ordering::Release);
        *durable = (tip, mark.counter);
        drop(durable);
        inner.publish(&seg, tip, w.first_ts_ms);
    }
    inner
        .visible_next
        .store(w.next_seq, std::sync::atomic::Ordering::Release);
    inner.lock_sync().durable_next = w.next_seq;
    Ok(())
}

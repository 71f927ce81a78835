//! Deliberate repairs of a closed shard log directory, for operators (`shardlog repair`).
//!
//! [`repair_shard`] runs [`verify_shard`] and applies only the actions it is asked for, each to the
//! damage verify found. Before it changes or deletes a file it copies the file into the backup
//! directory (same name) and syncs the copy and that directory; a file already saved there is not
//! saved again, so the backup keeps the original bytes. Small files (`log.meta`, `.idx`) are
//! replaced with `write_file_atomic`; segments are changed in place as recovery does (zeros, a
//! frame, a new mark, each followed by `fdatasync`); deletions are followed by a directory sync.
//! The caller must hold the store's lock: no other process may have the log open.
//!
//! The actions:
//! - [`Actions::rebuild_index`]: writes the `.idx` of a segment from a scan of its frames when it
//!   is missing (sealed segment) or damaged. Nothing is lost.
//! - [`Actions::cut_tail`]: at the oldest segment with damaged frames, keeps the frames before the
//!   damage, zeroes the rest of the segment, writes a mark that ends the data there, deletes every
//!   later segment (newest first) and raises `log.meta`'s `next_seq_floor` past every lost number,
//!   so open skips them instead of handing them out again.
//! - [`Actions::drop_damaged`]: in a sealed (not the newest) segment with damaged frames, drops the
//!   records from the damage to the segment's end: a SKIP frame to the next segment's base replaces
//!   them, the mark and `.idx` are rewritten, and every later segment is kept. The segment file
//!   stays (the chain of segments needs it).
//!
//! ```
//! use shardlog_segment::repair::{repair_shard, Actions};
//! use shardlog_segment::{LogOptions, ShardLog};
//! use shardlog_storage::FsStorage;
//! use std::sync::Arc;
//!
//! let dir = tempfile::tempdir()?;
//! let backup = tempfile::tempdir()?;
//! let log = ShardLog::open(Arc::new(FsStorage::open(dir.path())?), LogOptions::default())?;
//! log.append_batch(&[("k", "v")])?;
//! log.close()?;
//! let done = repair_shard(dir.path(), backup.path(), Actions { rebuild_index: true, ..Actions::default() })?;
//! assert!(done.is_empty()); // a sound log needs nothing
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::codec::{encode_skip, segment_seed, FRAME_HEADER_LEN};
use crate::header::{Mark, MARK_OFFSETS, MARK_SEALED};
use crate::index::{IndexFile, SparseIndex};
use crate::meta::{LogMeta, META_NAME};
use crate::segment::{index_name, parse_segment_name, segment_name};
use crate::verify::{scan_segment, verify_shard, DamageKind, Scan, ShardCheck};
use crate::{Error, Result};
use shardlog_storage::{remove_if_exists, write_file_atomic, FsStorage, Storage};
use std::path::{Path, PathBuf};

/// Which repairs [`repair_shard`] may make; none by default.
///
/// ```
/// let a = shardlog_segment::repair::Actions { cut_tail: true, ..Default::default() };
/// assert!(a.cut_tail && !a.rebuild_index && !a.drop_damaged);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Actions {
    /// Cut the log after its last valid frame (`--cut-torn-tail`).
    pub cut_tail: bool,
    /// Rebuild missing or damaged `.idx` files (`--rebuild-index`).
    pub rebuild_index: bool,
    /// Drop the damaged records of sealed segments (`--drop-damaged-segment`).
    pub drop_damaged: bool,
}

/// One change [`repair_shard`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Repaired {
    /// The file changed (for a cut: the segment cut).
    pub file: PathBuf,
    /// `rebuild-index`, `cut-torn-tail` or `drop-damaged-segment`.
    pub action: &'static str,
    /// What was done.
    pub detail: String,
    /// Sequence numbers `start..end` whose records are gone, if any were.
    pub lost: Option<(u64, u64)>,
}

/// Applies `actions` to the damage [`verify_shard`] finds in the log directory `dir`, saving every
/// file first into `backup` (created if needed). Returns what it changed; an empty list if there
/// was nothing the chosen actions repair. Errors are I/O failures and a segment that cannot be
/// read back.
pub fn repair_shard(dir: &Path, backup: &Path, actions: Actions) -> Result<Vec<Repaired>> {
    let mut done = Vec::new();
    let check = verify_shard(dir, &|_| {}).map_err(|e| io("verify", dir, e))?;
    if check.findings.is_empty() {
        return Ok(done);
    }
    let storage = FsStorage::open(dir)?;
    let ids: Vec<u64> = check.segments.iter().map(|s| s.id).collect();
    let newest = ids.last().copied();
    let damaged: Vec<u64> = ids
        .iter()
        .copied()
        .filter(|&id| frame_damage(dir, &check, id))
        .collect();
    let mut save = Saver { dir, backup };

    if actions.drop_damaged {
        for &id in damaged.iter().filter(|&&id| Some(id) != newest) {
            let pos = ids.iter().position(|&x| x == id).unwrap_or(0);
            let Some(next_base) = check.segments.get(pos + 1).map(|s| s.base_seq) else {
                continue;
            };
            done.push(drop_tail(&storage, &mut save, id, next_base)?);
        }
    }
    let check = if actions.drop_damaged && !done.is_empty() {
        verify_shard(dir, &|_| {}).map_err(|e| io("verify", dir, e))?
    } else {
        check
    };
    let ids: Vec<u64> = check.segments.iter().map(|s| s.id).collect();
    if actions.cut_tail {
        if let Some(&id) = ids.iter().find(|&&id| frame_damage(dir, &check, id)) {
            done.push(cut_after(&storage, &mut save, &ids, id)?);
        }
    }
    if actions.rebuild_index {
        let live: Vec<u64> = (std::fs::read_dir(dir).map_err(|e| io("list", dir, e))?)
            .filter_map(|e| e.ok()?.file_name().to_str().and_then(parse_segment_name))
            .collect();
        for f in &check.findings {
            if !matches!(f.kind, DamageKind::Index | DamageKind::MissingIndex) {
                continue;
            }
            let Some(id) = f
                .file
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".idx"))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            if live.contains(&id) && !frame_damage(dir, &check, id) {
                done.push(rebuild_index(&storage, &mut save, id)?);
            }
        }
    }
    Ok(done)
}

/// True if verify found damaged frames in segment `id`.
fn frame_damage(dir: &Path, check: &ShardCheck, id: u64) -> bool {
    let path = dir.join(segment_name(id));
    check.findings.iter().any(|f| {
        f.file == path
            && matches!(
                f.kind,
                DamageKind::Frame | DamageKind::SequenceOrder | DamageKind::TimeOrder
            )
    })
}

/// Saves copies of files into the backup directory before they change.
struct Saver<'a> {
    dir: &'a Path,
    backup: &'a Path,
}

impl Saver<'_> {
    /// Copies `name` (if it exists and was not saved yet) and syncs the copy and the directory.
    fn save(&mut self, name: &str) -> Result<()> {
        let src = self.dir.join(name);
        let dst = self.backup.join(name);
        if !src.exists() || dst.exists() {
            return Ok(());
        }
        save_copy(&src, &dst)
    }
}

/// Copies the file `src` to `dst` (creating `dst`'s directories), then syncs the copy, its
/// directory and the directories it created: a copy that exists after a crash is complete.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("a"), b"x")?;
/// shardlog_segment::repair::save_copy(&dir.path().join("a"), &dir.path().join("b/c/a"))?;
/// assert_eq!(std::fs::read(dir.path().join("b/c/a"))?, b"x");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save_copy(src: &Path, dst: &Path) -> Result<()> {
    let parent = dst.parent().unwrap_or(Path::new("."));
    let mut missing = Vec::new();
    let mut p = parent;
    while !p.exists() {
        missing.push(p.to_path_buf());
        match p.parent() {
            Some(q) => p = q,
            None => break,
        }
    }
    std::fs::create_dir_all(parent).map_err(|e| io("create", parent, e))?;
    std::fs::copy(src, dst).map_err(|e| io("copy", src, e))?;
    std::fs::File::open(dst)
        .and_then(|f| f.sync_all())
        .map_err(|e| io("sync", dst, e))?;
    missing.push(p.to_path_buf());
    for d in std::iter::once(parent.to_path_buf()).chain(missing) {
        std::fs::File::open(&d)
            .and_then(|f| f.sync_all())
            .map_err(|e| io("sync", &d, e))?;
    }
    Ok(())
}

fn io(op: &'static str, path: &Path, e: std::io::Error) -> Error {
    Error::Storage(shardlog_storage::Error::io(op, path, e))
}

fn corrupt(path: &Path, reason: &str) -> Error {
    Error::Corrupt {
        file: path.to_path_buf(),
        offset: 0,
        reason: reason.to_string(),
    }
}

/// The header, mark and scan of segment `id`, or an error if its header does not decode.
fn scan_of(
    storage: &FsStorage,
    id: u64,
) -> Result<(crate::header::SegmentHeader, Option<Mark>, Scan)> {
    let path = storage.path(&segment_name(id));
    scan_segment(&path)
        .map_err(|e| io("read", &path, e))?
        .ok_or_else(|| corrupt(&path, "segment header does not decode"))
}

fn index_of(
    h: &crate::header::SegmentHeader,
    scan: &Scan,
    data_end: u64,
    next_seq: u64,
    last_ts: u64,
) -> IndexFile {
    IndexFile {
        log_id: h.log_id,
        segment_id: h.segment_id,
        base_seq: h.base_seq,
        data_end,
        next_seq,
        first_ts_ms: scan.first_ts.unwrap_or(last_ts),
        last_ts_ms: last_ts,
        index: SparseIndex {
            entries: scan
                .index
                .entries
                .iter()
                .take_while(|e| e.offset < data_end)
                .copied()
                .collect(),
        },
    }
}

fn rebuild_index(storage: &FsStorage, save: &mut Saver<'_>, id: u64) -> Result<Repaired> {
    let (h, mark, scan) = scan_of(storage, id)?;
    let name = index_name(id);
    save.save(&name)?;
    let last_ts = scan.last_ts.or(mark.map(|m| m.last_ts_ms)).unwrap_or(0);
    let idx = index_of(&h, &scan, scan.end, scan.next_seq, last_ts);
    write_file_atomic(storage, &name, &idx.encode())?;
    Ok(Repaired {
        file: storage.path(&name),
        action: "rebuild-index",
        detail: format!(
            "rebuilt the index of segment {id} from its frames ({} entries, data ends at byte {}, \
             next sequence number {})",
            idx.index.entries.len(),
            scan.end,
            scan.next_seq
        ),
        lost: None,
    })
}

/// Writes zeros over `from..len` of `file` where it is not zero already.
fn zero_from(file: &dyn shardlog_storage::StorageFile, from: u64) -> Result<()> {
    let len = file.len();
    let mut at = from;
    let mut buf = vec![0u8; 1 << 20];
    let zeros = vec![0u8; 1 << 20];
    while at < len {
        let n = (len - at).min(buf.len() as u64) as usize;
        file.read_at(at, &mut buf[..n])?;
        if buf[..n].iter().any(|&b| b != 0) {
            file.write_at(at, &zeros[..n])?;
        }
        at += n as u64;
    }
    Ok(())
}

/// Writes `mark` (counter after `old`'s) into its slot and syncs.
fn write_mark(
    file: &dyn shardlog_storage::StorageFile,
    seed: u32,
    old: Option<Mark>,
    mut mark: Mark,
) -> Result<()> {
    mark.counter = old.map_or(1, |m| m.counter + 1);
    file.write_at(MARK_OFFSETS[mark.slot()], &mark.encode(seed))?;
    file.sync()?;
    Ok(())
}

fn drop_tail(
    storage: &FsStorage,
    save: &mut Saver<'_>,
    id: u64,
    next_base: u64,
) -> Result<Repaired> {
    let (h, old, scan) = scan_of(storage, id)?;
    let name = segment_name(id);
    let path = storage.path(&name);
    if scan.stop.is_none() || scan.end + FRAME_HEADER_LEN as u64 > h.capacity_bytes {
        return Err(corrupt(
            &path,
            "no damaged frame with room for a skip frame",
        ));
    }
    save.save(&name)?;
    save.save(&index_name(id))?;
    let seed = segment_seed(h.log_id, id);
    let ts = old
        .map(|m| m.last_ts_ms)
        .unwrap_or(0)
        .max(scan.last_ts.unwrap_or(0));
    let mut skip = Vec::new();
    encode_skip(&mut skip, seed, next_base, ts);
    let file = storage.open(&name)?;
    zero_from(&*file, scan.end)?;
    file.write_at(scan.end, &skip)?;
    file.sync()?;
    let end = scan.end + skip.len() as u64;
    let flags = old.map_or(MARK_SEALED, |m| m.flags | MARK_SEALED);
    let mark = Mark {
        counter: 0,
        durable_end: end,
        next_seq: next_base,
        last_ts_ms: ts,
        flags,
        claim_end: 0,
        claim_next: 0,
    };
    write_mark(&*file, seed, old, mark)?;
    let idx = index_of(&h, &scan, end, next_base, ts);
    write_file_atomic(storage, &index_name(id), &idx.encode())?;
    Ok(Repaired {
        file: path,
        action: "drop-damaged-segment",
        detail: format!(
            "dropped the records of sealed segment {id} from byte {} on (a skip frame to {next_base} \
             replaces them); the records before them and every later segment are kept",
            scan.end
        ),
        lost: Some((scan.next_seq, next_base)),
    })
}

fn cut_after(storage: &FsStorage, save: &mut Saver<'_>, ids: &[u64], id: u64) -> Result<Repaired> {
    let (h, old, scan) = scan_of(storage, id)?;
    let name = segment_name(id);
    let path = storage.path(&name);
    let later: Vec<u64> = ids.iter().copied().filter(|&x| x > id).collect();
    // Every number the log may have handed out: marks' claims and the later segments' frames.
    let mut end = old
        .map_or(scan.next_seq, |m| m.claimed_next())
        .max(scan.next_seq);
    for &l in &later {
        let (_, m, s) = scan_of(storage, l)?;
        end = end.max(s.next_seq).max(m.map_or(0, |m| m.claimed_next()));
    }
    let meta_bytes = shardlog_storage::read_file(storage, META_NAME)?
        .ok_or_else(|| corrupt(&storage.path(META_NAME), "log.meta is missing"))?;
    let mut meta =
        LogMeta::decode(&meta_bytes).map_err(|r| corrupt(&storage.path(META_NAME), &r))?;
    save.save(META_NAME)?;
    save.save(&name)?;
    save.save(&index_name(id))?;
    for &l in &later {
        save.save(&segment_name(l))?;
        save.save(&index_name(l))?;
    }
    if end > meta.next_seq_floor {
        meta.next_seq_floor = end;
        write_file_atomic(storage, META_NAME, &meta.encode())?;
    }
    for &l in later.iter().rev() {
        remove_if_exists(storage, &index_name(l))?;
        remove_if_exists(storage, &segment_name(l))?;
        storage.sync_dir()?;
    }
    let file = storage.open(&name)?;
    zero_from(&*file, scan.end)?;
    file.sync()?;
    let ts = scan.last_ts.or(old.map(|m| m.last_ts_ms)).unwrap_or(0);
    let mark = Mark {
        counter: 0,
        durable_end: scan.end,
        next_seq: scan.next_seq,
        last_ts_ms: ts,
        flags: 0,
        claim_end: 0,
        claim_next: if end > scan.next_seq { end } else { 0 },
    };
    write_mark(&*file, segment_seed(h.log_id, id), old, mark)?;
    // The segment is the newest now: a stale index of it must not be taken for a clean close's.
    if remove_if_exists(storage, &index_name(id))? {
        storage.sync_dir()?;
    }
    let dropped = if later.is_empty() {
        String::new()
    } else {
        format!(
            " and deleted the {} later segment(s) {later:?}",
            later.len()
        )
    };
    Ok(Repaired {
        file: path,
        action: "cut-torn-tail",
        detail: format!(
            "cut segment {id} after its last valid frame at byte {}{dropped}; the log now ends \
             before sequence number {} and skips to {end} on the next open",
            scan.end, scan.next_seq
        ),
        lost: (end > scan.next_seq).then_some((scan.next_seq, end)),
    })
}

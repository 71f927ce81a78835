//! Deliberate repairs of a closed data directory for operators (`shardlog repair`).
//!
//! [`repair_store`] takes the store's `LOCK` (as [`Store::open`](crate::Store::open) does, so it
//! refuses a store a server has open), runs [`verify_store`], applies only the actions
//! [`RepairOptions`] asks for, then runs [`verify_store`] again. Every file is copied into the
//! backup directory (at its path relative to the data directory, synced) before it is changed or
//! deleted. The shard actions are those of [`shardlog_segment::repair`]; the checkpoint action
//! makes the lease table's file open at its older commit when the newer one is damaged, by
//! zeroing the newer commit slot (the file is rewritten with `write_file_atomic`).
//!
//! ```
//! use shardlog::repair::{repair_store, RepairOptions};
//! use shardlog::{Store, StoreOptions};
//! let dir = tempfile::tempdir()?;
//! let backup = tempfile::tempdir()?;
//! Store::open(dir.path(), StoreOptions::default())?.create_stream("s", 1)?;
//! let report = repair_store(dir.path(), None, backup.path(), RepairOptions::default())?;
//! assert!(report.actions.is_empty() && report.after.findings.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::{Error, Result};
use crate::verify::{
    load_catalog, shards_of, verify_store, Finding, FindingKind, StoreCheck, LEASES_NAME,
};
use shardlog_segment::repair::{repair_shard, save_copy, Actions};
use shardlog_segment::verify::DamageKind;
use shardlog_storage::{FsStorage, Storage};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which repairs [`repair_store`] may make; none by default (then it only reports).
///
/// ```
/// let o = shardlog::repair::RepairOptions { rebuild_index: true, ..Default::default() };
/// assert!(o.any());
/// assert!(!shardlog::repair::RepairOptions::default().any());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RepairOptions {
    /// `--cut-torn-tail`: cut a shard after its last valid record, deleting later segments.
    pub cut_torn_tail: bool,
    /// `--rebuild-index`: rebuild missing or damaged `.idx` files.
    pub rebuild_index: bool,
    /// `--drop-damaged-segment`: drop the damaged records of a sealed segment, keep the rest.
    pub drop_damaged_segment: bool,
    /// `--checkpoint-older-slot`: make the lease table open at its older commit.
    pub checkpoint_older_slot: bool,
}

impl RepairOptions {
    /// True if any action is asked for.
    pub fn any(&self) -> bool {
        self.cut_torn_tail
            || self.rebuild_index
            || self.drop_damaged_segment
            || self.checkpoint_older_slot
    }
}

/// One change [`repair_store`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RepairAction {
    /// The file changed.
    pub file: PathBuf,
    /// The flag's name: `cut-torn-tail`, `rebuild-index`, `drop-damaged-segment`,
    /// `checkpoint-older-slot`.
    pub action: &'static str,
    /// What was done.
    pub detail: String,
    /// `(stream, shard index)` for a shard action.
    pub shard: Option<(String, u32)>,
    /// Sequence numbers `start..end` of that shard whose records are gone, if any.
    pub lost: Option<(u64, u64)>,
}

/// What [`repair_store`] found, did, and found afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RepairReport {
    /// Verify before any change.
    pub before: StoreCheck,
    /// The changes made, in order.
    pub actions: Vec<RepairAction>,
    /// Verify after the changes (the same as `before` when nothing changed).
    pub after: StoreCheck,
}

/// The flag of `shardlog repair` that repairs `finding`, if one does.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # shardlog::Store::open(dir.path(), Default::default())?;
/// let check = shardlog::verify::verify_store(dir.path(), None, &|_| {})?;
/// assert!(check.findings.iter().all(|f| shardlog::repair::repair_flag(f).is_some()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn repair_flag(finding: &Finding) -> Option<&'static str> {
    match finding.kind {
        FindingKind::Shard(DamageKind::Index | DamageKind::MissingIndex) => Some("--rebuild-index"),
        FindingKind::Shard(
            DamageKind::Frame | DamageKind::SequenceOrder | DamageKind::TimeOrder,
        ) => {
            if is_newest_segment(&finding.file) {
                Some("--cut-torn-tail")
            } else {
                Some("--drop-damaged-segment (keeps later segments) or --cut-torn-tail")
            }
        }
        FindingKind::Checkpoint => Some("--checkpoint-older-slot"),
        _ => None,
    }
}

/// True if `file` is the `.seg` file with the largest name in its directory.
fn is_newest_segment(file: &Path) -> bool {
    let Some(dir) = file.parent() else {
        return false;
    };
    let newest = std::fs::read_dir(dir).ok().and_then(|d| {
        d.filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "seg"))
            .max()
    });
    newest.as_deref() == Some(file)
}

fn io_error(op: &'static str, path: &Path, e: std::io::Error) -> Error {
    Error::from(shardlog_storage::Error::io(op, path, e))
}

/// Repairs the data directory `dir` (only stream `stream`'s shards if given; the lease table only
/// without `stream`) with the actions in `opts`, saving every file it changes into `backup_dir`
/// first, which must be a new or empty directory outside `dir`. Without actions it changes
/// nothing and reports what verify found. Fails with [`Error::Locked`] if another process has the
/// store open.
pub fn repair_store(
    dir: &Path,
    stream: Option<&str>,
    backup_dir: &Path,
    opts: RepairOptions,
) -> Result<RepairReport> {
    if !dir.is_dir() {
        return Err(io_error("open", dir, std::io::ErrorKind::NotFound.into()));
    }
    let used = std::fs::read_dir(backup_dir)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    if used || backup_dir.is_file() {
        return Err(Error::InvalidArgument(format!(
            "the backup directory {} is not empty: give a new or empty directory",
            backup_dir.display()
        )));
    }
    let (data, backup_abs) = (
        dir.canonicalize().map_err(|e| io_error("open", dir, e))?,
        absolute(backup_dir)?,
    );
    if backup_abs.starts_with(&data) {
        return Err(Error::InvalidArgument(format!(
            "the backup directory {} is inside the data directory",
            backup_dir.display()
        )));
    }
    let root = FsStorage::open(dir)?;
    let _lock = match root.lock("LOCK") {
        Ok(lock) => lock,
        Err(shardlog_storage::Error::Locked { .. }) => {
            return Err(Error::Locked(dir.to_path_buf()))
        }
        Err(e) => return Err(e.into()),
    };
    let before = verify_store(dir, stream, &|_| {})?;
    let mut actions = Vec::new();
    if !opts.any() || before.findings.is_empty() {
        return Ok(RepairReport {
            after: before.clone(),
            before,
            actions,
        });
    }
    std::fs::create_dir_all(backup_dir).map_err(|e| io_error("create", backup_dir, e))?;
    let shard_actions = Actions {
        cut_tail: opts.cut_torn_tail,
        rebuild_index: opts.rebuild_index,
        drop_damaged: opts.drop_damaged_segment,
    };
    if let (Some(catalog), _) = load_catalog(dir)? {
        for (name, index, shard_dir) in shards_of(dir, &catalog, stream) {
            let damaged = before
                .findings
                .iter()
                .any(|f| matches!(f.kind, FindingKind::Shard(_)) && f.file.starts_with(&shard_dir));
            if !damaged {
                continue;
            }
            let rel = shard_dir.strip_prefix(dir).unwrap_or(&shard_dir);
            for r in repair_shard(&shard_dir, &backup_dir.join(rel), shard_actions)? {
                actions.push(RepairAction {
                    file: r.file,
                    action: r.action,
                    detail: r.detail,
                    shard: Some((name.clone(), index)),
                    lost: r.lost,
                });
            }
        }
    }
    if opts.checkpoint_older_slot && stream.is_none() {
        let damaged = before
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::Checkpoint);
        if damaged {
            actions.extend(older_slot(dir, backup_dir)?);
        }
    }
    let after = verify_store(dir, stream, &|_| {})?;
    Ok(RepairReport {
        before,
        actions,
        after,
    })
}

fn absolute(p: &Path) -> Result<PathBuf> {
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| io_error("open", p, e))?
            .join(p)
    };
    // The longest existing ancestor resolved, the rest appended.
    let mut base = p.clone();
    let mut rest = Vec::new();
    while !base.exists() {
        match (base.file_name().map(|n| n.to_os_string()), base.parent()) {
            (Some(n), Some(parent)) => {
                rest.push(n);
                base = parent.to_path_buf();
            }
            _ => return Ok(p),
        }
    }
    let mut out = base
        .canonicalize()
        .map_err(|e| io_error("open", &base, e))?;
    out.extend(rest.iter().rev());
    Ok(out)
}

/// Zeroes the lease table's commit slots that are invalid or newer than the commit open uses,
/// when that commit checks out; `None` when there is no sound older commit to fall back to.
fn older_slot(dir: &Path, backup_dir: &Path) -> Result<Option<RepairAction>> {
    let storage: Arc<dyn Storage> = Arc::new(FsStorage::open(dir)?);
    let check = shardlog_checkpoint::check_file(storage.clone(), LEASES_NAME)?;
    let (Some(cur), Some(_)) = (check.current_slot, &check.current) else {
        return Ok(None);
    };
    let cur_txn = check.slots.get(cur).and_then(|s| s.txn).unwrap_or(0);
    let zero: Vec<_> = check
        .slots
        .iter()
        .filter(|s| s.slot != cur && (s.state.starts_with("invalid") || s.txn > Some(cur_txn)))
        .collect();
    if zero.is_empty() {
        return Ok(None);
    }
    let path = dir.join(LEASES_NAME);
    let mut bytes = std::fs::read(&path).map_err(|e| io_error("read", &path, e))?;
    for s in &zero {
        let at = usize::try_from(s.offset).unwrap_or(usize::MAX);
        if let Some(sector) = bytes.get_mut(at..at.saturating_add(512)) {
            sector.fill(0);
        }
    }
    save_copy(&path, &backup_dir.join(LEASES_NAME))?;
    shardlog_storage::write_file_atomic(&*storage, LEASES_NAME, &bytes)?;
    let slots: Vec<String> = zero.iter().map(|s| s.slot.to_string()).collect();
    Ok(Some(RepairAction {
        file: path,
        action: "checkpoint-older-slot",
        detail: format!(
            "zeroed commit slot(s) {} of the lease table: it now opens at commit {cur_txn} in \
             slot {cur}; changes after that commit are gone",
            slots.join(", ")
        ),
        shard: None,
        lost: None,
    }))
}

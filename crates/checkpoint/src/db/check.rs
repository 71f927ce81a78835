//! Read-only opening and checking of a file for operators (`shardlog verify`, `shardlog inspect`):
//! nothing is written, synced, removed or locked, so a file another process has open and writes
//! can be checked too.

use super::*;
use recover::{load_commit, read_slots};

/// One commit slot as found on disk.
///
/// ```
/// use shardlog_checkpoint::{check_file, Db};
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
/// let disk = Arc::new(SimDisk::new(1));
/// drop(Db::open(disk.clone(), "c.db")?);
/// let check = check_file(disk, "c.db")?;
/// assert_eq!(check.slots[0].state, "valid");
/// # Ok::<(), shardlog_checkpoint::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SlotSummary {
    /// Slot index (0 or 1).
    pub slot: usize,
    /// Byte offset of the slot in the file.
    pub offset: u64,
    /// `valid`, `empty` (never written), `invalid: <why>` or `unsupported: <why>`.
    pub state: String,
    /// Transaction id of a valid slot's commit.
    pub txn: Option<u64>,
    /// Page count of a valid slot's commit.
    pub page_count: Option<u64>,
    /// Keys in a valid slot's tree.
    pub entries: Option<u64>,
    /// Pages of a valid slot's redo-log region.
    pub log_pages: Option<u64>,
}

/// What [`check_file`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileCheck {
    /// Both commit slots.
    pub slots: Vec<SlotSummary>,
    /// The check of the commit open would use (tree, free list, log records), if it got that far.
    pub current: Option<VerifyReport>,
    /// Slot of the commit open would use.
    pub current_slot: Option<usize>,
    /// Damage as (byte offset, what failed and what it means). Empty when the file is sound.
    pub damage: Vec<(u64, String)>,
    /// Bytes of the file.
    pub file_bytes: u64,
}

/// Checks the file `name` without changing anything: both commit slots, every page reachable from
/// the commit open would choose (and from the older slot's commit), the free list, and the redo-log
/// records of the current epoch. A file written concurrently is read again (up to three times)
/// when its slots changed during a check that found damage. Errors are only for a file that
/// cannot be read at all.
///
/// ```
/// use shardlog_checkpoint::{check_file, Db};
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
/// let disk = Arc::new(SimDisk::new(1));
/// let db = Db::open(disk.clone(), "c.db")?;
/// let mut tx = db.write()?;
/// tx.insert(b"k", b"v")?;
/// tx.commit()?;
/// let check = check_file(disk, "c.db")?;
/// assert!(check.damage.is_empty());
/// assert_eq!(check.current.map(|r| r.entries), Some(1));
/// # Ok::<(), shardlog_checkpoint::Error>(())
/// ```
pub fn check_file(storage: Arc<dyn Storage>, name: &str) -> Result<FileCheck> {
    check_name(name)?;
    let mut last = None;
    for _ in 0..3 {
        let file = storage.open(name)?;
        let before = slot_bytes(&*file)?;
        let check = check_once(&storage, name, &file)?;
        let after = slot_bytes(&*storage.open(name)?)?;
        if check.damage.is_empty() || before == after {
            return Ok(check);
        }
        last = Some(check);
    }
    last.ok_or_else(|| Error::Internal("no check ran".into()))
}

fn slot_bytes(file: &dyn StorageFile) -> Result<Vec<u8>> {
    let mut b = vec![0u8; (2 * SECTOR).min(file.len() as usize)];
    file.read_at(0, &mut b)?;
    Ok(b)
}

fn damage_of(e: Error) -> Result<(u64, String)> {
    match e {
        Error::Corrupt { offset, reason, .. } => Ok((offset, reason)),
        Error::Foreign { reason, .. } => Ok((0, format!("not a checkpoint file: {reason}"))),
        Error::Internal(reason) => Ok((0, reason)),
        e => Err(e),
    }
}

fn check_once(
    storage: &Arc<dyn Storage>,
    name: &str,
    file: &Arc<dyn StorageFile>,
) -> Result<FileCheck> {
    let mut out = FileCheck {
        slots: Vec::new(),
        current: None,
        current_slot: None,
        damage: Vec::new(),
        file_bytes: file.len(),
    };
    let head = slot_bytes(&**file)?;
    for (i, s) in head.chunks(SECTOR).enumerate().take(2) {
        let mut summary = SlotSummary {
            slot: i,
            offset: format::slot_offset(i),
            state: String::new(),
            txn: None,
            page_count: None,
            entries: None,
            log_pages: None,
        };
        summary.state = match format::decode_slot(s, i) {
            SlotState::Valid(c) => {
                summary.txn = Some(c.txn);
                summary.page_count = Some(c.page_count);
                summary.entries = Some(c.entries);
                summary.log_pages = Some(c.log_pages);
                "valid".into()
            }
            SlotState::Empty => "empty".into(),
            SlotState::Invalid(r) => {
                out.damage.push((
                    summary.offset,
                    format!(
                        "commit slot {i} is invalid ({r}): a commit torn by a crash or damage; \
                         open uses the other slot"
                    ),
                ));
                format!("invalid: {r}")
            }
            SlotState::Unsupported(r) => format!("unsupported: {r}"),
        };
        out.slots.push(summary);
    }
    let pager = Pager::new(storage.path(name), 256);
    let (valid, _) = match read_slots(&pager, &**file) {
        Ok(v) => v,
        Err(e) => {
            out.damage.push(damage_of(e)?);
            return Ok(out);
        }
    };
    // The commit open would use: the newest whose own pages check out.
    let mut chosen = None;
    for (i, &(slot, commit)) in valid.iter().enumerate() {
        let fits = commit.page_count <= file.len() / PAGE_SIZE as u64;
        let loaded = if fits {
            load_commit(&pager, &**file, &commit).map(drop)
        } else {
            Err(Error::corrupt(
                pager.path(),
                format::slot_offset(slot),
                format!(
                    "commit {} names {} pages but the file has {}",
                    commit.txn,
                    commit.page_count,
                    file.len() / PAGE_SIZE as u64
                ),
            ))
        };
        match loaded {
            Ok(()) => {
                chosen = Some((i, slot, commit));
                break;
            }
            Err(e) => {
                let (offset, reason) = damage_of(e)?;
                let what = if i + 1 < valid.len() {
                    "is incomplete (torn by a crash before its sync, or damaged); open falls back \
                     to the previous commit"
                } else {
                    "is damaged"
                };
                out.damage.push((
                    offset,
                    format!("commit {} in slot {slot} {what}: {reason}", commit.txn),
                ));
            }
        }
    }
    let Some((rank, slot, commit)) = chosen else {
        return Ok(out);
    };
    out.current_slot = Some(slot);
    let strict = rank == 0;
    let db = match read_only_db(storage, name, file, commit, Some(strict)) {
        Ok(db) => db,
        Err(e) => {
            out.damage.push(damage_of(e)?);
            return Ok(out);
        }
    };
    match db.verify() {
        Ok(report) => out.current = Some(report),
        Err(e) => out.damage.push(damage_of(e)?),
    }
    // The older slot's commit: its pages stay intact until the next tree commit.
    for &(old_slot, old) in valid.iter().skip(rank + 1) {
        if old.page_count > file.len() / PAGE_SIZE as u64 {
            out.damage.push((
                format::slot_offset(old_slot),
                format!(
                    "commit {} in slot {old_slot} names pages past the end of the file",
                    old.txn
                ),
            ));
            continue;
        }
        let old_db = read_only_db(storage, name, file, old, None).and_then(|d| d.read()?.verify());
        if let Err(e) = old_db {
            let (offset, reason) = damage_of(e)?;
            out.damage.push((
                offset,
                format!(
                    "the older commit {} in slot {old_slot} is damaged ({reason}); nothing is lost \
                     while the newer commit is sound",
                    old.txn
                ),
            ));
        }
    }
    Ok(out)
}

/// A database over commit `commit` of `file` that refuses writes; `replay: Some(strict)` applies the
/// log records of its epoch (strictly: a failing record followed by a valid one is damage).
fn read_only_db(
    storage: &Arc<dyn Storage>,
    name: &str,
    file: &Arc<dyn StorageFile>,
    commit: Commit,
    replay: Option<bool>,
) -> Result<Db> {
    let pager = Pager::new(storage.path(name), 256);
    let (edit, txn, log_end) = match replay {
        Some(strict) => replay_log(&pager, &**file, &commit, strict)?,
        None => (TreeEdit::committed(&commit), commit.txn, 0),
    };
    let file_pages = file.len() / PAGE_SIZE as u64;
    let inner = Inner {
        storage: storage.clone(),
        name: name.to_string(),
        pager,
        shared: Mutex::new(Shared {
            commit,
            view: View::of(txn, &edit, log_end),
            file: file.clone(),
            readers: BTreeMap::new(),
        }),
        writer: Mutex::new(Writer {
            edit,
            txn,
            log_end,
            rotate: true,
            log_pages: 0,
            file: file.clone(),
            file_pages,
            slot: 0,
            reusable: BTreeSet::new(),
            pending: VecDeque::new(),
            chain: Vec::new(),
        }),
        poisoned: AtomicBool::new(false),
        slot_fallback: None,
        read_only: true,
        _lock: None,
    };
    Ok(Db {
        inner: Arc::new(inner),
    })
}

impl Db {
    /// Opens `name` for reading only: no lock, no recovery writes, no sync, no file created or
    /// removed; writes are refused. It reads the commit open would choose and its redo-log records,
    /// so it sees the state of the last commit that reached the file, also while another process
    /// has it open (a snapshot of that moment).
    ///
    /// ```
    /// use shardlog_checkpoint::Db;
    /// use shardlog_storage::SimDisk;
    /// use std::sync::Arc;
    /// let disk = Arc::new(SimDisk::new(1));
    /// let db = Db::open(disk.clone(), "c.db")?;
    /// let mut tx = db.write()?;
    /// tx.insert(b"k", b"v")?;
    /// tx.commit()?;
    /// let ro = Db::open_read_only(disk, "c.db")?;
    /// assert_eq!(ro.read()?.get(b"k")?, Some(b"v".to_vec()));
    /// assert!(ro.write().is_err());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn open_read_only(storage: Arc<dyn Storage>, name: &str) -> Result<Db> {
        check_name(name)?;
        let file = storage.open(name)?;
        let pager = Pager::new(storage.path(name), 256);
        let (valid, _) = read_slots(&pager, &*file)?;
        let mut first_error = None;
        for (rank, &(_, commit)) in valid.iter().enumerate() {
            if commit.page_count > file.len() / PAGE_SIZE as u64 {
                continue;
            }
            match load_commit(&pager, &*file, &commit) {
                Ok(_) => return read_only_db(&storage, name, &file, commit, Some(rank == 0)),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| Error::corrupt(pager.path(), 0, "no usable commit slot")))
    }
}

//! Opening a file: which commit slot to trust, the checks of its own pages, the redo-log replay,
//! and writing the whole file again before use.

use super::*;

/// Writes every byte of `file` again with what it holds (not synced), so that the next sync
/// writes whatever the page cache shows, including bytes a failed sync left marked clean.
pub(super) fn rewrite_all(file: &dyn StorageFile) -> Result<()> {
    const CHUNK: u64 = 1 << 20;
    let len = file.len();
    let mut buf = vec![0u8; CHUNK.min(len) as usize];
    let mut offset = 0;
    while offset < len {
        let n = (len - offset).min(CHUNK) as usize;
        let chunk = &mut buf[..n];
        file.read_at(offset, chunk)?;
        file.write_at(offset, chunk)?;
        offset += n as u64;
    }
    Ok(())
}

/// Creates a new file through `<name>.grow`: empty commit in slot 0, sync, rename, sync directory.
pub(super) fn create_fresh(
    storage: &dyn Storage,
    name: &str,
    pages: u64,
) -> Result<Arc<dyn StorageFile>> {
    let tmp = grow_name(name);
    let file = storage.create(&tmp, pages * PAGE_SIZE as u64)?;
    file.write_at(0, &format::encode_slot(&Commit::empty(), 0))?;
    file.sync()?;
    drop(file);
    storage.rename(&tmp, name)?;
    storage.sync_dir()?;
    Ok(storage.open(name)?)
}

/// The commit open settled on, with its free pages.
pub(super) struct Recovered {
    pub(super) commit: Commit,
    pub(super) slot: usize,
    pub(super) slot_fallback: Option<String>,
    /// Free-list pages of the commit.
    pub(super) chain: Vec<u64>,
    /// Pages listed free.
    pub(super) reusable: BTreeSet<u64>,
}

/// Picks the current commit: the valid slot with the higher transaction id whose own pages check
/// out, else the other valid slot (the newer commit was torn by a crash before its `fdatasync`).
pub(super) fn recover(pager: &Pager, file: &dyn StorageFile) -> Result<Recovered> {
    let (slots, mut note) = read_slots(pager, file)?;
    let mut first_error = None;
    for (i, &(slot, commit)) in slots.iter().enumerate() {
        check_fits(pager, file, slot, &commit)?;
        match load_commit(pager, file, &commit) {
            Ok((chain, reusable)) => {
                return Ok(Recovered {
                    commit,
                    slot,
                    slot_fallback: note,
                    chain,
                    reusable,
                })
            }
            // A torn newest commit falls back; the older one was durable before the newer was
            // written, so damage there is reported.
            Err(e @ Error::Corrupt { .. }) if i + 1 < slots.len() => {
                note = Some(format!(
                    "commit {} in slot {slot} (byte {}) is incomplete ({e}); using the previous \
                     commit",
                    commit.txn,
                    format::slot_offset(slot)
                ));
                first_error = Some(e);
            }
            Err(e) => return Err(first_error.unwrap_or(e)),
        }
    }
    Err(first_error.unwrap_or_else(|| Error::Internal("no commit slot to recover".into())))
}

/// Refuses commit `c` (in `slot`) if it names pages past the end of the file. Growth is durable
/// before a commit uses it and the file never shrinks, so neither slot, the older one included,
/// can: the file was truncated or the slot is damaged. Trusting it would make the next commit
/// "grow" the file to whatever the slot says.
fn check_fits(pager: &Pager, file: &dyn StorageFile, slot: usize, c: &Commit) -> Result<()> {
    let file_pages = file.len() / PAGE_SIZE as u64;
    if c.page_count <= file_pages {
        return Ok(());
    }
    Err(Error::corrupt(
        pager.path(),
        format::slot_offset(slot),
        format!(
            "commit {} names {} pages but the file has {file_pages}",
            c.txn, c.page_count
        ),
    ))
}

/// Checks the pages commit `c` wrote itself and loads its free list: `(chain pages, free pages)`.
pub(super) fn load_commit(
    pager: &Pager,
    file: &dyn StorageFile,
    c: &Commit,
) -> Result<(Vec<u64>, BTreeSet<u64>)> {
    check_own_pages(pager, file, c)?;
    let (chain, listed) = pager.load_free_list(file, c.free_head, c.page_count)?;
    let path = pager.path();
    let bad = |reason: String| {
        let offset = c.free_head.map_or(0, |r| format::page_offset(r.page));
        Error::corrupt(path, offset, reason)
    };
    if listed.len() as u64 != c.free_count {
        return Err(bad(format!(
            "free list holds {} pages, the commit record says {}",
            listed.len(),
            c.free_count
        )));
    }
    let reusable = format::check_free_set(&listed, c.page_count).map_err(bad)?;
    if let Some(p) = chain.iter().find(|p| reusable.contains(p)) {
        return Err(bad(format!("free-list page {p} also listed as free")));
    }
    let log = c.log_range();
    let in_log = reusable.range(log.clone()).next();
    if let Some(p) = in_log.or_else(|| chain.iter().find(|p| log.contains(p))) {
        return Err(bad(format!("page {p} of the log region is also free")));
    }
    Ok((chain, reusable))
}

/// Applies the log records of commit `c`'s epoch to its tree: the newest state as an edit, the id of
/// the newest commit, and the log bytes in use.
pub(super) fn replay_log(
    pager: &Pager,
    file: &dyn StorageFile,
    c: &Commit,
    strict: bool,
) -> Result<(TreeEdit, u64, u64)> {
    let mut edit = TreeEdit::committed(c);
    if c.log_pages == 0 {
        return Ok((edit, c.txn, 0));
    }
    let start = format::page_offset(c.log_start);
    let mut region = vec![0u8; c.log_pages as usize * PAGE_SIZE];
    file.read_at(start, &mut region)?;
    let replay = log::read(&region, epoch_of(c), strict)
        .map_err(|(at, reason)| Error::corrupt(pager.path(), start + at as u64, reason))?;
    let src = Src {
        pager,
        file,
        page_count: c.page_count,
    };
    let mut txn = c.txn;
    for record in replay.records {
        for op in record.ops {
            match op {
                LogOp::Insert(k, v) => tree::insert(src, &mut edit, &k, &v).map(drop)?,
                LogOp::Remove(k) => tree::remove(src, &mut edit, &k).map(drop)?,
            }
        }
        txn = record.txn;
    }
    Ok((edit, txn, replay.end as u64))
}

/// The log epoch tree commit `c` starts.
pub(super) fn epoch_of(c: &Commit) -> log::Epoch {
    log::Epoch {
        txn: c.txn,
        salt: c.log_salt,
    }
}

/// Reads every tree page that commit `c` wrote (the references carrying its transaction id, from
/// the root down) and checks it against its reference. Pages of older commits are not read: they
/// were durable before `c` was written, and no commit since has overwritten them.
pub(super) fn check_own_pages(pager: &Pager, file: &dyn StorageFile, c: &Commit) -> Result<()> {
    let mut stack: Vec<(PageRef, u32)> = c
        .root
        .filter(|r| r.txn == c.txn)
        .map(|r| (r, 1))
        .into_iter()
        .collect();
    while let Some((r, depth)) = stack.pop() {
        let node = pager.load(file, r, c.page_count)?;
        match (&*node, depth < c.height) {
            (Node::Branch(b), true) => {
                for child in &b.children {
                    if let Child::Page(cr) = child {
                        if cr.txn == c.txn {
                            stack.push((*cr, depth + 1));
                        }
                    }
                }
            }
            (Node::Leaf(_), false) => {}
            _ => {
                return Err(Error::corrupt(
                    pager.path(),
                    format::page_offset(r.page),
                    format!(
                        "node at depth {depth} of a tree of height {} has the wrong kind",
                        c.height
                    ),
                ))
            }
        }
    }
    Ok(())
}

/// Valid commit slots as (slot index, commit), newest first.
pub(super) type ValidSlots = Vec<(usize, Commit)>;

/// Reads both commit slots: the valid ones, newest first, and a note if one is damaged.
pub(super) fn read_slots(
    pager: &Pager,
    file: &dyn StorageFile,
) -> Result<(ValidSlots, Option<String>)> {
    let path = pager.path();
    let len = file.len();
    if len < PAGE_SIZE as u64 || len % PAGE_SIZE as u64 != 0 {
        return Err(Error::corrupt(
            path,
            len,
            format!("file length {len} is not a positive multiple of {PAGE_SIZE}"),
        ));
    }
    let mut head = [0u8; 2 * SECTOR];
    file.read_at(0, &mut head)?;
    let states: Vec<SlotState> = head
        .chunks_exact(SECTOR)
        .enumerate()
        .map(|(i, s)| format::decode_slot(s, i))
        .collect();
    for (i, s) in states.iter().enumerate() {
        if let SlotState::Unsupported(reason) = s {
            return Err(Error::Foreign {
                file: path.clone(),
                reason: format!(
                    "commit slot {i} (byte {}): {reason}",
                    format::slot_offset(i)
                ),
            });
        }
    }
    let mut valid: Vec<(usize, Commit)> = states
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            SlotState::Valid(c) => Some((i, *c)),
            _ => None,
        })
        .collect();
    valid.sort_by_key(|(i, c)| (std::cmp::Reverse(c.txn), *i));
    let Some(&(slot, commit)) = valid.first() else {
        let describe = |i: usize| match states.get(i) {
            Some(SlotState::Invalid(r)) => r.clone(),
            Some(SlotState::Empty) => "never written".into(),
            _ => "unreadable".into(),
        };
        let reason = format!(
            "no valid commit slot (slot 0: {}; slot 1: {})",
            describe(0),
            describe(1)
        );
        let foreign = states.iter().all(|s| match s {
            SlotState::Empty => true,
            SlotState::Invalid(r) => r == "bad magic",
            _ => false,
        });
        return Err(if foreign {
            Error::Foreign {
                file: path.clone(),
                reason,
            }
        } else {
            Error::corrupt(path, 0, reason)
        });
    };
    let other = 1 - slot;
    let fallback = match states.get(other) {
        Some(SlotState::Invalid(reason)) => Some(format!(
            "commit slot {other} (byte {}) is invalid ({reason}); using slot {slot} (transaction {})",
            format::slot_offset(other),
            commit.txn
        )),
        _ => None,
    };
    Ok((valid, fallback))
}

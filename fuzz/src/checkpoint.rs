//! `checkpoint_open`: a checkpoint B-tree file (`shardlog-checkpoint`) built from the input, then
//! opened, read, verified, written and used as a lease table.
//!
//! The first byte picks how the input becomes the file:
//!
//! | `mode & 3` | file |
//! | --- | --- |
//! | 0 | the rest of the input, byte for byte |
//! | 1 | a real file made by the crate ([`templates`], chosen by the next byte), patched: each patch is `page` (byte, modulo the pages), `offset` (u16, modulo 4096), `len` (byte % 64) and `len` bytes |
//! | 2 | a real file with one page replaced by a node from the input: `page` (byte), `kind` (byte), `count` (u16), then the body (the rest, up to 4064 bytes) |
//! | 3 | as 1, and the file is then cut or zero-extended to `byte % 32` pages |
//!
//! In modes 1-3 every checksum is then recomputed, unless `mode & 0x04`: each page's own, the ones
//! parents record for their children (free-list links included), and the commit slots' (with the
//! root and free-list checksums they record). That is what gets random structure past the CRCs to the
//! page decoder and the tree logic behind it. `mode & 0x08` opens with `verify_on_open`,
//! `mode & 0x10` with an empty page cache.
//!
//! Properties checked: `Db::open` returns `Ok` or `Err` and never panics, and its errors are never
//! [`Error::Internal`] (that variant means a bug). After `Ok`: a full scan ends after a bounded number
//! of entries; [`Db::verify`] returns `Ok` or a clear error; a write transaction with a few inserts
//! commits or fails clearly; `LeaseTable::new` and `list` return `Ok` or a clear error. When `verify`
//! accepted the file, much more must hold: the scan succeeds with strictly increasing keys, as many
//! as the commit record says, each of which `get` finds with the same value; the write commits; a
//! reopen reads exactly the old entries plus the inserts and verifies again.

use crate::input::Input;
use shardlog::consumer::{Checkpoint, LeaseKey, LeaseOp, LeaseTable, NewLease};
use shardlog_checkpoint::{Db, Error, Options};
use shardlog_storage::SimDisk;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// The database file name.
pub const NAME: &str = "checkpoints.db";
/// Bytes per page.
pub const PAGE: usize = 4096;
const PAGE_HEADER: usize = 32;
const PAGE_BODY: usize = PAGE - PAGE_HEADER;
const SECTOR: usize = 512;
const SLOT_MAGIC: &[u8; 8] = b"SHLGCKP\0";
const KIND_BRANCH: u8 = 2;
const KIND_FREE: u8 = 3;
/// Bytes of a page reference (format version 2): page u64, crc u32, writing transaction u64.
const REF: usize = 20;
/// The key under which `LeaseTable` keeps its schema version.
const LEASE_SCHEMA_KEY: &[u8] = b"lease\0M";
/// Most entries one page can hold (a leaf entry takes at least 5 bytes).
const MAX_ENTRIES_PER_PAGE: u64 = (PAGE_BODY / 5) as u64 + 1;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;
/// Key-value pairs in scan order.
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Runs every `checkpoint_open` check on one input ([`crate::strict`] decides about known bugs).
pub fn check(data: &[u8]) {
    check_with(data, crate::strict());
}

/// Runs every `checkpoint_open` check on one input; `strict`: fail on known open bugs too.
pub fn check_with(data: &[u8], strict: bool) {
    let _ = strict; // no known open bugs
    let (file, opts) = parse(data);
    run(&file, opts);
}

/// Options the file is opened with.
pub fn options(verify_on_open: bool, cache_pages: usize) -> Options {
    Options {
        initial_pages: 2,
        log_pages: 3,
        cache_pages,
        verify_on_open,
        lock_file: false,
    }
}

/// Real files written by the crate: an empty database, a small lease table with history, and a
/// three-level tree with a free list, each after several commits. With a 3-page redo log, the lease
/// and tree files end with records in the log that open replays.
pub fn templates() -> &'static [Vec<u8>] {
    static T: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    T.get_or_init(|| vec![empty_file(), lease_file(), deep_file()])
}

fn fresh() -> (SimDisk, Db) {
    let disk = SimDisk::new(7);
    let db = Db::open_with(Arc::new(disk.clone()), NAME, options(false, 64)).expect("create");
    (disk, db)
}

fn bytes_of(disk: &SimDisk, db: Db) -> Vec<u8> {
    drop(db);
    disk.file_bytes(NAME).expect("the database file exists")
}

fn empty_file() -> Vec<u8> {
    let (disk, db) = fresh();
    bytes_of(&disk, db)
}

fn lease_file() -> Vec<u8> {
    let (disk, db) = fresh();
    let db = Arc::new(db);
    let table = LeaseTable::new(db.clone(), Default::default()).expect("lease table");
    for shard in ["shardId-000000000000", "shardId-000000000001"] {
        let key = LeaseKey::new("app", "clicks", shard);
        let l = table
            .create_if_absent(&key, NewLease::default())
            .expect("create lease");
        let l = table
            .change(&key, l.counter, LeaseOp::take("worker-1", 1_000))
            .expect("take");
        let l = table
            .change(
                &key,
                l.counter,
                LeaseOp::checkpoint(Checkpoint::sequence(
                    "49590338271490256608559692538361571095921575989136588898",
                    0,
                )),
            )
            .expect("checkpoint");
        table
            .change(
                &key,
                l.counter,
                LeaseOp::checkpoint(Checkpoint::sequence(
                    "49590338271490256608559692538361571095921575989136588899",
                    3,
                )),
            )
            .expect("checkpoint");
    }
    drop(table);
    let db = Arc::into_inner(db).expect("one handle left");
    bytes_of(&disk, db)
}

/// Key `i` of the deep template: 500-byte keys make a branch hold at most eight children, so a few
/// dozen keys already make three levels.
fn deep_key(i: u32) -> Vec<u8> {
    let mut k = format!("key-{i:05}-").into_bytes();
    k.resize(500, b'a' + (i % 26) as u8);
    k
}

fn deep_file() -> Vec<u8> {
    let (disk, db) = fresh();
    for chunk in (0..48u32).collect::<Vec<_>>().chunks(24) {
        let mut tx = db.write().expect("write");
        for &i in chunk {
            tx.insert(&deep_key(i), &i.to_le_bytes()).expect("insert");
        }
        tx.commit().expect("commit");
    }
    let mut tx = db.write().expect("write");
    for i in (0..48u32).step_by(4) {
        tx.remove(&deep_key(i)).expect("remove");
    }
    tx.commit().expect("commit");
    assert!(
        db.info().height >= 3,
        "the deep template is {} levels",
        db.info().height
    );
    bytes_of(&disk, db)
}

/// How the file is opened.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// `Options::verify_on_open`.
    pub verify_on_open: bool,
    /// `Options::cache_pages`.
    pub cache_pages: usize,
}

/// Builds the file an input describes.
pub fn parse(data: &[u8]) -> (Vec<u8>, RunOptions) {
    let mut r = Input::new(data);
    let mode = r.byte();
    let opts = RunOptions {
        verify_on_open: mode & 0x08 != 0,
        cache_pages: if mode & 0x10 != 0 { 0 } else { 64 },
    };
    if mode & 3 == 0 {
        return (r.rest().to_vec(), opts);
    }
    let t = templates();
    let mut file = t[usize::from(r.byte()) % t.len()].clone();
    let pages = file.len() / PAGE;
    if mode & 3 == 2 {
        replace_page(&mut file, &mut r, pages);
    } else {
        let resize = if mode & 3 == 3 {
            Some(usize::from(r.byte() % 32))
        } else {
            None
        };
        while !r.is_empty() {
            let page = usize::from(r.byte()) % pages;
            let offset = usize::from(r.u16()) % PAGE;
            let len = usize::from(r.byte() % 64);
            let bytes = r.bytes(len);
            let at = page * PAGE + offset;
            let end = (at + bytes.len()).min(file.len());
            file[at..end].copy_from_slice(&bytes[..end - at]);
        }
        if let Some(n) = resize {
            file.resize(n * PAGE, 0);
        }
    }
    if mode & 0x04 == 0 {
        reseal(&mut file);
    }
    (file, opts)
}

fn replace_page(file: &mut [u8], r: &mut Input<'_>, pages: usize) {
    let page = usize::from(r.byte()) % pages;
    let kind = r.byte();
    let count = r.u16();
    let body = r.bytes(PAGE_BODY);
    let p = &mut file[page * PAGE..(page + 1) * PAGE];
    p[4] = kind;
    p[5] = 0;
    p[6..8].copy_from_slice(&count.to_le_bytes());
    p[8..16].copy_from_slice(&(page as u64).to_le_bytes());
    p[24..28].copy_from_slice(&(body.len() as u32).to_le_bytes());
    p[PAGE_HEADER..PAGE_HEADER + body.len()].copy_from_slice(body);
    p[PAGE_HEADER + body.len()..].fill(0);
}

fn seeded(tag: &[u8; 8], suffix: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(tag), suffix)
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .map_or(0, |x| u64::from_le_bytes(x.try_into().unwrap_or([0; 8])))
}

fn le_u32(b: &[u8], at: usize) -> usize {
    b.get(at..at + 4)
        .map_or(0, |x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]) as usize)
}

fn le_u16(b: &[u8], at: usize) -> usize {
    b.get(at..at + 2)
        .map_or(0, |x| usize::from(u16::from_le_bytes([x[0], x[1]])))
}

/// Byte offsets (within the page) of the child references a page holds: a branch's children, a
/// free-list page's next link. Tolerant of any bytes: stops where the body stops making sense.
fn child_refs(page: &[u8]) -> Vec<usize> {
    let used = le_u32(page, 24).min(PAGE_BODY);
    let mut refs = Vec::new();
    match page[4] {
        KIND_BRANCH => {
            if used < REF {
                return refs;
            }
            refs.push(PAGE_HEADER);
            let mut pos = REF;
            for _ in 0..le_u16(page, 6) {
                let key = le_u16(page, PAGE_HEADER + pos);
                pos += 2 + key;
                if pos + REF > used {
                    break;
                }
                refs.push(PAGE_HEADER + pos);
                pos += REF;
            }
        }
        KIND_FREE if used >= REF => refs.push(PAGE_HEADER),
        _ => {}
    }
    refs
}

/// Recomputes every checksum of a checkpoint file (see the module documentation), children before
/// parents, until nothing changes (or a bounded number of passes, for cyclic structures).
pub fn reseal(file: &mut [u8]) {
    let pages = file.len() / PAGE;
    let refs: Vec<Vec<usize>> = (0..pages)
        .map(|p| {
            if p == 0 {
                Vec::new()
            } else {
                child_refs(&file[p * PAGE..(p + 1) * PAGE])
            }
        })
        .collect();
    let crc_of = |file: &[u8], p: u64| -> Option<[u8; 4]> {
        let p = usize::try_from(p).ok().filter(|&p| p >= 1 && p < pages)?;
        file[p * PAGE..p * PAGE + 4].try_into().ok()
    };
    // The transaction a page's header names (bytes 16..24), which its references must record.
    let txn_of = |file: &[u8], p: u64| -> Option<[u8; 8]> {
        let p = usize::try_from(p).ok().filter(|&p| p >= 1 && p < pages)?;
        file[p * PAGE + 16..p * PAGE + 24].try_into().ok()
    };
    for _ in 0..64 {
        let mut changed = false;
        for p in 1..pages {
            for &at in &refs[p] {
                let at = p * PAGE + at;
                if let Some(crc) = crc_of(file, le_u64(file, at)) {
                    changed |= file[at + 8..at + 12] != crc;
                    file[at + 8..at + 12].copy_from_slice(&crc);
                }
                if let Some(txn) = txn_of(file, le_u64(file, at)) {
                    changed |= file[at + 12..at + 20] != txn;
                    file[at + 12..at + 20].copy_from_slice(&txn);
                }
            }
            let page = &mut file[p * PAGE..(p + 1) * PAGE];
            let crc =
                crc32c::crc32c_append(seeded(b"SHLGCKPG", &(p as u64).to_le_bytes()), &page[4..]);
            changed |= page[0..4] != crc.to_le_bytes();
            page[0..4].copy_from_slice(&crc.to_le_bytes());
        }
        if !changed {
            break;
        }
    }
    if file.len() < 2 * SECTOR {
        return;
    }
    for i in 0..2 {
        let at = i * SECTOR;
        if &file[at..at + 8] != SLOT_MAGIC {
            continue;
        }
        // (page, crc, txn) of the root and of the free-list head.
        for (page_at, crc_at, txn_at) in [(24, 32, 80), (48, 56, 88)] {
            if let Some(crc) = crc_of(file, le_u64(file, at + page_at)) {
                file[at + crc_at..at + crc_at + 4].copy_from_slice(&crc);
            }
            if let Some(txn) = txn_of(file, le_u64(file, at + page_at)) {
                file[at + txn_at..at + txn_at + 8].copy_from_slice(&txn);
            }
        }
        let crc =
            crc32c::crc32c_append(seeded(b"SHLGSLOT", &[i as u8]), &file[at..at + SECTOR - 4]);
        file[at + SECTOR - 4..at + SECTOR].copy_from_slice(&crc.to_le_bytes());
    }
}

/// An error must say what is wrong with the file, not report a bug in the crate.
fn clear(what: &str, e: &Error) {
    assert!(
        !matches!(e, Error::Internal(_)),
        "{what}: internal error on a crafted file: {e}"
    );
    assert!(!e.to_string().is_empty(), "{what}: empty error message");
}

/// The same for the lease table, whose errors are the engine's.
fn clear_lease(what: &str, e: &shardlog::Error) {
    match e {
        shardlog::Error::Checkpoint(inner) => clear(what, inner),
        other => {
            assert!(
                !matches!(other, shardlog::Error::Internal(_)),
                "{what}: internal error on a crafted file: {other}"
            );
            assert!(!other.to_string().is_empty(), "{what}: empty error message");
        }
    }
}

/// The keys and values inserted by the write transaction.
fn inserts() -> Entries {
    vec![
        (b"fuzz-insert".to_vec(), b"value".to_vec()),
        (vec![0u8], Vec::new()),
        (vec![0xFF; 512], vec![0xAB; 1024]),
        (deep_key(1), b"overwritten".to_vec()),
    ]
}

/// A full scan, stopped (as a failure) past the most entries the file's pages could hold.
fn scan(db: &Db, page_count: u64) -> Result<Entries, Error> {
    let snap = db.read()?;
    let bound = page_count.saturating_mul(MAX_ENTRIES_PER_PAGE);
    let mut out = Vec::new();
    for item in snap.iter() {
        out.push(item?);
        assert!(
            out.len() as u64 <= bound,
            "a scan yielded more than {bound} entries from {page_count} pages (a page visited twice)"
        );
    }
    Ok(out)
}

/// Opens `file` and checks every property (see the module documentation).
pub fn run(file: &[u8], o: RunOptions) {
    let disk = SimDisk::new(1);
    disk.put_file(NAME, file);
    let opts = options(o.verify_on_open, o.cache_pages);
    let db = match Db::open_with(Arc::new(disk.clone()), NAME, opts.clone()) {
        Ok(db) => db,
        Err(e) => return clear("open", &e),
    };
    let info = db.info();
    let scanned = scan(&db, info.page_count);
    let verified = match db.verify() {
        Ok(report) => {
            let entries = scanned
                .as_ref()
                .unwrap_or_else(|e| panic!("verify accepted the file but a scan failed: {e}"));
            assert_eq!(report.entries, entries.len() as u64, "verify vs scan");
            assert_eq!(info.entries, entries.len() as u64, "commit record vs scan");
            assert!(
                entries.windows(2).all(|w| w[0].0 < w[1].0),
                "scan not in strictly increasing key order"
            );
            let snap = db.read().expect("read");
            for (k, v) in entries {
                let got = snap
                    .get(k)
                    .unwrap_or_else(|e| panic!("get of a scanned key failed: {e}"));
                assert_eq!(got.as_ref(), Some(v), "get disagrees with the scan");
            }
            Some(entries.iter().cloned().collect::<Model>())
        }
        Err(e) => {
            clear("verify", &e);
            if let Err(e) = &scanned {
                clear("scan", e);
            }
            None
        }
    };
    let written = (|| {
        let mut tx = db.write()?;
        for (k, v) in inserts() {
            tx.insert(&k, &v)?;
        }
        tx.commit()
    })();
    match (&written, &verified) {
        (Err(e), Some(_)) => panic!("write on a file verify accepted failed: {e}"),
        (Err(e), None) => clear("write", e),
        (Ok(()), _) => {}
    }
    let db = Arc::new(db);
    match LeaseTable::new(db.clone(), Default::default()) {
        Ok(table) => {
            for app in ["app", "a"] {
                if let Err(e) = table.list(app) {
                    clear_lease("lease list", &e);
                }
            }
        }
        Err(e) => clear_lease("lease table", &e),
    }
    let (Ok(()), Some(mut model)) = (written, verified) else {
        return;
    };
    drop(db);
    model.extend(inserts());
    let db = Db::open_with(Arc::new(disk), NAME, opts)
        .unwrap_or_else(|e| panic!("reopen after a commit failed: {e}"));
    let now: Model = db
        .read()
        .expect("read")
        .iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("scan after a commit failed: {e}"));
    // `LeaseTable::new` adds its schema key (lease schema 2) if the file did not have it.
    model
        .entry(LEASE_SCHEMA_KEY.to_vec())
        .or_insert_with(|| vec![2]);
    assert!(
        now == model,
        "after a commit and reopen the file holds {} entries, the model {}",
        now.len(),
        model.len()
    );
    db.verify()
        .unwrap_or_else(|e| panic!("verify after a commit failed: {e}"));
}

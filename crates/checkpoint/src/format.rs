//! Byte layout of the checkpoint file: commit slots, page header, free-list pages, and the
//! primitives that node pages (`page.rs`) are written and read with.
//!
//! Pure encode/decode, no I/O. `docs/format.md` ("Checkpoint file") repeats these tables; the
//! constants below are built from each other so that the two cannot drift silently. Every decoder is
//! total: it returns `Err(reason)` for any input and never panics (indexing is denied here).
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use byteorder::{ByteOrder, LittleEndian as LE};
use std::collections::BTreeSet;

/// Encoded bytes of one leaf entry besides its key and value: key length u16, value length u16.
pub(crate) const LEAF_ENTRY_OVERHEAD: usize = 4;
/// Encoded bytes of a branch's first child: page u64, checksum u32, transaction u64.
pub(crate) const BRANCH_FIRST_CHILD: usize = 20;
/// Encoded bytes of one branch entry besides its key: key length u16 and a child reference.
pub(crate) const BRANCH_ENTRY_OVERHEAD: usize = 2 + BRANCH_FIRST_CHILD;

/// Bytes per page.
pub(crate) const PAGE_SIZE: usize = 4096;
/// Bytes per disk sector; each commit slot has one to itself.
pub(crate) const SECTOR: usize = 512;
/// Bytes of the page header.
pub(crate) const PAGE_HEADER: usize = 32;
/// Bytes available for a node after the header.
pub(crate) const PAGE_BODY: usize = PAGE_SIZE - PAGE_HEADER;

/// The longest key a [`Db`](crate::Db) stores.
///
/// ```
/// assert_eq!(shardlog_checkpoint::MAX_KEY_LEN, 512);
/// ```
pub const MAX_KEY_LEN: usize = 512;
/// The longest value a [`Db`](crate::Db) stores.
///
/// ```
/// assert_eq!(shardlog_checkpoint::MAX_VALUE_LEN, 1024);
/// ```
pub const MAX_VALUE_LEN: usize = 1024;

/// Largest encoded leaf entry.
pub(crate) const MAX_LEAF_ENTRY: usize = LEAF_ENTRY_OVERHEAD + MAX_KEY_LEN + MAX_VALUE_LEN;
// A split of a node that overflows by one entry always has a point where both halves fit.
const _: () = assert!(MAX_LEAF_ENTRY <= PAGE_BODY / 2);
const _: () = assert!(PAGE_HEADER + PAGE_BODY == PAGE_SIZE);
const _: () = assert!(2 * SECTOR <= PAGE_SIZE);

/// Deepest tree accepted (a height past this in a slot is invalid).
pub(crate) const MAX_HEIGHT: u32 = 40;
/// Most pages a file may have (16 TiB).
pub(crate) const MAX_PAGES: u64 = 1 << 32;
/// Commit ids and key counts stay below this (so `+ 1` never overflows).
pub(crate) const MAX_COUNT: u64 = 1 << 62;

/// Page kinds (header byte 4).
pub(crate) const KIND_LEAF: u8 = 1;
/// A branch page.
pub(crate) const KIND_BRANCH: u8 = 2;
/// A free-list page.
pub(crate) const KIND_FREE: u8 = 3;

// Page header fields.
const OFF_PAGE_CRC: usize = 0;
const OFF_KIND: usize = OFF_PAGE_CRC + 4;
const OFF_PAGE_FLAGS: usize = OFF_KIND + 1;
const OFF_COUNT: usize = OFF_PAGE_FLAGS + 1;
const OFF_PAGE_NO: usize = OFF_COUNT + 2;
const OFF_PAGE_TXN: usize = OFF_PAGE_NO + 8;
const OFF_USED: usize = OFF_PAGE_TXN + 8;
const OFF_PAGE_RESERVED: usize = OFF_USED + 4;
const _: () = assert!(OFF_PAGE_RESERVED + 4 == PAGE_HEADER);

/// Bytes of an encoded page reference: page u64, checksum u32, transaction u64.
pub(crate) const REF_BYTES: usize = 20;
/// Free-list page body: the reference to the next page, then page numbers.
const FREE_NEXT: usize = REF_BYTES;
/// Page numbers one free-list page holds.
pub(crate) const FREE_PER_PAGE: usize = (PAGE_BODY - FREE_NEXT) / 8;

// Commit slot fields.
/// Magic at the start of each commit slot.
pub(crate) const SLOT_MAGIC: [u8; 8] = *b"SHLGCKP\0";
/// Format version written.
/// Version 2: one `fdatasync` per commit; references carry the writing transaction.
/// Version 3: the slot names a redo-log region (`log.rs`); small commits append to it.
pub(crate) const FORMAT_VERSION: u32 = 3;
/// The oldest version read: a version-2 slot has zeros where version 3 names the log, so it reads
/// as a commit without a log, and the next tree commit adds one.
pub(crate) const OLDEST_READ_VERSION: u32 = 2;
/// Most pages a redo-log region may span (256 MiB).
pub(crate) const MAX_LOG_PAGES: u64 = 1 << 16;
const OFF_MAGIC: usize = 0;
const OFF_VERSION: usize = OFF_MAGIC + 8;
const OFF_SLOT_PAGE_SIZE: usize = OFF_VERSION + 4;
const OFF_TXN: usize = OFF_SLOT_PAGE_SIZE + 4;
const OFF_ROOT: usize = OFF_TXN + 8;
const OFF_ROOT_CRC: usize = OFF_ROOT + 8;
const OFF_HEIGHT: usize = OFF_ROOT_CRC + 4;
const OFF_PAGE_COUNT: usize = OFF_HEIGHT + 4;
const OFF_FREE_HEAD: usize = OFF_PAGE_COUNT + 8;
const OFF_FREE_CRC: usize = OFF_FREE_HEAD + 8;
const OFF_SLOT_RESERVED: usize = OFF_FREE_CRC + 4;
const OFF_FREE_COUNT: usize = OFF_SLOT_RESERVED + 4;
const OFF_ENTRIES: usize = OFF_FREE_COUNT + 8;
const OFF_ROOT_TXN: usize = OFF_ENTRIES + 8;
const OFF_FREE_TXN: usize = OFF_ROOT_TXN + 8;
const OFF_LOG_START: usize = OFF_FREE_TXN + 8;
const OFF_LOG_PAGES: usize = OFF_LOG_START + 8;
const OFF_LOG_SALT: usize = OFF_LOG_PAGES + 8;
const SLOT_FIELDS_END: usize = OFF_LOG_SALT + 8;
const OFF_SLOT_CRC: usize = SECTOR - 4;
const _: () = assert!(SLOT_FIELDS_END == 120 && SLOT_FIELDS_END <= OFF_SLOT_CRC);

/// A checked reference to a page: its number, the checksum its content must have, and the commit
/// that wrote it (open re-checks exactly the pages the newest commit wrote, found through this).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PageRef {
    pub(crate) page: u64,
    pub(crate) crc: u32,
    pub(crate) txn: u64,
}

impl PageRef {
    /// The placeholder for "no page" in a slot or free-list link.
    pub(crate) const NONE: PageRef = PageRef {
        page: 0,
        crc: 0,
        txn: 0,
    };
}

/// The state one commit slot names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Commit {
    /// Transaction id; the valid slot with the higher id is current.
    pub(crate) txn: u64,
    /// Root of the tree; `None` for an empty tree.
    pub(crate) root: Option<PageRef>,
    /// Levels of the tree (0 when empty, 1 when the root is a leaf).
    pub(crate) height: u32,
    /// Pages in use or free: every page number below this is either in the tree, a free-list page,
    /// or listed as free. Page 0 (the slots) counts.
    pub(crate) page_count: u64,
    /// First free-list page.
    pub(crate) free_head: Option<PageRef>,
    /// Page numbers listed in the free list.
    pub(crate) free_count: u64,
    /// Keys in the tree.
    pub(crate) entries: u64,
    /// First page of the redo-log region (0 when there is none).
    pub(crate) log_start: u64,
    /// Pages of the redo-log region (0 when there is none).
    pub(crate) log_pages: u64,
    /// Mixed into the checksum seed of this commit's log records, chosen anew by every tree commit:
    /// records left in the region by an earlier commit with the same transaction id (possible after
    /// open fell back past a damaged newest commit) fail their checksum.
    pub(crate) log_salt: u64,
}

impl Commit {
    /// The state of a new, empty file.
    pub(crate) fn empty() -> Commit {
        Commit {
            txn: 1,
            root: None,
            height: 0,
            page_count: 1,
            free_head: None,
            free_count: 0,
            entries: 0,
            log_start: 0,
            log_pages: 0,
            log_salt: 0,
        }
    }

    /// The pages of the redo-log region.
    pub(crate) fn log_range(&self) -> std::ops::Range<u64> {
        self.log_start..self.log_start + self.log_pages
    }
}

/// What a commit slot holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SlotState {
    /// A checked commit record.
    Valid(Commit),
    /// All 512 bytes are zero (never written).
    Empty,
    /// Torn, damaged, or otherwise failing a check: the reason.
    Invalid(String),
    /// Checksum correct, but a format version or page size this build does not know.
    Unsupported(String),
}

fn seeded(tag: &[u8; 8], suffix: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(tag), suffix)
}

/// The checksum seed of page `page`: binds each page's checksum to its position in the file.
pub(crate) fn page_seed(page: u64) -> u32 {
    seeded(b"SHLGCKPG", &page.to_le_bytes())
}

fn slot_seed(index: usize) -> u32 {
    seeded(b"SHLGSLOT", &[u8::try_from(index).unwrap_or(u8::MAX)])
}

fn put_u64(buf: &mut [u8], off: usize, v: u64) {
    if let Some(dst) = buf.get_mut(off..off + 8) {
        LE::write_u64(dst, v);
    }
}

fn put_u32(buf: &mut [u8], off: usize, v: u32) {
    if let Some(dst) = buf.get_mut(off..off + 4) {
        LE::write_u32(dst, v);
    }
}

fn put_u16(buf: &mut [u8], off: usize, v: u16) {
    if let Some(dst) = buf.get_mut(off..off + 2) {
        LE::write_u16(dst, v);
    }
}

fn get_u64(buf: &[u8], off: usize) -> u64 {
    buf.get(off..off + 8).map_or(0, LE::read_u64)
}

fn get_u32(buf: &[u8], off: usize) -> u32 {
    buf.get(off..off + 4).map_or(0, LE::read_u32)
}

fn get_u16(buf: &[u8], off: usize) -> u16 {
    buf.get(off..off + 2).map_or(0, LE::read_u16)
}

/// Encodes `commit` for slot `index` (0 or 1): one sector.
pub(crate) fn encode_slot(commit: &Commit, index: usize) -> [u8; SECTOR] {
    let mut s = [0u8; SECTOR];
    if let Some(dst) = s.get_mut(OFF_MAGIC..OFF_MAGIC + 8) {
        dst.copy_from_slice(&SLOT_MAGIC);
    }
    put_u32(&mut s, OFF_VERSION, FORMAT_VERSION);
    put_u32(&mut s, OFF_SLOT_PAGE_SIZE, PAGE_SIZE as u32);
    put_u64(&mut s, OFF_TXN, commit.txn);
    let root = commit.root.unwrap_or(PageRef::NONE);
    put_u64(&mut s, OFF_ROOT, root.page);
    put_u32(&mut s, OFF_ROOT_CRC, root.crc);
    put_u64(&mut s, OFF_ROOT_TXN, root.txn);
    put_u32(&mut s, OFF_HEIGHT, commit.height);
    put_u64(&mut s, OFF_PAGE_COUNT, commit.page_count);
    let free = commit.free_head.unwrap_or(PageRef::NONE);
    put_u64(&mut s, OFF_FREE_HEAD, free.page);
    put_u32(&mut s, OFF_FREE_CRC, free.crc);
    put_u64(&mut s, OFF_FREE_TXN, free.txn);
    put_u64(&mut s, OFF_FREE_COUNT, commit.free_count);
    put_u64(&mut s, OFF_ENTRIES, commit.entries);
    put_u64(&mut s, OFF_LOG_START, commit.log_start);
    put_u64(&mut s, OFF_LOG_PAGES, commit.log_pages);
    put_u64(&mut s, OFF_LOG_SALT, commit.log_salt);
    let crc = crc32c::crc32c_append(slot_seed(index), s.get(..OFF_SLOT_CRC).unwrap_or(&[]));
    put_u32(&mut s, OFF_SLOT_CRC, crc);
    s
}

/// Decodes slot `index` from its sector. The checksum covers all 508 bytes before it, so any change
/// to the sector (reserved bytes included) invalidates the slot.
pub(crate) fn decode_slot(s: &[u8], index: usize) -> SlotState {
    if s.len() != SECTOR {
        return SlotState::Invalid(format!("slot of {} bytes", s.len()));
    }
    if s.iter().all(|&b| b == 0) {
        return SlotState::Empty;
    }
    if s.get(OFF_MAGIC..OFF_MAGIC + 8) != Some(&SLOT_MAGIC[..]) {
        return SlotState::Invalid("bad magic".into());
    }
    let stored = get_u32(s, OFF_SLOT_CRC);
    let actual = crc32c::crc32c_append(slot_seed(index), s.get(..OFF_SLOT_CRC).unwrap_or(&[]));
    if stored != actual {
        return SlotState::Invalid(format!(
            "checksum mismatch (stored {stored:#010x}, computed {actual:#010x}): torn or damaged"
        ));
    }
    let version = get_u32(s, OFF_VERSION);
    if !(OLDEST_READ_VERSION..=FORMAT_VERSION).contains(&version) {
        return SlotState::Unsupported(format!(
            "format version {version} (this build reads {OLDEST_READ_VERSION} to {FORMAT_VERSION})"
        ));
    }
    let page_size = get_u32(s, OFF_SLOT_PAGE_SIZE);
    if page_size as usize != PAGE_SIZE {
        return SlotState::Unsupported(format!(
            "page size {page_size} (this build uses {PAGE_SIZE})"
        ));
    }
    let commit = Commit {
        txn: get_u64(s, OFF_TXN),
        root: page_ref(
            get_u64(s, OFF_ROOT),
            get_u32(s, OFF_ROOT_CRC),
            get_u64(s, OFF_ROOT_TXN),
        ),
        height: get_u32(s, OFF_HEIGHT),
        page_count: get_u64(s, OFF_PAGE_COUNT),
        free_head: page_ref(
            get_u64(s, OFF_FREE_HEAD),
            get_u32(s, OFF_FREE_CRC),
            get_u64(s, OFF_FREE_TXN),
        ),
        free_count: get_u64(s, OFF_FREE_COUNT),
        entries: get_u64(s, OFF_ENTRIES),
        log_start: get_u64(s, OFF_LOG_START),
        log_pages: get_u64(s, OFF_LOG_PAGES),
        log_salt: get_u64(s, OFF_LOG_SALT),
    };
    match check_commit(&commit) {
        Ok(()) => SlotState::Valid(commit),
        Err(reason) => SlotState::Invalid(reason),
    }
}

fn page_ref(page: u64, crc: u32, txn: u64) -> Option<PageRef> {
    (page != 0).then_some(PageRef { page, crc, txn })
}

/// Range checks on a commit record's fields.
fn check_commit(c: &Commit) -> Result<(), String> {
    if c.txn == 0 || c.txn >= MAX_COUNT {
        return Err(format!("transaction id {} outside 1..2^62", c.txn));
    }
    if c.entries >= MAX_COUNT {
        return Err(format!("key count {} not below 2^62", c.entries));
    }
    if c.page_count == 0 || c.page_count > MAX_PAGES {
        return Err(format!(
            "page count {} outside 1..={MAX_PAGES}",
            c.page_count
        ));
    }
    if c.height > MAX_HEIGHT {
        return Err(format!("tree height {} above {MAX_HEIGHT}", c.height));
    }
    if c.root.is_some() != (c.height > 0) {
        return Err(format!(
            "root {:?} does not match height {}",
            c.root, c.height
        ));
    }
    for (what, r) in [("root", c.root), ("free-list head", c.free_head)] {
        if let Some(r) = r.filter(|r| r.page >= c.page_count) {
            return Err(format!(
                "{what} page {} not below page count {}",
                r.page, c.page_count
            ));
        }
        if let Some(r) = r.filter(|r| r.txn == 0 || r.txn > c.txn) {
            return Err(format!(
                "{what} written by transaction {}, outside 1..={}",
                r.txn, c.txn
            ));
        }
    }
    if c.free_head.is_some_and(|r| r.txn != c.txn) {
        return Err("free list not written by its commit".into());
    }
    if c.free_count >= c.page_count {
        return Err(format!(
            "{} free pages in a file of {} pages",
            c.free_count, c.page_count
        ));
    }
    if c.free_head.is_none() && c.free_count > 0 {
        return Err(format!("{} free pages but no free list", c.free_count));
    }
    if c.entries > 0 && c.root.is_none() {
        return Err(format!("{} entries in an empty tree", c.entries));
    }
    let log_fits = c.log_pages <= MAX_LOG_PAGES
        && c.log_start
            .checked_add(c.log_pages)
            .is_some_and(|end| end <= c.page_count);
    if (c.log_pages == 0) != (c.log_start == 0) || !log_fits {
        return Err(format!(
            "log region of {} pages at page {} in a file of {} pages",
            c.log_pages, c.log_start, c.page_count
        ));
    }
    Ok(())
}

/// Writes the header of page `page` around an already encoded body and seals it with its checksum,
/// which is returned.
pub(crate) fn seal(buf: &mut [u8], kind: u8, count: u16, page: u64, txn: u64, used: usize) -> u32 {
    if let Some(b) = buf.get_mut(OFF_KIND) {
        *b = kind;
    }
    put_u16(buf, OFF_COUNT, count);
    put_u64(buf, OFF_PAGE_NO, page);
    put_u64(buf, OFF_PAGE_TXN, txn);
    put_u32(buf, OFF_USED, u32::try_from(used).unwrap_or(u32::MAX));
    let crc = crc32c::crc32c_append(page_seed(page), buf.get(OFF_KIND..).unwrap_or(&[]));
    put_u32(buf, OFF_PAGE_CRC, crc);
    crc
}

/// A little writer into a page body.
pub(crate) struct BodyWriter<'a> {
    pub(crate) buf: &'a mut [u8],
    pub(crate) pos: usize,
}

impl BodyWriter<'_> {
    pub(crate) fn bytes(&mut self, b: &[u8]) -> Result<(), String> {
        let dst = self
            .buf
            .get_mut(self.pos..self.pos + b.len())
            .ok_or("node does not fit in a page")?;
        dst.copy_from_slice(b);
        self.pos += b.len();
        Ok(())
    }
    pub(crate) fn u16(&mut self, v: usize) -> Result<(), String> {
        let v = u16::try_from(v).map_err(|_| format!("length {v} too large"))?;
        self.bytes(&v.to_le_bytes())
    }
    pub(crate) fn u32(&mut self, v: u32) -> Result<(), String> {
        self.bytes(&v.to_le_bytes())
    }
    pub(crate) fn u64(&mut self, v: u64) -> Result<(), String> {
        self.bytes(&v.to_le_bytes())
    }
    pub(crate) fn page_ref(&mut self, r: PageRef) -> Result<(), String> {
        self.u64(r.page)?;
        self.u32(r.crc)?;
        self.u64(r.txn)
    }
}

/// Encodes a free-list page listing `pages`, followed by `next`.
pub(crate) fn encode_free(
    pages: &[u64],
    next: Option<PageRef>,
    page: u64,
    txn: u64,
) -> Result<(Vec<u8>, u32), String> {
    let mut buf = vec![0u8; PAGE_SIZE];
    let body = buf.get_mut(PAGE_HEADER..).ok_or("short page")?;
    let mut w = BodyWriter { buf: body, pos: 0 };
    w.page_ref(next.unwrap_or(PageRef::NONE))?;
    for &p in pages {
        w.u64(p)?;
    }
    let used = w.pos;
    let count = u16::try_from(pages.len()).map_err(|_| "free-list page overfull".to_string())?;
    let crc = seal(&mut buf, KIND_FREE, count, page, txn, used);
    Ok((buf, crc))
}

/// Header fields of a checked page.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PageHeader {
    pub(crate) kind: u8,
    pub(crate) count: usize,
    pub(crate) txn: u64,
    pub(crate) used: usize,
    pub(crate) crc: u32,
}

/// Checks page `page`'s checksum (seeded with its number) and header fields.
pub(crate) fn check_page(buf: &[u8], page: u64) -> Result<PageHeader, String> {
    if buf.len() != PAGE_SIZE {
        return Err(format!("page of {} bytes", buf.len()));
    }
    let stored = get_u32(buf, OFF_PAGE_CRC);
    let actual = crc32c::crc32c_append(page_seed(page), buf.get(OFF_KIND..).unwrap_or(&[]));
    if stored != actual {
        return Err(format!(
            "page checksum mismatch (stored {stored:#010x}, computed {actual:#010x} for page {page}): \
             torn, misdirected or damaged page"
        ));
    }
    let named = get_u64(buf, OFF_PAGE_NO);
    if named != page {
        return Err(format!("page names itself {named}"));
    }
    let used = get_u32(buf, OFF_USED) as usize;
    if used > PAGE_BODY {
        return Err(format!("body length {used} above {PAGE_BODY}"));
    }
    Ok(PageHeader {
        kind: buf.get(OFF_KIND).copied().unwrap_or(0),
        count: get_u16(buf, OFF_COUNT) as usize,
        txn: get_u64(buf, OFF_PAGE_TXN),
        used,
        crc: stored,
    })
}

/// A bounds-checked reader over a page body.
pub(crate) struct BodyReader<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> BodyReader<'a> {
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).ok_or("length overflow")?;
        let b = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| format!("entry runs past the body end at body byte {}", self.pos))?;
        self.pos = end;
        Ok(b)
    }
    pub(crate) fn u16(&mut self) -> Result<usize, String> {
        Ok(LE::read_u16(self.bytes(2)?) as usize)
    }
    pub(crate) fn u32(&mut self) -> Result<u32, String> {
        Ok(LE::read_u32(self.bytes(4)?))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, String> {
        Ok(LE::read_u64(self.bytes(8)?))
    }
    /// A child reference inside a page written by transaction `parent_txn`: a child cannot be
    /// newer than its parent.
    pub(crate) fn page_ref(&mut self, parent_txn: u64) -> Result<PageRef, String> {
        let page = self.u64()?;
        let crc = self.u32()?;
        let txn = self.u64()?;
        if page == 0 {
            return Err("child reference to page 0".into());
        }
        if txn == 0 || txn > parent_txn {
            return Err(format!(
                "child page {page} written by transaction {txn}, outside 1..={parent_txn}"
            ));
        }
        Ok(PageRef { page, crc, txn })
    }
    pub(crate) fn key(&mut self) -> Result<&'a [u8], String> {
        let len = self.u16()?;
        if len == 0 || len > MAX_KEY_LEN {
            return Err(format!("key length {len} outside 1..={MAX_KEY_LEN}"));
        }
        self.bytes(len)
    }
}

pub(crate) fn body<'a>(buf: &'a [u8], h: &PageHeader) -> &'a [u8] {
    buf.get(PAGE_HEADER..PAGE_HEADER + h.used).unwrap_or(&[])
}

/// Decodes a checked free-list page: the pages it lists and the next page of the chain.
pub(crate) fn decode_free(
    buf: &[u8],
    h: &PageHeader,
) -> Result<(Vec<u64>, Option<PageRef>), String> {
    if h.kind != KIND_FREE {
        return Err(format!(
            "page kind {} where a free-list page was expected",
            h.kind
        ));
    }
    let mut r = BodyReader {
        buf: body(buf, h),
        pos: 0,
    };
    let next_page = r.u64()?;
    let next_crc = r.u32()?;
    let next_txn = r.u64()?;
    if next_page != 0 && next_txn != h.txn {
        return Err(format!(
            "free-list page of transaction {} links to one of transaction {next_txn}",
            h.txn
        ));
    }
    if h.count > FREE_PER_PAGE {
        return Err(format!("{} entries in a free-list page", h.count));
    }
    let mut pages = Vec::with_capacity(h.count);
    for _ in 0..h.count {
        pages.push(r.u64()?);
    }
    if r.pos != h.used {
        return Err(format!(
            "body holds {} bytes but the header says {}",
            r.pos, h.used
        ));
    }
    Ok((pages, page_ref(next_page, next_crc, next_txn)))
}

/// Checks that a set of page numbers is a partition-compatible free set: each in `1..page_count`,
/// none twice. Returns the set.
pub(crate) fn check_free_set(pages: &[u64], page_count: u64) -> Result<BTreeSet<u64>, String> {
    let mut set = BTreeSet::new();
    for &p in pages {
        if p == 0 || p >= page_count {
            return Err(format!("free page {p} outside 1..{page_count}"));
        }
        if !set.insert(p) {
            return Err(format!("page {p} listed free twice"));
        }
    }
    Ok(set)
}

/// Byte offset of page `page` in the file.
pub(crate) fn page_offset(page: u64) -> u64 {
    page.saturating_mul(PAGE_SIZE as u64)
}

/// Byte offset of commit slot `index`.
pub(crate) fn slot_offset(index: usize) -> u64 {
    (index * SECTOR) as u64
}

// Keep the branch header constant in sync with the decoder above.
const _: () = assert!(BRANCH_FIRST_CHILD == FREE_NEXT);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn slot_round_trip_and_every_bit_flip_is_caught() {
        let c = Commit {
            txn: 7,
            root: Some(PageRef {
                page: 3,
                crc: 0xDEAD_BEEF,
                txn: 6,
            }),
            height: 2,
            page_count: 9,
            free_head: Some(PageRef {
                page: 5,
                crc: 1,
                txn: 7,
            }),
            free_count: 2,
            entries: 40,
            log_start: 6,
            log_pages: 3,
            log_salt: 0x0123_4567_89AB_CDEF,
        };
        for index in 0..2 {
            let s = encode_slot(&c, index);
            assert_eq!(decode_slot(&s, index), SlotState::Valid(c));
            // Bound to its position: the other slot's seed does not validate it.
            assert!(matches!(decode_slot(&s, 1 - index), SlotState::Invalid(_)));
            for bit in 0..SECTOR * 8 {
                let mut t = s;
                t[bit / 8] ^= 1 << (bit % 8);
                assert!(
                    matches!(decode_slot(&t, index), SlotState::Invalid(_)),
                    "bit {bit}"
                );
            }
        }
        assert_eq!(decode_slot(&[0u8; SECTOR], 0), SlotState::Empty);
    }

    #[test]
    fn checksum_test_vectors_match_the_format_doc() {
        assert_eq!(page_seed(0), 0x657F_C6EF);
        assert_eq!(page_seed(1), 0x2C43_BBC8);
        assert_eq!(page_seed(7), 0x9F26_C3EB);
        assert_eq!(slot_seed(0), 0x9493_A3D9);
        assert_eq!(slot_seed(1), 0x66F8_20DA);
        let empty = encode_slot(&Commit::empty(), 0);
        assert_eq!(get_u32(&empty, OFF_SLOT_CRC), 0x8924_21A9);
    }

    #[test]
    fn decoders_survive_garbage() {
        let mut seed = 1u64;
        for _ in 0..2000 {
            let mut buf = vec![0u8; PAGE_SIZE];
            for b in buf.iter_mut() {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *b = (seed >> 56) as u8;
            }
            for kind in [KIND_LEAF, KIND_BRANCH, KIND_FREE, 9] {
                let h = PageHeader {
                    kind,
                    count: (seed as usize) % 600,
                    txn: 1,
                    used: (seed as usize >> 8) % (PAGE_BODY + 1),
                    crc: 0,
                };
                let _ = decode_free(&buf, &h);
            }
            let _ = decode_slot(&buf[..SECTOR], 0);
        }
    }
}

//! Damaged files: every bit of both commit slots, bit flips in pages, stale pages (a lost write
//! leaving an older valid page), misdirected pages, truncation, garbage files, and random multi-byte
//! corruption. Oracle: a damaged slot, or damage to a page the newest commit wrote (indistinguishable
//! from a commit torn by a crash), falls back to the other slot's commit and says so; any other
//! damage that matters is an `Error::Corrupt` naming the file and the byte offset of the page;
//! nothing panics, and no read ever returns contents other than a committed state.
#![allow(clippy::unwrap_used)]

mod common;

use common::{key, open_tree as open, read_all, value, Model, Rng};
use shardlog_checkpoint::{Db, Error};
use shardlog_storage::{SimDisk, Storage};

const FILE: &str = "checkpoints.db";
const PAGE: usize = 4096;

/// A disk whose file has several commits; returns the models of the last two.
fn build(commits: u64) -> (SimDisk, Model, Model) {
    let disk = SimDisk::new(3);
    let db = open(&disk).unwrap();
    let mut rng = Rng(8);
    let mut model = Model::new();
    let mut prev = Model::new();
    for c in 0..commits {
        prev = model.clone();
        let mut tx = db.write().unwrap();
        for _ in 0..15 {
            let k = key(rng.below(80));
            if rng.chance(25) {
                tx.remove(&k).unwrap();
                model.remove(&k);
            } else {
                let v = value(c, rng.below(400) as usize);
                tx.insert(&k, &v).unwrap();
                model.insert(k, v);
            }
        }
        tx.commit().unwrap();
    }
    (disk, prev, model)
}

fn contents(disk: &SimDisk) -> Result<Model, Error> {
    contents_and_fallback(disk).map(|(m, _)| m)
}

/// The contents after a full `verify`, and whether open fell back to the older commit slot.
fn contents_and_fallback(disk: &SimDisk) -> Result<(Model, bool), Error> {
    let db = open(disk)?;
    db.verify()?;
    let snap = db.read()?;
    Ok((read_all(&snap)?, db.info().slot_fallback.is_some()))
}

fn page_count(disk: &SimDisk) -> u64 {
    open(disk).unwrap().info().page_count
}

#[test]
fn every_bit_of_both_commit_slots() {
    let (disk, prev, model) = build(12);
    let txn = open(&disk).unwrap().info().txn;
    let newer = ((txn - 1) % 2) as u64;
    let mut fallbacks = 0;
    for bit in 0..2 * 512 * 8u64 {
        disk.flip_bit(FILE, bit).unwrap();
        let in_newer = bit / (512 * 8) == newer;
        let db = open(&disk).unwrap_or_else(|e| panic!("bit {bit}: {e}"));
        let info = db.info();
        assert!(
            info.slot_fallback.is_some(),
            "bit {bit}: damage not reported"
        );
        let got = read_all(&db.read().unwrap()).unwrap();
        if in_newer {
            assert_eq!(
                got, prev,
                "bit {bit}: did not fall back to the previous commit"
            );
            assert_eq!(info.txn, txn - 1);
            fallbacks += 1;
        } else {
            assert_eq!(
                got, model,
                "bit {bit}: the older slot's damage changed the current commit"
            );
        }
        db.verify().unwrap();
        if bit % 211 == 0 {
            // Writing after a fallback overwrites the damaged slot and works on.
            let mut tx = db.write().unwrap();
            tx.insert(b"after", b"fallback").unwrap();
            tx.commit().unwrap();
            drop(db);
            let db = open(&disk).unwrap();
            assert_eq!(
                db.read().unwrap().get(b"after").unwrap().unwrap(),
                b"fallback"
            );
            db.verify().unwrap();
            drop(db);
            // Put the original image back.
            let (fresh, _, _) = build(12);
            disk.put_file(FILE, &fresh.file_bytes(FILE).unwrap());
            continue;
        }
        drop(db);
        disk.flip_bit(FILE, bit).unwrap();
    }
    assert_eq!(fallbacks, 512 * 8);
    // Both slots damaged: an error naming the file, never a guess.
    disk.flip_bit(FILE, 100).unwrap();
    disk.flip_bit(FILE, 512 * 8 + 100).unwrap();
    let err = open(&disk).unwrap_err();
    assert!(matches!(err, Error::Corrupt { offset: 0, .. }), "{err}");
    assert!(err.to_string().contains(FILE), "{err}");
}

#[test]
fn page_bit_flips_are_reported_with_their_offset() {
    let (disk, prev, model) = build(10);
    let pages = page_count(&disk);
    let image = disk.file_bytes(FILE).unwrap();
    let mut rng = Rng(77);
    let (mut reported, mut harmless, mut fell_back) = (0, 0, 0);
    for _ in 0..3000 {
        let page = 1 + rng.below(pages - 1);
        let bit = page * PAGE as u64 * 8 + rng.below(PAGE as u64 * 8);
        disk.flip_bit(FILE, bit).unwrap();
        match contents_and_fallback(&disk) {
            Ok((got, false)) => {
                // Only a free page may be damaged without consequence.
                assert_eq!(got, model, "bit {bit}: wrong contents returned");
                harmless += 1;
            }
            Ok((got, true)) => {
                // A page of the newest commit: it looks torn, so open uses the previous commit.
                assert_eq!(got, prev, "bit {bit}: fell back to a wrong state");
                fell_back += 1;
            }
            Err(Error::Corrupt {
                file,
                offset,
                reason,
            }) => {
                assert!(file.ends_with(FILE));
                assert_eq!(offset, page * PAGE as u64, "bit {bit}: {reason}");
                reported += 1;
            }
            Err(e) => panic!("bit {bit}: unexpected error {e}"),
        }
        disk.put_file(FILE, &image);
    }
    assert!(
        reported > 0 && harmless > 0 && fell_back > 0,
        "{reported} reported, {harmless} harmless, {fell_back} fell back"
    );
}

#[test]
fn stale_and_misdirected_pages_are_caught() {
    // Age a file so that pages are reused, keeping images before and after a big commit and after a
    // small one on top of it.
    let (disk, _, _) = build(30);
    let old = disk.file_bytes(FILE).unwrap();
    let db = open(&disk).unwrap();
    let mut tx = db.write().unwrap();
    for i in 0..40 {
        tx.insert(&key(i), &value(999, 300)).unwrap();
    }
    tx.commit().unwrap();
    let big = read_all(&db.read().unwrap()).unwrap();
    let new = disk.file_bytes(FILE).unwrap();
    let mut tx = db.write().unwrap();
    tx.insert(b"~small", b"1").unwrap();
    tx.commit().unwrap();
    drop(db);
    let newer = disk.file_bytes(FILE).unwrap();
    let pages = page_count(&disk);
    let page = |img: &[u8], p: usize| img[p * PAGE..(p + 1) * PAGE].to_vec();
    let (mut stale, mut torn) = (0, 0);
    for p in 1..pages as usize {
        if (p + 1) * PAGE > old.len() {
            continue;
        }
        let mut img = newer.clone();
        if page(&new, p) != page(&newer, p) {
            // A lost write of the newest commit: it was torn, the big commit is the state.
            img[p * PAGE..(p + 1) * PAGE].copy_from_slice(&page(&new, p));
            disk.put_file(FILE, &img);
            let (got, fell_back) = contents_and_fallback(&disk).unwrap();
            assert!(
                fell_back && got == big,
                "page {p}: torn commit not rolled back"
            );
            torn += 1;
        } else if page(&old, p) != page(&new, p) {
            // A lost write of an older commit under the newest: the old valid page is back.
            img[p * PAGE..(p + 1) * PAGE].copy_from_slice(&page(&old, p));
            disk.put_file(FILE, &img);
            match contents(&disk) {
                Err(Error::Corrupt { offset, reason, .. }) => {
                    assert_eq!(offset, (p * PAGE) as u64);
                    stale += reason.contains("stale") as u32;
                }
                Ok(_) => {} // free in the newest commit
                Err(e) => panic!("page {p}: {e}"),
            }
        }
    }
    assert!(torn > 0, "no page of the newest commit was tested");
    assert!(
        stale > 0,
        "no lost write left a valid old page: the case was not exercised"
    );
    // A valid page written to the wrong place.
    let new = newer;
    disk.put_file(FILE, &new);
    let db = open(&disk).unwrap();
    let used: Vec<usize> = (1..pages as usize)
        .filter(|&p| new[p * PAGE..(p + 1) * PAGE].iter().any(|&b| b != 0))
        .collect();
    drop(db);
    let (a, b) = (used[0], used[used.len() - 1]);
    let mut img = new.clone();
    let src = new[a * PAGE..(a + 1) * PAGE].to_vec();
    img[b * PAGE..(b + 1) * PAGE].copy_from_slice(&src);
    disk.put_file(FILE, &img);
    if let Err(e) = contents(&disk) {
        assert!(
            matches!(e, Error::Corrupt { offset, .. } if offset == (b * PAGE) as u64),
            "{e}"
        );
    }
}

#[test]
fn truncated_and_garbage_files_are_errors_not_panics() {
    let (disk, _, _) = build(10);
    let image = disk.file_bytes(FILE).unwrap();
    for len in [0, 1, 511, 1024, 4095, 4097, 8192] {
        disk.put_file(FILE, &image[..len.min(image.len())]);
        let err = contents(&disk).unwrap_err();
        assert!(
            matches!(err, Error::Corrupt { .. } | Error::Foreign { .. }),
            "len {len}: {err}"
        );
    }
    // Cut to fewer pages than the commit names.
    let pages = page_count_of(&image);
    if pages > 2 {
        disk.put_file(FILE, &image[..PAGE * 2]);
        assert!(matches!(contents(&disk), Err(Error::Corrupt { .. })));
    }
    let mut rng = Rng(5);
    for _ in 0..300 {
        let len = PAGE * (1 + rng.below(4) as usize);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        disk.put_file(FILE, &bytes);
        assert!(contents(&disk).is_err());
    }
    // All zeros: not a checkpoint file.
    disk.put_file(FILE, &vec![0u8; PAGE * 4]);
    assert!(matches!(contents(&disk), Err(Error::Foreign { .. })));
}

/// The file never shrinks, so the older slot (used when the newest commit looks torn) must fit
/// the file too; one naming pages past the end is damage, not a commit to grow from (the fuzzer
/// found a write that tried to grow such a file to 14 million pages).
#[test]
fn an_older_slot_naming_pages_past_the_end_is_refused() {
    let (disk, _, _) = build(10);
    let image = disk.file_bytes(FILE).unwrap();
    let txn = |slot: usize| u64::from_le_bytes(image[slot * 512 + 16..][..8].try_into().unwrap());
    let newer = usize::from(txn(1) > txn(0));
    let older = 1 - newer;
    let root = u64::from_le_bytes(image[newer * 512 + 24..][..8].try_into().unwrap()) as usize;
    let pages = page_count_of(&image) as u64;
    for page_count in [pages + 1, 14_025_218, u64::MAX / PAGE as u64] {
        let mut bad = image.clone();
        // Tear the newest commit: a byte of its root page.
        bad[root * PAGE + 100] ^= 0x40;
        let s = &mut bad[older * 512..(older + 1) * 512];
        s[40..48].copy_from_slice(&page_count.to_le_bytes());
        reseal(s, older);
        disk.put_file(FILE, &bad);
        match open(&disk) {
            Err(Error::Corrupt { .. }) => {}
            Err(e) => panic!("page count {page_count}: unexpected error {e}"),
            Ok(db) => panic!(
                "page count {page_count}: opened commit {} of {} pages in a file of {pages}",
                db.info().txn,
                db.info().page_count
            ),
        }
    }
}

fn page_count_of(image: &[u8]) -> usize {
    image.len() / PAGE
}

#[test]
fn unknown_format_version_is_refused() {
    let (disk, _, _) = build(3);
    let mut image = disk.file_bytes(FILE).unwrap();
    for slot in 0..2usize {
        let s = &mut image[slot * 512..(slot + 1) * 512];
        set_version(s, slot, 4);
    }
    disk.put_file(FILE, &image);
    let err = contents(&disk).unwrap_err();
    assert!(matches!(err, Error::Foreign { .. }), "{err}");
    assert!(err.to_string().contains("version 4"), "{err}");
}

/// With the redo log on: a damaged newest slot falls back to the previous tree commit and replays
/// what survives of its log (the dropped epoch may have overwritten it), which is always a committed
/// state no newer than the one before the dropped tree commit; a damaged older slot changes nothing.
#[test]
fn every_bit_of_both_commit_slots_with_the_log() {
    let disk = SimDisk::new(5);
    let db = common::open(&disk).unwrap();
    let mut rng = Rng(9);
    let mut model = Model::new();
    // (commit id, state after it); the state before the newest tree commit is looked up here.
    let mut history = vec![(db.info().txn, model.clone())];
    for c in 0..12 {
        let mut tx = db.write().unwrap();
        for _ in 0..6 {
            let k = key(rng.below(40));
            let v = value(c, rng.below(300) as usize);
            tx.insert(&k, &v).unwrap();
            model.insert(k, v);
        }
        tx.commit().unwrap();
        history.push((db.info().txn, model.clone()));
    }
    let info = db.info();
    assert!(
        info.log_bytes > 0,
        "the newest tree commit has records after it"
    );
    drop(db);
    let img = disk.file_bytes(FILE).unwrap();
    let txn_of = |i: usize| u64::from_le_bytes(img[i * 512 + 16..i * 512 + 24].try_into().unwrap());
    let newer = (0..2).find(|&i| txn_of(i) == info.tree_txn).unwrap() as u64;
    let before_newest = history
        .iter()
        .position(|(t, _)| *t == info.tree_txn)
        .unwrap();
    for bit in 0..2 * 512 * 8u64 {
        disk.flip_bit(FILE, bit).unwrap();
        let db = common::open(&disk).unwrap_or_else(|e| panic!("bit {bit}: {e}"));
        assert!(
            db.info().slot_fallback.is_some(),
            "bit {bit}: damage not reported"
        );
        let got = read_all(&db.read().unwrap()).unwrap();
        if bit / (512 * 8) == newer {
            assert!(
                history[..before_newest].iter().any(|(_, m)| *m == got),
                "bit {bit}: not a committed state before the dropped tree commit"
            );
        } else {
            assert_eq!(
                got, model,
                "bit {bit}: the older slot's damage changed the state"
            );
        }
        db.verify().unwrap();
        drop(db);
        disk.flip_bit(FILE, bit).unwrap();
    }
}

/// Rewrites the format version of a slot sector and reseals it.
fn set_version(s: &mut [u8], slot: usize, version: u32) {
    s[8..12].copy_from_slice(&version.to_le_bytes());
    reseal(s, slot);
}

/// Writes a slot sector's checksum again after an edit.
fn reseal(s: &mut [u8], slot: usize) {
    let seed = crc32c::crc32c_append(crc32c::crc32c(b"SHLGSLOT"), &[slot as u8]);
    let crc = crc32c::crc32c_append(seed, &s[..508]);
    s[508..512].copy_from_slice(&crc.to_le_bytes());
}

/// A version-2 file (no log region; the slot bytes where version 3 names it are zero) opens with
/// its contents, and its next commit adds a log region and writes a version-3 slot.
#[test]
fn version_2_files_are_read_and_upgraded_by_the_next_commit() {
    let (disk, _, model) = build(4);
    let mut image = disk.file_bytes(FILE).unwrap();
    for slot in 0..2usize {
        let s = &mut image[slot * 512..(slot + 1) * 512];
        assert!(
            s[96..112].iter().all(|&b| b == 0),
            "log fields of a file without a log"
        );
        set_version(s, slot, 2);
    }
    disk.put_file(FILE, &image);
    assert_eq!(contents(&disk).unwrap(), model);
    let db = common::open(&disk).unwrap();
    assert_eq!(db.info().log_capacity_bytes, 0);
    let mut tx = db.write().unwrap();
    tx.insert(b"after-upgrade", b"1").unwrap();
    tx.commit().unwrap();
    assert_eq!(db.info().log_capacity_bytes, 3 * 4096);
    db.verify().unwrap();
    drop(db);
    let image = disk.file_bytes(FILE).unwrap();
    let versions: Vec<u32> = (0..2)
        .map(|i| u32::from_le_bytes(image[i * 512 + 8..i * 512 + 12].try_into().unwrap()))
        .collect();
    assert!(
        versions.contains(&3) && versions.contains(&2),
        "{versions:?}"
    );
    let mut want = model;
    want.insert(b"after-upgrade".to_vec(), b"1".to_vec());
    assert_eq!(
        read_all(&common::open(&disk).unwrap().read().unwrap()).unwrap(),
        want
    );
}

/// Random multi-byte damage anywhere: never a panic, never contents other than a committed state.
#[test]
fn random_multi_byte_corruption() {
    let (disk, prev, model) = build(10);
    let image = disk.file_bytes(FILE).unwrap();
    let mut rng = Rng(99);
    let mut errors = 0;
    for _ in 0..4000 {
        let mut img = image.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(img.len() as u64) as usize;
            let n = (1 + rng.below(64) as usize).min(img.len() - at);
            for b in &mut img[at..at + n] {
                *b = rng.next_u64() as u8;
            }
        }
        disk.put_file(FILE, &img);
        match contents(&disk) {
            Ok(got) => assert!(got == model || got == prev, "wrong contents returned"),
            Err(Error::Corrupt { .. } | Error::Foreign { .. }) => errors += 1,
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert!(errors > 0);
}

/// A reader of a damaged page gets the error; the database stays usable for other keys.
#[test]
fn get_on_a_damaged_leaf_names_the_page() {
    let disk = SimDisk::new(1);
    let db = open(&disk).unwrap();
    let mut tx = db.write().unwrap();
    for i in 0..200 {
        tx.insert(&key(i), &value(i, 200)).unwrap();
    }
    tx.commit().unwrap();
    // A second commit far from key 0, so that key 0's leaf belongs to an older commit (damage to the
    // newest commit's own pages makes open fall back instead).
    let mut tx = db.write().unwrap();
    tx.insert(b"~last", b"x").unwrap();
    tx.commit().unwrap();
    drop(db);
    // Find the page holding key 0 by damaging pages until `get(key 0)` fails.
    let pages = page_count(&disk);
    let image = disk.file_bytes(FILE).unwrap();
    let mut found = false;
    for p in 1..pages {
        disk.flip_bit(FILE, p * PAGE as u64 * 8 + 40 * 8).unwrap();
        let db = Db::open(std::sync::Arc::new(disk.clone()), FILE).unwrap();
        if let Err(e) = db.read().unwrap().get(&key(0)) {
            assert!(
                matches!(e, Error::Corrupt { offset, .. } if offset == p * PAGE as u64),
                "{e}"
            );
            assert!(e
                .to_string()
                .contains(&format!("at byte {}", p * PAGE as u64)));
            // Another leaf still reads.
            found = true;
        }
        drop(db);
        disk.put_file(FILE, &image);
    }
    assert!(found);
    assert!(disk.list().unwrap().contains(&FILE.to_string()));
}

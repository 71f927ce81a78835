//! Writes the hand-made seed inputs into `corpus/<target>/seed-*` (run on demand, not in CI):
//!
//! ```sh
//! cargo test --manifest-path fuzz/Cargo.toml --test seeds -- --ignored
//! ```
//!
//! Each seed is also checked here, so a seed that stops being valid is noticed.

use shardlog_fuzz::format::{encode_skip, DATA_START};
use shardlog_fuzz::input::Script;
use shardlog_fuzz::recovery::{self, template, NOW_MS};
use shardlog_fuzz::{checkpoint, frame, index, store};
use shardlog_segment::codec::encode_frame;
use shardlog_segment::fuzzing::{IndexEntry, IndexFile, SparseIndex};
use std::path::Path;

fn frame_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let seed = frame::seed();
    let mut out = Vec::new();
    let mut one = Vec::new();
    encode_frame(&mut one, seed, 0, NOW_MS, &[("user-1", "click")]);
    out.push(("one-record", one.clone()));
    let mut two = Vec::new();
    encode_frame(
        &mut two,
        seed,
        41,
        NOW_MS,
        &[("user-1", "click"), ("user-2", "purchase!")],
    );
    out.push(("two-records", two));
    let mut empty = Vec::new();
    encode_frame(&mut empty, seed, 7, 0, &[("", "")]);
    out.push(("empty-key-and-data", empty));
    let mut large = Vec::new();
    let big = vec![0x5Au8; 3000];
    encode_frame(
        &mut large,
        seed,
        1 << 40,
        u64::MAX,
        &[(&b"big"[..], &big[..])],
    );
    out.push(("large-record", large));
    let mut many = Vec::new();
    let recs: Vec<(String, String)> = (0..40)
        .map(|i| (format!("k{i}"), format!("v{i}")))
        .collect();
    encode_frame(&mut many, seed, u64::MAX - 100, 5, &recs);
    out.push(("many-records", many));
    let mut skip = Vec::new();
    encode_skip(&mut skip, seed, 500, NOW_MS);
    out.push(("skip", skip));
    let mut garbage = one.clone();
    garbage.extend_from_slice(b"trailing garbage after the frame");
    out.push(("frame-then-garbage", garbage));
    out.push(("truncated", one[..one.len() - 9].to_vec()));
    let mut bad_crc = one.clone();
    bad_crc[5] ^= 0x10;
    out.push(("bad-checksum", bad_crc));
    out.push(("zeros", vec![0u8; 64]));
    out
}

/// Appends a records-frame operation (structured mode) with the next sequence number.
fn records_op(s: &mut Script, ts_step: u8, records: &[(&[u8], &[u8])]) {
    s.byte(0).byte(ts_step).byte(records.len() as u8 - 1);
    for (k, d) in records {
        s.byte(k.len() as u8).byte(d.len() as u8).raw(k).raw(d);
    }
}

/// Appends a mark: present, durable end at the end of the valid frames, given counter and flags.
fn mark_at_end(s: &mut Script, counter: u64, flags: u8) {
    s.byte(0x01 | (1 << 1)).num(counter).byte(flags);
}

fn recovery_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let t = template();
    let data_end = DATA_START + 96; // two small records fit well below this
    let mut out = Vec::new();
    let mut raw = vec![0u8];
    raw.extend_from_slice(&t.segment);
    out.push(("raw-closed-segment", raw));
    let mut keep = vec![1u8];
    keep.extend_from_slice(&t.segment[DATA_START..data_end]);
    out.push(("header-page-plus-frames", keep.clone()));
    let mut torn = vec![1u8 | 0x04];
    torn.extend_from_slice(&t.segment[DATA_START..DATA_START + 40]);
    out.push(("torn-first-frame-truncate-mode", torn));
    let mut fixed = vec![2u8 | 0x10];
    fixed.extend_from_slice(&t.segment[DATA_START..data_end]);
    fixed[1 + 5] ^= 0xFF; // the checksum is repaired by mode 2
    out.push(("crc-fixed-frames-then-append", fixed));
    let mut cut = vec![1u8 | 0x20 | 0x08, 9, 3];
    cut.extend_from_slice(&t.segment[DATA_START..data_end]);
    out.push(("power-cut-during-recovery", cut));

    // Structured: one segment, three frames, a clean mark at the end.
    let mut s = Script::default();
    s.byte(3).byte(0); // mode 3; flags: default meta, one segment
    s.byte(0); // sflags: id 1, 16 KiB
    s.byte(3);
    records_op(&mut s, 1, &[(b"a", b"first"), (b"b", b"second")]);
    records_op(&mut s, 0, &[(b"", b"")]);
    records_op(&mut s, 7, &[(b"key", b"value")]);
    mark_at_end(&mut s, 3, 1);
    s.byte(0); // second slot empty
    s.byte(0); // no index
    out.push(("one-segment-clean", s.bytes.clone()));

    // Two segments; the first sealed with a true index, the second with a skip frame and torn tail.
    let mut s = Script::default();
    s.byte(3 | 0x10).byte(1 << 2);
    s.byte(0).byte(2);
    records_op(&mut s, 1, &[(b"k", b"one"), (b"k", b"two")]);
    records_op(&mut s, 1, &[(b"k", b"three")]);
    mark_at_end(&mut s, 5, 1);
    s.byte(0);
    s.byte(1); // true index
    s.byte(0).byte(4);
    records_op(&mut s, 1, &[(b"k", b"four")]);
    s.byte(1).byte(0).num(10); // skip 10 numbers
    records_op(&mut s, 2, &[(b"k", b"after skip")]);
    s.byte(2).byte(24).raw(b"torn tail garbage 123456"); // raw bytes after the frames
    mark_at_end(&mut s, 2, 2);
    s.byte(0);
    s.byte(0);
    out.push(("two-segments-index-skip-torn-tail", s.bytes.clone()));

    // Three segments, the first one dead (log.meta says segment 2 is the first live one).
    let mut s = Script::default();
    s.byte(3 | 0x04).byte(1 | (2 << 2)).num(3).num(0).num(2);
    for i in 0..3u8 {
        s.byte(0).byte(1);
        records_op(&mut s, 1, &[(b"seg", &[b'0' + i][..]), (b"seg", b"x")]);
        mark_at_end(&mut s, 1, 0);
        s.byte(0);
        s.byte(if i == 1 { 2 } else { 0 }); // segment 2: index with one field changed
        if i == 1 {
            s.num(999).byte(4); // wrong next_seq: must be rebuilt
        }
    }
    out.push(("three-segments-first-dead", s.bytes.clone()));

    // A segment whose file is cut to the data (not a multiple of 4 KiB), no mark.
    let mut s = Script::default();
    s.byte(3 | 0x20).byte(7).byte(1).byte(0);
    s.byte(1 << 4).byte(2);
    records_op(&mut s, 1, &[(b"k", b"short file")]);
    records_op(&mut s, 1, &[(b"k", b"second")]);
    s.byte(0).byte(0).byte(0);
    out.push(("exact-length-file-no-mark", s.bytes.clone()));

    // Two segments; the first 36 KiB with four 4 KiB frames (so its index has four entries), sealed
    // with a true index file.
    let mut s = Script::default();
    s.byte(3).byte(1 << 2);
    s.byte(0x20).byte(4); // size: 4 KiB * (2 + byte % 8); four operations
    for _ in 0..4 {
        s.byte(0x80).byte(1).byte(1); // records frame (data lengths times 16), two records
        s.byte(0).byte(0x7F).raw(&[b'x'; 0x7F0]);
        s.byte(0).byte(0x7F).raw(&[b'y'; 0x7F0]);
    }
    s.byte(7);
    mark_at_end(&mut s, 1, 1);
    s.byte(0);
    s.byte(1);
    s.byte(0).byte(1);
    records_op(&mut s, 1, &[(b"k", b"z")]);
    mark_at_end(&mut s, 1, 1);
    s.byte(0).byte(0);
    out.push(("big-frames-true-index", s.bytes.clone()));
    out
}

fn index_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let file = IndexFile {
        log_id: 1,
        segment_id: 2,
        base_seq: 100,
        data_end: 4096 + 3 * 2048,
        next_seq: 160,
        first_ts_ms: NOW_MS,
        last_ts_ms: NOW_MS + 40,
        index: SparseIndex {
            entries: (0..3u64)
                .map(|i| IndexEntry {
                    seq: 100 + 20 * i,
                    offset: 4096 + 2048 * i,
                    timestamp_ms: NOW_MS + 20 * i,
                })
                .collect(),
        },
    };
    let idx = file.encode();
    let mut out = Vec::new();
    out.push(("idx-raw", [&[0u8][..], &idx].concat()));
    out.push(("idx-built", [&[1u8][..], &idx[16..idx.len() - 4]].concat()));
    let mut empty = file.clone();
    empty.index.entries.clear();
    out.push(("idx-no-entries", [&[0u8][..], &empty.encode()].concat()));
    out.push(("meta-raw", [&[2u8][..], &template().meta].concat()));
    out.push((
        "meta-built",
        [&[3u8][..], &template().meta[16..48]].concat(),
    ));
    out
}

fn checkpoint_seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, t) in checkpoint::templates().iter().enumerate() {
        if t.len() <= 32 * 1024 {
            out.push((format!("raw-template-{i}"), [&[0u8][..], t].concat()));
        }
        out.push((format!("resealed-template-{i}"), vec![1, i as u8]));
        // Patch byte 40 of page 1 (inside the first entries), checksums recomputed.
        out.push((
            format!("patched-template-{i}"),
            vec![1, i as u8, 1, 40, 0, 2, b'z', b'z'],
        ));
        out.push((format!("cut-template-{i}"), vec![3, i as u8, 3]));
    }
    // Page 1 of the deep template replaced by a leaf of two entries.
    let mut leaf = vec![2u8, 2, 1, 1, 2, 0];
    leaf.extend_from_slice(&[1, 0, 1, 0, b'a', b'1', 1, 0, 1, 0, b'b', b'2']);
    out.push(("leaf-page".into(), leaf));
    // Page 1 replaced by a branch whose two children are both page 2.
    let mut branch = vec![2u8, 2, 1, 2, 1, 0];
    branch.extend_from_slice(&2u64.to_le_bytes());
    branch.extend_from_slice(&0u32.to_le_bytes());
    branch.extend_from_slice(&[1, 0, b'm']);
    branch.extend_from_slice(&2u64.to_le_bytes());
    branch.extend_from_slice(&0u32.to_le_bytes());
    out.push(("branch-shared-child".into(), branch));
    out
}

/// A checkpoint file (mode 0 input) whose tree is a chain of `levels` branch pages, each of which
/// names the next page as every one of its 251 children, above one leaf (`leaf_entries` entries).
/// Every checksum is valid; a scan visits the leaf 251^levels times.
fn shared_pages_file(levels: u64, leaf_entries: u16) -> Vec<u8> {
    const PAGE: usize = checkpoint::PAGE;
    let pages = levels as usize + 2;
    let mut f = vec![0u8; pages * PAGE];
    let slot = &mut f[..512];
    slot[0..8].copy_from_slice(b"SHLGCKP\0");
    slot[8..12].copy_from_slice(&1u32.to_le_bytes());
    slot[12..16].copy_from_slice(&(PAGE as u32).to_le_bytes());
    slot[16..24].copy_from_slice(&2u64.to_le_bytes()); // txn
    slot[24..32].copy_from_slice(&1u64.to_le_bytes()); // root page
    slot[36..40].copy_from_slice(&(levels as u32 + 1).to_le_bytes()); // height
    slot[40..48].copy_from_slice(&(pages as u64).to_le_bytes()); // page count
    slot[72..80].copy_from_slice(&u64::from(leaf_entries).to_le_bytes()); // entries
    for p in 1..pages {
        let page = &mut f[p * PAGE..(p + 1) * PAGE];
        let mut body = Vec::new();
        let (kind, count) = if p <= levels as usize {
            let child = (p as u64 + 1).to_le_bytes();
            body.extend_from_slice(&child);
            body.extend_from_slice(&[0; 4]);
            for key in 1..=250u8 {
                body.extend_from_slice(&[1, 0, key]);
                body.extend_from_slice(&child);
                body.extend_from_slice(&[0; 4]);
            }
            (2u8, 250u16)
        } else {
            for key in 0..leaf_entries {
                body.extend_from_slice(&[2, 0, 0, 0]);
                body.extend_from_slice(&key.to_be_bytes());
            }
            (1u8, leaf_entries)
        };
        page[4] = kind;
        page[6..8].copy_from_slice(&count.to_le_bytes());
        page[8..16].copy_from_slice(&(p as u64).to_le_bytes());
        page[16..24].copy_from_slice(&2u64.to_le_bytes());
        page[24..28].copy_from_slice(&(body.len() as u32).to_le_bytes());
        page[32..32 + body.len()].copy_from_slice(&body);
    }
    checkpoint::reseal(&mut f);
    [&[0u8][..], &f].concat()
}

/// Inputs that reproduce bugs fixed in this change (see `fuzz/README.md`), written to
/// `regressions/<target>/`.
fn regressions() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    vec![
        (
            "checkpoint_open",
            "b7-shared-pages-scan-repeats-keys",
            shared_pages_file(5, 3),
        ),
        (
            "checkpoint_open",
            "b7-shared-pages-scan-never-ends",
            shared_pages_file(5, 0),
        ),
    ]
}

/// Appends one store operation: op, stream, arguments.
fn op(s: &mut Script, op: u8, stream: u8, args: &[u8]) {
    s.byte(op).byte(stream).raw(args);
}

/// Appends a put of `n` records with keys `k0..` and `len`-byte data.
fn put(s: &mut Script, stream: u8, n: u8, len: u8) {
    s.byte(2).byte(stream).byte(n - 1);
    for i in 0..n {
        s.byte(i.wrapping_mul(37)).byte(len);
    }
}

fn store_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let mut s = Script::default();
    op(&mut s, 0, 0, &[1]);
    put(&mut s, 0, 8, 40);
    op(&mut s, 5, 0, &[0]);
    op(&mut s, 11, 0, &[0]);
    op(&mut s, 5, 0, &[1]);
    out.push(("put-read-reopen", s.bytes.clone()));

    let mut s = Script::default();
    op(&mut s, 0, 1, &[3]);
    put(&mut s, 1, 8, 63);
    op(&mut s, 6, 1, &[0, 0x00, 0x80]);
    put(&mut s, 1, 8, 63);
    op(&mut s, 7, 1, &[0]);
    put(&mut s, 1, 5, 10);
    op(&mut s, 12, 1, &[7, 0x80 | 5]);
    op(&mut s, 5, 1, &[2]);
    put(&mut s, 1, 8, 30);
    op(&mut s, 11, 1, &[0]);
    op(&mut s, 5, 1, &[0x80]);
    out.push(("split-merge-crash", s.bytes.clone()));

    let mut s = Script::default();
    op(&mut s, 0, 0, &[0]);
    put(&mut s, 0, 4, 20);
    op(&mut s, 13, 0, &[3]);
    for _ in 0..4 {
        put(&mut s, 0, 8, 50);
    }
    op(&mut s, 11, 0, &[3]);
    put(&mut s, 0, 2, 5);
    out.push(("armed-power-cut", s.bytes.clone()));

    let mut s = Script::default();
    op(&mut s, 0, 2, &[1]);
    for _ in 0..6 {
        put(&mut s, 2, 8, 63);
    }
    op(&mut s, 9, 0, &[30]);
    put(&mut s, 2, 3, 8);
    op(&mut s, 8, 2, &[3]);
    op(&mut s, 10, 0, &[]);
    op(&mut s, 11, 0, &[0]);
    op(&mut s, 1, 2, &[]);
    op(&mut s, 0, 2, &[0]);
    put(&mut s, 2, 2, 2);
    out.push(("retention-scale-delete", s.bytes.clone()));
    out
}

fn write(dir: &Path, seeds: &[(&str, Vec<u8>)], check: fn(&[u8], bool)) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, bytes) in seeds {
        check(bytes, true);
        std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    }
}

#[test]
#[ignore = "writes files; run on demand"]
fn write_seed_corpus() {
    let root = shardlog_fuzz::fuzz_dir().join("corpus");
    write(
        &root.join("frame_decode"),
        &frame_seeds(),
        frame::check_with,
    );
    write(
        &root.join("segment_recovery"),
        &recovery_seeds(),
        recovery::check_with,
    );
    write(
        &root.join("index_decode"),
        &index_seeds(),
        index::check_with,
    );
    let named: Vec<(&str, Vec<u8>)> = checkpoint_seeds()
        .iter()
        .map(|(n, b)| (&*n.clone().leak(), b.clone()))
        .collect();
    write(
        &root.join("checkpoint_open"),
        &named,
        checkpoint::check_with,
    );
    write(&root.join("store_model"), &store_seeds(), store::check_with);
}

#[test]
#[ignore = "writes files; run on demand"]
fn write_regressions() {
    let root = shardlog_fuzz::fuzz_dir().join("regressions");
    for (target, name, bytes) in regressions() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
#[ignore = "writes files; run on demand"]
fn write_request_seeds() {
    let dir = shardlog_fuzz::fuzz_dir()
        .join("corpus")
        .join("request_parse");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in shardlog_fuzz::request::seeds() {
        shardlog_fuzz::request::check_with(&bytes, true);
        std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    }
}

#[test]
fn seeds_pass_their_checks() {
    for (_, bytes) in shardlog_fuzz::request::seeds() {
        shardlog_fuzz::request::check_with(&bytes, true);
    }
    for (_, bytes) in frame_seeds() {
        frame::check_with(&bytes, true);
    }
    for (_, bytes) in recovery_seeds() {
        recovery::check_with(&bytes, true);
    }
    for (_, bytes) in index_seeds() {
        index::check_with(&bytes, true);
    }
    for (_, bytes) in checkpoint_seeds() {
        checkpoint::check_with(&bytes, true);
    }
    for (_, bytes) in store_seeds() {
        store::check_with(&bytes, true);
    }
}

/// Named seed inputs of one target.
type Seeds = Vec<(String, Vec<u8>)>;

/// The HTTP-edge targets and their hand-made seeds.
fn edge_seeds() -> Vec<(&'static str, Seeds, shardlog_fuzz::Check)> {
    use shardlog_fuzz::{eventstream, http, lease, sigv4};
    vec![
        ("http_request", http::seeds(), http::check_with),
        ("sigv4_parse", sigv4::seeds(), sigv4::check_with),
        (
            "eventstream_frame",
            eventstream::seeds(),
            eventstream::check_with,
        ),
        ("lease_protocol", lease::seeds(), lease::check_with),
    ]
}

#[test]
#[ignore = "writes files; run on demand"]
fn write_edge_seeds() {
    let root = shardlog_fuzz::fuzz_dir().join("corpus");
    // Not checked here: the replay test runs them (and names the ones that fail).
    for (target, seeds, _) in edge_seeds() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in seeds {
            std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
        }
    }
}

#[test]
fn edge_seeds_pass_their_checks() {
    for (_, seeds, check) in edge_seeds() {
        for (_, bytes) in seeds {
            check(&bytes, false);
        }
    }
}

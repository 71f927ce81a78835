//! A tree node as a page: the encoding of [`Node`]s into checksummed 4 KiB pages and back.
//!
//! The byte layout is `format.rs`'s (and `docs/format.md`'s); this module only walks a node's
//! entries through it. Decoding is total: any bytes give a node or `Err(reason)`, never a panic.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use crate::format::{
    body, seal, BodyReader, BodyWriter, PageHeader, KIND_BRANCH, KIND_FREE, KIND_LEAF, MAX_KEY_LEN,
    MAX_VALUE_LEN, PAGE_BODY, PAGE_HEADER, PAGE_SIZE,
};
use crate::node::{Branch, Bytes, Child, Leaf, Node};

/// Encodes `node` as page `page`, written by transaction `txn`. All children must be committed
/// pages. Returns the page and its checksum.
pub(crate) fn encode_node(node: &Node, page: u64, txn: u64) -> Result<(Vec<u8>, u32), String> {
    let mut buf = vec![0u8; PAGE_SIZE];
    let body = buf.get_mut(PAGE_HEADER..).ok_or("short page")?;
    let mut w = BodyWriter { buf: body, pos: 0 };
    let (kind, count) = match node {
        Node::Leaf(leaf) => {
            for (k, v) in &leaf.entries {
                w.u16(k.len())?;
                w.u16(v.len())?;
                w.bytes(k)?;
                w.bytes(v)?;
            }
            (KIND_LEAF, leaf.entries.len())
        }
        Node::Branch(b) => {
            let mut children = b.children.iter().map(|c| match c {
                Child::Page(r) => Ok(*r),
                Child::Dirty(_) => Err("branch with an unwritten child".to_string()),
            });
            let first = children.next().ok_or("branch without children")??;
            w.page_ref(first)?;
            for (k, c) in b.keys.iter().zip(children) {
                w.u16(k.len())?;
                w.bytes(k)?;
                w.page_ref(c?)?;
            }
            (KIND_BRANCH, b.keys.len())
        }
    };
    let used = w.pos;
    if used != node.size() {
        return Err(format!(
            "node size {} but {used} bytes encoded",
            node.size()
        ));
    }
    let count = u16::try_from(count).map_err(|_| format!("{count} entries"))?;
    let crc = seal(&mut buf, kind, count, page, txn, used);
    Ok((buf, crc))
}

/// Decodes a checked tree page into a node whose children are page references.
pub(crate) fn decode_node(buf: &[u8], h: &PageHeader) -> Result<Node, String> {
    let mut r = BodyReader {
        buf: body(buf, h),
        pos: 0,
    };
    let node = match h.kind {
        KIND_LEAF => {
            let mut entries: Vec<(Bytes, Bytes)> = Vec::with_capacity(h.count.min(PAGE_BODY));
            for _ in 0..h.count {
                let klen = r.u16()?;
                let vlen = r.u16()?;
                if klen == 0 || klen > MAX_KEY_LEN || vlen > MAX_VALUE_LEN {
                    return Err(format!("entry of key {klen} and value {vlen} bytes"));
                }
                let k = r.bytes(klen)?;
                let v = r.bytes(vlen)?;
                if entries.last().is_some_and(|(prev, _)| **prev >= *k) {
                    return Err("leaf keys out of order".into());
                }
                entries.push((Bytes::from(k), Bytes::from(v)));
            }
            Node::Leaf(Leaf::from_entries(entries))
        }
        KIND_BRANCH => {
            let mut keys: Vec<Bytes> = Vec::with_capacity(h.count.min(PAGE_BODY));
            let mut children = vec![Child::Page(r.page_ref(h.txn)?)];
            for _ in 0..h.count {
                let k = r.key()?;
                if keys.last().is_some_and(|prev| **prev >= *k) {
                    return Err("branch keys out of order".into());
                }
                keys.push(Bytes::from(k));
                children.push(Child::Page(r.page_ref(h.txn)?));
            }
            Node::Branch(Branch::new(keys, children))
        }
        KIND_FREE => return Err("free-list page where a tree page was expected".into()),
        other => return Err(format!("unknown page kind {other}")),
    };
    if r.pos != h.used {
        return Err(format!(
            "body holds {} bytes but the header says {}",
            r.pos, h.used
        ));
    }
    debug_assert_eq!(node.size(), h.used);
    Ok(node)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::format::{check_page, decode_free, encode_free};

    #[test]
    fn page_round_trip_binds_the_page_number() {
        let leaf = Node::Leaf(Leaf::from_entries(vec![(b"a"[..].into(), b"1"[..].into())]));
        let (buf, crc) = encode_node(&leaf, 4, 2).unwrap();
        let h = check_page(&buf, 4).unwrap();
        assert_eq!(h.crc, crc);
        assert!(matches!(decode_node(&buf, &h).unwrap(), Node::Leaf(l) if l.entries.len() == 1));
        assert!(check_page(&buf, 5).is_err());
        let (free, _) = encode_free(&[7, 8], None, 6, 2).unwrap();
        let h = check_page(&free, 6).unwrap();
        assert_eq!(decode_free(&free, &h).unwrap(), (vec![7, 8], None));
        assert!(decode_node(&free, &h).is_err());
    }

    #[test]
    fn decoding_garbage_never_panics() {
        let mut rng = shardlog_storage::SplitMix64::new(1);
        for _ in 0..2000 {
            let buf: Vec<u8> = (0..PAGE_SIZE).map(|_| rng.next_u64() as u8).collect();
            for kind in [KIND_LEAF, KIND_BRANCH, KIND_FREE, 9] {
                let h = PageHeader {
                    kind,
                    count: rng.below(600) as usize,
                    txn: 1,
                    used: rng.below(PAGE_BODY as u64 + 1) as usize,
                    crc: 0,
                };
                let _ = decode_node(&buf, &h);
            }
        }
    }
}

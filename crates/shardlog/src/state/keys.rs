//! Tuple keys: byte strings that sort the way their parts do, part by part.
//!
//! A text part is its bytes with `00` escaped as `00 FF`, then the terminator `00 01`; so no part
//! is a prefix of a longer one's encoding, and the encodings sort as the tuples do. A number is
//! 8 big-endian bytes. The format is in `docs/format.md` ("Lease records").

/// Appends one text part.
pub(crate) fn push_part(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 1]);
}

/// Reads `n` text parts from the front of `key`; the parts and the bytes after them.
pub(crate) fn parse_parts(mut rest: &[u8], n: usize) -> Option<(Vec<String>, &[u8])> {
    let mut parts = Vec::with_capacity(n);
    for _ in 0..n {
        let mut part = Vec::new();
        loop {
            let (&b, tail) = rest.split_first()?;
            rest = tail;
            if b != 0 {
                part.push(b);
                continue;
            }
            let (&esc, tail) = rest.split_first()?;
            rest = tail;
            match esc {
                0xFF => part.push(0),
                1 => break,
                _ => return None,
            }
        }
        parts.push(String::from_utf8(part).ok()?);
    }
    Some((parts, rest))
}

/// Big-endian bytes of `v`, so that keys sort by number.
pub(crate) fn u64_ordered(v: u64) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (i, b) in out.iter_mut().enumerate() {
        *b = (v >> (56 - 8 * i)) as u8;
    }
    out
}

/// The number [`u64_ordered`] wrote.
pub(crate) fn u64_from_ordered(b: [u8; 8]) -> u64 {
    b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

/// The exclusive end of the key range of everything that starts with `prefix`: a tuple prefix
/// ends with the terminator `00 01`, so bumping its last byte passes every longer key.
pub(crate) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    if let Some(last) = end.last_mut() {
        *last = last.saturating_add(1);
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_and_keep_tuple_order() {
        let names = ["", "a", "a\0", "a\0b", "ab", "b", "\0", "\u{ff}"];
        let mut encoded = Vec::new();
        for a in names {
            for b in names {
                let mut k = Vec::new();
                push_part(&mut k, a);
                push_part(&mut k, b);
                k.extend_from_slice(&u64_ordered(7));
                let (parts, rest) = parse_parts(&k, 2).unwrap_or_default();
                assert_eq!(
                    (parts, rest),
                    (
                        vec![a.to_string(), b.to_string()],
                        &[0, 0, 0, 0, 0, 0, 0, 7][..]
                    )
                );
                encoded.push(((a.as_bytes(), b.as_bytes()), k));
            }
        }
        let mut by_key = encoded.clone();
        by_key.sort_by(|x, y| x.1.cmp(&y.1));
        encoded.sort();
        assert_eq!(by_key, encoded);
        let mut a = Vec::new();
        push_part(&mut a, "a");
        let mut ab = a.clone();
        push_part(&mut ab, "b");
        assert!(a.as_slice() < ab.as_slice() && ab < prefix_end(&a));
        assert_eq!(
            u64_from_ordered(u64_ordered(0x0102_0304_0506_0708)),
            0x0102_0304_0506_0708
        );
        assert!(u64_ordered(255) < u64_ordered(256));
        assert_eq!(
            parse_parts(&[b'a', 0, 2], 1),
            None,
            "a bad escape is not a key"
        );
    }
}

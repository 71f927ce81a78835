//! The 128-bit hash-key space: routing partition keys and splitting ranges.

use crate::error::{Error, Result};
use md5::{Digest, Md5};

/// The largest hash key, 2^128 - 1.
pub const MAX_HASH_KEY: u128 = u128::MAX;

/// The hash key of a partition key: MD5 of its UTF-8 bytes read as a big-endian 128-bit integer.
///
/// ```
/// use shardlog::hash_key;
/// // MD5("") = d41d8cd98f00b204e9800998ecf8427e
/// assert_eq!(hash_key(""), 0xd41d8cd98f00b204e9800998ecf8427e);
/// ```
pub fn hash_key(partition_key: &str) -> u128 {
    let digest: [u8; 16] = Md5::digest(partition_key.as_bytes()).into();
    #[expect(
        clippy::big_endian_bytes,
        reason = "Kinesis reads the MD5 digest as a big-endian integer"
    )]
    u128::from_be_bytes(digest)
}

/// Parses an explicit hash key (a decimal integer in `[0, 2^128 - 1]`).
pub(crate) fn parse_explicit(value: &str) -> Result<u128> {
    parse_decimal(value).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {value}"
        ))
    })
}

/// A decimal integer of ASCII digits that fits in a `u128`, as `str::parse` reads it (leading zeros
/// allowed; no sign). It takes 19 digits at a time in a `u64` and combines the chunks with
/// at most two checked 128-bit multiplications: a 39-digit key parsed digit by digit in `u128` was a
/// quarter of the caller's time in a put of 500 records with explicit hash keys.
fn parse_decimal(value: &str) -> Option<u128> {
    const CHUNK: usize = 19; // 10^19 - 1 < 2^64
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut acc: u128 = 0;
    for chunk in value.as_bytes().chunks(CHUNK) {
        let part = chunk
            .iter()
            .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
        let scale = 10u128.pow(chunk.len() as u32);
        acc = acc.checked_mul(scale)?.checked_add(u128::from(part))?;
    }
    Some(acc)
}

/// The hash-key ranges of `n` shards splitting the space evenly, as Kinesis does: shard `i` covers
/// `[i*h, (i+1)*h - 1]` with `h = floor(2^128 / n)`, and the last shard ends at `2^128 - 1`.
pub(crate) fn even_ranges(n: u32) -> Vec<(u128, u128)> {
    let n = u128::from(n.max(1));
    if n == 1 {
        return vec![(0, MAX_HASH_KEY)];
    }
    // floor(2^128 / n) without overflowing: (2^128 - 1) / n, plus one when n divides 2^128.
    let mut h = MAX_HASH_KEY / n;
    if (MAX_HASH_KEY % n) + 1 == n {
        h += 1;
    }
    (0..n)
        .map(|i| {
            let start = i * h;
            let end = if i + 1 == n {
                MAX_HASH_KEY
            } else {
                (i + 1) * h - 1
            };
            (start, end)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_shards_match_aws() {
        let r = even_ranges(3);
        assert_eq!(r[0], (0, 113427455640312821154458202477256070484));
        assert_eq!(r[1].0, 113427455640312821154458202477256070485);
        assert_eq!(r[1].1, 226854911280625642308916404954512140969);
        assert_eq!(
            r[2],
            (226854911280625642308916404954512140970, MAX_HASH_KEY)
        );
    }

    #[test]
    fn powers_of_two_split_exactly() {
        let r = even_ranges(4);
        assert_eq!(r[1].0, 1u128 << 126);
        assert_eq!(r[3].1, MAX_HASH_KEY);
        assert_eq!(even_ranges(1), vec![(0, MAX_HASH_KEY)]);
    }

    #[test]
    fn explicit_keys() {
        assert_eq!(parse_explicit("0").unwrap(), 0);
        assert_eq!(
            parse_explicit("340282366920938463463374607431768211455").unwrap(),
            MAX_HASH_KEY
        );
        assert!(parse_explicit("340282366920938463463374607431768211456").is_err());
        assert!(parse_explicit("-1").is_err());
        assert!(parse_explicit("+1").is_err());
        assert!(parse_explicit("").is_err());
    }

    /// The chunked parser agrees with `str::parse` on every length around the chunk edges (19 and
    /// 38 digits), on leading zeros, and on both sides of 2^128.
    #[test]
    fn chunked_parse_agrees_with_std() {
        let max = MAX_HASH_KEY.to_string();
        let mut inputs = vec![
            max.clone(),
            "340282366920938463463374607431768211456".to_string(),
            "999999999999999999999999999999999999999".to_string(),
            format!("{}{max}", "0".repeat(45)),
            "0".repeat(80),
        ];
        let mut x: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834;
        for len in 1..=41 {
            for _ in 0..50 {
                x = x.wrapping_mul(0x2545_f491_4f6c_dd1d).wrapping_add(0x9e37);
                let digits: String = x.to_string().chars().cycle().take(len).collect();
                inputs.push(digits);
            }
        }
        for input in inputs {
            assert_eq!(parse_decimal(&input), input.parse::<u128>().ok(), "{input}");
        }
    }
}

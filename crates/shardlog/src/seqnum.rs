//! Sequence numbers: unique per stream, increasing per shard, larger in children than in parents.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// A record's sequence number.
///
/// Layout of the 128-bit value, high to low: stream incarnation (32 bits), shard index (32 bits),
/// per-shard position (64 bits): the shard log's counter plus one, so that position 0, a shard's
/// starting sequence number, lies strictly below every record of the shard, as on AWS. The
/// incarnation is unique per stream creation in a store, so numbers of a deleted and re-created
/// stream never collide; shard indexes are never reused and children get higher indexes than their
/// parents, so a partition key's numbers keep rising across a reshard.
///
/// Written as AWS writes them, 56 decimal digits: `49`, then the value zero-padded to 54 digits,
/// so text order is number order. Parsing also takes the plain decimal form of earlier versions
/// (at most 39 digits, no leading zero), which stored checkpoints may hold.
///
/// ```
/// use shardlog::SequenceNumber;
/// let s = SequenceNumber::new(1, 1, 1);
/// assert_eq!(s.to_string(), "49000000000000000000000000079228162532711081667253501954");
/// assert_eq!(s.to_string().len(), 56);
/// assert_eq!(s.to_string().parse::<SequenceNumber>()?, s);
/// assert_eq!("79228162532711081667253501954".parse::<SequenceNumber>()?, s); // the earlier form
/// assert!(SequenceNumber::before(1, 1, 0) < s);
/// # Ok::<(), shardlog::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SequenceNumber(u128);

impl SequenceNumber {
    /// The number of the record with `counter` in shard `shard_index` of stream `incarnation`.
    pub fn new(incarnation: u32, shard_index: u32, counter: u64) -> Self {
        // Shard logs keep counters below 2^62, so the position never wraps into the next shard.
        assert!(counter < u64::MAX, "counter {counter} has no position");
        Self::at(incarnation, shard_index, counter + 1)
    }

    /// The number just below the record with `counter`, above every earlier record: for counter
    /// 0 the shard's starting sequence number; resuming after it starts at `counter`.
    ///
    /// ```
    /// use shardlog::SequenceNumber;
    /// let start = SequenceNumber::before(1, 0, 0);
    /// assert_eq!(start.next_counter(), 0);
    /// assert_eq!(SequenceNumber::before(1, 0, 5), SequenceNumber::new(1, 0, 4));
    /// ```
    pub fn before(incarnation: u32, shard_index: u32, counter: u64) -> Self {
        Self::at(incarnation, shard_index, counter)
    }

    fn at(incarnation: u32, shard_index: u32, position: u64) -> Self {
        SequenceNumber(
            (u128::from(incarnation) << 96)
                | (u128::from(shard_index) << 64)
                | u128::from(position),
        )
    }
    /// The stream incarnation the number belongs to.
    pub fn incarnation(self) -> u32 {
        (self.0 >> 96) as u32
    }
    /// The index of the shard that assigned it.
    pub fn shard_index(self) -> u32 {
        (self.0 >> 64) as u32
    }
    /// The counter (the storage layer's sequence number) of the record this number names, or for
    /// a number between records (a shard's starting number), of the first record after it.
    pub fn counter(self) -> u64 {
        self.position().saturating_sub(1)
    }

    /// The counter of the first record after this number: where `AFTER_SEQUENCE_NUMBER` starts.
    pub fn next_counter(self) -> u64 {
        self.position()
    }

    fn position(self) -> u64 {
        self.0 as u64
    }
    /// The raw 128-bit value.
    pub fn as_u128(self) -> u128 {
        self.0
    }

    /// The wire form in a stack buffer: `49` and the value in 54 zero-padded decimal digits. An
    /// answer of thousands of records writes one number per record, so this avoids both a
    /// `String` and the formatter's digit-by-digit padding.
    ///
    /// ```
    /// # use shardlog::SequenceNumber;
    /// let n = SequenceNumber::new(1, 2, 3);
    /// assert_eq!(std::str::from_utf8(&n.wire_digits()).unwrap(), n.to_string());
    /// ```
    pub fn wire_digits(self) -> [u8; WIRE_DIGITS] {
        const CHUNK: u64 = 10_000_000_000_000_000_000; // 10^19: the most digits a u64 holds
        let mut out = [b'0'; WIRE_DIGITS];
        out[..WIRE_PREFIX.len()].copy_from_slice(WIRE_PREFIX.as_bytes());
        // u128::MAX has 39 digits: chunks of 19, 19 and 1. A u128 division is a library call (a
        // GetRecords answer formats 10,000 numbers), so there is one, and u64 ones after it.
        let high = self.0 / u128::from(CHUNK);
        let low = (self.0 - high * u128::from(CHUNK)) as u64;
        let (top, mid) = match u64::try_from(high) {
            Ok(high) => (high / CHUNK, high % CHUNK),
            Err(_) => (
                (high / u128::from(CHUNK)) as u64,
                (high % u128::from(CHUNK)) as u64,
            ),
        };
        let (head, tail) = out.split_at_mut(WIRE_DIGITS - 19);
        write_padded(tail, low);
        let (head, middle) = head.split_at_mut(head.len() - 19);
        write_padded(middle, mid);
        write_padded(&mut head[WIRE_PREFIX.len()..], top);
        out
    }
}

/// Two-digit decimal strings, `00` to `99`, one after the other.
const DIGIT_PAIRS: [u8; 200] = {
    let mut pairs = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        pairs[2 * i] = b'0' + (i / 10) as u8;
        pairs[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    pairs
};

/// Writes `v` in decimal into the whole of `out`, zero-padded on the left, two digits at a time.
fn write_padded(out: &mut [u8], mut v: u64) {
    let mut end = out.len();
    while end >= 2 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        out[end - 2..end].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
        end -= 2;
    }
    if end == 1 {
        out[0] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    debug_assert_eq!(v, 0, "the value does not fit");
}

/// The first digits of every sequence number on the wire, as AWS's begin.
const WIRE_PREFIX: &str = "49";
/// Digits of a sequence number on the wire.
const WIRE_DIGITS: usize = 56;

impl fmt::Display for SequenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.wire_digits();
        f.write_str(std::str::from_utf8(&digits).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for SequenceNumber {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let value = match s.strip_prefix(WIRE_PREFIX) {
            Some(padded) if digits && s.len() == WIRE_DIGITS => padded.parse::<u128>().ok(),
            // The earlier form: plain decimal, at most 39 digits, so it never looks like the above.
            _ if digits && (s == "0" || !s.starts_with('0')) && s.len() < WIRE_DIGITS => {
                s.parse::<u128>().ok()
            }
            _ => None,
        };
        value
            .map(SequenceNumber)
            .ok_or_else(|| Error::InvalidArgument(format!("Sequence number {s} is invalid.")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_shard_then_counter() {
        let parent = SequenceNumber::new(3, 0, u64::MAX >> 1);
        let child = SequenceNumber::new(3, 1, 0);
        assert!(child > parent);
        assert!(SequenceNumber::new(3, 0, 5) < SequenceNumber::new(3, 0, 6));
    }

    #[test]
    fn parse_rejects_non_canonical() {
        for bad in [
            "",
            "01",
            "-1",
            "1a",
            "999999999999999999999999999999999999999999",
        ] {
            assert!(bad.parse::<SequenceNumber>().is_err(), "{bad}");
        }
        let n = SequenceNumber::new(7, 9, 11);
        assert_eq!(n.to_string().parse::<SequenceNumber>().unwrap(), n);
        // 56 digits that are not ours: another prefix, or a value beyond 128 bits.
        let other = format!("50{}", &n.to_string()[2..]);
        assert!(other.parse::<SequenceNumber>().is_err(), "{other}");
        let huge = format!("49{}", "9".repeat(54));
        assert!(huge.parse::<SequenceNumber>().is_err());
    }

    /// The hand-made digits are `49` and the 54-digit zero-padded decimal of the value, at the
    /// edges of each 19-digit chunk and at both ends of the range.
    #[test]
    fn wire_digits_are_the_padded_decimal() {
        let chunk = 10u128.pow(19);
        let mut values = vec![0, 1, 9, 10, u64::MAX as u128, u128::MAX, u128::MAX - 1];
        for k in [chunk, chunk * chunk] {
            values.extend([k - 1, k, k + 1, k * 3 + 7]);
        }
        let mut x = 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C834u128;
        for _ in 0..1_000 {
            x = x.rotate_left(17) ^ x.wrapping_mul(0x2545_F491_4F6C_DD1D);
            values.push(x >> (x % 128));
        }
        for v in values {
            let n = SequenceNumber(v);
            assert_eq!(n.to_string(), format!("49{v:054}"), "{v}");
            assert_eq!(n.to_string().parse::<SequenceNumber>().unwrap(), n, "{v}");
        }
    }

    #[test]
    fn text_order_is_number_order() {
        let numbers = [
            SequenceNumber::before(1, 0, 0),
            SequenceNumber::new(1, 0, 0),
            SequenceNumber::new(1, 0, 9),
            SequenceNumber::new(1, 0, 10),
            SequenceNumber::new(1, 1, 0),
            SequenceNumber::new(u32::MAX, u32::MAX, 1 << 62),
        ];
        for pair in numbers.windows(2) {
            let (a, b) = (pair[0].to_string(), pair[1].to_string());
            assert!(pair[0] < pair[1] && a < b, "{a} {b}");
            assert_eq!((a.len(), b.len()), (56, 56));
        }
    }
}

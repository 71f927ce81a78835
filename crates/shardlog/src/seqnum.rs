//! Sequence numbers: unique per stream, increasing per shard, larger in children than in parents.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// A record's sequence number.
///
/// Layout of the 128-bit value, high to low: stream incarnation (32 bits), shard index (32 bits),
/// per-shard counter (64 bits). The incarnation is unique per stream creation in a store, so numbers
/// of a deleted and re-created stream never collide; shard indexes are never reused and children get
/// higher indexes than their parents, so a partition key's numbers keep rising across a reshard.
/// Rendered as a decimal string without leading zeros, as Kinesis does.
///
/// ```
/// use shardlog::SequenceNumber;
/// let s: SequenceNumber = "79228162532711081667253501953".parse().unwrap();
/// assert_eq!((s.incarnation(), s.shard_index(), s.counter()), (1, 1, 1));
/// assert_eq!(s.to_string(), "79228162532711081667253501953");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SequenceNumber(u128);

impl SequenceNumber {
    /// Builds a number from its parts.
    pub fn new(incarnation: u32, shard_index: u32, counter: u64) -> Self {
        SequenceNumber(
            (u128::from(incarnation) << 96) | (u128::from(shard_index) << 64) | u128::from(counter),
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
    /// The per-shard counter (the storage layer's sequence number).
    pub fn counter(self) -> u64 {
        self.0 as u64
    }
    /// The raw 128-bit value.
    pub fn as_u128(self) -> u128 {
        self.0
    }
}

impl fmt::Display for SequenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for SequenceNumber {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let canonical = s == "0"
            || (!s.starts_with('0') && !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
        canonical
            .then(|| s.parse::<u128>().ok())
            .flatten()
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
    }
}

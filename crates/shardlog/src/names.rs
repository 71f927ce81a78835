//! Names and identifiers: stream names, shard ids, partition keys.

use crate::error::{Error, Result};
use std::fmt;

/// The account id a store answers as unless [`StoreOptions::account_id`](crate::StoreOptions) says
/// otherwise: it appears in ARNs and in Kinesis-style messages.
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";
/// The region of ARNs unless [`StoreOptions::region`](crate::StoreOptions) or
/// [`Store::in_region`](crate::Store::in_region) says otherwise.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Checks a stream name: 1..=128 characters of `[a-zA-Z0-9_.-]` (so it can never leave the data
/// directory: no `/`, and `.`/`..` are rejected too).
///
/// ```
/// use shardlog::validate_stream_name;
/// assert!(validate_stream_name("clicks-2026.v1").is_ok());
/// assert!(validate_stream_name("../etc").is_err());
/// ```
pub fn validate_stream_name(name: &str) -> Result<()> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if name.is_empty() || name.len() > 128 || !ok_chars || name == "." || name == ".." {
        return Err(Error::Validation(format!(
            "1 validation error detected: Value '{name}' at 'streamName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 1 and 128"
        )));
    }
    Ok(())
}

/// Longest partition key, in Unicode characters.
pub const MAX_PARTITION_KEY_CHARS: usize = 256;

/// Checks a partition key: 1..=256 Unicode characters.
pub(crate) fn validate_partition_key(key: &str, path: impl Fn() -> String) -> Result<()> {
    // Fast path: at most 256 bytes is at most 256 characters.
    if !key.is_empty() && key.len() <= MAX_PARTITION_KEY_CHARS {
        return Ok(());
    }
    let chars = key.chars().count();
    if chars == 0 || chars > MAX_PARTITION_KEY_CHARS {
        let path = path();
        let bound = if chars == 0 {
            "greater than or equal to 1".to_string()
        } else {
            format!("less than or equal to {MAX_PARTITION_KEY_CHARS}")
        };
        return Err(Error::Validation(format!(
            "1 validation error detected: Value '{key}' at '{path}' failed to satisfy constraint: Member must have length {bound}"
        )));
    }
    Ok(())
}

/// A shard's id: `shardId-` followed by its 12-digit, zero-padded index.
///
/// Parsing is lenient like Kinesis: `shardId-000000000003`, `shard-3`, `abc-3` and `3` all name
/// shard 3.
///
/// ```
/// use shardlog::ShardId;
/// let id: ShardId = "shardId-000000000003".parse().unwrap();
/// assert_eq!(id, ShardId(3));
/// assert_eq!("7".parse::<ShardId>().unwrap().to_string(), "shardId-000000000007");
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct ShardId(pub u32);

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shardId-{:012}", self.0)
    }
}

impl std::str::FromStr for ShardId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let digits = s.rsplit_once('-').map_or(s, |(_, n)| n);
        let ok =
            !digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| digits.parse::<u64>().ok())
            .flatten()
            .filter(|n| *n <= i32::MAX as u64)
            .map(|n| ShardId(n as u32))
            .ok_or_else(|| Error::InvalidArgument(format!("Could not parse shard id {s}.")))
    }
}

/// The ARN of a stream in a region and account.
///
/// ```
/// assert_eq!(
///     shardlog::stream_arn("eu-west-1", "123456789012", "clicks"),
///     "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"
/// );
/// ```
pub fn stream_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:kinesis:{region}:{account}:stream/{name}")
}

/// Checks an account id: 12 digits, as AWS's are.
pub(crate) fn validate_account_id(id: &str) -> Result<()> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    Err(Error::InvalidArgument(format!(
        "account id {id:?} is not 12 digits"
    )))
}

/// Checks a region name: lowercase letters, digits and dashes, as in `us-east-1`.
pub(crate) fn validate_region(region: &str) -> Result<()> {
    let ok = (1..=32).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        return Ok(());
    }
    Err(Error::InvalidArgument(format!(
        "region {region:?} is not a region name"
    )))
}

pub(crate) fn stream_not_found(name: &str, account: &str) -> Error {
    Error::ResourceNotFound(format!("Stream {name} under account {account} not found."))
}

pub(crate) fn shard_not_found(shard: ShardId, stream: &str, account: &str) -> Error {
    Error::ResourceNotFound(format!(
        "Shard {shard} in stream {stream} under account {account} does not exist"
    ))
}

pub(crate) fn check_tag(key: &str, value: &str) -> Result<()> {
    let ok_char = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_./=+-%@:".contains(c);
    let key_ok = (1..=128).contains(&key.chars().count()) && !key.starts_with("aws:");
    let value_ok = value.chars().count() <= 256;
    if !key_ok || !value_ok || !key.chars().chain(value.chars()).all(ok_char) {
        return Err(Error::InvalidArgument(
            "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @.".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_stream_name(&"a".repeat(128)).is_ok());
        for bad in ["", "a/b", ".", "..", "sp ace", "ü", &"a".repeat(129)] {
            assert!(validate_stream_name(bad).is_err(), "{bad}");
        }
        assert!(validate_partition_key(&"é".repeat(256), || "partitionKey".into()).is_ok());
        assert!(validate_partition_key(&"é".repeat(257), || "partitionKey".into()).is_err());
        assert!(validate_partition_key("", || "partitionKey".into()).is_err());
    }

    #[test]
    fn shard_ids() {
        for (s, n) in [
            ("shardId-000000000000", 0),
            ("shard-12", 12),
            ("5", 5),
            ("abc-2147483647", i32::MAX as u32),
        ] {
            assert_eq!(s.parse::<ShardId>().unwrap(), ShardId(n));
        }
        for bad in ["", "shardId-", "x-2147483648", "shardId-1a"] {
            assert!(bad.parse::<ShardId>().is_err(), "{bad}");
        }
    }
}

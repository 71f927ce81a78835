//! Shard iterator tokens: opaque, tamper-evident, bound to a stream incarnation, expiring.
//!
//! ```text
//! base64( version u8 = 1 | incarnation u32 | shard u32 | counter u64 | created_ms u64 |
//!         name_len u8 | stream name | HMAC-SHA256(store key, all before)[..16] )
//! ```
//!
//! Standard base64 with padding, the alphabet of AWS's iterators. Tokens in the URL-safe alphabet
//! without padding (written before issue 15, valid for five minutes) are still read.

use crate::error::{Error, Result};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const VERSION: u8 = 1;
pub(crate) const MAC_LEN: usize = 16;
/// How long an iterator stays valid, as in Kinesis.
pub const ITERATOR_TTL_MS: u64 = 300_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub stream: String,
    pub incarnation: u32,
    pub shard: u32,
    pub counter: u64,
    pub created_ms: u64,
}

pub(crate) fn mac(key: &[u8], body: &[u8]) -> [u8; MAC_LEN] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| {
        // HMAC accepts keys of any length; this branch cannot run.
        <Hmac<Sha256> as Mac>::new_from_slice(&[0]).unwrap_or_else(|_| unreachable!())
    });
    m.update(body);
    let full = m.finalize().into_bytes();
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&full[..MAC_LEN]);
    out
}

impl Token {
    pub fn encode(&self, key: &[u8]) -> String {
        let mut b = Vec::with_capacity(32 + self.stream.len() + MAC_LEN);
        b.push(VERSION);
        b.extend_from_slice(&self.incarnation.to_le_bytes());
        b.extend_from_slice(&self.shard.to_le_bytes());
        b.extend_from_slice(&self.counter.to_le_bytes());
        b.extend_from_slice(&self.created_ms.to_le_bytes());
        b.push(self.stream.len() as u8);
        b.extend_from_slice(self.stream.as_bytes());
        let tag = mac(key, &b);
        b.extend_from_slice(&tag);
        STANDARD.encode(b)
    }

    pub fn decode(token: &str, key: &[u8]) -> Result<Token> {
        let invalid = || Error::InvalidArgument("Invalid ShardIterator.".into());
        if token.is_empty() || token.len() > 512 {
            return Err(invalid());
        }
        let b = STANDARD
            .decode(token)
            .or_else(|_| URL_SAFE_NO_PAD.decode(token))
            .map_err(|_| invalid())?;
        let split = b.len().checked_sub(MAC_LEN).ok_or_else(invalid)?;
        let (body, tag) = b.split_at(split);
        let expected = mac(key, body);
        // Compare without an early exit so the timing does not reveal a matching prefix.
        if expected
            .iter()
            .zip(tag)
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            != 0
        {
            return Err(invalid());
        }
        let fixed = body.get(..26).ok_or_else(invalid)?;
        if fixed[0] != VERSION {
            return Err(invalid());
        }
        let u32_at =
            |i: usize| u32::from_le_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
        let u64_at = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&fixed[i..i + 8]);
            u64::from_le_bytes(a)
        };
        let name_len = usize::from(fixed[25]);
        let name = body
            .get(26..26 + name_len)
            .filter(|n| 26 + n.len() == body.len())
            .ok_or_else(invalid)?;
        Ok(Token {
            stream: String::from_utf8(name.to_vec()).map_err(|_| invalid())?,
            incarnation: u32_at(1),
            shard: u32_at(5),
            counter: u64_at(9),
            created_ms: u64_at(17),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let t = Token {
            stream: "clicks".into(),
            incarnation: 3,
            shard: 7,
            counter: 99,
            created_ms: 123,
        };
        let s = t.encode(b"key");
        assert!(s.len() <= 512);
        assert_eq!(Token::decode(&s, b"key").unwrap(), t);
        assert!(Token::decode(&s, b"other key").is_err());
        let mut raw = STANDARD.decode(&s).unwrap();
        assert_eq!(
            Token::decode(&URL_SAFE_NO_PAD.encode(&raw), b"key").unwrap(),
            t
        );
        for i in 0..raw.len() {
            raw[i] ^= 1;
            assert!(
                Token::decode(&STANDARD.encode(&raw), b"key").is_err(),
                "byte {i}"
            );
            raw[i] ^= 1;
        }
        assert!(Token::decode("", b"key").is_err());
        assert!(Token::decode("!!!", b"key").is_err());
    }
}

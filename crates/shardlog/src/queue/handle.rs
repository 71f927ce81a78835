//! Receipt handles: opaque, tamper-evident names of one delivery of one record.
//!
//! ```text
//! base64url( version u8 = 1 | path u8 (0 queue, 1 dead letters) | queue incarnation u32 |
//!            shard u32 | counter u64 | delivery u32 |
//!            HMAC-SHA256(store key, "shardlog queue handle" ‖ all before)[..16] )
//! ```
//!
//! The queue incarnation is unique in the store (a deleted and re-created queue has another), and
//! the delivery number grows with every receive of the record, so a handle stops naming the
//! current delivery once the record was received again, acknowledged, dead-lettered or restored.

use crate::iterator::{mac, MAC_LEN};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

const VERSION: u8 = 1;
const BODY_LEN: usize = 1 + 1 + 4 + 4 + 8 + 4;
const DOMAIN: &[u8] = b"shardlog queue handle";

/// What a receipt handle names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Handle {
    pub dead: bool,
    pub incarnation: u32,
    pub shard: u32,
    pub counter: u64,
    pub delivery: u32,
}

fn tag(key: &[u8], body: &[u8]) -> [u8; MAC_LEN] {
    let mut msg = Vec::with_capacity(DOMAIN.len() + body.len());
    msg.extend_from_slice(DOMAIN);
    msg.extend_from_slice(body);
    mac(key, &msg)
}

impl Handle {
    pub fn encode(&self, key: &[u8]) -> String {
        let mut b = Vec::with_capacity(BODY_LEN + MAC_LEN);
        b.push(VERSION);
        b.push(u8::from(self.dead));
        b.extend_from_slice(&self.incarnation.to_le_bytes());
        b.extend_from_slice(&self.shard.to_le_bytes());
        b.extend_from_slice(&self.counter.to_le_bytes());
        b.extend_from_slice(&self.delivery.to_le_bytes());
        let t = tag(key, &b);
        b.extend_from_slice(&t);
        URL_SAFE_NO_PAD.encode(b)
    }

    /// The handle, if it is one this store wrote.
    pub fn decode(handle: &str, key: &[u8]) -> Option<Handle> {
        if handle.is_empty() || handle.len() > 1024 {
            return None;
        }
        let b = URL_SAFE_NO_PAD.decode(handle).ok()?;
        if b.len() != BODY_LEN + MAC_LEN {
            return None;
        }
        let (body, t) = b.split_at(BODY_LEN);
        let expected = tag(key, body);
        // No early exit: the timing does not reveal a matching prefix.
        if expected
            .iter()
            .zip(t)
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            != 0
        {
            return None;
        }
        if body.first() != Some(&VERSION) {
            return None;
        }
        let dead = match body.get(1)? {
            0 => false,
            1 => true,
            _ => return None,
        };
        Some(Handle {
            dead,
            incarnation: u32::from_le_bytes(body.get(2..6)?.try_into().ok()?),
            shard: u32::from_le_bytes(body.get(6..10)?.try_into().ok()?),
            counter: u64::from_le_bytes(body.get(10..18)?.try_into().ok()?),
            delivery: u32::from_le_bytes(body.get(18..22)?.try_into().ok()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_round_trip_and_every_flipped_bit_is_refused() {
        let h = Handle {
            dead: true,
            incarnation: 7,
            shard: 3,
            counter: 1 << 40,
            delivery: 5,
        };
        let s = h.encode(b"key");
        assert_eq!(Handle::decode(&s, b"key"), Some(h));
        assert_eq!(Handle::decode(&s, b"other key"), None);
        let raw = URL_SAFE_NO_PAD.decode(&s).unwrap_or_default();
        for i in 0..raw.len() * 8 {
            let mut bad = raw.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert_eq!(Handle::decode(&URL_SAFE_NO_PAD.encode(&bad), b"key"), None);
        }
        assert_eq!(Handle::decode("", b"key"), None);
        assert_eq!(Handle::decode("not base64!", b"key"), None);
    }
}

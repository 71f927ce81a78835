//! AWS event-stream framing (`application/vnd.amazon.eventstream`), as SubscribeToShard answers.
//!
//! ```text
//! | total_len u32 | headers_len u32 | crc32(prelude) u32 | headers | payload | crc32(all before) u32 |
//! header: | name_len u8 | name | type u8 = 7 (string) | value_len u16 | value |
//! ```
//! Integers are big-endian; both checksums are CRC-32 (IEEE).

// The format is big-endian by definition, unlike our own on-disk formats.
#![allow(clippy::big_endian_bytes)]

/// Header value type 7: a UTF-8 string with a 16-bit length.
const STRING: u8 = 7;

/// Encodes one message with string headers.
///
/// ```
/// let m = shardlog_server::eventstream::message(&[(":message-type", "event")], b"{}");
/// assert_eq!(u32::from_be_bytes(m[..4].try_into().unwrap()) as usize, m.len());
/// ```
pub fn message(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    for (name, value) in headers {
        // Header names are our own short constants and values short strings; clamp regardless so
        // the length fields can never wrap, at a character boundary so the text stays UTF-8.
        let name = clamp(name, u8::MAX.into()).as_bytes();
        let value = clamp(value, u16::MAX.into()).as_bytes();
        h.push(name.len() as u8);
        h.extend_from_slice(name);
        h.push(STRING);
        h.extend_from_slice(&(value.len() as u16).to_be_bytes());
        h.extend_from_slice(value);
    }
    let total = 12 + h.len() + payload.len() + 4;
    let mut m = Vec::with_capacity(total);
    m.extend_from_slice(&(total as u32).to_be_bytes());
    m.extend_from_slice(&(h.len() as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&m);
    m.extend_from_slice(&prelude_crc.to_be_bytes());
    m.extend_from_slice(&h);
    m.extend_from_slice(payload);
    let crc = crc32fast::hash(&m);
    m.extend_from_slice(&crc.to_be_bytes());
    m
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn clamp(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// An `event` message of the given type; `content_type` names the payload's encoding
/// (`application/json`, or `application/x-amz-cbor-1.1` for a CBOR request).
pub fn event(event_type: &str, content_type: &str, payload: &[u8]) -> Vec<u8> {
    message(
        &[
            (":message-type", "event"),
            (":event-type", event_type),
            (":content-type", content_type),
        ],
        payload,
    )
}

/// A modeled error (`:message-type` `exception`) ending the stream; the payload holds its
/// `message`, encoded as `content_type` says.
pub fn exception(kind: &str, content_type: &str, payload: &[u8]) -> Vec<u8> {
    message(
        &[
            (":message-type", "exception"),
            (":exception-type", kind),
            (":content-type", content_type),
        ],
        payload,
    )
}

/// A decoded message: its string headers (in order), its payload, and its length in the buffer.
pub type Decoded<'a> = (Vec<(String, String)>, &'a [u8], usize);

/// Decodes one message from the front of `buf`: its string headers, payload and length. For tests
/// and clients; checks both checksums.
///
/// ```
/// use shardlog_server::eventstream::{decode, event};
/// let m = event("initial-response", "application/json", b"{}");
/// let (headers, payload, used) = decode(&m).unwrap();
/// assert_eq!((headers[1].1.as_str(), payload, used), ("initial-response", &b"{}"[..], m.len()));
/// ```
pub fn decode(buf: &[u8]) -> Option<Decoded<'_>> {
    let u32_at =
        |i: usize| -> Option<u32> { Some(u32::from_be_bytes(buf.get(i..i + 4)?.try_into().ok()?)) };
    let total = u32_at(0)? as usize;
    let headers_len = u32_at(4)? as usize;
    if total < 16 + headers_len || buf.len() < total || crc32fast::hash(buf.get(..8)?) != u32_at(8)?
    {
        return None;
    }
    if crc32fast::hash(&buf[..total - 4]) != u32_at(total - 4)? {
        return None;
    }
    let mut headers = Vec::new();
    let mut h = &buf[12..12 + headers_len];
    while let Some((&n, rest)) = h.split_first() {
        let name = rest.get(..usize::from(n))?;
        let rest = &rest[usize::from(n)..];
        let (&kind, rest) = rest.split_first()?;
        if kind != STRING {
            return None;
        }
        let len = usize::from(u16::from_be_bytes(rest.get(..2)?.try_into().ok()?));
        let value = rest.get(2..2 + len)?;
        headers.push((
            String::from_utf8_lossy(name).into_owned(),
            String::from_utf8_lossy(value).into_owned(),
        ));
        h = &rest[2 + len..];
    }
    Some((headers, &buf[12 + headers_len..total - 4], total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let m = event(
            "SubscribeToShardEvent",
            "application/json",
            br#"{"Records":[]}"#,
        );
        let (headers, payload, used) = decode(&m).unwrap();
        assert_eq!(used, m.len());
        assert_eq!(payload, br#"{"Records":[]}"#);
        assert_eq!(headers[0], (":message-type".into(), "event".into()));
        for i in 0..m.len() {
            let mut bad = m.clone();
            bad[i] ^= 0x01;
            assert!(decode(&bad).is_none(), "byte {i}");
        }
        assert!(decode(&m[..m.len() - 1]).is_none());
    }

    /// Found by fuzzing (`fuzz/regressions/eventstream_frame`): a clamp kept half a character.
    #[test]
    fn long_names_are_cut_at_a_character_boundary() {
        let name = "ü".repeat(200);
        let (headers, _, _) = decode(&message(&[(&name, "v")], b"")).unwrap();
        assert_eq!(headers[0].0, "ü".repeat(127));
    }
}

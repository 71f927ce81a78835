//! `eventstream_frame`: the AWS event-stream framing that SubscribeToShard answers in
//! (`shardlog_server::eventstream`), against a decoder written here from the AWS specification.
//!
//! The server's own decoder only knows string headers (the only kind it writes), so a second,
//! independent decoder that knows all ten header types is the reference: both must agree on
//! every input, and both must reject a damaged frame.
//!
//! Input: byte 0 picks the mode.
//! - Decode (mode % 4 == 0): the rest is a buffer of frames, decoded front to back by both decoders.
//! - Round trip (otherwise): string headers and a payload built from the input (names and values
//!   sometimes longer than the format allows, to reach the encoder's clamping) are encoded with
//!   `eventstream::message`, decoded back by both decoders, and damaged bit by bit.
//!
//! Checks: no panic; the server's decoder accepts a buffer exactly when the reference accepts it
//! and every header is a string, and then both read the same headers, payload and length; an
//! encoded frame is valid per the specification (both CRCs, UTF-8 header names and values) and
//! decodes to what was encoded (clamped as documented); any single-bit flip of it is rejected by
//! both decoders, and so is any truncation.

use crate::input::Input;
use shardlog_server::eventstream;

/// Prelude: total length, headers length, prelude CRC.
const PRELUDE_LEN: usize = 12;
/// Prelude plus the trailing message CRC: the smallest possible message.
const MIN_MESSAGE_LEN: usize = PRELUDE_LEN + 4;
/// Largest header name the one-byte length can carry.
pub const MAX_NAME_LEN: usize = u8::MAX as usize;
/// Largest string or byte-array value the two-byte length can carry.
pub const MAX_VALUE_LEN: usize = u16::MAX as usize;
/// Frames up to this size get every bit flipped; larger ones get [`SAMPLED_FLIPS`] flips.
const EXHAUSTIVE_FLIP_LEN: usize = 256;
/// Bit flips tried on a frame above [`EXHAUSTIVE_FLIP_LEN`] bytes.
const SAMPLED_FLIPS: usize = 64;

/// A header value, by the type byte that precedes it on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    /// Type 0 (true) or 1 (false): no value bytes.
    Bool(bool),
    /// Type 2: one byte.
    Byte(i8),
    /// Type 3: two bytes.
    Short(i16),
    /// Type 4: four bytes.
    Int(i32),
    /// Type 5: eight bytes.
    Long(i64),
    /// Type 6: two-byte length, then the bytes.
    Bytes(&'a [u8]),
    /// Type 7: two-byte length, then UTF-8 (kept raw here; see [`Message::is_utf8`]).
    String(&'a [u8]),
    /// Type 8: milliseconds since the epoch, eight bytes.
    Timestamp(i64),
    /// Type 9: sixteen bytes.
    Uuid(&'a [u8]),
}

/// One decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// Headers in wire order: raw name bytes and value.
    pub headers: Vec<(&'a [u8], Value<'a>)>,
    /// The payload.
    pub payload: &'a [u8],
    /// Bytes the message took from the front of the buffer.
    pub len: usize,
}

/// Why the reference decoder refused a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    /// Fewer bytes than the prelude or the total length says.
    Short,
    /// Total length too small for the prelude, headers and CRC.
    Lengths,
    /// The prelude CRC does not match.
    PreludeCrc,
    /// The message CRC does not match.
    MessageCrc,
    /// A header runs past the header block or has an unknown type.
    Header,
}

impl Message<'_> {
    /// True when every header name and string value is UTF-8, as the specification requires.
    pub fn is_utf8(&self) -> bool {
        self.headers.iter().all(|(name, value)| {
            std::str::from_utf8(name).is_ok()
                && !matches!(value, Value::String(s) if std::str::from_utf8(s).is_err())
        })
    }

    /// The headers as the server's decoder returns them, if they are all strings.
    fn as_strings(&self) -> Option<Vec<(String, String)>> {
        self.headers
            .iter()
            .map(|(name, value)| match value {
                Value::String(s) => Some((lossy(name), lossy(s))),
                _ => None,
            })
            .collect()
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn be_u32(buf: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(buf.get(at..at + 4)?.try_into().ok()?))
}

/// Decodes the message at the front of `buf` per the AWS event-stream specification.
pub fn decode_reference(buf: &[u8]) -> Result<Message<'_>, Reject> {
    let total = be_u32(buf, 0).ok_or(Reject::Short)? as usize;
    let headers_len = be_u32(buf, 4).ok_or(Reject::Short)? as usize;
    let prelude_crc = be_u32(buf, 8).ok_or(Reject::Short)?;
    if total < MIN_MESSAGE_LEN || total - MIN_MESSAGE_LEN < headers_len {
        return Err(Reject::Lengths);
    }
    let msg = buf.get(..total).ok_or(Reject::Short)?;
    if crc32fast::hash(&msg[..8]) != prelude_crc {
        return Err(Reject::PreludeCrc);
    }
    let body_end = total - 4;
    if be_u32(msg, body_end) != Some(crc32fast::hash(&msg[..body_end])) {
        return Err(Reject::MessageCrc);
    }
    let headers_end = PRELUDE_LEN + headers_len;
    Ok(Message {
        headers: headers(&msg[PRELUDE_LEN..headers_end])?,
        payload: &msg[headers_end..body_end],
        len: total,
    })
}

/// Parses a header block; it must be consumed exactly.
fn headers(mut block: &[u8]) -> Result<Vec<(&[u8], Value<'_>)>, Reject> {
    let mut out = Vec::new();
    while !block.is_empty() {
        let mut r = Cursor(block);
        let name_len = usize::from(r.take(1)?[0]);
        let name = r.take(name_len)?;
        let value = header_value(&mut r)?;
        out.push((name, value));
        block = r.0;
    }
    Ok(out)
}

/// A reader that fails with [`Reject::Header`] when the block runs out.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Reject> {
        if self.0.len() < n {
            return Err(Reject::Header);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Reject> {
        self.take(N)?.try_into().map_err(|_| Reject::Header)
    }

    /// A two-byte length, then that many bytes.
    fn sized(&mut self) -> Result<&'a [u8], Reject> {
        let n = u16::from_be_bytes(self.array()?);
        self.take(usize::from(n))
    }
}

fn header_value<'a>(r: &mut Cursor<'a>) -> Result<Value<'a>, Reject> {
    Ok(match r.take(1)?[0] {
        0 => Value::Bool(true),
        1 => Value::Bool(false),
        2 => Value::Byte(i8::from_be_bytes(r.array()?)),
        3 => Value::Short(i16::from_be_bytes(r.array()?)),
        4 => Value::Int(i32::from_be_bytes(r.array()?)),
        5 => Value::Long(i64::from_be_bytes(r.array()?)),
        6 => Value::Bytes(r.sized()?),
        7 => Value::String(r.sized()?),
        8 => Value::Timestamp(i64::from_be_bytes(r.array()?)),
        9 => Value::Uuid(r.take(16)?),
        _ => return Err(Reject::Header),
    })
}

/// Runs the `eventstream_frame` checks on one input.
pub fn check(data: &[u8]) {
    check_with(data, crate::strict());
}

/// Runs the `eventstream_frame` checks on one input; `strict`: fail on known open bugs too.
pub fn check_with(data: &[u8], strict: bool) {
    let _ = strict; // no known open bugs here
    let mut r = Input::new(data);
    if r.byte().is_multiple_of(4) {
        decode_all(r.rest());
    } else {
        round_trip(&mut r);
    }
}

/// Decodes a buffer message by message with both decoders, which must agree.
fn decode_all(mut buf: &[u8]) {
    while let Some(used) = agree(buf) {
        buf = &buf[used..];
    }
}

/// Decodes the front of `buf` with both decoders and checks they agree; the length used, if
/// both accepted.
fn agree(buf: &[u8]) -> Option<usize> {
    let ours = decode_reference(buf).ok();
    let theirs = eventstream::decode(buf);
    let expected = ours
        .as_ref()
        .and_then(|m| Some((m.as_strings()?, m.payload, m.len)));
    match (theirs, expected) {
        (None, None) => None,
        (Some(got), Some(want)) => {
            assert_eq!(got, want, "the decoders read the same message differently");
            Some(want.2)
        }
        (got, _) => panic!(
            "the server's decoder {} a {}-byte buffer the reference {}",
            if got.is_some() { "accepts" } else { "rejects" },
            buf.len(),
            match &ours {
                Some(m) => format!("accepts ({} headers, not all strings)", m.headers.len()),
                None => format!("rejects ({:?})", decode_reference(buf).err()),
            },
        ),
    }
}

/// Some text from the input: a length byte and that many bytes, as lossy UTF-8, repeated
/// `repeat` times (so a short input can still make a value longer than the format allows).
fn text(r: &mut Input<'_>, repeat: usize) -> String {
    let n = usize::from(r.byte() % 48);
    String::from_utf8_lossy(r.bytes(n)).repeat(repeat.max(1))
}

/// How often a piece is repeated: mostly once, sometimes enough to pass a length limit.
fn repeat_count(r: &mut Input<'_>) -> usize {
    match r.byte() {
        0..=239 => 1,
        b => usize::from(b - 239) * 1200,
    }
}

/// The longest prefix of `s` that is at most `max` bytes and ends on a character boundary.
pub fn clamp(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Encodes headers and a payload from the input, then decodes and damages the frame.
fn round_trip(r: &mut Input<'_>) {
    let count = usize::from(r.byte() % 8);
    let mut headers = Vec::with_capacity(count);
    for _ in 0..count {
        let name_repeat = repeat_count(r) / 100 + 1;
        let name = text(r, name_repeat);
        let value_repeat = repeat_count(r);
        let value = text(r, value_repeat);
        headers.push((name, value));
    }
    let payload_len = usize::from(r.u16());
    let payload = r.bytes(payload_len).to_vec();
    let borrowed: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let frame = eventstream::message(&borrowed, &payload);
    check_frame(&frame, &headers, &payload);
    check_damage(&frame, r);
    // Two frames back to back decode one after the other, each to its own length.
    let second = eventstream::message(&[(":message-type", "event")], &frame);
    let mut both = frame.clone();
    both.extend_from_slice(&second);
    assert_eq!(agree(&both), Some(frame.len()), "first of two frames");
    assert_eq!(
        agree(&both[frame.len()..]),
        Some(second.len()),
        "second of two frames"
    );
}

/// The frame is valid per the specification and carries exactly the clamped headers and payload.
fn check_frame(frame: &[u8], headers: &[(String, String)], payload: &[u8]) {
    let m = decode_reference(frame)
        .unwrap_or_else(|e| panic!("the encoder wrote a frame the reference rejects: {e:?}"));
    assert_eq!(m.len, frame.len(), "total length field");
    assert!(
        m.is_utf8(),
        "the encoder wrote a header name or value that is not UTF-8 (a clamp cut a character)"
    );
    let want: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| {
            (
                clamp(n, MAX_NAME_LEN).to_string(),
                clamp(v, MAX_VALUE_LEN).to_string(),
            )
        })
        .collect();
    assert_eq!(m.as_strings(), Some(want), "headers after a round trip");
    assert_eq!(m.payload, payload, "payload after a round trip");
    assert_eq!(agree(frame), Some(frame.len()), "the server's decoder");
}

/// Every single-bit flip (or a sample of them, on a large frame) and every truncation of a
/// valid frame is rejected by both decoders.
fn check_damage(frame: &[u8], r: &mut Input<'_>) {
    let bits = frame.len() * 8;
    let flips: Vec<usize> = if frame.len() <= EXHAUSTIVE_FLIP_LEN {
        (0..bits).collect()
    } else {
        (0..SAMPLED_FLIPS)
            .map(|i| (usize::from(r.u16()) * 97 + i * (bits / SAMPLED_FLIPS)) % bits)
            .collect()
    };
    let mut bad = frame.to_vec();
    for bit in flips {
        bad[bit / 8] ^= 1 << (bit % 8);
        assert!(
            decode_reference(&bad).is_err(),
            "reference accepts a flip of bit {bit}"
        );
        assert!(
            eventstream::decode(&bad).is_none(),
            "the server's decoder accepts a flip of bit {bit} of a {}-byte frame",
            frame.len()
        );
        bad[bit / 8] ^= 1 << (bit % 8);
    }
    let cut = usize::from(r.u16()) % frame.len();
    assert!(eventstream::decode(&frame[..cut]).is_none(), "cut at {cut}");
    assert!(decode_reference(&frame[..cut]).is_err(), "cut at {cut}");
}

/// Encodes a message with headers of any type, per the specification (for seeds and tests).
pub fn encode_reference(headers: &[(&[u8], Value<'_>)], payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    for (name, value) in headers {
        h.push(name.len() as u8);
        h.extend_from_slice(name);
        put_value(&mut h, value);
    }
    let total = MIN_MESSAGE_LEN + h.len() + payload.len();
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

fn put_value(h: &mut Vec<u8>, value: &Value<'_>) {
    let sized = |h: &mut Vec<u8>, tag: u8, b: &[u8]| {
        h.push(tag);
        h.extend_from_slice(&(b.len() as u16).to_be_bytes());
        h.extend_from_slice(b);
    };
    match value {
        Value::Bool(true) => h.push(0),
        Value::Bool(false) => h.push(1),
        Value::Byte(v) => h.extend_from_slice(&[2, v.to_be_bytes()[0]]),
        Value::Short(v) => h.extend([3].into_iter().chain(v.to_be_bytes())),
        Value::Int(v) => h.extend([4].into_iter().chain(v.to_be_bytes())),
        Value::Long(v) => h.extend([5].into_iter().chain(v.to_be_bytes())),
        Value::Bytes(b) => sized(h, 6, b),
        Value::String(s) => sized(h, 7, s),
        Value::Timestamp(v) => h.extend([8].into_iter().chain(v.to_be_bytes())),
        Value::Uuid(b) => {
            h.push(9);
            h.extend_from_slice(b);
        }
    }
}

/// Seed inputs: frames the server writes, frames with every header type, and round-trip programs.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let decode = |frame: Vec<u8>| [&[0u8][..], &frame].concat();
    out.push((
        "decode-initial-response".into(),
        decode(eventstream::event(
            "initial-response",
            "application/json",
            b"{}",
        )),
    ));
    out.push((
        "decode-exception".into(),
        decode(eventstream::exception(
            "ResourceNotFoundException",
            "application/json",
            br#"{"message":"gone"}"#,
        )),
    ));
    let uuid = [7u8; 16];
    let all_types = encode_reference(
        &[
            (b"t", Value::Bool(true)),
            (b"f", Value::Bool(false)),
            (b"b", Value::Byte(-3)),
            (b"s", Value::Short(300)),
            (b"i", Value::Int(-70_000)),
            (b"l", Value::Long(1 << 40)),
            (b"a", Value::Bytes(b"\x00\xff")),
            (b":message-type", Value::String(b"event")),
            (b"ts", Value::Timestamp(1_700_000_000_000)),
            (b"u", Value::Uuid(&uuid)),
        ],
        b"payload",
    );
    out.push(("decode-every-header-type".into(), decode(all_types)));
    let mut two = eventstream::event(
        "SubscribeToShardEvent",
        "application/json",
        br#"{"Records":[]}"#,
    );
    two.extend(eventstream::message(&[], b""));
    out.push(("decode-two-frames".into(), decode(two)));
    out.push(("round-trip-empty".into(), vec![1, 0, 0, 0]));
    let mut rt = vec![1, 3];
    for (name, value) in [
        (":message-type", "event"),
        (":event-type", "SubscribeToShardEvent"),
        (":content-type", "application/json"),
    ] {
        rt.extend([0, name.len() as u8]);
        rt.extend_from_slice(name.as_bytes());
        rt.extend([0, value.len() as u8]);
        rt.extend_from_slice(value.as_bytes());
    }
    rt.extend([2, 0, b'{', b'}']);
    out.push(("round-trip-event".into(), rt));
    let long = [
        &[1u8, 1, 0xf0, 46][..],
        "ü".repeat(23).as_bytes(),
        &[0xff, 4],
        "é€x".as_bytes(),
        &[0, 0],
    ]
    .concat();
    out.push(("round-trip-long-multibyte".into(), long));
    out
}

//! The scalar types and helpers of the typed shapes (`crate::shapes`): how a blob, a timestamp,
//! an integer and a bounded list look in each protocol, and the constraint checks that the
//! generated `Valid` implementations call.
//!
//! Each type has one serde implementation that asks the format whether it is human-readable:
//! JSON (and a decoded JSON value) is, CBOR is not. So a blob is base64 text in JSON and a byte
//! string in CBOR, and a CBOR request's data is never base64-encoded and decoded on its way to
//! the engine.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use bytestring::ByteString;
use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use shardlog::SequenceNumber;
use std::collections::BTreeMap;
use std::fmt;

/// A request structure that can say whether it meets the model's constraints. The fast check of
/// a decoded request; the message of a refusal comes from `crate::validate`, which walks the same
/// request and names every violation as AWS does.
pub(crate) trait Valid {
    fn valid(&self) -> bool;
}

/// About how many bytes a value takes encoded (JSON, the larger of the two protocols): the
/// encoder sizes its buffer with it, so a GetRecords answer of 10,000 records is written into one
/// allocation instead of a buffer that doubles (and copies, and faults in fresh pages) a dozen
/// times. An estimate: too small only costs a reallocation.
pub(crate) trait EncodedSize {
    fn encoded_size(&self) -> usize;
}

impl EncodedSize for String {
    fn encoded_size(&self) -> usize {
        self.len() + 2
    }
}

impl EncodedSize for Text {
    fn encoded_size(&self) -> usize {
        self.len() + 2
    }
}

impl EncodedSize for Seq {
    fn encoded_size(&self) -> usize {
        self.0.wire_digits().len() + 2
    }
}

impl EncodedSize for i64 {
    fn encoded_size(&self) -> usize {
        20
    }
}

impl EncodedSize for bool {
    fn encoded_size(&self) -> usize {
        5
    }
}

impl EncodedSize for Blob {
    fn encoded_size(&self) -> usize {
        self.0.len().div_ceil(3) * 4 + 2
    }
}

impl EncodedSize for Timestamp {
    fn encoded_size(&self) -> usize {
        20
    }
}

impl EncodedSize for () {
    fn encoded_size(&self) -> usize {
        0
    }
}

impl<T: EncodedSize> EncodedSize for Option<T> {
    fn encoded_size(&self) -> usize {
        self.as_ref().map_or(0, EncodedSize::encoded_size)
    }
}

impl<T: EncodedSize> EncodedSize for Vec<T> {
    fn encoded_size(&self) -> usize {
        2 + self.iter().map(|x| x.encoded_size() + 1).sum::<usize>()
    }
}

impl<T: EncodedSize> EncodedSize for BTreeMap<String, T> {
    fn encoded_size(&self) -> usize {
        2 + self
            .iter()
            .map(|(k, v)| k.encoded_size() + v.encoded_size() + 2)
            .sum::<usize>()
    }
}

/// The model's `blob`: base64 text in JSON, a byte string in CBOR. Shared bytes, so a record's
/// data goes from the segment into the answer with no copy in between.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Blob(pub Bytes);

/// A record's partition key in an answer: text sharing the record's bytes.
pub(crate) type Text = ByteString;

/// A record's sequence number in an answer: the wire digits are formatted on the stack while the
/// answer is written, not into a `String` per record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seq(pub SequenceNumber);

/// The model's `timestamp`, held as epoch milliseconds: epoch seconds (with a fraction) in JSON, a
/// tag-1 integer of milliseconds in CBOR, as the AWS SDKs for Java write and read it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Timestamp(pub u64);

/// A blob is serialized as bytes in both protocols: CBOR writes a byte string, and the JSON
/// encoder's formatter ([`AwsJson`]) writes bytes as base64 text straight into the answer, with no
/// intermediate string and no escape scan (base64 needs none). Only `Encoding::encode` writes JSON
/// answers, and it always uses that formatter.
impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

/// serde_json's compact formatter, except that a byte array is written as base64 text, as AWS
/// JSON 1.1 writes blobs.
pub(crate) struct AwsJson;

impl serde_json::ser::Formatter for AwsJson {
    fn write_byte_array<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        value: &[u8],
    ) -> std::io::Result<()> {
        let mut text = [0u8; 1024];
        w.write_all(b"\"")?;
        // 768 input bytes make exactly 1,024 base64 bytes without padding.
        for chunk in value.chunks(768) {
            let n = STANDARD
                .encode_slice(chunk, &mut text)
                .map_err(std::io::Error::other)?;
            w.write_all(&text[..n])?;
        }
        w.write_all(b"\"")
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            d.deserialize_str(BlobVisitor)
        } else {
            d.deserialize_any(BlobVisitor)
        }
    }
}

struct BlobVisitor;

impl<'de> Visitor<'de> for BlobVisitor {
    type Value = Blob;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a blob")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Blob, E> {
        STANDARD
            .decode(text)
            .map(|b| Blob(b.into()))
            .map_err(|e| E::custom(format!("'{text}' can not be converted to a Blob: {e}")))
    }

    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<Blob, E> {
        Ok(Blob(Bytes::copy_from_slice(b)))
    }

    fn visit_byte_buf<E: de::Error>(self, b: Vec<u8>) -> Result<Blob, E> {
        Ok(Blob(b.into()))
    }
}

impl Default for Seq {
    fn default() -> Self {
        Seq(SequenceNumber::new(0, 0, 0))
    }
}

impl Serialize for Seq {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let digits = self.0.wire_digits();
        s.serialize_str(std::str::from_utf8(&digits).map_err(serde::ser::Error::custom)?)
    }
}

impl<'de> Deserialize<'de> for Seq {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map(Seq).map_err(de::Error::custom)
    }
}

impl Timestamp {
    /// Epoch seconds with millisecond precision, as JSON carries timestamps.
    fn seconds(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_f64(self.seconds())
        } else {
            ciborium::tag::Required::<u64, 1>(self.0).serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TimestampVisitor)
    }
}

/// Reads epoch seconds (integer or fractional) or, in CBOR, a tag-1 value: integer milliseconds
/// or fractional seconds. The same rules and texts as `crate::validate::timestamp_ms`.
struct TimestampVisitor;

impl TimestampVisitor {
    fn seconds<E: de::Error>(secs: f64) -> Result<Timestamp, E> {
        if !secs.is_finite() || !(0.0..=1e13).contains(&secs) {
            return Err(E::custom(format!("Timestamp {secs} is out of range")));
        }
        Ok(Timestamp((secs * 1000.0).round() as u64))
    }
}

impl<'de> Visitor<'de> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("milliseconds since epoch")
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Timestamp, E> {
        Self::seconds(n as f64)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Timestamp, E> {
        Self::seconds(n as f64)
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Timestamp, E> {
        Self::seconds(f)
    }

    /// A CBOR tag (ciborium's `@@TAGGED@@` variant: the tag number, then the content).
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Timestamp, A::Error> {
        use de::VariantAccess as _;
        let (de::IgnoredAny, fields) = data.variant()?;
        fields.tuple_variant(2, TaggedTimestamp)
    }
}

struct TaggedTimestamp;

impl<'de> Visitor<'de> for TaggedTimestamp {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tagged timestamp")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Timestamp, A::Error> {
        use de::Error as _;
        let tag: u64 = seq
            .next_element()?
            .ok_or_else(|| A::Error::custom("Tag without a number"))?;
        let value: Number = seq
            .next_element()?
            .ok_or_else(|| A::Error::custom("Timestamp tag must wrap a number"))?;
        match (tag, value) {
            // Tag 1 with an integer: milliseconds.
            (1, Number::Int(ms)) => TimestampVisitor::seconds(ms as f64 / 1000.0),
            (_, Number::Int(n)) => TimestampVisitor::seconds(n as f64),
            (_, Number::Float(f)) => TimestampVisitor::seconds(f),
        }
    }
}

/// A number inside a CBOR tag.
enum Number {
    Int(i128),
    Float(f64),
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("Timestamp tag must wrap a number")
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Number, E> {
                Ok(Number::Int(n.into()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Number, E> {
                Ok(Number::Int(n.into()))
            }
            fn visit_i128<E: de::Error>(self, n: i128) -> Result<Number, E> {
                Ok(Number::Int(n))
            }
            fn visit_f64<E: de::Error>(self, f: f64) -> Result<Number, E> {
                Ok(Number::Float(f))
            }
        }
        d.deserialize_any(V)
    }
}

// Integers: JSON numbers with a zero fraction count (`5.0`), as `crate::validate` reads them.

/// Reads an integer member.
pub(crate) fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(IntVisitor)
}

/// Reads an optional integer member (`null` is absent).
pub(crate) fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_option(OptionOf(IntVisitor))
}

struct IntVisitor;

impl Visitor<'_> for IntVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an Integer")
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<i64, E> {
        Ok(n)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<i64, E> {
        i64::try_from(n).map_err(|_| E::custom("can not be converted to an Integer"))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<i64, E> {
        if f.fract() == 0.0 && f.abs() < 9e15 {
            Ok(f as i64)
        } else {
            Err(E::custom("can not be converted to an Integer"))
        }
    }
}

/// An optional value read by a visitor of the value itself.
struct OptionOf<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for OptionOf<V> {
    type Value = Option<V::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self.0).map(Some)
    }
}

// Lists and maps: at most `N` items are built while decoding, so a body of a million tiny items
// costs no more than the model allows; a longer one is refused here and answered by
// `crate::validate`, which renders it as AWS does.

/// Reads a list of at most `N` items.
pub(crate) fn list<'de, D, T, const N: usize>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_seq(Bounded::<Vec<T>, N>(std::marker::PhantomData))
}

/// Reads an optional list of at most `N` items.
pub(crate) fn opt_list<'de, D, T, const N: usize>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<BoundedList<T, N>>::deserialize(d).map(|o| o.map(|l| l.0))
}

/// Reads a map of at most `N` entries.
pub(crate) fn map<'de, D, V, const N: usize>(d: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    d.deserialize_map(Bounded::<BTreeMap<String, V>, N>(std::marker::PhantomData))
}

/// Reads an optional map of at most `N` entries.
pub(crate) fn opt_map<'de, D, V, const N: usize>(
    d: D,
) -> Result<Option<BTreeMap<String, V>>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    Option::<BoundedMap<V, N>>::deserialize(d).map(|o| o.map(|m| m.0))
}

struct BoundedList<T, const N: usize>(Vec<T>);

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for BoundedList<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        list::<D, T, N>(d).map(BoundedList)
    }
}

struct BoundedMap<V, const N: usize>(BTreeMap<String, V>);

impl<'de, V: Deserialize<'de>, const N: usize> Deserialize<'de> for BoundedMap<V, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        map::<D, V, N>(d).map(BoundedMap)
    }
}

struct Bounded<C, const N: usize>(std::marker::PhantomData<C>);

fn too_many<E: de::Error>(n: usize) -> E {
    E::custom(format!("more than {n} items"))
}

impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for Bounded<Vec<T>, N> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(N));
        while let Some(item) = seq.next_element()? {
            if items.len() == N {
                return Err(too_many(N));
            }
            items.push(item);
        }
        Ok(items)
    }
}

impl<'de, V: Deserialize<'de>, const N: usize> Visitor<'de> for Bounded<BTreeMap<String, V>, N> {
    type Value = BTreeMap<String, V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut m = BTreeMap::new();
        while let Some((k, v)) = map.next_entry()? {
            if m.len() == N {
                return Err(too_many(N));
            }
            m.insert(k, v);
        }
        Ok(m)
    }
}

/// A typed request read with [`MapStructs`]: `from_reader::<Strict<T>>` for parsers whose
/// deserializer cannot be wrapped from outside (ciborium).
pub(crate) struct Strict<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Strict<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(MapStructs(d)).map(Strict)
    }
}

/// The visitor of a member name: text only.
struct TextKey<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for TextKey<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<V::Value, E> {
        self.0.visit_str(s)
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<V::Value, E> {
        self.0.visit_borrowed_str(s)
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<V::Value, E> {
        self.0.visit_string(s)
    }
}

// Structures: maps only. A derived `Deserialize` also takes a structure as the list of its members
// in order, and serde_json offers it one (`["s"]` for `{"StreamName": "s"}`); AWS, and
// `crate::validate`, refuse a list where a structure belongs. ciborium already asks for a map.

/// A deserializer that reads every structure as a map, at any depth: it hands out visitors,
/// accesses and seeds wrapped the same way, and forwards everything else unchanged.
pub(crate) struct MapStructs<T>(pub T);

macro_rules! forward_deserialize {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
            self.0.$method(MapStructs(v))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for MapStructs<D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_seq deserialize_map
        deserialize_ignored_any
    }

    /// A member name must be text: a derived `Deserialize` would also take an integer as the
    /// index of a member and a byte string as its name, which CBOR can send.
    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_identifier(TextKey(v))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, MapStructs(v))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, MapStructs(v))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, MapStructs(v))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, MapStructs(v))
    }

    /// The point of the wrapper: a structure is a map.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(MapStructs(v))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, MapStructs(v))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($t:ty))*) => {$(
        fn $method<E: de::Error>(self, x: $t) -> Result<V::Value, E> {
            self.0.$method(x)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for MapStructs<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    forward_visit! {
        visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64)
        visit_i128(i128) visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64)
        visit_u128(u128) visit_f32(f32) visit_f64(f64) visit_char(char) visit_str(&str)
        visit_borrowed_str(&'de str) visit_string(String) visit_bytes(&[u8])
        visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(MapStructs(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(MapStructs(d))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(MapStructs(seq))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(MapStructs(map))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(MapStructs(data))
    }
}

impl<'de, S: de::DeserializeSeed<'de>> de::DeserializeSeed<'de> for MapStructs<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(MapStructs(d))
    }
}

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for MapStructs<A> {
    type Error = A::Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(MapStructs(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for MapStructs<A> {
    type Error = A::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(MapStructs(seed))
    }

    fn next_value_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(MapStructs(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::EnumAccess<'de>> de::EnumAccess<'de> for MapStructs<A> {
    type Error = A::Error;
    type Variant = MapStructs<A::Variant>;

    fn variant_seed<S: de::DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.0.variant_seed(MapStructs(seed))?;
        Ok((value, MapStructs(variant)))
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for MapStructs<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<S: de::DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, A::Error> {
        self.0.newtype_variant_seed(MapStructs(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, MapStructs(v))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, MapStructs(v))
    }
}

// Constraint checks, called by the generated `Valid` implementations.

/// A string of `min..=max` characters, matching `pattern` when there is one.
pub(crate) fn text(s: &str, min: usize, max: usize, pattern: Option<fn(&str) -> bool>) -> bool {
    // A character is 1 to 4 bytes: the byte length often proves both bounds without counting.
    let n = if s.len() <= max && s.len() >= min.saturating_mul(4) {
        min
    } else {
        s.chars().count()
    };
    (min..=max).contains(&n) && pattern.is_none_or(|p| p(s))
}

/// One of an enum's values.
pub(crate) fn one_of(s: &str, values: &[&str]) -> bool {
    values.contains(&s)
}

/// An integer within optional bounds.
pub(crate) fn within(n: i64, min: Option<i64>, max: Option<i64>) -> bool {
    min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m)
}

/// A blob of at most `max` bytes.
pub(crate) fn size(b: &Blob, max: usize) -> bool {
    b.0.len() <= max
}

/// A list or map of `min..=max` items.
pub(crate) fn count(n: usize, min: usize, max: usize) -> bool {
    (min..=max).contains(&n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Sample {
        #[serde(rename = "Data")]
        data: Blob,
        #[serde(rename = "At", default, skip_serializing_if = "Option::is_none")]
        at: Option<Timestamp>,
        #[serde(rename = "N", default, deserialize_with = "opt_int")]
        n: Option<i64>,
        #[serde(rename = "L", default, deserialize_with = "opt_list::<_, _, 2>")]
        l: Option<Vec<String>>,
    }

    fn cbor<T: Serialize>(v: &T) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::ser::into_writer(v, &mut out).unwrap();
        out
    }

    #[test]
    fn blobs_are_base64_in_json_and_bytes_in_cbor() {
        let s = Sample {
            data: Blob(vec![1, 2, 3].into()),
            at: Some(Timestamp(1_500)),
            n: None,
            l: None,
        };
        assert_eq!(
            String::from_utf8(crate::codec::Encoding::Json.encode(&s)).unwrap(),
            r#"{"Data":"AQID","At":1.5,"N":null,"L":null}"#
        );
        let bytes = cbor(&s);
        let v: ciborium::Value = ciborium::de::from_reader(&bytes[..]).unwrap();
        let m = v.as_map().unwrap();
        assert_eq!(m[0].1, ciborium::Value::Bytes(vec![1, 2, 3]));
        assert_eq!(
            m[1].1,
            ciborium::Value::Tag(1, Box::new(ciborium::Value::Integer(1500.into())))
        );
        let back: Sample = ciborium::de::from_reader(&bytes[..]).unwrap();
        assert_eq!(back, s);
        let back: Sample = serde_json::from_str(r#"{"Data":"AQID","At":1.5}"#).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn integers_timestamps_and_bounds_read_as_the_validator_reads_them() {
        let s: Sample = serde_json::from_str(r#"{"Data":"","N":5.0,"At":2}"#).unwrap();
        assert_eq!((s.n, s.at), (Some(5), Some(Timestamp(2_000))));
        for bad in [
            r#"{"Data":"","N":5.5}"#,
            r#"{"Data":"","N":"5"}"#,
            r#"{"Data":"!"}"#,
            r#"{"Data":"","At":-1}"#,
            r#"{"Data":"","L":["a","b","c"]}"#,
        ] {
            assert!(serde_json::from_str::<Sample>(bad).is_err(), "{bad}");
        }
        let e = serde_json::from_str::<Sample>(r#"{"Data":"!!"}"#).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("'!!' can not be converted to a Blob"));
    }

    #[test]
    fn structures_are_maps_at_any_depth() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Outer {
            #[serde(rename = "S", default)]
            s: Option<Sample>,
            #[serde(rename = "L", default)]
            l: Vec<Sample>,
        }
        let strict = |text: &str| {
            let mut de = serde_json::Deserializer::from_str(text);
            Outer::deserialize(MapStructs(&mut de)).map_err(|e| e.to_string())
        };
        // serde_json alone takes a structure as the list of its members, at any depth.
        for list in [r#"[]"#, r#"{"S":["AQID"]}"#, r#"{"L":[["AQID"]]}"#] {
            assert!(serde_json::from_str::<Outer>(list).is_ok(), "{list}");
            assert!(strict(list).is_err(), "{list}");
        }
        // Everything else reads as before: blobs, timestamps, integers, options, nested maps.
        let text = r#"{"S":{"Data":"AQID","At":1.5,"N":5.0,"L":["a"]},"L":[{"Data":""}]}"#;
        assert_eq!(
            strict(text),
            Ok(serde_json::from_str::<Outer>(text).unwrap())
        );
        assert_eq!(
            strict(r#"{"S":null,"L":[]}"#),
            Ok(Outer { s: None, l: vec![] })
        );
    }

    #[test]
    fn constraint_checks() {
        assert!(text("ab", 1, 2, None) && !text("abc", 1, 2, None) && !text("", 1, 2, None));
        assert!(text("éé", 2, 2, None));
        assert!(!text("a/b", 1, 128, Some(crate::validate::is_name)));
        assert!(within(5, Some(1), None) && !within(0, Some(1), None) && !within(9, None, Some(8)));
        assert!(one_of("LATEST", &["LATEST"]) && !one_of("latest", &["LATEST"]));
        assert!(size(&Blob(vec![0; 3].into()), 3) && !size(&Blob(vec![0; 4].into()), 3));
        assert!(count(0, 0, 1) && !count(2, 0, 1));
    }
}

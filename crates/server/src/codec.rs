//! Body encodings: AWS JSON 1.1 and AWS CBOR 1.1.
//!
//! Handlers see typed shapes (`crate::shapes`): a request is decoded straight into its input
//! structure ([`Encoding::decode_typed`]) and every answer is written from its output structure by
//! the one encoder of each protocol ([`Encoding::encode`]). The scalar types say how they look in
//! each (`crate::wire`): blobs are base64 text in JSON and byte strings in CBOR, timestamps epoch
//! seconds in JSON and tag 1 with integer milliseconds in CBOR.
//!
//! A request the fast path refuses is decoded again as a JSON value for the validator, which words
//! the refusal as AWS does. Both encodings are decoded into that value by one visitor ([`Decode`])
//! straight from the body, with no intermediate tree of the parser's own: CBOR byte strings become
//! base64 text and tag-1 timestamps (epoch milliseconds as an integer, as the AWS SDKs for Java
//! send them, or fractional seconds) become seconds. The visitor counts what it builds: at most
//! [`MAX_VALUES`] values and [`MAX_DEPTH`] levels, so a body of millions of tiny items is refused
//! instead of growing a tree many times its size.

use crate::error::ApiError;
use crate::validate::{self, Member};
use crate::wire::{self, Valid};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;

/// A request's (and so its response's) body encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Json,
    Cbor,
}

/// Deepest nesting accepted in a body (the model nests four levels).
const MAX_DEPTH: usize = 16;
/// Most values (scalars, lists, maps) one body may hold: a full PutRecords is about 2,000.
const MAX_VALUES: usize = 20_000;

impl Encoding {
    /// The encoding a `Content-Type` names, if any.
    pub fn from_content_type(ct: &str) -> Option<Encoding> {
        let ct = ct.split(';').next().unwrap_or_default().trim();
        match ct {
            "application/x-amz-json-1.1" | "application/json" => Some(Encoding::Json),
            "application/x-amz-cbor-1.1" | "application/cbor" => Some(Encoding::Cbor),
            _ => None,
        }
    }

    /// The `:content-type` of an event-stream message's payload in this encoding.
    pub fn event_content_type(self) -> &'static str {
        match self {
            Encoding::Json => "application/json",
            Encoding::Cbor => "application/x-amz-cbor-1.1",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Json => "application/x-amz-json-1.1",
            Encoding::Cbor => "application/x-amz-cbor-1.1",
        }
    }

    /// Decodes a request body as a JSON value, for the validator. An empty or unparseable body
    /// is a `SerializationException` without text, as AWS answers it (every SDK sends at least
    /// `{}`).
    pub fn decode(self, body: &[u8]) -> Result<Value, ApiError> {
        let unreadable = || ApiError::serialization("");
        if body.is_empty() {
            return Err(unreadable());
        }
        match self {
            Encoding::Json => serde_json::from_slice::<Decoded>(body)
                .map(|d| d.0)
                .map_err(|_| unreadable()),
            Encoding::Cbor => ciborium::de::from_reader::<Decoded, _>(body)
                .map(|d| d.0)
                .map_err(|e| match e {
                    // Our own refusals carry their text; the parser's do not.
                    ciborium::de::Error::Semantic(_, text) => ApiError::serialization(text),
                    _ => unreadable(),
                }),
        }
    }

    /// Encodes a response: the one encoder of each protocol, for every operation and event. An
    /// operation without output (its handler returns `()`, which encodes as null) answers an
    /// empty body.
    pub fn encode<T: serde::Serialize + ?Sized>(self, v: &T) -> Vec<u8> {
        self.encode_into(v, Vec::new())
    }

    /// [`Encoding::encode`] into a buffer sized for the answer ([`wire::EncodedSize`]).
    pub fn encode_sized<T: serde::Serialize + wire::EncodedSize>(self, v: &T) -> Vec<u8> {
        let buf = crate::answer_buffers::ANSWERS.take(v.encoded_size());
        self.encode_into(v, buf)
    }

    fn encode_into<T: serde::Serialize + ?Sized>(self, v: &T, mut out: Vec<u8>) -> Vec<u8> {
        // Writing into a Vec cannot fail, and every type of `crate::shapes` serializes.
        let _ = match self {
            Encoding::Json => {
                let mut ser = serde_json::Serializer::with_formatter(&mut out, wire::AwsJson);
                v.serialize(&mut ser).map_err(|_| ())
            }
            Encoding::Cbor => ciborium::ser::into_writer(v, &mut out).map_err(|_| ()),
        };
        if out == b"null" || out == [0xf6] {
            out.clear();
        }
        out
    }

    /// Checks that a body parses, building nothing: AWS answers an unparseable body before it
    /// looks at the target or the signature.
    pub fn check_syntax(self, body: &[u8]) -> Result<(), ApiError> {
        let parsed = match self {
            _ if body.is_empty() => false,
            Encoding::Json => serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok(),
            Encoding::Cbor => ciborium::de::from_reader::<serde::de::IgnoredAny, _>(body).is_ok(),
        };
        if parsed {
            Ok(())
        } else {
            Err(ApiError::serialization(""))
        }
    }

    /// Decodes a request straight into its typed input and checks it against the model. A
    /// request that does not decode, or breaks a constraint, is decoded again as a value and
    /// walked by [`validate::check`], which answers as AWS does (the first wrong type, or every
    /// violation); only refused requests pay for that second pass. In both protocols a structure
    /// must be a map with text keys, as the walker has it ([`wire::MapStructs`]).
    pub fn decode_typed<T>(self, body: &[u8], members: &'static [Member]) -> Result<T, ApiError>
    where
        T: serde::de::DeserializeOwned + Valid,
    {
        let fast = match self {
            // As `serde_json::from_str`, but a structure must be a JSON object. The whole body
            // must be UTF-8, also inside members that are skipped (as the walker reads it).
            Encoding::Json => std::str::from_utf8(body).ok().and_then(|text| {
                let mut de = serde_json::Deserializer::from_str(text);
                let parsed = T::deserialize(wire::MapStructs(&mut de));
                parsed.ok().filter(|_| de.end().is_ok())
            }),
            Encoding::Cbor => ciborium::de::from_reader::<wire::Strict<T>, _>(body)
                .ok()
                .map(|s| s.0),
        };
        let fast_parsed = fast.is_some();
        if let Some(input) = fast.filter(Valid::valid) {
            // Tests and fuzzing hold the fast check to the walker.
            debug_assert!(self
                .decode(body)
                .and_then(|v| validate::check(&v, members))
                .is_ok());
            return Ok(input);
        }
        let value = self.decode(body)?;
        validate::check(&value, members)?;
        debug_assert!(!fast_parsed, "the walker passed a request Valid refused");
        serde_json::from_value(value).map_err(|e| ApiError::serialization(e.to_string()))
    }

    /// An error body as AWS writes it: `__type`, and the text under `message` (`Message` in a
    /// `SerializationException`), left out when there is none (`UnknownOperationException`,
    /// `InternalFailure`, an unreadable body).
    pub fn error(self, e: &ApiError) -> Vec<u8> {
        let mut body = serde_json::Map::new();
        body.insert("__type".into(), Value::String(e.kind.into()));
        if !e.message.is_empty() && e.kind != "InternalFailure" {
            let key = if e.kind == "SerializationException" {
                "Message"
            } else {
                "message"
            };
            body.insert(key.into(), Value::String(e.message.clone()));
        }
        self.encode(&Value::Object(body))
    }
}

/// A whole decoded body. Its `Deserialize` runs [`Decode`] with a fresh budget (the parsers' entry
/// points take a type, not a seed).
struct Decoded(Value);

impl<'de> serde::Deserialize<'de> for Decoded {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let budget = std::cell::Cell::new(MAX_VALUES);
        let decode = Decode {
            budget: &budget,
            depth: 0,
        };
        serde::de::DeserializeSeed::deserialize(decode, d).map(Decoded)
    }
}

/// Decodes one value of a body into a JSON value, within the budget of values and depth.
#[derive(Clone, Copy)]
struct Decode<'b> {
    budget: &'b std::cell::Cell<usize>,
    depth: usize,
}

impl Decode<'_> {
    /// Counts one value; refuses it past the budget.
    fn take<E: serde::de::Error>(&self) -> Result<(), E> {
        let left = self.budget.get();
        if left == 0 {
            return Err(E::custom("Request body holds too many values"));
        }
        self.budget.set(left - 1);
        Ok(())
    }

    /// The decoder of a value one level down.
    fn child<E: serde::de::Error>(&self) -> Result<Self, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom("Request body nested too deeply"));
        }
        Ok(Decode {
            budget: self.budget,
            depth: self.depth + 1,
        })
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Decode<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

impl<'de> serde::de::Visitor<'de> for Decode<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a request value")
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Value, E> {
        self.take()?;
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Value, E> {
        self.take()?;
        Ok(Value::from(n))
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Value, E> {
        self.take()?;
        Ok(Value::from(n))
    }

    fn visit_i128<E: serde::de::Error>(self, n: i128) -> Result<Value, E> {
        self.take()?;
        Ok(i64::try_from(n).map_or_else(|_| float(n as f64), Value::from))
    }

    fn visit_u128<E: serde::de::Error>(self, n: u128) -> Result<Value, E> {
        self.take()?;
        Ok(i64::try_from(n).map_or_else(|_| float(n as f64), Value::from))
    }

    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Value, E> {
        self.take()?;
        Ok(float(f))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Value, E> {
        self.take()?;
        Ok(Value::String(s.to_string()))
    }

    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Value, E> {
        self.take()?;
        Ok(Value::String(s))
    }

    fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<Value, E> {
        self.take()?;
        Ok(Value::String(STANDARD.encode(b)))
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
        self.take()?;
        Ok(Value::Null)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        self.visit_none()
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.take()?;
        let child = self.child()?;
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(child)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.take()?;
        let child = self.child()?;
        let mut m = serde_json::Map::new();
        while let Some(key) = map.next_key_seed(child)? {
            let Value::String(key) = key else {
                return Err(serde::de::Error::custom("CBOR map keys must be text"));
            };
            m.insert(key, map.next_value_seed(child)?);
        }
        Ok(Value::Object(m))
    }

    /// A CBOR tag: ciborium hands it to visitors as an enum variant (`@@TAGGED@@`) whose two
    /// fields are the tag number and the content. Tag 1 is a timestamp, made epoch seconds; any
    /// other tag is its content.
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        use serde::de::VariantAccess as _;
        let (serde::de::IgnoredAny, fields) = data.variant()?;
        fields.tuple_variant(2, Tagged(self))
    }
}

/// The two fields of a CBOR tag: its number, then its content.
struct Tagged<'b>(Decode<'b>);

impl<'de> serde::de::Visitor<'de> for Tagged<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a tagged value")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        use serde::de::Error as _;
        let tag: u64 = seq
            .next_element()?
            .ok_or_else(|| A::Error::custom("Tag without a number"))?;
        let inner = seq
            .next_element_seed(self.0.child()?)?
            .ok_or_else(|| A::Error::custom("Tag without content"))?;
        if tag != 1 {
            return Ok(inner);
        }
        match inner {
            Value::Number(n) if n.is_i64() || n.is_u64() => {
                Ok(float(n.as_f64().unwrap_or_default() / 1000.0))
            }
            Value::Number(n) => Ok(Value::Number(n)),
            _ => Err(A::Error::custom("Timestamp tag must wrap a number")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes;
    use crate::wire::{Blob, Timestamp};
    use ciborium::value::Value as Cbor;
    use serde_json::json;

    #[test]
    fn cbor_blobs_and_timestamps() {
        let req = Cbor::Map(vec![
            (Cbor::Text("Data".into()), Cbor::Bytes(vec![1, 2, 3])),
            (
                Cbor::Text("Timestamp".into()),
                Cbor::Tag(1, Box::new(Cbor::Integer(1_700_000_000_123i64.into()))),
            ),
        ]);
        let mut bytes = Vec::new();
        ciborium::ser::into_writer(&req, &mut bytes).unwrap();
        let v = Encoding::Cbor.decode(&bytes).unwrap();
        assert_eq!(v["Data"], json!("AQID"));
        assert_eq!(v["Timestamp"].as_f64(), Some(1_700_000_000.123));

        // Answers: blobs are byte strings and every timestamp member tag 1 with integer
        // milliseconds in CBOR; base64 text and epoch seconds in JSON.
        let out = shapes::GetRecordsOutput {
            records: vec![shapes::Record {
                sequence_number: crate::wire::Seq(shardlog::SequenceNumber::new(1, 0, 0)),
                approximate_arrival_timestamp: Some(Timestamp(1500)),
                data: Blob(vec![1, 2, 3].into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let back: Cbor = ciborium::de::from_reader(&Encoding::Cbor.encode(&out)[..]).unwrap();
        let record = &back.as_map().unwrap()[0].1.as_array().unwrap()[0];
        let fields = record.as_map().unwrap();
        assert!(fields.contains(&(Cbor::Text("Data".into()), Cbor::Bytes(vec![1, 2, 3]))));
        assert!(fields.contains(&(
            Cbor::Text("ApproximateArrivalTimestamp".into()),
            Cbor::Tag(1, Box::new(Cbor::Integer(1500.into())))
        )));
        let json: Value = serde_json::from_slice(&Encoding::Json.encode(&out)).unwrap();
        assert_eq!(json["Records"][0]["Data"], json!("AQID"));
        assert_eq!(
            json["Records"][0]["ApproximateArrivalTimestamp"],
            json!(1.5)
        );

        let consumer = shapes::RegisterStreamConsumerOutput {
            consumer: shapes::Consumer {
                consumer_creation_timestamp: Timestamp(1_700_000_000_123),
                ..Default::default()
            },
        };
        let back: Cbor = ciborium::de::from_reader(&Encoding::Cbor.encode(&consumer)[..]).unwrap();
        let fields = back.as_map().unwrap()[0].1.as_map().unwrap();
        assert!(fields.contains(&(
            Cbor::Text("ConsumerCreationTimestamp".into()),
            Cbor::Tag(1, Box::new(Cbor::Integer(1_700_000_000_123i64.into())))
        )));

        // An operation without output answers an empty body in both protocols; an output whose
        // members are all absent an empty structure.
        assert!(Encoding::Cbor.encode(&()).is_empty() && Encoding::Json.encode(&()).is_empty());
        let empty = shapes::DescribeAccountSettingsOutput::default();
        assert_eq!(Encoding::Json.encode(&empty), b"{}");
        assert_eq!(Encoding::Cbor.encode(&empty), [0xa0]);
    }

    /// Found by the `request_parse` fuzzer: bytes that are not UTF-8 inside a member the typed
    /// decoder skips. Both paths must agree that the body is unreadable.
    #[test]
    fn skipped_members_are_read_as_strictly_as_known_ones() {
        use crate::ops::find;
        let members = find("DescribeStreamConsumer").unwrap().input;
        let mut body = br#"{"ConsumerName":"c","Unknown":"a"#.to_vec();
        body.extend_from_slice(&[0xfb, b'"', b'}']);
        let e = Encoding::Json
            .decode_typed::<shapes::DescribeStreamConsumerInput>(&body, members)
            .unwrap_err();
        assert_eq!((e.kind, e.message.as_str()), ("SerializationException", ""));
        // A CBOR map key that is not text, in a known member's place or a skipped one.
        let cbor = |key: Cbor| {
            let mut out = Vec::new();
            let v = Cbor::Map(vec![
                (Cbor::Text("StreamName".into()), Cbor::Text("s".into())),
                (key, Cbor::Text("c".into())),
            ]);
            ciborium::ser::into_writer(&v, &mut out).unwrap();
            out
        };
        for key in [Cbor::Integer(0.into()), Cbor::Integer(7.into())] {
            let got = Encoding::Cbor
                .decode_typed::<shapes::DescribeStreamConsumerInput>(&cbor(key.clone()), members);
            assert_eq!(
                got.map_err(|e| e.kind),
                Err("SerializationException"),
                "{key:?}"
            );
        }
        // A byte-string key names no member (the walker reads it as its base64 text): skipped.
        let got = Encoding::Cbor.decode_typed::<shapes::DescribeStreamConsumerInput>(
            &cbor(Cbor::Bytes(b"ConsumerName".to_vec())),
            members,
        );
        assert_eq!(got.map(|i| i.consumer_name), Ok(None));
    }

    #[test]
    fn typed_requests_take_structures_only_as_maps() {
        use crate::ops::find;
        let members = |op: &str| find(op).unwrap().input;
        let refused = |e: ApiError| (e.kind, e.message);
        let top = "Start of structure or map found where not expected.";
        for body in [&b"[]"[..], br#"["s"]"#] {
            let e = Encoding::Json
                .decode_typed::<shapes::DescribeStreamSummaryInput>(
                    body,
                    members("DescribeStreamSummary"),
                )
                .unwrap_err();
            assert_eq!(refused(e), ("SerializationException", top.into()));
        }
        let e = Encoding::Json
            .decode_typed::<shapes::DescribeLimitsInput>(b"[]", members("DescribeLimits"))
            .unwrap_err();
        assert_eq!(refused(e), ("SerializationException", top.into()));
        let nested = br#"{"StreamName":"t","ShardCount":1,"StreamModeDetails":["ON_DEMAND"]}"#;
        let e = Encoding::Json
            .decode_typed::<shapes::CreateStreamInput>(nested, members("CreateStream"))
            .unwrap_err();
        let list = "Start of list found where not expected";
        assert_eq!(refused(e), ("SerializationException", list.into()));
        let item = br#"{"StreamName":"s","Records":[["AQID",null,"k"]]}"#;
        let e = Encoding::Json
            .decode_typed::<shapes::PutRecordsInput>(item, members("PutRecords"))
            .unwrap_err();
        assert_eq!(refused(e), ("SerializationException", list.into()));
        // CBOR's decoder asks for maps by itself.
        let e = Encoding::Cbor
            .decode_typed::<shapes::DescribeLimitsInput>(&[0x80], members("DescribeLimits"))
            .unwrap_err();
        assert_eq!(refused(e), ("SerializationException", top.into()));
        // Maps read as ever.
        let ok = br#"{"StreamName":"t","StreamModeDetails":{"StreamMode":"ON_DEMAND"}}"#;
        let input = Encoding::Json
            .decode_typed::<shapes::CreateStreamInput>(ok, members("CreateStream"))
            .unwrap();
        assert_eq!(input.stream_mode_details.unwrap().stream_mode, "ON_DEMAND");
    }

    #[test]
    fn hostile_bodies_are_serialization_errors() {
        assert_eq!(
            Encoding::Json.decode(b"{").unwrap_err().kind,
            "SerializationException"
        );
        assert_eq!(
            Encoding::Cbor.decode(&[0xff, 0x00]).unwrap_err().kind,
            "SerializationException"
        );
        // 100 nested arrays.
        let deep = [vec![0x81u8; 100], vec![0xf6]].concat();
        assert_eq!(
            Encoding::Cbor.decode(&deep).unwrap_err().kind,
            "SerializationException"
        );
        // Millions of tiny values in a body of a few MiB: refused once the budget is spent, never
        // built into a tree many times the body's size.
        let mut many = vec![0x9a, 0x00, 0x40, 0x00, 0x00]; // array of 4 Mi items
        many.resize(5 + (4 << 20), 0x01);
        let e = Encoding::Cbor.decode(&many).unwrap_err();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (
                "SerializationException",
                "Request body holds too many values"
            )
        );
        let json = format!("[{}0]", "0,".repeat(4 << 20));
        assert_eq!(
            Encoding::Json.decode(json.as_bytes()).unwrap_err().kind,
            "SerializationException"
        );
        // Within the budget, both decode to the same value; a tag-1 timestamp in milliseconds
        // becomes seconds and a byte string base64 text.
        let cbor = [
            0xa2, 0x61, b't', 0xc1, 0x19, 0x05, 0xdc, // "t": 1(1500)
            0x61, b'd', 0x43, 1, 2, 3, // "d": h'010203'
        ];
        assert_eq!(
            Encoding::Cbor.decode(&cbor).unwrap(),
            json!({"t": 1.5, "d": "AQID"})
        );
        let empty = Encoding::Json.decode(b"").unwrap_err();
        assert_eq!(
            (empty.kind, empty.message.as_str()),
            ("SerializationException", "")
        );
        let bodies = [
            (
                ApiError::serialization("Expected null"),
                json!({"__type": "SerializationException", "Message": "Expected null"}),
            ),
            (
                ApiError::new("UnknownOperationException", ""),
                json!({"__type": "UnknownOperationException"}),
            ),
            (
                ApiError::internal("disk on fire"),
                json!({"__type": "InternalFailure"}),
            ),
            (
                ApiError::invalid("bad"),
                json!({"__type": "InvalidArgumentException", "message": "bad"}),
            ),
        ];
        for (e, want) in bodies {
            let got: Value = serde_json::from_slice(&Encoding::Json.error(&e)).unwrap();
            assert_eq!(got, want);
        }
    }
}

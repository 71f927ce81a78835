//! Body encodings: AWS JSON 1.1 and AWS CBOR 1.1.
//!
//! Handlers see one form, JSON values (blobs as base64 text, timestamps as epoch seconds). CBOR
//! bodies are converted at the edge: byte strings become base64 text and tag-1 timestamps (epoch
//! milliseconds as an integer, as the AWS SDKs for Java send them, or fractional seconds) become
//! seconds; on the way out `Data` members become byte strings and timestamp members tag 1 with
//! integer milliseconds.

use crate::error::ApiError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ciborium::value::Value as Cbor;
use serde_json::Value;

/// A request's (and so its response's) body encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Json,
    Cbor,
}

/// Response members that are timestamps.
const TIMESTAMPS: [&str; 3] = [
    "ApproximateArrivalTimestamp",
    "StreamCreationTimestamp",
    "ConsumerCreationTimestamp",
];
/// Deepest nesting accepted in a CBOR body (the model nests four levels).
const MAX_DEPTH: usize = 16;

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

    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Json => "application/x-amz-json-1.1",
            Encoding::Cbor => "application/x-amz-cbor-1.1",
        }
    }

    /// Decodes a request body. An empty or unparseable body is a `SerializationException`
    /// without text, as AWS answers it (every SDK sends at least `{}`).
    pub fn decode(self, body: &[u8]) -> Result<Value, ApiError> {
        let unreadable = || ApiError::serialization("");
        if body.is_empty() {
            return Err(unreadable());
        }
        match self {
            Encoding::Json => serde_json::from_slice(body).map_err(|_| unreadable()),
            Encoding::Cbor => {
                let v: Cbor = ciborium::de::from_reader(body).map_err(|_| unreadable())?;
                from_cbor(v, 0)
            }
        }
    }

    /// Encodes a response; `Null` (an operation without output) is an empty body.
    pub fn encode(self, v: &Value) -> Vec<u8> {
        if v.is_null() {
            return Vec::new();
        }
        match self {
            Encoding::Json => serde_json::to_vec(v).unwrap_or_default(),
            Encoding::Cbor => {
                let mut out = Vec::new();
                // Writing into a Vec cannot fail.
                let _ = ciborium::ser::into_writer(&to_cbor(v, None), &mut out);
                out
            }
        }
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

fn from_cbor(v: Cbor, depth: usize) -> Result<Value, ApiError> {
    if depth > MAX_DEPTH {
        return Err(ApiError::serialization("CBOR body nested too deeply"));
    }
    Ok(match v {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(b),
        Cbor::Integer(i) => {
            let i = i128::from(i);
            match i64::try_from(i) {
                Ok(n) => Value::from(n),
                Err(_) => Value::from(i as f64),
            }
        }
        Cbor::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        Cbor::Text(s) => Value::String(s),
        Cbor::Bytes(b) => Value::String(STANDARD.encode(b)),
        Cbor::Tag(1, inner) => match *inner {
            Cbor::Integer(ms) => Value::from(i128::from(ms) as f64 / 1000.0),
            Cbor::Float(secs) => {
                serde_json::Number::from_f64(secs).map_or(Value::Null, Value::Number)
            }
            _ => return Err(ApiError::serialization("Timestamp tag must wrap a number")),
        },
        Cbor::Tag(_, inner) => from_cbor(*inner, depth + 1)?,
        Cbor::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|i| from_cbor(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Cbor::Map(entries) => {
            let mut m = serde_json::Map::new();
            for (k, v) in entries {
                let Cbor::Text(k) = k else {
                    return Err(ApiError::serialization("CBOR map keys must be text"));
                };
                m.insert(k, from_cbor(v, depth + 1)?);
            }
            Value::Object(m)
        }
        _ => return Err(ApiError::serialization("Unsupported CBOR value")),
    })
}

fn to_cbor(v: &Value, key: Option<&str>) -> Cbor {
    match v {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Number(n) if key.is_some_and(|k| TIMESTAMPS.contains(&k)) => {
            let ms = (n.as_f64().unwrap_or(0.0) * 1000.0).round() as i64;
            Cbor::Tag(1, Box::new(Cbor::Integer(ms.into())))
        }
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Cbor::Integer(i.into()),
            (None, Some(u)) => Cbor::Integer(u.into()),
            _ => Cbor::Float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) if key == Some("Data") => {
            Cbor::Bytes(STANDARD.decode(s).unwrap_or_default())
        }
        Value::String(s) => Cbor::Text(s.clone()),
        Value::Array(items) => Cbor::Array(items.iter().map(|i| to_cbor(i, key)).collect()),
        Value::Object(m) => Cbor::Map(
            m.iter()
                .map(|(k, v)| (Cbor::Text(k.clone()), to_cbor(v, Some(k))))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

        let out = Encoding::Cbor
            .encode(&json!({"Records": [{"Data": "AQID", "ApproximateArrivalTimestamp": 1.5}]}));
        let back: Cbor = ciborium::de::from_reader(&out[..]).unwrap();
        let record = &back.as_map().unwrap()[0].1.as_array().unwrap()[0];
        let fields = record.as_map().unwrap();
        assert!(fields.contains(&(Cbor::Text("Data".into()), Cbor::Bytes(vec![1, 2, 3]))));
        assert!(fields.contains(&(
            Cbor::Text("ApproximateArrivalTimestamp".into()),
            Cbor::Tag(1, Box::new(Cbor::Integer(1500.into())))
        )));
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

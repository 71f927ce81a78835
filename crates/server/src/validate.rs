//! Request validation against the Kinesis model's constraints, before any data is touched.
//!
//! A request is checked in two passes over one walk, as AWS does: a member of the wrong type stops
//! the walk with a `SerializationException`; constraint violations are collected and answered
//! together in one `ValidationException`
//! (`2 validation errors detected: Value '...' at 'streamName' failed to satisfy constraint: ...; ...`).

use crate::error::ApiError;
use serde_json::Value;

/// The shape of a request member.
#[derive(Debug)]
pub(crate) enum Shape {
    /// A string of `min..=max` characters, optionally matching a pattern.
    Str {
        min: usize,
        max: usize,
        pattern: Option<Pattern>,
    },
    /// An integer within optional bounds.
    Int {
        min: Option<i64>,
        max: Option<i64>,
    },
    Bool,
    /// Base64 text (JSON) of at most `max` decoded bytes.
    Blob {
        max: usize,
    },
    /// Epoch seconds, integer or fractional.
    Timestamp,
    /// One of a set of strings.
    Enum(&'static [&'static str]),
    List {
        min: usize,
        max: usize,
        member: &'static Shape,
    },
    Map {
        min: usize,
        max: usize,
        key: &'static Shape,
        value: &'static Shape,
    },
    Struct(&'static [Member]),
}

/// One member of a structure.
#[derive(Debug)]
pub(crate) struct Member {
    pub name: &'static str,
    pub shape: &'static Shape,
    pub required: bool,
}

/// A regular expression of the model, with a hand-written matcher.
#[derive(Debug)]
pub(crate) struct Pattern {
    pub text: &'static str,
    pub matches: fn(&str) -> bool,
}

/// AWS lists at most this many violations.
const MAX_LISTED: usize = 10;

/// Checks `input` against a structure's members.
pub(crate) fn check(input: &Value, members: &'static [Member]) -> Result<(), ApiError> {
    if !input.is_object() {
        return Err(ApiError::serialization(
            "Start of structure or map found where not expected.",
        ));
    }
    let mut found = Vec::new();
    walk_struct(input, members, &Path::Root, &mut found)?;
    if found.is_empty() {
        return Ok(());
    }
    let n = found.len();
    let listed: Vec<&str> = found.iter().take(MAX_LISTED).map(String::as_str).collect();
    let plural = if n == 1 { "" } else { "s" };
    Err(ApiError::new(
        "ValidationException",
        format!(
            "{n} validation error{plural} detected: {}",
            listed.join("; ")
        ),
    ))
}

/// Where a value sits in the request, rendered only when a violation names it
/// (`records.2.member.partitionKey`), so a valid request allocates nothing for paths.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Member(&'a Path<'a>, &'static str),
    Item(&'a Path<'a>, usize),
    Key(&'a Path<'a>),
    MapValue(&'a Path<'a>, &'a str),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Member(Path::Root, name) => f.write_str(&lower_first(name)),
            Path::Member(parent, name) => write!(f, "{parent}.{}", lower_first(name)),
            Path::Item(parent, i) => write!(f, "{parent}.{}.member", i + 1),
            Path::Key(parent) => write!(f, "{parent}.key"),
            Path::MapValue(parent, k) => write!(f, "{parent}.{k}.member"),
        }
    }
}

/// Collected violations.
type Found = Vec<String>;

fn walk_struct(
    v: &Value,
    members: &'static [Member],
    at: &Path<'_>,
    found: &mut Found,
) -> Result<(), ApiError> {
    let Some(obj) = v.as_object() else {
        return Err(ApiError::serialization(match v {
            Value::Array(_) => "Start of list found where not expected",
            _ => "Expected null",
        }));
    };
    for m in members {
        let path = Path::Member(at, m.name);
        match obj.get(m.name) {
            None | Some(Value::Null) if m.required => violation(
                found,
                || "null".into(),
                &path,
                "Member must not be null".into(),
            ),
            None | Some(Value::Null) => {}
            Some(value) => walk(value, m.shape, &path, found)?,
        }
    }
    Ok(())
}

fn walk(
    v: &Value,
    shape: &'static Shape,
    path: &Path<'_>,
    found: &mut Found,
) -> Result<(), ApiError> {
    match shape {
        Shape::Str { min, max, pattern } => {
            let s = string(v)?;
            // A character is 1 to 4 bytes: when the byte length already proves both bounds, skip
            // counting characters (the common case for partition keys and names).
            let n = if s.len() <= *max && s.len() >= *min * 4 {
                *min
            } else {
                s.chars().count()
            };
            // AWS lists a pattern violation before a length violation of the same value.
            if let Some(p) = pattern {
                if !(p.matches)(s) {
                    let c = format!("Member must satisfy regular expression pattern: {}", p.text);
                    violation(found, || quote(s), path, c);
                }
            }
            check_len(|| quote(s), n, *min, *max, path, found);
        }
        Shape::Enum(values) => {
            let s = string(v)?;
            if !values.contains(&s) {
                let c = format!(
                    "Member must satisfy enum value set: [{}]",
                    values.join(", ")
                );
                violation(found, || quote(s), path, c);
            }
        }
        Shape::Int { min, max } => {
            let n = integer(v)?;
            if let Some(min) = min.filter(|m| n < *m) {
                let c = format!("Member must have value greater than or equal to {min}");
                violation(found, || quote(&n.to_string()), path, c);
            }
            if let Some(max) = max.filter(|m| n > *m) {
                let c = format!("Member must have value less than or equal to {max}");
                violation(found, || quote(&n.to_string()), path, c);
            }
        }
        Shape::Bool => {
            if !v.is_boolean() {
                return Err(ApiError::serialization(format!(
                    "class {} can not be converted to a Boolean",
                    java_class(v)
                )));
            }
        }
        Shape::Blob { max } => {
            let s = blob_text(v)?;
            let n = base64_len(s).ok_or_else(|| {
                ApiError::serialization(format!(
                    "'{s}' can not be converted to a Blob: Invalid Base64 character"
                ))
            })?;
            if n > *max {
                let shown = || quote(&format!("java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]"));
                let c = format!("Member must have length less than or equal to {max}");
                violation(found, shown, path, c);
            }
        }
        Shape::Timestamp => {
            timestamp_ms(v)?;
        }
        Shape::List { min, max, member } => {
            let Some(items) = v.as_array() else {
                return Err(ApiError::serialization("Expected list or null"));
            };
            check_len(|| render_list(items), items.len(), *min, *max, path, found);
            for (i, item) in items.iter().enumerate() {
                let item_path = Path::Item(path, i);
                match (item, member) {
                    (Value::Null, _) => violation(
                        found,
                        || "null".into(),
                        &item_path,
                        "Member must not be null".into(),
                    ),
                    (_, Shape::Struct(members)) => walk_struct(item, members, &item_path, found)?,
                    _ => walk(item, member, &item_path, found)?,
                }
            }
        }
        Shape::Map {
            min,
            max,
            key,
            value,
        } => {
            let Some(map) = v.as_object() else {
                return Err(ApiError::serialization("Expected map or null"));
            };
            check_len(|| render_map(map), map.len(), *min, *max, path, found);
            for (k, val) in map {
                walk(&Value::String(k.clone()), key, &Path::Key(path), found)?;
                walk(val, value, &Path::MapValue(path, k), found)?;
            }
        }
        Shape::Struct(members) => walk_struct(v, members, path, found)?,
    }
    Ok(())
}

fn check_len(
    shown: impl Fn() -> String,
    n: usize,
    min: usize,
    max: usize,
    path: &Path<'_>,
    found: &mut Found,
) {
    if n < min {
        let c = format!("Member must have length greater than or equal to {min}");
        violation(found, &shown, path, c);
    }
    if n > max {
        let c = format!("Member must have length less than or equal to {max}");
        violation(found, &shown, path, c);
    }
}

fn violation(found: &mut Found, shown: impl Fn() -> String, path: &Path<'_>, constraint: String) {
    found.push(format!(
        "Value {} at '{path}' failed to satisfy constraint: {constraint}",
        shown()
    ));
}

fn quote(s: &str) -> String {
    format!("'{s}'")
}

fn lower_first(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

fn render_list(items: &[Value]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|i| match i {
            Value::String(s) => s.clone(),
            Value::Object(_) => "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry".into(),
            other => other.to_string(),
        })
        .collect();
    quote(&format!("[{}]", parts.join(", ")))
}

fn render_map(map: &serde_json::Map<String, Value>) -> String {
    let parts: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    quote(&format!("{{{}}}", parts.join(", ")))
}

fn java_class(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "java.lang.String",
        Value::Number(_) => "com.amazon.coral.value.json.numbers.TruncatingBigNumber",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Array(_) => "java.util.ArrayList",
        Value::Object(_) => "java.util.LinkedHashMap",
        Value::Null => "null",
    }
}

fn string(v: &Value) -> Result<&str, ApiError> {
    v.as_str().ok_or_else(|| match v {
        Value::Object(_) => {
            ApiError::serialization("Start of structure or map found where not expected.")
        }
        Value::Array(_) => ApiError::serialization("Start of list found where not expected"),
        _ => ApiError::serialization(format!(
            "class {} can not be converted to an String",
            java_class(v)
        )),
    })
}

/// The text of a blob member (base64 in JSON); a value of another type gets AWS's blob wording.
fn blob_text(v: &Value) -> Result<&str, ApiError> {
    match v {
        Value::String(s) => Ok(s),
        Value::Object(_) | Value::Array(_) => string(v),
        _ => Err(ApiError::serialization(format!(
            "class {} can not be converted to a Blob",
            java_class(v)
        ))),
    }
}

fn integer(v: &Value) -> Result<i64, ApiError> {
    let wrong = || {
        ApiError::serialization(format!(
            "class {} can not be converted to an Integer",
            java_class(v)
        ))
    };
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                    .map(|f| f as i64)
            })
            .ok_or_else(wrong),
        _ => Err(wrong()),
    }
}

/// Reads an epoch-seconds timestamp (integer, decimal or exponent form) as milliseconds.
pub(crate) fn timestamp_ms(v: &Value) -> Result<u64, ApiError> {
    let secs = v.as_f64().ok_or_else(|| {
        ApiError::serialization(format!(
            "class {} can not be converted to milliseconds since epoch",
            java_class(v)
        ))
    })?;
    if !secs.is_finite() || !(0.0..=1e13).contains(&secs) {
        return Err(ApiError::serialization(format!(
            "Timestamp {secs} is out of range"
        )));
    }
    Ok((secs * 1000.0).round() as u64)
}

/// The decoded length of standard base64 text, or `None` if it is not valid base64.
pub(crate) fn base64_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() % 4 != 0 {
        return None;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return None;
    }
    let body = &b[..b.len() - pad];
    let ok = body
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/');
    ok.then(|| b.len() / 4 * 3 - pad)
}

// Matchers for the model's patterns, written out by hand (full-string matches, as Java's
// `String.matches`).

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

pub(crate) fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_name_char)
}

fn is_decimal(s: &str, max_digits: usize) -> bool {
    s == "0"
        || (!s.starts_with('0')
            && (1..=max_digits).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) fn is_hash_key(s: &str) -> bool {
    is_decimal(s, 39)
}

pub(crate) fn is_sequence_number(s: &str) -> bool {
    is_decimal(s, 129)
}

/// `arn:aws.*:kinesis:.*:\d{12}:stream/\S+`
pub(crate) fn is_stream_arn(s: &str) -> bool {
    is_arn_of(s, ":stream/")
}

/// `arn:aws.*:kinesis:.*:\d{12}:queue/\S+`
pub(crate) fn is_queue_arn(s: &str) -> bool {
    is_arn_of(s, ":queue/")
}

/// `arn:aws.*:kinesis:.*:\d{12}<kind>\S+`, `kind` being `:stream/` or `:queue/`.
fn is_arn_of(s: &str, kind: &str) -> bool {
    let Some(after) = s.strip_prefix("arn:aws") else {
        return false;
    };
    let Some(k) = after.find(":kinesis:") else {
        return false;
    };
    let rest = &after[k + ":kinesis:".len()..];
    // Some ':' + 12 digits + kind + one or more non-space characters ends the string.
    rest.match_indices(':').any(|(i, _)| {
        let tail = &rest[i + 1..];
        tail.len() > 12 + kind.len()
            && tail.as_bytes()[..12].iter().all(u8::is_ascii_digit)
            && tail[12..].starts_with(kind)
            && !tail[12 + kind.len()..].chars().any(char::is_whitespace)
    })
}

/// `^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+`
pub(crate) fn is_consumer_arn(s: &str) -> bool {
    let Some((head, created)) = s.rsplit_once(':') else {
        return false;
    };
    let Some((stream_part, consumer)) = head.rsplit_once("/consumer/") else {
        return false;
    };
    let Some((prefix, stream)) = stream_part.rsplit_once("stream/") else {
        return false;
    };
    !created.is_empty()
        && created.bytes().all(|b| b.is_ascii_digit())
        && is_name(consumer)
        && is_name(stream)
        && prefix.starts_with("arn:aws")
        && prefix.contains(":kinesis:")
        && prefix
            .split(':')
            .any(|p| p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) fn is_stream_id(s: &str) -> bool {
    let ok = |p: &str| {
        p.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    s.split_once('-')
        .is_some_and(|(a, b)| a.len() == 20 && b.len() == 3 && ok(a) && ok(b))
}

/// `arn:aws.*:kinesis:.*:\d{12}:.*(stream|channel|queue)/\S+`: a stream, consumer, channel or
/// queue ARN.
pub(crate) fn is_resource_arn(s: &str) -> bool {
    let Some((_, after)) = s
        .strip_prefix("arn:aws")
        .and_then(|rest| rest.split_once(":kinesis:"))
    else {
        return false;
    };
    let resource_after = |tail: &str| {
        let b = tail.as_bytes();
        b.len() > 13 && b[..12].iter().all(u8::is_ascii_digit) && b[12] == b':' && {
            let resource = &tail[13..];
            ["stream/", "channel/", "queue/"].iter().any(|kind| {
                resource.match_indices(kind).any(|(at, _)| {
                    let id = &resource[at + kind.len()..];
                    !id.is_empty() && !id.chars().any(char::is_whitespace)
                })
            })
        }
    };
    after
        .match_indices(':')
        .any(|(at, _)| resource_after(&after[at + 1..]))
}

/// `arn:aws.*:kinesis:.*:\d{12}:channel/\S+`
pub(crate) fn is_channel_arn(s: &str) -> bool {
    is_arn_of(s, ":channel/")
}

/// `arn:aws[-a-z0-9]*` followed by `service` (e.g. `:s3:::`): the partition part of an ARN.
fn partition_then<'a>(s: &'a str, service: &str) -> Option<&'a str> {
    let rest = s.strip_prefix("arn:aws")?;
    let at = rest.find(service)?;
    rest[..at]
        .bytes()
        .all(|b| b == b'-' || b.is_ascii_lowercase() || b.is_ascii_digit())
        .then(|| &rest[at + service.len()..])
}

fn all_bytes(s: &str, ok: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(ok)
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && all_bytes(s, |b| b.is_ascii_digit())
}

/// `arn:aws[-a-z0-9]*:iam::\d{12}:role/[a-zA-Z_0-9+=,.@\-_/]+`
pub(crate) fn is_role_arn(s: &str) -> bool {
    partition_then(s, ":iam::")
        .and_then(|rest| rest.split_once(":role/"))
        .is_some_and(|(account, role)| {
            digits(account, 12)
                && !role.is_empty()
                && all_bytes(role, |b| {
                    b.is_ascii_alphanumeric() || b"_+=,.@-/".contains(&b)
                })
        })
}

/// `arn:aws[-a-z0-9]*:s3:::[a-z0-9._-]{3,63}`
pub(crate) fn is_bucket_arn(s: &str) -> bool {
    partition_then(s, ":s3:::").is_some_and(|b| {
        (3..=63).contains(&b.len())
            && all_bytes(b, |c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(&c)
            })
    })
}

/// `arn:aws[-a-z0-9]*:s3tables:[-a-z0-9]+:\d{12}:bucket/[a-z0-9_-]{3,63}`
pub(crate) fn is_table_bucket_arn(s: &str) -> bool {
    let lower = |b: u8| b == b'-' || b.is_ascii_lowercase() || b.is_ascii_digit();
    partition_then(s, ":s3tables:").is_some_and(|rest| {
        let mut parts = rest.splitn(3, ':');
        let (Some(region), Some(account), Some(bucket)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let name = bucket.strip_prefix("bucket/").unwrap_or("");
        !region.is_empty()
            && all_bytes(region, lower)
            && digits(account, 12)
            && (3..=63).contains(&name.len())
            && all_bytes(name, |b| b == b'_' || lower(b))
    })
}

/// `arn:aws[-a-z0-9]*:glue:[-a-z0-9]+:\d{12}:schema/[-a-zA-Z0-9_$#.]+/[-a-zA-Z0-9_$#.]+`
pub(crate) fn is_gsr_schema_arn(s: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty() && all_bytes(p, |b| b.is_ascii_alphanumeric() || b"-_$#.".contains(&b))
    };
    partition_then(s, ":glue:").is_some_and(|rest| {
        let mut parts = rest.splitn(3, ':');
        let (Some(region), Some(account), Some(schema)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let names = schema
            .strip_prefix("schema/")
            .and_then(|n| n.split_once('/'));
        !region.is_empty()
            && all_bytes(region, |b| {
                b == b'-' || b.is_ascii_lowercase() || b.is_ascii_digit()
            })
            && digits(account, 12)
            && names.is_some_and(|(a, b)| part(a) && part(b))
    })
}

/// `\d{12}`
pub(crate) fn is_account(s: &str) -> bool {
    digits(s, 12)
}

/// `[0-9A-Za-z!\-_'.*()\/]+`
pub(crate) fn is_error_prefix(s: &str) -> bool {
    !s.is_empty()
        && all_bytes(s, |b| {
            b.is_ascii_alphanumeric() || b"!-_'.*()/".contains(&b)
        })
}

/// `[0-9A-Za-z!\-_'.*()\/=:{}]+`
pub(crate) fn is_key_template(s: &str) -> bool {
    !s.is_empty()
        && all_bytes(s, |b| {
            b.is_ascii_alphanumeric() || b"!-_'.*()/=:{}".contains(&b)
        })
}

/// `[0-9a-z_]+`
pub(crate) fn is_lower_name(s: &str) -> bool {
    !s.is_empty()
        && all_bytes(s, |b| {
            b == b'_' || b.is_ascii_lowercase() || b.is_ascii_digit()
        })
}

/// `[a-zA-Z0-9\.\_]+`
pub(crate) fn is_partition_source(s: &str) -> bool {
    !s.is_empty() && all_bytes(s, |b| b.is_ascii_alphanumeric() || b"._".contains(&b))
}

/// `[\.\-_/#A-Za-z0-9]+`
pub(crate) fn is_log_group(s: &str) -> bool {
    !s.is_empty() && all_bytes(s, |b| b.is_ascii_alphanumeric() || b".-_/#".contains(&b))
}

/// `[^:*]*`
pub(crate) fn is_log_stream(s: &str) -> bool {
    !s.contains([':', '*'])
}

// The model's shapes.

pub(crate) const NAME: Pattern = Pattern {
    text: "[a-zA-Z0-9_.-]+",
    matches: is_name,
};
pub(crate) const STREAM_NAME: Shape = Shape::Str {
    min: 1,
    max: 128,
    pattern: Some(NAME),
};
pub(crate) const SHARD_ID: Shape = STREAM_NAME;
pub(crate) const CONSUMER_NAME: Shape = STREAM_NAME;
pub(crate) const STREAM_ARN: Shape = Shape::Str {
    min: 1,
    max: 2048,
    pattern: Some(Pattern {
        text: "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+",
        matches: is_stream_arn,
    }),
};
pub(crate) const QUEUE_ARN: Shape = Shape::Str {
    min: 1,
    max: 2048,
    pattern: Some(Pattern {
        text: "arn:aws.*:kinesis:.*:\\d{12}:queue/\\S+",
        matches: is_queue_arn,
    }),
};
pub(crate) const CONSUMER_ARN: Shape = Shape::Str {
    min: 1,
    max: 2048,
    pattern: Some(Pattern {
        text: "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+",
        matches: is_consumer_arn,
    }),
};
pub(crate) const STREAM_ID: Shape = Shape::Str {
    min: 1,
    max: 24,
    pattern: Some(Pattern {
        text: "[a-z0-9]{20}-[a-z0-9]{3}",
        matches: is_stream_id,
    }),
};
pub(crate) const HASH_KEY: Shape = Shape::Str {
    min: 0,
    max: usize::MAX,
    pattern: Some(Pattern {
        text: "^(0|([1-9]\\d{0,38}))$",
        matches: is_hash_key,
    }),
};
pub(crate) const SEQUENCE_NUMBER: Shape = Shape::Str {
    min: 0,
    max: usize::MAX,
    pattern: Some(Pattern {
        text: "^(0|([1-9]\\d{0,128}))$",
        matches: is_sequence_number,
    }),
};
pub(crate) const PARTITION_KEY: Shape = Shape::Str {
    min: 1,
    max: shardlog::MAX_PARTITION_KEY_CHARS,
    pattern: None,
};
pub(crate) const NEXT_TOKEN: Shape = Shape::Str {
    min: 1,
    max: 1_048_576,
    pattern: None,
};
pub(crate) const SHARD_ITERATOR: Shape = Shape::Str {
    min: 1,
    max: 512,
    pattern: None,
};
pub(crate) const TAG_KEY: Shape = Shape::Str {
    min: 1,
    max: 128,
    pattern: None,
};
pub(crate) const TAG_VALUE: Shape = Shape::Str {
    min: 0,
    max: 256,
    pattern: None,
};
pub(crate) const TAG_MAP: Shape = Shape::Map {
    min: 1,
    max: 200,
    key: &TAG_KEY,
    value: &TAG_VALUE,
};
pub(crate) const DATA: Shape = Shape::Blob {
    max: shardlog::MAX_RECORD_DATA_LIMIT,
};
pub(crate) const BOOL: Shape = Shape::Bool;
pub(crate) const TIMESTAMP: Shape = Shape::Timestamp;
pub(crate) const POSITIVE_INT: Shape = Shape::Int {
    min: Some(1),
    max: None,
};
pub(crate) const NATURAL_INT: Shape = Shape::Int {
    min: Some(0),
    max: None,
};
pub(crate) const ANY_INT: Shape = Shape::Int {
    min: None,
    max: None,
};
pub(crate) const fn limit(max: i64) -> Shape {
    Shape::Int {
        min: Some(1),
        max: Some(max),
    }
}
pub(crate) const ITERATOR_TYPE: Shape = Shape::Enum(&[
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
    "TRIM_HORIZON",
    "LATEST",
    "AT_TIMESTAMP",
]);
pub(crate) const STREAM_MODE_DETAILS: Shape = Shape::Struct(&[Member {
    name: "StreamMode",
    shape: &Shape::Enum(&["PROVISIONED", "ON_DEMAND"]),
    required: true,
}]);

/// A member shorthand: `opt("StreamName", &STREAM_NAME)`.
pub(crate) const fn opt(name: &'static str, shape: &'static Shape) -> Member {
    Member {
        name,
        shape,
        required: false,
    }
}

/// A required member.
pub(crate) const fn req(name: &'static str, shape: &'static Shape) -> Member {
    Member {
        name,
        shape,
        required: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MEMBERS: &[Member] = &[
        req("StreamName", &STREAM_NAME),
        opt("Limit", &limit(10_000)),
        opt(
            "Records",
            &Shape::List {
                min: 1,
                max: 2,
                member: &Shape::Struct(&[req("Data", &DATA), req("PartitionKey", &PARTITION_KEY)]),
            },
        ),
    ];

    #[test]
    fn aggregates_violations_in_member_order() {
        let e = check(&json!({"StreamName": "a/b", "Limit": 0}), MEMBERS).unwrap_err();
        assert_eq!(e.kind, "ValidationException");
        assert_eq!(
            e.message,
            "2 validation errors detected: Value 'a/b' at 'streamName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value '0' at 'limit' \
             failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
        let e = check(&json!({"Limit": 5}), MEMBERS).unwrap_err();
        assert_eq!(
            e.message,
            "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null"
        );
        assert!(check(&json!({"StreamName": "ok", "Limit": 5}), MEMBERS).is_ok());
    }

    #[test]
    fn nested_paths_and_blobs() {
        let e = check(
            &json!({"StreamName": "s", "Records": [{"Data": "AAAA", "PartitionKey": ""}, {"PartitionKey": "k"}]}),
            MEMBERS,
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "2 validation errors detected: Value '' at 'records.1.member.partitionKey' failed to satisfy \
             constraint: Member must have length greater than or equal to 1; Value null at \
             'records.2.member.data' failed to satisfy constraint: Member must not be null"
        );
        let e = check(
            &json!({"StreamName": "s", "Records": [{"Data": "!!", "PartitionKey": "k"}]}),
            MEMBERS,
        )
        .unwrap_err();
        assert_eq!(e.kind, "SerializationException");
    }

    #[test]
    fn wrong_types_are_serialization_errors() {
        for bad in [
            json!({"StreamName": 5}),
            json!({"StreamName": "s", "Limit": "5"}),
            json!([]),
        ] {
            assert_eq!(
                check(&bad, MEMBERS).unwrap_err().kind,
                "SerializationException",
                "{bad}"
            );
        }
    }

    #[test]
    fn patterns() {
        assert!(is_stream_arn(
            "arn:aws:kinesis:us-east-1:000000000000:stream/s"
        ));
        assert!(!is_stream_arn("arn:aws:kinesis:us-east-1:0000:stream/s"));
        assert!(!is_stream_arn(
            "arn:aws:kinesis:us-east-1:000000000000:stream/"
        ));
        assert!(is_consumer_arn(
            "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:17"
        ));
        assert!(!is_consumer_arn(
            "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:"
        ));
        assert!(
            is_hash_key("0")
                && is_hash_key(&"9".repeat(39))
                && !is_hash_key("01")
                && !is_hash_key(&"9".repeat(40))
        );
        assert_eq!(base64_len("AAAA"), Some(3));
        assert_eq!(base64_len("AA=="), Some(1));
        assert_eq!(base64_len(""), Some(0));
        assert_eq!(base64_len("A==="), None);
        assert_eq!(base64_len("AA"), None);
    }
}

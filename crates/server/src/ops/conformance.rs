//! Conformance cases generated from the service model (`crate::model`): for every operation served,
//! the answer to an empty request, to each member of the wrong type, and to each member at and
//! just beyond each bound of its constraints. Expected answers are built from the model's shapes
//! with AWS's wording (`__type`, status and message), independently of the operation tables.

use super::OPERATIONS;
use crate::codec::Encoding;
use crate::error::ApiError;
use crate::model::{ModelMember, ModelShape, OPERATIONS as MODEL};
use serde_json::{json, Value};
use shardlog::{Store, StoreOptions};

/// What a case must answer.
#[derive(Debug)]
enum Expect {
    /// Exactly this error.
    Error(&'static str, String),
    /// Anything but a validation error that names `path` (the member was valid).
    NotAbout(String),
}

#[derive(Debug)]
struct Case {
    op: &'static str,
    what: String,
    input: Value,
    expect: Expect,
}

/// AWS's lower-first member path.
fn path(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

fn null_violation(m: &ModelMember) -> String {
    format!(
        "Value null at '{}' failed to satisfy constraint: Member must not be null",
        path(m.name)
    )
}

/// The ValidationException for `own` violations of member `at`, plus the required members left out.
fn validation(members: &[ModelMember], at: &str, own: &[String]) -> Option<(&'static str, String)> {
    let mut found = Vec::new();
    for m in members {
        if m.name == at {
            found.extend(own.iter().cloned());
        } else if m.required {
            found.push(null_violation(m));
        }
    }
    if found.is_empty() {
        return None;
    }
    let n = found.len();
    let listed: Vec<String> = found.into_iter().take(10).collect();
    let plural = if n == 1 { "" } else { "s" };
    Some((
        "ValidationException",
        format!(
            "{n} validation error{plural} detected: {}",
            listed.join("; ")
        ),
    ))
}

/// A value of the wrong type for `shape`, and the SerializationException it must get.
fn wrong_type(shape: &ModelShape) -> (Value, String) {
    match shape {
        ModelShape::String { .. } | ModelShape::Enum(_) => (
            json!(true),
            "class java.lang.Boolean can not be converted to an String".into(),
        ),
        ModelShape::Blob { .. } => (
            json!(true),
            "class java.lang.Boolean can not be converted to a Blob".into(),
        ),
        ModelShape::Integer { .. } => (
            json!("7"),
            "class java.lang.String can not be converted to an Integer".into(),
        ),
        ModelShape::Boolean => (
            json!("yes"),
            "class java.lang.String can not be converted to a Boolean".into(),
        ),
        ModelShape::Timestamp => (
            json!(true),
            "class java.lang.Boolean can not be converted to milliseconds since epoch".into(),
        ),
        ModelShape::List { .. } => (json!("x"), "Expected list or null".into()),
        ModelShape::Map { .. } => (json!("x"), "Expected map or null".into()),
        ModelShape::Structure(_) => (json!("x"), "Expected null".into()),
    }
}

/// A string of `n` characters that satisfies `pattern` when any string of that length can:
/// names and identifiers (`a`), digits for decimal patterns.
fn text(n: usize, pattern: Option<&str>) -> String {
    match pattern {
        Some(p) if p.contains("\\d{0,") => "1".repeat(n),
        _ => "a".repeat(n),
    }
}

/// Whether `s` satisfies the model's pattern, as far as these generated strings go: only runs of
/// `a` or of `1` are generated, so the patterns that accept them are known.
fn satisfies(pattern: Option<&str>, s: &str) -> bool {
    let Some(p) = pattern else {
        return true;
    };
    match p {
        "[a-zA-Z0-9_.-]+" => !s.is_empty(),
        p if p.contains("\\d{0,") => {
            let max: usize = p
                .rsplit_once("\\d{0,")
                .and_then(|(_, r)| r.split('}').next())
                .and_then(|d| d.parse().ok())
                .unwrap_or(0);
            !s.is_empty() && !s.starts_with('0') && s.len() <= max + 1
        }
        // ARNs and ids: no run of one character matches them.
        _ => false,
    }
}

/// The cases for one member: wrong type, and at and beyond each bound of its shape.
fn member_cases(op: &'static str, members: &[ModelMember], m: &ModelMember, out: &mut Vec<Case>) {
    let p = path(m.name);
    let case = |what: String, value: Value, expect: Expect| Case {
        op,
        what: format!("{} {what}", m.name),
        input: json!({ m.name: value }),
        expect,
    };
    let (bad, message) = wrong_type(m.shape);
    out.push(case(
        "of the wrong type".into(),
        bad,
        Expect::Error("SerializationException", message),
    ));
    let violation = |shown: &str, constraint: String| {
        format!("Value {shown} at '{p}' failed to satisfy constraint: {constraint}")
    };
    let expect_for = |own: Vec<String>| match validation(members, m.name, &own) {
        Some((kind, message)) if !own.is_empty() => Expect::Error(kind, message),
        _ => Expect::NotAbout(format!("'{p}'")),
    };
    match m.shape {
        ModelShape::String { min, max, pattern } => {
            let lengths = [
                min.map(|n| n - 1),
                *min,
                *max,
                max.filter(|n| *n <= 4096).map(|n| n + 1),
            ];
            for n in lengths.into_iter().flatten().filter(|n| *n >= 0) {
                let n = usize::try_from(n).unwrap_or(0);
                if n > 4097 {
                    continue;
                }
                let s = text(n, *pattern);
                let matches = satisfies(*pattern, &s);
                let shown = format!("'{s}'");
                let mut own = Vec::new();
                if !matches {
                    let c = format!(
                        "Member must satisfy regular expression pattern: {}",
                        pattern.unwrap_or_default()
                    );
                    own.push(violation(&shown, c));
                }
                if min.is_some_and(|min| (n as i64) < min) {
                    let c = format!(
                        "Member must have length greater than or equal to {}",
                        min.unwrap_or_default()
                    );
                    own.push(violation(&shown, c));
                }
                if max.is_some_and(|max| (n as i64) > max) {
                    let c = format!(
                        "Member must have length less than or equal to {}",
                        max.unwrap_or_default()
                    );
                    own.push(violation(&shown, c));
                }
                out.push(case(
                    format!("of {n} characters"),
                    json!(s),
                    expect_for(own),
                ));
            }
        }
        ModelShape::Integer { min, max } => {
            let values = [min.map(|n| n - 1), *min, *max, max.map(|n| n + 1)];
            for v in values.into_iter().flatten() {
                let shown = format!("'{v}'");
                let mut own = Vec::new();
                if let Some(min) = min.filter(|min| v < *min) {
                    let c = format!("Member must have value greater than or equal to {min}");
                    own.push(violation(&shown, c));
                }
                if let Some(max) = max.filter(|max| v > *max) {
                    let c = format!("Member must have value less than or equal to {max}");
                    own.push(violation(&shown, c));
                }
                out.push(case(format!("= {v}"), json!(v), expect_for(own)));
            }
        }
        ModelShape::Enum(values) => {
            let c = format!(
                "Member must satisfy enum value set: [{}]",
                values.join(", ")
            );
            let own = vec![violation("'NOT_A_VALUE'", c)];
            out.push(case(
                "outside its values".into(),
                json!("NOT_A_VALUE"),
                expect_for(own),
            ));
            for v in values.iter() {
                out.push(case(format!("= {v}"), json!(v), expect_for(Vec::new())));
            }
        }
        ModelShape::List { min: Some(min), .. } if *min >= 1 => {
            let c = format!("Member must have length greater than or equal to {min}");
            let own = vec![violation("'[]'", c)];
            out.push(case("empty".into(), json!([]), expect_for(own)));
        }
        ModelShape::Map { min: Some(min), .. } if *min >= 1 => {
            let c = format!("Member must have length greater than or equal to {min}");
            let own = vec![violation("'{}'", c)];
            out.push(case("empty".into(), json!({}), expect_for(own)));
        }
        _ => {}
    }
}

/// Every case of every served operation.
fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for op in OPERATIONS {
        let Some(model) = MODEL.iter().find(|m| m.name == op.name) else {
            continue;
        };
        let members: &[ModelMember] = match model.input {
            Some(ModelShape::Structure(members)) => members,
            _ => &[],
        };
        let empty = match validation(members, "", &[]) {
            Some((kind, message)) => Expect::Error(kind, message),
            None => Expect::NotAbout("'".into()),
        };
        out.push(Case {
            op: op.name,
            what: "an empty request".into(),
            input: json!({}),
            expect: empty,
        });
        for m in members {
            member_cases(op.name, members, m, &mut out);
        }
    }
    out
}

fn answer(store: &Store, case: &Case) -> Result<(), ApiError> {
    let op = super::find(case.op).ok_or_else(|| ApiError::new("UnknownOperationException", ""))?;
    let body = serde_json::to_vec(&case.input).unwrap_or_default();
    if op.streams() {
        // SubscribeToShard decodes its input before it opens the stream; the same decode here.
        return Encoding::Json
            .decode_typed::<crate::shapes::SubscribeToShardInput>(&body, op.input)
            .map(drop);
    }
    op.call(store, &body, Encoding::Json).map(drop)
}

#[test]
fn every_operation_answers_the_generated_cases_as_aws_does() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let opts = StoreOptions {
        retention_interval: None,
        segment_bytes: 64 << 10,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), opts).unwrap_or_else(|e| panic!("{e}"));
    let cases = cases();
    let mut wrong = Vec::new();
    for case in &cases {
        let got = answer(&store, case);
        let ok = match (&case.expect, &got) {
            (Expect::Error(kind, message), Err(e)) => e.kind == *kind && &e.message == message,
            (Expect::Error(..), Ok(())) => false,
            (Expect::NotAbout(_), Ok(())) => true,
            (Expect::NotAbout(at), Err(e)) => {
                e.kind != "SerializationException"
                    && !(e.kind == "ValidationException" && e.message.contains(at.as_str()))
            }
        };
        if !ok {
            wrong.push(format!(
                "{} with {}: expected {:?}, got {:?}",
                case.op, case.what, case.expect, got
            ));
        }
    }
    println!("{} generated cases, {} wrong", cases.len(), wrong.len());
    assert!(
        wrong.is_empty(),
        "{} of {} cases differ:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
    // The generator reaches every served operation and most members.
    assert!(cases.len() > 300, "only {} cases", cases.len());
}

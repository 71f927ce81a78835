//! The operation table held to the service model (`crate::model`, derived from botocore): every
//! operation we serve takes exactly the model's members, in the model's order, with the model's
//! constraints; and the model's operations we do not serve are a known, shrinking list.

use super::OPERATIONS;
use crate::model::{ModelMember, ModelShape, OPERATIONS as MODEL};
use crate::validate::{Member, Shape};

/// The model's operations this server does not answer yet.
const NOT_SERVED: &[&str] = &[];

fn opt_eq(ours: usize, theirs: Option<i64>, unbounded: i64) -> bool {
    i64::try_from(ours).unwrap_or(i64::MAX) == theirs.unwrap_or(unbounded)
}

/// Differences between one of our shapes and the model's, each as a line naming its path.
fn compare(at: &str, ours: &Shape, theirs: &ModelShape, out: &mut Vec<String>) {
    let mut differ = |what: String| out.push(format!("{at}: {what}"));
    match (ours, theirs) {
        (
            Shape::Str { min, max, pattern },
            ModelShape::String {
                min: m,
                max: x,
                pattern: p,
            },
        ) => {
            if !opt_eq(*min, *m, 0) || !opt_eq(*max, *x, i64::MAX) {
                differ(format!("length {min}..={max}, model {m:?}..={x:?}"));
            }
            if pattern.as_ref().map(|p| p.text) != *p {
                differ(format!(
                    "pattern {:?}, model {p:?}",
                    pattern.as_ref().map(|p| p.text)
                ));
            }
        }
        (Shape::Int { min, max }, ModelShape::Integer { min: m, max: x }) => {
            if min != m || max != x {
                differ(format!("range {min:?}..={max:?}, model {m:?}..={x:?}"));
            }
        }
        (Shape::Bool, ModelShape::Boolean) | (Shape::Timestamp, ModelShape::Timestamp) => {}
        (Shape::Blob { max }, ModelShape::Blob { max: x }) => {
            if !opt_eq(*max, *x, i64::MAX) {
                differ(format!("blob of at most {max}, model {x:?}"));
            }
        }
        (Shape::Enum(values), ModelShape::Enum(model)) => {
            if values != model {
                differ(format!("values {values:?}, model {model:?}"));
            }
        }
        (
            Shape::List { min, max, member },
            ModelShape::List {
                min: m,
                max: x,
                member: mm,
            },
        ) => {
            if !opt_eq(*min, *m, 0) || !opt_eq(*max, *x, i64::MAX) {
                differ(format!("list of {min}..={max}, model {m:?}..={x:?}"));
            }
            compare(&format!("{at}[]"), member, mm, out);
        }
        (
            Shape::Map {
                min,
                max,
                key,
                value,
            },
            ModelShape::Map {
                min: m,
                max: x,
                key: k,
                value: v,
            },
        ) => {
            if !opt_eq(*min, *m, 0) || !opt_eq(*max, *x, i64::MAX) {
                differ(format!("map of {min}..={max}, model {m:?}..={x:?}"));
            }
            compare(&format!("{at}{{key}}"), key, k, out);
            compare(&format!("{at}{{value}}"), value, v, out);
        }
        (Shape::Struct(members), ModelShape::Structure(model)) => {
            compare_members(at, members, model, out)
        }
        (ours, theirs) => differ(format!("{ours:?} where the model has {theirs:?}")),
    }
}

fn compare_members(at: &str, ours: &[Member], model: &[ModelMember], out: &mut Vec<String>) {
    let names: Vec<(&str, bool)> = ours.iter().map(|m| (m.name, m.required)).collect();
    let expected: Vec<(&str, bool)> = model.iter().map(|m| (m.name, m.required)).collect();
    if names != expected {
        out.push(format!("{at}: members {names:?}, model {expected:?}"));
        return;
    }
    for (o, m) in ours.iter().zip(model) {
        compare(&format!("{at}.{}", m.name), o.shape, m.shape, out);
    }
}

#[test]
fn every_served_operation_takes_the_models_members_and_constraints() {
    let mut differences = Vec::new();
    for op in OPERATIONS {
        let Some(model) = MODEL.iter().find(|m| m.name == op.name) else {
            differences.push(format!("{}: not an operation of the model", op.name));
            continue;
        };
        match model.input {
            Some(ModelShape::Structure(members)) => {
                compare_members(op.name, op.input, members, &mut differences)
            }
            None if op.input.is_empty() => {}
            other => differences.push(format!("{}: model input {other:?}", op.name)),
        }
    }
    assert!(
        differences.is_empty(),
        "{} differences from the model:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

#[test]
fn the_models_operations_are_served_or_known_to_be_missing() {
    let served: Vec<&str> = OPERATIONS.iter().map(|op| op.name).collect();
    let missing: Vec<&str> = MODEL
        .iter()
        .map(|m| m.name)
        .filter(|name| !served.contains(name))
        .collect();
    assert_eq!(
        missing, NOT_SERVED,
        "update NOT_SERVED when an operation lands"
    );
}

//! Open bugs that fuzzing found in the HTTP edge and that are not fixed yet (see
//! `known-failures.txt`). Outside strict mode ([`crate::strict`]) the checks step around the
//! answers these predicates match, so a long run finds new bugs instead of these again; when a bug
//! is fixed, delete its predicate and its lines in `known-failures.txt`.

use serde_json::Value;

/// True if a 500 from the lease service is one of the open bugs:
///
/// - B13: a lease key part over the lease table's limits (an application, stream or shard id
///   longer than 160 bytes, or an empty one) fails in `shardlog-checkpoint` with
///   `Error::InvalidArgument`, which the engine reports as `InternalFailure` (500);
/// - B14: a lease whose encoding is over 1,024 bytes (many parent or child shard ids, a long
///   owner or checkpoint) fails with `Error::ValueTooLarge`, also a 500 (the predicate covers
///   `KeyTooLarge` too, which the same mapping turns into a 500).
///
/// Both are client input that should be a `ValidationException` (400).
pub fn lease_open_bug(answer: &Value) -> bool {
    let message = answer["message"].as_str().unwrap_or_default();
    answer["__type"] == "InternalFailure"
        && (message.starts_with("invalid argument: ")
            || (message.starts_with("value of ") && message.contains("largest storable value"))
            || (message.starts_with("key of ") && message.contains(" bytes is outside ")))
}

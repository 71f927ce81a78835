//! Object keys: the output key template, and the name derived from a batch's sequence range.
//!
//! A key is the template with its variables filled in, then `-<shard id>-<first>-<last>` (the
//! sequence numbers of the batch's first and last record) before the extension, Kinesis' "unique
//! suffix". The time variables are those of the first record's arrival, not of the write, so a
//! batch written again after a crash gets the same key and replaces its object.

use crate::error::{Error, Result};

/// Kinesis' default template.
pub(crate) const DEFAULT_TEMPLATE: &str = "kinesis-channel/!{channel-name}/!{channel-id}/!{yyyy}/!{MM}/!{dd}/!{HH}/!{channel-name}-!{channel-id}-!{yyyy}-!{MM}-!{dd}-!{HH}-!{mm}!{extension}";
/// The prefix of dead-letter objects when the channel names none.
pub(crate) const DEFAULT_ERROR_PREFIX: &str = "kinesis-channel-errors/";
const VARIABLES: [&str; 10] = [
    "channel-name",
    "channel-id",
    "stream-name",
    "shard-id",
    "yyyy",
    "MM",
    "dd",
    "HH",
    "mm",
    "extension",
];
const MAX_TEMPLATE: usize = 1024;

/// What a key is made of.
pub(crate) struct KeyParts<'a> {
    pub channel_name: &'a str,
    pub channel_id: &'a str,
    pub stream_name: &'a str,
    pub shard_id: &'a str,
    /// Arrival of the batch's first record, ms since the epoch.
    pub first_arrival_ms: u64,
    pub first_seq: &'a str,
    pub last_seq: &'a str,
    pub extension: &'a str,
}

/// Refuses a template that is not one: unknown or unbalanced variables, characters outside the
/// model's pattern, a path that climbs or ends in `/`.
pub(crate) fn check_template(t: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::InvalidArgument(format!(
            "Invalid OutputKeyTemplate {t}: {why}."
        )))
    };
    if t.is_empty() || t.len() > MAX_TEMPLATE {
        return bad("it must have 1 to 1024 characters");
    }
    if !t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!-_'.*()/=:{}".contains(&b))
    {
        return bad("it may hold only letters, digits and !-_'.*()/=:{}");
    }
    if t.starts_with('/') || t.ends_with('/') || t.contains("//") {
        return bad("it must not start or end with / or hold an empty path segment");
    }
    if t.split('/').any(|seg| seg == "." || seg == "..") {
        return bad("it must not hold . or .. path segments");
    }
    let mut rest = t;
    let mut found = false;
    while let Some(i) = rest.find("!{") {
        if rest[..i].contains(['{', '}']) {
            return bad("braces are only allowed around variables");
        }
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            return bad("every !{ needs a matching }");
        };
        if !VARIABLES.contains(&&after[..end]) {
            return bad(&format!("unknown variable !{{{}}}", &after[..end]));
        }
        found = true;
        rest = &after[end + 1..];
    }
    if rest.contains('{') || rest.contains('}') {
        return bad("braces are only allowed around variables");
    }
    if !found {
        return bad("it needs at least one variable");
    }
    Ok(())
}

/// The key of a batch's object under `template` (checked at creation).
pub(crate) fn object_key(template: &str, p: &KeyParts<'_>) -> String {
    let (body, ext) = match template.strip_suffix("!{extension}") {
        Some(body) => (body, p.extension),
        None => (template, ""),
    };
    format!(
        "{}-{}-{}-{}{ext}",
        fill(body, p),
        p.shard_id,
        p.first_seq,
        p.last_seq
    )
}

/// The key of a batch's dead-letter object.
pub(crate) fn error_key(prefix: &str, p: &KeyParts<'_>) -> String {
    let tail = fill(
        "!{channel-name}/!{channel-id}/!{yyyy}/!{MM}/!{dd}/!{HH}/!{channel-name}-!{channel-id}",
        p,
    );
    format!(
        "{prefix}{tail}-{}-{}-{}.json",
        p.shard_id, p.first_seq, p.last_seq
    )
}

fn fill(template: &str, p: &KeyParts<'_>) -> String {
    let (y, mo, d, h, mi) = utc(p.first_arrival_ms);
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find("!{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find('}').unwrap_or(after.len());
        let value = match &after[..end] {
            "channel-name" => p.channel_name.to_string(),
            "channel-id" => p.channel_id.to_string(),
            "stream-name" => p.stream_name.to_string(),
            "shard-id" => p.shard_id.to_string(),
            "yyyy" => format!("{y:04}"),
            "MM" => format!("{mo:02}"),
            "dd" => format!("{d:02}"),
            "HH" => format!("{h:02}"),
            "mm" => format!("{mi:02}"),
            "extension" => p.extension.to_string(),
            _ => String::new(),
        };
        out.push_str(&value);
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Year, month, day, hour and minute (UTC) of `ms` since the epoch (H. Hinnant's
/// `civil_from_days`).
fn utc(ms: u64) -> (i64, i64, i64, i64, i64) {
    let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    let (days, of_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, of_day / 3600, of_day % 3600 / 60)
}

/// The bucket of `arn:aws...:s3:::<bucket>`, if it is one (3–63 of `[a-z0-9._-]`).
pub(crate) fn bucket_of(arn: &str) -> Option<&str> {
    let (head, bucket) = arn.split_once(":::")?;
    let partition_ok = head
        .strip_prefix("arn:aws")
        .and_then(|p| p.strip_suffix(":s3"))
        .is_some_and(|p| {
            p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    let name_ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_".contains(&b));
    (partition_ok && name_ok).then_some(bucket)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> KeyParts<'static> {
        KeyParts {
            channel_name: "c",
            channel_id: "id",
            stream_name: "s",
            shard_id: "shardId-000000000001",
            first_arrival_ms: 1_700_000_000_000,
            first_seq: "10",
            last_seq: "12",
            extension: ".json.gz",
        }
    }

    #[test]
    fn the_default_template_names_the_batch_range_before_the_extension() {
        assert!(check_template(DEFAULT_TEMPLATE).is_ok());
        assert_eq!(
            object_key(DEFAULT_TEMPLATE, &parts()),
            "kinesis-channel/c/id/2023/11/14/22/c-id-2023-11-14-22-13-shardId-000000000001-10-12.json.gz"
        );
        assert_eq!(
            object_key("x/!{shard-id}", &parts()),
            "x/shardId-000000000001-shardId-000000000001-10-12"
        );
        assert_eq!(
            error_key(DEFAULT_ERROR_PREFIX, &parts()),
            "kinesis-channel-errors/c/id/2023/11/14/22/c-id-shardId-000000000001-10-12.json"
        );
    }

    #[test]
    fn bad_templates_are_refused() {
        for t in [
            "",
            "a/",
            "/a",
            "a/../!{yyyy}",
            "!{nope}",
            "!{yyyy",
            "plain",
            "a b!{yyyy}",
            "a//!{yyyy}",
            "{x}!{yyyy}",
        ] {
            assert!(check_template(t).is_err(), "{t:?}");
        }
    }

    #[test]
    fn bucket_arns() {
        assert_eq!(bucket_of("arn:aws:s3:::my-bucket"), Some("my-bucket"));
        assert_eq!(bucket_of("arn:aws-cn:s3:::abc"), Some("abc"));
        assert_eq!(bucket_of("arn:aws:s3:::ab"), None);
        assert_eq!(bucket_of("arn:aws:s3:::Upper"), None);
        assert_eq!(bucket_of("arn:aws:s3:::a/b"), None);
        assert_eq!(bucket_of("arn:aws:kinesis:::abc"), None);
    }
}

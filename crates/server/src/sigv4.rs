//! Optional AWS Signature Version 4 verification against configured credentials.
//!
//! Off by default (local clients sign with dummy keys). When on, a request must carry an
//! `Authorization: AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/<service>/aws4_request,
//! SignedHeaders=..., Signature=...` header whose signature matches the one computed here over the
//! method, path, query, signed headers and body hash; anything else is refused before the request
//! is decoded.

use crate::error::ApiError;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// An access key pair requests must be signed with.
///
/// ```
/// use shardlog_server::Credentials;
/// let c = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
/// assert_eq!(c.access_key_id, "AKIDEXAMPLE");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id clients name in `Credential=`.
    pub access_key_id: String,
    secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// A key pair.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret: secret_access_key.into(),
        }
    }
}

/// What verification needs of a request.
pub(crate) struct Signed<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// Header (lower-case name, value) pairs.
    pub headers: Vec<(&'a str, &'a str)>,
    pub body: &'a [u8],
}

/// Verifies a request's signature.
/// The region of an `Authorization` header's credential scope
/// (`Credential=<key id>/<date>/<region>/<service>/aws4_request`), whether or not signatures are
/// checked: a client configured for a region expects its ARNs to name it.
pub(crate) fn scope_region(authorization: &str) -> Option<&str> {
    let credential = authorization.split_once("Credential=")?.1;
    let scope = credential.split([',', ' ']).next()?;
    match scope.split('/').collect::<Vec<_>>()[..] {
        [_, _, region, _, "aws4_request"] if !region.is_empty() => Some(region),
        _ => None,
    }
}

/// How far a request's `X-Amz-Date` may be from the server's clock, as on AWS.
const MAX_SKEW_MS: u64 = 15 * 60 * 1000;

/// Headers every signature must cover: without `x-amz-target` a captured signature could be
/// replayed as another operation, without `host` against another endpoint.
const REQUIRED_SIGNED: [(&str, &str); 3] = [
    (
        "host",
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    ),
    (
        "x-amz-date",
        "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
    ),
    (
        "x-amz-target",
        "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.",
    ),
];

/// The parts of a request's `Authorization` that can be checked before its body is read.
#[derive(Debug)]
pub(crate) struct Authorization<'a> {
    amz_date: &'a str,
    scope: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

/// Checks everything of a request's signature but the signature itself, in AWS's order: present,
/// well formed, a known key, the required headers signed, `X-Amz-Date` within 15 minutes of
/// `now_ms` and the credential scope of the same day. Needs no body, so the server runs it before
/// reading a large one.
pub(crate) fn authorization<'a>(
    creds: &Credentials,
    headers: &[(&'a str, &'a str)],
    now_ms: u64,
) -> Result<Authorization<'a>, ApiError> {
    let a = parse(creds, headers)?;
    a.check(now_ms)?;
    Ok(a)
}

/// The `Authorization` header's parts, from a known key.
fn parse<'a>(
    creds: &Credentials,
    headers: &[(&'a str, &'a str)],
) -> Result<Authorization<'a>, ApiError> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    };
    let auth = header("authorization").ok_or_else(|| {
        ApiError::new(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )
    })?;
    let incomplete = || {
        ApiError::new(
            "IncompleteSignatureException",
            format!("Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters; got '{auth}'."),
        )
    };
    let params = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(incomplete)?;
    let field = |name: &str| {
        params
            .split(',')
            .map(str::trim)
            .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
    };
    let (credential, signed_headers, signature) = match (
        field("Credential"),
        field("SignedHeaders"),
        field("Signature"),
    ) {
        (Some(c), Some(h), Some(s)) => (c, h, s),
        _ => return Err(incomplete()),
    };
    let amz_date = header("x-amz-date").ok_or_else(|| {
        ApiError::new(
            "IncompleteSignatureException",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    })?;
    let (key_id, scope) = credential.split_once('/').ok_or_else(incomplete)?;
    if key_id != creds.access_key_id {
        return Err(ApiError::new(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }
    let parts: Vec<&str> = scope.split('/').collect();
    let [date, region, service, "aws4_request"] = parts[..] else {
        return Err(incomplete());
    };
    Ok(Authorization {
        amz_date,
        scope,
        date,
        region,
        service,
        signed_headers,
        signature,
    })
}

impl Authorization<'_> {
    /// What makes a valid signature unusable elsewhere or later: the headers it must cover, its
    /// time and the day of its scope.
    fn check(&self, now_ms: u64) -> Result<(), ApiError> {
        for (name, message) in REQUIRED_SIGNED {
            if !self.signed_headers.split(';').any(|h| h == name) {
                return Err(ApiError::new("InvalidSignatureException", message));
            }
        }
        check_fresh(self.amz_date, now_ms)?;
        if !self.amz_date.starts_with(self.date) || self.date.len() != 8 {
            return Err(ApiError::new(
                "InvalidSignatureException",
                format!(
                    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
                    self.date,
                    self.amz_date.get(..8).unwrap_or(self.amz_date),
                    self.amz_date
                ),
            ));
        }
        Ok(())
    }

    /// Compares the signature with the one computed over the request, in constant time.
    fn matches(&self, creds: &Credentials, req: &Signed<'_>) -> Result<(), ApiError> {
        let canonical = canonical_request(req, self.signed_headers);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{}\n{}\n{}",
            self.amz_date,
            self.scope,
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let mut key = hmac(
            format!("AWS4{}", creds.secret).as_bytes(),
            self.date.as_bytes(),
        );
        for part in [self.region, self.service, "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        let expected = hex(&hmac(&key, to_sign.as_bytes()));
        let same = expected.len() == self.signature.len()
            && expected
                .bytes()
                .zip(self.signature.bytes())
                .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                == 0;
        if !same {
            return Err(ApiError::new(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ));
        }
        Ok(())
    }
}

/// Refuses an `X-Amz-Date` more than 15 minutes from `now_ms`, with AWS's messages.
fn check_fresh(amz_date: &str, now_ms: u64) -> Result<(), ApiError> {
    let Some(at_ms) = amz_time::parse(amz_date) else {
        return Err(ApiError::new(
            "IncompleteSignatureException",
            format!("Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"),
        ));
    };
    let now = amz_time::format(now_ms);
    if at_ms.saturating_add(MAX_SKEW_MS) < now_ms {
        let bound = amz_time::format(now_ms - MAX_SKEW_MS);
        return Err(ApiError::new(
            "InvalidSignatureException",
            format!("Signature expired: {amz_date} is now earlier than {bound} ({now} - 15 min.)"),
        ));
    }
    if at_ms > now_ms.saturating_add(MAX_SKEW_MS) {
        let bound = amz_time::format(now_ms + MAX_SKEW_MS);
        return Err(ApiError::new(
            "InvalidSignatureException",
            format!("Signature not yet current: {amz_date} is still later than {bound} ({now} + 15 min.)"),
        ));
    }
    Ok(())
}

/// Verifies a request's signature at `now_ms`: [`authorization`], then the signature over the
/// method, path, query, signed headers and body.
pub(crate) fn verify(creds: &Credentials, req: &Signed<'_>, now_ms: u64) -> Result<(), ApiError> {
    authorization(creds, &req.headers, now_ms)?.matches(creds, req)
}

/// Epoch milliseconds of an `X-Amz-Date`.
pub(crate) fn amz_date_ms(amz_date: &str) -> Option<u64> {
    amz_time::parse(amz_date)
}

/// `X-Amz-Date` times (`20261206T073000Z`, UTC) to and from epoch milliseconds.
mod amz_time {
    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn civil_from_days(z: i64) -> (i64, i64, i64) {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        (yoe + era * 400 + i64::from(m <= 2), m, d)
    }

    /// Epoch ms of `YYYYMMDDTHHMMSSZ`, or `None` if it is not one.
    pub fn parse(s: &str) -> Option<u64> {
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let (y, mo, d) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
        let (h, mi, sec) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec;
        u64::try_from(secs).ok().map(|s| s * 1000)
    }

    pub fn format(ms: u64) -> String {
        let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX / 2);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let t = secs.rem_euclid(86_400);
        format!(
            "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
            t / 3600,
            t % 3600 / 60,
            t % 60
        )
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn round_trips_and_refuses_what_is_not_a_date() {
            for ms in [0, 1_790_000_000_000, 951_782_400_000, 4_102_444_800_000] {
                assert_eq!(super::parse(&super::format(ms)), Some(ms));
            }
            assert_eq!(super::format(1_790_000_000_000), "20260921T141320Z");
            for bad in [
                "",
                "20261306T000000Z",
                "2026120T0000000Z",
                "20261206T000000",
                "2026-12-06T00:00",
            ] {
                assert_eq!(super::parse(bad), None, "{bad}");
            }
        }
    }
}

fn canonical_request(req: &Signed<'_>, signed_headers: &str) -> String {
    let mut out = format!(
        "{}\n{}\n{}\n",
        req.method,
        req.path,
        canonical_query(req.query)
    );
    for name in signed_headers.split(';') {
        // A repeated header is signed as all its values, in order, joined by commas (as the SDKs
        // sign it); signing only the first would refuse their correctly signed requests.
        let values: Vec<String> = req
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        out.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    out.push_str(&format!(
        "\n{signed_headers}\n{}",
        hex(&Sha256::digest(req.body))
    ));
    out
}

/// Parameters sorted by name, then by value, each as `name=value` (`name=` when it has no `=`).
/// Sorting the raw `name=value` strings instead puts `a-b=1` before `a=2` (`-` sorts before `=`),
/// unlike the SDKs, whose signatures then fail.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(&str, &str)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    pairs.sort_unstable();
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing (`fuzz/regressions/sigv4_parse`): the SDKs sort by name, then value.
    #[test]
    fn query_sorts_by_name_then_value() {
        assert_eq!(canonical_query("b=2&a-b=1&a&a=0"), "a=&a=0&a-b=1&b=2");
    }

    /// The AWS documentation's worked example (IAM ListUsers, GET, signed with its sample key).
    #[test]
    fn documented_example() {
        let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        let mut req = Signed {
            method: "GET",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers: vec![
                (
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                ("host", "iam.amazonaws.com"),
                ("x-amz-date", "20150830T123600Z"),
                ("authorization", auth),
            ],
            body: b"",
        };
        // The example signs no X-Amz-Target, which shardlog requires: compare the signature alone.
        let signature = |creds: &Credentials, req: &Signed<'_>| {
            parse(creds, &req.headers.clone())?.matches(creds, req)
        };
        signature(&creds, &req).unwrap();
        let at = amz_time::parse("20150830T123600Z").unwrap();
        assert_eq!(
            verify(&creds, &req, at).unwrap_err().message,
            "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."
        );
        req.body = b"x";
        assert_eq!(
            signature(&creds, &req).unwrap_err().kind,
            "InvalidSignatureException"
        );
        req.body = b"";
        let other = Credentials::new("AKIDEXAMPLE", "wrong");
        assert_eq!(
            signature(&other, &req).unwrap_err().kind,
            "InvalidSignatureException"
        );
        req.headers.pop();
        assert_eq!(
            verify(&creds, &req, at).unwrap_err().kind,
            "MissingAuthenticationTokenException"
        );
    }

    fn signed_at<'a>(auth: &'a str, amz_date: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![("authorization", auth), ("x-amz-date", amz_date)]
    }

    /// A captured request is good for 15 minutes either side of its date, as on AWS, and only for
    /// the day of its scope and the headers it signed.
    #[test]
    fn signatures_expire_and_must_cover_host_date_and_target() {
        let creds = Credentials::new("AKID", "secret");
        let auth = "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=00";
        let at = amz_time::parse("20261206T120000Z").unwrap();
        let minute = 60_000;
        let check =
            |date: &str, now: u64| authorization(&creds, &signed_at(auth, date), now).map(|_| ());
        check("20261206T120000Z", at).unwrap();
        check("20261206T120000Z", at + 15 * minute).unwrap();
        check("20261206T120000Z", at - 15 * minute).unwrap();
        let late = check("20261206T120000Z", at + 16 * minute).unwrap_err();
        assert_eq!((late.kind, late.message.as_str()), ("InvalidSignatureException",
            "Signature expired: 20261206T120000Z is now earlier than 20261206T120100Z (20261206T121600Z - 15 min.)"));
        let early = check("20261206T120000Z", at - 16 * minute).unwrap_err();
        assert_eq!(early.message,
            "Signature not yet current: 20261206T120000Z is still later than 20261206T115900Z (20261206T114400Z + 15 min.)");
        let yesterday = auth.replace("20261206/", "20261205/");
        let other_day = authorization(
            &creds,
            &signed_at(&yesterday, "20261206T000500Z"),
            at - 12 * 60 * minute,
        );
        assert!(other_day
            .unwrap_err()
            .message
            .starts_with("Date in Credential scope does not match"));
        for (unsigned, header) in [("host;", "'Host'"), (";x-amz-target", "'X-Amz-Target'")] {
            let auth = auth.replace(unsigned, "");
            let e = authorization(&creds, &signed_at(&auth, "20261206T120000Z"), at).unwrap_err();
            assert!(e.message.starts_with(header), "{}", e.message);
        }
    }
}

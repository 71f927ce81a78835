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

pub(crate) fn verify(creds: &Credentials, req: &Signed<'_>) -> Result<(), ApiError> {
    let header = |name: &str| {
        req.headers
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
    let amz_date = header("x-amz-date").ok_or_else(incomplete)?;
    let mut scope = credential.splitn(2, '/');
    let key_id = scope.next().unwrap_or_default();
    let scope = scope.next().ok_or_else(incomplete)?;
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
    let canonical = canonical_request(req, signed_headers);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{}", creds.secret).as_bytes(), date.as_bytes());
    for part in [region, service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let expected = hex(&hmac(&key, to_sign.as_bytes()));
    let same = expected.len() == signature.len()
        && expected
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(ApiError::new(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ));
    }
    Ok(())
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
        verify(&creds, &req).unwrap();
        req.body = b"x";
        assert_eq!(
            verify(&creds, &req).unwrap_err().kind,
            "InvalidSignatureException"
        );
        req.body = b"";
        let other = Credentials::new("AKIDEXAMPLE", "wrong");
        assert_eq!(
            verify(&other, &req).unwrap_err().kind,
            "InvalidSignatureException"
        );
        req.headers.pop();
        assert_eq!(
            verify(&creds, &req).unwrap_err().kind,
            "MissingAuthenticationTokenException"
        );
    }
}

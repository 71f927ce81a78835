//! `sigv4_parse`: the server's SigV4 `Authorization` parser and verifier
//! (`shardlog_server::fuzzing::verify_sigv4`) against a reference signer written here from the AWS
//! documentation ("Create a signed AWS API request").
//!
//! Input: byte 0 picks the mode, the rest builds a request (method, path, query, headers, body,
//! credentials, date and scope; grammar in [`Generated`]).
//! - Raw (mode % 4 == 0): the `Authorization` and `X-Amz-Date` values are arbitrary text.
//! - Signed (otherwise): the reference signer signs the request over a list of headers the input
//!   picks, with the separators real clients use.
//!
//! Checks: no panic; every refusal is a client error (400) of one of the four SigV4 error types;
//! a correctly signed request verifies; changing any one byte of the signature, of a signed
//! header's value or name, of the body, method, path, date or credential scope makes it fail.

use crate::input::Input;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use shardlog_server::fuzzing::{amz_date_ms, verify_sigv4};
use shardlog_server::{ApiError, Credentials};

/// The error types verification may answer.
pub const ERROR_KINDS: [&str; 4] = [
    "MissingAuthenticationTokenException",
    "IncompleteSignatureException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
];

/// Header names requests draw from; repeats make duplicate headers, which SigV4 signs joined by
/// commas. `authorization` and `x-amz-date` are added by the signer itself.
const HEADER_NAMES: [&str; 8] = [
    "host",
    "content-type",
    "x-amz-target",
    "content-length",
    "x-amz-content-sha256",
    "user-agent",
    "x-amz-security-token",
    "x-custom",
];

/// Characters of the unreserved set (RFC 3986), on which AWS's URI encoding is the identity.
const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
/// Visible ASCII, what a header value is made of (spaces are added separately).
const VISIBLE: std::ops::RangeInclusive<u8> = 0x21..=0x7e;

/// A request as the HTTP layer hands it to verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method, e.g. `POST`.
    pub method: String,
    /// Path as sent (no query).
    pub path: String,
    /// Query string as sent, without `?`.
    pub query: String,
    /// Headers in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// Verifies with the server's code, at the time the request says it was signed (so that
    /// freshness never decides; `sigv4`'s unit tests cover it).
    pub fn verify(&self, creds: &Credentials) -> Result<(), ApiError> {
        let now_ms = self.header("x-amz-date").and_then(amz_date_ms).unwrap_or(0);
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        verify_sigv4(
            now_ms,
            creds,
            &self.method,
            &self.path,
            &self.query,
            &headers,
            &self.body,
        )
    }

    /// The value of the first header named `name` (any case), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the reference signer needs besides the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// Access key id.
    pub key_id: String,
    /// Secret access key.
    pub secret: String,
    /// `YYYYMMDD`.
    pub date: String,
    /// Region of the credential scope.
    pub region: String,
    /// Service of the credential scope.
    pub service: String,
    /// Separator between the `Authorization` parameters: `", "` (the SDKs) or `","`.
    pub separator: &'static str,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this never fails; fall back to an empty MAC regardless.
    let Ok(mut m) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return Vec::new();
    };
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// AWS "Trimall": no leading or trailing spaces, runs of spaces as one.
fn trimall(v: &str) -> String {
    v.split(' ')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Canonical query: parameters sorted by name, then value; a name without `=` gets an empty value.
/// (The generator writes names and values already URI-encoded, so no re-encoding is needed.)
pub fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(&str, &str)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    pairs.sort_unstable();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Canonical headers for `signed` (lower-case, sorted, distinct): every value of a repeated header,
/// trimmed, joined by commas.
fn canonical_headers(req: &Request, signed: &[String]) -> String {
    let mut out = String::new();
    for name in signed {
        let values: Vec<String> = req
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| trimall(v))
            .collect();
        out.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    out
}

impl Signer {
    fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }

    /// The signature of `req` over the headers named in `signed`, at `amz_date`.
    pub fn signature(&self, req: &Request, signed: &[String], amz_date: &str) -> String {
        let canonical = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            req.method,
            req.path,
            canonical_query(&req.query),
            canonical_headers(req, signed),
            signed.join(";"),
            hex(&Sha256::digest(&req.body))
        );
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{}\n{}",
            self.scope(),
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let mut key = hmac(
            format!("AWS4{}", self.secret).as_bytes(),
            self.date.as_bytes(),
        );
        for part in [&self.region, &self.service, "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        hex(&hmac(&key, to_sign.as_bytes()))
    }

    /// Adds `X-Amz-Date` and an `Authorization` header signing `names` (any case, repeats
    /// allowed) plus the date; returns the signed header list.
    pub fn sign(&self, req: &mut Request, names: &[&str], amz_date: &str) -> Vec<String> {
        req.headers.push(("X-Amz-Date".into(), amz_date.into()));
        let mut signed: Vec<String> = names
            .iter()
            .map(|n| n.to_ascii_lowercase())
            .chain(["x-amz-date".to_string()])
            .collect();
        signed.sort();
        signed.dedup();
        let signature = self.signature(req, &signed, amz_date);
        let sep = self.separator;
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/{}{sep}SignedHeaders={}{sep}Signature={signature}",
            self.key_id,
            self.scope(),
            signed.join(";"),
        );
        req.headers.push(("Authorization".into(), auth));
        signed
    }

    /// The credentials the server checks against.
    pub fn credentials(&self) -> Credentials {
        Credentials::new(self.key_id.clone(), self.secret.clone())
    }
}

/// Picks characters from `alphabet`: a length byte (below `max`), then one byte per character.
fn token(r: &mut Input<'_>, alphabet: &[u8], min: usize, max: usize) -> String {
    let n = min + usize::from(r.byte()) % (max - min + 1);
    (0..n)
        .map(|_| char::from(alphabet[usize::from(r.byte()) % alphabet.len()]))
        .collect()
}

/// Arbitrary text: a length byte and that many bytes, as lossy UTF-8.
fn text(r: &mut Input<'_>) -> String {
    let n = usize::from(r.byte());
    String::from_utf8_lossy(r.bytes(n)).into_owned()
}

/// A header value: visible ASCII with single spaces between words, sometimes padded.
fn header_value(r: &mut Input<'_>) -> String {
    let visible: Vec<u8> = VISIBLE.collect();
    let words = usize::from(r.byte() % 4);
    let mut v: Vec<String> = (0..words).map(|_| token(r, &visible, 1, 40)).collect();
    if r.byte().is_multiple_of(8) {
        v.insert(0, String::new()); // a leading space, which canonicalisation drops
        v.push(String::new());
    }
    v.join(if r.byte().is_multiple_of(8) {
        "  "
    } else {
        " "
    })
}

/// A request and its signer, from the input.
///
/// Grammar: method byte; path (segments of unreserved characters); query (pairs, some without a
/// value); up to 7 headers (name from [`HEADER_NAMES`] in a case the input picks, value per
/// [`header_value`]); body (length byte); key id, secret, date, region, service, time; separator.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The request, before signing.
    pub req: Request,
    /// Who signs it.
    pub signer: Signer,
    /// `X-Amz-Date`.
    pub amz_date: String,
}

impl Generated {
    /// Reads one from the input.
    pub fn read(r: &mut Input<'_>) -> Generated {
        let method = ["POST", "GET", "PUT", "DELETE"][usize::from(r.byte() % 4)].to_string();
        let segments = usize::from(r.byte() % 3);
        let mut path = String::from("/");
        path.push_str(
            &(0..segments)
                .map(|_| token(r, UNRESERVED, 1, 8))
                .collect::<Vec<_>>()
                .join("/"),
        );
        let params = usize::from(r.byte() % 4);
        let query = (0..params)
            .map(|_| {
                let k = token(r, UNRESERVED, 1, 4);
                match r.byte() % 3 {
                    0 => k,
                    _ => format!("{k}={}", token(r, UNRESERVED, 0, 4)),
                }
            })
            .collect::<Vec<_>>()
            .join("&");
        let count = usize::from(r.byte() % 8);
        let headers = (0..count)
            .map(|_| {
                let name = HEADER_NAMES[usize::from(r.byte()) % HEADER_NAMES.len()];
                let name = if r.byte().is_multiple_of(4) {
                    name.to_ascii_uppercase()
                } else {
                    name.to_string()
                };
                (name, header_value(r))
            })
            .collect();
        let body_len = usize::from(r.byte());
        let body = r.bytes(body_len).to_vec();
        let digits = b"0123456789";
        let signer = Signer {
            key_id: token(r, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 1, 20),
            secret: token(r, &VISIBLE.collect::<Vec<u8>>(), 0, 40),
            date: calendar_date(&token(r, digits, 8, 8)),
            region: token(r, b"abcdefghijklmnopqrstuvwxyz0123456789-", 1, 14),
            service: token(r, b"abcdefghijklmnopqrstuvwxyz0123456789-", 1, 10),
            separator: if r.byte().is_multiple_of(2) {
                ", "
            } else {
                ","
            },
        };
        let amz_date = format!("{}T{}Z", signer.date, clock_time(&token(r, digits, 6, 6)));
        Generated {
            req: Request {
                method,
                path,
                query,
                headers,
                body,
            },
            signer,
            amz_date,
        }
    }
}

/// Eight digits made a real date (`YYYYMMDD` from 1970 on, days up to 28), as a signer writes one.
fn calendar_date(digits: &str) -> String {
    let part = |r: std::ops::Range<usize>| digits.get(r).and_then(|p| p.parse::<u32>().ok());
    let (y, m, d) = (
        part(0..4).unwrap_or(0),
        part(4..6).unwrap_or(0),
        part(6..8).unwrap_or(0),
    );
    let y = if y < 1970 { 1970 + y % 8000 } else { y };
    let m = if (1..=12).contains(&m) { m } else { 1 + m % 12 };
    let d = if (1..=28).contains(&d) { d } else { 1 + d % 28 };
    format!("{y:04}{m:02}{d:02}")
}

/// Six digits made a time of day (`HHMMSS`).
fn clock_time(digits: &str) -> String {
    let part = |r: std::ops::Range<usize>| digits.get(r).and_then(|p| p.parse::<u32>().ok());
    let (h, m, s) = (
        part(0..2).unwrap_or(0),
        part(2..4).unwrap_or(0),
        part(4..6).unwrap_or(0),
    );
    format!("{:02}{:02}{:02}", h % 24, m % 60, s % 60)
}

/// Runs the `sigv4_parse` checks on one input.
pub fn check(data: &[u8]) {
    check_with(data, crate::strict());
}

/// Runs the `sigv4_parse` checks on one input; `strict`: fail on known open bugs too.
pub fn check_with(data: &[u8], strict: bool) {
    let _ = strict; // no known open bugs here
    let mut r = Input::new(data);
    if r.byte().is_multiple_of(4) {
        raw(&mut r);
    } else {
        signed(&mut r);
    }
}

/// A refusal must be a client error of a SigV4 type.
fn assert_client_error(e: &ApiError, what: &str) {
    assert!(
        ERROR_KINDS.contains(&e.kind) && e.status == 400,
        "{what}: unexpected error {} ({}): {}",
        e.kind,
        e.status,
        e.message
    );
}

/// Arbitrary `Authorization` and `X-Amz-Date` text on an otherwise generated request.
fn raw(r: &mut Input<'_>) {
    let g = Generated::read(r);
    let mut req = g.req;
    let auth = text(r);
    let date = text(r);
    let extra = text(r);
    req.headers.push(("authorization".into(), auth));
    if !r.byte().is_multiple_of(4) {
        req.headers.push(("x-amz-date".into(), date));
    }
    req.headers.push((extra, text(r)));
    // A random signature does not verify; whatever the text, the answer is a clean refusal.
    if let Err(e) = req.verify(&g.signer.credentials()) {
        assert_client_error(&e, "raw Authorization");
    }
    if let Err(e) = req.verify(&Credentials::new("", "")) {
        assert_client_error(&e, "raw Authorization, empty credentials");
    }
}

/// A request signed by the reference signer verifies, and every one-byte change breaks it.
fn signed(r: &mut Input<'_>) {
    let g = Generated::read(r);
    let mut req = g.req.clone();
    let pick = r.byte();
    let mut names: Vec<&str> = g
        .req
        .headers
        .iter()
        .enumerate()
        .filter(|(i, _)| pick >> (i % 8) & 1 == 1)
        .map(|(_, (n, _))| n.as_str())
        .collect();
    // The server requires these two signed (besides the date, which the signer adds).
    for required in ["host", "x-amz-target"] {
        if req.header(required).is_none() {
            req.headers.push((required.into(), "x".into()));
        }
        names.push(required);
    }
    let signed = g.signer.sign(&mut req, &names, &g.amz_date);
    let creds = g.signer.credentials();
    if let Err(e) = req.verify(&creds) {
        panic!(
            "a correctly signed request is refused: {} {}\nrequest: {req:?}\nsigned: {signed:?}",
            e.kind, e.message
        );
    }
    let shift = 1 + r.byte() % 15;
    tamper_signature(&req, &creds, shift);
    tamper_headers(&req, &creds, &signed, shift);
    tamper_request(&req, &creds, shift);
    tamper_scope(&g.signer, &req, &signed, &g.amz_date);
}

/// Expects `req` to be refused.
fn refused(req: &Request, creds: &Credentials, what: &str) {
    match req.verify(creds) {
        Ok(()) => panic!("{what}: still verifies\nrequest: {req:?}"),
        Err(e) => assert_client_error(&e, what),
    }
}

/// Replaces the byte at `i` of `s` (ASCII) with another character of `alphabet`, `shift` along.
fn replace_byte(s: &str, i: usize, alphabet: &[u8], shift: u8) -> Option<String> {
    let b = *s.as_bytes().get(i)?;
    let at = alphabet.iter().position(|&c| c == b).unwrap_or(0);
    let step = 1 + usize::from(shift) % (alphabet.len() - 1);
    let c = alphabet[(at + step) % alphabet.len()];
    if c == b || !s.is_char_boundary(i) || !s.is_char_boundary(i + 1) {
        return None;
    }
    let mut out = s.to_string();
    out.replace_range(i..i + 1, &char::from(c).to_string());
    Some(out)
}

fn auth_index(req: &Request) -> Option<usize> {
    req.headers
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case("authorization"))
}

/// Every position of the signature changed to another hex digit (and once to upper case), cut
/// short, or lengthened.
fn tamper_signature(req: &Request, creds: &Credentials, shift: u8) {
    let Some(a) = auth_index(req) else {
        panic!("the signer added no Authorization header")
    };
    let auth = req.headers[a].1.clone();
    let Some(start) = auth.find("Signature=").map(|i| i + "Signature=".len()) else {
        panic!("the signer wrote no Signature")
    };
    let mut variants: Vec<String> = (start..auth.len())
        .filter_map(|i| replace_byte(&auth, i, b"0123456789abcdef", shift))
        .collect();
    variants.push(auth[..auth.len() - 1].to_string());
    variants.push(format!("{auth}0"));
    if let Some(i) = auth[start..].find(|c: char| c.is_ascii_lowercase()) {
        let mut upper = auth.clone();
        upper.replace_range(
            start + i..start + i + 1,
            &auth[start + i..start + i + 1].to_uppercase(),
        );
        variants.push(upper);
    }
    for v in variants {
        let mut bad = req.clone();
        bad.headers[a].1 = v;
        refused(&bad, creds, "changed signature");
    }
}

/// Every non-space byte of every signed header value, and one byte of each signed header's name
/// (to a different letter, not just another case), changed.
fn tamper_headers(req: &Request, creds: &Credentials, signed: &[String], shift: u8) {
    let visible: Vec<u8> = VISIBLE.collect();
    for (h, (name, value)) in req.headers.iter().enumerate() {
        if !signed.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            continue;
        }
        for i in (0..value.len()).filter(|&i| value.as_bytes()[i] != b' ') {
            if let Some(v) = replace_byte(value, i, &visible, shift) {
                let mut bad = req.clone();
                bad.headers[h].1 = v;
                refused(
                    &bad,
                    creds,
                    &format!("changed byte {i} of signed header {name}"),
                );
            }
        }
        // A renamed header is missing from the canonical headers; only a value that is not blank
        // makes that a different request (a missing header signs like an empty one).
        if value.trim().is_empty() {
            continue;
        }
        let i = usize::from(shift) % name.len();
        if let Some(n) = replace_byte(
            &name.to_ascii_lowercase(),
            i,
            b"abcdefghijklmnopqrstuvwxyz",
            shift,
        ) {
            let mut bad = req.clone();
            bad.headers[h].0 = n;
            if !req
                .headers
                .iter()
                .any(|(other, _)| other.eq_ignore_ascii_case(&bad.headers[h].0))
            {
                refused(&bad, creds, &format!("renamed signed header {name}"));
            }
        }
    }
}

/// One byte of the body, the method, the path and the query changed.
fn tamper_request(req: &Request, creds: &Credentials, shift: u8) {
    if !req.body.is_empty() {
        let mut bad = req.clone();
        let i = usize::from(shift) % bad.body.len();
        bad.body[i] ^= shift;
        refused(&bad, creds, "changed body");
    }
    let mut bad = req.clone();
    bad.body.push(shift);
    refused(&bad, creds, "longer body");
    let mut bad = req.clone();
    bad.method = format!("{}X", req.method);
    refused(&bad, creds, "changed method");
    let mut bad = req.clone();
    bad.path = format!("{}x", req.path);
    refused(&bad, creds, "changed path");
    let mut bad = req.clone();
    bad.query = if req.query.is_empty() {
        "x=1".into()
    } else {
        format!("{}&zz", req.query)
    };
    refused(&bad, creds, "changed query");
}

/// The date, each part of the credential scope and the key id changed, each signed afresh with
/// the changed value except the one part under test.
fn tamper_scope(signer: &Signer, req: &Request, signed: &[String], amz_date: &str) {
    let creds = signer.credentials();
    let Some(d) = req
        .headers
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case("x-amz-date"))
    else {
        panic!("the signer added no X-Amz-Date")
    };
    let mut bad = req.clone();
    bad.headers[d].1 = format!("{amz_date}0");
    refused(&bad, &creds, "changed X-Amz-Date");
    let sig = signer.signature(req, signed, amz_date);
    let scoped = |s: &Signer| {
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={sig}",
            s.key_id,
            s.scope(),
            signed.join(";")
        )
    };
    let Some(a) = auth_index(req) else {
        panic!("the signer added no Authorization header")
    };
    for part in 0..4 {
        let mut other = signer.clone();
        match part {
            0 => other.date.push('1'),
            1 => other.region.push('x'),
            2 => other.service.push('x'),
            _ => other.key_id.push('X'),
        }
        let mut bad = req.clone();
        bad.headers[a].1 = scoped(&other);
        refused(
            &bad,
            &creds,
            &format!("changed credential scope part {part}"),
        );
    }
    let mut good = req.clone();
    good.headers[a].1 = scoped(signer);
    if let Err(e) = good.verify(&creds) {
        panic!("re-signed with the same scope: {} {}", e.kind, e.message);
    }
}

/// Writes inputs in the grammar [`Generated::read`] reads (for seeds).
#[derive(Debug, Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn byte(&mut self, b: u8) -> &mut Self {
        self.0.push(b);
        self
    }

    /// The choices [`token`] reads to produce `s`.
    fn token(&mut self, alphabet: &[u8], min: usize, s: &str) -> &mut Self {
        self.0.push((s.len() - min) as u8);
        for c in s.bytes() {
            self.0
                .push(alphabet.iter().position(|&a| a == c).unwrap_or(0) as u8);
        }
        self
    }

    fn text(&mut self, s: &str) -> &mut Self {
        self.0.push(s.len() as u8);
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    /// A Kinesis call as the SDKs sign it: `POST /`, host, content type and target, a JSON body.
    fn kinesis_request(&mut self, target: &str, body: &str, query: &[(&str, Option<&str>)]) {
        self.request(target, body, query, &[]);
    }

    /// A `POST` with host, content type, target and `extra` headers (by index in
    /// [`HEADER_NAMES`]), signed for the AKID key in us-east-1.
    fn request(
        &mut self,
        target: &str,
        body: &str,
        query: &[(&str, Option<&str>)],
        extra: &[(u8, &str)],
    ) {
        let visible: Vec<u8> = VISIBLE.collect();
        self.byte(0).byte(0).byte(query.len() as u8);
        for (k, v) in query {
            self.token(UNRESERVED, 1, k);
            match v {
                None => self.byte(0),
                Some(v) => self.byte(1).token(UNRESERVED, 0, v),
            };
        }
        let mut headers = vec![
            (0u8, "127.0.0.1:4567"),
            (1, "application/x-amz-json-1.1"),
            (2, target),
        ];
        headers.extend_from_slice(extra);
        self.byte(headers.len() as u8);
        for (name, value) in headers {
            self.byte(name)
                .byte(1)
                .byte(1)
                .token(&visible, 1, value)
                .byte(1)
                .byte(1);
        }
        self.text(body);
        self.token(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 1, "AKID")
            .token(&visible, 0, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
            .token(b"0123456789", 8, "20261121")
            .token(b"abcdefghijklmnopqrstuvwxyz0123456789-", 1, "us-east-1")
            .token(b"abcdefghijklmnopqrstuvwxyz0123456789-", 1, "kinesis")
            .byte(0)
            .token(b"0123456789", 6, "123045");
    }
}

/// Seeds: requests shaped like the SDKs' Kinesis calls, signed over host, content type and
/// target (and a query for the canonical-query rules), and raw `Authorization` texts.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut w = Writer::default();
    w.byte(1);
    w.kinesis_request("Kinesis_20131202.ListStreams", "{}", &[]);
    w.byte(0xff).byte(3);
    out.push(("signed-list-streams".to_string(), w.0));
    let mut w = Writer::default();
    w.byte(1);
    w.kinesis_request(
        "Kinesis_20131202.PutRecord",
        r#"{"StreamName":"s","Data":"aGk=","PartitionKey":"k"}"#,
        &[("b", Some("2")), ("a-b", Some("1")), ("a", None)],
    );
    w.byte(0x05).byte(7);
    out.push(("signed-query".to_string(), w.0));
    let mut w = Writer::default();
    w.byte(1);
    w.request(
        "Kinesis_20131202.ListStreams",
        "{}",
        &[],
        &[(7, "a"), (7, "b  c")],
    );
    w.byte(0xff).byte(1);
    out.push(("signed-repeated-header".to_string(), w.0));
    for (name, auth) in [
        ("raw-authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"),
        ("raw-no-scope", "AWS4-HMAC-SHA256 Credential=AKID,SignedHeaders=,Signature="),
        ("raw-other-scheme", "AWS4-HMAC-SHA512 Credential=AKID/a/b/c/aws4_request"),
    ] {
        let mut w = Writer::default();
        w.byte(0);
        w.kinesis_request("Kinesis_20131202.ListStreams", "{}", &[]);
        w.text(auth).text("20261121T123045Z").text("x-extra").byte(1).text("v");
        out.push((name.to_string(), w.0));
    }
    out
}

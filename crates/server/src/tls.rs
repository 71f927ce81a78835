//! TLS for the API port: the certificate and key ([`TlsConfig`]), a self-signed certificate for
//! local use kept in a directory across restarts, and the handshake of one accepted connection.
//!
//! rustls runs with the `ring` provider, set on every config built here rather than taken from
//! the process default, so the server never depends on which provider another crate installed.

use rustls::client::danger::ServerCertVerifier as _;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject as _};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The ALPN protocols offered, in the server's order of preference.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// The names a self-signed certificate is made for: a client on the same host reaches the server
/// by one of them.
const SELF_SIGNED_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// How long a self-signed certificate is valid: 825 days, the longest that Apple's clients accept
/// for a server certificate.
const SELF_SIGNED_VALIDITY: Duration = Duration::from_secs(825 * 24 * 3600);

/// A self-signed certificate with less than this left is replaced rather than reused, so that it
/// does not expire while the server runs.
const RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 3600);

/// The file names of a self-signed certificate and its key in their directory.
const CERT_FILE: &str = "cert.pem";
const KEY_FILE: &str = "key.pem";

/// Why TLS could not be set up.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let missing = dir.path().join("cert.pem");
/// let err = shardlog_server::TlsConfig::from_pem_files(&missing, &missing).unwrap_err();
/// assert!(matches!(err, shardlog_server::TlsError::Read { .. }));
/// assert!(err.to_string().contains("cert.pem"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A certificate or key file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file is not PEM, or holds no item of the kind expected (`expected`).
    #[error("{}: no {expected} could be read from it ({source})", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What it should hold: `"certificate"` or `"private key"`.
        expected: &'static str,
        /// The PEM parser's reason (`NoItemsFound` when the file holds none of them).
        #[source]
        source: pem::Error,
    },
    /// rustls refused the certificate and key: a key that does not match the certificate, or of
    /// a kind it does not support.
    #[error("the certificate {} and key {} cannot be used: {source}", cert.display(), key.display())]
    Rejected {
        /// The certificate chain's file.
        cert: PathBuf,
        /// The key's file.
        key: PathBuf,
        /// rustls's reason.
        #[source]
        source: rustls::Error,
    },
    /// A self-signed certificate could not be made.
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(#[source] rcgen::Error),
    /// A self-signed certificate or its key could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A server certificate chain and its private key, ready to serve TLS (see
/// [`ServerOptions::tls`](crate::ServerOptions::tls)). ALPN offers `h2` and `http/1.1`.
///
/// ```
/// use shardlog_server::{ServerOptions, TlsConfig};
/// let dir = tempfile::tempdir()?;
/// let made = TlsConfig::self_signed_in(dir.path())?;
/// // The same files, loaded as any PEM certificate and key are:
/// let tls = TlsConfig::from_pem_files(&made.cert_path, &made.key_path)?;
/// let opts = ServerOptions { tls: Some(tls), ..ServerOptions::default() };
/// assert!(opts.tls.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TlsConfig {
    server: Arc<rustls::ServerConfig>,
}

/// A self-signed certificate made or reused by [`TlsConfig::self_signed_in`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SelfSigned {
    /// The certificate and key, loaded.
    pub config: TlsConfig,
    /// The certificate (PEM): what a client trusts, e.g. `AWS_CA_BUNDLE=<cert_path>`.
    pub cert_path: PathBuf,
    /// The private key (PEM), readable by its owner only.
    pub key_path: PathBuf,
    /// Whether the files were made now (`false`: files from an earlier run were still valid).
    pub created: bool,
}

impl TlsConfig {
    /// Loads a certificate chain (PEM, the server's certificate first) and its private key (PEM:
    /// PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<TlsConfig, TlsError> {
        let (cert, key) = (cert.as_ref(), key.as_ref());
        let chain = read_chain(cert)?;
        let private = read_key(key)?;
        let rejected = |source| TlsError::Rejected {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            source,
        };
        let mut server = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(rejected)?
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(rejected)?;
        server.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
        Ok(TlsConfig {
            server: Arc::new(server),
        })
    }

    /// A self-signed certificate for `localhost`, `127.0.0.1` and `::1`, kept in `dir` as
    /// `cert.pem` and `key.pem` (readable by their owner only). Files from an earlier call
    /// are reused while they load, match each other, name those hosts and have more than 30 days
    /// left, so a client that trusts the certificate keeps trusting it across restarts; otherwise
    /// new ones replace them.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let first = shardlog_server::TlsConfig::self_signed_in(dir.path())?;
    /// let again = shardlog_server::TlsConfig::self_signed_in(dir.path())?;
    /// assert!(first.created && !again.created);
    /// assert_eq!(std::fs::read(&first.cert_path)?, std::fs::read(&again.cert_path)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn self_signed_in(dir: impl AsRef<Path>) -> Result<SelfSigned, TlsError> {
        let dir = dir.as_ref();
        let cert_path = dir.join(CERT_FILE);
        let key_path = dir.join(KEY_FILE);
        if let Some(config) = reusable(&cert_path, &key_path) {
            return Ok(SelfSigned {
                config,
                cert_path,
                key_path,
                created: false,
            });
        }
        make_self_signed(dir)?;
        Ok(SelfSigned {
            config: TlsConfig::from_pem_files(&cert_path, &key_path)?,
            cert_path,
            key_path,
            created: true,
        })
    }

    /// The acceptor that runs this configuration's handshakes.
    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.server.clone())
    }
}

/// The one crypto provider of every TLS config here.
// rustls 0.23.48 deprecates ring's provider because ring lacks the post-quantum hybrid key
// exchange (X25519MLKEM768); clients then agree on X25519 or a NIST curve. ring is kept because
// aws-lc-rs needs a C toolchain build; revisit when ring gains ML-KEM or that build is acceptable.
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_file(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Every certificate in a PEM file, in order; an error when it holds none.
fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bad = |source| TlsError::Pem {
        path: path.to_path_buf(),
        expected: "certificate",
        source,
    };
    let chain = CertificateDer::pem_slice_iter(&read_file(path)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)?;
    if chain.is_empty() {
        return Err(bad(pem::Error::NoItemsFound));
    }
    Ok(chain)
}

/// The first private key in a PEM file.
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(&read_file(path)?).map_err(|source| TlsError::Pem {
        path: path.to_path_buf(),
        expected: "private key",
        source,
    })
}

/// The configuration of an earlier self-signed certificate, if it is still fit to serve.
fn reusable(cert_path: &Path, key_path: &Path) -> Option<TlsConfig> {
    // Loading checks that the files parse and that the key is the certificate's.
    let config = TlsConfig::from_pem_files(cert_path, key_path).ok()?;
    let cert = read_chain(cert_path).ok()?.into_iter().next()?;
    trusted_as_self_signed(&cert, SystemTime::now() + RENEW_BEFORE).then_some(config)
}

/// Whether a client that trusts exactly `cert` would accept it for every name it is made for, at
/// `at`: the same check the certificate must pass in a client, so it covers the validity period,
/// the names and the self-signature alike.
fn trusted_as_self_signed(cert: &CertificateDer<'static>, at: SystemTime) -> bool {
    let mut roots = rustls::RootCertStore::empty();
    if roots.add(cert.clone()).is_err() {
        return false;
    }
    let Ok(verifier) =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
    else {
        return false;
    };
    let at = UnixTime::since_unix_epoch(
        at.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default(),
    );
    SELF_SIGNED_NAMES.iter().all(|name| {
        ServerName::try_from(*name).is_ok_and(|name| {
            verifier
                .verify_server_cert(cert, &[], &name, &[], at)
                .is_ok()
        })
    })
}

/// Makes a new key and self-signed certificate and writes them into `dir`: the key first, so a
/// crash between the two leaves a pair that does not match, which the next start replaces.
fn make_self_signed(dir: &Path) -> Result<(), TlsError> {
    let key = rcgen::KeyPair::generate().map_err(TlsError::Generate)?;
    let cert = self_signed_params(SystemTime::now())?
        .self_signed(&key)
        .map_err(TlsError::Generate)?;
    create_private_dir(dir)?;
    write_atomically(dir, KEY_FILE, key.serialize_pem().as_bytes())?;
    write_atomically(dir, CERT_FILE, cert.pem().as_bytes())
}

/// The certificate's parameters: the local names, valid from a day before `now` (clocks differ a
/// little) for [`SELF_SIGNED_VALIDITY`], usable only as a TLS server's certificate.
fn self_signed_params(now: SystemTime) -> Result<rcgen::CertificateParams, TlsError> {
    let names: Vec<String> = SELF_SIGNED_NAMES.iter().map(|n| n.to_string()).collect();
    let mut params = rcgen::CertificateParams::new(names).map_err(TlsError::Generate)?;
    let since_epoch = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let day = Duration::from_secs(24 * 3600);
    params.not_before = epoch + since_epoch.saturating_sub(day);
    params.not_after = epoch + since_epoch + SELF_SIGNED_VALIDITY;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "shardlog serve (self-signed)");
    // No key usage extension: with one lacking keyCertSign, OpenSSL (boto3, the AWS CLI) would not
    // take the certificate as its own issuer, and so could not trust it as a root.
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    Ok(params)
}

/// Creates `dir` (owner-only on Unix: it holds a private key) if it does not exist.
fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| TlsError::Write {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes `name` in `dir` as the store writes its small files (`write_file_atomic`: temporary
/// file, fsync, rename, fsync of the directory), created readable by its owner only.
fn write_atomically(dir: &Path, name: &str, contents: &[u8]) -> Result<(), TlsError> {
    let failed = |e: shardlog_storage::Error| TlsError::Write {
        path: dir.join(name),
        source: std::io::Error::other(e),
    };
    let storage = shardlog_storage::FsStorage::open(dir).map_err(failed)?;
    shardlog_storage::write_file_atomic(&storage, name, contents).map_err(failed)
}

/// Why a connection's TLS handshake did not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandshakeFailure {
    /// The client did not finish it within the header read timeout.
    TimedOut,
    /// It failed: not TLS, no protocol in common, a closed connection and the like.
    Failed,
}

impl HandshakeFailure {
    /// The metric label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            HandshakeFailure::TimedOut => "timeout",
            HandshakeFailure::Failed => "error",
        }
    }
}

/// Runs the server side of a handshake on `stream`, for at most `limit`.
pub(crate) async fn handshake(
    acceptor: &tokio_rustls::TlsAcceptor,
    stream: tokio::net::TcpStream,
    limit: Duration,
) -> Result<tokio_rustls::server::TlsStream<tokio::net::TcpStream>, HandshakeFailure> {
    match tokio::time::timeout(limit, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Ok(tls),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "TLS handshake error");
            Err(HandshakeFailure::Failed)
        }
        Err(_) => Err(HandshakeFailure::TimedOut),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_self_signed_certificate_is_reused_and_its_key_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let tls = dir.path().join("tls");
        let first = TlsConfig::self_signed_in(&tls).unwrap();
        assert!(first.created);
        assert_eq!(first.cert_path, tls.join("cert.pem"));
        assert_eq!(first.key_path, tls.join("key.pem"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&first.key_path), 0o600);
            assert_eq!(mode(&tls), 0o700);
        }
        let cert = std::fs::read(&first.cert_path).unwrap();
        let key = std::fs::read(&first.key_path).unwrap();
        let again = TlsConfig::self_signed_in(&tls).unwrap();
        assert!(!again.created);
        assert_eq!(std::fs::read(&again.cert_path).unwrap(), cert);
        assert_eq!(std::fs::read(&again.key_path).unwrap(), key);
        // No temporary file is left beside them.
        let mut names: Vec<_> = std::fs::read_dir(&tls)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["cert.pem", "key.pem"]);
    }

    #[test]
    fn a_self_signed_certificate_that_no_longer_fits_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let first = TlsConfig::self_signed_in(dir.path()).unwrap();
        let cert = std::fs::read(&first.cert_path).unwrap();
        // Another key: the pair no longer matches.
        let other = rcgen::KeyPair::generate().unwrap();
        std::fs::write(&first.key_path, other.serialize_pem()).unwrap();
        let second = TlsConfig::self_signed_in(dir.path()).unwrap();
        assert!(second.created);
        assert_ne!(std::fs::read(&second.cert_path).unwrap(), cert);
        // A damaged certificate.
        std::fs::write(&second.cert_path, b"not pem").unwrap();
        assert!(TlsConfig::self_signed_in(dir.path()).unwrap().created);
        assert!(!TlsConfig::self_signed_in(dir.path()).unwrap().created);
    }

    #[test]
    fn validity_covers_now_and_ends_after_825_days() {
        let now = SystemTime::now();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = self_signed_params(now).unwrap().self_signed(&key).unwrap();
        let cert = cert.der().clone();
        assert!(trusted_as_self_signed(&cert, now));
        assert!(trusted_as_self_signed(&cert, now + RENEW_BEFORE));
        let day = Duration::from_secs(24 * 3600);
        assert!(trusted_as_self_signed(
            &cert,
            now + SELF_SIGNED_VALIDITY - day
        ));
        assert!(!trusted_as_self_signed(
            &cert,
            now + SELF_SIGNED_VALIDITY + day
        ));
        assert!(!trusted_as_self_signed(&cert, now - 2 * day));
    }

    #[test]
    fn bad_files_are_named_in_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        let made = TlsConfig::self_signed_in(dir.path()).unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, b"hello").unwrap();
        let err = TlsConfig::from_pem_files(&junk, &made.key_path).unwrap_err();
        assert!(
            matches!(&err, TlsError::Pem { path, expected: "certificate", .. } if *path == junk),
            "{err:?}"
        );
        assert!(err.to_string().contains("junk.pem"), "{err}");
        // A certificate where the key should be.
        let err = TlsConfig::from_pem_files(&made.cert_path, &made.cert_path).unwrap_err();
        assert!(
            matches!(
                &err,
                TlsError::Pem {
                    expected: "private key",
                    ..
                }
            ),
            "{err:?}"
        );
        // A key of another certificate.
        let other = rcgen::KeyPair::generate().unwrap();
        let other_key = dir.path().join("other.pem");
        std::fs::write(&other_key, other.serialize_pem()).unwrap();
        let err = TlsConfig::from_pem_files(&made.cert_path, &other_key).unwrap_err();
        assert!(matches!(&err, TlsError::Rejected { .. }), "{err:?}");
        let missing = dir.path().join("missing.pem");
        let err = TlsConfig::from_pem_files(&missing, &made.key_path).unwrap_err();
        assert!(matches!(&err, TlsError::Read { path, .. } if *path == missing));
    }

    #[test]
    fn alpn_offers_h2_then_http1() {
        let dir = tempfile::tempdir().unwrap();
        let made = TlsConfig::self_signed_in(dir.path()).unwrap();
        assert_eq!(
            made.config.server.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }
}

//! Signed answers: the operator's Ed25519 keys and detached JWS signatures
//! over the exact bytes the registry hands out (a bulk-verification report,
//! the daily open-data snapshot), so a buyer can keep a file as proof of what
//! the registry said and check it offline years later.
//!
//! Format (written down for outside verifiers in `docs/signatures.md`):
//! a JWS (RFC 7515) in compact serialisation with a detached payload
//! (Appendix F): `BASE64URL(header) + ".." + BASE64URL(signature)`, where the
//! signature is Ed25519 (`"alg":"EdDSA"`, RFC 8037) over
//! `BASE64URL(header) + "." + BASE64URL(payload)`. Any JOSE library verifies
//! it by putting the payload back in the middle. The header names the key
//! (`kid`, the RFC 7638 thumbprint of the public key) and carries a
//! `jcstar` object with what was signed and when.
//!
//! Keys live in a directory the operator controls, not in the database: the
//! private key of the one active key in `signing-key.pem` (PKCS#8, readable
//! by OpenSSL) and every public key ever used, retired ones included, in
//! `keys.json` (a JWK Set, RFC 7517), which the server publishes so that
//! signatures made before a rotation still verify. Rotation replaces the
//! private key file; a retired private key is not kept, so it cannot sign
//! again.
//!
//! This module never touches the network or the database.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use jcstar_criteria::Lang;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// File name of the public key set inside a key directory.
pub const PUBLIC_KEYS_FILE: &str = "keys.json";
/// File name of the active private key inside a key directory.
pub const PRIVATE_KEY_FILE: &str = "signing-key.pem";
/// Where `jcstar serve` publishes the key set.
pub const WELL_KNOWN_PATH: &str = "/.well-known/jcstar-keys.json";

/// Upper bound on a signature file: a compact JWS with our header is a few
/// hundred bytes; anything far larger is not one of ours.
pub const MAX_SIGNATURE_BYTES: usize = 16 * 1024;
/// Upper bound on a key set file (thousands of rotations).
pub const MAX_KEYSET_BYTES: usize = 1024 * 1024;

/// What went wrong with a key directory, a key set or a signature.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A key directory or key set that is not usable, with the reason.
    #[error("{path}: {reason}")]
    BadKeys {
        /// The key directory or key set file.
        path: PathBuf,
        /// Why it is not usable.
        reason: String,
    },
    /// The signature text is not a detached EdDSA JWS.
    #[error("not a detached JWS signature: {0}")]
    Malformed(String),
    /// The signature names a key that the key set does not hold.
    #[error("the signature was made with key {kid}, which the key set does not contain")]
    UnknownKey {
        /// The key id the signature names.
        kid: String,
    },
    /// The bytes are not the ones that were signed (or the signature was
    /// altered).
    #[error(
        "the signature does not match the file: it was changed after signing, or the signature belongs to another file"
    )]
    Mismatch,
    /// Signed at a time after its key was retired: the retired private key
    /// is destroyed at rotation, so such a signature is forged or the key
    /// leaked.
    #[error("the signature claims {signed_at}, after its key {kid} was retired at {retired}")]
    AfterRetirement {
        /// The key that made the signature.
        kid: String,
        /// When the signature claims to have been made.
        signed_at: String,
        /// When the key was retired.
        retired: String,
    },
    /// A key directory already exists where a new one was to be created.
    #[error("a key directory already exists at {0}; use rotate to replace its key")]
    Exists(PathBuf),
}

impl SigningError {
    /// The message for a person, in their language.
    pub fn message(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, e) => e.to_string(),
            (Lang::Ja, SigningError::Io { path, source }) => {
                format!("{}: 読み書きできません ({source})", path.display())
            }
            (Lang::Ja, SigningError::BadKeys { path, reason }) => {
                format!("{}: 鍵として使えません: {reason}", path.display())
            }
            (Lang::Ja, SigningError::Malformed(why)) => {
                format!("分離形式の JWS 署名ではありません: {why}")
            }
            (Lang::Ja, SigningError::UnknownKey { kid }) => format!(
                "署名に使われた鍵 {kid} が鍵セットにありません (登録機関が公開する最新の keys.json を使ってください)"
            ),
            (Lang::Ja, SigningError::Mismatch) => "署名がファイルと一致しません: 署名後にファイルが変更されたか、別のファイルの署名です".to_string(),
            (
                Lang::Ja,
                SigningError::AfterRetirement {
                    kid,
                    signed_at,
                    retired,
                },
            ) => format!(
                "署名時刻 {signed_at} は鍵 {kid} の失効 ({retired}) より後です。失効した鍵は破棄されているため、この署名は信用できません"
            ),
            (Lang::Ja, SigningError::Exists(p)) => format!(
                "{} には既に鍵があります。鍵を替えるときは rotate を使ってください",
                p.display()
            ),
        }
    }
}

type Result<T> = std::result::Result<T, SigningError>;

/// One public key of the set, as a JWK (RFC 8037 OKP/Ed25519) with the
/// dates the registry used it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    /// Key type: always `OKP`.
    pub kty: String,
    /// Curve: always `Ed25519`.
    pub crv: String,
    /// The public key, base64url without padding.
    pub x: String,
    /// Key id: the RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// Key use: always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// Algorithm: always `EdDSA`.
    pub alg: String,
    /// When the key was created (RFC 3339).
    pub created: DateTime<Utc>,
    /// When a newer key replaced it; absent for the active key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<DateTime<Utc>>,
}

impl PublicKey {
    fn from_verifying(key: &VerifyingKey, created: DateTime<Utc>) -> PublicKey {
        let x = B64.encode(key.as_bytes());
        PublicKey {
            kid: thumbprint(&x),
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x,
            use_: "sig".into(),
            alg: "EdDSA".into(),
            created,
            retired: None,
        }
    }

    fn verifying_key(&self) -> std::result::Result<VerifyingKey, String> {
        if self.kty != "OKP" || self.crv != "Ed25519" {
            return Err(format!(
                "key {}: only OKP/Ed25519 keys are accepted, not {}/{}",
                self.kid, self.kty, self.crv
            ));
        }
        let bytes = B64
            .decode(self.x.as_bytes())
            .map_err(|_| format!("key {}: `x` is not base64url", self.kid))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("key {}: `x` is not 32 bytes", self.kid))?;
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|_| format!("key {}: `x` is not a valid Ed25519 point", self.kid))?;
        if thumbprint(&self.x) != self.kid {
            return Err(format!(
                "key {}: `kid` is not the RFC 7638 thumbprint of `x`",
                self.kid
            ));
        }
        Ok(key)
    }
}

/// RFC 7638 JWK thumbprint of an Ed25519 key: SHA-256 over the required
/// members in lexicographic order, base64url.
fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    B64.encode(Sha256::digest(canonical.as_bytes()))
}

/// The published key set (a JWK Set): the active key first, then the retired
/// ones, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySet {
    /// The keys, active first, then retired ones newest first.
    pub keys: Vec<PublicKey>,
}

impl KeySet {
    /// Parse and check a key set (from a file or the well-known URL).
    /// `origin` names where it came from, for messages.
    pub fn parse(bytes: &[u8], origin: &Path) -> Result<KeySet> {
        let bad = |reason: String| SigningError::BadKeys {
            path: origin.to_path_buf(),
            reason,
        };
        if bytes.len() > MAX_KEYSET_BYTES {
            return Err(bad(format!(
                "larger than {MAX_KEYSET_BYTES} bytes: not a key set"
            )));
        }
        let set: KeySet = serde_json::from_slice(bytes)
            .map_err(|e| bad(format!("not a JWK Set ({{\"keys\":[…]}}): {e}")))?;
        for key in &set.keys {
            key.verifying_key().map_err(bad)?;
        }
        if set.keys.iter().filter(|k| k.retired.is_none()).count() > 1 {
            return Err(bad("more than one key is marked active".into()));
        }
        Ok(set)
    }

    /// Read and check a key set file.
    pub fn read(path: &Path) -> Result<KeySet> {
        let bytes = read_bounded(path, MAX_KEYSET_BYTES)?;
        KeySet::parse(&bytes, path)
    }

    /// The key that signs today.
    pub fn active(&self) -> Option<&PublicKey> {
        self.keys.iter().find(|k| k.retired.is_none())
    }

    /// The key with this id, active or retired.
    pub fn get(&self, kid: &str) -> Option<&PublicKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The bytes served at [`WELL_KNOWN_PATH`].
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// What a signature says about itself, inside its protected header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    /// What was signed: `verification-report`, `labels-snapshot`, …
    pub subject: String,
    /// When the signature was made.
    pub signed_at: DateTime<Utc>,
    /// The registry that signed (its public base URL), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    kid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
    jcstar: Claims,
}

/// The outcome of a successful check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// Id of the key that made the signature.
    pub kid: String,
    /// What the signature says about itself.
    pub claims: Claims,
    /// Set when the key has been replaced since; the signature is still
    /// good if it was made before this time.
    pub key_retired: Option<DateTime<Utc>>,
}

/// A key directory opened for signing.
pub struct KeyDir {
    dir: PathBuf,
    set: KeySet,
    key: SigningKey,
    kid: String,
}

impl std::fmt::Debug for KeyDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("KeyDir")
            .field("dir", &self.dir)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl KeyDir {
    /// Create a key directory with a first key. Refuses to overwrite one.
    pub fn create(dir: &Path, now: DateTime<Utc>) -> Result<KeyDir> {
        if dir.join(PRIVATE_KEY_FILE).exists() || dir.join(PUBLIC_KEYS_FILE).exists() {
            return Err(SigningError::Exists(dir.to_path_buf()));
        }
        std::fs::create_dir_all(dir).map_err(|source| SigningError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Self::install(dir, KeySet::default(), now)
    }

    /// Replace the active key with a new one. The old public key stays in
    /// the set, marked retired; its private key file is overwritten.
    pub fn rotate(dir: &Path, now: DateTime<Utc>) -> Result<KeyDir> {
        let current = KeyDir::open(dir)?;
        let mut set = current.set;
        for key in &mut set.keys {
            key.retired.get_or_insert(now);
        }
        Self::install(dir, set, now)
    }

    fn install(dir: &Path, mut set: KeySet, now: DateTime<Utc>) -> Result<KeyDir> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| SigningError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let key = SigningKey::from_bytes(&secret);
        let public = PublicKey::from_verifying(&key.verifying_key(), now);
        let kid = public.kid.clone();
        set.keys.insert(0, public);
        // PKCS#8 v1 (no embedded public key): OpenSSL 3.0 reads only this
        // form of an Ed25519 key, and the public key follows from the
        // secret anyway.
        let pem = ed25519_dalek::pkcs8::KeypairBytes {
            secret_key: key.to_bytes(),
            public_key: None,
        }
        .to_pkcs8_pem(Default::default())
        .map_err(|e| SigningError::BadKeys {
            path: dir.join(PRIVATE_KEY_FILE),
            reason: e.to_string(),
        })?;
        // The private key first: if writing the set fails, the directory
        // still opens (as the old key set plus an unlisted key is refused,
        // the operator sees it at once rather than signing with a key no
        // one can verify).
        write_atomic(&dir.join(PRIVATE_KEY_FILE), pem.as_bytes(), true)?;
        write_atomic(&dir.join(PUBLIC_KEYS_FILE), &set.to_json(), false)?;
        Ok(KeyDir {
            dir: dir.to_path_buf(),
            set,
            key,
            kid,
        })
    }

    /// Open a key directory for signing; its private key must be the active
    /// key of its key set.
    pub fn open(dir: &Path) -> Result<KeyDir> {
        let set = KeySet::read(&dir.join(PUBLIC_KEYS_FILE))?;
        let pem_path = dir.join(PRIVATE_KEY_FILE);
        let pem = read_bounded(&pem_path, 64 * 1024)?;
        let bad = |reason: String| SigningError::BadKeys {
            path: pem_path.clone(),
            reason,
        };
        let pem = std::str::from_utf8(&pem).map_err(|_| bad("not a PEM text file".into()))?;
        let key = SigningKey::from_pkcs8_pem(pem)
            .map_err(|e| bad(format!("not a PKCS#8 Ed25519 private key: {e}")))?;
        let public = PublicKey::from_verifying(&key.verifying_key(), Utc::now());
        match set.active() {
            Some(active) if active.kid == public.kid => {}
            Some(active) => {
                return Err(bad(format!(
                    "this private key ({}) is not the active key of {PUBLIC_KEYS_FILE} ({})",
                    public.kid, active.kid
                )));
            }
            None => {
                return Err(bad(format!("{PUBLIC_KEYS_FILE} has no active key")));
            }
        }
        Ok(KeyDir {
            dir: dir.to_path_buf(),
            kid: public.kid,
            set,
            key,
        })
    }

    /// Id of the active key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key set to publish.
    pub fn key_set(&self) -> &KeySet {
        &self.set
    }

    /// The key directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A detached JWS over exactly `payload`.
    pub fn sign(&self, payload: &[u8], claims: Claims) -> String {
        let header = Header {
            alg: "EdDSA".into(),
            kid: self.kid.clone(),
            typ: Some("JOSE".into()),
            jcstar: claims,
        };
        let header = B64.encode(serde_json::to_vec(&header).unwrap_or_default());
        let signature = self.key.sign(&signing_input(&header, payload));
        format!("{header}..{}", B64.encode(signature.to_bytes()))
    }
}

fn signing_input(header_b64: &str, payload: &[u8]) -> Vec<u8> {
    let mut input = Vec::with_capacity(header_b64.len() + 1 + payload.len() * 4 / 3 + 4);
    input.extend_from_slice(header_b64.as_bytes());
    input.push(b'.');
    input.extend_from_slice(B64.encode(payload).as_bytes());
    input
}

/// Check a detached JWS over `payload` against a key set. Only EdDSA with a
/// key of the set is accepted, whatever the header asks for.
pub fn verify(payload: &[u8], signature: &str, keys: &KeySet) -> Result<Verified> {
    let malformed = |why: &str| SigningError::Malformed(why.to_string());
    let signature = signature.trim();
    if signature.len() > MAX_SIGNATURE_BYTES {
        return Err(malformed("far too long"));
    }
    let mut parts = signature.split('.');
    let (Some(header_b64), Some(middle), Some(sig_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("expected three parts separated by dots"));
    };
    if !middle.is_empty() && middle != B64.encode(payload) {
        // An attached payload that is not this file: the same answer as a
        // forged signature, since the file is what the user asked about.
        return Err(SigningError::Mismatch);
    }
    let header_json = B64
        .decode(header_b64.as_bytes())
        .map_err(|_| malformed("the header is not base64url"))?;
    let header: Header = serde_json::from_slice(&header_json)
        .map_err(|e| SigningError::Malformed(format!("the header is not a jcstar header: {e}")))?;
    if header.alg != "EdDSA" {
        return Err(SigningError::Malformed(format!(
            "algorithm {} is not accepted; jcstar signs with EdDSA only",
            header.alg
        )));
    }
    let key = keys
        .get(&header.kid)
        .ok_or_else(|| SigningError::UnknownKey {
            kid: header.kid.clone(),
        })?;
    let verifying = key.verifying_key().map_err(SigningError::Malformed)?;
    let sig = B64
        .decode(sig_b64.as_bytes())
        .map_err(|_| malformed("the signature is not base64url"))?;
    let sig: [u8; 64] = sig
        .try_into()
        .map_err(|_| malformed("an Ed25519 signature is 64 bytes"))?;
    verifying
        .verify_strict(
            &signing_input(header_b64, payload),
            &Signature::from_bytes(&sig),
        )
        .map_err(|_| SigningError::Mismatch)?;
    if let Some(retired) = key.retired
        && header.jcstar.signed_at > retired
    {
        return Err(SigningError::AfterRetirement {
            kid: header.kid,
            signed_at: format_time(header.jcstar.signed_at),
            retired: format_time(retired),
        });
    }
    Ok(Verified {
        kid: header.kid,
        claims: header.jcstar,
        key_retired: key.retired,
    })
}

/// RFC 3339 with seconds, as the signature header carries it.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|source| SigningError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| SigningError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() > limit {
        return Err(SigningError::BadKeys {
            path: path.to_path_buf(),
            reason: format!("larger than {limit} bytes"),
        });
    }
    Ok(bytes)
}

/// Write through a temporary file in the same directory and rename, so a
/// crash leaves the old file or the new one, never half of either.
fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    use std::io::Write;
    let io = |source| SigningError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if private { 0o600 } else { 0o644 };
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(io)?;
    }
    #[cfg(not(unix))]
    let _ = private;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn claims(at: &str) -> Claims {
        Claims {
            subject: "labels-snapshot".into(),
            signed_at: t(at),
            registry: None,
        }
    }

    #[test]
    fn signs_and_verifies_and_rejects_any_changed_byte() {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeyDir::create(dir.path(), t("2026-12-01T00:00:00Z")).unwrap();
        let payload = "登録番号,製品\nJCS1-2024-000002-3,カメラ\n"
            .as_bytes()
            .to_vec();
        let sig = keys.sign(&payload, claims("2026-12-07T09:00:00Z"));
        let set = KeySet::read(&dir.path().join(PUBLIC_KEYS_FILE)).unwrap();
        let ok = verify(&payload, &sig, &set).unwrap();
        assert_eq!(ok.kid, keys.kid());
        assert_eq!(ok.claims, claims("2026-12-07T09:00:00Z"));
        for i in 0..payload.len() {
            let mut changed = payload.clone();
            changed[i] ^= 0x01;
            assert!(matches!(
                verify(&changed, &sig, &set),
                Err(SigningError::Mismatch)
            ));
        }
        let mut longer = payload.clone();
        longer.push(b'\n');
        assert!(matches!(
            verify(&longer, &sig, &set),
            Err(SigningError::Mismatch)
        ));
    }

    #[test]
    fn a_changed_signature_or_header_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeyDir::create(dir.path(), t("2026-12-01T00:00:00Z")).unwrap();
        let sig = keys.sign(b"data", claims("2026-12-07T09:00:00Z"));
        let set = keys.key_set().clone();
        let bytes = sig.as_bytes();
        for i in 0..bytes.len() {
            let mut changed = bytes.to_vec();
            changed[i] = if changed[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(changed).unwrap();
            if changed == sig {
                continue;
            }
            assert!(verify(b"data", &changed, &set).is_err(), "byte {i}");
        }
        // Claims cannot be edited without breaking the signature.
        let (h, s) = sig.split_once("..").unwrap();
        let mut header: serde_json::Value =
            serde_json::from_slice(&B64.decode(h).unwrap()).unwrap();
        header["jcstar"]["signed_at"] = "2020-01-01T00:00:00Z".into();
        let forged = format!("{}..{s}", B64.encode(header.to_string()));
        assert!(matches!(
            verify(b"data", &forged, &set),
            Err(SigningError::Mismatch)
        ));
        header["alg"] = "none".into();
        let none = format!("{}..", B64.encode(header.to_string()));
        assert!(verify(b"data", &none, &set).is_err());
    }

    #[test]
    fn rotation_keeps_old_signatures_verifiable_and_retires_the_old_key() {
        let dir = tempfile::tempdir().unwrap();
        let first = KeyDir::create(dir.path(), t("2026-01-01T00:00:00Z")).unwrap();
        let old_sig = first.sign(b"report", claims("2026-06-01T00:00:00Z"));
        let second = KeyDir::rotate(dir.path(), t("2026-12-01T00:00:00Z")).unwrap();
        assert_ne!(first.kid(), second.kid());
        let set = KeySet::read(&dir.path().join(PUBLIC_KEYS_FILE)).unwrap();
        assert_eq!(set.keys.len(), 2);
        assert_eq!(set.active().unwrap().kid, second.kid());
        let old = verify(b"report", &old_sig, &set).unwrap();
        assert_eq!(old.kid, first.kid());
        assert_eq!(old.key_retired, Some(t("2026-12-01T00:00:00Z")));
        // The directory now signs with the new key only.
        let reopened = KeyDir::open(dir.path()).unwrap();
        assert_eq!(reopened.kid(), second.kid());
        // A signature dated after the key's retirement is not accepted.
        let late = first.sign(b"report", claims("2026-12-05T00:00:00Z"));
        assert!(matches!(
            verify(b"report", &late, &set),
            Err(SigningError::AfterRetirement { .. })
        ));
        // A verifier holding only the old set cannot check new signatures.
        let new_sig = reopened.sign(b"report", claims("2026-12-02T00:00:00Z"));
        assert!(matches!(
            verify(b"report", &new_sig, first.key_set()),
            Err(SigningError::UnknownKey { .. })
        ));
    }

    #[test]
    fn create_refuses_to_overwrite_and_open_refuses_a_foreign_private_key() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        KeyDir::create(a.path(), Utc::now()).unwrap();
        KeyDir::create(b.path(), Utc::now()).unwrap();
        assert!(matches!(
            KeyDir::create(a.path(), Utc::now()),
            Err(SigningError::Exists(_))
        ));
        std::fs::copy(
            b.path().join(PRIVATE_KEY_FILE),
            a.path().join(PRIVATE_KEY_FILE),
        )
        .unwrap();
        let err = KeyDir::open(a.path()).unwrap_err();
        assert!(err.to_string().contains("not the active key"), "{err}");
        assert!(err.message(Lang::Ja).contains("鍵として使えません"));
    }

    #[cfg(unix)]
    #[test]
    fn the_private_key_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        KeyDir::create(dir.path(), Utc::now()).unwrap();
        let mode = std::fs::metadata(dir.path().join(PRIVATE_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn key_sets_with_a_wrong_thumbprint_or_two_active_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeyDir::create(dir.path(), Utc::now()).unwrap();
        let mut set = keys.key_set().clone();
        set.keys[0].kid = "someone-else".into();
        assert!(KeySet::parse(&set.to_json(), Path::new("k.json")).is_err());
        let mut two = keys.key_set().clone();
        two.keys.push(two.keys[0].clone());
        assert!(KeySet::parse(&two.to_json(), Path::new("k.json")).is_err());
        assert!(KeySet::parse(b"{\"keys\":", Path::new("k.json")).is_err());
    }

    #[test]
    fn garbage_signatures_are_errors_not_panics() {
        let set = KeySet::default();
        for junk in [
            "",
            ".",
            "..",
            "...",
            "a.b.c.d",
            "!!..!!",
            "eyJ9..AAAA",
            &"A".repeat(MAX_SIGNATURE_BYTES + 1),
        ] {
            assert!(verify(b"x", junk, &set).is_err(), "{junk:.20}");
        }
    }

    /// RFC 8037 appendix A.3: the thumbprint of the example key.
    #[test]
    fn thumbprint_matches_rfc_8037() {
        assert_eq!(
            thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    /// RFC 8037 appendix A.4: signing "Example of Ed25519 signing" with the
    /// example key gives the published signature, so outside verifiers
    /// agree with ours on the algorithm.
    #[test]
    fn ed25519_matches_rfc_8037_example() {
        let d = B64
            .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
            .unwrap();
        let key = SigningKey::from_bytes(&d.try_into().unwrap());
        let input = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let sig = key.sign(input);
        assert_eq!(
            B64.encode(sig.to_bytes()),
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        );
    }
}

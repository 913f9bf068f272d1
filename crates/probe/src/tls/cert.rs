//! Certificate facts: what a tester needs to judge the server's certificate,
//! read from the DER the server sent. Nothing here validates a chain against
//! a trust store (a device's certificate is rarely issued by a public CA);
//! the facts are reported and the judgement is made in `findings`.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x509_parser::prelude::*;

/// The server's public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// `RSA`, `EC`, `Ed25519`, `Ed448`, `DSA`, or the algorithm OID.
    pub kind: String,
    /// Modulus size for RSA/DSA, field size for EC curves.
    pub bits: Option<u32>,
    /// Curve name for EC keys (OpenSSL's spelling, e.g. `prime256v1`).
    pub curve: Option<String>,
}

/// Facts about the leaf certificate (and the length of the chain sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertFacts {
    /// Subject distinguished name.
    pub subject: String,
    /// Subject common name, if present.
    pub subject_cn: Option<String>,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Issuer common name, if present.
    pub issuer_cn: Option<String>,
    /// Serial number, as colon-separated hex bytes.
    pub serial: String,
    /// SHA-256 of the DER, lowercase hex.
    pub sha256: String,
    /// Issuer equals subject and the key identifiers (when present) agree:
    /// nobody but the device vouches for this key.
    pub self_signed: bool,
    /// RFC 3339, UTC.
    pub not_before: String,
    /// End of validity, RFC 3339, UTC.
    pub not_after: String,
    /// Start of validity, Unix seconds.
    pub not_before_unix: i64,
    /// End of validity, Unix seconds.
    pub not_after_unix: i64,
    /// Relative to the `now` the assessment was given.
    pub expired: bool,
    /// Not valid yet at the assessment's `now`.
    pub not_yet_valid: bool,
    /// The server's public key.
    pub key: KeyInfo,
    /// OpenSSL's long name, e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
    /// The signature uses SHA-1, MD5 or MD2.
    pub weak_signature_hash: bool,
    /// DNS names in the subject alternative name.
    pub san_dns: Vec<String>,
    /// IP addresses in the subject alternative name.
    pub san_ip: Vec<String>,
    /// The name (or address) the certificate was checked against.
    pub checked_name: String,
    /// Whether `checked_name` matches the SAN entries (or the CN when there are none).
    pub name_matches: bool,
    /// Number of certificates the server sent (leaf included).
    pub chain_length: usize,
}

fn oid_str(oid: &x509_parser::der_parser::oid::Oid<'_>) -> String {
    oid.to_id_string()
}

fn signature_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.2.840.10040.4.3" => "dsaWithSHA1",
        "2.16.840.1.101.3.4.3.1" => "dsa_with_SHA224",
        "2.16.840.1.101.3.4.3.2" => "dsa_with_SHA256",
        "1.3.101.112" => "ED25519",
        "1.3.101.113" => "ED448",
        other => return other.to_string(),
    }
    .to_string()
}

fn curve(oid: &str) -> Option<(&'static str, u32)> {
    Some(match oid {
        "1.2.840.10045.3.1.1" => ("prime192v1", 192),
        "1.3.132.0.33" => ("secp224r1", 224),
        "1.2.840.10045.3.1.7" => ("prime256v1", 256),
        "1.3.132.0.10" => ("secp256k1", 256),
        "1.3.132.0.34" => ("secp384r1", 384),
        "1.3.132.0.35" => ("secp521r1", 521),
        "1.3.36.3.3.2.8.1.1.7" => ("brainpoolP256r1", 256),
        "1.3.36.3.3.2.8.1.1.11" => ("brainpoolP384r1", 384),
        "1.3.36.3.3.2.8.1.1.13" => ("brainpoolP512r1", 512),
        _ => return None,
    })
}

fn rfc3339(t: &ASN1Time) -> String {
    t.to_datetime()
        .format(&::time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.timestamp().to_string())
}

fn key_info(spki: &SubjectPublicKeyInfo<'_>) -> KeyInfo {
    let alg = oid_str(&spki.algorithm.algorithm);
    match alg.as_str() {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
            let bits = match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Some(rsa.key_size() as u32),
                _ => None,
            };
            KeyInfo {
                kind: "RSA".into(),
                bits,
                curve: None,
            }
        }
        "1.2.840.10045.2.1" => {
            let c = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| oid_str(&o));
            let known = c.as_deref().and_then(curve);
            KeyInfo {
                kind: "EC".into(),
                bits: known.map(|k| k.1),
                curve: known.map(|k| k.0.to_string()).or(c),
            }
        }
        "1.3.101.112" => KeyInfo {
            kind: "Ed25519".into(),
            bits: Some(253),
            curve: None,
        },
        "1.3.101.113" => KeyInfo {
            kind: "Ed448".into(),
            bits: Some(456),
            curve: None,
        },
        "1.2.840.10040.4.1" => {
            let bits = match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::DSA(y)) => {
                    Some((y.len().saturating_sub(usize::from(y.first() == Some(&0)))) as u32 * 8)
                }
                _ => None,
            };
            KeyInfo {
                kind: "DSA".into(),
                bits,
                curve: None,
            }
        }
        other => KeyInfo {
            kind: other.to_string(),
            bits: None,
            curve: None,
        },
    }
}

/// Does `pattern` (a SAN or CN, possibly `*.example.com`) cover `name`?
pub(crate) fn dns_matches(pattern: &str, name: &str) -> bool {
    let p = pattern.trim_end_matches('.').to_ascii_lowercase();
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    if let Some(rest) = p.strip_prefix("*.") {
        // The wildcard stands for exactly one left-most label.
        match n.split_once('.') {
            Some((label, tail)) => !label.is_empty() && tail == rest,
            None => false,
        }
    } else {
        p == n
    }
}

/// Facts about `chain[0]`, or `None` when it is not a certificate.
pub fn facts(chain: &[Vec<u8>], name: &str, now_unix: i64) -> Option<CertFacts> {
    let der = chain.first()?;
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let subject = cert.subject();
    let issuer = cert.issuer();
    let cn = |n: &X509Name<'_>| {
        n.iter_common_name()
            .next()
            .and_then(|a| a.as_str().ok())
            .map(str::to_string)
    };
    let mut ski: Option<Vec<u8>> = None;
    let mut aki: Option<Vec<u8>> = None;
    let mut san_dns = Vec::new();
    let mut san_ip = Vec::new();
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0.to_vec()),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            ParsedExtension::SubjectAlternativeName(san) => {
                for g in &san.general_names {
                    match g {
                        GeneralName::DNSName(d) => san_dns.push(d.to_string()),
                        GeneralName::IPAddress(b) => {
                            let ip = match b.len() {
                                4 => <[u8; 4]>::try_from(*b).ok().map(IpAddr::from),
                                16 => <[u8; 16]>::try_from(*b).ok().map(IpAddr::from),
                                _ => None,
                            };
                            if let Some(ip) = ip {
                                san_ip.push(ip.to_string());
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let same_name = subject.as_raw() == issuer.as_raw();
    let keys_agree = match (&aki, &ski) {
        (Some(a), Some(s)) => a == s,
        _ => true,
    };
    let v = cert.validity();
    let nb = v.not_before.timestamp();
    let na = v.not_after.timestamp();
    let sig = signature_name(&oid_str(&cert.signature_algorithm.algorithm));
    let weak_hash = {
        let l = sig.to_ascii_lowercase();
        l.contains("sha1") || l.starts_with("md5") || l.starts_with("md2")
    };
    let subject_cn = cn(subject);
    let name_matches = match name.parse::<IpAddr>() {
        Ok(ip) => san_ip.iter().any(|s| s.parse::<IpAddr>().ok() == Some(ip)),
        Err(_) => {
            if san_dns.is_empty() {
                subject_cn.as_deref().is_some_and(|c| dns_matches(c, name))
            } else {
                san_dns.iter().any(|d| dns_matches(d, name))
            }
        }
    };
    Some(CertFacts {
        subject: subject.to_string(),
        subject_cn,
        issuer: issuer.to_string(),
        issuer_cn: cn(issuer),
        serial: cert.raw_serial_as_string(),
        sha256: hex::encode(Sha256::digest(der)),
        self_signed: same_name && keys_agree,
        not_before: rfc3339(&v.not_before),
        not_after: rfc3339(&v.not_after),
        not_before_unix: nb,
        not_after_unix: na,
        expired: now_unix > na,
        not_yet_valid: now_unix < nb,
        key: key_info(cert.public_key()),
        signature_algorithm: sig,
        weak_signature_hash: weak_hash,
        san_dns,
        san_ip,
        checked_name: name.to_string(),
        name_matches,
        chain_length: chain.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_one_label_only() {
        assert!(dns_matches("*.example.com", "cam.example.com"));
        assert!(!dns_matches("*.example.com", "a.cam.example.com"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(dns_matches("Cam.Example.com.", "cam.example.com"));
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(facts(&[vec![0x30, 0x82, 0xFF]], "x", 0).is_none());
        assert!(facts(&[], "x", 0).is_none());
    }
}

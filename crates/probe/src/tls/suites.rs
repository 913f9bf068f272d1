//! Cipher-suite lookup and classification.
//!
//! The registry itself is data (`suite_table.rs`); what a suite *is* (its
//! bulk cipher, key size, whether it authenticates the server) is read from
//! the IANA name, whose grammar is regular enough for that and keeps the
//! table free of hand-maintained columns that could drift from the name.

use serde::{Deserialize, Serialize};

use super::TlsVersion;
use super::suite_table::TABLE;

/// One registry entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteInfo {
    /// Code point, e.g. 0xC02F.
    pub id: u16,
    /// Registry name, e.g. `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
    pub iana: &'static str,
    /// OpenSSL's name, e.g. `ECDHE-RSA-AES128-GCM-SHA256`, when it has one.
    pub openssl: Option<&'static str>,
}

/// Why an accepted suite is classified as weak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeakReason {
    /// No encryption at all (NULL bulk cipher or integrity-only suite).
    NullEncryption,
    /// Export-grade: deliberately weakened 40/56-bit keys.
    Export,
    /// Anonymous key exchange (aNULL): the server is not authenticated, so a
    /// man in the middle reads everything.
    Anonymous,
    /// RC4 stream cipher (RFC 7465 prohibits it).
    Rc4,
    /// Single DES (56-bit key).
    Des,
    /// Triple DES: 64-bit block, practical collision attacks (Sweet32).
    TripleDes,
    /// RC2 (export-era 40-bit).
    Rc2,
    /// IDEA: 64-bit block cipher, removed from TLS 1.2 (RFC 5469).
    Idea,
    /// HMAC-MD5 record authentication.
    /// MD5 as the record MAC.
    Md5Mac,
    /// CBC mode under SSL 3.0 / TLS 1.0 / 1.1, whose record construction is
    /// open to padding-oracle and chosen-plaintext attacks (POODLE, BEAST,
    /// Lucky 13); AEAD suites only exist from TLS 1.2 on.
    CbcInLegacyProtocol,
}

impl WeakReason {
    /// A short English description for reports.
    pub fn describe(self) -> &'static str {
        match self {
            WeakReason::NullEncryption => "no encryption (NULL cipher)",
            WeakReason::Export => "export-grade key length",
            WeakReason::Anonymous => "anonymous key exchange (server not authenticated)",
            WeakReason::Rc4 => "RC4 stream cipher",
            WeakReason::Des => "single DES",
            WeakReason::TripleDes => "3DES (64-bit block, Sweet32)",
            WeakReason::Rc2 => "RC2",
            WeakReason::Idea => "IDEA (64-bit block)",
            WeakReason::Md5Mac => "MD5 message authentication",
            WeakReason::CbcInLegacyProtocol => "CBC mode under SSL 3.0/TLS 1.0/1.1",
        }
    }
}

/// Strong or weak, with the reasons when weak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// No known weakness.
    Strong,
    /// At least one [`WeakReason`] applies.
    Weak,
}

/// The registry entry for code point `id`, if the suite is registered.
pub fn lookup(id: u16) -> Option<SuiteInfo> {
    let idx = TABLE.binary_search_by_key(&id, |e| e.0).ok()?;
    TABLE
        .get(idx)
        .map(|&(id, iana, openssl)| SuiteInfo { id, iana, openssl })
}

/// Every registered suite, in code-point order.
pub fn all() -> impl Iterator<Item = SuiteInfo> {
    TABLE
        .iter()
        .map(|&(id, iana, openssl)| SuiteInfo { id, iana, openssl })
}

/// Suites that only exist in TLS 1.3 (they name no key exchange).
pub fn is_tls13_only(id: u16) -> bool {
    matches!(id, 0x1301..=0x1305 | 0x00C6 | 0x00C7 | 0xC0B4 | 0xC0B5)
}

/// The suites worth offering for `version`.
pub fn offer_list(version: TlsVersion) -> Vec<u16> {
    all()
        .map(|s| s.id)
        .filter(|&id| is_tls13_only(id) == (version == TlsVersion::Tls13))
        .collect()
}

fn tokens(iana: &str) -> Vec<&str> {
    iana.split('_').collect()
}

/// The tokens naming the bulk cipher and MAC (after `WITH`, or after the
/// `TLS` prefix for TLS 1.3 names).
fn cipher_tokens(iana: &str) -> Vec<&str> {
    let t = tokens(iana);
    match t.iter().position(|x| *x == "WITH") {
        Some(p) => t.get(p + 1..).map(<[&str]>::to_vec).unwrap_or_default(),
        None => t.get(1..).map(<[&str]>::to_vec).unwrap_or_default(),
    }
}

/// Symmetric key strength in bits as OpenSSL (and so sslscan) counts it.
pub fn bits(iana: &str) -> u16 {
    let c = cipher_tokens(iana);
    let first = c.first().copied().unwrap_or("");
    let size = c.get(1).and_then(|s| s.parse::<u16>().ok());
    if iana.contains("EXPORT") && first != "NULL" {
        return 40;
    }
    match first {
        "NULL" | "SHA256" | "SHA384" => 0,
        "AES" | "CAMELLIA" | "ARIA" => size.unwrap_or(128),
        "RC4" => size.unwrap_or(128),
        "CHACHA20" => 256,
        "3DES" => 112,
        "DES40" => 40,
        "DES" => 56,
        "RC2" => 40,
        "IDEA" | "SEED" | "SM4" => 128,
        "FORTEZZA" => 80,
        "28147" | "KUZNYECHIK" | "MAGMA" => 256,
        _ => 0,
    }
}

/// Weak reasons for `iana` accepted under `version` (empty = strong).
pub fn weaknesses(version: TlsVersion, iana: &str) -> Vec<WeakReason> {
    let all = tokens(iana);
    let c = cipher_tokens(iana);
    let mut r = Vec::new();
    let first = c.first().copied().unwrap_or("");
    if first == "NULL" || matches!(iana, "TLS_SHA256_SHA256" | "TLS_SHA384_SHA384") {
        r.push(WeakReason::NullEncryption);
    }
    if iana.contains("EXPORT") {
        r.push(WeakReason::Export);
    }
    if all.contains(&"anon") || iana.starts_with("TLS_NULL_WITH") {
        r.push(WeakReason::Anonymous);
    }
    if c.contains(&"RC4") {
        r.push(WeakReason::Rc4);
    }
    if c.contains(&"DES") || c.contains(&"DES40") {
        r.push(WeakReason::Des);
    }
    if c.contains(&"3DES") {
        r.push(WeakReason::TripleDes);
    }
    if c.contains(&"RC2") {
        r.push(WeakReason::Rc2);
    }
    if c.contains(&"IDEA") {
        r.push(WeakReason::Idea);
    }
    if c.last() == Some(&"MD5") {
        r.push(WeakReason::Md5Mac);
    }
    if version <= TlsVersion::Tls11 && c.contains(&"CBC") {
        r.push(WeakReason::CbcInLegacyProtocol);
    }
    r
}

/// How the suite agrees on keys, as far as the probe needs to know to read
/// the ServerKeyExchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KxKind {
    Ecdhe,
    Dhe,
    Other,
}

pub(crate) fn kx_kind(iana: &str) -> KxKind {
    let t = tokens(iana);
    if t.contains(&"PSK") {
        // PSK suites put an identity hint before the parameters.
        return KxKind::Other;
    }
    match t.get(1).copied() {
        Some("ECDHE") => KxKind::Ecdhe,
        Some("ECDH") if t.get(2) == Some(&"anon") => KxKind::Ecdhe,
        Some("DHE") => KxKind::Dhe,
        Some("DH") if t.get(2) == Some(&"anon") => KxKind::Dhe,
        _ => KxKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique_so_binary_search_works() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(TABLE.len() > 340);
    }

    #[test]
    fn legacy_suites_are_present_with_openssl_names() {
        for (id, name) in [
            (0x0004, "RC4-MD5"),
            (0x000A, "DES-CBC3-SHA"),
            (0x0003, "EXP-RC4-MD5"),
            (0x0002, "NULL-SHA"),
            (0x0034, "ADH-AES128-SHA"),
            (0xC030, "ECDHE-RSA-AES256-GCM-SHA384"),
        ] {
            assert_eq!(lookup(id).and_then(|s| s.openssl), Some(name), "{id:#06x}");
        }
    }

    #[test]
    fn classification_follows_the_name() {
        use TlsVersion::*;
        let w = |v, n| weaknesses(v, n);
        assert!(w(Tls12, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").is_empty());
        assert!(w(Tls12, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA").is_empty());
        assert_eq!(
            w(Tls10, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
            vec![WeakReason::CbcInLegacyProtocol]
        );
        assert_eq!(
            w(Tls12, "TLS_RSA_WITH_RC4_128_MD5"),
            vec![WeakReason::Rc4, WeakReason::Md5Mac]
        );
        assert!(w(Tls12, "TLS_DH_anon_WITH_AES_256_GCM_SHA384").contains(&WeakReason::Anonymous));
        assert!(w(Tls12, "TLS_RSA_WITH_3DES_EDE_CBC_SHA").contains(&WeakReason::TripleDes));
        assert!(w(Tls12, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA").contains(&WeakReason::Export));
        assert!(w(Tls12, "TLS_RSA_WITH_NULL_SHA256").contains(&WeakReason::NullEncryption));
        assert!(w(Tls13, "TLS_AES_128_GCM_SHA256").is_empty());
        assert_eq!(bits("TLS_RSA_WITH_3DES_EDE_CBC_SHA"), 112);
        assert_eq!(bits("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"), 256);
        assert_eq!(bits("TLS_AES_128_GCM_SHA256"), 128);
        assert_eq!(bits("TLS_RSA_EXPORT_WITH_RC4_40_MD5"), 40);
    }
}

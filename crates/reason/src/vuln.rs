//! The reasons of the S1.1-13② verdict (known vulnerabilities), kept apart
//! from the other reasons because each match carries more: where the
//! component was seen, why it matched, its rating, the KEV flag and the
//! VEX statement that settles it.

use jcstar_criteria::Lang;
use serde::{Deserialize, Serialize};

use crate::Reason;

/// What the vulnerability check compared, against which data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scope {
    /// The store as given (path or URL).
    pub store: String,
    /// Live records in the store (NVD and OSV).
    pub records: i64,
    /// Entries of CISA's KEV catalog in the store.
    pub kev: i64,
    /// The newest change of any record: how fresh the data is.
    pub newest: Option<String>,
    /// Components identified from the services' banners.
    pub from_services: usize,
    /// Components read from SBOMs.
    pub from_sboms: usize,
    /// VEX documents applied.
    pub vex_documents: usize,
    /// The rule, as written in the evidence (e.g. `KEV or CVSS >= 7.0 fails`).
    pub rule_en: String,
    /// The rule in Japanese.
    pub rule_ja: String,
}

/// One match as a reason of the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matched {
    /// The vulnerability's id (CVE or OSV id).
    pub vuln_id: String,
    /// The component as name and version.
    pub component: String,
    /// Where it was seen: `22/tcp` for a service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// The banner it was identified from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// The SBOM file and the component's reference in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbom: Option<String>,
    /// The rule's outcome for this match: `pass`, `review` or `fail`.
    pub outcome: String,
    /// CVSS base score and vector, when the record rates it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<String>,
    /// Whether CISA's KEV catalog lists it.
    pub known_exploited: bool,
    /// The VEX statement's status, justification and file, if one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vex: Option<String>,
    /// Why it matched, in English.
    pub why_en: String,
    /// Why it matched, in Japanese.
    pub why_ja: String,
    /// The rule's judgement, in English.
    pub judged_en: String,
    /// The rule's judgement, in Japanese.
    pub judged_ja: String,
}

fn outcome_word(o: &str, lang: Lang) -> &str {
    match (o, lang) {
        ("pass", Lang::Ja) => "適合",
        ("review", Lang::Ja) => "要確認",
        ("fail", Lang::Ja) => "不適合",
        ("review", Lang::En) => "needs review",
        (o, _) => o,
    }
}

fn matched(m: &Matched, lang: Lang) -> String {
    let ja = lang == Lang::Ja;
    let mut seen = Vec::new();
    if let Some(p) = &m.port {
        seen.push(if ja {
            format!("{p} のサービス")
        } else {
            format!("service {p}")
        });
    }
    if let Some(b) = &m.banner {
        seen.push(if ja {
            format!("バナー「{b}」")
        } else {
            format!("banner {b:?}")
        });
    }
    if let Some(s) = &m.sbom {
        seen.push(format!("SBOM {s}"));
    }
    let vex = match (&m.vex, ja) {
        (Some(v), _) => format!("VEX: {v}"),
        (None, true) => "VEX なし".to_string(),
        (None, false) => "no VEX statement".to_string(),
    };
    let kev = match (m.known_exploited, ja) {
        (true, true) => "CISA KEV 掲載あり",
        (true, false) => "in CISA KEV",
        (false, true) => "CISA KEV 掲載なし",
        (false, false) => "not in CISA KEV",
    };
    if ja {
        format!(
            "[{}] {}（{}）: {}。根拠: {}。{kev}。{vex}",
            outcome_word(&m.outcome, lang),
            m.vuln_id,
            seen.join("、"),
            m.judged_ja,
            m.why_ja
        )
    } else {
        format!(
            "[{}] {} ({}): {}; matched because {}; {kev}; {vex}",
            outcome_word(&m.outcome, lang),
            m.vuln_id,
            seen.join(", "),
            m.judged_en,
            m.why_en
        )
    }
}

/// The text of a known-vulnerability reason in `lang`; other reasons give
/// an empty text (they are written by [`Reason::text`]).
pub fn text(r: &Reason, lang: Lang) -> String {
    let ja = lang == Lang::Ja;
    match r {
        Reason::VulnDbMissing { store } if ja => format!(
            "脆弱性データベース {store} がありません。NVD の CVE フィード、OSV のレコード、CISA KEV カタログを入手して `jcstar vulndb import FILE...` で取り込み、`--vulndb` でその保存先を指定して再実行してください（README の「Known vulnerabilities」を参照）"
        ),
        Reason::VulnDbMissing { store } => format!(
            "no vulnerability store at {store}: download the NVD CVE feeds, OSV records and the CISA KEV catalog, load them with `jcstar vulndb import FILE...`, and run again with `--vulndb` naming the store (see \"Known vulnerabilities\" in the README)"
        ),
        Reason::VulnDbEmpty { store } if ja => format!(
            "脆弱性データベース {store} にレコードがありません。`jcstar vulndb import FILE...` で NVD・OSV・CISA KEV のフィードを取り込んでから再実行してください"
        ),
        Reason::VulnDbEmpty { store } => format!(
            "the vulnerability store {store} holds no record: load the NVD, OSV and CISA KEV feeds with `jcstar vulndb import FILE...` and run again"
        ),
        Reason::VulnDbUnusable { store, error } if ja => format!(
            "脆弱性データベース {store} を使えませんでした（{error}）。`jcstar vulndb stats --vulndb {store}` で確認してください"
        ),
        Reason::VulnDbUnusable { store, error } => format!(
            "the vulnerability store {store} could not be used ({error}); check it with `jcstar vulndb stats --vulndb {store}`"
        ),
        Reason::VulnScope(s) if ja => format!(
            "脆弱性データベース {}（レコード {} 件、KEV {} 件、最新の更新 {}）と照合しました: サービスのバナーから {} 件、SBOM から {} 件の構成要素、VEX 文書 {} 件。判定規則: {}",
            s.store,
            s.records,
            s.kev,
            s.newest.as_deref().unwrap_or("-"),
            s.from_services,
            s.from_sboms,
            s.vex_documents,
            s.rule_ja
        ),
        Reason::VulnScope(s) => format!(
            "matched against the vulnerability store {} ({} records, {} KEV entries, newest change {}): {} components from service banners, {} from SBOMs, {} VEX documents; rule: {}",
            s.store,
            s.records,
            s.kev,
            s.newest.as_deref().unwrap_or("-"),
            s.from_services,
            s.from_sboms,
            s.vex_documents,
            s.rule_en
        ),
        Reason::VulnMatch(m) => matched(m, lang),
        Reason::NoKnownVulnerability { components } if ja => format!(
            "照合した構成要素 {components} 件に、取り込んだデータの範囲で既知の脆弱性は見つかりませんでした"
        ),
        Reason::NoKnownVulnerability { components } => format!(
            "no known vulnerability in the {components} components compared (within the imported data)"
        ),
        Reason::NothingToCompare if ja => "製品と版数を示すサービスがなく SBOM も指定されていないため、照合できるものがありません。`--sbom` で機器の SBOM を指定してください".into(),
        Reason::NothingToCompare => "no service named its product and version and no SBOM was given, so nothing could be compared; give the device's SBOM with `--sbom`".into(),
        Reason::VulnNotCompared { items } if ja => format!(
            "製品か版数が分からず照合できなかったもの（SBOM などで確認が必要）: {}",
            items.join("、")
        ),
        Reason::VulnNotCompared { items } => format!(
            "not compared, product or version unknown (confirm with an SBOM or documents): {}",
            items.join(", ")
        ),
        _ => String::new(),
    }
}

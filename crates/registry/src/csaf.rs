//! CSAF 2.0 advisories a vendor publishes for a label: the checks the
//! registry makes before it keeps one (the required fields, the document
//! category, the product tree references), and the summary the product page
//! shows. A document that fails is refused with the JSON path of the
//! offending field (`document.vulnerabilities[0].product_status.fixed[1]`).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{Error, Result, t};

/// The CSAF 2.0 document categories (profiles) accepted.
pub const CATEGORIES: &[&str] = &[
    "csaf_base",
    "csaf_security_incident_response",
    "csaf_informational_advisory",
    "csaf_security_advisory",
    "csaf_vex",
];

/// A CSAF advisory published for a label (payload of `csaf_published`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CsafRef {
    /// SHA-256 of the document's bytes (lowercase hex); its stable address.
    pub sha256: String,
    /// `document.tracking.id`.
    pub tracking_id: String,
    /// `document.title`.
    pub title: String,
    /// `document.category`.
    pub category: String,
    /// `document.tracking.version`.
    pub version: String,
    /// `document.tracking.current_release_date` as given.
    pub current_release_date: String,
    /// The CVE ids of its vulnerabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
    /// What it says of each CVE: `fixed` when some product has a fix,
    /// else `affected`, `not_affected` or `under_investigation`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<crate::secinfo::VexLine>,
    /// Size of the document in bytes.
    pub bytes: u64,
    /// Day it was published in the registry (Japan).
    pub published_on: NaiveDate,
}

/// One advisory as the registry's CSAF provider lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublishedAdvisory {
    /// The label it was published for.
    pub number: String,
    /// When it was published in the registry.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The advisory.
    pub advisory: CsafRef,
}

/// Most advisories a provider listing returns.
pub const MAX_LISTED: i64 = 10_000;

/// Every advisory published in the registry, newest first (at most
/// [`MAX_LISTED`]).
pub(crate) async fn published(reg: &crate::Registry) -> Result<Vec<PublishedAdvisory>> {
    let events = reg
        .inner
        .store
        .events_of_kind(crate::EventKind::CsafPublished, MAX_LISTED)
        .await?;
    let mut out = Vec::with_capacity(events.len());
    for ev in events {
        let advisory: CsafRef = serde_json::from_value(ev.payload.clone())
            .map_err(|e| Error::Corrupt(format!("event {}: {e}", ev.seq)))?;
        out.push(PublishedAdvisory {
            number: ev.label_number.clone().unwrap_or_default(),
            at: ev.at,
            advisory,
        });
    }
    Ok(out)
}

fn bad(path: &str, ja: impl Into<String>, en: impl Into<String>) -> Error {
    Error::invalid(format!("document.{path}"), t(ja.into(), en.into()))
}

fn text<'a>(v: &'a Value, path: &str) -> Result<&'a str> {
    let mut cur = v;
    for key in path.split('.') {
        cur = cur.get(key).ok_or_else(|| {
            bad(
                path,
                "CSAF 2.0 で必須の項目がありません",
                "required by CSAF 2.0 and missing",
            )
        })?;
    }
    match cur.as_str() {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(bad(
            path,
            "空でない文字列にしてください",
            "must be a non-empty string",
        )),
    }
}

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Every product id the product tree defines.
fn product_ids(tree: &Value) -> BTreeSet<String> {
    fn branches(v: &Value, out: &mut BTreeSet<String>, depth: usize) {
        if depth > 30 {
            return;
        }
        for b in array(v, "branches") {
            if let Some(id) = b.pointer("/product/product_id").and_then(Value::as_str) {
                out.insert(id.to_string());
            }
            branches(b, out, depth + 1);
        }
    }
    let mut out = BTreeSet::new();
    branches(tree, &mut out, 0);
    for p in array(tree, "full_product_names") {
        if let Some(id) = p.get("product_id").and_then(Value::as_str) {
            out.insert(id.to_string());
        }
    }
    for r in array(tree, "relationships") {
        if let Some(id) = r
            .pointer("/full_product_name/product_id")
            .and_then(Value::as_str)
        {
            out.insert(id.to_string());
        }
    }
    out
}

fn check_refs(ids: &BTreeSet<String>, list: &[Value], path: &str) -> Result<()> {
    for (i, r) in list.iter().enumerate() {
        let p = format!("{path}[{i}]");
        match r.as_str() {
            Some(id) if ids.contains(id) => {}
            Some(id) => {
                return Err(bad(
                    &p,
                    format!("{id:?} は product_tree で定義されていない製品 ID です"),
                    format!("{id:?} is not a product id the product_tree defines"),
                ));
            }
            None => {
                return Err(bad(
                    &p,
                    "製品 ID の文字列にしてください",
                    "must be a product id string",
                ));
            }
        }
    }
    Ok(())
}

/// Check a CSAF 2.0 document; the summary to record, without the digest,
/// size and day (the caller fills those).
pub fn check(bytes: &[u8]) -> Result<CsafRef> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        Error::invalid(
            "document",
            t(
                format!(
                    "JSON として読めません（{} 行 {} 列）: {e}",
                    e.line(),
                    e.column()
                ),
                format!("not JSON (line {} column {}): {e}", e.line(), e.column()),
            ),
        )
    })?;
    let doc = v.get("document").ok_or_else(|| {
        Error::invalid(
            "document.document",
            t(
                "CSAF 2.0 で必須の項目がありません",
                "required by CSAF 2.0 and missing",
            ),
        )
    })?;
    let version = text(&v, "document.csaf_version")?;
    if version != "2.0" {
        return Err(bad(
            "document.csaf_version",
            format!("{version:?} ではなく \"2.0\" にしてください"),
            format!("{version:?}: only \"2.0\" is accepted"),
        ));
    }
    let category = text(&v, "document.category")?;
    if !CATEGORIES.contains(&category) {
        return Err(bad(
            "document.category",
            format!(
                "{category:?} は CSAF 2.0 のカテゴリではありません（{}）",
                CATEGORIES.join(", ")
            ),
            format!(
                "{category:?} is not a CSAF 2.0 category ({})",
                CATEGORIES.join(", ")
            ),
        ));
    }
    for f in [
        "document.title",
        "document.publisher.category",
        "document.publisher.name",
        "document.publisher.namespace",
        "document.tracking.id",
        "document.tracking.status",
        "document.tracking.version",
        "document.tracking.initial_release_date",
        "document.tracking.current_release_date",
    ] {
        text(&v, f)?;
    }
    let status = text(&v, "document.tracking.status")?;
    if !["draft", "final", "interim"].contains(&status) {
        return Err(bad(
            "document.tracking.status",
            format!("{status:?} ではなく draft、final、interim のいずれかにしてください"),
            format!("{status:?}: draft, final or interim"),
        ));
    }
    let tracking = doc.get("tracking").unwrap_or(&Value::Null);
    if array(tracking, "revision_history").is_empty() {
        return Err(bad(
            "document.tracking.revision_history",
            "少なくとも一つの改訂履歴が必要です",
            "needs at least one revision",
        ));
    }
    let needs_tree = matches!(category, "csaf_security_advisory" | "csaf_vex");
    let tree = v.get("product_tree");
    if needs_tree && tree.is_none() {
        return Err(bad(
            "product_tree",
            format!("{category} には必須です"),
            format!("required for {category}"),
        ));
    }
    let vulns = array(&v, "vulnerabilities");
    if needs_tree && vulns.is_empty() {
        return Err(bad(
            "vulnerabilities",
            format!("{category} には一つ以上必要です"),
            format!("{category} needs at least one"),
        ));
    }
    let ids = tree.map(product_ids).unwrap_or_default();
    if let Some(tree) = tree {
        for (i, r) in array(tree, "relationships").iter().enumerate() {
            for key in ["product_reference", "relates_to_product_reference"] {
                let one = [r.get(key).cloned().unwrap_or(Value::Null)];
                check_refs(
                    &ids,
                    &one,
                    &format!("product_tree.relationships[{i}].{key}"),
                )
                .map_err(|e| match e {
                    Error::Invalid { field, message } => Error::Invalid {
                        field: field.trim_end_matches("[0]").to_string(),
                        message,
                    },
                    other => other,
                })?;
            }
        }
    }
    let mut cves = Vec::new();
    let mut statements = Vec::new();
    for (i, vuln) in vulns.iter().enumerate() {
        if let Some(c) = vuln.get("cve").and_then(Value::as_str) {
            if !crate::secinfo::is_cve_id(c) {
                return Err(bad(
                    &format!("vulnerabilities[{i}].cve"),
                    format!("{c:?} は CVE 番号ではありません"),
                    format!("{c:?} is not a CVE id"),
                ));
            }
            cves.push(c.to_string());
            let has = |k: &str| {
                vuln.pointer(&format!("/product_status/{k}"))
                    .and_then(Value::as_array)
                    .is_some_and(|a| !a.is_empty())
            };
            let status = if has("fixed") || has("first_fixed") {
                Some("fixed")
            } else if has("known_affected") || has("first_affected") || has("last_affected") {
                Some("affected")
            } else if has("known_not_affected") {
                Some("not_affected")
            } else if has("under_investigation") {
                Some("under_investigation")
            } else {
                None
            };
            if let Some(status) = status {
                statements.push(crate::secinfo::VexLine {
                    vulnerability: c.to_string(),
                    status: status.to_string(),
                    justification: None,
                    detail: None,
                    products: Vec::new(),
                });
            }
        }
        if category == "csaf_security_advisory" && array(vuln, "notes").is_empty() {
            return Err(bad(
                &format!("vulnerabilities[{i}].notes"),
                "セキュリティアドバイザリの脆弱性には notes が必要です",
                "a security advisory's vulnerability needs notes",
            ));
        }
        if let Some(ps) = vuln.get("product_status").and_then(Value::as_object) {
            for (k, list) in ps {
                let list = list.as_array().map(Vec::as_slice).unwrap_or(&[]);
                check_refs(
                    &ids,
                    list,
                    &format!("vulnerabilities[{i}].product_status.{k}"),
                )?;
            }
        }
        for (j, r) in array(vuln, "remediations").iter().enumerate() {
            check_refs(
                &ids,
                array(r, "product_ids"),
                &format!("vulnerabilities[{i}].remediations[{j}].product_ids"),
            )?;
        }
    }
    Ok(CsafRef {
        sha256: String::new(),
        tracking_id: text(&v, "document.tracking.id")?.to_string(),
        title: text(&v, "document.title")?.to_string(),
        category: category.to_string(),
        version: text(&v, "document.tracking.version")?.to_string(),
        current_release_date: text(&v, "document.tracking.current_release_date")?.to_string(),
        cves,
        statements,
        bytes: bytes.len() as u64,
        published_on: NaiveDate::MIN,
    })
}

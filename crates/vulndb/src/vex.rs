//! VEX: a vendor's statements on whether a vulnerability affects its
//! product, in OpenVEX (0.0.x, 0.2.0) or CycloneDX VEX (1.4–1.6). A
//! `not_affected` statement must say why (a justification, or for OpenVEX
//! an impact statement, which the OpenVEX specification accepts in its
//! place); a document that breaks a rule is refused with the JSON path of
//! the field at fault.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use crate::feed::split_cpe;
use crate::matcher::{Match, Origin};
use crate::purl::Purl;

/// A VEX document that is refused, with the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: field {path}: {message}")]
pub struct VexError {
    /// The VEX file, as the caller named it.
    pub file: String,
    /// JSON path of the field at fault.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

/// What a VEX statement says of a vulnerability in a product (OpenVEX terms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    /// The product is not affected (CycloneDX `not_affected`, `false_positive`); clears a match.
    NotAffected,
    /// The product is affected (CycloneDX `exploitable`); confirms a match.
    Affected,
    /// The vulnerability is fixed in the product (CycloneDX `resolved`); clears a match.
    Fixed,
    /// The vendor is still investigating (CycloneDX `in_triage`); the match needs review.
    UnderInvestigation,
}

impl VexStatus {
    /// The OpenVEX keyword (`not_affected`, `affected`, `fixed`, `under_investigation`).
    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }
}

/// What a statement names as the product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ProductRef {
    /// A package URL.
    Purl {
        /// The purl as the statement gives it.
        purl: String,
    },
    /// A CPE 2.3 name.
    Cpe {
        /// CPE vendor.
        vendor: String,
        /// CPE product.
        product: String,
        /// CPE version; `None` for any version (`*` or `-`).
        version: Option<String>,
    },
    /// A CycloneDX bom-ref that resolves to nothing in the VEX document:
    /// it refers to the SBOM's component of that bom-ref.
    BomRef {
        /// The bom-ref.
        bom_ref: String,
    },
}

/// One statement of a VEX document: a vulnerability, the products, the status.
#[derive(Debug, Clone, Serialize)]
pub struct Statement {
    /// The vulnerability's id as the statement names it.
    pub vulnerability: String,
    /// Other ids of the vulnerability the statement gives.
    pub aliases: Vec<String>,
    /// The products the statement is about.
    pub products: Vec<ProductRef>,
    /// What the statement says.
    pub status: VexStatus,
    /// Why the product is not affected, as a justification keyword.
    pub justification: Option<String>,
    /// Free text: the impact or action statement (OpenVEX) or the analysis detail (CycloneDX).
    pub detail: Option<String>,
    /// JSON path of the statement in its document.
    pub path: String,
}

/// A read VEX document.
#[derive(Debug, Clone, Serialize)]
pub struct VexDocument {
    /// The file, as the caller named it.
    pub file: String,
    /// `openvex` or `cyclonedx`.
    pub format: &'static str,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

/// The statement that settled a match, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexApplied {
    /// What the statement says.
    pub status: VexStatus,
    /// Its justification keyword, if any.
    pub justification: Option<String>,
    /// Its free-text detail, if any.
    pub detail: Option<String>,
    /// The VEX file it is in.
    pub file: String,
    /// JSON path of the statement in that file.
    pub path: String,
}

const OPENVEX_JUSTIFICATIONS: &[&str] = &[
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

const CDX_JUSTIFICATIONS: &[&str] = &[
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
];

fn err(file: &str, path: impl Into<String>, message: impl Into<String>) -> VexError {
    VexError {
        file: file.into(),
        path: path.into(),
        message: message.into(),
    }
}

fn product_ref(s: &str) -> Option<ProductRef> {
    if s.starts_with("pkg:") {
        return Purl::parse(s).map(|_| ProductRef::Purl { purl: s.into() });
    }
    if s.starts_with("cpe:2.3:") {
        let parts = split_cpe(s)?;
        let f = |i: usize| parts.get(i).cloned().unwrap_or_default();
        let v = f(3);
        return Some(ProductRef::Cpe {
            vendor: f(1),
            product: f(2),
            version: (v != "*" && v != "-" && !v.is_empty()).then_some(v),
        });
    }
    None
}

/// Read a VEX document.
pub fn parse(file: &str, bytes: &[u8]) -> Result<VexDocument, VexError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        err(
            file,
            "$",
            format!(
                "not valid JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let ctx = v.get("@context").and_then(Value::as_str).unwrap_or("");
    if ctx.starts_with("https://openvex.dev/ns") {
        openvex(file, &v)
    } else if v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        cyclonedx(file, &v)
    } else {
        Err(err(
            file,
            "$",
            "not a VEX document: expected OpenVEX (\"@context\": \"https://openvex.dev/ns/...\") or CycloneDX with \"vulnerabilities\"",
        ))
    }
}

fn openvex(file: &str, v: &Value) -> Result<VexDocument, VexError> {
    let Some(stmts) = v.get("statements").and_then(Value::as_array) else {
        return Err(err(file, "$.statements", "missing or not an array"));
    };
    let mut out = Vec::new();
    for (i, s) in stmts.iter().enumerate() {
        let p = format!("$.statements[{i}]");
        // 0.2.0 has {"name": ..., "aliases": [...]}; 0.0.x a plain string.
        let (vuln, aliases) = match s.get("vulnerability") {
            Some(Value::String(x)) => (x.clone(), Vec::new()),
            Some(Value::Object(o)) => {
                let name = o.get("name").and_then(Value::as_str).ok_or_else(|| {
                    err(
                        file,
                        format!("{p}.vulnerability.name"),
                        "missing or not a string",
                    )
                })?;
                let aliases = o
                    .get("aliases")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                (name.to_string(), aliases)
            }
            _ => {
                return Err(err(
                    file,
                    format!("{p}.vulnerability"),
                    "missing: name the vulnerability (e.g. CVE-2023-48795)",
                ));
            }
        };
        let status = match s.get("status").and_then(Value::as_str) {
            Some("not_affected") => VexStatus::NotAffected,
            Some("affected") => VexStatus::Affected,
            Some("fixed") => VexStatus::Fixed,
            Some("under_investigation") => VexStatus::UnderInvestigation,
            other => {
                return Err(err(
                    file,
                    format!("{p}.status"),
                    format!(
                        "{other:?} is not a status (not_affected, affected, fixed, under_investigation)"
                    ),
                ));
            }
        };
        let justification = s
            .get("justification")
            .and_then(Value::as_str)
            .map(str::to_string);
        let impact = s
            .get("impact_statement")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(j) = &justification
            && !OPENVEX_JUSTIFICATIONS.contains(&j.as_str())
        {
            return Err(err(
                file,
                format!("{p}.justification"),
                format!(
                    "{j:?} is not an OpenVEX justification ({})",
                    OPENVEX_JUSTIFICATIONS.join(", ")
                ),
            ));
        }
        if status == VexStatus::NotAffected
            && justification.is_none()
            && impact.as_deref().is_none_or(|t| t.trim().is_empty())
        {
            return Err(err(
                file,
                format!("{p}.justification"),
                "a not_affected statement needs a justification (or an impact_statement)",
            ));
        }
        let mut products = Vec::new();
        for (j, prod) in s
            .get("products")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let pp = format!("{p}.products[{j}]");
            let mut ids: Vec<(String, &str)> = Vec::new();
            match prod {
                Value::String(x) => ids.push((pp.clone(), x)),
                Value::Object(o) => {
                    if let Some(x) = o.get("@id").and_then(Value::as_str) {
                        ids.push((format!("{pp}.@id"), x));
                    }
                    if let Some(idf) = o.get("identifiers").and_then(Value::as_object) {
                        for k in ["purl", "cpe23"] {
                            if let Some(x) = idf.get(k).and_then(Value::as_str) {
                                ids.push((format!("{pp}.identifiers.{k}"), x));
                            }
                        }
                    }
                    for (k, sc) in o
                        .get("subcomponents")
                        .and_then(Value::as_array)
                        .map(Vec::as_slice)
                        .unwrap_or(&[])
                        .iter()
                        .enumerate()
                    {
                        if let Some(x) = sc.get("@id").and_then(Value::as_str) {
                            ids.push((format!("{pp}.subcomponents[{k}].@id"), x));
                        }
                    }
                }
                _ => return Err(err(file, pp, "expected a product object or identifier")),
            }
            for (path, id) in ids {
                // Product ids that are neither purl nor CPE (a firmware
                // IRI) are allowed by OpenVEX; they just cannot match.
                if let Some(r) = product_ref(id) {
                    products.push(r);
                } else if id.starts_with("pkg:") || id.starts_with("cpe:") {
                    return Err(err(
                        file,
                        path,
                        format!("{id:?} is not a valid purl or CPE 2.3 name"),
                    ));
                }
            }
        }
        if products.is_empty() {
            return Err(err(
                file,
                format!("{p}.products"),
                "no product with a purl or CPE 2.3 identifier",
            ));
        }
        out.push(Statement {
            vulnerability: vuln,
            aliases,
            products,
            status,
            justification,
            detail: impact.or_else(|| {
                s.get("action_statement")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            }),
            path: p,
        });
    }
    Ok(VexDocument {
        file: file.into(),
        format: "openvex",
        statements: out,
    })
}

fn cyclonedx(file: &str, v: &Value) -> Result<VexDocument, VexError> {
    let spec = v.get("specVersion").and_then(Value::as_str).unwrap_or("");
    if !matches!(spec, "1.4" | "1.5" | "1.6") {
        return Err(err(
            file,
            "$.specVersion",
            format!("{spec:?} is not supported (1.4, 1.5, 1.6)"),
        ));
    }
    let Some(vulns) = v.get("vulnerabilities").and_then(Value::as_array) else {
        return Err(err(
            file,
            "$.vulnerabilities",
            "missing: a CycloneDX VEX lists vulnerabilities with their analysis",
        ));
    };
    // bom-refs of the document's own components resolve to their purl/CPE.
    let mut refs: HashMap<&str, Vec<ProductRef>> = HashMap::new();
    fn collect<'a>(list: &'a [Value], refs: &mut HashMap<&'a str, Vec<ProductRef>>) {
        for c in list {
            if let Some(r) = c.get("bom-ref").and_then(Value::as_str) {
                let mut ids = Vec::new();
                for k in ["purl", "cpe"] {
                    if let Some(x) = c.get(k).and_then(Value::as_str).and_then(product_ref) {
                        ids.push(x);
                    }
                }
                refs.insert(r, ids);
            }
            if let Some(n) = c.get("components").and_then(Value::as_array) {
                collect(n, refs);
            }
        }
    }
    collect(
        v.get("components")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]),
        &mut refs,
    );
    let mut out = Vec::new();
    for (i, x) in vulns.iter().enumerate() {
        let p = format!("$.vulnerabilities[{i}]");
        let id = x
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| err(file, format!("{p}.id"), "missing: name the vulnerability"))?;
        let Some(an) = x.get("analysis") else {
            return Err(err(
                file,
                format!("{p}.analysis"),
                "missing: a VEX entry needs analysis.state",
            ));
        };
        let state = an.get("state").and_then(Value::as_str).unwrap_or("");
        let status = match state {
            "not_affected" | "false_positive" => VexStatus::NotAffected,
            "exploitable" => VexStatus::Affected,
            "resolved" | "resolved_with_pedigree" => VexStatus::Fixed,
            "in_triage" => VexStatus::UnderInvestigation,
            other => {
                return Err(err(
                    file,
                    format!("{p}.analysis.state"),
                    format!(
                        "{other:?} is not a state (not_affected, false_positive, exploitable, resolved, resolved_with_pedigree, in_triage)"
                    ),
                ));
            }
        };
        let justification = an
            .get("justification")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(j) = &justification
            && !CDX_JUSTIFICATIONS.contains(&j.as_str())
        {
            return Err(err(
                file,
                format!("{p}.analysis.justification"),
                format!(
                    "{j:?} is not a CycloneDX justification ({})",
                    CDX_JUSTIFICATIONS.join(", ")
                ),
            ));
        }
        if state == "not_affected" && justification.is_none() {
            return Err(err(
                file,
                format!("{p}.analysis.justification"),
                "a not_affected analysis needs a justification",
            ));
        }
        let mut products = Vec::new();
        for (j, a) in x
            .get("affects")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let Some(r) = a.get("ref").and_then(Value::as_str) else {
                return Err(err(
                    file,
                    format!("{p}.affects[{j}].ref"),
                    "missing or not a string",
                ));
            };
            // `urn:cdx:serial/version#bom-ref` names a component of another BOM.
            let local = r
                .rsplit_once('#')
                .filter(|_| r.starts_with("urn:cdx:"))
                .map_or(r, |(_, b)| b);
            if let Some(ids) = refs.get(local) {
                products.extend(ids.iter().cloned());
            } else if let Some(pr) = product_ref(local) {
                products.push(pr);
            } else {
                products.push(ProductRef::BomRef {
                    bom_ref: local.to_string(),
                });
            }
        }
        if products.is_empty() {
            return Err(err(file, format!("{p}.affects"), "no affected component"));
        }
        let aliases = x
            .get("references")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.get("id").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        out.push(Statement {
            vulnerability: id.into(),
            aliases,
            products,
            status,
            justification,
            detail: an.get("detail").and_then(Value::as_str).map(str::to_string),
            path: p,
        });
    }
    Ok(VexDocument {
        file: file.into(),
        format: "cyclonedx",
        statements: out,
    })
}

fn product_matches(p: &ProductRef, m: &Match) -> bool {
    let c = &m.component;
    // A CPE carries the upstream version; the component may hold the
    // package version (2022.83 against 2022.83-1+deb12u1).
    let version_ok = |want: &Option<String>| match want {
        None => true,
        Some(w) => c.version.as_deref() == Some(w.as_str()) || m.version == *w,
    };
    match p {
        ProductRef::Cpe {
            vendor,
            product,
            version,
        } => {
            c.cpe
                .iter()
                .any(|(v, pr)| v.eq_ignore_ascii_case(vendor) && pr.eq_ignore_ascii_case(product))
                && version_ok(version)
        }
        ProductRef::Purl { purl } => {
            let (Some(want), Some(have)) =
                (Purl::parse(purl), c.purl.as_deref().and_then(Purl::parse))
            else {
                return false;
            };
            want.ty == have.ty
                && want.namespace == have.namespace
                && want.name == have.name
                && (want.version.is_none() || want.version == have.version)
        }
        ProductRef::BomRef { bom_ref } => {
            matches!(&c.origin, Origin::Sbom { bom_ref: b, .. } if b == bom_ref)
        }
    }
}

/// The statement that applies to `m`, the last one when several do (a
/// later statement in a document updates an earlier one).
pub fn apply(docs: &[VexDocument], m: &Match) -> Option<VexApplied> {
    let ids: Vec<&str> = std::iter::once(m.vuln_id.as_str())
        .chain(m.aliases.iter().map(String::as_str))
        .collect();
    let mut found = None;
    for d in docs {
        for s in &d.statements {
            let names_it = ids.contains(&s.vulnerability.as_str())
                || s.aliases.iter().any(|a| ids.contains(&a.as_str()));
            if names_it && s.products.iter().any(|p| product_matches(p, m)) {
                found = Some(VexApplied {
                    status: s.status,
                    justification: s.justification.clone(),
                    detail: s.detail.clone(),
                    file: d.file.clone(),
                    path: s.path.clone(),
                });
            }
        }
    }
    found
}

//! Security documents a vendor attaches to a label: an SBOM per firmware
//! version and VEX documents (see [`crate::secinfo`]). Each is read with
//! `jcstar-vulndb`'s reader before it is kept; a document that does not read
//! is refused with the path of the offending field.

use crate::Registry;
use crate::auth::Action;
use crate::commands::{label_step, refuse_label};
use crate::error::{Error, Result, t};
use crate::events::Payload;
use crate::model::*;
use crate::secinfo::{
    DocumentKind, MAX_DOCUMENT_BYTES, SbomRef, StoredDocument, VexLine, VexRef, sha256_hex,
};
use crate::store::check_text;

fn check_size(bytes: &[u8]) -> Result<()> {
    if bytes.is_empty() {
        return Err(Error::invalid(
            "document",
            t(
                "空の文書は受け付けません",
                "an empty document is not accepted",
            ),
        ));
    }
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::invalid(
            "document",
            t(
                format!(
                    "{} バイトあります: {MAX_DOCUMENT_BYTES} バイトまで受け付けます",
                    bytes.len()
                ),
                format!(
                    "it has {} bytes: at most {MAX_DOCUMENT_BYTES} are accepted",
                    bytes.len()
                ),
            ),
        ));
    }
    Ok(())
}

fn as_text(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|e| {
        Error::invalid(
            "document",
            t(
                format!("UTF-8 ではありません（{} バイト目）", e.valid_up_to()),
                format!("not UTF-8 (at byte {})", e.valid_up_to()),
            ),
        )
    })
}

/// A vendor adds nothing to a revoked or withdrawn label (the transition
/// table refuses documents for everyone; this covers the other entries).
pub(crate) fn vendor_may_add(actor: &Actor, label: &Label) -> Result<()> {
    if actor.role == Role::Vendor
        && matches!(label.status, LabelStatus::Revoked | LabelStatus::Withdrawn)
    {
        return Err(refuse_label(
            label,
            t(
                "取り消し・取り下げられたラベルには事業者は情報を追加できません",
                "a vendor cannot add to a revoked or withdrawn label",
            ),
        ));
    }
    Ok(())
}

pub(crate) async fn attach_sbom(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    firmware_version: &str,
    bytes: &[u8],
) -> Result<Label> {
    let version = firmware_version.trim();
    if version.is_empty() {
        return Err(Error::invalid(
            "firmware_version",
            t("空にはできません", "must not be empty"),
        ));
    }
    check_text("firmware_version", version, 200)?;
    check_size(bytes)?;
    let body = as_text(bytes)?;
    let sbom = jcstar_vulndb::sbom::parse("document", bytes).map_err(|e| {
        let msg = e.to_string();
        Error::invalid(
            "document",
            t(
                format!("SBOM として読めません: {msg}（CycloneDX 1.4〜1.6 JSON または SPDX 2.3 JSON を受け付けます）"),
                format!("not a readable SBOM: {msg} (CycloneDX 1.4–1.6 JSON or SPDX 2.3 JSON are accepted)"),
            ),
        )
    })?;
    let (mut step, now) = label_step(reg, actor, number, Action::EditSecurityInfo).await?;
    vendor_may_add(actor, &now)?;
    let listed: Vec<&str> = now
        .products
        .iter()
        .flat_map(|p| p.firmware_versions.iter().map(String::as_str))
        .collect();
    if !listed.is_empty() && !listed.contains(&version) {
        return Err(Error::invalid(
            "firmware_version",
            t(
                format!(
                    "{version} はこのラベルのファームウェアバージョンではありません（{}）",
                    listed.join(", ")
                ),
                format!(
                    "{version} is not a firmware version of this label ({})",
                    listed.join(", ")
                ),
            ),
        ));
    }
    let sha256 = sha256_hex(bytes);
    let format = match sbom.format {
        jcstar_vulndb::sbom::SbomFormat::CycloneDx => "cyclonedx",
        jcstar_vulndb::sbom::SbomFormat::Spdx => "spdx",
    };
    let r = SbomRef {
        firmware_version: version.to_string(),
        sha256: sha256.clone(),
        format: format.to_string(),
        spec_version: sbom.spec_version.clone(),
        components: sbom.components.len() as u64,
        bytes: bytes.len() as u64,
        attached_on: reg.today(),
    };
    step.tx
        .put_document(DocumentKind::Sbom, &sha256, body)
        .await?;
    step.record(actor, None, Payload::SbomAttached(r)).await?;
    step.finish_label().await
}

pub(crate) async fn publish_vex(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    bytes: &[u8],
) -> Result<Label> {
    check_size(bytes)?;
    let body = as_text(bytes)?;
    let doc = jcstar_vulndb::vex::parse("document", bytes).map_err(|e| {
        Error::invalid(
            format!("document{}", e.path.trim_start_matches('$')),
            t(
                format!("VEX として読めません: {}（OpenVEX または CycloneDX VEX の JSON を受け付けます）", e.message),
                format!("not a readable VEX document: {} (OpenVEX or CycloneDX VEX JSON are accepted)", e.message),
            ),
        )
    })?;
    if doc.statements.is_empty() {
        return Err(Error::invalid(
            "document",
            t(
                "VEX 文書にステートメントがありません",
                "the VEX document has no statement",
            ),
        ));
    }
    let (mut step, now) = label_step(reg, actor, number, Action::EditSecurityInfo).await?;
    vendor_may_add(actor, &now)?;
    let statements = doc
        .statements
        .iter()
        .map(|s| VexLine {
            vulnerability: s.vulnerability.clone(),
            status: s.status.as_str().to_string(),
            justification: s.justification.clone(),
            detail: s.detail.clone(),
            products: s
                .products
                .iter()
                .map(|p| match p {
                    jcstar_vulndb::vex::ProductRef::Purl { purl } => purl.clone(),
                    jcstar_vulndb::vex::ProductRef::Cpe {
                        vendor,
                        product,
                        version,
                    } => format!(
                        "cpe:2.3:a:{vendor}:{product}:{}",
                        version.as_deref().unwrap_or("*")
                    ),
                    jcstar_vulndb::vex::ProductRef::BomRef { bom_ref } => bom_ref.clone(),
                })
                .collect(),
        })
        .collect();
    let sha256 = sha256_hex(bytes);
    let r = VexRef {
        sha256: sha256.clone(),
        format: doc.format.to_string(),
        bytes: bytes.len() as u64,
        published_on: reg.today(),
        statements,
    };
    step.tx
        .put_document(DocumentKind::Vex, &sha256, body)
        .await?;
    step.record(actor, None, Payload::VexPublished(r)).await?;
    step.finish_label().await
}

pub(crate) async fn publish_csaf(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    bytes: &[u8],
) -> Result<Label> {
    check_size(bytes)?;
    let body = as_text(bytes)?;
    let mut r = crate::csaf::check(bytes)?;
    let (mut step, now) = label_step(reg, actor, number, Action::EditSecurityInfo).await?;
    vendor_may_add(actor, &now)?;
    r.sha256 = sha256_hex(bytes);
    r.published_on = reg.today();
    step.tx
        .put_document(DocumentKind::Csaf, &r.sha256, body)
        .await?;
    step.record(actor, None, Payload::CsafPublished(r)).await?;
    step.finish_label().await
}

/// A document of `number` by digest; NotFound unless the label cites it.
pub(crate) async fn document(reg: &Registry, number: &str, sha256: &str) -> Result<StoredDocument> {
    let label = crate::queries::label(reg, number).await?;
    let sha256 = sha256.trim().to_ascii_lowercase();
    let kind = if label.security.sboms.iter().any(|s| s.sha256 == sha256) {
        DocumentKind::Sbom
    } else if label.security.vex.iter().any(|v| v.sha256 == sha256) {
        DocumentKind::Vex
    } else if label.security.advisories.iter().any(|v| v.sha256 == sha256) {
        DocumentKind::Csaf
    } else {
        return Err(Error::NotFound {
            what: "document",
            id: sha256,
        });
    };
    let body = reg
        .inner
        .store
        .document(&sha256)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("document {sha256} cited but not kept")))?;
    Ok(StoredDocument { kind, sha256, body })
}

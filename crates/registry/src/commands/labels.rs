//! The label commands: extension, changes under the same declaration,
//! withdrawal, surveillance and revocation, and the security information the
//! vendor keeps current.

use chrono::NaiveDate;

use crate::Registry;
use crate::auth::Action;
use crate::commands::{
    MAX_TEXT, check_date, label_event, label_step, optional, refuse_label, required,
};
use crate::error::{Error, Result, t};
use crate::events::{Changed, Contact, Extended, Payload, Revoked, SupportEnd, max_validity};
use crate::model::*;
use crate::store::check_text;

pub(crate) async fn extend_label(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    valid_until: Option<NaiveDate>,
    declaration: &str,
) -> Result<Label> {
    required("declaration", declaration)?;
    if let Some(d) = valid_until {
        check_date("valid_until", d)?;
    }
    let (mut step, now) = label_step(reg, actor, number, Action::ExtendLabel).await?;
    if now.status == LabelStatus::Expired {
        return Err(refuse_label(
            &now,
            t(
                format!(
                    "有効期限は {} に終了しています。有効期限切れのラベルには新しい申請が必要です",
                    now.valid_until
                ),
                format!(
                    "the validity ended on {}; an expired label needs a new application",
                    now.valid_until
                ),
            ),
        ));
    }
    step.allow(EventKind::LabelExtended)?;
    let today = reg.today();
    let max = max_validity(today);
    let end = valid_until.unwrap_or(max);
    if end > max {
        return Err(refuse_label(
            &now,
            t(
                format!(
                    "延長できるのは今日から最長2年までです: 最も遅くて {max} ですが、{end} が指定されました"
                ),
                format!(
                    "an extension reaches at most two years from today: {max} at the latest, {end} was asked"
                ),
            ),
        ));
    }
    if end <= now.valid_until {
        return Err(refuse_label(
            &now,
            t(
                format!(
                    "新しい有効期限 {end} は現在の有効期限 {} より後にしてください",
                    now.valid_until
                ),
                format!(
                    "the new end date {end} must be later than the current one {}",
                    now.valid_until
                ),
            ),
        ));
    }
    step.emit(
        actor,
        None,
        Payload::LabelExtended(Extended {
            previous_valid_until: now.valid_until,
            valid_until: end,
            declaration: declaration.trim().to_string(),
        }),
    )
    .await?;
    step.finish_label().await
}

pub(crate) async fn withdraw_label(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    reason: &str,
) -> Result<Label> {
    required("reason", reason)?;
    label_event(
        reg,
        actor,
        number,
        Action::WithdrawLabel,
        Some(reason.trim()),
        Payload::LabelWithdrawn,
    )
    .await
}

pub(crate) async fn open_surveillance(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    order: SurveillanceOrder,
) -> Result<Label> {
    required("reason", &order.reason)?;
    required("evidence_demanded", &order.evidence_demanded)?;
    check_date("correction_deadline", order.correction_deadline)?;
    let (mut step, _) = label_step(reg, actor, number, Action::Surveillance).await?;
    step.allow(EventKind::SurveillanceOpened)?;
    let today = reg.today();
    if order.correction_deadline < today {
        return Err(Error::invalid(
            "correction_deadline",
            t(
                format!("期限は今日（{today}）以降の日付にしてください"),
                format!("the deadline must be today ({today}) or later"),
            ),
        ));
    }
    let reason = order.reason.trim().to_string();
    step.emit(actor, Some(&reason), Payload::SurveillanceOpened(order))
        .await?;
    step.finish_label().await
}

pub(crate) async fn close_surveillance(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    reason: &str,
) -> Result<Label> {
    required("reason", reason)?;
    label_event(
        reg,
        actor,
        number,
        Action::Surveillance,
        Some(reason.trim()),
        Payload::SurveillanceCleared,
    )
    .await
}

pub(crate) async fn revoke_label(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    reason: &str,
    override_reason: Option<&str>,
) -> Result<Label> {
    required("reason", reason)?;
    let override_reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    if let Some(o) = override_reason {
        check_text("override_reason", o, MAX_TEXT)?;
    }
    let (mut step, now) = label_step(reg, actor, number, Action::Surveillance).await?;
    step.allow(EventKind::LabelRevoked)?;
    let recorded = step.label.as_ref().map(|l| l.status);
    match (recorded, &now.surveillance) {
        (Some(LabelStatus::UnderSurveillance), Some(case)) => {
            let today = reg.today();
            if today <= case.correction_deadline && override_reason.is_none() {
                return Err(refuse_label(
                    &now,
                    t(
                        format!(
                            "是正期限 {} がまだ過ぎていません。期限の後に取り消すか、理由を付けて取り消してください",
                            case.correction_deadline
                        ),
                        format!(
                            "the correction deadline {} has not passed; revoke after it or give an override reason",
                            case.correction_deadline
                        ),
                    ),
                ));
            }
        }
        _ => {
            if override_reason.is_none() {
                return Err(refuse_label(
                    &now,
                    t(
                        "取消しは調査の後に行います: 先に調査を開始するか、理由を付けて取り消してください",
                        "revocation follows surveillance: open surveillance first, or give an override reason",
                    ),
                ));
            }
        }
    }
    step.emit(
        actor,
        Some(reason.trim()),
        Payload::LabelRevoked(Revoked {
            override_reason: override_reason.map(str::to_string),
        }),
    )
    .await?;
    step.finish_label().await
}

/// The leading number of a version text (`firmware 2.4.1` → 2), if any.
fn major_version(v: &str) -> Option<u64> {
    let start = v.find(|c: char| c.is_ascii_digit())?;
    let digits: String = v
        .get(start..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Add model numbers or firmware versions to a label under the same
/// self-declaration (docs/registry-rules.md): only additions, only to an
/// active label, never a security-relevant change.
pub(crate) async fn change_label(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    change: LabelChange,
) -> Result<Label> {
    required("reason", &change.reason)?;
    let clean = |field: &str, v: &[String]| -> Result<Vec<String>> {
        if v.len() > 100 {
            return Err(Error::invalid(
                field,
                t(
                    "1回の変更で指定できるのは100項目までです",
                    "at most 100 entries per change",
                ),
            ));
        }
        let mut out: Vec<String> = Vec::new();
        for (i, x) in v.iter().enumerate() {
            required(&format!("{field}[{i}]"), x)?;
            let x = x.trim().to_string();
            if !out.contains(&x) {
                out.push(x);
            }
        }
        Ok(out)
    };
    let models = clean("add_model_numbers", &change.add_model_numbers)?;
    let versions = clean("add_firmware_versions", &change.add_firmware_versions)?;
    if models.is_empty() && versions.is_empty() {
        return Err(Error::invalid(
            "add_model_numbers",
            t(
                "追加する型番またはファームウェアのバージョンを少なくとも1つ指定してください",
                "name at least one model number or firmware version to add",
            ),
        ));
    }
    let (mut step, now) = label_step(reg, actor, number, Action::ExtendLabel).await?;
    step.allow(EventKind::LabelChanged)?;
    let new_application = t(
        "セキュリティに関わる変更はラベルの変更として扱えません: ラベルは失効させ（取り下げ）、変更した製品は新しく申請します（評価し直したチェックリストで `jcstar registry apply --checklist ファイル`）",
        "a security-relevant change is not a label change: the label lapses (withdraw it) and the changed product needs a new application (`jcstar registry apply --checklist FILE` with a re-assessed checklist)",
    );
    if change.security_relevant {
        return Err(refuse_label(&now, new_application));
    }
    let index = match change.product.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => now
            .products
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| {
                let covered = now
                    .products
                    .iter()
                    .map(|p| format!("{:?}", p.name))
                    .collect::<Vec<_>>()
                    .join(", ");
                Error::invalid(
                    "product",
                    t(
                        format!(
                            "このラベルは製品 {name:?} を対象としていません。対象の製品: {covered}"
                        ),
                        format!("the label covers no product {name:?}; it covers {covered}"),
                    ),
                )
            })?,
        _ if now.products.len() == 1 => 0,
        _ => {
            return Err(Error::invalid(
                "product",
                t(
                    "このラベルは複数の製品を対象としています: 変更する製品を指定してください",
                    "the label covers several products: name the one changed",
                ),
            ));
        }
    };
    let product = now
        .products
        .get(index)
        .ok_or_else(|| Error::Corrupt("product index".into()))?;
    if let Some(m) = models.iter().find(|m| product.model_numbers.contains(m)) {
        return Err(Error::invalid(
            "add_model_numbers",
            t(
                format!("{m:?} はすでにこのラベルの対象です"),
                format!("{m:?} is already covered by the label"),
            ),
        ));
    }
    if let Some(v) = versions
        .iter()
        .find(|v| product.firmware_versions.contains(v))
    {
        return Err(Error::invalid(
            "add_firmware_versions",
            t(
                format!("{v:?} はすでにこのラベルの対象です"),
                format!("{v:?} is already covered by the label"),
            ),
        ));
    }
    // A new major firmware line is a new product generation as far as the
    // self-assessment goes: the scheme treats it as security-relevant.
    let majors: Vec<u64> = product
        .firmware_versions
        .iter()
        .filter_map(|v| major_version(v))
        .collect();
    if let Some(v) = versions
        .iter()
        .find(|v| !majors.is_empty() && major_version(v).is_none_or(|m| !majors.contains(&m)))
    {
        return Err(refuse_label(
            &now,
            t(
                format!(
                    "ファームウェア {v:?} は新しいメジャーバージョンの系列です（対象: {}）。{}",
                    product.firmware_versions.join(", "),
                    new_application.ja
                ),
                format!(
                    "firmware {v:?} starts a new major version line (covered: {}); {}",
                    product.firmware_versions.join(", "),
                    new_application.en
                ),
            ),
        ));
    }
    step.emit(
        actor,
        Some(change.reason.trim()),
        Payload::LabelChanged(Changed {
            product: index,
            added_model_numbers: models,
            added_firmware_versions: versions,
        }),
    )
    .await?;
    step.finish_label().await
}

pub(crate) async fn add_update(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    mut entry: UpdateEntry,
) -> Result<Label> {
    required("version", &entry.version)?;
    optional("notes", &entry.notes)?;
    check_date("released_on", entry.released_on)?;
    optional("how_to_apply", &entry.how_to_apply)?;
    if entry.fixes.len() > 200 {
        return Err(Error::invalid(
            "fixes",
            t("200 件までです", "at most 200 ids are accepted"),
        ));
    }
    for (i, id) in entry.fixes.iter().enumerate() {
        if !crate::secinfo::is_cve_id(id.trim()) {
            return Err(Error::invalid(
                format!("fixes[{i}]"),
                t(
                    format!("{id:?} は CVE 番号ではありません（CVE-2024-12345 の形式）"),
                    format!("{id:?} is not a CVE id (CVE-2024-12345)"),
                ),
            ));
        }
    }
    entry.fixes = entry.fixes.iter().map(|s| s.trim().to_string()).collect();
    label_event(
        reg,
        actor,
        number,
        Action::EditSecurityInfo,
        None,
        Payload::UpdatePublished(entry),
    )
    .await
}

pub(crate) async fn record_vulnerability(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    mut entry: VulnerabilityEntry,
) -> Result<Label> {
    required("id", &entry.id)?;
    required("title", &entry.title)?;
    check_date("published_on", entry.published_on)?;
    entry.id = entry.id.trim().to_string();
    entry.fixed_in = entry
        .fixed_in
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    match (entry.state, &entry.fixed_in) {
        (VulnerabilityState::Fixed, None) => {
            return Err(Error::invalid(
                "fixed_in",
                t(
                    "修正済みの脆弱性には、修正したバージョンが必要です",
                    "a fixed vulnerability needs the version that fixes it",
                ),
            ));
        }
        (VulnerabilityState::Fixed, Some(v)) => check_text("fixed_in", v, 200)?,
        (_, Some(_)) => {
            return Err(Error::invalid(
                "fixed_in",
                t(
                    "修正バージョンは状態が fixed のときだけ指定してください",
                    "give a fixed-in version only with the state fixed",
                ),
            ));
        }
        (_, None) => {}
    }
    entry.updated_on = Some(reg.today());
    label_event(
        reg,
        actor,
        number,
        Action::EditSecurityInfo,
        None,
        Payload::VulnerabilityRecorded(entry),
    )
    .await
}

pub(crate) async fn set_support_end(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    support_end: Option<NaiveDate>,
) -> Result<Label> {
    if let Some(d) = support_end {
        check_date("support_end", d)?;
    }
    label_event(
        reg,
        actor,
        number,
        Action::EditSecurityInfo,
        None,
        Payload::SupportEndSet(SupportEnd { support_end }),
    )
    .await
}

pub(crate) async fn set_disclosure_contact(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    contact: &str,
) -> Result<Label> {
    required("disclosure_contact", contact)?;
    label_event(
        reg,
        actor,
        number,
        Action::EditSecurityInfo,
        None,
        Payload::DisclosureContactSet(Contact {
            disclosure_contact: contact.trim().to_string(),
        }),
    )
    .await
}

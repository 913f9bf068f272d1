//! What an application must be before it enters the log: the checklist is
//! the application (its basic-information sheet supplies applicant, product
//! and level), it passes the checklist crate's format check, its evidence
//! supports the level, and the submission's fields are within bounds.

use crate::auth::{Action, Resource, authorize};
use crate::commands::{check_date, optional, require_named, required};
use crate::error::{Error, Msg, Result, t};
use crate::model::*;

const MAX_CHECKLIST_BYTES: usize = 2 * 1024 * 1024;
/// Refused applications (failed format checks) recorded per organisation and
/// Japan calendar day; further ones are refused without being recorded.
pub const REFUSED_PER_ORG_PER_DAY: i64 = 20;
/// Applications submitted per organisation and Japan calendar day.
pub const SUBMISSIONS_PER_ORG_PER_DAY: i64 = 200;
/// At most this many problems (each at most `MAX_PROBLEM_CHARS`) are kept of
/// a refused application.
const MAX_PROBLEMS: usize = 50;
const MAX_PROBLEM_CHARS: usize = 500;

// ---- the checklist format check ---------------------------------------------

/// The checklist crate's rules against the embedded ★1 catalog (every level
/// includes the ★1 requirements). Evidence files stay with the vendor, so
/// their paths are not checked here.
fn checklist_problems(checklist: &serde_json::Value) -> Vec<String> {
    let parsed: jcstar_checklist::Checklist = match serde_json::from_value(checklist.clone()) {
        Ok(c) => c,
        Err(e) => {
            return vec![format!(
                "checklist: not in the checklist file format ({e}); convert it with `jcstar checklist export FILE --json OUT`"
            )];
        }
    };
    let report = jcstar_checklist::validate(&parsed, jcstar_criteria::Catalog::star1(), None);
    report
        .blocking()
        .map(|p| {
            let place = match (&p.criterion, &p.field) {
                (Some(c), Some(f)) => format!("{c} ({f})"),
                (Some(c), None) => c.clone(),
                (None, Some(f)) => f.clone(),
                (None, None) => "checklist".to_string(),
            };
            format!("{place}: {} [{}] — {}", p.message.en, p.code, p.hint.en)
        })
        .collect()
}

/// The level a checklist supports, from its catalog: only the ★1 catalog
/// exists so far, so only ★1 checklists.
pub(crate) fn checklist_level(c: &jcstar_checklist::Checklist) -> Option<Level> {
    let star1 = &jcstar_criteria::Catalog::star1().meta;
    if c.catalog.id != star1.id {
        return None;
    }
    u8::try_from(star1.level).ok().and_then(Level::from_number)
}

fn conflict(field: &str, given: impl std::fmt::Display, sheet: Msg) -> Error {
    Error::invalid(
        field,
        t(
            format!(
                "{given} が指定されましたが、チェックリストの基本情報シートには {} とあります。申請の内容はチェックリストのとおりです: どちらかを直すか、この項目を空にしてください",
                sheet.ja
            ),
            format!(
                "{given} was given, but the checklist's basic-information sheet says {}; the application is the checklist: correct one of them or leave the field empty",
                sheet.en
            ),
        ),
    )
}

/// The same text in both languages (a value quoted as it is).
fn same(s: String) -> Msg {
    t(s.clone(), s)
}

fn fill(field: &str, given: &mut String, sheet: &str) -> Result<()> {
    let g = given.trim();
    let s = sheet.trim();
    if g.is_empty() {
        *given = s.to_string();
    } else if !s.is_empty() && g != s {
        return Err(conflict(field, format!("{g:?}"), same(format!("{s:?}"))));
    }
    Ok(())
}

fn fill_list(field: &str, given: &mut Vec<String>, sheet: &[String]) -> Result<()> {
    let norm_list = |v: &[String]| {
        let mut v: Vec<String> = v
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let g = norm_list(given);
    let s = norm_list(sheet);
    if g.is_empty() {
        *given = sheet.iter().map(|x| x.trim().to_string()).collect();
    } else if !s.is_empty() && g != s {
        return Err(conflict(
            field,
            format!("[{}]", g.join(", ")),
            same(format!("[{}]", s.join(", "))),
        ));
    }
    Ok(())
}

/// Take applicant, product and level from the checklist's basic-information
/// sheet; fields of the submission only fill what the sheet leaves empty.
/// A checklist that cannot be read is left to the format check (which
/// refuses it), with the submission as given.
fn resolve_submission(s: &mut ApplicationSubmission) -> Result<()> {
    let Ok(c) = serde_json::from_value::<jcstar_checklist::Checklist>(s.checklist.clone()) else {
        if s.level.is_none() {
            return Err(Error::invalid(
                "level",
                t(
                    "チェックリストを読み取れないため、レベルが分かりません。レベルを指定するか、読み取れるチェックリストを添えてください",
                    "the checklist cannot be read, so its level is unknown; give the level or a readable checklist",
                ),
            ));
        }
        return Ok(());
    };
    fill(
        "applicant.company",
        &mut s.applicant.company,
        &c.applicant.name,
    )?;
    fill(
        "applicant.address",
        &mut s.applicant.address,
        &c.applicant.address,
    )?;
    // The sheet's contact is whom the operator calls about the application;
    // the public contact may differ (a web form), so it only fills a gap.
    if s.applicant.contact.trim().is_empty() {
        s.applicant.contact = c.contact.email.trim().to_string();
    }
    if s.products.len() > 1 {
        return Err(Error::invalid(
            "products",
            t(
                format!(
                    "{} 個の製品が指定されましたが、チェックリストは1つの製品を記述します。チェックリストごとに申請してください",
                    s.products.len()
                ),
                format!(
                    "{} products were given, but a checklist describes one product; apply once per checklist",
                    s.products.len()
                ),
            ),
        ));
    }
    if s.products.is_empty() {
        s.products.push(Product::default());
    }
    if let Some(p) = s.products.first_mut() {
        fill("products[0].name", &mut p.name, &c.product.name)?;
        fill(
            "products[0].product_type",
            &mut p.product_type,
            &c.product.product_type,
        )?;
        fill_list(
            "products[0].model_numbers",
            &mut p.model_numbers,
            &c.product.model_numbers,
        )?;
        fill_list(
            "products[0].firmware_versions",
            &mut p.firmware_versions,
            &c.product.versions,
        )?;
    }
    let sheet_level = checklist_level(&c);
    match (s.level, sheet_level) {
        (None, Some(l)) => s.level = Some(l),
        (None, None) => {
            return Err(Error::invalid(
                "level",
                t(
                    format!(
                        "チェックリストのカタログ {:?} は既知の基準カタログではないため、どのレベルの根拠にもなりません",
                        c.catalog.id
                    ),
                    format!(
                        "the checklist's catalog {:?} is not a known criteria catalog, so it supports no level",
                        c.catalog.id
                    ),
                ),
            ));
        }
        // ★3/★4 rest on an evaluation report for that level (checked at
        // acceptance and issuance); the checklist is the ★1 part of it.
        (Some(l), _) if l.needs_evaluation() => {}
        (Some(l), Some(sl)) if l != sl => {
            return Err(conflict(
                "level",
                l,
                t(
                    format!("{sl} のチェックリスト（カタログ {:?}）", c.catalog.id),
                    format!("a {sl} checklist (catalog {:?})", c.catalog.id),
                ),
            ));
        }
        (Some(l), None) => {
            return Err(conflict(
                "level",
                l,
                t(
                    format!("不明なカタログ {:?}", c.catalog.id),
                    format!("the unknown catalog {:?}", c.catalog.id),
                ),
            ));
        }
        (Some(_), Some(_)) => {}
    }
    Ok(())
}

/// The recognition arrangement an application's checklist claims, when it
/// sets the fee of this application's level. A claim of an arrangement the
/// registry does not know is refused: its fee cannot be checked.
pub(crate) fn fee_arrangement(
    app: &Application,
) -> Result<Option<&'static jcstar_criteria::Arrangement>> {
    let Some(claim) = app.checklist.get("recognition") else {
        return Ok(None);
    };
    let Ok(claim) = serde_json::from_value::<jcstar_checklist::RecognitionClaim>(claim.clone())
    else {
        return Ok(None);
    };
    let id = claim.arrangement.trim();
    let known = jcstar_criteria::Recognition::builtin();
    let Some(a) = known.get(id) else {
        let ids: Vec<&str> = known.arrangements.iter().map(|a| a.id.as_str()).collect();
        return Err(Error::invalid(
            "checklist.recognition.arrangement",
            t(
                format!(
                    "チェックリストは相互承認の取決め {id:?} を挙げていますが、登録簿はこの取決めを知らないため、その手数料を確認できません。既知の取決め: {}",
                    ids.join(", ")
                ),
                format!(
                    "the checklist claims the recognition arrangement {id:?}, which the registry does not know, so the fee it sets cannot be checked; known: {}",
                    ids.join(", ")
                ),
            ),
        ));
    };
    Ok((u32::from(app.level.number()) == a.level).then_some(a))
}

/// What the evidence of an application supports: ★1/★2 their checklist's
/// level, ★3/★4 a passing evaluation report for exactly that level.
pub(crate) fn evidence_refusal(app: &Application) -> Option<Msg> {
    if !app.level.needs_evaluation() {
        let sheet = serde_json::from_value::<jcstar_checklist::Checklist>(app.checklist.clone())
            .ok()
            .and_then(|c| checklist_level(&c));
        return match sheet {
            Some(l) if l == app.level => None,
            Some(l) => Some(t(
                format!(
                    "{} のラベルには {} のチェックリストが必要ですが、このチェックリストは {l} のものです",
                    app.level, app.level
                ),
                format!(
                    "a {} label needs a {} checklist, but the checklist is for {l}",
                    app.level, app.level
                ),
            )),
            None => Some(t(
                format!(
                    "{} のラベルにはそのレベルのチェックリストが必要ですが、チェックリストのレベルが不明です",
                    app.level
                ),
                format!(
                    "a {} label needs a checklist of that level; the checklist's level is unknown",
                    app.level
                ),
            )),
        };
    }
    match &app.evaluation_report {
        None => Some(t(
            format!(
                "{} の申請は、認証の前に、割り当てられた評価機関の評価報告書が必要です",
                app.level
            ),
            format!(
                "a {} application needs an evaluation report from the assigned evaluation body before it can be certified",
                app.level
            ),
        )),
        Some(r) if r.verdict != Verdict::Pass => Some(t(
            "評価報告書の判定が不合格です。認証には合格の評価報告書が必要です",
            "the evaluation report's verdict is fail; a passing report is needed to certify",
        )),
        Some(r) if r.level != Some(app.level) => Some(t(
            format!(
                "{} のラベルには {} の合格の評価報告書が必要ですが、この報告書の対象は {} です",
                app.level,
                app.level,
                r.level
                    .map(|l| l.to_string())
                    .unwrap_or_else(|| "レベルの記載なし".into())
            ),
            format!(
                "a {} label needs a passing evaluation report for {}, but the report covers {}",
                app.level,
                app.level,
                r.level
                    .map(|l| l.to_string())
                    .unwrap_or_else(|| "no stated level".into())
            ),
        )),
        Some(_) => None,
    }
}

/// Everything a submission goes through before it is recorded: the vendor
/// may submit for the organisation and is named, the sheet fills the
/// application, the fields are within bounds. Returns the checklist's
/// format problems (none: it passes).
pub(crate) fn prepare(actor: &Actor, s: &mut ApplicationSubmission) -> Result<Vec<String>> {
    s.org = s.org.trim().to_string();
    authorize(actor, Action::SubmitApplication, Resource::owned_by(&s.org))?;
    require_named(actor)?;
    resolve_submission(s)?;
    validate_submission(s)?;
    Ok(checklist_problems(&s.checklist))
}

fn validate_submission(s: &ApplicationSubmission) -> Result<()> {
    required("org", &s.org)?;
    required("applicant.company", &s.applicant.company)?;
    required("applicant.address", &s.applicant.address)?;
    required("applicant.contact", &s.applicant.contact)?;
    optional("disclosure_contact", &s.disclosure_contact)?;
    if let Some(d) = s.requested_valid_until {
        check_date("requested_valid_until", d)?;
    }
    if s.products.is_empty() {
        return Err(Error::invalid(
            "products",
            t(
                "型番の付いた製品が少なくとも1つ必要です",
                "at least one product with its model numbers is needed",
            ),
        ));
    }
    if s.products.len() > 100 {
        return Err(Error::invalid(
            "products",
            t(
                "1件の申請に含められる製品は100までです",
                "at most 100 products per application",
            ),
        ));
    }
    for (i, p) in s.products.iter().enumerate() {
        required(&format!("products[{i}].name"), &p.name)?;
        optional(&format!("products[{i}].product_type"), &p.product_type)?;
        if p.model_numbers.is_empty() || p.model_numbers.len() > 500 {
            return Err(Error::invalid(
                format!("products[{i}].model_numbers"),
                t(
                    "型番は1〜500個指定してください",
                    "between 1 and 500 model numbers are needed",
                ),
            ));
        }
        for (j, m) in p.model_numbers.iter().enumerate() {
            required(&format!("products[{i}].model_numbers[{j}]"), m)?;
        }
        for (j, v) in p.firmware_versions.iter().enumerate() {
            required(&format!("products[{i}].firmware_versions[{j}]"), v)?;
        }
    }
    let size = serde_json::to_string(&s.checklist)
        .map(|t| t.len())
        .unwrap_or(usize::MAX);
    if size > MAX_CHECKLIST_BYTES {
        return Err(Error::invalid(
            "checklist",
            t(
                format!("受け付ける JSON は {MAX_CHECKLIST_BYTES} バイトまでです"),
                format!("at most {MAX_CHECKLIST_BYTES} bytes of JSON are accepted"),
            ),
        ));
    }
    Ok(())
}

/// What a refused application keeps of its checklist: the digest and size of
/// its JSON, not the body.
pub(crate) fn checklist_digest(checklist: &serde_json::Value) -> serde_json::Value {
    let text = serde_json::to_string(checklist).unwrap_or_default();
    serde_json::json!({
        "sha256": crate::chain::sha256_hex(text.as_bytes()),
        "bytes": text.len(),
        "kept": false,
    })
}

pub(crate) fn bounded_problems(problems: &[String]) -> Vec<String> {
    let mut out: Vec<String> = problems
        .iter()
        .take(MAX_PROBLEMS)
        .map(|p| p.chars().take(MAX_PROBLEM_CHARS).collect())
        .collect();
    if problems.len() > MAX_PROBLEMS {
        out.push(format!(
            "… and {} more problems",
            problems.len() - MAX_PROBLEMS
        ));
    }
    out
}

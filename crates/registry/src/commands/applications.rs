//! The application commands: submission, the supply-chain inquiry, the
//! decision, the fee, the evaluation of ★3/★4, and issuance.

use chrono::NaiveDate;

use crate::Registry;
use crate::auth::Action;
use crate::commands::submission::{
    REFUSED_PER_ORG_PER_DAY, SUBMISSIONS_PER_ORG_PER_DAY, bounded_problems, checklist_digest,
    evidence_refusal, fee_arrangement, prepare,
};
use crate::commands::{
    MAX_TEXT, Step, app_event, app_step, check_date, label_number, random_suffix, refuse_app,
    required,
};
use crate::error::{Error, Result, t};
use crate::events::{
    Answer, BodyAssigned, Issued, Payload, Problems, Reference, Submitted, max_validity, new_label,
};
use crate::model::*;
use crate::store::check_text;

/// Fees above this many yen are refused as a typing error.
pub const MAX_FEE_YEN: u64 = 100_000_000;

pub(crate) async fn submit_application(
    reg: &Registry,
    actor: &Actor,
    mut s: ApplicationSubmission,
) -> Result<Application> {
    let problems = prepare(actor, &mut s)?;
    let mut step = Step::begin(reg).await?;
    // The quota day is the Japan calendar day (UTC+9).
    let since = reg.today().and_time(chrono::NaiveTime::MIN).and_utc() - chrono::Duration::hours(9);
    let (submitted, refused) = step.tx.submissions_since(&s.org, since).await?;
    if submitted >= SUBMISSIONS_PER_ORG_PER_DAY {
        return Err(Error::refused(
            t(format!("組織 {}", s.org), format!("organisation {}", s.org)),
            t("1日の申請件数の上限に達しています", "over its daily quota"),
            t(
                format!(
                    "受け付ける申請は1組織につき1日 {SUBMISSIONS_PER_ORG_PER_DAY} 件までです。明日もう一度申請してください"
                ),
                format!(
                    "at most {SUBMISSIONS_PER_ORG_PER_DAY} applications per organisation and day are accepted; try again tomorrow"
                ),
            ),
        ));
    }
    if !problems.is_empty() && refused >= REFUSED_PER_ORG_PER_DAY {
        let shown = bounded_problems(&problems)
            .into_iter()
            .take(3)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Error::refused(
            t(format!("組織 {}", s.org), format!("organisation {}", s.org)),
            t(
                "1日の不受理件数の上限に達しています",
                "over its daily quota of refused applications",
            ),
            t(
                format!(
                    "チェックリストが形式確認を通りませんでした（{shown}）。不受理の申請を記録するのは1日 {REFUSED_PER_ORG_PER_DAY} 件までです。`jcstar checklist validate ファイル` で確認してから申請し直してください"
                ),
                format!(
                    "the checklist failed the format check ({shown}), and {REFUSED_PER_ORG_PER_DAY} refused applications a day are recorded at most; check it with `jcstar checklist validate FILE` before applying again"
                ),
            ),
        ));
    }
    let n = step.tx.next_counter("application").await?;
    let id = format!("APP-{n:06}-{}", random_suffix()?);
    step.allow(EventKind::ApplicationSubmitted)?;
    if !problems.is_empty() {
        s.checklist = checklist_digest(&s.checklist);
    }
    step.emit_for(
        actor,
        Some(&id),
        None,
        None,
        Payload::ApplicationSubmitted(Box::new(Submitted { submission: s })),
    )
    .await?;
    if problems.is_empty() {
        step.emit(actor, None, Payload::FormatCheckPassed).await?;
        step.finish_app().await
    } else {
        step.emit(
            actor,
            Some("the checklist failed the automatic format check"),
            Payload::FormatCheckFailed(Problems {
                problems: bounded_problems(&problems),
            }),
        )
        .await?;
        step.finish_app().await?;
        Err(Error::ChecklistRefused {
            application_id: id,
            problems,
        })
    }
}

pub(crate) async fn request_inquiry(
    reg: &Registry,
    actor: &Actor,
    id: &str,
    reference: &str,
) -> Result<Application> {
    required("reference", reference)?;
    let payload = Payload::InquiryRequested(Reference {
        reference: reference.trim().to_string(),
    });
    app_event(reg, actor, id, Action::RecordInquiry, None, payload).await
}

pub(crate) async fn answer_inquiry(
    reg: &Registry,
    actor: &Actor,
    id: &str,
    outcome: InquiryOutcome,
    reference: &str,
) -> Result<Application> {
    required("reference", reference)?;
    let payload = Payload::InquiryAnswered(Answer {
        outcome,
        reference: reference.trim().to_string(),
    });
    app_event(reg, actor, id, Action::RecordInquiry, None, payload).await
}

pub(crate) async fn decide(
    reg: &Registry,
    actor: &Actor,
    id: &str,
    accept: bool,
    reason: Option<&str>,
) -> Result<Application> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = reason {
        check_text("reason", r, MAX_TEXT)?;
    }
    let (mut step, app) = app_step(reg, actor, id, Action::DecideApplication).await?;
    if accept {
        step.allow(EventKind::ApplicationAccepted)?;
        let concern = app
            .inquiry
            .as_ref()
            .and_then(|i| i.outcome)
            .is_some_and(|o| o == InquiryOutcome::Concern);
        if concern && reason.is_none() {
            return Err(refuse_app(
                &app,
                t(
                    "サプライチェーンの照会で懸念が示されています。受理するには理由が必要です",
                    "the supply-chain inquiry raised a concern; accepting needs a reason",
                ),
            ));
        }
        if let Some(why) = evidence_refusal(&app) {
            return Err(refuse_app(&app, why));
        }
        step.emit(actor, reason, Payload::ApplicationAccepted)
            .await?;
    } else {
        let Some(reason) = reason else {
            return Err(Error::invalid(
                "reason",
                t("却下には理由が必要です", "a rejection needs a reason"),
            ));
        };
        step.allow(EventKind::ApplicationRejected)?;
        step.emit(actor, Some(reason), Payload::ApplicationRejected)
            .await?;
    }
    step.finish_app().await
}

pub(crate) async fn record_fee(
    reg: &Registry,
    actor: &Actor,
    id: &str,
    fee: Fee,
) -> Result<Application> {
    required("reference", &fee.reference)?;
    if fee.amount_yen == 0 || fee.amount_yen > MAX_FEE_YEN {
        return Err(Error::invalid(
            "amount_yen",
            t(
                format!("手数料は 1 円以上 {MAX_FEE_YEN} 円以下の金額で指定してください"),
                format!("the fee must be a positive amount of yen, at most {MAX_FEE_YEN}"),
            ),
        ));
    }
    check_date("paid_on", fee.paid_on)?;
    let (mut step, app) = app_step(reg, actor, id, Action::RecordFee).await?;
    step.allow(EventKind::FeePaid)?;
    // The fee records a payment received, so a different amount is refused
    // rather than corrected: the operator confirms what was actually paid.
    if let Some(a) = fee_arrangement(&app)?
        && fee.amount_yen != a.fee_jpy
    {
        return Err(Error::invalid(
            "amount_yen",
            t(
                format!(
                    "{} 円が指定されましたが、この申請は {}（{}）の対象で、{} の手数料は {} 円（通常は {} 円）です。その取決めで定められた金額を記録してください",
                    fee.amount_yen, a.title.ja, a.id, app.level, a.fee_jpy, a.standard_fee_jpy
                ),
                format!(
                    "{} yen was given, but the application is under the {} ({}), which sets the {} fee at {} yen (instead of {} yen); record the amount that arrangement sets",
                    fee.amount_yen, a.title.en, a.id, app.level, a.fee_jpy, a.standard_fee_jpy
                ),
            ),
        ));
    }
    step.emit(actor, None, Payload::FeePaid(fee)).await?;
    step.finish_app().await
}

pub(crate) async fn assign_evaluation_body(
    reg: &Registry,
    actor: &Actor,
    id: &str,
    body_org: &str,
) -> Result<Application> {
    required("evaluation_body", body_org)?;
    let (mut step, app) = app_step(reg, actor, id, Action::AssignEvaluationBody).await?;
    if !app.level.needs_evaluation() {
        return Err(refuse_app(
            &app,
            t(
                format!(
                    "{} は自己適合宣言のため評価機関は割り当てません（評価機関は ★3 と ★4 のためのものです）",
                    app.level
                ),
                format!(
                    "{} is self-declared; evaluation bodies are for ★3 and ★4",
                    app.level
                ),
            ),
        ));
    }
    step.allow(EventKind::EvaluationBodyAssigned)?;
    step.emit(
        actor,
        None,
        Payload::EvaluationBodyAssigned(BodyAssigned {
            evaluation_body: body_org.trim().to_string(),
        }),
    )
    .await?;
    step.finish_app().await
}

pub(crate) async fn attach_evaluation_report(
    reg: &Registry,
    actor: &Actor,
    id: &str,
    mut report: EvaluationReport,
) -> Result<Application> {
    required("file_name", &report.file_name)?;
    required("summary", &report.summary)?;
    report.sha256 = report.sha256.trim().to_ascii_lowercase();
    if report.sha256.len() != 64 || !report.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            "sha256",
            t(
                "評価報告書ファイルの SHA-256 を16進数64桁で指定してください",
                "the SHA-256 of the report file as 64 hexadecimal digits",
            ),
        ));
    }
    match report.level {
        Some(l) if l.needs_evaluation() => {}
        _ => {
            return Err(Error::invalid(
                "level",
                t(
                    "評価の対象となったレベル（3 または 4）を指定してください",
                    "the level the evaluation covered: 3 or 4",
                ),
            ));
        }
    }
    let (mut step, app) = app_step(reg, actor, id, Action::AttachEvaluationReport).await?;
    if !app.level.needs_evaluation() {
        return Err(refuse_app(
            &app,
            t(
                format!("{} は自己適合宣言のため評価報告書は添付しません", app.level),
                format!(
                    "{} is self-declared and takes no evaluation report",
                    app.level
                ),
            ),
        ));
    }
    if app.evaluation_body.is_none() {
        return Err(refuse_app(
            &app,
            t(
                "評価機関がまだ割り当てられていません。先に制度運営者が割り当てます",
                "no evaluation body is assigned yet; the operator assigns one first",
            ),
        ));
    }
    step.allow(EventKind::EvaluationReportAttached)?;
    step.emit(actor, None, Payload::EvaluationReportAttached(report))
        .await?;
    step.finish_app().await
}

pub(crate) async fn issue_label(
    reg: &Registry,
    actor: &Actor,
    id: &str,
    valid_until: Option<NaiveDate>,
) -> Result<Label> {
    if let Some(d) = valid_until {
        check_date("valid_until", d)?;
    }
    let (mut step, app) = app_step(reg, actor, id, Action::IssueLabel).await?;
    step.allow(EventKind::LabelIssued)?;
    // Checked again at issuance: a label's level never exceeds its evidence.
    if let Some(why) = evidence_refusal(&app) {
        return Err(refuse_app(&app, why));
    }
    let today = reg.today();
    let max = max_validity(today);
    let requested = match (valid_until, app.requested_valid_until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let end = requested.unwrap_or(max);
    if end > max {
        return Err(refuse_app(
            &app,
            t(
                format!(
                    "有効期限は2年を超えられません: 最も遅い有効期限は {max} ですが、{end} が指定されました"
                ),
                format!(
                    "validity may not exceed two years: the latest end date is {max}, {end} was asked"
                ),
            ),
        ));
    }
    if end <= today {
        return Err(Error::invalid(
            "valid_until",
            t(
                format!("有効期限は今日（{today}）より後の日付にしてください"),
                format!("the validity end must be after today ({today})"),
            ),
        ));
    }
    let seq = step.tx.next_counter("label").await?;
    let number = label_number(app.level, today, seq)?;
    let label = new_label(&app, number.clone(), today, end);
    step.emit_for(
        actor,
        Some(&app.id),
        Some(&number),
        None,
        Payload::LabelIssued(Box::new(Issued { label })),
    )
    .await?;
    step.finish_label().await
}

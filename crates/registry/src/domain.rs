//! Commands and queries: each command checks authorisation and the current
//! state, appends its events and applies them with [`apply`], the one function
//! that turns events into state (used live and by rebuild).

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AssertSqlSafe, Row};

use crate::auth::{Action, Resource, authorize};
use crate::error::{Error, Result};
use crate::model::*;
use crate::number::{RegistrationNumber, parse_registration_number};
use crate::store::{EventColumn, NewEvent, WriteTx, check_text, fmt_date, norm};
use crate::{Registry, VALIDITY_YEARS};

const MAX_TEXT: usize = 2000;
const MAX_CHECKLIST_BYTES: usize = 2 * 1024 * 1024;

// ---- the checklist format check ---------------------------------------------

/// The automatic format check of a submitted checklist. Kept behind a small
/// trait so the registry does not depend on how the checklist crate spells
/// its types.
pub(crate) trait ChecklistCheck {
    /// Problems found; empty when the checklist supports an application at
    /// `level`.
    fn problems(&self, level: Level, checklist: &serde_json::Value) -> Vec<String>;
}

/// The checklist crate's rules against the embedded ★1 catalog (every level
/// includes the ★1 requirements). Evidence files stay with the vendor, so
/// their paths are not checked here.
pub(crate) struct CatalogChecklistCheck;

impl ChecklistCheck for CatalogChecklistCheck {
    fn problems(&self, _level: Level, checklist: &serde_json::Value) -> Vec<String> {
        let parsed: jcstar_checklist::Checklist = match serde_json::from_value(checklist.clone()) {
            Ok(c) => c,
            Err(e) => {
                return vec![format!(
                    "checklist: not in the checklist file format ({e}); export it with `jcstar checklist export --format json`"
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
}

fn checklist_problems(level: Level, checklist: &serde_json::Value) -> Vec<String> {
    CatalogChecklistCheck.problems(level, checklist)
}

// ---- helpers ----------------------------------------------------------------

fn app_subject(id: &str) -> String {
    format!("application {id}")
}

fn label_subject(number: &str) -> String {
    format!("label {number}")
}

fn required(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    check_text(field, value, MAX_TEXT)
}

fn optional(field: &str, value: &str) -> Result<()> {
    check_text(field, value, MAX_TEXT)
}

fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| Error::Corrupt(e.to_string()))
}

fn from_value<T: for<'de> Deserialize<'de>>(ev: &Event) -> Result<T> {
    serde_json::from_value(ev.payload.clone())
        .map_err(|e| Error::Corrupt(format!("event {} ({}): payload: {e}", ev.seq, ev.kind)))
}

/// The end of a validity period of two years starting on `from`.
pub(crate) fn max_validity(from: NaiveDate) -> NaiveDate {
    from.checked_add_months(Months::new(12 * VALIDITY_YEARS as u32))
        .unwrap_or(NaiveDate::MAX)
}

/// The status as of `today`: Active and UnderSurveillance labels past their
/// validity end are Expired.
pub(crate) fn effective(mut label: Label, today: NaiveDate) -> Label {
    if matches!(
        label.status,
        LabelStatus::Active | LabelStatus::UnderSurveillance
    ) && today > label.valid_until
    {
        label.status = LabelStatus::Expired;
    }
    label
}

fn canonical_number(number: &str) -> Result<String> {
    Ok(parse_registration_number(number)?.to_string())
}

// ---- event payloads -----------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct Submitted {
    submission: ApplicationSubmission,
}

#[derive(Serialize, Deserialize)]
struct Problems {
    problems: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Reference {
    reference: String,
}

#[derive(Serialize, Deserialize)]
struct Answer {
    outcome: InquiryOutcome,
    reference: String,
}

#[derive(Serialize, Deserialize)]
struct BodyAssigned {
    evaluation_body: String,
}

#[derive(Serialize, Deserialize)]
struct Issued {
    label: Label,
}

#[derive(Serialize, Deserialize)]
struct Extended {
    previous_valid_until: NaiveDate,
    valid_until: NaiveDate,
    declaration: String,
}

#[derive(Serialize, Deserialize)]
struct Revoked {
    override_reason: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct SupportEnd {
    support_end: Option<NaiveDate>,
}

#[derive(Serialize, Deserialize)]
struct Contact {
    disclosure_contact: String,
}

// ---- apply: events → state ----------------------------------------------------

fn need_app(ev: &Event, app: Option<Application>) -> Result<Application> {
    app.ok_or_else(|| {
        Error::Corrupt(format!(
            "event {} ({}) refers to application {:?} that does not exist",
            ev.seq, ev.kind, ev.application_id
        ))
    })
}

fn need_label(ev: &Event, label: Option<Label>) -> Result<Label> {
    label.ok_or_else(|| {
        Error::Corrupt(format!(
            "event {} ({}) refers to label {:?} that does not exist",
            ev.seq, ev.kind, ev.label_number
        ))
    })
}

/// Apply one event to the state it concerns. Pure: the same events always
/// give the same state, which is what makes `rebuild` equal the live tables.
pub(crate) fn apply(
    ev: &Event,
    app: Option<Application>,
    label: Option<Label>,
) -> Result<(Option<Application>, Option<Label>)> {
    use EventKind::*;
    Ok(match ev.kind {
        ApplicationSubmitted => {
            let p: Submitted = from_value(ev)?;
            let id = ev
                .application_id
                .clone()
                .ok_or_else(|| Error::Corrupt(format!("event {}: no application id", ev.seq)))?;
            let s = p.submission;
            let app = Application {
                id,
                org: s.org,
                level: s.level,
                applicant: s.applicant,
                products: s.products,
                disclosure_contact: s.disclosure_contact,
                checklist: s.checklist,
                requested_valid_until: s.requested_valid_until,
                status: ApplicationStatus::Submitted,
                submitted_at: ev.at,
                format_problems: Vec::new(),
                inquiry: None,
                decision: None,
                fee: None,
                evaluation_body: None,
                evaluation_report: None,
                label_number: None,
            };
            (Some(app), label)
        }
        FormatCheckPassed => (Some(need_app(ev, app)?), label),
        FormatCheckFailed => {
            let p: Problems = from_value(ev)?;
            let mut app = need_app(ev, app)?;
            app.status = ApplicationStatus::FormatRefused;
            app.format_problems = p.problems;
            (Some(app), label)
        }
        InquiryRequested => {
            let p: Reference = from_value(ev)?;
            let mut app = need_app(ev, app)?;
            app.status = ApplicationStatus::InquiryRequested;
            app.inquiry = Some(Inquiry {
                requested_at: ev.at,
                request_reference: p.reference,
                answered_at: None,
                outcome: None,
                answer_reference: None,
            });
            (Some(app), label)
        }
        InquiryAnswered => {
            let p: Answer = from_value(ev)?;
            let mut app = need_app(ev, app)?;
            app.status = ApplicationStatus::InquiryAnswered;
            if let Some(i) = app.inquiry.as_mut() {
                i.answered_at = Some(ev.at);
                i.outcome = Some(p.outcome);
                i.answer_reference = Some(p.reference);
            }
            (Some(app), label)
        }
        ApplicationAccepted | ApplicationRejected => {
            let mut app = need_app(ev, app)?;
            let accepted = ev.kind == ApplicationAccepted;
            app.status = if accepted {
                ApplicationStatus::Accepted
            } else {
                ApplicationStatus::Rejected
            };
            app.decision = Some(Decision {
                accepted,
                at: ev.at,
                reason: ev.reason.clone(),
            });
            (Some(app), label)
        }
        FeePaid => {
            let fee: Fee = from_value(ev)?;
            let mut app = need_app(ev, app)?;
            app.status = ApplicationStatus::FeePaid;
            app.fee = Some(fee);
            (Some(app), label)
        }
        EvaluationBodyAssigned => {
            let p: BodyAssigned = from_value(ev)?;
            let mut app = need_app(ev, app)?;
            app.evaluation_body = Some(p.evaluation_body);
            app.evaluation_report = None;
            (Some(app), label)
        }
        EvaluationReportAttached => {
            let r: EvaluationReport = from_value(ev)?;
            let mut app = need_app(ev, app)?;
            app.evaluation_report = Some(r);
            (Some(app), label)
        }
        LabelIssued => {
            let p: Issued = from_value(ev)?;
            let mut app = need_app(ev, app)?;
            app.status = ApplicationStatus::Issued;
            app.label_number = Some(p.label.number.clone());
            (Some(app), Some(p.label))
        }
        LabelExtended => {
            let p: Extended = from_value(ev)?;
            let mut l = need_label(ev, label)?;
            l.valid_until = p.valid_until;
            (app, Some(l))
        }
        LabelWithdrawn => {
            let mut l = need_label(ev, label)?;
            l.status = LabelStatus::Withdrawn;
            l.surveillance = None;
            l.end_reason = ev.reason.clone();
            (app, Some(l))
        }
        SurveillanceOpened => {
            let o: SurveillanceOrder = from_value(ev)?;
            let mut l = need_label(ev, label)?;
            l.status = LabelStatus::UnderSurveillance;
            l.surveillance = Some(Surveillance {
                opened_at: ev.at,
                reason: o.reason,
                evidence_demanded: o.evidence_demanded,
                correction_deadline: o.correction_deadline,
            });
            (app, Some(l))
        }
        SurveillanceCleared => {
            let mut l = need_label(ev, label)?;
            l.status = LabelStatus::Active;
            l.surveillance = None;
            (app, Some(l))
        }
        LabelRevoked => {
            let mut l = need_label(ev, label)?;
            l.status = LabelStatus::Revoked;
            l.surveillance = None;
            l.end_reason = ev.reason.clone();
            (app, Some(l))
        }
        UpdatePublished => {
            let u: UpdateEntry = from_value(ev)?;
            let mut l = need_label(ev, label)?;
            l.security.updates.push(u);
            (app, Some(l))
        }
        VulnerabilityRecorded => {
            let v: VulnerabilityEntry = from_value(ev)?;
            let mut l = need_label(ev, label)?;
            match l.security.vulnerabilities.iter_mut().find(|x| x.id == v.id) {
                Some(slot) => *slot = v,
                None => l.security.vulnerabilities.push(v),
            }
            (app, Some(l))
        }
        SupportEndSet => {
            let p: SupportEnd = from_value(ev)?;
            let mut l = need_label(ev, label)?;
            l.security.support_end = p.support_end;
            (app, Some(l))
        }
        DisclosureContactSet => {
            let p: Contact = from_value(ev)?;
            let mut l = need_label(ev, label)?;
            l.security.disclosure_contact = p.disclosure_contact;
            (app, Some(l))
        }
    })
}

/// Append events for one application/label and apply them, saving the result.
struct Step<'a> {
    reg: &'a Registry,
    tx: WriteTx,
    app: Option<Application>,
    label: Option<Label>,
    at: DateTime<Utc>,
}

impl<'a> Step<'a> {
    async fn begin(reg: &'a Registry) -> Result<Step<'a>> {
        Ok(Step {
            reg,
            tx: reg.inner.store.write().await?,
            app: None,
            label: None,
            at: reg.now(),
        })
    }

    async fn with_app(mut self, id: &str) -> Result<Step<'a>> {
        let app = self
            .tx
            .load_application(id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "application",
                id: id.to_string(),
            })?;
        self.app = Some(app);
        Ok(self)
    }

    async fn with_label(mut self, number: &str) -> Result<Step<'a>> {
        let label = self
            .tx
            .load_label(number)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "label",
                id: number.to_string(),
            })?;
        self.label = Some(label);
        Ok(self)
    }

    fn app(&self) -> Result<&Application> {
        self.app
            .as_ref()
            .ok_or_else(|| Error::Corrupt("no application loaded".into()))
    }

    /// The label with its status as of today.
    fn label_now(&self) -> Result<Label> {
        let l = self
            .label
            .clone()
            .ok_or_else(|| Error::Corrupt("no label loaded".into()))?;
        Ok(effective(l, self.reg.today()))
    }

    async fn emit(
        &mut self,
        actor: &Actor,
        kind: EventKind,
        reason: Option<&str>,
        payload: serde_json::Value,
    ) -> Result<()> {
        let app_id = self.app.as_ref().map(|a| a.id.clone());
        let label_no = self.label.as_ref().map(|l| l.number.clone());
        self.emit_for(
            actor,
            kind,
            app_id.as_deref(),
            label_no.as_deref(),
            reason,
            payload,
        )
        .await
    }

    async fn emit_for(
        &mut self,
        actor: &Actor,
        kind: EventKind,
        app_id: Option<&str>,
        label_no: Option<&str>,
        reason: Option<&str>,
        payload: serde_json::Value,
    ) -> Result<()> {
        let ev = self
            .tx
            .append(NewEvent {
                at: self.at,
                actor,
                kind,
                application_id: app_id,
                label_number: label_no,
                reason,
                payload,
            })
            .await?;
        let (app, label) = apply(&ev, self.app.take(), self.label.take())?;
        self.app = app;
        self.label = label;
        Ok(())
    }

    async fn finish(mut self) -> Result<(Option<Application>, Option<Label>)> {
        if let Some(app) = &self.app {
            self.tx.save_application(app).await?;
        }
        if let Some(label) = &self.label {
            self.tx.save_label(label).await?;
        }
        self.tx.commit().await?;
        let today = self.reg.today();
        Ok((self.app, self.label.map(|l| effective(l, today))))
    }

    async fn finish_app(self) -> Result<Application> {
        self.finish()
            .await?
            .0
            .ok_or_else(|| Error::Corrupt("no application after the step".into()))
    }

    async fn finish_label(self) -> Result<Label> {
        self.finish()
            .await?
            .1
            .ok_or_else(|| Error::Corrupt("no label after the step".into()))
    }
}

// ---- applications -------------------------------------------------------------

fn validate_submission(s: &ApplicationSubmission) -> Result<()> {
    required("org", &s.org)?;
    required("applicant.company", &s.applicant.company)?;
    required("applicant.address", &s.applicant.address)?;
    required("applicant.contact", &s.applicant.contact)?;
    optional("disclosure_contact", &s.disclosure_contact)?;
    if s.products.is_empty() {
        return Err(Error::invalid(
            "products",
            "at least one product with its model numbers is needed",
        ));
    }
    if s.products.len() > 100 {
        return Err(Error::invalid(
            "products",
            "at most 100 products per application",
        ));
    }
    for (i, p) in s.products.iter().enumerate() {
        required(&format!("products[{i}].name"), &p.name)?;
        optional(&format!("products[{i}].product_type"), &p.product_type)?;
        if p.model_numbers.is_empty() || p.model_numbers.len() > 500 {
            return Err(Error::invalid(
                format!("products[{i}].model_numbers"),
                "between 1 and 500 model numbers are needed",
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
            format!("at most {MAX_CHECKLIST_BYTES} bytes of JSON are accepted"),
        ));
    }
    Ok(())
}

pub(crate) async fn submit_application(
    reg: &Registry,
    actor: &Actor,
    mut s: ApplicationSubmission,
) -> Result<Application> {
    s.org = s.org.trim().to_string();
    authorize(actor, Action::SubmitApplication, Resource::owned_by(&s.org))?;
    validate_submission(&s)?;
    let problems = checklist_problems(s.level, &s.checklist);
    let mut step = Step::begin(reg).await?;
    let n = step.tx.next_counter("application").await?;
    let id = format!("APP-{n:06}");
    step.emit_for(
        actor,
        EventKind::ApplicationSubmitted,
        Some(&id),
        None,
        None,
        to_value(&Submitted { submission: s })?,
    )
    .await?;
    if problems.is_empty() {
        step.emit(actor, EventKind::FormatCheckPassed, None, json!({}))
            .await?;
        step.finish_app().await
    } else {
        step.emit(
            actor,
            EventKind::FormatCheckFailed,
            Some("the checklist failed the automatic format check"),
            to_value(&Problems {
                problems: problems.clone(),
            })?,
        )
        .await?;
        step.finish_app().await?;
        Err(Error::ChecklistRefused {
            application_id: id,
            problems,
        })
    }
}

fn refuse_app(app: &Application, reason: impl Into<String>) -> Error {
    Error::refused(app_subject(&app.id), app.status, reason)
}

pub(crate) async fn request_inquiry(
    reg: &Registry,
    actor: &Actor,
    id: &str,
    reference: &str,
) -> Result<Application> {
    required("reference", reference)?;
    let mut step = Step::begin(reg).await?.with_app(id).await?;
    let app = step.app()?;
    authorize(actor, Action::RecordInquiry, Resource::application(app))?;
    if app.status != ApplicationStatus::Submitted {
        return Err(refuse_app(
            app,
            "the supply-chain inquiry is requested right after a passed format check",
        ));
    }
    step.emit(
        actor,
        EventKind::InquiryRequested,
        None,
        to_value(&Reference {
            reference: reference.trim().to_string(),
        })?,
    )
    .await?;
    step.finish_app().await
}

pub(crate) async fn answer_inquiry(
    reg: &Registry,
    actor: &Actor,
    id: &str,
    outcome: InquiryOutcome,
    reference: &str,
) -> Result<Application> {
    required("reference", reference)?;
    let mut step = Step::begin(reg).await?.with_app(id).await?;
    let app = step.app()?;
    authorize(actor, Action::RecordInquiry, Resource::application(app))?;
    if app.status != ApplicationStatus::InquiryRequested {
        return Err(refuse_app(
            app,
            "an inquiry answer needs a requested inquiry first (registry inquiry request)",
        ));
    }
    step.emit(
        actor,
        EventKind::InquiryAnswered,
        None,
        to_value(&Answer {
            outcome,
            reference: reference.trim().to_string(),
        })?,
    )
    .await?;
    step.finish_app().await
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
    let mut step = Step::begin(reg).await?.with_app(id).await?;
    let app = step.app()?;
    authorize(actor, Action::DecideApplication, Resource::application(app))?;
    if accept {
        if app.status != ApplicationStatus::InquiryAnswered {
            return Err(refuse_app(
                app,
                "acceptance needs the supply-chain inquiry answered first",
            ));
        }
        let concern = app
            .inquiry
            .as_ref()
            .and_then(|i| i.outcome)
            .is_some_and(|o| o == InquiryOutcome::Concern);
        if concern && reason.is_none() {
            return Err(refuse_app(
                app,
                "the supply-chain inquiry raised a concern; accepting needs a reason",
            ));
        }
        if app.level.needs_evaluation() {
            match &app.evaluation_report {
                None => {
                    return Err(refuse_app(
                        app,
                        format!(
                            "a {} application needs an evaluation report from the assigned evaluation body before it can be certified",
                            app.level
                        ),
                    ));
                }
                Some(r) if r.verdict != Verdict::Pass => {
                    return Err(refuse_app(
                        app,
                        "the evaluation report's verdict is fail; a passing report is needed to certify",
                    ));
                }
                Some(_) => {}
            }
        }
        step.emit(actor, EventKind::ApplicationAccepted, reason, json!({}))
            .await?;
    } else {
        let Some(reason) = reason else {
            return Err(Error::invalid("reason", "a rejection needs a reason"));
        };
        if !matches!(
            app.status,
            ApplicationStatus::Submitted
                | ApplicationStatus::InquiryRequested
                | ApplicationStatus::InquiryAnswered
        ) {
            return Err(refuse_app(
                app,
                "only an application awaiting its decision can be rejected",
            ));
        }
        step.emit(
            actor,
            EventKind::ApplicationRejected,
            Some(reason),
            json!({}),
        )
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
    if fee.amount_yen == 0 {
        return Err(Error::invalid(
            "amount_yen",
            "the fee must be a positive amount of yen",
        ));
    }
    let mut step = Step::begin(reg).await?.with_app(id).await?;
    let app = step.app()?;
    authorize(actor, Action::RecordFee, Resource::application(app))?;
    if app.status != ApplicationStatus::Accepted {
        return Err(refuse_app(app, "the fee is recorded after acceptance"));
    }
    step.emit(actor, EventKind::FeePaid, None, to_value(&fee)?)
        .await?;
    step.finish_app().await
}

fn awaiting_decision(app: &Application) -> bool {
    matches!(
        app.status,
        ApplicationStatus::Submitted
            | ApplicationStatus::InquiryRequested
            | ApplicationStatus::InquiryAnswered
    )
}

pub(crate) async fn assign_evaluation_body(
    reg: &Registry,
    actor: &Actor,
    id: &str,
    body_org: &str,
) -> Result<Application> {
    required("evaluation_body", body_org)?;
    let mut step = Step::begin(reg).await?.with_app(id).await?;
    let app = step.app()?;
    authorize(
        actor,
        Action::AssignEvaluationBody,
        Resource::application(app),
    )?;
    if !app.level.needs_evaluation() {
        return Err(refuse_app(
            app,
            format!(
                "{} is self-declared; evaluation bodies are for ★3 and ★4",
                app.level
            ),
        ));
    }
    if !awaiting_decision(app) {
        return Err(refuse_app(
            app,
            "an evaluation body is assigned before the decision",
        ));
    }
    step.emit(
        actor,
        EventKind::EvaluationBodyAssigned,
        None,
        to_value(&BodyAssigned {
            evaluation_body: body_org.trim().to_string(),
        })?,
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
            "the SHA-256 of the report file as 64 hexadecimal digits",
        ));
    }
    let mut step = Step::begin(reg).await?.with_app(id).await?;
    let app = step.app()?;
    if !app.level.needs_evaluation() {
        authorize(
            actor,
            Action::AttachEvaluationReport,
            Resource::application(app),
        )?;
        return Err(refuse_app(
            app,
            format!(
                "{} is self-declared and takes no evaluation report",
                app.level
            ),
        ));
    }
    if app.evaluation_body.is_none() {
        authorize(
            actor,
            Action::AttachEvaluationReport,
            Resource::application(app),
        )?;
        return Err(refuse_app(
            app,
            "no evaluation body is assigned yet; the operator assigns one first",
        ));
    }
    authorize(
        actor,
        Action::AttachEvaluationReport,
        Resource::application(app),
    )?;
    if !awaiting_decision(app) {
        return Err(refuse_app(
            app,
            "the evaluation report is attached before the decision",
        ));
    }
    step.emit(
        actor,
        EventKind::EvaluationReportAttached,
        None,
        to_value(&report)?,
    )
    .await?;
    step.finish_app().await
}

pub(crate) async fn issue_label(
    reg: &Registry,
    actor: &Actor,
    id: &str,
    valid_until: Option<NaiveDate>,
) -> Result<Label> {
    let mut step = Step::begin(reg).await?.with_app(id).await?;
    let app = step.app()?.clone();
    authorize(actor, Action::IssueLabel, Resource::application(&app))?;
    if app.status != ApplicationStatus::FeePaid {
        let need = match app.status {
            ApplicationStatus::Accepted => "the fee must be recorded as paid first",
            ApplicationStatus::Issued => "its label was already issued",
            _ => "a label is issued after acceptance and the fee",
        };
        return Err(refuse_app(&app, need));
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
            format!(
                "validity may not exceed two years: the latest end date is {max}, {end} was asked"
            ),
        ));
    }
    if end <= today {
        return Err(Error::invalid(
            "valid_until",
            format!("the validity end must be after today ({today})"),
        ));
    }
    let seq = step.tx.next_counter("label").await?;
    let year = u16::try_from(chrono::Datelike::year(&today))
        .map_err(|_| Error::Corrupt(format!("year of {today}")))?;
    let number = RegistrationNumber::new(app.level, year, seq as u64).to_string();
    let label = Label {
        number: number.clone(),
        application_id: app.id.clone(),
        org: app.org.clone(),
        level: app.level,
        applicant: app.applicant.clone(),
        products: app.products.clone(),
        issued_on: today,
        valid_until: end,
        status: LabelStatus::Active,
        surveillance: None,
        end_reason: None,
        security: SecurityInfo {
            disclosure_contact: app.disclosure_contact.clone(),
            ..SecurityInfo::default()
        },
    };
    step.emit_for(
        actor,
        EventKind::LabelIssued,
        Some(&app.id),
        Some(&number),
        None,
        to_value(&Issued { label })?,
    )
    .await?;
    step.finish_label().await
}

pub(crate) async fn application(reg: &Registry, actor: &Actor, id: &str) -> Result<Application> {
    let app = reg
        .inner
        .store
        .load_application(id.trim())
        .await?
        .ok_or_else(|| Error::NotFound {
            what: "application",
            id: id.to_string(),
        })?;
    authorize(actor, Action::ReadApplication, Resource::application(&app))?;
    Ok(app)
}

pub(crate) async fn list_applications(
    reg: &Registry,
    actor: &Actor,
    status: Option<ApplicationStatus>,
    offset: u64,
    limit: u64,
) -> Result<Vec<Application>> {
    let limit = limit.clamp(1, 500) as i64;
    let offset = offset.min(i64::MAX as u64) as i64;
    let (filter, who) = match actor.role {
        Role::Operator => ("1 = 1", String::new()),
        Role::Vendor => ("org = $4", actor.org.clone()),
        Role::EvaluationBody => ("evaluation_body = $4", actor.org.clone()),
        Role::Public => {
            authorize(actor, Action::ReadApplication, Resource::none())?;
            return Ok(Vec::new());
        }
    };
    let sql = format!(
        "SELECT data FROM applications WHERE {filter} AND ($1 = '' OR status = $1) \
         ORDER BY seq DESC LIMIT $2 OFFSET $3"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql))
        .bind(status.map(|s| s.as_str()).unwrap_or(""))
        .bind(limit)
        .bind(offset);
    if actor.role != Role::Operator {
        q = q.bind(who);
    }
    let rows = q.fetch_all(reg.inner.store.pool()).await?;
    rows.iter()
        .map(|r| {
            let data: String = r.try_get(0)?;
            serde_json::from_str(&data).map_err(|e| Error::Corrupt(format!("application: {e}")))
        })
        .collect()
}

// ---- labels -------------------------------------------------------------------

fn refuse_label(label: &Label, reason: impl Into<String>) -> Error {
    Error::refused(label_subject(&label.number), label.status, reason)
}

async fn label_step<'a>(
    reg: &'a Registry,
    actor: &Actor,
    number: &str,
    action: Action,
) -> Result<(Step<'a>, Label)> {
    let number = canonical_number(number)?;
    let step = Step::begin(reg).await?.with_label(&number).await?;
    let now = step.label_now()?;
    authorize(actor, action, Resource::label(&now))?;
    Ok((step, now))
}

pub(crate) async fn extend_label(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    valid_until: Option<NaiveDate>,
    declaration: &str,
) -> Result<Label> {
    required("declaration", declaration)?;
    let (mut step, now) = label_step(reg, actor, number, Action::ExtendLabel).await?;
    match now.status {
        LabelStatus::Active => {}
        LabelStatus::UnderSurveillance => {
            return Err(refuse_label(
                &now,
                "a label under surveillance cannot be extended until the surveillance is closed",
            ));
        }
        LabelStatus::Expired => {
            return Err(refuse_label(
                &now,
                format!(
                    "the validity ended on {}; an expired label needs a new application",
                    now.valid_until
                ),
            ));
        }
        LabelStatus::Withdrawn | LabelStatus::Revoked => {
            return Err(refuse_label(&now, "only an active label can be extended"));
        }
    }
    let today = reg.today();
    let max = max_validity(today);
    let end = valid_until.unwrap_or(max);
    if end > max {
        return Err(refuse_label(
            &now,
            format!(
                "an extension reaches at most two years from today: {max} at the latest, {end} was asked"
            ),
        ));
    }
    if end <= now.valid_until {
        return Err(refuse_label(
            &now,
            format!(
                "the new end date {end} must be later than the current one {}",
                now.valid_until
            ),
        ));
    }
    step.emit(
        actor,
        EventKind::LabelExtended,
        None,
        to_value(&Extended {
            previous_valid_until: now.valid_until,
            valid_until: end,
            declaration: declaration.trim().to_string(),
        })?,
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
    let (mut step, now) = label_step(reg, actor, number, Action::WithdrawLabel).await?;
    if !matches!(
        now.status,
        LabelStatus::Active | LabelStatus::UnderSurveillance
    ) {
        return Err(refuse_label(
            &now,
            "only an active label or one under surveillance can be withdrawn",
        ));
    }
    step.emit(
        actor,
        EventKind::LabelWithdrawn,
        Some(reason.trim()),
        json!({}),
    )
    .await?;
    step.finish_label().await
}

pub(crate) async fn open_surveillance(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    order: SurveillanceOrder,
) -> Result<Label> {
    required("reason", &order.reason)?;
    required("evidence_demanded", &order.evidence_demanded)?;
    let (mut step, now) = label_step(reg, actor, number, Action::Surveillance).await?;
    if now.status != LabelStatus::Active {
        return Err(refuse_label(
            &now,
            "surveillance is opened on an active label",
        ));
    }
    let today = reg.today();
    if order.correction_deadline < today {
        return Err(Error::invalid(
            "correction_deadline",
            format!("the deadline must be today ({today}) or later"),
        ));
    }
    step.emit(
        actor,
        EventKind::SurveillanceOpened,
        Some(order.reason.trim()),
        to_value(&order)?,
    )
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
    let (mut step, now) = label_step(reg, actor, number, Action::Surveillance).await?;
    let recorded = step.label.as_ref().map(|l| l.status);
    if recorded != Some(LabelStatus::UnderSurveillance) {
        return Err(refuse_label(&now, "there is no open surveillance to close"));
    }
    step.emit(
        actor,
        EventKind::SurveillanceCleared,
        Some(reason.trim()),
        json!({}),
    )
    .await?;
    step.finish_label().await
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
    let recorded = step.label.as_ref().map(|l| l.status);
    match (recorded, &now.surveillance) {
        (Some(LabelStatus::UnderSurveillance), Some(case)) => {
            let today = reg.today();
            if today <= case.correction_deadline && override_reason.is_none() {
                return Err(refuse_label(
                    &now,
                    format!(
                        "the correction deadline {} has not passed; revoke after it or give an override reason",
                        case.correction_deadline
                    ),
                ));
            }
        }
        (Some(LabelStatus::Active), _) if now.status == LabelStatus::Active => {
            if override_reason.is_none() {
                return Err(refuse_label(
                    &now,
                    "revocation follows surveillance: open surveillance first, or give an override reason",
                ));
            }
        }
        _ => {
            return Err(refuse_label(
                &now,
                "only a label under surveillance (or an active one, with an override reason) can be revoked",
            ));
        }
    }
    step.emit(
        actor,
        EventKind::LabelRevoked,
        Some(reason.trim()),
        to_value(&Revoked {
            override_reason: override_reason.map(str::to_string),
        })?,
    )
    .await?;
    step.finish_label().await
}

pub(crate) async fn add_update(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    entry: UpdateEntry,
) -> Result<Label> {
    required("version", &entry.version)?;
    optional("notes", &entry.notes)?;
    let (mut step, _) = label_step(reg, actor, number, Action::EditSecurityInfo).await?;
    step.emit(actor, EventKind::UpdatePublished, None, to_value(&entry)?)
        .await?;
    step.finish_label().await
}

pub(crate) async fn record_vulnerability(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    mut entry: VulnerabilityEntry,
) -> Result<Label> {
    required("id", &entry.id)?;
    required("title", &entry.title)?;
    entry.id = entry.id.trim().to_string();
    entry.fixed_in = entry
        .fixed_in
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    match (entry.state, &entry.fixed_in) {
        (VulnerabilityState::Fixed, None) => {
            return Err(Error::invalid(
                "fixed_in",
                "a fixed vulnerability needs the version that fixes it",
            ));
        }
        (VulnerabilityState::Fixed, Some(v)) => check_text("fixed_in", v, 200)?,
        (_, Some(_)) => {
            return Err(Error::invalid(
                "fixed_in",
                "give a fixed-in version only with the state fixed",
            ));
        }
        (_, None) => {}
    }
    entry.updated_on = Some(reg.today());
    let (mut step, _) = label_step(reg, actor, number, Action::EditSecurityInfo).await?;
    step.emit(
        actor,
        EventKind::VulnerabilityRecorded,
        None,
        to_value(&entry)?,
    )
    .await?;
    step.finish_label().await
}

pub(crate) async fn set_support_end(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    support_end: Option<NaiveDate>,
) -> Result<Label> {
    let (mut step, _) = label_step(reg, actor, number, Action::EditSecurityInfo).await?;
    step.emit(
        actor,
        EventKind::SupportEndSet,
        None,
        to_value(&SupportEnd { support_end })?,
    )
    .await?;
    step.finish_label().await
}

pub(crate) async fn set_disclosure_contact(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    contact: &str,
) -> Result<Label> {
    required("disclosure_contact", contact)?;
    let (mut step, _) = label_step(reg, actor, number, Action::EditSecurityInfo).await?;
    step.emit(
        actor,
        EventKind::DisclosureContactSet,
        None,
        to_value(&Contact {
            disclosure_contact: contact.trim().to_string(),
        })?,
    )
    .await?;
    step.finish_label().await
}

// ---- queries ------------------------------------------------------------------

pub(crate) async fn label(reg: &Registry, number: &str) -> Result<Label> {
    let number = canonical_number(number)?;
    let l = reg
        .inner
        .store
        .load_label(&number)
        .await?
        .ok_or(Error::NotFound {
            what: "label",
            id: number,
        })?;
    Ok(effective(l, reg.today()))
}

pub(crate) async fn label_history(reg: &Registry, number: &str) -> Result<Vec<HistoryEntry>> {
    let number = canonical_number(number)?;
    let events = reg
        .inner
        .store
        .events_where(EventColumn::Label, &number)
        .await?;
    if events.is_empty() {
        return Err(Error::NotFound {
            what: "label",
            id: number,
        });
    }
    let mut state: Option<Label> = None;
    let mut out = Vec::with_capacity(events.len());
    for ev in events {
        // The issuance event also carries the application; a placeholder
        // keeps `apply` total without loading it.
        let app = (ev.kind == EventKind::LabelIssued).then(|| placeholder_app(&ev));
        let (_, l) = apply(&ev, app, state.take())?;
        let l = need_label(&ev, l)?;
        let details = match ev.kind {
            EventKind::LabelIssued => json!({
                "issued_on": l.issued_on,
                "valid_until": l.valid_until,
                "level": l.level,
            }),
            _ => ev.payload.clone(),
        };
        out.push(HistoryEntry {
            seq: ev.seq,
            at: ev.at,
            kind: ev.kind,
            status: l.status,
            reason: ev.reason.clone(),
            actor_role: ev.actor.role,
            actor_org: ev.actor.org.clone(),
            details,
        });
        state = Some(l);
    }
    Ok(out)
}

fn placeholder_app(ev: &Event) -> Application {
    Application {
        id: ev.application_id.clone().unwrap_or_default(),
        org: String::new(),
        level: Level::Star1,
        applicant: Applicant::default(),
        products: Vec::new(),
        disclosure_contact: String::new(),
        checklist: serde_json::Value::Null,
        requested_valid_until: None,
        status: ApplicationStatus::FeePaid,
        submitted_at: ev.at,
        format_problems: Vec::new(),
        inquiry: None,
        decision: None,
        fee: None,
        evaluation_body: None,
        evaluation_report: None,
        label_number: None,
    }
}

pub(crate) async fn product_page(reg: &Registry, number: &str) -> Result<ProductPage> {
    let label = label(reg, number).await?;
    let history = label_history(reg, &label.number).await?;
    Ok(ProductPage { label, history })
}

fn like_pattern(s: &str) -> String {
    let mut out = String::from("%");
    for c in norm(s).chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A double-quoted FTS5 string: the trigram tokenizer turns it into a phrase
/// of trigrams, which matches exactly where the text is a substring.
fn fts_phrase(column: &str, text: &str) -> String {
    format!("{column} : \"{}\"", text.replace('"', "\"\""))
}

/// The trigram index only knows strings of three characters or more.
const TRIGRAM: usize = 3;

/// A text criterion of one or two characters has no index to use: it is
/// looked for among the newest this many labels only, so its cost stays
/// bounded however large the registry grows (three or more characters
/// search every label).
pub const SHORT_TEXT_WINDOW: i64 = 10_000;

pub(crate) async fn search(reg: &Registry, q: &SearchQuery) -> Result<SearchPage> {
    let limit = if q.limit == 0 { 20 } else { q.limit.min(200) };
    let offset = q.offset.min(1_000_000);
    let today = fmt_date(reg.today());
    let sqlite = reg.backend() == Backend::Sqlite;
    let mut clauses: Vec<String> = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    let mut bind = |v: String| {
        binds.push(v);
        format!("${}", binds.len())
    };
    let text_filters = [
        ("search_norm", &q.text, 200usize),
        ("company_norm", &q.company, 200),
        ("product_norm", &q.product, 200),
        ("model_norm", &q.model, 200),
    ];
    // SQLite: texts of 3+ characters go to the FTS5 trigram index, which
    // then drives the query in registration order (so a page stops after its
    // rows). PostgreSQL: LIKE, served by the pg_trgm GIN indexes. Shorter
    // texts have no trigram: they filter the rows the rest of the query
    // yields, in registration order, stopping once the page is full.
    let mut fts: Vec<String> = Vec::new();
    let mut short_text = false;
    for (col, val, max) in text_filters {
        if let Some(v) = val.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            check_text(col.trim_end_matches("_norm"), v, max)?;
            let n = norm(v);
            if sqlite && n.chars().count() >= TRIGRAM {
                fts.push(fts_phrase(col, &n));
            } else {
                short_text |= n.chars().count() < TRIGRAM;
                let p = bind(like_pattern(v));
                clauses.push(format!("labels.{col} LIKE {p} ESCAPE '\\'"));
            }
        }
    }
    if short_text {
        clauses.push(format!(
            "labels.seq > (SELECT COALESCE(MAX(seq), 0) FROM labels) - {SHORT_TEXT_WINDOW}"
        ));
    }
    let fts_match = (!fts.is_empty()).then(|| bind(fts.join(" AND ")));
    if let Some(n) = q.number.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        check_text("number", n, 64)?;
        if let Ok(full) = parse_registration_number(n) {
            // A complete number is an exact match on the primary key.
            let p = bind(full.to_string());
            clauses.push(format!("labels.number = {p}"));
        } else if sqlite {
            // GLOB is case-sensitive, so SQLite serves a constant prefix
            // from the primary-key index (LIKE could not: it folds case).
            let mut prefix = String::new();
            for c in n.to_ascii_uppercase().chars() {
                if matches!(c, '*' | '?' | '[' | ']') {
                    prefix.push('[');
                    prefix.push(c);
                    prefix.push(']');
                } else {
                    prefix.push(c);
                }
            }
            prefix.push('*');
            let p = bind(prefix);
            clauses.push(format!("labels.number GLOB {p}"));
        } else {
            let mut prefix = String::new();
            for c in n.to_ascii_uppercase().chars() {
                if matches!(c, '%' | '_' | '\\') {
                    prefix.push('\\');
                }
                prefix.push(c);
            }
            prefix.push('%');
            let p = bind(prefix);
            clauses.push(format!("labels.number LIKE {p} ESCAPE '\\'"));
        }
    }
    if let Some(level) = q.level {
        let p = bind(level.number().to_string());
        clauses.push(format!("labels.level = CAST({p} AS BIGINT)"));
    }
    if let Some(status) = q.status {
        match status {
            LabelStatus::Active | LabelStatus::UnderSurveillance => {
                let s = bind(status.as_str().to_string());
                let d = bind(today.clone());
                clauses.push(format!(
                    "labels.stored_status = {s} AND labels.valid_until >= {d}"
                ));
            }
            LabelStatus::Expired => {
                let d = bind(today.clone());
                clauses.push(format!(
                    "labels.stored_status IN ('active', 'under_surveillance') AND labels.valid_until < {d}"
                ));
            }
            LabelStatus::Withdrawn | LabelStatus::Revoked => {
                let s = bind(status.as_str().to_string());
                clauses.push(format!("labels.stored_status = {s}"));
            }
        }
    }
    let filter = if clauses.is_empty() {
        "1 = 1".to_string()
    } else {
        clauses.join(" AND ")
    };
    let sql = match fts_match {
        Some(m) => format!(
            // CROSS JOIN fixes SQLite's loop order: the index must drive (in
            // rowid order, stopping at the page end); with `labels` outside,
            // each of its rows would re-run the MATCH (seconds).
            "SELECT labels.data FROM labels_fts CROSS JOIN labels ON labels.seq = labels_fts.rowid \
             WHERE labels_fts MATCH {m} AND {filter} ORDER BY labels_fts.rowid LIMIT {} OFFSET {}",
            limit + 1,
            offset
        ),
        None => format!(
            "SELECT labels.data FROM labels WHERE {filter} ORDER BY labels.seq LIMIT {} OFFSET {}",
            limit + 1,
            offset
        ),
    };
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for b in binds {
        query = query.bind(b);
    }
    let rows = query.fetch_all(reg.inner.store.pool()).await?;
    let today = reg.today();
    let mut items = Vec::with_capacity(rows.len());
    for r in rows.iter().take(limit as usize) {
        let data: String = r.try_get(0)?;
        let l: Label =
            serde_json::from_str(&data).map_err(|e| Error::Corrupt(format!("label: {e}")))?;
        items.push(summary(&effective(l, today)));
    }
    let next_offset = (rows.len() as u64 > limit).then_some(offset + limit);
    Ok(SearchPage {
        items,
        offset,
        limit,
        next_offset,
    })
}

/// Number of labels per (level, status as of today), from one grouped
/// query over the `labels_counts` index.
pub(crate) async fn label_counts(reg: &Registry) -> Result<Vec<(Level, LabelStatus, u64)>> {
    let rows = sqlx::query(
        "SELECT level, CASE WHEN stored_status IN ('active', 'under_surveillance') \
         AND valid_until < $1 THEN 'expired' ELSE stored_status END AS status, COUNT(*) \
         FROM labels GROUP BY level, 2",
    )
    .bind(fmt_date(reg.today()))
    .fetch_all(reg.inner.store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let level: i64 = r.try_get(0)?;
            let status: String = r.try_get(1)?;
            let n: i64 = r.try_get(2)?;
            let level = u8::try_from(level)
                .ok()
                .and_then(Level::from_number)
                .ok_or_else(|| Error::Corrupt(format!("labels: level {level}")))?;
            let status = status
                .parse::<LabelStatus>()
                .map_err(|e| Error::Corrupt(format!("labels: status: {e}")))?;
            Ok((level, status, n.max(0) as u64))
        })
        .collect()
}

pub(crate) fn summary(l: &Label) -> LabelSummary {
    LabelSummary {
        number: l.number.clone(),
        level: l.level,
        status: l.status,
        company: l.applicant.company.clone(),
        products: l.products.iter().map(|p| p.name.clone()).collect(),
        model_numbers: l
            .products
            .iter()
            .flat_map(|p| p.model_numbers.iter().cloned())
            .collect(),
        issued_on: l.issued_on,
        valid_until: l.valid_until,
    }
}

pub(crate) async fn labels_after(
    reg: &Registry,
    after_number: Option<&str>,
    limit: u64,
) -> Result<Vec<Label>> {
    let after = match after_number {
        Some(n) => parse_registration_number(n)?.sequence() as i64,
        None => 0,
    };
    let limit = limit.clamp(1, 1000) as i64;
    let rows = sqlx::query("SELECT data FROM labels WHERE seq > $1 ORDER BY seq LIMIT $2")
        .bind(after)
        .bind(limit)
        .fetch_all(reg.inner.store.pool())
        .await?;
    let today = reg.today();
    rows.iter()
        .map(|r| {
            let data: String = r.try_get(0)?;
            let l: Label =
                serde_json::from_str(&data).map_err(|e| Error::Corrupt(format!("label: {e}")))?;
            Ok(effective(l, today))
        })
        .collect()
}

const CSV_HEADER: [&str; 16] = [
    "registration_number",
    "level",
    "status",
    "company",
    "address",
    "contact",
    "products",
    "model_numbers",
    "firmware_versions",
    "product_types",
    "issued_on",
    "valid_until",
    "support_end",
    "disclosure_contact",
    "updates",
    "open_vulnerabilities",
];

fn csv_record(l: &Label) -> [String; 16] {
    let join = |f: &dyn Fn(&Product) -> Vec<String>| {
        l.products.iter().flat_map(f).collect::<Vec<_>>().join("; ")
    };
    let open_vulns = l
        .security
        .vulnerabilities
        .iter()
        .filter(|v| v.state == VulnerabilityState::Investigating)
        .count();
    [
        l.number.clone(),
        l.level.number().to_string(),
        l.status.as_str().to_string(),
        l.applicant.company.clone(),
        l.applicant.address.clone(),
        l.applicant.contact.clone(),
        join(&|p| vec![p.name.clone()]),
        join(&|p| p.model_numbers.clone()),
        join(&|p| p.firmware_versions.clone()),
        join(&|p| vec![p.product_type.clone()]),
        fmt_date(l.issued_on),
        fmt_date(l.valid_until),
        l.security.support_end.map(fmt_date).unwrap_or_default(),
        l.security.disclosure_contact.clone(),
        l.security.updates.len().to_string(),
        open_vulns.to_string(),
    ]
}

/// CSV rows for `labels` (after the header line when `header`): the export
/// is these chunks concatenated, page after page.
pub fn labels_csv(labels: &[Label], header: bool) -> Result<Vec<u8>> {
    let csv_err = |e: csv::Error| Error::Io(std::io::Error::other(e.to_string()));
    let mut w = csv::Writer::from_writer(Vec::new());
    if header {
        w.write_record(CSV_HEADER).map_err(csv_err)?;
    }
    for l in labels {
        w.write_record(
            csv_record(l)
                .iter()
                .map(|c| crate::csv_cell::neutralise(c).into_owned()),
        )
        .map_err(csv_err)?;
    }
    w.into_inner()
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
}

/// The JSON export is `JSON_EXPORT_OPEN`, then [`labels_json`] chunks, then
/// `JSON_EXPORT_CLOSE`.
pub const JSON_EXPORT_OPEN: &[u8] = b"[";
pub const JSON_EXPORT_CLOSE: &[u8] = b"\n]\n";

/// Array elements for `labels`; `first`: no label was written before.
pub fn labels_json(labels: &[Label], first: bool) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(labels.len() * 1024);
    for (i, l) in labels.iter().enumerate() {
        if !(first && i == 0) {
            out.push(b',');
        }
        out.push(b'\n');
        serde_json::to_writer(&mut out, l).map_err(|e| Error::Io(e.into()))?;
    }
    Ok(out)
}

pub(crate) async fn export_csv<W: std::io::Write + Send>(
    reg: &Registry,
    mut out: W,
) -> Result<u64> {
    out.write_all(&labels_csv(&[], true)?)?;
    let mut after: Option<String> = None;
    let mut n = 0u64;
    loop {
        let page = labels_after(reg, after.as_deref(), 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.number.clone());
        out.write_all(&labels_csv(&page, false)?)?;
        n += page.len() as u64;
    }
    out.flush()?;
    Ok(n)
}

pub(crate) async fn export_json<W: std::io::Write + Send>(
    reg: &Registry,
    mut out: W,
) -> Result<u64> {
    out.write_all(JSON_EXPORT_OPEN)?;
    let mut after: Option<String> = None;
    let mut n = 0u64;
    loop {
        let page = labels_after(reg, after.as_deref(), 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.number.clone());
        out.write_all(&labels_json(&page, n == 0)?)?;
        n += page.len() as u64;
    }
    out.write_all(JSON_EXPORT_CLOSE)?;
    out.flush()?;
    Ok(n)
}

pub(crate) async fn events_since(
    reg: &Registry,
    scope: FeedScope,
    after_seq: i64,
    since: Option<DateTime<Utc>>,
    limit: u64,
) -> Result<FeedPage> {
    let limit = limit.clamp(1, 1000) as i64;
    let (head_seq, _) = reg.inner.store.head().await?;
    let events = reg
        .inner
        .store
        .events_page(scope == FeedScope::Labels, after_seq.max(0), since, limit)
        .await?;
    let next_after_seq = if events.len() as i64 == limit {
        events.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(FeedPage {
        events,
        next_after_seq,
        head_seq,
    })
}

pub(crate) async fn rebuild(reg: &Registry) -> Result<RebuildReport> {
    let mut tx = reg.inner.store.write().await?;
    tx.clear_state().await?;
    let mut after = 0i64;
    let mut max_app = 0i64;
    let mut max_label = 0i64;
    loop {
        let events = tx.events_after(after, 1000).await?;
        let Some(last) = events.last() else { break };
        after = last.seq;
        for ev in &events {
            let app = match &ev.application_id {
                Some(id) => tx.load_application(id).await?,
                None => None,
            };
            let label = match &ev.label_number {
                Some(n) if ev.kind != EventKind::LabelIssued => tx.load_label(n).await?,
                _ => None,
            };
            let (app, label) = apply(ev, app, label)?;
            if let Some(app) = &app {
                if let Some(n) = app
                    .id
                    .strip_prefix("APP-")
                    .and_then(|s| s.parse::<i64>().ok())
                {
                    max_app = max_app.max(n);
                }
                tx.save_application(app).await?;
            }
            if let Some(label) = &label {
                let seq = parse_registration_number(&label.number)?.sequence() as i64;
                max_label = max_label.max(seq);
                tx.save_label(label).await?;
            }
        }
    }
    tx.raise_counter("application", max_app).await?;
    tx.raise_counter("label", max_label).await?;
    tx.rebuild_search_index(reg.backend()).await?;
    let applications = tx.count("applications").await?;
    let labels = tx.count("labels").await?;
    tx.commit().await?;
    Ok(RebuildReport {
        events: after,
        applications,
        labels,
    })
}

/// Bulk path for seeding: the full ★1 flow for many products inside one
/// transaction, through the same events and `apply` as the live commands,
/// saving each application and label once at the end.
pub(crate) async fn bulk_issue(
    reg: &Registry,
    operator: &Actor,
    subs: Vec<(Actor, ApplicationSubmission)>,
) -> Result<Vec<String>> {
    let mut tx = reg.inner.store.write().await?;
    tx.buffer();
    let at = reg.now();
    let today = reg.today();
    let year = u16::try_from(chrono::Datelike::year(&today))
        .map_err(|_| Error::Corrupt(format!("year of {today}")))?;
    let mut numbers = Vec::with_capacity(subs.len());
    let count = subs.len() as i64;
    let first_app = tx.reserve_counter("application", count).await?;
    let first_label = tx.reserve_counter("label", count).await?;
    for (k, (vendor, s)) in subs.into_iter().enumerate() {
        authorize(
            &vendor,
            Action::SubmitApplication,
            Resource::owned_by(&s.org),
        )?;
        validate_submission(&s)?;
        let problems = checklist_problems(s.level, &s.checklist);
        if !problems.is_empty() {
            return Err(Error::invalid("checklist", problems.join("; ")));
        }
        let n = first_app + k as i64;
        let id = format!("APP-{n:06}");
        let seq = first_label + k as i64;
        let number = RegistrationNumber::new(s.level, year, seq as u64).to_string();
        let level = s.level;
        let steps: [(&Actor, EventKind, serde_json::Value); 6] = [
            (
                &vendor,
                EventKind::ApplicationSubmitted,
                to_value(&Submitted { submission: s })?,
            ),
            (&vendor, EventKind::FormatCheckPassed, json!({})),
            (
                operator,
                EventKind::InquiryRequested,
                json!({"reference": format!("SCI-{n:06}")}),
            ),
            (
                operator,
                EventKind::InquiryAnswered,
                json!({"outcome": "clear", "reference": format!("SCA-{n:06}")}),
            ),
            (operator, EventKind::ApplicationAccepted, json!({})),
            (
                operator,
                EventKind::FeePaid,
                to_value(&Fee {
                    amount_yen: 15_000,
                    paid_on: today,
                    reference: format!("INV-{n:06}"),
                })?,
            ),
        ];
        let mut app: Option<Application> = None;
        let mut label: Option<Label> = None;
        for (actor, kind, payload) in steps {
            let ev = tx
                .append(NewEvent {
                    at,
                    actor,
                    kind,
                    application_id: Some(&id),
                    label_number: None,
                    reason: None,
                    payload,
                })
                .await?;
            (app, label) = apply(&ev, app, label)?;
        }
        let a = app
            .clone()
            .ok_or_else(|| Error::Corrupt("bulk: no application".into()))?;
        let issued = Label {
            number: number.clone(),
            application_id: id.clone(),
            org: a.org.clone(),
            level,
            applicant: a.applicant.clone(),
            products: a.products.clone(),
            issued_on: today,
            valid_until: max_validity(today),
            status: LabelStatus::Active,
            surveillance: None,
            end_reason: None,
            security: SecurityInfo {
                disclosure_contact: a.disclosure_contact.clone(),
                ..SecurityInfo::default()
            },
        };
        let ev = tx
            .append(NewEvent {
                at,
                actor: operator,
                kind: EventKind::LabelIssued,
                application_id: Some(&id),
                label_number: Some(&number),
                reason: None,
                payload: to_value(&Issued { label: issued })?,
            })
            .await?;
        (app, label) = apply(&ev, app, label)?;
        if let Some(app) = &app {
            tx.stage_application(app)?;
        }
        if let Some(label) = &label {
            tx.stage_label(label)?;
        }
        numbers.push(number);
    }
    tx.commit().await?;
    Ok(numbers)
}

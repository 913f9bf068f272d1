//! Commands and queries: each command checks authorisation, asks the
//! transition table in [`crate::events`] whether its event is legal in the
//! current state, checks its own further rules, then appends its events and
//! applies them with [`crate::events::apply`].

use chrono::{DateTime, Months, NaiveDate, Utc};
use sqlx::{AssertSqlSafe, Row};

use crate::auth::{Action, Resource, authorize};
use crate::error::{Error, Result};
use crate::events::{
    Answer, Before, BodyAssigned, Changed, Contact, Extended, Issued, Payload, Problems, Reference,
    Revoked, Submitted, SupportEnd, apply, need_label, transition,
};
use crate::model::*;
use crate::number::{RegistrationNumber, parse_registration_number};
use crate::store::{
    EventColumn, NewEvent, RowText, StateTable, WriteTx, check_text, expected_application_row,
    expected_label_row, fmt_date, norm,
};
use crate::{Registry, VALIDITY_YEARS};

const MAX_TEXT: usize = 2000;
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
/// Fees above this many yen are refused as a typing error.
pub const MAX_FEE_YEN: u64 = 100_000_000;

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
fn checklist_level(c: &jcstar_checklist::Checklist) -> Option<Level> {
    let star1 = &jcstar_criteria::Catalog::star1().meta;
    if c.catalog.id != star1.id {
        return None;
    }
    u8::try_from(star1.level).ok().and_then(Level::from_number)
}

fn conflict(field: &str, given: impl std::fmt::Display, sheet: impl std::fmt::Display) -> Error {
    Error::invalid(
        field,
        format!(
            "{given} was given, but the checklist's basic-information sheet says {sheet}; the application is the checklist: correct one of them or leave the field empty"
        ),
    )
}

fn fill(field: &str, given: &mut String, sheet: &str) -> Result<()> {
    let g = given.trim();
    let s = sheet.trim();
    if g.is_empty() {
        *given = s.to_string();
    } else if !s.is_empty() && g != s {
        return Err(conflict(field, format!("{g:?}"), format!("{s:?}")));
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
            format!("[{}]", s.join(", ")),
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
                "the checklist cannot be read, so its level is unknown; give the level or a readable checklist",
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
            format!(
                "{} products were given, but a checklist describes one product; apply once per checklist",
                s.products.len()
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
                format!(
                    "the checklist's catalog {:?} is not a known criteria catalog, so it supports no level",
                    c.catalog.id
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
                format!("a {sl} checklist (catalog {:?})", c.catalog.id),
            ));
        }
        (Some(l), None) => {
            return Err(conflict(
                "level",
                l,
                format!("the unknown catalog {:?}", c.catalog.id),
            ));
        }
        (Some(_), Some(_)) => {}
    }
    Ok(())
}

/// What the evidence of an application supports: ★1/★2 their checklist's
/// level, ★3/★4 a passing evaluation report for exactly that level.
fn evidence_refusal(app: &Application) -> Option<String> {
    if !app.level.needs_evaluation() {
        let sheet = serde_json::from_value::<jcstar_checklist::Checklist>(app.checklist.clone())
            .ok()
            .and_then(|c| checklist_level(&c));
        return match sheet {
            Some(l) if l == app.level => None,
            Some(l) => Some(format!(
                "a {} label needs a {} checklist, but the checklist is for {l}",
                app.level, app.level
            )),
            None => Some(format!(
                "a {} label needs a checklist of that level; the checklist's level is unknown",
                app.level
            )),
        };
    }
    match &app.evaluation_report {
        None => Some(format!(
            "a {} application needs an evaluation report from the assigned evaluation body before it can be certified",
            app.level
        )),
        Some(r) if r.verdict != Verdict::Pass => Some(
            "the evaluation report's verdict is fail; a passing report is needed to certify".into(),
        ),
        Some(r) if r.level != Some(app.level) => Some(format!(
            "a {} label needs a passing evaluation report for {}, but the report covers {}",
            app.level,
            app.level,
            r.level
                .map(|l| l.to_string())
                .unwrap_or_else(|| "no stated level".into())
        )),
        Some(_) => None,
    }
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

/// Dates the registry accepts: 2000-01-01 to 2099-12-31.
pub(crate) fn check_date(field: &str, d: NaiveDate) -> Result<()> {
    let lo = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN);
    let hi = NaiveDate::from_ymd_opt(2099, 12, 31).unwrap_or(NaiveDate::MAX);
    if d < lo || d > hi {
        return Err(Error::invalid(
            field,
            format!("{d} is out of range: a date from 2000-01-01 to 2099-12-31"),
        ));
    }
    Ok(())
}

/// Every change records who made it: a named person.
fn require_named(actor: &Actor) -> Result<()> {
    if actor
        .token_name
        .as_deref()
        .is_none_or(|n| n.trim().is_empty())
    {
        return Err(Error::invalid(
            "actor",
            "every change records who made it: act as a named person (a token of that person, or `jcstar registry --as NAME`)",
        ));
    }
    Ok(())
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

/// Eight random characters of Crockford's base32: application ids carry
/// them so that one cannot be guessed from another.
fn random_suffix() -> Result<String> {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    Ok(b.iter()
        .map(|x| char::from(ALPHABET[usize::from(x & 31)]))
        .collect())
}

/// The sequence part of an application id (`APP-000042` or
/// `APP-000042-XXXXXXXX`).
pub(crate) fn application_seq(id: &str) -> Option<i64> {
    let rest = id.strip_prefix("APP-")?;
    let digits = rest.split('-').next()?;
    digits.parse().ok()
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

    /// Ask the transition table whether `kind` may follow the loaded state.
    fn allow(&self, kind: EventKind) -> Result<()> {
        let today = self.reg.today();
        let (before, subject, state) = match (&self.label, &self.app) {
            (Some(l), _) => {
                let now = effective(l.clone(), today);
                (
                    Before::Label {
                        recorded: l.status,
                        today: now.status,
                    },
                    label_subject(&l.number),
                    now.status.to_string(),
                )
            }
            (None, Some(a)) => (
                Before::App(a.status),
                app_subject(&a.id),
                a.status.to_string(),
            ),
            (None, None) => (Before::Nothing, "registry".to_string(), String::new()),
        };
        transition(kind, before).map_err(|reason| Error::refused(subject, state, reason))
    }

    async fn emit(&mut self, actor: &Actor, reason: Option<&str>, payload: Payload) -> Result<()> {
        let app_id = self.app.as_ref().map(|a| a.id.clone());
        let label_no = self.label.as_ref().map(|l| l.number.clone());
        self.emit_for(
            actor,
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
        app_id: Option<&str>,
        label_no: Option<&str>,
        reason: Option<&str>,
        payload: Payload,
    ) -> Result<()> {
        require_named(actor)?;
        let ev = self
            .tx
            .append(NewEvent {
                at: self.at,
                actor,
                kind: payload.kind(),
                application_id: app_id,
                label_number: label_no,
                reason,
                payload: payload.to_json()?,
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
    if let Some(d) = s.requested_valid_until {
        check_date("requested_valid_until", d)?;
    }
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

/// What a refused application keeps of its checklist: the digest and size of
/// its JSON, not the body.
fn checklist_digest(checklist: &serde_json::Value) -> serde_json::Value {
    let text = serde_json::to_string(checklist).unwrap_or_default();
    serde_json::json!({
        "sha256": crate::chain::sha256_hex(text.as_bytes()),
        "bytes": text.len(),
        "kept": false,
    })
}

fn bounded_problems(problems: &[String]) -> Vec<String> {
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

pub(crate) async fn submit_application(
    reg: &Registry,
    actor: &Actor,
    mut s: ApplicationSubmission,
) -> Result<Application> {
    s.org = s.org.trim().to_string();
    authorize(actor, Action::SubmitApplication, Resource::owned_by(&s.org))?;
    require_named(actor)?;
    resolve_submission(&mut s)?;
    validate_submission(&s)?;
    let problems = checklist_problems(&s.checklist);
    let mut step = Step::begin(reg).await?;
    // The quota day is the Japan calendar day (UTC+9).
    let since = reg.today().and_time(chrono::NaiveTime::MIN).and_utc() - chrono::Duration::hours(9);
    let (submitted, refused) = step.tx.submissions_since(&s.org, since).await?;
    if submitted >= SUBMISSIONS_PER_ORG_PER_DAY {
        return Err(Error::refused(
            format!("organisation {}", s.org),
            "over its daily quota",
            format!(
                "at most {SUBMISSIONS_PER_ORG_PER_DAY} applications per organisation and day are accepted; try again tomorrow"
            ),
        ));
    }
    if !problems.is_empty() && refused >= REFUSED_PER_ORG_PER_DAY {
        return Err(Error::refused(
            format!("organisation {}", s.org),
            "over its daily quota of refused applications",
            format!(
                "the checklist failed the format check ({}), and {REFUSED_PER_ORG_PER_DAY} refused applications a day are recorded at most; check it with `jcstar checklist validate FILE` before applying again",
                bounded_problems(&problems)
                    .into_iter()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join("; ")
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

fn refuse_app(app: &Application, reason: impl Into<String>) -> Error {
    Error::refused(app_subject(&app.id), app.status, reason)
}

/// Load an application for `actor`: one the actor may not read answers
/// exactly as one that does not exist, so ids reveal nothing.
async fn app_step<'a>(
    reg: &'a Registry,
    actor: &Actor,
    id: &str,
    action: Action,
) -> Result<(Step<'a>, Application)> {
    let id = id.trim();
    if actor.role == Role::Public {
        // Refused before looking: the answer must not depend on the id.
        authorize(actor, action, Resource::none())?;
    }
    let step = Step::begin(reg).await?.with_app(id).await?;
    let app = step.app()?.clone();
    if authorize(actor, Action::ReadApplication, Resource::application(&app)).is_err() {
        return Err(Error::NotFound {
            what: "application",
            id: id.to_string(),
        });
    }
    authorize(actor, action, Resource::application(&app))?;
    Ok((step, app))
}

pub(crate) async fn request_inquiry(
    reg: &Registry,
    actor: &Actor,
    id: &str,
    reference: &str,
) -> Result<Application> {
    required("reference", reference)?;
    let (mut step, _) = app_step(reg, actor, id, Action::RecordInquiry).await?;
    step.allow(EventKind::InquiryRequested)?;
    step.emit(
        actor,
        None,
        Payload::InquiryRequested(Reference {
            reference: reference.trim().to_string(),
        }),
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
    let (mut step, _) = app_step(reg, actor, id, Action::RecordInquiry).await?;
    step.allow(EventKind::InquiryAnswered)?;
    step.emit(
        actor,
        None,
        Payload::InquiryAnswered(Answer {
            outcome,
            reference: reference.trim().to_string(),
        }),
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
                "the supply-chain inquiry raised a concern; accepting needs a reason",
            ));
        }
        if let Some(why) = evidence_refusal(&app) {
            return Err(refuse_app(&app, why));
        }
        step.emit(actor, reason, Payload::ApplicationAccepted)
            .await?;
    } else {
        let Some(reason) = reason else {
            return Err(Error::invalid("reason", "a rejection needs a reason"));
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
            format!("the fee must be a positive amount of yen, at most {MAX_FEE_YEN}"),
        ));
    }
    check_date("paid_on", fee.paid_on)?;
    let (mut step, _) = app_step(reg, actor, id, Action::RecordFee).await?;
    step.allow(EventKind::FeePaid)?;
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
            format!(
                "{} is self-declared; evaluation bodies are for ★3 and ★4",
                app.level
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
            "the SHA-256 of the report file as 64 hexadecimal digits",
        ));
    }
    match report.level {
        Some(l) if l.needs_evaluation() => {}
        _ => {
            return Err(Error::invalid(
                "level",
                "the level the evaluation covered: 3 or 4",
            ));
        }
    }
    let (mut step, app) = app_step(reg, actor, id, Action::AttachEvaluationReport).await?;
    if !app.level.needs_evaluation() {
        return Err(refuse_app(
            &app,
            format!(
                "{} is self-declared and takes no evaluation report",
                app.level
            ),
        ));
    }
    if app.evaluation_body.is_none() {
        return Err(refuse_app(
            &app,
            "no evaluation body is assigned yet; the operator assigns one first",
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
        Some(&app.id),
        Some(&number),
        None,
        Payload::LabelIssued(Box::new(Issued { label })),
    )
    .await?;
    step.finish_label().await
}

pub(crate) async fn application(reg: &Registry, actor: &Actor, id: &str) -> Result<Application> {
    let not_found = || Error::NotFound {
        what: "application",
        id: id.trim().to_string(),
    };
    if actor.role == Role::Public {
        authorize(actor, Action::ReadApplication, Resource::none())?;
    }
    let app = reg
        .inner
        .store
        .load_application(id.trim())
        .await?
        .ok_or_else(not_found)?;
    // Another organisation's application answers as a missing one.
    authorize(actor, Action::ReadApplication, Resource::application(&app))
        .map_err(|_| not_found())?;
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
    if let Some(d) = valid_until {
        check_date("valid_until", d)?;
    }
    let (mut step, now) = label_step(reg, actor, number, Action::ExtendLabel).await?;
    if now.status == LabelStatus::Expired {
        return Err(refuse_label(
            &now,
            format!(
                "the validity ended on {}; an expired label needs a new application",
                now.valid_until
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
    let (mut step, _) = label_step(reg, actor, number, Action::WithdrawLabel).await?;
    step.allow(EventKind::LabelWithdrawn)?;
    step.emit(actor, Some(reason.trim()), Payload::LabelWithdrawn)
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
    check_date("correction_deadline", order.correction_deadline)?;
    let (mut step, _) = label_step(reg, actor, number, Action::Surveillance).await?;
    step.allow(EventKind::SurveillanceOpened)?;
    let today = reg.today();
    if order.correction_deadline < today {
        return Err(Error::invalid(
            "correction_deadline",
            format!("the deadline must be today ({today}) or later"),
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
    let (mut step, _) = label_step(reg, actor, number, Action::Surveillance).await?;
    step.allow(EventKind::SurveillanceCleared)?;
    step.emit(actor, Some(reason.trim()), Payload::SurveillanceCleared)
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
    step.allow(EventKind::LabelRevoked)?;
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
        _ => {
            if override_reason.is_none() {
                return Err(refuse_label(
                    &now,
                    "revocation follows surveillance: open surveillance first, or give an override reason",
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
            return Err(Error::invalid(field, "at most 100 entries per change"));
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
            "name at least one model number or firmware version to add",
        ));
    }
    let (mut step, now) = label_step(reg, actor, number, Action::ExtendLabel).await?;
    step.allow(EventKind::LabelChanged)?;
    let new_application = "a security-relevant change is not a label change: the label lapses (withdraw it) and the changed product needs a new application (`jcstar registry apply --checklist FILE` with a re-assessed checklist)";
    if change.security_relevant {
        return Err(refuse_label(&now, new_application));
    }
    let index = match change.product.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => now
            .products
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| {
                Error::invalid(
                    "product",
                    format!(
                        "the label covers no product {name:?}; it covers {}",
                        now.products
                            .iter()
                            .map(|p| format!("{:?}", p.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?,
        _ if now.products.len() == 1 => 0,
        _ => {
            return Err(Error::invalid(
                "product",
                "the label covers several products: name the one changed",
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
            format!("{m:?} is already covered by the label"),
        ));
    }
    if let Some(v) = versions
        .iter()
        .find(|v| product.firmware_versions.contains(v))
    {
        return Err(Error::invalid(
            "add_firmware_versions",
            format!("{v:?} is already covered by the label"),
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
            format!(
                "firmware {v:?} starts a new major version line (covered: {}); {new_application}",
                product.firmware_versions.join(", ")
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
    entry: UpdateEntry,
) -> Result<Label> {
    required("version", &entry.version)?;
    optional("notes", &entry.notes)?;
    check_date("released_on", entry.released_on)?;
    let (mut step, _) = label_step(reg, actor, number, Action::EditSecurityInfo).await?;
    step.allow(EventKind::UpdatePublished)?;
    step.emit(actor, None, Payload::UpdatePublished(entry))
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
    step.allow(EventKind::VulnerabilityRecorded)?;
    step.emit(actor, None, Payload::VulnerabilityRecorded(entry))
        .await?;
    step.finish_label().await
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
    let (mut step, _) = label_step(reg, actor, number, Action::EditSecurityInfo).await?;
    step.allow(EventKind::SupportEndSet)?;
    step.emit(
        actor,
        None,
        Payload::SupportEndSet(SupportEnd { support_end }),
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
    step.allow(EventKind::DisclosureContactSet)?;
    step.emit(
        actor,
        None,
        Payload::DisclosureContactSet(Contact {
            disclosure_contact: contact.trim().to_string(),
        }),
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
            EventKind::LabelIssued => serde_json::json!({
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

/// Replay the whole log in memory and compare the result with the
/// materialised tables, naming every row and column that differs.
pub(crate) async fn verify_state(reg: &Registry) -> Result<StateReport> {
    use std::collections::BTreeMap;
    let store = &reg.inner.store;
    let mut apps: BTreeMap<String, Application> = BTreeMap::new();
    let mut labels: BTreeMap<String, Label> = BTreeMap::new();
    let mut after = 0i64;
    loop {
        let events = store.events_after(after, 2000).await?;
        let Some(last) = events.last() else { break };
        after = last.seq;
        for ev in &events {
            let app = ev
                .application_id
                .as_ref()
                .and_then(|id| apps.get(id).cloned());
            let label = match &ev.label_number {
                Some(n) if ev.kind != EventKind::LabelIssued => labels.get(n).cloned(),
                _ => None,
            };
            let (app, label) = apply(ev, app, label)?;
            if let Some(a) = app {
                apps.insert(a.id.clone(), a);
            }
            if let Some(l) = label {
                labels.insert(l.number.clone(), l);
            }
        }
    }
    let mut differences = Vec::new();
    let mut compare = |table: StateTable,
                       expected: BTreeMap<String, RowText>,
                       stored: BTreeMap<String, RowText>| {
        let name = table.name().to_string();
        for (key, want) in &expected {
            let Some(have) = stored.get(key) else {
                differences.push(StateDifference {
                    table: name.clone(),
                    key: key.clone(),
                    problem: "missing: the log has this row, the table does not".into(),
                });
                continue;
            };
            for ((column, w), (_, h)) in want.iter().zip(have.iter()) {
                let short = |t: &str| -> String {
                    let c: String = t.chars().take(120).collect();
                    if c.len() < t.len() {
                        format!("{c}…")
                    } else {
                        c
                    }
                };
                if column != "data" {
                    if w != h {
                        differences.push(StateDifference {
                            table: name.clone(),
                            key: key.clone(),
                            problem: format!(
                                "{column} is {:?} but the log gives {:?}",
                                short(h),
                                short(w)
                            ),
                        });
                    }
                    continue;
                }
                // The stored document: name the fields that differ.
                let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).ok();
                match (parse(w), parse(h)) {
                    (Some(wv), Some(hv)) if wv == hv => {}
                    (Some(serde_json::Value::Object(wo)), Some(serde_json::Value::Object(ho))) => {
                        let mut fields: Vec<&String> = wo.keys().chain(ho.keys()).collect();
                        fields.sort();
                        fields.dedup();
                        for f in fields.into_iter().filter(|f| wo.get(*f) != ho.get(*f)) {
                            let show = |v: Option<&serde_json::Value>| {
                                short(&v.map(|v| v.to_string()).unwrap_or_else(|| "absent".into()))
                            };
                            differences.push(StateDifference {
                                table: name.clone(),
                                key: key.clone(),
                                problem: format!(
                                    "data.{f} is {} but the log gives {}",
                                    show(ho.get(f)),
                                    show(wo.get(f))
                                ),
                            });
                        }
                    }
                    _ => differences.push(StateDifference {
                        table: name.clone(),
                        key: key.clone(),
                        problem: format!("data is {:?} but the log gives {:?}", short(h), short(w)),
                    }),
                }
            }
        }
        for key in stored.keys().filter(|k| !expected.contains_key(*k)) {
            differences.push(StateDifference {
                table: name.clone(),
                key: key.clone(),
                problem: "extra: the table has this row, the log does not".into(),
            });
        }
    };
    let want_apps = apps
        .values()
        .map(|a| Ok((a.id.clone(), expected_application_row(a)?)))
        .collect::<Result<BTreeMap<_, _>>>()?;
    let want_labels = labels
        .values()
        .map(|l| Ok((l.number.clone(), expected_label_row(l)?)))
        .collect::<Result<BTreeMap<_, _>>>()?;
    compare(
        StateTable::Applications,
        want_apps,
        store.stored_rows(StateTable::Applications).await?,
    );
    compare(
        StateTable::Labels,
        want_labels,
        store.stored_rows(StateTable::Labels).await?,
    );
    Ok(StateReport {
        events: after,
        applications: apps.len() as i64,
        labels: labels.len() as i64,
        differences,
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
                if let Some(n) = application_seq(&app.id) {
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
    for (k, (vendor, mut s)) in subs.into_iter().enumerate() {
        authorize(
            &vendor,
            Action::SubmitApplication,
            Resource::owned_by(&s.org),
        )?;
        require_named(&vendor)?;
        resolve_submission(&mut s)?;
        validate_submission(&s)?;
        let problems = checklist_problems(&s.checklist);
        if !problems.is_empty() {
            return Err(Error::invalid("checklist", problems.join("; ")));
        }
        let level = s.level.unwrap_or(Level::Star1);
        let n = first_app + k as i64;
        let id = format!("APP-{n:06}-{}", random_suffix()?);
        let seq = first_label + k as i64;
        let number = RegistrationNumber::new(level, year, seq as u64).to_string();
        let draft = Application {
            id: id.clone(),
            org: s.org.clone(),
            level,
            applicant: s.applicant.clone(),
            products: Vec::new(),
            disclosure_contact: String::new(),
            checklist: s.checklist.clone(),
            requested_valid_until: None,
            status: ApplicationStatus::Submitted,
            submitted_at: at,
            format_problems: Vec::new(),
            inquiry: None,
            decision: None,
            fee: None,
            evaluation_body: None,
            evaluation_report: None,
            label_number: None,
        };
        if let Some(why) = evidence_refusal(&draft) {
            return Err(Error::invalid("level", why));
        }
        let steps: [(&Actor, Payload); 6] = [
            (
                &vendor,
                Payload::ApplicationSubmitted(Box::new(Submitted { submission: s })),
            ),
            (&vendor, Payload::FormatCheckPassed),
            (
                operator,
                Payload::InquiryRequested(Reference {
                    reference: format!("SCI-{n:06}"),
                }),
            ),
            (
                operator,
                Payload::InquiryAnswered(Answer {
                    outcome: InquiryOutcome::Clear,
                    reference: format!("SCA-{n:06}"),
                }),
            ),
            (operator, Payload::ApplicationAccepted),
            (
                operator,
                Payload::FeePaid(Fee {
                    amount_yen: 15_000,
                    paid_on: today,
                    reference: format!("INV-{n:06}"),
                }),
            ),
        ];
        let mut app: Option<Application> = None;
        let mut label: Option<Label> = None;
        for (actor, payload) in steps {
            let ev = tx
                .append(NewEvent {
                    at,
                    actor,
                    kind: payload.kind(),
                    application_id: Some(&id),
                    label_number: None,
                    reason: None,
                    payload: payload.to_json()?,
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
                payload: Payload::LabelIssued(Box::new(Issued { label: issued })).to_json()?,
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

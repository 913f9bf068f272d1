//! Events and state: the typed payload of every event kind, the transition
//! table that decides which event is legal in which state, and `apply`, the
//! one function that turns events into state (used live, by rebuild and by
//! verification).
//!
//! The payload types serialise to exactly the JSON the registry has always
//! stored (a test replays a log written before they existed and compares the
//! bytes), so a payload type may gain a field only as an optional one that is
//! left out when absent.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Error, Msg, Result, t};
use crate::model::*;

// ---- payload types --------------------------------------------------------------

/// Payload of `application_submitted`: the submission as completed from the checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submitted {
    /// The submission with every field filled in.
    pub submission: ApplicationSubmission,
}

/// Payload of `format_check_failed`: what the automatic check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Problems {
    /// The problems, one message each.
    pub problems: Vec<String>,
}

/// Payload of `inquiry_requested`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// The operator's reference for the inquiry.
    pub reference: String,
}

/// Payload of `inquiry_answered`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// What the answer found.
    pub outcome: InquiryOutcome,
    /// The reference of the answer.
    pub reference: String,
}

/// Payload of `evaluation_body_assigned`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyAssigned {
    /// Organisation of the evaluation body assigned.
    pub evaluation_body: String,
}

/// Payload of `label_issued`: the label as issued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issued {
    /// The label at issuance.
    pub label: Label,
}

/// Payload of `label_extended`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extended {
    /// The validity end before the extension.
    pub previous_valid_until: NaiveDate,
    /// The new validity end.
    pub valid_until: NaiveDate,
    /// The vendor's renewed self-declaration.
    pub declaration: String,
}

/// Payload of `label_revoked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revoked {
    /// Why revocation went ahead outside the usual course (before the correction deadline, or
    /// without surveillance).
    pub override_reason: Option<String>,
}

/// Payload of `support_end_set`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportEnd {
    /// Last day of security support; `None` for no date.
    pub support_end: Option<NaiveDate>,
}

/// Payload of `disclosure_contact_set`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Where to report vulnerabilities from now on.
    pub disclosure_contact: String,
}

/// Model numbers and firmware versions added to one product of a label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Changed {
    /// Index of the product in the label's product list.
    pub product: usize,
    /// Model numbers added to the product.
    pub added_model_numbers: Vec<String>,
    /// Firmware versions added to the product.
    pub added_firmware_versions: Vec<String>,
}

/// Kinds whose payload is the empty object `{}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// Every event's payload, one variant per [`EventKind`].
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// The vendor's submission, completed from its checklist.
    ApplicationSubmitted(Box<Submitted>),
    /// The checklist passed the automatic format check.
    FormatCheckPassed,
    /// The checklist failed the format check, with the problems found.
    FormatCheckFailed(Problems),
    /// The operator sent the supply-chain inquiry.
    InquiryRequested(Reference),
    /// The supply-chain inquiry was answered.
    InquiryAnswered(Answer),
    /// The operator accepted the application (the reason, if any, is on the event).
    ApplicationAccepted,
    /// The operator rejected the application (the reason is on the event).
    ApplicationRejected,
    /// The fee was paid.
    FeePaid(Fee),
    /// An evaluation body was assigned (★3/★4).
    EvaluationBodyAssigned(BodyAssigned),
    /// The evaluation body attached its report (★3/★4).
    EvaluationReportAttached(EvaluationReport),
    /// The label was issued.
    LabelIssued(Box<Issued>),
    /// The label's validity was extended.
    LabelExtended(Extended),
    /// The label was withdrawn (the reason is on the event).
    LabelWithdrawn,
    /// The operator opened surveillance.
    SurveillanceOpened(SurveillanceOrder),
    /// The operator closed surveillance (the reason is on the event).
    SurveillanceCleared,
    /// The operator revoked the label.
    LabelRevoked(Revoked),
    /// A software update was published.
    UpdatePublished(UpdateEntry),
    /// A vulnerability entry was recorded or replaced.
    VulnerabilityRecorded(VulnerabilityEntry),
    /// The end of security support was set.
    SupportEndSet(SupportEnd),
    /// The vulnerability disclosure contact was set.
    DisclosureContactSet(Contact),
    /// Model numbers or firmware versions were added under the same declaration.
    LabelChanged(Changed),
    /// An SBOM was attached to a firmware version.
    SbomAttached(crate::secinfo::SbomRef),
    /// A VEX document was published.
    VexPublished(crate::secinfo::VexRef),
    /// The watch found a vulnerability in the label's latest SBOM.
    VulnerabilityFound(crate::watch::Finding),
    /// The watch ran.
    WatchRun(crate::watch::WatchRun),
    /// A CSAF advisory was published.
    CsafPublished(crate::csaf::CsafRef),
}

fn to_json<T: Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| Error::Corrupt(format!("payload: {e}")))
}

impl Payload {
    /// The event kind this payload belongs to.
    pub fn kind(&self) -> EventKind {
        use Payload as P;
        match self {
            P::ApplicationSubmitted(_) => EventKind::ApplicationSubmitted,
            P::FormatCheckPassed => EventKind::FormatCheckPassed,
            P::FormatCheckFailed(_) => EventKind::FormatCheckFailed,
            P::InquiryRequested(_) => EventKind::InquiryRequested,
            P::InquiryAnswered(_) => EventKind::InquiryAnswered,
            P::ApplicationAccepted => EventKind::ApplicationAccepted,
            P::ApplicationRejected => EventKind::ApplicationRejected,
            P::FeePaid(_) => EventKind::FeePaid,
            P::EvaluationBodyAssigned(_) => EventKind::EvaluationBodyAssigned,
            P::EvaluationReportAttached(_) => EventKind::EvaluationReportAttached,
            P::LabelIssued(_) => EventKind::LabelIssued,
            P::LabelExtended(_) => EventKind::LabelExtended,
            P::LabelWithdrawn => EventKind::LabelWithdrawn,
            P::SurveillanceOpened(_) => EventKind::SurveillanceOpened,
            P::SurveillanceCleared => EventKind::SurveillanceCleared,
            P::LabelRevoked(_) => EventKind::LabelRevoked,
            P::UpdatePublished(_) => EventKind::UpdatePublished,
            P::VulnerabilityRecorded(_) => EventKind::VulnerabilityRecorded,
            P::SupportEndSet(_) => EventKind::SupportEndSet,
            P::DisclosureContactSet(_) => EventKind::DisclosureContactSet,
            P::LabelChanged(_) => EventKind::LabelChanged,
            P::SbomAttached(_) => EventKind::SbomAttached,
            P::VexPublished(_) => EventKind::VexPublished,
            P::VulnerabilityFound(_) => EventKind::VulnerabilityFound,
            P::WatchRun(_) => EventKind::WatchRun,
            P::CsafPublished(_) => EventKind::CsafPublished,
        }
    }

    /// The JSON stored in the event log.
    pub fn to_json(&self) -> Result<serde_json::Value> {
        use Payload as P;
        match self {
            P::ApplicationSubmitted(p) => to_json(p),
            P::FormatCheckPassed
            | P::ApplicationAccepted
            | P::ApplicationRejected
            | P::LabelWithdrawn
            | P::SurveillanceCleared => Ok(json!({})),
            P::FormatCheckFailed(p) => to_json(p),
            P::InquiryRequested(p) => to_json(p),
            P::InquiryAnswered(p) => to_json(p),
            P::FeePaid(p) => to_json(p),
            P::EvaluationBodyAssigned(p) => to_json(p),
            P::EvaluationReportAttached(p) => to_json(p),
            P::LabelIssued(p) => to_json(p),
            P::LabelExtended(p) => to_json(p),
            P::SurveillanceOpened(p) => to_json(p),
            P::LabelRevoked(p) => to_json(p),
            P::UpdatePublished(p) => to_json(p),
            P::VulnerabilityRecorded(p) => to_json(p),
            P::SupportEndSet(p) => to_json(p),
            P::DisclosureContactSet(p) => to_json(p),
            P::LabelChanged(p) => to_json(p),
            P::SbomAttached(p) => to_json(p),
            P::VexPublished(p) => to_json(p),
            P::VulnerabilityFound(p) => to_json(p),
            P::WatchRun(p) => to_json(p),
            P::CsafPublished(p) => to_json(p),
        }
    }

    /// Decode a stored payload of `kind`.
    pub fn from_json(kind: EventKind, v: &serde_json::Value) -> Result<Payload> {
        fn de<T: for<'de> Deserialize<'de>>(kind: EventKind, v: &serde_json::Value) -> Result<T> {
            T::deserialize(v).map_err(|e| Error::Corrupt(format!("{kind} payload: {e}")))
        }
        use EventKind as K;
        use Payload as P;
        Ok(match kind {
            K::ApplicationSubmitted => P::ApplicationSubmitted(Box::new(de(kind, v)?)),
            K::FormatCheckPassed => {
                de::<Empty>(kind, v)?;
                P::FormatCheckPassed
            }
            K::FormatCheckFailed => P::FormatCheckFailed(de(kind, v)?),
            K::InquiryRequested => P::InquiryRequested(de(kind, v)?),
            K::InquiryAnswered => P::InquiryAnswered(de(kind, v)?),
            K::ApplicationAccepted => {
                de::<Empty>(kind, v)?;
                P::ApplicationAccepted
            }
            K::ApplicationRejected => {
                de::<Empty>(kind, v)?;
                P::ApplicationRejected
            }
            K::FeePaid => P::FeePaid(de(kind, v)?),
            K::EvaluationBodyAssigned => P::EvaluationBodyAssigned(de(kind, v)?),
            K::EvaluationReportAttached => P::EvaluationReportAttached(de(kind, v)?),
            K::LabelIssued => P::LabelIssued(Box::new(de(kind, v)?)),
            K::LabelExtended => P::LabelExtended(de(kind, v)?),
            K::LabelWithdrawn => {
                de::<Empty>(kind, v)?;
                P::LabelWithdrawn
            }
            K::SurveillanceOpened => P::SurveillanceOpened(de(kind, v)?),
            K::SurveillanceCleared => {
                de::<Empty>(kind, v)?;
                P::SurveillanceCleared
            }
            K::LabelRevoked => P::LabelRevoked(de(kind, v)?),
            K::UpdatePublished => P::UpdatePublished(de(kind, v)?),
            K::VulnerabilityRecorded => P::VulnerabilityRecorded(de(kind, v)?),
            K::SupportEndSet => P::SupportEndSet(de(kind, v)?),
            K::DisclosureContactSet => P::DisclosureContactSet(de(kind, v)?),
            K::LabelChanged => P::LabelChanged(de(kind, v)?),
            K::SbomAttached => P::SbomAttached(de(kind, v)?),
            K::VexPublished => P::VexPublished(de(kind, v)?),
            K::VulnerabilityFound => P::VulnerabilityFound(de(kind, v)?),
            K::WatchRun => P::WatchRun(de(kind, v)?),
            K::CsafPublished => P::CsafPublished(de(kind, v)?),
        })
    }
}

/// Decode and re-encode a stored payload: the bytes must come back the same.
/// Used by tests that replay logs written by earlier versions.
pub fn reencode(kind: EventKind, stored: &str) -> Result<String> {
    let v: serde_json::Value =
        serde_json::from_str(stored).map_err(|e| Error::Corrupt(format!("payload: {e}")))?;
    let p = Payload::from_json(kind, &v)?;
    serde_json::to_string(&p.to_json()?).map_err(|e| Error::Corrupt(format!("payload: {e}")))
}

// ---- the transition table -------------------------------------------------------

/// Where the subject of an event stands before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Before {
    /// No application or label yet.
    Nothing,
    App(ApplicationStatus),
    /// A label: its recorded status and its status as of today.
    Label {
        recorded: LabelStatus,
        today: LabelStatus,
    },
}

/// Whether `kind` may follow `before`; the refusal names what is needed.
/// Commands check their own further conditions (deadlines, reasons,
/// evidence) after this.
pub(crate) fn transition(kind: EventKind, before: Before) -> std::result::Result<(), Msg> {
    use ApplicationStatus as A;
    use EventKind as K;
    use LabelStatus as L;
    let awaiting_decision =
        |s: A| matches!(s, A::Submitted | A::InquiryRequested | A::InquiryAnswered);
    let ok = match (kind, before) {
        (K::ApplicationSubmitted, Before::Nothing) => return Ok(()),
        (K::ApplicationSubmitted, _) => {
            return Err(t(
                "申請は一度だけ提出されます",
                "an application is submitted once",
            ));
        }
        (K::FormatCheckPassed | K::FormatCheckFailed, Before::App(s)) => s == A::Submitted,
        (K::InquiryRequested, Before::App(s)) => {
            if s != A::Submitted {
                return Err(t(
                    "サプライチェーンの照会は形式確認に合格した直後に依頼します",
                    "the supply-chain inquiry is requested right after a passed format check",
                ));
            }
            true
        }
        (K::InquiryAnswered, Before::App(s)) => {
            if s != A::InquiryRequested {
                return Err(t(
                    "照会への回答には先に照会の依頼が必要です（registry inquiry request）",
                    "an inquiry answer needs a requested inquiry first (registry inquiry request)",
                ));
            }
            true
        }
        (K::ApplicationAccepted, Before::App(s)) => {
            if s != A::InquiryAnswered {
                return Err(t(
                    "受理には先にサプライチェーンの照会への回答が必要です",
                    "acceptance needs the supply-chain inquiry answered first",
                ));
            }
            true
        }
        (K::ApplicationRejected, Before::App(s)) => {
            if !awaiting_decision(s) {
                return Err(t(
                    "却下できるのは判定待ちの申請だけです",
                    "only an application awaiting its decision can be rejected",
                ));
            }
            true
        }
        (K::FeePaid, Before::App(s)) => {
            if s != A::Accepted {
                return Err(t(
                    "手数料は受理の後に記録します",
                    "the fee is recorded after acceptance",
                ));
            }
            true
        }
        (K::EvaluationBodyAssigned, Before::App(s)) => {
            if !awaiting_decision(s) {
                return Err(t(
                    "評価機関の割当ては判定の前に行います",
                    "an evaluation body is assigned before the decision",
                ));
            }
            true
        }
        (K::EvaluationReportAttached, Before::App(s)) => {
            if !awaiting_decision(s) {
                return Err(t(
                    "評価報告書の添付は判定の前に行います",
                    "the evaluation report is attached before the decision",
                ));
            }
            true
        }
        (K::LabelIssued, Before::App(s)) => match s {
            A::FeePaid => true,
            A::Accepted => {
                return Err(t(
                    "先に手数料の支払いを記録する必要があります",
                    "the fee must be recorded as paid first",
                ));
            }
            A::Issued => {
                return Err(t(
                    "この申請のラベルは発行済みです",
                    "its label was already issued",
                ));
            }
            _ => {
                return Err(t(
                    "ラベルは受理と手数料の支払いの後に発行します",
                    "a label is issued after acceptance and the fee",
                ));
            }
        },
        (K::LabelExtended, Before::Label { today, .. }) => match today {
            L::Active => true,
            L::UnderSurveillance => {
                return Err(t(
                    "調査中のラベルは、調査が終了するまで有効期限を延長できません",
                    "a label under surveillance cannot be extended until the surveillance is closed",
                ));
            }
            L::Expired => {
                return Err(t(
                    "有効期限切れのラベルには新しい申請が必要です",
                    "an expired label needs a new application",
                ));
            }
            L::Withdrawn | L::Revoked => {
                return Err(t(
                    "有効期限を延長できるのは有効なラベルだけです",
                    "only an active label can be extended",
                ));
            }
        },
        (K::LabelWithdrawn, Before::Label { recorded, today }) => {
            if recorded == L::UnderSurveillance {
                return Err(t(
                    "ラベルは調査中です。調査が終了するまで取下げはできません。制度運営者が調査を終了するか、ラベルを取り消します",
                    "the label is under surveillance: it cannot be withdrawn while the case is open; the operator closes the surveillance or revokes the label",
                ));
            }
            if today != L::Active {
                return Err(t(
                    "取り下げられるのは有効なラベルだけです",
                    "only an active label can be withdrawn",
                ));
            }
            true
        }
        (K::SurveillanceOpened, Before::Label { today, .. }) => {
            if today != L::Active {
                return Err(t(
                    "調査は有効なラベルに対して開始します",
                    "surveillance is opened on an active label",
                ));
            }
            true
        }
        (K::SurveillanceCleared, Before::Label { recorded, .. }) => {
            if recorded != L::UnderSurveillance {
                return Err(t(
                    "終了できる調査がありません",
                    "there is no open surveillance to close",
                ));
            }
            true
        }
        (K::LabelRevoked, Before::Label { recorded, today }) => {
            if recorded == L::UnderSurveillance || today == L::Active {
                true
            } else {
                return Err(t(
                    "取り消せるのは調査中のラベル（または理由を付けた有効なラベル）だけです",
                    "only a label under surveillance (or an active one, with an override reason) can be revoked",
                ));
            }
        }
        (K::LabelChanged, Before::Label { today, .. }) => {
            if today != L::Active {
                return Err(t(
                    "変更できるのは有効なラベルだけです",
                    "only an active label can be changed",
                ));
            }
            true
        }
        (
            K::UpdatePublished
            | K::VulnerabilityRecorded
            | K::SupportEndSet
            | K::DisclosureContactSet,
            Before::Label { .. },
        ) => true,
        (K::SbomAttached | K::VexPublished | K::CsafPublished, Before::Label { recorded, .. }) => {
            if matches!(recorded, L::Revoked | L::Withdrawn) {
                return Err(t(
                    "取り消し・取り下げられたラベルには文書を添付できません",
                    "nothing can be attached to a revoked or withdrawn label",
                ));
            }
            true
        }
        (K::VulnerabilityFound, Before::Label { .. }) => true,
        (K::WatchRun, Before::Nothing) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(t(
            "この手続きはこの状態には適用できません",
            "this step does not apply to it",
        ))
    }
}

// ---- the state as of a day -----------------------------------------------------

/// The end of a validity period of two years starting on `from`.
pub(crate) fn max_validity(from: NaiveDate) -> NaiveDate {
    from.checked_add_months(chrono::Months::new(12 * crate::VALIDITY_YEARS as u32))
        .unwrap_or(NaiveDate::MAX)
}

/// The label an application becomes when it is issued on `issued_on`.
pub(crate) fn new_label(
    app: &Application,
    number: String,
    issued_on: NaiveDate,
    valid_until: NaiveDate,
) -> Label {
    Label {
        number,
        application_id: app.id.clone(),
        org: app.org.clone(),
        level: app.level,
        applicant: app.applicant.clone(),
        products: app.products.clone(),
        issued_on,
        valid_until,
        status: LabelStatus::Active,
        surveillance: None,
        end_reason: None,
        security: SecurityInfo {
            disclosure_contact: app.disclosure_contact.clone(),
            ..SecurityInfo::default()
        },
    }
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

// ---- apply: events → state ------------------------------------------------------

fn need_app(ev: &Event, app: Option<Application>) -> Result<Application> {
    app.ok_or_else(|| {
        Error::Corrupt(format!(
            "event {} ({}) refers to application {:?} that does not exist",
            ev.seq, ev.kind, ev.application_id
        ))
    })
}

pub(crate) fn need_label(ev: &Event, label: Option<Label>) -> Result<Label> {
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
    let payload = Payload::from_json(ev.kind, &ev.payload)
        .map_err(|e| Error::Corrupt(format!("event {}: {e}", ev.seq)))?;
    use Payload as P;
    Ok(match payload {
        P::ApplicationSubmitted(p) => {
            let id = ev
                .application_id
                .clone()
                .ok_or_else(|| Error::Corrupt(format!("event {}: no application id", ev.seq)))?;
            let s = p.submission;
            let app = Application {
                id,
                org: s.org,
                level: s.level.unwrap_or(Level::Star1),
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
        P::FormatCheckPassed => (Some(need_app(ev, app)?), label),
        P::FormatCheckFailed(p) => {
            let mut app = need_app(ev, app)?;
            app.status = ApplicationStatus::FormatRefused;
            app.format_problems = p.problems;
            (Some(app), label)
        }
        P::InquiryRequested(p) => {
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
        P::InquiryAnswered(p) => {
            let mut app = need_app(ev, app)?;
            app.status = ApplicationStatus::InquiryAnswered;
            if let Some(i) = app.inquiry.as_mut() {
                i.answered_at = Some(ev.at);
                i.outcome = Some(p.outcome);
                i.answer_reference = Some(p.reference);
            }
            (Some(app), label)
        }
        P::ApplicationAccepted | P::ApplicationRejected => {
            let mut app = need_app(ev, app)?;
            let accepted = ev.kind == EventKind::ApplicationAccepted;
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
        P::FeePaid(fee) => {
            let mut app = need_app(ev, app)?;
            app.status = ApplicationStatus::FeePaid;
            app.fee = Some(fee);
            (Some(app), label)
        }
        P::EvaluationBodyAssigned(p) => {
            let mut app = need_app(ev, app)?;
            app.evaluation_body = Some(p.evaluation_body);
            app.evaluation_report = None;
            (Some(app), label)
        }
        P::EvaluationReportAttached(r) => {
            let mut app = need_app(ev, app)?;
            app.evaluation_report = Some(r);
            (Some(app), label)
        }
        P::LabelIssued(p) => {
            let mut app = need_app(ev, app)?;
            app.status = ApplicationStatus::Issued;
            app.label_number = Some(p.label.number.clone());
            (Some(app), Some(p.label))
        }
        P::LabelExtended(p) => {
            let mut l = need_label(ev, label)?;
            l.valid_until = p.valid_until;
            (app, Some(l))
        }
        P::LabelWithdrawn => {
            let mut l = need_label(ev, label)?;
            l.status = LabelStatus::Withdrawn;
            l.surveillance = None;
            l.end_reason = ev.reason.clone();
            (app, Some(l))
        }
        P::SurveillanceOpened(o) => {
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
        P::SurveillanceCleared => {
            let mut l = need_label(ev, label)?;
            l.status = LabelStatus::Active;
            l.surveillance = None;
            (app, Some(l))
        }
        P::LabelRevoked(_) => {
            let mut l = need_label(ev, label)?;
            l.status = LabelStatus::Revoked;
            l.surveillance = None;
            l.end_reason = ev.reason.clone();
            (app, Some(l))
        }
        P::UpdatePublished(u) => {
            let mut l = need_label(ev, label)?;
            l.security.updates.push(u);
            (app, Some(l))
        }
        P::VulnerabilityRecorded(v) => {
            let mut l = need_label(ev, label)?;
            match l.security.vulnerabilities.iter_mut().find(|x| x.id == v.id) {
                Some(slot) => *slot = v,
                None => l.security.vulnerabilities.push(v),
            }
            (app, Some(l))
        }
        P::SupportEndSet(p) => {
            let mut l = need_label(ev, label)?;
            l.security.support_end = p.support_end;
            (app, Some(l))
        }
        P::DisclosureContactSet(p) => {
            let mut l = need_label(ev, label)?;
            l.security.disclosure_contact = p.disclosure_contact;
            (app, Some(l))
        }
        P::SbomAttached(r) => {
            let mut l = need_label(ev, label)?;
            l.security.sboms.push(r);
            (app, Some(l))
        }
        P::VexPublished(r) => {
            let mut l = need_label(ev, label)?;
            l.security.vex.push(r);
            (app, Some(l))
        }
        P::VulnerabilityFound(f) => {
            let mut l = need_label(ev, label)?;
            l.security.findings.push(f);
            (app, Some(l))
        }
        P::WatchRun(_) => (app, label),
        P::CsafPublished(r) => {
            let mut l = need_label(ev, label)?;
            l.security.advisories.push(r);
            (app, Some(l))
        }
        P::LabelChanged(c) => {
            let mut l = need_label(ev, label)?;
            let product = l.products.get_mut(c.product).ok_or_else(|| {
                Error::Corrupt(format!(
                    "event {}: label {} has no product {}",
                    ev.seq, l.number, c.product
                ))
            })?;
            product.model_numbers.extend(c.added_model_numbers);
            product.firmware_versions.extend(c.added_firmware_versions);
            (app, Some(l))
        }
    })
}

//! The registry's public data types: who acts, what they submit, and the
//! derived state of applications and labels.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The ★ level of a label. Serialised as the number 1 to 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// ★1: self-declared against the ★1 criteria.
    Star1,
    /// ★2: self-declared.
    Star2,
    /// ★3: certified on an evaluation body's report.
    Star3,
    /// ★4: certified on an evaluation body's report.
    Star4,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 4] = [Level::Star1, Level::Star2, Level::Star3, Level::Star4];

    /// 1 to 4.
    pub fn number(self) -> u8 {
        match self {
            Level::Star1 => 1,
            Level::Star2 => 2,
            Level::Star3 => 3,
            Level::Star4 => 4,
        }
    }

    /// The level for 1 to 4.
    pub fn from_number(n: u8) -> Option<Level> {
        match n {
            1 => Some(Level::Star1),
            2 => Some(Level::Star2),
            3 => Some(Level::Star3),
            4 => Some(Level::Star4),
            _ => None,
        }
    }

    /// ★3 and ★4 are certified by the operator on an evaluation body's report;
    /// ★1 and ★2 are self-declared.
    pub fn needs_evaluation(self) -> bool {
        matches!(self, Level::Star3 | Level::Star4)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "★{}", self.number())
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    /// Accepts `1`, `★1`, `star1` (any case).
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        let digits = t
            .strip_prefix('★')
            .or_else(|| t.strip_prefix("star"))
            .unwrap_or(&t);
        digits
            .parse::<u8>()
            .ok()
            .and_then(Level::from_number)
            .ok_or_else(|| format!("level {s:?}: expected 1, 2, 3 or 4 (or ★1 … ★4)"))
    }
}

impl Serialize for Level {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.number())
    }
}

impl<'de> Deserialize<'de> for Level {
    /// A JSON number 1 to 4. JSON does not tell `4` from `4.0` (JSON Schema
    /// calls both an integer), so an integral fraction is accepted too.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Level;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a level: 1, 2, 3 or 4")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Level, E> {
                u8::try_from(n)
                    .ok()
                    .and_then(Level::from_number)
                    .ok_or_else(|| E::custom(format!("level {n}: expected 1, 2, 3 or 4")))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Level, E> {
                match u64::try_from(n) {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(E::custom(format!("level {n}: expected 1, 2, 3 or 4"))),
                }
            }
            fn visit_f64<E: serde::de::Error>(self, x: f64) -> Result<Level, E> {
                if x.fract() == 0.0 && (1.0..=4.0).contains(&x) {
                    self.visit_u64(x as u64)
                } else {
                    Err(E::custom(format!("level {x}: expected 1, 2, 3 or 4")))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// What an authenticated caller may do (see [`crate::authorize`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Anyone, without a token: reads public data.
    Public,
    /// A product vendor: its own organisation's applications and labels.
    Vendor,
    /// An evaluation body: reports on applications assigned to it.
    EvaluationBody,
    /// The scheme operator: everything.
    Operator,
}

impl Role {
    /// Every role, least privileged first.
    pub const ALL: [Role; 4] = [
        Role::Public,
        Role::Vendor,
        Role::EvaluationBody,
        Role::Operator,
    ];

    /// The snake_case name used in tokens, events and the API (`evaluation_body`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Public => "public",
            Role::Vendor => "vendor",
            Role::EvaluationBody => "evaluation_body",
            Role::Operator => "operator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "public" => Ok(Role::Public),
            "vendor" => Ok(Role::Vendor),
            "evaluation_body" | "evaluator" => Ok(Role::EvaluationBody),
            "operator" => Ok(Role::Operator),
            _ => Err(format!(
                "role {s:?}: expected public, vendor, evaluation-body or operator"
            )),
        }
    }
}

/// Who performs an action; recorded in every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Actor {
    /// What the actor may do.
    pub role: Role,
    /// The organisation acting (empty for the public).
    pub org: String,
    /// The API token used, if any (its id, never the secret).
    pub token_id: Option<String>,
    /// The token's human-readable name, if any.
    pub token_name: Option<String>,
}

impl Actor {
    /// An unauthenticated reader.
    pub fn public() -> Self {
        Actor {
            role: Role::Public,
            org: String::new(),
            token_id: None,
            token_name: None,
        }
    }

    /// An actor without a token, e.g. the operator at the shell (`jcstar
    /// registry`), which has direct access to the database anyway.
    pub fn local(role: Role, org: impl Into<String>, name: impl Into<String>) -> Self {
        Actor {
            role,
            org: org.into(),
            token_id: None,
            token_name: Some(name.into()),
        }
    }
}

/// The applicant company as shown on the product page. In a submission an
/// empty field is filled from the checklist's basic-information sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Applicant {
    /// Company name.
    pub company: String,
    /// Postal address.
    pub address: String,
    /// General contact (e-mail address, phone or web form URL).
    pub contact: String,
}

/// One product (with all its model numbers) covered by an application/label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Product name as shown on the label's page.
    #[serde(default)]
    pub name: String,
    /// Model numbers covered (at least one).
    #[serde(default)]
    pub model_numbers: Vec<String>,
    /// Firmware/software versions covered.
    #[serde(default)]
    pub firmware_versions: Vec<String>,
    /// Product type, e.g. "network camera", "router".
    #[serde(default)]
    pub product_type: String,
}

/// What a vendor submits to apply for a label.
///
/// The checklist is the application: applicant, product, model numbers,
/// firmware versions, product type and level are read from its
/// basic-information sheet. The other fields may only fill what the sheet
/// leaves empty; a value that differs from the sheet is refused naming both.
/// As stored in the event log every field is filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationSubmission {
    /// The applying organisation (a vendor may only apply for its own).
    pub org: String,
    /// ★1/★2 follow from the checklist's catalog; ★3/★4 are asked here and
    /// need a passing evaluation report for that level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u8>, minimum = 1, maximum = 4)]
    pub level: Option<Level>,
    /// The applicant company; empty fields are filled from the checklist.
    #[serde(default)]
    pub applicant: Applicant,
    /// Products covered: empty (taken from the checklist) or the one product
    /// the checklist describes.
    #[serde(default)]
    pub products: Vec<Product>,
    /// Contact for vulnerability reports (shown on the product page).
    #[serde(default)]
    pub disclosure_contact: String,
    /// The self-assessment checklist in the checklist crate's JSON form.
    #[schema(value_type = Object)]
    pub checklist: serde_json::Value,
    /// A validity end earlier than the default 2 years, if wanted.
    #[serde(default)]
    pub requested_valid_until: Option<NaiveDate>,
}

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    /// The checklist failed the automatic format check; terminal.
    FormatRefused,
    /// Format check passed; awaiting the supply-chain inquiry.
    Submitted,
    /// Supply-chain inquiry sent, no answer yet.
    InquiryRequested,
    /// Inquiry answered (clear or concern); awaiting the decision.
    InquiryAnswered,
    /// Accepted; awaiting the fee.
    Accepted,
    /// Rejected with a reason; terminal.
    Rejected,
    /// Fee paid; ready for issuance.
    FeePaid,
    /// Label issued; terminal.
    Issued,
}

impl ApplicationStatus {
    /// The snake_case name stored and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::FormatRefused => "format_refused",
            ApplicationStatus::Submitted => "submitted",
            ApplicationStatus::InquiryRequested => "inquiry_requested",
            ApplicationStatus::InquiryAnswered => "inquiry_answered",
            ApplicationStatus::Accepted => "accepted",
            ApplicationStatus::Rejected => "rejected",
            ApplicationStatus::FeePaid => "fee_paid",
            ApplicationStatus::Issued => "issued",
        }
    }
}

impl ApplicationStatus {
    /// The status as people read it; English as `Display` spells it.
    pub fn text(self, lang: jcstar_criteria::Lang) -> &'static str {
        use ApplicationStatus::*;
        match lang {
            jcstar_criteria::Lang::En => self.as_str(),
            jcstar_criteria::Lang::Ja => match self {
                FormatRefused => "形式不備",
                Submitted => "受付（照会待ち）",
                InquiryRequested => "サプライチェーン照会中",
                InquiryAnswered => "照会回答済み（判断待ち）",
                Accepted => "受理（手数料待ち）",
                Rejected => "却下",
                FeePaid => "手数料納付済み（発行待ち）",
                Issued => "ラベル発行済み",
            },
        }
    }
}

impl fmt::Display for ApplicationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer to a supply-chain inquiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InquiryOutcome {
    /// No supply-chain concern found.
    Clear,
    /// A concern was raised; accepting the application then needs a reason.
    Concern,
}

/// The supply-chain inquiry of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Inquiry {
    /// When the operator sent the inquiry.
    pub requested_at: DateTime<Utc>,
    /// The operator's reference for the inquiry request.
    pub request_reference: String,
    /// When the answer was recorded, once it is.
    pub answered_at: Option<DateTime<Utc>>,
    /// What the answer found, once answered.
    pub outcome: Option<InquiryOutcome>,
    /// The reference of the answer, once answered.
    pub answer_reference: Option<String>,
}

/// The operator's decision on an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    /// True when accepted, false when rejected.
    pub accepted: bool,
    /// When the decision was recorded.
    pub at: DateTime<Utc>,
    /// The operator's reason (required to reject, or to accept despite a concern).
    pub reason: Option<String>,
}

/// A fee payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    /// Amount in yen (at most [`crate::MAX_FEE_YEN`]).
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub amount_yen: u64,
    /// Day the fee was paid.
    pub paid_on: NaiveDate,
    /// Payment reference (invoice or transfer id).
    pub reference: String,
}

/// The verdict of an evaluation report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The product passed the evaluation.
    Pass,
    /// The product failed the evaluation.
    Fail,
}

/// An evaluation body's report for a ★3/★4 application. The file itself stays
/// with the evaluation body; its name and digest pin what was reviewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationReport {
    /// Name of the report file.
    pub file_name: String,
    /// SHA-256 of the report file, 64 lower-case hex digits.
    pub sha256: String,
    /// The evaluation body's summary of its findings.
    pub summary: String,
    /// Whether the product passed.
    pub verdict: Verdict,
    /// The level the evaluation covered (3 or 4). Required when attaching;
    /// reports recorded before the field existed have none and support no
    /// level until attached again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u8>, minimum = 3, maximum = 4)]
    pub level: Option<Level>,
}

/// The derived state of one application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Application {
    /// `APP-<sequence>`, e.g. `APP-000042`.
    pub id: String,
    /// The applying organisation.
    pub org: String,
    /// The ★ level applied for.
    #[schema(value_type = u8, minimum = 1, maximum = 4)]
    pub level: Level,
    /// The applicant company.
    pub applicant: Applicant,
    /// The products the application covers.
    pub products: Vec<Product>,
    /// Contact for vulnerability reports, shown on the product page.
    pub disclosure_contact: String,
    /// The self-assessment checklist as submitted (the checklist crate's JSON form).
    #[schema(value_type = Object)]
    pub checklist: serde_json::Value,
    /// A validity end earlier than the default, if asked for.
    pub requested_valid_until: Option<NaiveDate>,
    /// Where the application stands.
    pub status: ApplicationStatus,
    /// When the application was submitted.
    pub submitted_at: DateTime<Utc>,
    /// Problems found by the format check (empty when it passed).
    pub format_problems: Vec<String>,
    /// The supply-chain inquiry, once requested.
    pub inquiry: Option<Inquiry>,
    /// The operator's decision, once made.
    pub decision: Option<Decision>,
    /// The fee payment, once recorded.
    pub fee: Option<Fee>,
    /// Organisation of the evaluation body assigned (★3/★4).
    pub evaluation_body: Option<String>,
    /// The evaluation report attached by the evaluation body (★3/★4).
    pub evaluation_report: Option<EvaluationReport>,
    /// The label issued from this application.
    pub label_number: Option<String>,
}

/// A label's status. `Expired` is derived from the validity end and the clock
/// when read; the others are recorded by events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LabelStatus {
    /// Valid and in good standing.
    Active,
    /// Past its validity end (derived, never recorded).
    Expired,
    /// Withdrawn at the vendor's (or the operator's) request.
    Withdrawn,
    /// Revoked by the operator.
    Revoked,
    /// A surveillance case is open on the label.
    UnderSurveillance,
}

impl LabelStatus {
    /// The status as people read it (pages, workbooks).
    pub fn text(self, lang: jcstar_criteria::Lang) -> &'static str {
        use jcstar_criteria::Lang;
        match (self, lang) {
            (LabelStatus::Active, Lang::Ja) => "有効",
            (LabelStatus::Active, Lang::En) => "Active",
            (LabelStatus::Expired, Lang::Ja) => "期限切れ",
            (LabelStatus::Expired, Lang::En) => "Expired",
            (LabelStatus::Withdrawn, Lang::Ja) => "取下げ",
            (LabelStatus::Withdrawn, Lang::En) => "Withdrawn",
            (LabelStatus::Revoked, Lang::Ja) => "取消し",
            (LabelStatus::Revoked, Lang::En) => "Revoked",
            (LabelStatus::UnderSurveillance, Lang::Ja) => "調査中",
            (LabelStatus::UnderSurveillance, Lang::En) => "Under surveillance",
        }
    }

    /// Every status, in the order lists show them.
    pub const ALL: [LabelStatus; 5] = [
        LabelStatus::Active,
        LabelStatus::Expired,
        LabelStatus::Withdrawn,
        LabelStatus::Revoked,
        LabelStatus::UnderSurveillance,
    ];

    /// The snake_case name stored and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            LabelStatus::Active => "active",
            LabelStatus::Expired => "expired",
            LabelStatus::Withdrawn => "withdrawn",
            LabelStatus::Revoked => "revoked",
            LabelStatus::UnderSurveillance => "under_surveillance",
        }
    }
}

impl fmt::Display for LabelStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for LabelStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        LabelStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == t)
            .ok_or_else(|| {
                format!(
                    "status {s:?}: expected active, expired, withdrawn, revoked or under_surveillance"
                )
            })
    }
}

/// An open or closed surveillance case on a label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Surveillance {
    /// When the operator opened the case.
    pub opened_at: DateTime<Utc>,
    /// Why the case was opened.
    pub reason: String,
    /// What evidence the vendor must present.
    pub evidence_demanded: String,
    /// Last day for the vendor's correction.
    pub correction_deadline: NaiveDate,
}

/// What the operator states when opening surveillance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveillanceOrder {
    /// Why the case is opened.
    pub reason: String,
    /// What evidence the vendor must present.
    pub evidence_demanded: String,
    /// Last day for the vendor's correction.
    pub correction_deadline: NaiveDate,
}

/// A published software update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEntry {
    /// The version released.
    pub version: String,
    /// Day of release.
    pub released_on: NaiveDate,
    /// What the update changes.
    #[serde(default)]
    pub notes: String,
    /// The vulnerabilities it fixes (CVE ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<String>,
    /// How to apply it (automatic, from the settings screen, …).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub how_to_apply: String,
}

/// The state of a known vulnerability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VulnerabilityState {
    /// Being investigated; no fix yet.
    Investigating,
    /// Fixed; `fixed_in` names the version.
    Fixed,
    /// Mitigated without a fixed version.
    Mitigated,
    /// The products are not affected.
    NotAffected,
}

/// A vulnerability entry; recording one with an existing `id` replaces the
/// shown state (the earlier states stay in the history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VulnerabilityEntry {
    /// Identifier such as `CVE-2026-12345` or `JVNVU#12345678`.
    pub id: String,
    /// Short description of the vulnerability.
    pub title: String,
    /// Where the vendor's handling stands.
    pub state: VulnerabilityState,
    /// Version with the fix (required when `state` is `fixed`).
    #[serde(default)]
    pub fixed_in: Option<String>,
    /// When the vulnerability was published or reported.
    pub published_on: NaiveDate,
    /// When this entry was last changed (set by the registry).
    #[serde(default)]
    pub updated_on: Option<NaiveDate>,
}

/// Security information published for a label's products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
pub struct SecurityInfo {
    /// Software updates published, in the order recorded.
    pub updates: Vec<UpdateEntry>,
    /// Known vulnerabilities and their state.
    pub vulnerabilities: Vec<VulnerabilityEntry>,
    /// Last day of security support, if announced.
    pub support_end: Option<NaiveDate>,
    /// Where to report vulnerabilities.
    pub disclosure_contact: String,
    /// SBOMs attached, in the order attached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sboms: Vec<crate::secinfo::SbomRef>,
    /// VEX documents published, in the order published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vex: Vec<crate::secinfo::VexRef>,
    /// Vulnerabilities the registry's watch found in the SBOMs, in the
    /// order found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::watch::Finding>,
    /// CSAF 2.0 advisories published, in the order published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advisories: Vec<crate::csaf::CsafRef>,
}

/// The derived state of one label, with its status as of the registry's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Label {
    /// The registration number (see [`crate::number`]).
    pub number: String,
    /// The application the label was issued from.
    pub application_id: String,
    /// The vendor organisation holding the label.
    pub org: String,
    /// The ★ level of the label.
    #[schema(value_type = u8, minimum = 1, maximum = 4)]
    pub level: Level,
    /// The applicant company.
    pub applicant: Applicant,
    /// The products the label covers.
    pub products: Vec<Product>,
    /// Day of issuance.
    pub issued_on: NaiveDate,
    /// Last day of validity (inclusive); from the next day on the label is
    /// Expired unless withdrawn or revoked.
    pub valid_until: NaiveDate,
    /// Status as of the registry clock at read time.
    pub status: LabelStatus,
    /// The open surveillance case, if any.
    pub surveillance: Option<Surveillance>,
    /// Reason of the withdrawal or revocation, if any.
    pub end_reason: Option<String>,
    /// Updates, vulnerabilities and support end published for the products.
    pub security: SecurityInfo,
}

/// One dated line of a label's public history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// Sequence number of the event.
    pub seq: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub kind: EventKind,
    /// The recorded status right after this event.
    pub status: LabelStatus,
    /// The reason recorded with the event, if any.
    pub reason: Option<String>,
    /// Role of whoever acted.
    pub actor_role: Role,
    /// Organisation of whoever acted.
    pub actor_org: String,
    /// Event details (dates, versions, …) for display.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Everything the public product information page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProductPage {
    /// The label and its current state.
    pub label: Label,
    /// The label's history, oldest first (application events excluded).
    pub history: Vec<HistoryEntry>,
    /// Every known vulnerability and where it stands, newest first.
    #[serde(default)]
    pub vulnerability_status: Vec<crate::secinfo::VulnStatus>,
}

/// What happened. Stored as the snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A vendor submitted an application.
    ApplicationSubmitted,
    /// The checklist passed the automatic format check.
    FormatCheckPassed,
    /// The checklist failed the automatic format check; the application is refused.
    FormatCheckFailed,
    /// The operator sent a supply-chain inquiry.
    InquiryRequested,
    /// The supply-chain inquiry was answered.
    InquiryAnswered,
    /// The operator accepted the application.
    ApplicationAccepted,
    /// The operator rejected the application.
    ApplicationRejected,
    /// The application fee was recorded as paid.
    FeePaid,
    /// The operator assigned an evaluation body (★3/★4).
    EvaluationBodyAssigned,
    /// The evaluation body attached its report (★3/★4).
    EvaluationReportAttached,
    /// The label was issued.
    LabelIssued,
    /// The label's validity was extended.
    LabelExtended,
    /// The label was withdrawn.
    LabelWithdrawn,
    /// The operator opened a surveillance case.
    SurveillanceOpened,
    /// The operator closed a surveillance case.
    SurveillanceCleared,
    /// The operator revoked the label.
    LabelRevoked,
    /// A software update was published for the label's products.
    UpdatePublished,
    /// A vulnerability entry was recorded or updated.
    VulnerabilityRecorded,
    /// The end of security support was set.
    SupportEndSet,
    /// The contact for vulnerability reports was set.
    DisclosureContactSet,
    /// Model numbers or firmware versions added under the same
    /// self-declaration (see docs/registry-rules.md).
    LabelChanged,
    /// An SBOM was attached to a firmware version of the label.
    SbomAttached,
    /// A VEX document was published for the label's products.
    VexPublished,
    /// The registry's watch found a vulnerability in the label's SBOM.
    VulnerabilityFound,
    /// The registry's watch ran over every active label.
    WatchRun,
    /// A CSAF 2.0 advisory was published for the label's products.
    CsafPublished,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 26] = [
        EventKind::ApplicationSubmitted,
        EventKind::FormatCheckPassed,
        EventKind::FormatCheckFailed,
        EventKind::InquiryRequested,
        EventKind::InquiryAnswered,
        EventKind::ApplicationAccepted,
        EventKind::ApplicationRejected,
        EventKind::FeePaid,
        EventKind::EvaluationBodyAssigned,
        EventKind::EvaluationReportAttached,
        EventKind::LabelIssued,
        EventKind::LabelExtended,
        EventKind::LabelWithdrawn,
        EventKind::SurveillanceOpened,
        EventKind::SurveillanceCleared,
        EventKind::LabelRevoked,
        EventKind::UpdatePublished,
        EventKind::VulnerabilityRecorded,
        EventKind::SupportEndSet,
        EventKind::DisclosureContactSet,
        EventKind::LabelChanged,
        EventKind::SbomAttached,
        EventKind::VexPublished,
        EventKind::VulnerabilityFound,
        EventKind::WatchRun,
        EventKind::CsafPublished,
    ];

    /// The snake_case name stored in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ApplicationSubmitted => "application_submitted",
            EventKind::FormatCheckPassed => "format_check_passed",
            EventKind::FormatCheckFailed => "format_check_failed",
            EventKind::InquiryRequested => "inquiry_requested",
            EventKind::InquiryAnswered => "inquiry_answered",
            EventKind::ApplicationAccepted => "application_accepted",
            EventKind::ApplicationRejected => "application_rejected",
            EventKind::FeePaid => "fee_paid",
            EventKind::EvaluationBodyAssigned => "evaluation_body_assigned",
            EventKind::EvaluationReportAttached => "evaluation_report_attached",
            EventKind::LabelIssued => "label_issued",
            EventKind::LabelExtended => "label_extended",
            EventKind::LabelWithdrawn => "label_withdrawn",
            EventKind::SurveillanceOpened => "surveillance_opened",
            EventKind::SurveillanceCleared => "surveillance_cleared",
            EventKind::LabelRevoked => "label_revoked",
            EventKind::UpdatePublished => "update_published",
            EventKind::VulnerabilityRecorded => "vulnerability_recorded",
            EventKind::SupportEndSet => "support_end_set",
            EventKind::DisclosureContactSet => "disclosure_contact_set",
            EventKind::LabelChanged => "label_changed",
            EventKind::SbomAttached => "sbom_attached",
            EventKind::VexPublished => "vex_published",
            EventKind::VulnerabilityFound => "vulnerability_found",
            EventKind::WatchRun => "watch_run",
            EventKind::CsafPublished => "csaf_published",
        }
    }

    /// The kind with this stored name.
    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One immutable event of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    /// 1, 2, 3, … without gaps.
    pub seq: i64,
    /// When the event was appended (registry clock).
    pub at: DateTime<Utc>,
    /// Who acted.
    pub actor: Actor,
    /// What happened.
    pub kind: EventKind,
    /// The application it concerns, if any.
    pub application_id: Option<String>,
    /// The label it concerns, if any.
    pub label_number: Option<String>,
    /// The reason given, if any.
    pub reason: Option<String>,
    /// The kind's details as JSON.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// SHA-256 (hex) of the previous event; 64 zeros for the first.
    pub prev_hash: String,
    /// SHA-256 (hex) of this event's canonical form (see [`crate::chain`]).
    pub hash: String,
}

/// Search criteria; all given criteria must match. Texts are compared after
/// one normalisation ([`crate::search::search_key`]: Unicode NFKC, so
/// full-width letters and digits are their ASCII selves, lower case, runs of
/// spaces as one); model numbers also without hyphens, spaces and dots
/// ([`crate::verify::model_key`]), so `ＮＣ－２００` and `NC200` find `NC-200`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchQuery {
    /// Matches registration number, company, product names, model numbers
    /// and product types (part of any of them).
    #[serde(default)]
    pub text: Option<String>,
    /// Part of the applicant company's name.
    #[serde(default)]
    pub company: Option<String>,
    /// Part of a product name.
    #[serde(default)]
    pub product: Option<String>,
    /// Part of a model number, or as `model_match` says.
    #[serde(default)]
    pub model: Option<String>,
    /// How `model` is compared (default: part of a model number).
    #[serde(default)]
    pub model_match: ModelMatch,
    /// Product type, e.g. "network camera" (part of it).
    #[serde(default)]
    pub product_type: Option<String>,
    /// A registration number or a prefix of one.
    #[serde(default)]
    pub number: Option<String>,
    /// Only labels of this level.
    #[serde(default)]
    pub level: Option<Level>,
    /// Only labels with this status as of today.
    #[serde(default)]
    pub status: Option<LabelStatus>,
    /// Issued on or after this date.
    #[serde(default)]
    pub issued_from: Option<NaiveDate>,
    /// Issued on or before this date.
    #[serde(default)]
    pub issued_to: Option<NaiveDate>,
    /// Valid until this date or later.
    #[serde(default)]
    pub valid_until_from: Option<NaiveDate>,
    /// Valid until this date or earlier.
    #[serde(default)]
    pub valid_until_to: Option<NaiveDate>,
    /// Rows to skip.
    #[serde(default)]
    pub offset: u64,
    /// Page size; 0 means the default (20); capped at 200.
    #[serde(default)]
    pub limit: u64,
}

/// How a model number in a search is compared with the labels' model
/// numbers (both normalised, and also without hyphens, spaces and dots).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModelMatch {
    /// Part of a model number (`NC-20` finds `NC-200` and `XNC-2000`).
    #[default]
    Contains,
    /// The beginning of a model number (`NC-20` finds `NC-200`, `NC-2000`).
    Prefix,
    /// The whole model number (`NC-200` finds `NC-200` and `nc200`, not
    /// `NC-2000`).
    Exact,
}

impl ModelMatch {
    /// The snake_case name used in queries.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelMatch::Contains => "contains",
            ModelMatch::Prefix => "prefix",
            ModelMatch::Exact => "exact",
        }
    }
}

impl std::str::FromStr for ModelMatch {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "contains" => Ok(ModelMatch::Contains),
            "prefix" => Ok(ModelMatch::Prefix),
            "exact" => Ok(ModelMatch::Exact),
            other => Err(format!("{other:?} is not contains, prefix or exact")),
        }
    }
}

/// A short view of a label for result lists and exports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LabelSummary {
    /// The registration number.
    pub number: String,
    /// The ★ level.
    #[schema(value_type = u8, minimum = 1, maximum = 4)]
    pub level: Level,
    /// Status as of the registry clock.
    pub status: LabelStatus,
    /// The applicant company.
    pub company: String,
    /// Product names.
    pub products: Vec<String>,
    /// Model numbers of all products.
    pub model_numbers: Vec<String>,
    /// Day of issuance.
    pub issued_on: NaiveDate,
    /// Last day of validity (inclusive).
    pub valid_until: NaiveDate,
}

/// One page of search results, ordered by registration sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchPage {
    /// The labels of this page.
    pub items: Vec<LabelSummary>,
    /// Labels matching the criteria, over all pages.
    pub total: u64,
    /// Rows skipped before this page.
    pub offset: u64,
    /// Page size used.
    pub limit: u64,
    /// Offset of the next page, if there are more results.
    pub next_offset: Option<u64>,
}

/// Which events the feed returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedScope {
    /// Events about labels only (issuance, status changes, security
    /// information): what the public feed shows.
    #[default]
    Labels,
    /// Every event, including applications (operator).
    All,
}

/// Which labels' events the feed returns (all given criteria must match;
/// they apply to the label as it stands now).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedFilter {
    /// Only labels of this level.
    pub level: Option<Level>,
    /// The label's status as of today.
    pub status: Option<LabelStatus>,
    /// Part of the applicant company's name (compared as search compares).
    pub company: Option<String>,
    /// Part of a product type of the label (compared as search compares).
    pub product_type: Option<String>,
}

impl FeedFilter {
    /// Whether no criterion is given (every label's events pass).
    pub fn is_empty(&self) -> bool {
        self.level.is_none()
            && self.status.is_none()
            && self.company.is_none()
            && self.product_type.is_none()
    }
}

/// One page of the event feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FeedPage {
    /// The events of this page, oldest first.
    pub events: Vec<Event>,
    /// Pass as `after_seq` to get the next page; `None` when this page is the
    /// end of the log so far (poll again later with the last seq you saw).
    /// With a company or product-type filter a request reads a bounded part
    /// of the log, so a page may hold fewer events than asked (even none)
    /// and still name where to continue.
    pub next_after_seq: Option<i64>,
    /// Sequence number of the newest event in the log.
    pub head_seq: i64,
}

/// A newly created API token. The plaintext is shown once and never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    /// Token id (also part of the plaintext).
    pub id: String,
    /// `jcs_<id>_<secret>`; give it in `Authorization: Bearer …`.
    pub plaintext: String,
    /// What the token may do.
    pub role: Role,
    /// Organisation the token acts for.
    pub org: String,
    /// The person of `org` the token belongs to; recorded in every event
    /// written with it.
    pub name: String,
    /// After this instant the token no longer authenticates.
    pub expires_at: DateTime<Utc>,
}

/// Default lifetime of an API token.
pub const TOKEN_DEFAULT_DAYS: u32 = 90;
/// Longest lifetime an API token may be given.
pub const TOKEN_MAX_DAYS: u32 = 366;

/// A stored token without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Token id.
    pub id: String,
    /// What the token may do.
    pub role: Role,
    /// Organisation the token acts for.
    pub org: String,
    /// The person of the organisation the token belongs to.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// After this instant the token no longer authenticates.
    pub expires_at: DateTime<Utc>,
}

/// Result of [`crate::Registry::verify_chain`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChainReport {
    /// Events checked.
    pub events: i64,
    /// Hash of the newest event (the value to publish or compare).
    pub head_hash: String,
    /// The first broken link, if any.
    pub first_broken: Option<BrokenLink>,
}

impl ChainReport {
    /// Whether every link of the chain holds.
    pub fn ok(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// Where and how the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BrokenLink {
    /// Sequence number of the first event whose link is broken.
    pub seq: i64,
    /// What is wrong with it.
    pub problem: String,
}

/// A change to an issued label that stays under the same self-declaration:
/// model numbers and firmware versions added to one of its products. See
/// docs/registry-rules.md for what counts as security-relevant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelChange {
    /// Name of the product changed; may be omitted when the label covers one.
    #[serde(default)]
    pub product: Option<String>,
    /// Model numbers to add.
    #[serde(default)]
    pub add_model_numbers: Vec<String>,
    /// Firmware versions to add.
    #[serde(default)]
    pub add_firmware_versions: Vec<String>,
    /// The vendor's statement that the change touches a security function
    /// (authentication, update mechanism, communication, hardware platform).
    /// Such a change needs a new application.
    #[serde(default)]
    pub security_relevant: bool,
    /// Why: recorded and shown in the public history.
    pub reason: String,
}

/// One row of the materialised state that differs from a replay of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateDifference {
    /// `applications` or `labels`.
    pub table: String,
    /// Application id or registration number.
    pub key: String,
    /// How the row differs.
    pub problem: String,
}

/// Result of [`crate::Registry::verify_state`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateReport {
    /// Events replayed.
    pub events: i64,
    /// Applications replayed.
    pub applications: i64,
    /// Labels replayed.
    pub labels: i64,
    /// Every row that differs (empty when the tables match the log).
    pub differences: Vec<StateDifference>,
}

impl StateReport {
    /// Whether the tables match the log.
    pub fn ok(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Result of [`crate::Registry::rebuild`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebuildReport {
    /// Events replayed.
    pub events: i64,
    /// Applications rebuilt.
    pub applications: i64,
    /// Labels rebuilt.
    pub labels: i64,
}

/// Storage backend in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

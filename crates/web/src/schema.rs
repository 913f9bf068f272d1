//! OpenAPI descriptions of the registry's JSON shapes. The registry's own
//! types are what the API sends and accepts; these mirrors only describe them
//! (the registry must not depend on utoipa), and a test checks that real
//! responses carry no field these mirrors do not document.
#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Applicant {
    pub company: String,
    pub address: String,
    pub contact: String,
}

#[derive(Serialize, ToSchema)]
pub struct Product {
    pub name: String,
    pub model_numbers: Vec<String>,
    pub firmware_versions: Vec<String>,
    /// e.g. `network camera`, `router`.
    pub product_type: String,
}

/// An application for a label.
#[derive(Serialize, ToSchema)]
pub struct ApplicationSubmission {
    /// The applying organisation; a vendor token may only apply for its own.
    pub org: String,
    /// ★ level, 1 to 4. By default the checklist's (★1); 3 or 4 need a
    /// passing evaluation report for that level before acceptance.
    #[schema(minimum = 1, maximum = 4)]
    pub level: Option<u8>,
    /// Empty fields are taken from the checklist's basic-information sheet;
    /// a value that differs from the sheet is refused.
    pub applicant: Option<Applicant>,
    /// Empty: the product of the checklist. At most one product, which must
    /// agree with the checklist.
    pub products: Option<Vec<Product>>,
    pub disclosure_contact: Option<String>,
    /// The self-assessment checklist in the checklist crate's JSON form;
    /// format-checked on submission.
    #[schema(value_type = Object)]
    pub checklist: serde_json::Value,
    /// A validity end earlier than the default two years.
    pub requested_valid_until: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    FormatRefused,
    Submitted,
    InquiryRequested,
    InquiryAnswered,
    Accepted,
    Rejected,
    FeePaid,
    Issued,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InquiryOutcome {
    Clear,
    Concern,
}

#[derive(Serialize, ToSchema)]
pub struct Inquiry {
    pub requested_at: DateTime<Utc>,
    pub request_reference: String,
    pub answered_at: Option<DateTime<Utc>>,
    pub outcome: Option<InquiryOutcome>,
    pub answer_reference: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Decision {
    pub accepted: bool,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// A fee payment.
#[derive(Serialize, ToSchema)]
pub struct Fee {
    pub amount_yen: u64,
    pub paid_on: NaiveDate,
    pub reference: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
}

/// An evaluation body's report (★3/★4).
#[derive(Serialize, ToSchema)]
pub struct EvaluationReport {
    pub file_name: String,
    /// SHA-256 of the report file, 64 lower-case hex digits.
    pub sha256: String,
    pub summary: String,
    pub verdict: Verdict,
    /// The level the evaluation covered (3 or 4); required when attaching.
    #[schema(minimum = 3, maximum = 4)]
    pub level: Option<u8>,
}

#[derive(Serialize, ToSchema)]
pub struct Application {
    pub id: String,
    pub org: String,
    pub level: u8,
    pub applicant: Applicant,
    pub products: Vec<Product>,
    pub disclosure_contact: String,
    #[schema(value_type = Object)]
    pub checklist: serde_json::Value,
    pub requested_valid_until: Option<NaiveDate>,
    pub status: ApplicationStatus,
    pub submitted_at: DateTime<Utc>,
    pub format_problems: Vec<String>,
    pub inquiry: Option<Inquiry>,
    pub decision: Option<Decision>,
    pub fee: Option<Fee>,
    pub evaluation_body: Option<String>,
    pub evaluation_report: Option<EvaluationReport>,
    pub label_number: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LabelStatus {
    Active,
    Expired,
    Withdrawn,
    Revoked,
    UnderSurveillance,
}

#[derive(Serialize, ToSchema)]
pub struct Surveillance {
    pub opened_at: DateTime<Utc>,
    pub reason: String,
    pub evidence_demanded: String,
    pub correction_deadline: NaiveDate,
}

/// What the operator states when opening surveillance.
#[derive(Serialize, ToSchema)]
pub struct SurveillanceOrder {
    pub reason: String,
    pub evidence_demanded: String,
    pub correction_deadline: NaiveDate,
}

/// A published software update.
#[derive(Serialize, ToSchema)]
pub struct UpdateEntry {
    pub version: String,
    pub released_on: NaiveDate,
    pub notes: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VulnerabilityState {
    Investigating,
    Fixed,
    Mitigated,
    NotAffected,
}

/// A vulnerability entry; the same `id` again replaces the shown state.
#[derive(Serialize, ToSchema)]
pub struct VulnerabilityEntry {
    pub id: String,
    pub title: String,
    pub state: VulnerabilityState,
    pub fixed_in: Option<String>,
    pub published_on: NaiveDate,
    /// Set by the registry.
    pub updated_on: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct SecurityInfo {
    pub updates: Vec<UpdateEntry>,
    pub vulnerabilities: Vec<VulnerabilityEntry>,
    pub support_end: Option<NaiveDate>,
    pub disclosure_contact: String,
}

#[derive(Serialize, ToSchema)]
pub struct Label {
    pub number: String,
    pub application_id: String,
    pub org: String,
    pub level: u8,
    pub applicant: Applicant,
    pub products: Vec<Product>,
    pub issued_on: NaiveDate,
    /// Last day of validity (inclusive).
    pub valid_until: NaiveDate,
    /// Status as of the time of the request.
    pub status: LabelStatus,
    pub surveillance: Option<Surveillance>,
    pub end_reason: Option<String>,
    pub security: SecurityInfo,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// Event kind, e.g. `label_issued`, `label_revoked`.
    pub kind: String,
    pub status: LabelStatus,
    pub reason: Option<String>,
    pub actor_role: String,
    pub actor_org: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Everything the product information page shows.
#[derive(Serialize, ToSchema)]
pub struct ProductPage {
    pub label: Label,
    pub history: Vec<HistoryEntry>,
}

#[derive(Serialize, ToSchema)]
pub struct LabelSummary {
    pub number: String,
    pub level: u8,
    pub status: LabelStatus,
    pub company: String,
    pub products: Vec<String>,
    pub model_numbers: Vec<String>,
    pub issued_on: NaiveDate,
    pub valid_until: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct SearchPage {
    pub items: Vec<LabelSummary>,
    pub offset: u64,
    pub limit: u64,
    pub next_offset: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct Actor {
    pub role: String,
    pub org: String,
    pub token_id: Option<String>,
    pub token_name: Option<String>,
}

/// One immutable event of the hash-chained log.
#[derive(Serialize, ToSchema)]
pub struct Event {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub kind: String,
    pub application_id: Option<String>,
    pub label_number: Option<String>,
    pub reason: Option<String>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Serialize, ToSchema)]
pub struct FeedPage {
    pub events: Vec<Event>,
    /// Pass as `since_seq` for the next page; null at the end of the log.
    pub next_after_seq: Option<i64>,
    pub head_seq: i64,
}

#[derive(Serialize, ToSchema)]
pub struct BrokenLink {
    pub seq: i64,
    pub problem: String,
}

#[derive(Serialize, ToSchema)]
pub struct ChainReport {
    pub events: i64,
    pub head_hash: String,
    pub first_broken: Option<BrokenLink>,
}

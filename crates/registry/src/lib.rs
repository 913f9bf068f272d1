//! The label registry: applications, labels and their lifecycle as an
//! append-only, hash-chained event log, the state derived from it, and its
//! storage in SQLite or PostgreSQL.
//!
//! It never renders pages or speaks HTTP (that is `jcstar-web`), and nothing
//! in it updates or deletes an event.
//!
//! # Model
//!
//! Every change is an [`Event`] appended to the `events` table with a gapless
//! sequence number, the time from the injected [`Clock`], the [`Actor`]
//! (role, organisation, token), a kind, a JSON payload, an optional reason,
//! the subject (application id and/or registration number) and the SHA-256 of
//! the previous event (see [`chain`] for the canonical form).
//! Database triggers refuse UPDATE and DELETE on `events` in both backends.
//! The current state of applications and labels is materialised in
//! `applications` and `labels` in the same transaction as the append;
//! [`Registry::rebuild`] replays the log into fresh tables.
//!
//! Expiry is not an event: a label whose validity end (inclusive, Japan
//! calendar date) lies before today is reported as [`LabelStatus::Expired`]
//! when read.
//!
//! # Flow
//!
//! Vendor [`Registry::submit_application`] (automatic format check of the
//! checklist; a failing checklist is refused and the refusal recorded) →
//! operator [`Registry::request_inquiry`] / [`Registry::answer_inquiry`] →
//! [`Registry::accept_application`] or [`Registry::reject_application`] →
//! [`Registry::record_fee`] → [`Registry::issue_label`]. For ★3/★4 the
//! operator first [`Registry::assign_evaluation_body`] and that body
//! [`Registry::attach_evaluation_report`]s a passing report before acceptance.
//! Labels then move through [`Registry::extend_label`],
//! [`Registry::withdraw_label`], [`Registry::open_surveillance`],
//! [`Registry::close_surveillance`] and [`Registry::revoke_label`].
//! Every write method takes the acting [`Actor`] and checks [`authorize`].
//!
//! # Storage
//!
//! [`Registry::open`] takes `sqlite://path` (file created if missing; WAL,
//! `synchronous=FULL`) or `postgres://…`; migrations run on open.
//! Registration numbers: see [`number`].

pub mod auth;
pub mod chain;
pub mod clock;
mod commands;
pub mod counterfeit;
pub mod csaf;
pub mod csv_cell;
pub mod demo;
pub mod error;
pub mod events;
mod export;
pub mod intake;
mod integrity;
pub mod model;
pub mod number;
mod queries;
pub mod search;
pub mod secinfo;
pub mod signing;
pub mod snapshot;
mod store;
pub mod testing;
pub mod verify;
pub mod watch;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

pub use auth::{Action, Denied, Resource, authorize};
pub use clock::{Clock, ManualClock, SystemClock};
pub use commands::applications::MAX_FEE_YEN;
pub use commands::submission::{REFUSED_PER_ORG_PER_DAY, SUBMISSIONS_PER_ORG_PER_DAY};
pub use counterfeit::{CounterfeitReport, NewCounterfeitReport, ReportStatus};
pub use demo::{seed_bulk, seed_bulk_if_empty, seed_demo, seed_demo_if_empty};
pub use error::{Error, Msg, Result};
pub use export::{ExportFormat, JSON_EXPORT_CLOSE, JSON_EXPORT_OPEN, labels_csv, labels_json};
pub use integrity::VerifyReport;
pub use model::*;
pub use number::{NumberError, RegistrationNumber, parse_registration_number};
pub use secinfo::{
    CsafUpload, DocumentKind, MAX_DOCUMENT_BYTES, SbomRef, SbomUpload, StoredDocument, VexLine,
    VexRef, VexUpload, VulnStanding, VulnStatus,
};

/// The default database of `jcstar serve` and `jcstar registry`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./jcstar-data/registry.sqlite";

/// Default validity of a label: two years from issue (or extension).
pub const VALIDITY_YEARS: i32 = 2;

/// A handle on one registry database. Cheap to clone; share it between tasks.
#[derive(Clone)]
pub struct Registry {
    inner: Inner,
}

#[derive(Clone)]
struct Inner {
    store: Arc<store::Store>,
    clock: Arc<dyn Clock>,
    /// Every label's searchable text (see [`search`]).
    search: Arc<search::SearchState>,
}

impl Registry {
    /// Open (and migrate) the registry at `url` with the system clock.
    pub async fn open(url: &str) -> Result<Registry> {
        Self::open_with_clock(url, Arc::new(SystemClock)).await
    }

    /// Open (and migrate) the registry at `url` with the given clock.
    pub async fn open_with_clock(url: &str, clock: Arc<dyn Clock>) -> Result<Registry> {
        let store = store::Store::open(url).await?;
        Ok(Registry {
            inner: Inner {
                store: Arc::new(store),
                clock,
                search: Arc::default(),
            },
        })
    }

    /// The same database seen through another clock (tests, backdated demo
    /// data). Events written through it carry that clock's time.
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> Registry {
        Registry {
            inner: Inner {
                store: self.inner.store.clone(),
                clock,
                search: self.inner.search.clone(),
            },
        }
    }

    /// Close the connection pool (waits for running queries).
    pub async fn close(&self) {
        self.inner.store.close().await
    }

    /// The database the registry runs on.
    pub fn backend(&self) -> Backend {
        self.inner.store.backend()
    }

    /// The clock that dates events and decides expiry.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The current time of the registry's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Today's date (Japan) of the registry's clock.
    pub fn today(&self) -> NaiveDate {
        self.inner.clock.today()
    }

    /// A number that changes after every write committed through this
    /// process (any clone of this registry). Cheap: no database access.
    /// Writes by other processes do not change it; compare [`Registry::head_seq`]
    /// for those.
    pub fn generation(&self) -> u64 {
        self.inner.store.generation()
    }

    /// Sequence number of the newest event (one small query).
    pub async fn head_seq(&self) -> Result<i64> {
        Ok(self.inner.store.head().await?.0)
    }

    /// Tell readers of [`Registry::generation`] that the database may have
    /// changed behind this process (e.g. [`Registry::head_seq`] moved).
    pub fn note_external_change(&self) {
        self.inner.store.bump_generation()
    }

    /// True when no event was ever recorded (tokens do not count).
    pub async fn is_empty(&self) -> Result<bool> {
        Ok(self.inner.store.head().await?.0 == 0)
    }

    // ---- tokens -------------------------------------------------------------

    /// Create an API token for the person `name` of `org`, valid for the
    /// default [`TOKEN_DEFAULT_DAYS`]; the plaintext is returned once and
    /// only its SHA-256 is stored. `org` may be empty only for the operator
    /// role.
    pub async fn create_token(&self, role: Role, org: &str, name: &str) -> Result<NewToken> {
        self.create_token_for_days(role, org, name, TOKEN_DEFAULT_DAYS)
            .await
    }

    /// [`Registry::create_token`] with a lifetime of `valid_days` (1 to
    /// [`TOKEN_MAX_DAYS`]).
    pub async fn create_token_for_days(
        &self,
        role: Role,
        org: &str,
        name: &str,
        valid_days: u32,
    ) -> Result<NewToken> {
        self.inner
            .store
            .create_token(self.now(), role, org, name, valid_days)
            .await
    }

    /// The actor a bearer token stands for; [`Error::Unauthenticated`] for an
    /// unknown, malformed, revoked or expired token.
    pub async fn authenticate(&self, token: &str) -> Result<Actor> {
        self.inner.store.authenticate(self.now(), token).await
    }

    /// Revoke a token by id (idempotent; NotFound if it never existed).
    pub async fn revoke_token(&self, id: &str) -> Result<TokenInfo> {
        self.inner.store.revoke_token(self.now(), id).await
    }

    /// Every API token, revoked and expired ones included, without secrets.
    pub async fn list_tokens(&self) -> Result<Vec<TokenInfo>> {
        self.inner.store.list_tokens().await
    }

    // ---- applications -------------------------------------------------------

    /// Submit an application. The checklist is format-checked at once; on
    /// failure the refusal is recorded and [`Error::ChecklistRefused`] lists
    /// the problems.
    pub async fn submit_application(
        &self,
        actor: &Actor,
        submission: ApplicationSubmission,
    ) -> Result<Application> {
        commands::applications::submit_application(self, actor, submission).await
    }

    /// Record that the supply-chain inquiry was sent (`reference`: the
    /// inquiry's file or letter number).
    pub async fn request_inquiry(
        &self,
        actor: &Actor,
        application_id: &str,
        reference: &str,
    ) -> Result<Application> {
        commands::applications::request_inquiry(self, actor, application_id, reference).await
    }

    /// Record the inquiry's answer.
    pub async fn answer_inquiry(
        &self,
        actor: &Actor,
        application_id: &str,
        outcome: InquiryOutcome,
        reference: &str,
    ) -> Result<Application> {
        commands::applications::answer_inquiry(self, actor, application_id, outcome, reference)
            .await
    }

    /// Accept an application. Needs an answered inquiry (a `concern` answer
    /// needs a `reason`), and for ★3/★4 a passing evaluation report.
    pub async fn accept_application(
        &self,
        actor: &Actor,
        application_id: &str,
        reason: Option<&str>,
    ) -> Result<Application> {
        commands::applications::decide(self, actor, application_id, true, reason).await
    }

    /// Reject an application (reason required).
    pub async fn reject_application(
        &self,
        actor: &Actor,
        application_id: &str,
        reason: &str,
    ) -> Result<Application> {
        commands::applications::decide(self, actor, application_id, false, Some(reason)).await
    }

    /// Record the fee as paid (after acceptance). An application whose
    /// checklist claims a recognition arrangement must be recorded with the
    /// fee that arrangement sets; another amount is refused naming both.
    pub async fn record_fee(
        &self,
        actor: &Actor,
        application_id: &str,
        fee: Fee,
    ) -> Result<Application> {
        commands::applications::record_fee(self, actor, application_id, fee).await
    }

    /// Assign the evaluation body (its organisation) to a ★3/★4 application.
    pub async fn assign_evaluation_body(
        &self,
        actor: &Actor,
        application_id: &str,
        body_org: &str,
    ) -> Result<Application> {
        commands::applications::assign_evaluation_body(self, actor, application_id, body_org).await
    }

    /// Attach the evaluation report (by the assigned body).
    pub async fn attach_evaluation_report(
        &self,
        actor: &Actor,
        application_id: &str,
        report: EvaluationReport,
    ) -> Result<Application> {
        commands::applications::attach_evaluation_report(self, actor, application_id, report).await
    }

    /// Issue the label for a paid application. `valid_until` may shorten the
    /// default two-year validity, never lengthen it.
    pub async fn issue_label(
        &self,
        actor: &Actor,
        application_id: &str,
        valid_until: Option<NaiveDate>,
    ) -> Result<Label> {
        commands::applications::issue_label(self, actor, application_id, valid_until).await
    }

    /// One application (vendor: own; evaluation body: assigned; operator: any).
    pub async fn application(&self, actor: &Actor, application_id: &str) -> Result<Application> {
        queries::application(self, actor, application_id).await
    }

    /// Applications the actor may see, newest first, optionally by status.
    pub async fn list_applications(
        &self,
        actor: &Actor,
        status: Option<ApplicationStatus>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Application>> {
        queries::list_applications(self, actor, status, offset, limit).await
    }

    // ---- labels -------------------------------------------------------------

    /// Extend a label by a new self-declaration: the validity end moves to
    /// `valid_until` or, by default, two years from today; never beyond that.
    pub async fn extend_label(
        &self,
        actor: &Actor,
        number: &str,
        valid_until: Option<NaiveDate>,
        declaration: &str,
    ) -> Result<Label> {
        commands::labels::extend_label(self, actor, number, valid_until, declaration).await
    }

    /// Add model numbers or firmware versions covered by the same
    /// self-declaration (vendor or operator; reason required). A
    /// security-relevant change is refused: it needs a new application.
    pub async fn change_label(
        &self,
        actor: &Actor,
        number: &str,
        change: LabelChange,
    ) -> Result<Label> {
        commands::labels::change_label(self, actor, number, change).await
    }

    /// Withdraw a label (vendor or operator; reason required). Refused while
    /// surveillance is open: the operator closes or revokes first.
    pub async fn withdraw_label(&self, actor: &Actor, number: &str, reason: &str) -> Result<Label> {
        commands::labels::withdraw_label(self, actor, number, reason).await
    }

    /// Open surveillance on an active label.
    pub async fn open_surveillance(
        &self,
        actor: &Actor,
        number: &str,
        order: SurveillanceOrder,
    ) -> Result<Label> {
        commands::labels::open_surveillance(self, actor, number, order).await
    }

    /// Close surveillance as cleared: the label is Active again.
    pub async fn close_surveillance(
        &self,
        actor: &Actor,
        number: &str,
        reason: &str,
    ) -> Result<Label> {
        commands::labels::close_surveillance(self, actor, number, reason).await
    }

    /// Revoke a label under surveillance. Allowed once the correction deadline
    /// has passed, or earlier with `override_reason`.
    pub async fn revoke_label(
        &self,
        actor: &Actor,
        number: &str,
        reason: &str,
        override_reason: Option<&str>,
    ) -> Result<Label> {
        commands::labels::revoke_label(self, actor, number, reason, override_reason).await
    }

    /// Publish a software update entry.
    pub async fn add_update(
        &self,
        actor: &Actor,
        number: &str,
        entry: UpdateEntry,
    ) -> Result<Label> {
        commands::labels::add_update(self, actor, number, entry).await
    }

    /// Record or update (same `id`) a vulnerability entry.
    pub async fn record_vulnerability(
        &self,
        actor: &Actor,
        number: &str,
        entry: VulnerabilityEntry,
    ) -> Result<Label> {
        commands::labels::record_vulnerability(self, actor, number, entry).await
    }

    /// Set (or clear) the end of security support.
    pub async fn set_support_end(
        &self,
        actor: &Actor,
        number: &str,
        support_end: Option<NaiveDate>,
    ) -> Result<Label> {
        commands::labels::set_support_end(self, actor, number, support_end).await
    }

    /// Attach an SBOM (CycloneDX 1.4–1.6 or SPDX 2.3 JSON, at most
    /// [`MAX_DOCUMENT_BYTES`]) to a firmware version the label lists. The
    /// bytes are kept as received under their SHA-256.
    pub async fn attach_sbom(
        &self,
        actor: &Actor,
        number: &str,
        firmware_version: &str,
        document: &[u8],
    ) -> Result<Label> {
        commands::secinfo::attach_sbom(self, actor, number, firmware_version, document).await
    }

    /// Publish a VEX document (OpenVEX or CycloneDX VEX JSON); a statement
    /// that does not read is refused with its JSON path.
    pub async fn publish_vex(&self, actor: &Actor, number: &str, document: &[u8]) -> Result<Label> {
        commands::secinfo::publish_vex(self, actor, number, document).await
    }

    /// Run the watch over every active label (operator only; see [`watch`]).
    pub async fn watch(
        &self,
        actor: &Actor,
        db: &jcstar_vulndb::VulnDb,
    ) -> Result<watch::WatchReport> {
        watch::run(self, actor, db).await
    }

    /// The watch list: the operator sees every label's unsettled findings,
    /// a vendor its own.
    pub async fn watch_list(&self, actor: &Actor) -> Result<Vec<watch::WatchItem>> {
        watch::list(self, actor).await
    }

    /// Publish a CSAF 2.0 advisory (checked: required fields, category,
    /// product tree references; a refusal names the field by its path).
    pub async fn publish_csaf(
        &self,
        actor: &Actor,
        number: &str,
        document: &[u8],
    ) -> Result<Label> {
        commands::secinfo::publish_csaf(self, actor, number, document).await
    }

    /// Every CSAF advisory published, newest first (the registry as a CSAF
    /// provider lists them in its ROLIE feed).
    pub async fn advisories(&self) -> Result<Vec<csaf::PublishedAdvisory>> {
        csaf::published(self).await
    }

    /// An SBOM or VEX document of a label by its SHA-256 (public).
    pub async fn document(&self, number: &str, sha256: &str) -> Result<StoredDocument> {
        commands::secinfo::document(self, number, sha256).await
    }

    /// Set the vulnerability disclosure contact.
    pub async fn set_disclosure_contact(
        &self,
        actor: &Actor,
        number: &str,
        contact: &str,
    ) -> Result<Label> {
        commands::labels::set_disclosure_contact(self, actor, number, contact).await
    }

    // ---- public queries -----------------------------------------------------

    /// One label, status as of now. `number` is parsed and checked first, so a
    /// typo yields [`Error::Number`] rather than NotFound.
    pub async fn label(&self, number: &str) -> Result<Label> {
        queries::label(self, number).await
    }

    /// A label's public history, oldest first.
    pub async fn label_history(&self, number: &str) -> Result<Vec<HistoryEntry>> {
        queries::label_history(self, number).await
    }

    /// Everything the product information page shows.
    pub async fn product_page(&self, number: &str) -> Result<ProductPage> {
        queries::product_page(self, number).await
    }

    /// Answer a list of model numbers and registration numbers row by row
    /// (see [`verify`]); `base_url` makes the product page links. At most
    /// [`verify::MAX_ROWS`] rows.
    pub async fn verify_rows(
        &self,
        rows: &[verify::InputRow],
        base_url: &str,
    ) -> Result<verify::VerifyReport> {
        verify::verify_rows(self, rows, base_url).await
    }

    /// One registration number checked (see [`verify`]): found, never
    /// issued (counterfeit), a probable typo with the corrected number, or
    /// not a registration number.
    pub async fn verify_number(&self, text: &str, base_url: &str) -> Result<verify::VerifyRow> {
        verify::verify_number(self, text, base_url).await
    }

    /// Search labels: one page in registration order, with the number of
    /// matches over all pages.
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchPage> {
        search::search(self, query).await
    }

    /// Build the search index now, so that the first search does not wait
    /// for it (a server calls this as it starts).
    pub async fn warm_search(&self) -> Result<()> {
        search::warm(self).await
    }

    /// Label counts per level and status (as of today), one row per pair
    /// that occurs.
    pub async fn label_counts(&self) -> Result<Vec<(Level, LabelStatus, u64)>> {
        queries::label_counts(self).await
    }

    /// Labels in registration order after `after_number` (keyset pagination
    /// for exports and streaming); at most `limit` (capped at 1000).
    pub async fn labels_after(&self, after_number: Option<&str>, limit: u64) -> Result<Vec<Label>> {
        queries::labels_after(self, after_number, limit).await
    }

    /// Write all labels as CSV (one row per label, header first), page by
    /// page so memory stays bounded.
    pub async fn export_csv<W: std::io::Write + Send>(&self, out: W) -> Result<u64> {
        export::export_csv(self, out).await
    }

    /// Write all labels as one JSON array of [`Label`]s, page by page.
    pub async fn export_json<W: std::io::Write + Send>(&self, out: W) -> Result<u64> {
        export::export_json(self, out).await
    }

    /// Write all labels in `format` (see [`ExportFormat`]).
    pub async fn export<W: std::io::Write + Send>(
        &self,
        format: ExportFormat,
        out: W,
    ) -> Result<u64> {
        export::export(self, format, out).await
    }

    /// Every label as an Excel workbook at `path` (header in `lang`).
    pub async fn export_xlsx(
        &self,
        path: &std::path::Path,
        lang: jcstar_criteria::Lang,
    ) -> Result<u64> {
        export::export_xlsx(self, path, lang).await
    }

    /// Events after sequence `after_seq` (0 = from the start) and/or at or
    /// after `since`, oldest first, at most `limit` (capped at 1000).
    pub async fn events_since(
        &self,
        scope: FeedScope,
        after_seq: i64,
        since: Option<DateTime<Utc>>,
        limit: u64,
    ) -> Result<FeedPage> {
        queries::events_since(self, scope, after_seq, since, limit, &FeedFilter::default()).await
    }

    /// [`Registry::events_since`] for the labels `filter` selects (label
    /// events only, whatever `scope` says, when the filter is not empty).
    pub async fn events_filtered(
        &self,
        scope: FeedScope,
        after_seq: i64,
        since: Option<DateTime<Utc>>,
        limit: u64,
        filter: &FeedFilter,
    ) -> Result<FeedPage> {
        queries::events_since(self, scope, after_seq, since, limit, filter).await
    }

    // ---- integrity ----------------------------------------------------------

    /// Recompute every event's hash and link; reports the first broken link.
    /// A chain that holds also becomes the public status's checkpoint.
    pub async fn verify_chain(&self) -> Result<ChainReport> {
        let report = self.inner.store.verify_chain().await?;
        if report.ok() && report.events > 0 {
            self.inner
                .store
                .save_chain_checkpoint(self.now(), report.events, &report.head_hash)
                .await?;
        }
        Ok(report)
    }

    /// The chain as far as it has been verified, continuing from the last
    /// checkpoint with at most [`chain::STATUS_BATCH`] new events: the
    /// public status, bounded per call (see [`chain`]).
    pub async fn chain_status(&self) -> Result<ChainReport> {
        chain::status(&self.inner.store, self.now(), chain::STATUS_BATCH).await
    }

    /// [`Registry::chain_status`] with another batch size.
    pub async fn chain_status_batch(&self, batch: i64) -> Result<ChainReport> {
        chain::status(&self.inner.store, self.now(), batch).await
    }

    /// Replay the log and compare the result with the materialised tables;
    /// every differing row is named. [`Registry::rebuild`] repairs them.
    pub async fn verify_state(&self) -> Result<StateReport> {
        integrity::verify_state(self).await
    }

    /// [`Registry::verify_chain`], then [`Registry::verify_state`]: the
    /// operator's whole check.
    pub async fn verify(&self) -> Result<VerifyReport> {
        integrity::verify(self).await
    }

    /// Replay all events into fresh state tables.
    pub async fn rebuild(&self) -> Result<RebuildReport> {
        let report = integrity::rebuild(self).await;
        self.inner.search.invalidate();
        report
    }

    /// A canonical dump of the materialised state (applications and labels as
    /// stored), for comparing live state with a rebuild.
    pub async fn state_snapshot(&self) -> Result<serde_json::Value> {
        self.inner.store.state_snapshot().await
    }
}

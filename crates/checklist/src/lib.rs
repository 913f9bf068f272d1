//! The ★1 self-assessment checklist: the basic-information sheet (基本情報),
//! one answer per criterion, the rules that decide whether a checklist
//! supports an application, and the file formats (TOML, JSON, xlsx).
//!
//! It reads the criteria catalog but never changes it, and it knows nothing of
//! devices, the network or the registry. It never prints or exits: reading
//! and writing return [`ChecklistError`], and [`validate`] returns a
//! [`Report`] whose problems carry Japanese and English text.
//!
//! Entry points for other crates:
//! - [`Checklist::from_path`] / [`Checklist::from_str_with_format`] to read,
//!   [`Checklist::write_path`] to write;
//! - [`validate`] to decide whether the checklist supports an application;
//! - [`attach_to_file`] / [`Checklist::attach_evidence_dir`] to attach a
//!   `jcstar probe`/`assess` evidence directory (verified against its
//!   manifest; the verdicts are recorded with the reference);
//! - [`Checklist::attach_evidence`] to record any other evidence against a
//!   criterion;
//! - [`Checklist::template`] for a blank checklist;
//! - [`output::check_output`] before writing a file the user named.

mod attach;
mod error;
pub mod evidence;
mod format;
mod model;
pub mod output;
pub mod result_json;
mod rules;
mod tomledit;
pub mod xlsx;

pub use attach::{AttachOutcome, AttachRow, Written, attach_to_file, folder_of, relative_path};
pub use error::ChecklistError;
pub use format::{ACCEPTED_EXTENSIONS, Format};
pub use model::{
    Answer, Applicant, Attached, CatalogRef, Checklist, CompanionService, Contact, DocumentRef,
    Evaluation, Evidence, Giteki, GitekiMark, Outcome, Product, RecognitionClaim, RecordedVerdict,
    SCHEMA_VERSION, TestResultRef, init_summary,
};
pub use rules::{Counts, Problem, Report, Severity, validate};

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
//! - [`Checklist::attach_evidence`] to record a device-test result against a
//!   criterion;
//! - [`Checklist::template`] for a blank checklist.

mod error;
mod format;
mod model;
mod rules;
pub mod xlsx;

pub use error::ChecklistError;
pub use format::{ACCEPTED_EXTENSIONS, Format};
pub use model::{
    Answer, Applicant, Attached, CatalogRef, Checklist, CompanionService, Contact, DocumentRef,
    Evaluation, Evidence, Giteki, GitekiMark, Outcome, Product, SCHEMA_VERSION, TestResultRef,
};
pub use rules::{Counts, Problem, Report, Severity, validate};

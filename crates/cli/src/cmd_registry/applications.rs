//! `jcstar registry apply`, `inquiry …`, `fee` and `report`: an
//! application's steps that take more than one call.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use jcstar_criteria::Lang;
use jcstar_registry::{Applicant, Fee, InquiryOutcome, Level, Role, Verdict, intake};

use super::session::Session;

#[derive(Subcommand)]
pub(super) enum InquiryCmd {
    /// The inquiry was sent.
    Request {
        /// Application id (as printed by `registry apply`).
        application: String,
        /// Reference of the inquiry or its answer (e.g. the letter number).
        #[arg(long)]
        reference: String,
    },
    /// The answer arrived.
    Answer {
        /// Application id (as printed by `registry apply`).
        application: String,
        /// No concern raised.
        #[arg(long, conflicts_with = "concern", required_unless_present = "concern")]
        clear: bool,
        /// A concern was raised.
        #[arg(long)]
        concern: bool,
        /// Reference of the inquiry or its answer (e.g. the letter number).
        #[arg(long)]
        reference: String,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(super) enum VerdictArg {
    Pass,
    Fail,
}

/// The checklist is the application: applicant, product, model numbers,
/// firmware versions, product type and level come from its basic-information
/// sheet. The flags only fill what the sheet leaves empty; a flag that
/// disagrees with the sheet is refused naming both values.
#[derive(clap::Args)]
pub(super) struct ApplyArgs {
    /// The self-assessment checklist (.toml, .json or .xlsx).
    #[arg(long)]
    checklist: PathBuf,
    /// The applying organisation (acts as its vendor).
    #[arg(long)]
    org: String,
    /// Label level: by default the checklist's (★1); 3 or 4 need an
    /// evaluation report for that level before acceptance.
    #[arg(long)]
    level: Option<Level>,
    /// Applicant company name (default: the checklist's).
    #[arg(long, default_value = "")]
    company: String,
    /// Applicant address (default: the checklist's).
    #[arg(long, default_value = "")]
    address: String,
    /// Public contact (e-mail, phone or URL; default: the checklist's e-mail).
    #[arg(long, default_value = "")]
    contact: String,
    /// Product name (default: the checklist's).
    #[arg(long, default_value = "")]
    product: String,
    /// Model number (repeat for several; default: the checklist's).
    #[arg(long = "model")]
    models: Vec<String>,
    /// Firmware version (repeat for several; default: the checklist's).
    #[arg(long = "firmware")]
    firmware: Vec<String>,
    /// Product type (default: the checklist's).
    #[arg(long, default_value = "")]
    product_type: String,
    /// Where vulnerabilities are reported.
    #[arg(long, default_value = "")]
    disclosure_contact: String,
    /// Ask for a validity end earlier than two years.
    #[arg(long)]
    valid_until: Option<NaiveDate>,
}

#[derive(clap::Args)]
pub(super) struct FeeArgs {
    /// Application id (as printed by `registry apply`).
    pub(super) application: String,
    /// Amount in yen.
    #[arg(long)]
    pub(super) amount: u64,
    /// Invoice or transfer reference.
    #[arg(long)]
    pub(super) reference: String,
    /// Payment date (YYYY-MM-DD); default today.
    #[arg(long)]
    pub(super) paid_on: Option<NaiveDate>,
}

#[derive(clap::Args)]
pub(super) struct ReportArgs {
    /// Application id (as printed by `registry apply`).
    pub(super) application: String,
    /// Organisation of the evaluation body.
    #[arg(long)]
    pub(super) body: String,
    /// The report file (its name and SHA-256 are recorded).
    #[arg(long)]
    pub(super) file: PathBuf,
    /// Summary of the evaluation report.
    #[arg(long)]
    pub(super) summary: String,
    /// pass or fail.
    #[arg(long)]
    pub(super) verdict: VerdictArg,
    /// The level the evaluation covered: 3 or 4.
    #[arg(long)]
    pub(super) level: Level,
}

pub(super) async fn apply(s: &Session, a: ApplyArgs) -> anyhow::Result<ExitCode> {
    let checklist = intake::read_checklist(&a.checklist)?;
    let vendor = match s.acting(Role::Vendor, a.org.clone()).await {
        Ok(v) => v,
        Err(e) => return Ok(s.failed(e)),
    };
    let typed = intake::Typed {
        org: a.org,
        level: a.level,
        applicant: Applicant {
            company: a.company,
            address: a.address,
            contact: a.contact,
        },
        product: jcstar_registry::Product {
            name: a.product,
            model_numbers: a.models,
            firmware_versions: a.firmware,
            product_type: a.product_type,
        },
        disclosure_contact: a.disclosure_contact,
        requested_valid_until: a.valid_until,
    };
    Ok(s.app(
        s.reg
            .submit_application(&vendor, typed.submission(checklist))
            .await,
    ))
}

pub(super) async fn inquiry(s: &Session, cmd: InquiryCmd) -> ExitCode {
    let (reg, op) = (&s.reg, &s.op);
    match cmd {
        InquiryCmd::Request {
            application,
            reference,
        } => s.app(reg.request_inquiry(op, &application, &reference).await),
        InquiryCmd::Answer {
            application,
            clear: _,
            concern,
            reference,
        } => {
            let outcome = if concern {
                InquiryOutcome::Concern
            } else {
                InquiryOutcome::Clear
            };
            s.app(
                reg.answer_inquiry(op, &application, outcome, &reference)
                    .await,
            )
        }
    }
}

pub(super) async fn fee(s: &Session, a: FeeArgs) -> ExitCode {
    let fee = Fee {
        amount_yen: a.amount,
        paid_on: a.paid_on.unwrap_or_else(|| s.reg.today()),
        reference: a.reference,
    };
    s.app(s.reg.record_fee(&s.op, &a.application, fee).await)
}

pub(super) async fn report(s: &Session, a: ReportArgs) -> anyhow::Result<ExitCode> {
    let verdict = match a.verdict {
        VerdictArg::Pass => Verdict::Pass,
        VerdictArg::Fail => Verdict::Fail,
    };
    let file = &a.file;
    let report =
        intake::evaluation_report(file, a.summary, verdict, a.level).with_context(|| {
            match s.lang {
                Lang::Ja => format!("{} を読めませんでした", file.display()),
                Lang::En => format!("reading {}", file.display()),
            }
        })?;
    let actor = match s.acting(Role::EvaluationBody, a.body).await {
        Ok(a) => a,
        Err(e) => return Ok(s.failed(e)),
    };
    Ok(s.app(
        s.reg
            .attach_evaluation_report(&actor, &a.application, report)
            .await,
    ))
}

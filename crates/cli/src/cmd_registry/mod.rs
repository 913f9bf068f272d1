//! `jcstar registry` (operator tasks from the shell) and `jcstar demo`.
//!
//! The shell has direct access to the database. Commands that change the
//! registry record who made the change: a named person given with
//! `--as NAME` (as the operator; for `apply` the vendor `--org`, for
//! `report` the evaluation body `--body`) or an API token with `--token`.
//! They refuse to act anonymously.
//! Exit codes: 0 done, 1 refused (illegal transition, failed check, not
//! allowed), 2 bad input or I/O.
//!
//! This file declares the commands and dispatches them; the steps that
//! take more than one call live in one file per family (tokens,
//! applications, labels, surveillance, export), the texts in `text.rs`.

mod applications;
mod export;
mod labels;
mod security;
mod session;
mod surveillance;
mod text;
mod tokens;

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Subcommand;
use jcstar_registry::{Role, intake};

use crate::Ctx;
use applications::{ApplyArgs, FeeArgs, InquiryCmd, ReportArgs};
use export::ExportArgs;
pub use export::{DemoArgs, run_demo};
use labels::{ChangeArgs, SearchArgs};
use security::SecurityCmd;
use session::{DbArgs, Session, open, runtime};
use surveillance::SurveillanceCmd;
pub(crate) use text::{emit, failed};
use tokens::TokenCmd;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Your name: changes are recorded as made by this person.
    #[arg(long = "as", value_name = "NAME", global = true, env = "JCSTAR_AS")]
    as_name: Option<String>,
    /// Act with an API token instead (its person, role and organisation).
    #[arg(
        long,
        value_name = "TOKEN",
        global = true,
        env = "JCSTAR_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
    #[command(subcommand)]
    command: Box<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// The registry's signing keys (published at /.well-known/jcstar-keys.json).
    #[command(subcommand)]
    Keys(crate::cmd_keys::KeysCmd),
    /// Sign a file (an export, a report) with the active key: writes FILE.jws.
    Sign(crate::cmd_keys::SignArgs),
    /// API tokens: create (the secret is shown once), list, revoke.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Submit an application as the vendor `--org` (format check included).
    Apply(ApplyArgs),
    /// Record the supply-chain inquiry and its answer.
    #[command(subcommand)]
    Inquiry(InquiryCmd),
    /// Accept an application (needs an answered inquiry).
    Accept {
        /// Application id (as printed by `registry apply`).
        application: String,
        /// Required when the inquiry raised a concern.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reject an application.
    Reject {
        /// Application id (as printed by `registry apply`).
        application: String,
        /// Why: recorded in the event and shown in the public history.
        #[arg(long)]
        reason: String,
    },
    /// Record the fee as paid.
    Fee(FeeArgs),
    /// Assign an evaluation body to a ★3/★4 application.
    Assign {
        /// Application id (as printed by `registry apply`).
        application: String,
        /// The evaluation body's organisation.
        #[arg(long)]
        body: String,
    },
    /// Attach an evaluation report as the evaluation body `--body`.
    Report(ReportArgs),
    /// Issue the label of a paid application.
    Issue {
        /// Application id (as printed by `registry apply`).
        application: String,
        /// Validity end (YYYY-MM-DD), at most two years from today.
        #[arg(long)]
        valid_until: Option<NaiveDate>,
    },
    /// Extend a label by a new self-declaration.
    Extend {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
        /// New validity end; default two years from today.
        #[arg(long)]
        valid_until: Option<NaiveDate>,
        /// Reference or text of the new self-declaration.
        #[arg(long)]
        declaration: String,
    },
    /// Add model numbers or firmware versions covered by the same
    /// self-declaration (a security-relevant change needs a new application).
    Change(ChangeArgs),
    /// A label's security information: SBOM, VEX, updates, end of support
    /// (as the vendor with `--token`, or as the operator with `--as`).
    #[command(subcommand)]
    Security(SecurityCmd),
    /// Match every active label's latest SBOM against the vulnerability
    /// store and list the labels a known-exploited or high-severity
    /// (CVSS >= 7.0) vulnerability affects with no fix and no VEX settling it.
    Watch {
        /// The vulnerability store (`jcstar vulndb import`).
        #[arg(long, env = "JCSTAR_VULNDB", default_value = jcstar_vulndb::DEFAULT_PATH)]
        vulndb: String,
        /// Only show the current list (a vendor's token: its own labels).
        #[arg(long)]
        list: bool,
    },
    /// Withdraw a label.
    Withdraw {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
        /// Why: recorded in the event and shown in the public history.
        #[arg(long)]
        reason: String,
    },
    /// Open or close surveillance, or revoke.
    #[command(subcommand)]
    Surveillance(SurveillanceCmd),
    /// Show a label with its history.
    Show {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
    },
    /// Show an application.
    Application {
        /// Application id (as printed by `registry apply`).
        id: String,
    },
    /// Search labels.
    Search(SearchArgs),
    /// Export all labels as CSV, JSON or an Excel workbook.
    Export(ExportArgs),
    /// Events after a sequence number (the change feed).
    Events {
        /// Show the events after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Events shown at most.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        /// Include application events (not only label events).
        #[arg(long)]
        all: bool,
    },
    /// Reports of suspected counterfeit labels sent from the verification
    /// page or the API, newest first (with the senders' contacts).
    CounterfeitReports {
        /// Only reports in this state: open or closed.
        #[arg(long, value_parser = |s: &str| s.parse::<jcstar_registry::ReportStatus>())]
        status: Option<jcstar_registry::ReportStatus>,
        /// Page, 1-based.
        #[arg(long, default_value_t = 1)]
        page: u64,
        /// Reports per page (at most 500).
        #[arg(long, default_value_t = 50)]
        per_page: u64,
    },
    /// Close a counterfeit report with a note saying what was done.
    CounterfeitClose {
        /// The report's id (CFR-…), as listed by `counterfeit-reports`.
        id: String,
        /// What was done about it (kept with the report).
        #[arg(long)]
        note: String,
    },
    /// Check the hash chain of the event log, then replay it and compare the
    /// stored applications and labels (every differing row is named).
    Verify,
    /// Rebuild the current state from the event log.
    Rebuild,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    // Keys are files, not database rows: these two never open the registry.
    match *args.command {
        Cmd::Keys(cmd) => Ok(crate::cmd_keys::run_keys(ctx, cmd, args.json)),
        Cmd::Sign(sign) => Ok(crate::cmd_keys::run_sign(ctx, sign, args.json)),
        command => runtime(ctx.lang)?.block_on(run_async(
            ctx,
            Args {
                command: Box::new(command),
                ..args
            },
        )),
    }
}

async fn run_async(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let reg = open(&args.db, ctx.lang).await?;
    let mut s = Session {
        reg,
        op: intake::shell_reader(),
        json: args.json,
        lang: ctx.lang,
        token: args.token,
        as_name: args.as_name,
    };
    let command = *args.command;
    let writes = !matches!(
        command,
        Cmd::Token(_)
            | Cmd::Keys(_)
            | Cmd::Sign(_)
            | Cmd::Show { .. }
            | Cmd::Application { .. }
            | Cmd::Search(_)
            | Cmd::Export(_)
            | Cmd::Events { .. }
            | Cmd::CounterfeitReports { .. }
            | Cmd::Verify
            | Cmd::Rebuild
    );
    // Reads act as the operator at the shell; writes need a named person.
    if writes {
        match s.acting(Role::Operator, "operator".into()).await {
            Ok(a) => s.op = a,
            Err(e) => {
                let code = s.failed(e);
                s.reg.close().await;
                return Ok(code);
            }
        }
    }
    let code = dispatch(&s, command).await;
    s.reg.close().await;
    code
}

async fn dispatch(s: &Session, command: Cmd) -> anyhow::Result<ExitCode> {
    let (reg, op) = (&s.reg, &s.op);
    Ok(match command {
        // Answered in `run` before the database is opened.
        Cmd::Keys(_) | Cmd::Sign(_) => ExitCode::from(2),
        Cmd::Token(c) => tokens::run(s, c).await,
        Cmd::Apply(a) => applications::apply(s, a).await?,
        Cmd::Inquiry(c) => applications::inquiry(s, c).await,
        Cmd::Accept {
            application,
            reason,
        } => s.app(
            reg.accept_application(op, &application, reason.as_deref())
                .await,
        ),
        Cmd::Reject {
            application,
            reason,
        } => s.app(reg.reject_application(op, &application, &reason).await),
        Cmd::Fee(a) => applications::fee(s, a).await,
        Cmd::Assign { application, body } => {
            s.app(reg.assign_evaluation_body(op, &application, &body).await)
        }
        Cmd::Report(a) => applications::report(s, a).await?,
        Cmd::Issue {
            application,
            valid_until,
        } => s.label(reg.issue_label(op, &application, valid_until).await),
        Cmd::Extend {
            number,
            valid_until,
            declaration,
        } => s.label(
            reg.extend_label(op, &number, valid_until, &declaration)
                .await,
        ),
        Cmd::Change(a) => labels::change(s, a).await,
        Cmd::Withdraw { number, reason } => s.label(reg.withdraw_label(op, &number, &reason).await),
        Cmd::Surveillance(c) => surveillance::run(s, c).await,
        Cmd::Security(c) => security::run(s, c).await?,
        Cmd::Watch { vulndb, list } => security::watch(s, &vulndb, list).await?,
        Cmd::Show { number } => labels::show(s, &number).await,
        Cmd::Application { id } => s.app(reg.application(op, &id).await),
        Cmd::Search(a) => labels::search(s, a).await,
        Cmd::Export(a) => export::export(s, a).await?,
        Cmd::Events { after, limit, all } => export::events(s, after, limit, all).await,
        Cmd::Verify => export::verify(s).await,
        Cmd::CounterfeitReports {
            status,
            page,
            per_page,
        } => crate::cmd_counterfeit::list(reg, op, status, page, per_page, s.json, s.lang).await,
        Cmd::CounterfeitClose { id, note } => {
            crate::cmd_counterfeit::close(reg, op, &id, &note, s.json, s.lang).await
        }
        Cmd::Rebuild => export::rebuild(s).await,
    })
}

//! `jcstar registry` (operator tasks from the shell) and `jcstar demo`.
//!
//! The shell has direct access to the database. Commands that change the
//! registry record who made the change: a named person given with
//! `--as NAME` (as the operator; for `apply` the vendor `--org`, for
//! `report` the evaluation body `--body`) or an API token with `--token`.
//! They refuse to act anonymously.
//! Exit codes: 0 done, 1 refused (illegal transition, failed check, not
//! allowed), 2 bad input or I/O.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use jcstar_registry::{
    Applicant, ExportFormat, Fee, FeedScope, InquiryOutcome, Level, Registry, Role, SearchQuery,
    SurveillanceOrder, Verdict, intake,
};
use serde::Serialize;

use crate::Ctx;

/// Where the registry lives.
#[derive(clap::Args, Clone)]
pub struct DbArgs {
    /// Database URL: sqlite://PATH (created if missing) or postgres://USER@HOST:PORT/DB.
    #[arg(
        long,
        global = true,
        env = "JCSTAR_DATABASE",
        default_value = jcstar_registry::DEFAULT_DATABASE_URL
    )]
    database: String,
}

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
    Fee {
        /// Application id (as printed by `registry apply`).
        application: String,
        /// Amount in yen.
        #[arg(long)]
        amount: u64,
        /// Invoice or transfer reference.
        #[arg(long)]
        reference: String,
        /// Payment date (YYYY-MM-DD); default today.
        #[arg(long)]
        paid_on: Option<NaiveDate>,
    },
    /// Assign an evaluation body to a ★3/★4 application.
    Assign {
        /// Application id (as printed by `registry apply`).
        application: String,
        /// The evaluation body's organisation.
        #[arg(long)]
        body: String,
    },
    /// Attach an evaluation report as the evaluation body `--body`.
    Report {
        /// Application id (as printed by `registry apply`).
        application: String,
        /// Organisation of the evaluation body.
        #[arg(long)]
        body: String,
        /// The report file (its name and SHA-256 are recorded).
        #[arg(long)]
        file: PathBuf,
        /// Summary of the evaluation report.
        #[arg(long)]
        summary: String,
        /// pass or fail.
        #[arg(long)]
        verdict: VerdictArg,
        /// The level the evaluation covered: 3 or 4.
        #[arg(long)]
        level: Level,
    },
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
    Change {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
        /// Model number to add (repeat for several).
        #[arg(long = "add-model")]
        add_models: Vec<String>,
        /// Firmware version to add (repeat for several).
        #[arg(long = "add-firmware")]
        add_firmware: Vec<String>,
        /// The product changed, when the label covers several.
        #[arg(long)]
        product: Option<String>,
        /// The change touches a security function (it is then refused:
        /// apply anew).
        #[arg(long)]
        security_relevant: bool,
        /// Why: recorded in the event and shown in the public history.
        #[arg(long)]
        reason: String,
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
    Show { number: String },
    /// Show an application.
    Application { id: String },
    /// Search labels.
    Search {
        /// Text in company, product, model number or registration number.
        text: Option<String>,
        /// Applicant company name (search: substring).
        #[arg(long)]
        company: Option<String>,
        /// Product name (search: substring).
        #[arg(long)]
        product: Option<String>,
        /// Model number (search: substring; hyphens, spaces and dots ignored).
        #[arg(long)]
        model: Option<String>,
        /// How --model is compared: contains, prefix or exact.
        #[arg(long, default_value = "contains")]
        model_match: jcstar_registry::ModelMatch,
        /// Product type (search: substring).
        #[arg(long = "type")]
        product_type: Option<String>,
        /// Registration number or its beginning.
        #[arg(long)]
        number: Option<String>,
        /// Label level: 1, 2, 3 or 4.
        #[arg(long)]
        level: Option<Level>,
        #[arg(long)]
        status: Option<jcstar_registry::LabelStatus>,
        #[arg(long, default_value_t = 20)]
        limit: u64,
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// Export all labels as CSV, JSON or an Excel workbook.
    Export {
        #[arg(
            long,
            conflicts_with_all = ["json_format", "xlsx"],
            required_unless_present_any = ["json_format", "xlsx"]
        )]
        /// Write CSV.
        csv: bool,
        /// JSON array of labels.
        #[arg(long = "json-format", id = "json_format", conflicts_with = "xlsx")]
        json_format: bool,
        /// Excel workbook: one sheet, header in the language of --lang,
        /// dates as dates, filters on the header row.
        #[arg(long)]
        xlsx: bool,
        /// CSV for Excel: starts with a UTF-8 byte order mark, so Japanese
        /// text opens ungarbled. (Cells that a spreadsheet would take for a
        /// formula are prefixed with ' in every CSV export.)
        #[arg(long, requires = "csv")]
        excel: bool,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Events after a sequence number (the change feed).
    Events {
        #[arg(long, default_value_t = 0)]
        after: i64,
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

#[derive(Subcommand)]
enum TokenCmd {
    /// Create a token; its secret is printed once.
    Create {
        /// vendor, evaluation-body or operator.
        #[arg(long)]
        role: Role,
        /// The organisation (not needed for the operator).
        #[arg(long, default_value = "")]
        org: String,
        /// The person of the organisation the token belongs to.
        #[arg(long, value_name = "PERSON")]
        name: String,
        /// Days until the token expires (1 to 366).
        #[arg(long, default_value_t = jcstar_registry::TOKEN_DEFAULT_DAYS)]
        valid_days: u32,
    },
    List,
    Revoke {
        /// Token id (as printed by `token list`).
        id: String,
    },
}

#[derive(Subcommand)]
enum InquiryCmd {
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

#[derive(Subcommand)]
enum SurveillanceCmd {
    /// Open surveillance: the vendor must present evidence by the deadline.
    Open {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
        /// Why: recorded in the event and shown in the public history.
        #[arg(long)]
        reason: String,
        /// Evidence the vendor must present.
        #[arg(long)]
        evidence: String,
        /// Correction deadline (YYYY-MM-DD).
        #[arg(long)]
        deadline: NaiveDate,
    },
    /// Close as cleared: the label is active again.
    Close {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
        /// Why: recorded in the event and shown in the public history.
        #[arg(long)]
        reason: String,
    },
    /// Revoke (after the correction deadline, or with --override).
    Revoke {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
        /// Why: recorded in the event and shown in the public history.
        #[arg(long)]
        reason: String,
        /// Reason to revoke before the deadline or without surveillance.
        #[arg(long = "override")]
        override_reason: Option<String>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum VerdictArg {
    Pass,
    Fail,
}

/// The checklist is the application: applicant, product, model numbers,
/// firmware versions, product type and level come from its basic-information
/// sheet. The flags only fill what the sheet leaves empty; a flag that
/// disagrees with the sheet is refused naming both values.
#[derive(clap::Args)]
struct ApplyArgs {
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

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn open(db: &DbArgs) -> anyhow::Result<Registry> {
    Registry::open(&db.database)
        .await
        .with_context(|| format!("opening the registry at {}", db.database))
}

/// Print the value as JSON or via `text`, and exit 0.
pub(crate) fn emit<T: Serialize>(
    json: bool,
    value: &T,
    text: impl FnOnce(&T) -> String,
) -> ExitCode {
    if json {
        match serde_json::to_string_pretty(value) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("jcstar: error: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        println!("{}", text(value));
    }
    ExitCode::SUCCESS
}

/// A registry error: refusals exit 1, everything else 2.
pub(crate) fn failed(json: bool, err: jcstar_registry::Error) -> ExitCode {
    let code = if err.is_refusal() { 1 } else { 2 };
    if json {
        let mut v = serde_json::json!({ "error": err.to_string(), "refused": err.is_refusal() });
        if let jcstar_registry::Error::ChecklistRefused {
            application_id,
            problems,
        } = &err
        {
            v["application_id"] = serde_json::json!(application_id);
            v["problems"] = serde_json::json!(problems);
        }
        println!("{v}");
    }
    match &err {
        jcstar_registry::Error::ChecklistRefused {
            application_id,
            problems,
        } => {
            eprintln!(
                "jcstar: refused: application {application_id}: the checklist failed the format check:"
            );
            for p in problems {
                eprintln!("  - {p}");
            }
        }
        _ if code == 1 => eprintln!("jcstar: refused: {err}"),
        _ => eprintln!("jcstar: error: {err}"),
    }
    ExitCode::from(code)
}

fn app_text(a: &jcstar_registry::Application) -> String {
    let mut s = format!(
        "{} [{}] {} {}",
        a.id, a.status, a.level, a.applicant.company
    );
    if let Some(n) = &a.label_number {
        s.push_str(&format!("\nlabel: {n}"));
    }
    for p in &a.format_problems {
        s.push_str(&format!("\n  problem: {p}"));
    }
    s
}

fn label_text(l: &jcstar_registry::Label) -> String {
    let products: Vec<String> = l
        .products
        .iter()
        .map(|p| format!("{} ({})", p.name, p.model_numbers.join(", ")))
        .collect();
    format!(
        "{} {} [{}]\n{}\n{}\nvalid {} .. {}",
        l.number,
        l.level,
        l.status,
        l.applicant.company,
        products.join("\n"),
        l.issued_on,
        l.valid_until
    )
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    // Keys are files, not database rows: these two never open the registry.
    match *args.command {
        Cmd::Keys(cmd) => Ok(crate::cmd_keys::run_keys(ctx, cmd, args.json)),
        Cmd::Sign(sign) => Ok(crate::cmd_keys::run_sign(ctx, sign, args.json)),
        command => runtime()?.block_on(run_async(
            ctx,
            Args {
                command: Box::new(command),
                ..args
            },
        )),
    }
}

async fn run_async(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let reg = open(&args.db).await?;
    let json = args.json;
    let token = args.token.clone();
    let as_name = args.as_name.clone();
    let who = |role: Role, org: String| {
        let reg = reg.clone();
        let token = token.clone();
        let as_name = as_name.clone();
        async move { intake::acting(&reg, token.as_deref(), as_name.as_deref(), role, &org).await }
    };
    let command = *args.command;
    let writes = !matches!(
        command,
        Cmd::Token(_)
            | Cmd::Keys(_)
            | Cmd::Sign(_)
            | Cmd::Show { .. }
            | Cmd::Application { .. }
            | Cmd::Search { .. }
            | Cmd::Export { .. }
            | Cmd::Events { .. }
            | Cmd::CounterfeitReports { .. }
            | Cmd::Verify
            | Cmd::Rebuild
    );
    // Reads act as the operator at the shell; writes need a named person.
    let op = if writes {
        match who(Role::Operator, "operator".into()).await {
            Ok(a) => a,
            Err(e) => {
                let code = failed(json, e);
                reg.close().await;
                return Ok(code);
            }
        }
    } else {
        intake::shell_reader()
    };
    let code = match command {
        // Answered in `run` before the database is opened.
        Cmd::Keys(_) | Cmd::Sign(_) => ExitCode::from(2),
        Cmd::Token(TokenCmd::Create {
            role,
            org,
            name,
            valid_days,
        }) => {
            match reg
                .create_token_for_days(role, &org, &name, valid_days)
                .await
            {
                Ok(t) => emit(json, &t, |t| {
                    format!(
                        "token {} ({} {:?}, {}, expires {})\n{}\n(the secret is shown only now)",
                        t.id,
                        t.role,
                        t.org,
                        t.name,
                        t.expires_at.format("%Y-%m-%d %H:%M UTC"),
                        t.plaintext
                    )
                }),
                Err(e) => failed(json, e),
            }
        }
        Cmd::Token(TokenCmd::List) => match reg.list_tokens().await {
            Ok(ts) => emit(json, &ts, |ts| {
                ts.iter()
                    .map(|t| {
                        format!(
                            "{} {} {:?} {} expires {}{}",
                            t.id,
                            t.role,
                            t.org,
                            t.name,
                            t.expires_at.format("%Y-%m-%d"),
                            if t.revoked_at.is_some() {
                                " (revoked)"
                            } else {
                                ""
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
            Err(e) => failed(json, e),
        },
        Cmd::Token(TokenCmd::Revoke { id }) => match reg.revoke_token(&id).await {
            Ok(t) => emit(json, &t, |t| format!("token {} revoked", t.id)),
            Err(e) => failed(json, e),
        },
        Cmd::Apply(a) => {
            let checklist = intake::read_checklist(&a.checklist)?;
            let vendor = match who(Role::Vendor, a.org.clone()).await {
                Ok(v) => v,
                Err(e) => return finish(&reg, failed(json, e)).await,
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
            match reg
                .submit_application(&vendor, typed.submission(checklist))
                .await
            {
                Ok(app) => emit(json, &app, app_text),
                Err(e) => failed(json, e),
            }
        }
        Cmd::Inquiry(InquiryCmd::Request {
            application,
            reference,
        }) => match reg.request_inquiry(&op, &application, &reference).await {
            Ok(app) => emit(json, &app, app_text),
            Err(e) => failed(json, e),
        },
        Cmd::Inquiry(InquiryCmd::Answer {
            application,
            clear: _,
            concern,
            reference,
        }) => {
            let outcome = if concern {
                InquiryOutcome::Concern
            } else {
                InquiryOutcome::Clear
            };
            match reg
                .answer_inquiry(&op, &application, outcome, &reference)
                .await
            {
                Ok(app) => emit(json, &app, app_text),
                Err(e) => failed(json, e),
            }
        }
        Cmd::Accept {
            application,
            reason,
        } => match reg
            .accept_application(&op, &application, reason.as_deref())
            .await
        {
            Ok(app) => emit(json, &app, app_text),
            Err(e) => failed(json, e),
        },
        Cmd::Reject {
            application,
            reason,
        } => match reg.reject_application(&op, &application, &reason).await {
            Ok(app) => emit(json, &app, app_text),
            Err(e) => failed(json, e),
        },
        Cmd::Fee {
            application,
            amount,
            reference,
            paid_on,
        } => {
            let fee = Fee {
                amount_yen: amount,
                paid_on: paid_on.unwrap_or_else(|| reg.today()),
                reference,
            };
            match reg.record_fee(&op, &application, fee).await {
                Ok(app) => emit(json, &app, app_text),
                Err(e) => failed(json, e),
            }
        }
        Cmd::Assign { application, body } => {
            match reg.assign_evaluation_body(&op, &application, &body).await {
                Ok(app) => emit(json, &app, app_text),
                Err(e) => failed(json, e),
            }
        }
        Cmd::Report {
            application,
            body,
            file,
            summary,
            verdict,
            level,
        } => {
            let verdict = match verdict {
                VerdictArg::Pass => Verdict::Pass,
                VerdictArg::Fail => Verdict::Fail,
            };
            let report = intake::evaluation_report(&file, summary, verdict, level)
                .with_context(|| format!("reading {}", file.display()))?;
            let actor = match who(Role::EvaluationBody, body).await {
                Ok(a) => a,
                Err(e) => return finish(&reg, failed(json, e)).await,
            };
            match reg
                .attach_evaluation_report(&actor, &application, report)
                .await
            {
                Ok(app) => emit(json, &app, app_text),
                Err(e) => failed(json, e),
            }
        }
        Cmd::Issue {
            application,
            valid_until,
        } => match reg.issue_label(&op, &application, valid_until).await {
            Ok(l) => emit(json, &l, label_text),
            Err(e) => failed(json, e),
        },
        Cmd::Extend {
            number,
            valid_until,
            declaration,
        } => match reg
            .extend_label(&op, &number, valid_until, &declaration)
            .await
        {
            Ok(l) => emit(json, &l, label_text),
            Err(e) => failed(json, e),
        },
        Cmd::Change {
            number,
            add_models,
            add_firmware,
            product,
            security_relevant,
            reason,
        } => {
            let change = jcstar_registry::LabelChange {
                product,
                add_model_numbers: add_models,
                add_firmware_versions: add_firmware,
                security_relevant,
                reason,
            };
            match reg.change_label(&op, &number, change).await {
                Ok(l) => emit(json, &l, label_text),
                Err(e) => failed(json, e),
            }
        }
        Cmd::Withdraw { number, reason } => match reg.withdraw_label(&op, &number, &reason).await {
            Ok(l) => emit(json, &l, label_text),
            Err(e) => failed(json, e),
        },
        Cmd::Surveillance(s) => {
            let r = match s {
                SurveillanceCmd::Open {
                    number,
                    reason,
                    evidence,
                    deadline,
                } => {
                    let order = SurveillanceOrder {
                        reason,
                        evidence_demanded: evidence,
                        correction_deadline: deadline,
                    };
                    reg.open_surveillance(&op, &number, order).await
                }
                SurveillanceCmd::Close { number, reason } => {
                    reg.close_surveillance(&op, &number, &reason).await
                }
                SurveillanceCmd::Revoke {
                    number,
                    reason,
                    override_reason,
                } => {
                    reg.revoke_label(&op, &number, &reason, override_reason.as_deref())
                        .await
                }
            };
            match r {
                Ok(l) => emit(json, &l, label_text),
                Err(e) => failed(json, e),
            }
        }
        Cmd::Show { number } => match reg.product_page(&number).await {
            Ok(page) => emit(json, &page, |p| {
                let mut s = label_text(&p.label);
                s.push_str("\nhistory:");
                for h in &p.history {
                    s.push_str(&format!(
                        "\n  {} {} -> {}{}",
                        h.at.format("%Y-%m-%d %H:%M"),
                        h.kind,
                        h.status,
                        h.reason
                            .as_deref()
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    ));
                }
                s
            }),
            Err(e) => failed(json, e),
        },
        Cmd::Application { id } => match reg.application(&op, &id).await {
            Ok(app) => emit(json, &app, app_text),
            Err(e) => failed(json, e),
        },
        Cmd::Search {
            text,
            company,
            product,
            model,
            model_match,
            product_type,
            number,
            level,
            status,
            limit,
            offset,
        } => {
            let q = SearchQuery {
                text,
                company,
                product,
                model,
                model_match,
                product_type,
                number,
                level,
                status,
                offset,
                limit,
                ..SearchQuery::default()
            };
            match reg.search(&q).await {
                Ok(page) => emit(json, &page, |p| {
                    std::iter::once(format!("{} labels", p.total))
                        .chain(p.items.iter().map(|i| {
                            format!(
                                "{} {} [{}] {} — {}",
                                i.number,
                                i.level,
                                i.status,
                                i.company,
                                i.products.join(", ")
                            )
                        }))
                        .collect::<Vec<_>>()
                        .join("\n")
                }),
                Err(e) => failed(json, e),
            }
        }
        Cmd::Export {
            csv,
            json_format: _,
            xlsx,
            excel,
            output,
        } => {
            let r = if xlsx {
                reg.export_xlsx(&output, ctx.lang).await
            } else {
                let file = std::fs::File::create(&output)
                    .with_context(|| format!("creating {}", output.display()))?;
                let format = match (csv, excel) {
                    (true, true) => ExportFormat::CsvExcel,
                    (true, false) => ExportFormat::Csv,
                    (false, _) => ExportFormat::Json,
                };
                reg.export(format, std::io::BufWriter::new(file)).await
            };
            match r {
                Ok(n) => emit(
                    json,
                    &serde_json::json!({ "labels": n, "file": output.display().to_string() }),
                    |_| format!("{n} labels written to {}", output.display()),
                ),
                Err(e) => failed(json, e),
            }
        }
        Cmd::Events { after, limit, all } => {
            let scope = if all {
                FeedScope::All
            } else {
                FeedScope::Labels
            };
            match reg.events_since(scope, after, None, limit).await {
                Ok(page) => emit(json, &page, |p| {
                    p.events
                        .iter()
                        .map(|e| {
                            format!(
                                "{} {} {} {}",
                                e.seq,
                                e.at.format("%Y-%m-%dT%H:%M:%SZ"),
                                e.kind,
                                e.label_number
                                    .as_deref()
                                    .or(e.application_id.as_deref())
                                    .unwrap_or("")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                }),
                Err(e) => failed(json, e),
            }
        }
        Cmd::Verify => match reg.verify().await {
            Ok(report) => {
                let code = emit(json, &report, |r| r.text());
                if report.ok { code } else { ExitCode::from(1) }
            }
            Err(e) => failed(json, e),
        },
        Cmd::CounterfeitReports {
            status,
            page,
            per_page,
        } => crate::cmd_counterfeit::list(&reg, &op, status, page, per_page, json, ctx.lang).await,
        Cmd::CounterfeitClose { id, note } => {
            crate::cmd_counterfeit::close(&reg, &op, &id, &note, json, ctx.lang).await
        }
        Cmd::Rebuild => match reg.rebuild().await {
            Ok(r) => emit(json, &r, |r| {
                format!(
                    "rebuilt from {} events: {} applications, {} labels",
                    r.events, r.applications, r.labels
                )
            }),
            Err(e) => failed(json, e),
        },
    };
    reg.close().await;
    Ok(code)
}

async fn finish(reg: &Registry, code: ExitCode) -> anyhow::Result<ExitCode> {
    reg.close().await;
    Ok(code)
}

#[derive(clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Print machine-readable JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run_demo(_ctx: &Ctx, args: DemoArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let reg = open(&args.db).await?;
        let code = match jcstar_registry::seed_demo(&reg).await {
            Ok(numbers) => emit(
                args.json,
                &serde_json::json!({ "database": args.db.database, "labels": numbers }),
                |_| {
                    format!(
                        "demo registry filled at {}: {} labels\n{}",
                        args.db.database,
                        numbers.len(),
                        numbers.join("\n")
                    )
                },
            ),
            Err(e) => failed(args.json, e),
        };
        reg.close().await;
        Ok(code)
    })
}

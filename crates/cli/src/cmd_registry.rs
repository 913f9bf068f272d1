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
use jcstar_criteria::Lang;
use jcstar_registry::{
    Applicant, ApplicationStatus, ExportFormat, Fee, FeedScope, InquiryOutcome, Level, Registry,
    Role, SearchQuery, SurveillanceOrder, Verdict, intake,
};
use serde::Serialize;

use crate::Ctx;
use jcstar_web::i18n::event_text;

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
        /// Label status: active, expired, withdrawn, revoked or
        /// under_surveillance.
        #[arg(long)]
        status: Option<jcstar_registry::LabelStatus>,
        /// Labels shown at most.
        #[arg(long, default_value_t = 20)]
        limit: u64,
        /// Labels skipped first (for the next page).
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
    /// List the tokens (without their secrets).
    List,
    /// Revoke a token.
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

fn runtime(lang: Lang) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context(tr(
            lang,
            "非同期ランタイムを起動できませんでした",
            "starting the async runtime",
        ))
}

async fn open(db: &DbArgs, lang: Lang) -> anyhow::Result<Registry> {
    Registry::open(&db.database)
        .await
        .with_context(|| match lang {
            Lang::Ja => format!("登録簿 {} を開けませんでした", db.database),
            Lang::En => format!("opening the registry at {}", db.database),
        })
}

/// `ja` or `en`, whichever `lang` is.
pub(crate) fn tr(lang: Lang, ja: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

/// Print the value as JSON or via `text`, and exit 0.
pub(crate) fn emit<T: Serialize>(
    json: bool,
    lang: Lang,
    value: &T,
    text: impl FnOnce(&T) -> String,
) -> ExitCode {
    if json {
        match serde_json::to_string_pretty(value) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("{}: {e}", tr(lang, "jcstar: エラー", "jcstar: error"));
                return ExitCode::from(2);
            }
        }
    } else {
        println!("{}", text(value));
    }
    ExitCode::SUCCESS
}

/// A registry error: refusals exit 1, everything else 2. The error's own
/// text comes from the registry as it is.
pub(crate) fn failed(json: bool, lang: Lang, err: jcstar_registry::Error) -> ExitCode {
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
    let refused = tr(lang, "jcstar: 受け付けられません", "jcstar: refused");
    match &err {
        jcstar_registry::Error::ChecklistRefused {
            application_id,
            problems,
        } => {
            match lang {
                Lang::Ja => eprintln!(
                    "{refused}: 申請 {application_id}: チェックリストが形式確認を通りませんでした:"
                ),
                Lang::En => eprintln!(
                    "{refused}: application {application_id}: the checklist failed the format check:"
                ),
            }
            for p in problems {
                eprintln!("  - {p}");
            }
        }
        _ if code == 1 => eprintln!("{refused}: {err}"),
        _ => eprintln!("{}: {err}", tr(lang, "jcstar: エラー", "jcstar: error")),
    }
    ExitCode::from(code)
}

/// An application's status as people read it.
fn app_status_text(s: ApplicationStatus, lang: Lang) -> &'static str {
    use ApplicationStatus::*;
    match lang {
        Lang::En => s.as_str(),
        Lang::Ja => match s {
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

/// Japanese from the pages' words; English as the registry spells it.
fn status_text(s: jcstar_registry::LabelStatus, lang: Lang) -> String {
    match lang {
        Lang::Ja => s.text(lang).to_string(),
        Lang::En => s.to_string(),
    }
}

fn kind_text(k: jcstar_registry::EventKind, lang: Lang) -> String {
    match lang {
        Lang::Ja => event_text(k, lang).to_string(),
        Lang::En => k.to_string(),
    }
}

fn role_text(r: Role, lang: Lang) -> String {
    match (lang, r) {
        (Lang::En, r) => r.to_string(),
        (Lang::Ja, Role::Public) => "一般".into(),
        (Lang::Ja, Role::Vendor) => "申請事業者".into(),
        (Lang::Ja, Role::EvaluationBody) => "評価機関".into(),
        (Lang::Ja, Role::Operator) => "制度運営機関".into(),
    }
}

fn app_text(a: &jcstar_registry::Application, lang: Lang) -> String {
    let mut s = format!(
        "{} [{}] {} {}",
        a.id,
        app_status_text(a.status, lang),
        a.level,
        a.applicant.company
    );
    if let Some(n) = &a.label_number {
        s.push_str(&format!("\n{}: {n}", tr(lang, "ラベル", "label")));
    }
    for p in &a.format_problems {
        s.push_str(&format!("\n  {}: {p}", tr(lang, "不備", "problem")));
    }
    s
}

fn label_text(l: &jcstar_registry::Label, lang: Lang) -> String {
    let products: Vec<String> = l
        .products
        .iter()
        .map(|p| format!("{} ({})", p.name, p.model_numbers.join(", ")))
        .collect();
    let valid = match lang {
        Lang::Ja => format!("有効期間 {} 〜 {}", l.issued_on, l.valid_until),
        Lang::En => format!("valid {} .. {}", l.issued_on, l.valid_until),
    };
    format!(
        "{} {} [{}]\n{}\n{}\n{valid}",
        l.number,
        l.level,
        status_text(l.status, lang),
        l.applicant.company,
        products.join("\n"),
    )
}

/// `registry verify` in a few lines: the chain's head or its first broken
/// link, then the state's counts or every differing row.
fn verify_text(r: &jcstar_registry::VerifyReport, lang: Lang) -> String {
    let (chain, state) = (&r.chain, &r.state);
    let mut s = match (&chain.first_broken, lang) {
        (None, Lang::Ja) => format!(
            "ハッシュチェーンは完全です: イベント {} 件、先頭 {}",
            chain.events, chain.head_hash
        ),
        (None, Lang::En) => format!(
            "hash chain intact: {} events, head {}",
            chain.events, chain.head_hash
        ),
        (Some(b), Lang::Ja) => format!(
            "ハッシュチェーンがイベント {} で壊れています: {}",
            b.seq, b.problem
        ),
        (Some(b), Lang::En) => format!("hash chain BROKEN at event {}: {}", b.seq, b.problem),
    };
    match (state.ok(), lang) {
        (true, Lang::Ja) => s.push_str(&format!(
            "\n保存されている状態はイベントログと一致します: 申請 {} 件、ラベル {} 件",
            state.applications, state.labels
        )),
        (true, Lang::En) => s.push_str(&format!(
            "\nstored state matches the log: {} applications, {} labels",
            state.applications, state.labels
        )),
        (false, Lang::Ja) => s.push_str(&format!(
            "\n保存されている状態がイベントログと {} か所で食い違っています（修復: jcstar registry rebuild）:",
            state.differences.len()
        )),
        (false, Lang::En) => s.push_str(&format!(
            "\nstored state DIFFERS from the log in {} places (repair: jcstar registry rebuild):",
            state.differences.len()
        )),
    }
    if !state.ok() {
        for d in &state.differences {
            s.push_str(&format!("\n  {} {}: {}", d.table, d.key, d.problem));
        }
    }
    s
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
    let json = args.json;
    let lang = ctx.lang;
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
                let code = failed(json, lang, e);
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
                Ok(t) => emit(json, lang, &t, |t| {
                    let expires = t.expires_at.format("%Y-%m-%d %H:%M UTC");
                    let role = role_text(t.role, lang);
                    match lang {
                        Lang::Ja => format!(
                            "トークン {}（{role} {:?}、{}、有効期限 {expires}）\n{}\n（この秘密の値が表示されるのは今回だけです）",
                            t.id, t.org, t.name, t.plaintext
                        ),
                        Lang::En => format!(
                            "token {} ({role} {:?}, {}, expires {expires})\n{}\n(the secret is shown only now)",
                            t.id, t.org, t.name, t.plaintext
                        ),
                    }
                }),
                Err(e) => failed(json, lang, e),
            }
        }
        Cmd::Token(TokenCmd::List) => match reg.list_tokens().await {
            Ok(ts) => emit(json, lang, &ts, |ts| {
                ts.iter()
                    .map(|t| {
                        format!(
                            "{} {} {:?} {} {} {}{}",
                            t.id,
                            role_text(t.role, lang),
                            t.org,
                            t.name,
                            tr(lang, "有効期限", "expires"),
                            t.expires_at.format("%Y-%m-%d"),
                            if t.revoked_at.is_some() {
                                tr(lang, "（失効済み）", " (revoked)")
                            } else {
                                ""
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
            Err(e) => failed(json, lang, e),
        },
        Cmd::Token(TokenCmd::Revoke { id }) => match reg.revoke_token(&id).await {
            Ok(t) => emit(json, lang, &t, |t| match lang {
                Lang::Ja => format!("トークン {} を失効させました", t.id),
                Lang::En => format!("token {} revoked", t.id),
            }),
            Err(e) => failed(json, lang, e),
        },
        Cmd::Apply(a) => {
            let checklist = intake::read_checklist(&a.checklist)?;
            let vendor = match who(Role::Vendor, a.org.clone()).await {
                Ok(v) => v,
                Err(e) => return finish(&reg, failed(json, lang, e)).await,
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
                Ok(app) => emit(json, lang, &app, |a| app_text(a, lang)),
                Err(e) => failed(json, lang, e),
            }
        }
        Cmd::Inquiry(InquiryCmd::Request {
            application,
            reference,
        }) => match reg.request_inquiry(&op, &application, &reference).await {
            Ok(app) => emit(json, lang, &app, |a| app_text(a, lang)),
            Err(e) => failed(json, lang, e),
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
                Ok(app) => emit(json, lang, &app, |a| app_text(a, lang)),
                Err(e) => failed(json, lang, e),
            }
        }
        Cmd::Accept {
            application,
            reason,
        } => match reg
            .accept_application(&op, &application, reason.as_deref())
            .await
        {
            Ok(app) => emit(json, lang, &app, |a| app_text(a, lang)),
            Err(e) => failed(json, lang, e),
        },
        Cmd::Reject {
            application,
            reason,
        } => match reg.reject_application(&op, &application, &reason).await {
            Ok(app) => emit(json, lang, &app, |a| app_text(a, lang)),
            Err(e) => failed(json, lang, e),
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
                Ok(app) => emit(json, lang, &app, |a| app_text(a, lang)),
                Err(e) => failed(json, lang, e),
            }
        }
        Cmd::Assign { application, body } => {
            match reg.assign_evaluation_body(&op, &application, &body).await {
                Ok(app) => emit(json, lang, &app, |a| app_text(a, lang)),
                Err(e) => failed(json, lang, e),
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
            let report =
                intake::evaluation_report(&file, summary, verdict, level).with_context(|| {
                    match lang {
                        Lang::Ja => format!("{} を読めませんでした", file.display()),
                        Lang::En => format!("reading {}", file.display()),
                    }
                })?;
            let actor = match who(Role::EvaluationBody, body).await {
                Ok(a) => a,
                Err(e) => return finish(&reg, failed(json, lang, e)).await,
            };
            match reg
                .attach_evaluation_report(&actor, &application, report)
                .await
            {
                Ok(app) => emit(json, lang, &app, |a| app_text(a, lang)),
                Err(e) => failed(json, lang, e),
            }
        }
        Cmd::Issue {
            application,
            valid_until,
        } => match reg.issue_label(&op, &application, valid_until).await {
            Ok(l) => emit(json, lang, &l, |l| label_text(l, lang)),
            Err(e) => failed(json, lang, e),
        },
        Cmd::Extend {
            number,
            valid_until,
            declaration,
        } => match reg
            .extend_label(&op, &number, valid_until, &declaration)
            .await
        {
            Ok(l) => emit(json, lang, &l, |l| label_text(l, lang)),
            Err(e) => failed(json, lang, e),
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
                Ok(l) => emit(json, lang, &l, |l| label_text(l, lang)),
                Err(e) => failed(json, lang, e),
            }
        }
        Cmd::Withdraw { number, reason } => match reg.withdraw_label(&op, &number, &reason).await {
            Ok(l) => emit(json, lang, &l, |l| label_text(l, lang)),
            Err(e) => failed(json, lang, e),
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
                Ok(l) => emit(json, lang, &l, |l| label_text(l, lang)),
                Err(e) => failed(json, lang, e),
            }
        }
        Cmd::Show { number } => match reg.product_page(&number).await {
            Ok(page) => emit(json, lang, &page, |p| {
                let mut s = label_text(&p.label, lang);
                s.push_str(tr(lang, "\n履歴:", "\nhistory:"));
                for h in &p.history {
                    s.push_str(&format!(
                        "\n  {} {} -> {}{}",
                        h.at.format("%Y-%m-%d %H:%M"),
                        kind_text(h.kind, lang),
                        status_text(h.status, lang),
                        h.reason
                            .as_deref()
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    ));
                }
                s
            }),
            Err(e) => failed(json, lang, e),
        },
        Cmd::Application { id } => match reg.application(&op, &id).await {
            Ok(app) => emit(json, lang, &app, |a| app_text(a, lang)),
            Err(e) => failed(json, lang, e),
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
                Ok(page) => emit(json, lang, &page, |p| {
                    std::iter::once(match lang {
                        Lang::Ja => format!("ラベル {} 件", p.total),
                        Lang::En => format!("{} labels", p.total),
                    })
                    .chain(p.items.iter().map(|i| {
                        format!(
                            "{} {} [{}] {} — {}",
                            i.number,
                            i.level,
                            status_text(i.status, lang),
                            i.company,
                            i.products.join(", ")
                        )
                    }))
                    .collect::<Vec<_>>()
                    .join("\n")
                }),
                Err(e) => failed(json, lang, e),
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
                let file = std::fs::File::create(&output).with_context(|| match lang {
                    Lang::Ja => format!("{} を作成できませんでした", output.display()),
                    Lang::En => format!("creating {}", output.display()),
                })?;
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
                    lang,
                    &serde_json::json!({ "labels": n, "file": output.display().to_string() }),
                    |_| match lang {
                        Lang::Ja => {
                            format!("ラベル {n} 件を {} に書き出しました", output.display())
                        }
                        Lang::En => format!("{n} labels written to {}", output.display()),
                    },
                ),
                Err(e) => failed(json, lang, e),
            }
        }
        Cmd::Events { after, limit, all } => {
            let scope = if all {
                FeedScope::All
            } else {
                FeedScope::Labels
            };
            match reg.events_since(scope, after, None, limit).await {
                Ok(page) => emit(json, lang, &page, |p| {
                    p.events
                        .iter()
                        .map(|e| {
                            format!(
                                "{} {} {} {}",
                                e.seq,
                                e.at.format("%Y-%m-%dT%H:%M:%SZ"),
                                kind_text(e.kind, lang),
                                e.label_number
                                    .as_deref()
                                    .or(e.application_id.as_deref())
                                    .unwrap_or("")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                }),
                Err(e) => failed(json, lang, e),
            }
        }
        Cmd::Verify => match reg.verify().await {
            Ok(report) => {
                let code = emit(json, lang, &report, |r| verify_text(r, lang));
                if report.ok { code } else { ExitCode::from(1) }
            }
            Err(e) => failed(json, lang, e),
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
            Ok(r) => emit(json, lang, &r, |r| match lang {
                Lang::Ja => format!(
                    "イベント {} 件から作り直しました: 申請 {} 件、ラベル {} 件",
                    r.events, r.applications, r.labels
                ),
                Lang::En => format!(
                    "rebuilt from {} events: {} applications, {} labels",
                    r.events, r.applications, r.labels
                ),
            }),
            Err(e) => failed(json, lang, e),
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

pub fn run_demo(ctx: &Ctx, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let lang = ctx.lang;
    runtime(lang)?.block_on(async {
        let reg = open(&args.db, lang).await?;
        let code = match jcstar_registry::seed_demo(&reg).await {
            Ok(numbers) => emit(
                args.json,
                lang,
                &serde_json::json!({ "database": args.db.database, "labels": numbers }),
                |_| {
                    let head = match lang {
                        Lang::Ja => format!(
                            "デモ用の登録簿を {} に作りました: ラベル {} 件",
                            args.db.database,
                            numbers.len()
                        ),
                        Lang::En => format!(
                            "demo registry filled at {}: {} labels",
                            args.db.database,
                            numbers.len()
                        ),
                    };
                    format!("{head}\n{}", numbers.join("\n"))
                },
            ),
            Err(e) => failed(args.json, lang, e),
        };
        reg.close().await;
        Ok(code)
    })
}

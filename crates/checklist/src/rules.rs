//! The rules that decide whether a checklist supports a ★1 application.
//!
//! The operator checks the checklist's form, not the product (seed 002 §1.3
//! and §2.2), so these rules are about completeness and consistency: every
//! criterion answered once, NA and deemed-met only where the catalog allows
//! them, every criterion met or NA, and evidence that can be produced.
//!
//! Device tests: the ★1 evaluation procedure (評価手順) names, per criterion,
//! whether a device test (実機テスト) is part of the evaluation, and the
//! vendor must keep the evidence of the evaluation for the label's validity
//! (seed 002 §1.3, step 2). So a `conforms` answer to a criterion whose
//! catalog entry includes a device test must cite at least one device-test
//! result; without it the answer is a **blocking** problem, not a warning,
//! because the declaration would claim an evaluation that left no record.
//! A result kept outside the folder still counts when marked `external`.
//!
//! Evidence is read, not only counted: an answer is held against the
//! verdicts of its device-test evidence (see `check_against_evidence`), so
//! 適合 with a failed or unrun test, or 対象外 with a failed one, is
//! blocking. The verdicts recorded in the checklist at attach time make this
//! work without the files too (the registry's case).

use std::collections::HashMap;
use std::path::Path;

use jcstar_criteria::{Arrangement, Catalog, Criterion, MethodKind, Recognition, Text};
use serde::Serialize;

use crate::evidence::{self, Verdict};
use crate::model::{Checklist, Evidence, Outcome, SCHEMA_VERSION};

/// How much a problem found by [`validate`] matters to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// The checklist cannot support an application until this is fixed.
    Blocking,
    /// Worth fixing; does not stop an application.
    Warning,
}

/// One finding of [`validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Whether the problem blocks an application.
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `na-reason-missing`.
    pub code: &'static str,
    /// The criterion the problem is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criterion: Option<String>,
    /// Path of the field in the checklist file, e.g. `contact.email` or
    /// `answers[3].evidence[0].path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong, in Japanese and English.
    pub message: Text,
    /// What to change.
    pub hint: Text,
    #[serde(skip)]
    order: (u8, usize),
}

/// Tally of the answers per result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Counts {
    /// Number of criteria in the catalog.
    pub criteria: usize,
    /// Criteria of the catalog with a result other than `unanswered`.
    pub answered: usize,
    /// Criteria answered `conforms` (適合).
    pub conforms: usize,
    /// Criteria answered `not-applicable` (対象外).
    pub not_applicable: usize,
    /// Criteria answered `deemed-met` (みなし適合).
    pub deemed_met: usize,
    /// Criteria answered `does-not-conform` (不適合).
    pub does_not_conform: usize,
    /// Criteria whose answer is still `unanswered` (未回答).
    pub unanswered: usize,
}

/// The verdict on a checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    /// True when no problem is blocking.
    pub supports_application: bool,
    /// Id of the catalog the checklist was checked against.
    pub catalog_id: String,
    /// Revision of that catalog.
    pub catalog_version: String,
    /// How the criteria are answered.
    pub counts: Counts,
    /// Ordered: file-level, basic information (sheet order), then criteria in
    /// catalog order, then answers to unknown criteria in file order; within
    /// one place blocking before warnings.
    pub problems: Vec<Problem>,
}

impl Report {
    /// The problems that stop the checklist from supporting an application.
    pub fn blocking(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Blocking)
    }

    /// The problems worth fixing that do not stop an application.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }
}

fn t(ja: impl Into<String>, en: impl Into<String>) -> Text {
    Text {
        ja: ja.into(),
        en: en.into(),
    }
}

const G_FILE: u8 = 0;
const G_BASIC: u8 = 1;
const G_CRITERION: u8 = 2;
const G_UNKNOWN: u8 = 3;

/// Field order of the basic-information sheet, for sorting.
const BASIC_FIELDS: [&str; 17] = [
    "applicant.name",
    "applicant.address",
    "contact.person",
    "contact.department",
    "contact.email",
    "contact.phone",
    "product.name",
    "product.type",
    "product.model-numbers",
    "product.versions",
    "companion-service.description",
    "giteki.number",
    "recognition.arrangement",
    "recognition.statement-document",
    "recognition.statement-url",
    "evaluation.date",
    "evaluation.evaluator",
];

struct Sink {
    problems: Vec<Problem>,
}

impl Sink {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        order: (u8, usize),
        severity: Severity,
        code: &'static str,
        criterion: Option<&str>,
        field: Option<String>,
        message: Text,
        hint: Text,
    ) {
        self.problems.push(Problem {
            severity,
            code,
            criterion: criterion.map(str::to_string),
            field,
            message,
            hint,
            order,
        });
    }

    fn field(
        &mut self,
        severity: Severity,
        code: &'static str,
        field: &str,
        message: Text,
        hint: Text,
    ) {
        let pos = BASIC_FIELDS
            .iter()
            .position(|f| *f == field)
            .unwrap_or(BASIC_FIELDS.len());
        self.push(
            (G_BASIC, pos),
            severity,
            code,
            None,
            Some(field.to_string()),
            message,
            hint,
        );
    }
}

/// Checks `checklist` against `catalog`. With `base_dir` (the folder of the
/// checklist file) evidence paths are checked for existence; without it that
/// check is skipped, e.g. for a checklist received over the network.
pub fn validate(checklist: &Checklist, catalog: &Catalog, base_dir: Option<&Path>) -> Report {
    let mut sink = Sink {
        problems: Vec::new(),
    };
    check_file(checklist, catalog, &mut sink);
    check_basic(checklist, &mut sink);
    check_recognition(checklist, &mut sink);
    let counts = check_answers(checklist, catalog, base_dir, &mut sink);
    let mut problems = sink.problems;
    // Stable sort: problems at one place keep the order the checks found them.
    problems.sort_by_key(|p| (p.order, p.severity));
    Report {
        supports_application: !problems.iter().any(|p| p.severity == Severity::Blocking),
        catalog_id: catalog.meta.id.clone(),
        catalog_version: catalog.meta.version.clone(),
        counts,
        problems,
    }
}

fn check_file(c: &Checklist, catalog: &Catalog, sink: &mut Sink) {
    if c.schema_version != SCHEMA_VERSION {
        sink.push(
            (G_FILE, 0),
            Severity::Blocking,
            "schema-version",
            None,
            Some("schema-version".into()),
            t(
                format!(
                    "ファイル形式の版 {} には対応していません（対応: {SCHEMA_VERSION}）",
                    c.schema_version
                ),
                format!(
                    "schema version {} is not supported (supported: {SCHEMA_VERSION})",
                    c.schema_version
                ),
            ),
            t(
                "`jcstar checklist init` で新しいテンプレートを作り、回答を移してください",
                "create a fresh template with `jcstar checklist init` and move the answers over",
            ),
        );
    }
    if c.catalog.id != catalog.meta.id {
        sink.push(
            (G_FILE, 1),
            Severity::Blocking,
            "catalog-mismatch",
            None,
            Some("catalog.id".into()),
            t(
                format!("このチェックリストは適合基準カタログ `{}` に対するものですが、検証に使ったカタログは `{}` です", c.catalog.id, catalog.meta.id),
                format!("the checklist answers catalog `{}` but was checked against `{}`", c.catalog.id, catalog.meta.id),
            ),
            t(
                format!("`catalog.id` を `{}` にするか、`--catalog` で正しいカタログを指定してください", catalog.meta.id),
                format!("set `catalog.id` to `{}` or pass the matching catalog with `--catalog`", catalog.meta.id),
            ),
        );
    } else if c.catalog.version != catalog.meta.version {
        sink.push(
            (G_FILE, 2),
            Severity::Warning,
            "catalog-version-mismatch",
            None,
            Some("catalog.version".into()),
            t(
                format!(
                    "カタログの版が異なります（チェックリスト: {}、検証: {}）",
                    c.catalog.version, catalog.meta.version
                ),
                format!(
                    "catalog revision differs (checklist: {}, checked against: {})",
                    c.catalog.version, catalog.meta.version
                ),
            ),
            t(
                format!(
                    "現行版 {} の適合基準で回答を見直し、`catalog.version` を更新してください",
                    catalog.meta.version
                ),
                format!(
                    "review the answers against revision {} and update `catalog.version`",
                    catalog.meta.version
                ),
            ),
        );
    }
}

fn required(sink: &mut Sink, field: &str, value: &str, ja: &str, en: &str) -> bool {
    if value.trim().is_empty() {
        sink.field(
            Severity::Blocking,
            "field-missing",
            field,
            t(
                format!("基本情報の「{ja}」が未記入です"),
                format!("basic information: {en} is missing"),
            ),
            t(
                format!("`{field}` に{ja}を記入してください"),
                format!("fill in `{field}`"),
            ),
        );
        false
    } else {
        true
    }
}

/// The arrangement the checklist claims, if it is one jcstar knows.
fn claimed_arrangement(c: &Checklist) -> Option<&'static Arrangement> {
    let claim = c.recognition.as_ref()?;
    Recognition::builtin().get(claim.arrangement.trim())
}

/// The arrangement whose waiver applies: claimed, known, and with the
/// partner scheme's statement where the arrangement requires one.
fn active_waiver(c: &Checklist) -> Option<&'static Arrangement> {
    let a = claimed_arrangement(c)?;
    let supplied = c.recognition.as_ref().is_some_and(|r| r.has_statement());
    (supplied || !a.statement_required).then_some(a)
}

fn check_recognition(c: &Checklist, sink: &mut Sink) {
    let Some(claim) = &c.recognition else {
        return;
    };
    let known = Recognition::builtin();
    let Some(a) = known.get(claim.arrangement.trim()) else {
        let ids: Vec<&str> = known.arrangements.iter().map(|a| a.id.as_str()).collect();
        sink.field(
            Severity::Blocking,
            "recognition-unknown",
            "recognition.arrangement",
            t(
                format!("相互承認 `{}` はありません", claim.arrangement),
                format!(
                    "there is no recognition arrangement `{}`",
                    claim.arrangement
                ),
            ),
            t(
                format!(
                    "次のいずれかにしてください: {}（`jcstar criteria recognition` で一覧）",
                    ids.join(", ")
                ),
                format!(
                    "use one of: {} (listed by `jcstar criteria recognition`)",
                    ids.join(", ")
                ),
            ),
        );
        return;
    };
    if a.statement_required && !claim.has_statement() {
        sink.field(
            Severity::Blocking,
            "recognition-statement-missing",
            "recognition.statement-document",
            t(
                format!("{}による申請には{}が必要です", a.title.ja, a.statement.ja),
                format!("an application under the {} needs the {}", a.title.en, a.statement.en),
            ),
            t(
                "`recognition.statement-document`（文書名・ファイル）か `recognition.statement-url`（URL）を記入してください。ない場合は、みなし適合の適合基準も評価して回答してください",
                "fill in `recognition.statement-document` (document or file) or `recognition.statement-url` (URL); without it, evaluate the deemed-met criteria as well",
            ),
        );
    }
    if let Some(url) = claim.statement_url.as_deref()
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        sink.field(
            Severity::Warning,
            "field-malformed",
            "recognition.statement-url",
            t(
                format!("URL `{url}` が http:// か https:// で始まっていません"),
                format!("`{url}` does not start with http:// or https://"),
            ),
            t(
                "公開先の URL を記入してください",
                "give the URL where the statement is published",
            ),
        );
    }
}

fn check_basic(c: &Checklist, sink: &mut Sink) {
    required(
        sink,
        "applicant.name",
        &c.applicant.name,
        "申請者名",
        "applicant name",
    );
    required(
        sink,
        "applicant.address",
        &c.applicant.address,
        "申請者住所",
        "applicant address",
    );
    required(
        sink,
        "contact.person",
        &c.contact.person,
        "担当者名",
        "contact person",
    );
    if required(
        sink,
        "contact.email",
        &c.contact.email,
        "メールアドレス",
        "contact email",
    ) && !email_shaped(&c.contact.email)
    {
        sink.field(
            Severity::Blocking,
            "field-malformed",
            "contact.email",
            t(
                format!(
                    "メールアドレス `{}` の形式が正しくありません",
                    c.contact.email
                ),
                format!(
                    "contact email `{}` is not an email address",
                    c.contact.email
                ),
            ),
            t(
                "`name@example.jp` の形で記入してください",
                "write it as `name@example.com`",
            ),
        );
    }
    if required(
        sink,
        "contact.phone",
        &c.contact.phone,
        "電話番号",
        "contact phone",
    ) && !phone_shaped(&c.contact.phone)
    {
        sink.field(
            Severity::Blocking,
            "field-malformed",
            "contact.phone",
            t(
                format!("電話番号 `{}` の形式が正しくありません", c.contact.phone),
                format!("contact phone `{}` is not a phone number", c.contact.phone),
            ),
            t(
                "数字、ハイフン、括弧、先頭の + だけで記入してください（例: 03-0000-0000）",
                "use digits, hyphens, spaces, brackets and a leading + only (e.g. +81-3-0000-0000)",
            ),
        );
    }
    required(
        sink,
        "product.name",
        &c.product.name,
        "製品名",
        "product name",
    );
    required(
        sink,
        "product.type",
        &c.product.product_type,
        "製品種別",
        "product type",
    );
    check_list(
        sink,
        "product.model-numbers",
        &c.product.model_numbers,
        "型番",
        "model number",
    );
    check_list(
        sink,
        "product.versions",
        &c.product.versions,
        "ファームウェア/ソフトウェアバージョン",
        "firmware/software version",
    );
    if c.companion_service.essential && c.companion_service.description.is_none() {
        sink.field(
            Severity::Blocking,
            "field-missing",
            "companion-service.description",
            t(
                "必須付随サービスが「あり」ですが、その内容が未記入です",
                "an essential companion service is declared but not described",
            ),
            t(
                "`companion-service.description` にサービス名と役割を記入してください",
                "describe the service (name and role) in `companion-service.description`",
            ),
        );
    }
    if let Some(g) = &c.giteki {
        let n = g.number.trim();
        if n.is_empty() {
            required(
                sink,
                "giteki.number",
                n,
                "技術基準適合認定番号等",
                "technical-conformity (技適) number",
            );
        } else if !n
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | ' '))
        {
            sink.field(
                Severity::Blocking,
                "field-malformed",
                "giteki.number",
                t(
                    format!("技適番号 `{n}` に使えない文字が含まれています"),
                    format!("技適 number `{n}` contains characters such numbers do not have"),
                ),
                t(
                    "認証書に記載された番号を英数字とハイフンのまま記入してください",
                    "copy the number from the certificate (letters, digits, hyphens)",
                ),
            );
        }
    }
    if required(
        sink,
        "evaluation.date",
        &c.evaluation.date,
        "評価日",
        "evaluation date",
    ) && !is_iso_date(c.evaluation.date.trim())
    {
        sink.field(
            Severity::Blocking,
            "field-malformed",
            "evaluation.date",
            t(
                format!("評価日 `{}` は日付として読めません", c.evaluation.date),
                format!(
                    "evaluation date `{}` is not a calendar date",
                    c.evaluation.date
                ),
            ),
            t(
                "YYYY-MM-DD の形で記入してください（例: 2026-11-20）",
                "write it as YYYY-MM-DD (e.g. 2026-11-20)",
            ),
        );
    }
    required(
        sink,
        "evaluation.evaluator",
        &c.evaluation.evaluator,
        "評価者",
        "evaluator",
    );
}

fn check_list(sink: &mut Sink, field: &str, items: &[String], ja: &str, en: &str) {
    if items.iter().all(|s| s.trim().is_empty()) {
        sink.field(
            Severity::Blocking,
            "field-missing",
            field,
            t(
                format!("「{ja}」が1つもありません"),
                format!("no {en} is given"),
            ),
            t(
                format!("`{field}` に少なくとも1つ記入してください"),
                format!("list at least one in `{field}`"),
            ),
        );
        return;
    }
    let mut seen = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        if item.trim().is_empty() {
            sink.field(
                Severity::Blocking,
                "field-missing",
                field,
                t(
                    format!("「{ja}」の {} 番目が空です", i + 1),
                    format!("{en} #{} is empty", i + 1),
                ),
                t("空の項目を削除してください", "remove the empty entry"),
            );
        } else if let Some(first) = seen.insert(item.trim(), i) {
            sink.field(
                Severity::Warning,
                "duplicate-item",
                field,
                t(
                    format!(
                        "「{ja}」の `{item}` が重複しています（{} 番目と {} 番目）",
                        first + 1,
                        i + 1
                    ),
                    format!(
                        "{en} `{item}` is listed twice (#{} and #{})",
                        first + 1,
                        i + 1
                    ),
                ),
                t("重複を削除してください", "remove the duplicate"),
            );
        }
    }
}

/// Shape only (one @, a dotted domain, no blanks): deliverability is the
/// operator's concern.
fn email_shaped(s: &str) -> bool {
    let s = s.trim();
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

fn phone_shaped(s: &str) -> bool {
    let s = s.trim();
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (6..=20).contains(&digits)
        && s.chars().enumerate().all(|(i, ch)| {
            ch.is_ascii_digit() || matches!(ch, '-' | ' ' | '(' | ')') || (ch == '+' && i == 0)
        })
}

/// `YYYY-MM-DD` naming a real calendar day.
pub(crate) fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        s.get(r)
            .filter(|p| p.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|p| p.parse::<u32>().ok())
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=9999).contains(&y) && (1..=days).contains(&d)
}

/// The catalog id closest to an unknown one, for "did you mean".
fn closest<'a>(catalog: &'a Catalog, id: &str) -> Option<&'a str> {
    let norm = id.trim().to_ascii_uppercase();
    catalog
        .criteria
        .iter()
        .map(|c| {
            (
                strsim::levenshtein(&norm, &c.id.to_ascii_uppercase()),
                c.id.as_str(),
            )
        })
        .min()
        .filter(|(d, _)| *d <= 3)
        .map(|(_, id)| id)
}

fn check_answers(
    c: &Checklist,
    catalog: &Catalog,
    base_dir: Option<&Path>,
    sink: &mut Sink,
) -> Counts {
    let position: HashMap<&str, usize> = catalog
        .criteria
        .iter()
        .enumerate()
        .map(|(i, cr)| (cr.id.as_str(), i))
        .collect();
    let mut first_answer: HashMap<&str, usize> = HashMap::new();
    let mut counts = Counts {
        criteria: catalog.criteria.len(),
        ..Counts::default()
    };

    for (i, a) in c.answers.iter().enumerate() {
        let id = a.criterion.as_str();
        let Some(&pos) = position.get(id) else {
            let (hint_ja, hint_en) = match closest(catalog, id) {
                Some(s) => (
                    format!("`{s}` の誤りではありませんか"),
                    format!("did you mean `{s}`?"),
                ),
                None => {
                    let ids: Vec<&str> = catalog.criteria.iter().map(|c| c.id.as_str()).collect();
                    let range = match (ids.first(), ids.last()) {
                        (Some(f), Some(l)) => format!("{f} … {l}"),
                        _ => String::new(),
                    };
                    (
                        format!("有効なIDは {range} です"),
                        format!("valid ids are {range}"),
                    )
                }
            };
            sink.push(
                (G_UNKNOWN, i),
                Severity::Blocking,
                "unknown-criterion",
                Some(id),
                Some(format!("answers[{i}].criterion")),
                t(
                    format!(
                        "適合基準ID `{id}` はカタログ {} にありません",
                        catalog.meta.id
                    ),
                    format!("criterion `{id}` is not in catalog {}", catalog.meta.id),
                ),
                t(hint_ja, hint_en),
            );
            continue;
        };
        let order = (G_CRITERION, pos);
        if let Some(&first) = first_answer.get(id) {
            sink.push(
                order,
                Severity::Blocking,
                "duplicate-answer",
                Some(id),
                Some(format!("answers[{i}]")),
                t(
                    format!("{id} に2つ目の回答があります（answers[{first}] と answers[{i}]）"),
                    format!("{id} is answered twice (answers[{first}] and answers[{i}])"),
                ),
                t(
                    "どちらか一方を削除してください",
                    "keep one of the two answers and delete the other",
                ),
            );
            continue;
        }
        first_answer.insert(id, i);
        if a.result != Outcome::Unanswered {
            counts.answered += 1;
        }
        let Some(criterion) = catalog.criteria.get(pos) else {
            continue;
        };
        check_answer(c, criterion, i, order, base_dir, sink, &mut counts);
    }

    let waiver = active_waiver(c);
    for (pos, cr) in catalog.criteria.iter().enumerate() {
        if waiver.is_some_and(|a| a.waives(&cr.id)) {
            // Waived on an application under the arrangement.
            continue;
        }
        if !first_answer.contains_key(cr.id.as_str()) {
            sink.push(
                (G_CRITERION, pos),
                Severity::Blocking,
                "missing-answer",
                Some(&cr.id),
                Some("answers".into()),
                t(
                    format!("{}（{}）への回答がありません", cr.id, cr.title.ja),
                    format!("{} ({}) has no answer", cr.id, cr.title.en),
                ),
                t(
                    format!("criterion = \"{}\" の回答を追加してください", cr.id),
                    format!("add an answer with criterion = \"{}\"", cr.id),
                ),
            );
        }
    }
    counts
}

#[allow(clippy::too_many_arguments)]
fn check_answer(
    c: &Checklist,
    cr: &Criterion,
    i: usize,
    order: (u8, usize),
    base_dir: Option<&Path>,
    sink: &mut Sink,
    counts: &mut Counts,
) {
    let Some(a) = c.answers.get(i) else { return };
    let id = cr.id.as_str();
    let field = |f: &str| Some(format!("answers[{i}]{f}"));
    let mut p = |severity, code, f: &str, message, hint| {
        sink.push(order, severity, code, Some(id), field(f), message, hint);
    };
    match a.result {
        Outcome::Unanswered => {
            counts.unanswered += 1;
            p(
                Severity::Blocking,
                "unanswered",
                ".result",
                t(
                    format!("{id} が未回答です"),
                    format!("{id} is not answered yet"),
                ),
                t(
                    "結果を conforms / not-applicable / deemed-met のいずれかにしてください",
                    "set result to conforms, not-applicable or (where allowed) deemed-met",
                ),
            );
        }
        Outcome::DoesNotConform => {
            counts.does_not_conform += 1;
            p(
                Severity::Blocking,
                "does-not-conform",
                ".result",
                t(
                    format!(
                        "{id} に適合していません。★1の申請にはすべての適合基準への適合（または対象外）が必要です"
                    ),
                    format!(
                        "{id} is not met; a ★1 application needs every criterion met or not applicable"
                    ),
                ),
                t(
                    "製品を改修して再評価し、結果を更新してください",
                    "fix the product, evaluate again and update the result",
                ),
            );
        }
        Outcome::NotApplicable => {
            counts.not_applicable += 1;
            if !cr.na.allowed {
                p(
                    Severity::Blocking,
                    "na-not-allowed",
                    ".result",
                    t(
                        format!("{id} は対象外（NA）にできない適合基準です"),
                        format!("{id} cannot be answered not-applicable"),
                    ),
                    t(
                        "適合基準を満たしているか評価し、conforms または does-not-conform で回答してください",
                        "evaluate the criterion and answer conforms (or does-not-conform)",
                    ),
                );
            } else if a.na_reason.is_none() {
                let conditions = cr
                    .na
                    .conditions
                    .iter()
                    .map(|c| c.ja.as_str())
                    .collect::<Vec<_>>()
                    .join(" / ");
                let conditions_en = cr
                    .na
                    .conditions
                    .iter()
                    .map(|c| c.en.as_str())
                    .collect::<Vec<_>>()
                    .join(" / ");
                p(
                    if cr.na.reason_required {
                        Severity::Blocking
                    } else {
                        Severity::Warning
                    },
                    "na-reason-missing",
                    ".na-reason",
                    t(
                        format!("{id} が対象外（NA）ですが、NAであることの理由がありません"),
                        format!("{id} is not-applicable but gives no reason"),
                    ),
                    t(
                        format!(
                            "`na-reason` に、次の条件に当てはまる根拠を記入してください: {conditions}"
                        ),
                        format!(
                            "explain in `na-reason` why the product meets the NA condition: {conditions_en}"
                        ),
                    ),
                );
            }
        }
        Outcome::DeemedMet => {
            counts.deemed_met += 1;
            let waived = active_waiver(c).is_some_and(|a| a.waives(id));
            if waived {
                // Deemed met under a recognition arrangement whose statement
                // is supplied (checked at the claim).
            } else if let Some(a) = claimed_arrangement(c).filter(|a| a.waives(id)) {
                p(
                    Severity::Blocking,
                    "recognition-statement-missing",
                    ".result",
                    t(
                        format!(
                            "{id} は{}によるみなし適合ですが、{}がありません",
                            a.title.ja, a.statement.ja
                        ),
                        format!(
                            "{id} is deemed met under the {}, but the {} is not given",
                            a.title.en, a.statement.en
                        ),
                    ),
                    t(
                        "`recognition.statement-document` か `recognition.statement-url` を記入するか、この適合基準を評価して回答してください",
                        "fill in `recognition.statement-document` or `recognition.statement-url`, or evaluate the criterion instead",
                    ),
                );
            } else if !cr.deemed_met_by_giteki {
                p(
                    Severity::Blocking,
                    "deemed-met-not-allowed",
                    ".result",
                    t(
                        format!("{id} は技適によるみなし適合の対象ではありません"),
                        format!("{id} cannot be deemed met by a 技適 certification"),
                    ),
                    t(
                        "この適合基準は評価して conforms または not-applicable で回答してください",
                        "evaluate this criterion and answer conforms or not-applicable",
                    ),
                );
            } else if c.giteki.as_ref().is_none_or(|g| g.number.trim().is_empty()) {
                p(
                    Severity::Blocking,
                    "deemed-met-without-giteki",
                    ".result",
                    t(
                        format!("{id} がみなし適合ですが、基本情報に技適番号がありません"),
                        format!("{id} is deemed met but the basic information has no 技適 number"),
                    ),
                    t(
                        "[giteki] に mark（T/A）と number（設計認証番号または技術基準適合認定番号）を記入するか、この適合基準を評価して回答してください",
                        "add [giteki] with mark (T or A) and the certification number, or evaluate the criterion instead",
                    ),
                );
            }
        }
        Outcome::Conforms => {
            counts.conforms += 1;
            check_conforms_evidence(a, cr, &mut p);
        }
    }
    if a.result != Outcome::NotApplicable && a.na_reason.is_some() {
        p(
            Severity::Warning,
            "na-reason-ignored",
            ".na-reason",
            t(
                format!("{id} は対象外ではないため、NAであることの理由は使われません"),
                format!("{id} is not answered not-applicable, so its NA reason is ignored"),
            ),
            t(
                "`na-reason` を削除するか、結果を見直してください",
                "remove `na-reason` or review the result",
            ),
        );
    }
    for (k, e) in a.evidence.iter().enumerate() {
        check_evidence(e, &format!(".evidence[{k}]"), base_dir, &mut p);
    }
    check_against_evidence(a, id, base_dir, &mut p);
}

/// One device-test verdict the answer rests on, and where it comes from.
struct Seen {
    criterion: String,
    verdict: Verdict,
    reasons: Vec<String>,
    /// Index into the answer's evidence and the reference's path.
    k: usize,
    path: String,
}

/// Holds the answer against what its device-test evidence says: the files
/// when they can be read (`base_dir` given and the reference resolves to an
/// evidence directory), otherwise the verdicts recorded at attach time, so
/// the registry, which holds only the checklist, applies the same rule.
fn check_against_evidence(
    a: &crate::model::Answer,
    id: &str,
    base_dir: Option<&Path>,
    p: &mut Push<'_>,
) {
    let mut seen: Vec<Seen> = Vec::new();
    let mut unrecorded_tests = 0usize;
    for (k, e) in a.evidence.iter().enumerate() {
        let Evidence::DeviceTest(tr) = e else {
            continue;
        };
        let f = format!(".evidence[{k}]");
        let mut verdicts: Vec<(String, Verdict, Vec<String>)> = tr
            .verdicts
            .iter()
            .map(|v| (v.criterion.clone(), v.verdict, v.reasons.clone()))
            .collect();
        let dir = base_dir
            .filter(|_| !tr.path.trim().is_empty())
            .map(|b| b.join(&tr.path))
            .and_then(|rp| evidence::dir_of_report(&rp).map(Path::to_path_buf))
            .filter(|d| d.join(evidence::MANIFEST_JSON).is_file());
        if let Some(dir) = dir {
            match evidence::open(&dir) {
                Err(err) => {
                    p(
                        Severity::Blocking,
                        "evidence-altered",
                        &f,
                        t(
                            format!("{id} の証跡 `{}` は検証できません: {err}", tr.path),
                            format!("{id}: evidence `{}` does not verify: {err}", tr.path),
                        ),
                        t(
                            "証跡ディレクトリを `jcstar probe`/`assess` が書いたままの状態に戻すか、試験をやり直して `jcstar checklist attach` してください",
                            "restore the evidence directory as `jcstar probe`/`assess` wrote it, or test again and run `jcstar checklist attach`",
                        ),
                    );
                }
                Ok(ev) => {
                    match &tr.manifest_sha256 {
                        Some(rec) if !rec.eq_ignore_ascii_case(&ev.manifest_sha256) => p(
                            Severity::Blocking,
                            "evidence-stale",
                            &format!("{f}.manifest-sha256"),
                            t(
                                format!(
                                    "{id} の証跡 `{}` は記録後に差し替えられています（manifest のダイジェストが記録と異なります）",
                                    tr.path
                                ),
                                format!(
                                    "{id}: evidence `{}` changed since it was attached (its manifest digest differs from the one recorded)",
                                    tr.path
                                ),
                            ),
                            t(
                                "`jcstar checklist attach` でこの証跡を記録し直し、回答を見直してください",
                                "attach the directory again with `jcstar checklist attach` and review the answer",
                            ),
                        ),
                        Some(_) => {
                            let live: Vec<(&str, Verdict)> = ev
                                .verdicts_for(id)
                                .map(|v| (v.criterion.as_str(), v.verdict))
                                .collect();
                            let rec: Vec<(&str, Verdict)> = tr
                                .verdicts
                                .iter()
                                .map(|v| (v.criterion.as_str(), v.verdict))
                                .collect();
                            if live != rec {
                                p(
                                    Severity::Blocking,
                                    "evidence-record-mismatch",
                                    &format!("{f}.verdicts"),
                                    t(
                                        format!(
                                            "{id} に記録された判定が証跡 `{}` の判定と一致しません",
                                            tr.path
                                        ),
                                        format!(
                                            "the verdicts recorded for {id} differ from those in `{}`",
                                            tr.path
                                        ),
                                    ),
                                    t(
                                        "記録された判定は手で変えず、`jcstar checklist attach` で記録し直してください",
                                        "do not edit recorded verdicts; attach the directory again with `jcstar checklist attach`",
                                    ),
                                );
                            }
                        }
                        None => p(
                            Severity::Warning,
                            "evidence-unrecorded",
                            &f,
                            t(
                                format!(
                                    "{id} の証跡 `{}` の判定がチェックリストに記録されていません",
                                    tr.path
                                ),
                                format!(
                                    "{id}: the verdicts of `{}` are not recorded in the checklist",
                                    tr.path
                                ),
                            ),
                            t(
                                "`jcstar checklist attach` で記録し直すと、チェックリストだけを受け取った側でも証跡の判定が分かります",
                                "attach it again with `jcstar checklist attach` so whoever receives only the checklist sees what the evidence said",
                            ),
                        ),
                    }
                    verdicts = ev
                        .verdicts_for(id)
                        .map(|v| (v.criterion.clone(), v.verdict, v.reasons.clone()))
                        .collect();
                }
            }
        }
        if verdicts.is_empty() {
            unrecorded_tests += 1;
        }
        seen.extend(
            verdicts
                .into_iter()
                .map(|(criterion, verdict, reasons)| Seen {
                    criterion,
                    verdict,
                    reasons,
                    k,
                    path: tr.path.clone(),
                }),
        );
    }

    let finding = |s: &Seen| {
        if s.reasons.is_empty() {
            String::new()
        } else {
            format!(": {}", s.reasons.join(" / "))
        }
    };
    for s in &seen {
        let f = format!(".evidence[{}]", s.k);
        let what = format!("`{}` ({})", s.path, s.criterion);
        match (a.result, s.verdict) {
            (Outcome::Conforms, Verdict::Fail) => p(
                Severity::Blocking,
                "answer-contradicts-evidence",
                &f,
                t(
                    format!(
                        "{id} は「適合」ですが、証跡 {what} の判定は不合格（fail）です{}",
                        finding(s)
                    ),
                    format!(
                        "{id} is answered conforms, but evidence {what} says fail{}",
                        finding(s)
                    ),
                ),
                t(
                    "製品を直して試験をやり直し、新しい証跡を attach してください（古い証跡の参照は削除）。適合していないなら does-not-conform と回答してください",
                    "fix the product, test again and attach the new evidence (removing the old reference), or answer does-not-conform",
                ),
            ),
            (Outcome::Conforms, Verdict::NotTested) => {
                let covered = seen.iter().any(|o| {
                    o.criterion == s.criterion
                        && matches!(o.verdict, Verdict::Pass | Verdict::NeedsReview)
                });
                if !covered {
                    p(
                        if unrecorded_tests > 0 {
                            Severity::Warning
                        } else {
                            Severity::Blocking
                        },
                        "device-test-not-run",
                        &f,
                        t(
                            format!(
                                "{id} は「適合」ですが、証跡 {what} ではこの試験が実施されていません{}",
                                finding(s)
                            ),
                            format!(
                                "{id} is answered conforms, but evidence {what} shows this test was not run{}",
                                finding(s)
                            ),
                        ),
                        t(
                            "試験を実施して結果を証跡として追加してください",
                            "run the test and attach its result",
                        ),
                    );
                }
            }
            (Outcome::Conforms, Verdict::NeedsReview) => p(
                Severity::Warning,
                "device-test-needs-review",
                &f,
                t(
                    format!(
                        "{id}: 証跡 {what} の結果は人による確認が必要です{}",
                        finding(s)
                    ),
                    format!(
                        "{id}: evidence {what} needs a person's review{}",
                        finding(s)
                    ),
                ),
                t(
                    "結果を確認し、判断の根拠を備考（notes）に記入してください",
                    "review the result and give the reasoning in `notes`",
                ),
            ),
            (Outcome::NotApplicable, Verdict::Fail) => p(
                Severity::Blocking,
                "na-contradicts-evidence",
                &f,
                t(
                    format!(
                        "{id} は「対象外」ですが、証跡 {what} はこの機能を試験して不合格としています{}",
                        finding(s)
                    ),
                    format!(
                        "{id} is answered not-applicable, but evidence {what} tested it and says fail{}",
                        finding(s)
                    ),
                ),
                t(
                    "対象外の条件に当てはまるか見直してください。当てはまらないなら製品を直して評価してください",
                    "check whether the NA condition really holds; if not, fix the product and evaluate the criterion",
                ),
            ),
            (Outcome::NotApplicable, Verdict::Pass | Verdict::NeedsReview) => p(
                Severity::Warning,
                "na-contradicts-evidence",
                &f,
                t(
                    format!("{id} は「対象外」ですが、証跡 {what} はこの機能を試験しています"),
                    format!("{id} is answered not-applicable, but evidence {what} did test it"),
                ),
                t(
                    "対象外の条件に当てはまるか見直してください（当てはまらないなら conforms と回答）",
                    "check whether the NA condition really holds (if not, answer conforms)",
                ),
            ),
            (Outcome::DeemedMet, Verdict::Fail) => p(
                Severity::Warning,
                "deemed-met-contradicts-evidence",
                &f,
                t(
                    format!(
                        "{id} は技適による「みなし適合」ですが、証跡 {what} の判定は不合格です{}",
                        finding(s)
                    ),
                    format!(
                        "{id} is deemed met by 技適, but evidence {what} says fail{}",
                        finding(s)
                    ),
                ),
                t(
                    "製品を直すか、試験結果についての説明を備考（notes）に記入してください",
                    "fix the product, or explain the test result in `notes`",
                ),
            ),
            _ => {}
        }
    }
}

type Push<'a> = dyn FnMut(Severity, &'static str, &str, Text, Text) + 'a;

fn check_conforms_evidence(a: &crate::model::Answer, cr: &Criterion, p: &mut Push<'_>) {
    let id = cr.id.as_str();
    let has_test = a.evidence.iter().any(Evidence::is_device_test);
    if cr.requires_device_test() && !has_test {
        let what = cr
            .method(MethodKind::DeviceTest)
            .map(|m| (m.examines.ja.clone(), m.examines.en.clone()))
            .unwrap_or_default();
        p(
            Severity::Blocking,
            "device-test-evidence-missing",
            ".evidence",
            t(
                format!(
                    "{id} の評価手法には実機テストが含まれますが、実機テストの結果が証跡にありません"
                ),
                format!("{id} requires a device test, but no device-test result is cited"),
            ),
            t(
                format!(
                    "実機テストを行い、結果ファイルを kind = \"device-test\" の証跡として追加してください（別の場所に保管する場合は external = true）。テスト内容: {}",
                    what.0
                ),
                format!(
                    "run the device test and cite its result file as kind = \"device-test\" evidence (external = true if kept elsewhere). The test: {}",
                    what.1
                ),
            ),
        );
    }
    if has_test && !a.methods.contains(&MethodKind::DeviceTest) {
        p(
            Severity::Warning,
            "method-not-recorded",
            ".methods",
            t(
                format!("{id} に実機テストの証跡がありますが、評価手法に実機テストがありません"),
                format!(
                    "{id} cites a device-test result but its methods do not include device-test"
                ),
            ),
            t(
                "`methods` に \"device-test\" を追加してください",
                "add \"device-test\" to `methods`",
            ),
        );
    }
    if cr.requires_document_review() && !a.methods.contains(&MethodKind::DocumentReview) {
        p(
            Severity::Warning,
            "method-not-recorded",
            ".methods",
            t(
                format!("{id} の評価手法にはドキュメント評価が含まれますが、記録がありません"),
                format!("{id} is evaluated by document review, but `methods` does not say so"),
            ),
            t(
                "`methods` に \"document-review\" を追加してください",
                "add \"document-review\" to `methods`",
            ),
        );
    }
    if a.evidence.is_empty() {
        p(
            Severity::Warning,
            "no-evidence",
            ".evidence",
            t(
                format!(
                    "{id} に証跡がありません。ラベルの有効期間中は証跡を保管し、求めに応じて提出する必要があります"
                ),
                format!(
                    "{id} cites no evidence; evidence must be kept for the label's validity and produced on request"
                ),
            ),
            t(
                "評価に使った文書（名前と章・ページ）を kind = \"document\" の証跡として追加してください",
                "cite the documents the evaluation used (name and section) as kind = \"document\" evidence",
            ),
        );
    }
}

fn check_evidence(e: &Evidence, f: &str, base_dir: Option<&Path>, p: &mut Push<'_>) {
    let external = e.is_external();
    match e {
        Evidence::Document(d) if d.name.trim().is_empty() => p(
            Severity::Blocking,
            "evidence-incomplete",
            &format!("{f}.name"),
            t("証跡の文書名が空です", "a document reference has no name"),
            t("文書名を記入してください", "give the document's name"),
        ),
        Evidence::Document(d) if d.path.is_none() && !external => p(
            Severity::Blocking,
            "evidence-unlocated",
            &format!("{f}.path"),
            t(
                format!("文書「{}」の場所が示されていません", d.name),
                format!(
                    "document `{}` has neither a path nor external = true",
                    d.name
                ),
            ),
            t(
                "チェックリストのフォルダ内のファイルを path で示すか、社内で保管している場合は external = true としてください",
                "point `path` at the file next to the checklist, or set external = true if the vendor keeps it elsewhere",
            ),
        ),
        Evidence::DeviceTest(tr) if tr.path.trim().is_empty() => p(
            Severity::Blocking,
            "evidence-incomplete",
            &format!("{f}.path"),
            t(
                "実機テスト結果のパスが空です",
                "a device-test reference has an empty path",
            ),
            t(
                "結果ファイルのパスを記入してください",
                "give the result file's path",
            ),
        ),
        _ => {}
    }
    if external {
        return;
    }
    let (Some(path), Some(base)) = (e.local_path(), base_dir) else {
        return;
    };
    if path.trim().is_empty() {
        return;
    }
    let rel = Path::new(path);
    if rel.is_absolute() {
        p(
            Severity::Warning,
            "evidence-absolute-path",
            &format!("{f}.path"),
            t(
                format!("証跡のパス `{path}` が絶対パスです。別の環境では参照できません"),
                format!(
                    "evidence path `{path}` is absolute and will not resolve on another machine"
                ),
            ),
            t(
                "チェックリストのファイルからの相対パスにしてください",
                "make it relative to the checklist file",
            ),
        );
    }
    if !base.join(rel).exists() {
        p(
            Severity::Blocking,
            "evidence-not-found",
            &format!("{f}.path"),
            t(
                format!(
                    "証跡ファイル `{path}` が見つかりません（{} からの相対パス）",
                    base.display()
                ),
                format!(
                    "evidence file `{path}` does not exist (relative to {})",
                    base.display()
                ),
            ),
            t(
                "パスを直すか、ファイルを置くか、別の場所で保管している場合は external = true としてください",
                "fix the path, put the file there, or set external = true if it is kept elsewhere",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(is_iso_date("2026-11-20"));
        assert!(is_iso_date("2024-02-29"));
        assert!(!is_iso_date("2025-02-29"));
        assert!(!is_iso_date("2026-13-01"));
        assert!(!is_iso_date("2026/11/20"));
        assert!(!is_iso_date("2026-1-200"));
        assert!(!is_iso_date("２０２６-11-20"));
    }

    #[test]
    fn shapes() {
        assert!(email_shaped("psirt@example.jp"));
        assert!(!email_shaped("psirt@example"));
        assert!(!email_shaped("a@b@example.jp"));
        assert!(!email_shaped("a b@example.jp"));
        assert!(phone_shaped("+81-3-0000-0000"));
        assert!(phone_shaped("03 (0000) 0000"));
        assert!(!phone_shaped("03-0000-000x"));
        assert!(!phone_shaped("12"));
    }
}

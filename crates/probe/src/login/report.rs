//! Verdicts of the login checks per criterion, and the human-readable
//! assessment report (Markdown and HTML) that lists every ★1 criterion with
//! its device-test verdict, what was tested, and what still needs document
//! review.

use jcstar_criteria::{CriterionId, star1};
use std::collections::BTreeMap;

use jcstar_criteria::{Catalog, Lang, MethodKind};
use serde::{Deserialize, Serialize};

use super::bruteforce::{BruteReport, BruteVerdict};
use super::defaults::{DefaultsReport, DefaultsStatus};
use super::mask;
use crate::reason::Reason;
use crate::report::{CriterionVerdict, Finding, FindingText, Severity, Verdict};

/// One brute-force run with the service it ran against.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BruteRun {
    /// The service, named as the reports show it.
    pub service: String,
    /// What the run found.
    pub report: BruteReport,
}

/// A password as the evidence and reports write it: masked the same way
/// whatever its source (the built-in list or the tester's).
pub fn evidence_password(_source: &str, password: &str) -> String {
    mask(password)
}

/// S1.1-04 from locks the default-credential check ran into, when no
/// brute-force test ran: evidence with its numbers, not a verdict.
pub fn lock_only_verdict(logins: &[crate::assess::ServiceLogin]) -> Option<CriterionVerdict> {
    let reasons: Vec<Reason> = logins
        .iter()
        .filter_map(|l| {
            let s = l.lock_seen_by_defaults.as_ref()?;
            Some(Reason::LockSeenByDefaults {
                service: l.service.clone(),
                signal: s.signal.clone(),
                after_pairs: s.after_attempts,
                lifted_after_s: s.lifted_after_ms.map(|ms| ms as f64 / 1000.0),
            })
        })
        .collect();
    if reasons.is_empty() {
        return None;
    }
    Some(CriterionVerdict::new(
        star1::S1_1_04,
        Verdict::NeedsReview,
        reasons,
    ))
}

/// S1.1-02 from the default-credential checks.
pub fn defaults_verdict(reports: &[DefaultsReport]) -> CriterionVerdict {
    let mut reasons = Vec::new();
    let mut verdict = if reports.is_empty() {
        reasons.push(Reason::NoLoginServiceChecked);
        Verdict::NotTested
    } else {
        Verdict::NeedsReview
    };
    let mut any_fail = false;
    let mut all_tested = !reports.is_empty();
    for r in reports {
        match r.status {
            DefaultsStatus::Fail => {
                any_fail = true;
                if let Some(a) = &r.accepted {
                    reasons.push(Reason::DefaultPairAccepted {
                        service: r.service.clone(),
                        user: a.username.clone(),
                        password: evidence_password(&a.source, &a.password),
                        source: a.source.clone(),
                    });
                }
            }
            DefaultsStatus::PassForTested => reasons.push(r.summary.clone()),
            DefaultsStatus::Inconclusive => {
                all_tested = false;
                reasons.push(r.summary.clone());
            }
        }
    }
    if any_fail {
        verdict = Verdict::Fail;
    } else if all_tested {
        // Only the pairs tried are covered: a unique-per-device or
        // user-set password is shown by the documents, not by this test.
        reasons.push(Reason::NoDefaultAcceptedNeedsDocuments);
        verdict = Verdict::NeedsReview;
    }
    CriterionVerdict::new(star1::S1_1_02, verdict, reasons)
}

/// Whether a brute-force result rests on what the run could not see: no
/// visible defence, but no correct password was known to reveal a lock
/// that answers like a wrong password.
pub fn limited(r: &BruteReport) -> bool {
    matches!(
        r.reason,
        Reason::NoDefence {
            correct_password_checked: false,
            ..
        }
    )
}

/// S1.1-04 from the brute-force runs: every login service must resist. A
/// service that showed no defence fails the criterion only when the
/// correct password was tried afterwards; otherwise a hidden lock cannot be
/// ruled out, and the verdict is left to review with that reason.
pub fn brute_verdict(runs: &[BruteRun]) -> CriterionVerdict {
    if runs.is_empty() {
        return CriterionVerdict::new(
            star1::S1_1_04,
            Verdict::NotTested,
            vec![Reason::NoBruteForceTest],
        );
    }
    let reasons = runs
        .iter()
        .map(|r| Reason::ServiceResult {
            service: r.service.clone(),
            account: r.report.username.clone(),
            verdict: r.report.verdict,
            reason: Box::new(r.report.reason.clone()),
        })
        .collect();
    let verdict = if runs
        .iter()
        .any(|r| r.report.verdict == BruteVerdict::DoesNotResist && !limited(&r.report))
    {
        Verdict::Fail
    } else if runs
        .iter()
        .all(|r| r.report.verdict == BruteVerdict::Resists)
    {
        Verdict::Pass
    } else {
        Verdict::NeedsReview
    };
    CriterionVerdict::new(star1::S1_1_04, verdict, reasons)
}

/// Findings for the probe report from the login checks.
pub fn findings(defaults: &[DefaultsReport], runs: &[BruteRun]) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in defaults {
        if let Some(a) = &r.accepted {
            let why = Reason::DefaultPairAccepted {
                service: r.service.clone(),
                user: a.username.clone(),
                password: evidence_password(&a.source, &a.password),
                source: a.source.clone(),
            };
            out.push(Finding {
                criterion: star1::S1_1_02,
                severity: Severity::High,
                kind: "default-credentials".into(),
                title: format!("{} accepts a default password", r.service),
                detail: format!(
                    "user {:?}, password {:?}, source: {}",
                    a.username,
                    evidence_password(&a.source, &a.password),
                    a.source
                ),
                port: None,
                evidence: vec!["login.json".into()],
                ja: Some(FindingText {
                    title: format!("{}: 既定のパスワードでログインできる", r.service),
                    detail: why.text(Lang::Ja),
                }),
            });
        }
    }
    for r in runs {
        if r.report.verdict == BruteVerdict::DoesNotResist {
            out.push(Finding {
                criterion: star1::S1_1_04,
                severity: if limited(&r.report) {
                    Severity::Medium
                } else {
                    Severity::High
                },
                kind: "no-brute-force-defence".into(),
                title: format!("{} does not resist password guessing", r.service),
                detail: r.report.reason.to_string(),
                port: None,
                evidence: vec!["login.json".into()],
                ja: Some(FindingText {
                    title: format!("{}: パスワードの総当たりを防いでいない", r.service),
                    detail: r.report.reason.text(Lang::Ja),
                }),
            });
        }
    }
    crate::findings::add_japanese(&mut out);
    out
}

/// One row of the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// Criterion ID, e.g. `S1.1-04`.
    pub id: String,
    /// The criterion's title in the report's language.
    pub title: String,
    /// Whether the criterion has a device test that applies.
    pub device_test: bool,
    /// The combined verdict of the criterion and its sub-items.
    pub verdict: Verdict,
    /// What was tested, one line per reason, in the report's language.
    pub tested: Vec<String>,
    /// What the document review examines, when one applies.
    pub document_review: Option<String>,
    /// Evidence files (inside the evidence directory) behind the verdict.
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// Combines verdicts of one criterion (and its sub-items): any fail fails;
/// all pass passes; otherwise needs review, or not tested if nothing ran.
pub fn combine(vs: &[&CriterionVerdict]) -> Verdict {
    if vs.is_empty() {
        return Verdict::NotTested;
    }
    if vs.iter().any(|v| v.verdict == Verdict::Fail) {
        Verdict::Fail
    } else if vs.iter().all(|v| v.verdict == Verdict::Pass) {
        Verdict::Pass
    } else if vs.iter().all(|v| v.verdict == Verdict::NotTested) {
        Verdict::NotTested
    } else {
        Verdict::NeedsReview
    }
}

/// One row per criterion of `catalog`, with the verdicts that concern it combined.
pub fn rows(catalog: &Catalog, lang: Lang, verdicts: &[CriterionVerdict]) -> Vec<Row> {
    let mut by_id: BTreeMap<CriterionId, Vec<&CriterionVerdict>> = BTreeMap::new();
    for v in verdicts {
        by_id.entry(v.criterion.base()).or_default().push(v);
    }
    catalog
        .criteria
        .iter()
        .map(|c| {
            let vs =
                c.id.parse::<CriterionId>()
                    .ok()
                    .and_then(|id| by_id.get(&id).cloned())
                    .unwrap_or_default();
            let device_test = c
                .methods
                .iter()
                .any(|m| m.kind == MethodKind::DeviceTest && m.applies);
            let document_review = c
                .methods
                .iter()
                .find(|m| m.kind == MethodKind::DocumentReview && m.applies)
                .map(|m| {
                    // "① or ② below" must come with ① and ②.
                    let mut text = m.examines.get(lang).to_string();
                    for item in m.steps.iter().flat_map(|s| &s.items) {
                        text.push_str(&format!("\n{} {}", item.label, item.text.get(lang)));
                    }
                    text
                });
            let mut tested = Vec::new();
            for v in &vs {
                // The criterion's verdict has its own column; a line names
                // only its own (a sub-item's, or the service's inside it).
                for r in v.reasons_in(lang) {
                    if v.criterion == *c.id {
                        tested.push(r);
                    } else {
                        tested.push(format!(
                            "{} {} — {r}",
                            v.criterion,
                            verdict_label(v.verdict, lang)
                        ));
                    }
                }
            }
            Row {
                id: c.id.clone(),
                title: c.title.get(lang).to_string(),
                device_test,
                verdict: combine(&vs),
                tested,
                document_review,
                evidence: Vec::new(),
            }
        })
        .collect()
}

/// A criterion verdict as the terminal writes it: the stable key
/// (`needs-review`) in English, the reports' word in Japanese.
pub fn verdict_word(v: Verdict, lang: Lang) -> String {
    match lang {
        Lang::En => v.to_string(),
        Lang::Ja => verdict_label(v, lang).to_string(),
    }
}

/// Facts shown at the top of the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    /// The target as the user named it.
    pub target: String,
    /// When the run started.
    pub started: String,
    /// When it finished.
    pub finished: String,
    /// Version of jcstar that ran.
    pub jcstar_version: String,
    /// The evidence directory the report belongs to.
    pub evidence_dir: String,
}

/// A criterion verdict as the reports write it in `lang`.
pub fn verdict_label(v: Verdict, lang: Lang) -> &'static str {
    match (v, lang) {
        (Verdict::Pass, Lang::En) => "pass",
        (Verdict::Fail, Lang::En) => "FAIL",
        (Verdict::NotTested, Lang::En) => "not tested",
        (Verdict::NeedsReview, Lang::En) => "needs review",
        (Verdict::Pass, Lang::Ja) => "適合",
        (Verdict::Fail, Lang::Ja) => "不適合",
        (Verdict::NotTested, Lang::Ja) => "未試験",
        (Verdict::NeedsReview, Lang::Ja) => "要確認",
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown, in `lang`.
pub fn markdown(h: &Header, rows: &[Row], lang: Lang) -> String {
    let en = lang == Lang::En;
    let mut out = String::new();
    out.push_str(if en {
        "# JC-STAR ★1 device assessment\n\n"
    } else {
        "# JC-STAR ★1 実機評価レポート\n\n"
    });
    let labels = if en {
        ["Target", "Started", "Finished", "jcstar", "Evidence"]
    } else {
        ["対象", "開始", "終了", "jcstar", "証跡ディレクトリ"]
    };
    for (l, v) in labels.iter().zip([
        &h.target,
        &h.started,
        &h.finished,
        &h.jcstar_version,
        &h.evidence_dir,
    ]) {
        out.push_str(&format!("- **{l}**: {}\n", md_escape(v)));
    }
    out.push_str(if en {
        "\nA device test shows only what it exercised. \"needs review\" means the vendor's documents must show the rest; the evidence directory holds the raw exchanges and a SHA-256 manifest.\n\n"
    } else {
        "\n実機テストは実施した範囲のみを示します。「要確認」は残りを技術文書で示す必要があることを意味します。証跡ディレクトリに通信記録と SHA-256 マニフェストがあります。\n\n"
    });
    out.push_str(if en {
        "| Criterion | Title | Tested on the device | Verdict |\n| --- | --- | --- | --- |\n"
    } else {
        "| 適合基準 | 項目 | 実機で試験 | 判定 |\n| --- | --- | --- | --- |\n"
    });
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.id,
            md_escape(&r.title),
            if r.tested.is_empty() { "—" } else { "✓" },
            verdict_label(r.verdict, lang)
        ));
    }
    for r in rows {
        out.push_str(&format!("\n## {} {}\n\n", r.id, r.title));
        out.push_str(&format!(
            "- **{}**: {}\n",
            if en { "Verdict" } else { "判定" },
            verdict_label(r.verdict, lang)
        ));
        if r.tested.is_empty() {
            out.push_str(if en {
                "- **Tested**: nothing on the device for this criterion\n"
            } else {
                "- **試験内容**: この基準について実機では試験していません\n"
            });
        } else {
            out.push_str(if en {
                "- **Tested**:\n"
            } else {
                "- **試験内容**:\n"
            });
            for t in &r.tested {
                out.push_str(&format!("  - {}\n", md_escape(t)));
            }
        }
        if !r.evidence.is_empty() {
            out.push_str(&format!(
                "- **{}**: {}\n",
                if en { "Evidence" } else { "証跡ファイル" },
                md_escape(&r.evidence.join(", "))
            ));
        }
        if let Some(d) = &r.document_review {
            out.push_str(&format!(
                "- **{}**: {}\n",
                if en {
                    "Document review"
                } else {
                    "ドキュメント評価"
                },
                md_escape(&d.replace('\n', " "))
            ));
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report as a standalone HTML page, in `lang`.
pub fn html(h: &Header, rows: &[Row], lang: Lang) -> String {
    let en = lang == Lang::En;
    let title = if en {
        "JC-STAR ★1 device assessment"
    } else {
        "JC-STAR ★1 実機評価レポート"
    };
    let mut out = format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{title}</title>\
<style>body{{font-family:sans-serif;max-width:75rem;margin:2rem auto;padding:0 1rem}}\
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}}\
code{{font-size:.85em}}th{{white-space:nowrap}}td.id,td.v{{white-space:nowrap}}td.v{{font-weight:bold}}td.t{{min-width:8em}}td.ev code{{white-space:nowrap}}\
@media print{{body{{max-width:none;margin:0}}tr{{break-inside:avoid}}}}.pass{{background:#d8f0d8}}.fail{{background:#f6d0d0}}.needs-review{{background:#fff3c4}}.not-tested{{background:#eee}}</style></head><body>\n<h1>{title}</h1>\n<dl>",
        if en { "en" } else { "ja" }
    );
    let labels = if en {
        ["Target", "Started", "Finished", "jcstar", "Evidence"]
    } else {
        ["対象", "開始", "終了", "jcstar", "証跡ディレクトリ"]
    };
    for (l, v) in labels.iter().zip([
        &h.target,
        &h.started,
        &h.finished,
        &h.jcstar_version,
        &h.evidence_dir,
    ]) {
        out.push_str(&format!("<dt>{l}</dt><dd>{}</dd>", html_escape(v)));
    }
    out.push_str("</dl>\n<table><thead><tr>");
    let heads = if en {
        [
            "Criterion",
            "Title",
            "Verdict",
            "Tested on the device",
            "Evidence",
            "Document review",
        ]
    } else {
        [
            "適合基準",
            "項目",
            "判定",
            "実機での試験内容",
            "証跡ファイル",
            "ドキュメント評価",
        ]
    };
    for hd in heads {
        out.push_str(&format!("<th>{hd}</th>"));
    }
    out.push_str("</tr></thead><tbody>\n");
    for r in rows {
        let tested = if r.tested.is_empty() {
            "—".to_string()
        } else {
            format!(
                "<ul>{}</ul>",
                r.tested
                    .iter()
                    .map(|t| format!("<li>{}</li>", html_escape(t)))
                    .collect::<String>()
            )
        };
        out.push_str(&format!(
            "<tr class=\"{}\"><td class=\"id\">{}</td><td class=\"t\">{}</td><td class=\"v\">{}</td><td>{}</td><td class=\"ev\">{}</td><td>{}</td></tr>\n",
            r.verdict,
            html_escape(&r.id),
            html_escape(&r.title),
            verdict_label(r.verdict, lang),
            tested,
            if r.evidence.is_empty() {
                "—".to_string()
            } else {
                r.evidence
                    .iter()
                    .map(|e| format!("<code>{}</code>", html_escape(e)))
                    .collect::<Vec<_>>()
                    .join("<br>")
            },
            r.document_review
                .as_deref()
                .map(|d| html_escape(d).replace('\n', "<br>"))
                .unwrap_or_else(|| "—".into())
        ));
    }
    out.push_str("</tbody></table>\n</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_ids_and_combination() {
        let p = CriterionVerdict::new(star1::S1_1_06.item(2), Verdict::Pass, vec![]);
        let f = CriterionVerdict::new(star1::S1_1_06.item(3), Verdict::Fail, vec![]);
        assert_eq!(combine(&[&p]), Verdict::Pass);
        assert_eq!(combine(&[&p, &f]), Verdict::Fail);
        assert_eq!(combine(&[]), Verdict::NotTested);
    }

    #[test]
    fn document_review_shows_the_items_it_refers_to() {
        // S1.1-12's document review reads "① or ② below": both must follow.
        for lang in [Lang::Ja, Lang::En] {
            let rows = rows(Catalog::star1(), lang, &[]);
            let r = rows
                .iter()
                .find(|r| r.id == "S1.1-12")
                .and_then(|r| r.document_review.clone())
                .unwrap_or_default();
            assert!(r.contains("\n① ") && r.contains("\n② "), "{r}");
        }
    }

    #[test]
    fn report_lists_every_star1_criterion() {
        let catalog = Catalog::star1();
        let v = vec![CriterionVerdict {
            criterion: star1::S1_1_04,
            verdict: Verdict::Fail,
            reasons: vec!["http-basic: does-not-resist <script>".into()],
            why: vec![],
        }];
        let rows = rows(catalog, Lang::En, &v);
        assert_eq!(rows.len(), 16);
        let h = Header {
            target: "127.0.0.1".into(),
            started: "s".into(),
            finished: "f".into(),
            jcstar_version: "0".into(),
            evidence_dir: "e".into(),
        };
        let md = markdown(&h, &rows, Lang::En);
        assert!(md.contains("| S1.1-04 |"));
        assert!(md.contains("FAIL"));
        let page = html(&h, &rows, Lang::Ja);
        assert!(page.contains("不適合"));
        assert!(page.contains("&lt;script&gt;"));
        assert!(!page.contains("<script>"));
    }
}

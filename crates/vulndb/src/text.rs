//! The terminal text of the vulnerability-store commands (import, show,
//! match), in Japanese or English, so that every front end words them alike.
//! It returns text and prints nothing.

use crate::matcher::MatchReport;
use crate::sbom::SbomProblem;
use crate::store::Shown;
use crate::verdict::Verdict;
use crate::{Identified, ImportReport};

/// Appends one line (formatted like `println!`) to a `String`.
macro_rules! say {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

/// What an import did, for the terminal: the files (when few) and the totals.
pub fn import_summary(r: &ImportReport, en: bool) -> String {
    let mut out = String::new();
    // An OSV archive holds tens of thousands of one-record files: list
    // files only when there are few, otherwise the totals say enough.
    const LISTED: usize = 20;
    if r.files.len() > LISTED {
        say!(
            out,
            "{} {}",
            r.files.len(),
            if en {
                "files read"
            } else {
                "個のファイルを読み込みました"
            }
        );
    }
    for f in r.files.iter().filter(|_| r.files.len() <= LISTED) {
        say!(
            out,
            "{}: {:?}, {} {}, {} {}",
            f.file,
            f.kind,
            f.records,
            if en { "records" } else { "件" },
            f.problems,
            if en { "problems" } else { "件の問題" }
        );
    }
    if en {
        say!(
            out,
            "added {}, updated {}, unchanged {}, older copies ignored {}, withdrawn {}, refused {}; KEV added {}, updated {}, unchanged {}; GIT ranges ignored {}",
            r.added,
            r.updated,
            r.unchanged,
            r.older_kept,
            r.withdrawn,
            r.refused,
            r.kev_added,
            r.kev_updated,
            r.kev_unchanged,
            r.git_ranges_ignored
        );
    } else {
        say!(
            out,
            "追加 {}、更新 {}、変更なし {}、古い版のため無視 {}、取り下げ {}、拒否 {}。KEV 追加 {}、更新 {}、変更なし {}。GIT 範囲（版数でないため無視） {}",
            r.added,
            r.updated,
            r.unchanged,
            r.older_kept,
            r.withdrawn,
            r.refused,
            r.kev_added,
            r.kev_updated,
            r.kev_unchanged,
            r.git_ranges_ignored
        );
    }
    out
}

/// One stored record as `vulndb show` prints it.
pub fn shown(s: &Shown, en: bool) -> String {
    let mut out = String::new();
    let r = &s.record;
    let l = |ja: &'static str, e: &'static str| if en { e } else { ja };
    say!(out, "{} ({})", r.id, r.source.as_str());
    if r.withdrawn {
        say!(
            out,
            "  {}",
            l("※ 取り下げられた記録です", "** withdrawn record **")
        );
    }
    if !r.aliases.is_empty() {
        say!(out, "  {}: {}", l("別名", "aliases"), r.aliases.join(", "));
    }
    if !s.related.is_empty() {
        say!(
            out,
            "  {}: {}",
            l("関連する記録", "related records"),
            s.related.join(", ")
        );
    }
    say!(
        out,
        "  {}: {}",
        l("公開", "published"),
        r.published.as_deref().unwrap_or("-")
    );
    say!(out, "  {}: {}", l("更新", "modified"), r.modified);
    for c in &r.cvss {
        say!(
            out,
            "  CVSS v{}: {} {}",
            c.version,
            c.score.map_or("-".to_string(), |s| format!("{s:.1}")),
            c.vector
        );
    }
    match &s.kev {
        Some(k) => say!(
            out,
            "  {}: {} ({} {})",
            l("悪用確認済み (CISA KEV)", "known exploited (CISA KEV)"),
            k.name,
            l("掲載日", "added"),
            k.date_added
        ),
        None => say!(
            out,
            "  {}",
            l("CISA KEV には掲載されていません", "not in CISA KEV")
        ),
    }
    if !r.summary.is_empty() {
        say!(out, "  {}: {}", l("概要（原文）", "summary"), r.summary);
    }
    say!(out, "  {}:", l("影響を受ける製品", "affects"));
    for a in &r.affected {
        let what = match &a.target {
            crate::model::Target::Cpe {
                vendor, product, ..
            } => format!("cpe {vendor}:{product}"),
            crate::model::Target::Package { ecosystem, name } => {
                format!("{ecosystem} {name}")
            }
        };
        let mut ranges: Vec<String> = a.ranges.iter().map(|i| i.describe()).collect();
        ranges.extend(a.versions.iter().map(|v| format!("= {v}")));
        say!(out, "    {what}: {}", ranges.join(" | "));
        if !a.requires.is_empty() {
            say!(
                out,
                "      {}: {}",
                l("前提となる構成", "requires"),
                a.requires.join(", ")
            );
        }
    }
    for u in r.references.iter().take(10) {
        say!(out, "  {}: {u}", l("参考", "reference"));
    }
    out
}

/// A match run as `vulndb match` prints it: what was identified, what
/// was not matched, each match and the S1.1-13 ② verdict.
pub fn match_text(
    identified: &[Identified],
    banner: bool,
    problems: &[SbomProblem],
    r: &MatchReport,
    v: &Verdict,
    en: bool,
) -> String {
    let mut out = String::new();
    let l = |ja: &'static str, e: &'static str| if en { e } else { ja };
    if banner && identified.is_empty() {
        say!(
            out,
            "{}",
            l(
                "バナーから製品を特定できませんでした",
                "no product identified from the banner"
            )
        );
    }
    for i in identified {
        say!(
            out,
            "{}: {} {}{}",
            l("特定", "identified"),
            i.product,
            i.version
                .as_deref()
                .unwrap_or(l("（版数不明）", "(version unknown)")),
            i.distro
                .as_ref()
                .map(|d| format!(" [{d}]"))
                .unwrap_or_default()
        );
    }
    for p in problems {
        say!(out, "{}: {p}", l("SBOM の問題", "SBOM problem"));
    }
    for s in &r.skipped {
        say!(
            out,
            "{}: {}: {}",
            l("照合せず", "not matched"),
            s.component,
            s.reason.get(en)
        );
    }
    say!(
        out,
        "{}: {} / {}: {}",
        l("構成要素", "components"),
        r.components,
        l("該当する脆弱性", "matches"),
        r.matches.len()
    );
    for m in &r.matches {
        say!(out);
        let score = m
            .cvss
            .as_ref()
            .map(|c| {
                format!(
                    "CVSS v{} {} {}",
                    c.version,
                    c.score.map_or("-".into(), |s| format!("{s:.1}")),
                    c.vector
                )
            })
            .unwrap_or_else(|| l("CVSS なし", "no CVSS").into());
        say!(
            out,
            "{} [{}]{}",
            m.vuln_id,
            score,
            if m.known_exploited {
                l(" 悪用確認済み (KEV)", " KNOWN EXPLOITED (KEV)")
            } else {
                ""
            }
        );
        if !m.aliases.is_empty() {
            say!(out, "  {}: {}", l("別名", "aliases"), m.aliases.join(", "));
        }
        say!(out, "  {}: {}", l("根拠", "why"), m.why().get(en));
        if !m.requires.is_empty() {
            say!(
                out,
                "  {}: {}",
                l("未確認の前提構成", "unchecked platform"),
                m.requires.join(", ")
            );
        }
        if let Some(c) = &m.needs_confirmation {
            say!(
                out,
                "  {}: {}",
                l("要確認", "needs confirmation"),
                c.text().get(en)
            );
        }
        if let Some(x) = &m.vex {
            say!(
                out,
                "  VEX: {} {} ({} {})",
                x.status.as_str(),
                x.justification.as_deref().unwrap_or(""),
                x.file,
                x.path
            );
        }
    }
    say!(out);
    say!(out, "S1.1-13 ②: {}", v.outcome.text().get(en));
    for reason in &v.reasons {
        say!(
            out,
            "  [{}] {}",
            reason.outcome.text().get(en),
            reason.text.get(en)
        );
    }
    if v.reasons.is_empty() {
        say!(
            out,
            "  {}",
            l(
                "既知の脆弱性は見つかりませんでした（取り込んだデータの範囲で）",
                "no known vulnerability found (within the imported data)"
            )
        );
    }
    out
}

/// The import's problems, at most fifty, each a line for standard error.
pub fn import_problems(r: &ImportReport, en: bool) -> Vec<String> {
    let mut lines = Vec::new();
    const SHOWN: usize = 50;
    for p in r.problems.iter().take(SHOWN) {
        lines.push(p.to_string());
    }
    if r.problems.len() > SHOWN {
        lines.push(if en {
            format!(
                "... and {} more problems (--json lists all)",
                r.problems.len() - SHOWN
            )
        } else {
            format!(
                "…ほか {} 件の問題（--json ですべて表示）",
                r.problems.len() - SHOWN
            )
        });
    }
    lines
}

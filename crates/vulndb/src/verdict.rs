//! The S1.1-13 ② verdict: does the product have a known, exploitable
//! vulnerability? The rule is written down here and configurable:
//!
//! 1. A VEX statement settles a match: `not_affected` and `fixed` clear
//!    it, `under_investigation` leaves it for review, `affected` confirms it.
//! 2. Otherwise a match fails the criterion when the vulnerability is known
//!    to be exploited (CISA KEV) or its CVSS base score is at least the
//!    threshold (7.0 by default).
//! 3. A failing match that needs confirmation (a distribution package may
//!    carry a backported fix) is a review item unless
//!    `unconfirmed_fails` is set.
//! 4. Every other match needs review: the criterion asks about
//!    exploitable vulnerabilities, which a score alone cannot decide.
//!
//! The overall outcome is the worst of the matches: fail, then review,
//! then pass (no matches pass).

use serde::{Deserialize, Serialize};

use crate::Text;
use crate::matcher::Match;
use crate::vex::VexStatus;

/// The configurable parts of the rule (TOML or JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rule {
    /// Whether a vulnerability in CISA's KEV catalog fails the criterion.
    pub fail_on_known_exploited: bool,
    /// CVSS base score at or above which a match fails; `None` never
    /// fails on score.
    pub fail_at_cvss: Option<f64>,
    /// Whether a failing match that still needs confirmation (a distribution
    /// package may carry a backported fix) fails rather than asks for review.
    pub unconfirmed_fails: bool,
}

impl Default for Rule {
    fn default() -> Self {
        Rule {
            fail_on_known_exploited: true,
            fail_at_cvss: Some(7.0),
            unconfirmed_fails: false,
        }
    }
}

impl Rule {
    /// Reads a rule from TOML, refusing a CVSS threshold outside 0.0–10.0.
    pub fn from_toml(s: &str) -> Result<Rule, String> {
        let r: Rule = toml::from_str(s).map_err(|e| e.to_string())?;
        if let Some(t) = r.fail_at_cvss
            && !(0.0..=10.0).contains(&t)
        {
            return Err(format!(
                "fail_at_cvss = {t}: expected a score from 0.0 to 10.0"
            ));
        }
        Ok(r)
    }
}

/// The result of the rule for one match or for the product; ordered from
/// best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Cleared (e.g. by VEX), or no match at all (適合).
    Pass,
    /// A person has to judge (要確認).
    Review,
    /// Known exploited, scored at or above the threshold, or confirmed by VEX
    /// (不適合).
    Fail,
}

impl Outcome {
    /// The outcome's label in Japanese and English.
    pub fn text(self) -> Text {
        match self {
            Outcome::Pass => Text::new("適合", "pass"),
            Outcome::Review => Text::new("要確認", "needs review"),
            Outcome::Fail => Text::new("不適合", "fail"),
        }
    }
}

/// Why one match came out as it did.
#[derive(Debug, Clone, Serialize)]
pub struct Reason {
    /// The vulnerability's id as matched (CVE or OSV id).
    pub vuln_id: String,
    /// The component, as name and version.
    pub component: String,
    /// The match's outcome under the rule.
    pub outcome: Outcome,
    /// The explanation, in Japanese and English.
    pub text: Text,
}

/// The S1.1-13 ② verdict on a product: the worst outcome of its matches.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The criterion judged (`S1.1-13`).
    pub criterion: &'static str,
    /// The worst outcome of the matches; pass when there are none.
    pub outcome: Outcome,
    /// The rule applied.
    pub rule: Rule,
    /// One reason per match.
    pub reasons: Vec<Reason>,
}

fn score_text(m: &Match) -> (String, String) {
    match &m.cvss {
        Some(c) => {
            let s = c.score.map_or("-".to_string(), |s| format!("{s:.1}"));
            (
                format!("CVSS v{} 基本値 {s}（{}）", c.version, c.vector),
                format!("CVSS v{} base score {s} ({})", c.version, c.vector),
            )
        }
        None => ("CVSS 評価なし".into(), "no CVSS rating".into()),
    }
}

/// Judge one match.
pub fn judge(m: &Match, rule: &Rule) -> Reason {
    let (sja, sen) = score_text(m);
    let comp = format!(
        "{} {}",
        m.component.name,
        m.component.version.as_deref().unwrap_or("")
    )
    .trim()
    .to_string();
    let reason = |outcome, ja: String, en: String| Reason {
        vuln_id: m.vuln_id.clone(),
        component: comp.clone(),
        outcome,
        text: Text::new(ja, en),
    };
    if let Some(v) = &m.vex {
        let why = v
            .justification
            .clone()
            .or_else(|| v.detail.clone())
            .unwrap_or_default();
        return match v.status {
            VexStatus::NotAffected => reason(
                Outcome::Pass,
                format!(
                    "{}: {comp} は影響を受けないと VEX で表明されています（{why}; {}）",
                    m.vuln_id, v.file
                ),
                format!(
                    "{}: VEX states {comp} is not affected ({why}; {})",
                    m.vuln_id, v.file
                ),
            ),
            VexStatus::Fixed => reason(
                Outcome::Pass,
                format!(
                    "{}: {comp} では修正済みと VEX で表明されています（{}）",
                    m.vuln_id, v.file
                ),
                format!(
                    "{}: VEX states the vulnerability is fixed in {comp} ({})",
                    m.vuln_id, v.file
                ),
            ),
            VexStatus::UnderInvestigation => reason(
                Outcome::Review,
                format!("{}: VEX では調査中です（{}）", m.vuln_id, v.file),
                format!(
                    "{}: VEX says it is under investigation ({})",
                    m.vuln_id, v.file
                ),
            ),
            VexStatus::Affected => severity(m, rule, false, &comp, &sja, &sen, true),
        };
    }
    severity(
        m,
        rule,
        m.needs_confirmation.is_some(),
        &comp,
        &sja,
        &sen,
        false,
    )
}

fn severity(
    m: &Match,
    rule: &Rule,
    unconfirmed: bool,
    comp: &str,
    sja: &str,
    sen: &str,
    vex_affected: bool,
) -> Reason {
    let score = m.cvss.as_ref().and_then(|c| c.score);
    let kev = rule.fail_on_known_exploited && m.known_exploited;
    let high = matches!((score, rule.fail_at_cvss), (Some(s), Some(t)) if s >= t);
    let (mut ja, mut en) = (Vec::new(), Vec::new());
    if m.known_exploited {
        ja.push("CISA KEV に悪用が確認された脆弱性として掲載".to_string());
        en.push("listed in CISA KEV as known exploited".to_string());
    }
    ja.push(sja.to_string());
    en.push(sen.to_string());
    if vex_affected {
        ja.push("VEX で影響ありと表明".into());
        en.push("VEX states affected".into());
    }
    let outcome = if kev || high {
        if unconfirmed && !rule.unconfirmed_fails {
            if let Some(c) = &m.needs_confirmation {
                let t = c.text();
                ja.push(format!("基準では不適合ですが確認が必要: {}", t.ja));
                en.push(format!("fails the rule but needs confirmation: {}", t.en));
            }
            Outcome::Review
        } else {
            if let Some(t) = rule.fail_at_cvss
                && high
            {
                ja.push(format!("しきい値 {t:.1} 以上"));
                en.push(format!("at or above the threshold {t:.1}"));
            }
            Outcome::Fail
        }
    } else {
        ja.push("悪用可能性の確認が必要".into());
        en.push("exploitability needs review".into());
        Outcome::Review
    };
    Reason {
        vuln_id: m.vuln_id.clone(),
        component: comp.to_string(),
        outcome,
        text: Text::new(
            format!("{}: {comp}: {}", m.vuln_id, ja.join("、")),
            format!("{}: {comp}: {}", m.vuln_id, en.join("; ")),
        ),
    }
}

/// The verdict over all matches.
pub fn verdict(matches: &[Match], rule: &Rule) -> Verdict {
    let reasons: Vec<Reason> = matches.iter().map(|m| judge(m, rule)).collect();
    let outcome = reasons
        .iter()
        .map(|r| r.outcome)
        .max()
        .unwrap_or(Outcome::Pass);
    Verdict {
        criterion: "S1.1-13",
        outcome,
        rule: rule.clone(),
        reasons,
    }
}

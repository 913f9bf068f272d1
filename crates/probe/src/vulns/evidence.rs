//! The vulnerability check's evidence: `vulns.json`, the typed reason of
//! each match and its finding.

use jcstar_vulndb::Stats;
use jcstar_vulndb::matcher::{Match, MatchReport, Origin};
use jcstar_vulndb::verdict::{self, Outcome};
use serde_json::json;

use super::{Seen, VulnPlan, rule_text};
use crate::findings::S1_1_13_2;
use crate::reason::vuln::Matched;
use crate::report::{Finding, FindingText, PortRef, Severity, Transport, Verdict};

/// The evidence file of the check.
pub const VULNS_JSON: &str = "vulns.json";

/// Schema name and major version of `vulns.json`.
pub const SCHEMA: &str = "jcstar.vulns/1";

fn outcome_key(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Review => "review",
        Outcome::Fail => "fail",
    }
}

fn cvss(m: &Match) -> Option<String> {
    m.cvss.as_ref().map(|c| {
        let s = c.score.map_or("-".to_string(), |s| format!("{s:.1}"));
        format!("{s} {}", c.vector)
    })
}

fn vex(m: &Match) -> Option<String> {
    m.vex.as_ref().map(|v| {
        let mut parts = vec![v.status.as_str().to_string()];
        parts.extend(v.justification.clone());
        parts.extend(v.detail.as_ref().map(|d| format!("{d:?}")));
        format!("{} ({} {})", parts.join(", "), v.file, v.path)
    })
}

/// The rule's text without the leading id the reason already shows.
fn strip_id(text: &str, id: &str) -> String {
    text.strip_prefix(id)
        .and_then(|t| t.strip_prefix(": "))
        .unwrap_or(text)
        .to_string()
}

/// The typed reason of one match.
pub(super) fn matched(m: &Match, r: &verdict::Reason, ports: &[String]) -> Matched {
    let why = m.why();
    let (banner, sbom) = match &m.component.origin {
        Origin::Banner { banner, .. } => (Some(banner.clone()), None),
        Origin::Sbom { file, bom_ref, .. } => (None, Some(format!("{file}: {bom_ref}"))),
    };
    let mut why_ja = why.ja;
    let mut why_en = why.en;
    if let Some(c) = &m.needs_confirmation {
        let t = c.text();
        why_ja.push_str(&format!("。要確認: {}", t.ja));
        why_en.push_str(&format!("; needs confirmation: {}", t.en));
    }
    Matched {
        vuln_id: m.vuln_id.clone(),
        component: r.component.clone(),
        port: (!ports.is_empty()).then(|| ports.join(", ")),
        banner,
        sbom,
        outcome: outcome_key(r.outcome).into(),
        cvss: cvss(m),
        known_exploited: m.known_exploited,
        vex: vex(m),
        why_en,
        why_ja,
        judged_en: strip_id(&r.text.en, &m.vuln_id),
        judged_ja: strip_id(&r.text.ja, &m.vuln_id),
    }
}

fn port_ref(ports: &[String]) -> Option<PortRef> {
    let first = ports.first()?;
    let (n, t) = first.split_once('/')?;
    Some(PortRef {
        port: n.parse().ok()?,
        transport: if t == "udp" {
            Transport::Udp
        } else {
            Transport::Tcp
        },
    })
}

/// The finding of a match the rule does not clear.
pub(super) fn finding(m: &Match, r: &verdict::Reason, ports: &[String]) -> Finding {
    let on = if ports.is_empty() {
        String::new()
    } else {
        format!("{}: ", ports.join(", "))
    };
    Finding {
        criterion: S1_1_13_2,
        severity: if r.outcome == Outcome::Fail {
            Severity::High
        } else {
            Severity::Medium
        },
        kind: "known-vulnerability".into(),
        title: format!("{on}known vulnerability {} in {}", m.vuln_id, r.component),
        detail: r.text.en.clone(),
        port: port_ref(ports),
        evidence: vec![VULNS_JSON.into()],
        ja: Some(FindingText {
            title: format!("{on}{} に既知の脆弱性 {}", r.component, m.vuln_id),
            detail: r.text.ja.clone(),
        }),
    }
}

/// `vulns.json`: the store, the inputs, the rule, every component and
/// where it was seen, every match with the rule's judgement, and the verdict.
pub(super) fn json(
    plan: &VulnPlan,
    stats: &Stats,
    seen: &[Seen],
    mr: &MatchReport,
    v: &verdict::Verdict,
    criterion_verdict: Verdict,
    not_compared: &[String],
) -> jcstar_vulndb::Result<Vec<u8>> {
    let (rule_ja, rule_en) = rule_text(&plan.rule);
    let matches: Vec<serde_json::Value> = mr
        .matches
        .iter()
        .zip(&v.reasons)
        .map(|(m, r)| {
            let ports: Vec<&String> = seen
                .iter()
                .filter(|s| super::same_component(&s.component, &m.component))
                .flat_map(|s| &s.ports)
                .collect();
            json!({
                "vuln_id": m.vuln_id,
                "ports": ports,
                "outcome": outcome_key(r.outcome),
                "judged": r.text,
                "why": m.why(),
                "match": m,
            })
        })
        .collect();
    let value = json!({
        "schema": SCHEMA,
        "criterion": S1_1_13_2,
        "verdict": criterion_verdict,
        "store": { "location": plan.store, "stats": stats },
        "rule": { "settings": plan.rule, "ja": rule_ja, "en": rule_en },
        "inputs": plan.inputs,
        "sbom_problems": plan.sboms.iter().flat_map(|(f, s)| s.problems.iter().map(move |p| json!({"file": f, "problem": p}))).collect::<Vec<_>>(),
        "vex_statements": plan.vex,
        "components": seen,
        "matches": matches,
        "not_compared": not_compared,
    });
    Ok(serde_json::to_vec_pretty(&value)?)
}

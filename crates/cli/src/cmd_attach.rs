//! `jcstar checklist attach`: record device-test evidence against a checklist.
//! Reached through `cmd_checklist`, which owns the `checklist` command line.
//!
//! The evidence directory is verified against its manifest first; each
//! criterion the probe report has a verdict on (other than not-tested) gets a
//! device-test reference to the report. Answers are never changed: the
//! command prints what the evidence says so the tester decides.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use jcstar_checklist::{Attached, Checklist, Evidence, TestResultRef};
use jcstar_criteria::Lang;
use jcstar_probe::findings::base_criterion;
use jcstar_probe::{Verdict, evidence};

use crate::Ctx;

#[derive(clap::Args)]
pub struct AttachArgs {
    /// The checklist file (.toml, .json or .xlsx); updated in place.
    pub file: PathBuf,
    /// Evidence directory written by `jcstar probe -o DIR`.
    #[arg(long)]
    pub evidence: PathBuf,
    /// Print what was attached as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The evidence reference as the checklist stores it: relative to the
/// checklist's folder when the directory is inside it, else external.
/// `jcstar assess --checklist` records the same reference.
pub(crate) fn reference(checklist: &Path, dir: &Path) -> TestResultRef {
    let report = dir.join(evidence::REPORT_JSON);
    let base = checklist
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    match abs(&report).strip_prefix(abs(base)) {
        Ok(rel) => TestResultRef {
            path: rel.to_string_lossy().replace('\\', "/"),
            external: false,
        },
        Err(_) => TestResultRef {
            path: abs(&report).display().to_string(),
            external: true,
        },
    }
}

pub fn run(ctx: &Ctx, args: AttachArgs) -> anyhow::Result<ExitCode> {
    if !args.evidence.is_dir() {
        anyhow::bail!(
            "--evidence {}: no such directory; give the evidence directory written by `jcstar probe TARGET -o DIR`",
            args.evidence.display()
        );
    }
    if !args.evidence.join(evidence::MANIFEST_JSON).is_file() {
        anyhow::bail!(
            "--evidence {}: no {} in it; this is not an evidence directory written by `jcstar probe -o DIR`",
            args.evidence.display(),
            evidence::MANIFEST_JSON
        );
    }
    let v = evidence::verify(&args.evidence)?;
    if !v.ok {
        anyhow::bail!(
            "{} does not match its manifest (modified: {:?}, missing: {:?}, unlisted: {:?}); refusing to attach altered evidence",
            args.evidence.display(),
            v.modified,
            v.missing,
            v.unlisted
        );
    }
    let report = evidence::read_report(&args.evidence)?;
    let mut checklist = Checklist::from_path(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let r = reference(&args.file, &args.evidence);
    let mut rows = Vec::new();
    let mut covered: Vec<&str> = Vec::new();
    for verdict in &report.verdicts {
        let id = base_criterion(&verdict.criterion);
        let attached = if verdict.verdict != Verdict::NotTested && !covered.contains(&id) {
            covered.push(id);
            Some(checklist.attach_evidence(id, Evidence::DeviceTest(r.clone())))
        } else {
            None
        };
        let answer = checklist
            .answer(id)
            .map(|a| a.result.key().to_string())
            .unwrap_or_else(|| "none".into());
        rows.push(serde_json::json!({
            "criterion": verdict.criterion,
            "verdict": verdict.verdict,
            "reasons": verdict.reasons,
            "answer": answer,
            "attached": attached.map(|a| match a {
                Attached::Added => "added",
                Attached::AddedToNewAnswer => "added-to-new-answer",
                Attached::AlreadyPresent => "already-present",
            }),
        }));
    }
    checklist
        .write_path(&args.file, None)
        .with_context(|| format!("writing {}", args.file.display()))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "checklist": args.file.display().to_string(),
                "evidence": r.path,
                "external": r.external,
                "target": report.target.input,
                "probed": report.started,
                "criteria": rows,
            }))?
        );
    } else {
        let ja = matches!(ctx.lang, Lang::Ja);
        println!(
            "{} {} ({} {}, {})",
            if ja {
                "証跡を記録:"
            } else {
                "evidence attached:"
            },
            r.path,
            if ja { "対象" } else { "target" },
            report.target.input,
            report.started
        );
        for row in &rows {
            let get = |k: &str| {
                row.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            println!(
                "  {:<10} {} {:<13} {} {}{}",
                get("criterion"),
                if ja {
                    "証跡の判定"
                } else {
                    "evidence says"
                },
                get("verdict"),
                if ja {
                    "回答(変更なし)"
                } else {
                    "answer (unchanged)"
                },
                get("answer"),
                if row.get("attached").is_some_and(|a| a.is_null()) {
                    if ja {
                        " — 未試験のため記録せず"
                    } else {
                        " — not tested, not attached"
                    }
                } else {
                    ""
                }
            );
            if let Some(reasons) = row.get("reasons").and_then(|r| r.as_array()) {
                for reason in reasons.iter().filter_map(|r| r.as_str()) {
                    println!("      - {reason}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

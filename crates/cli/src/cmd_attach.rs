//! `jcstar checklist attach`: record device-test evidence against a checklist.
//! Reached through `cmd_checklist`, which owns the `checklist` command line.
//! Verification, the reference and what is recorded are decided by
//! `jcstar_checklist::attach_to_file`; this prints what it did.

use std::path::PathBuf;
use std::process::ExitCode;

use jcstar_checklist::{Attached, Outcome, attach_to_file};
use jcstar_criteria::{Catalog, Lang};

use crate::Ctx;

#[derive(clap::Args)]
pub struct AttachArgs {
    /// The checklist file (.toml, .json or .xlsx); updated in place (a
    /// workbook with sheets or notes of the vendor's own is left alone and
    /// the result written next to it).
    pub file: PathBuf,
    /// Evidence directory written by `jcstar probe -o DIR` or `jcstar assess -o DIR`.
    #[arg(long)]
    pub evidence: PathBuf,
    /// Print what was attached as JSON.
    #[arg(long)]
    pub json: bool,
}

fn attached_key(a: Attached) -> &'static str {
    match a {
        Attached::Added => "added",
        Attached::AddedToNewAnswer => "added-to-new-answer",
        Attached::AlreadyPresent => "already-present",
        Attached::Updated => "updated",
    }
}

pub fn run(ctx: &Ctx, args: AttachArgs) -> anyhow::Result<ExitCode> {
    let (outcome, written) = attach_to_file(&args.file, &args.evidence, Some(Catalog::star1()))
        .map_err(|e| anyhow::anyhow!(e.message(ctx.lang)))?;
    let contradictions = outcome.rows.iter().filter(|r| r.contradicts).count();
    if args.json {
        let rows: Vec<serde_json::Value> = outcome
            .rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "criterion": r.criterion,
                    "verdict": r.verdict,
                    "reasons": r.reasons,
                    "answer": r.answer.map_or("none", Outcome::key),
                    "attached": r.attached.map(attached_key),
                    "contradicts": r.contradicts,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "checklist": args.file.display().to_string(),
                "written": written.path.display().to_string(),
                "new-file": written.new_file,
                "new-file-reason": written.reason,
                "evidence": outcome.path,
                "external": outcome.external,
                "manifest-sha256": outcome.manifest_sha256,
                "target": outcome.target,
                "probed": outcome.started,
                "contradictions": contradictions,
                "criteria": rows,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let ja = matches!(ctx.lang, Lang::Ja);
    let l = |j: &'static str, e: &'static str| if ja { j } else { e };
    println!(
        "{} {}{} ({} {}, {})",
        l("証跡を記録:", "evidence attached:"),
        outcome.path,
        if outcome.external {
            l(
                "（チェックリストのフォルダ外）",
                " (outside the checklist's folder)",
            )
        } else {
            ""
        },
        l("対象", "target"),
        outcome.target,
        outcome.started
    );
    for r in &outcome.rows {
        let answer = r.answer.map_or(l("回答なし", "none"), |a| match ctx.lang {
            Lang::Ja => a.label_ja(),
            Lang::En => a.label_en(),
        });
        println!(
            "  {:<10} {} {:<13} {} {}{}{}",
            r.criterion,
            l("証跡の判定", "evidence says"),
            r.verdict.key(),
            l("回答(変更なし)", "answer (unchanged)"),
            answer,
            if r.attached.is_none() {
                l(" — 未試験のため記録せず", " — not tested, not attached")
            } else {
                ""
            },
            if r.contradicts {
                l(
                    " — 回答と証跡が矛盾",
                    " — the answer contradicts the evidence",
                )
            } else {
                ""
            }
        );
        for reason in r.reasons_in(ctx.lang) {
            println!("      - {reason}");
        }
    }
    if written.new_file {
        println!(
            "{} {} ({})",
            l(
                "元のブックは変更せず、結果を新しいファイルに書きました:",
                "the original workbook was left as it is; the result is in a new file:"
            ),
            written.path.display(),
            written.reason.as_deref().unwrap_or_default()
        );
    }
    if contradictions > 0 {
        println!(
            "{}",
            l(
                "回答が証跡と矛盾しています。`jcstar checklist validate` で確認し、回答か製品を直してください",
                "some answers contradict the evidence; run `jcstar checklist validate` and fix the answer or the product"
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

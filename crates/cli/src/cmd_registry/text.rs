//! The registry's results as text, in the language asked for.

use std::process::ExitCode;

use jcstar_criteria::Lang;
use jcstar_registry::{ApplicationStatus, Role};
use jcstar_web::i18n::event_text;
use serde::Serialize;

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

/// A registry error: refusals exit 1, everything else 2. The error's text
/// is in `lang`; `--json` keeps the English text under `error`.
// `v[key] = ...` inserts keys into the JSON object built here.
#[allow(clippy::indexing_slicing)]
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
        _ if code == 1 => eprintln!("{refused}: {}", err.message(lang)),
        _ => eprintln!(
            "{}: {}",
            tr(lang, "jcstar: エラー", "jcstar: error"),
            err.message(lang)
        ),
    }
    ExitCode::from(code)
}

/// An application's status as people read it.
pub(super) fn app_status_text(s: ApplicationStatus, lang: Lang) -> &'static str {
    s.text(lang)
}

/// Japanese from the pages' words; English as the registry spells it.
pub(super) fn status_text(s: jcstar_registry::LabelStatus, lang: Lang) -> String {
    match lang {
        Lang::Ja => s.text(lang).to_string(),
        Lang::En => s.to_string(),
    }
}

pub(super) fn kind_text(k: jcstar_registry::EventKind, lang: Lang) -> String {
    match lang {
        Lang::Ja => event_text(k, lang).to_string(),
        Lang::En => k.to_string(),
    }
}

pub(super) fn role_text(r: Role, lang: Lang) -> String {
    match (lang, r) {
        (Lang::En, r) => r.to_string(),
        (Lang::Ja, Role::Public) => "一般".into(),
        (Lang::Ja, Role::Vendor) => "申請事業者".into(),
        (Lang::Ja, Role::EvaluationBody) => "評価機関".into(),
        (Lang::Ja, Role::Operator) => "制度運営機関".into(),
    }
}

pub(super) fn app_text(a: &jcstar_registry::Application, lang: Lang) -> String {
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

pub(super) fn label_text(l: &jcstar_registry::Label, lang: Lang) -> String {
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
pub(super) fn verify_text(r: &jcstar_registry::VerifyReport, lang: Lang) -> String {
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

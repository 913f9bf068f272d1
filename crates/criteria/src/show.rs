//! How `criteria show` presents one criterion: as text in Japanese or
//! English, and as JSON with its category, requirement, terms and related
//! schemes resolved. It returns text and values and prints nothing.

use serde_json::{Value, json};

use crate::{Catalog, ConditionMode, Criterion, Lang, MethodKind};

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

fn t<'a>(lang: Lang, ja: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

/// The criterion with everything it refers to resolved, as JSON.
pub fn criterion_json(cat: &Catalog, c: &Criterion) -> Result<Value, serde_json::Error> {
    let mut v = serde_json::to_value(c)?;
    let groups = cat.references_by_scheme(c);
    let Some(obj) = v.as_object_mut() else {
        return Ok(v);
    };
    obj.insert(
        "category-title".into(),
        json!(cat.category(c.category).map(|k| &k.title)),
    );
    obj.insert(
        "requirement-statement".into(),
        json!(cat.requirement(&c.requirement).map(|r| &r.statement)),
    );
    obj.insert(
        "term-definitions".into(),
        json!(
            c.terms
                .iter()
                .filter_map(|id| cat.term(id))
                .collect::<Vec<_>>()
        ),
    );
    obj.insert(
        "references-by-scheme".into(),
        Value::Array(
            groups
                .iter()
                .map(|g| {
                    json!({
                        "scheme": g.scheme.id,
                        "name": g.scheme.name,
                        "relation": "related",
                        "references": g.references,
                    })
                })
                .collect(),
        ),
    );
    Ok(v)
}

/// The criterion as text for a terminal, in `lang`.
pub fn criterion_text(cat: &Catalog, c: &Criterion, lang: Lang) -> String {
    let groups = cat.references_by_scheme(c);
    let mut out = String::new();
    say!(out, "{}  {}", c.id, c.title.get(lang));
    say!(out);
    if let Some(k) = cat.category(c.category) {
        say!(
            out,
            "{} {}. {}",
            t(lang, "セキュリティ要件カテゴリ", "Category"),
            k.number,
            k.title.get(lang)
        );
    }
    if let Some(r) = cat.requirement(&c.requirement) {
        say!(
            out,
            "{} {}: {}",
            t(lang, "セキュリティ要件", "Requirement"),
            r.id,
            r.statement.get(lang)
        );
    }
    say!(out);
    say!(out, "{}", c.statement.get(lang));
    if let Some(conds) = &c.conditions {
        let how = match conds.mode {
            ConditionMode::All => t(lang, "（すべて満たす）", "(all must hold)"),
            ConditionMode::Any => t(lang, "（いずれか一つを満たす）", "(any one suffices)"),
        };
        say!(out, "  {how}");
        for i in &conds.items {
            say!(out, "  {} {}", i.label, i.text.get(lang));
        }
    }
    say!(out);
    if c.deemed_met_by_giteki {
        say!(
            out,
            "{}",
            t(
                lang,
                "技適: T マーク又は A マークの認定番号を基本情報シートに記入すれば適合とみなされる。",
                "技適: deemed met when a T- or A-mark certification number is entered on the basic-information sheet."
            )
        );
    }
    if c.na.allowed {
        say!(
            out,
            "{}",
            t(
                lang,
                "対象外（NA）: 次のいずれかに当たる場合（理由の記入が必須）",
                "Not applicable (NA) when any of these holds (a reason is mandatory):"
            )
        );
        for n in &c.na.conditions {
            say!(out, "  - {}", n.get(lang));
        }
    } else {
        say!(
            out,
            "{}",
            t(
                lang,
                "対象外（NA）: 不可",
                "Not applicable (NA): not allowed"
            )
        );
    }
    say!(out);
    say!(out, "{}", t(lang, "評価手法:", "Evaluation methods:"));
    for m in &c.methods {
        let name = match m.kind {
            MethodKind::DocumentReview => t(lang, "ドキュメント評価", "document review"),
            MethodKind::DeviceTest => t(lang, "実機テスト", "device test"),
        };
        let applies = if m.applies {
            t(lang, "対象", "applies")
        } else {
            t(lang, "なし", "none")
        };
        say!(out, "  {name} [{applies}]: {}", m.examines.get(lang));
        if let Some(steps) = &m.steps {
            for s in &steps.items {
                say!(out, "    {} {}", s.label, s.text.get(lang));
            }
        }
        if let Some(note) = &m.note {
            say!(out, "    ※ {}", note.get(lang));
        }
    }
    if !c.terms.is_empty() {
        say!(out);
        say!(out, "{}", t(lang, "用語:", "Terms:"));
        for id in &c.terms {
            if let Some(term) = cat.term(id) {
                say!(
                    out,
                    "  {} ({id}): {}",
                    term.name.get(lang),
                    term.definition.get(lang)
                );
            }
        }
    }
    say!(out);
    say!(
        out,
        "{}",
        t(
            lang,
            "関係する他制度の要件（原典が「関係性」として挙げるもの。同等を意味しない）:",
            "Related requirements of other schemes (listed by the source as related; not a claim of equivalence):"
        )
    );
    for g in &groups {
        let mut listed: Vec<&str> = g.references.iter().map(|r| r.listed.as_str()).collect();
        listed.dedup();
        say!(out, "  {} [{}]", g.scheme.name.get(lang), g.scheme.id);
        for l in listed {
            say!(out, "    {} {l}", t(lang, "関係:", "related:"));
        }
    }
    out
}

//! Evidence in the workbook.
//!
//! Today's layout puts each answer's evidence in plain columns: document
//! name, section or page, and file, one item per line, the lines of the
//! three cells belonging together. A device-test result is the line whose
//! document name is 「実機テスト」; a file kept outside the checklist's folder
//! starts with (外部保管); `-` marks an empty place. What `attach` recorded of
//! a device test (manifest digest, verdicts) is machine-written and kept as
//! JSON in a column of its own, matched to its line by the file.
//!
//! Workbooks written before these columns existed hold everything in one
//! `証跡` cell, one `KIND | field | field` line per item; they are still
//! read (see [`decode_legacy_line`]).

use serde::{Deserialize, Serialize};

use crate::model::{DocumentRef, Evidence, RecordedVerdict, TestResultRef};

/// Written where a line has nothing in that column.
pub(crate) const NONE_MARK: &str = "-";

/// The words a person may type for "nothing here".
pub(crate) fn is_blank(s: &str) -> bool {
    is_none_mark(s)
}

fn is_none_mark(s: &str) -> bool {
    matches!(s, "" | "-" | "－" | "―" | "—" | "–" | "ー")
}

/// Words of one workbook language for the evidence cells.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EvidenceWords {
    /// The document name that marks a device-test result.
    pub device_test: &'static str,
    /// Prefix of a file kept outside the checklist's folder.
    pub external: &'static str,
}

pub(crate) const WORDS_JA: EvidenceWords = EvidenceWords {
    device_test: "実機テスト",
    external: "(外部保管)",
};

pub(crate) const WORDS_EN: EvidenceWords = EvidenceWords {
    device_test: "device test",
    external: "(kept elsewhere)",
};

/// Device-test names and external markers accepted in either language, so
/// a workbook keeps reading after someone types the other language's word.
fn is_device_test_name(s: &str) -> bool {
    let norm: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .collect::<String>()
        .to_lowercase();
    matches!(
        norm.as_str(),
        "実機テスト" | "実機テスト結果" | "devicetest" | "devicetestresult"
    )
}

fn strip_external(file: &str) -> (bool, &str) {
    let t = file.trim();
    for mark in [
        WORDS_JA.external,
        "（外部保管）",
        "［外部保管］",
        "[外部保管]",
        WORDS_EN.external,
        "(external)",
    ] {
        if let Some(head) = t.get(..mark.len())
            && head.eq_ignore_ascii_case(mark)
        {
            return (true, t.get(mark.len()..).unwrap_or_default().trim());
        }
    }
    (false, t)
}

/// The cells of one answer's evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EvidenceCells {
    pub name: String,
    pub section: String,
    pub file: String,
    /// JSON; empty when nothing was recorded.
    pub record: String,
}

/// What `attach` recorded of one device-test result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Record {
    path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    manifest_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    verdicts: Vec<RecordedVerdict>,
}

pub(crate) fn encode(items: &[Evidence], w: EvidenceWords) -> EvidenceCells {
    let mark = |s: Option<&str>| match s {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => NONE_MARK.to_string(),
    };
    let file = |path: Option<&str>, external: bool| match (external, path) {
        (true, Some(p)) if !p.is_empty() => format!("{} {p}", w.external),
        (true, _) => w.external.to_string(),
        (false, p) => mark(p),
    };
    let mut names = Vec::new();
    let mut sections = Vec::new();
    let mut files = Vec::new();
    let mut records = Vec::new();
    for e in items {
        match e {
            Evidence::Document(d) => {
                names.push(mark(Some(&d.name)));
                sections.push(mark(d.section.as_deref()));
                files.push(file(d.path.as_deref(), d.external));
            }
            Evidence::DeviceTest(t) => {
                names.push(w.device_test.to_string());
                sections.push(NONE_MARK.to_string());
                files.push(file(Some(&t.path), t.external));
                if t.manifest_sha256.is_some() || !t.verdicts.is_empty() {
                    records.push(Record {
                        path: t.path.clone(),
                        manifest_sha256: t.manifest_sha256.clone(),
                        verdicts: t.verdicts.clone(),
                    });
                }
            }
        }
    }
    EvidenceCells {
        name: names.join("\n"),
        section: sections.join("\n"),
        file: files.join("\n"),
        record: if records.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&records).unwrap_or_default()
        },
    }
}

/// Which evidence cell a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Section,
    Record,
}

/// A problem found while reading evidence cells: the cell, and what to
/// type there (Japanese, English).
pub(crate) type PartProblem = (Part, String, String);

/// Reads the evidence cells of one answer; every problem is returned, and
/// the lines that could be read are kept.
pub(crate) fn decode(cells: &EvidenceCells) -> (Vec<Evidence>, Vec<PartProblem>) {
    let lines = |s: &str| -> Vec<String> { s.lines().map(|l| l.trim().to_string()).collect() };
    let (names, sections, files) = (
        lines(&cells.name),
        lines(&cells.section),
        lines(&cells.file),
    );
    let mut problems = Vec::new();
    let mut records: Vec<Option<Record>> = if cells.record.trim().is_empty() {
        Vec::new()
    } else {
        match serde_json::from_str::<Vec<Record>>(&cells.record) {
            Ok(r) => r.into_iter().map(Some).collect(),
            Err(_) => {
                problems.push((
                    Part::Record,
                    "この列は `jcstar checklist attach` が書く記録です。書き換えずに元に戻すか、記録を捨てる場合は空にしてください".to_string(),
                    "this column is written by `jcstar checklist attach`; undo the change, or empty the cell to drop the record".to_string(),
                ));
                Vec::new()
            }
        }
    };
    let n = names.len().max(sections.len()).max(files.len());
    let get = |v: &[String], i: usize| -> Option<String> {
        v.get(i).filter(|s| !is_none_mark(s)).cloned()
    };
    let mut out = Vec::new();
    for i in 0..n {
        let name = get(&names, i);
        let section = get(&sections, i);
        let (external, file) = match files.get(i) {
            Some(f) => {
                let (ext, rest) = strip_external(f);
                (ext, Some(rest.to_string()).filter(|r| !is_none_mark(r)))
            }
            None => (false, None),
        };
        if name.is_none() && section.is_none() && file.is_none() && !external {
            continue;
        }
        if name.as_deref().is_some_and(is_device_test_name) {
            if let Some(s) = &section {
                problems.push((
                    Part::Section,
                    format!(
                        "{} 行目は実機テストの結果なので章・ページは書けません（「{s}」を消して「-」にしてください）",
                        i + 1
                    ),
                    format!(
                        "line {} is a device-test result, which has no section or page; replace `{s}` with `-`",
                        i + 1
                    ),
                ));
            }
            let path = file.unwrap_or_default();
            let record = records
                .iter_mut()
                .find(|r| r.as_ref().is_some_and(|r| r.path == path))
                .and_then(Option::take);
            out.push(Evidence::DeviceTest(TestResultRef {
                path,
                external,
                manifest_sha256: record.as_ref().and_then(|r| r.manifest_sha256.clone()),
                verdicts: record.map(|r| r.verdicts).unwrap_or_default(),
            }));
        } else {
            out.push(Evidence::Document(DocumentRef {
                name: name.unwrap_or_default(),
                section,
                path: file,
                external,
            }));
        }
    }
    (out, problems)
}

/// How to write evidence in the plain columns, shown when a cell of them is
/// selected (a spreadsheet input message holds at most 255 characters).
pub(crate) const HOWTO_JA: &str = "証跡は1行に1つ、「証跡の文書名」「証跡の章・ページ」「証跡のファイル」の同じ行に書きます。実機テストの結果は文書名を「実機テスト」に、フォルダ外に保管するものはファイルの先頭に (外部保管) を、空欄には - を書きます";

pub(crate) const HOWTO_EN: &str = "one item per line, line n of the document, section/page and file columns belonging together; a device-test result has the document name `device test`; a file kept elsewhere starts with (kept elsewhere); `-` marks an empty place";

// ---- the one-cell syntax of earlier workbooks ----

const LEGACY_DOCUMENT: &str = "文書";
const LEGACY_DEVICE_TEST: &str = "実機テスト";
const LEGACY_EXTERNAL: &str = "(外部保管)";

pub(crate) const LEGACY_SYNTAX_JA: &str = "証跡は1行に1つ、「文書 | 文書名 | 章・ページ | ファイル」または「実機テスト | 結果ファイル」と書いてください。フォルダ外に保管するものは種別の後に (外部保管) を付けます（| は \\| と書きます）。新しい様式では証跡の文書名・章・ページ・ファイルを別々の列に書けます（`jcstar checklist export --xlsx` で作り直せます）";
pub(crate) const LEGACY_SYNTAX_EN: &str = "write one evidence per line as `文書 | name | section | path` or `実機テスト | result file path`, adding (外部保管) after the kind for evidence kept outside the checklist folder (escape | as \\|); the current layout has separate document, section and file columns (`jcstar checklist export --xlsx` rewrites the workbook in it)";

/// Splits on unescaped bars and undoes the escapes; `None` on a dangling or
/// unknown escape.
fn split_fields(line: &str) -> Option<Vec<String>> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(ch) = chars.next() {
        let cur = fields.last_mut()?;
        match ch {
            '\\' => match chars.next()? {
                '\\' => cur.push('\\'),
                '|' => cur.push('|'),
                'n' => cur.push('\n'),
                'r' => cur.push('\r'),
                _ => return None,
            },
            '|' => fields.push(String::new()),
            c => cur.push(c),
        }
    }
    // That syntax wrote ` | ` between fields: drop exactly that one blank on
    // each side of a bar, so blanks that belong to a field survive.
    let last = fields.len().saturating_sub(1);
    Some(
        fields
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let f = if i > 0 {
                    f.strip_prefix(' ').unwrap_or(&f)
                } else {
                    &f
                };
                let f = if i < last {
                    f.strip_suffix(' ').unwrap_or(f)
                } else {
                    f
                };
                f.to_string()
            })
            .collect(),
    )
}

/// One line of the one-cell `証跡` syntax.
pub(crate) fn decode_legacy_line(line: &str) -> Option<Evidence> {
    let fields = split_fields(line)?;
    let mut it = fields.into_iter();
    let kind: String = it
        .next()?
        .chars()
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c,
        })
        .filter(|c| !c.is_whitespace())
        .collect();
    let (base, external) = match kind.strip_suffix(LEGACY_EXTERNAL) {
        Some(b) => (b.to_string(), true),
        None => match kind.strip_suffix("(external)") {
            Some(b) => (b.to_string(), true),
            None => (kind, false),
        },
    };
    let opt = |s: Option<String>| s.filter(|s| !s.is_empty());
    match base.as_str() {
        LEGACY_DOCUMENT | "document" => {
            let name = it.next()?;
            let section = opt(it.next());
            let path = opt(it.next());
            if it.next().is_some() {
                return None;
            }
            Some(Evidence::Document(DocumentRef {
                name,
                section,
                path,
                external,
            }))
        }
        LEGACY_DEVICE_TEST | "device-test" => {
            let path = it.next()?;
            let manifest_sha256 = opt(it.next());
            let verdicts = match it.next() {
                Some(v) if v.trim().is_empty() => Vec::new(),
                Some(v) => serde_json::from_str(&v).ok()?,
                None => Vec::new(),
            };
            if it.next().is_some() {
                return None;
            }
            Some(Evidence::DeviceTest(TestResultRef {
                path,
                external,
                manifest_sha256,
                verdicts,
            }))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Verdict;

    fn doc(name: &str, section: Option<&str>, path: Option<&str>, external: bool) -> Evidence {
        Evidence::Document(DocumentRef {
            name: name.into(),
            section: section.map(Into::into),
            path: path.map(Into::into),
            external,
        })
    }

    #[test]
    fn plain_columns_round_trip() {
        let items = vec![
            doc(
                "設計書 | 第2版 \\ 草案",
                Some("3.2 認証"),
                Some("docs/設計書.pdf"),
                false,
            ),
            doc("社内規程", None, None, true),
            doc("manual", None, Some("../shared/manual.pdf"), true),
            Evidence::DeviceTest(TestResultRef {
                path: "evidence/login.json".into(),
                ..TestResultRef::default()
            }),
            Evidence::DeviceTest(TestResultRef {
                path: "../lab/report.json".into(),
                external: true,
                manifest_sha256: Some("ab12".into()),
                verdicts: vec![RecordedVerdict {
                    criterion: "S1.1-13②".into(),
                    verdict: Verdict::NotTested,
                    reasons: vec!["scanner | not\n run".into()],
                }],
            }),
        ];
        for w in [WORDS_JA, WORDS_EN] {
            let cells = encode(&items, w);
            assert_eq!(cells.name.lines().count(), items.len());
            let (back, problems) = decode(&cells);
            assert!(problems.is_empty(), "{problems:?}");
            assert_eq!(back, items);
        }
        let cells = encode(&items, WORDS_JA);
        assert_eq!(
            cells.file,
            "docs/設計書.pdf\n(外部保管)\n(外部保管) ../shared/manual.pdf\nevidence/login.json\n(外部保管) ../lab/report.json"
        );
    }

    #[test]
    fn what_people_type_is_understood() {
        let cells = EvidenceCells {
            name: "取扱説明書\n\n実機テスト結果\nDevice test".into(),
            section: "p. 14\n\nー\n".into(),
            file: "－\n\n（外部保管）TR-1\nevidence/x.json".into(),
            record: String::new(),
        };
        let (items, problems) = decode(&cells);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            items,
            vec![
                doc("取扱説明書", Some("p. 14"), None, false),
                Evidence::DeviceTest(TestResultRef {
                    path: "TR-1".into(),
                    external: true,
                    ..TestResultRef::default()
                }),
                Evidence::DeviceTest(TestResultRef {
                    path: "evidence/x.json".into(),
                    ..TestResultRef::default()
                }),
            ]
        );
        // A section next to a device test, and a broken record.
        let (_, problems) = decode(&EvidenceCells {
            name: "実機テスト".into(),
            section: "3.2".into(),
            file: "r.json".into(),
            record: "{".into(),
        });
        let parts: Vec<Part> = problems.iter().map(|p| p.0).collect();
        assert_eq!(parts, [Part::Record, Part::Section]);
    }

    #[test]
    fn legacy_lines() {
        assert_eq!(
            decode_legacy_line("文書(外部保管) | 仕様書 \\| 第2版 | 3.2"),
            Some(doc("仕様書 | 第2版", Some("3.2"), None, true))
        );
        assert_eq!(decode_legacy_line("写真 | x"), None);
        assert_eq!(decode_legacy_line("文書 | a \\q"), None);
        assert!(matches!(
            decode_legacy_line("実機テスト（外部保管） | TR-1"),
            Some(Evidence::DeviceTest(TestResultRef { external: true, .. }))
        ));
    }
}

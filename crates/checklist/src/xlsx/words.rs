//! The workbook's fixed words in English. The Japanese names are the keys
//! everything else uses; an English workbook writes and reads their
//! translations, so the two layouts never drift apart.

use jcstar_criteria::Lang;

/// Japanese name → English name.
const EN: &[(&str, &str)] = &[
    // Sheets.
    ("基本情報", "Basic information"),
    ("チェックリスト", "Checklist"),
    // Columns of the basic-information sheet.
    ("項目", "Item"),
    ("値", "Value"),
    ("記入方法", "How to fill in"),
    // Columns of the answer sheet.
    ("適合基準ID", "Criterion ID"),
    ("タイトル", "Title"),
    ("結果", "Result"),
    ("NAであることの理由", "Reason for NA"),
    ("評価手法", "Evaluation methods"),
    ("証跡", "Evidence"),
    ("証跡の文書名", "Evidence: document"),
    ("証跡の章・ページ", "Evidence: section/page"),
    ("証跡のファイル", "Evidence: file"),
    (
        "実機テストの記録（変更しないでください）",
        "Device-test record (do not change)",
    ),
    ("備考", "Notes"),
    ("適合基準（参照）", "Criterion (reference)"),
    ("NAとなる条件（参照）", "When NA applies (reference)"),
    ("評価手順（参照）", "Evaluation procedure (reference)"),
    // Rows of the basic-information sheet.
    ("スキーマバージョン", "Schema version"),
    ("適合基準カタログID", "Criteria catalog ID"),
    ("適合基準カタログ版", "Criteria catalog version"),
    ("申請者名（会社名）", "Applicant (company name)"),
    ("申請者住所", "Applicant address"),
    ("担当者名", "Contact person"),
    ("担当部署", "Department"),
    ("メールアドレス", "Email"),
    ("電話番号", "Phone"),
    ("製品名", "Product name"),
    ("製品種別", "Product type"),
    ("型番", "Model numbers"),
    (
        "ファームウェア/ソフトウェアバージョン",
        "Firmware/software versions",
    ),
    ("必須付随サービスの有無", "Essential companion service"),
    ("必須付随サービスの内容", "Companion service description"),
    ("技適マークの種類", "技適 mark"),
    ("技術基準適合認定番号等", "技適 number"),
    ("相互承認制度", "Mutual recognition arrangement"),
    (
        "相互承認の適合宣言書（文書）",
        "Recognition statement (document)",
    ),
    ("相互承認の適合宣言書（URL）", "Recognition statement (URL)"),
    ("評価日", "Evaluation date"),
    ("評価者", "Evaluator"),
    // How to fill in each row.
    (
        "変更しないでください（ファイル形式の版）",
        "do not change (version of the file layout)",
    ),
    ("変更しないでください", "do not change"),
    ("必須", "required"),
    ("任意", "optional"),
    (
        "必須（例: security@example.jp）",
        "required (e.g. security@example.jp)",
    ),
    ("必須（例: 03-0000-0000）", "required (e.g. 03-0000-0000)"),
    (
        "必須（例: ネットワークカメラ）",
        "required (e.g. network camera)",
    ),
    ("必須・1行に1つ", "required; one per line"),
    ("「あり」または「なし」", "`yes` or `no`"),
    (
        "ありの場合は必須（サービス名と役割）",
        "required when yes (the service and its role)",
    ),
    (
        "T または A（技適がなければ空欄）",
        "T or A (empty without a 技適 certification)",
    ),
    (
        "T: 設計認証番号 / A: 技術基準適合認定番号",
        "T: design certification number / A: technical conformity certification number",
    ),
    (
        "相互承認による申請のときだけ（例: uk-psti）。`jcstar criteria recognition` で一覧",
        "only for an application under a mutual-recognition arrangement (e.g. uk-psti); `jcstar criteria recognition` lists them",
    ),
    (
        "相互承認による申請では、この欄か次の URL のどちらかが必須（PSTI: Statement of Compliance）",
        "required under a mutual-recognition arrangement, this or the URL below (PSTI: statement of compliance)",
    ),
    (
        "適合宣言書を公開している URL",
        "URL where the statement is published",
    ),
    ("必須（YYYY-MM-DD）", "required (YYYY-MM-DD)"),
    // Values.
    ("あり", "yes"),
    ("なし", "no"),
    ("ドキュメント評価", "document review"),
    ("実機テスト", "device test"),
    ("・", " + "),
    (
        "対象外（NA）にはできない",
        "cannot be answered not applicable",
    ),
    ("結果の値が不正です", "Not a result"),
    ("次のいずれかを選んでください: ", "Choose one of: "),
    ("証跡の書き方", "How to cite evidence"),
];

/// The workbook word `ja` in `lang`.
pub(crate) fn n(lang: Lang, ja: &'static str) -> &'static str {
    match lang {
        Lang::Ja => ja,
        Lang::En => EN.iter().find(|(j, _)| *j == ja).map_or(ja, |(_, e)| *e),
    }
}

/// Whether `text` (as read from a cell, trimmed) is the word `ja` in either
/// language.
pub(crate) fn is(text: &str, ja: &'static str) -> bool {
    text == ja || text.eq_ignore_ascii_case(n(Lang::En, ja))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_english_name_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for (_, e) in EN {
            assert!(seen.insert(e.to_ascii_lowercase()), "{e} twice");
        }
    }
}

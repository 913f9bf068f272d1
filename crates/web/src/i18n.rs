//! Page language: negotiation (`?lang=`, then `Accept-Language`, then
//! Japanese) and the strings of the pages in Japanese and English.

use jcstar_criteria::Lang;
use jcstar_registry::{EventKind, LabelStatus, VulnerabilityState};

/// The page language: an explicit `?lang=` wins, then the first of ja/en in
/// `Accept-Language` by preference, then Japanese, the scheme's language.
pub fn negotiate(query_lang: Option<&str>, accept_language: Option<&str>) -> Lang {
    if let Some(lang) = query_lang.and_then(|q| q.parse::<Lang>().ok()) {
        return lang;
    }
    let Some(header) = accept_language else {
        return Lang::Ja;
    };
    let mut best: Option<(f32, usize, Lang)> = None;
    for (pos, item) in header.split(',').enumerate() {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        let lang = match primary {
            "ja" => Lang::Ja,
            "en" => Lang::En,
            _ => continue,
        };
        if q <= 0.0 {
            continue;
        }
        // Higher q wins; among equal q the earlier entry wins.
        if best.is_none_or(|(bq, bpos, _)| q > bq || (q == bq && pos < bpos)) {
            best = Some((q, pos, lang));
        }
    }
    best.map(|(_, _, l)| l).unwrap_or(Lang::Ja)
}

pub fn code(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "ja",
        Lang::En => "en",
    }
}

/// Every fixed string of the pages.
pub struct Tr {
    pub site: &'static str,
    pub tagline: &'static str,
    pub other_lang: &'static str,
    pub home: &'static str,
    pub search: &'static str,
    pub search_button: &'static str,
    pub search_hint: &'static str,
    pub free_text: &'static str,
    pub company: &'static str,
    pub product: &'static str,
    pub model: &'static str,
    pub number: &'static str,
    pub level: &'static str,
    pub status: &'static str,
    pub any: &'static str,
    pub results: &'static str,
    pub no_results: &'static str,
    pub next_page: &'static str,
    pub prev_page: &'static str,
    pub page: &'static str,
    pub labels_registered: &'static str,
    pub by_status: &'static str,
    pub by_level: &'static str,
    pub open_data: &'static str,
    pub open_data_text: &'static str,
    pub api_doc: &'static str,
    pub applicant: &'static str,
    pub address: &'static str,
    pub contact: &'static str,
    pub products: &'static str,
    pub product_name: &'static str,
    pub model_numbers: &'static str,
    pub firmware_versions: &'static str,
    pub product_type: &'static str,
    pub label: &'static str,
    pub registration_number: &'static str,
    pub issued_on: &'static str,
    pub valid_until: &'static str,
    pub current_status: &'static str,
    pub history: &'static str,
    pub date: &'static str,
    pub event: &'static str,
    pub reason: &'static str,
    pub security_info: &'static str,
    pub updates: &'static str,
    pub version: &'static str,
    pub released_on: &'static str,
    pub notes: &'static str,
    pub no_updates: &'static str,
    pub vulnerabilities: &'static str,
    pub vuln_id: &'static str,
    pub vuln_title: &'static str,
    pub fixed_in: &'static str,
    pub published_on: &'static str,
    pub no_vulnerabilities: &'static str,
    pub support_end: &'static str,
    pub not_announced: &'static str,
    pub disclosure_contact: &'static str,
    pub surveillance_note: &'static str,
    pub correction_deadline: &'static str,
    pub evidence_demanded: &'static str,
    pub label_image: &'static str,
    pub json: &'static str,
    pub banner_revoked: &'static str,
    pub banner_withdrawn: &'static str,
    pub banner_expired: &'static str,
    pub banner_surveillance: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub invalid_number_title: &'static str,
    pub invalid_number_text: &'static str,
    pub invalid_search: &'static str,
    /// Heading of the page for a query parameter a page does not accept.
    pub invalid_query: &'static str,
    pub error_title: &'static str,
    pub error_text: &'static str,
    pub page_not_found: &'static str,
    pub model_match: &'static str,
    pub match_contains: &'static str,
    pub match_prefix: &'static str,
    pub match_exact: &'static str,
    /// Summary of the folded part of the search form.
    pub more_criteria: &'static str,
    pub issued_between: &'static str,
    pub valid_until_between: &'static str,
    pub range_from: &'static str,
    pub range_to: &'static str,
    /// "{n} labels" before the result list.
    pub hits: &'static str,
}

static JA: Tr = Tr {
    site: "JC-STAR ラベル登録簿",
    tagline: "IoT製品セキュリティ適合性評価及びラベリング制度（JC-STAR）で登録されたラベルの公開情報です。",
    other_lang: "English",
    home: "トップ",
    search: "ラベルを検索",
    search_button: "検索",
    search_hint: "会社名・製品名・型番・登録番号のいずれかで検索できます。",
    free_text: "キーワード",
    company: "会社名",
    product: "製品名",
    model: "型番",
    number: "登録番号",
    level: "レベル",
    status: "状態",
    any: "指定なし",
    results: "検索結果",
    no_results: "条件に一致するラベルはありません。",
    next_page: "次へ",
    prev_page: "前へ",
    page: "ページ",
    labels_registered: "登録ラベル数",
    by_status: "状態別",
    by_level: "レベル別",
    open_data: "オープンデータ",
    open_data_text: "全ラベルの一覧と変更履歴を機械可読な形式で提供しています。",
    api_doc: "API仕様（OpenAPI）",
    applicant: "申請者",
    address: "所在地",
    contact: "連絡先",
    products: "対象製品",
    product_name: "製品名",
    model_numbers: "型番",
    firmware_versions: "ファームウェアのバージョン",
    product_type: "製品類型",
    label: "ラベル",
    registration_number: "登録番号",
    issued_on: "発行日",
    valid_until: "有効期限",
    current_status: "現在の状態",
    history: "状態の履歴",
    date: "日時",
    event: "内容",
    reason: "理由",
    security_info: "セキュリティ情報",
    updates: "公開済みのアップデート",
    version: "バージョン",
    released_on: "公開日",
    notes: "内容",
    no_updates: "公開されたアップデートはありません。",
    vulnerabilities: "既知の脆弱性",
    vuln_id: "識別子",
    vuln_title: "概要",
    fixed_in: "修正バージョン",
    published_on: "公表日",
    no_vulnerabilities: "登録された脆弱性はありません。",
    support_end: "セキュリティサポート終了日",
    not_announced: "未定",
    disclosure_contact: "脆弱性の報告窓口",
    surveillance_note: "調査の理由",
    correction_deadline: "是正期限",
    evidence_demanded: "提出を求める証跡",
    label_image: "ラベル画像",
    json: "JSON",
    banner_revoked: "このラベルは取り消されました。この製品は現在JC-STARの適合ラベルを表示できません。",
    banner_withdrawn: "このラベルは申請者により取り下げられました。現在は有効ではありません。",
    banner_expired: "このラベルは有効期限が切れています。現在は有効ではありません。",
    banner_surveillance: "このラベルは現在、制度運営機関による調査中です。",
    not_found_title: "ラベルが見つかりません",
    not_found_text: "この登録番号のラベルは登録されていません。番号をもう一度ご確認ください。",
    invalid_number_title: "登録番号が正しくありません",
    invalid_number_text: "入力された番号は登録番号として有効ではありません。",
    invalid_search: "検索条件が正しくありません",
    invalid_query: "パラメータが正しくありません",
    error_title: "エラー",
    error_text: "ページを表示できませんでした。しばらくしてから再度お試しください。",
    page_not_found: "ページが見つかりません",
    model_match: "型番の一致",
    match_contains: "部分一致",
    match_prefix: "前方一致",
    match_exact: "完全一致",
    more_criteria: "詳しい条件（製品類型・型番の一致・日付）",
    issued_between: "登録日",
    valid_until_between: "有効期限",
    range_from: "（から）",
    range_to: "（まで）",
    hits: "{n}件",
};

static EN: Tr = Tr {
    site: "JC-STAR Label Registry",
    tagline: "Public information on labels registered under Japan's IoT product security labeling scheme (JC-STAR).",
    other_lang: "日本語",
    home: "Home",
    search: "Search labels",
    search_button: "Search",
    search_hint: "Search by company, product name, model number or registration number.",
    free_text: "Keywords",
    company: "Company",
    product: "Product name",
    model: "Model number",
    number: "Registration number",
    level: "Level",
    status: "Status",
    any: "Any",
    results: "Results",
    no_results: "No label matches these criteria.",
    next_page: "Next",
    prev_page: "Previous",
    page: "Page",
    labels_registered: "Labels registered",
    by_status: "By status",
    by_level: "By level",
    open_data: "Open data",
    open_data_text: "The list of all labels and the feed of changes, machine-readable.",
    api_doc: "API description (OpenAPI)",
    applicant: "Applicant",
    address: "Address",
    contact: "Contact",
    products: "Products covered",
    product_name: "Product name",
    model_numbers: "Model numbers",
    firmware_versions: "Firmware versions",
    product_type: "Product type",
    label: "Label",
    registration_number: "Registration number",
    issued_on: "Issued on",
    valid_until: "Valid until",
    current_status: "Current status",
    history: "Status history",
    date: "Date",
    event: "Event",
    reason: "Reason",
    security_info: "Security information",
    updates: "Published updates",
    version: "Version",
    released_on: "Released on",
    notes: "Notes",
    no_updates: "No update has been published.",
    vulnerabilities: "Known vulnerabilities",
    vuln_id: "Identifier",
    vuln_title: "Title",
    fixed_in: "Fixed in",
    published_on: "Published on",
    no_vulnerabilities: "No vulnerability has been recorded.",
    support_end: "End of security support",
    not_announced: "Not announced",
    disclosure_contact: "Vulnerability disclosure contact",
    surveillance_note: "Reason for surveillance",
    correction_deadline: "Correction deadline",
    evidence_demanded: "Evidence demanded",
    label_image: "Label image",
    json: "JSON",
    banner_revoked: "This label has been REVOKED. The product may no longer carry the JC-STAR label.",
    banner_withdrawn: "This label has been WITHDRAWN by the applicant and is no longer valid.",
    banner_expired: "This label has EXPIRED and is no longer valid.",
    banner_surveillance: "This label is currently UNDER SURVEILLANCE by the scheme operator.",
    not_found_title: "Label not found",
    not_found_text: "No label with this registration number is registered. Please check the number.",
    invalid_number_title: "Not a valid registration number",
    invalid_number_text: "The number entered is not a valid registration number.",
    invalid_search: "Invalid search criteria",
    invalid_query: "Invalid parameter",
    error_title: "Error",
    error_text: "The page could not be shown. Please try again later.",
    page_not_found: "Page not found",
    model_match: "Model number match",
    match_contains: "contains",
    match_prefix: "begins with",
    match_exact: "exactly",
    more_criteria: "More criteria (type, model match, dates)",
    issued_between: "Issued",
    valid_until_between: "Valid until",
    range_from: " (from)",
    range_to: " (to)",
    hits: "{n} found",
};

pub fn tr(lang: Lang) -> &'static Tr {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}

pub fn status_text(status: LabelStatus, lang: Lang) -> &'static str {
    status.text(lang)
}

pub fn vuln_state_text(state: VulnerabilityState, lang: Lang) -> &'static str {
    match (state, lang) {
        (VulnerabilityState::Investigating, Lang::Ja) => "調査中",
        (VulnerabilityState::Investigating, Lang::En) => "Investigating",
        (VulnerabilityState::Fixed, Lang::Ja) => "修正済み",
        (VulnerabilityState::Fixed, Lang::En) => "Fixed",
        (VulnerabilityState::Mitigated, Lang::Ja) => "緩和策あり",
        (VulnerabilityState::Mitigated, Lang::En) => "Mitigated",
        (VulnerabilityState::NotAffected, Lang::Ja) => "影響なし",
        (VulnerabilityState::NotAffected, Lang::En) => "Not affected",
    }
}

pub fn event_text(kind: EventKind, lang: Lang) -> &'static str {
    use EventKind::*;
    let (ja, en) = match kind {
        ApplicationSubmitted => ("申請受付", "Application submitted"),
        FormatCheckPassed => ("形式確認（合格）", "Format check passed"),
        FormatCheckFailed => ("形式確認（不備）", "Format check failed"),
        InquiryRequested => ("サプライチェーン照会", "Supply-chain inquiry sent"),
        InquiryAnswered => ("照会回答", "Supply-chain inquiry answered"),
        ApplicationAccepted => ("申請受理", "Application accepted"),
        ApplicationRejected => ("申請却下", "Application rejected"),
        FeePaid => ("手数料納付", "Fee paid"),
        EvaluationBodyAssigned => ("評価機関の割当て", "Evaluation body assigned"),
        EvaluationReportAttached => ("評価報告書の提出", "Evaluation report attached"),
        LabelIssued => ("ラベル発行", "Label issued"),
        LabelExtended => ("有効期間の延長", "Validity extended"),
        LabelWithdrawn => ("取下げ", "Withdrawn"),
        SurveillanceOpened => ("調査開始", "Surveillance opened"),
        SurveillanceCleared => ("調査終了（問題なし）", "Surveillance closed, cleared"),
        LabelRevoked => ("取消し", "Revoked"),
        UpdatePublished => ("アップデート公開", "Update published"),
        VulnerabilityRecorded => ("脆弱性情報の登録", "Vulnerability recorded"),
        SupportEndSet => ("サポート終了日の設定", "End of support set"),
        DisclosureContactSet => ("報告窓口の設定", "Disclosure contact set"),
        LabelChanged => ("型番・バージョンの追加", "Model numbers or versions added"),
    };
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_order() {
        assert_eq!(negotiate(None, None), Lang::Ja);
        assert_eq!(negotiate(Some("en"), Some("ja")), Lang::En);
        assert_eq!(negotiate(Some("xx"), Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(negotiate(None, Some("fr-FR, en;q=0.8, ja;q=0.9")), Lang::Ja);
        assert_eq!(negotiate(None, Some("de, en-GB;q=0.5")), Lang::En);
        assert_eq!(negotiate(None, Some("de, fr")), Lang::Ja);
        assert_eq!(negotiate(None, Some("en;q=0, ja;q=0")), Lang::Ja);
        assert_eq!(negotiate(None, Some(";;;,q=,en;q=abc")), Lang::En);
    }
}

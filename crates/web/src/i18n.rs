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

/// The language's code as used in `?lang=` and in the pages (`ja`, `en`).
pub fn code(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "ja",
        Lang::En => "en",
    }
}

/// Every fixed string of the pages.
pub struct Tr {
    /// Name of the site, shown in the header and page titles.
    pub site: &'static str,
    /// One-sentence description of the registry under the site name.
    pub tagline: &'static str,
    /// Link text to the page in the other language (written in that language).
    pub other_lang: &'static str,
    /// Link to the home page.
    pub home: &'static str,
    /// Heading of the search form.
    pub search: &'static str,
    /// The search form's submit button.
    pub search_button: &'static str,
    /// What the keyword field searches.
    pub search_hint: &'static str,
    /// Label of the keyword field.
    pub free_text: &'static str,
    /// Label of the company-name field and column.
    pub company: &'static str,
    /// Label of the product-name field.
    pub product: &'static str,
    /// Label of the model-number field.
    pub model: &'static str,
    /// Label of the registration-number field and column.
    pub number: &'static str,
    /// Label of the ★ level field and column.
    pub level: &'static str,
    /// Label of the label-status field and column.
    pub status: &'static str,
    /// Choice meaning "no restriction" in a select field.
    pub any: &'static str,
    /// Heading of the result list.
    pub results: &'static str,
    /// Shown when no label matches the search.
    pub no_results: &'static str,
    /// Link to the next result page.
    pub next_page: &'static str,
    /// Link to the previous result page.
    pub prev_page: &'static str,
    /// Word before the page number of a result list.
    pub page: &'static str,
    /// Heading of the home page's label count.
    pub labels_registered: &'static str,
    /// Heading of the counts per status.
    pub by_status: &'static str,
    /// Heading of the counts per level.
    pub by_level: &'static str,
    /// Link and heading of the open-data section.
    pub open_data: &'static str,
    /// What the open data offers.
    pub open_data_text: &'static str,
    /// Link to the OpenAPI description.
    pub api_doc: &'static str,
    /// Heading of the applicant company on a product page.
    pub applicant: &'static str,
    /// Label of the applicant's address.
    pub address: &'static str,
    /// Label of the applicant's general contact.
    pub contact: &'static str,
    /// Heading of the products a label covers.
    pub products: &'static str,
    /// Column of product names.
    pub product_name: &'static str,
    /// Column of model numbers.
    pub model_numbers: &'static str,
    /// Column of firmware versions.
    pub firmware_versions: &'static str,
    /// Label of the product type (field and column).
    pub product_type: &'static str,
    /// Heading of the label section of a product page.
    pub label: &'static str,
    /// Label of the registration number on a product page.
    pub registration_number: &'static str,
    /// Label of the issue date.
    pub issued_on: &'static str,
    /// Label of the last day of validity.
    pub valid_until: &'static str,
    /// Label of the label's status today.
    pub current_status: &'static str,
    /// Heading of the label's public history.
    pub history: &'static str,
    /// Date column of the history.
    pub date: &'static str,
    /// Event column of the history.
    pub event: &'static str,
    /// Reason column of the history.
    pub reason: &'static str,
    /// Heading of the security information section.
    pub security_info: &'static str,
    /// Heading of the published software updates.
    pub updates: &'static str,
    /// Version column of the updates.
    pub version: &'static str,
    /// Release-date column of the updates.
    pub released_on: &'static str,
    /// Notes column of the updates.
    pub notes: &'static str,
    /// Shown when no update has been published.
    pub no_updates: &'static str,
    /// Heading of the known vulnerabilities.
    pub vulnerabilities: &'static str,
    /// Identifier column (CVE, JVN …) of the vulnerabilities.
    pub vuln_id: &'static str,
    /// Title column of the vulnerabilities.
    pub vuln_title: &'static str,
    /// Fixed-in version column of the vulnerabilities.
    pub fixed_in: &'static str,
    /// Publication-date column of the vulnerabilities.
    pub published_on: &'static str,
    /// Shown when no vulnerability has been recorded.
    pub no_vulnerabilities: &'static str,
    /// The vulnerabilities an update fixes.
    pub fixes: &'static str,
    /// How to apply an update.
    pub how_to_apply: &'static str,
    /// Heading of each known vulnerability's standing.
    pub vuln_standing: &'static str,
    /// Heading of the attached SBOMs.
    pub sboms: &'static str,
    /// Heading of the published VEX documents.
    pub vex_docs: &'static str,
    /// Heading of the CSAF advisories.
    pub advisories: &'static str,
    /// Number of components of an SBOM.
    pub components: &'static str,
    /// Link text of a document.
    pub download: &'static str,
    /// Label of the end of security support.
    pub support_end: &'static str,
    /// Shown when the support end is not announced.
    pub not_announced: &'static str,
    /// Label of the contact for vulnerability reports.
    pub disclosure_contact: &'static str,
    /// Label of the reason of an open surveillance case.
    pub surveillance_note: &'static str,
    /// Label of the surveillance case's correction deadline.
    pub correction_deadline: &'static str,
    /// Label of the evidence the operator demands.
    pub evidence_demanded: &'static str,
    /// Link to the label image.
    pub label_image: &'static str,
    /// Link to the page's JSON form.
    pub json: &'static str,
    /// Warning banner on the page of a revoked label.
    pub banner_revoked: &'static str,
    /// Warning banner on the page of a withdrawn label.
    pub banner_withdrawn: &'static str,
    /// Warning banner on the page of an expired label.
    pub banner_expired: &'static str,
    /// Notice on the page of a label under surveillance.
    pub banner_surveillance: &'static str,
    /// Title of the page for a number no label has.
    pub not_found_title: &'static str,
    /// Text of the page for a number no label has.
    pub not_found_text: &'static str,
    /// Title of the page for a malformed registration number.
    pub invalid_number_title: &'static str,
    /// Text of the page for a malformed registration number.
    pub invalid_number_text: &'static str,
    /// Heading shown when the search criteria are refused.
    pub invalid_search: &'static str,
    /// Heading of the page for a query parameter a page does not accept.
    pub invalid_query: &'static str,
    /// Title of the page for an internal error.
    pub error_title: &'static str,
    /// Text of the page for an internal error.
    pub error_text: &'static str,
    /// Title of the page for an unknown path.
    pub page_not_found: &'static str,
    /// Label of the model-number match choice.
    pub model_match: &'static str,
    /// Choice: the model number contains the text.
    pub match_contains: &'static str,
    /// Choice: the model number begins with the text.
    pub match_prefix: &'static str,
    /// Choice: the model number is exactly the text.
    pub match_exact: &'static str,
    /// Summary of the folded part of the search form.
    pub more_criteria: &'static str,
    /// Label of the issue-date range.
    pub issued_between: &'static str,
    /// Label of the validity-end range.
    pub valid_until_between: &'static str,
    /// Suffix of a range's start field.
    pub range_from: &'static str,
    /// Suffix of a range's end field.
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
    fixes: "修正する脆弱性",
    how_to_apply: "適用方法",
    vuln_standing: "脆弱性ごとの状況",
    sboms: "SBOM（ソフトウェア部品表）",
    vex_docs: "VEX（脆弱性の影響の有無）",
    advisories: "セキュリティアドバイザリ（CSAF）",
    components: "コンポーネント数",
    download: "文書",
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
    fixes: "Fixes",
    how_to_apply: "How to apply",
    vuln_standing: "Where each vulnerability stands",
    sboms: "SBOMs (software bills of materials)",
    vex_docs: "VEX (whether vulnerabilities affect the products)",
    advisories: "Security advisories (CSAF)",
    components: "Components",
    download: "Document",
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

/// The page strings in `lang`.
pub fn tr(lang: Lang) -> &'static Tr {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}

/// A label status as the pages show it.
pub fn status_text(status: LabelStatus, lang: Lang) -> &'static str {
    status.text(lang)
}

/// A vulnerability state as the pages show it.
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

/// Where a vulnerability stands, as the pages show it.
pub fn standing_text(s: jcstar_registry::VulnStanding, lang: Lang) -> &'static str {
    use jcstar_registry::VulnStanding as S;
    match (s, lang) {
        (S::UnderInvestigation, Lang::Ja) => "調査中",
        (S::UnderInvestigation, Lang::En) => "Under investigation",
        (S::Fixed, Lang::Ja) => "修正済み",
        (S::Fixed, Lang::En) => "Fixed",
        (S::NotAffected, Lang::Ja) => "影響なし",
        (S::NotAffected, Lang::En) => "Not affected",
        (S::AffectedNoFix, Lang::Ja) => "影響あり・修正なし",
        (S::AffectedNoFix, Lang::En) => "Affected, no fix",
    }
}

/// An event kind as the label's public history shows it.
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
        SbomAttached => ("SBOM の添付", "SBOM attached"),
        VexPublished => ("VEX の公開", "VEX published"),
        VulnerabilityFound => (
            "登録簿による脆弱性の検出",
            "Vulnerability found by the registry",
        ),
        WatchRun => ("脆弱性の監視", "Vulnerability watch run"),
        CsafPublished => (
            "セキュリティアドバイザリ（CSAF）の公開",
            "CSAF advisory published",
        ),
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

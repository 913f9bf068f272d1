//! Typed query parameters. Each endpoint declares its parameters once, as a
//! struct that serde reads and utoipa describes, so the OpenAPI document and
//! what the server accepts cannot drift apart.
//!
//! Rules, for every endpoint:
//! - An empty value is the same as leaving the parameter out (HTML forms
//!   send every field), except where a type says otherwise.
//! - A parameter given twice is refused, naming it: a single-valued
//!   parameter has no meaningful second value. A parameter whose documented
//!   schema is an array may repeat (none does yet; a list parameter would be
//!   declared as one, and read with a deserializer that collects repeats).
//! - The JSON API ([`ApiQuery`]) refuses parameters it does not know, so a
//!   misspelt filter is not silently ignored; `lang` is known everywhere.
//!   The HTML pages ([`PageQuery`]) ignore unknown parameters: links
//!   carrying trackers or old parameters still open the page.
//! - An error names the parameter and says what it accepts, in Japanese
//!   unless `lang=en` (or `Accept-Language`) asks for English.

use std::collections::HashSet;
use std::fmt::Display;
use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use jcstar_criteria::Lang;
use jcstar_registry::{LabelStatus, Level, ModelMatch, SearchQuery};
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Deserializer};
use utoipa::IntoParams;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::{RefOr, Schema};

use crate::error::ApiError;
use crate::i18n;

/// A text in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    /// The Japanese text.
    pub ja: &'static str,
    /// The English text.
    pub en: &'static str,
}

impl Text {
    /// The text in `lang`.
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ja => self.ja,
            Lang::En => self.en,
        }
    }
}

/// The parameters of one endpoint.
pub trait QueryParams: DeserializeOwned + IntoParams {
    /// What `param` accepts (for error messages); `None` for a name the
    /// type does not have.
    fn accepts(param: &str) -> Option<Text>;

    /// Checks beyond each value's type (ranges, lengths); the parameter at
    /// fault on failure.
    fn check(&self) -> Result<(), &'static str> {
        Ok(())
    }
}

/// What was wrong with the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryProblem {
    /// Not `application/x-www-form-urlencoded`.
    Malformed,
    /// A value the parameter does not accept.
    Invalid {
        /// The value given.
        value: String,
        /// What the parameter accepts.
        accepts: Text,
    },
    /// A parameter the endpoint does not have (the API only).
    Unknown {
        /// The parameters the endpoint has.
        known: Vec<String>,
    },
    /// A single-valued parameter given more than once.
    Repeated,
}

/// A refused query, naming the parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The parameter at fault (`query` when the query string as a whole is
    /// malformed).
    pub param: String,
    /// What is wrong with it.
    pub problem: QueryProblem,
    /// The language the caller asked for.
    pub lang: Lang,
}

impl QueryError {
    /// The message, in the caller's language.
    pub fn message(&self) -> String {
        let p = &self.param;
        match (&self.problem, self.lang) {
            (QueryProblem::Malformed, Lang::Ja) => {
                "クエリ文字列を読み取れません（application/x-www-form-urlencoded 形式で指定してください）".into()
            }
            (QueryProblem::Malformed, Lang::En) => {
                "malformed query string: expected application/x-www-form-urlencoded parameters"
                    .into()
            }
            (QueryProblem::Invalid { value, accepts }, Lang::Ja) => {
                format!("パラメータ {p} の値「{value}」は受け付けられません。指定できるのは{}です。", accepts.ja)
            }
            (QueryProblem::Invalid { value, accepts }, Lang::En) => {
                format!("parameter {p}: {value:?} is not accepted; expected {}", accepts.en)
            }
            (QueryProblem::Unknown { known }, Lang::Ja) => {
                format!("パラメータ {p} はありません。使えるのは {} です。", known.join(", "))
            }
            (QueryProblem::Unknown { known }, Lang::En) => {
                format!("unknown parameter {p}; the known ones are {}", known.join(", "))
            }
            (QueryProblem::Repeated, Lang::Ja) => {
                format!("パラメータ {p} が複数回指定されています。1回だけ指定してください。")
            }
            (QueryProblem::Repeated, Lang::En) => {
                format!("parameter {p} is given more than once; give it once")
            }
        }
    }

    /// What would have been accepted, in the caller's language.
    pub fn expected(&self) -> String {
        match (&self.problem, self.lang) {
            (QueryProblem::Malformed, _) => "application/x-www-form-urlencoded".into(),
            (QueryProblem::Invalid { accepts, .. }, lang) => accepts.get(lang).into(),
            (QueryProblem::Unknown { known }, _) => known.join(", "),
            (QueryProblem::Repeated, Lang::Ja) => "1つの値".into(),
            (QueryProblem::Repeated, Lang::En) => "a single value".into(),
        }
    }

    /// The API's answer: 400 for a query of the wrong shape, 422 for a
    /// value out of what the parameter accepts.
    pub fn into_api(self) -> ApiError {
        let status = match self.problem {
            QueryProblem::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::field(status, self.message(), self.param.clone(), self.expected())
    }
}

/// The language asked for by `lang=` in `query` or by `Accept-Language`.
pub fn request_lang(query: &str, headers: &axum::http::HeaderMap) -> Lang {
    let from_query = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.into_owned());
    i18n::negotiate(
        from_query.as_deref(),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// The names `T` documents, with whether each may repeat (array schema).
fn documented<T: IntoParams>() -> Vec<(String, bool)> {
    T::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|p| {
            let list = matches!(p.schema, Some(RefOr::T(Schema::Array(_))));
            (p.name, list)
        })
        .collect()
}

/// Read `T` from `query`. `strict`: parameters `T` does not document (other
/// than `lang`) are refused.
pub fn parse<T: QueryParams>(query: &str, lang: Lang, strict: bool) -> Result<T, QueryError> {
    let err = |param: &str, problem| QueryError {
        param: param.to_string(),
        problem,
        lang,
    };
    let known = documented::<T>();
    let mut seen = HashSet::new();
    for (key, _) in form_urlencoded::parse(query.as_bytes()) {
        let doc = known.iter().find(|(n, _)| *n == key);
        if strict && doc.is_none() && key != "lang" {
            return Err(err(
                &key,
                QueryProblem::Unknown {
                    known: known.iter().map(|(n, _)| n.clone()).collect(),
                },
            ));
        }
        let repeats = doc.is_some_and(|(_, list)| *list);
        if doc.is_some() && !repeats && !seen.insert(key.clone().into_owned()) {
            return Err(err(&key, QueryProblem::Repeated));
        }
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let param = e.path().to_string();
        match T::accepts(&param) {
            Some(accepts) => {
                let value = form_urlencoded::parse(query.as_bytes())
                    .find(|(k, _)| *k == param)
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                err(&param, QueryProblem::Invalid { value, accepts })
            }
            None => err("query", QueryProblem::Malformed),
        }
    })?;
    value.check().map_err(|param| {
        let value = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == param)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let accepts = T::accepts(param).unwrap_or(Text { ja: "", en: "" });
        err(param, QueryProblem::Invalid { value, accepts })
    })?;
    Ok(value)
}

/// The query of a JSON API request: unknown parameters refused, errors as
/// the API's JSON error.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: QueryParams> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let lang = request_lang(query, &parts.headers);
        parse(query, lang, true)
            .map(ApiQuery)
            .map_err(QueryError::into_api)
    }
}

/// The query of an HTML page: unknown parameters ignored; an error is handed
/// to the page, which shows it in its own language.
pub struct PageQuery<T>(pub Result<T, QueryError>);

impl<S: Send + Sync, T: QueryParams> FromRequestParts<S> for PageQuery<T> {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<Self, std::convert::Infallible> {
        let query = parts.uri.query().unwrap_or("");
        let lang = request_lang(query, &parts.headers);
        Ok(PageQuery(parse(query, lang, false)))
    }
}

/// An optional value read with its `FromStr`, after trimming; empty is
/// absent.
pub fn blank_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => s.trim().parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// An optional value read with its `FromStr`, after trimming; unlike
/// [`blank_none`] an empty value is refused. For API-only parameters, whose
/// document says "a number" or "one of these names", where a blank is not
/// an answer.
pub fn strict<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => s.trim().parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// An optional snake_case name of an enum, after trimming; empty is absent.
pub fn blank_none_name<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => {
            let de: serde::de::value::StrDeserializer<'_, D::Error> = s.trim().into_deserializer();
            T::deserialize(de).map(Some)
        }
    }
}

/// A text parameter as sent (not trimmed, so that length bounds hold for
/// the raw value); empty is absent.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

/// At most `max` characters and no control characters other than line
/// breaks and tabs.
pub fn text_ok(v: &Option<String>, max: usize) -> bool {
    v.as_ref().is_none_or(|v| {
        v.chars().count() <= max && !v.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
    })
}

/// A switch: `1`/`true` on, `0`/`false`/empty off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Switch(pub bool);

impl FromStr for Switch {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "" | "0" | "false" => Ok(Switch(false)),
            "1" | "true" => Ok(Switch(true)),
            other => Err(format!("{other:?} is not a switch")),
        }
    }
}

/// `lang`, as documented on every endpoint that reads its query.
pub const LANG: Text = Text {
    ja: "ja または en",
    en: "ja or en",
};

/// `lang` alone: endpoints without other parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangOnly {
    /// `ja` (default) or `en`: the language of messages about the query.
    #[serde(default)]
    pub lang: Option<String>,
}

impl QueryParams for LangOnly {
    fn accepts(param: &str) -> Option<Text> {
        (param == "lang").then_some(LANG)
    }
}

/// Label search criteria, shared by the search page and the JSON API; all
/// given criteria must match.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Matches company, product, model number and registration number.
    #[serde(default, deserialize_with = "text")]
    #[param(max_length = 200, pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$")]
    pub q: Option<String>,
    /// Company name (part of it).
    #[serde(default, deserialize_with = "text")]
    #[param(max_length = 200, pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$")]
    pub company: Option<String>,
    /// Product name (part of it).
    #[serde(default, deserialize_with = "text")]
    #[param(max_length = 200, pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$")]
    pub product: Option<String>,
    /// Model number (part of it).
    #[serde(default, deserialize_with = "text")]
    #[param(max_length = 200, pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$")]
    pub model: Option<String>,
    /// How `model` is compared: `contains` (default, part of a model
    /// number), `prefix` (its beginning) or `exact` (the whole model number).
    /// Hyphens, spaces and dots are ignored either way.
    #[serde(default, deserialize_with = "blank_none")]
    #[param(value_type = Option<String>, pattern = r"^(contains|prefix|exact)?$")]
    pub model_match: Option<ModelMatch>,
    /// Product type, e.g. "network camera" (part of it).
    #[serde(default, rename = "type", deserialize_with = "text")]
    #[param(
        rename = "type",
        max_length = 200,
        pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"
    )]
    pub product_type: Option<String>,
    /// Registration number or prefix.
    #[serde(default, deserialize_with = "text")]
    #[param(max_length = 64, pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$")]
    pub number: Option<String>,
    /// Issued on or after this date (YYYY-MM-DD).
    #[serde(default, deserialize_with = "blank_none")]
    #[param(value_type = Option<String>, schema_with = day_schema)]
    pub issued_from: Option<Day>,
    /// Issued on or before this date.
    #[serde(default, deserialize_with = "blank_none")]
    #[param(value_type = Option<String>, schema_with = day_schema)]
    pub issued_to: Option<Day>,
    /// Valid until this date or later.
    #[serde(default, deserialize_with = "blank_none")]
    #[param(value_type = Option<String>, schema_with = day_schema)]
    pub valid_until_from: Option<Day>,
    /// Valid until this date or earlier.
    #[serde(default, deserialize_with = "blank_none")]
    #[param(value_type = Option<String>, schema_with = day_schema)]
    pub valid_until_to: Option<Day>,
    /// ★ level, 1 to 4.
    #[serde(default, deserialize_with = "blank_none")]
    #[param(value_type = Option<u8>, minimum = 1, maximum = 4)]
    pub level: Option<Level>,
    /// Status as of today.
    #[serde(default, deserialize_with = "blank_none")]
    pub status: Option<LabelStatus>,
    /// Page, 1-based.
    #[serde(default, deserialize_with = "blank_none")]
    #[param(minimum = 1, maximum = 50000)]
    pub page: Option<u64>,
    /// Results per page, 1 to 200 (default 50; the search page shows 20).
    #[serde(default, deserialize_with = "blank_none")]
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
    /// `ja` (default) or `en`.
    #[serde(default)]
    pub lang: Option<String>,
}

/// A calendar day as `YYYY-MM-DD`, from 2000-01-01 to 2099-12-31 (the
/// dates the registry holds); nothing else is read as a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub chrono::NaiveDate);

impl FromStr for Day {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let ok = s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        let d = ok
            .then(|| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .flatten()
            .filter(|d| (2000..=2099).contains(&chrono::Datelike::year(d)));
        d.map(Day)
            .ok_or_else(|| format!("{s:?} is not a date YYYY-MM-DD"))
    }
}

/// What a [`Day`] parameter accepts.
pub const DAY: Text = Text {
    ja: "2000-01-01〜2099-12-31 の日付（YYYY-MM-DD）。範囲の終わりは始まりより後の日付",
    en: "a date from 2000-01-01 to 2099-12-31 as YYYY-MM-DD; a range's end not before its start",
};

/// The document's schema of a [`Day`] parameter: the calendar as a
/// pattern, or empty (a form's blank date field, read as absent). No
/// `format: date`, which an empty value would break.
pub fn day_schema() -> utoipa::openapi::schema::Object {
    let date = crate::input_rules::DATE;
    let inner = date
        .strip_prefix('^')
        .and_then(|d| d.strip_suffix('$'))
        .unwrap_or(date);
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(format!("^({inner})?$")))
        .description(Some(
            "YYYY-MM-DD, 2000-01-01 to 2099-12-31; empty is absent",
        ))
        .build()
}

/// What a free-text parameter accepts.
pub const TEXT_200: Text = Text {
    ja: "制御文字を含まない200文字以内の文字列（改行とタブは可）",
    en: "text of at most 200 characters without control characters (line breaks and tabs allowed)",
};

impl QueryParams for SearchParams {
    fn accepts(param: &str) -> Option<Text> {
        Some(match param {
            "q" | "company" | "product" | "model" | "type" => TEXT_200,
            "model_match" => Text {
                ja: "contains（部分一致）、prefix（前方一致）、exact（完全一致）のいずれか",
                en: "contains, prefix or exact",
            },
            "issued_from" | "issued_to" | "valid_until_from" | "valid_until_to" => DAY,
            "number" => Text {
                ja: "登録番号またはその先頭部分（64文字以内）",
                en: "a registration number or its beginning (at most 64 characters)",
            },
            "level" => Text {
                ja: "1、2、3、4 のいずれか",
                en: "1, 2, 3 or 4",
            },
            "status" => Text {
                ja: "active、expired、withdrawn、revoked、under_surveillance のいずれか",
                en: "active, expired, withdrawn, revoked or under_surveillance",
            },
            "page" => Text {
                ja: "1〜50000の整数",
                en: "a whole number from 1 to 50000",
            },
            "per_page" => Text {
                ja: "1〜200の整数",
                en: "a whole number from 1 to 200",
            },
            "lang" => LANG,
            _ => return None,
        })
    }

    fn check(&self) -> Result<(), &'static str> {
        for (name, v, max) in [
            ("q", &self.q, 200),
            ("company", &self.company, 200),
            ("product", &self.product, 200),
            ("model", &self.model, 200),
            ("type", &self.product_type, 200),
            ("number", &self.number, 64),
        ] {
            if !text_ok(v, max) {
                return Err(name);
            }
        }
        for (name, from, to) in [
            ("issued_to", self.issued_from, self.issued_to),
            ("valid_until_to", self.valid_until_from, self.valid_until_to),
        ] {
            if let (Some(f), Some(t)) = (from, to)
                && f.0 > t.0
            {
                return Err(name);
            }
        }
        if self.page.is_some_and(|p| !(1..=50_000).contains(&p)) {
            return Err("page");
        }
        if self.per_page.is_some_and(|p| !(1..=200).contains(&p)) {
            return Err("per_page");
        }
        Ok(())
    }
}

impl SearchParams {
    /// The page asked for (1-based).
    pub fn page(&self) -> u64 {
        self.page.unwrap_or(1)
    }

    /// The registry's query; `per_page_default` when no page size is given.
    /// Texts are trimmed here, after their bounds were checked as sent.
    pub fn to_query(&self, per_page_default: u64) -> SearchQuery {
        let t = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let per_page = self.per_page.unwrap_or(per_page_default);
        SearchQuery {
            text: t(&self.q),
            company: t(&self.company),
            product: t(&self.product),
            model: t(&self.model),
            model_match: self.model_match.unwrap_or_default(),
            product_type: t(&self.product_type),
            number: t(&self.number),
            level: self.level,
            status: self.status,
            issued_from: self.issued_from.map(|d| d.0),
            issued_to: self.issued_to.map(|d| d.0),
            valid_until_from: self.valid_until_from.map(|d| d.0),
            valid_until_to: self.valid_until_to.map(|d| d.0),
            offset: (self.page() - 1) * per_page,
            limit: per_page,
        }
    }
}

/// The PNG label image's parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImageParams {
    /// Size relative to the SVG, 0.5 to 8 (default 2).
    #[serde(default, deserialize_with = "blank_none")]
    #[param(minimum = 0.5, maximum = 8.0)]
    pub scale: Option<f32>,
    /// `ja` (default) or `en`.
    #[serde(default)]
    pub lang: Option<String>,
}

impl QueryParams for ImageParams {
    fn accepts(param: &str) -> Option<Text> {
        match param {
            "scale" => Some(Text {
                ja: "0.5〜8の数",
                en: "a number from 0.5 to 8",
            }),
            "lang" => Some(LANG),
            _ => None,
        }
    }

    fn check(&self) -> Result<(), &'static str> {
        if self.scale.is_some_and(|s| !(0.5..=8.0).contains(&s)) {
            return Err("scale");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    struct P {
        #[serde(default, deserialize_with = "blank_none")]
        n: Option<u32>,
        #[serde(default)]
        #[allow(dead_code)]
        lang: Option<String>,
    }

    impl QueryParams for P {
        fn accepts(param: &str) -> Option<Text> {
            (param == "n").then_some(Text {
                ja: "1〜9の整数",
                en: "a whole number from 1 to 9",
            })
        }
        fn check(&self) -> Result<(), &'static str> {
            if self.n.is_some_and(|n| !(1..=9).contains(&n)) {
                return Err("n");
            }
            Ok(())
        }
    }

    #[test]
    fn the_day_schema_and_the_day_parser_agree() {
        let pattern = day_schema().pattern.expect("pattern");
        let re = regex::Regex::new(&pattern).unwrap();
        for v in [
            "",
            "2026-12-07",
            "2000-01-01",
            "2099-12-31",
            "2024-02-29",
            "2025-02-29",
            "1999-12-31",
            "2100-01-01",
            "2026-13-01",
            "2026-1-7",
            "+2026-12-07",
            "2026-12-07 ",
            "20261207",
            "x",
        ] {
            let parsed = v.is_empty() || v.parse::<Day>().is_ok();
            assert_eq!(re.is_match(v), parsed, "{v:?}");
        }
    }

    #[test]
    fn values_unknowns_and_repeats() {
        let p: P = parse("n=3&lang=en", Lang::En, true).unwrap();
        assert_eq!(p.n, Some(3));
        assert_eq!(parse::<P>("n=", Lang::Ja, true).unwrap().n, None);

        let e = parse::<P>("n=x", Lang::Ja, true).unwrap_err();
        assert_eq!(e.param, "n");
        assert!(e.message().contains("「x」") && e.message().contains("1〜9の整数"));
        let e = parse::<P>("n=12", Lang::En, true).unwrap_err();
        assert_eq!(
            e.message(),
            "parameter n: \"12\" is not accepted; expected a whole number from 1 to 9"
        );
        assert_eq!(e.into_api().status, StatusCode::UNPROCESSABLE_ENTITY);

        let e = parse::<P>("n=1&n=2", Lang::En, true).unwrap_err();
        assert_eq!(
            (e.param.as_str(), e.problem.clone()),
            ("n", QueryProblem::Repeated)
        );
        assert_eq!(e.into_api().status, StatusCode::BAD_REQUEST);

        let e = parse::<P>("m=1", Lang::Ja, true).unwrap_err();
        assert_eq!(e.param, "m");
        assert!(e.message().contains("n, lang"), "{}", e.message());
        // Pages ignore what they do not know, even repeated.
        assert_eq!(
            parse::<P>("m=1&m=2&n=4", Lang::Ja, false).unwrap().n,
            Some(4)
        );
    }
}

//! JSON errors of the API, the JSON body extractor that names the field at
//! fault, and the mapping of registry errors to HTTP statuses.

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jcstar_registry::number::NumberError;
use jcstar_registry::{Actor, Error as RegError, Role};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

/// The body of every API error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in English.
    pub error: String,
    /// The request field at fault (a JSON path such as `products[0].name`,
    /// or a query parameter), when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What would have been accepted there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// Every problem found (checklist format check).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// An error answer of the API.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// The JSON body sent.
    pub body: ErrorBody,
    /// Seconds for the `Retry-After` header (a bound shared by everyone
    /// is reached).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, error: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                error: error.into(),
                field: None,
                expected: None,
                problems: Vec::new(),
            },
            retry_after: None,
        }
    }

    /// An error about one field, naming what would be accepted.
    pub fn field(
        status: StatusCode,
        error: impl Into<String>,
        field: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        let mut e = ApiError::new(status, error);
        e.body.field = Some(field.into());
        e.body.expected = Some(expected.into());
        e
    }

    /// 404 for `what` (`label`, `application`, …).
    pub fn not_found(what: &str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    /// A registry error as seen by `actor`: a refusal of an anonymous caller
    /// is 401 (a token would change the answer), of a known caller 403.
    pub fn from_registry(err: RegError, actor: &Actor) -> Self {
        match err {
            RegError::Denied(d) if actor.role == Role::Public => ApiError::new(
                StatusCode::UNAUTHORIZED,
                format!("authentication required: {d}"),
            ),
            RegError::Denied(d) => ApiError::new(StatusCode::FORBIDDEN, d.to_string()),
            RegError::Unauthenticated => ApiError::new(StatusCode::UNAUTHORIZED, err.to_string()),
            RegError::NotFound { .. } => ApiError::new(StatusCode::NOT_FOUND, err.to_string()),
            // A well-formed number whose check character disagrees names no
            // label that can exist: it is not found, and the message says
            // it was probably mistyped.
            RegError::Number(ref n @ NumberError::Check { .. }) => ApiError::field(
                StatusCode::NOT_FOUND,
                n.to_string(),
                "number",
                "the registration number as printed on the label; its last character is computed from the rest",
            ),
            RegError::Number(ref n) => {
                let msg = n.to_string();
                ApiError::field(
                    StatusCode::BAD_REQUEST,
                    msg,
                    "number",
                    "a registration number JCS<level>-<year>-<sequence>-<check>, e.g. JCS1-2026-000123-K",
                )
            }
            RegError::Invalid { field, message } => ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{field}: {message}"),
                field,
                message.en,
            ),
            RegError::Refused { .. } => ApiError::new(StatusCode::CONFLICT, err.to_string()),
            RegError::ChecklistRefused {
                ref application_id,
                ref problems,
            } => {
                let mut e = ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("application {application_id}: the checklist failed the format check"),
                    "checklist",
                    "a checklist that passes `jcstar checklist validate FILE`",
                );
                e.body.problems = problems.clone();
                e
            }
            RegError::Saturated {
                ref message,
                retry_after_secs,
            } => {
                let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message.en.clone());
                e.retry_after = Some(retry_after_secs);
                e
            }
            RegError::Open { .. }
            | RegError::Database(_)
            | RegError::Corrupt(_)
            | RegError::Io(_) => {
                tracing::error!(error = %err, "registry failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the registry could not answer; the failure was logged",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the oversized body is never read, so the server
            // drops the connection after this answer; saying so keeps a
            // client from putting it back in its pool and failing its next
            // request on a dead connection.
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }
}

/// A JSON request body. Unlike `axum::Json`, every rejection is an
/// [`ApiError`] naming the field and the expected value.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json_type = content_type_is(req.headers(), "application/json");
        if !json_type {
            return Err(ApiError::field(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the request body must be JSON",
                "Content-Type",
                "application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rej| {
                if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("the request body is larger than the limit ({rej})"),
                    )
                } else {
                    ApiError::new(
                        rej.status(),
                        format!("could not read the request body: {rej}"),
                    )
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Deserialize `bytes`, turning serde's message into field + expected.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(err)
            if err
                .inner()
                .to_string()
                .contains("invalid type: floating point") =>
        {
            // JSON does not tell `3` from `3.0` (JSON Schema calls both an
            // integer): read the body again with integral fractions as
            // integers. Only on this error, so the strict first reading
            // (duplicate fields refused) stays the rule.
            let mut v: serde_json::Value =
                serde_json::from_slice(bytes).map_err(|e| describe_json_error(".", &e))?;
            integral_floats_as_integers(&mut v);
            return serde_path_to_error::deserialize(v).map_err(|err| {
                let path = err.path().to_string();
                describe_json_error(&path, &err.into_inner())
            });
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            return Err(describe_json_error(&path, &inner));
        }
    };
    de.end().map_err(|e| describe_json_error(".", &e))?;
    Ok(value)
}

fn integral_floats_as_integers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            if let Some(x) = n.as_f64().filter(|x| n.is_f64() && x.fract() == 0.0) {
                // Beyond 2^53 a float is no longer one integer; leave it
                // to be refused as a float.
                if x.abs() <= 9_007_199_254_740_992.0 {
                    *n = if x >= 0.0 {
                        (x as u64).into()
                    } else {
                        (x as i64).into()
                    };
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(m) => m.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

fn describe_json_error(path: &str, err: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    let full = err.to_string();
    // serde_json appends " at line L column C"; the field path says more.
    let msg = full
        .rfind(" at line ")
        .map(|i| &full[..i])
        .unwrap_or(&full)
        .to_string();
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::field(
            StatusCode::BAD_REQUEST,
            format!("malformed JSON: {full}"),
            if path == "." { "body" } else { path },
            "a well-formed JSON document",
        ),
        Category::Data => {
            let join = |name: &str| {
                if path == "." || path.is_empty() {
                    name.to_string()
                } else {
                    format!("{path}.{name}")
                }
            };
            if let Some(name) = msg
                .strip_prefix("missing field `")
                .and_then(|r| r.strip_suffix('`'))
            {
                return ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("missing field `{}`", join(name)),
                    join(name),
                    "this field is required",
                );
            }
            if let Some(name) = msg
                .strip_prefix("unknown field `")
                .and_then(|r| r.split('`').next())
            {
                return ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("unknown field `{}`", join(name)),
                    join(name),
                    msg.split_once("expected ")
                        .map(|(_, e)| e.to_string())
                        .unwrap_or_else(|| "no such field".into()),
                );
            }
            let expected = msg
                .split_once("expected ")
                .map(|(_, e)| e.to_string())
                .unwrap_or_else(|| msg.clone());
            let field = if path == "." {
                "body".to_string()
            } else {
                path.to_string()
            };
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{field}: {msg}"),
                field,
                expected,
            )
        }
    }
}

/// Whether the request's media type (parameters ignored, any case) is
/// `wanted`; for `application/json`, any `+json` type counts too.
pub(crate) fn content_type_is(headers: &axum::http::HeaderMap, wanted: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let mime = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == wanted || (wanted == "application/json" && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
        count: u8,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }

    #[test]
    fn errors_name_the_field() {
        let e =
            parse_json::<Outer>(br#"{"items":[{"name":"a","count":1},{"name":"b","count":"x"}]}"#)
                .unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.body.field.as_deref(), Some("items[1].count"));
        assert_eq!(e.body.expected.as_deref(), Some("u8"));

        let e = parse_json::<Outer>(br#"{"items":[{"name":"a"}]}"#).unwrap_err();
        assert_eq!(e.body.field.as_deref(), Some("items[0].count"));

        let e = parse_json::<Outer>(br#"{"items":[{"name":"a","count":1}"#).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);

        let e = parse_json::<Outer>(br#"{"items":[]} trailing"#).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(parse_json::<Outer>(br#"{"items":[]}"#).is_ok());
    }
}

#[cfg(test)]
mod integral_float_tests {
    use super::parse_json;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Body {
        amount: u64,
        level: jcstar_registry::Level,
    }

    #[test]
    fn integral_fractions_read_as_integers_others_refused() {
        let b: Body = parse_json(br#"{"amount": 498889.0, "level": 3.0}"#).unwrap();
        assert_eq!((b.amount, b.level.number()), (498889, 3));
        let e = parse_json::<Body>(br#"{"amount": 1.5, "level": 3}"#).unwrap_err();
        assert_eq!(e.body.field.as_deref(), Some("amount"), "{:?}", e.body);
        let e = parse_json::<Body>(br#"{"amount": 1, "level": 3, "level": 3}"#).unwrap_err();
        assert!(e.body.error.contains("duplicate"), "{:?}", e.body);
    }
}

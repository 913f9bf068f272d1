//! The client side of `POST /api/v1/verify`, for `jcstar verify-list`: the
//! list goes to a registry server, the report and its detached signature
//! come back as sent (so the signature still verifies on the saved file).
//! Rows keep the numbers they have in the user's file.

use jcstar_registry::verify::{InputRow, VerifyReport};

use crate::verify::{ReportFormat, SIGNATURE_HEADER};

/// A report as the server sent it.
pub struct RemoteReport {
    /// The body, byte for byte.
    pub body: Vec<u8>,
    /// The detached JWS from `JCStar-Signature`, when the server signs.
    pub signature: Option<String>,
}

/// Why the server's answer could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request could not be sent or its answer not read.
    #[error("registry {url}: {source}")]
    Http {
        /// The verification endpoint's URL.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error status.
    #[error("registry {url} answered {status}: {message}")]
    Status {
        /// The verification endpoint's URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The server's error message (or the start of its body).
        message: String,
    },
    /// The registry URL is `https://`, which is not supported yet (use a local TLS proxy).
    #[error(
        "registry {url}: only http:// URLs can be used for now; reach an HTTPS registry through a local TLS proxy"
    )]
    Https {
        /// The registry URL given.
        url: String,
    },
    /// The answer is not a JSON verification report.
    #[error("registry {url}: the answer is not a verification report: {0}", .message)]
    Decode {
        /// The registry URL, as the caller names it.
        url: String,
        /// Why it could not be read.
        message: String,
    },
}

impl ClientError {
    /// The message in the user's language.
    pub fn message(&self, lang: jcstar_criteria::Lang) -> String {
        use jcstar_criteria::Lang;
        match (lang, self) {
            (Lang::En, e) => e.to_string(),
            (Lang::Ja, ClientError::Http { url, source }) => {
                format!("登録簿サーバー {url} に接続できません: {source}")
            }
            (
                Lang::Ja,
                ClientError::Status {
                    url,
                    status,
                    message,
                },
            ) => {
                format!("登録簿サーバー {url} が {status} を返しました: {message}")
            }
            (Lang::Ja, ClientError::Https { url }) => format!(
                "登録簿サーバー {url}: 現在は http:// のURLだけを使えます。HTTPSの登録簿にはローカルのTLSプロキシを経由してください。"
            ),
            (Lang::Ja, ClientError::Decode { url, message }) => {
                format!("登録簿サーバー {url} の応答が確認結果ではありません: {message}")
            }
        }
    }
}

/// Send `rows` (their texts, in order) to the registry at `base_url`.
pub async fn verify_remote(
    base_url: &str,
    rows: &[InputRow],
    format: ReportFormat,
    lang: &str,
) -> Result<RemoteReport, ClientError> {
    let fmt = format.ext();
    if base_url.trim().to_ascii_lowercase().starts_with("https://") {
        return Err(ClientError::Https {
            url: base_url.to_string(),
        });
    }
    let url = format!(
        "{}/api/v1/verify?format={fmt}&lang={lang}",
        base_url.trim_end_matches('/')
    );
    // Blank items keep the file's row numbers (the server skips them but
    // counts them), so the saved, signed report names the same rows.
    let last = rows.iter().map(|r| r.row).max().unwrap_or(0) as usize;
    let mut texts: Vec<&str> = vec![""; last];
    for r in rows {
        if let Some(slot) = (r.row as usize)
            .checked_sub(1)
            .and_then(|i| texts.get_mut(i))
        {
            *slot = r.text.as_str();
        }
    }
    let http = |source| ClientError::Http {
        url: url.clone(),
        source,
    };
    let resp = reqwest::Client::new()
        .post(&url)
        .json(&serde_json::json!({ "rows": texts }))
        .send()
        .await
        .map_err(http)?;
    let status = resp.status();
    let signature = resp
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp.bytes().await.map_err(http)?.to_vec();
    if !status.is_success() {
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error")?.as_str().map(str::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(300).collect());
        return Err(ClientError::Status {
            url,
            status: status.as_u16(),
            message,
        });
    }
    Ok(RemoteReport { body, signature })
}

/// The JSON report, with the sheet cell of each row read from a workbook.
pub fn with_cells(body: &[u8], rows: &[InputRow], url: &str) -> Result<VerifyReport, ClientError> {
    let mut report: VerifyReport =
        serde_json::from_slice(body).map_err(|e| ClientError::Decode {
            url: url.to_string(),
            message: e.to_string(),
        })?;
    let cells: std::collections::HashMap<u64, &String> = rows
        .iter()
        .filter_map(|r| r.cell.as_ref().map(|c| (r.row, c)))
        .collect();
    for r in &mut report.rows {
        if let Some(c) = cells.get(&r.row) {
            r.cell = Some((*c).clone());
        }
    }
    Ok(report)
}

//! HTML form login: learn the form, learn what failure looks like, then guess.
//!
//! The form (action, method, field names, hidden fields such as a CSRF
//! token) is read from the login page. One known-bad attempt records the
//! failure reply; a later reply that differs from it in a way that means
//! "logged in" (redirect away from the login page, the password field gone)
//! is a success, while a page that mentions a lockout or shows a CAPTCHA is
//! a refusal, never a success. Options override any learned part.

use std::time::Duration;

use super::http::{HttpFailure, Response, request};
use super::text::{contains_ci, excerpt, lock_phrase};
use super::{Attempt, FormOptions, LoginAdapter, LoginError, ServiceSpec, Signal};

/// A form as found in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// The `action` attribute as written (empty: the page itself).
    pub action: String,
    /// The `method` attribute, upper-cased; `GET` when absent.
    pub method: String,
    /// The form's `input` elements, in order.
    pub inputs: Vec<Input>,
}

/// One `input` element of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Its `type` attribute, e.g. `password` or `hidden`.
    pub kind: String,
    /// Its `name` attribute.
    pub name: String,
    /// Its `value` attribute (e.g. a CSRF token in a hidden field).
    pub value: String,
}

/// Attributes of one tag, lower-cased names.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = tag;
    // Skip the tag name.
    if let Some(pos) = rest.find(|c: char| c.is_whitespace()) {
        rest = rest.get(pos..).unwrap_or_default();
    } else {
        return out;
    }
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == '/') {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() || c == '>' || c == '/' {
                break;
            }
            name.push(c);
            chars.next();
        }
        if name.is_empty() {
            break;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            match chars.peek().copied() {
                Some(q @ ('"' | '\'')) => {
                    chars.next();
                    for c in chars.by_ref() {
                        if c == q {
                            break;
                        }
                        value.push(c);
                    }
                }
                _ => {
                    while let Some(&c) = chars.peek() {
                        if c.is_whitespace() || c == '>' {
                            break;
                        }
                        value.push(c);
                        chars.next();
                    }
                }
            }
        }
        out.push((name.to_ascii_lowercase(), decode_entities(&value)));
    }
    out
}

fn decode_entities(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Every tag in `html` as (lower-case name, raw tag text without <>).
fn tags(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = rest.get(start + 1..).unwrap_or_default();
        if after.starts_with("!--") {
            match after.find("-->") {
                Some(end) => {
                    rest = after.get(end + 3..).unwrap_or_default();
                    continue;
                }
                None => break,
            }
        }
        let Some(end) = after.find('>') else { break };
        let raw = after.get(..end).unwrap_or_default();
        let name: String = raw
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
            .collect::<String>()
            .to_ascii_lowercase();
        out.push((name, raw.to_string()));
        rest = after.get(end + 1..).unwrap_or_default();
        if out.len() > 20_000 {
            break;
        }
    }
    out
}

/// All forms in the page; inputs outside a form are ignored.
pub fn parse_forms(html: &str) -> Vec<Form> {
    let mut forms = Vec::new();
    let mut current: Option<Form> = None;
    for (name, raw) in tags(html) {
        match name.as_str() {
            "form" => {
                if let Some(f) = current.take() {
                    forms.push(f);
                }
                let a = attributes(&raw);
                current = Some(Form {
                    action: attr(&a, "action").unwrap_or_default().to_string(),
                    method: attr(&a, "method").unwrap_or("get").to_ascii_uppercase(),
                    inputs: Vec::new(),
                });
            }
            "/form" => {
                if let Some(f) = current.take() {
                    forms.push(f);
                }
            }
            "input" | "button" => {
                if let Some(f) = current.as_mut() {
                    let a = attributes(&raw);
                    let default_kind = if name == "button" { "submit" } else { "text" };
                    let kind = attr(&a, "type")
                        .unwrap_or(default_kind)
                        .to_ascii_lowercase();
                    if let Some(n) = attr(&a, "name") {
                        f.inputs.push(Input {
                            kind,
                            name: n.to_string(),
                            value: attr(&a, "value").unwrap_or_default().to_string(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(f) = current.take() {
        forms.push(f);
    }
    forms
}

/// Whether the page contains a password input (a login form is still shown).
pub fn has_password_input(html: &str) -> bool {
    tags(html).iter().any(|(n, raw)| {
        n == "input"
            && attr(&attributes(raw), "type").is_some_and(|t| t.eq_ignore_ascii_case("password"))
    })
}

/// The login form of a page with the user and password field names chosen.
#[derive(Debug, Clone)]
pub struct LoginForm {
    /// The form.
    pub form: Form,
    /// Name of the user-name field.
    pub user_field: String,
    /// Name of the password field.
    pub pass_field: String,
}

/// Finds the login form (one with a password field) in `html`, honouring field names given in `opts`.
pub fn find_login_form(html: &str, opts: &FormOptions) -> Option<LoginForm> {
    for form in parse_forms(html) {
        let pass_field = match &opts.pass_field {
            Some(p) => p.clone(),
            None => match form.inputs.iter().find(|i| i.kind == "password") {
                Some(i) => i.name.clone(),
                None => continue,
            },
        };
        if !form.inputs.iter().any(|i| i.name == pass_field) && opts.pass_field.is_none() {
            continue;
        }
        let user_field = match &opts.user_field {
            Some(u) => u.clone(),
            None => {
                let candidates: Vec<&Input> = form
                    .inputs
                    .iter()
                    .filter(|i| matches!(i.kind.as_str(), "text" | "email" | "tel" | ""))
                    .collect();
                let preferred = candidates.iter().find(|i| {
                    let n = i.name.to_ascii_lowercase();
                    ["user", "login", "name", "mail", "account", "id"]
                        .iter()
                        .any(|k| n.contains(k))
                });
                match preferred.or(candidates.first()) {
                    Some(i) => i.name.clone(),
                    None => continue,
                }
            }
        };
        return Some(LoginForm {
            form,
            user_field,
            pass_field,
        });
    }
    None
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Resolves a form action against the page path (same host only).
fn resolve(page_path: &str, action: &str) -> String {
    if action.is_empty() {
        return page_path.to_string();
    }
    if let Some(rest) = action
        .strip_prefix("http://")
        .or_else(|| action.strip_prefix("https://"))
    {
        return match rest.find('/') {
            Some(p) => rest.get(p..).unwrap_or("/").to_string(),
            None => "/".to_string(),
        };
    }
    if action.starts_with('/') {
        return action.to_string();
    }
    let base = match page_path.rfind('/') {
        Some(p) => page_path.get(..=p).unwrap_or("/"),
        None => "/",
    };
    format!("{base}{action}")
}

/// Cookies set by a reply, as `name=value` pairs.
fn set_cookies(resp: &Response) -> Vec<(String, String)> {
    resp.headers_named("set-cookie")
        .filter_map(|v| {
            let first = v.split(';').next()?;
            let (n, val) = first.split_once('=')?;
            Some((n.trim().to_string(), val.trim().to_string()))
        })
        .collect()
}

/// What the known-bad attempt looked like.
#[derive(Debug, Clone)]
pub struct FailureSignature {
    /// Status code of the reply.
    pub status: u16,
    /// Where it redirected, if it did.
    pub location: Option<String>,
    /// Whether the reply still shows a password field.
    pub has_password_input: bool,
    /// The lockout phrase it contained, if any.
    pub lock_phrase: Option<&'static str>,
    /// Whether it showed a CAPTCHA.
    pub captcha: bool,
    /// Text shown after the bad attempt and not on the login page.
    pub failure_text: Option<String>,
}

/// Guesses through an HTML login form, comparing each reply with a known-bad one.
pub struct FormAdapter {
    addr: super::http::HttpTarget,
    host: String,
    page_path: String,
    timeout: Duration,
    opts: FormOptions,
    login: LoginForm,
    /// The page carries hidden fields (likely a CSRF token): fetch it anew
    /// before each guess.
    refetch: bool,
    /// What the known-bad attempt looked like.
    pub failure: FailureSignature,
}

fn visible_lines(html: &str) -> Vec<String> {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push('\n');
            }
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| l.len() >= 4)
        .collect()
}

impl FormAdapter {
    /// Fetches the login page (following up to three redirects), finds the
    /// form, and makes one known-bad attempt to learn the failure reply.
    pub async fn learn(spec: &ServiceSpec, timeout: Duration) -> Result<FormAdapter, LoginError> {
        let service = spec.describe();
        let host = spec.host_header();
        let mut path = spec.path.clone();
        let mut page = None;
        for _ in 0..4 {
            let resp = request(spec.http_target(), &host, "GET", &path, &[], None, timeout)
                .await
                .map_err(|e| LoginError::Connect {
                    service: service.clone(),
                    reason: format!("{e:?}"),
                })?;
            if (300..400).contains(&resp.status)
                && let Some(loc) = resp.header("location")
            {
                path = resolve(&path, loc);
                continue;
            }
            page = Some(resp);
            break;
        }
        let page = page.ok_or_else(|| LoginError::NoForm {
            service: service.clone(),
            path: spec.path.clone(),
            reason: "too many redirects".into(),
        })?;
        let html = page.body_text();
        let login = find_login_form(&html, &spec.form).ok_or_else(|| LoginError::NoForm {
            service: service.clone(),
            path: path.clone(),
            reason: format!(
                "HTTP {}: no form with a password field (set the field names to override)",
                page.status
            ),
        })?;
        let refetch = login.form.inputs.iter().any(|i| i.kind == "hidden");
        let mut adapter = FormAdapter {
            addr: spec.http_target(),
            host,
            page_path: path,
            timeout,
            opts: spec.form.clone(),
            login,
            refetch,
            failure: FailureSignature {
                status: 0,
                location: None,
                has_password_input: true,
                lock_phrase: None,
                captcha: false,
                failure_text: None,
            },
        };
        let bad_user = format!("jcstar-{}", super::random_token(8));
        let bad_pass = super::random_token(16);
        let resp =
            adapter
                .submit(&bad_user, &bad_pass)
                .await
                .map_err(|e| LoginError::Protocol {
                    service: service.clone(),
                    expected: "a reply to a known-bad login".into(),
                    reason: format!("{e:?}"),
                })?;
        let body = resp.body_text();
        // A device that already refuses (locked by earlier guesses, maybe
        // on another service sharing the account) would teach the lockout
        // page as "failure", and every later refusal would count as an
        // evaluated guess: a wrong "does not resist".
        if let Some(p) = lock_phrase(&body)
            && lock_phrase(&html).is_none()
            && adapter.opts.failure_marker.is_none()
        {
            return Err(LoginError::Protocol {
                service,
                expected: "an ordinary failure reply to a known-bad login".into(),
                reason: format!(
                    "the reply already says {p:?}: the device is refusing logins now (locked by earlier attempts?); wait for it to lift and run again, or give the failure text"
                ),
            });
        }
        let page_lines = visible_lines(&html);
        let failure_text = visible_lines(&body)
            .into_iter()
            .find(|l| !page_lines.contains(l));
        adapter.failure = FailureSignature {
            status: resp.status,
            location: resp.header("location").map(str::to_string),
            has_password_input: has_password_input(&body),
            lock_phrase: lock_phrase(&body),
            captcha: contains_ci(&body, "captcha"),
            failure_text,
        };
        Ok(adapter)
    }

    async fn submit(&self, user: &str, pass: &str) -> Result<Response, HttpFailure> {
        let mut form = self.login.form.clone();
        let mut cookies: Vec<(String, String)> = Vec::new();
        if self.refetch {
            let page = request(
                self.addr,
                &self.host,
                "GET",
                &self.page_path,
                &[],
                None,
                self.timeout,
            )
            .await?;
            cookies = set_cookies(&page);
            if let Some(fresh) = find_login_form(&page.body_text(), &self.opts) {
                form = fresh.form;
            }
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        for i in &form.inputs {
            if i.name == self.login.user_field || i.name == self.login.pass_field {
                continue;
            }
            match i.kind.as_str() {
                "hidden" | "submit" => pairs.push((i.name.clone(), i.value.clone())),
                "checkbox" | "radio" | "button" | "reset" | "image" | "file" => {}
                _ => pairs.push((i.name.clone(), i.value.clone())),
            }
        }
        pairs.push((self.login.user_field.clone(), user.to_string()));
        pairs.push((self.login.pass_field.clone(), pass.to_string()));
        let encoded = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let action = resolve(&self.page_path, &form.action);
        let mut headers = Vec::new();
        if !cookies.is_empty() {
            let c = cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            headers.push(("Cookie".to_string(), c));
        }
        if form.method == "POST" {
            headers.push((
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ));
            request(
                self.addr,
                &self.host,
                "POST",
                &action,
                &headers,
                Some(encoded.as_bytes()),
                self.timeout,
            )
            .await
        } else {
            let sep = if action.contains('?') { '&' } else { '?' };
            let path = format!("{action}{sep}{encoded}");
            request(
                self.addr,
                &self.host,
                "GET",
                &path,
                &headers,
                None,
                self.timeout,
            )
            .await
        }
    }

    /// Reads a reply to a guess as success, failure, lockout or rate limit by comparing it with the known-bad one.
    pub fn classify(&self, resp: &Response) -> Attempt {
        let body = resp.body_text();
        let f = &self.failure;
        if resp.status == 429 || resp.status == 503 {
            return Attempt::RateLimited {
                signal: Signal::Status { code: resp.status },
                delay_ms: resp.retry_after_ms(),
            };
        }
        if resp.status == 423 {
            return Attempt::LockedOut {
                signal: Signal::Status { code: 423 },
            };
        }
        if let Some(m) = &self.opts.failure_marker
            && body.contains(m.as_str())
        {
            return Attempt::Failure {
                signal: Signal::Message { text: m.clone() },
            };
        }
        if let Some(p) = lock_phrase(&body)
            && f.lock_phrase != Some(p)
        {
            return Attempt::LockedOut {
                signal: Signal::Message {
                    text: excerpt(
                        visible_lines(&body)
                            .into_iter()
                            .find(|l| contains_ci(l, p))
                            .unwrap_or_else(|| p.to_string())
                            .as_bytes(),
                        160,
                    ),
                },
            };
        }
        if !f.captcha && contains_ci(&body, "captcha") {
            return Attempt::LockedOut {
                signal: Signal::PageChanged {
                    what: "a CAPTCHA appeared".into(),
                },
            };
        }
        if let Some(m) = &self.opts.success_marker {
            return if body.contains(m.as_str()) {
                Attempt::Success {
                    signal: Signal::Message { text: m.clone() },
                }
            } else {
                Attempt::Failure {
                    signal: Signal::Message {
                        text: format!("success text {m:?} absent"),
                    },
                }
            };
        }
        let location = resp.header("location").map(str::to_string);
        if let Some(t) = &f.failure_text
            && body.contains(t.as_str())
        {
            return Attempt::Failure {
                signal: Signal::Message { text: t.clone() },
            };
        }
        if (300..400).contains(&resp.status) {
            let loc = location.unwrap_or_default();
            if Some(&loc) == f.location.as_ref() || contains_ci(&loc, "login") {
                return Attempt::Failure {
                    signal: Signal::Redirect { location: loc },
                };
            }
            return Attempt::Success {
                signal: Signal::Redirect { location: loc },
            };
        }
        if resp.status >= 400 {
            return if resp.status == f.status {
                Attempt::Failure {
                    signal: Signal::Status { code: resp.status },
                }
            } else {
                Attempt::Error {
                    reason: format!("unexpected HTTP status {}", resp.status),
                }
            };
        }
        if has_password_input(&body) {
            return Attempt::Failure {
                signal: Signal::Message {
                    text: "the login form is shown again".into(),
                },
            };
        }
        Attempt::Success {
            signal: Signal::PageChanged {
                what: format!("HTTP {} without the login form", resp.status),
            },
        }
    }
}

impl LoginAdapter for FormAdapter {
    async fn try_login(&self, user: &str, pass: &str) -> Attempt {
        match self.submit(user, pass).await {
            Ok(resp) => self.classify(&resp),
            Err(e) => e.into_attempt(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><body><!-- <form action="/old"> -->
<form method="post" action="login.cgi"><input type="hidden" name="csrf" value="a&amp;b">
<input name=username><input type='password' name='pw'/><button type=submit name=go value=1>Go</button></form>
<form action="/search"><input name="q"></form></body></html>"#;

    #[test]
    fn finds_login_form_fields_and_hidden_token() {
        let f = find_login_form(PAGE, &FormOptions::default()).expect("form");
        assert_eq!(f.user_field, "username");
        assert_eq!(f.pass_field, "pw");
        assert_eq!(f.form.method, "POST");
        assert_eq!(f.form.action, "login.cgi");
        assert!(
            f.form
                .inputs
                .iter()
                .any(|i| i.name == "csrf" && i.value == "a&b")
        );
        assert_eq!(
            resolve("/admin/index.html", "login.cgi"),
            "/admin/login.cgi"
        );
        assert_eq!(resolve("/", "http://x/y?z"), "/y?z");
    }

    #[test]
    fn garbage_html_yields_nothing() {
        assert!(
            find_login_form("<<<>>><form<input type=password", &FormOptions::default()).is_none()
        );
        assert!(parse_forms("<form").is_empty());
    }
}

//! Parsers for the three feed formats: NVD CVE JSON 2.0, OSV JSON and CISA's
//! KEV catalog. A file is recognised by its content, not its name. Each
//! record is checked on its own: a bad record becomes a [`Problem`] naming
//! the file, the record and the field, and the rest of the file goes on.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::model::{Affected, Bound, Cvss, Interval, KevEntry, Record, Source, Target};
use crate::version::{self, Scheme};

/// A record or file that could not be read, in the user's terms.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The file, as the caller named it.
    pub file: String,
    /// The record id (or its position when it has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// JSON path of the offending field, `$` for the whole file.
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(r) = &self.record {
            write!(f, ": record {r}")?;
        }
        write!(f, ": field {}: {}", self.field, self.message)
    }
}

/// What a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedKind {
    /// NVD CVE JSON 2.0.
    Nvd,
    /// OSV JSON: one record or an array of records.
    Osv,
    /// CISA's Known Exploited Vulnerabilities catalog.
    Kev,
    /// None of the three; the file is reported as a problem.
    Unknown,
}

/// The records of one file.
#[derive(Debug, Default)]
pub struct Parsed {
    /// What the file was recognised as.
    pub kind: Option<FeedKind>,
    /// The NVD or OSV records that parsed.
    pub records: Vec<Record>,
    /// The KEV entries that parsed.
    pub kev: Vec<KevEntry>,
    /// What could not be read, per file or record.
    pub problems: Vec<Problem>,
    /// Records seen in the file, good or bad.
    pub seen: usize,
    /// OSV `GIT` ranges, which name commits rather than versions.
    pub git_ranges_ignored: usize,
}

/// Record-level failure: the path and the message; the caller adds the
/// file and the record id.
struct Bad(String, String);

type R<T> = Result<T, Bad>;

fn bad<T>(path: &str, msg: impl Into<String>) -> R<T> {
    Err(Bad(path.to_string(), msg.into()))
}

fn get<'v>(v: &'v Value, path: &str, key: &str) -> (Option<&'v Value>, String) {
    (v.get(key), format!("{path}.{key}"))
}

fn req_str<'v>(v: &'v Value, path: &str, key: &str) -> R<&'v str> {
    match get(v, path, key) {
        (Some(Value::String(s)), _) => Ok(s),
        (Some(_), p) => bad(&p, "expected a string"),
        (None, p) => bad(&p, "missing"),
    }
}

fn opt_str<'v>(v: &'v Value, path: &str, key: &str) -> R<Option<&'v str>> {
    match get(v, path, key) {
        (Some(Value::String(s)), _) => Ok(Some(s)),
        (Some(Value::Null) | None, _) => Ok(None),
        (Some(_), p) => bad(&p, "expected a string"),
    }
}

fn opt_arr<'v>(v: &'v Value, path: &str, key: &str) -> R<&'v [Value]> {
    match get(v, path, key) {
        (Some(Value::Array(a)), _) => Ok(a),
        (Some(Value::Null) | None, _) => Ok(&[]),
        (Some(_), p) => bad(&p, "expected an array"),
    }
}

/// Timestamps become RFC 3339 UTC with milliseconds so that they order as
/// strings. NVD writes them without a zone (they are UTC).
pub fn normalise_time(s: &str) -> Option<String> {
    use chrono::{DateTime, NaiveDateTime, Utc};
    let t = if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        t.with_timezone(&Utc)
    } else {
        let n = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
        n.and_utc()
    };
    Some(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

fn time_field(v: &Value, path: &str, key: &str) -> R<String> {
    let s = req_str(v, path, key)?;
    normalise_time(s).ok_or_else(|| {
        Bad(
            format!("{path}.{key}"),
            format!("{s:?} is not a timestamp (expected e.g. 2024-01-02T03:04:05.000)"),
        )
    })
}

fn check_version(scheme: Scheme, path: &str, v: &str) -> R<()> {
    version::validate(scheme, v).map_err(|e| Bad(path.to_string(), e.to_string()))
}

/// Parse one file's bytes. `name` is how problems name it.
pub fn parse_bytes(name: &str, bytes: &[u8]) -> Parsed {
    let mut out = Parsed::default();
    let file_problem = |out: &mut Parsed, msg: String| {
        out.problems.push(Problem {
            file: name.to_string(),
            record: None,
            field: "$".into(),
            message: msg,
        })
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            file_problem(
                &mut out,
                format!("not UTF-8 text ({e}); expected a JSON feed"),
            );
            out.kind = Some(FeedKind::Unknown);
            return out;
        }
    };
    let first = text.trim_start().chars().next();
    if first == Some('[') {
        // osv.dev's bulk files are one record per file, but some tools
        // write arrays of records.
        match serde_json::from_str::<Vec<&RawValue>>(text) {
            Ok(items) => {
                out.kind = Some(FeedKind::Osv);
                for (i, raw) in items.iter().enumerate() {
                    parse_osv_raw(name, &format!("$[{i}]"), raw, &mut out);
                }
            }
            Err(e) => file_problem(&mut out, json_error(&e)),
        }
        return out;
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Top<'a> {
        format: Option<String>,
        version: Option<String>,
        catalog_version: Option<String>,
        #[serde(rename = "CVE_data_format")]
        cve_data_format: Option<String>,
        #[serde(borrow)]
        vulnerabilities: Option<Vec<&'a RawValue>>,
        id: Option<String>,
        modified: Option<String>,
    }
    let top: Top<'_> = match serde_json::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            file_problem(&mut out, json_error(&e));
            out.kind = Some(FeedKind::Unknown);
            return out;
        }
    };
    if top.cve_data_format.is_some() {
        out.kind = Some(FeedKind::Nvd);
        file_problem(
            &mut out,
            "an NVD 1.1 feed (CVE_data_format); NVD retired these: download the CVE JSON 2.0 feeds"
                .into(),
        );
        return out;
    }
    if top.format.as_deref() == Some("NVD_CVE") {
        out.kind = Some(FeedKind::Nvd);
        if top.version.as_deref() != Some("2.0") {
            out.problems.push(Problem {
                file: name.into(),
                record: None,
                field: "$.version".into(),
                message: format!(
                    "unknown NVD feed version {:?}; this release reads version \"2.0\"",
                    top.version.as_deref().unwrap_or("(missing)")
                ),
            });
            return out;
        }
        for (i, raw) in top.vulnerabilities.unwrap_or_default().iter().enumerate() {
            parse_nvd_raw(name, i, raw, &mut out);
        }
        return out;
    }
    if top.catalog_version.is_some() {
        out.kind = Some(FeedKind::Kev);
        for (i, raw) in top.vulnerabilities.unwrap_or_default().iter().enumerate() {
            parse_kev_raw(name, i, raw, &mut out);
        }
        return out;
    }
    if top.id.is_some() && top.modified.is_some() {
        out.kind = Some(FeedKind::Osv);
        match serde_json::from_str::<&RawValue>(text) {
            Ok(raw) => parse_osv_raw(name, "$", raw, &mut out),
            Err(e) => file_problem(&mut out, json_error(&e)),
        }
        return out;
    }
    out.kind = Some(FeedKind::Unknown);
    file_problem(
        &mut out,
        "not a known feed: expected an NVD CVE JSON 2.0 feed (\"format\": \"NVD_CVE\"), an OSV record (\"id\", \"modified\") or the KEV catalog (\"catalogVersion\")".into(),
    );
    out
}

fn json_error(e: &serde_json::Error) -> String {
    if e.is_eof() {
        format!(
            "the file ends early at line {} column {} (truncated download?)",
            e.line(),
            e.column()
        )
    } else {
        format!(
            "not valid JSON at line {} column {}: {e}",
            e.line(),
            e.column()
        )
    }
}

fn record_value(name: &str, label: &str, raw: &RawValue, out: &mut Parsed) -> Option<Value> {
    out.seen += 1;
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(v) => Some(v),
        Err(e) => {
            out.problems.push(Problem {
                file: name.into(),
                record: Some(label.into()),
                field: label.into(),
                message: json_error(&e),
            });
            None
        }
    }
}

// -------------------------------------------------------------------- NVD

fn parse_nvd_raw(name: &str, i: usize, raw: &RawValue, out: &mut Parsed) {
    let base = format!("$.vulnerabilities[{i}]");
    let Some(v) = record_value(name, &base, raw, out) else {
        return;
    };
    let id = v
        .get("cve")
        .and_then(|c| c.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string);
    match nvd_record(&v, &base) {
        Ok(r) => out.records.push(r),
        Err(Bad(field, message)) => out.problems.push(Problem {
            file: name.into(),
            record: Some(id.unwrap_or_else(|| format!("#{}", i + 1))),
            field,
            message,
        }),
    }
}

fn is_cve_id(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    parts.next() == Some("CVE")
        && parts
            .next()
            .is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
        && parts
            .next()
            .is_some_and(|n| n.len() >= 4 && n.len() <= 12 && n.bytes().all(|b| b.is_ascii_digit()))
}

fn nvd_record(v: &Value, base: &str) -> R<Record> {
    let cp = format!("{base}.cve");
    let Some(cve) = v.get("cve") else {
        return bad(&cp, "missing");
    };
    let id = req_str(cve, &cp, "id")?;
    if !is_cve_id(id) {
        return bad(
            &format!("{cp}.id"),
            format!("{id:?} is not a CVE id (CVE-YYYY-NNNN)"),
        );
    }
    let modified = time_field(cve, &cp, "lastModified")?;
    let published = opt_str(cve, &cp, "published")?.and_then(normalise_time);
    let status = opt_str(cve, &cp, "vulnStatus")?.unwrap_or("");
    let withdrawn = status.eq_ignore_ascii_case("Rejected");
    let mut summary = String::new();
    for (k, d) in opt_arr(cve, &cp, "descriptions")?.iter().enumerate() {
        let dp = format!("{cp}.descriptions[{k}]");
        if opt_str(d, &dp, "lang")? == Some("en") {
            summary = req_str(d, &dp, "value")?.to_string();
        }
    }
    let mut cvss = Vec::new();
    if let Some(m) = cve.get("metrics") {
        let mp = format!("{cp}.metrics");
        for key in ["cvssMetricV40", "cvssMetricV31", "cvssMetricV30"] {
            for (k, item) in opt_arr(m, &mp, key)?.iter().enumerate() {
                let ip = format!("{mp}.{key}[{k}]");
                let dp = format!("{ip}.cvssData");
                let Some(data) = item.get("cvssData") else {
                    return bad(&dp, "missing");
                };
                let version = req_str(data, &dp, "version")?;
                let vector = req_str(data, &dp, "vectorString")?;
                let score = match data.get("baseScore").and_then(Value::as_f64) {
                    Some(s) if (0.0..=10.0).contains(&s) => s,
                    Some(s) => {
                        return bad(
                            &format!("{dp}.baseScore"),
                            format!("{s} is outside 0.0-10.0"),
                        );
                    }
                    None => return bad(&format!("{dp}.baseScore"), "missing or not a number"),
                };
                if !vector.starts_with("CVSS:") {
                    return bad(
                        &format!("{dp}.vectorString"),
                        format!("{vector:?} is not a CVSS vector (CVSS:3.1/AV:...)"),
                    );
                }
                cvss.push(Cvss {
                    version: version.to_string(),
                    score: Some(score),
                    vector: vector.to_string(),
                    kind: opt_str(item, &ip, "type")?.map(str::to_string),
                });
            }
        }
    }
    let mut affected = Vec::new();
    for (c, config) in opt_arr(cve, &cp, "configurations")?.iter().enumerate() {
        let cfp = format!("{cp}.configurations[{c}]");
        let nodes = opt_arr(config, &cfp, "nodes")?;
        let and = opt_str(config, &cfp, "operator")? == Some("AND");
        // The platform side of an AND configuration: criteria that are not
        // vulnerable themselves but must be present.
        let mut platform = Vec::new();
        let mut vulnerable = Vec::new();
        for (n, node) in nodes.iter().enumerate() {
            let np = format!("{cfp}.nodes[{n}]");
            if node.get("negate").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            for (k, m) in opt_arr(node, &np, "cpeMatch")?.iter().enumerate() {
                let mp = format!("{np}.cpeMatch[{k}]");
                let criteria = req_str(m, &mp, "criteria")?;
                let is_vuln = m
                    .get("vulnerable")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if is_vuln {
                    vulnerable.push((mp, m, criteria));
                } else {
                    platform.push(criteria.to_string());
                }
            }
        }
        for (mp, m, criteria) in vulnerable {
            let Some(entry) = nvd_cpe_match(&mp, m, criteria)? else {
                continue;
            };
            let mut entry = entry;
            if and {
                entry.requires = platform.clone();
            }
            affected.push(entry);
        }
    }
    let mut references = Vec::new();
    for r in opt_arr(cve, &cp, "references")? {
        if let Some(u) = r.get("url").and_then(Value::as_str) {
            references.push(u.to_string());
        }
    }
    Ok(Record {
        id: id.to_string(),
        source: Source::Nvd,
        aliases: Vec::new(),
        summary,
        published,
        modified,
        withdrawn,
        cvss,
        affected,
        references,
    })
}

/// Split a CPE 2.3 formatted string on unescaped colons and unescape.
pub fn split_cpe(s: &str) -> Option<Vec<String>> {
    let rest = s.strip_prefix("cpe:2.3:")?;
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => cur.push(chars.next()?),
            ':' => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    (parts.len() == 11).then_some(parts)
}

fn nvd_cpe_match(mp: &str, m: &Value, criteria: &str) -> R<Option<Affected>> {
    let Some(parts) = split_cpe(criteria) else {
        return bad(
            &format!("{mp}.criteria"),
            format!("{criteria:?} is not a CPE 2.3 name (cpe:2.3:part:vendor:product:version:...)"),
        );
    };
    let field = |i: usize| parts.get(i).map(String::as_str).unwrap_or("*");
    let (part, vendor, product, ver, update) = (field(0), field(1), field(2), field(3), field(4));
    if !matches!(part, "a" | "o" | "h") || vendor.is_empty() || product.is_empty() {
        return bad(
            &format!("{mp}.criteria"),
            format!("{criteria:?}: part must be a, o or h and vendor, product non-empty"),
        );
    }
    let target = Target::Cpe {
        part: part.into(),
        vendor: vendor.into(),
        product: product.into(),
    };
    let bound = |key: &str, inclusive: bool| -> R<Option<Bound>> {
        let Some(v) = opt_str(m, mp, key)? else {
            return Ok(None);
        };
        check_version(Scheme::Generic, &format!("{mp}.{key}"), v)?;
        Ok(Some(Bound {
            version: v.to_string(),
            inclusive,
        }))
    };
    let start = match bound("versionStartIncluding", true)? {
        Some(b) => Some(b),
        None => bound("versionStartExcluding", false)?,
    };
    let end = match bound("versionEndIncluding", true)? {
        Some(b) => Some(b),
        None => bound("versionEndExcluding", false)?,
    };
    let mut entry = Affected {
        target,
        scheme: Scheme::Generic,
        ranges: Vec::new(),
        versions: Vec::new(),
        requires: Vec::new(),
        path: mp.to_string(),
        criteria: Some(criteria.to_string()),
    };
    if start.is_some() || end.is_some() {
        entry.ranges.push(Interval { start, end });
    } else if ver == "*" {
        entry.ranges.push(Interval::default());
    } else if ver == "-" {
        // "not applicable": hardware and version-less entries; nothing a
        // version can match.
        return Ok(None);
    } else {
        let exact = if update == "*" || update == "-" {
            ver.to_string()
        } else {
            format!("{ver}{update}")
        };
        check_version(Scheme::Generic, &format!("{mp}.criteria"), &exact)?;
        entry.versions.push(exact);
    }
    Ok(Some(entry))
}

// -------------------------------------------------------------------- OSV

fn parse_osv_raw(name: &str, base: &str, raw: &RawValue, out: &mut Parsed) {
    let Some(v) = record_value(name, base, raw, out) else {
        return;
    };
    let id = v.get("id").and_then(Value::as_str).map(str::to_string);
    match osv_record(&v, base, &mut out.git_ranges_ignored) {
        Ok(r) => out.records.push(r),
        Err(Bad(field, message)) => out.problems.push(Problem {
            file: name.into(),
            record: Some(id.unwrap_or_else(|| base.to_string())),
            field,
            message,
        }),
    }
}

fn osv_record(v: &Value, base: &str, git_ignored: &mut usize) -> R<Record> {
    if let Some(sv) = opt_str(v, base, "schema_version")?
        && !sv.starts_with("1.")
    {
        return bad(
            &format!("{base}.schema_version"),
            format!("unknown OSV schema version {sv:?}; this release reads 1.x"),
        );
    }
    let id = req_str(v, base, "id")?;
    if id.is_empty() || id.len() > 100 || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad(&format!("{base}.id"), format!("{id:?} is not a record id"));
    }
    let modified = time_field(v, base, "modified")?;
    let published = opt_str(v, base, "published")?.and_then(normalise_time);
    let withdrawn = opt_str(v, base, "withdrawn")?.is_some();
    let mut aliases = Vec::new();
    for (k, a) in opt_arr(v, base, "aliases")?.iter().enumerate() {
        match a.as_str() {
            Some(s) => aliases.push(s.to_string()),
            None => return bad(&format!("{base}.aliases[{k}]"), "expected a string"),
        }
    }
    // Debian's and Ubuntu's OSV records are published under their own ids
    // but are about one CVE each; `upstream` says which.
    for a in opt_arr(v, base, "upstream")? {
        if let Some(s) = a.as_str()
            && !aliases.iter().any(|x| x == s)
        {
            aliases.push(s.to_string());
        }
    }
    let summary = opt_str(v, base, "summary")?
        .or(opt_str(v, base, "details")?)
        .unwrap_or("")
        .to_string();
    let mut cvss = Vec::new();
    for (k, s) in opt_arr(v, base, "severity")?.iter().enumerate() {
        let sp = format!("{base}.severity[{k}]");
        let ty = req_str(s, &sp, "type")?;
        let score = req_str(s, &sp, "score")?;
        let version = match ty {
            "CVSS_V3" => score
                .strip_prefix("CVSS:")
                .and_then(|r| r.split('/').next())
                .unwrap_or("3.1"),
            "CVSS_V4" => "4.0",
            _ => continue,
        };
        if !score.starts_with("CVSS:") {
            return bad(
                &format!("{sp}.score"),
                format!("{score:?} is not a CVSS vector"),
            );
        }
        cvss.push(Cvss {
            version: version.to_string(),
            score: crate::cvss::base_score(score),
            vector: score.to_string(),
            kind: None,
        });
    }
    let mut affected = Vec::new();
    for (k, a) in opt_arr(v, base, "affected")?.iter().enumerate() {
        let ap = format!("{base}.affected[{k}]");
        let Some(pkg) = a.get("package") else {
            // Affected entries without a package name only commits.
            continue;
        };
        let pp = format!("{ap}.package");
        let ecosystem = req_str(pkg, &pp, "ecosystem")?;
        let pname = req_str(pkg, &pp, "name")?;
        if ecosystem.is_empty() || pname.is_empty() {
            return bad(&pp, "ecosystem and name must not be empty");
        }
        let eco_scheme = Scheme::for_ecosystem(ecosystem);
        let mut ranges_by_scheme: Vec<(Scheme, Interval)> = Vec::new();
        for (r, range) in opt_arr(a, &ap, "ranges")?.iter().enumerate() {
            let rp = format!("{ap}.ranges[{r}]");
            let ty = req_str(range, &rp, "type")?;
            let scheme = match ty {
                "SEMVER" => Scheme::Semver,
                "ECOSYSTEM" => eco_scheme,
                "GIT" => {
                    *git_ignored += 1;
                    continue;
                }
                other => {
                    return bad(
                        &format!("{rp}.type"),
                        format!("unknown range type {other:?} (expected SEMVER, ECOSYSTEM or GIT)"),
                    );
                }
            };
            let mut start: Option<Bound> = None;
            let mut open = false;
            for (e, ev) in opt_arr(range, &rp, "events")?.iter().enumerate() {
                let ep = format!("{rp}.events[{e}]");
                let Some(obj) = ev.as_object() else {
                    return bad(&ep, "expected an object");
                };
                let Some((kind, val)) = obj.iter().next() else {
                    return bad(&ep, "empty event");
                };
                let Some(val) = val.as_str() else {
                    return bad(&format!("{ep}.{kind}"), "expected a string");
                };
                match kind.as_str() {
                    "introduced" => {
                        start = if val == "0" {
                            None
                        } else {
                            check_version(scheme, &format!("{ep}.introduced"), val)?;
                            Some(Bound {
                                version: val.into(),
                                inclusive: true,
                            })
                        };
                        open = true;
                    }
                    "fixed" | "last_affected" => {
                        check_version(scheme, &format!("{ep}.{kind}"), val)?;
                        ranges_by_scheme.push((
                            scheme,
                            Interval {
                                start: start.take(),
                                end: Some(Bound {
                                    version: val.into(),
                                    inclusive: kind == "last_affected",
                                }),
                            },
                        ));
                        open = false;
                    }
                    "limit" => {}
                    other => {
                        return bad(
                            &format!("{ep}.{other}"),
                            "unknown event (expected introduced, fixed, last_affected or limit)",
                        );
                    }
                }
            }
            if open {
                ranges_by_scheme.push((
                    scheme,
                    Interval {
                        start: start.take(),
                        end: None,
                    },
                ));
            }
        }
        let mut versions = Vec::new();
        for (j, x) in opt_arr(a, &ap, "versions")?.iter().enumerate() {
            match x.as_str() {
                Some(s) => versions.push(s.to_string()),
                None => return bad(&format!("{ap}.versions[{j}]"), "expected a string"),
            }
        }
        let target = Target::Package {
            ecosystem: ecosystem.to_string(),
            name: pname.to_string(),
        };
        // One entry per scheme, so a SEMVER and an ECOSYSTEM range of the
        // same package are each compared their own way.
        let mut schemes: Vec<Scheme> = ranges_by_scheme.iter().map(|(s, _)| *s).collect();
        schemes.dedup();
        if schemes.is_empty() {
            schemes.push(eco_scheme);
        }
        for (n, scheme) in schemes.iter().enumerate() {
            affected.push(Affected {
                target: target.clone(),
                scheme: *scheme,
                ranges: ranges_by_scheme
                    .iter()
                    .filter(|(s, _)| s == scheme)
                    .map(|(_, i)| i.clone())
                    .collect(),
                versions: if n == 0 { versions.clone() } else { Vec::new() },
                requires: Vec::new(),
                path: ap.clone(),
                criteria: None,
            });
        }
    }
    let mut references = Vec::new();
    for r in opt_arr(v, base, "references")? {
        if let Some(u) = r.get("url").and_then(Value::as_str) {
            references.push(u.to_string());
        }
    }
    Ok(Record {
        id: id.to_string(),
        source: Source::Osv,
        aliases,
        summary,
        published,
        modified,
        withdrawn,
        cvss,
        affected,
        references,
    })
}

// -------------------------------------------------------------------- KEV

fn parse_kev_raw(name: &str, i: usize, raw: &RawValue, out: &mut Parsed) {
    let base = format!("$.vulnerabilities[{i}]");
    let Some(v) = record_value(name, &base, raw, out) else {
        return;
    };
    let id = v.get("cveID").and_then(Value::as_str).map(str::to_string);
    let entry = (|| -> R<KevEntry> {
        let cve = req_str(&v, &base, "cveID")?;
        if !is_cve_id(cve) {
            return bad(&format!("{base}.cveID"), format!("{cve:?} is not a CVE id"));
        }
        let s = |k: &str| -> R<String> { Ok(opt_str(&v, &base, k)?.unwrap_or("").to_string()) };
        Ok(KevEntry {
            cve_id: cve.to_string(),
            vendor_project: s("vendorProject")?,
            product: s("product")?,
            name: s("vulnerabilityName")?,
            date_added: s("dateAdded")?,
            due_date: s("dueDate")?,
            required_action: s("requiredAction")?,
            known_ransomware: s("knownRansomwareCampaignUse")?,
        })
    })();
    match entry {
        Ok(e) => out.kev.push(e),
        Err(Bad(field, message)) => out.problems.push(Problem {
            file: name.into(),
            record: Some(id.unwrap_or_else(|| format!("#{}", i + 1))),
            field,
            message,
        }),
    }
}

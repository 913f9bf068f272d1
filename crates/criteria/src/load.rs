//! Reading a catalog file: the on-disk TOML shape, conversion to the model and
//! the checks that make a catalog trustworthy enough for the rest of jcstar.

use std::collections::HashSet;

use serde::Deserialize;

use crate::model::*;
use crate::{Catalog, Text};

/// Why a catalog file was rejected. Every variant names the file (`origin`);
/// parse errors carry line and column, validation errors the entry at fault.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The file could not be read.
    #[error("{origin}: cannot read the catalog file: {source}")]
    Io {
        /// The file the catalog was read from.
        origin: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Malformed TOML, a missing or mistyped field, or an unknown field.
    #[error("{origin}:{line}:{column}: {}{message}", entry.as_deref().map(|e| format!("in {e}: ")).unwrap_or_default())]
    Parse {
        /// The file the catalog was read from.
        origin: String,
        /// 1-based; 0 when the parser could not tell.
        line: usize,
        /// 1-based column; 0 when the parser could not tell.
        column: usize,
        /// The criterion, term, scheme … being read when the error occurred,
        /// when it can be told from the position.
        entry: Option<String>,
        /// The parser's description of what is wrong.
        message: String,
    },
    /// The file is well-formed TOML but its content is inconsistent.
    #[error("{origin}: {entry}: {problem}")]
    Invalid {
        /// The file the catalog was read from.
        origin: String,
        /// E.g. `criterion S1.1-03`, `term auth-value`, `catalog`.
        entry: String,
        /// What is wrong with the entry.
        problem: Problem,
    },
}

/// What is wrong with one entry of a well-formed catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// An id (criterion, term, scheme …) appears more than once where it must be
    /// unique.
    #[error("duplicate id `{0}`: every id must appear only once")]
    DuplicateId(String),
    /// A criterion id does not have the `S<level>.<n>-NN` form for the
    /// catalog's level.
    #[error(
        "criterion id `{id}` does not match `S<level>.<n>-NN` for this level-{level} catalog (e.g. `S{level}.1-01`)"
    )]
    BadCriterionId {
        /// The id as written.
        id: String,
        /// The catalog's level.
        level: u32,
    },
    /// A term or scheme id is not lower-case kebab-case.
    #[error("`{0}` is not a valid id: use lower-case kebab-case such as `auth-value`")]
    BadSlug(String),
    /// A requirement id does not have the `<category>-<n>` form.
    #[error("requirement id `{0}` must look like `<category>-<n>`, e.g. `1-3`")]
    BadRequirementId(String),
    /// A requirement or criterion names a category the catalog does not define.
    #[error("unknown category {found}: defined categories are {known}")]
    UnknownCategory {
        /// The category number given.
        found: u32,
        /// The categories the catalog defines, for the message.
        known: String,
    },
    /// A criterion names a requirement the catalog does not define.
    #[error("unknown requirement `{found}`: defined requirements are {known}")]
    UnknownRequirement {
        /// The requirement id given.
        found: String,
        /// The requirements the catalog defines, for the message.
        known: String,
    },
    /// A requirement's or criterion's category differs from the category its
    /// requirement belongs to.
    #[error("requirement `{requirement}` belongs to category {actual}, not {claimed}")]
    RequirementCategoryMismatch {
        /// The requirement id.
        requirement: String,
        /// The category the requirement belongs to (for a requirement entry, the
        /// one its id begins with).
        actual: u32,
        /// The category the entry gives.
        claimed: u32,
    },
    /// A criterion names a glossary term the catalog does not define.
    #[error("undefined term `{found}`: defined terms are {known}")]
    UndefinedTerm {
        /// The term id given.
        found: String,
        /// The terms the catalog defines, for the message.
        known: String,
    },
    /// A reference names a scheme the catalog does not define.
    #[error("undefined scheme `{found}`: defined schemes are {known}")]
    UndefinedScheme {
        /// The scheme id given.
        found: String,
        /// The schemes the catalog defines, for the message.
        known: String,
    },
    /// A bilingual text field is empty in either language.
    #[error("field `{0}` is empty: give both `ja` and `en` text")]
    EmptyText(String),
    /// The catalog's `last-modified` is not an RFC 3339 date-time with time zone.
    #[error(
        "`last-modified = \"{0}\"` is not an RFC 3339 date-time with time zone, e.g. `2026-11-21T00:00:00Z`"
    )]
    BadDateTime(String),
    /// A required text field is empty.
    #[error("field `{0}` must not be empty")]
    EmptyField(String),
    /// The catalog has no `[[criteria]]` entry.
    #[error("the catalog has no criteria: at least one `[[criteria]]` entry is needed")]
    NoCriteria,
    /// Two sub-conditions of one list share a label.
    #[error("sub-condition label `{0}` appears twice: labels must be distinct (①, ②, …)")]
    DuplicateLabel(String),
    /// A criterion lists the same evaluation method twice.
    #[error("method `{0}` is listed twice: give each kind at most once")]
    DuplicateMethod(String),
    /// No evaluation method of the criterion has `applies = true`.
    #[error(
        "no evaluation method applies: at least one of `document-review` or `device-test` needs `applies = true`"
    )]
    NoApplicableMethod,
    /// A criterion deemed met by a 技適 number has no document-review method
    /// saying how the number is checked.
    #[error(
        "`deemed-met-by-giteki = true` needs a `document-review` entry in `methods` (applies or not) saying how the 技適 number is checked"
    )]
    DeemedMetWithoutDocumentReview,
    /// NA is not allowed, yet NA conditions or a mandatory reason are given.
    #[error(
        "NA is not allowed but NA conditions or a mandatory reason are given: set `allowed = true` or remove them"
    )]
    NaConditionsWithoutNa,
    /// NA is allowed but no NA condition is given.
    #[error("NA is allowed but no NA condition is given: list at least one in `na.conditions`")]
    NaWithoutConditions,
    /// A reference's provision id is not written in the normal form lookups use.
    #[error(
        "provision `{provision}` of scheme `{scheme}` is not in normal form: write it as `{normal}`"
    )]
    ProvisionNotNormal {
        /// The scheme the provision belongs to.
        scheme: String,
        /// The provision id as written.
        provision: String,
        /// The same id in normal form.
        normal: String,
    },
}

// ---- the file's shape ----------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawCatalog {
    catalog: CatalogMeta,
    #[serde(default)]
    categories: Vec<Category>,
    #[serde(default)]
    requirements: Vec<Requirement>,
    #[serde(default)]
    schemes: Vec<Scheme>,
    #[serde(default)]
    terms: Vec<Term>,
    #[serde(default)]
    criteria: Vec<RawCriterion>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawCriterion {
    id: String,
    category: u32,
    requirement: String,
    title: Text,
    statement: Text,
    #[serde(default)]
    conditions: Option<Conditions>,
    na: NaRule,
    methods: Vec<Method>,
    deemed_met_by_giteki: bool,
    #[serde(default)]
    terms: Vec<String>,
    #[serde(default)]
    references: Vec<RawReference>,
}

/// One line of the seed's reference lists: the text as listed and the
/// provisions it names.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawReference {
    scheme: String,
    listed: String,
    provisions: Vec<String>,
}

// ---- loading ---------------------------------------------------------------

pub(crate) fn parse(src: &str, origin: &str) -> Result<Catalog, CatalogError> {
    let raw: RawCatalog = toml::from_str(src).map_err(|e| parse_error(src, origin, &e))?;
    let catalog = Catalog {
        meta: raw.catalog,
        categories: raw.categories,
        requirements: raw.requirements,
        schemes: raw.schemes,
        terms: raw.terms,
        criteria: raw
            .criteria
            .into_iter()
            .map(|c| Criterion {
                id: c.id,
                category: c.category,
                requirement: c.requirement,
                title: c.title,
                statement: c.statement,
                conditions: c.conditions,
                na: c.na,
                methods: c.methods,
                deemed_met_by_giteki: c.deemed_met_by_giteki,
                terms: c.terms,
                references: c
                    .references
                    .into_iter()
                    .flat_map(|r| {
                        let RawReference {
                            scheme,
                            listed,
                            provisions,
                        } = r;
                        if provisions.is_empty() {
                            // Kept so validation can name the empty list.
                            return vec![Reference {
                                scheme,
                                provision: String::new(),
                                listed,
                                relation: Relation::Related,
                            }];
                        }
                        provisions
                            .into_iter()
                            .map(|p| Reference {
                                scheme: scheme.clone(),
                                provision: p,
                                listed: listed.clone(),
                                relation: Relation::Related,
                            })
                            .collect()
                    })
                    .collect(),
            })
            .collect(),
    };
    validate(&catalog).map_err(|(entry, problem)| CatalogError::Invalid {
        origin: origin.to_string(),
        entry,
        problem,
    })?;
    Ok(catalog)
}

fn parse_error(src: &str, origin: &str, err: &toml::de::Error) -> CatalogError {
    let (line, column, entry) = match err.span() {
        Some(span) => {
            let (l, c) = line_col(src, span.start);
            (l, c, entry_at(src, span.start))
        }
        None => (0, 0, None),
    };
    CatalogError::Parse {
        origin: origin.to_string(),
        line,
        column,
        entry,
        message: err.message().trim_end().to_string(),
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(src.len());
    while !src.is_char_boundary(end) {
        end -= 1;
    }
    let before = src.get(..end).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// Which array-of-tables entry a byte offset falls in, told from the nearest
/// `[[section]]` header before it and the first `id = "..."` after that
/// header. Good enough for messages; never used for anything else.
fn entry_at(src: &str, offset: usize) -> Option<String> {
    let mut section: Option<(&str, usize)> = None;
    let mut pos = 0usize;
    for line in src.split_inclusive('\n') {
        if pos > offset {
            break;
        }
        let t = line.trim();
        if t.starts_with('[') {
            let array = t.starts_with("[[");
            let name = t
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim();
            // Sub-tables of an array entry (`[criteria.na]`,
            // `[[criteria.methods]]`) stay in that entry.
            let parent = section.map(|(s, _)| s);
            if parent.is_some_and(|p| name.starts_with(&format!("{p}."))) {
                // same entry
            } else if array {
                section = Some((name, pos));
            } else {
                section = None;
            }
        }
        pos += line.len();
    }
    let (name, start) = section?;
    let kind = match name {
        "criteria" => "criterion",
        "terms" => "term",
        "schemes" => "scheme",
        "requirements" => "requirement",
        "categories" => "category",
        other => other,
    };
    let rest = src.get(start..)?;
    let id = rest.lines().skip(1).find_map(|l| {
        let t = l.trim();
        if t.starts_with('[') {
            return Some(None);
        }
        let key = t.split('=').next()?.trim();
        if key == "id" || key == "number" {
            let v = t.split_once('=')?.1.trim().trim_matches('"').to_string();
            return Some(Some(v));
        }
        None
    });
    match id.flatten() {
        Some(id) => Some(format!("{kind} {id}")),
        None => Some(format!("a `[[{name}]]` entry")),
    }
}

// ---- validation ------------------------------------------------------------

type Fail = (String, Problem);

fn validate(c: &Catalog) -> Result<(), Fail> {
    let cat = |p: Problem| ("catalog".to_string(), p);
    nonempty(&c.meta.id, "catalog.id").map_err(cat)?;
    nonempty(&c.meta.version, "catalog.version").map_err(cat)?;
    if !is_datetime(&c.meta.last_modified) {
        return Err(cat(Problem::BadDateTime(c.meta.last_modified.clone())));
    }
    text(&c.meta.title, "catalog.title").map_err(cat)?;
    text(&c.meta.source, "catalog.source").map_err(cat)?;
    if c.meta.level == 0 {
        return Err(cat(Problem::EmptyField("catalog.level".into())));
    }

    let mut seen = HashSet::new();
    for k in &c.categories {
        let entry = || format!("category {}", k.number);
        if !seen.insert(k.number) {
            return Err((entry(), Problem::DuplicateId(k.number.to_string())));
        }
        text(&k.title, "title").map_err(|p| (entry(), p))?;
    }
    let known_categories = || list(c.categories.iter().map(|k| k.number.to_string()));

    let mut seen = HashSet::new();
    for r in &c.requirements {
        let entry = || format!("requirement {}", r.id);
        if !seen.insert(r.id.as_str()) {
            return Err((entry(), Problem::DuplicateId(r.id.clone())));
        }
        let prefix = r.id.split_once('-').and_then(|(a, b)| {
            let ok = !b.is_empty() && b.bytes().all(|x| x.is_ascii_digit());
            a.parse::<u32>().ok().filter(|_| ok)
        });
        match prefix {
            None => return Err((entry(), Problem::BadRequirementId(r.id.clone()))),
            Some(n) if n != r.category => {
                return Err((
                    entry(),
                    Problem::RequirementCategoryMismatch {
                        requirement: r.id.clone(),
                        actual: n,
                        claimed: r.category,
                    },
                ));
            }
            Some(_) => {}
        }
        if !c.categories.iter().any(|k| k.number == r.category) {
            return Err((
                entry(),
                Problem::UnknownCategory {
                    found: r.category,
                    known: known_categories(),
                },
            ));
        }
        text(&r.statement, "statement").map_err(|p| (entry(), p))?;
    }

    let mut seen = HashSet::new();
    for s in &c.schemes {
        let entry = || format!("scheme {}", s.id);
        if !is_slug(&s.id) {
            return Err((entry(), Problem::BadSlug(s.id.clone())));
        }
        if !seen.insert(s.id.as_str()) {
            return Err((entry(), Problem::DuplicateId(s.id.clone())));
        }
        text(&s.name, "name").map_err(|p| (entry(), p))?;
        nonempty(&s.seed_label, "seed-label").map_err(|p| (entry(), p))?;
    }

    let mut seen = HashSet::new();
    for t in &c.terms {
        let entry = || format!("term {}", t.id);
        if !is_slug(&t.id) {
            return Err((entry(), Problem::BadSlug(t.id.clone())));
        }
        if !seen.insert(t.id.as_str()) {
            return Err((entry(), Problem::DuplicateId(t.id.clone())));
        }
        text(&t.name, "name").map_err(|p| (entry(), p))?;
        text(&t.definition, "definition").map_err(|p| (entry(), p))?;
    }

    if c.criteria.is_empty() {
        return Err(cat(Problem::NoCriteria));
    }
    let mut seen = HashSet::new();
    for k in &c.criteria {
        let entry = || format!("criterion {}", k.id);
        let fail = |p: Problem| (entry(), p);
        if !is_criterion_id(&k.id, c.meta.level) {
            return Err(fail(Problem::BadCriterionId {
                id: k.id.clone(),
                level: c.meta.level,
            }));
        }
        if !seen.insert(k.id.as_str()) {
            return Err(fail(Problem::DuplicateId(k.id.clone())));
        }
        if !c.categories.iter().any(|x| x.number == k.category) {
            return Err(fail(Problem::UnknownCategory {
                found: k.category,
                known: known_categories(),
            }));
        }
        match c.requirements.iter().find(|r| r.id == k.requirement) {
            None => {
                return Err(fail(Problem::UnknownRequirement {
                    found: k.requirement.clone(),
                    known: list(c.requirements.iter().map(|r| r.id.clone())),
                }));
            }
            Some(r) if r.category != k.category => {
                return Err(fail(Problem::RequirementCategoryMismatch {
                    requirement: r.id.clone(),
                    actual: r.category,
                    claimed: k.category,
                }));
            }
            Some(_) => {}
        }
        text(&k.title, "title").map_err(fail)?;
        text(&k.statement, "statement").map_err(fail)?;
        if let Some(conds) = &k.conditions {
            conditions(conds, "conditions").map_err(fail)?;
        }
        if k.na.allowed {
            if k.na.conditions.is_empty() {
                return Err(fail(Problem::NaWithoutConditions));
            }
        } else if !k.na.conditions.is_empty() || k.na.reason_required {
            return Err(fail(Problem::NaConditionsWithoutNa));
        }
        for t in &k.na.conditions {
            text(t, "na.conditions").map_err(fail)?;
        }
        if k.methods.is_empty() {
            return Err(fail(Problem::EmptyField("methods".into())));
        }
        let mut kinds = HashSet::new();
        for m in &k.methods {
            if !kinds.insert(m.kind) {
                return Err(fail(Problem::DuplicateMethod(method_name(m.kind).into())));
            }
            text(&m.examines, "methods.examines").map_err(fail)?;
            if let Some(steps) = &m.steps {
                conditions(steps, "methods.steps").map_err(fail)?;
            }
            if let Some(note) = &m.note {
                text(note, "methods.note").map_err(fail)?;
            }
        }
        if !k.methods.iter().any(|m| m.applies) {
            return Err(fail(Problem::NoApplicableMethod));
        }
        // The seed's deemed-met criteria (S1.1-06, -14) have no applicable
        // document review: the 技適 number is a paper check in place of the
        // device test. What must exist is the document-review entry that
        // says so; a catalog without one cannot tell a reviewer what to do.
        if k.deemed_met_by_giteki && k.method(MethodKind::DocumentReview).is_none() {
            return Err(fail(Problem::DeemedMetWithoutDocumentReview));
        }
        let mut terms = HashSet::new();
        for t in &k.terms {
            if !c.terms.iter().any(|x| &x.id == t) {
                return Err(fail(Problem::UndefinedTerm {
                    found: t.clone(),
                    known: list(c.terms.iter().map(|x| x.id.clone())),
                }));
            }
            if !terms.insert(t.as_str()) {
                return Err(fail(Problem::DuplicateId(t.clone())));
            }
        }
        for r in &k.references {
            if !c.schemes.iter().any(|s| s.id == r.scheme) {
                return Err(fail(Problem::UndefinedScheme {
                    found: r.scheme.clone(),
                    known: list(c.schemes.iter().map(|s| s.id.clone())),
                }));
            }
            nonempty(&r.listed, "references.listed").map_err(fail)?;
            nonempty(&r.provision, "references.provisions").map_err(fail)?;
            let normal = crate::lookup::normalise_provision(&r.provision);
            if normal != r.provision {
                return Err(fail(Problem::ProvisionNotNormal {
                    scheme: r.scheme.clone(),
                    provision: r.provision.clone(),
                    normal,
                }));
            }
        }
    }
    Ok(())
}

pub(crate) fn method_name(kind: MethodKind) -> &'static str {
    match kind {
        MethodKind::DocumentReview => "document-review",
        MethodKind::DeviceTest => "device-test",
    }
}

fn conditions(c: &Conditions, field: &str) -> Result<(), Problem> {
    if c.items.is_empty() {
        return Err(Problem::EmptyField(format!("{field}.items")));
    }
    let mut labels = HashSet::new();
    for item in &c.items {
        nonempty(&item.label, &format!("{field}.items.label"))?;
        if !labels.insert(item.label.as_str()) {
            return Err(Problem::DuplicateLabel(item.label.clone()));
        }
        text(&item.text, &format!("{field}.items.text"))?;
    }
    Ok(())
}

fn nonempty(s: &str, field: &str) -> Result<(), Problem> {
    if s.trim().is_empty() {
        Err(Problem::EmptyField(field.to_string()))
    } else {
        Ok(())
    }
}

fn text(t: &Text, field: &str) -> Result<(), Problem> {
    if t.ja.trim().is_empty() || t.en.trim().is_empty() {
        Err(Problem::EmptyText(field.to_string()))
    } else {
        Ok(())
    }
}

fn list(items: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = items.map(|s| format!("`{s}`")).collect();
    if v.is_empty() {
        "(none)".to_string()
    } else {
        v.join(", ")
    }
}

/// `YYYY-MM-DDTHH:MM:SS` plus optional fraction and `Z` or `±HH:MM`, the
/// form OSCAL's date-time-with-timezone accepts.
fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let head = (0..4).all(d)
        && at(4, b'-')
        && d(5)
        && d(6)
        && at(7, b'-')
        && d(8)
        && d(9)
        && at(10, b'T')
        && d(11)
        && d(12)
        && at(13, b':')
        && d(14)
        && d(15)
        && at(16, b':')
        && d(17)
        && d(18);
    if !head {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let start = i;
        while d(i) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+') | Some(b'-') => {
            d(i + 1) && d(i + 2) && at(i + 3, b':') && d(i + 4) && d(i + 5) && i + 6 == b.len()
        }
        _ => false,
    }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `S<level>.<n>-NN`: level as in the catalog, n ≥ 1, NN two or more digits.
pub(crate) fn is_criterion_id(id: &str, level: u32) -> bool {
    let Some(rest) = id.strip_prefix('S') else {
        return false;
    };
    let Some((lvl, rest)) = rest.split_once('.') else {
        return false;
    };
    let Some((n, nn)) = rest.split_once('-') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(lvl)
        && digits(n)
        && digits(nn)
        && nn.len() >= 2
        && lvl.parse::<u32>().ok() == Some(level)
        && n.parse::<u32>().is_ok_and(|n| n >= 1)
}

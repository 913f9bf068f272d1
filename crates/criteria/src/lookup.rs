//! Cross-scheme lookups: which criteria relate to a provision of another
//! scheme, and a criterion's references grouped by scheme.

use crate::Catalog;
use crate::model::{Criterion, Reference, Scheme};

/// A lookup that cannot be answered because its input names nothing known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("unknown scheme `{found}`: known scheme ids are {known}")]
    UnknownScheme { found: String, known: String },
    #[error("empty provision: give a provision id such as `5.1-2`")]
    EmptyProvision,
}

/// One criterion that relates to the provision looked up, with the reference
/// that made it match.
#[derive(Debug, Clone, Copy)]
pub struct Match<'a> {
    pub criterion: &'a Criterion,
    pub reference: &'a Reference,
}

/// A criterion's references to one scheme.
#[derive(Debug, Clone)]
pub struct SchemeReferences<'a> {
    pub scheme: &'a Scheme,
    pub references: Vec<&'a Reference>,
}

/// The form provision ids are stored in: trimmed, runs of white space made a
/// single space.
pub fn normalise_provision(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Comparison key: full-width ASCII folded to half-width, lower case, no white
/// space. `５．１-２` and `5.1-2` compare equal, as do `CR 1.5` and `cr1.5`.
fn key(s: &str) -> String {
    s.chars()
        .map(fold_width)
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Words people put before a provision id that are not part of it.
const GENERIC_PREFIXES: &[&str] = &["provision", "clause", "requirement", "section", "§"];

/// The keys a user's provision text may stand for, most literal first.
fn candidate_keys(input: &str, scheme: &Scheme) -> Vec<String> {
    let folded: String = input.chars().map(fold_width).collect();
    let mut base = folded.trim().to_string();
    let mut out = vec![key(&base)];
    // Strip prefixes repeatedly, longest first, case-insensitively.
    let mut prefixes: Vec<String> = scheme
        .provision_prefixes
        .iter()
        .map(|p| p.to_lowercase())
        .chain(GENERIC_PREFIXES.iter().map(|p| p.to_string()))
        .collect();
    prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
    loop {
        let lower = base.to_lowercase();
        let Some(p) = prefixes
            .iter()
            .find(|p| !p.is_empty() && lower.starts_with(p.as_str()))
        else {
            break;
        };
        // `lower` and `base` can differ in byte length for some scripts;
        // strip by characters so we never cut inside one.
        let n = p.chars().count();
        base = base.chars().skip(n).collect::<String>().trim().to_string();
        out.push(key(&base));
    }
    // Singapore CLS marks levels with stars: `[*]5.1-3`.
    if let Some(rest) = base.strip_prefix('[')
        && let Some((stars, after)) = rest.split_once(']')
        && !stars.is_empty()
        && stars.chars().all(|c| c == '*')
    {
        base = after.trim().to_string();
        out.push(key(&base));
    }
    // ETSI-style modal markers after the id: `5.1-2 M C (2)`.
    if let Some(first) = base.split_whitespace().next() {
        out.push(key(first));
    }
    out.retain(|k| !k.is_empty());
    out.dedup();
    out
}

impl Catalog {
    /// Find a scheme by id, case-insensitively; also accepts the seed's label
    /// or the English name (`ETSI EN 303 645`).
    pub fn scheme(&self, name: &str) -> Option<&Scheme> {
        let k = key(name);
        self.schemes.iter().find(|s| s.id == name).or_else(|| {
            self.schemes
                .iter()
                .find(|s| key(&s.id) == k || key(&s.seed_label) == k || key(&s.name.en) == k)
        })
    }

    /// The criteria the seed relates to `provision` of `scheme`, in catalog
    /// order. `5.1-2`, `5.1-2 M` and `Provision 5.1-2` all find ETSI 5.1-2.
    pub fn map_from(&self, scheme: &str, provision: &str) -> Result<Vec<Match<'_>>, LookupError> {
        let s = self
            .scheme(scheme)
            .ok_or_else(|| LookupError::UnknownScheme {
                found: scheme.to_string(),
                known: self
                    .schemes
                    .iter()
                    .map(|s| format!("`{}`", s.id))
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        if provision.trim().is_empty() {
            return Err(LookupError::EmptyProvision);
        }
        let candidates = candidate_keys(provision, s);
        let mut out = Vec::new();
        for c in &self.criteria {
            let refs = || c.references.iter().filter(|r| r.scheme == s.id);
            // The most literal reading that matches anything wins, so `1-1`
            // does not also match what its first token would.
            let hit = candidates.iter().find_map(|cand| {
                refs().find(|r| &key(&r.provision) == cand || &key(&r.listed) == cand)
            });
            if let Some(reference) = hit {
                out.push(Match {
                    criterion: c,
                    reference,
                });
            }
        }
        Ok(out)
    }

    /// A criterion's references grouped by scheme, schemes in catalog order.
    pub fn references_by_scheme<'a>(
        &'a self,
        criterion: &'a Criterion,
    ) -> Vec<SchemeReferences<'a>> {
        self.schemes
            .iter()
            .filter_map(|s| {
                let references: Vec<&Reference> = criterion
                    .references
                    .iter()
                    .filter(|r| r.scheme == s.id)
                    .collect();
                (!references.is_empty()).then_some(SchemeReferences {
                    scheme: s,
                    references,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fold_width_and_case() {
        assert_eq!(key(" ＣＲ１．５ "), "cr1.5");
        assert_eq!(key("SCHEDULE 1: 1-(3)"), "schedule1:1-(3)");
    }

    #[test]
    fn candidates_strip_prefixes_stars_and_modal_markers() {
        let s = Scheme {
            id: "x".into(),
            name: crate::Text {
                ja: "x".into(),
                en: "x".into(),
            },
            region: crate::model::SchemeRegion::Overseas,
            seed_label: "x".into(),
            provision_prefixes: vec!["SCHEDULE 1:".into()],
        };
        assert!(candidate_keys("Provision 5.1-2", &s).contains(&"5.1-2".to_string()));
        assert!(candidate_keys("5.1-2 M C (2)", &s).contains(&"5.1-2".to_string()));
        assert!(candidate_keys("[＊＊]5.4-1", &s).contains(&"5.4-1".to_string()));
        assert!(candidate_keys("schedule 1: 2-(3)", &s).contains(&"2-(3)".to_string()));
        assert_eq!(candidate_keys("   ", &s), Vec::<String>::new());
    }
}

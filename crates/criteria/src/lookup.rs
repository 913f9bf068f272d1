//! Cross-scheme lookups: which criteria relate to a provision of another
//! scheme, and a criterion's references grouped by scheme.

use crate::Catalog;
use crate::model::{Criterion, Reference, Scheme};

/// A lookup that cannot be answered because its input names nothing known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The scheme name matches no scheme of the catalog by id, label, name or alias.
    #[error("unknown scheme `{found}`: known scheme ids are {known}")]
    UnknownScheme {
        /// The scheme name as given.
        found: String,
        /// The catalog's scheme ids, for the message.
        known: String,
    },
    /// The provision to look up is empty.
    #[error("empty provision: give a provision id such as `5.1-2`")]
    EmptyProvision,
}

/// One criterion that relates to the provision looked up, with the reference
/// that made it match.
#[derive(Debug, Clone, Copy)]
pub struct Match<'a> {
    /// The criterion that relates to the provision.
    pub criterion: &'a Criterion,
    /// The criterion's reference that matched.
    pub reference: &'a Reference,
}

/// A criterion's references to one scheme.
#[derive(Debug, Clone)]
pub struct SchemeReferences<'a> {
    /// The scheme referred to.
    pub scheme: &'a Scheme,
    /// The criterion's references to that scheme, in catalog order.
    pub references: Vec<&'a Reference>,
}

/// The form provision ids are stored in: trimmed, runs of white space made a
/// single space.
pub fn normalise_provision(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Comparison key: full-width ASCII folded to half-width, lower case, no white
/// space. `５．１-２` and `5.1-2` compare equal, as do `CR 1.5` and `cr1.5`.
/// The separators people drop before a bracket are dropped too (`1-(3)`,
/// `1(3)`; `2.(8)`, `2(8)`), and the seed's two spellings of NISTIR's
/// interface category are one.
fn key(s: &str) -> String {
    let folded: String = s
        .chars()
        .map(fold_width)
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let mut k = folded
        .replace("インターフェイスへの", "インターフェイスの")
        .replace("インタフェースへの", "インターフェイスの")
        .replace("インタフェースの", "インターフェイスの")
        .replace("（", "(")
        .replace("）", ")");
    for sep in [".(", "-("] {
        k = k.replace(sep, "(");
    }
    k
}

/// A CCDS sub-item: the level word (必須 / 推奨) when given, and the number.
type SubItem = (Option<&'static str>, char);

/// Circled sub-item numbers (①…⑳) and the CCDS level word before them.
fn sub_items(segment: &str) -> Vec<SubItem> {
    let mut level = None;
    let mut out = Vec::new();
    let mut rest = segment;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("【必須】") || rest.starts_with("必須") {
            level = Some("必須");
        } else if rest.starts_with("【推奨】") || rest.starts_with("推奨") {
            level = Some("推奨");
        } else if ('①'..='⑳').contains(&c) {
            out.push((level, c));
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A provision id followed by sub-items, as CCDS is cited: `1-1【必須】④`,
/// `1-1 アクセス制御及び認証【必須】④`, `1-1 ④`. Returns the id's key and
/// the sub-items asked for.
fn split_sub_items(input: &str) -> Option<(String, Vec<SubItem>)> {
    let subs = sub_items(input);
    if subs.is_empty() {
        return None;
    }
    let folded: String = input.chars().map(fold_width).collect();
    let id: String = folded
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-' || *c == '.')
        .collect();
    let id = id.trim_end_matches(['-', '.']);
    (!id.is_empty()).then(|| (key(id), subs))
}

/// Whether the sub-items asked for appear after `provision` in the listed
/// text (`1-2 データ保護【必須】②、1-4-1Wi-Fi …【必須】①`).
fn listed_has_sub_items(listed: &str, provision_key: &str, wanted: &[SubItem]) -> bool {
    listed.split(['、', ',']).any(|segment| {
        let seg_id: String = segment
            .trim()
            .chars()
            .map(fold_width)
            .take_while(|c| c.is_ascii_digit() || *c == '-' || *c == '.')
            .collect();
        if key(seg_id.trim_end_matches(['-', '.'])) != provision_key {
            return false;
        }
        let have = sub_items(segment);
        wanted.iter().all(|(lv, n)| {
            have.iter()
                .any(|(hl, hn)| hn == n && (lv.is_none() || lv == hl))
        })
    })
}

/// `parent` names a part that contains `child`: `annexi1(3)` and
/// `annexi1(3)(c)`, `fia_afl` and `fia_afl.1`, `第三十四条の十` and
/// `第三十四条の十(二)`.
fn is_parent_of(parent: &str, child: &str, boundaries: &[char]) -> bool {
    child.len() > parent.len()
        && child.starts_with(parent)
        && child
            .get(parent.len()..)
            .is_some_and(|rest| rest.starts_with(boundaries))
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
    // A name before the id, as BMSec is cited: `PSTN ファクスとネットワーク間の分離 NI-1`.
    if let Some(last) = base.split_whitespace().last() {
        out.push(key(last));
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
            self.schemes.iter().find(|s| {
                key(&s.id) == k
                    || key(&s.seed_label) == k
                    || key(&s.name.en) == k
                    || s.aliases.iter().any(|a| key(a) == k)
            })
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
        let out = self.map_one(s, provision);
        if !out.is_empty() || !provision.contains([',', '，']) {
            return Ok(out);
        }
        // `情報及び問合せの受付 1, 1-a, 1-b`: one category, several items.
        let parts: Vec<&str> = provision
            .split([',', '，'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let prefix = parts
            .first()
            .and_then(|p| p.rsplit_once(' ').map(|(pre, _)| pre))
            .unwrap_or_default();
        let mut out: Vec<Match<'_>> = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let ask = if i > 0 && !prefix.is_empty() && !part.contains(' ') {
                format!("{prefix} {part}")
            } else {
                part.to_string()
            };
            for m in self.map_one(s, &ask) {
                if !out.iter().any(|o| o.criterion.id == m.criterion.id) {
                    out.push(m);
                }
            }
        }
        let order = |id: &str| self.criteria.iter().position(|c| c.id == id);
        out.sort_by_key(|m| order(&m.criterion.id));
        Ok(out)
    }

    fn map_one<'a>(&'a self, s: &Scheme, provision: &str) -> Vec<Match<'a>> {
        let mut out = Vec::new();
        // A CCDS-style sub-item picks the criteria the seed ties to that
        // sub-item only.
        if let Some((id, subs)) = split_sub_items(provision) {
            for c in &self.criteria {
                if let Some(reference) = c.references.iter().find(|r| {
                    r.scheme == s.id
                        && key(&r.provision) == id
                        && listed_has_sub_items(&r.listed, &id, &subs)
                }) {
                    out.push(Match {
                        criterion: c,
                        reference,
                    });
                }
            }
            if !out.is_empty() {
                return out;
            }
        }
        let candidates = candidate_keys(provision, s);
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
        if out.is_empty() {
            // Nothing cited exactly: a part of a cited provision
            // (`FIA_AFL.1`) or the provision containing cited parts
            // (`ANNEX I 1.(3)`).
            for c in &self.criteria {
                let hit = c.references.iter().find(|r| {
                    r.scheme == s.id && {
                        let pk = key(&r.provision);
                        candidates.iter().any(|cand| {
                            // A bracketed part of what was asked
                            // for (not `5.1` for `5.1-2`: a clause
                            // is not its provisions), or what was
                            // asked for is a part of the citation.
                            is_parent_of(cand, &pk, &['(']) || is_parent_of(&pk, cand, &['(', '.'])
                        })
                    }
                });
                if let Some(reference) = hit {
                    out.push(Match {
                        criterion: c,
                        reference,
                    });
                }
            }
        }
        out
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
        assert_eq!(key("SCHEDULE 1: 1-(3)"), "schedule1:1(3)");
        assert_eq!(key("ANNEX I 2.(8)"), key("ANNEX I 2(8)"));
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
            aliases: vec![],
        };
        assert!(candidate_keys("Provision 5.1-2", &s).contains(&"5.1-2".to_string()));
        assert!(candidate_keys("5.1-2 M C (2)", &s).contains(&"5.1-2".to_string()));
        assert!(candidate_keys("[＊＊]5.4-1", &s).contains(&"5.4-1".to_string()));
        assert!(candidate_keys("schedule 1: 2-(3)", &s).contains(&"2(3)".to_string()));
        assert_eq!(candidate_keys("   ", &s), Vec::<String>::new());
    }
}

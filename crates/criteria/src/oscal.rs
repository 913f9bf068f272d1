//! Export of a catalog as an OSCAL 1.1.x catalog (JSON).
//!
//! UUIDs are version 5, derived from stable ids, so exporting the same
//! catalog twice gives byte-identical output that diffs cleanly.

// `v[key] = ...` inserts into JSON objects this module builds itself; no
// input is indexed here.
#![allow(clippy::indexing_slicing)]

use serde_json::{Value, json};
use uuid::Uuid;

use crate::load::method_name;
use crate::model::*;
use crate::{Catalog, Lang};

/// The OSCAL version the export declares.
pub const OSCAL_VERSION: &str = "1.1.2";

/// Namespace for the props OSCAL does not define itself.
pub const OSCAL_NS: &str = "https://github.com/jcstar-project/jcstar/ns/oscal";

/// Root of the v5 UUID namespace for everything jcstar exports.
fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, OSCAL_NS.as_bytes())
}

fn uuid_for(kind: &str, id: &str) -> String {
    Uuid::new_v5(&namespace(), format!("{kind}:{id}").as_bytes()).to_string()
}

/// OSCAL control id for a criterion: ids must be tokens, and the convention
/// is lower case (`S1.1-01` → `s1.1-01`).
pub fn control_id(criterion_id: &str) -> String {
    criterion_id.to_ascii_lowercase()
}

fn prop(name: &str, value: &str) -> Value {
    json!({ "name": name, "ns": OSCAL_NS, "value": value })
}

/// OSCAL strings must not start or end with white space and must not be
/// empty; catalog text is validated non-empty, so trimming is enough.
fn s(text: &str) -> String {
    text.trim().to_string()
}

impl Catalog {
    /// The catalog as an OSCAL catalog document, text in `lang`.
    pub fn to_oscal(&self, lang: Lang) -> Value {
        let groups: Vec<Value> = self
            .categories
            .iter()
            .filter_map(|cat| {
                let controls: Vec<Value> = self
                    .criteria
                    .iter()
                    .filter(|c| c.category == cat.number)
                    .map(|c| self.oscal_control(c, lang))
                    .collect();
                (!controls.is_empty()).then(|| {
                    let mut parts = Vec::new();
                    for r in self
                        .requirements
                        .iter()
                        .filter(|r| r.category == cat.number)
                    {
                        parts.push(json!({
                            "id": format!("category-{}_req-{}", cat.number, r.id),
                            "name": "overview",
                            "props": [
                                { "name": "label", "value": r.id },
                                prop("kind", "security-requirement"),
                            ],
                            "prose": s(r.statement.get(lang)),
                        }));
                    }
                    let mut g = json!({
                        "id": format!("category-{}", cat.number),
                        "class": "security-requirement-category",
                        "title": s(cat.title.get(lang)),
                        "props": [{ "name": "label", "value": cat.number.to_string() }],
                        "controls": controls,
                    });
                    if !parts.is_empty() {
                        g["parts"] = Value::Array(parts);
                    }
                    g
                })
            })
            .collect();

        let resources: Vec<Value> = self
            .schemes
            .iter()
            .map(|sch| {
                json!({
                    "uuid": uuid_for("scheme", &sch.id),
                    "title": s(sch.name.get(lang)),
                    "description": format!(
                        "{}: {}",
                        match lang { Lang::Ja => "参考文書の見出し", Lang::En => "Heading in the source document" },
                        s(&sch.seed_label)
                    ),
                    "props": [
                        prop("scheme-id", &sch.id),
                        prop("region", match sch.region {
                            SchemeRegion::Overseas => "overseas",
                            SchemeRegion::Domestic => "domestic",
                        }),
                    ],
                })
            })
            .collect();

        let terms: Vec<Value> = self
            .terms
            .iter()
            .map(|t| {
                json!({
                    "uuid": uuid_for("term", &t.id),
                    "title": s(t.name.get(lang)),
                    "description": s(t.definition.get(lang)),
                    "props": [prop("term-id", &t.id)],
                })
            })
            .collect();

        json!({
            "catalog": {
                "uuid": uuid_for("catalog", &format!("{}@{}", self.meta.id, self.meta.version)),
                "metadata": {
                    "title": s(self.meta.title.get(lang)),
                    "last-modified": self.meta.last_modified,
                    "version": self.meta.version,
                    "oscal-version": OSCAL_VERSION,
                    "props": [
                        prop("catalog-id", &self.meta.id),
                        prop("level", &self.meta.level.to_string()),
                        prop("language", match lang { Lang::Ja => "ja", Lang::En => "en" }),
                    ],
                    "remarks": format!(
                        "{} {}",
                        s(self.meta.source.get(lang)),
                        match lang {
                            Lang::Ja => "他制度への参照は原典が「関係性」として挙げるもので、同等であることを意味しない。",
                            Lang::En => "References to other schemes are the relations the source lists; they do not claim equivalence.",
                        }
                    ),
                },
                "groups": groups,
                "back-matter": { "resources": resources.into_iter().chain(terms).collect::<Vec<_>>() },
            }
        })
    }

    fn oscal_control(&self, c: &Criterion, lang: Lang) -> Value {
        let id = control_id(&c.id);
        let mut props = vec![
            json!({ "name": "label", "value": c.id }),
            json!({ "name": "sort-id", "value": id }),
            prop("requirement", &c.requirement),
            prop(
                "deemed-met-by-giteki",
                if c.deemed_met_by_giteki {
                    "true"
                } else {
                    "false"
                },
            ),
            prop("na-allowed", if c.na.allowed { "true" } else { "false" }),
        ];
        for t in &c.terms {
            props.push(prop("term", t));
        }

        let mut statement = json!({
            "id": format!("{id}_smt"),
            "name": "statement",
            "prose": s(c.statement.get(lang)),
        });
        if let Some(conds) = &c.conditions {
            statement["props"] = json!([prop("condition-mode", mode_name(conds.mode))]);
            statement["parts"] = items(&format!("{id}_smt"), conds, lang);
        }
        let mut parts = vec![statement];

        if c.na.allowed {
            let mut na = json!({
                "id": format!("{id}_na"),
                "name": "guidance",
                "class": "na-conditions",
                "props": [prop("reason-required", if c.na.reason_required { "true" } else { "false" })],
                "prose": match lang {
                    Lang::Ja => "次のいずれかに当たる場合は対象外（NA）とできる。",
                    Lang::En => "The criterion may be answered not applicable (NA) when any of the following holds.",
                },
            });
            na["parts"] = Value::Array(
                c.na.conditions
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        // OSCAL allows `item` only inside statements and
                        // items; elsewhere the part is ours.
                        json!({
                            "id": format!("{id}_na.{}", i + 1),
                            "name": "na-condition",
                            "ns": OSCAL_NS,
                            "prose": s(t.get(lang)),
                        })
                    })
                    .collect(),
            );
            parts.push(na);
        }

        for m in c.methods.iter().filter(|m| m.applies) {
            let kind = method_name(m.kind);
            let mid = format!("{id}_{kind}");
            let mut part = json!({
                "id": mid,
                "name": "assessment-method",
                "class": kind,
                "props": [{
                    "name": "method",
                    "value": match m.kind { MethodKind::DocumentReview => "EXAMINE", MethodKind::DeviceTest => "TEST" },
                }],
                "prose": s(m.examines.get(lang)),
            });
            let mut sub = Vec::new();
            if let Some(steps) = &m.steps {
                if let Some(arr) = part["props"].as_array_mut() {
                    arr.push(prop("step-mode", mode_name(steps.mode)));
                }
                if let Value::Array(mut items) = items(&mid, steps, lang) {
                    for i in &mut items {
                        i["name"] = json!("step");
                        i["ns"] = json!(OSCAL_NS);
                    }
                    sub.extend(items);
                }
            }
            if let Some(note) = &m.note {
                sub.push(json!({ "id": format!("{mid}_note"), "name": "note", "ns": OSCAL_NS, "prose": s(note.get(lang)) }));
            }
            if !sub.is_empty() {
                part["parts"] = Value::Array(sub);
            }
            parts.push(part);
        }

        let links: Vec<Value> = c
            .references
            .iter()
            .filter_map(|r| {
                let scheme = self.schemes.iter().find(|x| x.id == r.scheme)?;
                Some(json!({
                    "href": format!("#{}", uuid_for("scheme", &scheme.id)),
                    // A link into back-matter is a `reference` (OSCAL 1.1.2).
                    "rel": "reference",
                    "text": format!("{} {}", s(&scheme.seed_label), s(&r.provision)),
                }))
            })
            .chain(c.terms.iter().map(
                |t| json!({ "href": format!("#{}", uuid_for("term", t)), "rel": "reference" }),
            ))
            .collect();
        for r in &c.references {
            props.push(json!({
                "name": "related-provision",
                "ns": OSCAL_NS,
                "class": r.scheme,
                "value": s(&r.provision),
                "remarks": s(&r.listed),
            }));
        }

        let mut control = json!({
            "id": id,
            "class": "criterion",
            "title": s(c.title.get(lang)),
            "props": props,
            "parts": parts,
        });
        if !links.is_empty() {
            control["links"] = Value::Array(links);
        }
        control
    }
}

fn mode_name(m: ConditionMode) -> &'static str {
    match m {
        ConditionMode::All => "all",
        ConditionMode::Any => "any",
    }
}

fn items(parent: &str, conds: &Conditions, lang: Lang) -> Value {
    Value::Array(
        conds
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                json!({
                    "id": format!("{parent}.{}", i + 1),
                    "name": "item",
                    "props": [{ "name": "label", "value": s(&item.label) }],
                    "prose": s(item.text.get(lang)),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_v5() {
        let a = uuid_for("scheme", "ccds");
        assert_eq!(a, uuid_for("scheme", "ccds"));
        assert_ne!(a, uuid_for("scheme", "bmsec"));
        assert_eq!(Uuid::parse_str(&a).map(|u| u.get_version_num()), Ok(5));
    }
}

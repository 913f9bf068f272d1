//! The OSCAL export validates against NIST's published schema and is
//! reproducible.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use jcstar_criteria::{Catalog, Lang};
use serde_json::Value;

fn schema() -> Value {
    let text = include_str!("data/oscal_complete_schema.json");
    serde_json::from_str(text).unwrap()
}

#[test]
fn export_validates_against_the_oscal_schema() {
    let validator = jsonschema::draft7::new(&schema()).expect("schema compiles");
    for lang in [Lang::Ja, Lang::En] {
        let doc = Catalog::star1().to_oscal(lang);
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .take(20)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{lang:?}: {errors:#?}");
    }
}

#[test]
fn schema_rejects_a_broken_export() {
    // Guards against a validator that accepts anything.
    let validator = jsonschema::draft7::new(&schema()).expect("schema compiles");
    let mut doc = Catalog::star1().to_oscal(Lang::En);
    doc["catalog"]["groups"][0]["controls"][0]["id"] = Value::String("S1.1 01".into());
    assert!(!validator.is_valid(&doc));
    let mut doc = Catalog::star1().to_oscal(Lang::En);
    doc["catalog"]["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("last-modified");
    assert!(!validator.is_valid(&doc));
}

#[test]
fn export_structure() {
    let doc = Catalog::star1().to_oscal(Lang::En);
    let cat = &doc["catalog"];
    assert_eq!(cat["metadata"]["oscal-version"], "1.1.2");
    let groups = cat["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 9, "one group per category used by ★1");
    let controls: Vec<&Value> = groups
        .iter()
        .flat_map(|g| g["controls"].as_array().unwrap())
        .collect();
    let ids: Vec<&str> = controls.iter().map(|c| c["id"].as_str().unwrap()).collect();
    let want: Vec<String> = (1..=16).map(|n| format!("s1.1-{n:02}")).collect();
    assert_eq!(ids, want);
    let c13 = controls[12];
    let label = c13["props"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "label")
        .unwrap();
    assert_eq!(label["value"], "S1.1-13");
    let methods: Vec<&str> = c13["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "assessment-method")
        .map(|p| p["props"][0]["value"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["EXAMINE", "TEST"]);
    // Every link points at a back-matter resource.
    let uuids: Vec<&str> = cat["back-matter"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uuid"].as_str().unwrap())
        .collect();
    for c in &controls {
        for l in c["links"].as_array().into_iter().flatten() {
            let href = l["href"].as_str().unwrap();
            assert!(uuids.contains(&&href[1..]), "{href}");
        }
    }
}

#[test]
fn export_is_reproducible() {
    let a = serde_json::to_string(&Catalog::star1().to_oscal(Lang::Ja)).unwrap();
    let b = serde_json::to_string(&Catalog::star1().clone().to_oscal(Lang::Ja)).unwrap();
    assert_eq!(a, b);
}

/// Two OSCAL 1.1.2 constraints the JSON schema does not express: links into
/// back-matter are `rel="reference"`, and below the control level only
/// statements and items may hold `item` parts; anything else is named in
/// the project's namespace.
#[test]
fn export_meets_the_oscal_constraints_beyond_the_schema() {
    for lang in [Lang::Ja, Lang::En] {
        let doc = Catalog::star1().to_oscal(lang);
        let resources: Vec<String> = doc["catalog"]["back-matter"]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| format!("#{}", r["uuid"].as_str().unwrap()))
            .collect();
        let mut links = 0;
        let mut subparts = 0;
        fn walk(v: &Value, f: &mut dyn FnMut(&Value, Option<&Value>)) {
            if let Some(parts) = v["parts"].as_array() {
                for p in parts {
                    f(p, Some(v));
                    walk(p, f);
                }
            }
        }
        for g in doc["catalog"]["groups"].as_array().unwrap() {
            for c in g["controls"].as_array().unwrap() {
                for l in c["links"].as_array().into_iter().flatten() {
                    if resources.contains(&l["href"].as_str().unwrap().to_string()) {
                        assert_eq!(l["rel"], "reference", "{l}");
                        links += 1;
                    }
                }
                for p in c["parts"].as_array().unwrap() {
                    walk(p, &mut |part, parent| {
                        let parent_name = parent.and_then(|p| p["name"].as_str()).unwrap_or("");
                        if part["ns"].is_null() {
                            subparts += 1;
                            assert!(
                                part["name"] == "item"
                                    && matches!(parent_name, "statement" | "item"),
                                "part {} named `{}` under `{parent_name}` needs a namespace",
                                part["id"],
                                part["name"]
                            );
                        }
                    });
                }
            }
        }
        assert!(links > 150, "{links}");
        assert!(subparts > 0);
    }
}

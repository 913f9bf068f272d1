//! The catalog model as the rest of jcstar sees it (after loading and
//! validation). These types serialise to JSON for `--json` output and exports.

use serde::{Deserialize, Serialize};

use crate::Text;

/// Identity of a catalog file: which level and revision of the scheme it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CatalogMeta {
    /// Stable id of the catalog, e.g. `jc-star-star1`.
    pub id: String,
    /// Label level (★1 = 1).
    pub level: u32,
    /// The catalog's title, e.g. "JC-STAR ★1 conformity criteria".
    pub title: Text,
    /// The source document the catalog was written from.
    pub source: Text,
    /// Revision of the source document and of this data, e.g. `1.0`.
    pub version: String,
    /// When this data was last changed (RFC 3339 date-time); exports carry
    /// it, so they are reproducible.
    pub last_modified: String,
}

/// A security-requirement category (セキュリティ要件カテゴリ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Category {
    /// Category number as the source document numbers it, e.g. 1.
    pub number: u32,
    /// The category's heading.
    pub title: Text,
}

/// A security requirement (セキュリティ要件) inside a category, e.g. `1-3`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Requirement {
    /// `<category>-<n>`, e.g. `1-3`; criteria name it in their `requirement`
    /// field.
    pub id: String,
    /// Number of the category the requirement belongs to.
    pub category: u32,
    /// What the requirement asks of the product.
    pub statement: Text,
}

/// An external scheme or document the seed relates criteria to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Scheme {
    /// Stable kebab-case slug, e.g. `etsi-en-303-645`.
    pub id: String,
    /// The scheme's full name.
    pub name: Text,
    /// Whether the seed lists it among overseas or domestic schemes.
    pub region: SchemeRegion,
    /// The heading the seed uses for it, e.g. `ETSI EN 303 645`.
    pub seed_label: String,
    /// Words that may precede a provision id of this scheme and are not part
    /// of it (e.g. `SCHEDULE 1:` for UK PSTI); stripped on lookup.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provision_prefixes: Vec<String>,
    /// Other names people type for the scheme (`PSTI`, `NISTIR 8425`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// Where a related scheme comes from, as the seed groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SchemeRegion {
    /// A scheme from outside Japan (ETSI EN 303 645, UK PSTI, NISTIR 8425 …).
    Overseas,
    /// A Japanese scheme, rule or guideline (terminal equipment rules, CCDS …).
    Domestic,
}

/// A glossary term (用語定義).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Term {
    /// Stable kebab-case id, e.g. `protected-information-asset`.
    pub id: String,
    /// The term as the glossary names it.
    pub name: Text,
    /// What the term means in the criteria.
    pub definition: Text,
}

/// One ★n conformity criterion (適合基準), e.g. S1.1-01.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Criterion {
    /// `S<level>.<n>-NN`, e.g. `S1.1-01`.
    pub id: String,
    /// Security-requirement category number, e.g. 1.
    pub category: u32,
    /// Requirement number implemented, e.g. `1-3`.
    pub requirement: String,
    /// Short title of the criterion.
    pub title: Text,
    /// What the product must do to meet the criterion.
    pub statement: Text,
    /// Sub-conditions ①②③… when the criterion has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Conditions>,
    /// Whether and when the criterion may be answered "not applicable".
    pub na: NaRule,
    /// The evaluation methods (document review, device test) and what each
    /// examines.
    pub methods: Vec<Method>,
    /// A Japanese technical-conformity (技適 T or A mark) number recorded on
    /// the basic-information sheet makes this criterion deemed met.
    pub deemed_met_by_giteki: bool,
    /// Ids of the glossary terms that apply.
    #[serde(default)]
    pub terms: Vec<String>,
    /// One entry per provision of another scheme the seed relates to this
    /// criterion.
    #[serde(default)]
    pub references: Vec<Reference>,
}

impl Criterion {
    /// Whether the evaluation includes a test on the actual device.
    pub fn requires_device_test(&self) -> bool {
        self.methods
            .iter()
            .any(|m| m.kind == MethodKind::DeviceTest && m.applies)
    }

    /// Whether the evaluation includes a review of the product's documents.
    pub fn requires_document_review(&self) -> bool {
        self.methods
            .iter()
            .any(|m| m.kind == MethodKind::DocumentReview && m.applies)
    }

    /// The method of the given kind, if the catalog describes one.
    pub fn method(&self, kind: MethodKind) -> Option<&Method> {
        self.methods.iter().find(|m| m.kind == kind)
    }
}

/// Sub-conditions of a criterion and how they combine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Conditions {
    /// Whether all sub-conditions must hold or any one is enough.
    pub mode: ConditionMode,
    /// The sub-conditions, in the seed's order.
    pub items: Vec<SubCondition>,
}

/// Whether every sub-condition must hold or any one is enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConditionMode {
    /// Every sub-condition must hold.
    All,
    /// Any one sub-condition is enough.
    Any,
}

/// One labelled sub-condition (①, ②, …) of a criterion or of a method's
/// steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SubCondition {
    /// The seed's label: ①, ②, ③ …
    pub label: String,
    /// What the sub-condition requires.
    pub text: Text,
}

/// When a criterion may be answered "not applicable" (対象外, NA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct NaRule {
    /// Whether the criterion may be answered NA at all.
    pub allowed: bool,
    /// The checklist must then carry a reason (「NA であることの理由」).
    pub reason_required: bool,
    /// The situations that make the criterion NA (any one suffices).
    #[serde(default)]
    pub conditions: Vec<Text>,
}

/// One evaluation method (評価手法) and what it examines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Method {
    /// Which method this is.
    pub kind: MethodKind,
    /// `false` records the seed's explicit "none" (なし) for this method.
    pub applies: bool,
    /// What the evaluator looks at with this method.
    pub examines: Text,
    /// Individual checks the method consists of (①②…) and whether all or
    /// any one must pass, when the seed lists them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Conditions>,
    /// A caveat on when the method applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

/// The kind of an evaluation method (評価手法).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MethodKind {
    /// ドキュメント評価: the vendor's technical documents.
    DocumentReview,
    /// 実機テスト: a test on the actual device.
    DeviceTest,
}

/// How a criterion relates to another scheme's provision. The seed only
/// calls them related requirements (関係性); it never claims equivalence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    /// The seed lists the provision as a related requirement (関係性).
    Related,
}

/// One provision of another scheme that the seed relates to a criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Reference {
    /// Scheme id, e.g. `etsi-en-303-645`.
    pub scheme: String,
    /// Normalised provision id used for lookups, e.g. `5.1-2`.
    pub provision: String,
    /// The text exactly as the seed lists it, e.g. `5.1-2 M C (2)`; shared by
    /// all references split from the same listed line.
    pub listed: String,
    /// How the criterion relates to the provision (always "related" in the seed).
    pub relation: Relation,
}

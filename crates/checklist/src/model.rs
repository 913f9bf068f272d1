//! The checklist as data: the basic-information sheet (基本情報) and one answer
//! per criterion. The serde layout is the on-disk layout of the TOML and JSON
//! files, so renaming a field is a schema change (bump [`SCHEMA_VERSION`]).

use jcstar_criteria::{Catalog, MethodKind};
use serde::{Deserialize, Serialize};

/// Version of the checklist file layout. A file with another version is read
/// (so the rules can say what is wrong) but never supports an application.
pub const SCHEMA_VERSION: u32 = 1;

/// A ★1 self-assessment checklist: who applies, for which product, and how the
/// product answers every criterion of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Checklist {
    /// Layout version of the file; must be [`SCHEMA_VERSION`] to support an application.
    pub schema_version: u32,
    /// The catalog (and its revision) the answers refer to.
    pub catalog: CatalogRef,
    /// The company that applies for the label.
    pub applicant: Applicant,
    /// Whom the operator contacts about the application.
    pub contact: Contact,
    /// The product the label is applied for: name, type, model numbers, versions.
    pub product: Product,
    /// Whether the product depends on an essential companion service.
    #[serde(default)]
    pub companion_service: CompanionService,
    /// Technical-conformity (技適) number; only with it may the criteria that
    /// allow it be answered `deemed-met`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub giteki: Option<Giteki>,
    /// An application under a mutual-recognition arrangement (e.g. UK PSTI):
    /// the criteria the arrangement deems met are waived, but only with the
    /// partner scheme's statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recognition: Option<RecognitionClaim>,
    /// When and by whom the self-assessment was done.
    pub evaluation: Evaluation,
    /// One answer per criterion, in the order the vendor keeps them.
    #[serde(default)]
    pub answers: Vec<Answer>,
}

/// The catalog a checklist answers: its id and revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CatalogRef {
    /// Catalog id, e.g. `jc-star-star1`.
    pub id: String,
    /// Catalog revision, e.g. `1.0`.
    pub version: String,
}

/// 申請者: the company that applies for the label.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Applicant {
    /// Company name.
    pub name: String,
    /// Company address.
    pub address: String,
}

/// 連絡先: whom the operator contacts about the application.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Contact {
    /// Name of the person in charge.
    pub person: String,
    /// Department of that person, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// E-mail address for the operator's questions.
    pub email: String,
    /// Telephone number.
    pub phone: String,
}

/// 製品情報: the product the application covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Product {
    /// 製品名: the product name the label is applied for.
    pub name: String,
    /// 製品種別, e.g. ネットワークカメラ.
    #[serde(rename = "type")]
    pub product_type: String,
    /// 型番: every model number the label will cover.
    #[serde(default)]
    pub model_numbers: Vec<String>,
    /// Firmware / software versions evaluated.
    #[serde(default)]
    pub versions: Vec<String>,
}

/// 必須付随サービス: a cloud service or app without which the device cannot
/// serve its purpose. It is part of the evaluated product.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CompanionService {
    /// Whether the device needs such a service to serve its purpose.
    pub essential: bool,
    /// What the service is; required when `essential` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Which 技適 mark the number belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GitekiMark {
    /// \[T\] mark: 設計認証番号 (design certification number).
    T,
    /// \[A\] mark: 技術基準適合認定番号.
    A,
}

/// The product's 技適 certification: mark and number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Giteki {
    /// Which mark (\[T\] or \[A\]) the number belongs to.
    pub mark: GitekiMark,
    /// The certification number as printed with the mark.
    pub number: String,
}

/// A claim under a mutual-recognition arrangement of
/// [`jcstar_criteria::Recognition`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RecognitionClaim {
    /// Arrangement id, e.g. `uk-psti`.
    pub arrangement: String,
    /// The partner scheme's statement (for PSTI: the statement of
    /// compliance) as a document: its name or file next to the checklist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_document: Option<String>,
    /// … or where it is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_url: Option<String>,
}

impl RecognitionClaim {
    /// Whether the partner scheme's statement is given, as a document or a URL.
    pub fn has_statement(&self) -> bool {
        [&self.statement_document, &self.statement_url]
            .iter()
            .any(|s| s.as_deref().is_some_and(|t| !t.trim().is_empty()))
    }
}

/// 評価情報: when and by whom the self-assessment was done.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Evaluation {
    /// Date the self-assessment was completed, `YYYY-MM-DD`.
    pub date: String,
    /// Who carried out the self-assessment.
    pub evaluator: String,
}

/// The answer to one criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Answer {
    /// Criterion id, e.g. `S1.1-04`.
    pub criterion: String,
    /// The result recorded for the criterion.
    pub result: Outcome,
    /// 「NA であることの理由」: why the criterion does not apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub na_reason: Option<String>,
    /// Evaluation methods actually used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<MethodKind>,
    /// Free-text remarks on the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The documents and test results the answer rests on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

/// The result recorded for a criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// 適合.
    Conforms,
    /// 対象外 (NA), with a reason.
    NotApplicable,
    /// 不適合: the product does not meet the criterion (blocks an application).
    DoesNotConform,
    /// みなし適合: met by the product's 技適 certification.
    DeemedMet,
    /// 未回答: the state of a fresh template.
    Unanswered,
}

impl Outcome {
    /// Every outcome, in the order the workbook dropdown lists them.
    pub const ALL: [Outcome; 5] = [
        Outcome::Conforms,
        Outcome::NotApplicable,
        Outcome::DoesNotConform,
        Outcome::DeemedMet,
        Outcome::Unanswered,
    ];

    /// The file-format keyword (`conforms`, `not-applicable`, ...).
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Conforms => "conforms",
            Outcome::NotApplicable => "not-applicable",
            Outcome::DoesNotConform => "does-not-conform",
            Outcome::DeemedMet => "deemed-met",
            Outcome::Unanswered => "unanswered",
        }
    }

    /// The label used in the workbook dropdown.
    pub fn label_ja(self) -> &'static str {
        match self {
            Outcome::Conforms => "適合",
            Outcome::NotApplicable => "対象外(NA)",
            Outcome::DoesNotConform => "不適合",
            Outcome::DeemedMet => "みなし適合",
            Outcome::Unanswered => "未回答",
        }
    }

    /// The English label for messages and English workbooks.
    pub fn label_en(self) -> &'static str {
        match self {
            Outcome::Conforms => "conforms",
            Outcome::NotApplicable => "not applicable",
            Outcome::DoesNotConform => "does not conform",
            Outcome::DeemedMet => "deemed met (技適)",
            Outcome::Unanswered => "unanswered",
        }
    }

    /// The workbook label in `lang`.
    pub fn label(self, lang: jcstar_criteria::Lang) -> &'static str {
        match lang {
            jcstar_criteria::Lang::Ja => self.label_ja(),
            jcstar_criteria::Lang::En => self.label_en(),
        }
    }

    /// Reads a workbook label (either language) or a file keyword; tolerant of full-width
    /// brackets and surrounding blanks because people type into the cells.
    pub fn from_label(s: &str) -> Option<Outcome> {
        let norm: String = s
            .trim()
            .chars()
            .map(|c| match c {
                '（' => '(',
                '）' => ')',
                c => c,
            })
            .filter(|c| !c.is_whitespace())
            .collect();
        let squeeze = |l: &str| -> String { l.chars().filter(|c| !c.is_whitespace()).collect() };
        Outcome::ALL.into_iter().find(|o| {
            norm == o.label_ja()
                || norm.eq_ignore_ascii_case(o.key())
                || norm.eq_ignore_ascii_case(&squeeze(o.label_en()))
                || (*o == Outcome::DeemedMet && norm.eq_ignore_ascii_case("deemedmet"))
                || (*o == Outcome::NotApplicable && (norm == "対象外" || norm == "NA"))
        })
    }
}

/// Something that backs an answer. Evidence stays with the vendor (the
/// operator may ask for it during the label's validity), so every reference
/// either resolves inside the checklist's folder or says it is kept outside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Evidence {
    /// A document (technical specification, manual, design note).
    Document(DocumentRef),
    /// A device-test result file.
    DeviceTest(TestResultRef),
}

/// A document that backs an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct DocumentRef {
    /// Document name, e.g. the title of the technical specification.
    pub name: String,
    /// Section or page, e.g. `3.2 認証` or `p. 14`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// File relative to the checklist's folder, when the document is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Kept by the vendor outside this folder (not checked for existence).
    #[serde(default, skip_serializing_if = "is_false")]
    pub external: bool,
}

/// A device-test result that backs an answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TestResultRef {
    /// Result file relative to the checklist's folder (or, when `external`,
    /// kept outside that folder: still relative when it can be, e.g.
    /// `../lab/report.json`, otherwise the vendor's own reference).
    pub path: String,
    /// Kept by the vendor outside the checklist's folder (not checked for existence).
    #[serde(default, skip_serializing_if = "is_false")]
    pub external: bool,
    /// SHA-256 of the evidence directory's `manifest.json` when it was
    /// attached: names the exact set of files the answer rests on, so a
    /// directory replaced later is noticed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_sha256: Option<String>,
    /// What the evidence said about this criterion (and its sub-items) when
    /// it was attached. Kept in the checklist so that whoever holds only the
    /// checklist (the operator, the registry) sees which result the answer
    /// rests on and can check the answer against it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<RecordedVerdict>,
}

/// A device-test verdict as recorded in the checklist at attach time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RecordedVerdict {
    /// As the evidence names it, e.g. `S1.1-04` or `S1.1-13②`.
    pub criterion: String,
    /// The verdict the evidence gave.
    pub verdict: crate::evidence::Verdict,
    /// The evidence's own explanation, when it gave one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Evidence {
    /// Whether this is a device-test result.
    pub fn is_device_test(&self) -> bool {
        matches!(self, Evidence::DeviceTest(_))
    }

    /// Whether the evidence is kept outside the checklist's folder.
    pub fn is_external(&self) -> bool {
        match self {
            Evidence::Document(d) => d.external,
            Evidence::DeviceTest(t) => t.external,
        }
    }

    /// The file this evidence points at inside the checklist's folder.
    pub fn local_path(&self) -> Option<&str> {
        match self {
            Evidence::Document(d) => d.path.as_deref(),
            Evidence::DeviceTest(t) => Some(&t.path),
        }
    }
}

/// What [`Checklist::attach_evidence`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attached {
    /// Appended to the criterion's existing answer.
    Added,
    /// The criterion had no answer yet; one was created (`unanswered`) to hold
    /// the evidence, so the vendor still decides the result.
    AddedToNewAnswer,
    /// The same reference was already there; nothing changed.
    AlreadyPresent,
    /// A reference to the same result file was there with another digest or
    /// other verdicts; it now records the evidence as it is.
    Updated,
}

impl Checklist {
    /// A blank checklist for `product_name`: every criterion of `catalog`
    /// present and `unanswered`, with the methods the catalog names filled in
    /// as a reminder of what the evaluation involves.
    pub fn template(catalog: &Catalog, product_name: &str) -> Checklist {
        let answers = catalog
            .criteria
            .iter()
            .map(|c| Answer {
                criterion: c.id.clone(),
                result: Outcome::Unanswered,
                na_reason: None,
                methods: c
                    .methods
                    .iter()
                    .filter(|m| m.applies)
                    .map(|m| m.kind)
                    .collect(),
                notes: None,
                evidence: Vec::new(),
            })
            .collect();
        Checklist {
            schema_version: SCHEMA_VERSION,
            catalog: CatalogRef {
                id: catalog.meta.id.clone(),
                version: catalog.meta.version.clone(),
            },
            applicant: Applicant::default(),
            contact: Contact::default(),
            product: Product {
                name: product_name.to_string(),
                ..Product::default()
            },
            companion_service: CompanionService::default(),
            giteki: None,
            recognition: None,
            evaluation: Evaluation::default(),
            answers,
        }
    }

    /// The checklist of an application under a mutual-recognition
    /// arrangement: like [`Checklist::template`], with the criteria the
    /// arrangement deems met answered `deemed-met` and the claim in place,
    /// its statement still to be filled in.
    pub fn template_for(
        catalog: &Catalog,
        product_name: &str,
        arrangement: &jcstar_criteria::Arrangement,
    ) -> Checklist {
        let mut c = Checklist::template(catalog, product_name);
        for a in &mut c.answers {
            if arrangement.waives(&a.criterion) {
                a.result = Outcome::DeemedMet;
                a.methods.clear();
                a.notes = Some(format!(
                    "{}によりみなし適合 / deemed met under the {}",
                    arrangement.title.ja, arrangement.title.en
                ));
            }
        }
        c.recognition = Some(RecognitionClaim {
            arrangement: arrangement.id.clone(),
            statement_document: None,
            statement_url: None,
        });
        c
    }

    /// The first answer given for `criterion_id`.
    pub fn answer(&self, criterion_id: &str) -> Option<&Answer> {
        self.answers.iter().find(|a| a.criterion == criterion_id)
    }

    /// Records `evidence` against a criterion, as the device probe does after a
    /// test. A device-test reference also adds `device-test` to the answer's
    /// methods. The result is left alone: whether the product conforms stays
    /// the vendor's call. Attaching the same reference twice is a no-op.
    ///
    /// The id is not checked against a catalog here; [`crate::validate`]
    /// reports unknown ids.
    pub fn attach_evidence(&mut self, criterion_id: &str, evidence: Evidence) -> Attached {
        let is_test = evidence.is_device_test();
        let found = self
            .answers
            .iter()
            .position(|a| a.criterion == criterion_id);
        let created = found.is_none();
        let i = found.unwrap_or_else(|| {
            self.answers.push(Answer {
                criterion: criterion_id.to_string(),
                result: Outcome::Unanswered,
                na_reason: None,
                methods: Vec::new(),
                notes: None,
                evidence: Vec::new(),
            });
            self.answers.len() - 1
        });
        let Some(answer) = self.answers.get_mut(i) else {
            unreachable!("the answer was found or just added at {i}")
        };
        if is_test && !answer.methods.contains(&MethodKind::DeviceTest) {
            answer.methods.push(MethodKind::DeviceTest);
        }
        if answer.evidence.contains(&evidence) {
            return Attached::AlreadyPresent;
        }
        if let Evidence::DeviceTest(new) = &evidence
            && let Some(old) = answer
                .evidence
                .iter_mut()
                .find(|e| matches!(e, Evidence::DeviceTest(t) if t.path == new.path))
        {
            *old = evidence;
            return Attached::Updated;
        }
        answer.evidence.push(evidence);
        if created {
            Attached::AddedToNewAnswer
        } else {
            Attached::Added
        }
    }

    /// Treats blank optional text as absent, so that TOML, JSON and the
    /// workbook (where an empty cell cannot say "empty string") give the same
    /// checklist.
    pub(crate) fn normalize(&mut self) {
        fn blank_to_none(o: &mut Option<String>) {
            if o.as_deref().is_some_and(|s| s.trim().is_empty()) {
                *o = None;
            }
        }
        blank_to_none(&mut self.contact.department);
        blank_to_none(&mut self.companion_service.description);
        if let Some(r) = &mut self.recognition {
            blank_to_none(&mut r.statement_document);
            blank_to_none(&mut r.statement_url);
        }
        for a in &mut self.answers {
            blank_to_none(&mut a.na_reason);
            blank_to_none(&mut a.notes);
            for e in &mut a.evidence {
                match e {
                    Evidence::Document(d) => {
                        blank_to_none(&mut d.section);
                        blank_to_none(&mut d.path);
                    }
                    Evidence::DeviceTest(t) => blank_to_none(&mut t.manifest_sha256),
                }
            }
        }
    }
}

/// What `checklist init` wrote, for the person who asked: how many
/// criteria, which are already answered (deemed met under a recognition
/// arrangement) and what is left to do.
pub fn init_summary(c: &Checklist, file: &str) -> jcstar_criteria::Text {
    let total = c.answers.len();
    let deemed: Vec<&str> = c
        .answers
        .iter()
        .filter(|a| a.result == Outcome::DeemedMet)
        .map(|a| a.criterion.as_str())
        .collect();
    let open = c
        .answers
        .iter()
        .filter(|a| a.result == Outcome::Unanswered)
        .count();
    let arrangement = c
        .recognition
        .as_ref()
        .and_then(|r| jcstar_criteria::Recognition::builtin().get(&r.arrangement));
    match arrangement {
        Some(arr) if !deemed.is_empty() => jcstar_criteria::Text {
            ja: format!(
                "{file} を作成しました（{}による申請: 適合基準 {total} 件のうち {} 件（{}）はみなし適合、{open} 件が未回答）。基本情報に相互承認の適合宣言書（{}）を記入し、残りに回答してから `jcstar checklist validate {file}` で確認してください。適合宣言書がなければみなし適合は認められません",
                arr.title.ja,
                deemed.len(),
                deemed.join(", "),
                arr.statement.ja,
            ),
            en: format!(
                "wrote {file} (an application under the {}: of {total} criteria, {} ({}) are deemed met and {open} unanswered); give the statement ({}) on the basic-information sheet, answer the rest, then run `jcstar checklist validate {file}`; without the statement the criteria are not deemed met",
                arr.title.en,
                deemed.len(),
                deemed.join(", "),
                arr.statement.en,
            ),
        },
        _ => jcstar_criteria::Text {
            ja: format!(
                "{file} を作成しました（適合基準 {total} 件、未回答 {open} 件）。記入後に `jcstar checklist validate {file}` で確認してください"
            ),
            en: format!(
                "wrote {file} ({total} criteria, {open} unanswered); fill it in, then run `jcstar checklist validate {file}`"
            ),
        },
    }
}

//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use jcstar_checklist::{
    Answer, Applicant, CatalogRef, Checklist, CompanionService, Contact, DocumentRef, Evaluation,
    Evidence, Giteki, GitekiMark, Outcome, Product, TestResultRef,
};
use jcstar_criteria::MethodKind;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn example_path() -> PathBuf {
    repo().join("examples/star1-checklist.toml")
}

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn example() -> Checklist {
    Checklist::from_path(&example_path()).expect("the example checklist parses")
}

/// A checklist that uses every corner of the model: all five results, both
/// evidence kinds (local and external), multi-line and non-ASCII text,
/// characters the earlier workbook evidence syntax had to escape, empty optional
/// fields, an unknown and a duplicated criterion.
pub fn everything() -> Checklist {
    Checklist {
        schema_version: 1,
        catalog: CatalogRef {
            id: "jc-star-star1".into(),
            version: "1.0".into(),
        },
        applicant: Applicant {
            name: "合同会社テスト機器 🛰".into(),
            address: "大阪府大阪市架空区 1-1\n第二ビル 3F".into(),
        },
        contact: Contact {
            person: "試験 担当".into(),
            department: None,
            email: "security@example.com".into(),
            phone: "06-0000-0000".into(),
        },
        product: Product {
            name: "スマートプラグ「ミニ」".into(),
            product_type: "スマートホーム機器".into(),
            model_numbers: vec!["SP-1".into(), "SP-1/B".into(), "ＳＰ－１Ｗ".into()],
            versions: vec!["1.2.3-rc.1".into()],
        },
        companion_service: CompanionService {
            essential: true,
            description: Some("アプリ \"Home\"\n（クラウド連携）".into()),
        },
        giteki: Some(Giteki {
            mark: GitekiMark::A,
            number: "AD 26-0001 001".into(),
        }),
        recognition: None,
        evaluation: Evaluation {
            date: "2026-11-20".into(),
            evaluator: "評価者 A".into(),
        },
        answers: vec![
            Answer {
                criterion: "S1.1-01".into(),
                result: Outcome::DeemedMet,
                na_reason: None,
                methods: vec![],
                notes: None,
                evidence: vec![],
            },
            Answer {
                criterion: "S1.1-02".into(),
                result: Outcome::Conforms,
                na_reason: None,
                methods: vec![MethodKind::DocumentReview, MethodKind::DeviceTest],
                notes: Some("複数行の\n備考です。\n\tタブと  空白も".into()),
                evidence: vec![
                    Evidence::Document(DocumentRef {
                        name: "設計書 | 第2版 \\ 草案".into(),
                        section: Some("3.2 認証（補足）".into()),
                        path: Some("docs/設計書.pdf".into()),
                        external: false,
                    }),
                    Evidence::Document(DocumentRef {
                        name: "社内規程".into(),
                        section: None,
                        path: None,
                        external: true,
                    }),
                    Evidence::DeviceTest(TestResultRef {
                        path: "evidence/s1.1-02 login.json".into(),
                        external: false,
                        ..Default::default()
                    }),
                    Evidence::DeviceTest(TestResultRef {
                        path: "試験記録 TR-2026-114".into(),
                        external: true,
                        ..Default::default()
                    }),
                ],
            },
            Answer {
                criterion: "S1.1-12".into(),
                result: Outcome::NotApplicable,
                na_reason: Some("守るべき情報資産を\nネットワークで送らない。".into()),
                methods: vec![MethodKind::DocumentReview],
                notes: None,
                evidence: vec![],
            },
            Answer {
                criterion: "S1.1-05".into(),
                result: Outcome::DoesNotConform,
                na_reason: None,
                methods: vec![],
                notes: Some("ポリシー未公開".into()),
                evidence: vec![],
            },
            Answer {
                criterion: "S1.1-16".into(),
                result: Outcome::Unanswered,
                na_reason: None,
                methods: vec![MethodKind::DocumentReview],
                notes: None,
                evidence: vec![],
            },
            Answer {
                criterion: "S1.1-99".into(),
                result: Outcome::Conforms,
                na_reason: Some("理由".into()),
                methods: vec![],
                notes: None,
                evidence: vec![],
            },
            Answer {
                criterion: "S1.1-02".into(),
                result: Outcome::Unanswered,
                na_reason: None,
                methods: vec![],
                notes: None,
                evidence: vec![],
            },
        ],
    }
}

/// A scratch folder removed on drop.
pub struct Scratch(pub tempfile::TempDir);

impl Scratch {
    pub fn new() -> Scratch {
        Scratch(tempfile::tempdir().expect("temp dir"))
    }
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

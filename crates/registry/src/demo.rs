//! Sample data: [`seed_demo`] tells the story of a few fictional products so a
//! newcomer sees a populated registry; [`seed_bulk`] fills a registry with many
//! labels for benchmarks.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};

use crate::Registry;
use crate::clock::ManualClock;
use crate::commands::{self, submission};
use crate::error::{Error, Result, t};
use crate::events::{
    Answer, Issued, Payload, Reference, Submitted, apply, max_validity, new_label,
};
use crate::model::*;
use crate::store::{NewEvent, WriteTx};

/// A complete ★1 checklist that passes the format check, as JSON.
pub fn sample_checklist() -> serde_json::Value {
    static SAMPLE: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    SAMPLE
        .get_or_init(|| {
            jcstar_checklist::Checklist::from_str_with_format(
                SAMPLE_CHECKLIST,
                jcstar_checklist::Format::Toml,
                "sample checklist",
            )
            .ok()
            .and_then(|c| serde_json::to_value(c).ok())
            .unwrap_or(serde_json::Value::Null)
        })
        .clone()
}

/// The sample checklist with its basic-information sheet describing another
/// applicant and product: an application's data comes from its checklist,
/// so demo and test applications need checklists of their own.
pub fn checklist_for(
    company: &str,
    address: &str,
    product: &str,
    product_type: &str,
    models: &[&str],
    versions: &[&str],
) -> serde_json::Value {
    let mut c = sample_checklist();
    if let Some(a) = c.get_mut("applicant").and_then(|v| v.as_object_mut()) {
        a.insert("name".into(), company.into());
        a.insert("address".into(), address.into());
    }
    if let Some(p) = c.get_mut("product").and_then(|v| v.as_object_mut()) {
        p.insert("name".into(), product.into());
        p.insert("type".into(), product_type.into());
        p.insert("model-numbers".into(), models.into());
        p.insert("versions".into(), versions.into());
    }
    c
}

/// The fee the demo and bulk data record (not a real tariff).
const DEMO_FEE_YEN: u64 = 15_000;

const SAMPLE_CHECKLIST: &str = include_str!("../../../examples/star1-checklist.toml");

struct Sample {
    org: &'static str,
    company: &'static str,
    address: &'static str,
    product: &'static str,
    product_type: &'static str,
    models: &'static [&'static str],
    firmware: &'static str,
    level: Level,
}

const SAMPLES: [Sample; 8] = [
    Sample {
        org: "sakura-net",
        company: "さくらネットワークス株式会社 (Sakura Networks Co., Ltd.)",
        address: "東京都千代田区丸の内9-9-9 (fictional)",
        product: "SakuraRouter AX3000",
        product_type: "Wi-Fi router",
        models: &["SR-AX3000", "SR-AX3000-W"],
        firmware: "2.4.1",
        level: Level::Star1,
    },
    Sample {
        org: "kumo-cam",
        company: "Kumo Vision K.K.",
        address: "大阪府大阪市北区梅田9-9-9 (fictional)",
        product: "KumoCam Indoor 2",
        product_type: "network camera",
        models: &["KC-IN2"],
        firmware: "1.8.0",
        level: Level::Star1,
    },
    Sample {
        org: "hikari-home",
        company: "ひかりホーム電機株式会社",
        address: "愛知県名古屋市中区栄9-9-9 (fictional)",
        product: "Hikari Smart Plug",
        product_type: "smart plug",
        models: &["HSP-10", "HSP-10B"],
        firmware: "3.0.2",
        level: Level::Star1,
    },
    Sample {
        org: "minato-iot",
        company: "Minato IoT Systems Inc.",
        address: "神奈川県横浜市港区9-9-9 (fictional)",
        product: "Minato Gateway MG-500",
        product_type: "IoT gateway",
        models: &["MG-500"],
        firmware: "5.1.0",
        // ★2 needs a ★2 checklist; no ★2 product-type catalog exists yet.
        level: Level::Star1,
    },
    Sample {
        org: "fuji-sensor",
        company: "富士センサー工業株式会社",
        address: "静岡県静岡市葵区9-9-9 (fictional)",
        product: "FujiAir Environmental Sensor",
        product_type: "sensor",
        models: &["FA-ENV1"],
        firmware: "0.9.7",
        level: Level::Star1,
    },
    Sample {
        org: "tsubame-lock",
        company: "Tsubame Locks Co., Ltd.",
        address: "福岡県福岡市博多区9-9-9 (fictional)",
        product: "Tsubame Smart Lock",
        product_type: "smart lock",
        models: &["TSL-2", "TSL-2P"],
        firmware: "4.2.0",
        level: Level::Star1,
    },
    Sample {
        org: "kaze-speaker",
        company: "Kaze Audio K.K.",
        address: "京都府京都市下京区9-9-9 (fictional)",
        product: "Kaze Voice Speaker",
        product_type: "smart speaker",
        models: &["KVS-1"],
        firmware: "1.0.4",
        level: Level::Star1,
    },
    Sample {
        org: "hoshi-security",
        company: "ほしセキュリティ株式会社",
        address: "北海道札幌市中央区9-9-9 (fictional)",
        product: "Hoshi Secure Camera Pro",
        product_type: "network camera",
        models: &["HSC-PRO"],
        firmware: "6.0.1",
        level: Level::Star3,
    },
];

fn submission(s: &Sample) -> ApplicationSubmission {
    submission_of(s, s.product, s.models)
}

/// The application is its checklist: everything but the organisation, the
/// public contacts and (for ★3/★4) the level comes from the sheet.
fn submission_of(s: &Sample, product: &str, models: &[&str]) -> ApplicationSubmission {
    ApplicationSubmission {
        org: s.org.to_string(),
        level: s.level.needs_evaluation().then_some(s.level),
        applicant: Applicant {
            company: String::new(),
            address: String::new(),
            contact: format!("info@{}.example.jp", s.org),
        },
        products: Vec::new(),
        disclosure_contact: format!("security@{}.example.jp", s.org),
        checklist: checklist_for(
            s.company,
            s.address,
            product,
            s.product_type,
            models,
            &[s.firmware],
        ),
        requested_valid_until: None,
    }
}

/// Run the ★1/★2 (or ★3 with evaluation) flow up to issuance.
async fn issue(reg: &Registry, operator: &Actor, s: &Sample, n: usize) -> Result<Label> {
    let vendor = Actor::local(Role::Vendor, s.org, "demo");
    let app = reg.submit_application(&vendor, submission(s)).await?;
    if s.level.needs_evaluation() {
        reg.assign_evaluation_body(operator, &app.id, "demo-lab")
            .await?;
        let body = Actor::local(Role::EvaluationBody, "demo-lab", "demo");
        reg.attach_evaluation_report(
            &body,
            &app.id,
            EvaluationReport {
                file_name: format!("evaluation-{}.pdf", s.org),
                sha256: crate::chain::sha256_hex(s.product.as_bytes()),
                summary: "All ★3 test items passed on the submitted sample.".into(),
                verdict: Verdict::Pass,
                level: Some(s.level),
            },
        )
        .await?;
    }
    reg.request_inquiry(operator, &app.id, &format!("SCI-DEMO-{n:03}"))
        .await?;
    reg.answer_inquiry(
        operator,
        &app.id,
        InquiryOutcome::Clear,
        &format!("SCA-DEMO-{n:03}"),
    )
    .await?;
    reg.accept_application(operator, &app.id, None).await?;
    reg.record_fee(
        operator,
        &app.id,
        Fee {
            amount_yen: DEMO_FEE_YEN,
            paid_on: reg.today(),
            reference: format!("INV-DEMO-{n:03}"),
        },
    )
    .await?;
    reg.issue_label(operator, &app.id, None).await
}

/// Fill an EMPTY registry with eight fictional products covering ★1/★2/★3 and
/// every status, with updates and vulnerabilities. The story runs on a clock
/// starting 30 months ago and ending at the registry's present, so dates and
/// the derived Expired status are consistent. Returns the registration
/// numbers. Refuses a registry that already has events.
pub async fn seed_demo(registry: &Registry) -> Result<Vec<String>> {
    if !registry.is_empty().await? {
        return Err(Error::refused(
            t("登録簿", "registry"),
            t("空ではありません", "not empty"),
            t(
                "デモデータは空の登録簿にだけ入れられます。新しいデータベースを使ってください",
                "demo data goes into an empty registry only; use a new database",
            ),
        ));
    }
    let end = registry.now();
    let clock = Arc::new(ManualClock::new(end - Duration::days(30 * 30)));
    let reg = registry.with_clock(clock.clone());
    let op = Actor::local(Role::Operator, "operator", "demo");
    let mut numbers = Vec::new();
    let step = |days: i64| clock.advance(Duration::days(days));

    // 0: issued 30 months ago, never extended: Expired today.
    let expired = issue(&reg, &op, &SAMPLES[4], 0).await?;
    numbers.push(expired.number.clone());
    step(60);
    // 1: long-lived router, extended, with updates and a fixed vulnerability.
    let router = issue(&reg, &op, &SAMPLES[0], 1).await?;
    numbers.push(router.number.clone());
    let vendor0 = Actor::local(Role::Vendor, SAMPLES[0].org, "demo");
    step(120);
    reg.add_update(
        &vendor0,
        &router.number,
        UpdateEntry {
            version: "2.4.2".into(),
            released_on: reg.today(),
            notes: "Fixes a crash in the web UI; updates OpenSSL.".into(),
            fixes: Vec::new(),
            how_to_apply: String::new(),
        },
    )
    .await?;
    reg.record_vulnerability(
        &vendor0,
        &router.number,
        VulnerabilityEntry {
            id: "JVNVU#99990001".into(),
            title: "Cross-site request forgery in the admin page".into(),
            state: VulnerabilityState::Investigating,
            fixed_in: None,
            published_on: reg.today(),
            updated_on: None,
        },
    )
    .await?;
    step(30);
    reg.add_update(
        &vendor0,
        &router.number,
        UpdateEntry {
            version: "2.5.0".into(),
            released_on: reg.today(),
            notes: "Adds CSRF tokens to every admin form.".into(),
            fixes: Vec::new(),
            how_to_apply: String::new(),
        },
    )
    .await?;
    reg.record_vulnerability(
        &vendor0,
        &router.number,
        VulnerabilityEntry {
            id: "JVNVU#99990001".into(),
            title: "Cross-site request forgery in the admin page".into(),
            state: VulnerabilityState::Fixed,
            fixed_in: Some("2.5.0".into()),
            published_on: reg.today() - Duration::days(30),
            updated_on: None,
        },
    )
    .await?;
    reg.set_support_end(
        &vendor0,
        &router.number,
        NaiveDate::from_ymd_opt(2031, 3, 31),
    )
    .await?;
    step(300);
    // 2: camera that gets withdrawn after a security-relevant change.
    let cam = issue(&reg, &op, &SAMPLES[1], 2).await?;
    numbers.push(cam.number.clone());
    step(10);
    let vendor1 = Actor::local(Role::Vendor, SAMPLES[1].org, "demo");
    reg.extend_label(
        &vendor0,
        &router.number,
        None,
        "Self-declaration for firmware 2.5 line, checklist re-assessed",
    )
    .await?;
    step(80);
    reg.withdraw_label(
        &vendor1,
        &cam.number,
        "Cloud connection changed to a new protocol; the label lapses until re-assessment",
    )
    .await?;
    step(60);
    // 3: smart plug: surveillance, deadline missed, revoked.
    let plug = issue(&reg, &op, &SAMPLES[2], 3).await?;
    numbers.push(plug.number.clone());
    step(90);
    reg.open_surveillance(
        &op,
        &plug.number,
        SurveillanceOrder {
            reason: "Report of a hard-coded maintenance password".into(),
            evidence_demanded:
                "Evidence for S1.1-02 (no common default password) and a corrected firmware".into(),
            correction_deadline: reg.today() + Duration::days(30),
        },
    )
    .await?;
    step(45);
    reg.revoke_label(&op, &plug.number, "No correction by the deadline", None)
        .await?;
    step(20);
    // 4: gateway ★2 active with an investigating vulnerability.
    let gw = issue(&reg, &op, &SAMPLES[3], 4).await?;
    numbers.push(gw.number.clone());
    let vendor3 = Actor::local(Role::Vendor, SAMPLES[3].org, "demo");
    step(40);
    reg.record_vulnerability(
        &vendor3,
        &gw.number,
        VulnerabilityEntry {
            id: "CVE-2026-99999".into(),
            title: "Denial of service via malformed MQTT packets".into(),
            state: VulnerabilityState::Investigating,
            fixed_in: None,
            published_on: reg.today(),
            updated_on: None,
        },
    )
    .await?;
    step(20);
    // 5: lock under surveillance now (deadline in the future).
    let lock = issue(&reg, &op, &SAMPLES[5], 5).await?;
    numbers.push(lock.number.clone());
    step(10);
    // 6: speaker active, mitigated vulnerability; 7: ★3 camera active.
    let speaker = issue(&reg, &op, &SAMPLES[6], 6).await?;
    numbers.push(speaker.number.clone());
    let vendor6 = Actor::local(Role::Vendor, SAMPLES[6].org, "demo");
    reg.record_vulnerability(
        &vendor6,
        &speaker.number,
        VulnerabilityEntry {
            id: "JVNVU#99990002".into(),
            title: "Information disclosure through the debug API".into(),
            state: VulnerabilityState::Mitigated,
            fixed_in: None,
            published_on: reg.today(),
            updated_on: None,
        },
    )
    .await?;
    let pro = issue(&reg, &op, &SAMPLES[7], 7).await?;
    numbers.push(pro.number.clone());
    // Bring the story to the present, then open the lock's surveillance.
    clock.set(end);
    reg.open_surveillance(
        &op,
        &lock.number,
        SurveillanceOrder {
            reason: "Market survey found firmware older than the declared version".into(),
            evidence_demanded: "Update records for S1.1-06 and the shipped firmware version".into(),
            correction_deadline: reg.today() + Duration::days(30),
        },
    )
    .await?;
    // One application still in the review queue.
    let pending = &SAMPLES[1];
    let sub = submission_of(pending, "KumoCam Outdoor 3", &["KC-OUT3"]);
    let app = reg
        .submit_application(&Actor::local(Role::Vendor, pending.org, "demo"), sub)
        .await?;
    reg.request_inquiry(&op, &app.id, "SCI-DEMO-100").await?;
    Ok(numbers)
}

const COMPANIES: [&str; 10] = [
    "Aoba Devices",
    "Benten Electric",
    "Chidori Systems",
    "Daikoku Labs",
    "Ebisu Home",
    "Fukurou Tech",
    "Ginga Networks",
    "Hotaru Sensors",
    "Inari Robotics",
    "Jizo Security",
];
const PRODUCTS: [&str; 8] = [
    "Router",
    "Camera",
    "Smart Plug",
    "Gateway",
    "Thermostat",
    "Door Lock",
    "Speaker",
    "Hub",
];

/// [`seed_demo`] when the registry is empty; `None` (nothing added) when it
/// is not.
pub async fn seed_demo_if_empty(registry: &Registry) -> Result<Option<Vec<String>>> {
    if !registry.is_empty().await? {
        return Ok(None);
    }
    seed_demo(registry).await.map(Some)
}

/// [`seed_bulk`] when the registry is empty; `None` (nothing added) when it
/// is not.
pub async fn seed_bulk_if_empty(registry: &Registry, n: u64) -> Result<Option<u64>> {
    if !registry.is_empty().await? {
        return Ok(None);
    }
    seed_bulk(registry, n).await.map(Some)
}

/// Add `n` ★1/★2 labels (fictional companies, varied names and models) through
/// the normal events, 2,000 per transaction. Returns how many were issued.
pub async fn seed_bulk(registry: &Registry, n: u64) -> Result<u64> {
    let op = Actor::local(Role::Operator, "operator", "bulk");
    let mut done = 0u64;
    while done < n {
        let batch = (n - done).min(2000);
        let mut subs = Vec::with_capacity(batch as usize);
        for i in done..done + batch {
            let pick = |list: &'static [&'static str], k: u64| {
                usize::try_from(k % list.len() as u64)
                    .ok()
                    .and_then(|j| list.get(j).copied())
                    .unwrap_or_default()
            };
            let c = pick(&COMPANIES, i);
            let p = pick(&PRODUCTS, i / 10);
            let org = format!("bulk-{:04}", i % 5000);
            // Only ★1 checklists exist, so bulk labels are ★1.
            let models = [format!("M{i:07}"), format!("M{i:07}-B")];
            let sub = ApplicationSubmission {
                org: org.clone(),
                level: None,
                applicant: Applicant {
                    company: String::new(),
                    address: String::new(),
                    contact: format!("info@{org}.example.jp"),
                },
                products: Vec::new(),
                disclosure_contact: format!("security@{org}.example.jp"),
                checklist: checklist_for(
                    &format!("{c} {} K.K.", i % 5000),
                    &format!("{} Chome, Example City (fictional)", i % 50 + 1),
                    &format!("{c} {p} {}", i % 997),
                    &p.to_lowercase(),
                    &[models[0].as_str(), models[1].as_str()],
                    &[format!("1.{}.{}", i % 10, i % 7).as_str()],
                ),
                requested_valid_until: None,
            };
            subs.push((Actor::local(Role::Vendor, org, "bulk"), sub));
        }
        bulk_issue(registry, &op, subs).await?;
        done += batch;
    }
    Ok(done)
}

/// Bulk path for seeding: the full ★1 flow for many products inside one
/// transaction, through the same checks, events and `apply` as the live
/// commands, saving each application and label once at the end.
async fn bulk_issue(
    reg: &Registry,
    operator: &Actor,
    subs: Vec<(Actor, ApplicationSubmission)>,
) -> Result<Vec<String>> {
    let mut tx = reg.inner.store.write().await?;
    tx.buffer();
    let at = reg.now();
    let today = reg.today();
    let mut numbers = Vec::with_capacity(subs.len());
    let count = subs.len() as i64;
    let first_app = tx.reserve_counter("application", count).await?;
    let first_label = tx.reserve_counter("label", count).await?;
    for (k, (vendor, mut s)) in subs.into_iter().enumerate() {
        let problems = submission::prepare(&vendor, &mut s)?;
        if !problems.is_empty() {
            let p = problems.join("; ");
            return Err(Error::invalid(
                "checklist",
                t(format!("形式確認の問題: {p}"), p),
            ));
        }
        let n = first_app + k as i64;
        let id = format!("APP-{n:06}-{}", commands::random_suffix()?);
        let steps: [(&Actor, Payload); 6] = [
            (
                &vendor,
                Payload::ApplicationSubmitted(Box::new(Submitted { submission: s })),
            ),
            (&vendor, Payload::FormatCheckPassed),
            (
                operator,
                Payload::InquiryRequested(Reference {
                    reference: format!("SCI-{n:06}"),
                }),
            ),
            (
                operator,
                Payload::InquiryAnswered(Answer {
                    outcome: InquiryOutcome::Clear,
                    reference: format!("SCA-{n:06}"),
                }),
            ),
            (operator, Payload::ApplicationAccepted),
            (
                operator,
                Payload::FeePaid(Fee {
                    amount_yen: DEMO_FEE_YEN,
                    paid_on: today,
                    reference: format!("INV-{n:06}"),
                }),
            ),
        ];
        let mut app: Option<Application> = None;
        let mut label: Option<Label> = None;
        for (actor, payload) in steps {
            (app, label) = append_apply(&mut tx, at, actor, &id, None, payload, app, label).await?;
        }
        let a = app
            .clone()
            .ok_or_else(|| Error::Corrupt("bulk: no application".into()))?;
        // Nothing is committed if a check fails, so checking after the
        // events is as good as before them.
        if let Some(why) = submission::evidence_refusal(&a) {
            return Err(Error::invalid("level", why));
        }
        let number = commands::label_number(a.level, today, first_label + k as i64)?;
        let issued = new_label(&a, number.clone(), today, max_validity(today));
        let payload = Payload::LabelIssued(Box::new(Issued { label: issued }));
        (app, label) = append_apply(
            &mut tx,
            at,
            operator,
            &id,
            Some(&number),
            payload,
            app,
            label,
        )
        .await?;
        if let Some(app) = &app {
            tx.stage_application(app)?;
        }
        if let Some(label) = &label {
            tx.stage_label(label)?;
        }
        numbers.push(number);
    }
    tx.commit().await?;
    Ok(numbers)
}

/// Append one event of the bulk path and apply it.
#[allow(clippy::too_many_arguments)]
async fn append_apply(
    tx: &mut WriteTx,
    at: chrono::DateTime<chrono::Utc>,
    actor: &Actor,
    id: &str,
    number: Option<&str>,
    payload: Payload,
    app: Option<Application>,
    label: Option<Label>,
) -> Result<(Option<Application>, Option<Label>)> {
    let ev = tx
        .append(NewEvent {
            at,
            actor,
            kind: payload.kind(),
            application_id: Some(id),
            label_number: number,
            reason: None,
            payload: payload.to_json()?,
        })
        .await?;
    apply(&ev, app, label)
}

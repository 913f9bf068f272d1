//! Queries: applications for their readers, labels as of today, their
//! public history, search, counts, the keyset pages the exports walk, and the
//! change feed. The SQL behind them is in the store.

use chrono::{DateTime, Utc};

use crate::Registry;
use crate::auth::{Action, Resource, authorize};
use crate::commands::canonical_number;
use crate::error::{Error, Result};
use crate::events::{apply, effective, need_label};
use crate::model::*;
use crate::number::parse_registration_number;
use crate::store::{AppFilter, EventColumn, check_text};

pub(crate) async fn application(reg: &Registry, actor: &Actor, id: &str) -> Result<Application> {
    let not_found = || Error::NotFound {
        what: "application",
        id: id.trim().to_string(),
    };
    if actor.role == Role::Public {
        authorize(actor, Action::ReadApplication, Resource::none())?;
    }
    let app = reg
        .inner
        .store
        .load_application(id.trim())
        .await?
        .ok_or_else(not_found)?;
    // Another organisation's application answers as a missing one.
    authorize(actor, Action::ReadApplication, Resource::application(&app))
        .map_err(|_| not_found())?;
    Ok(app)
}

pub(crate) async fn list_applications(
    reg: &Registry,
    actor: &Actor,
    status: Option<ApplicationStatus>,
    offset: u64,
    limit: u64,
) -> Result<Vec<Application>> {
    let limit = limit.clamp(1, 500) as i64;
    let offset = offset.min(i64::MAX as u64) as i64;
    let filter = match actor.role {
        Role::Operator => AppFilter::All,
        Role::Vendor => AppFilter::Org(&actor.org),
        Role::EvaluationBody => AppFilter::EvaluationBody(&actor.org),
        Role::Public => {
            authorize(actor, Action::ReadApplication, Resource::none())?;
            return Ok(Vec::new());
        }
    };
    reg.inner
        .store
        .applications_page(filter, status, offset, limit)
        .await
}

pub(crate) async fn label(reg: &Registry, number: &str) -> Result<Label> {
    let number = canonical_number(number)?;
    let l = reg
        .inner
        .store
        .load_label(&number)
        .await?
        .ok_or(Error::NotFound {
            what: "label",
            id: number,
        })?;
    Ok(effective(l, reg.today()))
}

pub(crate) async fn label_history(reg: &Registry, number: &str) -> Result<Vec<HistoryEntry>> {
    let number = canonical_number(number)?;
    let events = reg
        .inner
        .store
        .events_where(EventColumn::Label, &number)
        .await?;
    if events.is_empty() {
        return Err(Error::NotFound {
            what: "label",
            id: number,
        });
    }
    let mut state: Option<Label> = None;
    let mut out = Vec::with_capacity(events.len());
    for ev in events {
        // The issuance event also carries the application; a placeholder
        // keeps `apply` total without loading it.
        let app = (ev.kind == EventKind::LabelIssued).then(|| placeholder_app(&ev));
        let (_, l) = apply(&ev, app, state.take())?;
        let l = need_label(&ev, l)?;
        let details = match ev.kind {
            EventKind::LabelIssued => serde_json::json!({
                "issued_on": l.issued_on,
                "valid_until": l.valid_until,
                "level": l.level,
            }),
            _ => ev.payload.clone(),
        };
        out.push(HistoryEntry {
            seq: ev.seq,
            at: ev.at,
            kind: ev.kind,
            status: l.status,
            reason: ev.reason.clone(),
            actor_role: ev.actor.role,
            actor_org: ev.actor.org.clone(),
            details,
        });
        state = Some(l);
    }
    Ok(out)
}

fn placeholder_app(ev: &Event) -> Application {
    Application {
        id: ev.application_id.clone().unwrap_or_default(),
        org: String::new(),
        level: Level::Star1,
        applicant: Applicant::default(),
        products: Vec::new(),
        disclosure_contact: String::new(),
        checklist: serde_json::Value::Null,
        requested_valid_until: None,
        status: ApplicationStatus::FeePaid,
        submitted_at: ev.at,
        format_problems: Vec::new(),
        inquiry: None,
        decision: None,
        fee: None,
        evaluation_body: None,
        evaluation_report: None,
        label_number: None,
    }
}

pub(crate) async fn product_page(reg: &Registry, number: &str) -> Result<ProductPage> {
    let label = label(reg, number).await?;
    let history = label_history(reg, &label.number).await?;
    let vulnerability_status = crate::secinfo::vulnerability_statuses(&label.security);
    Ok(ProductPage {
        label,
        history,
        vulnerability_status,
    })
}

pub(crate) async fn label_counts(reg: &Registry) -> Result<Vec<(Level, LabelStatus, u64)>> {
    reg.inner.store.label_counts(reg.today()).await
}

pub(crate) fn summary(l: &Label) -> LabelSummary {
    LabelSummary {
        number: l.number.clone(),
        level: l.level,
        status: l.status,
        company: l.applicant.company.clone(),
        products: l.products.iter().map(|p| p.name.clone()).collect(),
        model_numbers: l
            .products
            .iter()
            .flat_map(|p| p.model_numbers.iter().cloned())
            .collect(),
        issued_on: l.issued_on,
        valid_until: l.valid_until,
    }
}

pub(crate) async fn labels_after(
    reg: &Registry,
    after_number: Option<&str>,
    limit: u64,
) -> Result<Vec<Label>> {
    let after = match after_number {
        Some(n) => parse_registration_number(n)?.sequence() as i64,
        None => 0,
    };
    let limit = limit.clamp(1, 1000) as i64;
    let today = reg.today();
    Ok(reg
        .inner
        .store
        .labels_after(after, limit)
        .await?
        .into_iter()
        .map(|l| effective(l, today))
        .collect())
}

pub(crate) async fn events_since(
    reg: &Registry,
    scope: FeedScope,
    after_seq: i64,
    since: Option<DateTime<Utc>>,
    limit: u64,
    filter: &FeedFilter,
) -> Result<FeedPage> {
    let limit = limit.clamp(1, 1000) as i64;
    for (field, v) in [
        ("company", &filter.company),
        ("product_type", &filter.product_type),
    ] {
        if let Some(v) = v.as_deref() {
            check_text(field, v, 200)?;
        }
    }
    let (head_seq, _) = reg.inner.store.head().await?;
    let texts = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let (company, product_type) = (texts(&filter.company), texts(&filter.product_type));
    if company.is_none() && product_type.is_none() {
        let events = reg
            .inner
            .store
            .events_page(
                scope == FeedScope::Labels,
                after_seq.max(0),
                since,
                limit,
                filter,
                reg.today(),
            )
            .await?;
        let next_after_seq = if events.len() as i64 == limit {
            events.last().map(|e| e.seq)
        } else {
            None
        };
        return Ok(FeedPage {
            events,
            next_after_seq,
            head_seq,
        });
    }
    // Texts are matched by the search index (one normalisation for search
    // and feeds); level and status stay in the query. The log is read in
    // chunks until the page is full, up to FEED_SCAN events a request: a
    // page may then come back short with a cursor to continue from.
    let sql_filter = FeedFilter {
        level: filter.level,
        status: filter.status,
        company: None,
        product_type: None,
    };
    let chunk = 500.max(limit);
    let mut cursor = after_seq.max(0);
    let mut scanned = 0i64;
    let mut events = Vec::new();
    loop {
        let page = reg
            .inner
            .store
            .events_page(
                scope == FeedScope::Labels,
                cursor,
                since,
                chunk,
                &sql_filter,
                reg.today(),
            )
            .await?;
        let numbers: Vec<&str> = page
            .iter()
            .map(|e| e.label_number.as_deref().unwrap_or(""))
            .collect();
        let keep =
            crate::search::labels_match(reg, &numbers, company.as_deref(), product_type.as_deref())
                .await?;
        let at_end = (page.len() as i64) < chunk;
        for (e, k) in page.into_iter().zip(keep) {
            cursor = e.seq;
            scanned += 1;
            if k {
                events.push(e);
                if events.len() as i64 == limit {
                    return Ok(FeedPage {
                        events,
                        next_after_seq: Some(cursor),
                        head_seq,
                    });
                }
            }
        }
        if at_end {
            return Ok(FeedPage {
                events,
                next_after_seq: None,
                head_seq,
            });
        }
        if scanned >= FEED_SCAN {
            return Ok(FeedPage {
                events,
                next_after_seq: Some(cursor),
                head_seq,
            });
        }
    }
}

/// Most events one filtered feed request reads.
const FEED_SCAN: i64 = 20_000;

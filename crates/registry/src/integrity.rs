//! Integrity of the materialised state: [`verify_state`] replays the log in
//! memory and names every stored row that differs; [`rebuild`] replays it
//! into fresh tables. [`VerifyReport`] is the operator's whole check: the
//! hash chain, then the stored state against the log.

use serde::Serialize;

use crate::Registry;
use crate::commands::application_seq;
use crate::error::Result;
use crate::events::apply;
use crate::model::*;
use crate::number::parse_registration_number;
use crate::store::{RowText, StateTable, expected_application_row, expected_label_row};

/// Replay the whole log in memory and compare the result with the
/// materialised tables, naming every row and column that differs.
pub(crate) async fn verify_state(reg: &Registry) -> Result<StateReport> {
    use std::collections::BTreeMap;
    let store = &reg.inner.store;
    let mut apps: BTreeMap<String, Application> = BTreeMap::new();
    let mut labels: BTreeMap<String, Label> = BTreeMap::new();
    let mut after = 0i64;
    loop {
        let events = store.events_after(after, 2000).await?;
        let Some(last) = events.last() else { break };
        after = last.seq;
        for ev in &events {
            let app = ev
                .application_id
                .as_ref()
                .and_then(|id| apps.get(id).cloned());
            let label = match &ev.label_number {
                Some(n) if ev.kind != EventKind::LabelIssued => labels.get(n).cloned(),
                _ => None,
            };
            let (app, label) = apply(ev, app, label)?;
            if let Some(a) = app {
                apps.insert(a.id.clone(), a);
            }
            if let Some(l) = label {
                labels.insert(l.number.clone(), l);
            }
        }
    }
    let mut differences = Vec::new();
    let mut compare = |table: StateTable,
                       expected: BTreeMap<String, RowText>,
                       stored: BTreeMap<String, RowText>| {
        let name = table.name().to_string();
        for (key, want) in &expected {
            let Some(have) = stored.get(key) else {
                differences.push(StateDifference {
                    table: name.clone(),
                    key: key.clone(),
                    problem: "missing: the log has this row, the table does not".into(),
                });
                continue;
            };
            for ((column, w), (_, h)) in want.iter().zip(have.iter()) {
                let short = |t: &str| -> String {
                    let c: String = t.chars().take(120).collect();
                    if c.len() < t.len() {
                        format!("{c}…")
                    } else {
                        c
                    }
                };
                if column != "data" {
                    if w != h {
                        differences.push(StateDifference {
                            table: name.clone(),
                            key: key.clone(),
                            problem: format!(
                                "{column} is {:?} but the log gives {:?}",
                                short(h),
                                short(w)
                            ),
                        });
                    }
                    continue;
                }
                // The stored document: name the fields that differ.
                let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).ok();
                match (parse(w), parse(h)) {
                    (Some(wv), Some(hv)) if wv == hv => {}
                    (Some(serde_json::Value::Object(wo)), Some(serde_json::Value::Object(ho))) => {
                        let mut fields: Vec<&String> = wo.keys().chain(ho.keys()).collect();
                        fields.sort();
                        fields.dedup();
                        for f in fields.into_iter().filter(|f| wo.get(*f) != ho.get(*f)) {
                            let show = |v: Option<&serde_json::Value>| {
                                short(&v.map(|v| v.to_string()).unwrap_or_else(|| "absent".into()))
                            };
                            differences.push(StateDifference {
                                table: name.clone(),
                                key: key.clone(),
                                problem: format!(
                                    "data.{f} is {} but the log gives {}",
                                    show(ho.get(f)),
                                    show(wo.get(f))
                                ),
                            });
                        }
                    }
                    _ => differences.push(StateDifference {
                        table: name.clone(),
                        key: key.clone(),
                        problem: format!("data is {:?} but the log gives {:?}", short(h), short(w)),
                    }),
                }
            }
        }
        for key in stored.keys().filter(|k| !expected.contains_key(*k)) {
            differences.push(StateDifference {
                table: name.clone(),
                key: key.clone(),
                problem: "extra: the table has this row, the log does not".into(),
            });
        }
    };
    let want_apps = apps
        .values()
        .map(|a| Ok((a.id.clone(), expected_application_row(a)?)))
        .collect::<Result<BTreeMap<_, _>>>()?;
    let want_labels = labels
        .values()
        .map(|l| Ok((l.number.clone(), expected_label_row(l)?)))
        .collect::<Result<BTreeMap<_, _>>>()?;
    compare(
        StateTable::Applications,
        want_apps,
        store.stored_rows(StateTable::Applications).await?,
    );
    compare(
        StateTable::Labels,
        want_labels,
        store.stored_rows(StateTable::Labels).await?,
    );
    Ok(StateReport {
        events: after,
        applications: apps.len() as i64,
        labels: labels.len() as i64,
        differences,
    })
}

pub(crate) async fn rebuild(reg: &Registry) -> Result<RebuildReport> {
    let mut tx = reg.inner.store.write().await?;
    tx.clear_state().await?;
    let mut after = 0i64;
    let mut max_app = 0i64;
    let mut max_label = 0i64;
    loop {
        let events = tx.events_after(after, 1000).await?;
        let Some(last) = events.last() else { break };
        after = last.seq;
        for ev in &events {
            let app = match &ev.application_id {
                Some(id) => tx.load_application(id).await?,
                None => None,
            };
            let label = match &ev.label_number {
                Some(n) if ev.kind != EventKind::LabelIssued => tx.load_label(n).await?,
                _ => None,
            };
            let (app, label) = apply(ev, app, label)?;
            if let Some(app) = &app {
                if let Some(n) = application_seq(&app.id) {
                    max_app = max_app.max(n);
                }
                tx.save_application(app).await?;
            }
            if let Some(label) = &label {
                let seq = parse_registration_number(&label.number)?.sequence() as i64;
                max_label = max_label.max(seq);
                tx.save_label(label).await?;
            }
        }
    }
    tx.raise_counter("application", max_app).await?;
    tx.raise_counter("label", max_label).await?;
    let applications = tx.count("applications").await?;
    let labels = tx.count("labels").await?;
    tx.commit().await?;
    Ok(RebuildReport {
        events: after,
        applications,
        labels,
    })
}

/// The hash chain and the stored state, checked together (`registry verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The hash chain's check.
    pub chain: ChainReport,
    /// Both hold.
    pub ok: bool,
    /// The stored state compared with a replay of the log.
    pub state: StateReport,
}

impl VerifyReport {
    /// The report in a few lines: the chain's head or its first broken
    /// link, then the state's counts or every differing row.
    pub fn text(&self) -> String {
        let (chain, state) = (&self.chain, &self.state);
        let mut s = match &chain.first_broken {
            None => format!(
                "hash chain intact: {} events, head {}",
                chain.events, chain.head_hash
            ),
            Some(b) => format!("hash chain BROKEN at event {}: {}", b.seq, b.problem),
        };
        if state.ok() {
            s.push_str(&format!(
                "\nstored state matches the log: {} applications, {} labels",
                state.applications, state.labels
            ));
        } else {
            s.push_str(&format!(
                "\nstored state DIFFERS from the log in {} places (repair: jcstar registry rebuild):",
                state.differences.len()
            ));
            for d in &state.differences {
                s.push_str(&format!("\n  {} {}: {}", d.table, d.key, d.problem));
            }
        }
        s
    }
}

pub(crate) async fn verify(reg: &Registry) -> Result<VerifyReport> {
    let chain = reg.verify_chain().await?;
    let state = verify_state(reg).await?;
    Ok(VerifyReport {
        ok: chain.ok() && state.ok(),
        chain,
        state,
    })
}

//! Commands: the write paths. Each command checks authorisation, asks the
//! transition table in [`crate::events`] whether its event is legal in the
//! current state, checks its own further rules, then appends its events and
//! applies them with [`crate::events::apply`] inside one write transaction
//! ([`Step`]). The application commands are in [`applications`], the label
//! commands in [`labels`], what a submission must satisfy in [`submission`].

pub(crate) mod applications;
pub(crate) mod labels;
pub(crate) mod secinfo;
pub(crate) mod submission;

use chrono::{DateTime, NaiveDate, Utc};

use crate::Registry;
use crate::auth::{Action, Resource, authorize};
use crate::error::{Error, Msg, Result, t};
use crate::events::{Before, Payload, apply, effective, transition};
use crate::model::*;
use crate::number::{RegistrationNumber, parse_registration_number};
use crate::store::{NewEvent, WriteTx, check_text};

pub(crate) const MAX_TEXT: usize = 2000;

pub(crate) fn app_subject(id: &str) -> Msg {
    t(format!("申請 {id}"), format!("application {id}"))
}

pub(crate) fn label_subject(number: &str) -> Msg {
    t(format!("ラベル {number}"), format!("label {number}"))
}

/// An application status as a [`Msg`] (English as `Display` writes it).
pub(crate) fn app_state(s: ApplicationStatus) -> Msg {
    t(s.text(jcstar_criteria::Lang::Ja), s.to_string())
}

/// A label status as a [`Msg`] (English as `Display` writes it).
pub(crate) fn label_state(s: LabelStatus) -> Msg {
    t(s.text(jcstar_criteria::Lang::Ja), s.to_string())
}

pub(crate) fn required(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(
            field,
            t("空にはできません", "must not be empty"),
        ));
    }
    check_text(field, value, MAX_TEXT)
}

pub(crate) fn optional(field: &str, value: &str) -> Result<()> {
    check_text(field, value, MAX_TEXT)
}

/// Dates the registry accepts: 2000-01-01 to 2099-12-31.
pub(crate) fn check_date(field: &str, d: NaiveDate) -> Result<()> {
    let lo = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN);
    let hi = NaiveDate::from_ymd_opt(2099, 12, 31).unwrap_or(NaiveDate::MAX);
    if d < lo || d > hi {
        return Err(Error::invalid(
            field,
            t(
                format!(
                    "{d} は範囲外です: 2000-01-01 から 2099-12-31 までの日付を指定してください"
                ),
                format!("{d} is out of range: a date from 2000-01-01 to 2099-12-31"),
            ),
        ));
    }
    Ok(())
}

/// Every change records who made it: a named person.
pub(crate) fn require_named(actor: &Actor) -> Result<()> {
    if actor
        .token_name
        .as_deref()
        .is_none_or(|n| n.trim().is_empty())
    {
        return Err(Error::invalid(
            "actor",
            t(
                "変更にはすべて実施者が記録されます: 氏名のある本人として操作してください（本人の API トークン、または `jcstar registry --as 氏名`）",
                "every change records who made it: act as a named person (a token of that person, or `jcstar registry --as NAME`)",
            ),
        ));
    }
    Ok(())
}

pub(crate) fn canonical_number(number: &str) -> Result<String> {
    Ok(parse_registration_number(number)?.to_string())
}

/// Eight random characters of Crockford's base32: application ids carry
/// them so that one cannot be guessed from another.
pub(crate) fn random_suffix() -> Result<String> {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    Ok(b.iter()
        .filter_map(|x| ALPHABET.get(usize::from(x & 31)).map(|&c| char::from(c)))
        .collect())
}

/// The registration number of the `seq`th label, issued on `today`.
pub(crate) fn label_number(level: Level, today: NaiveDate, seq: i64) -> Result<String> {
    let year = u16::try_from(chrono::Datelike::year(&today))
        .map_err(|_| Error::Corrupt(format!("year of {today}")))?;
    let seq = u64::try_from(seq).map_err(|_| Error::Corrupt(format!("label counter {seq}")))?;
    Ok(RegistrationNumber::new(level, year, seq).to_string())
}

/// The sequence part of an application id (`APP-000042` or
/// `APP-000042-XXXXXXXX`).
pub(crate) fn application_seq(id: &str) -> Option<i64> {
    let rest = id.strip_prefix("APP-")?;
    let digits = rest.split('-').next()?;
    digits.parse().ok()
}

/// Append events for one application/label and apply them, saving the result.
pub(crate) struct Step<'a> {
    pub(crate) reg: &'a Registry,
    pub(crate) tx: WriteTx,
    pub(crate) app: Option<Application>,
    pub(crate) label: Option<Label>,
    pub(crate) at: DateTime<Utc>,
}

impl<'a> Step<'a> {
    pub(crate) async fn begin(reg: &'a Registry) -> Result<Step<'a>> {
        Ok(Step {
            reg,
            tx: reg.inner.store.write().await?,
            app: None,
            label: None,
            at: reg.now(),
        })
    }

    pub(crate) async fn with_app(mut self, id: &str) -> Result<Step<'a>> {
        let app = self
            .tx
            .load_application(id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "application",
                id: id.to_string(),
            })?;
        self.app = Some(app);
        Ok(self)
    }

    pub(crate) async fn with_label(mut self, number: &str) -> Result<Step<'a>> {
        let label = self
            .tx
            .load_label(number)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "label",
                id: number.to_string(),
            })?;
        self.label = Some(label);
        Ok(self)
    }

    pub(crate) fn app(&self) -> Result<&Application> {
        self.app
            .as_ref()
            .ok_or_else(|| Error::Corrupt("no application loaded".into()))
    }

    /// The label with its status as of today.
    pub(crate) fn label_now(&self) -> Result<Label> {
        let l = self
            .label
            .clone()
            .ok_or_else(|| Error::Corrupt("no label loaded".into()))?;
        Ok(effective(l, self.reg.today()))
    }

    /// Ask the transition table whether `kind` may follow the loaded state.
    pub(crate) fn allow(&self, kind: EventKind) -> Result<()> {
        let today = self.reg.today();
        let (before, subject, state) = match (&self.label, &self.app) {
            (Some(l), _) => {
                let now = effective(l.clone(), today);
                (
                    Before::Label {
                        recorded: l.status,
                        today: now.status,
                    },
                    label_subject(&l.number),
                    label_state(now.status),
                )
            }
            (None, Some(a)) => (
                Before::App(a.status),
                app_subject(&a.id),
                app_state(a.status),
            ),
            (None, None) => (Before::Nothing, t("登録簿", "registry"), t("", "")),
        };
        transition(kind, before).map_err(|reason| Error::refused(subject, state, reason))
    }

    /// [`Step::allow`] the payload's kind, then [`Step::emit`] it.
    pub(crate) async fn record(
        &mut self,
        actor: &Actor,
        reason: Option<&str>,
        payload: Payload,
    ) -> Result<()> {
        self.allow(payload.kind())?;
        self.emit(actor, reason, payload).await
    }

    pub(crate) async fn emit(
        &mut self,
        actor: &Actor,
        reason: Option<&str>,
        payload: Payload,
    ) -> Result<()> {
        let app_id = self.app.as_ref().map(|a| a.id.clone());
        let label_no = self.label.as_ref().map(|l| l.number.clone());
        self.emit_for(
            actor,
            app_id.as_deref(),
            label_no.as_deref(),
            reason,
            payload,
        )
        .await
    }

    pub(crate) async fn emit_for(
        &mut self,
        actor: &Actor,
        app_id: Option<&str>,
        label_no: Option<&str>,
        reason: Option<&str>,
        payload: Payload,
    ) -> Result<()> {
        require_named(actor)?;
        let ev = self
            .tx
            .append(NewEvent {
                at: self.at,
                actor,
                kind: payload.kind(),
                application_id: app_id,
                label_number: label_no,
                reason,
                payload: payload.to_json()?,
            })
            .await?;
        let (app, label) = apply(&ev, self.app.take(), self.label.take())?;
        self.app = app;
        self.label = label;
        Ok(())
    }

    pub(crate) async fn finish(mut self) -> Result<(Option<Application>, Option<Label>)> {
        if let Some(app) = &self.app {
            self.tx.save_application(app).await?;
        }
        if let Some(label) = &self.label {
            self.tx.save_label(label).await?;
        }
        self.tx.commit().await?;
        let today = self.reg.today();
        Ok((self.app, self.label.map(|l| effective(l, today))))
    }

    pub(crate) async fn finish_app(self) -> Result<Application> {
        self.finish()
            .await?
            .0
            .ok_or_else(|| Error::Corrupt("no application after the step".into()))
    }

    pub(crate) async fn finish_label(self) -> Result<Label> {
        self.finish()
            .await?
            .1
            .ok_or_else(|| Error::Corrupt("no label after the step".into()))
    }
}

pub(crate) fn refuse_app(app: &Application, reason: Msg) -> Error {
    Error::refused(app_subject(&app.id), app_state(app.status), reason)
}

/// Load an application for `actor`: one the actor may not read answers
/// exactly as one that does not exist, so ids reveal nothing.
pub(crate) async fn app_step<'a>(
    reg: &'a Registry,
    actor: &Actor,
    id: &str,
    action: Action,
) -> Result<(Step<'a>, Application)> {
    let id = id.trim();
    if actor.role == Role::Public {
        // Refused before looking: the answer must not depend on the id.
        authorize(actor, action, Resource::none())?;
    }
    let step = Step::begin(reg).await?.with_app(id).await?;
    let app = step.app()?.clone();
    if authorize(actor, Action::ReadApplication, Resource::application(&app)).is_err() {
        return Err(Error::NotFound {
            what: "application",
            id: id.to_string(),
        });
    }
    authorize(actor, action, Resource::application(&app))?;
    Ok((step, app))
}

pub(crate) fn refuse_label(label: &Label, reason: Msg) -> Error {
    Error::refused(
        label_subject(&label.number),
        label_state(label.status),
        reason,
    )
}

pub(crate) async fn label_step<'a>(
    reg: &'a Registry,
    actor: &Actor,
    number: &str,
    action: Action,
) -> Result<(Step<'a>, Label)> {
    let number = canonical_number(number)?;
    let step = Step::begin(reg).await?.with_label(&number).await?;
    let now = step.label_now()?;
    authorize(actor, action, Resource::label(&now))?;
    Ok((step, now))
}

/// The common shape of a command on one application: load it for `actor`,
/// ask the transition table, record one event.
pub(crate) async fn app_event(
    reg: &Registry,
    actor: &Actor,
    id: &str,
    action: Action,
    reason: Option<&str>,
    payload: Payload,
) -> Result<Application> {
    let (mut step, _) = app_step(reg, actor, id, action).await?;
    step.record(actor, reason, payload).await?;
    step.finish_app().await
}

/// [`app_event`] for a label.
pub(crate) async fn label_event(
    reg: &Registry,
    actor: &Actor,
    number: &str,
    action: Action,
    reason: Option<&str>,
    payload: Payload,
) -> Result<Label> {
    let (mut step, now) = label_step(reg, actor, number, action).await?;
    if action == Action::EditSecurityInfo {
        secinfo::vendor_may_add(actor, &now)?;
    }
    step.record(actor, reason, payload).await?;
    step.finish_label().await
}

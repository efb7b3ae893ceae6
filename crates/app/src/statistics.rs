//! The figures that show whether the promise holds (issue 8, must-haves 3, 5 and 6): computed
//! from the recorded events of every case as of the end of a day (`domain::statistics`),
//! published once per day with the audit chain position of the publication, read by the
//! overseers' dashboard and the public page, and checked by `minhbach stats verify`, which
//! recomputes them from the events and names every difference.
//!
//! Views never scan the cases: they sum the published cells (one per agency, day of receipt,
//! category, channel and partner), which this process keeps in memory once read.

use std::collections::BTreeMap;
use std::sync::Arc;

use minhbach_domain::statistics::{
    contributions, roll_up, CellKey, Counts, Cutoff, Filter, GroupBy, History, Metric,
};
use minhbach_domain::{can, Action, AgencyId, CaseId, DomainError, FieldError};
use minhbach_store::{AuditEntry, AuditQuery, Store};
use sha2::{Digest, Sha256};
use time::Date;

use crate::clock::LOCAL_OFFSET;
use crate::sessions::StaffSession;
use crate::{App, Error, Result};

/// Cases read from the store at a time while computing.
const BATCH: i64 = 2_000;
/// The most cases a drill-down lists.
pub const DRILL_LIMIT: usize = 500;

/// Published figures, decoded.
#[derive(Clone, Debug)]
pub struct Figures {
    pub id: i64,
    /// The last day counted.
    pub as_of: Date,
    pub computed_at: i64,
    /// The audit log's sequence number of the publication.
    pub audit_seq: i64,
    pub digest: String,
    pub cells: BTreeMap<CellKey, Counts>,
}

/// The end of `day`, local time.
pub fn cutoff(day: Date) -> Result<Cutoff> {
    let next = day
        .next_day()
        .ok_or_else(|| Error::Internal("date out of range".into()))?;
    Ok(Cutoff {
        day,
        end: next.midnight().assume_offset(LOCAL_OFFSET).unix_timestamp(),
    })
}

/// Reads every case's history in batches and hands each to `each`.
async fn each_history(
    store: &dyn Store,
    cut: Cutoff,
    mut each: impl FnMut(CaseId, &History),
) -> Result<()> {
    let mut after = CaseId(0);
    loop {
        let batch = store.histories(after, BATCH, cut.end, LOCAL_OFFSET).await?;
        let Some((last, _)) = batch.last() else {
            return Ok(());
        };
        after = *last;
        for (id, h) in &batch {
            each(*id, h);
        }
    }
}

/// The cells as of the end of `day`, computed from the events.
pub async fn compute(store: &dyn Store, day: Date) -> Result<BTreeMap<CellKey, Counts>> {
    let cut = cutoff(day)?;
    let mut cells = BTreeMap::new();
    each_history(store, cut, |_, h| {
        minhbach_domain::statistics::add_case(&mut cells, h, cut)
    })
    .await?;
    Ok(cells)
}

type EncodedCell = (i64, i32, String, String, Option<i64>, Counts);

#[derive(serde::Serialize, serde::Deserialize)]
struct Encoded {
    version: u32,
    as_of: String,
    metrics: Vec<String>,
    cells: Vec<EncodedCell>,
}

/// The published form of the cells: compact JSON naming its metrics, in key order.
pub fn encode(day: Date, cells: &BTreeMap<CellKey, Counts>) -> Result<String> {
    let e = Encoded {
        version: 1,
        as_of: day.to_string(),
        metrics: Metric::ALL.iter().map(|m| m.code().to_owned()).collect(),
        cells: cells
            .iter()
            .map(|(k, c)| {
                (
                    k.agency.0,
                    k.received,
                    k.category.clone(),
                    k.channel.clone(),
                    k.partner.map(|p| p.0),
                    *c,
                )
            })
            .collect(),
    };
    serde_json::to_string(&e).map_err(|e| Error::Internal(e.to_string()))
}

fn decode(text: &str) -> Result<BTreeMap<CellKey, Counts>> {
    let e: Encoded = serde_json::from_str(text)
        .map_err(|e| Error::Internal(format!("published figures: {e}")))?;
    let codes: Vec<&str> = Metric::ALL.iter().map(|m| m.code()).collect();
    if e.version != 1 || e.metrics != codes {
        return Err(Error::Internal(
            "published figures of another version".into(),
        ));
    }
    Ok(e.cells
        .into_iter()
        .map(|(agency, received, category, channel, partner, counts)| {
            (
                CellKey {
                    agency: AgencyId(agency),
                    received,
                    category,
                    channel,
                    partner: partner.map(AgencyId),
                },
                counts,
            )
        })
        .collect())
}

fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Publishes the figures as of the end of `day`, which must be over. `Ok(None)` if they were
/// published already (a day is published once; its figures never change).
pub async fn publish(st: &App, day: Date, actor: &str) -> Result<Option<i64>> {
    publish_with(st.store.as_ref(), day, st.clock.now(), actor).await
}

/// [`publish`] for callers without the application (the scheduler).
pub async fn publish_with(
    store: &dyn Store,
    day: Date,
    now: time::OffsetDateTime,
    actor: &str,
) -> Result<Option<i64>> {
    if day >= now.to_offset(LOCAL_OFFSET).date() {
        return Err(DomainError::Invalid(vec![FieldError {
            field: "as_of",
            code: "figures-day-not-over",
        }])
        .into());
    }
    let cells = compute(store, day).await?;
    let text = encode(day, &cells)?;
    let digest = digest(&text);
    let now = now.unix_timestamp();
    let audit = AuditEntry::new(now, actor, "figures.published", None).with_detail(
        serde_json::json!({ "as_of": day.to_string(), "digest": digest, "cells": cells.len() }),
    );
    let id = store
        .publish_figures(&day.to_string(), now, &digest, &text, &audit)
        .await?;
    Ok(id)
}

/// The scheduler's step: publishes yesterday's figures if nobody has.
pub async fn publish_due(store: &dyn Store, now: time::OffsetDateTime) -> Result<Option<i64>> {
    let yesterday = now
        .to_offset(LOCAL_OFFSET)
        .date()
        .previous_day()
        .ok_or_else(|| Error::Internal("date out of range".into()))?;
    publish_with(store, yesterday, now, "system").await
}

/// One publication, or the newest; read once per process.
pub async fn published(st: &App, id: Option<i64>) -> Result<Option<Arc<Figures>>> {
    let days = st.store.figure_days().await?;
    let Some(day) = (match id {
        Some(id) => days.iter().find(|d| d.id == id),
        None => days.first(),
    }) else {
        return Ok(None);
    };
    if let Some(f) = st.figures_cache.lock().ok().and_then(|c| c.clone()) {
        if f.id == day.id {
            return Ok(Some(f));
        }
    }
    let Some(snap) = st.store.figures(Some(day.id)).await? else {
        return Ok(None);
    };
    let f = Arc::new(Figures {
        id: snap.id,
        as_of: parse_day(&snap.as_of)?,
        computed_at: snap.computed_at,
        audit_seq: snap.audit_seq,
        cells: decode(&snap.cells)?,
        digest: snap.digest,
    });
    if let Ok(mut c) = st.figures_cache.lock() {
        *c = Some(f.clone());
    }
    Ok(Some(f))
}

/// The publications, newest first: (id, day).
pub async fn publications(st: &App) -> Result<Vec<(i64, Date)>> {
    st.store
        .figure_days()
        .await?
        .iter()
        .map(|d| Ok((d.id, parse_day(&d.as_of)?)))
        .collect()
}

fn parse_day(s: &str) -> Result<Date> {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| Error::Internal(format!("date {s}")))
}

/// A published count that the events no longer give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub cell: CellKey,
    pub metric: Metric,
    pub published: u64,
    pub recomputed: u64,
}

/// The check of one publication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub as_of: Date,
    pub audit_seq: i64,
    /// The stored figures hash to the digest that the audit log recorded at their publication.
    pub matches_audit: bool,
    pub differences: Vec<Difference>,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.matches_audit && self.differences.is_empty()
    }
}

/// Recomputes every publication from the events and compares.
pub async fn verify(st: &App) -> Result<Vec<Check>> {
    let mut out = Vec::new();
    for day in st.store.figure_days().await?.iter().rev() {
        let Some(snap) = st.store.figures(Some(day.id)).await? else {
            continue;
        };
        let as_of = parse_day(&snap.as_of)?;
        let recorded = st
            .store
            .audit_search(&AuditQuery {
                case: None,
                actor: String::new(),
                action: "figures.published".into(),
                from: 0,
                until: i64::MAX,
                limit: 1_000_000,
            })
            .await?
            .into_iter()
            .find(|r| r.seq == snap.audit_seq)
            .and_then(|r| serde_json::from_str::<serde_json::Value>(&r.detail).ok())
            .and_then(|d| d.get("digest").and_then(|v| v.as_str()).map(str::to_owned));
        let matches_audit =
            digest(&snap.cells) == snap.digest && recorded.as_deref() == Some(snap.digest.as_str());
        let published = decode(&snap.cells)?;
        let recomputed = compute(st.store.as_ref(), as_of).await?;
        let mut differences = Vec::new();
        let keys: std::collections::BTreeSet<&CellKey> =
            published.keys().chain(recomputed.keys()).collect();
        for key in keys {
            let p = published.get(key).copied().unwrap_or_default();
            let r = recomputed.get(key).copied().unwrap_or_default();
            for m in Metric::ALL {
                if p.get(*m) != r.get(*m) {
                    differences.push(Difference {
                        cell: key.clone(),
                        metric: *m,
                        published: p.get(*m),
                        recomputed: r.get(*m),
                    });
                }
            }
        }
        out.push(Check {
            as_of,
            audit_seq: snap.audit_seq,
            matches_audit,
            differences,
        });
    }
    Ok(out)
}

/// The agencies a figure reader may see: every one for overseers, a lead's own agency and the
/// bodies under it.
pub async fn scope(st: &App, s: &StaffSession) -> Result<Option<Vec<AgencyId>>> {
    if !can(&s.actor, Action::ViewFigures, None) {
        return Err(DomainError::Forbidden.into());
    }
    if can(&s.actor, Action::ViewEveryAgency, None) {
        return Ok(None);
    }
    let own = s.actor.agency.ok_or(DomainError::Forbidden)?;
    Ok(Some(subtree(st, own).await?))
}

/// An agency and every body under it.
pub async fn subtree(st: &App, root: AgencyId) -> Result<Vec<AgencyId>> {
    let agencies = st.store.agencies().await?;
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        for a in &agencies {
            if a.superior == Some(parent) && !out.contains(&a.id) {
                out.push(a.id);
            }
        }
        i += 1;
    }
    Ok(out)
}

/// What a dashboard table asks for.
#[derive(Clone, Debug)]
pub struct Query {
    pub publication: Option<i64>,
    /// One agency and the bodies under it.
    pub agency: Option<AgencyId>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub category: Option<String>,
    pub channel: Option<String>,
    pub partner: Option<AgencyId>,
    pub by: GroupBy,
}

/// A table of figures: one row per group, and the total.
#[derive(Clone, Debug)]
pub struct Table {
    pub figures: Arc<Figures>,
    pub rows: BTreeMap<String, Counts>,
    pub total: Counts,
    /// The total per month of receipt (`YYYY-MM`), for the trend.
    pub months: BTreeMap<String, Counts>,
    /// The total per agency id, for the compliance chart.
    pub agencies: BTreeMap<String, Counts>,
}

async fn filter_for(st: &App, s: &StaffSession, q: &Query) -> Result<Filter> {
    let allowed = scope(st, s).await?;
    let agencies = match (q.agency, allowed) {
        (Some(a), None) => Some(subtree(st, a).await?),
        (Some(a), Some(allowed)) => {
            if !allowed.contains(&a) {
                return Err(DomainError::Forbidden.into());
            }
            Some(subtree(st, a).await?)
        }
        (None, allowed) => allowed,
    };
    if let (Some(from), Some(to)) = (q.from, q.to) {
        if to < from {
            return Err(DomainError::Invalid(vec![FieldError {
                field: "to",
                code: "period-ends-before-start",
            }])
            .into());
        }
    }
    Ok(Filter {
        agencies,
        from: q.from,
        to: q.to,
        category: q.category.clone(),
        channel: q.channel.clone(),
        partner: q.partner,
    })
}

/// The dashboard's table for a staff reader (overseer, or a lead for their own bodies); `None`
/// before any publication.
pub async fn dashboard(st: &App, s: &StaffSession, q: &Query) -> Result<Option<Table>> {
    let filter = filter_for(st, s, q).await?;
    let Some(figures) = published(st, q.publication).await? else {
        return Ok(None);
    };
    let (rows, total) = roll_up(&figures.cells, &filter, q.by);
    let (months, _) = roll_up(&figures.cells, &filter, GroupBy::Month);
    let (agencies, _) = roll_up(&figures.cells, &filter, GroupBy::Agency);
    Ok(Some(Table {
        figures,
        rows,
        total,
        months,
        agencies,
    }))
}

/// A case behind a figure: metadata only.
#[derive(Clone, Debug)]
pub struct CaseLine {
    pub reference: String,
    pub agency: AgencyId,
    pub state: minhbach_domain::CaseState,
    pub category: String,
    pub channel: String,
    pub received_at: i64,
}

/// The cases behind one figure of the dashboard (a row, or the total with `row: None`), as of
/// the publication's day, recomputed from the events; at most [`DRILL_LIMIT`].
pub async fn cases_behind(
    st: &App,
    s: &StaffSession,
    q: &Query,
    metric: Metric,
    row: Option<&str>,
) -> Result<(Arc<Figures>, Vec<CaseLine>)> {
    let filter = filter_for(st, s, q).await?;
    let figures = published(st, q.publication)
        .await?
        .ok_or(DomainError::NotFound)?;
    let cut = cutoff(figures.as_of)?;
    let mut ids = Vec::new();
    each_history(st.store.as_ref(), cut, |id, h| {
        if ids.len() >= DRILL_LIMIT {
            return;
        }
        let behind = contributions(h, cut).into_iter().any(|(agency, m)| {
            let key = h.key(agency);
            m == metric && filter.matches(&key) && row.is_none_or(|r| q.by.row_of(&key) == r)
        });
        if behind {
            ids.push(id);
        }
    })
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(c) = st.store.case(id).await? {
            out.push(CaseLine {
                reference: c.reference,
                agency: c.agency,
                state: c.state,
                category: c.category,
                channel: c.channel,
                received_at: c.received_at,
            });
        }
    }
    Ok((figures, out))
}

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

/// A cell as published: its key and its counts in the order of the publication's `metrics`.
type EncodedCell = (i64, i32, String, String, Option<i64>, Vec<u64>);

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
                    c.0.to_vec(),
                )
            })
            .collect(),
    };
    serde_json::to_string(&e).map_err(|e| Error::Internal(e.to_string()))
}

/// The cells of a publication and the metrics it published. A publication made before a metric
/// existed reads it as zero (and `verify` leaves it out).
fn decode(text: &str) -> Result<(BTreeMap<CellKey, Counts>, Vec<Metric>)> {
    let e: Encoded = serde_json::from_str(text)
        .map_err(|e| Error::Internal(format!("published figures: {e}")))?;
    if e.version != 1 {
        return Err(Error::Internal(
            "published figures of another version".into(),
        ));
    }
    // Where each published column goes; a metric this version no longer has is dropped.
    let columns: Vec<Option<Metric>> = e.metrics.iter().map(|c| Metric::from_code(c)).collect();
    let metrics = columns.iter().flatten().copied().collect();
    let cells = e
        .cells
        .into_iter()
        .map(|(agency, received, category, channel, partner, values)| {
            let mut counts = Counts::default();
            for (m, v) in columns.iter().zip(values) {
                if let Some(m) = m {
                    counts.0[*m as usize] = v;
                }
            }
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
        .collect();
    Ok((cells, metrics))
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
        cells: decode(&snap.cells)?.0,
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
        let (published, metrics) = decode(&snap.cells)?;
        let recomputed = compute(st.store.as_ref(), as_of).await?;
        let mut differences = Vec::new();
        let keys: std::collections::BTreeSet<&CellKey> =
            published.keys().chain(recomputed.keys()).collect();
        for key in keys {
            let p = published.get(key).copied().unwrap_or_default();
            let r = recomputed.get(key).copied().unwrap_or_default();
            for m in &metrics {
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
    if can(&s.actor, Action::ViewEveryAgencyFigures, None) {
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
    let minhbach_domain::statistics::Sums {
        rows,
        months,
        agencies,
        total,
    } = minhbach_domain::statistics::dashboard_sums(&figures.cells, &filter, q.by);
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
        let behind = contributions(h, cut).into_iter().any(|(agency, m, n)| {
            let key = h.key(agency);
            m == metric
                && n > 0
                && filter.matches(&key)
                && row.is_none_or(|r| q.by.row_of(&key) == r)
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

/// The public page's columns: counts published per agency, each with its total.
pub const PUBLIC_COUNTS: &[Metric] = &[
    Metric::Received,
    Metric::Resolved,
    Metric::Within90,
    Metric::OverdueEver,
    Metric::NotAccepted,
    Metric::Substantiated,
];

/// A published count: the number, or hidden because it (or a count it would reveal) is small.
pub use minhbach_domain::disclosure::Shown;

/// One agency's public row.
#[derive(Clone, Debug)]
pub struct PublicRow {
    pub agency: AgencyId,
    /// One per [`PUBLIC_COUNTS`].
    pub counts: Vec<Shown>,
    /// Resolution deadlines kept out of those due, when both and their difference can be shown.
    pub on_time: Option<(u64, u64)>,
}

/// The figures anyone may see: per agency, with small counts hidden (see
/// `domain::disclosure`), the totals, the months, and the agencies ranked by resolution on time.
#[derive(Clone, Debug)]
pub struct PublicFigures {
    pub figures: Arc<Figures>,
    pub threshold: u64,
    pub rows: Vec<PublicRow>,
    /// One per [`PUBLIC_COUNTS`].
    pub totals: Vec<Shown>,
    /// Month of receipt, received and resolved in the city.
    pub months: Vec<(String, Shown, Shown)>,
    /// The agencies whose resolution figure can be shown, best first: (agency, kept, due).
    pub ranking: Vec<(AgencyId, u64, u64)>,
}

/// Whether a part `n` of `d` can be published with it: neither the part nor the rest small.
fn safe_share(n: u64, d: u64, k: u64) -> bool {
    let rest = d.saturating_sub(n);
    d >= k && (n == 0 || n >= k) && (rest == 0 || rest >= k)
}

/// The public figures of a period of receipt (every day if `None`), from the newest publication
/// or the one given.
pub async fn public(
    st: &App,
    publication: Option<i64>,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<Option<Arc<PublicFigures>>> {
    use minhbach_domain::disclosure::{suppress, Table as Grid};
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            return Err(DomainError::Invalid(vec![FieldError {
                field: "to",
                code: "period-ends-before-start",
            }])
            .into());
        }
    }
    let Some(figures) = published(st, publication).await? else {
        return Ok(None);
    };
    let k = st.settings.figures_threshold.max(2);
    // Partner organisations hold no cases; every other agency is listed, even with nothing.
    let agencies: Vec<AgencyId> = st
        .store
        .agencies()
        .await?
        .into_iter()
        .filter(|a| !minhbach_domain::organisation::PARTNER_KINDS.contains(&a.kind.as_str()))
        .map(|a| a.id)
        .collect();
    // A publication never changes: the same question gets the same tables, made once.
    let key = PublicKey {
        publication: figures.id,
        from,
        to,
        agencies: agencies.clone(),
    };
    if let Some(hit) = st
        .public_figures_cache
        .lock()
        .ok()
        .and_then(|c| c.get(&key).cloned())
    {
        return Ok(Some(hit));
    }
    let filter = Filter {
        from,
        to,
        ..Filter::default()
    };
    let (by_agency, _) = roll_up(&figures.cells, &filter, GroupBy::Agency);
    let counts_of = |a: &AgencyId| by_agency.get(&a.0.to_string()).copied().unwrap_or_default();
    // Months: agencies × months of received and of resolved, each suppressed as a whole table;
    // the chart shows the month totals.
    let mut month_keys: Vec<String> = Vec::new();
    let mut per: BTreeMap<(usize, String), Counts> = BTreeMap::new();
    for (key, c) in &figures.cells {
        if !filter.matches(key) {
            continue;
        }
        let Some(i) = agencies.iter().position(|a| *a == key.agency) else {
            continue;
        };
        let month = GroupBy::Month.row_of(key);
        if !month_keys.contains(&month) {
            month_keys.push(month.clone());
        }
        per.entry((i, month)).or_default().add(c);
    }
    month_keys.sort();
    let month_table = |m: Metric| {
        let mut cells = Vec::with_capacity(agencies.len() * month_keys.len());
        for i in 0..agencies.len() {
            for month in &month_keys {
                cells.push(per.get(&(i, month.clone())).map_or(0, |c| c.get(m)));
            }
        }
        suppress(
            &Grid {
                rows: agencies.len(),
                cols: month_keys.len(),
                cells,
            },
            k,
        )
    };
    let (received, resolved) = (month_table(Metric::Received), month_table(Metric::Resolved));
    // Received and resolved come from the tables by month (their row totals), so that what the
    // page shows per agency and per month is one table with one suppression; every other
    // column is a table of its own (agencies × 1, with its total).
    let mut columns = Vec::new();
    for m in PUBLIC_COUNTS {
        columns.push(match m {
            Metric::Received => (received.row_totals.clone(), received.total),
            Metric::Resolved => (resolved.row_totals.clone(), resolved.total),
            _ => {
                let p = suppress(
                    &Grid {
                        rows: agencies.len(),
                        cols: 1,
                        cells: agencies.iter().map(|a| counts_of(a).get(*m)).collect(),
                    },
                    k,
                );
                (p.cells, p.total)
            }
        });
    }
    let mut rows = Vec::new();
    let mut ranking = Vec::new();
    for (i, a) in agencies.iter().enumerate() {
        let c = counts_of(a);
        let (n, d) = (
            c.get(Metric::ResolutionOnTime),
            c.get(Metric::ResolutionDue),
        );
        let on_time = safe_share(n, d, k).then_some((n, d));
        if on_time.is_some() {
            ranking.push((*a, n, d));
        }
        rows.push(PublicRow {
            agency: *a,
            counts: columns.iter().map(|(cells, _)| cells[i]).collect(),
            on_time,
        });
    }
    // Best share first; ties by more deadlines, then by id.
    ranking.sort_by(|x, y| {
        (u128::from(y.1) * u128::from(x.2))
            .cmp(&(u128::from(x.1) * u128::from(y.2)))
            .then(y.2.cmp(&x.2))
            .then(x.0.cmp(&y.0))
    });
    let months = month_keys
        .iter()
        .enumerate()
        .map(|(j, m)| (m.clone(), received.col_totals[j], resolved.col_totals[j]))
        .collect();
    let made = Arc::new(PublicFigures {
        figures,
        threshold: k,
        rows,
        totals: columns.iter().map(|(_, total)| *total).collect(),
        months,
        ranking,
    });
    if let Ok(mut c) = st.public_figures_cache.lock() {
        // Older publications' tables are not asked for again; keep the cache small.
        c.retain(|k, _| k.publication == key.publication);
        if c.len() >= PUBLIC_CACHE_ENTRIES {
            c.clear();
        }
        c.insert(key, made.clone());
    }
    Ok(Some(made))
}

/// What a public table was made for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PublicKey {
    publication: i64,
    from: Option<Date>,
    to: Option<Date>,
    agencies: Vec<AgencyId>,
}

/// The public tables kept per process (each a few kilobytes).
const PUBLIC_CACHE_ENTRIES: usize = 64;

/// The public tables made from a publication, by question.
pub type PublicCache = std::sync::Mutex<std::collections::HashMap<PublicKey, Arc<PublicFigures>>>;

/// A partner organisation's own figures: the reports it forwarded (followed or not), as of the
/// newest publication; `None` before any.
pub async fn partner_figures(st: &App, s: &StaffSession) -> Result<Option<(Arc<Figures>, Counts)>> {
    let partner = match s.actor.agency {
        Some(a) if can(&s.actor, Action::ForwardAsPartner, None) => a,
        _ => return Err(DomainError::Forbidden.into()),
    };
    let Some(figures) = published(st, None).await? else {
        return Ok(None);
    };
    let filter = Filter {
        partner: Some(partner),
        ..Filter::default()
    };
    let (_, total) = roll_up(&figures.cells, &filter, GroupBy::Partner);
    Ok(Some((figures, total)))
}

/// Signs of gaming (issue 8, must-have 8): shares of an agency's cases that an honest agency
/// rarely shows, compared with the agencies of the same kind.
pub const SIGNALS: &[(&str, Metric, Metric)] = &[
    // Deadlines kept on the due date or the day before, out of those kept: closures bunched at
    // the deadline.
    ("at_deadline", Metric::AtDeadline, Metric::ResolutionOnTime),
    ("extended", Metric::Extended, Metric::Received),
    ("suspended", Metric::SuspendedNow, Metric::Received),
    ("ping_pong", Metric::PingPong, Metric::Forwarded),
    ("not_accepted", Metric::NotAccepted, Metric::Resolved),
];

/// One signal of one agency.
#[derive(Clone, Debug)]
pub struct Signal {
    pub code: &'static str,
    pub agency: AgencyId,
    /// The cases behind it (drill down with this metric) out of the denominator.
    pub metric: Metric,
    pub count: u64,
    pub of: u64,
    /// The median share among the other agencies of the same kind, in per mille; `None` when it
    /// has no peer with such cases (then nothing is compared, nothing flagged).
    pub peers_per_mille: Option<u64>,
    /// Far above its peers: at least twice their median, at least 10 %, on at least
    /// `figures_threshold` cases.
    pub flagged: bool,
}

fn per_mille(n: u64, d: u64) -> u64 {
    (n * 1000).checked_div(d).unwrap_or(0)
}

/// The signals of the agencies a reader may see, flagged ones first; `None` before any
/// publication.
pub async fn signals(
    st: &App,
    s: &StaffSession,
    q: &Query,
) -> Result<Option<(Arc<Figures>, Vec<Signal>)>> {
    let scoped = filter_for(st, s, q).await?;
    let Some(figures) = published(st, q.publication).await? else {
        return Ok(None);
    };
    // Peers are compared over every agency, whatever the reader's scope.
    let everyone = Filter {
        agencies: None,
        ..scoped.clone()
    };
    let (all, _) = roll_up(&figures.cells, &everyone, GroupBy::Agency);
    let agencies = st.store.agencies().await?;
    let kind_of = |id: &str| {
        agencies
            .iter()
            .find(|a| a.id.0.to_string() == id)
            .map(|a| a.kind.clone())
            .unwrap_or_default()
    };
    let k = st.settings.figures_threshold.max(2);
    let mut out = Vec::new();
    for (code, n, d) in SIGNALS {
        for (id, counts) in &all {
            let Ok(agency) = id.parse::<i64>().map(AgencyId) else {
                continue;
            };
            if scoped
                .agencies
                .as_ref()
                .is_some_and(|a| !a.contains(&agency))
            {
                continue;
            }
            let kind = kind_of(id);
            // The others of the same kind.
            let mut peers: Vec<u64> = all
                .iter()
                .filter(|(other, c)| *other != id && kind_of(other) == kind && c.get(*d) > 0)
                .map(|(_, c)| per_mille(c.get(*n), c.get(*d)))
                .collect();
            peers.sort_unstable();
            let median = peers.get(peers.len() / 2).copied();
            let (count, of) = (counts.get(*n), counts.get(*d));
            let share = per_mille(count, of);
            out.push(Signal {
                code,
                agency,
                metric: *n,
                count,
                of,
                peers_per_mille: median,
                flagged: median.is_some_and(|m| of >= k && share >= 100 && share >= 2 * m.max(1)),
            });
        }
    }
    out.sort_by_key(|s| (!s.flagged, std::cmp::Reverse(per_mille(s.count, s.of))));
    Ok(Some((figures, out)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_publication_round_trips_and_one_of_fewer_metrics_still_reads() {
        let day = time::macros::date!(2026 - 12 - 04);
        let key = CellKey {
            agency: AgencyId(3),
            received: day.to_julian_day(),
            category: "land".into(),
            channel: "web".into(),
            partner: None,
        };
        let mut counts = Counts::default();
        counts.0[Metric::Received as usize] = 7;
        counts.0[Metric::AtDeadline as usize] = 2;
        let cells: BTreeMap<_, _> = [(key.clone(), counts)].into_iter().collect();
        let (back, metrics) = decode(&encode(day, &cells).unwrap()).unwrap();
        assert_eq!(back, cells);
        assert_eq!(metrics, Metric::ALL);
        // Published before "at_deadline" existed, with a metric since dropped.
        let old = format!(
            r#"{{"version":1,"as_of":"2026-12-04","metrics":["received","gone","resolved"],"cells":[[3,{},"land","web",null,[7,9,4]]]}}"#,
            day.to_julian_day()
        );
        let (back, metrics) = decode(&old).unwrap();
        assert_eq!(metrics, [Metric::Received, Metric::Resolved]);
        assert_eq!(back[&key].get(Metric::Received), 7);
        assert_eq!(back[&key].get(Metric::Resolved), 4);
        assert_eq!(back[&key].get(Metric::AtDeadline), 0);
    }
}

//! Synthetic cases for load tests (`minhbach demo --cases N`, the `bench-inbox` benchmark).
//!
//! The generated cases look like two years of a city's work to the queries that matter at scale
//! (the inbox ordered by deadline, the overdue scan, counts per agency): agencies, categories,
//! tracks, states, receipt dates, due dates and the open clocks are spread the way a real
//! deployment spreads them. They are NOT real cases:
//!
//! - they are marked `demo = 1`, and their references use the prefix `SY` with seven digits
//!   (`SY-2026-0000042`), which a real reference (nine digits) never equals;
//! - every sealed column (content, identity, the reporter's and the recovery wraps) holds random
//!   bytes, not ciphertext, and no `case_keys` rows exist: no key opens a synthetic case, so it
//!   shows in the inbox but cannot be opened, read or decided on;
//! - the history is a plausible outline, not a replay of the workflow: the submission event,
//!   a forwarding, the acceptance or refusal, a referral and the final decision (with a finding),
//!   and the acknowledgement, triage and resolution clocks with when they were completed, met or
//!   breached; the intermediate steps (triage started, assignment, verification) are not
//!   generated. The figures (`domain::statistics`) count exactly what is there;
//! - reports arrive by every channel, a few through a partner organisation.
//!
//! Rows are inserted in batches (one transaction per batch, with one `demo.synthetic_cases`
//! audit event each), as multi-row `INSERT … VALUES` statements of at most [`rows_per_statement`]
//! rows. The randomness is a seeded SplitMix64, so a seed gives the same data set (the store has
//! no other source of randomness and needs none).

use std::collections::HashMap;
use std::sync::Arc;

use minhbach_domain::{AgencyId, CaseState, Role, Track};
use sqlx::{Executor, Row};
use time::{Date, Weekday};

use crate::audit::AuditEntry;
use crate::backend::Backend;
use crate::records::InboxQuery;
use crate::sql::{append_audit, SqlStore};
use crate::write::WriteKind;
use crate::{Result, StoreError};

/// Rows per multi-row `INSERT` (22 bound values per case row). PostgreSQL: 1,000 rows, 22,000
/// parameters, well under its limit of 65,535. SQLite: 40 rows (880 parameters), because
/// binding costs O(parameters²) there: sqlx looks up the name of every `$n` parameter with
/// `sqlite3_bind_parameter_name`, which walks the statement's list of names; at 21,000
/// parameters that walk took 95 % of the time (0.5 s per statement).
pub fn rows_per_statement(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 40,
        Backend::Postgres => 1_000,
    }
}

/// Prefix of synthetic references.
pub const SYNTHETIC_PREFIX: &str = "SY";

/// What to generate.
#[derive(Clone)]
pub struct SyntheticSpec {
    /// How many cases to add.
    pub cases: u64,
    /// Today in Vietnam: due dates are spread around it, receipts over the two years before.
    pub today: Date,
    /// Unix seconds: `created_at` of the clocks and `at` of the audit events.
    pub now: i64,
    /// Seed of the generator (the same seed on the same database gives the same cases).
    pub seed: u64,
    /// Rows per transaction.
    pub batch_rows: usize,
    /// About this many open clocks are left past due and not yet marked breached (as if the
    /// overdue scan had not run since they fell due), so the next scan has work to do. The
    /// other overdue clocks are already breached (`breached_at` set, the case marked overdue).
    pub pending_breaches: u64,
    /// Called after every committed batch with the number of cases added so far.
    pub progress: Option<Arc<dyn Fn(u64) + Send + Sync>>,
}

impl SyntheticSpec {
    pub fn new(cases: u64, today: Date, now: i64) -> Self {
        SyntheticSpec {
            cases,
            today,
            now,
            seed: 0x6d69_6e68_6261_6368,
            batch_rows: 5_000,
            pending_breaches: 3_000,
            progress: None,
        }
    }
}

impl std::fmt::Debug for SyntheticSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyntheticSpec")
            .field("cases", &self.cases)
            .field("today", &self.today)
            .field("seed", &self.seed)
            .field("batch_rows", &self.batch_rows)
            .field("pending_breaches", &self.pending_breaches)
            .finish_non_exhaustive()
    }
}

/// Bulk data for load tests, and the query plans the benchmark reports.
#[async_trait::async_trait]
pub trait SyntheticStore: Send + Sync + 'static {
    /// Adds `spec.cases` synthetic cases with their open clocks, then refreshes the planner
    /// statistics. Returns how many cases were added. Needs the agencies and categories (seed
    /// the demo city first).
    async fn generate_cases(&self, spec: &SyntheticSpec) -> Result<u64>;
    /// The plans of the two statements [`crate::Store::inbox`] runs for `query` (the page and
    /// the count): `EXPLAIN QUERY PLAN` on SQLite; `EXPLAIN` on PostgreSQL, or
    /// `EXPLAIN (ANALYZE, BUFFERS)` when `analyze` (which runs the statements).
    async fn explain_inbox(&self, query: &InboxQuery, analyze: bool) -> Result<Vec<String>>;
    /// Open clocks that the overdue scan at `today` would mark breached.
    async fn overdue_candidates(&self, today: &str) -> Result<u64>;
    /// Exact number of cases per agency (the inbox's own count stops at its cap).
    async fn cases_per_agency(&self) -> Result<Vec<(AgencyId, i64)>>;
}

/// SplitMix64: small, fast, and good enough for test data.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `lo..=hi` days.
    fn days(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1);
        lo + i64::try_from(self.below(span)).unwrap_or(0)
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }

    fn bytes_between(&mut self, lo: usize, hi: usize) -> Vec<u8> {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1);
        let len = lo + usize::try_from(self.below(span)).unwrap_or(0);
        self.bytes(len)
    }

    /// An index into `weights`, chosen in proportion to them.
    fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut pick = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if pick < *w {
                return i;
            }
            pick -= w;
        }
        weights.len().saturating_sub(1)
    }
}

/// The SplitMix64 finaliser: a bijection of u64.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Where a case stands, as far as its clocks go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The triage clock runs (7 working days).
    Triage,
    /// The resolution clock runs (30 days).
    Resolution,
    /// The resolution clock is paused: no due date.
    Suspended,
    /// No clock runs: a final state, or one whose clocks are not generated.
    Done,
}

/// States and their share per thousand cases: most cases are finished or in resolution, some in
/// triage, a few suspended.
const STATES: [(CaseState, Phase, u64); 15] = [
    (CaseState::Received, Phase::Triage, 15),
    (CaseState::Triage, Phase::Triage, 30),
    (CaseState::Forwarded, Phase::Triage, 10),
    (CaseState::Accepted, Phase::Resolution, 30),
    (CaseState::Verifying, Phase::Resolution, 90),
    (CaseState::Suspended, Phase::Suspended, 15),
    (CaseState::CriminalReferral, Phase::Done, 20),
    (CaseState::NotAccepted, Phase::Done, 80),
    (CaseState::Duplicate, Phase::Done, 30),
    (CaseState::Archived, Phase::Done, 50),
    (CaseState::Terminated, Phase::Done, 30),
    (CaseState::Concluded, Phase::Done, 20),
    (CaseState::Handling, Phase::Done, 15),
    (CaseState::Published, Phase::Done, 30),
    (CaseState::Closed, Phase::Done, 535),
];

/// Overdue open clocks, per thousand: triage 150 ‰ of 55 ‰ of the cases, resolution 270 ‰ of
/// 120 ‰: about 4 % of all cases are overdue.
const TRIAGE_OVERDUE: u64 = 150;
const RESOLUTION_OVERDUE: u64 = 270;
const OVERDUE_SHARE: f64 = (55.0 * 150.0 + 120.0 * 270.0) / 1_000_000.0;

/// Tracks once classified, per thousand.
const TRACKS: [(Track, u64); 6] = [
    (Track::Denunciation, 450),
    (Track::Petition, 250),
    (Track::Complaint, 150),
    (Track::AnonymousInformation, 90),
    (Track::CrimeInformation, 45),
    (Track::Retaliation, 15),
];

/// The data set runs the `resolution` clock on the denunciation, petition and complaint tracks
/// (an internal report would run its own 15-day clock).
fn resolution_track(rng: &mut Rng) -> &'static str {
    TRACKS[usize::try_from(rng.below(3)).unwrap_or(0)].0.code()
}

/// Share of the intake by agency kind: wards and the inspectorate receive most reports.
fn agency_weight(kind: &str) -> u64 {
    match kind {
        "ward" => 30,
        "inspectorate" => 25,
        "department" => 10,
        "investigation" => 5,
        // Partner organisations forward reports; they never hold one.
        k if minhbach_domain::organisation::PARTNER_KINDS.contains(&k) => 0,
        _ => 3,
    }
}

/// Share of the intake by category (the demo's codes; others get an average share).
fn category_weight(code: &str) -> u64 {
    match code {
        "land" => 30,
        "construction" => 20,
        "procurement" => 12,
        "budget" => 10,
        "other" => 12,
        _ => 8,
    }
}

/// A clock of a generated case: the running one, or one completed earlier.
struct ClockSpec {
    name: &'static str,
    /// The agency whose clock it is; `None`: the case's.
    agency: Option<i64>,
    started_on: Date,
    ops: String,
    due_on: Option<Date>,
    breached_at: Option<i64>,
    completed_on: Option<Date>,
    met: Option<bool>,
}

impl ClockSpec {
    fn open(name: &'static str, started_on: Date, due_on: Option<Date>) -> Self {
        ClockSpec {
            name,
            agency: None,
            started_on,
            ops: "[]".into(),
            due_on,
            breached_at: None,
            completed_on: None,
            met: None,
        }
    }

    /// A clock of `agency` that ran from `started` to `done` (if that day has come by `today`)
    /// against a deadline `length` days after its start: met if done by then, otherwise
    /// breached the day after the deadline.
    fn finished(
        name: &'static str,
        agency: i64,
        started: Date,
        length: i64,
        done: Date,
        today: Date,
    ) -> Self {
        let due = add_days(started, length);
        let completed = (done <= today).then_some(done);
        let late = completed.map_or(due < today, |d| d > due);
        ClockSpec {
            name,
            agency: Some(agency),
            started_on: started,
            ops: "[]".into(),
            due_on: Some(due),
            breached_at: late.then(|| local_time(add_days(due, 1), 120)),
            completed_on: completed,
            met: completed.map(|_| !late),
        }
    }
}

/// An event of a generated case's history.
struct EventSpec {
    at: i64,
    kind: &'static str,
    from_state: Option<&'static str>,
    to_state: &'static str,
    from_agency: Option<i64>,
    to_agency: i64,
    detail: &'static str,
}

fn state_of(code: &str) -> CaseState {
    CaseState::from_code(code).unwrap_or(CaseState::Closed)
}

/// Channels of the reports that are not sent through the API, per thousand.
const CHANNELS: [(&str, u64); 8] = [
    ("web", 560),
    ("walk_in", 110),
    ("hotline", 80),
    ("letter", 110),
    ("email", 40),
    ("portal_transfer", 60),
    ("agency_transfer", 25),
    ("front_committee", 15),
];

struct CaseSpec {
    reference: String,
    receipt_lookup: Vec<u8>,
    agency: i64,
    category: String,
    state: &'static str,
    channel: &'static str,
    anonymous: bool,
    track: Option<&'static str>,
    forward_hops: i64,
    forwarded_by: Option<i64>,
    assignee: Option<i64>,
    received_at: i64,
    updated_at: i64,
    content: Vec<u8>,
    key_reporter: Vec<u8>,
    key_recovery: Vec<u8>,
    identity: Option<(Vec<u8>, Vec<u8>, Vec<u8>)>,
    due_on: Option<Date>,
    overdue: bool,
    clock: Option<ClockSpec>,
    partner: Option<i64>,
    /// Completed clocks of the earlier steps.
    history_clocks: Vec<ClockSpec>,
    events: Vec<EventSpec>,
    /// The reporter's word after the outcome: when, and whether satisfied.
    feedback: Option<(i64, bool)>,
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn add_days(d: Date, days: i64) -> Date {
    d.checked_add(time::Duration::days(days)).unwrap_or(d)
}

/// A due date falling on a weekend moves to the next Monday (future dates) or back to the
/// Friday before (past dates, which must stay past).
fn working_day(d: Date, forward: bool) -> Date {
    match (d.weekday(), forward) {
        (Weekday::Saturday, true) => add_days(d, 2),
        (Weekday::Sunday, true) => add_days(d, 1),
        (Weekday::Saturday, false) => add_days(d, -1),
        (Weekday::Sunday, false) => add_days(d, -2),
        _ => d,
    }
}

/// Unix seconds of `seconds` after midnight of `d` in Vietnam (UTC+7).
fn local_time(d: Date, seconds: i64) -> i64 {
    const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;
    (i64::from(d.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY) * 86_400 - 7 * 3_600 + seconds
}

/// The rule set in force on the day a clock started.
fn rule_set(started: Date) -> &'static str {
    if iso(started).as_str() >= "2026-07-01" {
        "2026-07-01"
    } else {
        "2025-07-01"
    }
}

/// What the generator draws from: the agencies with their weights and handlers, the categories.
struct Universe {
    agencies: Vec<i64>,
    agency_weights: Vec<u64>,
    /// Partner organisations, with whether each is a Front committee.
    partners: Vec<(i64, bool)>,
    channel_weights: Vec<u64>,
    handlers: HashMap<i64, Vec<i64>>,
    categories: Vec<String>,
    category_weights: Vec<u64>,
    state_weights: Vec<u64>,
    track_weights: Vec<u64>,
}

impl Universe {
    async fn load(store: &SqlStore) -> Result<Self> {
        let rows = sqlx::query("SELECT id, kind FROM agencies ORDER BY id")
            .fetch_all(&store.write)
            .await?;
        let mut agencies = Vec::new();
        let mut agency_weights = Vec::new();
        let mut partners = Vec::new();
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let kind: String = r.try_get("kind")?;
            agencies.push(id);
            agency_weights.push(agency_weight(&kind));
            if minhbach_domain::organisation::PARTNER_KINDS.contains(&kind.as_str()) {
                partners.push((id, kind == "front"));
            }
        }
        let rows = sqlx::query("SELECT code FROM categories ORDER BY position, code")
            .fetch_all(&store.write)
            .await?;
        let mut categories = Vec::new();
        let mut category_weights = Vec::new();
        for r in &rows {
            let code: String = r.try_get("code")?;
            category_weights.push(category_weight(&code));
            categories.push(code);
        }
        if agencies.is_empty() || categories.is_empty() {
            return Err(StoreError::Corrupt(
                "synthetic cases need agencies and categories: seed the demo city first".into(),
            ));
        }
        let rows = sqlx::query(
            "SELECT id, agency_id FROM users WHERE role = $1 AND active = 1 \
             AND agency_id IS NOT NULL ORDER BY id",
        )
        .bind(Role::Handler.code())
        .fetch_all(&store.write)
        .await?;
        let mut handlers: HashMap<i64, Vec<i64>> = HashMap::new();
        for r in &rows {
            handlers
                .entry(r.try_get("agency_id")?)
                .or_default()
                .push(r.try_get("id")?);
        }
        Ok(Universe {
            agencies,
            agency_weights,
            partners,
            channel_weights: CHANNELS.iter().map(|c| c.1).collect(),
            handlers,
            categories,
            category_weights,
            state_weights: STATES.iter().map(|s| s.2).collect(),
            track_weights: TRACKS.iter().map(|t| t.1).collect(),
        })
    }

    fn track(&self, rng: &mut Rng) -> &'static str {
        TRACKS[rng.weighted(&self.track_weights)].0.code()
    }

    /// Case number `n` (1-based over all synthetic cases of the database).
    fn case(
        &self,
        rng: &mut Rng,
        n: u64,
        spec: &SyntheticSpec,
        pending_per_mille: u64,
    ) -> CaseSpec {
        let today = spec.today;
        let agency = self.agencies[rng.weighted(&self.agency_weights)];
        let category = self.categories[rng.weighted(&self.category_weights)].clone();
        let (state, phase, _) = STATES[rng.weighted(&self.state_weights)];
        let anonymous = rng.chance(300);
        let channel = if rng.chance(150) { "api" } else { "web" };
        let mut track = None;
        let mut forward_hops = 0;
        let mut forwarded_by = None;
        let mut assignee = None;
        let mut clock = None;
        let mut due_on = None;
        let mut overdue = false;
        // Seconds into the working day the report arrived (08:00–17:00).
        let at_hour = i64::try_from(rng.below(9 * 3_600)).unwrap_or(0) + 8 * 3_600;
        let received: Date;
        let mut updated_at: Option<i64> = None;

        match phase {
            Phase::Triage | Phase::Resolution => {
                let (name, length, overdue_per_mille) = if phase == Phase::Triage {
                    // 7 working days is about 10 calendar days.
                    ("triage", 10, TRIAGE_OVERDUE)
                } else {
                    ("resolution", 30, RESOLUTION_OVERDUE)
                };
                let late = rng.chance(overdue_per_mille);
                let pending = late && rng.below(1_000_000) < pending_per_mille;
                let due = if pending {
                    // Fell due in the last days; the scan has not marked it yet.
                    working_day(add_days(today, -rng.days(1, 3)), false)
                } else if late {
                    working_day(add_days(today, -rng.days(1, 90)), false)
                } else {
                    working_day(add_days(today, rng.days(0, length)), true)
                };
                let started = add_days(due, -length);
                received = if phase == Phase::Triage {
                    started
                } else {
                    // Triage took a few days before the acceptance started the resolution clock.
                    add_days(started, -rng.days(3, 20))
                };
                let breached_at = (late && !pending).then(|| {
                    local_time(add_days(due, 1), i64::try_from(rng.below(300)).unwrap_or(0))
                });
                overdue = breached_at.is_some();
                due_on = Some(due);
                updated_at = Some(local_time(
                    if phase == Phase::Triage {
                        received
                    } else {
                        started
                    },
                    at_hour + 3_600,
                ));
                clock = Some(ClockSpec {
                    breached_at,
                    ..ClockSpec::open(name, started, Some(due))
                });
                if phase == Phase::Resolution {
                    track = Some(resolution_track(rng));
                    assignee = self.handler(rng, agency);
                } else if state != CaseState::Received && rng.chance(500) {
                    // Classified during triage.
                    track = Some(self.track(rng));
                }
                if state == CaseState::Forwarded {
                    forward_hops = 1;
                    forwarded_by = self.other_agency(rng, agency);
                }
            }
            Phase::Suspended => {
                let paused = add_days(today, -rng.days(1, 300));
                let started = add_days(paused, -rng.days(5, 29));
                received = add_days(started, -rng.days(3, 20));
                track = Some(resolution_track(rng));
                assignee = self.handler(rng, agency);
                updated_at = Some(local_time(paused, at_hour));
                clock = Some(ClockSpec {
                    ops: format!(r#"[{{"op":"pause","on":"{}"}}]"#, iso(paused)),
                    ..ClockSpec::open("resolution", started, None)
                });
            }
            Phase::Done => {
                received = add_days(today, -rng.days(0, 729));
                if state != CaseState::Duplicate || rng.chance(500) {
                    track = Some(self.track(rng));
                }
            }
        }
        let received_at = local_time(received, at_hour).min(spec.now);
        let updated_at = updated_at
            .unwrap_or_else(|| received_at + rng.days(1, 120) * 86_400)
            .clamp(received_at, spec.now.max(received_at));

        // Unique: the first 8 bytes are a bijection of the case number.
        let mut receipt_lookup = mix(n ^ spec.seed).to_be_bytes().to_vec();
        receipt_lookup.extend(rng.bytes(24));
        let identity =
            (!anonymous).then(|| (rng.bytes_between(96, 320), rng.bytes(88), rng.bytes(88)));
        let mut case = CaseSpec {
            reference: format!("{SYNTHETIC_PREFIX}-{}-{n:07}", received.year()),
            receipt_lookup,
            agency,
            category,
            state: state.code(),
            channel,
            anonymous,
            track,
            forward_hops,
            forwarded_by,
            assignee,
            received_at,
            updated_at,
            content: rng.bytes_between(256, 1_280),
            key_reporter: rng.bytes(88),
            key_recovery: rng.bytes(88),
            identity,
            due_on,
            overdue,
            clock,
            partner: None,
            history_clocks: Vec::new(),
            events: Vec::new(),
            feedback: None,
        };
        // The history draws from a generator of its own, so that the cases' other columns stay
        // what earlier versions generated for the same seed.
        let mut hr = Rng(mix(n ^ spec.seed ^ 0x6869_7374_6f72_7900));
        self.history(&mut hr, &mut case, phase, received, today, spec.now);
        case
    }

    /// The channel, partner, events and finished clocks of a case (see the module's
    /// documentation).
    #[allow(clippy::too_many_arguments)]
    fn history(
        &self,
        hr: &mut Rng,
        c: &mut CaseSpec,
        phase: Phase,
        received: Date,
        today: Date,
        now: i64,
    ) {
        if c.channel != "api" {
            c.channel = CHANNELS[hr.weighted(&self.channel_weights)].0;
        }
        let fronts: Vec<i64> = self.partners.iter().filter(|p| p.1).map(|p| p.0).collect();
        c.partner = match c.channel {
            "front_committee" if !fronts.is_empty() => fronts
                .get(usize::try_from(hr.below(fronts.len() as u64)).unwrap_or(0))
                .copied(),
            "walk_in" | "letter" if !self.partners.is_empty() && hr.chance(100) => self
                .partners
                .get(usize::try_from(hr.below(self.partners.len() as u64)).unwrap_or(0))
                .map(|p| p.0),
            _ => None,
        };
        let holder = c.agency;
        let first = c.forwarded_by.unwrap_or(holder);
        let state = state_of(c.state);
        // How a finished case ended: closed cases in any of the ways, the others in the way
        // their state says.
        let ending = match state {
            CaseState::Closed => ["conclude", "conclude", "not_accept", "archive"]
                [usize::try_from(hr.below(4)).unwrap_or(0)],
            CaseState::NotAccepted => "not_accept",
            CaseState::Duplicate => "mark_duplicate",
            CaseState::Archived => "archive",
            CaseState::Terminated => "terminate",
            CaseState::CriminalReferral => "refer_criminal",
            _ => "conclude",
        };
        let resolved = phase == Phase::Done && matches!(ending, "conclude" | "terminate");
        // Most agencies keep most deadlines: the triage decision within its 10 days for 88 %,
        // the resolution within its time (30 days, 60 with a lawful extension) for 85 %; the
        // rest late by up to six weeks.
        let triaged = add_days(
            received,
            if hr.chance(880) {
                hr.days(1, 10)
            } else {
                hr.days(11, 40)
            },
        )
        .min(today);
        let resolution_length = if hr.chance(250) { 60 } else { 30 };
        let decided = if resolved {
            add_days(
                triaged,
                if hr.chance(850) {
                    hr.days(5, resolution_length)
                } else {
                    resolution_length + hr.days(1, 40)
                },
            )
            .min(today)
        } else {
            triaged
        };
        if phase == Phase::Done {
            c.updated_at = local_time(decided, 15 * 3_600).min(now).max(c.received_at);
        }
        // A forwarded case was forwarded one to twelve days after it came in, and was last
        // touched no earlier than that.
        let forward_day = c
            .forwarded_by
            .map(|_| add_days(received, hr.days(1, 12)).min(today));
        if let Some(day) = forward_day {
            c.updated_at = c.updated_at.max(local_time(day, 17 * 3_600).min(now));
        }
        let (received_at, until) = (c.received_at, c.updated_at.max(c.received_at));
        let at = |d: Date, hr: &mut Rng| {
            (local_time(d, 8 * 3_600) + i64::try_from(hr.below(9 * 3_600)).unwrap_or(0))
                .clamp(received_at, until)
        };
        let mut events = vec![EventSpec {
            at: received_at,
            kind: "submitted",
            from_state: None,
            to_state: CaseState::Received.code(),
            from_agency: None,
            to_agency: first,
            detail: "{}",
        }];
        let mut clocks = Vec::new();
        // The acknowledgement: nearly always within the week.
        let ack = add_days(
            received,
            if hr.chance(970) {
                hr.days(0, 3)
            } else {
                hr.days(8, 20)
            },
        );
        clocks.push(ClockSpec::finished(
            "acknowledge",
            first,
            received,
            7,
            ack,
            today,
        ));
        if let Some(day) = forward_day {
            clocks.push(ClockSpec::finished(
                "triage", first, received, 10, day, today,
            ));
            events.push(EventSpec {
                at: at(day, hr),
                kind: "forward",
                from_state: Some(CaseState::Triage.code()),
                to_state: CaseState::Forwarded.code(),
                from_agency: Some(first),
                to_agency: holder,
                detail: "{}",
            });
        }
        let accept_event = |day: Date, hr: &mut Rng| EventSpec {
            at: at(day, hr),
            kind: "accept",
            from_state: Some(CaseState::Triage.code()),
            to_state: CaseState::Accepted.code(),
            from_agency: Some(holder),
            to_agency: holder,
            detail: "{}",
        };
        match phase {
            Phase::Triage => {}
            Phase::Resolution | Phase::Suspended => {
                if let Some(open) = &c.clock {
                    let day = open.started_on;
                    clocks.push(ClockSpec::finished(
                        "triage", holder, received, 10, day, today,
                    ));
                    events.push(accept_event(day, hr));
                }
            }
            Phase::Done => {
                let to_state = match ending {
                    "not_accept" => CaseState::NotAccepted,
                    "mark_duplicate" => CaseState::Duplicate,
                    "archive" => CaseState::Archived,
                    "terminate" => CaseState::Terminated,
                    "refer_criminal" => CaseState::CriminalReferral,
                    _ => CaseState::Concluded,
                };
                let mut from_state = CaseState::Triage;
                clocks.push(ClockSpec::finished(
                    "triage", holder, received, 10, triaged, today,
                ));
                if resolved {
                    events.push(accept_event(triaged, hr));
                    clocks.push(ClockSpec::finished(
                        "resolution",
                        holder,
                        triaged,
                        resolution_length,
                        decided,
                        today,
                    ));
                    from_state = CaseState::Verifying;
                }
                let detail = if ending == "conclude" {
                    [
                        r#"{"finding":"substantiated"}"#,
                        r#"{"finding":"partly"}"#,
                        r#"{"finding":"unfounded"}"#,
                        r#"{"finding":"unfounded"}"#,
                    ][usize::try_from(hr.below(4)).unwrap_or(0)]
                } else {
                    "{}"
                };
                let last = events.last().map_or(0, |e| e.at);
                let ended = at(decided, hr).max(last);
                events.push(EventSpec {
                    at: ended,
                    kind: ending,
                    from_state: Some(from_state.code()),
                    to_state: to_state.code(),
                    from_agency: Some(holder),
                    to_agency: holder,
                    detail,
                });
                // A third of the reporters say what they think of the outcome within three
                // weeks: most are satisfied with a finding that their report was true, fewer
                // with one that it was not, or with a refusal.
                if ending != "refer_criminal" && hr.chance(350) {
                    let pleased = match detail {
                        r#"{"finding":"substantiated"}"# => 850,
                        r#"{"finding":"partly"}"# => 600,
                        _ => 300,
                    };
                    let said = ended + hr.days(1, 21) * 86_400;
                    if said < now {
                        c.feedback = Some((said, hr.chance(pleased)));
                    }
                }
            }
        }
        c.events = events;
        c.history_clocks = clocks;
    }

    fn handler(&self, rng: &mut Rng, agency: i64) -> Option<i64> {
        let list = self.handlers.get(&agency)?;
        let i = usize::try_from(rng.below(u64::try_from(list.len()).unwrap_or(1))).ok()?;
        list.get(i).copied()
    }

    fn other_agency(&self, rng: &mut Rng, agency: i64) -> Option<i64> {
        let others: Vec<i64> = self
            .agencies
            .iter()
            .zip(&self.agency_weights)
            .filter(|(a, w)| **a != agency && **w > 0)
            .map(|(a, _)| *a)
            .collect();
        let i = usize::try_from(rng.below(u64::try_from(others.len()).ok()?)).ok()?;
        others.get(i).copied()
    }
}

/// `($k+1, …, $k+per_row<tail>)` for each row, numbered from `$1`.
fn values(rows: usize, per_row: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(rows * per_row * 6);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..per_row {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * per_row + c + 1).to_string());
        }
        sql.push_str(tail);
        sql.push(')');
    }
    sql
}

const CASE_INSERT: &str = "INSERT INTO cases (reference, receipt_lookup, agency_id, category, \
     state, channel, anonymous, track, forward_hops, forwarded_by, assignee_id, received_at, \
     updated_at, content_sealed, case_key_reporter, case_key_recovery, identity_sealed, \
     identity_key_reporter, identity_key_recovery, due_on, overdue, partner_id, demo) VALUES ";
const CASE_BINDS: usize = 22;
const CLOCK_INSERT: &str = "INSERT INTO case_clocks (case_id, clock, rule_id, rule_set, \
     agency_id, started_on, ops, due_on, breached_at, completed_on, met, created_at) VALUES ";
const CLOCK_BINDS: usize = 12;
const EVENT_INSERT: &str = "INSERT INTO case_events (case_id, at, kind, from_state, to_state, \
     from_agency_id, to_agency_id, detail) VALUES ";
const EVENT_BINDS: usize = 8;

impl SqlStore {
    /// One batch in one transaction: the cases, their clocks, one audit event.
    async fn insert_synthetic(&self, mut cases: Vec<CaseSpec>, now: i64) -> Result<()> {
        let first = cases.first().map(|c| c.reference.clone());
        let last = cases.last().map(|c| c.reference.clone());
        let count = cases.len();
        let per_statement = rows_per_statement(self.backend);
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let mut clocks: Vec<(i64, i64, ClockSpec)> = Vec::new();
        let mut events: Vec<(i64, EventSpec)> = Vec::new();
        let mut answers: Vec<(i64, i64, bool)> = Vec::new();
        while !cases.is_empty() {
            let rest = cases.split_off(cases.len().min(per_statement));
            let chunk = std::mem::replace(&mut cases, rest);
            let sql = format!(
                "{CASE_INSERT}{} RETURNING id, reference",
                values(chunk.len(), CASE_BINDS, ", 1")
            );
            let mut q = sqlx::query(&sql);
            type Pending = (i64, Vec<ClockSpec>, Vec<EventSpec>, Option<(i64, bool)>);
            let mut pending: HashMap<String, Pending> = HashMap::new();
            for c in chunk {
                let (identity, identity_reporter, identity_recovery) = match c.identity {
                    Some((i, r, k)) => (Some(i), Some(r), Some(k)),
                    None => (None, None, None),
                };
                q = q
                    .bind(c.reference.clone())
                    .bind(c.receipt_lookup)
                    .bind(c.agency)
                    .bind(c.category)
                    .bind(c.state)
                    .bind(c.channel)
                    .bind(i64::from(c.anonymous))
                    .bind(c.track)
                    .bind(c.forward_hops)
                    .bind(c.forwarded_by)
                    .bind(c.assignee)
                    .bind(c.received_at)
                    .bind(c.updated_at)
                    .bind(c.content)
                    .bind(c.key_reporter)
                    .bind(c.key_recovery)
                    .bind(identity)
                    .bind(identity_reporter)
                    .bind(identity_recovery)
                    .bind(c.due_on.map(iso))
                    .bind(i64::from(c.overdue))
                    .bind(c.partner);
                let mut own = c.history_clocks;
                own.extend(c.clock);
                pending.insert(c.reference, (c.agency, own, c.events, c.feedback));
            }
            for row in q.fetch_all(&mut *tx).await? {
                let reference: String = row.try_get("reference")?;
                if let Some((agency, own, history, feedback)) = pending.remove(&reference) {
                    let id: i64 = row.try_get("id")?;
                    clocks.extend(own.into_iter().map(|k| (id, agency, k)));
                    events.extend(history.into_iter().map(|e| (id, e)));
                    answers.extend(feedback.map(|(at, yes)| (id, at, yes)));
                }
            }
        }
        while !events.is_empty() {
            let rest = events.split_off(events.len().min(per_statement));
            let chunk = std::mem::replace(&mut events, rest);
            let sql = format!("{EVENT_INSERT}{}", values(chunk.len(), EVENT_BINDS, ""));
            let mut q = sqlx::query(&sql);
            for (case, e) in chunk {
                q = q
                    .bind(case)
                    .bind(e.at)
                    .bind(e.kind)
                    .bind(e.from_state)
                    .bind(e.to_state)
                    .bind(e.from_agency)
                    .bind(e.to_agency)
                    .bind(e.detail);
            }
            q.execute(&mut *tx).await?;
        }
        while !clocks.is_empty() {
            let rest = clocks.split_off(clocks.len().min(per_statement));
            let chunk = std::mem::replace(&mut clocks, rest);
            let sql = format!("{CLOCK_INSERT}{}", values(chunk.len(), CLOCK_BINDS, ""));
            let mut q = sqlx::query(&sql);
            for (case, agency, c) in chunk {
                q = q
                    .bind(case)
                    .bind(c.name)
                    .bind(c.name)
                    .bind(rule_set(c.started_on))
                    .bind(c.agency.unwrap_or(agency))
                    .bind(iso(c.started_on))
                    .bind(c.ops)
                    .bind(c.due_on.map(iso))
                    .bind(c.breached_at)
                    .bind(c.completed_on.map(iso))
                    .bind(c.met.map(i64::from))
                    .bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        while !answers.is_empty() {
            let rest = answers.split_off(answers.len().min(per_statement));
            let chunk = std::mem::replace(&mut answers, rest);
            let sql = format!(
                "INSERT INTO outcome_feedback (case_id, answered_at, satisfied) VALUES {}",
                values(chunk.len(), 3, "")
            );
            let mut q = sqlx::query(&sql);
            for (case, at, yes) in chunk {
                q = q.bind(case).bind(at).bind(i64::from(yes));
            }
            q.execute(&mut *tx).await?;
        }
        let audit = AuditEntry::new(now, "cli", "demo.synthetic_cases", None)
            .with_detail(serde_json::json!({ "cases": count, "first": first, "last": last }));
        append_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl SyntheticStore for SqlStore {
    async fn generate_cases(&self, spec: &SyntheticSpec) -> Result<u64> {
        let universe = Universe::load(self).await?;
        // Numbering goes on after the synthetic cases already there, so references stay unique
        // when the generator runs again.
        let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM cases WHERE reference LIKE $1")
            .bind(format!("{SYNTHETIC_PREFIX}-%"))
            .fetch_one(&self.write)
            .await?
            .try_get("n")?;
        let start = u64::try_from(existing).unwrap_or(0);
        let mut rng = Rng(mix(spec.seed ^ mix(start)));
        // Chance (per million) that an overdue clock is left for the scan.
        let expected_overdue = (spec.cases as f64 * OVERDUE_SHARE).max(1.0);
        let pending_per_mille = ((spec.pending_breaches as f64 / expected_overdue) * 1e6) as u64;
        let batch = u64::try_from(spec.batch_rows.max(1)).unwrap_or(5_000);
        let mut done = 0u64;
        while done < spec.cases {
            let n = batch.min(spec.cases - done);
            let cases = (0..n)
                .map(|i| universe.case(&mut rng, start + done + i + 1, spec, pending_per_mille))
                .collect();
            self.insert_synthetic(cases, spec.now).await?;
            done += n;
            if let Some(progress) = &spec.progress {
                progress(done);
            }
        }
        // Planner statistics for the new distribution. On PostgreSQL, VACUUM also sets the
        // visibility map (index-only scans) and the hint bits, as autovacuum would shortly after
        // a bulk load: measurements then do not depend on whether it has run yet.
        match self.backend {
            Backend::Sqlite => self.write.execute("ANALYZE").await?,
            Backend::Postgres => self.write.execute("VACUUM (ANALYZE)").await?,
        };
        Ok(done)
    }

    async fn explain_inbox(&self, q: &InboxQuery, analyze: bool) -> Result<Vec<String>> {
        // Exactly the statements `SqlStore::inbox` runs.
        let st = crate::sql::InboxStatements::of(q);
        let explain = match (self.backend, analyze) {
            (Backend::Sqlite, _) => "EXPLAIN QUERY PLAN",
            (Backend::Postgres, false) => "EXPLAIN",
            (Backend::Postgres, true) => "EXPLAIN (ANALYZE, BUFFERS)",
        };
        let mut out = Vec::new();
        for (label, sql, paged) in [("page", &st.page, true), ("count", &st.count, false)] {
            out.push(format!("-- {label}: {sql}"));
            let sql = format!("{explain} {sql}");
            let mut query = crate::sql::bind_values(sqlx::query(&sql), &st.values);
            if paged {
                query = query.bind(st.per_page).bind(st.offset);
            }
            for row in query.fetch_all(&self.read).await? {
                let line: String = match self.backend {
                    // (id, parent, notused, detail)
                    Backend::Sqlite => row.try_get("detail")?,
                    Backend::Postgres => row.try_get(0)?,
                };
                out.push(line);
            }
        }
        Ok(out)
    }

    async fn cases_per_agency(&self) -> Result<Vec<(AgencyId, i64)>> {
        sqlx::query("SELECT agency_id, COUNT(*) AS n FROM cases GROUP BY agency_id")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| Ok((AgencyId(r.try_get("agency_id")?), r.try_get("n")?)))
            .collect()
    }

    async fn overdue_candidates(&self, today: &str) -> Result<u64> {
        // The candidate query of `JobStore::scan_overdue`, counted.
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM case_clocks WHERE completed_on IS NULL \
             AND due_on IS NOT NULL AND due_on < $1 AND breached_at IS NULL",
        )
        .bind(today)
        .fetch_one(&self.read)
        .await?
        .try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

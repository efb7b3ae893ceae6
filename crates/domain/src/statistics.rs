//! The figures that show whether every report is received, processed and resolved on time,
//! computed only from what was recorded: each case's events (submission, decisions with their
//! codes), its statutory clocks (completed on a day, met or late, breached by the overdue scan)
//! and the reporter's escalation requests. Nothing here reads content.
//!
//! Figures are taken **as of the end of a day**: only events before midnight (local time) after
//! that day count, a clock counts as done if it was completed on or before it, as missed if the
//! overdue scan breached it before that midnight. Because a breach is recorded once and never
//! erased, "overdue ever" does not change when a late case is closed.
//!
//! Each case falls into one *cell*: its receipt day, category, channel and partner, at the agency
//! each figure is attributed to:
//! - case figures (received, resolved and how fast, outcomes, overdue, escalated) to the agency
//!   **responsible** for the case at the cut-off (the one holding it after any forwarding), so
//!   that an agency's resolved figure is a part of its received one;
//! - deadline figures (acknowledged, triaged, resolved, investigators' decision on time) to the
//!   agency whose clock it was (each hop of a forwarded case answers for its own triage);
//! - forwarding figures to the agency that forwarded.
//!
//! The cells are what is published; every table is a sum of cells ([`roll_up`]).

use std::collections::BTreeMap;

use time::Date;

use crate::AgencyId;

macro_rules! metrics {
    ($($v:ident = $c:literal),* $(,)?) => {
        /// One counted figure. The code is stable: it names the column in exports and the
        /// message key of its label and explanation (`figure-<code>`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Metric { $($v),* }

        impl Metric {
            pub const ALL: &'static [Metric] = &[$(Metric::$v),*];
            pub fn code(self) -> &'static str {
                match self { $(Metric::$v => $c),* }
            }
            pub fn from_code(code: &str) -> Option<Metric> {
                Self::ALL.iter().copied().find(|m| m.code() == code)
            }
        }
    };
}

metrics! {
    Received = "received",
    Resolved = "resolved",
    Within30 = "within_30",
    Within60 = "within_60",
    Within90 = "within_90",
    AckDue = "ack_due",
    AckOnTime = "ack_on_time",
    TriageDue = "triage_due",
    TriageOnTime = "triage_on_time",
    ResolutionDue = "resolution_due",
    ResolutionOnTime = "resolution_on_time",
    Forwarded = "forwarded",
    PingPong = "ping_pong",
    Referred = "referred",
    CriminalDue = "criminal_due",
    CriminalOnTime = "criminal_on_time",
    OverdueNow = "overdue_now",
    OverdueEver = "overdue_ever",
    Substantiated = "substantiated",
    Partly = "partly",
    Unfounded = "unfounded",
    NotAccepted = "not_accepted",
    Archived = "archived",
    Duplicate = "duplicate",
    Terminated = "terminated",
    Prosecuted = "prosecuted",
    NotProsecuted = "not_prosecuted",
    Escalated = "escalated",
    Extended = "extended",
    SuspendedNow = "suspended_now",
    AtDeadline = "at_deadline",
    Satisfied = "satisfied",
    Dissatisfied = "dissatisfied",
    Contested = "contested",
    ReReviewDue = "re_review_due",
    ReReviewOnTime = "re_review_on_time",
    ResolveAgain = "resolve_again",
    ProtectionRequested = "protection_requested",
    ProtectionDue = "protection_due",
    ProtectionOnTime = "protection_on_time",
    ProtectionGranted = "protection_granted",
    ProtectionRejected = "protection_rejected",
    Retaliation = "retaliation",
    DisclosureRequested = "disclosure_requested",
    DisclosureApproved = "disclosure_approved",
    ForwardDays = "forward_days",
}

/// The number of metrics; the length of [`Counts`].
pub const METRIC_COUNT: usize = Metric::ALL.len();

/// The shares shown as numerator / denominator ("the 100 %").
pub const RATIOS: &[(Metric, Metric)] = &[
    (Metric::AckOnTime, Metric::AckDue),
    (Metric::TriageOnTime, Metric::TriageDue),
    (Metric::ResolutionOnTime, Metric::ResolutionDue),
    (Metric::CriminalOnTime, Metric::CriminalDue),
    (Metric::ReReviewOnTime, Metric::ReReviewDue),
    (Metric::ProtectionOnTime, Metric::ProtectionDue),
    (Metric::Resolved, Metric::Received),
    (Metric::Within30, Metric::Received),
    (Metric::Within60, Metric::Received),
    (Metric::Within90, Metric::Received),
];

/// One count per metric (as a list in metric order when serialized: serde's arrays stop at 32).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts(pub [u64; METRIC_COUNT]);

impl serde::Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.as_slice().serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Counts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let values = Vec::<u64>::deserialize(d)?;
        let array: [u64; METRIC_COUNT] = values.try_into().map_err(|v: Vec<u64>| {
            serde::de::Error::invalid_length(v.len(), &"one count per metric")
        })?;
        Ok(Counts(array))
    }
}

impl Default for Counts {
    fn default() -> Self {
        Counts([0; METRIC_COUNT])
    }
}

impl Counts {
    pub fn get(&self, m: Metric) -> u64 {
        self.0[m as usize]
    }

    fn bump(&mut self, m: Metric, n: u64) {
        self.0[m as usize] += n;
    }

    pub fn add(&mut self, other: &Counts) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += b;
        }
    }

    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|v| *v == 0)
    }
}

/// The dimensions a count is kept under.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct CellKey {
    pub agency: AgencyId,
    /// The local day the case was received (Julian day number).
    pub received: i32,
    pub category: String,
    pub channel: String,
    pub partner: Option<AgencyId>,
}

/// A recorded event of a case, as the figures need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFact {
    pub at: i64,
    /// `submitted`, or a decision's code (`forward`, `conclude`, ...).
    pub kind: String,
    pub from_agency: Option<AgencyId>,
    pub to_agency: AgencyId,
    /// The conclusion's finding code (`substantiated`, `partly`, `unfounded`).
    pub finding: Option<String>,
    /// The investigating agency's decision code (`prosecute`, `not_prosecute`, `suspended`).
    pub outcome: Option<String>,
}

/// A statutory clock of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockFact {
    pub clock: String,
    pub agency: AgencyId,
    pub completed_on: Option<Date>,
    pub met: Option<bool>,
    /// When the overdue scan recorded the miss (Unix seconds).
    pub breached_at: Option<i64>,
    /// The due date as it stands (after extensions and suspensions).
    pub due_on: Option<Date>,
}

/// Everything recorded about one case that the figures count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    pub received_at: i64,
    pub received_on: Date,
    pub category: String,
    pub channel: String,
    pub partner: Option<AgencyId>,
    /// In the order they were recorded.
    pub events: Vec<EventFact>,
    pub clocks: Vec<ClockFact>,
    /// When the reporter asked the superior body to act (Unix seconds).
    pub escalations: Vec<i64>,
    /// The reporter's word after the outcome: when, and whether they were satisfied.
    pub feedback: Option<(i64, bool)>,
    /// The reporter's request that the superior body review the resolution (Art. 37).
    pub re_review: Option<ReReviewFact>,
    /// Protection cases of the report's reporter and relatives.
    pub protections: Vec<ProtectionFact>,
    /// Requests to release the reporter's identity.
    pub disclosures: Vec<DisclosureFact>,
}

/// A protection case: who opened it and when, at which agency, and its steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectionFact {
    pub agency: AgencyId,
    pub opened_at: i64,
    /// `reporter`, `agency`, `risk_screen` or `retaliation`.
    pub opened_by: String,
    /// Each step in order: when, its code (`activate`, `reject`, `reassess`, ...) and the state
    /// it led to.
    pub steps: Vec<(i64, String, String)>,
}

/// A request to release the reporter's identity: by which agency, when, and when the
/// custodians' quorum approved it (set once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisclosureFact {
    pub agency: AgencyId,
    pub requested_at: i64,
    pub approved_at: Option<i64>,
}

/// A request to review a resolution, and what the superior decided (`feedback` module).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReReviewFact {
    pub requested_at: i64,
    pub decided_at: Option<i64>,
    /// `upheld` or `resolve_again`.
    pub outcome: Option<String>,
}

/// The end of a day: figures are taken as of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cutoff {
    /// The last day counted.
    pub day: Date,
    /// The first instant after it (local midnight, Unix seconds): events at or after it do not
    /// count.
    pub end: i64,
}

/// Decisions after which a case counts as resolved (a final decision on its information).
const RESOLVING: &[&str] = &[
    "not_accept",
    "mark_duplicate",
    "archive",
    "terminate",
    "conclude",
    "record_investigation",
    "close",
];

const DAY: i64 = 86_400;

/// The cells of the figures as of `cutoff`, from the histories of every case.
pub fn tally<'a>(
    histories: impl IntoIterator<Item = &'a History>,
    cutoff: Cutoff,
) -> BTreeMap<CellKey, Counts> {
    let mut cells = BTreeMap::new();
    for h in histories {
        add_case(&mut cells, h, cutoff);
    }
    cells
}

/// Adds one case's counts to `cells`.
pub fn add_case(cells: &mut BTreeMap<CellKey, Counts>, h: &History, cutoff: Cutoff) {
    for (agency, m, n) in contributions(h, cutoff) {
        cells.entry(h.key(agency)).or_default().bump(m, n);
    }
}

impl History {
    /// The cell of this case at an agency.
    pub fn key(&self, agency: AgencyId) -> CellKey {
        CellKey {
            agency,
            received: self.received_on.to_julian_day(),
            category: self.category.clone(),
            channel: self.channel.clone(),
            partner: self.partner,
        }
    }
}

/// What one case adds to the figures as of `cutoff`: each count with the agency it is
/// attributed to (see the module's documentation) and how much it adds (one case, or for
/// [`Metric::ForwardDays`] a number of days). The cases behind a figure are those whose
/// contributions hold it.
pub fn contributions(h: &History, cutoff: Cutoff) -> Vec<(AgencyId, Metric, u64)> {
    let mut out = Vec::new();
    if h.received_at >= cutoff.end {
        return out;
    }
    let events: Vec<&EventFact> = h.events.iter().filter(|e| e.at < cutoff.end).collect();
    let Some(responsible) = events.last().map(|e| e.to_agency) else {
        return out;
    };
    macro_rules! bump {
        ($agency:expr, $m:expr $(,)?) => {
            out.push(($agency, $m, 1))
        };
    }

    bump!(responsible, Metric::Received);
    if let Some(done) = events.iter().find(|e| RESOLVING.contains(&e.kind.as_str())) {
        bump!(responsible, Metric::Resolved);
        let took = done.at - h.received_at;
        for (days, m) in [
            (30, Metric::Within30),
            (60, Metric::Within60),
            (90, Metric::Within90),
        ] {
            if took <= days * DAY {
                bump!(responsible, m);
            }
        }
    }
    // Signs of gaming (issue 8, must-have 8): extensions, suspensions still in force.
    if events.iter().any(|e| e.kind == "extend") {
        bump!(responsible, Metric::Extended);
    }
    let suspended = events
        .iter()
        .rev()
        .find(|e| matches!(e.kind.as_str(), "suspend" | "resume"))
        .is_some_and(|e| e.kind == "suspend");
    if suspended {
        bump!(responsible, Metric::SuspendedNow);
    }
    let mut forwards = 0;
    // When the case reached the agency that holds it: the time it spent there before
    // forwarding it is that agency's (whole days).
    let mut arrived = h.received_at;
    for e in &events {
        let from = e.from_agency.unwrap_or(e.to_agency);
        match e.kind.as_str() {
            "forward" => {
                forwards += 1;
                bump!(from, Metric::Forwarded);
                out.push((
                    from,
                    Metric::ForwardDays,
                    ((e.at - arrived) / DAY).max(0) as u64,
                ));
                arrived = e.at;
                if forwards > 1 {
                    bump!(from, Metric::PingPong);
                }
            }
            "refer_criminal" => bump!(from, Metric::Referred),
            _ => {}
        }
    }
    // The outcome is the last final decision's.
    let outcome = events.iter().rev().find_map(|e| match e.kind.as_str() {
        "conclude" => match e.finding.as_deref() {
            Some("substantiated") => Some(Metric::Substantiated),
            Some("partly") => Some(Metric::Partly),
            Some("unfounded") => Some(Metric::Unfounded),
            _ => None,
        },
        "not_accept" => Some(Metric::NotAccepted),
        "archive" => Some(Metric::Archived),
        "mark_duplicate" => Some(Metric::Duplicate),
        "terminate" => Some(Metric::Terminated),
        "record_investigation" => match e.outcome.as_deref() {
            Some("prosecute") => Some(Metric::Prosecuted),
            Some("not_prosecute") => Some(Metric::NotProsecuted),
            _ => None,
        },
        _ => None,
    });
    if let Some(m) = outcome {
        bump!(responsible, m);
    }

    let mut breached_ever = false;
    let mut breached_now = false;
    for c in &h.clocks {
        let completed = c.completed_on.filter(|d| *d <= cutoff.day);
        let breached = c.breached_at.is_some_and(|at| at < cutoff.end);
        breached_ever |= breached;
        breached_now |= breached && completed.is_none();
        let (due, on_time) = match c.clock.as_str() {
            "acknowledge" => (Metric::AckDue, Metric::AckOnTime),
            "triage" => (Metric::TriageDue, Metric::TriageOnTime),
            "resolution" | "internal_report" => (Metric::ResolutionDue, Metric::ResolutionOnTime),
            "criminal_decision" => (Metric::CriminalDue, Metric::CriminalOnTime),
            "re_review" => (Metric::ReReviewDue, Metric::ReReviewOnTime),
            "protection_assessing" => (Metric::ProtectionDue, Metric::ProtectionOnTime),
            _ => continue,
        };
        if completed.is_some() || breached {
            bump!(c.agency, due);
            if completed.is_some() && c.met == Some(true) {
                bump!(c.agency, on_time);
                // Kept, but only just: on the due date or the day before.
                let last_days = match (completed, c.due_on) {
                    (Some(done), Some(due)) => (due - done).whole_days() <= 1,
                    _ => false,
                };
                if due == Metric::ResolutionDue && last_days {
                    bump!(c.agency, Metric::AtDeadline);
                }
            }
        }
    }
    if breached_ever {
        bump!(responsible, Metric::OverdueEver);
    }
    if breached_now {
        bump!(responsible, Metric::OverdueNow);
    }
    if h.escalations.iter().any(|at| *at < cutoff.end) {
        bump!(responsible, Metric::Escalated);
    }
    // The reporter's word after the outcome, counted for the body that resolved the case.
    if let Some((_, satisfied)) = h.feedback.filter(|(at, _)| *at < cutoff.end) {
        bump!(
            responsible,
            if satisfied {
                Metric::Satisfied
            } else {
                Metric::Dissatisfied
            },
        );
    }
    if let Some(r) = h.re_review.as_ref().filter(|r| r.requested_at < cutoff.end) {
        bump!(responsible, Metric::Contested);
        let decided = r.decided_at.is_some_and(|at| at < cutoff.end);
        if decided && r.outcome.as_deref() == Some("resolve_again") {
            bump!(responsible, Metric::ResolveAgain);
        }
    }
    // Protection, counted once per report for the agency that protects: asked for (by anyone),
    // granted, refused, and retaliation reported (a protection opened or reassessed for it).
    let opened: Vec<&ProtectionFact> = h
        .protections
        .iter()
        .filter(|p| p.opened_at < cutoff.end)
        .collect();
    if let Some(first) = opened.first() {
        bump!(first.agency, Metric::ProtectionRequested);
        let reached = |state: &str| {
            opened.iter().find(|p| {
                p.steps
                    .iter()
                    .any(|(at, _, to)| *at < cutoff.end && to == state)
            })
        };
        if let Some(p) = reached("ACTIVE") {
            bump!(p.agency, Metric::ProtectionGranted);
        }
        if let Some(p) = reached("REJECTED") {
            bump!(p.agency, Metric::ProtectionRejected);
        }
        let retaliation = opened.iter().find(|p| {
            p.opened_by == "retaliation"
                || p.steps
                    .iter()
                    .any(|(at, step, _)| *at < cutoff.end && step == "reassess")
        });
        if let Some(p) = retaliation {
            bump!(p.agency, Metric::Retaliation);
        }
    }
    if let Some(d) = h.disclosures.iter().find(|d| d.requested_at < cutoff.end) {
        bump!(d.agency, Metric::DisclosureRequested);
    }
    if let Some(d) = h
        .disclosures
        .iter()
        .find(|d| d.approved_at.is_some_and(|at| at < cutoff.end))
    {
        bump!(d.agency, Metric::DisclosureApproved);
    }
    out
}

/// Which cells a table counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Agencies counted; `None`: every agency.
    pub agencies: Option<Vec<AgencyId>>,
    /// Receipt days, inclusive.
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub category: Option<String>,
    pub channel: Option<String>,
    pub partner: Option<AgencyId>,
}

impl Filter {
    pub fn matches(&self, k: &CellKey) -> bool {
        self.agencies.as_ref().is_none_or(|a| a.contains(&k.agency))
            && self.from.is_none_or(|d| k.received >= d.to_julian_day())
            && self.to.is_none_or(|d| k.received <= d.to_julian_day())
            && self.category.as_ref().is_none_or(|c| *c == k.category)
            && self.channel.as_ref().is_none_or(|c| *c == k.channel)
            && self.partner.is_none_or(|p| k.partner == Some(p))
    }
}

/// What the rows of a table are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Agency,
    /// Month of receipt, as `YYYY-MM`.
    Month,
    Category,
    Channel,
    Partner,
}

impl GroupBy {
    pub const ALL: &'static [GroupBy] = &[
        GroupBy::Agency,
        GroupBy::Month,
        GroupBy::Category,
        GroupBy::Channel,
        GroupBy::Partner,
    ];

    pub fn code(self) -> &'static str {
        match self {
            GroupBy::Agency => "agency",
            GroupBy::Month => "month",
            GroupBy::Category => "category",
            GroupBy::Channel => "channel",
            GroupBy::Partner => "partner",
        }
    }

    pub fn from_code(code: &str) -> Option<GroupBy> {
        Self::ALL.iter().copied().find(|g| g.code() == code)
    }

    /// The row a cell belongs to: an agency or partner id, a month, a category or channel code
    /// (`-` for no partner).
    pub fn row_of(self, k: &CellKey) -> String {
        match self {
            GroupBy::Agency => k.agency.0.to_string(),
            GroupBy::Month => Date::from_julian_day(k.received)
                .map(|d| format!("{:04}-{:02}", d.year(), u8::from(d.month())))
                .unwrap_or_default(),
            GroupBy::Category => k.category.clone(),
            GroupBy::Channel => k.channel.clone(),
            GroupBy::Partner => k.partner.map_or_else(|| "-".into(), |p| p.0.to_string()),
        }
    }
}

/// A row of a table while the cells are summed: borrowed from the cells, so that no text is
/// made per cell.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum RowKey<'a> {
    Id(i64),
    /// Months since year 0 (`year * 12 + month - 1`).
    Month(i32),
    Text(&'a str),
    NoPartner,
}

impl RowKey<'_> {
    fn text(self) -> String {
        match self {
            RowKey::Id(id) => id.to_string(),
            RowKey::Month(m) => format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1),
            RowKey::Text(t) => t.to_owned(),
            RowKey::NoPartner => "-".to_owned(),
        }
    }
}

/// What the overseers' dashboard shows, summed in one pass over the matching cells: the rows
/// by the chosen grouping, the totals per month of receipt (the trend) and per agency (the
/// compliance chart), and the grand total. Each equals what [`roll_up`] gives for its grouping.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sums {
    pub rows: BTreeMap<String, Counts>,
    pub months: BTreeMap<String, Counts>,
    pub agencies: BTreeMap<String, Counts>,
    pub total: Counts,
}

pub fn dashboard_sums<'a>(
    cells: impl IntoIterator<Item = (&'a CellKey, &'a Counts)>,
    filter: &Filter,
    by: GroupBy,
) -> Sums {
    // Each matching cell is added once, to its (agency, month, row) group; the tables are then
    // sums of those few groups. The month of the previous cell's day is kept: cells are
    // ordered by agency and day, so most cells reuse it.
    let mut groups: std::collections::HashMap<(i64, i32, RowKey<'a>), Counts> =
        std::collections::HashMap::new();
    let mut last_day: Option<(i32, i32)> = None;
    for (k, c) in cells {
        if !filter.matches(k) {
            continue;
        }
        let month = match last_day {
            Some((day, month)) if day == k.received => month,
            _ => {
                let month = Date::from_julian_day(k.received)
                    .map(|d| d.year() * 12 + i32::from(u8::from(d.month())) - 1)
                    .unwrap_or_default();
                last_day = Some((k.received, month));
                month
            }
        };
        let row = match by {
            GroupBy::Agency => RowKey::Id(k.agency.0),
            GroupBy::Month => RowKey::Month(month),
            GroupBy::Category => RowKey::Text(&k.category),
            GroupBy::Channel => RowKey::Text(&k.channel),
            GroupBy::Partner => k.partner.map_or(RowKey::NoPartner, |p| RowKey::Id(p.0)),
        };
        groups.entry((k.agency.0, month, row)).or_default().add(c);
    }
    let mut sums = Sums::default();
    for ((agency, month, row), c) in &groups {
        sums.rows.entry(row.text()).or_default().add(c);
        sums.months
            .entry(RowKey::Month(*month).text())
            .or_default()
            .add(c);
        sums.agencies.entry(agency.to_string()).or_default().add(c);
        sums.total.add(c);
    }
    sums
}

/// The sums of the matching cells by row, and their total.
pub fn roll_up<'a>(
    cells: impl IntoIterator<Item = (&'a CellKey, &'a Counts)>,
    filter: &Filter,
    by: GroupBy,
) -> (BTreeMap<String, Counts>, Counts) {
    let mut rows: BTreeMap<String, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    for (k, c) in cells {
        if filter.matches(k) {
            rows.entry(by.row_of(k)).or_default().add(c);
            total.add(c);
        }
    }
    (rows, total)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::date;

    const A: AgencyId = AgencyId(1);
    const B: AgencyId = AgencyId(2);

    fn at(d: Date) -> i64 {
        // Local midnight of the day (UTC+7).
        d.midnight().assume_utc().unix_timestamp() - 7 * 3600
    }

    fn cutoff(d: Date) -> Cutoff {
        Cutoff {
            day: d,
            end: at(d.next_day().unwrap()),
        }
    }

    fn event(day: Date, kind: &str, from: Option<AgencyId>, to: AgencyId) -> EventFact {
        EventFact {
            at: at(day) + 3600,
            kind: kind.into(),
            from_agency: from,
            to_agency: to,
            finding: None,
            outcome: None,
        }
    }

    fn case(received: Date) -> History {
        History {
            received_at: at(received) + 3600,
            received_on: received,
            category: "bribery".into(),
            channel: "web".into(),
            partner: None,
            events: vec![event(received, "submitted", None, A)],
            clocks: vec![],
            escalations: vec![],
            feedback: None,
            re_review: None,
            protections: vec![],
            disclosures: vec![],
        }
    }

    fn total(cells: &BTreeMap<CellKey, Counts>) -> Counts {
        roll_up(cells, &Filter::default(), GroupBy::Agency).1
    }

    #[test]
    fn a_forwarded_case_counts_at_the_agency_that_holds_it() {
        let mut h = case(date!(2026 - 03 - 02));
        h.events
            .push(event(date!(2026 - 03 - 04), "forward", Some(A), B));
        h.events
            .push(event(date!(2026 - 03 - 20), "forward", Some(B), A));
        let cells = tally([&h], cutoff(date!(2026 - 03 - 31)));
        let (rows, _) = roll_up(&cells, &Filter::default(), GroupBy::Agency);
        assert_eq!(rows["1"].get(Metric::Received), 1);
        assert_eq!(rows["1"].get(Metric::Forwarded), 1);
        assert_eq!(rows["2"].get(Metric::Forwarded), 1);
        assert_eq!(rows["2"].get(Metric::PingPong), 1);
        assert_eq!(rows["2"].get(Metric::Received), 0);
        // Held two days by A (2 to 4 March), then sixteen by B (4 to 20 March).
        assert_eq!(rows["1"].get(Metric::ForwardDays), 2);
        assert_eq!(rows["2"].get(Metric::ForwardDays), 16);
        // Before the forwarding it was A's, and nothing was forwarded yet.
        let early = tally([&h], cutoff(date!(2026 - 03 - 02)));
        assert_eq!(total(&early).get(Metric::Forwarded), 0);
        assert_eq!(total(&early).get(Metric::Received), 1);
        // Not yet received: not counted.
        assert!(tally([&h], cutoff(date!(2026 - 03 - 01))).is_empty());
    }

    #[test]
    fn a_late_closure_leaves_overdue_ever_and_only_clears_overdue_now() {
        let mut h = case(date!(2026 - 03 - 02));
        h.clocks.push(ClockFact {
            clock: "triage".into(),
            agency: A,
            completed_on: None,
            met: None,
            breached_at: Some(at(date!(2026 - 03 - 13)) + 60),
            due_on: Some(date!(2026 - 03 - 12)),
        });
        let before = total(&tally([&h], cutoff(date!(2026 - 03 - 12))));
        assert_eq!(before.get(Metric::OverdueEver), 0);
        assert_eq!(before.get(Metric::TriageDue), 0);
        let breached = total(&tally([&h], cutoff(date!(2026 - 03 - 20))));
        assert_eq!(breached.get(Metric::OverdueEver), 1);
        assert_eq!(breached.get(Metric::OverdueNow), 1);
        assert_eq!(breached.get(Metric::TriageDue), 1);
        assert_eq!(breached.get(Metric::TriageOnTime), 0);

        h.clocks[0].completed_on = Some(date!(2026 - 04 - 01));
        h.clocks[0].met = Some(false);
        h.events
            .push(event(date!(2026 - 04 - 01), "not_accept", Some(A), A));
        let closed = total(&tally([&h], cutoff(date!(2026 - 04 - 30))));
        assert_eq!(closed.get(Metric::OverdueEver), 1);
        assert_eq!(closed.get(Metric::OverdueNow), 0);
        assert_eq!(closed.get(Metric::TriageOnTime), 0);
        assert_eq!(closed.get(Metric::Resolved), 1);
        assert_eq!(closed.get(Metric::Within30), 1);
        assert_eq!(closed.get(Metric::NotAccepted), 1);
        // Figures as of a day before the closure are what they were.
        assert_eq!(total(&tally([&h], cutoff(date!(2026 - 03 - 20)))), breached);
    }

    #[test]
    fn resolution_speed_and_outcome_come_from_the_conclusion() {
        let mut h = case(date!(2026 - 01 - 05));
        let mut conclude = event(date!(2026 - 03 - 20), "conclude", Some(A), A);
        conclude.finding = Some("partly".into());
        h.events.push(conclude);
        h.clocks.push(ClockFact {
            clock: "resolution".into(),
            agency: A,
            completed_on: Some(date!(2026 - 03 - 20)),
            met: Some(true),
            breached_at: None,
            due_on: Some(date!(2026 - 03 - 21)),
        });
        let t = total(&tally([&h], cutoff(date!(2026 - 06 - 30))));
        assert_eq!(t.get(Metric::Within30), 0);
        assert_eq!(t.get(Metric::Within60), 0);
        assert_eq!(t.get(Metric::Within90), 1);
        assert_eq!(t.get(Metric::Partly), 1);
        assert_eq!(t.get(Metric::ResolutionDue), 1);
        assert_eq!(t.get(Metric::ResolutionOnTime), 1);
        assert_eq!(
            t.get(Metric::AtDeadline),
            1,
            "closed the day before its due date"
        );
    }

    #[test]
    fn the_reporters_word_counts_for_the_resolver_and_the_review_for_the_superior() {
        let mut h = case(date!(2026 - 01 - 05));
        let mut conclude = event(date!(2026 - 02 - 02), "conclude", Some(A), A);
        conclude.finding = Some("unfounded".into());
        h.events.push(conclude);
        h.feedback = Some((at(date!(2026 - 02 - 10)), false));
        h.re_review = Some(ReReviewFact {
            requested_at: at(date!(2026 - 02 - 10)) + 60,
            decided_at: Some(at(date!(2026 - 03 - 05))),
            outcome: Some("resolve_again".into()),
        });
        h.clocks.push(ClockFact {
            clock: "re_review".into(),
            agency: B,
            completed_on: Some(date!(2026 - 03 - 05)),
            met: Some(true),
            breached_at: None,
            due_on: Some(date!(2026 - 03 - 02)),
        });
        let before = total(&tally([&h], cutoff(date!(2026 - 02 - 09))));
        for m in [Metric::Dissatisfied, Metric::Contested, Metric::ReReviewDue] {
            assert_eq!(before.get(m), 0, "{m:?} before the reporter spoke");
        }
        let asked = tally([&h], cutoff(date!(2026 - 02 - 20)));
        let (rows, t) = roll_up(&asked, &Filter::default(), GroupBy::Agency);
        assert_eq!(rows["1"].get(Metric::Dissatisfied), 1);
        assert_eq!(rows["1"].get(Metric::Contested), 1);
        assert_eq!(t.get(Metric::Satisfied), 0);
        assert_eq!(t.get(Metric::ResolveAgain), 0, "not decided yet");
        assert_eq!(t.get(Metric::ReReviewDue), 0, "not due yet");
        let decided = tally([&h], cutoff(date!(2026 - 03 - 31)));
        let (rows, _) = roll_up(&decided, &Filter::default(), GroupBy::Agency);
        assert_eq!(rows["1"].get(Metric::ResolveAgain), 1);
        assert_eq!(
            rows["2"].get(Metric::ReReviewDue),
            1,
            "the superior's clock"
        );
        assert_eq!(rows["2"].get(Metric::ReReviewOnTime), 1);
        assert_eq!(rows["2"].get(Metric::Received), 0);
        h.feedback = Some((at(date!(2026 - 02 - 10)), true));
        let happy = total(&tally([&h], cutoff(date!(2026 - 03 - 31))));
        assert_eq!(happy.get(Metric::Satisfied), 1);
        assert_eq!(happy.get(Metric::Dissatisfied), 0);
    }

    #[test]
    fn protection_and_disclosure_count_once_per_report_as_of_their_steps() {
        let mut h = case(date!(2026 - 01 - 05));
        let step = |d: Date, code: &str, to: &str| (at(d), code.to_owned(), to.to_owned());
        h.protections.push(ProtectionFact {
            agency: B,
            opened_at: at(date!(2026 - 01 - 06)),
            opened_by: "reporter".into(),
            steps: vec![
                step(date!(2026 - 01 - 06), "requested", "REQUESTED"),
                step(date!(2026 - 01 - 08), "activate", "ACTIVE"),
                step(date!(2026 - 02 - 10), "reassess", "ASSESSING"),
            ],
        });
        h.protections.push(ProtectionFact {
            agency: B,
            opened_at: at(date!(2026 - 01 - 07)),
            opened_by: "agency".into(),
            steps: vec![step(date!(2026 - 01 - 09), "activate", "ACTIVE")],
        });
        h.clocks.push(ClockFact {
            clock: "protection_assessing".into(),
            agency: B,
            completed_on: Some(date!(2026 - 01 - 08)),
            met: Some(true),
            breached_at: None,
            due_on: Some(date!(2026 - 01 - 13)),
        });
        h.disclosures.push(DisclosureFact {
            agency: A,
            requested_at: at(date!(2026 - 01 - 20)),
            approved_at: Some(at(date!(2026 - 01 - 25))),
        });
        let early = tally([&h], cutoff(date!(2026 - 01 - 06)));
        let (rows, t) = roll_up(&early, &Filter::default(), GroupBy::Agency);
        assert_eq!(rows["2"].get(Metric::ProtectionRequested), 1);
        assert_eq!(t.get(Metric::ProtectionGranted), 0);
        assert_eq!(t.get(Metric::ProtectionDue), 0);
        let later = tally([&h], cutoff(date!(2026 - 01 - 31)));
        let (rows, t) = roll_up(&later, &Filter::default(), GroupBy::Agency);
        assert_eq!(
            t.get(Metric::ProtectionRequested),
            1,
            "two protections, one report"
        );
        assert_eq!(rows["2"].get(Metric::ProtectionGranted), 1);
        assert_eq!(rows["2"].get(Metric::ProtectionOnTime), 1);
        assert_eq!(t.get(Metric::Retaliation), 0, "not reported yet");
        assert_eq!(rows["1"].get(Metric::DisclosureRequested), 1);
        assert_eq!(rows["1"].get(Metric::DisclosureApproved), 1);
        let t = total(&tally([&h], cutoff(date!(2026 - 02 - 28))));
        assert_eq!(t.get(Metric::Retaliation), 1);
        assert_eq!(t.get(Metric::ProtectionRejected), 0);
    }

    proptest::proptest! {
        /// The dashboard's one-pass sums are the roll-ups of each grouping.
        #[test]
        fn dashboard_sums_equal_the_roll_ups(
            cells in proptest::collection::vec(
                (1i64..5, 0i32..400, 0usize..3, 0usize..3, proptest::option::of(7i64..9), 0u64..50),
                0..200,
            ),
            from in proptest::option::of(0i32..400),
            by in 0usize..5,
        ) {
            let start = date!(2025 - 11 - 20).to_julian_day();
            let mut map: BTreeMap<CellKey, Counts> = BTreeMap::new();
            for (agency, day, category, channel, partner, n) in cells {
                let key = CellKey {
                    agency: AgencyId(agency),
                    received: start + day,
                    category: ["land", "bribery", "waste"][category].into(),
                    channel: ["web", "walk_in", "hotline"][channel].into(),
                    partner: partner.map(AgencyId),
                };
                let c = map.entry(key).or_default();
                c.bump(Metric::Received, n);
                c.bump(Metric::ForwardDays, n * 3);
            }
            let filter = Filter {
                from: from.and_then(|d| Date::from_julian_day(start + d).ok()),
                ..Filter::default()
            };
            let by = GroupBy::ALL[by];
            let sums = dashboard_sums(&map, &filter, by);
            let (rows, total) = roll_up(&map, &filter, by);
            proptest::prop_assert_eq!(&sums.rows, &rows);
            proptest::prop_assert_eq!(sums.total, total);
            proptest::prop_assert_eq!(&sums.months, &roll_up(&map, &filter, GroupBy::Month).0);
            proptest::prop_assert_eq!(&sums.agencies, &roll_up(&map, &filter, GroupBy::Agency).0);
        }
    }

    #[test]
    fn extensions_and_standing_suspensions_are_counted() {
        let mut h = case(date!(2026 - 01 - 05));
        h.events
            .push(event(date!(2026 - 01 - 20), "extend", Some(A), A));
        h.events
            .push(event(date!(2026 - 02 - 01), "suspend", Some(A), A));
        let t = total(&tally([&h], cutoff(date!(2026 - 02 - 10))));
        assert_eq!(t.get(Metric::Extended), 1);
        assert_eq!(t.get(Metric::SuspendedNow), 1);
        h.events
            .push(event(date!(2026 - 02 - 15), "resume", Some(A), A));
        let t = total(&tally([&h], cutoff(date!(2026 - 02 - 20))));
        assert_eq!(t.get(Metric::SuspendedNow), 0, "resumed");
    }

    #[test]
    fn filters_and_groups_sum_to_the_total() {
        let mut hs = vec![];
        for (i, d) in [
            date!(2026 - 01 - 31),
            date!(2026 - 02 - 01),
            date!(2026 - 02 - 15),
        ]
        .into_iter()
        .enumerate()
        {
            let mut h = case(d);
            if i == 1 {
                h.channel = "hotline".into();
                h.partner = Some(AgencyId(9));
            }
            hs.push(h);
        }
        let cells = tally(&hs, cutoff(date!(2026 - 02 - 28)));
        let (months, t) = roll_up(&cells, &Filter::default(), GroupBy::Month);
        assert_eq!(months["2026-01"].get(Metric::Received), 1);
        assert_eq!(months["2026-02"].get(Metric::Received), 2);
        assert_eq!(t.get(Metric::Received), 3);
        let f = Filter {
            from: Some(date!(2026 - 02 - 01)),
            channel: Some("hotline".into()),
            ..Default::default()
        };
        assert_eq!(
            roll_up(&cells, &f, GroupBy::Partner).0["9"].get(Metric::Received),
            1
        );
        let (partners, _) = roll_up(&cells, &Filter::default(), GroupBy::Partner);
        assert_eq!(partners["-"].get(Metric::Received), 2);
    }

    #[test]
    fn metric_codes_round_trip() {
        for m in Metric::ALL {
            assert_eq!(Metric::from_code(m.code()), Some(*m));
        }
    }
}

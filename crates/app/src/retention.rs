//! Retention and secure deletion. When a finished case's retention period ends (its class in
//! the rule set in force on the day it finished, `minhbach_domain::retention`), the scheduler
//! destroys its content: every wrap of its key (staff, receipt, recovery), its identity with the
//! custodians' shares, and every sealed blob. Without a key nothing left can be opened, not even
//! from an old copy of a row; what stays is the metadata the statistics need (agency, category,
//! track, states, dates, clocks, the audit log). A legal hold keeps a case whatever its class
//! says; so does an open protection case or identity request.

use std::collections::BTreeSet;

use minhbach_domain::retention::class_for;
use minhbach_domain::{Action, CaseState, DomainError, Track};
use minhbach_store::{AuditEntry, FinishedQuery, Store, StoreError};
use time::{Date, OffsetDateTime, Time};

use crate::clock::LOCAL_OFFSET;
use crate::legal::Legal;
use crate::sessions::StaffSession;
use crate::{App, Error, Result};

/// Cases purged per class and run at most, so one run stays short; the next run goes on.
const BATCH: i64 = 500;

fn start_of(day: Date) -> i64 {
    day.with_time(Time::MIDNIGHT)
        .assume_offset(LOCAL_OFFSET)
        .unix_timestamp()
}

/// The day `years` before `day` (29 February counts to 28 February).
fn years_before(day: Date, years: u32) -> Option<Date> {
    let year = day.year().checked_sub(i32::try_from(years).ok()?)?;
    let d = day.day().min(day.month().length(year));
    Date::from_calendar_date(year, day.month(), d).ok()
}

/// Destroys the content of every finished case whose retention period ended by `now`;
/// returns how many. Each purge is one transaction with its `case.purged` audit event.
pub async fn sweep(
    store: &dyn Store,
    legal: &Legal,
    now: OffsetDateTime,
) -> std::result::Result<u64, StoreError> {
    let today = now.to_offset(LOCAL_OFFSET).date();
    let sets = legal.rules.sets();
    let mut purged = 0;
    for (i, set) in sets.iter().enumerate() {
        // A case belongs to the set in force on the day it finished; cases finished before the
        // first set to the first.
        let from = if i == 0 {
            i64::MIN
        } else {
            start_of(set.effective_from)
        };
        let until = sets
            .get(i + 1)
            .map_or(i64::MAX, |next| start_of(next.effective_from));
        for (id, class) in &set.retention {
            let Some(years) = class.years else { continue };
            // Finished on or before this day: the period may have ended (checked exactly below).
            let Some(latest) = years_before(today, years) else {
                continue;
            };
            let before = until.min(start_of(latest.next_day().unwrap_or(latest)));
            if before <= from {
                continue;
            }
            // A class for every track leaves out the tracks another class names.
            let exclude: BTreeSet<String> = if class.tracks.is_empty() {
                set.retention
                    .values()
                    .filter(|o| o.states.iter().any(|s| class.states.contains(s)))
                    .flat_map(|o| o.tracks.iter().cloned())
                    .collect()
            } else {
                BTreeSet::new()
            };
            let found = store
                .finished_cases(&FinishedQuery {
                    states: class.states.clone(),
                    tracks: class.tracks.clone(),
                    exclude_tracks: exclude.into_iter().collect(),
                    from,
                    before,
                    limit: BATCH,
                })
                .await?;
            for case in found {
                let finished = (OffsetDateTime::from_unix_timestamp(case.finished_at)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?)
                .to_offset(LOCAL_OFFSET)
                .date();
                let state = CaseState::from_code(&case.state);
                let track = case.track.as_deref().and_then(Track::from_code);
                // The same class the query stood for, and its period really over.
                let due = state
                    .and_then(|s| class_for(&set.retention, s, track))
                    .filter(|(chosen, _)| chosen == id)
                    .and_then(|(_, c)| c.ends_on(finished))
                    .is_some_and(|ends| ends <= today);
                if !due {
                    continue;
                }
                let audit =
                    AuditEntry::new(now.unix_timestamp(), "system", "case.purged", Some(case.id))
                        .with_detail(serde_json::json!({
                            "class": id,
                            "rule_set": crate::scheduler::iso_date(set.effective_from),
                            "finished_on": crate::scheduler::iso_date(finished),
                        }));
                if store
                    .purge_case(case.id, now.unix_timestamp(), &audit)
                    .await?
                {
                    purged += 1;
                }
            }
        }
    }
    Ok(purged)
}

/// The agency's lead places (`hold`) or lifts a legal hold on a case of the agency. Returns
/// false if it already was so.
pub async fn legal_hold(st: &App, s: &StaffSession, reference: &str, hold: bool) -> Result<bool> {
    let case = st
        .store
        .case_by_reference(reference.trim())
        .await?
        .ok_or(DomainError::NotFound)?;
    if !minhbach_domain::can(&s.actor, Action::LegalHold, Some(&case.facts())) {
        return Err(DomainError::NotFound.into());
    }
    set_hold(st, case.id, &crate::access::actor_code(s), hold).await
}

/// The operator places or lifts a legal hold from the command line (an order from outside the
/// agency, e.g. the inspectorate or a court).
pub async fn operator_hold(st: &App, reference: &str, hold: bool) -> Result<bool> {
    let case = st
        .store
        .case_by_reference(reference.trim())
        .await?
        .ok_or_else(|| Error::Refused(format!("no case {reference}")))?;
    set_hold(st, case.id, "operator", hold).await
}

async fn set_hold(
    st: &App,
    case: minhbach_domain::CaseId,
    actor: &str,
    hold: bool,
) -> Result<bool> {
    let now = st.now();
    let kind = if hold {
        "case.hold_placed"
    } else {
        "case.hold_lifted"
    };
    Ok(st
        .store
        .set_legal_hold(
            case,
            hold.then_some(actor),
            now,
            &AuditEntry::new(now, actor, kind, Some(case)),
        )
        .await?)
}

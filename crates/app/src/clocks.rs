//! Statutory clocks of a case: started, stopped, paused and extended by decisions (the plan comes
//! from `minhbach_domain::clock_ops`), stored as rows that replay into a
//! [`DeadlineClock`] under the rule set they started with.

use minhbach_domain::{
    AgencyId, ClockOp, Complexity, DeadlineClock, DeadlineError, DomainError, ReasonText,
};
use minhbach_store::{ClockRow, ClockUpdate, NewClock};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::legal::Legal;

/// A replayed operation of a stored clock (codes and dates only; reasons live in the events).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "snake_case")]
enum StoredOp {
    Pause {
        on: String,
    },
    Resume {
        on: String,
    },
    Extend {
        on: String,
        complexity: Option<String>,
    },
}

const ISO: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

pub fn parse_date(s: &str) -> Result<Date, DomainError> {
    Date::parse(s, ISO).map_err(|_| DomainError::Deadline(DeadlineError::OutOfOrder))
}

pub fn iso(d: Date) -> String {
    d.format(ISO).unwrap_or_default()
}

fn placeholder_reason() -> Result<ReasonText, DomainError> {
    ReasonText::parse("recorded in the case events")
}

/// Rebuilds a stored clock under the rule set it started with.
pub fn rebuild(legal: &Legal, row: &ClockRow) -> Result<DeadlineClock, DomainError> {
    let set = legal
        .rules
        .rule_set_effective_from(parse_date(&row.rule_set)?)
        .ok_or(DeadlineError::NoRuleSet)?;
    let mut clock = DeadlineClock::start_under(set, &row.rule_id, parse_date(&row.started_on)?)?;
    let ops: Vec<StoredOp> = serde_json::from_str(&row.ops).unwrap_or_default();
    for op in ops {
        match op {
            StoredOp::Pause { on } => clock.pause(parse_date(&on)?, placeholder_reason()?)?,
            StoredOp::Resume { on } => clock.resume(parse_date(&on)?)?,
            StoredOp::Extend { on, complexity } => {
                let c = complexity.as_deref().and_then(Complexity::from_code);
                clock.extend(c, placeholder_reason()?, parse_date(&on)?)?
            }
        }
    }
    if let Some(done) = &row.completed_on {
        clock.complete(parse_date(done)?)?;
    }
    Ok(clock)
}

/// The changes a decision makes to a case's clocks, ready for the store.
#[derive(Debug, Default)]
pub struct ClockPlan {
    pub new: Vec<NewClock>,
    pub updates: Vec<ClockUpdate>,
    /// The nearest open due date after the changes.
    pub due_on: Option<String>,
    /// An open clock is past due (or was found breached by the scheduler).
    pub overdue: bool,
}

struct Working {
    row: Option<ClockRow>,
    clock: DeadlineClock,
    name: String,
    agency: AgencyId,
    ops: Vec<StoredOp>,
    changed: bool,
}

/// Applies `ops` on day `on` to the clocks in `rows`; new clocks belong to `agency`.
pub fn plan(
    legal: &Legal,
    rows: &[ClockRow],
    ops: &[ClockOp],
    agency: AgencyId,
    on: Date,
    complexity: Option<Complexity>,
) -> Result<ClockPlan, DomainError> {
    let mut clocks = rows
        .iter()
        .map(|r| {
            Ok(Working {
                clock: rebuild(legal, r)?,
                name: r.clock.clone(),
                agency: r.agency,
                ops: serde_json::from_str(&r.ops).unwrap_or_default(),
                row: Some(r.clone()),
                changed: false,
            })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    let open = |w: &Working| w.clock.completed_on().is_none();
    for op in ops {
        match op {
            ClockOp::Start(rule_id) => {
                let clock = DeadlineClock::start(&legal.rules, rule_id, on)?;
                let name = clock.rule().clock.clone();
                clocks.push(Working {
                    row: None,
                    clock,
                    name,
                    agency,
                    ops: Vec::new(),
                    changed: true,
                });
            }
            ClockOp::Complete(name) => {
                for w in clocks
                    .iter_mut()
                    .filter(|w| w.name == *name && w.clock.completed_on().is_none())
                {
                    w.clock.complete(on)?;
                    w.changed = true;
                }
            }
            ClockOp::CompleteAll => {
                for w in clocks
                    .iter_mut()
                    .filter(|w| w.clock.completed_on().is_none())
                {
                    w.clock.complete(on)?;
                    w.changed = true;
                }
            }
            ClockOp::Pause(name) | ClockOp::Resume(name) | ClockOp::Extend(name) => {
                let w = clocks
                    .iter_mut()
                    .rev()
                    .find(|w| w.name == *name && w.clock.completed_on().is_none())
                    .ok_or(DomainError::Deadline(DeadlineError::UnknownRule))?;
                let day = iso(on);
                match op {
                    ClockOp::Pause(_) => {
                        w.clock.pause(on, placeholder_reason()?)?;
                        w.ops.push(StoredOp::Pause { on: day });
                    }
                    ClockOp::Resume(_) => {
                        w.clock.resume(on)?;
                        w.ops.push(StoredOp::Resume { on: day });
                    }
                    _ => {
                        w.clock.extend(complexity, placeholder_reason()?, on)?;
                        w.ops.push(StoredOp::Extend {
                            on: day,
                            complexity: complexity.map(|c| c.code().to_owned()),
                        });
                    }
                }
                w.changed = true;
            }
        }
    }
    let mut out = ClockPlan::default();
    for w in &clocks {
        let due = w.clock.due(&legal.calendar).map(iso);
        if open(w) {
            if let Some(d) = &due {
                if out.due_on.as_ref().is_none_or(|cur| d < cur) {
                    out.due_on = Some(d.clone());
                }
            }
            let breached = w.row.as_ref().is_some_and(|r| r.breached_at.is_some());
            out.overdue |= breached || w.clock.is_overdue(on, &legal.calendar);
        }
        if !w.changed {
            continue;
        }
        let met = w.clock.breached(&legal.calendar).map(|late| !late);
        let ops = serde_json::to_string(&w.ops).unwrap_or_else(|_| "[]".into());
        match &w.row {
            Some(r) => out.updates.push(ClockUpdate {
                id: r.id,
                ops,
                due_on: due,
                completed_on: w.clock.completed_on().map(iso),
                met,
            }),
            None => out.new.push(NewClock {
                clock: w.name.clone(),
                rule_id: w.clock.rule_id().to_owned(),
                rule_set: iso(w.clock.rule_set_effective_from()),
                agency: w.agency,
                started_on: iso(w.clock.started_on()),
                due_on: due,
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use minhbach_domain::workflow::ON_RECEIPT;

    fn as_rows(plan: &ClockPlan) -> Vec<ClockRow> {
        plan.new
            .iter()
            .enumerate()
            .map(|(i, n)| ClockRow {
                id: i as i64 + 1,
                clock: n.clock.clone(),
                rule_id: n.rule_id.clone(),
                rule_set: n.rule_set.clone(),
                agency: n.agency,
                started_on: n.started_on.clone(),
                ops: "[]".into(),
                due_on: n.due_on.clone(),
                completed_on: None,
                met: None,
                breached_at: None,
            })
            .collect()
    }

    #[test]
    fn a_report_received_before_tet_2026_has_its_triage_deadline_after_the_holiday() {
        let legal = Legal::shipped().unwrap();
        // Received Thursday 12 February 2026; Tết closes offices 14–22 February.
        let on = time::macros::date!(2026 - 02 - 12);
        let p = plan(&legal, &[], &ON_RECEIPT, AgencyId(1), on, None).unwrap();
        let triage = p.new.iter().find(|c| c.clock == "triage").unwrap();
        let ack = p.new.iter().find(|c| c.clock == "acknowledge").unwrap();
        // 7 working days after 12 Feb: 13 Feb (Fri), then 23, 24, 25, 26, 27 Feb, 2 Mar.
        assert_eq!(triage.due_on.as_deref(), Some("2026-03-02"));
        // 7 calendar days: 19 Feb, a day off, rolls forward to the next working day.
        assert_eq!(ack.due_on.as_deref(), Some("2026-02-23"));
        assert_eq!(p.due_on.as_deref(), Some("2026-02-23"));
        assert!(!p.overdue);
    }

    #[test]
    fn completing_a_clock_records_whether_it_was_met() {
        let legal = Legal::shipped().unwrap();
        let on = time::macros::date!(2026 - 11 - 02);
        let start = plan(&legal, &[], &ON_RECEIPT, AgencyId(1), on, None).unwrap();
        let rows = as_rows(&start);
        let late = time::macros::date!(2026 - 12 - 31);
        let done = plan(
            &legal,
            &rows,
            &[ClockOp::CompleteAll],
            AgencyId(1),
            late,
            None,
        )
        .unwrap();
        assert!(done
            .updates
            .iter()
            .all(|u| u.met == Some(false) && u.completed_on.is_some()));
        assert_eq!(done.due_on, None);
    }
}

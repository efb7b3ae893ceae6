//! Statutory clocks. A [`DeadlineClock`] runs one rule from the date of its start event: it keeps
//! the rule set in force on that date (a case is not moved to rules adopted later), its
//! suspensions and its extensions, and computes the due date against the working-day
//! [`Calendar`]. Pure: today is always a parameter.

use time::{Date, Month};

use crate::calendar::Calendar;
use crate::rules::{Complexity, ExtensionBase, Rule, RuleBook, RuleKind, RuleSet, Unit};
use crate::ReasonText;

/// Why a clock operation was refused. Each variant has a stable code, the key of its translated
/// message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    #[error("no rule set is in force on that date")]
    NoRuleSet,
    #[error("the rule set has no such rule")]
    UnknownRule,
    #[error("no further extension is allowed for this case")]
    ExtensionLimit,
    #[error("this clock cannot be suspended")]
    NotPausable,
    #[error("the clock is already suspended")]
    AlreadyPaused,
    #[error("the clock is not suspended")]
    NotPaused,
    #[error("the step is already done")]
    AlreadyMet,
    #[error("the date is before the clock started")]
    DateBeforeStart,
    #[error("the date is before the last suspension or resumption")]
    OutOfOrder,
}

impl DeadlineError {
    pub const ALL: [DeadlineError; 9] = [
        DeadlineError::NoRuleSet,
        DeadlineError::UnknownRule,
        DeadlineError::ExtensionLimit,
        DeadlineError::NotPausable,
        DeadlineError::AlreadyPaused,
        DeadlineError::NotPaused,
        DeadlineError::AlreadyMet,
        DeadlineError::DateBeforeStart,
        DeadlineError::OutOfOrder,
    ];

    /// The message key shown to the user.
    pub fn code(self) -> &'static str {
        match self {
            DeadlineError::NoRuleSet => "error-deadline-no-rule-set",
            DeadlineError::UnknownRule => "error-deadline-unknown-rule",
            DeadlineError::ExtensionLimit => "error-deadline-extension-limit",
            DeadlineError::NotPausable => "error-deadline-not-pausable",
            DeadlineError::AlreadyPaused => "error-deadline-already-paused",
            DeadlineError::NotPaused => "error-deadline-not-paused",
            DeadlineError::AlreadyMet => "error-deadline-already-met",
            DeadlineError::DateBeforeStart => "error-deadline-before-start",
            DeadlineError::OutOfOrder => "error-deadline-out-of-order",
        }
    }
}

/// A suspension. The days after `from` up to and including `until` do not count, mirroring
/// how the start day itself is not counted; `until` is `None` while suspended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pause {
    pub from: Date,
    pub until: Option<Date>,
    pub reason: ReasonText,
}

/// A granted extension, by written decision (Law on Denunciation Art. 30).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtensionGrant {
    pub decided_on: Date,
    /// The complexity the decision relied on; `None` is an ordinary case.
    pub complexity: Option<Complexity>,
    pub reason: ReasonText,
}

/// One running (or finished) statutory clock of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlineClock {
    rule_id: String,
    rule_set_effective_from: Date,
    rule: Rule,
    roll_forward: bool,
    started_on: Date,
    pauses: Vec<Pause>,
    extensions: Vec<ExtensionGrant>,
    completed_on: Option<Date>,
}

impl DeadlineClock {
    /// Starts `rule_id` on the date of its start event, under the rule set in force that day.
    pub fn start(book: &RuleBook, rule_id: &str, started_on: Date) -> Result<Self, DeadlineError> {
        let set = book
            .rule_set_on(started_on)
            .ok_or(DeadlineError::NoRuleSet)?;
        Self::start_under(set, rule_id, started_on)
    }

    /// Starts `rule_id` under a given set: how a stored clock is rebuilt, with
    /// [`RuleBook::rule_set_effective_from`] and its pauses and extensions replayed.
    pub fn start_under(
        set: &RuleSet,
        rule_id: &str,
        started_on: Date,
    ) -> Result<Self, DeadlineError> {
        let rule = set.rule(rule_id).ok_or(DeadlineError::UnknownRule)?;
        Ok(DeadlineClock {
            rule_id: rule_id.to_owned(),
            rule_set_effective_from: set.effective_from,
            rule: rule.clone(),
            roll_forward: set.rolls_forward(rule),
            started_on,
            pauses: Vec::new(),
            extensions: Vec::new(),
            completed_on: None,
        })
    }

    pub fn rule_id(&self) -> &str {
        &self.rule_id
    }

    /// The `effective_from` of the rule set this clock runs under.
    pub fn rule_set_effective_from(&self) -> Date {
        self.rule_set_effective_from
    }

    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    pub fn started_on(&self) -> Date {
        self.started_on
    }

    pub fn pauses(&self) -> &[Pause] {
        &self.pauses
    }

    pub fn extensions(&self) -> &[ExtensionGrant] {
        &self.extensions
    }

    pub fn extension_count(&self) -> usize {
        self.extensions.len()
    }

    pub fn completed_on(&self) -> Option<Date> {
        self.completed_on
    }

    pub fn is_paused(&self) -> bool {
        self.open_pause().is_some()
    }

    /// Grants the next extension of the rule. A complex case gets the resolution clock's first
    /// +30 days, an especially complex one the second as well (Law on Denunciation Art. 30);
    /// anything beyond is refused. `complexity` is `None` for an ordinary case.
    pub fn extend(
        &mut self,
        complexity: Option<Complexity>,
        reason: ReasonText,
        decided_on: Date,
    ) -> Result<(), DeadlineError> {
        self.check_running(decided_on)?;
        let step = self
            .rule
            .extensions
            .get(self.extensions.len())
            .ok_or(DeadlineError::ExtensionLimit)?;
        if step
            .requires
            .is_some_and(|needed| complexity.is_none_or(|c| c < needed))
        {
            return Err(DeadlineError::ExtensionLimit);
        }
        self.extensions.push(ExtensionGrant {
            decided_on,
            complexity,
            reason,
        });
        Ok(())
    }

    /// Suspends the clock from `from` (Law on Denunciation Art. 34: the time suspended does not
    /// count).
    pub fn pause(&mut self, from: Date, reason: ReasonText) -> Result<(), DeadlineError> {
        self.check_running(from)?;
        if !self.rule.pausable {
            return Err(DeadlineError::NotPausable);
        }
        if self.is_paused() {
            return Err(DeadlineError::AlreadyPaused);
        }
        if self
            .pauses
            .iter()
            .any(|p| p.until.is_some_and(|u| u > from))
        {
            return Err(DeadlineError::OutOfOrder);
        }
        self.pauses.push(Pause {
            from,
            until: None,
            reason,
        });
        Ok(())
    }

    /// Resumes the clock on `on`, the date of the decision to continue.
    pub fn resume(&mut self, on: Date) -> Result<(), DeadlineError> {
        let pause = self
            .pauses
            .last_mut()
            .filter(|p| p.until.is_none())
            .ok_or(DeadlineError::NotPaused)?;
        if on < pause.from {
            return Err(DeadlineError::OutOfOrder);
        }
        pause.until = Some(on);
        Ok(())
    }

    /// Records that the step was done on `on` (for a minimum period: that it ended). A
    /// suspension still open ends that day too.
    pub fn complete(&mut self, on: Date) -> Result<(), DeadlineError> {
        self.check_running(on)?;
        if self.is_paused() {
            self.resume(on)?;
        }
        self.completed_on = Some(on);
        Ok(())
    }

    /// The due date, or `None` while suspended, when it is not known yet.
    pub fn due(&self, cal: &Calendar) -> Option<Date> {
        (!self.is_paused()).then(|| self.due_with(cal, None))
    }

    /// The due date if an open suspension ended on `day`; the due date when not suspended.
    pub fn due_if_resumed_on(&self, day: Date, cal: &Calendar) -> Date {
        self.due_with(cal, Some(day))
    }

    /// Past the due date and not done. A suspended clock is overdue only if it already was when
    /// it was suspended; a minimum period is never overdue.
    pub fn is_overdue(&self, today: Date, cal: &Calendar) -> bool {
        if self.completed_on.is_some() || self.rule.kind == RuleKind::MinimumPeriod {
            return false;
        }
        let due = self.due_with(cal, None);
        match self.open_pause() {
            Some(p) => p.from > due,
            None => today > due,
        }
    }

    /// Working days from `today` to the due date: 0 on the due date, negative when overdue.
    /// Frozen at the suspension date while suspended.
    pub fn working_days_left(&self, today: Date, cal: &Calendar) -> i64 {
        let as_of = self.open_pause().map_or(today, |p| p.from);
        cal.working_days_between(as_of, self.due_with(cal, None))
    }

    /// Once done: whether the step missed its due date (for a minimum period: ended early).
    /// Misses are counted in the statistics and never erased.
    pub fn breached(&self, cal: &Calendar) -> Option<bool> {
        let done = self.completed_on?;
        let due = self.due_with(cal, None);
        Some(match self.rule.kind {
            RuleKind::Deadline => done > due,
            RuleKind::MinimumPeriod => done < due,
        })
    }

    fn open_pause(&self) -> Option<&Pause> {
        self.pauses.last().filter(|p| p.until.is_none())
    }

    fn check_running(&self, on: Date) -> Result<(), DeadlineError> {
        if self.completed_on.is_some() {
            return Err(DeadlineError::AlreadyMet);
        }
        if on < self.started_on {
            return Err(DeadlineError::DateBeforeStart);
        }
        Ok(())
    }

    /// The due date with an open suspension taken to end on `open_until` (`None`: on the day it
    /// began, i.e. as frozen).
    fn due_with(&self, cal: &Calendar, open_until: Option<Date>) -> Date {
        let rule = &self.rule;
        let mut due = advance(cal, self.started_on, rule.unit, rule.amount);
        for step in rule.extensions.iter().take(self.extensions.len()) {
            let base = match step.base {
                ExtensionBase::Due => due,
                ExtensionBase::Start => self.started_on,
            };
            due = advance(cal, base, step.unit, step.amount);
        }
        // Suspended time moves the due date in the rule's own unit (Art. 34).
        let (mut calendar_days, mut working_days) = (0_i64, 0_i64);
        for p in &self.pauses {
            let until = p.until.or(open_until).unwrap_or(p.from).max(p.from);
            calendar_days += (until - p.from).whole_days();
            working_days += cal.working_days_between(p.from, until);
        }
        due = match rule.unit {
            Unit::WorkingDays | Unit::WorkingHours if working_days > 0 => {
                cal.add_working_days(due, u32::try_from(working_days).unwrap_or(u32::MAX))
            }
            Unit::CalendarDays | Unit::Months => add_days(due, calendar_days),
            _ => due,
        };
        // A period ending on a day off ends on the next working day (Civil Code 2015
        // Art. 148(5), by analogy; unconfirmed for the Law on Denunciation, see the rule set).
        if self.roll_forward {
            cal.next_working_day_on_or_after(due)
        } else {
            due
        }
    }
}

fn advance(cal: &Calendar, from: Date, unit: Unit, amount: u32) -> Date {
    match unit {
        Unit::WorkingDays => cal.add_working_days(from, amount),
        Unit::WorkingHours => {
            cal.add_working_days(from, amount.div_ceil(Unit::HOURS_PER_WORKING_DAY))
        }
        Unit::CalendarDays => add_days(from, i64::from(amount)),
        Unit::Months => add_months(from, amount),
    }
}

fn add_days(date: Date, days: i64) -> Date {
    date.checked_add(time::Duration::days(days))
        .unwrap_or(Date::MAX)
}

/// Same day `months` later, or the last day of a shorter month (Civil Code 2015 Art. 148).
fn add_months(date: Date, months: u32) -> Date {
    let index = i64::from(date.year()) * 12 + i64::from(u8::from(date.month()) - 1);
    let index = index + i64::from(months);
    let (Ok(year), Ok(month0)) = (
        i32::try_from(index.div_euclid(12)),
        u8::try_from(index.rem_euclid(12)),
    ) else {
        return Date::MAX;
    };
    let month = Month::January.nth_next(month0);
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::date;

    const Y2026: &str = include_str!("../../../rules/vn/calendar/2026.toml");
    const Y2027: &str = include_str!("../../../rules/vn/calendar/2027.toml");
    const SET_2025: &str = include_str!("../../../rules/vn/2025-07-01.toml");
    const SET_2026: &str = include_str!("../../../rules/vn/2026-07-01.toml");

    fn cal() -> Calendar {
        Calendar::from_toml_years(&[Y2026, Y2027]).unwrap()
    }

    fn book() -> RuleBook {
        RuleBook::from_toml(&[SET_2025, SET_2026]).unwrap()
    }

    fn clock(rule: &str, start: Date) -> DeadlineClock {
        DeadlineClock::start(&book(), rule, start).unwrap()
    }

    const COMPLEX: Option<Complexity> = Some(Complexity::Complex);
    const SPECIAL: Option<Complexity> = Some(Complexity::EspeciallyComplex);

    fn reason() -> ReasonText {
        ReasonText::parse("Chờ kết quả giám định").unwrap()
    }

    #[test]
    fn triage_from_12_february_2026_skips_tet() {
        let cal = cal();
        // Thu 12 Feb: Fri 13 (1), Tết 14–22 Feb, Mon 23 … Fri 27 (2–6), Mon 2 Mar (7).
        let mut c = clock("triage", date!(2026 - 02 - 12));
        assert_eq!(c.rule_set_effective_from(), date!(2025 - 07 - 01));
        assert_eq!(c.due(&cal), Some(date!(2026 - 03 - 02)));
        // Art. 24(1): up to 10 working days in all, once.
        c.extend(None, reason(), date!(2026 - 02 - 27)).unwrap();
        assert_eq!(c.due(&cal), Some(date!(2026 - 03 - 05)));
        assert_eq!(
            c.extend(SPECIAL, reason(), date!(2026 - 03 - 02)),
            Err(DeadlineError::ExtensionLimit)
        );
    }

    #[test]
    fn forwarding_skips_the_compensatory_day_after_hung_kings_2026() {
        // Thu 23 Apr: Fri 24, (Mon 27 compensatory) Tue 28, Wed 29, (30/4, 1/5) Mon 4, Tue 5 May.
        let c = clock("forward", date!(2026 - 04 - 23));
        assert_eq!(c.due(&cal()), Some(date!(2026 - 05 - 05)));
    }

    #[test]
    fn resolution_with_a_suspension_and_two_extensions() {
        let cal = cal();
        let mut c = clock("resolution", date!(2026 - 07 - 01));
        assert_eq!(c.rule_set_effective_from(), date!(2026 - 07 - 01));
        assert_eq!(c.due(&cal), Some(date!(2026 - 07 - 31)));
        c.extend(SPECIAL, reason(), date!(2026 - 07 - 05)).unwrap();
        c.extend(SPECIAL, reason(), date!(2026 - 07 - 06)).unwrap();
        assert_eq!(c.extension_count(), 2);
        // 1 Jul + 30 + 30 + 30 = Tue 29 Sep.
        assert_eq!(c.due(&cal), Some(date!(2026 - 09 - 29)));

        c.pause(date!(2026 - 07 - 10), reason()).unwrap();
        assert_eq!(c.due(&cal), None, "unknown while suspended");
        assert_eq!(
            c.due_if_resumed_on(date!(2026 - 07 - 20), &cal),
            date!(2026 - 10 - 09)
        );
        c.resume(date!(2026 - 07 - 20)).unwrap();
        // 10 days suspended: Fri 9 Oct.
        assert_eq!(c.due(&cal), Some(date!(2026 - 10 - 09)));
    }

    #[test]
    fn a_due_date_on_a_weekend_rolls_to_the_next_working_day() {
        let cal = cal();
        let mut c = clock("resolution", date!(2026 - 07 - 01));
        for _ in 0..2 {
            c.extend(SPECIAL, reason(), date!(2026 - 07 - 05)).unwrap();
        }
        c.pause(date!(2026 - 07 - 10), reason()).unwrap();
        c.resume(date!(2026 - 07 - 21)).unwrap();
        // 11 days suspended: Sat 10 Oct, rolled to Mon 12 Oct.
        assert_eq!(c.due(&cal), Some(date!(2026 - 10 - 12)));
    }

    #[test]
    fn extensions_are_bounded_by_complexity() {
        let start = date!(2026 - 07 - 01);
        let mut ordinary = clock("resolution", start);
        assert_eq!(
            ordinary.extend(None, reason(), start),
            Err(DeadlineError::ExtensionLimit)
        );
        let mut complex = clock("resolution", start);
        complex.extend(COMPLEX, reason(), start).unwrap();
        assert_eq!(
            complex.extend(COMPLEX, reason(), start),
            Err(DeadlineError::ExtensionLimit)
        );
        assert_eq!(complex.extension_count(), 1);
        // 60 days from 1 July is Sunday 30 August; 31 August to 2 September are days off
        // (notice 9441/TB-BNV), so the deadline moves to Thursday 3 September.
        assert_eq!(complex.due(&cal()), Some(date!(2026 - 09 - 03)));
        let mut special = clock("resolution", start);
        for _ in 0..2 {
            special.extend(SPECIAL, reason(), start).unwrap();
        }
        assert_eq!(
            special.extend(SPECIAL, reason(), start),
            Err(DeadlineError::ExtensionLimit)
        );
    }

    #[test]
    fn a_clock_keeps_the_rule_set_in_force_when_it_started() {
        let cal = cal();
        // A later set that lengthens resolution to 45 days from 1 Aug 2026.
        let later = SET_2026
            .replace("effective_from = 2026-07-01", "effective_from = 2026-08-01")
            .replace(
                "amount = 30\nstart_event = \"accepted\"",
                "amount = 45\nstart_event = \"accepted\"",
            );
        let book = RuleBook::from_toml(&[SET_2025, SET_2026, &later]).unwrap();

        let early = DeadlineClock::start(&book, "resolution", date!(2026 - 07 - 15)).unwrap();
        assert_eq!(early.rule_set_effective_from(), date!(2026 - 07 - 01));
        assert_eq!(early.due(&cal), Some(date!(2026 - 08 - 14)));
        // Rebuilt from storage after the new set exists: still the old rule.
        let set = book
            .rule_set_effective_from(early.rule_set_effective_from())
            .unwrap();
        let rebuilt = DeadlineClock::start_under(set, "resolution", early.started_on()).unwrap();
        assert_eq!(rebuilt.due(&cal), Some(date!(2026 - 08 - 14)));

        let late = DeadlineClock::start(&book, "resolution", date!(2026 - 08 - 03)).unwrap();
        assert_eq!(late.rule_set_effective_from(), date!(2026 - 08 - 01));
        assert_eq!(late.due(&cal), Some(date!(2026 - 09 - 17)));
    }

    #[test]
    fn criminal_decision_months_clamp_to_the_month_end() {
        let cal = cal();
        let mut c = clock("criminal_decision", date!(2026 - 12 - 31));
        assert_eq!(c.due(&cal), Some(date!(2027 - 01 - 20)));
        // Up to 2 months from receipt: 31 Dec → 28 Feb 2027 (a Sunday) → Mon 1 Mar.
        c.extend(COMPLEX, reason(), date!(2027 - 01 - 15)).unwrap();
        assert_eq!(c.due(&cal), Some(date!(2027 - 03 - 01)));
        // The procuracy's +2 months count from 28 Feb, not from the rolled date.
        c.extend(COMPLEX, reason(), date!(2027 - 02 - 20)).unwrap();
        assert_eq!(c.due(&cal), Some(date!(2027 - 04 - 28)));
    }

    #[test]
    fn working_hours_count_as_whole_working_days() {
        let cal = cal();
        let fri = date!(2026 - 01 - 30);
        assert_eq!(
            clock("reflection_accept", fri).due(&cal),
            Some(date!(2026 - 02 - 02))
        );
        assert_eq!(
            clock("reflection_accept_urgent", fri).due(&cal),
            Some(date!(2026 - 02 - 02))
        );
    }

    #[test]
    fn overdue_and_working_days_left() {
        let cal = cal();
        let c = clock("triage", date!(2026 - 02 - 12)); // due Mon 2 Mar
        assert_eq!(c.working_days_left(date!(2026 - 02 - 27), &cal), 1);
        assert_eq!(c.working_days_left(date!(2026 - 03 - 02), &cal), 0);
        assert!(!c.is_overdue(date!(2026 - 03 - 02), &cal));
        assert!(c.is_overdue(date!(2026 - 03 - 03), &cal));
        assert_eq!(c.working_days_left(date!(2026 - 03 - 03), &cal), -1);
    }

    #[test]
    fn a_suspended_clock_is_frozen() {
        let cal = cal();
        let mut c = clock("resolution", date!(2026 - 07 - 01)); // due Fri 31 Jul
        c.pause(date!(2026 - 07 - 20), reason()).unwrap();
        assert!(!c.is_overdue(date!(2026 - 09 - 01), &cal));
        // Tue 21 … Fri 24, Mon 27 … Fri 31 Jul.
        assert_eq!(c.working_days_left(date!(2026 - 09 - 01), &cal), 9);

        let mut late = clock("resolution", date!(2026 - 07 - 01));
        late.pause(date!(2026 - 08 - 03), reason()).unwrap();
        assert!(
            late.is_overdue(date!(2026 - 08 - 04), &cal),
            "already overdue"
        );
    }

    #[test]
    fn pause_and_resume_are_checked() {
        let start = date!(2026 - 07 - 01);
        let mut triage = clock("triage", start);
        assert_eq!(
            triage.pause(start, reason()),
            Err(DeadlineError::NotPausable)
        );
        let mut c = clock("resolution", start);
        assert_eq!(c.resume(start), Err(DeadlineError::NotPaused));
        assert_eq!(
            c.pause(date!(2026 - 06 - 30), reason()),
            Err(DeadlineError::DateBeforeStart)
        );
        c.pause(date!(2026 - 07 - 10), reason()).unwrap();
        assert_eq!(
            c.pause(date!(2026 - 07 - 11), reason()),
            Err(DeadlineError::AlreadyPaused)
        );
        assert_eq!(
            c.resume(date!(2026 - 07 - 09)),
            Err(DeadlineError::OutOfOrder)
        );
        c.resume(date!(2026 - 07 - 15)).unwrap();
        assert_eq!(
            c.pause(date!(2026 - 07 - 14), reason()),
            Err(DeadlineError::OutOfOrder)
        );
        assert_eq!(c.pauses().len(), 1);
    }

    #[test]
    fn completion_records_a_breach() {
        let cal = cal();
        let mut on_time = clock("triage", date!(2026 - 02 - 12));
        on_time.complete(date!(2026 - 03 - 02)).unwrap();
        assert_eq!(on_time.breached(&cal), Some(false));
        assert!(!on_time.is_overdue(date!(2026 - 12 - 31), &cal));
        assert_eq!(
            on_time.complete(date!(2026 - 03 - 03)),
            Err(DeadlineError::AlreadyMet)
        );
        let mut late = clock("triage", date!(2026 - 02 - 12));
        assert_eq!(late.breached(&cal), None);
        late.complete(date!(2026 - 03 - 03)).unwrap();
        assert_eq!(late.breached(&cal), Some(true));
    }

    #[test]
    fn a_publication_posted_too_briefly_is_a_breach_never_overdue() {
        let cal = cal();
        // Posted Tue 1 Sep 2026; ≥ 15 consecutive days → not before Wed 16 Sep.
        let mut c = clock("publication_posting", date!(2026 - 09 - 01));
        assert_eq!(c.due(&cal), Some(date!(2026 - 09 - 16)));
        assert!(!c.is_overdue(date!(2026 - 12 - 01), &cal));
        c.complete(date!(2026 - 09 - 10)).unwrap();
        assert_eq!(c.breached(&cal), Some(true));
    }

    #[test]
    fn unknown_rules_and_dates_before_any_set_are_refused() {
        let book = book();
        assert_eq!(
            DeadlineClock::start(&book, "nope", date!(2026 - 07 - 01)),
            Err(DeadlineError::UnknownRule)
        );
        assert_eq!(
            DeadlineClock::start(&book, "triage", date!(2025 - 06 - 30)),
            Err(DeadlineError::NoRuleSet)
        );
    }

    #[test]
    fn error_codes_are_distinct() {
        let mut codes: Vec<_> = DeadlineError::ALL.iter().map(|e| e.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), DeadlineError::ALL.len());
    }
}

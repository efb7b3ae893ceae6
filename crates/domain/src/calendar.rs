//! Working days in Vietnam. Saturdays and Sundays are days off; the calendar data adds official
//! holidays (Labour Code 2019 Art. 112), weekday days off (compensatory, Art. 111(3), or swapped)
//! and weekend make-up working days, one file per year (`rules/vn/calendar/<year>.toml`), read
//! by the caller. Outside the covered years only weekends are days off: [`Calendar::covers`]
//! lets callers warn that a deadline may be early.

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::Deserialize;
use time::{Date, Weekday};

use crate::rules::{toml_date, DataError};

/// What a listed day is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// An official public holiday; listed even on a weekend, for its name.
    Holiday,
    /// A weekday off: compensatory or swapped.
    DayOff,
    /// A Saturday or Sunday worked to make up for a swapped day off.
    WorkingDay,
}

/// One listed day.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarDay {
    #[serde(deserialize_with = "toml_date")]
    pub date: Date,
    pub kind: DayKind,
    pub name_vi: String,
    pub name_en: String,
    /// Required for holidays; otherwise the year's source applies.
    pub source: Option<String>,
    /// Not checked against the published schedule (see also [`CalendarYear::unconfirmed`]).
    #[serde(default)]
    pub unconfirmed: bool,
    pub note: Option<String>,
}

/// What a year file says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarYear {
    pub year: i32,
    pub source: String,
    /// The whole schedule is a projection (e.g. next year's, before the Government announces it).
    pub unconfirmed: bool,
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    source: String,
    #[serde(default)]
    unconfirmed: bool,
    note: Option<String>,
    #[serde(default)]
    day: Vec<CalendarDay>,
}

/// The working-day calendar. `Calendar::default()` covers no year: weekends only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, CalendarYear>,
    days: BTreeMap<Date, CalendarDay>,
}

impl Calendar {
    /// Parses one file per year; the caller does the I/O.
    pub fn from_toml_years(files: &[&str]) -> Result<Self, DataError> {
        let mut cal = Calendar::default();
        for (file, text) in files.iter().enumerate() {
            let y: YearFile = toml::from_str(text).map_err(|e| DataError::Syntax {
                file,
                message: e.to_string(),
            })?;
            let err = |m: String| DataError::invalid(file, m);
            if cal.years.contains_key(&y.year) {
                return Err(err(format!("year {} is given twice", y.year)));
            }
            if y.source.trim().is_empty() {
                return Err(err(format!("year {} needs a source", y.year)));
            }
            for day in y.day {
                let d = day.date;
                if d.year() != y.year {
                    return Err(err(format!("{d} is not in year {}", y.year)));
                }
                if day.name_vi.trim().is_empty() || day.name_en.trim().is_empty() {
                    return Err(err(format!("{d} needs name_vi and name_en")));
                }
                let source_missing = day.source.as_deref().is_none_or(|s| s.trim().is_empty());
                match day.kind {
                    DayKind::Holiday if source_missing => {
                        return Err(err(format!("holiday {d} needs a source")))
                    }
                    DayKind::DayOff if is_weekend(d) => {
                        return Err(err(format!("day_off {d} is a weekend day already")))
                    }
                    DayKind::WorkingDay if !is_weekend(d) => {
                        return Err(err(format!("working_day {d} is a weekday already")))
                    }
                    _ => {}
                }
                if cal.days.insert(d, day).is_some() {
                    return Err(err(format!("{d} is listed twice")));
                }
            }
            cal.years.insert(
                y.year,
                CalendarYear {
                    year: y.year,
                    source: y.source,
                    unconfirmed: y.unconfirmed,
                    note: y.note,
                },
            );
        }
        Ok(cal)
    }

    /// Whether `year` has holiday data. When it has not, only weekends are days off and
    /// deadlines in that year may fall earlier than the law allows: callers should warn.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    pub fn years(&self) -> impl Iterator<Item = &CalendarYear> {
        self.years.values()
    }

    /// The listed day, with its name and source, if any.
    pub fn day(&self, date: Date) -> Option<&CalendarDay> {
        self.days.get(&date)
    }

    /// Listed days not confirmed by a published schedule, by themselves or through their year.
    pub fn unconfirmed_days(&self) -> impl Iterator<Item = &CalendarDay> {
        self.days.values().filter(|d| {
            d.unconfirmed
                || self
                    .years
                    .get(&d.date.year())
                    .is_some_and(|y| y.unconfirmed)
        })
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        match self.days.get(&date).map(|d| d.kind) {
            Some(DayKind::WorkingDay) => true,
            Some(DayKind::Holiday | DayKind::DayOff) => false,
            None => !is_weekend(date),
        }
    }

    /// `date` if it is a working day, else the first working day after it.
    pub fn next_working_day_on_or_after(&self, date: Date) -> Date {
        let mut d = date;
        while !self.is_working_day(d) {
            match d.next_day() {
                Some(next) => d = next,
                None => return d,
            }
        }
        d
    }

    /// The `n`-th working day strictly after `start`; for `n = 0`, `start` itself if it is a
    /// working day, else the next one. The day of the event is not counted (Civil Code 2015
    /// Art. 147(1)). Saturates at [`Date::MAX`].
    pub fn add_working_days(&self, start: Date, n: u32) -> Date {
        if n == 0 {
            return self.next_working_day_on_or_after(start);
        }
        let mut d = start;
        let mut left = n;
        while left > 0 {
            match d.next_day() {
                Some(next) => d = next,
                None => return d,
            }
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The working days in `(a, b]`, negative when `b` is before `a`; so
    /// `working_days_between(s, add_working_days(s, n)) == n` for a working day `s`.
    pub fn working_days_between(&self, a: Date, b: Date) -> i64 {
        if b < a {
            return -self.working_days_between(b, a);
        }
        // Weekdays by arithmetic, then the listed days in the range correct it, so the cost
        // does not grow with the distance.
        let listed: i64 = self
            .days
            .range((Bound::Excluded(a), Bound::Included(b)))
            .map(|(&d, _)| i64::from(self.is_working_day(d)) - i64::from(!is_weekend(d)))
            .sum();
        weekdays_through(b) - weekdays_through(a) + listed
    }
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// Mondays to Fridays from a fixed origin through `date`; only differences are meaningful.
fn weekdays_through(date: Date) -> i64 {
    let from_monday = i64::from(date.weekday().number_days_from_monday());
    let monday = i64::from(date.to_julian_day()) - from_monday;
    5 * monday.div_euclid(7) + (from_monday + 1).min(5)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const Y2026: &str = include_str!("../../../rules/vn/calendar/2026.toml");
    const Y2027: &str = include_str!("../../../rules/vn/calendar/2027.toml");

    fn cal() -> Calendar {
        Calendar::from_toml_years(&[Y2026, Y2027]).unwrap()
    }

    /// Parsed once for the property tests.
    static CAL: std::sync::LazyLock<Calendar> = std::sync::LazyLock::new(cal);

    fn year_with(day: &str) -> String {
        format!("year = 2026\nsource = \"test\"\n[[day]]\nname_vi = \"x\"\nname_en = \"x\"\n{day}")
    }

    #[test]
    fn tet_2026_closes_offices_from_14_to_22_february() {
        let cal = cal();
        let mut d = date!(2026 - 02 - 14);
        while d <= date!(2026 - 02 - 22) {
            assert!(!cal.is_working_day(d), "{d}");
            d = d.next_day().unwrap();
        }
        assert!(cal.is_working_day(date!(2026 - 02 - 13)));
        assert!(cal.is_working_day(date!(2026 - 02 - 23)));
    }

    #[test]
    fn a_holiday_on_a_sunday_gives_a_compensatory_monday() {
        // Hùng Kings 2026 is Sunday 26 April; Monday 27 is off (Labour Code Art. 111(3)).
        let cal = cal();
        assert_eq!(
            cal.day(date!(2026 - 04 - 27)).unwrap().kind,
            DayKind::DayOff
        );
        assert!(!cal.is_working_day(date!(2026 - 04 - 27)));
        assert!(cal.is_working_day(date!(2026 - 04 - 28)));
        // Forward 5 WD from Thu 23 Apr: Fri 24, Tue 28, Wed 29, (30/4, 1/5 off) Mon 4, Tue 5 May.
        assert_eq!(
            cal.add_working_days(date!(2026 - 04 - 23), 5),
            date!(2026 - 05 - 05)
        );
    }

    #[test]
    fn a_make_up_saturday_is_a_working_day() {
        let cal = cal();
        assert!(cal.is_working_day(date!(2026 - 01 - 10)));
        assert!(!cal.is_working_day(date!(2026 - 01 - 02)));
        // National Day 2026 (notice 9441/TB-BNV): Monday 31 August swapped for Saturday 22 August.
        assert!(cal.is_working_day(date!(2026 - 08 - 22)));
        assert!(!cal.is_working_day(date!(2026 - 08 - 31)));
        // Fri 28 Aug + 1 working day: 29 Aug to 2 Sep are all off.
        assert_eq!(
            cal.add_working_days(date!(2026 - 08 - 28), 1),
            date!(2026 - 09 - 03)
        );
        // Fri 21 Aug + 1 working day is the make-up Saturday.
        assert_eq!(
            cal.add_working_days(date!(2026 - 08 - 21), 1),
            date!(2026 - 08 - 22)
        );
    }

    #[test]
    fn the_new_year_2026_swap_is_confirmed() {
        let cal = cal();
        for d in [date!(2026 - 01 - 02), date!(2026 - 01 - 10)] {
            assert!(!cal.day(d).unwrap().unconfirmed, "{d}");
        }
    }

    #[test]
    fn uncovered_years_count_weekends_only_and_say_so() {
        let cal = cal();
        assert!(cal.covers(2026) && cal.covers(2027));
        assert!(!cal.covers(2025) && !cal.covers(2028));
        // 1 Jan 2025 was New Year's Day, but 2025 has no data.
        assert!(cal.is_working_day(date!(2025 - 01 - 01)));
        assert!(!cal.is_working_day(date!(2028 - 01 - 01)), "a Saturday");
    }

    #[test]
    fn the_2027_projection_is_flagged_unconfirmed() {
        let cal = cal();
        let y2027 = cal.years().find(|y| y.year == 2027).unwrap();
        assert!(y2027.unconfirmed);
        assert!(cal
            .unconfirmed_days()
            .any(|d| d.date == date!(2027 - 02 - 10)));
        assert!(!cal
            .unconfirmed_days()
            .any(|d| d.date == date!(2026 - 02 - 17)));
    }

    #[test]
    fn adding_zero_working_days_stays_on_a_working_day() {
        let cal = cal();
        assert_eq!(
            cal.add_working_days(date!(2026 - 02 - 13), 0),
            date!(2026 - 02 - 13)
        );
        assert_eq!(
            cal.add_working_days(date!(2026 - 02 - 14), 0),
            date!(2026 - 02 - 23)
        );
    }

    #[test]
    fn malformed_years_are_refused() {
        let cases = [
            "date = 2026-02-14\nkind = \"day_off\"",     // a Saturday
            "date = 2026-02-16\nkind = \"working_day\"", // a Monday
            "date = 2027-01-01\nkind = \"day_off\"",     // another year
            "date = 2026-09-02\nkind = \"holiday\"",     // no source
        ];
        for day in cases {
            let err = Calendar::from_toml_years(&[&year_with(day)]).unwrap_err();
            assert!(matches!(err, DataError::Invalid { file: 0, .. }), "{day}");
        }
        let unknown = year_with("date = 2026-02-16\nkind = \"bridge\"");
        assert!(matches!(
            Calendar::from_toml_years(&[&unknown]),
            Err(DataError::Syntax { .. })
        ));
        assert!(matches!(
            Calendar::from_toml_years(&[Y2026, Y2026]),
            Err(DataError::Invalid { file: 1, .. })
        ));
    }

    fn any_date() -> impl Strategy<Value = Date> {
        // Late 2025 to early 2028: both covered years and weekend-only years on each side.
        let lo = date!(2025 - 11 - 01).to_julian_day();
        let hi = date!(2028 - 03 - 01).to_julian_day();
        (lo..hi).prop_map(|j| Date::from_julian_day(j).unwrap())
    }

    fn naive_between(cal: &Calendar, a: Date, b: Date) -> i64 {
        let (lo, hi, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
        let mut n = 0;
        let mut d = lo;
        while d < hi {
            d = d.next_day().unwrap();
            n += i64::from(cal.is_working_day(d));
        }
        sign * n
    }

    proptest! {
        #[test]
        fn adding_working_days_never_lands_on_a_day_off(s in any_date(), n in 0u32..300) {
            prop_assert!(CAL.is_working_day(CAL.add_working_days(s, n)));
        }

        #[test]
        fn adding_working_days_is_monotonic(
            s1 in any_date(), s2 in any_date(), n1 in 0u32..300, n2 in 0u32..300,
        ) {
            let cal = &*CAL;
            let (s1, s2) = (s1.min(s2), s1.max(s2));
            let (n1, n2) = (n1.min(n2), n1.max(n2));
            prop_assert!(cal.add_working_days(s1, n1) <= cal.add_working_days(s1, n2));
            prop_assert!(cal.add_working_days(s1, n1) <= cal.add_working_days(s2, n1));
        }

        #[test]
        fn counting_undoes_adding_from_a_working_day(s in any_date(), n in 0u32..300) {
            let cal = &*CAL;
            let start = cal.next_working_day_on_or_after(s);
            let end = cal.add_working_days(start, n);
            prop_assert_eq!(cal.working_days_between(start, end), i64::from(n));
            prop_assert_eq!(cal.working_days_between(end, start), -i64::from(n));
        }

        #[test]
        fn counting_matches_a_day_by_day_count(a in any_date(), b in any_date()) {
            prop_assert_eq!(CAL.working_days_between(a, b), naive_between(&CAL, a, b));
        }
    }
}

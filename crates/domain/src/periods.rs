//! The official reporting periods of the periodic reports (quarter, 6, 9 and 12 months) and
//! their statistical cut-off dates, as dated data (`rules/vn/reporting-periods.toml`, read by
//! the caller or through [`ReportingRules::SHIPPED`]). Decree 09/2019/NĐ-CP on the reporting
//! regime of state administrative agencies, Art. 12, counts a period's figures from the 15th of
//! the month before it to the 14th of its last month: Q4 2026 is 15 September – 14 December 2026,
//! the year 2026 is 15 December 2025 – 14 December 2026. The data marks this unconfirmed
//! (shared/LEGAL.md "Statistics the leadership needs"). Also a period a reader types, checked.

use serde::Deserialize;
use time::{Date, Month};

use crate::error::FieldError;
use crate::rules::{toml_date, DataError};

/// Which periodic report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeriodKind {
    /// Quarter 1 to 4; any other number has no period and no code.
    Quarter(u8),
    /// January to June.
    SixMonths,
    /// January to September.
    NineMonths,
    /// The whole year.
    Year,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 7] = [
        PeriodKind::Quarter(1),
        PeriodKind::Quarter(2),
        PeriodKind::Quarter(3),
        PeriodKind::Quarter(4),
        PeriodKind::SixMonths,
        PeriodKind::NineMonths,
        PeriodKind::Year,
    ];

    /// The stable code used in URLs and message keys: "q1".."q4", "6m", "9m", "12m" ("q?" for a
    /// quarter outside 1..=4, which [`PeriodKind::from_code`] never returns).
    pub fn code(self) -> &'static str {
        match self {
            PeriodKind::Quarter(1) => "q1",
            PeriodKind::Quarter(2) => "q2",
            PeriodKind::Quarter(3) => "q3",
            PeriodKind::Quarter(4) => "q4",
            PeriodKind::Quarter(_) => "q?",
            PeriodKind::SixMonths => "6m",
            PeriodKind::NineMonths => "9m",
            PeriodKind::Year => "12m",
        }
    }

    /// Parses a code as [`PeriodKind::code`] gives it (what the web layer receives).
    pub fn from_code(code: &str) -> Option<PeriodKind> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The calendar months the period is named after: (first, last).
    fn months(self) -> Option<(Month, Month)> {
        use Month::*;
        Some(match self {
            PeriodKind::Quarter(1) => (January, March),
            PeriodKind::Quarter(2) => (April, June),
            PeriodKind::Quarter(3) => (July, September),
            PeriodKind::Quarter(4) => (October, December),
            PeriodKind::Quarter(_) => return None,
            PeriodKind::SixMonths => (January, June),
            PeriodKind::NineMonths => (January, September),
            PeriodKind::Year => (January, December),
        })
    }
}

/// A period of receipt, both days included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    pub fn contains(&self, d: Date) -> bool {
        self.from <= d && d <= self.to
    }

    /// The calendar months the period touches, in order, as (year, month number): Q1 2026
    /// (15 December 2025 – 14 March 2026) touches (2025, 12), (2026, 1), (2026, 2), (2026, 3).
    pub fn months(&self) -> Vec<(i32, u8)> {
        let mut out = Vec::new();
        let (mut y, mut m) = (self.from.year(), self.from.month());
        let last = (self.to.year(), u8::from(self.to.month()));
        while (y, u8::from(m)) <= last {
            out.push((y, u8::from(m)));
            if m == Month::December {
                y += 1;
            }
            m = m.next();
        }
        out
    }
}

/// A period a reader typed: it must not end before it starts (field `to`, code
/// `period-ends-before-start`).
pub fn custom_period(from: Date, to: Date) -> Result<Period, FieldError> {
    if to < from {
        return Err(FieldError {
            field: "to",
            code: "period-ends-before-start",
        });
    }
    Ok(Period { from, to })
}

/// One dated cut-off rule: from `effective_from`, a period's figures run from day `start_day`
/// of the month before the period to day `end_day` of its last month.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cutoff {
    #[serde(deserialize_with = "toml_date")]
    pub effective_from: Date,
    /// 1..=28, so that it exists in every month.
    pub start_day: u8,
    /// 1..=28.
    pub end_day: u8,
    /// The legal basis in English.
    pub source: String,
    /// The legal basis in Vietnamese, as a Vietnamese reader is shown it.
    pub source_vi: String,
    /// The article or the days were not checked against the official text.
    #[serde(default)]
    pub unconfirmed: bool,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    cutoffs: Vec<Cutoff>,
}

/// The cut-off rules, oldest first; never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportingRules {
    cutoffs: Vec<Cutoff>,
}

impl ReportingRules {
    /// The rules shipped with the product.
    pub const SHIPPED: &'static str = include_str!("../../../rules/vn/reporting-periods.toml");

    /// Parses and checks a rules file. Unknown keys, a missing source, a day outside 1..=28,
    /// two rules on one day or no rule at all are refused.
    pub fn parse(text: &str) -> Result<Self, DataError> {
        let file: File = toml::from_str(text).map_err(|e| DataError::Syntax {
            file: 0,
            message: e.to_string(),
        })?;
        let invalid = |message: String| DataError::invalid(0, message);
        let mut cutoffs = file.cutoffs;
        for c in &cutoffs {
            let from = c.effective_from;
            // The 29th–31st do not exist in every month.
            for day in [c.start_day, c.end_day] {
                if !(1..=28).contains(&day) {
                    return Err(invalid(format!(
                        "the cut-off of {from}: day {day} is not between 1 and 28"
                    )));
                }
            }
            if c.source.trim().is_empty() || c.source_vi.trim().is_empty() {
                return Err(invalid(format!(
                    "the cut-off of {from} needs source and source_vi"
                )));
            }
        }
        cutoffs.sort_by_key(|c| c.effective_from);
        if cutoffs
            .windows(2)
            .any(|w| w[0].effective_from == w[1].effective_from)
        {
            return Err(invalid("two cut-offs take effect on one day".into()));
        }
        if cutoffs.is_empty() {
            return Err(invalid("no cut-off".into()));
        }
        Ok(ReportingRules { cutoffs })
    }

    /// The shipped rules (a test checks that they parse).
    pub fn shipped() -> Result<Self, DataError> {
        Self::parse(Self::SHIPPED)
    }

    /// Every rule, oldest first.
    pub fn cutoffs(&self) -> &[Cutoff] {
        &self.cutoffs
    }

    /// The rule in force on `day`; before the first took effect, the first.
    pub fn in_force(&self, day: Date) -> &Cutoff {
        let after = self.cutoffs.partition_point(|c| c.effective_from <= day);
        let i = after.saturating_sub(1);
        match self.cutoffs.get(i).or(self.cutoffs.first()) {
            Some(c) => c,
            None => unreachable!("parse refuses an empty list"),
        }
    }

    /// The rule that cuts every report of `year`: the one in force on 1 January of the year
    /// (the earliest one for a year before any), so that all the periods of one year follow
    /// one rule, and its quarters tile its 12 months.
    pub fn rule_for(&self, year: i32) -> &Cutoff {
        match Date::from_calendar_date(year, Month::January, 1) {
            Ok(day) => self.in_force(day),
            Err(_) if year < 0 => self.in_force(Date::MIN),
            Err(_) => self.in_force(Date::MAX),
        }
    }

    /// The legal basis of `year`'s periods, in English and in Vietnamese, and whether it is
    /// unconfirmed: what a report prints under its cut-off dates.
    pub fn source(&self, year: i32) -> (&str, &str, bool) {
        let c = self.rule_for(year);
        (&c.source, &c.source_vi, c.unconfirmed)
    }

    /// The cut-off dates of the periodic report `kind` of `year`. `None` for a quarter outside
    /// 1..=4 or a year outside the dates [`time`] handles.
    pub fn period(&self, kind: PeriodKind, year: i32) -> Option<Period> {
        let (first, last) = kind.months()?;
        let rule = self.rule_for(year);
        let before_year = if first == Month::January {
            year.checked_sub(1)?
        } else {
            year
        };
        Some(Period {
            from: Date::from_calendar_date(before_year, first.previous(), rule.start_day).ok()?,
            to: Date::from_calendar_date(year, last, rule.end_day).ok()?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const FILE: &str = include_str!("../../../rules/vn/reporting-periods.toml");

    fn rules() -> ReportingRules {
        ReportingRules::parse(FILE).unwrap()
    }

    fn period(from: Date, to: Date) -> Period {
        Period { from, to }
    }

    #[test]
    fn the_periods_of_2026_cut_on_the_15th_and_the_14th() {
        let r = rules();
        let p = |k| r.period(k, 2026).unwrap();
        assert_eq!(
            p(PeriodKind::Quarter(4)),
            period(date!(2026 - 09 - 15), date!(2026 - 12 - 14))
        );
        assert_eq!(
            p(PeriodKind::Quarter(1)),
            period(date!(2025 - 12 - 15), date!(2026 - 03 - 14))
        );
        assert_eq!(
            p(PeriodKind::SixMonths),
            period(date!(2025 - 12 - 15), date!(2026 - 06 - 14))
        );
        assert_eq!(
            p(PeriodKind::NineMonths),
            period(date!(2025 - 12 - 15), date!(2026 - 09 - 14))
        );
        assert_eq!(
            p(PeriodKind::Year),
            period(date!(2025 - 12 - 15), date!(2026 - 12 - 14))
        );
        assert_eq!(r.period(PeriodKind::Quarter(0), 2026), None);
        assert_eq!(r.period(PeriodKind::Quarter(5), 2026), None);
    }

    #[test]
    fn the_shipped_rule_is_flagged_and_names_its_source() {
        let r = rules();
        assert_eq!(r, ReportingRules::shipped().unwrap());
        let (en, vi, unconfirmed) = r.source(2026);
        assert!(unconfirmed, "Art. 12 and the days are not checked yet");
        assert!(
            en.contains("09/2019/ND-CP") && en.contains("Art. 12"),
            "{en}"
        );
        assert!(
            vi.contains("09/2019/NĐ-CP") && vi.contains("Điều 12"),
            "{vi}"
        );
        assert!(r.rule_for(2026).note.contains("Art"));
    }

    #[test]
    fn a_later_rule_applies_from_the_year_it_is_in_force_on_1_january() {
        let later = format!(
            "{FILE}\n[[cutoffs]]\neffective_from = 2027-07-01\nstart_day = 20\nend_day = 19\n\
             source = \"x\"\nsource_vi = \"x\"\n"
        );
        let r = ReportingRules::parse(&later).unwrap();
        assert_eq!(r.cutoffs().len(), 2);
        assert_eq!(
            r.period(PeriodKind::Quarter(4), 2027),
            Some(period(date!(2027 - 09 - 15), date!(2027 - 12 - 14)))
        );
        assert_eq!(
            r.period(PeriodKind::Quarter(1), 2028),
            Some(period(date!(2027 - 12 - 20), date!(2028 - 03 - 19)))
        );
        // Before the first rule, the first applies.
        assert_eq!(r.rule_for(1990).start_day, 15);
    }

    #[test]
    fn a_period_that_ends_before_it_starts_is_refused() {
        assert_eq!(
            custom_period(date!(2026 - 12 - 01), date!(2026 - 11 - 30)),
            Err(FieldError {
                field: "to",
                code: "period-ends-before-start"
            })
        );
        assert_eq!(
            custom_period(date!(2026 - 12 - 01), date!(2026 - 12 - 01)),
            Ok(period(date!(2026 - 12 - 01), date!(2026 - 12 - 01)))
        );
    }

    #[test]
    fn malformed_rules_are_refused() {
        let invalid = |text: &str| {
            let e = ReportingRules::parse(text).unwrap_err();
            assert!(matches!(e, DataError::Invalid { .. }), "{e}");
            e.to_string()
        };
        let syntax = |text: &str| {
            let e = ReportingRules::parse(text).unwrap_err();
            assert!(matches!(e, DataError::Syntax { .. }), "{e}");
            e.to_string()
        };
        assert!(FILE.contains("end_day = 14") && FILE.contains("start_day = 15"));
        assert!(invalid(&FILE.replace("end_day = 14", "end_day = 31")).contains("31"));
        assert!(invalid(&FILE.replace("start_day = 15", "start_day = 0")).contains("day 0"));
        assert!(syntax(&FILE.replace("source = ", "# ")).contains("source"));
        assert!(syntax(&FILE.replace("source_vi = ", "# ")).contains("source_vi"));
        invalid(&FILE.replace("source = \"", "source = \" \" # \""));
        assert!(syntax(&FILE.replace("start_day", "first_day")).contains("first_day"));
        syntax(&FILE.replace("2019-03-12", "2019-03-12T00:00:00"));
        syntax(&FILE.replace("2019-03-12", "\"soon\""));
        invalid(&format!(
            "{FILE}{}",
            &FILE[FILE.find("\n[[cutoffs]]").unwrap()..]
        ));
        invalid("cutoffs = []");
        syntax("");
    }

    #[test]
    fn codes_round_trip() {
        for k in PeriodKind::ALL {
            assert_eq!(PeriodKind::from_code(k.code()), Some(k));
        }
        assert_eq!(PeriodKind::from_code("q5"), None);
        assert_eq!(PeriodKind::from_code("q?"), None);
        assert_eq!(PeriodKind::from_code("Q1"), None);
        assert_eq!(PeriodKind::Quarter(9).code(), "q?");
    }

    #[test]
    fn months_and_contains() {
        let q1 = rules().period(PeriodKind::Quarter(1), 2026).unwrap();
        assert_eq!(
            q1.months(),
            vec![(2025, 12), (2026, 1), (2026, 2), (2026, 3)]
        );
        assert!(q1.contains(date!(2025 - 12 - 15)));
        assert!(q1.contains(date!(2026 - 03 - 14)));
        assert!(!q1.contains(date!(2025 - 12 - 14)));
        assert!(!q1.contains(date!(2026 - 03 - 15)));
        let one = period(date!(2026 - 05 - 31), date!(2026 - 05 - 31));
        assert_eq!(one.months(), vec![(2026, 5)]);
        assert_eq!(
            rules()
                .period(PeriodKind::Year, 2026)
                .unwrap()
                .months()
                .len(),
            13
        );
    }

    proptest! {
        #[test]
        fn quarters_tile_the_years(year in 1900i32..2200) {
            let r = rules();
            let q = |n, y| r.period(PeriodKind::Quarter(n), y).unwrap();
            for n in 1..=3u8 {
                prop_assert_eq!(q(n, year).to.next_day().unwrap(), q(n + 1, year).from);
            }
            prop_assert_eq!(q(4, year).to.next_day().unwrap(), q(1, year + 1).from);
            let whole = |k| r.period(k, year).unwrap();
            prop_assert_eq!(whole(PeriodKind::Year), period(q(1, year).from, q(4, year).to));
            prop_assert_eq!(whole(PeriodKind::SixMonths), period(q(1, year).from, q(2, year).to));
            prop_assert_eq!(whole(PeriodKind::NineMonths), period(q(1, year).from, q(3, year).to));
            // Every day is in exactly one quarter of exactly one year.
            let day = q(1, year).from + time::Duration::days(i64::from(year.rem_euclid(365)));
            let holders = (year - 1..=year + 1)
                .flat_map(|y| (1..=4).map(move |n| (n, y)))
                .filter(|&(n, y)| q(n, y).contains(day))
                .count();
            prop_assert_eq!(holders, 1);
        }
    }
}

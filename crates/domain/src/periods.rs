//! The official reporting periods of the periodic reports (quarter, 6, 9 and 12 months) and
//! their statistical cut-off dates, as dated data (`rules/vn/reporting-periods.toml`): Decree
//! 09/2019/NĐ-CP Art. 12 counts a period from the 15th of the month before it to the 14th of its
//! last month (marked unconfirmed in the data). Also a period a reader types, checked.

use time::{Date, Month};

use crate::error::FieldError;
use crate::rules::DataError;

/// Which periodic report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeriodKind {
    /// Quarter 1 to 4.
    Quarter(u8),
    SixMonths,
    NineMonths,
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

    pub fn code(self) -> &'static str {
        match self {
            PeriodKind::Quarter(1) => "q1",
            PeriodKind::Quarter(2) => "q2",
            PeriodKind::Quarter(3) => "q3",
            PeriodKind::Quarter(_) => "q4",
            PeriodKind::SixMonths => "6m",
            PeriodKind::NineMonths => "9m",
            PeriodKind::Year => "12m",
        }
    }

    pub fn from_code(code: &str) -> Option<PeriodKind> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The calendar months the period covers: (first, last).
    fn months(self) -> (u8, u8) {
        match self {
            PeriodKind::Quarter(q) => {
                let q = q.clamp(1, 4);
                (3 * q - 2, 3 * q)
            }
            PeriodKind::SixMonths => (1, 6),
            PeriodKind::NineMonths => (1, 9),
            PeriodKind::Year => (1, 12),
        }
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
}

/// A period a reader typed: it must not end before it starts.
pub fn custom_period(from: Date, to: Date) -> Result<Period, FieldError> {
    if to < from {
        return Err(FieldError {
            field: "to",
            code: "period-ends-before-start",
        });
    }
    Ok(Period { from, to })
}

/// One dated cut-off rule.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cutoff {
    pub effective_from: toml::value::Datetime,
    pub start_day: u8,
    pub end_day: u8,
    pub source: String,
    pub source_vi: String,
    #[serde(default)]
    pub unconfirmed: bool,
    #[serde(default)]
    pub note: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    cutoffs: Vec<Cutoff>,
}

/// The cut-off rules, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportingRules {
    cutoffs: Vec<(Date, Cutoff)>,
}

fn toml_date(d: &toml::value::Datetime) -> Option<Date> {
    let day = d.date?;
    Date::from_calendar_date(
        i32::from(day.year),
        Month::try_from(day.month).ok()?,
        day.day,
    )
    .ok()
}

impl ReportingRules {
    /// The rules shipped with the product.
    pub const SHIPPED: &'static str = include_str!("../../../rules/vn/reporting-periods.toml");

    pub fn parse(text: &str) -> Result<Self, DataError> {
        let file: File = toml::from_str(text).map_err(|e| DataError::Syntax {
            file: 0,
            message: e.to_string(),
        })?;
        let invalid = |message: String| DataError::Invalid { file: 0, message };
        let mut cutoffs = Vec::new();
        for c in file.cutoffs {
            let from = toml_date(&c.effective_from).ok_or_else(|| {
                invalid(format!("effective_from {} is not a date", c.effective_from))
            })?;
            // The 29th–31st do not exist in every month.
            for day in [c.start_day, c.end_day] {
                if !(1..=28).contains(&day) {
                    return Err(invalid(format!("day {day} is not between 1 and 28")));
                }
            }
            if c.source.trim().is_empty() || c.source_vi.trim().is_empty() {
                return Err(invalid(format!("the cut-off of {from} names no source")));
            }
            cutoffs.push((from, c));
        }
        cutoffs.sort_by_key(|(d, _)| *d);
        if cutoffs.windows(2).any(|w| w[0].0 == w[1].0) {
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

    /// The rule in force on `day` (the earliest one before any took effect).
    pub fn in_force(&self, day: Date) -> &Cutoff {
        self.cutoffs
            .iter()
            .rev()
            .find(|(from, _)| *from <= day)
            .or(self.cutoffs.first())
            .map(|(_, c)| c)
            .unwrap_or_else(|| unreachable!("parse refuses an empty list"))
    }

    /// The cut-off dates of a periodic report of `year`.
    pub fn period(&self, kind: PeriodKind, year: i32) -> Option<Period> {
        let (first, last) = kind.months();
        let first = Month::try_from(first).ok()?;
        let last = Month::try_from(last).ok()?;
        let (before_year, before) = if first == Month::January {
            (year - 1, Month::December)
        } else {
            (year, first.previous())
        };
        let rule = self.in_force(Date::from_calendar_date(before_year, before, 1).ok()?);
        Some(Period {
            from: Date::from_calendar_date(before_year, before, rule.start_day).ok()?,
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

    fn rules() -> ReportingRules {
        ReportingRules::shipped().unwrap()
    }

    #[test]
    fn the_periods_of_2026_cut_on_the_15th_and_the_14th() {
        let r = rules();
        let p = |k, y| r.period(k, y).unwrap();
        assert_eq!(
            p(PeriodKind::Quarter(4), 2026),
            Period {
                from: date!(2026 - 09 - 15),
                to: date!(2026 - 12 - 14)
            }
        );
        assert_eq!(p(PeriodKind::Quarter(1), 2026).from, date!(2025 - 12 - 15));
        assert_eq!(p(PeriodKind::Quarter(1), 2026).to, date!(2026 - 03 - 14));
        assert_eq!(p(PeriodKind::SixMonths, 2026).to, date!(2026 - 06 - 14));
        assert_eq!(p(PeriodKind::NineMonths, 2026).to, date!(2026 - 09 - 14));
        assert_eq!(
            p(PeriodKind::Year, 2026),
            Period {
                from: date!(2025 - 12 - 15),
                to: date!(2026 - 12 - 14)
            }
        );
        assert!(r.in_force(date!(2026 - 01 - 01)).unconfirmed);
        assert!(r
            .in_force(date!(2026 - 01 - 01))
            .source_vi
            .contains("09/2019/NĐ-CP"));
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
        assert!(custom_period(date!(2026 - 12 - 01), date!(2026 - 12 - 01)).is_ok());
    }

    #[test]
    fn malformed_rules_are_refused() {
        let base = ReportingRules::SHIPPED;
        assert!(ReportingRules::parse(&base.replace("end_day = 14", "end_day = 31")).is_err());
        assert!(ReportingRules::parse(&base.replace("source_vi = ", "# ")).is_err());
        assert!(ReportingRules::parse(&base.replace("start_day", "first_day")).is_err());
        assert!(ReportingRules::parse("").is_err());
    }

    #[test]
    fn codes_round_trip() {
        for k in PeriodKind::ALL {
            assert_eq!(PeriodKind::from_code(k.code()), Some(k));
        }
    }

    proptest! {
        #[test]
        fn quarters_tile_the_years(year in 2000i32..2100) {
            let r = rules();
            for q in 1..=4u8 {
                let this = r.period(PeriodKind::Quarter(q), year).unwrap();
                let next = if q == 4 {
                    r.period(PeriodKind::Quarter(1), year + 1).unwrap()
                } else {
                    r.period(PeriodKind::Quarter(q + 1), year).unwrap()
                };
                prop_assert_eq!(this.to.next_day().unwrap(), next.from);
            }
            let y = r.period(PeriodKind::Year, year).unwrap();
            prop_assert_eq!(y.from, r.period(PeriodKind::Quarter(1), year).unwrap().from);
            prop_assert_eq!(y.to, r.period(PeriodKind::Quarter(4), year).unwrap().to);
        }
    }
}

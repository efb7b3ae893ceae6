//! Statutory deadlines as dated data. Each rule set (`rules/vn/<effective-from>.toml`) holds every
//! deadline rule in force from its date; the law changes by adding a set, never by editing code
//! (Law 136/2025/QH15 takes effect on 1 July 2026). The caller reads the files; this module only
//! parses and validates them, and refuses unknown keys and units so a typo cannot silently drop a
//! rule.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use time::{Date, Month};

/// A data file (rule set or calendar year) that cannot be used. `file` is the position of the
/// file in the slice given to the parser, so the caller can name it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// Not valid TOML, or not the expected shape: unknown key, unknown unit, wrong type.
    #[error("data file {file}: {message}")]
    Syntax { file: usize, message: String },
    /// Well-formed, but breaks a rule of the format (duplicate date, zero amount, ...).
    #[error("data file {file}: {message}")]
    Invalid { file: usize, message: String },
}

impl DataError {
    pub fn code(&self) -> &'static str {
        match self {
            DataError::Syntax { .. } => "error-data-syntax",
            DataError::Invalid { .. } => "error-data-invalid",
        }
    }

    pub(crate) fn invalid(file: usize, message: impl Into<String>) -> Self {
        DataError::Invalid {
            file,
            message: message.into(),
        }
    }
}

/// Reads a TOML local date (`2026-07-01`, unquoted) into a [`Date`]; a time or offset is refused
/// because deadlines are counted in whole days.
pub(crate) fn toml_date<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    use serde::de::Error;
    let dt = toml::value::Datetime::deserialize(d)?;
    let (Some(date), None, None) = (dt.date, dt.time, dt.offset) else {
        return Err(D::Error::custom(format!(
            "expected a date such as 2026-07-01, found {dt}"
        )));
    };
    Month::try_from(date.month)
        .and_then(|m| Date::from_calendar_date(i32::from(date.year), m, date.day))
        .map_err(D::Error::custom)
}

/// How a rule's amount is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Skips weekends, holidays and days off of the [`crate::calendar::Calendar`].
    WorkingDays,
    CalendarDays,
    /// Calendar months, clamped to the end of a shorter month (Civil Code 2015 Art. 147, 148).
    Months,
    /// Counted as whole working days of [`Unit::HOURS_PER_WORKING_DAY`] hours: the engine works in
    /// dates, not times, so 4 hours are due on the next working day.
    WorkingHours,
}

impl Unit {
    pub const HOURS_PER_WORKING_DAY: u32 = 8;

    pub fn code(self) -> &'static str {
        match self {
            Unit::WorkingDays => "working_days",
            Unit::CalendarDays => "calendar_days",
            Unit::Months => "months",
            Unit::WorkingHours => "working_hours",
        }
    }
}

/// How complex a case is, as classified by the resolver; it bounds the extensions of the
/// resolution clock (Law on Denunciation Art. 30; Decree 31/2019 Art. 3). An ordinary case has
/// none: callers pass `Option<Complexity>`, `None` meaning ordinary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Complexity {
    Complex,
    EspeciallyComplex,
}

impl Complexity {
    pub const ALL: [Complexity; 2] = [Complexity::Complex, Complexity::EspeciallyComplex];

    pub fn code(self) -> &'static str {
        match self {
            Complexity::Complex => "complex",
            Complexity::EspeciallyComplex => "especially_complex",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// Whether the due date is a limit or a floor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// The step must be done by the due date; later is a breach.
    #[default]
    Deadline,
    /// The step must last at least until the due date (publication posted ≥ 15 days); ending
    /// earlier is a breach, and it is never "overdue".
    MinimumPeriod,
}

/// What an extension is counted from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionBase {
    /// Added to the due date before this extension ("+30 days").
    #[default]
    Due,
    /// Counted afresh from the start ("up to 10 working days", "up to 2 months").
    Start,
}

/// One permitted extension; the n-th extension of a clock uses the n-th step.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionStep {
    pub unit: Unit,
    pub amount: u32,
    #[serde(default)]
    pub base: ExtensionBase,
    /// The least complexity a case needs for this step; none means any case, with reasons.
    pub requires: Option<Complexity>,
    pub source: String,
    #[serde(default)]
    pub unconfirmed: bool,
    pub note: Option<String>,
}

/// One deadline rule, keyed by its id in the rule set.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub unit: Unit,
    pub amount: u32,
    /// The event whose date starts the clock ("received", "accepted", ...); that day is not
    /// counted (Civil Code 2015 Art. 147(1)).
    pub start_event: String,
    /// Which clock of the case this rule drives ("triage", "resolution", ...).
    pub clock: String,
    /// The legal basis in English, e.g. "Law on Denunciation Art. 30(1)".
    pub source: String,
    /// The legal basis in Vietnamese, as a Vietnamese reader is shown it, e.g. "Luật Tố cáo,
    /// Điều 30 khoản 1". Absent in older documents: then the English text is shown.
    pub source_vi: Option<String>,
    #[serde(default)]
    pub kind: RuleKind,
    pub note: Option<String>,
    /// The number, or the way it is counted, was not checked against the official text.
    #[serde(default)]
    pub unconfirmed: bool,
    /// Overrides the rule set's [`RollForward::enabled`].
    pub roll_forward: Option<bool>,
    /// Suspension stops this clock (Law on Denunciation Art. 34).
    #[serde(default)]
    pub pausable: bool,
    #[serde(default)]
    pub extensions: Vec<ExtensionStep>,
}

/// Whether a due date that falls on a day off moves to the next working day.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollForward {
    pub enabled: bool,
    pub source: String,
    #[serde(default)]
    pub unconfirmed: bool,
    pub note: Option<String>,
}

/// Every deadline rule in force from `effective_from` until the next set takes over.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    #[serde(deserialize_with = "toml_date")]
    pub effective_from: Date,
    pub source: String,
    pub note: Option<String>,
    pub roll_forward: RollForward,
    pub rules: BTreeMap<String, Rule>,
    /// How long finished cases' content is kept, by final state and track.
    #[serde(default)]
    pub retention: BTreeMap<String, crate::retention::Retention>,
}

impl RuleSet {
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.get(id)
    }

    /// Whether `rule`'s due date moves off a day off: its own setting, else the set's.
    pub fn rolls_forward(&self, rule: &Rule) -> bool {
        rule.roll_forward.unwrap_or(self.roll_forward.enabled)
    }

    /// The rules whose number or counting is unconfirmed, in id order, for a warning list.
    pub fn unconfirmed_rules(&self) -> impl Iterator<Item = (&str, &Rule)> {
        self.rules
            .iter()
            .filter(|(_, r)| r.unconfirmed || r.extensions.iter().any(|e| e.unconfirmed))
            .map(|(id, r)| (id.as_str(), r))
    }

    fn validate(&self, file: usize) -> Result<(), DataError> {
        let err = |m: String| DataError::invalid(file, m);
        if self.source.trim().is_empty() || self.roll_forward.source.trim().is_empty() {
            return Err(err("the rule set and its roll_forward need a source".into()));
        }
        if self.rules.is_empty() {
            return Err(err("a rule set needs at least one rule".into()));
        }
        for (id, r) in &self.retention {
            r.validate(id).map_err(err)?;
        }
        for (id, rule) in &self.rules {
            for (what, name) in [
                ("rule id", id),
                ("start_event", &rule.start_event),
                ("clock", &rule.clock),
            ] {
                if !is_identifier(name) {
                    return Err(err(format!(
                        "rule {id}: {what} {name:?} must be lower-case letters, digits and _"
                    )));
                }
            }
            // Zero calendar days is "the same day" (an urgent step); any other zero is a typo.
            let zero_ok = rule.unit == Unit::CalendarDays;
            if (rule.amount == 0 && !zero_ok) || rule.extensions.iter().any(|e| e.amount == 0) {
                return Err(err(format!(
                    "rule {id}: amounts must be at least 1 (0 only in calendar days: the same day)"
                )));
            }
            if rule.source.trim().is_empty()
                || rule.extensions.iter().any(|e| e.source.trim().is_empty())
            {
                return Err(err(format!(
                    "rule {id}: every rule and extension needs a source"
                )));
            }
        }
        Ok(())
    }
}

fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// All rule sets, ordered by the date they take effect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleBook {
    sets: Vec<RuleSet>,
}

impl RuleBook {
    /// Parses one rule set per file; the caller does the I/O. Two sets with the same
    /// `effective_from` are refused, since either could win.
    pub fn from_toml(files: &[&str]) -> Result<Self, DataError> {
        let mut sets: Vec<RuleSet> = Vec::with_capacity(files.len());
        for (file, text) in files.iter().enumerate() {
            let set: RuleSet = toml::from_str(text).map_err(|e| DataError::Syntax {
                file,
                message: e.to_string(),
            })?;
            set.validate(file)?;
            if sets.iter().any(|s| s.effective_from == set.effective_from) {
                return Err(DataError::invalid(
                    file,
                    format!(
                        "another rule set already takes effect on {}",
                        set.effective_from
                    ),
                ));
            }
            sets.push(set);
        }
        sets.sort_by_key(|s| s.effective_from);
        Ok(RuleBook { sets })
    }

    /// The set in force on `date`: the latest one effective on or before it.
    pub fn rule_set_on(&self, date: Date) -> Option<&RuleSet> {
        let after = self.sets.partition_point(|s| s.effective_from <= date);
        after.checked_sub(1).and_then(|i| self.sets.get(i))
    }

    /// The set that took effect exactly on `effective_from`: how a stored clock finds its rules.
    pub fn rule_set_effective_from(&self, effective_from: Date) -> Option<&RuleSet> {
        self.sets
            .iter()
            .find(|s| s.effective_from == effective_from)
    }

    /// Every set, oldest first.
    pub fn sets(&self) -> &[RuleSet] {
        &self.sets
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::date;

    const SET_2025: &str = include_str!("../../../rules/vn/2025-07-01.toml");
    const SET_2026: &str = include_str!("../../../rules/vn/2026-07-01.toml");

    fn book() -> RuleBook {
        // Given in reverse order on purpose: the book sorts.
        RuleBook::from_toml(&[SET_2026, SET_2025]).unwrap()
    }

    fn minimal(extra_rule_line: &str) -> String {
        format!(
            r#"
effective_from = 2026-07-01
source = "test"
[roll_forward]
enabled = true
source = "test"
[rules.triage]
unit = "working_days"
amount = 7
start_event = "received"
clock = "triage"
source = "Art. 24"
{extra_rule_line}
"#
        )
    }

    #[test]
    fn the_shipped_rule_sets_parse_and_hold_the_statutory_numbers() {
        let book = book();
        assert_eq!(book.sets().len(), 2);
        for set in book.sets() {
            let triage = set.rule("triage").unwrap();
            assert_eq!((triage.unit, triage.amount), (Unit::WorkingDays, 7));
            let resolution = set.rule("resolution").unwrap();
            assert_eq!(
                (resolution.unit, resolution.amount),
                (Unit::CalendarDays, 30)
            );
            assert!(resolution.pausable);
            assert_eq!(resolution.extensions.len(), 2);
            assert_eq!(
                resolution.extensions[1].requires,
                Some(Complexity::EspeciallyComplex)
            );
            assert_eq!(
                set.rule("criminal_decision").unwrap().extensions[0].unit,
                Unit::Months
            );
            assert_eq!(
                set.rule("publication_posting").unwrap().kind,
                RuleKind::MinimumPeriod
            );
            assert!(
                set.roll_forward.unconfirmed,
                "LEGAL.md marks roll-forward (?)"
            );
            // LEGAL.md (?) numbers must be flagged in the data.
            for id in [
                "conclusion_sent",
                "handling",
                "publication",
                "protection_assessing",
            ] {
                assert!(
                    set.rule(id).unwrap().unconfirmed,
                    "{id} must be unconfirmed"
                );
            }
        }
    }

    #[test]
    fn rule_set_on_picks_the_latest_set_effective_on_or_before_the_date() {
        let book = book();
        let on = |d| book.rule_set_on(d).map(|s| s.effective_from);
        assert_eq!(on(date!(2025 - 06 - 30)), None);
        assert_eq!(on(date!(2025 - 07 - 01)), Some(date!(2025 - 07 - 01)));
        assert_eq!(on(date!(2026 - 06 - 30)), Some(date!(2025 - 07 - 01)));
        assert_eq!(on(date!(2026 - 07 - 01)), Some(date!(2026 - 07 - 01)));
        assert_eq!(on(date!(2030 - 01 - 01)), Some(date!(2026 - 07 - 01)));
        assert!(book
            .rule_set_effective_from(date!(2026 - 07 - 01))
            .is_some());
        assert!(book
            .rule_set_effective_from(date!(2026 - 07 - 02))
            .is_none());
    }

    #[test]
    fn an_unknown_unit_is_refused_with_its_name() {
        let text = minimal("").replace("\"working_days\"", "\"weeks\"");
        let err = RuleBook::from_toml(&[&text]).unwrap_err();
        assert!(matches!(err, DataError::Syntax { file: 0, .. }));
        let msg = err.to_string();
        assert!(
            msg.contains("weeks") && msg.contains("working_days"),
            "{msg}"
        );
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_name() {
        let err = RuleBook::from_toml(&[&minimal("ammount = 3")]).unwrap_err();
        assert!(err.to_string().contains("ammount"), "{err}");
        assert_eq!(err.code(), "error-data-syntax");
    }

    #[test]
    fn a_date_with_a_time_is_refused() {
        let text = minimal("").replace("2026-07-01", "2026-07-01T08:00:00");
        assert!(RuleBook::from_toml(&[&text]).is_err());
    }

    #[test]
    fn two_sets_on_the_same_day_are_refused() {
        let err = RuleBook::from_toml(&[SET_2026, &minimal("")]).unwrap_err();
        assert!(matches!(err, DataError::Invalid { file: 1, .. }), "{err}");
    }

    #[test]
    fn zero_amounts_and_bad_identifiers_are_refused() {
        let zero = minimal("").replace("amount = 7", "amount = 0");
        assert!(matches!(
            RuleBook::from_toml(&[&zero]),
            Err(DataError::Invalid { .. })
        ));
        let bad = minimal("").replace("clock = \"triage\"", "clock = \"Triage Clock\"");
        assert!(matches!(
            RuleBook::from_toml(&[&bad]),
            Err(DataError::Invalid { .. })
        ));
    }

    #[test]
    fn a_rule_may_override_roll_forward() {
        let book = book();
        let set = &book.sets()[1];
        assert!(set.rolls_forward(set.rule("resolution").unwrap()));
        assert!(!set.rolls_forward(set.rule("publication_posting").unwrap()));
    }

    #[test]
    fn complexity_codes_round_trip_and_are_ordered() {
        for c in Complexity::ALL {
            assert_eq!(Complexity::from_code(c.code()), Some(c));
        }
        assert!(None < Some(Complexity::Complex), "ordinary is the least");
        assert!(Complexity::Complex < Complexity::EspeciallyComplex);
    }
}

//! The dated legal data a deployment runs on: deadline rule sets and the working-day calendar.
//! Both ship with the product (`rules/vn/`) and live in the database as documents, so an admin
//! can import a new rule set or a corrected calendar year without a new release. A rule set only
//! applies to clocks that start on or after its effective date.

use minhbach_domain::{Calendar, DataError, RuleBook};
use minhbach_store::{AuditEntry, Store};

use crate::{Error, Result};

/// Rule sets shipped with this release.
pub const SHIPPED_RULE_SETS: [(&str, &str); 2] = [
    (
        "2025-07-01",
        include_str!("../../../rules/vn/2025-07-01.toml"),
    ),
    (
        "2026-07-01",
        include_str!("../../../rules/vn/2026-07-01.toml"),
    ),
];

/// Calendar years shipped with this release.
pub const SHIPPED_CALENDAR: [(i64, &str); 2] = [
    (2026, include_str!("../../../rules/vn/calendar/2026.toml")),
    (2027, include_str!("../../../rules/vn/calendar/2027.toml")),
];

/// Rules and calendar in force in this process.
pub struct Legal {
    pub rules: RuleBook,
    pub calendar: Calendar,
}

fn data_error(e: DataError) -> Error {
    Error::InvalidDocument(format!("legal data: {e}"))
}

impl Legal {
    pub fn from_documents(rule_sets: &[&str], years: &[&str]) -> Result<Legal> {
        Ok(Legal {
            rules: RuleBook::from_toml(rule_sets).map_err(data_error)?,
            calendar: Calendar::from_toml_years(years).map_err(data_error)?,
        })
    }

    /// The data shipped with the product.
    pub fn shipped() -> Result<Legal> {
        let sets: Vec<&str> = SHIPPED_RULE_SETS.iter().map(|(_, d)| *d).collect();
        let years: Vec<&str> = SHIPPED_CALENDAR.iter().map(|(_, d)| *d).collect();
        Legal::from_documents(&sets, &years)
    }

    /// Loads the documents stored in the database, first storing the shipped ones that are
    /// missing (a new release brings its new rule sets and years; an admin's edits are kept).
    pub async fn load(store: &dyn Store, now: i64) -> Result<Legal> {
        let docs = store.legal_documents().await?;
        for (effective_from, doc) in SHIPPED_RULE_SETS {
            if !docs.rule_sets.iter().any(|(e, _)| e == effective_from) {
                let audit = AuditEntry::new(now, "system", "rules.shipped", None)
                    .with_detail(serde_json::json!({ "effective_from": effective_from }));
                store.save_rule_set(effective_from, doc, &audit).await?;
            }
        }
        for (year, doc) in SHIPPED_CALENDAR {
            if !docs.calendar_years.iter().any(|(y, _)| *y == year) {
                let audit = AuditEntry::new(now, "system", "calendar.shipped", None)
                    .with_detail(serde_json::json!({ "year": year }));
                store.save_calendar_year(year, doc, &audit).await?;
            }
        }
        let docs = store.legal_documents().await?;
        let sets: Vec<&str> = docs.rule_sets.iter().map(|(_, d)| d.as_str()).collect();
        let years: Vec<&str> = docs
            .calendar_years
            .iter()
            .map(|(_, d)| d.as_str())
            .collect();
        Legal::from_documents(&sets, &years)
    }
}

/// Validates and stores a rule set document (together with the stored ones, so that two sets
/// cannot share an effective date). Returns its effective date.
pub async fn import_rule_set(
    store: &dyn Store,
    document: &str,
    actor: &str,
    now: i64,
) -> Result<String> {
    let one = RuleBook::from_toml(&[document]).map_err(data_error)?;
    let set = one
        .sets()
        .first()
        .ok_or_else(|| Error::InvalidDocument("empty rule set".into()))?;
    let effective_from = set.effective_from.to_string();
    let docs = store.legal_documents().await?;
    let mut all: Vec<&str> = docs
        .rule_sets
        .iter()
        .filter(|(e, _)| *e != effective_from)
        .map(|(_, d)| d.as_str())
        .collect();
    all.push(document);
    RuleBook::from_toml(&all).map_err(data_error)?;
    let audit = AuditEntry::new(now, actor, "rules.imported", None)
        .with_detail(serde_json::json!({ "effective_from": effective_from }));
    store
        .save_rule_set(&effective_from, document, &audit)
        .await?;
    Ok(effective_from)
}

/// Validates and stores one calendar year (replacing the stored one). Returns the year.
pub async fn import_calendar_year(
    store: &dyn Store,
    document: &str,
    actor: &str,
    now: i64,
) -> Result<i64> {
    let cal = Calendar::from_toml_years(&[document]).map_err(data_error)?;
    let year = cal
        .years()
        .next()
        .map(|y| i64::from(y.year))
        .ok_or_else(|| Error::InvalidDocument("no year".into()))?;
    let audit = AuditEntry::new(now, actor, "calendar.imported", None)
        .with_detail(serde_json::json!({ "year": year }));
    store.save_calendar_year(year, document, &audit).await?;
    Ok(year)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Vietnamese readers see the legal basis in Vietnamese: every shipped rule carries it, and
    /// every retention class its sources in both languages.
    #[test]
    fn every_shipped_rule_names_its_source_in_vietnamese() {
        let legal = Legal::shipped().unwrap();
        for set in legal.rules.sets() {
            for (id, rule) in &set.rules {
                let vi = rule.source_vi.as_deref().unwrap_or_default();
                assert!(
                    !vi.trim().is_empty() && vi != rule.source,
                    "{} {id}",
                    set.effective_from
                );
            }
            assert!(!set.retention.is_empty(), "{}", set.effective_from);
        }
    }

    #[test]
    fn the_shipped_data_parses() {
        let legal = Legal::shipped().unwrap();
        assert!(legal.calendar.covers(2026) && legal.calendar.covers(2027));
        assert_eq!(legal.rules.sets().len(), 2);
    }
}

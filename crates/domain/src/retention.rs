//! How long a finished case's content is kept. Retention classes are dated data, read from the
//! rule set in force on the day the case reached its final state: the law sets how long the
//! dossier of a denunciation or a petition must be archived, and it can change.
//!
//! When a class's period ends, the case's content is destroyed (its keys and sealed blobs); the
//! metadata the statistics need stays. A case under legal hold, or with a protection case or a
//! disclosure request still open, is kept whatever its class says.

use serde::Deserialize;
use time::Date;

use crate::{CaseState, Track};

/// One retention class of a rule set (`[retention.<id>]`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// The final states it covers (state codes, e.g. "NOT_ACCEPTED").
    pub states: Vec<String>,
    /// The tracks it covers (track codes); empty covers every track and a case without one.
    #[serde(default)]
    pub tracks: Vec<String>,
    /// Years the content is kept after the final state; absent: kept for good.
    pub years: Option<u32>,
    /// The legal basis, in Vietnamese and in English.
    pub source_vi: String,
    pub source_en: String,
    pub note: Option<String>,
    /// The period was not checked against the official text.
    #[serde(default)]
    pub unconfirmed: bool,
}

impl Retention {
    fn covers(&self, state: CaseState, track: Option<Track>) -> bool {
        self.states.iter().any(|s| s == state.code())
            && (self.tracks.is_empty()
                || track.is_some_and(|t| self.tracks.iter().any(|c| c == t.code())))
    }

    /// The first day the content may be destroyed, for a case that reached its final state on
    /// `finished`; `None` if the class keeps it for good. 29 February counts to 28 February.
    pub fn ends_on(&self, finished: Date) -> Option<Date> {
        let years = i32::try_from(self.years?).ok()?;
        let year = finished.year().checked_add(years)?;
        let day = finished.day().min(finished.month().length(year));
        Date::from_calendar_date(year, finished.month(), day).ok()
    }

    pub(crate) fn validate(&self, id: &str) -> Result<(), String> {
        if self.states.is_empty() {
            return Err(format!("retention {id}: name at least one final state"));
        }
        for s in &self.states {
            match CaseState::from_code(s) {
                Some(state) if state.is_final() => {}
                _ => return Err(format!("retention {id}: {s:?} is not a final state")),
            }
        }
        if let Some(t) = self.tracks.iter().find(|t| Track::from_code(t).is_none()) {
            return Err(format!("retention {id}: unknown track {t:?}"));
        }
        if self.years == Some(0) {
            return Err(format!(
                "retention {id}: years must be at least 1 (omit it to keep for good)"
            ));
        }
        if self.source_vi.trim().is_empty() || self.source_en.trim().is_empty() {
            return Err(format!("retention {id}: needs source_vi and source_en"));
        }
        Ok(())
    }
}

/// The class that applies to a finished case: one that names its track wins over one that
/// covers every track. `None`: no class covers it, and the content is kept.
pub fn class_for(
    classes: &std::collections::BTreeMap<String, Retention>,
    state: CaseState,
    track: Option<Track>,
) -> Option<(&str, &Retention)> {
    let matching = || classes.iter().filter(move |(_, r)| r.covers(state, track));
    matching()
        .find(|(_, r)| !r.tracks.is_empty())
        .or_else(|| matching().next())
        .map(|(id, r)| (id.as_str(), r))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use time::macros::date;

    fn class(states: &[&str], tracks: &[&str], years: Option<u32>) -> Retention {
        Retention {
            states: states.iter().map(|s| (*s).to_owned()).collect(),
            tracks: tracks.iter().map(|s| (*s).to_owned()).collect(),
            years,
            source_vi: "nguồn".into(),
            source_en: "source".into(),
            note: None,
            unconfirmed: false,
        }
    }

    #[test]
    fn periods_count_whole_years_and_29_february_ends_on_28() {
        let r = class(&["CLOSED"], &[], Some(5));
        assert_eq!(
            r.ends_on(date!(2026 - 03 - 10)),
            Some(date!(2031 - 03 - 10))
        );
        assert_eq!(
            r.ends_on(date!(2028 - 02 - 29)),
            Some(date!(2033 - 02 - 28))
        );
        assert_eq!(
            class(&["CLOSED"], &[], None).ends_on(date!(2026 - 03 - 10)),
            None
        );
    }

    #[test]
    fn a_class_naming_the_track_wins_and_uncovered_cases_are_kept() {
        let mut classes = BTreeMap::new();
        classes.insert(
            "a_all".to_owned(),
            class(&["CLOSED", "NOT_ACCEPTED"], &[], Some(15)),
        );
        classes.insert(
            "b_denunciation".to_owned(),
            class(&["CLOSED"], &["denunciation"], None),
        );
        let pick = |s, t| class_for(&classes, s, t).map(|(id, _)| id);
        assert_eq!(
            pick(CaseState::Closed, Some(Track::Denunciation)),
            Some("b_denunciation")
        );
        assert_eq!(
            pick(CaseState::Closed, Some(Track::Petition)),
            Some("a_all")
        );
        assert_eq!(pick(CaseState::Closed, None), Some("a_all"));
        assert_eq!(
            pick(CaseState::NotAccepted, Some(Track::Denunciation)),
            Some("a_all")
        );
        assert_eq!(pick(CaseState::Archived, None), None);
    }

    #[test]
    fn only_final_states_known_tracks_and_sources_are_accepted() {
        assert!(class(&["CLOSED"], &[], Some(5)).validate("x").is_ok());
        assert!(class(&["VERIFYING"], &[], Some(5)).validate("x").is_err());
        assert!(class(&["CLOSED"], &["nope"], Some(5))
            .validate("x")
            .is_err());
        assert!(class(&[], &[], Some(5)).validate("x").is_err());
        assert!(class(&["CLOSED"], &[], Some(0)).validate("x").is_err());
        let mut r = class(&["CLOSED"], &[], Some(5));
        r.source_vi = " ".into();
        assert!(r.validate("x").is_err());
    }
}

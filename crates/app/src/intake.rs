//! A report arrives. For now: what a report holds, sealed as one blob under the case key; the
//! submission itself (still `web/src/service.rs`) moves here next.

use serde::{Deserialize, Serialize};

/// The encrypted part of a report.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct ReportContent {
    pub what: String,
    pub when: String,
    #[serde(rename = "where")]
    pub where_: String,
    pub who: String,
}

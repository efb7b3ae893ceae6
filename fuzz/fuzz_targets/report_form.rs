//! The report form as a browser or a script posts it (URL-encoded): decoding and checking never
//! panic, and a report that passes stays within the limits the checks promise.
#![no_main]

use libfuzzer_sys::fuzz_target;
use minhbach_domain::{AgencyId, RawReport};

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = serde_urlencoded::from_bytes::<RawReport>(data) else {
        return;
    };
    let categories = ["land".to_owned(), "other".to_owned()];
    if let Ok(report) = raw.validate(&categories, &[AgencyId(1), AgencyId(2)]) {
        assert!(categories.contains(&report.category));
        assert!(report
            .agency
            .is_none_or(|a| a == AgencyId(1) || a == AgencyId(2)));
    }
});

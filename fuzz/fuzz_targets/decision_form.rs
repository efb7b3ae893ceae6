//! A decision as an officer's form or the API sends it: parsing never panics, and a parsed
//! decision names only agencies that exist.
#![no_main]

use libfuzzer_sys::fuzz_target;
use minhbach_domain::{AgencyId, RawDecision};

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = serde_urlencoded::from_bytes::<RawDecision>(data) else {
        return;
    };
    if let Ok(d) = raw.parse(&[AgencyId(1), AgencyId(2)]) {
        assert!(d
            .to_agency
            .is_none_or(|a| a == AgencyId(1) || a == AgencyId(2)));
    }
});

//! A rule set or a calendar year an administrator imports: parsing never panics, and a calendar
//! that loads never lands a deadline on a day off.
#![no_main]

use libfuzzer_sys::fuzz_target;
use minhbach_domain::{Calendar, RuleBook};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = RuleBook::from_toml(&[text]);
    if let Ok(calendar) = Calendar::from_toml_years(&[text]) {
        let start = time::macros::date!(2026 - 08 - 20);
        for n in 0..40 {
            let due = calendar.add_working_days(start, n);
            assert!(calendar.is_working_day(due), "{due}");
        }
    }
});

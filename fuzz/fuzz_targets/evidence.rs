//! An evidence file as anyone may upload it: cleaning never panics, never exceeds its limits,
//! and what it accepts comes out as the kind it said, clean on a second pass.
#![no_main]

use libfuzzer_sys::fuzz_target;
use minhbach_evidence::{clean, sniff, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_bytes: 1 << 20,
        max_unpacked_bytes: 8 << 20,
        max_entries: 500,
    };
    if let Ok(c) = clean(data, &limits) {
        assert_eq!(sniff(&c.bytes).ok(), Some(c.kind), "a cleaned file keeps its kind");
        assert!(!c.kept.is_empty());
    }
});

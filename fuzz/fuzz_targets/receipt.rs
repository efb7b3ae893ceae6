//! A receipt or a reference typed by anyone: parsing never panics, and what parses prints back
//! to text that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use minhbach_crypto::Receipt;
use minhbach_domain::Reference;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = Receipt::parse(text) {
        let again = Receipt::parse(&r.expose()).expect("a parsed receipt prints back parseable");
        assert_eq!(again.expose(), r.expose());
    }
    if let Ok(r) = text.parse::<Reference>() {
        assert_eq!(r.to_string().parse::<Reference>().ok(), Some(r));
    }
});

//! Typed identifiers, so an agency id can never be passed where a case id is expected.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A case (one report and everything that follows from it).
    CaseId
);
id_type!(
    /// An agency, ward, partner organisation or other unit that receives reports.
    AgencyId
);
id_type!(
    /// A staff account.
    UserId
);

/// The public reference number of a case, e.g. `HN-2026-483019279`: a prefix for the
/// jurisdiction, the year of receipt, eight random digits and a check digit (Luhn). Random, so
/// that references do not disclose how many reports an agency receives (finding L7); the check
/// digit catches a mistyped digit or two swapped neighbours when a reference is read out.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    pub prefix: String,
    pub year: i32,
    /// Eight digits, leading zeros allowed.
    pub number: u32,
}

/// The largest eight-digit number.
pub const REFERENCE_NUMBERS: u32 = 100_000_000;

impl Reference {
    /// A reference with the number `draw` (reduced to eight digits): the caller draws it at
    /// random and retries on a clash.
    pub fn new(prefix: &str, year: i32, draw: u32) -> Self {
        Reference {
            prefix: prefix.to_owned(),
            year,
            number: draw % REFERENCE_NUMBERS,
        }
    }
}

/// The Luhn check digit of a string of digits.
fn luhn(digits: &str) -> u32 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = format!("{:08}", self.number);
        write!(f, "{}-{}-{digits}{}", self.prefix, self.year, luhn(&digits))
    }
}

impl std::str::FromStr for Reference {
    type Err = crate::DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || crate::DomainError::NotFound;
        let mut parts = s.trim().rsplitn(3, '-');
        let number = parts.next().ok_or_else(bad)?;
        let year = parts.next().ok_or_else(bad)?;
        let prefix = parts.next().ok_or_else(bad)?;
        let valid_prefix = !prefix.is_empty()
            && prefix.len() <= 8
            && prefix
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !valid_prefix
            || year.len() != 4
            || number.len() != 9
            || !number.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let (digits, check) = number.split_at(8);
        if luhn(digits).to_string() != check {
            return Err(bad());
        }
        // Four digits and no leading zero: "0622" is not a year (found by the fuzzer, as a
        // reference that printed back as "HN-622-…").
        let year: i32 = year.parse().map_err(|_| bad())?;
        if !(1000..=9999).contains(&year) {
            return Err(bad());
        }
        Ok(Reference {
            prefix: prefix.to_owned(),
            year,
            number: digits.parse().map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reference_prints_eight_digits_and_a_check_digit_and_parses_back() {
        let r = Reference::new("HN", 2026, 48_301_927);
        assert_eq!(r.to_string(), "HN-2026-483019279");
        assert_eq!("HN-2026-483019279".parse::<Reference>().unwrap(), r);
        let small = Reference::new("HN", 2026, 7);
        assert_eq!(small.to_string().len(), "HN-2026-".len() + 9);
        assert_eq!(small.to_string().parse::<Reference>().unwrap(), small);
    }

    #[test]
    fn the_check_digit_catches_a_wrong_digit_and_swapped_neighbours() {
        let good = "HN-2026-483019279";
        assert!(good.parse::<Reference>().is_ok());
        for typo in [
            "HN-2026-483019278",
            "HN-2026-483019289",
            "HN-2026-843019279",
            "HN-2026-480319279",
        ] {
            assert!(typo.parse::<Reference>().is_err(), "{typo}");
        }
    }

    #[test]
    fn malformed_references_are_refused() {
        for s in [
            "",
            "HN",
            "HN-2026",
            "hn-2026-483019279",
            "HN-26-483019279",
            "HN-2026-12",
            "HN-2026-x83019279",
            "HN-2026-000123",
            "HN-0622-968277202",
            "HN-+622-968277202",
        ] {
            assert!(s.parse::<Reference>().is_err(), "{s}");
        }
    }
}

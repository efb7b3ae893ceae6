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

/// The public reference number of a case, e.g. `HN-2026-000123`: a prefix for the jurisdiction,
/// the year of receipt and a sequence that restarts every year.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    pub prefix: String,
    pub year: i32,
    pub seq: i64,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:06}", self.prefix, self.year, self.seq)
    }
}

impl std::str::FromStr for Reference {
    type Err = crate::DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || crate::DomainError::NotFound;
        let mut parts = s.trim().rsplitn(3, '-');
        let seq = parts.next().ok_or_else(bad)?;
        let year = parts.next().ok_or_else(bad)?;
        let prefix = parts.next().ok_or_else(bad)?;
        let valid_prefix = !prefix.is_empty()
            && prefix.len() <= 8
            && prefix
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !valid_prefix || year.len() != 4 || seq.len() < 6 || seq.len() > 12 {
            return Err(bad());
        }
        Ok(Reference {
            prefix: prefix.to_owned(),
            year: year.parse().map_err(|_| bad())?,
            seq: seq.parse().map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reference_prints_with_six_digits_and_parses_back() {
        let r = Reference {
            prefix: "HN".into(),
            year: 2026,
            seq: 123,
        };
        assert_eq!(r.to_string(), "HN-2026-000123");
        assert_eq!("HN-2026-000123".parse::<Reference>().unwrap(), r);
    }

    #[test]
    fn malformed_references_are_refused() {
        for s in [
            "",
            "HN",
            "HN-2026",
            "hn-2026-000123",
            "HN-26-000123",
            "HN-2026-12",
            "HN-2026-x00123",
        ] {
            assert!(s.parse::<Reference>().is_err(), "{s}");
        }
    }
}

//! The one place that reads the system time. Everything else takes `now` from a [`Clock`], so
//! tests run at a fixed instant.

use std::sync::Mutex;

use time::OffsetDateTime;

/// Vietnam keeps UTC+7 all year; dates are shown, deadlines counted and years of references
/// taken in local time.
pub const LOCAL_OFFSET: time::UtcOffset = match time::UtcOffset::from_hms(7, 0, 0) {
    Ok(o) => o,
    Err(_) => time::UtcOffset::UTC,
};

/// The local calendar date of a Unix timestamp (seconds).
pub fn local_date(unix: i64) -> crate::Result<time::Date> {
    Ok(OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|e| crate::Error::Internal(e.to_string()))?
        .to_offset(LOCAL_OFFSET)
        .date())
}

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until moved (tests).
pub struct FixedClock(Mutex<OffsetDateTime>);

impl FixedClock {
    pub fn new(at: OffsetDateTime) -> Self {
        FixedClock(Mutex::new(at))
    }

    pub fn advance(&self, by: time::Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
            .lock()
            .map(|t| *t)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

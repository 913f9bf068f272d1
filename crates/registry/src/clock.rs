//! Time comes from an injected clock so expiry, deadlines and event times are
//! testable without waiting.

use std::sync::Mutex;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// Source of the current time for every event and every derived status.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Today's calendar date in Japan (UTC+9), the scheme's reference for
    /// issue dates, validity ends and deadlines.
    fn today(&self) -> NaiveDate {
        japan_date(self.now())
    }
}

/// The calendar date in Japan (UTC+9, no daylight saving) at instant `t`.
pub fn japan_date(t: DateTime<Utc>) -> NaiveDate {
    // 9 * 3600 is a valid offset; the fallback keeps this total without unwrap.
    match FixedOffset::east_opt(9 * 3600) {
        Some(jst) => t.with_timezone(&jst).date_naive(),
        None => t.date_naive(),
    }
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told otherwise (tests, demos, replays).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Jump to `t` (may go backwards; the registry does not rely on monotonicity
    /// for anything but display).
    pub fn set(&self, t: DateTime<Utc>) {
        *self.lock() = t;
    }

    /// Move forward by `d`.
    pub fn advance(&self, d: chrono::Duration) {
        let mut g = self.lock();
        *g += d;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A poisoned lock still holds a valid timestamp.
        self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn japan_date_rolls_over_at_15_utc() {
        let before = Utc.with_ymd_and_hms(2026, 3, 31, 14, 59, 59).single();
        let after = Utc.with_ymd_and_hms(2026, 3, 31, 15, 0, 0).single();
        let (Some(before), Some(after)) = (before, after) else {
            panic!("valid test dates")
        };
        assert_eq!(
            japan_date(before),
            NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
        );
        assert_eq!(
            japan_date(after),
            NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()
        );
    }

    #[test]
    fn manual_clock_advances() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
        let c = ManualClock::new(t0);
        c.advance(chrono::Duration::days(2));
        assert_eq!(c.now(), t0 + chrono::Duration::days(2));
    }
}

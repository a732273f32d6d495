//! The clock every writer stores times by, and the range of times Kiji
//! stores.

use chrono::{DateTime, NaiveDate, NaiveTime, SubsecRound as _, Utc};

/// The time now, to the microsecond: what both backends store, and what
/// keeps SQLite's text comparison of times in order.
pub fn stored_now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Earliest time content may carry: 1000-01-01T00:00:00Z.
pub const EARLIEST: DateTime<Utc> = match NaiveDate::from_ymd_opt(1000, 1, 1) {
    Some(day) => day.and_time(NaiveTime::MIN).and_utc(),
    None => DateTime::<Utc>::MIN_UTC,
};

/// Latest time content may carry: 9999-12-31T23:59:59.999999Z.
pub const LATEST: DateTime<Utc> = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(day) => match day.and_hms_micro_opt(23, 59, 59, 999_999) {
        Some(time) => time.and_utc(),
        None => DateTime::<Utc>::MAX_UTC,
    },
    None => DateTime::<Utc>::MAX_UTC,
};

//! Wall-clock time broken down in local time (or UTC), and Go's ways of
//! writing it: what raudit's stderr prefix (`log.flags`, [`crate::logging`])
//! and the syslog output's headers share. The zone offset comes from
//! [`crate::sys::localtime`]; a [`Clock`] looks it up once per quarter
//! hour.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::sys::localtime;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A wall-clock instant broken down in local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub micros: u32,
    /// Seconds east of UTC.
    pub offset: i32,
}

impl LocalTime {
    /// `unix_secs` + `micros` seen `offset` seconds east of UTC.
    pub fn at(unix_secs: i64, micros: u32, offset: i32) -> LocalTime {
        let local = unix_secs.saturating_add(i64::from(offset));
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        LocalTime {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            micros,
            offset,
        }
    }
}

/// Reads the clock and caches the zone offset for a quarter hour (zone
/// changes fall on such boundaries), and the broken-down time of the
/// second last read (the syslog output reads the clock for every event).
#[derive(Debug, Default)]
pub struct Clock {
    bucket: Option<i64>,
    offset: i32,
    /// The second last read and its broken-down time.
    last: Option<(i64, LocalTime)>,
}

impl Clock {
    /// Now, in local time.
    pub fn now(&mut self) -> LocalTime {
        let (secs, micros) = unix_now();
        if let Some((last, time)) = self.last {
            if last == secs {
                return LocalTime { micros, ..time };
            }
        }
        let bucket = secs / 900;
        if self.bucket != Some(bucket) {
            self.bucket = Some(bucket);
            self.offset = localtime::utc_offset(secs);
        }
        let time = LocalTime::at(secs, micros, self.offset);
        self.last = Some((secs, time));
        time
    }
}

/// Now, in local time (the zone looked up now) or in UTC.
pub fn now(utc: bool) -> LocalTime {
    let (secs, micros) = unix_now();
    let offset = if utc { 0 } else { localtime::utc_offset(secs) };
    LocalTime::at(secs, micros, offset)
}

/// Seconds and microseconds since the epoch.
fn unix_now() -> (i64, u32) {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    (secs, since.subsec_micros())
}

/// Year, month (1-12), day (1-31) of a day count since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Go's `time.Stamp`: `Jan _2 15:04:05`.
pub fn write_stamp(out: &mut Vec<u8>, t: &LocalTime) {
    let month = MONTHS
        .get(t.month.saturating_sub(1) as usize)
        .unwrap_or(&"???");
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        "{month} {:>2} {:02}:{:02}:{:02}",
        t.day, t.hour, t.minute, t.second
    );
}

/// The fraction of a second an RFC 3339 time is written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fraction {
    /// Go's `time.RFC3339`.
    None,
    /// Milliseconds, as ECS's `@timestamp`.
    Millis,
    /// Microseconds, RFC 5424's timestamp.
    Micros,
}

/// `t` in RFC 3339, with `fraction` of a second.
pub fn write_rfc3339(out: &mut Vec<u8>, t: &LocalTime, fraction: Fraction) {
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    );
    match fraction {
        Fraction::None => {}
        Fraction::Millis => {
            let _ = write!(out, ".{:03}", t.micros / 1000);
        }
        Fraction::Micros => {
            let _ = write!(out, ".{:06}", t.micros);
        }
    }
    if t.offset == 0 {
        out.push(b'Z');
    } else {
        let sign = if t.offset < 0 { '-' } else { '+' };
        let abs = t.offset.unsigned_abs() / 60;
        let _ = write!(out, "{sign}{:02}:{:02}", abs / 60, abs % 60);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_read_within_a_second_gives_the_time_a_fresh_reading_gives() {
        let mut clock = Clock::default();
        let mut compared = 0;
        while compared < 1000 {
            let cached = clock.now();
            let fresh = now(false);
            // Unless the second turned between the two readings.
            if cached.second == fresh.second {
                assert_eq!(
                    LocalTime {
                        micros: 0,
                        ..cached
                    },
                    LocalTime { micros: 0, ..fresh }
                );
                compared += 1;
            }
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_783), (2024, 3, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}

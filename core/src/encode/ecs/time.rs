//! `@timestamp`: seconds and milliseconds since the epoch as RFC 3339 UTC
//! (`2025-03-14T20:13:15.885Z`), by the civil-from-days arithmetic of the
//! proleptic Gregorian calendar; no clock, no table.

use crate::encode::cursor::{Cursor, Full};
use crate::record::Timestamp;

/// Writes `"YYYY-MM-DDTHH:MM:SS.mmmZ"` (with the quotes).
pub fn write_rfc3339(cursor: &mut Cursor<'_>, ts: Timestamp) -> Result<(), Full> {
    let (year, month, day) = civil(ts.seconds / 86_400);
    let secs = ts.seconds % 86_400;
    cursor.push(b"\"")?;
    cursor.push_u64_padded(year, 4)?;
    cursor.push(b"-")?;
    cursor.push_u64_padded(month, 2)?;
    cursor.push(b"-")?;
    cursor.push_u64_padded(day, 2)?;
    cursor.push(b"T")?;
    cursor.push_u64_padded(secs / 3600, 2)?;
    cursor.push(b":")?;
    cursor.push_u64_padded(secs / 60 % 60, 2)?;
    cursor.push(b":")?;
    cursor.push_u64_padded(secs % 60, 2)?;
    cursor.push(b".")?;
    cursor.push_u64_padded(u64::from(ts.millis.min(999)), 3)?;
    cursor.push(b"Z\"")
}

/// (year, month 1–12, day 1–31) of `days` since 1970-01-01.
fn civil(days: u64) -> (u64, u64, u64) {
    // Eras of 400 years (146,097 days) from 0000-03-01.
    let z = days.saturating_add(719_468);
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(seconds: u64, millis: u16) -> std::string::String {
        extern crate std;
        let mut buf = [0u8; 64];
        let mut c = Cursor::new(&mut buf);
        write_rfc3339(&mut c, Timestamp { seconds, millis }).unwrap();
        let n = c.pos();
        std::string::String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    extern crate std;

    #[test]
    fn known_instants() {
        assert_eq!(at(0, 0), "\"1970-01-01T00:00:00.000Z\"");
        // The goldens' timestamps.
        assert_eq!(at(1_741_983_195, 885), "\"2025-03-14T20:13:15.885Z\"");
        assert_eq!(at(1_423_235_000 - 6, 398), "\"2015-02-06T15:03:14.398Z\"");
        assert_eq!(at(951_782_400, 1), "\"2000-02-29T00:00:00.001Z\"");
        assert_eq!(at(4_102_444_799, 999), "\"2099-12-31T23:59:59.999Z\"");
    }
}

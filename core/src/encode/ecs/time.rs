//! `@timestamp`: seconds and milliseconds since the epoch as RFC 3339 UTC
//! (`2025-03-14T20:13:15.885Z`), by the civil-from-days arithmetic of the
//! proleptic Gregorian calendar; no clock, no table.

use crate::encode::cursor::{Cursor, Full};
use crate::record::Timestamp;

/// Writes `"YYYY-MM-DDTHH:MM:SS.mmmZ"` (with the quotes): a four-digit
/// year's 26 bytes built in place and copied at once, a longer year
/// (beyond 9999: a corrupt clock) digit group by digit group.
pub fn write_rfc3339(cursor: &mut Cursor<'_>, ts: Timestamp) -> Result<(), Full> {
    let (year, month, day) = civil(ts.seconds / 86_400);
    if year > 9999 {
        return write_padded(cursor, ts);
    }
    let secs = ts.seconds % 86_400;
    let millis = u64::from(ts.millis.min(999));
    let [y0, y1] = two(year / 100);
    let [y2, y3] = two(year % 100);
    let [mo0, mo1] = two(month);
    let [d0, d1] = two(day);
    let [h0, h1] = two(secs / 3600);
    let [mi0, mi1] = two(secs / 60 % 60);
    let [s0, s1] = two(secs % 60);
    let [ms1, ms2] = two(millis % 100);
    let ms0 = two(millis / 100)[1];
    cursor.push(&[
        b'"', y0, y1, y2, y3, b'-', mo0, mo1, b'-', d0, d1, b'T', h0, h1, b':', mi0, mi1, b':', s0,
        s1, b'.', ms0, ms1, ms2, b'Z', b'"',
    ])
}

/// The last two decimal digits of `n`.
fn two(n: u64) -> [u8; 2] {
    // Both below 10: the casts and additions are exact.
    [b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8]
}

/// [`write_rfc3339`] for any year, each group written padded.
fn write_padded(cursor: &mut Cursor<'_>, ts: Timestamp) -> Result<(), Full> {
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

    fn padded(seconds: u64, millis: u16) -> std::string::String {
        let mut buf = [0u8; 64];
        let mut c = Cursor::new(&mut buf);
        write_padded(&mut c, Timestamp { seconds, millis }).unwrap();
        let n = c.pos();
        std::string::String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    proptest::proptest! {
        #[test]
        fn the_four_digit_year_path_writes_what_the_padded_one_writes(
            seconds in proptest::prop_oneof![
                0..4_102_444_800u64,
                0..253_402_300_800u64,
                253_402_300_700..253_402_300_900u64,
                proptest::prelude::any::<u64>(),
            ],
            millis in 0..1200u16,
        ) {
            proptest::prop_assert_eq!(at(seconds, millis), padded(seconds, millis));
        }
    }

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

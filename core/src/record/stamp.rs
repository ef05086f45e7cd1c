//! The `audit(SECONDS.MILLIS:SERIAL):` stamp that starts every record's
//! text: checked decimal parsing (overflow is an error, never a wrap) and
//! the offset where the body begins.

use super::{RecordError, RecordErrorKind, Timestamp};

/// A parsed stamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub timestamp: Timestamp,
    pub serial: u32,
}

/// Parses the stamp that starts at `src[at..]` (`audit(` included) and
/// returns it with the index of the body: past `)`, then `: `, `:` or ` `
/// (old auditd daemon records have no colon), or at the end of `src`.
/// Error offsets index `src`.
pub(crate) fn parse(src: &[u8], at: usize) -> Result<(Stamp, usize), RecordError> {
    let fail = |kind, offset| RecordError { kind, offset };
    let tail = src.get(at..).unwrap_or_default();
    if !tail.starts_with(b"audit(") {
        return Err(fail(RecordErrorKind::MissingHeader, at));
    }
    let mut pos = at + 6;

    let (seconds, n) = digits(src, pos).ok_or(fail(RecordErrorKind::BadTimestamp, pos))?;
    pos += n;
    if src.get(pos) != Some(&b'.') {
        return Err(fail(RecordErrorKind::BadTimestamp, pos));
    }
    pos += 1;
    let millis = match digits(src, pos) {
        Some((v, n @ 1..=3)) => {
            pos += n;
            v
        }
        _ => return Err(fail(RecordErrorKind::BadTimestamp, pos)),
    };

    if src.get(pos) != Some(&b':') {
        return Err(fail(RecordErrorKind::BadSerial, pos));
    }
    pos += 1;
    let serial = digits(src, pos)
        .and_then(|(v, n)| Some((u32::try_from(v).ok()?, n)))
        .ok_or(fail(RecordErrorKind::BadSerial, pos))?;
    pos += serial.1;

    if src.get(pos) != Some(&b')') {
        return Err(fail(RecordErrorKind::Unterminated, pos));
    }
    pos += 1;
    // The kernel writes `): `; old auditd wrote `) ` (DAEMON_CONFIG).
    match src.get(pos) {
        Some(b':') if src.get(pos + 1) == Some(&b' ') => pos += 2,
        Some(b':' | b' ') => pos += 1,
        None => {}
        Some(_) => return Err(fail(RecordErrorKind::Unterminated, pos)),
    }
    let timestamp = Timestamp {
        seconds,
        // 1–3 decimal digits: at most 999.
        millis: u16::try_from(millis).unwrap_or(999),
    };
    Ok((
        Stamp {
            timestamp,
            serial: serial.0,
        },
        pos,
    ))
}

/// The decimal number at `src[at..]` and how many digits it took; `None`
/// when there is no digit or the value does not fit in `u64`. One pass:
/// each digit is checked and added as it is read.
fn digits(src: &[u8], at: usize) -> Option<(u64, usize)> {
    let tail = src.get(at..)?;
    let mut value: u64 = 0;
    let mut count = 0;
    for &byte in tail {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(digit))?;
        count += 1;
    }
    (count > 0).then_some((value, count))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn digits_checked() {
        assert_eq!(digits(b"123x", 0), Some((123, 3)));
        assert_eq!(digits(b"x", 0), None);
        assert_eq!(digits(b"1", 5), None);
        assert_eq!(digits(b"18446744073709551615", 0), Some((u64::MAX, 20)));
        assert_eq!(digits(b"18446744073709551616", 0), None);
        assert_eq!(digits(b"184467440737095516150", 0), None);
        assert_eq!(digits(b"000000000000000000000000042)", 0), Some((42, 27)));
        assert_eq!(digits(b"12/:", 0), Some((12, 2))); // '/' and ':' border the digits
        assert_eq!(digits(b"", 0), None);
    }

    /// `digits` as it was: count the digits, then fold them.
    fn digits_in_two_passes(src: &[u8], at: usize) -> Option<(u64, usize)> {
        let tail = src.get(at..)?;
        let n = tail.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let value = tail.get(..n)?.iter().try_fold(0u64, |acc, &b| {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        })?;
        Some((value, n))
    }

    proptest::proptest! {
        #[test]
        fn digits_agree_with_two_passes(text in "[0-9]{0,24}[0-9./:)a]{0,3}", at in 0usize..4) {
            proptest::prop_assert_eq!(
                digits(text.as_bytes(), at),
                digits_in_two_passes(text.as_bytes(), at)
            );
        }
    }

    #[test]
    fn stamp_mid_buffer() {
        let src = b"msg=audit(10.020:30):body";
        let (s, body) = parse(src, 4).unwrap();
        assert_eq!(
            s.timestamp,
            Timestamp {
                seconds: 10,
                millis: 20
            }
        );
        assert_eq!(s.serial, 30);
        assert_eq!(&src[body..], b"body");
        assert_eq!(
            parse(src, 400).map(|_| ()),
            Err(RecordError {
                kind: RecordErrorKind::MissingHeader,
                offset: 400
            })
        );
    }
}

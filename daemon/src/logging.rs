//! raudit's own stderr lines, with go-audit's `log.flags` prefix (Go's
//! `log` package flags): `Ldate` (1) `2009/01/23 `, `Ltime` (2)
//! `01:23:23 `, `Lmicroseconds` (4) `01:23:23.123123 `, in local time or,
//! with `LUTC` (32), in UTC. `Llongfile` (8), `Lshortfile` (16) and
//! `Lmsgprefix` (64) name Go source positions and go-audit's empty prefix:
//! they have no meaning for raudit and are accepted and ignored.
//!
//! The crate's `eprintln!` is this module's macro (declared first in
//! `lib.rs`, so it shadows std's in every module): every message raudit
//! writes to stderr gets the prefix, with no change at the call sites. A
//! line is written under the stderr lock with its prefix built on the
//! stack: nothing here allocates.

use std::fmt;
use std::io::{self, Write as _};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::local_time::{self, LocalTime};

pub const LDATE: u32 = 0x01;
pub const LTIME: u32 = 0x02;
pub const LMICROSECONDS: u32 = 0x04;
pub const LUTC: u32 = 0x20;

static FLAGS: AtomicU32 = AtomicU32::new(0);

/// Sets the flags for every later line (`log.flags`, at start).
pub fn set_flags(flags: u32) {
    FLAGS.store(flags, Ordering::Relaxed);
}

/// The flags in force.
pub fn flags() -> u32 {
    FLAGS.load(Ordering::Relaxed)
}

/// Longest prefix: `2009/01/23 01:23:23.123123 ` (and room to spare).
pub const PREFIX_MAX: usize = 40;

/// Writes the prefix for `flags` at `t` into `out`; returns its length
/// (0 when no date or time flag is set).
pub fn prefix(flags: u32, t: &LocalTime, out: &mut [u8; PREFIX_MAX]) -> usize {
    let mut cursor = io::Cursor::new(&mut out[..]);
    // Cannot fail: the longest prefix fits in PREFIX_MAX.
    if flags & LDATE != 0 {
        let _ = write!(cursor, "{:04}/{:02}/{:02} ", t.year, t.month, t.day);
    }
    if flags & (LTIME | LMICROSECONDS) != 0 {
        let _ = write!(cursor, "{:02}:{:02}:{:02}", t.hour, t.minute, t.second);
        if flags & LMICROSECONDS != 0 {
            let _ = write!(cursor, ".{:06}", t.micros);
        }
        let _ = cursor.write_all(b" ");
    }
    cursor.position() as usize
}

/// The time for a line now: local, or UTC with `LUTC`.
fn now(flags: u32) -> LocalTime {
    local_time::now(flags & LUTC != 0)
}

/// Writes one line to stderr: the prefix, the message, a newline.
pub fn write_line(args: fmt::Arguments<'_>) {
    let flags = flags();
    let mut stderr = io::stderr().lock();
    if flags & (LDATE | LTIME | LMICROSECONDS) != 0 {
        let mut buffer = [0u8; PREFIX_MAX];
        let len = prefix(flags, &now(flags), &mut buffer);
        let _ = stderr.write_all(&buffer[..len]);
    }
    let _ = stderr.write_fmt(args);
    let _ = stderr.write_all(b"\n");
}

/// `eprintln!` for raudit: [`write_line`] (the `log.flags` prefix first).
macro_rules! eprintln {
    ($($arg:tt)*) => {
        $crate::logging::write_line(format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(flags: u32, t: &LocalTime) -> String {
        let mut out = [0u8; PREFIX_MAX];
        let len = prefix(flags, t, &mut out);
        String::from_utf8(out[..len].to_vec()).unwrap()
    }

    #[test]
    fn prefixes_are_go_log_s() {
        // 2009-01-23 01:23:23.123123 UTC (Go's own documentation example).
        let t = LocalTime::at(1_232_673_803, 123_123, 0);
        assert_eq!(text(0, &t), "");
        assert_eq!(text(LDATE, &t), "2009/01/23 ");
        assert_eq!(text(LTIME, &t), "01:23:23 ");
        assert_eq!(text(LDATE | LTIME, &t), "2009/01/23 01:23:23 ");
        assert_eq!(
            text(LDATE | LTIME | LMICROSECONDS, &t),
            "2009/01/23 01:23:23.123123 "
        );
        // Microseconds imply the time, as in Go.
        assert_eq!(text(LMICROSECONDS, &t), "01:23:23.123123 ");
        // File flags and Lmsgprefix add nothing.
        assert_eq!(text(8 | 16 | 64, &t), "");
        // An hour east of UTC.
        let east = LocalTime::at(1_232_673_803, 0, 3600);
        assert_eq!(text(LDATE | LTIME, &east), "2009/01/23 02:23:23 ");
    }

    #[test]
    fn utc_flag_ignores_the_zone() {
        let t = now(LUTC);
        assert_eq!(t.offset, 0);
    }
}

//! The local time zone's offset from UTC (`localtime_r`'s `tm_gmtoff`), for
//! syslog timestamps, which go-audit writes in local time.

/// Seconds east of UTC in the local time zone at `unix_secs` (0 when the
/// C library cannot tell). glibc reads the zone (`TZ`, `/etc/localtime`)
/// once; later calls neither read files nor allocate.
pub fn utc_offset(unix_secs: i64) -> i32 {
    // time_t is 64 bits on every target raudit builds for (Linux, 64-bit).
    let t = unix_secs as libc::time_t;
    // SAFETY: `tm` is plain old data, so all-zero is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; localtime_r is the
    // reentrant form and writes only into `tm`.
    let result = unsafe { libc::localtime_r(&t, &mut tm) };
    if result.is_null() {
        return 0;
    }
    i32::try_from(tm.tm_gmtoff).unwrap_or(0)
}

//! Numbers in rules as auditctl reads them (C's `strtoul`/`strtol` with
//! base 0: decimal, `0x` hex, `0` octal), but never truncated: a value
//! that does not fit the kernel's 32-bit word is an error saying so.

/// C's `strtoul(v, NULL, 0)` on a whole string: decimal, `0x` hex, `0` octal.
pub(super) fn parse_unsigned(v: &str) -> Option<u64> {
    let (digits, radix) = if let Some(h) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        (h, 16)
    } else if v.len() > 1 && v.starts_with('0') {
        (&v[1..], 8)
    } else {
        (v, 10)
    };
    // Digits only: from_str_radix also takes a leading `+`, which made
    // `0+5` octal 5 where strtoul reads 0.
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// The number a table gave for `name`, or else `name` itself read as a
/// number when it starts with a digit (`-S 59`, `-S openat,257`).
pub(super) fn named_or_numeric(from_table: Option<u32>, name: &str) -> Option<u32> {
    from_table.or_else(|| {
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            parse_signed(name).and_then(|n| u32::try_from(n).ok())
        } else {
            None
        }
    })
}

/// What an out-of-range status option value is told.
const OUT_OF_RANGE_UNSIGNED: &str = "a number from 0 to 4294967295 (out of range)";
/// What an out-of-range field value is told.
const OUT_OF_RANGE_FIELD: &str = "a number from -2147483648 to 4294967295 (out of range)";

/// A field's numeric value as the kernel's 32-bit word: 0 to 2^32 - 1, or
/// a negative number down to -2^31 (stored as its two's complement, as
/// libaudit does). Anything else is an error, never truncated.
pub(super) fn field_number(v: &str) -> Result<u32, &'static str> {
    let Some(magnitude) = v.strip_prefix('-') else {
        return unsigned_word(v).map_err(|e| {
            if e == OUT_OF_RANGE_UNSIGNED {
                OUT_OF_RANGE_FIELD
            } else {
                e
            }
        });
    };
    match parse_signed(v) {
        Some(n) => i32::try_from(n)
            .map(|n| n as u32)
            .map_err(|_| OUT_OF_RANGE_FIELD),
        None if all_digits(magnitude) => Err(OUT_OF_RANGE_FIELD),
        None => Err("a number"),
    }
}

/// An unsigned 32-bit value (`-b`, `-r`, `--backlog_wait_time`, field
/// values): more is out of range, never truncated.
pub(super) fn unsigned_word(v: &str) -> Result<u32, &'static str> {
    match parse_unsigned(v) {
        Some(n) => u32::try_from(n).map_err(|_| OUT_OF_RANGE_UNSIGNED),
        // Digits that overflow even 64 bits are out of range too.
        None if all_digits(v) => Err(OUT_OF_RANGE_UNSIGNED),
        None => Err("a number"),
    }
}

fn all_digits(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
}

/// C's `strtol(v, NULL, 0)` on a whole string, sign allowed.
pub(super) fn parse_signed(v: &str) -> Option<i64> {
    match v.strip_prefix('-') {
        Some(rest) => parse_unsigned(rest)
            .and_then(|n| i64::try_from(n).ok())
            .map(|n| -n),
        None => parse_unsigned(v).map(|n| n as i64),
    }
}

//! The GELF 1.1 JSON for one event line, written into a reused `Vec`.
//!
//! As go-gelf (which go-audit uses) does, the whole event line (trimmed)
//! is the `short_message`, `host` is the host name, `level` 6 (info) and
//! `facility` `go-audit`, so existing Graylog streams keep matching. raudit
//! adds what people search on as additional fields, read from the line
//! itself without a JSON parser: `_sequence` (and the event's own time as
//! `timestamp`) from the top level, and `_syscall`, `_key`, `_auid`,
//! `_uid`, `_pid`, `_exe`, `_comm`, `_success` from the SYSCALL record's
//! data. A line that is not go-audit-shaped simply gets fewer fields.
//!
//! Nothing here allocates once the buffers have reached their working
//! size; nothing panics on any input.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use memchr::memmem;
use raudit_core::record::{field, Value};

/// GELF `level`: syslog severity 6, informational (go-gelf's default).
pub const LEVEL: u8 = 6;

/// SYSCALL fields copied as additional fields: (record key, GELF name,
/// numeric).
const SYSCALL_FIELDS: &[(&[u8], &str, bool)] = &[
    (b"syscall", "_syscall", true),
    (b"success", "_success", false),
    (b"key", "_key", false),
    (b"auid", "_auid", true),
    (b"uid", "_uid", true),
    (b"pid", "_pid", true),
    (b"comm", "_comm", false),
    (b"exe", "_exe", false),
];

/// Builds GELF messages; holds the host name (already escaped) and the
/// scratch space for the SYSCALL record's unescaped data.
#[derive(Debug)]
pub struct Builder {
    host: Vec<u8>,
    data: Vec<u8>,
    hex: Vec<u8>,
}

impl Builder {
    /// `max_line`: the largest event line expected (reserves scratch).
    pub fn new(hostname: &str, max_line: usize) -> Builder {
        let mut host = Vec::new();
        escape(&mut host, hostname.as_bytes());
        Builder {
            host,
            data: Vec::with_capacity(max_line),
            hex: Vec::with_capacity(max_line / 2 + 1),
        }
    }

    /// Writes the GELF JSON for `line` into `out` (cleared first).
    pub fn build(&mut self, out: &mut Vec<u8>, line: &[u8]) {
        let line = line.trim_ascii();
        out.clear();
        out.extend_from_slice(b"{\"version\":\"1.1\",\"host\":\"");
        out.extend_from_slice(&self.host);
        out.extend_from_slice(b"\",\"short_message\":\"");
        escape(out, line);
        out.extend_from_slice(b"\",\"timestamp\":");
        match string_value(line, b"timestamp").filter(|t| is_decimal(t)) {
            Some(ts) => out.extend_from_slice(ts),
            None => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                let _ = write!(out, "{}.{:03}", now.as_secs(), now.subsec_millis());
            }
        }
        let _ = write!(out, ",\"level\":{LEVEL},\"facility\":\"go-audit\"");
        if let Some(seq) = number_value(line, b"sequence") {
            out.extend_from_slice(b",\"_sequence\":");
            out.extend_from_slice(seq);
        }
        if self.syscall_data(line) {
            for &(key, name, numeric) in SYSCALL_FIELDS {
                let Some(value) = field(&self.data, key) else {
                    continue;
                };
                additional(out, &mut self.hex, name, value, numeric);
            }
        }
        out.push(b'}');
    }

    /// Unescapes the data of the first SYSCALL (1300) message into
    /// `self.data`; false if there is none.
    fn syscall_data(&mut self, line: &[u8]) -> bool {
        const SYSCALL: &[u8] = b"{\"type\":1300,\"data\":\"";
        self.data.clear();
        let Some(at) = memmem::find(line, SYSCALL) else {
            return false;
        };
        let rest = line.get(at + SYSCALL.len()..).unwrap_or_default();
        unescape(&mut self.data, rest)
    }
}

/// One additional field from a record value; markers (`(null)`, `?`) and
/// absent values are left out.
fn additional(out: &mut Vec<u8>, hex: &mut Vec<u8>, name: &str, value: Value<'_>, numeric: bool) {
    let text = match value {
        Value::Bare(t) | Value::DoubleQuoted(t) | Value::SingleQuoted(t) => t,
        _ => return,
    };
    let _ = write!(out, ",\"{name}\":");
    if numeric && is_decimal(text) && !text.contains(&b'.') {
        out.extend_from_slice(text);
        return;
    }
    out.push(b'"');
    // Untrusted strings (comm, exe, key) come hex-encoded when they hold
    // spaces, quotes or control bytes.
    if !numeric && value.looks_hex() {
        hex.clear();
        hex.resize(text.len() / 2, 0);
        if let Ok(n) = value.decode_hex(hex) {
            escape(out, hex.get(..n).unwrap_or_default());
            out.push(b'"');
            return;
        }
    }
    escape(out, text);
    out.push(b'"');
}

/// Offset just past `"key":` as a key of some object (its quote follows
/// `{` or `,`; quotes inside strings follow a backslash).
fn key_at(line: &[u8], key: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(rel) = memmem::find(line.get(from..)?, key) {
        let at = from + rel;
        from = at + 1;
        let before = at.checked_sub(2).and_then(|i| line.get(i..at));
        let after = line.get(at + key.len()..at + key.len() + 2);
        if matches!(before, Some(b"{\"" | b",\"")) && after == Some(b"\":") {
            return Some(at + key.len() + 2);
        }
    }
    None
}

/// The raw text of a string value without escapes (`"key":"text"`).
fn string_value<'l>(line: &'l [u8], key: &[u8]) -> Option<&'l [u8]> {
    let rest = line.get(key_at(line, key)?..)?.strip_prefix(b"\"")?;
    let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    rest.get(..end)
}

/// The digits of an integer value (`"key":123`).
fn number_value<'l>(line: &'l [u8], key: &[u8]) -> Option<&'l [u8]> {
    let rest = line.get(key_at(line, key)?..)?;
    let end = rest
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(rest.len());
    // JSON numbers have no leading zeros (`007` would make the message
    // invalid; found by the `gelf` fuzz target).
    rest.get(..end)
        .filter(|d| !d.is_empty() && d.len() <= 20 && (d.len() == 1 || d[0] != b'0'))
}

/// Digits with at most one inner `.`: a valid JSON number as written.
fn is_decimal(text: &[u8]) -> bool {
    let digits = |p: &[u8]| !p.is_empty() && p.len() <= 20 && p.iter().all(u8::is_ascii_digit);
    let mut parts = text.splitn(2, |&b| b == b'.');
    let whole = parts.next().unwrap_or_default();
    let frac_ok = match parts.next() {
        None => true,
        Some(frac) => digits(frac),
    };
    digits(whole) && frac_ok && (whole.len() == 1 || !whole.starts_with(b"0"))
}

/// Appends `bytes` as the inside of a JSON string: quotes, backslashes and
/// control bytes escaped, invalid UTF-8 as U+FFFD.
pub fn escape(out: &mut Vec<u8>, bytes: &[u8]) {
    for chunk in bytes.utf8_chunks() {
        for &b in chunk.valid().as_bytes() {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0..=0x1f => {
                    let _ = write!(out, "\\u{b:04x}");
                }
                _ => out.push(b),
            }
        }
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
}

/// Decodes a JSON string body (`src` starts after the opening quote) into
/// `out`, up to the closing quote. False if it is cut short or malformed.
fn unescape(out: &mut Vec<u8>, src: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&b) = src.get(i) {
        match b {
            b'"' => return true,
            b'\\' => {
                let Some(&e) = src.get(i + 1) else {
                    return false;
                };
                i += 2;
                let c = match e {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'u' => {
                        let Some((ch, used)) = unicode_escape(src.get(i..).unwrap_or_default())
                        else {
                            return false;
                        };
                        i += used;
                        let mut utf8 = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
                        continue;
                    }
                    _ => return false,
                };
                out.push(c);
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    false
}

/// The character of `XXXX` (after `\u`), with a following `\uXXXX` low
/// surrogate if needed; lone surrogates become U+FFFD. Returns the bytes
/// used.
fn unicode_escape(src: &[u8]) -> Option<(char, usize)> {
    let hi = hex4(src.get(..4)?)?;
    if !(0xd800..0xdc00).contains(&hi) {
        return Some((char::from_u32(hi).unwrap_or('\u{fffd}'), 4));
    }
    let low = src
        .get(4..6)
        .filter(|p| *p == b"\\u")
        .and_then(|_| hex4(src.get(6..10)?))
        .filter(|lo| (0xdc00..0xe000).contains(lo));
    match low {
        Some(lo) => {
            let c = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
            Some((char::from_u32(c).unwrap_or('\u{fffd}'), 10))
        }
        None => Some(('\u{fffd}', 4)),
    }
}

fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| {
        let v = (d as char).to_digit(16)?;
        Some(acc * 16 + v)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

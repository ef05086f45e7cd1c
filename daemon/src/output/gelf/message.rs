//! The GELF 1.1 JSON for one event line, written into a reused `Vec`.
//!
//! As go-gelf (which go-audit uses) does, the whole event line (trimmed)
//! is the `short_message`, `host` is the host name, `level` 6 (info) and
//! `facility` `go-audit`, so existing Graylog streams keep matching. raudit
//! adds what people search on as additional fields, from the event's
//! [`Facts`] that the receive thread put beside the line (never from the
//! line itself, so they are the same in every `raudit.format`): the event's
//! own time as `timestamp`, `_sequence`, and `_syscall`, `_key`, `_auid`,
//! `_uid`, `_pid`, `_exe`, `_comm`, `_success` from its SYSCALL record.
//! A line without facts (control records) gets the time of sending and no
//! additional fields.
//!
//! Nothing here allocates once the buffer has reached its working size;
//! nothing panics on any input.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::side::Facts;

/// GELF `level`: syslog severity 6, informational (go-gelf's default).
pub const LEVEL: u8 = 6;

/// Builds GELF messages; holds the host name (already escaped).
#[derive(Debug)]
pub struct Builder {
    host: Vec<u8>,
}

impl Builder {
    pub fn new(hostname: &str) -> Builder {
        let mut host = Vec::new();
        escape(&mut host, hostname.as_bytes());
        Builder { host }
    }

    /// Writes the GELF JSON for `line` and its `facts` into `out` (cleared
    /// first).
    pub fn build(&self, out: &mut Vec<u8>, line: &[u8], facts: Option<&Facts<'_>>) {
        let line = line.trim_ascii();
        out.clear();
        out.extend_from_slice(b"{\"version\":\"1.1\",\"host\":\"");
        out.extend_from_slice(&self.host);
        out.extend_from_slice(b"\",\"short_message\":\"");
        escape(out, line);
        out.extend_from_slice(b"\",\"timestamp\":");
        match facts {
            Some(f) => {
                let _ = write!(out, "{}.{:03}", f.seconds, f.millis.min(999));
            }
            None => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                let _ = write!(out, "{}.{:03}", now.as_secs(), now.subsec_millis());
            }
        }
        let _ = write!(out, ",\"level\":{LEVEL},\"facility\":\"go-audit\"");
        if let Some(f) = facts {
            let _ = write!(out, ",\"_sequence\":{}", f.sequence);
            let numbers = [
                ("_syscall", f.syscall),
                ("_auid", f.auid),
                ("_uid", f.uid),
                ("_pid", f.pid),
            ];
            for (name, value) in numbers {
                if let Some(n) = value {
                    let _ = write!(out, ",\"{name}\":{n}");
                }
            }
            if let Some(success) = f.success {
                let text = if success { "yes" } else { "no" };
                let _ = write!(out, ",\"_success\":\"{text}\"");
            }
            for (name, value) in [("_key", f.key), ("_comm", f.comm), ("_exe", f.exe)] {
                if let Some(text) = value {
                    let _ = write!(out, ",\"{name}\":\"");
                    escape(out, text);
                    out.push(b'"');
                }
            }
        }
        out.push(b'}');
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

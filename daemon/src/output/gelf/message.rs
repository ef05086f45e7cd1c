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

use std::time::{SystemTime, UNIX_EPOCH};

use crate::json::Object;
use crate::side::Facts;

/// GELF `level`: syslog severity 6, informational (go-gelf's default).
pub const LEVEL: u8 = 6;

/// Builds GELF messages; holds the host name.
#[derive(Debug)]
pub struct Builder {
    host: String,
}

impl Builder {
    pub fn new(hostname: &str) -> Builder {
        Builder {
            host: hostname.to_owned(),
        }
    }

    /// Writes the GELF JSON for `line` and its `facts` into `out` (cleared
    /// first), through [`crate::json`] (the one escaping rule).
    pub fn build(&self, out: &mut Vec<u8>, line: &[u8], facts: Option<&Facts<'_>>) {
        let line = line.trim_ascii();
        out.clear();
        let (seconds, millis) = match facts {
            Some(f) => (f.seconds, u32::from(f.millis)),
            None => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                (now.as_secs(), now.subsec_millis())
            }
        };
        let mut message = Object::open(out);
        message
            .string("version", b"1.1")
            .string("host", self.host.as_bytes())
            .string("short_message", line)
            .seconds_millis("timestamp", seconds, millis)
            .number("level", LEVEL)
            .string("facility", b"go-audit");
        if let Some(f) = facts {
            message.number("_sequence", f.sequence);
            let numbers = [
                ("_syscall", f.syscall),
                ("_auid", f.auid),
                ("_uid", f.uid),
                ("_pid", f.pid),
            ];
            for (name, value) in numbers {
                if let Some(n) = value {
                    message.number(name, n);
                }
            }
            if let Some(success) = f.success {
                let text: &[u8] = if success { b"yes" } else { b"no" };
                message.string("_success", text);
            }
            for (name, value) in [("_key", f.key), ("_comm", f.comm), ("_exe", f.exe)] {
                if let Some(text) = value {
                    message.string(name, text);
                }
            }
        }
        message.close();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

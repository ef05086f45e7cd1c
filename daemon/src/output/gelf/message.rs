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

use crate::json;
use crate::side::Facts;

/// GELF `level`: syslog severity 6, informational (go-gelf's default).
pub const LEVEL: u8 = 6;

/// Builds GELF messages; holds what every message begins with.
#[derive(Debug)]
pub struct Builder {
    /// `{"version":"1.1","host":"HOST","short_message":"`, the host name
    /// escaped once, here, instead of for every message.
    head: Vec<u8>,
}

/// The members after `timestamp` that never change.
const LEVEL_AND_FACILITY: &[u8] = b",\"level\":6,\"facility\":\"go-audit\"";
const _: () = assert!(LEVEL == 6, "LEVEL_AND_FACILITY spells the level out");

impl Builder {
    pub fn new(hostname: &str) -> Builder {
        let mut head = Vec::new();
        head.extend_from_slice(b"{\"version\":\"1.1\",\"host\":");
        json::string(&mut head, hostname.as_bytes());
        head.extend_from_slice(b",\"short_message\":\"");
        Builder { head }
    }

    /// Writes the GELF JSON for `line` and its `facts` into `out` (cleared
    /// first), through [`crate::json`] (the one escaping rule). The member
    /// names are literals here (plain ASCII: nothing to escape), each
    /// written with the punctuation around it in one copy.
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
        out.extend_from_slice(&self.head);
        json::json_text_body(out, line);
        out.extend_from_slice(b"\",\"timestamp\":");
        json::seconds_millis(out, seconds, millis);
        out.extend_from_slice(LEVEL_AND_FACILITY);
        if let Some(f) = facts {
            out.extend_from_slice(b",\"_sequence\":");
            json::decimal(out, u64::from(f.sequence));
            let numbers: [(&[u8], _); 4] = [
                (b",\"_syscall\":", f.syscall),
                (b",\"_auid\":", f.auid),
                (b",\"_uid\":", f.uid),
                (b",\"_pid\":", f.pid),
            ];
            for (member, value) in numbers {
                if let Some(n) = value {
                    out.extend_from_slice(member);
                    json::decimal(out, n);
                }
            }
            if let Some(success) = f.success {
                let member: &[u8] = if success {
                    b",\"_success\":\"yes\""
                } else {
                    b",\"_success\":\"no\""
                };
                out.extend_from_slice(member);
            }
            let texts: [(&[u8], _); 3] = [
                (b",\"_key\":", f.key),
                (b",\"_comm\":", f.comm),
                (b",\"_exe\":", f.exe),
            ];
            for (member, value) in texts {
                if let Some(text) = value {
                    out.extend_from_slice(member);
                    json::string(out, text);
                }
            }
        }
        out.push(b'}');
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

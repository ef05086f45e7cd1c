//! The daemon's own JSON, off the events' hot path: the control records in
//! the output streams (loss, drift, spoofed, restart, reload), the stats
//! file and GELF's envelope around an event line. One writer and one
//! escaping rule for all of them, the one events are encoded with
//! ([`raudit_core::encode::text`]: serde-json-core's escapes, and U+FFFD
//! for each byte that is not part of valid UTF-8, as Go's encoder does).
//!
//! Everything is appended to a caller's `Vec<u8>`: once it has reached its
//! working size, nothing here allocates.

use std::time::{SystemTime, UNIX_EPOCH};

use raudit_core::encode::{text, Shape};

use crate::local_time;

/// Appends `bytes` as the inside of a JSON string (no quotes).
pub fn string_body(out: &mut Vec<u8>, bytes: &[u8]) {
    escaped_body(out, bytes, text::escape_into);
}

/// [`string_body`] for a JSON text (an event line inside GELF's message),
/// whose quotes come every few bytes: the same output, escaped sixteen
/// bytes at a time where the CPU can ([`crate::sys::json_text`]), else
/// with [`text::escape_json_text_into`].
pub fn json_text_body(out: &mut Vec<u8>, bytes: &[u8]) {
    escaped_body(out, bytes, crate::sys::json_text::escape_json_text_into);
}

/// Appends `bytes` escaped by `escape` (one of `text`'s escapers, which
/// write the same output and return `None` when out of room).
fn escaped_body(out: &mut Vec<u8>, bytes: &[u8], escape: fn(&[u8], &mut [u8]) -> Option<usize>) {
    // Names, numbers as text, paths: mostly nothing to escape.
    if text::is_plain(bytes) {
        out.extend_from_slice(bytes);
        return;
    }
    let start = out.len();
    // Text grows little once escaped (an event line's quotes gain a
    // backslash each): room for a quarter more is tried first, and the
    // exact size, a slower walk char by char, is counted only when that
    // was not enough.
    let guess = bytes
        .len()
        .saturating_add(bytes.len() / 4)
        .saturating_add(16);
    out.resize(start.saturating_add(guess), 0);
    let written = match out.get_mut(start..).and_then(|room| escape(bytes, room)) {
        Some(written) => written,
        None => {
            let size = text::escaped_size(bytes);
            out.resize(start.saturating_add(size), 0);
            out.get_mut(start..)
                .and_then(|room| escape(bytes, room))
                .unwrap_or(0)
        }
    };
    out.truncate(start.saturating_add(written));
}

/// Appends `bytes` as a JSON string, quoted.
pub fn string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    string_body(out, bytes);
    out.push(b'"');
}

/// Appends `n` in decimal (what `write!(out, "{n}")` writes, without the
/// formatting machinery: GELF writes several numbers per event), two
/// digits per division.
pub fn decimal(out: &mut Vec<u8>, mut n: u64) {
    // Where each of 00..99 is spelled out.
    const PAIRS: &[u8; 200] =
        b"00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    // u64::MAX has 20 digits.
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut put = |start: usize, pair: u64| {
        let at = 2 * pair as usize;
        if let (Some(to), Some(from)) = (digits.get_mut(start..start + 2), PAIRS.get(at..at + 2)) {
            to.copy_from_slice(from);
        }
    };
    while n >= 100 {
        start = start.saturating_sub(2);
        put(start, n % 100);
        n /= 100;
    }
    if n >= 10 {
        start = start.saturating_sub(2);
        put(start, n);
    } else {
        start = start.saturating_sub(1);
        if let Some(slot) = digits.get_mut(start) {
            *slot = b'0' + n as u8;
        }
    }
    out.extend_from_slice(digits.get(start..).unwrap_or_default());
}

/// A JSON object being written: members are added in order, commas
/// between them; [`close`](Object::close) ends it.
pub struct Object<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> Object<'a> {
    /// Starts an object (`{`) at the end of `out`.
    pub fn open(out: &'a mut Vec<u8>) -> Object<'a> {
        out.push(b'{');
        Object { out, empty: true }
    }

    /// Writes `,"key":` (no comma before the first member).
    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        string(self.out, key.as_bytes());
        self.out.push(b':');
        self.out
    }

    /// `"key":N`.
    pub fn number(&mut self, key: &str, value: impl Into<u64>) -> &mut Self {
        let value = value.into();
        // Writing into a Vec cannot fail.
        decimal(self.key(key), value);
        self
    }

    /// `"key":true|false`.
    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.key(key).extend_from_slice(text);
        self
    }

    /// `"key":"value"`, escaped.
    pub fn string(&mut self, key: &str, value: &[u8]) -> &mut Self {
        let out = self.key(key);
        string(out, value);
        self
    }

    /// `"key":S.MMM` (a time as go-audit and GELF write it, a number).
    pub fn seconds_millis(&mut self, key: &str, seconds: u64, millis: u32) -> &mut Self {
        seconds_millis(self.key(key), seconds, millis);
        self
    }

    /// `"key":` and `value` as it is: JSON the caller wrote (a number with
    /// a fraction, an object written once).
    pub fn raw(&mut self, key: &str, value: &[u8]) -> &mut Self {
        self.key(key).extend_from_slice(value);
        self
    }

    /// `"key":["a","b",…]`, each escaped.
    pub fn strings<'s>(
        &mut self,
        key: &str,
        values: impl IntoIterator<Item = &'s str>,
    ) -> &mut Self {
        let out = self.key(key);
        out.push(b'[');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(out, value.as_bytes());
        }
        out.push(b']');
        self
    }

    /// `"key":{…}`: the nested object, to be closed before this one
    /// is written to again.
    pub fn object(&mut self, key: &str) -> Object<'_> {
        let out = self.key(key);
        Object::open(out)
    }

    /// Ends the object (`}`).
    pub fn close(self) {
        self.out.push(b'}');
    }
}

/// `S.MMM`: seconds since the epoch and milliseconds, as go-audit writes
/// an event's time.
pub fn seconds_millis(out: &mut Vec<u8>, seconds: u64, millis: u32) {
    decimal(out, seconds);
    let millis = millis.min(999);
    out.extend_from_slice(&[
        b'.',
        b'0' + (millis / 100) as u8,
        b'0' + (millis / 10 % 10) as u8,
        b'0' + (millis % 10) as u8,
    ]);
}

/// The outline of the control records, the stream's events' own: an
/// `ecs` stream's documents need `@timestamp` (an Elasticsearch data
/// stream refuses one without it, and a loss report refused is a loss
/// unsaid), the other shapes' have go-audit's `sequence` and `timestamp`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ControlOutline {
    #[default]
    GoAudit,
    Ecs,
}

impl ControlOutline {
    /// The outline of a stream of events in `shape`.
    pub fn of(shape: Shape) -> ControlOutline {
        match shape {
            Shape::Ecs => ControlOutline::Ecs,
            Shape::GoAudit | Shape::Structured => ControlOutline::GoAudit,
        }
    }
}

/// A control record, `\n`-terminated, appended to `out`: in go-audit's
/// outline `{"sequence":0,"timestamp":"S.MMM","messages":[],"uid_map":{},
/// "raudit":{"report":"KIND",…}}`; in ECS's `{"@timestamp":"…Z",
/// "event":{"module":"auditd","kind":"event","action":"raudit-KIND"},
/// "host":{"name":…},"raudit":{"report":"KIND",…}}` (the module's, so
/// that what finds the events finds these; the action tells them apart).
/// The `raudit` object's further members are written by `members`.
pub fn control_record(
    out: &mut Vec<u8>,
    now: SystemTime,
    outline: ControlOutline,
    kind: &str,
    members: impl FnOnce(&mut Object<'_>),
) {
    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut record = Object::open(out);
    match outline {
        ControlOutline::GoAudit => {
            record.number("sequence", 0u64);
            let stamp = record.key("timestamp");
            stamp.push(b'"');
            seconds_millis(stamp, now.as_secs(), now.subsec_millis());
            stamp.push(b'"');
            record.raw("messages", b"[]").raw("uid_map", b"{}");
        }
        ControlOutline::Ecs => {
            let stamp = record.key("@timestamp");
            stamp.push(b'"');
            let secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
            let t = local_time::LocalTime::at(secs, now.subsec_micros(), 0);
            local_time::write_rfc3339(stamp, &t, local_time::Fraction::Millis);
            stamp.push(b'"');
            let mut event = record.object("event");
            event.string("module", b"auditd").string("kind", b"event");
            let action = event.key("action");
            action.extend_from_slice(b"\"raudit-");
            string_body(action, kind.as_bytes());
            action.push(b'"');
            event.close();
            let mut name = [0u8; crate::host_name::MAX];
            if let Some(name) = crate::host_name::read_into(&mut name) {
                let mut host = record.object("host");
                host.string("name", name.as_bytes());
                host.close();
            }
        }
    }
    let mut raudit = record.object("raudit");
    raudit.string("report", kind.as_bytes());
    members(&mut raudit);
    raudit.close();
    record.close();
    out.push(b'\n');
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn strings_are_escaped_as_events_are() {
        let mut out = Vec::new();
        string(&mut out, b"a\"b\\c\n\x01\x08\x0c\x7f\xff\xfez");
        // serde-json-core's escapes, U+FFFD per byte that is not UTF-8.
        assert_eq!(
            out,
            "\"a\\\"b\\\\c\\n\\u0001\\b\\f\u{7f}\u{fffd}\u{fffd}z\"".as_bytes()
        );
        let parsed: String = serde_json::from_slice(&out).unwrap();
        assert_eq!(parsed, "a\"b\\c\n\u{1}\u{8}\u{c}\u{7f}\u{fffd}\u{fffd}z");
    }

    #[test]
    fn decimals_are_what_display_writes() {
        let mut out = Vec::new();
        for n in [0, 1, 9, 10, 99, 100, 4_294_967_295, 1_700_000_000, u64::MAX]
            .into_iter()
            .chain((0..2000).map(|i| i * 7919))
            .chain((0..100_000).step_by(7))
            .chain((1..20).flat_map(|k| {
                let power = 10_u64.pow(k);
                [power - 1, power, power + 1]
            }))
        {
            out.clear();
            decimal(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
        out.clear();
        seconds_millis(&mut out, 1_700_000_000, 7);
        assert_eq!(out, b"1700000000.007");
        out.clear();
        seconds_millis(&mut out, 0, 1500);
        assert_eq!(out, b"0.999");
    }

    #[test]
    fn strings_that_grow_past_the_first_guess_are_escaped_whole() {
        // Control bytes grow sixfold, quotes twofold, bad bytes threefold:
        // past the room first tried, so the exact size is counted.
        for piece in [&b"\x01"[..], b"\"", b"\xff", b"plain", b"\xc3\xa9"] {
            let bytes = piece.repeat(500);
            let mut out = b"before".to_vec();
            string(&mut out, &bytes);
            let parsed: String = serde_json::from_slice(&out[6..]).unwrap();
            assert_eq!(parsed, String::from_utf8_lossy(&bytes), "{piece:?}");
            assert_eq!(&out[..6], b"before");
            assert_eq!(out.len(), 6 + 2 + text::escaped_size(&bytes));
        }
    }

    #[test]
    fn a_control_record_is_go_audit_shaped() {
        let mut out = Vec::new();
        let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_042);
        control_record(&mut out, now, ControlOutline::GoAudit, "test", |o| {
            o.number("n", 3u32)
                .bool("ok", false)
                .strings("list", ["x\"", "y"])
                .string("s", b"q");
        });
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "{\"sequence\":0,\"timestamp\":\"1700000000.042\",\"messages\":[],\"uid_map\":{},\
             \"raudit\":{\"report\":\"test\",\"n\":3,\"ok\":false,\"list\":[\"x\\\"\",\"y\"],\"s\":\"q\"}}\n"
        );
        assert_eq!(ControlOutline::of(Shape::GoAudit), ControlOutline::GoAudit);
        assert_eq!(
            ControlOutline::of(Shape::Structured),
            ControlOutline::GoAudit
        );
    }

    /// In an ECS stream a control record is an ECS document: the
    /// `@timestamp` an Elasticsearch data stream requires (as the events
    /// write it: UTC, milliseconds), the module's `event` with the report
    /// as its action, the host's name, and the same `raudit` object.
    #[test]
    fn a_control_record_in_an_ecs_stream_is_an_ecs_document() {
        let mut out = Vec::new();
        let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_042);
        let outline = ControlOutline::of(Shape::Ecs);
        control_record(&mut out, now, outline, "loss", |o| {
            o.number("queue_drops", 3u32);
        });
        assert_eq!(out.last(), Some(&b'\n'));
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let mut want = serde_json::json!({
            "@timestamp": "2023-11-14T22:13:20.042Z",
            "event": {"module": "auditd", "kind": "event", "action": "raudit-loss"},
            "raudit": {"report": "loss", "queue_drops": 3},
        });
        if let Some(name) = crate::host_name::read() {
            want["host"] = serde_json::json!({ "name": name });
        }
        assert_eq!(doc, want);
        assert!(
            out.starts_with(b"{\"@timestamp\":"),
            "first, as in the events"
        );
    }
}

//! The protobuf of an OTLP logs export, encoded by hand: just the messages
//! raudit sends (`ExportLogsServiceRequest` → `ResourceLogs` → `Resource`,
//! `ScopeLogs` → `InstrumentationScope`, `LogRecord`, `KeyValue`,
//! `AnyValue`), with the field numbers of opentelemetry-proto's
//! `collector/logs/v1/logs_service.proto`, `logs/v1/logs.proto`,
//! `common/v1/common.proto` and `resource/v1/resource.proto`.
//!
//! Every message is written by one function over a [`Put`]: run over a
//! [`Count`] it gives the message's length (protobuf puts a length before
//! each nested message), over a [`Fill`] it writes the bytes. So the
//! length and the bytes come from the same code, and a record's size is
//! known before it is written into the batch, which never grows.

use crate::side::Facts;

/// Protobuf wire types.
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;

/// `ExportLogsServiceRequest.resource_logs`.
pub const REQUEST_RESOURCE_LOGS: u32 = 1;
/// `ResourceLogs.resource`.
pub const RESOURCE_LOGS_RESOURCE: u32 = 1;
/// `ResourceLogs.scope_logs`.
pub const RESOURCE_LOGS_SCOPE_LOGS: u32 = 2;
/// `ScopeLogs.scope`.
const SCOPE_LOGS_SCOPE: u32 = 1;
/// `ScopeLogs.log_records`.
const SCOPE_LOGS_LOG_RECORDS: u32 = 2;
/// `Resource.attributes`.
const RESOURCE_ATTRIBUTES: u32 = 1;
/// `InstrumentationScope.name`, `.version`.
const SCOPE_NAME: u32 = 1;
const SCOPE_VERSION: u32 = 2;
/// `LogRecord` fields.
const RECORD_TIME: u32 = 1;
const RECORD_SEVERITY_NUMBER: u32 = 2;
const RECORD_SEVERITY_TEXT: u32 = 3;
const RECORD_BODY: u32 = 5;
const RECORD_ATTRIBUTES: u32 = 6;
const RECORD_OBSERVED_TIME: u32 = 11;
/// `KeyValue.key`, `.value`.
const KEY_VALUE_KEY: u32 = 1;
const KEY_VALUE_VALUE: u32 = 2;
/// `AnyValue` cases.
const ANY_STRING: u32 = 1;
const ANY_BOOL: u32 = 2;
const ANY_INT: u32 = 3;
const ANY_BYTES: u32 = 7;

/// `SEVERITY_NUMBER_INFO`: an audit event is a record of what happened,
/// not a warning in itself.
const SEVERITY_INFO: u64 = 9;

/// Where an encoder puts bytes.
pub trait Put {
    fn put(&mut self, bytes: &[u8]);
    /// Takes `len` bytes as if they were put, when only their number
    /// matters (counting): true then, and the caller need not write them.
    fn skip(&mut self, _len: usize) -> bool {
        false
    }
}

/// Counts the bytes instead of writing them.
#[derive(Default)]
pub struct Count(pub usize);

impl Put for Count {
    fn put(&mut self, bytes: &[u8]) {
        self.0 = self.0.saturating_add(bytes.len());
    }

    fn skip(&mut self, len: usize) -> bool {
        self.0 = self.0.saturating_add(len);
        true
    }
}

/// Appends to a vector whose spare capacity the caller has checked with a
/// [`Count`] first (so it never grows).
pub struct Fill<'a>(pub &'a mut Vec<u8>);

impl Put for Fill<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// The length of `message` as written.
pub fn len_of(message: impl Fn(&mut dyn Put)) -> usize {
    let mut count = Count(0);
    message(&mut count);
    count.0
}

pub fn varint(out: &mut dyn Put, mut value: u64) {
    let mut bytes = [0u8; 10];
    let mut n = 0;
    for byte in bytes.iter_mut() {
        n += 1;
        if value < 0x80 {
            *byte = value as u8;
            break;
        }
        *byte = (value as u8 & 0x7f) | 0x80;
        value >>= 7;
    }
    out.put(bytes.get(..n).unwrap_or_default());
}

pub fn tag(out: &mut dyn Put, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}

/// A length-delimited field holding `message`. Its length is counted once
/// (a count of the enclosing message takes it as it is, so nesting does not
/// count the inner messages over and over).
pub fn nested(out: &mut dyn Put, field: u32, message: impl Fn(&mut dyn Put)) {
    tag(out, field, LEN);
    let len = len_of(&message);
    varint(out, len as u64);
    if !out.skip(len) {
        message(out);
    }
}

fn bytes_field(out: &mut dyn Put, field: u32, bytes: &[u8]) {
    tag(out, field, LEN);
    varint(out, bytes.len() as u64);
    out.put(bytes);
}

/// An attribute's or body's value.
#[derive(Clone, Copy)]
pub enum Value<'a> {
    /// UTF-8 text: a `string_value` (protobuf demands UTF-8 there).
    Text(&'a str),
    /// Bytes that are not UTF-8: a `bytes_value` (an `exe` path need not
    /// be UTF-8).
    Bytes(&'a [u8]),
    Int(i64),
    Bool(bool),
}

impl<'a> Value<'a> {
    /// `bytes` as text when they are UTF-8, else as bytes (checked once,
    /// here, however often the value is written or counted).
    pub fn text(bytes: &'a [u8]) -> Value<'a> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Value::Text(text),
            Err(_) => Value::Bytes(bytes),
        }
    }
}

/// An `AnyValue`.
fn any_value(out: &mut dyn Put, value: Value<'_>) {
    match value {
        Value::Text(text) => bytes_field(out, ANY_STRING, text.as_bytes()),
        Value::Bytes(bytes) => bytes_field(out, ANY_BYTES, bytes),
        Value::Int(n) => {
            tag(out, ANY_INT, VARINT);
            varint(out, n as u64);
        }
        Value::Bool(b) => {
            tag(out, ANY_BOOL, VARINT);
            varint(out, u64::from(b));
        }
    }
}

/// A `KeyValue` as field `field` of its parent.
fn attribute(out: &mut dyn Put, field: u32, key: &str, value: Value<'_>) {
    nested(out, field, |out| {
        bytes_field(out, KEY_VALUE_KEY, key.as_bytes());
        nested(out, KEY_VALUE_VALUE, |out| any_value(out, value));
    });
}

/// `ResourceLogs.resource`: the host and the service, the same for every
/// batch (written once at start).
pub fn resource_field(out: &mut dyn Put, host: &str) {
    nested(out, RESOURCE_LOGS_RESOURCE, |out| {
        attribute(out, RESOURCE_ATTRIBUTES, "host.name", Value::Text(host));
        attribute(
            out,
            RESOURCE_ATTRIBUTES,
            "service.name",
            Value::Text("raudit"),
        );
        attribute(
            out,
            RESOURCE_ATTRIBUTES,
            "service.version",
            Value::Text(env!("CARGO_PKG_VERSION")),
        );
    });
}

/// `ScopeLogs.scope`: raudit and its version.
pub fn scope_field(out: &mut dyn Put) {
    nested(out, SCOPE_LOGS_SCOPE, |out| {
        bytes_field(out, SCOPE_NAME, b"raudit");
        bytes_field(out, SCOPE_VERSION, env!("CARGO_PKG_VERSION").as_bytes());
    });
}

/// One event as a log record.
#[derive(Clone, Copy)]
pub struct Record<'a> {
    /// The event's line without its `\n`, as the body's value (text when
    /// it is UTF-8, which raudit's JSON always is).
    pub body: Value<'a>,
    pub facts: Option<&'a Facts<'a>>,
    /// When raudit took it (nanoseconds since the epoch).
    pub observed_nanos: u64,
    pub host: &'a str,
}

impl<'a> Record<'a> {
    pub fn new(
        line: &'a [u8],
        facts: Option<&'a Facts<'a>>,
        observed_nanos: u64,
        host: &'a str,
    ) -> Record<'a> {
        Record {
            body: Value::text(line),
            facts,
            observed_nanos,
            host,
        }
    }
}

/// `ScopeLogs.log_records`: one record, with its tag and length.
pub fn log_record_field(out: &mut dyn Put, record: &Record<'_>) {
    nested(out, SCOPE_LOGS_LOG_RECORDS, |out| log_record(out, record));
}

fn log_record(out: &mut dyn Put, r: &Record<'_>) {
    let time = r.facts.map_or(r.observed_nanos, |f| {
        f.seconds
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::from(f.millis) * 1_000_000)
    });
    tag(out, RECORD_TIME, FIXED64);
    out.put(&time.to_le_bytes());
    tag(out, RECORD_SEVERITY_NUMBER, VARINT);
    varint(out, SEVERITY_INFO);
    bytes_field(out, RECORD_SEVERITY_TEXT, b"INFO");
    nested(out, RECORD_BODY, |out| any_value(out, r.body));
    attribute(out, RECORD_ATTRIBUTES, "host.name", Value::Text(r.host));
    if let Some(f) = r.facts {
        facts(out, f);
    }
    tag(out, RECORD_OBSERVED_TIME, FIXED64);
    out.put(&r.observed_nanos.to_le_bytes());
}

/// The event's facts as attributes (only those the event has).
fn facts(out: &mut dyn Put, f: &Facts<'_>) {
    let field = RECORD_ATTRIBUTES;
    attribute(
        out,
        field,
        "audit.sequence",
        Value::Int(i64::from(f.sequence)),
    );
    let numbers = [
        ("audit.syscall", f.syscall),
        ("audit.auid", f.auid),
        ("audit.uid", f.uid),
        ("process.pid", f.pid),
    ];
    for (key, n) in numbers {
        if let Some(n) = n {
            // Ids are u32 (auid's unset is 4294967295): they fit in i64.
            attribute(out, field, key, Value::Int(n as i64));
        }
    }
    if let Some(success) = f.success {
        attribute(out, field, "audit.success", Value::Bool(success));
    }
    let texts = [
        ("audit.key", f.key),
        ("process.executable.path", f.exe),
        ("process.command", f.comm),
    ];
    for (key, text) in texts {
        if let Some(text) = text {
            attribute(out, field, key, Value::text(text));
        }
    }
}

/// The length of a varint.
pub fn varint_len(value: u64) -> usize {
    len_of(|out| varint(out, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_match_the_protobuf_encoding() {
        let mut v = Vec::new();
        varint(&mut Fill(&mut v), 300);
        assert_eq!(v, [0xac, 0x02]);
        assert_eq!(varint_len(0), 1);
        assert_eq!(varint_len(127), 1);
        assert_eq!(varint_len(128), 2);
        assert_eq!(varint_len(u64::MAX), 10);
    }

    #[test]
    fn counting_and_filling_agree() {
        let facts = Facts {
            sequence: 7,
            syscall: Some(59),
            success: Some(true),
            key: Some(b"k"),
            exe: Some(b"/bin/\xffx"),
            ..Facts::default()
        };
        let r = Record::new(br#"{"sequence":7}"#, Some(&facts), 1, "h");
        let mut v = Vec::new();
        log_record_field(&mut Fill(&mut v), &r);
        assert_eq!(v.len(), len_of(|out| log_record_field(out, &r)));
        assert_eq!(v[0], (2 << 3) | 2);
    }
}

//! The protobuf of an OTLP logs export, encoded by hand: just the messages
//! raudit sends (`ExportLogsServiceRequest` → `ResourceLogs` → `Resource`,
//! `ScopeLogs` → `InstrumentationScope`, `LogRecord`, `KeyValue`,
//! `AnyValue`), with the field numbers of opentelemetry-proto's
//! `collector/logs/v1/logs_service.proto`, `logs/v1/logs.proto`,
//! `common/v1/common.proto` and `resource/v1/resource.proto`.
//!
//! Protobuf puts a length before each nested message, so a message's
//! length must be known before its bytes. Here it is computed, not
//! counted: beside each function that writes a message is one that gives
//! its length by arithmetic on its fields' lengths (the tests check the
//! two agree, across the varint boundaries too). A record's size is so
//! known before it is written, in one pass, into its room in the batch
//! (through a [`Cursor`], which says whether it filled the room exactly).
//! Which attributes a message has is listed once, over an
//! `Attributes` that sums their lengths or writes them. Attribute keys
//! are encoded at compile time, with their tags and lengths, and copied as
//! the fixed-size arrays they are. Varints are canonical (shortest).

use crate::side::Facts;

/// A one-byte field tag (every field raudit writes is numbered below 16):
/// the field number and the wire type.
const fn tag(field: u8, wire: u8) -> u8 {
    (field << 3) | wire
}

/// Protobuf wire types.
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;

/// `ExportLogsServiceRequest.resource_logs`.
const REQUEST_RESOURCE_LOGS: u8 = tag(1, LEN);
/// `ResourceLogs.resource`, `.scope_logs`.
const RESOURCE_LOGS_RESOURCE: u8 = tag(1, LEN);
const RESOURCE_LOGS_SCOPE_LOGS: u8 = tag(2, LEN);
/// `ScopeLogs.scope`, `.log_records`.
const SCOPE_LOGS_SCOPE: u8 = tag(1, LEN);
const SCOPE_LOGS_LOG_RECORDS: u8 = tag(2, LEN);
/// `Resource.attributes`.
const RESOURCE_ATTRIBUTES: u8 = tag(1, LEN);
/// `InstrumentationScope.name`, `.version`.
const SCOPE_NAME: u8 = tag(1, LEN);
const SCOPE_VERSION: u8 = tag(2, LEN);
/// `LogRecord` fields.
const RECORD_TIME: u8 = tag(1, FIXED64);
const RECORD_SEVERITY_NUMBER: u8 = tag(2, VARINT);
const RECORD_SEVERITY_TEXT: u8 = tag(3, LEN);
const RECORD_BODY: u8 = tag(5, LEN);
const RECORD_ATTRIBUTES: u8 = tag(6, LEN);
const RECORD_OBSERVED_TIME: u8 = tag(11, FIXED64);
/// `KeyValue.key`, `.value`.
const KEY_VALUE_KEY: u8 = tag(1, LEN);
const KEY_VALUE_VALUE: u8 = tag(2, LEN);
/// `AnyValue` cases.
const ANY_STRING: u8 = tag(1, LEN);
const ANY_BOOL: u8 = tag(2, VARINT);
const ANY_INT: u8 = tag(3, VARINT);
const ANY_BYTES: u8 = tag(7, LEN);

/// `SEVERITY_NUMBER_INFO` (9), then `severity_text` "INFO": an audit
/// event is a record of what happened, not a warning in itself. The same
/// for every record, so written as one piece.
const SEVERITY: [u8; 8] = [
    RECORD_SEVERITY_NUMBER,
    9,
    RECORD_SEVERITY_TEXT,
    4,
    b'I',
    b'N',
    b'F',
    b'O',
];

/// A fixed64 field: its tag and 8 bytes.
const FIXED64_FIELD: usize = 9;

/// Where encoded bytes go: a vector (the messages written once, the
/// request's enclosing ones), or a [`Cursor`] over a record's room in
/// the batch, sized beforehand.
pub trait Out {
    fn push(&mut self, byte: u8);
    fn extend_from_slice(&mut self, bytes: &[u8]);
}

impl Out for Vec<u8> {
    fn push(&mut self, byte: u8) {
        Vec::push(self, byte);
    }

    fn extend_from_slice(&mut self, bytes: &[u8]) {
        Vec::extend_from_slice(self, bytes);
    }
}

/// Fills a slice from its start. What does not fit is not written, nor
/// anything after it, and [`Cursor::filled`] says so.
pub struct Cursor<'a> {
    rest: &'a mut [u8],
    short: bool,
}

impl<'a> Cursor<'a> {
    pub fn new(room: &'a mut [u8]) -> Cursor<'a> {
        Cursor {
            rest: room,
            short: false,
        }
    }

    /// Whether all that was put fit, filling the room exactly.
    pub fn filled(&self) -> bool {
        !self.short && self.rest.is_empty()
    }
}

impl Out for Cursor<'_> {
    fn push(&mut self, byte: u8) {
        match std::mem::take(&mut self.rest).split_first_mut() {
            Some((first, rest)) => {
                *first = byte;
                self.rest = rest;
            }
            None => self.short = true,
        }
    }

    fn extend_from_slice(&mut self, bytes: &[u8]) {
        match std::mem::take(&mut self.rest).split_at_mut_checked(bytes.len()) {
            Some((head, rest)) => {
                head.copy_from_slice(bytes);
                self.rest = rest;
            }
            None => self.short = true,
        }
    }
}

/// The length of `value` as a varint (1 to 10 bytes).
fn varint_len(value: u64) -> usize {
    // Bits needed (at least 1), 7 to a byte: ⌈bits / 7⌉, which for 1 to
    // 64 bits is (9 × bits + 64) / 64, without a division.
    let bits = 64 - (value | 1).leading_zeros() as usize;
    (bits * 9 + 64) / 64
}

/// Appends `value` as a varint.
fn varint(out: &mut impl Out, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The length of a length-delimited field (tag, length, then `content`
/// bytes).
fn delimited_len(content: usize) -> usize {
    content.saturating_add(1 + varint_len(content as u64))
}

/// Appends a length-delimited field's tag and length; its `content`
/// bytes are the caller's to write next.
fn delimited(out: &mut impl Out, tag: u8, content: usize) {
    out.push(tag);
    varint(out, content as u64);
}

/// A length-delimited field holding `bytes`.
fn bytes_field(out: &mut impl Out, tag: u8, bytes: &[u8]) {
    delimited(out, tag, bytes.len());
    out.extend_from_slice(bytes);
}

/// An attribute's or body's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value<'a> {
    /// Bytes checked to be UTF-8 (by [`Value::text`], or a `&str`'s): a
    /// `string_value` (protobuf demands UTF-8 there).
    Text(&'a [u8]),
    /// Bytes that are not UTF-8: a `bytes_value` (an `exe` path need not
    /// be UTF-8).
    Bytes(&'a [u8]),
    Int(i64),
    Bool(bool),
}

impl<'a> Value<'a> {
    /// `bytes` as text when they are UTF-8, else as bytes (checked once,
    /// here, however often the value's length is taken or it is written).
    /// ASCII, which raudit's JSON mostly is, is checked the fast way.
    fn text(bytes: &'a [u8]) -> Value<'a> {
        if bytes.is_ascii() || std::str::from_utf8(bytes).is_ok() {
            Value::Text(bytes)
        } else {
            Value::Bytes(bytes)
        }
    }

    /// The length of the `AnyValue` holding it.
    fn any_len(self) -> usize {
        match self {
            Value::Text(bytes) | Value::Bytes(bytes) => delimited_len(bytes.len()),
            // Negative ints are 10-byte varints, as protobuf's int64.
            Value::Int(n) => 1 + varint_len(n as u64),
            Value::Bool(_) => 2,
        }
    }

    /// Appends the `AnyValue` holding it (its fields, without its own tag
    /// and length).
    fn write_any(self, out: &mut impl Out) {
        match self {
            Value::Text(bytes) => bytes_field(out, ANY_STRING, bytes),
            Value::Bytes(bytes) => bytes_field(out, ANY_BYTES, bytes),
            Value::Int(n) => {
                out.push(ANY_INT);
                varint(out, n as u64);
            }
            Value::Bool(b) => out.extend_from_slice(&[ANY_BOOL, u8::from(b)]),
        }
    }
}

/// Attribute keys as their `KeyValue` starts: the `key` field (tag,
/// length, text) and the `value` field's tag, encoded at compile time,
/// each an array of its name's length plus 3.
macro_rules! keys {
    ($($key:ident = $name:literal;)*) => {
        $(const $key: [u8; $name.len() + 3] = key_bytes($name);)*
    };
}

keys! {
    HOST_NAME = "host.name";
    SERVICE_NAME = "service.name";
    SERVICE_VERSION = "service.version";
    SEQUENCE = "audit.sequence";
    SYSCALL = "audit.syscall";
    AUID = "audit.auid";
    UID = "audit.uid";
    PID = "process.pid";
    SUCCESS = "audit.success";
    AUDIT_KEY = "audit.key";
    EXE = "process.executable.path";
    COMM = "process.command";
}

/// `name`'s key bytes; `N` must be its length plus 3, and it must be
/// shorter than 128 bytes (one byte of length): else the build fails.
const fn key_bytes<const N: usize>(name: &str) -> [u8; N] {
    let name = name.as_bytes();
    assert!(name.len() + 3 == N && name.len() < 0x80);
    let mut bytes = [0; N];
    bytes[0] = KEY_VALUE_KEY;
    bytes[1] = name.len() as u8;
    let mut i = 0;
    while i < name.len() {
        bytes[i + 2] = name[i];
        i += 1;
    }
    bytes[N - 1] = KEY_VALUE_VALUE;
    bytes
}

/// The length of a `KeyValue` whose key bytes (as `keys!` encodes
/// them) are `key` long and whose `AnyValue` is `any` long.
fn key_value_len(key: usize, any: usize) -> usize {
    any.saturating_add(key + varint_len(any as u64))
}

/// What is done with a message's attributes (`KeyValue` fields), each in
/// turn: their lengths summed ([`Sum`]) or they written ([`Write`]). So
/// which attributes a message has is said once, by the function that
/// lists them over either. Generic over the key's length: a key is copied
/// as the fixed-size array it is.
trait Attributes<'a> {
    fn attribute<const N: usize>(&mut self, key: &[u8; N], value: Value<'a>);

    /// An attribute encoded beforehand, as a field of its parent.
    fn encoded(&mut self, field: &[u8]);

    /// An attribute the message may not have.
    fn maybe<const N: usize>(&mut self, key: &[u8; N], value: Option<Value<'a>>) {
        if let Some(value) = value {
            self.attribute(key, value);
        }
    }
}

/// Sums the attributes' lengths as fields of their parent.
struct Sum(usize);

impl Attributes<'_> for Sum {
    fn attribute<const N: usize>(&mut self, _: &[u8; N], value: Value<'_>) {
        let field = delimited_len(key_value_len(N, value.any_len()));
        self.0 = self.0.saturating_add(field);
    }

    fn encoded(&mut self, field: &[u8]) {
        self.0 = self.0.saturating_add(field.len());
    }
}

/// Appends the attributes as the field `tag` of their parent.
struct Write<'o, O: Out> {
    out: &'o mut O,
    tag: u8,
}

impl<O: Out> Attributes<'_> for Write<'_, O> {
    fn attribute<const N: usize>(&mut self, key: &[u8; N], value: Value<'_>) {
        let any = value.any_len();
        delimited(self.out, self.tag, key_value_len(N, any));
        self.out.extend_from_slice(key);
        varint(self.out, any as u64);
        value.write_any(self.out);
    }

    fn encoded(&mut self, field: &[u8]) {
        self.out.extend_from_slice(field);
    }
}

/// The resource's attributes: the host and the service.
fn resource_attributes<'a>(host: &'a str, to: &mut impl Attributes<'a>) {
    to.attribute(&HOST_NAME, Value::Text(host.as_bytes()));
    to.attribute(&SERVICE_NAME, Value::Text(b"raudit"));
    let version = env!("CARGO_PKG_VERSION").as_bytes();
    to.attribute(&SERVICE_VERSION, Value::Text(version));
}

/// `ResourceLogs.resource`, the same for every batch (written once at
/// start).
pub fn resource_field(out: &mut impl Out, host: &str) {
    let mut sum = Sum(0);
    resource_attributes(host, &mut sum);
    delimited(out, RESOURCE_LOGS_RESOURCE, sum.0);
    let tag = RESOURCE_ATTRIBUTES;
    resource_attributes(host, &mut Write { out, tag });
}

/// `ScopeLogs.scope`: raudit and its version.
pub fn scope_field(out: &mut impl Out) {
    let name = b"raudit";
    let version = env!("CARGO_PKG_VERSION").as_bytes();
    delimited(
        out,
        SCOPE_LOGS_SCOPE,
        delimited_len(name.len()) + delimited_len(version.len()),
    );
    bytes_field(out, SCOPE_NAME, name);
    bytes_field(out, SCOPE_VERSION, version);
}

/// The lengths of the `ResourceLogs` and the `ScopeLogs` around `records`
/// bytes of records.
fn enclosing_lens(resource: &[u8], scope: &[u8], records: usize) -> (usize, usize) {
    let scope_logs = scope.len().saturating_add(records);
    let resource_logs = resource.len().saturating_add(delimited_len(scope_logs));
    (resource_logs, scope_logs)
}

/// The length of an `ExportLogsServiceRequest` with `resource` and `scope`
/// (as [`resource_field`] and [`scope_field`] wrote them) and `records`
/// bytes of records.
pub fn request_len(resource: &[u8], scope: &[u8], records: usize) -> usize {
    delimited_len(enclosing_lens(resource, scope, records).0)
}

/// Appends the request's enclosing messages up to its records: the
/// `ExportLogsServiceRequest.resource_logs` field, its `resource`, the
/// `scope_logs` field and its `scope`; `records` bytes of records follow.
pub fn enclose(out: &mut impl Out, resource: &[u8], scope: &[u8], records: usize) {
    let (resource_logs, scope_logs) = enclosing_lens(resource, scope, records);
    delimited(out, REQUEST_RESOURCE_LOGS, resource_logs);
    out.extend_from_slice(resource);
    delimited(out, RESOURCE_LOGS_SCOPE_LOGS, scope_logs);
    out.extend_from_slice(scope);
}

/// A record's `host.name` attribute, encoded once for all the records of
/// an output (it is the same for each).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostAttribute(Vec<u8>);

impl HostAttribute {
    pub fn new(host: &str) -> HostAttribute {
        let mut field = Vec::new();
        let tag = RECORD_ATTRIBUTES;
        let mut write = Write {
            out: &mut field,
            tag,
        };
        write.attribute(&HOST_NAME, Value::Text(host.as_bytes()));
        HostAttribute(field)
    }
}

/// One event as a log record, its length computed when it is made.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// The event's line without its `\n`, as the body's value (text when
    /// it is UTF-8, which raudit's JSON always is).
    body: Value<'a>,
    /// When it happened and when raudit took it (nanoseconds since the
    /// epoch).
    time_nanos: u64,
    observed_nanos: u64,
    host: &'a HostAttribute,
    facts: Option<&'a Facts<'a>>,
    /// The facts' key, exe and comm as values (checked for UTF-8 once).
    texts: [Option<Value<'a>>; 3],
    /// The `LogRecord`'s length.
    content_len: usize,
}

impl<'a> Record<'a> {
    pub fn new(
        line: &'a [u8],
        facts: Option<&'a Facts<'a>>,
        observed_nanos: u64,
        host: &'a HostAttribute,
    ) -> Record<'a> {
        let time_nanos = facts.map_or(observed_nanos, |f| {
            f.seconds
                .saturating_mul(1_000_000_000)
                .saturating_add(u64::from(f.millis) * 1_000_000)
        });
        let texts = facts.map_or([None; 3], |f| {
            [f.key, f.exe, f.comm].map(|text| text.map(Value::text))
        });
        let mut record = Record {
            body: Value::text(line),
            time_nanos,
            observed_nanos,
            host,
            facts,
            texts,
            content_len: 0,
        };
        let fixed = FIXED64_FIELD + SEVERITY.len() + FIXED64_FIELD;
        let mut sum = Sum(fixed.saturating_add(delimited_len(record.body.any_len())));
        record.attributes(&mut sum);
        record.content_len = sum.0;
        record
    }

    /// Its length as a `ScopeLogs.log_records` field, tag and length
    /// included: what [`Record::write_field`] appends.
    pub fn field_len(&self) -> usize {
        delimited_len(self.content_len)
    }

    /// Appends it as a `ScopeLogs.log_records` field.
    pub fn write_field(&self, out: &mut impl Out) {
        delimited(out, SCOPE_LOGS_LOG_RECORDS, self.content_len);
        out.push(RECORD_TIME);
        out.extend_from_slice(&self.time_nanos.to_le_bytes());
        out.extend_from_slice(&SEVERITY);
        delimited(out, RECORD_BODY, self.body.any_len());
        self.body.write_any(out);
        let tag = RECORD_ATTRIBUTES;
        self.attributes(&mut Write { out, tag });
        out.push(RECORD_OBSERVED_TIME);
        out.extend_from_slice(&self.observed_nanos.to_le_bytes());
    }

    /// Its attributes, in the order they are written: `host.name`, then
    /// the event's facts, those it has.
    fn attributes(&self, to: &mut impl Attributes<'a>) {
        to.encoded(&self.host.0);
        let Some(f) = self.facts else {
            return;
        };
        to.attribute(&SEQUENCE, Value::Int(i64::from(f.sequence)));
        // Ids are u32 (auid's unset is 4294967295): they fit in i64.
        let int = |n: u64| Value::Int(n as i64);
        to.maybe(&SYSCALL, f.syscall.map(int));
        to.maybe(&AUID, f.auid.map(int));
        to.maybe(&UID, f.uid.map(int));
        to.maybe(&PID, f.pid.map(int));
        to.maybe(&SUCCESS, f.success.map(Value::Bool));
        let [key, exe, comm] = self.texts;
        to.maybe(&AUDIT_KEY, key);
        to.maybe(&EXE, exe);
        to.maybe(&COMM, comm);
    }
}

#[cfg(test)]
mod tests;

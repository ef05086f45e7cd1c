//! The encoder against a reader: lengths computed equal the bytes written
//! (on both sides of every varint boundary a length can cross), and what
//! is written decodes — with [`for_each_field`], the reader of the
//! collector's answers — to the body, times, severity, resource, scope and
//! `KeyValue`s given (the keys encoded at compile time included).

use super::*;
use crate::output::otlp::http::{for_each_field, Field};

/// An `AnyValue` or a field's value, decoded.
#[derive(Debug, PartialEq, Eq)]
enum Decoded {
    Text(String),
    Bytes(Vec<u8>),
    Int(u64),
    Bool(bool),
}

/// The fields of one message, in order; panics (a test failure) on bytes
/// that are not a whole protobuf message.
fn fields(bytes: &[u8]) -> Vec<(u64, Field<'_>)> {
    let mut fields = Vec::new();
    for_each_field(bytes, &mut |n, field| fields.push((n, field)))
        .expect("a whole protobuf message");
    fields
}

fn only_bytes<'a>(field: &Field<'a>) -> &'a [u8] {
    match *field {
        Field::Bytes(bytes) => bytes,
        other => panic!("expected a length-delimited field, got {other:?}"),
    }
}

fn any_value(bytes: &[u8]) -> Decoded {
    let fields = fields(bytes);
    assert_eq!(fields.len(), 1, "an AnyValue holds one case: {fields:?}");
    match fields[0] {
        (1, Field::Bytes(text)) => Decoded::Text(String::from_utf8(text.to_vec()).unwrap()),
        (2, Field::Varint(b)) => Decoded::Bool(b == 1),
        (3, Field::Varint(n)) => Decoded::Int(n),
        (7, Field::Bytes(bytes)) => Decoded::Bytes(bytes.to_vec()),
        ref other => panic!("not an AnyValue case raudit writes: {other:?}"),
    }
}

fn key_value(bytes: &[u8]) -> (String, Decoded) {
    let fields = fields(bytes);
    assert_eq!(fields.len(), 2, "a KeyValue: {fields:?}");
    assert_eq!((fields[0].0, fields[1].0), (1, 2));
    let key = String::from_utf8(only_bytes(&fields[0].1).to_vec()).unwrap();
    (key, any_value(only_bytes(&fields[1].1)))
}

/// A `LogRecord`, decoded: its fields other than the attributes, and the
/// attributes.
#[derive(Debug, Default, PartialEq, Eq)]
struct LogRecord {
    time: u64,
    severity_number: u64,
    severity_text: String,
    body: Option<Decoded>,
    attributes: Vec<(String, Decoded)>,
    observed: u64,
}

/// The record in a `ScopeLogs.log_records` field (the whole of `bytes`).
fn log_record_field(bytes: &[u8]) -> LogRecord {
    let outer = fields(bytes);
    assert_eq!(outer.len(), 1, "one field: {outer:?}");
    assert_eq!(outer[0].0, 2, "ScopeLogs.log_records");
    log_record(only_bytes(&outer[0].1))
}

fn log_record(bytes: &[u8]) -> LogRecord {
    let mut r = LogRecord::default();
    let numbers: Vec<u64> = fields(bytes).iter().map(|(n, _)| *n).collect();
    let mut want = vec![1, 2, 3, 5];
    want.resize(4 + (numbers.len() - 5), 6);
    want.push(11);
    assert_eq!(numbers, want, "the fields, in raudit's order");
    for (n, field) in fields(bytes) {
        match (n, field) {
            (1, Field::Fixed64(t)) => r.time = t,
            (2, Field::Varint(s)) => r.severity_number = s,
            (3, Field::Bytes(s)) => r.severity_text = String::from_utf8(s.to_vec()).unwrap(),
            (5, Field::Bytes(body)) => r.body = Some(any_value(body)),
            (6, Field::Bytes(kv)) => r.attributes.push(key_value(kv)),
            (11, Field::Fixed64(t)) => r.observed = t,
            other => panic!("not a LogRecord field raudit writes: {other:?}"),
        }
    }
    r
}

fn text(s: &str) -> Decoded {
    Decoded::Text(s.to_owned())
}

/// The record as written into a vector; the same bytes as written
/// through a cursor over room of its computed length, which they fill.
fn written(record: &Record<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    record.write_field(&mut out);
    let mut room = vec![0; record.field_len()];
    let mut cursor = Cursor::new(&mut room);
    record.write_field(&mut cursor);
    assert!(cursor.filled(), "the computed length is the written one");
    assert_eq!(room, out);
    out
}

#[test]
fn a_cursor_says_when_what_was_put_did_not_fill_its_room_exactly() {
    let host = HostAttribute::new("h");
    let record = Record::new(b"{}", None, 1, &host);
    let len = record.field_len();
    for room_len in [0, 1, len - 1, len + 1] {
        let mut room = vec![0; room_len];
        let mut cursor = Cursor::new(&mut room);
        record.write_field(&mut cursor);
        assert!(!cursor.filled(), "room of {room_len} for {len} bytes");
    }
    let mut room = [0; 3];
    let mut cursor = Cursor::new(&mut room);
    cursor.extend_from_slice(b"ab");
    cursor.extend_from_slice(b"cd");
    assert!(!cursor.filled(), "what does not fit is not written");
    cursor.push(b'e');
    assert!(!cursor.filled());
    assert_eq!(&room, b"ab\0", "nor anything after it");
}

#[test]
fn varints_are_canonical_and_their_lengths_known() {
    let mut out = Vec::new();
    varint(&mut out, 300);
    assert_eq!(out, [0xac, 0x02]);
    let mut values = vec![u64::MAX, i64::MIN as u64, -1i64 as u64];
    for bits in (0..64).step_by(7) {
        let edge = 1u64 << bits;
        values.extend([edge - 1, edge, edge + 1]);
    }
    for value in values {
        let mut out = vec![tag(1, VARINT)];
        varint(&mut out, value);
        assert_eq!(out.len() - 1, varint_len(value), "{value}");
        assert_eq!(fields(&out), [(1, Field::Varint(value))], "{value}");
        // Canonical: no padding byte of 0x80 before the last.
        assert!(out.len() == 2 || out[out.len() - 1] != 0, "{value}");
    }
    assert_eq!(varint_len(127), 1);
    assert_eq!(varint_len(128), 2);
    assert_eq!(varint_len(16383), 2);
    assert_eq!(varint_len(16384), 3);
    assert_eq!(varint_len(u64::MAX), 10);
}

/// Lengths on both sides of the varint boundaries a record's strings and
/// the messages holding them cross (127/128, 16383/16384), with the
/// room the tags and lengths around them take.
fn edge_lengths() -> Vec<usize> {
    let mut lengths: Vec<usize> = (0..4).collect();
    for edge in [128usize, 16384] {
        lengths.extend(edge - 40..edge + 4);
    }
    lengths
}

#[test]
fn a_record_is_as_long_as_computed_at_every_varint_boundary() {
    let host = HostAttribute::new("host");
    for body_len in edge_lengths() {
        for exe_len in [0, 1, 90, 100, 110, 120, 126, 127, 128, 129, 16380] {
            let body = vec![b'{'; body_len];
            let exe = vec![0xff; exe_len];
            let facts = Facts {
                sequence: u32::MAX,
                pid: Some(u64::MAX),
                exe: Some(&exe),
                comm: Some(&body),
                ..Facts::default()
            };
            let record = Record::new(&body, Some(&facts), u64::MAX, &host);
            let out = written(&record);
            assert_eq!(
                out.len(),
                record.field_len(),
                "body {body_len}, exe {exe_len}"
            );
            let decoded = log_record_field(&out);
            assert_eq!(decoded.body, Some(text(&"{".repeat(body_len))));
            assert_eq!(
                decoded.attributes.last(),
                Some(&("process.command".into(), text(&"{".repeat(body_len))))
            );
        }
    }
    let no_host = HostAttribute::new("");
    let plain = Record::new(b"{}", None, 5, &no_host);
    assert_eq!(written(&plain).len(), plain.field_len());
}

#[test]
fn a_record_decodes_to_what_was_given() {
    let facts = Facts {
        sequence: 7,
        seconds: 1_700_000_000,
        millis: 250,
        syscall: Some(59),
        success: Some(false),
        auid: Some(4_294_967_295),
        uid: Some(0),
        pid: Some(u64::MAX),
        key: Some(b"k"),
        exe: Some(b"/bin/\xffx"),
        comm: Some("é".as_bytes()),
    };
    let line = r#"{"sequence":7,"x":"é"}"#;
    let host = HostAttribute::new("h");
    let record = Record::new(line.as_bytes(), Some(&facts), 42, &host);
    let decoded = log_record_field(&written(&record));
    let expected = LogRecord {
        time: 1_700_000_000_250_000_000,
        severity_number: 9,
        severity_text: "INFO".into(),
        body: Some(text(line)),
        attributes: vec![
            ("host.name".into(), text("h")),
            ("audit.sequence".into(), Decoded::Int(7)),
            ("audit.syscall".into(), Decoded::Int(59)),
            ("audit.auid".into(), Decoded::Int(4_294_967_295)),
            ("audit.uid".into(), Decoded::Int(0)),
            ("process.pid".into(), Decoded::Int(u64::MAX)),
            ("audit.success".into(), Decoded::Bool(false)),
            ("audit.key".into(), text("k")),
            (
                "process.executable.path".into(),
                Decoded::Bytes(b"/bin/\xffx".to_vec()),
            ),
            ("process.command".into(), text("é")),
        ],
        observed: 42,
    };
    assert_eq!(decoded, expected);

    // Without facts: the time is when raudit took it; only host.name.
    let record = Record::new(b"\xff", None, 42, &host);
    let decoded = log_record_field(&written(&record));
    assert_eq!((decoded.time, decoded.observed), (42, 42));
    assert_eq!(decoded.body, Some(Decoded::Bytes(vec![0xff])));
    assert_eq!(decoded.attributes, [("host.name".into(), text("h"))]);
}

#[test]
fn a_request_holds_the_resource_the_scope_and_the_records() {
    let mut resource = Vec::new();
    resource_field(&mut resource, "host-1");
    let mut scope = Vec::new();
    scope_field(&mut scope);
    let host = HostAttribute::new("host-1");
    let records: Vec<u8> = [b"{}", b"[]"]
        .iter()
        .flat_map(|line| written(&Record::new(*line, None, 1, &host)))
        .collect();
    let mut request = Vec::new();
    enclose(&mut request, &resource, &scope, records.len());
    request.extend_from_slice(&records);
    assert_eq!(request.len(), request_len(&resource, &scope, records.len()));

    let top = fields(&request);
    assert_eq!(top.len(), 1);
    assert_eq!(top[0].0, 1, "ExportLogsServiceRequest.resource_logs");
    let resource_logs = fields(only_bytes(&top[0].1));
    assert_eq!(resource_logs.len(), 2);
    assert_eq!((resource_logs[0].0, resource_logs[1].0), (1, 2));
    let attributes: Vec<_> = fields(only_bytes(&resource_logs[0].1))
        .iter()
        .map(|(n, kv)| (*n, key_value(only_bytes(kv))))
        .collect();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        attributes,
        [
            (1, ("host.name".into(), text("host-1"))),
            (1, ("service.name".into(), text("raudit"))),
            (1, ("service.version".into(), text(version))),
        ]
    );
    let scope_logs = fields(only_bytes(&resource_logs[1].1));
    assert_eq!(scope_logs.len(), 3, "the scope and two records");
    assert_eq!(scope_logs[0].0, 1, "ScopeLogs.scope");
    let scope_fields = fields(only_bytes(&scope_logs[0].1));
    assert_eq!(
        scope_fields,
        [
            (1, Field::Bytes(b"raudit")),
            (2, Field::Bytes(version.as_bytes()))
        ]
    );
    for (n, record) in &scope_logs[1..] {
        assert_eq!(*n, 2, "ScopeLogs.log_records");
        assert_eq!(log_record(only_bytes(record)).attributes.len(), 1);
    }
}

/// A record with every fact, as the encoder before this one wrote it (a
/// dyn-Put encoder that counted each nested message): the bytes on the
/// wire did not change when the encoding got cheaper.
const GOLDEN_RECORD: &str = "\
    129f0209c0d47e3dfe9c971710091a04494e464f2a1c0a1a7b2273657175656e63\
    65223a343234322c2278223a22c3a9227d32150a09686f73742e6e616d6512080a\
    06686f73742d3132150a0e61756469742e73657175656e6365120318922132130a\
    0d61756469742e73797363616c6c1202183b32140a0a61756469742e6175696412\
    0618ffffffff0f320f0a0961756469742e7569641202180032120a0b70726f6365\
    73732e706964120318ac0232130a0d61756469742e737563636573731202100132\
    130a0961756469742e6b657912060a046578656332240a1770726f636573732e65\
    786563757461626c652e7061746812093a072f62696e2fff7832170a0f70726f63\
    6573732e636f6d6d616e6412040a02c3a95907cac471fe9c9717";

#[test]
fn a_record_is_written_as_before_byte_for_byte() {
    let facts = Facts {
        sequence: 4242,
        seconds: 1_700_000_000,
        millis: 123,
        syscall: Some(59),
        success: Some(true),
        auid: Some(4_294_967_295),
        uid: Some(0),
        pid: Some(300),
        key: Some(b"exec"),
        exe: Some(b"/bin/\xffx"),
        comm: Some("é".as_bytes()),
    };
    let line = r#"{"sequence":4242,"x":"é"}"#;
    let host = HostAttribute::new("host-1");
    let record = Record::new(
        line.as_bytes(),
        Some(&facts),
        1_700_000_001_000_000_007,
        &host,
    );
    let hex: String = written(&record)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hex, GOLDEN_RECORD);
}

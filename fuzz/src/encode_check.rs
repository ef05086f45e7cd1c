//! What `encode::go_audit` must guarantee for any event and any buffer,
//! shared by the `encoder` fuzz target and the `encode_props` property test.
//!
//! [`check_go_audit`] encodes one event into a buffer of the given size and
//! asserts: no panic; `len <= size` (and 0 only below `MIN_BUFFER`); the
//! output parses with `serde_json`; `sequence` and `timestamp` are the
//! event's; the messages are a prefix of the event's records with equal
//! types and `data` equal to the body decoded with one U+FFFD per invalid
//! byte (only the last may be cut, and only when truncated); `"truncated":
//! true` is present exactly when the result says truncated; untruncated
//! output holds every record and exactly the event's `uid=` values.
#![allow(dead_code)]

use std::collections::BTreeSet;

use raudit_core::assemble::{Assembler, Event, EventSlot, RecordSlot, Settings};
use raudit_core::encode::{self, Enrich, MIN_BUFFER, UNKNOWN_USER};
use raudit_core::record::{Record, Timestamp};
use raudit_core::time::{Duration, Instant};
use raudit_core::wire::MessageType;
use serde_json::Value;

/// Largest output buffer the checks use.
pub const MAX_BUFFER: usize = 8 << 10;

/// Record types for generated events: SYSCALL and 1326 (containers), the
/// three types whose uids go-audit skips, a user-space type (which makes a
/// standalone event), EOE (ends the event early), and extremes.
pub const TYPES: &[u16] = &[
    1300, 1300, 1302, 1306, 1307, 1309, 1326, 1327, 1112, 1320, 0, 65535,
];

/// Pieces bodies are built from: the bytes JSON escaping and the lossy
/// decoding care about, and `uid=` fragments.
pub const PIECES: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"\x00",
    b"\x01",
    b"\x1f",
    b"\x7f",
    b"\n\r\t\x08\x0c",
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    "é€😀".as_bytes(),
    b" ",
    b"uid=",
    b"auid=1000 ",
    b"uid=0 ",
    b" ouid=4294967295",
    b"syscall=59 ",
    b"cid",
    b"a0=\"/bin/ls\" ",
    b"msg='op=login res=success'",
];

/// Names uids 0 and 1000 (the latter with characters JSON escapes) and
/// gives SYSCALL/1326 records that mention `cid` a container id.
#[derive(Clone, Copy, Debug, Default)]
pub struct TestEnrich;

impl Enrich for TestEnrich {
    fn user_name(&self, uid: &[u8]) -> Option<&str> {
        match uid {
            b"0" => Some("root"),
            b"1000" => Some("al\"ice\\\u{1}"),
            _ => None,
        }
    }

    fn container_id(&self, _msg_type: MessageType, body: &[u8]) -> Option<&str> {
        body.windows(3)
            .any(|w| w == b"cid")
            .then_some("c0ffee\"\u{2}")
    }
}

/// Bytes as go-audit's JSON shows them: valid UTF-8 as is, one U+FFFD per
/// byte of every invalid sequence (written apart from `encode::text`, on
/// `std::str::from_utf8`'s errors).
pub fn lossy(mut bytes: &[u8]) -> String {
    let mut out = String::new();
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len());
                out.extend(std::iter::repeat_n('\u{fffd}', bad));
                bytes = &rest[bad..];
            }
        }
    }
}

/// go-audit's `mapUids` on an event's records, written apart from
/// `encode::uids`: every value after a key ending in `uid=`, to the next
/// space or to the end when at most 5 bytes remain; SOCKADDR, CWD and
/// EXECVE records skipped.
pub fn uid_values(records: &[(u16, Vec<u8>)]) -> BTreeSet<Vec<u8>> {
    let mut found = BTreeSet::new();
    for (msg_type, body) in records {
        if matches!(msg_type, 1306 | 1307 | 1309) {
            continue;
        }
        let mut data = &body[..];
        while let Some(at) = data.windows(4).position(|w| w == b"uid=") {
            let rest = &data[at + 4..];
            let end = match rest.iter().position(|&b| b == b' ') {
                Some(end) => end,
                None if rest.len() <= 5 => rest.len(),
                None => break,
            };
            found.insert(rest[..end].to_vec());
            match data.get(at + 4 + end + 1..) {
                Some(tail) if !tail.is_empty() => data = tail,
                _ => break,
            }
        }
    }
    found
}

/// Pushes `records` (all types kept) as one serial, then EOE, then flushes,
/// calling `f` on every event that comes out: one stored event (or several
/// when the arena is small), standalone events for user-space types.
pub fn with_events(
    serial: u32,
    timestamp: Timestamp,
    records: &[(u16, Vec<u8>)],
    arena: usize,
    mut f: impl FnMut(&Event<'_>),
) {
    let settings = Settings {
        timeout: Duration::from_secs(2),
        type_min: 0,
        type_max: u16::MAX,
        track_serials: false,
        max_out_of_order: 1,
    };
    let mut a = Assembler::new(
        settings,
        vec![EventSlot::default(); 4],
        vec![RecordSlot::default(); records.len().max(1)],
        vec![0u8; arena],
    );
    let mut push = |msg_type: u16, body: &[u8], f: &mut dyn FnMut(&Event<'_>)| {
        let record = Record {
            msg_type: MessageType(msg_type),
            timestamp,
            serial,
            body,
            node: None,
            enriched: None,
        };
        a.push(&record, Instant(0), &mut |e: &Event<'_>| f(e));
    };
    for (msg_type, body) in records {
        push(*msg_type, body, &mut f);
    }
    push(MessageType::EOE.0, b"", &mut f);
    a.flush(&mut f);
}

/// Encodes `event` into a buffer of `size` bytes and checks the output.
pub fn check_go_audit(event: &Event<'_>, size: usize, enrich: &mut impl Enrich) {
    let records: Vec<(u16, Vec<u8>)> = event
        .records()
        .map(|r| (r.msg_type.0, r.body.to_vec()))
        .collect();
    let mut buf = vec![0xa5u8; size];
    let encoded = encode::go_audit(event, enrich, &mut buf);
    assert!(encoded.len <= size, "len {} > buffer {size}", encoded.len);
    if size < MIN_BUFFER {
        assert_eq!((encoded.len, encoded.truncated), (0, true));
        return;
    }
    assert!(encoded.len > 0, "nothing written into {size} bytes");
    let out = &buf[..encoded.len];
    let json: Value = match serde_json::from_slice(out) {
        Ok(json) => json,
        Err(e) => panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(out)),
    };
    let obj = json.as_object().expect("a JSON object");
    let ts = event.timestamp();
    assert_eq!(obj["sequence"], Value::from(event.serial()));
    assert_eq!(
        obj["timestamp"],
        Value::from(format!("{}.{:03}", ts.seconds, ts.millis))
    );
    match obj.get("truncated") {
        Some(marker) => assert!(encoded.truncated && *marker == Value::Bool(true)),
        None => assert!(!encoded.truncated, "truncated without the marker"),
    }
    let messages = obj["messages"].as_array().expect("messages array");
    assert!(
        messages.len() <= records.len(),
        "more messages than records"
    );
    if let Some(cut) = encoded.cut {
        check_cut(obj, messages, &records, cut, encoded.truncated);
        return;
    }
    assert!(obj.get("cut").is_none(), "cut marker without a cut");
    for (i, (m, (msg_type, body))) in messages.iter().zip(&records).enumerate() {
        assert_eq!(m["type"], Value::from(*msg_type), "message {i} type");
        let data = m["data"].as_str().expect("data is a string");
        let want = lossy(body);
        let last = i + 1 == messages.len();
        if last && encoded.truncated {
            assert!(want.starts_with(data), "message {i}: cut data not a prefix");
        } else {
            assert_eq!(data, want, "message {i} data");
            if let Some(id) = enrich.container_id(MessageType(*msg_type), body) {
                if matches!(msg_type, 1300 | 1326) {
                    assert_eq!(m["containers"]["id"], Value::from(id));
                }
            }
        }
    }
    let uid_map = obj["uid_map"].as_object().expect("uid_map object");
    let want: BTreeSet<String> = uid_values(&records).iter().map(|v| lossy(v)).collect();
    for (uid, name) in uid_map {
        assert!(want.contains(uid), "uid_map key {uid:?} is no uid value");
        let name = name.as_str().expect("names are strings");
        assert!(name == UNKNOWN_USER || Some(name) == enrich.user_name(uid.as_bytes()));
    }
    if !encoded.truncated {
        assert_eq!(messages.len(), records.len(), "untruncated lost messages");
        assert_eq!(event.dropped_records(), 0, "dropped records not marked");
        let keys: BTreeSet<String> = uid_map.keys().cloned().collect();
        assert_eq!(keys, want, "uid_map keys");
    }
}

/// A cut document: the marker says what went; every non-EXECVE record is
/// there whole and in order (the last one may be cut short when even
/// they did not fit, `truncated`); EXECVE messages hold only fields the
/// records had.
fn check_cut(
    obj: &serde_json::Map<String, Value>,
    messages: &[Value],
    records: &[(u16, Vec<u8>)],
    cut: raudit_core::encode::Cut,
    truncated: bool,
) {
    const EXECVE: u16 = 1309;
    assert_eq!(obj["cut"]["arguments"], Value::from(cut.arguments));
    assert_eq!(obj["cut"]["bytes"], Value::from(cut.bytes));
    let fields: BTreeSet<String> = records
        .iter()
        .filter(|(t, _)| *t == EXECVE)
        .flat_map(|(_, b)| {
            lossy(b)
                .split(' ')
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    for m in messages.iter().filter(|m| m["type"] == EXECVE) {
        for field in m["data"].as_str().expect("data").split(' ') {
            assert!(
                fields.contains(field),
                "EXECVE field {field:?} not in the records"
            );
        }
    }
    let others: Vec<&(u16, Vec<u8>)> = records.iter().filter(|(t, _)| *t != EXECVE).collect();
    let got: Vec<&Value> = messages.iter().filter(|m| m["type"] != EXECVE).collect();
    assert!(got.len() <= others.len());
    if !truncated {
        assert_eq!(got.len(), others.len(), "a cut lost a non-EXECVE record");
    }
    for (i, (m, (msg_type, body))) in got.iter().zip(&others).enumerate() {
        assert_eq!(m["type"], Value::from(*msg_type), "record {i} type");
        let data = m["data"].as_str().expect("data is a string");
        let want = lossy(body);
        if truncated && i + 1 == got.len() {
            assert!(want.starts_with(data), "record {i}: cut data not a prefix");
        } else {
            assert_eq!(data, want, "record {i} data");
        }
    }
}

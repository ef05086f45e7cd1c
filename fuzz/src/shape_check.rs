//! What every JSON shape must guarantee for any event and any buffer,
//! shared by the `encoder_shapes` and `rewrite` fuzz targets and the
//! `encode_props` property test.
//!
//! [`check_shapes`] encodes one event with each shape (`go_audit`,
//! `structured`, `ecs`) through the entry points the daemon calls
//! (`Shape::encode`, `encode_whole`, `encode_within`, `surely_exceeds`) and
//! asserts: no panic; nothing written past the buffer or the limit (the
//! bytes after them keep their sentinel); `len` 0 only as a value below
//! `MIN_BUFFER` (for every shape, ECS included) and then marked
//! truncated; otherwise valid JSON (`serde_json`), no object with a key
//! twice ([`unique_keys`]: Elasticsearch refuses such a document), with the event's
//! sequence, `"truncated":true` exactly when the result says truncated,
//! `"cut":{"arguments","bytes"}` exactly when it says cut (never for ECS),
//! `"redacted":N` exactly when the event says so; a whole result holds
//! every record (the structured shape joins the EXECVE records into one);
//! `encode_whole` agrees byte for byte with `encode` when the event fits
//! whole, and `surely_exceeds` never refuses an event that fits.
#![allow(dead_code)]

use raudit_core::assemble::Event;
use raudit_core::encode::{Encoded, Enrich, ProcessInfo, Shape, MIN_BUFFER};
use raudit_core::wire::MessageType;
use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// The shapes, in the order the checks run them.
pub const SHAPES: [Shape; 3] = [Shape::GoAudit, Shape::Structured, Shape::Ecs];

/// Bytes after the buffer or the limit: must be untouched.
const SENTINEL: u8 = 0xa5;
/// How many sentinel bytes follow a buffer.
const TAIL: usize = 64;

/// Names users 0 and 1000 and group 10 (with characters JSON escapes),
/// gives ids to the names root, alice and wheel (escaped ones too),
/// knows processes 1 and 4242, a host, and a container id for SYSCALL and
/// 1326 records that mention `cid`: every enrichment each shape writes.
#[derive(Clone, Copy, Debug, Default)]
pub struct ShapeEnrich;

impl Enrich for ShapeEnrich {
    fn user_name(&self, uid: &[u8]) -> Option<&str> {
        match uid {
            b"0" => Some("root"),
            b"1000" => Some("al\"ice\\\u{1}"),
            _ => None,
        }
    }

    fn group_name(&self, gid: &[u8]) -> Option<&str> {
        (gid == b"10").then_some("wh\"eel\u{7f}")
    }

    fn user_id(&self, name: &[u8]) -> Option<&str> {
        match name {
            b"root" => Some("0"),
            b"alice" => Some("10\"00\\"),
            _ => None,
        }
    }

    fn group_id(&self, name: &[u8]) -> Option<&str> {
        (name == b"wheel").then_some("1\u{1}0")
    }

    fn process(&self, pid: &[u8]) -> Option<ProcessInfo<'_>> {
        match pid {
            b"1" => Some(ProcessInfo {
                entity_id: "e1",
                executable: Some("/sbin/in\"it"),
                name: Some("init\n"),
            }),
            b"4242" => Some(ProcessInfo {
                entity_id: "e4242\\",
                executable: None,
                name: None,
            }),
            _ => None,
        }
    }

    fn container_id(&self, _msg_type: MessageType, body: &[u8]) -> Option<&str> {
        body.windows(3)
            .any(|w| w == b"cid")
            .then_some("c0ffee\"\u{2}")
    }

    fn host_name(&self) -> Option<&str> {
        Some("h\u{3}ost\"1")
    }

    fn host_tag(&self) -> Option<&str> {
        Some("tag\"\\")
    }
}

/// What the checked documents were, so the stable tests can tell that
/// their inputs reach every outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// Whole documents.
    pub whole: usize,
    /// Documents with the marked cut.
    pub cut: usize,
    /// Documents marked truncated (records missing).
    pub truncated: usize,
    /// Nothing written (too small a room).
    pub nothing: usize,
}

impl std::ops::Add for Seen {
    type Output = Seen;

    fn add(self, o: Seen) -> Seen {
        Seen {
            whole: self.whole + o.whole,
            cut: self.cut + o.cut,
            truncated: self.truncated + o.truncated,
            nothing: self.nothing + o.nothing,
        }
    }
}

impl Seen {
    /// Fails unless the inputs reached every outcome: whole, cut,
    /// truncated, nothing written.
    pub fn assert_every_outcome(&self) {
        assert!(
            self.whole > 0 && self.cut > 0 && self.truncated > 0 && self.nothing > 0,
            "an outcome never reached: {self:?}"
        );
    }

    fn of(encoded: Encoded) -> Seen {
        Seen {
            whole: usize::from(encoded.is_whole() && encoded.len > 0),
            cut: usize::from(encoded.cut.is_some()),
            truncated: usize::from(encoded.truncated && encoded.len > 0),
            nothing: usize::from(encoded.len == 0),
        }
    }
}

/// Every shape, every entry point, on `event` in `size` bytes (and within
/// a limit of `size` in a larger buffer).
pub fn check_shapes(event: &Event<'_>, size: usize, enrich: &mut impl Enrich) -> Seen {
    SHAPES.iter().fold(Seen::default(), |seen, &shape| {
        seen + check_shape(event, shape, size, enrich)
    })
}

/// One shape: `encode`, `encode_whole`, `surely_exceeds`, `encode_within`.
pub fn check_shape(event: &Event<'_>, shape: Shape, size: usize, enrich: &mut impl Enrich) -> Seen {
    let mut buf = vec![SENTINEL; size + TAIL];
    let encoded = shape.encode(event, enrich, &mut buf[..size]);
    untouched(&buf, size, shape, "encode");
    check_output(event, shape, size, &buf, encoded);
    let out = buf[..encoded.len].to_vec();

    let mut whole_buf = vec![SENTINEL; size + TAIL];
    let whole = shape.encode_whole(event, enrich, &mut whole_buf[..size]);
    untouched(&whole_buf, size, shape, "encode_whole");
    match whole {
        Some(w) => {
            assert!(w.cut.is_none(), "{shape:?}: encode_whole cut");
            assert_eq!(w, encoded, "{shape:?}: encode_whole and encode differ");
            assert_eq!(&whole_buf[..w.len], &out[..], "{shape:?}: other bytes");
            assert!(
                !shape.surely_exceeds(event, size),
                "{shape:?}: surely_exceeds {size} but it fit"
            );
        }
        None => assert!(
            !encoded.is_whole() || encoded.len == 0,
            "{shape:?}: encode wrote it whole but encode_whole said it does not fit"
        ),
    }

    // Within a limit of `size` in a larger buffer: the same document, and
    // nothing past the limit.
    let mut within = vec![SENTINEL; size + TAIL];
    let limited = shape.encode_within(event, enrich, &mut within, size);
    untouched(&within, size, shape, "encode_within");
    assert_eq!(
        limited, encoded,
        "{shape:?}: encode_within and encode differ"
    );
    assert_eq!(&within[..limited.len], &out[..], "{shape:?}: other bytes");
    Seen::of(encoded)
}

fn untouched(buf: &[u8], size: usize, shape: Shape, what: &str) {
    assert!(
        buf[size..].iter().all(|&b| b == SENTINEL),
        "{shape:?}: {what} wrote past {size} bytes"
    );
}

/// The document `encode` reported.
fn check_output(event: &Event<'_>, shape: Shape, size: usize, buf: &[u8], encoded: Encoded) {
    assert!(
        encoded.len <= size,
        "{shape:?}: len {} > {size}",
        encoded.len
    );
    if shape == Shape::Ecs {
        assert!(encoded.cut.is_none(), "ECS never cuts arguments");
    }
    if encoded.len == 0 {
        // Nothing fit: a value, marked, and only when the room is below
        // the minimum (every shape writes a marked document into any
        // room from it up).
        assert!(encoded.truncated, "{shape:?}: nothing written, not marked");
        assert!(
            size < MIN_BUFFER,
            "{shape:?}: nothing written into {size} bytes"
        );
        return;
    }
    assert!(size >= MIN_BUFFER, "{shape:?}: wrote into {size} bytes");
    let out = &buf[..encoded.len];
    let json: Value = serde_json::from_slice(out).unwrap_or_else(|e| {
        panic!(
            "{shape:?}: invalid JSON ({e}) in {size} bytes: {}",
            String::from_utf8_lossy(out)
        )
    });
    if let Err(e) = unique_keys(out) {
        panic!("{shape:?}: {e}: {}", String::from_utf8_lossy(out));
    }
    let obj = json
        .as_object()
        .unwrap_or_else(|| panic!("{shape:?}: not an object: {json}"));
    let sequence = match shape {
        Shape::Ecs => &obj["auditd"]["sequence"],
        _ => &obj["sequence"],
    };
    assert_eq!(*sequence, Value::from(event.serial()), "{shape:?}: {json}");
    assert_eq!(
        obj.get("truncated") == Some(&Value::Bool(true)),
        encoded.truncated,
        "{shape:?}: marker and result disagree: {json}"
    );
    if event.dropped_records() > 0 {
        assert!(encoded.truncated, "{shape:?}: dropped records not marked");
    }
    match (obj.get("cut"), encoded.cut) {
        (None, None) => {}
        (Some(marker), Some(cut)) => {
            assert_eq!(marker["arguments"], Value::from(cut.arguments), "{json}");
            assert_eq!(marker["bytes"], Value::from(cut.bytes), "{json}");
            assert!(cut.arguments > 0, "{shape:?}: a cut of nothing: {json}");
        }
        (marker, cut) => panic!("{shape:?}: cut marker {marker:?} but result {cut:?}"),
    }
    let redacted = obj.get("redacted").cloned();
    let want = (event.redacted() > 0).then(|| Value::from(event.redacted()));
    assert_eq!(redacted, want, "{shape:?}: redacted marker: {json}");
    let records = event.records().count();
    let execves = event
        .records()
        .filter(|r| r.msg_type == MessageType::EXECVE)
        .count();
    let list = match shape {
        Shape::GoAudit => obj["messages"].as_array(),
        Shape::Structured => obj["records"].as_array(),
        Shape::Ecs => None,
    };
    if let Some(list) = list {
        // A cut may leave out EXECVE records whose arguments all went;
        // every other record stays (unless truncated).
        let execve_type = match shape {
            Shape::Structured => Value::from("EXECVE"),
            _ => Value::from(MessageType::EXECVE.0),
        };
        let listed_others = list.iter().filter(|m| m["type"] != execve_type).count();
        let others = records - execves;
        let whole_count = match shape {
            Shape::Structured => others + execves.min(1),
            _ => records,
        };
        assert!(list.len() <= whole_count, "{shape:?}: extra records");
        assert!(listed_others <= others, "{shape:?}: extra records");
        match (encoded.truncated, encoded.cut) {
            (false, None) => {
                assert_eq!(list.len(), whole_count, "{shape:?}: records lost: {json}")
            }
            (false, Some(_)) => {
                assert_eq!(
                    listed_others, others,
                    "{shape:?}: a cut lost a record: {json}"
                )
            }
            (true, _) => {}
        }
    }
}

/// Whether every object of the JSON `text` has each key once (what
/// `serde_json`, which keeps the last of two silently, does not check):
/// the error names the key. A key with U+FFFD in it is not held to this:
/// record keys that differ only in bytes that are not UTF-8 are told
/// apart by the encoders but written alike (each bad byte as U+FFFD), a
/// known limit (the kernel's keys are ASCII).
pub fn unique_keys(text: &[u8]) -> Result<(), String> {
    serde_json::from_slice::<Strict>(text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A JSON value read only to refuse an object with a key twice.
struct Strict;

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Strict, M::Error> {
        let mut keys = std::collections::BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<Strict>()?;
            if !keys.insert(key.clone()) && !key.contains('\u{FFFD}') {
                return Err(M::Error::custom(format!("the key {key:?} twice")));
            }
        }
        Ok(Strict)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Strict, S::Error> {
        while seq.next_element::<Strict>()?.is_some() {}
        Ok(Strict)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_str<E>(self, _: &str) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict)
    }
}

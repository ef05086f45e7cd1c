//! Bodies of the core fuzz targets: `record`, `netlink_stream`,
//! `assembler_ops`, `encoder`, `encoder_shapes`, `user_message`. Each takes arbitrary bytes and asserts
//! invariants (a violated one panics). The same functions run under
//! libFuzzer (`fuzz/fuzz_targets/`) and as stable tests
//! (`core/tests/fuzz_bodies.rs`), so they use only `raudit-core`,
//! `serde_json` and std.
//!
//! Structured inputs (assembler ops, events) are read with [`Bytes`], which
//! yields zeros once the input runs out, so every input decodes to
//! something; [`encode_ops`] and [`encode_event`] write the same formats
//! for seeding from real captures.
#![allow(dead_code)]

use raudit_core::record::{decode_hex, ExecveArg, Fields, Record, Value};
use raudit_core::wire::netlink::{datagram_record, FrameErrorKind, Frames, NLMSG_HDRLEN};
use raudit_core::wire::MessageType;

use crate::assembler_check::{self, Caps, Op, SERIALS, TYPES};
use crate::encode_check::{self, TestEnrich, MAX_BUFFER};
use crate::shape_check::{self, Seen, ShapeEnrich};

/// True when `inner` lies within `outer` (same allocation, in bounds).
pub fn within(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    i >= o && i + inner.len() <= o + outer.len()
}

// ---------------------------------------------------------------- record

/// `Record::from_kernel` and `Record::from_log_line` on the same bytes,
/// and the field iterator on the bodies and on the raw input.
pub fn record(data: &[u8]) {
    match Record::from_kernel(MessageType::SYSCALL, data) {
        Ok(r) => {
            assert!(within(data, r.body), "kernel body outside the input");
            assert!(r.timestamp.millis <= 999);
            assert_eq!((r.node, r.enriched), (None, None));
            assert!(!r.body.ends_with(b"\0") && !r.body.ends_with(b"\n"));
            check_fields(r.body, 0);
        }
        Err(e) => assert!(e.offset <= data.len(), "error offset past the end"),
    }
    match Record::from_log_line(data) {
        Ok(r) => {
            assert!(within(data, r.body), "log body outside the input");
            assert!(r.timestamp.millis <= 999);
            assert!(!r.body.contains(&0x1d), "ENRICHED separator in the body");
            if let Some(node) = r.node {
                assert!(within(data, node) && !node.contains(&b' '));
            }
            match r.enriched {
                Some(e) => assert!(within(data, e)),
                None => assert!(!r.body.ends_with(b"\n") && !r.body.ends_with(b"\r")),
            }
            check_fields(r.body, 0);
        }
        Err(e) => assert!(e.offset <= data.len(), "error offset past the end"),
    }
    check_fields(data, 0);
}

/// The field iterator ends (each step eats a byte), and keys and values are
/// slices of `body`; keys hold neither a space nor `=`.
fn check_fields(body: &[u8], depth: usize) {
    let mut steps = 0usize;
    for f in Fields::new(body) {
        steps += 1;
        assert!(steps <= body.len(), "more fields than bytes");
        assert!(within(body, f.key), "key outside the body");
        assert!(!f.key.contains(&b' ') && !f.key.contains(&b'='), "bad key");
        let _ = ExecveArg::parse(f.key);
        if let Value::Bare(t) | Value::DoubleQuoted(t) | Value::SingleQuoted(t) = f.value {
            assert!(within(body, t), "value outside the body");
        }
        if f.value.looks_hex() {
            let text = f.value.text();
            let mut out = vec![0u8; text.len() / 2];
            assert_eq!(f.value.decode_hex(&mut out), Ok(text.len() / 2));
            assert_eq!(decode_hex(text, &mut out[..0]).is_err(), !text.is_empty());
        }
        if let (Some(_), true) = (f.value.nested(), depth < 4) {
            check_fields(f.value.text(), depth + 1);
        }
    }
}

// -------------------------------------------------------- netlink_stream

/// `Frames` over the bytes as a receive buffer, and `datagram_record` over
/// them as one datagram.
pub fn netlink_stream(data: &[u8]) {
    let mut frames = Frames::new(data);
    let mut count = 0usize;
    let mut errored = false;
    let mut last_offset = 0usize;
    while let Some(frame) = frames.next() {
        count += 1;
        assert!(!errored, "a frame after an error");
        assert!(count <= data.len() / NLMSG_HDRLEN + 1, "does not end");
        match frame {
            Ok(m) => {
                assert!(within(data, m.payload), "payload outside the buffer");
                let start = m.payload.as_ptr() as usize - data.as_ptr() as usize;
                assert_eq!(start, last_offset + NLMSG_HDRLEN, "payload start");
                assert!(frames.offset() > last_offset, "no progress");
                assert!(frames.offset() <= data.len());
            }
            Err(e) => {
                errored = true;
                assert_eq!(e.offset, last_offset, "error not where it stopped");
                let rest = data.len() - e.offset;
                if e.kind == FrameErrorKind::ShortHeader {
                    assert!(rest < NLMSG_HDRLEN);
                }
            }
        }
        last_offset = frames.offset();
    }
    assert!(frames.next().is_none(), "fused after the end");
    match datagram_record(data) {
        Ok(m) => {
            assert!(within(data, m.payload));
            assert_eq!(m.payload.len(), data.len() - NLMSG_HDRLEN);
            if let Ok(r) = Record::from_kernel(MessageType(m.msg_type), m.payload) {
                assert!(within(m.payload, r.body));
            }
        }
        Err(e) => assert_eq!(e.offset, 0),
    }
}

// --------------------------------------------------------- assembler_ops

/// Reads an input as a stream of numbers; zeros once it runs out.
pub struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Bytes<'a> {
        Bytes { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn u8(&mut self) -> u8 {
        let (&first, rest) = self.data.split_first().unwrap_or((&0, &[]));
        self.data = rest;
        first
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    pub fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }

    /// Up to `n` bytes (fewer when the input ends).
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }
}

/// Most ops decoded from one input.
const MAX_OPS: usize = 512;
/// An op byte meaning "flush".
const FLUSH: u8 = 0xff;

/// Assembler storage, settings and an op sequence decoded from bytes, then
/// [`assembler_check::check`]: no panic, record conservation, counters,
/// and the model whenever nothing was evicted.
///
/// Format: `events records arena:u16 lane:u16 range timeout track` then ops. An op
/// byte `c`: `0xff` flush; `c & 7 == 7` poll; otherwise a push
/// `serial type len [body]` (body from the input when `c & 8 == 0`,
/// otherwise `4 * len` synthesized bytes). `c >> 6` picks the clock move
/// read before the op: none, `+b`, `+32 * b`, `-b`.
pub fn assembler_ops(data: &[u8]) {
    let mut b = Bytes::new(data);
    let caps = Caps {
        events: 1 + usize::from(b.u8()) % 8,
        records: 1 + usize::from(b.u8()) % 32,
        arena: usize::from(b.u16()) % 2049,
        lane: usize::from(b.u16()) % 4097,
    };
    let range = usize::from(b.u8());
    let timeout = u64::from(b.u8()) * 16;
    let settings = assembler_check::settings(range, timeout, b.u8() & 1 == 1);
    let mut ops = Vec::new();
    while !b.is_empty() && ops.len() < MAX_OPS {
        let code = b.u8();
        if code == FLUSH {
            ops.push(Op::Flush);
            continue;
        }
        let dt = match code >> 6 {
            0 => 0,
            1 => i32::from(b.u8()),
            2 => i32::from(b.u8()) * 32,
            _ => -i32::from(b.u8()),
        };
        if code & 7 == 7 {
            ops.push(Op::Poll { dt });
            continue;
        }
        let serial = SERIALS[usize::from(b.u8()) % SERIALS.len()];
        let t = b.u8();
        let msg_type = TYPES
            .get(usize::from(t))
            .copied()
            .unwrap_or(1300 + u16::from(t));
        let len = usize::from(b.u8());
        let body = if code & 8 == 0 {
            b.take(len).to_vec()
        } else {
            let salt = ops.len() as u8;
            (0..len * 4)
                .map(|i| (i as u8).wrapping_mul(31) ^ salt)
                .collect()
        };
        ops.push(Op::Push {
            serial,
            msg_type,
            body,
            dt,
        });
    }
    assembler_check::check(&settings, caps, &ops);
}

/// Writes `records` (type, serial, body) as an `assembler_ops` input with
/// roomy storage, the default type range and a 2 s timeout; a seed.
pub fn encode_ops(records: &[(u16, u32, &[u8])]) -> Vec<u8> {
    let mut out = vec![7, 31, 0x00, 0x08, 0, 125, 1];
    for &(msg_type, serial, body) in records {
        let body = &body[..body.len().min(255)];
        let t = match TYPES.iter().position(|&t| t == msg_type) {
            Some(i) => i as u8,
            None => msg_type.saturating_sub(1300).min(255) as u8,
        };
        out.extend([0x40, 1, (serial % 7) as u8, t, body.len() as u8]);
        out.extend_from_slice(body);
    }
    out
}

// --------------------------------------------------------------- encoder

/// An event decoded from bytes, encoded with `go_audit` into a buffer of
/// decoded size: [`encode_check::check_go_audit`].
///
/// Format: `serial:u32 seconds:u64 millis:u16 size:u16 flags` then records
/// `type:u16 len:u16 body`. `size % (MAX_BUFFER + 1)` is the buffer size;
/// flags bit 0 selects [`TestEnrich`], bit 1 a small arena (records
/// dropped or events split).
pub fn encoder(data: &[u8]) {
    each_encoder_event(data, |event, size, enriched| {
        if enriched {
            encode_check::check_go_audit(event, size, &mut TestEnrich);
        } else {
            encode_check::check_go_audit(event, size, &mut raudit_core::encode::NoEnrich);
        }
    });
}

/// Reads the input of [`encoder`] and [`encoder_shapes`] (the format on
/// [`encoder`]) and calls `f` with each event it assembles, the buffer
/// size and whether flags bit 0 asks for an enricher.
fn each_encoder_event(
    data: &[u8],
    mut f: impl FnMut(&raudit_core::assemble::Event<'_>, usize, bool),
) {
    let mut b = Bytes::new(data);
    let serial = b.u32();
    let timestamp = raudit_core::record::Timestamp {
        seconds: b.u64(),
        millis: b.u16() % 1000,
    };
    let size = usize::from(b.u16()) % (MAX_BUFFER + 1);
    let flags = b.u8();
    let arena = if flags & 2 == 0 { 1 << 16 } else { 256 };
    let mut records = Vec::new();
    while !b.is_empty() && records.len() < 64 {
        let msg_type = b.u16();
        let len = usize::from(b.u16()) % 4096;
        records.push((msg_type, b.take(len).to_vec()));
    }
    encode_check::with_events(serial, timestamp, &records, arena, |event| {
        f(event, size, flags & 1 == 1)
    });
}

/// The same input as [`encoder`], the event encoded in every shape
/// (go-audit's, structured, ECS) through every entry point the daemon uses
/// (`encode`, `encode_whole`, `encode_within`, `surely_exceeds`):
/// [`shape_check::check_shapes`]. Flags bit 0 selects [`ShapeEnrich`]
/// (every enrichment, with characters JSON escapes), bit 1 a small arena.
/// Returns what the documents were.
pub fn encoder_shapes(data: &[u8]) -> Seen {
    let mut seen = Seen::default();
    each_encoder_event(data, |event, size, enriched| {
        seen = seen
            + if enriched {
                shape_check::check_shapes(event, size, &mut ShapeEnrich)
            } else {
                shape_check::check_shapes(event, size, &mut raudit_core::encode::NoEnrich)
            };
    });
    seen
}

/// Writes one event as an `encoder` input (buffer size `size`); a seed.
pub fn encode_event(serial: u32, seconds: u64, records: &[(u16, &[u8])], size: u16) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(serial.to_le_bytes());
    out.extend(seconds.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(size.to_le_bytes());
    out.push(1);
    for &(msg_type, body) in records {
        let body = &body[..body.len().min(4095)];
        out.extend(msg_type.to_le_bytes());
        out.extend((body.len() as u16).to_le_bytes());
        out.extend_from_slice(body);
    }
    out
}

// ---------------------------------------------------------- user_message

/// A user-space record's body (type 1107, `USER`): the nested `msg='…'`
/// ends at the body's last quote, so no top-level field lies inside it and
/// nothing follows it; inside, `text=` runs to the last ` exe=` (or the
/// end), keeping its bytes; every nested slice lies in the message. The
/// structured encoder gives valid JSON whose top-level members are the
/// body's own, with `msg` an object.
pub fn user_message(data: &[u8]) {
    // Make the interesting shape likely: a prefix, `msg='`, the input, `'`.
    let mut body = b"pid=1 uid=0 auid=4294967295 ses=4294967295 msg='".to_vec();
    body.extend_from_slice(data);
    body.push(b'\'');
    for b in [&body[..], data] {
        check_user_message(b);
    }
    let mut events = 0;
    let mut emit = |e: &raudit_core::assemble::Event<'_>| {
        events += 1;
        let mut out = vec![0u8; 1 << 16];
        let n = raudit_core::encode::structured(e, &mut TestEnrich, &mut out).len;
        let v: serde_json::Value = serde_json::from_slice(&out[..n]).unwrap_or_else(|err| {
            panic!(
                "invalid JSON ({err}): {}",
                String::from_utf8_lossy(&out[..n])
            )
        });
        let fields = &v["records"][0]["fields"];
        if v["truncated"] != true {
            assert!(fields["msg"].is_object(), "{v}");
            for key in fields.as_object().unwrap().keys() {
                assert!(
                    ["pid", "uid", "auid", "ses", "msg"].contains(&key.as_str()),
                    "a top-level member from inside the message: {key}: {v}"
                );
            }
        }
    };
    let record = Record {
        msg_type: MessageType(1107),
        timestamp: raudit_core::record::Timestamp {
            seconds: 1,
            millis: 0,
        },
        serial: 1,
        body: &body,
        node: None,
        enriched: None,
    };
    let mut asm = raudit_core::assemble::Assembler::new(
        raudit_core::assemble::Settings {
            type_min: 1000,
            type_max: 2999,
            ..Default::default()
        },
        vec![raudit_core::assemble::EventSlot::default(); 2],
        vec![raudit_core::assemble::RecordSlot::default(); 4],
        vec![0u8; body.len() + 16],
    );
    asm.push(&record, raudit_core::time::Instant(0), &mut emit);
    asm.flush(&mut emit);
    assert_eq!(events, 1, "a user-space record is one event");
}

fn check_user_message(body: &[u8]) {
    let mut steps = 0usize;
    for f in Fields::new(body) {
        steps += 1;
        assert!(steps <= body.len(), "more fields than bytes");
        if f.key != b"msg" {
            continue;
        }
        let Value::SingleQuoted(inner) = f.value else {
            continue;
        };
        assert!(within(body, inner));
        let end = inner.as_ptr() as usize - body.as_ptr() as usize + inner.len();
        let last = body.iter().rposition(|&b| b == b'\'');
        // Closed by the body's last quote, or never closed: the rest.
        assert!(
            last == Some(end) || end == body.len(),
            "the message ends before the body's last quote"
        );
        let mut nested_steps = 0usize;
        for n in f.value.nested().expect("a single-quoted value nests") {
            nested_steps += 1;
            assert!(nested_steps <= inner.len(), "more nested fields than bytes");
            assert!(within(inner, n.key), "nested key outside the message");
            assert!(
                !matches!(n.value, Value::SingleQuoted(_)),
                "a quote quotes inside"
            );
            if let Value::Bare(t) | Value::DoubleQuoted(t) = n.value {
                assert!(within(inner, t), "nested value outside the message");
            }
            // `text=` with a value (a bare `text` word is a free token).
            if let (b"text", Value::Bare(t)) = (n.key, n.value) {
                let after = t.as_ptr() as usize - inner.as_ptr() as usize + t.len();
                let rest = &inner[after..];
                assert!(
                    rest.is_empty() || rest.starts_with(b" exe="),
                    "text= stops before libaudit's exe="
                );
                assert!(
                    memfind(rest.get(1..).unwrap_or_default(), b" exe=").is_none(),
                    "text= stops at the last exe="
                );
            }
        }
        // Whatever follows the closing quote is not a field.
        break;
    }
}

fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

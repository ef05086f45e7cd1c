//! Benchmark data: real audit records (the shared live capture when present,
//! else the project's own capture in `tests/data`), repeated with fresh
//! serials so that the assembler sees a long stream of distinct events;
//! [`typical`]: without the few giant events.

use std::fs;
use std::path::PathBuf;

use raudit_core::record::Record;
use raudit_core::wire::netlink::Frames;
use raudit_core::wire::MessageType;

/// One record as the kernel sends it: type and payload.
pub struct RawRecord {
    pub msg_type: MessageType,
    pub payload: Vec<u8>,
}

fn candidates() -> [PathBuf; 2] {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    [
        root.join("../shared/corpus/live/debian12-k6.18-scenario.netlink"),
        root.join("tests/data/execs.netlink"),
    ]
}

/// The records of the first capture found, in order (audit records only).
pub fn capture() -> Vec<RawRecord> {
    for path in candidates() {
        let Ok(bytes) = fs::read(&path) else { continue };
        let records: Vec<RawRecord> = Frames::new(&bytes)
            .filter_map(Result::ok)
            .filter(|m| m.msg_type >= 1100)
            .map(|m| RawRecord {
                msg_type: MessageType(m.msg_type),
                payload: m.payload.to_vec(),
            })
            .collect();
        if !records.is_empty() {
            eprintln!(
                "bench data: {} records from {}",
                records.len(),
                path.display()
            );
            return records;
        }
    }
    panic!("no capture found at {:?}", candidates());
}

/// `copies` repetitions of `records` with serials shifted so each copy's
/// events are new, and timestamps advanced 1 ms per record.
pub fn repeated(records: &[RawRecord], copies: u32) -> Vec<RawRecord> {
    let mut out = Vec::with_capacity(records.len() * copies as usize);
    let mut millis: u64 = 1_700_000_000_000;
    for copy in 0..copies {
        for raw in records {
            let Ok(record) = Record::from_kernel(raw.msg_type, &raw.payload) else {
                continue;
            };
            let serial = record.serial.wrapping_add(copy.wrapping_mul(1_000_000));
            let mut payload =
                format!("audit({}.{:03}:{}): ", millis / 1000, millis % 1000, serial).into_bytes();
            payload.extend_from_slice(record.body);
            out.push(RawRecord {
                msg_type: raw.msg_type,
                payload,
            });
            millis += 1;
        }
    }
    out
}

/// The largest event (its records' bodies together) [`typical`] keeps
/// (criterion's `typical/*`, `shape-cost --typical`).
pub const TYPICAL_EVENT_BYTES: usize = 4096;

/// `records` without the events whose bodies add up to more than
/// [`TYPICAL_EVENT_BYTES`] (records told apart by serial, as the
/// assembler does; the capture's serials are distinct per copy).
pub fn typical<'a>(records: &[Record<'a>]) -> Vec<Record<'a>> {
    let mut sizes = std::collections::HashMap::<u32, usize>::new();
    for record in records {
        *sizes.entry(record.serial).or_default() += record.body.len();
    }
    records
        .iter()
        .filter(|r| {
            sizes
                .get(&r.serial)
                .is_some_and(|&n| n <= TYPICAL_EVENT_BYTES)
        })
        .copied()
        .collect()
}

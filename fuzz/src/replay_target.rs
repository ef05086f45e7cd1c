//! Body of the `replay` fuzz target: the daemon's [`Replayer`] over
//! arbitrary bytes read as an auditd log and as a netlink capture, with
//! go-audit's settings and roomy storage, and with every type kept and tiny
//! storage (eviction, dropped records, truncated output). Asserts: no
//! panic, no I/O error into a `Vec`, every output line is a JSON object
//! with `sequence` and `messages`, and the counts agree with the output.
//! Runs under libFuzzer and as the stable test `daemon/tests/fuzz_replay.rs`.
#![allow(dead_code)]

use raudit::pipeline::Format as EventFormat;
use raudit::replay::{detect_format, Capacities, Format, Replayer};
use raudit_core::assemble::Settings;
use raudit_core::encode::NoEnrich;
use serde_json::Value;

pub fn replay(data: &[u8]) {
    let _ = detect_format(data);
    // Room for any realistic event, smaller than the daemon's defaults so
    // that a run stays cheap.
    let roomy = Capacities {
        events: 64,
        records: 1024,
        arena_bytes: 64 << 10,
        event_buffer: 16 << 10,
        format: EventFormat::GoAudit,
    };
    let tiny = Capacities {
        events: 2,
        records: 4,
        arena_bytes: 256,
        event_buffer: 0,
        // The tiny run also covers the structured encoder.
        format: EventFormat::Structured,
    };
    let wide = Settings {
        type_min: 0,
        type_max: u16::MAX,
        ..Settings::default()
    };
    for format in [Format::Log, Format::Netlink] {
        run(data, format, Settings::default(), roomy);
        run(data, format, wide, tiny);
        let ecs = Capacities {
            format: EventFormat::Ecs,
            ..roomy
        };
        run(data, format, wide, ecs);
    }
}

fn run(data: &[u8], format: Format, settings: Settings, capacities: Capacities) {
    let mut replayer = Replayer::new(settings, capacities, NoEnrich);
    let mut out = Vec::new();
    let mut reported = 0u64;
    let mut input = data;
    replayer
        .run_input(&mut input, format, &mut out, &mut |_| reported += 1)
        .expect("replay into a Vec does not fail");
    replayer
        .finish(&mut out)
        .expect("replay into a Vec does not fail");
    let counts = replayer.counts();
    assert_eq!(
        counts.malformed, reported,
        "every malformed piece is reported"
    );
    assert_eq!(counts.bytes, out.len() as u64, "bytes counted");
    let c = replayer.assembler_counters();
    assert_eq!(counts.written, c.events, "every completed event is written");
    let mut lines = 0u64;
    for line in out.split_inclusive(|&b| b == b'\n') {
        lines += 1;
        let json = line.strip_suffix(b"\n").expect("lines end in a newline");
        let value: Value = match serde_json::from_slice(json) {
            Ok(value) => value,
            Err(e) => panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(json)),
        };
        let (sequence, list) = match capacities.format {
            EventFormat::GoAudit => (&value["sequence"], &value["messages"]),
            EventFormat::Structured => (&value["sequence"], &value["records"]),
            EventFormat::Ecs => (&value["auditd"]["sequence"], &value["@timestamp"]),
        };
        assert!(sequence.is_u64(), "no sequence: {value}");
        assert!(
            list.is_array() || list.is_string(),
            "no records or @timestamp: {value}"
        );
    }
    assert_eq!(lines, counts.written, "one line per event");
}

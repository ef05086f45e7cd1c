//! Replay over the project's own capture (`tests/data/execs.*`, made by
//! `tests/data/capture.py` on this kind of machine): runs everywhere, with
//! or without `../shared`. The log and netlink forms give the same events,
//! and the values of known commands come out intact.

mod common;

use std::fs;

use common::{all_types, data, messages, replay};
use raudit::replay::{detect_format, Format};
use raudit_core::assemble::Settings;
use raudit_core::record::{decode_hex, field};

fn execve_text(event: &serde_json::Value) -> String {
    messages(event)
        .into_iter()
        .filter(|(t, _)| *t == 1309)
        .map(|(_, d)| d)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn own_log_and_netlink_capture_give_the_same_events() {
    let log = fs::read(data("execs.log")).unwrap();
    let netlink = fs::read(data("execs.netlink")).unwrap();
    assert_eq!(detect_format(&log), Format::Log);
    assert_eq!(detect_format(&netlink), Format::Netlink);
    for settings in [Settings::default(), all_types()] {
        let a = replay(&log, Format::Log, settings);
        let b = replay(&netlink, Format::Netlink, settings);
        assert_eq!(a.counts.malformed + b.counts.malformed, 0);
        assert_eq!(a.events, b.events);
        assert_eq!(b.events.len(), 4);
        assert_eq!(
            b.counters.end_of_event, 4,
            "the capture has an EOE per event"
        );
        // auditd's log has no EOE: its events end by deadline or at the end.
        assert_eq!(a.counters.end_of_event, 0);
        assert_eq!(a.counters.timed_out + a.counters.flushed, 4);
    }
}

#[test]
fn known_commands_come_out_with_their_arguments() {
    let netlink = fs::read(data("execs.netlink")).unwrap();
    let r = replay(&netlink, Format::Netlink, Settings::default());
    let find = |marker: &str| {
        r.events
            .iter()
            .find(|e| execve_text(e).contains(marker))
            .unwrap_or_else(|| panic!("no {marker}"))
    };

    let plain = find("raudit-capture-plain");
    let types: Vec<u64> = messages(plain).iter().map(|m| m.0).collect();
    assert_eq!(types.first(), Some(&1300));
    assert!(types.contains(&1309) && types.contains(&1302) && types.contains(&1327));
    assert!(execve_text(plain).contains("a1=\"raudit-capture-plain\" a2=\"--flag=value\""));
    assert!(messages(plain)[0].1.contains("key=\"raudit-capture\""));
    assert!(plain["uid_map"]["0"].is_string());

    // A non-UTF-8 argument is hex-encoded by the kernel.
    let bytes = find("raudit-capture-bytes");
    let text = execve_text(bytes);
    let hex = field(text.as_bytes(), b"a2").expect("a2").text();
    let mut decoded = [0u8; 64];
    let len = decode_hex(hex, &mut decoded).unwrap();
    assert_eq!(&decoded[..len], b"caf\xc3\xa9-\xff\xfe");

    // A 20,000-byte argument is split across EXECVE records (aN[i]).
    let long = find("raudit-capture-long");
    let execves = messages(long).iter().filter(|m| m.0 == 1309).count();
    assert!(
        execves > 1,
        "expected a split EXECVE, got {execves} record(s)"
    );
    assert!(execve_text(long).contains("a2_len=") && execve_text(long).contains("a2[0]="));
}

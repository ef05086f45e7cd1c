//! Replay over small hand-written streams: grouping, formats, malformed
//! input, end-of-input flush.

use super::*;
use raudit_core::encode::NoEnrich;
use raudit_core::wire::netlink::NLMSG_HDRLEN;

const LOG: &str = "\
type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=59 success=yes exit=0 pid=5 auid=1000 uid=0 comm=\"ls\"\x1dARCH=x86_64 SYSCALL=execve
type=EXECVE msg=audit(1700000000.100:10): argc=2 a0=\"ls\" a1=\"-l\"
this line is not a record
type=PROCTITLE msg=audit(1700000000.100:10): proctitle=6C73002D6C
type=EOE msg=audit(1700000000.100:10): 
node=host1 type=SYSCALL msg=audit(1700000001.000:12): arch=c000003e syscall=2 success=no exit=-13
";

fn replay(
    input: &[u8],
    format: Format,
) -> (
    Vec<serde_json::Value>,
    ReplayCounts,
    Counters,
    Vec<Malformed>,
) {
    let mut replayer = Replayer::new(Settings::default(), Capacities::default(), NoEnrich);
    let mut out = Vec::new();
    let mut bad = Vec::new();
    let mut reader = input;
    replayer
        .run_input(&mut reader, format, &mut out, &mut |m| bad.push(m))
        .unwrap();
    replayer.finish(&mut out).unwrap();
    let events = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        events,
        replayer.counts().clone(),
        replayer.assembler_counters(),
        bad,
    )
}

#[test]
fn log_lines_group_into_go_audit_events_and_bad_lines_are_reported() {
    let (events, counts, c, bad) = replay(LOG.as_bytes(), Format::Log);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["sequence"], 10);
    assert_eq!(events[0]["timestamp"], "1700000000.100");
    let types: Vec<_> = events[0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].clone())
        .collect();
    assert_eq!(types, [1300, 1309, 1327]);
    assert_eq!(
        events[0]["messages"][0]["data"],
        "arch=c000003e syscall=59 success=yes exit=0 pid=5 auid=1000 uid=0 comm=\"ls\""
    );
    assert_eq!(events[0]["uid_map"]["1000"], "UNKNOWN_USER");
    assert_eq!(events[1]["sequence"], 12);
    assert_eq!(counts.malformed, 1);
    assert_eq!(bad[0].place, "line 3, byte 0");
    assert_eq!((c.end_of_event, c.flushed), (1, 1));
    assert_eq!(c.missed_serials, 1, "serial 11 never came");
}

fn frame(msg_type: u16, payload: &[u8]) -> Vec<u8> {
    let len = (NLMSG_HDRLEN + payload.len()) as u32;
    let mut f = Vec::new();
    f.extend_from_slice(&len.to_ne_bytes());
    f.extend_from_slice(&msg_type.to_ne_bytes());
    f.extend_from_slice(&[0; 10]);
    f.extend_from_slice(payload);
    while f.len() % 4 != 0 {
        f.push(0);
    }
    f
}

#[test]
fn netlink_capture_gives_the_same_events_as_the_log() {
    let mut capture = Vec::new();
    capture.extend(frame(1300, b"audit(1700000000.100:10): arch=c000003e syscall=59 success=yes exit=0 pid=5 auid=1000 uid=0 comm=\"ls\""));
    capture.extend(frame(
        1309,
        b"audit(1700000000.100:10): argc=2 a0=\"ls\" a1=\"-l\"",
    ));
    capture.extend(frame(2, &[0; 20])); // an NLMSG_ERROR ack: not a record
    capture.extend(frame(
        1327,
        b"audit(1700000000.100:10): proctitle=6C73002D6C",
    ));
    capture.extend(frame(1320, b"audit(1700000000.100:10): "));
    capture.extend(frame(
        1300,
        b"audit(1700000001.000:12): arch=c000003e syscall=2 success=no exit=-13",
    ));
    assert_eq!(detect_format(&capture), Format::Netlink);
    assert_eq!(detect_format(LOG.as_bytes()), Format::Log);
    let (from_netlink, counts, _, _) = replay(&capture, Format::Netlink);
    let (from_log, _, _, _) = replay(LOG.as_bytes(), Format::Log);
    assert_eq!(from_netlink, from_log);
    assert_eq!(counts.skipped_frames, 1);
}

#[test]
fn capture_replies_are_skipped_by_the_receive_loops_rule() {
    // Replies a capture may hold (status, a listed rule, features, the
    // pid probe, signal info) are not records, as in the receive loop;
    // LOGIN (1006) from the commands range is one.
    let mut capture = Vec::new();
    for control in [1000, 1010, 1013, 1019, 1329] {
        capture.extend(frame(control, &[0x5a; 40]));
    }
    capture.extend(frame(
        1006,
        b"audit(1700000002.000:20): pid=7 uid=0 old-auid=4294967295 auid=1000 res=1",
    ));
    let (_, counts, c, bad) = replay(&capture, Format::Netlink);
    assert_eq!(counts.skipped_frames, 5);
    assert!(bad.is_empty(), "{bad:?}");
    // The record reached the assembler (whose default events.min, 1300,
    // then leaves it out).
    assert_eq!((c.records, c.filtered_type), (1, 1));
}

#[test]
fn broken_capture_reports_the_offset_and_keeps_what_came_before() {
    let mut capture = frame(1300, b"audit(1700000000.100:10): syscall=59");
    let good = capture.len();
    capture.extend_from_slice(&[0xff, 0xff, 0, 0, 0x14, 0x05, 0, 0]);
    let (events, counts, _, bad) = replay(&capture, Format::Netlink);
    assert_eq!(events.len(), 1);
    assert_eq!(counts.malformed, 1);
    assert_eq!(bad[0].place, format!("byte {good}"));
}

#[test]
fn empty_and_garbage_inputs_finish_cleanly() {
    let (events, _, _, _) = replay(b"", Format::Log);
    assert!(events.is_empty());
    let (events, counts, _, _) = replay(b"\x00\x01\x02garbage\n\xff\xfe\n", Format::Log);
    assert!(events.is_empty());
    assert_eq!(counts.malformed, 2);
}

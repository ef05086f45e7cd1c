//! Conformance of `raudit replay` over real audit data from
//! `../shared/corpus` (built as ignored where it is absent): every file
//! replays without panic into valid JSON; the live capture's log and netlink
//! forms give the same events; go-libaudit's serial streams give its
//! expected lost counts.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{all_types, corpus, messages, replay};
use raudit::replay::{detect_format, Format};
use raudit_core::assemble::Settings;
use raudit_core::time::Duration;

fn files_with_suffix(dir: &Path, suffix: &str, found: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_with_suffix(&path, suffix, found);
        } else if path.to_string_lossy().ends_with(suffix) {
            found.push(path);
        }
    }
}

#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn every_log_and_capture_replays_into_valid_json() {
    let corpus = corpus();
    let mut files = Vec::new();
    files_with_suffix(&corpus, ".log", &mut files);
    files_with_suffix(&corpus, ".netlink", &mut files);
    files_with_suffix(&corpus.join("laurel"), ".txt", &mut files);
    assert!(
        files.len() >= 10,
        "expected the corpus's logs, found {files:?}"
    );
    let mut with_comments = 0;
    for file in files {
        let bytes = fs::read(&file).unwrap();
        let format = detect_format(&bytes);
        for settings in [Settings::default(), all_types()] {
            let r = replay(&bytes, format, settings);
            assert_eq!(r.counters.events, r.counts.written, "{}", file.display());
        }
        let r = replay(&bytes, format, all_types());
        // Every line that is not a record is reported, at its line, and
        // nothing else is: no record line refused, no other line dropped
        // without a word.
        let expected = match format {
            Format::Log => not_record_lines(&bytes),
            Format::Netlink => Vec::new(),
            Format::Auto => panic!("{}: detect_format decided nothing", file.display()),
        };
        let reported: Vec<String> = r.malformed.iter().map(|m| m.place.clone()).collect();
        let reported_lines: Vec<u64> = reported.iter().map(|p| line_of(p)).collect();
        assert_eq!(reported_lines, expected, "{}: {reported:?}", file.display());
        assert_eq!(
            r.counts.malformed,
            expected.len() as u64,
            "{}",
            file.display()
        );
        with_comments += usize::from(!expected.is_empty());
        eprintln!(
            "{}: {format:?}, {} events, {} malformed",
            file.display(),
            r.events.len(),
            r.counts.malformed
        );
    }
    // laurel's samples carry comment lines, go-libaudit's RHEL 7 log a line
    // without a stamp (`type=UNKNOWN[1329] msg=?`).
    assert!(
        with_comments >= 5,
        "only {with_comments} files with lines not records"
    );
}

/// The numbers (from 1) of the lines of an auditd log that are not record
/// lines (`[node=N ]type=T msg=audit(...`): comments, prose, a record
/// without its stamp. Blank lines are neither.
fn not_record_lines(log: &[u8]) -> Vec<u64> {
    let is_record = |line: &str| {
        let line = match line.strip_prefix("node=") {
            Some(rest) => rest.split_once(' ').map_or("", |(_, after)| after),
            None => line,
        };
        line.strip_prefix("type=")
            .and_then(|rest| rest.split_once(' '))
            .is_some_and(|(_, after)| after.starts_with("msg=audit("))
    };
    String::from_utf8_lossy(log)
        .split('\n')
        .zip(1u64..)
        .filter(|(line, _)| !line.trim().is_empty() && !is_record(line))
        .map(|(_, number)| number)
        .collect()
}

/// The line number of a malformed place (`line N, byte M`).
fn line_of(place: &str) -> u64 {
    place
        .strip_prefix("line ")
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a line's place: {place}"))
}

/// Events by serial: (type, body) of each record.
fn by_serial(events: &[serde_json::Value]) -> BTreeMap<u64, Vec<(u64, String)>> {
    let mut map = BTreeMap::new();
    for event in events {
        let serial = event["sequence"].as_u64().unwrap();
        let previous = map.insert(serial, messages(event));
        assert!(previous.is_none(), "serial {serial} emitted twice");
    }
    map
}

#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn live_log_and_netlink_capture_give_the_same_events() {
    let corpus = corpus();
    let live = corpus.join("live");
    let log = fs::read(live.join("debian12-k6.18-scenario.log")).unwrap();
    let netlink = fs::read(live.join("debian12-k6.18-scenario.netlink")).unwrap();
    assert_eq!(detect_format(&log), Format::Log);
    assert_eq!(detect_format(&netlink), Format::Netlink);
    let from_log = replay(&log, Format::Log, all_types());
    let from_netlink = replay(&netlink, Format::Netlink, all_types());
    assert_eq!(from_log.counts.malformed, 0);
    assert_eq!(from_netlink.counts.malformed, 0);
    assert_eq!(from_netlink.counters.orphan_eoe, 0);
    assert_eq!(from_netlink.counters.evicted, 0);
    let log_events = by_serial(&from_log.events);
    let netlink_events = by_serial(&from_netlink.events);
    let (mut shared, mut partial) = (0, 0);
    for (serial, records) in &log_events {
        match netlink_events.get(serial) {
            Some(from_kernel) if records == from_kernel => shared += 1,
            Some(from_kernel) => {
                // At the edges of auditd's life the kernel sent records of
                // an event before auditd was registered (or after it left):
                // the log then holds a subsequence of the event.
                let mut rest = from_kernel.iter();
                assert!(
                    records.iter().all(|r| rest.any(|k| k == r)),
                    "serial {serial}: log {records:?} is not part of {from_kernel:?}"
                );
                partial += 1;
            }
            // auditd's own records (DAEMON_START/END) never cross netlink.
            None => assert!(
                records.iter().all(|(t, _)| (1200..=1299).contains(t)),
                "serial {serial} only in the log: {records:?}"
            ),
        }
    }
    // The capture starts before auditd logs and ends after it stops.
    assert!(
        partial <= 2,
        "{partial} events differ beyond auditd's start and stop"
    );
    let only_netlink = netlink_events.len() - shared - partial;
    assert!(shared > 390, "only {shared} events in common");
    assert!(
        only_netlink <= 6,
        "{only_netlink} events only in the capture"
    );
    // Multi-record events end on EOE in the capture.
    assert!(from_netlink.counters.end_of_event >= 390);
}

#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn go_libaudit_serial_streams_give_the_expected_lost_counts() {
    let corpus = corpus();
    let dir = corpus.join("go-libaudit/testdata");
    // (file, lost, late, serials of the events in order)
    let cases: [(&str, u64, u64, &[u64]); 4] = [
        ("normal.log", 0, 0, &[58, 59, 60, 61, 62]),
        ("lost_messages.log", 9, 0, &[49, 59, 60, 61, 62]),
        ("out_of_order.log", 0, 0, &[58, 59, 60, 61, 62]),
        ("rollover.log", 0, 0, &[4294967294, 4294967295, 0, 1, 2]),
    ];
    for (file, lost, late, serials) in cases {
        let bytes = fs::read(dir.join(file)).unwrap();
        let r = replay(&bytes, Format::Log, all_types());
        assert_eq!(r.counters.missed_serials, lost, "{file}");
        assert_eq!(r.counters.late_serials, late, "{file}");
        // Replay's clock is the records' timestamps, and out_of_order.log
        // has a record of event 60 after one stamped 7.8 s later: with the
        // 2 s timeout event 60 comes out in two parts (no record lost); a
        // longer timeout groups it whole, as go-libaudit does.
        let long = Settings {
            timeout: Duration::from_secs(10),
            ..all_types()
        };
        let r = replay(&bytes, Format::Log, long);
        let got: Vec<u64> = r
            .events
            .iter()
            .map(|e| e["sequence"].as_u64().unwrap())
            .collect();
        assert_eq!(got, serials, "{file}");
    }
}

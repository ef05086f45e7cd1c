//! The structured encoder over real captures: the project's own
//! `tests/data/execs.netlink` (always; known commands come out with their
//! exact argv, the 20000-byte split argument joined whole) and, when the
//! shared corpus is beside the project, every auditd log and netlink
//! capture in it, and laurel's test inputs (every event valid JSON, every complete EXECVE's `argv`
//! as long as its `argc`).

use std::fs;
use std::path::{Path, PathBuf};

use raudit_core::assemble::{Assembler, Event, EventSlot, RecordSlot, Settings};
use raudit_core::encode::{structured, NoEnrich};
use raudit_core::record::Record;
use raudit_core::time::Instant;
use raudit_core::wire::netlink::Frames;
use raudit_core::wire::MessageType;
use serde_json::Value;

const OWN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/execs.netlink");
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

type Boxed = Assembler<Box<[EventSlot]>, Box<[RecordSlot]>, Box<[u8]>>;

/// What encoding a stream of records gave.
#[derive(Default)]
struct Encoded {
    events: Vec<Value>,
    truncated: usize,
    argc_mismatches: Vec<String>,
}

fn encode_all<'a>(records: impl Iterator<Item = Record<'a>>) -> Encoded {
    let mut asm: Boxed = Assembler::new(
        Settings {
            type_min: 1000,
            type_max: 2999,
            ..Settings::default()
        },
        vec![EventSlot::default(); 256].into_boxed_slice(),
        vec![RecordSlot::default(); 4096].into_boxed_slice(),
        vec![0u8; 1 << 20].into_boxed_slice(),
    );
    let mut out = vec![0u8; 256 << 10];
    let mut result = Encoded::default();
    let mut emit = |e: &Event<'_>| {
        let encoded = structured(e, &mut NoEnrich, &mut out);
        let text = std::str::from_utf8(&out[..encoded.len]).expect("UTF-8 output");
        let v: Value =
            serde_json::from_str(text).unwrap_or_else(|err| panic!("invalid JSON: {err}: {text}"));
        assert_eq!(v["truncated"] == true, encoded.truncated);
        result.truncated += usize::from(encoded.truncated);
        if !encoded.truncated {
            check_argc(&v, &mut result.argc_mismatches);
        }
        result.events.push(v);
    };
    for record in records {
        let now = record.timestamp.seconds * 1000 + u64::from(record.timestamp.millis);
        asm.push(&record, Instant(now), &mut emit);
    }
    asm.flush(&mut emit);
    result
}

/// A complete EXECVE record has as many arguments as its `argc` says.
fn check_argc(event: &Value, mismatches: &mut Vec<String>) {
    for r in event["records"].as_array().expect("records") {
        assert!(r["type"].is_string() && r["fields"].is_object(), "{r}");
        if r["type"] != "EXECVE" {
            continue;
        }
        // A JSON number since decimals are numbers.
        let argc = r["fields"]["argc"].as_u64().map_or(0, |a| a as usize);
        let argv = r["argv"].as_array().expect("argv");
        if argv.len() != argc {
            mismatches.push(format!("argc {argc}, argv {}: {event}", argv.len()));
        }
    }
}

fn netlink_records(data: &[u8]) -> impl Iterator<Item = Record<'_>> {
    Frames::new(data)
        .filter_map(Result::ok)
        .filter(|m| m.msg_type >= 1000)
        .filter_map(|m| Record::from_kernel(MessageType(m.msg_type), m.payload).ok())
}

fn execve<'v>(events: &'v [Value], marker: &str) -> &'v Value {
    events
        .iter()
        .flat_map(|e| e["records"].as_array().unwrap())
        .find(|r| {
            r["type"] == "EXECVE"
                && r["argv"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a.as_str().unwrap_or("").contains(marker))
        })
        .unwrap_or_else(|| panic!("no EXECVE with {marker}"))
}

#[test]
fn own_capture_encodes_with_exact_argv() {
    let data = fs::read(OWN).expect("tests/data/execs.netlink");
    let r = encode_all(netlink_records(&data));
    assert_eq!(r.events.len(), 4);
    assert_eq!(r.truncated, 0);
    assert!(r.argc_mismatches.is_empty(), "{:?}", r.argc_mismatches);

    let plain = execve(&r.events, "raudit-capture-plain");
    assert_eq!(
        plain["argv"],
        serde_json::json!(["/bin/echo", "raudit-capture-plain", "--flag=value"])
    );
    assert_eq!(plain["fields"], serde_json::json!({"argc": 3}));

    let quotes = execve(&r.events, "raudit-capture-quotes");
    assert_eq!(quotes["argv"][2], "two words");
    assert_eq!(quotes["argv"][3], "it's \"quoted\"");

    let bytes = execve(&r.events, "raudit-capture-bytes");
    assert_eq!(bytes["argv"][2], "caf\u{e9}-\u{fffd}\u{fffd}");

    let long = execve(&r.events, "raudit-capture-long");
    let arg = long["argv"][2].as_str().unwrap();
    assert_eq!(arg.len(), 20000);
    assert!(arg.bytes().all(|b| b == b'x'));

    for event in &r.events {
        let records = event["records"].as_array().unwrap();
        assert_eq!(records[0]["type"], "SYSCALL");
        assert_eq!(
            records[0]["interpreted"],
            serde_json::json!({"arch": "x86_64", "syscall": "execve"})
        );
        assert_eq!(records[0]["fields"]["key"], "raudit-capture");
        assert_eq!(records[0]["fields"]["tty"], Value::Null);
        let title = records.iter().find(|r| r["type"] == "PROCTITLE").unwrap();
        assert_eq!(title["fields"]["proctitle"][0], "/bin/echo");
        // One EXECVE record per event, even for the one split over six.
        let execves = records.iter().filter(|r| r["type"] == "EXECVE").count();
        assert_eq!(execves, 1);
    }
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn shared_corpus_encodes_as_valid_json() {
    let root = PathBuf::from(CORPUS);
    assert!(
        root.is_dir(),
        "{CORPUS} is absent (RAUDIT_REQUIRE_CORPUS=1, or it vanished after the build)"
    );
    let (mut logs, mut captures) = (Vec::new(), Vec::new());
    files(&root, "log", &mut logs);
    // laurel's test inputs are log lines too (with node= and ENRICHED parts).
    files(&root.join("laurel"), "txt", &mut logs);
    files(&root, "netlink", &mut captures);
    logs.sort();
    captures.sort();
    let (mut total, mut live) = (0, 0);
    for path in logs.iter().chain(&captures) {
        let data = fs::read(path).expect("readable corpus file");
        let r = if path.extension().is_some_and(|e| e != "netlink") {
            let lines = data.split(|&b| b == b'\n');
            encode_all(lines.filter_map(|l| Record::from_log_line(l).ok()))
        } else {
            encode_all(netlink_records(&data))
        };
        println!(
            "{}: {} events, {} truncated, {} argc mismatches",
            path.display(),
            r.events.len(),
            r.truncated,
            r.argc_mismatches.len()
        );
        for m in r.argc_mismatches.iter().take(3) {
            println!("  {m}");
        }
        // The live capture is complete: every EXECVE has all its arguments.
        if path.to_string_lossy().contains("/live/") {
            assert!(r.argc_mismatches.is_empty(), "{:?}", r.argc_mismatches);
            assert_eq!(r.truncated, 0);
            live += 1;
        }
        total += r.events.len();
    }
    println!("corpus: {total} events");
    // The live capture's log and netlink stream: what the checks above
    // hold complete.
    assert_eq!(live, 2, "the live capture's two files");
    assert!(total > 900, "corpus unexpectedly small: {total}");
}

//! Large events end to end through the core: records of an `execve` with
//! huge or many arguments, assembled over the daemon's default ring with a
//! large-event lane, come out as one event and one JSON line, whole, with
//! the argument list rebuilt byte for byte; in a smaller room, one marked
//! line that keeps every non-EXECVE record and the first and last
//! arguments; hostile splits never panic.

#[path = "support/execve.rs"]
mod execve;

use execve::{arguments, execve_bodies, rebuild_argv};
use proptest::prelude::*;
use raudit_core::assemble::{Assembler, Event, EventSlot, RecordSlot, Settings};
use raudit_core::encode::{NoEnrich, Shape};
use raudit_core::record::{Record, Timestamp};
use raudit_core::time::Instant;
use raudit_core::wire::MessageType;
use serde_json::Value;

/// The daemon's default `max_event_bytes` (4 MiB + 256 KiB).
const MAX_EVENT: usize = (4 << 20) + (256 << 10);

const SYSCALL: &str = "arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 \
    items=2 ppid=1 pid=4242 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 \
    fsgid=0 tty=pts0 ses=1 comm=\"prog\" exe=\"/bin/prog\" key=\"exec\"";
const OTHERS: [(u16, &str); 4] = [
    (1307, "cwd=\"/home/alice\""),
    (
        1302,
        "item=0 name=\"/bin/prog\" inode=1 dev=08:01 mode=0100755 ouid=0 ogid=0",
    ),
    (
        1302,
        "item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=2 dev=08:01 mode=0100755",
    ),
    (1327, "proctitle=2F62696E2F70726F67"),
];

/// The records of one execve of `args`: SYSCALL, the EXECVE records,
/// CWD, two PATHs, PROCTITLE.
fn records(args: &[Vec<u8>]) -> Vec<(u16, String)> {
    let mut records = vec![(1300, SYSCALL.to_owned())];
    records.extend(execve_bodies(args).into_iter().map(|b| (1309, b)));
    records.extend(OTHERS.iter().map(|(t, b)| (*t, (*b).to_owned())));
    records
}

/// Assembles `records` (then EOE) over the daemon's default ring and a
/// lane of `lane` bytes; encodes each event that comes out in `shape`
/// into `room` bytes. Returns the lines and whether each was whole.
fn lines(records: &[(u16, String)], lane: usize, shape: Shape, room: usize) -> Vec<(Value, bool)> {
    let mut assembler = Assembler::with_lane(
        Settings::default(),
        vec![EventSlot::default(); 256],
        vec![RecordSlot::default(); 1024],
        vec![0u8; 128 * 1024],
        vec![0u8; lane],
    );
    let mut out = vec![0u8; room];
    let mut seen = Vec::new();
    let mut emit = |event: &Event<'_>| {
        let encoded = shape.encode(event, &mut NoEnrich, &mut out);
        let json = serde_json::from_slice(&out[..encoded.len]).expect("valid JSON");
        seen.push((json, encoded.is_whole()));
    };
    let stamp = Timestamp {
        seconds: 1_700_000_000,
        millis: 7,
    };
    let eoe = [(1320u16, String::new())];
    for (msg_type, body) in records.iter().chain(&eoe) {
        let record = Record {
            msg_type: MessageType(*msg_type),
            timestamp: stamp,
            serial: 77,
            body: body.as_bytes(),
            node: None,
            enriched: None,
        };
        assembler.push(&record, Instant(0), &mut emit);
    }
    assembler.flush(&mut emit);
    assert_eq!(assembler.counters().dropped_records, 0);
    seen
}

/// The `data` of the messages of `line` with type `msg_type`.
fn datas(line: &Value, msg_type: u16) -> Vec<String> {
    line["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == msg_type)
        .map(|m| m["data"].as_str().unwrap().to_owned())
        .collect()
}

fn with_program(mut args: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    args.insert(0, b"/bin/prog".to_vec());
    args
}

/// One line, whole, every record in order, argv byte for byte.
fn check_whole(args: Vec<Vec<u8>>) {
    let args = with_program(args);
    let records = records(&args);
    let out = lines(&records, MAX_EVENT, Shape::GoAudit, MAX_EVENT);
    assert_eq!(out.len(), 1, "one event, one line");
    let (line, whole) = &out[0];
    assert!(*whole && line.get("truncated").is_none() && line.get("cut").is_none());
    assert_eq!(line["sequence"], 77);
    let messages = line["messages"].as_array().unwrap();
    assert_eq!(messages.len(), records.len());
    for (m, (t, body)) in messages.iter().zip(&records) {
        assert_eq!(
            (&m["type"], m["data"].as_str().unwrap()),
            (&Value::from(*t), &body[..])
        );
    }
    let rebuilt: Vec<Vec<u8>> = rebuild_argv(&datas(line, 1309))
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    assert!(rebuilt == args, "argv differs");

    let out = lines(&records, MAX_EVENT, Shape::Structured, MAX_EVENT);
    assert_eq!(out.len(), 1);
    let (line, whole) = &out[0];
    assert!(*whole);
    let types: Vec<&str> = line["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["SYSCALL", "EXECVE", "CWD", "PATH", "PATH", "PROCTITLE"]
    );
    let argv: Vec<&str> = line["records"][1]["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let want: Vec<String> = args
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    assert!(argv == want, "structured argv differs");
}

/// The daemon's lane for the default `max_event_bytes` (its
/// `pipeline::lane_bytes`: a sixteenth more, kept free behind EXECVE).
const LANE: usize = MAX_EVENT + MAX_EVENT / 15;

#[test]
fn the_largest_execve_a_default_linux_allows_is_one_whole_line() {
    // 2 MiB of strings less 8 bytes per pointer (17 with the program's),
    // every byte one the kernel hex encodes; each string at most
    // MAX_ARG_STRLEN (131,072 with its NUL).
    let mut args: Vec<Vec<u8>> = (0..16).map(|_| vec![0xffu8; 131_071]).collect();
    args[15].truncate(131_071 - 17 * 8 - b"/bin/prog".len());
    let args = with_program(args);
    let records = records(&args);
    let out = lines(&records, LANE, Shape::GoAudit, MAX_EVENT);
    assert_eq!(out.len(), 1);
    let (line, whole) = &out[0];
    assert!(*whole, "cut or truncated");
    let rebuilt: Vec<Vec<u8>> = rebuild_argv(&datas(line, 1309))
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    assert!(rebuilt == args);
}

#[test]
fn one_argument_of_128_kib_is_one_whole_line() {
    check_whole(arguments(1, 128 * 1024));
}

#[test]
fn fifteen_arguments_of_128_kib_are_one_whole_line() {
    check_whole(arguments(15, 128 * 1024));
}

#[test]
fn five_thousand_small_arguments_are_one_whole_line() {
    check_whole(arguments(5000, 4));
}

/// Above the room: one line, every non-EXECVE record whole, the first and
/// last arguments kept, and the marker counting exactly what went.
fn check_cut(args: Vec<Vec<u8>>, shape: Shape, room: usize, last_fits: bool) {
    let args = with_program(args);
    let records = records(&args);
    let out = lines(&records, MAX_EVENT, shape, room);
    assert_eq!(out.len(), 1, "one event, one line");
    let (line, whole) = &out[0];
    assert!(!whole);
    assert!(serde_json::to_vec(line).unwrap().len() <= room);
    assert!(line.get("truncated").is_none(), "records lost: {line}");
    let kept: Vec<Vec<u8>> = match shape {
        Shape::GoAudit => {
            let messages = line["messages"].as_array().unwrap();
            let others: Vec<(u16, &str)> = messages
                .iter()
                .filter(|m| m["type"] != 1309)
                .map(|m| {
                    (
                        m["type"].as_u64().unwrap() as u16,
                        m["data"].as_str().unwrap(),
                    )
                })
                .collect();
            let want: Vec<(u16, &str)> = records
                .iter()
                .filter(|(t, _)| *t != 1309)
                .map(|(t, b)| (*t, b.as_str()))
                .collect();
            assert_eq!(others, want);
            rebuild_argv(&datas(line, 1309))
                .into_iter()
                .map(|(_, a)| a)
                .collect()
        }
        Shape::Structured => {
            let list = line["records"].as_array().unwrap();
            assert_eq!(list.len(), 6);
            list[1]["argv"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().as_bytes().to_vec())
                .collect()
        }
        Shape::Ecs => panic!("the ECS shape has no marked cut"),
    };
    let lossy = |a: &Vec<u8>| String::from_utf8_lossy(a).into_owned().into_bytes();
    let originals: Vec<Vec<u8>> = match shape {
        Shape::GoAudit => args.clone(),
        Shape::Structured => args.iter().map(lossy).collect(),
        Shape::Ecs => panic!("the ECS shape has no marked cut"),
    };
    assert!(kept.first() == originals.first(), "first argument kept");
    assert!(
        !last_fits || kept.last() == originals.last(),
        "last argument kept"
    );
    // The kept ones are a head and a tail of the list; the rest is counted.
    let head = kept
        .iter()
        .zip(&originals)
        .take_while(|(a, b)| a == b)
        .count();
    let tail = kept.len() - head;
    assert!(originals[originals.len() - tail..] == kept[head..]);
    let dropped = &args[head..args.len() - tail];
    assert_eq!(line["cut"]["arguments"], dropped.len() as u64);
    let bytes: usize = dropped.iter().map(Vec::len).sum();
    assert_eq!(line["cut"]["bytes"], bytes as u64);
}

#[test]
fn above_the_cap_one_marked_line_keeps_every_other_record() {
    for shape in [Shape::GoAudit, Shape::Structured] {
        // The last argument (128 KiB) cannot fit 64 KiB: it goes too.
        check_cut(arguments(15, 128 * 1024), shape, 64 * 1024, false);
        check_cut(arguments(15, 8 * 1024), shape, 48 * 1024, true);
        check_cut(arguments(5000, 4), shape, 16 * 1024, true);
        let mut ends = arguments(3, 100 * 1024);
        ends.push(b"--last".to_vec());
        check_cut(ends, shape, 8 * 1024, true);
    }
}

#[test]
fn a_lane_too_small_keeps_the_records_after_the_arguments() {
    let args = with_program(arguments(4, 128 * 1024));
    let records = records(&args);
    let mut assembler = Assembler::with_lane(
        Settings::default(),
        vec![EventSlot::default(); 16],
        vec![RecordSlot::default(); 1024],
        vec![0u8; 128 * 1024],
        vec![0u8; 512 * 1024],
    );
    let mut out = vec![0u8; MAX_EVENT];
    let mut seen = Vec::new();
    for (t, body) in records.iter().chain(&[(1320u16, String::new())]) {
        let record = Record {
            msg_type: MessageType(*t),
            timestamp: Timestamp::default(),
            serial: 9,
            body: body.as_bytes(),
            node: None,
            enriched: None,
        };
        assembler.push(&record, Instant(0), &mut |e: &Event<'_>| {
            let encoded = Shape::GoAudit.encode(e, &mut NoEnrich, &mut out);
            seen.push(serde_json::from_slice::<Value>(&out[..encoded.len]).unwrap());
        });
    }
    assert_eq!(seen.len(), 1);
    let types: Vec<u64> = seen[0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_u64().unwrap())
        .filter(|&t| t != 1309)
        .collect();
    assert_eq!(types, [1300, 1307, 1302, 1302, 1327]);
    assert_eq!(seen[0]["truncated"], true, "records were dropped: marked");
    assert!(assembler.counters().dropped_records > 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Hostile splits: EXECVE bodies cut at random points, records in
    /// random order, tiny rooms: one event, valid JSON, no panic.
    #[test]
    fn hostile_splits_never_panic(
        cuts in proptest::collection::vec(0usize..20_000, 0..8),
        order in proptest::collection::vec(0usize..64, 0..64),
        room in 128usize..40_000,
        lane in 0usize..200_000,
    ) {
        let args = with_program(arguments(6, 9000));
        let joined: String = execve_bodies(&args).concat();
        let mut bodies = Vec::new();
        let mut at = 0;
        let mut points: Vec<usize> = cuts.iter().map(|c| c % joined.len().max(1)).collect();
        points.sort_unstable();
        for p in points {
            if p > at && joined.is_char_boundary(p) {
                bodies.push(joined[at..p].to_owned());
                at = p;
            }
        }
        bodies.push(joined[at..].to_owned());
        let mut records: Vec<(u16, String)> = bodies.into_iter().map(|b| (1309, b)).collect();
        records.push((1300, SYSCALL.to_owned()));
        records.extend(OTHERS.iter().map(|(t, b)| (*t, (*b).to_owned())));
        for (i, &j) in order.iter().enumerate() {
            let (a, b) = (i % records.len(), j % records.len());
            records.swap(a, b);
        }
        for shape in [Shape::GoAudit, Shape::Structured] {
            let mut assembler = Assembler::with_lane(
                Settings::default(),
                vec![EventSlot::default(); 4],
                vec![RecordSlot::default(); 64],
                vec![0u8; 16 * 1024],
                vec![0u8; lane],
            );
            let mut out = vec![0u8; room];
            let mut count = 0;
            for (t, body) in records.iter().chain(&[(1320u16, String::new())]) {
                let record = Record {
                    msg_type: MessageType(*t),
                    timestamp: Timestamp::default(),
                    serial: 3,
                    body: body.as_bytes(),
                    node: None,
                    enriched: None,
                };
                assembler.push(&record, Instant(0), &mut |e: &Event<'_>| {
                    let encoded = shape.encode(e, &mut NoEnrich, &mut out);
                    assert!(encoded.len <= room);
                    serde_json::from_slice::<Value>(&out[..encoded.len]).unwrap();
                    count += 1;
                });
            }
            prop_assert_eq!(count, 1);
        }
    }
}

#[test]
fn a_binary_argv_cut_in_the_structured_shape_still_fills_its_room() {
    // Each byte of these arguments is written as U+FFFD (3 bytes): the
    // plan's first guess overflows and the search finds what fits.
    let args = with_program((0..20).map(|_| vec![0xffu8; 2000]).collect());
    let records = records(&args);
    let room = 32 * 1024;
    let out = lines(&records, MAX_EVENT, Shape::Structured, room);
    let (line, whole) = &out[0];
    assert!(!whole);
    let size = serde_json::to_vec(line).unwrap().len();
    let argv = line["records"][1]["argv"].as_array().unwrap();
    assert!(size > room * 3 / 4, "{size} of {room}: room left unused");
    assert_eq!(argv.first().unwrap(), "/bin/prog");
    assert_eq!(argv.last().unwrap().as_str().unwrap().chars().count(), 2000);
    assert_eq!(line["cut"]["arguments"], (21 - argv.len()) as u64);
}

/// The support module's own check (here only, not in every test binary
/// that includes it: the counting-allocator test must run alone).
#[test]
fn bodies_rebuild_to_the_same_arguments() {
    for (count, len) in [(3, 5), (2, 200_000), (15, 131_072), (5000, 3), (1, 0)] {
        let mut args = execve::arguments(count, len);
        args.insert(0, b"/bin/prog".to_vec());
        let bodies = execve::execve_bodies(&args);
        assert!(bodies
            .iter()
            .all(|b| b.len() <= execve::MAX_EXECVE_AUDIT_LEN + 200));
        let rebuilt: Vec<Vec<u8>> = execve::rebuild_argv(&bodies)
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        assert_eq!(rebuilt, args, "{count} x {len}");
    }
}

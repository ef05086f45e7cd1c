//! Tests of the side region: facts from the SYSCALL record, cut versions, garbage read as nothing.

use raudit_core::assemble::{Assembler, EventSlot, RecordSlot, Settings};
use raudit_core::record::Record;
use raudit_core::time::Instant;

use super::*;

/// The side bytes `write_facts` gives for one event of these records.
fn facts_of(records: &[(u16, &str)], offset: usize) -> Vec<u8> {
    let mut assembler = Assembler::new(
        Settings::default(),
        [EventSlot::default(); 4],
        [RecordSlot::default(); 16],
        [0u8; 4096],
    );
    let mut out = vec![0u8; FACTS_ROOM];
    let mut used = None;
    for (msg_type, body) in records {
        let payload = format!("audit(1700000000.042:77): {body}");
        let record = Record::from_kernel(MessageType(*msg_type), payload.as_bytes()).unwrap();
        assembler.push(&record, Instant(0), &mut |event| {
            used = write_facts(event, offset, &mut out);
        });
    }
    assembler.flush(&mut |event| {
        used = write_facts(event, offset, &mut out);
    });
    out.truncate(used.expect("the event completed"));
    out
}

#[test]
fn facts_come_from_the_syscall_record_decoded() {
    let side = facts_of(
        &[
            (
                1300,
                "arch=c000003e syscall=59 success=no exit=-2 pid=4321 auid=1000 uid=0 \
                 comm=\"ls\" exe=2F746D702F6120622F6C73 key=(null)",
            ),
            (1320, ""),
        ],
        40,
    );
    let mut reader = SideReader::new(&side);
    assert_eq!(reader.clone().line(0), LineSide::default());
    let facts = reader.line(40).facts.unwrap();
    assert_eq!(
        facts,
        Facts {
            sequence: 77,
            seconds: 1_700_000_000,
            millis: 42,
            syscall: Some(59),
            success: Some(false),
            auid: Some(1000),
            uid: Some(0),
            pid: Some(4321),
            key: None,
            exe: Some(b"/tmp/a b/ls"),
            comm: Some(b"ls"),
        }
    );
    assert_eq!(reader.line(41), LineSide::default());
}

#[test]
fn an_event_without_syscall_has_only_sequence_and_time() {
    let side = facts_of(&[(1307, "cwd=\"/\""), (1320, "")], 0);
    let facts = SideReader::new(&side).line(0).facts.unwrap();
    assert_eq!(facts.sequence, 77);
    assert_eq!((facts.syscall, facts.key, facts.exe), (None, None, None));
}

#[test]
fn cut_lines_and_facts_of_several_lines_are_found_in_order() {
    let mut side = facts_of(&[(1300, "syscall=2 key=\"k\""), (1320, "")], 0);
    let mut cut = vec![0u8; 64];
    let space = cut_space(&mut cut).unwrap();
    space[..6].copy_from_slice(b"{\"c\"}\n");
    let used = finish_cut(&mut cut, 100, 6).unwrap();
    side.extend_from_slice(&cut[..used]);
    let mut reader = SideReader::new(&side);
    let first = reader.line(0);
    assert_eq!(first.facts.unwrap().key, Some(&b"k"[..]));
    assert_eq!(first.cut, None);
    let second = reader.line(100);
    assert_eq!(second.cut, Some(&b"{\"c\"}\n"[..]));
    assert_eq!(second.facts, None);
}

#[test]
fn too_little_room_writes_nothing_and_garbage_reads_as_nothing() {
    let mut assembler = Assembler::new(
        Settings::default(),
        [EventSlot::default(); 4],
        [RecordSlot::default(); 16],
        [0u8; 4096],
    );
    let record = Record::from_kernel(
        MessageType(1112),
        b"audit(1700000000.042:77): pid=1 msg='x'",
    )
    .unwrap();
    let mut small = [0u8; HEADER + FIXED];
    assembler.push(&record, Instant(0), &mut |event| {
        assert_eq!(write_facts(event, 0, &mut small), None);
    });
    for garbage in [&[1u8, 2, 3][..], &[0, 0, 0, 0, 1, 255, 255, 255, 255, 0]] {
        assert_eq!(SideReader::new(garbage).line(0), LineSide::default());
    }
}

#[test]
fn the_first_of_a_repeated_field_wins_and_order_does_not_matter() {
    let side = facts_of(
        &[
            (
                1300,
                "key=\"first\" comm=\"a\" uid=5 syscall=x success=maybe syscall=2 uid=6 \
                 key=\"second\" exe=\"/bin/a\" comm=\"b\" auid=7 pid=8",
            ),
            (1320, ""),
        ],
        0,
    );
    let facts = SideReader::new(&side).line(0).facts.unwrap();
    // As `field` finds them: the first `syscall=` is not a number.
    assert_eq!(facts.syscall, None);
    assert_eq!(facts.success, None);
    assert_eq!(
        (facts.auid, facts.uid, facts.pid),
        (Some(7), Some(5), Some(8))
    );
    assert_eq!(facts.key, Some(&b"first"[..]));
    assert_eq!(facts.exe, Some(&b"/bin/a"[..]));
    assert_eq!(facts.comm, Some(&b"a"[..]));
}

/// The kernel's SYSCALL record, as fields.
const KERNEL_FIELDS: [(&str, &str); 25] = [
    ("arch", "c000003e"),
    ("syscall", "59"),
    ("success", "yes"),
    ("exit", "0"),
    ("a0", "55d0c1f0"),
    ("a1", "7ffe978ce550"),
    ("a2", "c"),
    ("a3", "10"),
    ("items", "2"),
    ("ppid", "18880"),
    ("pid", "18882"),
    ("auid", "4294967295"),
    ("uid", "0"),
    ("gid", "0"),
    ("euid", "0"),
    ("suid", "0"),
    ("fsuid", "0"),
    ("egid", "0"),
    ("sgid", "0"),
    ("fsgid", "0"),
    ("tty", "(none)"),
    ("ses", "4294967295"),
    ("comm", "\"ls\""),
    ("exe", "\"/usr/bin/ls\""),
    ("key", "\"exec\""),
];

/// Keys an edit may put anywhere: the facts' own, others, and the empty.
const EDIT_KEYS: [&str; 10] = [
    "syscall", "success", "pid", "auid", "uid", "key", "exe", "comm", "per", "",
];

/// Values an edit may put anywhere: short and long, bare, quoted (closed
/// or not), single-quoted, hex, the kernel's markers, empty.
const EDIT_VALUES: [&str; 12] = [
    "7",
    "-2",
    "no",
    "123456789012345678",
    "\"q\"",
    "\"open",
    "'s q'",
    "2F746D70",
    "?",
    "(null)",
    "",
    "\"a b\"",
];

/// One edit of the field list.
#[derive(Clone, Debug)]
enum Edit {
    Value(usize, usize),
    Key(usize, usize),
    Remove(usize),
    Repeat(usize),
    Insert(usize, usize, usize),
    TwoSpaces(usize),
    Truncate(usize),
}

fn edit() -> impl proptest::strategy::Strategy<Value = Edit> {
    use proptest::prelude::*;
    prop_oneof![
        (0..26usize, 0..EDIT_VALUES.len()).prop_map(|(i, v)| Edit::Value(i, v)),
        (0..26usize, 0..EDIT_KEYS.len()).prop_map(|(i, k)| Edit::Key(i, k)),
        (0..26usize).prop_map(Edit::Remove),
        (0..26usize).prop_map(Edit::Repeat),
        (0..26usize, 0..EDIT_KEYS.len(), 0..EDIT_VALUES.len())
            .prop_map(|(i, k, v)| Edit::Insert(i, k, v)),
        (0..26usize).prop_map(Edit::TwoSpaces),
        (0..400usize).prop_map(Edit::Truncate),
    ]
}

/// The kernel's record with `edits` applied.
fn edited(edits: &[Edit]) -> Vec<u8> {
    let mut fields: Vec<(String, String, &str)> = KERNEL_FIELDS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string(), " "))
        .collect();
    let mut cut = None;
    for e in edits {
        let n = fields.len().max(1);
        match *e {
            Edit::Value(i, v) => {
                if let Some(f) = fields.get_mut(i % n) {
                    f.1 = EDIT_VALUES[v].to_string();
                }
            }
            Edit::Key(i, k) => {
                if let Some(f) = fields.get_mut(i % n) {
                    f.0 = EDIT_KEYS[k].to_string();
                }
            }
            Edit::Remove(i) => {
                if !fields.is_empty() {
                    fields.remove(i % n);
                }
            }
            Edit::Repeat(i) => {
                if let Some(f) = fields.get(i % n).cloned() {
                    fields.insert(i % n, f);
                }
            }
            Edit::Insert(i, k, v) => fields.insert(
                i % (fields.len() + 1),
                (EDIT_KEYS[k].to_string(), EDIT_VALUES[v].to_string(), " "),
            ),
            Edit::TwoSpaces(i) => {
                if let Some(f) = fields.get_mut(i % n) {
                    f.2 = "  ";
                }
            }
            Edit::Truncate(at) => cut = Some(at),
        }
    }
    let mut body = Vec::new();
    for (i, (k, v, sep)) in fields.iter().enumerate() {
        if i > 0 {
            body.extend_from_slice(sep.as_bytes());
        }
        body.extend_from_slice(k.as_bytes());
        body.push(b'=');
        body.extend_from_slice(v.as_bytes());
    }
    if let Some(at) = cut {
        body.truncate(at);
    }
    body
}

#[test]
fn the_kernels_record_is_read_by_its_layout_as_the_grammar_reads_it() {
    let body = edited(&[]);
    assert!(prefix::SYSCALL.read(&body).is_some(), "the layout read");
    let fields = syscall_fields(&body);
    assert_eq!(fields, syscall_fields_read_whole(&body));
    assert_eq!(fields.syscall, Some(Value::Bare(b"59")));
    assert_eq!(fields.key, Some(Value::DoubleQuoted(b"exec")));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

    /// Whatever the record (the kernel's, edited: keys, values, places,
    /// spaces, cut short), the facts read with the prefix by layout are
    /// those every field read by the grammar gives.
    #[test]
    fn facts_by_layout_are_the_grammars(edits in proptest::collection::vec(edit(), 0..4)) {
        let body = edited(&edits);
        proptest::prop_assert_eq!(
            syscall_fields(&body),
            syscall_fields_read_whole(&body),
            "{}",
            String::from_utf8_lossy(&body)
        );
    }
}

/// An `exe` the kernel hex-encoded (a space in it) and longer than
/// MAX_STRING once decoded: GELF's `_exe` (and OTLP's attribute) is the
/// path's first MAX_STRING bytes, not its hex digits.
#[test]
fn a_long_hex_encoded_exe_is_decoded_and_cut_not_left_in_hex() {
    let path: Vec<u8> = b"/tmp/a b/"
        .iter()
        .copied()
        .chain(std::iter::repeat_n(b'x', 1500))
        .collect();
    let hex: String = path.iter().map(|b| format!("{b:02X}")).collect();
    let body = format!("arch=c000003e syscall=59 success=yes pid=1 uid=0 comm=\"x\" exe={hex}");
    let side = facts_of(&[(1300, &body), (1320, "")], 0);
    let facts = SideReader::new(&side).line(0).facts.unwrap();
    assert_eq!(facts.exe, Some(&path[..MAX_STRING]));
}

/// A value cut at MAX_STRING inside a UTF-8 character loses the torn
/// character, not the text before it: no U+FFFD at the end of `_exe`.
#[test]
fn a_cut_value_ends_at_a_whole_character() {
    let mut path = b"/tmp/a b/".to_vec();
    while path.len() < 1100 {
        path.extend_from_slice("\u{20ac}".as_bytes());
    }
    let hex: String = path.iter().map(|b| format!("{b:02X}")).collect();
    let quoted: String = String::from_utf8(path[..].to_vec())
        .unwrap()
        .replace(' ', "_");
    let body = format!(
        "arch=c000003e syscall=59 success=yes pid=1 uid=0 comm=\"x\" exe={hex} key=\"{quoted}\""
    );
    let side = facts_of(&[(1300, &body), (1320, "")], 0);
    let facts = SideReader::new(&side).line(0).facts.unwrap();
    for value in [facts.exe.unwrap(), facts.key.unwrap()] {
        let text = std::str::from_utf8(value).expect("whole characters");
        assert!(value.len() > MAX_STRING - 3 && value.len() <= MAX_STRING);
        assert!(text.ends_with('\u{20ac}'), "{text}");
    }
}

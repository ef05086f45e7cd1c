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

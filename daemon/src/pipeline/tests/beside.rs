//! Unit tests of what goes beside the lines: the facts in the buffer's
//! side region, a line's cut version, and new readers and side settings
//! taking effect from the next buffer.

use super::*;
use crate::queue::Reader;
use crate::side::{LineSide, SideReader};

/// One line and what its buffer's side region holds for it: the facts'
/// sequence and key, the cut version.
type Beside = (Vec<u8>, Option<(u32, Option<Vec<u8>>)>, Option<Vec<u8>>);

fn run_beside(input: Vec<Vec<u8>>, size: usize, side: SideSettings, format: Format) -> Vec<Beside> {
    let queue = Queue::with_outputs(8, size, Policy::Drop, 1, side.bytes_per_buffer(size));
    let stats = Arc::new(Stats::new(&[]));
    let settings = Settings {
        batch: 128,
        side,
        format,
        ..Settings::default()
    };
    let mut pipeline = memory_pipeline(input, settings, &queue, &stats);
    let reader = queue.reader(0);
    let mut lines = Vec::new();
    let mut collect = |reader: &Reader| {
        lines.extend(read_beside(reader, |line, beside| {
            (
                line.to_vec(),
                beside
                    .facts
                    .map(|f| (f.sequence, f.key.map(<[u8]>::to_vec))),
                beside.cut.map(<[u8]>::to_vec),
            )
        }));
    };
    while pipeline.step(Some(Duration::ZERO)).unwrap() != Input::Ended {
        collect(&reader);
    }
    pipeline.finish(Duration::ZERO, Duration::ZERO).unwrap();
    collect(&reader);
    lines
}

/// `each` of the lines in the buffers `reader` finds filled, with what its
/// buffer's side region holds for it; the buffers released.
fn read_beside<T>(reader: &Reader, mut each: impl FnMut(&[u8], LineSide<'_>) -> T) -> Vec<T> {
    let mut found = Vec::new();
    while let Some(filled) = reader.next() {
        let mut sides = SideReader::new(filled.side());
        let mut offset = 0;
        for line in filled.bytes().split_inclusive(|&b| b == b'\n') {
            found.push(each(line, sides.line(offset)));
            offset += line.len();
        }
        reader.release(filled);
    }
    found
}

#[test]
fn facts_go_beside_every_line_when_an_output_reads_them() {
    let body = "arch=c000003e syscall=59 success=yes pid=1 key=\"exec\"";
    let side = SideSettings {
        facts: true,
        cut_limit: None,
    };
    // The same facts whatever the line's shape.
    for format in [Format::GoAudit, Format::Structured] {
        let lines = run_beside(events(1..41, body), 2048, side, format);
        assert_eq!(lines.len(), 40);
        for (i, (line, facts, cut)) in lines.iter().enumerate() {
            let v: serde_json::Value = serde_json::from_slice(line).unwrap();
            assert_eq!(v["sequence"], i as u64 + 1);
            assert_eq!(facts, &Some((i as u32 + 1, Some(b"exec".to_vec()))));
            assert_eq!(cut, &None);
        }
    }
    // Without an output that reads them, the side region stays untouched.
    let lines = run_beside(
        events(1..3, body),
        2048,
        SideSettings::default(),
        Format::GoAudit,
    );
    assert!(lines
        .iter()
        .all(|(_, facts, cut)| facts.is_none() && cut.is_none()));
}

#[test]
fn a_line_over_the_transport_limit_gets_a_marked_cut_version_that_fits() {
    let side = SideSettings {
        facts: false,
        cut_limit: Some(600),
    };
    let mut input = Vec::new();
    // An event of many records, larger than the limit, between two small.
    input.extend(events(1..2, "syscall=59 small=1"));
    input.push(datagram(
        1300,
        2,
        "arch=c000003e syscall=59 success=yes pid=2",
    ));
    for i in 0..20 {
        input.push(datagram(
            1302,
            2,
            &format!("item={i} name=\"/usr/lib/{}\"", "p".repeat(40)),
        ));
    }
    input.push(datagram(1320, 2, ""));
    input.extend(events(3..4, "syscall=59 small=3"));
    let lines = run_beside(input, 8192, side, Format::GoAudit);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].2, None);
    assert_eq!(lines[2].2, None);
    let (whole, _, cut) = &lines[1];
    assert!(whole.len() > 600);
    let whole: serde_json::Value = serde_json::from_slice(whole).unwrap();
    assert!(whole.get("truncated").is_none());
    assert_eq!(whole["messages"].as_array().unwrap().len(), 21);
    let cut = cut.as_ref().expect("a cut version beside the long line");
    assert!(cut.len() <= 600 && cut.ends_with(b"\n"));
    let cut: serde_json::Value = serde_json::from_slice(cut).unwrap();
    assert_eq!(cut["truncated"], true);
    assert_eq!(cut["sequence"], 2);
    assert_eq!(cut["messages"][0]["type"], 1300);
}

#[test]
fn the_cut_beside_a_large_line_keeps_every_record_but_middle_arguments() {
    // A GELF-over-UDP-sized limit; the event goes whole through the large
    // buffer, its cut version beside it in the large buffer's side region.
    let mut args = execve::arguments(15, 16 * 1024);
    args.insert(0, b"/bin/x".to_vec());
    let side = SideSettings {
        facts: true,
        cut_limit: Some(64 * 1024),
    };
    let max = super::LARGEST_EXECVE_LINE as usize;
    let queue = Queue::with_layout(crate::queue::Layout {
        side_size: side.bytes_per_buffer(16 * 1024),
        large_size: max + 1,
        large_side_size: side.bytes_per_buffer(max + 1),
        ..crate::queue::Layout::pool(4, 16 * 1024, Policy::Drop)
    });
    let settings = Settings {
        batch: 128,
        side,
        ..Settings::default()
    };
    let mut input = events(1..2, "small=1");
    input.extend(execve_event(2, &args));
    let mut pipeline = memory_pipeline(input, settings, &queue, &Arc::new(Stats::new(&[])));
    run_to_end(&mut pipeline);
    let found = read_beside(&queue.reader(0), |line, beside| {
        (
            line.to_vec(),
            beside.facts.map(|f| f.sequence),
            beside.cut.map(<[u8]>::to_vec),
        )
    });
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].1, Some(1));
    assert_eq!(found[0].2, None, "a short line needs no cut");
    let (whole, sequence, cut) = &found[1];
    assert_eq!(*sequence, Some(2));
    let whole: serde_json::Value = serde_json::from_slice(whole).unwrap();
    assert!(whole.get("cut").is_none() && whole.get("truncated").is_none());
    let cut = cut.as_ref().expect("a cut version beside the large line");
    assert!(cut.len() <= 64 * 1024 && cut.ends_with(b"\n"));
    let cut: serde_json::Value = serde_json::from_slice(cut).unwrap();
    assert!(
        cut["cut"]["arguments"].as_u64().unwrap() > 0,
        "{}",
        cut["cut"]
    );
    assert!(cut.get("truncated").is_none(), "every record kept");
    let types: Vec<u64> = cut["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_u64().unwrap())
        .collect();
    for kept in [1300, 1307, 1302] {
        assert!(
            types.contains(&kept),
            "{kept} missing from the cut: {types:?}"
        );
    }
}

#[test]
fn new_readers_and_side_settings_apply_from_the_next_buffer() {
    // One event per receive: the reload's update comes between the two.
    let body = format!("arch=c000003e syscall=59 comm=\"{}\"", "x".repeat(600));
    let input = events(1..3, &body);
    let limited = SideSettings {
        facts: false,
        cut_limit: Some(300),
    };
    let queue = Queue::with_outputs(
        8,
        64 * 1024,
        Policy::Drop,
        2,
        limited.bytes_per_buffer(64 * 1024),
    );
    queue.set_readers(0b01);
    let settings = Settings {
        batch: 2,
        ..Settings::default()
    };
    let update = Arc::clone(&settings.outputs_update);
    let mut pipeline = memory_pipeline(input, settings, &queue, &Arc::new(Stats::new(&["a", "b"])));
    assert!(matches!(
        pipeline.step(Some(Duration::ZERO)).unwrap(),
        Input::Datagrams(2)
    ));
    // A second output, with a transport limit: cut versions from now on.
    update.offer((0b11, limited));
    run_to_end(&mut pipeline);
    let read = |output: usize| {
        read_beside(&queue.reader(output), |line, beside| {
            let value: serde_json::Value = serde_json::from_slice(line).unwrap();
            (value["sequence"].as_u64().unwrap(), beside.cut.is_some())
        })
    };
    // The first output: both events, the cut only beside the second; the
    // new one: the second alone.
    assert_eq!(read(0), [(1, false), (2, true)]);
    assert_eq!(read(1), [(2, true)]);
}

//! Tests of rewriting between assembly and encoding: redaction and kept fields in every shape.

use raudit_core::assemble::{Assembler, EventSlot, RecordSlot, Settings};
use raudit_core::encode::{NoEnrich, Shape};
use raudit_core::record::Record;
use raudit_core::time::Instant;

use super::*;

const SHAPES: [Shape; 3] = [Shape::GoAudit, Shape::Structured, Shape::Ecs];

/// Each shape's line for the event of `records`, rewritten by `spec`, and
/// whether the rewriter changed it.
fn lines(spec: RewriteSpec, records: &[(u16, String)]) -> (Vec<String>, bool, RewriteCounts) {
    let mut assembler = Assembler::new(
        Settings::default(),
        vec![EventSlot::default(); 4],
        vec![RecordSlot::default(); 64],
        vec![0u8; 1 << 18],
    );
    let mut rewriter = Rewriter::new(spec);
    let mut out = Vec::new();
    let mut changed = false;
    let mut emit = |event: &Event<'_>| {
        let rebuilt = rewriter.apply(event);
        changed = rebuilt.is_some();
        let event = rebuilt.as_ref().unwrap_or(event);
        for shape in SHAPES {
            let mut buffer = vec![0u8; 1 << 18];
            let encoded = shape.encode(event, &mut NoEnrich, &mut buffer);
            assert!(encoded.is_whole());
            let line = String::from_utf8(buffer[..encoded.len].to_vec()).unwrap();
            serde_json::from_str::<serde_json::Value>(&line).expect("valid JSON");
            out.push(line);
        }
    };
    for (msg_type, body) in records {
        let payload = format!("audit(1700000000.042:77): {body}");
        let record = Record::from_kernel(MessageType(*msg_type), payload.as_bytes()).unwrap();
        assembler.push(&record, Instant(0), &mut emit);
    }
    assembler.flush(&mut emit);
    (out, changed, rewriter.counts())
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02X}")).collect()
}

fn password_spec() -> RewriteSpec {
    RewriteSpec {
        redactions: vec![Redaction::new(r"(--password=)\S+", "${1}<redacted>").unwrap()],
        fields: Vec::new(),
    }
}

/// An `execve` of `mysql --password=hunter2 …`, the secret in a quoted
/// argument, a hex one (it has a space), a long one split over two
/// records (the secret across the pieces) and the proctitle.
fn secret_event() -> Vec<(u16, String)> {
    let filler = "x".repeat(9000);
    let long = format!("{filler}--password=hunter2-long");
    let (piece0, piece1) = long.split_at(filler.len() + 6); // "--pass" | "word=…"
    vec![
        (
            1300,
            "arch=c000003e syscall=59 success=yes exit=0 pid=10 uid=0 comm=\"mysql\" \
             exe=\"/usr/bin/mysql\" key=(null)"
                .into(),
        ),
        (
            1309,
            format!(
                "argc=4 a0=\"mysql\" a1=\"--password=hunter2\" a2={} a3_len={} a3[0]=\"{piece0}\"",
                hex("--password=hunter2 spaced"),
                long.len()
            ),
        ),
        (1309, format!("a3[1]=\"{piece1}\"")),
        (
            1302,
            "item=0 name=\"/usr/bin/mysql\" inode=5 nametype=NORMAL".into(),
        ),
        (
            1327,
            format!("proctitle={}", hex("mysql\0--password=hunter2\0-h\0db")),
        ),
        (1320, String::new()),
    ]
}

#[test]
fn a_password_is_in_no_shape_after_redaction() {
    let (lines, changed, counts) = lines(password_spec(), &secret_event());
    assert!(changed);
    assert_eq!(counts.events_redacted, 1);
    assert_eq!(counts.redactions, 4, "a1, a2, a3 and the proctitle");
    for line in &lines {
        assert!(!line.contains("hunter2"), "{line}");
        assert!(!line.contains(&hex("hunter2")), "{line}");
        assert!(line.contains("\"redacted\":4"), "{line}");
    }
    // go-audit's raw text: the arguments written again as the kernel
    // writes them, the other records untouched.
    let go = &lines[0];
    assert!(
        go.contains(r#"argc=4 a0=\"mysql\" a1=\"--password=<redacted>\" a2="#),
        "{go}"
    );
    assert!(go.contains(&hex("--password=<redacted> spaced")), "{go}");
    // A long argument in hex pieces, its length as encoded.
    assert!(go.contains(r#"a3_len=18042 a3[0]=787878"#), "{go}");
    assert!(
        go.contains(&hex("mysql\0--password=<redacted>\0-h\0db")),
        "{go}"
    );
    assert!(
        go.contains(r#"comm=\"mysql\" exe=\"/usr/bin/mysql\""#),
        "{go}"
    );
    // The structured shape decodes the rewritten argv.
    assert!(
        lines[1].contains("xx--password=<redacted>\""),
        "{}",
        lines[1]
    );
}

#[test]
fn without_a_match_the_event_goes_out_untouched() {
    let records = vec![
        (1309, "argc=2 a0=\"ls\" a1=\"-l\"".to_string()),
        (1327, format!("proctitle={}", hex("ls\0-l"))),
        (1320, String::new()),
    ];
    let (lines, changed, counts) = lines(password_spec(), &records);
    assert!(!changed);
    assert_eq!(counts, RewriteCounts::default());
    assert!(lines.iter().all(|l| !l.contains("redacted")));
}

#[test]
fn fields_dropped_or_kept_per_record_type() {
    let spec = RewriteSpec {
        redactions: Vec::new(),
        fields: vec![
            FieldRule {
                msg_type: 1300,
                keys: ["a0", "a1", "a2", "a3"]
                    .map(|k| k.as_bytes().to_vec())
                    .to_vec(),
                keep: false,
            },
            FieldRule {
                msg_type: 1302,
                keys: ["name", "inode"].map(|k| k.as_bytes().to_vec()).to_vec(),
                keep: true,
            },
        ],
    };
    let records = vec![
        (
            1300,
            "arch=c000003e syscall=2 success=yes a0=7ffd a1=0 a2=1b6 a3=0 pid=3 comm=\"cat\""
                .into(),
        ),
        (
            1302,
            "item=0 name=\"/etc/shadow\" inode=42 dev=fd:00 mode=0100640".into(),
        ),
        (1320, String::new()),
    ];
    let (lines, changed, counts) = lines(spec, &records);
    assert!(changed);
    assert_eq!(counts.fields_dropped, 4 + 3);
    let go = &lines[0];
    assert!(
        go.contains(r#""data":"arch=c000003e syscall=2 success=yes pid=3 comm=\"cat\"""#),
        "{go}"
    );
    assert!(
        go.contains(r#""data":"name=\"/etc/shadow\" inode=42""#),
        "{go}"
    );
    assert!(!lines[1].contains("\"a0\""), "{}", lines[1]);
    assert!(!lines[1].contains("dev"), "{}", lines[1]);
    assert!(lines.iter().all(|l| !l.contains("redacted")));
}

/// A multi-megabyte argument is redacted whole; the buffers it grew go
/// back to `KEEP_BYTES` before the next event.
#[test]
fn a_large_event_does_not_stay_resident() {
    let mut assembler = Assembler::new(
        Settings::default(),
        vec![EventSlot::default(); 4],
        vec![RecordSlot::default(); 2048],
        vec![0u8; 16 << 20],
    );
    let mut rewriter = Rewriter::new(password_spec());
    let big = format!("{}--password=hunter2", "y".repeat(3 << 20));
    let pieces: Vec<&str> = big
        .as_bytes()
        .chunks(7000)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let mut bodies = vec![(
        1309u16,
        format!("argc=1 a0_len={} a0[0]=\"{}\"", big.len(), pieces[0]),
    )];
    for (i, piece) in pieces.iter().enumerate().skip(1) {
        bodies.push((1309, format!("a0[{i}]=\"{piece}\"")));
    }
    bodies.push((1320, String::new()));
    let mut seen = 0;
    let mut emit = |event: &Event<'_>| {
        let rebuilt = rewriter.apply(event).expect("redacted");
        assert_eq!(rebuilt.redacted(), 1);
        let tail = rebuilt
            .records()
            .filter(|r| r.msg_type.0 == 1309)
            .last()
            .unwrap();
        assert!(tail.body.ends_with(hex("--password=<redacted>").as_bytes()));
        seen += 1;
    };
    for (msg_type, body) in &bodies {
        let payload = format!("audit(1700000000.042:78): {body}");
        let record = Record::from_kernel(MessageType(*msg_type), payload.as_bytes()).unwrap();
        assembler.push(&record, Instant(0), &mut emit);
    }
    assembler.flush(&mut emit);
    assert_eq!(seen, 1);
    assert!(rewriter.rebuilt.bytes.capacity() > KEEP_BYTES);
    // The next event that is rewritten gives the memory back first.
    let title = format!("proctitle={}", hex("ls\0--password=x"));
    let payload = format!("audit(1700000000.042:79): {title}");
    let record = Record::from_kernel(MessageType(1327), payload.as_bytes()).unwrap();
    let mut small = 0;
    let mut emit = |event: &Event<'_>| {
        small += u32::from(rewriter.apply(event).is_some());
    };
    assembler.push(&record, Instant(0), &mut emit);
    assembler.flush(&mut emit);
    assert_eq!(small, 1);
    for capacity in [
        rewriter.rebuilt.bytes.capacity(),
        rewriter.scratch.bytes.capacity(),
        rewriter.args.capacity(),
        rewriter.title.capacity(),
        rewriter.work.capacity(),
        rewriter.other.capacity(),
    ] {
        assert!(capacity <= KEEP_BYTES, "{capacity}");
    }
}

/// A PROCTITLE record before the EXECVE records (not the kernel's order,
/// but nothing depends on it): both redacted, neither spoiling the other.
#[test]
fn proctitle_first_does_not_spoil_the_arguments() {
    let records = vec![
        (1327, format!("proctitle={}", hex("ls\0--password=abc"))),
        (1309, "argc=2 a0=\"ls\" a1=\"--password=abc\"".to_string()),
        (1320, String::new()),
    ];
    let (lines, changed, counts) = lines(password_spec(), &records);
    assert!(changed);
    assert_eq!(counts.redactions, 2);
    let go = &lines[0];
    assert!(
        go.contains(r#"argc=2 a0=\"ls\" a1=\"--password=<redacted>\""#),
        "{go}"
    );
    assert!(go.contains(&hex("ls\0--password=<redacted>")), "{go}");
}

/// An argument longer than the event's room: the assembler keeps the
/// first EXECVE records, drops those that no longer fit, and keeps the
/// small last one (it still fits). With `--password=` in a dropped piece
/// and the secret in the kept last one, the pieces joined around the gap
/// would not match: the argument is withheld whole instead, in every
/// shape, and counted.
#[test]
fn an_argument_with_pieces_missing_is_withheld_whole() {
    // As the kernel lays out an argument of more than 7500 bytes: hex,
    // in pieces of about 3700 bytes, one record each.
    const PIECE: usize = 3700;
    let arg = format!("{}--password=hunter2", "x".repeat(19 * PIECE - 11));
    let pieces: Vec<&[u8]> = arg.as_bytes().chunks(PIECE).collect();
    assert_eq!(pieces.last().unwrap(), b"hunter2");
    let hexed = |b: &[u8]| b.iter().map(|b| format!("{b:02X}")).collect::<String>();
    let mut records = vec![(
        1300u16,
        "arch=c000003e syscall=59 success=yes exit=0 pid=10 uid=0 comm=\"tool\" \
         exe=\"/usr/bin/tool\" key=(null)"
            .to_string(),
    )];
    for (i, piece) in pieces.iter().enumerate() {
        let body = if i == 0 {
            format!(
                "argc=3 a0=\"tool\" a1_len={} a1[0]={}",
                2 * arg.len(),
                hexed(piece)
            )
        } else {
            format!("a1[{i}]={}", hexed(piece))
        };
        records.push((1309, body));
    }
    records.push((1309, "a2=\"--verbose\"".to_string()));
    records.push((
        1327,
        format!("proctitle={}", hex(&format!("tool\0{}", &arg[..123]))),
    ));
    records.push((1320, String::new()));
    let mut assembler = Assembler::new(
        Settings::default(),
        vec![EventSlot::default(); 4],
        vec![RecordSlot::default(); 64],
        vec![0u8; 1 << 18],
    );
    let mut rewriter = Rewriter::new(password_spec());
    let mut lines = Vec::new();
    let mut emit = |event: &Event<'_>| {
        assert!(event.dropped_records() > 0, "the records that did not fit");
        let rebuilt = rewriter.apply(event);
        let event = rebuilt.as_ref().unwrap_or(event);
        assert_eq!(event.redacted(), 1, "the argument withheld, counted once");
        for shape in SHAPES {
            let mut buffer = vec![0u8; 1 << 18];
            let encoded = shape.encode(event, &mut NoEnrich, &mut buffer);
            lines.push(String::from_utf8(buffer[..encoded.len].to_vec()).unwrap());
        }
    };
    for (msg_type, body) in &records {
        let payload = format!("audit(1700000000.042:80): {body}");
        let record = Record::from_kernel(MessageType(*msg_type), payload.as_bytes()).unwrap();
        assembler.push(&record, Instant(0), &mut emit);
    }
    assembler.flush(&mut emit);
    assert_eq!(lines.len(), 3);
    for (shape, line) in ["go-audit", "structured", "ecs"].iter().zip(&lines) {
        for secret in ["hunter2".to_string(), hex("hunter2")] {
            assert!(!line.contains(&secret), "{shape} writes the secret: {line}");
        }
        // The other arguments are as they were.
        assert!(
            line.contains("--verbose") || line.contains(&hex("--verbose")),
            "{shape}: {line}"
        );
    }
    let go_audit: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let execve = go_audit["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] == 1309)
        .unwrap()["data"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(execve.contains("a1=\"<redacted>\""), "{execve}");
}

/// Its last pieces dropped (fewer bytes than `aN_len` says, in an event
/// cut short) is missing pieces too; all of them kept is whole, and
/// redacted as usual.
#[test]
fn an_argument_short_of_its_declared_length_is_incomplete_only_when_cut_short() {
    let whole = Gathering {
        declared: Some(20),
        ..Gathering::new(1, 0)
    };
    assert!(!whole.incomplete(10, true), "10 bytes, 20 hex digits");
    assert!(whole.incomplete(9, true), "a piece short");
    assert!(
        !whole.incomplete(9, false),
        "records not cut: as the kernel wrote it"
    );
    let mut gap = Gathering::new(1, 0);
    gap.piece(0);
    gap.piece(2);
    assert!(gap.incomplete(10, false));
    let mut late = Gathering::new(1, 0);
    late.piece(3);
    assert!(late.incomplete(10, false), "its first pieces missing");
}

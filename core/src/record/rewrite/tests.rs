//! Tests of bodies written again as the kernel writes them: quoting, hex, fields dropped, execve.

use super::*;
use crate::record::ExecveArg;

/// Records as a test sees them: the bodies written, one per record.
#[derive(Default)]
struct Bodies {
    records: [heapless::Vec<u8, 8192>; 8],
    current: usize,
}

impl BodySink for Bodies {
    fn put(&mut self, bytes: &[u8]) {
        self.records[self.current].extend_from_slice(bytes).unwrap();
    }
    fn next_record(&mut self) {
        self.current += 1;
    }
}

impl Bodies {
    fn used(&self) -> &[heapless::Vec<u8, 8192>] {
        &self.records[..=self.current]
    }
}

fn one(write: impl FnOnce(&mut Bodies)) -> heapless::Vec<u8, 8192> {
    let mut b = Bodies::default();
    write(&mut b);
    assert_eq!(b.current, 0);
    b.records[0].clone()
}

#[test]
fn values_quoted_when_printable_hex_otherwise() {
    assert_eq!(&one(|s| write_value(b"--verbose", s))[..], b"\"--verbose\"");
    assert_eq!(&one(|s| write_value(b"a b", s))[..], b"612062");
    assert_eq!(&one(|s| write_value(b"say\"hi", s))[..], b"736179226869");
    assert_eq!(&one(|s| write_value(b"\xff", s))[..], b"FF");
    assert_eq!(&one(|s| write_value(b"", s))[..], b"\"\"");
    assert!(!needs_hex(b"~!#$%&'()*+,-./0-9:;<=>?@[\\]^_`{|}"));
}

#[test]
fn hex_values_decode_and_quoted_ones_stay() {
    let mut out = heapless::Vec::<u8, 512>::new();
    let long: heapless::Vec<u8, 400> = (0..200).flat_map(|_| *b"41").collect();
    for value in [
        Value::Bare(b"2D2D70617373776F72643D78"),
        Value::DoubleQuoted(b"plain"),
        Value::Bare(&long),
        Value::Null,
    ] {
        decode_value(value, &mut |b| out.extend_from_slice(b).unwrap());
        out.push(b'|').unwrap();
    }
    let mut want = heapless::Vec::<u8, 512>::new();
    want.extend_from_slice(b"--password=x|plain|").unwrap();
    want.extend((0..200).map(|_| b'A'));
    want.extend_from_slice(b"|(null)|").unwrap();
    assert_eq!(out, want);
}

#[test]
fn fields_left_out_by_key_the_rest_as_it_was() {
    let body = b"arch=c000003e syscall=59 success=yes a0=55d0 a1=55d1 comm=\"ls x\" key=(null)";
    let mut dropped = 0;
    let out = one(|s| dropped = keep_fields(body, |k| !matches!(k, b"a0" | b"a1" | b"arch"), s));
    assert_eq!(&out[..], b"syscall=59 success=yes comm=\"ls x\" key=(null)");
    assert_eq!(dropped, 3);
    // Words without `=` and double spaces (AVC) stay.
    let avc = b"avc:  denied  { read } for  pid=1 comm=\"x\"";
    let out = one(|s| {
        keep_fields(avc, |k| k != b"pid", s);
    });
    assert_eq!(&out[..], b"avc:  denied  { read } for comm=\"x\"");
    let out = one(|s| {
        keep_fields(b"a=1 b=2", |_| false, s);
    });
    assert!(out.is_empty());
}

/// The arguments the records say, joined from their pieces.
fn arguments(records: &[heapless::Vec<u8, 8192>]) -> heapless::Vec<heapless::Vec<u8, 20000>, 8> {
    let mut args: heapless::Vec<heapless::Vec<u8, 20000>, 8> = heapless::Vec::new();
    for body in records {
        for field in Fields::new(body) {
            let Some(arg) = ExecveArg::parse(field.key) else {
                continue;
            };
            if arg.is_len {
                continue;
            }
            if args.len() <= arg.index as usize {
                args.push(heapless::Vec::new()).unwrap();
            }
            let slot = &mut args[arg.index as usize];
            decode_value(field.value, &mut |b| slot.extend_from_slice(b).unwrap());
        }
    }
    args
}

#[test]
fn execve_arguments_laid_out_as_the_kernel_does() {
    let mut b = Bodies::default();
    let mut w = ExecveWriter::start(b"3", &mut b);
    w.arg(0, b"mysql", &mut b);
    w.arg(1, b"--password=<redacted>", &mut b);
    w.arg(2, b"a b", &mut b);
    assert_eq!(
        &b.used()[0][..],
        b"argc=3 a0=\"mysql\" a1=\"--password=<redacted>\" a2=612062"
    );
}

/// Found by the `rewrite` fuzz target: a field right after a dropped
/// one's closing quote (no space) was glued to the field before it, into
/// its value.
#[test]
fn a_field_after_a_dropped_quoted_one_stays_apart() {
    let body = b"k=1 a0=\"x\"cwd=\"/\" n=2";
    let out = one(|s| {
        assert_eq!(keep_fields(body, |k| k != b"a0", s), 1);
    });
    assert_eq!(&out[..], b"k=1 cwd=\"/\" n=2");
    let keys: heapless::Vec<&[u8], 4> = Fields::new(&out).map(|f| f.key).collect();
    assert_eq!(&keys[..], [&b"k"[..], b"cwd", b"n"]);
}

/// Found by the `rewrite` fuzz target: a record's `argc='… a0=3 …'`
/// (one quoted value) was written back bare, its text becoming arguments
/// the redaction never saw. Anything but a number stays one value.
#[test]
fn an_argc_that_is_no_number_stays_one_field() {
    for (argc, want) in [
        (&b"2"[..], &b"argc=2"[..]),
        (b"1 a5=hunter2", b"argc=312061353D68756E74657232"),
        (b"x", b"argc=\"x\""),
        (b"", b"argc=\"\""),
    ] {
        let body = one(|s| {
            ExecveWriter::start(argc, s);
        });
        assert_eq!(&body[..], want);
        assert_eq!(Fields::new(&body).count(), 1);
    }
}

#[test]
fn a_long_argument_goes_in_pieces_over_records() {
    let long: heapless::Vec<u8, 20000> = (0..12000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let spaced: heapless::Vec<u8, 20000> = (0..5000u32).map(|i| b' ' + (i % 3) as u8).collect();
    let mut b = Bodies::default();
    let mut w = ExecveWriter::start(b"3", &mut b);
    w.arg(0, b"x", &mut b);
    w.arg(1, &long, &mut b);
    w.arg(2, &spaced, &mut b);
    let records = b.used();
    assert!(records.len() >= 3, "{} records", records.len());
    for body in records {
        // The kernel's bound, with its margin for names.
        assert!(body.len() <= MAX_EXECVE_AUDIT_LEN + 200, "{}", body.len());
    }
    let first = core::str::from_utf8(&records[0]).unwrap();
    // As the kernel: an argument of 7,500 bytes or more in hex, its
    // length as encoded.
    assert!(
        first.starts_with("argc=3 a0=\"x\" a1_len=24000 a1[0]=6162636465"),
        "{}",
        &first[..60]
    );
    let spaced_at = records
        .iter()
        .map(|r| core::str::from_utf8(r).unwrap())
        .find_map(|r| r.find("a2_len=").map(|at| &r[at..]))
        .unwrap();
    assert!(
        spaced_at.starts_with("a2_len=10000 a2[0]=2021"),
        "{}",
        &spaced_at[..30]
    );
    let args = arguments(records);
    assert_eq!(args.len(), 3);
    assert_eq!(&args[0][..], b"x");
    assert_eq!(args[1], long);
    assert_eq!(args[2], spaced);
}

//! Encodes the bench capture (see `raudit_benches::capture`) in one shape,
//! for instruction counts under callgrind, which are stable where criterion
//! figures move with the machine's load:
//!
//! ```text
//! cargo build --release -p raudit-benches --bin shape-cost
//! valgrind --tool=callgrind target/release/shape-cost ecs 3
//! # only the emit closure: the encoding, without reading the capture
//! # (whose strings and vectors allocate) or assembling
//! valgrind --tool=callgrind --toggle-collect='shape_cost::main::{{closure}}' \
//!     target/release/shape-cost ecs 3
//! ```
//!
//! (The encoders are inlined into the closure by the release profile's
//! LTO: a toggle on `raudit_core::encode::…` collects nothing.)
//!
//! Arguments: the shape (`go-audit`, `structured`, `ecs`, `none` to
//! assemble only, or `load` to only read the capture), how many copies of the capture to run (default 5) and,
//! optionally, a file to write the documents to, one a line (to compare
//! two builds' output byte for byte). It prints the number of events and
//! bytes written; instructions per event are callgrind's total over that
//! number. `--typical` (anywhere) leaves out the capture's few giant
//! events, as criterion's `typical/*` does ([`typical`]).

use std::hint::black_box;
use std::io::Write;
use std::process::ExitCode;

use raudit_benches::{capture, repeated, typical};
use raudit_core::assemble::{Assembler, Event, EventSlot, RecordSlot, Settings};
use raudit_core::encode::{self, NoEnrich};
use raudit_core::record::Record;
use raudit_core::time::Instant;

fn main() -> ExitCode {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let only_typical = all.iter().any(|a| a == "--typical");
    let mut args = all.into_iter().filter(|a| a != "--typical");
    let shape = args.next().unwrap_or_else(|| "ecs".into());
    let copies: u32 = args.next().and_then(|c| c.parse().ok()).unwrap_or(5);
    let mut dump = args.next().map(|path| match std::fs::File::create(&path) {
        Ok(file) => std::io::BufWriter::new(file),
        Err(e) => panic!("{path}: {e}"),
    });
    let encode: fn(&Event<'_>, &mut [u8]) -> usize = match shape.as_str() {
        "go-audit" => |e, out| encode::go_audit(e, &mut NoEnrich, out).len,
        "structured" => |e, out| encode::structured(e, &mut NoEnrich, out).len,
        "ecs" => |e, out| encode::ecs(e, &mut NoEnrich, out).len,
        "none" | "load" => |e, _| e.record_count() as usize,
        other => {
            eprintln!("unknown shape {other:?}: go-audit, structured, ecs, none or load");
            return ExitCode::FAILURE;
        }
    };
    let stream = repeated(&capture(), copies);
    let records: Vec<Record<'_>> = stream
        .iter()
        .filter_map(|r| Record::from_kernel(r.msg_type, &r.payload).ok())
        .collect();
    let records = if only_typical {
        typical(&records)
    } else {
        records
    };
    let settings = Settings {
        type_min: 1000,
        type_max: 2999,
        ..Settings::default()
    };
    let mut assembler = Assembler::new(
        settings,
        vec![EventSlot::default(); 256].into_boxed_slice(),
        vec![RecordSlot::default(); 4096].into_boxed_slice(),
        vec![0u8; 1 << 20].into_boxed_slice(),
    );
    let mut out = vec![0u8; 64 << 10];
    let (mut events, mut bytes) = (0u64, 0u64);
    let mut emit = |e: &Event<'_>| {
        events += 1;
        let len = encode(e, black_box(&mut out));
        bytes += len as u64;
        if let Some(dump) = dump.as_mut() {
            let line = [out.get(..len).unwrap_or_default(), b"\n"].concat();
            if let Err(e) = dump.write_all(&line) {
                panic!("writing the documents: {e}");
            }
        }
    };
    if shape == "load" {
        println!("load: {} records", records.len());
        return ExitCode::SUCCESS;
    }
    for record in &records {
        let now = Instant(record.timestamp.seconds * 1000 + u64::from(record.timestamp.millis));
        assembler.push(record, now, &mut emit);
    }
    assembler.flush(&mut emit);
    println!(
        "{shape}: {} records, {events} events, {bytes} bytes",
        records.len()
    );
    ExitCode::SUCCESS
}

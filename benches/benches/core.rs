//! Criterion benches of the core on real audit data: parse, assemble,
//! assemble + go-audit's `syscall` (what filters compare, per event),
//! encode (go-audit's shape, `structured` and `ecs`: assemble + that
//! shape), and the whole replay path (parse + assemble + encode, output
//! discarded). Throughput is reported per record and per byte of input.
//! `typical/*`: the three shapes again without the capture's few events
//! whose records hold more than [`raudit_benches::TYPICAL_EVENT_BYTES`] (an `echo` of
//! 3,001 arguments, a 40 KB argument), which weigh on the go-audit shape's
//! long escapes more than on the other shapes' per-field work.
//! `escape/*`: the capture's go-audit lines escaped into a JSON string
//! (GELF's message), by the general escaper and the JSON-text one.
//!
//! `cargo bench -p raudit-benches --bench core`

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use raudit_benches::{capture, repeated, typical, RawRecord};
use raudit_core::assemble::{Assembler, Event, EventSlot, RecordSlot, Settings};
use raudit_core::encode::{self, NoEnrich};
use raudit_core::record::Record;
use raudit_core::time::Instant;

type Boxed = Assembler<Box<[EventSlot]>, Box<[RecordSlot]>, Box<[u8]>>;

fn assembler() -> Boxed {
    let settings = Settings {
        type_min: 1000,
        type_max: 2999,
        ..Settings::default()
    };
    Assembler::new(
        settings,
        vec![EventSlot::default(); 256].into_boxed_slice(),
        vec![RecordSlot::default(); 4096].into_boxed_slice(),
        vec![0u8; 1 << 20].into_boxed_slice(),
    )
}

fn now_of(record: &Record<'_>) -> Instant {
    Instant(record.timestamp.seconds * 1000 + u64::from(record.timestamp.millis))
}

fn parsed(stream: &[RawRecord]) -> Vec<Record<'_>> {
    stream
        .iter()
        .filter_map(|r| Record::from_kernel(r.msg_type, &r.payload).ok())
        .collect()
}

/// The go-audit, structured and ECS shapes over `records`, in `group`.
fn shapes(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    records: &[Record<'_>],
) {
    let mut out = vec![0u8; 64 << 10];
    group.bench_function("assemble+encode", |b| {
        assemble_with(b, records, |e| {
            encode::go_audit(e, &mut NoEnrich, &mut out).len
        })
    });
    group.bench_function("structured", |b| {
        assemble_with(b, records, |e| {
            encode::structured(e, &mut NoEnrich, &mut out).len
        })
    });
    group.bench_function("ecs", |b| {
        assemble_with(b, records, |e| encode::ecs(e, &mut NoEnrich, &mut out).len)
    });
}

fn benches(c: &mut Criterion) {
    let stream = repeated(&capture(), 20);
    let records = stream.len() as u64;
    let bytes: u64 = stream.iter().map(|r| r.payload.len() as u64 + 16).sum();
    let parsed = parsed(&stream);

    let mut group = c.benchmark_group("records");
    group.throughput(Throughput::Elements(records));
    group.sample_size(20);
    group.bench_function("parse", |b| {
        b.iter(|| {
            for raw in &stream {
                let _ = black_box(Record::from_kernel(raw.msg_type, black_box(&raw.payload)));
            }
        })
    });
    group.bench_function("assemble", |b| {
        assemble_with(b, &parsed, |e: &Event<'_>| e.record_count() as usize)
    });
    group.bench_function("assemble+syscall", |b| {
        assemble_with(b, &parsed, |e: &Event<'_>| {
            e.syscall().map_or(0, <[u8]>::len)
        })
    });
    shapes(&mut group, &parsed);
    group.bench_function("replay", |b| replay(b, &stream));
    group.finish();

    let typical = typical(&parsed);
    let mut group = c.benchmark_group("typical");
    group.throughput(Throughput::Elements(typical.len() as u64));
    group.sample_size(20);
    shapes(&mut group, &typical);
    group.finish();

    let mut group = c.benchmark_group("bytes");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(20);
    group.bench_function("replay", |b| replay(b, &stream));
    group.finish();

    // The capture's events as go-audit lines, escaped into a JSON string
    // as GELF's short_message is: the general escaper against the one for
    // JSON text (quotes every few bytes).
    let lines = go_audit_lines(&parsed);
    let mut group = c.benchmark_group("escape");
    group.throughput(Throughput::Bytes(
        lines.iter().map(|l| l.len() as u64).sum(),
    ));
    group.sample_size(20);
    let escapers: [(&str, Escaper); 2] = [
        ("escape_into", encode::text::escape_into),
        ("escape_json_text_into", encode::text::escape_json_text_into),
    ];
    for (name, escape) in escapers {
        let mut out = vec![0u8; 256 << 10];
        group.bench_function(name, |b| {
            b.iter(|| {
                lines
                    .iter()
                    .map(|line| escape(black_box(line), &mut out).unwrap_or(0))
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

/// One of `text`'s escapers: bytes into a buffer, `None` when out of room.
type Escaper = fn(&[u8], &mut [u8]) -> Option<usize>;

/// Each event of `records` in go-audit's shape, one line each.
fn go_audit_lines(records: &[Record<'_>]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut out = vec![0u8; 64 << 10];
    let mut asm = assembler();
    let mut emit = |e: &Event<'_>| {
        let len = encode::go_audit(e, &mut NoEnrich, &mut out).len;
        lines.push(out.get(..len).unwrap_or_default().to_vec());
    };
    for record in records {
        asm.push(record, now_of(record), &mut emit);
    }
    asm.flush(&mut emit);
    lines
}

/// Pushes the pre-parsed `records` through a fresh assembler per iteration,
/// handing each completed event to `per_event` (its result is summed so the
/// work is not optimised away).
fn assemble_with(
    b: &mut criterion::Bencher<'_>,
    records: &[Record<'_>],
    mut per_event: impl FnMut(&Event<'_>) -> usize,
) {
    b.iter_batched_ref(
        assembler,
        |asm| {
            let mut total = 0usize;
            let mut emit = |e: &Event<'_>| total += per_event(e);
            for record in records {
                asm.push(record, now_of(record), &mut emit);
            }
            asm.flush(&mut emit);
            black_box(total)
        },
        BatchSize::LargeInput,
    )
}

/// The whole replay path: parse + assemble + encode, output discarded.
fn replay(b: &mut criterion::Bencher<'_>, stream: &[RawRecord]) {
    let mut out = vec![0u8; 64 << 10];
    b.iter_batched_ref(
        assembler,
        |asm| {
            let mut written = 0usize;
            let mut emit =
                |e: &Event<'_>| written += encode::go_audit(e, &mut NoEnrich, &mut out).len;
            for raw in stream {
                if let Ok(record) = Record::from_kernel(raw.msg_type, &raw.payload) {
                    asm.push(&record, now_of(&record), &mut emit);
                }
            }
            asm.flush(&mut emit);
            black_box(written)
        },
        BatchSize::LargeInput,
    )
}

criterion_group!(core, benches);
criterion_main!(core);

//! Criterion benches of the core on real audit data: parse, assemble,
//! assemble + go-audit's `syscall` (what filters compare, per event),
//! encode (go-audit's shape, `structured` and `ecs`: assemble + that
//! shape), and the whole replay path (parse + assemble + encode, output
//! discarded). Throughput is reported per record and per byte of input.
//!
//! `cargo bench -p raudit-benches --bench core`

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use raudit_benches::{capture, repeated, RawRecord};
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
    group.bench_function("assemble+encode", |b| {
        let mut out = vec![0u8; 64 << 10];
        assemble_with(b, &parsed, |e: &Event<'_>| {
            encode::go_audit(e, &mut NoEnrich, &mut out).len
        })
    });
    group.bench_function("structured", |b| {
        let mut out = vec![0u8; 64 << 10];
        assemble_with(b, &parsed, |e: &Event<'_>| {
            encode::structured(e, &mut NoEnrich, &mut out).len
        })
    });
    group.bench_function("ecs", |b| {
        let mut out = vec![0u8; 64 * 1024];
        assemble_with(b, &parsed, |e| encode::ecs(e, &mut NoEnrich, &mut out).len);
    });
    group.bench_function("replay", |b| replay(b, &stream));
    group.finish();

    let mut group = c.benchmark_group("bytes");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(20);
    group.bench_function("replay", |b| replay(b, &stream));
    group.finish();
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

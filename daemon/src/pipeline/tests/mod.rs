//! Unit tests of the receive side: the shared helpers (datagrams, runs to
//! the end, the lines a queue holds; the source from memory is
//! `source::MemorySource`); the tests by topic.

use std::sync::Arc;
use std::time::Duration;

use super::source::MemorySource;
use super::Format;
use super::*;
use crate::queue::{Policy, Queue};
use crate::stats::Stats;

mod beside;
mod large;
mod packing;
mod timing;

/// A pipeline over the kernel's datagrams `input`, from memory, into
/// `queue`, counting into `stats`.
fn memory_pipeline(
    input: Vec<Vec<u8>>,
    settings: Settings,
    queue: &Arc<Queue>,
    stats: &Arc<Stats>,
) -> Pipeline<MemorySource> {
    Pipeline::new(
        MemorySource::from_kernel(input),
        settings,
        Arc::clone(queue),
        Arc::clone(stats),
    )
}

/// Steps `pipeline` until its input ends, then finishes it (every event
/// in flight written).
fn run_to_end<S: Source>(pipeline: &mut Pipeline<S>) {
    while pipeline.step(Some(Duration::ZERO)).unwrap() != Input::Ended {}
    pipeline.finish(Duration::ZERO, Duration::ZERO).unwrap();
}

fn datagram(msg_type: u16, serial: u32, body: &str) -> Vec<u8> {
    let payload = format!("audit(1700000000.000:{serial}): {body}");
    let mut d = Vec::new();
    d.extend_from_slice(&(payload.len() as u32).to_ne_bytes());
    d.extend_from_slice(&msg_type.to_ne_bytes());
    d.extend_from_slice(&[0; 10]);
    d.extend_from_slice(payload.as_bytes());
    d
}

fn events(serials: std::ops::Range<u32>, body: &str) -> Vec<Vec<u8>> {
    serials
        .flat_map(|s| [datagram(1300, s, body), datagram(1320, s, "")])
        .collect()
}

/// Runs `input` through a pipeline over `buffers` buffers of `size` bytes;
/// returns the lines of each submitted buffer, and the stats.
fn run(input: Vec<Vec<u8>>, buffers: usize, size: usize) -> (Vec<Vec<Vec<u8>>>, Arc<Stats>) {
    let settings = Settings {
        batch: 128,
        ..Settings::default()
    };
    run_with(input, buffers, size, settings)
}

fn run_with(
    input: Vec<Vec<u8>>,
    buffers: usize,
    size: usize,
    settings: Settings,
) -> (Vec<Vec<Vec<u8>>>, Arc<Stats>) {
    let queue = Queue::new(buffers, size, Policy::Drop);
    let stats = Arc::new(Stats::new(&[]));
    let mut pipeline = memory_pipeline(input, settings, &queue, &stats);
    run_to_end(&mut pipeline);
    let mut submitted = Vec::new();
    let reader = queue.reader(0);
    while let Some(filled) = reader.next() {
        let lines = filled.bytes().split_inclusive(|&b| b == b'\n');
        submitted.push(lines.map(<[u8]>::to_vec).collect());
        reader.release(filled);
    }
    (submitted, stats)
}

#[path = "../../../../core/tests/support/execve.rs"]
#[allow(clippy::all)]
mod execve;

/// The datagrams of one execve of `args` (SYSCALL, EXECVE records, CWD,
/// PATH, EOE) with serial `serial`.
fn execve_event(serial: u32, args: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut input = vec![datagram(1300, serial, "arch=c000003e syscall=59 uid=0")];
    for body in execve::execve_bodies(args) {
        input.push(datagram(1309, serial, &body));
    }
    input.push(datagram(1307, serial, "cwd=\"/tmp\""));
    input.push(datagram(1302, serial, "item=0 name=\"/bin/x\""));
    input.push(datagram(1320, serial, ""));
    input
}

/// Every line in `queue`'s filled buffers, as output 0 reads them.
fn queue_lines(queue: &Arc<Queue>) -> Vec<String> {
    let mut lines = Vec::new();
    let reader = queue.reader(0);
    while let Some(filled) = reader.next() {
        lines.extend(
            filled
                .bytes()
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| String::from_utf8_lossy(l).into_owned()),
        );
        reader.release(filled);
    }
    lines
}

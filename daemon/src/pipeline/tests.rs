//! The receive side packing events into pooled buffers: many lines per
//! buffer, an event that does not fit moves whole to a fresh buffer, an
//! event larger than a buffer is cut alone, and an empty pool drops and
//! counts.

use std::sync::Arc;
use std::time::Duration;

use super::Format;
use super::*;
use crate::queue::{Policy, Queue};
use crate::stats::Stats;

/// Datagrams from memory, each with its sender's port id (0: the kernel).
struct Memory(Vec<(u32, Vec<u8>)>);

impl Memory {
    fn from_kernel(datagrams: Vec<Vec<u8>>) -> Memory {
        Memory(datagrams.into_iter().map(|d| (0, d)).collect())
    }
}

impl Source for Memory {
    fn receive(
        &mut self,
        slots: &mut [Slot],
        received: &mut [Received],
        _: Duration,
    ) -> io::Result<Input> {
        let mut n = 0;
        while n < slots.len().min(received.len()) && !self.0.is_empty() {
            let (sender, datagram) = self.0.remove(0);
            slots[n][..datagram.len()].copy_from_slice(&datagram);
            received[n] = Received {
                len: datagram.len(),
                truncated: false,
                sender,
            };
            n += 1;
        }
        Ok(if n == 0 {
            Input::Ended
        } else {
            Input::Datagrams(n)
        })
    }

    fn pause(&mut self, _: std::time::Duration) {}
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
    let mut pipeline = Pipeline::new(
        Memory::from_kernel(input),
        settings,
        Arc::clone(&queue),
        Arc::clone(&stats),
    );
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
    let mut pipeline = Pipeline::new(
        Memory::from_kernel(input),
        settings,
        Arc::clone(&queue),
        stats,
    );
    let reader = queue.reader(0);
    let mut lines = Vec::new();
    let mut collect = |reader: &crate::queue::Reader| {
        while let Some(filled) = reader.next() {
            let mut sides = crate::side::SideReader::new(filled.side());
            let mut offset = 0;
            for line in filled.bytes().split_inclusive(|&b| b == b'\n') {
                let beside = sides.line(offset);
                offset += line.len();
                lines.push((
                    line.to_vec(),
                    beside
                        .facts
                        .map(|f| (f.sequence, f.key.map(<[u8]>::to_vec))),
                    beside.cut.map(<[u8]>::to_vec),
                ));
            }
            reader.release(filled);
        }
    };
    while pipeline.step(Some(Duration::ZERO)).unwrap() != Input::Ended {
        collect(&reader);
    }
    pipeline.finish(Duration::ZERO, Duration::ZERO).unwrap();
    collect(&reader);
    lines
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
fn many_events_share_a_buffer_and_none_is_cut() {
    let body = "arch=c000003e syscall=39 success=yes exit=1 pid=1 uid=0 comm=\"x\"";
    let (buffers, stats) = run(events(1..41, body), 8, 2048);
    let lines: Vec<&Vec<u8>> = buffers.iter().flatten().collect();
    assert_eq!(lines.len(), 40);
    assert!(
        buffers.len() < 10,
        "{} buffers for 40 events",
        buffers.len()
    );
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line.last(), Some(&b'\n'));
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        assert_eq!(v["sequence"], i as u64 + 1);
        assert!(v.get("truncated").is_none());
    }
    assert_eq!(stats.queue_drops.get(), 0);
}

#[test]
fn a_line_like_the_last_that_would_not_fit_goes_to_a_fresh_buffer_at_once() {
    let long = "arch=c000003e syscall=59 success=yes exit=0 pid=1 uid=0 \
                comm=\"a-rather-long-name\" exe=\"/usr/bin/a-rather-long-path\" key=\"k\"";
    let short = "arch=c000003e syscall=39 pid=1";
    let bodies = [long, long, short];
    let input = || -> Vec<Vec<u8>> {
        (1..)
            .zip(bodies)
            .flat_map(|(serial, body)| [datagram(1300, serial, body), datagram(1320, serial, "")])
            .collect()
    };
    // The lines, and their lengths, in a roomy buffer.
    let (roomy, _) = run(input(), 8, 8192);
    let lines: Vec<Vec<u8>> = roomy.concat();
    let [first, second, third] = [0, 1, 2].map(|i| lines[i].len());
    assert!(third < second);
    // Room for the two long lines and then a byte less than a third: the
    // short one would fit there, but one like the last line would not, so
    // it is not tried there.
    let (buffers, stats) = run(input(), 8, first + second + second - 1);
    let shape: Vec<usize> = buffers.iter().map(Vec::len).collect();
    assert_eq!(shape, [2, 1]);
    assert_eq!(buffers.concat(), lines, "the same lines in the same order");
    assert_eq!(stats.queue_drops.get(), 0);
}

#[test]
fn an_event_larger_than_a_buffer_is_cut_alone_and_the_next_one_is_whole() {
    let mut input = events(1..2, "small=1");
    input.extend(events(2..3, &"x".repeat(4000)));
    input.extend(events(3..4, "small=3"));
    let (buffers, _) = run(input, 8, 1024);
    let lines: Vec<serde_json::Value> = buffers
        .iter()
        .flatten()
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].get("truncated").is_none());
    assert_eq!(lines[1]["truncated"], true);
    assert!(lines[2].get("truncated").is_none());
}

#[test]
fn replies_in_the_stream_are_control_frames_and_login_is_a_record() {
    // The same rule as the netlink replay (MessageType::is_record).
    let mut input = Vec::new();
    for control in [1000, 1010, 1013, 1019, 1329] {
        input.push(datagram(control, 9, "binary reply"));
    }
    input.push(datagram(
        1006,
        20,
        "pid=7 uid=0 old-auid=4294967295 auid=1000 res=1",
    ));
    let (_, stats) = run(input, 8, 2048);
    assert_eq!(stats.control_frames.get(), 5);
    assert_eq!(stats.records.get(), 1);
    assert_eq!(stats.malformed.get(), 0);
}

#[test]
fn an_empty_pool_drops_events_and_counts_each() {
    let body = "y".repeat(300);
    // One buffer holds three of these events; the pool has two buffers and
    // nobody recycles them during the batch.
    let (buffers, stats) = run(events(1..11, &body), 2, 1200);
    let written: usize = buffers.iter().map(Vec::len).sum();
    assert_eq!(written as u64 + stats.queue_drops.get(), 10);
    assert!(stats.queue_drops.get() > 0);
}

/// The same events and pool, but the output thread is held off the CPU
/// for a moment (it starts reading 50 ms late) and the queue waits for a
/// free buffer before it drops, as the daemon's does: nothing is lost.
#[test]
fn a_short_stall_of_the_only_output_loses_nothing() {
    let body = "y".repeat(300);
    let queue = Queue::with_layout(crate::queue::Layout {
        drop_wait: Duration::from_secs(20),
        ..crate::queue::Layout::pool(2, 1200, Policy::Drop)
    });
    queue.register_producer();
    let stats = Arc::new(Stats::new(&[]));
    let mut pipeline = Pipeline::new(
        Memory::from_kernel(events(1..11, &body)),
        Settings::default(),
        Arc::clone(&queue),
        Arc::clone(&stats),
    );
    let output = {
        let queue = Arc::clone(&queue);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            let reader = queue.reader(0);
            let mut lines = 0;
            loop {
                match reader.next() {
                    Some(filled) => {
                        lines += filled.bytes().iter().filter(|&&b| b == b'\n').count();
                        reader.release(filled);
                    }
                    None if queue.is_closed() => return lines,
                    None => std::thread::sleep(Duration::from_millis(1)),
                }
            }
        })
    };
    run_to_end(&mut pipeline);
    queue.close();
    assert_eq!(output.join().unwrap(), 10);
    assert_eq!(stats.queue_drops.get(), 0);
    assert!(stats.queue_waits.get() >= 1);
}

#[test]
fn late_serials_are_logged_once_each_when_asked() {
    let mut input = events(1..4, "syscall=59");
    input.extend(events(6..8, "syscall=59"));
    input.extend(events(4..5, "syscall=59")); // 4 after 7: late by 3
    input.extend(events(8..9, "syscall=59"));
    for log_out_of_order in [true, false] {
        let queue = Queue::new(8, 64 * 1024, Policy::Drop);
        let stats = Arc::new(Stats::new(&[]));
        let settings = Settings {
            log_out_of_order,
            ..Settings::default()
        };
        let mut pipeline = Pipeline::new(
            Memory::from_kernel(input.clone()),
            settings,
            Arc::clone(&queue),
            Arc::clone(&stats),
        );
        run_to_end(&mut pipeline);
        assert_eq!(stats.late_serials.get(), 1);
        let logged = if log_out_of_order { 1 } else { 0 };
        assert_eq!(pipeline.out_of_order_logged(), logged);
    }
}

#[test]
fn the_structured_format_is_used_when_configured() {
    let settings = Settings {
        batch: 128,
        format: Format::Structured,
        ..Settings::default()
    };
    let (buffers, _) = run_with(
        events(1..3, "arch=c000003e syscall=59 exe=\"/bin/ls\""),
        4,
        4096,
        settings,
    );
    let lines: Vec<serde_json::Value> = buffers
        .iter()
        .flatten()
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["records"][0]["type"], "SYSCALL");
    assert_eq!(lines[0]["records"][0]["fields"]["exe"], "/bin/ls");
    assert_eq!(lines[0]["records"][0]["interpreted"]["syscall"], "execve");
}

#[path = "../../../core/tests/support/execve.rs"]
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

/// Runs `input` with the daemon's queue: 4 pooled buffers of 16 KiB and a
/// large buffer (or none); returns the lines in order and the stats.
fn run_large(input: Vec<Vec<u8>>, large: usize, max_event: usize) -> (Vec<Vec<u8>>, Arc<Stats>) {
    let queue = Queue::with_large(4, 16 * 1024, Policy::Drop, large);
    let stats = Arc::new(Stats::new(&[]));
    let settings = Settings {
        batch: 128,
        arena_bytes: 128 * 1024,
        max_event_bytes: max_event,
        ..Settings::default()
    };
    let mut pipeline = Pipeline::new(
        Memory::from_kernel(input),
        settings,
        Arc::clone(&queue),
        Arc::clone(&stats),
    );
    let mut lines = Vec::new();
    let reader = queue.reader(0);
    let mut drain = |reader: &crate::queue::Reader| {
        while let Some(filled) = reader.next() {
            let filled_lines = filled.bytes().split_inclusive(|&b| b == b'\n');
            lines.extend(filled_lines.map(<[u8]>::to_vec));
            reader.release(filled);
        }
    };
    while pipeline.step(Some(Duration::ZERO)).unwrap() != Input::Ended {
        drain(&reader);
    }
    pipeline.finish(Duration::ZERO, Duration::ZERO).unwrap();
    drain(&reader);
    (lines, stats)
}

#[test]
fn a_large_event_is_one_whole_line_through_the_large_buffer() {
    let mut args = execve::arguments(15, 128 * 1024);
    args.insert(0, b"/bin/x".to_vec());
    let mut input = events(1..2, "small=1");
    input.extend(execve_event(2, &args));
    input.extend(events(3..4, "small=3"));
    let max = super::LARGEST_EXECVE_LINE as usize;
    let (lines, stats) = run_large(input, max + 1, max);
    assert_eq!(lines.len(), 3, "one line per event");
    let v: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let sequences: Vec<u64> = v.iter().map(|e| e["sequence"].as_u64().unwrap()).collect();
    assert_eq!(sequences, [1, 2, 3], "in order");
    assert!(v[1].get("truncated").is_none() && v[1].get("cut").is_none());
    let datas: Vec<String> = v[1]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == 1309)
        .map(|m| m["data"].as_str().unwrap().to_owned())
        .collect();
    let rebuilt: Vec<Vec<u8>> = execve::rebuild_argv(&datas)
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    assert!(rebuilt == args, "argv rebuilt byte for byte");
    assert_eq!(stats.large_lines.get(), 1);
    assert_eq!((stats.events_cut.get(), stats.large_busy.get()), (0, 0));
    assert_eq!(stats.truncated_events.get(), 0);
}

/// Receive batches from memory: `Some` a batch of datagrams, `None` a
/// receive that times out (nothing arrived); then the end.
struct Script(std::collections::VecDeque<Option<Vec<Vec<u8>>>>);

impl Source for Script {
    fn receive(
        &mut self,
        slots: &mut [Slot],
        received: &mut [Received],
        timeout: Duration,
    ) -> io::Result<Input> {
        match self.0.pop_front() {
            None => Ok(Input::Ended),
            Some(None) => {
                std::thread::sleep(timeout);
                Ok(Input::Idle)
            }
            Some(Some(batch)) => Memory::from_kernel(batch).receive(slots, received, timeout),
        }
    }

    fn pause(&mut self, _: std::time::Duration) {}
}

/// A pipeline over `script` with the daemon's lane and four large buffers
/// (a max_wait of 1 ms: an idle receive is short), and its only reader.
fn large_pipeline(
    script: Vec<Option<Vec<Vec<u8>>>>,
) -> (Pipeline<Script>, Arc<Queue>, crate::queue::Reader) {
    let max = super::LARGEST_EXECVE_LINE as usize;
    let queue = Queue::with_large(4, 16 * 1024, Policy::Drop, max + 1);
    let settings = Settings {
        batch: 128,
        max_event_bytes: max,
        max_wait: Duration::from_millis(1),
        ..Settings::default()
    };
    let stats = Arc::new(Stats::new(&[]));
    let pipeline = Pipeline::new(Script(script.into()), settings, Arc::clone(&queue), stats);
    let reader = queue.reader(0);
    (pipeline, queue, reader)
}

/// Writes out (and releases) what the reader holds; the lines.
fn drain_lines(reader: &crate::queue::Reader) -> usize {
    let mut lines = 0;
    while let Some(filled) = reader.next() {
        lines += filled.bytes().split_inclusive(|&b| b == b'\n').count();
        reader.release(filled);
    }
    lines
}

/// Whether every free large buffer reads as zeros (its pages given back or
/// never written): takes them all and gives them back.
fn large_buffers_zero(queue: &Queue) -> bool {
    let mut taken = Vec::new();
    while let Some(buffer) = queue.take_large() {
        taken.push(buffer);
    }
    assert_eq!(taken.len(), crate::queue::LARGE_BUFFERS, "all in the lane");
    let zero = taken
        .iter_mut()
        .all(|buffer| buffer.space().iter().all(|&b| b == 0));
    for buffer in taken {
        queue.give_back(buffer);
    }
    zero
}

fn large_execve(serial: u32) -> Vec<Vec<u8>> {
    let mut args = execve::arguments(2, 64 * 1024);
    args.insert(0, b"/bin/x".to_vec());
    execve_event(serial, &args)
}

#[test]
fn large_event_pages_stay_while_large_events_come_and_go_back_when_idle() {
    let (mut pipeline, queue, reader) = large_pipeline(vec![
        Some(large_execve(1)),
        Some(large_execve(2)),
        Some(events(3..4, "small=3")),
        None,
    ]);
    for serial in 1..=2 {
        assert!(matches!(pipeline.step(None).unwrap(), Input::Datagrams(_)));
        assert_eq!(drain_lines(&reader), 1, "event {serial}");
        // Kept for the next large event: the lane's and the large
        // buffer's pages are still written.
        assert!(pipeline.assembler.lane_touched() > 64 * 1024, "{serial}");
        assert!(pipeline.sink.large_pages.resident());
    }
    assert!(!large_buffers_zero(&queue), "the large line's pages kept");
    // Ordinary events within the keep time leave them be.
    assert!(matches!(pipeline.step(None).unwrap(), Input::Datagrams(_)));
    drain_lines(&reader);
    assert!(pipeline.assembler.lane_touched() > 0);
    assert!(pipeline.sink.large_pages.resident());
    // A receive wait with nothing: the host is idle, everything goes back.
    assert_eq!(pipeline.step(None).unwrap(), Input::Idle);
    assert_eq!(pipeline.assembler.lane_touched(), 0);
    assert!(!pipeline.sink.large_pages.resident());
    assert!(
        large_buffers_zero(&queue),
        "the large buffers' pages given back"
    );
}

#[test]
fn large_event_pages_go_back_once_no_large_event_came_for_the_keep_time() {
    // A busy host is never idle: small events keep coming.
    let mut script = vec![Some(large_execve(1))];
    script.extend((2..40).map(|serial| Some(events(serial..serial + 1, "small=1"))));
    let (mut pipeline, queue, reader) = large_pipeline(script);
    pipeline.large_keep = raudit_core::time::Duration::from_millis(30);
    let large_at = std::time::Instant::now();
    assert!(matches!(pipeline.step(None).unwrap(), Input::Datagrams(_)));
    drain_lines(&reader);
    assert!(pipeline.assembler.lane_touched() > 0);
    while pipeline.assembler.lane_touched() > 0 || pipeline.sink.large_pages.resident() {
        assert!(
            large_at.elapsed() < Duration::from_secs(5),
            "never given back"
        );
        std::thread::sleep(Duration::from_millis(5));
        assert!(matches!(pipeline.step(None).unwrap(), Input::Datagrams(_)));
        drain_lines(&reader);
    }
    // Kept for the keep time (the clock counts whole milliseconds).
    assert!(
        large_at.elapsed() >= Duration::from_millis(29),
        "{large_at:?}"
    );
    assert!(large_buffers_zero(&queue));
}

#[test]
fn above_max_event_bytes_and_without_the_large_buffer_the_line_is_cut_and_counted() {
    let mut args = execve::arguments(4, 64 * 1024);
    args.insert(0, b"/bin/x".to_vec());
    let check = |lines: &[Vec<u8>], limit: usize| {
        assert_eq!(lines.len(), 1);
        assert!(lines[0].len() <= limit + 1);
        let v: serde_json::Value = serde_json::from_slice(&lines[0]).unwrap();
        let types: Vec<u64> = v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["type"].as_u64().unwrap())
            .filter(|&t| t != 1309)
            .collect();
        assert_eq!(types, [1300, 1307, 1302], "every other record kept");
        let tail =
            String::from_utf8_lossy(&lines[0][lines[0].len().saturating_sub(200)..]).into_owned();
        assert!(
            v["cut"]["arguments"].as_u64().is_some_and(|n| n > 0),
            "{tail}"
        );
        assert!(v.get("truncated").is_none());
    };
    // A small cap: cut in the large buffer.
    let (lines, stats) = run_large(execve_event(5, &args), 1 << 20, 64 * 1024);
    check(&lines, 64 * 1024);
    assert_eq!((stats.events_cut.get(), stats.large_lines.get()), (1, 1));
    // No large buffer: cut to a pooled one, counted as such.
    let (lines, stats) = run_large(execve_event(5, &args), 0, 1 << 20);
    check(&lines, 16 * 1024);
    assert_eq!((stats.events_cut.get(), stats.large_busy.get()), (1, 1));
}

#[test]
fn datagrams_not_from_the_kernel_are_dropped_and_counted() {
    let body = "arch=c000003e syscall=59 success=yes comm=\"real\"";
    // A forged event, SYSCALL and EOE, from port 4242, between the kernel's.
    let input = vec![
        (0, datagram(1300, 1, body)),
        (4242, datagram(1300, 2, "syscall=59 comm=\"forged\"")),
        (4242, datagram(1320, 2, "")),
        (0, datagram(1320, 1, "")),
    ];
    let queue = Queue::new(8, 64 * 1024, Policy::Drop);
    let stats = Arc::new(Stats::new(&[]));
    let mut pipeline = Pipeline::new(
        Memory(input),
        Settings::default(),
        Arc::clone(&queue),
        Arc::clone(&stats),
    );
    run_to_end(&mut pipeline);
    let lines = queue_lines(&queue);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("real") && !lines[0].contains("forged"));
    assert_eq!(stats.spoofed.get(), 2);
    assert_eq!(stats.spoofed_sender.get(), 4242);
    assert_eq!(stats.records.get(), 2);
    assert_eq!(stats.malformed.get(), 0);
}

/// Datagrams from the kernel, with pauses (`None`: the socket ran dry).
struct Paced(Vec<Option<Vec<u8>>>);

impl Source for Paced {
    fn receive(
        &mut self,
        slots: &mut [Slot],
        received: &mut [Received],
        _: Duration,
    ) -> io::Result<Input> {
        let mut n = 0;
        while n < slots.len().min(received.len()) {
            match self.0.first() {
                None => break,
                Some(None) if n > 0 => break,
                Some(None) => {
                    self.0.remove(0);
                    return Ok(Input::Idle);
                }
                Some(Some(_)) => {
                    let Some(datagram) = self.0.remove(0) else {
                        break;
                    };
                    slots[n][..datagram.len()].copy_from_slice(&datagram);
                    received[n] = Received {
                        len: datagram.len(),
                        truncated: false,
                        sender: 0,
                    };
                    n += 1;
                }
            }
        }
        Ok(if n == 0 {
            Input::Ended
        } else {
            Input::Datagrams(n)
        })
    }

    fn pause(&mut self, _: Duration) {}
}

#[test]
fn a_buffer_handed_over_is_marked_below_the_oldest_event_in_flight() {
    // 11 is still open when 12 completes and its buffer goes out.
    let input = vec![
        Some(datagram(1300, 11, "syscall=59")),
        Some(datagram(1300, 12, "syscall=59")),
        Some(datagram(1320, 12, "")),
        None,
        Some(datagram(1320, 11, "")),
        None,
    ];
    let queue = Queue::new(8, 64 * 1024, Policy::Drop);
    let stats = Arc::new(Stats::new(&[]));
    let mut pipeline = Pipeline::new(
        Paced(input),
        Settings::default(),
        Arc::clone(&queue),
        Arc::clone(&stats),
    );
    while pipeline.step(Some(Duration::ZERO)).unwrap() != Input::Ended {}
    let mut marks = Vec::new();
    let reader = queue.reader(0);
    while let Some(filled) = reader.next() {
        marks.push(filled.mark());
        reader.release(filled);
    }
    // 12 went out first, below 11 still open; then 11, and with it all up
    // to 12.
    assert_eq!(marks, [10, 12]);
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
    let mut pipeline = Pipeline::new(
        Memory::from_kernel(input),
        settings,
        Arc::clone(&queue),
        Arc::new(Stats::new(&[])),
    );
    run_to_end(&mut pipeline);
    let reader = queue.reader(0);
    let mut found = Vec::new();
    while let Some(filled) = reader.next() {
        let mut sides = crate::side::SideReader::new(filled.side());
        let mut offset = 0;
        for line in filled.bytes().split_inclusive(|&b| b == b'\n') {
            let beside = sides.line(offset);
            offset += line.len();
            found.push((
                line.to_vec(),
                beside.facts.map(|f| f.sequence),
                beside.cut.map(<[u8]>::to_vec),
            ));
        }
        reader.release(filled);
    }
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
fn counters_are_published_while_the_socket_is_quiet() {
    let queue = Queue::new(4, 4096, Policy::Drop);
    let stats = Arc::new(Stats::new(&[]));
    let mut settings = Settings::default();
    settings.assembler.timeout = raudit_core::time::Duration::from_millis(1);
    // A SYSCALL record alone: complete only when its deadline passes.
    let mut pipeline = Pipeline::new(
        Memory::from_kernel(vec![datagram(1300, 7, "syscall=59")]),
        settings,
        Arc::clone(&queue),
        Arc::clone(&stats),
    );
    assert!(matches!(
        pipeline.step(Some(Duration::ZERO)).unwrap(),
        Input::Datagrams(1)
    ));
    assert_eq!(stats.events_in_flight.get(), 1);
    assert_eq!(stats.events.get(), 0);
    std::thread::sleep(Duration::from_millis(5));
    // Nothing more arrives; the deadline completes the event and the
    // counters say so without waiting for another datagram.
    assert_eq!(pipeline.step(Some(Duration::ZERO)).unwrap(), Input::Ended);
    assert_eq!(stats.events.get(), 1);
    assert_eq!(stats.events_in_flight.get(), 0);
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
    let mut pipeline = Pipeline::new(
        Memory::from_kernel(input),
        settings,
        Arc::clone(&queue),
        Arc::new(Stats::new(&["a", "b"])),
    );
    assert!(matches!(
        pipeline.step(Some(Duration::ZERO)).unwrap(),
        Input::Datagrams(2)
    ));
    // A second output, with a transport limit: cut versions from now on.
    update.offer((0b11, limited));
    run_to_end(&mut pipeline);
    let read = |output: usize| {
        let reader = queue.reader(output);
        let mut found = Vec::new();
        while let Some(filled) = reader.next() {
            let mut sides = crate::side::SideReader::new(filled.side());
            let mut offset = 0;
            for line in filled.bytes().split_inclusive(|&b| b == b'\n') {
                let value: serde_json::Value = serde_json::from_slice(line).unwrap();
                let cut = sides.line(offset).cut.is_some();
                offset += line.len();
                found.push((value["sequence"].as_u64().unwrap(), cut));
            }
            reader.release(filled);
        }
        found
    };
    // The first output: both events, the cut only beside the second; the
    // new one: the second alone.
    assert_eq!(read(0), [(1, false), (2, true)]);
    assert_eq!(read(1), [(2, true)]);
}

/// An event larger than a pooled buffer that finds neither a large buffer
/// nor a pooled one is dropped (counted in `queue_drops`), not cut: it is
/// not counted in `large_busy` ("cut to a pooled buffer because every
/// large buffer was busy") as well.
#[test]
fn a_large_event_that_finds_no_buffer_is_a_drop_not_a_cut() {
    let queue = Queue::new(1, 1024, Policy::Drop);
    let held = queue.take_free(|| true).expect("the pool's one buffer");
    let stats = Arc::new(Stats::new(&[]));
    let settings = Settings {
        batch: 128,
        ..Settings::default()
    };
    let mut pipeline = Pipeline::new(
        Memory::from_kernel(events(2..3, &"x".repeat(4000))),
        settings,
        Arc::clone(&queue),
        Arc::clone(&stats),
    );
    run_to_end(&mut pipeline);
    assert_eq!(stats.events.get(), 1);
    assert_eq!(stats.queue_drops.get(), 1);
    assert_eq!(
        (stats.large_busy.get(), stats.events_cut.get()),
        (0, 0),
        "nothing was cut"
    );
    queue.give_back(held);
}

/// A user-space record and the LSM-context record the kernel queued right
/// behind it (several LSMs label the sender), read in two receives with
/// the receive thread 20 ms late between them (descheduled on a busy
/// host): one event, as the assembler promises for records that come
/// within USER_CONTEXT_WAIT of each other.
#[test]
fn a_context_record_waiting_in_the_socket_stays_with_its_user_record() {
    let mut settings = Settings {
        batch: 1,
        ..Settings::default()
    };
    settings.assembler.type_min = 1000;
    settings.assembler.type_max = 2999;
    let input = vec![
        datagram(1112, 5, "pid=1 uid=0 msg='op=login res=success'"),
        datagram(1425, 5, "subj_selinux=u:r:x subj_apparmor=unconfined"),
    ];
    let (lines, _) = receive_late(settings, input, 1, Duration::from_millis(20));
    assert_eq!(lines.len(), 1, "one event, not two: {lines:#?}");
    assert!(lines[0].contains("\"type\":1425"), "{}", lines[0]);
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

/// Receives of at most `batch` datagrams, events timed out after 50 ms.
fn timeout_50ms(batch: usize) -> Settings {
    let mut settings = Settings {
        batch,
        ..Settings::default()
    };
    settings.assembler.timeout = raudit_core::time::Duration::from_millis(50);
    settings
}

/// Runs `input` through a pipeline whose first receive takes `first`
/// datagrams, then whose receive thread comes back `late`; the lines
/// written, and the stats.
fn receive_late(
    settings: Settings,
    input: Vec<Vec<u8>>,
    first: usize,
    late: Duration,
) -> (Vec<String>, Arc<Stats>) {
    let queue = Queue::new(8, 64 * 1024, Policy::Drop);
    let stats = Arc::new(Stats::new(&[]));
    let mut pipeline = Pipeline::new(
        Memory::from_kernel(input),
        settings,
        Arc::clone(&queue),
        Arc::clone(&stats),
    );
    assert_eq!(
        pipeline.step(Some(Duration::ZERO)).unwrap(),
        Input::Datagrams(first)
    );
    std::thread::sleep(late);
    run_to_end(&mut pipeline);
    let lines = queue_lines(&queue);
    (lines, stats)
}

/// Records of one event the kernel queued together, read in two receives
/// (the first took a full batch: more was waiting), with the receive thread
/// late between them by more than the assembler's timeout (waiting for a
/// free buffer under `queue.policy: block`, or short of CPU): every record
/// was in the socket before the event's deadline, so it is one event, not
/// a timed-out head and a second event under the same serial.
#[test]
fn records_waiting_in_the_socket_are_not_cut_off_by_a_late_receive_thread() {
    let settings = timeout_50ms(2);
    let input = vec![
        datagram(1300, 1, "arch=c000003e syscall=59 success=yes"),
        datagram(1307, 1, "cwd=\"/\""),
        datagram(1302, 1, "item=0 name=\"/bin/ls\""),
        datagram(1327, 1, "proctitle=6C73"),
        datagram(1320, 1, ""),
    ];
    // A full batch: the rest of the event waits in the socket.
    let (lines, stats) = receive_late(settings, input, 2, Duration::from_millis(120));
    assert_eq!(lines.len(), 1, "one event, not two: {lines:#?}");
    for record in ["1300", "1307", "1302", "1327"] {
        assert!(
            lines[0].contains(&format!("\"type\":{record}")),
            "{record}: {}",
            lines[0]
        );
    }
    assert_eq!(stats.events.get(), 1);
}

/// An event whose end-of-event record does not come before its timeout
/// is written without it, and counted (`timed_out`): a record of it that
/// comes later is written as a second event of the same serial, and the
/// stats say why there are two.
#[test]
fn an_event_written_at_its_timeout_is_counted() {
    let settings = timeout_50ms(8);
    let input = vec![
        datagram(1300, 1, "arch=c000003e syscall=59 success=yes"),
        datagram(1307, 1, "cwd=\"/\""),
    ];
    let (lines, stats) = receive_late(settings, input, 2, Duration::from_millis(120));
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!((stats.events.get(), stats.timed_out.get()), (1, 1));
}

/// A database that takes 10 ms (of the test's fake clock) a lookup and
/// knows no uid.
fn slow_database(_: u32, _: &mut [u8]) -> std::io::Result<Option<usize>> {
    crate::enrich::lookup_budget::fake_clock::advance(Duration::from_millis(10));
    Ok(None)
}

/// Lookups the budget refused reach the stats: each event of a new uid
/// past the budget is written without its name, and counted.
#[test]
fn lookups_skipped_by_the_budget_are_reported() {
    use crate::enrich::lookup_budget::{fake_clock, LookupBudget};
    let input = (1..=20)
        .flat_map(|s| {
            [
                datagram(1300, s, &format!("uid={s}")),
                datagram(1320, s, ""),
            ]
        })
        .collect();
    let queue = Queue::new(8, 4096, Policy::Drop);
    let stats = Arc::new(Stats::new(&[]));
    let settings = Settings::default();
    let mut pipeline = Pipeline::new(Memory::from_kernel(input), settings, queue, stats.clone());
    let enricher = &mut pipeline.sink.enricher;
    enricher.uids = crate::enrich::UidNames::with_lookup(8, slow_database);
    enricher.lookup_budget = LookupBudget::with_clock(fake_clock::now);
    run_to_end(&mut pipeline);
    // 50 ms of burst: 5 uids, a 6th on the time they took; 14 skipped.
    assert_eq!(pipeline.sink.enricher.uids.lookups(), 6);
    assert_eq!(stats.lookups_skipped.get(), 14);
}

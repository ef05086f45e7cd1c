//! Unit tests of large events: one whole line through a large buffer,
//! its pages given back when idle, cut or dropped (and counted) without
//! one.

use super::*;

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
    let mut pipeline = memory_pipeline(input, settings, &queue, &stats);
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
            Some(Some(batch)) => MemorySource::from_kernel(batch).receive(slots, received, timeout),
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
    let mut pipeline = memory_pipeline(events(2..3, &"x".repeat(4000)), settings, &queue, &stats);
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

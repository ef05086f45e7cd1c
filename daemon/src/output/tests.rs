//! Tests of the outputs and their sinks: files, retries and counts, whole buffers, loss records.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::batch::LineBatch;
use super::*;
use crate::queue::{Policy, Queue};
use crate::scratch_dir::ScratchDir;
use crate::stats::Stats;

const NO_SIDE: LineSide<'static> = LineSide {
    facts: None,
    cut: None,
};

/// Submits one buffer per entry of `buffers` (its lines concatenated).
fn submit(queue: &Queue, buffers: &[&[&[u8]]]) {
    for texts in buffers {
        let mut buffer = queue.take_free(|| true).unwrap();
        for text in texts.iter() {
            buffer.space()[..text.len()].copy_from_slice(text);
            buffer.advance(text.len());
        }
        queue.submit(buffer);
    }
}

fn temp_dir(name: &str) -> ScratchDir {
    ScratchDir::new(&format!("output-{name}"))
}

fn spec(path: std::path::PathBuf) -> FileSpec {
    FileSpec {
        path,
        mode: 0o640,
        uid: Some(0),
        gid: Some(0),
        rotation: None,
    }
}

#[test]
fn file_is_created_with_mode_and_appended_to() {
    let dir = temp_dir("mode");
    let path = dir.join("audit.log");
    std::fs::write(&path, b"old\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let mut out = FileOutput::open(spec(path.clone()), 64).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
    out.write_line(b"{\"a\":1}\n", &NO_SIDE).unwrap();
    out.write_line(&[b'x'; 100], &NO_SIDE).unwrap(); // larger than the batch
    out.flush().unwrap();
    let text = std::fs::read(&path).unwrap();
    assert!(text.starts_with(b"old\n{\"a\":1}\nxxx"));
    assert_eq!(text.len(), 4 + 8 + 100);
}

#[test]
fn reopen_after_rename_loses_and_repeats_nothing() {
    let dir = temp_dir("rotate");
    let path = dir.join("audit.log");
    let rotated = dir.join("audit.log.1");
    let mut out = FileOutput::open(spec(path.clone()), 1024).unwrap();
    out.write_line(b"one\n", &NO_SIDE).unwrap();
    std::fs::rename(&path, &rotated).unwrap();
    out.write_line(b"two\n", &NO_SIDE).unwrap();
    out.reopen().unwrap();
    out.write_line(b"three\n", &NO_SIDE).unwrap();
    out.flush().unwrap();
    assert_eq!(std::fs::read(&rotated).unwrap(), b"one\ntwo\n");
    assert_eq!(std::fs::read(&path).unwrap(), b"three\n");
}

/// Fails the first `failures` calls, then records lines.
struct Flaky {
    failures: u32,
    lines: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Output for Flaky {
    fn name(&self) -> &str {
        "flaky"
    }

    fn write_line(&mut self, line: &[u8], _: &LineSide<'_>) -> io::Result<Sent> {
        if self.failures > 0 {
            self.failures -= 1;
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        self.lines.lock().unwrap().push(line.to_vec());
        Ok(Sent::Whole)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn failing_output_is_retried_then_counted_and_never_stops_the_writer() {
    let stats = Stats::new(&["flaky"]);
    let lines = Arc::new(Mutex::new(Vec::new()));
    let flaky = Flaky {
        failures: 4,
        lines: Arc::clone(&lines),
    };
    let mut sink = Sink::new(Box::new(flaky), 3, Duration::ZERO, 0);
    sink.write(b"first\n", &NO_SIDE, &stats); // fails 3 times: dropped
    sink.write(b"second\n", &NO_SIDE, &stats); // fails once, then written
    assert_eq!(*lines.lock().unwrap(), vec![b"second\n".to_vec()]);
    assert_eq!(stats.outputs[0].errors.get(), 1);
    assert_eq!(stats.outputs[0].retries.get(), 3);
    assert_eq!(stats.outputs[0].sent.get(), 1);
}

#[test]
fn writer_drains_the_queue_and_reports_drops_in_the_stream() {
    let queue = Queue::new(2, 64, Policy::Drop);
    let stats = Arc::new(Stats::new(&["flaky"]));
    let lines = Arc::new(Mutex::new(Vec::new()));
    // Two buffers: one with two lines, one with one.
    submit(&queue, &[&[b"a\n", b"b\n"], &[b"c\n"]]);
    assert!(queue.take_free(|| true).is_none()); // one drop
    queue.close();
    let sink = Sink::new(
        Box::new(Flaky {
            failures: 0,
            lines: Arc::clone(&lines),
        }),
        1,
        Duration::ZERO,
        0,
    );
    let settings = WriterSettings {
        loss_report_interval: Duration::from_secs(3600),
        control_outline: crate::json::ControlOutline::GoAudit,
        requests: crate::output::Requests::NONE,
    };
    run_writers(&queue, vec![sink], &stats, settings);
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], b"a\n");
    assert_eq!(lines[1], b"b\n");
    assert_eq!(lines[2], b"c\n");
    let loss: serde_json::Value = serde_json::from_slice(&lines[3]).unwrap();
    assert_eq!(loss["raudit"]["queue_drops"], 1);
    assert_eq!(loss["raudit"]["output_drops"], 0);
    assert_eq!(stats.queue_drops.get(), 1);
    // `sent` counts events delivered, not the loss record beside them.
    assert_eq!(
        stats.outputs[0].sent.get(),
        3,
        "three events were delivered"
    );
}

/// Takes `delay` per line, forever failing if `fail` (a dead receiver).
struct Slow {
    delay: Duration,
    fail: bool,
    lines: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Output for Slow {
    fn name(&self) -> &str {
        "slow"
    }

    fn write_line(&mut self, line: &[u8], _: &LineSide<'_>) -> io::Result<Sent> {
        std::thread::sleep(self.delay);
        if self.fail {
            return Err(io::ErrorKind::ConnectionRefused.into());
        }
        self.lines.lock().unwrap().push(line.to_vec());
        Ok(Sent::Whole)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_dead_output_neither_delays_nor_costs_the_others_a_line() {
    // 32 buffers shared by a fast output and a dead one that retries each
    // line with pauses: the dead one may hold 24, the fast one writes all.
    let queue = Queue::with_outputs(32, 64, Policy::Drop, 2, 0);
    let stats = Arc::new(Stats::new(&["fast", "dead"]));
    let (fast_lines, dead_lines) = (Arc::default(), Arc::default());
    let sinks = vec![
        Sink::new(
            Box::new(Flaky {
                failures: 0,
                lines: Arc::clone(&fast_lines),
            }),
            3,
            Duration::from_millis(100),
            0,
        ),
        Sink::new(
            Box::new(Slow {
                delay: Duration::from_millis(5),
                fail: true,
                lines: Arc::clone(&dead_lines),
            }),
            3,
            Duration::from_millis(100),
            1,
        ),
    ];
    let writers = {
        let (queue, stats) = (Arc::clone(&queue), Arc::clone(&stats));
        let settings = WriterSettings {
            loss_report_interval: Duration::from_secs(3600),
            control_outline: crate::json::ControlOutline::GoAudit,
            requests: crate::output::Requests::NONE,
        };
        std::thread::spawn(move || run_writers(&queue, sinks, &stats, settings))
    };
    let started = Instant::now();
    let mut submitted = 0u64;
    for i in 0..200 {
        // 50 buffers a second, as a steady trickle of events.
        let line = format!("{{\"n\":{i}}}\n");
        match queue.take_free(|| true) {
            Some(mut buffer) => {
                buffer.space()[..line.len()].copy_from_slice(line.as_bytes());
                buffer.advance(line.len());
                queue.submit(buffer);
                queue.wake();
                submitted += 1;
            }
            None => panic!(
                "the pool ran out at {i}: fast holds {}, dead {}",
                queue.reader(0).depth(),
                queue.reader(1).depth()
            ),
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(queue.dropped(), 0);
    queue.close();
    queue.set_drain_deadline(Instant::now() + Duration::from_millis(300));
    writers.join().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown was held up"
    );
    let fast = fast_lines.lock().unwrap();
    assert_eq!(fast.len() as u64, submitted, "the fast output lost lines");
    for (i, line) in fast.iter().enumerate() {
        assert_eq!(line, format!("{{\"n\":{i}}}\n").as_bytes());
    }
    let (f, d) = (&stats.outputs[0], &stats.outputs[1]);
    assert_eq!(
        (f.sent.get(), f.errors.get(), f.dropped.get()),
        (submitted, 0, 0)
    );
    assert!(dead_lines.lock().unwrap().is_empty());
    // Every line of the dead output is accounted for: tried and failed,
    // or given up (its backlog was full, or at the shutdown deadline).
    assert_eq!(d.sent.get(), 0);
    assert!(d.dropped.get() > 0);
    // Loss records (one at the end) are lines too.
    assert!(d.errors.get() + d.dropped.get() >= submitted);
}

/// A connected pair of non-blocking stream sockets as files (the socket
/// buffer bounds one write).
fn nonblocking_pair() -> (File, File) {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    let a: std::os::fd::OwnedFd = a.into();
    let b: std::os::fd::OwnedFd = b.into();
    (File::from(a), File::from(b))
}

fn read_all_available(reader: &mut File, into: &mut Vec<u8>) {
    let mut chunk = [0u8; 8192];
    loop {
        match io::Read::read(reader, &mut chunk) {
            Ok(0) => return,
            Ok(n) => into.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn whole_buffers_go_out_in_order_after_pending_lines() {
    let dir = temp_dir("buffers");
    let path = dir.join("audit.log");
    let mut out = FileOutput::open(spec(path.clone()), 1024).unwrap();
    out.write_line(b"control\n", &NO_SIDE).unwrap();
    let parts: [&[u8]; 3] = [b"a\nb\n", b"", b"c\n"];
    assert!(out.write_buffers(&parts).unwrap().is_ok());
    assert_eq!(out.pending_lines(), 0);
    assert_eq!(std::fs::read(&path).unwrap(), b"control\na\nb\nc\n");
}

#[test]
fn a_short_writev_keeps_the_rest_pending_and_repeats_nothing() {
    let (mut reader, mut writer) = nonblocking_pair();
    let mut batch = LineBatch::with_capacity(64);
    // More than the socket holds: the writev stops part-way.
    let line = [b'x'; 1023]
        .iter()
        .chain(b"\n")
        .copied()
        .collect::<Vec<u8>>();
    let big: Vec<u8> = line.repeat(4096);
    let parts: [&[u8]; 2] = [&big, b"tail\n"];
    batch.write_through(&mut writer, &parts).unwrap();
    assert!(!batch.is_empty(), "the pipe took everything");
    let mut got = Vec::new();
    read_all_available(&mut reader, &mut got);
    assert!(batch.lines() >= 1);
    while !batch.is_empty() {
        let _ = batch.write_to(&mut writer);
        read_all_available(&mut reader, &mut got);
    }
    let mut expected = big.clone();
    expected.extend_from_slice(b"tail\n");
    assert_eq!(got.len(), expected.len());
    assert!(got == expected);
}

#[test]
fn a_failing_writev_accepts_nothing() {
    let mut full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut batch = LineBatch::with_capacity(64);
    let parts: [&[u8]; 1] = [b"a\n"];
    let e = batch.write_through(&mut full, &parts).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOSPC));
    assert!(batch.is_empty());
    assert_eq!(batch.lines(), 0);
}

#[test]
fn whole_buffers_are_retried_then_counted_as_errors() {
    let stats = Stats::new(&["file"]);
    let dir = temp_dir("full");
    let mut file = FileOutput::open(spec(dir.join("audit.log")), 64).unwrap();
    // Point the output at /dev/full: every write fails with ENOSPC.
    file.redirect_for_test(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    );
    let mut sink = Sink::new(Box::new(file), 2, Duration::ZERO, 0);
    let queue = Queue::new(2, 64, Policy::Drop);
    submit(&queue, &[&[b"a\n", b"b\n"], &[b"c\n"]]);
    let reader = queue.reader(0);
    let held = [reader.next().unwrap(), reader.next().unwrap()];
    sink.write_buffers(&held, &stats);
    assert_eq!(stats.outputs[0].errors.get(), 3);
    assert_eq!(stats.outputs[0].retries.get(), 1);
    assert_eq!(stats.outputs[0].sent.get(), 0);
}

#[test]
fn outputs_without_whole_buffers_get_each_line() {
    let stats = Stats::new(&["flaky"]);
    let lines = Arc::new(Mutex::new(Vec::new()));
    let flaky = Flaky {
        failures: 1,
        lines: Arc::clone(&lines),
    };
    let mut sink = Sink::new(Box::new(flaky), 2, Duration::ZERO, 0);
    let queue = Queue::new(2, 64, Policy::Drop);
    submit(&queue, &[&[b"a\n", b"b\n"], &[b"c\n"]]);
    let reader = queue.reader(0);
    let held = [reader.next().unwrap(), reader.next().unwrap()];
    sink.write_buffers(&held, &stats);
    assert_eq!(
        *lines.lock().unwrap(),
        vec![b"a\n".to_vec(), b"b\n".to_vec(), b"c\n".to_vec()]
    );
    assert_eq!(stats.outputs[0].sent.get(), 3);
    assert_eq!(stats.outputs[0].retries.get(), 1);
}

#[test]
fn a_fragment_left_by_a_failed_write_is_taken_back_out_of_the_file() {
    let dir = temp_dir("fragment");
    let path = dir.join("audit.log");
    std::fs::write(&path, b"{\"old\":1}\n").unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    let mut batch = LineBatch::with_capacity(64);
    // A line half written, as after a short write before ENOSPC.
    io::Write::write_all(&mut file, b"{\"half").unwrap();
    assert!(batch.try_push(b"{\"half\":2}\n"));
    assert!(batch.try_push(b"{\"next\":3}\n"));
    // Simulate the state a short write leaves: 6 bytes of the first line
    // written; then the device fails.
    batch.mark_written_for_test(6);
    let mut full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let _ = batch.write_to(&mut full); // fails: settles against `full`
                                       // /dev/full cannot be truncated; the fragment is found against the file.
    let mut batch = LineBatch::with_capacity(64);
    assert!(batch.try_push(b"{\"half\":2}\n"));
    batch.mark_written_for_test(6);
    batch.settle_for_test(&file);
    assert!(!batch.has_fragment());
    assert_eq!(std::fs::read(&path).unwrap(), b"{\"old\":1}\n");
    batch.write_to(&mut file).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"{\"old\":1}\n{\"half\":2}\n"
    );
}

#[test]
fn past_the_drain_deadline_a_hanging_output_drops_the_rest_of_a_buffer() {
    // One buffer of 50 lines to an output that takes 100 ms per line.
    let queue = Queue::new(2, 4096, Policy::Drop);
    let stats = Arc::new(Stats::new(&["slow"]));
    let lines: Vec<Vec<u8>> = (0..50)
        .map(|i| format!("{{\"n\":{i}}}\n").into_bytes())
        .collect();
    let parts: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
    submit(&queue, &[&parts]);
    queue.close();
    queue.set_drain_deadline(Instant::now() + Duration::from_millis(300));
    let written = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink::new(
        Box::new(Slow {
            delay: Duration::from_millis(100),
            fail: false,
            lines: Arc::clone(&written),
        }),
        3,
        Duration::from_secs(1),
        0,
    );
    let started = Instant::now();
    let settings = WriterSettings {
        loss_report_interval: Duration::from_secs(3600),
        control_outline: crate::json::ControlOutline::GoAudit,
        requests: crate::output::Requests::NONE,
    };
    run_writers(&queue, vec![sink], &stats, settings);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let c = &stats.outputs[0];
    let sent = written.lock().unwrap().len() as u64;
    assert!(sent < 10, "{sent} lines written after the deadline");
    // The lines not written are its drops; the loss record is the last
    // line written, and not an event sent.
    assert_eq!(c.dropped.get() + sent, 50 + 1);
    assert_eq!(c.sent.get(), sent - 1);
}

/// Records the nice value of the thread that writes to it.
struct NiceProbe {
    whole_buffers: bool,
    /// The writing thread's nice value and scheduler slice (ns).
    seen: Arc<Mutex<Option<(i64, u64)>>>,
}

/// The calling thread's scheduler slice in nanoseconds (`se.slice` in
/// /proc/thread-self/sched), if the kernel shows it.
fn thread_slice() -> Option<u64> {
    let sched = std::fs::read_to_string("/proc/thread-self/sched").ok()?;
    let line = sched.lines().find(|l| l.starts_with("se.slice "))?;
    line.rsplit(' ').next()?.trim().parse().ok()
}

/// The calling thread's nice value.
fn thread_nice() -> i64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    // Fields after the command (which may hold spaces): nice is the 19th
    // field of the line, the 17th after ") ".
    let rest = &stat[stat.rfind(") ").unwrap() + 2..];
    rest.split(' ').nth(16).unwrap().parse().unwrap()
}

impl NiceProbe {
    fn record(&self) {
        *self.seen.lock().unwrap() = Some((thread_nice(), thread_slice().unwrap_or(0)));
    }
}

impl Output for NiceProbe {
    fn name(&self) -> &str {
        "probe"
    }

    fn write_line(&mut self, _: &[u8], _: &LineSide<'_>) -> io::Result<Sent> {
        self.record();
        Ok(Sent::Whole)
    }

    fn write_buffers(&mut self, _: &[&[u8]]) -> Option<io::Result<()>> {
        self.whole_buffers.then(|| {
            self.record();
            Ok(())
        })
    }

    fn takes_buffers(&self) -> bool {
        self.whole_buffers
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn whole_buffer_outputs_run_above_the_receive_thread_and_line_by_line_ones_below() {
    let queue = Queue::with_outputs(8, 64, Policy::Drop, 2, 0);
    let stats = Arc::new(Stats::new(&["file-like", "network-like"]));
    let (whole, per_line) = (Arc::default(), Arc::default());
    let probe = |whole_buffers, seen: &Arc<Mutex<Option<(i64, u64)>>>, index| {
        let output = NiceProbe {
            whole_buffers,
            seen: Arc::clone(seen),
        };
        Sink::new(Box::new(output), 1, Duration::ZERO, index)
    };
    let settings = WriterSettings {
        loss_report_interval: Duration::from_secs(3600),
        control_outline: crate::json::ControlOutline::GoAudit,
        requests: crate::output::Requests::NONE,
    };
    let handles = crate::output::spawn_writers(
        &queue,
        vec![probe(true, &whole, 0), probe(false, &per_line, 1)],
        &stats,
        settings,
        Vec::new(),
        0,
    )
    .unwrap();
    let mut buffer = queue.take_free(|| true).unwrap();
    buffer.space()[..3].copy_from_slice(b"{}\n");
    buffer.advance(3);
    queue.submit(buffer);
    queue.close();
    for handle in handles {
        handle.join().unwrap();
    }
    let ours = thread_nice();
    let (whole, whole_slice) = whole
        .lock()
        .unwrap()
        .expect("the whole-buffer output wrote");
    let (per_line, per_line_slice) = per_line.lock().unwrap().expect("the per-line output wrote");
    // One level above this thread where the process may raise priorities
    // (CAP_SYS_NICE, as root), else level with it.
    let may_raise = std::thread::spawn(|| crate::sys::process::raise_priority(1).is_ok())
        .join()
        .unwrap();
    assert_eq!(whole, if may_raise { (ours - 1).max(-20) } else { ours });
    assert_eq!(
        per_line,
        (ours + i64::from(crate::output::writer::PER_LINE_YIELD)).min(19)
    );
    // The whole-buffer writer also asks the shortest slice, where the
    // kernel grants custom slices (Linux ≥ 6.12, shown as se.slice): it
    // then preempts on waking. The per-line one keeps the default.
    let short = crate::output::writer::WAKE_SLICE.as_nanos() as u64;
    let granted = std::thread::spawn(move || {
        crate::sys::process::ask_short_slice(crate::output::writer::WAKE_SLICE).is_ok()
            && thread_slice() == Some(short)
    })
    .join()
    .unwrap();
    if granted {
        assert_eq!(whole_slice, short);
        assert_eq!(Some(per_line_slice), thread_slice());
        assert_ne!(per_line_slice, short);
    } else {
        eprintln!("SKIPPED (slice part): this kernel grants no custom scheduler slice");
    }
}

/// A loss record that cannot be written (the receiver refuses every
/// write) is not an event given up: counted as one, each interval's
/// record would report the last one's failure as a new loss, forever.
#[test]
fn a_failed_loss_record_is_not_counted_as_a_lost_event() {
    let stats = Arc::new(Stats::new(&["dead"]));
    let sink = Sink::new(
        Box::new(Slow {
            delay: Duration::ZERO,
            fail: true,
            lines: Arc::default(),
        }),
        1,
        Duration::ZERO,
        0,
    );
    assert_loss_records_are_not_lost_events(sink, &stats);
}

/// Runs `sink` for 400 ms of 20 ms loss intervals after one event was
/// lost (the pool empty) and none handed to it; asserts that it counts
/// none as sent or given up, whatever became of its loss records.
fn assert_loss_records_are_not_lost_events(sink: Sink, stats: &Arc<Stats>) {
    let queue = Queue::new(1, 64, Policy::Drop);
    submit(&queue, &[&[]]); // the only buffer, with no line in it
    assert!(queue.take_free(|| true).is_none()); // one event lost: queue_drops 1
    let settings = WriterSettings {
        loss_report_interval: Duration::from_millis(20),
        control_outline: crate::json::ControlOutline::GoAudit,
        requests: crate::output::Requests::NONE,
    };
    let writer = {
        let (queue, stats) = (Arc::clone(&queue), Arc::clone(stats));
        std::thread::spawn(move || run_writer(queue.reader(0), sink, &stats, settings, None))
    };
    std::thread::sleep(Duration::from_millis(400));
    queue.close();
    writer.join().unwrap();
    let c = &stats.outputs[0];
    assert_eq!(
        (c.sent.get(), c.errors.get(), stats.output_errors()),
        (0, 0, 0),
        "no event was handed to this output, yet it reports events given up"
    );
}

/// An output disabled by a reload and enabled by the next does not tell
/// its stream again the losses its last thread reported.
#[test]
fn a_reenabled_output_does_not_report_old_losses_again() {
    let queue = Queue::new(2, 64, Policy::Drop);
    let stats = Arc::new(Stats::new(&["file"]));
    let lines: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    submit(&queue, &[&[b"a\n"], &[b"b\n"]]);
    assert!(queue.take_free(|| true).is_none()); // one event lost
    let settings = WriterSettings {
        loss_report_interval: Duration::from_secs(3600),
        control_outline: crate::json::ControlOutline::GoAudit,
        requests: crate::output::Requests::NONE,
    };
    let make = || {
        Sink::new(
            Box::new(Flaky {
                failures: 0,
                lines: Arc::clone(&lines),
            }),
            1,
            Duration::ZERO,
            0,
        )
    };
    // Disabled by a reload: writes what it holds, its last loss record, stops.
    queue.set_retired(0, true);
    queue.set_readers(0);
    run_writer(queue.reader(0), make(), &stats, settings, None);
    // Enabled again by the next reload; then raudit stops.
    queue.set_retired(0, false);
    queue.set_readers(1);
    queue.close();
    run_writer(queue.reader(0), make(), &stats, settings, None);
    let lines = lines.lock().unwrap();
    let reported: u64 = lines
        .iter()
        .filter_map(|l| serde_json::from_slice::<serde_json::Value>(l).ok())
        .filter(|v| v["raudit"]["report"] == "loss")
        .map(|v| v["raudit"]["queue_drops"].as_u64().unwrap())
        .sum();
    assert_eq!(reported, queue.dropped(), "{lines:?}");
}

#[test]
fn a_line_cut_by_a_short_writev_that_cannot_be_taken_back_is_never_joined_to_the_next() {
    // A socket cannot be truncated: the fragment of the line the writev
    // stopped in stays where it went, as on a pipe (stdout) or an
    // append-only file (`chattr +a`: ftruncate refused).
    let (mut reader, mut writer) = nonblocking_pair();
    let mut batch = LineBatch::with_capacity(64);
    let line = [b'x'; 1000]
        .iter()
        .chain(b"\n")
        .copied()
        .collect::<Vec<u8>>();
    let big: Vec<u8> = line.repeat(4096);
    let parts: [&[u8]; 1] = [&big];
    batch.write_through(&mut writer, &parts).unwrap();
    let mut got = Vec::new();
    read_all_available(&mut reader, &mut got);
    assert!(!got.ends_with(b"\n"), "the writev stopped inside a line");
    // The output gives the pending lines up (attempts spent)...
    let dropped = batch.discard(&writer);
    assert!(dropped >= 1);
    // ...and writes the next line later.
    assert!(batch.try_push(b"next\n"));
    while !batch.is_empty() {
        let _ = batch.write_to(&mut writer);
        read_all_available(&mut reader, &mut got);
    }
    for (at, received) in got.split(|&b| b == b'\n').enumerate() {
        assert!(
            received.is_empty() || received == b"next" || received == &line[..line.len() - 1],
            "line {at} is a fragment joined to another ({} bytes)",
            received.len()
        );
    }
    assert!(got.ends_with(b"next\n"));
}

#[test]
fn a_fragment_taken_back_from_a_file_not_opened_for_appending_leaves_no_hole() {
    // stdout redirected to a regular file without O_APPEND (a shell's
    // `>`, systemd's `StandardOutput=file:`): its offset, not its end,
    // says where the next write goes.
    let dir = temp_dir("no-append");
    let path = dir.join("stdout.log");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    io::Write::write_all(&mut file, b"{\"old\":1}\n").unwrap();
    // A line half written, as after a short write before ENOSPC.
    io::Write::write_all(&mut file, b"{\"half").unwrap();
    let mut batch = LineBatch::with_capacity(64);
    assert!(batch.try_push(b"{\"half\":2}\n"));
    batch.mark_written_for_test(6);
    batch.settle_for_test(&file);
    assert!(!batch.has_fragment());
    batch.write_to(&mut file).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(&path).unwrap()),
        "{\"old\":1}\n{\"half\":2}\n"
    );
}

/// The same for a loss record the file output takes into its batch and
/// then cannot write (the disk full): given up at the flush, it is still
/// not an event, and the next interval's record must not report it.
#[test]
fn a_loss_record_a_full_disk_refuses_is_not_counted_as_a_lost_event() {
    let stats = Arc::new(Stats::new(&["file"]));
    let dir = temp_dir("loss-full");
    let mut file = FileOutput::open(spec(dir.join("audit.log")), 1024).unwrap();
    file.redirect_for_test(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    );
    let sink = Sink::new(Box::new(file), 1, Duration::ZERO, 0);
    assert_loss_records_are_not_lost_events(sink, &stats);
}

#[test]
fn sent_never_goes_back_when_batched_lines_are_given_up() {
    // `sent` is a counter (`raudit_output_sent_total`): it may only grow.
    // Lines the file output batched and then could not write (the disk
    // full for every attempt) are errors, never first sent and then
    // taken back.
    let stats = Stats::new(&["file"]);
    let dir = temp_dir("sent-counter");
    let file = FileOutput::open(spec(dir.join("audit.log")), 1024).unwrap();
    let mut sink = Sink::new(Box::new(file), 2, Duration::ZERO, 0);
    let mut highest = 0;
    let mut check = |stats: &Stats| {
        let sent = stats.outputs[0].sent.get();
        assert!(sent >= highest, "sent went back from {highest} to {sent}");
        highest = sent;
    };
    for line in [b"a\n", b"b\n", b"c\n"] {
        sink.write(line, &NO_SIDE, &stats);
        check(&stats);
    }
    sink.flush(&stats);
    check(&stats);
    assert_eq!(stats.outputs[0].sent.get(), 3);
    // The same with the device full: the next lines are batched...
    let mut full_file = FileOutput::open(spec(dir.join("full.log")), 1024).unwrap();
    full_file.redirect_for_test(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    );
    sink.replace(Box::new(full_file), 2, SpoolChange::Keep, &stats);
    for line in [b"d\n", b"e\n"] {
        sink.write(line, &NO_SIDE, &stats);
        check(&stats);
    }
    // ...and given up when written.
    sink.flush(&stats);
    check(&stats);
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (3, 2));
}

/// Holds the lines it accepts; each flush writes the first `per_flush`
/// of them and then fails, as a file whose disk has room for a few lines
/// more.
struct PartlyWritten {
    held: u64,
    written: u64,
    per_flush: u64,
}

impl Output for PartlyWritten {
    fn name(&self) -> &str {
        "partly"
    }

    fn write_line(&mut self, _: &[u8], _: &LineSide<'_>) -> io::Result<Sent> {
        self.held += 1;
        Ok(Sent::Whole)
    }

    fn flush(&mut self) -> io::Result<()> {
        let now = self.per_flush.min(self.held);
        self.held -= now;
        self.written += now;
        Err(io::Error::from_raw_os_error(libc::ENOSPC))
    }

    fn pending_lines(&self) -> u64 {
        self.held
    }

    fn discard(&mut self) -> u64 {
        std::mem::take(&mut self.held)
    }
}

/// A flush that fails after writing some of the lines held (the disk
/// freed, then full again) counts those lines sent and only the rest as
/// given up: every event accepted is in `sent` or `errors`, once (as a
/// live run showed: 77 lines written and counted nowhere).
#[test]
fn lines_a_failing_flush_wrote_are_counted_sent() {
    let stats = Stats::new(&["partly"]);
    let output = PartlyWritten {
        held: 0,
        written: 0,
        per_flush: 2,
    };
    let mut sink = Sink::new(Box::new(output), 3, Duration::ZERO, 0);
    for _ in 0..10 {
        sink.write(b"event\n", &NO_SIDE, &stats);
    }
    // Three attempts write 2 lines each, then the other 4 are given up.
    sink.flush(&stats);
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (6, 4));
}

/// Under a storm the output's backlog never empties; the loss record is
/// still written when its interval is due, among the events, not held
/// back until the storm ends (which may be never, or after a restart).
#[test]
fn the_loss_record_is_not_held_back_while_the_backlog_never_empties() {
    const EVENTS: usize = 48;
    let queue = Queue::new(EVENTS, 64, Policy::Drop);
    let stats = Arc::new(Stats::new(&["slow"]));
    let lines: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let buffers: Vec<&[&[u8]]> = vec![&[b"event\n"]; EVENTS];
    submit(&queue, &buffers);
    assert!(queue.take_free(|| true).is_none()); // one event lost
    let settings = WriterSettings {
        loss_report_interval: Duration::from_millis(20),
        control_outline: crate::json::ControlOutline::GoAudit,
        requests: crate::output::Requests::NONE,
    };
    // 5 ms a line: about 240 ms of backlog, twelve intervals.
    let sink = Sink::new(
        Box::new(Slow {
            delay: Duration::from_millis(5),
            fail: false,
            lines: Arc::clone(&lines),
        }),
        1,
        Duration::ZERO,
        0,
    );
    let writer = {
        let (queue, stats) = (Arc::clone(&queue), Arc::clone(&stats));
        std::thread::spawn(move || run_writer(queue.reader(0), sink, &stats, settings, None))
    };
    // The queue stays open (raudit runs on) until every event is written.
    let deadline = Instant::now() + Duration::from_secs(30);
    while lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l == &b"event\n")
        .count()
        < EVENTS
    {
        assert!(
            Instant::now() < deadline,
            "the writer did not drain its backlog"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    queue.close();
    writer.join().unwrap();
    let lines = lines.lock().unwrap();
    let loss_at = lines.iter().position(|l| l.starts_with(b"{"));
    let loss_at = loss_at.expect("no loss record at all");
    assert!(
        loss_at < EVENTS,
        "the loss record came only after all {EVENTS} events (at {loss_at}): held back while the backlog was full"
    );
    let record: serde_json::Value = serde_json::from_slice(&lines[loss_at]).unwrap();
    assert_eq!(record["raudit"]["queue_drops"], 1, "{record}");
}

/// A reopen that fails (the new file cannot be made: here a directory
/// stands at its path) is tried again until it works, so the output does
/// not write on for ever into the rotated file, which the rotation will
/// compress or delete.
#[test]
fn a_failed_reopen_is_tried_again_until_it_works() {
    let dir = temp_dir("reopen-retry");
    let path = dir.join("audit.log");
    let rotated = dir.join("audit.log.1");
    let stats = Stats::new(&["file"]);
    let file = FileOutput::open(spec(path.clone()), 64).unwrap();
    let mut sink = Sink::new(Box::new(file), 1, Duration::ZERO, 0);
    sink.write(b"one\n", &NO_SIDE, &stats);
    std::fs::rename(&path, &rotated).unwrap();
    std::fs::create_dir(&path).unwrap();
    sink.reopen(&stats); // fails: a directory
    sink.write(b"two\n", &NO_SIDE, &stats);
    std::fs::remove_dir(&path).unwrap();
    sink.retry_reopen(&stats); // not yet due
    sink.write(b"three\n", &NO_SIDE, &stats);
    std::thread::sleep(super::sink::REOPEN_RETRY + Duration::from_millis(100));
    sink.retry_reopen(&stats);
    sink.write(b"four\n", &NO_SIDE, &stats);
    sink.flush(&stats);
    assert_eq!(std::fs::read(&rotated).unwrap(), b"one\ntwo\nthree\n");
    assert_eq!(std::fs::read(&path).unwrap(), b"four\n");
    assert_eq!(stats.outputs[0].reopens.get(), 1);
}

/// Sends every line; the host refuses the lines whose text starts with
/// `x`, which it learns at the next send or the flush (as a datagram's
/// ECONNREFUSED): the last line sent is held till then.
/// `sent` as each refusal is taken (what a metrics scrape can see).
struct RefusedLater {
    last_refused: bool,
    last_unknown: bool,
    refused: u64,
    stats: Arc<Stats>,
    sent_seen: Arc<Mutex<Vec<u64>>>,
}

impl Output for RefusedLater {
    fn name(&self) -> &str {
        "udp"
    }

    fn write_line(&mut self, line: &[u8], _: &LineSide<'_>) -> io::Result<Sent> {
        self.refused += u64::from(std::mem::replace(
            &mut self.last_refused,
            line.starts_with(b"x"),
        ));
        self.last_unknown = true;
        Ok(Sent::Whole)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.refused += u64::from(std::mem::take(&mut self.last_refused));
        self.last_unknown = false;
        Ok(())
    }

    fn pending_lines(&self) -> u64 {
        u64::from(self.last_unknown)
    }

    fn take_refused(&mut self) -> u64 {
        let sent = self.stats.outputs[0].sent.get();
        self.sent_seen.lock().unwrap().push(sent);
        std::mem::take(&mut self.refused)
    }
}

/// `sent` is a counter: it never falls (a Prometheus counter that falls
/// reads as a restart), and it counts the lines delivered, `errors` the
/// refused, the last one too (learned at the flush).
#[test]
fn sent_never_falls_when_the_host_refuses_a_line_already_counted() {
    let stats = Arc::new(Stats::new(&["udp"]));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let output = RefusedLater {
        last_refused: false,
        last_unknown: false,
        refused: 0,
        stats: Arc::clone(&stats),
        sent_seen: Arc::clone(&seen),
    };
    let mut sink = Sink::new(Box::new(output), 1, Duration::ZERO, 0);
    for line in [
        "a\n", "x\n", "b\n", "x\n", "x\n", "c\n", "d\n", "e\n", "x\n",
    ] {
        sink.write(line.as_bytes(), &NO_SIDE, &stats);
        seen.lock().unwrap().push(stats.outputs[0].sent.get());
    }
    sink.flush(&stats);
    let mut seen = seen.lock().unwrap().clone();
    seen.push(stats.outputs[0].sent.get());
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (5, 4));
}

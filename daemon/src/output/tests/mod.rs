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

/// Records the host names its thread tells it, and the lines, in order.
struct HostNamed {
    seen: Arc<Mutex<Vec<String>>>,
}

impl Output for HostNamed {
    fn name(&self) -> &str {
        "named"
    }

    fn write_line(&mut self, line: &[u8], _: &LineSide<'_>) -> io::Result<Sent> {
        let line = String::from_utf8_lossy(line).into_owned();
        self.seen.lock().unwrap().push(line);
        Ok(Sent::Whole)
    }

    fn set_host_name(&mut self, name: &str) {
        self.seen.lock().unwrap().push(format!("host {name}"));
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The output thread reads the host name (its `Requests` say where) and
/// tells its output before writing anything: an output opened before a
/// rename names the new host from its first line.
#[test]
fn the_output_thread_tells_its_output_the_host_name() {
    fn renamed(buf: &mut [u8; crate::host_name::MAX]) -> Option<&str> {
        buf[..7].copy_from_slice(b"renamed");
        std::str::from_utf8(&buf[..7]).ok()
    }
    let queue = Queue::new(2, 64, Policy::Drop);
    let stats = Arc::new(Stats::new(&["named"]));
    let seen = Arc::new(Mutex::new(Vec::new()));
    submit(&queue, &[&[b"a\n"]]);
    queue.close();
    let sink = Sink::new(
        Box::new(HostNamed {
            seen: Arc::clone(&seen),
        }),
        1,
        Duration::ZERO,
        0,
    );
    let settings = WriterSettings {
        loss_report_interval: Duration::from_secs(3600),
        control_outline: crate::json::ControlOutline::GoAudit,
        requests: crate::output::Requests {
            host_name: renamed,
            ..crate::output::Requests::NONE
        },
    };
    run_writers(&queue, vec![sink], &stats, settings);
    assert_eq!(*seen.lock().unwrap(), ["host renamed", "a\n"]);
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

mod counting;
mod writes;

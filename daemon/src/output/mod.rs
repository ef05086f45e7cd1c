//! Outputs: where encoded event lines go. An [`Output`] is one destination
//! (file, stdout, [`syslog`], [`gelf`]); a [`Sink`] wraps it
//! with go-audit's `attempts` retry policy and its counters; [`run_writer`]
//! is the output thread, which takes filled buffers off the queue, writes
//! each to every sink (fan-out), recycles them, reopens files on
//! SIGHUP/SIGUSR1 and writes a loss record into the stream once per
//! interval when events were dropped, and the supervisor's [`control`]
//! records (rule drift) as they come.
//!
//! An output that keeps failing never stops raudit: after `attempts` tries
//! the event is counted as an output error and dropped.

pub mod batch;
pub mod control;
pub mod file;
pub mod gelf;
pub mod net;
pub mod stdout;
pub mod syslog;

use std::io::{self, Write as _};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arrayvec::ArrayVec;

use crate::queue::{EventBuffer, Queue};
use crate::stats::{OutputCounters, Stats};

pub use control::{control_channel, ControlReceiver, ControlSender};
pub use file::{FileOutput, FileSpec};
pub use gelf::Gelf;
pub use stdout::StdoutOutput;
pub use syslog::Syslog;

/// One destination for event lines (each line is JSON and `\n`).
pub trait Output: Send {
    /// Short name for stats and messages (`file`, `stdout`, …).
    fn name(&self) -> &str;
    /// Accepts one line; may buffer it. An error means the line was not
    /// accepted and may be offered again.
    fn write_line(&mut self, line: &[u8]) -> io::Result<()>;
    /// Accepts whole buffers of lines at once (at most
    /// [`batch::MAX_PARTS`]), written as they are: file and stdout do, with
    /// one `writev` and no copy. `None` when this output takes lines one by
    /// one ([`write_line`](Self::write_line)). An error means none of
    /// `parts` was accepted and they may be offered again; what was
    /// accepted but not yet written waits for [`flush`](Self::flush).
    fn write_buffers(&mut self, _parts: &[&[u8]]) -> Option<io::Result<()>> {
        None
    }
    /// Writes out whatever is buffered. An error keeps it buffered.
    fn flush(&mut self) -> io::Result<()>;
    /// Lines accepted but not yet written.
    fn pending_lines(&self) -> u64 {
        0
    }
    /// Drops what is buffered (after the sink gave up on it).
    fn discard(&mut self) {}
    /// Reopens the destination (log rotation). Buffered lines are written
    /// to the old destination first.
    fn reopen(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An output with its retry policy and counters.
pub struct Sink {
    output: Box<dyn Output>,
    attempts: u32,
    pause: Duration,
    counters_index: usize,
}

impl Sink {
    /// `attempts` tries per line (at least one), sleeping `pause` between.
    pub fn new(
        output: Box<dyn Output>,
        attempts: u32,
        pause: Duration,
        counters_index: usize,
    ) -> Sink {
        Sink {
            output,
            attempts: attempts.max(1),
            pause,
            counters_index,
        }
    }

    pub fn name(&self) -> &str {
        self.output.name()
    }

    fn counters<'s>(&self, stats: &'s Stats) -> Option<&'s OutputCounters> {
        stats.outputs.get(self.counters_index)
    }

    fn write(&mut self, line: &[u8], stats: &Stats) {
        for attempt in 1..=self.attempts {
            match self.output.write_line(line) {
                Ok(()) => {
                    if let Some(c) = self.counters(stats) {
                        c.events.add(1);
                        c.bytes.add(line.len() as u64);
                    }
                    return;
                }
                // Too large for the transport (EMSGSIZE): no attempt can
                // succeed; the output has told why, once per interval.
                Err(e) if net::is_too_large(&e) => break,
                Err(e) => self.failed(attempt, "write", &e, stats),
            }
        }
        if let Some(c) = self.counters(stats) {
            c.errors.add(1);
        }
    }

    /// Writes whole buffers of lines (`lines` lines in all): at once when
    /// the output can, else line by line.
    fn write_buffers(&mut self, parts: &[&[u8]], lines: u64, stats: &Stats) {
        let bytes: usize = parts.iter().map(|part| part.len()).sum();
        for attempt in 1..=self.attempts {
            match self.output.write_buffers(parts) {
                None => {
                    for part in parts {
                        for line in part.split_inclusive(|&b| b == b'\n') {
                            self.write(line, stats);
                        }
                    }
                    return;
                }
                Some(Ok(())) => {
                    if let Some(c) = self.counters(stats) {
                        c.events.add(lines);
                        c.bytes.add(bytes as u64);
                    }
                    return;
                }
                Some(Err(e)) => self.failed(attempt, "write", &e, stats),
            }
        }
        if let Some(c) = self.counters(stats) {
            c.errors.add(lines);
        }
    }

    fn flush(&mut self, stats: &Stats) {
        for attempt in 1..=self.attempts {
            match self.output.flush() {
                Ok(()) => return,
                Err(e) => self.failed(attempt, "flush", &e, stats),
            }
        }
        let lost = self.output.pending_lines();
        self.output.discard();
        if let Some(c) = self.counters(stats) {
            c.errors.add(lost);
            // Those lines were counted as written when they were buffered.
            c.events.set(c.events.get().saturating_sub(lost));
        }
    }

    fn failed(&self, attempt: u32, what: &str, error: &io::Error, stats: &Stats) {
        if attempt < self.attempts {
            eprintln!(
                "raudit: output {}: {what} failed (attempt {attempt} of {}), retrying in {:?}: {error}",
                self.name(),
                self.attempts,
                self.pause
            );
            if let Some(c) = self.counters(stats) {
                c.retries.add(1);
            }
            std::thread::sleep(self.pause);
        } else {
            eprintln!(
                "raudit: output {}: {what} failed {} times, dropping: {error}",
                self.name(),
                self.attempts
            );
        }
    }

    fn reopen(&mut self, stats: &Stats) {
        self.flush(stats);
        match self.output.reopen() {
            Ok(()) => {
                if let Some(c) = self.counters(stats) {
                    c.reopens.add(1);
                }
            }
            Err(e) => eprintln!(
                "raudit: output {}: reopen failed, still writing to the old file: {e}",
                self.name()
            ),
        }
    }
}

/// How long the output thread lets buffers gather after writing some: a
/// line waits at most this (plus the receive side's 5 ms hold) before it
/// is written, and a busy stream costs at most 200 wake-ups a second.
const COALESCE: Duration = Duration::from_millis(5);

/// Settings of the output thread.
#[derive(Clone, Copy, Debug)]
pub struct WriterSettings {
    /// How often a loss record may go into the stream.
    pub loss_report_interval: Duration,
}

/// The output thread's loop; returns when the queue is closed and drained.
pub fn run_writer(
    queue: Arc<Queue>,
    sinks: Vec<Sink>,
    stats: Arc<Stats>,
    settings: WriterSettings,
) {
    run_writer_with(queue, sinks, stats, settings, None);
}

/// [`run_writer`], also writing the records that come on `control`.
pub fn run_writer_with(
    queue: Arc<Queue>,
    mut sinks: Vec<Sink>,
    stats: Arc<Stats>,
    settings: WriterSettings,
    control: Option<ControlReceiver>,
) {
    queue.register_consumer();
    let mut loss = LossReporter::new(settings.loss_report_interval);
    let mut dirty = false;
    loop {
        if crate::signals::take_reopen() {
            for sink in &mut sinks {
                sink.reopen(&stats);
            }
        }
        // Checked on every turn, so a storm of events does not hold a
        // report back (an empty channel is one atomic load).
        if let Some(line) = control.as_ref().and_then(ControlReceiver::try_next) {
            for sink in &mut sinks {
                sink.write(&line, &stats);
                sink.flush(&stats);
            }
            continue;
        }
        let mut held: ArrayVec<EventBuffer, { batch::MAX_PARTS }> = ArrayVec::new();
        while !held.is_full() {
            match queue.next_filled() {
                Some(buffer) => held.push(buffer),
                None => break,
            }
        }
        if !held.is_empty() {
            let parts: ArrayVec<&[u8], { batch::MAX_PARTS }> =
                held.iter().map(EventBuffer::filled).collect();
            let lines = held.iter().map(EventBuffer::line_count).sum();
            for sink in &mut sinks {
                sink.write_buffers(&parts, lines, &stats);
            }
            drop(parts);
            for buffer in held {
                // The state file's serial: a store to mapped memory.
                if buffer.mark() != 0 {
                    crate::daemon::restart::note_written(buffer.mark());
                }
                queue.recycle(buffer);
            }
            dirty = true;
            continue;
        }
        if dirty {
            for sink in &mut sinks {
                sink.flush(&stats);
            }
            dirty = false;
            if !queue.is_closed() {
                // Under load, let the next buffers gather for a moment
                // instead of parking and being woken for every receive
                // batch: one wake-up per COALESCE at most, each writing
                // many events.
                queue.gather(COALESCE);
                continue;
            }
        }
        if let Some(line) = loss.due(&queue, &stats) {
            for sink in &mut sinks {
                sink.write(line, &stats);
                sink.flush(&stats);
            }
        }
        if queue.is_closed() && queue.depth() == 0 {
            break;
        }
        queue.wait(Duration::from_millis(100));
    }
    if let Some(line) = loss.final_report(&queue, &stats) {
        for sink in &mut sinks {
            sink.write(line, &stats);
        }
    }
    while let Some(line) = control.as_ref().and_then(ControlReceiver::try_next) {
        for sink in &mut sinks {
            sink.write(&line, &stats);
        }
    }
    for sink in &mut sinks {
        sink.flush(&stats);
    }
}

/// Once per interval, a record in the output stream itself saying how many
/// events were dropped since the last one (go-audit's shape, sequence 0, no
/// messages, and a `raudit` object with the counts).
struct LossReporter {
    interval: Duration,
    last: Instant,
    reported_queue_drops: u64,
    line: [u8; 512],
}

impl LossReporter {
    fn new(interval: Duration) -> LossReporter {
        LossReporter {
            interval,
            last: Instant::now(),
            reported_queue_drops: 0,
            line: [0; 512],
        }
    }

    fn due(&mut self, queue: &Queue, stats: &Stats) -> Option<&[u8]> {
        if self.last.elapsed() < self.interval {
            return None;
        }
        self.final_report(queue, stats)
    }

    fn final_report(&mut self, queue: &Queue, stats: &Stats) -> Option<&[u8]> {
        self.last = Instant::now();
        let drops = queue.dropped();
        let new_drops = drops.saturating_sub(self.reported_queue_drops);
        if new_drops == 0 {
            return None;
        }
        self.reported_queue_drops = drops;
        stats.queue_drops.set(drops);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let mut cursor = io::Cursor::new(&mut self.line[..]);
        let written = writeln!(
            cursor,
            "{{\"sequence\":0,\"timestamp\":\"{}.{:03}\",\"messages\":[],\"uid_map\":{{}},\"raudit\":{{\"report\":\"loss\",\"queue_drops\":{new_drops},\"queue_drops_total\":{drops}}}}}",
            now.as_secs(),
            now.subsec_millis()
        );
        let len = cursor.position() as usize;
        written.ok()?;
        self.line.get(..len)
    }
}

#[cfg(test)]
mod tests;

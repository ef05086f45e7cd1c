//! The output threads: one per output, each writing the buffers of its own
//! backlog (see [`crate::queue`]) through its [`Sink`], so a dead, slow or
//! retrying output never delays another. Each thread also reopens its
//! output on SIGHUP/SIGUSR1, takes a new one a reload sends, writes the supervisor's [`stream_notice`](super::stream_notice)
//! records and its own [loss record](super::loss) into its stream, and at
//! shutdown drains its backlog — until the queue's drain deadline, after
//! which it gives the rest up (counted as its drops), so a dead receiver
//! cannot hold the exit up.
//!
//! Batching: up to [`MAX_PARTS`] buffers are taken at once (file and
//! stdout write them with one `writev`), and after writing the thread lets
//! work gather for up to [`COALESCE`] (woken early when a quarter of the
//! pool waits for it or the receive side's socket ran dry).

use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use arrayvec::ArrayVec;

use super::batch::MAX_PARTS;
use super::loss::LossReporter;
use super::stream_notice::ControlReceiver;
use super::Sink;
use crate::host_name;
use crate::json::ControlOutline;
use crate::queue::{Filled, Queue, Reader};
use crate::stats::Stats;

/// How long an output thread lets buffers gather after writing some: a
/// line waits at most this (plus the receive side's 5 ms hold) before it
/// is written, and a busy stream costs at most 200 wake-ups a second.
pub const COALESCE: Duration = Duration::from_millis(5);

/// Settings of the output threads.
#[derive(Clone, Copy, Debug)]
pub struct WriterSettings {
    /// How often a loss record may go into the stream.
    pub loss_report_interval: Duration,
    /// The outline of the loss records (the events' shape's).
    pub control_outline: ControlOutline,
    /// What the process asks of them (reopen, stopping).
    pub requests: Requests,
}

/// What the process asks of the output threads, as their inputs: the
/// daemon passes its signal flags (`crate::signals`), tests their own.
#[derive(Clone, Copy, Debug)]
pub struct Requests {
    /// A number that changes with each reopen request (SIGHUP/SIGUSR1):
    /// every output reopens once per change.
    pub reopen: fn() -> u64,
    /// Whether the process is stopping (SIGTERM/SIGINT): waits on a busy
    /// receiver are cut short.
    pub stopping: fn() -> bool,
    /// Where the host's name is read, again every
    /// [`host_name::REFRESH`]: a change goes to the output
    /// ([`Output::set_host_name`](super::Output::set_host_name)).
    pub host_name: host_name::Source,
}

impl Requests {
    /// Nothing is ever asked: no reopen, no stop (the queue's close ends
    /// the threads).
    pub const NONE: Requests = Requests {
        reopen: || 0,
        stopping: || false,
        host_name: host_name::no_source,
    };
}

/// Starts one thread per sink, each reading the backlog of its sink's
/// counters index, with its control receiver (by position) if any. `boost`
/// raises each thread's priority once (see ARCHITECTURE.md).
pub fn spawn_writers(
    queue: &Arc<Queue>,
    sinks: Vec<Sink>,
    stats: &Arc<Stats>,
    settings: WriterSettings,
    control: Vec<ControlReceiver>,
    boost: u32,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    let mut control = control.into_iter();
    let mut handles = Vec::with_capacity(sinks.len());
    for (output, sink) in sinks.into_iter().enumerate() {
        handles.push(spawn_writer(
            queue,
            output,
            sink,
            stats,
            settings,
            control.next(),
            boost,
        )?);
    }
    Ok(handles)
}

/// Nice levels an output that works line by line (syslog, GELF, OTLP)
/// runs below the receive thread and the outputs that write whole buffers
/// (file, stdout): about a third of their CPU share when they compete.
pub const PER_LINE_YIELD: u32 = 5;

/// The scheduler slice a whole-buffer writer asks for (the shortest the
/// kernel grants), so it runs as soon as it is woken; it needs well under
/// a millisecond per wake-up, so the short turns cost it nothing.
pub const WAKE_SLICE: Duration = Duration::from_micros(100);

/// Starts the thread of output `output` (its backlog, its counters), at
/// start or when a reload enables the output.
pub fn spawn_writer(
    queue: &Arc<Queue>,
    output: usize,
    sink: Sink,
    stats: &Arc<Stats>,
    settings: WriterSettings,
    control: Option<ControlReceiver>,
    boost: u32,
) -> std::io::Result<JoinHandle<()>> {
    let reader = queue.reader(output);
    // Before the receive thread can hand it a buffer: the stored restart
    // mark waits for this output from now on.
    reader.join();
    let stats = Arc::clone(stats);
    let per_line = sink.buffers_at_once() == 1;
    let started = thread::Builder::new()
        .name(format!("raudit-out-{output}"))
        .spawn(move || {
            // A whole-buffer writer (the file) needs little CPU, but when
            // woken it must run at once, or under a storm the pool runs out
            // while it waits its turn behind the load, kauditd and the
            // receive thread: one nice level above the receive thread, or
            // `priority_boost` more (without CAP_SYS_NICE it stays level).
            // A per-line writer takes `priority_boost` like the receive
            // thread, then yields below it.
            let raise = if per_line { boost } else { boost.max(1) };
            if raise > 0 {
                let _ = crate::sys::process::raise_priority(raise);
            }
            if !per_line {
                // Nice alone does not get it the CPU at once: woken behind
                // threads on the default slice (about 1–3 ms), it waited up
                // to 10 ms (perf sched, ECS storm), longer than the pool
                // lasts. A short slice makes it preempt them on waking.
                let _ = crate::sys::process::ask_short_slice(WAKE_SLICE);
            }
            if per_line {
                // Formats, compresses or encrypts each event: when the
                // CPUs are short it yields to the receive thread (the
                // kernel's drain) and the whole-buffer outputs (the local
                // file), and falls behind and drops itself (counted).
                let _ = crate::sys::process::lower_priority(PER_LINE_YIELD);
            }
            run_writer(reader, sink, &stats, settings, control.as_ref());
        });
    if started.is_err() {
        queue.reader(output).leave();
    }
    started
}

/// Runs one writer per sink until the queue is closed and drained (tests
/// and tools: the daemon uses [`spawn_writers`]).
pub fn run_writers(
    queue: &Arc<Queue>,
    sinks: Vec<Sink>,
    stats: &Arc<Stats>,
    settings: WriterSettings,
) {
    match spawn_writers(queue, sinks, stats, settings, Vec::new(), 0) {
        Ok(handles) => {
            for handle in handles {
                if handle.join().is_err() {
                    eprintln!("raudit: an output thread panicked");
                }
            }
        }
        Err(e) => eprintln!("raudit: starting the output threads: {e}"),
    }
}

/// One output's loop; returns when the queue is closed and this output's
/// backlog drained (or given up at the drain deadline).
pub fn run_writer(
    reader: Reader,
    mut sink: Sink,
    stats: &Stats,
    settings: WriterSettings,
    control: Option<&ControlReceiver>,
) {
    reader.register();
    reader.join();
    sink.attach(reader.shared());
    let queue = reader.queue();
    // (A thread started by a reload does not report again what the
    // stream was told before.)
    let mut loss = LossReporter::new(
        settings.loss_report_interval,
        settings.control_outline,
        sink.counters(stats),
    );
    sink.set_stopping(settings.requests.stopping);
    let mut generation = (settings.requests.reopen)();
    let mut evicted_seen = 0;
    let mut eviction_log = EvictionLog::default();
    let mut dirty = false;
    let at_once = sink.buffers_at_once();
    let started = Instant::now();
    // (The output read the name when it opened: the first turn tells it
    // the name read now, the same unless the host was renamed since.)
    let mut host = host_name::Watch::unread(settings.requests.host_name);
    loop {
        // (One clock read a turn, for the host name, read once a minute,
        // and the loss record's interval.)
        let turn = Instant::now();
        let ms =
            u64::try_from(turn.saturating_duration_since(started).as_millis()).unwrap_or(u64::MAX);
        if host.refresh(ms) {
            if let Some(name) = host.name() {
                sink.set_host_name(name);
            }
        }
        let now = (settings.requests.reopen)();
        if now != generation {
            generation = now;
            sink.reopen(stats);
        } else {
            sink.retry_reopen(stats);
        }
        evicted_seen = count_evicted(
            &reader,
            &sink,
            stats,
            evicted_seen,
            &mut eviction_log,
            false,
        );
        // Checked on every turn, so a storm of events does not hold a
        // report back (an empty channel is one atomic load).
        if let Some(line) = control.and_then(ControlReceiver::try_next) {
            sink.write_control(&line, stats);
            sink.flush(stats);
            continue;
        }
        // Also checked on every turn (the turn's clock read): under a steady
        // stream of buffers the thread never finds its backlog empty, and
        // a storm is when the pool runs out.
        if let Some(line) = loss.due(turn, queue, stats, sink.counters(stats)) {
            sink.write_control(line, stats);
            sink.flush(stats);
        }
        // Between two buffers: what was written went to the old output,
        // what comes goes to the new one.
        if let Some(new) = control.and_then(ControlReceiver::try_replacement) {
            sink.replace(new.output, new.attempts, new.spool, stats);
            continue;
        }
        if queue.drain_expired() {
            give_up(&reader, &mut sink, stats);
            break;
        }
        let mut held: ArrayVec<Filled<'_>, MAX_PARTS> = ArrayVec::new();
        while held.len() < at_once {
            match reader.next() {
                Some(filled) => held.push(filled),
                None => break,
            }
        }
        if !held.is_empty() {
            sink.write_buffers(&held, stats);
            for filled in held {
                reader.release(filled);
            }
            dirty = true;
            continue;
        }
        if dirty {
            sink.flush(stats);
            dirty = false;
            if !queue.is_closed() {
                // Under load, let the next buffers gather for a moment
                // instead of parking and being woken for every receive
                // batch: one wake-up per COALESCE at most, each writing
                // many events.
                reader.gather(COALESCE);
                continue;
            }
        }
        if reader.is_done() {
            break;
        }
        if sink.idle(stats) {
            continue;
        }
        reader.wait(Duration::from_millis(100));
    }
    count_evicted(&reader, &sink, stats, evicted_seen, &mut eviction_log, true);
    if let Some(line) = loss.final_report(queue, stats, sink.counters(stats)) {
        sink.write_control(line, stats);
    }
    // The supervisor's last records (forged datagrams counted at the end,
    // a restart's gap) can come after the events have: they are taken
    // until it closes the channel, which it does once it has sent them.
    if let Some(control) = control {
        let deadline = Instant::now() + LAST_RECORDS_WAIT;
        control.drain_until_closed(deadline, |line| sink.write_control(&line, stats));
    }
    sink.flush(stats);
    // Flushed: what it still held was written or counted.
    reader.leave();
}

/// Counts the lines the output gave up since `seen` because its backlog
/// was full (evicted by the receive thread), says so on stderr as `log`
/// allows (every time when `last`: the thread is ending); returns the new
/// total.
fn count_evicted(
    reader: &Reader,
    sink: &Sink,
    stats: &Stats,
    seen: u64,
    log: &mut EvictionLog,
    last: bool,
) -> u64 {
    let evicted = reader.evicted_lines();
    let new = evicted.saturating_sub(seen);
    if new > 0 {
        sink.dropped(new, stats);
    }
    if new > 0 || last {
        if let Some(lines) = log.note(new, Instant::now(), last) {
            eprintln!(
                "raudit: output {}: {lines} lines given up: its backlog was full (it fell behind)",
                sink.name()
            );
        }
    }
    evicted.max(seen)
}

/// How often an output that keeps giving up lines because its backlog is
/// full says so on stderr (the first time at once).
const EVICTION_LOG_INTERVAL: Duration = Duration::from_secs(10);
/// How long an output thread whose events have ended waits at most for
/// the supervisor's last records (it sends them within a tick of the
/// shutdown and then closes the channel, so the wait is that short).
const LAST_RECORDS_WAIT: Duration = Duration::from_secs(1);

/// When to say that an output gave up lines because its backlog was full:
/// the first time at once, then at most once an [`EVICTION_LOG_INTERVAL`]
/// with the lines since, and whatever is left when the thread ends. The
/// counters (`NAME.dropped`) sum every cause; this line tells this one
/// from the shutdown deadline's and failed attempts' (logged apart).
#[derive(Debug, Default)]
struct EvictionLog {
    last: Option<Instant>,
    unlogged: u64,
}

impl EvictionLog {
    /// `lines` more were given up at `now`: the lines to log now, if it is
    /// time (always when `ending`).
    fn note(&mut self, lines: u64, now: Instant, ending: bool) -> Option<u64> {
        self.unlogged = self.unlogged.saturating_add(lines);
        if self.unlogged == 0 {
            return None;
        }
        let recent = self
            .last
            .is_some_and(|at| now.saturating_duration_since(at) < EVICTION_LOG_INTERVAL);
        if recent && !ending {
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.unlogged))
    }
}

/// The drain deadline passed: what is left in the backlog is dropped (or
/// spooled, for an output with a spool).
fn give_up(reader: &Reader, sink: &mut Sink, stats: &Stats) {
    let mut lines = 0;
    while let Some(filled) = reader.next() {
        if sink.spools() {
            sink.write_buffers(std::slice::from_ref(&filled), stats);
        } else {
            lines += filled.line_count();
        }
        reader.release(filled);
    }
    if lines > 0 {
        sink.dropped(lines, stats);
        eprintln!(
            "raudit: output {}: {lines} lines still queued at the shutdown deadline were dropped",
            sink.name()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evictions_are_logged_at_once_then_once_an_interval_and_at_the_end() {
        let mut log = EvictionLog::default();
        let start = Instant::now();
        assert_eq!(log.note(0, start, false), None, "nothing given up");
        assert_eq!(log.note(5, start, false), Some(5), "the first at once");
        let soon = start + EVICTION_LOG_INTERVAL / 2;
        assert_eq!(log.note(7, soon, false), None);
        assert_eq!(log.note(1, soon, false), None);
        let later = start + EVICTION_LOG_INTERVAL;
        assert_eq!(log.note(2, later, false), Some(10), "the lines since");
        assert_eq!(log.note(3, later, false), None);
        assert_eq!(
            log.note(0, later, true),
            Some(3),
            "what is left, at the end"
        );
        assert_eq!(log.note(0, later, true), None, "nothing left");
    }
}

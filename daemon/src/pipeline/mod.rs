//! The receive thread: datagrams → records → assembled events → go-audit
//! JSON in pooled buffers → the output queue. One thread owns the source,
//! the assembler, the enricher and the encoder; it waits on an output only
//! when no buffer is free (briefly under the `drop` policy, as long as it
//! takes under `block`: `queue::free_wait`) and allocates nothing per
//! event once running: every buffer is sized at start.
//!
//! Large events: the assembler grows an event too large for its ring in a
//! lane reserved at start (`sys::reserve`), and a line too large for a
//! pooled buffer goes into one of the queue's large buffers; all keep their
//! pages while large events keep coming and give them back once none came
//! for a while (`large_pages`). An event above `max_event_bytes`, or
//! one that finds every large buffer out, is written as the marked cut that
//! fits (see `raudit_core::encode::cut`), counted in `events_cut`.
//!
//! Time: the receive timeout is the assembler's next deadline (capped by
//! `max_wait`, which bounds how late a signal is noticed), so a lone last
//! event is written on time even when the host goes quiet. Deadlines are
//! checked only when a receive finds the socket dry: a thread that comes
//! back late finds the records sent meanwhile in the socket, and an event
//! whose deadline passed meanwhile gets them before it goes out.

pub mod cpu_idle;
pub mod filter;
pub mod format;
pub mod large_pages;
pub mod out_of_order;
pub mod pacing;
pub mod source;
pub mod update;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use raudit_core::assemble::{self, Assembler, Event, EventSlot, RecordSlot};
use raudit_core::record::Record;
use raudit_core::time::Instant;
use raudit_core::wire::netlink::datagram_record;
use raudit_core::wire::MessageType;

use crate::enrich::account_changes::is_account_record;
use crate::enrich::Enricher;
use crate::queue::{EventBuffer, Queue};
use crate::rewrite::{RewriteCounts, RewriteSpec, Rewriter};
use crate::side;
use crate::stats::Stats;
use crate::sys::netlink::Received;
pub use filter::{EventFilter, FilterUpdate};
pub use format::Format;
use large_pages::LargePages;
use raudit_core::encode::{Encoded, Shape};
pub use source::{Input, Slot, SocketSource, Source, SLOT_BYTES};

/// The longest line the largest `execve` a default Linux allows needs (the
/// default `raudit.max_event_bytes`, and the least the large-event lane holds).
///
/// - The kernel bounds the argument and environment strings of an exec
///   together by a quarter of the stack rlimit (`bprm_stack_limits`; the
///   default 8 MiB gives 2 MiB), each string by `MAX_ARG_STRLEN` (32
///   pages, 128 KiB). Only the arguments are audited, in EXECVE records.
/// - An argument holding a space, a quote or a byte outside `0x21..=0x7e`
///   is hex encoded: two bytes per byte, so at most 4 MiB of values.
/// - Field names: `aN=` per argument, and `aN_len=` and `aN[i]=` per piece
///   of one longer than a record holds (pieces of up to 7,500 bytes): for
///   4 MiB of hex about 560 pieces, 12 KiB of names. Many tiny arguments
///   have more name than value, but each also costs 9 bytes of the 2 MiB
///   (its pointer and NUL): at most 233,016 of them, `a233015="" ` plus
///   two JSON escapes is 13 bytes each, 3 MiB — below the hex case.
/// - go-audit's outline per EXECVE message (`{"type":1309,"data":""}`,
///   about 30 bytes) adds 17 KiB; SYSCALL, CWD, the PATHs, PROCTITLE and
///   `uid_map` stay well under 64 KiB.
///
/// 4 MiB + 12 KiB + 17 KiB + 64 KiB, rounded up: 4 MiB + 256 KiB.
pub const LARGEST_EXECVE_LINE: u32 = (4 << 20) + (256 << 10);

/// Sizes and behaviour of the receive thread, fixed at start.
#[derive(Clone, Debug)]
pub struct Settings {
    pub assembler: assemble::Settings,
    /// The JSON shape of events (`raudit.format`).
    pub format: Format,
    /// Events in flight at once.
    pub events: usize,
    /// Records in flight at once (all events together).
    pub records: usize,
    /// Bytes of record text in flight at once.
    pub arena_bytes: usize,
    /// The largest event line (`raudit.max_event_bytes`); also the size of
    /// the assembler's large-event lane (at least the default's).
    pub max_event_bytes: usize,
    /// Datagrams per `recvmmsg`.
    pub batch: usize,
    /// Longest wait in one receive (signal latency when idle).
    pub max_wait: Duration,
    /// Distinct uids remembered.
    pub uid_cache: usize,
    /// Add container ids (go-audit's `extras.containers`).
    pub containers: bool,
    /// The host name in every event of the go-audit and structured shapes
    /// (`raudit.host_name`).
    pub host_name: bool,
    pub filters: Vec<EventFilter>,
    /// Where a reload puts a new filter list (see [`filter::FilterUpdate`]).
    pub filter_update: Arc<FilterUpdate>,
    /// Where a reload puts the outputs that read the queue and what goes
    /// beside the lines for them (see [`OutputsUpdate`]).
    pub outputs_update: Arc<OutputsUpdate>,
    /// A stderr line per late serial (`message_tracking.log_out_of_order`).
    pub log_out_of_order: bool,
    /// Pause between receives at high rates (`raudit.pacing`; see
    /// [`pacing`]).
    pub pacing: bool,
    /// What the socket's receive buffer holds, in bytes (`SO_RCVBUF` as
    /// the kernel reports it): bounds the pacing pauses; 0 turns them off.
    pub socket_buffer_bytes: usize,
    /// What goes beside each line for the outputs.
    pub side: SideSettings,
    /// Secrets redacted and fields chosen before encoding
    /// (`raudit.redact`, `raudit.fields`; see [`crate::rewrite`]).
    pub rewrite: RewriteSpec,
}

/// The outputs reading the queue (a bit per backlog, see
/// [`Queue::set_readers`]) and what goes beside the lines for them, on
/// their way to the receive thread: it hands the buffer it fills over
/// first, so every buffer is written for one set of outputs whole.
pub type OutputsUpdate = update::Update<(u64, SideSettings)>;

/// What the receive thread puts beside each line in the buffer's side
/// region (see [`crate::side`]), decided from the outputs at start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SideSettings {
    /// The event's facts (some output builds fields from them: GELF).
    pub facts: bool,
    /// Lines longer than this get a marked cut version that fits (the
    /// smallest transport limit of the outputs).
    pub cut_limit: Option<usize>,
}

impl SideSettings {
    /// Side bytes one line may need in a buffer of `capacity` bytes: its
    /// facts, and the cut version of a line longer than the limit (which
    /// the buffer can hold only if it is at least that long).
    pub fn need(&self, capacity: usize) -> usize {
        let facts = if self.facts { side::FACTS_ROOM } else { 0 };
        let cut = match self.cut_limit {
            Some(limit) if capacity > limit => side::RECORD_HEADER + limit,
            _ => 0,
        };
        facts + cut
    }

    /// The side region a buffer of `capacity` bytes needs: room for one
    /// line's worst [`need`](Self::need), and for the facts and cut
    /// versions of many lines (a line that does not find room moves to a
    /// fresh buffer, as when the lines themselves do not fit). 0 when
    /// nothing goes beside the lines: the default configuration reserves
    /// nothing.
    pub fn bytes_per_buffer(&self, capacity: usize) -> usize {
        let need = self.need(capacity);
        if need == 0 {
            return 0;
        }
        let facts = if self.facts { capacity } else { 0 };
        let cut = if self.cut_limit.is_some() {
            capacity / 8
        } else {
            0
        };
        need + facts + cut
    }

    /// The most [`bytes_per_buffer`](Self::bytes_per_buffer) any outputs
    /// can ask of a buffer of `capacity` bytes: facts, and the cut room of
    /// a limit just below the capacity (a smaller limit needs less room
    /// per cut line and the same per buffer, a limit at or above the
    /// capacity none), so it is bounded whatever transport limits a reload
    /// brings. What the queue reserves (as address space only) beside each
    /// buffer, so a reload never needs more than was reserved.
    pub fn largest_bytes_per_buffer(capacity: usize) -> usize {
        SideSettings {
            facts: true,
            cut_limit: Some(capacity.saturating_sub(1).max(1)),
        }
        .bytes_per_buffer(capacity)
    }
}

impl Default for Settings {
    /// The settings of the default config (defaults live once, in the
    /// config; the plan reads it).
    fn default() -> Settings {
        crate::daemon::plan::default_pipeline_settings()
    }
}

/// Datagrams per `recvmmsg`.
pub const RECEIVE_BATCH: usize = 32;
/// Longest wait in one receive: how late a signal is noticed when idle.
pub const MAX_WAIT: Duration = Duration::from_millis(200);
/// Distinct uids remembered by the enricher.
pub const UID_CACHE: usize = 256;

/// The flat slot allocation as slots.
fn slots_of(bytes: &mut [u8]) -> &mut [Slot] {
    bytes.as_chunks_mut::<SLOT_BYTES>().0
}

/// Longest receive wait while encoded lines are held back.
const HOLD_WAIT: Duration = Duration::from_millis(1);
/// Longest time a line waits in the receive thread for its buffer to fill.
const MAX_HOLD: raudit_core::time::Duration = raudit_core::time::Duration::from_millis(5);

/// A large buffer is handed over once it holds this much (a burst of
/// medium lines shares it; a large line goes alone).
const LARGE_PACK: usize = 128 * 1024;

/// The assembler's large-event lane for `max_event_bytes`: at least the
/// default's (so a smaller cap still keeps the last arguments for the
/// cut), and a sixteenth more, which the lane keeps free behind EXECVE
/// records for the records after them (so the largest execve's arguments
/// fit whole too). Address space: only a large event touches it.
pub fn lane_bytes(max_event_bytes: usize) -> usize {
    let base = max_event_bytes.max(LARGEST_EXECVE_LINE as usize);
    base.saturating_add(base / 15)
}

type Storage = Assembler<Box<[EventSlot]>, Box<[RecordSlot]>, Box<[u8]>, &'static mut [u8]>;

/// The receive side, owned by the receive thread.
pub struct Pipeline<S> {
    source: S,
    assembler: Storage,
    /// The receive slots, one flat zeroed allocation (its pages are only
    /// touched as datagrams land in them), seen as `[Slot]`.
    slot_bytes: Box<[u8]>,
    received: Box<[Received]>,
    max_wait: Duration,
    /// How long the large-event pages stay after the last large event
    /// ([`large_pages::KEEP`]).
    large_keep: raudit_core::time::Duration,
    clock: Clock,
    pacer: pacing::Pacer,
    /// The machine's idle CPU share, which pacing asks before a pause.
    cpu_idle: cpu_idle::CpuIdle,
    sink: EventSink,
    /// `log_out_of_order`: the newest serial and late count logged.
    out_of_order: Option<out_of_order::OutOfOrder>,
    out_of_order_logged: u64,
    /// A record was received (its serial is in `stats.first_serial`).
    first_seen: bool,
}

/// Set in `Stats::first_serial` once the first record's serial is in it.
pub const FIRST_SERIAL_KNOWN: u64 = 1 << 32;

/// Everything an emitted event touches (apart from the assembler that
/// emits it).
struct EventSink {
    /// The buffer being filled, submitted when full, when the socket runs
    /// dry, or MAX_HOLD after its first line.
    current: Option<EventBuffer>,
    format: Shape,
    /// When the current buffer got its first line.
    held_since: Option<Instant>,
    /// The receive thread's clock at the last record (for `held_since`).
    now: Instant,
    enricher: Enricher,
    /// `None` when nothing is to be rewritten (taken out while an event is
    /// encoded, put back after).
    rewriter: Option<Rewriter>,
    /// The rewriter's counts already added to the stats.
    rewrite_counted: RewriteCounts,
    filters: Vec<EventFilter>,
    filter_update: Arc<FilterUpdate>,
    outputs_update: Arc<OutputsUpdate>,
    queue: Arc<Queue>,
    stats: Arc<Stats>,
    encoder_truncated: u64,
    side: SideSettings,
    /// `max_event_bytes`: no line is longer.
    max_line: usize,
    /// The length of the last line put in a pooled buffer: one like it
    /// that would not fit what a buffer has left goes to a fresh buffer at
    /// once, not after an attempt that fails late (ECS: the facts and the
    /// names, most of the work, done twice for ~6% of events).
    last_pooled_line: usize,
    /// When the large buffers' pages go back.
    large_pages: LargePages,
    /// The assembler's oldest event in flight, as of the last record: a
    /// buffer handed over is marked below it (see `daemon::restart`).
    oldest_in_flight: Option<u32>,
    /// The newest serial put in a buffer so far.
    newest_emitted: Option<u32>,
    /// Whether the process is stopping (the `stop` [`Pipeline::run`] was
    /// given): waiting for a free buffer ends.
    stopping: fn() -> bool,
}

/// Never stopping: the pipeline's `stopping` until [`Pipeline::run`] is
/// given one.
fn never() -> bool {
    false
}

/// The monotonic clock: the std instant and its core milliseconds.
struct Clock(std::time::Instant);

impl Clock {
    fn now(&self) -> (std::time::Instant, Instant) {
        let now = std::time::Instant::now();
        let millis = now.saturating_duration_since(self.0).as_millis() as u64;
        (now, Instant(millis))
    }
}

impl<S: Source> Pipeline<S> {
    /// Allocates every buffer the receive thread will ever use.
    pub fn new(source: S, settings: Settings, queue: Arc<Queue>, stats: Arc<Stats>) -> Pipeline<S> {
        let batch = settings.batch.clamp(1, 128);
        let lane_bytes = lane_bytes(settings.max_event_bytes);
        let lane = crate::sys::reserve::reserve(lane_bytes).unwrap_or_else(|e| {
            eprintln!(
                "raudit: no large-event lane ({lane_bytes} bytes): {e}; large events keep \
                 their other records and lose EXECVE records"
            );
            Default::default()
        });
        Pipeline {
            source,
            assembler: Assembler::with_lane(
                settings.assembler,
                vec![EventSlot::default(); settings.events.max(1)].into_boxed_slice(),
                vec![RecordSlot::default(); settings.records.max(1)].into_boxed_slice(),
                vec![0u8; settings.arena_bytes.max(1)].into_boxed_slice(),
                lane,
            ),
            slot_bytes: vec![0u8; batch * SLOT_BYTES].into_boxed_slice(),
            received: vec![Received::default(); batch].into_boxed_slice(),
            max_wait: settings.max_wait.max(Duration::from_millis(1)),
            large_keep: large_pages::KEEP,
            clock: Clock(std::time::Instant::now()),
            pacer: pacing::Pacer::new(if settings.pacing {
                settings.socket_buffer_bytes
            } else {
                0
            }),
            cpu_idle: if settings.pacing {
                cpu_idle::CpuIdle::open()
            } else {
                cpu_idle::CpuIdle::reading(None)
            },
            sink: EventSink {
                stopping: never,
                current: None,
                format: settings.format.shape(),
                held_since: None,
                now: Instant(0),
                enricher: Enricher::new(settings.uid_cache, settings.containers)
                    .with_host_tag(settings.host_name)
                    .with_group_names(settings.format != Format::GoAudit)
                    .with_processes(settings.format != Format::GoAudit)
                    .with_account_ids(settings.format == Format::Ecs),
                rewriter: (!settings.rewrite.is_empty()).then(|| Rewriter::new(settings.rewrite)),
                rewrite_counted: RewriteCounts::default(),
                filters: settings.filters,
                filter_update: settings.filter_update,
                outputs_update: settings.outputs_update,
                queue,
                stats,
                encoder_truncated: 0,
                side: settings.side,
                max_line: settings
                    .max_event_bytes
                    .max(raudit_core::encode::MIN_BUFFER),
                last_pooled_line: 0,
                large_pages: LargePages::default(),
                oldest_in_flight: None,
                newest_emitted: None,
            },
            out_of_order: settings
                .log_out_of_order
                .then(out_of_order::OutOfOrder::default),
            out_of_order_logged: 0,
            first_seen: false,
        }
    }

    /// Receives until `stop()` says so or the source ends. Events still in
    /// flight stay in the assembler: see [`finish`](Self::finish). `stop`
    /// is the process's shutdown request (the daemon passes the signal
    /// flag): it also ends a wait for a free buffer, here and in `finish`.
    pub fn run(&mut self, stop: fn() -> bool) -> io::Result<()> {
        self.sink.stopping = stop;
        self.sink.queue.register_producer();
        while !stop() {
            if self.step(None)? == Input::Ended {
                break;
            }
        }
        Ok(())
    }

    /// Takes what the source still holds (waiting at most `idle` for each
    /// batch, `limit` in all), then completes every event in flight and
    /// closes the queue. Called after the kernel stopped sending to us, so
    /// every record it handed over is written.
    pub fn finish(&mut self, idle: Duration, limit: Duration) -> io::Result<()> {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            match self.step(Some(idle))? {
                Input::Datagrams(_) | Input::Interrupted => continue,
                Input::Idle | Input::Ended => break,
            }
        }
        let sink = &mut self.sink;
        self.assembler.flush(&mut |event| sink.emit(event));
        self.sink.oldest_in_flight = None;
        self.sink.hand_over();
        self.publish();
        self.sink.queue.close();
        Ok(())
    }

    /// One receive and the work it brings; `wait` overrides the timeout.
    pub fn step(&mut self, wait: Option<Duration>) -> io::Result<Input> {
        let (_, now) = self.clock.now();
        self.sink.now = now;
        self.sink.enricher.tick(now);
        // Deadlines are checked only once the socket has run dry (below):
        // records the kernel queued while this thread was away
        // (descheduled, or waiting for a free buffer under `block`) may
        // belong to events whose deadline passed meanwhile (a user
        // record's LSM-context records, queued right behind it; the rest
        // of a syscall's records behind a full batch), and they join
        // their event first.
        // Lines held back after a full batch go out as soon as the socket
        // runs dry, so keep the wait short while some are held.
        let hold_limit = if self.sink.holds_lines() {
            HOLD_WAIT
        } else {
            self.max_wait
        };
        let timeout = wait.unwrap_or_else(|| match self.assembler.next_deadline() {
            Some(deadline) => Duration::from_millis(deadline.since(now).0).min(hold_limit),
            None => hold_limit,
        });
        let input =
            match self
                .source
                .receive(slots_of(&mut self.slot_bytes), &mut self.received, timeout)
            {
                Ok(input) => input,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    self.sink.stats.enobufs.add(1);
                    self.pacer.overrun(self.clock.now().0);
                    return Ok(Input::Interrupted);
                }
                Err(e) => return Err(e),
            };
        // Between two batches, after the wait: a filter list reloaded
        // while this receive waited applies to what it brought, whole.
        if let Some(filters) = self.sink.filter_update.take() {
            self.sink.filters = filters;
        }
        if let Some((readers, side)) = self.sink.outputs_update.take() {
            // The lines gathered so far go to the outputs they were
            // written for.
            self.sink.submit_current();
            self.sink.side = side;
            self.sink.queue.set_readers(readers);
        }
        // While datagrams keep coming, lines gather in the current buffer
        // (full buffers go out as they fill); it is handed over when the
        // socket runs dry (the short HOLD_WAIT receive comes back empty) or
        // after MAX_HOLD, so a trickle of events is not held back long and a
        // storm fills whole buffers instead of one per receive batch.
        let mut hand_over = true;
        let mut pause = Duration::ZERO;
        if let Input::Datagrams(count) = input {
            let (arrived, now) = self.clock.now();
            self.sink.now = now;
            let batch = self.received.len();
            for i in 0..count.min(batch) {
                self.datagram(i, now);
            }
            if count < batch {
                // The socket ran dry (the receive takes what is queued,
                // `MSG_WAITFORONE`): every record sent before now is read.
                let sink = &mut self.sink;
                self.assembler.poll(now, &mut |event| sink.emit(event));
                self.sink.oldest_in_flight = self.assembler.oldest_serial();
            }
            self.publish();
            hand_over = self
                .sink
                .held_since
                .is_some_and(|t| now.since(t) >= MAX_HOLD);
            if wait.is_none() {
                let done = std::time::Instant::now();
                let cpu_idle = &mut self.cpu_idle;
                pause = self
                    .pacer
                    .after_batch(count, batch, arrived, done, || cpu_idle.share(done));
            }
        }
        if !matches!(input, Input::Datagrams(_)) {
            // Nothing came: every record sent before now is read, so what
            // is due now goes out (before the hand-over).
            let (_, now) = self.clock.now();
            self.sink.now = now;
            let sink = &mut self.sink;
            self.assembler.poll(now, &mut |event| sink.emit(event));
            self.sink.oldest_in_flight = self.assembler.oldest_serial();
        }
        if hand_over {
            self.sink.hand_over();
        }
        if !matches!(input, Input::Datagrams(_)) {
            // Events completed by their deadline while the socket was
            // quiet: the counters (and metrics) show them now, not at the
            // next datagram.
            self.publish();
        }
        // A whole receive wait without a datagram: the host is idle.
        let idle = input == Input::Idle && timeout >= self.max_wait;
        self.release_large_pages(idle);
        if !pause.is_zero() {
            self.source.pause(pause);
        }
        Ok(input)
    }

    /// Gives the large-event pages (the lane's, the large buffers') back
    /// once no large event used them for [`large_pages::KEEP`], or at once
    /// when the host is `idle`; while large events keep coming they stay,
    /// and the next one reuses them.
    fn release_large_pages(&mut self, idle: bool) {
        let keep = if idle {
            raudit_core::time::Duration(0)
        } else {
            self.large_keep
        };
        let (_, now) = self.clock.now();
        if let Some((lane, written)) = self.assembler.lane_unused(now, keep) {
            crate::sys::reserve::release_written(lane, written);
        }
        self.sink
            .large_pages
            .release_unused(&self.sink.queue, now, keep);
    }

    fn datagram(&mut self, index: usize, now: Instant) {
        let received = self.received[index];
        let stats = &self.sink.stats;
        // Only the kernel speaks: a datagram from any other port is a
        // forgery (a local process with CAP_NET_ADMIN can send one), never
        // parsed, counted with its sender for the report.
        if !received.from_kernel() {
            stats.spoofed.add(1);
            stats.spoofed_sender.set(u64::from(received.sender));
            return;
        }
        if received.truncated {
            stats.truncated_receives.add(1);
        }
        let Some(slot) = slots_of(&mut self.slot_bytes).get(index) else {
            return;
        };
        let bytes = &slot[..received.len.min(SLOT_BYTES)];
        let message = match datagram_record(bytes) {
            Ok(message) => message,
            Err(_) => {
                stats.malformed.add(1);
                return;
            }
        };
        if !MessageType(message.msg_type).is_record() {
            stats.control_frames.add(1);
            return;
        }
        let record = match Record::from_kernel(MessageType(message.msg_type), message.payload) {
            Ok(record) => record,
            Err(_) => {
                stats.malformed.add(1);
                return;
            }
        };
        stats.records.add(1);
        if !self.first_seen {
            // After a restart, the gap from the state file's serial to this
            // one is what went missing in between (see daemon::restart).
            self.first_seen = true;
            stats
                .first_serial
                .set(FIRST_SERIAL_KNOWN | u64::from(record.serial));
        }
        // (An account record no event will carry still tells the
        // enricher the account database changed.)
        if is_account_record(record.msg_type) && !self.assembler.settings().keeps(record.msg_type) {
            self.sink.enricher.note_unassembled_account_record();
        }
        let sink = &mut self.sink;
        self.assembler
            .push_untimed(&record, now, &mut |event| sink.emit(event));
        self.sink.oldest_in_flight = self.assembler.oldest_serial();
        if let Some(log) = self.out_of_order.as_mut() {
            if let Some(late) = log.note(record.serial, self.assembler.counters().late_serials) {
                self.out_of_order_logged += 1;
                eprintln!("{late}");
            }
        }
    }

    /// Copies the assembler's counters into the shared stats.
    fn publish(&self) {
        let c = self.assembler.counters();
        let stats = &self.sink.stats;
        stats.events.set(c.events);
        stats.missed_serials.set(c.missed_serials);
        stats.late_after_missed.set(c.late_after_missed);
        stats.late_serials.set(c.late_serials);
        stats.evicted.set(c.evicted);
        stats.timed_out.set(c.timed_out);
        stats
            .truncated_events
            .set(c.truncated_events + self.sink.encoder_truncated);
        stats.queue_drops.raise_to(self.sink.queue.dropped());
        let (waits, waited_ms) = self.sink.queue.waits();
        stats.queue_waits.raise_to(waits);
        stats.queue_waited_ms.raise_to(waited_ms);
        stats.lost_buffers.raise_to(self.sink.queue.lost_buffers());
        stats
            .events_in_flight
            .set(self.assembler.in_flight() as u64);
        stats.pacing_pauses.set(self.pacer.pauses());
        stats
            .lookups_skipped
            .set(self.sink.enricher.lookups_skipped());
    }

    /// The source (tests feed it between steps).
    pub fn source_mut(&mut self) -> &mut S {
        &mut self.source
    }

    /// Late serials logged (`log_out_of_order`).
    pub fn out_of_order_logged(&self) -> u64 {
        self.out_of_order_logged
    }

    /// Pacing pauses taken so far.
    pub fn pauses(&self) -> u64 {
        self.pacer.pauses()
    }

    /// Events in flight in the assembler.
    pub fn in_flight(&self) -> usize {
        self.assembler.in_flight()
    }
}

impl EventSink {
    fn emit(&mut self, event: &Event<'_>) {
        if filter::drops(&self.filters, event) {
            self.stats.filter_drops.add(1);
            return;
        }
        let Some(mut rewriter) = self.rewriter.take() else {
            self.emit_as_is(event);
            return;
        };
        match rewriter.apply(event) {
            Some(rewritten) => self.emit_as_is(&rewritten),
            None => self.emit_as_is(event),
        }
        let counts = rewriter.counts();
        let seen = std::mem::replace(&mut self.rewrite_counted, counts);
        self.stats
            .events_redacted
            .add(counts.events_redacted - seen.events_redacted);
        self.stats
            .redactions
            .add(counts.redactions - seen.redactions);
        self.stats
            .fields_dropped
            .add(counts.fields_dropped - seen.fields_dropped);
        self.rewriter = Some(rewriter);
    }

    /// Encodes `event` (rewritten already, if at all) into the buffers.
    fn emit_as_is(&mut self, event: &Event<'_>) {
        // Whole, into the current buffer or else a fresh one, unless its
        // records alone are longer than a pooled buffer (a large event:
        // the attempt would only fail, after most of a buffer's work).
        let pooled_room = self
            .queue
            .buffer_size()
            .saturating_sub(1)
            .min(self.max_line);
        if self.format.surely_exceeds(event, pooled_room) {
            self.submit_current();
            self.emit_large(event);
            return;
        }
        for fresh in [false, true] {
            if fresh {
                self.submit_current();
            }
            if self.current.is_none() {
                self.current = self.queue.take_free(self.stopping);
            }
            let Some(buffer) = self.current.as_mut() else {
                return; // no free buffer: dropped, counted by the queue
            };
            // What goes beside the line must fit too (a fresh buffer's
            // side region always has the room).
            if !buffer.is_empty() && buffer.side_room() < self.side.need(buffer.capacity()) {
                continue;
            }
            let room = line_room(buffer, self.max_line);
            if !fresh && !buffer.is_large() && room < self.last_pooled_line {
                continue;
            }
            if let Some(encoded) =
                self.format
                    .encode_whole(event, &mut self.enricher, &mut buffer.space()[..room])
            {
                self.commit(encoded, event, false);
                return;
            }
            if buffer.is_empty() {
                break; // a fresh buffer cannot hold it whole
            }
        }
        self.emit_large(event);
    }

    /// Encodes `event`, larger than a pooled buffer, into a large one (the
    /// current buffer is empty or none).
    fn emit_large(&mut self, event: &Event<'_>) {
        // Larger than a pooled buffer: a large one, whole up to
        // max_event_bytes; if both are out, the cut that fits a pooled one.
        // The current buffer is empty here: it goes back, and the large one
        // becomes current, so the lines that follow (a burst of large ones
        // too) join it and keep their order.
        if let Some(mut large) = self.queue.take_large() {
            self.large_pages.taken(self.now);
            let room = line_room(&large, self.max_line);
            let encoded = self
                .format
                .encode(event, &mut self.enricher, &mut large.space()[..room]);
            if let Some(empty) = self.current.replace(large) {
                self.queue.give_back(empty);
            }
            self.commit(encoded, event, true);
            return;
        }
        if self.current.is_none() {
            self.current = self.queue.take_free(self.stopping);
        }
        let Some(buffer) = self.current.as_mut() else {
            return; // no free buffer: dropped, counted by the queue (not cut)
        };
        self.stats.large_busy.add(1);
        let room = line_room(buffer, self.max_line);
        let encoded = self
            .format
            .encode(event, &mut self.enricher, &mut buffer.space()[..room]);
        self.commit(encoded, event, false);
    }

    /// Ends the line `encoded` wrote into the current buffer and counts
    /// what it says.
    fn commit(&mut self, encoded: Encoded, event: &Event<'_>, large: bool) {
        let Some(buffer) = self.current.as_mut() else {
            return;
        };
        if encoded.len == 0 {
            self.stats.malformed.add(1);
            return;
        }
        // Events the assembler cut short are counted by the assembler.
        if encoded.truncated && event.dropped_records() == 0 {
            self.encoder_truncated += 1;
        }
        if encoded.cut.is_some() {
            self.stats.events_cut.add(1);
        }
        if large {
            self.stats.large_lines.add(1);
        }
        let space = buffer.space();
        let Some(newline) = space.get_mut(encoded.len) else {
            return;
        };
        *newline = b'\n';
        let line_len = encoded.len + 1;
        if !buffer.is_large() {
            self.last_pooled_line = encoded.len;
        }
        // Checked before encoding: there is room beside the line.
        let beside = self
            .side
            .write(event, buffer, line_len, &mut self.enricher, self.format);
        buffer.advance_line(line_len);
        buffer.advance_side(beside.unwrap_or(0));
        let pack_full = buffer.is_large() && buffer.len() >= LARGE_PACK;
        self.note_emitted(event.serial());
        self.held_since.get_or_insert(self.now);
        // A large buffer takes the lines after its first only up to a
        // bound: catching up after a stall, the receive thread would
        // otherwise pack megabytes into it within its hold time.
        if pack_full {
            self.submit_current();
            self.queue.wake();
        }
    }

    /// Notes that the event of `serial` went into a buffer.
    fn note_emitted(&mut self, serial: u32) {
        let newer = self
            .newest_emitted
            .is_none_or(|newest| crate::daemon::restart::is_after(serial, newest));
        if newer {
            self.newest_emitted = Some(serial);
        }
    }

    fn holds_lines(&self) -> bool {
        self.current.as_ref().is_some_and(|b| !b.is_empty())
    }

    /// Submits the current buffer if it holds lines; returns whether it
    /// did. The output threads are woken here only when their backlog runs
    /// deep.
    fn submit_current(&mut self) -> bool {
        match self.current.take() {
            Some(mut buffer) if !buffer.is_empty() => {
                if let Some(newest) = self.newest_emitted {
                    let mark = crate::daemon::restart::buffer_mark(newest, self.oldest_in_flight);
                    buffer.set_mark(mark);
                }
                self.queue.submit(buffer);
                self.queue.wake_if_deep();
                self.held_since = None;
                true
            }
            Some(buffer) => {
                self.current = Some(buffer);
                false
            }
            None => false,
        }
    }

    /// End of a receive batch: what was encoded goes to the output threads,
    /// which are woken once.
    fn hand_over(&mut self) {
        if self.submit_current() {
            self.queue.wake();
        }
    }
}

impl SideSettings {
    /// Writes what goes beside the line of `line_len` bytes just encoded
    /// (not yet advanced over) into `buffer`'s side region; the side bytes
    /// used, `None` when the region has no room left (nothing counts then).
    fn write(
        &self,
        event: &Event<'_>,
        buffer: &mut EventBuffer,
        line_len: usize,
        enricher: &mut Enricher,
        format: Shape,
    ) -> Option<usize> {
        let offset = buffer.len();
        let mut used = 0;
        if self.facts {
            used += side::write_facts(event, offset, buffer.side_space())?;
        }
        if let Some(limit) = self.cut_limit.filter(|&limit| line_len > limit) {
            let out = buffer.side_space().get_mut(used..)?;
            let space = side::cut_space(out)?;
            let len = encode_cut(format, event, enricher, space, limit);
            if len > 0 {
                used += side::finish_cut(out, offset, len)?;
            }
        }
        Some(used)
    }
}

/// The marked cut version of `event` in at most `limit` bytes (JSON and
/// `\n`) into `out`, for the transports that cannot carry the whole line;
/// its length, 0 if none fits. The one place the daemon asks for a cut:
/// the encoder's [`encode_within`](Shape::encode_within) (every
/// non-EXECVE record whole, arguments taken from the middle, marked
/// `"cut":{…}`).
pub fn encode_cut(
    format: Shape,
    event: &Event<'_>,
    enricher: &mut Enricher,
    out: &mut [u8],
    limit: usize,
) -> usize {
    let room = limit.min(out.len()).saturating_sub(1);
    let encoded = format.encode_within(event, enricher, out, room);
    match out.get_mut(encoded.len) {
        Some(newline) if encoded.len > 0 => {
            *newline = b'\n';
            encoded.len + 1
        }
        _ => 0,
    }
}

/// Room for one line in `buffer`: its space less the newline, at most
/// `max_line`.
fn line_room(buffer: &EventBuffer, max_line: usize) -> usize {
    buffer
        .capacity()
        .saturating_sub(buffer.len())
        .saturating_sub(1)
        .min(max_line)
}

#[cfg(test)]
mod tests;

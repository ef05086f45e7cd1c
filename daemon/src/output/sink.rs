//! [`Sink`]: one output with go-audit's `attempts` retry policy and its
//! counters (sent, cut, errors, retries, reconnects, reopens, rotations). It runs on
//! its output's own thread, so its pauses between attempts delay that
//! output alone; at shutdown, once the queue's drain deadline has passed,
//! it stops pausing and tries each line once.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::delivery::Delivery;
use super::spool::{SpoolChange, Spooling, DRAIN_SLICE, IDLE_SLICE};
use super::{net, Output, Sent};
use crate::queue::{Filled, Queue};
use crate::side::{LineSide, SideReader};
use crate::stats::{OutputCounters, Stats};

/// What lines written one by one came to, added to the output's counters
/// once for a whole buffer.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    sent: u64,
    bytes: u64,
    cut: u64,
    errors: u64,
}

/// An output with its retry policy and counters.
pub struct Sink {
    output: Box<dyn Output>,
    attempts: u32,
    pause: Duration,
    counters_index: usize,
    queue: Option<Arc<Queue>>,
    reconnects_seen: u64,
    rotations_seen: u64,
    /// Whether the process is stopping, handed to every output it holds.
    stopping: fn() -> bool,
    /// What the output could not deliver goes here (see
    /// [`spool`](super::spool)); `attempts` do not apply then.
    spool: Option<Spooling>,
    /// Events the output accepted and holds, not written yet: counted in
    /// `sent` once written ([`confirm`](Self::confirm)), in `errors` if
    /// given up, so `sent` (a counter) never goes back.
    unconfirmed: u64,
    /// A reopen (SIGHUP, SIGUSR1) failed: when to try it again. Until it
    /// works the output writes where it did, which a log rotation will
    /// compress or delete: so it is tried again every [`REOPEN_RETRY`].
    reopen_retry: Option<Instant>,
    /// The buffers whose lines the output may still hold: their restart
    /// marks are delivered to the queue once it holds none of them.
    delivery: Delivery,
}

/// How often a failed reopen is tried again.
pub const REOPEN_RETRY: Duration = Duration::from_secs(1);

impl Sink {
    /// `attempts` tries per line (at least one), sleeping `pause` between;
    /// counted in `stats.outputs[counters_index]`.
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
            queue: None,
            reconnects_seen: 0,
            rotations_seen: 0,
            stopping: || false,
            spool: None,
            unconfirmed: 0,
            reopen_retry: None,
            delivery: Delivery::default(),
        }
    }

    /// Keeps what the output cannot deliver in `spool`.
    pub fn with_spool(mut self, spool: Spooling) -> Sink {
        self.spool = Some(spool);
        self
    }

    pub fn name(&self) -> &str {
        self.output.name()
    }

    /// How many buffers to hand over at once.
    pub(super) fn buffers_at_once(&self) -> usize {
        if self.output.takes_buffers() {
            super::batch::MAX_PARTS
        } else {
            1
        }
    }

    /// Where its counters are in [`Stats::outputs`].
    pub fn counters_index(&self) -> usize {
        self.counters_index
    }

    /// The queue whose drain deadline ends the pauses between attempts.
    pub(super) fn attach(&mut self, queue: Arc<Queue>) {
        self.queue = Some(queue);
    }

    pub(super) fn counters<'s>(&self, stats: &'s Stats) -> Option<&'s OutputCounters> {
        stats.outputs.get(self.counters_index)
    }

    fn giving_up(&self) -> bool {
        self.queue.as_ref().is_some_and(|q| q.drain_expired())
    }

    /// Writes one line, trying `attempts` times.
    pub fn write(&mut self, line: &[u8], side: &LineSide<'_>, stats: &Stats) {
        if self.spool.is_some() {
            // A control record (the only lines the output thread writes
            // one by one) has no side records; `side` is not kept.
            self.spool_lines(&[(line, &[][..], 0)], stats);
            return;
        }
        let mut tally = Tally::default();
        self.write_line(line, side, stats, &mut tally);
        self.publish(&tally, stats);
    }

    /// Writes a control record (loss, drift, spoofed, restart, reload
    /// records), trying `attempts` times as [`write`](Self::write) does;
    /// but it is not an event: not counted in `sent`, and one that cannot
    /// be written is not counted as an event given up (`errors`: it would
    /// make the next loss record report a loss that never was). Its
    /// figures stay in the stats, and the next loss record's totals carry
    /// them.
    pub fn write_control(&mut self, line: &[u8], stats: &Stats) {
        if self.spool.is_some() {
            self.spool_lines(&[(line, &[][..], 0)], stats);
            return;
        }
        // The events the output holds go first, so that what it holds
        // after the record is the record alone: given up at a failed
        // flush (the output's `discard`), those would be counted as
        // events; the record is not.
        if self.output.pending_lines() > 0 {
            self.flush(stats);
        }
        let mut tally = Tally::default();
        self.write_line(line, &LineSide::default(), stats, &mut tally);
        if tally.sent > 0 && self.output.pending_lines() > 0 {
            self.flush_control(stats);
        }
        let handed = Tally {
            bytes: tally.bytes,
            ..Tally::default()
        };
        self.publish(&handed, stats);
    }

    /// Writes out a control record the output holds (nothing else: see
    /// [`write_control`](Self::write_control)), trying `attempts` times;
    /// one that cannot be written is dropped, uncounted.
    fn flush_control(&mut self, stats: &Stats) {
        let attempts = if self.giving_up() { 1 } else { self.attempts };
        for attempt in 1..=attempts {
            match self.output.flush() {
                Ok(()) => return,
                Err(e) => self.failed(attempt, attempts, "write", &e, stats),
            }
        }
        self.output.discard();
    }

    /// Writes one line, trying `attempts` times; what came of it is
    /// counted in `tally` (retries go to the counters at once).
    fn write_line(&mut self, line: &[u8], side: &LineSide<'_>, stats: &Stats, tally: &mut Tally) {
        let attempts = if self.giving_up() { 1 } else { self.attempts };
        for attempt in 1..=attempts {
            match self.output.write_line(line, side) {
                Ok(sent) => {
                    // What was handed over: the line, or its cut version.
                    let handed = match (sent, side.cut) {
                        (Sent::Cut, Some(cut)) => cut,
                        _ => line,
                    };
                    tally.sent += 1;
                    tally.bytes += handed.len() as u64;
                    tally.cut += u64::from(sent == Sent::Cut);
                    return;
                }
                // Too large for the transport even cut (EMSGSIZE): no
                // attempt can succeed; the output has told why.
                Err(e) if net::is_too_large(&e) => break,
                Err(e) => self.failed(attempt, attempts, "write", &e, stats),
            }
        }
        tally.errors += 1;
    }

    /// Adds what `tally` counted to the output's counters, then what the
    /// output learned meanwhile (see [`collect`](Self::collect)).
    fn publish(&mut self, tally: &Tally, stats: &Stats) {
        if let Some(c) = self.counters(stats) {
            let Tally {
                sent: _,
                bytes,
                cut,
                errors,
            } = *tally;
            for (counter, n) in [(&c.bytes, bytes), (&c.cut, cut), (&c.errors, errors)] {
                if n > 0 {
                    counter.add(n);
                }
            }
        }
        // Refusals first: those of lines leaving now are not counted sent.
        self.collect(stats);
        self.confirm(tally.sent, stats);
    }

    /// Adds to `sent` the events written since the last call: those
    /// `accepted` now and those held before, less those the output still
    /// holds ([`Output::pending_lines`]: lines leave it in order).
    fn confirm(&mut self, accepted: u64, stats: &Stats) {
        let held = self.unconfirmed.saturating_add(accepted);
        let now = self.output.pending_lines();
        if let Some(c) = self.counters(stats) {
            let written = held.saturating_sub(now);
            if written > 0 {
                c.count_sent(written);
            }
        }
        // (A line the output holds that was never counted, a control
        // record's rest after a failed flush, is not an event.)
        self.unconfirmed = now.min(held);
        self.settle_delivery();
    }

    /// Delivers to the queue the restart mark of the newest buffer none of
    /// whose lines the output holds any more (see [`super::delivery`]).
    /// What a spool takes is on disk before its buffer is released (a
    /// line the output holds is in the spool too, or flushed at once), so
    /// a spooled output holds nothing a kill would lose.
    fn settle_delivery(&mut self) {
        let holds = if self.spool.is_some() {
            0
        } else {
            self.output.pending_lines()
        };
        if let (Some(mark), Some(queue)) = (self.delivery.settle(holds), &self.queue) {
            queue.deliver(self.counters_index, mark);
        }
    }

    /// Writes whole buffers of lines: at once when the output can (file,
    /// stdout), else line by line with what the side region holds for each.
    pub fn write_buffers(&mut self, held: &[Filled<'_>], stats: &Stats) {
        if self.spool.is_some() {
            for filled in held {
                let mut sides = SideReader::new(filled.side());
                let mut offset = 0;
                for line in crate::queue::lines(filled.bytes()) {
                    let records = sides.records(offset);
                    self.spool_lines(&[(line, records, offset)], stats);
                    offset += line.len();
                }
                self.delivery.offered(filled.mark());
            }
            self.drain_spool(DRAIN_SLICE, stats);
            self.settle_delivery();
            return;
        }
        let parts: arrayvec::ArrayVec<&[u8], { super::batch::MAX_PARTS }> =
            held.iter().map(Filled::bytes).collect();
        let attempts = if self.giving_up() { 1 } else { self.attempts };
        for attempt in 1..=attempts {
            match self.output.write_buffers(&parts) {
                None => break,
                Some(Ok(())) => {
                    for filled in held {
                        self.delivery.accepted(filled.line_count());
                        self.delivery.offered(filled.mark());
                    }
                    let lines: u64 = held.iter().map(Filled::line_count).sum();
                    if let Some(c) = self.counters(stats) {
                        let bytes: usize = parts.iter().map(|p| p.len()).sum();
                        c.bytes.add(bytes as u64);
                    }
                    self.confirm(lines, stats);
                    return;
                }
                Some(Err(e)) => {
                    self.failed(attempt, attempts, "write", &e, stats);
                    if attempt == attempts {
                        if let Some(c) = self.counters(stats) {
                            c.errors.add(held.iter().map(Filled::line_count).sum());
                        }
                        for filled in held {
                            self.delivery.offered(filled.mark());
                        }
                        self.settle_delivery();
                        return;
                    }
                }
            }
        }
        // Counted per buffer, not per line: two atomic adds and three
        // calls into the output a line were most of the sink's own work.
        let mut tally = Tally::default();
        for filled in held {
            let accepted_before = tally.sent;
            let mut sides = SideReader::new(filled.side());
            let mut offset = 0;
            for line in crate::queue::lines(filled.bytes()) {
                if self.giving_up() {
                    // Past the shutdown deadline: the rest is dropped, not
                    // tried (a receiver that hangs each try must not hold
                    // the exit up line after line).
                    let rest = filled.bytes().get(offset..).unwrap_or_default();
                    self.dropped(memchr::memchr_iter(b'\n', rest).count() as u64, stats);
                    break;
                }
                let side = sides.line(offset);
                offset += line.len();
                self.write_line(line, &side, stats, &mut tally);
            }
            self.delivery.accepted(tally.sent - accepted_before);
            self.delivery.offered(filled.mark());
        }
        self.publish(&tally, stats);
    }

    /// Lines through the spool: offered to the output, or kept (past the
    /// shutdown deadline: kept without trying).
    fn spool_lines(&mut self, lines: &[(&[u8], &[u8], usize)], stats: &Stats) {
        let giving_up = self.giving_up();
        let c = stats.outputs.get(self.counters_index);
        let Sink { output, spool, .. } = self;
        let Some(spool) = spool else {
            return;
        };
        for &(line, records, offset) in lines {
            if giving_up {
                spool.keep_undelivered(line, records, offset, c);
            } else {
                spool.offer(&mut **output, line, records, offset, c);
            }
        }
        self.collect(stats);
    }

    /// Sends spooled events for up to `slice` (not past the shutdown
    /// deadline: they stay for the next start).
    fn drain_spool(&mut self, slice: std::time::Duration, stats: &Stats) {
        if self.giving_up() {
            return;
        }
        let c = stats.outputs.get(self.counters_index);
        if let Some(spool) = &mut self.spool {
            spool.drain(&mut *self.output, slice, c);
        }
        self.collect(stats);
    }

    /// The output thread has nothing else to do: sends spooled events for
    /// a while. True when some are still waiting and the receiver is
    /// taking them (worth coming back at once).
    pub(super) fn idle(&mut self, stats: &Stats) -> bool {
        if !self.spool.as_ref().is_some_and(Spooling::has_waiting) {
            return false;
        }
        let before = self.counters(stats).map_or(0, |c| c.sent.get());
        self.drain_spool(IDLE_SLICE, stats);
        let after = self.counters(stats).map_or(0, |c| c.sent.get());
        after > before && self.spool.as_ref().is_some_and(Spooling::has_waiting)
    }

    /// Whether undelivered lines are kept in a spool (rather than dropped
    /// at the shutdown deadline).
    pub(super) fn spools(&self) -> bool {
        self.spool.is_some()
    }

    /// Lines this output gives up without trying (its backlog was full, or
    /// the drain deadline passed).
    pub(super) fn dropped(&self, lines: u64, stats: &Stats) {
        if let Some(c) = self.counters(stats) {
            c.dropped.add(lines);
        }
    }

    /// Writes out what the output holds; with a spool, sends spooled
    /// events first for a slice of time (if the receiver is up).
    pub fn flush(&mut self, stats: &Stats) {
        if self.spool.as_ref().is_some_and(Spooling::has_waiting) {
            self.drain_spool(DRAIN_SLICE, stats);
        }
        if let Some(spool) = &mut self.spool {
            let c = stats.outputs.get(self.counters_index);
            spool.flush(&mut *self.output, c);
            self.collect(stats);
            self.settle_delivery();
            return;
        }
        let attempts = if self.giving_up() { 1 } else { self.attempts };
        for attempt in 1..=attempts {
            match self.output.flush() {
                Ok(()) => {
                    self.collect(stats);
                    self.confirm(0, stats);
                    return;
                }
                Err(e) => self.failed(attempt, attempts, "flush", &e, stats),
            }
        }
        // What the failed attempts wrote before they failed (whole lines
        // leave the output as they are written: space freed, then used up
        // again) is sent; only what the output still holds is given up.
        self.confirm(0, stats);
        let lost = self.output.discard();
        if let Some(c) = self.counters(stats) {
            // Held, never counted as sent.
            c.errors.add(lost);
        }
        self.unconfirmed = self.output.pending_lines().min(self.unconfirmed);
        self.collect(stats);
        self.settle_delivery();
    }

    /// Counts what the output learned since: refused datagrams (errors,
    /// taken off the next events counted as sent) and reconnections.
    fn collect(&mut self, stats: &Stats) {
        let refused = self.output.take_refused();
        let reconnects = self.output.reconnects();
        let rotations = self.output.rotations();
        let Some(c) = self.counters(stats) else {
            return;
        };
        if refused > 0 {
            c.count_refused(refused);
        }
        if reconnects > self.reconnects_seen {
            c.reconnects.add(reconnects - self.reconnects_seen);
            self.reconnects_seen = reconnects;
        }
        if rotations > self.rotations_seen {
            c.rotations.add(rotations - self.rotations_seen);
            self.rotations_seen = rotations;
        }
    }

    fn failed(&self, attempt: u32, attempts: u32, what: &str, error: &io::Error, stats: &Stats) {
        if attempt < attempts {
            eprintln!(
                "raudit: output {}: {what} failed (attempt {attempt} of {attempts}), retrying in {:?}: {error}",
                self.name(),
                self.pause
            );
            if let Some(c) = self.counters(stats) {
                c.retries.add(1);
            }
            std::thread::sleep(self.pause);
        } else {
            eprintln!(
                "raudit: output {}: {what} failed {attempts} times, dropping: {error}",
                self.name(),
            );
        }
    }

    /// Writes what the output holds, then writes to `output` from now on
    /// (a reload changed its settings), its spool changed as `spool` says
    /// (see [`spool`](super::spool)); the counters stay this output's.
    pub fn replace(
        &mut self,
        output: Box<dyn Output>,
        attempts: u32,
        spool: SpoolChange,
        stats: &Stats,
    ) {
        self.flush(stats);
        self.output = output;
        self.unconfirmed = 0;
        self.output.set_stopping(self.stopping);
        self.attempts = attempts.max(1);
        self.reconnects_seen = 0;
        self.rotations_seen = 0;
        let c = stats.outputs.get(self.counters_index);
        match spool {
            SpoolChange::Keep => {}
            SpoolChange::Bound(max_bytes) => {
                if let Some(spool) = &mut self.spool {
                    spool.set_bound(max_bytes);
                }
            }
            SpoolChange::Open(mut new) => {
                if let Some(old) = self.spool.take() {
                    new.take_over(old, c);
                }
                self.spool = Some(*new);
            }
            SpoolChange::Remove => {
                if let Some(old) = self.spool.take() {
                    old.leave(c);
                }
            }
        }
    }

    /// Tells the output (and any that replaces it) how to learn that the
    /// process is stopping.
    pub fn set_stopping(&mut self, stopping: fn() -> bool) {
        self.stopping = stopping;
        self.output.set_stopping(stopping);
    }

    /// Tells the output the host's new name (see
    /// [`Output::set_host_name`]); one that replaces it reads the name
    /// when it opens.
    pub fn set_host_name(&mut self, name: &str) {
        self.output.set_host_name(name);
    }

    pub fn reopen(&mut self, stats: &Stats) {
        self.flush(stats);
        let retrying = self.reopen_retry.is_some();
        match self.output.reopen() {
            Ok(()) => {
                if let Some(c) = self.counters(stats) {
                    c.reopens.add(1);
                }
                if retrying {
                    eprintln!("raudit: output {}: reopened at last", self.name());
                }
                self.reopen_retry = None;
            }
            Err(e) => {
                if !retrying {
                    let again = if self.output.retries_reopen() {
                        " (tried again every second until it works)"
                    } else {
                        ""
                    };
                    eprintln!(
                        "raudit: output {}: reopen failed, still writing where it did{again}: {e}",
                        self.name()
                    );
                }
                self.reopen_retry = self
                    .output
                    .retries_reopen()
                    .then(|| Instant::now() + REOPEN_RETRY);
            }
        }
    }

    /// Tries a failed reopen again once its time has come.
    pub fn retry_reopen(&mut self, stats: &Stats) {
        if self.reopen_retry.is_some_and(|at| Instant::now() >= at) {
            self.reopen(stats);
        }
    }
}

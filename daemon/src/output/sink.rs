//! [`Sink`]: one output with go-audit's `attempts` retry policy and its
//! counters (sent, cut, errors, retries, reconnects, reopens, rotations). It runs on
//! its output's own thread, so its pauses between attempts delay that
//! output alone; at shutdown, once the queue's drain deadline has passed,
//! it stops pausing and tries each line once.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::{net, Output, Sent};
use crate::queue::{Filled, Queue};
use crate::side::{LineSide, SideReader};
use crate::stats::{OutputCounters, Stats};

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
}

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
        }
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
        let attempts = if self.giving_up() { 1 } else { self.attempts };
        let mut counted = false;
        for attempt in 1..=attempts {
            match self.output.write_line(line, side) {
                Ok(sent) => {
                    if let Some(c) = self.counters(stats) {
                        c.sent.add(1);
                        c.bytes.add(line.len() as u64);
                        if sent == Sent::Cut {
                            c.cut.add(1);
                        }
                    }
                    counted = true;
                    break;
                }
                // Too large for the transport even cut (EMSGSIZE): no
                // attempt can succeed; the output has told why.
                Err(e) if net::is_too_large(&e) => break,
                Err(e) => self.failed(attempt, attempts, "write", &e, stats),
            }
        }
        if !counted {
            if let Some(c) = self.counters(stats) {
                c.errors.add(1);
            }
        }
        self.collect(stats);
    }

    /// Writes whole buffers of lines: at once when the output can (file,
    /// stdout), else line by line with what the side region holds for each.
    pub fn write_buffers(&mut self, held: &[Filled<'_>], stats: &Stats) {
        let parts: arrayvec::ArrayVec<&[u8], { super::batch::MAX_PARTS }> =
            held.iter().map(Filled::bytes).collect();
        let attempts = if self.giving_up() { 1 } else { self.attempts };
        for attempt in 1..=attempts {
            match self.output.write_buffers(&parts) {
                None => break,
                Some(Ok(())) => {
                    if let Some(c) = self.counters(stats) {
                        let lines: u64 = held.iter().map(Filled::line_count).sum();
                        let bytes: usize = parts.iter().map(|p| p.len()).sum();
                        c.sent.add(lines);
                        c.bytes.add(bytes as u64);
                    }
                    return;
                }
                Some(Err(e)) => {
                    self.failed(attempt, attempts, "write", &e, stats);
                    if attempt == attempts {
                        if let Some(c) = self.counters(stats) {
                            c.errors.add(held.iter().map(Filled::line_count).sum());
                        }
                        return;
                    }
                }
            }
        }
        for filled in held {
            let mut sides = SideReader::new(filled.side());
            let mut offset = 0;
            for line in filled.bytes().split_inclusive(|&b| b == b'\n') {
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
                self.write(line, &side, stats);
            }
        }
    }

    /// Lines this output gives up without trying (its backlog was full, or
    /// the drain deadline passed).
    pub(super) fn dropped(&self, lines: u64, stats: &Stats) {
        if let Some(c) = self.counters(stats) {
            c.dropped.add(lines);
        }
    }

    pub fn flush(&mut self, stats: &Stats) {
        let attempts = if self.giving_up() { 1 } else { self.attempts };
        for attempt in 1..=attempts {
            match self.output.flush() {
                Ok(()) => {
                    self.collect(stats);
                    return;
                }
                Err(e) => self.failed(attempt, attempts, "flush", &e, stats),
            }
        }
        let lost = self.output.discard();
        if let Some(c) = self.counters(stats) {
            c.errors.add(lost);
            // Those lines were counted as sent when they were accepted.
            c.sent.set(c.sent.get().saturating_sub(lost));
        }
        self.collect(stats);
    }

    /// Counts what the output learned since: refused datagrams (errors,
    /// no longer sent) and reconnections.
    fn collect(&mut self, stats: &Stats) {
        let refused = self.output.take_refused();
        let reconnects = self.output.reconnects();
        let rotations = self.output.rotations();
        let Some(c) = self.counters(stats) else {
            return;
        };
        if refused > 0 {
            c.errors.add(refused);
            c.sent.set(c.sent.get().saturating_sub(refused));
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
    /// (a reload changed its settings); the counters stay this output's.
    pub fn replace(&mut self, output: Box<dyn Output>, attempts: u32, stats: &Stats) {
        self.flush(stats);
        self.output = output;
        self.output.set_stopping(self.stopping);
        self.attempts = attempts.max(1);
        self.reconnects_seen = 0;
        self.rotations_seen = 0;
    }

    /// Tells the output (and any that replaces it) how to learn that the
    /// process is stopping.
    pub fn set_stopping(&mut self, stopping: fn() -> bool) {
        self.stopping = stopping;
        self.output.set_stopping(stopping);
    }

    pub fn reopen(&mut self, stats: &Stats) {
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

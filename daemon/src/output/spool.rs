//! The spool: what a network output could not deliver, kept on disk (a
//! bounded [`SpoolFile`]) and sent, in order and before newer events, when
//! the receiver takes events again — also after a restart of raudit.
//!
//! With a spool, an output's `attempts` do not apply: the first failed
//! send (after the transport's own reconnect) marks the receiver down, and
//! from then on its thread keeps taking events from its backlog and only
//! appends them to the spool (one `pwrite` each), so its buffers return to
//! the pool at once and no other output, nor the receive thread, waits.
//! Every [`RETRY`] it tries the oldest spooled event again; once one goes
//! through, the spool is sent in slices of [`DRAIN_SLICE`] between the
//! backlog's buffers (each of which is appended behind it), until it has
//! caught up and lines go straight to the output again.
//!
//! What the spool takes is forced to disk ([`SYNC_EVERY`], checked in
//! [`Spooling::drain`]) and when the spool is put away, so a power cut
//! loses at most about a second of it; a restart of raudit loses none.
//!
//! An event leaves the spool only once the transport says it was
//! delivered: for a stream (syslog unix/TCP, GELF TCP, with or without
//! TLS) when it was written to a connection whose peer had not closed;
//! for OTLP when the collector answered its batch with a 2xx — so an
//! output that holds lines before sending them (OTLP's batch, which
//! [`Output::pending_lines`] counts) has each of them written to the spool
//! as it takes it, confirmed when its batch went, sent again from the
//! spool if its batch failed. An entry the transport refuses as too large
//! for it can never be delivered: it leaves the spool counted as an error
//! (as without a spool), but only once every entry before it has left
//! (what the output holds is flushed first), so nothing undelivered
//! leaves with it. UDP outputs take no spool (the config
//! refuses it): a datagram's delivery cannot be told, so a spool would
//! only keep what the host refused.
//!
//! Each entry is the line (whole; the transport cuts it again as it
//! would have) with its side records (facts, cut version) and their
//! offset, so a spooled event is sent exactly as it would have been. What
//! the spool loses is counted per output: `spool_dropped` (the oldest
//! pushed out when it is full, or an event larger than the spool; one the
//! output already holds when the spool cannot take it is flushed at once,
//! and counted `sent` if that delivers it, `spool_dropped` if not) and
//! `spool_torn` (entries skipped at the next start: one raudit was killed
//! while writing, or ones larger than that run takes, left by a run with a
//! larger `raudit.max_event_bytes` or `queue.buffer_size`); both go into
//! the stream's loss record.
//!
//! A reload that changes an output's spool ([`SpoolChange`]) takes effect
//! in its output thread between two buffers, after the old output and
//! spool sent and flushed what they could: another path opens the new
//! spool, which **takes the old one's entries over** (appended behind
//! what it holds from before, in their order, ahead of every newer event,
//! and sent first; what its bound pushes out is counted `spool_dropped`),
//! and the old file is emptied; the same file with another `max_bytes`
//! keeps its entries and takes the new bound when it next empties (as at
//! a restart); a spool removed leaves what it holds in its file, said on
//! stderr and counted `spool_dropped` (a config naming that file again
//! sends them, so the count can be higher than the loss, never lower).

pub mod ring;

use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use self::ring::{Appended, Handed, SpoolFile};
use super::net::{self, Reporter};
use super::{Output, Sent};
use crate::side::SideReader;
use crate::stats::OutputCounters;

/// How often a down receiver is tried again.
pub const RETRY: Duration = Duration::from_secs(1);
/// How long the spool is sent for between two of the backlog's buffers.
pub const DRAIN_SLICE: Duration = Duration::from_millis(20);
/// How long the spool is sent for when the backlog is empty.
pub const IDLE_SLICE: Duration = Duration::from_millis(100);
/// How long at most what the spool took stays in the page cache only:
/// then it is forced to disk (`fdatasync`), so a power cut or a kernel
/// crash loses at most that much of it (a restart of raudit loses none).
pub const SYNC_EVERY: Duration = Duration::from_secs(1);
/// The smallest `spool.max_bytes`.
pub const MIN_BYTES: u64 = 64 * 1024;
/// An entry's offset and side length, before the side records and line.
const ENTRY_PREFIX: usize = 8;

/// A network output's spool, as the plan decides it from `spool`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpoolSpec {
    pub path: PathBuf,
    /// The file's size at most, header included.
    pub max_bytes: u64,
}

/// What a reload does to an output's spool (see the module doc).
pub enum SpoolChange {
    /// The same spool, or none before and after.
    Keep,
    /// Another file, opened by the reload: it takes the old one's entries
    /// over.
    Open(Box<Spooling>),
    /// The same file with another bound (`max_bytes`).
    Bound(u64),
    /// No spool any more.
    Remove,
}

impl std::fmt::Debug for SpoolChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpoolChange::Keep => f.write_str("Keep"),
            SpoolChange::Open(s) => write!(f, "Open({})", s.file.path().display()),
            SpoolChange::Bound(n) => write!(f, "Bound({n})"),
            SpoolChange::Remove => f.write_str("Remove"),
        }
    }
}

/// One output's spool and where its delivery stands.
pub struct Spooling {
    name: String,
    file: SpoolFile,
    /// Entries handed to the output that it holds or delivered, not yet
    /// confirmed (an entry it refused is never among them: see
    /// [`Spooling::leave_unsent`]).
    in_flight: u64,
    /// A line the output holds (after those) that the spool could not
    /// keep (0 or 1): sent once the output holds nothing, else lost,
    /// counted `spool_dropped`.
    unkept_held: u64,
    /// Of the entries in flight, those written ahead of a batch (not
    /// counted `spooled` unless the batch fails).
    ahead_in_flight: u64,
    /// The receiver is down: when to try again.
    retry_at: Option<Instant>,
    /// Since when the file holds writes not forced to disk yet.
    unsynced_since: Option<Instant>,
    /// Entries counted `spool_torn` by the spools this one took over.
    torn_before: u64,
    io_errors: Reporter,
    too_large: Reporter,
}

impl Spooling {
    /// Opens the spool of the output `name` for events of up to
    /// `max_line` bytes with their side records; says on stderr what a
    /// previous run left in it.
    pub fn open(name: &str, spec: &SpoolSpec, max_line: usize) -> io::Result<Spooling> {
        let max_entry = ENTRY_PREFIX + max_line + 2 * crate::side::FACTS_ROOM + max_line;
        let file = SpoolFile::open(&spec.path, spec.max_bytes, max_entry)?;
        if file.entries() > 0 || file.torn() > 0 {
            let oversized = file.oversized();
            let torn = file.torn() - oversized;
            eprintln!(
                "raudit: output {name}: spool {} holds {} events ({} bytes) from before; they go first{}{}",
                spec.path.display(),
                file.entries() - oversized,
                file.bytes(),
                if torn > 0 {
                    " (one torn entry, written when raudit stopped, skipped and counted)"
                } else {
                    ""
                },
                if oversized > 0 {
                    format!(" ({oversized} events larger than this run takes, from a run with a larger raudit.max_event_bytes or queue.buffer_size, skipped and counted torn)")
                } else {
                    String::new()
                }
            );
        }
        Ok(Spooling {
            name: name.to_owned(),
            file,
            in_flight: 0,
            unkept_held: 0,
            ahead_in_flight: 0,
            retry_at: None,
            unsynced_since: None,
            torn_before: 0,
            io_errors: Reporter::new(),
            too_large: Reporter::new(),
        })
    }

    /// Takes over what `old` (the spool this one replaces, its output
    /// flushed) still holds: appended behind this one's entries in their
    /// order, not counted `spooled` again (what this bound pushes out is
    /// counted `spool_dropped`); `old`'s file is emptied. Says on stderr
    /// how many moved.
    pub fn take_over(&mut self, mut old: Spooling, c: Option<&OutputCounters>) {
        // What the old output held unconfirmed goes again (at least once).
        old.file.rewind();
        let mut moved = 0u64;
        let mut lost = 0u64;
        loop {
            match old.file.hand_out() {
                // Counted at the old spool's open (carried in torn_before).
                Ok(Some(Handed::Oversized)) => {}
                Ok(Some(Handed::Entry(entry))) => match self.file.append(&[entry], false) {
                    Ok(Ok(appended)) => {
                        moved += 1;
                        lost += appended.dropped;
                    }
                    Ok(Err(_)) => lost += 1,
                    Err(e) => {
                        self.io_error("writing", &e);
                        lost += 1 + self.file.take_failed_drops().dropped;
                    }
                },
                Ok(None) => break,
                Err(e) => {
                    old.io_error("reading", &e);
                    // A failed hand-out leaves the cursor on the entry it
                    // could not read: `waiting` counts it with the rest.
                    lost += old.file.waiting();
                    break;
                }
            }
        }
        if let Err(e) = old.file.clear() {
            old.io_error("emptying", &e);
        }
        // What the old spool counted at its open stays counted.
        self.torn_before += old.torn_before + old.file.torn();
        if let Some(c) = c {
            c.spool_dropped.add(lost);
        }
        if moved > 0 || lost > 0 {
            eprintln!(
                "raudit: output {}: the spool moved from {} to {}: {moved} events it held go first{}",
                self.name,
                old.file.path().display(),
                self.file.path().display(),
                if lost > 0 {
                    format!(" ({lost} lost to the new spool's bound or an error, counted)")
                } else {
                    String::new()
                }
            );
        }
        self.gauges(c);
    }

    /// Bounds the file to `max_bytes` from when it next empties (a reload
    /// changed the bound of the same file).
    pub fn set_bound(&mut self, max_bytes: u64) {
        self.file.set_bound(max_bytes);
    }

    /// The output no longer spools: what this spool holds stays in its
    /// file, said on stderr and counted `spool_dropped`.
    pub fn leave(self, c: Option<&OutputCounters>) {
        let held = self.file.entries();
        if held > 0 {
            eprintln!(
                "raudit: output {}: no spool any more; the {held} events the spool {} holds stay in it, not sent (counted lost; a config naming it again sends them)",
                self.name,
                self.file.path().display()
            );
            if let Some(c) = c {
                c.spool_dropped.add(held);
            }
        }
        if let Some(c) = c {
            c.spool_events.set(0);
            c.spool_bytes.set(0);
        }
    }

    /// Whether lines go straight to the output (nothing waits in the
    /// spool and the receiver is not known down).
    fn direct(&self) -> bool {
        self.retry_at.is_none() && self.file.waiting() == 0
    }

    /// Whether the spool holds events not handed to the output yet.
    pub fn has_waiting(&self) -> bool {
        self.file.waiting() > 0
    }

    /// One line (with its side records, which begin at `offset` in the
    /// line's buffer): sent when nothing waits before it and the receiver
    /// is up, else spooled.
    pub fn offer(
        &mut self,
        output: &mut dyn Output,
        line: &[u8],
        side: &[u8],
        offset: usize,
        c: Option<&OutputCounters>,
    ) {
        if !self.direct() {
            self.keep(line, side, offset, false, c);
            self.gauges(c);
            return;
        }
        let parsed = SideReader::new(side).line(offset);
        match output.write_line(line, &parsed) {
            Ok(sent) => {
                accepted(c, line.len(), sent);
                if output.pending_lines() > 0 {
                    // Held in a batch: kept until the batch is delivered.
                    if self.keep(line, side, offset, true, c) {
                        self.in_flight += 1;
                        self.ahead_in_flight += 1;
                    } else {
                        // Held, but not in the spool: flushed at once, so
                        // that it is the newest line the output holds
                        // while its fate is unknown (see `settle`).
                        self.unkept_held = 1;
                        match output.flush() {
                            Ok(()) => self.settle(output, c),
                            Err(e) => self.went_down(output, &e, c),
                        }
                    }
                } else if let Some(c) = c {
                    c.count_sent(1);
                }
                self.settle(output, c);
            }
            Err(e) if net::is_too_large(&e) => {
                if let Some(c) = c {
                    c.errors.add(1);
                }
            }
            Err(e) => {
                self.keep(line, side, offset, false, c);
                self.went_down(output, &e, c);
            }
        }
        self.gauges(c);
    }

    /// A line spooled without trying (the shutdown deadline passed).
    pub fn keep_undelivered(
        &mut self,
        line: &[u8],
        side: &[u8],
        offset: usize,
        c: Option<&OutputCounters>,
    ) {
        self.keep(line, side, offset, false, c);
        self.gauges(c);
    }

    /// Sends spooled events for up to `slice`, if the receiver is not
    /// waiting out its [`RETRY`]; flushes the output once caught up.
    pub fn drain(&mut self, output: &mut dyn Output, slice: Duration, c: Option<&OutputCounters>) {
        self.sync_if_due(Instant::now());
        if self.retry_at.is_some_and(|at| Instant::now() < at) {
            return;
        }
        let started = Instant::now();
        let mut handed = 0u64;
        while started.elapsed() < slice {
            let entry = match self.file.hand_out() {
                Ok(Some(Handed::Entry(entry))) => entry,
                Ok(Some(Handed::Oversized)) => {
                    if !self.leave_unsent(output, Unsent::CountedAtOpen, c) {
                        return;
                    }
                    continue;
                }
                Ok(None) => break,
                Err(e) => {
                    self.io_error("reading", &e);
                    // Unreadable: give the rest up rather than send it
                    // damaged (counted as lost).
                    self.give_up_unreadable(c);
                    break;
                }
            };
            let Some((line, side, offset)) = split_entry(entry) else {
                // Its checksum held but not its layout (never written so):
                // never sent, counted as an error.
                if !self.leave_unsent(output, Unsent::Refused, c) {
                    return;
                }
                continue;
            };
            let parsed = SideReader::new(side).line(offset);
            match output.write_line(line, &parsed) {
                Ok(sent) => {
                    accepted(c, line.len(), sent);
                    self.in_flight += 1;
                    handed += 1;
                    self.settle(output, c);
                }
                // No transport can take it: counted as an error, as
                // without a spool.
                Err(e) if net::is_too_large(&e) => {
                    if !self.leave_unsent(output, Unsent::Refused, c) {
                        return;
                    }
                }
                Err(e) => {
                    self.went_down(output, &e, c);
                    self.gauges(c);
                    return;
                }
            }
        }
        if handed > 0 && self.file.waiting() == 0 && self.in_flight > 0 {
            self.flush(output, c);
        }
        self.gauges(c);
    }

    /// Flushes the output: what its batch held is confirmed, or, if the
    /// send failed, sent again from the spool later.
    pub fn flush(&mut self, output: &mut dyn Output, c: Option<&OutputCounters>) {
        if self.retry_at.is_some_and(|at| Instant::now() < at) {
            return;
        }
        match output.flush() {
            Ok(()) => self.settle(output, c),
            Err(e) => self.went_down(output, &e, c),
        }
        self.gauges(c);
    }

    /// Confirms the entries the output no longer holds; the first
    /// delivery after an outage ends it.
    fn settle(&mut self, output: &dyn Output, c: Option<&OutputCounters>) {
        // The output delivers in order what it holds: the entries in
        // flight, then the line the spool could not keep, if any; what it
        // still holds are the newest.
        let pending = output.pending_lines();
        if self.unkept_held > 0 && pending == 0 {
            self.unkept_held = 0;
            if let Some(c) = c {
                c.count_sent(1);
            }
        }
        let delivered = (self.in_flight + self.unkept_held)
            .saturating_sub(pending)
            .min(self.in_flight);
        if delivered == 0 {
            return;
        }
        if self.retry_at.take().is_some() {
            eprintln!(
                "raudit: output {}: the receiver takes events again; sending the {} spooled first",
                self.name,
                self.file.entries().saturating_sub(delivered)
            );
        }
        if let Err(e) = self.file.confirm(delivered) {
            self.io_error("confirming delivered events in", &e);
        }
        self.in_flight -= delivered;
        self.ahead_in_flight = self.ahead_in_flight.min(self.in_flight);
        if let Some(c) = c {
            c.count_sent(delivered);
        }
    }

    /// The entry just handed out never reaches the output (the transport
    /// refused it, or it cannot be sent): it leaves the spool, counted as
    /// `how` says, once every entry before it has left, so that no entry
    /// the output still holds leaves with it. What the output holds is
    /// flushed first; false if that failed (the output is down, and the
    /// entry is handed out again with the rest later).
    fn leave_unsent(
        &mut self,
        output: &mut dyn Output,
        how: Unsent,
        c: Option<&OutputCounters>,
    ) -> bool {
        self.settle(output, c);
        if self.in_flight > 0 {
            if let Err(e) = output.flush() {
                self.went_down(output, &e, c);
                self.gauges(c);
                return false;
            }
            self.settle(output, c);
        }
        if self.in_flight > 0 {
            // A flush that succeeds writes all (Output::flush): not seen.
            let e = io::Error::other("the output still holds lines after a flush");
            self.went_down(output, &e, c);
            self.gauges(c);
            return false;
        }
        // Nothing before it is held: it is the only entry handed out.
        if let Err(e) = self.file.confirm(1) {
            self.io_error("confirming an unsendable event in", &e);
        }
        if let (Unsent::Refused, Some(c)) = (how, c) {
            c.errors.add(1);
        }
        true
    }

    /// The output failed: what it held is dropped there (it is in the
    /// spool) and handed out again once the receiver is back.
    fn went_down(
        &mut self,
        output: &mut dyn Output,
        error: &io::Error,
        c: Option<&OutputCounters>,
    ) {
        // What the output wrote before it failed (a gathered stream writes
        // whole messages up to the failure) is delivered; the rest is not.
        self.settle(output, c);
        output.discard();
        if let Some(c) = c {
            c.spooled.add(self.ahead_in_flight);
            // Held, not in the spool, not written: lost.
            c.spool_dropped.add(self.unkept_held);
        }
        self.unkept_held = 0;
        self.file.rewind();
        self.in_flight = 0;
        self.ahead_in_flight = 0;
        if self.retry_at.is_none() {
            eprintln!(
                "raudit: output {}: cannot deliver ({error}); keeping events in the spool {} and trying again every {RETRY:?}",
                self.name,
                self.file.path().display()
            );
        }
        self.retry_at = Some(Instant::now() + RETRY);
    }

    /// Appends the line to the spool; false if it could not be kept
    /// (counted as lost, unless `handed_out`: the output holds it, and the
    /// caller counts it once its fate is known).
    fn keep(
        &mut self,
        line: &[u8],
        side: &[u8],
        offset: usize,
        handed_out: bool,
        c: Option<&OutputCounters>,
    ) -> bool {
        let offset = u32::try_from(offset).unwrap_or(u32::MAX).to_le_bytes();
        let side_len = u32::try_from(side.len()).unwrap_or(0);
        let side = if side_len == 0 { &[][..] } else { side };
        let mut prefix = [0u8; ENTRY_PREFIX];
        prefix[..4].copy_from_slice(&offset);
        prefix[4..].copy_from_slice(&side_len.to_le_bytes());
        match self.file.append(&[&prefix, side, line], handed_out) {
            Ok(Ok(Appended {
                dropped,
                dropped_in_flight,
            })) => {
                self.unsynced_since.get_or_insert_with(Instant::now);
                self.in_flight = self.in_flight.saturating_sub(dropped_in_flight);
                self.ahead_in_flight = self.ahead_in_flight.min(self.in_flight);
                if let Some(c) = c {
                    if !handed_out {
                        c.spooled.add(1);
                    }
                    c.spool_dropped.add(dropped);
                }
                true
            }
            Ok(Err(full)) => {
                if self.too_large.occurred() {
                    eprintln!(
                        "raudit: output {}: an event of {} bytes is larger than the spool {}; {} ({} so far)",
                        self.name,
                        full.len,
                        self.file.path().display(),
                        if handed_out {
                            "not kept: lost unless the output delivers it now"
                        } else {
                            "lost"
                        },
                        self.too_large.total()
                    );
                }
                if let (false, Some(c)) = (handed_out, c) {
                    c.spool_dropped.add(1);
                }
                false
            }
            Err(e) => {
                self.io_error("writing", &e);
                // What the failed append pushed out is lost with it.
                let pushed_out = self.file.take_failed_drops();
                self.in_flight = self.in_flight.saturating_sub(pushed_out.dropped_in_flight);
                self.ahead_in_flight = self.ahead_in_flight.min(self.in_flight);
                if let Some(c) = c {
                    c.spool_dropped
                        .add(u64::from(!handed_out) + pushed_out.dropped);
                }
                false
            }
        }
    }

    /// The spool cannot be read back: its entries are lost (counted).
    fn give_up_unreadable(&mut self, c: Option<&OutputCounters>) {
        let lost = self.file.entries();
        if let Err(e) = self.file.clear() {
            self.io_error("emptying", &e);
        }
        // Whatever the output holds was handed out from the spool and is
        // confirmed with it.
        self.in_flight = 0;
        self.ahead_in_flight = 0;
        if let Some(c) = c {
            c.spool_dropped.add(lost);
        }
    }

    /// Forces what the spool took to disk once it has waited
    /// [`SYNC_EVERY`] (the output thread calls [`Spooling::drain`] after
    /// each of its buffers and while the spool holds events).
    fn sync_if_due(&mut self, now: Instant) {
        if self
            .unsynced_since
            .is_some_and(|since| now.saturating_duration_since(since) >= SYNC_EVERY)
        {
            self.sync();
        }
    }

    fn sync(&mut self) {
        self.unsynced_since = None;
        if let Err(e) = self.file.sync() {
            self.io_error("forcing to disk", &e);
        }
    }

    /// Whether the file holds writes not forced to disk yet.
    #[cfg(test)]
    fn unsynced(&self) -> bool {
        self.unsynced_since.is_some()
    }

    fn io_error(&mut self, what: &str, error: &io::Error) {
        if self.io_errors.occurred() {
            eprintln!(
                "raudit: output {}: {what} the spool {}: {error} ({} spool errors so far)",
                self.name,
                self.file.path().display(),
                self.io_errors.total()
            );
        }
    }

    fn gauges(&self, c: Option<&OutputCounters>) {
        if let Some(c) = c {
            c.spool_events.set(self.file.entries());
            c.spool_bytes.set(self.file.bytes());
            c.spool_torn.set(self.torn_before + self.file.torn());
        }
    }
}

/// A spool put away (at shutdown, or a reload that ends it) forces what it
/// took to disk.
impl Drop for Spooling {
    fn drop(&mut self) {
        if self.unsynced_since.is_some() {
            self.sync();
        }
    }
}

/// Why an entry handed out never reaches the output, and so how it is
/// counted when it leaves the spool.
#[derive(Clone, Copy)]
enum Unsent {
    /// The transport refused it (too large for it), or its layout does not
    /// hold: an error, as without a spool.
    Refused,
    /// Larger than this run takes: counted `spool_torn` when the spool was
    /// opened.
    CountedAtOpen,
}

/// Counts a line the transport took: its bytes, and whether it went cut.
fn accepted(c: Option<&OutputCounters>, len: usize, sent: Sent) {
    if let Some(c) = c {
        c.bytes.add(len as u64);
        if sent == Sent::Cut {
            c.cut.add(1);
        }
    }
}

/// An entry's line, side records and their offset.
fn split_entry(entry: &[u8]) -> Option<(&[u8], &[u8], usize)> {
    let offset = u32::from_le_bytes(entry.get(..4)?.try_into().ok()?) as usize;
    let side_len = u32::from_le_bytes(entry.get(4..8)?.try_into().ok()?) as usize;
    let side_end = ENTRY_PREFIX.checked_add(side_len)?;
    Some((
        entry.get(side_end..)?,
        entry.get(ENTRY_PREFIX..side_end)?,
        offset,
    ))
}

#[cfg(test)]
mod tests;

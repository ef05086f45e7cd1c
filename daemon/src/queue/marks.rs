//! The restart mark the outputs have reached together: each running output
//! thread publishes the newest buffer mark (`daemon::restart::buffer_mark`)
//! whose lines have all left it (written, or given up and counted), and
//! the mark stored into the state file is the earliest of those over the
//! running output threads. An output that holds lines after releasing
//! their buffer (a stream's gather buffer, OTLP's batch) publishes their
//! buffer's mark only once they have gone out, so a kill while it holds
//! them leaves the stored mark below them and the next start counts them
//! in `missed_across_restart`.
//!
//! An output thread joins when it is started, at the mark of the last
//! buffer submitted when its backlog is empty (it owes nothing for the
//! buffers submitted before it reads any; else at none: it owes what its
//! backlog holds), and leaves when it ends, after its last flush (a reload retired
//! it, or the daemon stops): from then on it holds the mark back no more.
//! Until every output thread has published a mark nothing is stored.
//! One atomic store and a load per output thread per buffer written: no
//! allocation, no system call.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::daemon::restart::is_after;

/// A published mark, with this bit set (0: none yet).
const VALID: u64 = 1 << 32;

/// The marks the output threads published (see the module doc).
#[derive(Debug)]
pub(super) struct Delivered {
    /// Per backlog: [`VALID`] and the newest mark its output thread has
    /// delivered (0: none yet).
    marks: Box<[AtomicU64]>,
    /// A bit per backlog whose output thread runs.
    live: AtomicU64,
    /// The mark of the last buffer submitted (0: none yet).
    submitted: AtomicU32,
    /// [`VALID`] and the earliest mark over the running output threads,
    /// the newest found so far: what was stored (0: nothing yet).
    stored: AtomicU64,
}

impl Delivered {
    pub(super) fn new(outputs: usize) -> Delivered {
        Delivered {
            marks: (0..outputs).map(|_| AtomicU64::new(0)).collect(),
            live: AtomicU64::new(0),
            submitted: AtomicU32::new(0),
            stored: AtomicU64::new(0),
        }
    }

    /// The receive thread submitted a buffer marked `mark` (0: none).
    pub(super) fn submitted(&self, mark: u32) {
        if mark != 0 {
            self.submitted.store(mark, Ordering::Release);
        }
    }

    /// Output `output`'s thread starts (a no-op if it runs already): it
    /// holds the stored mark at the last buffer submitted (or, when its
    /// backlog is not `empty`, at none) until it delivers more.
    pub(super) fn join(&self, output: usize, empty: bool) {
        let (Some(bit), Some(mark)) = (bit(output), self.marks.get(output)) else {
            return;
        };
        if self.live.load(Ordering::Acquire) & bit != 0 {
            return;
        }
        let submitted = if empty {
            self.submitted.load(Ordering::Acquire)
        } else {
            0
        };
        mark.store(valid(submitted), Ordering::Release);
        self.live.fetch_or(bit, Ordering::AcqRel);
    }

    /// Output `output`'s thread ends (after its last flush); returns the
    /// mark to store, if the others now reach a newer one together.
    pub(super) fn leave(&self, output: usize) -> Option<u32> {
        let bit = bit(output)?;
        self.live.fetch_and(!bit, Ordering::AcqRel);
        self.advance()
    }

    /// Output `output` delivered every line up to a buffer marked `mark`;
    /// returns the mark to store, if the outputs now reach a newer one
    /// together.
    pub(super) fn deliver(&self, output: usize, mark: u32) -> Option<u32> {
        let slot = self.marks.get(output)?;
        // Only this output's thread stores its mark (after its join).
        let before = slot.load(Ordering::Acquire);
        if mark == 0 || (before & VALID != 0 && !is_after(mark, before as u32)) {
            return None;
        }
        slot.store(VALID | u64::from(mark), Ordering::Release);
        self.advance()
    }

    /// The mark stored so far (None: none yet).
    pub(super) fn stored(&self) -> Option<u32> {
        let stored = self.stored.load(Ordering::Acquire);
        (stored & VALID != 0).then_some(stored as u32)
    }

    /// The earliest mark over the running output threads, if it is newer
    /// than the one stored (then it is the one stored now).
    fn advance(&self) -> Option<u32> {
        let earliest = self.earliest()?;
        let newer = |stored: u64| {
            (stored & VALID == 0 || is_after(earliest, stored as u32))
                .then_some(VALID | u64::from(earliest))
        };
        self.stored
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, newer)
            .ok()
            .map(|_| earliest)
    }

    /// The earliest mark the running output threads published; None while
    /// one has published none (or none runs).
    fn earliest(&self) -> Option<u32> {
        let live = self.live.load(Ordering::Acquire);
        let mut earliest: Option<u32> = None;
        for (output, slot) in self.marks.iter().enumerate() {
            if bit(output).is_none_or(|bit| live & bit == 0) {
                continue;
            }
            let mark = slot.load(Ordering::Acquire);
            if mark & VALID == 0 {
                return None;
            }
            let mark = mark as u32;
            earliest = match earliest {
                Some(e) if !is_after(e, mark) => Some(e),
                _ => Some(mark),
            };
        }
        earliest
    }
}

/// Output `output`'s bit (None past 63: such an output is never counted).
fn bit(output: usize) -> Option<u64> {
    1u64.checked_shl(u32::try_from(output).ok()?)
}

/// `mark` as published (0 stays none).
fn valid(mark: u32) -> u64 {
    if mark == 0 {
        0
    } else {
        VALID | u64::from(mark)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_mark_is_the_earliest_of_the_running_outputs() {
        let marks = Delivered::new(3);
        marks.join(0, true);
        marks.join(1, true);
        assert_eq!(marks.deliver(0, 10), None, "output 1 published none");
        assert_eq!(marks.deliver(1, 7), Some(7));
        assert_eq!(marks.deliver(1, 12), Some(10), "output 0 is at 10");
        assert_eq!(marks.deliver(1, 11), None, "older than its own: kept");
        assert_eq!(marks.deliver(0, 15), Some(12));
        assert_eq!(marks.stored(), Some(12));
        assert_eq!(marks.deliver(2, 99), None, "output 2 does not run");
        assert_eq!(marks.stored(), Some(12));
    }

    #[test]
    fn serials_wrap_in_the_earliest_and_the_stored_mark() {
        let marks = Delivered::new(2);
        marks.join(0, true);
        marks.join(1, true);
        assert_eq!(marks.deliver(0, u32::MAX - 1), None);
        assert_eq!(marks.deliver(1, 3), Some(u32::MAX - 1));
        assert_eq!(marks.deliver(0, 2), Some(2), "2 comes after MAX - 1");
    }

    #[test]
    fn an_output_joins_at_the_last_submit_and_stops_counting_once_it_leaves() {
        let marks = Delivered::new(2);
        marks.join(0, true);
        marks.submitted(20);
        assert_eq!(marks.deliver(0, 20), Some(20));
        // Enabled by a reload: it owes nothing up to 20, and holds the
        // mark there until it delivers what it reads from now on.
        marks.join(1, true);
        assert_eq!(marks.deliver(0, 30), None);
        assert_eq!(marks.stored(), Some(20));
        marks.join(1, true); // already running: keeps its mark
        assert_eq!(marks.deliver(1, 25), Some(25));
        // Disabled: once its thread ends, the other alone counts.
        assert_eq!(marks.leave(1), Some(30));
        assert_eq!(marks.leave(0), None, "none runs: nothing to store");
        assert_eq!(marks.stored(), Some(30));
    }

    #[test]
    fn an_output_joining_with_buffers_in_its_backlog_owes_them() {
        let marks = Delivered::new(2);
        marks.join(0, true);
        marks.submitted(20);
        marks.join(1, false);
        assert_eq!(marks.deliver(0, 20), None, "output 1 still owes 20");
        assert_eq!(marks.deliver(1, 20), Some(20));
    }

    #[test]
    fn an_output_joining_before_any_submit_holds_the_mark_until_it_delivers() {
        let marks = Delivered::new(2);
        marks.join(0, true);
        marks.join(1, true);
        assert_eq!(marks.deliver(0, 5), None);
        assert_eq!(marks.stored(), None);
        assert_eq!(marks.deliver(1, 0), None, "a buffer without a mark");
        assert_eq!(marks.deliver(1, 5), Some(5));
    }
}

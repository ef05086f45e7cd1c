//! Which buffers' lines have left an output, for the restart mark
//! (`crate::queue::Queue::deliver`): a buffer is released to the pool as
//! soon as its lines are handed to the output, but an output that holds
//! lines (a stream's gather buffer, OTLP's batch, a file's pending part)
//! has not delivered them yet. [`Delivery`] notes, for each buffer handed
//! over, how many lines the output had accepted when its last line was
//! offered, and its mark; once the lines the output still holds
//! ([`Output::pending_lines`](super::Output::pending_lines), the newest it
//! accepted: lines leave it in order) are all after that count, the
//! buffer's mark is delivered. A line not accepted (failed and counted, or
//! dropped and counted) is not waited for: its loss is already counted.
//!
//! Fixed room, no allocation: when more buffers wait than it holds, the
//! newest waiting one takes the new one's place and mark, so the older
//! mark is delivered later than it could be, never earlier.

use arrayvec::ArrayVec;

/// Buffers whose delivery is followed one by one (an OTLP batch or a
/// 64 KiB gather buffer spans a few pooled buffers).
const WAITING: usize = 16;

/// A buffer whose lines the output may still hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Waiting {
    /// Lines the output had accepted once this buffer's were offered.
    accepted: u64,
    mark: u32,
}

/// The buffers an output may still hold lines of (see the module doc).
#[derive(Debug, Default)]
pub struct Delivery {
    /// Oldest first.
    waiting: ArrayVec<Waiting, WAITING>,
    /// Lines the output accepted so far.
    accepted: u64,
}

impl Delivery {
    /// The output accepted `lines` more lines.
    pub fn accepted(&mut self, lines: u64) {
        self.accepted = self.accepted.saturating_add(lines);
    }

    /// Every line of a buffer marked `mark` was offered to the output
    /// (0: the buffer has no mark, nothing to deliver).
    pub fn offered(&mut self, mark: u32) {
        if mark == 0 {
            return;
        }
        let waiting = Waiting {
            accepted: self.accepted,
            mark,
        };
        if let Err(full) = self.waiting.try_push(waiting) {
            if let Some(newest) = self.waiting.last_mut() {
                *newest = full.element();
            }
        }
    }

    /// The output still holds `pending` lines: the mark of the newest
    /// buffer none of whose lines it holds any more, if one became so.
    pub fn settle(&mut self, pending: u64) -> Option<u32> {
        let left = self.accepted.saturating_sub(pending);
        let gone = self
            .waiting
            .iter()
            .take_while(|w| w.accepted <= left)
            .count();
        let mark = gone.checked_sub(1).and_then(|i| self.waiting.get(i))?.mark;
        self.waiting.drain(..gone);
        Some(mark)
    }
}

#[cfg(test)]
mod tests;

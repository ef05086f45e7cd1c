//! When the pages large events touched go back to the kernel: the
//! assembler's lane and the queue's large buffers keep theirs while large
//! events keep coming (each would otherwise fault a fresh page in for every
//! 4 KiB of every large event, and `MADV_DONTNEED` them again after, with
//! TLB shoot-downs across CPUs), and give them back once no large event has
//! used them for [`KEEP`], or as soon as the receive thread finds the
//! socket idle for a whole receive wait. The idle and ordinary storm
//! resident set stay where they were; a stream of large events holds what
//! one of them needs (the lane) and what the large lines still being
//! written hold, no more.
//!
//! Checked by the receive thread after every receive (at least every
//! `max_wait`), from its own clock: no timer, no other thread.

use raudit_core::time::{Duration, Instant};

use crate::queue::Queue;

/// How long the large-event pages stay after the last large event.
pub const KEEP: Duration = Duration::from_secs(1);

/// The receive thread's view of the large buffers' pages.
#[derive(Debug, Default)]
pub struct LargePages {
    /// When a large buffer was last taken.
    taken_at: Instant,
    /// Some large buffer may hold written pages.
    resident: bool,
}

impl LargePages {
    /// A large buffer was taken at `now` (its pages will be written).
    pub fn taken(&mut self, now: Instant) {
        self.taken_at = self.taken_at.max(now);
        self.resident = true;
    }

    /// Gives the large buffers' written pages back when none was taken
    /// during the `keep` before `now` (every free one now, the others
    /// at a later call, once the outputs are done with them).
    pub fn release_unused(&mut self, queue: &Queue, now: Instant, keep: Duration) {
        if self.resident && now.since(self.taken_at) >= keep {
            self.resident = !queue.release_large_pages();
        }
    }

    /// Some large buffer may still hold written pages.
    pub fn resident(&self) -> bool {
        self.resident
    }
}

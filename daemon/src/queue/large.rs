//! The large lane (see the [module doc](super)): [`LARGE_BUFFERS`]
//! buffers for lines no pooled buffer holds. Taking one never waits; when
//! all are out an output far behind gives up its oldest buffers; once
//! large lines stop, their written pages go back to the kernel.

use std::sync::atomic::Ordering;

use super::{EventBuffer, Policy, Queue};

/// Buffers in the large lane: enough to cover the outputs writing a few
/// large lines (measured: with 2, 5 of 1,017 events of 135 KB were cut
/// while both were out, on a loaded 2-CPU host).
pub const LARGE_BUFFERS: usize = 4;

impl Queue {
    /// A large lane's buffer, or `None` when all are out (or there are
    /// none). Never waits.
    pub fn take_large(&self) -> Option<EventBuffer> {
        if let Some(buffer) = self.claim_large() {
            return Some(buffer);
        }
        // All out: if an output has fallen far behind while holding them,
        // it gives up its oldest buffers, as when its backlog is full.
        self.relieve_laggard();
        self.claim_large()
    }

    /// Under [`Policy::Drop`] with several outputs: the output with the
    /// deepest backlog, if half the pool waits for it, gives up its oldest
    /// buffers (its own loss, counted) until a large buffer is free or it
    /// is no longer that far behind. A dead output then never keeps the
    /// large lane from the others (a merely slow one is left alone).
    fn relieve_laggard(&self) {
        if self.readers().count_ones() < 2 || self.policy != Policy::Drop {
            return;
        }
        let Some(laggard) = self.backlogs.iter().max_by_key(|b| b.filled.len()) else {
            return;
        };
        let far_behind = (self.pool / 2).max(1);
        while laggard.filled.len() >= far_behind && self.large_free.load(Ordering::Acquire) == 0 {
            let Some(oldest) = laggard.filled.pop() else {
                return;
            };
            let lines = self.line_count(oldest);
            laggard.evicted_lines.fetch_add(lines, Ordering::Relaxed);
            self.release(oldest);
        }
    }

    /// Gives the written pages of every large buffer in the lane back to
    /// the kernel (each claimed meanwhile, as [`take_large`](Self::take_large)
    /// does, so nobody takes it half given back). The receive thread calls
    /// it once no large line has been written for a while. Returns whether
    /// every large buffer is in the lane, its pages given back: `false`
    /// while some are out (being filled or written: they come back later,
    /// call again then).
    pub fn release_large_pages(&self) -> bool {
        let large = self.slots.len().saturating_sub(self.pool);
        let mut all_back = true;
        for bit in 0..large.min(64) {
            let mask = 1u64 << bit;
            if self.large_free.fetch_and(!mask, Ordering::AcqRel) & mask == 0 {
                all_back = false; // out (its holder sets the bit again)
                continue;
            }
            if let Some(slot) = self.slots.get(self.pool + bit) {
                // Claimed: nobody else holds the lock.
                match slot.buffer.try_write() {
                    Ok(mut held) => {
                        if let Some(buffer) = held.as_mut() {
                            buffer.give_pages_back();
                        }
                    }
                    Err(_) => all_back = false,
                }
            }
            self.large_free.fetch_or(mask, Ordering::AcqRel);
        }
        all_back
    }

    fn claim_large(&self) -> Option<EventBuffer> {
        let mut current = self.large_free.load(Ordering::Acquire);
        while current != 0 {
            let bit = current.trailing_zeros();
            let claimed = current & !(1u64 << bit);
            match self.large_free.compare_exchange_weak(
                current,
                claimed,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    let slot = self.slots.get(self.pool + bit as usize)?;
                    return slot.buffer.try_write().ok()?.take();
                }
                Err(now) => current = now,
            }
        }
        None
    }
}

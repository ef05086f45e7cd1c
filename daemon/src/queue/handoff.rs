//! A buffer's round trip, the receive thread's hot path: taken from the
//! free set (the lowest free index; when the pool is empty, waiting as the
//! policy says or dropping, counted), submitted to the backlog of every
//! output reading (one at its limit gives up its oldest, counted), the
//! outputs woken, and returned to the free set by its last holder's
//! release (or given back unsubmitted).

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{Backlog, EventBuffer, Queue};

impl Queue {
    fn take(&self) -> Option<EventBuffer> {
        for (word_index, word) in self.free.iter().enumerate() {
            let mut current = word.load(Ordering::Acquire);
            while current != 0 {
                let bit = current.trailing_zeros();
                let claimed = current & !(1u64 << bit);
                match word.compare_exchange_weak(
                    current,
                    claimed,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        let slot = self.slots.get(word_index * 64 + bit as usize)?;
                        // The bit was ours alone and no output holds the
                        // buffer: nobody else holds this lock.
                        return slot.buffer.try_write().ok()?.take();
                    }
                    Err(now) => current = now,
                }
            }
        }
        None
    }

    /// Puts `buffer` back in its slot; false if it has none (a bug, counted).
    fn put(&self, buffer: EventBuffer) -> bool {
        let Some(slot) = self.slots.get(buffer.index) else {
            return false;
        };
        match slot.buffer.try_write() {
            Ok(mut held) => *held = Some(buffer),
            Err(_) => return false,
        }
        true
    }

    fn mark_free(&self, index: usize) {
        if let Some(large) = index.checked_sub(self.pool) {
            self.large_free.fetch_or(1u64 << large, Ordering::AcqRel);
        } else if let Some(word) = self.free.get(index / 64) {
            word.fetch_or(1u64 << (index % 64), Ordering::AcqRel);
        }
    }

    /// A free buffer, or `None` when the pool is empty and the event must be
    /// dropped (already counted). When the pool is empty the policy says
    /// how long to wait for one (`queue::free_wait`); `give_up` is asked
    /// while waiting.
    pub fn take_free(&self, give_up: impl Fn() -> bool) -> Option<EventBuffer> {
        if let Some(buffer) = self.take() {
            self.free_wait.taken(|| self.free_count() * 2 >= self.pool);
            return Some(buffer);
        }
        let started = Instant::now();
        let deadline = match give_up() {
            true => None,
            false => self.free_wait.begin(started),
        };
        if let Some(deadline) = deadline {
            // Outputs told only at the batch's end may not know yet.
            self.wake();
            let mut got = None;
            let mut ran_out = false;
            while !give_up() {
                got = self.take();
                if got.is_some() {
                    break;
                }
                let Some(pause) = deadline.park_for(Instant::now()) else {
                    ran_out = true;
                    break;
                };
                std::thread::park_timeout(pause);
            }
            let got = got.or_else(|| self.take());
            self.free_wait.end(started, got.is_none() && ran_out);
            if got.is_some() {
                return got;
            }
        }
        self.dropped.fetch_add(1, Ordering::Relaxed);
        None
    }

    /// Pooled buffers free now.
    fn free_count(&self) -> usize {
        self.free
            .iter()
            .map(|word| word.load(Ordering::Relaxed).count_ones() as usize)
            .sum()
    }

    /// Hands a filled buffer to every output; [`wake`](Self::wake) tells
    /// them (once per batch, not per buffer). An output whose backlog is at
    /// its limit gives up its oldest buffer first.
    pub fn submit(&self, buffer: EventBuffer) {
        let index = buffer.index;
        let Some(slot) = self.slots.get(index) else {
            self.lost_buffers.fetch_add(1, Ordering::Relaxed);
            return;
        };
        self.delivered.submitted(buffer.mark);
        let readers = self.readers();
        let limit = self.backlog_limit();
        if readers == 0 {
            // Nobody reads (never so in the daemon: a config has an
            // output): the buffer is free again at once.
            self.give_back(buffer);
            return;
        }
        slot.holders.store(readers.count_ones(), Ordering::Release);
        if !self.put(buffer) {
            self.lost_buffers.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let reading = self
            .backlogs
            .iter()
            .enumerate()
            .filter(|(i, _)| readers & (1u64 << (*i).min(63)) != 0);
        for (_, backlog) in reading {
            if backlog.filled.len() >= limit {
                if let Some(oldest) = backlog.filled.pop() {
                    let lines = self.line_count(oldest);
                    backlog.evicted_lines.fetch_add(lines, Ordering::Relaxed);
                    self.release(oldest);
                }
            }
            // Cannot fail: a buffer is in a backlog at most once, and the
            // backlog holds the whole pool.
            if backlog.filled.push(index as u32).is_err() {
                self.lost_buffers.fetch_add(1, Ordering::Relaxed);
                self.release(index as u32);
            }
        }
    }

    pub(super) fn line_count(&self, index: u32) -> u64 {
        self.slots
            .get(index as usize)
            .and_then(|slot| slot.buffer.read().ok())
            .and_then(|held| held.as_ref().map(EventBuffer::line_count))
            .unwrap_or(0)
    }

    /// One holder is done with buffer `index`; the last returns it to the
    /// free set.
    pub(super) fn release(&self, index: u32) {
        let Some(slot) = self.slots.get(index as usize) else {
            return;
        };
        if slot.holders.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        match slot.buffer.try_write() {
            Ok(mut held) => {
                if let Some(buffer) = held.as_mut() {
                    buffer.clear();
                }
            }
            Err(_) => {
                self.lost_buffers.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        self.mark_free(index as usize);
        if self.free_wait.is_waiting() {
            if let Some(producer) = self.producer.get() {
                producer.unpark();
            }
        }
    }

    /// Wakes every output thread that waits for buffers.
    pub fn wake(&self) {
        for backlog in self.backlogs.iter() {
            if let Some(consumer) = backlog.consumer.get() {
                consumer.unpark();
            }
        }
    }

    /// Returns a buffer that was taken but not submitted.
    pub fn give_back(&self, mut buffer: EventBuffer) {
        let index = buffer.index;
        buffer.clear();
        if self.put(buffer) {
            self.mark_free(index);
        } else {
            self.lost_buffers.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Wakes the output threads whose backlog holds a quarter of the pool
    /// (under load they otherwise let work gather, see
    /// [`Reader::gather`](super::Reader::gather)).
    pub fn wake_if_deep(&self) {
        for backlog in self.backlogs.iter() {
            if self.is_deep(backlog) {
                if let Some(consumer) = backlog.consumer.get() {
                    consumer.unpark();
                }
            }
        }
    }

    pub(super) fn is_deep(&self, backlog: &Backlog) -> bool {
        backlog.filled.len() >= (self.pool / 4).max(1)
    }
}

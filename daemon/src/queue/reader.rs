//! One output's end of the [`Queue`]: its backlog of shared filled
//! buffers, read under a shared lock and released when written (or given
//! up), and its thread's waits.

use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLockReadGuard};
use std::time::Duration;

use super::{Backlog, EventBuffer, Queue};

/// One output's end of the queue.
#[derive(Debug)]
pub struct Reader {
    pub(super) queue: Arc<Queue>,
    pub(super) output: usize,
}

/// A filled buffer an output is writing (read-shared with the other
/// outputs); give it back with [`Reader::release`].
#[derive(Debug)]
pub struct Filled<'q> {
    index: u32,
    guard: Option<RwLockReadGuard<'q, Option<EventBuffer>>>,
}

impl Filled<'_> {
    /// The buffer's lines (empty if the slot was found empty, a bug).
    pub fn bytes(&self) -> &[u8] {
        self.buffer().map(EventBuffer::filled).unwrap_or_default()
    }

    /// The buffer's side region (see [`crate::side`]).
    pub fn side(&self) -> &[u8] {
        self.buffer().map(EventBuffer::side).unwrap_or_default()
    }

    pub fn line_count(&self) -> u64 {
        self.buffer().map(EventBuffer::line_count).unwrap_or(0)
    }

    /// The serial mark the receive thread set on the buffer (0: none).
    pub fn mark(&self) -> u32 {
        self.buffer().map(EventBuffer::mark).unwrap_or(0)
    }

    fn buffer(&self) -> Option<&EventBuffer> {
        self.guard.as_ref().and_then(|g| g.as_ref())
    }
}

impl Reader {
    fn backlog(&self) -> Option<&Backlog> {
        self.queue.backlogs.get(self.output)
    }

    /// Registers the calling thread as this output's (woken on submit).
    pub fn register(&self) {
        if let Some(backlog) = self.backlog() {
            let _ = backlog.consumer.set(std::thread::current());
        }
    }

    /// The next filled buffer for this output, if any.
    pub fn next(&self) -> Option<Filled<'_>> {
        let index = self.backlog()?.filled.pop()?;
        let guard = self
            .queue
            .slots
            .get(index as usize)
            .and_then(|slot| slot.buffer.read().ok());
        Some(Filled { index, guard })
    }

    /// This output is done with `filled` (written or given up).
    pub fn release(&self, filled: Filled<'_>) {
        let Filled { index, guard } = filled;
        drop(guard);
        self.queue.release(index);
    }

    /// This output's thread starts: from now on the stored restart mark
    /// waits for it (see `queue::marks`; a no-op while it runs).
    pub fn join(&self) {
        self.queue.delivered.join(self.output, self.depth() == 0);
    }

    /// This output's thread ends, after its last flush: the stored
    /// restart mark no longer waits for it.
    pub fn leave(&self) {
        super::store_mark(self.queue.delivered.leave(self.output));
    }

    /// Lines this output gave up because its backlog was full.
    pub fn evicted_lines(&self) -> u64 {
        self.backlog()
            .map_or(0, |b| b.evicted_lines.load(Ordering::Relaxed))
    }

    /// Buffers waiting for this output.
    pub fn depth(&self) -> usize {
        self.backlog().map_or(0, |b| b.filled.len())
    }

    /// Waits up to `timeout` for a submit (when idle).
    pub fn wait(&self, timeout: Duration) {
        if self.depth() == 0 && !self.is_done() {
            std::thread::park_timeout(timeout);
        }
    }

    /// After writing, lets more buffers gather for up to `timeout`: a busy
    /// stream then costs one wake-up per `timeout` rather than one per
    /// receive batch. Returns at once when a quarter of the pool is
    /// waiting for this output, the queue closes, or the receive side hands
    /// over because its socket ran dry.
    pub fn gather(&self, timeout: Duration) {
        let deep = self.backlog().is_some_and(|b| self.queue.is_deep(b));
        if !deep && !self.queue.is_closed() {
            std::thread::park_timeout(timeout);
        }
    }

    /// This output's backlog is empty and no more will come: the queue
    /// is closed, or a reload retired this output and the submitting
    /// thread no longer hands it buffers.
    pub fn is_done(&self) -> bool {
        self.depth() == 0 && (self.queue.is_closed() || self.queue.is_retired(self.output))
    }

    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    pub fn shared(&self) -> Arc<Queue> {
        Arc::clone(&self.queue)
    }
}

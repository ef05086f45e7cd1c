//! The hand-off between the receive thread and the output threads: a pool
//! of event buffers reserved once at start, the free ones in a lock-free
//! set that always hands out the lowest free index (so the same few buffers
//! are reused and the others are never touched: their pages stay out of the
//! resident set until a burst needs them), and, per output, a backlog: a
//! `crossbeam-queue` `ArrayQueue` (FIFO, so lines keep their order) of the
//! filled buffers that output has still to write.
//!
//! The receive thread takes a free buffer, encodes events into it one line
//! after another (JSON and `\n` each) and submits it when it is full or
//! when a receive batch is done; the buffer then goes, shared and read-only,
//! into every output's backlog, with a count of the outputs still holding
//! it. Each output thread writes its buffers and [releases](Reader::release)
//! them; the last release returns the buffer to the free set. So a slow or
//! dead output delays no other: each writes from its own backlog at its own
//! pace. Packing many events per buffer keeps the hand-off (and its
//! wake-ups) per batch rather than per event. No call here allocates after
//! [`Queue::new`]; the buffers are one zeroed allocation whose pages become
//! resident only as buffers are written.
//!
//! Side regions ([`crate::side`]): each buffer's is reserved at start as
//! address space only, as large as any output could need
//! ([`Layout::side_reserve`]; `sys::reserve::Regions`: inaccessible, so
//! neither charged nor resident), and the part the configured outputs
//! need is opened ([`Layout::side_size`]); a reload that enables an output
//! needing more opens more ([`Queue::open_side`]) before the receive
//! thread writes into it.
//!
//! Loss:
//! - when the pool is empty the [`Policy::Drop`] default waits for a free
//!   buffer for at most [`Layout::drop_wait`], once an overrun (see
//!   `queue::free_wait`), then hands back `None` and counts the drop (every
//!   output loses the event); [`Policy::Block`] waits for the outputs
//!   (until shutdown, when it falls back to dropping);
//! - under [`Policy::Drop`], an output whose backlog holds
//!   [`Queue::backlog_limit`] buffers (three quarters of the pool when
//!   there are several outputs, the whole pool when there is one) gives up
//!   its oldest buffer when the next one is submitted: that output alone
//!   loses those lines, counted as its
//!   [`evicted_lines`](Reader::evicted_lines), and a dead output can never
//!   hold more than its share of the pool, so the others keep writing
//!   (under [`Policy::Block`] nothing is given up: the slowest output
//!   holds the receive thread back, as that policy asks); likewise when
//!   the large lane is all out and an output half the pool behind holds
//!   it ([`Queue::take_large`]);
//! - at shutdown an output that has not drained its backlog by the
//!   [drain deadline](Queue::set_drain_deadline) gives the rest up (its
//!   drops, counted by the output thread).
//!
//! The large lane ([`Layout::large_size`]): [`LARGE_BUFFERS`] more
//! buffers, each big enough for the largest event line, for a line no
//! pooled buffer holds (the receive thread then keeps filling that buffer
//! with the lines that follow, so a burst of such lines shares one). They
//! are shared with the outputs as the pooled ones are. Their address space
//! (and their side regions') is reserved at start (`sys::reserve`), their
//! pages are touched only by such lines. A buffer back in the lane keeps
//! its pages, so the next large line reuses them instead of faulting them
//! in again (the receive thread takes the lowest free one: a stream of
//! large events mostly reuses the first), until the receive thread, once
//! no large line came for a while, gives the written pages of every large
//! buffer back ([`Queue::release_large_pages`]): the resident set returns
//! to where it was before. [`Queue::take_large`] never waits: while all are out the
//! caller writes a cut line instead.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::thread::Thread;
use std::time::Instant;

use crossbeam_queue::ArrayQueue;

use crate::sys::reserve::{Region, Regions};

/// One buffer's place: the buffer itself (taken out while the receive
/// thread fills it, read-shared by the outputs once submitted) and how many
/// outputs still hold it.
#[derive(Debug)]
struct Slot {
    buffer: RwLock<Option<EventBuffer>>,
    holders: AtomicU32,
}

/// One output's backlog: the indices of the filled buffers it has yet to
/// write, oldest first.
#[derive(Debug)]
struct Backlog {
    filled: ArrayQueue<u32>,
    consumer: OnceLock<Thread>,
    /// Lines given up because the backlog was full.
    evicted_lines: AtomicU64,
}

/// Pool + per-output backlogs, shared by the receive and output threads.
#[derive(Debug)]
pub struct Queue {
    slots: Box<[Slot]>,
    /// The pooled buffers' side regions, and the large ones'.
    sides: &'static Regions,
    large_sides: &'static Regions,
    /// A bit per slot: set while the slot holds a free buffer. Taking
    /// claims the lowest set bit with a compare-and-swap, so each slot has
    /// one owner at a time and its lock is never contended.
    free: Box<[AtomicU64]>,
    /// Pooled buffers: the slots before the large lane's.
    pool: usize,
    /// Bytes of each pooled buffer.
    buffer_size: usize,
    /// A bit per large-lane slot (after the pool's): set while free.
    large_free: AtomicU64,
    backlogs: Box<[Backlog]>,
    /// A bit per backlog: the outputs a submitted buffer goes to. Changed
    /// only by the submitting thread ([`Queue::set_readers`], between two
    /// buffers), so a submit sees one set whole; all at start.
    readers: AtomicU64,
    /// A bit per backlog whose output thread is to finish once it no
    /// longer reads and its backlog is empty (a reload disabled it).
    retired: AtomicU64,
    /// Buffers one backlog may hold, with one reader and with several.
    backlog_limit_one: usize,
    backlog_limit: usize,
    policy: Policy,
    free_wait: FreeWait,
    closed: AtomicBool,
    /// Milliseconds after `started` at which draining outputs give up,
    /// plus one (0: no deadline yet).
    drain_deadline: AtomicU64,
    started: Instant,
    producer: OnceLock<Thread>,
    dropped: AtomicU64,
    lost_buffers: AtomicU64,
    /// The restart marks the output threads delivered (see `queue::marks`).
    delivered: Delivered,
}

impl Queue {
    /// A queue with one output, no side region, no large lane: see
    /// [`with_layout`](Self::with_layout).
    pub fn new(buffers: usize, buffer_size: usize, policy: Policy) -> Arc<Queue> {
        Queue::with_layout(Layout::pool(buffers, buffer_size, policy))
    }

    /// [`new`](Self::new) with a large lane of [`LARGE_BUFFERS`] buffers of
    /// `large_size` bytes.
    pub fn with_large(
        buffers: usize,
        buffer_size: usize,
        policy: Policy,
        large_size: usize,
    ) -> Arc<Queue> {
        Queue::with_layout(Layout {
            large_size,
            ..Layout::pool(buffers, buffer_size, policy)
        })
    }

    /// [`new`](Self::new) with a backlog for each of `outputs` outputs and
    /// side regions of `side_size` bytes.
    pub fn with_outputs(
        buffers: usize,
        buffer_size: usize,
        policy: Policy,
        outputs: usize,
        side_size: usize,
    ) -> Arc<Queue> {
        Queue::with_layout(Layout {
            outputs,
            side_size,
            ..Layout::pool(buffers, buffer_size, policy)
        })
    }

    /// Allocates the pool's buffers (at least one, of at least one byte) as
    /// one zeroed allocation cut into buffers, reserves their side regions
    /// and opens `side_size` of each (see the module doc; what cannot be is
    /// said on stderr and shows in [`side_opened`](Self::side_opened)),
    /// reserves the large lane (none for 0, or when the address space
    /// cannot be reserved: said on stderr), and makes a backlog for each
    /// output (at least one). The allocation is large enough for the
    /// allocator to map fresh zero pages, so a buffer costs resident memory
    /// only once written. They live as long as the process: the daemon
    /// makes one queue, at start.
    pub fn with_layout(layout: Layout) -> Arc<Queue> {
        let buffers = layout.buffers.clamp(1, (u32::MAX / 2) as usize);
        let buffer_size = layout.buffer_size.max(1);
        let outputs = layout.outputs.max(1);
        let pool: &'static mut [u8] =
            Box::leak(vec![0u8; buffers.saturating_mul(buffer_size)].into_boxed_slice());
        let (sides, pooled_sides) = side_regions(buffers, layout.side_size, layout.side_reserve);
        let mut pooled_sides = pooled_sides.into_iter();
        let (large_sides, large_side_regions) = match layout.large_size {
            0 => side_regions_none(),
            _ => side_regions(
                LARGE_BUFFERS,
                layout.large_side_size,
                layout.large_side_reserve,
            ),
        };
        let mut large_side_regions = large_side_regions.into_iter();
        let slot = |buffer: EventBuffer| Slot {
            buffer: RwLock::new(Some(buffer)),
            holders: AtomicU32::new(0),
        };
        let mut slots: Vec<Slot> = pool
            .chunks_exact_mut(buffer_size)
            .enumerate()
            .map(|(index, bytes)| {
                let side = pooled_sides.next().unwrap_or_else(Region::empty);
                slot(EventBuffer {
                    bytes,
                    len: 0,
                    side,
                    side_len: 0,
                    index,
                    large: false,
                    touched: 0,
                    lines: 0,
                    side_touched: 0,
                    mark: 0,
                })
            })
            .collect();
        if layout.large_size > 0 {
            for _ in 0..LARGE_BUFFERS {
                match crate::sys::reserve::reserve(layout.large_size) {
                    Ok(bytes) if !bytes.is_empty() => {
                        let side = large_side_regions.next().unwrap_or_else(Region::empty);
                        let index = slots.len();
                        slots.push(slot(EventBuffer {
                            bytes,
                            len: 0,
                            side,
                            side_len: 0,
                            index,
                            large: true,
                            touched: 0,
                            lines: 0,
                            side_touched: 0,
                            mark: 0,
                        }));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        eprintln!(
                            "raudit: no large-event buffer ({} bytes): {e}",
                            layout.large_size
                        );
                        break;
                    }
                }
            }
        }
        let large_count = slots.len() - buffers;
        let free: Box<[AtomicU64]> = (0..buffers.div_ceil(64))
            .map(|word| {
                let set = buffers.saturating_sub(word * 64).min(64);
                AtomicU64::new(if set == 64 {
                    u64::MAX
                } else {
                    (1u64 << set) - 1
                })
            })
            .collect();
        let backlogs = (0..outputs)
            .map(|_| Backlog {
                filled: ArrayQueue::new(slots.len()),
                consumer: OnceLock::new(),
                evicted_lines: AtomicU64::new(0),
            })
            .collect();
        let backlog_limit_one = slots.len();
        let backlog_limit = if layout.policy == Policy::Block {
            slots.len()
        } else {
            (buffers - buffers / 4).max(1)
        };
        let readers = if outputs >= 64 {
            u64::MAX
        } else {
            (1u64 << outputs) - 1
        };
        Arc::new(Queue {
            slots: slots.into_boxed_slice(),
            sides,
            large_sides,
            free,
            pool: buffers,
            buffer_size,
            large_free: AtomicU64::new((1u64 << large_count) - 1),
            backlogs,
            readers: AtomicU64::new(readers),
            retired: AtomicU64::new(0),
            backlog_limit_one,
            backlog_limit,
            policy: layout.policy,
            free_wait: FreeWait::new(layout.policy, layout.drop_wait),
            closed: AtomicBool::new(false),
            drain_deadline: AtomicU64::new(0),
            started: Instant::now(),
            producer: OnceLock::new(),
            dropped: AtomicU64::new(0),
            lost_buffers: AtomicU64::new(0),
            delivered: Delivered::new(outputs),
        })
    }

    /// The reading end of output `output` (one per output thread).
    pub fn reader(self: &Arc<Queue>, output: usize) -> Reader {
        Reader {
            queue: Arc::clone(self),
            output,
        }
    }

    /// Outputs reading this queue.
    pub fn outputs(&self) -> usize {
        self.backlogs.len()
    }

    /// Buffers one output's backlog may hold before it gives up its oldest:
    /// the whole pool for a single reader (or under `block`), else three
    /// quarters of it.
    pub fn backlog_limit(&self) -> usize {
        if self.readers().count_ones() <= 1 {
            self.backlog_limit_one
        } else {
            self.backlog_limit
        }
    }

    /// The outputs (a bit per backlog) submitted buffers go to.
    pub fn readers(&self) -> u64 {
        self.readers.load(Ordering::Acquire)
    }

    /// From the next submit on, buffers go to the outputs of `readers` (a
    /// bit per backlog; bits past the backlogs are ignored). Only the
    /// submitting thread calls it, between two buffers: an output added
    /// gets every buffer submitted after, one removed none (what its
    /// backlog holds it still writes).
    pub fn set_readers(&self, readers: u64) {
        let all = if self.backlogs.len() >= 64 {
            u64::MAX
        } else {
            (1u64 << self.backlogs.len()) - 1
        };
        self.readers.store(readers & all, Ordering::Release);
        self.wake();
    }

    /// Output `output`'s thread is to finish once the submitting thread
    /// has taken it off the readers and its backlog is drained (`true`),
    /// or is to keep reading (`false`, an output enabled again).
    pub fn set_retired(&self, output: usize, retired: bool) {
        let Some(bit) = 1u64.checked_shl(output as u32) else {
            return;
        };
        if retired {
            self.retired.fetch_or(bit, Ordering::AcqRel);
        } else {
            self.retired.fetch_and(!bit, Ordering::AcqRel);
        }
        self.wake();
    }

    /// Whether output `output` is retired and no longer read.
    fn is_retired(&self, output: usize) -> bool {
        let bit = 1u64.checked_shl(output as u32).unwrap_or(0);
        self.retired.load(Ordering::Acquire) & bit != 0 && self.readers() & bit == 0
    }

    /// Registers the calling thread as the producer (woken on release when
    /// it waits for a free buffer).
    pub fn register_producer(&self) {
        let _ = self.producer.set(std::thread::current());
    }

    /// No more submits will come (receive thread, at shutdown).
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.wake();
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// From `deadline` on, outputs still draining at shutdown give up what
    /// they hold (a dead receiver must not hold the exit up).
    pub fn set_drain_deadline(&self, deadline: Instant) {
        let millis = deadline.saturating_duration_since(self.started).as_millis();
        // Stored plus one: 0 means no deadline.
        let millis = u64::try_from(millis).unwrap_or(u64::MAX - 1) + 1;
        self.drain_deadline.store(millis, Ordering::SeqCst);
        self.wake();
    }

    /// Whether the drain deadline has passed.
    pub fn drain_expired(&self) -> bool {
        let deadline = self.drain_deadline.load(Ordering::SeqCst);
        deadline != 0 && self.started.elapsed().as_millis() + 1 >= u128::from(deadline)
    }

    /// Events dropped because the pool was empty.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Times the receive thread waited for a free buffer, and the
    /// milliseconds it spent waiting.
    pub fn waits(&self) -> (u64, u64) {
        (self.free_wait.waits(), self.free_wait.waited_ms())
    }

    /// Buffers lost to a broken invariant (never expected; counted).
    pub fn lost_buffers(&self) -> u64 {
        self.lost_buffers.load(Ordering::Relaxed)
    }

    /// Filled buffers waiting for the slowest output.
    pub fn depth(&self) -> usize {
        self.backlogs
            .iter()
            .map(|b| b.filled.len())
            .max()
            .unwrap_or(0)
    }

    /// Pooled buffers (the large lane's not counted).
    pub fn capacity(&self) -> usize {
        self.pool
    }

    /// Bytes of each pooled buffer.
    pub fn buffer_size(&self) -> usize {
        self.buffer_size
    }

    /// Output `output` delivered (wrote, or gave up and counted) every
    /// line of the buffers it took up to one marked `mark`, and holds none
    /// of them any more: the stored restart mark may pass them once every
    /// running output has (see `queue::marks`).
    pub fn deliver(&self, output: usize, mark: u32) {
        store_mark(self.delivered.deliver(output, mark));
    }

    /// The restart mark stored so far: the earliest over the running
    /// output threads of what each delivered (see `queue::marks`); None: none
    /// yet.
    pub fn stored_mark(&self) -> Option<u32> {
        self.delivered.stored()
    }
}

mod buffer;
mod free_wait;
mod handoff;
mod large;
mod layout;
mod lines;
mod marks;
mod reader;
mod sides;

use free_wait::FreeWait;
use marks::Delivered;
use sides::{side_regions, side_regions_none};

/// Stores a newer restart mark into the state file (a store to mapped
/// memory).
fn store_mark(mark: Option<u32>) {
    if let Some(mark) = mark {
        crate::daemon::restart::note_written(mark);
    }
}

pub use buffer::EventBuffer;
pub use large::LARGE_BUFFERS;
pub use layout::{Layout, Policy};
pub use lines::{lines, Lines};

pub use reader::{Filled, Reader};

#[cfg(test)]
mod tests;

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
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;

use crate::sys::reserve::{Region, Regions};

/// Buffers in the large lane: enough to cover the outputs writing a few
/// large lines (measured: with 2, 5 of 1,017 events of 135 KB were cut
/// while both were out, on a loaded 2-CPU host).
pub const LARGE_BUFFERS: usize = 4;

/// The shape of a queue, fixed at start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Pooled buffers, and the bytes of each.
    pub buffers: usize,
    pub buffer_size: usize,
    pub policy: Policy,
    /// Under [`Policy::Drop`]: how long the receive thread waits for a
    /// free buffer before it drops, once an overrun (`queue::free_wait`;
    /// zero: never waits).
    pub drop_wait: Duration,
    /// Outputs reading the queue (a backlog each).
    pub outputs: usize,
    /// Side region of each pooled buffer, opened at start (0: none; see
    /// [`crate::side`]).
    pub side_size: usize,
    /// Side bytes reserved (address space only) for each pooled buffer:
    /// what [`Queue::open_side`] may open at most (at least `side_size`).
    pub side_reserve: usize,
    /// Bytes of each large buffer (0: no large lane).
    pub large_size: usize,
    /// Side region of each large buffer, opened at start.
    pub large_side_size: usize,
    /// Side bytes reserved for each large buffer (at least
    /// `large_side_size`).
    pub large_side_reserve: usize,
}

impl Layout {
    /// One output, no side regions, no large lane, no wait before a drop.
    pub fn pool(buffers: usize, buffer_size: usize, policy: Policy) -> Layout {
        Layout {
            buffers,
            buffer_size,
            policy,
            drop_wait: Duration::ZERO,
            outputs: 1,
            side_size: 0,
            side_reserve: 0,
            large_size: 0,
            large_side_size: 0,
            large_side_reserve: 0,
        }
    }
}

/// What the receive thread does when no free buffer is left.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Policy {
    /// Drop the event and count it (after a short wait, once an overrun:
    /// [`Layout::drop_wait`]).
    #[default]
    Drop,
    /// Wait for the outputs to free a buffer.
    Block,
}

/// One pooled buffer: encoded event lines (JSON and `\n` each), and beside
/// them, in a region of its own, what some outputs need about those lines
/// (see [`crate::side`]).
#[derive(Debug)]
pub struct EventBuffer {
    /// Its part of the pool's one allocation (zeroed by the allocator, and
    /// not touched until written).
    bytes: &'static mut [u8],
    len: usize,
    /// Lines in the filled part (counted as they are added, so no output
    /// scans the bytes for them).
    lines: u64,
    /// The side region: its open part is empty unless an output needs it.
    side: Region,
    side_len: usize,
    /// Its place in the pool.
    index: usize,
    /// One of the large lane's (its pages are given back once large lines
    /// stop, see [`Queue::release_large_pages`]).
    large: bool,
    /// A large buffer: how far its bytes and side region were written
    /// since its pages were last given back.
    touched: usize,
    side_touched: usize,
    /// Set when the buffer is handed over: every event of a serial up to
    /// this one that was or will be completed is in this buffer or an
    /// earlier one (0: none). Each output publishes it once those lines
    /// have left it ([`Reader::deliver`]); the state file records the
    /// earliest the running outputs published.
    mark: u32,
}

impl EventBuffer {
    /// Sets the buffer's [`mark`](Self::mark) when it is handed over.
    pub fn set_mark(&mut self, mark: u32) {
        self.mark = mark;
    }

    /// Every event up to this serial is in this buffer or an earlier one
    /// (0: none): see `daemon::restart::buffer_mark`.
    pub fn mark(&self) -> u32 {
        self.mark
    }

    /// The unfilled rest of the buffer, to encode the next line into.
    pub fn space(&mut self) -> &mut [u8] {
        let len = self.len.min(self.bytes.len());
        &mut self.bytes[len..]
    }

    /// Marks `added` more bytes (written into [`space`](Self::space)) as
    /// filled, clamped to the capacity.
    pub fn advance(&mut self, added: usize) {
        let start = self.len.min(self.bytes.len());
        self.len = self.len.saturating_add(added).min(self.bytes.len());
        let added = self.bytes.get(start..self.len).unwrap_or_default();
        self.lines += memchr::memchr_iter(b'\n', added).count() as u64;
    }

    /// [`advance`](Self::advance) over one line the caller wrote (its only
    /// `\n` at its end, as every encoded event line), without looking for
    /// newlines.
    pub fn advance_line(&mut self, line_len: usize) {
        self.len = self.len.saturating_add(line_len).min(self.bytes.len());
        self.lines += 1;
    }

    /// Bytes filled so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The filled part: whole lines.
    pub fn filled(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// How many lines the buffer holds.
    pub fn line_count(&self) -> u64 {
        self.lines
    }

    /// The lines, each with its `\n`.
    pub fn lines(&self) -> Lines<'_> {
        lines(self.filled())
    }

    pub fn capacity(&self) -> usize {
        self.bytes.len()
    }

    /// One of the large lane's buffers (not one of the pool's).
    pub fn is_large(&self) -> bool {
        self.large
    }

    /// The unfilled rest of the side region.
    pub fn side_space(&mut self) -> &mut [u8] {
        let side = self.side.as_mut_slice();
        let len = self.side_len.min(side.len());
        &mut side[len..]
    }

    /// Bytes left in the side region.
    pub fn side_room(&self) -> usize {
        self.side.len().saturating_sub(self.side_len)
    }

    /// Marks `added` more side bytes as filled.
    pub fn advance_side(&mut self, added: usize) {
        self.side_len = self.side_len.saturating_add(added).min(self.side.len());
    }

    /// The filled part of the side region.
    pub fn side(&self) -> &[u8] {
        let side = self.side.as_slice();
        &side[..self.side_len.min(side.len())]
    }

    /// Empties the buffer; a large one notes how far it was written (its
    /// pages stay resident for the next large line, see
    /// [`give_pages_back`](Self::give_pages_back)).
    fn clear(&mut self) {
        if self.large {
            self.touched = self.touched.max(self.len);
            self.side_touched = self.side_touched.max(self.side_len);
        }
        self.len = 0;
        self.lines = 0;
        self.side_len = 0;
        self.mark = 0;
    }

    /// Gives the pages written since the last call back to the kernel (an
    /// empty buffer only: what it held is no longer needed).
    fn give_pages_back(&mut self) {
        let touched = std::mem::take(&mut self.touched);
        let side_touched = std::mem::take(&mut self.side_touched);
        crate::sys::reserve::release_written(self.bytes, touched);
        crate::sys::reserve::release_written(self.side.as_mut_slice(), side_touched);
    }
}

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

    /// Side bytes open now beside each pooled buffer and each large one.
    pub fn side_opened(&self) -> (usize, usize) {
        (self.sides.opened(), self.large_sides.opened())
    }

    /// Opens `pooled` side bytes beside each pooled buffer and `large`
    /// beside each large one, if not open yet (a reload enabled an output
    /// that needs more beside the lines; see the module doc). Called
    /// before the receive thread is told to write that much; an error (more
    /// than was reserved, or the commit limit reached) opens nothing more.
    pub fn open_side(&self, pooled: usize, large: usize) -> std::io::Result<()> {
        self.sides.open(pooled)?;
        if self.large_sides.reserved() > 0 || large > 0 {
            self.large_sides.open(large)?;
        }
        Ok(())
    }

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

    fn line_count(&self, index: u32) -> u64 {
        self.slots
            .get(index as usize)
            .and_then(|slot| slot.buffer.read().ok())
            .and_then(|held| held.as_ref().map(EventBuffer::line_count))
            .unwrap_or(0)
    }

    /// One holder is done with buffer `index`; the last returns it to the
    /// free set.
    fn release(&self, index: u32) {
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
    /// [`Reader::gather`]).
    pub fn wake_if_deep(&self) {
        for backlog in self.backlogs.iter() {
            if self.is_deep(backlog) {
                if let Some(consumer) = backlog.consumer.get() {
                    consumer.unpark();
                }
            }
        }
    }

    fn is_deep(&self, backlog: &Backlog) -> bool {
        backlog.filled.len() >= (self.pool / 4).max(1)
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

mod free_wait;
mod lines;
mod marks;
mod reader;

use free_wait::FreeWait;
use marks::Delivered;

/// Stores a newer restart mark into the state file (a store to mapped
/// memory).
fn store_mark(mark: Option<u32>) {
    if let Some(mark) = mark {
        crate::daemon::restart::note_written(mark);
    }
}

pub use lines::{lines, Lines};

pub use reader::{Filled, Reader};

/// `count` side regions reserving `reserve` bytes each (at least `open`),
/// `open` of them open; what cannot be is said on stderr (the daemon
/// checks [`Queue::side_opened`] at start).
fn side_regions(count: usize, open: usize, reserve: usize) -> (&'static Regions, Vec<Region>) {
    let reserve = reserve.max(open);
    let reserved = Regions::reserve(count, reserve).or_else(|e| {
        eprintln!("raudit: cannot reserve {reserve} side bytes beside each of {count} buffers: {e}; reserving only what the outputs need now");
        Regions::reserve(count, open)
    });
    let (regions, handles) = match reserved {
        Ok(reserved) => reserved,
        Err(e) => {
            eprintln!(
                "raudit: cannot reserve {open} side bytes beside each of {count} buffers: {e}"
            );
            return side_regions_none();
        }
    };
    if let Err(e) = regions.open(open) {
        eprintln!("raudit: cannot open {open} side bytes beside each of {count} buffers: {e}");
    }
    (regions, handles)
}

/// No side regions.
fn side_regions_none() -> (&'static Regions, Vec<Region>) {
    (Regions::none(), Vec::new())
}

#[cfg(test)]
mod tests;

//! The hand-off between the receive thread and the output thread: a pool of
//! event buffers reserved once at start, the free ones in a lock-free set
//! that always hands out the lowest free index (so the same few buffers are
//! reused and the others are never touched: their pages stay out of the
//! resident set until a burst needs them), and the filled ones in a
//! `crossbeam-queue` `ArrayQueue` (FIFO, so lines keep their order).
//!
//! The receive thread takes a free buffer, encodes events into it one
//! line after another (JSON and `\n` each) and submits it when it is full
//! or when a receive batch is done, then wakes the output thread once; the
//! output thread writes the lines and recycles the buffer. Packing many
//! events per buffer keeps the hand-off (and its wake-ups) per batch rather
//! than per event, and the pool's memory holds many events each. Because every
//! buffer is in exactly one place (free queue, a thread's hands, filled
//! queue) and both hold all of them, a push never finds its queue full. No
//! call here allocates after [`Queue::new`]; the buffers are one zeroed
//! allocation whose pages become resident only as buffers are written.
//!
//! When the pool is empty the [`Policy::Drop`] default hands back `None`
//! and counts the drop; [`Policy::Block`] waits for the output thread
//! (until shutdown, when it falls back to dropping).
//!
//! The large lane ([`Queue::with_large`]): [`LARGE_BUFFERS`] more buffers,
//! each big enough for the largest event line, for a line no pooled buffer
//! holds (the receive thread then keeps filling that buffer with the lines
//! that follow, so a burst of such lines shares one). Their address space
//! is reserved at start (`sys::reserve`), their pages are touched only by
//! such lines and given back when the buffer returns to the pool, so the
//! resident set is the same before and after. [`Queue::take_large`] never
//! waits: while all are out the caller writes a cut line instead.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::Thread;
use std::time::Duration;

use crossbeam_queue::ArrayQueue;

/// Buffers in the large lane: enough to cover the output thread writing
/// a few large lines (measured: with 2, 5 of 1,017 events of 135 KB were
/// cut while both were out, on a loaded 2-CPU host).
pub const LARGE_BUFFERS: usize = 4;
/// [`EventBuffer::index`] of the large lane's first buffer (the others
/// follow it).
const LARGE: usize = usize::MAX - LARGE_BUFFERS;

/// What the receive thread does when no free buffer is left.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Policy {
    /// Drop the event and count it (the receive thread never waits).
    #[default]
    Drop,
    /// Wait for the output thread to free a buffer.
    Block,
}

/// One pooled buffer: encoded event lines (JSON and `\n` each).
#[derive(Debug)]
pub struct EventBuffer {
    /// Its part of the pool's one allocation (zeroed by the allocator, and
    /// not touched until written).
    bytes: &'static mut [u8],
    len: usize,
    /// Its place in the pool.
    index: usize,
}

impl EventBuffer {
    /// The unfilled rest of the buffer, to encode the next line into.
    pub fn space(&mut self) -> &mut [u8] {
        let len = self.len.min(self.bytes.len());
        &mut self.bytes[len..]
    }

    /// Marks `added` more bytes (written into [`space`](Self::space)) as
    /// filled, clamped to the capacity.
    pub fn advance(&mut self, added: usize) {
        self.len = self.len.saturating_add(added).min(self.bytes.len());
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
        memchr::memchr_iter(b'\n', self.filled()).count() as u64
    }

    /// The lines, each with its `\n`.
    pub fn lines(&self) -> impl Iterator<Item = &[u8]> {
        self.filled().split_inclusive(|&b| b == b'\n')
    }

    pub fn capacity(&self) -> usize {
        self.bytes.len()
    }

    /// One of the large lane's buffers (not one of the pool's).
    pub fn is_large(&self) -> bool {
        self.index >= LARGE
    }
}

/// The free buffers: a bit per slot says the slot holds a free buffer.
/// Taking claims the lowest set bit with a compare-and-swap, so each slot
/// has one owner at a time and its mutex is never contended.
#[derive(Debug)]
struct FreeSet {
    slots: Box<[Mutex<Option<EventBuffer>>]>,
    bits: Box<[AtomicU64]>,
}

impl FreeSet {
    fn new(count: usize) -> FreeSet {
        FreeSet {
            slots: (0..count).map(|_| Mutex::new(None)).collect(),
            bits: (0..count.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn take(&self) -> Option<EventBuffer> {
        for (word_index, word) in self.bits.iter().enumerate() {
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
                        // The bit was ours alone: nobody else holds this lock.
                        return slot.try_lock().ok()?.take();
                    }
                    Err(now) => current = now,
                }
            }
        }
        None
    }

    /// Puts `buffer` back in its slot; false if it has none (a bug, counted).
    fn put(&self, buffer: EventBuffer) -> bool {
        let index = buffer.index;
        let (Some(slot), Some(word)) = (self.slots.get(index), self.bits.get(index / 64)) else {
            return false;
        };
        match slot.try_lock() {
            Ok(mut held) => *held = Some(buffer),
            Err(_) => return false,
        }
        word.fetch_or(1u64 << (index % 64), Ordering::AcqRel);
        true
    }
}

/// Pool + hand-off queue, shared by the receive and output threads.
#[derive(Debug)]
pub struct Queue {
    free: FreeSet,
    filled: ArrayQueue<EventBuffer>,
    policy: Policy,
    closed: AtomicBool,
    consumer: OnceLock<Thread>,
    producer: OnceLock<Thread>,
    dropped: AtomicU64,
    lost_buffers: AtomicU64,
    /// The large lane's buffers while they are free.
    large: [Mutex<Option<EventBuffer>>; LARGE_BUFFERS],
}

impl Queue {
    /// Allocates `buffers` buffers of `buffer_size` bytes each (at least
    /// one of each), as one zeroed allocation cut into buffers. It is large
    /// enough for the allocator to map fresh zero pages, so a buffer costs
    /// resident memory only once written (separate allocations each had a
    /// header written into a page of their own). The allocation lives as
    /// long as the process: the daemon makes one queue, at start.
    pub fn new(buffers: usize, buffer_size: usize, policy: Policy) -> Arc<Queue> {
        Queue::with_large(buffers, buffer_size, policy, 0)
    }

    /// A queue as [`new`](Self::new) makes, with a large lane of
    /// [`LARGE_BUFFERS`] buffers of `large_size` bytes (none for 0, or when
    /// the address space cannot be reserved: said on stderr).
    pub fn with_large(
        buffers: usize,
        buffer_size: usize,
        policy: Policy,
        large_size: usize,
    ) -> Arc<Queue> {
        let large: [Mutex<Option<EventBuffer>>; LARGE_BUFFERS] = std::array::from_fn(|i| {
            Mutex::new(match crate::sys::reserve::reserve(large_size) {
                Ok(bytes) if !bytes.is_empty() => Some(EventBuffer {
                    bytes,
                    len: 0,
                    index: LARGE + i,
                }),
                Ok(_) => None,
                Err(e) => {
                    eprintln!("raudit: no large-event buffer ({large_size} bytes): {e}");
                    None
                }
            })
        });
        let large_count = large
            .iter()
            .filter(|slot| slot.lock().is_ok_and(|b| b.is_some()))
            .count();
        let buffers = buffers.max(1);
        let buffer_size = buffer_size.max(1);
        let free = FreeSet::new(buffers);
        let pool: &'static mut [u8] =
            Box::leak(vec![0u8; buffers.saturating_mul(buffer_size)].into_boxed_slice());
        for (index, bytes) in pool.chunks_exact_mut(buffer_size).enumerate() {
            let buffer = EventBuffer {
                bytes,
                len: 0,
                index,
            };
            // Cannot fail: each buffer goes to its own slot.
            free.put(buffer);
        }
        Arc::new(Queue {
            free,
            // Room for every buffer, the large ones included.
            filled: ArrayQueue::new(buffers + large_count),
            policy,
            closed: AtomicBool::new(false),
            consumer: OnceLock::new(),
            producer: OnceLock::new(),
            dropped: AtomicU64::new(0),
            lost_buffers: AtomicU64::new(0),
            large,
        })
    }

    /// A large lane's buffer, or `None` when all are out (or there are
    /// none). Never waits.
    pub fn take_large(&self) -> Option<EventBuffer> {
        self.large
            .iter()
            .find_map(|slot| slot.try_lock().ok()?.take())
    }

    /// Registers the calling thread as the one to wake on submit.
    pub fn register_consumer(&self) {
        let _ = self.consumer.set(std::thread::current());
    }

    /// Registers the calling thread as the producer (woken on recycle when
    /// it waits under [`Policy::Block`]).
    pub fn register_producer(&self) {
        let _ = self.producer.set(std::thread::current());
    }

    /// A free buffer, or `None` when the pool is empty and the event must be
    /// dropped (already counted). `give_up` is asked while blocking.
    pub fn take_free(&self, give_up: impl Fn() -> bool) -> Option<EventBuffer> {
        if let Some(buffer) = self.free.take() {
            return Some(buffer);
        }
        if self.policy == Policy::Block {
            while !give_up() {
                if let Some(buffer) = self.free.take() {
                    return Some(buffer);
                }
                std::thread::park_timeout(Duration::from_millis(10));
            }
            if let Some(buffer) = self.free.take() {
                return Some(buffer);
            }
        }
        self.dropped.fetch_add(1, Ordering::Relaxed);
        None
    }

    /// Hands a filled buffer to the output thread; [`wake`](Self::wake)
    /// tells it (once per batch, not per buffer).
    pub fn submit(&self, buffer: EventBuffer) {
        if self.filled.push(buffer).is_err() {
            // Unreachable by the invariant above; counted rather than trusted.
            self.lost_buffers.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Wakes the output thread if it waits for buffers.
    pub fn wake(&self) {
        if let Some(consumer) = self.consumer.get() {
            consumer.unpark();
        }
    }

    /// Returns a buffer that was taken but not submitted.
    pub fn give_back(&self, mut buffer: EventBuffer) {
        if buffer.is_large() {
            // Its contents are done with: the pages go back to the kernel.
            buffer.len = 0;
            crate::sys::reserve::release(buffer.bytes);
            match self.large.get(buffer.index - LARGE).map(Mutex::lock) {
                Some(Ok(mut slot)) => *slot = Some(buffer),
                _ => {
                    self.lost_buffers.fetch_add(1, Ordering::Relaxed);
                }
            }
            return;
        }
        if !self.free.put(buffer) {
            self.lost_buffers.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The next filled buffer, if any (output thread).
    pub fn next_filled(&self) -> Option<EventBuffer> {
        self.filled.pop()
    }

    /// Returns a written buffer to the pool (output thread).
    pub fn recycle(&self, mut buffer: EventBuffer) {
        buffer.len = 0;
        self.give_back(buffer);
        if self.policy == Policy::Block {
            if let Some(producer) = self.producer.get() {
                producer.unpark();
            }
        }
    }

    /// Wakes the output thread only if a quarter of the pool is waiting
    /// for it (under load it otherwise lets work gather, see
    /// [`gather`](Self::gather)).
    pub fn wake_if_deep(&self) {
        if self.is_deep() {
            self.wake();
        }
    }

    fn is_deep(&self) -> bool {
        self.filled.len() >= (self.filled.capacity() / 4).max(1)
    }

    /// Waits up to `timeout` for a submit (output thread, when idle).
    pub fn wait(&self, timeout: Duration) {
        if self.filled.is_empty() && !self.is_closed() {
            std::thread::park_timeout(timeout);
        }
    }

    /// After writing, lets more buffers gather for up to `timeout` (output
    /// thread): a busy stream then costs one wake-up per `timeout` rather
    /// than one per receive batch. Returns at once when a quarter of the
    /// pool is waiting, the queue closes, or the receive side hands over
    /// because its socket ran dry.
    pub fn gather(&self, timeout: Duration) {
        if !self.is_deep() && !self.is_closed() {
            std::thread::park_timeout(timeout);
        }
    }

    /// No more submits will come (receive thread, at shutdown).
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        if let Some(consumer) = self.consumer.get() {
            consumer.unpark();
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Events dropped because the pool was empty.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Buffers lost to a broken invariant (a full hand-off queue, a free
    /// set that refused one back): counted, never expected.
    pub fn lost_buffers(&self) -> u64 {
        self.lost_buffers.load(Ordering::Relaxed)
    }

    /// Filled buffers waiting for the output thread.
    pub fn depth(&self) -> usize {
        self.filled.len()
    }

    pub fn capacity(&self) -> usize {
        self.filled.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_pool_drops_and_counts() {
        let queue = Queue::new(2, 16, Policy::Drop);
        let a = queue.take_free(|| true).unwrap();
        let b = queue.take_free(|| true).unwrap();
        assert!(queue.take_free(|| true).is_none());
        assert_eq!(queue.dropped(), 1);
        queue.submit(a);
        queue.give_back(b);
        let mut filled = queue.next_filled().unwrap();
        filled.space()[..3].copy_from_slice(b"{}\n");
        filled.advance(3);
        filled.space()[..4].copy_from_slice(b"[1]\n");
        filled.advance(4);
        let lines: Vec<&[u8]> = filled.lines().collect();
        assert_eq!(lines, [&b"{}\n"[..], b"[1]\n"]);
        assert_eq!(filled.space().len(), 16 - 7);
        queue.recycle(filled);
        assert!(queue.take_free(|| true).is_some());
        assert!(queue.take_free(|| true).is_some());
    }

    #[test]
    fn the_lowest_free_buffer_is_reused_so_others_stay_untouched() {
        let queue = Queue::new(70, 64, Policy::Drop);
        for _ in 0..100 {
            let mut buffer = queue.take_free(|| true).unwrap();
            assert_eq!(buffer.index, 0);
            buffer.space()[0] = b'\n';
            buffer.advance(1);
            queue.submit(buffer);
            queue.recycle(queue.next_filled().unwrap());
        }
        // All 70 can still be taken, each once, lowest first.
        let taken: Vec<usize> = (0..70)
            .map(|_| queue.take_free(|| true).unwrap().index)
            .collect();
        assert_eq!(taken, (0..70).collect::<Vec<_>>());
        assert!(queue.take_free(|| true).is_none());
    }

    #[test]
    fn block_policy_waits_for_recycle() {
        let queue = Queue::new(1, 16, Policy::Block);
        queue.register_producer();
        let held = queue.take_free(|| true).unwrap();
        queue.submit(held);
        let consumer = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(30));
                let buffer = queue.next_filled().unwrap();
                queue.recycle(buffer);
            })
        };
        assert!(queue.take_free(|| false).is_some());
        assert_eq!(queue.dropped(), 0);
        consumer.join().unwrap();
    }

    #[test]
    fn the_large_buffer_is_taken_once_and_comes_back_empty() {
        let queue = Queue::with_large(2, 16, Policy::Drop, 1 << 20);
        let mut large = queue.take_large().unwrap();
        assert!(large.is_large() && large.capacity() == 1 << 20);
        let others: Vec<EventBuffer> = (1..LARGE_BUFFERS)
            .map(|_| queue.take_large().unwrap())
            .collect();
        assert!(queue.take_large().is_none(), "all out: never waits");
        for other in others {
            queue.give_back(other);
        }
        large.space()[..1 << 19].fill(b'x');
        large.advance(1 << 19);
        queue.submit(large);
        let both: Vec<EventBuffer> = (0..2).map(|_| queue.take_free(|| true).unwrap()).collect();
        for b in both {
            queue.submit(b); // the filled queue holds every buffer
        }
        let large = (0..3)
            .map(|_| queue.next_filled().unwrap())
            .find(|b| b.is_large())
            .unwrap();
        assert_eq!(large.filled().len(), 1 << 19);
        queue.recycle(large);
        let mut again = queue.take_large().unwrap();
        assert_eq!(again.index, LARGE, "the same buffer, back in its slot");
        assert!(again.is_empty());
        assert!(again.space().iter().all(|&b| b == 0), "pages given back");
        assert!(Queue::new(1, 16, Policy::Drop).take_large().is_none());
    }

    #[test]
    fn block_policy_gives_up_on_shutdown() {
        let queue = Queue::new(1, 16, Policy::Block);
        let _held = queue.take_free(|| true).unwrap();
        assert!(queue.take_free(|| true).is_none());
        assert_eq!(queue.dropped(), 1);
    }
}

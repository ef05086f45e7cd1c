//! Record storage: a ring of [`RecordSlot`]s in arrival order and a byte
//! ring (the arena) holding each record's body contiguously.
//!
//! Records are written once, at arrival, because the receive buffer is
//! reused. They are released when their event completes, in any order, but
//! space is reclaimed only from the oldest end: a long-lived event pins the
//! ring, and when the ring is full the caller evicts the event that owns the
//! oldest record (oldest first). Byte positions are virtual (`u64`, never
//! wrapping in practice) and mapped onto the arena modulo its size; a body
//! that would straddle the arena's end starts at its beginning instead.
//! The mapping is kept, not computed: the store tracks where its head lies
//! in the arena and each slot keeps its body's offset, so neither storing
//! nor reading a record divides (a 64-bit division per record read, and
//! several per record stored, for arenas of any size).

/// Index meaning "no record".
pub const NONE: u32 = u32::MAX;

/// One stored record: where its body lies and which event it belongs to.
#[derive(Clone, Copy, Debug, Default)]
pub struct RecordSlot {
    /// Virtual position of the body.
    start: u64,
    /// Where the body lies in the arena: `start` modulo the arena's size.
    offset: usize,
    len: u32,
    msg_type: u16,
    live: bool,
    /// Next record of the same event, or [`NONE`].
    next: u32,
    /// Owning event slot.
    event: u32,
}

/// What [`Store::alloc`] needs the caller to do when there is no room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Full {
    /// Evict this event slot (it owns the oldest record), then try again.
    Evict(u32),
    /// The body can never fit (larger than the whole arena).
    TooLarge,
}

/// The record ring and the arena, over caller-provided storage.
pub struct Store<R, A> {
    slots: R,
    arena: A,
    /// Index of the oldest slot in use (live or waiting to be reclaimed).
    tail: usize,
    /// Number of slots in use from `tail`.
    used: usize,
    /// Next free byte position (virtual).
    head_pos: u64,
    /// `head_pos` modulo the arena's size.
    head_offset: usize,
}

impl<R, A> Store<R, A>
where
    R: AsRef<[RecordSlot]> + AsMut<[RecordSlot]>,
    A: AsRef<[u8]> + AsMut<[u8]>,
{
    pub fn new(slots: R, arena: A) -> Store<R, A> {
        Store {
            slots,
            arena,
            tail: 0,
            used: 0,
            head_pos: 0,
            head_offset: 0,
        }
    }

    pub fn arena_len(&self) -> usize {
        self.arena.as_ref().len()
    }

    pub fn slot_capacity(&self) -> usize {
        self.slots.as_ref().len()
    }

    /// Stores a record for event slot `event`, returning its index.
    pub fn alloc(&mut self, event: u32, msg_type: u16, body: &[u8]) -> Result<u32, Full> {
        let capacity = self.slot_capacity();
        let arena_len = self.arena_len();
        let len = body.len();
        if len > arena_len || capacity == 0 || capacity > NONE as usize {
            return Err(Full::TooLarge);
        }
        if self.used == capacity {
            return Err(self.evict_oldest());
        }
        let mut start = self.head_pos;
        // `head_offset <= arena_len` and `len <= arena_len`: no overflow.
        let mut offset = self.head_offset;
        if offset + len > arena_len {
            start += (arena_len - offset) as u64; // skip the arena's end
            offset = 0;
        }
        let oldest = self.oldest_start().unwrap_or(start);
        if start + len as u64 - oldest > arena_len as u64 {
            return Err(self.evict_oldest());
        }
        // `tail < capacity` and `used < capacity`: one subtraction wraps it.
        let mut index = self.tail + self.used;
        if index >= capacity {
            index -= capacity;
        }
        let dest = self
            .arena
            .as_mut()
            .get_mut(offset..offset + len)
            .ok_or(Full::TooLarge)?;
        dest.copy_from_slice(body);
        let slot = self.slots.as_mut().get_mut(index).ok_or(Full::TooLarge)?;
        *slot = RecordSlot {
            start,
            offset,
            len: len as u32,
            msg_type,
            live: true,
            next: NONE,
            event,
        };
        self.used += 1;
        self.head_pos = start + len as u64;
        // The body ends at most at the arena's end, which is offset 0.
        self.head_offset = if offset + len == arena_len {
            0
        } else {
            offset + len
        };
        Ok(index as u32)
    }

    /// Links record `after` to `next` within one event.
    pub fn link(&mut self, after: u32, next: u32) {
        if let Some(slot) = self.slots.as_mut().get_mut(after as usize) {
            slot.next = next;
        }
    }

    /// Releases every record of the chain starting at `first`.
    pub fn release_chain(&mut self, first: u32) {
        let mut index = first;
        let mut guard = self.slot_capacity();
        while index != NONE && guard > 0 {
            guard -= 1;
            match self.slots.as_mut().get_mut(index as usize) {
                Some(slot) => {
                    slot.live = false;
                    index = slot.next;
                }
                None => break,
            }
        }
        self.reclaim();
    }

    /// The record at `index`: its type and body.
    pub fn record(&self, index: u32) -> Option<(u16, &[u8], u32)> {
        let slot = self.slots.as_ref().get(index as usize)?;
        let end = slot.offset.checked_add(slot.len as usize)?;
        let body = self.arena.as_ref().get(slot.offset..end)?;
        Some((slot.msg_type, body, slot.next))
    }

    fn oldest_start(&self) -> Option<u64> {
        if self.used == 0 {
            return None;
        }
        self.slots.as_ref().get(self.tail).map(|s| s.start)
    }

    fn evict_oldest(&self) -> Full {
        match self.slots.as_ref().get(self.tail) {
            Some(slot) if self.used > 0 && slot.live => Full::Evict(slot.event),
            _ => Full::TooLarge,
        }
    }

    /// Drops released records from the oldest end.
    fn reclaim(&mut self) {
        let capacity = self.slot_capacity();
        while self.used > 0 {
            match self.slots.as_ref().get(self.tail) {
                Some(slot) if !slot.live => {
                    self.tail += 1;
                    if self.tail == capacity {
                        self.tail = 0;
                    }
                    self.used -= 1;
                }
                _ => break,
            }
        }
        if self.used == 0 {
            self.tail = 0;
            self.head_pos = 0;
            self.head_offset = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store<const N: usize, const B: usize>() -> Store<[RecordSlot; N], [u8; B]> {
        Store::new([RecordSlot::default(); N], [0; B])
    }

    #[test]
    fn stores_and_reads_back() {
        let mut s = store::<4, 32>();
        let a = s.alloc(0, 1300, b"hello").unwrap();
        let b = s.alloc(0, 1302, b"world!").unwrap();
        s.link(a, b);
        assert_eq!(s.record(a), Some((1300, &b"hello"[..], b)));
        assert_eq!(s.record(b), Some((1302, &b"world!"[..], NONE)));
    }

    #[test]
    fn full_ring_asks_to_evict_the_oldest_owner() {
        let mut s = store::<2, 64>();
        s.alloc(7, 1, b"a").unwrap();
        s.alloc(8, 1, b"b").unwrap();
        assert_eq!(s.alloc(9, 1, b"c"), Err(Full::Evict(7)));
    }

    #[test]
    fn full_arena_asks_to_evict_and_wraps_after_release() {
        let mut s = store::<8, 10>();
        let a = s.alloc(1, 1, b"aaaa").unwrap();
        let b = s.alloc(2, 1, b"bbbb").unwrap();
        assert_eq!(s.alloc(3, 1, b"cccc"), Err(Full::Evict(1)));
        s.release_chain(a);
        let c = s.alloc(3, 1, b"cccc").unwrap(); // starts at 0: skips 8..10
        assert_eq!(s.record(b).unwrap().1, b"bbbb");
        assert_eq!(s.record(c).unwrap().1, b"cccc");
    }

    #[test]
    fn body_larger_than_arena_is_refused() {
        let mut s = store::<2, 4>();
        assert_eq!(s.alloc(0, 1, b"12345"), Err(Full::TooLarge));
    }

    /// Stores and releases records in random order over arenas and rings
    /// of odd sizes: every live record reads back whole, and every slot's
    /// kept offset is its virtual position modulo the arena's size (what
    /// was computed on each read before).
    fn churn(arena_len: usize, ops: &[(bool, usize)]) {
        extern crate std;
        use std::vec::Vec;

        let mut s = Store::new([RecordSlot::default(); 5], std::vec![0u8; arena_len]);
        let mut live: Vec<(u32, Vec<u8>)> = Vec::new();
        for (n, &(store, size)) in ops.iter().enumerate() {
            if store || live.is_empty() {
                let body: Vec<u8> = (0..size).map(|i| (n * 31 + i) as u8).collect();
                match s.alloc(n as u32, 1300, &body) {
                    Ok(index) => live.push((index, body)),
                    Err(Full::Evict(_)) => {
                        // Release the oldest, as the assembler would.
                        let (index, _) = live.remove(0);
                        s.release_chain(index);
                    }
                    Err(Full::TooLarge) => assert!(size > arena_len),
                }
            } else {
                let (index, _) = live.remove(size % live.len());
                s.release_chain(index);
            }
            for (index, body) in &live {
                assert_eq!(s.record(*index).unwrap().1, &body[..]);
            }
            for slot in s.slots.iter().filter(|slot| slot.live) {
                let expected = slot.start % (arena_len as u64).max(1);
                assert_eq!(slot.offset as u64, expected);
            }
            let head = s.head_pos % (arena_len as u64).max(1);
            assert_eq!(s.head_offset as u64, head);
        }
    }

    proptest::proptest! {
        #[test]
        fn kept_offsets_are_positions_modulo_the_arena(
            arena_len in 0usize..40,
            ops in proptest::collection::vec((proptest::bool::ANY, 0usize..16), 0..60),
        ) {
            churn(arena_len, &ops);
        }
    }

    #[test]
    fn out_of_order_release_pins_until_the_oldest_goes() {
        let mut s = store::<3, 12>();
        let a = s.alloc(1, 1, b"aaaa").unwrap();
        let b = s.alloc(2, 1, b"bbbb").unwrap();
        let _c = s.alloc(3, 1, b"cccc").unwrap();
        s.release_chain(b);
        assert_eq!(s.alloc(4, 1, b"dd"), Err(Full::Evict(1)));
        s.release_chain(a);
        assert!(s.alloc(4, 1, b"dd").is_ok());
    }
}

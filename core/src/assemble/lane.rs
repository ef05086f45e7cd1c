//! The large-event lane: where an event too large for the record ring
//! grows whole, up to the lane's size.
//!
//! The ring (`store.rs`) holds ordinary events and reclaims from its
//! oldest end, so one event larger than a fraction of it would push every
//! other event out early, and one larger than all of it could only be
//! emitted in pieces. Such an event is moved here instead ("promoted"):
//! its records are copied out of the ring, and its later records are
//! appended. The lane is a bump area over caller storage: each record is
//! a 12-byte header (type, length, the offset of the event's next record)
//! and its body. Several large events may share it; it starts over empty
//! when the last of them completes. Once no large event has used it for a
//! while, it says how much of it was touched, so the caller can give
//! those pages back (the daemon reserves the lane's address space at
//! start and touches it only around large events): large events that keep
//! coming reuse pages already resident instead of faulting them in again.

use super::store::NONE;
use crate::time::{Duration, Instant};

/// Header of a record in the lane: `u16` type, `u32` length, `u32` next
/// record's offset, 2 bytes of padding (bodies stay 4-byte aligned).
const HEADER: usize = 12;

/// The lane over caller-provided bytes.
pub struct Lane<L> {
    bytes: L,
    /// Bytes in use from the start.
    used: usize,
    /// Large events in flight.
    events: u32,
    /// Highest `used` since the caller last took [`Lane::take_unused`].
    touched: usize,
    /// When a large event last opened or closed here.
    last_used: Instant,
}

impl<L: AsRef<[u8]> + AsMut<[u8]>> Lane<L> {
    pub fn new(bytes: L) -> Lane<L> {
        Lane {
            bytes,
            used: 0,
            events: 0,
            touched: 0,
            last_used: Instant(0),
        }
    }

    pub fn capacity(&self) -> usize {
        self.bytes.as_ref().len().min(NONE as usize)
    }

    /// Bytes free.
    pub fn room(&self) -> usize {
        self.capacity().saturating_sub(self.used)
    }

    /// What storing `body` takes.
    pub fn cost(body: &[u8]) -> usize {
        HEADER.saturating_add(body.len().next_multiple_of(4))
    }

    /// A new large event starts here at `now`.
    pub fn open_event(&mut self, now: Instant) {
        self.events = self.events.saturating_add(1);
        self.last_used = self.last_used.max(now);
    }

    /// A large event completed at `now`; the lane empties with the last
    /// one.
    pub fn close_event(&mut self, now: Instant) {
        self.events = self.events.saturating_sub(1);
        self.last_used = self.last_used.max(now);
        if self.events == 0 {
            self.used = 0;
        }
    }

    /// Appends a record, returning its offset; `None` when it does not fit.
    pub fn alloc(&mut self, msg_type: u16, body: &[u8]) -> Option<u32> {
        let cost = Lane::<L>::cost(body);
        if cost > self.room() {
            return None;
        }
        let at = self.used;
        let len = u32::try_from(body.len()).ok()?;
        let dest = self.bytes.as_mut().get_mut(at..at + cost)?;
        let (header, rest) = dest.split_at_mut(HEADER);
        header[0..2].copy_from_slice(&msg_type.to_le_bytes());
        header[2..6].copy_from_slice(&len.to_le_bytes());
        header[6..10].copy_from_slice(&NONE.to_le_bytes());
        rest.get_mut(..body.len())?.copy_from_slice(body);
        self.used = at + cost;
        self.touched = self.touched.max(self.used);
        u32::try_from(at).ok()
    }

    /// Links record `after` to `next` within one event.
    pub fn link(&mut self, after: u32, next: u32) {
        let at = after as usize;
        if let Some(field) = self.bytes.as_mut().get_mut(at + 6..at + 10) {
            field.copy_from_slice(&next.to_le_bytes());
        }
    }

    /// The record at `at`: its type, body and the next record's offset.
    pub fn record(&self, at: u32) -> Option<(u16, &[u8], u32)> {
        let at = at as usize;
        let bytes = self.bytes.as_ref();
        let header = bytes.get(at..at.checked_add(HEADER)?)?;
        let msg_type = u16::from_le_bytes([header[0], header[1]]);
        let len = u32::from_le_bytes([header[2], header[3], header[4], header[5]]) as usize;
        let next = u32::from_le_bytes([header[6], header[7], header[8], header[9]]);
        let start = at + HEADER;
        let body = bytes.get(start..start.checked_add(len)?)?;
        Some((msg_type, body, next))
    }

    /// Bytes written since the part was last taken: what the caller has
    /// yet to give back.
    pub fn touched(&self) -> usize {
        self.touched
    }

    /// When no large event is in flight, none opened or closed during the
    /// `keep` before `now`, and some of the lane was written since the
    /// last call: the lane's storage and how far it was written, for the
    /// caller to release (its contents are no longer needed). Taken once.
    pub fn take_unused(&mut self, now: Instant, keep: Duration) -> Option<(&mut [u8], usize)> {
        if self.events > 0 || self.touched == 0 || now.since(self.last_used) < keep {
            return None;
        }
        let touched = core::mem::take(&mut self.touched);
        Some((self.bytes.as_mut(), touched))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NOW: Instant = Instant(0);
    const NO_WAIT: Duration = Duration(0);

    #[test]
    fn records_chain_and_the_lane_empties_with_its_last_event() {
        let mut lane = Lane::new([0u8; 64]);
        lane.open_event(NOW);
        let a = lane.alloc(1300, b"syscall=59").unwrap();
        let b = lane.alloc(1309, b"argc=1 a0=\"x\"").unwrap();
        lane.link(a, b);
        assert_eq!(lane.record(a), Some((1300, &b"syscall=59"[..], b)));
        assert_eq!(lane.record(b), Some((1309, &b"argc=1 a0=\"x\""[..], NONE)));
        assert_eq!(lane.alloc(1, &[0; 40]), None, "no room");
        assert!(lane.take_unused(NOW, NO_WAIT).is_none(), "still in flight");
        lane.close_event(NOW);
        assert_eq!(lane.room(), 64);
        assert_eq!(
            lane.take_unused(NOW, NO_WAIT).map(|(_, touched)| touched),
            Some(12 + 12 + 12 + 16)
        );
        assert!(lane.take_unused(NOW, NO_WAIT).is_none(), "taken once");
    }

    #[test]
    fn the_touched_part_is_kept_while_large_events_keep_coming() {
        let keep = Duration::from_millis(1000);
        let mut lane = Lane::new([0u8; 64]);
        lane.open_event(Instant(100));
        lane.alloc(1309, &[b'a'; 20]).unwrap();
        lane.close_event(Instant(200));
        assert!(
            lane.take_unused(Instant(1199), keep).is_none(),
            "used lately"
        );
        // Another large event, shorter: the high mark stays the first's.
        lane.open_event(Instant(1100));
        lane.alloc(1309, b"b").unwrap();
        assert!(lane.take_unused(Instant(5000), keep).is_none(), "in flight");
        lane.close_event(Instant(1150));
        assert!(lane.take_unused(Instant(2149), keep).is_none());
        assert_eq!(lane.touched(), 32);
        let (bytes, touched) = lane.take_unused(Instant(2150), keep).unwrap();
        assert_eq!((bytes.len(), touched), (64, 32));
        assert_eq!(lane.touched(), 0);
        assert!(
            lane.take_unused(Instant(9000), keep).is_none(),
            "taken once"
        );
        // A clock that goes back never gives the pages away early.
        lane.open_event(Instant(9000));
        lane.alloc(1309, b"c").unwrap();
        lane.close_event(Instant(10));
        assert!(lane.take_unused(Instant(9999), keep).is_none());
        assert!(lane.take_unused(Instant(10_000), keep).is_some());
    }

    #[test]
    fn an_empty_lane_holds_nothing_and_never_panics() {
        let mut lane = Lane::new([0u8; 0]);
        assert_eq!(lane.alloc(1, b""), None);
        assert_eq!(lane.record(0), None);
        assert_eq!(lane.record(u32::MAX), None);
        lane.close_event(NOW);
        assert!(lane.take_unused(NOW, NO_WAIT).is_none());
    }
}

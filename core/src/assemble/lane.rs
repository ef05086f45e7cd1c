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
//! when the last of them completes, and says how much of it was touched
//! since, so the caller can give those pages back (the daemon reserves
//! the lane's address space at start and touches it only while a large
//! event is in flight).

use super::store::NONE;

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
    /// Highest `used` since the caller last took [`Lane::take_touched`].
    touched: usize,
}

impl<L: AsRef<[u8]> + AsMut<[u8]>> Lane<L> {
    pub fn new(bytes: L) -> Lane<L> {
        Lane {
            bytes,
            used: 0,
            events: 0,
            touched: 0,
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

    /// A new large event starts here.
    pub fn open_event(&mut self) {
        self.events = self.events.saturating_add(1);
    }

    /// A large event completed; the lane empties with the last one.
    pub fn close_event(&mut self) {
        self.events = self.events.saturating_sub(1);
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

    /// When no large event is in flight and some of the lane was written
    /// since the last call: that part, for the caller to release (its
    /// contents are no longer needed). Taken once.
    pub fn take_touched(&mut self) -> Option<&mut [u8]> {
        if self.events > 0 || self.touched == 0 {
            return None;
        }
        let touched = core::mem::take(&mut self.touched);
        self.bytes.as_mut().get_mut(..touched)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn records_chain_and_the_lane_empties_with_its_last_event() {
        let mut lane = Lane::new([0u8; 64]);
        lane.open_event();
        let a = lane.alloc(1300, b"syscall=59").unwrap();
        let b = lane.alloc(1309, b"argc=1 a0=\"x\"").unwrap();
        lane.link(a, b);
        assert_eq!(lane.record(a), Some((1300, &b"syscall=59"[..], b)));
        assert_eq!(lane.record(b), Some((1309, &b"argc=1 a0=\"x\""[..], NONE)));
        assert_eq!(lane.alloc(1, &[0; 40]), None, "no room");
        assert!(lane.take_touched().is_none(), "still in flight");
        lane.close_event();
        assert_eq!(lane.room(), 64);
        assert_eq!(
            lane.take_touched().map(|t| t.len()),
            Some(12 + 12 + 12 + 16)
        );
        assert!(lane.take_touched().is_none(), "taken once");
    }

    #[test]
    fn an_empty_lane_holds_nothing_and_never_panics() {
        let mut lane = Lane::new([0u8; 0]);
        assert_eq!(lane.alloc(1, b""), None);
        assert_eq!(lane.record(0), None);
        assert_eq!(lane.record(u32::MAX), None);
        lane.close_event();
        assert!(lane.take_touched().is_none());
    }
}

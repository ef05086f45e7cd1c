//! Event assembly: records in, completed events out, in fixed storage.
//!
//! In-flight events live in a caller-provided table of [`EventSlot`]s, kept
//! in a list in creation order (so the oldest event, which is also the one
//! with the earliest deadline, is found at once); their records are copied
//! once into a `store` ring. An event completes:
//! - on its EOE record (1320);
//! - when its type is a user-space message (1005, 1100–1299, 2100–2999:
//!   no EOE): at the next record that is not one of its LSM-context
//!   records (1425 `MAC_TASK_CONTEXTS`, 1426 `MAC_OBJ_CONTEXTS`, which the
//!   kernel adds under the same serial when several LSMs label the
//!   sender), or [`USER_CONTEXT_WAIT`] after it, whichever comes first;
//!   emitted before anything that comes after it, as if it had gone out
//!   at once. When no slot or ring room is free for it without evicting,
//!   it goes out at once, unstored (its context records, if any, then
//!   form an event of their own);
//! - when its deadline (first record + `timeout`, go-audit's 2 s) passes,
//!   checked on every push and by [`Assembler::poll`] when no record comes
//!   (a caller that may still hold records of due events pushes with
//!   [`Assembler::push_untimed`] and polls once it holds none);
//! - oldest first when the event table, the record ring or the arena is
//!   full ([`Completion::Evicted`]), and at [`Assembler::flush`].
//!
//! An event never goes out in pieces. One that outgrows a quarter of the
//! arena (or that the ring cannot hold at all) moves whole into the
//! large-event lane (`lane.rs`, [`Assembler::with_lane`]) and grows there.
//! When the lane is missing or full, its EXECVE records beyond what fits
//! are dropped (the records after them, CWD, PATH, PROCTITLE…, keep the
//! room they need) and the event is marked as missing records.
//!
//! Records whose type is outside `type_min..=type_max` (go-audit's
//! `events.min/max`) are counted and dropped, except EOE, which always ends
//! its event. Serial gaps are tracked by [`serials::SerialTracker`]. Every
//! early completion, eviction and dropped record is counted in [`Counters`].

mod event;
mod lane;
pub mod serials;
mod store;

pub use event::{Completion, Event, EventRecord, RecordSource, Records};
pub use store::RecordSlot;

use crate::record::{Record, Timestamp};
use crate::time::{Duration, Instant};
use crate::wire::MessageType;
use lane::Lane;
use serials::SerialTracker;
use store::{Full, Store, NONE};

/// The records the kernel adds to an event for each LSM's label when
/// several LSMs provide one (kernel 6.17+): 1425 `MAC_TASK_CONTEXTS`,
/// 1426 `MAC_OBJ_CONTEXTS`.
fn is_lsm_context(msg_type: MessageType) -> bool {
    matches!(msg_type.0, 1425 | 1426)
}

/// How long a user-space record waits for the LSM-context records the
/// kernel sends right behind it, under its serial.
pub const USER_CONTEXT_WAIT: Duration = Duration::from_millis(10);

/// How events are assembled (go-audit's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// How long after its first record an event without EOE completes.
    pub timeout: Duration,
    /// Smallest record type kept (go-audit `events.min`).
    pub type_min: u16,
    /// Largest record type kept (go-audit `events.max`).
    pub type_max: u16,
    /// Track serial gaps (go-audit `message_tracking.enabled`).
    pub track_serials: bool,
    /// Serials further behind than this are missed (`max_out_of_order`).
    pub max_out_of_order: u32,
}

impl Settings {
    /// Whether records of `msg_type` are assembled into events (within
    /// `type_min..=type_max`; EOE aside, which only ends one).
    pub fn keeps(&self, msg_type: MessageType) -> bool {
        (self.type_min..=self.type_max).contains(&msg_type.0)
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            timeout: Duration::from_secs(2),
            type_min: 1300,
            type_max: 1399,
            track_serials: true,
            max_out_of_order: 500,
        }
    }
}

/// What the assembler has seen and done; all counts since creation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Records pushed.
    pub records: u64,
    /// Records dropped for a type outside `type_min..=type_max`.
    pub filtered_type: u64,
    /// Events completed (all reasons).
    pub events: u64,
    pub end_of_event: u64,
    pub standalone: u64,
    /// User-space records sent at once, unstored, because holding them for
    /// their LSM-context records would have taken another event's room.
    pub user_unheld: u64,
    pub timed_out: u64,
    /// Events completed early because storage was full.
    pub evicted: u64,
    pub flushed: u64,
    /// Events emitted with records missing (no room for them anywhere).
    pub truncated_events: u64,
    /// Events that grew in the large-event lane.
    pub large_events: u64,
    /// Records that could not be stored.
    pub dropped_records: u64,
    /// EOE records whose event was not in flight.
    pub orphan_eoe: u64,
    pub missed_serials: u64,
    pub late_serials: u64,
    pub worst_lag: u64,
    pub late_after_missed: u64,
}

/// One in-flight event in the table.
#[derive(Clone, Copy, Debug)]
pub struct EventSlot {
    serial: u32,
    timestamp: Timestamp,
    deadline: Instant,
    first: u32,
    last: u32,
    count: u32,
    dropped: u32,
    /// Body bytes stored so far.
    bytes: usize,
    /// Its records are in the lane (`first`, `last` are lane offsets).
    large: bool,
    /// Creation-order list (active) or free list (`next` only).
    prev: u32,
    next: u32,
}

impl Default for EventSlot {
    fn default() -> EventSlot {
        EventSlot {
            serial: 0,
            timestamp: Timestamp::default(),
            deadline: Instant(0),
            first: NONE,
            last: NONE,
            count: 0,
            dropped: 0,
            bytes: 0,
            large: false,
            prev: NONE,
            next: NONE,
        }
    }
}

/// Groups records into events over caller-provided storage: `E` the event
/// table, `R` the record ring, `A` the byte arena, `L` the large-event
/// lane (any of arrays, slices, boxed slices). Capacities are the storage
/// lengths.
pub struct Assembler<E, R, A, L = [u8; 0]> {
    settings: Settings,
    events: E,
    store: Store<R, A>,
    lane: Lane<L>,
    oldest: u32,
    newest: u32,
    free: u32,
    in_flight: usize,
    /// The user-space event waiting for its LSM-context records (or NONE);
    /// its slot's deadline is [`USER_CONTEXT_WAIT`] after it arrived.
    user: u32,
    now: Instant,
    serials: SerialTracker,
    counters: Counters,
}

impl<E, R, A> Assembler<E, R, A>
where
    E: AsRef<[EventSlot]> + AsMut<[EventSlot]>,
    R: AsRef<[RecordSlot]> + AsMut<[RecordSlot]>,
    A: AsRef<[u8]> + AsMut<[u8]>,
{
    /// An assembler without a large-event lane: an event larger than the
    /// arena keeps what fits and is marked as missing records.
    pub fn new(settings: Settings, events: E, records: R, arena: A) -> Self {
        Assembler::with_lane(settings, events, records, arena, [])
    }
}

impl<E, R, A, L> Assembler<E, R, A, L>
where
    E: AsRef<[EventSlot]> + AsMut<[EventSlot]>,
    R: AsRef<[RecordSlot]> + AsMut<[RecordSlot]>,
    A: AsRef<[u8]> + AsMut<[u8]>,
    L: AsRef<[u8]> + AsMut<[u8]>,
{
    /// An assembler whose large events grow whole in `lane` (its length
    /// bounds the records of the large events in flight together).
    pub fn with_lane(settings: Settings, mut events: E, records: R, arena: A, lane: L) -> Self {
        let table = events.as_mut();
        let count = table.len().min(NONE as usize);
        for (index, slot) in table.iter_mut().enumerate() {
            *slot = EventSlot::default();
            slot.next = if index + 1 < count {
                index as u32 + 1
            } else {
                NONE
            };
        }
        Assembler {
            settings,
            events,
            store: Store::new(records, arena),
            lane: Lane::new(lane),
            oldest: NONE,
            newest: NONE,
            free: if count > 0 { 0 } else { NONE },
            in_flight: 0,
            user: NONE,
            now: Instant(0),
            serials: SerialTracker::new(settings.max_out_of_order),
            counters: Counters::default(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Counters so far, serial tracking included.
    pub fn counters(&self) -> Counters {
        let serials = self.serials.counts();
        Counters {
            missed_serials: serials.missed,
            late_serials: serials.late,
            worst_lag: serials.worst_lag,
            late_after_missed: serials.late_after_missed,
            ..self.counters
        }
    }

    /// The lane's storage and how far it was written since the last call,
    /// once no large event is in flight and none started or ended during
    /// the `keep` before `now` (its contents are dead: the caller may
    /// release its pages). `None` while one is in flight, was lately, or
    /// nothing was written. A `keep` of zero gives the pages up as soon as
    /// the last large event is out.
    pub fn lane_unused(&mut self, now: Instant, keep: Duration) -> Option<(&mut [u8], usize)> {
        self.lane.take_unused(now, keep)
    }

    /// Bytes of the lane written and not yet taken by
    /// [`lane_unused`](Self::lane_unused).
    pub fn lane_touched(&self) -> usize {
        self.lane.touched()
    }

    /// Events currently in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The serial of the oldest event in flight (the first created), if
    /// any: what a crash now would lose besides the completed events.
    pub fn oldest_serial(&self) -> Option<u32> {
        self.slot(self.oldest).map(|slot| slot.serial)
    }

    /// When the oldest in-flight event times out, if any is in flight.
    pub fn next_deadline(&self) -> Option<Instant> {
        let oldest = self.slot(self.oldest).map(|slot| slot.deadline);
        let user = self.slot(self.user).map(|slot| slot.deadline);
        match (oldest, user) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Takes one record at time `now`; calls `emit` for each event this
    /// completes (its own, evicted ones, timed-out ones).
    pub fn push(&mut self, record: &Record<'_>, now: Instant, emit: &mut impl FnMut(&Event<'_>)) {
        self.push_untimed(record, now, emit);
        self.poll(now, emit);
    }

    /// [`push`](Self::push) without completing the events whose deadline
    /// has passed: for a caller that may still hold records of theirs
    /// sent before it (the daemon, until its socket runs dry: a receive
    /// thread that came back late finds them there), and that calls
    /// [`poll`](Self::poll) once it holds none. Deadlines of the events
    /// it opens are `now` plus the timeout, as with `push`.
    pub fn push_untimed(
        &mut self,
        record: &Record<'_>,
        now: Instant,
        emit: &mut impl FnMut(&Event<'_>),
    ) {
        self.now = self.now.max(now);
        self.counters.records += 1;
        if self.settings.track_serials {
            self.serials.observe(record.serial);
        }
        let msg_type = record.msg_type;
        if let Some(&user) = self.slot(self.user) {
            if !(is_lsm_context(msg_type) && user.serial == record.serial) {
                self.complete_user(emit);
            }
        }
        if msg_type == MessageType::EOE {
            match self.find(record.serial) {
                Some(slot) => self.complete(slot, Completion::EndOfEvent, emit),
                None => self.counters.orphan_eoe += 1,
            }
        } else if !self.settings.keeps(msg_type) {
            self.counters.filtered_type += 1;
        } else if msg_type.is_user_space() {
            if self.hold_user(record) {
                return;
            }
            self.counters.user_unheld += 1;
            let single = EventRecord {
                msg_type,
                body: record.body,
            };
            let event = Event::single(
                record.serial,
                record.timestamp,
                single,
                Completion::Standalone,
            );
            self.counters.events += 1;
            self.counters.standalone += 1;
            emit(&event);
        } else {
            let slot = match self.find(record.serial) {
                Some(slot) => slot,
                None => self.open(record.serial, record.timestamp, emit),
            };
            self.append(slot, record, emit);
        }
    }

    /// Completes every event whose deadline is at or before `now`.
    pub fn poll(&mut self, now: Instant, emit: &mut impl FnMut(&Event<'_>)) {
        self.now = self.now.max(now);
        if let Some(&user) = self.slot(self.user) {
            let older_due = self
                .slot(self.oldest)
                .is_some_and(|oldest| oldest.deadline <= self.now);
            if user.deadline <= self.now || older_due {
                self.complete_user(emit);
            }
        }
        while let Some(slot) = self.slot(self.oldest) {
            if slot.deadline > self.now {
                break;
            }
            self.complete(self.oldest, Completion::Timeout, emit);
        }
    }

    /// Completes every in-flight event (end of input, shutdown); serials
    /// still pending count as missed.
    pub fn flush(&mut self, emit: &mut impl FnMut(&Event<'_>)) {
        self.complete_user(emit);
        while self.oldest != NONE {
            self.complete(self.oldest, Completion::Flushed, emit);
        }
        if self.settings.track_serials {
            self.serials.finish();
        }
    }

    fn slot(&self, index: u32) -> Option<&EventSlot> {
        self.events.as_ref().get(index as usize)
    }

    fn slot_mut(&mut self, index: u32) -> Option<&mut EventSlot> {
        self.events.as_mut().get_mut(index as usize)
    }

    /// The in-flight event with `serial`, searching newest first.
    fn find(&self, serial: u32) -> Option<u32> {
        let mut index = self.newest;
        while let Some(slot) = self.slot(index) {
            if slot.serial == serial {
                return Some(index);
            }
            index = slot.prev;
        }
        None
    }

    /// Stores user-space `record` as an event that waits for its
    /// LSM-context records; false (nothing changed) when that would take
    /// a slot or ring room another event holds.
    fn hold_user(&mut self, record: &Record<'_>) -> bool {
        if self.free == NONE {
            return false;
        }
        // `alloc` changes nothing when it reports the ring full.
        let Ok(stored) = self.store.alloc(self.free, record.msg_type.0, record.body) else {
            return false;
        };
        let index = self.open(record.serial, record.timestamp, &mut |_: &Event<'_>| {});
        let deadline = self.now.after(USER_CONTEXT_WAIT);
        if let Some(slot) = self.slot_mut(index) {
            slot.deadline = deadline;
            slot.first = stored;
            slot.last = stored;
            slot.count = 1;
            slot.bytes = record.body.len();
        }
        self.user = index;
        true
    }

    /// Emits the waiting user-space event, if any.
    fn complete_user(&mut self, emit: &mut impl FnMut(&Event<'_>)) {
        let user = core::mem::replace(&mut self.user, NONE);
        if user != NONE {
            self.complete(user, Completion::Standalone, emit);
        }
    }

    /// Takes a free slot for a new event (evicting the oldest if none is
    /// free) and links it as the newest.
    fn open(
        &mut self,
        serial: u32,
        timestamp: Timestamp,
        emit: &mut impl FnMut(&Event<'_>),
    ) -> u32 {
        if self.free == NONE && self.oldest != NONE {
            self.complete(self.oldest, Completion::Evicted, emit);
        }
        let index = self.free;
        let deadline = self.now.after(self.settings.timeout);
        let newest = self.newest;
        let Some(slot) = self.slot_mut(index) else {
            return NONE; // zero-capacity table: records are dropped below
        };
        let next_free = slot.next;
        *slot = EventSlot {
            serial,
            timestamp,
            deadline,
            prev: newest,
            ..EventSlot::default()
        };
        self.free = next_free;
        if let Some(previous) = self.slot_mut(newest) {
            previous.next = index;
        } else {
            self.oldest = index;
        }
        self.newest = index;
        self.in_flight += 1;
        index
    }

    /// Stores `record` in event `slot`: in the lane if the event is large
    /// (or grows large now), else in the ring, evicting other events
    /// oldest-first for room; never the event itself.
    fn append(&mut self, slot: u32, record: &Record<'_>, emit: &mut impl FnMut(&Event<'_>)) {
        let Some(event) = self.slot(slot) else {
            self.counters.dropped_records += 1;
            return;
        };
        let grown = Grown {
            large: event.large,
            bytes: event.bytes,
        };
        if self.store_record(slot, grown, record, emit) {
            return;
        }
        self.counters.dropped_records += 1;
        if let Some(s) = self.slot_mut(slot) {
            s.dropped += 1;
        }
    }

    /// Where `append` puts a record; false when it found no room.
    fn store_record(
        &mut self,
        slot: u32,
        event: Grown,
        record: &Record<'_>,
        emit: &mut impl FnMut(&Event<'_>),
    ) -> bool {
        if event.large {
            return self.lane_append(slot, record);
        }
        let quarter = self.store.arena_len() / 4;
        let grows_large = event.bytes.saturating_add(record.body.len()) > quarter;
        if grows_large {
            if self.promote(slot, record) {
                return true;
            }
            // No lane for it: its arguments stop at half the arena, so
            // the records after them still find room.
            if record.msg_type == MessageType::EXECVE
                && event.bytes.saturating_add(record.body.len()) > 2 * quarter
            {
                return false;
            }
        }
        // Each eviction frees at least one record, so this ends within the
        // ring's capacity; the bound is a guard, not a limit in practice.
        for _ in 0..=self.store.slot_capacity() + 1 {
            match self.store.alloc(slot, record.msg_type.0, record.body) {
                Ok(stored) => {
                    let last = self.slot(slot).map_or(NONE, |s| s.last);
                    if last == NONE {
                        if let Some(s) = self.slot_mut(slot) {
                            s.first = stored;
                        }
                    } else {
                        self.store.link(last, stored);
                    }
                    if let Some(s) = self.slot_mut(slot) {
                        s.last = stored;
                        s.count += 1;
                        s.bytes = s.bytes.saturating_add(record.body.len());
                    }
                    return true;
                }
                // Our own event holds the oldest record: it grows large
                // rather than going out in pieces.
                Err(Full::Evict(owner)) if owner == slot => return self.promote(slot, record),
                Err(Full::Evict(owner)) => self.complete(owner, Completion::Evicted, emit),
                Err(Full::TooLarge) => return self.promote(slot, record),
            }
        }
        false
    }

    /// Moves event `slot` (its ring records, then `record`) into the lane;
    /// false when there is no lane or no room in it.
    fn promote(&mut self, slot: u32, record: &Record<'_>) -> bool {
        let Some(&event) = self.slot(slot) else {
            return false;
        };
        let mut need = Lane::<L>::cost(record.body);
        let mut index = event.first;
        for _ in 0..event.count {
            let Some((_, body, next)) = self.store.record(index) else {
                break;
            };
            need = need.saturating_add(Lane::<L>::cost(body));
            index = next;
        }
        // Checked whole, so that once it starts the move cannot fail.
        if need.saturating_add(self.lane_reserve(record)) > self.lane.room() {
            return false;
        }
        let (mut first, mut last) = (NONE, NONE);
        let mut index = event.first;
        for _ in 0..event.count {
            let Some((msg_type, body, next)) = self.store.record(index) else {
                break;
            };
            let Some(at) = self.lane.alloc(msg_type, body) else {
                break; // cannot happen: the room was counted above
            };
            if last == NONE {
                first = at;
            } else {
                self.lane.link(last, at);
            }
            last = at;
            index = next;
        }
        if event.first != NONE {
            self.store.release_chain(event.first);
        }
        self.lane.open_event(self.now);
        self.counters.large_events += 1;
        if let Some(s) = self.slot_mut(slot) {
            s.first = first;
            s.last = last;
            s.large = true;
        }
        self.lane_append(slot, record)
    }

    /// Lane bytes `record` must leave free: a sixteenth of the lane after
    /// an EXECVE record, for the records that follow it.
    fn lane_reserve(&self, record: &Record<'_>) -> usize {
        if record.msg_type == MessageType::EXECVE {
            self.lane.capacity() / 16
        } else {
            0
        }
    }

    /// Appends `record` to large event `slot`. An EXECVE record leaves a
    /// sixteenth of the lane free, for the records that follow it.
    fn lane_append(&mut self, slot: u32, record: &Record<'_>) -> bool {
        let Some(last) = self.slot(slot).map(|s| s.last) else {
            return false;
        };
        let reserve = self.lane_reserve(record);
        if Lane::<L>::cost(record.body).saturating_add(reserve) > self.lane.room() {
            return false;
        }
        let Some(at) = self.lane.alloc(record.msg_type.0, record.body) else {
            return false;
        };
        if last == NONE {
            if let Some(s) = self.slot_mut(slot) {
                s.first = at;
            }
        } else {
            self.lane.link(last, at);
        }
        if let Some(s) = self.slot_mut(slot) {
            s.last = at;
            s.count += 1;
            s.bytes = s.bytes.saturating_add(record.body.len());
        }
        true
    }

    /// Emits event `index` and returns its storage.
    fn complete(&mut self, index: u32, completion: Completion, emit: &mut impl FnMut(&Event<'_>)) {
        let Some(&slot) = self.slot(index) else {
            return;
        };
        let source: &dyn event::RecordSource = if slot.large { &self.lane } else { &self.store };
        let event = Event::stored(
            slot.serial,
            slot.timestamp,
            completion,
            (slot.first, slot.count, slot.dropped),
            source,
        );
        emit(&event);
        let c = &mut self.counters;
        c.events += 1;
        match completion {
            Completion::EndOfEvent => c.end_of_event += 1,
            Completion::Standalone => c.standalone += 1,
            Completion::Timeout => c.timed_out += 1,
            Completion::Evicted => c.evicted += 1,
            Completion::Flushed => c.flushed += 1,
        }
        if slot.dropped > 0 {
            c.truncated_events += 1;
        }
        if slot.large {
            self.lane.close_event(self.now);
        } else {
            self.store.release_chain(slot.first);
        }
        // Unlink from the creation-order list, then onto the free list.
        match self.slot_mut(slot.prev) {
            Some(prev) => prev.next = slot.next,
            None => self.oldest = slot.next,
        }
        match self.slot_mut(slot.next) {
            Some(next) => next.prev = slot.prev,
            None => self.newest = slot.prev,
        }
        let free = self.free;
        if let Some(s) = self.slot_mut(index) {
            *s = EventSlot {
                next: free,
                ..EventSlot::default()
            };
        }
        self.free = index;
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}

/// What `append` needs to know of an event before storing a record.
#[derive(Clone, Copy)]
struct Grown {
    large: bool,
    bytes: usize,
}

#[cfg(test)]
mod tests;

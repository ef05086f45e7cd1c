//! [`Event`]: a completed event as a borrowed view, handed to the caller's
//! `emit` closure while the assembler still holds its records.

use super::lane::Lane;
use super::store::{RecordSlot, Store, NONE};
use crate::record::search::find_key;
use crate::record::Timestamp;
use crate::wire::MessageType;

/// Why an event was completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Its EOE record arrived.
    EndOfEvent,
    /// A record type that is an event on its own (user-space messages).
    Standalone,
    /// Its deadline passed with no EOE.
    Timeout,
    /// Pushed out early, oldest first, because the table or arena was full.
    Evicted,
    /// End of input or shutdown.
    Flushed,
}

/// One record of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRecord<'a> {
    pub msg_type: MessageType,
    pub body: &'a [u8],
}

#[derive(Clone, Copy)]
enum Source<'a> {
    Single(EventRecord<'a>),
    Stored {
        store: &'a dyn RecordSource,
        first: u32,
    },
}

/// Object-safe access to stored records, so `Event` needs no generics.
/// The assembler's store and lane implement it; so does whatever holds an
/// event's records rebuilt outside the assembler (a rewritten event: see
/// [`Event::rebuilt`]).
pub trait RecordSource {
    /// The record at `index`: its type, its body and the index of the
    /// record after it (any value once the last is reached: an event
    /// reads only its own count).
    fn record_at(&self, index: u32) -> Option<(u16, &[u8], u32)>;
}

impl<R, A> RecordSource for Store<R, A>
where
    R: AsRef<[RecordSlot]> + AsMut<[RecordSlot]>,
    A: AsRef<[u8]> + AsMut<[u8]>,
{
    fn record_at(&self, index: u32) -> Option<(u16, &[u8], u32)> {
        self.record(index)
    }
}

impl<L: AsRef<[u8]> + AsMut<[u8]>> RecordSource for Lane<L> {
    fn record_at(&self, index: u32) -> Option<(u16, &[u8], u32)> {
        self.record(index)
    }
}

/// A completed event: serial, timestamp of its first record, its records in
/// arrival order, and why it completed.
#[derive(Clone, Copy)]
pub struct Event<'a> {
    serial: u32,
    timestamp: Timestamp,
    completion: Completion,
    record_count: u32,
    dropped_records: u32,
    /// Secrets replaced in this event's records before encoding.
    redacted: u32,
    source: Source<'a>,
}

impl<'a> Event<'a> {
    pub(super) fn single(
        serial: u32,
        timestamp: Timestamp,
        record: EventRecord<'a>,
        completion: Completion,
    ) -> Event<'a> {
        Event {
            serial,
            timestamp,
            completion,
            record_count: 1,
            dropped_records: 0,
            redacted: 0,
            source: Source::Single(record),
        }
    }

    pub(super) fn stored(
        serial: u32,
        timestamp: Timestamp,
        completion: Completion,
        (first, record_count, dropped_records): (u32, u32, u32),
        store: &'a dyn RecordSource,
    ) -> Event<'a> {
        Event {
            serial,
            timestamp,
            completion,
            record_count,
            dropped_records,
            redacted: 0,
            source: Source::Stored { store, first },
        }
    }

    /// This event with other records: `count` of them from `source`,
    /// starting at index `first` (a rewritten event: secrets replaced,
    /// fields dropped). Serial, timestamp, completion and dropped records
    /// stay; `redacted` says how many secrets were replaced (the shapes
    /// write it as `"redacted":N`).
    pub fn rebuilt<'b>(
        &self,
        source: &'b dyn RecordSource,
        (first, count): (u32, u32),
        redacted: u32,
    ) -> Event<'b> {
        Event {
            serial: self.serial,
            timestamp: self.timestamp,
            completion: self.completion,
            record_count: count,
            dropped_records: self.dropped_records,
            redacted,
            source: Source::Stored {
                store: source,
                first,
            },
        }
    }

    /// Secrets replaced in the records before encoding (0: none, or no
    /// redaction configured).
    pub fn redacted(&self) -> u32 {
        self.redacted
    }

    pub fn serial(&self) -> u32 {
        self.serial
    }

    pub fn timestamp(&self) -> Timestamp {
        self.timestamp
    }

    pub fn completion(&self) -> Completion {
        self.completion
    }

    /// Records kept (those in [`records`](Self::records)).
    pub fn record_count(&self) -> u32 {
        self.record_count
    }

    /// Records of this event that could not be kept (larger than the
    /// arena); non-zero means the event is incomplete.
    pub fn dropped_records(&self) -> u32 {
        self.dropped_records
    }

    /// The records in arrival order.
    pub fn records(&self) -> Records<'a> {
        match self.source {
            Source::Single(record) => Records {
                single: Some(record),
                store: None,
                next: NONE,
                left: 1,
            },
            Source::Stored { store, first } => Records {
                single: None,
                store: Some(store),
                next: first,
                left: self.record_count,
            },
        }
    }

    /// go-audit's `syscall`: the value of `syscall=` in the first SYSCALL
    /// record, up to the next space (at most 5 bytes when it ends the body).
    pub fn syscall(&self) -> Option<&'a [u8]> {
        let record = self
            .records()
            .find(|r| r.msg_type == MessageType::SYSCALL)?;
        let body = record.body;
        let start = find_key(body, b"syscall")? + 8;
        let rest = body.get(start..)?;
        match memchr::memchr(b' ', rest) {
            Some(end) => rest.get(..end),
            None if rest.len() <= 5 => Some(rest),
            None => None,
        }
    }
}

/// Iterator over an event's records (cloning it keeps the position).
#[derive(Clone)]
pub struct Records<'a> {
    single: Option<EventRecord<'a>>,
    store: Option<&'a dyn RecordSource>,
    next: u32,
    left: u32,
}

impl<'a> Iterator for Records<'a> {
    type Item = EventRecord<'a>;

    fn next(&mut self) -> Option<EventRecord<'a>> {
        if let Some(record) = self.single.take() {
            self.left = 0;
            return Some(record);
        }
        if self.left == 0 || self.next == NONE {
            return None;
        }
        let (msg_type, body, next) = self.store?.record_at(self.next)?;
        self.next = next;
        self.left -= 1;
        Some(EventRecord {
            msg_type: MessageType(msg_type),
            body,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left as usize))
    }
}

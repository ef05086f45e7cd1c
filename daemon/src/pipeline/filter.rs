//! go-audit's `filters`: drop an event when its syscall (the `syscall=`
//! value of its SYSCALL record, as text) equals a filter's, and one of its
//! records of the filter's message type matches the filter's regex. The
//! regexes are compiled once at start; matching allocates nothing.

//!
//! A reload (SIGHUP) hands the receive thread a new list through a
//! [`FilterUpdate`]; it takes it when a receive returns, before the
//! batch is processed, so every event emitted after the reload is judged
//! by the new list and every event by one list whole.

use raudit_core::assemble::Event;
use regex::bytes::Regex;

use super::update::Update;

/// One compiled filter.
#[derive(Clone, Debug)]
pub struct EventFilter {
    /// The syscall number as go-audit compares it, as text (`"49"`);
    /// `None` matches events without a SYSCALL record (go-audit's `""`).
    pub syscall: Option<String>,
    pub message_type: u16,
    pub regex: Regex,
}

/// True if any filter says to drop `event`.
pub fn drops(filters: &[EventFilter], event: &Event<'_>) -> bool {
    if filters.is_empty() {
        return false;
    }
    let syscall = event.syscall();
    filters
        .iter()
        .filter(|f| f.syscall.as_deref().map(str::as_bytes) == syscall)
        .any(|f| {
            event
                .records()
                .any(|r| r.msg_type.0 == f.message_type && f.regex.is_match(r.body))
        })
}

/// A new filter list on its way to the receive thread (see [`Update`]).
pub type FilterUpdate = Update<Vec<EventFilter>>;

//! go-audit's JSON shape:
//! `{"sequence":N,"timestamp":"S.MMM","messages":[{"type":T,"data":"…"}…],
//! "uid_map":{"UID":"NAME"…}}`, keys of `uid_map` sorted as Go sorts map
//! keys; messages of types 1300/1326 carry `"containers":{"id":…}` when the
//! caller knows one. When the buffer is too small, messages are kept in
//! order until the last one that fits (cut inside its `data` if need be)
//! and `"truncated":true` is added.

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

use super::common::{container_of, frame, write_container, ContainerId, Text};
use super::cursor::{Cursor, Full};
use super::text::Lossy;
use super::{Encoded, Enrich};
use crate::assemble::{Event, EventRecord};

/// Largest outline of a message without its data: `,{"type":65535,"data":""}`.
const MESSAGE_OUTLINE: usize = 26;

/// Encodes `event` in go-audit's shape into `out` (no trailing newline).
pub fn go_audit(event: &Event<'_>, enrich: &mut impl Enrich, out: &mut [u8]) -> Encoded {
    frame(event, enrich, out, "messages", |cursor, enrich| {
        write_messages(cursor, event, enrich)
    })
}

/// Writes the messages in order; returns true when one had to be cut.
fn write_messages(cursor: &mut Cursor<'_>, event: &Event<'_>, enrich: &impl Enrich) -> bool {
    let mut first = true;
    for record in event.records() {
        let message = Message {
            record,
            container: container_of(enrich, record),
            budget: None,
        };
        if write_message(cursor, &message, first).is_ok() {
            first = false;
            continue;
        }
        let budget = cursor.room().saturating_sub(MESSAGE_OUTLINE);
        if budget > 0 {
            let cut = Message {
                record,
                container: None,
                budget: Some(budget),
            };
            let _ = write_message(cursor, &cut, first);
        }
        return true;
    }
    false
}

fn write_message(cursor: &mut Cursor<'_>, message: &Message<'_>, first: bool) -> Result<(), Full> {
    let start = cursor.pos();
    let result = if message.budget.is_none() {
        write_whole_message(cursor, message, first)
    } else {
        (if first { Ok(()) } else { cursor.push(b",") }).and_then(|()| cursor.serialize(message))
    };
    if result.is_err() {
        // Nothing of the message counts: the caller retries from `start`.
        cursor.unwind(start);
    }
    result
}

/// The common case, written with the data escaped straight into the
/// buffer (the same bytes serde-json-core would write for `Message`,
/// without a scratch copy per record).
fn write_whole_message(
    cursor: &mut Cursor<'_>,
    message: &Message<'_>,
    first: bool,
) -> Result<(), Full> {
    let open: &[u8] = if first { b"{\"type\":" } else { b",{\"type\":" };
    cursor.push(open)?;
    cursor.push_u64(u64::from(message.record.msg_type.0))?;
    cursor.push(b",\"data\":\"")?;
    cursor.push_escaped(message.record.body)?;
    cursor.push(b"\"")?;
    if let Some(id) = message.container {
        cursor.push(b",\"containers\":")?;
        write_container(cursor, id)?;
    }
    cursor.push(b"}")
}

struct Message<'a> {
    record: EventRecord<'a>,
    container: Option<&'a str>,
    /// Cut `data` to this many escaped bytes.
    budget: Option<usize>,
}

impl Serialize for Message<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = if self.container.is_some() { 3 } else { 2 };
        let mut s = serializer.serialize_struct("AuditMessage", fields)?;
        s.serialize_field("type", &self.record.msg_type.0)?;
        let data = match self.budget {
            Some(budget) => Lossy::with_budget(self.record.body, budget),
            None => Lossy::new(self.record.body),
        };
        s.serialize_field("data", &Text(data))?;
        if let Some(id) = self.container {
            s.serialize_field("containers", &ContainerId(id))?;
        }
        s.end()
    }
}

// The tests name these through `super::*`.
#[cfg(test)]
use {super::common::TRUNCATED, super::MIN_BUFFER, crate::wire::MessageType};

#[cfg(test)]
#[path = "go_audit/tests.rs"]
mod tests;

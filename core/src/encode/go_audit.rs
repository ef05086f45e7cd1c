//! go-audit's JSON shape:
//! `{"sequence":N,"timestamp":"S.MMM","messages":[{"type":T,"data":"…"}…],
//! "uid_map":{"UID":"NAME"…}}`, keys of `uid_map` sorted as Go sorts map
//! keys; messages of types 1300/1326 carry `"containers":{"id":…}` when the
//! caller knows one. When the buffer is too small, messages are kept in
//! order until the last one that fits (cut inside its `data` if need be)
//! and `"truncated":true` is added.

use core::fmt::Write;

use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde::Serialize;

use super::cursor::{Cursor, Full};
use super::text::{escape_into, Lossy};
use super::uids::UidValues;
use super::{Encoded, Enrich, MIN_BUFFER, UNKNOWN_USER};
use crate::assemble::{Event, EventRecord};
use crate::wire::MessageType;
use serde_json_core::str::EscapedStr;

/// Scratch space for the encoded `uid_map`; entries that do not fit are
/// left out and the event is marked truncated.
const UID_MAP_SCRATCH: usize = 1024;
const TRUNCATED: &[u8] = b",\"truncated\":true";
const UID_MAP_KEY: &[u8] = b"],\"uid_map\":";
/// Largest outline of a message without its data: `,{"type":65535,"data":""}`.
const MESSAGE_OUTLINE: usize = 26;

/// Encodes `event` in go-audit's shape into `out` (no trailing newline).
pub fn go_audit(event: &Event<'_>, enrich: &mut impl Enrich, out: &mut [u8]) -> Encoded {
    if out.len() < MIN_BUFFER {
        return Encoded {
            len: 0,
            truncated: true,
        };
    }
    enrich.prepare(event);
    let enrich = &*enrich;
    let uids = UidValues::of_event(event);
    let mut scratch = [0u8; UID_MAP_SCRATCH];
    let (uid_map_len, uids_cut) = encode_uid_map(&uids, enrich, &mut scratch);
    let mut truncated = uids.overflowed || uids_cut || event.dropped_records() > 0;

    let mut cursor = Cursor::new(out);
    // The outline alone fits in MIN_BUFFER.
    if write_header(&mut cursor, event).is_err() {
        return Encoded {
            len: 0,
            truncated: true,
        };
    }
    let mut uid_map = scratch.get(..uid_map_len).unwrap_or(b"{}");
    let tail = |map_len: usize| UID_MAP_KEY.len() + map_len + TRUNCATED.len() + 1;
    if tail(uid_map.len()) > cursor.room() {
        uid_map = b"{}";
        truncated = true;
    }
    cursor.reserve_tail(tail(uid_map.len()));
    let mut first = true;
    for record in event.records() {
        let message = Message {
            record,
            container: container_of(enrich, record),
            budget: None,
        };
        if write_message(&mut cursor, &message, first).is_ok() {
            first = false;
            continue;
        }
        truncated = true;
        let budget = cursor.room().saturating_sub(MESSAGE_OUTLINE);
        if budget > 0 {
            let cut = Message {
                record,
                container: None,
                budget: Some(budget),
            };
            let _ = write_message(&mut cursor, &cut, first);
        }
        break;
    }
    cursor.release_tail();
    let closed = cursor
        .push(UID_MAP_KEY)
        .and_then(|()| cursor.push(uid_map))
        .and_then(|()| {
            if truncated {
                cursor.push(TRUNCATED)
            } else {
                Ok(())
            }
        })
        .and_then(|()| cursor.push(b"}"));
    if closed.is_err() {
        return Encoded {
            len: 0,
            truncated: true,
        };
    }
    Encoded {
        len: cursor.pos(),
        truncated,
    }
}

fn write_header(cursor: &mut Cursor<'_>, event: &Event<'_>) -> Result<(), Full> {
    let ts = event.timestamp();
    write!(
        cursor,
        "{{\"sequence\":{},\"timestamp\":\"{}.{:03}\",\"messages\":[",
        event.serial(),
        ts.seconds,
        ts.millis
    )
    .map_err(|_| Full)
}

fn write_message(cursor: &mut Cursor<'_>, message: &Message<'_>, first: bool) -> Result<(), Full> {
    let start = cursor.pos();
    if !first {
        cursor.push(b",")?;
    }
    let result = cursor.serialize(message);
    if result.is_err() && cursor.pos() != start {
        // Only the comma went out: the caller retries from `start`.
        cursor.unwind(start);
    }
    result
}

fn container_of<'e>(enrich: &'e impl Enrich, record: EventRecord<'_>) -> Option<&'e str> {
    match record.msg_type {
        MessageType::SYSCALL | MessageType(1326) => {
            enrich.container_id(record.msg_type, record.body)
        }
        _ => None,
    }
}

/// Encodes the uid map into `scratch`, dropping entries from the end until
/// it fits. Returns its length and whether entries were dropped.
fn encode_uid_map(uids: &UidValues<'_>, enrich: &impl Enrich, scratch: &mut [u8]) -> (usize, bool) {
    let mut count = uids.values.len();
    loop {
        let map = UidMap {
            uids: uids.values.get(..count).unwrap_or(&[]),
            enrich,
        };
        if let Ok(len) = serde_json_core::to_slice(&map, scratch) {
            return (len, count < uids.values.len());
        }
        if count == 0 {
            return (0, true);
        }
        count -= 1;
    }
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

struct Text<'a>(Lossy<'a>);

/// Escaped form of one value, on the stack; values whose escaped form is
/// larger go through `collect_str` instead.
const ESCAPE_SCRATCH: usize = 16 << 10;

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.budget == usize::MAX {
            let mut scratch = [0u8; ESCAPE_SCRATCH];
            if let Some(len) = escape_into(self.0.bytes, &mut scratch) {
                if let Ok(escaped) = core::str::from_utf8(scratch.get(..len).unwrap_or_default()) {
                    return EscapedStr(escaped).serialize(serializer);
                }
            }
        }
        serializer.collect_str(&self.0)
    }
}

struct ContainerId<'a>(&'a str);

impl Serialize for ContainerId<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("id", self.0)?;
        map.end()
    }
}

struct UidMap<'a, N> {
    uids: &'a [&'a [u8]],
    enrich: &'a N,
}

impl<N: Enrich> Serialize for UidMap<'_, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.uids.len()))?;
        for uid in self.uids {
            let name = self.enrich.user_name(uid).unwrap_or(UNKNOWN_USER);
            map.serialize_entry(&Text(Lossy::new(uid)), name)?;
        }
        map.end()
    }
}

#[cfg(test)]
#[path = "go_audit/tests.rs"]
mod tests;

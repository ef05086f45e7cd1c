//! go-audit's JSON shape:
//! `{"sequence":N,"timestamp":"S.MMM","messages":[{"type":T,"data":"…"}…],
//! "uid_map":{"UID":"NAME"…}}`, keys of `uid_map` sorted as Go sorts map
//! keys; messages of types 1300/1326 carry `"containers":{"id":…}` when the
//! caller knows one. When the buffer is too small for the whole event, the
//! EXECVE messages lose arguments from the middle (whole `aN`, `aN_len`
//! and `aN[i]` fields, the rest of their `data` as written) and the
//! document says `"cut":{…}` (see [`cut`](super::cut)); when even the
//! other messages do not fit, they are kept in order until the last one
//! that fits (cut inside its `data` if need be) and `"truncated":true` is
//! added.

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

use super::common::{container_of, frame, write_container, ContainerId, Framed, Text};
use super::cursor::{Cursor, Full};
use super::cut::{decoded_len, Cut, GroupCounter, Keep, Piece};
use super::text::{escaped_size, Lossy};
use super::{fit, Encoded, Enrich};
use crate::assemble::{Event, EventRecord};
use crate::record::ExecveArg;
use crate::wire::MessageType;

/// Largest outline of a message without its data: `,{"type":65535,"data":""}`.
const MESSAGE_OUTLINE: usize = 26;

/// Encodes `event` in go-audit's shape into `out` (no trailing newline):
/// whole when it fits, else the marked cut that fits.
pub fn go_audit(event: &Event<'_>, enrich: &mut impl Enrich, out: &mut [u8]) -> Encoded {
    let whole = keeping(event, enrich, out, Keep::ALL, None);
    if !whole.list_cut {
        return whole.encoded;
    }
    fit(
        out,
        enrich,
        whole.encoded,
        || pieces(event),
        |out, enrich, keep, cut| keeping(event, enrich, out, keep, cut),
    )
}

/// The document with the arguments `keep` names (all: the whole event).
pub(super) fn keeping<E: Enrich>(
    event: &Event<'_>,
    enrich: &mut E,
    out: &mut [u8],
    keep: Keep,
    cut: Option<Cut>,
) -> Framed {
    frame(event, enrich, out, ("messages", cut), |cursor, enrich| {
        write_messages(cursor, event, enrich, keep, AtTheEnd::CutTheMessage)
    })
}

/// The whole document, or `None` when it does not fit `out` (what was
/// written is garbage then). It stops at the first message that does not
/// fit: the caller tries a larger room, so a cut of it would be wasted
/// (and cutting text to a budget is the slow path).
pub(super) fn whole<E: Enrich>(
    event: &Event<'_>,
    enrich: &mut E,
    out: &mut [u8],
) -> Option<Encoded> {
    let framed = frame(event, enrich, out, ("messages", None), |cursor, enrich| {
        write_messages(cursor, event, enrich, Keep::ALL, AtTheEnd::Stop)
    });
    (!framed.list_cut).then_some(framed.encoded)
}

/// What [`write_messages`] does with a message that does not fit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AtTheEnd {
    /// Writes as much of its data as fits, marked (the cut document).
    CutTheMessage,
    /// Nothing: the whole document is all that is wanted.
    Stop,
}

/// The argument fields of the event's EXECVE records, in order, with what
/// each costs in `data` (escaped, and its separating space).
fn pieces<'a>(event: &Event<'a>) -> impl Iterator<Item = Piece> + 'a {
    event
        .records()
        .filter(|r| r.msg_type == MessageType::EXECVE)
        .flat_map(|r| tokens(r.body))
        .filter_map(|token| {
            let (arg, value) = argument(token)?;
            Some(Piece {
                index: arg.index,
                cost: escaped_size(token).saturating_add(1),
                bytes: if arg.is_len { 0 } else { decoded_len(value) },
            })
        })
}

/// The space-separated fields of a body (EXECVE values never hold spaces:
/// the kernel hex-encodes those).
fn tokens(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split(|&b| b == b' ').filter(|t| !t.is_empty())
}

/// The argument a field is part of, and its value; `None` for `argc` and
/// anything else.
fn argument(token: &[u8]) -> Option<(ExecveArg, &[u8])> {
    let eq = memchr::memchr(b'=', token);
    let key = eq.and_then(|eq| token.get(..eq)).unwrap_or(token);
    let value = eq.and_then(|eq| token.get(eq + 1..)).unwrap_or_default();
    ExecveArg::parse(key).map(|arg| (arg, value))
}

/// Writes the messages in order; returns true when one had to be cut.
fn write_messages(
    cursor: &mut Cursor<'_>,
    event: &Event<'_>,
    enrich: &impl Enrich,
    keep: Keep,
    at_the_end: AtTheEnd,
) -> bool {
    let mut first = true;
    let mut groups = GroupCounter::default();
    for record in event.records() {
        if record.msg_type == MessageType::EXECVE && !keep.is_all() {
            let start = cursor.pos();
            match write_kept_execve(cursor, record.body, keep, &mut groups, first) {
                Ok(wrote) => first &= !wrote,
                Err(Full) => {
                    cursor.unwind(start);
                    return true;
                }
            }
            continue;
        }
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
        if budget > 0 && at_the_end == AtTheEnd::CutTheMessage {
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

/// An EXECVE message with the arguments `keep` drops left out of its
/// `data` (the other fields as written, one space apart); no message when
/// nothing of it is kept. Returns whether it wrote one.
fn write_kept_execve(
    cursor: &mut Cursor<'_>,
    body: &[u8],
    keep: Keep,
    groups: &mut GroupCounter,
    first: bool,
) -> Result<bool, Full> {
    let mut opened = false;
    for token in tokens(body) {
        if let Some((arg, _)) = argument(token) {
            if !keep.keeps(groups.group_of(arg.index)) {
                continue;
            }
        }
        if opened {
            cursor.push(b" ")?;
        } else {
            cursor.push(if first { b"{\"type\":" } else { b",{\"type\":" })?;
            cursor.push_u64(u64::from(MessageType::EXECVE.0))?;
            cursor.push(b",\"data\":\"")?;
            opened = true;
        }
        cursor.push_escaped(token)?;
    }
    if opened {
        cursor.push(b"\"}")?;
    }
    Ok(opened)
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
use {super::common::TRUNCATED, super::MIN_BUFFER};

#[cfg(test)]
#[path = "go_audit/tests.rs"]
mod tests;

//! The structured shape: each record's fields parsed into JSON members, so
//! `exe` or `key` can be queried without regular expressions (as laurel
//! and Auditbeat do). Selected with `raudit.format: structured`.
//!
//! ```text
//! {"sequence":N,"timestamp":"S.MMM","records":[
//!   {"type":"SYSCALL","fields":{"arch":"c000003e","syscall":59,"success":"yes",…,
//!     "comm":"ls","exe":"/usr/bin/ls","key":"k"},
//!    "interpreted":{"arch":"x86_64","syscall":"execve"}},
//!   {"type":"EXECVE","fields":{"argc":2},"argv":["ls","-l"]},
//!   {"type":"PROCTITLE","fields":{"proctitle":["bash","-c","x"]}},
//!   {"type":"USER_LOGIN","fields":{"pid":1,"msg":{"op":"login","acct":"root",…}}},
//!   {"type":"AVC","fields":{"pid":7,…,"text":"avc: denied { read } for"}},
//!   {"type":"UNKNOWN[1234]","fields":{…},"duplicates":1},
//!   …],
//!  "uid_map":{"0":"root",…}}
//! ```
//!
//! - `type`: the message type's name, `UNKNOWN[N]` when no table names it.
//! - `fields`: every `key=value` of the body in order, values as strings,
//!   decimal ids, pids and counts as numbers (see `value.rs` for quotes,
//!   `null`, numbers, hex decoding, the nested `msg` object, the `"text"`
//!   of tokens without `=`, and duplicate keys).
//! - `duplicates`: how many fields were left out because their key came
//!   earlier in the same object (rare: the first value is kept).
//! - `interpreted`: table names for `arch`, `syscall` and a negative
//!   `exit`, on records that carry them (SYSCALL, SECCOMP), and a
//!   SOCKADDR's `saddr` decoded into an object (see
//!   [`sockaddr`](super::sockaddr)); absent when none of them applies.
//! - `containers`: `{"id":…}` on SYSCALL and 1326 records when the caller
//!   knows one, as in go-audit's shape.
//! - EXECVE: all EXECVE records of the event become one record at the
//!   place of the first, with the non-argument fields (`argc`) in `fields`
//!   and `argv`: the arguments in order, split pieces (`aN[i]`, spread over
//!   records) joined and hex decoded.
//! - `uid_map`: as in go-audit's shape (same uids, same names).
//!
//! Byte strings are written lossily (U+FFFD for bytes that are not UTF-8).
//! When the buffer is too small for the whole event, `argv` loses whole
//! arguments from the middle and the document says `"cut":{…}` at the top
//! (see [`cut`](super::cut)), every other record whole. Only when even the
//! records without arguments do not fit are records kept in order up to
//! the last one that fits whole, with `"truncated":true` at the top; the
//! EXECVE record is then the exception: its `argv` is kept up to the
//! argument that does not fit, cut inside that argument, and the record
//! itself says `"truncated":true` too. Nothing here panics or allocates.

pub(super) mod execve;
mod interpret;
mod stream;
pub(super) mod value;

use core::cell::Cell;

use serde::Serialize;

use self::execve::{write_arg, write_single_args, ArgValue, Args, ExecveFields, NonArgs};
use self::interpret::Interpreted;
use self::value::{FieldsObject, Noted};
use super::common::{container_of, frame, write_container, Framed, TRUNCATED};
use super::cursor::{Cursor, Full};
use super::cut::{Cut, Keep, Piece};
use super::{fit, Encoded, Enrich};
use crate::assemble::{Event, EventRecord};
use crate::record::Fields;
use crate::wire::MessageType;

/// What closes an `argv` cut short: `]`, the record's marker and `}`.
const ARGV_CLOSE: usize = 1 + TRUNCATED.len() + 1;
/// The outline of one argument: a comma and two quotes.
const ARG_OUTLINE: usize = 3;

/// Encodes `event` in the structured shape into `out` (no trailing
/// newline): `{"sequence","timestamp","records":[{"type","fields",…}…],
/// "uid_map"}`, each record's `key=value` fields parsed into members, all
/// EXECVE records joined into one `argv` (the module's source documents
/// the shape in full). Same contract as [`go_audit`](fn@super::go_audit).
pub fn structured(event: &Event<'_>, enrich: &mut impl Enrich, out: &mut [u8]) -> Encoded {
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
    frame(event, enrich, out, ("records", cut), |cursor, enrich| {
        write_records(cursor, event, enrich, keep)
    })
}

/// The arguments in `argv` order (each its own group), costed at their
/// decoded length and an element's outline (exact for plain text).
fn pieces<'a>(event: &Event<'a>) -> impl Iterator<Item = Piece> + 'a {
    Args::of(event).enumerate().map(|(i, arg)| {
        let bytes = arg.decoded_len();
        Piece {
            index: u32::try_from(i).unwrap_or(u32::MAX),
            cost: usize::try_from(bytes)
                .unwrap_or(usize::MAX)
                .saturating_add(ARG_OUTLINE),
            bytes,
        }
    })
}

/// Writes the records in order; returns true when some were left out.
fn write_records(
    cursor: &mut Cursor<'_>,
    event: &Event<'_>,
    enrich: &impl Enrich,
    keep: Keep,
) -> bool {
    let mut first = true;
    let mut execve_written = false;
    for record in event.records() {
        if record.msg_type == MessageType::EXECVE {
            if execve_written {
                continue;
            }
            execve_written = true;
        }
        let start = cursor.pos();
        match write_record(cursor, (event, keep), record, enrich, first) {
            Ok(Written::Whole) => first = false,
            Ok(Written::Cut) => return true,
            Err(Full) => {
                cursor.unwind(start);
                return true;
            }
        }
    }
    false
}

enum Written {
    Whole,
    /// The record went out cut short (only `argv` is ever cut).
    Cut,
}

fn write_record(
    cursor: &mut Cursor<'_>,
    (event, keep): (&Event<'_>, Keep),
    record: EventRecord<'_>,
    enrich: &impl Enrich,
    first: bool,
) -> Result<Written, Full> {
    if !first {
        cursor.push(b",")?;
    }
    cursor.push(b"{\"type\":")?;
    match record.msg_type.name() {
        Some(name) => cursor.push_string(name.as_bytes())?,
        None => cursor.push_display(&record.msg_type)?,
    }
    cursor.push(b",\"fields\":")?;
    let duplicates = Cell::new(0);
    let mut noted = Noted::default();
    let is_execve = record.msg_type == MessageType::EXECVE;
    if is_execve {
        FieldsObject {
            fields: NonArgs(ExecveFields::of(event)),
            depth: 0,
            duplicates: &duplicates,
        }
        .write(cursor, None)?;
    } else {
        FieldsObject {
            fields: Fields::new(record.body),
            depth: 0,
            duplicates: &duplicates,
        }
        .write(cursor, Some(&mut noted))?;
    }
    if duplicates.get() > 0 {
        cursor.push(b",\"duplicates\":")?;
        cursor.push_u64(u64::from(duplicates.get()))?;
    }
    let interpreted = Interpreted::of(&noted, record.msg_type, enrich);
    if !interpreted.is_empty() {
        cursor.push(b",\"interpreted\":")?;
        interpreted.write(cursor, enrich)?;
    }
    if let Some(id) = container_of(enrich, record) {
        cursor.push(b",\"containers\":")?;
        write_container(cursor, id)?;
    }
    let mut written = Written::Whole;
    if is_execve && write_argv(cursor, event, keep)? {
        cursor.push(TRUNCATED)?;
        written = Written::Cut;
    }
    cursor.push(b"}")?;
    Ok(written)
}

/// Writes `,"argv":[…]`; returns true when an argument was cut (then the
/// room for the record's marker and closing brace is left).
fn write_argv(cursor: &mut Cursor<'_>, event: &Event<'_>, keep: Keep) -> Result<bool, Full> {
    cursor.push(b",\"argv\":[")?;
    let limit = cursor.hold(ARGV_CLOSE);
    if keep.is_all() {
        // Every argument: in one pass when each is one field.
        let at = cursor.pos();
        if write_single_args(cursor, event).is_some() {
            cursor.unhold(limit);
            cursor.push(b"]")?;
            return Ok(false);
        }
        cursor.unwind(at);
    }
    let mut cut = false;
    let mut written = 0usize;
    for (group, arg) in Args::of(event).enumerate() {
        if !keep.keeps(u32::try_from(group).unwrap_or(u32::MAX)) {
            continue;
        }
        let i = written;
        written += 1;
        let at = cursor.pos();
        let whole = if i > 0 { cursor.push(b",") } else { Ok(()) };
        if whole.and_then(|()| write_arg(cursor, &arg)).is_ok() {
            continue;
        }
        cursor.unwind(at);
        cut = true;
        let budget = cursor.room().saturating_sub(ARG_OUTLINE);
        if budget > 0 {
            let part = ArgValue { arg: &arg, budget };
            if write_element(cursor, &part, i > 0).is_err() {
                cursor.unwind(at);
            }
        }
        break;
    }
    cursor.unhold(limit);
    cursor.push(b"]")?;
    Ok(cut)
}

fn write_element(cursor: &mut Cursor<'_>, value: &impl Serialize, comma: bool) -> Result<(), Full> {
    if comma {
        cursor.push(b",")?;
    }
    cursor.serialize(value)
}

#[cfg(test)]
#[path = "structured/tests.rs"]
mod tests;

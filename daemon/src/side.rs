//! What rides beside an encoded line in a pooled buffer's side region, for
//! the outputs that need more than the line: the event's [`Facts`]
//! (sequence, time, and the SYSCALL record's syscall, success, key, ids,
//! exe, comm — GELF's additional fields, the same whatever the line's
//! format) and a **cut** version of the line for transports that cannot
//! carry it whole (see [`crate::pipeline`]'s `encode_cut`).
//!
//! The receive thread writes them (only when an output needs them: the
//! region is not touched otherwise) as records in line order: the line's
//! offset in the buffer (4 bytes), a kind (1), a length (4), the payload.
//! Fixed layout, no allocation, and every read is checked: a record that
//! does not parse ends the walk, it never panics.

use raudit_core::assemble::Event;
use raudit_core::record::hex::decode_hex;
use raudit_core::record::{first_values, number, prefix, Value};
use raudit_core::wire::MessageType;

/// A record of [`Facts`].
const FACTS: u8 = 1;
/// A record holding the cut version of the line (JSON and `\n`).
const CUT: u8 = 2;
/// Offset, kind, length.
const HEADER: usize = 9;
/// The bytes of a record before its payload.
pub const RECORD_HEADER: usize = HEADER;
/// Strings in facts are kept up to this many bytes.
const MAX_STRING: usize = 1024;
/// Serial, seconds, millis, flags, success, syscall, auid, uid, pid.
const FIXED: usize = 4 + 8 + 2 + 1 + 1 + 4 * 8;
/// A string's length when it is absent.
const ABSENT: u16 = u16::MAX;
/// Side bytes one line's facts take at most.
pub const FACTS_ROOM: usize = HEADER + FIXED + 3 * (2 + MAX_STRING);

/// What GELF (and any output that wants fields) needs about an event,
/// read from its records, not from its encoded line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts<'a> {
    pub sequence: u32,
    pub seconds: u64,
    pub millis: u16,
    pub syscall: Option<u64>,
    pub success: Option<bool>,
    pub auid: Option<u64>,
    pub uid: Option<u64>,
    pub pid: Option<u64>,
    pub key: Option<&'a [u8]>,
    pub exe: Option<&'a [u8]>,
    pub comm: Option<&'a [u8]>,
}

/// What the side region holds for one line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineSide<'a> {
    pub facts: Option<Facts<'a>>,
    /// The cut version (JSON and `\n`), when the line is longer than the
    /// smallest transport limit of the configured outputs.
    pub cut: Option<&'a [u8]>,
}

/// Writes the facts of `event`, for the line at `offset`, into `out`;
/// the bytes used, or `None` when `out` is too small (nothing counts then).
pub fn write_facts(event: &Event<'_>, offset: usize, out: &mut [u8]) -> Option<usize> {
    let (head, body) = out.split_at_mut_checked(HEADER)?;
    let fixed = body.get_mut(..FIXED)?;
    let stamp = event.timestamp();
    let syscall = event
        .records()
        .find(|r| r.msg_type == MessageType::SYSCALL)
        .map(|r| r.body);
    let found = syscall.map(syscall_fields).unwrap_or_default();
    let number = |value: Option<Value<'_>>| -> Option<u64> {
        match value? {
            Value::Bare(text) => number::parse_u64(text, 10),
            _ => None,
        }
    };
    let numbers = [
        number(found.syscall),
        number(found.auid),
        number(found.uid),
        number(found.pid),
    ];
    let success = found.success.and_then(|v| match v.text() {
        b"yes" => Some(true),
        b"no" => Some(false),
        _ => None,
    });
    let mut flags = 0u8;
    for (bit, n) in numbers.iter().enumerate() {
        if n.is_some() {
            flags |= 1 << bit;
        }
    }
    if success.is_some() {
        flags |= 1 << 4;
    }
    fixed[..4].copy_from_slice(&event.serial().to_le_bytes());
    fixed[4..12].copy_from_slice(&stamp.seconds.to_le_bytes());
    fixed[12..14].copy_from_slice(&stamp.millis.to_le_bytes());
    fixed[14] = flags;
    fixed[15] = u8::from(success == Some(true));
    for (i, n) in numbers.iter().enumerate() {
        let at = 16 + 8 * i;
        fixed[at..at + 8].copy_from_slice(&n.unwrap_or(0).to_le_bytes());
    }
    let mut used = FIXED;
    for value in [found.key, found.exe, found.comm] {
        used += write_string(value, body.get_mut(used..)?)?;
    }
    write_header(head, offset, FACTS, used)?;
    Some(HEADER + used)
}

/// The first value of each field the facts take from a SYSCALL record.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct SyscallFields<'a> {
    syscall: Option<Value<'a>>,
    success: Option<Value<'a>>,
    auid: Option<Value<'a>>,
    uid: Option<Value<'a>>,
    pid: Option<Value<'a>>,
    key: Option<Value<'a>>,
    exe: Option<Value<'a>>,
    comm: Option<Value<'a>>,
}

/// The facts' fields of a SYSCALL record's `body`; the first of a
/// repeated key wins, as a search finds it. A record in the kernel's
/// layout has its prefix (`arch` … `ses`, holding five of the eight)
/// read by place ([`prefix::SYSCALL`]) and only the fields after it by
/// the grammar: the receive thread's facts cost ~3,200 instructions an
/// event with every field tokenized, most of its work beyond encoding
/// with GELF or OTLP on.
fn syscall_fields(body: &[u8]) -> SyscallFields<'_> {
    let mut values = [Value::Absent; prefix::SYSCALL_LEN];
    let Some(rest) = prefix::SYSCALL.read_into(body, &mut values) else {
        return syscall_fields_read_whole(body);
    };
    let place = |at: usize| values.get(at).copied();
    // Not one of the prefix's keys: their first is after it.
    let [key, exe, comm] = first_values(rest, &[b"key", b"exe", b"comm"]);
    SyscallFields {
        syscall: place(const { prefix::SYSCALL.at(b"syscall") }),
        success: place(const { prefix::SYSCALL.at(b"success") }),
        auid: place(const { prefix::SYSCALL.at(b"auid") }),
        uid: place(const { prefix::SYSCALL.at(b"uid") }),
        pid: place(const { prefix::SYSCALL.at(b"pid") }),
        key,
        exe,
        comm,
    }
}

/// [`syscall_fields`] of any body: every field read by the grammar, in
/// one pass (a search per key walked the record eight times).
fn syscall_fields_read_whole(body: &[u8]) -> SyscallFields<'_> {
    let [syscall, success, auid, uid, pid, key, exe, comm] = first_values(
        body,
        &[
            b"syscall", b"success", b"auid", b"uid", b"pid", b"key", b"exe", b"comm",
        ],
    );
    SyscallFields {
        syscall,
        success,
        auid,
        uid,
        pid,
        key,
        exe,
        comm,
    }
}

/// One string: its length (2 bytes) and its bytes, hex decoded when the
/// kernel hex-encoded it; markers (`(null)`, `?`) and absence are absent.
fn write_string(value: Option<Value<'_>>, out: &mut [u8]) -> Option<usize> {
    let (len, rest) = out.split_at_mut_checked(2)?;
    let room = rest.len().min(MAX_STRING);
    let n = match value {
        Some(v @ Value::Bare(text)) if v.looks_hex() => {
            // Longer than MAX_STRING once decoded: its first MAX_STRING
            // bytes (the digits of whole bytes, an even count), decoded;
            // never the hex digits themselves.
            let digits = text.get(..room.saturating_mul(2)).unwrap_or(text);
            let dst = rest.get_mut(..digits.len() / 2)?;
            match decode_hex(digits, dst) {
                Ok(n) if digits.len() < text.len() => without_torn_char(dst.get(..n)?),
                Ok(n) => n,
                Err(_) => copy_cut(text, rest.get_mut(..room)?),
            }
        }
        Some(Value::Bare(text) | Value::DoubleQuoted(text)) => {
            copy_cut(text, rest.get_mut(..room)?)
        }
        _ => {
            len.copy_from_slice(&ABSENT.to_le_bytes());
            return Some(2);
        }
    };
    len.copy_from_slice(&(n as u16).to_le_bytes());
    Some(2 + n)
}

/// Copies `text` into `out`, cut to its length (and then to a whole
/// UTF-8 character); the bytes copied.
fn copy_cut(text: &[u8], out: &mut [u8]) -> usize {
    let n = text.len().min(out.len());
    out[..n].copy_from_slice(&text[..n]);
    if n < text.len() {
        return without_torn_char(&out[..n]);
    }
    n
}

/// The length of `bytes` without a UTF-8 character that its end (a cut)
/// tears: the outputs would show the torn bytes as U+FFFD each.
fn without_torn_char(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=n.min(3) {
        let Some(&b) = bytes.get(n - back) else {
            break;
        };
        if b & 0xC0 != 0x80 {
            let width = match b {
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF4 => 4,
                _ => 1,
            };
            return if width > back { n - back } else { n };
        }
    }
    n
}

/// Reserves a cut-version record for the line at `offset` in `out`: the
/// caller encodes the cut line into the returned space and then calls
/// [`finish_cut`] with its length.
pub fn cut_space(out: &mut [u8]) -> Option<&mut [u8]> {
    out.get_mut(HEADER..)
}

/// Completes the record [`cut_space`] began: `len` bytes of cut line.
pub fn finish_cut(out: &mut [u8], offset: usize, len: usize) -> Option<usize> {
    write_header(out.get_mut(..HEADER)?, offset, CUT, len)?;
    Some(HEADER + len)
}

fn write_header(head: &mut [u8], offset: usize, kind: u8, len: usize) -> Option<()> {
    let offset = u32::try_from(offset).ok()?;
    let len = u32::try_from(len).ok()?;
    head.get_mut(..4)?.copy_from_slice(&offset.to_le_bytes());
    *head.get_mut(4)? = kind;
    head.get_mut(5..9)?.copy_from_slice(&len.to_le_bytes());
    Some(())
}

/// Walks a side region alongside the lines of its buffer.
#[derive(Clone, Debug)]
pub struct SideReader<'a> {
    rest: &'a [u8],
}

impl<'a> SideReader<'a> {
    pub fn new(side: &'a [u8]) -> SideReader<'a> {
        SideReader { rest: side }
    }

    /// The records (as written) of the line at `offset`, skipping those
    /// of earlier lines: what a spool keeps beside the line, read back with
    /// `SideReader::new(records).line(offset)`.
    pub fn records(&mut self, offset: usize) -> &'a [u8] {
        while let Some((at, _, _, after)) = record(self.rest) {
            if at >= offset {
                break;
            }
            self.rest = after;
        }
        let start = self.rest;
        while let Some((at, _, _, after)) = record(self.rest) {
            if at != offset {
                break;
            }
            self.rest = after;
        }
        start
            .get(..start.len() - self.rest.len())
            .unwrap_or_default()
    }

    /// What the region holds for the line at `offset` (lines are asked for
    /// in order; records of earlier lines are skipped).
    pub fn line(&mut self, offset: usize) -> LineSide<'a> {
        let mut side = LineSide::default();
        while let Some((at, kind, payload, after)) = record(self.rest) {
            if at > offset {
                break;
            }
            self.rest = after;
            if at < offset {
                continue;
            }
            match kind {
                FACTS => side.facts = read_facts(payload),
                CUT => side.cut = Some(payload),
                _ => {}
            }
        }
        side
    }
}

/// The record at the start of `bytes`: offset, kind, payload, what follows.
fn record(bytes: &[u8]) -> Option<(usize, u8, &[u8], &[u8])> {
    let offset = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let kind = *bytes.get(4)?;
    let len = u32::from_le_bytes(bytes.get(5..9)?.try_into().ok()?) as usize;
    let end = HEADER.checked_add(len)?;
    Some((offset, kind, bytes.get(HEADER..end)?, bytes.get(end..)?))
}

fn read_facts(payload: &[u8]) -> Option<Facts<'_>> {
    let fixed = payload.get(..FIXED)?;
    let u64_at = |at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(fixed.get(at..at + 8)?.try_into().ok()?))
    };
    let flags = fixed[14];
    let number = |bit: usize| -> Option<u64> {
        if flags & (1 << bit) == 0 {
            return None;
        }
        u64_at(16 + 8 * bit)
    };
    let mut rest = payload.get(FIXED..)?;
    let mut strings = [None; 3];
    for string in &mut strings {
        let len = u16::from_le_bytes(rest.get(..2)?.try_into().ok()?);
        rest = rest.get(2..)?;
        if len != ABSENT {
            let (text, after) = rest.split_at_checked(len as usize)?;
            *string = Some(text);
            rest = after;
        }
    }
    let [key, exe, comm] = strings;
    Some(Facts {
        sequence: u32::from_le_bytes(fixed.get(..4)?.try_into().ok()?),
        seconds: u64_at(4)?,
        millis: u16::from_le_bytes(fixed.get(12..14)?.try_into().ok()?),
        syscall: number(0),
        auid: number(1),
        uid: number(2),
        pid: number(3),
        success: (flags & (1 << 4) != 0).then_some(fixed[15] == 1),
        key,
        exe,
        comm,
    })
}

#[cfg(test)]
mod tests;

//! EXECVE arguments gathered from every EXECVE record of an event: `aN`
//! (whole), `aN[i]` (pieces of a long argument, possibly spread over
//! several records, joined in order), `aN_len` (skipped: the joined pieces
//! say it). Bare values are hex and decoded; quoted ones are taken as they
//! are. Everything borrows the event's records; a long argument streams
//! through [`LossyStream`], so its size needs no buffer.

use core::fmt;

use serde::{Serialize, Serializer};

use super::stream::{incomplete_tail, LossyStream};
use super::value::Hex;
use crate::assemble::{Event, Records};
use crate::encode::common::Text;
use crate::encode::cursor::{Cursor, Full};
use crate::encode::text::{look_marks, Lossy};
use crate::record::execve::{leading_number, leading_number_inlined};
use crate::record::fields::find_byte;
use crate::record::{decode_looked_hex, looks_hex, ExecveArg, Field, Fields, Value};
use crate::wire::MessageType;

/// Decoded bytes of an argument escaped at a time by [`write_arg`].
const ARG_CHUNK: usize = 512;

/// The fields of all EXECVE records of an event, in order.
#[derive(Clone)]
pub struct ExecveFields<'a> {
    records: Records<'a>,
    fields: Fields<'a>,
}

impl<'a> ExecveFields<'a> {
    pub fn of(event: &Event<'a>) -> ExecveFields<'a> {
        ExecveFields {
            records: event.records(),
            fields: Fields::new(b""),
        }
    }
}

impl<'a> Iterator for ExecveFields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        loop {
            if let Some(field) = self.fields.next() {
                return Some(field);
            }
            let record = self.records.find(|r| r.msg_type == MessageType::EXECVE)?;
            self.fields = Fields::new(record.body);
        }
    }
}

/// The fields of EXECVE records that are not arguments (`argc`).
#[derive(Clone)]
pub struct NonArgs<'a>(pub ExecveFields<'a>);

impl<'a> Iterator for NonArgs<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        self.0.find(|f| ExecveArg::parse(f.key).is_none())
    }
}

/// The arguments in order: each is a run of argument fields with the same
/// index (other fields between its pieces ignored).
///
/// Read with little state: the records left, the current body and its
/// fields. An argument of one piece (the usual case) is its value alone;
/// only one in several pieces keeps where its first piece is, for
/// [`Arg::pieces`] to read them again.
pub struct Args<'a> {
    records: Records<'a>,
    body: &'a [u8],
    fields: Fields<'a>,
    /// The first piece of the next argument, read ahead to end the one
    /// before.
    ahead: Option<Piece<'a>>,
}

/// An argument field: its index, its value and the body from its key on.
#[derive(Clone, Copy)]
struct Piece<'a> {
    index: u32,
    value: Value<'a>,
    rest: &'a [u8],
}

impl<'a> Args<'a> {
    pub fn of(event: &Event<'a>) -> Args<'a> {
        Args {
            records: event.records(),
            body: b"",
            fields: Fields::new(b""),
            ahead: None,
        }
    }

    /// The next argument field, across EXECVE records.
    fn next_piece(&mut self) -> Option<Piece<'a>> {
        loop {
            let Some(field) = self.fields.next() else {
                let record = self.records.find(|r| r.msg_type == MessageType::EXECVE)?;
                self.body = record.body;
                self.fields = Fields::new(record.body);
                continue;
            };
            if let Some(index) = piece_of(field.key) {
                // The key borrows the body: its offset is in range.
                let at = (field.key.as_ptr() as usize).saturating_sub(self.body.as_ptr() as usize);
                return Some(Piece {
                    index,
                    value: field.value,
                    rest: self.body.get(at..).unwrap_or_default(),
                });
            }
        }
    }
}

impl<'a> Iterator for Args<'a> {
    type Item = Arg<'a>;

    fn next(&mut self) -> Option<Arg<'a>> {
        let first = match self.ahead.take() {
            Some(piece) => piece,
            None => self.next_piece()?,
        };
        // Where the records stand now: after the first piece's record
        // (no field was read since it).
        let records = self.records.clone();
        let mut only = true;
        loop {
            match self.next_piece() {
                Some(piece) if piece.index == first.index => only = false,
                other => {
                    self.ahead = other;
                    break;
                }
            }
        }
        Some(Arg {
            index: first.index,
            only: only.then_some(first.value),
            from: (!only).then(|| ExecveFields {
                records,
                fields: Fields::new(first.rest),
            }),
        })
    }
}

/// The argument index of a piece key (`aN`, `aN[i]`), not `aN_len`.
fn piece_of(key: &[u8]) -> Option<u32> {
    ExecveArg::parse(key).filter(|a| !a.is_len).map(|a| a.index)
}

/// One argument: its value when it is one piece (the usual case), else
/// where its first piece is.
#[derive(Clone)]
pub struct Arg<'a> {
    index: u32,
    only: Option<Value<'a>>,
    from: Option<ExecveFields<'a>>,
}

impl<'a> Arg<'a> {
    /// The argument's length as the program saw it (hex decoded).
    pub fn decoded_len(&self) -> u64 {
        self.pieces().fold(0u64, |len, piece| {
            let text = piece.text().len() as u64;
            let piece_len = match piece {
                Value::Bare(hex) if looks_hex(hex) => text / 2,
                _ => text,
            };
            len.saturating_add(piece_len)
        })
    }

    #[cfg(test)]
    pub(super) fn pieces_for_test(&self) -> impl Iterator<Item = Value<'a>> {
        self.pieces()
    }

    #[cfg(test)]
    pub(super) fn index_for_test(&self) -> u32 {
        self.index
    }

    fn pieces(&self) -> impl Iterator<Item = Value<'a>> {
        let index = self.index;
        let several = self
            .from
            .clone()
            .into_iter()
            .flatten()
            .filter_map(|f| piece_of(f.key).map(|i| (i, f.value)))
            .take_while(move |&(i, _)| i == index)
            .map(|(_, value)| value);
        self.only.into_iter().chain(several)
    }
}

/// The arguments, comma-separated JSON strings, written as they are read
/// when every one is a single `aN` field of its own (the usual case): the
/// bytes the [`Args`] of the event and [`write_arg`] give for them, in one
/// pass. `None` (what was written is garbage: the caller unwinds it and
/// writes the arguments through [`Args`]) at the first piece of a split
/// argument (`aN[i]`), an index repeated next to itself (which [`Args`]
/// makes one argument), or when the room runs out.
pub fn write_single_args(c: &mut Cursor<'_>, event: &Event<'_>) -> Option<()> {
    let mut last = None;
    let execves = event
        .records()
        .filter(|r| r.msg_type == MessageType::EXECVE);
    for record in execves {
        let mut rest = record.body;
        loop {
            while let [b' ', tail @ ..] = rest {
                rest = tail;
            }
            if rest.is_empty() {
                break;
            }
            // The usual short argument: read and written from one look
            // at its text's sixteen bytes.
            if let Some((index, text, len, tail)) = short_quoted_arg(rest) {
                if last == Some(index) {
                    return None;
                }
                let comma = usize::from(last.is_some());
                let window = c.spare(comma + 17)?;
                if let Some(b) = window.first_mut() {
                    *b = b',';
                }
                *window.get_mut(comma)? = b'"';
                *window.get_mut(comma + 1..)?.first_chunk_mut::<16>()? = text;
                *window.get_mut(comma + 1 + len)? = b'"';
                c.advance(comma + len + 2);
                last = Some(index);
                rest = tail;
                continue;
            }
            // The usual field, `aN="text"`: its key read without a parse.
            let (arg, value) = match quoted_arg(rest) {
                Some((index, text, tail)) => {
                    rest = tail;
                    let arg = ExecveArg {
                        index,
                        part: None,
                        is_len: false,
                    };
                    (arg, Value::DoubleQuoted(text))
                }
                None => {
                    let mut fields = Fields::new(rest);
                    let Some(f) = fields.next_inlined() else {
                        break;
                    };
                    rest = fields.remainder();
                    let Some(arg) = ExecveArg::parse(f.key) else {
                        continue;
                    };
                    (arg, f.value)
                }
            };
            if arg.is_len {
                continue;
            }
            if arg.part.is_some() || last == Some(arg.index) {
                return None;
            }
            if last.is_some() {
                c.push(b",").ok()?;
            }
            last = Some(arg.index);
            match value {
                Value::Bare(hex) if looks_hex(hex) => c.push_hex_string(hex).ok()?,
                value => c.push_string(value.text()).ok()?,
            }
        }
    }
    Some(())
}

/// The field `aN="text"` (its quote closed) that `rest` starts with:
/// `N`, the text and the rest after the closing quote. What [`Fields`]
/// reads there (a double-quoted value) and [`ExecveArg::parse`] makes of
/// its key (a whole argument), without either; `None` for any other.
#[inline(always)]
fn quoted_arg(rest: &[u8]) -> Option<(u32, &[u8], &[u8])> {
    let [b'a', digits @ ..] = rest else {
        return None;
    };
    let (index, after) = leading_number(digits)?;
    let [b'=', b'"', inner @ ..] = after else {
        return None;
    };
    let close = find_byte(inner, b'"')?;
    let (text, quote) = inner.split_at_checked(close)?;
    Some((index, text, quote.get(1..)?))
}

/// The field `aN="text"` that `rest` starts with when its text needs no
/// escaping (printable ASCII but `\\`) and is at most fifteen bytes,
/// its quote closed, sixteen bytes or more before the body's end: `N`,
/// sixteen bytes from the text's start (the text and what follows), the
/// text's length and the rest after the quote; what [`quoted_arg`] reads
/// there, found by one look at the sixteen bytes (the first byte to
/// escape is the closing quote). `None` for any other field.
#[inline(always)]
fn short_quoted_arg(rest: &[u8]) -> Option<(u32, [u8; 16], usize, &[u8])> {
    let [b'a', digits @ ..] = rest else {
        return None;
    };
    let (index, after) = leading_number_inlined(digits)?;
    let [b'=', b'"', inner @ ..] = after else {
        return None;
    };
    // (Near the body's end: read as any other field.)
    let text = *inner.first_chunk::<16>()?;
    let (lo, hi) = text.split_at(8);
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
    // The lowest mark is exact: the first byte to escape.
    let (m_lo, m_hi) = (look_marks(word(lo)), look_marks(word(hi)));
    let len = if m_lo != 0 {
        (m_lo.trailing_zeros() / 8) as usize
    } else {
        8 + (m_hi.trailing_zeros() / 8) as usize
    };
    if text.get(len) != Some(&b'"') {
        return None;
    }
    Some((index, text, len, inner.get(len + 1..)?))
}

/// An argument as a JSON string, cut to `budget` escaped bytes
/// (`usize::MAX`: whole).
pub struct ArgValue<'r, 'a> {
    pub arg: &'r Arg<'a>,
    pub budget: usize,
}

impl Serialize for ArgValue<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.budget == usize::MAX {
            let mut pieces = self.arg.pieces();
            if let (Some(only), None) = (pieces.next(), pieces.next()) {
                return match only {
                    Value::Bare(hex) if looks_hex(hex) => Hex(hex).serialize(serializer),
                    value => Text(Lossy::new(value.text())).serialize(serializer),
                };
            }
        }
        serializer.collect_str(self)
    }
}

/// Writes a whole argument as a JSON string: the bytes [`ArgValue`] with
/// no budget serializes, written straight into the cursor. Pieces are
/// decoded into a stack buffer and escaped a buffer at a time; a
/// character split between two buffers (or pieces) is carried over whole,
/// so the text is exactly the lossy text of the joined argument.
pub fn write_arg(c: &mut Cursor<'_>, arg: &Arg<'_>) -> Result<(), Full> {
    match arg.only {
        Some(Value::Bare(hex)) if looks_hex(hex) => return c.push_hex_string(hex),
        Some(value) => return c.push_string(value.text()),
        None => {}
    }
    c.push(b"\"")?;
    let mut buf = [0u8; ARG_CHUNK];
    let mut held = 0usize;
    for piece in arg.pieces() {
        let (mut rest, hex) = match piece {
            Value::Bare(hex) if looks_hex(hex) => (hex, true),
            value => (value.text(), false),
        };
        while !rest.is_empty() {
            let room = buf.get_mut(held..).unwrap_or_default();
            let (take, filled) = if hex {
                let take = rest.len().min(room.len() * 2);
                // (The piece looked hex: its digits are not looked at again.)
                let n = decode_looked_hex(rest.get(..take).unwrap_or_default(), room).unwrap_or(0);
                (take, n)
            } else {
                let take = rest.len().min(room.len());
                room.get_mut(..take)
                    .unwrap_or_default()
                    .copy_from_slice(rest.get(..take).unwrap_or_default());
                (take, take)
            };
            rest = rest.get(take..).unwrap_or_default();
            held = held.saturating_add(filled).min(ARG_CHUNK);
            if held == ARG_CHUNK {
                // Escape all but an incomplete character at the end.
                let keep = incomplete_tail(&buf);
                let ready = ARG_CHUNK - keep;
                c.push_escaped(buf.get(..ready).unwrap_or_default())?;
                buf.copy_within(ready.., 0);
                held = keep;
            }
        }
    }
    c.push_escaped(buf.get(..held).unwrap_or_default())?;
    c.push(b"\"")
}

impl fmt::Display for ArgValue<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut stream = LossyStream::new(f, self.budget);
        for piece in self.arg.pieces() {
            match piece {
                Value::Bare(hex) if looks_hex(hex) => stream.push_hex(hex)?,
                value => stream.push(value.text())?,
            }
            if stream.spent() {
                break;
            }
        }
        stream.finish()
    }
}

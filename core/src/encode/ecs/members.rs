//! Writing JSON object members ([`Members`]: commas, keys, field values
//! as strings with hex decoded where the kernel encodes it).

use super::facts::present;
use super::process::Decimal;
use crate::encode::common::Text;
use crate::encode::cursor::{Cursor, Full};
use crate::encode::layout::{push_short_bare, Head, Layout};
use crate::encode::structured::value::{is_hex_field, Hex};
use crate::encode::text::Lossy;
use crate::record::{decode_looked_hex, looks_hex, Value};
use serde::ser::Serializer;
use serde::Serialize;

/// A field value as a JSON string: hex decoded where the kernel encodes
/// it, lossy UTF-8.
struct Str<'a> {
    key: &'a [u8],
    value: Value<'a>,
}

impl Serialize for Str<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Bare(text) if is_hex_field(self.key) && looks_hex(text) => {
                Hex(text).serialize(serializer)
            }
            value => Text(Lossy::new(value.text())).serialize(serializer),
        }
    }
}

/// Writes a field value as a JSON string straight into the cursor (the
/// same bytes as [`Str`] through serde-json-core, without its per-char
/// escaping): hex decoded on the stack when short, lossy UTF-8.
pub(super) fn write_str(c: &mut Cursor<'_>, key: &[u8], value: Value<'_>) -> Result<(), Full> {
    const SMALL: usize = 256;
    let text = value.text();
    let hex = is_hex(key, value);
    if hex && text.len() <= 2 * SMALL {
        let mut buf = [0u8; SMALL];
        // (`is_hex` looked at the digits.)
        let n = decode_looked_hex(text, &mut buf).ok_or(Full)?;
        c.push(b"\"")?;
        c.push_escaped(buf.get(..n).unwrap_or_default())?;
        return c.push(b"\"");
    }
    if hex {
        return c.serialize(&Str { key, value });
    }
    c.push_string(text)
}

/// `value` of the field `key` is hex the kernel encoded: written decoded.
/// (The value's length and first byte are looked at first: most values
/// are not hex, whatever their key.)
#[inline]
pub(super) fn is_hex(key: &[u8], value: Value<'_>) -> bool {
    matches!(value, Value::Bare(t) if maybe_hex(t) && is_hex_field(key) && looks_hex(t))
}

/// A cheap first test of [`looks_hex`]: not empty, even, starting with
/// an upper-case hex digit.
#[inline(always)]
fn maybe_hex(text: &[u8]) -> bool {
    text.len() & 1 == 0 && matches!(text.first(), Some(b'0'..=b'9' | b'A'..=b'F'))
}

/// Writes the members of one JSON object, commas between them.
pub(super) struct Members<'c, 'b> {
    cursor: &'c mut Cursor<'b>,
    first: bool,
}

impl<'c, 'b> Members<'c, 'b> {
    #[inline(always)]
    pub(super) fn open(cursor: &'c mut Cursor<'b>) -> Result<Members<'c, 'b>, Full> {
        cursor.push(b"{")?;
        Ok(Members {
            cursor,
            first: true,
        })
    }

    /// An object whose `{` (and members, unless `first`) are written.
    #[inline(always)]
    pub(super) fn resume(cursor: &'c mut Cursor<'b>, first: bool) -> Members<'c, 'b> {
        Members { cursor, first }
    }

    /// No member written yet.
    #[inline(always)]
    pub(super) fn is_first(&self) -> bool {
        self.first
    }

    /// `,"key":` (without the comma when first; `key` a literal, plain),
    /// in one room check; on failure nothing is written.
    #[inline(always)]
    pub(super) fn key(&mut self, key: &str) -> Result<&mut Cursor<'b>, Full> {
        let key = key.as_bytes();
        let comma = usize::from(!self.first);
        let len = comma + key.len() + 3;
        let window = self.cursor.spare(len).ok_or(Full)?;
        let (head, rest) = window.split_at_mut_checked(comma + 1).ok_or(Full)?;
        let (name, tail) = rest.split_at_mut_checked(key.len()).ok_or(Full)?;
        if let [comma @ .., quote] = head {
            *quote = b'"';
            if let Some(c) = comma.first_mut() {
                *c = b',';
            }
        }
        name.copy_from_slice(key);
        *tail.first_chunk_mut::<2>().ok_or(Full)? = *b"\":";
        self.cursor.advance(len);
        self.first = false;
        Ok(self.cursor)
    }

    #[inline(always)]
    pub(super) fn str(&mut self, key: &'static str, value: &str) -> Result<(), Full> {
        let first = core::mem::replace(&mut self.first, false);
        self.cursor.push_named(first, key, value.as_bytes())
    }

    #[inline(always)]
    pub(super) fn value(
        &mut self,
        key: &'static str,
        field_key: &[u8],
        value: Option<Value<'_>>,
    ) -> Result<(), Full> {
        match present(value) {
            Some(value) if !is_hex(field_key, value) => {
                let first = core::mem::replace(&mut self.first, false);
                self.cursor.push_named(first, key, value.text())
            }
            Some(value) => write_str(self.key(key)?, field_key, value),
            None => Ok(()),
        }
    }

    /// A record's own `key=value` (`?` and `(null)` left out), the key
    /// escaped as it came (a corrupt key stays visible, never breaks the
    /// JSON).
    #[inline(always)]
    pub(super) fn field(&mut self, key: &[u8], value: Value<'_>) -> Result<(), Full> {
        let Some(value) = present(Some(value)) else {
            return Ok(());
        };
        let first = core::mem::replace(&mut self.first, false);
        if !is_hex(key, value) {
            return self.cursor.push_member(first, key, value.text());
        }
        self.cursor.push_key(first, key)?;
        write_str(self.cursor, key, value)
    }

    /// [`field`](Self::field) of a key whose member's head is `head`.
    #[inline(always)]
    pub(super) fn headed(&mut self, head: &Head, key: &[u8], value: Value<'_>) -> Result<(), Full> {
        let Some(value) = present(Some(value)) else {
            return Ok(());
        };
        if head.hex && matches!(value, Value::Bare(t) if looks_hex(t)) {
            return self.field(key, value);
        }
        let first = core::mem::replace(&mut self.first, false);
        self.cursor.push_headed(first, head, value.text())
    }

    /// [`headed`](Self::headed) of the field whose value starts `after`
    /// (what follows its key's `=`), when short, bare and plain
    /// ([`push_short_bare`]): the value's length; `None` when nothing
    /// was written (any other value: the caller reads it as usual).
    #[inline(always)]
    pub(super) fn headed_short(&mut self, head: &Head, after: &[u8]) -> Option<usize> {
        let used = push_short_bare(self.cursor, self.first, head, after)?;
        self.first = false;
        Some(used)
    }

    /// The fields of `layout` from its `from`th key to before its `to`th
    /// that `rest` starts with, one space apart, each in its place and
    /// its value short, bare and plain ([`headed_short`](Self::headed_short)),
    /// written as members one after another without looking for their
    /// keys; stops at the first that is not so. Returns the place after
    /// the last written and the rest after it (from the space that ends
    /// it when the run stops there, else after that space).
    #[inline(always)]
    pub(super) fn headed_run<'r, const N: usize>(
        &mut self,
        layout: &Layout<N>,
        (from, to): (usize, usize),
        mut rest: &'r [u8],
    ) -> (usize, &'r [u8]) {
        let mut i = from;
        while i < to {
            let Some(e) = layout.expected(i).filter(|e| e.starts(rest)) else {
                break;
            };
            let after = rest.get(e.len..).unwrap_or_default();
            let Some(used) = self.headed_short(&e.head, after) else {
                break;
            };
            let tail = after.get(used..).unwrap_or_default();
            i += 1;
            match tail {
                [b' ', more @ ..] => rest = more,
                _ => return (i, tail),
            }
        }
        (i, rest)
    }

    /// Members spelled out whole (`,"key":"value",…`, JSON the caller
    /// wrote: copied as it is), their first comma left out when they are
    /// the object's first.
    #[inline(always)]
    pub(super) fn spelled(&mut self, members: &[u8]) -> Result<(), Full> {
        let first = core::mem::replace(&mut self.first, false);
        let members = if first {
            members.strip_prefix(b",").unwrap_or(members)
        } else {
            members
        };
        self.cursor.push(members)
    }

    #[inline(always)]
    pub(super) fn number(&mut self, key: &str, value: u64) -> Result<(), Full> {
        self.key(key)?.push_u64(value)
    }

    /// A number member: `value`'s text copied when it is already as
    /// `{}` writes it, else the number written.
    #[inline(always)]
    pub(super) fn decimal(&mut self, key: &str, value: Decimal<'_>) -> Result<(), Full> {
        match value {
            Decimal::Text(text) => self.key(key)?.push(text),
            Decimal::Value(n) => self.number(key, n),
        }
    }

    #[inline(always)]
    pub(super) fn close(self) -> Result<(), Full> {
        self.cursor.push(b"}")
    }
}

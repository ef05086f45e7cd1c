//! A record's fields as a JSON object: `{"key":"value",…}` in body order.
//!
//! - Quoted values lose their quotes; `(null)`, `?` and `(none)` are
//!   `null`.
//! - A bare, upper-case hex value of a field the kernel (or libaudit)
//!   hex-encodes when the text has spaces, quotes or control bytes
//!   ([`is_hex_field`]) is decoded; quoted values are never hex. `proctitle`
//!   is always an array: its NUL-separated arguments.
//! - A bare decimal value of a field the kernel writes as a decimal number
//!   ([`is_number_field`]: ids, pids, `syscall`, `exit`, counts) is a JSON
//!   number (`"pid":10884`, `"exit":-13`, `"auid":4294967295`); anything
//!   else in such a field (`"exit":"?"`-like text, leading zeros, more
//!   than 64 bits) stays a string.
//! - A single-quoted value (`msg='…'` of user-space records) is a nested
//!   object by the same rules, one level deep.
//! - Tokens without `=` (`avc:  denied  { read } for`) go into a `"text"`
//!   member, written last, with the spaces between neighbours kept (one
//!   space where fields came between). A real `text=` field joins them in
//!   body order rather than colliding: `auditctl -m` writes
//!   `msg='text=hello  big world exe=…'`, which gives
//!   `"text":"hello  big world"` (inside a user message `text=` runs to
//!   ` exe=`: see `record::fields`).
//! - A key seen before in the same object is left out and counted
//!   ([`FieldsObject::duplicates`]): the first value wins, the JSON has no
//!   duplicate keys. (Rare: one in the shared corpus' 2,400 live records,
//!   none but the old `LOGIN` form `old auid=… new auid=…` elsewhere.)
//!
//! Values go through [`Text`] (lossy UTF-8, serde-json-core escaping).

use core::cell::Cell;
use core::fmt;

use serde::ser::Serializer;
use serde::Serialize;

use super::stream::HexStream;
use crate::encode::common::Text;
use crate::encode::cursor::{Cursor, Full};
use crate::encode::id_fields::{id_field, ID_FIELDS};
use crate::encode::keys::KeySet;
use crate::encode::text::Lossy;
use crate::record::{decode_hex, looks_hex, Field, Value};

/// Fields whose bare values are hex: the kernel's untrusted strings
/// (`audit_log_untrustedstring`: paths, names, keys, commands, AppArmor's
/// profile, SELinux's `invalid_context`), TTY data, the process title,
/// and user space's `audit_encode_nv_string` fields (accounts, groups,
/// libvirt's devices and machines, rpm's software): every field
/// auparse's type table (`typetab.h`) reads as an encoded string.
/// Sorted; what [`is_hex_field`] matches (the table for its test).
#[cfg(test)]
pub const HEX_FIELDS: &[&[u8]] = &[
    b"acct",
    b"apparmor",
    b"cgroup",
    b"cmd",
    b"comm",
    b"cwd",
    b"data",
    b"denied_mask",
    b"device",
    b"dir",
    b"exe",
    b"file",
    b"grp",
    b"info",
    b"invalid_context",
    b"key",
    b"name",
    b"new-chardev",
    b"new-disk",
    b"new-fs",
    b"new-net",
    b"new-rng",
    b"new_group",
    b"ocomm",
    b"old-chardev",
    b"old-disk",
    b"old-fs",
    b"old-net",
    b"old-rng",
    b"operation",
    b"path",
    b"proctitle",
    b"profile",
    b"requested_mask",
    b"root_dir",
    b"sw",
    b"vm",
    b"watch",
];

/// Fields whose bare values the kernel (or libaudit's user-space
/// records) writes as decimal numbers (`%d`, `%u`, `from_kuid`, …):
/// every id field of [`ID_FIELDS`] among them (a test says so), so
/// `"iuid"` or a user message's `"id"` is a number as `"uid"` is.
/// Sorted; what [`is_number_field`] matches (the table for its test).
#[cfg(test)]
pub const NUMBER_FIELDS: &[&[u8]] = &[
    b"argc",
    b"auid",
    b"egid",
    b"entries",
    b"euid",
    b"exit",
    b"family",
    b"fsgid",
    b"fsuid",
    b"gid",
    b"id",
    b"igid",
    b"inode",
    b"inode_gid",
    b"inode_uid",
    b"items",
    b"iuid",
    b"new_gid",
    b"oauid",
    b"obj_gid",
    b"obj_uid",
    b"ogid",
    b"old-auid",
    b"old-ses",
    b"opid",
    b"ouid",
    b"pid",
    b"ppid",
    b"sauid",
    b"ses",
    b"sgid",
    b"sig",
    b"suid",
    b"syscall",
    b"uid",
];

/// `key` is in `HEX_FIELDS`: a `match` on the bytes, cheaper than a
/// search of the table per field (a test holds the two together).
pub const fn is_hex_field(key: &[u8]) -> bool {
    matches!(
        key,
        b"acct"
            | b"apparmor"
            | b"cgroup"
            | b"cmd"
            | b"comm"
            | b"cwd"
            | b"data"
            | b"denied_mask"
            | b"device"
            | b"dir"
            | b"exe"
            | b"file"
            | b"grp"
            | b"info"
            | b"invalid_context"
            | b"key"
            | b"name"
            | b"new-chardev"
            | b"new-disk"
            | b"new-fs"
            | b"new-net"
            | b"new-rng"
            | b"new_group"
            | b"ocomm"
            | b"old-chardev"
            | b"old-disk"
            | b"old-fs"
            | b"old-net"
            | b"old-rng"
            | b"operation"
            | b"path"
            | b"proctitle"
            | b"profile"
            | b"requested_mask"
            | b"root_dir"
            | b"sw"
            | b"vm"
            | b"watch"
    )
}

/// `key` is in `NUMBER_FIELDS` (a `match`, as [`is_hex_field`]).
pub fn is_number_field(key: &[u8]) -> bool {
    matches!(
        key,
        b"argc"
            | b"auid"
            | b"egid"
            | b"entries"
            | b"euid"
            | b"exit"
            | b"family"
            | b"fsgid"
            | b"fsuid"
            | b"gid"
            | b"id"
            | b"igid"
            | b"inode"
            | b"inode_gid"
            | b"inode_uid"
            | b"items"
            | b"iuid"
            | b"new_gid"
            | b"oauid"
            | b"obj_gid"
            | b"obj_uid"
            | b"ogid"
            | b"old-auid"
            | b"old-ses"
            | b"opid"
            | b"ouid"
            | b"pid"
            | b"ppid"
            | b"sauid"
            | b"ses"
            | b"sgid"
            | b"sig"
            | b"suid"
            | b"syscall"
            | b"uid"
    )
}

/// Decoded values up to this size are escaped on the stack in one go;
/// larger ones stream through `collect_str`.
const SMALL_DECODED: usize = 512;
/// Name of the member holding the tokens without `=`.
const TEXT: &[u8] = b"text";

/// Values of one record that `interpreted` is computed from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Noted<'a> {
    pub arch: Option<&'a [u8]>,
    pub syscall: Option<&'a [u8]>,
    pub exit: Option<&'a [u8]>,
    pub saddr: Option<&'a [u8]>,
    pub mode: Option<&'a [u8]>,
    pub capability: Option<&'a [u8]>,
    /// `pid` and `ppid`, for the caller's process identities.
    pub pid: Option<&'a [u8]>,
    pub ppid: Option<&'a [u8]>,
    /// Values of the id fields, the record's own then its `msg='…'`'s
    /// (the first of each key), in [`ID_FIELDS`] order.
    pub ids: [Option<&'a [u8]>; ID_FIELDS.len()],
}

/// The fields of `fields` (any iterator over one body's fields, or the
/// non-argument fields of EXECVE records) as a JSON object.
pub struct FieldsObject<'a, I> {
    pub fields: I,
    /// Nested objects (single-quoted values) are made at depth 0 only.
    pub depth: u8,
    /// Keys left out because they were seen before (this object and nested
    /// ones).
    pub duplicates: &'a Cell<u32>,
}

impl<'a, I> FieldsObject<'a, I>
where
    I: Iterator<Item = Field<'a>> + Clone,
{
    /// Writes the object straight into the cursor: the bytes
    /// serde-json-core would write for it as a map, without its per-char
    /// strings.
    /// `noted` gets the values `interpreted` reads (of a nested object,
    /// the ids only).
    pub fn write(&self, c: &mut Cursor<'_>, mut noted: Option<&mut Noted<'a>>) -> Result<(), Full> {
        c.push(b"{")?;
        let mut first = true;
        let mut seen = KeySet::default();
        let mut free_tokens = false;
        for (at, field) in self.fields.clone().enumerate() {
            if field.value == Value::Absent || field.key == TEXT {
                free_tokens = true;
                continue;
            }
            let before = seen.add(field.key, || {
                self.fields
                    .clone()
                    .take(at)
                    .any(|f| f.value != Value::Absent && f.key == field.key)
            });
            if before {
                self.duplicates.set(self.duplicates.get().saturating_add(1));
                continue;
            }
            if let Some(noted) = noted.as_deref_mut() {
                if self.depth == 0 {
                    note(noted, field);
                } else {
                    note_id(noted, field);
                }
            }
            self.write_member(c, first, field, noted.as_deref_mut())?;
            first = false;
        }
        if free_tokens {
            c.push_key(first, TEXT)?;
            c.push_display(&FreeText(self.fields.clone()))?;
        }
        c.push(b"}")
    }

    /// Writes `,"key":value` (no comma when `first`): a value kept as
    /// text in one member copy, any other after its key; a nested
    /// object's ids into `noted`.
    fn write_member(
        &self,
        c: &mut Cursor<'_>,
        first: bool,
        field: Field<'a>,
        noted: Option<&mut Noted<'a>>,
    ) -> Result<(), Full> {
        let key = field.key;
        let text = match field.value {
            Value::Null | Value::Unknown | Value::NoneLiteral | Value::Absent => {
                c.push_key(first, key)?;
                return c.push(b"null");
            }
            Value::SingleQuoted(inner) if self.depth == 0 => {
                c.push_key(first, key)?;
                return FieldsObject {
                    fields: crate::record::Fields::user_message(inner),
                    depth: self.depth + 1,
                    duplicates: self.duplicates,
                }
                .write(c, noted);
            }
            Value::Bare(text) if key == b"proctitle" && looks_hex(text) => {
                c.push_key(first, key)?;
                return write_proctitle(c, text);
            }
            Value::Bare(text) | Value::DoubleQuoted(text) if key == b"proctitle" => {
                c.push_key(first, key)?;
                c.push(b"[")?;
                c.push_string(text)?;
                return c.push(b"]");
            }
            Value::Bare(text) if is_hex_field(key) && looks_hex(text) => {
                c.push_key(first, key)?;
                return c.push_hex_string(text);
            }
            Value::Bare(text) if is_number_field(key) => match Decimal::parse(text) {
                Some(Decimal::Unsigned(n)) => {
                    c.push_key(first, key)?;
                    return c.push_u64(n);
                }
                Some(Decimal::Negative(n)) => {
                    c.push_key(first, key)?;
                    if n < 0 {
                        c.push(b"-")?;
                    }
                    return c.push_u64(n.unsigned_abs());
                }
                None => text,
            },
            Value::Bare(text) | Value::DoubleQuoted(text) | Value::SingleQuoted(text) => text,
        };
        // Key and text as one member (the bytes of the key, then the
        // string, with one room check when both are short and plain).
        c.push_member(first, key, text)
    }
}

/// Notes a field of a record's own that `interpreted` reads.
fn note<'a>(n: &mut Noted<'a>, field: Field<'a>) {
    let Value::Bare(text) = field.value else {
        return;
    };
    match field.key {
        b"arch" => n.arch = Some(text),
        b"syscall" => n.syscall = Some(text),
        b"exit" => n.exit = Some(text),
        b"saddr" => n.saddr = Some(text),
        b"mode" => n.mode = Some(text),
        b"capability" => n.capability = Some(text),
        b"pid" => n.pid = n.pid.or(Some(text)),
        b"ppid" => n.ppid = n.ppid.or(Some(text)),
        key => note_id_at(n, id_field(key), text),
    }
}

/// Notes the value of an id field (the first of its key).
#[inline(always)]
fn note_id<'a>(n: &mut Noted<'a>, field: Field<'a>) {
    if let Value::Bare(text) = field.value {
        note_id_at(n, id_field(field.key), text);
    }
}

/// Notes `text` as the value of id field `at`, unless one came first.
#[inline(always)]
fn note_id_at<'a>(n: &mut Noted<'a>, at: Option<usize>, text: &'a [u8]) {
    if let Some(slot) = at.and_then(|at| n.ids.get_mut(at)) {
        *slot = slot.or(Some(text));
    }
}

/// A decimal number as the kernel writes one: an optional `-`, then
/// digits without a leading zero (but `0`), within 64 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decimal {
    Unsigned(u64),
    Negative(i64),
}

impl Decimal {
    pub fn parse(text: &[u8]) -> Option<Decimal> {
        let (negative, digits) = match text.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, text),
        };
        let leading_zero = digits.len() > 1 && digits.first() == Some(&b'0');
        if digits.is_empty() || leading_zero || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let magnitude = digits.iter().try_fold(0u64, |acc, &d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })?;
        if negative {
            // -0 is 0; i64::MIN's magnitude is one more than i64::MAX.
            let n = 0i64.checked_sub_unsigned(magnitude)?;
            Some(Decimal::Negative(n))
        } else {
            Some(Decimal::Unsigned(magnitude))
        }
    }
}

/// A hex string as the JSON string of what it encodes, lossily.
pub struct Hex<'a>(pub &'a [u8]);

impl Serialize for Hex<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; SMALL_DECODED];
        match decode_hex(self.0, &mut buf) {
            Ok(n) => Text(Lossy::new(buf.get(..n).unwrap_or_default())).serialize(serializer),
            Err(_) => serializer.collect_str(&HexStream(self.0)),
        }
    }
}

/// `proctitle` as an array: hex split at its NUL bytes (a `00` at an even
/// offset). A NUL at the very end makes no empty last element.
fn write_proctitle(c: &mut Cursor<'_>, hex: &[u8]) -> Result<(), Full> {
    c.push(b"[")?;
    let mut rest = hex;
    let mut first = true;
    while !rest.is_empty() {
        let nul = rest
            .chunks_exact(2)
            .position(|pair| pair == b"00")
            .map_or(rest.len(), |i| i * 2);
        if !first {
            c.push(b",")?;
        }
        first = false;
        c.push_hex_string(rest.get(..nul).unwrap_or_default())?;
        rest = rest.get(nul + 2..).unwrap_or_default();
    }
    c.push(b"]")
}

/// The tokens without `=` and the values of `text=` fields, in body
/// order, joined by single spaces.
struct FreeText<I>(I);

impl<'a, I: Iterator<Item = Field<'a>> + Clone> Serialize for FreeText<I> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'a, I: Iterator<Item = Field<'a>> + Clone> fmt::Display for FreeText<I> {
    /// Words that follow each other in the body keep the spaces between
    /// them (`avc:  received`); words with fields between them are joined
    /// by one space.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // End address of the previous token without `=`, while nothing
        // else came after it.
        let mut run_end: Option<usize> = None;
        let mut first = true;
        for field in self.0.clone() {
            let word = match field.value {
                Value::Absent => field.key,
                value if field.key == TEXT => value.text(),
                _ => {
                    run_end = None;
                    continue;
                }
            };
            if !first {
                let start = word.as_ptr() as usize;
                let gap = match run_end {
                    // Only spaces separate two tokens of one body.
                    Some(end) if field.value == Value::Absent && start > end => start - end,
                    _ => 1,
                };
                for _ in 0..gap {
                    f.write_str(" ")?;
                }
            }
            first = false;
            fmt::Display::fmt(&Lossy::new(word), f)?;
            run_end = (field.value == Value::Absent)
                .then(|| (word.as_ptr() as usize).saturating_add(word.len()));
        }
        Ok(())
    }
}

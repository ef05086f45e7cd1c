//! A record's fields as a JSON object: `{"key":"value",…}` in body order.
//!
//! - Quoted values lose their quotes; `(null)`, `?` and `(none)` are
//!   `null`.
//! - A bare, upper-case hex value of a field the kernel (or libaudit)
//!   hex-encodes when the text has spaces, quotes or control bytes
//!   ([`HEX_FIELDS`]) is decoded; quoted values are never hex. `proctitle`
//!   is always an array: its NUL-separated arguments.
//! - A bare decimal value of a field the kernel writes as a decimal number
//!   ([`NUMBER_FIELDS`]: ids, pids, `syscall`, `exit`, counts) is a JSON
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

use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

use super::stream::HexStream;
use crate::encode::common::Text;
use crate::encode::text::Lossy;
use crate::record::{decode_hex, looks_hex, Field, Value};

/// Fields whose bare values are hex: the kernel's untrusted strings
/// (`audit_log_untrustedstring`: paths, names, keys, commands), TTY data,
/// the process title, and user space's `audit_encode_nv_string` fields.
/// Sorted.
pub const HEX_FIELDS: &[&[u8]] = &[
    b"acct",
    b"cmd",
    b"comm",
    b"cwd",
    b"data",
    b"dir",
    b"exe",
    b"file",
    b"grp",
    b"key",
    b"name",
    b"ocomm",
    b"path",
    b"proctitle",
    b"root_dir",
    b"watch",
];

/// Fields whose bare values the kernel (or libaudit's user-space
/// records) writes as decimal numbers (`%d`, `%u`, `from_kuid`, …).
/// Sorted.
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
    b"inode",
    b"items",
    b"oauid",
    b"ogid",
    b"old-auid",
    b"old-ses",
    b"opid",
    b"ouid",
    b"pid",
    b"ppid",
    b"ses",
    b"sgid",
    b"sig",
    b"suid",
    b"syscall",
    b"uid",
];

/// Decoded values up to this size are escaped on the stack in one go;
/// larger ones stream through `collect_str`.
const SMALL_DECODED: usize = 512;
/// Keys remembered for the duplicate check; objects with more keys are
/// checked by scanning the fields again.
const SEEN_KEYS: usize = 64;
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
    /// Values of the user-id fields, in [`UID_FIELDS`](super::interpret::UID_FIELDS) order.
    pub uids: [Option<&'a [u8]>; super::interpret::UID_FIELDS.len()],
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
    /// Where to note `arch`, `syscall` and `exit` (top level only).
    pub noted: Option<&'a Cell<Noted<'a>>>,
}

impl<'a, I> Serialize for FieldsObject<'a, I>
where
    I: Iterator<Item = Field<'a>> + Clone,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let mut seen = Seen::default();
        let mut free_tokens = false;
        for (at, field) in self.fields.clone().enumerate() {
            if field.value == Value::Absent || field.key == TEXT {
                free_tokens = true;
                continue;
            }
            if seen.check(field.key, || {
                self.fields
                    .clone()
                    .take(at)
                    .any(|f| f.value != Value::Absent && f.key == field.key)
            }) {
                self.duplicates.set(self.duplicates.get().saturating_add(1));
                continue;
            }
            if let Some(noted) = self.noted {
                note(noted, field);
            }
            map.serialize_key(&Text(Lossy::new(field.key)))?;
            map.serialize_value(&FieldValue {
                field,
                depth: self.depth,
                duplicates: self.duplicates,
            })?;
        }
        if free_tokens {
            map.serialize_entry("text", &FreeText(self.fields.clone()))?;
        }
        map.end()
    }
}

fn note<'a>(noted: &Cell<Noted<'a>>, field: Field<'a>) {
    let mut n = noted.get();
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
        key => {
            let Some(at) = super::interpret::uid_field(key) else {
                return;
            };
            if let Some(slot) = n.uids.get_mut(at) {
                *slot = slot.or(Some(text));
            }
        }
    }
    noted.set(n);
}

/// Keys already written to one object: a small list plus a 64-bit filter
/// that skips the list for most keys.
#[derive(Default)]
struct Seen<'a> {
    keys: heapless::Vec<&'a [u8], SEEN_KEYS>,
    filter: u64,
    overflowed: bool,
}

impl<'a> Seen<'a> {
    /// True when `key` was seen (`rescan` answers once the list is full);
    /// otherwise remembers it.
    fn check(&mut self, key: &'a [u8], rescan: impl FnOnce() -> bool) -> bool {
        let first = key.first().copied().unwrap_or(0);
        let last = key.last().copied().unwrap_or(0);
        let bit = 1u64 << ((usize::from(first) ^ (usize::from(last) << 2) ^ key.len()) & 63);
        let maybe = self.filter & bit != 0;
        self.filter |= bit;
        if self.overflowed {
            return maybe && rescan();
        }
        if maybe && self.keys.contains(&key) {
            return true;
        }
        if self.keys.push(key).is_err() {
            self.overflowed = true;
            return maybe && rescan();
        }
        false
    }
}

struct FieldValue<'a> {
    field: Field<'a>,
    depth: u8,
    duplicates: &'a Cell<u32>,
}

impl Serialize for FieldValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let key = self.field.key;
        match self.field.value {
            Value::Null | Value::Unknown | Value::NoneLiteral | Value::Absent => {
                serializer.serialize_none()
            }
            Value::SingleQuoted(inner) if self.depth == 0 => FieldsObject {
                fields: crate::record::Fields::user_message(inner),
                depth: self.depth + 1,
                duplicates: self.duplicates,
                noted: None,
            }
            .serialize(serializer),
            Value::Bare(text) if key == b"proctitle" && looks_hex(text) => {
                Proctitle(Some(text), None).serialize(serializer)
            }
            Value::Bare(text) | Value::DoubleQuoted(text) if key == b"proctitle" => {
                Proctitle(None, Some(text)).serialize(serializer)
            }
            Value::Bare(text) if looks_hex(text) && HEX_FIELDS.binary_search(&key).is_ok() => {
                Hex(text).serialize(serializer)
            }
            Value::Bare(text) if NUMBER_FIELDS.binary_search(&key).is_ok() => {
                match Decimal::parse(text) {
                    Some(Decimal::Unsigned(n)) => serializer.serialize_u64(n),
                    Some(Decimal::Negative(n)) => serializer.serialize_i64(n),
                    None => Text(Lossy::new(text)).serialize(serializer),
                }
            }
            Value::Bare(text) | Value::DoubleQuoted(text) | Value::SingleQuoted(text) => {
                Text(Lossy::new(text)).serialize(serializer)
            }
        }
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
/// offset), or a quoted title as its only element. A NUL at the very end
/// makes no empty last element.
struct Proctitle<'a>(Option<&'a [u8]>, Option<&'a [u8]>);

impl Serialize for Proctitle<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        if let Some(text) = self.1 {
            seq.serialize_element(&Text(Lossy::new(text)))?;
        }
        let mut rest = self.0.unwrap_or_default();
        while !rest.is_empty() {
            let nul = rest
                .chunks_exact(2)
                .position(|pair| pair == b"00")
                .map_or(rest.len(), |i| i * 2);
            seq.serialize_element(&Hex(rest.get(..nul).unwrap_or_default()))?;
            rest = rest.get(nul + 2..).unwrap_or_default();
        }
        seq.end()
    }
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

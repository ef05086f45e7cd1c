//! The ECS shape (`raudit.format: ecs`): the document Auditbeat's auditd
//! module writes, so that Elastic dashboards and detection rules keep
//! working when raudit replaces Auditbeat. One JSON object per event:
//!
//! ```text
//! {"@timestamp":"2025-03-14T20:13:15.885Z",
//!  "event":{"module":"auditd","kind":"event","category":["file"],"type":["creation"],
//!           "action":"linked","outcome":"failure"},
//!  "auditd":{"message_type":"syscall","sequence":240,"result":"fail","session":"3",
//!            "summary":{"actor":{"primary":"1000","secondary":"0"},"action":"linked",
//!                       "object":{"type":"file","primary":"/x"},"how":"/home/ubuntu/link"},
//!            "data":{"a0":"ffffffffffffff9c",…,"arch":"aarch64","exit":"EFAULT",
//!                    "syscall":"linkat","tty":"pts1"},
//!            "paths":[{"name":"/x","nametype":"NORMAL",…}]},
//!  "user":{"id":"0","name":"root","group":{"id":"0"},"effective":{"id":"0",…},
//!          "audit":{"id":"1000","name":"alice"},"selinux":{"user":"unconfined"}},
//!  "process":{"pid":15200,"parent":{"pid":6099},"name":"link",
//!             "executable":"/home/ubuntu/link","title":"link a b","args":["link","a","b"],
//!             "working_directory":"/home/ubuntu"},
//!  "file":{"path":"/x","device":"00:00","inode":"16571","mode":"0755","uid":"0","gid":"0"},
//!  "destination":{"ip":"10.0.0.1","port":443},"network":{"direction":"egress"},
//!  "tags":["syscalls_link_operations"],
//!  "container":{"id":"3f…"},
//!  "host":{"name":"web-1"}}
//! ```
//!
//! The normalisation (`summary`, `event.category/type/action`) follows
//! go-libaudit's `aucoalesce` for the syscalls and record types in
//! [`norm`]; the members follow Auditbeat's `audit_linux.go` mapping:
//! `user.*` from the id fields (unset ids, 4294967295, left out; names from
//! the caller's uid lookup), `process.*` from SYSCALL, CWD, PROCTITLE and
//! EXECVE, `file.*` from the PATH record the summary names, `source` /
//! `destination` from an inet SOCKADDR (or a user record's `addr`), `tags`
//! from the rule key (several keys, `\x01`-separated, are several tags).
//! `auditd.data` holds the primary record's other fields as strings, with
//! `arch`, `syscall` and a negative `exit` named, and a user-space
//! record's `msg='…'` fields flattened in. Hex-encoded values are decoded,
//! invalid UTF-8 written as U+FFFD.
//!
//! When the whole document does not fit its room, it is written again
//! with less, each time saying `"truncated":true` (no middle cut of the
//! arguments as in the other shapes): without `process.args`,
//! `process.title`, `auditd.data` and `auditd.paths`; then only the
//! members whose length does not depend on the event's text (`event.*`,
//! `auditd.{message_type,sequence,result,session}`, the user ids and
//! pids that are short decimals); then `@timestamp` and `auditd.sequence`
//! alone, which fit [`MIN_BUFFER`] whatever the event. So any room from
//! `MIN_BUFFER` up gets a marked document, never nothing; a smaller one
//! gets nothing (`len` 0). Nothing here panics or allocates.

mod index;
mod norm;
mod time;

use serde::ser::Serializer;
use serde::Serialize;

use self::index::Index;
use self::norm::{Direction, Norm, Object};
use super::common::Text;
use super::cursor::{Cursor, Full};
use super::keys::KeySet;
use super::sockaddr::{self as saddr, SOCKADDR_MAX};
use super::structured::execve::{write_arg, Args};
use super::structured::value::{is_hex_field, Hex};
use super::text::Lossy;
use super::uids::UidValues;
use super::{Encoded, Enrich, MIN_BUFFER};
use crate::assemble::{Event, EventRecord};
use crate::record::sockaddr::SockAddr;
use crate::record::{decode_hex, field, looks_hex, Field, Fields, Value};
use crate::tables::arch::Arch;
use crate::tables::errno;
use crate::tables::syscall::Syscall;
use crate::wire::MessageType;

/// The uid value the kernel writes for "not set".
const UNSET: &[u8] = b"4294967295";
/// Longest proctitle decoded for `process.title` (the kernel logs 128).
const TITLE_MAX: usize = 512;

/// Fields of the primary record that go elsewhere than `auditd.data`,
/// sorted: what [`is_moved`] matches (a test holds them together).
#[cfg(test)]
const MOVED: &[&[u8]] = &[
    b"addr", b"auid", b"comm", b"egid", b"euid", b"exe", b"fsgid", b"fsuid", b"gid", b"key",
    b"msg", b"pid", b"ppid", b"res", b"ses", b"sgid", b"subj", b"success", b"suid", b"uid",
];

/// Encodes `event` in the ECS shape into `out` (no trailing newline).
/// Same contract as [`go_audit`](fn@super::go_audit) (a marked document
/// in any room of at least [`MIN_BUFFER`]), but an event too large for
/// `out` loses its arguments, title, data and paths as a whole, then
/// every member of unbounded length (`"truncated":true`), not a middle
/// cut of its arguments.
pub fn ecs(event: &Event<'_>, enrich: &mut impl Enrich, out: &mut [u8]) -> Encoded {
    attempt(event, enrich, out, &Detail::ALL).unwrap_or(Encoded {
        len: 0,
        truncated: true,
        cut: None,
    })
}

/// The whole document, or `None` when it does not fit `out`.
pub(super) fn whole(
    event: &Event<'_>,
    enrich: &mut impl Enrich,
    out: &mut [u8],
) -> Option<Encoded> {
    attempt(event, enrich, out, &[Detail::Whole])
}

fn attempt(
    event: &Event<'_>,
    enrich: &mut impl Enrich,
    out: &mut [u8],
    details: &[Detail],
) -> Option<Encoded> {
    if out.len() < MIN_BUFFER {
        return None;
    }
    let uids = match enrich.uid_scanner() {
        Some(scanner) => scanner.scan_event(event),
        None => UidValues::of_event(event),
    };
    enrich.prepare(event, &uids);
    let enrich = &*enrich;
    let mut index = Index::default();
    index.fill(event, |t| {
        matches!(
            t,
            MessageType::SYSCALL
                | MessageType::PATH
                | MessageType::CWD
                | MessageType::PROCTITLE
                | MessageType::SOCKADDR
        ) || !is_auxiliary(t)
    });
    let facts = Facts::of(event, &index);
    let missing = event.dropped_records() > 0 || uids.overflowed;
    for &detail in details {
        let mut cursor = Cursor::new(out);
        let truncated = missing || detail != Detail::Whole;
        let doc = match detail {
            Detail::Whole | Detail::Outline => write_document(
                &mut cursor,
                (event, &index),
                &facts,
                enrich,
                detail,
                truncated,
            ),
            Detail::Bounded | Detail::Bare => write_bounded(&mut cursor, event, &facts, detail),
        };
        if doc.is_ok() {
            return Some(Encoded {
                len: cursor.pos(),
                truncated,
                cut: None,
            });
        }
    }
    None
}

/// How much of the document an attempt writes, most first; each level
/// after `Whole` is marked `"truncated":true` and tried only when the one
/// before it did not fit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Detail {
    Whole,
    /// Without arguments, title, data and paths.
    Outline,
    /// Only members whose length does not depend on the event's text
    /// ([`write_bounded`]): what a long exe, key, cwd or name leaves.
    Bounded,
    /// `@timestamp`, `auditd.sequence`, `redacted`, `truncated`: fits
    /// [`MIN_BUFFER`] whatever the event ([`BARE_MAX`]).
    Bare,
}

impl Detail {
    const ALL: [Detail; 4] = [
        Detail::Whole,
        Detail::Outline,
        Detail::Bounded,
        Detail::Bare,
    ];
}

/// What one pass over the records found.
#[derive(Clone, Copy, Default)]
struct Facts<'a> {
    /// The SYSCALL record, else the first record.
    primary: Option<EventRecord<'a>>,
    is_syscall: bool,
    /// Beside a SYSCALL record, the first record that says what the event
    /// is (AVC, ANOM_PROMISCUOUS, TIME_INJOFFSET, NETFILTER_CFG, …): its
    /// type names the event and its fields join `auditd.data`.
    special: Option<EventRecord<'a>>,
    syscall: Option<&'static str>,
    arch: Option<Arch>,
    cwd: Option<Value<'a>>,
    proctitle: Option<Value<'a>>,
    saddr: Option<&'a [u8]>,
    has_execve: bool,
    argc: Option<Value<'a>>,
    paths: u32,
    /// The PATH record the summary names: the first that is not a PARENT.
    object_path: Option<&'a [u8]>,
    /// That record's `name`.
    object_name: Option<Value<'a>>,
    /// The primary record's values of [`KEYS`] (first occurrence, the
    /// body's before its `msg='…'`'s), found in one pass.
    known: [Option<Value<'a>>; KEYS.len()],
}

/// The primary record's fields the document reads, sorted: looked up
/// once per event instead of a scan per use.
const KEYS: [&[u8]; 26] = [
    b"a0",
    b"acct",
    b"addr",
    b"auid",
    b"comm",
    b"cwd",
    b"egid",
    b"euid",
    b"exe",
    b"fsgid",
    b"fsuid",
    b"gid",
    b"hostname",
    b"id",
    b"key",
    b"old-auid",
    b"pid",
    b"ppid",
    b"res",
    b"ses",
    b"sgid",
    b"subj",
    b"success",
    b"suid",
    b"terminal",
    b"uid",
];

/// The index of `key` in [`KEYS`] (a `match`: cheaper than a search; a
/// test checks it against the array). Always inlined: most callers
/// name a constant key, which folds to its slot.
#[inline(always)]
fn slot_of(key: &[u8]) -> Option<usize> {
    Some(match key {
        b"a0" => 0,
        b"acct" => 1,
        b"addr" => 2,
        b"auid" => 3,
        b"comm" => 4,
        b"cwd" => 5,
        b"egid" => 6,
        b"euid" => 7,
        b"exe" => 8,
        b"fsgid" => 9,
        b"fsuid" => 10,
        b"gid" => 11,
        b"hostname" => 12,
        b"id" => 13,
        b"key" => 14,
        b"old-auid" => 15,
        b"pid" => 16,
        b"ppid" => 17,
        b"res" => 18,
        b"ses" => 19,
        b"sgid" => 20,
        b"subj" => 21,
        b"success" => 22,
        b"suid" => 23,
        b"terminal" => 24,
        b"uid" => 25,
        _ => return None,
    })
}

/// `key` is in [`MOVED`] (a `match`; a test checks it against the array).
fn is_moved(key: &[u8]) -> bool {
    matches!(
        key,
        b"addr"
            | b"auid"
            | b"comm"
            | b"egid"
            | b"euid"
            | b"exe"
            | b"fsgid"
            | b"fsuid"
            | b"gid"
            | b"key"
            | b"msg"
            | b"pid"
            | b"ppid"
            | b"res"
            | b"ses"
            | b"sgid"
            | b"subj"
            | b"success"
            | b"suid"
            | b"uid"
    )
}

impl<'a> Facts<'a> {
    fn of(event: &Event<'a>, index: &Index<'a>) -> Facts<'a> {
        let mut f = Facts::default();
        for record in event.records() {
            match record.msg_type {
                MessageType::SYSCALL if !f.is_syscall => {
                    f.primary = Some(record);
                    f.is_syscall = true;
                }
                MessageType::CWD => f.cwd = f.cwd.or(index.field(record.body, b"cwd")),
                MessageType::PROCTITLE => {
                    f.proctitle = f.proctitle.or(index.field(record.body, b"proctitle"));
                }
                MessageType::SOCKADDR => {
                    if let Some(Value::Bare(hex)) = index.field(record.body, b"saddr") {
                        f.saddr = f.saddr.or(Some(hex));
                    }
                }
                MessageType::EXECVE => {
                    f.has_execve = true;
                    f.argc = f.argc.or(field(record.body, b"argc"));
                }
                MessageType::PATH => {
                    f.paths = f.paths.saturating_add(1);
                    let nametype = index.field(record.body, b"nametype");
                    let parent = matches!(nametype, Some(v) if v.text() == b"PARENT");
                    if f.object_path.is_none() && !parent {
                        f.object_path = Some(record.body);
                        f.object_name = index.field(record.body, b"name");
                    }
                }
                t if f.special.is_none() && !is_auxiliary(t) => f.special = Some(record),
                _ => {}
            }
            if f.primary.is_none() {
                f.primary = Some(record);
            }
        }
        let body = f.body();
        let mut nested = None;
        for field in index.fields(body) {
            if field.key == b"msg" {
                if let Value::SingleQuoted(inner) = field.value {
                    nested = nested.or(Some(inner));
                }
            }
            f.note(field);
        }
        for field in Fields::new(nested.unwrap_or_default()) {
            f.note(field);
        }
        if !f.is_syscall {
            // The first record is the primary one, not special.
            f.special = None;
            f.cwd = f.cwd.or(f.get(b"cwd"));
        }
        if f.is_syscall {
            f.arch = index
                .field(body, b"arch")
                .and_then(bare)
                .and_then(|hex| u32::from_str_radix(core::str::from_utf8(hex).ok()?, 16).ok())
                .map(Arch);
            let call = index.field(body, b"syscall").and_then(bare);
            f.syscall = match (f.arch, call.and_then(Syscall::parse)) {
                (Some(arch), Some(call)) => call.name(arch),
                _ => None,
            };
        }
        f
    }

    fn body(&self) -> &'a [u8] {
        self.primary.map_or(&[][..], |r| r.body)
    }

    /// The record whose type names the event.
    fn named(&self) -> Option<EventRecord<'a>> {
        self.special.or(self.primary)
    }

    fn norm(&self) -> Norm {
        if let Some(special) = self.special {
            if special.msg_type == AVC {
                return norm::of_avc(field(special.body, b"apparmor").is_some());
            }
            return special
                .msg_type
                .name()
                .map_or(norm::RECORD_DEFAULT, norm::of_type);
        }
        match (self.is_syscall, self.syscall) {
            (true, Some(name)) => norm::of_syscall(name),
            (true, None) => norm::SYSCALL_DEFAULT,
            (false, _) => self
                .primary
                .and_then(|r| r.msg_type.name())
                .map_or(norm::RECORD_DEFAULT, norm::of_type),
        }
    }

    /// A field of the special record (else of the primary one).
    fn special_get(&self, key: &[u8]) -> Option<Value<'a>> {
        self.special
            .and_then(|r| field(r.body, key))
            .or_else(|| self.get(key))
    }

    fn note(&mut self, field: Field<'a>) {
        if let Some(slot) = slot_of(field.key).and_then(|i| self.known.get_mut(i)) {
            if slot.is_none() && field.value != Value::Absent {
                *slot = Some(field.value);
            }
        }
    }

    /// A field of the primary record, or of its `msg='…'` (user records).
    #[inline(always)]
    fn get(&self, key: &[u8]) -> Option<Value<'a>> {
        match slot_of(key) {
            Some(i) => self.known.get(i).copied().flatten(),
            None => self.scan(key),
        }
    }

    /// [`get`](Self::get) for a key not in [`KEYS`]: the body scanned.
    #[inline(never)]
    fn scan(&self, key: &[u8]) -> Option<Value<'a>> {
        let body = self.body();
        field(body, key).or_else(|| match field(body, b"msg") {
            Some(Value::SingleQuoted(inner)) => field(inner, key),
            _ => None,
        })
    }
}

const AVC: MessageType = MessageType(1400);

/// Records that only add to a syscall event (CWD, PATH, EXECVE,
/// PROCTITLE, SOCKADDR, EOE, …) rather than say what it is.
fn is_auxiliary(t: MessageType) -> bool {
    matches!(
        t.0,
        1300..=1309 | 1311..=1323 | 1326..=1327 | 1336 | 1337 | 1425 | 1426
    ) && t.0 != 1305
        && t.0 != 1326
}

/// The text of a bare value.
fn bare(value: Value<'_>) -> Option<&[u8]> {
    match value {
        Value::Bare(text) => Some(text),
        _ => None,
    }
}

/// A value with text: not `?`, `(null)` or absent.
fn present(value: Option<Value<'_>>) -> Option<Value<'_>> {
    value.filter(|v| !matches!(v, Value::Null | Value::Unknown | Value::Absent))
}

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
fn write_str(c: &mut Cursor<'_>, key: &[u8], value: Value<'_>) -> Result<(), Full> {
    const SMALL: usize = 256;
    let text = value.text();
    let hex = is_hex(key, value);
    if hex && text.len() <= 2 * SMALL {
        let mut buf = [0u8; SMALL];
        let n = decode_hex(text, &mut buf).map_err(|_| Full)?;
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
#[inline]
fn is_hex(key: &[u8], value: Value<'_>) -> bool {
    matches!(value, Value::Bare(t) if is_hex_field(key) && looks_hex(t))
}

/// Writes the members of one JSON object, commas between them.
struct Members<'c, 'b> {
    cursor: &'c mut Cursor<'b>,
    first: bool,
}

impl<'c, 'b> Members<'c, 'b> {
    #[inline(always)]
    fn open(cursor: &'c mut Cursor<'b>) -> Result<Members<'c, 'b>, Full> {
        cursor.push(b"{")?;
        Ok(Members {
            cursor,
            first: true,
        })
    }

    #[inline(always)]
    fn key(&mut self, key: &str) -> Result<&mut Cursor<'b>, Full> {
        self.cursor.push(if self.first { b"\"" } else { b",\"" })?;
        self.first = false;
        self.cursor.push(key.as_bytes())?;
        self.cursor.push(b"\":")?;
        Ok(self.cursor)
    }

    #[inline(always)]
    fn str(&mut self, key: &'static str, value: &str) -> Result<(), Full> {
        let first = core::mem::replace(&mut self.first, false);
        self.cursor.push_named(first, key, value.as_bytes())
    }

    #[inline(always)]
    fn value(
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
    fn field(&mut self, key: &[u8], value: Value<'_>) -> Result<(), Full> {
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

    #[inline(always)]
    fn number(&mut self, key: &str, value: u64) -> Result<(), Full> {
        self.key(key)?.push_u64(value)
    }

    #[inline(always)]
    fn close(self) -> Result<(), Full> {
        self.cursor.push(b"}")
    }
}

fn write_document<'a>(
    cursor: &mut Cursor<'_>,
    (event, index): (&Event<'a>, &Index<'a>),
    facts: &Facts<'a>,
    enrich: &impl Enrich,
    detail: Detail,
    truncated: bool,
) -> Result<(), Full> {
    let norm = facts.norm();
    let result = result_of(facts);
    let mut doc = Members::open(cursor)?;
    time::write_rfc3339(doc.key("@timestamp")?, event.timestamp())?;
    write_event(doc.key("event")?, &norm, result)?;
    write_auditd(
        doc.key("auditd")?,
        (event, index),
        facts,
        (&norm, result),
        detail,
    )?;
    if has_user(facts) {
        write_user(doc.key("user")?, facts, enrich)?;
    }
    write_process(&mut doc, event, facts, enrich, detail)?;
    if norm.object == Object::File {
        if let Some(path) = facts.object_path {
            write_file(doc.key("file")?, index.fields(path), enrich)?;
        }
    }
    write_network(&mut doc, facts, &norm)?;
    write_tags(&mut doc, facts)?;
    let container = facts
        .primary
        .and_then(|r| super::common::container_of(enrich, r));
    if let Some(id) = container {
        let mut c = Members::open(doc.key("container")?)?;
        c.str("id", id)?;
        c.close()?;
    }
    if let Some(host) = enrich.host_name() {
        let mut h = Members::open(doc.key("host")?)?;
        h.str("name", host)?;
        h.close()?;
    }
    if event.redacted() > 0 {
        doc.key("redacted")?.push_u64(u64::from(event.redacted()))?;
    }
    if truncated {
        doc.key("truncated")?.push(b"true")?;
    }
    doc.close()
}

/// The longest bare document ([`Detail::Bare`]): `{"@timestamp":`, the
/// longest timestamp (a 12-digit year from `u64::MAX` seconds: 34 bytes
/// with its quotes), `,"auditd":{"sequence":` and a `u32`, `}`,
/// `,"redacted":` and a `u32`, `,"truncated":true}`.
const BARE_MAX: usize = 14 + 34 + 22 + 10 + 1 + 12 + 10 + 18;
const _: () = assert!(BARE_MAX <= MIN_BUFFER);

/// The document for a room the outline does not fit: only members whose
/// length does not depend on the event's text. `Bare`: `@timestamp`,
/// `auditd.sequence` (and `redacted`); `Bounded` adds `event.*` (static
/// tables), `auditd.{message_type,result,session}`, the user ids and the
/// process and parent pids, each only when it is a short decimal (other
/// text is left out, never cut).
fn write_bounded(
    cursor: &mut Cursor<'_>,
    event: &Event<'_>,
    facts: &Facts<'_>,
    detail: Detail,
) -> Result<(), Full> {
    let bounded = detail == Detail::Bounded;
    let mut doc = Members::open(cursor)?;
    time::write_rfc3339(doc.key("@timestamp")?, event.timestamp())?;
    let result = result_of(facts);
    if bounded {
        write_event(doc.key("event")?, &facts.norm(), result)?;
    }
    let mut a = Members::open(doc.key("auditd")?)?;
    if bounded {
        if let Some(name) = facts.named().and_then(|r| r.msg_type.name()) {
            write_lower_case(a.key("message_type")?, name)?;
        }
    }
    a.number("sequence", u64::from(event.serial()))?;
    if bounded {
        a.str("result", result.auditd_name())?;
        match present(facts.get(b"ses")) {
            Some(v) if v.text() == UNSET => a.str("session", "unset")?,
            v => {
                if let Some(ses) = v.and_then(short_decimal) {
                    a.key("session")?.push_string(ses)?;
                }
            }
        }
    }
    a.close()?;
    if bounded {
        write_user_ids(&mut doc, facts)?;
        let pid = present(facts.get(b"pid")).and_then(short_decimal);
        let ppid = present(facts.get(b"ppid")).and_then(short_decimal);
        let pid = pid.and_then(number);
        let ppid = ppid.and_then(number);
        if pid.is_some() || ppid.is_some() {
            let mut p = Members::open(doc.key("process")?)?;
            if let Some(pid) = pid {
                p.number("pid", pid)?;
            }
            if let Some(ppid) = ppid {
                let mut parent = Members::open(p.key("parent")?)?;
                parent.number("pid", ppid)?;
                parent.close()?;
            }
            p.close()?;
        }
    }
    if event.redacted() > 0 {
        doc.key("redacted")?.push_u64(u64::from(event.redacted()))?;
    }
    doc.key("truncated")?.push(b"true")?;
    doc.close()
}

/// `user.*` ids alone (no names, no SELinux label): the set ids that are
/// short decimals.
fn write_user_ids(doc: &mut Members<'_, '_>, facts: &Facts<'_>) -> Result<(), Full> {
    let id = |key: &[u8]| set_id(facts, key).and_then(short_decimal);
    let has = IDS.iter().any(|&(key, _, _)| id(key).is_some());
    if !has {
        return Ok(());
    }
    let mut u = Members::open(doc.key("user")?)?;
    let write = |o: &mut Members<'_, '_>, uid: &[u8], gid: Option<&[u8]>| {
        if let Some(v) = id(uid) {
            o.key("id")?.push_string(v)?;
        }
        if let Some(v) = gid.and_then(id) {
            let mut g = Members::open(o.key("group")?)?;
            g.key("id")?.push_string(v)?;
            g.close()?;
        }
        Ok::<(), Full>(())
    };
    write(&mut u, b"uid", Some(b"gid"))?;
    for (owner, uid, gid) in OWNERS {
        if id(uid).is_some() || gid.is_some_and(|g| id(g).is_some()) {
            let mut o = Members::open(u.key(owner)?)?;
            write(&mut o, uid, gid)?;
            o.close()?;
        }
    }
    u.close()
}

/// The text of a value that is a decimal of at most 20 digits (a `u64`'s
/// length): bounded whatever the record says.
fn short_decimal(value: Value<'_>) -> Option<&[u8]> {
    let text = value.text();
    let decimal = !text.is_empty() && text.len() <= 20 && text.iter().all(u8::is_ascii_digit);
    decimal.then_some(text)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Success,
    Fail,
    Unknown,
}

impl Outcome {
    /// `auditd.result`.
    fn auditd_name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Fail => "fail",
            Outcome::Unknown => "unknown",
        }
    }
}

fn result_of(facts: &Facts<'_>) -> Outcome {
    let text = present(facts.get(b"success").or_else(|| facts.get(b"res")));
    match text.map(|v| v.text()) {
        Some(b"yes" | b"success" | b"1") => Outcome::Success,
        Some(b"no" | b"failed" | b"fail" | b"0") => Outcome::Fail,
        _ => Outcome::Unknown,
    }
}

fn write_event(cursor: &mut Cursor<'_>, norm: &Norm, result: Outcome) -> Result<(), Full> {
    let mut e = Members::open(cursor)?;
    e.str("module", "auditd")?;
    e.str("kind", if norm.alert { "alert" } else { "event" })?;
    if !norm.category.is_empty() {
        write_strs(e.key("category")?, norm.category)?;
    }
    write_strs(e.key("type")?, norm.kind_type)?;
    if let Some(action) = norm.action {
        e.str("action", action)?;
    }
    e.str(
        "outcome",
        match result {
            Outcome::Success => "success",
            Outcome::Fail => "failure",
            Outcome::Unknown => "unknown",
        },
    )?;
    e.close()
}

/// A JSON array of strings.
fn write_strs(c: &mut Cursor<'_>, items: &[&str]) -> Result<(), Full> {
    c.push(b"[")?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            c.push(b",")?;
        }
        c.push_string(item.as_bytes())?;
    }
    c.push(b"]")
}

fn write_auditd<'a>(
    cursor: &mut Cursor<'_>,
    (event, index): (&Event<'a>, &Index<'a>),
    facts: &Facts<'a>,
    (norm, result): (&Norm, Outcome),
    detail: Detail,
) -> Result<(), Full> {
    let mut a = Members::open(cursor)?;
    if let Some(name) = facts.named().and_then(|r| r.msg_type.name()) {
        write_lower_case(a.key("message_type")?, name)?;
    }
    a.number("sequence", u64::from(event.serial()))?;
    a.str("result", result.auditd_name())?;
    match present(facts.get(b"ses")) {
        Some(v) if v.text() == UNSET => a.str("session", "unset")?,
        v => a.value("session", b"ses", v)?,
    }
    write_summary(a.key("summary")?, facts, norm)?;
    if detail == Detail::Whole {
        write_data(a.key("data")?, (event, index), facts)?;
        if facts.paths > 0 {
            write_paths(a.key("paths")?, (event, index))?;
        }
    }
    a.close()
}

/// A message type's name in lower case (`USER_LOGIN` → `user_login`),
/// as a JSON string.
fn write_lower_case(c: &mut Cursor<'_>, name: &str) -> Result<(), Full> {
    c.push(b"\"")?;
    for chunk in name.as_bytes().chunks(64) {
        let mut buf = [0u8; 64];
        let lower = buf.get_mut(..chunk.len()).unwrap_or_default();
        lower.copy_from_slice(chunk);
        lower.make_ascii_lowercase();
        c.push_escaped(lower)?;
    }
    c.push(b"\"")
}

fn write_summary(cursor: &mut Cursor<'_>, facts: &Facts<'_>, norm: &Norm) -> Result<(), Full> {
    let mut s = Members::open(cursor)?;
    {
        let mut actor = Members::open(s.key("actor")?)?;
        // LOGIN changes the login id: the actor is the old one.
        let login = facts
            .named()
            .is_some_and(|r| r.msg_type == MessageType::LOGIN);
        let auid_key: &[u8] = if login { b"old-auid" } else { b"auid" };
        match present(facts.get(auid_key)) {
            Some(v) if v.text() == UNSET => actor.str("primary", "unset")?,
            v => actor.value("primary", b"auid", v)?,
        }
        let secondary = if facts.is_syscall {
            None
        } else {
            let acct = present(facts.get(b"acct")).map(|v| (&b"acct"[..], v));
            acct.or(present(facts.get(b"id")).map(|v| (&b"id"[..], v)))
        };
        match secondary {
            Some((key, v)) => actor.value("secondary", key, Some(v))?,
            None => actor.value("secondary", b"uid", facts.get(b"uid"))?,
        }
        actor.close()?;
    }
    if let Some(action) = norm.action {
        s.str("action", action)?;
    }
    if let Some(kind) = norm.object.name() {
        let mut o = Members::open(s.key("object")?)?;
        o.str("type", kind)?;
        match norm.object {
            // Set only with the object path.
            Object::File => o.value("primary", b"name", facts.object_name)?,
            Object::Socket => write_socket_object(&mut o, facts)?,
            Object::UserSession if login_record(facts) => {
                o.value("primary", b"auid", facts.get(b"auid"))?;
            }
            Object::UserSession => {
                o.value("primary", b"terminal", facts.get(b"terminal"))?;
                let remote = present(facts.get(b"addr")).or(present(facts.get(b"hostname")));
                o.value("secondary", b"addr", remote)?;
            }
            Object::Process if facts.is_syscall => {
                o.value("primary", b"a0", facts.get(b"a0"))?;
            }
            Object::Process => {
                o.value("primary", b"comm", facts.get(b"comm"))?;
                o.value("secondary", b"pid", facts.get(b"pid"))?;
            }
            Object::Policy => {
                o.value("primary", b"operation", facts.special_get(b"operation"))?;
                let mask = facts.special_get(b"requested_mask");
                o.value("secondary", b"requested_mask", mask)?;
            }
            Object::Device => o.value("primary", b"dev", facts.special_get(b"dev"))?,
            Object::AuditConfig => o.value("primary", b"op", facts.special_get(b"op"))?,
            _ => {}
        }
        o.close()?;
    }
    // An interpreter's `comm` is the script's name: more telling.
    let exe = present(facts.get(b"exe"));
    let interpreted = exe.is_some_and(|v| is_interpreter(v.text()));
    let how = exe.filter(|_| !interpreted).map(|v| (&b"exe"[..], v));
    let how = how.or(present(facts.get(b"comm")).map(|v| (&b"comm"[..], v)));
    let how = how.or(exe.map(|v| (&b"exe"[..], v)));
    if let Some((key, v)) = how {
        s.value("how", key, Some(v))?;
    }
    s.close()
}

fn login_record(facts: &Facts<'_>) -> bool {
    facts
        .named()
        .is_some_and(|r| r.msg_type == MessageType::LOGIN)
}

/// Executables whose `comm` names the script they run.
fn is_interpreter(exe: &[u8]) -> bool {
    let name = exe.rsplit(|&b| b == b'/').next().unwrap_or(exe);
    ["python", "perl", "ruby", "node", "php"]
        .iter()
        .any(|i| name.starts_with(i.as_bytes()))
}

fn write_socket_object(o: &mut Members<'_, '_>, facts: &Facts<'_>) -> Result<(), Full> {
    let mut buf = [0; SOCKADDR_MAX];
    match facts.saddr.and_then(|hex| saddr::decode(hex, &mut buf)) {
        Some(SockAddr::Inet { addr, port }) => {
            o.key("primary")?.push_display(&addr)?;
            o.key("secondary")?.push_display(&port)
        }
        Some(SockAddr::Inet6 { addr, port, .. }) => {
            o.key("primary")?.push_display(&addr)?;
            o.key("secondary")?.push_display(&port)
        }
        Some(SockAddr::UnixPath(path) | SockAddr::UnixAbstract(path)) => {
            o.key("primary")?.push_string(path)
        }
        _ => Ok(()),
    }
}

fn write_data<'a>(
    cursor: &mut Cursor<'_>,
    (event, index): (&Event<'a>, &Index<'a>),
    facts: &Facts<'a>,
) -> Result<(), Full> {
    let mut d = Members::open(cursor)?;
    let body = facts.body();
    // A key repeated in the body (the old LOGIN form `old auid=… new
    // auid=…`) or in its `msg='…'` is written once, the first in the
    // document's order kept: the keys so far are remembered, not looked
    // for again.
    // A moved key (written elsewhere, never here) is not remembered:
    // its repeats are moved too.
    let mut written = KeySet::default();
    for f in index.fields(body) {
        if f.key == b"msg" {
            if let Value::SingleQuoted(inner) = f.value {
                for nested in Fields::new(inner) {
                    if is_moved(nested.key) {
                        continue;
                    }
                    let before = written.add(nested.key, || earlier_key(body, nested.key));
                    if !before {
                        write_datum(&mut d, facts, nested)?;
                    }
                }
            }
            continue;
        }
        if is_moved(f.key) {
            continue;
        }
        let before = written.add(f.key, || earlier_key(body, f.key));
        if !before {
            write_datum(&mut d, facts, f)?;
        }
    }
    if facts.special.is_some() {
        // Each special record's own fields, after the SYSCALL record's
        // (its ids stay: ANOM_PROMISCUOUS' auid, uid…); what the SYSCALL
        // record or an earlier special record already gave is not written
        // twice (the first value wins: no duplicate keys). `top`: the
        // body's own keys (what special records defer to).
        let mut top = KeySet::default();
        for f in index.fields(body) {
            top.insert(f.key);
        }
        let mut earlier = KeySet::default();
        let specials = event.records().filter(|r| !is_auxiliary(r.msg_type));
        for (n, special) in specials.clone().enumerate() {
            for f in index.fields(special.body) {
                let in_body =
                    !is_moved(f.key) && top.contains(f.key, || index.field(body, f.key).is_some());
                let given = in_body
                    || earlier.contains(f.key, || {
                        specials
                            .clone()
                            .take(n)
                            .any(|r| index.field(r.body, f.key).is_some())
                    });
                let process = matches!(f.key, b"pid" | b"comm" | b"exe" | b"key" | b"subj");
                if !given && !process && f.value != Value::Absent {
                    d.field(f.key, f.value)?;
                }
            }
            for f in index.fields(special.body) {
                earlier.insert(f.key);
            }
        }
    }
    if facts.has_execve {
        d.value("argc", b"argc", facts.argc)?;
    }
    write_socket_data(&mut d, facts)?;
    d.close()
}

/// Whether a key equal to `key` (a slice of `body`) comes before it in
/// `body`, its `msg='…'` included: the answer [`KeySet`] asks for when
/// a record has more keys than it keeps.
fn earlier_key(body: &[u8], key: &[u8]) -> bool {
    let here = key.as_ptr() as usize;
    let before = |k: &[u8]| (k.as_ptr() as usize) < here;
    for f in Fields::new(body) {
        if !before(f.key) {
            return false;
        }
        if f.key == key {
            return true;
        }
        if let (b"msg", Value::SingleQuoted(inner)) = (f.key, f.value) {
            for nested in Fields::new(inner) {
                if !before(nested.key) {
                    return false;
                }
                if nested.key == key {
                    return true;
                }
            }
        }
    }
    false
}

/// `socket_family`, `socket_addr`, `socket_port` (or `socket_path`) of
/// a SOCKADDR, as aucoalesce adds them to the data.
fn write_socket_data(d: &mut Members<'_, '_>, facts: &Facts<'_>) -> Result<(), Full> {
    let mut buf = [0; SOCKADDR_MAX];
    let Some(addr) = facts.saddr.and_then(|hex| saddr::decode(hex, &mut buf)) else {
        return Ok(());
    };
    if let Some(family) = addr.family_name() {
        d.str("socket_family", family)?;
    }
    match addr {
        SockAddr::Inet { addr, port } => {
            d.key("socket_addr")?.push_display(&addr)?;
            d.key("socket_port")?.push_display(&port)
        }
        SockAddr::Inet6 { addr, port, .. } => {
            d.key("socket_addr")?.push_display(&addr)?;
            d.key("socket_port")?.push_display(&port)
        }
        SockAddr::UnixPath(path) | SockAddr::UnixAbstract(path) => {
            d.key("socket_path")?.push_string(path)
        }
        _ => Ok(()),
    }
}

/// A field of the primary record (not a moved one) in `auditd.data`.
#[inline(always)]
fn write_datum(d: &mut Members<'_, '_>, facts: &Facts<'_>, f: Field<'_>) -> Result<(), Full> {
    if f.value == Value::Absent {
        return Ok(());
    }
    if facts.is_syscall {
        match f.key {
            b"arch" => {
                if let Some(m) = facts.arch.and_then(Arch::machine) {
                    return d.str("arch", m.name());
                }
            }
            b"syscall" => {
                if let Some(name) = facts.syscall {
                    return d.str("syscall", name);
                }
            }
            b"exit" => {
                let named = f
                    .value
                    .text()
                    .strip_prefix(b"-")
                    .and_then(|n| core::str::from_utf8(n).ok()?.parse::<u32>().ok())
                    .and_then(errno::name);
                if let Some(name) = named {
                    return d.str("exit", name);
                }
            }
            _ => {}
        }
    }
    d.field(f.key, f.value)
}

fn write_paths<'a>(
    cursor: &mut Cursor<'_>,
    (event, index): (&Event<'a>, &Index<'a>),
) -> Result<(), Full> {
    cursor.push(b"[")?;
    let mut first = true;
    for record in event.records() {
        if record.msg_type != MessageType::PATH {
            continue;
        }
        if !first {
            cursor.push(b",")?;
        }
        first = false;
        let mut p = Members::open(cursor)?;
        for f in index.fields(record.body) {
            if f.value == Value::Absent {
                continue;
            }
            p.field(f.key, f.value)?;
        }
        p.close()?;
    }
    cursor.push(b"]")
}

/// The id fields and their Auditbeat members: (field, object path, is a
/// user id).
const IDS: &[(&[u8], &[&str], bool)] = &[
    (b"uid", &[], true),
    (b"gid", &["group"], false),
    (b"euid", &["effective"], true),
    (b"egid", &["effective", "group"], false),
    (b"suid", &["saved"], true),
    (b"sgid", &["saved", "group"], false),
    (b"fsuid", &["filesystem"], true),
    (b"fsgid", &["filesystem", "group"], false),
    (b"auid", &["audit"], true),
];

/// A `user.*` object below the top level: (member, uid field, gid
/// field).
type Owner = (&'static str, &'static [u8], Option<&'static [u8]>);

/// The `user.*` objects below the top level.
const OWNERS: [Owner; 4] = [
    ("effective", b"euid", Some(b"egid")),
    ("saved", b"suid", Some(b"sgid")),
    ("filesystem", b"fsuid", Some(b"fsgid")),
    ("audit", b"auid", None),
];

#[inline(always)]
fn set_id<'a>(facts: &Facts<'a>, key: &[u8]) -> Option<Value<'a>> {
    present(facts.get(key)).filter(|v| v.text() != UNSET)
}

#[inline(always)]
fn has_user(facts: &Facts<'_>) -> bool {
    IDS.iter().any(|&(key, _, _)| set_id(facts, key).is_some())
        || present(facts.get(b"subj")).is_some()
}

fn write_user(
    cursor: &mut Cursor<'_>,
    facts: &Facts<'_>,
    enrich: &impl Enrich,
) -> Result<(), Full> {
    let mut u = Members::open(cursor)?;
    // Top level: uid, gid.
    write_id(&mut u, facts, enrich, b"uid", true)?;
    write_group(&mut u, facts, enrich, b"gid")?;
    for (owner, uid, gid) in OWNERS {
        let has = set_id(facts, uid).is_some() || gid.is_some_and(|g| set_id(facts, g).is_some());
        if !has {
            continue;
        }
        let mut o = Members::open(u.key(owner)?)?;
        write_id(&mut o, facts, enrich, uid, true)?;
        if let Some(gid) = gid {
            write_group(&mut o, facts, enrich, gid)?;
        }
        o.close()?;
    }
    if let Some(subj) = present(facts.get(b"subj")) {
        write_selinux(u.key("selinux")?, subj.text())?;
    }
    u.close()
}

#[inline(always)]
fn write_id(
    o: &mut Members<'_, '_>,
    facts: &Facts<'_>,
    enrich: &impl Enrich,
    key: &[u8],
    named: bool,
) -> Result<(), Full> {
    let Some(v) = set_id(facts, key) else {
        return Ok(());
    };
    o.value("id", key, Some(v))?;
    if named {
        if let Some(name) = enrich.user_name(v.text()) {
            o.str("name", name)?;
        }
    }
    Ok(())
}

#[inline(always)]
fn write_group(
    o: &mut Members<'_, '_>,
    facts: &Facts<'_>,
    enrich: &impl Enrich,
    key: &[u8],
) -> Result<(), Full> {
    if let Some(v) = set_id(facts, key) {
        let mut g = Members::open(o.key("group")?)?;
        g.value("id", key, Some(v))?;
        if let Some(name) = enrich.group_name(v.text()) {
            g.str("name", name)?;
        }
        g.close()?;
    }
    Ok(())
}

/// `subj=user:role:domain:level[:category]` (SELinux) as go-libaudit
/// splits it; a label without colons (AppArmor's `unconfined`) is `user`.
fn write_selinux(cursor: &mut Cursor<'_>, subj: &[u8]) -> Result<(), Full> {
    let mut s = Members::open(cursor)?;
    let names = ["user", "role", "domain", "level", "category"];
    let mut parts = subj.splitn(5, |&b| b == b':');
    for name in names {
        match parts.next() {
            Some(part) if !part.is_empty() => {
                s.key(name)?.push_string(part)?;
            }
            _ => break,
        }
    }
    s.close()
}

fn write_process(
    doc: &mut Members<'_, '_>,
    event: &Event<'_>,
    facts: &Facts<'_>,
    enrich: &impl Enrich,
    detail: Detail,
) -> Result<(), Full> {
    let pid_text = present(facts.get(b"pid")).map(|v| v.text());
    let ppid_text = present(facts.get(b"ppid")).map(|v| v.text());
    let pid = pid_text.and_then(number);
    let ppid = ppid_text.and_then(number);
    let comm = present(facts.get(b"comm"));
    let exe = present(facts.get(b"exe"));
    let cwd = present(facts.cwd);
    let title = present(facts.proctitle).filter(|_| detail == Detail::Whole);
    let args = facts.has_execve && detail == Detail::Whole;
    if pid.is_none() && comm.is_none() && exe.is_none() {
        return Ok(());
    }
    let mut p = Members::open(doc.key("process")?)?;
    if let Some(pid) = pid {
        p.number("pid", pid)?;
        // The identity the caller found, while the process was alive.
        if let Some(me) = pid_text.and_then(|t| enrich.process(t)) {
            p.str("entity_id", me.entity_id)?;
        }
    }
    if let Some(ppid) = ppid {
        let mut parent = Members::open(p.key("parent")?)?;
        parent.number("pid", ppid)?;
        if let Some(up) = ppid_text.and_then(|t| enrich.process(t)) {
            parent.str("entity_id", up.entity_id)?;
            if let Some(exe) = up.executable {
                parent.str("executable", exe)?;
            }
            if let Some(name) = up.name {
                parent.str("name", name)?;
            }
        }
        parent.close()?;
    }
    p.value("name", b"comm", comm)?;
    p.value("executable", b"exe", exe)?;
    if let Some(title) = title {
        write_title(p.key("title")?, title)?;
    }
    if args {
        write_args(p.key("args")?, event)?;
    }
    p.value("working_directory", b"cwd", cwd)?;
    p.close()
}

fn number(text: &[u8]) -> Option<u64> {
    core::str::from_utf8(text).ok()?.parse().ok()
}

/// `proctitle` as one string: hex decoded, NULs between arguments as
/// spaces (a quoted title as it is).
fn write_title(c: &mut Cursor<'_>, title: Value<'_>) -> Result<(), Full> {
    match title {
        Value::Bare(hex) if looks_hex(hex) => {
            let mut buf = [0u8; TITLE_MAX];
            let even = hex.len().min(2 * TITLE_MAX) & !1;
            let n = decode_hex(hex.get(..even).unwrap_or_default(), &mut buf).unwrap_or(0);
            let title = buf.get_mut(..n).unwrap_or_default();
            for b in title.iter_mut() {
                if *b == 0 {
                    *b = b' ';
                }
            }
            let end = title.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
            c.push_string(title.get(..end).unwrap_or_default())
        }
        value => c.push_string(value.text()),
    }
}

/// The EXECVE arguments in order, joined across records and decoded.
fn write_args(c: &mut Cursor<'_>, event: &Event<'_>) -> Result<(), Full> {
    c.push(b"[")?;
    for (i, arg) in Args::of(event).enumerate() {
        if i > 0 {
            c.push(b",")?;
        }
        write_arg(c, &arg)?;
    }
    c.push(b"]")
}

/// `file.*` from the PATH record the summary names.
fn write_file<'a>(
    cursor: &mut Cursor<'_>,
    path: impl Iterator<Item = Field<'a>>,
    enrich: &impl Enrich,
) -> Result<(), Full> {
    // One pass over the record.
    let [mut name, mut rdev, mut inode, mut mode, mut ouid, mut ogid] = [None; 6];
    for f in path {
        let slot = match f.key {
            b"name" => &mut name,
            b"rdev" => &mut rdev,
            b"inode" => &mut inode,
            b"mode" => &mut mode,
            b"ouid" => &mut ouid,
            b"ogid" => &mut ogid,
            _ => continue,
        };
        *slot = slot.or(Some(f.value));
    }
    let mut f = Members::open(cursor)?;
    f.value("path", b"name", name)?;
    f.value("device", b"rdev", rdev)?;
    f.value("inode", b"inode", inode)?;
    if let Some(mode) = present(mode) {
        // The permission bits, as four octal digits (`0100755` → `0755`).
        let text = mode.text();
        let perm = text.get(text.len().saturating_sub(4)..).unwrap_or(text);
        f.key("mode")?.push_string(perm)?;
    }
    f.value("uid", b"ouid", ouid)?;
    f.value("gid", b"ogid", ogid)?;
    // ECS `file.owner` / `file.group`: the names of the owner's ids.
    if let Some(owner) = present(ouid).and_then(|v| enrich.user_name(v.text())) {
        f.str("owner", owner)?;
    }
    if let Some(group) = present(ogid).and_then(|v| enrich.group_name(v.text())) {
        f.str("group", group)?;
    }
    f.close()
}

fn write_network(doc: &mut Members<'_, '_>, facts: &Facts<'_>, norm: &Norm) -> Result<(), Full> {
    let mut buf = [0; SOCKADDR_MAX];
    let inet = match facts.saddr.and_then(|hex| saddr::decode(hex, &mut buf)) {
        Some(SockAddr::Inet { addr, port }) => Some((core::net::IpAddr::V4(addr), port)),
        Some(SockAddr::Inet6 { addr, port, .. }) => Some((core::net::IpAddr::V6(addr), port)),
        _ => None,
    };
    if let (Some((ip, port)), Some(direction)) = (inet, norm.direction) {
        let side = if direction == Direction::Egress {
            "destination"
        } else {
            "source"
        };
        let mut s = Members::open(doc.key(side)?)?;
        s.key("ip")?.push_display(&ip)?;
        s.number("port", u64::from(port))?;
        s.close()?;
        return write_direction(doc, direction);
    }
    // A user-space record's remote address (sshd's `addr=`).
    if !facts.is_syscall {
        if let Some(addr) = present(facts.get(b"addr")) {
            let ip: Option<core::net::IpAddr> = core::str::from_utf8(addr.text())
                .ok()
                .and_then(|t| t.parse().ok());
            if let Some(ip) = ip {
                let mut s = Members::open(doc.key("source")?)?;
                s.key("ip")?.push_display(&ip)?;
                s.close()?;
                return write_direction(doc, Direction::Ingress);
            }
        }
    }
    Ok(())
}

fn write_direction(doc: &mut Members<'_, '_>, direction: Direction) -> Result<(), Full> {
    let name = match direction {
        Direction::Egress => "egress",
        Direction::Ingress => "ingress",
        Direction::Local => return Ok(()),
    };
    let mut n = Members::open(doc.key("network")?)?;
    n.str("direction", name)?;
    n.close()
}

/// `tags`: the rule key; several keys (hex, `\x01`-separated) are
/// several tags.
fn write_tags(doc: &mut Members<'_, '_>, facts: &Facts<'_>) -> Result<(), Full> {
    let key = facts
        .known
        .get(slot_of(b"key").unwrap_or(usize::MAX))
        .copied()
        .flatten();
    let Some(key) = present(key) else {
        return Ok(());
    };
    let c = doc.key("tags")?;
    match key {
        Value::Bare(hex) if looks_hex(hex) => {
            let mut buf = [0u8; 512];
            let n = decode_hex(hex, &mut buf).unwrap_or(0);
            write_split(c, buf.get(..n).unwrap_or_default())
        }
        value => write_split(c, value.text()),
    }
}

/// Bytes split at `\x01` as a JSON array of strings.
fn write_split(c: &mut Cursor<'_>, keys: &[u8]) -> Result<(), Full> {
    c.push(b"[")?;
    // Old auditctl versions wrote `-k x` as `key=x`.
    let parts = keys.split(|&b| b == 1);
    let parts = parts.map(|p| p.strip_prefix(b"key=").unwrap_or(p));
    for (i, part) in parts.filter(|p| !p.is_empty()).enumerate() {
        if i > 0 {
            c.push(b",")?;
        }
        c.push_string(part)?;
    }
    c.push(b"]")
}

#[cfg(test)]
mod tests;

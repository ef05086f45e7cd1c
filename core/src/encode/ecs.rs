//! The ECS shape (`raudit.format: ecs`): the document Auditbeat's auditd
//! module writes, so that Elastic dashboards and detection rules keep
//! working when raudit replaces Auditbeat. One JSON object per event:
//!
//! ```text
//! {"@timestamp":"2025-03-14T20:13:15.885Z",
//!  "event":{"module":"auditd","kind":"event","category":["file"],"type":["creation"],
//!           "action":"linked","outcome":"failure"},
//!  "auditd":{"message_type":"syscall","sequence":240,"result":"fail","session":"3",
//!            "summary":{"actor":{"primary":"1000","secondary":"0"},
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
//!  "destination":{"ip":"10.0.0.1","port":"443"},"network":{"direction":"egress"},
//!  "tags":["syscalls_link_operations"],
//!  "container":{"id":"3f…"},
//!  "host":{"name":"web-1"}}
//! ```
//!
//! The normalisation (`summary`, `event.category/type/action`) follows
//! go-libaudit's `aucoalesce` for the syscalls and record types in
//! [`norm`]; the members follow Auditbeat's `audit_linux.go` mapping:
//! `user.*` from the id fields of the primary record and its `msg='…'`
//! (unset ids, 4294967295 or -1, left out; names from the caller's uid and
//! gid lookups; the id fields of [`id_fields`](super::id_fields) beyond
//! Auditbeat's nine under their own keys, `user.old-auid.{id,name}`,
//! `user.new_gid.{id,name}`, as its `addUser` writes them; `id` stays in
//! `auditd.data`, as go-libaudit keeps it; for login, session and account
//! records go-libaudit's entity mapping, [`entity`], written over the ids
//! as its `setECSEntity` writes it: `user` the actor, `user.effective`
//! the account named, `user.target` and `group` the account changed; no
//! `user.effective` when it is the user, as its `removeRedundantEntity`
//! does; `related.user` the names of these users, [`related`]),
//! `process.*` from SYSCALL, CWD, PROCTITLE and
//! EXECVE, `file.*` from the PATH record the summary names (its SELinux
//! label `file.selinux`, split as the subject's), `source` /
//! `destination` from a SOCKADDR (an address or a unix path; [`socket`]
//! says which families give what) or the `addr` of a login, session start,
//! error or crypto record (any other user record keeps it in the data,
//! as aucoalesce's `source_ip` says), `tags`
//! from the rule key (several keys, `\x01`-separated, are several tags).
//! `auditd.data` holds the primary record's other fields as strings, with
//! `arch`, `syscall` and a negative `exit` named, a user-space
//! record's `msg='…'` fields flattened in, and the SOCKADDR's
//! `socket.{family,addr,port,flow,path,saddr}`. Empty values are left
//! out (auparse drops them), hex-encoded ones decoded, invalid UTF-8
//! written as U+FFFD.
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

mod auditd;
mod bounded;
mod draft;
mod entity;
mod event_type;
mod facts;
mod members;
mod name_hash;
mod norm;
mod object;
mod paths;
mod process;
mod related;
mod socket;
mod time;
mod user;

use self::auditd::write_auditd;
use self::bounded::write_bounded;
use self::draft::DataDraft;
use self::entity::{entities, Entity};
use self::facts::{present, slot_of, Facts};
use self::members::Members;
use self::norm::Norm;
use self::object::{write_file, write_network};
use self::process::write_process;
use self::related::write_related;
use self::socket::Socket;
use self::user::{has_user, name_ids, write_user};
use super::cursor::{Cursor, Full};
use super::sockaddr::{self, SOCKADDR_MAX};
use super::{Encoded, Enrich, Named, MIN_BUFFER};
use crate::assemble::Event;
use crate::encode::id_fields::IdKind;
use crate::record::{decode_hex, looks_hex, Value};

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
    // `auditd.data`'s draft is written in the second half, then kept at
    // the end.
    let base = out.len() / 2;
    let mut facts = Facts::default();
    facts.fill(
        event,
        &mut DataDraft::new(out.get_mut(base..).unwrap_or_default(), base),
    );
    // The ids this document names, not every `uid=` of the event (no
    // `uid_map` here): a handful, found without scanning the bodies.
    let mut named = Named::default();
    name_ids(&facts, &mut named);
    enrich.prepare_named(event, &named);
    let enrich = &*enrich;
    let missing = event.dropped_records() > 0;
    for &detail in details {
        let mut cursor = Cursor::new(out);
        // The whole document: the data's draft kept until `data`.
        if let Some(draft) = facts.data.filter(|_| detail == Detail::Whole) {
            cursor.reserve_tail(cursor.room().saturating_sub(draft.start));
        }
        let truncated = missing || detail != Detail::Whole;
        let doc = match detail {
            Detail::Whole | Detail::Outline => {
                write_document(&mut cursor, event, &facts, enrich, detail, truncated)
            }
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

fn write_document<'a>(
    cursor: &mut Cursor<'_>,
    event: &Event<'a>,
    facts: &Facts<'a>,
    enrich: &impl Enrich,
    detail: Detail,
    truncated: bool,
) -> Result<(), Full> {
    let norm = facts.norm();
    let result = result_of(facts);
    // The socket address, decoded once for the summary, data and network.
    let mut buf = [0; SOCKADDR_MAX];
    let sock = facts.saddr.and_then(|hex| {
        let addr = sockaddr::decode_any(hex, &mut buf)?;
        Some(Socket { addr, hex })
    });
    let mut doc = Members::open(cursor)?;
    time::write_rfc3339(doc.key("@timestamp")?, event.timestamp())?;
    write_event(doc.key("event")?, facts, &norm, result)?;
    write_auditd(
        doc.key("auditd")?,
        event,
        (facts, sock),
        (&norm, result),
        detail,
        enrich,
    )?;
    let mapped = entities(facts);
    if has_user(facts, &mapped) {
        write_user(doc.key("user")?, facts, &mapped, enrich)?;
    }
    if let Some(group) = mapped.group.filter(|e| *e != Entity::Unset) {
        group.write_object(doc.key("group")?, IdKind::Group, enrich)?;
    }
    write_related(&mut doc, &mapped, enrich)?;
    write_process(&mut doc, event, facts, enrich, detail)?;
    if norm.object.is_path() && facts.object_path.is_some() {
        write_file(doc.key("file")?, &facts.object, enrich)?;
    }
    write_network(&mut doc, (facts, sock))?;
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

fn write_event(
    cursor: &mut Cursor<'_>,
    facts: &Facts<'_>,
    norm: &Norm,
    result: Outcome,
) -> Result<(), Full> {
    let mut e = Members::open(cursor)?;
    e.str("module", "auditd")?;
    e.str("kind", if norm.alert { "alert" } else { "event" })?;
    if norm.categories().next().is_some() {
        write_strs(e.key("category")?, norm.categories())?;
    } else if let Some(record) = facts.named() {
        // None: Auditbeat's `event.category` stays aucoalesce's own.
        e.str("category", event_type::event_type(record.msg_type))?;
    }
    if norm.types().next().is_some() {
        write_strs(e.key("type")?, norm.types())?;
    }
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
fn write_strs<'s>(c: &mut Cursor<'_>, items: impl Iterator<Item = &'s str>) -> Result<(), Full> {
    c.push(b"[")?;
    for (i, item) in items.enumerate() {
        if i > 0 {
            c.push(b",")?;
        }
        c.push_string(item.as_bytes())?;
    }
    c.push(b"]")
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
mod facts_layout_tests;
#[cfg(test)]
mod norm_tests;
#[cfg(test)]
mod socket_tests;
#[cfg(test)]
mod tests;

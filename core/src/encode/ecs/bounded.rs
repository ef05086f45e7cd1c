//! The documents for a room the outline does not fit: only members of
//! bounded length, down to `@timestamp` and `auditd.sequence`, which fit
//! [`MIN_BUFFER`] whatever the event ([`BARE_MAX`]).

use super::auditd::write_lower_case;
use super::entity::{entities, Entity};
use super::facts::{present, Facts};
use super::members::Members;
use super::process::number;
use super::user::{own_key_ids, set_id, EFFECTIVE, GID, ID_SLOTS, OWNERS, OWNER_SLOTS, UID};
use super::{result_of, time, write_event, Detail};
use crate::assemble::Event;
use crate::encode::cursor::{Cursor, Full};
use crate::encode::MIN_BUFFER;
use crate::record::Value;

/// The longest bare document ([`Detail::Bare`]): `{"@timestamp":`, the
/// longest timestamp (a 12-digit year from `u64::MAX` seconds: 34 bytes
/// with its quotes), `,"auditd":{"sequence":` and a `u32`, `}`,
/// `,"redacted":` and a `u32`, `,"truncated":true}`.
pub(super) const BARE_MAX: usize = 14 + 34 + 22 + 10 + 1 + 12 + 10 + 18;

const _: () = assert!(BARE_MAX <= MIN_BUFFER);

/// The document for a room the outline does not fit: only members whose
/// length does not depend on the event's text. `Bare`: `@timestamp`,
/// `auditd.sequence` (and `redacted`); `Bounded` adds `event.*` (static
/// tables), `auditd.{message_type,result,session}`, the user ids and the
/// process and parent pids, each only when it is a short decimal (other
/// text is left out, never cut).
pub(super) fn write_bounded(
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
        write_event(doc.key("event")?, facts, &facts.norm(), result)?;
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
        if let Some(ses) = facts.session().and_then(short_decimal) {
            a.key("session")?.push_string(ses)?;
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
/// short decimals, the mapped entities' ids over them as the whole
/// document writes them ([`write_user`](super::user::write_user): no
/// `effective` when it is the user), `user.target`'s and `group`'s.
pub(super) fn write_user_ids<'a>(doc: &mut Members<'_, '_>, facts: &Facts<'a>) -> Result<(), Full> {
    let id = |slot: usize| set_id(facts, slot).and_then(short_decimal);
    let mapped = entities(facts);
    // A member's user id: the mapped entity's, else the field's.
    let user_id = |entity: Option<Entity<'a>>, slot: usize| -> Option<&'a [u8]> {
        match entity {
            Some(e) => e.id().and_then(short),
            None => id(slot),
        }
    };
    let top = user_id(mapped.user, UID);
    let effective = user_id(mapped.effective, OWNER_SLOTS[EFFECTIVE].0);
    let has = ID_SLOTS.iter().any(|&slot| id(slot).is_some())
        || own_key_ids(facts).any(|(_, slot, _)| id(slot).is_some())
        || mapped.user.is_some();
    if has {
        let mut u = Members::open(doc.key("user")?)?;
        let write = |o: &mut Members<'_, '_>, uid: Option<&[u8]>, gid: Option<usize>| {
            if let Some(v) = uid {
                o.key("id")?.push_string(v)?;
            }
            if let Some(v) = gid.and_then(id) {
                let mut g = Members::open(o.key("group")?)?;
                g.key("id")?.push_string(v)?;
                g.close()?;
            }
            Ok::<(), Full>(())
        };
        write(&mut u, top, Some(GID))?;
        for (i, ((owner, _, _), (uid, gid))) in OWNERS.into_iter().zip(OWNER_SLOTS).enumerate() {
            let uid = if i == EFFECTIVE {
                if top.is_some() && effective == top {
                    continue;
                }
                effective
            } else {
                id(uid)
            };
            if uid.is_some() || gid.is_some_and(|g| id(g).is_some()) {
                let mut o = Members::open(u.key(owner)?)?;
                write(&mut o, uid, gid)?;
                o.close()?;
            }
        }
        for (key, slot, _) in own_key_ids(facts) {
            if let (Some(v), Ok(key)) = (id(slot), core::str::from_utf8(key)) {
                let mut o = Members::open(u.key(key)?)?;
                o.key("id")?.push_string(v)?;
                o.close()?;
            }
        }
        if let Some(v) = mapped.target.and_then(Entity::id).and_then(short) {
            let mut o = Members::open(u.key("target")?)?;
            o.key("id")?.push_string(v)?;
            o.close()?;
        }
        u.close()?;
    }
    if let Some(v) = mapped.group.and_then(Entity::id).and_then(short) {
        let mut o = Members::open(doc.key("group")?)?;
        o.key("id")?.push_string(v)?;
        o.close()?;
    }
    Ok(())
}

/// An entity's id of bounded length.
fn short(id: &[u8]) -> Option<&[u8]> {
    (id.len() <= 20).then_some(id)
}

/// The text of a value that is a decimal of at most 20 digits (a `u64`'s
/// length): bounded whatever the record says.
pub(super) fn short_decimal(value: Value<'_>) -> Option<&[u8]> {
    let text = value.text();
    let decimal = !text.is_empty() && text.len() <= 20 && text.iter().all(u8::is_ascii_digit);
    decimal.then_some(text)
}

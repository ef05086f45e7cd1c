//! `user.*`: the id fields (uid, gid, effective, saved, filesystem,
//! audit, and the other id fields of [`id_fields`] under their own keys:
//! `user.old-auid`, `user.new_gid`, …) with the caller's names, and the
//! SELinux label of `subj`. An id of the record's `msg='…'` counts as the
//! record's own (the facts read it there when the record has none).

use core::ops::Range;

use super::entity::{entities, Entities, Entity};
use super::facts::{known_slot, present, Facts, KEYS};
use super::members::Members;
use super::process::Decimal;
use crate::encode::cursor::{Cursor, Full};
use crate::encode::id_fields::{self, IdKind, ID_FIELDS};
use crate::encode::{Enrich, Named};
use crate::record::prefix::eq;
use crate::record::Value;

/// The id fields and their Auditbeat members: (field, object path, is a
/// user id).
pub(super) const IDS: &[(&[u8], &[&str], bool)] = &[
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
pub(super) type Owner = (&'static str, &'static [u8], Option<&'static [u8]>);

/// The `user.*` objects below the top level.
pub(super) const OWNERS: [Owner; 4] = [
    ("effective", b"euid", Some(b"egid")),
    ("saved", b"suid", Some(b"sgid")),
    ("filesystem", b"fsuid", Some(b"fsgid")),
    ("audit", b"auid", None),
];

/// The id fields Auditbeat writes under their own keys, `user.KEY.id`
/// and `user.KEY.name` (its `addUser`'s default, for the ids go-libaudit
/// moves out of the data: keys ending in `uid` or `gid`): every field of
/// [`ID_FIELDS`] but the nine of [`IDS`] and `id` (which go-libaudit
/// keeps in the data; an account record's is named by the entity
/// mapping, [`entities`]).
/// (Key, slot, whose id.)
pub(super) const OWN_KEY_IDS: [(&[u8], usize, IdKind); 12] = {
    let none: &[u8] = b"";
    let mut own = [(none, usize::MAX, IdKind::User); 12];
    let (mut i, mut n) = (0, 0);
    while i < ID_FIELDS.len() {
        let field = ID_FIELDS[i];
        let mut in_ids = eq(field.key, b"id");
        let mut j = 0;
        while j < IDS.len() {
            in_ids |= eq(field.key, IDS[j].0);
            j += 1;
        }
        if !in_ids {
            own[n] = (field.key, known_slot(field.key), field.kind);
            n += 1;
        }
        i += 1;
    }
    assert!(n == own.len());
    own
};

/// The slots of [`OWN_KEY_IDS`], a bit each: none noted, none written
/// (a SYSCALL record has none).
const OWN_KEY_SLOTS: u64 = {
    let mut bits = 0;
    let mut i = 0;
    while i < OWN_KEY_IDS.len() {
        bits |= 1 << OWN_KEY_IDS[i].1;
        i += 1;
    }
    bits
};

/// The slots of [`IDS`]' fields ([`known_slot`]), in that order.
pub(super) const ID_SLOTS: [usize; IDS.len()] = {
    let mut slots = [usize::MAX; IDS.len()];
    let mut i = 0;
    while i < IDS.len() {
        slots[i] = known_slot(IDS[i].0);
        i += 1;
    }
    slots
};

/// The slots of [`OWNERS`]' uid and gid fields, in that order.
pub(super) const OWNER_SLOTS: [(usize, Option<usize>); OWNERS.len()] = {
    let mut slots = [(usize::MAX, None); OWNERS.len()];
    let mut i = 0;
    while i < OWNERS.len() {
        let (_, uid, gid) = OWNERS[i];
        slots[i].0 = known_slot(uid);
        if let Some(gid) = gid {
            slots[i].1 = Some(known_slot(gid));
        }
        i += 1;
    }
    slots
};

/// The slots of the ids named (`uid`, `euid`, `suid`, `fsuid`, `auid`)
/// and grouped (`gid`, `egid`, `sgid`, `fsgid`).
const NAMED_UIDS: [usize; 5] = [
    known_slot(b"uid"),
    known_slot(b"euid"),
    known_slot(b"suid"),
    known_slot(b"fsuid"),
    known_slot(b"auid"),
];
const NAMED_GIDS: [usize; 4] = [
    known_slot(b"gid"),
    known_slot(b"egid"),
    known_slot(b"sgid"),
    known_slot(b"fsgid"),
];
pub(super) const UID: usize = known_slot(b"uid");
pub(super) const GID: usize = known_slot(b"gid");

/// `{"id":…,"name":…}` of id `text` of this kind (the name when known).
pub(super) fn write_account(
    cursor: &mut Cursor<'_>,
    text: &[u8],
    kind: IdKind,
    enrich: &impl Enrich,
) -> Result<(), Full> {
    cursor.push(b"{\"id\":")?;
    cursor.push_string(text)?;
    if let Some(name) = id_fields::name_of(enrich, kind, text) {
        cursor.push(b",\"name\":")?;
        cursor.push_string(name.as_bytes())?;
    }
    cursor.push(b"}")
}

// Every id field is a known key: a slot that reads something.
const _: () = {
    let mut i = 0;
    while i < IDS.len() {
        assert!(ID_SLOTS[i] < KEYS.len());
        i += 1;
    }
    let mut i = 0;
    while i < OWNERS.len() {
        assert!(OWNER_SLOTS[i].0 < KEYS.len());
        if let Some(gid) = OWNER_SLOTS[i].1 {
            assert!(gid < KEYS.len());
        }
        i += 1;
    }
    let mut i = 0;
    while i < NAMED_UIDS.len() {
        assert!(NAMED_UIDS[i] < KEYS.len());
        i += 1;
    }
    let mut i = 0;
    while i < NAMED_GIDS.len() {
        assert!(NAMED_GIDS[i] < KEYS.len());
        i += 1;
    }
    let mut i = 0;
    while i < OWN_KEY_IDS.len() {
        assert!(OWN_KEY_IDS[i].1 < KEYS.len());
        i += 1;
    }
};

/// Every id the document asks the caller about, into `named` (a
/// default's; what [`Enrich::prepare_named`] is given): the set `uid`, `euid`, `suid`,
/// `fsuid` and `auid` of the primary record and the object file's `ouid`
/// (names), the set `gid`, `egid`, `sgid`, `fsgid` and the file's `ogid`
/// (group names), the set [`OWN_KEY_IDS`] (either), the mapped
/// entities' ids (names) and names (ids: [`Named::user_names`],
/// [`Named::group_name`]), and the pid and parent pid that are numbers
/// (identities).
pub(super) fn name_ids<'a>(facts: &Facts<'a>, named: &mut Named<'a>) {
    for slot in NAMED_UIDS {
        if let Some(v) = set_id(facts, slot) {
            named.uids.insert(v.text());
        }
    }
    if let Some(v) = present(facts.object.ouid) {
        named.uids.insert(v.text());
    }
    for slot in NAMED_GIDS {
        if let Some(v) = set_id(facts, slot) {
            named.gids.insert(v.text());
        }
    }
    if let Some(v) = present(facts.object.ogid) {
        named.gids.insert(v.text());
    }
    let own =
        own_key_ids(facts).filter_map(|(_, slot, kind)| Some((set_id(facts, slot)?.text(), kind)));
    let mapped = entities(facts);
    let users = [mapped.user, mapped.effective, mapped.target];
    // (Every mapping maps the user: none, a syscall's event, no names.)
    if mapped.user.is_some() {
        named.user_names = users.map(|e| e.and_then(Entity::name_to_look_up));
        named.group_name = mapped.group.and_then(Entity::name_to_look_up);
    }
    let users = users.into_iter().flatten().map(|e| (e.id(), IdKind::User));
    let group = mapped.group.map(|e| (e.id(), IdKind::Group));
    let mapped = users
        .chain(group)
        .filter_map(|(id, kind)| Some((id?, kind)));
    for (text, kind) in own.chain(mapped) {
        match kind {
            IdKind::User => named.uids.insert(text),
            IdKind::Group => named.gids.insert(text),
        }
    }
    // (Each key looked up where it is named: a constant key folds to
    // its slot.)
    let pid = |v: Option<Value<'a>>| {
        present(v)
            .map(|v| v.text())
            .filter(|t| Decimal::of(t).is_some())
    };
    named.pids = [pid(facts.get(b"pid")), pid(facts.get(b"ppid"))];
}

/// The id of the field whose slot is `slot`, when set.
#[inline(always)]
pub(super) fn set_id<'a>(facts: &Facts<'a>, slot: usize) -> Option<Value<'a>> {
    present(facts.at(slot)).filter(|v| !id_fields::is_unset(v.text()))
}

/// Whether the document has a `user` object: an id, a label, or an
/// entity mapped (Auditbeat writes one, maybe empty, for every event).
#[inline(always)]
pub(super) fn has_user(facts: &Facts<'_>, mapped: &Entities<'_>) -> bool {
    ID_SLOTS.iter().any(|&slot| set_id(facts, slot).is_some())
        || present(facts.get(b"subj")).is_some()
        || own_key_ids(facts).any(|(_, slot, _)| set_id(facts, slot).is_some())
        || mapped.user.is_some()
}

/// [`OWN_KEY_IDS`], none when the facts noted none of them.
#[inline(always)]
pub(super) fn own_key_ids(
    facts: &Facts<'_>,
) -> impl Iterator<Item = (&'static [u8], usize, IdKind)> {
    let any = facts.known.any(OWN_KEY_SLOTS);
    // (Iterated where it is: a const array by value is copied first.)
    const ALL: &[(&[u8], usize, IdKind)] = &OWN_KEY_IDS;
    ALL.iter()
        .copied()
        .take(if any { OWN_KEY_IDS.len() } else { 0 })
}

/// `user.*`: each id written once found (`"id":…` and its name), the
/// objects' punctuation copied as constants. An id whose value was just
/// written for another member (`euid`, `suid`, `fsuid` mostly equal
/// `uid`) is copied from there, its name not asked again. The entities
/// `mapped` are written over the ids: the user's and the effective
/// user's `id` and `name` (their groups stay), `user.target`; as
/// Auditbeat's `removeRedundantEntity` does, no `user.effective` at all
/// when it is the user (the same id or name).
pub(super) fn write_user(
    cursor: &mut Cursor<'_>,
    facts: &Facts<'_>,
    mapped: &Entities<'_>,
    enrich: &impl Enrich,
) -> Result<(), Full> {
    write_user_with(cursor, facts, mapped, enrich, true)
}

/// [`OWNERS`]' index of `effective`.
pub(super) const EFFECTIVE: usize = 0;

const _: () = assert!(eq(OWNERS[EFFECTIVE].1, b"euid"));

/// [`write_user`]; `copy_top`: an object below the top level with the
/// top level's two ids copies the top level's members (else each id is
/// written or copied by itself: what the tests hold the copy to).
#[inline(always)]
fn write_user_with(
    cursor: &mut Cursor<'_>,
    facts: &Facts<'_>,
    mapped: &Entities<'_>,
    enrich: &impl Enrich,
    copy_top: bool,
) -> Result<(), Full> {
    cursor.push(b"{")?;
    // Top level: uid (or the user mapped), gid.
    let mut first = true;
    let mut last = Last::default();
    let start = cursor.pos();
    let uid = match mapped.user {
        Some(user) => {
            first &= !user.write_members(cursor, first, IdKind::User, enrich)?;
            None
        }
        None => Some(UID),
    };
    write_ids(
        cursor,
        &mut first,
        &mut last,
        facts,
        enrich,
        (uid, Some(GID)),
    )?;
    let user = mapped
        .user
        .unwrap_or_else(|| Entity::of_id(set_id(facts, UID)));
    // Both top-level ids, and where their members are: an object below
    // with the same two ids (most: euid, suid and fsuid equal uid) has
    // the same members, copied at once.
    let top = match (mapped.user, set_id(facts, UID), set_id(facts, GID)) {
        (None, Some(u), Some(g)) if copy_top => Some((u.text(), g.text(), start..cursor.pos())),
        _ => None,
    };
    for (i, ((owner, _, _), (uid, gid))) in OWNERS.into_iter().zip(OWNER_SLOTS).enumerate() {
        let (u, g) = (set_id(facts, uid), gid.and_then(|g| set_id(facts, g)));
        let over = mapped.effective.filter(|_| i == EFFECTIVE);
        if i == EFFECTIVE && over.unwrap_or(Entity::of_id(u)).same_as(user, enrich) {
            continue;
        }
        let (uid, u) = match over {
            Some(_) => (None, None),
            None => (Some(uid), u),
        };
        let over = over.filter(|e| *e != Entity::Unset);
        if u.is_none() && g.is_none() && over.is_none() {
            continue;
        }
        cursor.push(if first { b"\"" } else { b",\"" })?;
        cursor.push(owner.as_bytes())?;
        cursor.push(b"\":{")?;
        first = false;
        match (&top, u, g) {
            (Some((tu, tg, at)), Some(u), Some(g)) if u.text() == *tu && g.text() == *tg => {
                cursor.push_again(at.clone())?;
            }
            _ => {
                let mut inner = true;
                if let Some(entity) = over {
                    inner &= !entity.write_members(cursor, inner, IdKind::User, enrich)?;
                }
                write_ids(cursor, &mut inner, &mut last, facts, enrich, (uid, gid))?;
            }
        }
        cursor.push(b"}")?;
    }
    let own = own_key_ids(facts)
        .filter_map(|(key, slot, kind)| Some((key, set_id(facts, slot)?.text(), kind)));
    for (key, text, kind) in own {
        cursor.push(if first { b"\"" } else { b",\"" })?;
        first = false;
        cursor.push(key)?;
        cursor.push(b"\":")?;
        write_account(cursor, text, kind, enrich)?;
    }
    if let Some(target) = mapped.target.filter(|e| *e != Entity::Unset) {
        cursor.push(if first {
            b"\"target\":"
        } else {
            b",\"target\":"
        })?;
        first = false;
        target.write_object(cursor, IdKind::User, enrich)?;
    }
    if let Some(subj) = present(facts.get(b"subj")) {
        cursor.push(if first {
            b"\"selinux\":"
        } else {
            b",\"selinux\":"
        })?;
        write_selinux(cursor, subj.text())?;
    }
    cursor.push(b"}")
}

/// The user id and the group id written last: each value and where its
/// members are in the output.
#[derive(Default)]
struct Last<'a> {
    user: Option<(&'a [u8], Range<usize>)>,
    group: Option<(&'a [u8], Range<usize>)>,
}

/// An object's `"id"` (and `"name"`) of the user id `uid` and its
/// `"group":{"id"…}` of the group id `gid`, each when set.
#[inline(always)]
fn write_ids<'a>(
    c: &mut Cursor<'_>,
    first: &mut bool,
    last: &mut Last<'a>,
    facts: &Facts<'a>,
    enrich: &impl Enrich,
    (uid, gid): (Option<usize>, Option<usize>),
) -> Result<(), Full> {
    if let Some(v) = uid.and_then(|u| set_id(facts, u)) {
        write_id(c, first, &mut last.user, v.text(), |c, text| {
            c.push(b"\"id\":")?;
            c.push_string(text)?;
            if let Some(name) = enrich.user_name(text) {
                c.push(b",\"name\":")?;
                c.push_string(name.as_bytes())?;
            }
            Ok(())
        })?;
    }
    if let Some(v) = gid.and_then(|g| set_id(facts, g)) {
        write_id(c, first, &mut last.group, v.text(), |c, text| {
            c.push(b"\"group\":{\"id\":")?;
            c.push_string(text)?;
            if let Some(name) = enrich.group_name(text) {
                c.push(b",\"name\":")?;
                c.push_string(name.as_bytes())?;
            }
            c.push(b"}")
        })?;
    }
    Ok(())
}

/// The members of the id `text` (after a comma unless `first`): a copy
/// of those of `last` when it is the same value, else written by
/// `write` and remembered as `last`.
#[inline(always)]
fn write_id<'a>(
    c: &mut Cursor<'_>,
    first: &mut bool,
    last: &mut Option<(&'a [u8], Range<usize>)>,
    text: &'a [u8],
    write: impl FnOnce(&mut Cursor<'_>, &[u8]) -> Result<(), Full>,
) -> Result<(), Full> {
    if !core::mem::replace(first, false) {
        c.push(b",")?;
    }
    match last {
        Some((value, at)) if *value == text => c.push_again(at.clone()),
        _ => {
            let start = c.pos();
            write(c, text)?;
            *last = Some((text, start..c.pos()));
            Ok(())
        }
    }
}

/// The members of a split SELinux label: the subject's, inside
/// `user.selinux` (and `file.selinux` for the object's).
pub(super) const LABEL: [&str; 5] = ["user", "role", "domain", "level", "category"];

/// A label's parts as go-libaudit's `parseSELinuxContext` splits `subj`
/// and a PATH record's `obj` (`user:role:domain:level[:category]`, the
/// category keeping any further colon), each named from `names`, up to
/// the first empty part; a label without colons (AppArmor's
/// `unconfined`) is the user alone.
pub(super) fn label_parts<'l>(
    label: &'l [u8],
    names: &'static [&'static str; 5],
) -> impl Iterator<Item = (&'static str, &'l [u8])> {
    let parts = label.splitn(names.len(), |&b| b == b':');
    names
        .iter()
        .copied()
        .zip(parts)
        .take_while(|(_, part)| !part.is_empty())
}

/// A label (`subj`, `obj`) as an object of its parts ([`label_parts`]).
pub(super) fn write_selinux(cursor: &mut Cursor<'_>, label: &[u8]) -> Result<(), Full> {
    let mut s = Members::open(cursor)?;
    for (name, part) in label_parts(label, &LABEL) {
        s.key(name)?.push_string(part)?;
    }
    s.close()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    extern crate std;

    use super::*;
    use crate::encode::test_names::Names;
    use crate::encode::LoggedName;

    /// The ECS document of the one user-space record `body` of type
    /// `msg_type`, named by the test enricher.
    fn document(msg_type: u16, body: &[u8]) -> serde_json::Value {
        let (text, encoded) =
            super::super::tests::encode_with(&[(msg_type, body)], 8192, &mut Names);
        assert!(encoded.is_whole(), "{text}");
        serde_json::from_str(&text).unwrap()
    }

    /// The ids inside `msg='…'` are the record's: the nine Auditbeat
    /// names go where the record's own go (CRYPTO_KEY_USER's `suid` is
    /// `user.saved`), every other id field under its own key
    /// (`user.sauid`, `user.new_gid`), named; `id` stays in the data.
    #[test]
    fn ids_inside_the_user_message_are_named() {
        let v = document(
            2404,
            b"pid=1299 uid=0 auid=4294967295 ses=4294967295 msg='op=destroy kind=server \
              fp=ab:cd direction=? spid=1299 suid=1000  exe=\"/usr/sbin/sshd\" hostname=? \
              addr=10.0.0.1 terminal=? res=success'",
        );
        assert_eq!(
            v["user"],
            serde_json::json!({"id":"0","name":"root","saved":{"id":"1000","name":"alice"}})
        );
        let v = document(
            1102,
            b"pid=3 uid=0 auid=1000 ses=2 msg='op=changing-primary-group acct=\"bob\" \
              exe=\"/usr/sbin/usermod\" id=1000 new_gid=10 sauid=0 inode_uid=5 res=success'",
        );
        // (USER_MGMT's entities: the actor is the user, `uid` the
        // effective one, the account changed the target.)
        assert_eq!(
            v["user"],
            serde_json::json!({"id":"1000","name":"alice","audit":{"id":"1000","name":"alice"},
                "effective":{"id":"0","name":"root"},"target":{"name":"bob"},
                "inode_uid":{"id":"5"},"new_gid":{"id":"10","name":"wheel"},
                "sauid":{"id":"0","name":"root"}})
        );
        let data = &v["auditd"]["data"];
        assert_eq!(data["id"], "1000", "{data}");
        for moved in ["new_gid", "sauid", "inode_uid"] {
            assert!(data.get(moved).is_none(), "{moved} in {data}");
        }
    }

    /// The account an account record is about, named where Auditbeat's
    /// user-change mapping puts it: ADD_USER's and DEL_USER's in
    /// `user.target`, ADD_GROUP's and DEL_GROUP's in `group` (a group's
    /// id, named by the group lookup): its `id`, else its `acct` (a
    /// name); `id` stays in the data too. The record's `uid` is the
    /// effective user, its unset `auid` no user.
    #[test]
    fn the_account_records_id_is_the_target_user_or_the_group() {
        for (msg_type, op) in [(1114, "add-user"), (1115, "delete-user")] {
            let body = std::format!(
                "pid=1264 uid=0 auid=4294967295 ses=4294967295 msg='op={op} id=1000 \
                 exe=\"/usr/sbin/useradd\" hostname=? addr=? terminal=? res=success'"
            );
            let v = document(msg_type, body.as_bytes());
            assert_eq!(
                v["user"],
                serde_json::json!({"effective":{"id":"0","name":"root"},
                    "target":{"id":"1000","name":"alice"}}),
                "{op}: {v}"
            );
            assert!(v.get("group").is_none(), "{v}");
            assert_eq!(v["auditd"]["data"]["id"], "1000");
        }
        for (msg_type, op) in [(1116, "add-group"), (1117, "delete-group")] {
            let body = std::format!(
                "pid=1235 uid=0 auid=4294967295 ses=4294967295 msg='op={op} id=10 \
                 exe=\"/usr/sbin/groupadd\" hostname=? addr=? terminal=? res=success'"
            );
            let v = document(msg_type, body.as_bytes());
            assert_eq!(
                v["group"],
                serde_json::json!({"id":"10","name":"wheel"}),
                "{op}: {v}"
            );
            assert!(v["user"].get("target").is_none(), "{v}");
        }
        // No id: the account's name (shadow-utils' `acct`).
        let v = document(
            1114,
            b"pid=1 uid=0 msg='op=add-user acct=\"bob\" res=success'",
        );
        assert_eq!(
            v["user"]["target"],
            serde_json::json!({"name":"bob"}),
            "{v}"
        );
        let v = document(
            1116,
            b"pid=1 uid=0 msg='op=add-group acct=\"staff\" res=success'",
        );
        assert_eq!(v["group"], serde_json::json!({"name":"staff"}), "{v}");
        // An unset id: none.
        for id in ["id=4294967295", "id=-1"] {
            let body = std::format!("pid=1 uid=0 msg='op=add-user {id} res=success'");
            let v = document(1114, body.as_bytes());
            assert!(v["user"].get("target").is_none(), "{id}: {v}");
        }
        // A login's `id` is the effective user (here the user: left out),
        // no account changed.
        let login = b"pid=1 uid=0 auid=1000 msg='op=login id=1000 res=success'";
        let v = document(1112, login);
        assert_eq!(
            v["user"],
            serde_json::json!({"id":"1000","name":"alice",
            "audit":{"id":"1000","name":"alice"}}),
            "{v}"
        );
        assert!(v.get("group").is_none(), "{v}");
    }

    /// An account a record names only by its name gets its id from the
    /// caller, as Auditbeat's `resolve_ids` looks the name up (the id a
    /// string, as Auditbeat writes it): ADD_USER's and USER_MGMT's
    /// target, ADD_GROUP's group (by the group lookup), a session
    /// record's effective user. An unknown name stays a name alone.
    #[test]
    fn an_account_named_only_by_name_gets_its_id() {
        let v = document(
            1114,
            b"pid=1 uid=0 msg='op=add-user acct=\"alice\" res=success'",
        );
        assert_eq!(
            v["user"]["target"],
            serde_json::json!({"id":"1000","name":"alice"}),
            "{v}"
        );
        let v = document(
            1116,
            b"pid=1 uid=0 msg='op=add-group acct=\"wheel\" res=success'",
        );
        assert_eq!(
            v["group"],
            serde_json::json!({"id":"10","name":"wheel"}),
            "{v}"
        );
        let v = document(
            1102,
            b"pid=3 uid=0 auid=1000 ses=2 msg='op=changing-shell acct=\"root\" \
              exe=\"/usr/sbin/usermod\" res=success'",
        );
        assert_eq!(
            v["user"]["target"],
            serde_json::json!({"id":"0","name":"root"}),
            "{v}"
        );
        let v = document(
            1112,
            b"pid=9 uid=0 auid=1000 ses=2 msg='op=login acct=\"root\" \
              exe=\"/usr/sbin/sshd\" hostname=? addr=? terminal=ssh res=success'",
        );
        assert_eq!(
            v["user"],
            serde_json::json!({"id":"1000","name":"alice",
                "effective":{"id":"0","name":"root"},"audit":{"id":"1000","name":"alice"}}),
            "{v}"
        );
        // An unknown name: no id.
        let v = document(
            1114,
            b"pid=1 uid=0 msg='op=add-user acct=\"carol\" res=success'",
        );
        assert_eq!(v["user"]["target"], serde_json::json!({"name":"carol"}));
    }

    /// The caller is asked the id of the names [`name_ids`] listed, and
    /// only those: a user's and a group's apart, a hex-encoded name by
    /// its decoding (sshd's `(invalid user)`, which no account has, too),
    /// one whose decoding is no name (not UTF-8) not at all.
    #[test]
    fn names_asked_about_are_the_names_prepared() {
        /// Users' names, groups' names.
        type Lists = [std::vec::Vec<std::vec::Vec<u8>>; 2];
        #[derive(Default)]
        struct Asked {
            prepared: Lists,
            asked: core::cell::RefCell<Lists>,
        }
        impl Enrich for Asked {
            fn prepare_named(&mut self, _: &crate::assemble::Event<'_>, named: &Named<'_>) {
                // (Every name listed is asked: `with_bytes` gives its bytes.)
                let list = |names: &[Option<LoggedName<'_>>]| {
                    let mut names: std::vec::Vec<_> = names
                        .iter()
                        .flatten()
                        .map(|n| n.with_bytes(<[u8]>::to_vec).unwrap())
                        .collect();
                    names.sort();
                    names.dedup();
                    names
                };
                self.prepared = [list(&named.user_names), list(&[named.group_name])];
            }
            fn user_name(&self, _: &[u8]) -> Option<&str> {
                None
            }
            fn user_id(&self, name: &[u8]) -> Option<&str> {
                self.asked.borrow_mut()[0].push(name.to_vec());
                None
            }
            fn group_id(&self, name: &[u8]) -> Option<&str> {
                self.asked.borrow_mut()[1].push(name.to_vec());
                None
            }
        }
        /// A record's type and body, the users' and groups' names asked.
        type Case = (u16, &'static [u8], [&'static [&'static [u8]]; 2]);
        let cases: [Case; 6] = [
            (
                1102,
                b"pid=3 uid=0 auid=1000 msg='op=x acct=\"bob\" res=success'",
                [&[b"bob"], &[]],
            ),
            (
                1116,
                b"pid=1 uid=0 msg='op=add-group acct=\"staff\" res=success'",
                [&[], &[b"staff"]],
            ),
            (
                1112,
                b"pid=1 uid=0 auid=1000 msg='op=login acct=28696E76616C6964207573657229 \
                  res=failed'",
                [&[b"(invalid user)"], &[]],
            ),
            (
                1116,
                b"pid=1 uid=0 msg='op=add-group acct=7374616666 res=success'",
                [&[], &[b"staff"]],
            ),
            // Latin-1's "Jos\xe9": not UTF-8, no name.
            (
                1112,
                b"pid=1 uid=0 auid=1000 msg='op=login acct=4A6F73E9 res=failed'",
                [&[], &[]],
            ),
            // A name in the actor's place (`auid` not a number) too.
            (
                1112,
                b"pid=1 uid=0 auid=bob msg='op=login acct=\"carol\" res=success'",
                [&[b"bob", b"carol"], &[]],
            ),
        ];
        for (msg_type, body, want) in cases {
            let mut asked = Asked::default();
            let (text, encoded) =
                super::super::tests::encode_with(&[(msg_type, body)], 8192, &mut asked);
            assert!(encoded.is_whole(), "{text}");
            let want: Lists = want.map(|names| names.iter().map(|n| n.to_vec()).collect());
            assert_eq!(asked.prepared, want, "{text}");
            let mut got = asked.asked.borrow().clone();
            for names in &mut got {
                names.sort();
                names.dedup();
            }
            assert_eq!(got, want, "every name asked was prepared: {text}");
        }
    }

    /// An unset id (`4294967295`, `-1`) is left out wherever it is, as
    /// Auditbeat leaves out go-libaudit's `unset`; LOGIN's own
    /// `old-auid` is `user.old-auid`.
    #[test]
    fn unset_ids_are_left_out_and_old_auid_is_a_users() {
        for unset in ["4294967295", "-1"] {
            let body = std::format!(
                "pid=9 uid=0 auid={unset} ses=1 msg='op=login id={unset} sauid={unset} \
                 exe=\"/usr/sbin/sshd\" hostname=? addr=? terminal=/dev/pts/0 res=failed'"
            );
            let v = document(1112, body.as_bytes());
            // (A login's user is its `auid`, unset: `uid` is no user of it.)
            assert_eq!(v["user"], serde_json::json!({}), "{unset}");
            assert!(v["auditd"]["data"].get("sauid").is_none());
        }
        let login = b"pid=2 uid=0 subj=unconfined old-auid=4294967295 auid=1000 tty=(none) \
            old-ses=4294967295 ses=3 res=1";
        let v = document(1006, login);
        assert!(v["user"].get("old-auid").is_none(), "{v}");
        let relogin = b"pid=2 uid=0 old-auid=1000 auid=0 tty=(none) old-ses=2 ses=3 res=1";
        let v = document(1006, relogin);
        assert_eq!(
            v["user"]["old-auid"],
            serde_json::json!({"id":"1000","name":"alice"})
        );
        assert!(v["auditd"]["data"].get("old-auid").is_none(), "{v}");
    }

    /// A document cut down to the members of bounded length keeps the
    /// other ids as it keeps the nine: their numbers, no names; the
    /// mapped entities' ids as the whole document has them (USER_MGMT's
    /// actor the user, its `uid` the effective user; the target, a long
    /// name, left out).
    #[test]
    fn the_bounded_level_keeps_the_other_ids() {
        let long = "x".repeat(4096);
        let body = std::format!(
            "pid=3 uid=0 auid=1000 ses=2 msg='op=changing acct=\"{long}\" \
             exe=\"/{long}\" new_gid=10 sauid=-1 obj_uid=5 res=success'"
        );
        let records: &[(u16, &[u8])] = &[(1102, body.as_bytes())];
        let (text, encoded) = super::super::tests::encode_with(records, 600, &mut Names);
        assert!(encoded.truncated, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v["auditd"].get("data").is_none(), "the bounded level: {v}");
        assert_eq!(
            v["user"],
            serde_json::json!({"id":"1000","effective":{"id":"0"},"audit":{"id":"1000"},
                "obj_uid":{"id":"5"},"new_gid":{"id":"10"}})
        );
        let added = b"pid=1 uid=0 auid=4294967295 msg='op=add-user id=1001 res=success'";
        let records: &[(u16, &[u8])] = &[(1114, added)];
        let whole = super::super::tests::encode_with(records, 4096, &mut Names).0;
        let whole: serde_json::Value = serde_json::from_str(&whole).unwrap();
        assert_eq!(
            whole["user"],
            serde_json::json!({"effective":{"id":"0","name":"root"},"target":{"id":"1001"}})
        );
        let mut facts_room = [0u8; 4096];
        super::super::tests::with_event(&[(1114, added.to_vec())], |e| {
            let facts = Facts::of(e, &mut facts_room);
            let mut out = [0u8; 512];
            let mut c = Cursor::new(&mut out);
            let mut doc = Members::open(&mut c).unwrap();
            super::super::bounded::write_user_ids(&mut doc, &facts).unwrap();
            doc.close().unwrap();
            let n = c.pos();
            let v: serde_json::Value = serde_json::from_slice(&out[..n]).unwrap();
            assert_eq!(
                v,
                serde_json::json!({"user":{"effective":{"id":"0"},"target":{"id":"1001"}}})
            );
        });
    }

    /// The enricher is told of every id the document names: those inside
    /// `msg='…'`, users' and groups' apart.
    #[test]
    fn named_ids_include_the_messages() {
        let records = [(
            1102,
            b"pid=3 uid=0 auid=1000 msg='op=x id=7 new_gid=10 sauid=-1 obj_uid=5 suid=6 res=success'"
                .to_vec(),
        )];
        super::super::tests::with_event(&records, |e| {
            let facts = Facts::of(e, &mut [0u8; 4096]);
            let mut named = Named::default();
            name_ids(&facts, &mut named);
            let text =
                |v: &UidValuesView<'_>| v.iter().map(|v| v.to_vec()).collect::<std::vec::Vec<_>>();
            // (`id`, the account USER_MGMT changed: its target user.)
            assert_eq!(
                text(&named.uids.values),
                [&b"0"[..], b"1000", b"5", b"6", b"7"]
            );
            assert_eq!(text(&named.gids.values), [&b"10"[..]]);
        });
        // An account record's `id`: a user's or a group's by the record.
        for (msg_type, uids, gids) in [(1114, &["0", "7"][..], &[][..]), (1116, &["0"], &["7"])] {
            let records = [(
                msg_type,
                b"pid=1 uid=0 msg='op=x id=7 res=success'".to_vec(),
            )];
            super::super::tests::with_event(&records, |e| {
                let facts = Facts::of(e, &mut [0u8; 4096]);
                let mut named = Named::default();
                name_ids(&facts, &mut named);
                let bytes = |v: &[&'static str]| -> std::vec::Vec<&'static [u8]> {
                    v.iter().map(|s| s.as_bytes()).collect()
                };
                assert_eq!(&named.uids.values[..], bytes(uids), "{msg_type}");
                assert_eq!(&named.gids.values[..], bytes(gids), "{msg_type}");
            });
        }
    }

    type UidValuesView<'a> = heapless::Vec<&'a [u8], { crate::encode::uids::MAX_UIDS }>;

    proptest::proptest! {
        /// The objects below the top level copied from it write what
        /// each id written by itself gives: ids set, unset, equal or not
        /// (named by the test enricher or not), in any room.
        #[test]
        fn copied_objects_are_the_written_ones(
            ids in proptest::collection::vec(
                proptest::sample::select(&["0", "1000", "10", "4294967295", "5", "?", ""][..]),
                9,
            ),
            room in 0usize..400,
        ) {
            let keys = ["uid", "gid", "euid", "egid", "suid", "sgid", "fsuid", "fsgid", "auid"];
            let mut body = std::string::String::from("arch=c000003e syscall=2 success=yes exit=3 pid=7");
            for (key, id) in keys.iter().zip(&ids) {
                if !id.is_empty() {
                    body.push_str(&std::format!(" {key}={id}"));
                }
            }
            let records = [(1300u16, body.into_bytes()), (1320, std::vec::Vec::new())];
            super::super::tests::with_event(&records, |e| {
                let facts = Facts::of(e, &mut [0u8; 4096]);
                let mut a = std::vec![0u8; room];
                let mut b = std::vec![0u8; room];
                let (mut ca, mut cb) = (Cursor::new(&mut a), Cursor::new(&mut b));
                let mapped = entities(&facts);
                let ra = write_user_with(&mut ca, &facts, &mapped, &Names, true);
                let rb = write_user_with(&mut cb, &facts, &mapped, &Names, false);
                assert_eq!(ra.is_ok(), rb.is_ok());
                if ra.is_ok() {
                    let (na, nb) = (ca.pos(), cb.pos());
                    assert_eq!(
                        std::string::String::from_utf8_lossy(&a[..na]),
                        std::string::String::from_utf8_lossy(&b[..nb])
                    );
                }
            });
        }
    }
}

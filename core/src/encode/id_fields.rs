//! Which fields hold user and group ids, and the names auditd's ENRICHED
//! format gives them: auparse's interpretation table (`typetab.h`'s
//! `AUPARSE_TYPE_UID` and `AUPARSE_TYPE_GID` fields) with its one
//! record-type exception (`interpret.c`, `auparse_interp_adjust_type`: the
//! `id` of ADD_GROUP, GRP_MGMT and DEL_GROUP is a group's). The one rule
//! for a record's own fields and those of its `msg='…'` (user-space
//! records: ADD_USER's `id`, CRYPTO_KEY_USER's `suid`, …), used by the
//! structured shape's `interpreted` names, the ECS shape's `user.*` and
//! the daemon's enricher (which ids it looks up).
//!
//! An id that says "not set" ([`is_unset`]: `4294967295`, or `-1` as
//! some user-space programs write it) is never named.

use super::Enrich;
use crate::wire::MessageType;

/// Whose id a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    /// A user's: named by [`Enrich::user_name`].
    User,
    /// A group's: named by [`Enrich::group_name`].
    Group,
}

/// One id field: its key, auditd's ENRICHED name for it (the key in
/// upper case), and whose id it holds (for `id`, see [`kind_in`]).
#[derive(Clone, Copy, Debug)]
pub struct IdField {
    pub key: &'static [u8],
    pub enriched: &'static str,
    pub kind: IdKind,
}

const fn user(key: &'static [u8], enriched: &'static str) -> IdField {
    IdField {
        key,
        enriched,
        kind: IdKind::User,
    }
}

const fn group(key: &'static [u8], enriched: &'static str) -> IdField {
    IdField {
        key,
        enriched,
        kind: IdKind::Group,
    }
}

/// The id fields, in `typetab.h`'s order.
pub const ID_FIELDS: [IdField; 22] = [
    user(b"auid", "AUID"),
    user(b"uid", "UID"),
    user(b"euid", "EUID"),
    user(b"suid", "SUID"),
    user(b"fsuid", "FSUID"),
    user(b"ouid", "OUID"),
    user(b"oauid", "OAUID"),
    user(b"old-auid", "OLD-AUID"),
    user(b"iuid", "IUID"),
    user(b"id", "ID"),
    user(b"inode_uid", "INODE_UID"),
    user(b"sauid", "SAUID"),
    user(b"obj_uid", "OBJ_UID"),
    group(b"obj_gid", "OBJ_GID"),
    group(b"gid", "GID"),
    group(b"egid", "EGID"),
    group(b"sgid", "SGID"),
    group(b"fsgid", "FSGID"),
    group(b"ogid", "OGID"),
    group(b"igid", "IGID"),
    group(b"inode_gid", "INODE_GID"),
    group(b"new_gid", "NEW_GID"),
];

/// Where `id` is in [`ID_FIELDS`].
const ID: usize = 9;

/// The index of `key` in [`ID_FIELDS`] (a `match`: cheaper than a search
/// of the table per field; a test holds the two together).
#[inline(always)]
pub const fn id_field(key: &[u8]) -> Option<usize> {
    Some(match key {
        b"auid" => 0,
        b"uid" => 1,
        b"euid" => 2,
        b"suid" => 3,
        b"fsuid" => 4,
        b"ouid" => 5,
        b"oauid" => 6,
        b"old-auid" => 7,
        b"iuid" => 8,
        b"id" => ID,
        b"inode_uid" => 10,
        b"sauid" => 11,
        b"obj_uid" => 12,
        b"obj_gid" => 13,
        b"gid" => 14,
        b"egid" => 15,
        b"sgid" => 16,
        b"fsgid" => 17,
        b"ogid" => 18,
        b"igid" => 19,
        b"inode_gid" => 20,
        b"new_gid" => 21,
        _ => return None,
    })
}

/// Whose id field `at` of [`ID_FIELDS`] holds in a record of type
/// `msg_type`: `id` is a group's in the group-account records.
pub const fn kind_in(msg_type: MessageType, at: usize) -> Option<IdKind> {
    if at == ID && matches!(msg_type.0, ADD_GROUP | DEL_GROUP | GRP_MGMT) {
        return Some(IdKind::Group);
    }
    if at < ID_FIELDS.len() {
        Some(ID_FIELDS[at].kind)
    } else {
        None
    }
}

/// Whose id the field `key` holds in a record of type `msg_type`, if
/// it is an id field.
#[inline]
pub fn id_kind(msg_type: MessageType, key: &[u8]) -> Option<IdKind> {
    kind_in(msg_type, id_field(key)?)
}

/// `AUDIT_ADD_GROUP`, `AUDIT_DEL_GROUP`, `AUDIT_GRP_MGMT`.
const ADD_GROUP: u16 = 1116;
const DEL_GROUP: u16 = 1117;
const GRP_MGMT: u16 = 1132;

/// The value says "not set": `(uid_t)-1` as the kernel writes it, or as
/// `-1`.
#[inline]
pub fn is_unset(value: &[u8]) -> bool {
    matches!(value, b"4294967295" | b"-1")
}

/// The name of id `value` of this kind, as the caller knows it; `None`
/// when unknown or unset.
#[inline]
pub fn name_of<'e>(enrich: &'e impl Enrich, kind: IdKind, value: &[u8]) -> Option<&'e str> {
    if is_unset(value) {
        return None;
    }
    match kind {
        IdKind::User => enrich.user_name(value),
        IdKind::Group => enrich.group_name(value),
    }
}

/// The id of the user or group `name` of this kind, as the caller knows
/// it ([`Enrich::user_id`], [`Enrich::group_id`]); `None` when unknown.
#[inline]
pub fn id_of<'e>(enrich: &'e impl Enrich, kind: IdKind, name: &[u8]) -> Option<&'e str> {
    match kind {
        IdKind::User => enrich.user_id(name),
        IdKind::Group => enrich.group_id(name),
    }
}

/// The group-id keys of [`ID_FIELDS`] (`id` aside: a user's but in the
/// group-account records), in its order: what an enricher that reads
/// only a record's own fields looks for.
pub const GROUP_KEYS: [&[u8]; 9] = {
    let mut keys: [&[u8]; 9] = [b""; 9];
    let mut i = 0;
    let mut n = 0;
    while i < ID_FIELDS.len() {
        if matches!(ID_FIELDS[i].kind, IdKind::Group) {
            keys[n] = ID_FIELDS[i].key;
            n += 1;
        }
        i += 1;
    }
    assert!(n == keys.len());
    keys
};

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::encode::test_names::Names;

    #[test]
    fn id_field_is_the_tables_index() {
        for (at, field) in ID_FIELDS.iter().enumerate() {
            assert_eq!(id_field(field.key), Some(at), "{:?}", field.enriched);
            let upper = std::string::String::from_utf8(field.key.to_ascii_uppercase()).unwrap();
            assert_eq!(
                field.enriched, upper,
                "auditd's name is the key in upper case"
            );
        }
        for key in [
            &b"pid"[..],
            b"uid ",
            b"UID",
            b"",
            b"idx",
            b"new_uid",
            b"ses",
        ] {
            assert_eq!(id_field(key), None);
        }
        assert_eq!(
            GROUP_KEYS,
            [
                &b"obj_gid"[..],
                b"gid",
                b"egid",
                b"sgid",
                b"fsgid",
                b"ogid",
                b"igid",
                b"inode_gid",
                b"new_gid"
            ]
        );
    }

    /// `typetab.h`'s kinds, and `id` a group's only in the group-account
    /// records.
    #[test]
    fn kinds_as_auparse_reads_them() {
        let add_user = MessageType(1114);
        let user_login = MessageType(1112);
        for key in [&b"auid"[..], b"sauid", b"old-auid", b"inode_uid", b"id"] {
            assert_eq!(id_kind(add_user, key), Some(IdKind::User));
        }
        for key in [&b"new_gid"[..], b"gid", b"obj_gid", b"igid"] {
            assert_eq!(id_kind(add_user, key), Some(IdKind::Group));
        }
        assert_eq!(id_kind(user_login, b"id"), Some(IdKind::User));
        for group_record in [1116, 1117, 1132] {
            let t = MessageType(group_record);
            assert_eq!(id_kind(t, b"id"), Some(IdKind::Group));
            assert_eq!(id_kind(t, b"auid"), Some(IdKind::User));
        }
        assert_eq!(id_kind(add_user, b"acct"), None);
        assert_eq!(kind_in(add_user, ID_FIELDS.len()), None);
    }

    #[test]
    fn unset_ids_are_never_named() {
        assert_eq!(name_of(&Names, IdKind::User, b"1000"), Some("alice"));
        assert_eq!(name_of(&Names, IdKind::Group, b"10"), Some("wheel"));
        assert_eq!(name_of(&Names, IdKind::Group, b"1000"), None);
        assert!(is_unset(b"4294967295") && is_unset(b"-1"));
        assert!(!is_unset(b"0") && !is_unset(b"") && !is_unset(b"unset"));
        /// Names every id, unset ones too: `name_of` still names none of those.
        struct Everyone;
        impl Enrich for Everyone {
            fn user_name(&self, _: &[u8]) -> Option<&str> {
                Some("someone")
            }
            fn group_name(&self, _: &[u8]) -> Option<&str> {
                Some("some group")
            }
        }
        for kind in [IdKind::User, IdKind::Group] {
            assert_eq!(name_of(&Everyone, kind, b"4294967295"), None);
            assert_eq!(name_of(&Everyone, kind, b"-1"), None);
            assert!(name_of(&Everyone, kind, b"5").is_some());
        }
    }
}

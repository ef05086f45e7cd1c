//! aucoalesce's ECS entity mappings (`ecs.mappings` of its
//! normalizations): for login, session and account records, who the
//! event's `user`, `user.effective`, `user.target` and `group` are, read
//! from the summary's actor, the account the record names, its `uid` or
//! its object. Auditbeat (`audit_linux.go`, `setECSEntity`) writes each
//! over what the id fields gave: a decimal as `id` (named by the
//! caller), anything else as `name` (its `id` the caller's, as
//! Auditbeat's `resolve_ids` looks a name up, a hex-encoded one by its
//! decoding), an unset or absent one as neither.
//! Found by the named record's type (one match; none for a syscall).

use super::facts::{present, Facts};
use super::members::{is_hex, write_str};
use crate::encode::cursor::{Cursor, Full};
use crate::encode::id_fields::{self, IdKind};
use crate::encode::{Enrich, LoggedName};
use crate::record::Value;
use crate::wire::MessageType;

/// Where an entity is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// The summary's actor (aucoalesce's subject): `auid`, LOGIN's
    /// `old-auid` ([`actor`]).
    Actor,
    /// The account a user-space record names ([`account`]).
    Account,
    /// `uid`.
    Uid,
    /// LOGIN's new login id, `auid` (its summary's object).
    LoginId,
    /// An account record's object: `id`, else `acct`.
    Object,
}

/// Which entity each of Auditbeat's members is, when mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Mapping {
    user: Source,
    effective: Source,
    target: Option<Source>,
    group: Option<Source>,
}

/// The mappings of go-libaudit's normalizations, by record type.
fn mapping(msg_type: MessageType) -> Option<Mapping> {
    use Source::*;
    let session = Mapping {
        user: Actor,
        effective: Account,
        target: None,
        group: None,
    };
    Some(match msg_type.0 {
        // USER_AUTH, USER_ACCT, USER_MGMT … USER_END, USER_CHAUTHTOK,
        // USER_ERR, CRED_ACQ, CRED_DISP, CRED_REFR, USER_LOGIN, USER_LOGOUT.
        1100 | 1101 | 1103..=1106 | 1109 | 1110 | 1112 | 1113 => session,
        // GRP_AUTH: its subject is aucoalesce's default, `uid`.
        1126 => Mapping {
            effective: Uid,
            ..session
        },
        // USER_MGMT, USER_CHAUTHTOK: the account changed is the target.
        1102 | 1108 => Mapping {
            effective: Uid,
            target: Some(Account),
            ..session
        },
        // GRP_CHAUTHTOK: the account named is a group.
        1133 => Mapping {
            effective: Uid,
            group: Some(Account),
            ..session
        },
        // LOGIN: from the old login id to the new.
        1006 => Mapping {
            effective: LoginId,
            ..session
        },
        // ADD_USER, DEL_USER.
        1114 | 1115 => Mapping {
            effective: Uid,
            target: Some(Object),
            ..session
        },
        // ADD_GROUP, DEL_GROUP.
        1116 | 1117 => Mapping {
            effective: Uid,
            group: Some(Object),
            ..session
        },
        // GRP_MGMT: its subject's `uid` is both the effective user and,
        // as go-libaudit maps it, the group.
        1132 => Mapping {
            effective: Uid,
            group: Some(Uid),
            ..session
        },
        _ => return None,
    })
}

/// A mapped member's value, as go-libaudit's `ECSEntityData.set` sorts
/// it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Entity<'a> {
    /// Absent, empty or unset (`4294967295`, `-1`): neither id nor name.
    Unset,
    /// A decimal: the id (its name the caller's).
    Id(&'a [u8]),
    /// Anything else: a name, as field `key` holds it (`acct` may be
    /// hex-encoded).
    Name(&'static [u8], Value<'a>),
}

impl<'a> Entity<'a> {
    fn of(key: &'static [u8], value: Option<Value<'a>>) -> Entity<'a> {
        let Some(value) = present(value) else {
            return Entity::Unset;
        };
        let text = value.text();
        if text.is_empty() || id_fields::is_unset(text) || text == b"unset" {
            Entity::Unset
        } else if text.len() < 20 && text.iter().all(u8::is_ascii_digit) && !is_hex(key, value) {
            Entity::Id(text)
        } else {
            Entity::Name(key, value)
        }
    }

    /// An id field's value (`uid`, `euid`) as the entity it is.
    pub(super) fn of_id(value: Option<Value<'a>>) -> Entity<'a> {
        Entity::of(b"uid", value)
    }

    /// The name the document gives it: a name's own text (hex-encoded
    /// ones aside), an id's from the caller.
    fn name<'e>(self, kind: IdKind, enrich: &'e impl Enrich) -> Option<&'e [u8]>
    where
        'a: 'e,
    {
        match self {
            Entity::Unset => None,
            Entity::Id(id) => id_fields::name_of(enrich, kind, id).map(str::as_bytes),
            Entity::Name(key, value) => (!is_hex(key, value)).then_some(value.text()),
        }
    }

    /// The id the document gives it: an id's own text, a name's from
    /// the caller (Auditbeat's `resolve_ids` looks a name up as it
    /// looks an id's name up, a hex-encoded one by its decoding).
    fn resolved_id<'e>(self, kind: IdKind, enrich: &'e impl Enrich) -> Option<&'e [u8]>
    where
        'a: 'e,
    {
        match self {
            Entity::Unset => None,
            Entity::Id(id) => Some(id),
            Entity::Name(key, value) => logged_name(key, value)
                .with_bytes(|name| id_fields::id_of(enrich, kind, name))?
                .map(str::as_bytes),
        }
    }

    /// Auditbeat's `removeRedundantEntity`: the same id, or the same
    /// name, as `other` (users both), a name's id and an id's name as
    /// the caller knows them.
    pub(super) fn same_as(self, other: Entity<'_>, enrich: &impl Enrich) -> bool {
        match (self, other) {
            // (Most: a syscall's uid and euid, no lookup.)
            (Entity::Id(a), Entity::Id(b)) if a == b => true,
            (Entity::Unset, _) | (_, Entity::Unset) => false,
            _ => {
                let mine = self.resolved_id(IdKind::User, enrich);
                if mine.is_some() && mine == other.resolved_id(IdKind::User, enrich) {
                    return true;
                }
                let mine = self.name(IdKind::User, enrich);
                mine.is_some() && mine == other.name(IdKind::User, enrich)
            }
        }
    }

    /// `"id":…` and/or `"name":…` (after a comma unless `first`); false
    /// when it wrote nothing (unset).
    pub(super) fn write_members(
        self,
        c: &mut Cursor<'_>,
        first: bool,
        kind: IdKind,
        enrich: &impl Enrich,
    ) -> Result<bool, Full> {
        let comma: &[u8] = if first { b"" } else { b"," };
        match self {
            Entity::Unset => return Ok(false),
            Entity::Id(id) => {
                c.push(comma)?;
                c.push(b"\"id\":")?;
                c.push_string(id)?;
                if let Some(name) = id_fields::name_of(enrich, kind, id) {
                    c.push(b",\"name\":")?;
                    c.push_string(name.as_bytes())?;
                }
            }
            Entity::Name(key, value) => {
                c.push(comma)?;
                if let Some(id) = self.resolved_id(kind, enrich) {
                    c.push(b"\"id\":")?;
                    c.push_string(id)?;
                    c.push(b",")?;
                }
                c.push(b"\"name\":")?;
                write_str(c, key, value)?;
            }
        }
        Ok(true)
    }

    /// `{"id":…,"name":…}` ([`write_members`](Self::write_members)).
    pub(super) fn write_object(
        self,
        c: &mut Cursor<'_>,
        kind: IdKind,
        enrich: &impl Enrich,
    ) -> Result<(), Full> {
        c.push(b"{")?;
        self.write_members(c, true, kind, enrich)?;
        c.push(b"}")
    }

    /// The id the caller is asked to name.
    pub(super) fn id(self) -> Option<&'a [u8]> {
        match self {
            Entity::Id(id) => Some(id),
            _ => None,
        }
    }

    /// The name the caller is asked the id of, as the record logged it
    /// (hex-encoded or not; `None` for what no account can be named,
    /// [`LoggedName::is_asked`]).
    pub(super) fn name_to_look_up(self) -> Option<LoggedName<'a>> {
        match self {
            Entity::Name(key, value) => Some(logged_name(key, value)).filter(|n| n.is_asked()),
            _ => None,
        }
    }
}

/// A name field's value as a [`LoggedName`]: hex-encoded where the
/// document writes it decoded ([`is_hex`]).
fn logged_name<'a>(key: &[u8], value: Value<'a>) -> LoggedName<'a> {
    if is_hex(key, value) {
        LoggedName::hex(value.text())
    } else {
        LoggedName::text(value.text())
    }
}

/// The mapped members of an event: `None` where the id fields stay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Entities<'a> {
    pub(super) user: Option<Entity<'a>>,
    pub(super) effective: Option<Entity<'a>>,
    pub(super) target: Option<Entity<'a>>,
    pub(super) group: Option<Entity<'a>>,
}

/// The mapped members of the event of `facts` (none for a syscall's).
#[inline(always)]
pub(super) fn entities<'a>(facts: &Facts<'a>) -> Entities<'a> {
    if facts.is_syscall {
        return Entities::default();
    }
    let Some(mapping) = facts.named().and_then(|r| mapping(r.msg_type)) else {
        return Entities::default();
    };
    let read = |source| read(facts, source);
    Entities {
        user: Some(read(mapping.user)),
        effective: Some(read(mapping.effective)),
        target: mapping.target.map(read),
        group: mapping.group.map(read),
    }
}

fn read<'a>(facts: &Facts<'a>, source: Source) -> Entity<'a> {
    match source {
        Source::Actor => {
            let (key, value) = actor(facts);
            Entity::of(key, value)
        }
        Source::Account => {
            let (key, value) = account(facts);
            Entity::of(key, value)
        }
        Source::Uid => Entity::of(b"uid", facts.get(b"uid")),
        Source::LoginId => Entity::of(b"auid", facts.get(b"auid")),
        Source::Object => match present(facts.get(b"id")) {
            Some(id) => Entity::of(b"id", Some(id)),
            None => Entity::of(b"acct", facts.get(b"acct")),
        },
    }
}

/// The summary's actor (aucoalesce's subject primary): `auid`; LOGIN,
/// which changes it, its old one (`old-auid`). Its key and value.
pub(super) fn actor<'a>(facts: &Facts<'a>) -> (&'static [u8], Option<Value<'a>>) {
    let login = facts
        .named()
        .is_some_and(|r| r.msg_type == MessageType::LOGIN);
    let key: &'static [u8] = if login { b"old-auid" } else { b"auid" };
    (key, facts.get(key))
}

/// The account a user-session record names (aucoalesce's subject
/// secondary for them, [`names_account`]): `acct`, else `id`, else
/// `uid`; any other event's (a syscall's, an account record's) is its
/// `uid`, aucoalesce's default. Its key and value.
pub(super) fn account<'a>(facts: &Facts<'a>) -> (&'static [u8], Option<Value<'a>>) {
    if !facts.is_syscall && facts.named().is_some_and(|r| names_account(r.msg_type)) {
        for key in [&b"acct"[..], b"id"] {
            if let Some(v) = present(facts.get(key)) {
                return (key, Some(v));
            }
        }
    }
    (b"uid", facts.get(b"uid"))
}

/// The record types go-libaudit normalises with its user-session macro
/// (`subject_secondary: [acct, id, uid]`): USER_AUTH … USER_END,
/// USER_CHAUTHTOK, USER_ERR, CRED_REFR, USER_LOGIN, USER_LOGOUT,
/// GRP_CHAUTHTOK, the ANOM_LOGIN_* records, USER_ROLE_CHANGE,
/// CRYPTO_KEY_USER, CRYPTO_SESSION.
const fn names_account(msg_type: MessageType) -> bool {
    matches!(
        msg_type.0,
        1100..=1106 | 1108..=1110 | 1112 | 1113 | 1133 | 2100..=2103 | 2300 | 2404 | 2407
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn values_sort_as_go_libaudit_sets_them() {
        let bare = |t: &'static [u8]| Some(crate::record::fields::bare(t));
        assert_eq!(Entity::of(b"auid", bare(b"1000")), Entity::Id(b"1000"));
        for unset in [&b"4294967295"[..], b"-1", b"", b"unset", b"?"] {
            assert_eq!(Entity::of(b"auid", bare(unset)), Entity::Unset, "{unset:?}");
        }
        assert_eq!(Entity::of(b"auid", None), Entity::Unset);
        assert_eq!(
            Entity::of(b"acct", Some(Value::DoubleQuoted(b"root"))),
            Entity::Name(b"acct", Value::DoubleQuoted(b"root"))
        );
        // Hex-encoded (`(invalid user)`): a name, whatever its digits.
        let hex = b"28696E76616C6964207573657229";
        assert_eq!(
            Entity::of(b"acct", bare(hex)),
            Entity::Name(b"acct", Value::Bare(hex))
        );
        assert_eq!(
            Entity::of(b"acct", bare(b"3030")),
            Entity::Name(b"acct", Value::Bare(b"3030"))
        );
        // Too long for an id (go-libaudit's ParseUint fails).
        let long = b"123456789012345678901";
        assert_eq!(
            Entity::of(b"id", bare(long)),
            Entity::Name(b"id", Value::Bare(long))
        );
    }

    #[test]
    fn every_mapped_type_maps_user_and_effective_and_a_syscall_none() {
        for t in [
            1100u16, 1101, 1102, 1103, 1104, 1105, 1106, 1108, 1109, 1110,
        ] {
            assert!(mapping(MessageType(t)).is_some(), "{t}");
        }
        for t in [
            1112u16, 1113, 1114, 1115, 1116, 1117, 1126, 1132, 1133, 1006,
        ] {
            assert!(mapping(MessageType(t)).is_some(), "{t}");
        }
        for t in [1107u16, 1111, 1123, 1300, 1305, 2404, 2407] {
            assert_eq!(mapping(MessageType(t)), None, "{t}");
        }
    }
}

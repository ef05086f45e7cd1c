//! `related.user`: the names of the users the entity mapping
//! ([`entities`](super::entity::entities)) gives, as Auditbeat's
//! `buildMetricbeatEvent` collects them (its `userSet`, with
//! `resolve_ids` on, the default): the name of `user`, `user.effective`
//! and `user.target` (`user.changes` is mapped by no normalization),
//! each once, sorted (Auditbeat's set has no order). A name is what
//! `user.*` writes: an id's the caller's, a name's its own text (hex
//! decoded). An event without a mapping (a syscall's) or without a name
//! has none, as in Auditbeat.

use core::cmp::Ordering;

use super::entity::{Entities, Entity};
use super::members::{is_hex, write_str, Members};
use crate::encode::cursor::{Cursor, Full};
use crate::encode::id_fields::{self, IdKind};
use crate::encode::Enrich;
use crate::record::Value;

/// One user's name, as `user.*` writes it.
#[derive(Clone, Copy)]
enum Name<'e> {
    /// Written as is (the caller's name of an id, or a plain `acct`).
    Text(&'e [u8]),
    /// A hex-encoded field (`acct=28696E…`): written and compared
    /// decoded.
    Hex(&'static [u8], Value<'e>),
}

impl<'e> Name<'e> {
    fn of<'a: 'e>(entity: Entity<'a>, enrich: &'e impl Enrich) -> Option<Name<'e>> {
        match entity {
            Entity::Unset => None,
            Entity::Id(id) => id_fields::name_of(enrich, IdKind::User, id)
                .filter(|n| !n.is_empty())
                .map(|n| Name::Text(n.as_bytes())),
            Entity::Name(key, value) if is_hex(key, value) => Some(Name::Hex(key, value)),
            Entity::Name(_, value) => Some(Name::Text(value.text())),
        }
    }

    /// The bytes the name stands for (a hex one's decoded, pair by pair:
    /// `is_hex` found only upper-case hex digits, an even count).
    fn bytes(self) -> impl Iterator<Item = u8> + 'e {
        let (text, hex) = match self {
            Name::Text(t) => (t, false),
            Name::Hex(_, v) => (v.text(), true),
        };
        let step = if hex { 2 } else { 1 };
        text.chunks(step).map(move |pair| match pair {
            [high, low] if hex => (digit(*high) << 4) | digit(*low),
            [byte, ..] => *byte,
            [] => 0,
        })
    }

    fn cmp(self, other: Name<'_>) -> Ordering {
        self.bytes().cmp(other.bytes())
    }

    fn write(self, c: &mut Cursor<'_>) -> Result<(), Full> {
        match self {
            Name::Text(t) => c.push_string(t),
            Name::Hex(key, value) => write_str(c, key, value),
        }
    }
}

/// An upper-case hex digit's value (what `is_hex` let through).
fn digit(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// The names of `related.user`, sorted, each once (at most three).
fn names<'e>(mapped: &Entities<'e>, enrich: &'e impl Enrich) -> ([Option<Name<'e>>; 3], usize) {
    let mut out: [Option<Name<'e>>; 3] = [None; 3];
    let mut n = 0;
    let users = [mapped.user, mapped.effective, mapped.target];
    for name in users
        .into_iter()
        .flatten()
        .filter_map(|e| Name::of(e, enrich))
    {
        // Insertion into the sorted names so far (three at most).
        let mut at = 0;
        let mut seen = false;
        for held in out.iter().take(n).flatten() {
            match held.cmp(name) {
                Ordering::Less => at += 1,
                Ordering::Equal => seen = true,
                Ordering::Greater => break,
            }
        }
        if seen {
            continue;
        }
        if let Some(tail) = out.get_mut(at..) {
            tail.rotate_right(1);
            if let Some(slot) = tail.first_mut() {
                *slot = Some(name);
            }
        }
        n += 1;
    }
    (out, n)
}

/// `"related":{"user":[…]}` when the mapped users have a name; nothing
/// otherwise.
pub(super) fn write_related(
    doc: &mut Members<'_, '_>,
    mapped: &Entities<'_>,
    enrich: &impl Enrich,
) -> Result<(), Full> {
    let (names, n) = names(mapped, enrich);
    if n == 0 {
        return Ok(());
    }
    let c = doc.key("related")?;
    c.push(b"{\"user\":[")?;
    for (i, name) in names.iter().flatten().enumerate() {
        if i > 0 {
            c.push(b",")?;
        }
        name.write(c)?;
    }
    c.push(b"]}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::{json, Value as Json};

    use crate::encode::test_names::Names;

    /// `related` of the ECS document of the one record `body` of type
    /// `msg_type` (the test enricher names 0 `root`, 1000 `alice`).
    fn related(msg_type: u16, body: &[u8]) -> Json {
        let (text, encoded) =
            super::super::tests::encode_with(&[(msg_type, body)], 8192, &mut Names);
        assert!(encoded.is_whole(), "{text}");
        let doc: Json = serde_json::from_str(&text).unwrap();
        doc.get("related").cloned().unwrap_or(Json::Null)
    }

    /// The names of the user, the effective user and the target, as
    /// `user.*` has them (an id's from the caller, an account's own),
    /// sorted, each once; an id without a name is left out.
    #[test]
    fn the_mapped_users_names_sorted_once() {
        // USER_AUTH: the actor (auid 1000) and the account (acct).
        let auth = b"pid=7 uid=0 auid=1000 ses=3 msg='op=PAM:authentication acct=\"bob\" \
                     exe=\"/usr/bin/sudo\" hostname=? addr=? terminal=pts/1 res=success'";
        assert_eq!(related(1100, auth), json!({"user": ["alice", "bob"]}));
        // USER_MGMT: the actor, `uid` (effective) and the target.
        let mgmt = b"pid=7 uid=0 auid=1000 ses=3 msg='op=changing-shell acct=\"carol\" \
                     exe=\"/usr/sbin/usermod\" hostname=? addr=? terminal=pts/1 res=success'";
        assert_eq!(
            related(1102, mgmt),
            json!({"user": ["alice", "carol", "root"]})
        );
        // The same user twice (auid 0 and acct root) is one name.
        let su = b"pid=7 uid=0 auid=0 ses=3 msg='op=PAM:setcred acct=\"root\" \
                   exe=\"/bin/su\" hostname=? addr=? terminal=pts/1 res=success'";
        assert_eq!(related(1103, su), json!({"user": ["root"]}));
        // An id the caller cannot name gives no name.
        let unnamed = b"pid=7 uid=0 auid=4242 ses=3 msg='op=PAM:accounting acct=\"bob\" \
                        exe=\"/bin/su\" hostname=? addr=? terminal=pts/1 res=success'";
        assert_eq!(related(1101, unnamed), json!({"user": ["bob"]}));
    }

    /// A hex-encoded account is written and sorted decoded (`7A6F65`,
    /// `zoe`, after `alice`, though `7` sorts before `a`).
    #[test]
    fn a_hex_encoded_account_sorts_decoded() {
        let body = b"pid=7 uid=0 auid=1000 ses=3 msg='op=PAM:authentication acct=7A6F65 \
                     exe=\"/usr/sbin/sshd\" hostname=? addr=? terminal=ssh res=failed'";
        assert_eq!(related(1100, body), json!({"user": ["alice", "zoe"]}));
    }

    /// No mapping, no names: a syscall's event and an unset actor with
    /// no account have no `related`.
    #[test]
    fn no_names_no_related() {
        let syscall = b"arch=c000003e syscall=105 success=yes exit=0 a0=0 a1=3e8 a2=0 a3=0 \
                        items=0 ppid=1 pid=2 auid=1000 uid=1000 gid=0 euid=0 suid=0 fsuid=0 \
                        egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm=\"x\" exe=\"/x\" key=(null)";
        assert_eq!(related(1300, syscall), Json::Null);
        let login = b"pid=7 uid=4242 auid=4294967295 ses=4294967295 msg='op=login \
                      exe=\"/usr/sbin/sshd\" hostname=? addr=? terminal=ssh res=failed'";
        assert_eq!(related(1112, login), Json::Null);
    }
}

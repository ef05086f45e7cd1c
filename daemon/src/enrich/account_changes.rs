//! When the account caches forget what they learned ([`AccountChanges`]).
//! The user and group databases change under a running daemon: `userdel
//! walkuser` then `groupadd walkgroup` gives the freed gid 1001 to another
//! name, and a cache that kept `1001 → walkuser` would name the wrong
//! account in every later event (audit-userspace's issue #209, which auditd
//! fixed by flushing its caches on account records). So:
//! - an added account (`ADD_USER`, `ADD_GROUP`) empties the caches before
//!   its event is named, so it names the account it adds, and after, so
//!   that nothing learned while the database was being written stays;
//! - a changed one (`USER_MGMT`, `GRP_MGMT`, and `USER_CHAUTHTOK`,
//!   `GRP_CHAUTHTOK`, which `usermod -l`, `usermod -u` and `groupmod`
//!   write) empties them after its event, which is named as the account
//!   was;
//! - a deleted one (`DEL_USER`, `DEL_GROUP`) empties nothing: its id keeps
//!   the name it had (it is nobody else's until an account is added or
//!   changed, which empties the caches), so the several records of one
//!   deletion (`groupdel` writes two, `userdel` a user's then its group's)
//!   all name it, where auditd, which empties them after each, leaves the
//!   later ones without;
//! - an account record outside the configured `events` range (go-audit's
//!   default 1300–1399 leaves them all out), which is never assembled into
//!   an event, still empties the caches before the next event is named
//!   ([`AccountChanges::unassembled`]: the receive thread sees every
//!   record before the range drops it);
//! - a change no record tells (an LDAP or SSSD directory, `vipw`) is seen
//!   within [`ACCOUNT_TTL`]: every answer is forgotten that often
//!   (Auditbeat keeps its answers as long).
//!
//! Emptying costs one pass over each table, and a lookup per account named
//! afterwards, within the lookup budget as any other.

use raudit_core::record::Timestamp;
use raudit_core::time::{Duration, Instant};
use raudit_core::wire::MessageType;

/// An event's identity: its serial and time (one event may be prepared
/// more than once: each attempt to fit it in less room prepares it again).
pub type EventId = (u32, Timestamp);

/// How long an answer is kept when no account record says the databases
/// changed: Auditbeat's user and group caches keep theirs five minutes.
pub const ACCOUNT_TTL: Duration = Duration::from_secs(5 * 60);

/// Whether an event whose first record has this type changes the user or
/// group database: `(before, after)`, the caches to be emptied before it is
/// named, after.
fn changes(msg_type: MessageType) -> (bool, bool) {
    match msg_type.0 {
        // ADD_USER, ADD_GROUP.
        1114 | 1116 => (true, true),
        // USER_MGMT, USER_CHAUTHTOK, GRP_MGMT, GRP_CHAUTHTOK.
        1102 | 1108 | 1132 | 1133 => (false, true),
        _ => (false, false),
    }
}

/// Whether a record of this type adds, changes or deletes an account
/// (those that add or change one, and `DEL_USER`, `DEL_GROUP`).
pub fn is_account_record(msg_type: MessageType) -> bool {
    // DEL_USER, DEL_GROUP.
    changes(msg_type) != (false, false) || matches!(msg_type.0, 1115 | 1117)
}

/// What says when the caches are emptied.
#[derive(Debug, Default)]
pub struct AccountChanges {
    /// The event named last, and whether it changed the databases.
    last: Option<EventId>,
    after_last: bool,
    /// When the answers' time began (the first call of
    /// [`expired`](Self::expired), then each expiry).
    since: Option<Instant>,
}

impl AccountChanges {
    /// Whether the caches are emptied before the event `id`, whose first
    /// record has `msg_type`, is named: the event before it changed the
    /// databases, or this one adds an account. Notes whether this one
    /// changes them. The same event again (a second attempt) empties
    /// nothing.
    pub fn before_event(&mut self, id: EventId, msg_type: Option<MessageType>) -> bool {
        if self.last.replace(id) == Some(id) {
            return false;
        }
        let (before, after) = msg_type.map_or((false, false), changes);
        std::mem::replace(&mut self.after_last, after) || before
    }

    /// An account record ([`is_account_record`]) that no event will carry
    /// (its type is outside the configured range): the caches are emptied
    /// before the next event is named, whatever the record did (a deletion
    /// too: no event names the deleted account from them, and a later
    /// addition that reuses its id may be left out as well).
    pub fn unassembled(&mut self) {
        self.after_last = true;
    }

    /// Whether the caches' answers are [`ACCOUNT_TTL`] old at `now`; if so
    /// they count from `now` again.
    pub fn expired(&mut self, now: Instant) -> bool {
        match self.since {
            Some(since) if now.since(since).as_millis() < ACCOUNT_TTL.as_millis() => false,
            Some(_) => {
                self.since = Some(now);
                true
            }
            None => {
                self.since = Some(now);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYSCALL: MessageType = MessageType(1300);

    /// A record that adds or changes an account empties the caches after
    /// its event (at the next one); an added account's, before it too; a
    /// deletion or any other event, never.
    #[test]
    fn account_records_empty_the_caches_around_their_event() {
        let mut changes = AccountChanges::default();
        let mut serial = 0;
        let mut next = move || {
            serial += 1;
            (serial, Timestamp::default())
        };
        let mut forgets = |t: u16| changes.before_event(next(), Some(MessageType(t)));
        assert!(!forgets(1300), "a syscall");
        assert!(forgets(1114), "ADD_USER: before");
        assert!(forgets(1300), "after ADD_USER");
        assert!(!forgets(1300));
        assert!(!forgets(1115), "DEL_USER: named from what was known");
        assert!(!forgets(1117), "DEL_GROUP after DEL_USER");
        assert!(!forgets(1117), "a second DEL_GROUP");
        for t in [1102, 1108, 1114, 1116, 1132, 1133] {
            forgets(t);
            assert!(forgets(1112), "after {t} (USER_LOGIN changes nothing)");
            assert!(!forgets(1112));
        }
        for t in [1100, 1105, 1112, 1115, 1117, 1300, 1400, 2404] {
            assert!(!forgets(t), "{t} changes no account");
        }
        assert!(!changes.before_event(next(), None), "no record");
        changes.before_event(next(), Some(MessageType(1132)));
        assert!(
            changes.before_event(next(), None),
            "after GRP_MGMT, whatever comes"
        );
        assert!(!changes.before_event(next(), Some(SYSCALL)));
    }

    /// An event prepared again (each attempt to fit it in less room)
    /// empties nothing the second time: a change is named from what the
    /// caches knew however many attempts it takes, and an addition empties
    /// them once.
    #[test]
    fn an_event_prepared_again_empties_nothing_more() {
        let mut changes = AccountChanges::default();
        let at = |serial| (serial, Timestamp::default());
        let user_mgmt = Some(MessageType(1102));
        assert!(!changes.before_event(at(1), user_mgmt));
        assert!(!changes.before_event(at(1), user_mgmt), "not after itself");
        assert!(changes.before_event(at(2), Some(SYSCALL)), "after it");
        let add_user = Some(MessageType(1114));
        assert!(changes.before_event(at(3), add_user));
        assert!(!changes.before_event(at(3), add_user), "once");
        assert!(changes.before_event(at(4), Some(SYSCALL)));
        assert!(!changes.before_event(at(4), Some(SYSCALL)));
    }

    /// The answers expire [`ACCOUNT_TTL`] after they began, then count
    /// again.
    #[test]
    fn answers_expire_after_the_ttl() {
        let ttl = ACCOUNT_TTL.as_millis();
        let mut changes = AccountChanges::default();
        assert!(
            !changes.expired(Instant(1_000)),
            "the first call starts the count"
        );
        assert!(!changes.expired(Instant(1_000 + ttl - 1)));
        assert!(changes.expired(Instant(1_000 + ttl)));
        assert!(!changes.expired(Instant(1_000 + ttl + 1)), "counted again");
        assert!(!changes.expired(Instant(1_000 + 2 * ttl - 1)));
        assert!(changes.expired(Instant(1_000 + 2 * ttl)));
    }

    /// An account record outside the events range empties the caches
    /// before the next event, once; the account records are those types.
    #[test]
    fn an_unassembled_account_record_empties_the_caches_before_the_next_event() {
        let mut changes = AccountChanges::default();
        let at = |serial| (serial, Timestamp::default());
        assert!(!changes.before_event(at(1), Some(SYSCALL)));
        changes.unassembled();
        assert!(changes.before_event(at(2), Some(SYSCALL)));
        assert!(!changes.before_event(at(3), Some(SYSCALL)));
        for t in [1102, 1108, 1114, 1115, 1116, 1117, 1132, 1133] {
            assert!(is_account_record(MessageType(t)), "{t}");
        }
        for t in [1100, 1105, 1112, 1118, 1131, 1300, 1400] {
            assert!(!is_account_record(MessageType(t)), "{t}");
        }
    }
}

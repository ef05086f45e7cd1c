//! When the account caches forget what they learned ([`AccountChanges`]).
//! The user and group databases change under a running daemon: `userdel
//! walkuser` then `groupadd walkgroup` gives the freed gid 1001 to another
//! name, and a cache that kept `1001 → walkuser` would name the wrong
//! account in every later event (audit-userspace's issue #209, which auditd
//! fixed by flushing its caches on account records). So:
//! - an added account (`ADD_USER`, `ADD_GROUP`) empties the caches before
//!   its event is named, so it names the account it adds, and after it
//!   forgets the accounts found missing (asked again: the database may
//!   have been half written), keeping those found, so that the records of
//!   a later deletion still name the account;
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

/// What the account caches forget, least first (the stronger of two
/// wins).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Forget {
    #[default]
    Nothing,
    /// The accounts found missing (or not found at all): asked again.
    Missing,
    /// Every answer.
    All,
}

/// What an event whose first record has this type makes the caches
/// forget: `(before, after)` it is named.
fn changes(msg_type: MessageType) -> (Forget, Forget) {
    match msg_type.0 {
        // ADD_USER, ADD_GROUP.
        1114 | 1116 => (Forget::All, Forget::Missing),
        // USER_MGMT, USER_CHAUTHTOK, GRP_MGMT, GRP_CHAUTHTOK.
        1102 | 1108 | 1132 | 1133 => (Forget::Nothing, Forget::All),
        _ => (Forget::Nothing, Forget::Nothing),
    }
}

/// Whether a record of this type adds, changes or deletes an account
/// (those that add or change one, and `DEL_USER`, `DEL_GROUP`).
pub fn is_account_record(msg_type: MessageType) -> bool {
    // DEL_USER, DEL_GROUP.
    changes(msg_type) != Default::default() || matches!(msg_type.0, 1115 | 1117)
}

/// What says when the caches are emptied.
#[derive(Debug, Default)]
pub struct AccountChanges {
    /// The event named last, and what is forgotten after it.
    last: Option<EventId>,
    after_last: Forget,
    /// When the answers' time began (the first call of
    /// [`expired`](Self::expired), then each expiry).
    since: Option<Instant>,
}

impl AccountChanges {
    /// What the caches forget before the event `id`, whose first record
    /// has `msg_type`, is named: what the event before it left to forget,
    /// or what this one needs (an added account: all). Notes what is
    /// forgotten after this one. The same event again (a second attempt)
    /// forgets nothing.
    pub fn before_event(&mut self, id: EventId, msg_type: Option<MessageType>) -> Forget {
        if self.last.replace(id) == Some(id) {
            return Forget::Nothing;
        }
        let (before, after) = msg_type.map_or_else(Default::default, changes);
        std::mem::replace(&mut self.after_last, after).max(before)
    }

    /// An account record ([`is_account_record`]) that no event will carry
    /// (its type is outside the configured range): the caches are emptied
    /// before the next event is named, whatever the record did (a deletion
    /// too: no event names the deleted account from them, and a later
    /// addition that reuses its id may be left out as well).
    pub fn unassembled(&mut self) {
        self.after_last = Forget::All;
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

    /// A record that changes an account makes the caches forget every
    /// answer after its event (at the next one); an added account's, all
    /// before it and the missing ones after; a deletion or any other
    /// event, nothing.
    #[test]
    fn account_records_empty_the_caches_around_their_event() {
        use Forget::{All, Missing, Nothing};
        let mut changes = AccountChanges::default();
        let mut serial = 0;
        let mut next = move || {
            serial += 1;
            (serial, Timestamp::default())
        };
        let mut forgets = |t: u16| changes.before_event(next(), Some(MessageType(t)));
        assert_eq!(forgets(1300), Nothing, "a syscall");
        assert_eq!(forgets(1114), All, "ADD_USER: before");
        assert_eq!(forgets(1300), Missing, "after ADD_USER");
        assert_eq!(forgets(1300), Nothing);
        assert_eq!(
            forgets(1115),
            Nothing,
            "DEL_USER: named from what was known"
        );
        assert_eq!(forgets(1117), Nothing, "DEL_GROUP after DEL_USER");
        assert_eq!(forgets(1117), Nothing, "a second DEL_GROUP");
        for t in [1102, 1108, 1132, 1133] {
            forgets(t);
            assert_eq!(forgets(1112), All, "after {t} (USER_LOGIN changes nothing)");
            assert_eq!(forgets(1112), Nothing);
        }
        assert_eq!(forgets(1116), All, "ADD_GROUP");
        assert_eq!(forgets(1116), All, "a second ADD_GROUP: all, before it");
        assert_eq!(forgets(1102), Missing, "the stronger of after and before");
        for t in [1100, 1105, 1112, 1115, 1117, 1300, 1400, 2404] {
            forgets(1112);
            assert_eq!(forgets(t), Nothing, "{t} changes no account");
        }
        assert_eq!(changes.before_event(next(), None), Nothing, "no record");
        changes.before_event(next(), Some(MessageType(1132)));
        let whatever = changes.before_event(next(), None);
        assert_eq!(whatever, All, "after GRP_MGMT, whatever comes");
        assert_eq!(changes.before_event(next(), Some(SYSCALL)), Nothing);
    }

    /// An event prepared again (each attempt to fit it in less room)
    /// forgets nothing the second time: a change is named from what the
    /// caches knew however many attempts it takes, and an addition empties
    /// them once.
    #[test]
    fn an_event_prepared_again_empties_nothing_more() {
        use Forget::{All, Missing, Nothing};
        let mut changes = AccountChanges::default();
        let at = |serial| (serial, Timestamp::default());
        let user_mgmt = Some(MessageType(1102));
        assert_eq!(changes.before_event(at(1), user_mgmt), Nothing);
        assert_eq!(
            changes.before_event(at(1), user_mgmt),
            Nothing,
            "not after itself"
        );
        assert_eq!(changes.before_event(at(2), Some(SYSCALL)), All, "after it");
        let add_user = Some(MessageType(1114));
        assert_eq!(changes.before_event(at(3), add_user), All);
        assert_eq!(changes.before_event(at(3), add_user), Nothing, "once");
        assert_eq!(changes.before_event(at(4), Some(SYSCALL)), Missing);
        assert_eq!(changes.before_event(at(4), Some(SYSCALL)), Nothing);
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
        assert_eq!(changes.before_event(at(1), Some(SYSCALL)), Forget::Nothing);
        changes.unassembled();
        assert_eq!(changes.before_event(at(2), Some(SYSCALL)), Forget::All);
        assert_eq!(changes.before_event(at(3), Some(SYSCALL)), Forget::Nothing);
        for t in [1102, 1108, 1114, 1115, 1116, 1117, 1132, 1133] {
            assert!(is_account_record(MessageType(t)), "{t}");
        }
        for t in [1100, 1105, 1112, 1118, 1131, 1300, 1400] {
            assert!(!is_account_record(MessageType(t)), "{t}");
        }
    }
}

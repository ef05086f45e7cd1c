//! [`AccountCache`]: a bounded cache of the user database's answers by
//! key, each key looked up once: user and group names by uid and gid
//! ([`UidNames`]: `getpwuid_r`, `getgrgid_r`), uids and gids by user and
//! group name ([`NameIds`]: `getpwnam_r`, `getgrnam_r`; the ECS shape's
//! id of an account a record names only by name). Keys the database
//! says do not exist are remembered too. A lookup that fails (NSS
//! unreachable, an entry too large) is not taken for "no such account":
//! the key is asked again after [`RETRY_FAILED`]. The table is allocated
//! once; looking up or inserting never allocates (the database lookup
//! itself may, on a miss, for an entry larger than 4 KiB). When a probe
//! window is full the oldest guess (its home slot) is replaced, so the
//! memory stays bounded on hosts with very many accounts. Every lookup
//! is made within a [`LookupBudget`] of the receive thread's time: when
//! it is spent the key is not asked (nor remembered unknown: it is asked
//! at a later event) and the skip is counted.

use std::io;
use std::time::{Duration, Instant};

use arrayvec::ArrayString;

use super::account_changes::Forget;
use super::lookup_budget::LookupBudget;
use crate::accounts;

/// Longest name kept, as an answer or as a key; longer names (rare:
/// `useradd` allows 32) are unknown.
pub const NAME_MAX: usize = 64;
const PROBE: usize = 8;
/// How long a failed lookup is remembered before the key is asked again
/// (not at every event: a database that does not answer may be slow to
/// say so).
pub const RETRY_FAILED: Duration = Duration::from_secs(10);

/// What a cache is keyed by, read from a record's text.
pub trait Key: Copy + Eq {
    /// An empty slot's key (never compared: the slot's state says it is
    /// empty).
    const NONE: Self;
    /// The key `text` names; `None` for text that names no account (it
    /// is never looked up).
    fn of_text(text: &[u8]) -> Option<Self>;
    /// Spread over the bits, for the table's index (masked to its size).
    fn hash(&self) -> usize;
}

/// A uid or gid, as the kernel prints it.
impl Key for u32 {
    const NONE: u32 = 0;

    /// Decimal, at most `u32`; never (uid_t)-1, "unset" (auid of daemons
    /// and boot-time processes): no account has it, and asking would make
    /// glibc load every NSS module after `files` (on Debian, systemd's,
    /// with libcap and libm: ~0.5 MB resident) only to answer "unknown".
    fn of_text(text: &[u8]) -> Option<u32> {
        parse_uid(text).filter(|&id| id != u32::MAX)
    }

    fn hash(&self) -> usize {
        // Fibonacci hashing spreads consecutive ids over the table.
        self.wrapping_mul(0x9E37_79B9) as usize
    }
}

/// A user or group name as the encoder asks about it (a hex-encoded
/// one decoded, `LoggedName::with_bytes`): UTF-8, no NUL, at most
/// [`NAME_MAX`] bytes (another is no name the database could know).
pub type AccountName = ArrayString<NAME_MAX>;

impl Key for AccountName {
    const NONE: AccountName = ArrayString::new_const();

    fn of_text(text: &[u8]) -> Option<AccountName> {
        if text.is_empty() || text.contains(&0) {
            return None;
        }
        AccountName::from(std::str::from_utf8(text).ok()?).ok()
    }

    fn hash(&self) -> usize {
        // FNV-1a.
        let hash = self.bytes().fold(0x811C_9DC5u32, |hash, b| {
            (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        hash as usize
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Empty,
    Known,
    /// The database says there is no such account.
    Unknown,
    /// The lookup failed; asked again from `retry_at` on.
    Failed,
}

#[derive(Clone, Copy, Debug)]
struct Slot<K> {
    key: K,
    state: State,
    /// The answer, checked as UTF-8 once, when it was looked up.
    answer: ArrayString<NAME_MAX>,
    /// When a [`State::Failed`] lookup is made again.
    retry_at: Option<Instant>,
}

impl<K: Key> Slot<K> {
    const EMPTY: Slot<K> = Slot {
        key: K::NONE,
        state: State::Empty,
        answer: ArrayString::new_const(),
        retry_at: None,
    };
}

/// Source of answers; the live one is the system's user database: the
/// answer written into the buffer, its length (`Ok(None)`: no such
/// account; `Err`: the lookup failed).
pub type Lookup<K> = fn(K, &mut [u8]) -> io::Result<Option<usize>>;

/// The cache.
pub struct AccountCache<K> {
    slots: Box<[Slot<K>]>,
    lookup: Lookup<K>,
    lookups: u64,
}

/// User (or group) names by uid (gid).
pub type UidNames = AccountCache<u32>;

/// Uids (or gids) by user (group) name, as decimal text.
pub type NameIds = AccountCache<AccountName>;

impl UidNames {
    /// A cache of at least `capacity` entries (rounded up to a power of two)
    /// over the system user database.
    pub fn new(capacity: usize) -> UidNames {
        UidNames::with_lookup(capacity, accounts::find_user_name)
    }
}

impl NameIds {
    /// Uids by user name over the system user database, as
    /// [`UidNames::new`].
    pub fn users(capacity: usize) -> NameIds {
        NameIds::with_lookup(capacity, |name, id| accounts::find_user_id(&name, id))
    }

    /// Gids by group name over the system group database.
    pub fn groups(capacity: usize) -> NameIds {
        NameIds::with_lookup(capacity, |name, id| accounts::find_group_id(&name, id))
    }
}

impl<K: Key> AccountCache<K> {
    /// A cache of at least `capacity` entries (rounded up to a power of
    /// two) over the source `lookup`.
    pub fn with_lookup(capacity: usize, lookup: Lookup<K>) -> AccountCache<K> {
        let capacity = capacity.clamp(PROBE, 1 << 20).next_power_of_two();
        AccountCache {
            slots: vec![Slot::EMPTY; capacity].into_boxed_slice(),
            lookup,
            lookups: 0,
        }
    }

    /// Makes sure the key `text` (from a record) names is cached, asking
    /// the database if it is not and `budget` allows.
    pub fn resolve(&mut self, text: &[u8], budget: &mut LookupBudget) {
        let Some(key) = K::of_text(text) else {
            return;
        };
        let home = self.home(key);
        let mut free = None;
        for i in 0..PROBE {
            let at = (home + i) & (self.slots.len() - 1);
            let slot = &self.slots[at];
            match slot.state {
                State::Empty => {
                    free = Some(at);
                    break;
                }
                State::Failed if slot.key == key => {
                    if slot.retry_at.is_some_and(|at| budget.now() < at) {
                        return;
                    }
                    free = Some(at);
                    break;
                }
                _ if slot.key == key => return,
                _ => {}
            }
        }
        let started = budget.now();
        if !budget.allows(started) {
            return;
        }
        let at = free.unwrap_or(home);
        let mut slot = Slot::EMPTY;
        slot.key = key;
        self.lookups += 1;
        let mut raw = [0u8; NAME_MAX];
        let found = (self.lookup)(key, &mut raw);
        budget.charge(started);
        match found {
            Ok(found) => {
                let answer = found
                    .and_then(|len| raw.get(..len))
                    .and_then(|answer| std::str::from_utf8(answer).ok())
                    .and_then(|answer| ArrayString::from(answer).ok());
                match answer {
                    Some(answer) => {
                        slot.state = State::Known;
                        slot.answer = answer;
                    }
                    None => slot.state = State::Unknown,
                }
            }
            Err(_) => {
                slot.state = State::Failed;
                slot.retry_at = budget.now().checked_add(RETRY_FAILED);
            }
        }
        self.slots[at] = slot;
    }

    /// The cached answer for the key `text` names, `None` if unknown or
    /// not cached.
    pub fn cached(&self, text: &[u8]) -> Option<&str> {
        let key = K::of_text(text)?;
        let home = self.home(key);
        for i in 0..PROBE {
            let slot = &self.slots[(home + i) & (self.slots.len() - 1)];
            if slot.state == State::Empty {
                return None;
            }
            if slot.key == key {
                if slot.state != State::Known {
                    return None;
                }
                return Some(slot.answer.as_str());
            }
        }
        None
    }

    /// Forgets what the database changed (see
    /// [`account_changes`](super::account_changes)): every answer
    /// ([`Forget::All`]), or only the keys it said it does not know and
    /// those whose lookup failed ([`Forget::Missing`]: they stay in their
    /// slots, due at once, so no probe chain is cut). A key forgotten is
    /// asked again when next named.
    pub fn forget(&mut self, forget: Forget) {
        match forget {
            Forget::Nothing => {}
            Forget::Missing => {
                for slot in self.slots.iter_mut() {
                    if matches!(slot.state, State::Unknown | State::Failed) {
                        slot.state = State::Failed;
                        slot.retry_at = None;
                    }
                }
            }
            Forget::All => self.slots.fill(Slot::EMPTY),
        }
    }

    /// How many times the database was asked.
    pub fn lookups(&self) -> u64 {
        self.lookups
    }

    fn home(&self, key: K) -> usize {
        key.hash() & (self.slots.len() - 1)
    }
}

/// A uid as the kernel prints it: decimal, at most `u32`.
pub fn parse_uid(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 10 {
        return None;
    }
    let mut value: u64 = 0;
    for &b in text {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
    }
    u32::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::super::lookup_budget::fake_clock;
    use super::*;

    fn fake(uid: u32, name: &mut [u8]) -> io::Result<Option<usize>> {
        let text: &[u8] = match uid {
            0 => b"root",
            1000 => b"alice",
            // A database that does not answer.
            666 => return Err(io::Error::from_raw_os_error(libc::EAGAIN)),
            _ => return Ok(None),
        };
        name[..text.len()].copy_from_slice(text);
        Ok(Some(text.len()))
    }

    #[test]
    fn each_uid_is_looked_up_once() {
        let mut budget = LookupBudget::unlimited();
        let mut names = UidNames::with_lookup(8, fake);
        for _ in 0..3 {
            names.resolve(b"0", &mut budget);
            names.resolve(b"1000", &mut budget);
            names.resolve(b"4294967295", &mut budget);
        }
        // 0 and 1000 once each; "unset" (4294967295) never.
        assert_eq!(names.lookups(), 2);
        assert_eq!(names.cached(b"0"), Some("root"));
        assert_eq!(names.cached(b"1000"), Some("alice"));
        assert_eq!(names.cached(b"4294967295"), None);
        assert_eq!(names.cached(b"7"), None);
        assert_eq!(names.cached(b"x1"), None);
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut budget = LookupBudget::unlimited();
        let mut names = UidNames::with_lookup(8, fake);
        for uid in 0..10_000u32 {
            names.resolve(uid.to_string().as_bytes(), &mut budget);
        }
        assert_eq!(names.slots.len(), 8);
        names.resolve(b"0", &mut budget);
        assert_eq!(names.cached(b"0"), Some("root"));
    }

    /// A failed lookup is not remembered as "no such user": the uid is
    /// asked again once [`RETRY_FAILED`] has passed, not at every event.
    #[test]
    fn a_failed_lookup_is_asked_again_later() {
        let mut budget = LookupBudget::unlimited();
        let mut names = UidNames::with_lookup(8, fake);
        names.resolve(b"666", &mut budget);
        names.resolve(b"666", &mut budget);
        assert_eq!(names.lookups(), 1, "not again at once");
        assert_eq!(names.cached(b"666"), None);
        let home = names.home(666);
        let slot = names.slots.iter_mut().find(|s| s.key == 666).unwrap();
        assert_eq!(slot.state, State::Failed, "not Unknown");
        slot.retry_at = Some(Instant::now());
        names.resolve(b"666", &mut budget);
        assert_eq!(names.lookups(), 2, "asked again when due");
        assert_eq!(
            names.slots.iter().filter(|s| s.key == 666).count(),
            1,
            "in its slot ({home})"
        );
    }

    /// A database that takes 10 ms (of the fake clock) a lookup and
    /// knows no name.
    fn slow(_: u32, _: &mut [u8]) -> io::Result<Option<usize>> {
        fake_clock::advance(Duration::from_millis(10));
        Ok(None)
    }

    /// When the budget is spent a miss is not asked, nor remembered: it
    /// is counted, the key stays uncached, and it is asked once the
    /// budget has refilled.
    #[test]
    fn a_spent_budget_skips_lookups_until_it_refills() {
        let mut budget = LookupBudget::with_clock(fake_clock::now);
        let mut names = UidNames::with_lookup(64, slow);
        for uid in 1..=20u32 {
            names.resolve(uid.to_string().as_bytes(), &mut budget);
        }
        // 50 ms of burst: 5 lookups, a 6th on the time they took.
        assert_eq!((names.lookups(), budget.skipped()), (6, 14));
        let asked = |names: &UidNames, uid: u32| names.slots.iter().any(|s| s.key == uid);
        assert!(
            asked(&names, 6) && !asked(&names, 7),
            "7 not cached unknown"
        );
        names.resolve(b"1", &mut budget);
        assert_eq!(budget.skipped(), 14, "a cached key needs no budget");
        fake_clock::advance(Duration::from_secs(60));
        names.resolve(b"7", &mut budget);
        assert_eq!((names.lookups(), budget.skipped()), (7, 14));
        assert!(asked(&names, 7), "asked once refilled");
    }

    fn fake_id(name: AccountName, id: &mut [u8]) -> io::Result<Option<usize>> {
        let text: &[u8] = match name.as_str() {
            "root" => b"0",
            "alice" => b"1000",
            "nss-down" => return Err(io::Error::from_raw_os_error(libc::EAGAIN)),
            _ => return Ok(None),
        };
        id[..text.len()].copy_from_slice(text);
        Ok(Some(text.len()))
    }

    /// Names to ids: each name asked once, an unknown one remembered as
    /// unknown, a failed one asked again only when due; text that can
    /// name no account (empty, a NUL, not UTF-8, too long) never asked.
    #[test]
    fn each_name_is_looked_up_once() {
        let mut budget = LookupBudget::unlimited();
        let mut ids = NameIds::with_lookup(8, fake_id);
        let long = [b'a'; NAME_MAX + 1];
        for _ in 0..3 {
            for name in [&b"root"[..], b"alice", b"bob", b"nss-down"] {
                ids.resolve(name, &mut budget);
            }
            for never in [&b""[..], b"a\0b", b"\xff", &long] {
                ids.resolve(never, &mut budget);
            }
        }
        assert_eq!(ids.lookups(), 4);
        assert_eq!(ids.cached(b"root"), Some("0"));
        assert_eq!(ids.cached(b"alice"), Some("1000"));
        assert_eq!(ids.cached(b"bob"), None);
        assert_eq!(ids.cached(b"nss-down"), None);
        assert_eq!(ids.cached(b"carol"), None, "not looked up");
        let slot = ids.slots.iter().find(|s| s.key.as_str() == "bob").unwrap();
        assert_eq!(slot.state, State::Unknown, "bob is remembered unknown");
        let slot = ids.slots.iter().find(|s| s.key.as_str() == "nss-down");
        assert_eq!(slot.unwrap().state, State::Failed);
    }

    /// The system's database: root is uid 0 and gid 0 on every Linux, a
    /// made-up name none; each asked once.
    #[test]
    fn root_is_id_zero_by_name() {
        let mut budget = LookupBudget::unlimited();
        let mut users = NameIds::users(8);
        let mut groups = NameIds::groups(8);
        for _ in 0..2 {
            users.resolve(b"root", &mut budget);
            users.resolve(b"no-such-user-raudit", &mut budget);
            groups.resolve(b"root", &mut budget);
        }
        assert_eq!(users.cached(b"root"), Some("0"));
        assert_eq!(users.cached(b"no-such-user-raudit"), None);
        assert_eq!(groups.cached(b"root"), Some("0"));
        assert_eq!((users.lookups(), groups.lookups()), (2, 1));
    }
}

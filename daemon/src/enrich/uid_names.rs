//! [`UidNames`]: a bounded cache of user names by uid, filled through
//! `getpwuid_r` once per uid (uids the database says do not exist are
//! remembered too). A lookup that fails (NSS unreachable, an entry too
//! large) is not taken for "no such user": the uid is asked again after
//! [`RETRY_FAILED`]. The table is allocated once; looking up or inserting
//! never allocates (the database lookup itself may, on a miss, for an
//! entry larger than 4 KiB). When a probe window is full the oldest guess
//! (its home slot) is replaced, so the memory stays bounded on hosts with
//! very many users.

use std::io;
use std::time::{Duration, Instant};

use arrayvec::ArrayString;

use crate::accounts;

/// Longest name kept; longer names (rare: `useradd` allows 32) are unknown.
pub const NAME_MAX: usize = 64;
const PROBE: usize = 8;
/// How long a failed lookup is remembered before the uid is asked again
/// (not at every event: a database that does not answer may be slow to
/// say so).
pub const RETRY_FAILED: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Empty,
    Known,
    /// The database says there is no such id.
    Unknown,
    /// The lookup failed; asked again from `retry_at` on.
    Failed,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    uid: u32,
    state: State,
    /// The name, checked as UTF-8 once, when it was looked up.
    name: ArrayString<NAME_MAX>,
    /// When a [`State::Failed`] lookup is made again.
    retry_at: Option<Instant>,
}

const EMPTY: Slot = Slot {
    uid: 0,
    state: State::Empty,
    name: ArrayString::new_const(),
    retry_at: None,
};

/// Source of names; the live one is the system's user database: the
/// name's length (`Ok(None)`: no such id; `Err`: the lookup failed).
pub type Lookup = fn(u32, &mut [u8]) -> io::Result<Option<usize>>;

/// The cache.
pub struct UidNames {
    slots: Box<[Slot]>,
    lookup: Lookup,
    lookups: u64,
}

impl UidNames {
    /// A cache of at least `capacity` entries (rounded up to a power of two)
    /// over the system user database.
    pub fn new(capacity: usize) -> UidNames {
        UidNames::with_lookup(capacity, accounts::find_user_name)
    }

    /// As [`new`](Self::new), with another source of names (tests).
    pub fn with_lookup(capacity: usize, lookup: Lookup) -> UidNames {
        let capacity = capacity.clamp(PROBE, 1 << 20).next_power_of_two();
        UidNames {
            slots: vec![EMPTY; capacity].into_boxed_slice(),
            lookup,
            lookups: 0,
        }
    }

    /// Makes sure `uid` (decimal text from a record) is cached, asking the
    /// user database if it is not.
    pub fn resolve(&mut self, uid_text: &[u8]) {
        let Some(uid) = parse_uid(uid_text) else {
            return;
        };
        // (uid_t)-1, "unset" (auid of daemons and boot-time processes): no
        // user has it, so no lookup. Asking would make glibc load every NSS
        // module after `files` (on Debian, systemd's, with libcap and libm:
        // ~0.5 MB resident) only to answer "unknown".
        if uid == u32::MAX {
            return;
        }
        let home = self.home(uid);
        let mut free = None;
        for i in 0..PROBE {
            let at = (home + i) & (self.slots.len() - 1);
            let slot = &self.slots[at];
            match slot.state {
                State::Empty => {
                    free = Some(at);
                    break;
                }
                State::Failed if slot.uid == uid => {
                    if slot.retry_at.is_some_and(|at| Instant::now() < at) {
                        return;
                    }
                    free = Some(at);
                    break;
                }
                _ if slot.uid == uid => return,
                _ => {}
            }
        }
        let at = free.unwrap_or(home);
        let mut slot = EMPTY;
        slot.uid = uid;
        self.lookups += 1;
        let mut raw = [0u8; NAME_MAX];
        match (self.lookup)(uid, &mut raw) {
            Ok(found) => {
                let name = found
                    .and_then(|len| raw.get(..len))
                    .and_then(|name| std::str::from_utf8(name).ok())
                    .and_then(|name| ArrayString::from(name).ok());
                match name {
                    Some(name) => {
                        slot.state = State::Known;
                        slot.name = name;
                    }
                    None => slot.state = State::Unknown,
                }
            }
            Err(_) => {
                slot.state = State::Failed;
                slot.retry_at = Instant::now().checked_add(RETRY_FAILED);
            }
        }
        self.slots[at] = slot;
    }

    /// The cached name of `uid`, `None` if unknown or not cached.
    pub fn name(&self, uid_text: &[u8]) -> Option<&str> {
        let uid = parse_uid(uid_text)?;
        let home = self.home(uid);
        for i in 0..PROBE {
            let slot = &self.slots[(home + i) & (self.slots.len() - 1)];
            if slot.state == State::Empty {
                return None;
            }
            if slot.uid == uid {
                if slot.state != State::Known {
                    return None;
                }
                return Some(slot.name.as_str());
            }
        }
        None
    }

    /// How many times the user database was asked.
    pub fn lookups(&self) -> u64 {
        self.lookups
    }

    fn home(&self, uid: u32) -> usize {
        // Fibonacci hashing spreads consecutive uids over the table.
        (uid.wrapping_mul(0x9E37_79B9) as usize) & (self.slots.len() - 1)
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
        let mut names = UidNames::with_lookup(8, fake);
        for _ in 0..3 {
            names.resolve(b"0");
            names.resolve(b"1000");
            names.resolve(b"4294967295");
        }
        // 0 and 1000 once each; "unset" (4294967295) never.
        assert_eq!(names.lookups(), 2);
        assert_eq!(names.name(b"0"), Some("root"));
        assert_eq!(names.name(b"1000"), Some("alice"));
        assert_eq!(names.name(b"4294967295"), None);
        assert_eq!(names.name(b"7"), None);
        assert_eq!(names.name(b"x1"), None);
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut names = UidNames::with_lookup(8, fake);
        for uid in 0..10_000u32 {
            names.resolve(uid.to_string().as_bytes());
        }
        assert_eq!(names.slots.len(), 8);
        names.resolve(b"0");
        assert_eq!(names.name(b"0"), Some("root"));
    }

    /// A failed lookup is not remembered as "no such user": the uid is
    /// asked again once [`RETRY_FAILED`] has passed, not at every event.
    #[test]
    fn a_failed_lookup_is_asked_again_later() {
        let mut names = UidNames::with_lookup(8, fake);
        names.resolve(b"666");
        names.resolve(b"666");
        assert_eq!(names.lookups(), 1, "not again at once");
        assert_eq!(names.name(b"666"), None);
        let home = names.home(666);
        let slot = names.slots.iter_mut().find(|s| s.uid == 666).unwrap();
        assert_eq!(slot.state, State::Failed, "not Unknown");
        slot.retry_at = Some(Instant::now());
        names.resolve(b"666");
        assert_eq!(names.lookups(), 2, "asked again when due");
        assert_eq!(
            names.slots.iter().filter(|s| s.uid == 666).count(),
            1,
            "in its slot ({home})"
        );
    }
}

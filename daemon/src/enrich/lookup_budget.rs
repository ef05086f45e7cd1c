//! [`LookupBudget`]: how much of the receive thread's time the user
//! database may take. The enricher asks NSS (`getpwnam_r`, …) on the
//! thread that drains the kernel, and the names it asks about come from
//! records an attacker can write (every failed SSH login is a new
//! `acct="…"`): while it waits, the kernel's backlog fills, and then the
//! kernel drops or delays events. A token bucket, refilled by the time
//! that passes and charged the time each lookup took, bounds that: when it
//! is spent a miss is not asked (the document has no name or id for that
//! key) and the skip is counted ([`LookupBudget::skipped`], the stats'
//! `lookups_skipped`).
//!
//! One budget for all the enricher's caches (uid and gid names, user and
//! group ids): they share one thread, and a budget each would let four
//! times the share through.

use std::time::{Duration, Instant};

/// The share of the receive thread's time lookups may take over a long
/// while: 1 in [`SHARE`], 10 ms a second. Measured on a Debian host
/// (`passwd: files systemd`), a name or uid the database does not know
/// costs ~80 µs (a known one ~7 µs): ~120 unknown names a second, ~1,400
/// known ones; with LDAP at a few ms a miss, a few a second.
pub const SHARE: u32 = 100;
/// Lookup time allowed at once after a quiet while: a start-up's accounts
/// (~600 unknown names, many more known ones) warm the caches without
/// skips, and the kernel's backlog (8192 records by default) rides out a
/// 50 ms wait.
pub const BURST: Duration = Duration::from_millis(50);

/// Source of the time (the system's monotonic clock; a fake in tests).
pub type Clock = fn() -> Instant;

/// The budget.
pub struct LookupBudget {
    clock: Clock,
    /// Wall time, in ns, that buys the lookups allowed now: each ns of
    /// lookup costs [`SHARE`], each ns that passes adds one (no division,
    /// so no rounding loses a refill). Below zero after a lookup that took
    /// more than was left, paid back before the next.
    credit_ns: i64,
    refilled_at: Instant,
    skipped: u64,
    /// No bound (replay: no kernel waits on it, and no stats would tell a
    /// skip).
    unlimited: bool,
}

impl LookupBudget {
    /// [`SHARE`] and [`BURST`], full, on the system's clock.
    pub fn new() -> LookupBudget {
        LookupBudget::with_clock(Instant::now)
    }

    /// The same on the clock `clock`.
    pub fn with_clock(clock: Clock) -> LookupBudget {
        LookupBudget {
            clock,
            credit_ns: full_credit(),
            refilled_at: clock(),
            skipped: 0,
            unlimited: false,
        }
    }

    /// Every lookup allowed.
    pub fn unlimited() -> LookupBudget {
        LookupBudget {
            unlimited: true,
            ..LookupBudget::new()
        }
    }

    /// The time now, on the budget's clock.
    pub fn now(&self) -> Instant {
        (self.clock)()
    }

    /// Whether a lookup may be made now (counted as skipped if not).
    pub fn allows(&mut self, now: Instant) -> bool {
        if self.unlimited {
            return true;
        }
        let passed = now.saturating_duration_since(self.refilled_at);
        let passed_ns = i64::try_from(passed.as_nanos()).unwrap_or(i64::MAX);
        self.credit_ns = self.credit_ns.saturating_add(passed_ns).min(full_credit());
        self.refilled_at = self.refilled_at.max(now);
        if self.credit_ns > 0 {
            return true;
        }
        self.skipped += 1;
        false
    }

    /// Charges a lookup that started at `started` and ends now.
    pub fn charge(&mut self, started: Instant) {
        let took = self.now().saturating_duration_since(started);
        let took_ns = i64::try_from(took.as_nanos()).unwrap_or(i64::MAX);
        let cost = took_ns.saturating_mul(i64::from(SHARE));
        self.credit_ns = self.credit_ns.saturating_sub(cost);
    }

    /// Lookups not made because the budget was spent.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

impl Default for LookupBudget {
    fn default() -> LookupBudget {
        LookupBudget::new()
    }
}

/// [`BURST`] as credit.
fn full_credit() -> i64 {
    let burst_ns = i64::try_from(BURST.as_nanos()).unwrap_or(i64::MAX);
    burst_ns.saturating_mul(i64::from(SHARE))
}

/// A clock that moves only when told, one per test thread: a fake lookup
/// "takes" time by moving it.
#[cfg(test)]
pub mod fake_clock {
    use std::cell::Cell;
    use std::time::{Duration, Instant};

    thread_local! {
        static NOW: Cell<Option<Instant>> = const { Cell::new(None) };
    }

    /// The fake time now (the real time at its first reading).
    pub fn now() -> Instant {
        NOW.with(|now| {
            let at = now.get().unwrap_or_else(Instant::now);
            now.set(Some(at));
            at
        })
    }

    /// Moves the fake time on by `by`.
    pub fn advance(by: Duration) {
        let at = now() + by;
        NOW.with(|now| now.set(Some(at)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The credit is spent by the time lookups take, times [`SHARE`], and
    /// comes back with the time that passes; a spent budget refuses, and
    /// counts each refusal.
    #[test]
    fn lookups_take_one_share_of_the_time() {
        let mut budget = LookupBudget::with_clock(fake_clock::now);
        let per_lookup = BURST / 5;
        let mut allowed = 0;
        while budget.allows(budget.now()) {
            let started = budget.now();
            fake_clock::advance(per_lookup);
            budget.charge(started);
            allowed += 1;
        }
        // The burst's 5, and one more bought by the time they took (the
        // 6th overdraws: 95 lookups' time owed, one paid back).
        assert_eq!((allowed, budget.skipped()), (6, 1));
        fake_clock::advance(per_lookup * (SHARE - 6));
        assert!(!budget.allows(budget.now()), "paid back, nothing left");
        assert_eq!(budget.skipped(), 2);
        fake_clock::advance(Duration::from_nanos(1));
        assert!(budget.allows(budget.now()), "refilled");
        assert_eq!(budget.skipped(), 2);
        let mut unlimited = LookupBudget::unlimited();
        unlimited.charge(Instant::now() - Duration::from_secs(3600));
        assert!(unlimited.allows(Instant::now()));
        assert_eq!(unlimited.skipped(), 0);
    }

    /// A long quiet refills no more than [`BURST`]; a lookup that took
    /// longer than was left is paid back before the next.
    #[test]
    fn the_credit_is_bounded_both_ways() {
        let mut budget = LookupBudget::with_clock(fake_clock::now);
        fake_clock::advance(Duration::from_secs(3600));
        let started = budget.now();
        assert!(budget.allows(started));
        fake_clock::advance(BURST * 2);
        budget.charge(started);
        // Owes one BURST of lookups: SHARE BURSTs of time pay it back (the
        // lookup's own time counts), a nanosecond more allows the next.
        fake_clock::advance(BURST * SHARE - BURST * 2);
        assert!(!budget.allows(budget.now()));
        fake_clock::advance(Duration::from_nanos(1));
        assert!(budget.allows(budget.now()));
    }
}

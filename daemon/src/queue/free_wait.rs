//! How long the receive thread waits for a free buffer when the pool is
//! empty. Under [`Policy::Block`] until the outputs free one (or the
//! process stops). Under [`Policy::Drop`] for at most the layout's
//! `drop_wait`, and only once an overrun: an empty pool is most often an
//! output thread that has not run for a few milliseconds (a CPU held by
//! the kernel, a slow `write`), which the socket's receive buffer and the
//! kernel's backlog hold meanwhile, so waiting loses nothing where
//! dropping at once would lose every event of the stall. When the wait
//! runs out, the event is dropped (counted) and so is every later one at
//! once, without another wait, until the outputs have freed half the pool
//! again: an output that stays slower than the events costs the receive
//! thread one wait, not one per buffer, and a dead one never holds it
//! back for more than `drop_wait`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::Policy;

/// Longest single park while waiting: a release that came just before the
/// producer parked is noticed this late at most.
const PARK_SLICE: Duration = Duration::from_millis(10);

/// When a wait for a free buffer ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Deadline {
    /// Only when a buffer is free or the process stops.
    Never,
    At(Instant),
}

impl Deadline {
    /// How long to park at `now`, or `None` when the wait is over.
    pub(super) fn park_for(self, now: Instant) -> Option<Duration> {
        match self {
            Deadline::Never => Some(PARK_SLICE),
            Deadline::At(end) => match end.checked_duration_since(now) {
                Some(left) if !left.is_zero() => Some(left.min(PARK_SLICE)),
                _ => None,
            },
        }
    }
}

/// The wait's state, one per queue (the receive thread is its only
/// waiter; the output threads read `waiting` on release).
#[derive(Debug)]
pub(super) struct FreeWait {
    policy: Policy,
    drop_wait: Duration,
    /// A wait under [`Policy::Drop`] ran out and the outputs have not yet
    /// freed half the pool: drop at once.
    overrun: AtomicBool,
    /// The producer is in a wait (a release must unpark it).
    waiting: AtomicBool,
    /// Waits begun, and the milliseconds spent in them.
    waits: AtomicU64,
    waited_ms: AtomicU64,
}

impl FreeWait {
    pub(super) fn new(policy: Policy, drop_wait: Duration) -> FreeWait {
        FreeWait {
            policy,
            drop_wait,
            overrun: AtomicBool::new(false),
            waiting: AtomicBool::new(false),
            waits: AtomicU64::new(0),
            waited_ms: AtomicU64::new(0),
        }
    }

    /// The pool was empty at `now`: the deadline of the wait to begin, or
    /// `None` when the event is to be dropped at once.
    pub(super) fn begin(&self, now: Instant) -> Option<Deadline> {
        let deadline = match self.policy {
            Policy::Block => Deadline::Never,
            Policy::Drop if self.drop_wait.is_zero() || self.overrun.load(Ordering::Relaxed) => {
                return None
            }
            Policy::Drop => Deadline::At(now.checked_add(self.drop_wait)?),
        };
        self.waits.fetch_add(1, Ordering::Relaxed);
        self.waiting.store(true, Ordering::SeqCst);
        Some(deadline)
    }

    /// The wait begun at `started` is over: it got a buffer, or was given
    /// up (the process stops), or `ran_out` of time (an overrun begins).
    pub(super) fn end(&self, started: Instant, ran_out: bool) {
        self.waiting.store(false, Ordering::SeqCst);
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.waited_ms.fetch_add(ms, Ordering::Relaxed);
        if ran_out && self.policy == Policy::Drop {
            self.overrun.store(true, Ordering::Relaxed);
        }
    }

    /// A buffer was taken; `half_free` says whether half the pool is
    /// free (asked only during an overrun, which it ends).
    pub(super) fn taken(&self, half_free: impl FnOnce() -> bool) {
        if self.overrun.load(Ordering::Relaxed) && half_free() {
            self.overrun.store(false, Ordering::Relaxed);
        }
    }

    /// Whether the producer waits for a release.
    pub(super) fn is_waiting(&self) -> bool {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Whether an overrun is on: the next empty pool drops at once.
    #[cfg(test)]
    pub(super) fn in_overrun(&self) -> bool {
        self.overrun.load(Ordering::Relaxed)
    }

    pub(super) fn waits(&self) -> u64 {
        self.waits.load(Ordering::Relaxed)
    }

    pub(super) fn waited_ms(&self) -> u64 {
        self.waited_ms.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_parks_in_slices_until_it_passes() {
        let now = Instant::now();
        assert_eq!(Deadline::Never.park_for(now), Some(PARK_SLICE));
        let end = now + Duration::from_millis(25);
        assert_eq!(Deadline::At(end).park_for(now), Some(PARK_SLICE));
        assert_eq!(
            Deadline::At(end).park_for(now + Duration::from_millis(20)),
            Some(Duration::from_millis(5))
        );
        assert_eq!(Deadline::At(end).park_for(end), None);
        assert_eq!(Deadline::At(end).park_for(end + PARK_SLICE), None);
    }

    #[test]
    fn drop_waits_once_an_overrun_and_again_after_the_pool_recovered() {
        let wait = FreeWait::new(Policy::Drop, Duration::from_millis(50));
        let now = Instant::now();
        assert_eq!(
            wait.begin(now),
            Some(Deadline::At(now + Duration::from_millis(50)))
        );
        assert!(wait.is_waiting());
        wait.end(now, true);
        assert!(!wait.is_waiting());
        assert!(wait.in_overrun());
        assert_eq!(wait.begin(now), None, "a second wait in one overrun");
        wait.taken(|| false); // a buffer, the pool still short
        assert_eq!(wait.begin(now), None);
        wait.taken(|| true); // half the pool free again
        assert!(!wait.in_overrun());
        assert!(wait.begin(now).is_some());
        wait.end(now, false);
        assert!(!wait.in_overrun(), "a wait that got a buffer is no overrun");
        assert_eq!(wait.waits(), 2);
    }

    #[test]
    fn drop_without_a_wait_never_waits_and_block_always_does() {
        let now = Instant::now();
        let drop_at_once = FreeWait::new(Policy::Drop, Duration::ZERO);
        assert_eq!(drop_at_once.begin(now), None);
        assert_eq!(drop_at_once.waits(), 0);
        let block = FreeWait::new(Policy::Block, Duration::ZERO);
        assert_eq!(block.begin(now), Some(Deadline::Never));
        block.end(now, true); // block has no deadline: never an overrun
        assert!(!block.in_overrun());
        assert_eq!(block.begin(now), Some(Deadline::Never));
    }
}

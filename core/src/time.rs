//! Time as values: core never reads a clock. The daemon passes its monotonic
//! clock, replay passes the records' own timestamps; both in milliseconds.

/// A point in time, in milliseconds since an origin the caller chooses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub u64);

/// A span of time in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

impl Instant {
    /// The instant `d` later, saturating at the end of time.
    pub const fn after(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d.0))
    }

    /// Time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub const fn since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    pub const fn from_millis(ms: u64) -> Duration {
        Duration(ms)
    }

    pub const fn from_secs(s: u64) -> Duration {
        Duration(s.saturating_mul(1000))
    }

    pub const fn as_millis(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Instant(u64::MAX).after(Duration(5)), Instant(u64::MAX));
        assert_eq!(Instant(3).since(Instant(10)), Duration(0));
        assert_eq!(Instant(10).since(Instant(3)), Duration(7));
        assert_eq!(Duration::from_secs(2), Duration(2000));
    }
}

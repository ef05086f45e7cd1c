//! Serial-gap tracking, go-audit's `message_tracking` without its map: a
//! fixed bitmap window of serials not yet seen below the highest serial.
//!
//! A serial is *missed* once it is more than `max_out_of_order` behind the
//! newest serial (go-audit's rule), or still pending when the stream ends
//! (go-libaudit's rule). A pending serial that arrives is *late*; the worst
//! lag is kept. A missed serial that arrives at last is *late after missed*,
//! once, when it comes within [`WINDOW`] serials behind the window (a
//! second bitmap keeps which of those were missed: a serial seen before,
//! whose event's later records come long after, is neither). Serials wrap
//! at 2^32: distances are taken modulo 2^32 and read as signed, so
//! `4294967295` is followed by `0`.

/// Largest `max_out_of_order` the window holds; larger settings are clamped.
pub const WINDOW: u32 = 4096;
const WORDS: usize = (WINDOW / 64) as usize;

/// Counts of what serial tracking saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SerialCounts {
    /// Serials never seen (presumed lost by the kernel or the socket).
    pub missed: u64,
    /// Serials that arrived after a newer one, within the window.
    pub late: u64,
    /// Largest distance, in serials, of a late arrival behind the newest.
    pub worst_lag: u64,
    /// Missed serials that arrived at last (each once, when at most
    /// [`WINDOW`] serials behind the window).
    pub late_after_missed: u64,
}

/// The window of pending serials behind the newest one seen.
#[derive(Clone, Debug)]
pub struct SerialTracker {
    newest: Option<u32>,
    max_out_of_order: u32,
    pending: [u64; WORDS],
    /// The [`WINDOW`] serials right behind the window: set for those
    /// missed and not arrived since.
    gone: [u64; WORDS],
    counts: SerialCounts,
}

impl SerialTracker {
    pub fn new(max_out_of_order: u32) -> SerialTracker {
        SerialTracker {
            newest: None,
            max_out_of_order: max_out_of_order.clamp(1, WINDOW - 1),
            pending: [0; WORDS],
            gone: [0; WORDS],
            counts: SerialCounts::default(),
        }
    }

    pub fn counts(&self) -> SerialCounts {
        self.counts
    }

    /// Notes that a record with `serial` arrived.
    pub fn observe(&mut self, serial: u32) {
        let Some(newest) = self.newest else {
            self.newest = Some(serial);
            return;
        };
        // Signed distance modulo 2^32: positive means newer.
        let distance = serial.wrapping_sub(newest) as i32;
        if distance > 0 {
            self.advance(newest, serial, distance as u32);
            self.newest = Some(serial);
        } else if distance < 0 {
            let lag = distance.unsigned_abs();
            if lag <= self.max_out_of_order && self.take(serial) {
                self.counts.late += 1;
                self.counts.worst_lag = self.counts.worst_lag.max(u64::from(lag));
            } else if lag > self.max_out_of_order
                && lag - self.max_out_of_order <= WINDOW
                && take_bit(&mut self.gone, serial)
            {
                self.counts.late_after_missed += 1;
            }
        }
    }

    /// End of stream: every serial still pending is missed.
    pub fn finish(&mut self) {
        let pending: u32 = self.pending.iter().map(|w| w.count_ones()).sum();
        self.counts.missed += u64::from(pending);
        self.pending = [0; WORDS];
    }

    fn advance(&mut self, newest: u32, serial: u32, distance: u32) {
        let window = self.max_out_of_order;
        if distance > window {
            // Everything pending falls out of the window, and so does the
            // part of the gap that is already too far behind `serial`:
            // missed, as the gone bitmap says for the WINDOW serials
            // behind the new window (older ones there stay as they were).
            let behind = serial.wrapping_sub(window).wrapping_sub(1);
            for back in 0..distance.min(WINDOW) {
                let leaving = behind.wrapping_sub(back);
                let missed = is_after(leaving, newest) || self.pending_bit(leaving);
                put_bit(&mut self.gone, leaving, missed);
            }
            self.finish();
            let gap = distance - 1;
            let kept = gap.min(window);
            self.counts.missed += u64::from(gap - kept);
            for back in 1..=kept {
                self.set(serial.wrapping_sub(back));
            }
            return;
        }
        for step in 1..=distance {
            let next = newest.wrapping_add(step);
            // After reaching `next`, the window is [next - window, next - 1].
            let leaving = next.wrapping_sub(window).wrapping_sub(1);
            let missed = self.take(leaving);
            if missed {
                self.counts.missed += 1;
            }
            put_bit(&mut self.gone, leaving, missed);
            if next != serial {
                self.set(next);
            }
        }
    }

    fn set(&mut self, serial: u32) {
        let bit = serial % WINDOW;
        if let Some(word) = self.pending.get_mut((bit / 64) as usize) {
            *word |= 1 << (bit % 64);
        }
    }

    /// Clears `serial`'s pending bit, telling whether it was set.
    fn take(&mut self, serial: u32) -> bool {
        take_bit(&mut self.pending, serial)
    }

    fn pending_bit(&self, serial: u32) -> bool {
        let bit = serial % WINDOW;
        self.pending
            .get((bit / 64) as usize)
            .is_some_and(|word| word & (1 << (bit % 64)) != 0)
    }
}

/// `a` comes after `b` in the wrapping serial order.
fn is_after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// Sets `serial`'s bit in `bits` to `value`.
fn put_bit(bits: &mut [u64; WORDS], serial: u32, value: bool) {
    let bit = serial % WINDOW;
    if let Some(word) = bits.get_mut((bit / 64) as usize) {
        let mask = 1u64 << (bit % 64);
        if value {
            *word |= mask;
        } else {
            *word &= !mask;
        }
    }
}

/// Clears `serial`'s bit in `bits`, telling whether it was set.
fn take_bit(bits: &mut [u64; WORDS], serial: u32) -> bool {
    let bit = serial % WINDOW;
    match bits.get_mut((bit / 64) as usize) {
        Some(word) => {
            let mask = 1u64 << (bit % 64);
            let was = *word & mask != 0;
            *word &= !mask;
            was
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    fn run(serials: &[u32], max: u32) -> SerialCounts {
        let mut t = SerialTracker::new(max);
        for &s in serials {
            t.observe(s);
        }
        t.finish();
        t.counts()
    }

    #[test]
    fn in_order_stream_misses_nothing() {
        assert_eq!(
            run(&[58, 58, 59, 60, 60, 61, 62], 500),
            SerialCounts::default()
        );
    }

    #[test]
    fn gap_is_missed_at_end_of_stream() {
        let c = run(&[49, 49, 59, 60, 61, 62], 500);
        assert_eq!(c.missed, 9);
        assert_eq!(c.late, 0);
    }

    #[test]
    fn late_arrival_is_counted_with_its_lag() {
        let c = run(&[10, 13, 11, 12], 500);
        assert_eq!(c.missed, 0);
        assert_eq!(c.late, 2);
        assert_eq!(c.worst_lag, 2);
    }

    #[test]
    fn serial_too_far_behind_is_missed_then_late_after_missed() {
        let mut t = SerialTracker::new(5);
        t.observe(1);
        t.observe(3); // 2 pending
        t.observe(8); // 8 - 2 > 5: 2 is missed
        assert_eq!(t.counts().missed, 1);
        t.observe(2);
        assert_eq!(t.counts().late, 0);
        assert_eq!(t.counts().late_after_missed, 1);
    }

    #[test]
    fn wraps_at_two_to_the_32() {
        let c = run(&[u32::MAX - 1, u32::MAX, 0, 1, 2], 500);
        assert_eq!(c, SerialCounts::default());
        let c = run(&[u32::MAX - 2, 3], 500);
        assert_eq!(c.missed, 5); // MAX-1, MAX, 0, 1, 2
    }

    #[test]
    fn huge_jump_counts_the_whole_gap_once() {
        let c = run(&[1, 3, 100], 5);
        // 2 pending, then gap 4..=99 (96 serials): 2 and 4..=94 missed at
        // once, 95..=99 pending until the end.
        assert_eq!(c.missed, 1 + 96);
    }

    /// A syscall that logged a record early (an AVC, a CONFIG_CHANGE) and
    /// then blocked sends the rest of its event much later, under its
    /// serial, seen long ago: not a serial that was missed.
    #[test]
    fn more_records_of_a_serial_seen_long_ago_are_not_late_after_missed() {
        let mut t = SerialTracker::new(5);
        for serial in 1..=20 {
            t.observe(serial);
        }
        t.observe(1);
        t.observe(1);
        assert_eq!(t.counts(), SerialCounts::default());
    }

    /// A missed serial that arrives at last, in several records, was
    /// missed once: it arrived late after being missed once.
    #[test]
    fn a_missed_serial_arriving_in_several_records_is_late_after_missed_once() {
        let mut t = SerialTracker::new(5);
        t.observe(1);
        t.observe(3);
        t.observe(20); // 2 and 4..=14 missed, 15..=19 pending
        assert_eq!(t.counts().missed, 12);
        for _ in 0..3 {
            t.observe(2);
        }
        t.observe(14);
        assert_eq!(t.counts().late_after_missed, 2);
        // And across a step-by-step advance of the window, and the wrap.
        let mut t = SerialTracker::new(5);
        for serial in [u32::MAX - 2, u32::MAX] {
            t.observe(serial);
        }
        for serial in 0..=10 {
            t.observe(serial);
        }
        assert_eq!(t.counts().missed, 1); // u32::MAX - 1
        t.observe(u32::MAX - 1);
        t.observe(u32::MAX - 1);
        t.observe(u32::MAX);
        assert_eq!(t.counts().late_after_missed, 1);
    }

    /// The counts as sets say them: a serial not yet seen below the newest
    /// is pending, missed once more than the window behind it, late when
    /// it comes while pending, late after missed (once) when it comes
    /// after that.
    fn model(serials: &[u32], window: u32) -> SerialCounts {
        use std::collections::BTreeSet;
        let (mut seen, mut pending, mut missed) =
            (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        let mut counts = SerialCounts::default();
        let mut newest: Option<u32> = None;
        for &serial in serials {
            match newest {
                Some(n) if serial > n => {
                    pending.extend((n + 1..serial).filter(|x| !seen.contains(x)));
                    newest = Some(serial);
                    // Those more than `window` behind `serial`.
                    let gone: std::vec::Vec<u32> = pending
                        .range(..serial.saturating_sub(window))
                        .copied()
                        .collect();
                    for x in gone {
                        pending.remove(&x);
                        missed.insert(x);
                        counts.missed += 1;
                    }
                }
                Some(n) if serial < n => {
                    let lag = n - serial;
                    if pending.remove(&serial) {
                        counts.late += 1;
                        counts.worst_lag = counts.worst_lag.max(u64::from(lag));
                    } else if missed.remove(&serial) {
                        counts.late_after_missed += 1;
                    }
                }
                Some(_) => {}
                None => newest = Some(serial),
            }
            seen.insert(serial);
        }
        counts.missed += pending.len() as u64;
        counts
    }

    proptest::proptest! {
        #[test]
        fn counts_agree_with_the_sets(
            serials in proptest::collection::vec(0u32..120, 0..80),
            window in 1u32..12,
        ) {
            proptest::prop_assert_eq!(run(&serials, window), model(&serials, window));
            // The same serials across the wrap at 2^32.
            let base = u32::MAX - 60;
            let wrapped: std::vec::Vec<u32> =
                serials.iter().map(|&x| base.wrapping_add(x)).collect();
            proptest::prop_assert_eq!(run(&wrapped, window), model(&serials, window));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(40))]

        #[test]
        fn counts_agree_with_the_sets_over_long_gaps(
            steps in proptest::collection::vec((0u32..6000, proptest::bool::ANY), 0..16),
            window in 1u32..600,
        ) {
            // Forward jumps up to beyond the window and WINDOW more, and
            // late arrivals up to as far back: within WINDOW behind the
            // window, a missed serial is late after missed.
            let mut serials = std::vec::Vec::new();
            let mut at = 10_000u32;
            for (step, back) in steps {
                if back {
                    serials.push(at.saturating_sub(step));
                } else {
                    at += step;
                    serials.push(at);
                }
            }
            let mut want = model(&serials, window);
            let got = run(&serials, window);
            // The model remembers every missed serial; the tracker those
            // at most WINDOW behind the window.
            proptest::prop_assert!(got.late_after_missed <= want.late_after_missed);
            want.late_after_missed = got.late_after_missed;
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn clamps_an_oversized_window() {
        let t = SerialTracker::new(u32::MAX);
        assert_eq!(t.max_out_of_order, WINDOW - 1);
    }
}

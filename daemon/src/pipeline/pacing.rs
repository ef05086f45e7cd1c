//! Receive pacing, the receive thread's interrupt coalescing. The kernel
//! wakes a blocked reader for every record it queues, so at moderate rates
//! (thousands of events per second, the socket emptied by every receive)
//! each wake-up takes one or two records and the context switches cost more
//! than the records. When a receive empties the socket while records
//! arrive fast, the [`Pacer`] asks for a short pause before the next
//! receive, so one wake-up then takes a batch.
//!
//! The pause is bounded five ways: by [`MAX_PAUSE`] (added latency); by
//! what the socket's receive buffer holds at the rate records arrive, with
//! half of it to spare (pacing must never fill the socket: kauditd then
//! stalls and the kernel's backlog grows toward its limit, and a multicast
//! reader is overrun and loses records); not at all when records are
//! sparse (below [`MIN_GATHER`] records per pause a pause only adds a
//! wake-up); and not at all when the
//! receive thread is busy more than [`MAX_BUSY`] of the time (near
//! saturation the thread is the bottleneck, and every pause would be
//! throughput lost); and not at all when the machine's CPUs were idle less
//! than [`MIN_MACHINE_IDLE`] of the time ([`super::cpu_idle`]): with every
//! CPU busy (a storm on a small host) a pause does not let others run, it
//! leaves the receive thread's CPU idle while kauditd hands records over
//! one wake-up at a time (measured: the CPUs 89–93% busy under a fan-out
//! storm with pauses, 96% without). After an overrun (`ENOBUFS`) pacing stays off for
//! [`OVERRUN_BACKOFF`]. A receive that fills every slot is never followed by
//! a pause: more is waiting.

use std::time::{Duration, Instant};

/// Longest pause between receives.
pub const MAX_PAUSE: Duration = Duration::from_millis(2);
/// Shortest pause worth a timer.
pub const MIN_PAUSE: Duration = Duration::from_micros(100);
/// A pause must be expected to gather at least this many records.
pub const MIN_GATHER: f64 = 8.0;
/// Socket buffer bytes assumed per queued record (its skb's truesize: an
/// audit record is built in a 1 KiB skb, more for long records; measured
/// about 1 KiB per record here, so this leaves a margin).
pub const BYTES_PER_RECORD: usize = 2048;
/// Pacing stops when the receive thread works (from a receive's return to
/// the end of its batch) more than this share of the time.
pub const MAX_BUSY: f64 = 0.5;
/// Pacing stops when the machine's CPUs were idle less than this share of
/// the time.
pub const MIN_MACHINE_IDLE: f64 = 0.2;
/// The arrival rate and the busy share are measured over windows of this
/// length.
pub const RATE_WINDOW: Duration = Duration::from_millis(10);
/// Pacing is off this long after the socket was overrun.
pub const OVERRUN_BACKOFF: Duration = Duration::from_secs(10);

/// Decides the pause after each receive.
#[derive(Debug)]
pub struct Pacer {
    /// Records that may queue in the socket during a pause (half of what it
    /// holds); 0 turns pacing off.
    budget_records: f64,
    /// The current window: when it began, the records in it and the time
    /// spent working on them.
    window_start: Option<Instant>,
    window_records: u64,
    window_busy: Duration,
    /// Records per second over the last complete window.
    rate: f64,
    /// Share of the last complete window spent working.
    busy: f64,
    /// No pauses before this (after an overrun).
    off_until: Option<Instant>,
    /// Pauses taken (for tests and stats).
    pauses: u64,
}

impl Pacer {
    /// A pacer for a socket whose receive buffer holds `buffer_bytes`
    /// (`SO_RCVBUF` as the kernel reports it); 0 turns pacing off.
    pub fn new(buffer_bytes: usize) -> Pacer {
        Pacer {
            budget_records: (buffer_bytes / 2 / BYTES_PER_RECORD) as f64,
            window_start: None,
            window_records: 0,
            window_busy: Duration::ZERO,
            rate: 0.0,
            busy: 0.0,
            off_until: None,
            pauses: 0,
        }
    }

    /// After a batch of `records` datagrams (out of `slots` slots) that
    /// arrived at `arrived` and was done with at `done`: how long to pause
    /// before the next receive (zero for none). `machine_idle` gives the
    /// CPUs' idle share (`None`: unknown), asked only before a pause.
    pub fn after_batch(
        &mut self,
        records: usize,
        slots: usize,
        arrived: Instant,
        done: Instant,
        machine_idle: impl FnOnce() -> Option<f64>,
    ) -> Duration {
        self.count(
            records as u64,
            done.saturating_duration_since(arrived),
            done,
        );
        if records >= slots || self.budget_records < 1.0 || self.busy > MAX_BUSY {
            return Duration::ZERO;
        }
        if self.off_until.is_some_and(|until| done < until) {
            return Duration::ZERO;
        }
        let pause = pause_for(self.rate, self.budget_records);
        if pause.is_zero() || machine_idle().is_some_and(|idle| idle < MIN_MACHINE_IDLE) {
            return Duration::ZERO;
        }
        self.pauses += 1;
        pause
    }

    /// The kernel overran the socket (`ENOBUFS`): no pauses for a while.
    pub fn overrun(&mut self, now: Instant) {
        self.off_until = Some(now + OVERRUN_BACKOFF);
    }

    /// Pauses asked for so far.
    pub fn pauses(&self) -> u64 {
        self.pauses
    }

    /// Adds a batch to the window, closing it when it is old enough.
    fn count(&mut self, records: u64, busy: Duration, now: Instant) {
        let start = *self.window_start.get_or_insert(now);
        self.window_records += records;
        self.window_busy += busy;
        let length = now.saturating_duration_since(start);
        if length >= RATE_WINDOW {
            let seconds = length.as_secs_f64();
            self.rate = self.window_records as f64 / seconds;
            self.busy = self.window_busy.as_secs_f64() / seconds;
            self.window_start = Some(now);
            self.window_records = 0;
            self.window_busy = Duration::ZERO;
        }
    }
}

/// The pause for records arriving at `rate` per second when `budget`
/// records may queue meanwhile.
fn pause_for(rate: f64, budget: f64) -> Duration {
    let max = MAX_PAUSE.as_secs_f64();
    if rate * max < MIN_GATHER || budget < MIN_GATHER {
        return Duration::ZERO;
    }
    let pause = Duration::from_secs_f64((budget / rate).min(max));
    if pause < MIN_PAUSE {
        Duration::ZERO
    } else {
        pause
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Time a batch takes in these tests (a light load).
    const WORK: Duration = Duration::from_micros(5);

    /// Feeds `batches` batches of `records` each, `gap` apart, into a fresh
    /// pacer; returns it and the last pause.
    fn steady(buffer: usize, records: usize, gap: Duration, batches: u32) -> (Pacer, Duration) {
        let mut pacer = Pacer::new(buffer);
        let start = Instant::now();
        let mut pause = Duration::ZERO;
        for i in 0..batches {
            pause = batch(&mut pacer, records, start + gap * i);
        }
        (pacer, pause)
    }

    /// A pacer that has seen 50 ms of a fast stream (6 records every
    /// 100 µs into a big buffer), and when that stream began.
    fn fast_stream() -> (Pacer, Instant) {
        let mut pacer = Pacer::new(4 << 20);
        let start = Instant::now();
        for i in 0..500 {
            batch(&mut pacer, 6, start + MS / 10 * i);
        }
        (pacer, start)
    }

    fn batch(pacer: &mut Pacer, records: usize, arrived: Instant) -> Duration {
        pacer.after_batch(records, 64, arrived, arrived + WORK, || None)
    }

    #[test]
    fn sparse_records_are_not_paced() {
        // 3 records every 10 ms: 300 records/s, far below MIN_GATHER per pause.
        let (pacer, pause) = steady(4 << 20, 3, 10 * MS, 50);
        assert_eq!(pause, Duration::ZERO);
        assert_eq!(pacer.pauses(), 0);
    }

    #[test]
    fn a_fast_stream_is_paced_up_to_the_maximum() {
        // 6 records every 100 µs: 60,000 records/s; a big buffer.
        let (_, pause) = steady(4 << 20, 6, MS / 10, 500);
        assert_eq!(pause, MAX_PAUSE);
    }

    #[test]
    fn the_pause_fits_the_socket_buffer() {
        // 60,000 records/s into the system default buffer (212,992 bytes):
        // 52 records may queue, so about 0.87 ms.
        let (_, pause) = steady(212_992, 6, MS / 10, 500);
        let budget = (212_992 / 2 / BYTES_PER_RECORD) as f64;
        let expected = Duration::from_secs_f64(budget / 60_000.0);
        assert!(pause < MAX_PAUSE, "{pause:?}");
        let error = pause.abs_diff(expected);
        assert!(
            error < Duration::from_micros(20),
            "{pause:?} vs {expected:?}"
        );
        // go-audit's example buffer (16 KiB, doubled by the kernel): room
        // for 8 records, so pauses of 8 records' time.
        let (_, pause) = steady(32_768, 6, MS / 10, 500);
        let expected = Duration::from_secs_f64(8.0 / 60_000.0);
        assert!(
            pause.abs_diff(expected) < Duration::from_micros(20),
            "{pause:?}"
        );
        // A tinier buffer: a pause could not gather enough to pay.
        let (pacer, pause) = steady(16_384, 6, MS / 10, 500);
        assert_eq!(pause, Duration::ZERO);
        assert_eq!(pacer.pauses(), 0);
    }

    #[test]
    fn a_full_batch_is_never_followed_by_a_pause() {
        let (mut pacer, start) = fast_stream();
        assert_eq!(batch(&mut pacer, 64, start + MS * 51), Duration::ZERO);
        assert!(!batch(&mut pacer, 6, start + MS * 52).is_zero());
    }

    #[test]
    fn an_overrun_turns_pacing_off_for_a_while() {
        let (mut pacer, start) = fast_stream();
        let at = start + MS * 50;
        pacer.overrun(at);
        assert_eq!(batch(&mut pacer, 6, at + MS), Duration::ZERO);
        let mut t = at + MS;
        while t < at + OVERRUN_BACKOFF {
            assert_eq!(batch(&mut pacer, 6, t), Duration::ZERO);
            t += MS / 10;
        }
        assert!(!batch(&mut pacer, 6, at + OVERRUN_BACKOFF).is_zero());
    }

    #[test]
    fn a_busy_receive_thread_is_not_paced() {
        // 6 records every 100 µs, each batch taking 60 µs of work: the
        // thread is the bottleneck, so it never sleeps.
        let mut pacer = Pacer::new(4 << 20);
        let start = Instant::now();
        for i in 0..500 {
            let arrived = start + MS / 10 * i;
            let pause = pacer.after_batch(6, 64, arrived, arrived + MS * 6 / 100, || None);
            assert_eq!(pause, Duration::ZERO);
        }
        assert_eq!(pacer.pauses(), 0);
    }

    #[test]
    fn busy_cpus_are_not_left_idle() {
        // A fast stream that is paced while the machine has CPU to spare,
        // not while its CPUs are busy, and as before when that is unknown.
        let (mut pacer, start) = fast_stream();
        let at = start + MS * 50;
        let after =
            |pacer: &mut Pacer, idle: Option<f64>| pacer.after_batch(6, 64, at, at + WORK, || idle);
        let taken = pacer.pauses();
        assert_eq!(after(&mut pacer, Some(0.05)), Duration::ZERO);
        assert_eq!(
            after(&mut pacer, Some(MIN_MACHINE_IDLE / 2.0)),
            Duration::ZERO
        );
        assert_eq!(pacer.pauses(), taken, "a pause not taken is not counted");
        assert_eq!(after(&mut pacer, Some(MIN_MACHINE_IDLE)), MAX_PAUSE);
        assert_eq!(after(&mut pacer, Some(0.9)), MAX_PAUSE);
        assert_eq!(after(&mut pacer, None), MAX_PAUSE);
        assert_eq!(pacer.pauses(), taken + 3);
        // Asked only before a pause: not for a full batch.
        let asked = std::cell::Cell::new(false);
        pacer.after_batch(64, 64, at, at + WORK, || {
            asked.set(true);
            Some(0.9)
        });
        assert!(!asked.get());
    }

    #[test]
    fn pacing_off_with_no_buffer_size() {
        let (pacer, pause) = steady(0, 6, MS / 10, 500);
        assert_eq!(pause, Duration::ZERO);
        assert_eq!(pacer.pauses(), 0);
    }

    #[test]
    fn a_burst_after_silence_is_not_paced_at_once() {
        // Quiet for a second, then records: the window that closes covers
        // the silence, so the rate is low and nothing waits.
        let mut pacer = Pacer::new(4 << 20);
        let start = Instant::now();
        batch(&mut pacer, 1, start);
        assert_eq!(batch(&mut pacer, 3, start + 1000 * MS), Duration::ZERO);
    }
}

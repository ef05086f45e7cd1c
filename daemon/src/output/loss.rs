//! The loss record: once per interval, a record in the output stream
//! itself saying what was lost since the last one (in the stream's
//! outline, `json::control_record`, with a `raudit` object of counts):
//! the events every output lost because the pool was empty
//! (`queue_drops`), those this output alone lost (`output_drops`: its
//! backlog was full, it gave up after its attempts, or its spool lost
//! them: full, or a torn entry), and what was lost before raudit received
//! it: the records the kernel lost (`kernel_lost`: its backlog full, its
//! rate limit; such a record may never have had a serial, so no gap in
//! the sequence shows it) and the serials raudit never saw
//! (`missed_serials`), and the missed serials that came after all
//! (`late_after_missed`: their events are in the stream, so a reader
//! takes them off `missed_serials`; a record is written for them too).
//! Each with its total since start. Each output
//! writes its own, so each stream tells its own losses, and a reader of
//! the stream alone learns of every loss the stats count.

use std::time::{Duration, Instant, SystemTime};

use crate::json::{self, ControlOutline};

use crate::queue::Queue;
use crate::stats::{Counter, OutputCounters, Stats};

pub struct LossReporter {
    interval: Duration,
    /// The records' outline (the events' shape's).
    outline: ControlOutline,
    last: Instant,
    /// What this stream was told so far.
    told: Losses,
    /// The record, reused (its capacity reserved at start).
    line: Vec<u8>,
}

/// The loss counts a record tells, each a total since start: queue drops,
/// this output's drops, the kernel's lost records, missed serials, and
/// the missed serials that came after all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Losses([u64; 5]);

impl Losses {
    /// The record's members, in this order: `NAME` (since the last
    /// record) and `NAME_total`.
    const NAMES: [(&'static str, &'static str); 5] = [
        ("queue_drops", "queue_drops_total"),
        ("output_drops", "output_drops_total"),
        ("kernel_lost", "kernel_lost_total"),
        ("missed_serials", "missed_serials_total"),
        ("late_after_missed", "late_after_missed_total"),
    ];

    fn now(queue: &Queue, stats: &Stats, own: Option<&OutputCounters>) -> Losses {
        Losses([
            queue.dropped(),
            own.map_or(0, output_drops),
            stats.kernel_lost_delta(),
            stats.missed_serials.get(),
            stats.late_after_missed.get(),
        ])
    }
}

impl LossReporter {
    /// A reporter from what `own` output's stream was told so far (0 at
    /// start; a thread a reload starts for an output enabled again goes
    /// on from its last thread's records, never telling them again).
    pub(super) fn new(
        interval: Duration,
        outline: ControlOutline,
        own: Option<&OutputCounters>,
    ) -> LossReporter {
        let told = own.map_or([0; 5], |c| c.loss_told.each_ref().map(Counter::get));
        LossReporter {
            interval,
            outline,
            last: Instant::now(),
            told: Losses(told),
            line: Vec::with_capacity(512),
        }
    }

    /// The record, when the interval has passed by `now` (the caller's
    /// clock read of this turn) and something was lost.
    pub(super) fn due(
        &mut self,
        now: Instant,
        queue: &Queue,
        stats: &Stats,
        own: Option<&OutputCounters>,
    ) -> Option<&[u8]> {
        if now.saturating_duration_since(self.last) < self.interval {
            return None;
        }
        self.final_report(queue, stats, own)
    }

    /// The record, if anything was lost since the last one.
    pub(super) fn final_report(
        &mut self,
        queue: &Queue,
        stats: &Stats,
        own: Option<&OutputCounters>,
    ) -> Option<&[u8]> {
        self.last = Instant::now();
        let now = Losses::now(queue, stats, own);
        let new = Losses(std::array::from_fn(|i| {
            now.0[i].saturating_sub(self.told.0[i])
        }));
        if new == Losses::default() {
            return None;
        }
        self.told = now;
        if let Some(c) = own {
            for (told, n) in c.loss_told.iter().zip(now.0) {
                told.set(n);
            }
        }
        stats.queue_drops.raise_to(now.0[0]);
        self.line.clear();
        json::control_record(
            &mut self.line,
            SystemTime::now(),
            self.outline,
            "loss",
            |o| {
                for ((name, total), (n, all)) in
                    Losses::NAMES.into_iter().zip(new.0.into_iter().zip(now.0))
                {
                    o.number(name, n).number(total, all);
                }
            },
        );
        Some(&self.line)
    }
}

/// What `c`'s output alone lost: its backlog full, given up after its
/// attempts, or lost by its spool.
fn output_drops(c: &OutputCounters) -> u64 {
    c.dropped.get() + c.errors.get() + c.spool_dropped.get() + c.spool_torn.get()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::Policy;

    /// `queue_drops` is a counter the receive thread publishes as well:
    /// an output thread that read the queue's count just before another
    /// drop was published must not set it back (a Prometheus counter that
    /// falls reads as a reset, and `increase()` then counts it all again).
    #[test]
    fn a_loss_record_never_takes_the_queue_drops_counter_back() {
        let queue = Queue::new(1, 16, Policy::Drop);
        let held = queue.take_free(|| true).expect("the pool's one buffer");
        assert!(queue.take_free(|| true).is_none(), "one drop");
        let stats = Stats::new(&["file"]);
        // Published by the receive thread after this output read 1 (as if
        // the read came first: the interleaving the threads can make).
        stats.queue_drops.set(2);
        let own = stats.outputs.first();
        let mut loss = LossReporter::new(Duration::ZERO, ControlOutline::GoAudit, own);
        assert!(loss.final_report(&queue, &stats, own).is_some());
        assert_eq!(stats.queue_drops.get(), 2, "the counter went back");
        queue.give_back(held);
    }

    /// A reporter for an ECS stream writes its record in ECS's outline,
    /// with what was lost.
    #[test]
    fn a_loss_record_takes_its_streams_outline() {
        let queue = Queue::new(1, 16, Policy::Drop);
        let held = queue.take_free(|| true).expect("the pool's one buffer");
        assert!(queue.take_free(|| true).is_none(), "one drop");
        let stats = Stats::new(&["file"]);
        let own = stats.outputs.first();
        for (outline, time_key) in [
            (ControlOutline::Ecs, "@timestamp"),
            (ControlOutline::GoAudit, "timestamp"),
        ] {
            let mut loss = LossReporter::new(Duration::ZERO, outline, None);
            let line = loss
                .final_report(&queue, &stats, own)
                .expect("a drop to tell");
            let doc: serde_json::Value = serde_json::from_slice(line).unwrap();
            assert!(doc.get(time_key).is_some(), "{doc}");
            assert_eq!(doc["raudit"]["report"], "loss", "{doc}");
            assert_eq!(doc["raudit"]["queue_drops"], 1, "{doc}");
        }
        queue.give_back(held);
    }

    /// What was lost before raudit received it is told in the stream too:
    /// the records the kernel lost (its backlog full: no serial, no gap
    /// shows them) and the serials never seen, each once, with its total;
    /// nothing new lost, no record.
    #[test]
    fn the_kernels_losses_and_missed_serials_are_told_in_the_stream() {
        let queue = Queue::new(1, 16, Policy::Drop);
        let stats = Stats::new(&["file"]);
        let own = stats.outputs.first();
        let mut loss = LossReporter::new(Duration::ZERO, ControlOutline::GoAudit, own);
        assert!(
            loss.final_report(&queue, &stats, own).is_none(),
            "nothing lost"
        );
        stats.start_kernel_lost(10);
        stats.note_kernel_lost(13);
        stats.missed_serials.set(2);
        let line = loss
            .final_report(&queue, &stats, own)
            .expect("a loss to tell");
        let doc: serde_json::Value = serde_json::from_slice(line).unwrap();
        let r = &doc["raudit"];
        assert_eq!(
            (&r["kernel_lost"], &r["kernel_lost_total"]),
            (&3.into(), &3.into()),
            "{doc}"
        );
        assert_eq!(
            (&r["missed_serials"], &r["missed_serials_total"]),
            (&2.into(), &2.into())
        );
        assert_eq!(
            (&r["queue_drops"], &r["output_drops"]),
            (&0.into(), &0.into())
        );
        assert!(
            loss.final_report(&queue, &stats, own).is_none(),
            "told once"
        );
        stats.note_kernel_lost(14);
        let line = loss.final_report(&queue, &stats, own).expect("one more");
        let doc: serde_json::Value = serde_json::from_slice(line).unwrap();
        assert_eq!(doc["raudit"]["kernel_lost"], 1);
        assert_eq!(doc["raudit"]["kernel_lost_total"], 4);
        assert_eq!(doc["raudit"]["missed_serials"], 0);
        // A thread a reload starts for the output tells none of it again.
        let mut next = LossReporter::new(Duration::ZERO, ControlOutline::GoAudit, own);
        assert!(next.final_report(&queue, &stats, own).is_none());
    }

    /// A serial told missed that came after all (its event written) is
    /// told too, so the stream's net loss stays right.
    #[test]
    fn a_missed_serial_that_came_after_all_is_told() {
        let queue = Queue::new(1, 16, Policy::Drop);
        let stats = Stats::new(&["file"]);
        let own = stats.outputs.first();
        let mut loss = LossReporter::new(Duration::ZERO, ControlOutline::Ecs, own);
        stats.missed_serials.set(3);
        let line = loss.final_report(&queue, &stats, own).expect("missed");
        let doc: serde_json::Value = serde_json::from_slice(line).unwrap();
        assert_eq!(doc["raudit"]["missed_serials"], 3, "{doc}");
        assert_eq!(doc["raudit"]["late_after_missed"], 0, "{doc}");
        stats.late_after_missed.set(1);
        let line = loss.final_report(&queue, &stats, own).expect("found");
        let doc: serde_json::Value = serde_json::from_slice(line).unwrap();
        let r = &doc["raudit"];
        assert_eq!(r["missed_serials"], 0, "{doc}");
        assert_eq!(r["missed_serials_total"], 3, "{doc}");
        assert_eq!(r["late_after_missed"], 1, "{doc}");
        assert_eq!(r["late_after_missed_total"], 1, "{doc}");
        assert!(loss.final_report(&queue, &stats, own).is_none());
    }
}

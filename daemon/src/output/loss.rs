//! The loss record: once per interval, a record in the output stream
//! itself saying how many events were lost since the last one (go-audit's
//! shape, sequence 0, no messages, and a `raudit` object with the counts):
//! the events every output lost because the pool was empty
//! (`queue_drops`), and those this output alone lost (`output_drops`: its
//! backlog was full, it gave up after its attempts, or its spool lost
//! them: full, or a torn entry). Each output writes
//! its own, so each stream tells its own losses.

use std::time::{Duration, Instant, SystemTime};

use crate::json::{self, ControlOutline};

use crate::queue::Queue;
use crate::stats::{OutputCounters, Stats};

pub struct LossReporter {
    interval: Duration,
    /// The records' outline (the events' shape's).
    outline: ControlOutline,
    last: Instant,
    reported_queue_drops: u64,
    reported_output_drops: u64,
    /// The record, reused (its capacity reserved at start).
    line: Vec<u8>,
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
        let told = |i: usize| own.map_or(0, |c| c.loss_told[i].get());
        LossReporter {
            interval,
            outline,
            last: Instant::now(),
            reported_queue_drops: told(0),
            reported_output_drops: told(1),
            line: Vec::with_capacity(512),
        }
    }

    /// The record, when the interval has passed and something was lost.
    pub(super) fn due(
        &mut self,
        queue: &Queue,
        stats: &Stats,
        own: Option<&OutputCounters>,
    ) -> Option<&[u8]> {
        if self.last.elapsed() < self.interval {
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
        let drops = queue.dropped();
        let new_drops = drops.saturating_sub(self.reported_queue_drops);
        let output_drops = own.map_or(0, output_drops);
        let new_output_drops = output_drops.saturating_sub(self.reported_output_drops);
        if new_drops == 0 && new_output_drops == 0 {
            return None;
        }
        self.reported_queue_drops = drops;
        self.reported_output_drops = output_drops;
        if let Some(c) = own {
            c.loss_told[0].set(drops);
            c.loss_told[1].set(output_drops);
        }
        stats.queue_drops.raise_to(drops);
        self.line.clear();
        json::control_record(
            &mut self.line,
            SystemTime::now(),
            self.outline,
            "loss",
            |o| {
                o.number("queue_drops", new_drops)
                    .number("queue_drops_total", drops)
                    .number("output_drops", new_output_drops)
                    .number("output_drops_total", output_drops);
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
}

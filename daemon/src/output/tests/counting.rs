//! Tests of what the sinks count: loss records, `sent` and `errors` when
//! writes fail, are refused, or write part of what they hold.

use super::*;

/// A loss record that cannot be written (the receiver refuses every
/// write) is not an event given up: counted as one, each interval's
/// record would report the last one's failure as a new loss, forever.
#[test]
fn a_failed_loss_record_is_not_counted_as_a_lost_event() {
    let stats = Arc::new(Stats::new(&["dead"]));
    let sink = Sink::new(
        Box::new(Slow {
            delay: Duration::ZERO,
            fail: true,
            lines: Arc::default(),
        }),
        1,
        Duration::ZERO,
        0,
    );
    assert_loss_records_are_not_lost_events(sink, &stats);
}

/// Runs `sink` for 400 ms of 20 ms loss intervals after one event was
/// lost (the pool empty) and none handed to it; asserts that it counts
/// none as sent or given up, whatever became of its loss records.
fn assert_loss_records_are_not_lost_events(sink: Sink, stats: &Arc<Stats>) {
    let queue = Queue::new(1, 64, Policy::Drop);
    submit(&queue, &[&[]]); // the only buffer, with no line in it
    assert!(queue.take_free(|| true).is_none()); // one event lost: queue_drops 1
    let settings = WriterSettings {
        loss_report_interval: Duration::from_millis(20),
        control_outline: crate::json::ControlOutline::GoAudit,
        requests: crate::output::Requests::NONE,
    };
    let writer = {
        let (queue, stats) = (Arc::clone(&queue), Arc::clone(stats));
        std::thread::spawn(move || run_writer(queue.reader(0), sink, &stats, settings, None))
    };
    std::thread::sleep(Duration::from_millis(400));
    queue.close();
    writer.join().unwrap();
    let c = &stats.outputs[0];
    assert_eq!(
        (c.sent.get(), c.errors.get(), stats.output_errors()),
        (0, 0, 0),
        "no event was handed to this output, yet it reports events given up"
    );
}

/// An output disabled by a reload and enabled by the next does not tell
/// its stream again the losses its last thread reported.
#[test]
fn a_reenabled_output_does_not_report_old_losses_again() {
    let queue = Queue::new(2, 64, Policy::Drop);
    let stats = Arc::new(Stats::new(&["file"]));
    let lines: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    submit(&queue, &[&[b"a\n"], &[b"b\n"]]);
    assert!(queue.take_free(|| true).is_none()); // one event lost
    let settings = WriterSettings {
        loss_report_interval: Duration::from_secs(3600),
        control_outline: crate::json::ControlOutline::GoAudit,
        requests: crate::output::Requests::NONE,
    };
    let make = || {
        Sink::new(
            Box::new(Flaky {
                failures: 0,
                lines: Arc::clone(&lines),
            }),
            1,
            Duration::ZERO,
            0,
        )
    };
    // Disabled by a reload: writes what it holds, its last loss record, stops.
    queue.set_retired(0, true);
    queue.set_readers(0);
    run_writer(queue.reader(0), make(), &stats, settings, None);
    // Enabled again by the next reload; then raudit stops.
    queue.set_retired(0, false);
    queue.set_readers(1);
    queue.close();
    run_writer(queue.reader(0), make(), &stats, settings, None);
    let lines = lines.lock().unwrap();
    let reported: u64 = lines
        .iter()
        .filter_map(|l| serde_json::from_slice::<serde_json::Value>(l).ok())
        .filter(|v| v["raudit"]["report"] == "loss")
        .map(|v| v["raudit"]["queue_drops"].as_u64().unwrap())
        .sum();
    assert_eq!(reported, queue.dropped(), "{lines:?}");
}

/// The same for a loss record the file output takes into its batch and
/// then cannot write (the disk full): given up at the flush, it is still
/// not an event, and the next interval's record must not report it.
#[test]
fn a_loss_record_a_full_disk_refuses_is_not_counted_as_a_lost_event() {
    let stats = Arc::new(Stats::new(&["file"]));
    let dir = temp_dir("loss-full");
    let mut file = FileOutput::open(spec(dir.join("audit.log")), 1024).unwrap();
    file.redirect_for_test(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    );
    let sink = Sink::new(Box::new(file), 1, Duration::ZERO, 0);
    assert_loss_records_are_not_lost_events(sink, &stats);
}

#[test]
fn sent_never_goes_back_when_batched_lines_are_given_up() {
    // `sent` is a counter (`raudit_output_sent_total`): it may only grow.
    // Lines the file output batched and then could not write (the disk
    // full for every attempt) are errors, never first sent and then
    // taken back.
    let stats = Stats::new(&["file"]);
    let dir = temp_dir("sent-counter");
    let file = FileOutput::open(spec(dir.join("audit.log")), 1024).unwrap();
    let mut sink = Sink::new(Box::new(file), 2, Duration::ZERO, 0);
    let mut highest = 0;
    let mut check = |stats: &Stats| {
        let sent = stats.outputs[0].sent.get();
        assert!(sent >= highest, "sent went back from {highest} to {sent}");
        highest = sent;
    };
    for line in [b"a\n", b"b\n", b"c\n"] {
        sink.write(line, &NO_SIDE, &stats);
        check(&stats);
    }
    sink.flush(&stats);
    check(&stats);
    assert_eq!(stats.outputs[0].sent.get(), 3);
    // The same with the device full: the next lines are batched...
    let mut full_file = FileOutput::open(spec(dir.join("full.log")), 1024).unwrap();
    full_file.redirect_for_test(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    );
    sink.replace(Box::new(full_file), 2, SpoolChange::Keep, &stats);
    for line in [b"d\n", b"e\n"] {
        sink.write(line, &NO_SIDE, &stats);
        check(&stats);
    }
    // ...and given up when written.
    sink.flush(&stats);
    check(&stats);
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (3, 2));
}

/// Holds the lines it accepts; each flush writes the first `per_flush`
/// of them and then fails, as a file whose disk has room for a few lines
/// more.
struct PartlyWritten {
    held: u64,
    written: u64,
    per_flush: u64,
}

impl Output for PartlyWritten {
    fn name(&self) -> &str {
        "partly"
    }

    fn write_line(&mut self, _: &[u8], _: &LineSide<'_>) -> io::Result<Sent> {
        self.held += 1;
        Ok(Sent::Whole)
    }

    fn flush(&mut self) -> io::Result<()> {
        let now = self.per_flush.min(self.held);
        self.held -= now;
        self.written += now;
        Err(io::Error::from_raw_os_error(libc::ENOSPC))
    }

    fn pending_lines(&self) -> u64 {
        self.held
    }

    fn discard(&mut self) -> u64 {
        std::mem::take(&mut self.held)
    }
}

/// A flush that fails after writing some of the lines held (the disk
/// freed, then full again) counts those lines sent and only the rest as
/// given up: every event accepted is in `sent` or `errors`, once (as a
/// live run showed: 77 lines written and counted nowhere).
#[test]
fn lines_a_failing_flush_wrote_are_counted_sent() {
    let stats = Stats::new(&["partly"]);
    let output = PartlyWritten {
        held: 0,
        written: 0,
        per_flush: 2,
    };
    let mut sink = Sink::new(Box::new(output), 3, Duration::ZERO, 0);
    for _ in 0..10 {
        sink.write(b"event\n", &NO_SIDE, &stats);
    }
    // Three attempts write 2 lines each, then the other 4 are given up.
    sink.flush(&stats);
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (6, 4));
}

/// Under a storm the output's backlog never empties; the loss record is
/// still written when its interval is due, among the events, not held
/// back until the storm ends (which may be never, or after a restart).
#[test]
fn the_loss_record_is_not_held_back_while_the_backlog_never_empties() {
    const EVENTS: usize = 48;
    let queue = Queue::new(EVENTS, 64, Policy::Drop);
    let stats = Arc::new(Stats::new(&["slow"]));
    let lines: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let buffers: Vec<&[&[u8]]> = vec![&[b"event\n"]; EVENTS];
    submit(&queue, &buffers);
    assert!(queue.take_free(|| true).is_none()); // one event lost
    let settings = WriterSettings {
        loss_report_interval: Duration::from_millis(20),
        control_outline: crate::json::ControlOutline::GoAudit,
        requests: crate::output::Requests::NONE,
    };
    // 5 ms a line: about 240 ms of backlog, twelve intervals.
    let sink = Sink::new(
        Box::new(Slow {
            delay: Duration::from_millis(5),
            fail: false,
            lines: Arc::clone(&lines),
        }),
        1,
        Duration::ZERO,
        0,
    );
    let writer = {
        let (queue, stats) = (Arc::clone(&queue), Arc::clone(&stats));
        std::thread::spawn(move || run_writer(queue.reader(0), sink, &stats, settings, None))
    };
    // The queue stays open (raudit runs on) until every event is written.
    let deadline = Instant::now() + Duration::from_secs(30);
    while lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l == &b"event\n")
        .count()
        < EVENTS
    {
        assert!(
            Instant::now() < deadline,
            "the writer did not drain its backlog"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    queue.close();
    writer.join().unwrap();
    let lines = lines.lock().unwrap();
    let loss_at = lines.iter().position(|l| l.starts_with(b"{"));
    let loss_at = loss_at.expect("no loss record at all");
    assert!(
        loss_at < EVENTS,
        "the loss record came only after all {EVENTS} events (at {loss_at}): held back while the backlog was full"
    );
    let record: serde_json::Value = serde_json::from_slice(&lines[loss_at]).unwrap();
    assert_eq!(record["raudit"]["queue_drops"], 1, "{record}");
}

/// Sends every line; the host refuses the lines whose text starts with
/// `x`, which it learns at the next send or the flush (as a datagram's
/// ECONNREFUSED): the last line sent is held till then.
/// `sent` as each refusal is taken (what a metrics scrape can see).
struct RefusedLater {
    last_refused: bool,
    last_unknown: bool,
    refused: u64,
    stats: Arc<Stats>,
    sent_seen: Arc<Mutex<Vec<u64>>>,
}

impl Output for RefusedLater {
    fn name(&self) -> &str {
        "udp"
    }

    fn write_line(&mut self, line: &[u8], _: &LineSide<'_>) -> io::Result<Sent> {
        self.refused += u64::from(std::mem::replace(
            &mut self.last_refused,
            line.starts_with(b"x"),
        ));
        self.last_unknown = true;
        Ok(Sent::Whole)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.refused += u64::from(std::mem::take(&mut self.last_refused));
        self.last_unknown = false;
        Ok(())
    }

    fn pending_lines(&self) -> u64 {
        u64::from(self.last_unknown)
    }

    fn take_refused(&mut self) -> u64 {
        let sent = self.stats.outputs[0].sent.get();
        self.sent_seen.lock().unwrap().push(sent);
        std::mem::take(&mut self.refused)
    }
}

/// `sent` is a counter: it never falls (a Prometheus counter that falls
/// reads as a restart), and it counts the lines delivered, `errors` the
/// refused, the last one too (learned at the flush).
#[test]
fn sent_never_falls_when_the_host_refuses_a_line_already_counted() {
    let stats = Arc::new(Stats::new(&["udp"]));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let output = RefusedLater {
        last_refused: false,
        last_unknown: false,
        refused: 0,
        stats: Arc::clone(&stats),
        sent_seen: Arc::clone(&seen),
    };
    let mut sink = Sink::new(Box::new(output), 1, Duration::ZERO, 0);
    for line in [
        "a\n", "x\n", "b\n", "x\n", "x\n", "c\n", "d\n", "e\n", "x\n",
    ] {
        sink.write(line.as_bytes(), &NO_SIDE, &stats);
        seen.lock().unwrap().push(stats.outputs[0].sent.get());
    }
    sink.flush(&stats);
    let mut seen = seen.lock().unwrap().clone();
    seen.push(stats.outputs[0].sent.get());
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (5, 4));
}

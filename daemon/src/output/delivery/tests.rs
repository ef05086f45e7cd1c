//! Tests of delivery marks: a buffer's mark is published only once no output holds its lines.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::output::{Output, Sent, Sink};
use crate::queue::{Policy, Queue, Reader};
use crate::side::LineSide;
use crate::stats::Stats;

#[test]
fn a_mark_is_delivered_once_the_output_holds_none_of_its_lines() {
    let mut delivery = Delivery::default();
    delivery.accepted(3);
    delivery.offered(10);
    delivery.accepted(2);
    delivery.offered(11);
    assert_eq!(delivery.settle(5), None, "all five held");
    assert_eq!(delivery.settle(3), None, "buffer 10's last line held");
    assert_eq!(delivery.settle(2), Some(10));
    assert_eq!(delivery.settle(2), None, "delivered once");
    delivery.offered(12); // its lines all failed: none accepted
    assert_eq!(delivery.settle(1), None, "buffer 11's last line held");
    assert_eq!(delivery.settle(0), Some(12));
}

#[test]
fn a_buffer_without_a_mark_is_not_waited_for() {
    let mut delivery = Delivery::default();
    delivery.accepted(1);
    delivery.offered(0);
    assert_eq!(delivery.settle(0), None);
}

#[test]
fn when_full_the_newest_waits_for_the_new_lines_so_no_mark_comes_early() {
    let mut delivery = Delivery::default();
    for mark in 1..=WAITING as u32 + 2 {
        delivery.accepted(1);
        delivery.offered(mark);
    }
    let all = WAITING as u64 + 2;
    assert_eq!(
        delivery.settle(all - (WAITING as u64 - 2)),
        Some(WAITING as u32 - 2)
    );
    // Buffer WAITING - 1 is followed alone; WAITING's place was taken
    // by the two after it, so its mark comes with theirs.
    assert_eq!(delivery.settle(2), Some(WAITING as u32 - 1));
    assert_eq!(delivery.settle(1), None);
    assert_eq!(delivery.settle(0), Some(WAITING as u32 + 2));
}

/// Holds the lines it accepts, as a stream's gather buffer or OTLP's
/// batch does: written out when `room` are held and a new one comes, or
/// at a flush (which fails while `down`).
struct Holding {
    room: u64,
    held: u64,
    down: bool,
}

impl Holding {
    fn new(room: u64) -> Holding {
        Holding {
            room,
            held: 0,
            down: false,
        }
    }
}

impl Output for Holding {
    fn name(&self) -> &str {
        "holding"
    }

    fn write_line(&mut self, _: &[u8], _: &LineSide<'_>) -> io::Result<Sent> {
        if self.held >= self.room {
            self.flush()?;
        }
        self.held += 1;
        Ok(Sent::Whole)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.down {
            return Err(io::ErrorKind::ConnectionRefused.into());
        }
        self.held = 0;
        Ok(())
    }

    fn pending_lines(&self) -> u64 {
        self.held
    }

    fn discard(&mut self) -> u64 {
        std::mem::take(&mut self.held)
    }
}

/// Submits a buffer of `lines` lines marked `mark`.
fn submit(queue: &Queue, lines: usize, mark: u32) {
    let mut buffer = queue.take_free(|| true).unwrap();
    for _ in 0..lines {
        buffer.space()[..3].copy_from_slice(b"{}\n");
        buffer.advance_line(3);
    }
    buffer.set_mark(mark);
    queue.submit(buffer);
}

/// The sink of output `output` of `queue`, its thread joined.
fn sink(queue: &Arc<Queue>, output: usize, holding: Holding, attempts: u32) -> (Sink, Reader) {
    let mut sink = Sink::new(Box::new(holding), attempts, Duration::ZERO, output);
    let reader = queue.reader(output);
    reader.join();
    sink.attach(reader.shared());
    (sink, reader)
}

/// What the output thread does with the next buffer of its backlog:
/// writes it and releases it.
fn write_next(sink: &mut Sink, reader: &Reader, stats: &Stats) {
    let filled = reader.next().unwrap();
    sink.write_buffers(std::slice::from_ref(&filled), stats);
    reader.release(filled);
}

#[test]
fn gathered_lines_hold_the_stored_mark_back_until_they_are_written_out() {
    let queue = Queue::new(2, 64, Policy::Drop);
    let stats = Stats::new(&["holding"]);
    let (mut sink, reader) = sink(&queue, 0, Holding::new(3), 1);
    submit(&queue, 2, 10);
    write_next(&mut sink, &reader, &stats);
    // Its buffer is back in the pool, its lines still in the output.
    assert_eq!(queue.depth(), 0);
    assert!(queue.take_free(|| true).is_some_and(|b| {
        queue.give_back(b);
        true
    }));
    assert_eq!(queue.stored_mark(), None, "buffer 10's lines are held");
    submit(&queue, 2, 11);
    write_next(&mut sink, &reader, &stats);
    // The third line filled the output; the fourth wrote out the three
    // before it: buffer 10's lines are out, one of 11's is held.
    assert_eq!(queue.stored_mark(), Some(10));
    sink.flush(&stats);
    assert_eq!(queue.stored_mark(), Some(11));
    assert_eq!(stats.outputs[0].sent.get(), 4);
}

#[test]
fn lines_a_dead_output_gives_up_and_counts_no_longer_hold_the_mark_back() {
    let queue = Queue::new(2, 64, Policy::Drop);
    let stats = Stats::new(&["holding"]);
    let holding = Holding {
        down: true,
        ..Holding::new(8)
    };
    let (mut sink, reader) = sink(&queue, 0, holding, 2);
    submit(&queue, 3, 10);
    write_next(&mut sink, &reader, &stats);
    assert_eq!(queue.stored_mark(), None);
    sink.flush(&stats); // fails twice: the three lines are dropped
    assert_eq!(stats.outputs[0].errors.get(), 3);
    assert_eq!(queue.stored_mark(), Some(10), "their loss is counted");
}

#[test]
fn the_stored_mark_waits_for_the_slowest_output_and_not_for_one_that_left() {
    let queue = Queue::with_outputs(4, 64, Policy::Drop, 2, 0);
    let stats = Stats::new(&["direct", "holding"]);
    let (mut direct, direct_reader) = sink(&queue, 0, Holding::new(0), 1);
    let (mut holding, holding_reader) = sink(&queue, 1, Holding::new(8), 1);
    submit(&queue, 1, 10);
    write_next(&mut direct, &direct_reader, &stats);
    direct.flush(&stats);
    assert_eq!(queue.stored_mark(), None, "the other has delivered none");
    write_next(&mut holding, &holding_reader, &stats);
    assert_eq!(queue.stored_mark(), None, "the other holds 10's line");
    holding.flush(&stats);
    assert_eq!(queue.stored_mark(), Some(10));
    submit(&queue, 1, 11);
    write_next(&mut direct, &direct_reader, &stats);
    direct.flush(&stats);
    write_next(&mut holding, &holding_reader, &stats);
    assert_eq!(queue.stored_mark(), Some(10));
    // Disabled by a reload: its thread flushes and ends.
    holding.flush(&stats);
    holding_reader.leave();
    assert_eq!(queue.stored_mark(), Some(11));
    queue.set_readers(0b01);
    submit(&queue, 1, 12);
    write_next(&mut direct, &direct_reader, &stats);
    direct.flush(&stats);
    assert_eq!(queue.stored_mark(), Some(12), "the one left counts alone");
}

#[test]
fn buffers_an_output_gave_up_under_drop_pass_only_behind_what_it_delivered() {
    // Two outputs: a backlog holds three of the four buffers at most.
    let queue = Queue::with_outputs(4, 64, Policy::Drop, 2, 0);
    let stats = Stats::new(&["direct", "holding"]);
    let (mut direct, direct_reader) = sink(&queue, 0, Holding::new(0), 1);
    let (mut holding, holding_reader) = sink(&queue, 1, Holding::new(8), 1);
    submit(&queue, 1, 10);
    write_next(&mut holding, &holding_reader, &stats); // held, not flushed
    for mark in 11..=14 {
        submit(&queue, 1, mark);
        write_next(&mut direct, &direct_reader, &stats);
    }
    write_next(&mut direct, &direct_reader, &stats);
    direct.flush(&stats);
    // 11 was given up by the holding output (counted), 12 to 14 wait.
    assert_eq!(holding_reader.evicted_lines(), 1);
    assert_eq!(queue.stored_mark(), None, "10's line is still held");
    holding.flush(&stats);
    assert_eq!(queue.stored_mark(), Some(10), "not past 11: given up later");
    write_next(&mut holding, &holding_reader, &stats);
    holding.flush(&stats);
    assert_eq!(queue.stored_mark(), Some(12));
    while holding_reader.depth() > 0 {
        write_next(&mut holding, &holding_reader, &stats);
    }
    holding.flush(&stats);
    assert_eq!(queue.stored_mark(), Some(14));
}

#[test]
fn lines_a_spooled_output_holds_are_on_disk_so_they_do_not_hold_the_mark_back() {
    let dir = crate::scratch_dir::ScratchDir::new("delivery-spool");
    let path = dir.join("spool");
    let spec = crate::output::SpoolSpec {
        path: path.clone(),
        max_bytes: 1 << 20,
    };
    let spooling = crate::output::Spooling::open("holding", &spec, 256).unwrap();
    let empty = std::fs::metadata(&path).unwrap().len();
    let queue = Queue::new(2, 64, Policy::Drop);
    let stats = Stats::new(&["holding"]);
    let (sink, reader) = sink(&queue, 0, Holding::new(8), 1);
    let mut sink = sink.with_spool(spooling);
    submit(&queue, 2, 10);
    write_next(&mut sink, &reader, &stats);
    // The output holds both lines, each kept in the spool until it goes.
    assert!(std::fs::metadata(&path).unwrap().len() > empty);
    assert_eq!(queue.stored_mark(), Some(10));
}

#[test]
fn an_output_thread_counts_from_its_start_and_delivers_what_it_held_at_its_end() {
    let queue = Queue::new(4, 64, Policy::Drop);
    let stats = Arc::new(Stats::new(&["holding"]));
    submit(&queue, 2, 10);
    submit(&queue, 1, 11);
    queue.close();
    let sink = Sink::new(Box::new(Holding::new(8)), 1, Duration::ZERO, 0);
    let settings = crate::output::WriterSettings {
        loss_report_interval: Duration::from_secs(3600),
        control_outline: crate::json::ControlOutline::GoAudit,
        requests: crate::output::Requests::NONE,
    };
    crate::output::run_writers(&queue, vec![sink], &stats, settings);
    assert_eq!(queue.stored_mark(), Some(11));
    assert_eq!(stats.outputs[0].sent.get(), 3);
}

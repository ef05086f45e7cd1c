//! The receive side packing events into pooled buffers: many lines per
//! buffer, an event that does not fit moves whole to a fresh buffer, an
//! event larger than a buffer is cut alone, and an empty pool drops and
//! counts.

use super::*;

#[test]
fn many_events_share_a_buffer_and_none_is_cut() {
    let body = "arch=c000003e syscall=39 success=yes exit=1 pid=1 uid=0 comm=\"x\"";
    let (buffers, stats) = run(events(1..41, body), 8, 2048);
    let lines: Vec<&Vec<u8>> = buffers.iter().flatten().collect();
    assert_eq!(lines.len(), 40);
    assert!(
        buffers.len() < 10,
        "{} buffers for 40 events",
        buffers.len()
    );
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line.last(), Some(&b'\n'));
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        assert_eq!(v["sequence"], i as u64 + 1);
        assert!(v.get("truncated").is_none());
    }
    assert_eq!(stats.queue_drops.get(), 0);
}

#[test]
fn a_line_like_the_last_that_would_not_fit_goes_to_a_fresh_buffer_at_once() {
    let long = "arch=c000003e syscall=59 success=yes exit=0 pid=1 uid=0 \
                comm=\"a-rather-long-name\" exe=\"/usr/bin/a-rather-long-path\" key=\"k\"";
    let short = "arch=c000003e syscall=39 pid=1";
    let bodies = [long, long, short];
    let input = || -> Vec<Vec<u8>> {
        (1..)
            .zip(bodies)
            .flat_map(|(serial, body)| [datagram(1300, serial, body), datagram(1320, serial, "")])
            .collect()
    };
    // The lines, and their lengths, in a roomy buffer.
    let (roomy, _) = run(input(), 8, 8192);
    let lines: Vec<Vec<u8>> = roomy.concat();
    let [first, second, third] = [0, 1, 2].map(|i| lines[i].len());
    assert!(third < second);
    // Room for the two long lines and then a byte less than a third: the
    // short one would fit there, but one like the last line would not, so
    // it is not tried there.
    let (buffers, stats) = run(input(), 8, first + second + second - 1);
    let shape: Vec<usize> = buffers.iter().map(Vec::len).collect();
    assert_eq!(shape, [2, 1]);
    assert_eq!(buffers.concat(), lines, "the same lines in the same order");
    assert_eq!(stats.queue_drops.get(), 0);
}

#[test]
fn an_event_larger_than_a_buffer_is_cut_alone_and_the_next_one_is_whole() {
    let mut input = events(1..2, "small=1");
    input.extend(events(2..3, &"x".repeat(4000)));
    input.extend(events(3..4, "small=3"));
    let (buffers, _) = run(input, 8, 1024);
    let lines: Vec<serde_json::Value> = buffers
        .iter()
        .flatten()
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].get("truncated").is_none());
    assert_eq!(lines[1]["truncated"], true);
    assert!(lines[2].get("truncated").is_none());
}

#[test]
fn replies_in_the_stream_are_control_frames_and_login_is_a_record() {
    // The same rule as the netlink replay (MessageType::is_record).
    let mut input = Vec::new();
    for control in [1000, 1010, 1013, 1019, 1329] {
        input.push(datagram(control, 9, "binary reply"));
    }
    input.push(datagram(
        1006,
        20,
        "pid=7 uid=0 old-auid=4294967295 auid=1000 res=1",
    ));
    let (_, stats) = run(input, 8, 2048);
    assert_eq!(stats.control_frames.get(), 5);
    assert_eq!(stats.records.get(), 1);
    assert_eq!(stats.malformed.get(), 0);
}

#[test]
fn an_empty_pool_drops_events_and_counts_each() {
    let body = "y".repeat(300);
    // One buffer holds three of these events; the pool has two buffers and
    // nobody recycles them during the batch.
    let (buffers, stats) = run(events(1..11, &body), 2, 1200);
    let written: usize = buffers.iter().map(Vec::len).sum();
    assert_eq!(written as u64 + stats.queue_drops.get(), 10);
    assert!(stats.queue_drops.get() > 0);
}

/// The same events and pool, but the output thread is held off the CPU
/// for a moment (it starts reading 50 ms late) and the queue waits for a
/// free buffer before it drops, as the daemon's does: nothing is lost.
#[test]
fn a_short_stall_of_the_only_output_loses_nothing() {
    let body = "y".repeat(300);
    let queue = Queue::with_layout(crate::queue::Layout {
        drop_wait: Duration::from_secs(20),
        ..crate::queue::Layout::pool(2, 1200, Policy::Drop)
    });
    queue.register_producer();
    let stats = Arc::new(Stats::new(&[]));
    let mut pipeline = memory_pipeline(events(1..11, &body), Settings::default(), &queue, &stats);
    let output = {
        let queue = Arc::clone(&queue);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            let reader = queue.reader(0);
            let mut lines = 0;
            loop {
                match reader.next() {
                    Some(filled) => {
                        lines += filled.bytes().iter().filter(|&&b| b == b'\n').count();
                        reader.release(filled);
                    }
                    None if queue.is_closed() => return lines,
                    None => std::thread::sleep(Duration::from_millis(1)),
                }
            }
        })
    };
    run_to_end(&mut pipeline);
    queue.close();
    assert_eq!(output.join().unwrap(), 10);
    assert_eq!(stats.queue_drops.get(), 0);
    assert!(stats.queue_waits.get() >= 1);
}

#[test]
fn late_serials_are_logged_once_each_when_asked() {
    let mut input = events(1..4, "syscall=59");
    input.extend(events(6..8, "syscall=59"));
    input.extend(events(4..5, "syscall=59")); // 4 after 7: late by 3
    input.extend(events(8..9, "syscall=59"));
    for log_out_of_order in [true, false] {
        let queue = Queue::new(8, 64 * 1024, Policy::Drop);
        let stats = Arc::new(Stats::new(&[]));
        let settings = Settings {
            log_out_of_order,
            ..Settings::default()
        };
        let mut pipeline = memory_pipeline(input.clone(), settings, &queue, &stats);
        run_to_end(&mut pipeline);
        assert_eq!(stats.late_serials.get(), 1);
        let logged = if log_out_of_order { 1 } else { 0 };
        assert_eq!(pipeline.out_of_order_logged(), logged);
    }
}

/// A serial given up as missed that comes after all is written, and both
/// counts reach the stats (the loss record tells them from there).
#[test]
fn a_missed_serial_that_comes_after_all_is_counted_apart() {
    let mut input = events(1..3, "syscall=59");
    input.extend(events(5..9, "syscall=59"));
    input.extend(events(3..4, "syscall=59")); // 3 after 8: missed, then came
    let queue = Queue::new(8, 64 * 1024, Policy::Drop);
    let stats = Arc::new(Stats::new(&[]));
    let mut settings = Settings::default();
    settings.assembler.max_out_of_order = 2;
    let mut pipeline = memory_pipeline(input, settings, &queue, &stats);
    run_to_end(&mut pipeline);
    assert_eq!(stats.missed_serials.get(), 2, "3 and 4");
    assert_eq!(stats.late_after_missed.get(), 1, "3 came");
    assert_eq!(stats.events.get(), 7);
}

#[test]
fn the_structured_format_is_used_when_configured() {
    let settings = Settings {
        batch: 128,
        format: Format::Structured,
        ..Settings::default()
    };
    let (buffers, _) = run_with(
        events(1..3, "arch=c000003e syscall=59 exe=\"/bin/ls\""),
        4,
        4096,
        settings,
    );
    let lines: Vec<serde_json::Value> = buffers
        .iter()
        .flatten()
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["records"][0]["type"], "SYSCALL");
    assert_eq!(lines[0]["records"][0]["fields"]["exe"], "/bin/ls");
    assert_eq!(lines[0]["records"][0]["interpreted"]["syscall"], "execve");
}

#[test]
fn datagrams_not_from_the_kernel_are_dropped_and_counted() {
    let body = "arch=c000003e syscall=59 success=yes comm=\"real\"";
    // A forged event, SYSCALL and EOE, from port 4242, between the kernel's.
    let input = vec![
        (0, datagram(1300, 1, body)),
        (4242, datagram(1300, 2, "syscall=59 comm=\"forged\"")),
        (4242, datagram(1320, 2, "")),
        (0, datagram(1320, 1, "")),
    ];
    let queue = Queue::new(8, 64 * 1024, Policy::Drop);
    let stats = Arc::new(Stats::new(&[]));
    let mut pipeline = Pipeline::new(
        MemorySource::with_senders(input),
        Settings::default(),
        Arc::clone(&queue),
        Arc::clone(&stats),
    );
    run_to_end(&mut pipeline);
    let lines = queue_lines(&queue);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("real") && !lines[0].contains("forged"));
    assert_eq!(stats.spoofed.get(), 2);
    assert_eq!(stats.spoofed_sender.get(), 4242);
    assert_eq!(stats.records.get(), 2);
    assert_eq!(stats.malformed.get(), 0);
}

/// Datagrams from the kernel, with pauses (`None`: the socket ran dry).
struct Paced(Vec<Option<Vec<u8>>>);

impl Source for Paced {
    fn receive(
        &mut self,
        slots: &mut [Slot],
        received: &mut [Received],
        _: Duration,
    ) -> io::Result<Input> {
        if let Some(None) = self.0.first() {
            self.0.remove(0);
            return Ok(Input::Idle);
        }
        Ok(super::source::receive_from(slots, received, |slot| {
            let datagram = self.0.first()?.as_ref()?;
            let got = super::source::copy_into(slot, datagram, 0);
            self.0.remove(0);
            Some(got)
        }))
    }

    fn pause(&mut self, _: Duration) {}
}

#[test]
fn a_buffer_handed_over_is_marked_below_the_oldest_event_in_flight() {
    // 11 is still open when 12 completes and its buffer goes out.
    let input = vec![
        Some(datagram(1300, 11, "syscall=59")),
        Some(datagram(1300, 12, "syscall=59")),
        Some(datagram(1320, 12, "")),
        None,
        Some(datagram(1320, 11, "")),
        None,
    ];
    let queue = Queue::new(8, 64 * 1024, Policy::Drop);
    let stats = Arc::new(Stats::new(&[]));
    let mut pipeline = Pipeline::new(
        Paced(input),
        Settings::default(),
        Arc::clone(&queue),
        Arc::clone(&stats),
    );
    while pipeline.step(Some(Duration::ZERO)).unwrap() != Input::Ended {}
    let mut marks = Vec::new();
    let reader = queue.reader(0);
    while let Some(filled) = reader.next() {
        marks.push(filled.mark());
        reader.release(filled);
    }
    // 12 went out first, below 11 still open; then 11, and with it all up
    // to 12.
    assert_eq!(marks, [10, 12]);
}

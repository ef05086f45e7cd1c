//! The queue's unit tests: the pool, the backlogs, loss, the large lane, side regions.

use std::time::Duration;

use super::*;

fn fill(buffer: &mut EventBuffer, text: &[u8]) {
    buffer.space()[..text.len()].copy_from_slice(text);
    buffer.advance(text.len());
}

#[test]
fn empty_pool_drops_and_counts() {
    let queue = Queue::new(2, 16, Policy::Drop);
    let reader = queue.reader(0);
    let mut a = queue.take_free(|| true).unwrap();
    let b = queue.take_free(|| true).unwrap();
    assert!(queue.take_free(|| true).is_none());
    assert_eq!(queue.dropped(), 1);
    fill(&mut a, b"{}\n");
    fill(&mut a, b"[1]\n");
    assert_eq!(a.space().len(), 16 - 7);
    queue.submit(a);
    queue.give_back(b);
    let filled = reader.next().unwrap();
    let lines: Vec<&[u8]> = filled.bytes().split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(lines, [&b"{}\n"[..], b"[1]\n"]);
    assert_eq!(filled.line_count(), 2);
    reader.release(filled);
    let mut again = queue.take_free(|| true).unwrap();
    assert!(again.is_empty(), "a released buffer comes back empty");
    assert_eq!(again.line_count(), 0);
    // Lines counted as they are added: one line at a time, or several.
    again.space()[..3].copy_from_slice(b"{}\n");
    again.advance_line(3);
    fill(&mut again, b"[1]\n[2]\n");
    assert_eq!(again.line_count(), 3);
    assert_eq!(
        again.line_count(),
        memchr::memchr_iter(b'\n', again.filled()).count() as u64
    );
    queue.give_back(again);
    assert!(queue.take_free(|| true).is_some());
}

#[test]
fn the_lowest_free_buffer_is_reused_so_others_stay_untouched() {
    let queue = Queue::new(70, 64, Policy::Drop);
    let reader = queue.reader(0);
    for _ in 0..100 {
        let mut buffer = queue.take_free(|| true).unwrap();
        assert_eq!(buffer.index, 0);
        fill(&mut buffer, b"\n");
        queue.submit(buffer);
        reader.release(reader.next().unwrap());
    }
    // All 70 can still be taken, each once, lowest first.
    let taken: Vec<usize> = (0..70)
        .map(|_| queue.take_free(|| true).unwrap().index)
        .collect();
    assert_eq!(taken, (0..70).collect::<Vec<_>>());
    assert!(queue.take_free(|| true).is_none());
}

#[test]
fn a_buffer_is_free_again_only_when_every_output_released_it() {
    let queue = Queue::with_outputs(1, 16, Policy::Drop, 3, 0);
    let readers: Vec<Reader> = (0..3).map(|i| queue.reader(i)).collect();
    let mut buffer = queue.take_free(|| true).unwrap();
    fill(&mut buffer, b"a\n");
    queue.submit(buffer);
    let held: Vec<Filled<'_>> = readers.iter().map(|r| r.next().unwrap()).collect();
    for filled in &held {
        assert_eq!(filled.bytes(), b"a\n", "every output reads the same lines");
    }
    let mut held = held.into_iter();
    readers[0].release(held.next().unwrap());
    readers[1].release(held.next().unwrap());
    assert!(
        queue.take_free(|| true).is_none(),
        "output 2 still holds it"
    );
    readers[2].release(held.next().unwrap());
    assert!(queue.take_free(|| true).is_some());
}

#[test]
fn a_stuck_output_gives_up_its_oldest_buffers_and_the_others_keep_going() {
    // 8 buffers, two outputs: each may hold 6.
    let queue = Queue::with_outputs(8, 16, Policy::Drop, 2, 0);
    assert_eq!(queue.backlog_limit(), 6);
    let (fast, stuck) = (queue.reader(0), queue.reader(1));
    for i in 0..100u8 {
        let mut buffer = queue
            .take_free(|| true)
            .expect("the fast output keeps buffers free");
        fill(&mut buffer, &[b'0' + i % 10, b'\n']);
        fill(&mut buffer, b"x\n");
        queue.submit(buffer);
        let filled = fast.next().unwrap();
        assert_eq!(filled.bytes()[0], b'0' + i % 10);
        fast.release(filled);
    }
    assert_eq!(queue.dropped(), 0);
    assert_eq!(stuck.depth(), 6);
    // 94 buffers of 2 lines given up, the newest 6 kept, in order.
    assert_eq!(stuck.evicted_lines(), 94 * 2);
    assert_eq!(fast.evicted_lines(), 0);
    let first = stuck.next().unwrap();
    assert_eq!(first.bytes()[0], b'0' + 94 % 10);
    stuck.release(first);
}

#[test]
fn one_output_may_use_the_whole_pool() {
    let queue = Queue::new(4, 16, Policy::Drop);
    let reader = queue.reader(0);
    for _ in 0..4 {
        let mut buffer = queue.take_free(|| true).unwrap();
        fill(&mut buffer, b"a\n");
        queue.submit(buffer);
    }
    assert!(queue.take_free(|| true).is_none());
    assert_eq!(queue.dropped(), 1);
    assert_eq!(reader.depth(), 4);
    assert_eq!(reader.evicted_lines(), 0);
}

#[test]
fn the_side_region_travels_with_the_buffer() {
    let queue = Queue::with_outputs(2, 16, Policy::Drop, 1, 32);
    let reader = queue.reader(0);
    let mut buffer = queue.take_free(|| true).unwrap();
    fill(&mut buffer, b"a\n");
    buffer.side_space()[..3].copy_from_slice(b"xyz");
    buffer.advance_side(3);
    queue.submit(buffer);
    let filled = reader.next().unwrap();
    assert_eq!(filled.side(), b"xyz");
    reader.release(filled);
    let buffer = queue.take_free(|| true).unwrap();
    assert!(buffer.side().is_empty());
    assert_eq!(buffer.capacity(), 16);
}

#[test]
fn block_policy_waits_for_release() {
    let queue = Queue::new(1, 16, Policy::Block);
    queue.register_producer();
    let held = queue.take_free(|| true).unwrap();
    queue.submit(held);
    let consumer = {
        let queue = Arc::clone(&queue);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            let reader = queue.reader(0);
            let filled = reader.next().unwrap();
            reader.release(filled);
        })
    };
    assert!(queue.take_free(|| false).is_some());
    assert_eq!(queue.dropped(), 0);
    consumer.join().unwrap();
}

#[test]
fn block_policy_gives_up_on_shutdown() {
    let queue = Queue::new(1, 16, Policy::Block);
    let _held = queue.take_free(|| true).unwrap();
    assert!(queue.take_free(|| true).is_none());
    assert_eq!(queue.dropped(), 1);
}

/// A queue of `buffers` under `drop` that waits `wait` before a drop,
/// with the calling thread as its producer.
fn waiting_drop_queue(buffers: usize, wait: Duration) -> Arc<Queue> {
    let queue = Queue::with_layout(Layout {
        drop_wait: wait,
        ..Layout::pool(buffers, 16, Policy::Drop)
    });
    queue.register_producer();
    queue
}

/// Takes every free buffer and submits it, so the only output holds the
/// whole pool.
fn fill_pool(queue: &Queue) {
    while let Some(mut buffer) = queue.take_free(|| true) {
        fill(&mut buffer, b"x\n");
        queue.submit(buffer);
    }
}

/// Releases `n` of output 0's buffers after `after`, on another thread.
fn release_later(queue: &Arc<Queue>, n: usize, after: Duration) -> std::thread::JoinHandle<()> {
    let queue = Arc::clone(queue);
    std::thread::spawn(move || {
        std::thread::sleep(after);
        let reader = queue.reader(0);
        for _ in 0..n {
            let filled = reader.next().unwrap();
            reader.release(filled);
        }
    })
}

#[test]
fn drop_waits_for_an_output_that_catches_up_within_the_wait() {
    let queue = waiting_drop_queue(2, Duration::from_secs(10));
    fill_pool(&queue);
    let dropped_filling = queue.dropped();
    let started = Instant::now();
    let consumer = release_later(&queue, 1, Duration::from_millis(30));
    assert!(
        queue.take_free(|| false).is_some(),
        "waited for the release"
    );
    assert!(started.elapsed() >= Duration::from_millis(30));
    assert_eq!(queue.dropped(), dropped_filling, "nothing more dropped");
    let (waits, waited_ms) = queue.waits();
    assert_eq!(waits, 1);
    assert!((30..10_000).contains(&waited_ms), "{waited_ms} ms");
    consumer.join().unwrap();
}

#[test]
fn drop_waits_once_an_overrun_then_drops_at_once_until_half_the_pool_is_free() {
    let wait = Duration::from_millis(300);
    let queue = waiting_drop_queue(4, wait);
    fill_pool(&queue);
    let dropped = queue.dropped();
    let started = Instant::now();
    assert!(queue.take_free(|| false).is_none(), "nobody released");
    assert!(started.elapsed() >= wait, "{:?}", started.elapsed());
    assert_eq!(queue.dropped(), dropped + 1);
    // The same overrun: dropped without another wait.
    let again = Instant::now();
    assert!(queue.take_free(|| false).is_none());
    assert!(again.elapsed() < wait, "{:?}", again.elapsed());
    assert_eq!(queue.dropped(), dropped + 2);
    assert_eq!(queue.waits().0, 1);
    // One buffer back: taken, but the pool is still short, so the overrun
    // goes on.
    release_later(&queue, 1, Duration::ZERO).join().unwrap();
    let mut one = queue.take_free(|| false).expect("the released buffer");
    fill(&mut one, b"y\n");
    queue.submit(one);
    let short = Instant::now();
    assert!(queue.take_free(|| false).is_none());
    assert!(short.elapsed() < wait, "{:?}", short.elapsed());
    assert_eq!(queue.waits().0, 1);
    // The output catches up: the next empty pool gets a wait again.
    release_later(&queue, 4, Duration::ZERO).join().unwrap();
    fill_pool(&queue);
    let consumer = release_later(&queue, 1, Duration::from_millis(20));
    assert!(queue.take_free(|| false).is_some());
    assert_eq!(queue.waits().0, 2);
    consumer.join().unwrap();
}

#[test]
fn a_wait_ends_when_the_process_stops() {
    let queue = waiting_drop_queue(1, Duration::from_secs(60));
    fill_pool(&queue);
    let dropped = queue.dropped();
    let started = Instant::now();
    let stop = Instant::now() + Duration::from_millis(20);
    assert!(queue.take_free(|| Instant::now() >= stop).is_none());
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(queue.dropped(), dropped + 1);
    // Given up, not run out: no overrun, so the next empty pool waits.
    let stop = Instant::now() + Duration::from_millis(20);
    assert!(queue.take_free(|| Instant::now() >= stop).is_none());
    assert_eq!(queue.waits().0, 2);
}

#[test]
fn the_drain_deadline_passes() {
    let queue = Queue::new(1, 16, Policy::Drop);
    assert!(!queue.drain_expired());
    queue.set_drain_deadline(Instant::now());
    assert!(queue.drain_expired());
}

#[test]
fn the_large_buffer_is_taken_once_shared_and_comes_back_empty() {
    let queue = Queue::with_layout(Layout {
        outputs: 2,
        large_size: 1 << 20,
        ..Layout::pool(2, 16, Policy::Drop)
    });
    let mut large = queue.take_large().unwrap();
    assert!(large.is_large() && large.capacity() == 1 << 20);
    let others: Vec<EventBuffer> = (1..LARGE_BUFFERS)
        .map(|_| queue.take_large().unwrap())
        .collect();
    assert!(queue.take_large().is_none(), "all out: never waits");
    for other in others {
        queue.give_back(other);
    }
    large.space()[..1 << 19].fill(b'x');
    large.advance(1 << 19);
    let index = large.index;
    queue.submit(large);
    for output in 0..2 {
        let reader = queue.reader(output);
        let filled = reader.next().unwrap();
        assert_eq!(filled.bytes().len(), 1 << 19);
        reader.release(filled);
    }
    let taken: Vec<EventBuffer> = (0..LARGE_BUFFERS)
        .map(|_| queue.take_large().unwrap())
        .collect();
    let again = taken.iter().find(|b| b.index == index).unwrap();
    assert!(again.is_empty());
    assert_eq!(again.bytes[0], b'x', "pages kept for the next large line");
    // Given back only once every large buffer is in the lane.
    assert!(!queue.release_large_pages(), "all out");
    let mut taken = taken.into_iter();
    let out = taken.next().unwrap();
    for buffer in taken {
        queue.give_back(buffer);
    }
    assert!(!queue.release_large_pages(), "one out");
    queue.give_back(out);
    assert!(queue.release_large_pages());
    let taken: Vec<EventBuffer> = (0..LARGE_BUFFERS)
        .map(|_| queue.take_large().unwrap())
        .collect();
    let again = taken.iter().find(|b| b.index == index).unwrap();
    assert!(again.bytes.iter().all(|&b| b == 0), "pages given back");
    assert!(Queue::new(1, 16, Policy::Drop).take_large().is_none());
    assert!(
        Queue::new(1, 16, Policy::Drop).release_large_pages(),
        "none"
    );
}

#[test]
fn a_stuck_output_does_not_keep_the_large_lane_from_the_others() {
    let queue = Queue::with_layout(Layout {
        outputs: 2,
        large_size: 4096,
        ..Layout::pool(8, 16, Policy::Drop)
    });
    let (fast, stuck) = (queue.reader(0), queue.reader(1));
    for i in 0..40 {
        // Large lines and small ones; only the first output writes.
        let mut buffer = if i % 2 == 0 {
            queue
                .take_large()
                .expect("the stuck output gave the lane up")
        } else {
            queue.take_free(|| true).unwrap()
        };
        fill(&mut buffer, b"x\n");
        queue.submit(buffer);
        let filled = fast.next().unwrap();
        fast.release(filled);
    }
    assert_eq!(queue.dropped(), 0);
    assert!(stuck.evicted_lines() > 0);
    assert_eq!(fast.evicted_lines(), 0);
    // With one output nothing is given up: the lane is simply out.
    let queue = Queue::with_layout(Layout {
        large_size: 4096,
        ..Layout::pool(8, 16, Policy::Drop)
    });
    for _ in 0..LARGE_BUFFERS {
        let mut buffer = queue.take_large().unwrap();
        fill(&mut buffer, b"x\n");
        queue.submit(buffer);
    }
    assert!(queue.take_large().is_none());
    assert_eq!(queue.reader(0).evicted_lines(), 0);
}

#[test]
fn an_output_added_reads_from_the_next_submit_and_one_removed_drains_and_finishes() {
    let queue = Queue::with_outputs(4, 16, Policy::Drop, 2, 0);
    let (first, second) = (queue.reader(0), queue.reader(1));
    // At start only the first reads (the second is a spare place).
    queue.set_readers(0b01);
    let mut a = queue.take_free(|| true).unwrap();
    fill(&mut a, b"a\n");
    queue.submit(a);
    assert_eq!((first.depth(), second.depth()), (1, 0));
    // Added: it gets what comes next, not what was submitted before.
    queue.set_readers(0b11);
    let mut b = queue.take_free(|| true).unwrap();
    fill(&mut b, b"b\n");
    queue.submit(b);
    assert_eq!((first.depth(), second.depth()), (2, 1));
    // Removed: retired, then off the readers; it drains what it holds.
    queue.set_retired(0, true);
    assert!(!first.is_done(), "still read until the submitter drops it");
    queue.set_readers(0b10);
    let mut c = queue.take_free(|| true).unwrap();
    fill(&mut c, b"c\n");
    queue.submit(c);
    assert_eq!((first.depth(), second.depth()), (2, 2));
    assert!(!first.is_done(), "its backlog is not drained yet");
    while let Some(filled) = first.next() {
        first.release(filled);
    }
    assert!(first.is_done());
    assert!(!second.is_done());
    let seen: Vec<Vec<u8>> = std::iter::from_fn(|| {
        second.next().map(|f| {
            let bytes = f.bytes().to_vec();
            second.release(f);
            bytes
        })
    })
    .collect();
    assert_eq!(seen, [b"b\n".to_vec(), b"c\n".to_vec()]);
    // Every buffer came back to the pool: none waits for the removed one.
    let all: Vec<_> = (0..4).map(|_| queue.take_free(|| true)).collect();
    assert!(all.iter().all(Option::is_some), "a buffer is still held");
}

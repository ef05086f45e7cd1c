//! Tests of the spool: order, wrap and loss counts across reopens, torn entries, moves, kills.

#![allow(clippy::unwrap_used)]

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::ring::{Handed, SpoolFile, ENTRY_HEAD, HEADER};
use super::*;
use crate::scratch_dir::ScratchDir;
use crate::side::LineSide;
use crate::stats::Stats;

/// The test's own directory and a spool path in it (the spool makes its
/// directory itself).
fn temp_path(name: &str) -> (ScratchDir, PathBuf) {
    let dir = ScratchDir::new(&format!("spool-{name}"));
    let path = dir.join("sub").join("spool");
    (dir, path)
}

/// A 1 MiB spool at the test's own path.
fn spool_spec(name: &str) -> (ScratchDir, SpoolSpec) {
    let (dir, path) = temp_path(name);
    let spec = SpoolSpec {
        path,
        max_bytes: 1 << 20,
    };
    (dir, spec)
}

fn entry(i: u32) -> Vec<u8> {
    format!("{{\"sequence\":{i}}}\n").into_bytes()
}

/// Every entry left that this run takes, handed out in order (and then
/// handed back).
fn contents(spool: &mut SpoolFile) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(handed) = spool.hand_out().unwrap() {
        if let Handed::Entry(e) = handed {
            out.push(e.to_vec());
        }
    }
    spool.rewind();
    out
}

#[test]
fn entries_come_back_in_order_after_a_reopen_and_leave_only_when_confirmed() {
    let (_dir, path) = temp_path("order");
    let mut spool = SpoolFile::open(&path, 1 << 20, 256).unwrap();
    for i in 0..10 {
        spool.append(&[&entry(i)], false).unwrap().unwrap();
    }
    assert_eq!(spool.entries(), 10);
    // Three handed out, two confirmed delivered.
    for _ in 0..3 {
        spool.hand_out().unwrap().unwrap();
    }
    spool.confirm(2).unwrap();
    drop(spool);
    let mut spool = SpoolFile::open(&path, 1 << 20, 256).unwrap();
    assert_eq!(spool.torn(), 0);
    let expected: Vec<_> = (2..10).map(entry).collect();
    assert_eq!(contents(&mut spool), expected);
    // Everything delivered: the file shrinks to its header.
    while spool.hand_out().unwrap().is_some() {}
    spool.confirm(u64::MAX).unwrap();
    assert_eq!(spool.entries(), 0);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), HEADER);
    drop(spool);
    let mut spool = SpoolFile::open(&path, 1 << 20, 256).unwrap();
    assert!(contents(&mut spool).is_empty());
}

#[test]
fn a_full_spool_drops_the_oldest_counts_them_and_wraps_across_reopens() {
    let (_dir, path) = temp_path("bounded");
    let size = (ENTRY_HEAD + entry(100).len()) as u64;
    // Room for ten entries of this size, not eleven.
    let max = HEADER + 10 * size + size / 2;
    let mut spool = SpoolFile::open(&path, max, 256).unwrap();
    let mut dropped = 0;
    for i in 100..125 {
        dropped += spool.append(&[&entry(i)], false).unwrap().unwrap().dropped;
    }
    assert_eq!(dropped, 15);
    assert_eq!(spool.entries(), 10);
    assert!(std::fs::metadata(&path).unwrap().len() <= max);
    let newest: Vec<_> = (115..125).map(entry).collect();
    assert_eq!(contents(&mut spool), newest);
    drop(spool);
    // The ring wrapped (entries straddle its end): a reopen finds the
    // same ten, in order.
    let mut spool = SpoolFile::open(&path, max, 256).unwrap();
    assert_eq!(contents(&mut spool), newest);
    // Larger than the whole spool: refused, nothing else lost.
    let huge = vec![b'x'; max as usize];
    assert!(spool.append(&[&huge], false).unwrap().is_err());
    assert_eq!(spool.entries(), 10);
}

#[test]
fn a_torn_last_entry_is_skipped_counted_and_overwritten() {
    for damage in ["cut short", "bytes changed"] {
        let (_dir, path) = temp_path(&format!("torn-{}", damage.len()));
        let mut spool = SpoolFile::open(&path, 1 << 20, 256).unwrap();
        for i in 0..3 {
            spool.append(&[&entry(i)], false).unwrap().unwrap();
        }
        drop(spool);
        let len = std::fs::metadata(&path).unwrap().len();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        match damage {
            // Killed in the middle of writing the last entry.
            "cut short" => file.set_len(len - 3).unwrap(),
            // Its payload not all written (a hole, or old bytes).
            _ => {
                use std::os::unix::fs::FileExt as _;
                file.write_all_at(b"XX", len - 4).unwrap();
            }
        }
        drop(file);
        let mut spool = SpoolFile::open(&path, 1 << 20, 256).unwrap();
        assert_eq!(spool.torn(), 1, "{damage}");
        assert_eq!(contents(&mut spool), vec![entry(0), entry(1)], "{damage}");
        drop(spool);
        // Counted once: a second start finds it gone.
        let mut spool = SpoolFile::open(&path, 1 << 20, 256).unwrap();
        assert_eq!(spool.torn(), 0, "{damage}");
        // The next entry takes the torn one's place.
        spool.append(&[&entry(9)], false).unwrap().unwrap();
        drop(spool);
        let mut spool = SpoolFile::open(&path, 1 << 20, 256).unwrap();
        assert_eq!(spool.torn(), 0);
        assert_eq!(
            contents(&mut spool),
            vec![entry(0), entry(1), entry(9)],
            "{damage}"
        );
    }
}

#[test]
fn garbage_is_not_a_spool_and_starts_empty() {
    let (_dir, path) = temp_path("garbage");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, vec![0xa5; 4096]).unwrap();
    let mut spool = SpoolFile::open(&path, 1 << 20, 256).unwrap();
    assert_eq!(spool.entries(), 0);
    assert!(contents(&mut spool).is_empty());
}

/// A receiver that is up or down; with `batching`, it holds lines until a
/// flush (as OTLP's batch), which fails while down. It refuses a line
/// starting with `BIG` as too large (EMSGSIZE, as `net::too_large`).
struct Receiver {
    up: Arc<AtomicBool>,
    got: Got,
    batching: bool,
    batch: Vec<Vec<u8>>,
}

impl Output for Receiver {
    fn name(&self) -> &str {
        "receiver"
    }

    fn write_line(&mut self, line: &[u8], _side: &LineSide<'_>) -> io::Result<Sent> {
        if line.starts_with(b"BIG") {
            return Err(crate::output::net::too_large());
        }
        if self.batching {
            self.batch.push(line.to_vec());
            return Ok(Sent::Whole);
        }
        if !self.up.load(Ordering::SeqCst) {
            return Err(io::ErrorKind::ConnectionRefused.into());
        }
        self.got.lock().unwrap().push(line.to_vec());
        Ok(Sent::Whole)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        if !self.up.load(Ordering::SeqCst) {
            return Err(io::ErrorKind::ConnectionRefused.into());
        }
        self.got.lock().unwrap().append(&mut self.batch);
        Ok(())
    }

    fn pending_lines(&self) -> u64 {
        self.batch.len() as u64
    }

    fn discard(&mut self) -> u64 {
        let n = self.batch.len() as u64;
        self.batch.clear();
        n
    }
}

/// What a [`Receiver`] got.
type Got = Arc<Mutex<Vec<Vec<u8>>>>;

fn receiver(batching: bool) -> (Receiver, Arc<AtomicBool>, Got) {
    let up = Arc::new(AtomicBool::new(true));
    let got = Arc::new(Mutex::new(Vec::new()));
    let r = Receiver {
        up: Arc::clone(&up),
        got: Arc::clone(&got),
        batching,
        batch: Vec::new(),
    };
    (r, up, got)
}

/// Waits out the retry interval, then drains everything.
fn drain_all(spooling: &mut Spooling, output: &mut dyn Output, c: &OutputCounters) {
    std::thread::sleep(RETRY + Duration::from_millis(50));
    for _ in 0..100 {
        spooling.drain(output, Duration::from_secs(1), Some(c));
        if !spooling.has_waiting() {
            break;
        }
    }
    spooling.flush(output, Some(c));
}

#[test]
fn while_the_receiver_is_down_lines_are_spooled_then_sent_in_order_before_new_ones() {
    for batching in [false, true] {
        let (_dir, spec) = spool_spec(&format!("policy-{batching}"));
        let path = spec.path.clone();
        let (mut output, up, got) = receiver(batching);
        let stats = Stats::new(&["receiver"]);
        let c = &stats.outputs[0];
        let mut spooling = Spooling::open("receiver", &spec, 256).unwrap();
        for i in 0..5 {
            spooling.offer(&mut output, &entry(i), &[], 0, Some(c));
        }
        spooling.flush(&mut output, Some(c));
        up.store(false, Ordering::SeqCst);
        for i in 5..10 {
            spooling.offer(&mut output, &entry(i), &[], 0, Some(c));
        }
        spooling.flush(&mut output, Some(c));
        assert_eq!(got.lock().unwrap().len(), 5, "batching {batching}");
        assert_eq!(c.spool_events.get(), 5);
        assert_eq!(c.spooled.get(), 5);
        assert!(c.spool_bytes.get() > 0);
        // Back: the spooled five go before anything newer.
        up.store(true, Ordering::SeqCst);
        spooling.offer(&mut output, &entry(10), &[], 0, Some(c));
        drain_all(&mut spooling, &mut output, c);
        let expected: Vec<_> = (0..11).map(entry).collect();
        assert_eq!(*got.lock().unwrap(), expected, "batching {batching}");
        assert_eq!(c.sent.get(), 11);
        assert_eq!((c.spool_events.get(), c.spool_bytes.get()), (0, 0));
        assert_eq!(c.spool_dropped.get(), 0);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), HEADER);
    }
}

#[test]
fn what_a_failed_batch_held_is_sent_again_and_survives_a_restart() {
    let (_dir, spec) = spool_spec("restart");
    let (mut output, up, got) = receiver(true);
    let stats = Stats::new(&["receiver"]);
    let c = &stats.outputs[0];
    let mut spooling = Spooling::open("receiver", &spec, 256).unwrap();
    for i in 0..4 {
        spooling.offer(&mut output, &entry(i), &[], 0, Some(c));
    }
    // The batch's send fails: its four lines stay in the spool.
    up.store(false, Ordering::SeqCst);
    spooling.flush(&mut output, Some(c));
    assert_eq!((c.spooled.get(), c.spool_events.get()), (4, 4));
    spooling.offer(&mut output, &entry(4), &[], 0, Some(c));
    drop(spooling);
    // raudit restarts with the receiver back: the spool goes first.
    up.store(true, Ordering::SeqCst);
    let stats = Stats::new(&["receiver"]);
    let c = &stats.outputs[0];
    let mut spooling = Spooling::open("receiver", &spec, 256).unwrap();
    spooling.offer(&mut output, &entry(5), &[], 0, Some(c));
    drain_all(&mut spooling, &mut output, c);
    let expected: Vec<_> = (0..6).map(entry).collect();
    assert_eq!(*got.lock().unwrap(), expected);
    assert!(got.lock().unwrap().len() == 6, "each once");
}

#[test]
fn a_full_spool_while_down_keeps_the_newest_and_counts_the_rest() {
    let (_dir, path) = temp_path("policy-full");
    let spec = SpoolSpec {
        path,
        max_bytes: HEADER + 10 * (ENTRY_HEAD + 8 + entry(100).len()) as u64,
    };
    let (mut output, up, got) = receiver(false);
    let stats = Stats::new(&["receiver"]);
    let c = &stats.outputs[0];
    let mut spooling = Spooling::open("receiver", &spec, 256).unwrap();
    up.store(false, Ordering::SeqCst);
    for i in 100..130 {
        spooling.offer(&mut output, &entry(i), &[], 0, Some(c));
    }
    assert_eq!(c.spool_dropped.get(), 20);
    assert_eq!(c.spool_events.get(), 10);
    up.store(true, Ordering::SeqCst);
    drain_all(&mut spooling, &mut output, c);
    let newest: Vec<_> = (120..130).map(entry).collect();
    assert_eq!(*got.lock().unwrap(), newest);
}

#[test]
fn side_records_travel_with_the_line() {
    let (_dir, spec) = spool_spec("side");
    // A side region with a cut version for the line at offset 40.
    let cut = b"{\"cut\":true}\n";
    let mut region = vec![0u8; 64];
    let n = crate::side::cut_space(&mut region).unwrap()[..cut.len()].len();
    region[crate::side::RECORD_HEADER..crate::side::RECORD_HEADER + n].copy_from_slice(cut);
    let used = crate::side::finish_cut(&mut region, 40, n).unwrap();
    let records = crate::side::SideReader::new(&region[..used]).records(40);
    assert_eq!(records.len(), used);
    struct Cuts(Arc<Mutex<Vec<Option<Vec<u8>>>>>, bool);
    impl Output for Cuts {
        fn name(&self) -> &str {
            "cuts"
        }
        fn write_line(&mut self, _line: &[u8], side: &LineSide<'_>) -> io::Result<Sent> {
            if !self.1 {
                return Err(io::ErrorKind::ConnectionRefused.into());
            }
            self.0.lock().unwrap().push(side.cut.map(<[u8]>::to_vec));
            Ok(Sent::Cut)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut down = Cuts(Arc::clone(&seen), false);
    let stats = Stats::new(&["cuts"]);
    let c = &stats.outputs[0];
    let mut spooling = Spooling::open("cuts", &spec, 256).unwrap();
    spooling.offer(&mut down, &entry(1), records, 40, Some(c));
    let mut up = Cuts(Arc::clone(&seen), true);
    std::thread::sleep(RETRY + Duration::from_millis(50));
    spooling.drain(&mut up, Duration::from_secs(1), Some(c));
    assert_eq!(*seen.lock().unwrap(), vec![Some(cut.to_vec())]);
    assert_eq!((c.sent.get(), c.cut.get()), (1, 1));
}

#[test]
fn a_reload_moving_the_spool_sends_the_old_ones_entries_first_each_once_in_order() {
    use crate::output::Sink;
    let ((_dir_a, a), (_dir_b, b)) = (temp_path("move-a"), temp_path("move-b"));
    let spec = |path: &PathBuf| SpoolSpec {
        path: path.clone(),
        max_bytes: 1 << 20,
    };
    // B holds two events a previous run left; A is the running spool.
    let mut left = SpoolFile::open(&b, 1 << 20, 256).unwrap();
    for i in 0..2 {
        let line = entry(i);
        let prefix = [0u8; ENTRY_PREFIX];
        left.append(&[&prefix, &line], false).unwrap().unwrap();
    }
    drop(left);
    let (output, up, got) = receiver(false);
    let stats = Stats::new(&["receiver"]);
    let c = &stats.outputs[0];
    let spool_a = Spooling::open("receiver", &spec(&a), 256).unwrap();
    let mut sink = Sink::new(Box::new(output), 3, Duration::ZERO, 0).with_spool(spool_a);
    let none = LineSide::default();
    up.store(false, Ordering::SeqCst);
    for i in 2..6 {
        sink.write(&entry(i), &none, &stats);
    }
    sink.flush(&stats);
    assert_eq!(c.spool_events.get(), 4, "kept in A while down");
    // The reload, the receiver still down: a new output, spool B.
    let (output, up_again, got_again) = receiver(false);
    up_again.store(false, Ordering::SeqCst);
    let spool_b = Spooling::open("receiver", &spec(&b), 256).unwrap();
    sink.replace(
        Box::new(output),
        3,
        SpoolChange::Open(Box::new(spool_b)),
        &stats,
    );
    assert_eq!(c.spool_events.get(), 6, "B's two and A's four");
    assert_eq!(
        std::fs::metadata(&a).unwrap().len(),
        HEADER,
        "A emptied: nothing in two places"
    );
    for i in 6..8 {
        sink.write(&entry(i), &none, &stats);
    }
    // The receiver is back.
    up_again.store(true, Ordering::SeqCst);
    std::thread::sleep(RETRY + Duration::from_millis(50));
    for _ in 0..100 {
        sink.flush(&stats);
        if c.spool_events.get() == 0 {
            break;
        }
    }
    let expected: Vec<_> = (0..8).map(entry).collect();
    assert_eq!(*got_again.lock().unwrap(), expected, "each once, in order");
    assert!(got.lock().unwrap().is_empty(), "the old output got none");
    assert_eq!(c.spool_dropped.get(), 0);
    assert_eq!(c.spooled.get(), 6, "A's four and the two after, once each");
    drop(up);
    // Removing the spool leaves what it holds in its file, counted.
    up_again.store(false, Ordering::SeqCst);
    sink.write(&entry(8), &none, &stats);
    let (output, _, _) = receiver(false);
    sink.replace(Box::new(output), 1, SpoolChange::Remove, &stats);
    assert_eq!(c.spool_dropped.get(), 1, "counted");
    let mut kept = SpoolFile::open(&b, 1 << 20, 256).unwrap();
    assert_eq!(contents(&mut kept).len(), 1, "and kept in B");
}

#[test]
fn what_the_spool_took_is_forced_to_disk_once_it_waited_sync_every() {
    let (_dir, spec) = spool_spec("sync");
    let (mut output, up, _got) = receiver(false);
    let stats = Stats::new(&["receiver"]);
    let c = &stats.outputs[0];
    let mut spooling = Spooling::open("receiver", &spec, 256).unwrap();
    // Sent straight through: nothing written to the spool, nothing to sync.
    spooling.offer(&mut output, &entry(0), &[], 0, Some(c));
    assert!(!spooling.unsynced());
    up.store(false, Ordering::SeqCst);
    spooling.offer(&mut output, &entry(1), &[], 0, Some(c));
    assert!(spooling.unsynced());
    let taken = Instant::now();
    spooling.sync_if_due(taken);
    assert!(spooling.unsynced(), "synced before SYNC_EVERY");
    spooling.sync_if_due(taken + SYNC_EVERY);
    assert!(!spooling.unsynced());
    // The output thread's drain syncs once the interval has passed.
    spooling.offer(&mut output, &entry(2), &[], 0, Some(c));
    spooling.drain(&mut output, Duration::from_millis(1), Some(c));
    assert!(spooling.unsynced(), "synced at once");
    std::thread::sleep(SYNC_EVERY);
    spooling.drain(&mut output, Duration::from_millis(1), Some(c));
    assert!(!spooling.unsynced());
    assert_eq!(c.spool_events.get(), 2);
}

#[test]
fn an_unreadable_old_spool_at_a_move_counts_each_lost_entry_once() {
    let ((_dir_a, a), (_dir_b, b)) = (
        temp_path("move-unreadable-a"),
        temp_path("move-unreadable-b"),
    );
    let stats = Stats::new(&["receiver"]);
    let c = &stats.outputs[0];
    let spec_a = SpoolSpec {
        path: a.clone(),
        max_bytes: 1 << 20,
    };
    let mut old = Spooling::open("receiver", &spec_a, 256).unwrap();
    for i in 0..3 {
        old.keep_undelivered(&entry(i), &[], 0, None);
    }
    // Entry 1 cut short, entry 2 gone.
    let size = (ENTRY_HEAD + ENTRY_PREFIX + entry(0).len()) as u64;
    let file = std::fs::OpenOptions::new().write(true).open(&a).unwrap();
    file.set_len(HEADER + size + 4).unwrap();
    drop(file);
    let spec_b = SpoolSpec {
        path: b,
        max_bytes: 1 << 20,
    };
    let mut new = Spooling::open("receiver", &spec_b, 256).unwrap();
    new.take_over(old, Some(c));
    assert_eq!(c.spool_events.get(), 1, "entry 0 moved");
    assert_eq!(
        c.spool_dropped.get(),
        2,
        "entries 1 and 2 lost, each counted once"
    );
}

/// A header whose checksum holds, with the ring's capacity, head and id
/// given.
fn forged_header(capacity: u64, head: u64, head_id: u64) -> [u8; HEADER as usize] {
    let mut h = [0u8; HEADER as usize];
    h[..8].copy_from_slice(b"rauditS1");
    h[8..16].copy_from_slice(&capacity.to_le_bytes());
    h[16..24].copy_from_slice(&head.to_le_bytes());
    h[24..32].copy_from_slice(&head_id.to_le_bytes());
    let crc = crc32fast::hash(&h[..32]);
    h[32..36].copy_from_slice(&crc.to_le_bytes());
    h
}

#[test]
fn a_header_with_a_huge_capacity_or_id_is_refused_without_a_panic() {
    let forged = [
        ("capacity", forged_header(u64::MAX, u64::MAX - 1, 0)),
        ("id", forged_header(1 << 20, 0, u64::MAX)),
    ];
    for (what, h) in forged {
        let (_dir, path) = temp_path(&format!("huge-{what}"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut file = h.to_vec();
        if what == "id" {
            // A valid entry with the id u64::MAX, so the walk would
            // count past it.
            let line = entry(0);
            let mut crc = crc32fast::Hasher::new();
            crc.update(&u64::MAX.to_le_bytes());
            crc.update(&(line.len() as u32).to_le_bytes());
            crc.update(&line);
            file.extend_from_slice(&(line.len() as u32).to_le_bytes());
            file.extend_from_slice(&u64::MAX.to_le_bytes());
            file.extend_from_slice(&crc.finalize().to_le_bytes());
            file.extend_from_slice(&line);
        }
        std::fs::write(&path, file).unwrap();
        let opened =
            std::panic::catch_unwind(|| SpoolFile::open(&path, 1 << 20, 256).map(|s| s.entries()));
        assert!(
            opened.is_ok(),
            "panicked opening a spool file with a hostile header ({what})"
        );
        // Started afresh, and usable.
        let mut spool = SpoolFile::open(&path, 1 << 20, 256).unwrap();
        assert_eq!(spool.entries(), 0, "{what}");
        spool.append(&[&entry(1)], false).unwrap().unwrap();
        assert_eq!(contents(&mut spool), vec![entry(1)], "{what}");
    }
}

#[test]
fn a_kill_while_an_append_pushes_the_oldest_out_keeps_the_others() {
    use std::os::unix::fs::FileExt as _;
    let size = (ENTRY_HEAD + entry(100).len()) as u64;
    let max = HEADER + 10 * size;
    // The append of entry 110 writes the header (101 the oldest, 110
    // being written) before any byte of 110, which goes where 100 was
    // (the ring's start): killed once `written` of its bytes were.
    for written in [
        0,
        4,
        ENTRY_HEAD as u64,
        ENTRY_HEAD as u64 + 5,
        size - 4,
        size,
    ] {
        let (_dir, path) = temp_path(&format!("drop-kill-{written}"));
        let mut spool = SpoolFile::open(&path, max, 256).unwrap();
        for i in 100..110 {
            spool.append(&[&entry(i)], false).unwrap().unwrap();
        }
        let mut before = vec![0u8; size as usize];
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        file.read_exact_at(&mut before, HEADER).unwrap();
        let appended = spool.append(&[&entry(110)], false).unwrap().unwrap();
        assert_eq!(appended.dropped, 1);
        drop(spool);
        file.write_all_at(&before[written as usize..], HEADER + written)
            .unwrap();
        drop(file);
        let torn = u64::from(written < size);
        for start in ["first", "second"] {
            let mut spool = SpoolFile::open(&path, max, 256).unwrap();
            let found = contents(&mut spool);
            let kept: Vec<_> = (101..110).map(entry).collect();
            assert!(
                found.len() >= 9 && found[..9] == kept[..],
                "101..=109 were never pushed out, yet found {} entries (torn {})",
                found.len(),
                spool.torn()
            );
            assert_eq!(found.len(), 9 + 1 - torn as usize, "{written}");
            let counted = if start == "first" { torn } else { 0 };
            assert_eq!(spool.torn(), counted, "{written} bytes, {start} start");
        }
    }
}

#[test]
fn an_entry_whose_head_wraps_torn_by_a_kill_is_counted_once() {
    use std::os::unix::fs::FileExt as _;
    let (_dir, path) = temp_path("torn-wrapped-head");
    let s = (ENTRY_HEAD + entry(0).len()) as u64;
    let max = HEADER + 3 * s + 8;
    let mut spool = SpoolFile::open(&path, max, 256).unwrap();
    for i in 0..3 {
        spool.append(&[&entry(i)], false).unwrap().unwrap();
    }
    spool.hand_out().unwrap().unwrap();
    spool.confirm(1).unwrap();
    let mut start = vec![0u8; s as usize];
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    file.read_exact_at(&mut start, HEADER).unwrap();
    // Entry 3's head straddles the ring's end: killed after its first
    // half (at the end), before the rest (at the start).
    let appended = spool.append(&[&entry(3)], false).unwrap().unwrap();
    assert_eq!(appended.dropped, 0);
    drop(spool);
    file.write_all_at(&start, HEADER).unwrap();
    drop(file);
    let mut spool = SpoolFile::open(&path, max, 256).unwrap();
    assert_eq!(contents(&mut spool), vec![entry(1), entry(2)]);
    assert_eq!(spool.torn(), 1, "entry 3, torn by the kill, is not counted");
    drop(spool);
    let mut spool = SpoolFile::open(&path, max, 256).unwrap();
    assert_eq!(contents(&mut spool), vec![entry(1), entry(2)]);
    assert_eq!(spool.torn(), 0, "counted again at a second start");
}

#[test]
fn a_refused_entry_does_not_make_an_undelivered_batched_one_leave_the_spool() {
    let (_dir, spec) = spool_spec("refused-shift");
    let up = Arc::new(AtomicBool::new(false));
    let got: Got = Arc::new(Mutex::new(Vec::new()));
    let mut output = Receiver {
        up: Arc::clone(&up),
        got: Arc::clone(&got),
        batching: true,
        batch: Vec::new(),
    };
    let stats = Stats::new(&["picky"]);
    let c = &stats.outputs[0];
    let mut spooling = Spooling::open("picky", &spec, 256).unwrap();
    spooling.offer(&mut output, &entry(0), &[], 0, Some(c));
    spooling.flush(&mut output, Some(c));
    spooling.offer(&mut output, b"BIG\n", &[], 0, Some(c));
    assert_eq!(c.spool_events.get(), 2);
    std::thread::sleep(RETRY + Duration::from_millis(50));
    spooling.drain(&mut output, Duration::from_secs(1), Some(c));
    assert_eq!(c.spool_events.get(), 2, "A left the spool undelivered");
    assert_eq!(c.errors.get(), 0, "B counted before it left");
    up.store(true, Ordering::SeqCst);
    drain_all(&mut spooling, &mut output, c);
    assert_eq!(*got.lock().unwrap(), vec![entry(0)], "A lost");
    // B, which no transport takes, left the spool counted once.
    assert_eq!((c.sent.get(), c.errors.get()), (1, 1));
    assert_eq!(c.spool_events.get(), 0);
    assert_eq!(c.spool_dropped.get(), 0);
}

#[test]
fn a_restart_with_a_smaller_max_entry_loses_no_entry_uncounted() {
    let (_dir, path) = temp_path("smaller-max-entry");
    let mut spool = SpoolFile::open(&path, 1 << 20, 4096).unwrap();
    let large = vec![b'y'; 1000];
    spool.append(&[&entry(0)], false).unwrap().unwrap();
    spool.append(&[&large], false).unwrap().unwrap();
    spool.append(&[&entry(2)], false).unwrap().unwrap();
    spool.append(&[&entry(3)], false).unwrap().unwrap();
    drop(spool);
    let mut spool = SpoolFile::open(&path, 1 << 20, 256).unwrap();
    let found = contents(&mut spool);
    assert_eq!(
        found.len() as u64 + spool.torn(),
        4,
        "found {:?} entries, torn {}: entries 2 and 3 are neither sent nor counted",
        found.len(),
        spool.torn()
    );
    assert_eq!(found, vec![entry(0), entry(2), entry(3)], "in order");
    assert_eq!(
        (spool.torn(), spool.oversized()),
        (1, 1),
        "the large one, once"
    );
    // It leaves with the others once they are confirmed.
    while spool.hand_out().unwrap().is_some() {}
    spool.confirm(u64::MAX).unwrap();
    assert_eq!(spool.entries(), 0);
    // An oversized entry damaged since is torn, not skipped whole.
    let mut spool = SpoolFile::open(&path, 1 << 20, 4096).unwrap();
    spool.append(&[&entry(4)], false).unwrap().unwrap();
    spool.append(&[&large], false).unwrap().unwrap();
    spool.append(&[&entry(6)], false).unwrap().unwrap();
    drop(spool);
    {
        use std::os::unix::fs::FileExt as _;
        let at = HEADER + (ENTRY_HEAD + entry(4).len() + ENTRY_HEAD + 500) as u64;
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.write_all_at(b"z", at).unwrap();
    }
    let mut spool = SpoolFile::open(&path, 1 << 20, 256).unwrap();
    assert_eq!(contents(&mut spool), vec![entry(4)]);
    assert_eq!((spool.torn(), spool.oversized()), (1, 0));
}

#[test]
fn a_spooled_event_larger_than_this_run_takes_is_skipped_and_the_rest_sent() {
    let (_dir, spec) = spool_spec("oversized-sent");
    // Larger than a run with lines of 256 bytes takes (facts room
    // included).
    let mut left = SpoolFile::open(&spec.path, spec.max_bytes, 1 << 18).unwrap();
    let prefix = [0u8; ENTRY_PREFIX];
    let mut large = vec![b'y'; 1 << 17];
    large.push(b'\n');
    for line in [entry(0), large, entry(2)] {
        left.append(&[&prefix, &line], false).unwrap().unwrap();
    }
    drop(left);
    let (mut output, _up, got) = receiver(true);
    let stats = Stats::new(&["receiver"]);
    let c = &stats.outputs[0];
    let mut spooling = Spooling::open("receiver", &spec, 256).unwrap();
    spooling.offer(&mut output, &entry(3), &[], 0, Some(c));
    drain_all(&mut spooling, &mut output, c);
    let expected: Vec<_> = [0, 2, 3].into_iter().map(entry).collect();
    let got = got.lock().unwrap();
    assert!(*got == expected, "got {} lines", got.len());
    assert_eq!(c.spool_torn.get(), 1, "the large one, counted once");
    assert_eq!(
        (c.sent.get(), c.errors.get(), c.spool_dropped.get()),
        (3, 0, 0)
    );
    assert_eq!(c.spool_events.get(), 0);
}

/// A gathered stream (as syslog/GELF over TCP): holds lines until a
/// flush, which writes at most `budget` whole messages before failing.
struct Gather {
    got: Got,
    held: Vec<Vec<u8>>,
    budget: usize,
}

impl Output for Gather {
    fn name(&self) -> &str {
        "gather"
    }
    fn write_line(&mut self, line: &[u8], _side: &LineSide<'_>) -> io::Result<Sent> {
        self.held.push(line.to_vec());
        Ok(Sent::Whole)
    }
    fn flush(&mut self) -> io::Result<()> {
        let n = self.held.len().min(self.budget);
        self.budget -= n;
        let sent: Vec<_> = self.held.drain(..n).collect();
        self.got.lock().unwrap().extend(sent);
        if self.held.is_empty() {
            Ok(())
        } else {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }
    fn pending_lines(&self) -> u64 {
        self.held.len() as u64
    }
    fn discard(&mut self) -> u64 {
        let n = self.held.len() as u64;
        self.held.clear();
        n
    }
}

#[test]
fn an_event_the_spool_cannot_keep_does_not_make_a_delivered_one_go_twice() {
    let size = (ENTRY_HEAD + ENTRY_PREFIX + entry(0).len()) as u64;
    for budget in [2, 3] {
        let (_dir, path) = temp_path(&format!("keep-fails-{budget}"));
        let spec = SpoolSpec {
            path,
            max_bytes: HEADER + 4 * size,
        };
        let got: Got = Arc::new(Mutex::new(Vec::new()));
        let mut output = Gather {
            got: Arc::clone(&got),
            held: Vec::new(),
            budget,
        };
        let stats = Stats::new(&["gather"]);
        let c = &stats.outputs[0];
        let mut spooling = Spooling::open("gather", &spec, 4096).unwrap();
        spooling.offer(&mut output, &entry(0), &[], 0, Some(c));
        spooling.offer(&mut output, &entry(1), &[], 0, Some(c));
        // Larger than the spool: the output holds it, the spool cannot.
        let mut big = vec![b'x'; 5 * size as usize];
        big.push(b'\n');
        spooling.offer(&mut output, &big, &[], 0, Some(c));
        spooling.flush(&mut output, Some(c));
        output.budget = usize::MAX;
        drain_all(&mut spooling, &mut output, c);
        let got = got.lock().unwrap();
        if budget == 2 {
            // The connection broke before `big`: lost, counted once.
            assert_eq!(*got, vec![entry(0), entry(1)], "each once");
            assert_eq!((c.sent.get(), c.spool_dropped.get()), (2, 1));
        } else {
            assert_eq!(got.len(), 3, "each once");
            assert_eq!((c.sent.get(), c.spool_dropped.get()), (3, 0));
        }
        assert_eq!(c.spool_events.get(), 0);
    }
}

//! The file output on a full disk: a small tmpfs (mounted here, as root)
//! is filled to ENOSPC while events keep coming, then freed. Every line of
//! the file must be one whole JSON document (a write cut short by ENOSPC
//! is truncated back, never joined by the next), the events written after
//! the space came back must all be there, and every event not written must
//! be counted. Skips, saying so, when tmpfs cannot be mounted (not root).

#[macro_use]
mod support;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use raudit::output::{self, FileOutput, FileSpec, Output, Rotation, Sink};
use raudit::queue::{Policy, Queue};
use raudit::stats::Stats;

use support::scratch_dir::ScratchDir;
use support::{file_output, writer_thread};

/// A tmpfs mounted for the test, unmounted when dropped (and then its
/// directory removed, by its guard).
struct Tmpfs(ScratchDir);

impl Tmpfs {
    fn mount(name: &str, options: &str) -> Option<Tmpfs> {
        let dir = ScratchDir::new(name);
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(&dir)
            .status()
            .ok()?;
        status.success().then_some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: a writer thread that panicked may still hold a file open.
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// An event line of about 300 bytes with `sequence`.
fn line(sequence: u64) -> Vec<u8> {
    format!(
        "{{\"sequence\":{sequence},\"timestamp\":\"1700000000.000\",\"messages\":[{{\"type\":1300,\"data\":\"{}\"}}],\"uid_map\":{{}}}}\n",
        "x".repeat(220)
    )
    .into_bytes()
}

/// Submits events `from..to`, five per buffer.
fn submit(queue: &Queue, from: u64, to: u64) {
    let mut sequence = from;
    while sequence < to {
        let mut buffer = queue.take_free(|| true).expect("a free buffer");
        for _ in 0..5 {
            if sequence >= to {
                break;
            }
            let text = line(sequence);
            buffer.space()[..text.len()].copy_from_slice(&text);
            buffer.advance(text.len());
            sequence += 1;
        }
        queue.submit(buffer);
        queue.wake();
    }
}

fn wait_handled(stats: &Stats, events: u64) {
    let started = Instant::now();
    let c = &stats.outputs[0];
    while c.sent.get() + c.errors.get() < events {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the file output stalled: {}",
            stats.line("stall")
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Fills the file system of `dir` with a file until ENOSPC.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut filler = std::fs::File::create(&path).unwrap();
    let chunk = vec![b'f'; 4096];
    loop {
        match filler.write(&chunk) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
            Err(e) => panic!("filling: {e}"),
        }
    }
    path
}

#[test]
fn a_full_disk_leaves_only_whole_lines_and_writing_resumes_when_space_is_back() {
    let Some(tmpfs) = Tmpfs::mount("enospc", "size=256k") else {
        skip!("skipped: cannot mount a tmpfs (needs root)");
        return;
    };
    let path = tmpfs.0.join("audit.log");
    let queue = Queue::new(64, 4096, Policy::Drop);
    let stats = Arc::new(Stats::new(&["file"]));
    let file = file_output(&path, output::batch::DEFAULT_BATCH);
    let sink = Sink::new(Box::new(file), 2, Duration::from_millis(10), 0);
    let writer = writer_thread(&queue, vec![sink], &stats);

    // Some lines while there is room: the file's last page is part used.
    submit(&queue, 1, 11);
    wait_handled(&stats, 10);
    assert_eq!(stats.outputs[0].sent.get(), 10);
    // The disk fills up; events keep coming: the last page takes a few
    // lines and then a write stops part-way through one.
    let filler = fill(&tmpfs.0);
    submit(&queue, 11, 61);
    wait_handled(&stats, 60);
    // Lines accepted into the output's batch are written (or given up)
    // when it flushes, a few milliseconds later.
    let started = Instant::now();
    while stats.outputs[0].errors.get() == 0 && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let during = stats.outputs[0].errors.get();
    assert!(during > 0, "no write failed while the disk was full");
    // Space comes back: writing resumes by itself.
    std::fs::remove_file(filler).unwrap();
    submit(&queue, 61, 101);
    wait_handled(&stats, 100);
    queue.close();
    writer.join().unwrap();

    let text = std::fs::read(&path).unwrap();
    assert_eq!(text.last(), Some(&b'\n'), "the file ends with a whole line");
    let mut sequences = BTreeSet::new();
    let mut loss_reported = 0;
    for (i, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        let event: serde_json::Value = serde_json::from_slice(line).unwrap_or_else(|e| {
            panic!(
                "line {} is not one whole JSON document ({e}): {:?}",
                i + 1,
                String::from_utf8_lossy(line)
            )
        });
        let sequence = event["sequence"].as_u64().unwrap();
        if sequence == 0 {
            // The loss record, at the end.
            assert_eq!(event["raudit"]["report"], "loss");
            loss_reported = event["raudit"]["output_drops_total"].as_u64().unwrap();
            continue;
        }
        assert!(sequences.insert(sequence), "a line written twice");
    }
    for sequence in (1..11).chain(61..101) {
        assert!(sequences.contains(&sequence), "event {sequence} is missing");
    }
    // Every event is in the file or counted as an error, and the stream
    // itself says how many it lost.
    let c = &stats.outputs[0];
    assert_eq!(sequences.len() as u64 + c.errors.get(), 100);
    // (The loss record is not an event: not counted as sent.)
    assert_eq!(c.sent.get(), sequences.len() as u64);
    assert_eq!(loss_reported, c.errors.get());
    eprintln!(
        "{} of 50 events written while the disk was full; {} counted as errors",
        50 - c.errors.get(),
        c.errors.get()
    );
}

/// Every file named `PATH` or `PATH.n` in `dir`, read.
fn rotated_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("audit.log"))
        })
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_rotation_that_cannot_create_the_new_file_deletes_no_rotated_file() {
    // No inode left (a file system full of small files): a rename works,
    // creating a file does not. Each rotation tried then must leave the
    // rotated files as they are, not shift them on (deleting the oldest
    // past `keep`) with no new file to show for it.
    let Some(tmpfs) = Tmpfs::mount("no-inodes", "size=1m,nr_inodes=64") else {
        skip!("skipped: cannot mount a tmpfs (needs root)");
        return;
    };
    let dir = tmpfs.0.to_path_buf();
    let path = dir.join("audit.log");
    let keep = 4;
    std::fs::write(dir.join("audit.log.1"), b"{\"old\":1}\n").unwrap();
    std::fs::write(dir.join("audit.log.2"), b"{\"old\":2}\n").unwrap();
    let mut out = FileOutput::open(
        FileSpec {
            path: path.clone(),
            mode: 0o600,
            uid: None,
            gid: None,
            rotation: Some(Rotation {
                max_bytes: 4096,
                keep,
            }),
        },
        1024,
    )
    .unwrap();
    // Every inode taken.
    let mut fillers = 0;
    while std::fs::File::create(dir.join(format!("filler{fillers}"))).is_ok() {
        fillers += 1;
        assert!(fillers < 1000, "nr_inodes is not honoured");
    }
    // Enough lines for a rotation every 4096 bytes, keep + 2 times.
    let lines = 4096 * (u64::from(keep) + 2) / 300;
    for sequence in 1..=lines {
        out.write_line(&line(sequence), &raudit::side::LineSide::default())
            .unwrap();
    }
    out.flush().unwrap();
    let files = rotated_files(&dir);
    let all: Vec<u8> = files.iter().flat_map(|(_, text)| text.clone()).collect();
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    for old in [&b"{\"old\":1}\n"[..], b"{\"old\":2}\n"] {
        assert!(
            all.windows(old.len()).any(|w| w == old),
            "a rotated file was deleted ({} left: {names:?})",
            String::from_utf8_lossy(old).trim()
        );
    }
    // No event lost either.
    for sequence in 1..=lines {
        let needle = format!("\"sequence\":{sequence},");
        assert!(
            all.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "event {sequence} is missing"
        );
    }
}

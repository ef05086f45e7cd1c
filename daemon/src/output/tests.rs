use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::sync::Mutex;

use super::batch::LineBatch;
use super::*;
use crate::queue::Policy;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("raudit-output-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn spec(path: std::path::PathBuf) -> FileSpec {
    FileSpec {
        path,
        mode: 0o640,
        uid: Some(0),
        gid: Some(0),
    }
}

#[test]
fn file_is_created_with_mode_and_appended_to() {
    let dir = temp_dir("mode");
    let path = dir.join("audit.log");
    std::fs::write(&path, b"old\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let mut out = FileOutput::open(spec(path.clone()), 64).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
    out.write_line(b"{\"a\":1}\n").unwrap();
    out.write_line(&[b'x'; 100]).unwrap(); // larger than the batch
    out.flush().unwrap();
    let text = std::fs::read(&path).unwrap();
    assert!(text.starts_with(b"old\n{\"a\":1}\nxxx"));
    assert_eq!(text.len(), 4 + 8 + 100);
}

#[test]
fn reopen_after_rename_loses_and_repeats_nothing() {
    let dir = temp_dir("rotate");
    let path = dir.join("audit.log");
    let rotated = dir.join("audit.log.1");
    let mut out = FileOutput::open(spec(path.clone()), 1024).unwrap();
    out.write_line(b"one\n").unwrap();
    std::fs::rename(&path, &rotated).unwrap();
    out.write_line(b"two\n").unwrap();
    out.reopen().unwrap();
    out.write_line(b"three\n").unwrap();
    out.flush().unwrap();
    assert_eq!(std::fs::read(&rotated).unwrap(), b"one\ntwo\n");
    assert_eq!(std::fs::read(&path).unwrap(), b"three\n");
}

/// Fails the first `failures` calls, then records lines.
struct Flaky {
    failures: u32,
    lines: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Output for Flaky {
    fn name(&self) -> &str {
        "flaky"
    }

    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        if self.failures > 0 {
            self.failures -= 1;
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        self.lines.lock().unwrap().push(line.to_vec());
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn failing_output_is_retried_then_counted_and_never_stops_the_writer() {
    let stats = Stats::new(&["flaky"]);
    let lines = Arc::new(Mutex::new(Vec::new()));
    let flaky = Flaky {
        failures: 4,
        lines: Arc::clone(&lines),
    };
    let mut sink = Sink::new(Box::new(flaky), 3, Duration::ZERO, 0);
    sink.write(b"first\n", &stats); // fails 3 times: dropped
    sink.write(b"second\n", &stats); // fails once, then written
    assert_eq!(*lines.lock().unwrap(), vec![b"second\n".to_vec()]);
    assert_eq!(stats.outputs[0].errors.get(), 1);
    assert_eq!(stats.outputs[0].retries.get(), 3);
    assert_eq!(stats.outputs[0].events.get(), 1);
}

#[test]
fn writer_drains_the_queue_and_reports_drops_in_the_stream() {
    let queue = Queue::new(2, 64, Policy::Drop);
    let stats = Arc::new(Stats::new(&["flaky"]));
    let lines = Arc::new(Mutex::new(Vec::new()));
    // Two buffers: one with two lines, one with one.
    for texts in [&[&b"a\n"[..], b"b\n"][..], &[b"c\n"]] {
        let mut buffer = queue.take_free(|| true).unwrap();
        for text in texts {
            buffer.space()[..text.len()].copy_from_slice(text);
            buffer.advance(text.len());
        }
        queue.submit(buffer);
    }
    assert!(queue.take_free(|| true).is_none()); // one drop
    queue.close();
    let sink = Sink::new(
        Box::new(Flaky {
            failures: 0,
            lines: Arc::clone(&lines),
        }),
        1,
        Duration::ZERO,
        0,
    );
    let settings = WriterSettings {
        loss_report_interval: Duration::from_secs(3600),
    };
    run_writer(Arc::clone(&queue), vec![sink], Arc::clone(&stats), settings);
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], b"a\n");
    assert_eq!(lines[1], b"b\n");
    assert_eq!(lines[2], b"c\n");
    let loss: serde_json::Value = serde_json::from_slice(&lines[3]).unwrap();
    assert_eq!(loss["raudit"]["queue_drops"], 1);
    assert_eq!(stats.queue_drops.get(), 1);
}

/// A connected pair of non-blocking stream sockets as files (the socket
/// buffer bounds one write).
fn nonblocking_pair() -> (File, File) {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    let a: std::os::fd::OwnedFd = a.into();
    let b: std::os::fd::OwnedFd = b.into();
    (File::from(a), File::from(b))
}

fn read_all_available(reader: &mut File, into: &mut Vec<u8>) {
    let mut chunk = [0u8; 8192];
    loop {
        match io::Read::read(reader, &mut chunk) {
            Ok(0) => return,
            Ok(n) => into.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn whole_buffers_go_out_in_order_after_pending_lines() {
    let dir = temp_dir("buffers");
    let path = dir.join("audit.log");
    let mut out = FileOutput::open(spec(path.clone()), 1024).unwrap();
    out.write_line(b"control\n").unwrap();
    let parts: [&[u8]; 3] = [b"a\nb\n", b"", b"c\n"];
    assert!(out.write_buffers(&parts).unwrap().is_ok());
    assert_eq!(out.pending_lines(), 0);
    assert_eq!(std::fs::read(&path).unwrap(), b"control\na\nb\nc\n");
}

#[test]
fn a_short_writev_keeps_the_rest_pending_and_repeats_nothing() {
    let (mut reader, mut writer) = nonblocking_pair();
    let mut batch = LineBatch::with_capacity(64);
    // More than the socket holds: the writev stops part-way.
    let line = [b'x'; 1023]
        .iter()
        .chain(b"\n")
        .copied()
        .collect::<Vec<u8>>();
    let big: Vec<u8> = line.repeat(4096);
    let parts: [&[u8]; 2] = [&big, b"tail\n"];
    batch.write_through(&mut writer, &parts).unwrap();
    assert!(!batch.is_empty(), "the pipe took everything");
    let mut got = Vec::new();
    read_all_available(&mut reader, &mut got);
    assert!(batch.lines() >= 1);
    while !batch.is_empty() {
        let _ = batch.write_to(&mut writer);
        read_all_available(&mut reader, &mut got);
    }
    let mut expected = big.clone();
    expected.extend_from_slice(b"tail\n");
    assert_eq!(got.len(), expected.len());
    assert!(got == expected);
}

#[test]
fn a_failing_writev_accepts_nothing() {
    let mut full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut batch = LineBatch::with_capacity(64);
    let parts: [&[u8]; 1] = [b"a\n"];
    let e = batch.write_through(&mut full, &parts).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOSPC));
    assert!(batch.is_empty());
    assert_eq!(batch.lines(), 0);
}

#[test]
fn whole_buffers_are_retried_then_counted_as_errors() {
    let stats = Stats::new(&["file"]);
    let dir = temp_dir("full");
    let mut file = FileOutput::open(spec(dir.join("audit.log")), 64).unwrap();
    // Point the output at /dev/full: every write fails with ENOSPC.
    file.redirect_for_test(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    );
    let mut sink = Sink::new(Box::new(file), 2, Duration::ZERO, 0);
    let parts: [&[u8]; 2] = [b"a\nb\n", b"c\n"];
    sink.write_buffers(&parts, 3, &stats);
    assert_eq!(stats.outputs[0].errors.get(), 3);
    assert_eq!(stats.outputs[0].retries.get(), 1);
    assert_eq!(stats.outputs[0].events.get(), 0);
}

#[test]
fn outputs_without_whole_buffers_get_each_line() {
    let stats = Stats::new(&["flaky"]);
    let lines = Arc::new(Mutex::new(Vec::new()));
    let flaky = Flaky {
        failures: 1,
        lines: Arc::clone(&lines),
    };
    let mut sink = Sink::new(Box::new(flaky), 2, Duration::ZERO, 0);
    let parts: [&[u8]; 2] = [b"a\nb\n", b"c\n"];
    sink.write_buffers(&parts, 3, &stats);
    assert_eq!(
        *lines.lock().unwrap(),
        vec![b"a\n".to_vec(), b"b\n".to_vec(), b"c\n".to_vec()]
    );
    assert_eq!(stats.outputs[0].events.get(), 3);
    assert_eq!(stats.outputs[0].retries.get(), 1);
}

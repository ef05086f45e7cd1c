use std::os::unix::fs::PermissionsExt;
use std::sync::Mutex;

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

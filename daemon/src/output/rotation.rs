//! Size-based rotation of the file output (`output.file.max_bytes` /
//! `keep`, auditd's `max_log_file` / `num_logs`): the renames that make
//! room for a new file. `PATH.(keep-1)` → `PATH.keep` (replacing the
//! oldest) … `PATH.1` → `PATH.2`, then `PATH` → `PATH.1`. A name missing
//! from the chain (fewer files so far, or one removed by hand) is skipped.
//!
//! When to rotate is the file output's decision ([`super::file`]): before
//! a write that would take the file past its limit, between two lines.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

/// `output.file.max_bytes` / `output.file.keep`: the file is renamed to
/// `PATH.1` (older ones shifted up, the oldest past `keep` deleted) before
/// a write that would take it past `max_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// `max_bytes`: the largest a file grows (a single line larger than
    /// this still goes whole into a file of its own).
    pub max_bytes: u64,
    /// `keep`: rotated files kept beside the current one, default 5.
    pub keep: u32,
}

/// `PATH.n`.
pub fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// `.NAME.new` beside `PATH` (`DIR/NAME`): where a rotation creates the
/// new file before the renames (hidden, so no `PATH*` glob of a log
/// shipper takes it).
pub fn staging(path: &Path) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(".new");
    path.with_file_name(name)
}

/// Shifts `PATH.1 … PATH.(keep-1)` up by one and renames `PATH` to
/// `PATH.1`; what was `PATH.keep` is gone. `keep` is at least 1.
pub fn shift(path: &Path, keep: u32) -> io::Result<()> {
    for n in (1..keep).rev() {
        rename_if_present(&numbered(path, n), &numbered(path, n + 1))?;
    }
    rename_if_present(path, &numbered(path, 1))
}

fn rename_if_present(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::rename(from, to) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!("rename {} to {}: {e}", from.display(), to.display()),
        )),
        Ok(()) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::Rotation;
    use super::*;
    use crate::output::{FileOutput, FileSpec, Output};
    use crate::scratch_dir::ScratchDir;
    use crate::side::LineSide;
    use std::time::Duration;

    const NO_SIDE: LineSide<'static> = LineSide {
        facts: None,
        cut: None,
    };

    fn dir(name: &str) -> ScratchDir {
        ScratchDir::new(&format!("rotation-{name}"))
    }

    fn output(path: &Path, max_bytes: u64, keep: u32, batch: usize) -> FileOutput {
        let spec = FileSpec {
            path: path.to_path_buf(),
            mode: 0o600,
            uid: None,
            gid: None,
            rotation: Some(Rotation { max_bytes, keep }),
        };
        FileOutput::open(spec, batch).unwrap()
    }

    /// Event `n` as a JSON line, its length varying with `n`.
    fn event(n: u64) -> Vec<u8> {
        let pad = "x".repeat((n * 37 % 300) as usize);
        format!("{{\"serial\":{n},\"pad\":\"{pad}\"}}\n").into_bytes()
    }

    /// The serials in `PATH.keep … PATH.1, PATH` (oldest first), checking
    /// every line is whole JSON and every file within `max_bytes`.
    fn serials(path: &Path, keep: u32, max_bytes: u64) -> Vec<u64> {
        let mut names: Vec<PathBuf> = (1..=keep).rev().map(|n| numbered(path, n)).collect();
        names.push(path.to_path_buf());
        let mut serials = Vec::new();
        for name in names.iter().filter(|n| n.exists()) {
            let text = std::fs::read(name).unwrap();
            assert!(
                text.len() as u64 <= max_bytes,
                "{} has {} bytes",
                name.display(),
                text.len()
            );
            assert!(
                text.is_empty() || text.ends_with(b"\n"),
                "{} ends mid-line",
                name.display()
            );
            for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let value: serde_json::Value = serde_json::from_slice(line)
                    .unwrap_or_else(|e| panic!("{}: not whole JSON ({e})", name.display()));
                serials.push(value["serial"].as_u64().unwrap());
            }
        }
        assert!(
            !numbered(path, keep + 1).exists(),
            "more than {keep} rotated files"
        );
        serials
    }

    /// The newest events, each once, in order, and the oldest only in
    /// files rotation deleted.
    fn assert_contiguous_tail(serials: &[u64], last: u64) {
        assert_eq!(serials.last(), Some(&last), "the newest event is missing");
        for pair in serials.windows(2) {
            assert_eq!(pair[1], pair[0] + 1, "lost or repeated around {}", pair[0]);
        }
    }

    #[test]
    fn lines_rotate_whole_within_the_limit_and_old_files_are_deleted() {
        let dir = dir("lines");
        let path = dir.join("audit.log");
        let (max, keep) = (4096, 3);
        let mut out = output(&path, max, keep, 1024);
        for n in 1..=400 {
            out.write_line(&event(n), &NO_SIDE).unwrap();
        }
        out.flush().unwrap();
        let serials = serials(&path, keep, max);
        assert_contiguous_tail(&serials, 400);
        assert!(
            numbered(&path, keep).exists(),
            "it rotated {keep} times at least"
        );
        assert!(out.rotations() >= u64::from(keep), "{}", out.rotations());
        // The files hold what fits: the deleted ones only the oldest.
        assert!(serials.len() > 30, "{}", serials.len());
    }

    #[test]
    fn the_stats_count_each_rotation() {
        let dir = dir("counted");
        let path = dir.join("audit.log");
        let stats = crate::stats::Stats::new(&["file"]);
        let file = output(&path, 4096, 2, 1024);
        let mut sink = crate::output::Sink::new(Box::new(file), 1, Duration::ZERO, 0);
        for n in 1..=400 {
            sink.write(&event(n), &NO_SIDE, &stats);
        }
        sink.flush(&stats);
        let rotated = stats.outputs[0].rotations.get();
        // Each file holds at most 4096 bytes of lines averaging ~170.
        assert!((10..=40).contains(&rotated), "{rotated}");
        let line = stats.line("test");
        assert!(
            line.contains(&format!("file.rotations={rotated}")),
            "{line}"
        );
    }

    #[test]
    fn whole_buffers_crossing_the_limit_are_split_between_lines() {
        let dir = dir("buffers");
        let path = dir.join("audit.log");
        let (max, keep) = (8192, 4);
        let mut out = output(&path, max, keep, 1024);
        let mut n = 0;
        for _ in 0..40 {
            let buffers: Vec<Vec<u8>> = (0..3)
                .map(|_| {
                    (0..10)
                        .flat_map(|_| {
                            n += 1;
                            event(n)
                        })
                        .collect()
                })
                .collect();
            let parts: Vec<&[u8]> = buffers.iter().map(Vec::as_slice).collect();
            out.write_buffers(&parts).unwrap().unwrap();
        }
        out.flush().unwrap();
        assert_contiguous_tail(&serials(&path, keep, max), n);
    }

    #[test]
    fn an_empty_file_takes_no_more_than_its_limit() {
        // Lines gathered in a batch larger than the limit, and one writev
        // of buffers larger than it, into an empty file.
        let dir = dir("empty");
        let path = dir.join("audit.log");
        let mut out = output(&path, 4096, 20, 64 * 1024);
        for n in 1..=100 {
            out.write_line(&event(n), &NO_SIDE).unwrap();
        }
        out.flush().unwrap();
        assert_contiguous_tail(&serials(&path, 20, 4096), 100);
        let path = dir.join("buffers.log");
        let mut out = output(&path, 4096, 20, 1024);
        let buffer: Vec<u8> = (1..=60).flat_map(event).collect();
        assert!(buffer.len() > 2 * 4096);
        out.write_buffers(&[&buffer]).unwrap().unwrap();
        out.flush().unwrap();
        assert_contiguous_tail(&serials(&path, 20, 4096), 60);
    }

    #[test]
    fn the_size_of_an_existing_file_counts_and_a_huge_line_gets_its_own_file() {
        let dir = dir("existing");
        let path = dir.join("audit.log");
        std::fs::write(&path, [b"{\"serial\":0}\n".as_slice(); 300].concat()).unwrap();
        let mut out = output(&path, 4096, 2, 64);
        let huge = format!("{{\"serial\":1,\"pad\":\"{}\"}}\n", "y".repeat(10_000));
        out.write_line(huge.as_bytes(), &NO_SIDE).unwrap();
        out.write_line(&event(2), &NO_SIDE).unwrap();
        out.flush().unwrap();
        // The old content went away whole; the huge line sits alone.
        assert_eq!(std::fs::read(numbered(&path, 2)).unwrap().len(), 300 * 13);
        assert_eq!(std::fs::read(numbered(&path, 1)).unwrap(), huge.as_bytes());
        assert_eq!(std::fs::read(&path).unwrap(), event(2));
    }

    #[test]
    fn a_failed_rotation_keeps_appending_and_loses_nothing() {
        let dir = dir("refused");
        let path = dir.join("audit.log");
        // A non-empty directory where `PATH.1` goes: the rename is refused.
        std::fs::create_dir_all(numbered(&path, 1).join("x")).unwrap();
        let mut out = output(&path, 4096, 1, 256);
        for n in 1..=100 {
            out.write_line(&event(n), &NO_SIDE).unwrap();
        }
        out.flush().unwrap();
        let text = std::fs::read(&path).unwrap();
        assert!(text.len() > 4096, "kept appending to the file it had");
        let lines = text.split(|&b| b == b'\n').filter(|l| !l.is_empty());
        assert_eq!(lines.count(), 100);
        // Once the way is clear, the next crossing (after another
        // max_bytes) rotates again.
        std::fs::remove_dir_all(numbered(&path, 1)).unwrap();
        for n in 101..=200 {
            out.write_line(&event(n), &NO_SIDE).unwrap();
        }
        out.flush().unwrap();
        assert!(numbered(&path, 1).is_file());
    }
}

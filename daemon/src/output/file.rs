//! The `file` output (go-audit's `output.file`): appends event lines to a
//! file created with the configured mode, owner and group before the first
//! byte is written, and reopens it by path on SIGHUP/SIGUSR1 so logrotate
//! can rename it away (lines buffered before the signal go to the old file;
//! none is lost or written twice).
//!
//! With `max_bytes` set, the output rotates the file itself
//! ([`rotation`](super::rotation::shift)): before a write that would take the file
//! past the limit, what fits is written, the file renamed to `PATH.1` and a
//! new one opened, so no line is split across two files. The size is
//! counted from the writes (read once at each open), so the ordinary write
//! path makes no extra syscall; a write that crosses the limit is rare and
//! goes line by line. A line longer than the limit goes whole into a file
//! of its own. The new file is created first (under a staging name), so a
//! rotation that fails (the new file not created, a rename refused) is
//! reported and the output keeps appending to the file it has (no event
//! is lost for it, no rotated file moved on), trying again after another
//! `max_bytes`.

use std::fs::{File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::append::Appender;
use super::rotation::Rotation;
use super::{rotation, Output, Sent};
use crate::side::LineSide;

/// Where and how to create the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSpec {
    pub path: PathBuf,
    /// Permission bits, e.g. `0o600`.
    pub mode: u32,
    /// Owner and group; `None` leaves them as created.
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// Size-based rotation; `None` leaves it to logrotate.
    pub rotation: Option<Rotation>,
}

/// An open log file and its pending lines.
#[derive(Debug)]
pub struct FileOutput {
    spec: FileSpec,
    /// The open file, its pending lines and its size (at open, then
    /// counted from the writes).
    out: Appender,
    /// The size below which no rotation is tried (after one failed).
    retry_at: u64,
    /// Rotations done, so far.
    rotations: u64,
}

impl FileOutput {
    /// Opens (creating if needed) the file for appending, with its mode and
    /// ownership set before anything is written.
    pub fn open(spec: FileSpec, batch_bytes: usize) -> io::Result<FileOutput> {
        let file = open_file(&spec)?;
        let size = file_size(&file, &spec)?;
        Ok(FileOutput {
            spec,
            out: Appender::new(file, size, batch_bytes),
            retry_at: 0,
            rotations: 0,
        })
    }

    /// Bytes in the file once what the batch holds is written.
    fn held(&self) -> u64 {
        self.out
            .size()
            .saturating_add(self.out.pending_bytes() as u64)
    }

    /// Whether `bytes` more would take the file (with what the batch
    /// holds) past its limit.
    fn over_limit(&self, bytes: usize) -> bool {
        self.spec.rotation.is_some_and(|r| {
            let held = self.held();
            held >= self.retry_at && held.saturating_add(bytes as u64) > r.max_bytes
        })
    }

    /// Whether a line of `bytes` must start a new file: it would take the
    /// file past its limit, and the file holds something (an empty file
    /// takes any line whole: a line is never split).
    fn would_cross(&self, bytes: usize) -> bool {
        self.held() > 0 && self.over_limit(bytes)
    }

    /// Renames the file away and opens a new one; on failure reports it
    /// and keeps the file it has (see the module doc).
    fn rotate(&mut self) {
        let Some(rule) = self.spec.rotation else {
            return;
        };
        let next = self.next_file(rule.keep);
        match next {
            Ok((file, size)) => {
                self.out.replace(file, size);
                self.retry_at = 0;
                self.rotations += 1;
            }
            Err(e) => {
                eprintln!("output file: rotation failed, still appending to the current file: {e}");
                self.retry_at = self.out.size().saturating_add(rule.max_bytes);
            }
        }
    }

    /// The new file of a rotation: created first under a staging name
    /// beside `PATH`, then the chain shifted and the new file renamed to
    /// `PATH`. A file that cannot be created (no inode left, say) leaves
    /// every name as it was: shifting first would move the rotated files
    /// on, the oldest deleted, at every rotation tried, with no new file
    /// to show for it.
    fn next_file(&self, keep: u32) -> io::Result<(File, u64)> {
        let staged = rotation::staging(&self.spec.path);
        // Left by a raudit stopped between the two steps: never written.
        let _ = std::fs::remove_file(&staged);
        let file = open_path(&staged, &self.spec, true).inspect_err(|_| {
            let _ = std::fs::remove_file(&staged);
        })?;
        let moved = rotation::shift(&self.spec.path, keep).and_then(|()| {
            std::fs::rename(&staged, &self.spec.path).map_err(|e| {
                // Put the current file back under its name.
                let _ = std::fs::rename(rotation::numbered(&self.spec.path, 1), &self.spec.path);
                annotate(e, "rename the new file to", &self.spec)
            })
        });
        if let Err(e) = moved {
            let _ = std::fs::remove_file(&staged);
            return Err(e);
        }
        // Created empty, just now.
        Ok((file, 0))
    }

    /// One line: into the batch, or (when it does not fit) after it; the
    /// file is rotated first when the line would take it past its limit.
    fn accept(&mut self, line: &[u8]) -> io::Result<()> {
        if self.would_cross(line.len()) {
            // What the batch holds fits this file; the line starts the next.
            self.out.flush()?;
            self.rotate();
        }
        self.out.push_line(line)
    }

    /// Whole buffers that would take the file past its limit: line by
    /// line, so the rotation falls between two lines. Errors keep
    /// [`Output::write_buffers`]' contract: none accepted, or the rest kept
    /// pending.
    fn write_split(&mut self, parts: &[&[u8]]) -> io::Result<()> {
        let mut accepted = false;
        for (at, part) in parts.iter().enumerate() {
            let mut rest = *part;
            while !rest.is_empty() {
                let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |at| at + 1);
                let (line, tail) = rest.split_at(end);
                match self.accept(line) {
                    Ok(()) => accepted = true,
                    Err(e) if !accepted => return Err(e),
                    Err(_) => {
                        self.out.hold(rest);
                        for later in parts.iter().skip(at + 1) {
                            self.out.hold(later);
                        }
                        return Ok(());
                    }
                }
                rest = tail;
            }
        }
        Ok(())
    }
}

/// The file's size when rotation needs it (one `fstat` per open).
fn file_size(file: &File, spec: &FileSpec) -> io::Result<u64> {
    if spec.rotation.is_none() {
        return Ok(0);
    }
    file.metadata()
        .map(|m| m.len())
        .map_err(|e| annotate(e, "stat", spec))
}

#[cfg(test)]
impl FileOutput {
    /// Writes to `file` from now on (tests point it at `/dev/full`).
    pub(crate) fn redirect_for_test(&mut self, file: File) {
        let size = self.out.size();
        self.out.replace(file, size);
    }
}

fn open_file(spec: &FileSpec) -> io::Result<File> {
    open_path(&spec.path, spec, false)
}

/// Opens `path` (created if needed, or `new`: created or refused) for
/// appending, with `spec`'s mode and ownership set.
fn open_path(path: &Path, spec: &FileSpec, new: bool) -> io::Result<File> {
    let file = OpenOptions::new()
        .append(true)
        .create(!new)
        .create_new(new)
        .mode(spec.mode)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("open {}: {e}", path.display())))?;
    // The creation mode was filtered by the umask, and an existing file
    // keeps its own: set both explicitly, as go-audit does.
    file.set_permissions(Permissions::from_mode(spec.mode))
        .map_err(|e| annotate(e, "chmod", spec))?;
    if spec.uid.is_some() || spec.gid.is_some() {
        std::os::unix::fs::fchown(&file, spec.uid, spec.gid)
            .map_err(|e| annotate(e, "chown", spec))?;
    }
    Ok(file)
}

fn annotate(error: io::Error, what: &str, spec: &FileSpec) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("{what} {}: {error}", spec.path.display()),
    )
}

impl Output for FileOutput {
    fn name(&self) -> &str {
        "file"
    }

    fn write_line(&mut self, line: &[u8], _: &LineSide<'_>) -> io::Result<Sent> {
        self.accept(line).map(|()| Sent::Whole)
    }

    fn write_buffers(&mut self, parts: &[&[u8]]) -> Option<io::Result<()>> {
        let incoming: usize = parts.iter().map(|p| p.len()).sum();
        if self.over_limit(incoming) {
            return Some(self.write_split(parts));
        }
        Some(self.out.write_through(parts))
    }

    fn takes_buffers(&self) -> bool {
        true
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn pending_lines(&self) -> u64 {
        self.out.pending_lines()
    }

    fn discard(&mut self) -> u64 {
        self.out.discard()
    }

    fn rotations(&self) -> u64 {
        self.rotations
    }

    fn retries_reopen(&self) -> bool {
        true
    }

    fn reopen(&mut self) -> io::Result<()> {
        self.out.flush()?;
        let file = open_file(&self.spec)?;
        let size = file_size(&file, &self.spec)?;
        self.out.replace(file, size);
        self.retry_at = 0;
        Ok(())
    }
}

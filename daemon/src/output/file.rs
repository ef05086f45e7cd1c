//! The `file` output (go-audit's `output.file`): appends event lines to a
//! file created with the configured mode, owner and group before the first
//! byte is written, and reopens it by path on SIGHUP/SIGUSR1 so logrotate
//! can rename it away (lines buffered before the signal go to the old file;
//! none is lost or written twice).

use std::fs::{File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;

use super::batch::LineBatch;
use super::{Output, Sent};
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
}

/// An open log file and its pending lines.
#[derive(Debug)]
pub struct FileOutput {
    spec: FileSpec,
    file: File,
    batch: LineBatch,
}

impl FileOutput {
    /// Opens (creating if needed) the file for appending, with its mode and
    /// ownership set before anything is written.
    pub fn open(spec: FileSpec, batch_bytes: usize) -> io::Result<FileOutput> {
        let file = open_file(&spec)?;
        Ok(FileOutput {
            spec,
            file,
            batch: LineBatch::with_capacity(batch_bytes),
        })
    }
}

#[cfg(test)]
impl FileOutput {
    /// Writes to `file` from now on (tests point it at `/dev/full`).
    pub(crate) fn redirect_for_test(&mut self, file: File) {
        self.file = file;
    }
}

fn open_file(spec: &FileSpec) -> io::Result<File> {
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(spec.mode)
        .custom_flags(libc::O_CLOEXEC)
        .open(&spec.path)
        .map_err(|e| annotate(e, "open", spec))?;
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
        if self.batch.try_push(line) {
            return Ok(Sent::Whole);
        }
        self.batch.write_to(&mut self.file)?;
        if self.batch.try_push(line) {
            return Ok(Sent::Whole);
        }
        // Larger than the whole batch: write it on its own.
        self.batch.write_through(&mut self.file, &[line])?;
        Ok(Sent::Whole)
    }

    fn write_buffers(&mut self, parts: &[&[u8]]) -> Option<io::Result<()>> {
        Some(self.batch.write_through(&mut self.file, parts))
    }

    fn takes_buffers(&self) -> bool {
        true
    }

    fn flush(&mut self) -> io::Result<()> {
        self.batch.write_to(&mut self.file)
    }

    fn pending_lines(&self) -> u64 {
        self.batch.lines()
    }

    fn discard(&mut self) -> u64 {
        self.batch.discard(&self.file)
    }

    fn reopen(&mut self) -> io::Result<()> {
        self.batch.write_to(&mut self.file)?;
        self.file = open_file(&self.spec)?;
        Ok(())
    }
}

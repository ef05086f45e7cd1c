//! [`LineBatch`]: event lines gathered in a buffer allocated once, written
//! to a file descriptor in as few `write` calls as possible. A failed write
//! keeps what was not written, so a retry resumes exactly where it stopped
//! (nothing duplicated, nothing skipped).
//!
//! Whole pooled buffers skip the batch: [`LineBatch::write_through`] hands
//! them to one `writev` straight from the pool's memory, after whatever the
//! batch holds, and keeps only what a failing write left unwritten.
//!
//! A write that fails part-way (ENOSPC, EIO, EDQUOT after a short write)
//! leaves the start of a line in the file. The batch then truncates the
//! file back to that line's start (`ftruncate` to the file's size less the
//! bytes of the line written: lines are only ever appended, so they are
//! the file's last bytes) and keeps the whole line pending: the file always
//! ends with a whole line, so a line given up on, or written later when
//! space is back, never joins a fragment. If the truncation itself fails
//! the fragment stays and the rest of its line stays pending, so a later
//! write completes it (a line is still never joined to another).

use std::fs::File;
use std::io::{self, IoSlice, Seek, SeekFrom, Write};

use arrayvec::ArrayVec;

/// Most buffers in one `writev`.
pub const MAX_PARTS: usize = 16;

/// Default batch size: many events per `write`, little memory.
pub const DEFAULT_BATCH: usize = 64 * 1024;

/// Takes the last `bytes` bytes back out of `file` (`ftruncate`), and
/// moves its offset back to the new end: a file not opened for appending
/// (stdout redirected by a shell's `>` or systemd's `StandardOutput=file:`)
/// writes at its offset, which would otherwise leave a hole of zeros where
/// the bytes were.
fn truncate_tail(file: &File, bytes: u64) -> io::Result<()> {
    let len = file.metadata()?.len();
    let end = len.saturating_sub(bytes);
    file.set_len(end)?;
    let mut file = file;
    file.seek(SeekFrom::Start(end)).map(drop)
}

/// Lines waiting to be written, and how far a previous write got.
#[derive(Debug)]
pub struct LineBatch {
    bytes: Vec<u8>,
    written: usize,
    lines: u64,
}

impl LineBatch {
    pub fn with_capacity(capacity: usize) -> LineBatch {
        LineBatch {
            bytes: Vec::with_capacity(capacity.max(1)),
            written: 0,
            lines: 0,
        }
    }

    /// Appends a line if it fits without growing the buffer.
    pub fn try_push(&mut self, line: &[u8]) -> bool {
        if self.bytes.capacity() - self.bytes.len() < line.len() {
            return false;
        }
        self.bytes.extend_from_slice(line);
        self.lines += 1;
        true
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.len() == self.written
    }

    /// Bytes not yet in the file.
    pub fn pending_bytes(&self) -> usize {
        self.bytes.len().saturating_sub(self.written)
    }

    /// Keeps `lines` (whole lines) pending, after what is held: for a
    /// caller that accepted them and could not write them yet.
    pub fn hold(&mut self, lines: &[u8]) {
        self.keep(lines);
    }

    /// Lines held (written in part or not at all).
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Writes what is pending to `file`; on error, the lines written stay
    /// written (and leave the batch), a line written in part is taken back
    /// out of the file (see the module doc) and stays pending whole.
    pub fn write_to(&mut self, file: &mut File) -> io::Result<()> {
        while self.written < self.bytes.len() {
            let error = match file.write(&self.bytes[self.written..]) {
                Ok(0) => io::ErrorKind::WriteZero.into(),
                Ok(n) => {
                    self.written += n;
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => e,
            };
            self.settle(file);
            return Err(error);
        }
        self.clear();
        Ok(())
    }

    /// After a failed write: drops the whole lines written from the batch
    /// and takes the fragment of the next one back out of the file.
    fn settle(&mut self, file: &File) {
        let written = &self.bytes[..self.written];
        let line_start = memchr::memrchr(b'\n', written).map_or(0, |at| at + 1);
        let fragment = self.written - line_start;
        let done = memchr::memchr_iter(b'\n', &written[..line_start]).count() as u64;
        self.bytes.drain(..line_start);
        self.lines = self.lines.saturating_sub(done);
        self.written = fragment;
        if fragment > 0 && truncate_tail(file, fragment as u64).is_ok() {
            self.written = 0;
        }
    }

    /// Writes what is pending, then `parts` (whole lines each) in `writev`
    /// calls straight from the caller's memory. An error before any of
    /// `parts` was written returns it with none of them accepted (a retry
    /// repeats nothing); an error after some of them was written keeps the
    /// rest here, pending for [`write_to`](Self::write_to), and returns
    /// `Ok`. The batch grows past its capacity only then, and only while
    /// empty, so by one call's bytes at most.
    pub fn write_through(&mut self, file: &mut File, parts: &[&[u8]]) -> io::Result<()> {
        self.write_to(file)?;
        let mut slices: ArrayVec<IoSlice<'_>, MAX_PARTS> = parts
            .iter()
            .filter(|part| !part.is_empty())
            .take(MAX_PARTS)
            .map(|part| IoSlice::new(part))
            .collect();
        let total: usize = slices.iter().map(|s| s.len()).sum();
        let mut remaining: &mut [IoSlice<'_>] = &mut slices;
        let mut written = 0;
        while !remaining.is_empty() {
            match file.write_vectored(remaining) {
                Ok(0) if written > 0 => break,
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    written += n;
                    IoSlice::advance_slices(&mut remaining, n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) if written > 0 => break,
                Err(e) => return Err(e),
            }
        }
        if written < total {
            self.keep_unwritten(file, parts, written);
        }
        // Parts beyond MAX_PARTS (callers pass at most that many).
        for part in parts.iter().filter(|p| !p.is_empty()).skip(MAX_PARTS) {
            self.keep(part);
        }
        Ok(())
    }

    /// After a `writev` that stopped `written` bytes into `parts` (whole
    /// lines each; the batch empty): keeps the rest pending from the start
    /// of the line it stopped in; when that line's fragment could not be
    /// taken back out of the file, it is marked written (as after
    /// [`settle`](Self::settle)), so only the rest of the line follows it
    /// and [`discard`](Self::discard) keeps that rest.
    fn keep_unwritten(&mut self, file: &File, parts: &[&[u8]], written: usize) {
        let mut skip = written;
        for part in parts.iter().filter(|p| !p.is_empty()).take(MAX_PARTS) {
            if skip >= part.len() {
                skip -= part.len();
                continue;
            }
            let done = &part[..skip];
            let line_start = memchr::memrchr(b'\n', done).map_or(0, |at| at + 1);
            let fragment = skip - line_start;
            self.keep(&part[line_start..]);
            if fragment > 0 && truncate_tail(file, fragment as u64).is_err() {
                // The fragment stays: the rest of its line must follow it,
                // and the batch knows it (as `settle` leaves it), so a
                // discard keeps that rest too. `write_to` succeeded before
                // the writev, so the line is at the batch's start.
                self.written = fragment;
            }
            skip = 0;
        }
    }

    /// Keeps `bytes` (whole lines, the first maybe begun already) pending.
    fn keep(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
        self.lines += memchr::memchr_iter(b'\n', bytes).count() as u64;
    }

    /// Whether a line is written in part (its fragment could not be taken
    /// back out of the file).
    pub fn has_fragment(&self) -> bool {
        self.written > 0
    }

    /// Gives up what is pending (after the output gave up on it); returns
    /// the lines dropped. A fragment in the file is taken out first; if
    /// that fails, the rest of its line stays pending (so the next line
    /// does not join the fragment).
    pub fn discard(&mut self, file: &File) -> u64 {
        let held = self.lines;
        if self.written > 0 && truncate_tail(file, self.written as u64).is_err() {
            let rest = &self.bytes[self.written..];
            let end =
                memchr::memchr(b'\n', rest).map_or(self.bytes.len(), |at| self.written + at + 1);
            self.bytes.truncate(end);
            self.lines = 1;
            return held.saturating_sub(1);
        }
        self.clear();
        held
    }

    /// Forgets everything pending.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.written = 0;
        self.lines = 0;
    }
}

#[cfg(test)]
impl LineBatch {
    /// Marks `n` pending bytes as written (the state a short write leaves).
    pub(crate) fn mark_written_for_test(&mut self, n: usize) {
        self.written = n.min(self.bytes.len());
    }

    /// What a failed write does next.
    pub(crate) fn settle_for_test(&mut self, file: &File) {
        self.settle(file);
    }
}

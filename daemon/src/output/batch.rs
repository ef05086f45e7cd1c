//! [`LineBatch`]: event lines gathered in a buffer allocated once, written
//! to a file descriptor in as few `write` calls as possible. A failed write
//! keeps what was not written, so a retry resumes exactly where it stopped
//! (nothing duplicated, nothing skipped).
//!
//! Whole pooled buffers skip the batch: [`LineBatch::write_through`] hands
//! them to one `writev` straight from the pool's memory, after whatever the
//! batch holds, and keeps only what a failing write left unwritten.

use std::fs::File;
use std::io::{self, IoSlice, Write};

use arrayvec::ArrayVec;

/// Most buffers in one `writev`.
pub const MAX_PARTS: usize = 16;

/// Default batch size: many events per `write`, little memory.
pub const DEFAULT_BATCH: usize = 64 * 1024;

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

    /// Lines held (written in part or not at all).
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Writes what is pending to `file`; on error, what was written stays
    /// written and the rest stays pending.
    pub fn write_to(&mut self, file: &mut File) -> io::Result<()> {
        while self.written < self.bytes.len() {
            match file.write(&self.bytes[self.written..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        self.clear();
        Ok(())
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
        let mut remaining: &mut [IoSlice<'_>] = &mut slices;
        let mut progressed = false;
        while !remaining.is_empty() {
            match file.write_vectored(remaining) {
                Ok(0) if progressed => break,
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    progressed = true;
                    IoSlice::advance_slices(&mut remaining, n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) if progressed => break,
                Err(e) => return Err(e),
            }
        }
        for rest in remaining.iter() {
            self.keep(rest);
        }
        // Parts beyond MAX_PARTS (callers pass at most that many).
        for part in parts.iter().filter(|p| !p.is_empty()).skip(MAX_PARTS) {
            self.keep(part);
        }
        Ok(())
    }

    /// Keeps `bytes` (whole lines, the first maybe begun already) pending.
    fn keep(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
        self.lines += memchr::memchr_iter(b'\n', bytes).count() as u64;
    }

    /// Forgets everything pending (after the output gave up).
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.written = 0;
        self.lines = 0;
    }
}

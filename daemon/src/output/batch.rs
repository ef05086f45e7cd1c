//! [`LineBatch`]: event lines gathered in a buffer allocated once, written
//! to a file descriptor in as few `write` calls as possible. A failed write
//! keeps what was not written, so a retry resumes exactly where it stopped
//! (nothing duplicated, nothing skipped).

use std::fs::File;
use std::io::{self, Write};

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

    /// Forgets everything pending (after the output gave up).
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.written = 0;
        self.lines = 0;
    }
}

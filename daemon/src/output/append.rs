//! [`Appender`]: what the file and stdout outputs share — event lines
//! appended to one open file descriptor through a [`LineBatch`] (few
//! `write` calls; whole pooled buffers written through with one `writev`;
//! a failed write's fragment truncated back, see [`super::batch`]), and the
//! bytes that reached the file counted. The file output adds rotation and
//! reopening by path around it; stdout uses it as it is.

use std::fs::File;
use std::io;

use super::batch::LineBatch;

/// Lines appended to one open file.
#[derive(Debug)]
pub struct Appender {
    file: File,
    batch: LineBatch,
    /// Bytes in the file as far as this appender knows: set when the file
    /// is opened ([`Appender::replace`]), then added to by every write.
    size: u64,
}

impl Appender {
    /// Appends to `file` (holding `size` bytes already) with a batch of
    /// `batch_bytes`.
    pub fn new(file: File, size: u64, batch_bytes: usize) -> Appender {
        Appender {
            file,
            batch: LineBatch::with_capacity(batch_bytes),
            size,
        }
    }

    /// Bytes in the file (see the field).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Bytes accepted but not yet written.
    pub fn pending_bytes(&self) -> usize {
        self.batch.pending_bytes()
    }

    /// Lines accepted but not yet written.
    pub fn pending_lines(&self) -> u64 {
        self.batch.lines()
    }

    /// One line: into the batch, or (when it does not fit) written after
    /// what the batch holds, on its own if it is larger than the batch.
    pub fn push_line(&mut self, line: &[u8]) -> io::Result<()> {
        if self.batch.try_push(line) {
            return Ok(());
        }
        self.flush()?;
        if self.batch.try_push(line) {
            return Ok(());
        }
        self.write_through(&[line])
    }

    /// Writes what the batch holds, counting the bytes that reached the
    /// file.
    pub fn flush(&mut self) -> io::Result<()> {
        let before = self.batch.pending_bytes();
        let result = self.batch.write_to(&mut self.file);
        self.count(before, self.batch.pending_bytes());
        result
    }

    /// The batch, then `parts` ([`LineBatch::write_through`]), counted.
    pub fn write_through(&mut self, parts: &[&[u8]]) -> io::Result<()> {
        let before = self.batch.pending_bytes();
        let result = self.batch.write_through(&mut self.file, parts);
        let incoming: usize = match result {
            // Accepted: written, or kept pending in the batch.
            Ok(()) => parts.iter().map(|p| p.len()).sum(),
            Err(_) => 0,
        };
        self.count(before + incoming, self.batch.pending_bytes());
        result
    }

    /// Keeps `lines` pending, unwritten (after a failure part-way through
    /// buffers the caller had accepted).
    pub fn hold(&mut self, lines: &[u8]) {
        self.batch.hold(lines);
    }

    /// Drops what is pending; returns the lines dropped.
    pub fn discard(&mut self) -> u64 {
        self.batch.discard(&self.file)
    }

    /// Appends to `file`, holding `size` bytes, from now on (a reopen or a
    /// rotation); what is pending goes to the new file.
    pub fn replace(&mut self, file: File, size: u64) {
        self.file = file;
        self.size = size;
    }

    fn count(&mut self, before: usize, after: usize) {
        self.size = self
            .size
            .saturating_add(before.saturating_sub(after) as u64);
    }
}

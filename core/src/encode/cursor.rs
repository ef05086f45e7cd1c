//! A write position over `&mut [u8]` that refuses, rather than panics, when
//! full; and the adapter that lets `serde-json-core` write at that position.

use core::fmt;

/// The buffer is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

pub struct Cursor<'a> {
    buf: &'a mut [u8],
    pos: usize,
    /// Writes may not go past this (space kept for the closing part).
    limit: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a mut [u8]) -> Cursor<'a> {
        let limit = buf.len();
        Cursor { buf, pos: 0, limit }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left before the limit.
    pub fn room(&self) -> usize {
        self.limit.saturating_sub(self.pos)
    }

    /// Keeps `reserve` bytes at the end for later.
    pub fn reserve_tail(&mut self, reserve: usize) {
        self.limit = self.buf.len().saturating_sub(reserve);
    }

    /// Keeps `bytes` more before the current limit (space for a closing
    /// part inside the tail's); returns the limit to give to [`unhold`].
    ///
    /// [`unhold`]: Cursor::unhold
    pub fn hold(&mut self, bytes: usize) -> usize {
        let limit = self.limit;
        self.limit = limit.saturating_sub(bytes).max(self.pos);
        limit
    }

    /// Restores the limit [`hold`](Cursor::hold) returned.
    pub fn unhold(&mut self, limit: usize) {
        self.limit = limit.min(self.buf.len());
    }

    /// Gives back the reserved tail.
    pub fn release_tail(&mut self) {
        self.limit = self.buf.len();
    }

    pub fn push(&mut self, bytes: &[u8]) -> Result<(), Full> {
        let end = self.pos.checked_add(bytes.len()).ok_or(Full)?;
        if end > self.limit {
            return Err(Full);
        }
        self.buf
            .get_mut(self.pos..end)
            .ok_or(Full)?
            .copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    /// Serializes `value` with serde-json-core at the position; on failure
    /// nothing counts as written.
    pub fn serialize<T: serde::Serialize>(&mut self, value: &T) -> Result<(), Full> {
        let window = self.buf.get_mut(self.pos..self.limit).ok_or(Full)?;
        let written = serde_json_core::to_slice(value, window).map_err(|_| Full)?;
        self.pos += written;
        Ok(())
    }
}

impl fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes()).map_err(|_| fmt::Error)
    }
}

impl Cursor<'_> {
    /// Moves the position back to `pos` (forgetting what was written after).
    pub fn unwind(&mut self, pos: usize) {
        self.pos = self.pos.min(pos);
    }
}

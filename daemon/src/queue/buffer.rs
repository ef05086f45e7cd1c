//! One buffer of the pool or of the large lane ([`EventBuffer`]): the
//! encoded lines the receive thread fills it with, its side region, its
//! place in the pool and its restart mark; emptied when it comes back.

use crate::sys::reserve::Region;

use super::{lines, Lines};

/// One pooled buffer: encoded event lines (JSON and `\n` each), and beside
/// them, in a region of its own, what some outputs need about those lines
/// (see [`crate::side`]).
#[derive(Debug)]
pub struct EventBuffer {
    /// Its part of the pool's one allocation (zeroed by the allocator, and
    /// not touched until written).
    pub(super) bytes: &'static mut [u8],
    pub(super) len: usize,
    /// Lines in the filled part (counted as they are added, so no output
    /// scans the bytes for them).
    pub(super) lines: u64,
    /// The side region: its open part is empty unless an output needs it.
    pub(super) side: Region,
    pub(super) side_len: usize,
    /// Its place in the pool.
    pub(super) index: usize,
    /// One of the large lane's (its pages are given back once large lines
    /// stop, see [`Queue::release_large_pages`](super::Queue::release_large_pages)).
    pub(super) large: bool,
    /// A large buffer: how far its bytes and side region were written
    /// since its pages were last given back.
    pub(super) touched: usize,
    pub(super) side_touched: usize,
    /// Set when the buffer is handed over: every event of a serial up to
    /// this one that was or will be completed is in this buffer or an
    /// earlier one (0: none). Each output publishes it once those lines
    /// have left it ([`Queue::deliver`](super::Queue::deliver)); the
    /// state file records the earliest the running outputs published.
    pub(super) mark: u32,
}

impl EventBuffer {
    /// Sets the buffer's [`mark`](Self::mark) when it is handed over.
    pub fn set_mark(&mut self, mark: u32) {
        self.mark = mark;
    }

    /// Every event up to this serial is in this buffer or an earlier one
    /// (0: none): see `daemon::restart::buffer_mark`.
    pub fn mark(&self) -> u32 {
        self.mark
    }

    /// The unfilled rest of the buffer, to encode the next line into.
    pub fn space(&mut self) -> &mut [u8] {
        let len = self.len.min(self.bytes.len());
        &mut self.bytes[len..]
    }

    /// Marks `added` more bytes (written into [`space`](Self::space)) as
    /// filled, clamped to the capacity.
    pub fn advance(&mut self, added: usize) {
        let start = self.len.min(self.bytes.len());
        self.len = self.len.saturating_add(added).min(self.bytes.len());
        let added = self.bytes.get(start..self.len).unwrap_or_default();
        self.lines += memchr::memchr_iter(b'\n', added).count() as u64;
    }

    /// [`advance`](Self::advance) over one line the caller wrote (its only
    /// `\n` at its end, as every encoded event line), without looking for
    /// newlines.
    pub fn advance_line(&mut self, line_len: usize) {
        self.len = self.len.saturating_add(line_len).min(self.bytes.len());
        self.lines += 1;
    }

    /// Bytes filled so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The filled part: whole lines.
    pub fn filled(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// How many lines the buffer holds.
    pub fn line_count(&self) -> u64 {
        self.lines
    }

    /// The lines, each with its `\n`.
    pub fn lines(&self) -> Lines<'_> {
        lines(self.filled())
    }

    pub fn capacity(&self) -> usize {
        self.bytes.len()
    }

    /// One of the large lane's buffers (not one of the pool's).
    pub fn is_large(&self) -> bool {
        self.large
    }

    /// The unfilled rest of the side region.
    pub fn side_space(&mut self) -> &mut [u8] {
        let side = self.side.as_mut_slice();
        let len = self.side_len.min(side.len());
        &mut side[len..]
    }

    /// Bytes left in the side region.
    pub fn side_room(&self) -> usize {
        self.side.len().saturating_sub(self.side_len)
    }

    /// Marks `added` more side bytes as filled.
    pub fn advance_side(&mut self, added: usize) {
        self.side_len = self.side_len.saturating_add(added).min(self.side.len());
    }

    /// The filled part of the side region.
    pub fn side(&self) -> &[u8] {
        let side = self.side.as_slice();
        &side[..self.side_len.min(side.len())]
    }

    /// Empties the buffer; a large one notes how far it was written (its
    /// pages stay resident for the next large line, see
    /// [`give_pages_back`](Self::give_pages_back)).
    pub(super) fn clear(&mut self) {
        if self.large {
            self.touched = self.touched.max(self.len);
            self.side_touched = self.side_touched.max(self.side_len);
        }
        self.len = 0;
        self.lines = 0;
        self.side_len = 0;
        self.mark = 0;
    }

    /// Gives the pages written since the last call back to the kernel (an
    /// empty buffer only: what it held is no longer needed).
    pub(super) fn give_pages_back(&mut self) {
        let touched = std::mem::take(&mut self.touched);
        let side_touched = std::mem::take(&mut self.side_touched);
        crate::sys::reserve::release_written(self.bytes, touched);
        crate::sys::reserve::release_written(self.side.as_mut_slice(), side_touched);
    }
}

//! An entry's on-disk form and its reading and writing around the ring's
//! end: the 16-byte head (payload length, id, CRC-32 of id, length and
//! payload), then the payload, either of which may be split at the ring's
//! end. [`Reader`] checks what it reads: the id the walk expects, a length
//! the ring can hold, the checksum; an entry larger than this run takes
//! (written by a run with a larger `max_entry`) is checked in pieces, never
//! read whole.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt as _;

use super::header::{le4, le8, HEADER};

/// Bytes of an entry's head: payload length (4), id (8), CRC-32 (4).
pub const ENTRY_HEAD: usize = 16;

/// The head of entry `id` whose payload is `parts` (concatenated, `len`
/// bytes in all, which fits a u32: the caller checked).
pub fn head(id: u64, len: u32, parts: &[&[u8]]) -> [u8; ENTRY_HEAD] {
    let mut crc = crc32fast::Hasher::new();
    crc.update(&id.to_le_bytes());
    crc.update(&len.to_le_bytes());
    for part in parts {
        crc.update(part);
    }
    let mut head = [0u8; ENTRY_HEAD];
    head[..4].copy_from_slice(&len.to_le_bytes());
    head[4..12].copy_from_slice(&id.to_le_bytes());
    head[12..].copy_from_slice(&crc.finalize().to_le_bytes());
    head
}

/// An entry found where the walk expected it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    /// Its payload's length.
    pub len: usize,
    /// Where the next entry starts.
    pub after: u64,
    /// Whether it is at most the reader's `max_entry` (its payload is in
    /// [`Reader::payload`]); else it was only checked.
    pub fits: bool,
}

/// Why a walk over the entries stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// No entry follows (end of file, or older bytes).
    End,
    /// The next entry was being written when raudit stopped.
    Torn,
}

/// Reads entries into buffers reserved once, sized for the largest entry
/// this run takes.
pub struct Reader {
    head: [u8; ENTRY_HEAD],
    payload: Vec<u8>,
    max_entry: usize,
}

impl Reader {
    pub fn new(max_entry: usize) -> Reader {
        Reader {
            head: [0; ENTRY_HEAD],
            payload: Vec::with_capacity(max_entry.max(ENTRY_HEAD)),
            max_entry,
        }
    }

    /// The largest payload this run takes.
    pub fn max_entry(&self) -> usize {
        self.max_entry
    }

    /// The payload of the last entry read that fits.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The payload length in the head at `at` (of a ring of `capacity`),
    /// or None if the file ends within it.
    pub fn len_at(&mut self, file: &File, capacity: u64, at: u64) -> io::Result<Option<u64>> {
        if read_ring(file, capacity, at, &mut self.head)? < ENTRY_HEAD {
            return Ok(None);
        }
        Ok(Some(u64::from(u32::from_le_bytes(le4(&self.head[..4])))))
    }

    /// Reads the entry at `at` that should be `id`: what was found, or why
    /// not.
    pub fn read(
        &mut self,
        file: &File,
        capacity: u64,
        at: u64,
        id: u64,
    ) -> io::Result<Result<Found, Stop>> {
        self.payload.clear();
        match read_ring(file, capacity, at, &mut self.head)? {
            0 => return Ok(Err(Stop::End)),
            n if n < ENTRY_HEAD => return Ok(Err(Stop::Torn)),
            _ => {}
        }
        let len = u32::from_le_bytes(le4(&self.head[..4]));
        let found = u64::from_le_bytes(le8(&self.head[4..12]));
        let crc = u32::from_le_bytes(le4(&self.head[12..16]));
        if found != id {
            return Ok(Err(Stop::End));
        }
        let len_bytes = u64::from(len);
        if ENTRY_HEAD as u64 + len_bytes > capacity {
            return Ok(Err(Stop::Torn));
        }
        let len = len as usize;
        let fits = len <= self.max_entry;
        // Whole if it fits; else in pieces of the buffer's size, only to
        // check it.
        let piece = if fits { len } else { self.payload.capacity() };
        let mut check = crc32fast::Hasher::new();
        check.update(&id.to_le_bytes());
        check.update(&(len_bytes as u32).to_le_bytes());
        let payload_at = (at + ENTRY_HEAD as u64) % capacity;
        let mut done = 0;
        while done < len {
            let n = piece.min(len - done);
            self.payload.clear();
            self.payload.resize(n, 0);
            let from = (payload_at + done as u64) % capacity;
            if read_ring(file, capacity, from, &mut self.payload)? < n {
                return Ok(Err(Stop::Torn));
            }
            check.update(&self.payload);
            done += n;
        }
        if check.finalize() != crc {
            return Ok(Err(Stop::Torn));
        }
        if !fits {
            self.payload.clear();
        }
        Ok(Ok(Found {
            len,
            after: (payload_at + len_bytes) % capacity,
            fits,
        }))
    }
}

/// Writes `bytes` at ring position `at` (below `capacity`), wrapping;
/// where it ended.
pub fn write_ring(file: &File, capacity: u64, at: u64, bytes: &[u8]) -> io::Result<u64> {
    let room = usize::try_from(capacity - at).unwrap_or(usize::MAX);
    let (first, second) = bytes.split_at(bytes.len().min(room));
    file.write_all_at(first, HEADER + at)?;
    if !second.is_empty() {
        file.write_all_at(second, HEADER)?;
    }
    Ok((at + bytes.len() as u64) % capacity)
}

/// Reads into `buf` at ring position `at` (below `capacity`), wrapping;
/// the bytes read (fewer where the file ends).
fn read_ring(file: &File, capacity: u64, at: u64, buf: &mut [u8]) -> io::Result<usize> {
    let room = usize::try_from(capacity - at).unwrap_or(usize::MAX);
    let split = buf.len().min(room);
    let (first, second) = buf.split_at_mut(split);
    let n = read_full(file, first, HEADER + at)?;
    if n < first.len() || second.is_empty() {
        return Ok(n);
    }
    Ok(n + read_full(file, second, HEADER)?)
}

/// Reads until `buf` is full or the file ends; the bytes read.
pub fn read_full(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], at + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

//! [`SpoolFile`]: a bounded first-in-first-out store of entries in one
//! file, kept as a ring so its size never passes the configured bound.
//!
//! Layout: a [`HEADER`]-byte header (magic, the ring's capacity, where the
//! oldest entry starts and its id, a checksum, and the id of an entry
//! being written: `ring/header.rs`), then the ring of entries. An entry is
//! a 16-byte head (payload length, id, CRC-32 of id, length and payload)
//! and its payload (`ring/entry.rs`); it may wrap around the ring's end.
//! Ids grow by one per entry and are never reused while the file lives, so
//! a walk from the oldest entry stops at the first one that is not the
//! next id: older bytes left behind by the ring are never taken for
//! entries.
//!
//! Write order. An append whose entry pushes older ones out, or crosses the
//! ring's end, first writes the header (the new oldest entry, and the id of
//! the entry it is about to write), then the entry: its head, then its
//! parts; any other append writes only the entry; a confirmation writes
//! only the header. So a kill at any point leaves a header whose oldest
//! entry is intact (the bytes an append overwrites belong to entries the
//! header on disk no longer holds), and a walk that ends at the entry
//! being written: counted torn if some of it is on disk, or if the header
//! names it (an append that wrote nothing and is not named left no trace:
//! the event was lost with raudit's memory, as any it had not spooled).
//! That order is the page cache's, which a kill of raudit keeps; a power
//! cut keeps only what the last `fdatasync` forced for certain: if the
//! disk kept an entry written over the oldest ones but not the header
//! written before it, the walk finds no entry where the header says, and
//! the file is started empty, said on stderr (what it held cannot be told,
//! not counted).
//!
//! Guarantees:
//! - bounded: an entry that does not fit pushes the oldest ones out, each
//!   counted ([`Appended::dropped`]); one larger than the whole ring is
//!   refused ([`Full`]);
//! - crash safe: at open, the entries are walked from the oldest; one that
//!   is the next id but whose checksum or length does not hold, or that the
//!   header names as being written while the walk finds no entry there
//!   (raudit was killed while writing it), ends the walk and is counted
//!   ([`SpoolFile::torn`]), never returned; its head is erased, so a second
//!   start does not count it again, and the next append overwrites it;
//! - an entry whose checksum holds but that is larger than this run takes
//!   (a previous run had a larger `max_entry`) is counted the same way
//!   ([`SpoolFile::oversized`]) and the walk goes on: it stays in its
//!   place, handed out as [`Handed::Oversized`] (never sent), and leaves
//!   when confirmed, as any other; an append larger than `max_entry` is
//!   refused ([`Full`]), so a run only ever writes entries it can read;
//! - an entry leaves only when [`SpoolFile::confirm`] says it was
//!   delivered, and that is written to the header at once, so a restart
//!   sends again at most what was delivered after the last confirmation;
//! - when the last entry leaves, the file is truncated to its header (an
//!   outage's spool does not keep its disk space afterwards);
//! - no panic on any file content: a header out of bounds is refused (said
//!   on stderr, the file started empty), and every offset is computed from
//!   bounded numbers;
//! - no allocation per entry: entries are read into one buffer reserved at
//!   open, sized for the largest entry (a larger one is checked in pieces
//!   of it).

#[cfg(test)]
mod damage_tests;
mod entry;
mod header;

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt as _, FileExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

pub use self::entry::ENTRY_HEAD;
use self::entry::{read_full, write_ring, Found, Reader, Stop};
pub use self::header::HEADER;
use self::header::{Header, Refused, MAX_CAPACITY};

/// An entry larger than the whole ring: not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full {
    pub len: usize,
}

/// An entry handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handed<'a> {
    /// Its payload (valid until the next call).
    Entry(&'a [u8]),
    /// One larger than this run takes, left by a run that took larger
    /// ones: counted at open ([`SpoolFile::torn`]), never sent; it leaves
    /// when confirmed, as any other.
    Oversized,
}

/// What an append did besides keeping the entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Appended {
    /// The oldest entries it pushed out (undelivered, lost).
    pub dropped: u64,
    /// Of those, entries that had been handed to the output already.
    pub dropped_in_flight: u64,
}

/// One open spool file (see the module doc).
pub struct SpoolFile {
    path: PathBuf,
    file: File,
    capacity: u64,
    /// The capacity to take when the ring next empties (the configured
    /// one; a file kept from before with another capacity keeps its own
    /// until then).
    wanted: u64,
    /// Oldest entry: ring position and id.
    head: u64,
    head_id: u64,
    /// Next entry to hand out ([`SpoolFile::hand_out`]).
    cursor: u64,
    cursor_id: u64,
    /// Where the next append goes, and its id.
    tail: u64,
    tail_id: u64,
    /// Bytes held (head to tail).
    used: u64,
    torn: u64,
    /// See [`SpoolFile::take_failed_drops`].
    failed_drops: Appended,
    /// Entries found at open larger than this run takes (among `torn`'s
    /// count, see [`SpoolFile::torn`]).
    oversized: u64,
    reader: Reader,
}

impl SpoolFile {
    /// Opens (creating it, mode 0600, and its directory, 0700) the spool at `path` bounded to
    /// `max_bytes` in all, for entries of up to `max_entry` payload bytes,
    /// and finds the entries a previous run left.
    pub fn open(path: &Path, max_bytes: u64, max_entry: usize) -> io::Result<SpoolFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        let wanted = ring_capacity(max_bytes);
        let mut spool = SpoolFile {
            path: path.to_owned(),
            file,
            capacity: wanted,
            wanted,
            head: 0,
            head_id: 0,
            cursor: 0,
            cursor_id: 0,
            tail: 0,
            tail_id: 0,
            used: 0,
            torn: 0,
            failed_drops: Appended::default(),
            oversized: 0,
            reader: Reader::new(max_entry),
        };
        spool.recover()?;
        Ok(spool)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Entries held (delivered ones are gone).
    pub fn entries(&self) -> u64 {
        self.tail_id - self.head_id
    }

    /// Entries held that were not handed out yet.
    pub fn waiting(&self) -> u64 {
        self.tail_id - self.cursor_id
    }

    /// Bytes held, entry heads included.
    pub fn bytes(&self) -> u64 {
        self.used
    }

    /// Entries found at open that are never sent: one torn (raudit was
    /// killed while writing it), and those larger than this run takes
    /// ([`SpoolFile::oversized`]); each counted here once, `spool_torn`.
    pub fn torn(&self) -> u64 {
        self.torn + self.oversized
    }

    /// Of [`SpoolFile::torn`], the entries larger than this run takes
    /// (a previous run had a larger `max_entry`): they stay in their
    /// place, checked, and are handed out as [`Handed::Oversized`].
    pub fn oversized(&self) -> u64 {
        self.oversized
    }

    /// Appends an entry made of `parts` (concatenated). With `handed_out`,
    /// it counts as already handed to the output (the cursor moves past
    /// it): the output holds it unconfirmed.
    pub fn append(
        &mut self,
        parts: &[&[u8]],
        handed_out: bool,
    ) -> io::Result<Result<Appended, Full>> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let size = (ENTRY_HEAD + len) as u64;
        let Ok(len_u32) = u32::try_from(len) else {
            return Ok(Err(Full { len }));
        };
        if size > self.capacity || len > self.reader.max_entry() {
            return Ok(Err(Full { len }));
        }
        let id = self.tail_id;
        let mut appended = Appended::default();
        let kept = (
            self.head,
            self.head_id,
            self.cursor,
            self.cursor_id,
            self.used,
        );
        let made_room = self.make_room(size, &mut appended).and_then(|()| {
            if appended.dropped > 0 || size > self.capacity - self.tail {
                // The header first: the bytes about to be overwritten are
                // no longer the oldest entry's on disk (see the write
                // order in the module doc).
                self.write_header(Some(id))
            } else {
                Ok(())
            }
        });
        if let Err(e) = made_room {
            // Nothing overwritten yet: the entries pushed out stay.
            (
                self.head,
                self.head_id,
                self.cursor,
                self.cursor_id,
                self.used,
            ) = kept;
            return Err(e);
        }
        let head = entry::head(id, len_u32, parts);
        let mut at = self.tail;
        let written = (|| {
            at = write_ring(&self.file, self.capacity, at, &head)?;
            for part in parts {
                at = write_ring(&self.file, self.capacity, at, part)?;
            }
            io::Result::Ok(())
        })();
        if let Err(e) = written {
            // The header may already say the oldest were pushed out: they
            // are lost with the entry, and reported with the error.
            self.failed_drops.dropped += appended.dropped;
            self.failed_drops.dropped_in_flight += appended.dropped_in_flight;
            return Err(e);
        }
        if self.cursor_id == self.tail_id && handed_out {
            self.cursor = at;
            self.cursor_id = id + 1;
        }
        self.tail = at;
        self.tail_id = id + 1;
        self.used += size;
        Ok(Ok(appended))
    }

    /// Pushes the oldest entries out until an entry of `size` bytes fits.
    fn make_room(&mut self, size: u64, appended: &mut Appended) -> io::Result<()> {
        while self.used + size > self.capacity && self.entries() > 0 {
            let in_flight = self.cursor_id > self.head_id;
            self.pop()?;
            appended.dropped += 1;
            appended.dropped_in_flight += u64::from(in_flight);
        }
        Ok(())
    }

    /// The entries an append that failed (an error, after it had written
    /// the header) pushed out: lost, to be counted; taking them resets
    /// the count.
    pub fn take_failed_drops(&mut self) -> Appended {
        std::mem::take(&mut self.failed_drops)
    }

    /// The next entry not handed out yet, now handed out.
    pub fn hand_out(&mut self) -> io::Result<Option<Handed<'_>>> {
        if self.cursor_id == self.tail_id {
            return Ok(None);
        }
        let found =
            match self
                .reader
                .read(&self.file, self.capacity, self.cursor, self.cursor_id)?
            {
                Ok(found) => found,
                Err(why) => {
                    let why = match why {
                        Stop::End => "is missing",
                        Stop::Torn => "is damaged",
                    };
                    return Err(io::Error::other(format!(
                        "spool {}: entry {} {why}",
                        self.path.display(),
                        self.cursor_id
                    )));
                }
            };
        self.cursor = found.after;
        self.cursor_id += 1;
        Ok(Some(if found.fits {
            Handed::Entry(self.reader.payload())
        } else {
            Handed::Oversized
        }))
    }

    /// The `n` oldest entries (handed out) were delivered: they leave.
    pub fn confirm(&mut self, n: u64) -> io::Result<()> {
        let n = n.min(self.cursor_id - self.head_id);
        if n == 0 {
            return Ok(());
        }
        if self.head_id + n == self.tail_id {
            return self.clear();
        }
        if self.head_id + n == self.cursor_id {
            self.used -= self.distance(self.head, self.cursor);
            self.head = self.cursor;
            self.head_id = self.cursor_id;
        } else {
            for _ in 0..n {
                self.pop()?;
            }
        }
        self.write_header(None)
    }

    /// Every entry handed out and not confirmed is to be handed out again
    /// (the output lost what it held).
    pub fn rewind(&mut self) {
        self.cursor = self.head;
        self.cursor_id = self.head_id;
    }

    /// Takes `max_bytes` (header included) as the bound from when the
    /// ring next empties, as a restart with it would.
    pub fn set_bound(&mut self, max_bytes: u64) {
        self.wanted = ring_capacity(max_bytes);
    }

    /// Drops the oldest entry (full, or confirmed one by one).
    fn pop(&mut self) -> io::Result<()> {
        if self.head_id == self.tail_id {
            return Ok(());
        }
        let Some(len) = self.reader.len_at(&self.file, self.capacity, self.head)? else {
            return Err(io::Error::other(format!(
                "spool {}: the oldest entry's head cannot be read",
                self.path.display()
            )));
        };
        let size = ENTRY_HEAD as u64 + len;
        self.head = (self.head + size) % self.capacity;
        self.head_id += 1;
        self.used = self.used.saturating_sub(size);
        if self.cursor_id < self.head_id {
            self.cursor = self.head;
            self.cursor_id = self.head_id;
        }
        Ok(())
    }

    /// Drops every entry (nothing held any more): the file shrinks to its
    /// header, the ring starts over (at the configured capacity).
    pub fn clear(&mut self) -> io::Result<()> {
        self.head_id = self.tail_id;
        self.cursor_id = self.tail_id;
        self.head = 0;
        self.cursor = 0;
        self.tail = 0;
        self.used = 0;
        self.capacity = self.wanted;
        self.file.set_len(HEADER)?;
        self.write_header(None)
    }

    /// Forces the entries and header written so far to disk.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn distance(&self, from: u64, to: u64) -> u64 {
        (to + self.capacity - from) % self.capacity
    }

    /// Writes the header; `writing`: the id of the entry an append is
    /// about to write.
    fn write_header(&self, writing: Option<u64>) -> io::Result<()> {
        let header = Header {
            capacity: self.capacity,
            head: self.head,
            head_id: self.head_id,
            writing,
        };
        self.file.write_all_at(&header.encode(), 0)
    }

    /// Reads the header and walks the entries from the oldest.
    fn recover(&mut self) -> io::Result<()> {
        let mut h = [0u8; HEADER as usize];
        let n = read_full(&self.file, &mut h, 0)?;
        let header = match Header::decode(&h[..n]) {
            Ok(header) => header,
            Err(why) => {
                if n > 0 {
                    eprintln!(
                        "raudit: spool {}: {}; starting it empty (what it held cannot be told, not counted)",
                        self.path.display(),
                        match why {
                            Refused::NotASpool => "not a spool file (or its header is damaged)",
                            Refused::OutOfBounds =>
                                "its header claims a ring or an id no run writes (a damaged or forged file)",
                        }
                    );
                }
                return self.clear();
            }
        };
        // From here on every position is below `capacity` (at most
        // MAX_CAPACITY) and every size below it plus a u32: no offset sum
        // can overflow.
        let Header {
            capacity,
            head,
            head_id,
            writing,
        } = header;
        self.capacity = capacity;
        self.head = head;
        self.head_id = head_id;
        self.cursor = head;
        self.cursor_id = self.head_id;
        self.tail = head;
        self.tail_id = self.head_id;
        let file_len = self.file.metadata()?.len();
        loop {
            let found = self
                .reader
                .read(&self.file, self.capacity, self.tail, self.tail_id)?;
            match found {
                Ok(Found { len, after, fits }) => {
                    let size = (ENTRY_HEAD + len) as u64;
                    if self.used + size > self.capacity {
                        break;
                    }
                    self.used += size;
                    self.tail = after;
                    self.tail_id += 1;
                    // Whole and valid, but larger than this run takes: it
                    // stays in its place, never sent; the walk goes on.
                    self.oversized += u64::from(!fits);
                }
                Err(Stop::Torn) => {
                    self.torn += 1;
                    break;
                }
                // Killed after the header named it, before any of its
                // bytes (or its head's) were written.
                Err(Stop::End) if writing == Some(self.tail_id) => {
                    self.torn += 1;
                    break;
                }
                Err(Stop::End) => break,
            }
        }
        if self.entries() == 0 {
            if self.torn == 0 && file_len >= HEADER + head + ENTRY_HEAD as u64 {
                eprintln!(
                    "raudit: spool {}: no entry where its header says the oldest is (a power cut while it was full?); starting it empty (what it held cannot be told, not counted)",
                    self.path.display()
                );
            }
            return self.clear();
        }
        if writing.is_some() {
            self.write_header(None)?;
        }
        if self.tail > self.head {
            if file_len > HEADER + self.tail {
                // Nothing past the tail is an entry (a torn one goes too);
                // keep the file no larger than what it holds.
                self.file.set_len(HEADER + self.tail)?;
            }
        } else if self.torn > 0 && self.capacity - self.used >= ENTRY_HEAD as u64 {
            // Its head erased, so that a second start does not count it
            // again (the free room after the tail holds at least a head).
            write_ring(&self.file, self.capacity, self.tail, &[0; ENTRY_HEAD])?;
        }
        Ok(())
    }
}

/// The ring's capacity for a file of `max_bytes` in all (at least one
/// byte, at most [`MAX_CAPACITY`]).
fn ring_capacity(max_bytes: u64) -> u64 {
    max_bytes.saturating_sub(HEADER).clamp(1, MAX_CAPACITY)
}

//! Stream sends gathered: the messages a stream output accepts (syslog
//! over TCP, TLS or a unix stream socket; GELF over TCP or TLS) wait in one
//! buffer reserved at start and are written together when it is full or
//! the output is flushed — the output thread flushes whenever its backlog
//! runs dry, so a message waits no longer than the buffers queued ahead
//! of it. One `write` carries everything gathered (up to
//! [`GATHER_BYTES`]) instead of one message each: under a storm, 64 KiB of
//! events per system call. Over TLS the write is cut into
//! records of whole messages ([`Chunk::records`], at most a record's
//! 16 KiB unless one message is longer), all encrypted into one buffer and
//! sent with one `write` too.
//!
//! Delivery stays exact to the message: the writes hand over whole
//! messages, and when one fails part-way the messages that went into the
//! socket whole (over TLS: in records that went whole) are done (as one
//! written alone would be), and the rest is kept from the first message
//! not written whole, for the next attempt on a new connection. A message
//! is never sent twice from here, and the receiver never sees the rest of
//! a torn one. [`Gathered::messages`] is the output's `pending_lines`, so
//! the sink counts what a final failure drops and a spool keeps what is
//! not yet written.

use std::io;

use super::net::{Connection, Link};

/// The gathering buffer, all of it handed to one write: a message longer
/// than this is sent alone (after what is gathered).
pub const GATHER_BYTES: usize = 64 * 1024;
/// Messages gathered at most (the shortest frame is a few dozen bytes).
const MAX_MESSAGES: usize = GATHER_BYTES / 32;

/// Whole messages handed to one write (or the rest of a message a write
/// took in part, then whole ones): their bytes, and where each ends.
#[derive(Clone, Copy)]
pub struct Chunk<'a> {
    bytes: &'a [u8],
    /// Where each message ends, counted from `bytes`'s start plus `base`.
    ends: &'a [usize],
    base: usize,
}

impl<'a> Chunk<'a> {
    /// All the bytes, for a stream in clear.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The bytes cut after whole messages into pieces of at most `max`
    /// bytes (a message longer than `max` is a piece alone), in order:
    /// over TLS, one record each (a longer one spans records).
    pub fn records(&self, max: usize) -> Records<'a> {
        Records {
            chunk: *self,
            at: 0,
            max,
        }
    }
}

/// The pieces of a [`Chunk`] (see [`Chunk::records`]).
pub struct Records<'a> {
    chunk: Chunk<'a>,
    /// Where the next piece starts in `chunk.bytes`.
    at: usize,
    max: usize,
}

impl<'a> Iterator for Records<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let Chunk { bytes, ends, base } = self.chunk;
        if self.at >= bytes.len() {
            return None;
        }
        let from = base + self.at;
        let end = whole_messages_end(ends, from, self.max, base + bytes.len());
        if end <= from {
            return None;
        }
        let end = end - base;
        let piece = bytes.get(self.at..end)?;
        self.at = end;
        Some(piece)
    }
}

/// Where a write starting at `from` ends (`ends`: where each message
/// ends; `len`: where the bytes end): the end of the last whole message
/// within `max` bytes, or of the first message (or its rest) when that
/// alone is longer.
fn whole_messages_end(ends: &[usize], from: usize, max: usize, len: usize) -> usize {
    let limit = from.saturating_add(max);
    let first = ends.partition_point(|&end| end <= from);
    let mut end = ends.get(first).copied().unwrap_or(len).min(len);
    for &next in ends.iter().skip(first + 1) {
        if next > limit || next > len {
            break;
        }
        end = next;
    }
    end
}

/// Whole messages waiting to be written, in order.
pub struct Gathered {
    bytes: Vec<u8>,
    /// Where each message ends in `bytes`.
    ends: Vec<usize>,
}

impl Default for Gathered {
    fn default() -> Gathered {
        Gathered::new()
    }
}

impl Gathered {
    /// An empty buffer, its room reserved now (nothing grows later).
    pub fn new() -> Gathered {
        Gathered {
            bytes: Vec::with_capacity(GATHER_BYTES),
            ends: Vec::with_capacity(MAX_MESSAGES),
        }
    }

    /// Whether a message of `len` bytes fits beside what waits.
    pub fn fits(&self, len: usize) -> bool {
        self.ends.len() < MAX_MESSAGES && self.bytes.len().saturating_add(len) <= GATHER_BYTES
    }

    /// Takes `message`, writing out what waits first (with `write_out`)
    /// when it does not fit beside it; false when the message is too long
    /// to gather (what waited is written out then too: the caller sends
    /// the message alone, after it). An error from `write_out`: the message
    /// was not taken.
    pub fn take(
        &mut self,
        message: &[u8],
        mut write_out: impl FnMut(&mut Gathered) -> io::Result<()>,
    ) -> io::Result<bool> {
        if !self.fits(message.len()) && !self.is_empty() {
            write_out(self)?;
        }
        Ok(self.push(message))
    }

    /// Adds a message; false (nothing added) when it does not
    /// [`fit`](Self::fits).
    pub fn push(&mut self, message: &[u8]) -> bool {
        if !self.fits(message.len()) {
            return false;
        }
        self.bytes.extend_from_slice(message);
        self.ends.push(self.bytes.len());
        true
    }

    /// Messages waiting.
    pub fn messages(&self) -> u64 {
        self.ends.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Forgets every waiting message; how many there were.
    pub fn discard(&mut self) -> u64 {
        let messages = self.messages();
        self.bytes.clear();
        self.ends.clear();
        messages
    }

    /// Writes what waits with `write` (given whole messages, or the rest
    /// of a message it took in part then whole ones; it returns the bytes
    /// it took, as `Write::write`). On an error, the messages taken whole
    /// are done and the rest waits, from the first one not taken whole.
    pub fn write_out(
        &mut self,
        mut write: impl FnMut(Chunk<'_>) -> io::Result<usize>,
    ) -> io::Result<()> {
        let mut written = 0;
        let result = loop {
            let Some(bytes) = self.bytes.get(written..).filter(|b| !b.is_empty()) else {
                break Ok(());
            };
            let chunk = Chunk {
                bytes,
                ends: &self.ends,
                base: written,
            };
            match write(chunk) {
                Ok(0) => break Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => written += n.min(bytes.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.forget_written(written);
        result
    }

    /// Writes out what waits over `link` (see [`Link::deliver`]: the peer
    /// checked first, one reconnection and resend after a failure), each
    /// write through `write_some` (as [`write_out`](Self::write_out)'s).
    pub fn write_over<C: Connection>(
        &mut self,
        link: &mut Link<C>,
        connect: impl FnMut() -> io::Result<C>,
        write_some: impl Fn(&mut C, Chunk<'_>) -> io::Result<usize>,
    ) -> io::Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        link.deliver(connect, |conn| {
            self.write_out(|bytes| write_some(conn, bytes))
        })
    }

    /// Drops the messages wholly within the first `written` bytes, keeping
    /// any message taken in part whole (it is sent again from its start).
    fn forget_written(&mut self, written: usize) {
        let done = self.ends.partition_point(|&end| end <= written);
        let cut = match done.checked_sub(1) {
            Some(last) => self.ends.get(last).copied().unwrap_or(0),
            None => 0,
        };
        if cut == 0 {
            return;
        }
        self.bytes.drain(..cut);
        self.ends.drain(..done);
        for end in &mut self.ends {
            *end -= cut;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A record's plaintext at most, as TLS cuts it.
    const RECORD: usize = 16 * 1024;

    fn message(i: usize, len: usize) -> Vec<u8> {
        let mut m = format!("{i}:").into_bytes();
        m.resize(len - 1, b'x');
        m.push(b'\n');
        m
    }

    /// A write that takes everything, keeping each chunk's record sizes.
    fn take_all(records: &mut Vec<Vec<usize>>) -> impl FnMut(Chunk<'_>) -> io::Result<usize> + '_ {
        move |c: Chunk<'_>| {
            records.push(c.records(RECORD).map(<[u8]>::len).collect());
            Ok(c.bytes().len())
        }
    }

    #[test]
    fn records_are_whole_messages_of_at_most_a_record() {
        let mut g = Gathered::new();
        for i in 0..300 {
            assert!(g.push(&message(i, 200)));
        }
        let mut pieces = Vec::new();
        g.write_out(|c| {
            pieces.extend(c.records(RECORD).map(<[u8]>::to_vec));
            Ok(c.bytes().len())
        })
        .unwrap();
        assert!(g.is_empty());
        assert_eq!(pieces.len(), (300 * 200_usize).div_ceil(RECORD / 200 * 200));
        for p in &pieces {
            assert!(p.len() <= RECORD && p.len() % 200 == 0, "{}", p.len());
        }
        let expected: Vec<u8> = (0..300).flat_map(|i| message(i, 200)).collect();
        assert_eq!(pieces.concat(), expected);
    }

    /// A write-out for `take` whose every write succeeds whole and whose
    /// sizes are kept in `written`.
    fn write_out_recording(
        written: &std::cell::RefCell<Vec<usize>>,
    ) -> impl Fn(&mut Gathered) -> io::Result<()> + Copy + '_ {
        move |g: &mut Gathered| {
            g.write_out(|c| {
                written.borrow_mut().push(c.bytes().len());
                Ok(c.bytes().len())
            })
        }
    }

    #[test]
    fn everything_gathered_goes_in_one_write() {
        let mut g = Gathered::new();
        let written = std::cell::RefCell::new(Vec::new());
        let out = write_out_recording(&written);
        for i in 0..400 {
            assert!(g.take(&message(i, 200), out).unwrap());
        }
        out(&mut g).unwrap();
        // 327 messages of 200 bytes fill the 64 KiB: one write; the rest
        // at the end.
        let whole = GATHER_BYTES / 200;
        assert_eq!(*written.borrow(), vec![whole * 200, (400 - whole) * 200]);
    }

    #[test]
    fn a_failure_part_way_keeps_from_the_first_message_not_written_whole() {
        let mut g = Gathered::new();
        for i in 0..10 {
            g.push(&message(i, 100));
        }
        // The socket takes 250 bytes (two whole messages and half of the
        // third), then fails.
        let mut calls = 0;
        let e = g
            .write_out(|c| {
                calls += 1;
                if calls == 1 {
                    Ok(c.bytes().len().min(250))
                } else {
                    Err(io::ErrorKind::BrokenPipe.into())
                }
            })
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        assert_eq!(g.messages(), 8);
        let mut again = Vec::new();
        g.write_out(|c| {
            again.extend_from_slice(c.bytes());
            Ok(c.bytes().len())
        })
        .unwrap();
        let expected: Vec<u8> = (2..10).flat_map(|i| message(i, 100)).collect();
        assert_eq!(again, expected);
    }

    #[test]
    fn a_partial_write_continues_on_the_same_connection() {
        let mut g = Gathered::new();
        for i in 0..5 {
            g.push(&message(i, 100));
        }
        let mut got = Vec::new();
        let mut firsts = Vec::new();
        g.write_out(|c| {
            let n = c.bytes().len().min(33);
            got.extend_from_slice(&c.bytes()[..n]);
            firsts.push(c.records(RECORD).next().unwrap().len());
            Ok(n)
        })
        .unwrap();
        let expected: Vec<u8> = (0..5).flat_map(|i| message(i, 100)).collect();
        assert_eq!(got, expected);
        assert!(g.is_empty());
        // Each write's first record: from where the last one stopped (in a
        // message) to the end of the last whole message.
        let expected: Vec<usize> = (0..500_usize.div_ceil(33)).map(|k| 500 - 33 * k).collect();
        assert_eq!(firsts, expected);
    }

    #[test]
    fn a_message_longer_than_a_record_is_a_piece_alone_and_room_is_bounded() {
        let mut g = Gathered::new();
        let big = message(0, RECORD + 10);
        assert!(g.push(&message(1, 10)));
        assert!(g.push(&big));
        assert!(g.push(&message(2, 10)));
        assert!(g.push(&message(3, 10)));
        let mut records = Vec::new();
        g.write_out(take_all(&mut records)).unwrap();
        assert_eq!(records, vec![vec![10, RECORD + 10, 20]]);
        let mut full = Gathered::new();
        assert!(!full.push(&vec![b'x'; GATHER_BYTES + 1]));
        assert!(full.push(&vec![b'x'; GATHER_BYTES]));
        assert!(!full.fits(1));
        assert_eq!(full.discard(), 1);
        assert!(full.fits(1));
    }

    #[test]
    fn records_of_exactly_a_record_and_one_byte_more() {
        // 16 KiB exactly in one message, in two, and one byte over.
        for (sizes, expected) in [
            (vec![RECORD], vec![RECORD]),
            (vec![RECORD / 2, RECORD / 2], vec![RECORD]),
            (
                vec![RECORD / 2, RECORD / 2 + 1],
                vec![RECORD / 2, RECORD / 2 + 1],
            ),
            (vec![RECORD + 1], vec![RECORD + 1]),
            (vec![RECORD; 4], vec![RECORD; 4]),
        ] {
            let mut g = Gathered::new();
            for (i, len) in sizes.iter().enumerate() {
                assert!(g.push(&message(i, *len)));
            }
            let mut records = Vec::new();
            g.write_out(take_all(&mut records)).unwrap();
            assert_eq!(records, vec![expected], "messages of {sizes:?}");
        }
    }

    #[test]
    fn take_writes_out_first_when_full_and_leaves_a_too_long_message_alone() {
        let mut g = Gathered::new();
        let written = std::cell::RefCell::new(Vec::new());
        let out = write_out_recording(&written);
        let half = message(0, GATHER_BYTES / 2 + 1);
        assert!(g.take(&half, out).unwrap());
        // Does not fit beside the first: the first goes out, then it waits.
        assert!(g.take(&message(1, GATHER_BYTES / 2 + 1), out).unwrap());
        assert_eq!(g.messages(), 1);
        // Too long to gather at all: what waits goes out, it is not taken.
        assert!(!g.take(&message(2, GATHER_BYTES + 1), out).unwrap());
        assert!(g.is_empty());
        assert_eq!(
            *written.borrow(),
            vec![GATHER_BYTES / 2 + 1, GATHER_BYTES / 2 + 1]
        );
        // A failed write-out: the message is not taken, what waited stays.
        assert!(g.take(&message(3, 100), out).unwrap());
        let full = message(4, GATHER_BYTES);
        let refused = g.take(&full, |_| Err(io::ErrorKind::BrokenPipe.into()));
        assert!(refused.is_err());
        assert_eq!(g.messages(), 1);
    }

    #[test]
    fn nothing_is_written_twice_when_the_first_write_fails() {
        let mut g = Gathered::new();
        for i in 0..3 {
            g.push(&message(i, 50));
        }
        assert!(g
            .write_out(|_| Err(io::ErrorKind::ConnectionReset.into()))
            .is_err());
        assert_eq!(g.messages(), 3);
        assert!(g.write_out(|_| Ok(0)).is_err());
        assert_eq!(g.messages(), 3);
    }
}

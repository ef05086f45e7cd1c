//! Sending application data over a TLS session: the records of one
//! write encrypted into the connection's outgoing buffer, then sent with
//! one `write` (as `write_all`: a short write continues, `EINTR` is
//! retried), and, when that fails part-way, how much plaintext went in
//! records that reached the socket whole.

use std::io::{self, Write};

use rustls::unbuffered::{EncryptError, WriteTraffic};

use super::RECORD_PLAINTEXT;

/// Records encrypted into the buffer at most before they are sent (a
/// gather cut after whole messages makes at most 9 of 64 KiB).
const RECORDS_PER_WRITE: usize = 32;

/// Encrypts `pieces` into `outgoing` with `write`, one record each (or
/// several for a piece longer than a record), and sends what is
/// encrypted with one `write` when the buffer is full and at the end: the
/// plaintext bytes sent, or, when encrypting or a write fails, those of
/// the records that went whole before, and the error.
pub(super) fn send_records<D>(
    write: &mut WriteTraffic<'_, D>,
    outgoing: &mut [u8],
    sock: &mut impl Write,
    pieces: &mut dyn Iterator<Item = &[u8]>,
) -> Result<usize, (usize, io::Error)> {
    let mut batch = Batch::default();
    for piece in pieces {
        for record in piece.chunks(RECORD_PLAINTEXT) {
            if batch.records == RECORDS_PER_WRITE {
                batch.send(outgoing, sock)?;
            }
            let encrypted = match write.encrypt(
                record,
                outgoing.get_mut(batch.pending..).unwrap_or_default(),
            ) {
                Err(EncryptError::InsufficientSize(_)) if batch.pending > 0 => {
                    batch.send(outgoing, sock)?;
                    write.encrypt(record, outgoing)
                }
                other => other,
            };
            let n = encrypted.map_err(|e| (batch.sent, io::Error::other(format!("TLS: {e}"))))?;
            batch.add(n, record.len());
        }
    }
    batch.send(outgoing, sock)?;
    Ok(batch.sent)
}

/// Records encrypted and not yet sent, and the plaintext sent so far.
#[derive(Default)]
struct Batch {
    /// Encrypted bytes waiting in the buffer.
    pending: usize,
    records: usize,
    /// Where each waiting record ends in the buffer, and the plaintext
    /// sent once it has gone.
    ends: [(usize, usize); RECORDS_PER_WRITE],
    /// Plaintext bytes of the records sent whole.
    sent: usize,
}

impl Batch {
    /// Counts a record of `len` encrypted bytes carrying `plain`.
    fn add(&mut self, len: usize, plain: usize) {
        let before = self
            .ends
            .get(self.records.wrapping_sub(1))
            .map_or(self.sent, |e| e.1);
        self.pending += len;
        if let Some(end) = self.ends.get_mut(self.records) {
            *end = (self.pending, before + plain);
            self.records += 1;
        }
    }

    /// Sends the waiting records (as `write_all`, counting what went): on
    /// a failure, the plaintext of the records that went whole, and the
    /// error.
    fn send(&mut self, outgoing: &[u8], sock: &mut impl Write) -> Result<(), (usize, io::Error)> {
        let bytes = outgoing.get(..self.pending).unwrap_or_default();
        let mut at = 0;
        let failed = loop {
            let Some(rest) = bytes.get(at..).filter(|r| !r.is_empty()) else {
                break None;
            };
            match sock.write(rest) {
                Ok(0) => break Some(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => at += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Some(e),
            }
        };
        let whole = self
            .ends
            .iter()
            .take(self.records)
            .take_while(|e| e.0 <= at);
        self.sent = whole.last().map_or(self.sent, |e| e.1);
        self.pending = 0;
        self.records = 0;
        match failed {
            None => Ok(()),
            Some(e) => Err((self.sent, e)),
        }
    }
}

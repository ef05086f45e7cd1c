//! Record bodies written again, the way the kernel writes them, for a
//! caller that changes them before encoding (`raudit.redact`,
//! `raudit.fields`): values quoted when printable and hex otherwise
//! ([`write_value`]), fields left out by key with the rest of the text as it
//! was ([`keep_fields`]), EXECVE arguments laid out over records as
//! `audit_log_execve_info` lays them ([`ExecveWriter`]), and encoded values
//! decoded back ([`decode_value`]). Everything goes into the caller's
//! [`BodySink`]; nothing here allocates or panics.

use super::fields::{Fields, Value};
use super::hex::{decode_hex, looks_hex};

/// Where rewritten bodies go.
pub trait BodySink {
    /// Appends to the current record's body.
    fn put(&mut self, bytes: &[u8]);
    /// Ends the current record; what follows starts a new one of the same
    /// type (only [`ExecveWriter`] asks for one).
    fn next_record(&mut self);
}

/// The kernel's test for an untrusted string (`audit_string_contains_control`):
/// a `"`, a space, a control byte or a byte above `~` makes it hex.
pub fn needs_hex(value: &[u8]) -> bool {
    value
        .iter()
        .any(|&b| b == b'"' || !(0x21..=0x7e).contains(&b))
}

/// `value` as the kernel writes an untrusted string: `"value"`, or upper
/// case hex when [`needs_hex`] says so.
pub fn write_value(value: &[u8], sink: &mut impl BodySink) {
    if needs_hex(value) {
        write_hex(value, sink);
    } else {
        sink.put(b"\"");
        sink.put(value);
        sink.put(b"\"");
    }
}

/// Upper-case hex of `bytes`, as `audit_log_n_hex` writes it.
pub fn write_hex(bytes: &[u8], sink: &mut impl BodySink) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut chunk = [0u8; 128];
    for part in bytes.chunks(chunk.len() / 2) {
        let mut n = 0;
        for &b in part {
            if let Some(pair) = chunk.get_mut(n..n + 2) {
                pair[0] = DIGITS[usize::from(b >> 4)];
                pair[1] = DIGITS[usize::from(b & 0xf)];
            }
            n += 2;
        }
        sink.put(chunk.get(..n).unwrap_or_default());
    }
}

/// The bytes a value stands for: bare upper-case hex decoded, quoted text
/// as it is, markers (`(null)`) as their text; fed to `put` in pieces.
pub fn decode_value(value: Value<'_>, put: &mut impl FnMut(&[u8])) {
    match value {
        Value::Bare(hex) if looks_hex(hex) => {
            let mut chunk = [0u8; 64];
            for digits in hex.chunks(chunk.len() * 2) {
                match decode_hex(digits, &mut chunk) {
                    Ok(n) => put(chunk.get(..n).unwrap_or_default()),
                    Err(_) => put(digits),
                }
            }
        }
        other => put(other.text()),
    }
}

/// Copies `body` without the top-level fields whose key `keep` refuses,
/// everything else (spacing, quoting, words without `=`) as it was.
/// Returns how many fields were left out.
pub fn keep_fields(
    body: &[u8],
    mut keep: impl FnMut(&[u8]) -> bool,
    sink: &mut impl BodySink,
) -> u32 {
    let mut fields = Fields::new(body);
    let mut dropped = 0u32;
    let mut prev_end = 0usize;
    let mut written = false;
    let mut after_dropped = false;
    while let Some(field) = fields.next() {
        let end = body.len().saturating_sub(fields.remainder().len());
        let start = offset_in(body, field.key).unwrap_or(prev_end);
        if keep(field.key) {
            if written {
                let gap = body.get(prev_end..start).unwrap_or(b" ");
                // A field that followed a dropped one's closing quote
                // directly needs a space, or it joins the previous value.
                if after_dropped && !gap.starts_with(b" ") {
                    sink.put(b" ");
                }
                sink.put(gap);
            }
            sink.put(body.get(start..end).unwrap_or_default());
            written = true;
            after_dropped = false;
        } else {
            dropped = dropped.saturating_add(1);
            after_dropped = true;
        }
        prev_end = end;
    }
    dropped
}

/// Where `part` (a slice borrowed from `whole`) starts in `whole`.
fn offset_in(whole: &[u8], part: &[u8]) -> Option<usize> {
    let offset = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (offset <= whole.len()).then_some(offset)
}

/// The kernel's `MAX_EXECVE_AUDIT_LEN`: the room for arguments in one
/// EXECVE record.
pub const MAX_EXECVE_AUDIT_LEN: usize = 7500;

/// The kernel's margin for an argument's names (`sizeof(abuf) + 8`): with
/// less room left, a record ends.
const NAME_MARGIN: usize = 96 + 8;

/// EXECVE records as `audit_log_execve_info` writes them: `argc=N`, then
/// each argument as `aN=VALUE`; an argument that does not fit the room
/// left in the record is announced as `aN_len=LEN` and written in pieces
/// `aN[i]=` over as many records as it takes.
pub struct ExecveWriter {
    room: usize,
}

impl ExecveWriter {
    /// Starts the first record with `argc=` and `argc` (its text as the
    /// kernel wrote it: a number). Any other text (a hostile record's
    /// quoted `argc`) is written as a value ([`write_value`]), so it stays
    /// one field: bare, `argc='1 a5=x'` would become arguments that were
    /// never redacted.
    pub fn start(argc: &[u8], sink: &mut impl BodySink) -> ExecveWriter {
        sink.put(b"argc=");
        let written = if !argc.is_empty() && argc.iter().all(u8::is_ascii_digit) {
            sink.put(argc);
            argc.len()
        } else {
            write_value(argc, sink);
            if needs_hex(argc) {
                argc.len().saturating_mul(2)
            } else {
                argc.len().saturating_add(2)
            }
        };
        ExecveWriter {
            room: MAX_EXECVE_AUDIT_LEN.saturating_sub(written.saturating_add(5)),
        }
    }

    /// Writes argument `index`, `value` being what the program saw: as
    /// the kernel's `audit_log_execve_info` does, hex when it needs it or
    /// when it is at least [`MAX_EXECVE_AUDIT_LEN`] bytes long (the kernel
    /// forces the encoding of an argument that spans its buffers), in
    /// pieces after `aN_len`, the length as encoded (twice the bytes in
    /// hex), when it does not fit the record's room.
    pub fn arg(&mut self, index: u32, value: &[u8], sink: &mut impl BodySink) {
        let hex = value.len() >= MAX_EXECVE_AUDIT_LEN || needs_hex(value);
        let encoded = |len: usize| if hex { len * 2 } else { len + 2 };
        let mut digits = [0u8; 20];
        let index = decimal(u64::from(index), &mut digits);
        let mut rest = value;
        let mut piece = 0u64;
        loop {
            if self.room < NAME_MARGIN {
                sink.next_record();
                self.room = MAX_EXECVE_AUDIT_LEN;
            }
            if piece == 0 && encoded(value.len()) + 96 <= self.room {
                sink.put(b" a");
                sink.put(index);
                sink.put(b"=");
                write_encoded(value, hex, sink);
                self.room = self
                    .room
                    .saturating_sub(index.len() + 3 + encoded(value.len()));
                return;
            }
            let mut names = 0;
            if piece == 0 {
                let mut len_digits = [0u8; 20];
                let encoded_len = if hex {
                    value.len().saturating_mul(2)
                } else {
                    value.len()
                };
                let len = decimal(encoded_len as u64, &mut len_digits);
                sink.put(b" a");
                sink.put(index);
                sink.put(b"_len=");
                sink.put(len);
                names += index.len() + 7 + len.len();
            }
            let mut piece_digits = [0u8; 20];
            let piece_text = decimal(piece, &mut piece_digits);
            sink.put(b" a");
            sink.put(index);
            sink.put(b"[");
            sink.put(piece_text);
            sink.put(b"]=");
            names += index.len() + piece_text.len() + 5;
            self.room = self.room.saturating_sub(names);
            let fits = if hex {
                self.room / 2
            } else {
                self.room.saturating_sub(2)
            };
            let take = fits.clamp(1, rest.len().max(1)).min(rest.len());
            let (now, later) = rest.split_at(take);
            write_encoded(now, hex, sink);
            self.room = self.room.saturating_sub(encoded(now.len()));
            rest = later;
            piece += 1;
            if rest.is_empty() {
                return;
            }
        }
    }
}

fn write_encoded(value: &[u8], hex: bool, sink: &mut impl BodySink) {
    if hex {
        write_hex(value, sink);
    } else {
        sink.put(b"\"");
        sink.put(value);
        sink.put(b"\"");
    }
}

/// `n` in decimal, in `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    buf.get(at..).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

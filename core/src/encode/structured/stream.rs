//! Text that arrives in pieces: [`LossyStream`] writes byte pieces as text
//! exactly as [`Lossy`](crate::encode::text::Lossy) would write their
//! concatenation (a character split between two pieces is joined, every
//! byte that is not part of valid UTF-8 becomes one U+FFFD), optionally
//! stopping before the escaped form exceeds a budget. [`HexStream`] feeds
//! it the bytes of a hex string, decoded a small chunk at a time, so a
//! value of any length decodes without a buffer of its size.

use core::fmt::{self, Write};

use crate::encode::text::escaped_len;
use crate::record::decode_hex;

/// Decoded bytes per chunk of a hex string.
const CHUNK: usize = 256;

pub struct LossyStream<'w, W: Write> {
    out: &'w mut W,
    /// The start of a character whose remaining bytes are in the next piece.
    carry: [u8; 4],
    carried: usize,
    /// Escaped bytes still allowed (`usize::MAX`: no limit).
    left: usize,
    /// The budget ran out; everything further is dropped.
    spent: bool,
}

impl<'w, W: Write> LossyStream<'w, W> {
    pub fn new(out: &'w mut W, budget: usize) -> Self {
        LossyStream {
            out,
            carry: [0; 4],
            carried: 0,
            left: budget,
            spent: false,
        }
    }

    /// True once the budget stopped the output.
    pub fn spent(&self) -> bool {
        self.spent
    }

    pub fn push(&mut self, mut bytes: &[u8]) -> fmt::Result {
        if self.carried > 0 {
            let need = char_len(self.carry[0]);
            while self.carried < need {
                match bytes.split_first() {
                    Some((&b, rest)) if is_continuation(b) => {
                        if let Some(slot) = self.carry.get_mut(self.carried) {
                            *slot = b;
                        }
                        self.carried += 1;
                        bytes = rest;
                    }
                    Some(_) => break,
                    // Still incomplete: wait for the next piece.
                    None => return Ok(()),
                }
            }
            let (carry, carried) = (self.carry, self.carried);
            self.carried = 0;
            self.lossy(carry.get(..carried).unwrap_or_default())?;
        }
        let keep = incomplete_tail(bytes);
        let (now, later) = bytes.split_at(bytes.len() - keep);
        self.lossy(now)?;
        if let Some(slot) = self.carry.get_mut(..keep) {
            slot.copy_from_slice(later);
            self.carried = keep;
        }
        Ok(())
    }

    /// Decodes the hex digits `hex` (even length, checked by the caller)
    /// and pushes the bytes; digits that are not hex decode as nothing.
    pub fn push_hex(&mut self, hex: &[u8]) -> fmt::Result {
        let mut buf = [0u8; CHUNK];
        for chunk in hex.chunks(CHUNK * 2) {
            let n = decode_hex(chunk, &mut buf).unwrap_or(0);
            self.push(buf.get(..n).unwrap_or_default())?;
            if self.spent {
                break;
            }
        }
        Ok(())
    }

    /// Writes what is still carried (an incomplete character: one U+FFFD
    /// per byte).
    pub fn finish(&mut self) -> fmt::Result {
        let (carry, carried) = (self.carry, self.carried);
        self.carried = 0;
        self.lossy(carry.get(..carried).unwrap_or_default())
    }

    fn lossy(&mut self, bytes: &[u8]) -> fmt::Result {
        for chunk in bytes.utf8_chunks() {
            self.text(chunk.valid())?;
            for _ in chunk.invalid() {
                self.text("\u{fffd}")?;
            }
        }
        Ok(())
    }

    fn text(&mut self, s: &str) -> fmt::Result {
        if self.spent {
            return Ok(());
        }
        if self.left == usize::MAX {
            return self.out.write_str(s);
        }
        for c in s.chars() {
            let size = escaped_len(c);
            if size > self.left {
                self.spent = true;
                return Ok(());
            }
            self.left -= size;
            self.out.write_char(c)?;
        }
        Ok(())
    }
}

/// A hex string shown as the text it encodes, lossily.
pub struct HexStream<'a>(pub &'a [u8]);

impl fmt::Display for HexStream<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut stream = LossyStream::new(f, usize::MAX);
        stream.push_hex(self.0)?;
        stream.finish()
    }
}

fn is_continuation(b: u8) -> bool {
    b & 0xc0 == 0x80
}

/// Length of the character a byte starts (1 for ASCII and for bytes that
/// cannot start one).
fn char_len(lead: u8) -> usize {
    match lead {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => 1,
    }
}

/// How many bytes at the end of `bytes` start a character that the next
/// piece may complete.
pub fn incomplete_tail(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let Some(&b) = bytes.get(bytes.len() - back) else {
            return 0;
        };
        if is_continuation(b) {
            continue;
        }
        return if char_len(b) > back { back } else { 0 };
    }
    0
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::{String, ToString};

    use super::*;
    use crate::encode::text::Lossy;

    fn streamed(pieces: &[&[u8]], budget: usize) -> String {
        let mut out = String::new();
        let mut stream = LossyStream::new(&mut out, budget);
        for piece in pieces {
            stream.push(piece).unwrap();
        }
        stream.finish().unwrap();
        out
    }

    #[test]
    fn every_split_matches_lossy_of_the_whole() {
        let cases: [&[u8]; 8] = [
            "caf\u{e9} \u{20ac} \u{1f600}!".as_bytes(),
            b"\xe2\x82\xac\xe2\x82",
            b"\xe0\x80\x80\xe0\x41",
            b"\xf0\x9f\x98\xf0\x9f\x98\x80",
            b"\xc3\xc3\xa9\xff\x80",
            b"\xf4\x90\x80\x80 x",
            b"\xed\xa0\x80 surrogate",
            b"",
        ];
        for case in cases {
            let whole = Lossy::new(case).to_string();
            for i in 0..=case.len() {
                for j in i..=case.len() {
                    let pieces = [&case[..i], &case[i..j], &case[j..]];
                    assert_eq!(streamed(&pieces, usize::MAX), whole, "{case:?} {i} {j}");
                }
            }
        }
    }

    #[test]
    fn budget_matches_lossy_with_budget() {
        let case = "a\"\u{e9}\u{1}\u{20ac}xyz".as_bytes();
        for budget in 0..20 {
            let whole = Lossy::with_budget(case, budget).to_string();
            assert_eq!(
                streamed(&[&case[..3], &case[3..]], budget),
                whole,
                "{budget}"
            );
        }
    }

    #[test]
    fn hex_decodes_in_chunks_across_characters() {
        let text = "\u{e9}".repeat(CHUNK + 3);
        let hex: String = text.bytes().map(|b| std::format!("{b:02X}")).collect();
        assert_eq!(HexStream(hex.as_bytes()).to_string(), text);
        assert_eq!(HexStream(b"41FF42").to_string(), "A\u{fffd}B");
    }
}

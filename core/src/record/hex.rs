//! Hex decoding of the values the kernel encodes (`proctitle`, EXECVE
//! arguments, paths and names with spaces, quotes or control bytes) into a
//! caller buffer. No allocation; every failure says where.

/// Why hex did not decode, and at which byte of the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HexError {
    pub kind: HexErrorKind,
    pub offset: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HexErrorKind {
    /// An odd number of digits; `offset` is the source length.
    OddLength,
    /// A byte that is not a hex digit.
    BadDigit,
    /// `out` is shorter than half the source; `offset` is the first digit
    /// that did not fit.
    OutputTooSmall,
}

impl core::fmt::Display for HexError {
    /// What was wrong and where, in words.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.kind {
            HexErrorKind::OddLength => write!(f, "an odd number of hex digits ({})", self.offset),
            HexErrorKind::BadDigit => {
                write!(f, "a byte that is not a hex digit at byte {}", self.offset)
            }
            HexErrorKind::OutputTooSmall => {
                write!(
                    f,
                    "hex that decodes to more than the buffer holds (from digit {})",
                    self.offset
                )
            }
        }
    }
}

/// Decodes the hex digits of `src` (upper or lower case) into `out` and
/// returns how many bytes it wrote. Nothing is written on error.
pub fn decode_hex(src: &[u8], out: &mut [u8]) -> Result<usize, HexError> {
    if src.len() & 1 != 0 {
        return Err(HexError {
            kind: HexErrorKind::OddLength,
            offset: src.len(),
        });
    }
    let n = src.len() / 2;
    if out.len() < n {
        return Err(HexError {
            kind: HexErrorKind::OutputTooSmall,
            offset: out.len().saturating_mul(2),
        });
    }
    // One pass that only looks, so that nothing is written when a digit
    // is bad; then one that decodes. Both take eight digits at a time
    // (long arguments and titles), the rest a table load per byte.
    let (words, tail) = src.as_chunks::<8>();
    let words_ok = words
        .iter()
        .all(|w| hex_word::<true>(u64::from_le_bytes(*w)));
    let tail_bad = tail.iter().fold(0u8, |bad, &b| bad | value(b));
    if !words_ok || tail_bad & BAD != 0 {
        let at = src.iter().position(|&b| value(b) == BAD).unwrap_or(0);
        return Err(HexError {
            kind: HexErrorKind::BadDigit,
            offset: at,
        });
    }
    let (out_words, out_tail) = out.as_chunks_mut::<4>();
    for (slot, word) in out_words.iter_mut().zip(words) {
        *slot = decode_word(u64::from_le_bytes(*word));
    }
    // The tail's bytes come after the words': in the chunks left, then
    // in the bytes after the last chunk.
    let tail_out = out_words
        .iter_mut()
        .skip(words.len())
        .flatten()
        .chain(out_tail.iter_mut());
    for (pair, slot) in tail.chunks_exact(2).zip(tail_out) {
        if let [hi, lo] = *pair {
            *slot = (value(hi) << 4) | value(lo);
        }
    }
    Ok(n)
}

/// Decodes `src`, digits as [`looks_hex`] accepts them (the caller
/// looked first), into `out` without looking at them again, and returns
/// how many bytes it wrote; `None` (nothing written) for an odd length or
/// an `out` too small. A byte that is not such a digit gives an
/// unspecified byte, never a panic.
#[inline]
pub fn decode_looked_hex(src: &[u8], out: &mut [u8]) -> Option<usize> {
    if src.len() & 1 != 0 {
        return None;
    }
    let n = src.len() / 2;
    let out = out.get_mut(..n)?;
    let (words, tail) = src.as_chunks::<8>();
    let (out_words, out_tail) = out.as_chunks_mut::<4>();
    for (slot, word) in out_words.iter_mut().zip(words) {
        *slot = decode_word(u64::from_le_bytes(*word));
    }
    for (pair, slot) in tail.chunks_exact(2).zip(out_tail.iter_mut()) {
        if let [hi, lo] = *pair {
            *slot = (value(hi) << 4) | (value(lo) & 0x0f);
        }
    }
    Some(n)
}

/// Every byte of `x` is a hex digit: `0`-`9` or `A`-`F`, and `a`-`f` too
/// when `LOWER` (as [`VALUES`] says). Each test adds a constant that sets
/// a byte's high bit from a threshold on; bytes below 0x80 plus constants
/// below 0x80 never carry into their neighbour.
fn hex_word<const LOWER: bool>(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    if x & HIGH != 0 {
        return false;
    }
    let from = |c: u8| x.wrapping_add(ONES.wrapping_mul(u64::from(0x80 - c)));
    let digit = from(b'0') & !from(b'9' + 1);
    let upper = from(b'A') & !from(b'F' + 1);
    let lower = if LOWER {
        from(b'a') & !from(b'f' + 1)
    } else {
        0
    };
    (digit | upper | lower) & HIGH == HIGH
}

/// Eight hex digits (checked by `hex_word`) as the four bytes they
/// encode, in order.
fn decode_word(x: u64) -> [u8; 4] {
    const NIBBLE: u64 = 0x0f0f_0f0f_0f0f_0f0f;
    const ONES: u64 = 0x0101_0101_0101_0101;
    // A digit's low four bits, plus 9 for a letter (bit 6 set).
    let nibbles = (x & NIBBLE) + ((x >> 6) & ONES) * 9;
    // Byte 2k: digit 2k in the high half, digit 2k+1 in the low.
    let pairs = (nibbles << 4) | (nibbles >> 8);
    let even = pairs & 0x00ff_00ff_00ff_00ff;
    let half = (even | (even >> 8)) & 0x0000_ffff_0000_ffff;
    let bytes = (half | (half >> 16)) & 0xffff_ffff;
    (bytes as u32).to_le_bytes()
}

/// Marks a byte that is not a hex digit in [`VALUES`].
const BAD: u8 = 0x80;

/// Each byte's value as a hex digit, or [`BAD`].
const VALUES: [u8; 256] = {
    let mut table = [BAD; 256];
    let mut b = 0;
    while b < 256 {
        if let Some(v) = digit(b as u8) {
            table[b] = v;
        }
        b += 1;
    }
    table
};

fn value(b: u8) -> u8 {
    VALUES.get(usize::from(b)).copied().unwrap_or(BAD)
}

/// True when `src` is non-empty, of even length and all upper-case hex
/// digits: the shape of the kernel's encoding (`audit_log_n_hex`).
///
/// Eight bytes at a time (long EXECVE arguments and titles are looked at
/// before they are decoded); a test holds it to the byte-wise rule.
pub fn looks_hex(src: &[u8]) -> bool {
    if src.is_empty() || src.len() & 1 != 0 {
        return false;
    }
    let (words, tail) = src.as_chunks::<8>();
    words
        .iter()
        .all(|w| hex_word::<false>(u64::from_le_bytes(*w)))
        && tail.iter().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'))
}

const fn digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Digits as looks_hex accepts them decode as decode_hex decodes
        /// them; anything else neither panics nor writes past `n`.
        #[test]
        fn looked_hex_decodes_as_checked_hex(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            junk in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
        ) {
            extern crate std;
            let hex: std::string::String = bytes.iter().map(|b| std::format!("{b:02X}")).collect();
            let mut want = [0u8; 40];
            let mut got = [0u8; 40];
            let n = decode_hex(hex.as_bytes(), &mut want).ok();
            proptest::prop_assert_eq!(decode_looked_hex(hex.as_bytes(), &mut got), n);
            proptest::prop_assert_eq!(&got[..], &want[..]);
            let mut out = [0u8; 40];
            let _ = decode_looked_hex(&junk, &mut out);
        }
    }

    #[test]
    fn decodes() {
        let mut out = [0u8; 8];
        assert_eq!(
            decode_hex(b"617564697464002D63", &mut out[..]),
            Err(HexError {
                kind: HexErrorKind::OutputTooSmall,
                offset: 16
            })
        );
        assert_eq!(decode_hex(b"6175646974640a2D", &mut out), Ok(8));
        assert_eq!(&out, b"auditd\n-");
        assert_eq!(decode_hex(b"", &mut out), Ok(0));
    }

    #[test]
    fn errors() {
        let mut out = [0u8; 8];
        let e = |kind, offset| Err(HexError { kind, offset });
        assert_eq!(decode_hex(b"ABC", &mut out), e(HexErrorKind::OddLength, 3));
        assert_eq!(decode_hex(b"AG", &mut out), e(HexErrorKind::BadDigit, 1));
        assert_eq!(decode_hex(b"\xff0", &mut out), e(HexErrorKind::BadDigit, 0));
        assert_eq!(
            decode_hex(b"00", &mut []),
            e(HexErrorKind::OutputTooSmall, 0)
        );
    }

    #[test]
    fn table_agrees_with_the_digits() {
        for b in 0..=255u8 {
            assert_eq!(value(b), digit(b).unwrap_or(BAD), "{b}");
            let pair = [b'4', b];
            let mut out = [0u8; 1];
            let want = digit(b).map(|d| 0x40 | d);
            assert_eq!(
                decode_hex(&pair, &mut out).ok().map(|_| out[0]),
                want,
                "{b}"
            );
        }
    }

    /// `decode_hex` as first written: a table load per byte.
    fn decode_bytewise(src: &[u8], out: &mut [u8]) -> Result<usize, HexError> {
        if src.len() & 1 != 0 {
            return Err(HexError {
                kind: HexErrorKind::OddLength,
                offset: src.len(),
            });
        }
        if out.len() < src.len() / 2 {
            return Err(HexError {
                kind: HexErrorKind::OutputTooSmall,
                offset: out.len() * 2,
            });
        }
        if let Some(at) = src.iter().position(|&b| digit(b).is_none()) {
            return Err(HexError {
                kind: HexErrorKind::BadDigit,
                offset: at,
            });
        }
        for (pair, slot) in src.chunks_exact(2).zip(out.iter_mut()) {
            *slot = (digit(pair[0]).unwrap() << 4) | digit(pair[1]).unwrap();
        }
        Ok(src.len() / 2)
    }

    #[test]
    fn word_decoding_agrees_with_the_bytes() {
        let digits = b"0123456789abcdefABCDEF";
        for n in 0..40 {
            for at in 0..=n {
                for b in 0..=255u8 {
                    let mut src: heapless::Vec<u8, 40> =
                        (0..n).map(|i| digits[(i * 7 + n) % digits.len()]).collect();
                    if let Some(slot) = src.get_mut(at) {
                        *slot = b;
                    }
                    // Output buffers of every length around the decoded one.
                    for room in (n / 2).saturating_sub(1)..=n / 2 + 5 {
                        let (mut fast, mut slow) = ([0xaa_u8; 26], [0xaa_u8; 26]);
                        let got = decode_hex(&src, &mut fast[..room]);
                        let want = decode_bytewise(&src, &mut slow[..room]);
                        assert_eq!(got, want, "{n} {at} {b} {room}");
                        assert_eq!(fast, slow, "{n} {at} {b} {room}");
                    }
                }
            }
        }
        // Every digit pair in every position of a word.
        for hi in digits {
            for lo in digits {
                let src: heapless::Vec<u8, 16> =
                    [*hi, *lo].iter().cycle().take(16).copied().collect();
                let (mut fast, mut slow) = ([0u8; 8], [0u8; 8]);
                assert_eq!(decode_hex(&src, &mut fast), Ok(8));
                decode_bytewise(&src, &mut slow).unwrap();
                assert_eq!(fast, slow);
            }
        }
    }

    #[test]
    fn looks_hex_word_by_word_agrees_with_the_bytes() {
        let bytewise = |src: &[u8]| {
            !src.is_empty()
                && src.len() & 1 == 0
                && src.iter().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'))
        };
        for n in 0..40 {
            for at in 0..=n {
                for b in 0..=255u8 {
                    let mut src: heapless::Vec<u8, 40> =
                        (0..n).map(|i| b"0123456789ABCDEF"[i % 16]).collect();
                    if let Some(slot) = src.get_mut(at) {
                        *slot = b;
                    }
                    assert_eq!(looks_hex(&src), bytewise(&src), "{n} {at} {b}");
                }
            }
        }
    }

    #[test]
    fn shape() {
        assert!(looks_hex(b"2F62696E"));
        assert!(!looks_hex(b"2f62696e"));
        assert!(!looks_hex(b"2F6"));
        assert!(!looks_hex(b""));
        assert!(!looks_hex(b"\"ls\""));
    }
}

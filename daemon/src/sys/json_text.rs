//! JSON text escaped sixteen bytes at a time (GELF's `short_message`, an
//! event's JSON line inside a JSON string), with SSSE3 where the CPU has
//! it: the same output as [`text::escape_json_text_into`], which does the
//! rest (and everything on other CPUs).
//!
//! An event line has a quote or a backslash every ten bytes or so. The
//! portable escaper stores each byte of a word after a backslash that the
//! next store overwrites unless the byte needs it (sixteen stores a word,
//! no branch per quote); `perf` put it at a quarter of the GELF output's
//! and its receiver's time, twice AES-GCM's. Here each half of a 16-byte
//! block is spread out by one `pshufb` from a table indexed by its eight
//! bytes' quote-or-backslash bits (each such byte taken after a
//! backslash), and stored whole: a few instructions a block, no branch on
//! where the quotes are.
//!
//! The last bytes of the text, less than a block, are escaped as one block
//! padded with spaces (which escape to themselves and are dropped), into
//! the room when it holds their escaped length. A block holding a control
//! byte or a byte that is not ASCII (which the portable escaper writes as
//! `\u00XX`, or checks as UTF-8), and the rest of a text whose room left is
//! less than a block's worst case (32 bytes), are escaped by
//! [`text::escape_json_text_into`] from there on, so the answer is its
//! answer: the same bytes, `None` when the room is short.

use raudit_core::encode::text;

/// `text` escaped into `out` as [`text::escape_json_text_into`] escapes
/// it: the bytes written, `None` when `out` is too small.
pub fn escape_json_text_into(bytes: &[u8], out: &mut [u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("ssse3") {
            // SAFETY: the CPU has SSSE3 (just detected; the answer is
            // cached by std), the one target feature the function needs.
            return unsafe { x86::escape_ssse3(bytes, out) };
        }
    }
    text::escape_json_text_into(bytes, out)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_shuffle_epi8, _mm_storeu_si128, _mm_unpackhi_epi64, _mm_unpacklo_epi64,
    };

    use raudit_core::encode::text;

    /// For each set of quote-or-backslash bits of eight bytes: where each
    /// of the sixteen output bytes comes from (`0..8` the byte, 8 a
    /// backslash; the lanes past the output's end are never kept).
    const SPREAD: [[u8; 16]; 256] = spread_table();
    /// How many bytes eight bytes with those bits become.
    const GROWN: [u8; 256] = grown_table();

    const fn spread_table() -> [[u8; 16]; 256] {
        let mut table = [[8u8; 16]; 256];
        let mut marks = 0;
        while marks < 256 {
            let mut at = 0;
            let mut i = 0;
            while i < 8 {
                if marks & (1 << i) != 0 {
                    table[marks][at] = 8;
                    at += 1;
                }
                table[marks][at] = i as u8;
                at += 1;
                i += 1;
            }
            marks += 1;
        }
        table
    }

    const fn grown_table() -> [u8; 256] {
        let mut table = [0u8; 256];
        let mut marks = 0;
        while marks < 256 {
            table[marks] = 8 + (marks as u32).count_ones() as u8;
            marks += 1;
        }
        table
    }

    /// Blocks of sixteen bytes while both sides have room for one, the last
    /// bytes as a padded block ([`last_block`]), then
    /// [`text::escape_json_text_into`] for what is left (from the first
    /// block that holds a byte below a space or above `0x7f`, or where the
    /// room runs short).
    ///
    /// # Safety
    ///
    /// The CPU must have SSSE3.
    #[target_feature(enable = "ssse3")]
    pub unsafe fn escape_ssse3(bytes: &[u8], out: &mut [u8]) -> Option<usize> {
        let mut at = 0usize;
        let mut len = 0usize;
        while let (Some(block), Some(room)) = (
            bytes.get(at..at.wrapping_add(16)),
            out.get_mut(len..len.wrapping_add(32)),
        ) {
            // SAFETY: `block` is sixteen readable bytes (an unaligned load).
            let v = unsafe { _mm_loadu_si128(block.as_ptr().cast::<__m128i>()) };
            let Some(put) = spread(v, room) else {
                break;
            };
            at += 16;
            len += put;
        }
        let rest = bytes.get(at..)?;
        let room = out.get_mut(len..)?;
        let tail = match last_block(rest, room) {
            Some(put) => put,
            None => text::escape_json_text_into(rest, room)?,
        };
        len.checked_add(tail)
    }

    /// Escapes the block `v` into `room` (its worst case, 32 bytes): the
    /// bytes written, `None` (nothing written) when the block holds a
    /// byte below a space or above `0x7f`.
    #[target_feature(enable = "ssse3")]
    fn spread(v: __m128i, room: &mut [u8]) -> Option<usize> {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let space = _mm_set1_epi8(b' ' as i8);
        // Signed: a byte above 0x7f is below zero, so below a space too.
        if _mm_movemask_epi8(_mm_cmplt_epi8(v, space)) != 0 {
            return None;
        }
        let marks = _mm_movemask_epi8(_mm_or_si128(
            _mm_cmpeq_epi8(v, quote),
            _mm_cmpeq_epi8(v, backslash),
        )) as usize;
        let (low, high) = (marks & 0xff, (marks >> 8) & 0xff);
        // Each half's bytes in lanes 0..8, backslashes in 8..16.
        let halves = [
            (_mm_unpacklo_epi64(v, backslash), low),
            (_mm_unpackhi_epi64(v, backslash), high),
        ];
        let mut put = 0;
        for (half, bits) in halves {
            let spread = SPREAD.get(bits)?;
            let grown = usize::from(*GROWN.get(bits)?);
            let dst = room.get_mut(put..put + 16)?;
            // SAFETY: `spread` is sixteen readable bytes, `dst` sixteen
            // writable ones (unaligned load and store).
            unsafe {
                let pattern = _mm_loadu_si128(spread.as_ptr().cast::<__m128i>());
                let escaped = _mm_shuffle_epi8(half, pattern);
                _mm_storeu_si128(dst.as_mut_ptr().cast::<__m128i>(), escaped);
            }
            put += grown;
        }
        Some(put)
    }

    /// The last bytes of a text, fewer than sixteen, escaped as one block
    /// padded with spaces into `room`: the bytes written, `None` (nothing
    /// written) when they are sixteen or more, hold a byte below a space
    /// or above `0x7f`, or their escaped length does not fit.
    #[target_feature(enable = "ssse3")]
    fn last_block(rest: &[u8], room: &mut [u8]) -> Option<usize> {
        let mut block = [b' '; 16];
        block.get_mut(..rest.len())?.copy_from_slice(rest);
        let mut escaped = [0u8; 32];
        // SAFETY: `block` is sixteen readable bytes (an unaligned load).
        let v = unsafe { _mm_loadu_si128(block.as_ptr().cast::<__m128i>()) };
        let put = spread(v, &mut escaped)?;
        // The padding's spaces stay one byte each, after the rest's.
        let len = put.checked_sub(16 - rest.len())?;
        room.get_mut(..len)?.copy_from_slice(escaped.get(..len)?);
        Some(len)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// xorshift64: the same cases every run.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Both escapers on `bytes` in every room from none to the escaped
    /// length and a block more: the same answer.
    fn same_in_every_room(bytes: &[u8]) {
        let size = text::escaped_size(bytes);
        for room in 0..=size + 40 {
            let (mut a, mut b) = (vec![0xAAu8; room], vec![0x55u8; room]);
            let fast = escape_json_text_into(bytes, &mut a);
            let portable = text::escape_json_text_into(bytes, &mut b);
            assert_eq!(fast, portable, "room {room} of {size}: {bytes:?}");
            if let Some(n) = fast {
                assert_eq!(a[..n], b[..n], "room {room}: {bytes:?}");
            }
        }
    }

    #[test]
    fn every_quote_pattern_of_a_half_spreads_as_the_portable_escaper() {
        #[cfg(target_arch = "x86_64")]
        if !std::arch::is_x86_feature_detected!("ssse3") {
            eprintln!("SKIPPED the SSSE3 path: this CPU lacks it (the portable one is compared with itself)");
        }
        // Each of the 256 quote-or-backslash patterns of eight bytes, in
        // either half of a block, after a block, and with plain bytes.
        for bits in 0..256u32 {
            let eight: Vec<u8> = (0..8)
                .map(|i| match (bits >> i & 1, i % 2) {
                    (1, 0) => b'"',
                    (1, _) => b'\\',
                    _ => b'a' + i as u8,
                })
                .collect();
            let mut text = b"{\"k\":1,x".to_vec();
            text.extend_from_slice(&eight);
            text.extend_from_slice(&eight);
            text.extend_from_slice(b"0123456789abcdef");
            text.extend_from_slice(&eight);
            same_in_every_room(&text);
        }
    }

    #[test]
    fn random_json_like_and_arbitrary_text_escapes_as_the_portable_escaper() {
        let mut state = 0x9E37_79B9_7F4A_7C15;
        let alphabets: [&[u8]; 3] = [
            b"\"\\ab{}:,= 09",
            b"\"\\\x01\x1f\x7f\x80\xc3\xa9\xe2\x82\xac\xff a",
            &[],
        ];
        for case in 0..3000 {
            let len = (next(&mut state) % 120) as usize;
            let alphabet = alphabets[case % 3];
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next(&mut state);
                    if alphabet.is_empty() {
                        r as u8
                    } else {
                        alphabet[(r % alphabet.len() as u64) as usize]
                    }
                })
                .collect();
            same_in_every_room(&bytes);
        }
    }

    #[test]
    fn a_storm_line_escapes_as_the_portable_escaper() {
        let line = br#"{"sequence":1234,"timestamp":"1700000000.123","messages":[{"type":1300,"data":"arch=c000003e syscall=110 success=yes exit=4100 a0=0 a1=0 a2=0 a3=0 items=0 ppid=4100 pid=4200 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"storm-gen\" exe=\"/work/target/release/storm-gen\" key=\"storm\""},{"type":1327,"data":"proctitle=73746F726D2D67656E"}],"uid_map":{"0":"root","1000":"user"}}"#;
        same_in_every_room(line);
    }
}

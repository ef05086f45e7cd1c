//! Byte strings as JSON string content: [`Lossy`] displays bytes as text,
//! turning every byte that is not part of valid UTF-8 into U+FFFD (one per
//! byte, as Go's encoder does), optionally stopping before its escaped form
//! would exceed a byte budget. It is handed to `serde-json-core`'s
//! `collect_str`, which does the JSON escaping.
//!
//! [`escape_into`] is the fast path for whole values: it escapes exactly as
//! serde-json-core does (same output, tested against it) into a scratch
//! buffer, run by run instead of char by char, for serde-json-core's
//! `EscapedStr` to copy.

use core::fmt::{self, Write};

/// Bytes shown as text, lossily, with an optional budget of escaped bytes.
#[derive(Clone, Copy, Debug)]
pub struct Lossy<'a> {
    pub bytes: &'a [u8],
    /// Largest number of bytes the escaped JSON form may take
    /// (`usize::MAX`: no limit).
    pub budget: usize,
}

impl<'a> Lossy<'a> {
    pub fn new(bytes: &'a [u8]) -> Lossy<'a> {
        Lossy {
            bytes,
            budget: usize::MAX,
        }
    }

    pub fn with_budget(bytes: &'a [u8], budget: usize) -> Lossy<'a> {
        Lossy { bytes, budget }
    }
}

/// Size of `c` once JSON-escaped the way serde-json-core escapes it.
pub fn escaped_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\u{8}' | '\u{9}' | '\u{a}' | '\u{c}' | '\u{d}' => 2,
        '\u{0}'..='\u{1f}' => 6,
        _ => c.len_utf8(),
    }
}

impl fmt::Display for Lossy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unlimited = self.budget == usize::MAX;
        let mut left = self.budget;
        for chunk in self.bytes.utf8_chunks() {
            if unlimited {
                f.write_str(chunk.valid())?;
                for _ in chunk.invalid() {
                    f.write_char(char::REPLACEMENT_CHARACTER)?;
                }
                continue;
            }
            let replacements = chunk.invalid().iter().map(|_| char::REPLACEMENT_CHARACTER);
            for c in chunk.valid().chars().chain(replacements) {
                let size = escaped_len(c);
                if size > left {
                    return Ok(());
                }
                left -= size;
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// Escapes `bytes` as JSON string content (no quotes) into `out`, lossily
/// as [`Lossy`] and with serde-json-core's escapes. `None` when `out` is
/// too small.
pub fn escape_into(bytes: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut len: usize = 0;
    let mut put = |piece: &[u8]| -> Option<()> {
        let end = len.checked_add(piece.len())?;
        out.get_mut(len..end)?.copy_from_slice(piece);
        len = end;
        Some(())
    };
    for chunk in bytes.utf8_chunks() {
        let text = chunk.valid().as_bytes();
        let mut run = 0;
        for (at, &b) in text.iter().enumerate() {
            if b >= 0x20 && b != b'"' && b != b'\\' {
                continue;
            }
            put(text.get(run..at)?)?;
            run = at + 1;
            match b {
                b'"' => put(b"\\\"")?,
                b'\\' => put(b"\\\\")?,
                0x08 => put(b"\\b")?,
                0x09 => put(b"\\t")?,
                0x0a => put(b"\\n")?,
                0x0c => put(b"\\f")?,
                0x0d => put(b"\\r")?,
                _ => {
                    const HEX: &[u8; 16] = b"0123456789ABCDEF";
                    let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
                    let lo = HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0');
                    put(&[b'\\', b'u', b'0', b'0', hi, lo])?;
                }
            }
        }
        put(text.get(run..)?)?;
        for _ in chunk.invalid() {
            put("\u{fffd}".as_bytes())?;
        }
    }
    Some(len)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn invalid_bytes_become_one_replacement_each() {
        assert_eq!(Lossy::new(b"a\xffb").to_string(), "a\u{fffd}b");
        assert_eq!(Lossy::new(b"\xe2\x82").to_string(), "\u{fffd}\u{fffd}");
        assert_eq!(Lossy::new("é€".as_bytes()).to_string(), "é€");
    }

    /// What serde-json-core's own escaping makes of `bytes`.
    fn slow(bytes: &[u8]) -> std::string::String {
        let mut buf = [0u8; 4096];
        let len = serde_json_core::to_slice(&Collected(Lossy::new(bytes)), &mut buf).unwrap();
        std::string::String::from_utf8(buf[1..len - 1].to_vec()).unwrap()
    }

    struct Collected<'a>(Lossy<'a>);

    impl serde::Serialize for Collected<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(&self.0)
        }
    }

    #[test]
    fn fast_escape_matches_serde_json_core_byte_for_byte() {
        let cases: [&[u8]; 6] = [
            b"plain ascii",
            b"quote\" back\\slash \x00\x01\x08\x09\x0a\x0c\x0d\x1f\x7f",
            "caf\u{e9} \u{2028} \u{1f600}".as_bytes(),
            b"bad \xff\xfe utf8 \xe2\x82 end",
            b"",
            b"\"",
        ];
        for case in cases {
            let mut out = [0u8; 512];
            let len = escape_into(case, &mut out).unwrap();
            assert_eq!(
                std::str::from_utf8(&out[..len]).unwrap(),
                slow(case),
                "{case:?}"
            );
        }
    }

    #[test]
    fn fast_escape_refuses_a_small_buffer() {
        let mut out = [0u8; 5];
        assert_eq!(escape_into(b"abcdef", &mut out), None);
        assert_eq!(escape_into(b"\x01", &mut out), None);
        assert_eq!(escape_into(b"ab\"", &mut out), Some(4));
    }

    #[test]
    fn budget_counts_escaped_bytes_and_never_splits_a_char() {
        assert_eq!(Lossy::with_budget(b"abcdef", 3).to_string(), "abc");
        assert_eq!(Lossy::with_budget(b"a\"b", 2).to_string(), "a");
        assert_eq!(Lossy::with_budget("é".as_bytes(), 1).to_string(), "");
        assert_eq!(Lossy::with_budget(b"\x01x", 6).to_string(), "\u{1}");
    }
}

//! Byte strings as JSON string content: [`Lossy`] displays bytes as text,
//! turning every byte that is not part of valid UTF-8 into U+FFFD (one per
//! byte, as Go's encoder does), optionally stopping before its escaped form
//! would exceed a byte budget. It is handed to `serde-json-core`'s
//! `collect_str`, which does the JSON escaping.

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

    #[test]
    fn budget_counts_escaped_bytes_and_never_splits_a_char() {
        assert_eq!(Lossy::with_budget(b"abcdef", 3).to_string(), "abc");
        assert_eq!(Lossy::with_budget(b"a\"b", 2).to_string(), "a");
        assert_eq!(Lossy::with_budget("é".as_bytes(), 1).to_string(), "");
        assert_eq!(Lossy::with_budget(b"\x01x", 6).to_string(), "\u{1}");
    }
}

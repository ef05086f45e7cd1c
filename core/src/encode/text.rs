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

/// Size of `bytes` once written as JSON string content, lossily (U+FFFD,
/// three bytes, per byte that is not UTF-8): what [`escape_into`] writes.
pub fn escaped_size(bytes: &[u8]) -> usize {
    bytes.utf8_chunks().fold(0usize, |size, chunk| {
        let valid: usize = chunk.valid().chars().map(escaped_len).sum();
        size.saturating_add(valid)
            .saturating_add(chunk.invalid().len().saturating_mul(3))
    })
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
///
/// Eight bytes at a time while both sides have room for eight: the word is
/// stored whole (a plain byte is its own escape) and counted up to its
/// first byte that needs a look, so a short plain run costs no copy call
/// and a quote in JSON text (a GELF message's `short_message` is an
/// event's JSON) costs one word, not a copy of the run before it. After
/// four plain words in a row the run is taken 32 bytes at a time without
/// stores and copied once (hex-encoded arguments: 0.05 ns a byte against
/// 0.16 a word at a time). A quote or backslash is escaped without
/// leaving the words; control bytes and non-ASCII bytes are looked at one
/// by one. For text with quotes every few bytes, [`escape_json_text_into`].
pub fn escape_into(bytes: &[u8], out: &mut [u8]) -> Option<usize> {
    escape_with::<false>(bytes, out)
}

/// [`escape_into`] for text with a quote or backslash every few bytes (a
/// JSON line inside a JSON string: GELF's `short_message`), the same
/// output: a word whose only marks are quotes and backslashes is escaped
/// whole with the same stores wherever they are, no branch per quote. The
/// storm benchmark's event line: 151 → 85 ns; the bench capture's go-audit
/// lines (`cargo bench -p raudit-benches --bench core -- escape/`), with
/// their long plain runs: 2.51 → 2.65 GiB/s. On record bodies, whose
/// quotes are few, it is slower than [`escape_into`] (go-audit's shape
/// encoded 10% slower with it).
pub fn escape_json_text_into(bytes: &[u8], out: &mut [u8]) -> Option<usize> {
    escape_with::<true>(bytes, out)
}

/// [`escape_into`] (`QUOTE_DENSE` false) or [`escape_json_text_into`].
fn escape_with<const QUOTE_DENSE: bool>(bytes: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut len = 0; // bytes written to `out`
    let mut at = 0; // bytes of `bytes` read
    loop {
        let mut plain_words = 0;
        while let (Some(word), Some(dst)) = (bytes.get(at..at + 8), out.get_mut(len..len + 8)) {
            dst.copy_from_slice(word);
            let mut eight = [0u8; 8];
            eight.copy_from_slice(word);
            let x = u64::from_le_bytes(eight);
            let marks = look_marks(x);
            if marks == 0 {
                at += 8;
                len += 8;
                plain_words += 1;
                if plain_words == 4 {
                    // A long plain run (hex-encoded arguments, paths): the
                    // rest of it looked at 32 bytes a time and copied once.
                    plain_words = 0;
                    let start = at;
                    at += plain_run(bytes.get(at..).unwrap_or_default());
                    let run = bytes.get(start..at)?;
                    let end = len.checked_add(run.len())?;
                    out.get_mut(len..end)?.copy_from_slice(run);
                    len = end;
                }
                continue;
            }
            // Quotes and backslashes only (JSON text inside JSON): the
            // word escaped whole, without a branch on where they are.
            if QUOTE_DENSE {
                if let Some(len_after) = escape_quotes_in_word(x, eight, out, len) {
                    at += 8;
                    len = len_after;
                    plain_words = 0;
                    continue;
                }
            }
            // Straight to the first byte that needs a look; the ones
            // stored after it are overwritten.
            let plain = (marks.trailing_zeros() / 8) as usize;
            at += plain;
            len += plain;
            // A quote or backslash (JSON text, quoted names) is escaped
            // here and the words go on; anything else is looked at below.
            match bytes.get(at) {
                Some(&b @ (b'"' | b'\\')) => {
                    len = put(out, len, [b'\\', b])?;
                    at += 1;
                    plain_words = 0;
                }
                _ => break,
            }
        }
        let Some(&b) = bytes.get(at) else { break };
        at += 1;
        len = match b {
            b'"' | b'\\' => put(out, len, [b'\\', b])?,
            0x08 => put(out, len, *b"\\b")?,
            0x09 => put(out, len, *b"\\t")?,
            0x0a => put(out, len, *b"\\n")?,
            0x0c => put(out, len, *b"\\f")?,
            0x0d => put(out, len, *b"\\r")?,
            0x00..=0x1f => put(out, len, control_escape(b))?,
            0x20..=0x7f => put(out, len, [b])?,
            _ => {
                let width = utf8_width(b);
                match bytes.get(at - 1..at - 1 + width) {
                    // A whole character, copied as it is.
                    Some(seq) if width > 1 && core::str::from_utf8(seq).is_ok() => {
                        let end = len.checked_add(width)?;
                        out.get_mut(len..end)?.copy_from_slice(seq);
                        at += width - 1;
                        end
                    }
                    // A byte that does not start a valid character.
                    _ => put(out, len, *b"\xef\xbf\xbd")?,
                }
            }
        };
    }
    Some(len)
}

/// Writes the eight bytes `eight` (`x` as a little-endian word) escaped
/// at `len` in `out` and returns where they end, when none of them is a
/// control byte or not ASCII and `out` has room for sixteen; `None`
/// otherwise (nothing written that counts). Each byte is stored after a
/// backslash that the next store overwrites unless the byte is a quote or
/// a backslash: the same stores whatever the word holds, so a JSON text's
/// quotes every few bytes cost no mispredicted branch each.
#[inline(always)]
fn escape_quotes_in_word(x: u64, eight: [u8; 8], out: &mut [u8], len: usize) -> Option<usize> {
    if other_marks(x) != 0 {
        return None;
    }
    let dst = out.get_mut(len..len.checked_add(16)?)?;
    let escapes = quote_marks(x);
    let mut k = 0usize;
    for (i, b) in eight.into_iter().enumerate() {
        let escaped = ((escapes >> (8 * i + 7)) & 1) as usize;
        // k < 2 * i + 1 <= 15 here: the masks never change an index.
        if let Some(slot) = dst.get_mut(k & 15) {
            *slot = b'\\';
        }
        if let Some(slot) = dst.get_mut((k + escaped) & 15) {
            *slot = b;
        }
        k += 1 + escaped;
    }
    Some(len + k)
}

/// The high bit of each byte of `x` that is exactly a quote or a
/// backslash (no borrow between bytes: exact for every byte).
fn quote_marks(x: u64) -> u64 {
    zero_bytes(x ^ (ONES * u64::from(b'"'))) | zero_bytes(x ^ (ONES * u64::from(b'\\')))
}

/// The high bit of each byte of `x` that is exactly a control byte or not
/// ASCII.
fn other_marks(x: u64) -> u64 {
    // Below 0x20 with the high bit clear: adding 0x60 to the low seven
    // bits leaves bit 7 clear (no carry leaves a byte).
    let below_space = !(((x & LOW7) + ONES * 0x60) | x) & HIGH;
    below_space | (x & HIGH)
}

/// The high bit of each byte of `x` that is zero, exactly.
fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7) + LOW7) | x) & HIGH
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// How many of the first bytes of `bytes` are plain, in whole blocks of
/// 32 (four words tested side by side, nothing stored).
fn plain_run(bytes: &[u8]) -> usize {
    let mut at = 0;
    while let Some(block) = bytes.get(at..at + 32) {
        let (words, _) = block.as_chunks::<8>();
        let marks = words.iter().fold(0, |marks, word| {
            marks | look_marks(u64::from_le_bytes(*word))
        });
        if marks != 0 {
            break;
        }
        at += 32;
    }
    at
}

/// Writes `piece` at `len` in `out` and returns where it ends; `None` when
/// it does not fit. A fixed size: a store, not a copy call.
#[inline(always)]
fn put<const N: usize>(out: &mut [u8], len: usize, piece: [u8; N]) -> Option<usize> {
    let end = len.checked_add(N)?;
    out.get_mut(len..end)?.copy_from_slice(&piece);
    Some(end)
}

/// True when `bytes` is ASCII that [`escape_into`] would copy unchanged
/// (no quote, backslash or control byte): such text can be copied as it
/// is. Eight bytes at a time.
pub fn is_plain(bytes: &[u8]) -> bool {
    let (words, tail) = bytes.as_chunks::<8>();
    words
        .iter()
        .all(|word| look_marks(u64::from_le_bytes(*word)) == 0)
        && tail
            .iter()
            .all(|&b| (0x20..0x80).contains(&b) && b != b'"' && b != b'\\')
}

/// `\u00XX` for a control byte without a short escape.
fn control_escape(b: u8) -> [u8; 6] {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
    let lo = HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0');
    [b'\\', b'u', b'0', b'0', hi, lo]
}

/// The high bit of each of eight bytes (little-endian) that is a quote, a
/// backslash, a control byte or not ASCII (SWAR: the usual "has a zero
/// byte" tests); zero when the eight are all plain.
///
/// Exact up to the first marked byte: a borrow can only carry upwards from
/// a byte that is itself marked, so the lowest mark always names a byte
/// that needs a look (bytes above it may be marked falsely; they are looked
/// at one by one anyway).
pub(super) fn look_marks(x: u64) -> u64 {
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    below_space
        | has_zero(x ^ (ONES * u64::from(b'"')))
        | has_zero(x ^ (ONES * u64::from(b'\\')))
        | (x & HIGH)
}

/// Length of the UTF-8 sequence a leading byte announces (1 when it cannot
/// lead one).
fn utf8_width(b: u8) -> usize {
    match b {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => 1,
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

    /// A xorshift generator from `seed`: the random cases' bytes.
    fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
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
        let cases: [&[u8]; 9] = [
            b"plain ascii",
            b"quote\" back\\slash \x00\x01\x08\x09\x0a\x0c\x0d\x1f\x7f",
            "caf\u{e9} \u{2028} \u{1f600}".as_bytes(),
            b"bad \xff\xfe utf8 \xe2\x82 end",
            b"",
            b"\"",
            b"exactly8 and then some more plain text, long enough for words",
            b"\xe0\x80\x80 overlong \xf0\x9f\x98 cut \xf0\x9f\x98\x80 ok \xed\xa0\x80 surrogate \xf4\x90\x80\x80 big",
            b"12345678\"2345678\\234567\x7f12345678\xc3\xa912345678\x01",
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

    /// 3,000 random cases of up to `max_len` bytes drawn from `alphabet`
    /// (seeded by `seed`), each escaped as serde-json-core escapes it, in
    /// exactly its escaped size and not in a byte less.
    fn escapes_random_cases_as_serde_json_core_does(seed: u64, max_len: u64, alphabet: &[u8]) {
        let mut next = xorshift(seed);
        for _ in 0..3000 {
            let len = (next() % max_len) as usize;
            let case: std::vec::Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let mut out = [0u8; 512];
            let n = escape_into(&case, &mut out).unwrap();
            assert_eq!(
                std::str::from_utf8(&out[..n]).unwrap(),
                slow(&case),
                "{case:?}"
            );
            assert_eq!(escaped_size(&case), n, "{case:?}");
            for escape in [escape_into, escape_json_text_into] {
                let mut again = [0u8; 512];
                assert_eq!(escape(&case, &mut again), Some(n), "{case:?}");
                assert_eq!(again[..n], out[..n], "{case:?}");
                assert_eq!(escape(&case, &mut again[..n]), Some(n), "{case:?}");
                if let Some(short) = n.checked_sub(1) {
                    assert_eq!(escape(&case, &mut again[..short]), None, "{case:?}");
                }
            }
        }
    }

    #[test]
    fn fast_escape_matches_serde_json_core_on_random_bytes() {
        // Mostly plain ASCII, with quotes, controls and UTF-8 pieces.
        escapes_random_cases_as_serde_json_core_does(
            0x9e37_79b9_7f4a_7c15,
            40,
            b"ab \"\\\x01\x1f\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff",
        );
    }

    #[test]
    fn json_text_escapes_as_serde_json_core_does() {
        // Quotes and backslashes every few bytes, at every offset in a
        // word: a JSON line inside a JSON string (GELF's short_message).
        escapes_random_cases_as_serde_json_core_does(
            0x2545_f491_4f6c_dd1d,
            120,
            b"abcdefgh:,{}[]0123\"\\",
        );
    }

    #[test]
    fn exact_marks_name_every_byte_whatever_its_neighbours() {
        // Every byte value at every place in a word, among neighbours
        // that would carry a borrow into it (the zero-byte tests' trap).
        let neighbours = b"\"\\\x00\x01\x1f #]\x7f\x80\xff";
        for &around in neighbours {
            for place in 0..8 {
                for b in 0..=255u8 {
                    let mut eight = [around; 8];
                    eight[place] = b;
                    let x = u64::from_le_bytes(eight);
                    for (i, &byte) in eight.iter().enumerate() {
                        let bit = |marks: u64| (marks >> (8 * i + 7)) & 1 == 1;
                        assert_eq!(
                            bit(quote_marks(x)),
                            byte == b'"' || byte == b'\\',
                            "{eight:?}"
                        );
                        assert_eq!(
                            bit(other_marks(x)),
                            !(0x20..0x80).contains(&byte),
                            "{eight:?}"
                        );
                    }
                }
            }
        }
    }

    proptest::proptest! {
        /// The lowest mark is the first byte that is not plain ASCII text.
        #[test]
        fn first_look_mark_is_the_first_byte_to_look_at(
            eight in proptest::array::uniform8(proptest::prop_oneof![
                0x20u8..0x80,
                proptest::num::u8::ANY,
                proptest::sample::select(&b"\"\\\x00\x01\x1f\x20\x21\x23\x5b\x5d\x7f\x80\xa0"[..]),
            ])
        ) {
            let plain = |b: &u8| (0x20..0x80).contains(b) && *b != b'"' && *b != b'\\';
            let marks = look_marks(u64::from_le_bytes(eight));
            let first = (marks != 0).then(|| (marks.trailing_zeros() / 8) as usize);
            proptest::prop_assert_eq!(first, eight.iter().position(|b| !plain(b)));
        }
    }

    #[test]
    fn fast_escape_finds_a_byte_anywhere_in_long_plain_runs() {
        // Hex runs (the four-word blocks) with one byte to escape at every
        // place, and runs of every length around the block size.
        for special in [b'"', b'\\', 0x01, 0x7f, 0xff, 0xc3] {
            for at in 0..100 {
                let mut case: std::vec::Vec<u8> =
                    (0..100).map(|i| b"0123456789ABCDEF"[i % 16]).collect();
                case[at] = special;
                let mut out = [0u8; 512];
                let n = escape_into(&case, &mut out).unwrap();
                assert_eq!(std::str::from_utf8(&out[..n]).unwrap(), slow(&case), "{at}");
            }
        }
        for len in 0..100 {
            let case: std::vec::Vec<u8> = (0..len).map(|i| b"0123456789ABCDEF"[i % 16]).collect();
            let mut out = [0u8; 128];
            assert_eq!(escape_into(&case, &mut out), Some(len));
            assert_eq!(&out[..len], &case[..]);
        }
    }

    #[test]
    fn fast_escape_fits_a_buffer_of_exactly_its_length_and_refuses_one_less() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let alphabet: &[u8] =
            b"abcdefgh01234567 =\"\\\x01\x7f\xc3\xa9\xef\xbf\xbd\xf0\x9f\x98\x80\xff";
        for _ in 0..3000 {
            let len = (next() % 70) as usize;
            let case: std::vec::Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let expected = slow(&case);
            let mut exact = std::vec![0u8; expected.len()];
            assert_eq!(
                escape_into(&case, &mut exact),
                Some(expected.len()),
                "{case:?}"
            );
            assert_eq!(exact, expected.as_bytes(), "{case:?}");
            if let Some(short) = expected.len().checked_sub(1) {
                let mut out = std::vec![0u8; short];
                assert_eq!(escape_into(&case, &mut out), None, "{case:?}");
            }
        }
        // U+FFFD in the input is a valid character like any other.
        let mut out = [0u8; 16];
        let n = escape_into("a\u{fffd}b".as_bytes(), &mut out).unwrap();
        assert_eq!(&out[..n], "a\u{fffd}b".as_bytes());
    }

    #[test]
    fn plain_text_is_what_escaping_leaves_unchanged() {
        let mut next = xorshift(0x1234_5678_9abc_def1);
        let alphabet: &[u8] = b"abcdefgh01234567 =~\x7f\"\\\x01\x1f\xc3\xa9\xff";
        for _ in 0..5000 {
            let len = (next() % 40) as usize;
            // Mostly plain, so that plain cases of every length come up.
            let case: std::vec::Vec<u8> = (0..len)
                .map(|_| match next() % 8 {
                    0 => alphabet[(next() % alphabet.len() as u64) as usize],
                    _ => alphabet[(next() % 19) as usize],
                })
                .collect();
            let mut out = [0u8; 512];
            let n = escape_into(&case, &mut out).unwrap();
            // Plain: unchanged by escaping, and ASCII (a valid non-ASCII
            // character is unchanged too, but not called plain).
            let unchanged = out[..n] == case[..];
            assert_eq!(is_plain(&case), unchanged && case.is_ascii(), "{case:?}");
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

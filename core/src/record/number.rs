//! Unsigned numbers in record text, read as the standard library's
//! `from_str_radix` reads them (an optional `+`, then digits of the
//! radix, either case; empty or too large is none), without its UTF-8
//! check and generic code: the arch, syscall and pids of every event are
//! read through here.

/// `text` as `u64::from_str_radix(text, radix)` reads it (`radix` from 2
/// to 36).
#[inline]
pub fn parse_u64(text: &[u8], radix: u32) -> Option<u64> {
    let digits = text.strip_prefix(b"+").unwrap_or(text);
    if digits.is_empty() {
        return None;
    }
    let radix = u64::from(radix);
    let digit = |b: u8| {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'z' => b - b'a' + 10,
            b'A'..=b'Z' => b - b'A' + 10,
            _ => return None,
        };
        Some(u64::from(d)).filter(|&d| d < radix)
    };
    let mut n: u64 = 0;
    if digits.len() <= 12 {
        // Twelve digits of a radix up to 36 never overflow a `u64`.
        for &b in digits {
            n = n.wrapping_mul(radix).wrapping_add(digit(b)?);
        }
        return Some(n);
    }
    for &b in digits {
        n = n.checked_mul(radix)?.checked_add(digit(b)?)?;
    }
    Some(n)
}

/// Whether `text` is a `u64` written as `{}` writes it: one to nineteen
/// decimal digits (so it fits), no `+`, no leading zero but in `0`
/// itself. Such text is its number's decimal as it stands: copied, not
/// parsed and written again.
#[inline(always)]
pub fn is_canonical_decimal(text: &[u8]) -> bool {
    match text {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] if rest.len() < 19 => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// `text` as `u32::from_str_radix(text, radix)` reads it.
#[inline]
pub fn parse_u32(text: &[u8], radix: u32) -> Option<u32> {
    u32::try_from(parse_u64(text, radix)?).ok()
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    proptest::proptest! {
        /// The same answers as the standard library's, in the radixes
        /// records use.
        #[test]
        fn reads_as_from_str_radix(
            text in "[+\\-0-9a-fA-Gx ]{0,22}|[0-9]{8,21}|[0-9A-F]{7,17}",
        ) {
            let bytes = text.as_bytes();
            for radix in [8, 10, 16] {
                proptest::prop_assert_eq!(parse_u64(bytes, radix), u64::from_str_radix(&text, radix).ok());
                proptest::prop_assert_eq!(parse_u32(bytes, radix), u32::from_str_radix(&text, radix).ok());
            }
        }
    }

    proptest::proptest! {
        /// Canonical text is what `{}` writes of the number it reads as
        /// (twenty digits, even those that fit, are left to the parse).
        #[test]
        fn canonical_decimals_are_their_numbers_text(
            text in "[+0-9a ]{0,22}|[1-9][0-9]{0,20}|0{1,3}[0-9]{0,3}",
        ) {
            let canonical = parse_u64(text.as_bytes(), 10)
                .is_some_and(|n| std::format!("{n}") == text);
            proptest::prop_assert_eq!(
                is_canonical_decimal(text.as_bytes()),
                canonical && text.len() < 20
            );
        }
    }

    #[test]
    fn edges() {
        for text in [
            "0",
            "9",
            "18446744073709551615",
            "1844674407370955161",
            "00",
            "+1",
            "",
            "1a",
        ] {
            let canonical =
                parse_u64(text.as_bytes(), 10).is_some_and(|n| std::format!("{n}") == text);
            // (Twenty digits are left to the parse, even when they fit.)
            assert_eq!(
                is_canonical_decimal(text.as_bytes()),
                canonical && text.len() < 20,
                "{text}"
            );
        }
        let cases = [
            "",
            "+",
            "-",
            "+0",
            "++1",
            "-1",
            "4294967295",
            "4294967296",
            "18446744073709551615",
            "18446744073709551616",
            "c000003e",
            "C000003E",
            "\u{e9}1",
        ];
        for text in cases {
            for radix in [8, 10, 16] {
                assert_eq!(
                    parse_u64(text.as_bytes(), radix),
                    u64::from_str_radix(text, radix).ok(),
                    "{text}"
                );
                assert_eq!(
                    parse_u32(text.as_bytes(), radix),
                    u32::from_str_radix(text, radix).ok(),
                    "{text}"
                );
            }
        }
        assert_eq!(parse_u64(b"\xff1", 10), None);
    }
}

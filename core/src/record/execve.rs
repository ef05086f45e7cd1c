//! EXECVE argument keys: `aN` (a whole argument), `aN_len=LEN` (a long
//! argument's total length, announced before its pieces) and `aN[i]` (piece
//! `i` of a long argument split across records). Parsing a key is checked:
//! anything else, including numbers beyond `u32`, is `None`.

/// What an EXECVE key names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecveArg {
    /// The argument's position (`N` in `aN`).
    pub index: u32,
    /// The piece (`i` in `aN[i]`), for split arguments.
    pub part: Option<u32>,
    /// True for `aN_len`, whose value is the argument's decoded length.
    pub is_len: bool,
}

impl ExecveArg {
    /// Parses `a0`, `a12_len`, `a3[4]`; `None` for any other key (`argc`).
    #[inline]
    pub fn parse(key: &[u8]) -> Option<ExecveArg> {
        let rest = key.strip_prefix(b"a")?;
        let (index, rest) = leading_number(rest)?;
        match rest {
            b"" => Some(ExecveArg {
                index,
                part: None,
                is_len: false,
            }),
            b"_len" => Some(ExecveArg {
                index,
                part: None,
                is_len: true,
            }),
            _ => {
                let inner = rest.strip_prefix(b"[")?.strip_suffix(b"]")?;
                let (part, tail) = leading_number(inner)?;
                tail.is_empty().then_some(ExecveArg {
                    index,
                    part: Some(part),
                    is_len: false,
                })
            }
        }
    }
}

/// A leading decimal `u32` and what follows it.
#[inline]
pub(crate) fn leading_number(src: &[u8]) -> Option<(u32, &[u8])> {
    leading_number_inlined(src)
}

/// [`leading_number`], inlined where it is called: in the one-pass
/// argument writer's loop, where a call each cost a fifth of a short
/// argument (the other callers keep the call: inlined into go-audit's
/// shape it cost that shape more than it saved).
#[inline(always)]
pub(crate) fn leading_number_inlined(src: &[u8]) -> Option<(u32, &[u8])> {
    // One pass: digits are counted and summed together (every EXECVE
    // field's key goes through here), in a `u64` that cannot overflow
    // before its twentieth digit: the value is a `u32` when it fits one
    // (the sum only grows, so no digit before overflowed it either).
    let mut value = 0u64;
    let mut n = 0;
    for &b in src {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
        n += 1;
        if n > 19 {
            return number_long(src);
        }
    }
    if n == 0 {
        return None;
    }
    Some((u32::try_from(value).ok()?, src.get(n..)?))
}

/// [`leading_number`] for twenty digits or more (leading zeros), checked
/// (by [`parse_u32`](super::number::parse_u32)).
#[inline(never)]
fn number_long(src: &[u8]) -> Option<(u32, &[u8])> {
    let count = src.iter().take_while(|b| b.is_ascii_digit()).count();
    let (text, rest) = src.split_at_checked(count)?;
    Some((super::number::parse_u32(text, 10)?, rest))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn arg(index: u32, part: Option<u32>, is_len: bool) -> Option<ExecveArg> {
        Some(ExecveArg {
            index,
            part,
            is_len,
        })
    }

    #[test]
    fn forms() {
        assert_eq!(ExecveArg::parse(b"a0"), arg(0, None, false));
        assert_eq!(ExecveArg::parse(b"a12_len"), arg(12, None, true));
        assert_eq!(ExecveArg::parse(b"a3[4]"), arg(3, Some(4), false));
        assert_eq!(ExecveArg::parse(b"a4294967295"), arg(u32::MAX, None, false));
        // Leading zeros, as many as may come.
        let zeros = [&b"a"[..], &[b'0'; 30], b"7[01]"].concat();
        assert_eq!(ExecveArg::parse(&zeros), arg(7, Some(1), false));
        let over = [&b"a"[..], &[b'0'; 30], b"4294967296"].concat();
        assert_eq!(ExecveArg::parse(&over), None);
    }

    proptest::proptest! {
        /// The same as checking every digit for overflow (leading zeros
        /// included).
        #[test]
        fn numbers_as_checked_at_each_digit(text in "0{0,25}[0-9]{0,12}[a\\[_]{0,2}") {
            let src = text.as_bytes();
            let checked = number_long(src).filter(|(_, rest)| rest.len() < src.len());
            proptest::prop_assert_eq!(leading_number(src), checked);
        }
    }

    #[test]
    fn not_arguments() {
        for key in [
            &b"argc"[..],
            b"a",
            b"a_len",
            b"a1[",
            b"a1[]",
            b"a1[2",
            b"a1[2]x",
            b"a1[x]",
            b"a1_lenx",
            b"b1",
            b"a4294967296",
            b"a99999999999999999999",
            b"a1[4294967296]",
            b"",
        ] {
            assert_eq!(ExecveArg::parse(key), None, "{:?}", key);
        }
    }
}

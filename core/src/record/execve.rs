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
        let (index, rest) = number(rest)?;
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
                let (part, tail) = number(inner)?;
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
fn number(src: &[u8]) -> Option<(u32, &[u8])> {
    // One pass: digits are counted and summed together (every EXECVE
    // field's key goes through here).
    let mut value = 0u32;
    let mut n = 0;
    for &b in src {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        value = value.checked_mul(10)?.checked_add(u32::from(digit))?;
        n += 1;
    }
    if n == 0 {
        return None;
    }
    Some((value, src.get(n..)?))
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
            b"a1[4294967296]",
            b"",
        ] {
            assert_eq!(ExecveArg::parse(key), None, "{:?}", key);
        }
    }
}

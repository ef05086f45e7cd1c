//! The lines of a buffer, each with its `\n` (a last one without, if the
//! bytes do not end with one), found with `memchr`: what
//! `split_inclusive(|&b| b == b'\n')` yields, at a few instructions per 32
//! bytes instead of a few per byte (an output taking lines one by one
//! spent more on finding them than on the rest of its own work).

/// The lines of `bytes` (see the module doc).
pub fn lines(bytes: &[u8]) -> Lines<'_> {
    Lines { rest: bytes }
}

/// See [`lines`].
pub struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', self.rest).map_or(self.rest.len(), |at| at + 1);
        let (line, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_lines_as_split_inclusive() {
        let cases: [&[u8]; 7] = [
            b"",
            b"\n",
            b"a\n",
            b"a\nbc\n",
            b"a\nbc",
            b"\n\n\nx",
            &[b'y'; 1000],
        ];
        for bytes in cases {
            let expected: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
            assert_eq!(lines(bytes).collect::<Vec<_>>(), expected, "{bytes:?}");
        }
        let long: Vec<u8> = (0..5000)
            .map(|i| if i % 97 == 0 { b'\n' } else { b'z' })
            .collect();
        let expected: Vec<&[u8]> = long.split_inclusive(|&b| b == b'\n').collect();
        assert_eq!(lines(&long).collect::<Vec<_>>(), expected);
    }
}

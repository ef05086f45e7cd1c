//! The keys of a record type in the order the kernel writes them
//! ([`Layout`]): a field whose key is the one expected next (or a later
//! one) is told by one masked compare of sixteen bytes, not read up to
//! its `=` and matched by name, and its member's head (`,"key":"`) is a
//! constant stored whole ([`Head`], `Cursor::push_headed`), not copied
//! and checked for escapes. A field in no expected place is read as any
//! other (the caller's parse): the layout only makes the usual record
//! cheaper, never changes what is read.

/// A member's head `,"key":"` (at most sixteen bytes) for a key of plain
/// bytes, padded so that sixteen bytes can be stored from its first or
/// second byte.
#[derive(Clone, Copy)]
pub(crate) struct Head {
    pub(crate) bytes: [u8; 18],
    pub(crate) len: usize,
}

impl Head {
    /// The head of `key` (plain, at most 11 bytes: a const assertion in
    /// [`Layout::new`] says so).
    const fn of(key: &[u8]) -> Head {
        let mut bytes = [0u8; 18];
        bytes[0] = b',';
        bytes[1] = b'"';
        let mut i = 0;
        while i < key.len() {
            bytes[2 + i] = key[i];
            i += 1;
        }
        bytes[2 + i] = b'"';
        bytes[3 + i] = b':';
        bytes[4 + i] = b'"';
        Head {
            bytes,
            len: key.len() + 5,
        }
    }
}

/// One expected key: its bytes and `=` as a masked word, and its head.
#[derive(Clone, Copy)]
pub(crate) struct Expected {
    pub(crate) key: &'static [u8],
    want: u128,
    mask: u128,
    /// The key and its `=`.
    pub(crate) len: usize,
    pub(crate) head: Head,
}

/// A record type's keys, in order.
pub(crate) struct Layout<const N: usize> {
    keys: [Expected; N],
}

impl<const N: usize> Layout<N> {
    /// The layout of `keys`: each plain (printable ASCII but `"`, `\`,
    /// `=` and space) and at most 11 bytes (its head, at most sixteen
    /// bytes, is stored whole); checked when built (at compile time).
    pub(crate) const fn new(keys: [&'static [u8]; N]) -> Layout<N> {
        let mut out = [Expected {
            key: b"",
            want: 0,
            mask: 0,
            len: 0,
            head: Head {
                bytes: [0; 18],
                len: 0,
            },
        }; N];
        let mut k = 0;
        while k < N {
            let key = keys[k];
            assert!(!key.is_empty() && key.len() <= 11);
            let (mut want, mut mask) = (0u128, 0u128);
            let mut i = 0;
            while i <= key.len() {
                let b = if i < key.len() { key[i] } else { b'=' };
                assert!(
                    i == key.len()
                        || (b > b' ' && b < 0x7f && b != b'"' && b != b'\\' && b != b'=')
                );
                want |= (b as u128) << (8 * i);
                mask |= 0xFF << (8 * i);
                i += 1;
            }
            out[k] = Expected {
                key,
                want,
                mask,
                len: key.len() + 1,
                head: Head::of(key),
            };
            k += 1;
        }
        Layout { keys: out }
    }

    /// The first key from the `from`th on with which (and `=`) `body`
    /// continues at `at`, and its place in the layout.
    #[inline(always)]
    pub(crate) fn find(&self, body: &[u8], at: usize, from: usize) -> Option<(usize, &Expected)> {
        let word = sixteen(body, at);
        let rest = self.keys.get(from..)?;
        let i = rest.iter().position(|e| word & e.mask == e.want)?;
        Some((from + i, rest.get(i)?))
    }
}

/// The sixteen bytes of `body` from `at`, little-endian; zero past its
/// end (never part of a match: every expected byte is not zero).
#[inline(always)]
fn sixteen(body: &[u8], at: usize) -> u128 {
    let rest = body.get(at..).unwrap_or_default();
    if let Some(w) = rest.first_chunk::<16>() {
        return u128::from_le_bytes(*w);
    }
    let mut w = [0u8; 16];
    for (d, s) in w.iter_mut().zip(rest) {
        *d = *s;
    }
    u128::from_le_bytes(w)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const KEYS: Layout<4> = Layout::new([b"item", b"name", b"cap_frootid", b"a"]);

    #[test]
    fn keys_are_found_with_their_equals_sign() {
        let body = b"item=0 name=\"x\" cap_frootid=0 a=";
        assert_eq!(KEYS.find(body, 0, 0).map(|(i, _)| i), Some(0));
        assert_eq!(KEYS.find(body, 7, 0).map(|(i, _)| i), Some(1));
        assert!(
            KEYS.find(body, 7, 2).is_none(),
            "only from the given place on"
        );
        assert_eq!(
            KEYS.find(body, 16, 1).map(|(i, e)| (i, e.len)),
            Some((2, 12))
        );
        assert_eq!(KEYS.find(body, 30, 0).map(|(i, _)| i), Some(3));
        // Not a prefix of a longer key, nor without `=`.
        assert_eq!(KEYS.find(b"items=1", 0, 0).map(|(i, _)| i), None);
        assert_eq!(KEYS.find(b"item", 0, 0).map(|(i, _)| i), None);
        assert_eq!(KEYS.find(b"ab=1", 0, 0).map(|(i, _)| i), None);
        assert_eq!(KEYS.find(body, 99, 0).map(|(i, _)| i), None);
    }

    #[test]
    fn heads_are_the_members_start() {
        let (_, e) = KEYS.find(b"cap_frootid=0", 0, 0).unwrap();
        assert_eq!(&e.head.bytes[..e.head.len], b",\"cap_frootid\":\"");
        assert_eq!(e.key, b"cap_frootid");
    }
}

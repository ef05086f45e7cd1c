//! The keys of a record type in the order the kernel writes them
//! ([`Layout`]): a field whose key is the one expected next (or a later
//! one) is told by one masked compare of sixteen bytes, not read up to
//! its `=` and matched by name, and its member's head (`,"key":"`) is a
//! constant stored whole ([`Head`], `Cursor::push_headed`), not copied
//! and checked for escapes. A field in no expected place is read as any
//! other (the caller's parse): the layout only makes the usual record
//! cheaper, never changes what is read.

use super::structured::value::is_hex_field;

/// A member's head `,"key":"` (at most sixteen bytes) for a key of plain
/// bytes: with its comma and without (the first member), each padded to
/// sixteen bytes, stored whole; and whether the key's values are hex to
/// decode when they look it ([`is_hex_field`], known when built).
#[derive(Clone, Copy)]
pub(crate) struct Head {
    pub(crate) comma: [u8; 16],
    pub(crate) bare: [u8; 16],
    /// The length with the comma.
    pub(crate) len: usize,
    pub(crate) hex: bool,
}

impl Head {
    /// The head of `key` (plain, at most 11 bytes: a const assertion in
    /// [`Layout::new`] says so).
    const fn of(key: &[u8]) -> Head {
        let mut comma = [0u8; 16];
        let mut bare = [0u8; 16];
        comma[0] = b',';
        let mut i = 0;
        while i < key.len() + 4 {
            let b = if i == 0 {
                b'"'
            } else if i <= key.len() {
                key[i - 1]
            } else {
                [b'"', b':', b'"'][i - key.len() - 1]
            };
            comma[i + 1] = b;
            bare[i] = b;
            i += 1;
        }
        Head {
            comma,
            bare,
            len: key.len() + 5,
            hex: is_hex_field(key),
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
                comma: [0; 16],
                bare: [0; 16],
                len: 0,
                hex: false,
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

    /// The first key from the `from`th on with which (and `=`) `rest`
    /// starts, and its place in the layout.
    #[inline(always)]
    pub(crate) fn find(&self, rest: &[u8], from: usize) -> Option<(usize, &Expected)> {
        let word = sixteen(rest);
        let keys = self.keys.get(from..)?;
        let i = keys.iter().position(|e| word & e.mask == e.want)?;
        Some((from + i, keys.get(i)?))
    }
}

/// The first sixteen bytes of `rest`, little-endian; zero past its end
/// (never part of a match: every expected byte is not zero).
#[inline(always)]
fn sixteen(rest: &[u8]) -> u128 {
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
        assert_eq!(KEYS.find(&body[0..], 0).map(|(i, _)| i), Some(0));
        assert_eq!(KEYS.find(&body[7..], 0).map(|(i, _)| i), Some(1));
        assert!(
            KEYS.find(&body[7..], 2).is_none(),
            "only from the given place on"
        );
        assert_eq!(
            KEYS.find(&body[16..], 1).map(|(i, e)| (i, e.len)),
            Some((2, 12))
        );
        assert_eq!(KEYS.find(&body[30..], 0).map(|(i, _)| i), Some(3));
        // Not a prefix of a longer key, nor without `=`.
        assert_eq!(KEYS.find(b"items=1", 0).map(|(i, _)| i), None);
        assert_eq!(KEYS.find(b"item", 0).map(|(i, _)| i), None);
        assert_eq!(KEYS.find(b"ab=1", 0).map(|(i, _)| i), None);
        assert_eq!(KEYS.find(b"", 0).map(|(i, _)| i), None);
    }

    #[test]
    fn heads_are_the_members_start() {
        let (_, e) = KEYS.find(b"cap_frootid=0", 0).unwrap();
        assert_eq!(&e.head.comma[..e.head.len], b",\"cap_frootid\":\"");
        assert_eq!(&e.head.bare[..e.head.len - 1], b"\"cap_frootid\":\"");
        assert!(!e.head.hex);
        let (_, name) = KEYS.find(b"name=x", 0).unwrap();
        assert!(name.head.hex);
        assert_eq!(e.key, b"cap_frootid");
    }
}

//! The keys of a record type in the order the kernel writes them
//! ([`Layout`]): a field whose key is the one expected next (or a later
//! one) is told by one masked compare of sixteen bytes, not read up to
//! its `=` and matched by name, and its member's head (`,"key":"`) is a
//! constant stored whole ([`Head`], `Cursor::push_headed`), not copied
//! and checked for escapes. A field in no expected place is read as any
//! other (the caller's parse): the layout only makes the usual record
//! cheaper, never changes what is read.

use super::cursor::Cursor;
use super::structured::value::is_hex_field;
use super::text::look_marks;
use crate::record::prefix::{first_space, key_pattern, word};

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
            let (want, mask) = key_pattern(key, 11);
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

    /// The `i`th key, when there is one.
    #[inline(always)]
    pub(crate) fn expected(&self, i: usize) -> Option<&Expected> {
        self.keys.get(i)
    }

    /// Whether the `i`th key is `key` (for compile-time checks of a
    /// place).
    pub(crate) const fn key_is(&self, i: usize, key: &[u8]) -> bool {
        if i >= N || self.keys[i].key.len() != key.len() {
            return false;
        }
        let mut j = 0;
        while j < key.len() {
            if self.keys[i].key[j] != key[j] {
                return false;
            }
            j += 1;
        }
        true
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

/// Writes the member of a field whose key's head is `head` and whose
/// value starts `after` (what follows the key's `=`), when that value is
/// bare, plain and short: its text, to the next space or the end, at
/// most fifteen bytes (sixteen at the end), needs no escaping, is not
/// `?` or `(null)` (left out), does not start with a quote (a quoted
/// value), and the key's values are not hex to decode. Then the member
/// is what `Members::headed` (ECS) writes for the `Value` the grammar
/// reads there, written with two stores and one look at sixteen bytes,
/// and the answer is the value's length (`after` from there on is the
/// rest of the body); otherwise (or when the room is short of the
/// sixteen-byte stores) nothing is written and the answer is `None`:
/// the caller reads the field as before.
#[inline(always)]
pub(crate) fn push_short_bare(
    c: &mut Cursor<'_>,
    first: bool,
    head: &Head,
    after: &[u8],
) -> Option<usize> {
    if head.hex {
        return None;
    }
    let (lo, hi) = spaced_sixteen(after);
    let end = first_space(lo, hi)?;
    // The bytes before `end`: none may need escaping (the marks are
    // exact up to the first real one).
    let below = |n: usize| (1u64 << (8 * n.min(7))).wrapping_sub(1);
    let (m_lo, m_hi) = if end >= 8 {
        (u64::MAX, below(end - 8))
    } else {
        (below(end), 0)
    };
    if (look_marks(lo) & m_lo) | (look_marks(hi) & m_hi) != 0 {
        return None;
    }
    const NULL: u64 = u64::from_le_bytes(*b"(null)\0\0");
    match lo as u8 {
        b'\'' => return None,
        b'?' if end == 1 => return None,
        b'(' if end == 6 && lo & 0xFFFF_FFFF_FFFF == NULL => return None,
        _ => {}
    }
    let (stored, text_at) = if first {
        (&head.bare, head.len - 1)
    } else {
        (&head.comma, head.len)
    };
    // (`text_at` is at most sixteen: the window holds both stores.)
    let window = c.spare(text_at + 16)?;
    *window.first_chunk_mut::<16>()? = *stored;
    let text = window.get_mut(text_at..)?;
    let (t_lo, t_hi) = text.split_at_mut_checked(8)?;
    *t_lo.first_chunk_mut::<8>()? = lo.to_le_bytes();
    *t_hi.first_chunk_mut::<8>()? = hi.to_le_bytes();
    *text.get_mut(end)? = b'"';
    c.advance(text_at + end + 1);
    Some(end)
}

/// The first sixteen bytes of `rest` as two little-endian words, spaces
/// past its end (where a bare value ends too).
#[inline(always)]
fn spaced_sixteen(rest: &[u8]) -> (u64, u64) {
    match rest.first_chunk::<16>() {
        Some(sixteen) => {
            let (lo, hi) = sixteen.split_at(8);
            (word(lo), word(hi))
        }
        None => spaced_short(rest),
    }
}

/// [`spaced_sixteen`] of fewer than sixteen bytes (a body's last
/// field).
#[cold]
#[inline(never)]
fn spaced_short(rest: &[u8]) -> (u64, u64) {
    let mut w = [b' '; 16];
    for (d, s) in w.iter_mut().zip(rest) {
        *d = *s;
    }
    let (lo, hi) = w.split_at(8);
    (word(lo), word(hi))
}

impl Expected {
    /// `rest` starts with this key and its `=`.
    #[inline(always)]
    pub(crate) fn starts(&self, rest: &[u8]) -> bool {
        sixteen(rest) & self.mask == self.want
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

//! Runs of short bare fields read by their places ([`Run`]): the kernel
//! writes a SYSCALL record's `arch`, `syscall`, `success`, `exit`, the
//! four arguments, `items`, the ids, `tty` and `ses` in one order
//! (`audit_log_exit`, `audit_log_task_info`: [`SYSCALL`]), and a PATH
//! record's inode fields (`audit_log_name`), each a short bare value. A
//! run is read by its places (each key and its `=` told by one masked
//! compare of eight bytes, its value's end by one look at sixteen bytes),
//! as the grammar ([`Fields`](crate::record::Fields)) reads it; a record
//! laid out otherwise (another key, `per=`, two spaces, a quoted or long
//! value) is not read by the run at all: the caller reads it field by
//! field, as before. The ECS writer's facts and paths read their records
//! so, and the daemon the SYSCALL record's facts it puts beside a line
//! for GELF and OTLP.

use crate::record::fields::bare;
use crate::record::Value;

/// A run of fields in the kernel's order, each key at most seven bytes.
pub struct Run<const N: usize> {
    keys: [&'static [u8]; N],
    /// Each key and its `=` as a little-endian word, the mask of its
    /// bytes and their number.
    words: [(u64, u64, usize); N],
}

impl<const N: usize> Run<N> {
    /// The run of `keys` (each plain and at most seven bytes: checked
    /// when built, at compile time).
    pub(crate) const fn new(keys: [&'static [u8]; N]) -> Run<N> {
        let mut words = [(0, 0, 0); N];
        let mut k = 0;
        while k < N {
            let (want, mask) = key_pattern(keys[k], 7);
            // (Seven bytes and the `=`: the pattern fits a word.)
            words[k] = (want as u64, mask as u64, keys[k].len() + 1);
            k += 1;
        }
        Run { keys, words }
    }

    /// The place of `key` in the run; `N` (no place) for another key.
    pub const fn at(&self, key: &[u8]) -> usize {
        let mut i = 0;
        while i < N {
            if eq(self.keys[i], key) {
                return i;
            }
            i += 1;
        }
        N
    }

    /// The run's values at the start of `body`, in its order, as the
    /// grammar reads them, and the rest of the body after the space
    /// that ends the last; `None` when the body does not start with the
    /// run laid out as the kernel writes it: each key in its place right
    /// after one space (the first at the start), each value bare (not
    /// starting with a quote) and at most fifteen bytes before its space
    /// (`short_bare`).
    #[inline(always)]
    pub fn read<'b>(&self, body: &'b [u8]) -> Option<([Value<'b>; N], &'b [u8])> {
        let mut values = [Value::Absent; N];
        let rest = self.read_into(body, &mut values)?;
        Some((values, rest))
    }

    /// [`read`](Self::read) into the caller's `values` (not moved about
    /// when many): the rest of the body, or `None` (and some of `values`
    /// overwritten).
    #[inline(always)]
    pub fn read_into<'b>(&self, body: &'b [u8], values: &mut [Value<'b>; N]) -> Option<&'b [u8]> {
        let mut rest = body;
        for (value, &(want, mask, len)) in values.iter_mut().zip(&self.words) {
            if word(rest.first_chunk::<8>()?) & mask != want {
                return None;
            }
            let (found, tail) = short_bare(rest.get(len..)?)?;
            *value = found;
            rest = tail;
        }
        Some(rest)
    }
}

/// `a == b`, at compile time.
pub(crate) const fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// How many fields [`SYSCALL`] has.
pub const SYSCALL_LEN: usize = 22;

/// A SYSCALL record's prefix, in the kernel's order.
pub const SYSCALL: Run<SYSCALL_LEN> = Run::new([
    b"arch", b"syscall", b"success", b"exit", b"a0", b"a1", b"a2", b"a3", b"items", b"ppid",
    b"pid", b"auid", b"uid", b"gid", b"euid", b"suid", b"fsuid", b"egid", b"sgid", b"fsgid",
    b"tty", b"ses",
]);

/// `key` and its `=` as little-endian bytes, and the mask of those
/// bytes: a field starts with the key when its first bytes, masked, are
/// the pattern. The key must be plain (printable ASCII but `"`, `\\`,
/// `=` and space) and at most `max` bytes (at most fifteen): checked when
/// built, at compile time.
pub(crate) const fn key_pattern(key: &[u8], max: usize) -> (u128, u128) {
    assert!(!key.is_empty() && key.len() <= max && max < 16);
    let (mut want, mut mask) = (0u128, 0u128);
    let mut i = 0;
    while i <= key.len() {
        let b = if i < key.len() { key[i] } else { b'=' };
        assert!(i == key.len() || (b > b' ' && b < 0x7f && b != b'"' && b != b'\\' && b != b'='));
        want |= (b as u128) << (8 * i);
        mask |= 0xFF << (8 * i);
        i += 1;
    }
    (want, mask)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;
const SPACES: u64 = ONES * 0x20;

/// Where the first space is in the sixteen bytes `lo` and `hi` (two
/// little-endian words), `None` when there is none (exact: a borrow
/// only carries up from a match).
#[inline(always)]
pub(crate) fn first_space(lo: u64, hi: u64) -> Option<usize> {
    let space = |x: u64| {
        let v = x ^ SPACES;
        v.wrapping_sub(ONES) & !v & HIGH
    };
    let (s_lo, s_hi) = (space(lo), space(hi));
    if s_lo != 0 {
        Some((s_lo.trailing_zeros() / 8) as usize)
    } else if s_hi != 0 {
        Some(8 + (s_hi.trailing_zeros() / 8) as usize)
    } else {
        None
    }
}

/// The value that starts `after` (what follows a key's `=`), as the
/// grammar reads it, and the rest after the one space that ends it, when
/// it is bare (not starting with a quote), at most fifteen bytes, with
/// sixteen bytes or more to read: found by one look at sixteen bytes.
/// `None` for any other.
#[inline(always)]
pub(crate) fn short_bare(after: &[u8]) -> Option<(Value<'_>, &[u8])> {
    let sixteen = after.first_chunk::<16>()?;
    let (lo, hi) = sixteen.split_at(8);
    let (lo, hi) = (word(lo), word(hi));
    let end = first_space(lo, hi)?;
    if matches!(lo as u8, b'"' | b'\'') {
        return None;
    }
    let (text, tail) = after.split_at_checked(end)?;
    // (`tail` starts with the space.)
    Some((bare(text), tail.get(1..)?))
}

/// Eight bytes, little-endian.
#[inline(always)]
pub(crate) fn word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    extern crate std;

    use super::*;
    use crate::record::Fields;

    /// What the grammar reads: the first `LEN` fields, when they are the
    /// prefix's keys in order.
    fn reference(body: &[u8]) -> Option<std::vec::Vec<Value<'_>>> {
        let fields: std::vec::Vec<_> = Fields::new(body).take(SYSCALL_LEN).collect();
        let keys: std::vec::Vec<&[u8]> = fields.iter().map(|f| f.key).collect();
        (keys == SYSCALL.keys).then(|| fields.iter().map(|f| f.value).collect())
    }

    fn check(body: &[u8]) {
        if let Some((values, rest)) = SYSCALL.read(body) {
            let want = reference(body);
            assert_eq!(
                Some(values.to_vec()),
                want,
                "{:?}",
                std::string::String::from_utf8_lossy(body)
            );
            // The rest is what the grammar has not read yet.
            let mut fields = Fields::new(body);
            for _ in 0..SYSCALL_LEN {
                fields.next();
            }
            let left: std::vec::Vec<_> = fields.collect();
            let again: std::vec::Vec<_> = Fields::new(rest).collect();
            assert_eq!(left, again);
        }
    }

    pub(crate) const KERNEL: &[u8] = b"arch=c000003e syscall=59 success=yes exit=0 a0=55d0c1f0 a1=7ffe978ce550 \
        a2=c a3=10 items=2 ppid=18880 pid=18882 auid=4294967295 uid=0 gid=0 euid=0 suid=0 \
        fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"ls\" exe=\"/usr/bin/ls\" key=(null)";

    #[test]
    fn a_kernel_record_is_read() {
        let (values, rest) = SYSCALL.read(KERNEL).unwrap();
        assert_eq!(values[SYSCALL.at(b"arch")], Value::Bare(b"c000003e"));
        assert_eq!(values[SYSCALL.at(b"a1")], Value::Bare(b"7ffe978ce550"));
        assert_eq!(values[SYSCALL.at(b"tty")], Value::NoneLiteral);
        assert_eq!(values[SYSCALL.at(b"ses")], Value::Bare(b"4294967295"));
        assert!(rest.starts_with(b"comm=\"ls\""));
        check(KERNEL);
    }

    #[test]
    fn other_layouts_are_not() {
        // Another key, two spaces, a value too long, a quoted value.
        for (from, to) in [
            ("success", "per=400000 success"),
            ("a3=10 ", "a3=10  "),
            ("a1=7ffe978ce550", "a1=ffffffff7ffe978ce550"),
            ("tty=(none)", "tty=\"x\""),
        ] {
            let edited = std::str::from_utf8(KERNEL).unwrap().replace(from, to);
            assert!(SYSCALL.read(edited.as_bytes()).is_none(), "{to}");
        }
        assert!(SYSCALL.read(&KERNEL[1..]).is_none());
        assert!(SYSCALL.read(&KERNEL[..100]).is_none());
    }

    proptest::proptest! {
        /// Where it reads a body, it reads what the grammar does: the
        /// kernel's record with its fields' values, separators and keys
        /// changed at random (repeated, missing, out of order, quoted,
        /// long, markers, odd bytes).
        #[test]
        fn read_agrees_with_the_grammar(
            edits in proptest::collection::vec(
                (
                    0usize..SYSCALL_LEN,
                    proptest::sample::select(&[
                        "", "0", "?", "(null)", "(none)", "\"q\"", "'q'", "a=b", "a\"b",
                        "123456789012345", "1234567890123456", "\u{e9}", "\u{1}x",
                    ][..]),
                    proptest::sample::select(&[" ", "  ", "", " x=1 "][..]),
                    proptest::sample::select(&["", "arch", "uid", "a0", "exit", "ses", "tty"][..]),
                ),
                0..6,
            ),
        ) {
            check(edited(&edits).as_bytes());
        }
    }

    /// The kernel's record (the prefix's values `1`, `arch` x86_64's,
    /// `syscall` 59) with the `(place, value, separator after, key)`
    /// edits made.
    pub(crate) fn edited(edits: &[(usize, &str, &str, &str)]) -> std::string::String {
        let prefix: std::vec::Vec<std::string::String> = SYSCALL
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let value = ["c000003e", "59"].get(i).copied().unwrap_or("1");
                std::format!("{}={value}", std::str::from_utf8(k).unwrap())
            })
            .collect();
        let mut body = edit_record(&prefix.join(" "), "=", edits);
        body.push_str("comm=\"ls\" exe=\"/usr/bin/ls\" key=(null)");
        body
    }

    /// `kernel` (`key=value` fields, one space apart) with the `(place,
    /// value, separator after, key)` edits made: an edited value is
    /// written after `equals` (`=`, or nothing for values that bring
    /// their own), every field is followed by its separator (one space
    /// unless edited). The record the layout readers' property tests
    /// edit at random.
    pub(crate) fn edit_record(
        kernel: &str,
        equals: &str,
        edits: &[(usize, &str, &str, &str)],
    ) -> std::string::String {
        let mut fields: std::vec::Vec<(
            std::string::String,
            std::string::String,
            std::string::String,
        )> = kernel
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(|t| {
                let (k, v) = t.split_once('=').unwrap();
                (k.into(), std::format!("={v}"), " ".into())
            })
            .collect();
        for &(i, value, sep, key) in edits {
            fields[i].1 = std::format!("{equals}{value}");
            fields[i].2 = sep.into();
            if !key.is_empty() {
                fields[i].0 = key.into();
            }
        }
        fields
            .iter()
            .map(|(k, v, s)| std::format!("{k}{v}{s}"))
            .collect()
    }
}

//! A record body's fields copied as JSON members while they are read
//! ([`copy_fields`]): the body is read eight bytes at a time, each word
//! stored at once into the output and looked at for the byte that ends
//! the part (`=`, a space, a closing quote) or needs more than a copy (a
//! quote, a backslash, a control byte, anything not ASCII). One look at
//! each byte, not a parse, then a check for escapes, then a copy.
//!
//! Only what the kernel writes is taken this way: a plain key, `=`, and a
//! plain bare value or a closed double-quoted one. Any other field (a
//! token without `=`, a single quote, an unclosed quote, anything to
//! escape, too little room for a word) stops the copy there: the caller
//! reads that field with [`Fields`](crate::record::Fields) and writes it
//! as before. What is copied is the field `Fields` reads at the same
//! place, written as `Cursor::push_member` writes it (a test holds them
//! together). Never panics; writes only into the window it is given.

use super::structured::value::is_hex_field;
use super::text::look_marks;
use crate::record::{looks_hex, Value};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Where a run of [`copy_fields`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Run {
    /// The body's end, or the start of the field the caller writes.
    pub at: usize,
    /// Bytes written into the window.
    pub len: usize,
    /// Whether the next member is still the first.
    pub first: bool,
}

/// Writes the fields of `body` from `at` into `window` as members
/// (`,"key":"text"`, no comma before the first when `first`) as long as
/// each is in the kernel's plain form ([`scan_member`]) and the window
/// has room, markers `?` and `(null)` left out. Stops at the end of the
/// body or at the start of a field it does not write: one not in that
/// form, one whose value is hex to decode ([`is_hex_field`] and
/// [`looks_hex`]). Its own function, so that its loop keeps its state in
/// registers.
#[inline(never)]
pub(crate) fn copy_fields(body: &[u8], mut at: usize, window: &mut [u8], mut first: bool) -> Run {
    let mut len = 0;
    loop {
        while body.get(at) == Some(&b' ') {
            at += 1;
        }
        let stop = Run { at, len, first };
        if at >= body.len() {
            return stop;
        }
        let Some(m) = window
            .get_mut(len..)
            .and_then(|w| scan_member(w, first, body, at))
        else {
            return stop;
        };
        let write = match m.value {
            Value::Null | Value::Unknown | Value::Absent => false,
            Value::Bare(text) if maybe_hex(text) && is_hex_field(m.key) && looks_hex(text) => {
                return stop;
            }
            _ => true,
        };
        if write {
            len += m.len;
            first = false;
        }
        at = m.next;
    }
}

/// A cheap first test of [`looks_hex`]: not empty, even, starting with
/// an upper-case hex digit.
#[inline(always)]
pub(crate) fn maybe_hex(text: &[u8]) -> bool {
    text.len() & 1 == 0 && matches!(text.first(), Some(b'0'..=b'9' | b'A'..=b'F'))
}

/// A field read and its member written (not yet counted as written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Scanned<'a> {
    key: &'a [u8],
    /// Bare (markers as [`Value`]'s: `(null)`, `?`, `(none)`) or double-quoted.
    value: Value<'a>,
    /// Where the rest of the body starts (after the value).
    next: usize,
    /// The member's length in the window: `,"key":"text"` (no comma when
    /// first).
    len: usize,
}

/// The field of `body` starting at `start` (not a space), written as
/// `,"key":"text"` (no comma when `first`) at the start of `window`,
/// when it is in the kernel's plain form and the window has room for
/// whole words; `None` otherwise (the window then holds garbage).
#[inline(always)]
fn scan_member<'a>(
    window: &mut [u8],
    first: bool,
    body: &'a [u8],
    start: usize,
) -> Option<Scanned<'a>> {
    let head = if first { 1 } else { 2 };
    *window.first_chunk_mut::<2>()? = [if first { b'"' } else { b',' }, b'"'];
    // The key: to its `=`.
    let eq = copy_until(body, start, window, head, key_stop)?;
    if body.get(eq) != Some(&b'=') {
        return None;
    }
    let key = body.get(start..eq)?;
    let colon = head + key.len();
    *window.get_mut(colon..)?.first_chunk_mut::<3>()? = *b"\":\"";
    let text_at = colon + 3;
    let from = eq + 1;
    if body.get(from) == Some(&b'"') {
        // To the closing quote (where `Fields` ends the value too).
        let close = copy_until(body, from + 1, window, text_at, look_marks)?;
        if body.get(close) != Some(&b'"') {
            return None;
        }
        let text = body.get(from + 1..close)?;
        let end = text_at + text.len();
        *window.get_mut(end)? = b'"';
        return Some(Scanned {
            key,
            value: Value::DoubleQuoted(text),
            next: close + 1,
            len: end + 1,
        });
    }
    if body.get(from) == Some(&b'\'') {
        return None;
    }
    // Bare: to the next space or the end.
    let stop = copy_until(body, from, window, text_at, bare_stop)?;
    if !matches!(body.get(stop), None | Some(b' ')) {
        return None;
    }
    let text = body.get(from..stop)?;
    let end = text_at + text.len();
    *window.get_mut(end)? = b'"';
    let value = match text {
        b"(null)" => Value::Null,
        b"?" => Value::Unknown,
        b"(none)" => Value::NoneLiteral,
        _ => Value::Bare(text),
    };
    Some(Scanned {
        key,
        value,
        next: stop,
        len: end + 1,
    })
}

/// The bytes a key stops at: `=`, a space, or one [`look_marks`] marks.
#[inline(always)]
fn key_stop(x: u64) -> u64 {
    look_marks(x) | zero_bytes(x ^ (ONES * u64::from(b'='))) | zero_bytes(x ^ (ONES * 0x20))
}

/// The bytes a bare value stops at: a space, or one [`look_marks`] marks.
#[inline(always)]
fn bare_stop(x: u64) -> u64 {
    look_marks(x) | zero_bytes(x ^ (ONES * 0x20))
}

/// The high bit of each zero byte (exact up to the lowest).
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGH
}

/// Copies `src` from `from` into `dst` from `to`, a word at a time, up to
/// the first byte `stop` marks (a byte past the end reads as NUL, which
/// [`look_marks`] and so every `stop` marks); returns where that byte is
/// in `src` (its length at the end), or `None` when `dst` has no room for
/// a word.
#[inline(always)]
fn copy_until(
    src: &[u8],
    mut from: usize,
    dst: &mut [u8],
    mut to: usize,
    stop: impl Fn(u64) -> u64,
) -> Option<usize> {
    loop {
        let x = word(src, from);
        *dst.get_mut(to..)?.first_chunk_mut::<8>()? = x.to_le_bytes();
        let marks = stop(x);
        if marks != 0 {
            let at = from + (marks.trailing_zeros() / 8) as usize;
            return Some(at.min(src.len()));
        }
        from += 8;
        to += 8;
    }
}

/// The eight bytes of `src` from `at`, little-endian; NUL past its end.
#[inline(always)]
fn word(src: &[u8], at: usize) -> u64 {
    let rest = src.get(at..).unwrap_or_default();
    if let Some(eight) = rest.first_chunk::<8>() {
        return u64::from_le_bytes(*eight);
    }
    let mut eight = [0u8; 8];
    for (d, s) in eight.iter_mut().zip(rest) {
        *d = *s;
    }
    u64::from_le_bytes(eight)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    extern crate std;

    use super::*;
    use crate::encode::cursor::{Cursor, Full};
    use crate::record::{Field, Fields};

    /// A field as the ECS members write it: markers left out, hex
    /// decoded (here: marked), else `push_member`.
    fn member(c: &mut Cursor<'_>, first: &mut bool, f: Field<'_>) -> Result<(), Full> {
        if matches!(f.value, Value::Null | Value::Unknown | Value::Absent) {
            return Ok(());
        }
        let was = core::mem::replace(first, false);
        match f.value {
            Value::Bare(t) if is_hex_field(f.key) && looks_hex(t) => {
                c.push_key(was, f.key)?;
                c.push(b"HEX")
            }
            v => c.push_member(was, f.key, v.text()),
        }
    }

    /// The body copied where it can be, else field by field; or (`fast`
    /// false) field by field only.
    fn write(body: &[u8], room: usize, fast: bool) -> (Result<(), Full>, std::vec::Vec<u8>) {
        let mut out = std::vec![0u8; room];
        let mut c = Cursor::new(&mut out);
        let mut first = true;
        let mut at = 0;
        let result = (|| loop {
            if fast {
                let run = copy_fields(body, at, c.spare(), first);
                c.commit(run.len);
                first = run.first;
                at = run.at;
            }
            let mut fields = Fields::new(&body[at..]);
            let Some(f) = fields.next() else {
                return Ok(());
            };
            at = body.len() - fields.remainder().len();
            member(&mut c, &mut first, f)?;
        })();
        let len = c.pos();
        out.truncate(len);
        (result, out)
    }

    fn check(body: &[u8]) {
        for room in [0, 3, 8, 17, 40, 64, 100, 4 * body.len() + 64] {
            let (want_ok, want) = write(body, room, false);
            let (ok, got) = write(body, room, true);
            assert_eq!(ok, want_ok, "{body:?} in {room}");
            if ok.is_ok() {
                assert_eq!(got, want, "{body:?} in {room}");
            }
        }
    }

    #[test]
    fn kernel_fields() {
        check(
            b"item=0 name=\"/usr/bin/a long name\" inode=19 dev=fe:00 mode=040755 ouid=0 \
            rdev=00:00 nametype=NORMAL cap_fp=0 key=(null) h=? tty=(none) e= name=2F62696E \
            x=\"\" a==b so=1 end=1",
        );
        check(b"a=b");
        check(b"a=");
        check(b"=x  y=\"z\"w  ");
        check(b"a=\"open b=1");
        check(b"word a=1 b=\"x=y z\" c='q r' d=e\"f g=1");
    }

    #[test]
    fn fields_to_escape_are_left_to_the_caller() {
        check(b"a=b\\c d=1 e=\x01 f=\xc3\xa9 g=\"x\\y\" h=1");
        check(b"k\"=1 a=b\"c i=2");
    }

    proptest::proptest! {
        #[test]
        fn copied_fields_are_the_fields_written_one_by_one(
            body in proptest::collection::vec(
                proptest::prop_oneof![
                    4 => proptest::sample::select(&b"  ==\"'abcosx01()?AF"[..]),
                    1 => proptest::num::u8::ANY,
                ],
                0..200,
            ),
        ) {
            check(&body);
        }
    }
}

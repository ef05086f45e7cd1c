//! The zero-copy `key=value` iterator over a record body.
//!
//! Grammar, as the kernel and user-space writers produce it: fields are
//! separated by one or more spaces; a value is bare (`a=b`, which includes
//! the kernel's unquoted hex encoding such as `proctitle=2F62696E`),
//! double-quoted (`exe="/usr/bin/ls"`), single-quoted (the nested
//! `msg='op=… res=success'` of user-space records), or one of the markers
//! `(null)`, `?`, `(none)`. Tokens without `=` (the `avc:  denied  { read }
//! for` words of AVC records) are yielded with [`Value::Absent`], not
//! skipped, so nothing in the body is silently lost.
//!
//! The nested message of a user-space record is read as libauparse reads
//! it: `msg='` opens it and the record's **last** `'` closes it, so a `'`
//! in the text a user had logged (`auditctl -m "x' res=failed"`) cannot
//! close it early and add top-level fields. Inside it ([`Value::nested`])
//! there is no quoting by `'` (a value starting with one is bare), and
//! `text=` (how `auditctl -m` and libaudit's user messages carry the
//! caller's text) runs to the last ` exe=`, where libaudit's own fields
//! begin, or to the end: its spaces are kept and nothing in it becomes a
//! field.
//!
//! Guarantees: never panics, every step consumes at least one byte (so the
//! iterator ends on any input), and every slice borrows the body.
//! A quote that never closes takes the rest of the body as its value.

use super::hex::{decode_hex, looks_hex, HexError};

/// One `key=value` pair of a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'buf> {
    pub key: &'buf [u8],
    pub value: Value<'buf>,
}

/// A field's value, as written (nothing decoded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'buf> {
    /// Unquoted text up to the next space. May be hex-encoded: see
    /// [`Value::looks_hex`] and [`Value::decode_hex`].
    Bare(&'buf [u8]),
    /// The text between double quotes, quotes excluded.
    DoubleQuoted(&'buf [u8]),
    /// The text between single quotes, quotes excluded; iterate it with
    /// [`Value::nested`].
    SingleQuoted(&'buf [u8]),
    /// `(null)`: e.g. `key=(null)` when a syscall rule has no key.
    Null,
    /// `?`: unknown or not applicable (`hostname=?`).
    Unknown,
    /// `(none)`: e.g. `tty=(none)`.
    NoneLiteral,
    /// A token without `=`: the token is the [`Field::key`].
    Absent,
}

impl<'buf> Value<'buf> {
    /// The value's text without quotes; markers give their literal text
    /// (`(null)`, `?`, `(none)`), [`Value::Absent`] gives nothing.
    pub fn text(&self) -> &'buf [u8] {
        match *self {
            Value::Bare(t) | Value::DoubleQuoted(t) | Value::SingleQuoted(t) => t,
            Value::Null => b"(null)",
            Value::Unknown => b"?",
            Value::NoneLiteral => b"(none)",
            Value::Absent => b"",
        }
    }

    /// True for the double- and single-quoted forms.
    pub fn is_quoted(&self) -> bool {
        matches!(self, Value::DoubleQuoted(_) | Value::SingleQuoted(_))
    }

    /// The fields inside a single-quoted value (`msg='op=… res=success'`),
    /// read as a user message (see the module doc).
    pub fn nested(&self) -> Option<Fields<'buf>> {
        match *self {
            Value::SingleQuoted(t) => Some(Fields::user_message(t)),
            _ => None,
        }
    }

    /// True when the value is bare, non-empty, of even length and all
    /// upper-case hex digits, the way the kernel encodes untrusted strings.
    /// A heuristic: `a1=1234` is both a number and valid hex; which fields
    /// carry hex depends on the field name (`proctitle`, EXECVE `aN`, …).
    pub fn looks_hex(&self) -> bool {
        matches!(self, Value::Bare(t) if looks_hex(t))
    }

    /// Decodes a bare hex value into `out` and returns the decoded length.
    /// A value that is not bare decodes as an empty input (0 bytes).
    pub fn decode_hex(&self, out: &mut [u8]) -> Result<usize, HexError> {
        match *self {
            Value::Bare(t) => decode_hex(t, out),
            _ => Ok(0),
        }
    }
}

/// Iterator over the fields of a body (or of a nested `msg='…'`).
#[derive(Clone, Debug)]
pub struct Fields<'buf> {
    rest: &'buf [u8],
    /// Inside a user message: no `'` quoting, `text=` runs to ` exe=`.
    user_message: bool,
}

impl<'buf> Fields<'buf> {
    /// The fields of a record body.
    pub fn new(body: &'buf [u8]) -> Fields<'buf> {
        Fields {
            rest: body,
            user_message: false,
        }
    }

    /// The fields of the text inside a user-space record's `msg='…'`.
    pub fn user_message(text: &'buf [u8]) -> Fields<'buf> {
        Fields {
            rest: text,
            user_message: true,
        }
    }

    /// The bytes not yet consumed.
    pub fn remainder(&self) -> &'buf [u8] {
        self.rest
    }
}

impl<'buf> Iterator for Fields<'buf> {
    type Item = Field<'buf>;

    fn next(&mut self) -> Option<Field<'buf>> {
        self.next_inlined()
    }
}

impl<'buf> Fields<'buf> {
    /// [`next`](Iterator::next), inlined where it is called: for the
    /// one loop that reads most of an event's fields, where the call and
    /// the returned field cost a third of the parse.
    #[inline(always)]
    pub fn next_inlined(&mut self) -> Option<Field<'buf>> {
        // Fields are mostly one space apart.
        let start = match self.rest {
            [first, ..] if *first != b' ' => 0,
            [_, second, ..] if *second != b' ' => 1,
            _ => self.rest.iter().position(|&b| b != b' ')?,
        };
        // (`start` is inside `rest`, `stop` and `end` inside what they
        // index: the `?`s below never return.)
        let src = self.rest.get(start..)?;
        // The key ends at the first `=`; a space before it ends a token
        // without one.
        let stop = find_either(src, b'=', b' ').unwrap_or(src.len());
        let (key, rest) = src.split_at_checked(stop)?;
        let [b'=', after @ ..] = rest else {
            self.rest = rest;
            return Some(Field {
                key,
                value: Value::Absent,
            });
        };
        let (value, used) = match after.first() {
            _ if self.user_message && key == b"text" => {
                let end = memchr::memmem::rfind(after, b" exe=").unwrap_or(after.len());
                (Value::Bare(after.get(..end).unwrap_or_default()), end)
            }
            Some(b'"') => {
                // To the closing quote, else the end.
                let inner = after.get(1..)?;
                let (text, rest) = match find_byte(inner, b'"') {
                    Some(close) => {
                        let (text, quote) = inner.split_at_checked(close)?;
                        (text, quote.get(1..)?)
                    }
                    None => (inner, &[][..]),
                };
                self.rest = rest;
                return Some(Field {
                    key,
                    value: Value::DoubleQuoted(text),
                });
            }
            Some(b'\'') if !self.user_message && key == b"msg" => {
                quoted(after, |t| memchr::memrchr(b'\'', t), Value::SingleQuoted)
            }
            Some(b'\'') if !self.user_message => {
                quoted(after, single_quote_end, Value::SingleQuoted)
            }
            _ => {
                let end = find_byte(after, b' ').unwrap_or(after.len());
                let (text, rest) = after.split_at_checked(end)?;
                self.rest = rest;
                return Some(Field {
                    key,
                    value: bare(text),
                });
            }
        };
        // `used` never exceeds `after.len()`; `.get` keeps that checked.
        self.rest = after.get(used..).unwrap_or_default();
        Some(Field { key, value })
    }
}

/// The first `a` or `b` in `hay`, eight bytes at a time (SWAR: the lowest
/// mark of either test is exact), for keys: short, so without `memchr`.
#[inline]
fn find_either(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let (pa, pb) = (
        ONES.wrapping_mul(u64::from(a)),
        ONES.wrapping_mul(u64::from(b)),
    );
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut words = hay.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let x = u64::from_le_bytes(eight);
        let marks = zero(x ^ pa) | zero(x ^ pb);
        if marks != 0 {
            return Some(at + (marks.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = words.remainder();
    tail.iter().position(|&c| c == a || c == b).map(|i| at + i)
}

/// The first `needle` in `hay`. Most values are a few bytes long, where a
/// call into `memchr` costs more than it saves: the first bytes are looked
/// at eight at a time in a word (SWAR), the rest of a long value by
/// `memchr`.
#[inline]
pub(crate) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const WORDS: usize = 4;
    let pattern = ONES.wrapping_mul(u64::from(needle));
    let mut at = 0;
    for word in hay.chunks_exact(8).take(WORDS) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let x = u64::from_le_bytes(eight) ^ pattern;
        // The lowest mark is exact: a borrow only carries up from a byte
        // that is itself zero.
        let marks = x.wrapping_sub(ONES) & !x & HIGH;
        if marks != 0 {
            return Some(at + (marks.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = hay.get(at..)?;
    let found = if rest.len() < 8 {
        rest.iter().position(|&b| b == needle)
    } else {
        memchr::memchr(needle, rest)
    };
    found.map(|i| at + i)
}

/// The value of a quoted form starting at `after[0]` (the opening quote)
/// and the bytes it used, closing quote included. `close` finds the closing
/// quote in the text after the opening one; none means "to the end".
#[inline(always)]
fn quoted<'a>(
    after: &'a [u8],
    close: impl Fn(&[u8]) -> Option<usize>,
    wrap: fn(&'a [u8]) -> Value<'a>,
) -> (Value<'a>, usize) {
    let inner = after.get(1..).unwrap_or_default();
    match close(inner) {
        Some(i) => (
            wrap(inner.get(..i).unwrap_or_default()),
            i.saturating_add(2),
        ),
        None => (wrap(inner), after.len()),
    }
}

/// The closing `'` of a single-quoted value: the first `'` followed by a
/// space or the end, so a stray `'` inside user text does not cut it short.
fn single_quote_end(inner: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let i = from + memchr::memchr(b'\'', inner.get(from..)?)?;
        match inner.get(i + 1) {
            None | Some(b' ') => return Some(i),
            Some(_) => from = i + 1,
        }
    }
}

/// A bare value's text as [`Value`]: the markers `(null)`, `?`,
/// `(none)`, else [`Value::Bare`]. Every marker starts with `(` or `?`,
/// which a number, an id or hex seldom does: most values are told by
/// that one test of their first byte, not by their length and bytes
/// (a branch that follows each value's length, mispredicted often).
#[inline(always)]
pub(crate) fn bare(text: &[u8]) -> Value<'_> {
    match text.first() {
        Some(b'(' | b'?') => marker(text),
        _ => Value::Bare(text),
    }
}

/// [`bare`] of a text that starts like a marker.
#[inline(always)]
fn marker(text: &[u8]) -> Value<'_> {
    match text {
        b"(null)" => Value::Null,
        b"?" => Value::Unknown,
        b"(none)" => Value::NoneLiteral,
        _ => Value::Bare(text),
    }
}

/// The value of the first top-level field named `key` in `body`.
pub fn field<'buf>(body: &'buf [u8], key: &[u8]) -> Option<Value<'buf>> {
    Fields::new(body).find(|f| f.key == key).map(|f| f.value)
}

/// The value of the first top-level field named each of `keys` (distinct)
/// in `body`: what [`field`] gives for each, in one pass.
///
/// A body as the kernel writes its records (fields a space apart, a
/// double-quoted value whose closing quote comes right before a space or
/// the end, no single quotes) is read once, byte by byte only as far as
/// each `=`, quote or space, and only the keys are compared: several
/// times cheaper than [`Fields`], which reads every value. Any other body
/// (a quote that does not close before a space or the end, a value in
/// single quotes) is read by [`Fields`], so the answer is always the
/// grammar's. Inlined (with its helpers): callers name constant keys,
/// whose comparisons then fold to a length test and a few loads.
#[inline(always)]
pub fn first_values<'buf, const N: usize>(
    body: &'buf [u8],
    keys: &[&[u8]; N],
) -> [Option<Value<'buf>>; N] {
    if let Some(found) = split_first_values(body, keys) {
        return found;
    }
    let mut found = [None; N];
    let mut missing = N;
    for f in Fields::new(body) {
        if let Some(slot) = slot_of(keys, f.key).and_then(|i| found.get_mut(i)) {
            if slot.is_none() {
                *slot = Some(f.value);
                missing -= 1;
                if missing == 0 {
                    break;
                }
            }
        }
    }
    found
}

/// [`first_values`] for a body in the kernel's form; `None` when a token
/// is not in that form (the caller reads the body with [`Fields`]).
#[inline(always)]
fn split_first_values<'buf, const N: usize>(
    body: &'buf [u8],
    keys: &[&[u8]; N],
) -> Option<[Option<Value<'buf>>; N]> {
    let mut found = [None; N];
    let mut missing = N;
    let mut rest = body;
    while !rest.is_empty() {
        // One look at each byte: the key to its `=` (or the token's end),
        // then the value to its closing quote or the next space; `rest`
        // then starts after the space that ends the token.
        let stop = find_either(rest, b'=', b' ').unwrap_or(rest.len());
        let (key, tail) = rest.split_at_checked(stop)?;
        let value = match tail {
            [b'=', b'"', inner @ ..] => {
                // A quote must close where its token ends, whatever the
                // key: one that runs on would hide the fields after it.
                let close = find_byte(inner, b'"')?;
                let (text, quote) = inner.split_at_checked(close)?;
                rest = match quote.get(1..)? {
                    [] => &[],
                    [b' ', more @ ..] => more,
                    _ => return None,
                };
                Some(Value::DoubleQuoted(text))
            }
            [b'=', b'\'', ..] => return None,
            [b'=', after @ ..] => {
                let len = find_byte(after, b' ').unwrap_or(after.len());
                let (text, more) = after.split_at_checked(len)?;
                rest = more.get(1..).unwrap_or_default();
                Some(bare(text))
            }
            _ => {
                rest = tail.get(1..).unwrap_or_default();
                None
            }
        };
        if key.is_empty() && value.is_none() {
            continue; // one of several spaces
        }
        let Some(slot) = slot_of(keys, key).and_then(|i| found.get_mut(i)) else {
            continue;
        };
        if slot.is_none() {
            *slot = Some(value.unwrap_or(Value::Absent));
            missing -= 1;
            if missing == 0 {
                break;
            }
        }
    }
    Some(found)
}

/// Where `key` is in `keys`; compared byte by byte (keys are a few bytes:
/// a call to compare them would cost more).
#[inline(always)]
fn slot_of(keys: &[&[u8]], key: &[u8]) -> Option<usize> {
    keys.iter()
        .position(|k| k.len() == key.len() && k.iter().zip(key).all(|(a, b)| a == b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    extern crate std;

    use super::*;

    fn all(body: &[u8]) -> heapless::Vec<Field<'_>, 32> {
        let mut v = heapless::Vec::new();
        for f in Fields::new(body).take(32) {
            let _ = v.push(f);
        }
        v
    }

    fn f<'a>(key: &'a [u8], value: Value<'a>) -> Field<'a> {
        Field { key, value }
    }

    #[test]
    fn value_forms() {
        let body =
            b"a=b exe=\"/usr/bin/ls\" s='x y' key=(null) host=? tty=(none) proctitle=2F62696E e=";
        assert_eq!(
            all(body)[..],
            [
                f(b"a", Value::Bare(b"b")),
                f(b"exe", Value::DoubleQuoted(b"/usr/bin/ls")),
                f(b"s", Value::SingleQuoted(b"x y")),
                f(b"key", Value::Null),
                f(b"host", Value::Unknown),
                f(b"tty", Value::NoneLiteral),
                f(b"proctitle", Value::Bare(b"2F62696E")),
                f(b"e", Value::Bare(b"")),
            ]
        );
        assert!(Value::Bare(b"2F62696E").looks_hex());
        let mut out = [0u8; 4];
        assert_eq!(Value::Bare(b"2F62696E").decode_hex(&mut out), Ok(4));
        assert_eq!(&out, b"/bin");
        assert_eq!(Value::Null.text(), b"(null)");
        assert_eq!(Value::DoubleQuoted(b"q").text(), b"q");
        assert!(Value::SingleQuoted(b"").is_quoted());
    }

    #[test]
    fn nested_user_message() {
        let body =
            b"pid=1 uid=0 msg='op=PAM:session_open acct=\"root\" exe=\"/usr/bin/su\" res=success'";
        let msg = field(body, b"msg").unwrap();
        assert_eq!(msg.text(), &body[17..body.len() - 1]);
        let inner = all(msg.text());
        assert_eq!(inner[0], f(b"op", Value::Bare(b"PAM:session_open")));
        assert_eq!(inner[1], f(b"acct", Value::DoubleQuoted(b"root")));
        assert_eq!(inner[3], f(b"res", Value::Bare(b"success")));
        assert_eq!(msg.nested().unwrap().count(), 4);
        assert!(Value::Bare(b"x").nested().is_none());
    }

    #[test]
    fn single_quote_with_stray_quote_inside() {
        let body = b"msg='it's fine' next=1";
        assert_eq!(
            all(body)[..],
            [
                f(b"msg", Value::SingleQuoted(b"it's fine")),
                f(b"next", Value::Bare(b"1"))
            ]
        );
    }

    #[test]
    fn a_user_message_ends_at_the_records_last_quote() {
        let body = b"pid=1 uid=0 msg='text=x' uid=12345 res=failed msg='y exe=\"/e\" res=success'";
        let top = all(body);
        assert_eq!(top.len(), 3, "{top:?}");
        assert_eq!(top[0], f(b"pid", Value::Bare(b"1")));
        assert_eq!(top[1], f(b"uid", Value::Bare(b"0")));
        let msg = top[2].value;
        assert_eq!(
            msg,
            Value::SingleQuoted(b"text=x' uid=12345 res=failed msg='y exe=\"/e\" res=success")
        );
        let inner: heapless::Vec<Field<'_>, 8> = msg.nested().unwrap().take(8).collect();
        assert_eq!(
            inner[..],
            [
                f(b"text", Value::Bare(b"x' uid=12345 res=failed msg='y")),
                f(b"exe", Value::DoubleQuoted(b"/e")),
                f(b"res", Value::Bare(b"success")),
            ]
        );
        // No `exe=`: the text is the rest. A `'` inside is no quote.
        let inner: heapless::Vec<Field<'_>, 8> =
            Fields::user_message(b"a='b c text=d  e").take(8).collect();
        assert_eq!(
            inner[..],
            [
                f(b"a", Value::Bare(b"'b")),
                f(b"c", Value::Absent),
                f(b"text", Value::Bare(b"d  e")),
            ]
        );
        // Other single-quoted values still end at `'` and a space.
        assert_eq!(
            all(b"a='x' b='y'")[..],
            [
                f(b"a", Value::SingleQuoted(b"x")),
                f(b"b", Value::SingleQuoted(b"y"))
            ]
        );
    }

    #[test]
    fn avc_words_are_absent() {
        let body = b"avc:  denied  { read } for  pid=13010 comm=\"pickup\"";
        let v = all(body);
        assert_eq!(v.len(), 8);
        assert_eq!(v[0], f(b"avc:", Value::Absent));
        assert_eq!(v[2], f(b"{", Value::Absent));
        assert_eq!(v[6], f(b"pid", Value::Bare(b"13010")));
        assert_eq!(v[7], f(b"comm", Value::DoubleQuoted(b"pickup")));
    }

    #[test]
    fn malformed() {
        assert_eq!(all(b"").len(), 0);
        assert_eq!(all(b"    ").len(), 0);
        assert_eq!(
            all(b"a=\"open")[..],
            [f(b"a", Value::DoubleQuoted(b"open"))]
        );
        assert_eq!(all(b"a='open")[..], [f(b"a", Value::SingleQuoted(b"open"))]);
        assert_eq!(all(b"a=\"")[..], [f(b"a", Value::DoubleQuoted(b""))]);
        assert_eq!(all(b"a=''")[..], [f(b"a", Value::SingleQuoted(b""))]);
        assert_eq!(all(b"=x")[..], [f(b"", Value::Bare(b"x"))]);
        assert_eq!(all(b"a==b")[..], [f(b"a", Value::Bare(b"=b"))]);
        assert_eq!(
            all(b"a=\"x\"y z=1")[..],
            [
                f(b"a", Value::DoubleQuoted(b"x")),
                f(b"y", Value::Absent),
                f(b"z", Value::Bare(b"1"))
            ]
        );
        assert_eq!(all(b"\xff=\xfe")[..], [f(b"\xff", Value::Bare(b"\xfe"))]);
        assert_eq!(all(b"'")[..], [f(b"'", Value::Absent)]);
    }

    #[test]
    fn field_lookup_first_match() {
        assert_eq!(field(b"a=1 a=2", b"a"), Some(Value::Bare(b"1")));
        assert_eq!(field(b"a=1", b"b"), None);
        // A key inside a nested value is not top level.
        assert_eq!(field(b"msg='b=1'", b"b"), None);
    }

    /// The iterator as first written (three `memchr`s per field): what
    /// the faster scan must agree with.
    fn reference(mut rest: &[u8], user_message: bool) -> std::vec::Vec<Field<'_>> {
        let mut out = std::vec::Vec::new();
        loop {
            let Some(start) = rest.iter().position(|&b| b != b' ') else {
                return out;
            };
            let src = &rest[start..];
            let token_end = memchr::memchr(b' ', src).unwrap_or(src.len());
            let Some(eq) = memchr::memchr(b'=', &src[..token_end]) else {
                rest = &src[token_end..];
                out.push(f(&src[..token_end], Value::Absent));
                continue;
            };
            let key = &src[..eq];
            let after = &src[eq + 1..];
            let (value, used) = match after.first() {
                _ if user_message && key == b"text" => {
                    let end = memchr::memmem::rfind(after, b" exe=").unwrap_or(after.len());
                    (Value::Bare(&after[..end]), end)
                }
                Some(b'"') => quoted(after, |t| memchr::memchr(b'"', t), Value::DoubleQuoted),
                Some(b'\'') if !user_message && key == b"msg" => {
                    quoted(after, |t| memchr::memrchr(b'\'', t), Value::SingleQuoted)
                }
                Some(b'\'') if !user_message => {
                    quoted(after, single_quote_end, Value::SingleQuoted)
                }
                _ => {
                    let end = memchr::memchr(b' ', after).unwrap_or(after.len());
                    (bare(&after[..end]), end)
                }
            };
            rest = &after[used..];
            out.push(f(key, value));
        }
    }

    /// Bodies of up to 120 bytes, each byte from `alphabet` (the
    /// grammar's separators and a few keys) or any byte.
    fn bodies(
        alphabet: &'static [u8],
    ) -> impl proptest::strategy::Strategy<Value = std::vec::Vec<u8>> {
        proptest::collection::vec(
            proptest::prop_oneof![proptest::sample::select(alphabet), proptest::num::u8::ANY],
            0..120,
        )
    }

    proptest::proptest! {
        #[test]
        fn fast_scan_agrees_with_the_reference(
            body in bodies(b"  ==\"'abcx01()?"),
            user_message: bool,
        ) {
            let fields = if user_message { Fields::user_message(&body) } else { Fields::new(&body) };
            let fast: std::vec::Vec<Field<'_>> = fields.collect();
            proptest::prop_assert_eq!(fast, reference(&body, user_message));
        }
    }

    use proptest::strategy::Strategy as _;

    /// What [`first_values`] must give: [`field`] for each key.
    fn each_field<'b, const N: usize>(body: &'b [u8], keys: &[&[u8]; N]) -> [Option<Value<'b>>; N] {
        keys.map(|k| field(body, k))
    }

    const WANTED: [&[u8]; 6] = [b"key", b"exe", b"a", b"pid", b"msg", b"x"];
    const KEYS_SEEN: &[&[u8]] = &[b"key", b"exe", b"pid", b"a", b"uid", b"x", b"msg", b""];
    const BARE_VALUES: &[&[u8]] = &[b"=1", b"=(null)", b"=?", b"=(none)", b"=", b"=2F62", b""];
    const SEPARATORS: &[&[u8]] = &[b" ", b"  ", b""];

    proptest::proptest! {
        #[test]
        fn first_values_are_each_keys_first_field(
            body in bodies(b"   ==\"'akeyxpidexe01()?"),
        ) {
            proptest::prop_assert_eq!(first_values(&body, &WANTED), each_field(&body, &WANTED));
        }

        #[test]
        fn first_values_agree_on_kernel_like_bodies(
            tokens in proptest::collection::vec(
                (
                    proptest::sample::select(KEYS_SEEN),
                    proptest::prop_oneof![
                        proptest::sample::select(BARE_VALUES).prop_map(|v| v.to_vec()),
                        "[a-z/ '\"]{0,6}".prop_map(|v| [&b"=\""[..], v.as_bytes(), b"\""].concat()),
                    ],
                    proptest::sample::select(SEPARATORS),
                ),
                0..12,
            ),
        ) {
            let body: std::vec::Vec<u8> = tokens
                .iter()
                .flat_map(|(k, v, sep)| [*k, &v[..], *sep].concat())
                .collect();
            proptest::prop_assert_eq!(first_values(&body, &WANTED), each_field(&body, &WANTED));
        }
    }

    #[test]
    fn first_values_of_a_syscall_record() {
        let body = b"arch=c000003e syscall=59 success=yes exit=0 a0=55 items=2 ppid=1 pid=42 \
            auid=1000 uid=0 tty=(none) comm=\"ls\" exe=\"/usr/bin/ls\" subj=unconfined key=(null)";
        let [syscall, pid, comm, exe, key, tty, missing] = first_values(
            body,
            &[b"syscall", b"pid", b"comm", b"exe", b"key", b"tty", b"nope"],
        );
        assert_eq!(syscall, Some(Value::Bare(b"59")));
        assert_eq!(pid, Some(Value::Bare(b"42")));
        assert_eq!(comm, Some(Value::DoubleQuoted(b"ls")));
        assert_eq!(exe, Some(Value::DoubleQuoted(b"/usr/bin/ls")));
        assert_eq!(key, Some(Value::Null));
        assert_eq!(tty, Some(Value::NoneLiteral));
        assert_eq!(missing, None);
        // A quoted value with a space is read by the grammar, not split.
        let odd = b"comm=\"a b\" key=\"k\"";
        let [comm, key] = first_values(odd, &[b"comm", b"key"]);
        assert_eq!(comm, Some(Value::DoubleQuoted(b"a b")));
        assert_eq!(key, Some(Value::DoubleQuoted(b"k")));
    }

    #[test]
    fn find_either_finds_the_first_of_two() {
        for n in 0..40 {
            for at in 0..=n {
                for c in [b'=', b' ', b'x'] {
                    let mut hay = std::vec![b'k'; n];
                    if let Some(b) = hay.get_mut(at) {
                        *b = c;
                    }
                    let want = hay.iter().position(|&b| b == b'=' || b == b' ');
                    assert_eq!(find_either(&hay, b'=', b' '), want, "{n} {at} {c}");
                }
            }
        }
    }

    #[test]
    fn fast_scan_agrees_on_long_values() {
        for len in 0..80 {
            let value = "x".repeat(len);
            let body = std::format!("a={value} b=\"{value}\" c={value}");
            let fast: std::vec::Vec<Field<'_>> = Fields::new(body.as_bytes()).collect();
            assert_eq!(fast, reference(body.as_bytes(), false), "{len}");
            assert_eq!(find_byte(value.as_bytes(), b'x'), (len > 0).then_some(0));
            assert_eq!(find_byte(value.as_bytes(), b' '), None);
        }
    }

    /// What [`bare`] gives, as first written: one match on the whole text.
    fn bare_reference(text: &[u8]) -> Value<'_> {
        match text {
            b"(null)" => Value::Null,
            b"?" => Value::Unknown,
            b"(none)" => Value::NoneLiteral,
            _ => Value::Bare(text),
        }
    }

    proptest::proptest! {
        /// The first-byte test tells the markers as the whole match does,
        /// and a value's text is its marker's or its own.
        #[test]
        fn bare_agrees_with_the_whole_match(
            text in proptest::prop_oneof![
                proptest::sample::select(&[
                    "", "?", "??", "(null)", "(none)", "(null", "(nonE)", "(null) ", "?x", "(", "0",
                ][..]).prop_map(|t| t.as_bytes().to_vec()),
                proptest::collection::vec(
                    proptest::prop_oneof![
                        proptest::sample::select(&b"(?)nulo"[..]),
                        proptest::num::u8::ANY,
                    ],
                    0..9,
                ),
            ],
        ) {
            let value = bare(&text);
            proptest::prop_assert_eq!(value, bare_reference(&text));
            proptest::prop_assert_eq!(value.text(), &text[..]);
        }
    }

    #[test]
    fn remainder_tracks_progress() {
        let mut it = Fields::new(b"a=1 b=2");
        it.next();
        assert_eq!(it.remainder(), b" b=2");
    }
}

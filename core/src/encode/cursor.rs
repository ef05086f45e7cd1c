//! A write position over `&mut [u8]` that refuses, rather than panics, when
//! full; the adapter that lets `serde-json-core` write at that position; and
//! direct writers for the pieces every event has (escaped strings, decimal
//! integers) that skip `core::fmt` and serde.

/// Digits of the longest `u64`, 18446744073709551615.
const U64_DIGITS: usize = 20;

/// "00", "01", … "99": decimals are written two digits per division.
const DIGIT_PAIRS: [u8; 200] = {
    let mut pairs = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        pairs[2 * i] = b'0' + (i / 10) as u8;
        pairs[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    pairs
};

/// Text up to this long is checked for escapes byte by byte in place;
/// longer text goes to the word-wise escaper.
const SHORT: usize = 24;

/// The same for the key and the text of a member (values of one field:
/// seldom with quotes).
const SHORT_MEMBER: usize = 64;

/// A byte that never needs escaping, for the unused bytes of a word.
const FILL: u64 = 0x6161_6161_6161_6161;

/// No byte of `bytes` needs escaping: printable ASCII but `"` and `\\`.
#[inline]
fn is_plain(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        if super::text::look_marks(u64::from_le_bytes(eight)) != 0 {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&b| (0x20..0x80).contains(&b) && b != b'"' && b != b'\\')
}

/// Copies `src` into `dst` (of the same length; else nothing is copied
/// and the answer is false) and says whether no byte needs escaping
/// (printable ASCII but `"` and `\\`). Loads and stores of fixed widths,
/// the last overlapping the one before, instead of a call into `memcpy`
/// and a byte loop: the keys and values of a document are mostly a few
/// bytes long. What it wrote is garbage when the answer is false.
#[inline(always)]
fn copy_plain(dst: &mut [u8], src: &[u8]) -> bool {
    use super::text::look_marks;
    let n = src.len();
    if dst.len() != n {
        return false;
    }
    if n > 16 {
        // Long: whole words (the copy is one `memcpy`), then the last
        // eight bytes again.
        dst.copy_from_slice(src);
        let (words, _) = src.as_chunks::<8>();
        let marks = words
            .iter()
            .chain(src.last_chunk::<8>())
            .fold(0, |marks, word| {
                marks | look_marks(u64::from_le_bytes(*word))
            });
        return marks == 0;
    }
    copy_short(dst, src) == 0
}

/// Decoded text up to this long is escaped from the stack by
/// [`Cursor::push_hex_string`]; longer text streams in pieces.
pub(crate) const HEX_STACK: usize = 512;

/// Copies `src` (at most 16 bytes) into `dst` (the same length) with
/// fixed-width loads and stores, the last overlapping the first, and
/// returns the escape marks of its bytes ([`look_marks`]: 0 when none
/// needs escaping; not 0 when the lengths differ or `src` is longer).
///
/// [`look_marks`]: super::text::look_marks
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) -> u64 {
    use super::text::look_marks;
    if dst.len() != src.len() || src.len() > 16 {
        return u64::MAX;
    }
    let word = if let (Some(first), Some(last)) = (src.first_chunk::<8>(), src.last_chunk::<8>()) {
        if let Some(d) = dst.first_chunk_mut::<8>() {
            *d = *first;
        }
        if let Some(d) = dst.last_chunk_mut::<8>() {
            *d = *last;
        }
        return look_marks(u64::from_le_bytes(*first)) | look_marks(u64::from_le_bytes(*last));
    } else if let (Some(first), Some(last)) = (src.first_chunk::<4>(), src.last_chunk::<4>()) {
        if let Some(d) = dst.first_chunk_mut::<4>() {
            *d = *first;
        }
        if let Some(d) = dst.last_chunk_mut::<4>() {
            *d = *last;
        }
        u64::from(u32::from_le_bytes(*first)) | (u64::from(u32::from_le_bytes(*last)) << 32)
    } else if let (Some(first), Some(last)) = (src.first_chunk::<2>(), src.last_chunk::<2>()) {
        if let Some(d) = dst.first_chunk_mut::<2>() {
            *d = *first;
        }
        if let Some(d) = dst.last_chunk_mut::<2>() {
            *d = *last;
        }
        let pair =
            u64::from(u16::from_le_bytes(*first)) | (u64::from(u16::from_le_bytes(*last)) << 16);
        pair | (FILL << 32)
    } else if let (Some(&b), Some(d)) = (src.first(), dst.first_mut()) {
        *d = b;
        u64::from(b) | (FILL << 8)
    } else {
        return 0;
    };
    look_marks(word)
}

/// `,"key":"text"` into `window` (exactly that long; `comma` is 0 or 1)
/// when neither needs escaping.
#[inline]
fn write_member(window: &mut [u8], comma: usize, key: &[u8], text: &[u8]) -> bool {
    let Some((head, k, colon, t, quote)) = member_parts(window, comma, key.len(), text.len())
    else {
        return false;
    };
    if let [first, rest @ ..] = head {
        *first = if rest.is_empty() { b'"' } else { b',' };
        if let Some(second) = rest.first_mut() {
            *second = b'"';
        }
    }
    *colon = *b"\":\"";
    *quote = b'"';
    // Both copies run; `&` rather than `&&`.
    copy_plain(k, key) & copy_plain(t, text)
}

/// `window` cut into the places of `,"`, the key, `":"`, the text and `"`.
#[allow(clippy::type_complexity)]
fn member_parts(
    window: &mut [u8],
    comma: usize,
    key: usize,
    text: usize,
) -> Option<(&mut [u8], &mut [u8], &mut [u8; 3], &mut [u8], &mut u8)> {
    let (head, rest) = window.split_at_mut_checked(comma + 1)?;
    let (k, rest) = rest.split_at_mut_checked(key)?;
    let (colon, rest) = rest.split_at_mut_checked(3)?;
    let (t, quote) = rest.split_at_mut_checked(text)?;
    Some((
        head,
        k,
        colon.first_chunk_mut::<3>()?,
        t,
        quote.first_mut()?,
    ))
}

/// The buffer is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

pub struct Cursor<'a> {
    buf: &'a mut [u8],
    pos: usize,
    /// Writes may not go past this (space kept for the closing part).
    limit: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a mut [u8]) -> Cursor<'a> {
        let limit = buf.len();
        Cursor { buf, pos: 0, limit }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left before the limit.
    pub fn room(&self) -> usize {
        self.limit.saturating_sub(self.pos)
    }

    /// Keeps `reserve` bytes at the end for later.
    pub fn reserve_tail(&mut self, reserve: usize) {
        self.limit = self.buf.len().saturating_sub(reserve);
    }

    /// Keeps `bytes` more before the current limit (space for a closing
    /// part inside the tail's); returns the limit to give to [`unhold`].
    ///
    /// [`unhold`]: Cursor::unhold
    pub fn hold(&mut self, bytes: usize) -> usize {
        let limit = self.limit;
        self.limit = limit.saturating_sub(bytes).max(self.pos);
        limit
    }

    /// Restores the limit [`hold`](Cursor::hold) returned.
    pub fn unhold(&mut self, limit: usize) {
        self.limit = limit.min(self.buf.len());
    }

    /// Gives back the reserved tail.
    pub fn release_tail(&mut self) {
        self.limit = self.buf.len();
    }

    /// Moves what is written to the end of the buffer (the position is
    /// then the end) and says where it starts.
    pub fn move_to_end(&mut self) -> usize {
        let len = self.buf.len();
        let start = len.saturating_sub(self.pos);
        // `pos` is never past the buffer: both ranges are inside it.
        self.buf.copy_within(..self.pos.min(len), start);
        self.pos = len;
        start
    }

    /// Whether a tail is reserved (the limit is before the end).
    pub fn holds_tail(&self) -> bool {
        self.limit < self.buf.len()
    }

    #[inline]
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), Full> {
        let end = self.pos.checked_add(bytes.len()).ok_or(Full)?;
        if end > self.limit {
            return Err(Full);
        }
        self.buf
            .get_mut(self.pos..end)
            .ok_or(Full)?
            .copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    /// Writes again the bytes at `written` (already written: before the
    /// position); on failure (no room, or not written) nothing is.
    pub fn push_again(&mut self, written: core::ops::Range<usize>) -> Result<(), Full> {
        let len = written.end.checked_sub(written.start).ok_or(Full)?;
        let end = self.pos.checked_add(len).ok_or(Full)?;
        if end > self.limit {
            return Err(Full);
        }
        let (done, rest) = self.buf.split_at_mut_checked(self.pos).ok_or(Full)?;
        let from = done.get(written).ok_or(Full)?;
        rest.get_mut(..len).ok_or(Full)?.copy_from_slice(from);
        self.pos = end;
        Ok(())
    }

    /// Writes the bytes at `from`, anywhere in the buffer (a part written
    /// past the limit and since released: the two may overlap); on
    /// failure (no room, or not in the buffer) nothing is.
    pub fn push_within(&mut self, from: core::ops::Range<usize>) -> Result<(), Full> {
        let len = from.end.checked_sub(from.start).ok_or(Full)?;
        let end = self.pos.checked_add(len).ok_or(Full)?;
        if end > self.limit.min(self.buf.len()) || from.end > self.buf.len() {
            return Err(Full);
        }
        // Both ranges are inside the buffer (checked above): no panic.
        self.buf.copy_within(from, self.pos);
        self.pos = end;
        Ok(())
    }

    /// Writes `value` in decimal, as `{}` displays it; on failure nothing
    /// is written.
    pub fn push_u64(&mut self, value: u64) -> Result<(), Full> {
        self.push_u64_padded(value, 1)
    }

    /// Writes `value` in decimal with at least `width` digits, zeros on the
    /// left, as `{:0width$}` displays it (`width` counts up to 20, a
    /// `u64`'s most); on failure nothing is written.
    ///
    /// The digits go straight into the buffer, right to left: no scratch
    /// copy, no `core::fmt`.
    pub fn push_u64_padded(&mut self, value: u64, width: usize) -> Result<(), Full> {
        let digits = value.checked_ilog10().map_or(1, |log| log as usize + 1);
        let len = digits.max(width.min(U64_DIGITS));
        let end = self.pos.checked_add(len).ok_or(Full)?;
        if end > self.limit {
            return Err(Full);
        }
        let window = self.buf.get_mut(self.pos..end).ok_or(Full)?;
        let mut rest = value;
        // Right to left; past the number's own digits `rest` is 0: the
        // padding zeros.
        let mut pairs = window.rchunks_exact_mut(2);
        for pair in &mut pairs {
            let at = (rest % 100) as usize * 2;
            pair.copy_from_slice(DIGIT_PAIRS.get(at..at + 2).unwrap_or(b"00"));
            rest /= 100;
        }
        if let [first] = pairs.into_remainder() {
            // `rest % 10` is below 10: the cast and the addition are exact.
            *first = b'0' + (rest % 10) as u8;
        }
        self.pos = end;
        Ok(())
    }

    /// Writes `bytes` escaped as JSON string content (see
    /// [`escape_into`](super::text::escape_into): serde-json-core's escapes,
    /// written straight into the buffer); on failure nothing is written.
    /// Short plain text (most keys and values) is checked and copied here
    /// without a call into the general escaper.
    #[inline]
    pub fn push_escaped(&mut self, bytes: &[u8]) -> Result<(), Full> {
        if bytes.len() <= SHORT && is_plain(bytes) {
            return self.push(bytes);
        }
        self.push_escaped_long(bytes)
    }

    /// Writes `,"name":"text"` (without the comma when `first`) for a
    /// `name` the encoder spells itself (a literal: plain, never
    /// escaped; inlined, its length is a constant), `text` escaped.
    #[inline(always)]
    pub fn push_named(&mut self, first: bool, name: &'static str, text: &[u8]) -> Result<(), Full> {
        let name = name.as_bytes();
        if text.len() <= 16 && self.push_short_member::<true>(first, name, text) {
            return Ok(());
        }
        self.push_member(first, name, text)
    }

    /// Writes a member from its head (`,"key":"`, a key known plain: see
    /// [`Head`]; without the comma when `first`), `text` escaped and the
    /// closing quote: short plain text in one room check, the head stored
    /// as sixteen bytes. On failure the position may have moved (callers
    /// unwind).
    ///
    /// [`Head`]: super::layout::Head
    #[inline(always)]
    pub fn push_headed(
        &mut self,
        first: bool,
        head: &super::layout::Head,
        text: &[u8],
    ) -> Result<(), Full> {
        let (stored, text_at) = if first {
            (&head.bare, head.len - 1)
        } else {
            (&head.comma, head.len)
        };
        let end = text_at + text.len() + 1;
        if text.len() <= 16 {
            let room = self.buf.get_mut(self.pos..self.limit.min(self.buf.len()));
            if let Some((window, _)) = room.and_then(|r| r.split_at_mut_checked(end.max(16))) {
                if let Some(d) = window.first_chunk_mut::<16>() {
                    *d = *stored;
                }
                let marks = window
                    .get_mut(text_at..end - 1)
                    .map_or(u64::MAX, |d| copy_short(d, text));
                if let Some(quote) = window.get_mut(end - 1) {
                    *quote = b'"';
                }
                if marks == 0 {
                    self.pos += end;
                    return Ok(());
                }
            }
        }
        self.push(stored.get(..text_at).unwrap_or_default())?;
        self.push_escaped(text)?;
        self.push(b"\"")
    }

    /// `,"key":"text"` (without the comma when `first`) with straight-line
    /// stores and one test for escapes, when `text` is at most 16 bytes
    /// (and `key` too unless `NAMED`: a literal, copied as it is): true
    /// when written, false (nothing counted as written) when there is no
    /// room or something needs escaping.
    #[inline(always)]
    fn push_short_member<const NAMED: bool>(
        &mut self,
        first: bool,
        key: &[u8],
        text: &[u8],
    ) -> bool {
        let key_at = 1 + usize::from(!first);
        let colon_at = key_at + key.len();
        let text_at = colon_at + 3;
        let end = text_at + text.len() + 1;
        let room = self.buf.get_mut(self.pos..self.limit.min(self.buf.len()));
        let Some(window) = room.and_then(|r| r.get_mut(..end)) else {
            return false;
        };
        if let Some(head) = window.first_chunk_mut::<2>() {
            // When `first`, the second byte is the key's, written next.
            *head = [if first { b'"' } else { b',' }, b'"'];
        }
        let key_marks = match window.get_mut(key_at..colon_at) {
            Some(d) if NAMED => {
                d.copy_from_slice(key);
                0
            }
            Some(d) => copy_short(d, key),
            None => u64::MAX,
        };
        if let Some(colon) = window.get_mut(colon_at..text_at) {
            colon.copy_from_slice(b"\":\"");
        }
        let text_window = window.get_mut(text_at..end - 1);
        // For a named member (ECS's), a `match`: `map_or` was left a
        // call there (kept for the others, where inlining it cost more).
        let text_marks = if NAMED {
            match text_window {
                Some(d) => copy_short(d, text),
                None => u64::MAX,
            }
        } else {
            text_window.map_or(u64::MAX, |d| copy_short(d, text))
        };
        let marks = key_marks | text_marks;
        if let Some(quote) = window.last_mut() {
            *quote = b'"';
        }
        if marks != 0 {
            return false;
        }
        self.pos += end;
        true
    }

    /// Writes `,"key":"text"` (without the comma when `first`), both
    /// escaped: the member every record field becomes, checked for room
    /// once and copied without calls when both are short and plain (that
    /// case inlined where a record's fields are written; the others in
    /// [`push_member_long`](Self::push_member_long)).
    #[inline(always)]
    pub fn push_member(&mut self, first: bool, key: &[u8], text: &[u8]) -> Result<(), Full> {
        if key.len() <= 16 && text.len() <= 16 && self.push_short_member::<false>(first, key, text)
        {
            // The usual member.
            return Ok(());
        }
        self.push_member_long(first, key, text)
    }

    /// [`push_member`](Self::push_member) for a member that is not short
    /// and plain.
    #[inline(never)]
    fn push_member_long(&mut self, first: bool, key: &[u8], text: &[u8]) -> Result<(), Full> {
        let comma = usize::from(!first);
        if key.len() <= SHORT_MEMBER && text.len() <= SHORT_MEMBER {
            // `,"` `":"` `"` around the two.
            let len = comma + key.len() + text.len() + 5;
            let end = self.pos.saturating_add(len);
            if end <= self.limit {
                if let Some(window) = self.buf.get_mut(self.pos..end) {
                    if write_member(window, comma, key, text) {
                        self.pos = end;
                        return Ok(());
                    }
                }
            }
        }
        self.push_key(first, key)?;
        self.push_string(text)
    }

    fn push_escaped_long(&mut self, bytes: &[u8]) -> Result<(), Full> {
        let window = self.buf.get_mut(self.pos..self.limit).ok_or(Full)?;
        let written = super::text::escape_into(bytes, window).ok_or(Full)?;
        self.pos += written;
        Ok(())
    }

    /// Writes `,"key":` (without the comma when `first`), the key escaped.
    #[inline]
    pub fn push_key(&mut self, first: bool, key: &[u8]) -> Result<(), Full> {
        if key.len() <= 16 {
            // The usual key: one room check, straight-line stores.
            let key_at = 1 + usize::from(!first);
            let end = key_at + key.len() + 2;
            let room = self.buf.get_mut(self.pos..self.limit.min(self.buf.len()));
            if let Some(window) = room.and_then(|r| r.get_mut(..end)) {
                if let Some(head) = window.first_chunk_mut::<2>() {
                    // When `first`, the second byte is the key's, written next.
                    *head = [if first { b'"' } else { b',' }, b'"'];
                }
                let marks = window
                    .get_mut(key_at..end - 2)
                    .map_or(u64::MAX, |d| copy_short(d, key));
                if let Some(tail) = window.last_chunk_mut::<2>() {
                    *tail = *b"\":";
                }
                if marks == 0 {
                    self.pos += end;
                    return Ok(());
                }
            }
        }
        self.push(if first { b"\"" } else { b",\"" })?;
        self.push_escaped(key)?;
        self.push(b"\":")
    }

    /// Writes `bytes` as a JSON string, quoted, lossily escaped as
    /// [`push_escaped`](Cursor::push_escaped): the bytes serde-json-core
    /// writes for the same text, without its char-by-char path. On
    /// failure the position may have moved (callers unwind).
    #[inline]
    pub fn push_string(&mut self, bytes: &[u8]) -> Result<(), Full> {
        if bytes.len() <= 16 {
            // The usual value: one room check, straight-line stores.
            let end = bytes.len() + 2;
            let room = self.buf.get_mut(self.pos..self.limit.min(self.buf.len()));
            if let Some(window) = room.and_then(|r| r.get_mut(..end)) {
                let marks = window
                    .get_mut(1..end - 1)
                    .map_or(u64::MAX, |d| copy_short(d, bytes));
                if let Some(open) = window.first_mut() {
                    *open = b'"';
                }
                if let Some(close) = window.last_mut() {
                    *close = b'"';
                }
                if marks == 0 {
                    self.pos += end;
                    return Ok(());
                }
            }
        }
        self.push(b"\"")?;
        self.push_escaped(bytes)?;
        self.push(b"\"")
    }

    /// Writes the text that the hex digits `hex` (as [`looks_hex`]
    /// accepts them: the caller looked, they are not looked at again in
    /// the usual case; other bytes give unspecified text, never a panic)
    /// encode as a JSON string, lossily escaped: decoded straight into
    /// the buffer when the text needs no escaping (the usual case), else
    /// through a stack buffer or, for long text, in pieces.
    ///
    /// [`looks_hex`]: crate::record::looks_hex
    pub fn push_hex_string(&mut self, hex: &[u8]) -> Result<(), Full> {
        self.push_hex_string_mapped(hex, |text| text.len())
    }

    /// [`push_hex_string`](Self::push_hex_string) of the decoded text
    /// changed in place by `map`, which returns how much of it to keep
    /// (at most all: more is taken as all).
    #[inline]
    pub fn push_hex_string_mapped(
        &mut self,
        hex: &[u8],
        map: impl Fn(&mut [u8]) -> usize,
    ) -> Result<(), Full> {
        let n = hex.len() / 2;
        let start = self.pos.checked_add(1).ok_or(Full)?;
        let end = start.checked_add(n).ok_or(Full)?;
        if end < self.limit {
            let window = self.buf.get_mut(start..end).ok_or(Full)?;
            // (The caller looked at the digits: not looked at again.)
            if crate::record::decode_looked_hex(hex, window).is_some() {
                let kept = map(window).min(n);
                if window.get(..kept).is_some_and(is_plain) {
                    self.push(b"\"")?;
                    self.pos = start + kept;
                    return self.push(b"\"");
                }
            }
        }
        let mut buf = [0u8; HEX_STACK];
        match crate::record::decode_hex(hex, &mut buf) {
            Ok(n) => {
                let text = buf.get_mut(..n).unwrap_or_default();
                let kept = map(text).min(n);
                self.push_string(text.get(..kept).unwrap_or_default())
            }
            Err(_) => self.serialize(&super::structured::value::Hex(hex)),
        }
    }

    /// Writes what `value` displays as a JSON string (short values:
    /// addresses, ports), formatted on the stack rather than through
    /// serde-json-core's per-char `collect_str`; the same bytes.
    pub fn push_display(&mut self, value: &impl core::fmt::Display) -> Result<(), Full> {
        let mut small = Small {
            buf: [0; SMALL_DISPLAY],
            len: 0,
        };
        if core::fmt::write(&mut small, format_args!("{value}")).is_ok() {
            return self.push_string(small.buf.get(..small.len).unwrap_or_default());
        }
        self.serialize(&Collected(value))
    }

    /// Serializes `value` with serde-json-core at the position; on failure
    /// nothing counts as written.
    pub fn serialize<T: serde::Serialize>(&mut self, value: &T) -> Result<(), Full> {
        let window = self.buf.get_mut(self.pos..self.limit).ok_or(Full)?;
        let written = serde_json_core::to_slice(value, window).map_err(|_| Full)?;
        self.pos += written;
        Ok(())
    }
}

/// Longest text [`Cursor::push_display`] formats on the stack (an IPv6
/// address with its zone is under 64 bytes).
const SMALL_DISPLAY: usize = 64;

/// A stack buffer for [`Cursor::push_display`]; refuses what does not fit.
struct Small {
    buf: [u8; SMALL_DISPLAY],
    len: usize,
}

impl core::fmt::Write for Small {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(core::fmt::Error)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(core::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A `Display` value as a JSON string through serde-json-core.
struct Collected<'a, T: ?Sized>(&'a T);

impl<T: core::fmt::Display + ?Sized> serde::Serialize for Collected<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

impl Cursor<'_> {
    /// Moves the position back to `pos` (forgetting what was written after).
    pub fn unwind(&mut self, pos: usize) {
        self.pos = self.pos.min(pos);
    }

    /// The next `len` bytes of room (before the limit), to write into in
    /// place; `None` when fewer are left. What is written there counts
    /// once [`advance`](Self::advance)d over.
    #[inline(always)]
    pub(crate) fn spare(&mut self, len: usize) -> Option<&mut [u8]> {
        let end = self.pos.checked_add(len)?;
        if end > self.limit {
            return None;
        }
        self.buf.get_mut(self.pos..end)
    }

    /// Counts `n` bytes written in place (into [`spare`](Self::spare)
    /// room) as written; never past the limit.
    #[inline(always)]
    pub(crate) fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.limit);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    extern crate std;
    use std::format;
    use std::string::String;

    use proptest::prelude::*;

    use super::*;

    /// What `push_u64_padded` writes into a roomy buffer.
    fn decimal(value: u64, width: usize) -> String {
        let mut buf = [0u8; 64];
        let mut cursor = Cursor::new(&mut buf);
        cursor.push_u64_padded(value, width).unwrap();
        let len = cursor.pos();
        String::from_utf8(buf[..len].to_vec()).unwrap()
    }

    #[test]
    fn decimal_edges() {
        assert_eq!(decimal(0, 1), "0");
        assert_eq!(decimal(9, 1), "9");
        assert_eq!(decimal(10, 1), "10");
        assert_eq!(decimal(u64::MAX, 1), "18446744073709551615");
        assert_eq!(decimal(u64::from(u32::MAX), 0), "4294967295");
        let mut buf = [0u8; 8];
        let mut cursor = Cursor::new(&mut buf);
        cursor.push_u64(1300).unwrap();
        assert_eq!(&buf[..4], b"1300");
    }

    #[test]
    fn decimal_padding_widths() {
        assert_eq!(decimal(0, 0), "0");
        assert_eq!(decimal(0, 3), "000");
        assert_eq!(decimal(7, 3), "007");
        assert_eq!(decimal(42, 3), "042");
        assert_eq!(decimal(999, 3), "999");
        assert_eq!(decimal(1234, 3), "1234");
        assert_eq!(decimal(5, 20), "00000000000000000005");
        // Widths past a u64's 20 digits are held to 20.
        assert_eq!(decimal(5, 25), "00000000000000000005");
        assert_eq!(decimal(u64::MAX, usize::MAX), "18446744073709551615");
        for value in 0..20_000u64 {
            assert_eq!(decimal(value, 3), format!("{value:03}"));
        }
        for digits in 1..=20 {
            let tens = 10u64.checked_pow(digits).map_or(u64::MAX, |p| p - 1);
            assert_eq!(decimal(tens, 1), format!("{tens}"));
            assert_eq!(decimal(tens / 9 * 8, 19), format!("{:019}", tens / 9 * 8));
        }
    }

    #[test]
    fn decimal_refuses_when_full_and_writes_nothing() {
        let mut buf = [b'x'; 6];
        let mut cursor = Cursor::new(&mut buf);
        cursor.push(b"ab").unwrap();
        assert_eq!(cursor.push_u64(12345), Err(Full));
        assert_eq!(cursor.push_u64_padded(7, 5), Err(Full));
        assert_eq!(cursor.pos(), 2);
        cursor.push_u64(1234).unwrap();
        assert_eq!(cursor.push_u64(0), Err(Full));
        assert_eq!(&buf, b"ab1234");

        let mut empty = [0u8; 0];
        let mut cursor = Cursor::new(&mut empty);
        assert_eq!(cursor.push_u64(0), Err(Full));
        assert_eq!(cursor.push_u64_padded(u64::MAX, usize::MAX), Err(Full));

        // The limit counts, not only the buffer's end.
        let mut buf = [0u8; 8];
        let mut cursor = Cursor::new(&mut buf);
        cursor.reserve_tail(6);
        assert_eq!(cursor.push_u64(100), Err(Full));
        cursor.push_u64(10).unwrap();
        assert_eq!(cursor.pos(), 2);
    }

    #[test]
    fn push_again_copies_only_what_was_written_and_fits() {
        let mut buf = [b'.'; 10];
        let mut cursor = Cursor::new(&mut buf);
        cursor.push(b"abc").unwrap();
        cursor.push_again(1..3).unwrap();
        assert_eq!(cursor.pos(), 5);
        // Not written yet, reversed, or past the room: refused, nothing moves.
        assert_eq!(cursor.push_again(4..6), Err(Full));
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 3..1;
        assert_eq!(cursor.push_again(reversed), Err(Full));
        cursor.reserve_tail(3);
        assert_eq!(cursor.push_again(0..3), Err(Full));
        cursor.push_again(0..2).unwrap();
        assert_eq!(cursor.pos(), 7);
        cursor.push_again(7..7).unwrap();
        assert_eq!(&buf, b"abcbcab...");
    }

    #[test]
    fn plain_is_printable_ascii_but_quote_and_backslash() {
        for n in 0..=SHORT + 9 {
            for at in 0..=n {
                for special in [b'a', b'"', b'\\', 0x01, 0x1f, 0x20, 0x7f, 0x80, 0xff] {
                    let mut text = std::vec![b'x'; n];
                    if let Some(b) = text.get_mut(at) {
                        *b = special;
                    }
                    let want = text
                        .iter()
                        .all(|&b| (0x20..0x80).contains(&b) && b != b'"' && b != b'\\');
                    assert_eq!(is_plain(&text), want, "{n} {at} {special}");
                }
            }
        }
    }

    #[test]
    fn strings_and_displays_match_serde_json_core() {
        let cases: [&str; 5] = [
            "",
            "plain",
            "q\"b\\c\u{1}\n",
            "caf\u{e9}",
            "::ffff:10.0.0.1",
        ];
        for case in cases {
            let mut fast = [0u8; 128];
            let mut cursor = Cursor::new(&mut fast);
            cursor.push_string(case.as_bytes()).unwrap();
            cursor.push_display(&case).unwrap();
            let len = cursor.pos();
            let mut slow = [0u8; 128];
            let a = serde_json_core::to_slice(&case, &mut slow).unwrap();
            let b = serde_json_core::to_slice(&Collected(&case), &mut slow[a..]).unwrap();
            assert_eq!(&fast[..len], &slow[..a + b], "{case:?}");
        }
        let long = "x".repeat(SMALL_DISPLAY + 1);
        let mut buf = [0u8; 128];
        let mut cursor = Cursor::new(&mut buf);
        cursor.push_display(&long).unwrap();
        assert_eq!(cursor.pos(), long.len() + 2);
    }

    #[test]
    fn copy_plain_agrees_with_is_plain() {
        for n in 0..=40 {
            for at in 0..=n {
                for special in [b'a', b'"', b'\\', 0x01, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xff] {
                    let mut text = std::vec![b'x'; n];
                    for (i, b) in text.iter_mut().enumerate() {
                        *b = b'0' + (i % 40) as u8;
                    }
                    if let Some(b) = text.get_mut(at) {
                        *b = special;
                    }
                    let mut dst = std::vec![0u8; n];
                    let plain = copy_plain(&mut dst, &text);
                    assert_eq!(plain, is_plain(&text), "{n} {at} {special}");
                    if plain {
                        assert_eq!(dst, text, "{n} {at} {special}");
                    }
                }
            }
        }
        // Lengths that differ: nothing copied, not plain.
        let mut dst = [0u8; 3];
        assert!(!copy_plain(&mut dst, b"ab"));
        assert_eq!(dst, [0; 3]);
    }

    /// What a member, a key or a string is written as piece by piece
    /// (`push` and `push_escaped`), or `None` when `room` bytes do not
    /// hold it: what the straight-line writers must agree with.
    fn pieces_slow(
        first: bool,
        key: Option<&[u8]>,
        text: Option<&[u8]>,
        room: usize,
    ) -> Option<std::vec::Vec<u8>> {
        let mut buf = std::vec![0u8; room];
        let mut cursor = Cursor::new(&mut buf);
        if let Some(key) = key {
            cursor.push(if first { b"\"" } else { b",\"" }).ok()?;
            cursor.push_escaped(key).ok()?;
            cursor.push(b"\":").ok()?;
        }
        if let Some(text) = text {
            cursor.push(b"\"").ok()?;
            cursor.push_escaped(text).ok()?;
            cursor.push(b"\"").ok()?;
        }
        let len = cursor.pos();
        Some(buf[..len].to_vec())
    }

    /// What `write` leaves in a buffer of `room` bytes, or `None` when it
    /// refuses.
    fn written(
        room: usize,
        write: impl FnOnce(&mut Cursor<'_>) -> Result<(), Full>,
    ) -> Option<std::vec::Vec<u8>> {
        let mut buf = std::vec![0u8; room];
        let mut cursor = Cursor::new(&mut buf);
        write(&mut cursor).ok()?;
        let len = cursor.pos();
        Some(buf[..len].to_vec())
    }

    proptest! {
        #[test]
        fn member_matches_key_and_string(
            first: bool,
            key in proptest::collection::vec(
                prop_oneof![b'a'..=b'z', Just(b'"'), Just(0x05u8), Just(0xc3u8), Just(0xa9u8)],
                0..80,
            ),
            text in proptest::collection::vec(
                prop_oneof![b' '..=b'~', Just(b'\\'), Just(0x0au8), Just(0xc3u8), Just(0xa9u8), Just(0xffu8)],
                0..80,
            ),
            room in 0usize..200,
        ) {
            let member = written(room, |c| c.push_member(first, &key, &text));
            prop_assert_eq!(member, pieces_slow(first, Some(&key), Some(&text), room));
            for name in ["", "id", "working_directory"] {
                let named = written(room, |c| c.push_named(first, name, &text));
                prop_assert_eq!(named, pieces_slow(first, Some(name.as_bytes()), Some(&text), room));
            }
            let alone = written(room, |c| c.push_key(first, &key));
            prop_assert_eq!(alone, pieces_slow(first, Some(&key), None, room));
            let string = written(room, |c| c.push_string(&text));
            prop_assert_eq!(string, pieces_slow(first, None, Some(&text), room));
            // After other text, with a limit short of the buffer's end.
            let mut buf = std::vec![b'x'; room + 8];
            let mut cursor = Cursor::new(&mut buf);
            cursor.reserve_tail(8);
            let _ = cursor.push(b"{");
            let at = cursor.pos();
            let fits = cursor.push_member(first, &key, &text).is_ok();
            let len = cursor.pos();
            let want = pieces_slow(first, Some(&key), Some(&text), room.saturating_sub(at));
            prop_assert_eq!(fits.then(|| buf[at..len].to_vec()), want);
            // Nothing was written past the limit, whatever was refused.
            prop_assert!(buf[room..].iter().all(|&b| b == b'x'));
        }

        #[test]
        fn decimal_matches_core_fmt(
            bits in any::<u64>(),
            shift in 0u32..64,
            width in 0usize..=20,
        ) {
            // Numbers of every length, not mostly 19 and 20 digits.
            let value = bits >> shift;
            prop_assert_eq!(decimal(value, 1), format!("{value}"));
            prop_assert_eq!(decimal(value, width), format!("{value:0width$}"));
        }
    }
}

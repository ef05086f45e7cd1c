//! `struct audit_rule_data`, the kernel's rule format for `AUDIT_ADD_RULE`,
//! `AUDIT_DEL_RULE` and `AUDIT_LIST_RULES`: a fixed 1040-byte head
//! (`flags`, `action`, `field_count`, `mask[64]`, `fields[64]`,
//! `values[64]`, `fieldflags[64]`, `buflen`) followed by `buflen` bytes of
//! strings, each string field's value slot holding its length. Host byte
//! order.
//!
//! [`RuleData`] is a checked view (once checked, no accessor panics);
//! [`RuleHead`] is the fixed part by value, which [`RuleHead::emit`] writes
//! with a string buffer into caller memory.

use crate::tables::field::{Field, Operator};

/// Slots in `fields`, `values`, `fieldflags`.
pub const MAX_FIELDS: usize = 64;
/// Words in the syscall `mask`.
pub const MASK_WORDS: usize = 64;
/// Size of the fixed part; the string buffer follows.
pub const HEAD_LEN: usize = layout::BUFLEN.end;

/// Where each part of `struct audit_rule_data` lies (smoltcp's `field::`
/// style): byte ranges of the words and of the arrays, named once; the
/// view, [`RuleHead::emit`] and the daemon's listed-form comparison use
/// them.
pub mod layout {
    use super::{MASK_WORDS, MAX_FIELDS};

    /// A word's (or an array's) bytes.
    pub type Bytes = core::ops::Range<usize>;
    pub const FLAGS: Bytes = 0..4;
    pub const ACTION: Bytes = 4..8;
    pub const FIELD_COUNT: Bytes = 8..12;
    /// `mask[64]`: the syscall bits.
    pub const MASK: Bytes = 12..12 + 4 * MASK_WORDS;
    /// `fields[64]`: field numbers (operator bits on old kernels).
    pub const FIELDS: Bytes = MASK.end..MASK.end + 4 * MAX_FIELDS;
    /// `values[64]`: numbers, or a string field's length in the buffer.
    pub const VALUES: Bytes = FIELDS.end..FIELDS.end + 4 * MAX_FIELDS;
    /// `fieldflags[64]`: operators.
    pub const FIELDFLAGS: Bytes = VALUES.end..VALUES.end + 4 * MAX_FIELDS;
    pub const BUFLEN: Bytes = FIELDFLAGS.end..FIELDFLAGS.end + 4;

    /// Word `i` of `array` ([`MASK`], [`FIELDS`], …); an `i` past the
    /// array gives bytes past it, which no lookup finds in a checked rule's
    /// head.
    pub const fn word(array: Bytes, i: usize) -> Bytes {
        let at = array.start.saturating_add(i.saturating_mul(4));
        at..at.saturating_add(4)
    }
}

/// Why bytes are not an `audit_rule_data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleError {
    /// Shorter than the fixed part.
    Truncated { len: usize },
    /// `field_count` above 64.
    TooManyFields { count: u32 },
    /// `buflen` runs past the end, or the string fields need more bytes
    /// than `buflen` holds.
    BadBuffer { buflen: u32 },
}

impl core::fmt::Display for RuleError {
    /// What was wrong with the kernel's rule, in words.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RuleError::Truncated { len } => write!(
                f,
                "{len} bytes, shorter than struct audit_rule_data's fixed part ({HEAD_LEN})"
            ),
            RuleError::TooManyFields { count } => {
                write!(f, "{count} fields; the kernel allows at most 64")
            }
            RuleError::BadBuffer { buflen } => write!(
                f,
                "its string buffer ({buflen} bytes) runs past the end or is smaller than its fields need"
            ),
        }
    }
}

/// The output buffer is too small: `needed` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full {
    pub needed: usize,
}

fn u32_at(bytes: &[u8], at: layout::Bytes) -> u32 {
    match bytes.get(at) {
        Some(&[a, b, c, d]) => u32::from_ne_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// One field of a rule, with its string when it is a string field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleField<'a> {
    pub field: Field,
    pub op: Operator,
    pub value: u32,
    pub string: Option<&'a [u8]>,
}

/// A checked view over an `audit_rule_data`.
#[derive(Clone, Copy, Debug)]
pub struct RuleData<'a> {
    bytes: &'a [u8],
    field_count: usize,
    buflen: usize,
}

impl<'a> RuleData<'a> {
    /// Checks lengths once: the head, `field_count`, `buflen`, and that every
    /// string field fits in the buffer. Trailing padding is allowed.
    pub fn new_checked(bytes: &'a [u8]) -> Result<RuleData<'a>, RuleError> {
        if bytes.len() < HEAD_LEN {
            return Err(RuleError::Truncated { len: bytes.len() });
        }
        let count = u32_at(bytes, layout::FIELD_COUNT);
        if count as usize > MAX_FIELDS {
            return Err(RuleError::TooManyFields { count });
        }
        let raw_buflen = u32_at(bytes, layout::BUFLEN);
        let buflen = raw_buflen as usize;
        if buflen > bytes.len() - HEAD_LEN {
            return Err(RuleError::BadBuffer { buflen: raw_buflen });
        }
        let view = RuleData {
            bytes,
            field_count: count as usize,
            buflen,
        };
        let mut used: usize = 0;
        for i in 0..view.field_count {
            if view.field_number(i).is_string() {
                used = used.saturating_add(view.value(i) as usize);
            }
        }
        if used > buflen {
            return Err(RuleError::BadBuffer { buflen: raw_buflen });
        }
        Ok(view)
    }

    /// `flags`: the filter list, plus `PREPEND` on requests.
    pub fn flags(&self) -> u32 {
        u32_at(self.bytes, layout::FLAGS)
    }

    /// `action`: never (0) or always (2).
    pub fn action(&self) -> u32 {
        u32_at(self.bytes, layout::ACTION)
    }

    /// Number of fields in use.
    pub fn field_count(&self) -> usize {
        self.field_count
    }

    /// Word `i` of the syscall mask (0 past the end).
    pub fn mask_word(&self, i: usize) -> u32 {
        if i >= MASK_WORDS {
            return 0;
        }
        u32_at(self.bytes, layout::word(layout::MASK, i))
    }

    /// True when syscall `nr`'s bit is set.
    pub fn has_syscall(&self, nr: u32) -> bool {
        let word = (nr / 32) as usize;
        self.mask_word(word) & (1 << (nr % 32)) != 0
    }

    fn field_number(&self, i: usize) -> Field {
        Field(u32_at(self.bytes, layout::word(layout::FIELDS, i)) & !Operator::MASK)
    }

    fn value(&self, i: usize) -> u32 {
        u32_at(self.bytes, layout::word(layout::VALUES, i))
    }

    /// The string buffer (`buflen` bytes).
    pub fn buf(&self) -> &'a [u8] {
        self.bytes
            .get(HEAD_LEN..HEAD_LEN + self.buflen)
            .unwrap_or(&[])
    }

    /// The exact bytes of the rule (head and buffer, no padding).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
            .get(..HEAD_LEN + self.buflen)
            .unwrap_or(self.bytes)
    }

    /// The fields in order, string fields with their text.
    pub fn fields(&self) -> impl Iterator<Item = RuleField<'a>> + 'a {
        let view = *self;
        let mut offset = 0usize;
        (0..view.field_count).map(move |i| {
            let field = view.field_number(i);
            let value = view.value(i);
            let op =
                Operator(u32_at(view.bytes, layout::word(layout::FIELDFLAGS, i)) & Operator::MASK);
            let string = if field.is_string() {
                let end = offset.saturating_add(value as usize);
                let s = view.buf().get(offset..end).unwrap_or(&[]);
                offset = end;
                Some(s)
            } else {
                None
            };
            RuleField {
                field,
                op,
                value,
                string,
            }
        })
    }

    /// The fixed part by value.
    pub fn head(&self) -> RuleHead {
        let mut head = RuleHead {
            flags: self.flags(),
            action: self.action(),
            field_count: self.field_count as u32,
            ..RuleHead::default()
        };
        for i in 0..MASK_WORDS {
            head.mask[i] = self.mask_word(i);
        }
        for i in 0..MAX_FIELDS {
            head.fields[i] = u32_at(self.bytes, layout::word(layout::FIELDS, i));
            head.values[i] = self.value(i);
            head.fieldflags[i] = u32_at(self.bytes, layout::word(layout::FIELDFLAGS, i));
        }
        head
    }
}

/// The fixed part of an `audit_rule_data`, by value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleHead {
    pub flags: u32,
    pub action: u32,
    pub field_count: u32,
    pub mask: [u32; MASK_WORDS],
    pub fields: [u32; MAX_FIELDS],
    pub values: [u32; MAX_FIELDS],
    pub fieldflags: [u32; MAX_FIELDS],
}

impl Default for RuleHead {
    fn default() -> Self {
        RuleHead {
            flags: 0,
            action: 0,
            field_count: 0,
            mask: [0; MASK_WORDS],
            fields: [0; MAX_FIELDS],
            values: [0; MAX_FIELDS],
            fieldflags: [0; MAX_FIELDS],
        }
    }
}

impl RuleHead {
    /// Appends a field; a full rule hands the field back.
    pub fn push(&mut self, field: Field, op: Operator, value: u32) -> Result<(), Field> {
        let i = self.field_count as usize;
        if i >= MAX_FIELDS {
            return Err(field);
        }
        self.fields[i] = field.0;
        self.fieldflags[i] = op.0;
        self.values[i] = value;
        self.field_count += 1;
        Ok(())
    }

    /// Sets syscall `nr`'s bit; false when `nr` is past the mask.
    pub fn set_syscall(&mut self, nr: u32) -> bool {
        match self.mask.get_mut((nr / 32) as usize) {
            Some(word) => {
                *word |= 1 << (nr % 32);
                true
            }
            None => false,
        }
    }

    /// Writes the head and `buf` (`buflen` = `buf.len()`) into `out`,
    /// returning the length written.
    pub fn emit(&self, buf: &[u8], out: &mut [u8]) -> Result<usize, Full> {
        let needed = HEAD_LEN + buf.len();
        let Some(out) = out.get_mut(..needed) else {
            return Err(Full { needed });
        };
        let buflen = u32::try_from(buf.len()).map_err(|_| Full { needed })?;
        let head = [self.flags, self.action, self.field_count];
        let words = head
            .iter()
            .chain(&self.mask)
            .chain(&self.fields)
            .chain(&self.values)
            .chain(&self.fieldflags)
            .chain(core::iter::once(&buflen));
        for (chunk, word) in out.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_ne_bytes());
        }
        if let Some(tail) = out.get_mut(HEAD_LEN..) {
            tail.copy_from_slice(buf);
        }
        Ok(needed)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn emit_then_view() {
        let mut head = RuleHead {
            flags: 4,
            action: 2,
            ..RuleHead::default()
        };
        assert!(head.set_syscall(59));
        assert!(!head.set_syscall(2048));
        head.push(Field::ARCH, Operator::EQUAL, 0xc000_003e)
            .unwrap();
        head.push(Field::FILTERKEY, Operator::EQUAL, 4).unwrap();
        let mut out = [0u8; HEAD_LEN + 8];
        assert_eq!(head.emit(b"exec", &mut out), Ok(HEAD_LEN + 4));
        assert_eq!(
            head.emit(b"exec", &mut [0u8; 10]),
            Err(Full { needed: 1044 })
        );
        let view = RuleData::new_checked(&out).unwrap();
        assert_eq!(view.flags(), 4);
        assert!(view.has_syscall(59) && !view.has_syscall(58));
        let fields: heapless::Vec<RuleField<'_>, 4> = view.fields().collect();
        assert_eq!(fields[1].string, Some(&b"exec"[..]));
        assert_eq!(view.head(), head);
        assert_eq!(view.as_bytes().len(), HEAD_LEN + 4);
    }

    #[test]
    fn the_layout_is_uapis() {
        // struct audit_rule_data: 3 words, 4 arrays of 64, buflen.
        assert_eq!(layout::MASK, 12..268);
        assert_eq!(layout::word(layout::MASK, 63), 264..268);
        assert_eq!(layout::FIELDS.start, 268);
        assert_eq!(layout::word(layout::FIELDFLAGS, 0), 780..784);
        assert_eq!(layout::BUFLEN, 1036..1040);
        assert_eq!(HEAD_LEN, 1040);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(
            RuleData::new_checked(&[0; 10]).unwrap_err(),
            RuleError::Truncated { len: 10 }
        );
        let mut b = [0u8; HEAD_LEN];
        b[8] = 65;
        assert!(matches!(
            RuleData::new_checked(&b),
            Err(RuleError::TooManyFields { count: 65 })
        ));
        b[8] = 1;
        b[layout::FIELDS.start] = 105; // a path of length 5 with no buffer
        b[layout::VALUES.start] = 5;
        assert!(matches!(
            RuleData::new_checked(&b),
            Err(RuleError::BadBuffer { .. })
        ));
    }
}

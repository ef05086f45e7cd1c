//! The event's fields, parsed once: the document reads the primary record
//! (the facts, `auditd.data`) and the records that name the event (the
//! data, the keys already given) several times, and parsing a field costs
//! more than reading it back. Up to [`FIELDS`] fields of up to
//! [`RECORDS`] records are kept, added by the facts' pass. Records read
//! once are not: EXECVE (the arguments, in order), PATH (`auditd.paths`;
//! the facts take the object's few values by keys alone), CWD, PROCTITLE
//! and SOCKADDR (one value each). A record that does not fit is parsed
//! again where it is read, with the same result.

use crate::record::{Field, Fields, Value};

/// Fields kept per event (a SYSCALL record has about 30, a PATH 15).
const FIELDS: usize = 128;
/// Records kept per event.
const RECORDS: usize = 16;

/// Fields of the primary record marked for `auditd.data`.
const MARKED: usize = 64;

#[derive(Default)]
pub(super) struct Index<'a> {
    /// The kept fields, each as places in its record's body (small: the
    /// storage is set up per event).
    fields: heapless::Vec<Place, FIELDS>,
    records: heapless::Vec<Kept<'a>, RECORDS>,
    /// The fields of one kept record (`marked_of`) that its reader
    /// wants, as they were marked while parsed ([`add`](Self::add)):
    /// their places in `fields`, in order.
    marked: heapless::Vec<u8, MARKED>,
    marked_of: Option<&'a [u8]>,
    /// The marked keys are all different, none is `msg` ([`Marked::distinct`]).
    marked_distinct: bool,
}

/// A kept record: its body and its fields' range in `fields`.
#[derive(Clone, Copy)]
struct Kept<'a> {
    body: &'a [u8],
    start: u16,
    end: u16,
}

/// A field as offsets into its body: key, value form and value text.
#[derive(Clone, Copy)]
pub(super) struct Place {
    key: u16,
    key_len: u16,
    form: Form,
    text: u16,
    text_len: u16,
}

#[derive(Clone, Copy)]
enum Form {
    Bare,
    DoubleQuoted,
    SingleQuoted,
    Null,
    Unknown,
    NoneLiteral,
    Absent,
}

impl<'a> Index<'a> {
    /// Parses and keeps the fields of `body` (a record of the event),
    /// giving each to `each` as it is parsed; false (nothing kept: it is
    /// parsed where it is read, with the same result) when they do not fit
    /// (or the body is longer than an offset can say), and then `each` may
    /// have seen only some of them. [`Facts::fill`](super::facts::Facts::fill)
    /// says which records are kept: those the document reads more than
    /// once, while there is room. With `mark`, the fields for which `each`
    /// says true are remembered as the ones [`marked`](Self::marked) gives
    /// (those of an earlier record marked are forgotten).
    #[inline(always)]
    pub fn add(
        &mut self,
        body: &'a [u8],
        mark: bool,
        mut each: impl FnMut(Field<'a>) -> bool,
    ) -> bool {
        if mark {
            self.marked.clear();
            self.marked_of = None;
        }
        if u16::try_from(body.len()).is_err() {
            return false;
        }
        let start = self.fields.len();
        let base = body.as_ptr() as usize;
        let mut marks_fit = true;
        // A bit per marked key's hash: none set twice, the keys differ.
        let (mut seen, mut distinct) = (0u64, true);
        let mut fields = Fields::new(body);
        let mut kept = true;
        while let Some(f) = fields.next_inlined() {
            let at = self.fields.len();
            if each(f) && mark {
                let place = u8::try_from(at).map_err(|_| 0);
                marks_fit = marks_fit && place.and_then(|p| self.marked.push(p)).is_ok();
                let bit = key_bit(f.key);
                distinct = distinct && seen & bit == 0 && f.key != b"msg";
                seen |= bit;
            }
            if self.fields.push(Place::of(base, f)).is_err() {
                kept = false;
                break;
            }
        }
        let range = (u16::try_from(start), u16::try_from(self.fields.len()));
        if let (true, (Ok(start), Ok(end))) = (kept, range) {
            if self.records.push(Kept { body, start, end }).is_ok() {
                if mark && marks_fit {
                    self.marked_of = Some(body);
                    self.marked_distinct = distinct;
                }
                return true;
            }
        }
        self.fields.truncate(start);
        if mark {
            self.marked.clear();
        }
        false
    }

    /// The fields of `body` marked when it was added, in order; `None`
    /// when it was not kept, not marked, or had more of them than are
    /// remembered.
    pub fn marked(&self, body: &'a [u8]) -> Option<Marked<'_, 'a>> {
        let of = self.marked_of.filter(|&of| core::ptr::eq(of, body))?;
        Some(Marked {
            body: of,
            fields: &self.fields,
            marks: self.marked.iter(),
            distinct: self.marked_distinct,
        })
    }

    /// The fields of `body` (a record of the event), from the index when
    /// kept, else parsed now.
    pub fn fields(&self, body: &'a [u8]) -> RecordFields<'_, 'a> {
        let same = |k: &&Kept<'a>| core::ptr::eq(k.body, body);
        let kept = self.records.iter().find(same);
        let places = kept.and_then(|k| {
            let fields = self.fields.get(usize::from(k.start)..usize::from(k.end))?;
            Some((k.body, fields))
        });
        match places {
            Some((body, places)) => RecordFields::Kept(body, places.iter()),
            None => RecordFields::Parsed(Fields::new(body)),
        }
    }

    /// The value of the first field named `key` in `body`.
    pub fn field(&self, body: &'a [u8], key: &[u8]) -> Option<Value<'a>> {
        self.fields(body).find(|f| f.key == key).map(|f| f.value)
    }
}

impl Place {
    /// Where `field`'s slices are in the body starting at address
    /// `base` (they borrow it), a body of at most `u16::MAX` bytes: every
    /// offset fits. (An empty text of a marker is not in the body: its
    /// offset saturates, and it reads back empty.)
    fn of(base: usize, field: Field<'_>) -> Place {
        let at = |part: &[u8]| {
            u16::try_from((part.as_ptr() as usize).wrapping_sub(base)).unwrap_or(u16::MAX)
        };
        let len = |part: &[u8]| u16::try_from(part.len()).unwrap_or(0);
        let (form, text) = match field.value {
            Value::Bare(t) => (Form::Bare, t),
            Value::DoubleQuoted(t) => (Form::DoubleQuoted, t),
            Value::SingleQuoted(t) => (Form::SingleQuoted, t),
            Value::Null => (Form::Null, &[][..]),
            Value::Unknown => (Form::Unknown, &[][..]),
            Value::NoneLiteral => (Form::NoneLiteral, &[][..]),
            Value::Absent => (Form::Absent, &[][..]),
        };
        Place {
            key: at(field.key),
            key_len: len(field.key),
            form,
            text: at(text),
            text_len: len(text),
        }
    }

    /// The field again, from its body.
    fn field<'a>(&self, body: &'a [u8]) -> Field<'a> {
        let part = |at: u16, len: u16| {
            let at = usize::from(at);
            body.get(at..at + usize::from(len)).unwrap_or_default()
        };
        let text = part(self.text, self.text_len);
        let value = match self.form {
            Form::Bare => Value::Bare(text),
            Form::DoubleQuoted => Value::DoubleQuoted(text),
            Form::SingleQuoted => Value::SingleQuoted(text),
            Form::Null => Value::Null,
            Form::Unknown => Value::Unknown,
            Form::NoneLiteral => Value::NoneLiteral,
            Form::Absent => Value::Absent,
        };
        Field {
            key: part(self.key, self.key_len),
            value,
        }
    }
}

/// The marked fields of a record ([`Index::marked`]).
#[derive(Clone)]
pub(super) struct Marked<'i, 'a> {
    body: &'a [u8],
    fields: &'i [Place],
    marks: core::slice::Iter<'i, u8>,
    distinct: bool,
}

impl Marked<'_, '_> {
    /// The marked keys are all different and none is `msg` (known for
    /// sure; false may also mean a bit two keys share).
    pub(super) fn distinct(&self) -> bool {
        self.distinct
    }
}

/// One of 64 bits for a key: its length and first, second and last
/// bytes, mixed (equal keys, equal bits).
#[inline(always)]
fn key_bit(key: &[u8]) -> u64 {
    let at = |i: usize| u64::from(key.get(i).copied().unwrap_or(0));
    let last = u64::from(key.last().copied().unwrap_or(0));
    let mixed = u64::try_from(key.len())
        .unwrap_or(0)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(at(0) << 16 | at(1) << 8 | last)
        .wrapping_mul(0x2545_F491_4F6C_DD1D);
    1 << (mixed >> 58)
}

impl<'a> Iterator for Marked<'_, 'a> {
    type Item = Field<'a>;

    #[inline]
    fn next(&mut self) -> Option<Field<'a>> {
        loop {
            let at = usize::from(*self.marks.next()?);
            if let Some(place) = self.fields.get(at) {
                return Some(place.field(self.body));
            }
        }
    }
}

/// A record's fields: kept, or parsed while read.
#[derive(Clone)]
pub(super) enum RecordFields<'i, 'a> {
    Kept(&'a [u8], core::slice::Iter<'i, Place>),
    Parsed(Fields<'a>),
}

impl<'a> Iterator for RecordFields<'_, 'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        match self {
            RecordFields::Kept(body, places) => places.next().map(|p| p.field(body)),
            RecordFields::Parsed(fields) => fields.next(),
        }
    }
}

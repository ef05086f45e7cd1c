//! `auditd.data`'s members from the primary record, written while the
//! facts' pass parses it ([`DataDraft`]) into the second half of the
//! output, kept at its end, and moved into place when the document
//! reaches `data` (`Cursor::push_within`): the record is parsed once for
//! both, nothing kept in between. A document that fits its room always
//! has room for its part before `data` before the draft (which is no
//! longer than `data`), so the draft changes nothing in what fits.
//!
//! The draft is kept ([`Draft`]) only when its keys surely differ (a bit
//! per key's hash, none set twice) and none is `msg='…'`, when the
//! record's `syscall` comes after its `arch` (the name needs it), and
//! when it fits half the room. Otherwise `write_data` reads the record
//! again and remembers its keys (the first of a repeated key wins): the
//! same members either way.

use super::auditd::write_datum;
use super::facts::{arch_of, syscall_name};
use super::members::Members;
use crate::encode::cursor::Cursor;
use crate::record::{Field, Value};
use crate::tables::arch::Arch;

/// Where a kept draft is in the output: `{` and its members, and
/// whether it has none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Draft {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) first: bool,
    /// A bit per key of the record that `auditd.data` reads
    /// ([`key_bit`]): every key not moved elsewhere has its bit.
    pub(super) keys: u64,
}

/// The draft being written.
pub(super) struct DataDraft<'o> {
    cursor: Cursor<'o>,
    /// Where `cursor`'s buffer starts in the output.
    base: usize,
    first: bool,
    /// A bit per key's hash ([`key_bit`]).
    seen: u64,
    ok: bool,
    /// The arch the record's `arch` field names, once written.
    arch: Option<Arch>,
    /// The name of the syscall its `syscall` field numbers on that arch,
    /// once written (`Some(None)`: named, no name known).
    syscall: Option<Option<&'static str>>,
}

impl<'o> DataDraft<'o> {
    /// A draft into `tail`, which starts at `base` in the output.
    pub(super) fn new(tail: &'o mut [u8], base: usize) -> DataDraft<'o> {
        let mut cursor = Cursor::new(tail);
        let ok = cursor.push(b"{").is_ok();
        DataDraft {
            cursor,
            base,
            first: true,
            seen: 0,
            ok,
            arch: None,
            syscall: None,
        }
    }

    /// Starts again: a later record is the primary one.
    pub(super) fn restart(&mut self) {
        self.cursor.unwind(1);
        self.first = true;
        self.seen = 0;
        self.ok = self.cursor.pos() == 1;
        self.arch = None;
        self.syscall = None;
    }

    /// The next field of the primary record that `auditd.data` reads
    /// ([`is_data`](super::facts::is_data)), written as `write_data`
    /// writes it; `syscall_record`: the record is a SYSCALL record (so
    /// the event's primary one, its `arch`, `syscall` and `exit`
    /// named); `arch`: the record's first `arch` field so far.
    #[inline(always)]
    pub(super) fn field(&mut self, f: Field<'_>, syscall_record: bool, arch: Option<Value<'_>>) {
        if !self.ok {
            return;
        }
        let bit = key_bit(f.key);
        if self.seen & bit != 0 || f.key == b"msg" {
            self.ok = false;
            return;
        }
        self.seen |= bit;
        let named = match (syscall_record, f.key) {
            (false, _) => None,
            (true, b"arch") => {
                self.arch = arch_of(arch);
                Some((self.arch, None))
            }
            (true, b"syscall") => {
                // Named by the arch before it; an arch after it would
                // be the facts' one.
                let Some(arch) = self.arch else {
                    self.ok = false;
                    return;
                };
                let name = syscall_name(Some(arch), Some(f.value));
                self.syscall = Some(name);
                Some((Some(arch), name))
            }
            (true, _) => Some((None, None)),
        };
        let mut d = Members::resume(&mut self.cursor, self.first);
        self.ok = write_datum(&mut d, named, f).is_ok();
        self.first = d.is_first();
    }

    /// The arch the primary record's `arch` field names, when written
    /// (the first: a second one gives the draft up before it is).
    pub(super) fn arch(&self) -> Option<Arch> {
        self.arch
    }

    /// The name the primary record's first `syscall` field was given
    /// when written (named by [`arch`](Self::arch), which it needs);
    /// `None` when it was not written.
    pub(super) fn syscall(&self) -> Option<Option<&'static str>> {
        self.syscall
    }

    /// The draft, when kept, moved to the end of the output: a document
    /// that fits its room then always has room for its part before
    /// `data` before the draft.
    pub(super) fn finish(&mut self) -> Option<Draft> {
        if !self.ok {
            return None;
        }
        let len = self.cursor.pos();
        let start = self.cursor.move_to_end();
        self.ok = false;
        Some(Draft {
            start: self.base.saturating_add(start),
            end: self.base.saturating_add(start).saturating_add(len),
            first: self.first,
            keys: self.seen,
        })
    }
}

/// One of 64 bits for a key: its length and first, second and last
/// bytes, mixed (equal keys, equal bits).
#[inline(always)]
pub(super) fn key_bit(key: &[u8]) -> u64 {
    let at = |i: usize| u64::from(key.get(i).copied().unwrap_or(0));
    let last = u64::from(key.last().copied().unwrap_or(0));
    let mixed = u64::try_from(key.len())
        .unwrap_or(0)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(at(0) << 16 | at(1) << 8 | last)
        .wrapping_mul(0x2545_F491_4F6C_DD1D);
    1 << (mixed >> 58)
}

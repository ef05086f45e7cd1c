//! What one pass over an event's records finds ([`Facts`]): the primary
//! (SYSCALL, else first) record, the record that names the event, the
//! CWD, PROCTITLE, SOCKADDR, EXECVE and PATH values the document reads,
//! and the primary record's values of the keys it reads ([`KEYS`], found
//! in one pass, which also drafts `auditd.data`: [`DataDraft`]); which
//! keys go elsewhere than `auditd.data` ([`is_moved`]).

use super::draft::{DataDraft, Draft};
use super::norm;
use super::norm::Norm;
use super::object::{object_path_index, ObjectFile};
use crate::assemble::{Event, EventRecord};
use crate::record::prefix;
use crate::record::{field, first_values, Field, Fields, Value};
use crate::tables::arch::Arch;
use crate::tables::syscall::Syscall;
use crate::wire::MessageType;

/// The uid value the kernel writes for "not set".
pub(super) const UNSET: &[u8] = b"4294967295";

/// Fields of the primary record that go elsewhere than `auditd.data`,
/// sorted: what [`is_moved`] matches (a test holds them together).
#[cfg(test)]
pub(super) const MOVED: &[&[u8]] = &[
    b"addr",
    b"auid",
    b"comm",
    b"cwd",
    b"egid",
    b"euid",
    b"exe",
    b"fsgid",
    b"fsuid",
    b"gid",
    b"igid",
    b"inode_gid",
    b"inode_uid",
    b"iuid",
    b"key",
    b"msg",
    b"new_gid",
    b"oauid",
    b"obj_gid",
    b"obj_uid",
    b"ogid",
    b"old-auid",
    b"ouid",
    b"pid",
    b"ppid",
    b"res",
    b"sauid",
    b"ses",
    b"sgid",
    b"subj",
    b"success",
    b"suid",
    b"uid",
];

/// What one pass over the records found.
#[derive(Clone, Copy, Default)]
pub(super) struct Facts<'a> {
    /// The SYSCALL record, else the first record.
    pub(super) primary: Option<EventRecord<'a>>,
    pub(super) is_syscall: bool,
    /// Beside a SYSCALL record, the first record that says what the event
    /// is (AVC, ANOM_PROMISCUOUS, TIME_INJOFFSET, NETFILTER_CFG, …): its
    /// type names the event and its fields join `auditd.data`.
    pub(super) special: Option<EventRecord<'a>>,
    pub(super) syscall: Option<&'static str>,
    pub(super) arch: Option<Arch>,
    pub(super) cwd: Option<Value<'a>>,
    pub(super) proctitle: Option<Value<'a>>,
    pub(super) saddr: Option<&'a [u8]>,
    pub(super) has_execve: bool,
    pub(super) argc: Option<Value<'a>>,
    pub(super) paths: u32,
    /// The first [`PATH_BODIES`] PATH records' bodies, in order (with
    /// more, `auditd.paths` reads the records again).
    pub(super) path_bodies: [&'a [u8]; PATH_BODIES],
    /// The PATH record the summary names: the first that is neither a
    /// PARENT nor UNKNOWN, from the syscall's `object_path_index` on.
    pub(super) object_path: Option<&'a [u8]>,
    /// That record's values `file.*` and the summary read.
    pub(super) object: ObjectFile<'a>,
    /// The primary record's values of [`KEYS`] (first occurrence, the
    /// body's before its `msg='…'`'s), found in one pass.
    pub(super) known: Known<'a>,
    /// The primary record's first `arch` and `syscall` fields, whatever
    /// their values (what `arch` and `syscall` are read from).
    first_arch: Option<Value<'a>>,
    first_syscall: Option<Value<'a>>,
    /// `auditd.data`'s members of the primary record, drafted in the
    /// output as the pass parsed it, when kept.
    pub(super) data: Option<Draft>,
    /// The event has more than one record (EOE aside): aucoalesce's
    /// `normalizeCompound` then takes `items` out of the data.
    compound: bool,
}

/// The values of [`KEYS`], by slot (an array longer than `Default`
/// derives for), and which slots have one (a bit each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Known<'a> {
    values: [Option<Value<'a>>; KEYS.len()],
    noted: u64,
}

// A bit for each slot.
const _: () = assert!(KEYS.len() <= 64);

impl Default for Known<'_> {
    fn default() -> Self {
        Known {
            values: [None; KEYS.len()],
            noted: 0,
        }
    }
}

impl<'a> Known<'a> {
    #[inline(always)]
    pub(super) fn get(&self, slot: usize) -> Option<&Option<Value<'a>>> {
        self.values.get(slot)
    }

    /// Keeps `value` for `slot` unless it has one, or `value` is absent.
    #[inline(always)]
    fn note(&mut self, slot: usize, value: Value<'a>) {
        if let Some(known) = self.values.get_mut(slot) {
            if known.is_none() && value != Value::Absent {
                *known = Some(value);
                self.noted |= 1 << slot;
            }
        }
    }

    /// Whether any of the slots whose bits `slots` sets has a value.
    #[inline(always)]
    pub(super) fn any(&self, slots: u64) -> bool {
        self.noted & slots != 0
    }
}

/// How many PATH records' bodies the facts keep for `auditd.paths`
/// (nearly every event has at most four), which then need not walk
/// the event's records again.
pub(super) const PATH_BODIES: usize = 4;

/// The primary record's fields the document reads, sorted: looked up
/// once per event instead of a scan per use.
pub(super) const KEYS: [&[u8]; 37] = [
    b"a0",
    b"acct",
    b"addr",
    b"auid",
    b"comm",
    b"cwd",
    b"egid",
    b"euid",
    b"exe",
    b"fsgid",
    b"fsuid",
    b"gid",
    b"hostname",
    b"id",
    b"igid",
    b"inode_gid",
    b"inode_uid",
    b"iuid",
    b"key",
    b"new_gid",
    b"oauid",
    b"obj_gid",
    b"obj_uid",
    b"ogid",
    b"old-auid",
    b"ouid",
    b"pid",
    b"ppid",
    b"res",
    b"sauid",
    b"ses",
    b"sgid",
    b"subj",
    b"success",
    b"suid",
    b"terminal",
    b"uid",
];

/// The index of `key` in [`KEYS`] (a `match`: cheaper than a search; a
/// test checks it against the array). Always inlined: most callers
/// name a constant key, which folds to its slot.
#[inline(always)]
pub(super) const fn slot_of(key: &[u8]) -> Option<usize> {
    Some(match key {
        b"a0" => 0,
        b"acct" => 1,
        b"addr" => 2,
        b"auid" => 3,
        b"comm" => 4,
        b"cwd" => 5,
        b"egid" => 6,
        b"euid" => 7,
        b"exe" => 8,
        b"fsgid" => 9,
        b"fsuid" => 10,
        b"gid" => 11,
        b"hostname" => 12,
        b"id" => 13,
        b"igid" => 14,
        b"inode_gid" => 15,
        b"inode_uid" => 16,
        b"iuid" => 17,
        b"key" => 18,
        b"new_gid" => 19,
        b"oauid" => 20,
        b"obj_gid" => 21,
        b"obj_uid" => 22,
        b"ogid" => 23,
        b"old-auid" => 24,
        b"ouid" => 25,
        b"pid" => 26,
        b"ppid" => 27,
        b"res" => 28,
        b"sauid" => 29,
        b"ses" => 30,
        b"sgid" => 31,
        b"subj" => 32,
        b"success" => 33,
        b"suid" => 34,
        b"terminal" => 35,
        b"uid" => 36,
        _ => return None,
    })
}

/// Whether `auditd.data` reads a field of the primary record: one not
/// moved elsewhere, or the `msg='…'` whose fields it reads.
pub(super) fn is_data(key: &[u8]) -> bool {
    !is_moved(key) || key == b"msg"
}

/// The slots in [`KEYS`] of the moved keys, a bit each: every moved key
/// but `msg` is in [`KEYS`] (a test says so), so a slot answers
/// [`is_data`] for a key whose slot was found anyway.
const MOVED_SLOTS: u64 = {
    let mut mask = 0;
    let mut i = 0;
    while i < KEYS.len() {
        if is_moved(KEYS[i]) {
            mask |= 1 << i;
        }
        i += 1;
    }
    mask
};

/// The slot of `key` in [`KEYS`] for a table built at compile time
/// ([`Facts::at`] reads it); `usize::MAX`, where nothing is, for a key
/// not there (the tables name only known keys: a test says so).
pub(super) const fn known_slot(key: &[u8]) -> usize {
    match slot_of(key) {
        Some(slot) => slot,
        None => usize::MAX,
    }
}

/// `key` is in [`MOVED`] (a `match`; a test checks it against the array).
pub(super) const fn is_moved(key: &[u8]) -> bool {
    matches!(
        key,
        b"addr"
            | b"auid"
            | b"comm"
            | b"cwd"
            | b"egid"
            | b"euid"
            | b"exe"
            | b"fsgid"
            | b"fsuid"
            | b"gid"
            | b"igid"
            | b"inode_gid"
            | b"inode_uid"
            | b"iuid"
            | b"key"
            | b"msg"
            | b"new_gid"
            | b"oauid"
            | b"obj_gid"
            | b"obj_uid"
            | b"ogid"
            | b"old-auid"
            | b"ouid"
            | b"pid"
            | b"ppid"
            | b"res"
            | b"sauid"
            | b"ses"
            | b"sgid"
            | b"subj"
            | b"success"
            | b"suid"
            | b"uid"
    )
}

impl<'a> Facts<'a> {
    /// (Tests) the facts of `event`, as [`fill`](Self::fill) finds them
    /// (the data drafted into `out`).
    #[cfg(test)]
    pub(super) fn of(event: &Event<'a>, out: &mut [u8]) -> Facts<'a> {
        let mut facts = Facts::default();
        facts.fill(event, &mut DataDraft::new(out, 0));
        facts
    }

    /// The facts of `event` into these (a default's, in place: a caller's
    /// own, not a copy of a returned one), in one pass over its records.
    /// The primary record's fields are noted as they are parsed, and
    /// those `auditd.data` reads written into `draft` ([`Facts::data`]
    /// says where, when kept).
    pub(super) fn fill(&mut self, event: &Event<'a>, draft: &mut DataDraft<'_>) {
        self.fill_with(event, draft, true);
    }

    /// (Tests) the facts of `event` as [`of`](Self::of) finds them, but
    /// every record read field by field (no SYSCALL prefix by layout).
    #[cfg(test)]
    pub(super) fn of_fields(event: &Event<'a>, out: &mut [u8]) -> Facts<'a> {
        let mut facts = Facts::default();
        facts.fill_with(event, &mut DataDraft::new(out, 0), false);
        facts
    }

    /// [`fill`](Self::fill); `layout`: a SYSCALL record's prefix read by
    /// its layout ([`prefix::SYSCALL`]) where it can be.
    #[inline(always)]
    fn fill_with(&mut self, event: &Event<'a>, draft: &mut DataDraft<'_>, layout: bool) {
        let f = self;
        f.compound = event.record_count().saturating_add(event.dropped_records()) > 1;
        // Whether `known` holds a record's fields (a later SYSCALL record
        // takes the first record's place), and that record's `msg='…'`.
        let mut noted = false;
        let mut nested: Option<&'a [u8]> = None;
        for (n, record) in event.records().enumerate() {
            let t = record.msg_type;
            // The primary record: the first SYSCALL, else the first.
            if n == 0 || (t == MessageType::SYSCALL && !f.is_syscall) {
                if noted {
                    f.forget_primary(&mut nested);
                    draft.restart();
                }
                let syscall_record = t == MessageType::SYSCALL;
                // (A SECCOMP record's arch and syscall are named too.)
                let names_call = syscall_record || t == SECCOMP;
                let mut fields = Fields::new(record.body);
                // The kernel's prefix (most records) read by its layout.
                let mut values = [Value::Absent; prefix::SYSCALL_LEN];
                if let Some(rest) = (syscall_record && layout)
                    .then(|| prefix::SYSCALL.read_into(record.body, &mut values))
                    .flatten()
                {
                    f.note_prefix(&values, draft);
                    fields = Fields::new(rest);
                }
                while let Some(field) = fields.next_inlined() {
                    if f.note_primary(&mut nested, field) {
                        draft.field(field, names_call, f.first_arch);
                    }
                }
                noted = true;
            }
            match t {
                MessageType::SYSCALL if !f.is_syscall => {
                    f.primary = Some(record);
                    f.is_syscall = true;
                }
                MessageType::CWD => f.cwd = f.cwd.or(first_value(record.body, b"cwd")),
                MessageType::PROCTITLE => {
                    f.proctitle = f.proctitle.or(first_value(record.body, b"proctitle"));
                }
                MessageType::SOCKADDR => {
                    if let Some(Value::Bare(hex)) = first_value(record.body, b"saddr") {
                        f.saddr = f.saddr.or(Some(hex));
                    }
                }
                MessageType::EXECVE => {
                    f.has_execve = true;
                    // Once found, the later EXECVE records (which do
                    // not say it) are not scanned for it.
                    if f.argc.is_none() {
                        f.argc = first_value(record.body, b"argc");
                    }
                }
                MessageType::PATH => {
                    if let Some(kept) = usize::try_from(f.paths)
                        .ok()
                        .and_then(|n| f.path_bodies.get_mut(n))
                    {
                        *kept = record.body;
                    }
                    f.paths = f.paths.saturating_add(1);
                    if f.object_path.is_none() {
                        let (file, passed_over) = ObjectFile::of(record.body);
                        if !passed_over {
                            f.object_path = Some(record.body);
                            f.object = file;
                        }
                    }
                }
                t if f.special.is_none() && !is_auxiliary(t) => f.special = Some(record),
                _ => {}
            }
            if f.primary.is_none() {
                f.primary = Some(record);
            }
        }
        f.data = draft.finish();
        for field in Fields::new(nested.unwrap_or_default()) {
            f.note(field);
        }
        if !f.is_syscall {
            // The first record is the primary one, not special.
            f.special = None;
            f.cwd = f.cwd.or(f.get(b"cwd"));
        }
        if f.names_call() {
            // (Named once, by the draft, when it wrote the field.)
            f.arch = draft.arch().or_else(|| arch_of(f.first_arch));
            // (The draft's name is this one: its arch is `f.arch` then.)
            f.syscall = draft
                .syscall()
                .unwrap_or_else(|| syscall_name(f.arch, f.first_syscall));
            // A syscall whose object is a later PATH record (a mount's
            // target, not its source): looked for again from there.
            let from = object_path_index(f.syscall);
            if f.is_syscall && from > 0 && f.object_path.is_some() {
                let later = event
                    .records()
                    .filter(|r| r.msg_type == MessageType::PATH)
                    .skip(from)
                    .map(|r| (r.body, ObjectFile::of(r.body)))
                    .find(|(_, (_, passed_over))| !passed_over);
                if let Some((body, (file, _))) = later {
                    f.object_path = Some(body);
                    f.object = file;
                }
            }
        }
    }

    /// The primary record names a syscall: a SYSCALL record, or a
    /// SECCOMP record (whose `arch` and `syscall` are named as a
    /// SYSCALL record's, as aucoalesce names them).
    /// Whether the primary record's `key` may be in `auditd.data` for this
    /// event: every key but `items` of an event of several records, which
    /// aucoalesce's `normalizeCompound` deletes (a lone SYSCALL record
    /// keeps it). (Moved keys are told apart by [`is_data`].)
    pub(super) fn in_data(&self, key: &[u8]) -> bool {
        !(self.compound && key == b"items")
    }

    pub(super) fn names_call(&self) -> bool {
        self.is_syscall || self.primary.is_some_and(|r| r.msg_type == SECCOMP)
    }

    pub(super) fn body(&self) -> &'a [u8] {
        self.primary.map_or(&[][..], |r| r.body)
    }

    /// The record whose type names the event.
    pub(super) fn named(&self) -> Option<EventRecord<'a>> {
        self.special.or(self.primary)
    }

    /// Whether the user-space record naming the event makes its `addr`
    /// the source, which then leaves `auditd.data`: aucoalesce's
    /// `source_ip: [addr]`, which USER_START, USER_ERR, USER_LOGIN,
    /// CRYPTO_KEY_USER and CRYPTO_SESSION have. Any other record keeps
    /// `addr` in its data (USER_AUTH's, USER_ACCT's) and has no source.
    pub(super) fn addr_is_source(&self) -> bool {
        !self.is_syscall
            && self
                .named()
                .is_some_and(|r| matches!(r.msg_type.0, 1105 | 1109 | 1112 | 2404 | 2407))
    }

    /// Whether the field `key` of the primary record's `msg='…'` leaves
    /// `auditd.data`: [`is_moved`], but a user-space record's `addr`
    /// (always in its `msg='…'`) only when it is the source
    /// ([`addr_is_source`](Self::addr_is_source)). (A kernel record's
    /// `addr`, outside any `msg='…'`, stays moved, in the draft too.)
    pub(super) fn moves_from_msg(&self, key: &[u8]) -> bool {
        is_moved(key) && (key != b"addr" || self.is_syscall || self.addr_is_source())
    }

    pub(super) fn norm(&self) -> Norm {
        // The syscall's normalisation, for a record type's to add
        // (aucoalesce adds it to any event with a syscall).
        let call = || self.syscall.map_or(norm::SYSCALL_DEFAULT, norm::of_syscall);
        if let Some(special) = self.special {
            return match record_norm(special) {
                Some(own) if self.is_syscall => own.adding(call()),
                Some(own) => own,
                None => norm::RECORD_DEFAULT,
            };
        }
        if self.names_call() && !self.is_syscall {
            // SECCOMP: its own action; the category and type of the
            // syscall it names.
            return norm::of_type("SECCOMP").adding(call());
        }
        match (self.is_syscall, self.syscall) {
            (true, Some(name)) => norm::of_syscall(name),
            (true, None) => norm::SYSCALL_DEFAULT,
            (false, _) => self
                .primary
                .and_then(record_norm)
                .unwrap_or(norm::RECORD_DEFAULT),
        }
    }

    /// A field of the special record (else of the primary one).
    pub(super) fn special_get(&self, key: &[u8]) -> Option<Value<'a>> {
        self.special
            .and_then(|r| field(r.body, key))
            .or_else(|| self.get(key))
    }

    /// Notes a field of the primary record, and where its (first)
    /// `msg='…'` is; says whether `auditd.data` reads it
    /// ([`is_data`]), from the key's slot.
    #[inline(always)]
    fn note_primary(&mut self, nested: &mut Option<&'a [u8]>, field: Field<'a>) -> bool {
        if !self.in_data(field.key) {
            return false;
        }
        let Some(slot) = slot_of(field.key) else {
            // (None of these is a known key.)
            let first = match field.key {
                b"msg" => {
                    if let Value::SingleQuoted(inner) = field.value {
                        *nested = nested.or(Some(inner));
                    }
                    return true;
                }
                b"arch" => &mut self.first_arch,
                b"syscall" => &mut self.first_syscall,
                _ => return true,
            };
            *first = first.or(Some(field.value));
            return true;
        };
        self.note_at(Some(slot), field.value);
        MOVED_SLOTS >> slot & 1 == 0
    }

    /// Notes the values of a SYSCALL record's prefix ([`prefix::SYSCALL`]),
    /// and drafts those `auditd.data` reads, as the field-by-field pass
    /// does for the same fields (their keys distinct, none `msg`): each
    /// step names a constant key, its place and slot found at compile
    /// time and its draft's key tests folded.
    #[inline(always)]
    fn note_prefix(
        &mut self,
        values: &[Value<'a>; prefix::SYSCALL_LEN],
        draft: &mut DataDraft<'_>,
    ) {
        macro_rules! value {
            ($key:literal) => {
                values
                    .get(const { prefix::SYSCALL.at($key) })
                    .copied()
                    .unwrap_or(Value::Absent)
            };
        }
        macro_rules! moved {
            ($($key:literal),*) => {
                $(self.note_at(const { slot_of($key) }, value!($key));)*
            };
        }
        macro_rules! data {
            ($($key:literal),*) => {
                $(draft.field(Field { key: $key, value: value!($key) }, true, self.first_arch);)*
            };
        }
        self.first_arch = Some(value!(b"arch"));
        self.first_syscall = Some(value!(b"syscall"));
        moved!(
            b"success", b"ppid", b"pid", b"auid", b"uid", b"gid", b"euid", b"suid", b"fsuid",
            b"egid", b"sgid", b"fsgid", b"ses"
        );
        self.note_at(const { slot_of(b"a0") }, value!(b"a0"));
        data!(b"arch", b"syscall", b"exit", b"a0", b"a1", b"a2", b"a3");
        if self.in_data(b"items") {
            data!(b"items");
        }
        data!(b"tty");
    }

    /// Forgets what was noted of a primary record (a later one takes
    /// its place, or it is noted again).
    fn forget_primary(&mut self, nested: &mut Option<&'a [u8]>) {
        self.known = Known::default();
        self.first_arch = None;
        self.first_syscall = None;
        *nested = None;
    }

    pub(super) fn note(&mut self, field: Field<'a>) {
        self.note_at(slot_of(field.key), field.value);
    }

    #[inline(always)]
    fn note_at(&mut self, slot: Option<usize>, value: Value<'a>) {
        if let Some(slot) = slot {
            self.known.note(slot, value);
        }
    }

    /// `ses` as Auditbeat writes `auditd.session`: none when absent or
    /// unset (audit_linux.go: `if auditEvent.Session != uidUnset`).
    pub(super) fn session(&self) -> Option<Value<'a>> {
        present(self.get(b"ses")).filter(|v| v.text() != UNSET)
    }

    /// A field of the primary record, or of its `msg='…'` (user records).
    #[inline(always)]
    pub(super) fn get(&self, key: &[u8]) -> Option<Value<'a>> {
        match slot_of(key) {
            Some(i) => self.known.get(i).copied().flatten(),
            None => self.scan(key),
        }
    }

    /// [`get`](Self::get) of the key whose slot is `slot`
    /// ([`known_slot`]).
    #[inline(always)]
    pub(super) fn at(&self, slot: usize) -> Option<Value<'a>> {
        self.known.get(slot).copied().flatten()
    }

    /// [`get`](Self::get) for a key not in [`KEYS`]: the body scanned.
    #[inline(never)]
    pub(super) fn scan(&self, key: &[u8]) -> Option<Value<'a>> {
        let body = self.body();
        field(body, key).or_else(|| match field(body, b"msg") {
            Some(Value::SingleQuoted(inner)) => field(inner, key),
            _ => None,
        })
    }
}

/// The normalisation of the record an event is named after, if its type
/// has one: an AVC's by its fields (AppArmor's with an `apparmor=`, else
/// SELinux's), alone or with a syscall; any other's by its type name.
fn record_norm(record: EventRecord<'_>) -> Option<Norm> {
    if record.msg_type == AVC {
        return Some(norm::of_avc(field(record.body, b"apparmor").is_some()));
    }
    record.msg_type.name().and_then(norm::known_type)
}

pub(super) const AVC: MessageType = MessageType(1400);
/// `AUDIT_SECCOMP`.
pub(super) const SECCOMP: MessageType = MessageType(1326);

/// The arch an `arch` field's value names (bare hex).
#[inline]
pub(super) fn arch_of(value: Option<Value<'_>>) -> Option<Arch> {
    value
        .and_then(bare)
        .and_then(|hex| crate::record::number::parse_u32(hex, 16))
        .map(Arch)
}

/// The name of the syscall a `syscall` field's value numbers, on `arch`.
#[inline]
pub(super) fn syscall_name(arch: Option<Arch>, value: Option<Value<'_>>) -> Option<&'static str> {
    match (arch, value.and_then(bare).and_then(Syscall::parse)) {
        (Some(arch), Some(call)) => call.name(arch),
        _ => None,
    }
}

/// The value of the first field named `key` in `body` ([`field`], by
/// [`first_values`]' scan of the keys only).
#[inline(always)]
fn first_value<'a>(body: &'a [u8], key: &[u8]) -> Option<Value<'a>> {
    let [value] = first_values(body, &[key]);
    value
}

/// Records that only add to a syscall event (CWD, PATH, EXECVE,
/// PROCTITLE, SOCKADDR, EOE, …) rather than say what it is.
pub(super) fn is_auxiliary(t: MessageType) -> bool {
    matches!(
        t.0,
        1300..=1309 | 1311..=1323 | 1326..=1327 | 1336 | 1337 | 1425 | 1426
    ) && t.0 != 1305
        && t.0 != 1326
}

/// The text of a bare value.
pub(super) fn bare(value: Value<'_>) -> Option<&[u8]> {
    match value {
        Value::Bare(text) => Some(text),
        _ => None,
    }
}

/// A value with text: not `?` (quoted or not: aucoalesce drops PAM's
/// `acct="?"` as it drops a bare `?`), `(null)` or absent.
pub(super) fn present(value: Option<Value<'_>>) -> Option<Value<'_>> {
    value.filter(|v| {
        !matches!(
            v,
            Value::Null
                | Value::Unknown
                | Value::Absent
                | Value::DoubleQuoted(b"?")
                | Value::SingleQuoted(b"?")
        )
    })
}

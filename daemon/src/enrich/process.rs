//! Process identities for the ECS shape (`process.entity_id` and the
//! parent's `entity_id`, `executable` and `name`) and the structured one
//! (`"PID":{"entity_id"}`, `"PPID":{"entity_id","exe","comm"}` in the
//! record's `interpreted`), found in `/proc` while the event is enriched.
//!
//! An entity id is the SHA-256, in hex, of this boot's id
//! (`/proc/sys/kernel/random/boot_id`, read once), the pid and the
//! process's start time (`/proc/PID/stat` field 22, clock ticks after
//! boot), each number as 8 little-endian bytes. Auditbeat's
//! `system/process` also hashes with SHA-256 and 8 little-endian bytes per
//! number, but other inputs (its host id, the pid, and the start time's
//! nanoseconds within its second: Go's `StartTime.Nanosecond()`), and
//! writes the whole digest in hex or, in later versions, its first 12
//! bytes in base64: the ids are not Auditbeat's. The boot id keeps two
//! boots' processes apart, where pids and start times repeat. A pid reused
//! by another process gets another id; a process already gone when its
//! event is enriched gets none (nothing is invented).
//!
//! Cached by pid in a bounded two-way set-associative table allocated
//! once: an event's process and its parent whose pids fall in one set are
//! both kept (the least recently resolved entry is the one replaced, never
//! the one resolved just before for the same event). The start time is
//! read again at most every [`RECHECK`] per pid; a pid reused within that
//! time keeps the old identity (with cyclic pid allocation that takes
//! `pid_max` forks in that time: the kernel's default is 32,768, or 1,024
//! per possible CPU when more; systemd raises it to 4,194,304). The hash
//! is made again only when the start time differs. `exec` keeps the pid
//! and the start time (and so the id) but changes the executable and
//! `comm`: each recheck takes `comm` from the stat it has just read and
//! reads the executable again (one `readlink` per pid per [`RECHECK`] at
//! most), so both follow an `exec` from the first event more than
//! [`RECHECK`] after the last check.
//!
//! `comm` is kept as `/proc/PID/stat` shows it: at most 63 bytes (the
//! kernel's `proc_task_name` formats it into a 64-byte buffer; a kernel
//! worker's name such as `kworker/u8:0-ext4-rsv-conversion` is longer than
//! a task's 15), bytes that are not UTF-8 (a name the kernel cut to 15
//! bytes inside a character) each as U+FFFD, as the encoders write
//! invalid UTF-8. Reads go into stack buffers: no allocation.

use std::fs::File;
use std::io::{Read, Write as _};
use std::time::{Duration, Instant};

use arrayvec::ArrayString;
use raudit_core::encode::ProcessInfo;

use super::account_cache::parse_uid;

/// How long a process seen is trusted without reading its start time
/// again.
pub const RECHECK: Duration = Duration::from_millis(100);
/// Longest executable path kept; a longer one is left out.
const EXE_MAX: usize = 256;
/// Longest `comm` in `/proc/PID/stat`: `proc_task_name`'s buffer
/// (`char tcomm[64]`, fs/proc/array.c) less its NUL.
const COMM_MAX: usize = 63;
/// Room for [`COMM_MAX`] bytes as text: each may become U+FFFD (3 bytes).
/// A longer `comm` (no kernel writes one) is cut at a character boundary.
const COMM_TEXT: usize = COMM_MAX * 3;
/// Entries per set: a pid and its parent in one set are both kept.
const WAYS: usize = 2;
const ID_HEX: usize = 64;
/// Room for `/proc/PID/stat` (52 fields after a `comm` of at most 63
/// bytes: a few hundred bytes).
const STAT_READ: usize = 1024;

#[derive(Clone, Copy)]
struct Slot {
    pid: u32,
    /// Found in `/proc` at the last check.
    alive: bool,
    start: u64,
    /// Trusted without a check until then ([`RECHECK`] after the last).
    fresh_until: Option<Instant>,
    /// When last resolved, on the table's own clock; 0: an empty slot.
    used: u64,
    entity_id: ArrayString<ID_HEX>,
    exe: ArrayString<EXE_MAX>,
    comm: Comm,
}

/// `comm` as text (see the module doc).
pub type Comm = ArrayString<COMM_TEXT>;

const EMPTY: Slot = Slot {
    pid: 0,
    alive: false,
    start: 0,
    fresh_until: None,
    used: 0,
    entity_id: ArrayString::new_const(),
    exe: ArrayString::new_const(),
    comm: ArrayString::new_const(),
};

/// Process identities by pid.
pub struct Processes {
    /// [`WAYS`] slots per set; pid `p` is in set `p % sets`.
    slots: Box<[Slot]>,
    sets: usize,
    /// Counts resolves: which slot of a set was used last.
    clock: u64,
    boot_id: ArrayString<64>,
    proc_root: &'static str,
}

impl Processes {
    /// A table of `capacity` pids (rounded up to a whole set) over
    /// `/proc`; `None` without a boot id
    /// (no identity could be made).
    pub fn new(capacity: usize) -> Option<Processes> {
        Processes::with_proc_root(capacity, "/proc")
    }

    /// Over another `/proc` (tests).
    pub fn with_proc_root(capacity: usize, proc_root: &'static str) -> Option<Processes> {
        let text =
            std::fs::read_to_string(format!("{proc_root}/sys/kernel/random/boot_id")).ok()?;
        let boot_id = ArrayString::from(text.trim()).ok()?;
        let sets = capacity.clamp(1, 1 << 16).div_ceil(WAYS);
        (!boot_id.is_empty()).then(|| Processes {
            slots: vec![EMPTY; sets * WAYS].into_boxed_slice(),
            sets,
            clock: 0,
            boot_id,
            proc_root,
        })
    }

    /// Makes sure `pid` (decimal text from a record) is known as of `now`.
    pub fn resolve(&mut self, pid_text: &[u8], now: Instant) {
        let Some(pid) = parse_uid(pid_text) else {
            return;
        };
        self.clock += 1;
        let set = self.set_of(pid);
        let cached = set
            .clone()
            .find(|&at| self.slots.get(at).is_some_and(|s| s.holds(pid)));
        // Looked at in place: a slot is a few hundred bytes, and most
        // events find theirs fresh.
        if let Some(slot) = cached.and_then(|at| self.slots.get_mut(at)) {
            if slot.fresh_until.is_some_and(|until| now < until) {
                slot.used = self.clock;
                return;
            }
        }
        // This pid's slot, else the set's least recently resolved one (an
        // empty one first): never the slot resolved just before, which may
        // be this event's process when `pid` is its parent.
        let Some(at) =
            cached.or_else(|| set.min_by_key(|&at| self.slots.get(at).map_or(0, |s| s.used)))
        else {
            return;
        };
        let Some(&old) = self.slots.get(at) else {
            return;
        };
        let mut next = EMPTY;
        next.pid = pid;
        if let Some((comm, start)) = self.read_stat(pid) {
            if old.holds(pid) && old.alive && old.start == start {
                // The same process: its id stays; an `exec` since the last
                // check changed its `comm` and executable.
                next = old;
            } else {
                next.alive = true;
                next.start = start;
                next.entity_id = entity_id(&self.boot_id, pid, start);
            }
            next.comm = comm;
            next.exe = self.read_exe(pid).unwrap_or_default();
        }
        next.fresh_until = now.checked_add(RECHECK);
        next.used = self.clock;
        if let Some(stored) = self.slots.get_mut(at) {
            *stored = next;
        }
    }

    /// What is known of `pid`, if it was alive when last resolved.
    pub fn info(&self, pid_text: &[u8]) -> Option<ProcessInfo<'_>> {
        let pid = parse_uid(pid_text)?;
        let slot = self
            .set_of(pid)
            .filter_map(|at| self.slots.get(at))
            .find(|slot| slot.holds(pid))?;
        slot.alive.then(|| ProcessInfo {
            entity_id: slot.entity_id.as_str(),
            executable: (!slot.exe.is_empty()).then_some(slot.exe.as_str()),
            name: (!slot.comm.is_empty()).then_some(slot.comm.as_str()),
        })
    }

    /// The slots `pid` may be in.
    fn set_of(&self, pid: u32) -> std::ops::Range<usize> {
        let first = pid as usize % self.sets * WAYS;
        first..first + WAYS
    }

    /// `comm` and the start time from `/proc/PID/stat`.
    fn read_stat(&self, pid: u32) -> Option<(Comm, u64)> {
        let mut text = [0u8; STAT_READ];
        parse_stat(read_stat_file(self.proc_root, pid, &mut text)?)
    }

    fn read_exe(&self, pid: u32) -> Option<ArrayString<EXE_MAX>> {
        let mut path = [0u8; 64];
        let len = proc_path(&mut path, self.proc_root, pid, "exe")?;
        let mut target = [0u8; EXE_MAX];
        let n = crate::sys::process::read_link(path.get(..len)?, &mut target)?;
        ArrayString::from(std::str::from_utf8(target.get(..n)?).ok()?).ok()
    }
}

impl Slot {
    /// Resolved for `pid` (alive or not).
    fn holds(&self, pid: u32) -> bool {
        self.used != 0 && self.pid == pid
    }
}

/// The start time of `pid` (`ROOT/PID/stat` field 22, as
/// [`Processes`] reads it); `None` when the process is gone.
pub fn start_time(root: &str, pid: u32) -> Option<u64> {
    let mut text = [0u8; STAT_READ];
    stat_start(read_stat_file(root, pid, &mut text)?)
}

/// `ROOT/PID/stat` read into `text`: the part read.
fn read_stat_file<'t>(root: &str, pid: u32, text: &'t mut [u8; STAT_READ]) -> Option<&'t [u8]> {
    let mut path = [0u8; 64];
    let len = proc_path(&mut path, root, pid, "stat")?;
    let path = std::str::from_utf8(path.get(..len)?).ok()?;
    let mut file = File::open(path).ok()?;
    let mut filled = 0;
    while filled < text.len() {
        match file.read(text.get_mut(filled..)?) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
    text.get(..filled)
}

/// `ROOT/PID/NAME` into `buf`; its length.
fn proc_path(buf: &mut [u8; 64], root: &str, pid: u32, name: &str) -> Option<usize> {
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    write!(cursor, "{root}/{pid}/{name}").ok()?;
    usize::try_from(cursor.position()).ok()
}

/// `comm` (between the first `(` and the last `)`, which may hold spaces
/// and parentheses; see the module doc) and field 22, the start time.
pub fn parse_stat(stat: &[u8]) -> Option<(Comm, u64)> {
    let open = memchr::memchr(b'(', stat)?;
    let close = memchr::memrchr(b')', stat)?;
    let comm = comm_text(stat.get(open + 1..close)?);
    Some((comm, stat_start(stat)?))
}

/// Field 22 of a stat line, the start time: fields 3.. follow the last
/// `)`, which closes `comm`.
fn stat_start(stat: &[u8]) -> Option<u64> {
    let close = memchr::memrchr(b')', stat)?;
    let rest = stat.get(close + 1..)?;
    let start = rest
        .split(|&b| b == b' ')
        .filter(|t| !t.is_empty())
        .nth(22 - 3)?;
    std::str::from_utf8(start).ok()?.trim().parse().ok()
}

/// `comm` as text: each byte that is not UTF-8 as U+FFFD; cut at a
/// character boundary when longer than [`COMM_TEXT`] bytes.
fn comm_text(comm: &[u8]) -> Comm {
    let mut text = Comm::new();
    for chunk in comm.utf8_chunks() {
        let invalid = chunk.invalid().iter().map(|_| char::REPLACEMENT_CHARACTER);
        for c in chunk.valid().chars().chain(invalid) {
            if text.try_push(c).is_err() {
                return text;
            }
        }
    }
    text
}

/// SHA-256 of the boot id, the pid and the start time, in hex.
pub fn entity_id(boot_id: &str, pid: u32, start: u64) -> ArrayString<ID_HEX> {
    let mut input = [0u8; 64 + 16];
    let boot = boot_id.as_bytes();
    let mut len = 0;
    for part in [boot, &u64::from(pid).to_le_bytes(), &start.to_le_bytes()] {
        if let Some(room) = input.get_mut(len..len + part.len()) {
            room.copy_from_slice(part);
            len += part.len();
        }
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, input.get(..len).unwrap_or_default());
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut id = ArrayString::new();
    for &b in digest.as_ref() {
        for nibble in [b >> 4, b & 0xf] {
            let _ = id.try_push(char::from(DIGITS[usize::from(nibble)]));
        }
    }
    id
}

#[cfg(test)]
pub(super) mod tests;

//! One auditctl command line into a [`Command`]: auditctl's option handling
//! (`-a/-A/-d`, `-w/-W`, `-p`, `-k`, `-S`, `-C`, `-D`, status settings),
//! here, and libaudit's per-field rules for `-F` (`audit_rule_fieldpair_data`)
//! in `compile/fields.rs`, producing the exact `audit_rule_data` auditctl
//! 3.0 sends; `compile/numbers.rs` reads numbers as C's `strtoul`/`strtol`
//! do, never truncating.
//! `-S` on the io_uring list takes operation names, as auditctl 3.1+ built
//! `--with-io_uring` does (3.0 has no io_uring list). Where auditctl
//! silently accepts junk (trailing garbage after numbers, a non-numeric
//! `sessionid`), this is stricter and reports an error.

mod fields;
mod numbers;

use raudit_core::tables::arch::{Arch, Machine};
use raudit_core::tables::field::{self, action, filter, perm, Field, Operator};
use raudit_core::tables::{syscall, uring};
use raudit_core::wire::rule::{RuleHead, HEAD_LEN, MASK_WORDS, MAX_FIELDS};

use super::guard::{self, Allowed, Refused};
use super::lex;
use numbers::{named_or_numeric, unsigned_word};

/// What one line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `-a`, `-A`, `-w`: add this `audit_rule_data`.
    Add(Vec<u8>),
    /// `-d`, `-W`: delete the rule equal to this `audit_rule_data`.
    Delete(Vec<u8>),
    /// `-D`: delete every rule.
    DeleteAll,
    /// `-e`, `-f`, `-r`, `-b`, `--backlog_wait_time`, `--reset-lost`.
    Status(StatusSetting),
}

/// A status setting (`AUDIT_SET`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusSetting {
    Enabled(u32),
    Failure(u32),
    RateLimit(u32),
    BacklogLimit(u32),
    BacklogWaitTime(u32),
    ResetLost,
}

/// How lines compile.
#[derive(Clone, Copy, Debug)]
pub struct CompileOptions {
    /// The machine of `b64`/`b32` and of `-S` without `-F arch`; `None`
    /// on a machine raudit has no syscall table for (riscv64, …): there
    /// those need a machine named with `-F arch=`, never a guess.
    pub machine: Option<Machine>,
    /// Whether `-e 2` and `-f 2` pass the [`guard`].
    pub allowed: Allowed,
    /// Whether a watched path is a directory (`-w` on a directory becomes
    /// a `dir` field, as auditctl decides with `stat`).
    pub is_dir: fn(&str) -> bool,
}

impl CompileOptions {
    /// This host: its machine, real `stat`, no `-e 2` / `-f 2`.
    pub fn host() -> CompileOptions {
        CompileOptions {
            machine: host_machine(),
            allowed: Allowed::default(),
            is_dir: |p| std::fs::metadata(p).map(|m| m.is_dir()).unwrap_or(false),
        }
    }
}

/// The machine raudit was built for (auditctl asks `uname`); `None` for
/// one raudit has no syscall table for.
pub fn host_machine() -> Option<Machine> {
    machine_of(std::env::consts::ARCH)
}

/// The machine of a Rust target architecture name.
fn machine_of(arch: &str) -> Option<Machine> {
    Some(match arch {
        "x86_64" => Machine::X86_64,
        "x86" => Machine::X86,
        "aarch64" => Machine::Aarch64,
        "arm" => Machine::Arm,
        "powerpc" => Machine::Ppc,
        "powerpc64" if cfg!(target_endian = "little") => Machine::Ppc64le,
        "powerpc64" => Machine::Ppc64,
        "s390x" => Machine::S390x,
        _ => return None,
    })
}

/// An error inside one line (the caller adds the origin).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub column: usize,
    pub token: String,
    pub expected: String,
    /// Set when the [`guard`] refused the line's setting.
    pub refused: Option<Refused>,
}

/// What a rule needs on a machine raudit has no syscall table for.
pub(super) const NO_HOST_TABLE: &str =
    "-F arch=MACHINE (x86_64, aarch64, …) before -S: raudit has no syscall table for this machine";

const PATH_MAX: usize = 4096;
/// `--backlog_wait_time` the kernel takes on any HZ (10 * 60 * HZ).
const MAX_BACKLOG_WAIT_TIME: u32 = 600_000;
const MAX_KEY_LEN: usize = 256;
const KEY_SEPARATOR: char = '\x01';

/// Compiles one line; `Ok(None)` for blank lines and comments.
pub fn compile_line(text: &str, options: &CompileOptions) -> Result<Option<Command>, LineError> {
    let words = lex::split(text).map_err(|e| LineError {
        column: e.column,
        token: text.get(e.column..).unwrap_or("").to_string(),
        expected: "a closing quote".into(),
        refused: None,
    })?;
    if words.is_empty() {
        return Ok(None);
    }
    // The kernel keeps a key, path or exe up to its first NUL and lists it
    // so: a rule with one would be listed as another rule.
    if let Some(column) = text.find('\0') {
        return Err(LineError {
            column,
            token: text.get(column..).unwrap_or("").to_string(),
            expected: "a rule without a NUL byte (the kernel's strings end at one)".into(),
            refused: None,
        });
    }
    let mut line = Line::new(options, &words);
    line.run().map(Some)
}

struct Line<'a> {
    options: &'a CompileOptions,
    words: &'a [lex::Word],
    at: usize,
    add: Option<u32>,
    del: Option<u32>,
    action: u32,
    head: RuleHead,
    buf: Vec<u8>,
    elf: Option<Arch>,
    syscall_added: bool,
    perm_added: bool,
    /// A path, dir or inode field is in the rule: the kernel takes one.
    object_added: bool,
    exe_added: bool,
    fs_added: bool,
    key: String,
    other: Option<Command>,
}

type Step = Result<(), LineError>;

impl<'a> Line<'a> {
    fn new(options: &'a CompileOptions, words: &'a [lex::Word]) -> Line<'a> {
        Line {
            options,
            words,
            at: 0,
            add: None,
            del: None,
            action: action::ALWAYS,
            head: RuleHead::default(),
            buf: Vec::new(),
            elf: None,
            syscall_added: false,
            perm_added: false,
            object_added: false,
            exe_added: false,
            fs_added: false,
            key: String::new(),
            other: None,
        }
    }

    fn error(&self, word: usize, expected: impl Into<String>) -> LineError {
        match self.words.get(word) {
            Some(w) => LineError {
                column: w.column,
                token: w.text.clone(),
                expected: expected.into(),
                refused: None,
            },
            None => LineError {
                column: self.words.last().map_or(0, |w| w.column + w.text.len()),
                token: String::new(),
                expected: expected.into(),
                refused: None,
            },
        }
    }

    fn run(&mut self) -> Result<Command, LineError> {
        while self.at < self.words.len() {
            let opt_at = self.at;
            let word = self.words[opt_at].text.as_str();
            self.at += 1;
            let (opt, inline) = split_option(word);
            let arg = |line: &mut Line<'_>| -> Result<(usize, String), LineError> {
                if let Some(v) = inline.clone() {
                    return Ok((opt_at, v));
                }
                let Some(w) = line.words.get(line.at) else {
                    return Err(line.error(line.at, format!("a value after {opt}")));
                };
                line.at += 1;
                Ok((line.at - 1, w.text.clone()))
            };
            match opt.as_str() {
                "-a" | "-A" | "-d" => {
                    let (i, v) = arg(self)?;
                    self.list_action(opt_at, i, &v, opt == "-A", opt == "-d")?
                }
                "-w" | "-W" => {
                    let (i, v) = arg(self)?;
                    self.watch(i, &v, opt == "-W")?
                }
                "-p" => {
                    let (i, v) = arg(self)?;
                    self.perms(i, &v)?
                }
                "-k" => {
                    let (i, v) = arg(self)?;
                    if !(self.syscall_added || self.perm_added || self.exe_added || self.fs_added)
                        || (self.add.is_none() && self.del.is_none())
                    {
                        return Err(self.error(opt_at, "a watch or syscall before the key"));
                    }
                    self.push_key(i, &v)?
                }
                "-S" => {
                    let (i, v) = arg(self)?;
                    self.syscalls(i, &v)?
                }
                "-F" => {
                    let (i, v) = arg(self)?;
                    self.field_pair(i, &v)?
                }
                "-C" => {
                    let (i, v) = arg(self)?;
                    self.compare(i, &v)?
                }
                "-D" => self.set_other(opt_at, Command::DeleteAll)?,
                "-e" | "-f" => {
                    let (i, v) = arg(self)?;
                    let n = match v.as_str() {
                        "0" => 0,
                        "1" => 1,
                        "2" => 2,
                        _ => return Err(self.error(i, "0, 1 or 2")),
                    };
                    let setting = if opt == "-e" {
                        StatusSetting::Enabled(n)
                    } else {
                        StatusSetting::Failure(n)
                    };
                    if let Err(refused) = guard::check(setting, self.options.allowed) {
                        return Err(LineError {
                            refused: Some(refused),
                            ..self.error(
                                i,
                                format!(
                                    "0 or 1 ({}; only {}: true in the daemon's config allows it)",
                                    refused.what(),
                                    refused.key()
                                ),
                            )
                        });
                    }
                    self.set_other(opt_at, Command::Status(setting))?
                }
                "-r" | "-b" | "--backlog_wait_time" => {
                    let (i, v) = arg(self)?;
                    let n = match unsigned_word(&v) {
                        Ok(n) => n,
                        Err(expected) => return Err(self.error(i, expected)),
                    };
                    let setting = match opt.as_str() {
                        "-r" => StatusSetting::RateLimit(n),
                        "-b" => StatusSetting::BacklogLimit(n),
                        // The kernel refuses more than 10 * 60 * HZ ticks
                        // (EINVAL); HZ is at most 1000. As the config's
                        // raudit.kernel.backlog_wait_time.
                        _ if n > MAX_BACKLOG_WAIT_TIME => {
                            return Err(self.error(i, "kernel ticks from 0 to 600000"))
                        }
                        _ => StatusSetting::BacklogWaitTime(n),
                    };
                    self.set_other(opt_at, Command::Status(setting))?
                }
                "--reset-lost" => {
                    self.set_other(opt_at, Command::Status(StatusSetting::ResetLost))?
                }
                _ if word.starts_with('-') => {
                    return Err(self.error(
                        opt_at,
                        "a rule or status option (-a -A -d -w -W -p -k -S -F -C -D -e -f -r -b \
                         --backlog_wait_time --reset-lost)",
                    ))
                }
                _ => return Err(self.error(opt_at, "an option; this value has none before it")),
            }
        }
        self.finish()
    }

    fn set_other(&mut self, at: usize, command: Command) -> Step {
        if self.other.is_some() || self.add.is_some() || self.del.is_some() {
            return Err(self.error(at, "one command per line"));
        }
        self.other = Some(command);
        Ok(())
    }

    fn list_action(
        &mut self,
        opt_at: usize,
        i: usize,
        v: &str,
        prepend: bool,
        delete: bool,
    ) -> Step {
        if self.add.is_some() || self.del.is_some() || self.other.is_some() {
            return Err(self.error(opt_at, "one rule per line"));
        }
        let Some((a, b)) = v.split_once(',').filter(|(_, b)| !b.contains(',')) else {
            return Err(self.error(i, "LIST,ACTION such as exit,always"));
        };
        let (list, act) = match (lookup_list(a), lookup_action(b)) {
            (Some(l), Some(act)) => (l, act),
            _ => match (lookup_action(a), lookup_list(b)) {
                (Some(act), Some(l)) => (l, act),
                _ if a == "possible" || b == "possible" => {
                    return Err(self.error(i, "always or never (possible is deprecated)"))
                }
                _ => {
                    return Err(self.error(
                        i,
                        "a list (exit, task, user, exclude, filesystem, io_uring) and an \
                         action (always, never)",
                    ))
                }
            },
        };
        if list == filter::TASK && self.syscall_added {
            return Err(self.error(i, "a list that takes syscalls (not task)"));
        }
        self.action = act;
        if delete {
            self.del = Some(list);
        } else {
            self.add = Some(list | if prepend { filter::PREPEND } else { 0 });
        }
        Ok(())
    }

    fn list(&self) -> Option<u32> {
        self.add.or(self.del).map(|f| f & filter::MASK)
    }

    fn watch(&mut self, i: usize, v: &str, delete: bool) -> Step {
        // -W too: `-a always,exclude -W /x` put a watch on the exclude
        // list (found by the `rules` fuzz target).
        if self.add.is_some() || self.del.is_some() {
            return Err(self.error(i, "a watch on a line of its own (not with -a/-d)"));
        }
        if self.head.field_count != 0 || self.other.is_some() {
            return Err(self.error(i, "a watch before any field"));
        }
        if v.len() >= PATH_MAX {
            return Err(self.error(i, "a path shorter than 4096 bytes"));
        }
        if !v.starts_with('/') {
            return Err(self.error(i, "an absolute path (starting with /)"));
        }
        let mut path = v;
        if path.len() > 2 {
            while path.len() > 1 && path.ends_with('/') {
                path = &path[..path.len() - 1];
            }
        }
        // Checked after the trailing slashes go (auditctl checks before, so
        // `-w /a/LONG/` passed and was listed as `-w /a/LONG`, which did
        // not; found by the `rules` fuzz target).
        if path.rsplit('/').next().map_or(0, str::len) > 255 {
            return Err(self.error(i, "a file name of at most 255 bytes"));
        }
        let kind = if (self.options.is_dir)(path) {
            Field::DIR
        } else {
            Field::WATCH
        };
        if delete {
            self.del = Some(filter::EXIT);
        } else {
            self.add = Some(filter::EXIT);
        }
        self.action = action::ALWAYS;
        self.syscall_added = true;
        self.perm_added = true;
        self.head.mask = [!0; 64];
        self.one_object(i)?;
        self.push(i, kind, Operator::EQUAL, path.len() as u32)?;
        self.buf.extend_from_slice(path.as_bytes());
        let all = perm::READ | perm::WRITE | perm::EXEC | perm::ATTR;
        self.push(i, Field::PERM, Operator::EQUAL, all)
    }

    fn perms(&mut self, i: usize, v: &str) -> Step {
        if self.add.is_none() && self.del.is_none() {
            return Err(self.error(i, "a watch (-w) before -p"));
        }
        // As for `-F perm=`: the perm field is for the exit list only (found
        // by the `rules` fuzz target: `-a always,io_uring … -p r` compiled
        // while `-F perm=r` did not, and its listing did not read back).
        if self.list() != Some(filter::EXIT) {
            return Err(self.error(i, "-p only on the exit list (and with -w)"));
        }
        let value = parse_perm(v).ok_or_else(|| self.error(i, "permissions from r, w, x, a"))?;
        let n = self.head.field_count as usize;
        let mut done = false;
        for k in 0..n {
            if self.head.fields[k] == Field::PERM.0 {
                self.head.values[k] = value;
                done = true;
            }
        }
        if !done {
            self.push(i, Field::PERM, Operator::EQUAL, value)?;
        }
        self.perm_added = true;
        Ok(())
    }

    /// The kernel refuses a rule with a second path, dir or inode field
    /// (`audit_to_watch`, `audit_make_tree`, `audit_to_inode`); auditctl
    /// sends it and lists such a watch as `-w /a-w /b`. Found by the
    /// `rules` fuzz target.
    fn one_object(&mut self, i: usize) -> Step {
        if self.object_added {
            return Err(self.error(
                i,
                "one path, dir or inode per rule (the kernel refuses a second)",
            ));
        }
        self.object_added = true;
        Ok(())
    }

    fn push(&mut self, i: usize, field: Field, op: Operator, value: u32) -> Step {
        if self.head.field_count as usize >= MAX_FIELDS - 1 {
            return Err(self.error(i, "at most 63 fields in a rule"));
        }
        self.head
            .push(field, op, value)
            .map_err(|_| self.error(i, "at most 63 fields in a rule"))
    }

    fn push_key(&mut self, i: usize, v: &str) -> Step {
        if v.is_empty() {
            return Err(self.error(i, "a key of 1 to 256 bytes"));
        }
        let sep = usize::from(!self.key.is_empty());
        if v.len() + self.key.len() + sep > MAX_KEY_LEN {
            return Err(self.error(i, "keys of at most 256 bytes in all"));
        }
        if v.contains(KEY_SEPARATOR) {
            return Err(self.error(i, "a key without \\x01"));
        }
        if sep == 1 {
            self.key.push(KEY_SEPARATOR);
        }
        self.key.push_str(v);
        Ok(())
    }

    fn machine(&self) -> Result<Machine, ()> {
        match self.elf {
            None => self.options.machine.ok_or(()),
            Some(arch) => arch.machine().ok_or(()),
        }
    }

    fn syscalls(&mut self, i: usize, v: &str) -> Step {
        match self.add.or(self.del).map(|f| f & filter::MASK) {
            Some(filter::TASK) | Some(filter::USER) | Some(filter::FS) | Some(filter::EXCLUDE) => {
                return Err(self.error(
                    i,
                    "a list that takes syscalls (exit) or operations (io_uring) before -S",
                ))
            }
            Some(filter::URING_EXIT) => return self.uring_ops(i, v),
            _ => {}
        }
        // `-S ,` named nothing but counted as given, leaving an empty mask
        // that lists as no -S at all (found by the `rules` fuzz target).
        if v.split(',').all(str::is_empty) {
            return Err(self.error(i, "syscall names or numbers after -S"));
        }
        if self.elf.is_none() {
            let Some(host) = self.options.machine else {
                return Err(self.error(i, NO_HOST_TABLE));
            };
            self.elf = Some(host.arch());
        }
        let machine = self
            .machine()
            .map_err(|_| self.error(i, "a known architecture before -S"))?;
        for name in v.split(',').filter(|n| !n.is_empty()) {
            if name == "all" {
                self.head.mask = [!0; 64];
                continue;
            }
            let nr = named_or_numeric(syscall::number(machine, name.as_bytes()), name);
            match nr {
                Some(nr) if is_class_bit(nr) => return Err(self.class_bit(i, name)),
                Some(nr) if self.head.set_syscall(nr) => {}
                _ => {
                    return Err(self.error(
                        i,
                        format!(
                            "syscall names or numbers of {} (`{name}` is not one)",
                            machine.name()
                        ),
                    ))
                }
            }
        }
        self.syscall_added = true;
        Ok(())
    }

    /// `-S` on the io_uring list (auditctl 3.1+ built `--with-io_uring`,
    /// `audit_rule_io_uringbyname_data`): operation names or numbers, set
    /// as bits of the syscall mask. No architecture is involved, so none is
    /// assumed; `all` is every named operation, not the whole mask.
    fn uring_ops(&mut self, i: usize, v: &str) -> Step {
        if v.split(',').all(str::is_empty) {
            return Err(self.error(i, "io_uring operation names or numbers after -S"));
        }
        for name in v.split(',').filter(|n| !n.is_empty()) {
            if name == "all" {
                for &(nr, _) in uring::OPS {
                    // Every op is below OP_LAST (65), well inside the mask.
                    let _ = self.head.set_syscall(u32::from(nr));
                }
                continue;
            }
            let nr = named_or_numeric(uring::number(name.as_bytes()), name);
            match nr {
                Some(nr) if is_class_bit(nr) => return Err(self.class_bit(i, name)),
                Some(nr) if self.head.set_syscall(nr) => {}
                _ => {
                    return Err(self.error(
                        i,
                        format!("io_uring operation names or numbers (`{name}` is not one)"),
                    ))
                }
            }
        }
        self.syscall_added = true;
        Ok(())
    }

    fn class_bit(&self, i: usize, name: &str) -> LineError {
        self.error(
            i,
            format!(
                "a number below {FIRST_CLASS_BIT} (`{name}` is one of the mask's top 16 bits, \
                 which the kernel reads as syscall classes)"
            ),
        )
    }

    fn compare(&mut self, i: usize, v: &str) -> Step {
        let (l, r, op) = if let Some((l, r)) = v.split_once("!=") {
            (l, r, Operator::NOT_EQUAL)
        } else if let Some((l, r)) = v.split_once('=') {
            (l, r, Operator::EQUAL)
        } else {
            return Err(self.error(i, "FIELD=FIELD or FIELD!=FIELD"));
        };
        let (Some(a), Some(b)) = (
            Field::from_name(l.as_bytes()),
            Field::from_name(r.as_bytes()),
        ) else {
            return Err(self.error(i, "two known field names"));
        };
        if self.list() != Some(filter::EXIT) {
            return Err(self.error(i, "a comparison on the exit list"));
        }
        let value = field::comparison(a, b)
            .ok_or_else(|| self.error(i, "two comparable fields (uid-like or gid-like)"))?;
        self.push(i, Field::FIELD_COMPARE, op, value)
    }

    fn finish(&mut self) -> Result<Command, LineError> {
        if let Some(other) = self.other.take() {
            return Ok(other);
        }
        let end = self.words.len();
        let (flags, delete) = match (self.add, self.del) {
            (Some(f), _) => (f, false),
            (None, Some(f)) => (f, true),
            (None, None) => {
                return Err(self.error(0, "a list (-a exit,always …), a watch (-w) or a setting"))
            }
        };
        if !self.key.is_empty() {
            if !(self.syscall_added || self.perm_added || self.exe_added || self.fs_added) {
                return Err(self.error(end, "a watch, syscall, exe or fstype for the key"));
            }
            self.push(
                end,
                Field::FILTERKEY,
                Operator::EQUAL,
                self.key.len() as u32,
            )?;
            let key = std::mem::take(&mut self.key);
            self.buf.extend_from_slice(key.as_bytes());
        }
        if flags & filter::MASK != filter::TASK && !self.syscall_added {
            self.head.mask = [!0; 64];
        }
        self.head.flags = flags;
        self.head.action = self.action;
        let mut out = vec![0u8; HEAD_LEN + self.buf.len()];
        // The buffer is sized for exactly this rule, so emit cannot be Full.
        let n = self.head.emit(&self.buf, &mut out).unwrap_or(0);
        out.truncate(n);
        Ok(if delete {
            Command::Delete(out)
        } else {
            Command::Add(out)
        })
    }
}

/// The first of the mask's top 16 bits, which the kernel reads as syscall
/// classes (`AUDIT_SYSCALL_CLASSES`) and expands into the classes' syscalls:
/// `-S 2047` would audit the dir-write class, and the listed rule would
/// never equal the compiled one (deleted and added again at each start,
/// reported as drift each interval). auditctl sends them.
const FIRST_CLASS_BIT: u32 = (MASK_WORDS * 32 - 16) as u32;

fn is_class_bit(nr: u32) -> bool {
    (FIRST_CLASS_BIT..FIRST_CLASS_BIT + 16).contains(&nr)
}

/// `-Fvalue` or `--opt=value` forms.
fn split_option(word: &str) -> (String, Option<String>) {
    if let Some(long) = word.strip_prefix("--") {
        return match long.split_once('=') {
            Some((o, v)) => (format!("--{o}"), Some(v.to_string())),
            None => (word.to_string(), None),
        };
    }
    if word.len() > 2 && word.starts_with('-') && word.is_char_boundary(2) {
        return (word[..2].to_string(), Some(word[2..].to_string()));
    }
    (word.to_string(), None)
}

fn lookup_list(name: &str) -> Option<u32> {
    match name {
        "exit" => Some(filter::EXIT),
        "task" => Some(filter::TASK),
        "user" => Some(filter::USER),
        "exclude" => Some(filter::EXCLUDE),
        "filesystem" => Some(filter::FS),
        "io_uring" => Some(filter::URING_EXIT),
        _ => None,
    }
}

fn lookup_action(name: &str) -> Option<u32> {
    match name {
        "always" => Some(action::ALWAYS),
        "never" => Some(action::NEVER),
        _ => None,
    }
}

/// A permission set (`-p`, `-F perm=`): one to four of r, w, x, a. An
/// empty one is refused: a perm field of 0 matches no access, so the rule
/// would never fire (and `-l` lists it as `-p ` with nothing after).
fn parse_perm(v: &str) -> Option<u32> {
    if v.is_empty() || v.len() > 4 {
        return None;
    }
    v.chars().try_fold(0, |acc, c| {
        Some(
            acc | match c.to_ascii_lowercase() {
                'r' => perm::READ,
                'w' => perm::WRITE,
                'x' => perm::EXEC,
                'a' => perm::ATTR,
                _ => return None,
            },
        )
    })
}

//! libaudit's per-field rules (`audit_rule_fieldpair_data`): one `-F
//! FIELD OP VALUE` checked against its list and operator and turned into
//! the word (or the string in the rule's buffer) the kernel reads: uids and
//! gids by name, errno names, message types, paths, keys, arch, perm, file
//! and filesystem types, address families.

use raudit_core::tables::arch::{Arch, Machine};
use raudit_core::tables::errno;
use raudit_core::tables::field::{self, filter, Field, Operator};
use raudit_core::wire::MessageType;

use super::numbers::{field_number, parse_unsigned};
use super::{parse_perm, Line, LineError, Step, PATH_MAX};
use crate::accounts;

/// Address families the kernel knows (`AF_MAX`).
const AF_MAX: u32 = 46;
/// The file-type bits of a mode (`S_IFMT`).
const S_IFMT: u32 = 0o170000;

impl Line<'_> {
    /// `-F FIELD OP VALUE`: checked, then pushed.
    pub(super) fn field_pair(&mut self, i: usize, pair: &str) -> Step {
        let Some(list) = self.list() else {
            return Err(self.error(i, "a list (-a/-d) before -F"));
        };
        if let Some(key) = pair.strip_prefix("key=") {
            return self.push_key(i, key);
        }
        let Some((name, op, value)) = split_pair(pair) else {
            return Err(self.error(i, "FIELD OP VALUE, OP one of = != < > <= >= & &="));
        };
        if name.is_empty() {
            return Err(self.error(i, "a field name before the operator"));
        }
        if value.is_empty() {
            return Err(self.error(i, "a value after the operator"));
        }
        let field = Field::from_name(name.as_bytes())
            .ok_or_else(|| self.error(i, format!("a known field name (`{name}` is not one)")))?;
        if field == Field::FILTERKEY {
            // `-F KEY=` (field names have no case) is the key too, joined
            // with the others as `-F key=` and -k are: a second key field
            // is refused by the kernel (EINVAL), and it skipped the \x01
            // check. `-F key<u` is no comparison; it listed as `key=u`
            // (found by the `rules` fuzz target).
            if op != Operator::EQUAL {
                return Err(self.error(i, "= for key"));
            }
            return self.push_key(i, value);
        }
        self.check_list(i, field, list)?;
        let value = self.field_value(i, field, op, value, list)?;
        self.check_operator(i, field, op, value)?;
        self.push(i, field, op, value)
    }

    /// What the kernel's `audit_field_valid` refuses with EINVAL (libaudit
    /// sends it): `&` and `&=` on any field but a0-a3, pers and devminor;
    /// an ordering on the LSM strings, filetype and `auid=unset` (which the
    /// kernel turns into `loginuid_set`); 4294967295 in a uid or gid field
    /// but auid; a filetype outside `S_IFMT`.
    /// Fields with a check of their own (path, dir, exe, key, arch, perm,
    /// fstype, inode) are refused in [`field_value`](Self::field_value).
    fn check_operator(&self, i: usize, field: Field, op: Operator, value: u32) -> Step {
        let name = field.name().unwrap_or("this field");
        let eq_ne = op == Operator::EQUAL || op == Operator::NOT_EQUAL;
        let unset_auid = field == Field::LOGINUID && value == u32::MAX;
        let eq_ne_only = unset_auid
            || matches!(
                field,
                Field::SUBJ_USER
                    | Field::SUBJ_ROLE
                    | Field::SUBJ_TYPE
                    | Field::OBJ_USER
                    | Field::OBJ_ROLE
                    | Field::OBJ_TYPE
                    | Field::FILETYPE
            );
        if eq_ne_only && !eq_ne {
            let what = if unset_auid { "auid=unset" } else { name };
            return Err(self.error(i, format!("= or != for {what}")));
        }
        // The field -C writes: = or != and a comparison the kernel knows
        // (the listing leaves an unknown one out).
        if field == Field::FIELD_COMPARE
            && !(eq_ne && field::COMPARISONS.iter().any(|c| c.0 == value))
        {
            return Err(self.error(
                i,
                "= or != and a comparison number from 1 to 25 (-C FIELD=FIELD writes it)",
            ));
        }
        let bit_op = op == Operator::BIT_MASK || op == Operator::BIT_TEST;
        let takes_bit_ops = matches!(
            field,
            Field::ARG0 | Field::ARG1 | Field::ARG2 | Field::ARG3 | Field::PERS | Field::DEVMINOR
        );
        if bit_op && !takes_bit_ops {
            return Err(self.error(
                i,
                format!("= != < > <= >= for {name} (& and &= only on a0-a3, pers and devminor)"),
            ));
        }
        let id = matches!(
            field,
            Field::UID
                | Field::EUID
                | Field::SUID
                | Field::FSUID
                | Field::OBJ_UID
                | Field::GID
                | Field::EGID
                | Field::SGID
                | Field::FSGID
                | Field::OBJ_GID
        );
        // No id to the kernel (`make_kuid` gives INVALID_UID): it takes
        // 4294967295 only for auid, which it turns into loginuid_set.
        if id && value == u32::MAX {
            return Err(self.error(
                i,
                format!("a {name} below 4294967295 (-1, unset): only auid takes unset"),
            ));
        }
        if field == Field::FILETYPE && value & !S_IFMT != 0 {
            return Err(self.error(
                i,
                "a file type within S_IFMT (file, dir, socket, link, character, block or fifo)",
            ));
        }
        Ok(())
    }

    fn check_list(&self, i: usize, field: Field, list: u32) -> Step {
        if list == filter::EXCLUDE
            && !matches!(
                field,
                Field::PID
                    | Field::UID
                    | Field::GID
                    | Field::LOGINUID
                    | Field::MSGTYPE
                    | Field::EXE
            )
            && !(Field::SUBJ_USER.0..=Field::SUBJ_CLR.0).contains(&field.0)
        {
            return Err(self.error(
                i,
                "on the exclude list, only pid, uid, gid, auid, msgtype, subj_* and exe",
            ));
        }
        // `audit_field_valid`: the kernel refuses any other field there.
        if list == filter::FS && field != Field::FSTYPE && field != Field::FILTERKEY {
            return Err(self.error(i, "only fstype and key on the filesystem list"));
        }
        let exit_only = matches!(
            field,
            Field::EXIT
                | Field::OBJ_USER
                | Field::OBJ_ROLE
                | Field::OBJ_TYPE
                | Field::OBJ_LEV_LOW
                | Field::OBJ_LEV_HIGH
                | Field::WATCH
                | Field::DIR
                | Field::PERM
                | Field::FILETYPE
                | Field::DEVMAJOR
                | Field::DEVMINOR
                | Field::INODE
                | Field::SUCCESS
                | Field::PPID
                | Field::FIELD_COMPARE
        );
        if exit_only && list != filter::EXIT {
            return Err(self.error(i, "this field only on the exit list"));
        }
        Ok(())
    }

    fn field_value(
        &mut self,
        i: usize,
        field: Field,
        op: Operator,
        v: &str,
        list: u32,
    ) -> Result<u32, LineError> {
        let digit = v.starts_with(|c: char| c.is_ascii_digit());
        let neg =
            v.len() >= 2 && v.starts_with('-') && v[1..].starts_with(|c: char| c.is_ascii_digit());
        let eq_ne = op == Operator::EQUAL || op == Operator::NOT_EQUAL;
        let number = |line: &Line<'_>| -> Result<u32, LineError> {
            if !digit && !neg {
                return Err(line.error(i, "a number"));
            }
            field_number(v).map_err(|expected| line.error(i, expected))
        };
        match field {
            Field::UID
            | Field::EUID
            | Field::SUID
            | Field::FSUID
            | Field::LOGINUID
            | Field::OBJ_UID => {
                if digit || neg {
                    return number(self);
                }
                if v == "unset" {
                    return Ok(u32::MAX);
                }
                match accounts::user_id(v) {
                    Some(uid) => Ok(uid),
                    None => {
                        Err(self.error(i, format!("a uid, `unset` or a known user (`{v}` is not)")))
                    }
                }
            }
            Field::GID | Field::EGID | Field::SGID | Field::FSGID | Field::OBJ_GID => {
                if digit {
                    return number(self);
                }
                match accounts::group_id(v) {
                    Some(gid) => Ok(gid),
                    None => Err(self.error(i, format!("a gid or a known group (`{v}` is not)"))),
                }
            }
            Field::EXIT => {
                if digit || neg {
                    return number(self);
                }
                let (sign, name) = match v.strip_prefix('-') {
                    Some(rest) => (-1i64, rest),
                    None => (1, v),
                };
                match errno::number(name.as_bytes()) {
                    // An errno is small: its negation is an i32.
                    Some(e) => Ok((sign * i64::from(e)) as i32 as u32),
                    None => Err(self.error(i, "a number or an errno name such as -EACCES")),
                }
            }
            Field::MSGTYPE => {
                if list != filter::EXCLUDE && list != filter::USER {
                    return Err(self.error(i, "msgtype only on the exclude or user list"));
                }
                if digit {
                    return number(self);
                }
                match MessageType::from_name(v.as_bytes()) {
                    Some(t) if t.0 > 0 => Ok(u32::from(t.0)),
                    _ => Err(self.error(i, "a message type name or number")),
                }
            }
            f if f.is_string() => {
                if f == Field::EXE {
                    if !eq_ne {
                        return Err(self.error(i, "= or != for exe"));
                    }
                    self.exe_added = true;
                }
                if f == Field::WATCH || f == Field::DIR {
                    // What the kernel refuses with EINVAL (`audit_to_watch`,
                    // `audit_make_tree`); found by the `rules` fuzz target.
                    if op != Operator::EQUAL {
                        return Err(self.error(i, "= for path and dir"));
                    }
                    if !v.starts_with('/') {
                        return Err(self.error(i, "an absolute path (starting with /)"));
                    }
                    // As for -w, whose listing this may become (found by
                    // the `rules` fuzz target).
                    if v.trim_end_matches('/')
                        .rsplit('/')
                        .next()
                        .map_or(0, str::len)
                        > 255
                    {
                        return Err(self.error(i, "a file name of at most 255 bytes"));
                    }
                    if f == Field::WATCH && v.ends_with('/') {
                        return Err(
                            self.error(i, "a path not ending in / (use dir= for a directory)")
                        );
                    }
                    self.one_object(i)?;
                    self.perm_added = true;
                }
                if v.len() > PATH_MAX {
                    return Err(self.error(i, "a string of at most 4096 bytes"));
                }
                self.buf.extend_from_slice(v.as_bytes());
                Ok(v.len() as u32)
            }
            Field::ARCH => {
                if self.syscall_added {
                    return Err(self.error(i, "-F arch before any -S"));
                }
                if !eq_ne {
                    return Err(self.error(i, "= or != for arch"));
                }
                let arch = if digit {
                    parse_unsigned(v)
                        .and_then(|n| u32::try_from(n).ok())
                        .map(Arch)
                        .filter(|a| a.machine().is_some())
                } else if is_bits(v) && self.options.machine.is_none() {
                    return Err(self.error(i, super::NO_HOST_TABLE));
                } else {
                    determine_machine(v, self.options.machine).map(Machine::arch)
                };
                let arch = arch.ok_or_else(|| {
                    self.error(i, "b64, b32, a machine name (x86_64, i386, aarch64, …) or its AUDIT_ARCH number")
                })?;
                self.elf = Some(arch);
                Ok(arch.0)
            }
            Field::PERM => {
                if op != Operator::EQUAL {
                    return Err(self.error(i, "= for perm"));
                }
                // A second perm field (`-w / -F perm=x` beside the watch's
                // own) only narrows the first and lists as `-p rwxa -p x`,
                // which reads back as one (found by the `rules` fuzz target).
                let n = self.head.field_count as usize;
                if self.head.fields.iter().take(n).any(|&f| f == Field::PERM.0) {
                    return Err(self.error(i, "one perm per rule (-p sets a watch's)"));
                }
                self.perm_added = true;
                parse_perm(v).ok_or_else(|| self.error(i, "permissions from r, w, x, a"))
            }
            // Numbers are an extension: `auditctl -l` prints them, so its
            // output compiles again.
            Field::FILETYPE if digit => number(self),
            Field::FILETYPE => field::lookup(field::FILE_TYPES, v.as_bytes())
                .ok_or_else(|| self.error(i, "file, dir, socket, link, character, block or fifo")),
            Field::FSTYPE => {
                if list != filter::FS {
                    return Err(self.error(i, "fstype only on the filesystem list"));
                }
                if !eq_ne {
                    return Err(self.error(i, "= or != for fstype"));
                }
                self.fs_added = true;
                if digit {
                    return number(self);
                }
                field::lookup(field::FS_TYPES, v.as_bytes())
                    .ok_or_else(|| self.error(i, "tracefs, debugfs or a magic number"))
            }
            Field::ARG0 | Field::ARG1 | Field::ARG2 | Field::ARG3 => number(self),
            Field::SESSIONID => {
                if !matches!(list, filter::EXCLUDE | filter::USER | filter::EXIT) {
                    return Err(self.error(i, "sessionid only on the exit, user or exclude list"));
                }
                if v == "unset" {
                    return Ok(u32::MAX);
                }
                number(self)
            }
            Field::SADDR_FAM => match parse_unsigned(v) {
                Some(n) if n < u64::from(AF_MAX) => Ok(n as u32),
                _ => Err(self.error(i, "an address family number below 46")),
            },
            Field::INODE => {
                if !eq_ne {
                    return Err(self.error(i, "= or != for inode"));
                }
                self.one_object(i)?;
                if !digit {
                    return Err(self.error(i, "a number"));
                }
                number(self)
            }
            _ => {
                if !digit {
                    return Err(self.error(i, "a number"));
                }
                number(self)
            }
        }
    }
}

fn split_pair(pair: &str) -> Option<(&str, Operator, &str)> {
    field::OPERATORS
        .iter()
        .find_map(|&(sym, op)| pair.split_once(sym).map(|(n, v)| (n, op, v)))
}

/// `audit_determine_machine`: `b64`/`b32` relative to `host`, or a name.
/// `b64` or `b32`: the host's own machine, in one width.
fn is_bits(v: &str) -> bool {
    v.eq_ignore_ascii_case("b64") || v.eq_ignore_ascii_case("b32")
}

fn determine_machine(v: &str, host: Option<Machine>) -> Option<Machine> {
    if v.eq_ignore_ascii_case("b64") {
        return host.filter(|h| h.is_64bit());
    }
    if v.eq_ignore_ascii_case("b32") {
        return host.and_then(Machine::to_32bit);
    }
    Machine::from_name(v.as_bytes()).or_else(|| {
        u32::from_str_radix(v, 16)
            .ok()
            .and_then(|n| Arch(n).machine())
    })
}

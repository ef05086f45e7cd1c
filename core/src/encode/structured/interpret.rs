//! `interpreted`: names for the numbers of a record, from the static
//! tables: `arch` (`c000003e` → `x86_64`), `syscall` for that arch (`59` →
//! `execve`), and `exit` when negative (`-13` → `EACCES`); and `saddr`
//! (SOCKADDR) decoded into an object (see [`sockaddr`](crate::encode::sockaddr));
//! `mode` as auditd prints it (`0100755` → `file,755`, `0104755` →
//! `file,suid,755`); `capability` by name (`12` → `net_admin`);
//! and the user name of each user-id field the caller's lookup knows,
//! under auditd's ENRICHED names (`auid=1000` → `"AUID":"alice"`); the
//! group name of each group-id field (`"GID":"wheel"`), the fields of the
//! record's `msg='…'` too (ADD_USER's `id=1001` → `"ID":"bob"`; which
//! fields are ids: [`id_fields`]); and what the
//! caller found of the process and its parent (`"PID":{"entity_id"}`,
//! `"PPID":{"entity_id","exe","comm"}`, the parent as laurel names it).
//! A number the tables do not know, or an address family not decoded, is
//! left out, never an error.

use super::value::Noted;
use crate::encode::cursor::{Cursor, Full};
use crate::encode::id_fields::{self, IdKind, ID_FIELDS};
use crate::encode::sockaddr::{self, SockAddrObject, SOCKADDR_MAX};
use crate::encode::Enrich;
use crate::tables::arch::Arch;
use crate::tables::errno;
use crate::tables::syscall::Syscall;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// What a record's `interpreted` says (`'n`: the noted values it reads
/// its ids from, not copied).
#[derive(Clone, Copy, Debug)]
pub struct Interpreted<'a, 'n> {
    pub arch: Option<&'static str>,
    pub syscall: Option<&'static str>,
    pub exit: Option<&'static str>,
    /// The `saddr` hex, when it decodes to an address.
    pub saddr: Option<&'a [u8]>,
    /// A `mode` in octal, file type and permission bits.
    pub mode: Option<u32>,
    /// `mode` is an MQ_OPEN record's: permission bits only (auparse's
    /// `print_mode_short`). Set only with `mode`.
    pub mode_short: bool,
    pub capability: Option<&'static str>,
    /// `pid` and `ppid` values the caller found a live process for.
    pub pid: Option<&'a [u8]>,
    pub ppid: Option<&'a [u8]>,
    /// The record's id values, in [`ID_FIELDS`] order ([`Noted::ids`]).
    ids: &'n [Option<&'a [u8]>; ID_FIELDS.len()],
    /// Which of them the lookup has a name for: a bit each, by index.
    named: u32,
    /// The record's type (whose id `id` is).
    msg_type: crate::wire::MessageType,
}

// A bit for each id field.
const _: () = assert!(ID_FIELDS.len() <= 32);

impl<'a, 'n> Interpreted<'a, 'n> {
    /// What the tables and `enrich` name of the values noted in a record
    /// of type `msg_type` (an MQ_OPEN record's `mode` is printed short,
    /// as auparse does; `id` is a group's in the group-account records).
    pub fn of(
        noted: &'n Noted<'a>,
        msg_type: crate::wire::MessageType,
        enrich: &impl Enrich,
    ) -> Interpreted<'a, 'n> {
        let arch = noted
            .arch
            .and_then(|hex| crate::record::number::parse_u32(hex, 16))
            .map(Arch);
        let machine = arch.and_then(Arch::machine);
        let syscall = match (arch, noted.syscall.and_then(Syscall::parse)) {
            (Some(arch), Some(call)) => call.name(arch),
            _ => None,
        };
        let exit = noted
            .exit
            .and_then(number::<i64>)
            .filter(|&n| n < 0)
            .and_then(|n| u32::try_from(n.checked_neg()?).ok())
            .and_then(errno::name);
        let saddr = noted
            .saddr
            .filter(|hex| sockaddr::decode(hex, &mut [0; SOCKADDR_MAX]).is_some());
        let mode = noted
            .mode
            .and_then(|m| crate::record::number::parse_u32(m, 8));
        let capability = noted
            .capability
            .and_then(number::<u32>)
            .and_then(crate::tables::capability::name);
        let mut named = 0;
        for (at, value) in noted.ids.iter().enumerate() {
            if let Some(v) = *value {
                let kind = id_fields::kind_in(msg_type, at);
                if kind.is_some_and(|kind| id_fields::name_of(enrich, kind, v).is_some()) {
                    named |= 1 << at;
                }
            }
        }
        let found = |pid: Option<&'a [u8]>| pid.filter(|&p| enrich.process(p).is_some());
        Interpreted {
            pid: found(noted.pid),
            ppid: found(noted.ppid),
            arch: machine.map(|m| m.name()),
            syscall,
            exit,
            saddr,
            mode,
            mode_short: mode.is_some() && msg_type == MQ_OPEN,
            capability,
            ids: &noted.ids,
            named,
            msg_type,
        }
    }

    pub fn is_empty(&self) -> bool {
        let Interpreted {
            arch,
            syscall,
            exit,
            saddr,
            mode,
            mode_short: _,
            capability,
            pid,
            ppid,
            ids: _,
            named,
            msg_type: _,
        } = *self;
        arch.is_none()
            && syscall.is_none()
            && exit.is_none()
            && saddr.is_none()
            && mode.is_none()
            && capability.is_none()
            && pid.is_none()
            && ppid.is_none()
            && named == 0
    }

    /// The id values the lookup named (their bits in order), with their
    /// ENRICHED names and whose ids they are.
    fn named_ids(&self) -> impl Iterator<Item = (&'static str, &'a [u8], IdKind)> + '_ {
        let mut bits = self.named;
        core::iter::from_fn(move || {
            while bits != 0 {
                let at = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let value = self.ids.get(at).copied().flatten();
                let field = ID_FIELDS.get(at);
                if let (Some(v), Some(field), Some(kind)) =
                    (value, field, id_fields::kind_in(self.msg_type, at))
                {
                    return Some((field.enriched, v, kind));
                }
            }
            None
        })
    }
}

fn number<T: core::str::FromStr>(text: &[u8]) -> Option<T> {
    core::str::from_utf8(text).ok()?.parse().ok()
}

impl Interpreted<'_, '_> {
    /// Writes the object, the uids named by `enrich`: the bytes
    /// serde-json-core would write for it as a map.
    pub fn write(&self, c: &mut Cursor<'_>, enrich: &impl Enrich) -> Result<(), Full> {
        let mut first = true;
        let mut key = |c: &mut Cursor<'_>, name: &str| {
            let pushed = c.push_key(first, name.as_bytes());
            first = false;
            pushed
        };
        c.push(b"{")?;
        let members = [
            ("arch", self.arch),
            ("syscall", self.syscall),
            ("exit", self.exit),
        ];
        for (name, value) in members {
            if let Some(value) = value {
                key(c, name)?;
                c.push_string(value.as_bytes())?;
            }
        }
        if let Some(hex) = self.saddr {
            let mut buf = [0; SOCKADDR_MAX];
            if let Some(addr) = sockaddr::decode(hex, &mut buf) {
                key(c, "saddr")?;
                c.serialize(&SockAddrObject(addr))?;
            }
        }
        if let Some(mode) = self.mode {
            key(c, "mode")?;
            if self.mode_short {
                c.push_display(&ShortMode(mode))?;
            } else {
                c.push_display(&Mode(mode))?;
            }
        }
        if let Some(capability) = self.capability {
            key(c, "capability")?;
            c.push_string(capability.as_bytes())?;
        }
        for (name, pid, parent) in [("PID", self.pid, false), ("PPID", self.ppid, true)] {
            if let Some(info) = pid.and_then(|p| enrich.process(p)) {
                key(c, name)?;
                c.serialize(&Identity { info, parent })?;
            }
        }
        for (enriched, value, kind) in self.named_ids() {
            if let Some(name) = id_fields::name_of(enrich, kind, value) {
                key(c, enriched)?;
                c.push_string(name.as_bytes())?;
            }
        }
        c.push(b"}")
    }
}

/// A process the caller found: its entity id, and for a parent its
/// executable and command name.
struct Identity<'a> {
    info: crate::encode::ProcessInfo<'a>,
    parent: bool,
}

impl Serialize for Identity<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("entity_id", self.info.entity_id)?;
        if self.parent {
            if let Some(exe) = self.info.executable {
                map.serialize_entry("exe", exe)?;
            }
            if let Some(comm) = self.info.name {
                map.serialize_entry("comm", comm)?;
            }
        }
        map.end()
    }
}

/// A mode as auditd prints it (auparse's `print_mode`): the file type
/// (its bits in octal when it has no name: `000` for none), `,suid`,
/// `,sgid` and `,sticky`, the permissions in octal (`file,suid,755`).
struct Mode(u32);

impl core::fmt::Display for Mode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let kind = match self.0 & 0o170_000 {
            0o140_000 => "socket",
            0o120_000 => "link",
            0o100_000 => "file",
            0o060_000 => "block",
            0o040_000 => "dir",
            0o020_000 => "character",
            0o010_000 => "fifo",
            _ => "",
        };
        if kind.is_empty() {
            write!(f, "{:03o}", (self.0 & 0o170_000) >> 12)?;
        } else {
            f.write_str(kind)?;
        }
        for (bit, name) in [(0o4000, ",suid"), (0o2000, ",sgid"), (0o1000, ",sticky")] {
            if self.0 & bit != 0 {
                f.write_str(name)?;
            }
        }
        write!(f, ",{:03o}", self.0 & 0o777)
    }
}

/// An MQ_OPEN record's mode as auparse's `print_mode_short` prints it:
/// `suid`, `sgid`, `sticky` (comma-separated), then the permissions in
/// octal with a leading `0` (`0644`, `sticky,0777`).
struct ShortMode(u32);

impl core::fmt::Display for ShortMode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (bit, name) in [(0o4000, "suid,"), (0o2000, "sgid,"), (0o1000, "sticky,")] {
            if self.0 & bit != 0 {
                f.write_str(name)?;
            }
        }
        write!(f, "0{:03o}", self.0 & 0o777)
    }
}

/// `AUDIT_MQ_OPEN`.
const MQ_OPEN: crate::wire::MessageType = crate::wire::MessageType(1312);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::NoEnrich;

    /// `noted` for as long as a test needs it.
    fn leak(noted: Noted<'_>) -> &Noted<'_> {
        extern crate std;
        std::boxed::Box::leak(std::boxed::Box::new(noted))
    }

    fn of<'a>(arch: &'a [u8], syscall: &'a [u8], exit: &'a [u8]) -> Interpreted<'a, 'a> {
        Interpreted::of(
            leak(Noted {
                arch: Some(arch),
                syscall: Some(syscall),
                exit: Some(exit),
                ..Noted::default()
            }),
            crate::wire::MessageType::SYSCALL,
            &NoEnrich,
        )
    }

    #[test]
    fn names_what_the_tables_know() {
        let i = of(b"c000003e", b"59", b"-13");
        assert_eq!(
            (i.arch, i.syscall, i.exit),
            (Some("x86_64"), Some("execve"), Some("EACCES"))
        );
        let i = of(b"40000003", b"11", b"0");
        assert_eq!(
            (i.arch, i.syscall, i.exit),
            (Some("i386"), Some("execve"), None)
        );
    }

    #[test]
    fn unknown_numbers_are_left_out() {
        assert!(of(b"c00000f3", b"59", b"3").is_empty());
        assert!(of(b"zz", b"x", b"-99999").is_empty());
        let i = of(b"c000003e", b"99999", b"-4096");
        assert_eq!((i.arch, i.syscall, i.exit), (Some("x86_64"), None, None));
        assert!(Interpreted::of(
            &Noted::default(),
            crate::wire::MessageType::SYSCALL,
            &NoEnrich
        )
        .is_empty());
    }

    #[test]
    fn mode_and_capability() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(Mode(0o100_755).to_string(), "file,755");
        assert_eq!(Mode(0o104_755).to_string(), "file,suid,755");
        let i = Interpreted::of(
            leak(Noted {
                mode: Some(b"0100644"),
                capability: Some(b"21"),
                ..Noted::default()
            }),
            crate::wire::MessageType::SYSCALL,
            &NoEnrich,
        );
        assert_eq!((i.mode, i.capability), (Some(0o100_644), Some("sys_admin")));
        let i = Interpreted::of(
            leak(Noted {
                mode: Some(b"9"),
                capability: Some(b"99"),
                ..Noted::default()
            }),
            crate::wire::MessageType::SYSCALL,
            &NoEnrich,
        );
        assert!(i.is_empty());
    }

    /// auparse's `print_mode` (interpret.c): the file type's name (or
    /// its bits in octal when it has none), `,suid`, `,sgid`, `,sticky`,
    /// then the permission bits in octal.
    #[test]
    fn mode_is_what_auparse_prints() {
        extern crate std;
        use std::string::ToString;
        for (mode, auparse) in [
            (0o100_755, "file,755"),
            (0o104_755, "file,suid,755"),
            (0o102_755, "file,sgid,755"),
            (0o106_755, "file,suid,sgid,755"),
            (0o041_777, "dir,sticky,777"),
            (0o020_620, "character,620"),
            (0o140_777, "socket,777"),
            (0o644, "000,644"),
            (0o030_644, "003,644"),
            (0o170_000, "017,000"),
        ] {
            assert_eq!(Mode(mode).to_string(), auparse, "{mode:o}");
        }
        for (mode, auparse) in [
            (0o644, "0644"),
            (0o1777, "sticky,0777"),
            (0o6755, "suid,sgid,0755"),
        ] {
            assert_eq!(ShortMode(mode).to_string(), auparse, "{mode:o}");
        }
    }

    #[test]
    fn saddr_only_when_it_decodes() {
        let with = |hex: &'static [u8]| {
            Interpreted::of(
                leak(Noted {
                    saddr: Some(hex),
                    ..Noted::default()
                }),
                crate::wire::MessageType::SOCKADDR,
                &NoEnrich,
            )
        };
        assert!(with(b"020000097F0000010000000000000000").saddr.is_some());
        assert!(with(b"2600AABB").is_empty());
        assert!(with(b"0200").is_empty());
    }
}

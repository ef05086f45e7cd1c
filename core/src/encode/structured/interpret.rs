//! `interpreted`: names for the numbers of a record, from the static
//! tables: `arch` (`c000003e` → `x86_64`), `syscall` for that arch (`59` →
//! `execve`), and `exit` when negative (`-13` → `EACCES`); and `saddr`
//! (SOCKADDR) decoded into an object (see [`sockaddr`](crate::encode::sockaddr)).
//! A number the tables do not know, or an address family not decoded, is
//! left out, never an error.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::value::Noted;
use crate::encode::sockaddr::{self, SockAddrObject, SOCKADDR_MAX};
use crate::tables::arch::Arch;
use crate::tables::errno;
use crate::tables::syscall::Syscall;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Interpreted<'a> {
    pub arch: Option<&'static str>,
    pub syscall: Option<&'static str>,
    pub exit: Option<&'static str>,
    /// The `saddr` hex, when it decodes to an address.
    pub saddr: Option<&'a [u8]>,
}

impl<'a> Interpreted<'a> {
    pub fn of(noted: Noted<'a>) -> Interpreted<'a> {
        let arch = noted
            .arch
            .and_then(|hex| u32::from_str_radix(core::str::from_utf8(hex).ok()?, 16).ok())
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
        Interpreted {
            arch: machine.map(|m| m.name()),
            syscall,
            exit,
            saddr,
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Interpreted::default()
    }
}

fn number<T: core::str::FromStr>(text: &[u8]) -> Option<T> {
    core::str::from_utf8(text).ok()?.parse().ok()
}

impl Serialize for Interpreted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let members = [
            ("arch", self.arch),
            ("syscall", self.syscall),
            ("exit", self.exit),
        ];
        for (key, value) in members {
            if let Some(value) = value {
                map.serialize_entry(key, value)?;
            }
        }
        let mut buf = [0; SOCKADDR_MAX];
        if let Some(addr) = self.saddr.and_then(|hex| sockaddr::decode(hex, &mut buf)) {
            map.serialize_entry("saddr", &SockAddrObject(addr))?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of<'a>(arch: &'a [u8], syscall: &'a [u8], exit: &'a [u8]) -> Interpreted<'a> {
        Interpreted::of(Noted {
            arch: Some(arch),
            syscall: Some(syscall),
            exit: Some(exit),
            saddr: None,
        })
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
        assert_eq!(of(b"c00000f3", b"59", b"3"), Interpreted::default());
        assert!(of(b"zz", b"x", b"-99999").is_empty());
        let i = of(b"c000003e", b"99999", b"-4096");
        assert_eq!((i.arch, i.syscall, i.exit), (Some("x86_64"), None, None));
        assert!(Interpreted::of(Noted::default()).is_empty());
    }

    #[test]
    fn saddr_only_when_it_decodes() {
        let with = |hex: &'static [u8]| {
            Interpreted::of(Noted {
                saddr: Some(hex),
                ..Noted::default()
            })
        };
        assert!(with(b"020000097F0000010000000000000000").saddr.is_some());
        assert!(with(b"2600AABB").is_empty());
        assert!(with(b"0200").is_empty());
    }
}

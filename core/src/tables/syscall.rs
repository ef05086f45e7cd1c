//! Syscall names per machine, both directions. The tables are libaudit's
//! own (generated into `syscall_data.rs` by `gen/gen_tables.py` from
//! `ausyscall ARCH --dump`), so names resolve exactly as auditctl resolves
//! them. ppc64 and ppc64le share the ppc table, as in libaudit.

use core::fmt;

use super::arch::{Arch, Machine};
use super::eq_ignore_case;

/// A syscall number as records carry it (`syscall=59`). Its name depends on
/// the architecture; a number no table names is still a valid value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Syscall(pub u32);

impl Syscall {
    /// The syscall called `name` (any case) on `arch`.
    pub fn from_name(arch: Arch, name: &[u8]) -> Option<Syscall> {
        number(arch.machine()?, name).map(Syscall)
    }

    /// Its name on `arch`, if libaudit's table for that machine has one.
    pub fn name(self, arch: Arch) -> Option<&'static str> {
        name(arch.machine()?, self.0)
    }

    /// Parses the decimal `syscall=` value of a record.
    pub fn parse(text: &[u8]) -> Option<Syscall> {
        crate::record::number::parse_u32(text, 10).map(Syscall)
    }
}

impl fmt::Display for Syscall {
    /// The number: a name needs the architecture (see [`Syscall::name`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[path = "syscall_data.rs"]
mod data;

/// The `(number, name)` table of a machine, sorted by number.
pub fn table(machine: Machine) -> &'static [(u16, &'static str)] {
    match machine {
        Machine::X86_64 => data::X86_64,
        Machine::X86 => data::I386,
        Machine::Aarch64 => data::AARCH64,
        Machine::Arm => data::ARM,
        Machine::Ppc | Machine::Ppc64 | Machine::Ppc64le => data::PPC,
        Machine::S390x => data::S390X,
        Machine::S390 => data::S390,
    }
}

/// The name of syscall `number` on `machine`.
pub fn name(machine: Machine, number: u32) -> Option<&'static str> {
    let number = u16::try_from(number).ok()?;
    let table = table(machine);
    // The tables are dense from 0 up to the machine's newer calls: most
    // numbers are at their own index (the first entry of that number
    // when the one before is lower), found without the search.
    let direct = usize::from(number);
    if let Some(&(n, name)) = table.get(direct) {
        let first = match direct.checked_sub(1) {
            Some(before) => table.get(before).is_some_and(|&(p, _)| p < number),
            None => true,
        };
        if n == number && first {
            return Some(name);
        }
    }
    let at = table.partition_point(|&(n, _)| n < number);
    match table.get(at) {
        Some(&(n, name)) if n == number => Some(name),
        _ => None,
    }
}

/// The number of syscall `name` on `machine` (any case).
pub fn number(machine: Machine, name: &[u8]) -> Option<u32> {
    table(machine)
        .iter()
        .find(|(_, n)| eq_ignore_case(n.as_bytes(), name))
        .map(|&(n, _)| u32::from(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_newtype_names_per_arch_and_prints_its_number() {
        extern crate std;
        use std::string::ToString;
        let execve = Syscall::parse(b"59").unwrap();
        assert_eq!(execve.name(Arch::X86_64), Some("execve"));
        assert_eq!(Syscall(11).name(Arch::I386), Some("execve"));
        assert_eq!(
            Syscall::from_name(Arch::AARCH64, b"EXECVE"),
            Some(Syscall(221))
        );
        assert_eq!(Syscall(99_999).name(Arch::X86_64), None);
        assert_eq!(Syscall(99_999).to_string(), "99999");
        assert_eq!(Syscall::parse(b"x1"), None);
        assert_eq!(Syscall(59).name(Arch(0x1234)), None);
    }

    #[test]
    fn sorted() {
        for m in Machine::ALL {
            let t = table(m);
            assert!(t.windows(2).all(|w| w[0].0 <= w[1].0), "{m:?}");
            assert!(t.len() > 250, "{m:?}");
        }
    }

    /// Every number on every machine: what the search alone finds.
    #[test]
    fn names_are_the_searched_ones() {
        for m in Machine::ALL {
            let t = table(m);
            for number in 0..=u32::from(u16::MAX) + 1 {
                let searched = u16::try_from(number).ok().and_then(|number| {
                    let at = t.partition_point(|&(n, _)| n < number);
                    t.get(at)
                        .filter(|&&(n, _)| n == number)
                        .map(|&(_, name)| name)
                });
                assert_eq!(name(m, number), searched, "{m:?} {number}");
            }
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(number(Machine::X86_64, b"execve"), Some(59));
        assert_eq!(number(Machine::X86, b"execve"), Some(11));
        assert_eq!(number(Machine::Aarch64, b"execve"), Some(221));
        assert_eq!(number(Machine::X86_64, b"EXECVE"), Some(59));
        assert_eq!(name(Machine::X86_64, 2), Some("open"));
        assert_eq!(name(Machine::Aarch64, 2), Some("io_submit"));
        assert_eq!(number(Machine::Aarch64, b"open"), None);
        assert_eq!(name(Machine::X86_64, 100_000), None);
    }
}

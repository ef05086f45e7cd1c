//! Syscall names per machine, both directions. The tables are libaudit's
//! own (generated into `syscall_data.rs` by `gen/gen_tables.py` from
//! `ausyscall ARCH --dump`), so names resolve exactly as auditctl resolves
//! them. ppc64 and ppc64le share the ppc table, as in libaudit.

use super::arch::Machine;
use super::eq_ignore_case;

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
    fn sorted() {
        for m in Machine::ALL {
            let t = table(m);
            assert!(t.windows(2).all(|w| w[0].0 <= w[1].0), "{m:?}");
            assert!(t.len() > 250, "{m:?}");
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

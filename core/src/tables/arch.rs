//! Architectures: the kernel's `AUDIT_ARCH_*` numbers ([`Arch`], ELF machine
//! plus 64-bit and little-endian flags, from `include/uapi/linux/audit.h`) and
//! libaudit's machine families ([`Machine`]) that pick a syscall table.
//! Names match auditctl's `machinetab.h`, compared without case.

use core::fmt;

use super::eq_ignore_case;

/// An `AUDIT_ARCH_*` value as the kernel reports it (`arch=c000003e`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Arch(pub u32);

impl Arch {
    pub const BIT_64: u32 = 0x8000_0000;
    pub const BIT_LE: u32 = 0x4000_0000;
    pub const X86_64: Arch = Arch(0xc000_003e);
    pub const I386: Arch = Arch(0x4000_0003);
    pub const AARCH64: Arch = Arch(0xc000_00b7);
    pub const ARM: Arch = Arch(0x4000_0028);
    pub const PPC: Arch = Arch(0x14);
    pub const PPC64: Arch = Arch(0x8000_0015);
    pub const PPC64LE: Arch = Arch(0xc000_0015);
    pub const S390: Arch = Arch(0x16);
    pub const S390X: Arch = Arch(0x8000_0016);
    pub const RISCV64: Arch = Arch(0xc000_00f3);

    /// True for 64-bit architectures (`__AUDIT_ARCH_64BIT`).
    pub const fn is_64bit(self) -> bool {
        self.0 & Self::BIT_64 != 0
    }

    /// The machine family, if libaudit knows this architecture.
    pub fn machine(self) -> Option<Machine> {
        Machine::ALL.iter().copied().find(|m| m.arch() == self)
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.machine() {
            Some(m) => f.write_str(m.name()),
            None => write!(f, "0x{:x}", self.0),
        }
    }
}

/// libaudit's machine families (`MACH_*`), each with one syscall table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Machine {
    X86,
    X86_64,
    Ppc64,
    Ppc64le,
    Ppc,
    S390x,
    S390,
    Arm,
    Aarch64,
}

/// Names accepted for each machine (`uname -m` forms), as in `machinetab.h`.
static NAMES: &[(&str, Machine)] = &[
    ("i386", Machine::X86),
    ("i486", Machine::X86),
    ("i586", Machine::X86),
    ("i686", Machine::X86),
    ("x86_64", Machine::X86_64),
    ("ppc64", Machine::Ppc64),
    ("ppc64le", Machine::Ppc64le),
    ("ppc", Machine::Ppc),
    ("s390x", Machine::S390x),
    ("s390", Machine::S390),
    ("armeb", Machine::Arm),
    ("arm", Machine::Arm),
    ("armv5tejl", Machine::Arm),
    ("armv5tel", Machine::Arm),
    ("armv6l", Machine::Arm),
    ("armv7l", Machine::Arm),
    ("aarch64", Machine::Aarch64),
    ("armv8l", Machine::Aarch64),
];

impl Machine {
    pub const ALL: [Machine; 9] = [
        Machine::X86,
        Machine::X86_64,
        Machine::Ppc64,
        Machine::Ppc64le,
        Machine::Ppc,
        Machine::S390x,
        Machine::S390,
        Machine::Arm,
        Machine::Aarch64,
    ];

    /// The machine for a name such as `x86_64` or `i686` (any case).
    pub fn from_name(name: &[u8]) -> Option<Machine> {
        NAMES
            .iter()
            .find(|(n, _)| eq_ignore_case(n.as_bytes(), name))
            .map(|&(_, m)| m)
    }

    /// The canonical name (first in the table).
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|&&(_, m)| m == self)
            .map_or("unknown", |&(n, _)| n)
    }

    /// The `AUDIT_ARCH_*` value (`audit_machine_to_elf`).
    pub const fn arch(self) -> Arch {
        match self {
            Machine::X86 => Arch::I386,
            Machine::X86_64 => Arch::X86_64,
            Machine::Ppc64 => Arch::PPC64,
            Machine::Ppc64le => Arch::PPC64LE,
            Machine::Ppc => Arch::PPC,
            Machine::S390x => Arch::S390X,
            Machine::S390 => Arch::S390,
            Machine::Arm => Arch::ARM,
            Machine::Aarch64 => Arch::AARCH64,
        }
    }

    /// The 32-bit companion of a 64-bit machine (`-F arch=b32`), itself
    /// for 32-bit machines; `None` for 64-bit-only machines.
    pub const fn to_32bit(self) -> Option<Machine> {
        match self {
            Machine::X86_64 | Machine::X86 => Some(Machine::X86),
            Machine::Ppc64 | Machine::Ppc => Some(Machine::Ppc),
            Machine::S390x | Machine::S390 => Some(Machine::S390),
            Machine::Aarch64 | Machine::Arm => Some(Machine::Arm),
            Machine::Ppc64le => None,
        }
    }

    /// True when the machine is 64-bit.
    pub const fn is_64bit(self) -> bool {
        self.arch().is_64bit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_elf() {
        assert_eq!(Machine::from_name(b"X86_64"), Some(Machine::X86_64));
        assert_eq!(Machine::from_name(b"i686"), Some(Machine::X86));
        assert_eq!(Machine::from_name(b"riscv64"), None);
        assert_eq!(Machine::X86.name(), "i386");
        assert_eq!(Arch(0xc000_003e).machine(), Some(Machine::X86_64));
        assert_eq!(Machine::X86_64.to_32bit(), Some(Machine::X86));
        assert!(Machine::Aarch64.is_64bit());
        for m in Machine::ALL {
            assert_eq!(m.arch().machine(), Some(m));
        }
    }
}

//! A kernel rule (`audit_rule_data`) back into the text `auditctl -l`
//! prints: watches as `-w PATH -p PERMS -k KEY`, other rules as
//! `-a ACTION,LIST -F arch=b64 -S … -F …`, numbers as auditctl shows them
//! (`a0` in hex, `exit` with errno names, unknown fields as `fN`), io_uring
//! rules with operation names (`-a always,io_uring -S openat`).
//!
//! auditctl remembers the last rule's architecture for the syscall names of
//! a following rule without one; [`Printer`] keeps that state so the output
//! is the same line for line.

use std::fmt::Write;

use raudit_core::tables::arch::{Arch, Machine};
use raudit_core::tables::field::{self, action, filter, perm, Field, Operator};
use raudit_core::tables::{errno, syscall, uring};
use raudit_core::wire::rule::{RuleData, RuleField, MASK_WORDS};
use raudit_core::wire::MessageType;

/// Prints rules in order, as one `auditctl -l` run does.
pub struct Printer {
    machine: Option<Machine>,
    last_arch: Option<Arch>,
}

impl Printer {
    /// `machine` is the host's (auditctl's `audit_detect_machine`;
    /// `None`: raudit has no syscall table for it, syscalls print as numbers).
    pub fn new(machine: Option<Machine>) -> Printer {
        Printer {
            machine,
            last_arch: None,
        }
    }

    /// One rule as a line (no newline).
    pub fn rule(&mut self, rule: &RuleData<'_>) -> String {
        let mut out = String::new();
        let fields: Vec<RuleField<'_>> = rule.fields().collect();
        let list = rule.flags() & filter::MASK;
        let takes_syscalls = !matches!(
            list,
            filter::USER | filter::TASK | filter::EXCLUDE | filter::FS
        );
        let all = (0..MASK_WORDS - 1).all(|i| rule.mask_word(i) == !0);
        let watch = fields.iter().any(|f| f.field == Field::PERM)
            && fields.iter().all(|f| {
                matches!(
                    f.field,
                    Field::PERM | Field::FILTERKEY | Field::DIR | Field::WATCH
                )
            })
            && (!takes_syscalls || all);
        let mut syscall_count = 0;
        if !watch {
            let _ = write!(
                out,
                "-a {},{}",
                action::name(rule.action()).unwrap_or("unknown"),
                filter::name(list).unwrap_or("unknown")
            );
            for f in fields.iter().filter(|f| f.field == Field::ARCH) {
                let op = symbol(f.op);
                let arch = Arch(f.value);
                self.last_arch = Some(arch);
                match arch.machine() {
                    None => {
                        let _ = write!(out, " -F arch{op}0x{:X}", f.value);
                    }
                    Some(_) if arch.is_64bit() => {
                        let _ = write!(out, " -F arch{op}b64");
                    }
                    Some(_) => {
                        let _ = write!(out, " -F arch{op}b32");
                    }
                }
            }
            if takes_syscalls {
                syscall_count = self.syscalls(rule, all, &mut out);
            }
        }
        for f in &fields {
            self.field(f, watch, syscall_count, &mut out);
        }
        out
    }

    fn syscalls(&self, rule: &RuleData<'_>, all: bool, out: &mut String) -> usize {
        if all {
            out.push_str(" -S all");
            return MASK_WORDS - 1;
        }
        if rule.flags() & filter::MASK == filter::URING_EXIT {
            return uring_ops(rule, out);
        }
        let machine = match self.last_arch {
            Some(arch) => arch.machine(),
            None => self.machine,
        };
        let mut count = 0;
        for nr in 0..(MASK_WORDS as u32 * 32) {
            if !rule.has_syscall(nr) {
                continue;
            }
            out.push_str(if count == 0 { " -S " } else { "," });
            match machine.and_then(|m| syscall::name(m, nr)) {
                Some(name) => out.push_str(name),
                None => {
                    let _ = write!(out, "{nr}");
                }
            }
            count += 1;
        }
        count
    }

    fn field(&self, f: &RuleField<'_>, watch: bool, syscall_count: usize, out: &mut String) {
        let op = symbol(f.op);
        let text = f.string.map(String::from_utf8_lossy).unwrap_or_default();
        let Some(name) = f.field.name() else {
            let _ = write!(out, " f{}{op}{}", f.field.0, f.value as i32);
            return;
        };
        let _ = match f.field {
            Field::ARCH => Ok(()),
            Field::MSGTYPE => match MessageType(f.value as u16)
                .name()
                .filter(|_| f.value <= 0xffff)
            {
                Some(t) => write!(out, " -F {name}{op}{t}"),
                None => write!(out, " -F {name}{op}{}", f.value as i32),
            },
            Field::WATCH | Field::DIR if watch => write!(out, "-w {text}"),
            Field::FILTERKEY => {
                for key in text.split('\x01').filter(|k| !k.is_empty()) {
                    let _ = if watch {
                        write!(out, " -k {key}")
                    } else {
                        write!(out, " -F key={key}")
                    };
                }
                Ok(())
            }
            Field::PERM => {
                let mut p = String::new();
                for (bit, c) in [
                    (perm::READ, 'r'),
                    (perm::WRITE, 'w'),
                    (perm::EXEC, 'x'),
                    (perm::ATTR, 'a'),
                ] {
                    if f.value & bit != 0 {
                        p.push(c);
                    }
                }
                if watch {
                    write!(out, " -p {p}")
                } else {
                    write!(out, " -F perm={p}")
                }
            }
            _ if f.string.is_some() => write!(out, " -F {name}{op}{text}"),
            Field::INODE => write!(out, " -F {name}{op}{}", f.value),
            Field::FIELD_COMPARE => match field::COMPARISONS.iter().find(|c| c.0 == f.value) {
                Some(&(_, l, r)) => write!(
                    out,
                    " -C {}{op}{}",
                    l.name().unwrap_or("?"),
                    r.name().unwrap_or("?")
                ),
                None => Ok(()),
            },
            Field::ARG0 | Field::ARG1 | Field::ARG2 | Field::ARG3 => {
                let _ = syscall_count;
                write!(out, " -F {name}{op}0x{:X}", f.value)
            }
            Field::EXIT => {
                let v = f.value as i32;
                match errno::name(v.unsigned_abs()).filter(|_| v < 0) {
                    Some(e) => write!(out, " -F {name}{op}-{e}"),
                    None => write!(out, " -F {name}{op}{v}"),
                }
            }
            Field::FSTYPE => match field::name_of(field::FS_TYPES, f.value) {
                Some(t) => write!(out, " -F {name}{op}{t}"),
                None => write!(out, " -F {name}{op}{}", f.value as i32),
            },
            _ => write!(out, " -F {name}{op}{}", f.value as i32),
        };
    }
}

/// The io_uring list's mask as operation names (numbers where unnamed).
/// auditctl looks only below `IORING_OP_LAST` of its build headers; bits
/// above, which only a hand-written number sets, are printed here as
/// numbers rather than dropped, so the line still compiles back to the rule.
fn uring_ops(rule: &RuleData<'_>, out: &mut String) -> usize {
    let mut count = 0;
    for nr in 0..(MASK_WORDS as u32 * 32) {
        if !rule.has_syscall(nr) {
            continue;
        }
        out.push_str(if count == 0 { " -S " } else { "," });
        match uring::name(nr) {
            Some(name) => out.push_str(name),
            None => {
                let _ = write!(out, "{nr}");
            }
        }
        count += 1;
    }
    count
}

fn symbol(op: Operator) -> &'static str {
    op.symbol().unwrap_or("")
}

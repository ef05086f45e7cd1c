//! `raudit rules …`: compile, check, load, list and delete audit rules
//! without auditctl.
//!
//! FILE may also be a glob in the file name (`'/etc/audit/rules.d/*.rules'`):
//! its files are read in `ls -v` order and combined as augenrules does.
//!
//! - `compile FILE|-`: one line per rule, its `audit_rule_data` in base64.
//! - `check FILE`: every error; exit status 1 if any.
//! - `load FILE`: make the kernel's rules the file's (missing ones added
//!   before extra ones are deleted; status settings sent when different).
//! - `list`: the kernel's rules in `auditctl -l` form.
//! - `delete-all`: delete every rule (but a running raudit daemon's
//!   self-exclusion rule).

use std::io::Read;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use raudit_core::wire::rule::RuleData;

use crate::netlink::Control;
use crate::rules::compile::host_machine;
use crate::rules::print::Printer;
use crate::rules::{apply, Command, CompileOptions, RuleError, RuleSet};

/// `raudit rules` arguments.
#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub action: RulesAction,
}

/// The `rules` subcommands.
#[derive(Subcommand, Debug)]
pub enum RulesAction {
    /// Print each rule's audit_rule_data bytes in base64, one per line.
    Compile {
        /// Rules file (auditctl syntax, one rule per line), or a glob of
        /// rules.d files read as augenrules reads them; `-` reads standard input.
        file: String,
    },
    /// Report every error in a rules file; non-zero exit if any.
    Check {
        /// Rules file (auditctl syntax, one rule per line), or a glob of
        /// rules.d files read as augenrules reads them; `-` reads standard input.
        file: String,
    },
    /// Make the kernel's rules a rules file's: add what is missing, then
    /// delete what is extra (no unaudited window).
    Load {
        /// Rules file (auditctl syntax, one rule per line), or a glob of
        /// rules.d files read as augenrules reads them; `-` reads standard input.
        file: String,
    },
    /// Print the kernel's rules as `auditctl -l` does.
    List {
        /// Print each rule's audit_rule_data in base64 instead.
        #[arg(long)]
        raw: bool,
    },
    /// Delete every rule in the kernel (but a running raudit daemon's self-exclusion rule).
    DeleteAll,
}

/// Runs a `rules` subcommand.
pub fn run(args: RulesArgs) -> ExitCode {
    match args.action {
        RulesAction::Compile { file } => compile(&file),
        RulesAction::Check { file } => match read_set(&file) {
            Ok(set) => {
                println!("{file}: {} command(s), no errors", set.entries.len());
                ExitCode::SUCCESS
            }
            Err(errors) => report(&errors),
        },
        RulesAction::Load { file } => load(&file),
        RulesAction::List { raw } => list(raw),
        RulesAction::DeleteAll => with_control(|c| match apply::delete_all(c) {
            Ok((n, kept)) => {
                println!("deleted {n} rule(s)");
                for pid in kept {
                    println!(
                        "kept the self-exclusion rule of the running raudit daemon (pid {pid})"
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(&format!("delete-all: {e}")),
        }),
    }
}

fn read_set(file: &str) -> Result<RuleSet, Vec<RuleError>> {
    if file.contains(['*', '?']) {
        // A rules.d glob: its files combined as augenrules does.
        return crate::rules::files::load(&[file.to_string()], &CompileOptions::host());
    }
    if file != "-" {
        return RuleSet::from_file(file);
    }
    // Text that cannot be read whole is an error, never the part read (or
    // nothing): `load` makes the kernel's rules the set, so an empty one
    // would delete every rule.
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        return Err(vec![RuleError::of_file(
            "<stdin>".into(),
            format!("readable rules text on standard input ({e})"),
        )]);
    }
    RuleSet::from_text(&text, "<stdin>", &CompileOptions::host())
}

fn report(errors: &[RuleError]) -> ExitCode {
    for e in errors {
        eprintln!("{e}");
    }
    eprintln!("{} error(s)", errors.len());
    ExitCode::FAILURE
}

fn fail(message: &str) -> ExitCode {
    eprintln!("raudit: {message}");
    ExitCode::FAILURE
}

fn compile(file: &str) -> ExitCode {
    let set = match read_set(file) {
        Ok(set) => set,
        Err(errors) => return report(&errors),
    };
    for entry in &set.entries {
        if let Command::Add(bytes) | Command::Delete(bytes) = &entry.command {
            println!("{}", base64(bytes));
        }
    }
    ExitCode::SUCCESS
}

fn with_control(f: impl FnOnce(&Control<'static>) -> ExitCode) -> ExitCode {
    match Control::open() {
        Ok(c) => f(&c),
        Err(e) => fail(&format!("opening the audit netlink socket: {e}")),
    }
}

fn load(file: &str) -> ExitCode {
    let set = match read_set(file) {
        Ok(set) => set,
        Err(errors) => return report(&errors),
    };
    // No self-exclusion rule: this process exits at once, and a pid-based
    // exemption left behind would spare whoever gets the pid next.
    with_control(|c| match apply::apply(c, &set, None) {
        Ok(r) => {
            println!(
                "added {}, deleted {}, kept {} rule(s), {} setting(s) changed",
                r.added, r.deleted, r.kept, r.settings
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    })
}

fn list(raw: bool) -> ExitCode {
    with_control(|c| match c.list_rules() {
        Ok(rules) if rules.is_empty() => {
            println!("No rules");
            ExitCode::SUCCESS
        }
        Ok(rules) => {
            let mut printer = Printer::new(host_machine());
            for rule in &rules {
                match RuleData::new_checked(rule) {
                    Ok(r) if raw => println!("{}", base64(r.as_bytes())),
                    Ok(r) => println!("{}", printer.rule(&r)),
                    Err(e) => eprintln!("raudit: unreadable rule from the kernel: {e}"),
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("listing rules: {e}")),
    })
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_glob_reads_a_rules_d_as_augenrules() {
        let dir = crate::scratch_dir::ScratchDir::new("cmd-rules");
        std::fs::write(
            dir.join("20-b.rules"),
            "-e 1\n-a always,exit -F arch=b64 -S kill\n",
        )
        .unwrap();
        std::fs::write(dir.join("10-a.rules"), "-b 8192\n-D\n").unwrap();
        let set = super::read_set(&format!("{}/*.rules", dir.display())).unwrap();
        let texts: Vec<&str> = set.entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "-D",
                "-b 8192",
                "-a always,exit -F arch=b64 -S kill",
                "-e 1"
            ]
        );
    }

    #[test]
    fn lock_and_panic_are_refused_from_a_file_and_a_rules_d() {
        let dir = crate::scratch_dir::ScratchDir::new("cmd-guard");
        std::fs::write(dir.join("10-lock.rules"), "-e 2\n").unwrap();
        std::fs::write(dir.join("20-panic.rules"), "-b 64\n-f2\n").unwrap();
        let errors = super::read_set(&format!("{}/*.rules", dir.display())).unwrap_err();
        // augenrules puts -f first.
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(text[0].contains("20-panic.rules:2:"), "{text:?}");
        assert!(text[0].contains("panics the kernel"), "{text:?}");
        assert!(text[1].contains("10-lock.rules:1:"), "{text:?}");
        assert!(text[1].contains("locks the rules"), "{text:?}");
        let one = dir.join("10-lock.rules").display().to_string();
        let errors = super::read_set(&one).unwrap_err();
        assert!(
            errors[0].to_string().contains("locks the rules"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn base64_vectors() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}

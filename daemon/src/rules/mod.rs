//! Audit rules in auditctl's syntax, compiled by raudit itself into the
//! kernel's `struct audit_rule_data`, byte for byte as auditctl 3.0 builds
//! them, and loaded, listed and deleted over netlink (no `auditctl`).
//!
//! - [`lex`]: one command line into words (auditctl's splitting, plus quotes).
//! - [`compile`]: the words of one line into a [`Command`] (auditctl's option
//!   handling and libaudit's field rules); [`guard`]: the one check on `-e 2`
//!   and `-f 2`, which every path's compile goes through.
//! - [`print`](mod@print): a kernel rule back into auditctl's `-l` text.
//! - [`apply`](mod@apply): make the kernel's rules a [`RuleSet`] by difference
//!   (missing added before extra deleted) and its status settings;
//!   [`drift`]: compare the kernel with the set, and restore.
//!
//! A [`RuleSet`] is all or nothing: building one reports every error (each
//! naming the rule, the word and what was expected) and yields no rules.

pub mod apply;
pub mod compile;
pub mod drift;
pub mod files;
pub mod guard;
pub mod lex;
pub mod print;

use std::fmt;
use std::path::Path;

pub use apply::{apply, self_exclusion, ApplyError, ApplyReport};
pub use compile::{Command, CompileOptions, StatusSetting};

/// Where a rule came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Index in the config's `rules:` list (0-based, printed 0-based as
    /// `rules[3]`).
    Config { index: usize },
    /// Line of a rules file (1-based).
    File { path: String, line: usize },
    /// A config key that stands for an auditctl option (such as
    /// `raudit.kernel.backlog_wait_time`).
    Key { path: &'static str },
    /// A rule the kernel held at start (no rules configured), 0-based.
    Kernel { index: usize },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Config { index } => write!(f, "rules[{index}]"),
            // (Line 0: the file as a whole, which could not be read.)
            Origin::File { path, line: 0 } => f.write_str(path),
            Origin::File { path, line } => write!(f, "{path}:{line}"),
            Origin::Key { path } => f.write_str(path),
            Origin::Kernel { index } => write!(f, "kernel rule {index}"),
        }
    }
}

/// One error in a rule: where, which word, what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub origin: Origin,
    /// Byte column of the word in the rule text.
    pub column: usize,
    /// The offending word (empty when something is missing at the end).
    pub token: String,
    /// What was expected instead.
    pub expected: String,
}

impl RuleError {
    /// A problem with the rules file (or pattern) `path` as a whole, not
    /// with a line of it: it does not exist, cannot be read, matches
    /// nothing; `expected` says what was wanted.
    pub fn of_file(path: String, expected: String) -> RuleError {
        RuleError {
            origin: Origin::File { path, line: 0 },
            column: 0,
            token: String::new(),
            expected,
        }
    }

    /// [`of_file`](Self::of_file) for a file that could not be read.
    pub fn unreadable(path: String, error: &std::io::Error) -> RuleError {
        RuleError::of_file(path, format!("a readable rules file ({error})"))
    }

    fn is_of_file(&self) -> bool {
        matches!(self.origin, Origin::File { line: 0, .. })
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_of_file() {
            write!(f, "{}: expected {}", self.origin, self.expected)
        } else if self.token.is_empty() {
            write!(f, "{}: at end of rule: {}", self.origin, self.expected)
        } else {
            write!(
                f,
                "{}:{}: `{}`: {}",
                self.origin,
                self.column + 1,
                self.token,
                self.expected
            )
        }
    }
}

impl std::error::Error for RuleError {}

/// One command of a rule set with its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub origin: Origin,
    pub text: String,
    pub command: Command,
}

/// An error-free, compiled rule set in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleSet {
    pub entries: Vec<Entry>,
}

impl RuleSet {
    /// The config's `rules:` list (go-audit's form: one auditctl command
    /// line per string), with this host's defaults.
    pub fn from_config_list(rules: &[String]) -> Result<RuleSet, Vec<RuleError>> {
        Self::from_config_list_with(rules, &CompileOptions::host())
    }

    /// As [`from_config_list`](Self::from_config_list), with options.
    pub fn from_config_list_with(
        rules: &[String],
        options: &CompileOptions,
    ) -> Result<RuleSet, Vec<RuleError>> {
        let lines = rules
            .iter()
            .enumerate()
            .map(|(index, text)| (Origin::Config { index }, text.as_str()));
        Self::build(lines, options)
    }

    /// A rules file (`.rules`: one command a line, `#` comments).
    pub fn from_file(path: impl AsRef<Path>) -> Result<RuleSet, Vec<RuleError>> {
        Self::from_file_with(path, &CompileOptions::host())
    }

    /// As [`from_file`](Self::from_file), with options.
    pub fn from_file_with(
        path: impl AsRef<Path>,
        options: &CompileOptions,
    ) -> Result<RuleSet, Vec<RuleError>> {
        let path = path.as_ref();
        let name = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_text(&text, &name, options),
            Err(e) => Err(vec![RuleError::unreadable(name, &e)]),
        }
    }

    /// Rules-file text; `name` is used in errors.
    pub fn from_text(
        text: &str,
        name: &str,
        options: &CompileOptions,
    ) -> Result<RuleSet, Vec<RuleError>> {
        let lines = text.lines().enumerate().map(|(i, line)| {
            (
                Origin::File {
                    path: name.to_string(),
                    line: i + 1,
                },
                line,
            )
        });
        Self::build(lines, options)
    }

    pub(crate) fn build<'a>(
        lines: impl Iterator<Item = (Origin, &'a str)>,
        options: &CompileOptions,
    ) -> Result<RuleSet, Vec<RuleError>> {
        let mut set = RuleSet::default();
        let mut errors = Vec::new();
        for (origin, text) in lines {
            match compile::compile_line(text, options) {
                Ok(None) => {}
                Ok(Some(command)) => set.entries.push(Entry {
                    origin,
                    text: text.trim().to_string(),
                    command,
                }),
                Err(e) => errors.push(RuleError {
                    origin,
                    column: e.column,
                    token: e.token,
                    expected: e.expected,
                }),
            }
        }
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(errors)
        }
    }

    /// The kernel's rules as listed (`AUDIT_LIST_RULES`), to keep as the
    /// configured set when the config has none; self-exclusion rules are
    /// left out (the daemon adds its own).
    pub fn from_kernel(listed: &[Vec<u8>]) -> RuleSet {
        let mut printer = print::Printer::new(compile::host_machine());
        let entries = listed
            .iter()
            .filter(|rule| apply::exempted_pid(rule).is_none())
            .enumerate()
            .map(|(index, rule)| {
                let bytes = apply::listed_form(rule).to_vec();
                let text = raudit_core::wire::rule::RuleData::new_checked(&bytes)
                    .map_or_else(|e| format!("unreadable rule ({e:?})"), |r| printer.rule(&r));
                Entry {
                    origin: Origin::Kernel { index },
                    text,
                    command: Command::Add(bytes),
                }
            })
            .collect();
        RuleSet { entries }
    }

    /// Appends a status setting that a config key stands for, as if its
    /// auditctl option ended the list: it is applied after the list's own
    /// settings, watched for drift and restored with them.
    pub fn push_setting(&mut self, key: &'static str, setting: StatusSetting) {
        self.entries.push(Entry {
            origin: Origin::Key { path: key },
            text: option_text(setting),
            command: Command::Status(setting),
        });
    }

    /// The rules to add, in order (`-a`/`-A`/`-w` entries), as
    /// `audit_rule_data` bytes.
    pub fn rules(&self) -> impl Iterator<Item = (&Entry, &[u8])> {
        self.entries.iter().filter_map(|e| match &e.command {
            Command::Add(bytes) => Some((e, bytes.as_slice())),
            _ => None,
        })
    }

    /// The status settings, in order.
    pub fn status_settings(&self) -> impl Iterator<Item = (&Entry, StatusSetting)> {
        self.entries.iter().filter_map(|e| match e.command {
            Command::Status(s) => Some((e, s)),
            _ => None,
        })
    }
}

/// The auditctl option a status setting is written as.
fn option_text(setting: StatusSetting) -> String {
    match setting {
        StatusSetting::Enabled(v) => format!("-e {v}"),
        StatusSetting::Failure(v) => format!("-f {v}"),
        StatusSetting::RateLimit(v) => format!("-r {v}"),
        StatusSetting::BacklogLimit(v) => format!("-b {v}"),
        StatusSetting::BacklogWaitTime(v) => format!("--backlog_wait_time {v}"),
        StatusSetting::ResetLost => "--reset-lost".to_string(),
    }
}

/// The form in which the kernel lists a rule it was sent: the top 16 bits of
/// the syscall mask are syscall-class markers that the kernel expands and
/// clears (with `-S all` every syscall bit is already set, so only the
/// markers go), and `-A`'s prepend flag is not kept in the listing.
/// Used to compare configured rules with `AUDIT_LIST_RULES` replies.
pub fn kernel_form(rule: &[u8]) -> Vec<u8> {
    use raudit_core::tables::field::filter::PREPEND;
    use raudit_core::wire::rule::{layout, MASK_WORDS};
    let mut out = rule.to_vec();
    let clear = |out: &mut [u8], at: layout::Bytes, bits: u32| {
        if let Some(bytes) = out.get_mut(at) {
            let mut word = [0; 4];
            word.copy_from_slice(bytes);
            bytes.copy_from_slice(&(u32::from_ne_bytes(word) & !bits).to_ne_bytes());
        }
    };
    clear(&mut out, layout::FLAGS, PREPEND);
    clear(
        &mut out,
        layout::word(layout::MASK, MASK_WORDS - 1),
        0xffff_0000,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_form_drops_prepend_and_the_class_markers_only() {
        use raudit_core::tables::field::filter::PREPEND;
        use raudit_core::wire::rule::{layout, HEAD_LEN};
        let rule = vec![0xffu8; HEAD_LEN + 4];
        let listed = kernel_form(&rule);
        let word = |at: layout::Bytes| u32::from_ne_bytes(listed[at].try_into().unwrap());
        assert_eq!(word(layout::FLAGS), !PREPEND);
        assert_eq!(word(layout::word(layout::MASK, 63)), 0x0000_ffff);
        assert_eq!(word(layout::word(layout::MASK, 62)), u32::MAX);
        let changed = rule.iter().zip(&listed).filter(|(a, b)| a != b).count();
        assert_eq!(changed, 3, "PREPEND's byte and mask[63]'s top two bytes");
    }

    #[test]
    fn a_pushed_setting_comes_last_and_names_its_key() {
        let lines = ["--backlog_wait_time 100".to_string(), "-e 1".to_string()];
        let mut set = RuleSet::from_config_list(&lines).unwrap();
        set.push_setting(
            "raudit.kernel.backlog_wait_time",
            StatusSetting::BacklogWaitTime(12345),
        );
        let settings: Vec<_> = set.status_settings().collect();
        assert_eq!(settings.len(), 3);
        let (entry, setting) = settings[2];
        assert_eq!(setting, StatusSetting::BacklogWaitTime(12345));
        assert_eq!(entry.text, "--backlog_wait_time 12345");
        assert_eq!(entry.origin.to_string(), "raudit.kernel.backlog_wait_time");
        // It compiles back to the same setting.
        let again = RuleSet::from_config_list(std::slice::from_ref(&entry.text)).unwrap();
        assert_eq!(again.status_settings().next().unwrap().1, setting);
    }
}

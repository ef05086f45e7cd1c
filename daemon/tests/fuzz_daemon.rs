//! The daemon's fuzz targets' bodies as stable tests (no nightly needed):
//! `config`, `rules`, `gelf`, `syslog` over their built-in seeds, a few
//! thousand deterministic mutations and random inputs, and proptest
//! inputs shaped like each target's. The bodies and their invariants are
//! in `fuzz/src/daemon_targets.rs`; see `fuzz/README.md`.

#[path = "../../fuzz/src/assembler_check.rs"]
mod assembler_check;
#[path = "../../fuzz/src/core_targets.rs"]
mod core_targets;
#[path = "../../fuzz/src/daemon_targets.rs"]
mod daemon_targets;
#[path = "../../fuzz/src/encode_check.rs"]
mod encode_check;
#[path = "../../fuzz/src/harness.rs"]
mod harness;
#[path = "../../fuzz/src/shape_check.rs"]
mod shape_check;

use proptest::prelude::*;

use harness::run;

#[test]
fn config() {
    run(
        daemon_targets::config,
        &daemon_targets::seeds("config"),
        1000,
        0x5eed_0101,
    );
}

/// The oracle takes every config the loader takes: one whose only output
/// is OTLP is a config (`output.otlp` counts as an output), not a crash.
#[test]
fn config_oracle_takes_an_otlp_only_config() {
    daemon_targets::config(b"output:\n  otlp: {enabled: true}\nrules: ['-e 1']\n");
}

#[test]
fn rules() {
    run(
        daemon_targets::rules,
        &daemon_targets::seeds("rules"),
        5000,
        0x5eed_0102,
    );
}

#[test]
fn gelf() {
    run(
        daemon_targets::gelf,
        &daemon_targets::seeds("gelf"),
        300,
        0x5eed_0103,
    );
}

#[test]
fn syslog() {
    run(
        daemon_targets::syslog,
        &daemon_targets::seeds("syslog"),
        5000,
        0x5eed_0104,
    );
}

/// Words auditctl lines are made of, for proptest's rule lines.
const RULE_WORDS: &[&str] = &[
    "-a",
    "-A",
    "-d",
    "-w",
    "-W",
    "-p",
    "-k",
    "-F",
    "-S",
    "-C",
    "-e",
    "-f",
    "-b",
    "-r",
    "-D",
    "always,exit",
    "exit,always",
    "never,exit",
    "always,exclude",
    "always,user",
    "always,io_uring",
    "arch=b64",
    "arch=b32",
    "auid>=1000",
    "auid!=-1",
    "uid=0",
    "exit=-EACCES",
    "success=0",
    "execve",
    "openat",
    "all",
    "11",
    "msgtype=CWD",
    "path=/etc/x",
    "dir=/home",
    "perm=wa",
    "key=k",
    "a0=0x10",
    "pid=42",
    "rwxa",
    "/etc/passwd",
    "0",
    "1",
    "2",
    "8192",
    "uid!=euid",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rule_lines_from_auditctl_words(words in prop::collection::vec(0..RULE_WORDS.len(), 1..12), aarch64: bool) {
        let line: Vec<&str> = words.iter().map(|&i| RULE_WORDS[i]).collect();
        let mut input = vec![u8::from(aarch64)];
        input.extend_from_slice(line.join(" ").as_bytes());
        daemon_targets::rules(&input);
    }

    #[test]
    fn config_texts_with_edited_keys(key in "[a-z_]{1,12}", value in "[ -~]{0,12}", section in 0usize..4) {
        let sections = ["", "output:\n  stdout:\n    ", "raudit:\n  queue:\n    ", "events:\n  "];
        let text = format!(
            "output:\n  stdout:\n    enabled: true\nrules: ['-e 1']\n{}{key}: {value}\n",
            sections[section]
        );
        daemon_targets::config(text.as_bytes());
    }

    #[test]
    fn gelf_lines(control: u8, line in prop::collection::vec(any::<u8>(), 0..3000)) {
        let mut input = vec![control];
        input.extend_from_slice(&line);
        daemon_targets::gelf(&input);
    }

    #[test]
    fn syslog_events(tag in "\\PC{0,20}", host in "\\PC{0,20}", line in "\\PC{0,200}") {
        let input = format!("{tag}\0{host}\0{line}");
        daemon_targets::syslog(input.as_bytes());
    }
}

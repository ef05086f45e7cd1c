//! `raudit generate` through the built binary.

#[macro_use]
#[path = "../../tests/skip.rs"]
mod skips;

use std::process::{Command, Stdio};

/// A completion script that cannot be written (standard output full or
/// closed) is an error said in words with exit status 1, not a panic of
/// the completion generator (exit 101 and a backtrace).
#[test]
fn completions_to_a_full_standard_output_fail_in_words() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        skip!("SKIPPED: no /dev/full");
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_raudit"))
        .args(["generate", "completions", "bash"])
        .stdout(Stdio::from(full))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.starts_with("raudit: generate: standard output: "),
        "{stderr}"
    );
}

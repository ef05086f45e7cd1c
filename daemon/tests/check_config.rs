//! `raudit check-config FILE` through the built binary: a good file prints
//! a summary and exits 0; a bad one prints every problem as
//! `FILE:LINE: key.path: message` and exits non-zero.

use std::path::PathBuf;
use std::process::{Command, Output};

fn check(name: &str, text: &str) -> (Output, String) {
    let dir = std::env::temp_dir().join(format!("raudit-check-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_raudit"))
        .arg("check-config")
        .arg(&path)
        .output()
        .unwrap();
    let shown = path.display().to_string();
    let _ = std::fs::remove_dir_all(&dir);
    (out, shown)
}

#[test]
fn the_example_is_valid() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../contrib/raudit.yaml.example");
    let out = Command::new(env!("CARGO_BIN_EXE_raudit"))
        .arg("check-config")
        .arg(&example)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.ends_with(
            ": ok: mode daemon; outputs: stdout; 3 rules; 0 filters; events 1300..=1399\n"
        ),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1);
}

#[test]
fn every_problem_one_per_line() {
    let text = "\
output:
  file:
    enabled: true
    pathh: /tmp/x
    mode: 0800
events:
  min: 1400
  max: 1300
filters:
  - {message_type: 1306, regex: '(unclosed'}
rules: ['-e 1']
";
    let (out, path) = check("bad.yaml", text);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let expected = [
        format!("{path}:3: output.file.path: required when output.file is enabled"),
        format!("{path}:4: output.file.pathh: unknown key; expected one of path, mode, user, group, enabled, attempts, max_bytes, keep"),
        format!("{path}:5: output.file.mode: expected a file mode from 01 to 07777 (octal, as 0600), found \"0800\" (a leading 0 means octal, as in go-audit)"),
        format!("{path}:7: events: min (1400) is greater than max (1300): no event would be captured"),
        format!("{path}:10: filters[0].regex: invalid regex \"(unclosed\": unclosed group"),
    ];
    assert_eq!(lines, expected);
}

#[test]
fn a_missing_file_is_reported() {
    let out = Command::new(env!("CARGO_BIN_EXE_raudit"))
        .args(["check-config", "/nonexistent/raudit.yaml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("/nonexistent/raudit.yaml: cannot read:"),
        "{stderr}"
    );
}

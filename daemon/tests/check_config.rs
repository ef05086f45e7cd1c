//! `raudit check-config FILE` through the built binary: a good file prints
//! a summary and exits 0; a bad one prints every problem as
//! `FILE:LINE: key.path: message` and exits non-zero.

#[path = "../../tests/scratch_dir.rs"]
mod scratch_dir;

use std::path::PathBuf;
use std::process::{Command, Output};

use scratch_dir::ScratchDir;

fn check(name: &str, text: &str) -> (Output, String) {
    let dir = ScratchDir::new("check-config");
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_raudit"))
        .arg("check-config")
        .arg(&path)
        .output()
        .unwrap();
    let shown = path.display().to_string();
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
        format!("{path}:4: output.file.pathh: unknown key; did you mean `path`? expected one of path, mode, user, group, enabled, attempts, max_bytes, keep"),
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

#[test]
fn rules_the_daemon_would_refuse_and_a_missing_directory_are_all_listed() {
    let text = "\
output:
  file:
    enabled: true
    path: /nonexistent/raudit-dir/audit.log
rules:
  - -a always,exit -F arch=b64 -S execv
  - -a always,exit -F uidd=0 -S execve
  - -e 1
";
    let (out, path) = check("rules.yaml", text);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let expected = [
        format!("{path}:6: rules[0]: `-a always,exit -F arch=b64 -S execv`: word `execv` (column 31): expected syscall names or numbers of x86_64 (`execv` is not one)"),
        format!("{path}:7: rules[1]: `-a always,exit -F uidd=0 -S execve`: word `uidd=0` (column 19): expected a known field name (`uidd` is not one)"),
        format!("{path}: output.file.path: directory /nonexistent/raudit-dir does not exist (raudit creates the file, not its directory)"),
    ];
    assert_eq!(lines, expected);
}

#[test]
fn the_daemon_refuses_what_check_config_refuses_with_the_same_words() {
    let text = "output:\n  stdout:\n    enabled: true\nrules:\n  - -a always,exit -S execv\n";
    let (checked, _) = check("same.yaml", text);
    let dir = ScratchDir::new("check-same");
    let path = dir.join("same.yaml");
    std::fs::write(&path, text).unwrap();
    // The daemon stops at the config, before any socket.
    let started = Command::new(env!("CARGO_BIN_EXE_raudit"))
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    assert!(!checked.status.success() && !started.status.success());
    let said = |o: &Output| {
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .map(|l| {
                l.rsplit_once("same.yaml")
                    .map_or(l, |(_, rest)| rest)
                    .to_owned()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(said(&checked), said(&started));
    assert!(
        said(&checked)[0].contains("word `execv`"),
        "{:?}",
        said(&checked)
    );
}

#[test]
fn go_audit_s_own_example_shape_passes_with_a_warning_for_canary() {
    // The shape of go-audit's examples/go-audit/go-audit.yaml (written here,
    // not copied): a top-level key go-audit ignores, a syslog output, rules
    // without arch, and a filter.
    let text = "\
# /etc/go-audit.yaml

canary: true

output:
  syslog:
    attempts: 15
    enabled: true
    network: unix
    address: /nonexistent/go-audit.sock
    priority: 132
    tag: go-audit

message_tracking:
  enabled: true
  log_out_of_order: false
  max_out_of_order: 500

rules:
  - -b 1024
  - -w /proc/net/netlink -p war -k netlink-file
  - -a exit,always -S connect
  - -a exit,always -F arch=b64 -F auid!=-1 -S execve -k user_commands
  - -a always,exit -F arch=b64 -S open -S openat -F exit=-EACCES -k access

filters:
  - syscall: 42
    message_type: 1306
    regex: saddr=(0200....7F|01)
";
    let (out, path) = check("go-audit.yaml", text);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}");
    let warnings: Vec<&str> = stderr.lines().collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(warnings[0].starts_with(&format!("{path}:3: canary: warning: unknown key;")));
    assert!(warnings[0].ends_with("; ignored, as go-audit does"));
    assert!(warnings[1].starts_with(&format!(
        "{path}: output.syslog.address: warning: /nonexistent/go-audit.sock does not exist"
    )));
    assert!(stdout.ends_with(": ok: mode daemon; outputs: syslog /nonexistent/go-audit.sock; 5 rules; 1 filters; events 1300..=1399\n"), "{stdout}");
}

#[test]
fn a_byte_order_mark_does_not_make_the_first_key_unknown() {
    let text = "\u{feff}output:\n  stdout:\n    enabled: true\nrules: ['-e 1']\n";
    let (out, _) = check("bom.yaml", text);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `raudit.rules.files` in readlog mode is one problem among the others,
/// at its line, as `rules` in readlog mode is: it hid every other problem
/// (here the output file's missing directory) until it was fixed.
#[test]
fn rules_files_in_readlog_mode_is_listed_with_the_other_problems() {
    let text = "\
output:
  file: {enabled: true, path: /nonexistent/raudit-dir/audit.log}
raudit:
  mode: readlog
  rules:
    files: [/etc/audit/rules.d/*.rules]
";
    let (out, path) = check("readlog-files.yaml", text);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let expected = [
        format!("{path}:6: raudit.rules.files: raudit.mode is readlog, which loads no rules; remove them or use mode daemon"),
        format!("{path}: output.file.path: directory /nonexistent/raudit-dir does not exist (raudit creates the file, not its directory)"),
    ];
    assert_eq!(lines, expected);
}

/// The commands that only print end quietly when their reader goes
/// (`| head`, a closed pipe), as any Unix tool does, instead of
/// panicking with a backtrace on the closed pipe.
#[test]
fn printing_commands_end_quietly_on_a_closed_pipe() {
    let dir = ScratchDir::new("closed-pipe");
    let rules = dir.join("a.rules");
    std::fs::write(
        &rules,
        "-a always,exit -F arch=b64 -S execve -k k\n".repeat(200),
    )
    .unwrap();
    let config = dir.join("c.yaml");
    std::fs::write(&config, "output:\n  stdout:\n    enabled: true\n").unwrap();
    let rules = rules.to_str().unwrap();
    let config = config.to_str().unwrap();
    for args in [
        &["rules", "compile", rules][..],
        &["rules", "check", rules][..],
        &["check-config", config][..],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_raudit"))
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
    }
}

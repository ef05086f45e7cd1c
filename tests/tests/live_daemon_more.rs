//! More live tests of the running daemon (root only; skipped with a reason
//! otherwise): rule drift, the audit pid and takeover, the stats file,
//! go-audit filters and container ids. Each holds `/run/raudit-live.lock`
//! and the guard that puts the kernel's rules and status back on drop;
//! every process started here is a `Child` ended by its pid. Each test
//! runs in a few seconds.

mod daemon_common;
#[path = "../../daemon/tests/rules_common/mod.rs"]
mod rules_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use daemon_common::{
    events_with, probe_program, raudit_binary, run_probe, scratch, wait_for, which, write_config,
    Daemon,
};

/// A file output at `log` plus `extra` YAML (top-level keys).
fn file_config(dir: &Path, log: &Path, rules: &[&str], extra: &str) -> PathBuf {
    let mut yaml = format!(
        "output:\n  file:\n    enabled: true\n    path: {}\nrules:\n",
        log.display()
    );
    for rule in rules {
        yaml.push_str(&format!("  - {rule}\n"));
    }
    yaml.push_str(extra);
    write_config(dir, &yaml)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The `raudit` objects of the drift records in `text`.
fn drift_records(text: &str) -> Vec<serde_json::Value> {
    events_with(text, "\"report\":\"drift\"")
        .into_iter()
        .map(|e| {
            assert_eq!(e["sequence"], 0);
            assert!(e["messages"].as_array().unwrap().is_empty());
            e["raudit"].clone()
        })
        .collect()
}

/// The value of `name=` in the last stats line on `stderr`.
fn last_stat(stderr: &str, name: &str) -> Option<u64> {
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.contains("raudit stats ("))?;
    let key = format!(" {name}=");
    let at = line.find(&key)? + key.len();
    line[at..].split(' ').next()?.parse().ok()
}

fn auditctl(args: &[&str]) -> String {
    let out = Command::new("auditctl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "auditctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn audit_pid() -> u32 {
    let status = auditctl(&["-s"]);
    status
        .lines()
        .find_map(|l| l.strip_prefix("pid "))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(0)
}

const EXECVE: &str = "-a always,exit -F arch=b64 -S execve";
const WATCHED: &str = "-a always,exit -F arch=b64 -S sethostname -k raudit-drift";
const DRIFT_FAST: &str =
    "raudit:\n  stats:\n    interval: 500ms\n  rules:\n    drift_interval: 300ms\n";

#[test]
fn drift_deleted_and_added_rules_are_reported_once_each() {
    let Some(_guard) = rules_common::live() else {
        return;
    };
    let dir = scratch("drift");
    let log = dir.join("audit.log");
    let config = file_config(&dir, &log, &[EXECVE, WATCHED, "-e 1"], DRIFT_FAST);
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();

    auditctl(&[
        "-d",
        "always,exit",
        "-F",
        "arch=b64",
        "-S",
        "sethostname",
        "-k",
        "raudit-drift",
    ]);
    wait_for("the drift record", || {
        !drift_records(&read(&log)).is_empty()
    });
    let records = drift_records(&read(&log));
    assert_eq!(records.len(), 1, "{records:?}");
    let changes = records[0]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    let change = changes[0].as_str().unwrap();
    assert!(change.starts_with("rule missing: "), "{change}");
    assert!(change.contains("sethostname"), "{change}");
    assert_eq!(records[0]["restored"], false);
    assert!(
        daemon
            .stderr()
            .contains("audit configuration changed: rule missing"),
        "{}",
        daemon.stderr()
    );

    // The same state at the next checks is not news.
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(drift_records(&read(&log)).len(), 1);

    auditctl(&["-a", "always,exit", "-F", "arch=b64", "-S", "setdomainname"]);
    wait_for("the second drift record", || {
        drift_records(&read(&log)).len() >= 2
    });
    let second = &drift_records(&read(&log))[1];
    let changes: Vec<&str> = second["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        changes
            .iter()
            .any(|c| c.starts_with("rule added: ") && c.contains("setdomainname")),
        "{changes:?}"
    );
    assert!(
        changes.iter().any(|c| c.starts_with("rule missing: ")),
        "{changes:?}"
    );

    assert!(daemon.stop().success(), "{}", daemon.stderr());
    let stderr = daemon.stderr();
    assert_eq!(last_stat(&stderr, "drift_detected"), Some(2), "{stderr}");
    assert_eq!(last_stat(&stderr, "drift_restores"), Some(0), "{stderr}");
    assert!(last_stat(&stderr, "drift_checks").unwrap() >= 3, "{stderr}");
    // The configured rules stayed as the test left them (no restore).
    assert!(!auditctl(&["-l"]).contains("sethostname"));
}

#[test]
fn drift_restore_puts_the_rules_and_status_back() {
    let Some(_guard) = rules_common::live() else {
        return;
    };
    let dir = scratch("drift-restore");
    let log = dir.join("audit.log");
    let config = file_config(
        &dir,
        &log,
        &[EXECVE, WATCHED, "-e 1"],
        &format!("{DRIFT_FAST}    drift_restore: true\n"),
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();

    auditctl(&[
        "-d",
        "always,exit",
        "-F",
        "arch=b64",
        "-S",
        "sethostname",
        "-k",
        "raudit-drift",
    ]);
    auditctl(&["-e", "0"]);
    wait_for("the drift record", || {
        !drift_records(&read(&log)).is_empty()
    });
    let record = &drift_records(&read(&log))[0];
    assert_eq!(record["restored"], true, "{record}");
    let changes = record["changes"].to_string();
    assert!(changes.contains("enabled is 0, configured 1"), "{changes}");
    assert!(changes.contains("rule missing: "), "{changes}");

    let rules = auditctl(&["-l"]);
    assert!(rules.contains("sethostname"), "{rules}");
    assert!(
        rules.contains(&format!("pid={}", daemon.child.id())),
        "{rules}"
    );
    assert!(auditctl(&["-s"]).contains("enabled 1"));
    // Restored: the next checks find nothing new.
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(drift_records(&read(&log)).len(), 1);
    assert!(daemon.stop().success(), "{}", daemon.stderr());
    let stderr = daemon.stderr();
    assert!(stderr.contains("drift restored"), "{stderr}");
    assert_eq!(last_stat(&stderr, "drift_detected"), Some(1), "{stderr}");
    assert_eq!(last_stat(&stderr, "drift_restores"), Some(1), "{stderr}");
}

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
    events_with, last_stat, probe_program, raudit_binary, run_probe, scratch, wait_for, which,
    write_config, Daemon,
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
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn drift_deleted_and_added_rules_are_reported_once_each() {
    let _guard = rules_common::live();
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
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn drift_restore_puts_the_rules_and_status_back() {
    let _guard = rules_common::live();
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

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn the_configured_backlog_wait_time_is_set_watched_and_restored() {
    let _guard = rules_common::live();
    let dir = scratch("drift-wait");
    let log = dir.join("audit.log");
    let config = file_config(
        &dir,
        &log,
        &[EXECVE, "-e 1"],
        &format!("{DRIFT_FAST}    drift_restore: true\n  kernel:\n    backlog_wait_time: 12345\n"),
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    assert!(auditctl(&["-s"]).contains("backlog_wait_time 12345\n"));

    auditctl(&["--backlog_wait_time", "15000"]);
    wait_for("the drift record", || {
        !drift_records(&read(&log)).is_empty()
    });
    let record = &drift_records(&read(&log))[0];
    assert_eq!(record["restored"], true, "{record}");
    let changes = record["changes"].to_string();
    assert!(
        changes.contains("backlog_wait_time is 15000, configured 12345"),
        "{changes}"
    );
    assert!(auditctl(&["-s"]).contains("backlog_wait_time 12345\n"));
    assert!(daemon.stop().success(), "{}", daemon.stderr());
}

/// A process started here, ended by its pid when dropped.
struct Held(std::process::Child);

impl Held {
    fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Waits up to `limit` for the exit.
    fn exited_within(&mut self, limit: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(_)) = self.0.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            // SAFETY: kill on the pid of a child we spawned and still own.
            unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM) };
            if !self.exited_within(Duration::from_secs(3)) {
                let _ = self.0.kill();
            }
            let _ = self.0.wait();
        }
    }
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn a_claim_on_the_pid_while_raudit_runs_is_refused_and_changes_nothing() {
    let guard = rules_common::live();
    let mut daemon = Daemon::start(&[]);
    daemon.wait_started();
    let raudit = daemon.child.id();
    assert_eq!(audit_pid(), raudit);
    // The kernel refuses to replace a healthy audit daemon (EEXIST): the
    // pid cannot be taken from a running raudit, whose socket answers the
    // kernel's AUDIT_REPLACE probe.
    let refused = guard.control.set_pid(std::process::id());
    assert_eq!(
        refused.as_ref().err().and_then(|e| e.errno()),
        Some(libc::EEXIST),
        "{refused:?}"
    );
    // Past one status poll: raudit saw nothing to reclaim.
    std::thread::sleep(Duration::from_millis(2300));
    assert_eq!(audit_pid(), raudit);
    assert!(daemon.stop().success());
    let stderr = daemon.stderr();
    assert!(!stderr.contains("was taken"), "{stderr}");
    assert!(!stderr.contains("reclaiming"), "{stderr}");
    assert!(stderr.contains("audit pid released"), "{stderr}");
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
#[cfg_attr(raudit_no_auditd, ignore = "auditd is not installed")]
fn takeover_terminates_a_live_auditd_and_without_it_raudit_refuses() {
    let _guard = rules_common::live();
    let auditd = which("auditd").expect("auditd is installed (raudit_no_auditd)");
    let dir = scratch("takeover");
    let mut holder = Held(
        Command::new(auditd)
            .args(["-n", "-s", "nochange"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let holder_pid = holder.pid();
    wait_for("auditd to claim the pid", || audit_pid() == holder_pid);

    let refused = Command::new(raudit_binary())
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{message}");
    assert!(
        message.contains(&format!("held by process {holder_pid} (auditd)")),
        "{message}"
    );
    assert!(message.contains("raudit.takeover"), "{message}");
    assert_eq!(audit_pid(), holder_pid, "the refusal left auditd alone");

    let config = write_config(
        &dir,
        &format!("output:\n  stdout:\n    enabled: true\nrules:\n  - {EXECVE}\n  - -e 1\nraudit:\n  takeover: true\n"),
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    assert!(
        holder.exited_within(Duration::from_secs(5)),
        "auditd still runs"
    );
    assert_eq!(audit_pid(), daemon.child.id());
    assert!(daemon.stop().success());
    let stderr = daemon.stderr();
    assert!(
        stderr.contains(&format!(
            "taking the audit pid over from process {holder_pid} (auditd)"
        )),
        "{stderr}"
    );
    assert_eq!(audit_pid(), 0, "released at exit");
}

/// Claims the audit pid over its own netlink socket (AUDIT_SET, pid) and
/// exits without letting go; prints its pid.
const CLAIM_AND_DIE: &str = r#"
import os, socket, struct
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
s.bind((0, 0))
body = struct.pack("=11I", 4, 0, 0, os.getpid(), 0, 0, 0, 0, 0, 0, 0)
s.send(struct.pack("=IHHII", 16 + len(body), 1001, 5, 1, 0) + body)
reply = s.recv(8192)
assert struct.unpack_from("=H", reply, 4)[0] == 2, reply
assert struct.unpack_from("=i", reply, 16)[0] == 0, reply
print(os.getpid())
"#;

/// A process with the number `pid` (free now): the kernel's last pid set
/// just below it, then a child; a few tries, as another process may take
/// the number first.
fn process_numbered(pid: u32) -> Held {
    for _ in 0..20 {
        std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string()).unwrap();
        let child = Held(Command::new("sleep").arg("60").spawn().unwrap());
        if child.pid() == pid {
            return child;
        }
    }
    panic!("no process could be started with pid {pid}");
}

/// The kernel keeps a dead daemon's pid until it next fails to send to
/// it; another process may have that number by then. With `takeover`,
/// raudit must not signal that process (it asks the kernel first, which
/// tests the dead daemon's socket and lets the pid go), and without it
/// the stale pid must not stop raudit's start.
#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn a_dead_daemons_pid_taken_by_another_process_is_neither_signalled_nor_an_obstacle() {
    let _guard = rules_common::live();
    let dir = scratch("stale-pid");
    for takeover in [true, false] {
        // Auditing off, as the guard found it here: a record the kernel
        // sent (the claim's CONFIG_CHANGE) would find the dead socket
        // and make it forget the pid.
        auditctl(&["-e", "0"]);
        let claimed = Command::new("python3")
            .args(["-c", CLAIM_AND_DIE])
            .output()
            .unwrap();
        assert!(claimed.status.success(), "{claimed:?}");
        let stale: u32 = String::from_utf8_lossy(&claimed.stdout)
            .trim()
            .parse()
            .unwrap();
        assert_eq!(audit_pid(), stale, "the kernel keeps the dead daemon's pid");
        let mut reused = process_numbered(stale);
        assert_eq!(audit_pid(), stale, "the kernel still names the dead daemon");
        let config = write_config(
            &dir,
            &format!("output:\n  stdout:\n    enabled: true\nrules:\n  - {EXECVE}\n  - -e 1\nraudit:\n  takeover: {takeover}\n"),
        );
        let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
        daemon.wait_started();
        assert_eq!(audit_pid(), daemon.child.id());
        assert!(
            !reused.exited_within(Duration::from_millis(300)),
            "pid {stale}, not the audit daemon, was signalled (takeover: {takeover})"
        );
        assert!(daemon.stop().success());
        let stderr = daemon.stderr();
        assert!(!stderr.contains("taking the audit pid over"), "{stderr}");
    }
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn stats_file_is_rewritten_with_the_counters() {
    let _guard = rules_common::live();
    let dir = scratch("stats-file");
    let log = dir.join("audit.log");
    let stats = dir.join("stats.json");
    let program = probe_program(&dir, "stats");
    let config = file_config(
        &dir,
        &log,
        &[EXECVE, "-e 1"],
        &format!(
            "raudit:\n  stats:\n    interval: 300ms\n    file: {}\n",
            stats.display()
        ),
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    run_probe(&program, "stats-1-end");
    let parsed = || serde_json::from_str::<serde_json::Value>(&read(&stats)).ok();
    wait_for("a stats file counting the probe", || {
        parsed().is_some_and(|s| {
            s["events"].as_u64() >= Some(1) && s["outputs"]["file"]["sent"].as_u64() >= Some(1)
        })
    });
    let report = parsed().unwrap();
    for key in [
        "records",
        "events",
        "kernel_lost",
        "kernel_backlog",
        "enobufs",
        "missed_serials",
        "evicted",
        "truncated_events",
        "queue_drops",
        "filter_drops",
        "output_errors",
        "drift_checks",
        "drift_detected",
    ] {
        assert!(report[key].is_u64(), "{key} missing: {report}");
    }
    assert!(report["records"].as_u64().unwrap() >= report["events"].as_u64().unwrap());
    assert!(!dir.join("stats.json.tmp").exists(), "renamed into place");
    assert!(daemon.stop().success());
    assert!(!events_with(&read(&log), "stats-1-end").is_empty());
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn go_audit_filters_drop_the_matching_execve_only() {
    let _guard = rules_common::live();
    let dir = scratch("filters");
    let log = dir.join("audit.log");
    let program = probe_program(&dir, "filters");
    let config = file_config(
        &dir,
        &log,
        &[EXECVE, "-e 1"],
        "filters:\n  - syscall: 59\n    message_type: 1309\n    regex: drop-5e2a\n",
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    run_probe(&program, "drop-5e2a");
    run_probe(&program, "keep-5e2a");
    wait_for("the kept event", || {
        !events_with(&read(&log), "keep-5e2a").is_empty()
    });
    assert!(daemon.stop().success());
    let text = read(&log);
    assert!(
        events_with(&text, "drop-5e2a").is_empty(),
        "the filtered event was written"
    );
    assert_eq!(events_with(&text, "keep-5e2a").len(), 1);
    assert_eq!(last_stat(&daemon.stderr(), "filter_drops"), Some(1));
}

/// A cgroup v2 directory named like a container's, removed on drop.
struct Cgroup(PathBuf);

impl Drop for Cgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
#[cfg_attr(raudit_no_cgroup2, ignore = "no cgroup v2 hierarchy")]
fn container_ids_come_from_the_process_cgroup() {
    let _guard = rules_common::live();
    const ID: &str = "5ac0ffee5ac0ffee5ac0ffee5ac0ffee5ac0ffee5ac0ffee5ac0ffee5ac0ffee";
    // The cgroup v2 hierarchy: /sys/fs/cgroup itself, or hybrid's unified/.
    let root = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.join("cgroup.procs").exists() && p.join("cgroup.subtree_control").exists());
    let root = root.expect("a cgroup v2 hierarchy (raudit_no_cgroup2)");
    let cgroup = Cgroup(root.join(format!("docker-{ID}.scope")));
    std::fs::create_dir(&cgroup.0)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", cgroup.0.display()));
    let dir = scratch("containers");
    let log = dir.join("audit.log");
    // A copy of sleep, so the process is still there when raudit reads
    // its /proc/PID/cgroup.
    let program = dir.join(format!("raudit-probe-ctr-{}", std::process::id()));
    std::fs::copy("/bin/sleep", &program).unwrap();
    let config = file_config(
        &dir,
        &log,
        &[EXECVE, "-e 1"],
        "extras:\n  containers:\n    enabled: true\n",
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    let script = format!(
        "echo $$ > {}/cgroup.procs && exec {} 0.5",
        cgroup.0.display(),
        program.display()
    );
    let inside = Command::new("sh").args(["-c", &script]).status().unwrap();
    assert!(inside.success(), "moving into the cgroup failed");
    // The same program outside any container.
    let outside = Command::new(&program).arg("0.2").status().unwrap();
    assert!(outside.success());
    let name = program.file_name().unwrap().to_str().unwrap().to_owned();
    // Told apart by sleep's argument in the EXECVE record, as a whole field
    // (a substring of the whole event can match a timestamp; the shell's
    // own exec names the program too).
    let with_argument = |events: &[serde_json::Value], arg: &str| -> Vec<serde_json::Value> {
        let field = format!("argc=2 a0=\"{}\" a1=\"{arg}\"", program.display());
        events
            .iter()
            .filter(|e| {
                e["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m["type"] == 1309 && m["data"] == field.as_str())
            })
            .cloned()
            .collect()
    };
    wait_for("both events", || {
        let events = events_with(&read(&log), &name);
        !with_argument(&events, "0.5").is_empty() && !with_argument(&events, "0.2").is_empty()
    });
    assert!(daemon.stop().success());
    let events = events_with(&read(&log), &name);
    let syscall_of = |event: &serde_json::Value| {
        event["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["type"] == 1300)
            .cloned()
            .unwrap()
    };
    let one = |arg: &str| {
        let found = with_argument(&events, arg);
        assert_eq!(found.len(), 1, "events of sleep {arg}: {found:?}");
        found.into_iter().next().unwrap()
    };
    let inside = one("0.5");
    assert_eq!(syscall_of(&inside)["containers"]["id"], ID, "{inside}");
    let outside = one("0.2");
    assert!(
        syscall_of(&outside).get("containers").is_none(),
        "{outside}"
    );
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn log_flags_prefix_every_stderr_line_with_go_s_date_and_time() {
    let _guard = rules_common::live();
    let dir = scratch("log-flags");
    let log = dir.join("audit.log");
    // Ldate | Ltime | Lmicroseconds | LUTC
    let config = file_config(&dir, &log, &[EXECVE], "log:\n  flags: 39\n");
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    assert!(daemon.stop().success());
    let stderr = daemon.stderr();
    let shape = regex::Regex::new(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6} raudit").unwrap();
    assert!(stderr.lines().count() >= 4, "{stderr}");
    for line in stderr.lines() {
        assert!(shape.is_match(line), "no go log prefix: {line}");
    }
}

//! Live tests of raudit as a security boundary (issue 10): only the
//! kernel's datagrams are read, no exemption outlives its process, no
//! unaudited window at restart, loss across a restart is reported, a
//! refused second instance touches nothing, silence is explained. Root
//! only (skipped with a reason otherwise); each test holds
//! `/run/raudit-live.lock` and puts the kernel's rules and status back.

#[macro_use]
#[path = "../skip.rs"]
mod skips;

mod daemon_common;
#[path = "../../daemon/tests/rules_common/mod.rs"]
mod rules_common;

use std::path::Path;
use std::process::Command;

use daemon_common::{events_with, last_stat, scratch, wait_for, write_config, Daemon};
use raudit::netlink::AuditStatus;

/// The port ids of `pid`'s NETLINK_AUDIT sockets (`/proc/net/netlink`
/// rows whose inode is one of the process's socket fds).
fn audit_ports(pid: u32) -> Vec<u32> {
    let mut inodes = Vec::new();
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
    {
        if let Ok(link) = std::fs::read_link(fd.path()) {
            let link = link.to_string_lossy().into_owned();
            if let Some(inode) = link
                .strip_prefix("socket:[")
                .and_then(|s| s.strip_suffix(']'))
            {
                inodes.push(inode.to_owned());
            }
        }
    }
    let table = std::fs::read_to_string("/proc/net/netlink").unwrap();
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
            (cols.len() >= 10 && cols[1] == "9" && inodes.iter().any(|i| i == cols[9]))
                .then(|| cols[2].parse().unwrap())
        })
        .collect()
}

/// The forger: a process with CAP_NET_ADMIN only (uid nobody) sending a
/// SYSCALL and an EOE record, as the kernel frames them, to `port`. Its
/// comm is the tag reversed, so the forger's own (audited) argv does not
/// contain it. It prints `sent`, or `refused` when the kernel refused the
/// first datagram (`ECONNREFUSED`: the socket takes the kernel's only).
const FORGER: &str = r#"
import socket, struct, sys
port, tag = int(sys.argv[1]), sys.argv[2][::-1]
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
s.bind((0, 0))
def send(msg_type, body):
    payload = body.encode()
    s.sendto(struct.pack("=IHHII", 16 + len(payload), msg_type, 0, 0, 0) + payload, (port, 0))
stamp = "audit(1700000000.000:987654):"
try:
    send(1300, stamp + ' arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=1 auid=0 uid=0 comm="' + tag + '" exe="/usr/bin/' + tag + '"')
except ConnectionRefusedError:
    print("refused")
    sys.exit(0)
send(1320, stamp)
print("sent")
"#;

/// What became of a forged event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Forged {
    /// Both datagrams were queued on the socket: raudit must drop them.
    Sent,
    /// The kernel refused them (the socket is connected to the kernel).
    Refused,
}

/// Sends one forged event (two datagrams) to `port` as uid 65534 with
/// only CAP_NET_ADMIN; None when setpriv or python3 is missing.
fn forge(port: u32, tag: &str) -> Option<Forged> {
    if !Path::new("/usr/bin/python3").exists() {
        skip!("SKIPPED: /usr/bin/python3 is missing (the forger); .ci/run installs it");
        return None;
    }
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=+net_admin",
            "--ambient-caps=+net_admin",
            "/usr/bin/python3", // not a shim in root's home, unreadable to nobody
            "-c",
            FORGER,
            &port.to_string(),
            tag,
        ])
        .output();
    match out {
        Ok(out) => {
            assert!(out.status.success(), "the forger failed: {out:?}");
            match String::from_utf8_lossy(&out.stdout).trim() {
                "sent" => Some(Forged::Sent),
                "refused" => Some(Forged::Refused),
                other => panic!("the forger said {other:?}: {out:?}"),
            }
        }
        Err(e) => {
            skip!("skipping: cannot run setpriv/python3: {e}");
            None
        }
    }
}

/// `top` goes at the top level of the config, `raudit` into its section.
/// Forges an event to each of the daemon's audit sockets: `refused` of
/// them (the unicast ones, connected to the kernel) must be refused by
/// the kernel, the rest (a read-log socket) reach raudit, which must drop
/// and count every datagram; none is ever written.
fn forged_datagrams_are_dropped_and_counted(top: &str, raudit: &str, name: &str, refused: usize) {
    let dir = scratch(name);
    let config = write_config(
        &dir,
        &format!(
            "output:\n  stdout:\n    enabled: true\n{top}raudit:\n{raudit}  stats:\n    interval: 1s\n"
        ),
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    let ports = audit_ports(daemon.child.id());
    assert!(ports.len() >= 2, "receive and control sockets: {ports:?}");
    let tag = format!("forged-{name}-{}", std::process::id());
    let mut outcomes = Vec::new();
    for port in &ports {
        let Some(forged) = forge(*port, &tag) else {
            return;
        };
        outcomes.push(forged);
    }
    let refused_by_kernel = outcomes.iter().filter(|&&f| f == Forged::Refused).count();
    assert_eq!(
        refused_by_kernel, refused,
        "sockets refusing forgeries (ports {ports:?}): {outcomes:?}"
    );
    let expected = 2 * (ports.len() - refused) as u64;
    if expected == 0 {
        // Nothing reached raudit: three stats lines later it counted none.
        let stats_lines = |d: &Daemon| d.stderr().matches("raudit stats").count();
        let seen = stats_lines(&daemon);
        wait_for("three more stats lines", || {
            stats_lines(&daemon) >= seen + 3
        });
        assert_eq!(last_stat(&daemon.stderr(), "spoofed"), Some(0));
        assert!(daemon.stop().success(), "{}", daemon.stderr());
        let stdout = daemon.stdout();
        let forged: String = tag.chars().rev().collect();
        assert!(!stdout.contains(&forged), "a forged event was written");
        assert!(
            !stdout.contains("\"sequence\":987654"),
            "a forged event was written"
        );
        assert!(
            !stdout.contains("\"report\":\"spoofed\""),
            "nothing was forged"
        );
        return;
    }
    // The control socket's datagrams are read at its next request (status
    // poll every 2 s); the stats come every second.
    wait_for("every forged datagram counted", || {
        last_stat(&daemon.stderr(), "spoofed") == Some(expected)
    });
    assert!(daemon.stop().success(), "{}", daemon.stderr());
    let stdout = daemon.stdout();
    let forged: String = tag.chars().rev().collect();
    let written: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(&forged) || l.contains("\"sequence\":987654"))
        .collect();
    assert!(
        written.is_empty(),
        "a forged event was written: {written:?}"
    );
    assert_eq!(last_stat(&daemon.stderr(), "spoofed"), Some(expected));
    let reports: Vec<serde_json::Value> = events_with(&stdout, "\"report\":\"spoofed\"");
    assert!(!reports.is_empty(), "no spoofed record in the stream");
    let reported: u64 = reports
        .iter()
        .map(|r| r["raudit"]["datagrams"].as_u64().unwrap())
        .sum();
    assert_eq!(reported, expected, "{reports:?}");
    let last = reports.last().unwrap();
    assert_eq!(last["raudit"]["spoofed_total"].as_u64(), Some(expected));
    assert!(last["raudit"]["sender_port"].as_u64().unwrap() > 0);
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn forged_datagrams_to_each_audit_socket_are_refused_by_the_kernel() {
    let _guard = rules_common::live();
    // Both sockets (receive and control) are unicast: connected to the
    // kernel, which refuses the forger's datagrams.
    forged_datagrams_are_dropped_and_counted(
        "rules:\n  - -a exit,always -F arch=b64 -S execve\n  - -e 1\n",
        "",
        "spoof-daemon",
        2,
    );
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn forged_datagrams_are_dropped_in_readlog_mode_too() {
    let _guard = rules_common::live();
    // The read-log socket (multicast) takes any sender's datagrams: raudit
    // drops and counts them; the control socket refuses them.
    forged_datagrams_are_dropped_and_counted("", "  mode: readlog\n", "spoof-readlog", 1);
}

/// `auditctl -l`, or None (with a note) when auditctl is missing.
fn kernel_rules() -> Option<String> {
    match Command::new("auditctl").arg("-l").output() {
        Ok(out) => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        Err(e) => {
            skip!("skipping: auditctl cannot run: {e}");
            None
        }
    }
}

const EXEC_RULES: &str = "rules:\n  - -a exit,always -F arch=b64 -S execve\n  - -a exit,always -F arch=b32 -S execve\n  - -e 1\n";

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn rules_load_leaves_no_exemption_behind() {
    let guard = rules_common::live();
    guard.clear_rules();
    let dir = scratch("load-no-pid");
    let file = dir.join("exec.rules");
    std::fs::write(&file, "-D\n-a always,exit -F arch=b64 -S execve -k exec\n").unwrap();
    let out = Command::new(daemon_common::raudit_binary())
        .args(["rules", "load", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let Some(rules) = kernel_rules() else { return };
    assert!(!rules.contains("pid="), "an exemption was left: {rules}");
    assert!(rules.contains("-S execve"), "{rules}");
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn a_killed_raudits_exemption_is_removed_by_the_next_start() {
    let _guard = rules_common::live();
    let dir = scratch("stale-pid");
    let config = write_config(
        &dir,
        &format!("output:\n  stdout:\n    enabled: true\n{EXEC_RULES}"),
    );
    let args = ["--config", config.to_str().unwrap()];
    let mut first = Daemon::start(&args);
    first.wait_started();
    let dead = first.child.id();
    first.child.kill().unwrap(); // SIGKILL: no chance to clean up
    first.child.wait().unwrap();
    let Some(rules) = kernel_rules() else { return };
    assert!(
        rules.contains(&format!("pid={dead}")),
        "the killed raudit's exemption should still be there: {rules}"
    );
    let mut second = Daemon::start(&args);
    second.wait_started();
    let rules = kernel_rules().unwrap();
    assert!(!rules.contains(&format!("pid={dead}")), "{rules}");
    assert!(
        second
            .stderr()
            .contains(&format!("removed the self-exclusion rule of pid {dead}")),
        "{}",
        second.stderr()
    );
    assert!(second.stop().success(), "{}", second.stderr());
    let rules = kernel_rules().unwrap();
    assert!(!rules.contains("pid="), "{rules}");
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn a_restart_with_unchanged_rules_touches_no_rule() {
    let _guard = rules_common::live();
    let dir = scratch("restart-same");
    let config = write_config(
        &dir,
        &format!("output:\n  stdout:\n    enabled: true\n{EXEC_RULES}"),
    );
    let args = ["--config", config.to_str().unwrap()];
    let mut first = Daemon::start(&args);
    first.wait_started();
    assert!(first.stop().success(), "{}", first.stderr());
    let before = kernel_rules().unwrap_or_default();
    let mut second = Daemon::start(&args);
    second.wait_started();
    let stderr = second.stderr();
    assert!(
        stderr.contains("rules applied: 1 added, 0 deleted, 2 kept, 0 setting(s) changed"),
        "only the self-exclusion rule is added: {stderr}"
    );
    // The kernel logs every rule change (CONFIG_CHANGE): none was removed,
    // and the only one added is the new self-exclusion rule (a lone
    // record: written at the assembler's 2 s timeout).
    wait_for("the CONFIG_CHANGE of the self-exclusion rule", || {
        second.stdout().contains("op=add_rule")
    });
    let stdout = second.stdout();
    for line in stdout.lines().filter(|l| l.contains("op=")) {
        assert!(!line.contains("op=remove_rule"), "{line}");
        if line.contains("op=add_rule") {
            assert!(line.contains("list=4"), "{line}");
        }
    }
    assert!(second.stop().success(), "{}", second.stderr());
    assert_eq!(kernel_rules().unwrap_or_default(), before);
}

/// Every file under `dir` with its mode.
fn listing(dir: &Path) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut files: Vec<(String, u32)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let mode = e.metadata().unwrap().permissions().mode() & 0o7777;
            (e.file_name().to_string_lossy().into_owned(), mode)
        })
        .collect();
    files.sort();
    files
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn a_refused_second_instance_touches_no_file() {
    let _guard = rules_common::live();
    let dir = scratch("second-instance");
    let log = dir.join("audit.log");
    let first_config = dir.join("first.yaml");
    let yaml = |mode: &str, stats: &str| {
        format!(
            "output:\n  file:\n    enabled: true\n    attempts: 1\n    path: {}\n    mode: {mode}\n{EXEC_RULES}raudit:\n  stats:\n    file: {}\n",
            log.display(),
            dir.join(stats).display()
        )
    };
    std::fs::write(&first_config, yaml("0600", "first.stats")).unwrap();
    let mut first = Daemon::start(&["--config", first_config.to_str().unwrap()]);
    first.wait_started();
    let second_config = dir.join("second.yaml");
    std::fs::write(&second_config, yaml("0644", "second.stats")).unwrap();
    let before = listing(&dir);
    assert!(
        before.contains(&("audit.log".to_owned(), 0o600)),
        "{before:?}"
    );
    let second = Command::new(daemon_common::raudit_binary())
        .args(["--config", second_config.to_str().unwrap()])
        .output()
        .unwrap();
    let message = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "{message}");
    assert!(
        message.contains(&format!("held by process {}", first.child.id())),
        "{message}"
    );
    assert_eq!(listing(&dir), before, "the refused instance changed files");
    assert!(first.stop().success(), "{}", first.stderr());
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn disabled_auditing_without_e_1_is_explained_at_start() {
    let guard = rules_common::live();
    guard
        .control
        .set_status(&AuditStatus::set_enabled(0))
        .expect("auditctl -e 0");
    let dir = scratch("disabled");
    let config = write_config(
        &dir,
        "output:\n  stdout:\n    enabled: true\nrules:\n  - -a exit,always -F arch=b64 -S execve\n",
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    let started = std::time::Instant::now();
    wait_for("the enabled 0 warning", || {
        daemon.stderr().contains("add \"-e 1\" to rules")
    });
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "the warning came late: {}",
        daemon.stderr()
    );
    assert!(daemon.stderr().contains("enabled 0"), "{}", daemon.stderr());
    assert!(daemon.stop().success(), "{}", daemon.stderr());

    // With "-e 1" in the rules the kernel is enabled and nothing is said.
    guard
        .control
        .set_status(&AuditStatus::set_enabled(0))
        .expect("auditctl -e 0");
    let config = write_config(
        &dir,
        &format!("output:\n  stdout:\n    enabled: true\n{EXEC_RULES}"),
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(daemon.stop().success(), "{}", daemon.stderr());
    assert!(
        !daemon.stderr().contains("-e 1\" to rules"),
        "{}",
        daemon.stderr()
    );

    // Enabled at start, disabled later behind raudit's back: the
    // supervisor's status poll says it.
    guard
        .control
        .set_status(&AuditStatus::set_enabled(1))
        .expect("auditctl -e 1");
    let config = write_config(
        &dir,
        "output:\n  stdout:\n    enabled: true\nrules:\n  - -a exit,always -F arch=b64 -S execve\n",
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        !daemon.stderr().contains("enabled 0"),
        "{}",
        daemon.stderr()
    );
    guard
        .control
        .set_status(&AuditStatus::set_enabled(0))
        .expect("auditctl -e 0");
    wait_for("the enabled 0 warning after start", || {
        daemon.stderr().contains("add \"-e 1\" to rules")
    });
    assert!(daemon.stop().success(), "{}", daemon.stderr());
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn takeover_from_a_running_raudit() {
    let _guard = rules_common::live();
    let dir = scratch("takeover");
    let config = write_config(
        &dir,
        &format!("output:\n  stdout:\n    enabled: true\n{EXEC_RULES}raudit:\n  takeover: true\n"),
    );
    let args = ["--config", config.to_str().unwrap()];
    let mut first = Daemon::start(&args);
    first.wait_started();
    let mut second = Daemon::start(&args);
    second.wait_started();
    let status = first.child.wait().unwrap();
    assert!(
        status.success(),
        "the first one stops cleanly: {}",
        first.stderr()
    );
    assert!(
        second
            .stderr()
            .contains(&format!("taking over from raudit pid {}", first.child.id())),
        "{}",
        second.stderr()
    );
    assert!(second.stop().success(), "{}", second.stderr());
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn raudit_status_prints_what_auditctl_s_prints() {
    let _guard = rules_common::live();
    let Ok(auditctl) = Command::new("auditctl").arg("-s").output() else {
        skip!("skipping: auditctl is not installed");
        return;
    };
    let ours = Command::new(daemon_common::raudit_binary())
        .arg("status")
        .output()
        .unwrap();
    assert!(ours.status.success());
    // The counters may move between the two reads.
    let steady = |text: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(text)
            .lines()
            .filter(|l| !l.starts_with("backlog ") && !l.starts_with("lost "))
            .map(str::to_owned)
            .collect()
    };
    let expected = steady(&auditctl.stdout);
    assert!(
        expected
            .iter()
            .any(|l| l.starts_with("loginuid_immutable ")),
        "{expected:?}"
    );
    assert_eq!(steady(&ours.stdout), expected);
}

/// Runs a copy of /bin/true `count` times from a shell, each with the
/// argument `--marker=TAG-i-end`.
fn exec_load(program: &Path, tag: &str, count: usize) -> std::process::Child {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "i=0; while [ $i -lt {count} ]; do {} --marker={tag}-$i-end; i=$((i+1)); done",
            program.display()
        ))
        .spawn()
        .unwrap()
}

/// Markers `TAG-i-end` (i < count) that appear in no line of `text`.
fn missing_markers(text: &str, tag: &str, count: usize) -> Vec<usize> {
    let mut seen = vec![false; count];
    let prefix = format!("--marker={tag}-");
    for line in text.lines() {
        let mut rest = line;
        while let Some(at) = rest.find(&prefix) {
            rest = &rest[at + prefix.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(i) = digits.parse::<usize>() {
                if i < count && rest[digits.len()..].starts_with("-end") {
                    seen[i] = true;
                }
            }
        }
    }
    (0..count).filter(|i| !seen[*i]).collect()
}

/// Restarts raudit (killed or stopped) in the middle of a load of execs,
/// then checks that every event of the load that is missing from the
/// output is counted by the second instance as missed across the restart.
fn restart_under_load(kill: bool, name: &str) {
    let dir = scratch(name);
    let log = dir.join("audit.log");
    let state = dir.join("state");
    let config = write_config(
        &dir,
        &format!(
            "output:\n  file:\n    enabled: true\n    attempts: 1\n    path: {}\n    mode: 0600\n{EXEC_RULES}raudit:\n  state_file: {}\n",
            log.display(),
            state.display()
        ),
    );
    let program = daemon_common::probe_program(&dir, name);
    let args = ["--config", config.to_str().unwrap()];
    const COUNT: usize = 800;
    let mut first = Daemon::start(&args);
    first.wait_started();
    let mut load = exec_load(&program, name, COUNT);
    wait_for("some of the load written", || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.matches("--marker=").count() >= 150)
    });
    if kill {
        first.child.kill().unwrap();
        first.child.wait().unwrap();
    } else {
        assert!(first.stop().success(), "{}", first.stderr());
    }
    let mut second = Daemon::start(&args);
    second.wait_started();
    assert!(load.wait().unwrap().success());
    // The last event of the load (or a gap for it) has been written.
    wait_for("the restart report", || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains("\"report\":\"restart\""))
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(second.stop().success(), "{}", second.stderr());
    let text = std::fs::read_to_string(&log).unwrap();
    let restart: Vec<serde_json::Value> = events_with(&text, "\"report\":\"restart\"");
    assert_eq!(restart.len(), 1, "one restart record");
    let r = &restart[0]["raudit"];
    let reported = r["missed_across_restart"].as_u64().unwrap();
    let previous = r["previous_serial"].as_u64().unwrap();
    let first_serial = r["first_serial"].as_u64().unwrap();
    assert_eq!(
        r["previous_stop"],
        if kill { "unclean" } else { "clean" },
        "{r}"
    );
    let missing = missing_markers(&text, name, COUNT);
    eprintln!(
        "{name}: {} of {COUNT} load events missing, {reported} serials reported missed ({previous}..{first_serial})",
        missing.len()
    );
    assert!(
        (missing.len() as u64) <= reported,
        "{} events missing but only {reported} reported: {missing:?}",
        missing.len()
    );
    // What the second instance wrote after its report comes after what
    // the first one wrote. (An event the first one wrote just before it
    // was killed, before it noted the serial, may lie inside the gap: the
    // report then counts one too many, never one too few.)
    let restart_at = text.find("\"report\":\"restart\"").unwrap();
    let after: Vec<u64> = events_with(&text[restart_at..], &format!("--marker={name}-"))
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .collect();
    assert!(
        after.iter().all(|s| *s > previous),
        "an event of the second instance at or before {previous}: {after:?}"
    );
    let stderr = second.stderr();
    assert!(
        stderr.contains(&format!("missed_across_restart={reported}")),
        "{stderr}"
    );
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn a_killed_raudits_loss_is_reported_by_the_next_start() {
    let _guard = rules_common::live();
    restart_under_load(true, "restart-kill");
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn a_restart_under_load_misses_nothing_unreported() {
    let _guard = rules_common::live();
    restart_under_load(false, "restart-clean");
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn a_config_without_rules_keeps_the_kernels() {
    let guard = rules_common::live();
    guard.clear_rules();
    let Some(_) = kernel_rules() else { return };
    let status = Command::new("auditctl")
        .args(["-w", "/etc/hosts", "-p", "wa", "-k", "raudit-kept"])
        .status()
        .unwrap();
    assert!(status.success());
    // A user's own exemption of a pid that is gone: not raudit's, so kept.
    let mut gone = Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    let status = Command::new("auditctl")
        .args(["-a", "never,exit", "-F", &format!("pid={gone_pid}")])
        .status()
        .unwrap();
    assert!(status.success());
    let dir = scratch("no-rules");
    let config = write_config(
        &dir,
        "output:\n  stdout:\n    enabled: true\nraudit:\n  rules:\n    drift_interval: 1s\n",
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    let stderr = daemon.stderr();
    assert!(
        stderr.contains("running with the kernel's current 2 rule(s)"),
        "{stderr}"
    );
    let during = kernel_rules().unwrap();
    assert!(
        during.contains("-w /etc/hosts -p wa -k raudit-kept"),
        "{during}"
    );
    assert!(during.contains(&format!("pid={gone_pid}\n")), "{during}");
    // The kernel's set is what drift watches: deleting it is noticed.
    let status = Command::new("auditctl")
        .args(["-W", "/etc/hosts", "-p", "wa", "-k", "raudit-kept"])
        .status()
        .unwrap();
    assert!(status.success());
    wait_for("the drift report", || {
        daemon
            .stderr()
            .contains("rule missing: -w /etc/hosts -p wa -k raudit-kept")
    });
    assert!(daemon.stop().success(), "{}", daemon.stderr());
    let after = kernel_rules().unwrap();
    assert!(!after.contains("raudit-self-exclusion"), "{after}");
    assert!(after.contains(&format!("pid={gone_pid}\n")), "{after}");
}

/// Debian's /etc/audit/rules.d/audit.rules as the auditd package installs it.
const DEBIAN_DEFAULT_RULES: &str =
    "## First rule - delete all\n-D\n\n## Increase the buffers to survive stress events.\n-b 8192\n\n## This determine how long to wait in burst of events\n--backlog_wait_time 60000\n\n## Set failure mode to syslog\n-f 1\n\n";

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn auditd_rules_files_load_as_augenrules_loads_them() {
    let guard = rules_common::live();
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/go-libaudit/rule/testdata");
    if !corpus.is_dir() {
        assert!(
            std::env::var_os("RAUDIT_REQUIRE_CORPUS").is_none(),
            "no corpus at {}, and RAUDIT_REQUIRE_CORPUS asks for it",
            corpus.display()
        );
        eprintln!(
            "SKIPPED: no corpus at {} (STIG-style rules)",
            corpus.display()
        );
        return;
    }
    let Ok(augenrules) = std::fs::read_to_string("/usr/sbin/augenrules") else {
        skip!("SKIPPED: augenrules is not installed (apt-get install auditd)");
        return;
    };
    let dir = scratch("rules-files");
    let rules_d = dir.join("rules.d");
    std::fs::create_dir_all(&rules_d).unwrap();
    std::fs::write(rules_d.join("audit.rules"), DEBIAN_DEFAULT_RULES).unwrap();
    for name in ["30-stig.rules", "43-module-load.rules"] {
        std::fs::copy(corpus.join(name), rules_d.join(name)).unwrap();
    }
    // augenrules itself, reading our rules.d and writing our audit.rules.
    let script = augenrules
        .replace("/etc/audit/rules.d", rules_d.to_str().unwrap())
        .replace(
            "/etc/audit/audit.rules",
            dir.join("audit.rules").to_str().unwrap(),
        );
    let script_path = dir.join("augenrules");
    std::fs::write(&script_path, script).unwrap();
    guard.clear_rules();
    let out = Command::new("sh")
        .arg(&script_path)
        .arg("--load")
        .output()
        .unwrap();
    assert!(out.status.success(), "augenrules --load: {out:?}");
    let by_augenrules = kernel_rules().unwrap();
    let status_of =
        |text: &str, key: &str| text.lines().find(|l| l.starts_with(key)).map(str::to_owned);
    let status_after_augenrules =
        String::from_utf8_lossy(&Command::new("auditctl").arg("-s").output().unwrap().stdout)
            .into_owned();
    assert!(by_augenrules.lines().count() > 20, "{by_augenrules}");

    // The same directory through raudit.rules.files, from a kernel with
    // other rules and settings.
    guard.clear_rules();
    guard
        .control
        .set_status(&AuditStatus::set_backlog_limit(321))
        .unwrap();
    let config = write_config(
        &dir,
        &format!(
            "output:\n  stdout:\n    enabled: true\nraudit:\n  rules:\n    files: [{}/*.rules]\n",
            rules_d.display()
        ),
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    let by_raudit: String = kernel_rules()
        .unwrap()
        .lines()
        .filter(|l| !l.contains(&format!("pid={}", daemon.child.id())))
        .map(|l| format!("{l}\n"))
        .collect();
    let status_after_raudit =
        String::from_utf8_lossy(&Command::new("auditctl").arg("-s").output().unwrap().stdout)
            .into_owned();
    assert!(daemon.stop().success(), "{}", daemon.stderr());
    assert_eq!(by_raudit, by_augenrules);
    // Started again on the same rules: every rule compares equal to the
    // kernel's listing of it (round trip), so only the new self-exclusion
    // rule is added and nothing is deleted.
    let mut again = Daemon::start(&["--config", config.to_str().unwrap()]);
    again.wait_started();
    assert!(again.stop().success(), "{}", again.stderr());
    let kept = by_augenrules.lines().count();
    assert!(
        again.stderr().contains(&format!(
            "rules applied: 1 added, 0 deleted, {kept} kept, 0 setting(s) changed"
        )),
        "{}",
        again.stderr()
    );
    for key in ["backlog_limit ", "failure ", "backlog_wait_time "] {
        assert_eq!(
            status_of(&status_after_raudit, key),
            status_of(&status_after_augenrules, key),
            "{key}"
        );
    }
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn rules_load_beside_the_daemon_keeps_its_exemption() {
    let _guard = rules_common::live();
    let dir = scratch("load-beside");
    let config = write_config(
        &dir,
        &format!("output:\n  stdout:\n    enabled: true\n{EXEC_RULES}"),
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    let file = dir.join("other.rules");
    std::fs::write(&file, "-D\n-a always,exit -F arch=b64 -S kill -k other\n").unwrap();
    let out = Command::new(daemon_common::raudit_binary())
        .args(["rules", "load", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let Some(rules) = kernel_rules() else { return };
    assert!(
        rules.contains(&format!(
            "pid={} -F key=raudit-self-exclusion",
            daemon.child.id()
        )),
        "the daemon's exemption was taken away: {rules}"
    );
    assert!(rules.contains("-S kill"), "{rules}");
    assert!(!rules.contains("-S execve"), "{rules}");
    assert!(daemon.stop().success(), "{}", daemon.stderr());
    assert!(!kernel_rules().unwrap().contains("pid="));
}

//! Live tests of the `raudit` daemon against the running kernel (root
//! only; skipped with a reason otherwise). Each holds
//! `/run/raudit-live.lock` for its whole run and puts the kernel's rules
//! and status back when it ends, even on failure (the guard's `Drop`);
//! every raudit process started here is kept as a `Child` and ended by pid.

mod daemon_common;
#[path = "../../daemon/tests/rules_common/mod.rs"]
mod rules_common;

use std::process::{Command, Stdio};
use std::time::Duration;

use daemon_common::{
    events_with, probe_program, raudit_binary, run_probe, scratch, wait_for, which, write_config,
    Daemon,
};

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn default_config_writes_the_execve_of_a_unique_program() {
    let _guard = rules_common::live();
    let dir = scratch("default");
    let program = probe_program(&dir, "default");
    let mut daemon = Daemon::start(&[]);
    daemon.wait_started();
    run_probe(&program, "first-7f3a");
    let name = program.file_name().unwrap().to_str().unwrap().to_owned();
    wait_for("the probe's event", || {
        !events_with(&daemon.stdout(), "first-7f3a").is_empty()
    });
    let status = daemon.stop();
    assert!(status.success(), "exit {status}: {}", daemon.stderr());
    let events = events_with(&daemon.stdout(), "first-7f3a");
    assert_eq!(events.len(), 1, "exactly one event for one execve");
    let event = &events[0];
    assert!(event["sequence"].as_u64().unwrap() > 0);
    let messages = event["messages"].as_array().unwrap();
    let of_type = |t: u64| {
        messages
            .iter()
            .find(|m| m["type"] == t)
            .map(|m| m["data"].as_str().unwrap().to_owned())
    };
    let syscall = of_type(1300).expect("a SYSCALL record");
    assert!(
        syscall.contains("syscall=59") || syscall.contains("syscall=11"),
        "{syscall}"
    );
    assert!(syscall.contains("success=yes"));
    assert!(syscall.contains(&name), "{syscall}");
    let execve = of_type(1309).expect("an EXECVE record");
    assert!(execve.contains("argc=3"), "{execve}");
    assert!(execve.contains("a1=\"--marker=first-7f3a\""), "{execve}");
    assert!(execve.contains("a2=\"second-arg\""), "{execve}");
    assert!(of_type(1302).is_some(), "a PATH record");
    assert!(of_type(1327).is_some(), "a PROCTITLE record");
    assert_eq!(event["uid_map"]["0"], "root");
    let stderr = daemon.stderr();
    assert!(stderr.contains("audit pid released"), "{stderr}");
    assert!(stderr.contains("raudit stats (exit)"), "{stderr}");
    // Our pid may be reused by another process: the self-exclusion rule
    // goes with us; the configured rules stay, as auditd leaves them.
    let rules = Command::new("auditctl").arg("-l").output().unwrap();
    let rules = String::from_utf8_lossy(&rules.stdout);
    assert!(
        !rules.contains("pid="),
        "self-exclusion left behind: {rules}"
    );
    assert!(rules.contains("-S execve"), "{rules}");
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn second_raudit_is_refused_while_the_first_runs() {
    let _guard = rules_common::live();
    let mut first = Daemon::start(&[]);
    first.wait_started();
    let second = Command::new(raudit_binary())
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let message = String::from_utf8_lossy(&second.stderr);
    assert!(
        !second.status.success(),
        "the second raudit must fail: {message}"
    );
    let holder = first.child.id().to_string();
    assert!(
        message.contains(&format!("held by process {holder}")),
        "{message}"
    );
    assert!(first.stop().success());
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn sighup_with_a_renamed_file_loses_and_repeats_nothing() {
    let _guard = rules_common::live();
    let dir = scratch("rotate");
    let log = dir.join("audit.log");
    let config = write_config(
        &dir,
        &format!(
            "output:\n  file:\n    enabled: true\n    attempts: 2\n    path: {}\n    mode: 0640\n    user: root\n    group: root\nrules:\n  - -a exit,always -F arch=b64 -S execve\n  - -e 1\n",
            log.display()
        ),
    );
    let program = probe_program(&dir, "rotate");
    let mut daemon = Daemon::start(&["-config", config.to_str().unwrap()]);
    daemon.wait_started();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&log).unwrap().permissions().mode() & 0o777,
        0o640
    );
    const EACH: usize = 40;
    for i in 0..EACH {
        run_probe(&program, &format!("rot-{i}-end"));
    }
    std::fs::rename(&log, dir.join("audit.log.1")).unwrap();
    for i in EACH..2 * EACH {
        run_probe(&program, &format!("rot-{i}-end"));
        if i == EACH + 5 {
            daemon.signal(libc::SIGHUP);
        }
    }
    let read_all = || {
        let mut text = std::fs::read_to_string(dir.join("audit.log.1")).unwrap_or_default();
        text.push_str(&std::fs::read_to_string(&log).unwrap_or_default());
        text
    };
    wait_for("every probe event", || {
        events_with(&read_all(), "rot-").len() >= 2 * EACH
    });
    assert!(daemon.stop().success(), "{}", daemon.stderr());
    let text = read_all();
    for i in 0..2 * EACH {
        let n = events_with(&text, &format!("--marker=rot-{i}-end")).len();
        assert_eq!(n, 1, "event {i} written {n} times");
    }
    assert!(
        !std::fs::read_to_string(&log).unwrap().is_empty(),
        "the reopened file got events"
    );
    assert!(
        daemon.stderr().contains("file.reopens=1"),
        "{}",
        daemon.stderr()
    );
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn sigterm_during_a_burst_writes_every_event_handed_over() {
    let _guard = rules_common::live();
    let dir = scratch("burst");
    let config = write_config(
        &dir,
        "output:\n  stdout:\n    enabled: true\nrules:\n  - -a exit,always -F arch=b64 -S execve\n  - -e 1\nraudit:\n  queue:\n    policy: block\n",
    );
    let program = probe_program(&dir, "burst");
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    let burst = {
        let program = program.clone();
        std::thread::spawn(move || {
            for i in 0..400 {
                let _ = Command::new(&program)
                    .arg(format!("--marker=burst-{i}-end"))
                    .status();
            }
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let status = daemon.stop();
    burst.join().unwrap();
    assert!(status.success(), "exit {status}: {}", daemon.stderr());
    let out = daemon.stdout();
    let events = events_with(&out, "burst-");
    assert!(!events.is_empty(), "some burst events were written");
    // The burst runs one exec at a time: the events written must be
    // markers 0..n with none missing and none twice.
    // (The last event may lack its EXECVE record, see below: it names the
    // program, not its marker.)
    let mut markers: Vec<usize> = events
        .iter()
        .filter_map(|e| {
            let text = e.to_string();
            let at = text.find("--marker=burst-")? + "--marker=burst-".len();
            text[at..].split('-').next()?.parse().ok()
        })
        .collect();
    assert!(markers.len() + 1 >= events.len(), "events without a marker");
    markers.sort_unstable();
    assert_eq!(
        markers,
        (0..markers.len()).collect::<Vec<_>>(),
        "gaps or duplicates"
    );
    // Every event is complete but possibly the very last: the kernel may
    // have queued its last records after the pid was released (it holds
    // them for the next daemon).
    let max_sequence = events
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .max()
        .unwrap();
    for event in &events {
        let types: Vec<u64> = event["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["type"].as_u64().unwrap())
            .collect();
        let complete = types.contains(&1300) && types.contains(&1309) && types.contains(&1327);
        assert!(
            complete || event["sequence"] == max_sequence,
            "incomplete event {types:?} before the last"
        );
    }
    let stats = daemon.stderr();
    let line = stats
        .lines()
        .find(|l| l.starts_with("raudit stats (exit)"))
        .expect("final stats");
    for zero in [
        "queue_drops=0",
        "missed_serials=0",
        "enobufs=0",
        "truncated_receives=0",
        "output_errors=0",
    ] {
        assert!(line.contains(zero), "{zero} expected: {line}");
    }
    println!(
        "{} burst events written before SIGTERM; {line}",
        events.len()
    );
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn bad_configs_exit_non_zero_with_their_error() {
    // Held although every case should fail before the kernel: a case that
    // no longer fails (a rule that became valid) must not start a daemon
    // beside another live test, and the kernel is put back after it.
    let _guard = rules_common::live();
    let dir = scratch("bad");
    const RULES: &str = "rules:\n  - -a exit,always -F arch=b64 -S execve\n";
    let cases: [(&str, &str); 6] = [
        ("output:\n  stdout:\n    enabled: true\n    attempts: 0\n", "attempts"),
        // An unknown key inside a known section (at the top it is only a
        // warning, as go-audit ignores it).
        ("output:\n  stdout:\n    enabled: true\n    no_such_key: 1\n", "no_such_key"),
        ("output:\n  stdout:\n    enabled: true\nrules:\n  - -a exit,always -S no_such_syscall\n", "no_such_syscall"),
        ("output:\n  file:\n    enabled: true\n    path: /nonexistent-dir/x.log\n", "nonexistent-dir"),
        ("output:\n  stdout:\n    enabled: false\n", "output"),
        ("output:\n  stdout:\n    enabled: true\nraudit:\n  queue:\n    policy: sometimes\n", "policy"),
    ];
    for (i, (yaml, expected)) in cases.iter().enumerate() {
        let path = dir.join(format!("bad{i}.yaml"));
        let yaml = if yaml.contains("rules:") {
            yaml.to_string()
        } else {
            format!("{yaml}{RULES}")
        };
        std::fs::write(&path, yaml).unwrap();
        let out = Command::new(raudit_binary())
            .args(["--config", path.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "case {i} must fail: {stderr}");
        assert!(
            stderr.contains(expected),
            "case {i}: expected {expected} in: {stderr}"
        );
    }
    let missing = Command::new(raudit_binary())
        .args(["-config", "/nonexistent.yaml"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn events_arrive_as_buffer_queue_and_assembler_settings_vary() {
    let _guard = rules_common::live();
    let dir = scratch("settings");
    let program = probe_program(&dir, "settings");
    let variants = [
        "socket_buffer:\n  receive: 16384\nraudit:\n  queue:\n    size: 1\n    buffer_size: 4096\n    policy: block\n",
        "socket_buffer:\n  receive: 4194304\nraudit:\n  queue:\n    size: 512\n  assembler:\n    max_events: 2\n    max_records: 16\n    arena_bytes: 65536\n    timeout: 100ms\n",
        "events:\n  min: 1300\n  max: 1399\nmessage_tracking:\n  enabled: false\nraudit:\n  stats:\n    interval: 1s\n",
    ];
    for (i, variant) in variants.iter().enumerate() {
        let config = write_config(
            &dir,
            &format!("output:\n  stdout:\n    enabled: true\nrules:\n  - -a exit,always -F arch=b64 -S execve\n  - -e 1\n{variant}"),
        );
        let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
        daemon.wait_started();
        for n in 0..20 {
            run_probe(&program, &format!("var{i}-{n}-end"));
        }
        wait_for("the variant's events", || {
            (0..20).all(|n| !events_with(&daemon.stdout(), &format!("var{i}-{n}-end")).is_empty())
        });
        assert!(daemon.stop().success(), "variant {i}: {}", daemon.stderr());
        for n in 0..20 {
            assert_eq!(
                events_with(&daemon.stdout(), &format!("--marker=var{i}-{n}-end")).len(),
                1
            );
        }
    }
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
#[cfg_attr(raudit_no_auditd, ignore = "auditd is not installed")]
fn multicast_mode_reads_beside_auditd() {
    let _guard = rules_common::live();
    let auditd_path = which("auditd").expect("auditd is installed (raudit_no_auditd)");
    let dir = scratch("multicast");
    let program = probe_program(&dir, "multicast");
    // auditd in the foreground, kept as our child and ended by its pid.
    let mut auditd = Command::new(auditd_path)
        .args(["-n", "-s", "nochange"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let auditd_pid = auditd.id();
    wait_for("auditd to claim the pid", || {
        Command::new("auditctl")
            .arg("-s")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains(&format!("pid {auditd_pid}")))
            .unwrap_or(false)
    });
    let _ = Command::new("auditctl")
        .args(["-a", "exit,always", "-F", "arch=b64", "-S", "execve"])
        .status();
    let _ = Command::new("auditctl").args(["-e", "1"]).status();
    let config = write_config(
        &dir,
        "output:\n  stdout:\n    enabled: true\nraudit:\n  mode: readlog\n",
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    run_probe(&program, "mcast-1-end");
    wait_for("the multicast copy of the event", || {
        !events_with(&daemon.stdout(), "mcast-1-end").is_empty()
    });
    assert!(daemon.stop().success(), "{}", daemon.stderr());
    let status =
        String::from_utf8_lossy(&Command::new("auditctl").arg("-s").output().unwrap().stdout)
            .to_string();
    assert!(
        status.contains(&format!("pid {auditd_pid}")),
        "raudit must leave auditd's pid alone: {status}"
    );
    // SAFETY: kill on the pid of the auditd child we spawned.
    unsafe { libc::kill(auditd_pid as libc::pid_t, libc::SIGTERM) };
    let _ = auditd.wait();
}

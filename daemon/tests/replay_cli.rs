//! `raudit replay` as a user runs it: files and stdin, format detection,
//! `--config` (go-audit's `events` range), counters on stderr, bad input.

#[path = "../../tests/scratch_dir.rs"]
mod scratch_dir;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use scratch_dir::ScratchDir;

fn data(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data")).join(name)
}

fn raudit(args: &[&str], stdin: &[u8]) -> (String, String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_raudit"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn replays_a_capture_and_a_log_to_the_same_json_lines() {
    let netlink = data("execs.netlink");
    let log = data("execs.log");
    let (a, err, code) = raudit(&["replay", netlink.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{err}");
    let (b, _, _) = raudit(&["replay", "--format", "log", log.to_str().unwrap()], b"");
    assert_eq!(a, b);
    assert_eq!(a.lines().count(), 4);
    for line in a.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["sequence"].is_u64() && v["messages"].is_array() && v["uid_map"].is_object());
    }
    assert!(
        err.contains("records=") && err.contains("events=4") && err.contains("malformed=0"),
        "{err}"
    );
}

#[test]
fn reads_stdin_and_reports_malformed_lines_with_their_number() {
    let input =
        b"type=SYSCALL msg=audit(1.000:1): syscall=59\ngarbage\ntype=EOE msg=audit(1.000:1): \n";
    let (out, err, code) = raudit(&["replay", "-"], input);
    // The good event is written; the status says a line was skipped.
    assert_eq!(code, 1, "{err}");
    assert_eq!(out.lines().count(), 1);
    assert!(
        err.contains("-: line 2, byte 0: not an audit record: not an audit log line; expected `type=NAME msg=audit(SECONDS.MILLIS:SERIAL): ...`"),
        "{err}"
    );
    assert!(
        err.contains("-: 1 line was not an audit record; 2 records read"),
        "{err}"
    );
    assert!(err.contains("malformed=1"), "{err}");
}

#[test]
fn an_unreadable_input_among_good_ones_exits_one_after_replaying_the_rest() {
    let log = data("execs.log");
    let missing = data("no-such-capture.log");
    let args = ["replay", log.to_str().unwrap(), missing.to_str().unwrap()];
    let (out, err, code) = raudit(&args, b"");
    assert_eq!(code, 1, "{err}");
    // The good file's four events are all written.
    assert_eq!(out.lines().count(), 4, "{err}");
    assert!(err.contains("no-such-capture.log: "), "{err}");
    // The good file alone: every input read whole, exit 0.
    let (again, err, code) = raudit(&args[..2], b"");
    assert_eq!(code, 0, "{err}");
    assert_eq!(again, out);
}

/// No internal names (`MissingType`, `LengthBeyondBuffer`) reach the user.
fn in_words(err: &str) {
    for name in [
        "MissingType",
        "LengthBeyondBuffer",
        "ShortHeader",
        "BadTimestamp",
        "Kind",
    ] {
        assert!(!err.contains(name), "internal name {name} in: {err}");
    }
}

#[test]
fn input_that_is_not_audit_data_exits_non_zero_and_says_so() {
    let (out, err, code) = raudit(&["replay", "-"], b"hello\nworld\n\nthird\n");
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("-: 3 lines were not audit records; 0 records read"),
        "{err}"
    );
    assert!(
        err.contains(
            "-: nothing in it was audit data (expected an auditd log or a netlink capture)"
        ),
        "{err}"
    );
    in_words(&err);
    // Many bad lines: the first ten one by one, then the total.
    let many = "not audit\n".repeat(50);
    let (_, err, code) = raudit(&["replay", "-"], many.as_bytes());
    assert_eq!(code, 1);
    assert_eq!(err.matches("not an audit record: ").count(), 10, "{err}");
    assert!(
        err.contains("-: further malformed input not shown"),
        "{err}"
    );
    assert!(
        err.contains("-: 50 lines were not audit records; 0 records read"),
        "{err}"
    );
    // Empty input is not an error: there was nothing to misread.
    let (_, err, code) = raudit(&["replay", "-"], b"");
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_truncated_capture_says_so_in_words() {
    let capture = std::fs::read(data("execs.netlink")).unwrap();
    let cut = &capture[..capture.len() - 7];
    let (out, err, code) = raudit(&["replay", "--format", "netlink", "-"], cut);
    // Records before the cut were audit data: replayed; the cut record
    // was not, so the status is 1.
    assert_eq!(code, 1, "{err}");
    assert!(!out.is_empty());
    assert!(
        err.contains("not an audit record: a netlink message longer than the bytes left; the capture is truncated or not netlink; the rest of the capture is unreadable"),
        "{err}"
    );
    assert!(
        err.contains("-: 1 frame was not an audit record; "),
        "{err}"
    );
    in_words(&err);
}

#[test]
fn status_without_privileges_names_the_capability() {
    let raudit = env!("CARGO_BIN_EXE_raudit");
    // As root, drop to nobody without capabilities first.
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    let out = if root {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .args(["--inh-caps=-all", "--bounding-set=-all", raudit, "status"])
            .output()
            .unwrap()
    } else {
        Command::new(raudit).arg("status").output().unwrap()
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("this needs root or the CAP_AUDIT_CONTROL capability"),
        "{err}"
    );
    assert!(!err.contains("(errno"), "{err}");
}

#[test]
fn config_sets_the_event_type_range() {
    let dir = ScratchDir::new("replay-cli");
    let config = dir.join("narrow.yaml");
    // Only SYSCALL records (and EOE, which always ends its event).
    std::fs::write(
        &config,
        "events:\n  min: 1300\n  max: 1300\noutput:\n  stdout:\n    enabled: true\nrules:\n  - -a exit,always -S execve\n",
    )
    .unwrap();
    let netlink = data("execs.netlink");
    let (out, err, code) = raudit(
        &[
            "replay",
            "--config",
            config.to_str().unwrap(),
            netlink.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["type"] == 1300));
    }
    assert!(!err.contains("filtered_type=0 "), "{err}");

    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "events:\n  minn: 1\n").unwrap();
    let (_, err, code) = raudit(&["replay", "--config", bad.to_str().unwrap(), "-"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("events.minn"), "{err}");
}

#[test]
fn uids_map_to_this_hosts_names_unless_told_not_to() {
    let log = data("execs.log");
    let (named, _, _) = raudit(&["replay", log.to_str().unwrap()], b"");
    let (plain, _, _) = raudit(&["replay", "--no-user-names", log.to_str().unwrap()], b"");
    let first = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text.lines().next().unwrap()).unwrap()
    };
    assert_eq!(first(&named)["uid_map"]["0"], "root");
    assert_eq!(first(&plain)["uid_map"]["0"], "UNKNOWN_USER");
    assert_eq!(first(&named)["uid_map"]["4294967295"], "UNKNOWN_USER");
}

#[test]
fn config_can_choose_the_structured_format() {
    let dir = ScratchDir::new("replay-structured");
    let config = dir.join("structured.yaml");
    std::fs::write(
        &config,
        "output:\n  stdout:\n    enabled: true\nrules:\n  - -a exit,always -S execve\nraudit:\n  format: structured\n",
    )
    .unwrap();
    let netlink = data("execs.netlink");
    let (out, err, code) = raudit(
        &[
            "replay",
            "--no-user-names",
            "--config",
            config.to_str().unwrap(),
            netlink.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 4);
    let plain = events
        .iter()
        .find(|e| e.to_string().contains("raudit-capture-plain"))
        .expect("the plain capture");
    let execve = plain["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "EXECVE")
        .unwrap();
    assert_eq!(
        execve["argv"],
        serde_json::json!(["/bin/echo", "raudit-capture-plain", "--flag=value"])
    );
    assert_eq!(plain["records"][0]["interpreted"]["syscall"], "execve");
}

/// logrotate's `postrotate` falls back to `pkill -USR1 -x raudit` (a raudit
/// not run as raudit.service), which reaches every process named raudit: a
/// replay (or any one-shot command) must not die of SIGUSR1 (whose default
/// action terminates), only the daemon gives it a meaning (reopen).
#[test]
fn a_replay_outlives_logrotates_sigusr1() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_raudit"))
        .args(["replay", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    // Until raudit has set SIGUSR1 aside (SigIgn, bit 9), at most 2 s.
    let ignored = || {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                let mask = s
                    .lines()
                    .find_map(|l| l.strip_prefix("SigIgn:"))?
                    .trim()
                    .to_string();
                u64::from_str_radix(&mask, 16).ok()
            })
            .is_some_and(|mask| mask & (1 << (libc::SIGUSR1 - 1)) != 0)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while !ignored() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let sent = Command::new("kill").args(["-USR1", &pid]).status().unwrap();
    assert!(sent.success());
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(&std::fs::read(data("execs.log")).unwrap());
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 4);
}

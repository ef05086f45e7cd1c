//! Live: large execve events through the file output, against the running
//! kernel (root only; skipped with a reason otherwise; holds
//! `/run/raudit-live.lock` and restores the kernel through the guard).
//! One argument of the largest size the kernel takes (`MAX_ARG_STRLEN`
//! less its NUL), fifteen of them, and 5,000 small ones each come out as
//! one line, whole, the argument list rebuilt byte for byte, with CWD,
//! PATH and PROCTITLE; above a small `max_event_bytes`, one line marked
//! `"cut"` with every non-EXECVE record. The daemon's resident set is
//! read before and after the large events (printed; it must come back
//! within a few seconds: the large-event pages stay a second after the
//! last large event).

mod daemon_common;
#[path = "../../core/tests/support/execve.rs"]
mod execve;
#[path = "../../daemon/tests/rules_common/mod.rs"]
mod rules_common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;

use daemon_common::{probe_program, scratch, wait_for, write_config, Daemon};

/// The longest argument execve takes: `MAX_ARG_STRLEN` (32 pages) with
/// its NUL.
const LONGEST: usize = 32 * 4096 - 1;

/// `count` arguments of `len` bytes; every third holds spaces and bytes
/// above 0x7e, so the kernel hex encodes it. No NUL (exec cannot pass it).
fn live_arguments(tag: &str, count: usize, len: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let mut arg: Vec<u8> = (0..len)
                .map(|j| {
                    let b = (i * 7 + j) as u8;
                    if i % 3 == 2 {
                        1 + b % 255
                    } else {
                        b'a' + b % 26
                    }
                })
                .collect();
            if i == 0 {
                // The tag leads the first argument (kept within the length).
                let mark = format!("{tag}-");
                arg.splice(0..mark.len().min(arg.len()), mark.bytes());
                arg.truncate(len.max(mark.len()));
            }
            arg
        })
        .collect()
}

fn run(program: &Path, args: &[Vec<u8>]) {
    let status = Command::new(program)
        .args(args.iter().map(|a| OsStr::from_bytes(a)))
        .env_clear()
        .status()
        .unwrap();
    assert!(status.success());
}

/// The complete lines of `file` that hold `needle`, parsed. A line still
/// being written (a multi-megabyte `writev` seen half-way by this reader)
/// has no newline yet and is left for the next look.
fn lines_with(file: &Path, needle: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.split_inclusive('\n')
        .filter_map(|l| l.strip_suffix('\n'))
        .filter(|l| l.contains(needle))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("invalid JSON ({e})")))
        .collect()
}

/// `VmRSS` and `VmHWM` of `pid`, in KiB.
fn rss(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn types(event: &serde_json::Value) -> Vec<u64> {
    event["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_u64().unwrap())
        .collect()
}

fn datas(event: &serde_json::Value, t: u64) -> Vec<String> {
    event["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == t)
        .map(|m| m["data"].as_str().unwrap().to_owned())
        .collect()
}

fn start(dir: &Path, out: &Path, extra: &str) -> Daemon {
    let config = write_config(
        dir,
        &format!(
            "output:\n  file:\n    enabled: true\n    path: {}\n    mode: 0600\n\
             rules:\n  - -a exit,always -F arch=b64 -S execve -k raudit-large\n  - -e 1\n{extra}",
            out.display()
        ),
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    daemon
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn large_execves_are_one_whole_line_each_and_memory_comes_back() {
    let _guard = rules_common::live();
    let dir = scratch("large");
    let program = probe_program(&dir, "large");
    let out = dir.join("events.log");
    let mut daemon = start(&dir, &out, "");
    let pid = daemon.child.id();
    // A small event first, so the idle figure includes an ordinary line.
    run(&program, &[b"warm-up".to_vec()]);
    wait_for("the warm-up event", || {
        !lines_with(&out, "warm-up").is_empty()
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    let idle = rss(pid);
    let cases = [
        ("one-long", 1usize, LONGEST),
        ("fifteen", 15, LONGEST),
        ("many", 5000, 3),
    ];
    for (tag, count, len) in cases {
        let args = live_arguments(tag, count, len);
        run(&program, &args);
        // Long arguments are hex encoded: find the event by its rebuilt argv.
        let name = program.file_name().unwrap().to_str().unwrap();
        let mark = format!("{tag}-");
        let ours = |e: &serde_json::Value| {
            execve::rebuild_argv(&datas(e, 1309))
                .get(1)
                .is_some_and(|(_, a)| a.starts_with(mark.as_bytes()))
        };
        wait_for(tag, || lines_with(&out, name).iter().any(ours));
        let events: Vec<serde_json::Value> = lines_with(&out, name)
            .into_iter()
            .filter(|e| ours(e))
            .collect();
        assert_eq!(events.len(), 1, "{tag}: one line for one execve");
        let event = &events[0];
        assert!(
            event.get("truncated").is_none() && event.get("cut").is_none(),
            "{tag}"
        );
        let t = types(event);
        for want in [1300, 1307, 1302, 1327] {
            assert!(t.contains(&want), "{tag}: no record of type {want}: {t:?}");
        }
        let rebuilt: Vec<Vec<u8>> = execve::rebuild_argv(&datas(event, 1309))
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        let mut want = vec![program.as_os_str().as_bytes().to_vec()];
        want.extend(args);
        assert!(rebuilt == want, "{tag}: argv differs");
    }
    // The lane and the large buffers keep their pages while large events
    // keep coming and give them back once none came for a second (sooner
    // when the host is idle): memory comes back within a few seconds.
    let stopped = std::time::Instant::now();
    let mut after = rss(pid);
    let first = after.0;
    while after.0 > idle.0 + 1024 && stopped.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(100));
        after = rss(pid);
    }
    eprintln!(
        "raudit RSS (debug build): idle {} KiB; right after the large events {} KiB, \
         {} KiB {} ms later; peak {} KiB",
        idle.0,
        first,
        after.0,
        stopped.elapsed().as_millis(),
        after.1
    );
    assert!(after.0 <= idle.0 + 1024, "idle {idle:?}, after {after:?}");
    let status = daemon.stop();
    assert!(status.success(), "{}", daemon.stderr());
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn above_a_small_cap_one_marked_line_keeps_every_other_record() {
    let _guard = rules_common::live();
    for format in ["go-audit", "structured"] {
        let dir = scratch(&format!("large-cap-{format}"));
        let program = probe_program(&dir, "cap");
        let out = dir.join("events.log");
        let mut daemon = start(
            &dir,
            &out,
            &format!("raudit:\n  max_event_bytes: 65536\n  format: {format}\n"),
        );
        let mut args = live_arguments("capped", 6, 64 * 1024);
        args.push(b"--the-last-one".to_vec());
        run(&program, &args);
        let name = program.file_name().unwrap().to_str().unwrap().to_owned();
        wait_for("the capped event", || !lines_with(&out, &name).is_empty());
        let status = daemon.stop();
        assert!(status.success(), "{}", daemon.stderr());
        let text = std::fs::read_to_string(&out).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(&name)).collect();
        assert_eq!(lines.len(), 1, "{format}: one line");
        assert!(lines[0].len() <= 65536);
        let event: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        let (kept, dropped) = if format == "go-audit" {
            let t = types(&event);
            for want in [1300, 1307, 1302, 1327] {
                assert!(t.contains(&want), "no record of type {want}: {t:?}");
            }
            let kept = execve::rebuild_argv(&datas(&event, 1309));
            assert_eq!(kept.first().map(|(i, _)| *i), Some(0));
            let last = kept.last().map(|(_, a)| a.clone()).unwrap_or_default();
            (last, 8 - kept.len() as u64)
        } else {
            let records = event["records"].as_array().unwrap();
            let names: Vec<&str> = records
                .iter()
                .map(|r| r["type"].as_str().unwrap())
                .collect();
            for want in ["SYSCALL", "EXECVE", "CWD", "PATH", "PROCTITLE"] {
                assert!(names.contains(&want), "no {want} record: {names:?}");
            }
            let execve = records.iter().find(|r| r["type"] == "EXECVE").unwrap();
            let argv = execve["argv"].as_array().unwrap();
            assert!(argv[0].as_str().unwrap().ends_with(&name));
            let last = argv.last().unwrap().as_str().unwrap().as_bytes().to_vec();
            (last, 8 - argv.len() as u64)
        };
        assert_eq!(kept, b"--the-last-one", "{format}: the last argument kept");
        assert_eq!(event["cut"]["arguments"], dropped, "{format}");
        assert!(event["cut"]["bytes"].as_u64().unwrap() >= dropped * 64 * 1024);
        assert!(event.get("truncated").is_none());
        // Other processes' events may be cut too: at least this one is.
        let stderr = daemon.stderr();
        let cut: u64 = stderr
            .split_whitespace()
            .filter_map(|kv| kv.strip_prefix("events_cut="))
            .filter_map(|v| v.parse().ok())
            .max()
            .unwrap_or(0);
        assert!(cut >= 1, "{stderr}");
    }
}

//! Live: outputs isolated from one another in the running daemon (root
//! only; skipped with a reason otherwise). With a syslog TCP receiver that
//! is not there and GELF sent to a UDP port nothing listens on, the file
//! output still gets every event at 50 execs a second, the refused GELF
//! datagrams are counted as errors, and SIGTERM is not held up by the dead
//! outputs. Holds `/run/raudit-live.lock` and puts the kernel's rules and
//! status back on drop; raudit is a `Child` ended by its pid.

mod daemon_common;
#[path = "../../daemon/tests/rules_common/mod.rs"]
mod rules_common;

use std::net::{TcpListener, UdpSocket};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use daemon_common::{events_with, probe_program, scratch, write_config, Daemon};

/// The value of `name=` in the last stats line of `stderr`.
fn last_stat(stderr: &str, name: &str) -> Option<u64> {
    let line = stderr.lines().rev().find(|l| l.contains("raudit stats"))?;
    let key = format!(" {name}=");
    let at = line.find(&key)? + key.len();
    line[at..].split(' ').next()?.parse().ok()
}

#[test]
fn dead_receivers_cost_the_file_nothing_and_are_counted() {
    let Some(_guard) = rules_common::live() else {
        return;
    };
    let dir = scratch("dead-receivers");
    let log = dir.join("audit.log");
    let program = probe_program(&dir, "isolated");
    // Ports nobody listens on (bound, then released).
    let tcp_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let udp_port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = write_config(
        &dir,
        &format!(
            "output:
  file:
    enabled: true
    path: {log}
  syslog:
    enabled: true
    network: tcp
    address: 127.0.0.1:{tcp_port}
  gelf:
    enabled: true
    network: udp
    address: 127.0.0.1:{udp_port}
rules:
  - -a always,exit -F arch=b64 -S execve -F exe={exe}
  - -e 1
",
            log = log.display(),
            exe = program.display(),
        ),
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    // 50 execs a second for 5.3 s.
    const EXECS: u32 = 265;
    let started = Instant::now();
    for i in 0..EXECS {
        let at = started + Duration::from_millis(20 * u64::from(i));
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        let status = Command::new(&program)
            .arg(format!("--marker=iso-{i}-end"))
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }
    std::thread::sleep(Duration::from_millis(500));
    let stopping = Instant::now();
    let status = daemon.stop();
    let stop_took = stopping.elapsed();
    let stderr = daemon.stderr();
    assert!(status.success(), "exit {status}: {stderr}");
    assert!(
        stop_took < Duration::from_secs(12),
        "SIGTERM took {stop_took:?}"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let mut missing = Vec::new();
    for i in 0..EXECS {
        if events_with(&text, &format!("iso-{i}-end")).len() != 1 {
            missing.push(i);
        }
    }
    assert!(
        missing.is_empty(),
        "the file lost {} of {EXECS} events: {missing:?}\n{stderr}",
        missing.len()
    );
    let stat = |name: &str| last_stat(&stderr, name).unwrap_or_else(|| panic!("{name}: {stderr}"));
    assert_eq!(stat("file.errors") + stat("file.dropped"), 0);
    assert!(stat("file.sent") >= u64::from(EXECS));
    // Nothing reached syslog, and every event is accounted for.
    assert_eq!(stat("syslog.sent"), 0);
    assert!(stat("syslog.errors") + stat("syslog.dropped") >= u64::from(EXECS));
    // Each GELF datagram was refused by the host: counted as errors (the
    // refusal of one arrives with the next send, or at the flush).
    assert!(
        stat("gelf.errors") >= u64::from(EXECS) - 1,
        "gelf.errors={} of {EXECS}",
        stat("gelf.errors")
    );
    eprintln!(
        "SIGTERM took {stop_took:?}; {}",
        stderr
            .lines()
            .rev()
            .find(|l| l.contains("raudit stats"))
            .unwrap_or("")
    );
}

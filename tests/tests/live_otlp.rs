//! Live: the running daemon with a file and an OTLP output (root only;
//! skipped with a reason otherwise, or without python3's
//! opentelemetry-proto). Every event the file got reaches the OTLP
//! receiver (`otlp/receiver.py`, decoding with the official package)
//! exactly once, in the file's order, its body the file's line and its
//! attributes the event's. Holds `/run/raudit-live.lock` and puts the
//! kernel's rules and status back on drop; raudit is a `Child` ended by
//! its pid.

mod daemon_common;
mod otlp;
#[path = "../../daemon/tests/rules_common/mod.rs"]
mod rules_common;

use std::process::{Command, Stdio};
use std::time::Duration;

use daemon_common::{probe_program, scratch, write_config, Daemon};
use otlp::{receiver_available, Receiver};

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn every_event_reaches_the_collector_once_in_order() {
    if !receiver_available() {
        return;
    }
    let _guard = rules_common::live();
    let dir = scratch("otlp");
    let log = dir.join("audit.log");
    let program = probe_program(&dir, "otlp");
    let receiver = Receiver::start(&["--busy", "1"]);
    let config = write_config(
        &dir,
        &format!(
            "output:
  file:
    enabled: true
    path: {log}
  otlp:
    enabled: true
    endpoint: http://127.0.0.1:{port}/v1/logs
    batch_events: 16
    flush_interval: 200ms
rules:
  - -a always,exit -F arch=b64 -S execve -F exe={exe} -k otlp_probe
  - -e 1
",
            log = log.display(),
            port = receiver.port,
            exe = program.display(),
        ),
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    const EXECS: u32 = 120;
    for i in 0..EXECS {
        let status = Command::new(&program)
            .arg(format!("--marker=otlp-{i}-end"))
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }
    std::thread::sleep(Duration::from_millis(1500));
    let status = daemon.stop();
    let stderr = daemon.stderr();
    assert!(status.success(), "exit {status}: {stderr}");
    let (records, summary) = receiver.finish();
    assert_eq!(summary["busy"], 1, "{summary}");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("otlp_probe")).collect();
    assert!(
        lines.len() >= EXECS as usize,
        "{} events in the file",
        lines.len()
    );
    let bodies: Vec<&str> = records
        .iter()
        .filter_map(|r| r["body"].as_str())
        .filter(|b| b.contains("otlp_probe"))
        .collect();
    assert_eq!(bodies, lines, "the file's events, each once, in order");
    for r in records
        .iter()
        .filter(|r| r["body"].as_str().is_some_and(|b| b.contains("otlp_probe")))
    {
        let event: serde_json::Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
        let a = &r["attributes"];
        assert_eq!(a["audit.sequence"], event["sequence"]);
        assert_eq!(a["audit.key"], "otlp_probe");
        assert_eq!(a["audit.syscall"], 59);
        assert_eq!(a["process.executable.path"], program.to_str().unwrap());
        assert_eq!(r["resource"]["service.name"], "raudit");
    }
    eprintln!(
        "{} events through OTLP; {}",
        bodies.len(),
        stderr
            .lines()
            .rev()
            .find(|l| l.contains("raudit stats"))
            .unwrap_or("")
    );
}

//! A live raudit serving its metrics (root only; skipped with a reason
//! otherwise): the probe's event shows in the scraped counters, promtool
//! accepts the scrape, and an address already taken fails the start before
//! the kernel is touched. Holds `/run/raudit-live.lock` and the guard that
//! puts the kernel's rules and status back on drop; every raudit started
//! here is a `Child` ended by its pid.

#[macro_use]
#[path = "../skip.rs"]
mod skips;

mod daemon_common;
#[path = "../../daemon/tests/rules_common/mod.rs"]
mod rules_common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use daemon_common::{
    probe_program, raudit_binary, run_probe, scratch, wait_for, write_config, Daemon,
};

fn scrape(addr: SocketAddr) -> String {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return String::new();
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, body)| body.to_owned())
}

/// The value of the sample `series` (name and labels) in an exposition.
fn sample(text: &str, series: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

fn config(dir: &Path, listen: SocketAddr) -> std::path::PathBuf {
    let log = dir.join("events.log");
    write_config(
        dir,
        &format!(
            "output:\n  file:\n    enabled: true\n    path: {}\nrules:\n  - -a exit,always -F arch=b64 -S execve\n  - -e 1\nraudit:\n  metrics:\n    listen: \"{listen}\"\n",
            log.display()
        ),
    )
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn a_live_raudit_serves_its_counters() {
    let _guard = rules_common::live();
    let dir = scratch("metrics");
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let config = config(&dir, addr);

    // Taken address: refused at start, naming it, before any rule loads.
    let taken = TcpListener::bind(addr).unwrap();
    let out = Command::new(raudit_binary())
        .args(["--config", config.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "started on a taken address: {stderr}"
    );
    assert!(
        stderr.contains(&format!("listening for metrics on {addr}")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("audit pid"),
        "touched the kernel: {stderr}"
    );
    drop(taken);

    let program = probe_program(&dir, "metrics");
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    assert!(daemon
        .stderr()
        .contains(&format!("metrics served on {addr}")));
    run_probe(&program, "metrics-5c1e");
    let series = "raudit_output_sent_total{output=\"file\"}";
    wait_for("the probe's event in the scraped counters", || {
        let log = std::fs::read_to_string(dir.join("events.log")).unwrap_or_default();
        log.contains("metrics-5c1e") && sample(&scrape(addr), series).is_some_and(|n| n >= 1)
    });
    let text = scrape(addr);
    assert!(
        sample(&text, "raudit_records_total").is_some_and(|n| n >= 3),
        "{text}"
    );
    assert!(
        sample(&text, "raudit_events_total").is_some_and(|n| n >= 1),
        "{text}"
    );
    for gauge in [
        "raudit_kernel_backlog",
        "raudit_queue_depth",
        "raudit_events_in_flight",
    ] {
        assert!(sample(&text, gauge).is_some(), "{gauge}: {text}");
    }
    assert_eq!(sample(&text, "raudit_queue_drops_total"), Some(0), "{text}");
    if let Ok(promtool) = daemon_common::which("promtool") {
        let (ok, said) = check_metrics(&promtool, &text);
        assert!(ok, "promtool: {said}\n{text}");
    } else {
        skip!("SKIPPED: promtool check (Debian package prometheus not installed)");
    }
    let status = daemon.stop();
    assert!(status.success(), "exit {status}: {}", daemon.stderr());
    assert!(
        TcpStream::connect(addr).is_err(),
        "metrics still served after exit"
    );
}

/// `promtool check metrics` on `text`: whether it passed with nothing to
/// say (lint findings fail too), and what it said.
fn check_metrics(promtool: &Path, text: &str) -> (bool, String) {
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && said.trim().is_empty(), said)
}

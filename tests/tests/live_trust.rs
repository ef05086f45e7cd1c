//! Live tests of raudit as a security boundary (issue 10): only the
//! kernel's datagrams are read, no exemption outlives its process, no
//! unaudited window at restart, loss across a restart is reported, a
//! refused second instance touches nothing, silence is explained. Root
//! only (skipped with a reason otherwise); each test holds
//! `/run/raudit-live.lock` and puts the kernel's rules and status back.

mod daemon_common;
#[path = "../../daemon/tests/rules_common/mod.rs"]
mod rules_common;

use std::process::Command;

use daemon_common::{events_with, scratch, wait_for, write_config, Daemon};

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
/// contain it.
const FORGER: &str = r#"
import socket, struct, sys
port, tag = int(sys.argv[1]), sys.argv[2][::-1]
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
s.bind((0, 0))
def send(msg_type, body):
    payload = body.encode()
    s.sendto(struct.pack("=IHHII", 16 + len(payload), msg_type, 0, 0, 0) + payload, (port, 0))
stamp = "audit(1700000000.000:987654):"
send(1300, stamp + ' arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=1 auid=0 uid=0 comm="' + tag + '" exe="/usr/bin/' + tag + '"')
send(1320, stamp)
"#;

/// Sends one forged event (two datagrams) to `port` as uid 65534 with
/// only CAP_NET_ADMIN; false when setpriv or python3 is missing.
fn forge(port: u32, tag: &str) -> bool {
    let status = Command::new("setpriv")
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
        .status();
    match status {
        Ok(s) => {
            assert!(s.success(), "the forger failed: {s}");
            true
        }
        Err(e) => {
            eprintln!("skipping: cannot run setpriv/python3: {e}");
            false
        }
    }
}

/// The value of `key=` in the last stats line of `stderr`.
fn stat(stderr: &str, key: &str) -> Option<u64> {
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("raudit stats"))?;
    let prefix = format!("{key}=");
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&prefix))
        .and_then(|v| v.parse().ok())
}

/// `top` goes at the top level of the config, `raudit` into its section.
fn forged_datagrams_are_dropped_and_counted(top: &str, raudit: &str, name: &str) {
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
    for port in &ports {
        if !forge(*port, &tag) {
            return;
        }
    }
    let expected = 2 * ports.len() as u64;
    // The control socket's datagrams are read at its next request (status
    // poll every 2 s); the stats come every second.
    wait_for("every forged datagram counted", || {
        stat(&daemon.stderr(), "spoofed") == Some(expected)
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
    assert_eq!(stat(&daemon.stderr(), "spoofed"), Some(expected));
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
fn forged_datagrams_to_each_audit_socket_are_dropped_and_counted() {
    let Some(_guard) = rules_common::live() else {
        return;
    };
    forged_datagrams_are_dropped_and_counted(
        "rules:\n  - -a exit,always -F arch=b64 -S execve\n  - -e 1\n",
        "",
        "spoof-daemon",
    );
}

#[test]
fn forged_datagrams_are_dropped_in_readlog_mode_too() {
    let Some(_guard) = rules_common::live() else {
        return;
    };
    forged_datagrams_are_dropped_and_counted("", "  mode: readlog\n", "spoof-readlog");
}

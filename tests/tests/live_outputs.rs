//! Live: the outputs of the running daemon (root only; skipped with a
//! reason otherwise). With a syslog TCP receiver that is not there and
//! GELF sent to a UDP port nothing listens on, the file output still gets
//! every event at 50 execs a second, the refused GELF datagrams are
//! counted as errors, and SIGTERM is not held up by the dead outputs. A
//! large execve (two arguments of the longest size) reaches the file
//! whole, and syslog (a unix datagram with `max_message_bytes: 8192`) and
//! GELF (UDP, uncompressed: over 128 chunks) as one marked cut message
//! each that keeps every non-EXECVE record, counted `cut`. Holds
//! `/run/raudit-live.lock` and puts the kernel's rules and status back on
//! drop; raudit is a `Child` ended by its pid.

mod daemon_common;
#[path = "../../daemon/tests/rules_common/mod.rs"]
mod rules_common;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::net::{TcpListener, UdpSocket};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use daemon_common::{
    events_with, last_stat, probe_program, scratch, wait_for, write_config, Daemon,
};

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn dead_receivers_cost_the_file_nothing_and_are_counted() {
    let _guard = rules_common::live();
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

/// One uncompressed GELF message from `server`: a datagram, or the chunks
/// of one message id put together.
fn gelf_message(server: &UdpSocket) -> Vec<u8> {
    let mut buf = vec![0u8; 65536];
    let mut chunks: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
    loop {
        let n = server.recv(&mut buf).unwrap();
        let d = &buf[..n];
        if d[..2] != [0x1e, 0x0f] {
            return d.to_vec();
        }
        chunks.insert(d[10], d[12..].to_vec());
        if chunks.len() == usize::from(d[11]) {
            return chunks.into_values().flatten().collect();
        }
    }
}

/// Whether `text` (a message's JSON) is one of raudit's own reports
/// rather than an event: said on stderr, so a run shows what came.
fn note_report(text: &str) -> bool {
    let report = text.contains("\"raudit\":{\"report\":");
    if report {
        eprintln!("note: a report beside the events: {text}");
    }
    report
}

/// The record types of a go-audit event.
fn types(event: &serde_json::Value) -> Vec<u64> {
    event["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_u64().unwrap())
        .collect()
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn a_large_execve_reaches_each_output_whole_or_as_one_marked_cut() {
    let _guard = rules_common::live();
    let dir = scratch("large-outputs");
    let log = dir.join("audit.log");
    let program = probe_program(&dir, "large-out");
    let gram_path = dir.join("log");
    let gram = UnixDatagram::bind(&gram_path).unwrap();
    gram.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let gelf = UdpSocket::bind("127.0.0.1:0").unwrap();
    gelf.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let config = write_config(
        &dir,
        &format!(
            "output:
  file:
    enabled: true
    path: {log}
  syslog:
    enabled: true
    network: unixgram
    address: {gram}
    max_message_bytes: 8192
  gelf:
    enabled: true
    network: udp
    address: {gelf}
    compression:
      type: 2
rules:
  - -a always,exit -F arch=b64 -S execve -F exe={exe}
  - -e 1
raudit:
  # A state of its own: no restart record from an earlier test's daemon
  # among the messages counted here.
  state_file: {state}
",
            log = log.display(),
            state = dir.join("state").display(),
            gram = gram_path.display(),
            gelf = gelf.local_addr().unwrap(),
            exe = program.display(),
        ),
    );
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    // The longest argument execve takes (MAX_ARG_STRLEN less its NUL),
    // twice: a line of about 260 KB.
    let long = |c: u8| {
        let mut arg = b"large-out-arg-".to_vec();
        arg.resize(32 * 4096 - 1, c);
        arg
    };
    for args in [
        vec![b"small-before".to_vec()],
        vec![long(b'x'), long(b'y')],
        vec![b"small-after".to_vec()],
    ] {
        let status = Command::new(&program)
            .args(args.iter().map(|a| OsStr::from_bytes(a)))
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }
    wait_for("three events in the file", || {
        !events_with(
            &std::fs::read_to_string(&log).unwrap_or_default(),
            "small-after",
        )
        .is_empty()
    });
    let status = daemon.stop();
    let stderr = daemon.stderr();
    assert!(status.success(), "exit {status}: {stderr}");

    // The file: the large event whole, one line.
    let text = std::fs::read_to_string(&log).unwrap();
    // (The kernel hex-encodes an argument it splits over records.)
    let name = program.file_name().unwrap().to_str().unwrap();
    let lines = events_with(&text, name);
    assert_eq!(lines.len(), 3, "one line per event");
    let large: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l.to_string().len() > 250_000)
        .collect();
    assert_eq!(large.len(), 1, "one line for the large event, whole");
    assert!(large[0].get("cut").is_none() && large[0].get("truncated").is_none());
    // syslog: one datagram per event, each within 8192 bytes; the large
    // one is the cut version, every non-EXECVE record kept. raudit's own
    // reports (a loss record when the kernel lost records of other
    // programs meanwhile, say) may come before, between or after the
    // events: set aside, never counted as an event's second message.
    let mut buf = vec![0u8; 300_000];
    let mut receive = |gram: &UnixDatagram| {
        let n = gram.recv(&mut buf).ok()?;
        assert!(n <= 8192, "a datagram of {n} bytes");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        let at = text.find("]: ").expect("a syslog header") + 3;
        Some(text[at..].to_string())
    };
    let mut events = Vec::new();
    while events.len() < 3 {
        let text = receive(&gram).expect("three events over syslog");
        if !note_report(&text) {
            events.push(text);
        }
    }
    // Nothing more but reports: no event in two messages.
    gram.set_nonblocking(true).unwrap();
    while let Some(text) = receive(&gram) {
        assert!(
            note_report(&text),
            "more than one message per event: {text}\nraudit's stderr: {stderr}"
        );
    }
    let mut cut_seen = 0;
    for text in &events {
        assert!(text.contains(name), "not the program's event: {text}");
        let event: serde_json::Value = serde_json::from_str(text).unwrap();
        if event.get("cut").is_some() {
            cut_seen += 1;
            let kept = types(&event);
            for t in [1300, 1307, 1302, 1327] {
                assert!(kept.contains(&t), "{t} missing from the cut: {kept:?}");
            }
        }
    }
    assert_eq!(cut_seen, 1);
    // GELF: one message per event (reports set aside as above); the
    // large one cut, with its fields.
    let mut cut_seen = 0;
    let mut gelf_events = 0;
    while gelf_events < 3 {
        let message: serde_json::Value = serde_json::from_slice(&gelf_message(&gelf)).unwrap();
        let short = message["short_message"].as_str().unwrap();
        if note_report(short) {
            continue;
        }
        gelf_events += 1;
        let event: serde_json::Value = serde_json::from_str(short).unwrap();
        assert_eq!(message["_syscall"], 59);
        assert!(message["_exe"].as_str().unwrap().ends_with(name));
        if event.get("cut").is_some() {
            cut_seen += 1;
            assert!(types(&event).contains(&1307));
        }
    }
    assert_eq!(cut_seen, 1);
    let stat = |name: &str| last_stat(&stderr, name).unwrap_or_else(|| panic!("{name}: {stderr}"));
    assert_eq!(stat("file.cut"), 0);
    assert_eq!(stat("syslog.cut"), 1);
    assert_eq!(stat("gelf.cut"), 1);
    assert_eq!(stat("syslog.errors") + stat("gelf.errors"), 0);
}

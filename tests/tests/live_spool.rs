//! Live: the spool of a network output (root only; ignored otherwise). A
//! syslog TCP receiver goes away for 30 s while 50 execs a second run;
//! when it is back, every event reaches it exactly once and in the order
//! the file has them, and the file output got the outage's events during
//! the outage (it never waited on the dead receiver). And across a
//! restart: events spooled while the receiver was down, raudit stopped
//! and started again, reach the receiver before the new ones. And across
//! a reload that moves the spool while the receiver is down: the old
//! file's events go first, then the new ones, each once. Holds
//! `/run/raudit-live.lock` and puts the kernel's rules and status back on
//! drop; raudit is a `Child` ended by its pid.
//!
//! The receiver goes away gracefully (it stops listening, closes its side
//! and reads what raudit had written until raudit closes its side), so
//! "exactly once" is exact: what TCP accepted before the receiver's close
//! was read, and raudit sees the close before its next write.

mod daemon_common;
#[path = "../../daemon/tests/rules_common/mod.rs"]
mod rules_common;

use std::io::{ErrorKind, Read, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use daemon_common::{last_stat, probe_program, scratch, write_config, Daemon};

/// Lines received, in arrival order.
type Got = Arc<Mutex<Vec<String>>>;

/// A syslog TCP receiver on `port` until told to go: then it stops
/// listening, closes its side of each connection and reads each to its
/// end.
struct Receiver {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Receiver {
    fn start(port: u16, got: &Got) -> Receiver {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            let got = Arc::clone(got);
            std::thread::spawn(move || serve(listener, &got, &stop))
        };
        Receiver { stop, thread }
    }

    fn go_away(self) {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap();
    }
}

fn serve(listener: TcpListener, got: &Got, stop: &AtomicBool) {
    listener.set_nonblocking(true).unwrap();
    let mut conns: Vec<(TcpStream, Vec<u8>)> = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(true).unwrap();
                conns.push((s, Vec::new()));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => panic!("accept: {e}"),
        }
        for (conn, pending) in &mut conns {
            loop {
                match conn.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => take_lines(pending, &buf[..n], got),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => panic!("read: {e}"),
                }
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(listener);
    for (mut conn, mut pending) in conns {
        conn.shutdown(Shutdown::Write).unwrap();
        conn.set_nonblocking(false).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        loop {
            match conn.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => take_lines(&mut pending, &buf[..n], got),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
                Err(e) => panic!("reading to the end: {e}"),
            }
        }
        assert!(pending.is_empty(), "a partial line at the close");
    }
}

fn take_lines(pending: &mut Vec<u8>, bytes: &[u8], got: &Got) {
    pending.extend_from_slice(bytes);
    while let Some(end) = pending.iter().position(|&b| b == b'\n') {
        let line: Vec<u8> = pending.drain(..=end).collect();
        got.lock()
            .unwrap()
            .push(String::from_utf8_lossy(&line).into_owned());
    }
}

/// The marker numbers (`--marker=TAG-N-end`) in `lines`, in their order.
fn markers(lines: &[String], tag: &str) -> Vec<u32> {
    let prefix = format!("{tag}-");
    lines
        .iter()
        .filter_map(|l| {
            let at = l.find(&prefix)? + prefix.len();
            let rest = &l[at..];
            let end = rest.find("-end")?;
            rest[..end].parse().ok()
        })
        .collect()
}

fn exec(program: &Path, tag: &str, i: u32) {
    let status = Command::new(program)
        .arg(format!("--marker={tag}-{i}-end"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(dir: &Path, port: u16) -> std::path::PathBuf {
    config_spooling_to(dir, port, &dir.join("spool").join("syslog"))
}

fn config_spooling_to(dir: &Path, port: u16, spool: &Path) -> std::path::PathBuf {
    write_config(
        dir,
        &format!(
            "output:
  file:
    enabled: true
    path: {log}
  syslog:
    enabled: true
    network: tcp
    address: 127.0.0.1:{port}
    spool:
      path: {spool}
rules:
  - -a always,exit -F arch=b64 -S execve -F exe={exe}
  - -e 1
raudit:
  state_file: {state}
",
            log = dir.join("audit.log").display(),
            spool = spool.display(),
            exe = dir
                .join(format!("raudit-probe-spool-{}", std::process::id()))
                .display(),
            state = dir.join("state").display(),
        ),
    )
}

/// Waits up to `limit` for `done`.
fn wait_long(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn a_30_s_outage_under_load_loses_nothing_reorders_nothing_and_never_holds_the_file_up() {
    let _guard = rules_common::live();
    let dir = scratch("spool-outage");
    let log = dir.join("audit.log");
    let program = probe_program(&dir, "spool");
    let port = free_port();
    let got: Got = Arc::default();
    let receiver = Receiver::start(port, &got);
    let config = config(&dir, port);
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    // 50 execs a second: 5 s up, 30 s down, 5 s up again.
    const UP: u32 = 250;
    const DOWN: u32 = 1500;
    const EXECS: u32 = UP + DOWN + UP;
    let started = Instant::now();
    // The load runs on its own: raudit must see the receiver's close
    // (before its next write) while the receiver reads to the end.
    let executed = Arc::new(AtomicU32::new(0));
    let load = {
        let program = program.clone();
        let executed = Arc::clone(&executed);
        std::thread::spawn(move || {
            for i in 0..EXECS {
                let at = started + Duration::from_millis(20 * u64::from(i));
                std::thread::sleep(at.saturating_duration_since(Instant::now()));
                exec(&program, "sp", i);
                executed.store(i + 1, Ordering::SeqCst);
            }
        })
    };
    let at = |execs: u32| started + Duration::from_millis(20 * u64::from(execs));
    std::thread::sleep(at(UP).saturating_duration_since(Instant::now()));
    receiver.go_away();
    let down_at = Instant::now();
    let first_down = executed.load(Ordering::SeqCst) + 1;
    std::thread::sleep(at(UP + DOWN - 50).saturating_duration_since(Instant::now()));
    let before_last_second = executed.load(Ordering::SeqCst);
    std::thread::sleep(at(UP + DOWN).saturating_duration_since(Instant::now()));
    // The file got the outage's events while the receiver was away (all
    // but the last second's, which may still be on their way).
    let text = std::fs::read_to_string(&log).unwrap();
    let in_file = markers(&text.lines().map(str::to_owned).collect::<Vec<_>>(), "sp");
    assert!(
        before_last_second > first_down + 1000,
        "the load lagged: {before_last_second}"
    );
    let missing: Vec<u32> = (first_down..before_last_second)
        .filter(|j| !in_file.contains(j))
        .collect();
    assert!(
        missing.is_empty(),
        "the file waited: {} outage events missing at its end: {missing:?}",
        missing.len()
    );
    let outage = down_at.elapsed();
    assert!(outage >= Duration::from_secs(29), "{outage:?}");
    let during = format!("sp-{}-end", first_down + 100);
    assert!(
        got.lock().unwrap().iter().all(|l| !l.contains(&during)),
        "the receiver was away"
    );
    let receiver = Receiver::start(port, &got);
    load.join().unwrap();
    wait_long(
        "every event at the receiver",
        Duration::from_secs(60),
        || {
            let lines = got.lock().unwrap();
            let seen = markers(&lines, "sp");
            (0..EXECS).all(|i| seen.contains(&i))
        },
    );
    std::thread::sleep(Duration::from_millis(1500));
    let status = daemon.stop();
    let stderr = daemon.stderr();
    assert!(status.success(), "exit {status}: {stderr}");
    receiver.go_away();
    let received = markers(&got.lock().unwrap(), "sp");
    let text = std::fs::read_to_string(&log).unwrap();
    let filed = markers(&text.lines().map(str::to_owned).collect::<Vec<_>>(), "sp");
    assert_eq!(filed.len(), EXECS as usize, "the file has each event once");
    let mut once = received.clone();
    once.sort_unstable();
    once.dedup();
    assert_eq!(
        received.len(),
        once.len(),
        "{} duplicates at the receiver",
        received.len() - once.len()
    );
    assert_eq!(once.len(), EXECS as usize, "{stderr}");
    // In order: the receiver's order is the file's.
    assert!(
        received == filed,
        "the receiver's order differs from the file's"
    );
    let stat = |name: &str| last_stat(&stderr, name).unwrap_or_else(|| panic!("{name}: {stderr}"));
    assert!(stat("syslog.spooled") >= u64::from(DOWN) - 100, "{stderr}");
    assert_eq!(stat("syslog.spool_dropped"), 0);
    assert_eq!(stat("syslog.spool_events"), 0);
    assert_eq!(stat("syslog.errors") + stat("syslog.dropped"), 0);
    assert_eq!(stat("file.errors") + stat("file.dropped"), 0);
    assert!(stderr.contains("keeping events in the spool"), "{stderr}");
    assert!(stderr.contains("takes events again"), "{stderr}");
    eprintln!(
        "{}",
        stderr
            .lines()
            .rev()
            .find(|l| l.contains("raudit stats"))
            .unwrap_or("")
    );
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn events_spooled_before_a_restart_are_sent_first_after_it() {
    let _guard = rules_common::live();
    let dir = scratch("spool-restart");
    let log = dir.join("audit.log");
    let program = probe_program(&dir, "spool");
    let port = free_port();
    let config = config(&dir, port);
    // The receiver is not there: the events go to the spool.
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    for i in 0..20 {
        exec(&program, "rs-a", i);
    }
    wait_long(
        "the first events in the file",
        Duration::from_secs(10),
        || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            markers(&text.lines().map(str::to_owned).collect::<Vec<_>>(), "rs-a").len() == 20
        },
    );
    std::thread::sleep(Duration::from_millis(500));
    let status = daemon.stop();
    let first = daemon.stderr();
    assert!(status.success(), "exit {status}: {first}");
    assert!(
        last_stat(&first, "syslog.spool_events").unwrap() >= 20,
        "{first}"
    );
    assert_eq!(last_stat(&first, "syslog.sent"), Some(0), "{first}");
    // The receiver is back, raudit starts again, and new events come.
    let got: Got = Arc::default();
    let receiver = Receiver::start(port, &got);
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    for i in 0..5 {
        exec(&program, "rs-b", i);
    }
    wait_long(
        "every event at the receiver",
        Duration::from_secs(20),
        || {
            let lines = got.lock().unwrap();
            markers(&lines, "rs-a").len() >= 20 && markers(&lines, "rs-b").len() >= 5
        },
    );
    std::thread::sleep(Duration::from_millis(500));
    let status = daemon.stop();
    let second = daemon.stderr();
    assert!(status.success(), "exit {status}: {second}");
    receiver.go_away();
    assert!(second.contains("from before; they go first"), "{second}");
    let lines = got.lock().unwrap();
    assert_eq!(markers(&lines, "rs-a"), (0..20).collect::<Vec<_>>());
    assert_eq!(markers(&lines, "rs-b"), (0..5).collect::<Vec<_>>());
    let last_old = lines.iter().rposition(|l| l.contains("rs-a-")).unwrap();
    let first_new = lines.iter().position(|l| l.contains("rs-b-")).unwrap();
    assert!(
        last_old < first_new,
        "a new event went before a spooled one"
    );
    assert_eq!(
        last_stat(&second, "syslog.spool_events"),
        Some(0),
        "{second}"
    );
    let _ = std::io::stderr().flush();
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn a_reload_moving_the_spool_while_the_receiver_is_down_sends_each_event_once_in_order() {
    let _guard = rules_common::live();
    let dir = scratch("spool-move");
    let log = dir.join("audit.log");
    let program = probe_program(&dir, "spool");
    let port = free_port();
    let (a, b) = (dir.join("spool").join("a"), dir.join("spool").join("b"));
    let config = config_spooling_to(&dir, port, &a);
    let in_file = |tag: &str| {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        markers(&text.lines().map(str::to_owned).collect::<Vec<_>>(), tag).len()
    };
    // The receiver is not there: the events go to spool A.
    let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    daemon.wait_started();
    for i in 0..20 {
        exec(&program, "mv-a", i);
    }
    wait_long("A's events in the file", Duration::from_secs(10), || {
        in_file("mv-a") == 20
    });
    wait_long("A's events spooled", Duration::from_secs(10), || {
        daemon.stderr().contains("keeping events in the spool")
    });
    std::thread::sleep(Duration::from_millis(300));
    // The spool moves to B, the receiver still down.
    config_spooling_to(&dir, port, &b);
    daemon.signal(libc::SIGHUP);
    wait_long("the reload", Duration::from_secs(10), || {
        daemon.stderr().contains(" reloaded: ")
    });
    for i in 0..10 {
        exec(&program, "mv-b", i);
    }
    wait_long("B's events in the file", Duration::from_secs(10), || {
        in_file("mv-b") == 10
    });
    wait_long("the spool moved", Duration::from_secs(10), || {
        daemon.stderr().contains("the spool moved from")
    });
    // The receiver is back.
    let got: Got = Arc::default();
    let receiver = Receiver::start(port, &got);
    wait_long(
        "every event at the receiver",
        Duration::from_secs(20),
        || {
            let lines = got.lock().unwrap();
            markers(&lines, "mv-a").len() >= 20 && markers(&lines, "mv-b").len() >= 10
        },
    );
    std::thread::sleep(Duration::from_millis(500));
    let status = daemon.stop();
    let stderr = daemon.stderr();
    assert!(status.success(), "exit {status}: {stderr}");
    receiver.go_away();
    assert!(
        stderr.contains("needs a restart (not applied): []"),
        "{stderr}"
    );
    let lines = got.lock().unwrap();
    assert_eq!(
        markers(&lines, "mv-a"),
        (0..20).collect::<Vec<_>>(),
        "{stderr}"
    );
    assert_eq!(
        markers(&lines, "mv-b"),
        (0..10).collect::<Vec<_>>(),
        "{stderr}"
    );
    let last_a = lines.iter().rposition(|l| l.contains("mv-a-")).unwrap();
    let first_b = lines.iter().position(|l| l.contains("mv-b-")).unwrap();
    assert!(last_a < first_b, "a newer event went before A's");
    let stat = |name: &str| last_stat(&stderr, name).unwrap_or_else(|| panic!("{name}: {stderr}"));
    assert_eq!(stat("syslog.spool_events"), 0, "{stderr}");
    assert_eq!(stat("syslog.spool_dropped"), 0, "{stderr}");
    assert_eq!(stat("reloads_applied"), 1, "{stderr}");
    // A emptied (its header only): nothing left behind in two places.
    assert_eq!(std::fs::metadata(&a).unwrap().len(), 64);
}

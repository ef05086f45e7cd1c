//! Live: SIGHUP reads the config again without a restart (root only;
//! skipped with a reason otherwise). A changed rule (a new key), a new
//! filter and a new path for the file output apply while raudit runs, a
//! queue change is reported as needing a restart, an invalid config is reported (stderr and a `reload` record)
//! and leaves the running one working, and across it all every event is
//! written once: each probe's event once (none of the filtered ones), no
//! sequence twice, no serial missed. Outputs enabled and disabled live,
//! and outputs needing room beside the lines (GELF's facts, a syslog size
//! limit's cut versions) enabled on a daemon started without them. Holds
//! `/run/raudit-live.lock` and puts the kernel's rules and status back on
//! drop; raudit is a `Child` ended by its pid.

mod daemon_common;
#[path = "../../daemon/tests/rules_common/mod.rs"]
mod rules_common;

use std::io::Read as _;
use std::net::TcpListener;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use daemon_common::{events_with, probe_program, run_probe, scratch, wait_for, Daemon};

const EACH: usize = 15;

fn config(log: &Path, key: &str, filter: bool, extra: &str) -> String {
    let filters = if filter {
        "filters:\n  - syscall: 59\n    message_type: 1309\n    regex: dropme-\n"
    } else {
        ""
    };
    format!(
        "output:\n  file:\n    enabled: true\n    path: {}\nrules:\n  - -a exit,always -F arch=b64 -S execve -k {key}\n  - -e 1\n{filters}{extra}",
        log.display()
    )
}

/// Number of the stats line's `name=N` in the exit line.
fn exit_stat(stderr: &str, name: &str) -> u64 {
    let line = stderr
        .lines()
        .find(|l| l.contains("raudit stats (exit)"))
        .unwrap_or_else(|| panic!("no exit stats: {stderr}"));
    let value = line
        .split_whitespace()
        .find_map(|field| field.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {line}"));
    value.parse().unwrap()
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn sighup_applies_rules_and_filters_and_an_invalid_config_changes_nothing() {
    let _guard = rules_common::live();
    let dir = scratch("reload");
    let path = dir.join("raudit.yaml");
    let (log_a, log_b) = (dir.join("a.log"), dir.join("b.log"));
    std::fs::write(&path, config(&log_a, "reload_a", false, "")).unwrap();
    let program = probe_program(&dir, "reload");
    let mut daemon = Daemon::start(&["-config", path.to_str().unwrap()]);
    daemon.wait_started();
    for i in 0..EACH {
        run_probe(&program, &format!("pre-{i}-end"));
    }
    let read = |log: &Path| std::fs::read_to_string(log).unwrap_or_default();
    wait_for("the events before the reload", || {
        events_with(&read(&log_a), "pre-").len() >= EACH
    });

    // New rule key, a filter, another file; a queue change (needs a restart).
    let queue = "raudit:\n  queue:\n    policy: block\n";
    std::fs::write(&path, config(&log_b, "reload_b", true, queue)).unwrap();
    daemon.signal(libc::SIGHUP);
    wait_for("the reload", || daemon.stderr().contains("reloaded"));
    for i in 0..EACH {
        run_probe(&program, &format!("post-{i}-end"));
        run_probe(&program, &format!("dropme-{i}-end"));
    }

    // Invalid: a rule auditctl would refuse. Nothing changes.
    let invalid = config(&dir.join("c.log"), "reload_c", false, "");
    std::fs::write(&path, invalid.replace("-S execve", "-S no_such_call")).unwrap();
    daemon.signal(libc::SIGHUP);
    wait_for("the refused reload", || {
        daemon.stderr().contains("not reloaded")
    });
    for i in 0..EACH {
        run_probe(&program, &format!("after-{i}-end"));
        run_probe(&program, &format!("dropme-after-{i}-end"));
    }
    wait_for("every probe event", || {
        events_with(&read(&log_b), "after-").len() >= EACH
    });
    let status = daemon.stop();
    let stderr = daemon.stderr();
    assert!(status.success(), "exit {status}: {stderr}");
    let (before, after) = (read(&log_a), read(&log_b));
    assert!(
        !dir.join("c.log").exists(),
        "the invalid config opened nothing"
    );
    let stdout = before.clone() + &after;

    let key_of = |marker: &str| -> String {
        let events = events_with(&stdout, &format!("--marker={marker}"));
        assert_eq!(
            events.len(),
            1,
            "{marker}: written {} times\n{stderr}",
            events.len()
        );
        syscall_key(&events[0])
    };
    for i in 0..EACH {
        assert!(
            before.contains(&format!("pre-{i}-end")),
            "before the reload: a.log"
        );
        assert!(after.contains(&format!("post-{i}-end")), "after it: b.log");
        assert_eq!(key_of(&format!("pre-{i}-end")), "\"reload_a\"");
        assert_eq!(
            key_of(&format!("post-{i}-end")),
            "\"reload_b\"",
            "rule reloaded"
        );
        assert_eq!(
            key_of(&format!("after-{i}-end")),
            "\"reload_b\"",
            "invalid config ignored"
        );
    }
    assert!(
        events_with(&stdout, "dropme-").is_empty(),
        "the new filter drops"
    );
    assert_eq!(exit_stat(&stderr, "filter_drops"), 2 * EACH as u64);
    assert_eq!(exit_stat(&stderr, "reloads_applied"), 1, "{stderr}");
    assert_eq!(exit_stat(&stderr, "reloads_refused"), 1, "{stderr}");

    // Every event once (events complete, and are written, in the order
    // their last record came, not always by serial), none missed.
    let mut sequences: Vec<u64> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|e| e["sequence"].as_u64().unwrap())
        .filter(|&s| s > 0)
        .collect();
    let written = sequences.len();
    sequences.sort_unstable();
    sequences.dedup();
    assert_eq!(sequences.len(), written, "an event was written twice");
    assert_eq!(exit_stat(&stderr, "missed_serials"), 0, "{stderr}");
    assert_eq!(exit_stat(&stderr, "kernel_lost"), 0, "{stderr}");

    // Reported on stderr and in the stream.
    assert!(
        stderr.contains("needs a restart (not applied): [raudit.queue]"),
        "{stderr}"
    );
    let reports = events_with(&stdout, "\"report\":\"reload\"");
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert_eq!(reports[0]["raudit"]["ok"], true);
    let applied = reports[0]["raudit"]["applied"].as_array().unwrap();
    assert!(applied.iter().any(|s| s == "rules") && applied.iter().any(|s| s == "filters"));
    assert_eq!(reports[0]["raudit"]["restart_needed"][0], "raudit.queue");
    assert_eq!(reports[1]["raudit"]["ok"], false);
    let error = reports[1]["raudit"]["error"].as_str().unwrap();
    assert!(error.contains("no_such_call"), "{error}");
}

/// The `key=` of `event`'s SYSCALL record, as written (quoted).
fn syscall_key(event: &serde_json::Value) -> String {
    let syscall = event["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] == 1300)
        .map(|m| m["data"].as_str().unwrap().to_owned())
        .unwrap();
    syscall.split("key=").nth(1).unwrap_or("").to_owned()
}

/// Sequences (above 0: not control records) of the events in `text`, in
/// the order written.
fn sequences(text: &str) -> Vec<u64> {
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|e| e["sequence"].as_u64().unwrap())
        .filter(|&s| s > 0)
        .collect()
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn sighup_enables_an_output_and_later_disables_one_losing_nothing() {
    let _guard = rules_common::live();
    let dir = scratch("reload-outputs");
    let path = dir.join("raudit.yaml");
    let log = dir.join("a.log");
    let file_only = config(&log, "reload_out", false, "");
    std::fs::write(&path, &file_only).unwrap();
    let program = probe_program(&dir, "reload-out");
    let mut daemon = Daemon::start(&["-config", path.to_str().unwrap()]);
    daemon.wait_started();
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    for i in 0..EACH {
        run_probe(&program, &format!("one-{i}-end"));
    }
    wait_for("the events before the first reload", || {
        events_with(&read(), "one-").len() >= EACH
    });

    // stdout added beside the file.
    let both = file_only.replace("output:\n", "output:\n  stdout:\n    enabled: true\n");
    std::fs::write(&path, &both).unwrap();
    daemon.signal(libc::SIGHUP);
    // Said once the receive thread has been handed the new outputs: it
    // takes them before the next records it receives.
    let reloads = |d: &Daemon| d.stderr().matches(" reloaded: ").count();
    wait_for("stdout enabled", || reloads(&daemon) == 1);
    assert!(daemon.stderr().contains("output stdout: enabled"));
    for i in 0..EACH {
        run_probe(&program, &format!("two-{i}-end"));
    }
    wait_for("the events between the reloads in both", || {
        events_with(&read(), "two-").len() >= EACH
            && events_with(&daemon.stdout(), "two-").len() >= EACH
    });

    // The file removed: stdout stays.
    let stdout_only = both.replace(
        &format!("  file:\n    enabled: true\n    path: {}\n", log.display()),
        "",
    );
    assert_ne!(stdout_only, both);
    std::fs::write(&path, &stdout_only).unwrap();
    daemon.signal(libc::SIGHUP);
    wait_for("the file disabled", || reloads(&daemon) == 2);
    assert!(daemon.stderr().contains("output file: disabled"));
    for i in 0..EACH {
        run_probe(&program, &format!("three-{i}-end"));
    }
    wait_for("the events after the second reload", || {
        events_with(&daemon.stdout(), "three-").len() >= EACH
    });
    let status = daemon.stop();
    let stderr = daemon.stderr();
    assert!(status.success(), "exit {status}: {stderr}");
    let (file, stdout) = (read(), daemon.stdout());

    // Each probe's event once in each output that ran when it came.
    for i in 0..EACH {
        for (text, name) in [(&file, "file"), (&stdout, "stdout")] {
            let count = |m: &str| events_with(text, &format!("--marker={m}")).len();
            let one = count(&format!("one-{i}-end"));
            let two = count(&format!("two-{i}-end"));
            let three = count(&format!("three-{i}-end"));
            let expected = if name == "file" { (1, 1, 0) } else { (0, 1, 1) };
            assert_eq!((one, two, three), expected, "{name}, probe {i}\n{stderr}");
        }
    }
    // Neither output wrote an event twice.
    for (text, name) in [(&file, "file"), (&stdout, "stdout")] {
        let mut seen = sequences(text);
        let written = seen.len();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), written, "{name} wrote an event twice");
    }
    // From the moment stdout read the queue until the file stopped, both
    // got the same events: every event the file got after stdout's first
    // is in stdout, and stdout went on after the file's last.
    let in_stdout: std::collections::BTreeSet<u64> = sequences(&stdout).into_iter().collect();
    let first = *in_stdout.first().expect("stdout got events");
    let missing: Vec<u64> = sequences(&file)
        .into_iter()
        .filter(|s| *s >= first && !in_stdout.contains(s))
        .collect();
    assert!(missing.is_empty(), "the file had, stdout not: {missing:?}");
    let last_in_file = sequences(&file).into_iter().max().unwrap();
    assert!(in_stdout.last().copied().unwrap() > last_in_file);
    assert_eq!(exit_stat(&stderr, "missed_serials"), 0, "{stderr}");
    assert_eq!(exit_stat(&stderr, "queue_drops"), 0, "{stderr}");
    assert_eq!(exit_stat(&stderr, "reloads_applied"), 2, "{stderr}");
    // The stats report the outputs that run: stdout, not the file.
    let exit = stderr
        .lines()
        .find(|l| l.contains("raudit stats (exit)"))
        .unwrap();
    assert!(
        exit.contains("stdout.sent=") && !exit.contains("file.sent="),
        "{exit}"
    );
    let reports = events_with(&stdout, "\"report\":\"reload\"");
    assert!(
        reports.iter().all(|r| r["raudit"]["ok"] == true
            && r["raudit"]["restart_needed"].as_array().unwrap().is_empty()),
        "{reports:?}"
    );
}

/// A GELF TCP receiver (as Graylog's GELF TCP input): reads every
/// connection's NUL-ended frames into `messages` until `stop`. Over TCP
/// nothing is lost to a busy host's socket buffer, so a missing message is
/// raudit's.
fn gelf_tcp_receiver(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    messages: Arc<Mutex<Vec<serde_json::Value>>>,
) -> std::thread::JoinHandle<()> {
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let mut conns: Vec<(std::net::TcpStream, Vec<u8>)> = Vec::new();
        let mut buf = vec![0u8; 65536];
        while !stop.load(Ordering::Relaxed) {
            if let Ok((conn, _)) = listener.accept() {
                conn.set_read_timeout(Some(Duration::from_millis(50)))
                    .unwrap();
                conns.push((conn, Vec::new()));
            }
            for (conn, pending) in &mut conns {
                let Ok(n) = conn.read(&mut buf) else { continue };
                pending.extend_from_slice(&buf[..n]);
                while let Some(end) = pending.iter().position(|&b| b == 0) {
                    let frame: Vec<u8> = pending.drain(..=end).collect();
                    let m = serde_json::from_slice(&frame[..end]).unwrap();
                    messages.lock().unwrap().push(m);
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    })
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn sighup_enables_outputs_needing_facts_and_cut_versions_without_a_restart() {
    let _guard = rules_common::live();
    let dir = scratch("reload-side");
    let path = dir.join("raudit.yaml");
    let log = dir.join("a.log");
    let file_only = config(&log, "reload_side", false, "");
    std::fs::write(&path, &file_only).unwrap();
    let gelf = TcpListener::bind("127.0.0.1:0").unwrap();
    let gelf_address = gelf.local_addr().unwrap();
    let stop_gelf = Arc::new(AtomicBool::new(false));
    let gelf_messages = Arc::new(Mutex::new(Vec::<serde_json::Value>::new()));
    let gelf_reader = gelf_tcp_receiver(gelf, Arc::clone(&stop_gelf), Arc::clone(&gelf_messages));
    let gram_path = dir.join("syslog.sock");
    let gram = UnixDatagram::bind(&gram_path).unwrap();
    gram.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let program = probe_program(&dir, "reload-side");
    let mut daemon = Daemon::start(&["-config", path.to_str().unwrap()]);
    daemon.wait_started();
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    for i in 0..EACH {
        run_probe(&program, &format!("before-{i}-end"));
    }
    wait_for("the events before the reload", || {
        events_with(&read(), "before-").len() >= EACH
    });

    // GELF (facts beside each line) and syslog with a small limit (a cut
    // version beside the longer lines): neither ran at start, so the
    // start opened no side room at all.
    let more = format!(
        "output:\n  gelf:\n    enabled: true\n    network: tcp\n    address: {}\n  syslog:\n    enabled: true\n    network: unixgram\n    address: {}\n    max_message_bytes: 1024\n",
        gelf_address,
        gram_path.display()
    );
    std::fs::write(&path, file_only.replace("output:\n", &more)).unwrap();
    // Probes while the reload happens.
    let during = {
        let program = program.clone();
        std::thread::spawn(move || {
            for i in 0..EACH {
                run_probe(&program, &format!("during-{i}-end"));
            }
        })
    };
    daemon.signal(libc::SIGHUP);
    during.join().unwrap();
    wait_for("the reload", || daemon.stderr().contains(" reloaded: "));
    let long = "x".repeat(3000);
    for i in 0..EACH {
        run_probe(&program, &format!("after-{i}-end"));
        run_probe(&program, &format!("long-{i}-{long}-end"));
    }
    wait_for("the events after the reload", || {
        events_with(&read(), "long-").len() >= EACH
    });
    // What GELF and syslog got: GELF until the last probe's message came
    // (or a deadline: what is missing then fails below).
    let last = format!("--marker=long-{}-", EACH - 1);
    let got_last = || {
        gelf_messages.lock().unwrap().iter().any(|m| {
            m["short_message"]
                .as_str()
                .is_some_and(|s| s.contains(&last))
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !got_last() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    stop_gelf.store(true, Ordering::Relaxed);
    gelf_reader.join().unwrap();
    let messages = std::mem::take(&mut *gelf_messages.lock().unwrap());
    let mut datagrams = Vec::new();
    let mut buf = vec![0u8; 65536];
    while let Ok(n) = gram.recv(&mut buf) {
        datagrams.push(buf[..n].to_vec());
    }
    let status = daemon.stop();
    let stderr = daemon.stderr();
    assert!(status.success(), "exit {status}: {stderr}");
    let file = read();

    assert!(
        stderr.contains("needs a restart (not applied): []")
            && !stderr.contains("needs a restart (not applied): [output"),
        "{stderr}"
    );
    assert!(stderr.contains("output gelf: enabled"), "{stderr}");
    assert!(stderr.contains("output syslog: enabled"), "{stderr}");
    assert_eq!(exit_stat(&stderr, "reloads_applied"), 1, "{stderr}");
    // Every probe once in the file, whenever it came.
    for i in 0..EACH {
        for marker in [
            format!("before-{i}-end"),
            format!("during-{i}-end"),
            format!("after-{i}-end"),
            format!("long-{i}-{long}-end"),
        ] {
            let n = events_with(&file, &format!("--marker={marker}")).len();
            assert_eq!(
                n,
                1,
                "{} in the file {n} times\n{stderr}",
                &marker[..12.min(marker.len())]
            );
        }
    }
    let mut seen = sequences(&file);
    let written = seen.len();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), written, "the file wrote an event twice");
    // GELF: each probe after the reload once, with its facts' fields; a
    // probe during it at most once.
    let in_gelf = |marker: &str| -> Vec<&serde_json::Value> {
        messages
            .iter()
            .filter(|m| {
                m["short_message"]
                    .as_str()
                    .is_some_and(|s| s.contains(&format!("--marker={marker}")))
            })
            .collect()
    };
    for i in 0..EACH {
        for marker in [format!("after-{i}-end"), format!("long-{i}-{long}-end")] {
            let got = in_gelf(&marker);
            assert_eq!(got.len(), 1, "probe {i} in GELF\n{stderr}");
            assert_eq!(got[0]["_syscall"], 59, "{}", got[0]);
            assert_eq!(got[0]["_key"], "reload_side", "{}", got[0]);
            assert!(got[0]["_exe"]
                .as_str()
                .unwrap()
                .ends_with(program.file_name().unwrap().to_str().unwrap()));
        }
        assert!(in_gelf(&format!("before-{i}-end")).is_empty());
        assert!(in_gelf(&format!("during-{i}-end")).len() <= 1);
    }
    // syslog: the long probes as marked cut versions within the limit.
    let mut cut = 0;
    for d in &datagrams {
        assert!(d.len() <= 1024, "a datagram of {} bytes", d.len());
        let text = String::from_utf8_lossy(d);
        if text.contains("\"cut\"") {
            cut += 1;
        }
    }
    assert!(
        cut >= EACH,
        "{cut} cut datagrams of {}\n{stderr}",
        datagrams.len()
    );
    assert_eq!(exit_stat(&stderr, "missed_serials"), 0, "{stderr}");
    assert_eq!(exit_stat(&stderr, "queue_drops"), 0, "{stderr}");
}

/// A reload whose rules the kernel refuses in part (a watch on a
/// directory that does not exist: ENOENT) is refused whole, and the
/// kernel is put back as it was: the running config's rule still gives
/// the events its key, not the refused config's (which the kernel had
/// loaded before refusing the watch, deleting the running one's).
#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn a_reload_the_kernel_refuses_in_part_puts_the_kernels_rules_back() {
    let _guard = rules_common::live();
    let dir = scratch("reload-refused");
    let path = dir.join("raudit.yaml");
    let log = dir.join("a.log");
    std::fs::write(&path, config(&log, "kept_a", false, "")).unwrap();
    let program = probe_program(&dir, "refused");
    let mut daemon = Daemon::start(&["-config", path.to_str().unwrap()]);
    daemon.wait_started();

    let watch = "  - -w /nonexistent-raudit-dir/x -p wa\n";
    std::fs::write(&path, config(&log, "refused_b", false, watch)).unwrap();
    daemon.signal(libc::SIGHUP);
    wait_for("the refused reload", || {
        daemon.stderr().contains("not reloaded")
    });
    for i in 0..EACH {
        run_probe(&program, &format!("after-{i}-end"));
    }
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_for("every probe event", || {
        events_with(&read(), "after-").len() >= EACH
    });
    let status = daemon.stop();
    let stderr = daemon.stderr();
    assert!(status.success(), "exit {status}: {stderr}");
    assert!(
        stderr.contains("were put back as they were"),
        "the refusal says the kernel was put back: {stderr}"
    );
    for event in events_with(&read(), "after-") {
        assert_eq!(
            syscall_key(&event),
            "\"kept_a\"",
            "the running config's rule audits on: {event}\n{stderr}"
        );
    }
    assert_eq!(exit_stat(&stderr, "reloads_refused"), 1, "{stderr}");
}

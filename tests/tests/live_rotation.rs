//! Live: the file output's size-based rotation (`output.file.max_bytes`,
//! `keep`) under the running daemon (root only; skipped with a reason
//! otherwise). Probe events spread over many rotated files: every line in
//! every file is whole JSON, every file within the limit, at most `keep`
//! rotated files, and each probe's event in exactly one file. Holds
//! `/run/raudit-live.lock` and puts the kernel's rules and status back on
//! drop; raudit is a `Child` ended by its pid.

mod daemon_common;
#[path = "../../daemon/tests/rules_common/mod.rs"]
mod rules_common;

use daemon_common::{
    events_with, probe_program, run_probe, scratch, wait_for, write_config, Daemon,
};

const PROBES: usize = 60;
const MAX_BYTES: u64 = 8192;
const KEEP: u32 = 40;

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn events_rotate_whole_across_bounded_files() {
    let _guard = rules_common::live();
    let dir = scratch("rotation");
    let log = dir.join("audit.log");
    let config = write_config(
        &dir,
        &format!(
            "output:\n  file:\n    enabled: true\n    path: {}\n    max_bytes: {MAX_BYTES}\n    keep: {KEEP}\nrules:\n  - -a exit,always -F arch=b64 -S execve\n  - -e 1\n",
            log.display()
        ),
    );
    let program = probe_program(&dir, "rotation");
    let mut daemon = Daemon::start(&["-config", config.to_str().unwrap()]);
    daemon.wait_started();
    for i in 0..PROBES {
        run_probe(&program, &format!("rot-{i}-end"));
    }
    let files = || -> Vec<std::path::PathBuf> {
        let mut names = vec![log.clone()];
        names.extend((1..=KEEP + 1).map(|n| dir.join(format!("audit.log.{n}"))));
        names.into_iter().filter(|p| p.exists()).collect()
    };
    let all = || -> String {
        files()
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    };
    // While the daemon runs it may rotate between listing a file and
    // reading it: a file gone by then is read at the next poll.
    let all_so_far = || -> String {
        files()
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    };
    wait_for("every probe event", || {
        events_with(&all_so_far(), "--marker=rot-").len() >= PROBES
    });
    let status = daemon.stop();
    assert!(status.success(), "exit {status}: {}", daemon.stderr());

    let files = files();
    assert!(files.len() > 3, "rotated: {files:?}");
    assert!(
        files.len() <= KEEP as usize + 1,
        "at most {KEEP} kept: {files:?}"
    );
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(text.ends_with('\n'), "{} ends mid-line", file.display());
        assert!(
            text.len() as u64 <= MAX_BYTES || lines.len() == 1,
            "{}: {} bytes in {} lines",
            file.display(),
            text.len(),
            lines.len()
        );
        for line in lines {
            serde_json::from_str::<serde_json::Value>(line)
                .unwrap_or_else(|e| panic!("{}: not whole JSON ({e}): {line}", file.display()));
        }
    }
    let text = all();
    for i in 0..PROBES {
        let n = events_with(&text, &format!("--marker=rot-{i}-end")).len();
        assert_eq!(n, 1, "event {i} written {n} times");
    }
}

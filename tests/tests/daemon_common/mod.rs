//! The harness of the live daemon tests: the raudit binary (built once),
//! a running raudit as a child with its output collected and ended by its
//! pid, each test's scratch directory (removed when dropped), unique probe
//! programs, and waiting helpers.
#![allow(dead_code)]

#[path = "../../scratch_dir.rs"]
mod scratch_dir;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub use scratch_dir::ScratchDir;

/// The daemon binary, built once per test run.
pub fn raudit_binary() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "raudit", "--bin", "raudit"])
            .current_dir(&workspace)
            .status()
            .expect("cargo build runs");
        assert!(status.success(), "building raudit failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("target"));
        target.join("debug").join("raudit")
    })
}

/// The test's own directory, removed when dropped: a test keeps it until
/// the daemons writing into it are gone (declares it before them).
pub fn scratch(name: &str) -> ScratchDir {
    ScratchDir::new(&format!("live-{name}"))
}

/// A running raudit with its stdout and stderr collected.
pub struct Daemon {
    pub child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

pub fn collect(stream: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    text
}

impl Daemon {
    pub fn start(args: &[&str]) -> Daemon {
        let mut child = Command::new(raudit_binary())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("raudit starts");
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        Daemon {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits for the "started processing" line (or exit).
    pub fn wait_started(&mut self) {
        let started = Instant::now();
        while !self.stderr().contains("started processing") {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("raudit exited early ({status}): {}", self.stderr());
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "raudit did not start: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill on the pid of a child we spawned and still own.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(rc, 0, "signalling raudit");
    }

    /// SIGTERM and wait for the exit (killed after 20 s).
    pub fn stop(&mut self) -> ExitStatus {
        self.signal(libc::SIGTERM);
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100)); // readers finish
                return status;
            }
            if started.elapsed() > Duration::from_secs(20) {
                let _ = self.child.kill();
                panic!("raudit did not stop on SIGTERM: {}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A copy of /bin/true under a unique name, so its execve is ours alone.
pub fn probe_program(dir: &Path, tag: &str) -> PathBuf {
    let path = dir.join(format!("raudit-probe-{tag}-{}", std::process::id()));
    std::fs::copy("/bin/true", &path).unwrap();
    path
}

pub fn run_probe(program: &Path, marker: &str) {
    let status = Command::new(program)
        .arg(format!("--marker={marker}"))
        .arg("second-arg")
        .status()
        .unwrap();
    assert!(status.success());
}

/// Events (parsed lines) whose text contains `needle`.
pub fn events_with(text: &str, needle: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| l.contains(needle))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("invalid JSON ({e}): {l}")))
        .collect()
}

pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn write_config(dir: &Path, yaml: &str) -> PathBuf {
    let path = dir.join("raudit.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

pub fn which(name: &str) -> Result<PathBuf, ()> {
    for dir in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return Ok(path);
        }
    }
    Err(())
}

/// The value of `name=` (`events`, `syslog.sent`, …) in the last stats line
/// on `stderr` (a `log.flags` prefix may come before it).
pub fn last_stat(stderr: &str, name: &str) -> Option<u64> {
    let line = stderr.lines().rev().find(|l| l.contains("raudit stats"))?;
    let prefix = format!("{name}=");
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&prefix))
        .and_then(|v| v.parse().ok())
}

//! One daemon at a time, decided before anything is touched: a second
//! raudit must be refused before it opens, creates or changes any output,
//! state or stats file (it used to chmod the live output file, then be
//! refused). Two checks, both before the outputs open: the kernel's audit
//! pid (held by another live process: refused unless `takeover`), and an
//! exclusive `flock` on `STATE_FILE.lock` (held by another raudit, even one
//! that has not claimed the pid yet). The lock file holds the holder's pid
//! for the message; the lock goes with the process, even after `kill -9`.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::netlink::AuditStatus;
use crate::sys::poll::try_lock_exclusive;
use crate::sys::process;

use super::audit_pid::{process_name, ClaimError};
use super::StartError;

/// The held instance lock; released when dropped (or the process ends).
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

/// The lock file of a state file: `STATE.lock` beside it.
pub fn lock_path(state_file: &Path) -> PathBuf {
    let mut path = state_file.as_os_str().to_owned();
    path.push(".lock");
    PathBuf::from(path)
}

/// Refuses when another live process holds the audit pid and `takeover`
/// is off (the same words as a refused claim). A live process with the
/// pid's number is not enough: the kernel keeps a daemon's pid after it
/// died, until it next fails to send to it, and the number may be another
/// process's by then; `healthy` asks the kernel whether its daemon's
/// socket still answers ([`super::audit_pid::holder_is_healthy`]).
pub fn check_audit_pid(
    status: &AuditStatus,
    takeover: bool,
    healthy: impl FnOnce() -> bool,
) -> Result<(), StartError> {
    let me = std::process::id();
    let holder = status.pid;
    if takeover || holder == 0 || holder == me || !process::process_alive(holder) || !healthy() {
        return Ok(());
    }
    let refused = ClaimError::HeldBy {
        pid: holder,
        name: process_name(holder),
    };
    Err(StartError(refused.to_string()))
}

/// Takes the instance lock beside `state_file` (its directory created if
/// missing). Held by another raudit: refused, or with `takeover` that
/// raudit is asked to terminate and given `grace` to let go.
pub fn take(
    state_file: &Path,
    takeover: bool,
    grace: Duration,
) -> Result<InstanceLock, StartError> {
    let path = lock_path(state_file);
    let fail =
        |what: &str, e: std::io::Error| StartError(format!("{what} {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)
            .map_err(|e| fail("creating the directory of", e))?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC)
        .open(&path)
        .map_err(|e| fail("opening the lock file", e))?;
    let started = Instant::now();
    let mut asked = false;
    while !try_lock_exclusive(&file).map_err(|e| fail("locking", e))? {
        let holder = holder_pid(&mut file);
        if !takeover {
            let who = holder.map_or_else(String::new, |pid| format!(" (pid {pid})"));
            return Err(StartError(format!(
                "another raudit{who} is running: it holds {}; stop it first, or set raudit.takeover: true",
                path.display()
            )));
        }
        if !asked {
            asked = true;
            if let Some(pid) = holder.filter(|&p| p != std::process::id()) {
                eprintln!("raudit: taking over from raudit pid {pid}: sending it SIGTERM");
                let _ = process::terminate(pid);
            }
        }
        if started.elapsed() >= grace {
            return Err(StartError(format!(
                "the raudit holding {} did not stop within {grace:?}",
                path.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // Ours: note our pid for the next one's message.
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = writeln!(file, "{}", std::process::id());
    Ok(InstanceLock { _file: file })
}

/// The pid written in the lock file by its holder.
fn holder_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch_dir::ScratchDir;

    #[test]
    fn a_second_lock_is_refused_and_names_the_holder() {
        let dir = ScratchDir::new("instance");
        let state = dir.join("sub").join("state");
        let first = take(&state, false, Duration::ZERO).expect("first lock");
        let written = std::fs::read_to_string(lock_path(&state)).unwrap();
        assert_eq!(written.trim(), std::process::id().to_string());
        let second = take(&state, false, Duration::ZERO).unwrap_err();
        assert!(
            second
                .0
                .contains(&format!("another raudit (pid {})", std::process::id())),
            "{second}"
        );
        drop(first);
        take(&state, false, Duration::ZERO).expect("free again");
    }

    #[test]
    fn a_live_holder_of_the_audit_pid_is_refused_unless_taking_over() {
        let me = std::process::id();
        // Our parent (the test runner's) is alive and not us.
        let parent = std::os::unix::process::parent_id();
        let held = AuditStatus {
            pid: parent,
            ..AuditStatus::default()
        };
        let healthy = || true;
        let refused = check_audit_pid(&held, false, healthy).unwrap_err();
        assert!(
            refused.0.contains(&format!("held by process {parent}")),
            "{refused}"
        );
        assert!(check_audit_pid(&held, true, healthy).is_ok());
        let ours = AuditStatus {
            pid: me,
            ..AuditStatus::default()
        };
        assert!(check_audit_pid(&ours, false, healthy).is_ok());
        assert!(check_audit_pid(&AuditStatus::default(), false, healthy).is_ok());
        // A dead daemon's pid, its number now a live process's: the
        // kernel's socket test says so, and nothing is refused.
        assert!(check_audit_pid(&held, false, || false).is_ok());
    }
}

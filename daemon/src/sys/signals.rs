//! Signal handlers that only set flags: `SIGTERM`/`SIGINT` ask for shutdown,
//! `SIGHUP`/`SIGUSR1` ask the outputs to reopen their files, and `SIGHUP`
//! also asks for the config to be read again (see `daemon::reload`). Installed with
//! `sigaction` *without* `SA_RESTART`, so a blocking `recvmmsg` returns
//! `EINTR` and the receive loop looks at the flags at once.
//!
//! The handlers touch nothing but atomics (async-signal-safe).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

static SHUTDOWN: AtomicBool = AtomicBool::new(false);
static REOPEN: AtomicBool = AtomicBool::new(false);
static RELOAD: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(signal: libc::c_int) {
    match signal {
        libc::SIGTERM | libc::SIGINT => SHUTDOWN.store(true, Ordering::SeqCst),
        libc::SIGHUP => {
            RELOAD.store(true, Ordering::SeqCst);
            REOPEN.store(true, Ordering::SeqCst);
        }
        libc::SIGUSR1 => REOPEN.store(true, Ordering::SeqCst),
        _ => {}
    }
}

/// Installs the flag-setting handlers for SIGTERM, SIGINT, SIGHUP, SIGUSR1.
pub fn install() -> io::Result<()> {
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGUSR1] {
        // SAFETY: sigaction is plain old data; all-zero is a valid value
        // (empty mask, no flags) before we fill in the handler.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = 0; // no SA_RESTART: blocking calls return EINTR
                             // SAFETY: `action.sa_mask` is a valid sigset_t owned by us.
        unsafe { libc::sigemptyset(&mut action.sa_mask) };
        // SAFETY: `action` is fully initialised and outlives the call; the
        // handler only stores to atomics, which is async-signal-safe; a null
        // old-action pointer is allowed.
        let rc = unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Puts `SIGPIPE` back to its default (end the process), which Rust's
/// runtime ignores: for the commands that only print (`check-config`,
/// `rules check|compile|list`, `status`), so `| head` ends them quietly,
/// as it ends any Unix tool, instead of a panic on the closed pipe. Never
/// for the daemon (its sockets report EPIPE as an error to handle) nor
/// for commands that change the kernel's state.
pub fn default_sigpipe() -> io::Result<()> {
    set_disposition(libc::SIGPIPE, libc::SIG_DFL)
}

/// Ignores SIGUSR1 (whose default action terminates) until [`install`]
/// gives it its meaning: logrotate's `postrotate` may fall back to
/// `pkill -USR1 -x raudit`, which also reaches a replay or any other
/// one-shot command, and a daemon still starting. Called first thing in
/// `main`.
pub fn ignore_reopen_signal() -> io::Result<()> {
    set_disposition(libc::SIGUSR1, libc::SIG_IGN)
}

/// Sets `signal` to `SIG_DFL` or `SIG_IGN`: no handler of ours.
fn set_disposition(signal: libc::c_int, disposition: libc::sighandler_t) -> io::Result<()> {
    // SAFETY: sigaction is plain old data; all-zero is a valid value
    // (empty mask, no flags) before we set the disposition.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = disposition;
    // SAFETY: `action` is fully initialised and outlives the call;
    // SIG_DFL and SIG_IGN run no code of ours; a null old-action pointer
    // is allowed.
    let rc = unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// True once SIGTERM or SIGINT arrived (stays true).
pub fn shutdown_requested() -> bool {
    SHUTDOWN.load(Ordering::SeqCst)
}

/// Asks for shutdown from inside the process (tests, fatal setup errors).
pub fn request_shutdown() {
    SHUTDOWN.store(true, Ordering::SeqCst);
}

/// True if SIGHUP or SIGUSR1 arrived since the last call (clears the flag).
pub fn take_reopen() -> bool {
    REOPEN.swap(false, Ordering::SeqCst)
}

/// Asks the outputs to reopen (as SIGHUP would).
pub fn request_reopen() {
    REOPEN.store(true, Ordering::SeqCst);
}

/// True if SIGHUP arrived since the last call (clears the flag).
pub fn take_reload() -> bool {
    RELOAD.swap(false, Ordering::SeqCst)
}

/// Asks for the config to be read again (as SIGHUP would, without the
/// reopen).
pub fn request_reload() {
    RELOAD.store(true, Ordering::SeqCst);
}

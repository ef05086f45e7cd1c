//! What signals mean to raudit: `SIGTERM`/`SIGINT` stop receiving, complete
//! every in-flight event, drain the queue, release the audit pid and exit 0;
//! `SIGHUP`/`SIGUSR1` reopen the outputs (logrotate), each output thread
//! once; `SIGHUP` (`systemctl reload`) also reads the config again and
//! applies what can change live (see [`crate::daemon::reload`]). The handlers (in [`crate::sys::signals`]) only set flags; the
//! receive loop and the output threads look at them.

use std::sync::atomic::{AtomicU64, Ordering};

pub use crate::sys::signals::{
    default_sigpipe, ignore_reopen_signal, install, request_reload, request_reopen,
    request_shutdown, shutdown_requested, take_reload, take_reopen,
};

/// Reopen requests seen so far (by any thread).
static REOPENS: AtomicU64 = AtomicU64::new(0);

/// A number that changes each time SIGHUP or SIGUSR1 arrives: every output
/// thread compares it with the one it saw last, so each reopens once per
/// signal (the handler's flag is taken by whichever thread looks first and
/// turned into a new generation for all).
pub fn reopen_generation() -> u64 {
    if take_reopen() {
        REOPENS.fetch_add(1, Ordering::SeqCst);
    }
    REOPENS.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_output_thread_sees_each_reopen_request_once() {
        let before = reopen_generation();
        request_reopen();
        // Whichever thread looks first turns the flag into a generation;
        // every other thread sees the same one.
        let seen: Vec<u64> = (0..3)
            .map(|_| std::thread::spawn(reopen_generation))
            .map(|t| t.join().unwrap())
            .collect();
        assert!(seen.iter().all(|&g| g > before && g == seen[0]), "{seen:?}");
        assert_eq!(reopen_generation(), seen[0], "no second reopen");
    }
}

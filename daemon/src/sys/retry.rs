//! [`retry_if_interrupted`]: a libc call repeated while a signal interrupts
//! it (`EINTR`), as quinn-udp and std's own `cvt_r` do, so no call site
//! writes its own loop. raudit's signal handlers are installed without
//! `SA_RESTART` (see [`super::signals`]), so a blocking call can return
//! `EINTR` at any time; calls that must report the interruption instead
//! (the receive loop's `recvmmsg`, which then looks at the signal flags)
//! do not use this.

use std::io;

/// A libc return value that says failure (then `errno` says why) by being
/// negative: `int` and `ssize_t` returns.
pub trait Returned: Copy {
    /// True when the call failed.
    fn failed(self) -> bool;
}

impl Returned for libc::c_int {
    fn failed(self) -> bool {
        self < 0
    }
}

impl Returned for libc::ssize_t {
    fn failed(self) -> bool {
        self < 0
    }
}

/// Calls `call` until it does not fail with `EINTR`; its result when it
/// succeeds, `errno` as the error when it fails otherwise.
pub fn retry_if_interrupted<R: Returned>(mut call: impl FnMut() -> R) -> io::Result<R> {
    loop {
        let rc = call();
        if !rc.failed() {
            return Ok(rc);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_errno(errno: i32) {
        // SAFETY: __errno_location returns this thread's errno, always valid.
        unsafe { *libc::__errno_location() = errno };
    }

    #[test]
    fn interrupted_calls_run_again_and_other_failures_return() {
        let mut calls = 0;
        let rc = retry_if_interrupted(|| {
            calls += 1;
            if calls < 3 {
                set_errno(libc::EINTR);
                -1
            } else {
                7 as libc::c_int
            }
        });
        assert_eq!((rc.unwrap(), calls), (7, 3));
        let err = retry_if_interrupted(|| {
            set_errno(libc::EAGAIN);
            -1 as libc::ssize_t
        })
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }
}

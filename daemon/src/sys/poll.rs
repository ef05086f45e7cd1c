//! Waiting for a socket to become readable (`poll`) and advisory file locks
//! (`flock`, blocking or not): the small libc calls the request/reply and live-test code needs
//! beside the socket itself.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use super::retry::retry_if_interrupted;

/// Waits up to `timeout` for `fd` to have data. Returns false on timeout.
/// Retries on `EINTR` with the full timeout again (a request waits a little
/// longer rather than failing early).
pub fn wait_readable(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<bool> {
    let millis = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `pfd` is one valid pollfd for the duration of the call and
    // the count passed is 1.
    let ready = retry_if_interrupted(|| unsafe { libc::poll(&mut pfd, 1, millis) })?;
    Ok(ready > 0)
}

/// Takes an exclusive advisory lock on `file` (`flock(LOCK_EX)`), blocking
/// until it is free. The lock is released when the file is closed.
pub fn lock_exclusive(file: &File) -> io::Result<()> {
    // SAFETY: plain syscall on a valid, open fd owned by `file`.
    retry_if_interrupted(|| unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) })?;
    Ok(())
}

/// Tries to take an exclusive advisory lock on `file` without waiting
/// (`flock(LOCK_EX | LOCK_NB)`): false when another open file holds it.
pub fn try_lock_exclusive(file: &File) -> io::Result<bool> {
    // SAFETY: plain syscall on a valid, open fd owned by `file`.
    match retry_if_interrupted(|| unsafe {
        libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB)
    }) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether the peer of a connected stream socket has closed or reset it
/// (`poll` with no wait: `POLLRDHUP`, `POLLHUP` or `POLLERR`), so a write
/// now would go into a connection nobody reads.
pub fn peer_closed(fd: BorrowedFd<'_>) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: `pfd` is one valid pollfd for the duration of the call and
    // the count passed is 1; a zero timeout never blocks.
    let rc = retry_if_interrupted(|| unsafe { libc::poll(&mut pfd, 1, 0) })?;
    let closed = libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR;
    Ok(rc > 0 && pfd.revents & closed != 0)
}

//! Questions about other processes: is a pid alive, and (for the explicit
//! audit-pid takeover only) asking it to terminate.

use std::io;

/// Whether process `pid` exists (`kill(pid, 0)`; EPERM still means alive).
/// Lowers the calling thread's nice value by `boost` (threads started
/// afterwards inherit it). Needs `CAP_SYS_NICE` to go below 0.
pub fn raise_priority(boost: u32) -> io::Result<()> {
    let boost = boost.min(40) as libc::c_int;
    // SAFETY: plain syscalls with integer arguments. getpriority can return
    // -1 legitimately, so errno is cleared first and checked after.
    unsafe {
        *libc::__errno_location() = 0;
        let current = libc::getpriority(libc::PRIO_PROCESS, 0);
        if current == -1 && *libc::__errno_location() != 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::setpriority(libc::PRIO_PROCESS, 0, current - boost) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 performs only the existence and permission check.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Sends SIGTERM to `pid` (used only when the config asks to take the audit
/// pid over from another daemon).
pub fn terminate(pid: u32) -> io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::ErrorKind::InvalidInput)?;
    if pid <= 0 {
        return Err(io::ErrorKind::InvalidInput.into());
    }
    // SAFETY: kill with a positive pid and a valid signal number has no
    // memory-safety preconditions.
    let rc = unsafe { libc::kill(pid, libc::SIGTERM) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(0));
    }
}

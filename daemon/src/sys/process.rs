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

/// Returns the allocator's free pages to the kernel (`malloc_trim`).
pub fn release_free_memory() {
    // SAFETY: malloc_trim only touches the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Drops this process's resident pages of its own executable's code and
/// read-only data (start-up code: CLI, YAML, rules, regex compilation),
/// so the steady state keeps resident only the code it runs; those pages
/// fault back in from the page cache when used. Only mappings that are
/// never written qualify: the executable's `r-xp` ones and its `r--p`
/// one at file offset 0; the RELRO mapping (written by the dynamic loader,
/// then made read-only, at a non-zero offset) is left alone. Returns the
/// bytes advised.
pub fn release_startup_code() -> io::Result<usize> {
    let exe = std::fs::read_link("/proc/self/exe")?;
    let maps = std::fs::read_to_string("/proc/self/maps")?;
    let mut released = 0;
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms), Some(offset)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let path = fields.nth(2).unwrap_or("");
        let never_written =
            perms == "r-xp" || (perms == "r--p" && offset.trim_start_matches('0').is_empty());
        if !never_written || std::path::Path::new(path) != exe {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (
            usize::from_str_radix(start, 16),
            usize::from_str_radix(end, 16),
        ) else {
            continue;
        };
        let len = end.saturating_sub(start);
        // SAFETY: [start, end) is one of our own mappings as the kernel lists
        // it, private, file-backed and never written (see above): dropping
        // its pages only makes later accesses re-read them from the file.
        let rc = unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_DONTNEED) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        released += len;
    }
    Ok(released)
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

//! The process and its threads: priority (nice), memory released after
//! start-up, and questions about other processes (is a pid alive, and, for
//! the explicit audit-pid takeover only, asking it to terminate).

use std::io;

/// Lowers the calling thread's nice value by `boost` (threads started
/// afterwards inherit it). Needs `CAP_SYS_NICE` to go below 0.
pub fn raise_priority(boost: u32) -> io::Result<()> {
    change_nice(-(boost.min(40) as libc::c_int))
}

/// Raises the calling thread's nice value by `by` (it yields the CPU to
/// the others when they compete); needs no privilege.
pub fn lower_priority(by: u32) -> io::Result<()> {
    change_nice(by.min(40) as libc::c_int)
}

/// Asks the scheduler to give the calling thread short turns: with EEVDF
/// (Linux 6.12 and later) a thread whose slice is shorter gets an earlier
/// deadline, so when it wakes it preempts a thread on a long slice instead
/// of waiting for that slice to end. Its share of the CPU (its nice value)
/// is unchanged; the kernel clamps `slice` to 0.1–100 ms. Older kernels
/// ignore the request (their `sched_setattr` takes no slice for ordinary
/// threads) or refuse it; either way the thread runs as before.
pub fn ask_short_slice(slice: std::time::Duration) -> io::Result<()> {
    let nice = current_nice()?;
    let attr = libc::sched_attr {
        size: std::mem::size_of::<libc::sched_attr>() as u32,
        sched_policy: libc::SCHED_OTHER as u32,
        sched_flags: 0,
        sched_nice: nice,
        sched_priority: 0,
        sched_runtime: u64::try_from(slice.as_nanos()).unwrap_or(u64::MAX),
        sched_deadline: 0,
        sched_period: 0,
    };
    // SAFETY: sched_setattr reads `attr.size` bytes from a live, initialised
    // struct of that size; pid 0 is the calling thread, flags 0.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_sched_setattr,
            0,
            &attr as *const libc::sched_attr,
            0,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Adds `delta` to the calling thread's nice value (Linux keeps one per
/// thread; the kernel clamps it to -20..=19).
fn change_nice(delta: libc::c_int) -> io::Result<()> {
    let current = current_nice()?;
    // SAFETY: a plain syscall with integer arguments.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, current + delta) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The calling thread's nice value.
fn current_nice() -> io::Result<libc::c_int> {
    // SAFETY: getpriority takes integers; it can return -1 legitimately,
    // so errno is cleared first and checked after.
    unsafe {
        *libc::__errno_location() = 0;
        let current = libc::getpriority(libc::PRIO_PROCESS, 0);
        if current == -1 && *libc::__errno_location() != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(current)
    }
}

/// This process's effective uid.
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid takes no arguments and cannot fail.
    unsafe { libc::geteuid() }
}

/// The host's physical memory in bytes (`sysconf`), 0 if unknown.
pub fn physical_memory() -> u64 {
    // SAFETY: sysconf takes an integer name and has no preconditions.
    let (pages, page_size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    match (u64::try_from(pages), u64::try_from(page_size)) {
        (Ok(pages), Ok(size)) => pages.saturating_mul(size),
        _ => 0,
    }
}

/// Returns the allocator's free pages to the kernel (`malloc_trim`).
pub fn release_free_memory() {
    // SAFETY: malloc_trim only touches the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Drops this process's resident pages of code and read-only data that
/// were only needed at start (CLI, YAML, rules, regex compilation, the
/// dynamic loader's and libc's start-up paths), so the steady state keeps
/// resident only the code it runs; those pages fault back in from the page
/// cache when used. Only file-backed private mappings that were never
/// written qualify: `r-xp`, or `r--p`, and in both cases no anonymous
/// (copied-on-write) page in `/proc/self/smaps`, so a RELRO mapping
/// (written by the dynamic loader, then made read-only) is left alone.
/// Returns the bytes advised.
pub fn release_startup_code() -> io::Result<usize> {
    let smaps = std::fs::read_to_string("/proc/self/smaps")?;
    let mut released = 0;
    for mapping in never_written_file_mappings(&smaps) {
        let (start, end) = mapping;
        // SAFETY: [start, end) is one of our own mappings as the kernel lists
        // it, private, file-backed and never written (no anonymous page):
        // dropping its pages only makes later accesses re-read them from
        // the file.
        let rc =
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        released += end - start;
    }
    Ok(released)
}

/// The `[start, end)` ranges in a `/proc/PID/smaps` text of private,
/// file-backed, read-only or read-execute mappings with no anonymous page.
fn never_written_file_mappings(smaps: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut candidate: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        if let Some(anonymous) = line.strip_prefix("Anonymous:") {
            let none = anonymous.trim() == "0 kB";
            if let (Some(range), true) = (candidate.take(), none) {
                found.push(range);
            }
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (
            usize::from_str_radix(start, 16),
            usize::from_str_radix(end, 16),
        ) else {
            continue; // an attribute line such as "Rss: 4 kB"
        };
        // A mapping header: range perms offset dev inode path.
        let path = fields.nth(3).unwrap_or("");
        let read_only = perms == "r-xp" || perms == "r--p";
        candidate = (read_only && path.starts_with('/') && end > start).then_some((start, end));
    }
    found
}

/// The target of the symbolic link `path` (`/proc/PID/exe`) copied into
/// `out`; `None` when unreadable or longer than `out`. No allocation.
pub fn read_link(path: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut c_path = [0u8; 64];
    let room = c_path.get_mut(..path.len())?;
    room.copy_from_slice(path);
    if path.contains(&0) || path.len() >= c_path.len() {
        return None;
    }
    // SAFETY: `c_path` is NUL-terminated (zeroed beyond `path`, which has
    // no NUL and is shorter than the buffer); readlink writes at most
    // `out.len()` bytes into `out`, a live buffer of that size.
    let n = unsafe {
        libc::readlink(
            c_path.as_ptr().cast::<libc::c_char>(),
            out.as_mut_ptr().cast::<libc::c_char>(),
            out.len(),
        )
    };
    let n = usize::try_from(n).ok()?;
    // A target filling the buffer may have been cut.
    (n < out.len()).then_some(n)
}

/// Whether process `pid` exists (`kill(pid, 0)`; EPERM still means alive).
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
    fn only_never_written_file_mappings_are_released() {
        let smaps = "\
55d0a0000000-55d0a0010000 r--p 00000000 fe:01 123 /usr/sbin/raudit
Rss:                  64 kB
Anonymous:             0 kB
55d0a0010000-55d0a0020000 r-xp 00010000 fe:01 123 /usr/sbin/raudit
Anonymous:             0 kB
55d0a0020000-55d0a0022000 r--p 00020000 fe:01 123 /usr/sbin/raudit
Anonymous:             8 kB
55d0a0022000-55d0a0023000 rw-p 00022000 fe:01 123 /usr/sbin/raudit
Anonymous:             4 kB
7f0000000000-7f0000001000 r--p 00000000 00:00 0 
Anonymous:             0 kB
7f0000001000-7f0000002000 r-xp 00000000 00:00 0 [vdso]
Anonymous:             0 kB
7f0000002000-7f0000004000 r-xp 00028000 fe:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6
Anonymous:             0 kB
";
        assert_eq!(
            never_written_file_mappings(smaps),
            vec![
                (0x55d0a0000000, 0x55d0a0010000),
                (0x55d0a0010000, 0x55d0a0020000),
                (0x7f0000002000, 0x7f0000004000),
            ]
        );
    }

    #[test]
    fn this_process_is_alive() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(0));
    }
}

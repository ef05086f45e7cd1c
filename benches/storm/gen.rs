//! storm-gen: the audit storm load generator.
//!
//! Forks P processes that each call `getppid` (cheap, never cached by libc,
//! and audited by the benchmark's rule) in a loop until a deadline, optionally
//! paced to a total rate. Every call is timed, so the report shows how long
//! the kernel made the audited processes wait when the audit backlog was full
//! (`audit_log_start` sleeps up to `backlog_wait_time` there).
//!
//! ```text
//! storm-gen [-p PROCS] [-d SECONDS] [-r TOTAL_CALLS_PER_S] [-x ARG_BYTES]
//! ```
//!
//! `-x ARG_BYTES`: large events instead. Each process forks and execs
//! storm-gen itself (`/proc/self/exe --exit ARG`, which exits at once) with
//! one argument of that many bytes, and waits for it, in a loop: every call
//! is an audited execve whose EXECVE records hold the argument hex encoded
//! (the storm's `large64k` scenario, with a rule on execve of storm-gen).
//!
//! Prints one line of `key=value` pairs: `syscalls elapsed_s rate procs
//! mean_ns p50_ns p99_ns p999_ns max_ns slow_s` where `slow_s` is the total
//! time (summed over processes) spent in calls that took longer than 1 ms.

use std::process::exit;
use std::time::{Duration, Instant};

/// Log-linear latency histogram: 8 buckets per power of two (≤ 12.5% error),
/// values in ns up to ~2^40 (18 minutes).
const SUB: u32 = 8;
const BUCKETS: usize = 8 * 40;
/// A call slower than this counts as "made to wait" in `slow_s`.
const SLOW_NS: u64 = 1_000_000;
/// Paced mode sleeps at most once per this many calls.
const PACE_BATCH: u64 = 16;

#[repr(C)]
struct Stats {
    calls: u64,
    elapsed_ns: u64,
    sum_ns: u64,
    slow_ns: u64,
    max_ns: u64,
    hist: [u64; BUCKETS],
}

fn bucket(v: u64) -> usize {
    if v < 2 * SUB as u64 {
        return v as usize;
    }
    let top = 63 - v.leading_zeros(); // index of the highest set bit, ≥ 4
    let shift = top - 3;
    let idx = (shift + 1) * SUB + ((v >> shift) as u32 & (SUB - 1));
    (idx as usize).min(BUCKETS - 1)
}

/// Lower bound of a bucket, for reporting percentiles.
fn bucket_floor(idx: usize) -> u64 {
    if idx < 2 * SUB as usize {
        return idx as u64;
    }
    let shift = idx as u32 / SUB - 1;
    ((SUB + idx as u32 % SUB) as u64) << shift
}

fn usage() -> ! {
    eprintln!("usage: storm-gen [-p procs] [-d seconds] [-r total_calls_per_s]");
    exit(2)
}

fn arg<T: std::str::FromStr>(v: Option<String>) -> T {
    v.and_then(|s| s.parse().ok()).unwrap_or_else(|| usage())
}

/// What each timed call does.
#[derive(Clone, Copy)]
enum Call<'a> {
    Getppid,
    /// fork, exec ourselves with these argv pointers, wait.
    Exec(&'a [*const libc::c_char]),
}

fn call(what: Call<'_>) {
    match what {
        // SAFETY: getppid takes no arguments and cannot fail.
        Call::Getppid => unsafe {
            libc::syscall(libc::SYS_getppid);
        },
        Call::Exec(argv) => {
            // SAFETY: fork in a single-threaded child; the grandchild only
            // calls execv (argv is NULL-terminated, its strings live in the
            // parent's memory, copied by fork) and _exit.
            unsafe {
                let pid = libc::fork();
                if pid == 0 {
                    libc::execv(c"/proc/self/exe".as_ptr(), argv.as_ptr());
                    libc::_exit(127);
                }
                if pid > 0 {
                    let mut status = 0;
                    libc::waitpid(pid, &mut status, 0);
                }
            }
        }
    }
}

fn run_child(st: &mut Stats, dur: Duration, per_proc_rate: f64, what: Call<'_>) {
    let start = Instant::now();
    let end = start + dur;
    // An exec is slow: pace and count one at a time.
    let batch = match what {
        Call::Getppid => PACE_BATCH,
        Call::Exec(_) => 1,
    };
    loop {
        for _ in 0..batch {
            let t0 = Instant::now();
            call(what);
            let ns = t0.elapsed().as_nanos() as u64;
            st.hist[bucket(ns)] += 1;
            st.sum_ns += ns;
            st.max_ns = st.max_ns.max(ns);
            if ns > SLOW_NS {
                st.slow_ns += ns;
            }
        }
        st.calls += batch;
        let now = Instant::now();
        if now >= end {
            break;
        }
        if per_proc_rate > 0.0 {
            let due = start + Duration::from_secs_f64(st.calls as f64 / per_proc_rate);
            if due > now {
                std::thread::sleep((due - now).min(end - now));
            }
        }
    }
    st.elapsed_ns = start.elapsed().as_nanos() as u64;
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--exit") {
        exit(0); // one of our own large execs
    }
    let (mut procs, mut dur, mut rate, mut exec_bytes) = (1usize, 10.0f64, 0.0f64, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-p" => procs = arg(args.next()),
            "-d" => dur = arg(args.next()),
            "-r" => rate = arg(args.next()),
            "-x" => exec_bytes = Some(arg::<usize>(args.next())),
            _ => usage(),
        }
    }
    // The argv of the large execs: built before forking, read by the
    // children (copied by fork).
    let large = exec_bytes.map(|n| std::ffi::CString::new(vec![b'a'; n]).unwrap_or_default());
    let argv: Vec<*const libc::c_char> = match &large {
        Some(arg) => vec![
            c"storm-gen".as_ptr(),
            c"--exit".as_ptr(),
            arg.as_ptr(),
            std::ptr::null(),
        ],
        None => Vec::new(),
    };
    let what = if large.is_some() {
        Call::Exec(&argv)
    } else {
        Call::Getppid
    };
    if procs == 0 || dur.is_nan() || dur <= 0.0 || rate < 0.0 {
        usage();
    }
    let size = procs * std::mem::size_of::<Stats>();
    // SAFETY: a fresh anonymous shared mapping, zero-filled; the children
    // write their own slot and the parent reads them after waiting for all.
    let shared = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if shared == libc::MAP_FAILED {
        eprintln!("mmap: {}", std::io::Error::last_os_error());
        exit(1);
    }
    let slots = shared as *mut Stats;
    let parent = std::process::id() as libc::pid_t;
    let mut children = Vec::with_capacity(procs);
    for i in 0..procs {
        // SAFETY: single-threaded here; the child only computes and _exits.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            eprintln!("fork: {}", std::io::Error::last_os_error());
            exit(1);
        }
        if pid == 0 {
            // SAFETY: prctl/getppid/_exit are async-signal-safe; slot i is
            // this child's alone and lies inside the mapping.
            unsafe {
                // Die with the parent: the driver stops only the pid it started.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                run_child(
                    &mut *slots.add(i),
                    Duration::from_secs_f64(dur),
                    rate / procs as f64,
                    what,
                );
                libc::_exit(0);
            }
        }
        children.push(pid);
    }
    let mut failed = false;
    for pid in children {
        let mut status = 0;
        // SAFETY: waiting for our own child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        failed |= !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0;
    }
    // SAFETY: all children have exited; the mapping holds `procs` Stats.
    let all = unsafe { std::slice::from_raw_parts(slots, procs) };
    let mut hist = [0u64; BUCKETS];
    let (mut calls, mut sum, mut slow, mut max, mut elapsed) = (0u64, 0u64, 0u64, 0u64, 0u64);
    for s in all {
        // +1: the child's own getppid() check before its loop is audited too
        // (not in exec mode, where only execve is)
        calls += s.calls + u64::from(large.is_none());
        sum += s.sum_ns;
        slow += s.slow_ns;
        max = max.max(s.max_ns);
        elapsed = elapsed.max(s.elapsed_ns);
        for (h, v) in hist.iter_mut().zip(s.hist.iter()) {
            *h += v;
        }
    }
    let pct = |p: f64| {
        let want = (calls as f64 * p).ceil() as u64;
        let mut seen = 0;
        for (i, n) in hist.iter().enumerate() {
            seen += n;
            if seen >= want && *n > 0 {
                return bucket_floor(i);
            }
        }
        max
    };
    let el = elapsed as f64 / 1e9;
    println!(
        "syscalls={calls} elapsed_s={el:.3} rate={:.0} procs={procs} mean_ns={:.0} p50_ns={} \
         p99_ns={} p999_ns={} max_ns={max} slow_s={:.3}",
        if el > 0.0 { calls as f64 / el } else { 0.0 },
        sum as f64 / calls.max(1) as f64,
        pct(0.5),
        pct(0.99),
        pct(0.999),
        slow as f64 / 1e9,
    );
    exit(i32::from(failed));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_bound_their_values() {
        let mut last = 0;
        for v in (0..100_000u64).chain([1 << 20, (1 << 20) + 12345, 1 << 39]) {
            let b = bucket(v);
            assert!(b >= last);
            assert!(bucket_floor(b) <= v, "v={v} b={b}");
            assert!(v < 16 || (v - bucket_floor(b)) * 8 <= bucket_floor(b));
            last = b;
        }
    }
}

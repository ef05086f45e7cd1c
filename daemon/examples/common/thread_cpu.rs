//! The calling thread's CPU time, for the cost examples: what the output's
//! thread spent, apart from an in-process receiver's.

/// This thread's user and system CPU time so far, in clock ticks (USER_HZ,
/// 100 a second), from `/proc/thread-self/stat`.
pub fn thread_cpu() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // After the command's closing parenthesis: state is field 3, utime 14.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let user = fields.next()?.parse().ok()?;
    let system = fields.next()?.parse().ok()?;
    Some((user, system))
}

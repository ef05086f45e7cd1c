//! How idle the machine's CPUs are, from the kernel's own counters: the
//! first line of `/proc/stat` (every CPU's user, nice, system, idle,
//! iowait, irq, softirq and steal time, in ticks), read again at most once
//! a [`WINDOW`]. Receive pacing asks it before a pause
//! ([`super::pacing`]): a pause only pays when the CPUs have time to
//! spare; when they are all busy (a storm) it leaves one idle while kauditd
//! trickles records into the socket one wake-up at a time.
//!
//! One `pread` of a file kept open, into a stack buffer: no allocation.
//! Where `/proc/stat` cannot be read there is no answer (`None`), and
//! pacing goes by its own measures alone.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use raudit_core::record::number;

/// The idle share is measured over windows at least this long.
pub const WINDOW: Duration = Duration::from_millis(100);

/// CPU time in ticks since boot, summed over every CPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ticks {
    /// Idle and iowait.
    pub idle: u64,
    /// Everything: user, nice, system, idle, iowait, irq, softirq, steal
    /// (guest time is counted within user and nice already).
    pub total: u64,
}

/// The machine's idle share, measured window by window.
#[derive(Debug)]
pub struct CpuIdle {
    stat: Option<File>,
    last: Option<(Instant, Ticks)>,
    share: Option<f64>,
}

impl CpuIdle {
    /// Reads `/proc/stat`.
    pub fn open() -> CpuIdle {
        CpuIdle::reading(File::open("/proc/stat").ok())
    }

    /// Reads `stat` (a file in `/proc/stat`'s format; `None`: no answers).
    pub fn reading(stat: Option<File>) -> CpuIdle {
        CpuIdle {
            stat,
            last: None,
            share: None,
        }
    }

    /// The share of the CPUs' time spent idle in the last complete window
    /// before `now` (0.0 to 1.0); `None` until two readings a window apart
    /// exist, or when the file cannot be read.
    pub fn share(&mut self, now: Instant) -> Option<f64> {
        if self
            .last
            .is_some_and(|(at, _)| now.saturating_duration_since(at) < WINDOW)
        {
            return self.share;
        }
        let Some(ticks) = self.read() else {
            self.stat = None;
            self.share = None;
            return None;
        };
        if let Some((_, before)) = self.last {
            let total = ticks.total.saturating_sub(before.total);
            if total > 0 {
                let idle = ticks.idle.saturating_sub(before.idle).min(total);
                self.share = Some(idle as f64 / total as f64);
            }
        }
        self.last = Some((now, ticks));
        self.share
    }

    fn read(&self) -> Option<Ticks> {
        // The first line holds at most eleven 20-digit numbers.
        let mut text = [0u8; 512];
        let len = self.stat.as_ref()?.read_at(&mut text, 0).ok()?;
        parse(text.get(..len)?)
    }
}

/// The all-CPU ticks of a `/proc/stat` text (its `cpu ` line: at least
/// user, nice, system and idle; iowait, irq, softirq and steal when the
/// kernel has them).
pub fn parse(text: &[u8]) -> Option<Ticks> {
    let line = text.split(|&b| b == b'\n').next()?;
    let values = line.strip_prefix(b"cpu ")?;
    let mut fields = values.split(|&b| b == b' ').filter(|f| !f.is_empty());
    let mut ticks = [0u64; 8];
    for (i, slot) in ticks.iter_mut().enumerate() {
        match fields.next() {
            Some(text) => *slot = number::parse_u64(text, 10)?,
            None if i >= 4 => break,
            None => return None,
        }
    }
    let [user, nice, system, idle, iowait, irq, softirq, steal] = ticks;
    let idle = idle.saturating_add(iowait);
    let total = [user, nice, system, irq, softirq, steal]
        .into_iter()
        .fold(idle, u64::saturating_add);
    Some(Ticks { idle, total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch_dir::ScratchDir;

    #[test]
    fn the_cpu_line_is_read() {
        let text = b"cpu  100 20 30 400 50 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\n";
        assert_eq!(
            parse(text),
            Some(Ticks {
                idle: 450,
                total: 621
            })
        );
        // An old kernel's four fields.
        assert_eq!(parse(b"cpu 1 2 3 4\n"), Some(Ticks { idle: 4, total: 10 }));
    }

    #[test]
    fn anything_else_has_no_answer() {
        for text in [
            &b""[..],
            b"cpu0 1 2 3 4\n",
            b"cpu  1 2 3\n",
            b"cpu  1 2 x 4\n",
            b"intr 1 2 3 4\ncpu  1 2 3 4\n",
            b"cpu  99999999999999999999999 1 1 1\n",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    /// The live file gives a share between 0 and 1 once two readings a
    /// window apart exist, and none before.
    #[test]
    fn this_machine_has_a_share() {
        let mut cpu = CpuIdle::open();
        let start = Instant::now();
        assert_eq!(cpu.share(start), None);
        // Within the window: the same (no) answer, no new reading.
        assert_eq!(cpu.share(start + WINDOW / 2), None);
        std::thread::sleep(WINDOW);
        let share = cpu.share(start + WINDOW).expect("/proc/stat read twice");
        assert!((0.0..=1.0).contains(&share), "{share}");
    }

    /// The share is the idle ticks over all ticks between two readings
    /// a window apart; readings within a window are not taken.
    #[test]
    fn the_share_is_of_the_ticks_between_readings() {
        let dir = ScratchDir::new("cpu-idle");
        let path = dir.join("stat");
        let write = |line: &str| std::fs::write(&path, format!("{line}\ncpu0 0 0 0 0\n")).unwrap();
        write("cpu  100 0 100 800 0 0 0 0");
        let mut cpu = CpuIdle::reading(Some(File::open(&path).unwrap()));
        let start = Instant::now();
        assert_eq!(cpu.share(start), None);
        // 100 more ticks, 25 of them idle (20) or iowait (5).
        write("cpu  150 0 125 820 5 0 0 0");
        assert_eq!(cpu.share(start + WINDOW / 2), None, "within the window");
        assert_eq!(cpu.share(start + WINDOW), Some(0.25));
        // No tick since: the last share stands.
        assert_eq!(cpu.share(start + WINDOW * 2), Some(0.25));
        write("cpu  150 0 125 920 5 0 0 0");
        assert_eq!(cpu.share(start + WINDOW * 3), Some(1.0));
        // A file that stops making sense gives no answer from then on.
        std::fs::write(&path, "intr 1 2 3\n").unwrap();
        assert_eq!(cpu.share(start + WINDOW * 4), None);
        write("cpu  150 0 125 1020 5 0 0 0");
        assert_eq!(cpu.share(start + WINDOW * 5), None);
    }

    #[test]
    fn no_file_no_answer() {
        let mut cpu = CpuIdle::reading(None);
        let start = Instant::now();
        assert_eq!(cpu.share(start), None);
        assert_eq!(cpu.share(start + WINDOW * 2), None);
    }
}

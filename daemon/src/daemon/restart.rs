//! Loss across restarts: the daemon keeps, in a one-page state file mapped
//! into memory (`raudit.state_file`, default `/run/raudit/state`), the
//! highest serial every output has delivered, the boot it belongs to, its
//! pid and whether it stopped cleanly. The output threads update the
//! serial with an atomic store when the earliest mark they delivered
//! advances (no syscall; `crate::queue` keeps what each delivered, and an
//! output delivers a line only once it no longer holds it). The serial
//! stored is a buffer's mark ([`buffer_mark`]): below the oldest
//! event still in flight when the buffer was handed over, since events
//! complete out of order and one in flight is lost by a crash even when
//! newer ones were written. At start
//! the next instance compares the saved serial with the first one it
//! receives: the serials between them are events missed across the restart
//! (what the dead process's socket, assembler and queue held, and what the
//! kernel emitted while no daemon listened), reported on stderr, in the
//! stats (`missed_across_restart`) and as a `restart` record in the stream.
//! Serials wrap at 2^32 and restart at boot: a state from another boot
//! (`/proc/sys/kernel/random/boot_id`) gives no gap. The count may include
//! serials of events no rule made raudit receive (as `missed_serials`), so
//! it is never less than what was lost.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::SystemTime;

use crate::output::stream_notice::{restart_record, RestartGap};
use crate::output::ControlSender;
use crate::pipeline::FIRST_SERIAL_KNOWN;
use crate::stats::Stats;
use crate::sys::state_map::StateMap;

/// "RAUDSTA1": the layout below, version 1.
const MAGIC: u64 = u64::from_be_bytes(*b"RAUDSTA1");
const AT_MAGIC: usize = 0;
const AT_BOOT_LOW: usize = 1;
const AT_BOOT_HIGH: usize = 2;
/// The serial written last, with [`VALID`] set (0: none yet).
const AT_WRITTEN: usize = 3;
/// 1 after a clean stop, 0 while running (so 0 at start means a crash).
const AT_CLEAN: usize = 4;
const AT_PID: usize = 5;
const VALID: u64 = 1 << 32;

/// What the previous instance left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Previous {
    /// The serial after which events may be missing: the highest mark
    /// every output had delivered (see [`buffer_mark`]). None: it
    /// delivered nothing.
    pub serial: Option<u32>,
    /// It stopped cleanly (SIGTERM/SIGINT), not killed or crashed.
    pub clean: bool,
    pub pid: u32,
    /// Same boot as now: the serials continue.
    pub same_boot: bool,
}

/// The mapped state of this instance.
#[derive(Debug)]
pub struct RestartState {
    map: StateMap,
}

impl RestartState {
    /// Maps `path` (created if missing), reads what the previous instance
    /// left, and marks the state as this running instance's (not clean,
    /// our pid and boot; the saved serial stays until we write one).
    pub fn open(path: &Path) -> io::Result<(RestartState, Option<Previous>)> {
        let map = StateMap::open(path)?;
        let w = map.words();
        let boot = boot_id().unwrap_or(0);
        let (low, high) = (boot as u64, (boot >> 64) as u64);
        let previous = (w[AT_MAGIC].load(Ordering::Relaxed) == MAGIC).then(|| {
            let written = w[AT_WRITTEN].load(Ordering::Relaxed);
            Previous {
                serial: (written & VALID != 0).then_some(written as u32),
                clean: w[AT_CLEAN].load(Ordering::Relaxed) == 1,
                pid: w[AT_PID].load(Ordering::Relaxed) as u32,
                same_boot: boot != 0
                    && w[AT_BOOT_LOW].load(Ordering::Relaxed) == low
                    && w[AT_BOOT_HIGH].load(Ordering::Relaxed) == high,
            }
        });
        if previous.is_some_and(|p| !p.same_boot) {
            w[AT_WRITTEN].store(0, Ordering::Relaxed);
        }
        w[AT_BOOT_LOW].store(low, Ordering::Relaxed);
        w[AT_BOOT_HIGH].store(high, Ordering::Relaxed);
        w[AT_CLEAN].store(0, Ordering::Relaxed);
        w[AT_PID].store(u64::from(std::process::id()), Ordering::Relaxed);
        w[AT_MAGIC].store(MAGIC, Ordering::Release);
        Ok((RestartState { map }, previous))
    }

    fn word(&self, at: usize) -> &AtomicU64 {
        &self.map.words()[at]
    }

    /// Notes that the outputs wrote the event of `serial` (kept when it is
    /// after the one saved; serials wrap). One load and at most one
    /// compare-and-swap (output threads may store at once: the newest
    /// stays).
    pub fn note_written(&self, serial: u32) {
        let newer = |saved: u64| {
            (saved & VALID == 0 || is_after(serial, saved as u32))
                .then_some(VALID | u64::from(serial))
        };
        let _ = self
            .word(AT_WRITTEN)
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, newer);
    }

    /// Marks a clean stop (after every event in flight was completed and
    /// every output flushed).
    pub fn clean_stop(&self) {
        self.word(AT_CLEAN).store(1, Ordering::Release);
    }
}

/// A buffer's mark when it is handed over: the newest serial put in any
/// buffer so far (`newest`), or just below the oldest event still in flight
/// when that is older. Every event up to the mark that was or will be
/// completed is then in this buffer or an earlier one (events still to
/// come have newer serials), so once the buffer is written nothing up to
/// the mark can be lost by a crash.
pub fn buffer_mark(newest: u32, oldest_in_flight: Option<u32>) -> u32 {
    match oldest_in_flight.map(|s| s.wrapping_sub(1)) {
        Some(below) if is_after(newest, below) => below,
        _ => newest,
    }
}

/// `a` comes after `b` in the kernel's wrapping serial order.
pub(crate) fn is_after(a: u32, b: u32) -> bool {
    let d = a.wrapping_sub(b);
    d != 0 && d < 1 << 31
}

/// Serials strictly between `previous` (written last before the restart)
/// and `first` (received first after it); 0 when `first` is not after
/// `previous`.
pub fn missed_across(previous: u32, first: u32) -> u64 {
    if is_after(first, previous) {
        u64::from(first.wrapping_sub(previous) - 1)
    } else {
        0
    }
}

/// This boot's id (`/proc/sys/kernel/random/boot_id`, a UUID) as a number.
fn boot_id() -> Option<u128> {
    let text = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let hex: String = text.trim().chars().filter(|c| *c != '-').collect();
    u128::from_str_radix(&hex, 16).ok()
}

/// The running daemon's state, for the output thread.
static STATE: OnceLock<RestartState> = OnceLock::new();

/// Makes `state` the one [`note_written`] updates (once per process).
pub fn install(state: RestartState) -> &'static RestartState {
    STATE.get_or_init(|| state)
}

/// Called by an output thread when the mark the outputs delivered
/// together advanced: a store to the mapped page when the daemon keeps a
/// state, else nothing.
pub fn note_written(serial: u32) {
    if let Some(state) = STATE.get() {
        state.note_written(serial);
    }
}

/// The supervisor's side: once the first serial is known, the gap from the
/// previous instance's is reported (stderr, stats, a `restart` record).
#[derive(Debug)]
pub struct RestartWatch {
    /// What the previous instance left, while the gap is still to report.
    pending: Option<Previous>,
}

impl RestartWatch {
    /// Says at once what cannot be counted (no earlier state, another
    /// boot); otherwise waits for the first record.
    pub fn new(path: &Path, previous: Option<Previous>) -> RestartWatch {
        let pending = match previous {
            None => {
                eprintln!(
                    "raudit: no state from an earlier run in {}: loss before this start is not known",
                    path.display()
                );
                None
            }
            Some(p) if !p.same_boot => {
                eprintln!(
                    "raudit: the state in {} is from an earlier boot (serials restarted): loss before this boot is not counted",
                    path.display()
                );
                None
            }
            Some(Previous { serial: None, .. }) => None,
            Some(p) => Some(p),
        };
        RestartWatch { pending }
    }

    /// Reports the gap when the first serial has come. Returns true when
    /// a record was handed to the outputs.
    pub fn tick(&mut self, stats: &Stats, records: &ControlSender) -> bool {
        let first = stats.first_serial.get();
        if first & FIRST_SERIAL_KNOWN == 0 {
            return false;
        }
        let Some(previous) = self.pending.take() else {
            return false;
        };
        let Some(previous_serial) = previous.serial else {
            return false;
        };
        let first_serial = first as u32;
        let gap = RestartGap {
            missed: missed_across(previous_serial, first_serial),
            previous_serial,
            first_serial,
            previous_clean: previous.clean,
            previous_pid: previous.pid,
        };
        stats.missed_across_restart.set(gap.missed);
        eprintln!(
            "raudit: {} event serial(s) missed across the restart: the previous raudit (pid {}, {}) wrote up to {previous_serial}, the first received now is {first_serial}",
            gap.missed,
            gap.previous_pid,
            if gap.previous_clean { "stopped cleanly" } else { "did not stop cleanly" },
        );
        if records.send(restart_record(SystemTime::now(), records.outline(), &gap)) {
            true
        } else {
            eprintln!("raudit: the restart record could not be queued for the outputs");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch_dir::ScratchDir;

    #[test]
    fn the_gap_counts_serials_between_and_knows_wrap_and_order() {
        assert_eq!(missed_across(100, 101), 0);
        assert_eq!(missed_across(100, 151), 50);
        assert_eq!(missed_across(u32::MAX - 1, 2), 3); // wrapped: MAX, 0, 1
        assert_eq!(missed_across(100, 100), 0);
        assert_eq!(missed_across(100, 90), 0); // late, not a gap
    }

    #[test]
    fn a_buffer_is_marked_below_the_oldest_event_in_flight() {
        assert_eq!(buffer_mark(101, None), 101);
        assert_eq!(buffer_mark(101, Some(100)), 99); // 100 still to come
        assert_eq!(buffer_mark(101, Some(150)), 101);
        assert_eq!(buffer_mark(2, Some(0)), u32::MAX); // wrapped
    }

    #[test]
    fn a_second_open_sees_the_serial_the_pid_and_a_crash_or_clean_stop() {
        let dir = ScratchDir::new("restart");
        let path = dir.join("state");
        let (first, previous) = RestartState::open(&path).unwrap();
        assert_eq!(previous, None);
        first.note_written(u32::MAX - 10);
        first.note_written(u32::MAX - 20); // older: not kept
        drop(first); // as a crash: no clean stop
        let (second, previous) = RestartState::open(&path).unwrap();
        let previous = previous.unwrap();
        assert_eq!(previous.serial, Some(u32::MAX - 10));
        assert!(!previous.clean);
        assert_eq!(previous.pid, std::process::id());
        assert_eq!(previous.same_boot, boot_id().is_some());
        second.note_written(3); // after MAX - 10: wrapped
        second.clean_stop();
        drop(second);
        let (_, previous) = RestartState::open(&path).unwrap();
        let previous = previous.unwrap();
        assert_eq!(previous.serial, Some(3));
        assert!(previous.clean);
    }
}

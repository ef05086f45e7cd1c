//! Control records: reports the supervisor puts into the output stream
//! beside the events (rule drift, forged datagrams dropped), in the
//! events' outline (go-audit's: `sequence` 0, no messages; ECS's:
//! `@timestamp`, `event`, `host`: [`ControlOutline`]) with a `raudit`
//! object saying what happened. They reach every output thread, each over a small bounded
//! channel of its own: a record is built (and allocated, once per output)
//! only when something changed, never per event, and a full channel drops
//! the record for that output (counted by the caller, said on stderr)
//! rather than make the supervisor wait.
//!
//! Beside the records, a reload (SIGHUP) hands an output thread a new
//! output to write to from its next buffer on ([`Replacement`]), over a
//! second channel of its own.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Instant, SystemTime};

use super::spool::SpoolChange;
use super::Output;
use crate::json::{self, ControlOutline};

/// Records waiting for one output thread at most.
pub const CONTROL_CAPACITY: usize = 8;

/// A new output for an output thread, from a reload: the thread flushes
/// the one it has and writes to this one from its next buffer on, with
/// its spool changed as `spool` says.
pub struct Replacement {
    pub output: Box<dyn Output>,
    pub attempts: u32,
    pub spool: SpoolChange,
}

impl std::fmt::Debug for Replacement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Replacement({}, {}, {:?})",
            self.output.name(),
            self.attempts,
            self.spool
        )
    }
}

/// The supervisor's end: one channel per output (and one for
/// replacements); `None` for an output place with no thread (a reload
/// disabled it, or it was never enabled); and the outline the records
/// are built in (the events' shape's).
#[derive(Clone, Debug)]
pub struct ControlSender(Vec<Option<Senders>>, ControlOutline);

type Senders = (SyncSender<Vec<u8>>, SyncSender<Replacement>);

/// One output thread's pair of channels.
fn channel() -> (Senders, ControlReceiver) {
    let (sender, receiver) = mpsc::sync_channel(CONTROL_CAPACITY);
    let (replace, replaced) = mpsc::sync_channel(1);
    ((sender, replace), ControlReceiver(receiver, replaced))
}

/// One output thread's end.
#[derive(Debug)]
pub struct ControlReceiver(Receiver<Vec<u8>>, Receiver<Replacement>);

/// Channels for `outputs` output threads, [`CONTROL_CAPACITY`] records
/// each.
pub fn control_channels(outputs: usize) -> (ControlSender, Vec<ControlReceiver>) {
    let (senders, receivers) = (0..outputs.max(1))
        .map(|_| {
            let (senders, receiver) = channel();
            (Some(senders), receiver)
        })
        .unzip();
    (ControlSender(senders, ControlOutline::default()), receivers)
}

impl ControlSender {
    /// The records are built in `outline` (the stream's shape's).
    pub fn with_outline(mut self, outline: ControlOutline) -> ControlSender {
        self.1 = outline;
        self
    }

    /// The outline the records for these outputs are built in.
    pub fn outline(&self) -> ControlOutline {
        self.1
    }

    /// Hands one line (JSON and `\n`) to every output thread; false when
    /// some channel is full or its output thread is gone (the others still
    /// got it).
    pub fn send(&self, line: Vec<u8>) -> bool {
        let mut all = true;
        for (sender, _) in self.0.iter().flatten() {
            match sender.try_send(line.clone()) {
                Ok(()) => {}
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => all = false,
            }
        }
        all
    }

    /// Hands output thread `index` a new output; gives it back when that
    /// thread has one waiting still, or is gone.
    pub fn replace(&self, index: usize, replacement: Replacement) -> Result<(), Replacement> {
        let Some(Some((_, sender))) = self.0.get(index) else {
            return Err(replacement);
        };
        sender.try_send(replacement).map_err(|e| match e {
            TrySendError::Full(r) | TrySendError::Disconnected(r) => r,
        })
    }
}

impl ControlSender {
    /// New channels for output place `index` (a reload enabled its
    /// output): the receiver goes to its new thread.
    pub fn open(&mut self, index: usize) -> ControlReceiver {
        let (senders, receiver) = channel();
        if self.0.len() <= index {
            self.0.resize(index + 1, None);
        }
        if let Some(place) = self.0.get_mut(index) {
            *place = Some(senders);
        }
        receiver
    }

    /// No more records for output place `index` (a reload disabled it or
    /// it has no thread); what its thread has not taken yet it still may.
    pub fn close(&mut self, index: usize) {
        if let Some(place) = self.0.get_mut(index) {
            *place = None;
        }
    }
}

impl ControlReceiver {
    /// The next waiting record, if any (no allocation, no wait).
    pub fn try_next(&self) -> Option<Vec<u8>> {
        self.0.try_recv().ok()
    }

    /// Hands `each` every record until the supervisor closes the channel
    /// (it does once it has sent its last ones, at shutdown, or when a
    /// reload ends this output), or `deadline` passes.
    pub fn drain_until_closed(&self, deadline: Instant, mut each: impl FnMut(Vec<u8>)) {
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.0.recv_timeout(wait) {
                Ok(line) => each(line),
                Err(RecvTimeoutError::Disconnected | RecvTimeoutError::Timeout) => return,
            }
        }
    }

    /// The new output a reload sent, if any (no allocation, no wait).
    pub fn try_replacement(&self) -> Option<Replacement> {
        self.1.try_recv().ok()
    }
}

/// What a drift record says.
#[derive(Debug, Clone, Copy)]
pub struct DriftOutcome<'a> {
    /// One line per difference (`rule missing: …`, `enabled is 0, configured 1`).
    pub changes: &'a [String],
    /// The configured rules and status were put back.
    pub restored: bool,
    /// Why a restore failed, when one was tried and failed.
    pub restore_error: Option<&'a str>,
}

/// `{"sequence":0,"timestamp":"S.MMM","messages":[],"uid_map":{},
/// "raudit":{"report":"drift","changes":[…],"restored":…}}` and `\n`.
pub fn drift_record(
    now: SystemTime,
    outline: ControlOutline,
    outcome: &DriftOutcome<'_>,
) -> Vec<u8> {
    let mut line = Vec::new();
    json::control_record(&mut line, now, outline, "drift", |o| {
        o.strings("changes", outcome.changes.iter().map(String::as_str))
            .bool("restored", outcome.restored);
        if let Some(error) = outcome.restore_error {
            o.string("restore_error", error.as_bytes());
        }
    });
    line
}

/// `…"raudit":{"report":"spoofed","datagrams":N,"spoofed_total":T,
/// "sender_port":P}}`: datagrams dropped since the last such record
/// because a process, not the kernel, sent them to an audit socket.
pub fn spoofed_record(
    now: SystemTime,
    outline: ControlOutline,
    (new, total): (u64, u64),
    sender_port: u32,
) -> Vec<u8> {
    let mut line = Vec::new();
    json::control_record(&mut line, now, outline, "spoofed", |o| {
        o.number("datagrams", new)
            .number("spoofed_total", total)
            .number("sender_port", sender_port);
    });
    line
}

/// What a `restart` record says.
#[derive(Debug, Clone, Copy)]
pub struct RestartGap {
    /// Serials between the two below: events missed across the restart.
    pub missed: u64,
    /// The serial the previous instance wrote last.
    pub previous_serial: u32,
    /// The first serial this instance received.
    pub first_serial: u32,
    /// The previous instance stopped cleanly (else it was killed or crashed).
    pub previous_clean: bool,
    pub previous_pid: u32,
}

/// `…"raudit":{"report":"restart","missed_across_restart":N,
/// "previous_serial":S,"first_serial":F,"previous_stop":"clean"|"unclean",
/// "previous_pid":P}}`.
pub fn restart_record(now: SystemTime, outline: ControlOutline, gap: &RestartGap) -> Vec<u8> {
    let mut line = Vec::new();
    json::control_record(&mut line, now, outline, "restart", |o| {
        let stop: &[u8] = if gap.previous_clean {
            b"clean"
        } else {
            b"unclean"
        };
        o.number("missed_across_restart", gap.missed)
            .number("previous_serial", gap.previous_serial)
            .number("first_serial", gap.first_serial)
            .string("previous_stop", stop)
            .number("previous_pid", gap.previous_pid);
    });
    line
}

/// What a `reload` record says (see `daemon::reload`).
#[derive(Debug, Clone, Default)]
pub struct ReloadOutcome {
    /// Config sections that changed and were applied.
    pub applied: Vec<&'static str>,
    /// Sections that changed and need a restart (not applied).
    pub restart_needed: Vec<&'static str>,
    /// Why nothing was applied (the config does not load, the kernel
    /// refused its rules); the running config stays.
    pub error: Option<String>,
}

/// `…"raudit":{"report":"reload","config":PATH,"ok":true|false,
/// "applied":[…],"restart_needed":[…]}}`, with `"error":"…"` when not ok.
pub fn reload_record(
    now: SystemTime,
    outline: ControlOutline,
    config: &str,
    outcome: &ReloadOutcome,
) -> Vec<u8> {
    let mut line = Vec::new();
    json::control_record(&mut line, now, outline, "reload", |o| {
        o.string("config", config.as_bytes())
            .bool("ok", outcome.error.is_none())
            .strings("applied", outcome.applied.iter().copied())
            .strings("restart_needed", outcome.restart_needed.iter().copied());
        if let Some(error) = &outcome.error {
            o.string("error", error.as_bytes());
        }
    });
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn drift_record_is_go_audit_shaped_json() {
        let changes = vec![
            "rule missing: -w /etc/passwd -p wa -k \"id\"".to_owned(),
            "enabled is 0, configured 1".to_owned(),
        ];
        let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_042);
        let line = drift_record(
            at,
            ControlOutline::GoAudit,
            &DriftOutcome {
                changes: &changes,
                restored: false,
                restore_error: Some("bad\nthing"),
            },
        );
        assert_eq!(line.last(), Some(&b'\n'));
        let json: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(json["sequence"], 0);
        assert_eq!(json["timestamp"], "1700000000.042");
        assert_eq!(json["messages"], serde_json::json!([]));
        assert_eq!(json["uid_map"], serde_json::json!({}));
        assert_eq!(json["raudit"]["report"], "drift");
        assert_eq!(json["raudit"]["changes"][0], changes[0].as_str());
        assert_eq!(json["raudit"]["changes"][1], changes[1].as_str());
        assert_eq!(json["raudit"]["restored"], false);
        assert_eq!(json["raudit"]["restore_error"], "bad\nthing");
    }

    #[test]
    fn spoofed_record_names_the_counts_and_the_sender() {
        let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_007);
        let line = spoofed_record(at, ControlOutline::GoAudit, (3, 5), 4242);
        assert_eq!(line.last(), Some(&b'\n'));
        let json: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(json["sequence"], 0);
        assert_eq!(json["timestamp"], "1700000000.007");
        assert_eq!(json["raudit"]["report"], "spoofed");
        assert_eq!(json["raudit"]["datagrams"], 3);
        assert_eq!(json["raudit"]["spoofed_total"], 5);
        assert_eq!(json["raudit"]["sender_port"], 4242);
    }

    #[test]
    fn restart_record_says_the_gap_and_how_the_previous_one_stopped() {
        let gap = RestartGap {
            missed: 1933,
            previous_serial: 100,
            first_serial: 2034,
            previous_clean: false,
            previous_pid: 77,
        };
        let line = restart_record(UNIX_EPOCH, ControlOutline::GoAudit, &gap);
        let json: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(json["raudit"]["report"], "restart");
        assert_eq!(json["raudit"]["missed_across_restart"], 1933);
        assert_eq!(json["raudit"]["previous_serial"], 100);
        assert_eq!(json["raudit"]["first_serial"], 2034);
        assert_eq!(json["raudit"]["previous_stop"], "unclean");
        assert_eq!(json["raudit"]["previous_pid"], 77);
    }

    #[test]
    fn reload_record_names_what_applied_and_why_not() {
        let ok = ReloadOutcome {
            applied: vec!["filters", "rules"],
            restart_needed: vec!["output"],
            error: None,
        };
        let json: serde_json::Value = serde_json::from_slice(&reload_record(
            UNIX_EPOCH,
            ControlOutline::GoAudit,
            "/etc/r.yaml",
            &ok,
        ))
        .unwrap();
        assert_eq!(json["raudit"]["report"], "reload");
        assert_eq!(json["raudit"]["config"], "/etc/r.yaml");
        assert_eq!(json["raudit"]["ok"], true);
        assert_eq!(
            json["raudit"]["applied"],
            serde_json::json!(["filters", "rules"])
        );
        assert_eq!(
            json["raudit"]["restart_needed"],
            serde_json::json!(["output"])
        );
        let failed = ReloadOutcome {
            error: Some("r.yaml:3: rules[0]: \"bad\"".into()),
            ..ReloadOutcome::default()
        };
        let json: serde_json::Value = serde_json::from_slice(&reload_record(
            UNIX_EPOCH,
            ControlOutline::GoAudit,
            "r",
            &failed,
        ))
        .unwrap();
        assert_eq!(json["raudit"]["ok"], false);
        assert_eq!(json["raudit"]["error"], "r.yaml:3: rules[0]: \"bad\"");
        assert_eq!(json["raudit"]["applied"], serde_json::json!([]));
    }

    #[test]
    fn a_full_channel_refuses_instead_of_waiting() {
        let (sender, mut receivers) = control_channels(1);
        let receiver = receivers.remove(0);
        for _ in 0..CONTROL_CAPACITY {
            assert!(sender.send(b"x\n".to_vec()));
        }
        assert!(!sender.send(b"y\n".to_vec()));
        assert_eq!(receiver.try_next().as_deref(), Some(&b"x\n"[..]));
        assert!(sender.send(b"z\n".to_vec()));
        drop(receiver);
        assert!(!sender.send(b"w\n".to_vec()));
    }

    #[test]
    fn the_last_records_are_taken_until_the_supervisor_closes_the_channel() {
        let (sender, mut receivers) = control_channels(1);
        let receiver = receivers.remove(0);
        // Sent after the output thread began waiting, then closed.
        let late = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            assert!(sender.send(b"spoofed\n".to_vec()));
            assert!(sender.send(b"restart\n".to_vec()));
        });
        let started = Instant::now();
        let mut got = Vec::new();
        receiver.drain_until_closed(started + Duration::from_secs(10), |l| got.push(l));
        late.join().unwrap();
        assert_eq!(got, [b"spoofed\n".to_vec(), b"restart\n".to_vec()]);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "waited past the close"
        );
        // A channel never closed: the wait ends at the deadline.
        let (_open, receivers) = control_channels(1);
        let started = Instant::now();
        receivers[0].drain_until_closed(started + Duration::from_millis(100), |_| {
            panic!("nothing was sent")
        });
        assert!(started.elapsed() >= Duration::from_millis(100));
    }

    #[test]
    fn every_output_gets_each_record() {
        let (sender, receivers) = control_channels(3);
        assert!(sender.send(b"drift\n".to_vec()));
        for receiver in &receivers {
            assert_eq!(receiver.try_next().as_deref(), Some(&b"drift\n"[..]));
            assert_eq!(receiver.try_next(), None);
        }
    }
}

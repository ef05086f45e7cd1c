//! Forged datagrams: the receive thread and the control socket drop every
//! datagram whose sender is not the kernel (see
//! [`crate::sys::netlink::Received::from_kernel`]; only a read-log socket
//! can receive one: the kernel refuses other senders to the unicast
//! sockets, connected to its port); the supervisor folds the
//! control socket's count into the stats and, at most once per interval
//! (the first at once), puts a `spoofed` record with the new count and the
//! last sender's port id into the output stream and says so on stderr.

use std::time::{Duration, Instant, SystemTime};

use crate::netlink::Control;
use crate::output::stream_notice::spoofed_record;
use crate::output::ControlSender;
use crate::stats::Stats;

/// The longest gap between two reports, whatever the stats interval.
const LONGEST_INTERVAL: Duration = Duration::from_secs(60);

/// What was reported so far.
#[derive(Debug)]
pub struct SpoofWatch {
    interval: Duration,
    /// The control socket's count already added to the stats.
    control_seen: u64,
    /// The total in the last record.
    reported: u64,
    last_report: Option<Instant>,
}

impl SpoofWatch {
    /// Reports at most once per `interval` (capped at a minute).
    pub fn new(interval: Duration) -> SpoofWatch {
        SpoofWatch {
            interval: interval.min(LONGEST_INTERVAL),
            control_seen: 0,
            reported: 0,
            last_report: None,
        }
    }

    /// Folds in the control socket's count; reports when due. Returns true
    /// when a record was handed to the outputs.
    pub fn tick(
        &mut self,
        now: Instant,
        control: &Control<'_>,
        stats: &Stats,
        records: &ControlSender,
    ) -> bool {
        let (dropped, sender) = control.spoofed();
        if dropped > self.control_seen {
            stats.spoofed.add(dropped - self.control_seen);
            stats.spoofed_sender.set(u64::from(sender));
            self.control_seen = dropped;
        }
        let total = stats.spoofed.get();
        if total <= self.reported {
            return false;
        }
        if self
            .last_report
            .is_some_and(|last| now.duration_since(last) < self.interval)
        {
            return false;
        }
        let new = total - self.reported;
        let port = u32::try_from(stats.spoofed_sender.get()).unwrap_or(u32::MAX);
        eprintln!(
            "raudit: dropped {new} datagram(s) not sent by the kernel (forged; last sender port id {port}); {total} in all"
        );
        self.last_report = Some(now);
        if records.send(spoofed_record(
            SystemTime::now(),
            records.outline(),
            (new, total),
            port,
        )) {
            self.reported = total;
            true
        } else {
            // Counted in the next record instead.
            eprintln!("raudit: the spoofed record could not be queued for the outputs");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::control_channels;

    fn datagrams(line: &[u8]) -> (u64, u64) {
        let json: serde_json::Value = serde_json::from_slice(line).unwrap();
        let r = &json["raudit"];
        (
            r["datagrams"].as_u64().unwrap(),
            r["spoofed_total"].as_u64().unwrap(),
        )
    }

    #[test]
    fn reports_at_once_then_once_per_interval_and_loses_nothing_to_a_full_channel() {
        let control = match Control::open() {
            Ok(control) => control,
            Err(e) => {
                skip!("SKIPPED: no netlink audit socket here ({e})");
                return;
            }
        };
        let stats = Stats::new(&[]);
        let (sender, mut receivers) = control_channels(1);
        let receiver = receivers.remove(0);
        let mut watch = SpoofWatch::new(Duration::from_secs(10));
        let start = Instant::now();
        assert!(!watch.tick(start, &control, &stats, &sender), "nothing yet");
        stats.spoofed.add(3);
        stats.spoofed_sender.set(4242);
        assert!(watch.tick(start, &control, &stats, &sender));
        assert_eq!(datagrams(&receiver.try_next().unwrap()), (3, 3));
        stats.spoofed.add(2);
        let soon = start + Duration::from_secs(1);
        assert!(
            !watch.tick(soon, &control, &stats, &sender),
            "within the interval"
        );
        // A full channel: the record is refused, its count kept for later.
        while sender.send(b"x\n".to_vec()) {}
        let later = start + Duration::from_secs(11);
        assert!(!watch.tick(later, &control, &stats, &sender));
        while receiver.try_next().is_some() {}
        let later = start + Duration::from_secs(22);
        assert!(watch.tick(later, &control, &stats, &sender));
        assert_eq!(datagrams(&receiver.try_next().unwrap()), (2, 5));
    }
}

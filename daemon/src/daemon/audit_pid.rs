//! Being the kernel's audit daemon: claim the audit pid (`AUDIT_SET` on the
//! socket that receives, since the kernel takes the port from the sender),
//! refuse to steal it from another live daemon unless told to, notice when
//! it is taken from us (polled `AUDIT_GET`), reclaim once, and release it on
//! exit only if it is still ours.

use std::fmt;
use std::time::{Duration, Instant};

use raudit_core::wire::netlink::{write_message, NLM_F_REQUEST};
use raudit_core::wire::status::AuditStatus as WireStatus;
use raudit_core::wire::MessageType;

use crate::netlink::{AuditStatus, Control, ControlError};
use crate::sys::netlink::AuditSocket;
use crate::sys::process;

/// How often a holder that has not let go is sent SIGTERM again.
const TERMINATE_AGAIN: Duration = Duration::from_secs(1);

/// Why the pid could not be claimed.
#[derive(Debug)]
pub enum ClaimError {
    /// Another live process is the audit daemon.
    HeldBy { pid: u32, name: String },
    /// The kernel refused or did not answer.
    Kernel(ControlError),
}

impl fmt::Display for ClaimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClaimError::HeldBy { pid, name } => write!(
                f,
                "the audit pid is held by process {pid} ({name}); stop it first, or set raudit.takeover: true to take it over"
            ),
            ClaimError::Kernel(e) => write!(f, "could not claim the audit pid: {e}"),
        }
    }
}

impl From<ControlError> for ClaimError {
    fn from(e: ControlError) -> Self {
        ClaimError::Kernel(e)
    }
}

/// The command name of `pid` (`/proc/PID/comm`), for messages.
pub fn process_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim_end().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Makes this process the audit daemon, receiving on `receive`. `status`
/// talks over a separate socket. The kernel is asked first: before it
/// refuses (`EEXIST`) it tests its current daemon's socket, and forgets a
/// daemon whose socket is gone, so a pid left by a daemon that died (whose
/// number another process may have by now) neither stops this start nor
/// gets that process a signal. Only a live daemon refuses; with
/// `takeover`, it is asked to terminate (SIGTERM) and given `grace` to let
/// go.
pub fn claim(
    receive: &AuditSocket,
    status: &Control<'_>,
    takeover: bool,
    grace: Duration,
) -> Result<AuditStatus, ClaimError> {
    let me = std::process::id();
    let before = status.status()?;
    let set_pid = || match Control::borrowed(receive).set_pid(me) {
        Ok(()) => Ok(true),
        Err(e) if e.errno() == Some(libc::EEXIST) => Ok(false),
        Err(e) => Err(ClaimError::from(e)),
    };
    if set_pid()? {
        return Ok(before);
    }
    let holder = status.status()?.pid;
    if holder == 0 && set_pid()? {
        // It let go meanwhile.
        return Ok(before);
    }
    let name = process_name(holder);
    if !takeover || holder == 0 {
        return Err(ClaimError::HeldBy { pid: holder, name });
    }
    eprintln!(
        "raudit: taking the audit pid over from process {holder} ({name}): sending it SIGTERM"
    );
    if let Err(e) = process::terminate(holder) {
        eprintln!("raudit: could not signal process {holder}: {e}");
    }
    // Asked again every second: a holder still starting may not handle
    // SIGTERM yet (auditd ignores it until its event loop runs).
    let started = Instant::now();
    let mut asked = started;
    while started.elapsed() < grace {
        let now = status.status()?;
        if now.pid != holder || !process::process_alive(holder) {
            break;
        }
        if asked.elapsed() >= TERMINATE_AGAIN {
            asked = Instant::now();
            let _ = process::terminate(holder);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if set_pid()? {
        return Ok(before);
    }
    let holder = status.status().map(|s| s.pid).unwrap_or(0);
    Err(ClaimError::HeldBy {
        pid: holder,
        name: process_name(holder),
    })
}

/// Whether the kernel's audit daemon (not this process) is alive, asked of
/// the kernel without claiming anything: `AUDIT_SET` of pid 0 from
/// another process makes it test its daemon's socket first (and forget a
/// daemon whose socket is gone), then refuse (`EACCES`) only a live one.
/// A probe that fails otherwise says alive (refusing, as before).
pub fn holder_is_healthy(control: &Control<'_>) -> bool {
    control.set_pid(0).is_err()
}

/// Clears the audit pid if it is still ours. Returns whether it was.
/// Goes over the status socket: the kernel checks the sending process, not
/// the port, and the receive socket may be full of records.
pub fn release_if_ours(status: &Control<'_>) -> Result<bool, ControlError> {
    let me = std::process::id();
    if status.status()?.pid != me {
        return Ok(false);
    }
    status.set_pid(0)?;
    Ok(true)
}

/// Watches the audit pid while running: reports when it is taken from us
/// and reclaims once (no periodic re-claim that would spam CONFIG_CHANGE).
#[derive(Debug, Default)]
pub struct PidWatch {
    lost: bool,
    reclaimed: bool,
}

/// What one poll of the audit pid means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PidChange {
    /// Ours, as before: nothing to say.
    StillOurs,
    /// Ours again after it was lost.
    OursAgain,
    /// Just taken (`holder` 0: cleared); `reclaim` says to send one claim.
    Lost { holder: u32, reclaim: bool },
    /// Still not ours; already reported.
    StillLost,
}

impl PidWatch {
    /// Looks at a fresh `AUDIT_GET`; may send one `AUDIT_SET` on `receive`
    /// without waiting for its answer (the receive loop skips the reply; the
    /// next poll tells whether it worked).
    pub fn check(&mut self, status: &AuditStatus, receive: &AuditSocket) {
        if crate::signals::shutdown_requested() {
            // The receive thread releases the pid at shutdown: not a loss.
            return;
        }
        match self.observe(status.pid, std::process::id()) {
            PidChange::StillOurs | PidChange::StillLost => {}
            PidChange::OursAgain => eprintln!("raudit: the audit pid is ours again"),
            PidChange::Lost { holder, reclaim } => {
                if holder == 0 {
                    eprintln!("raudit: the audit pid was cleared; no longer receiving events");
                } else {
                    eprintln!(
                        "raudit: the audit pid was taken by process {holder} ({}); no longer receiving events",
                        process_name(holder)
                    );
                }
                if !reclaim {
                    eprintln!("raudit: already reclaimed once; not trying again");
                    return;
                }
                match send_set_pid(receive, std::process::id()) {
                    Ok(()) => eprintln!("raudit: reclaiming the audit pid (once)"),
                    Err(e) => eprintln!("raudit: could not send the reclaim request: {e}"),
                }
            }
        }
    }

    /// The decision behind [`check`](Self::check): the kernel's audit pid is
    /// `current`, ours is `me`. A loss is reported once; the pid is
    /// reclaimed once in the daemon's life, never periodically.
    pub fn observe(&mut self, current: u32, me: u32) -> PidChange {
        if current == me {
            if self.lost {
                self.lost = false;
                return PidChange::OursAgain;
            }
            return PidChange::StillOurs;
        }
        if self.lost {
            return PidChange::StillLost;
        }
        self.lost = true;
        let reclaim = !self.reclaimed;
        self.reclaimed = true;
        PidChange::Lost {
            holder: current,
            reclaim,
        }
    }

    /// True while the pid is not ours.
    pub fn is_lost(&self) -> bool {
        self.lost
    }
}

/// `AUDIT_SET pid` without `NLM_F_ACK`: an error still comes back as an
/// `NLMSG_ERROR`, which the receive loop counts as a control frame.
fn send_set_pid(receive: &AuditSocket, pid: u32) -> std::io::Result<()> {
    let mut payload = [0u8; 64];
    let len = WireStatus::set_pid(pid)
        .emit(&mut payload)
        .map_err(|_| std::io::ErrorKind::InvalidData)?;
    let mut message = [0u8; 96];
    let total = write_message(
        &mut message,
        MessageType::SET.0,
        NLM_F_REQUEST,
        0x7261_7564, // "raud": not one of Control's sequence numbers
        0,
        &payload[..len],
    )
    .map_err(|_| std::io::ErrorKind::InvalidData)?;
    receive.send(&message[..total])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loss_is_reported_once_and_reclaimed_once_in_a_lifetime() {
        let mut watch = PidWatch::default();
        let me = 100;
        assert_eq!(watch.observe(me, me), PidChange::StillOurs);
        assert_eq!(
            watch.observe(7, me),
            PidChange::Lost {
                holder: 7,
                reclaim: true
            }
        );
        assert!(watch.is_lost());
        assert_eq!(watch.observe(7, me), PidChange::StillLost);
        assert_eq!(watch.observe(0, me), PidChange::StillLost);
        assert_eq!(watch.observe(me, me), PidChange::OursAgain);
        assert!(!watch.is_lost());
        assert_eq!(watch.observe(me, me), PidChange::StillOurs);
        // Taken again later: reported, but no second reclaim.
        assert_eq!(
            watch.observe(0, me),
            PidChange::Lost {
                holder: 0,
                reclaim: false
            }
        );
        assert_eq!(watch.observe(0, me), PidChange::StillLost);
    }
}

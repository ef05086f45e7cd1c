//! [`Control`]: request/reply conversations with the kernel's audit
//! subsystem over an [`AuditSocket`] (owned, or borrowed from the receive
//! loop): `AUDIT_GET`/`AUDIT_SET`, rule add/delete/list.
//!
//! Every request carries `NLM_F_REQUEST | NLM_F_ACK` and a fresh sequence
//! number; replies are matched by that number, so records arriving on a
//! borrowed daemon socket in between are skipped (and lost to the caller: use
//! the borrowed form only for `AUDIT_SET` of the pid, before or after the
//! receive loop). The kernel sends some replies from a worker thread, so the
//! ack and the reply may arrive in either order; both are awaited. No wait is
//! longer than the timeout (default 2 s): waiting uses `poll`, and the
//! socket's own options are left as they are. The socket is connected to
//! the kernel (`sys::netlink`), which refuses other senders; a datagram
//! whose sender is not the kernel (port id not 0) would never be read as
//! a reply: it is dropped and counted ([`Control::spoofed`]).

use std::borrow::Borrow;
use std::fmt;
use std::io;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use raudit_core::wire::MessageType;

use crate::sys::netlink::{AuditSocket, Membership, RecvOutcome};
use crate::sys::poll::wait_readable;
use raudit_core::wire::netlink::{
    self as nl, Frames, NetlinkMessage, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_REQUEST,
};
pub use raudit_core::wire::status::AuditStatus;
use raudit_core::wire::status::STATUS_LEN;

/// Default limit on how long one request waits for its replies.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// Receive buffer for replies: a rule reply is at most ~1 KiB + its strings.
const REPLY_BUFFER: usize = 1 << 16;

/// What went wrong with a request.
#[derive(Debug)]
pub enum ControlError {
    /// Sending or receiving failed.
    Io(io::Error),
    /// The kernel refused the request with this errno (positive).
    Kernel(i32),
    /// No complete answer within the timeout.
    TimedOut,
    /// The answer could not be read (too short for its type).
    Malformed,
}

impl ControlError {
    /// The errno of a kernel refusal, if that is what this is.
    pub fn errno(&self) -> Option<i32> {
        match self {
            ControlError::Kernel(e) => Some(*e),
            ControlError::Io(e) => e.raw_os_error(),
            _ => None,
        }
    }
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlError::Io(e) => write!(f, "netlink I/O: {e}{}", needs(e.raw_os_error())),
            ControlError::Kernel(e) => write!(
                f,
                "the kernel refused: {}{}",
                io::Error::from_raw_os_error(*e),
                needs(Some(*e))
            ),
            ControlError::TimedOut => f.write_str("no reply from the kernel in time"),
            ControlError::Malformed => f.write_str("malformed reply from the kernel"),
        }
    }
}

/// What a permission error means here: the kernel's audit control
/// requests need `CAP_AUDIT_CONTROL` (root has it).
fn needs(errno: Option<i32>) -> &'static str {
    match errno {
        Some(libc::EPERM | libc::EACCES) => "; this needs root or the CAP_AUDIT_CONTROL capability",
        _ => "",
    }
}

impl std::error::Error for ControlError {}

impl From<io::Error> for ControlError {
    fn from(e: io::Error) -> Self {
        ControlError::Io(e)
    }
}

enum Socket<'s> {
    Owned(AuditSocket),
    Borrowed(&'s AuditSocket),
}

impl Borrow<AuditSocket> for Socket<'_> {
    fn borrow(&self) -> &AuditSocket {
        match self {
            Socket::Owned(s) => s,
            Socket::Borrowed(s) => s,
        }
    }
}

/// Request/reply access to the audit subsystem. `Sync`: the sequence counter
/// is atomic, but concurrent requests on one socket would read each other's
/// replies and drop them; use one `Control` per thread.
pub struct Control<'s> {
    socket: Socket<'s>,
    seq: AtomicU32,
    timeout: Duration,
    /// Datagrams dropped because a process, not the kernel, sent them.
    spoofed: AtomicU64,
    /// The port id of the last such sender.
    spoofed_sender: AtomicU32,
}

impl Control<'static> {
    /// Opens a socket of its own (for status polling, rule commands).
    pub fn open() -> io::Result<Control<'static>> {
        let socket = AuditSocket::open(Membership::Unicast)?;
        Ok(Control::new(Socket::Owned(socket)))
    }
}

impl<'s> Control<'s> {
    /// Talks over the daemon's socket: needed for `AUDIT_SET` of the pid,
    /// since the kernel takes the audit daemon's port from the sender.
    pub fn borrowed(socket: &'s AuditSocket) -> Control<'s> {
        Control::new(Socket::Borrowed(socket))
    }

    fn new(socket: Socket<'s>) -> Control<'s> {
        Control {
            socket,
            seq: AtomicU32::new(1),
            timeout: DEFAULT_TIMEOUT,
            spoofed: AtomicU64::new(0),
            spoofed_sender: AtomicU32::new(0),
        }
    }

    /// Datagrams dropped so far because they did not come from the kernel,
    /// and the port id of the last sender.
    pub fn spoofed(&self) -> (u64, u32) {
        (
            self.spoofed.load(Ordering::Relaxed),
            self.spoofed_sender.load(Ordering::Relaxed),
        )
    }

    /// Changes how long a request waits for its answer.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The socket requests go over.
    pub fn socket(&self) -> &AuditSocket {
        self.socket.borrow()
    }

    /// Sends `payload` as `msg_type` and waits for the kernel's ack. Returns
    /// the ack's non-negative code (0, or e.g. the old `lost` count for a
    /// lost reset); a negative code is [`ControlError::Kernel`].
    pub fn request_ack(&self, msg_type: MessageType, payload: &[u8]) -> Result<i32, ControlError> {
        let seq = self.send(msg_type, payload)?;
        let mut ack = None;
        self.collect(seq, |frame| {
            if frame.msg_type == NLMSG_ERROR {
                ack = Some(ack_code(frame.payload)?);
            }
            Ok(ack.is_some())
        })?;
        ack.ok_or(ControlError::TimedOut)
    }

    /// Sends a request whose answer is one or more messages of the request's
    /// type (a single reply, or a multi-part dump ending in `NLMSG_DONE`)
    /// plus the ack; hands each payload to `each`.
    pub fn dump(
        &self,
        msg_type: MessageType,
        payload: &[u8],
        multi: bool,
        mut each: impl FnMut(&[u8]),
    ) -> Result<(), ControlError> {
        let seq = self.send(msg_type, payload)?;
        let (mut acked, mut done) = (false, false);
        self.collect(seq, |frame| {
            match frame.msg_type {
                NLMSG_ERROR => {
                    ack_code(frame.payload)?;
                    acked = true;
                }
                NLMSG_DONE => done = true,
                t if t == msg_type.0 => {
                    each(frame.payload);
                    if !multi {
                        done = true;
                    }
                }
                _ => {}
            }
            Ok(acked && done)
        })
    }

    /// `AUDIT_GET`: the kernel's audit status.
    pub fn status(&self) -> Result<AuditStatus, ControlError> {
        let mut status = None;
        self.dump(MessageType::GET, &[], false, |payload| {
            status = AuditStatus::parse(payload).ok();
        })?;
        status.ok_or(ControlError::Malformed)
    }

    /// `AUDIT_GET_FEATURE`: the kernel's audit features (`struct
    /// audit_features`: version, mask, features, lock).
    pub fn features(&self) -> Result<Features, ControlError> {
        let mut features = None;
        self.dump(MessageType::GET_FEATURE, &[], false, |payload| {
            features = Features::parse(payload);
        })?;
        features.ok_or(ControlError::Malformed)
    }

    /// `AUDIT_SET` with the fields named by `status.mask`: a request built
    /// by core's `wire::status` builders (`AuditStatus::set_enabled`, …,
    /// combined with `and`). Returns the ack's code (the old `lost` count
    /// for `AuditStatus::reset_lost`). Rules text reaches `-e 2` and
    /// `-f 2` only through [`crate::rules::guard`].
    pub fn set_status(&self, status: &AuditStatus) -> Result<i32, ControlError> {
        let mut payload = [0u8; STATUS_LEN];
        let len = status
            .emit(&mut payload)
            .map_err(|_| ControlError::Malformed)?;
        self.request_ack(MessageType::SET, payload.get(..len).unwrap_or(&payload))
    }

    /// Names `pid` as the audit daemon (0 releases it). Send it over the
    /// socket that will receive the records ([`Control::borrowed`]).
    pub fn set_pid(&self, pid: u32) -> Result<(), ControlError> {
        self.set_status(&AuditStatus::set_pid(pid)).map(|_| ())
    }

    /// `AUDIT_LIST_RULES`: every rule as its `audit_rule_data` bytes.
    pub fn list_rules(&self) -> Result<Vec<Vec<u8>>, ControlError> {
        let mut rules = Vec::new();
        self.dump(MessageType::LIST_RULES, &[], true, |payload| {
            rules.push(payload.to_vec())
        })?;
        Ok(rules)
    }

    /// `AUDIT_ADD_RULE` with an `audit_rule_data`.
    pub fn add_rule(&self, rule: &[u8]) -> Result<(), ControlError> {
        self.request_ack(MessageType::ADD_RULE, rule).map(|_| ())
    }

    /// `AUDIT_DEL_RULE` with an `audit_rule_data` equal to a loaded rule.
    pub fn delete_rule(&self, rule: &[u8]) -> Result<(), ControlError> {
        self.request_ack(MessageType::DEL_RULE, rule).map(|_| ())
    }

    fn send(&self, msg_type: MessageType, payload: &[u8]) -> Result<u32, ControlError> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let mut message = vec![0u8; nl::NLMSG_HDRLEN + payload.len() + 3];
        let len = nl::write_message(
            &mut message,
            msg_type.0,
            NLM_F_REQUEST | NLM_F_ACK,
            seq,
            0,
            payload,
        )
        .map_err(|_| ControlError::Malformed)?;
        self.socket().send(message.get(..len).unwrap_or(&message))?;
        Ok(seq)
    }

    /// Receives until `on_frame` says the answer is complete, feeding it the
    /// frames that carry `seq`; gives up at the timeout.
    fn collect(
        &self,
        seq: u32,
        mut on_frame: impl FnMut(&NetlinkMessage<'_>) -> Result<bool, ControlError>,
    ) -> Result<(), ControlError> {
        let deadline = Instant::now() + self.timeout;
        let mut buf = vec![0u8; REPLY_BUFFER];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !wait_readable(self.socket().as_fd(), left)? {
                return Err(ControlError::TimedOut);
            }
            let received = match self.socket().recv(&mut buf)? {
                RecvOutcome::Datagram(r) => r,
                RecvOutcome::TimedOut => continue,
            };
            if !received.from_kernel() {
                self.spoofed.fetch_add(1, Ordering::Relaxed);
                self.spoofed_sender
                    .store(received.sender, Ordering::Relaxed);
                continue;
            }
            let datagram = buf.get(..received.len).unwrap_or(&[]);
            // A frame that does not parse (a record of the unicast stream,
            // whose length counts its payload only) is never a reply.
            for frame in Frames::new(datagram).map_while(Result::ok) {
                if frame.seq != seq {
                    continue;
                }
                if on_frame(&frame)? {
                    return Ok(());
                }
            }
        }
    }
}

/// Bit of `AUDIT_FEATURE_LOGINUID_IMMUTABLE` (feature 1) in the masks.
const LOGINUID_IMMUTABLE: u32 = 1 << 1;

/// The kernel's `struct audit_features` (what `auditctl -s` reads for its
/// `loginuid_immutable` line).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// Features turned on (bit N: feature N).
    pub features: u32,
    /// Features whose setting is locked.
    pub lock: u32,
}

/// `struct audit_features`' words: `vers` (0..4), `mask` (4..8), then
/// these two.
const FEATURES: std::ops::Range<usize> = 8..12;
const LOCK: std::ops::Range<usize> = 12..16;

impl Features {
    /// `vers`, `mask`, `features`, `lock`: four native-endian u32.
    pub fn parse(payload: &[u8]) -> Option<Features> {
        let word = |at: std::ops::Range<usize>| match payload.get(at) {
            Some(&[a, b, c, d]) => Some(u32::from_ne_bytes([a, b, c, d])),
            _ => None,
        };
        Some(Features {
            features: word(FEATURES)?,
            lock: word(LOCK)?,
        })
    }

    /// The `loginuid_immutable` value and whether it is locked.
    pub fn loginuid_immutable(&self) -> (bool, bool) {
        (
            self.features & LOGINUID_IMMUTABLE != 0,
            self.lock & LOGINUID_IMMUTABLE != 0,
        )
    }
}

/// Reads an `NLMSG_ERROR` payload: a negative code is a refusal.
fn ack_code(payload: &[u8]) -> Result<i32, ControlError> {
    match nl::error_code(payload) {
        None => Err(ControlError::Malformed),
        Some(code) if code < 0 => Err(ControlError::Kernel(code.saturating_neg())),
        Some(code) => Ok(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_read_loginuid_immutable_and_its_lock() {
        let mut payload = Vec::new();
        for word in [1u32, 0, 0b10, 0b10] {
            payload.extend_from_slice(&word.to_ne_bytes());
        }
        let f = Features::parse(&payload).unwrap();
        assert_eq!(f.loginuid_immutable(), (true, true));
        assert_eq!(Features::default().loginuid_immutable(), (false, false));
        assert!(Features::parse(&payload[..12]).is_none());
    }

    #[test]
    fn ack_codes() {
        assert_eq!(ack_code(&0i32.to_ne_bytes()).ok(), Some(0));
        assert_eq!(ack_code(&7i32.to_ne_bytes()).ok(), Some(7));
        assert!(matches!(
            ack_code(&(-13i32).to_ne_bytes()),
            Err(ControlError::Kernel(13))
        ));
        assert!(matches!(ack_code(&[1, 2]), Err(ControlError::Malformed)));
    }
}

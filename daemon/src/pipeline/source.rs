//! Where the receive thread's datagrams come from: [`Source`] is the seam
//! between the pipeline and the kernel. [`SocketSource`] is the live one
//! (`recvmmsg` on the audit socket, its receive timeout following the
//! assembler's next deadline); tests feed datagrams from memory.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::sys::netlink::{AuditSocket, BatchOutcome, Received};

/// Largest record the kernel sends (`MAX_AUDIT_MESSAGE_LENGTH`) plus its
/// netlink header: one receive slot.
pub const SLOT_BYTES: usize = 8970 + raudit_core::wire::netlink::NLMSG_HDRLEN;

/// One receive slot.
pub type Slot = [u8; SLOT_BYTES];

/// What one receive call produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// This many slots were filled (see the `Received` entries).
    Datagrams(usize),
    /// Nothing arrived before the timeout.
    Idle,
    /// A signal interrupted the wait.
    Interrupted,
    /// No more input will ever come (replay and tests).
    Ended,
}

/// A source of netlink datagrams.
pub trait Source {
    /// Receives up to `slots.len()` datagrams, waiting at most `timeout`
    /// for the first. `ENOBUFS` is an error of raw os error `ENOBUFS`.
    fn receive(
        &mut self,
        slots: &mut [Slot],
        received: &mut [Received],
        timeout: Duration,
    ) -> io::Result<Input>;

    /// Waits `duration` before the next receive (receive pacing).
    fn pause(&mut self, duration: Duration);
}

/// The live source: the audit socket.
pub struct SocketSource {
    socket: Arc<AuditSocket>,
    /// The receive timeout last set, in milliseconds (one `setsockopt` only
    /// when it changes).
    timeout_ms: Option<u64>,
}

impl SocketSource {
    pub fn new(socket: Arc<AuditSocket>) -> SocketSource {
        SocketSource {
            socket,
            timeout_ms: None,
        }
    }
}

impl Source for SocketSource {
    fn receive(
        &mut self,
        slots: &mut [Slot],
        received: &mut [Received],
        timeout: Duration,
    ) -> io::Result<Input> {
        let ms = timeout.as_millis().clamp(1, u128::from(u32::MAX)) as u64;
        if self.timeout_ms != Some(ms) {
            self.socket
                .set_receive_timeout(Some(Duration::from_millis(ms)))?;
            self.timeout_ms = Some(ms);
        }
        Ok(match self.socket.receive_batch(slots, received)? {
            BatchOutcome::Received(n) => Input::Datagrams(n),
            BatchOutcome::TimedOut => Input::Idle,
            BatchOutcome::Interrupted => Input::Interrupted,
        })
    }

    fn pause(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

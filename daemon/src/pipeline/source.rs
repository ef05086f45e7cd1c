//! Where the receive thread's datagrams come from: [`Source`] is the seam
//! between the pipeline and the kernel. [`SocketSource`] is the live one
//! (`recvmmsg` on the audit socket, its receive timeout following the
//! assembler's next deadline). [`MemorySource`] and [`receive_from`] feed
//! datagrams from memory: test support (the tests and examples share them),
//! never used by the daemon.

use std::collections::VecDeque;
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

// ---- test support: datagrams from memory ----------------------------------
//
// Not used by the daemon: for the unit tests, the integration tests and the
// examples that run the receive side without a kernel (hidden from the
// documentation; never on the live path).

/// Test support: datagrams from memory, handed over in order, each with
/// its sender's port id (0: the kernel), as many per receive as there are
/// slots; the input ends when they run out.
#[doc(hidden)]
pub struct MemorySource(VecDeque<(u32, Vec<u8>)>);

impl MemorySource {
    /// Datagrams all sent by the kernel.
    pub fn from_kernel(datagrams: Vec<Vec<u8>>) -> MemorySource {
        MemorySource(datagrams.into_iter().map(|d| (0, d)).collect())
    }

    /// Datagrams each with its sender's port id.
    pub fn with_senders(datagrams: Vec<(u32, Vec<u8>)>) -> MemorySource {
        MemorySource(datagrams.into_iter().collect())
    }
}

impl Source for MemorySource {
    fn receive(
        &mut self,
        slots: &mut [Slot],
        received: &mut [Received],
        _: Duration,
    ) -> io::Result<Input> {
        Ok(receive_from(slots, received, |slot| {
            let (sender, datagram) = self.0.pop_front()?;
            Some(copy_into(slot, &datagram, sender))
        }))
    }

    fn pause(&mut self, _: Duration) {}
}

/// Test support: one receive from memory. `next` writes the next waiting
/// datagram into the slot it is given and says what it wrote, or returns
/// `None` when no more is waiting; the receive takes as many as there are
/// slots, and is `Ended` when not one was waiting.
#[doc(hidden)]
pub fn receive_from(
    slots: &mut [Slot],
    received: &mut [Received],
    mut next: impl FnMut(&mut Slot) -> Option<Received>,
) -> Input {
    let mut n = 0;
    for (slot, entry) in slots.iter_mut().zip(received.iter_mut()) {
        let Some(got) = next(slot) else {
            break;
        };
        *entry = got;
        n += 1;
    }
    if n == 0 {
        Input::Ended
    } else {
        Input::Datagrams(n)
    }
}

/// Test support: `datagram` from `sender` copied into `slot`, cut to the
/// slot's size as the socket cuts a longer one (`truncated`).
#[doc(hidden)]
pub fn copy_into(slot: &mut Slot, datagram: &[u8], sender: u32) -> Received {
    let len = datagram.len().min(slot.len());
    slot[..len].copy_from_slice(&datagram[..len]);
    Received {
        len,
        truncated: len < datagram.len(),
        sender,
    }
}

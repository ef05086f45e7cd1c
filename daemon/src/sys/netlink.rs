//! `AF_NETLINK`/`NETLINK_AUDIT` sockets: open, bind (unicast to the audit
//! daemon, or multicast group 1 read-only), send to the kernel, receive one
//! datagram (`recvmsg`, with `MSG_TRUNC` detection and `EINTR` retry) or a
//! batch (`recvmmsg`), and the socket options the daemon needs.
//!
//! Only the kernel's datagrams may be read: with `CAP_NET_ADMIN` any local
//! process can send to an audit socket's port. A unicast socket is
//! therefore connected to the kernel's port (0) when it is opened, and the
//! kernel then refuses every other sender (its send fails with
//! `ECONNREFUSED`, nothing is queued: a forger can neither inject records
//! nor fill the socket so that the kernel's own are lost), so its
//! receives take no sender address: asking for one costs the kernel about
//! 90 ns a datagram, 15% of a receive (measured with `recvmmsg` of 64
//! datagrams). The multicast (read-log) socket cannot be connected that
//! way, so each of its receives captures the sender's port id
//! (`msg_name`) and callers drop what did not come from the kernel.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Duration;

use super::retry::retry_if_interrupted;

/// `NETLINK_AUDIT` protocol number.
pub const NETLINK_AUDIT: libc::c_int = 9;
/// Multicast group of the read-only audit log (`AUDIT_NLGRP_READLOG`).
pub const AUDIT_NLGRP_READLOG: u32 = 1;

/// How the socket listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    /// Plain socket: requests, and the unicast stream once `AUDIT_SET` names
    /// our pid.
    Unicast,
    /// Read-only copy of the stream on multicast group 1, beside another
    /// audit daemon. Needs `CAP_AUDIT_READ`.
    ReadLog,
}

/// Result of receiving one datagram.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// Bytes placed in the buffer.
    pub len: usize,
    /// The datagram was longer than the buffer (`MSG_TRUNC`); `len` bytes
    /// were kept, the rest is lost.
    pub truncated: bool,
    /// The sender's netlink port id: 0 is the kernel; anything else is a
    /// user-space process (a forgery on an audit socket). [`NOT_KERNEL`]
    /// when the kernel gave no address. Always the kernel on a socket
    /// only the kernel can send to ([`AuditSocket::kernel_only`]).
    pub sender: u32,
}

impl Received {
    /// The datagram came from the kernel (sender port 0).
    pub fn from_kernel(&self) -> bool {
        self.sender == KERNEL_PORT
    }
}

/// The sender recorded when no address came back: never the kernel's 0,
/// so a receive without an address fails closed.
pub const NOT_KERNEL: u32 = u32::MAX;

/// The kernel's netlink port id.
pub const KERNEL_PORT: u32 = 0;

/// The address of port `port` (0: the kernel) in multicast `groups`.
fn netlink_address(port: u32, groups: u32) -> libc::sockaddr_nl {
    // SAFETY: sockaddr_nl is plain old data; all-zero is a valid value.
    let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    addr.nl_pid = port;
    addr.nl_groups = groups;
    addr
}

/// `bind` or `connect` (the same signature) of `fd` to `addr`.
fn set_address(
    fd: BorrowedFd<'_>,
    addr: &libc::sockaddr_nl,
    call: unsafe extern "C" fn(libc::c_int, *const libc::sockaddr, libc::socklen_t) -> libc::c_int,
) -> io::Result<()> {
    // SAFETY: `call` is `bind` or `connect`; `addr` is a valid sockaddr_nl
    // for the duration of the call and the length passed is its exact size.
    let rc = unsafe {
        call(
            fd.as_raw_fd(),
            (addr as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A `sockaddr_nl` whose `nl_pid` is [`NOT_KERNEL`] until the kernel fills it.
fn unfilled_address() -> libc::sockaddr_nl {
    // SAFETY: sockaddr_nl is plain old data; all-zero is a valid value.
    let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    addr.nl_pid = NOT_KERNEL;
    addr
}

/// The sender port of an address the kernel filled (`len` bytes of it).
fn sender_of(addr: &libc::sockaddr_nl, len: libc::socklen_t) -> u32 {
    if (len as usize) < std::mem::size_of::<libc::sockaddr_nl>()
        || i32::from(addr.nl_family) != libc::AF_NETLINK
    {
        return NOT_KERNEL;
    }
    addr.nl_pid
}

/// Outcome of a receive that may time out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvOutcome {
    Datagram(Received),
    /// The receive timeout passed (or the socket is non-blocking and empty).
    TimedOut,
}

/// Outcome of one batch receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchOutcome {
    /// This many datagrams were received (at least one).
    Received(usize),
    /// The receive timeout passed with nothing to read.
    TimedOut,
    /// A signal interrupted the wait (`EINTR`).
    Interrupted,
}

/// A netlink audit socket.
#[derive(Debug)]
pub struct AuditSocket {
    fd: OwnedFd,
    /// Connected to the kernel's port: the kernel delivers nothing else,
    /// so receives take no sender address.
    kernel_only: bool,
}

impl AuditSocket {
    /// Opens and binds a `NETLINK_AUDIT` socket.
    pub fn open(membership: Membership) -> io::Result<AuditSocket> {
        // SAFETY: plain syscall with constant arguments; the returned fd is
        // checked and then owned by OwnedFd exactly once.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                NETLINK_AUDIT,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a freshly created, valid fd that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let groups = match membership {
            Membership::Unicast => 0,
            Membership::ReadLog => 1 << (AUDIT_NLGRP_READLOG - 1),
        };
        // Port 0: the kernel assigns our port id.
        set_address(fd.as_fd(), &netlink_address(0, groups), libc::bind)?;
        let kernel_only = membership == Membership::Unicast;
        if kernel_only {
            // From then on the kernel refuses every other sender's datagram
            // to this socket (`ECONNREFUSED` at the sender, nothing queued);
            // its own (records, replies) still arrive.
            set_address(fd.as_fd(), &netlink_address(KERNEL_PORT, 0), libc::connect)?;
        }
        Ok(AuditSocket { fd, kernel_only })
    }

    /// Whether the kernel refuses every sender but itself to this socket
    /// (a unicast socket, connected to port 0 when opened).
    pub fn kernel_only(&self) -> bool {
        self.kernel_only
    }

    /// Sends one netlink message (header included) to the kernel.
    pub fn send(&self, message: &[u8]) -> io::Result<()> {
        self.send_to(message, KERNEL_PORT)
    }

    /// Sends one netlink message (header included) to netlink port `port`
    /// (the kernel's is [`KERNEL_PORT`]).
    fn send_to(&self, message: &[u8], port: u32) -> io::Result<()> {
        let to = netlink_address(port, 0);
        // SAFETY: `message` is a valid readable slice of the given
        // length; `to` is a valid sockaddr_nl of the given size.
        retry_if_interrupted(|| unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                message.as_ptr().cast(),
                message.len(),
                0,
                &to as *const libc::sockaddr_nl as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        })?;
        Ok(())
    }

    /// Receives one datagram into `buf`, retrying on `EINTR`. A receive
    /// timeout (see [`set_receive_timeout`](Self::set_receive_timeout))
    /// gives `TimedOut`; `ENOBUFS` (the kernel dropped datagrams because
    /// the socket buffer was full) is returned as an error of raw os error
    /// `libc::ENOBUFS` for the caller to count.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<RecvOutcome> {
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        let mut from = unfilled_address();
        let name_len = if self.kernel_only {
            0
        } else {
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t
        };
        // SAFETY: msghdr is plain old data; all-zero is a valid value.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if !self.kernel_only {
            msg.msg_name = (&mut from as *mut libc::sockaddr_nl).cast();
        }
        let received = retry_if_interrupted(|| {
            // The kernel shortens it to the sender's address: full again
            // for a call after an interruption.
            msg.msg_namelen = name_len;
            // SAFETY: `msg` points at one iovec that covers `buf`, which is
            // valid and writable for its whole length during the call, and
            // (unless null) at `from`, a writable sockaddr_nl of the length
            // given.
            unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut msg, 0) }
        });
        match received {
            Ok(rc) => Ok(RecvOutcome::Datagram(Received {
                len: (rc as usize).min(buf.len()),
                truncated: msg.msg_flags & libc::MSG_TRUNC != 0,
                sender: self.sender(&from, msg.msg_namelen),
            })),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(RecvOutcome::TimedOut)
            }
            Err(e) => Err(e),
        }
    }

    /// Receives up to `slots.len()` datagrams in one `recvmmsg` call. Blocks
    /// for the first datagram (subject to the receive timeout), then takes
    /// what is already queued (`MSG_WAITFORONE`). Fills `out[i]` for each
    /// datagram received. A signal (handlers installed without
    /// `SA_RESTART`) returns `Interrupted`, not retried, so the caller can
    /// look at its flags. `ENOBUFS` is an error of raw os error
    /// `libc::ENOBUFS`.
    pub fn receive_batch<const N: usize>(
        &self,
        slots: &mut [[u8; N]],
        out: &mut [Received],
    ) -> io::Result<BatchOutcome> {
        const MAX_BATCH: usize = 128;
        let count = slots.len().min(out.len()).min(MAX_BATCH);
        // Only the first `count` entries are initialised (and zeroed): a
        // call that takes a few records does not clear 10 KiB of headers.
        let mut iovs = [const { MaybeUninit::<libc::iovec>::uninit() }; MAX_BATCH];
        let mut msgs = [const { MaybeUninit::<libc::mmsghdr>::uninit() }; MAX_BATCH];
        // The senders' addresses, filled by the kernel beside the data
        // (none asked of a socket only the kernel can send to).
        let mut names = [const { MaybeUninit::<libc::sockaddr_nl>::uninit() }; MAX_BATCH];
        for (i, slot) in slots.iter_mut().take(count).enumerate() {
            let iov = iovs[i].write(libc::iovec {
                iov_base: slot.as_mut_ptr().cast(),
                iov_len: N,
            });
            let name = names[i].write(unfilled_address());
            // SAFETY: mmsghdr is plain old data; all-zero is a valid value.
            let mut msg: libc::mmsghdr = unsafe { std::mem::zeroed() };
            msg.msg_hdr.msg_iov = iov;
            msg.msg_hdr.msg_iovlen = 1;
            if !self.kernel_only {
                msg.msg_hdr.msg_name = (name as *mut libc::sockaddr_nl).cast();
                msg.msg_hdr.msg_namelen =
                    std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
            }
            msgs[i].write(msg);
        }
        // SAFETY: the first `count` mmsghdrs are initialised, each pointing
        // at one initialised iovec covering a distinct slot of `slots` and
        // (unless null) at one initialised sockaddr_nl of the length given,
        // all valid and writable for the duration of the call; the kernel
        // reads no entry beyond `count`; a null timeout is allowed.
        let rc = unsafe {
            libc::recvmmsg(
                self.fd.as_raw_fd(),
                msgs.as_mut_ptr().cast::<libc::mmsghdr>(),
                count as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if rc >= 0 {
            let got = (rc as usize).min(count);
            for (i, received) in out.iter_mut().take(got).enumerate() {
                // SAFETY: entries below `count` (and `got` <= `count`) were
                // initialised above; the kernel only filled them in.
                let msg = unsafe { msgs[i].assume_init_ref() };
                // SAFETY: as above: entry `i` < `count` was initialised.
                let name = unsafe { names[i].assume_init_ref() };
                *received = Received {
                    len: (msg.msg_len as usize).min(N),
                    truncated: msg.msg_hdr.msg_flags & libc::MSG_TRUNC != 0,
                    sender: self.sender(name, msg.msg_hdr.msg_namelen),
                };
            }
            return Ok(if got == 0 {
                BatchOutcome::TimedOut
            } else {
                BatchOutcome::Received(got)
            });
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::Interrupted => Ok(BatchOutcome::Interrupted),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Ok(BatchOutcome::TimedOut),
            _ => Err(err),
        }
    }

    /// The sender of a datagram received into `addr`: the kernel on a
    /// socket only the kernel can send to (no address was asked), else
    /// the port id the kernel filled in.
    fn sender(&self, addr: &libc::sockaddr_nl, len: libc::socklen_t) -> u32 {
        if self.kernel_only {
            KERNEL_PORT
        } else {
            sender_of(addr, len)
        }
    }

    /// Sets `SO_RCVBUFFORCE` (beyond `rmem_max`, needs `CAP_NET_ADMIN`),
    /// falling back to `SO_RCVBUF`. Returns true when the forced form took.
    pub fn set_receive_buffer(&self, bytes: usize) -> io::Result<bool> {
        let value = bytes.min(i32::MAX as usize) as libc::c_int;
        if self
            .set_int_option(libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, value)
            .is_ok()
        {
            return Ok(true);
        }
        self.set_int_option(libc::SOL_SOCKET, libc::SO_RCVBUF, value)?;
        Ok(false)
    }

    /// The receive buffer size the kernel granted (`SO_RCVBUF`, doubled by
    /// the kernel for bookkeeping).
    pub fn receive_buffer(&self) -> io::Result<usize> {
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `value` and `len` are valid for writes of their sizes.
        let rc = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(value.max(0) as usize)
    }

    /// Sets the receive timeout; `None` blocks forever. A zero duration is
    /// rounded up to one microsecond (zero would mean "forever").
    pub fn set_receive_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        let tv = match timeout {
            None => libc::timeval {
                tv_sec: 0,
                tv_usec: 0,
            },
            Some(d) => {
                let d = d.max(Duration::from_micros(1));
                libc::timeval {
                    tv_sec: d.as_secs().min(i32::MAX as u64) as libc::time_t,
                    tv_usec: d.subsec_micros() as libc::suseconds_t,
                }
            }
        };
        // SAFETY: `tv` is a valid timeval for the duration of the call and
        // the length passed is its exact size.
        let rc = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&tv as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn set_int_option(
        &self,
        level: libc::c_int,
        name: libc::c_int,
        value: libc::c_int,
    ) -> io::Result<()> {
        // SAFETY: `value` is a valid c_int for the duration of the call and
        // the length passed is its exact size.
        let rc = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                level,
                name,
                (&value as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl AsFd for AuditSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// `socket`'s own port id.
    fn local_port(socket: &AuditSocket) -> u32 {
        let mut addr = unfilled_address();
        let mut len = std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        // SAFETY: `addr` and `len` are valid for writes of their sizes.
        let rc = unsafe {
            libc::getsockname(
                socket.fd.as_raw_fd(),
                (&mut addr as *mut libc::sockaddr_nl).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0, "{}", io::Error::last_os_error());
        addr.nl_pid
    }

    /// A 16-byte netlink header of `msg_type`, payload-less.
    fn header(msg_type: u16, flags: u16) -> [u8; 16] {
        let mut h = [0u8; 16];
        h[..4].copy_from_slice(&16u32.to_ne_bytes());
        h[4..6].copy_from_slice(&msg_type.to_ne_bytes());
        h[6..8].copy_from_slice(&flags.to_ne_bytes());
        h
    }

    /// The kernel refuses another socket's datagram to a unicast audit
    /// socket (connected to the kernel's port), and its own reply to a
    /// (read-only) status request still arrives, from the kernel.
    #[test]
    fn a_unicast_socket_takes_the_kernels_datagrams_only() {
        let socket = AuditSocket::open(Membership::Unicast).unwrap();
        assert!(socket.kernel_only());
        let port = local_port(&socket);
        let forger = AuditSocket::open(Membership::Unicast).unwrap();
        let err = forger
            .send_to(&header(1300, 0), port)
            .expect_err("a forged datagram was accepted");
        match err.raw_os_error() {
            Some(libc::ECONNREFUSED) => {}
            // Without CAP_NET_ADMIN no unicast to a port is allowed at all.
            Some(libc::EPERM) => {
                skip!("SKIPPED the refusal check: not CAP_NET_ADMIN (EPERM first)")
            }
            other => panic!("the forged send failed otherwise: {other:?} {err}"),
        }
        // AUDIT_GET (1000) with NLM_F_REQUEST | NLM_F_ACK: answered (or
        // refused, without CAP_AUDIT_CONTROL) by the kernel.
        socket.send(&header(1000, 0x1 | 0x4)).unwrap();
        socket
            .set_receive_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let mut buf = [0u8; 1024];
        match socket.recv(&mut buf).unwrap() {
            RecvOutcome::Datagram(r) => {
                assert!(r.from_kernel());
                assert!(r.len >= 16, "{r:?}");
            }
            RecvOutcome::TimedOut => panic!("the kernel's reply did not arrive"),
        }
    }
}

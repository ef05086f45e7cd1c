//! storm-null: the cheapest possible audit daemon, i.e. the limit of this
//! kernel for the storm benchmark.
//!
//! Registers itself as the audit daemon (`AUDIT_SET` pid), then drains the
//! netlink socket and only counts: records, SYSCALL records, SYSCALL records
//! whose text ends in `key="KEY"` (the storm events) and bytes. With `-m 1`
//! it takes one record per `recv`; with `-m N` up to N records per
//! `recvmmsg(MSG_WAITFORONE)`. On SIGTERM/SIGINT it clears the audit pid,
//! prints one `key=value` line and exits.
//!
//! ```text
//! storm-null [-m BATCH] [-b RCVBUF_BYTES] [-k KEY]
//! storm-null -x      register, then unregister at once (clears a dead pid)
//! ```

use std::io::Error;
use std::process::exit;
use std::sync::atomic::{AtomicBool, Ordering};

const AUDIT_SET: u16 = 1001;
const AUDIT_SYSCALL: u16 = 1300;
const AUDIT_STATUS_PID: u32 = 4;
/// `MAX_AUDIT_MESSAGE_LENGTH` (8970) plus the netlink header, rounded up.
const SLOT: usize = 9216;
const MAX_BATCH: usize = 256;
const HDR: usize = std::mem::size_of::<libc::nlmsghdr>();

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

#[derive(Default)]
struct Counts {
    records: u64,
    syscalls: u64,
    storm: u64,
    bytes: u64,
    enobufs: u64,
}

impl Counts {
    /// Account for one datagram. kauditd sends one record per datagram and
    /// its `nlmsg_len` counts the payload only, so the length comes from the
    /// datagram. The rule key is the SYSCALL record's last field: a tail
    /// compare, no parsing.
    fn add(&mut self, dgram: &[u8], key: &[u8]) {
        self.records += 1;
        self.bytes += dgram.len() as u64;
        if dgram.len() <= HDR || u16::from_ne_bytes([dgram[4], dgram[5]]) != AUDIT_SYSCALL {
            return;
        }
        self.syscalls += 1;
        let mut body = &dgram[HDR..];
        while let [rest @ .., 0 | b'\n'] = body {
            body = rest;
        }
        if body.ends_with(key) {
            self.storm += 1;
        }
    }
}

/// `AUDIT_SET` the daemon pid and wait for the kernel's ack (records that
/// arrive before it are counted). Returns the kernel's error, 0 on success.
fn set_pid(fd: i32, pid: u32, seq: u32, buf: &mut [u8], c: &mut Counts, key: &[u8]) -> i32 {
    // struct audit_status: 11 u32 (mask, enabled, failure, pid, ...); the
    // kernel copies what it is given and zero-fills the rest.
    let mut msg = [0u8; HDR + 44];
    let len = msg.len() as u32;
    msg[0..4].copy_from_slice(&len.to_ne_bytes());
    msg[4..6].copy_from_slice(&AUDIT_SET.to_ne_bytes());
    let flags = (libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16;
    msg[6..8].copy_from_slice(&flags.to_ne_bytes());
    msg[8..12].copy_from_slice(&seq.to_ne_bytes());
    msg[HDR..HDR + 4].copy_from_slice(&AUDIT_STATUS_PID.to_ne_bytes());
    msg[HDR + 12..HDR + 16].copy_from_slice(&pid.to_ne_bytes());
    // SAFETY: zeroed sockaddr_nl is the kernel's address (pid 0, no groups).
    let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    kernel.nl_family = libc::AF_NETLINK as u16;
    // SAFETY: msg and kernel are valid for the lengths given.
    let sent = unsafe {
        libc::sendto(
            fd,
            msg.as_ptr().cast(),
            msg.len(),
            0,
            (&kernel as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        )
    };
    if sent < 0 {
        return -Error::last_os_error().raw_os_error().unwrap_or(0);
    }
    loop {
        // SAFETY: buf is valid for buf.len() bytes.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            let e = Error::last_os_error().raw_os_error().unwrap_or(0);
            if e == libc::EINTR || e == libc::ENOBUFS {
                continue;
            }
            return -e;
        }
        let d = &buf[..n as usize];
        if let [_, _, _, _, t0, t1, _, _, s0, s1, s2, s3, _, _, _, _, e0, e1, e2, e3, ..] = *d {
            let is_ack = u16::from_ne_bytes([t0, t1]) == libc::NLMSG_ERROR as u16;
            if is_ack && u32::from_ne_bytes([s0, s1, s2, s3]) == seq {
                return i32::from_ne_bytes([e0, e1, e2, e3]);
            }
        }
        c.add(d, key);
    }
}

fn usage() -> ! {
    eprintln!("usage: storm-null [-m batch] [-b rcvbuf] [-k key] [-x]");
    exit(2)
}

fn main() {
    let (mut batch, mut rcvbuf, mut once) = (1usize, 0i32, false);
    let mut key = String::from("storm");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "-m" => batch = val().parse().unwrap_or_else(|_| usage()),
            "-b" => rcvbuf = val().parse().unwrap_or_else(|_| usage()),
            "-k" => key = val(),
            "-x" => once = true,
            _ => usage(),
        }
    }
    let batch = batch.clamp(1, MAX_BATCH);
    let key = format!("key=\"{key}\"").into_bytes();

    // SAFETY: plain socket creation.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_AUDIT,
        )
    };
    if fd < 0 {
        eprintln!("socket: {}", Error::last_os_error());
        exit(1);
    }
    let optlen = std::mem::size_of::<i32>() as u32;
    // SAFETY: rcvbuf is a valid i32 for the option calls.
    unsafe {
        if rcvbuf > 0
            && libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                (&rcvbuf as *const i32).cast(),
                optlen,
            ) < 0
        {
            eprintln!("SO_RCVBUFFORCE: {}", Error::last_os_error());
        }
        let mut len = optlen;
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&mut rcvbuf as *mut i32).cast(),
            &mut len,
        );
    }
    // SAFETY: installing an async-signal-safe handler; no SA_RESTART, so a
    // blocked recv returns EINTR and the loop sees STOP.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        libc::sigaction(libc::SIGTERM, &sa, std::ptr::null_mut());
        libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
    }

    let mut c = Counts::default();
    let mut slots = vec![0u8; SLOT * batch];
    let rc = set_pid(fd, std::process::id(), 1, &mut slots[..SLOT], &mut c, &key);
    if rc != 0 {
        eprintln!("AUDIT_SET pid: {}", Error::from_raw_os_error(-rc));
        exit(1);
    }
    eprintln!(
        "storm-null: registered pid {} batch={batch} rcvbuf={rcvbuf}",
        std::process::id()
    );

    if !once && batch > 1 {
        let mut iovs: Vec<libc::iovec> = slots
            .chunks_mut(SLOT)
            .map(|s| libc::iovec {
                iov_base: s.as_mut_ptr().cast(),
                iov_len: SLOT,
            })
            .collect();
        // SAFETY: zeroed mmsghdr is valid; each points at its own iovec.
        let mut msgs: Vec<libc::mmsghdr> = iovs
            .iter_mut()
            .map(|iov| {
                let mut m: libc::mmsghdr = unsafe { std::mem::zeroed() };
                m.msg_hdr.msg_iov = iov;
                m.msg_hdr.msg_iovlen = 1;
                m
            })
            .collect();
        while !STOP.load(Ordering::Relaxed) {
            // SAFETY: msgs/iovs/slots outlive the call; vlen = msgs.len().
            let got = unsafe {
                libc::recvmmsg(
                    fd,
                    msgs.as_mut_ptr(),
                    msgs.len() as u32,
                    libc::MSG_WAITFORONE,
                    std::ptr::null_mut(),
                )
            };
            if got < 0 {
                match Error::last_os_error().raw_os_error() {
                    Some(libc::ENOBUFS) => c.enobufs += 1,
                    Some(libc::EINTR) => {}
                    _ => {
                        eprintln!("recvmmsg: {}", Error::last_os_error());
                        break;
                    }
                }
                continue;
            }
            for (m, i) in msgs.iter().zip(0..got as usize) {
                let len = (m.msg_len as usize).min(SLOT);
                // SAFETY: the kernel filled slot i with msg_len bytes.
                let d = unsafe { std::slice::from_raw_parts(iovs[i].iov_base as *const u8, len) };
                c.add(d, &key);
            }
        }
    }
    let buf = &mut slots[..SLOT];
    while !once && !STOP.load(Ordering::Relaxed) {
        // SAFETY: buf is valid for its length.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            match Error::last_os_error().raw_os_error() {
                Some(libc::ENOBUFS) => c.enobufs += 1, // the kernel overran our socket
                Some(libc::EINTR) => {}
                _ => {
                    eprintln!("recv: {}", Error::last_os_error());
                    break;
                }
            }
            continue;
        }
        c.add(&buf[..n as usize], &key);
    }

    let rc = set_pid(fd, 0, 2, buf, &mut c, &key);
    if rc != 0 {
        eprintln!("AUDIT_SET pid 0: {}", Error::from_raw_os_error(-rc));
    }
    println!(
        "records={} syscall_records={} storm={} bytes={} enobufs={} rcvbuf={rcvbuf} batch={batch}",
        c.records, c.syscalls, c.storm, c.bytes, c.enobufs
    );
    exit(i32::from(rc != 0));
}

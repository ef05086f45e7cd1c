//! storm-recv: the storm benchmark's receivers for raudit's network outputs
//! (`--raudit-outputs all`), so the drain measures raudit and not Python
//! threads sharing its CPUs.
//!
//! Binds a unix datagram socket (syslog) at a path and a UDP port on
//! 127.0.0.1 (GELF), prints `udp_port=N` on stdout once both are bound,
//! then drains both with `recvmmsg` (up to 64 datagrams per call, blocking
//! in `poll` between bursts) and only counts datagrams and bytes; a
//! datagram longer than a slot is counted once (its tail is discarded by the
//! kernel). On SIGTERM/SIGINT it prints one `key=value` line and exits.
//!
//! ```text
//! storm-recv -u SYSLOG_SOCKET_PATH [-b RCVBUF_BYTES]
//! ```

use std::io::{Error, Write};
use std::process::exit;
use std::sync::atomic::{AtomicBool, Ordering};

/// Larger than a GELF chunk (8,192) and a typical syslog line; a longer
/// datagram is still one datagram.
const SLOT: usize = 65536;
const BATCH: usize = 64;

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

fn die(what: &str) -> ! {
    eprintln!("storm-recv: {what}: {}", Error::last_os_error());
    exit(1)
}

fn usage() -> ! {
    eprintln!("usage: storm-recv -u SYSLOG_SOCKET_PATH [-b RCVBUF_BYTES]");
    exit(2)
}

/// A datagram socket of `domain`, non-blocking, with a forced receive buffer.
fn datagram_socket(domain: libc::c_int, rcvbuf: i32) -> i32 {
    // SAFETY: plain socket creation.
    let fd = unsafe { libc::socket(domain, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        die("socket");
    }
    // SAFETY: rcvbuf is a valid i32 for the option's length.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            (&rcvbuf as *const i32).cast(),
            std::mem::size_of::<i32>() as u32,
        )
    };
    if rc < 0 {
        eprintln!("storm-recv: SO_RCVBUFFORCE: {}", Error::last_os_error());
    }
    fd
}

fn bind_unix(path: &str, rcvbuf: i32) -> i32 {
    let fd = datagram_socket(libc::AF_UNIX, rcvbuf);
    let _ = std::fs::remove_file(path);
    // SAFETY: a zeroed sockaddr_un is valid; the path is copied in bounds.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as u16;
    let bytes = path.as_bytes();
    if bytes.len() >= addr.sun_path.len() {
        eprintln!("storm-recv: socket path too long: {path}");
        exit(2);
    }
    for (dst, src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    // SAFETY: addr is a valid sockaddr_un for its size.
    let rc = unsafe {
        libc::bind(
            fd,
            (&addr as *const libc::sockaddr_un).cast(),
            std::mem::size_of::<libc::sockaddr_un>() as u32,
        )
    };
    if rc < 0 {
        die("bind unix");
    }
    fd
}

/// A UDP socket on 127.0.0.1, a port the kernel picks; returns (fd, port).
fn bind_udp(rcvbuf: i32) -> (i32, u16) {
    let fd = datagram_socket(libc::AF_INET, rcvbuf);
    // SAFETY: a zeroed sockaddr_in is valid.
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    addr.sin_family = libc::AF_INET as u16;
    addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
    let mut len = std::mem::size_of::<libc::sockaddr_in>() as u32;
    // SAFETY: addr is a valid sockaddr_in and len its size, for both calls.
    unsafe {
        if libc::bind(fd, (&addr as *const libc::sockaddr_in).cast(), len) < 0 {
            die("bind udp");
        }
        if libc::getsockname(fd, (&mut addr as *mut libc::sockaddr_in).cast(), &mut len) < 0 {
            die("getsockname");
        }
    }
    (fd, u16::from_be(addr.sin_port))
}

#[derive(Default)]
struct Count {
    datagrams: u64,
    bytes: u64,
}

/// Takes every datagram queued on `fd` now, `BATCH` per call.
fn drain(fd: i32, headers: &mut [libc::mmsghdr], count: &mut Count) {
    loop {
        // SAFETY: headers point at iovecs over slots that outlive the call.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                headers.as_mut_ptr(),
                headers.len() as u32,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if n <= 0 {
            return; // EAGAIN (empty), EINTR: back to poll
        }
        let taken = &headers[..n as usize];
        count.datagrams += taken.len() as u64;
        count.bytes += taken.iter().map(|h| u64::from(h.msg_len)).sum::<u64>();
        if (n as usize) < headers.len() {
            return;
        }
    }
}

fn main() {
    let (mut path, mut rcvbuf) = (None, 16 << 20);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "-u" => path = Some(val()),
            "-b" => rcvbuf = val().parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    let path = path.unwrap_or_else(|| usage());
    let unix = bind_unix(&path, rcvbuf);
    let (udp, port) = bind_udp(rcvbuf);
    // SAFETY: installing an async-signal-safe handler; no SA_RESTART, so a
    // blocked poll returns EINTR and the loop sees STOP.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        libc::sigaction(libc::SIGTERM, &sa, std::ptr::null_mut());
        libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
    }
    // SAFETY: prctl with integer arguments: SIGTERM when the driver dies,
    // so a failed run leaves no receiver behind.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
    }
    println!("udp_port={port}");
    let _ = std::io::stdout().flush();

    let mut slots = vec![0u8; SLOT * BATCH];
    let mut iovs: Vec<libc::iovec> = slots
        .chunks_mut(SLOT)
        .map(|s| libc::iovec {
            iov_base: s.as_mut_ptr().cast(),
            iov_len: SLOT,
        })
        .collect();
    let mut headers: Vec<libc::mmsghdr> = iovs
        .iter_mut()
        .map(|iov| {
            // SAFETY: a zeroed mmsghdr is valid; only the iovec is set.
            let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
            h.msg_hdr.msg_iov = iov;
            h.msg_hdr.msg_iovlen = 1;
            h
        })
        .collect();
    let (mut syslog, mut gelf) = (Count::default(), Count::default());
    let mut fds = [
        libc::pollfd {
            fd: unix,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: udp,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    while !STOP.load(Ordering::Relaxed) {
        // SAFETY: fds is a valid array of two pollfd.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, 200) };
        if n <= 0 {
            continue;
        }
        if fds[0].revents != 0 {
            drain(unix, &mut headers, &mut syslog);
        }
        if fds[1].revents != 0 {
            drain(udp, &mut headers, &mut gelf);
        }
    }
    // What is still queued was sent before the stop: count it too.
    drain(unix, &mut headers, &mut syslog);
    drain(udp, &mut headers, &mut gelf);
    let _ = std::fs::remove_file(&path);
    println!(
        "syslog_datagrams={} syslog_bytes={} gelf_datagrams={} gelf_bytes={}",
        syslog.datagrams, syslog.bytes, gelf.datagrams, gelf.bytes
    );
}

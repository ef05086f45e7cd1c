//! storm-recv: the storm benchmark's receivers for raudit's network outputs
//! (`--raudit-outputs all`), so the drain measures raudit and not Python
//! threads sharing its CPUs.
//!
//! Binds a unix datagram socket (syslog) at a path, a UDP port on
//! 127.0.0.1 (GELF) and a TCP port on 127.0.0.1 (OTLP/HTTP), prints
//! `udp_port=N http_port=M` on stdout once all are bound, then drains the
//! datagram sockets with `recvmmsg` (up to 64 datagrams per call, blocking
//! in `poll` between bursts) and only counts datagrams and bytes; a
//! datagram longer than a slot is counted once (its tail is discarded by the
//! kernel). On the TCP port it answers each HTTP/1.1 POST with `200 OK`
//! (kept alive) and counts requests and the log records in their protobuf
//! bodies (`ExportLogsServiceRequest`: resource_logs → scope_logs →
//! log_records, walked, not decoded). On SIGTERM/SIGINT it prints one
//! `key=value` line and exits.
//!
//! With `-t DIR` it also makes a CA (written to `DIR/ca.pem`) and a
//! certificate for 127.0.0.1 signed by it, and accepts syslog over TLS
//! (RFC 5425 octet-counted frames) on a third port, `tls_port=P` on the
//! first line; each connection is read by a thread of its own, which counts
//! frames and bytes. The same port takes GELF over TLS (NUL-terminated
//! frames; a connection's first byte tells which framing it uses), and a
//! plain TCP port (`tcp_port=P`) takes them in clear, and syslog ended by
//! newlines (`<` first). Stream reads wait for 256 KiB or 20 ms (a host
//! elsewhere would not share these CPUs; waking per write would). TLS is
//! decrypted in place (rustls's unbuffered API) and HTTP requests are read
//! straight into the connection's buffer: the receivers copy nothing they
//! need not, so their CPU, which the load and raudit share, stays small.
//!
//! ```text
//! storm-recv -u SYSLOG_SOCKET_PATH [-b RCVBUF_BYTES] [-t CERT_DIR]
//! ```

use std::io::{Error, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::exit;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

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

/// Frames and bytes over the stream ports (plain TCP and TLS), by framing.
static STREAM_SYSLOG_FRAMES: AtomicU64 = AtomicU64::new(0);
static STREAM_SYSLOG_BYTES: AtomicU64 = AtomicU64::new(0);
static STREAM_GELF_FRAMES: AtomicU64 = AtomicU64::new(0);
static STREAM_GELF_BYTES: AtomicU64 = AtomicU64::new(0);

/// A CA written to `dir/ca.pem` and a server configuration with a
/// certificate for 127.0.0.1 and localhost that it signed.
fn tls_config(dir: &str) -> Arc<rustls::ServerConfig> {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let fail = |what: &str| -> ! {
        eprintln!("storm-recv: TLS set-up: {what}");
        exit(1)
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|_| fail("CA"));
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap_or_else(|_| fail("CA key"));
    let issuer = CertifiedIssuer::self_signed(ca, ca_key).unwrap_or_else(|_| fail("CA cert"));
    std::fs::write(format!("{dir}/ca.pem"), issuer.pem()).unwrap_or_else(|_| fail("ca.pem"));
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap_or_else(|_| fail("leaf"));
    let key = KeyPair::generate().unwrap_or_else(|_| fail("leaf key"));
    let cert = leaf
        .signed_by(&key, &issuer)
        .unwrap_or_else(|_| fail("leaf cert"));
    let key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der())
        .unwrap_or_else(|_| fail("key DER"));
    // ring, as raudit's own TLS client (deprecated by rustls only for its
    // lack of post-quantum key exchange).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|_| fail("versions"))
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .unwrap_or_else(|_| fail("server config"));
    Arc::new(config)
}

/// Reads one TLS connection to its end, counting its frames. rustls's
/// unbuffered API decrypts each record in place in our buffer: its
/// buffered one copied each record's plaintext into a new `Vec` (a third
/// of the receivers' CPU) and read the socket 4 KiB at a time, which woke
/// the thread every 4 KiB (the low water mark is at most what a read asks
/// for). Ciphertext is read [`READ_LOW_WATER`] bytes at a time.
fn tls_connection(mut stream: TcpStream, config: Arc<rustls::ServerConfig>) {
    use rustls::unbuffered::{ConnectionState, UnbufferedStatus};
    let Ok(mut conn) = rustls::server::UnbufferedServerConnection::new(config) else {
        return;
    };
    // Room for a whole read beside a record left in part (at most 16 KiB
    // and its overhead).
    let mut incoming = vec![0u8; READ_LOW_WATER as usize + (32 << 10)];
    // Bytes not yet taken by rustls: incoming[start..used]. Moved to the
    // front only before a read (rustls may give one record a call).
    let (mut start, mut used) = (0, 0);
    let mut outgoing = vec![0u8; 64 << 10];
    let mut pending = 0;
    let mut frames = Frames::default();
    loop {
        let UnbufferedStatus { mut discard, state } =
            conn.process_tls_records(incoming.get_mut(start..used).unwrap_or_default());
        let mut read_more = false;
        match state {
            Ok(ConnectionState::ReadTraffic(mut read)) => {
                while let Some(record) = read.next_record() {
                    let Ok(record) = record else {
                        return;
                    };
                    discard += record.discard;
                    if !frames.take(record.payload) {
                        return;
                    }
                }
            }
            Ok(ConnectionState::EncodeTlsData(mut encode)) => {
                let room = outgoing.get_mut(pending..).unwrap_or_default();
                let Ok(n) = encode.encode(room) else {
                    return;
                };
                pending += n;
            }
            Ok(ConnectionState::TransmitTlsData(transmit)) => {
                if stream
                    .write_all(outgoing.get(..pending).unwrap_or_default())
                    .is_err()
                {
                    return;
                }
                pending = 0;
                transmit.done();
            }
            Ok(ConnectionState::BlockedHandshake | ConnectionState::WriteTraffic(_)) => {
                read_more = true;
            }
            _ => return, // closed, or a TLS error
        }
        start = start.saturating_add(discard).min(used);
        if read_more {
            incoming.copy_within(start..used, 0);
            used -= start;
            start = 0;
            let room = incoming.get_mut(used..).unwrap_or_default();
            match read_some(&mut stream, room) {
                Some(n) => used += n,
                None => return,
            }
        }
    }
}

/// One read of `stream` into `buf`: the bytes read, `Some(0)` when
/// [`READ_WAIT`] passed with nothing come, `None` at its end or an error.
fn read_some(stream: &mut impl Read, buf: &mut [u8]) -> Option<usize> {
    match stream.read(buf) {
        Ok(0) => None,
        Ok(n) => Some(n),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Some(0),
        Err(_) => None,
    }
}

/// How a stream connection's messages are framed, told by its first
/// byte.
#[derive(Clone, Copy, PartialEq)]
enum Framing {
    /// A digit: octet counting (syslog, RFC 5425/6587).
    OctetCounted,
    /// `<`: syslog messages each ended by a newline (non-transparent).
    Newline,
    /// Anything else (`{`): GELF frames each ended by a NUL.
    Nul,
}

/// Bytes a stream read waits for (or [`READ_WAIT`]): the receivers stand
/// in for hosts elsewhere, so they wake rarely and read much at a time,
/// leaving the shared CPUs to the load, kauditd and raudit.
const READ_LOW_WATER: libc::c_int = 256 << 10;
/// How long a stream read waits for [`READ_LOW_WATER`] bytes before it
/// takes what has come.
const READ_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// Makes reads of `stream` wait for [`READ_LOW_WATER`] bytes or
/// [`READ_WAIT`], whichever comes first.
fn read_in_bulk(stream: &TcpStream) {
    let _ = stream.set_read_timeout(Some(READ_WAIT));
    // SAFETY: setsockopt on a socket this process owns, with a valid int.
    unsafe {
        libc::setsockopt(
            std::os::fd::AsRawFd::as_raw_fd(stream),
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            (&READ_LOW_WATER as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// Counts the frames of one plain TCP connection until it ends.
fn stream_frames(mut stream: TcpStream) {
    let mut buf = vec![0u8; READ_LOW_WATER as usize];
    let mut frames = Frames::default();
    while let Some(n) = read_some(&mut stream, &mut buf) {
        if !frames.take(buf.get(..n).unwrap_or_default()) {
            return;
        }
    }
}

/// A stream's frames counted as its bytes come, in pieces of any size.
#[derive(Default)]
struct Frames {
    framing: Option<Framing>,
    /// Octet counting: bytes of the current frame's message still to
    /// skip; None: reading its length.
    skip: Option<usize>,
    len: usize,
}

impl Frames {
    /// Counts the frames ended in `bytes`; false when the stream is not
    /// in the framing its first byte said.
    fn take(&mut self, bytes: &[u8]) -> bool {
        let Some(&first) = bytes.first() else {
            return true;
        };
        let kind = *self.framing.get_or_insert(match first {
            b'0'..=b'9' => Framing::OctetCounted,
            b'<' => Framing::Newline,
            _ => Framing::Nul,
        });
        let ends = |end: u8| memchr::memchr_iter(end, bytes).count() as u64;
        let n = bytes.len();
        match kind {
            Framing::Nul => {
                STREAM_GELF_FRAMES.fetch_add(ends(0), Ordering::Relaxed);
                STREAM_GELF_BYTES.fetch_add(n as u64, Ordering::Relaxed);
                return true;
            }
            Framing::Newline => {
                STREAM_SYSLOG_FRAMES.fetch_add(ends(b'\n'), Ordering::Relaxed);
                STREAM_SYSLOG_BYTES.fetch_add(n as u64, Ordering::Relaxed);
                return true;
            }
            Framing::OctetCounted => {}
        }
        let mut at = 0;
        while at < n {
            match self.skip {
                Some(rest) => {
                    let take = rest.min(n - at);
                    at += take;
                    if take == rest {
                        self.skip = None;
                        STREAM_SYSLOG_FRAMES.fetch_add(1, Ordering::Relaxed);
                    } else {
                        self.skip = Some(rest - take);
                    }
                }
                None => {
                    let b = bytes[at];
                    at += 1;
                    if b.is_ascii_digit() {
                        self.len = self
                            .len
                            .saturating_mul(10)
                            .saturating_add(usize::from(b - b'0'));
                    } else if b == b' ' {
                        STREAM_SYSLOG_BYTES.fetch_add(self.len as u64, Ordering::Relaxed);
                        self.skip = Some(self.len);
                        self.len = 0;
                    } else {
                        return false; // not octet-counted framing
                    }
                }
            }
        }
        true
    }
}

/// At most this many OTLP connections at once (raudit keeps one).
const MAX_CLIENTS: usize = 8;

/// One kept-alive HTTP/1.1 connection: bytes received and not yet a whole
/// request, `buf[start..used]`. Reads go straight into `buf` (no copy
/// from a chunk); what is left is moved to the front only when the room
/// after it runs short.
struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    used: usize,
}

/// A client's buffer: a few of raudit's largest requests (1 MiB batches).
const CLIENT_BUFFER: usize = 4 << 20;
/// Room a read asks for at least.
const CLIENT_READ: usize = 256 << 10;

impl Client {
    fn new(stream: TcpStream) -> Client {
        Client {
            stream,
            buf: vec![0; CLIENT_BUFFER],
            start: 0,
            used: 0,
        }
    }

    /// Reads what has come after what waits; room is made first by
    /// moving what waits to the front, or by growing the buffer for a
    /// request larger than it.
    fn read_more(&mut self) -> std::io::Result<usize> {
        if self.buf.len() - self.used < CLIENT_READ {
            self.buf.copy_within(self.start..self.used, 0);
            self.used -= self.start;
            self.start = 0;
            if self.buf.len() - self.used < CLIENT_READ {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        let n = self.stream.read(&mut self.buf[self.used..])?;
        self.used += n;
        Ok(n)
    }
}

#[derive(Default)]
struct Http {
    requests: u64,
    records: u64,
    bytes: u64,
}

/// A protobuf varint at the start of `b`: (value, its length).
fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, byte) in b.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// The length-delimited fields numbered `field` in the message `b`.
fn fields(b: &[u8], field: u64) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some((key, n)) = b.get(at..).and_then(varint) {
        at += n;
        let len = match key & 7 {
            0 => b.get(at..).and_then(varint).map_or(usize::MAX, |(_, n)| n),
            1 => 8,
            2 => match b.get(at..).and_then(varint) {
                Some((len, n)) => {
                    at += n;
                    let Some(body) = b.get(at..at.saturating_add(len as usize)) else {
                        break;
                    };
                    if key >> 3 == field {
                        out.push(body);
                    }
                    len as usize
                }
                None => break,
            },
            5 => 4,
            _ => break,
        };
        at = at.saturating_add(len);
    }
    out
}

/// Log records in an `ExportLogsServiceRequest`.
fn log_records(body: &[u8]) -> u64 {
    let mut n = 0;
    for resource_logs in fields(body, 1) {
        for scope_logs in fields(resource_logs, 2) {
            n += fields(scope_logs, 2).len() as u64;
        }
    }
    n
}

/// Answers every whole request in `client.pending`; false when the
/// connection is done (closed, or not HTTP as expected).
fn serve(client: &mut Client, http: &mut Http) -> bool {
    loop {
        match client.read_more() {
            Ok(0) => return false,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
    loop {
        let pending = &client.buf[client.start..client.used];
        let Some(head_end) = memchr::memmem::find(pending, b"\r\n\r\n") else {
            return true;
        };
        let length = content_length(&pending[..head_end]);
        let end = head_end + 4 + length;
        let Some(body) = pending.get(head_end + 4..end) else {
            return true;
        };
        http.requests += 1;
        http.bytes += length as u64;
        http.records += log_records(body);
        client.start += end;
        let answer =
            b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
        client.stream.set_nonblocking(false).ok();
        let sent = client.stream.write_all(answer).is_ok();
        client.stream.set_nonblocking(true).ok();
        if !sent {
            return false;
        }
    }
}

/// A request head's `Content-Length` (0 when it has none).
fn content_length(head: &[u8]) -> usize {
    head.split(|&b| b == b'\n')
        .find_map(|line| {
            let (name, value) = line.split_at_checked(15)?;
            name.eq_ignore_ascii_case(b"content-length:")
                .then_some(value)
        })
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let (mut path, mut rcvbuf, mut cert_dir) = (None, 16 << 20, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "-u" => path = Some(val()),
            "-b" => rcvbuf = val().parse().unwrap_or_else(|_| usage()),
            "-t" => cert_dir = Some(val()),
            _ => usage(),
        }
    }
    let path = path.unwrap_or_else(|| usage());
    let unix = bind_unix(&path, rcvbuf);
    let (udp, port) = bind_udp(rcvbuf);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|_| die("bind tcp"));
    listener
        .set_nonblocking(true)
        .unwrap_or_else(|_| die("nonblocking"));
    let http_port = listener.local_addr().map_or(0, |a| a.port());
    let tls_port = match cert_dir {
        Some(dir) => {
            let config = tls_config(&dir);
            let tls = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|_| die("bind tls"));
            let port = tls.local_addr().map_or(0, |a| a.port());
            std::thread::spawn(move || {
                for stream in tls.incoming().flatten() {
                    let config = Arc::clone(&config);
                    read_in_bulk(&stream);
                    std::thread::spawn(move || tls_connection(stream, config));
                }
            });
            port
        }
        None => 0,
    };
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
    // Plain TCP for syslog (octet-counted) and GELF (NUL frames).
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|_| die("bind stream tcp"));
    let tcp_port = tcp.local_addr().map_or(0, |a| a.port());
    std::thread::spawn(move || {
        for stream in tcp.incoming().flatten() {
            read_in_bulk(&stream);
            std::thread::spawn(move || stream_frames(stream));
        }
    });
    println!("udp_port={port} http_port={http_port} tls_port={tls_port} tcp_port={tcp_port}");
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
    let mut clients: Vec<Client> = Vec::new();
    let mut http = Http::default();
    while !STOP.load(Ordering::Relaxed) {
        let mut fds = vec![
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
            libc::pollfd {
                fd: listener.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        fds.extend(clients.iter().map(|c| libc::pollfd {
            fd: c.stream.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }));
        // SAFETY: fds is a valid array of fds.len() pollfd.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 200) };
        if n <= 0 {
            continue;
        }
        if fds[0].revents != 0 {
            drain(unix, &mut headers, &mut syslog);
        }
        if fds[1].revents != 0 {
            drain(udp, &mut headers, &mut gelf);
        }
        let mut keep = Vec::with_capacity(clients.len());
        for (mut client, fd) in clients.drain(..).zip(&fds[3..]) {
            if fd.revents == 0 || serve(&mut client, &mut http) {
                keep.push(client);
            }
        }
        clients = keep;
        if fds[2].revents != 0 {
            while let Ok((stream, _)) = listener.accept() {
                if clients.len() < MAX_CLIENTS && stream.set_nonblocking(true).is_ok() {
                    clients.push(Client::new(stream));
                }
            }
        }
    }
    // What is still queued was sent before the stop: count it too.
    drain(unix, &mut headers, &mut syslog);
    drain(udp, &mut headers, &mut gelf);
    let _ = std::fs::remove_file(&path);
    println!(
        "syslog_datagrams={} syslog_bytes={} gelf_datagrams={} gelf_bytes={} \
         otlp_requests={} otlp_records={} otlp_bytes={} stream_syslog_frames={} \
         stream_syslog_bytes={} stream_gelf_frames={} stream_gelf_bytes={}",
        syslog.datagrams,
        syslog.bytes,
        gelf.datagrams,
        gelf.bytes,
        http.requests,
        http.records,
        http.bytes,
        STREAM_SYSLOG_FRAMES.load(Ordering::Relaxed),
        STREAM_SYSLOG_BYTES.load(Ordering::Relaxed),
        STREAM_GELF_FRAMES.load(Ordering::Relaxed),
        STREAM_GELF_BYTES.load(Ordering::Relaxed)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame counters are process-wide; the tests that read them run
    /// one at a time.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn counted(pieces: &[&[u8]]) -> (u64, u64, bool) {
        let _one = SERIAL.lock();
        let (syslog, gelf) = (
            STREAM_SYSLOG_FRAMES.load(Ordering::Relaxed),
            STREAM_GELF_FRAMES.load(Ordering::Relaxed),
        );
        let mut frames = Frames::default();
        let ok = pieces.iter().all(|p| frames.take(p));
        (
            STREAM_SYSLOG_FRAMES.load(Ordering::Relaxed) - syslog,
            STREAM_GELF_FRAMES.load(Ordering::Relaxed) - gelf,
            ok,
        )
    }

    #[test]
    fn octet_counted_frames_are_counted_across_any_cut() {
        let stream = b"5 <13>a13 <13>hello wor1 x";
        for cut in 0..=stream.len() {
            let (a, b) = stream.split_at(cut);
            assert_eq!(counted(&[a, b]), (3, 0, true), "cut at {cut}");
        }
    }

    #[test]
    fn nul_ended_frames_are_gelf_and_a_bad_length_stops_the_stream() {
        assert_eq!(counted(&[b"{\"a\":1}\0{\"b\"", b":2}\0"]), (0, 2, true));
        assert_eq!(counted(&[b"3 abc", b"x"]).2, false);
    }

    #[test]
    fn content_length_is_found_whatever_its_case() {
        let head = b"POST /v1/logs HTTP/1.1\r\nHost: x\r\ncontent-LENGTH: 42\r";
        assert_eq!(content_length(head), 42);
        assert_eq!(content_length(b"POST / HTTP/1.1\r\nHost: x\r"), 0);
    }
}

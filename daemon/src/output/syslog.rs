//! The syslog output: each event is one syslog message, RFC 3164 exactly as
//! go-audit writes it through Go's `log/syslog` (so existing rsyslog rules
//! keep matching `go-audit[PID]:`) or RFC 5424, over a unix datagram socket
//! (`/dev/log`), a unix stream socket, UDP or TCP.
//!
//! Guarantees:
//! - no allocation per event: the message is formatted into one buffer
//!   reserved at start (host name, pid and tag are fixed then);
//! - over a stream (TCP, TLS, a unix stream socket) the messages are
//!   gathered and written together (see [`gather`](super::gather)): when
//!   the buffer is full or the output thread's backlog runs dry;
//! - a stream connection whose peer has closed is noticed *before* the
//!   events are written (a zero-wait `poll` for `POLLRDHUP`), and
//!   reconnected, so they go to the live receiver instead of into a socket
//!   nobody reads; a failed send reconnects and resends once at once (as
//!   Go does), from the first message not written whole; if that fails
//!   too, the error goes to the [`Sink`](super::Sink), whose next attempt
//!   reconnects again;
//! - a datagram the receiving host refused (`ECONNREFUSED`, reported on
//!   the next send) is counted as an error for the event it refused;
//! - an event too large for the transport (the configured
//!   `max_message_bytes`, a datagram's size limit) is sent as its marked
//!   cut version (counted `cut`); only if there is none, or it does not
//!   fit either, it is refused with `EMSGSIZE` (counted as an error, not
//!   retried) and told on stderr once per interval. It never stops raudit.

pub mod format;

use std::io::{self, Write as _};
use std::net::UdpSocket;
use std::os::fd::AsFd;
use std::os::unix::net::{UnixDatagram, UnixStream};

use self::format::{Form, Header, PREFIX_ROOM};
use super::gather::{Chunk, Gathered};
use super::net::{self, Connection, IpFamily, Link, Reporter, Stream, SEND_TIMEOUT};
use super::spool::SpoolSpec;
use super::tls::TlsClient;
use super::{Output, Sent};
use crate::local_time::Clock;
use crate::side::LineSide;

/// Socket kind for syslog, as Go's `net.Dial` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyslogNetwork {
    /// `unixgram`: unix datagram socket (the default).
    Unixgram,
    /// `unix`: unix stream socket.
    Unix,
    /// `udp`, `udp4`, `udp6`.
    Udp(IpFamily),
    /// `tcp`, `tcp4`, `tcp6` (octet-counted framing).
    Tcp(IpFamily),
}

/// `output.syslog.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyslogFormat {
    /// `rfc3164`: `<PRI>Mmm dd hh:mm:ss host tag[pid]: msg`, as Go's log/syslog.
    Rfc3164,
    /// `rfc5424`.
    Rfc5424,
}

/// Room for the header in front of the event: priority, time, host (at
/// most 255 bytes in 5424; the kernel's host name is at most 64), tag, pid.
const HEADER_ROOM: usize = 128;
/// The largest UDP payload over IPv4.
const UDP_MAX: usize = 65_507;

/// What the syslog output needs, decided once from the config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyslogSpec {
    pub network: SyslogNetwork,
    pub address: String,
    pub priority: u8,
    pub tag: String,
    pub format: SyslogFormat,
    /// The largest message (header and event) to send; `None`: no limit
    /// (streams, unless configured).
    pub max_message: Option<usize>,
    /// TLS over TCP (RFC 5425), its files read (the plan sets it from
    /// `tls`).
    pub tls: Option<TlsClient>,
    /// Where undelivered events are kept (the plan sets it from `spool`).
    pub spool: Option<SpoolSpec>,
}

impl SyslogSpec {
    /// A spec without TLS (the plan sets [`SyslogSpec::tls`]): the
    /// largest message is `max_message_bytes` if given, capped by the
    /// transport's own limit (a UDP datagram; a unix datagram: the socket
    /// send buffer, `net.core.wmem_default`, less the kernel's 32 bytes).
    pub fn new(
        network: SyslogNetwork,
        address: String,
        priority: u8,
        tag: String,
        format: SyslogFormat,
        max_message_bytes: Option<u32>,
    ) -> SyslogSpec {
        let transport = match network {
            SyslogNetwork::Udp(_) => Some(UDP_MAX),
            SyslogNetwork::Unixgram => Some(unix_datagram_max()),
            SyslogNetwork::Unix | SyslogNetwork::Tcp(_) => None,
        };
        let configured = max_message_bytes.map(|n| n as usize);
        let max_message = match (configured, transport) {
            (Some(c), Some(t)) => Some(c.min(t)),
            (c, t) => c.or(t),
        };
        SyslogSpec {
            network,
            address,
            priority,
            tag,
            format,
            max_message,
            tls: None,
            spool: None,
        }
    }

    /// The longest event line every message fits with (the header at its
    /// largest), if there is a limit.
    pub fn line_limit(&self) -> Option<usize> {
        let header = PREFIX_ROOM + HEADER_ROOM + 255 + self.tag.len();
        self.max_message
            .map(|max| max.saturating_sub(header).max(1))
    }
}

/// A unix datagram's limit: the default send buffer less 32 bytes.
fn unix_datagram_max() -> usize {
    std::fs::read_to_string("/proc/sys/net/core/wmem_default")
        .ok()
        .and_then(|text| text.trim().parse::<usize>().ok())
        .unwrap_or(212_992)
        .saturating_sub(32)
}

/// One open (or to-be-opened) connection to a syslog receiver.
enum Conn {
    Unixgram(UnixDatagram),
    Unix(UnixStream),
    Udp(UdpSocket),
    Stream(Stream),
}

/// A new connection for `spec`.
fn connect(spec: &SyslogSpec) -> io::Result<Conn> {
    let address = spec.address.as_str();
    Ok(match spec.network {
        SyslogNetwork::Unixgram => {
            let s = UnixDatagram::unbound()?;
            s.connect(address)?;
            s.set_write_timeout(Some(SEND_TIMEOUT))?;
            Conn::Unixgram(s)
        }
        SyslogNetwork::Unix => {
            let s = UnixStream::connect(address)?;
            s.set_write_timeout(Some(SEND_TIMEOUT))?;
            Conn::Unix(s)
        }
        SyslogNetwork::Udp(family) => Conn::Udp(net::udp(address, family)?),
        SyslogNetwork::Tcp(family) => {
            Conn::Stream(Stream::connect(address, family, spec.tls.as_ref())?)
        }
    })
}

/// Sends `bytes` on `conn`. Over UDP, a refusal this send reports is the
/// previous datagram's (ICMP port unreachable): counted in `refused`, and
/// this one, which was not sent, sent again. (A unix datagram socket's
/// refusal is this send's own: its receiver is gone.)
fn send(conn: &mut Conn, bytes: &[u8], refused: &mut u64) -> io::Result<()> {
    match conn.send(bytes) {
        Err(e) if net::is_refused(&e) && matches!(conn, Conn::Udp(_)) => {
            *refused += 1;
            conn.send(bytes)
        }
        result => result,
    }
}

impl Conn {
    /// A stream's write of some of `bytes` (see [`Gathered::write_out`]);
    /// a datagram socket sends them whole.
    fn write_some(&mut self, chunk: Chunk<'_>) -> io::Result<usize> {
        let bytes = chunk.bytes();
        match self {
            Conn::Unix(s) => s.write(bytes),
            Conn::Stream(s) => s.write_some(chunk),
            Conn::Unixgram(_) | Conn::Udp(_) => self.send(bytes).map(|()| bytes.len()),
        }
    }

    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let sent = match self {
            Conn::Unixgram(s) => s.send(bytes)?,
            Conn::Udp(s) => s.send(bytes)?,
            Conn::Unix(s) => return s.write_all(bytes),
            Conn::Stream(s) => return s.write_all(bytes),
        };
        if sent == bytes.len() {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "datagram sent short",
            ))
        }
    }

    /// A refusal the host reported after the last send (UDP's ICMP port
    /// unreachable), taken.
    fn take_refusal(&self) -> bool {
        match self {
            Conn::Udp(s) => matches!(s.take_error(), Ok(Some(e)) if net::is_refused(&e)),
            _ => false,
        }
    }
}

impl Connection for Conn {
    fn peer_closed(&self) -> bool {
        match self {
            Conn::Unix(s) => crate::sys::poll::peer_closed(s.as_fd()).unwrap_or(true),
            Conn::Stream(s) => s.peer_closed(),
            Conn::Unixgram(_) | Conn::Udp(_) => false,
        }
    }
}

/// The syslog output.
pub struct Syslog {
    spec: SyslogSpec,
    form: Form,
    header: Header,
    clock: Clock,
    link: Link<Conn>,
    buf: Vec<u8>,
    /// Messages accepted and not yet written, over a stream (see
    /// [`gather`](super::gather)); `None` over datagrams (one each).
    gathered: Option<Gathered>,
    too_large: Reporter,
    refused: u64,
}

impl Syslog {
    /// An output for `spec`, with room for events of up to `max_line`
    /// bytes. Connects at once; if that fails, it says so and connects on
    /// the first write (a syslog daemon that starts later is fine).
    pub fn open(spec: &SyslogSpec, max_line: usize) -> Syslog {
        Syslog::with_identity(spec, max_line, &net::hostname(), std::process::id())
    }

    /// [`Syslog::open`] with a given host name and pid (for tests).
    pub fn with_identity(spec: &SyslogSpec, max_line: usize, host: &str, pid: u32) -> Syslog {
        let stream = matches!(spec.network, SyslogNetwork::Unix | SyslogNetwork::Tcp(_));
        let local = matches!(spec.network, SyslogNetwork::Unix | SyslogNetwork::Unixgram);
        let form = match (spec.format, local) {
            (SyslogFormat::Rfc3164, true) => Form::Rfc3164Local,
            // RFC 5425: every message over TLS is octet-counted.
            (SyslogFormat::Rfc3164, false) if spec.tls.is_some() => Form::Rfc3164OctetCounted,
            (SyslogFormat::Rfc3164, false) => Form::Rfc3164Network,
            (SyslogFormat::Rfc5424, _) => Form::Rfc5424 {
                octet_counted: stream,
            },
        };
        let header = Header::new(spec.priority, &spec.tag, host, pid);
        Syslog {
            link: Link::open(format!("syslog {}", spec.address), || connect(spec)),
            spec: spec.clone(),
            form,
            buf: Vec::with_capacity(
                // (Any host name the kernel can give: a rename while
                // running needs no more room.)
                PREFIX_ROOM
                    + HEADER_ROOM
                    + header.hostname.len().max(crate::host_name::MAX)
                    + header.tag.len()
                    + max_line
                    + 1,
            ),
            header,
            clock: Clock::default(),
            gathered: stream.then(Gathered::new),
            too_large: Reporter::new(),
            refused: 0,
        }
    }

    /// Events refused as too large for the transport, so far.
    pub fn too_large(&self) -> u64 {
        self.too_large.total()
    }

    /// Formats the message for the line, or its cut version when the
    /// whole one is over the limit; `None` when neither fits.
    fn format(&mut self, line: &[u8], side: &LineSide<'_>) -> Option<(usize, Sent)> {
        let now = self.clock.now();
        let start = format::message(&mut self.buf, self.form, &mut self.header, &now, line);
        let fits = |buf: &Vec<u8>, start: usize| {
            self.spec
                .max_message
                .is_none_or(|max| buf.len().saturating_sub(start) <= max)
        };
        if fits(&self.buf, start) {
            return Some((start, Sent::Whole));
        }
        let cut = side.cut?;
        let start = format::message(&mut self.buf, self.form, &mut self.header, &now, cut);
        fits(&self.buf, start).then_some((start, Sent::Cut))
    }

    /// Sends the message at `start` over the link (see [`Link::deliver`]):
    /// reconnecting first if the stream's peer has closed, and once more if
    /// the send fails (as Go's writeAndRetry). `EMSGSIZE` comes back as it
    /// is.
    fn deliver(&mut self, start: usize) -> io::Result<()> {
        let spec = &self.spec;
        let bytes = self.buf.get(start..).unwrap_or_default();
        let refused = &mut self.refused;
        self.link
            .deliver(|| connect(spec), |conn| send(conn, bytes, refused))
    }

    /// Over a stream, gathers the message at `start` (see
    /// [`Gathered::take`]); false when it is sent alone (too long to
    /// gather, or over datagrams).
    fn gather(&mut self, start: usize) -> io::Result<bool> {
        let Some(gathered) = &mut self.gathered else {
            return Ok(false);
        };
        let message = self.buf.get(start..).unwrap_or_default();
        let (link, spec) = (&mut self.link, &self.spec);
        gathered.take(message, |g| {
            g.write_over(link, || connect(spec), Conn::write_some)
        })
    }

    fn refuse_too_large(&mut self, len: usize) -> io::Error {
        if self.too_large.occurred() {
            eprintln!(
                "raudit: output {}: an event of {len} bytes is too large for the transport \
                 and has no cut version that fits; dropped and counted as an output error \
                 ({} so far). For large events use network: unix (a stream socket) or tcp.",
                self.link.name(),
                self.too_large.total()
            );
        }
        net::too_large()
    }
}

impl Output for Syslog {
    fn name(&self) -> &str {
        self.link.name()
    }

    fn set_host_name(&mut self, name: &str) {
        self.header.set_hostname(name);
    }

    fn write_line(&mut self, line: &[u8], side: &LineSide<'_>) -> io::Result<Sent> {
        let Some((start, sent)) = self.format(line, side) else {
            return Err(self.refuse_too_large(line.len()));
        };
        if self.gather(start)? {
            return Ok(sent);
        }
        match self.deliver(start) {
            Ok(()) => Ok(sent),
            // The transport's limit is below what the spec assumed: the
            // cut version, if this was not it already.
            Err(e) if net::is_too_large(&e) && sent == Sent::Whole => match side.cut {
                Some(cut) => {
                    let now = self.clock.now();
                    let start =
                        format::message(&mut self.buf, self.form, &mut self.header, &now, cut);
                    match self.deliver(start) {
                        Ok(()) => Ok(Sent::Cut),
                        Err(e) if net::is_too_large(&e) => Err(self.refuse_too_large(line.len())),
                        Err(e) => Err(e),
                    }
                }
                None => Err(self.refuse_too_large(line.len())),
            },
            Err(e) if net::is_too_large(&e) => Err(self.refuse_too_large(line.len())),
            Err(e) => Err(e),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(gathered) = &mut self.gathered {
            let spec = &self.spec;
            gathered.write_over(&mut self.link, || connect(spec), Conn::write_some)?;
        }
        // A refusal of the last datagram sent arrives after it.
        if self.link.conn().is_some_and(Conn::take_refusal) {
            self.refused += 1;
        }
        Ok(())
    }

    fn pending_lines(&self) -> u64 {
        self.gathered.as_ref().map_or(0, Gathered::messages)
    }

    fn discard(&mut self) -> u64 {
        self.gathered.as_mut().map_or(0, Gathered::discard)
    }

    fn take_refused(&mut self) -> u64 {
        std::mem::take(&mut self.refused)
    }

    fn reconnects(&self) -> u64 {
        self.link.reconnects()
    }

    /// SIGHUP: a fresh connection (the receiver may have been restarted).
    fn reopen(&mut self) -> io::Result<()> {
        let spec = &self.spec;
        self.link.reopen(|| connect(spec))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::output::Sink;
    use crate::stats::Stats;

    fn udp_spec(server: &UdpSocket, max_message_bytes: Option<u32>) -> SyslogSpec {
        SyslogSpec::new(
            SyslogNetwork::Udp(IpFamily::V4),
            server.local_addr().unwrap().to_string(),
            132,
            "go-audit".into(),
            SyslogFormat::Rfc3164,
            max_message_bytes,
        )
    }

    /// A renamed host (told by its thread) is named from the next message
    /// on, the header last written (within the same second) too.
    #[test]
    fn a_renamed_host_is_named_from_the_next_message() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut output = Syslog::with_identity(&udp_spec(&server, None), 1024, "web-1", 7);
        let mut buf = [0u8; 2048];
        let mut next = |output: &mut Syslog| {
            output.write_line(b"{}\n", &LineSide::default()).unwrap();
            let n = server.recv(&mut buf).unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        };
        assert!(next(&mut output).contains(" web-1 go-audit[7]: "));
        output.set_host_name("web-2");
        let message = next(&mut output);
        assert!(message.contains(" web-2 go-audit[7]: "), "{message}");
        // The kernel's longest name fits the room reserved at start.
        let longest = "h".repeat(crate::host_name::MAX - 1);
        let capacity = output.buf.capacity();
        output.set_host_name(&longest);
        assert!(next(&mut output).contains(&format!(" {longest} go-audit[7]: ")));
        assert_eq!(output.buf.capacity(), capacity, "no growth");
    }

    #[test]
    fn oversized_without_a_cut_is_counted_once_without_retries_and_the_next_event_goes() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let output = Syslog::open(&udp_spec(&server, None), 1024);
        // A pause that would show if the sink retried.
        let mut sink = Sink::new(Box::new(output), 3, Duration::from_secs(5), 0);
        let stats = Stats::new(&["syslog"]);
        let started = Instant::now();
        sink.write(&vec![b'x'; 70_000], &LineSide::default(), &stats);
        assert!(started.elapsed() < Duration::from_secs(2));
        let counters = &stats.outputs[0];
        assert_eq!(counters.errors.get(), 1);
        assert_eq!(counters.retries.get(), 0);
        sink.write(b"{\"ok\":1}\n", &LineSide::default(), &stats);
        assert_eq!(counters.sent.get(), 1);
        let mut buf = [0u8; 2048];
        let n = server.recv(&mut buf).unwrap();
        assert!(buf[..n].ends_with(b"]: {\"ok\":1}\n"));
    }

    #[test]
    fn over_the_configured_size_the_cut_version_goes_and_is_counted() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let spec = udp_spec(&server, Some(2048));
        assert_eq!(spec.max_message, Some(2048));
        let limit = spec.line_limit().unwrap();
        assert!(limit < 2048 && limit > 1024, "{limit}");
        let output = Syslog::open(&spec, 8192);
        let mut sink = Sink::new(Box::new(output), 3, Duration::ZERO, 0);
        let stats = Stats::new(&["syslog"]);
        let mut line = vec![b'x'; 4000];
        line.push(b'\n');
        let cut = b"{\"cut\":true}\n";
        let side = LineSide {
            facts: None,
            cut: Some(cut),
        };
        sink.write(&line, &side, &stats);
        let counters = &stats.outputs[0];
        assert_eq!((counters.sent.get(), counters.cut.get()), (1, 1));
        assert_eq!(counters.errors.get(), 0);
        let mut buf = [0u8; 8192];
        let n = server.recv(&mut buf).unwrap();
        assert!(n <= 2048);
        assert!(buf[..n].ends_with(cut));
        // A line that fits goes whole.
        sink.write(b"{\"ok\":1}\n", &side, &stats);
        assert_eq!((counters.sent.get(), counters.cut.get()), (2, 1));
        let n = server.recv(&mut buf).unwrap();
        assert!(buf[..n].ends_with(b"]: {\"ok\":1}\n"));
    }

    #[test]
    fn a_gone_unix_datagram_receiver_costs_one_error_per_event() {
        let dir = crate::scratch_dir::ScratchDir::new("gone");
        let path = dir.join("log");
        let server = UnixDatagram::bind(&path).unwrap();
        let spec = SyslogSpec::new(
            SyslogNetwork::Unixgram,
            path.to_str().unwrap().into(),
            132,
            "go-audit".into(),
            SyslogFormat::Rfc3164,
            None,
        );
        let mut sink = Sink::new(Box::new(Syslog::open(&spec, 1024)), 2, Duration::ZERO, 0);
        let stats = Stats::new(&["syslog"]);
        sink.write(b"{\"a\":1}\n", &LineSide::default(), &stats);
        drop(server); // the receiver goes away; its path stays
        for _ in 0..2 {
            sink.write(b"{\"b\":2}\n", &LineSide::default(), &stats);
        }
        sink.flush(&stats);
        let c = &stats.outputs[0];
        // Its refusal is the event's own, not an earlier one's.
        assert_eq!((c.sent.get(), c.errors.get()), (1, 2));
    }

    #[test]
    fn a_unix_datagram_is_limited_by_the_send_buffer() {
        let spec = SyslogSpec::new(
            SyslogNetwork::Unixgram,
            "/dev/log".into(),
            132,
            "go-audit".into(),
            SyslogFormat::Rfc3164,
            None,
        );
        assert_eq!(spec.max_message, Some(unix_datagram_max()));
        let tcp = SyslogSpec {
            network: SyslogNetwork::Tcp(IpFamily::Any),
            max_message: None,
            ..spec
        };
        assert_eq!(tcp.line_limit(), None);
    }

    #[test]
    fn a_cut_event_counts_the_cut_lines_bytes() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let spec = udp_spec(&server, Some(2048));
        let mut sink = Sink::new(Box::new(Syslog::open(&spec, 8192)), 1, Duration::ZERO, 0);
        let stats = Stats::new(&["syslog"]);
        let mut line = vec![b'x'; 4000];
        line.push(b'\n');
        let cut: &[u8] = b"{\"cut\":true}\n";
        let side = LineSide {
            facts: None,
            cut: Some(cut),
        };
        sink.write(&line, &side, &stats);
        let c = &stats.outputs[0];
        assert_eq!((c.sent.get(), c.cut.get()), (1, 1));
        let mut buf = [0u8; 8192];
        let n = server.recv(&mut buf).unwrap();
        assert!(n < 200);
        assert_eq!(c.bytes.get(), cut.len() as u64);
    }

    /// RFC 5424 over TCP to `listener`.
    fn tcp_spec(listener: &std::net::TcpListener) -> SyslogSpec {
        SyslogSpec::new(
            SyslogNetwork::Tcp(IpFamily::V4),
            listener.local_addr().unwrap().to_string(),
            132,
            "go-audit".into(),
            SyslogFormat::Rfc5424,
            None,
        )
    }

    #[test]
    fn a_failed_reopen_keeps_the_connection_it_had() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let spec = tcp_spec(&listener);
        let mut out = Syslog::open(&spec, 1024);
        let (_accepted, _) = listener.accept().unwrap();
        // A reconnect is refused now; the old connection is up.
        drop(listener);
        assert!(out.link.conn().is_some());
        assert!(Output::reopen(&mut out).is_err());
        assert!(out.link.conn().is_some(), "the old connection was dropped");
    }

    #[test]
    fn a_connection_whose_peer_closed_is_dropped_even_when_no_new_one_can_be_made() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let spec = tcp_spec(&listener);
        let mut out = Syslog::open(&spec, 1024);
        let (accepted, _) = listener.accept().unwrap();
        // The receiver closes and goes away: nothing to reconnect to.
        drop(accepted);
        drop(listener);
        std::thread::sleep(Duration::from_millis(50));
        assert!(out.write_line(b"{}\n", &LineSide::default()).is_err() || out.flush().is_err());
        // Kept, the half-closed connection would hold the receiver's
        // close up (it waits for raudit's end) and take writes nobody reads.
        assert!(out.link.conn().is_none(), "the closed connection was kept");
    }
}

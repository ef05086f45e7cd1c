//! The syslog output: each event is one syslog message, RFC 3164 exactly as
//! go-audit writes it through Go's `log/syslog` (so existing rsyslog rules
//! keep matching `go-audit[PID]:`) or RFC 5424, over a unix datagram socket
//! (`/dev/log`), a unix stream socket, UDP or TCP.
//!
//! Guarantees:
//! - no allocation per event: the message is formatted into one buffer
//!   reserved at start (host name, pid and tag are fixed then);
//! - a failed send drops the connection, reconnects and resends once at
//!   once (as Go does); if that fails too, the error goes to the
//!   [`Sink`](super::Sink), whose next attempt reconnects again — so a
//!   restarted rsyslog or a recreated socket is picked up;
//! - an event too large for one datagram (`EMSGSIZE`) is refused with that
//!   error (the sink counts it and does not retry) and told on stderr once
//!   per interval; it never stops raudit.

pub mod format;

use std::io::{self, Write as _};
use std::net::{TcpStream, UdpSocket};
use std::os::unix::net::{UnixDatagram, UnixStream};

use self::format::{Clock, Form, Header, PREFIX_ROOM};
use super::net::{self, Reporter, SEND_TIMEOUT};
use super::Output;
use crate::config::{SyslogFormat, SyslogNetwork, SyslogOutput};

/// Room for the header in front of the event: priority, time, host (at
/// most 255 bytes in 5424; the kernel's host name is at most 64), tag, pid.
const HEADER_ROOM: usize = 128;

/// One open (or to-be-opened) connection to a syslog receiver.
enum Conn {
    Unixgram(UnixDatagram),
    Unix(UnixStream),
    Udp(UdpSocket),
    Tcp(TcpStream),
}

impl Conn {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let sent = match self {
            Conn::Unixgram(s) => s.send(bytes)?,
            Conn::Udp(s) => s.send(bytes)?,
            Conn::Unix(s) => return s.write_all(bytes),
            Conn::Tcp(s) => return s.write_all(bytes),
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
}

/// The syslog output.
pub struct Syslog {
    name: String,
    spec: SyslogOutput,
    form: Form,
    header: Header,
    clock: Clock,
    conn: Option<Conn>,
    buf: Vec<u8>,
    too_large: Reporter,
    reconnects: Reporter,
}

impl Syslog {
    /// An output for `spec`, with room for events of up to `max_line`
    /// bytes. Connects at once; if that fails, it says so and connects on
    /// the first write (a syslog daemon that starts later is fine).
    pub fn open(spec: &SyslogOutput, max_line: usize) -> Syslog {
        Syslog::with_identity(spec, max_line, &net::hostname(), std::process::id())
    }

    /// [`Syslog::open`] with a given host name and pid (for tests).
    pub fn with_identity(spec: &SyslogOutput, max_line: usize, host: &str, pid: u32) -> Syslog {
        let stream = matches!(spec.network, SyslogNetwork::Unix | SyslogNetwork::Tcp(_));
        let local = matches!(spec.network, SyslogNetwork::Unix | SyslogNetwork::Unixgram);
        let form = match (spec.format, local) {
            (SyslogFormat::Rfc3164, true) => Form::Rfc3164Local,
            (SyslogFormat::Rfc3164, false) => Form::Rfc3164Network,
            (SyslogFormat::Rfc5424, _) => Form::Rfc5424 {
                octet_counted: stream,
            },
        };
        let header = Header::new(spec.priority, &spec.tag, host, pid);
        let mut output = Syslog {
            name: format!("syslog {}", spec.address),
            spec: spec.clone(),
            form,
            buf: Vec::with_capacity(
                PREFIX_ROOM + HEADER_ROOM + header.hostname.len() + header.tag.len() + max_line + 1,
            ),
            header,
            clock: Clock::default(),
            conn: None,
            too_large: Reporter::new(),
            reconnects: Reporter::new(),
        };
        let first = output.connect();
        net::report_first_connect(&output.name, first);
        output
    }

    /// Events refused as too large for the transport, so far.
    pub fn too_large(&self) -> u64 {
        self.too_large.total()
    }

    /// Sends that failed on an open connection (each followed by a
    /// reconnection attempt), so far.
    pub fn reconnects(&self) -> u64 {
        self.reconnects.total()
    }

    fn connect(&mut self) -> io::Result<()> {
        self.conn = None;
        let address = self.spec.address.as_str();
        let conn = match self.spec.network {
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
            SyslogNetwork::Udp(family) => {
                let peer = net::resolve(address, family)?;
                let s = UdpSocket::bind(net::unspecified_for(&peer))?;
                s.connect(peer)?;
                s.set_write_timeout(Some(SEND_TIMEOUT))?;
                Conn::Udp(s)
            }
            SyslogNetwork::Tcp(family) => {
                let peer = net::resolve(address, family)?;
                let s = TcpStream::connect_timeout(&peer, SEND_TIMEOUT)?;
                s.set_write_timeout(Some(SEND_TIMEOUT))?;
                Conn::Tcp(s)
            }
        };
        self.conn = Some(conn);
        Ok(())
    }

    fn send(&mut self, start: usize) -> io::Result<()> {
        let bytes = self.buf.get(start..).unwrap_or_default();
        match &mut self.conn {
            Some(conn) => conn.send(bytes),
            None => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    fn refuse_too_large(&mut self, start: usize) -> io::Error {
        if self.too_large.occurred() {
            eprintln!(
                "raudit: output {}: an event of {} bytes is too large for one datagram \
                 (EMSGSIZE); dropped and counted as an output error ({} so far). \
                 For large events use network: unix (a stream socket) or tcp.",
                self.name,
                self.buf.len().saturating_sub(start),
                self.too_large.total()
            );
        }
        net::too_large()
    }
}

impl Output for Syslog {
    fn name(&self) -> &str {
        &self.name
    }

    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        let now = self.clock.now();
        let start = format::message(&mut self.buf, self.form, &self.header, &now, line);
        let first = if self.conn.is_some() {
            self.send(start)
        } else {
            Err(io::ErrorKind::NotConnected.into())
        };
        let error = match first {
            Ok(()) => return Ok(()),
            Err(e) if net::is_too_large(&e) => return Err(self.refuse_too_large(start)),
            Err(e) => e,
        };
        // As Go's writeAndRetry: reconnect and resend once, now.
        if self.conn.is_some() && self.reconnects.occurred() {
            eprintln!(
                "raudit: output {}: send failed ({error}); reconnecting ({} times so far)",
                self.name,
                self.reconnects.total()
            );
        }
        self.connect()?;
        match self.send(start) {
            Ok(()) => Ok(()),
            Err(e) if net::is_too_large(&e) => Err(self.refuse_too_large(start)),
            Err(e) => {
                self.conn = None;
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// SIGHUP: a fresh connection (the receiver may have been restarted).
    fn reopen(&mut self) -> io::Result<()> {
        self.connect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::config::IpFamily;
    use crate::output::Sink;
    use crate::stats::Stats;

    #[test]
    fn oversized_datagram_is_counted_once_without_retries_and_the_next_event_goes() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let spec = SyslogOutput {
            attempts: 3,
            network: SyslogNetwork::Udp(IpFamily::V4),
            address: server.local_addr().unwrap().to_string(),
            priority: 132,
            tag: "go-audit".into(),
            format: SyslogFormat::Rfc3164,
        };
        let output = Syslog::open(&spec, 1024);
        // A pause that would show if the sink retried.
        let mut sink = Sink::new(Box::new(output), 3, Duration::from_secs(5), 0);
        let stats = Stats::new(&["syslog"]);
        let started = Instant::now();
        sink.write(&vec![b'x'; 70_000], &stats);
        assert!(started.elapsed() < Duration::from_secs(2));
        let counters = &stats.outputs[0];
        assert_eq!(counters.errors.get(), 1);
        assert_eq!(counters.retries.get(), 0);
        sink.write(b"{\"ok\":1}\n", &stats);
        assert_eq!(counters.events.get(), 1);
        let mut buf = [0u8; 2048];
        let n = server.recv(&mut buf).unwrap();
        assert!(buf[..n].ends_with(b"]: {\"ok\":1}\n"));
    }
}

//! What the network outputs (syslog, GELF) share: the host name they
//! report, address resolution by IP family, opening a UDP socket or a TCP
//! stream (with TLS), their [`Link`] (a closed stream peer noticed before
//! a send, one reconnection and resend after a failed send, reconnections
//! counted and told), the "too large for the transport" error the
//! [`Sink`](super::Sink) does not retry, what a refusal (`ECONNREFUSED`)
//! is, and a once-per-interval reporter so a flood of failures or
//! reconnections prints one line a minute, not one per event.

use std::io::{self, Write as _};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use super::gather::Chunk;
use super::tls::{TlsClient, TlsStream, RECORD_PLAINTEXT};

/// Go's `…4` / `…6` network suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpFamily {
    /// No suffix: either.
    Any,
    /// `4`.
    V4,
    /// `6`.
    V6,
}

/// How often a repeated problem (oversized events, reconnections) is told
/// on stderr; every occurrence is counted regardless.
pub const REPORT_INTERVAL: Duration = Duration::from_secs(60);

/// How long one send may block on a stuck receiver before it counts as a
/// failed attempt (the output's thread must not hang forever).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The host's name as Go's `os.Hostname` finds it on Linux (the kernel's
/// `/proc/sys/kernel/hostname`), `localhost` if that cannot be read.
pub fn hostname() -> String {
    crate::host_name::read().unwrap_or_else(|| "localhost".to_owned())
}

/// The first address of `address` (`host:port`) in `family`.
pub fn resolve(address: &str, family: IpFamily) -> io::Result<SocketAddr> {
    address
        .to_socket_addrs()?
        .find(|a| match family {
            IpFamily::Any => true,
            IpFamily::V4 => a.is_ipv4(),
            IpFamily::V6 => a.is_ipv6(),
        })
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{address}: no address of the configured IP family"),
            )
        })
}

/// The wildcard local address to bind a UDP socket that sends to `peer`.
pub fn unspecified_for(peer: &SocketAddr) -> SocketAddr {
    if peer.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    }
}

/// A UDP socket connected to `address` (in `family`), its sends bounded
/// by [`SEND_TIMEOUT`].
pub fn udp(address: &str, family: IpFamily) -> io::Result<UdpSocket> {
    let peer = resolve(address, family)?;
    let socket = UdpSocket::bind(unspecified_for(&peer))?;
    socket.connect(peer)?;
    socket.set_write_timeout(Some(SEND_TIMEOUT))?;
    Ok(socket)
}

/// A TCP connection, with TLS when the output has it.
pub enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsStream>),
}

impl Stream {
    /// A connection to `address` (in `family`; connecting and each write
    /// bounded by [`SEND_TIMEOUT`]), the TLS handshake done when `tls`.
    pub fn connect(address: &str, family: IpFamily, tls: Option<&TlsClient>) -> io::Result<Stream> {
        let peer = resolve(address, family)?;
        let stream = TcpStream::connect_timeout(&peer, SEND_TIMEOUT)?;
        stream.set_write_timeout(Some(SEND_TIMEOUT))?;
        Ok(match tls {
            Some(tls) => Stream::Tls(Box::new(tls.connect(stream)?)),
            None => Stream::Tcp(stream),
        })
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.write_all(bytes),
            Stream::Tls(s) => s.write_all(bytes),
        }
    }

    /// Writes some of `chunk` with one `write`: how many bytes went into
    /// the connection (over TLS, those of the records that went whole,
    /// one record per [`Chunk::records`] piece; see
    /// [`TlsStream::write_records`]).
    pub fn write_some(&mut self, chunk: Chunk<'_>) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(chunk.bytes()),
            Stream::Tls(s) => s.write_records(&mut chunk.records(RECORD_PLAINTEXT)),
        }
    }

    /// Whether the peer has closed (a zero-wait `poll` for `POLLRDHUP`).
    pub fn peer_closed(&self) -> bool {
        let fd: BorrowedFd<'_> = match self {
            Stream::Tcp(s) => s.as_fd(),
            Stream::Tls(s) => s.as_fd(),
        };
        crate::sys::poll::peer_closed(fd).unwrap_or(true)
    }
}

/// A network output's connection kind: whether it is a stream whose peer
/// has closed (a datagram socket never is).
pub trait Connection {
    fn peer_closed(&self) -> bool;
}

/// A network output's connection, made again as needed: at open (a
/// failure said once, the first event connects again), on SIGHUP, when a
/// stream's peer has closed before a send, and once after a failed send.
pub struct Link<C> {
    name: String,
    conn: Option<C>,
    reconnects: Reporter,
}

impl<C: Connection> Link<C> {
    /// Connects output `name` with `connect` at once; if that fails, says
    /// so and stays unconnected until the first send.
    pub fn open(name: String, connect: impl FnOnce() -> io::Result<C>) -> Link<C> {
        let mut link = Link {
            name,
            conn: None,
            reconnects: Reporter::new(),
        };
        let first = link.connect(connect);
        report_first_connect(&link.name, first);
        link
    }

    /// The output's name (`syslog ADDRESS`, `gelf ADDRESS`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The connection, if there is one.
    pub fn conn(&self) -> Option<&C> {
        self.conn.as_ref()
    }

    /// Reconnections after the peer went away or a send failed, so far.
    pub fn reconnects(&self) -> u64 {
        self.reconnects.total()
    }

    /// Drops the connection and makes a new one (the old one's peer has
    /// closed, or a send on it failed: it must not stay).
    pub fn connect(&mut self, connect: impl FnOnce() -> io::Result<C>) -> io::Result<()> {
        self.conn = None;
        self.conn = Some(connect()?);
        Ok(())
    }

    /// Makes a new connection (SIGHUP, SIGUSR1) and puts it in place of
    /// the old one; when it cannot be made, the old one stays and the
    /// output goes on writing where it did (the peer check before each
    /// send still replaces it once its peer closes).
    pub fn reopen(&mut self, connect: impl FnOnce() -> io::Result<C>) -> io::Result<()> {
        self.conn = Some(connect()?);
        Ok(())
    }

    /// Sends with `send`: reconnecting first if a stream's peer has
    /// closed, and once more, resending, if the send fails (as Go's
    /// `writeAndRetry`); a second failure leaves the link unconnected for
    /// the sink's next attempt. `EMSGSIZE` comes back as it is.
    pub fn deliver(
        &mut self,
        mut connect: impl FnMut() -> io::Result<C>,
        mut send: impl FnMut(&mut C) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.conn.as_ref().is_some_and(C::peer_closed) {
            self.reconnect(&"the receiver closed the connection", &mut connect)?;
        }
        let error = match self.send_once(&mut send) {
            Ok(()) => return Ok(()),
            Err(e) if is_too_large(&e) => return Err(e),
            Err(e) => e,
        };
        if self.conn.is_some() {
            self.reconnect(&format_args!("send failed ({error})"), &mut connect)?;
        } else {
            self.connect(&mut connect)?;
        }
        match self.send_once(&mut send) {
            Ok(()) => Ok(()),
            Err(e) if is_too_large(&e) => Err(e),
            Err(e) => {
                self.conn = None;
                Err(e)
            }
        }
    }

    fn send_once(&mut self, send: &mut impl FnMut(&mut C) -> io::Result<()>) -> io::Result<()> {
        match &mut self.conn {
            Some(conn) => send(conn),
            None => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    /// Reconnects, counting it and saying why once per interval.
    fn reconnect(
        &mut self,
        why: &dyn std::fmt::Display,
        connect: impl FnOnce() -> io::Result<C>,
    ) -> io::Result<()> {
        note_reconnect(&self.name, &mut self.reconnects, why);
        self.connect(connect)
    }
}

/// Says on stderr why a network output could not connect when it was
/// opened; it is not an error: the output connects again on its first
/// event (and on every send after a failure).
pub fn report_first_connect(name: &str, result: io::Result<()>) {
    if let Err(e) = result {
        eprintln!("raudit: output {name}: cannot connect yet ({e}); will retry on the first event");
    }
}

/// `EMSGSIZE`: the event cannot go through this transport at any attempt.
/// Built from the errno, so it does not allocate.
pub fn too_large() -> io::Error {
    io::Error::from_raw_os_error(libc::EMSGSIZE)
}

/// Whether `error` says the message is too large for the transport, which
/// no retry can fix.
pub fn is_too_large(error: &io::Error) -> bool {
    error.raw_os_error() == Some(libc::EMSGSIZE)
}

/// `ECONNREFUSED`: over UDP, the host refused the previous datagram (its
/// ICMP port unreachable is reported by the next send on the connected
/// socket); over a unix socket, the receiver is gone.
pub fn is_refused(error: &io::Error) -> bool {
    error.raw_os_error() == Some(libc::ECONNREFUSED)
}

/// Counts a reconnection of output `name` and says why on stderr, once
/// per [`REPORT_INTERVAL`].
pub fn note_reconnect(name: &str, reconnects: &mut Reporter, why: &dyn std::fmt::Display) {
    if reconnects.occurred() {
        eprintln!(
            "raudit: output {name}: {why}; reconnecting ({} times so far)",
            reconnects.total()
        );
    }
}

/// Counts occurrences of one problem and lets the caller print at most one
/// line per [`REPORT_INTERVAL`].
#[derive(Debug)]
pub struct Reporter {
    total: u64,
    last: Option<Instant>,
}

impl Reporter {
    pub fn new() -> Reporter {
        Reporter {
            total: 0,
            last: None,
        }
    }

    /// Counts one occurrence; true when it should be told now.
    pub fn occurred(&mut self) -> bool {
        self.total = self.total.saturating_add(1);
        let now = Instant::now();
        let due = match self.last {
            None => true,
            Some(last) => now.duration_since(last) >= REPORT_INTERVAL,
        };
        if due {
            self.last = Some(now);
        }
        due
    }

    /// Occurrences so far.
    pub fn total(&self) -> u64 {
        self.total
    }
}

impl Default for Reporter {
    fn default() -> Self {
        Reporter::new()
    }
}

//! What the network outputs (syslog, GELF) share: the host name they
//! report, address resolution by IP family, the "too large for the
//! transport" error the [`Sink`](super::Sink) does not retry, what a
//! refusal (`ECONNREFUSED`) is, and a once-per-interval reporter so a
//! flood of failures or reconnections prints one line a minute, not one
//! per event.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

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
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
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

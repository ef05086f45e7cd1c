//! The metrics endpoint's thread: one listener (TCP or unix socket), one
//! connection at a time, a request buffer and an exposition buffer
//! allocated once when the thread starts, so a scrape allocates nothing.
//! Each connection gets [`CONNECTION_TIME`] in all to send its request and
//! take the response; then it is closed, whatever it did. Stopping sets a
//! flag and connects once to wake the blocked `accept`.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::http::{self, Route, REQUEST_BYTES};
use super::{render, EXPOSITION_BYTES};
use crate::stats::Stats;

/// `raudit.metrics.listen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsAddress {
    /// `IP:PORT` (`[IPv6]:PORT`).
    Tcp(std::net::SocketAddr),
    /// `unix:/path`.
    Unix(PathBuf),
}

impl std::fmt::Display for MetricsAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetricsAddress::Tcp(addr) => write!(f, "{addr}"),
            MetricsAddress::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// How long one connection may take, request and response together.
pub const CONNECTION_TIME: Duration = Duration::from_secs(2);

/// The endpoint could not start: what was attempted, and why.
#[derive(Debug)]
pub struct ServeError {
    pub what: String,
    pub error: io::Error,
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.error)
    }
}

impl std::error::Error for ServeError {}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

enum Connection {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// The running endpoint; stopped (and its unix socket removed) by
/// [`MetricsServer::stop`] or on drop.
pub struct MetricsServer {
    address: MetricsAddress,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Binds `address` and starts serving `stats` on a thread of its own.
    pub fn start(address: &MetricsAddress, stats: Arc<Stats>) -> Result<MetricsServer, ServeError> {
        let (listener, bound) = bind(address)?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            thread::Builder::new()
                .name("raudit-metrics".into())
                .spawn(move || serve(&listener, &stats, &stop))
                .map_err(|error| ServeError {
                    what: "starting the metrics thread".into(),
                    error,
                })?
        };
        Ok(MetricsServer {
            address: bound,
            stop,
            thread: Some(thread),
        })
    }

    /// Where it listens (with the port the kernel chose for port 0).
    pub fn address(&self) -> &MetricsAddress {
        &self.address
    }

    /// Stops the thread and removes the unix socket.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept; if that fails the thread is detached instead.
        let woken = match &self.address {
            MetricsAddress::Tcp(addr) => {
                TcpStream::connect_timeout(&reachable(*addr), CONNECTION_TIME).is_ok()
            }
            MetricsAddress::Unix(path) => UnixStream::connect(path).is_ok(),
        };
        if woken {
            let _ = thread.join();
        }
        if let MetricsAddress::Unix(path) = &self.address {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// A connectable address for a listener bound to `addr` (an unspecified
/// address is reached over loopback).
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    }
}

fn bind(address: &MetricsAddress) -> Result<(Listener, MetricsAddress), ServeError> {
    match address {
        MetricsAddress::Tcp(addr) => {
            let fail = |error| ServeError {
                what: format!("listening for metrics on {addr}"),
                error,
            };
            let listener = TcpListener::bind(addr).map_err(fail)?;
            let bound = listener.local_addr().map_err(fail)?;
            Ok((Listener::Tcp(listener), MetricsAddress::Tcp(bound)))
        }
        MetricsAddress::Unix(path) => {
            let fail = |error| ServeError {
                what: format!("listening for metrics on unix:{}", path.display()),
                error,
            };
            remove_stale_socket(path).map_err(fail)?;
            let listener = UnixListener::bind(path).map_err(fail)?;
            Ok((Listener::Unix(listener), MetricsAddress::Unix(path.clone())))
        }
    }
}

/// Removes a socket file left by a raudit that did not exit cleanly; a
/// socket someone still listens on, or a file that is not a socket, stays
/// (and the bind then fails, saying so).
fn remove_stale_socket(path: &Path) -> io::Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the path exists and is not a socket",
        ));
    }
    match UnixStream::connect(path) {
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            "another process serves on this socket",
        )),
        Err(_) => std::fs::remove_file(path),
    }
}

fn serve(listener: &Listener, stats: &Stats, stop: &AtomicBool) {
    let mut request = [0u8; REQUEST_BYTES];
    let mut body = vec![0u8; EXPOSITION_BYTES].into_boxed_slice();
    let mut errors_reported = 0u32;
    loop {
        let accepted = match listener {
            Listener::Tcp(l) => l.accept().map(|(s, _)| Connection::Tcp(s)),
            Listener::Unix(l) => l.accept().map(|(s, _)| Connection::Unix(s)),
        };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        match accepted {
            Ok(mut connection) => {
                let _ = answer(&mut connection, stats, &mut request, &mut body);
                connection.close();
            }
            Err(e) => {
                if errors_reported < 10 {
                    eprintln!("raudit: metrics: accept failed, continuing: {e}");
                    errors_reported += 1;
                }
                // Out of descriptors, say: do not spin.
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Reads one request and answers it; errors are the client's (gone, slow,
/// reset) and only end this connection.
fn answer(
    connection: &mut Connection,
    stats: &Stats,
    request: &mut [u8],
    body: &mut [u8],
) -> io::Result<()> {
    let deadline = Instant::now() + CONNECTION_TIME;
    connection.set_write_timeout(CONNECTION_TIME)?;
    let n = http::read_head(connection, request, deadline, &mut |c, t| {
        c.set_read_timeout(t)
    })?;
    let route = http::route(request.get(..n).unwrap_or_default());
    match route {
        Route::Metrics | Route::MetricsHead => match render(stats, body) {
            Ok(len) => http::respond(connection, route, body.get(..len).unwrap_or_default()),
            Err(super::Full) => http::respond(connection, Route::ServerError, &[]),
        },
        _ => http::respond(connection, route, &[]),
    }
}

impl Connection {
    fn set_read_timeout(&mut self, t: Duration) -> io::Result<()> {
        match self {
            Connection::Tcp(s) => s.set_read_timeout(Some(t)),
            Connection::Unix(s) => s.set_read_timeout(Some(t)),
        }
    }

    fn set_write_timeout(&mut self, t: Duration) -> io::Result<()> {
        match self {
            Connection::Tcp(s) => s.set_write_timeout(Some(t)),
            Connection::Unix(s) => s.set_write_timeout(Some(t)),
        }
    }

    fn close(self) {
        let _ = match &self {
            Connection::Tcp(s) => s.shutdown(Shutdown::Both),
            Connection::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }
}

impl Read for Connection {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Connection::Tcp(s) => s.read(buf),
            Connection::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Connection {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Connection::Tcp(s) => s.write(buf),
            Connection::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

//! Just enough HTTP/1.1 for OTLP: the endpoint URL ([`Endpoint`], checked
//! when the config loads), a kept-alive connection, a POST written with
//! one `write_all` from the caller's buffer, and the response read by
//! `http/reply.rs` (its head and chunk sizes parsed with `httparse`, a
//! zero-copy parser used by most of Rust's HTTP stack, into the caller's
//! buffer: no allocation). An `https://` endpoint runs over the outputs'
//! TLS ([`TlsClient`]).

use std::io::{self, Write as _};
use std::net::TcpStream;
use std::os::fd::AsFd;
use std::time::Duration;

use super::super::net::IpFamily;
use crate::output::net;
use crate::output::tls::{TlsClient, TlsStream};

mod reply;

use self::reply::read_reply;
pub use self::reply::{for_each_field, Field, Reply};

/// The room for a response's head and body (an OTLP response is a small
/// protobuf or a short error text; a longer body is read and dropped).
pub const REPLY_ROOM: usize = 8192;

/// An `http://host:port/path` (or `https://`) endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `host:port` (the `Host` header and what is connected to).
    pub authority: String,
    /// The path, `/v1/logs` when the URL has none.
    pub path: String,
    /// `https://`: the connection runs TLS.
    pub https: bool,
}

impl Endpoint {
    /// Parses `url`; an error says what is wrong with it.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let scheme = |name: &str| {
            url.get(..name.len())
                .filter(|s| s.eq_ignore_ascii_case(name))
                .and_then(|_| url.get(name.len()..))
        };
        let (rest, https) = match (scheme("http://"), scheme("https://")) {
            (Some(rest), _) => (rest, false),
            (_, Some(rest)) => (rest, true),
            _ => {
                return Err(format!(
                    "{url}: expected an http:// or https:// URL, as http://127.0.0.1:4318/v1/logs"
                ))
            }
        };
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(at) => rest.split_at(at),
            None => (rest, "/v1/logs"),
        };
        if !path.starts_with('/') {
            return Err(format!(
                "{url}: a query or fragment needs a path before it, as http://host:4318/v1/logs?x=1"
            ));
        }
        if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(format!(
                "{url}: the path holds a space or control character"
            ));
        }
        if path.contains('#') {
            return Err(format!(
                "{url}: a #fragment is never sent to the server; leave it out"
            ));
        }
        let authority = with_port(authority, if https { 443 } else { 80 })
            .map_err(|problem| format!("{url}: {problem}"))?;
        Ok(Endpoint {
            authority,
            path: path.to_owned(),
            https,
        })
    }
}

/// `host[:port]` checked, with `default` as its port when it names none:
/// a host (a name, an IPv4 address or an IPv6 one in brackets), and a
/// port from 1 to 65535 after a colon.
fn with_port(authority: &str, default: u16) -> Result<String, String> {
    if authority.is_empty() {
        return Err("no host".into());
    }
    if authority.contains('@') {
        return Err(
            "credentials in the URL are not sent; put them in output.otlp.headers \
             (Authorization)"
                .into(),
        );
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(inner) => {
            let (address, after) = inner
                .split_once(']')
                .ok_or("an IPv6 address's [ has no ]")?;
            if address.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("[{address}] is not an IPv6 address"));
            }
            match after {
                "" => (authority, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (&authority[..authority.len() - after.len()], Some(port)),
                    None => return Err(format!("{after:?} after the IPv6 address")),
                },
            }
        }
        None => match authority.split_once(':') {
            Some((_, port)) if port.contains(':') => {
                return Err("an IPv6 address goes in brackets, as http://[::1]:4318/v1/logs".into())
            }
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    if host.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'\\') {
        return Err(format!(
            "the host {host:?} holds a space, control character or backslash"
        ));
    }
    let port = match port {
        None => default,
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|&p| p > 0 && port.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| format!("the port {port:?} is not a number from 1 to 65535"))?,
    };
    Ok(format!("{host}:{port}"))
}

/// A connection's transport.
enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsStream>),
}

impl Stream {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.write_all(bytes),
            Stream::Tls(s) => s.write_all(bytes),
        }
    }
}

impl io::Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

/// One kept-alive connection to the endpoint.
pub struct Connection {
    stream: Option<Stream>,
    timeout: Duration,
    /// For an `https://` endpoint.
    tls: Option<TlsClient>,
}

impl Connection {
    /// A connection (not made yet) with `tls` for an `https://` endpoint.
    pub fn new(timeout: Duration, tls: Option<TlsClient>) -> Connection {
        Connection {
            stream: None,
            timeout,
            tls,
        }
    }

    pub fn is_open(&self) -> bool {
        self.stream.is_some()
    }

    pub fn close(&mut self) {
        self.stream = None;
    }

    /// Connects (again).
    pub fn connect(&mut self, endpoint: &Endpoint) -> io::Result<()> {
        self.stream = None;
        let peer = net::resolve(&endpoint.authority, IpFamily::Any)?;
        let stream = TcpStream::connect_timeout(&peer, self.timeout)?;
        stream.set_write_timeout(Some(self.timeout))?;
        stream.set_read_timeout(Some(self.timeout))?;
        stream.set_nodelay(true)?;
        self.stream = Some(match (&self.tls, endpoint.https) {
            (Some(tls), true) => {
                let tls = tls.connect(stream)?;
                tls.set_read_timeout(self.timeout)?;
                Stream::Tls(Box::new(tls))
            }
            (None, true) => {
                return Err(io::Error::other(
                    "an https:// endpoint without TLS settings (the plan makes them)",
                ))
            }
            (_, false) => Stream::Tcp(stream),
        });
        Ok(())
    }

    /// Whether the open connection's peer has closed it (a kept-alive
    /// connection the receiver timed out).
    pub fn peer_closed(&self) -> bool {
        match &self.stream {
            Some(Stream::Tcp(s)) => crate::sys::poll::peer_closed(s.as_fd()).unwrap_or(true),
            Some(Stream::Tls(s)) => crate::sys::poll::peer_closed(s.as_fd()).unwrap_or(true),
            None => true,
        }
    }

    /// Sends `request` (head and body) and reads the response into
    /// `reply`.
    pub fn exchange(&mut self, request: &[u8], reply: &mut [u8]) -> io::Result<Reply> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(io::ErrorKind::NotConnected.into());
        };
        let result = stream
            .write_all(request)
            .and_then(|()| read_reply(stream, reply));
        if result.is_err() {
            self.stream = None;
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_with_defaults_and_clear_errors() {
        let e = Endpoint::parse("http://127.0.0.1:4318/v1/logs").unwrap();
        assert_eq!(
            (e.authority.as_str(), e.path.as_str()),
            ("127.0.0.1:4318", "/v1/logs")
        );
        let e = Endpoint::parse("http://collector").unwrap();
        assert_eq!(
            (e.authority.as_str(), e.path.as_str()),
            ("collector:80", "/v1/logs")
        );
        let e = Endpoint::parse("http://[::1]/x").unwrap();
        assert_eq!(e.authority, "[::1]:80");
        let e = Endpoint::parse("https://collector/v1/logs").unwrap();
        assert_eq!((e.authority.as_str(), e.https), ("collector:443", true));
        assert!(!Endpoint::parse("http://c:1").unwrap().https);
        assert!(Endpoint::parse("c:4318")
            .unwrap_err()
            .contains("expected an http:// or https:// URL"));
        assert!(Endpoint::parse("http:///v1/logs")
            .unwrap_err()
            .contains("no host"));
        let e = Endpoint::parse("HTTPS://[2001:db8::1]:4318/v1/logs?tenant=a").unwrap();
        assert_eq!(
            (e.authority.as_str(), e.path.as_str(), e.https),
            ("[2001:db8::1]:4318", "/v1/logs?tenant=a", true)
        );
    }

    #[test]
    fn endpoints_a_connect_could_not_use_are_refused_with_the_reason() {
        for (url, reason) in [
            (
                "http://user:pw@collector:4318/v1/logs",
                "credentials in the URL",
            ),
            ("http://collector:4318?tenant=a", "needs a path before it"),
            ("http://collector#x", "needs a path before it"),
            ("http://collector/v1/logs#x", "fragment is never sent"),
            ("http://::1", "IPv6 address goes in brackets"),
            ("http://::1:4318/v1/logs", "IPv6 address goes in brackets"),
            ("http://[::1/v1/logs", "has no ]"),
            ("http://[fe80::zz]:4318", "is not an IPv6 address"),
            ("http://[::1]x:1", "after the IPv6 address"),
            (
                "http://collector:/v1/logs",
                "is not a number from 1 to 65535",
            ),
            ("http://collector:0", "is not a number from 1 to 65535"),
            ("http://collector:65536", "is not a number from 1 to 65535"),
            ("http://collector:+80", "is not a number from 1 to 65535"),
            ("http://collector:http", "is not a number from 1 to 65535"),
            ("http://:4318/v1/logs", "no host"),
            ("http://coll\\ector/v1/logs", "backslash"),
        ] {
            let error = Endpoint::parse(url).unwrap_err();
            assert!(
                error.starts_with(url) && error.contains(reason),
                "{url}: {error}"
            );
        }
    }
}

//! Just enough HTTP/1.1 for OTLP: the endpoint URL, a kept-alive
//! connection, a POST written with one `write_all` from the caller's
//! buffer, and the response's status and `Retry-After` read with
//! `httparse` (a zero-copy parser into a fixed header array: the response
//! is parsed without allocating, and its framing — status line, headers,
//! `Content-Length`, chunked bodies — is handled by a parser used by most
//! of Rust's HTTP stack rather than by hand here). An `https://` endpoint
//! runs over the outputs' TLS ([`TlsClient`]).

use std::io::{self, Write as _};
use std::net::TcpStream;
use std::os::fd::AsFd;
use std::time::Duration;

use super::super::net::IpFamily;
use crate::output::net;
use crate::output::tls::{TlsClient, TlsStream};

/// The room for a response's head and body (an OTLP response is a small
/// protobuf or a short error text; a longer body is read and dropped).
pub const REPLY_ROOM: usize = 8192;

/// Response headers read at most.
const MAX_HEADERS: usize = 32;

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
        let (rest, https) = match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
            (Some(rest), _) => (rest, false),
            (_, Some(rest)) => (rest, true),
            _ => {
                return Err(format!(
                    "{url}: expected an http:// or https:// URL, as http://127.0.0.1:4318/v1/logs"
                ))
            }
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/v1/logs"),
        };
        if authority.is_empty() {
            return Err(format!("{url}: no host"));
        }
        if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(format!(
                "{url}: the path holds a space or control character"
            ));
        }
        // A bracketed IPv6 address holds colons of its own.
        let has_port = match authority.rfind(']') {
            Some(close) => authority[close..].contains(':'),
            None => authority.contains(':'),
        };
        let authority = match (has_port, https) {
            (true, _) => authority.to_owned(),
            (false, false) => format!("{authority}:80"),
            (false, true) => format!("{authority}:443"),
        };
        Ok(Endpoint {
            authority,
            path: path.to_owned(),
            https,
        })
    }
}

/// What the receiver answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// `Retry-After` in seconds (an HTTP date is not read: the caller's
    /// own backoff applies then).
    pub retry_after: Option<Duration>,
    /// The receiver closes the connection after this response.
    pub close: bool,
    /// Records a 2xx answer's `ExportLogsServiceResponse` says were
    /// rejected (`partial_success.rejected_log_records`), when it says so.
    pub rejected: u64,
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

/// Reads one response: its head, then its body (by `Content-Length`, or
/// chunks up to the last one), so the connection can carry the next
/// request.
fn read_reply(stream: &mut impl io::Read, buf: &mut [u8]) -> io::Result<Reply> {
    let mut filled = 0;
    let (reply, head_len, body) = loop {
        let room = buf.get_mut(filled..).unwrap_or_default();
        if room.is_empty() {
            return Err(invalid("the response head is too large"));
        }
        let n = stream.read(room)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the receiver closed the connection before answering",
            ));
        }
        filled += n;
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(buf.get(..filled).unwrap_or_default()) {
            Ok(httparse::Status::Complete(head_len)) => {
                let status = response.code.unwrap_or(0);
                let mut reply = Reply {
                    status,
                    retry_after: None,
                    close: response.version == Some(0),
                    rejected: 0,
                };
                let mut body = Body::UntilClose;
                if status == 204 || status == 304 || status < 200 {
                    body = Body::Length(0);
                }
                for h in response.headers.iter() {
                    let value = std::str::from_utf8(h.value).unwrap_or("").trim();
                    if h.name.eq_ignore_ascii_case("content-length") {
                        let length = value.parse().map_err(|_| {
                            invalid("the response's Content-Length is not a number")
                        })?;
                        body = Body::Length(length);
                    } else if h.name.eq_ignore_ascii_case("transfer-encoding")
                        && value
                            .rsplit(',')
                            .next()
                            .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
                    {
                        body = Body::Chunked;
                    } else if h.name.eq_ignore_ascii_case("retry-after") {
                        reply.retry_after = value.parse().ok().map(Duration::from_secs);
                    } else if h.name.eq_ignore_ascii_case("connection") {
                        if value.eq_ignore_ascii_case("close") {
                            reply.close = true;
                        } else if value.eq_ignore_ascii_case("keep-alive") {
                            reply.close = false;
                        }
                    }
                }
                break (reply, head_len, body);
            }
            Ok(httparse::Status::Partial) => continue,
            Err(e) => return Err(invalid_owned(format!("the response is not HTTP: {e}"))),
        }
    };
    let mut reply = reply;
    let have = filled - head_len;
    match body {
        Body::Length(length)
            if (200..300).contains(&reply.status) && head_len + length <= buf.len() =>
        {
            // Small enough to keep: read whole, for its partial success.
            let end = head_len + length;
            if filled < end {
                stream.read_exact(buf.get_mut(filled..end).unwrap_or_default())?;
            }
            reply.rejected = rejected_records(buf.get(head_len..end).unwrap_or_default());
        }
        Body::Length(length) => skip(stream, buf, length.saturating_sub(have))?,
        Body::Chunked => skip_chunks(stream, buf, head_len, filled)?,
        Body::UntilClose => reply.close = true,
    }
    Ok(reply)
}

/// `ExportLogsServiceResponse.partial_success` (field 1) →
/// `ExportLogsPartialSuccess.rejected_log_records` (field 1, int64); 0
/// when absent or not a protobuf this reads (a JSON answer, say).
fn rejected_records(body: &[u8]) -> u64 {
    let mut rejected = 0;
    let _ = for_each_field(body, &mut |field, value| {
        if let (1, Field::Bytes(inner)) = (field, value) {
            let _ = for_each_field(inner, &mut |field, value| {
                if let (1, Field::Varint(n)) = (field, value) {
                    // A negative count makes no sense: read as none.
                    rejected = if (n as i64) < 0 { 0 } else { n };
                }
            });
        }
    });
    rejected
}

/// A protobuf field's value, as [`for_each_field`] reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Field<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
}

/// Walks the fields of one protobuf message; `None` at the first byte it
/// cannot read (what was read stays read). Also what the encoder's tests
/// decode its records with.
pub(super) fn for_each_field<'a>(
    mut bytes: &'a [u8],
    f: &mut dyn FnMut(u64, Field<'a>),
) -> Option<()> {
    while !bytes.is_empty() {
        let key = read_varint(&mut bytes)?;
        match key & 7 {
            0 => f(key >> 3, Field::Varint(read_varint(&mut bytes)?)),
            1 => {
                let (value, rest) = bytes.split_first_chunk::<8>()?;
                f(key >> 3, Field::Fixed64(u64::from_le_bytes(*value)));
                bytes = rest;
            }
            2 => {
                let len = usize::try_from(read_varint(&mut bytes)?).ok()?;
                let (value, rest) = bytes.split_at_checked(len)?;
                f(key >> 3, Field::Bytes(value));
                bytes = rest;
            }
            5 => bytes = bytes.get(4..)?,
            _ => return None,
        }
    }
    Some(())
}

fn read_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

enum Body {
    Length(usize),
    Chunked,
    /// Neither length nor chunks: the body ends when the receiver closes;
    /// the connection is not reused.
    UntilClose,
}

/// Reads and drops `left` more bytes.
fn skip(stream: &mut impl io::Read, buf: &mut [u8], mut left: usize) -> io::Result<()> {
    while left > 0 {
        let want = left.min(buf.len());
        let n = stream.read(buf.get_mut(..want).unwrap_or_default())?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        left -= n;
    }
    Ok(())
}

/// Reads a chunked body to its end (the last chunk, `0\r\n\r\n`; no
/// trailers expected), keeping only the last bytes to look for it.
fn skip_chunks(
    stream: &mut impl io::Read,
    buf: &mut [u8],
    start: usize,
    mut filled: usize,
) -> io::Result<()> {
    const END: &[u8] = b"0\r\n\r\n";
    let mut start = start;
    loop {
        let seen = buf.get(start..filled).unwrap_or_default();
        if seen.ends_with(END) {
            return Ok(());
        }
        let keep = seen.len().min(END.len());
        buf.copy_within(filled - keep..filled, 0);
        start = 0;
        filled = keep;
        let n = stream.read(buf.get_mut(filled..).unwrap_or_default())?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        filled += n;
    }
}

fn invalid(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

fn invalid_owned(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_success_counts_are_read_and_garbage_is_none() {
        // partial_success { rejected_log_records: 300, error_message: "x" }
        let body = [0x0a, 0x06, 0x08, 0xac, 0x02, 0x12, 0x01, b'x'];
        assert_eq!(rejected_records(&body), 300);
        assert_eq!(rejected_records(&[]), 0);
        assert_eq!(rejected_records(b"{}"), 0);
        assert_eq!(rejected_records(&[0x0a, 0x7f, 0x08]), 0);
    }

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
    }
}

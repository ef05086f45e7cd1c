//! The little HTTP/1.x the metrics endpoint speaks: a bounded request head
//! read into a fixed buffer, its request line judged, one response with
//! `Connection: close`. Hand-written (no parser dependency) because only
//! the request line matters: `GET /metrics` (or `HEAD`) → 200, another path
//! → 404, another method on `/metrics` → 405, anything malformed or larger
//! than [`REQUEST_BYTES`] → 400.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

/// The largest request head read (request line and headers).
pub const REQUEST_BYTES: usize = 4096;

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `GET /metrics`: status and body.
    Metrics,
    /// `HEAD /metrics`: the status and headers of `GET`, no body.
    MetricsHead,
    NotFound,
    MethodNotAllowed,
    BadRequest,
    /// Never from [`route`]: the exposition did not fit its buffer.
    ServerError,
}

/// Whether `head` holds a complete request head (ends with an empty line).
pub fn head_complete(head: &[u8]) -> bool {
    memchr::memmem::find(head, b"\r\n\r\n").is_some()
        || memchr::memmem::find(head, b"\n\n").is_some()
}

/// Judges a request from its head (the bytes read so far; a head that is
/// not complete is a bad request).
pub fn route(head: &[u8]) -> Route {
    if !head_complete(head) {
        return Route::BadRequest;
    }
    let line_end = memchr::memchr(b'\n', head).unwrap_or(head.len());
    let line = head.get(..line_end).unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Route::BadRequest;
    };
    let method_ok = !method.is_empty() && method.iter().all(u8::is_ascii_uppercase);
    let version_ok = version.len() == 8
        && version.starts_with(b"HTTP/1.")
        && version.get(7).is_some_and(u8::is_ascii_digit);
    if !method_ok || !version_ok || !target.starts_with(b"/") {
        return Route::BadRequest;
    }
    let path_end = memchr::memchr(b'?', target).unwrap_or(target.len());
    if target.get(..path_end) != Some(b"/metrics".as_slice()) {
        return Route::NotFound;
    }
    match method {
        b"GET" => Route::Metrics,
        b"HEAD" => Route::MetricsHead,
        _ => Route::MethodNotAllowed,
    }
}

/// Reads a request head into `buf` until it is complete, `buf` is full, the
/// peer closes, or `deadline` passes (each read waits at most until then),
/// so a slow client cannot hold the endpoint. Returns the bytes read.
pub fn read_head<S: Read>(
    stream: &mut S,
    buf: &mut [u8],
    deadline: Instant,
    set_timeout: &mut dyn FnMut(&mut S, Duration) -> io::Result<()>,
) -> io::Result<usize> {
    let mut len = 0;
    while len < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        set_timeout(stream, left)?;
        let room = buf.get_mut(len..).unwrap_or_default();
        let n = stream.read(room)?;
        if n == 0 {
            break;
        }
        len += n;
        if head_complete(buf.get(..len).unwrap_or_default()) {
            break;
        }
    }
    Ok(len)
}

/// Writes the response for `route`; `body` is the exposition (used for
/// [`Route::Metrics`], its length for [`Route::MetricsHead`]).
pub fn respond<W: Write>(out: &mut W, route: Route, body: &[u8]) -> io::Result<()> {
    let (status, content, extra): (&str, &[u8], &str) = match route {
        Route::Metrics | Route::MetricsHead => ("200 OK", body, ""),
        Route::NotFound => ("404 Not Found", b"not found: try /metrics\n", ""),
        Route::MethodNotAllowed => (
            "405 Method Not Allowed",
            b"only GET and HEAD\n",
            "Allow: GET, HEAD\r\n",
        ),
        Route::BadRequest => ("400 Bad Request", b"bad request\n", ""),
        Route::ServerError => (
            "500 Internal Server Error",
            b"the metrics did not fit their buffer\n",
            "",
        ),
    };
    let content_type = if matches!(route, Route::Metrics | Route::MetricsHead) {
        "text/plain; version=0.0.4; charset=utf-8"
    } else {
        "text/plain; charset=utf-8"
    };
    let mut head = [0u8; 256];
    let mut cursor = io::Cursor::new(head.as_mut_slice());
    write!(
        cursor,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        content.len()
    )?;
    let written = usize::try_from(cursor.position()).unwrap_or(0);
    out.write_all(head.get(..written).unwrap_or_default())?;
    if route != Route::MetricsHead {
        out.write_all(content)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_request_line() {
        let cases: [(&[u8], Route); 11] = [
            (b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", Route::Metrics),
            (b"GET /metrics?x=1 HTTP/1.0\r\n\r\n", Route::Metrics),
            (b"GET /metrics HTTP/1.1\n\n", Route::Metrics),
            (b"HEAD /metrics HTTP/1.1\r\n\r\n", Route::MetricsHead),
            (b"GET / HTTP/1.1\r\n\r\n", Route::NotFound),
            (b"GET /metricsx HTTP/1.1\r\n\r\n", Route::NotFound),
            (b"POST /metrics HTTP/1.1\r\n\r\n", Route::MethodNotAllowed),
            (b"GET /metrics HTTP/2.0\r\n\r\n", Route::BadRequest),
            (b"GET /metrics\r\n\r\n", Route::BadRequest),
            (b"GET /metrics HTTP/1.1\r\nHost: x\r\n", Route::BadRequest),
            (b"\x00\xff /metrics HTTP/1.1\r\n\r\n", Route::BadRequest),
        ];
        for (request, expected) in cases {
            assert_eq!(
                route(request),
                expected,
                "{}",
                String::from_utf8_lossy(request)
            );
        }
    }

    #[test]
    fn responses_carry_length_and_close() {
        let mut out = Vec::new();
        respond(&mut out, Route::Metrics, b"raudit_x 1\n").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.contains("Content-Length: 11\r\n"), "{text}");
        assert!(text.contains("Connection: close\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\nraudit_x 1\n"), "{text}");

        let mut out = Vec::new();
        respond(&mut out, Route::MetricsHead, b"raudit_x 1\n").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Content-Length: 11\r\n") && text.ends_with("\r\n\r\n"));

        let mut out = Vec::new();
        respond(&mut out, Route::MethodNotAllowed, b"").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 405 ") && text.contains("Allow: GET, HEAD\r\n"));
    }

    /// Hands out one byte per read, as a slow client's segments arrive.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some((&first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            buf[0] = first;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn a_head_in_pieces_is_read_whole_and_no_further() {
        let request = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nBODY";
        let mut buf = [0u8; REQUEST_BYTES];
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut timeouts = 0;
        let n = read_head(&mut Trickle(request), &mut buf, deadline, &mut |_, t| {
            assert!(t <= Duration::from_secs(5));
            timeouts += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(&buf[..n], &request[..request.len() - 4]);
        assert_eq!(timeouts, n, "each read waits at most until the deadline");
        assert_eq!(route(&buf[..n]), Route::Metrics);
    }

    #[test]
    fn a_passed_deadline_ends_the_read() {
        let mut buf = [0u8; 16];
        let error = read_head(
            &mut Trickle(b"GET"),
            &mut buf,
            Instant::now(),
            &mut |_, _| Ok(()),
        )
        .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }

    /// Request heads: a request line of valid and invalid methods,
    /// separators, targets and versions (so every branch of [`route`] is
    /// reached), or arbitrary bytes.
    fn request_ish() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let junk = || proptest::collection::vec(any::<u8>(), 0..8);
        let one_of = |words: &'static [&'static [u8]]| {
            prop_oneof![
                4 => proptest::sample::select(words).prop_map(<[u8]>::to_vec),
                1 => junk(),
            ]
        };
        let line = (
            one_of(&[b"GET", b"HEAD", b"POST", b"get"]),
            one_of(&[b" "]),
            one_of(&[b"/metrics", b"/metrics?x=1", b"/", b"/metricsx"]),
            one_of(&[b" "]),
            one_of(&[b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0"]),
            one_of(&[b"\r\nHost: x\r\n\r\n", b"\r\n\r\n", b"\r\n"]),
        )
            .prop_map(|(m, a, t, b, v, end)| [m, a, t, b, v, end].concat());
        prop_oneof![
            3 => line,
            1 => proptest::collection::vec(any::<u8>(), 0..300),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_head_routes_without_panicking(bytes in request_ish()) {
            let _ = route(&bytes);
        }
    }

    /// The generator reaches every route, not only the bad request that
    /// arbitrary bytes (without an empty line) always are.
    #[test]
    fn the_request_generator_reaches_every_route() {
        use proptest::strategy::{Strategy, ValueTree};
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..5000 {
            let head = request_ish().new_tree(&mut runner).unwrap().current();
            seen.insert(format!("{:?}", route(&head)));
        }
        for every in [
            Route::Metrics,
            Route::MetricsHead,
            Route::NotFound,
            Route::MethodNotAllowed,
            Route::BadRequest,
        ] {
            assert!(seen.contains(&format!("{every:?}")), "{every:?}: {seen:?}");
        }
    }

    #[test]
    fn a_head_larger_than_the_buffer_stops_at_the_buffer() {
        let request = [b'a'; REQUEST_BYTES * 2];
        let mut reader = request.as_slice();
        let mut buf = [0u8; REQUEST_BYTES];
        let deadline = Instant::now() + Duration::from_secs(5);
        let n = read_head(&mut reader, &mut buf, deadline, &mut |_, _| Ok(())).unwrap();
        assert_eq!(n, REQUEST_BYTES);
        assert_eq!(route(&buf[..n]), Route::BadRequest);
    }
}

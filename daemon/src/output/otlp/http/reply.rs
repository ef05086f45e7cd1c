//! Reading one HTTP/1.1 response to a POST ([`read_reply`]) from a
//! kept-alive connection into the caller's buffer, framed as RFC 9112
//! says, so that the connection carries the next request in step:
//! interim `1xx` heads skipped, the body by `Transfer-Encoding: chunked`
//! (which wins over `Content-Length`, in whatever order they come; chunk
//! extensions and trailers read past), else `Content-Length`, else to
//! the close. Heads and chunk sizes are parsed by `httparse`. A 2xx
//! body that fits is kept, for the partial success it may carry
//! ([`rejected_records`]). Bytes left after the response (a receiver
//! out of step: raudit never pipelines) close the connection.

use std::io;
use std::time::Duration;

/// Response headers read at most (a proxy in front of the collector adds
/// its own): a fixed array on the stack, 32 bytes each.
const MAX_HEADERS: usize = 128;

/// What the receiver answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// `Retry-After` in seconds (an HTTP date is not read: the caller's
    /// own backoff applies then).
    pub retry_after: Option<Duration>,
    /// The receiver closes the connection after this response (or it is
    /// out of step and must not be reused).
    pub close: bool,
    /// Records a 2xx answer's `ExportLogsServiceResponse` says were
    /// rejected (`partial_success.rejected_log_records`), when it says so.
    pub rejected: u64,
}

/// How a response's body is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    Length(u64),
    Chunked,
    /// Neither length nor chunks: the body ends when the receiver closes;
    /// the connection is not reused.
    UntilClose,
}

/// Reads one response: its head (after any interim `1xx` ones), then its
/// body, so the connection can carry the next request.
pub fn read_reply(stream: &mut impl io::Read, buf: &mut [u8]) -> io::Result<Reply> {
    let mut input = Input::new(stream, buf);
    let (mut reply, body) = loop {
        let head = input.head()?;
        match head.0.status {
            // The final answer follows an interim one.
            100 | 102..=199 => continue,
            101 => return Err(invalid("the receiver switched protocols (HTTP 101)")),
            _ => break head,
        }
    };
    let keep = (200..300).contains(&reply.status);
    let whole = match body {
        Body::Length(length) => input.body(length, keep)?,
        Body::Chunked => input.chunks(keep)?,
        Body::UntilClose => {
            reply.close = true;
            false
        }
    };
    if keep && whole {
        reply.rejected = rejected_records(input.kept());
    }
    if !input.unread().is_empty() {
        reply.close = true;
    }
    Ok(reply)
}

/// The bytes read from a stream into a buffer: `buf[..kept]` the body
/// bytes kept, `buf[pos..filled]` read and not yet taken.
struct Input<'s, 'b, S> {
    stream: &'s mut S,
    buf: &'b mut [u8],
    kept: usize,
    pos: usize,
    filled: usize,
}

impl<'s, 'b, S: io::Read> Input<'s, 'b, S> {
    fn new(stream: &'s mut S, buf: &'b mut [u8]) -> Self {
        Input {
            stream,
            buf,
            kept: 0,
            pos: 0,
            filled: 0,
        }
    }

    fn unread(&self) -> &[u8] {
        self.buf.get(self.pos..self.filled).unwrap_or_default()
    }

    fn kept(&self) -> &[u8] {
        self.buf.get(..self.kept).unwrap_or_default()
    }

    /// Reads more (the unread bytes moved down to the kept ones first);
    /// an error at the end of the stream, or when the unread bytes fill
    /// the buffer (`what` is too large).
    fn more(&mut self, what: &'static str) -> io::Result<()> {
        if self.pos > self.kept {
            self.buf.copy_within(self.pos..self.filled, self.kept);
            self.filled -= self.pos - self.kept;
            self.pos = self.kept;
        }
        let room = self.buf.get_mut(self.filled..).unwrap_or_default();
        if room.is_empty() {
            return Err(invalid_owned(format!("the response's {what} is too large")));
        }
        match self.stream.read(room)? {
            0 => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the receiver closed the connection before it finished answering",
            )),
            n => {
                self.filled += n;
                Ok(())
            }
        }
    }

    /// The next response head: its status and headers, and how its body
    /// is framed.
    fn head(&mut self) -> io::Result<(Reply, Body)> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(self.unread()) {
                Ok(httparse::Status::Complete(len)) => {
                    let head = read_head(&response)?;
                    self.pos += len;
                    return Ok(head);
                }
                Ok(httparse::Status::Partial) => self.more("head")?,
                Err(e) => return Err(invalid_owned(format!("the response is not HTTP: {e}"))),
            }
        }
    }

    /// Takes `length` bytes of body, kept while they fit half the buffer
    /// and `keep`; whether all of it was kept.
    fn body(&mut self, mut length: u64, keep: bool) -> io::Result<bool> {
        let mut whole = keep;
        while length > 0 {
            if self.pos == self.filled {
                self.more("body")?;
            }
            let have = self.filled - self.pos;
            let take = usize::try_from(length).map_or(have, |l| l.min(have));
            if whole && self.kept + take <= self.buf.len() / 2 {
                self.buf.copy_within(self.pos..self.pos + take, self.kept);
                self.kept += take;
            } else {
                whole = false;
            }
            self.pos += take;
            length -= take as u64;
        }
        Ok(whole)
    }

    /// Takes a chunked body, to its last chunk and trailers; whether all
    /// of its data was kept ([`body`](Self::body)).
    fn chunks(&mut self, keep: bool) -> io::Result<bool> {
        let mut whole = keep;
        loop {
            let size = match httparse::parse_chunk_size(self.unread()) {
                Ok(httparse::Status::Complete((len, size))) => {
                    self.pos += len;
                    size
                }
                Ok(httparse::Status::Partial) => {
                    self.more("chunk size")?;
                    continue;
                }
                Err(_) => return Err(invalid("the response's chunk size is not hex")),
            };
            if size == 0 {
                self.trailers()?;
                return Ok(whole);
            }
            whole = self.body(size, whole)?;
            while self.filled - self.pos < 2 {
                self.more("chunk")?;
            }
            if self.unread().get(..2) != Some(b"\r\n") {
                return Err(invalid(
                    "a chunk of the response does not end where its size says",
                ));
            }
            self.pos += 2;
        }
    }

    /// Reads past the trailer lines after the last chunk, to the empty one.
    fn trailers(&mut self) -> io::Result<()> {
        loop {
            match memchr::memmem::find(self.unread(), b"\r\n") {
                Some(0) => {
                    self.pos += 2;
                    return Ok(());
                }
                Some(end) => self.pos += end + 2,
                None => self.more("trailer")?,
            }
        }
    }
}

/// A response head's reply and body framing (RFC 9112 §6.3: no body for
/// 1xx, 204 and 304; chunked when the last transfer coding is, whatever
/// `Content-Length` says; to the close for another coding; else by
/// `Content-Length`, whose copies must agree).
fn read_head(response: &httparse::Response<'_, '_>) -> io::Result<(Reply, Body)> {
    let status = response.code.unwrap_or(0);
    let mut reply = Reply {
        status,
        retry_after: None,
        close: response.version == Some(0),
        rejected: 0,
    };
    let (mut length, mut coding) = (None, None);
    for h in response.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or("").trim();
        if h.name.eq_ignore_ascii_case("content-length") {
            let n: u64 = value
                .parse()
                .map_err(|_| invalid("the response's Content-Length is not a number"))?;
            if length.is_some_and(|l| l != n) {
                return Err(invalid("the response has two different Content-Lengths"));
            }
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            let last = value.rsplit(',').next().unwrap_or("").trim();
            coding = Some(last.eq_ignore_ascii_case("chunked"));
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
    let body = match (status, coding, length) {
        (100..=199 | 204 | 304, _, _) => Body::Length(0),
        (_, Some(true), _) => Body::Chunked,
        (_, Some(false), _) => Body::UntilClose,
        (_, None, Some(n)) => Body::Length(n),
        (_, None, None) => Body::UntilClose,
    };
    Ok((reply, body))
}

/// `ExportLogsServiceResponse.partial_success` (field 1) →
/// `ExportLogsPartialSuccess.rejected_log_records` (field 1, int64); 0
/// when absent or not a protobuf this reads (a JSON answer, say).
pub fn rejected_records(body: &[u8]) -> u64 {
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
pub enum Field<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
}

/// Walks the fields of one protobuf message; `None` at the first byte it
/// cannot read (what was read stays read). Also what the encoder's tests
/// decode its records with.
pub fn for_each_field<'a>(mut bytes: &'a [u8], f: &mut dyn FnMut(u64, Field<'a>)) -> Option<()> {
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

fn invalid(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

fn invalid_owned(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

#[cfg(test)]
mod tests;

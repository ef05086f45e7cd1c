//! The GELF output (Graylog): each event is one GELF 1.1 message, sent as
//! go-gelf (go-audit's library) sends it — over UDP, compressed (gzip,
//! zlib or none) and split into chunks when larger than one datagram, or
//! over TCP as an uncompressed frame ended by a NUL byte.
//!
//! UDP chunks: magic `0x1e 0x0f`, an 8-byte message id, sequence number,
//! chunk count, then at most 1408 bytes of payload (1420 per datagram).
//! A message needing more than 128 chunks is sent as the event's marked
//! cut version (counted `cut`; the receive thread makes one for every line
//! over [`GelfSpec::line_limit`]); only without one it is refused with
//! `EMSGSIZE` (counted as an error, never retried) and told on stderr once
//! per interval.
//!
//! Delivery as far as the transport tells: a TCP connection whose peer has
//! closed is noticed before the event is written and reconnected; a UDP
//! datagram the host refused (`ECONNREFUSED`, reported on the next send)
//! is counted as an error for the event it refused, once however many of
//! its chunks were refused.
//!
//! No allocation per event: the JSON, the compressed payload and the chunk
//! are written into buffers reserved at start. TCP frames are gathered and
//! written together (see [`gather`](super::gather)). A failed send
//! reconnects and resends once (from the first frame not written whole); a
//! further failure goes to the sink's retry policy.

pub mod compress;
pub mod message;

use std::io::{self, Read as _};
use std::net::UdpSocket;

use self::compress::Compressor;
use self::message::Builder;
use super::gather::{Chunk, Gathered};
use super::net::{self, Connection, IpFamily, Link, Reporter, Stream};
use super::spool::SpoolSpec;
use super::tls::TlsClient;
use super::{Output, Sent};
use crate::side::{Facts, LineSide};
pub use compress::{GelfCompression, GelfCompressionType};

/// `output.gelf.network`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GelfNetwork {
    /// `udp` (chunked).
    Udp,
    /// `tcp` (NUL-terminated frames).
    Tcp,
}

/// go-gelf's datagram size.
pub const CHUNK_SIZE: usize = 1420;
/// Magic, message id, sequence number, count.
pub const CHUNK_HEADER: usize = 12;
/// Payload bytes per chunk.
pub const CHUNK_DATA: usize = CHUNK_SIZE - CHUNK_HEADER;
/// GELF's limit on chunks per message.
pub const MAX_CHUNKS: usize = 128;
/// Chunked-message magic bytes.
pub const CHUNK_MAGIC: [u8; 2] = [0x1e, 0x0f];

/// The GELF fields beside the event (host, version, level, additional
/// fields) need well under this.
const FIELDS_ROOM: usize = 8192;

/// What the GELF output needs, decided once from the config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GelfSpec {
    pub network: GelfNetwork,
    pub address: String,
    pub compression: GelfCompression,
    /// TLS over TCP, its files read (the plan sets it from `tls`).
    pub tls: Option<TlsClient>,
    /// Where undelivered events are kept (the plan sets it from `spool`).
    pub spool: Option<SpoolSpec>,
}

impl GelfSpec {
    /// The longest event line sure to fit in 128 UDP chunks even
    /// uncompressed and escaped at worst (every byte doubled); `None` over
    /// TCP, which carries any size.
    pub fn line_limit(&self) -> Option<usize> {
        match self.network {
            GelfNetwork::Udp => Some((MAX_CHUNKS * CHUNK_DATA - FIELDS_ROOM) / 2),
            GelfNetwork::Tcp => None,
        }
    }
}

enum Conn {
    Udp(UdpSocket),
    Stream(Stream),
}

impl Connection for Conn {
    fn peer_closed(&self) -> bool {
        match self {
            Conn::Udp(_) => false,
            Conn::Stream(s) => s.peer_closed(),
        }
    }
}

/// A new connection for `spec`.
fn connect(spec: &GelfSpec) -> io::Result<Conn> {
    Ok(match spec.network {
        GelfNetwork::Udp => Conn::Udp(net::udp(&spec.address, IpFamily::Any)?),
        GelfNetwork::Tcp => Conn::Stream(Stream::connect(
            &spec.address,
            IpFamily::Any,
            spec.tls.as_ref(),
        )?),
    })
}

impl Conn {
    /// A stream's write of some of `bytes` (see [`Gathered::write_out`]);
    /// only TCP gathers.
    fn write_some(&mut self, chunk: Chunk<'_>) -> io::Result<usize> {
        match self {
            Conn::Stream(s) => s.write_some(chunk),
            Conn::Udp(_) => Err(io::ErrorKind::Unsupported.into()),
        }
    }
}

/// The GELF output.
pub struct Gelf {
    spec: GelfSpec,
    builder: Builder,
    compressor: Compressor,
    json: Vec<u8>,
    chunk: [u8; CHUNK_SIZE],
    message_ids: MessageIds,
    link: Link<Conn>,
    /// Frames accepted and not yet written, over TCP (see
    /// [`gather`](super::gather)).
    gathered: Option<Gathered>,
    too_large: Reporter,
    refusals: Refusals,
    /// The last message went over UDP (no gathering) and its refusal, if
    /// the host sends one, comes with the next send or the flush's check:
    /// held as pending till then, so it is counted sent (or refused) once
    /// known.
    unchecked: bool,
}

impl Gelf {
    /// An output for `spec`, with room for events of up to `max_line`
    /// bytes. Connects at once; if that fails, it says so and connects on
    /// the first write.
    pub fn open(spec: &GelfSpec, max_line: usize) -> Gelf {
        Gelf::with_hostname(spec, max_line, &net::hostname())
    }

    /// [`Gelf::open`] with a given host name (for tests).
    pub fn with_hostname(spec: &GelfSpec, max_line: usize, host: &str) -> Gelf {
        // An event line escaped into short_message grows by about a tenth
        // (its quotes gain a backslash); reserve twice to be safe.
        let json_room = 2 * max_line + FIELDS_ROOM;
        Gelf {
            link: Link::open(format!("gelf {}", spec.address), || connect(spec)),
            spec: spec.clone(),
            builder: Builder::new(host),
            compressor: Compressor::new(spec.compression, json_room / 2 + 64),
            json: Vec::with_capacity(json_room),
            chunk: [0; CHUNK_SIZE],
            message_ids: MessageIds::new(),
            gathered: matches!(spec.network, GelfNetwork::Tcp).then(Gathered::new),
            too_large: Reporter::new(),
            refusals: Refusals::default(),
            unchecked: false,
        }
    }

    /// Events refused as too large (more than 128 chunks), so far.
    pub fn too_large(&self) -> u64 {
        self.too_large.total()
    }

    /// Builds the message for `line` into `self.json` (NUL-terminated for
    /// TCP).
    fn build(&mut self, line: &[u8], facts: Option<&Facts<'_>>) {
        self.builder.build(&mut self.json, line, facts);
        if matches!(self.spec.network, GelfNetwork::Tcp) {
            // GELF TCP frames end with NUL; the JSON holds none (escaped).
            self.json.push(0);
        }
    }

    /// Sends the message in `self.json` over the link (see
    /// [`Link::deliver`]).
    fn deliver(&mut self) -> io::Result<()> {
        let spec = &self.spec;
        let json = &self.json;
        let compressor = &mut self.compressor;
        let chunk = &mut self.chunk;
        let message_ids = &mut self.message_ids;
        let refusals = &mut self.refusals;
        self.link.deliver(
            || connect(spec),
            |conn| match conn {
                Conn::Stream(s) => s.write_all(json),
                Conn::Udp(s) => {
                    let payload = compressor.compress(json)?;
                    let mut sender = Datagrams {
                        socket: s,
                        refusals,
                        first: true,
                    };
                    send_udp(&mut sender, payload, chunk, message_ids)
                }
            },
        )
    }

    /// Over TCP, gathers the frame in `self.json` (see
    /// [`Gathered::take`]); false when it is sent alone (too long to
    /// gather, or over UDP).
    fn gather(&mut self) -> io::Result<bool> {
        let Some(gathered) = &mut self.gathered else {
            return Ok(false);
        };
        let (link, spec) = (&mut self.link, &self.spec);
        gathered.take(&self.json, |g| {
            g.write_over(link, || connect(spec), Conn::write_some)
        })
    }

    fn refuse_too_large(&mut self) -> io::Error {
        if self.too_large.occurred() {
            eprintln!(
                "raudit: output {}: an event of {} bytes of GELF would need more than \
                 {MAX_CHUNKS} UDP chunks and has no cut version that fits; dropped and \
                 counted as an output error ({} so far). network: tcp avoids this.",
                self.link.name(),
                self.json.len(),
                self.too_large.total()
            );
        }
        net::too_large()
    }
}

/// Messages the host refused (`ECONNREFUSED`, which a send reports for
/// the datagram before it), each counted once: a message in chunks that
/// the host refuses reports one refusal per chunk.
#[derive(Default)]
struct Refusals {
    /// Messages refused, not yet taken.
    count: u64,
    /// The message of the last datagram sent is counted already.
    last_counted: bool,
}

impl Refusals {
    /// The last datagram sent was refused: its message counted, once.
    fn last_refused(&mut self) {
        if !self.last_counted {
            self.count += 1;
            self.last_counted = true;
        }
    }
}

/// A connected UDP socket sending one message's datagrams, counting the
/// refusals its sends report.
struct Datagrams<'a> {
    socket: &'a UdpSocket,
    refusals: &'a mut Refusals,
    /// The next datagram is the message's first.
    first: bool,
}

impl Datagrams<'_> {
    /// Sends one datagram; a refusal reported now is the previous
    /// datagram's (this one was not sent): its message counted (once),
    /// and this one sent again.
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let result = self.socket.send(bytes);
        let result = match result {
            Err(e) if net::is_refused(&e) => {
                self.refusals.last_refused();
                self.socket.send(bytes)
            }
            result => result,
        };
        if std::mem::take(&mut self.first) {
            // The last datagram sent is this message's now.
            self.refusals.last_counted = false;
        }
        let sent = result?;
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

/// One datagram if `payload` fits, else numbered chunks under one id.
fn send_udp(
    socket: &mut Datagrams<'_>,
    payload: &[u8],
    chunk: &mut [u8; CHUNK_SIZE],
    ids: &mut MessageIds,
) -> io::Result<()> {
    datagrams(payload, || ids.next(), chunk, |d| socket.send(d))
}

/// Splits `payload` as go-gelf does and hands each datagram to `send`: the
/// payload itself when it fits one datagram, else chunks (magic, the id
/// `next_id` gives, sequence number, count, at most [`CHUNK_DATA`] bytes)
/// built in `chunk`. More than [`MAX_CHUNKS`]: `EMSGSIZE`
/// ([`net::too_large`]) and nothing is sent. Public for the fuzz target.
pub fn datagrams(
    payload: &[u8],
    next_id: impl FnOnce() -> [u8; 8],
    chunk: &mut [u8; CHUNK_SIZE],
    mut send: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    if payload.len() <= CHUNK_SIZE {
        return send(payload);
    }
    let count = payload.len().div_ceil(CHUNK_DATA);
    if count > MAX_CHUNKS {
        return Err(net::too_large());
    }
    let id = next_id();
    for (seq, data) in payload.chunks(CHUNK_DATA).enumerate() {
        let mut header = [0u8; CHUNK_HEADER];
        header[..2].copy_from_slice(&CHUNK_MAGIC);
        header[2..10].copy_from_slice(&id);
        // Both are below MAX_CHUNKS (128), checked above.
        header[10] = seq as u8;
        header[11] = count as u8;
        let len = CHUNK_HEADER + data.len();
        let (head, body) = chunk.split_at_mut(CHUNK_HEADER);
        head.copy_from_slice(&header);
        let Some(dst) = body.get_mut(..data.len()) else {
            return Err(net::too_large());
        };
        dst.copy_from_slice(data);
        send(chunk.get(..len).unwrap_or_default())?;
    }
    Ok(())
}

impl Output for Gelf {
    fn name(&self) -> &str {
        self.link.name()
    }

    fn set_host_name(&mut self, name: &str) {
        self.builder = Builder::new(name);
    }

    fn write_line(&mut self, line: &[u8], side: &LineSide<'_>) -> io::Result<Sent> {
        self.build(line, side.facts.as_ref());
        if self.gather()? {
            return Ok(Sent::Whole);
        }
        match self.deliver() {
            Ok(()) => {
                self.unchecked = self.gathered.is_none();
                return Ok(Sent::Whole);
            }
            Err(e) if net::is_too_large(&e) => {}
            Err(e) => return Err(e),
        }
        let Some(cut) = side.cut else {
            return Err(self.refuse_too_large());
        };
        self.build(cut, side.facts.as_ref());
        match self.deliver() {
            Ok(()) => {
                self.unchecked = self.gathered.is_none();
                Ok(Sent::Cut)
            }
            Err(e) if net::is_too_large(&e) => Err(self.refuse_too_large()),
            Err(e) => Err(e),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(gathered) = &mut self.gathered {
            let spec = &self.spec;
            gathered.write_over(&mut self.link, || connect(spec), Conn::write_some)?;
        }
        // A refusal of the last datagram sent arrives after it.
        if let Some(Conn::Udp(s)) = self.link.conn() {
            if matches!(s.take_error(), Ok(Some(e)) if net::is_refused(&e)) {
                self.refusals.last_refused();
            }
        }
        self.unchecked = false;
        Ok(())
    }

    fn pending_lines(&self) -> u64 {
        self.gathered.as_ref().map_or(0, Gathered::messages) + u64::from(self.unchecked)
    }

    fn discard(&mut self) -> u64 {
        self.gathered.as_mut().map_or(0, Gathered::discard)
    }

    fn take_refused(&mut self) -> u64 {
        std::mem::take(&mut self.refusals.count)
    }

    fn reconnects(&self) -> u64 {
        self.link.reconnects()
    }

    /// SIGHUP: a fresh connection.
    fn reopen(&mut self) -> io::Result<()> {
        let spec = &self.spec;
        self.link.reopen(|| connect(spec))
    }
}

/// Chunked-message ids: unique per message and per process (a random
/// start from `/dev/urandom` read once, then a counter), so Graylog never
/// mixes the chunks of two senders or two messages.
struct MessageIds {
    next: u64,
}

impl MessageIds {
    fn new() -> MessageIds {
        let mut seed = [0u8; 8];
        let random = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut seed));
        let start = match random {
            Ok(()) => u64::from_ne_bytes(seed),
            Err(_) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                (now.as_nanos() as u64) ^ (u64::from(std::process::id()) << 32)
            }
        };
        MessageIds { next: start }
    }

    fn next(&mut self) -> [u8; 8] {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        id.to_be_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A renamed host (told by its thread) is GELF's `host` from the next
    /// message on.
    #[test]
    fn a_renamed_host_is_the_next_messages_host() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let spec = GelfSpec {
            network: GelfNetwork::Udp,
            address: server.local_addr().unwrap().to_string(),
            compression: GelfCompression {
                level: 1,
                kind: GelfCompressionType::None,
            },
            tls: None,
            spool: None,
        };
        let mut output = Gelf::with_hostname(&spec, 1024, "web-1");
        let mut buf = [0u8; 4096];
        let mut host = |output: &mut Gelf| {
            output.write_line(b"{}\n", &LineSide::default()).unwrap();
            let n = server.recv(&mut buf).unwrap();
            let message: serde_json::Value = serde_json::from_slice(&buf[..n]).unwrap();
            message["host"].as_str().unwrap().to_owned()
        };
        assert_eq!(host(&mut output), "web-1");
        output.set_host_name("web-2");
        assert_eq!(host(&mut output), "web-2");
    }
}

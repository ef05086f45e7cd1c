//! The GELF output (Graylog): each event is one GELF 1.1 message, sent as
//! go-gelf (go-audit's library) sends it — over UDP, compressed (gzip,
//! zlib or none) and split into chunks when larger than one datagram, or
//! over TCP as an uncompressed frame ended by a NUL byte.
//!
//! UDP chunks: magic `0x1e 0x0f`, an 8-byte message id, sequence number,
//! chunk count, then at most 1408 bytes of payload (1420 per datagram).
//! A message needing more than 128 chunks is refused with `EMSGSIZE` (the
//! sink counts it as an output error and does not retry) and told on
//! stderr once per interval.
//!
//! No allocation per event: the JSON, the compressed payload and the chunk
//! are written into buffers reserved at start. A failed send reconnects and
//! resends once; a further failure goes to the sink's retry policy.

pub mod compress;
pub mod message;

use std::io::{self, Read as _, Write as _};
use std::net::{TcpStream, UdpSocket};

use self::compress::Compressor;
use self::message::Builder;
use super::net::{self, Reporter, SEND_TIMEOUT};
use super::Output;
use crate::config::{GelfNetwork, GelfOutput, IpFamily};

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

/// The GELF fields beside the event (host, version, level, extracted
/// fields) need well under this.
const FIELDS_ROOM: usize = 2048;

enum Conn {
    Udp(UdpSocket),
    Tcp(TcpStream),
}

/// The GELF output.
pub struct Gelf {
    name: String,
    spec: GelfOutput,
    builder: Builder,
    compressor: Compressor,
    json: Vec<u8>,
    chunk: [u8; CHUNK_SIZE],
    message_ids: MessageIds,
    conn: Option<Conn>,
    too_large: Reporter,
    reconnects: Reporter,
}

impl Gelf {
    /// An output for `spec`, with room for events of up to `max_line`
    /// bytes. Connects at once; if that fails, it says so and connects on
    /// the first write.
    pub fn open(spec: &GelfOutput, max_line: usize) -> Gelf {
        Gelf::with_hostname(spec, max_line, &net::hostname())
    }

    /// [`Gelf::open`] with a given host name (for tests).
    pub fn with_hostname(spec: &GelfOutput, max_line: usize, host: &str) -> Gelf {
        // An event line escaped into short_message grows by about a tenth
        // (its quotes gain a backslash); reserve twice to be safe.
        let json_room = 2 * max_line + FIELDS_ROOM;
        let mut output = Gelf {
            name: format!("gelf {}", spec.address),
            spec: spec.clone(),
            builder: Builder::new(host, max_line),
            compressor: Compressor::new(spec.compression, json_room / 2 + 64),
            json: Vec::with_capacity(json_room),
            chunk: [0; CHUNK_SIZE],
            message_ids: MessageIds::new(),
            conn: None,
            too_large: Reporter::new(),
            reconnects: Reporter::new(),
        };
        let first = output.connect();
        net::report_first_connect(&output.name, first);
        output
    }

    /// Events refused as too large (more than 128 chunks), so far.
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
        let peer = net::resolve(&self.spec.address, IpFamily::Any)?;
        let conn = match self.spec.network {
            GelfNetwork::Udp => {
                let s = UdpSocket::bind(net::unspecified_for(&peer))?;
                s.connect(peer)?;
                s.set_write_timeout(Some(SEND_TIMEOUT))?;
                Conn::Udp(s)
            }
            GelfNetwork::Tcp => {
                let s = TcpStream::connect_timeout(&peer, SEND_TIMEOUT)?;
                s.set_write_timeout(Some(SEND_TIMEOUT))?;
                Conn::Tcp(s)
            }
        };
        self.conn = Some(conn);
        Ok(())
    }

    /// Sends the message in `self.json` (built, NUL-terminated for TCP).
    fn send(&mut self) -> io::Result<()> {
        match &mut self.conn {
            None => Err(io::ErrorKind::NotConnected.into()),
            Some(Conn::Tcp(s)) => s.write_all(&self.json),
            Some(Conn::Udp(s)) => {
                let payload = self.compressor.compress(&self.json)?;
                send_udp(s, payload, &mut self.chunk, &mut self.message_ids)
            }
        }
    }

    fn refuse_too_large(&mut self) -> io::Error {
        if self.too_large.occurred() {
            eprintln!(
                "raudit: output {}: an event of {} bytes of GELF would need more than \
                 {MAX_CHUNKS} UDP chunks; dropped and counted as an output error \
                 ({} so far). Compression (type 0 or 1) or network: tcp avoids this.",
                self.name,
                self.json.len(),
                self.too_large.total()
            );
        }
        net::too_large()
    }
}

/// One datagram if `payload` fits, else numbered chunks under one id.
fn send_udp(
    socket: &UdpSocket,
    payload: &[u8],
    chunk: &mut [u8; CHUNK_SIZE],
    ids: &mut MessageIds,
) -> io::Result<()> {
    datagrams(payload, || ids.next(), chunk, |d| send_datagram(socket, d))
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

fn send_datagram(socket: &UdpSocket, bytes: &[u8]) -> io::Result<()> {
    let sent = socket.send(bytes)?;
    if sent == bytes.len() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "datagram sent short",
        ))
    }
}

impl Output for Gelf {
    fn name(&self) -> &str {
        &self.name
    }

    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        self.builder.build(&mut self.json, line);
        if matches!(self.spec.network, GelfNetwork::Tcp) {
            // GELF TCP frames end with NUL; the JSON holds none (escaped).
            self.json.push(0);
        }
        let first = match self.conn {
            Some(_) => self.send(),
            None => Err(io::ErrorKind::NotConnected.into()),
        };
        let error = match first {
            Ok(()) => return Ok(()),
            Err(e) if net::is_too_large(&e) => return Err(self.refuse_too_large()),
            Err(e) => e,
        };
        if self.conn.is_some() && self.reconnects.occurred() {
            eprintln!(
                "raudit: output {}: send failed ({error}); reconnecting ({} times so far)",
                self.name,
                self.reconnects.total()
            );
        }
        self.connect()?;
        match self.send() {
            Ok(()) => Ok(()),
            Err(e) if net::is_too_large(&e) => Err(self.refuse_too_large()),
            Err(e) => {
                self.conn = None;
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// SIGHUP: a fresh connection.
    fn reopen(&mut self) -> io::Result<()> {
        self.connect()
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

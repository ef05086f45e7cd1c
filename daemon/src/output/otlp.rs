//! The OpenTelemetry logs output: events batched into an OTLP/HTTP
//! `ExportLogsServiceRequest` (protobuf) and POSTed to a collector
//! (`http://host:4318/v1/logs`) over a kept-alive HTTP/1.1 connection.
//!
//! Each event is one `LogRecord`: its body is the event's line (the JSON
//! of the configured format), its attributes the event's facts from the
//! side region (`audit.sequence`, `audit.syscall`, `audit.success`,
//! `audit.key`, `audit.auid`, `audit.uid`, `process.pid`,
//! `process.executable.path`, `process.command`, `host.name`), its time the
//! event's; the resource says `host.name` and `service.name=raudit`.
//!
//! No allocation per event: a record is encoded straight into the batch
//! buffer, allocated at start at its full size (it cannot grow: a record
//! is written through a cursor over room of its computed length), with
//! room in front of the records for the HTTP head and the enclosing
//! messages, written there when the batch goes so the request leaves with
//! one `write_all` from one buffer.
//!
//! A batch goes when it holds `batch_events` events or `batch_bytes`
//! bytes, when its first event has waited `flush_interval`, and whenever
//! the output thread flushes (its backlog ran empty). The collector's
//! answer decides: 2xx delivered (less the records its partial success
//! says were rejected: counted as errors); 429, 502, 503, 504 (busy) tried again
//! after `Retry-After` (or a doubling backoff from 1 s; never sooner than
//! 100 ms, never later than 30 s), for at most
//! [`BUSY_BUDGET`] per send ([`STOPPING_BUSY_BUDGET`] once raudit is
//! stopping), then the send fails and the sink's `attempts` apply; other 4xx refuse the batch for good (dropped and counted as
//! errors, told once a minute); other statuses and connection failures
//! fail the send (reconnected once first). An `https://` endpoint runs over
//! TLS (`output.otlp.tls`: a CA file or the system's roots, an optional
//! client certificate), as syslog and GELF over TCP do.

pub mod http;
pub mod proto;

use std::io::{self, Write as _};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use self::http::{Connection, Endpoint, Reply, REPLY_ROOM};
use self::proto::{HostAttribute, Record};
use super::net::{self, Reporter};
use super::spool::SpoolSpec;
use super::tls::TlsClient;
use super::{Output, Sent};
use crate::side::{LineSide, FACTS_ROOM};

/// How long one send waits, in total, on a busy collector (429/503 and
/// their `Retry-After`) before it counts as a failed attempt.
pub const BUSY_BUDGET: Duration = Duration::from_secs(60);
/// [`BUSY_BUDGET`] once raudit is stopping (its outputs drain for 5 s):
/// a busy collector must not hold the exit up.
pub const STOPPING_BUSY_BUDGET: Duration = Duration::from_secs(2);
/// Pauses are slept in slices this long, so a stop is seen during one.
const PAUSE_SLICE: Duration = Duration::from_millis(100);
/// The first pause after a busy answer without `Retry-After`; it doubles.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest single pause, whatever `Retry-After` says.
const MAX_PAUSE: Duration = Duration::from_secs(30);
/// The shortest, whatever `Retry-After` says (`0` included): a busy
/// collector is never asked again at once, and every answer spends
/// some of [`BUSY_BUDGET`].
const MIN_PAUSE: Duration = PAUSE_SLICE;
/// Room for the HTTP request head beyond the configured headers.
const HEAD_ROOM: usize = 512;

/// What the OTLP output needs, decided once from the config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtlpSpec {
    pub endpoint: Endpoint,
    pub batch_events: u32,
    pub batch_bytes: u32,
    pub flush_interval: Duration,
    pub timeout: Duration,
    pub headers: Vec<(String, String)>,
    /// Where undelivered events are kept (the plan sets it from `spool`).
    pub spool: Option<SpoolSpec>,
    /// TLS for an `https://` endpoint, its files read (the plan sets it
    /// from `tls`).
    pub tls: Option<TlsClient>,
}

/// The OTLP/HTTP logs output.
pub struct Otlp {
    name: String,
    spec: OtlpSpec,
    /// Each record's `host.name` (lent to it, see [`Output::write_line`]).
    host: HostAttribute,
    /// The host name the resource and `host` say, and a new one told
    /// while a batch was open: taken when the batch is sent or dropped,
    /// so one request names one host.
    host_name: String,
    renamed: Option<String>,
    /// The prefix (HTTP head and enclosing messages, written at send) and
    /// the encoded records after it.
    batch: Box<[u8]>,
    prefix: usize,
    /// Where the records end.
    end: usize,
    events: u32,
    /// When the batch is due by `flush_interval`: its first record's
    /// time plus the interval (`None`: empty, or an interval too long to
    /// add), so a record compares two instants, no duration computed.
    due_at: Option<Instant>,
    /// Records' observed times.
    clock: WallClock,
    /// `ResourceLogs.resource` and `ScopeLogs.scope`, encoded once.
    resource: Vec<u8>,
    scope: Vec<u8>,
    head: Vec<u8>,
    conn: Connection,
    reply: Box<[u8; REPLY_ROOM]>,
    refused: u64,
    /// Whether the process is stopping (see [`Output::set_stopping`]).
    stopping: fn() -> bool,
    rejected: Reporter,
    busy: Reporter,
    reconnects: Reporter,
}

impl Otlp {
    /// An output for `spec`, with room for events of up to `max_line`
    /// bytes. Connects at once; if that fails, it says so and connects on
    /// the first batch.
    pub fn open(spec: &OtlpSpec, max_line: usize) -> Otlp {
        Otlp::with_hostname(spec, max_line, &net::hostname())
    }

    /// [`Otlp::open`] with a given host name (for tests).
    pub fn with_hostname(spec: &OtlpSpec, max_line: usize, host: &str) -> Otlp {
        let mut resource = Vec::new();
        proto::resource_field(&mut resource, host);
        let mut scope = Vec::new();
        proto::scope_field(&mut scope);
        let headers: usize = spec
            .headers
            .iter()
            .map(|(k, v)| k.len() + v.len() + 4)
            .sum();
        // (Room for any host name the kernel can give, in the resource and
        // in each record: a rename while running needs no more.)
        let host_room = host.len().max(crate::host_name::MAX);
        let prefix = HEAD_ROOM
            + spec.endpoint.path.len()
            + spec.endpoint.authority.len()
            + headers
            + resource.len()
            + host_room
            + scope.len();
        // One record at most: the line, its facts as attributes (their
        // strings at most as long as in the side region), a little more.
        let record_room = max_line + 2 * FACTS_ROOM + 1024 + host_room;
        let room = prefix + spec.batch_bytes as usize + record_room;
        // Pages are made resident only as the batch first reaches them.
        let batch = vec![0; room].into_boxed_slice();
        let mut output = Otlp {
            name: format!("otlp {}", spec.endpoint.authority),
            spec: spec.clone(),
            host: HostAttribute::new(host),
            host_name: host.to_owned(),
            renamed: None,
            batch,
            prefix,
            end: prefix,
            events: 0,
            due_at: None,
            clock: WallClock::read(),
            resource,
            scope,
            head: Vec::with_capacity(prefix),
            conn: Connection::new(spec.timeout, spec.tls.clone()),
            reply: Box::new([0; REPLY_ROOM]),
            refused: 0,
            stopping: || false,
            rejected: Reporter::new(),
            busy: Reporter::new(),
            reconnects: Reporter::new(),
        };
        let first = output.conn.connect(&output.spec.endpoint);
        net::report_first_connect(&output.name, first);
        output
    }

    /// Busy answers (429, 502, 503, 504) received so far.
    pub fn busy_answers(&self) -> u64 {
        self.busy.total()
    }

    fn records_len(&self) -> usize {
        self.end - self.prefix
    }

    /// Whether the batch should go before another record of `len` bytes
    /// joins it, `now`.
    fn due(&self, len: usize, now: Instant) -> bool {
        self.events > 0
            && (self.events >= self.spec.batch_events
                || self.records_len().saturating_add(len) > self.spec.batch_bytes as usize
                || self.end.saturating_add(len) > self.batch.len()
                || self.due_at.is_some_and(|t| now >= t))
    }

    /// Writes the HTTP head and the enclosing messages in front of the
    /// records; returns where the request starts in the batch.
    fn frame(&mut self) -> io::Result<usize> {
        let records = self.records_len();
        let body = proto::request_len(&self.resource, &self.scope, records);
        let head = &mut self.head;
        head.clear();
        write!(
            head,
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: raudit/{}\r\n\
             Content-Type: application/x-protobuf\r\nContent-Length: {body}\r\n",
            self.spec.endpoint.path,
            self.spec.endpoint.authority,
            env!("CARGO_PKG_VERSION"),
        )?;
        for (key, value) in &self.spec.headers {
            write!(head, "{key}: {value}\r\n")?;
        }
        head.extend_from_slice(b"\r\n");
        proto::enclose(head, &self.resource, &self.scope, records);
        let start = self
            .prefix
            .checked_sub(self.head.len())
            .ok_or_else(|| io::Error::other("the OTLP request head outgrew its room"))?;
        self.batch
            .get_mut(start..self.prefix)
            .ok_or_else(|| io::Error::other("the OTLP request head outgrew its room"))?
            .copy_from_slice(&self.head);
        Ok(start)
    }

    /// Sends the batch until the collector takes or refuses it; an error
    /// keeps it for the next try.
    fn send(&mut self) -> io::Result<()> {
        if self.events == 0 {
            return Ok(());
        }
        let start = self.frame()?;
        let mut waited = Duration::ZERO;
        let mut backoff = FIRST_BACKOFF;
        loop {
            let reply = self.post(start)?;
            if reply.close {
                self.conn.close();
            }
            match reply.status {
                200..=299 => {
                    if reply.rejected > 0 {
                        let rejected = reply.rejected.min(u64::from(self.events));
                        self.refused += rejected;
                        if self.rejected.occurred() {
                            eprintln!(
                                "raudit: output {}: the collector rejected {rejected} of a batch of {} events (partial success); counted as errors",
                                self.name, self.events
                            );
                        }
                    }
                    self.clear();
                    return Ok(());
                }
                429 | 502 | 503 | 504 => {
                    let pause = reply
                        .retry_after
                        .unwrap_or(backoff)
                        .clamp(MIN_PAUSE, MAX_PAUSE);
                    backoff = (backoff * 2).min(MAX_PAUSE);
                    if self.busy.occurred() {
                        eprintln!(
                            "raudit: output {}: the collector is busy (HTTP {}); trying again in {pause:?} ({} busy answers so far)",
                            self.name,
                            reply.status,
                            self.busy.total()
                        );
                    }
                    if !pause_while_busy(pause, &mut waited, self.stopping) {
                        return Err(io::Error::other(format!(
                            "the collector stayed busy (HTTP {}) for {waited:?}",
                            reply.status
                        )));
                    }
                }
                400..=499 => {
                    let events = u64::from(self.events);
                    self.refused += events;
                    if self.rejected.occurred() {
                        eprintln!(
                            "raudit: output {}: the collector refused a batch of {events} events (HTTP {}); dropped and counted as errors ({} batches so far)",
                            self.name,
                            reply.status,
                            self.rejected.total()
                        );
                    }
                    self.clear();
                    return Ok(());
                }
                status => {
                    return Err(io::Error::other(format!(
                        "the collector answered HTTP {status}"
                    )))
                }
            }
        }
    }

    /// One POST of the request at `start`; a connection that fails is
    /// made again and the request sent once more.
    fn post(&mut self, start: usize) -> io::Result<Reply> {
        if self.conn.is_open() && self.conn.peer_closed() {
            net::note_reconnect(
                &self.name,
                &mut self.reconnects,
                &"the collector closed the connection",
            );
            self.conn.close();
        }
        if !self.conn.is_open() {
            self.conn.connect(&self.spec.endpoint)?;
        }
        let request = self.batch.get(start..self.end).unwrap_or_default();
        match self.conn.exchange(request, &mut self.reply[..]) {
            Ok(reply) => Ok(reply),
            Err(e) => {
                net::note_reconnect(
                    &self.name,
                    &mut self.reconnects,
                    &format_args!("send failed ({e})"),
                );
                self.conn.connect(&self.spec.endpoint)?;
                let request = self.batch.get(start..self.end).unwrap_or_default();
                self.conn.exchange(request, &mut self.reply[..])
            }
        }
    }

    /// Adds the record of `line` to the batch, sending the batch first
    /// when it is due.
    fn add(&mut self, line: &[u8], side: &LineSide<'_>, host: &HostAttribute) -> io::Result<Sent> {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let mut now = Instant::now();
        let observed_nanos = self.clock.at(now);
        let record = Record::new(body, side.facts.as_ref(), observed_nanos, host);
        let len = record.field_len();
        if self.due(len, now) {
            self.send()?;
            // The next batch starts after the send (which may have waited
            // on a busy collector).
            now = Instant::now();
        }
        let Some(room) = self.batch.get_mut(self.end..self.end.saturating_add(len)) else {
            return Err(net::too_large());
        };
        let mut cursor = proto::Cursor::new(room);
        record.write_field(&mut cursor);
        if !cursor.filled() {
            // A length computed wrong: the record is not kept.
            return Err(io::Error::other("an OTLP record's length was miscomputed"));
        }
        self.end += len;
        if self.events == 0 {
            self.due_at = now.checked_add(self.spec.flush_interval);
        }
        self.events += 1;
        Ok(Sent::Whole)
    }

    fn clear(&mut self) {
        self.end = self.prefix;
        self.events = 0;
        self.due_at = None;
        if let Some(name) = self.renamed.take() {
            self.rename(name);
        }
    }

    /// The resource and each record say `name` from now on.
    fn rename(&mut self, name: String) {
        self.resource.clear();
        proto::resource_field(&mut self.resource, &name);
        self.host = HostAttribute::new(&name);
        self.host_name = name;
    }
}

/// Sleeps `pause` (in slices), adding to `waited`; false, without the
/// rest of the pause, once the budget would be exceeded (the smaller one
/// from the moment raudit is stopping).
fn pause_while_busy(pause: Duration, waited: &mut Duration, stopping: fn() -> bool) -> bool {
    let mut left = pause;
    while !left.is_zero() {
        let budget = if stopping() {
            STOPPING_BUSY_BUDGET
        } else {
            BUSY_BUDGET
        };
        let slice = left.min(PAUSE_SLICE);
        if *waited + slice > budget {
            return false;
        }
        std::thread::sleep(slice);
        *waited += slice;
        left -= slice;
    }
    true
}

/// The wall clock (nanoseconds since the epoch) read at most once per
/// [`WALL_CLOCK_REREAD`] and advanced by the monotonic clock in between:
/// so a record's observed time costs one clock reading (the monotonic
/// one, which `flush_interval` needs anyway) rather than two (~25 ns
/// each through the vDSO here, as much as a few attributes' encoding).
struct WallClock {
    at: Instant,
    nanos: u64,
}

/// How long one reading of the wall clock is advanced by the monotonic
/// clock: a step of the wall clock shows in observed times this late at
/// most.
const WALL_CLOCK_REREAD: Duration = Duration::from_secs(1);

impl WallClock {
    fn read() -> WallClock {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        WallClock {
            at: Instant::now(),
            nanos,
        }
    }

    /// The wall time at `now`.
    fn at(&mut self, now: Instant) -> u64 {
        let since = now.saturating_duration_since(self.at);
        if since >= WALL_CLOCK_REREAD {
            *self = WallClock::read();
            return self.nanos;
        }
        let since = u64::try_from(since.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.saturating_add(since)
    }
}

impl Output for Otlp {
    fn set_stopping(&mut self, stopping: fn() -> bool) {
        self.stopping = stopping;
    }

    /// Taken at once when no batch is open, else when it is sent or
    /// dropped.
    fn set_host_name(&mut self, name: &str) {
        if self.host_name == name {
            self.renamed = None;
        } else if self.events == 0 {
            self.rename(name.to_owned());
        } else {
            self.renamed = Some(name.to_owned());
        }
    }

    fn name(&self) -> &str {
        &self.name
    }

    /// The `host.name` attribute is taken out of `self` for the call (a
    /// move, no copy, no reference count), so the record can borrow it
    /// while the batch may be sent, which needs all of `self`.
    fn write_line(&mut self, line: &[u8], side: &LineSide<'_>) -> io::Result<Sent> {
        let host = std::mem::take(&mut self.host);
        let written = self.add(line, side, &host);
        self.host = host;
        written
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }

    fn pending_lines(&self) -> u64 {
        u64::from(self.events)
    }

    fn discard(&mut self) -> u64 {
        let events = u64::from(self.events);
        self.clear();
        events
    }

    fn take_refused(&mut self) -> u64 {
        std::mem::take(&mut self.refused)
    }

    fn reconnects(&self) -> u64 {
        self.reconnects.total()
    }

    /// SIGHUP: a fresh connection.
    fn reopen(&mut self) -> io::Result<()> {
        self.conn.close();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead as _, BufReader, Read as _};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn observed_times_follow_the_monotonic_clock_and_the_wall_clock_is_read_each_second() {
        let mut clock = WallClock::read();
        let (at, start) = (clock.at, clock.nanos);
        let system = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        assert!(start.abs_diff(system.as_nanos() as u64) < 1_000_000_000);
        assert_eq!(clock.at(at), start);
        assert_eq!(
            clock.at(at + Duration::from_millis(250)),
            start + 250_000_000
        );
        assert_eq!(
            clock.at(at + Duration::from_nanos(999_999_999)),
            start + 999_999_999
        );
        // A reading from before the clock's: no time backwards.
        if let Some(before) = at.checked_sub(Duration::from_millis(5)) {
            assert_eq!(clock.at(before), start);
        }
        // A second on, the wall clock is read again (this one is stale).
        let mut stale = WallClock { at, nanos: 7 };
        assert_eq!(stale.at(at + Duration::from_millis(999)), 999_000_007);
        let fresh = stale.at(at + WALL_CLOCK_REREAD);
        assert!(fresh >= start, "{fresh} read again, not 7 + 1 s");
        assert_eq!(stale.nanos, fresh);
    }

    /// A collector on loopback answering every request `answer`, for 1000
    /// requests at most; how many it read.
    fn collector(answer: &'static [u8]) -> (OtlpSpec, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&count);
        std::thread::spawn(move || {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut write = stream.try_clone().unwrap();
            let mut read = BufReader::new(stream);
            for _ in 0..1000 {
                let mut length = 0;
                let mut line = String::new();
                while read.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    line.clear();
                }
                let mut body = vec![0; length];
                if line != "\r\n" || read.read_exact(&mut body).is_err() {
                    return;
                }
                seen.fetch_add(1, Ordering::SeqCst);
                if write.write_all(answer).is_err() {
                    return;
                }
            }
        });
        let spec = OtlpSpec {
            endpoint: Endpoint::parse(&format!("http://127.0.0.1:{port}/v1/logs")).unwrap(),
            batch_events: 512,
            batch_bytes: 1 << 20,
            flush_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
            headers: Vec::new(),
            spool: None,
            tls: None,
        };
        (spec, count)
    }

    /// A renamed host (told by its thread) is the resource's and each
    /// record's `host.name` from the next batch on: one request never
    /// names two hosts.
    #[test]
    fn a_renamed_host_names_the_next_batch() {
        let (spec, _) = collector(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        let mut otlp = Otlp::with_hostname(&spec, 4096, "web-1");
        let says = |otlp: &Otlp, name: &str| {
            otlp.host_name == name
                && otlp
                    .resource
                    .windows(name.len())
                    .any(|w| w == name.as_bytes())
        };
        otlp.write_line(b"{}\n", &LineSide::default()).unwrap();
        otlp.set_host_name("web-2");
        assert!(says(&otlp, "web-1"), "the open batch keeps its host");
        assert_eq!(otlp.discard(), 1);
        assert!(says(&otlp, "web-2"), "the next batch names the new one");
        // No batch open: at once; the kernel's longest name fits the room.
        let longest = "h".repeat(crate::host_name::MAX - 1);
        otlp.set_host_name(&longest);
        assert!(says(&otlp, &longest));
        otlp.write_line(b"{}\n", &LineSide::default()).unwrap();
        otlp.flush().unwrap();
    }

    #[test]
    fn a_collector_busy_with_retry_after_zero_is_paused_for_and_its_budget_spent() {
        let (spec, posts) = collector(
            b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n",
        );
        let mut otlp = Otlp::with_hostname(&spec, 4096, "h");
        otlp.set_stopping(|| true);
        otlp.write_line(b"{}\n", &LineSide::default()).unwrap();
        let started = Instant::now();
        let result = otlp.flush();
        let (elapsed, posts) = (started.elapsed(), posts.load(Ordering::SeqCst));
        assert!(result.is_err(), "an always busy collector fails the send");
        // The stopping budget, 2 s, spent in pauses of at least 100 ms.
        let most = (STOPPING_BUSY_BUDGET.as_millis() / MIN_PAUSE.as_millis()) as usize + 1;
        assert!(posts <= most, "{posts} POSTs in {elapsed:?}");
        assert!(elapsed >= STOPPING_BUSY_BUDGET - MIN_PAUSE, "{elapsed:?}");
    }

    #[test]
    fn a_batch_goes_before_a_record_once_its_first_waited_the_flush_interval() {
        let (mut spec, posts) = collector(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        spec.flush_interval = Duration::from_millis(200);
        let mut otlp = Otlp::with_hostname(&spec, 4096, "h");
        let line = b"{}\n";
        otlp.write_line(line, &LineSide::default()).unwrap();
        otlp.write_line(line, &LineSide::default()).unwrap();
        // Well within the interval: nothing due.
        assert_eq!(otlp.pending_lines(), 2);
        assert_eq!(posts.load(Ordering::SeqCst), 0);
        std::thread::sleep(spec.flush_interval);
        // The first record waited the interval: the two go before the
        // third joins, which starts the next batch and its interval.
        otlp.write_line(line, &LineSide::default()).unwrap();
        assert_eq!(otlp.pending_lines(), 1);
        assert_eq!(posts.load(Ordering::SeqCst), 1);
        otlp.write_line(line, &LineSide::default()).unwrap();
        assert_eq!(otlp.pending_lines(), 2);
        // An interval too long to add to a clock: never due by time.
        spec.flush_interval = Duration::MAX;
        let mut forever = Otlp::with_hostname(&spec, 4096, "h");
        forever.write_line(line, &LineSide::default()).unwrap();
        forever.write_line(line, &LineSide::default()).unwrap();
        assert_eq!(forever.pending_lines(), 2);
    }
}

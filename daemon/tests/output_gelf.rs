//! The GELF output against loopback listeners: a UDP listener reassembles
//! chunks, decompresses (gzip, zlib, none) and checks the GELF JSON; more
//! than 128 chunks is refused and counted; TCP frames end with NUL; no
//! allocation per event. 127.0.0.1 only.

#[macro_use]
mod support;

mod alloc_count;
mod gelf_receiver;

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::time::Duration;

use gelf_receiver::{inflate, receive};
use raudit::output::gelf::{CHUNK_DATA, MAX_CHUNKS};
use raudit::output::Sink;
use raudit::output::{Gelf, Output, Sent};
use raudit::output::{GelfCompressionType, GelfNetwork};
use raudit::side::{Facts, LineSide};
use raudit::stats::Stats;
use serde_json::Value;

use support::scratch_dir::ScratchDir;
use support::{free_tcp_port, gelf_spec, tcp_listener, udp_server, NO_SIDE, READ_TIMEOUT};

/// The facts the receive thread finds in LINE's event.
const FACTS: Facts<'static> = Facts {
    sequence: 1234,
    seconds: 1_700_000_000,
    millis: 123,
    syscall: Some(59),
    success: Some(true),
    auid: Some(1000),
    uid: Some(0),
    pid: Some(4321),
    key: Some(b"exec"),
    exe: Some(b"/usr/bin/ls"),
    comm: Some(b"ls"),
};

const SIDE: LineSide<'static> = LineSide {
    facts: Some(FACTS),
    cut: None,
};

const LINE: &[u8] = br#"{"sequence":1234,"timestamp":"1700000000.123","messages":[{"type":1300,"data":"arch=c000003e syscall=59 success=yes exit=0 pid=4321 auid=1000 uid=0 comm=\"ls\" exe=\"/usr/bin/ls\" key=\"exec\""},{"type":1327,"data":"proctitle=6C73"}],"uid_map":{"0":"root"}}
"#;

/// A UDP listener and a GELF output (host `test-host`) sending to it,
/// compressing with `kind`.
fn udp_gelf(kind: GelfCompressionType) -> (UdpSocket, Gelf) {
    let (server, address) = udp_server();
    let spec = gelf_spec(GelfNetwork::Udp, address, kind);
    (server, Gelf::with_hostname(&spec, 65536, "test-host"))
}

const KINDS: [GelfCompressionType; 3] = [
    GelfCompressionType::Gzip,
    GelfCompressionType::Zlib,
    GelfCompressionType::None,
];

fn check_fields(v: &Value, line: &[u8]) {
    assert_eq!(v["version"], "1.1");
    assert_eq!(v["host"], "test-host");
    assert_eq!(
        v["short_message"].as_str().unwrap().as_bytes(),
        line.strip_suffix(b"\n").unwrap_or(line)
    );
    assert_eq!(v["level"], 6);
}

#[test]
fn udp_small_event_in_one_datagram_every_compression() {
    for kind in KINDS {
        let (server, mut out) = udp_gelf(kind);
        out.write_line(LINE, &SIDE).unwrap();
        let (payload, chunks) = receive(&server);
        assert_eq!(chunks, 1);
        let v: Value = serde_json::from_slice(&inflate(kind, &payload)).unwrap();
        check_fields(&v, LINE);
        assert_eq!(v["timestamp"].as_f64().unwrap(), 1_700_000_000.123);
        assert_eq!(v["_sequence"], 1234);
        assert_eq!(v["_syscall"], 59);
        assert_eq!(v["_key"], "exec");
        assert_eq!(v["_auid"], 1000);
        assert_eq!(v["_uid"], 0);
        assert_eq!(v["_pid"], 4321);
        assert_eq!(v["_exe"], "/usr/bin/ls");
        assert_eq!(v["_comm"], "ls");
        assert_eq!(v["_success"], "yes");
    }
}

/// An event line of about `len` bytes that compresses poorly.
fn big_line(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut hex = String::new();
    while hex.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        hex.push_str(&format!("{x:016X}"));
    }
    format!(
        "{{\"sequence\":99,\"timestamp\":\"1700000001.500\",\"messages\":[{{\"type\":1309,\"data\":\"argc=1 a0={hex}\"}}],\"uid_map\":{{}}}}\n"
    )
    .into_bytes()
}

#[test]
fn udp_large_event_is_chunked_and_reassembles_every_compression() {
    let line = big_line(40_000);
    for kind in KINDS {
        let (server, mut out) = udp_gelf(kind);
        out.write_line(&line, &SIDE).unwrap();
        let (payload, chunks) = receive(&server);
        assert!(chunks > 1, "{kind:?}: {chunks} chunks");
        assert_eq!(chunks, payload.len().div_ceil(CHUNK_DATA));
        let v: Value = serde_json::from_slice(&inflate(kind, &payload)).unwrap();
        check_fields(&v, &line);
        assert_eq!(v["_sequence"], 1234);
        // The next message gets a fresh id and arrives whole too.
        out.write_line(&line, &SIDE).unwrap();
        let (again, _) = receive(&server);
        assert_eq!(inflate(kind, &again), inflate(kind, &payload));
    }
}

#[test]
fn more_than_128_chunks_is_refused_counted_and_not_fatal() {
    let (server, mut out) = udp_gelf(GelfCompressionType::None);
    let line = big_line(MAX_CHUNKS * CHUNK_DATA + 1000);
    for _ in 0..2 {
        let err = out.write_line(&line, &NO_SIDE).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMSGSIZE));
    }
    assert_eq!(out.too_large(), 2);
    // Nothing of it was sent; the next event goes through.
    out.write_line(LINE, &SIDE).unwrap();
    let (payload, chunks) = receive(&server);
    assert_eq!(chunks, 1);
    let v: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(v["_sequence"], 1234);
}

#[test]
fn an_event_over_128_chunks_goes_as_its_cut_version() {
    let (server, mut out) = udp_gelf(GelfCompressionType::None);
    let line = big_line(MAX_CHUNKS * CHUNK_DATA + 1000);
    let cut = br#"{"sequence":1234,"messages":[],"truncated":true}
"#;
    let side = LineSide {
        facts: Some(FACTS),
        cut: Some(cut),
    };
    assert_eq!(out.write_line(&line, &side).unwrap(), Sent::Cut);
    assert_eq!(out.too_large(), 0);
    let (payload, chunks) = receive(&server);
    assert_eq!(chunks, 1);
    let v: Value = serde_json::from_slice(&payload).unwrap();
    check_fields(&v, cut);
    // The fields are the event's, cut or not.
    assert_eq!(v["_sequence"], 1234);
    assert_eq!(v["_exe"], "/usr/bin/ls");
    assert_eq!(v["timestamp"].as_f64().unwrap(), 1_700_000_000.123);
}

#[test]
fn datagrams_to_a_closed_port_are_counted_as_errors() {
    let out = unheard_gelf(GelfCompressionType::Gzip);
    let mut sink = Sink::new(Box::new(out), 3, Duration::ZERO, 0);
    let stats = Stats::new(&["gelf"]);
    for _ in 0..50 {
        sink.write(LINE, &SIDE, &stats);
        // ICMP comes back at once on loopback; a little time is fair.
        std::thread::sleep(Duration::from_millis(2));
    }
    sink.flush(&stats);
    let c = &stats.outputs[0];
    assert_eq!(c.errors.get() + c.sent.get(), 50);
    assert!(
        c.errors.get() >= 49,
        "{} of 50 refused datagrams counted as errors",
        c.errors.get()
    );
}

#[test]
fn a_tcp_peer_that_closed_is_reconnected_before_the_event_is_written() {
    let (listener, address) = tcp_listener();
    let s = gelf_spec(GelfNetwork::Tcp, address, GelfCompressionType::None);
    let mut out = Gelf::with_hostname(&s, 65536, "test-host");
    let (first, _) = listener.accept().unwrap();
    // The receiver restarts: its end of the first connection is closed.
    drop(first);
    std::thread::sleep(Duration::from_millis(50));
    out.write_line(LINE, &SIDE).unwrap();
    // Frames are gathered and written at the flush (the output thread
    // flushes when its backlog runs dry): the closed peer is noticed then,
    // before anything is written.
    assert_eq!(out.pending_lines(), 1);
    out.flush().unwrap();
    assert_eq!(out.pending_lines(), 0);
    assert_eq!(out.reconnects(), 1);
    let (second, _) = listener.accept().unwrap();
    second.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let mut frame = Vec::new();
    BufReader::new(second).read_until(0, &mut frame).unwrap();
    assert_eq!(frame.pop(), Some(0));
    let v: Value = serde_json::from_slice(&frame).unwrap();
    check_fields(&v, LINE);
}

#[test]
fn tcp_frames_end_with_nul_uncompressed() {
    let (listener, address) = tcp_listener();
    // Compression is ignored on TCP, as GELF requires.
    let s = gelf_spec(GelfNetwork::Tcp, address, GelfCompressionType::Gzip);
    let mut out = Gelf::with_hostname(&s, 65536, "test-host");
    let (conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let line = big_line(20_000);
    out.write_line(LINE, &NO_SIDE).unwrap();
    out.write_line(&line, &NO_SIDE).unwrap();
    out.flush().unwrap();
    let mut reader = BufReader::new(conn);
    for expected in [LINE, &line[..]] {
        let mut frame = Vec::new();
        reader.read_until(0, &mut frame).unwrap();
        assert_eq!(frame.pop(), Some(0));
        let v: Value = serde_json::from_slice(&frame).unwrap();
        check_fields(&v, expected);
    }
}

#[test]
fn no_listener_is_counted_by_the_sink_not_fatal() {
    // A TCP port nobody listens on (bound, then closed).
    let port = free_tcp_port();
    let s = gelf_spec(
        GelfNetwork::Tcp,
        format!("127.0.0.1:{port}"),
        GelfCompressionType::None,
    );
    let mut out = Gelf::with_hostname(&s, 1024, "test-host");
    // Accepted into the gathered frames; writing them out fails.
    out.write_line(LINE, &NO_SIDE).unwrap();
    out.write_line(b"not json at all\n", &NO_SIDE).unwrap();
    assert!(out.flush().is_err());
    assert_eq!(out.pending_lines(), 2);
    // Through the sink: counted as errors once its attempts are spent,
    // never as sent.
    let mut sink = Sink::new(Box::new(out), 2, Duration::ZERO, 0);
    let stats = Stats::new(&["gelf"]);
    sink.write(LINE, &NO_SIDE, &stats);
    sink.flush(&stats);
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (0, 3));
}

// ---- no allocation per event ------------------------------------------

#[test]
fn writing_events_allocates_nothing() {
    let line = big_line(20_000);
    for kind in KINDS {
        let (server, address) = udp_server();
        let mut out = Gelf::with_hostname(&gelf_spec(GelfNetwork::Udp, address, kind), 65536, "h");
        let mut buf = vec![0u8; 65536];
        let mut drain = |server: &UdpSocket| {
            server.set_nonblocking(true).unwrap();
            while server.recv(&mut buf).is_ok() {}
        };
        out.write_line(&line, &NO_SIDE).unwrap();
        out.write_line(LINE, &NO_SIDE).unwrap();
        drain(&server);
        let ((), allocations) = alloc_count::allocations_in(|| {
            for _ in 0..50 {
                out.write_line(&line, &NO_SIDE).unwrap();
                out.write_line(LINE, &NO_SIDE).unwrap();
            }
        });
        drain(&server);
        assert_eq!(allocations, 0, "{kind:?}");
    }
}

// ---- Wireshark's GELF dissector -----------------------------------------

/// tshark capturing loopback UDP `port` into `pcap`; stopped (SIGINT, by
/// its pid) by [`Capture::finish`] or when dropped.
struct Capture(std::process::Child);

impl Capture {
    fn start(port: u16, pcap: &std::path::Path) -> Option<Capture> {
        let child = std::process::Command::new("tshark")
            .args(["-i", "lo", "-f", &format!("udp port {port}"), "-w"])
            .arg(pcap)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .ok()?;
        let mut capture = Capture(child);
        // tshark says "Capturing on 'Loopback: lo'" once it listens.
        let stderr = capture.0.stderr.take()?;
        let mut line = String::new();
        let mut reader = BufReader::new(stderr);
        loop {
            line.clear();
            if reader.read_line(&mut line).ok()? == 0 {
                return None;
            }
            if line.contains("Capturing on") {
                break;
            }
        }
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        // dumpcap may still be setting its filter when tshark says so.
        std::thread::sleep(Duration::from_secs(1));
        Some(capture)
    }

    fn finish(mut self) {
        self.interrupt();
    }

    fn interrupt(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            self.interrupt();
        }
    }
}

#[test]
fn wiresharks_gelf_dissector_reads_one_message_per_event() {
    if std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_err()
    {
        skip!("skipped: tshark is not installed (Debian package tshark)");
        return;
    }
    let dir = ScratchDir::new("tshark");
    let pcap = dir.join("gelf.pcap");
    let (server, address) = udp_server();
    let port = server.local_addr().unwrap().port();
    let Some(capture) = Capture::start(port, &pcap) else {
        skip!("skipped: tshark cannot capture on lo (needs root)");
        return;
    };
    let cut = br#"{"sequence":7,"messages":[],"truncated":true}
"#;
    let facts = |sequence| LineSide {
        facts: Some(Facts { sequence, ..FACTS }),
        cut: Some(cut),
    };
    let mut gzip = Gelf::with_hostname(
        &gelf_spec(GelfNetwork::Udp, address.clone(), GelfCompressionType::Gzip),
        1 << 20,
        "test-host",
    );
    let mut plain = Gelf::with_hostname(
        &gelf_spec(GelfNetwork::Udp, address, GelfCompressionType::None),
        1 << 20,
        "test-host",
    );
    // Small, chunked, then over 128 chunks uncompressed (sent cut).
    assert_eq!(gzip.write_line(LINE, &facts(1)).unwrap(), Sent::Whole);
    assert_eq!(
        gzip.write_line(&big_line(40_000), &facts(2)).unwrap(),
        Sent::Whole
    );
    assert_eq!(
        plain.write_line(&big_line(30_000), &facts(3)).unwrap(),
        Sent::Whole
    );
    let huge = big_line(MAX_CHUNKS * CHUNK_DATA + 1000);
    assert_eq!(plain.write_line(&huge, &facts(4)).unwrap(), Sent::Cut);
    for _ in 0..4 {
        receive(&server);
    }
    std::thread::sleep(Duration::from_millis(300));
    capture.finish();
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(&pcap)
        .args(["-d", &format!("udp.port=={port},gelf")])
        .args(["-T", "fields", "-E", "separator=|"])
        .args(["-e", "gelf.broken_compression", "-e", "gelf.invalid_header"])
        .args(["-e", "json.member_with_value"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let messages: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("short_message:"))
        .collect();
    assert_eq!(
        messages.len(),
        4,
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (i, message) in messages.iter().enumerate() {
        assert!(message.starts_with("||"), "a dissector error: {message}");
        assert!(
            message.contains(&format!("_sequence:{}", i + 1)),
            "{message}"
        );
        assert!(message.contains("_exe:/usr/bin/ls"), "{message}");
        assert_eq!(message.contains("truncated"), i == 3, "{message}");
    }
}

/// A GELF output (host `test-host`) over UDP to a port nobody listens on:
/// the host answers port unreachable, and the next send on the connected
/// socket reports ECONNREFUSED.
fn unheard_gelf(compression: GelfCompressionType) -> Gelf {
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let spec = gelf_spec(GelfNetwork::Udp, format!("127.0.0.1:{port}"), compression);
    Gelf::with_hostname(&spec, 65536, "test-host")
}

/// One event in chunks to a port nobody listens on: the host refuses
/// every chunk, each refusal reported by the next send; the event is
/// counted as one error, not one per chunk.
#[test]
fn one_chunked_event_refused_counts_one_error() {
    let out = unheard_gelf(GelfCompressionType::None);
    let mut sink = Sink::new(Box::new(out), 1, Duration::ZERO, 0);
    let stats = Stats::new(&["gelf"]);
    // Seven chunks uncompressed.
    sink.write(&big_line(6 * CHUNK_DATA), &SIDE, &stats);
    std::thread::sleep(Duration::from_millis(20));
    sink.flush(&stats);
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (0, 1));
}

/// Events delivered, then the receiver gone and an event in chunks
/// refused: the delivered ones stay counted as sent.
#[test]
fn a_refused_chunked_event_does_not_uncount_delivered_ones() {
    let (server, out) = udp_gelf(GelfCompressionType::None);
    let mut sink = Sink::new(Box::new(out), 1, Duration::ZERO, 0);
    let stats = Stats::new(&["gelf"]);
    for _ in 0..5 {
        sink.write(LINE, &SIDE, &stats);
        let (_, chunks) = receive(&server);
        assert_eq!(chunks, 1);
    }
    drop(server);
    sink.write(&big_line(6 * CHUNK_DATA), &SIDE, &stats);
    std::thread::sleep(Duration::from_millis(20));
    sink.flush(&stats);
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (5, 1));
}

//! Every output at once, fed by the receive side itself (the pipeline, from
//! memory, no kernel): file, syslog over a unix datagram socket (with a
//! small `max_message_bytes`) and over TCP, GELF over UDP gzip, UDP
//! uncompressed and TCP. Each receiver must see exactly one message per
//! event; an event larger than a transport carries arrives there as one
//! marked cut message, counted `cut`; GELF's fields are the event's, in
//! both formats. Loopback and temp-dir sockets only.

mod gelf_receiver;
mod support;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::net::UnixDatagram;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use raudit::output::{Gelf, GelfSpec, Sink, Syslog, SyslogSpec};
use raudit::output::{GelfCompressionType, GelfNetwork, IpFamily, SyslogFormat, SyslogNetwork};
use raudit::pipeline::source::MemorySource;
use raudit::pipeline::Format;
use raudit::pipeline::{self, Input, Pipeline, SideSettings};
use raudit::queue::{Policy, Queue};
use raudit::stats::Stats;
use serde_json::Value;

use support::scratch_dir::ScratchDir;
use support::{
    file_output, gelf_spec, syslog_spec, syslog_spec_with, tcp_listener, udp_server, writer_thread,
    READ_TIMEOUT,
};

fn datagram(msg_type: u16, serial: u32, body: &str) -> Vec<u8> {
    let payload = format!("audit(1700000000.{:03}:{serial}): {body}", serial % 1000);
    let mut d = Vec::new();
    d.extend_from_slice(&(payload.len() as u32).to_ne_bytes());
    d.extend_from_slice(&msg_type.to_ne_bytes());
    d.extend_from_slice(&[0; 10]);
    d.extend_from_slice(payload.as_bytes());
    d
}

const SYSCALL: &str = "arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=4321 auid=1000 uid=0 gid=0 comm=\"ls\" exe=\"/usr/bin/ls\" key=\"exec\"";

/// Events 1..=9 small; event 5 has 50 EXECVE records of 4 KiB, hex (about
/// 410 KB of JSON): over the syslog datagram limit configured and over
/// 128 uncompressed GELF chunks.
fn input() -> Vec<Vec<u8>> {
    let mut input = Vec::new();
    for serial in 1..=9u32 {
        input.push(datagram(1300, serial, SYSCALL));
        if serial == 5 {
            for i in 0..50 {
                let hex: String = (0..4096)
                    .map(|j| format!("{:02X}", (i * 7 + j) % 251))
                    .collect();
                input.push(datagram(1309, serial, &format!("a{i}={hex}")));
            }
        }
        input.push(datagram(1307, serial, "cwd=\"/root\""));
        input.push(datagram(1320, serial, ""));
    }
    input
}

/// Collects newline- or NUL-framed messages from the first connection.
fn stream_receiver(listener: TcpListener, delimiter: u8) -> JoinHandle<Vec<Vec<u8>>> {
    std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        let mut reader = BufReader::new(conn);
        let mut messages = Vec::new();
        loop {
            let mut message = Vec::new();
            match reader.read_until(delimiter, &mut message) {
                Ok(0) | Err(_) => return messages,
                Ok(_) => messages.push(message),
            }
        }
    })
}

/// Whether `event` is a marked cut: arguments left out (`"cut"`), or
/// records (`"truncated"`). A cut event keeps its other records: here its
/// SYSCALL's exe and its CWD.
fn is_cut(event: &Value) -> bool {
    let cut = event.get("cut").is_some() || event.get("truncated").is_some();
    if cut {
        let text = event.to_string();
        assert!(
            text.contains("/usr/bin/ls") && text.contains("/root"),
            "{text}"
        );
    }
    cut
}

/// The JSON event inside a syslog message (after `go-audit[PID]: `).
fn syslog_event(message: &[u8]) -> Value {
    let at = message.windows(3).position(|w| w == b"]: ").unwrap() + 3;
    serde_json::from_slice(&message[at..]).unwrap()
}

fn check_gelf(message: &[u8], kind: GelfCompressionType) -> (Value, Value) {
    let gelf: Value = serde_json::from_slice(&gelf_receiver::inflate(kind, message)).unwrap();
    let event: Value = serde_json::from_str(gelf["short_message"].as_str().unwrap()).unwrap();
    // The fields are the event's, whatever the line's shape.
    assert_eq!(gelf["_syscall"], 59);
    assert_eq!(gelf["_key"], "exec");
    assert_eq!(gelf["_auid"], 1000);
    assert_eq!(gelf["_exe"], "/usr/bin/ls");
    assert_eq!(gelf["_comm"], "ls");
    assert_eq!(gelf["_success"], "yes");
    (gelf, event)
}

fn run(format: Format) {
    let dir = ScratchDir::new(&format!("fanout-{format:?}"));
    let path = dir.join("audit.log");
    let gram_path = dir.join("log");
    let gram = UnixDatagram::bind(&gram_path).unwrap();
    gram.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let (syslog_tcp, syslog_tcp_address) = tcp_listener();
    let (gelf_tcp, gelf_tcp_address) = tcp_listener();
    let ((gzip, gzip_address), (plain, plain_address)) = (udp_server(), udp_server());

    let outputs = [
        syslog_spec_with(
            SyslogNetwork::Unixgram,
            gram_path.to_str().unwrap(),
            "go-audit",
            SyslogFormat::Rfc3164,
            Some(4096),
        ),
        syslog_spec(
            SyslogNetwork::Tcp(IpFamily::V4),
            &syslog_tcp_address,
            SyslogFormat::Rfc3164,
        ),
    ];
    let gelfs = [
        gelf_spec(GelfNetwork::Udp, gzip_address, GelfCompressionType::Gzip),
        gelf_spec(GelfNetwork::Udp, plain_address, GelfCompressionType::None),
        gelf_spec(
            GelfNetwork::Tcp,
            gelf_tcp_address,
            GelfCompressionType::None,
        ),
    ];
    let cut_limit = outputs
        .iter()
        .filter_map(SyslogSpec::line_limit)
        .chain(gelfs.iter().filter_map(GelfSpec::line_limit))
        .min();
    let side = SideSettings {
        facts: true,
        cut_limit,
    };
    const BUFFER: usize = 512 * 1024;
    let queue = Queue::with_outputs(16, BUFFER, Policy::Block, 6, side.bytes_per_buffer(BUFFER));
    let names = ["file", "gram", "tcp", "gzip", "plain", "gelftcp"];
    let stats = Arc::new(Stats::new(&names));
    let syslog_tcp_got = stream_receiver(syslog_tcp, b'\n');
    let gelf_tcp_got = stream_receiver(gelf_tcp, 0);
    let file = file_output(&path, 64 * 1024);
    let mut sinks = vec![Sink::new(Box::new(file), 1, Duration::ZERO, 0)];
    for spec in &outputs {
        let index = sinks.len();
        sinks.push(Sink::new(
            Box::new(Syslog::open(spec, BUFFER)),
            1,
            Duration::ZERO,
            index,
        ));
    }
    for spec in &gelfs {
        let index = sinks.len();
        sinks.push(Sink::new(
            Box::new(Gelf::open(spec, BUFFER)),
            1,
            Duration::ZERO,
            index,
        ));
    }
    let writers = writer_thread(&queue, sinks, &stats);
    let settings = pipeline::Settings {
        format,
        side,
        ..pipeline::Settings::default()
    };
    let mut pipeline = Pipeline::new(
        MemorySource::from_kernel(input()),
        settings,
        Arc::clone(&queue),
        Arc::clone(&stats),
    );
    while pipeline.step(Some(Duration::ZERO)).unwrap() != Input::Ended {}
    pipeline.finish(Duration::ZERO, Duration::ZERO).unwrap();
    writers.join().unwrap();
    eprintln!("{format:?}: {}", stats.line("end"));

    // The file: 9 whole lines, event 5 with all its records.
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 9);
    let big_line = lines[4];
    assert!(big_line.len() > 400_000 && !is_cut(&serde_json::from_str(big_line).unwrap()));
    // Every output sent 9, and counted which went cut.
    for (i, name) in names.iter().enumerate() {
        let c = &stats.outputs[i];
        assert_eq!(c.sent.get(), 9, "{name}");
        assert_eq!(c.errors.get() + c.dropped.get(), 0, "{name}");
    }
    let cuts: Vec<u64> = stats.outputs.iter().map(|c| c.cut.get()).collect();
    // file, syslog TCP, GELF TCP carry it whole; the datagram syslog with
    // its 4 KiB limit sends it cut; gzip fits in 128 chunks, plain not.
    assert_eq!(cuts, [0, 1, 0, 0, 1, 0], "{names:?}");

    // syslog datagrams: one per event, the fifth cut and marked.
    let mut buf = vec![0u8; 300_000];
    for sequence in 1..=9u64 {
        let n = gram.recv(&mut buf).unwrap();
        assert!(n <= 4096);
        let event = syslog_event(&buf[..n]);
        assert_eq!(event["sequence"], sequence);
        assert_eq!(is_cut(&event), sequence == 5, "{sequence}");
    }
    gram.set_nonblocking(true).unwrap();
    assert!(
        gram.recv(&mut buf).is_err(),
        "more than one message per event"
    );
    // syslog TCP: one whole message per event.
    let got = syslog_tcp_got.join().unwrap();
    assert_eq!(got.len(), 9);
    for (i, message) in got.iter().enumerate() {
        let event = syslog_event(message);
        assert_eq!(event["sequence"], i as u64 + 1);
        assert!(!is_cut(&event));
    }
    assert!(got[4].len() > 400_000);
    // GELF UDP: one message per event; uncompressed, the fifth is cut.
    for (server, kind) in [
        (&gzip, GelfCompressionType::Gzip),
        (&plain, GelfCompressionType::None),
    ] {
        for sequence in 1..=9u64 {
            let (message, _) = gelf_receiver::receive(server);
            let (gelf, event) = check_gelf(&message, kind);
            assert_eq!(gelf["_sequence"], sequence);
            assert_eq!(event["sequence"], sequence);
            let cut = kind == GelfCompressionType::None && sequence == 5;
            assert_eq!(is_cut(&event), cut, "{kind:?} {sequence}");
        }
        server.set_nonblocking(true).unwrap();
        assert!(
            server.recv(&mut buf).is_err(),
            "{kind:?}: more than one message per event"
        );
    }
    // GELF TCP: one whole frame per event.
    let got = gelf_tcp_got.join().unwrap();
    assert_eq!(got.len(), 9);
    for (i, frame) in got.iter().enumerate() {
        let frame = frame.strip_suffix(&[0]).unwrap();
        let (gelf, event) = check_gelf(frame, GelfCompressionType::None);
        assert_eq!(gelf["_sequence"], i as u64 + 1);
        assert!(!is_cut(&event));
    }
}

#[test]
fn every_output_gets_one_message_per_event_whole_or_marked_cut() {
    run(Format::GoAudit);
}

#[test]
fn gelf_fields_are_the_same_under_the_structured_format() {
    run(Format::Structured);
}

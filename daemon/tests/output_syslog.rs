//! The syslog output against real sockets: a unix datagram listener gets
//! exactly go-audit's RFC 3164 bytes; RFC 5424, TCP framing and UDP; an
//! oversized datagram is refused, not fatal; a recreated listener is
//! reconnected to; no allocation per event; and Debian's rsyslogd, started
//! with a private config on a temp socket, files the events intact.
//! Loopback and temp-dir sockets only.

#[macro_use]
mod support;

mod alloc_count;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use raudit::output::{IpFamily, SyslogFormat, SyslogNetwork};
use raudit::output::{Output, Syslog};
use raudit::side::LineSide;

use support::scratch_dir::ScratchDir;
use support::{
    free_tcp_port, lines_in, rsyslogd, rsyslogd_or_skip, start_rsyslogd, syslog_spec,
    syslog_spec_with, tcp_listener, udp_server, wait_for, writer_thread, KilledOnDrop, NO_SIDE,
    READ_TIMEOUT,
};

const LINE: &[u8] = br#"{"sequence":1234,"timestamp":"1700000000.123","messages":[{"type":1300,"data":"arch=c000003e syscall=59 success=yes exit=0 pid=4321 auid=1000 uid=0 comm=\"ls\" exe=\"/usr/bin/ls\" key=\"exec\""}],"uid_map":{"0":"root"}}
"#;

fn temp_dir(name: &str) -> ScratchDir {
    ScratchDir::new(&format!("syslog-{name}"))
}

/// A unix datagram listener at `dir/log`, its reads timing out, and a
/// syslog output in `format` sending to it.
fn unixgram(dir: &Path, format: SyslogFormat) -> (UnixDatagram, Syslog) {
    let path = dir.join("log");
    let server = UnixDatagram::bind(&path).unwrap();
    server.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let spec = syslog_spec(SyslogNetwork::Unixgram, path.to_str().unwrap(), format);
    (server, Syslog::open(&spec, 65536))
}

/// One datagram, read by `recv` into a buffer larger than any sent here.
fn received(recv: impl FnOnce(&mut [u8]) -> std::io::Result<usize>) -> Vec<u8> {
    let mut buf = vec![0; 65536];
    let n = recv(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned()
}

/// `date` (an independent formatter) in the C locale, for the seconds
/// around now.
fn date(format: &str) -> String {
    let out = Command::new("date")
        .arg(format!("+{format}"))
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

/// Go's RFC3339: `Z` for UTC where `date` says `+00:00`.
fn go_rfc3339() -> String {
    let stamp = date("%Y-%m-%dT%H:%M:%S%:z");
    match stamp.strip_suffix("+00:00") {
        Some(base) => format!("{base}Z"),
        None => stamp,
    }
}

/// Calls `send` between two readings of `stamp`; the bytes must equal
/// `expected(stamp)` for one of them (the clock may tick in between).
fn sent_at(
    stamp: impl Fn() -> String,
    send: impl FnOnce() -> Vec<u8>,
    expected: impl Fn(&str) -> Vec<u8>,
) {
    let before = stamp();
    let got = send();
    let after = stamp();
    assert!(
        got == expected(&before) || got == expected(&after),
        "got      {:?}\nexpected {:?}",
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&expected(&before))
    );
}

#[test]
fn unixgram_gets_go_audits_exact_rfc3164_bytes() {
    let dir = temp_dir("gram");
    let (server, mut out) = unixgram(&dir, SyslogFormat::Rfc3164);
    let pid = std::process::id();
    sent_at(
        || date("%b %e %H:%M:%S"),
        || {
            out.write_line(LINE, &NO_SIDE).unwrap();
            received(|buf| server.recv(buf))
        },
        |stamp| {
            let mut v = format!("<132>{stamp} go-audit[{pid}]: ").into_bytes();
            v.extend_from_slice(LINE);
            v
        },
    );
    // A line without its newline gets one, as Go's Writer adds it.
    out.write_line(LINE.strip_suffix(b"\n").unwrap(), &NO_SIDE)
        .unwrap();
    assert!(received(|buf| server.recv(buf)).ends_with(LINE));
}

#[test]
fn unixgram_rfc5424() {
    let dir = temp_dir("5424");
    let (server, mut out) = unixgram(&dir, SyslogFormat::Rfc5424);
    out.write_line(LINE, &NO_SIDE).unwrap();
    let got = String::from_utf8(received(|buf| server.recv(buf))).unwrap();
    // <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG
    let parts: Vec<&str> = got.splitn(8, ' ').collect();
    assert_eq!(parts[0], "<132>1");
    let ts = parts[1];
    // 2024-03-05T07:08:09.123456 then Z or ±hh:mm
    assert!(ts.len() == 27 || ts.len() == 32, "{ts}");
    assert_eq!(&ts[10..11], "T");
    assert_eq!(&ts[19..20], ".");
    assert!(ts.ends_with('Z') || ts[26..].starts_with(['+', '-']));
    assert!(ts.starts_with(&date("%Y-%m-%dT")[..11]));
    assert_eq!(parts[2], hostname());
    assert_eq!(parts[3], "go-audit");
    assert_eq!(parts[4], std::process::id().to_string());
    assert_eq!(parts[5], "-");
    assert_eq!(parts[6], "-");
    assert_eq!(parts[7].as_bytes(), LINE.strip_suffix(b"\n").unwrap());
}

#[test]
fn tcp_rfc5424_is_octet_counted() {
    let (listener, address) = tcp_listener();
    let s = syslog_spec(
        SyslogNetwork::Tcp(IpFamily::V4),
        &address,
        SyslogFormat::Rfc5424,
    );
    let mut out = Syslog::open(&s, 65536);
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    out.write_line(LINE, &NO_SIDE).unwrap();
    out.write_line(b"{\"second\":2}\n", &NO_SIDE).unwrap();
    // Over a stream the messages are gathered: the output thread flushes
    // when its backlog runs dry (and before an output is replaced).
    out.flush().unwrap();
    drop(out);
    let mut stream = Vec::new();
    conn.read_to_end(&mut stream).unwrap();
    let mut rest = &stream[..];
    let mut messages = Vec::new();
    while !rest.is_empty() {
        let space = rest.iter().position(|&b| b == b' ').unwrap();
        let len: usize = std::str::from_utf8(&rest[..space])
            .unwrap()
            .parse()
            .unwrap();
        messages.push(rest[space + 1..space + 1 + len].to_vec());
        rest = &rest[space + 1 + len..];
    }
    assert_eq!(messages.len(), 2);
    assert!(messages[0].starts_with(b"<132>1 "));
    assert!(messages[0].ends_with(LINE.strip_suffix(b"\n").unwrap()));
    assert!(messages[1].ends_with(b" - - {\"second\":2}"));
}

#[test]
fn tcp_rfc3164_is_gos_network_form_newline_framed() {
    let (listener, address) = tcp_listener();
    let s = syslog_spec(
        SyslogNetwork::Tcp(IpFamily::Any),
        &address,
        SyslogFormat::Rfc3164,
    );
    let mut out = Syslog::open(&s, 65536);
    let (conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let mut reader = BufReader::new(conn);
    let (host, pid) = (hostname(), std::process::id());
    sent_at(
        go_rfc3339,
        || {
            out.write_line(LINE, &NO_SIDE).unwrap();
            out.flush().unwrap();
            let mut got = Vec::new();
            reader.read_until(b'\n', &mut got).unwrap();
            got
        },
        |stamp| {
            let mut v = format!("<132>{stamp} {host} go-audit[{pid}]: ").into_bytes();
            v.extend_from_slice(LINE);
            v
        },
    );
}

#[test]
fn udp_datagram_is_gos_network_form() {
    let (server, address) = udp_server();
    let s = syslog_spec(
        SyslogNetwork::Udp(IpFamily::V4),
        &address,
        SyslogFormat::Rfc3164,
    );
    let mut out = Syslog::open(&s, 65536);
    let (host, pid) = (hostname(), std::process::id());
    sent_at(
        go_rfc3339,
        || {
            out.write_line(LINE, &NO_SIDE).unwrap();
            received(|buf| server.recv(buf))
        },
        |stamp| {
            let mut v = format!("<132>{stamp} {host} go-audit[{pid}]: ").into_bytes();
            v.extend_from_slice(LINE);
            v
        },
    );
}

#[test]
fn oversized_unixgram_event_is_refused_and_counted_not_fatal() {
    let dir = temp_dir("big");
    let (server, mut out) = unixgram(&dir, SyslogFormat::Rfc3164);
    // Larger than any default unix datagram send buffer (wmem_max).
    let mut big = vec![b'x'; 16 << 20];
    big.push(b'\n');
    for _ in 0..3 {
        let err = out.write_line(&big, &NO_SIDE).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMSGSIZE));
    }
    assert_eq!(out.too_large(), 3);
    out.write_line(LINE, &NO_SIDE).unwrap();
    assert!(received(|buf| server.recv(buf)).ends_with(LINE));
}

#[test]
fn a_recreated_listener_is_reconnected_to() {
    let dir = temp_dir("reconnect");
    let (server, mut out) = unixgram(&dir, SyslogFormat::Rfc3164);
    out.write_line(b"{\"n\":1}\n", &NO_SIDE).unwrap();
    // rsyslog restarts: the socket goes away …
    drop(server);
    let path = dir.join("log");
    std::fs::remove_file(&path).unwrap();
    assert!(out.write_line(b"{\"n\":2}\n", &NO_SIDE).is_err());
    // … and comes back at the same path.
    let server = UnixDatagram::bind(&path).unwrap();
    server.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    out.write_line(b"{\"n\":3}\n", &NO_SIDE).unwrap();
    assert!(received(|buf| server.recv(buf)).ends_with(b"{\"n\":3}\n"));
    assert!(out.reconnects() >= 1);
}

#[test]
fn a_stream_whose_receiver_closed_is_reconnected_before_the_event_is_written() {
    use std::os::unix::net::UnixListener;
    let dir = temp_dir("stream-closed");
    let path = dir.join("log");
    let listener = UnixListener::bind(&path).unwrap();
    let s = syslog_spec(
        SyslogNetwork::Unix,
        path.to_str().unwrap(),
        SyslogFormat::Rfc3164,
    );
    let mut out = Syslog::open(&s, 65536);
    let (first, _) = listener.accept().unwrap();
    out.write_line(b"{\"n\":1}\n", &NO_SIDE).unwrap();
    out.flush().unwrap();
    // The receiver restarts: it closes its end (after reading, or not).
    drop(first);
    std::thread::sleep(Duration::from_millis(20));
    // Written into the closed connection, this event would be lost while
    // the write succeeds; it must go to the new one instead (gathered,
    // then written at the flush: the closed peer is noticed then, before
    // anything is written).
    out.write_line(b"{\"n\":2}\n", &NO_SIDE).unwrap();
    assert_eq!(out.pending_lines(), 1);
    out.flush().unwrap();
    assert_eq!(out.pending_lines(), 0);
    assert_eq!(out.reconnects(), 1);
    let (second, _) = listener.accept().unwrap();
    second.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let mut line = String::new();
    BufReader::new(second).read_line(&mut line).unwrap();
    assert!(line.ends_with("]: {\"n\":2}\n"), "{line}");
}

#[test]
fn no_receiver_at_start_is_not_fatal() {
    let dir = temp_dir("absent");
    let path = dir.join("log");
    let s = syslog_spec(
        SyslogNetwork::Unix,
        path.to_str().unwrap(),
        SyslogFormat::Rfc3164,
    );
    let mut out = Syslog::open(&s, 1024);
    // Taken into the gathered messages; writing them out fails, and they
    // stay for the sink's next attempt (or its count of what was lost).
    out.write_line(LINE, &NO_SIDE).unwrap();
    assert!(out.flush().is_err());
    assert_eq!(out.pending_lines(), 1);
    assert_eq!(out.discard(), 1);
}

// ---- no allocation per event ------------------------------------------

#[test]
fn writing_events_allocates_nothing() {
    let dir = temp_dir("alloc");
    let (server, mut out) = unixgram(&dir, SyslogFormat::Rfc5424);
    let mut buf = vec![0; 65536];
    out.write_line(LINE, &NO_SIDE).unwrap();
    server.recv(&mut buf).unwrap();
    let ((), allocations) = alloc_count::allocations_in(|| {
        for _ in 0..1000 {
            out.write_line(LINE, &NO_SIDE).unwrap();
            server.recv(&mut buf).unwrap();
        }
    });
    assert_eq!(allocations, 0);
}

// ---- a real receiver: rsyslogd ------------------------------------------

/// An rsyslogd config for these tests: `input` (module and input lines),
/// messages up to `max_message_size` (`None`: rsyslog's own 8k), and the
/// events whose `property` is `go-audit` filed into `file` as `template`
/// writes them, nothing else.
fn rsyslog_config(
    dir: &Path,
    max_message_size: Option<&str>,
    input: &str,
    property: &str,
    template: &str,
    file: &Path,
) -> String {
    let size = max_message_size
        .map(|size| format!(" maxMessageSize=\"{size}\""))
        .unwrap_or_default();
    format!(
        r#"global(workDirectory="{dir}"{size})
{input}
template(name="raw" type="string" string="{template}\n")
if ${property} == "go-audit" then {{
  action(type="omfile" file="{file}" template="raw")
  stop
}}
"#,
        dir = dir.display(),
        file = file.display(),
    )
}

/// rsyslogd's input lines for a unix datagram socket at `socket`.
fn imuxsock(socket: &Path) -> String {
    format!(
        "module(load=\"imuxsock\" SysSock.Use=\"off\")\ninput(type=\"imuxsock\" Socket=\"{}\")",
        socket.display()
    )
}

/// rsyslogd's input lines for TCP on loopback, `port` its port parameters.
fn imtcp(port: &str) -> String {
    format!("module(load=\"imtcp\")\ninput(type=\"imtcp\" address=\"127.0.0.1\" {port})")
}

#[test]
#[cfg_attr(
    raudit_no_rsyslogd,
    ignore = "rsyslogd is not installed (Debian package rsyslog)"
)]
fn rsyslogd_files_events_from_its_unix_socket_intact() {
    let bin = rsyslogd().expect("rsyslogd is installed (raudit_no_rsyslogd)");
    let dir = temp_dir("rsyslogd");
    let socket = dir.join("log");
    let file = dir.join("audit.log");
    // The rule people already have for go-audit: match the program name.
    let config = rsyslog_config(
        &dir,
        Some("256k"),
        &imuxsock(&socket),
        "programname",
        "%programname%|%msg:2:$%",
        &file,
    );
    let _daemon = start_rsyslogd(&bin, &dir, &config);
    wait_for("rsyslogd's socket", || socket.exists());
    let s = syslog_spec(
        SyslogNetwork::Unixgram,
        socket.to_str().unwrap(),
        SyslogFormat::Rfc3164,
    );
    let mut out = Syslog::open(&s, 65536);
    let event = std::str::from_utf8(LINE).unwrap().trim_end();
    for _ in 0..3 {
        out.write_line(LINE, &NO_SIDE).unwrap();
    }
    wait_for("3 lines in rsyslog's file", || lines_in(&file).len() >= 3);
    for line in lines_in(&file) {
        assert_eq!(line, format!("go-audit|{event}"));
    }
}

#[test]
#[cfg_attr(
    raudit_no_rsyslogd,
    ignore = "rsyslogd is not installed (Debian package rsyslog)"
)]
fn rsyslogd_reads_octet_counted_rfc5424_over_tcp() {
    let bin = rsyslogd().expect("rsyslogd is installed (raudit_no_rsyslogd)");
    let dir = temp_dir("rsyslogd-tcp");
    let port_file = dir.join("port");
    let file = dir.join("audit.log");
    let config = rsyslog_config(
        &dir,
        Some("256k"),
        &imtcp(&format!(
            "port=\"0\" listenPortFileName=\"{}\"",
            port_file.display()
        )),
        "app-name",
        "%app-name%|%procid%|%msg%",
        &file,
    );
    let _daemon = start_rsyslogd(&bin, &dir, &config);
    let address = support::listening_address(&port_file);
    let s = syslog_spec(
        SyslogNetwork::Tcp(IpFamily::V4),
        &address,
        SyslogFormat::Rfc5424,
    );
    let mut out = Syslog::open(&s, 65536);
    let event = std::str::from_utf8(LINE).unwrap().trim_end();
    // Large enough that newline framing would not be what keeps it whole.
    let big = format!("{{\"big\":\"{}\"}}\n", "y".repeat(100_000));
    out.write_line(LINE, &NO_SIDE).unwrap();
    out.write_line(big.as_bytes(), &NO_SIDE).unwrap();
    out.write_line(LINE, &NO_SIDE).unwrap();
    out.flush().unwrap();
    wait_for("3 lines in rsyslog's file", || lines_in(&file).len() >= 3);
    let lines = lines_in(&file);
    let pid = std::process::id();
    assert_eq!(lines[0], format!("go-audit|{pid}|{event}"));
    assert_eq!(lines[1], format!("go-audit|{pid}|{}", big.trim_end()));
    assert_eq!(lines[2], lines[0]);
}

/// Sends SIGTERM to rsyslogd and waits for it to exit (it writes what it
/// has received first).
fn stop_rsyslogd(mut daemon: KilledOnDrop) {
    let pid = daemon.0.id();
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    let _ = daemon.0.wait();
}

#[test]
fn rsyslogd_restarted_under_load_costs_the_file_nothing_and_sent_is_what_it_wrote() {
    use std::sync::Arc;

    use raudit::output::Sink;
    use raudit::queue::{Policy, Queue};
    use raudit::stats::Stats;

    let Some(bin) = rsyslogd_or_skip() else {
        return;
    };
    let dir = temp_dir("rsyslogd-restart");
    let port = free_tcp_port();
    let received = dir.join("received.log");
    let config = rsyslog_config(
        &dir,
        Some("256k"),
        &imtcp(&format!("port=\"{port}\"")),
        "programname",
        "%msg:2:$%",
        &received,
    );
    let listening = || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
    let daemon = start_rsyslogd(&bin, &dir, &config);
    wait_for("rsyslogd's port", listening);

    let queue = Queue::with_outputs(64, 4096, Policy::Drop, 2, 0);
    let stats = Arc::new(Stats::new(&["file", "syslog"]));
    let path = dir.join("audit.log");
    let file = support::file_output(&path, 64 * 1024);
    let syslog = Syslog::open(
        &syslog_spec(
            SyslogNetwork::Tcp(IpFamily::V4),
            &format!("127.0.0.1:{port}"),
            SyslogFormat::Rfc3164,
        ),
        4096,
    );
    let pause = Duration::from_millis(100);
    let sinks = vec![
        Sink::new(Box::new(file), 3, pause, 0),
        Sink::new(Box::new(syslog), 3, pause, 1),
    ];
    let writers = writer_thread(&queue, sinks, &stats);

    // 50 events a second for 7 s; the receiver is stopped after 1 s and
    // started again 5 s later.
    const EVENTS: u64 = 350;
    let started = Instant::now();
    let mut daemon = Some(daemon);
    for sequence in 1..=EVENTS {
        let at = started + Duration::from_millis(20 * sequence);
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        if sequence == 50 {
            stop_rsyslogd(daemon.take().unwrap());
        }
        if sequence == 300 {
            daemon = Some(start_rsyslogd(&bin, &dir, &config));
            wait_for("rsyslogd's port again", listening);
        }
        let line = format!("{{\"sequence\":{sequence},\"messages\":[]}}\n");
        let mut buffer = queue.take_free(|| true).expect("the pool ran out");
        buffer.space()[..line.len()].copy_from_slice(line.as_bytes());
        buffer.advance(line.len());
        queue.submit(buffer);
        queue.wake();
    }
    std::thread::sleep(Duration::from_millis(500));
    queue.close();
    queue.set_drain_deadline(Instant::now() + Duration::from_secs(2));
    writers.join().unwrap();
    stop_rsyslogd(daemon.take().unwrap());

    // The file has every event, in order.
    let written = lines_in(&path);
    assert_eq!(written.len() as u64, EVENTS, "the file lost events");
    for (i, line) in written.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["sequence"], i as u64 + 1);
    }
    let f = &stats.outputs[0];
    assert_eq!(
        (f.sent.get(), f.errors.get(), f.dropped.get()),
        (EVENTS, 0, 0)
    );
    // syslog: what it counted as sent is what rsyslogd wrote; the rest is
    // counted as lost.
    let s = &stats.outputs[1];
    let got = lines_in(&received);
    eprintln!("{}", stats.line("end"));
    // (Its loss record is not an event: not counted as sent.)
    let events = got.iter().filter(|l| !l.contains(r#""report":"loss""#));
    assert_eq!(
        s.sent.get(),
        events.count() as u64,
        "syslog sent vs rsyslogd's file"
    );
    assert!(
        s.errors.get() + s.dropped.get() > 0,
        "the outage cost nothing?"
    );
    assert!(s.reconnects.get() >= 1);
    // Events before the outage and after the restart all arrived.
    let sequences: Vec<u64> = got
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["sequence"].as_u64())
        .collect();
    for sequence in (1..50).chain(310..=EVENTS) {
        assert!(sequences.contains(&sequence), "{sequence} did not arrive");
    }
}

#[test]
fn rsyslogd_at_its_default_size_files_the_cut_version_intact() {
    use raudit::output::Sink;
    use raudit::stats::Stats;

    let Some(bin) = rsyslogd_or_skip() else {
        return;
    };
    let dir = temp_dir("rsyslogd-cut");
    let socket = dir.join("log");
    let file = dir.join("audit.log");
    // rsyslog's own maxMessageSize (8k) left as it is.
    let config = rsyslog_config(
        &dir,
        None,
        &imuxsock(&socket),
        "programname",
        "%msg:2:$%",
        &file,
    );
    let _daemon = start_rsyslogd(&bin, &dir, &config);
    wait_for("rsyslogd's socket", || socket.exists());
    let spec = syslog_spec_with(
        SyslogNetwork::Unixgram,
        socket.to_str().unwrap(),
        "go-audit",
        SyslogFormat::Rfc3164,
        Some(8192),
    );
    let mut sink = Sink::new(Box::new(Syslog::open(&spec, 65536)), 3, Duration::ZERO, 0);
    let stats = Stats::new(&["syslog"]);
    let whole = format!(
        "{{\"sequence\":9,\"messages\":[{{\"type\":1309,\"data\":\"a0={}\"}}]}}\n",
        "A".repeat(20_000)
    );
    let cut = format!(
        "{{\"sequence\":9,\"messages\":[{{\"type\":1309,\"data\":\"a0={}\"}}],\"cut\":{{\"arguments\":1,\"bytes\":13000}}}}\n",
        "A".repeat(7_000)
    );
    let side = LineSide {
        facts: None,
        cut: Some(cut.as_bytes()),
    };
    sink.write(whole.as_bytes(), &side, &stats);
    sink.write(LINE, &NO_SIDE, &stats);
    wait_for("2 lines in rsyslog's file", || lines_in(&file).len() >= 2);
    let lines = lines_in(&file);
    assert_eq!(lines[0], cut.trim_end(), "the cut version, intact");
    assert_eq!(lines[1].as_bytes(), LINE.strip_suffix(b"\n").unwrap());
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.cut.get(), c.errors.get()), (2, 1, 0));
}

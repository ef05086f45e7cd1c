//! The syslog output against real sockets: a unix datagram listener gets
//! exactly go-audit's RFC 3164 bytes; RFC 5424, TCP framing and UDP; an
//! oversized datagram is refused, not fatal; a recreated listener is
//! reconnected to; no allocation per event; and Debian's rsyslogd, started
//! with a private config on a temp socket, files the events intact.
//! Loopback and temp-dir sockets only.

mod alloc_count;

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use raudit::config::{IpFamily, SyslogFormat, SyslogNetwork, SyslogOutput};
use raudit::output::{Output, Syslog};

const LINE: &[u8] = br#"{"sequence":1234,"timestamp":"1700000000.123","messages":[{"type":1300,"data":"arch=c000003e syscall=59 success=yes exit=0 pid=4321 auid=1000 uid=0 comm=\"ls\" exe=\"/usr/bin/ls\" key=\"exec\""}],"uid_map":{"0":"root"}}
"#;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("raudit-syslog-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn spec(network: SyslogNetwork, address: &str, format: SyslogFormat) -> SyslogOutput {
    SyslogOutput {
        attempts: 3,
        network,
        address: address.to_owned(),
        priority: 132,
        tag: "go-audit".to_owned(),
        format,
    }
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
    let path = dir.join("log");
    let server = UnixDatagram::bind(&path).unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let s = spec(
        SyslogNetwork::Unixgram,
        path.to_str().unwrap(),
        SyslogFormat::Rfc3164,
    );
    let mut out = Syslog::open(&s, 65536);
    let pid = std::process::id();
    sent_at(
        || date("%b %e %H:%M:%S"),
        || {
            out.write_line(LINE).unwrap();
            let mut buf = vec![0; 65536];
            let n = server.recv(&mut buf).unwrap();
            buf.truncate(n);
            buf
        },
        |stamp| {
            let mut v = format!("<132>{stamp} go-audit[{pid}]: ").into_bytes();
            v.extend_from_slice(LINE);
            v
        },
    );
    // A line without its newline gets one, as Go's Writer adds it.
    out.write_line(LINE.strip_suffix(b"\n").unwrap()).unwrap();
    let mut buf = vec![0; 65536];
    let n = server.recv(&mut buf).unwrap();
    assert!(buf[..n].ends_with(LINE));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn unixgram_rfc5424() {
    let dir = temp_dir("5424");
    let path = dir.join("log");
    let server = UnixDatagram::bind(&path).unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let s = spec(
        SyslogNetwork::Unixgram,
        path.to_str().unwrap(),
        SyslogFormat::Rfc5424,
    );
    let mut out = Syslog::open(&s, 65536);
    out.write_line(LINE).unwrap();
    let mut buf = vec![0; 65536];
    let n = server.recv(&mut buf).unwrap();
    let got = String::from_utf8(buf[..n].to_vec()).unwrap();
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
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn tcp_rfc5424_is_octet_counted() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let s = spec(
        SyslogNetwork::Tcp(IpFamily::V4),
        &address,
        SyslogFormat::Rfc5424,
    );
    let mut out = Syslog::open(&s, 65536);
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    out.write_line(LINE).unwrap();
    out.write_line(b"{\"second\":2}\n").unwrap();
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
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let s = spec(
        SyslogNetwork::Tcp(IpFamily::Any),
        &address,
        SyslogFormat::Rfc3164,
    );
    let mut out = Syslog::open(&s, 65536);
    let (conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reader = BufReader::new(conn);
    let (host, pid) = (hostname(), std::process::id());
    sent_at(
        go_rfc3339,
        || {
            out.write_line(LINE).unwrap();
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
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let address = server.local_addr().unwrap().to_string();
    let s = spec(
        SyslogNetwork::Udp(IpFamily::V4),
        &address,
        SyslogFormat::Rfc3164,
    );
    let mut out = Syslog::open(&s, 65536);
    let (host, pid) = (hostname(), std::process::id());
    sent_at(
        go_rfc3339,
        || {
            out.write_line(LINE).unwrap();
            let mut buf = vec![0; 65536];
            let n = server.recv(&mut buf).unwrap();
            buf.truncate(n);
            buf
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
    let path = dir.join("log");
    let server = UnixDatagram::bind(&path).unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let s = spec(
        SyslogNetwork::Unixgram,
        path.to_str().unwrap(),
        SyslogFormat::Rfc3164,
    );
    let mut out = Syslog::open(&s, 65536);
    // Larger than any default unix datagram send buffer (wmem_max).
    let mut big = vec![b'x'; 16 << 20];
    big.push(b'\n');
    for _ in 0..3 {
        let err = out.write_line(&big).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMSGSIZE));
    }
    assert_eq!(out.too_large(), 3);
    out.write_line(LINE).unwrap();
    let mut buf = vec![0; 65536];
    let n = server.recv(&mut buf).unwrap();
    assert!(buf[..n].ends_with(LINE));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_recreated_listener_is_reconnected_to() {
    let dir = temp_dir("reconnect");
    let path = dir.join("log");
    let server = UnixDatagram::bind(&path).unwrap();
    let s = spec(
        SyslogNetwork::Unixgram,
        path.to_str().unwrap(),
        SyslogFormat::Rfc3164,
    );
    let mut out = Syslog::open(&s, 65536);
    out.write_line(b"{\"n\":1}\n").unwrap();
    // rsyslog restarts: the socket goes away …
    drop(server);
    std::fs::remove_file(&path).unwrap();
    assert!(out.write_line(b"{\"n\":2}\n").is_err());
    // … and comes back at the same path.
    let server = UnixDatagram::bind(&path).unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    out.write_line(b"{\"n\":3}\n").unwrap();
    let mut buf = vec![0; 4096];
    let n = server.recv(&mut buf).unwrap();
    assert!(buf[..n].ends_with(b"{\"n\":3}\n"));
    assert!(out.reconnects() >= 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn no_receiver_at_start_is_not_fatal() {
    let dir = temp_dir("absent");
    let path = dir.join("log");
    let s = spec(
        SyslogNetwork::Unix,
        path.to_str().unwrap(),
        SyslogFormat::Rfc3164,
    );
    let mut out = Syslog::open(&s, 1024);
    assert!(out.write_line(LINE).is_err());
    let _ = std::fs::remove_dir_all(dir);
}

// ---- no allocation per event ------------------------------------------

#[test]
fn writing_events_allocates_nothing() {
    let dir = temp_dir("alloc");
    let path = dir.join("log");
    let server = UnixDatagram::bind(&path).unwrap();
    let s = spec(
        SyslogNetwork::Unixgram,
        path.to_str().unwrap(),
        SyslogFormat::Rfc5424,
    );
    let mut out = Syslog::open(&s, 65536);
    let mut buf = vec![0; 65536];
    out.write_line(LINE).unwrap();
    server.recv(&mut buf).unwrap();
    let ((), allocations) = alloc_count::allocations_in(|| {
        for _ in 0..1000 {
            out.write_line(LINE).unwrap();
            server.recv(&mut buf).unwrap();
        }
    });
    assert_eq!(allocations, 0);
    let _ = std::fs::remove_dir_all(dir);
}

// ---- a real receiver: rsyslogd ------------------------------------------

/// rsyslogd started by the test; killed (by its pid) when dropped.
struct Rsyslogd(std::process::Child);

impl Drop for Rsyslogd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn rsyslogd() -> Option<PathBuf> {
    ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn start_rsyslogd(bin: &Path, dir: &Path, config: &str) -> Rsyslogd {
    let conf = dir.join("rsyslog.conf");
    std::fs::write(&conf, config).unwrap();
    let child = Command::new(bin)
        .arg("-n")
        .arg("-f")
        .arg(&conf)
        .arg("-i")
        .arg(dir.join("rsyslogd.pid"))
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    Rsyslogd(child)
}

fn lines_in(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
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
    let config = format!(
        r#"global(workDirectory="{dir}" maxMessageSize="256k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{socket}")
template(name="raw" type="string" string="%programname%|%msg:2:$%\n")
if $programname == "go-audit" then {{
  action(type="omfile" file="{file}" template="raw")
  stop
}}
"#,
        dir = dir.display(),
        socket = socket.display(),
        file = file.display(),
    );
    let _daemon = start_rsyslogd(&bin, &dir, &config);
    wait_for("rsyslogd's socket", || socket.exists());
    let s = spec(
        SyslogNetwork::Unixgram,
        socket.to_str().unwrap(),
        SyslogFormat::Rfc3164,
    );
    let mut out = Syslog::open(&s, 65536);
    let event = std::str::from_utf8(LINE).unwrap().trim_end();
    for _ in 0..3 {
        out.write_line(LINE).unwrap();
    }
    wait_for("3 lines in rsyslog's file", || lines_in(&file).len() >= 3);
    for line in lines_in(&file) {
        assert_eq!(line, format!("go-audit|{event}"));
    }
    let _ = std::fs::remove_dir_all(dir);
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
    let config = format!(
        r#"global(workDirectory="{dir}" maxMessageSize="256k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="{port}")
template(name="raw" type="string" string="%app-name%|%procid%|%msg%\n")
if $app-name == "go-audit" then {{
  action(type="omfile" file="{file}" template="raw")
  stop
}}
"#,
        dir = dir.display(),
        port = port_file.display(),
        file = file.display(),
    );
    let _daemon = start_rsyslogd(&bin, &dir, &config);
    wait_for("rsyslogd's port file", || {
        std::fs::read_to_string(&port_file).is_ok_and(|p| !p.trim().is_empty())
    });
    let port = std::fs::read_to_string(&port_file).unwrap();
    let address = format!("127.0.0.1:{}", port.trim());
    let s = spec(
        SyslogNetwork::Tcp(IpFamily::V4),
        &address,
        SyslogFormat::Rfc5424,
    );
    let mut out = Syslog::open(&s, 65536);
    let event = std::str::from_utf8(LINE).unwrap().trim_end();
    // Large enough that newline framing would not be what keeps it whole.
    let big = format!("{{\"big\":\"{}\"}}\n", "y".repeat(100_000));
    out.write_line(LINE).unwrap();
    out.write_line(big.as_bytes()).unwrap();
    out.write_line(LINE).unwrap();
    wait_for("3 lines in rsyslog's file", || lines_in(&file).len() >= 3);
    let lines = lines_in(&file);
    let pid = std::process::id();
    assert_eq!(lines[0], format!("go-audit|{pid}|{event}"));
    assert_eq!(lines[1], format!("go-audit|{pid}|{}", big.trim_end()));
    assert_eq!(lines[2], lines[0]);
    let _ = std::fs::remove_dir_all(dir);
}

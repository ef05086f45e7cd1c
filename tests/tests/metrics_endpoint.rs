//! The metrics endpoint served from a `Stats` in this process (no kernel
//! needed): HTTP answers and bounds, the unix socket, `promtool check
//! metrics` on a real scrape, and a real Prometheus server (started here
//! with its own config and storage in a scratch directory, ended by pid)
//! that scrapes the endpoint and answers queries with the values set here.
//! Without `promtool` or `prometheus` (Debian's `prometheus` package; .ci/run
//! installs it) those two tests say SKIPPED on stderr and return.

#[macro_use]
#[path = "../skip.rs"]
mod skips;

#[path = "../scratch_dir.rs"]
mod scratch_dir;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use raudit::metrics::server::CONNECTION_TIME;
use raudit::metrics::MetricsAddress;
use raudit::metrics::MetricsServer;
use raudit::stats::Stats;

use scratch_dir::ScratchDir;

fn serve(stats: &Arc<Stats>) -> (MetricsServer, SocketAddr) {
    let any_port = MetricsAddress::Tcp("127.0.0.1:0".parse().unwrap());
    let server = MetricsServer::start(&any_port, Arc::clone(stats)).unwrap();
    let MetricsAddress::Tcp(addr) = *server.address() else {
        panic!("a TCP address");
    };
    (server, addr)
}

/// Sends `request` and reads the whole response (the server closes).
fn exchange(stream: &mut (impl Read + Write), request: &[u8]) -> String {
    stream.write_all(request).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn get(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    exchange(&mut stream, request.as_bytes())
}

fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

fn scratch(name: &str) -> ScratchDir {
    ScratchDir::new(&format!("metrics-{name}"))
}

fn tool(name: &str) -> Option<PathBuf> {
    let path = Path::new("/usr/bin").join(name);
    if path.exists() {
        Some(path)
    } else {
        skip!("SKIPPED: {name} is not installed (Debian package prometheus)");
        None
    }
}

#[test]
fn answers_get_head_404_405_and_400() {
    let stats = Arc::new(Stats::new(&["file"]));
    stats.records.add(5);
    stats.outputs[0].sent.add(4);
    let (server, addr) = serve(&stats);

    let ok = get(addr, "GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n");
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
    assert!(
        ok.contains("Content-Type: text/plain; version=0.0.4"),
        "{ok}"
    );
    let text = body(&ok);
    assert!(text.contains("\nraudit_records_total 5\n"), "{text}");
    assert!(
        text.contains("raudit_output_sent_total{output=\"file\"} 4\n"),
        "{text}"
    );
    let length: usize = ok
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(length, text.len());

    // The values are read at each scrape.
    stats.records.add(1);
    assert!(
        body(&get(addr, "GET /metrics HTTP/1.0\r\n\r\n")).contains("\nraudit_records_total 6\n")
    );

    let head = get(addr, "HEAD /metrics HTTP/1.1\r\n\r\n");
    assert!(
        head.starts_with("HTTP/1.1 200 OK\r\n") && body(&head).is_empty(),
        "{head}"
    );
    let missing = get(addr, "GET / HTTP/1.1\r\n\r\n");
    assert!(missing.starts_with("HTTP/1.1 404 "), "{missing}");
    let post = get(addr, "POST /metrics HTTP/1.1\r\n\r\n");
    assert!(post.starts_with("HTTP/1.1 405 "), "{post}");
    let bad = get(addr, "hello\r\n\r\n");
    assert!(bad.starts_with("HTTP/1.1 400 "), "{bad}");
    let huge = format!("GET /metrics HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(10_000));
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(huge.as_bytes()).unwrap();
    let mut response = [0u8; 64];
    let n = stream.read(&mut response).unwrap();
    assert!(
        response[..n].starts_with(b"HTTP/1.1 400 "),
        "{:?}",
        &response[..n]
    );
    server.stop();
    assert!(
        TcpStream::connect(addr).is_err(),
        "still listening after stop"
    );
}

#[test]
fn a_silent_client_is_cut_off_and_does_not_block_the_next() {
    let stats = Arc::new(Stats::new(&["stdout"]));
    let (server, addr) = serve(&stats);
    let started = Instant::now();
    let mut silent = TcpStream::connect(addr).unwrap();
    silent.write_all(b"GET /metr").unwrap();
    // Served after the silent one's time is up, not never.
    let ok = get(addr, "GET /metrics HTTP/1.1\r\n\r\n");
    assert!(ok.starts_with("HTTP/1.1 200 "), "{ok}");
    let waited = started.elapsed();
    assert!(
        waited < CONNECTION_TIME + Duration::from_secs(2),
        "{waited:?}"
    );
    // The silent client got a 400 for its half request, or nothing, and
    // its connection was closed (a read that times out: left open).
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut rest = String::new();
    let closed = silent.read_to_string(&mut rest);
    assert!(
        closed.is_ok()
            || closed
                .as_ref()
                .is_err_and(|e| e.kind() == ErrorKind::ConnectionReset),
        "the silent connection was not closed: {closed:?}"
    );
    assert!(
        rest.is_empty() || rest.starts_with("HTTP/1.1 400 "),
        "{rest}"
    );
    server.stop();
}

#[test]
fn serves_on_a_unix_socket_replacing_a_stale_one_and_removes_it() {
    let dir = scratch("unix");
    let path = dir.join("metrics.sock");
    // A socket nobody listens on, as a killed raudit leaves it.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let stats = Arc::new(Stats::new(&["file"]));
    stats.events.add(9);
    let address = MetricsAddress::Unix(path.clone());
    let server = MetricsServer::start(&address, Arc::clone(&stats)).unwrap();
    // A second server on the same live socket is refused, naming it.
    let error = MetricsServer::start(&address, Arc::clone(&stats))
        .err()
        .expect("the socket is in use");
    assert!(error.to_string().contains("metrics.sock"), "{error}");
    let mut stream = UnixStream::connect(&path).unwrap();
    let response = exchange(&mut stream, b"GET /metrics HTTP/1.1\r\n\r\n");
    assert!(
        body(&response).contains("\nraudit_events_total 9\n"),
        "{response}"
    );
    server.stop();
    assert!(!path.exists(), "socket left behind");

    // A file that is not a socket is never removed.
    std::fs::write(&path, "keep").unwrap();
    let error = MetricsServer::start(&address, stats)
        .err()
        .expect("refused");
    assert!(error.to_string().contains("not a socket"), "{error}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep");
}

#[test]
fn promtool_accepts_a_scrape() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let stats = Arc::new(Stats::new(&["file", "stdout", "syslog", "gelf"]));
    stats.records.add(12);
    stats.kernel_backlog.set(2);
    let (server, addr) = serve(&stats);
    let scrape = get(addr, "GET /metrics HTTP/1.1\r\n\r\n");
    server.stop();
    let mut check = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(body(&scrape).as_bytes())
        .unwrap();
    let out = check.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // promtool's lint findings (naming, help) also fail the check.
    assert!(out.status.success(), "promtool: {said}\n{}", body(&scrape));
    assert!(said.trim().is_empty(), "promtool: {said}");
}

/// A Prometheus server of our own, ended by pid on drop.
struct Prometheus {
    child: Child,
    web: SocketAddr,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(binary: &Path, dir: &Path, target: SocketAddr) -> Prometheus {
        let web = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: raudit\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={web}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
            .spawn()
            .unwrap();
        Prometheus { child, web }
    }

    /// The instant value of `query`'s first series, if any.
    fn query(&self, query: &str) -> Option<String> {
        let mut stream = TcpStream::connect(self.web).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let encoded = query
            .replace('{', "%7B")
            .replace('}', "%7D")
            .replace('"', "%22")
            .replace('=', "%3D");
        let request = format!("GET /api/v1/query?query={encoded} HTTP/1.0\r\n\r\n");
        stream.write_all(request.as_bytes()).ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let json: serde_json::Value = serde_json::from_str(body(&response)).ok()?;
        json["data"]["result"][0]["value"][1]
            .as_str()
            .map(str::to_owned)
    }

    fn wait_for(&self, query: &str, value: &str, dir: &Path) {
        let started = Instant::now();
        loop {
            let seen = self.query(query);
            if seen.as_deref() == Some(value) {
                return;
            }
            if started.elapsed() > Duration::from_secs(60) {
                let log = std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default();
                panic!("{query}: wanted {value}, Prometheus has {seen:?}\n{log}");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

#[test]
fn a_prometheus_server_scrapes_the_values() {
    let Some(binary) = tool("prometheus") else {
        return;
    };
    let dir = scratch("prometheus");
    let stats = Arc::new(Stats::new(&["file", "stdout"]));
    stats.records.add(7);
    stats.kernel_backlog.set(3);
    stats.outputs[1].bytes.add(1234);
    let (server, addr) = serve(&stats);
    let prometheus = Prometheus::start(&binary, &dir, addr);
    prometheus.wait_for("up{job=\"raudit\"}", "1", &dir);
    prometheus.wait_for("raudit_records_total", "7", &dir);
    prometheus.wait_for("raudit_kernel_backlog", "3", &dir);
    prometheus.wait_for("raudit_output_bytes_total{output=\"stdout\"}", "1234", &dir);
    // A later scrape carries the new value.
    stats.records.add(5);
    prometheus.wait_for("raudit_records_total", "12", &dir);
    drop(prometheus);
    server.stop();
}

//! What the output integration tests share, written once: the visible
//! `skip!`, `ScratchDir`, the empty side, loopback listeners and free
//! ports, specs as go-audit's config writes them, a plain file output and
//! the writer threads over a queue, waiting for a condition, the lines of
//! a file, and rsyslogd started on a private config (killed by its pid when
//! dropped). Included with `#[macro_use] mod support;`; what one file does
//! not use is allowed to be dead.
#![allow(dead_code, unused_macros)]

#[macro_use]
#[path = "../../../tests/skip.rs"]
mod skips;

#[path = "../../../tests/scratch_dir.rs"]
pub mod scratch_dir;

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use raudit::output::{
    run_writers, FileOutput, FileSpec, GelfCompression, GelfCompressionType, GelfNetwork, GelfSpec,
    Requests, Sink, SyslogFormat, SyslogNetwork, SyslogSpec, WriterSettings,
};
use raudit::queue::Queue;
use raudit::side::LineSide;
use raudit::stats::Stats;

/// Nothing beside a line: no facts, no cut version.
pub const NO_SIDE: LineSide<'static> = LineSide {
    facts: None,
    cut: None,
};

/// How long a receiver gets to read what it was sent.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A TCP listener on a free loopback port, and its address.
pub fn tcp_listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    (listener, address)
}

/// A UDP socket on a free loopback port, its reads timing out after
/// [`READ_TIMEOUT`], and its address.
pub fn udp_server() -> (UdpSocket, String) {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    server.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let address = server.local_addr().unwrap().to_string();
    (server, address)
}

/// A loopback TCP port free now (bound, then released): nobody listens.
pub fn free_tcp_port() -> u16 {
    tcp_listener().0.local_addr().unwrap().port()
}

/// A syslog spec as go-audit's config writes one: priority 132, tag
/// `go-audit`, no message limit of its own, no TLS.
pub fn syslog_spec(network: SyslogNetwork, address: &str, format: SyslogFormat) -> SyslogSpec {
    syslog_spec_with(network, address, "go-audit", format, None)
}

/// [`syslog_spec`] with another tag and `max_message_bytes`.
pub fn syslog_spec_with(
    network: SyslogNetwork,
    address: &str,
    tag: &str,
    format: SyslogFormat,
    max_message_bytes: Option<u32>,
) -> SyslogSpec {
    SyslogSpec::new(
        network,
        address.to_owned(),
        132,
        tag.to_owned(),
        format,
        max_message_bytes,
    )
}

/// A GELF spec compressing (over UDP) with `kind` at level 1, no TLS, no
/// spool.
pub fn gelf_spec(network: GelfNetwork, address: String, kind: GelfCompressionType) -> GelfSpec {
    GelfSpec {
        network,
        address,
        compression: GelfCompression { level: 1, kind },
        tls: None,
        spool: None,
    }
}

/// The file output at `path` (mode 0600, no owner change, no rotation)
/// batching `batch` bytes.
pub fn file_output(path: &Path, batch: usize) -> FileOutput {
    let spec = FileSpec {
        path: path.to_owned(),
        mode: 0o600,
        uid: None,
        gid: None,
        rotation: None,
    };
    FileOutput::open(spec, batch).unwrap()
}

/// The output threads writing `sinks` from `queue`, as the daemon runs
/// them (no loss report within a test's time, no requests); joined when
/// the queue is closed and drained.
pub fn writer_thread(queue: &Arc<Queue>, sinks: Vec<Sink>, stats: &Arc<Stats>) -> JoinHandle<()> {
    let (queue, stats) = (Arc::clone(queue), Arc::clone(stats));
    let settings = WriterSettings {
        loss_report_interval: Duration::from_secs(3600),
        control_outline: raudit::json::ControlOutline::GoAudit,
        requests: Requests::NONE,
    };
    std::thread::spawn(move || run_writers(&queue, sinks, &stats, settings))
}

/// Polls `done` every 50 ms; fails, naming `what`, after 15 s.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The lines of the file at `path`; none while it does not exist.
pub fn lines_in(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A receiver the test started; killed (by its pid) when dropped.
pub struct KilledOnDrop(pub Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// rsyslogd, if installed.
pub fn rsyslogd() -> Option<PathBuf> {
    ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// rsyslogd, or `None` after a visible skip (`skip!`) saying it is not
/// installed.
pub fn rsyslogd_or_skip() -> Option<PathBuf> {
    let found = rsyslogd();
    if found.is_none() {
        skip!("skipped: rsyslogd is not installed (Debian package rsyslog)");
    }
    found
}

/// rsyslogd in the foreground on `config` (written to `dir`), its pid file
/// in `dir` too.
pub fn start_rsyslogd(bin: &Path, dir: &Path, config: &str) -> KilledOnDrop {
    let conf = dir.join("rsyslog.conf");
    std::fs::write(&conf, config).unwrap();
    let child = Command::new(bin)
        .arg("-n")
        .arg("-f")
        .arg(&conf)
        .arg("-i")
        .arg(dir.join("rsyslogd.pid"))
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    KilledOnDrop(child)
}

/// Waits until a receiver wrote the loopback port it listens on into
/// `port_file`; its address.
pub fn listening_address(port_file: &Path) -> String {
    let what = format!("the port in {}", port_file.display());
    wait_for(&what, || {
        std::fs::read_to_string(port_file).is_ok_and(|p| !p.trim().is_empty())
    });
    let port = std::fs::read_to_string(port_file).unwrap();
    format!("127.0.0.1:{}", port.trim())
}

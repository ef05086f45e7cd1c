//! TLS for the stream outputs against receivers nobody here wrote:
//! Debian's rsyslogd with its GnuTLS driver (RFC 5425, client
//! certificates required) files syslog events whole and in order; a
//! server certificate from another CA and an expired one are refused with
//! rustls's reason and counted as the output's errors; GELF over TLS goes
//! to Python's `ssl` server as NUL-framed messages. The CA and the
//! certificates are made by the test (rcgen). Loopback only.

mod alloc_count;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

use raudit::config::{
    GelfCompression, GelfNetwork, GelfOutput, IpFamily, SyslogFormat, SyslogNetwork, SyslogOutput,
    TlsSettings, TlsVersion,
};
use raudit::output::{Gelf, GelfSpec, Output, Sink, Syslog, SyslogSpec, TlsClient};
use raudit::side::LineSide;
use raudit::stats::Stats;

const NO_SIDE: LineSide<'static> = LineSide {
    facts: None,
    cut: None,
};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("raudit-tls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A CA that writes `ca.pem` into `dir` and signs leaf certificates.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new(dir: &Path, name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("raudit test CA {name}"));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        std::fs::write(dir.join(format!("{name}.pem")), issuer.pem()).unwrap();
        Ca { issuer }
    }

    /// Writes `NAME.pem` and `NAME.key`, a leaf for 127.0.0.1 and
    /// localhost; `expired`: valid only in 2020.
    fn leaf(&self, dir: &Path, name: &str, expired: bool) {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, format!("raudit test {name}"));
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2020, 12, 31);
        }
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).unwrap();
        std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
    }
}

fn settings(dir: &Path, ca: &str) -> TlsSettings {
    TlsSettings {
        ca_file: Some(dir.join(format!("{ca}.pem"))),
        cert_file: Some(dir.join("client.pem")),
        key_file: Some(dir.join("client.key")),
        server_name: None,
        min_version: TlsVersion::V1_2,
    }
}

/// A receiver started by the test; killed (by its pid) when dropped.
struct Receiver(Child);

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// rsyslogd and its GnuTLS driver, if installed.
fn rsyslogd_with_tls() -> Option<PathBuf> {
    let bin = PathBuf::from("/usr/sbin/rsyslogd");
    let driver = Path::new("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so");
    (bin.exists() && driver.exists()).then_some(bin)
}

/// rsyslogd listening with TLS on a loopback port with `server` (its
/// `.pem` and `.key` in `dir`), requiring a client certificate from `ca`;
/// returns it and the address. Events go to `dir/audit.log`.
fn start_rsyslogd(bin: &Path, dir: &Path, server: &str) -> (Receiver, String) {
    let port_file = dir.join("port");
    let config = format!(
        r#"global(workDirectory="{dir}" maxMessageSize="256k"
  DefaultNetstreamDriver="gtls"
  DefaultNetstreamDriverCAFile="{dir}/ca.pem"
  DefaultNetstreamDriverCertFile="{dir}/{server}.pem"
  DefaultNetstreamDriverKeyFile="{dir}/{server}.key")
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1"
  StreamDriver.AuthMode="x509/certvalid")
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="{port}")
template(name="raw" type="string" string="%app-name%|%msg%\n")
template(name="legacy" type="string" string="%programname%|%msg:2:$%\n")
if $programname == "legacy" then {{
  action(type="omfile" file="{dir}/legacy.log" template="legacy")
  stop
}}
if $app-name == "go-audit" then {{
  action(type="omfile" file="{dir}/audit.log" template="raw")
  stop
}}
"#,
        dir = dir.display(),
        port = port_file.display(),
    );
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
    let receiver = Receiver(child);
    wait_for("rsyslogd's port file", || {
        std::fs::read_to_string(&port_file).is_ok_and(|p| !p.trim().is_empty())
    });
    let port = std::fs::read_to_string(&port_file).unwrap();
    (receiver, format!("127.0.0.1:{}", port.trim()))
}

fn syslog_spec(address: &str, tls: &TlsSettings) -> SyslogSpec {
    syslog_spec_as(address, tls, "go-audit", SyslogFormat::Rfc5424)
}

fn syslog_spec_as(address: &str, tls: &TlsSettings, tag: &str, format: SyslogFormat) -> SyslogSpec {
    let mut spec = SyslogSpec::from_config(&SyslogOutput {
        attempts: 1,
        network: SyslogNetwork::Tcp(IpFamily::V4),
        address: address.to_owned(),
        priority: 132,
        tag: tag.to_owned(),
        format,
        max_message_bytes: None,
        tls: Some(tls.clone()),
    });
    spec.tls = Some(TlsClient::new(tls, address).unwrap());
    spec
}

fn lines_in(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[test]
fn rsyslogd_files_events_over_tls_whole_and_in_order() {
    let Some(bin) = rsyslogd_with_tls() else {
        eprintln!("skipped: rsyslogd or its TLS driver is not installed (rsyslog-gnutls)");
        return;
    };
    let dir = temp_dir("rsyslog");
    let ca = Ca::new(&dir, "ca");
    ca.leaf(&dir, "server", false);
    ca.leaf(&dir, "client", false);
    let (_daemon, address) = start_rsyslogd(&bin, &dir, "server");
    let spec = syslog_spec(&address, &settings(&dir, "ca"));
    let mut out = Syslog::open(&spec, 256 * 1024);
    // Larger than one TLS record: it goes as several, and arrives whole.
    let big = format!("{{\"big\":\"{}\"}}\n", "y".repeat(100_000));
    let mut sent = Vec::new();
    for n in 0..500 {
        let line = if n == 250 {
            big.clone()
        } else {
            format!("{{\"sequence\":{n}}}\n")
        };
        out.write_line(line.as_bytes(), &NO_SIDE).unwrap();
        sent.push(format!("go-audit|{}", line.trim_end()));
    }
    let file = dir.join("audit.log");
    wait_for("500 lines in rsyslog's file", || {
        lines_in(&file).len() >= 500
    });
    assert_eq!(lines_in(&file), sent);

    // RFC 3164 (go-audit's form) over TLS is octet-counted too: a large
    // event and the ones around it arrive whole.
    let spec = syslog_spec_as(
        &address,
        &settings(&dir, "ca"),
        "legacy",
        SyslogFormat::Rfc3164,
    );
    let mut legacy = Syslog::open(&spec, 256 * 1024);
    let mut sent = Vec::new();
    for line in ["{\"a\":1}\n", big.as_str(), "{\"a\":2}\n"] {
        legacy.write_line(line.as_bytes(), &NO_SIDE).unwrap();
        sent.push(format!("legacy|{}", line.trim_end()));
    }
    let file = dir.join("legacy.log");
    wait_for("3 lines in rsyslog's legacy file", || {
        lines_in(&file).len() >= 3
    });
    assert_eq!(lines_in(&file), sent);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sending_over_tls_allocates_only_rustls_one_per_record() {
    let Some(bin) = rsyslogd_with_tls() else {
        eprintln!("skipped: rsyslogd or its TLS driver is not installed (rsyslog-gnutls)");
        return;
    };
    let dir = temp_dir("alloc");
    let ca = Ca::new(&dir, "ca");
    ca.leaf(&dir, "server", false);
    ca.leaf(&dir, "client", false);
    let (_daemon, address) = start_rsyslogd(&bin, &dir, "server");
    let spec = syslog_spec(&address, &settings(&dir, "ca"));
    let mut out = Syslog::open(&spec, 65536);
    let line = b"{\"sequence\":1,\"messages\":[{\"type\":1300,\"data\":\"syscall=59\"}]}\n";
    // Larger than one record: several records per event, still no allocation.
    let big = format!("{{\"big\":\"{}\"}}\n", "y".repeat(40_000));
    out.write_line(line, &NO_SIDE).unwrap();
    let mut records = 0;
    let ((), allocations) = alloc_count::allocations_in(|| {
        for n in 0..2000 {
            let event = if n % 100 == 0 { big.as_bytes() } else { line };
            out.write_line(event, &NO_SIDE).unwrap();
            // The message is the event and a header of under 200 bytes.
            records += (event.len() + 200).div_ceil(16 * 1024);
        }
    });
    // rustls 0.23's record encrypter returns each encrypted record in a
    // Vec of its own (`OutboundOpaqueMessage`), which the unbuffered API
    // copies into our buffer and frees: one allocation per 16 KiB record
    // is rustls's, none is ours (no buffering, no growth).
    assert_eq!(allocations, records as u64);
    let file = dir.join("audit.log");
    wait_for("2001 lines in rsyslog's file", || {
        lines_in(&file).len() >= 2001
    });
    let _ = std::fs::remove_dir_all(dir);
}

/// Sends one event through a [`Sink`] to rsyslogd presenting `server`,
/// trusting `ca`; returns the error counter and the connect error.
fn refused(dir: &Path, server: &str, ca: &str) -> (u64, u64, String) {
    let bin = rsyslogd_with_tls().unwrap();
    let (_daemon, address) = start_rsyslogd(&bin, dir, server);
    let spec = syslog_spec(&address, &settings(dir, ca));
    let mut direct = Syslog::open(&spec, 4096);
    let error = direct
        .write_line(b"{\"refused\":1}\n", &NO_SIDE)
        .unwrap_err()
        .to_string();
    let mut sink = Sink::new(Box::new(Syslog::open(&spec, 4096)), 2, Duration::ZERO, 0);
    let stats = Stats::new(&["syslog"]);
    sink.write(b"{\"refused\":2}\n", &NO_SIDE, &stats);
    let counters = &stats.outputs[0];
    (counters.errors.get(), counters.sent.get(), error)
}

#[test]
fn a_server_certificate_from_another_ca_is_refused_and_counted() {
    if rsyslogd_with_tls().is_none() {
        eprintln!("skipped: rsyslogd or its TLS driver is not installed (rsyslog-gnutls)");
        return;
    }
    let dir = temp_dir("wrong-ca");
    let ca = Ca::new(&dir, "ca");
    ca.leaf(&dir, "server", false);
    ca.leaf(&dir, "client", false);
    Ca::new(&dir, "other");
    let (errors, sent, error) = refused(&dir, "server", "other");
    assert_eq!((errors, sent), (1, 0));
    assert!(
        error.contains("not signed by a CA of ca_file")
            && error.contains("other.pem")
            && error.contains("UnknownIssuer"),
        "{error}"
    );
    assert!(lines_in(&dir.join("audit.log")).is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_expired_server_certificate_is_refused_and_counted() {
    if rsyslogd_with_tls().is_none() {
        eprintln!("skipped: rsyslogd or its TLS driver is not installed (rsyslog-gnutls)");
        return;
    }
    let dir = temp_dir("expired");
    let ca = Ca::new(&dir, "ca");
    ca.leaf(&dir, "expired", true);
    ca.leaf(&dir, "client", false);
    let (errors, sent, error) = refused(&dir, "expired", "ca");
    assert_eq!((errors, sent), (1, 0));
    assert!(
        error.contains("certificate has expired") && error.contains("not valid after"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Python's `ssl` server: accepts one TLS connection (client certificate
/// required) and writes each NUL-ended frame it reads as one line.
const GELF_SERVER: &str = r#"
import socket, ssl, sys
d = sys.argv[1]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(d + "/server.pem", d + "/server.key")
ctx.load_verify_locations(d + "/ca.pem")
ctx.verify_mode = ssl.CERT_REQUIRED
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
open(d + "/port.tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(d + "/port.tmp", d + "/port")
c, _ = ctx.wrap_socket(s, server_side=True).accept()
buf = b""
with open(d + "/frames", "wb") as out:
    while True:
        data = c.recv(65536)
        if not data:
            break
        buf += data
        *frames, buf = buf.split(b"\0")
        for f in frames:
            out.write(f + b"\n")
            out.flush()
"#;

#[test]
fn gelf_over_tls_sends_null_framed_messages() {
    if !Path::new("/usr/bin/python3").exists() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let dir = temp_dir("gelf");
    let ca = Ca::new(&dir, "ca");
    ca.leaf(&dir, "server", false);
    ca.leaf(&dir, "client", false);
    let child = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(GELF_SERVER)
        .arg(&dir)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Receiver(child);
    let port_file = dir.join("port");
    wait_for("the GELF server's port", || port_file.exists());
    let address = format!("127.0.0.1:{}", std::fs::read_to_string(&port_file).unwrap());
    let tls = settings(&dir, "ca");
    let mut spec = GelfSpec::from_config(&GelfOutput {
        attempts: 1,
        network: GelfNetwork::Tcp,
        address: address.clone(),
        compression: GelfCompression::default(),
        tls: Some(tls.clone()),
    });
    spec.tls = Some(TlsClient::new(&tls, &address).unwrap());
    let mut out = Gelf::open(&spec, 65536);
    for n in 0..100 {
        let line = format!("{{\"sequence\":{n}}}\n");
        out.write_line(line.as_bytes(), &NO_SIDE).unwrap();
    }
    let frames = dir.join("frames");
    wait_for("100 GELF frames", || lines_in(&frames).len() >= 100);
    let mut text = String::new();
    std::fs::File::open(&frames)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    for (n, frame) in text.lines().enumerate() {
        let json: serde_json::Value = serde_json::from_str(frame).unwrap();
        let message = json["short_message"].as_str().unwrap();
        assert_eq!(message, format!("{{\"sequence\":{n}}}"), "{frame}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

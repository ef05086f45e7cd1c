//! TLS for the stream outputs against receivers nobody here wrote:
//! Debian's rsyslogd with its GnuTLS driver (RFC 5425, client
//! certificates required) files syslog events, RFC 5424 and RFC 3164, whole
//! and in order; a server certificate from another CA, an expired one and
//! one for another name are refused with the reason and counted as the
//! output's errors; a receiver that refuses our (missing) certificate after
//! a TLS 1.3 handshake costs errors, not silent losses; `min_version` 1.3
//! refuses a TLS 1.2-only receiver; GELF over TLS goes to Python's `ssl`
//! server as NUL-framed messages and survives the receiver closing the
//! session; and the allocations of a send are rustls's one per record. The
//! CA and the certificates are made by the test (rcgen). Loopback only.

#[macro_use]
mod support;

mod alloc_count;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

use raudit::output::{Gelf, GelfSpec, Output, Sink, Syslog, SyslogSpec, TlsClient};
use raudit::output::{
    GelfCompression, GelfNetwork, IpFamily, SyslogFormat, SyslogNetwork, TlsSpec, TlsVersion,
};
use raudit::stats::Stats;

use support::scratch_dir::ScratchDir;
use support::{
    lines_in, listening_address, rsyslogd, start_rsyslogd, syslog_spec_with, wait_for,
    KilledOnDrop, NO_SIDE,
};

fn temp_dir(name: &str) -> ScratchDir {
    ScratchDir::new(&format!("tls-{name}"))
}

/// A test's directory with `ca.pem` and a server and a client certificate
/// it signed (`server.pem`/`.key`, `client.pem`/`.key`); the CA, to sign
/// more.
fn with_certificates(name: &str) -> (ScratchDir, Ca) {
    let dir = temp_dir(name);
    let ca = Ca::new(&dir, "ca");
    ca.leaf(&dir, "server", false);
    ca.leaf(&dir, "client", false);
    (dir, ca)
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

fn settings(dir: &Path, ca: &str) -> TlsSpec {
    TlsSpec {
        ca_file: Some(dir.join(format!("{ca}.pem"))),
        cert_file: Some(dir.join("client.pem")),
        key_file: Some(dir.join("client.key")),
        server_name: None,
        min_version: TlsVersion::V1_2,
    }
}

/// rsyslogd and its GnuTLS driver, if installed; else `None` after a
/// visible skip (`skip!`).
fn rsyslogd_with_tls() -> Option<PathBuf> {
    // The driver sits in the architecture's library directory.
    let driver = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .any(|d| d.path().join("rsyslog/lmnsd_gtls.so").exists());
    let found = rsyslogd().filter(|_| driver);
    if found.is_none() {
        skip!("skipped: rsyslogd or its TLS driver is not installed (rsyslog-gnutls)");
    }
    found
}

/// rsyslogd listening with TLS on a loopback port with `server` (its
/// `.pem` and `.key` in `dir`), requiring a client certificate from `ca`;
/// returns it and the address. Events go to `dir/audit.log`.
fn start_tls_rsyslogd(bin: &Path, dir: &Path, server: &str) -> (KilledOnDrop, String) {
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
    let receiver = start_rsyslogd(bin, dir, &config);
    (receiver, listening_address(&port_file))
}

fn syslog_spec(address: &str, tls: &TlsSpec) -> SyslogSpec {
    syslog_spec_as(address, tls, "go-audit", SyslogFormat::Rfc5424)
}

fn syslog_spec_as(address: &str, tls: &TlsSpec, tag: &str, format: SyslogFormat) -> SyslogSpec {
    let mut spec = syslog_spec_with(SyslogNetwork::Tcp(IpFamily::V4), address, tag, format, None);
    spec.tls = Some(TlsClient::new(tls, address).unwrap());
    spec
}

/// One event as the output thread hands it over when nothing else is
/// queued: taken (gathered, over a stream), then flushed.
fn send(out: &mut dyn Output, line: &[u8]) -> std::io::Result<()> {
    out.write_line(line, &NO_SIDE)?;
    out.flush()
}

#[test]
fn rsyslogd_files_events_over_tls_whole_and_in_order() {
    let Some(bin) = rsyslogd_with_tls() else {
        return;
    };
    let (dir, _) = with_certificates("rsyslog");
    let (_daemon, address) = start_tls_rsyslogd(&bin, &dir, "server");
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
    // Gathered and written 16 KiB at a time; the rest at the flush.
    out.flush().unwrap();
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
    legacy.flush().unwrap();
    let file = dir.join("legacy.log");
    wait_for("3 lines in rsyslog's legacy file", || {
        lines_in(&file).len() >= 3
    });
    assert_eq!(lines_in(&file), sent);
}

#[test]
fn sending_over_tls_allocates_only_rustls_one_per_record() {
    let Some(bin) = rsyslogd_with_tls() else {
        return;
    };
    let (dir, _) = with_certificates("alloc");
    let (_daemon, address) = start_tls_rsyslogd(&bin, &dir, "server");
    let spec = syslog_spec(&address, &settings(&dir, "ca"));
    let mut out = Syslog::open(&spec, 65536);
    let line = b"{\"sequence\":1,\"messages\":[{\"type\":1300,\"data\":\"syscall=59\"}]}\n";
    // Larger than one record: several records per event, still no allocation.
    let big = format!("{{\"big\":\"{}\"}}\n", "y".repeat(40_000));
    send(&mut out, line).unwrap();
    let mut records = 0;
    let started = Instant::now();
    let ((), allocations) = alloc_count::allocations_in(|| {
        for n in 0..2000 {
            let event = if n % 100 == 0 { big.as_bytes() } else { line };
            // One event at a time, flushed: each its own TLS records.
            send(&mut out, event).unwrap();
            // The message is the event and a header of under 200 bytes.
            records += (event.len() + 200).div_ceil(16 * 1024);
        }
    });
    // rustls 0.23's record encrypter returns each encrypted record in a
    // Vec of its own (`OutboundOpaqueMessage`), which the unbuffered API
    // copies into our buffer and frees: one allocation per 16 KiB record
    // is rustls's, none is ours (no buffering, no growth).
    let elapsed = started.elapsed();
    eprintln!(
        "2000 events ({records} TLS records) to rsyslogd over TLS in {elapsed:?}: {:.0} events/s",
        2000.0 / elapsed.as_secs_f64()
    );
    assert_eq!(allocations, records as u64);
    let file = dir.join("audit.log");
    wait_for("2001 lines in rsyslog's file", || {
        lines_in(&file).len() >= 2001
    });
}

/// Sends one event through a [`Sink`] to rsyslogd (`bin`) presenting
/// `server`, trusting `ca`; returns the error counter and the connect error.
fn refused(bin: &Path, dir: &Path, server: &str, ca: &str) -> (u64, u64, String) {
    let (_daemon, address) = start_tls_rsyslogd(bin, dir, server);
    let spec = syslog_spec(&address, &settings(dir, ca));
    let mut direct = Syslog::open(&spec, 4096);
    let error = send(&mut direct, b"{\"refused\":1}\n")
        .unwrap_err()
        .to_string();
    let mut sink = Sink::new(Box::new(Syslog::open(&spec, 4096)), 2, Duration::ZERO, 0);
    let stats = Stats::new(&["syslog"]);
    sink.write(b"{\"refused\":2}\n", &NO_SIDE, &stats);
    sink.flush(&stats);
    let counters = &stats.outputs[0];
    (counters.errors.get(), counters.sent.get(), error)
}

#[test]
fn a_server_certificate_from_another_ca_is_refused_and_counted() {
    let Some(bin) = rsyslogd_with_tls() else {
        return;
    };
    let (dir, _) = with_certificates("wrong-ca");
    Ca::new(&dir, "other");
    let (errors, sent, error) = refused(&bin, &dir, "server", "other");
    assert_eq!((errors, sent), (1, 0));
    assert!(
        error.contains("not signed by a CA of ca_file")
            && error.contains("other.pem")
            && error.contains("UnknownIssuer"),
        "{error}"
    );
    assert!(lines_in(&dir.join("audit.log")).is_empty());
}

#[test]
fn an_expired_server_certificate_is_refused_and_counted() {
    let Some(bin) = rsyslogd_with_tls() else {
        return;
    };
    let dir = temp_dir("expired");
    let ca = Ca::new(&dir, "ca");
    ca.leaf(&dir, "expired", true);
    ca.leaf(&dir, "client", false);
    let (errors, sent, error) = refused(&bin, &dir, "expired", "ca");
    assert_eq!((errors, sent), (1, 0));
    assert!(
        error.contains("certificate has expired") && error.contains("not valid after"),
        "{error}"
    );
}

#[test]
fn a_receiver_refusing_our_certificate_is_an_error_not_a_silent_loss() {
    let Some(bin) = rsyslogd_with_tls() else {
        return;
    };
    let dir = temp_dir("no-client-cert");
    let ca = Ca::new(&dir, "ca");
    ca.leaf(&dir, "server", false);
    let (_daemon, address) = start_tls_rsyslogd(&bin, &dir, "server");
    let mut tls = settings(&dir, "ca");
    (tls.cert_file, tls.key_file) = (None, None);
    let spec = syslog_spec(&address, &tls);
    let mut sink = Sink::new(Box::new(Syslog::open(&spec, 4096)), 1, Duration::ZERO, 0);
    let stats = Stats::new(&["syslog"]);
    for n in 0..3 {
        sink.write(format!("{{\"n\":{n}}}\n").as_bytes(), &NO_SIDE, &stats);
    }
    sink.flush(&stats);
    let counters = &stats.outputs[0];
    assert_eq!((counters.sent.get(), counters.errors.get()), (0, 3));
    assert!(lines_in(&dir.join("audit.log")).is_empty());
}

/// Python's `ssl` server: accepts TLS connections one after another
/// (client certificate required) and writes each NUL-ended frame it reads
/// as one line; closes the first connection after `argv[2]` frames (0:
/// never); `argv[3]` = `tls12` offers TLS 1.2 at most.
const GELF_SERVER: &str = r#"
import os, socket, ssl, sys
d, close_after, version = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(d + "/server.pem", d + "/server.key")
ctx.load_verify_locations(d + "/ca.pem")
ctx.verify_mode = ssl.CERT_REQUIRED
if version == "tls12":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
open(d + "/port.tmp", "w").write(str(s.getsockname()[1]))
os.rename(d + "/port.tmp", d + "/port")
listener = ctx.wrap_socket(s, server_side=True)
out = open(d + "/frames", "wb")
first = True
while True:
    try:
        c, _ = listener.accept()
    except (ssl.SSLError, OSError) as e:
        open(d + "/refusals", "a").write(str(e) + "\n")
        continue
    buf, n = b"", 0
    while True:
        data = c.recv(65536)
        if not data:
            break
        buf += data
        *frames, buf = buf.split(b"\0")
        for f in frames:
            out.write(f + b"\n")
            out.flush()
            n += 1
        if first and close_after and n >= close_after:
            break
    c.close()
    first = False
"#;

fn start_gelf_server(dir: &Path, close_after: u32, version: &str) -> (KilledOnDrop, String) {
    let child = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(GELF_SERVER)
        .arg(dir)
        .arg(close_after.to_string())
        .arg(version)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let server = KilledOnDrop(child);
    (server, listening_address(&dir.join("port")))
}

fn gelf_spec(address: &str, tls: &TlsSpec) -> GelfSpec {
    let mut spec = GelfSpec {
        network: GelfNetwork::Tcp,
        address: address.to_owned(),
        compression: GelfCompression::default(),
        tls: None,
        spool: None,
    };
    spec.tls = Some(TlsClient::new(tls, address).unwrap());
    spec
}

/// The `short_message` of each frame the GELF server wrote.
fn gelf_messages(dir: &Path) -> Vec<String> {
    let mut text = String::new();
    std::fs::File::open(dir.join("frames"))
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .map(|frame| {
            let json: serde_json::Value = serde_json::from_str(frame).unwrap();
            json["short_message"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn python3() -> bool {
    let found = Path::new("/usr/bin/python3").exists();
    if !found {
        skip!("skipped: python3 is not installed");
    }
    found
}

#[test]
fn gelf_over_tls_sends_null_framed_messages_and_reconnects_when_closed() {
    if !python3() {
        return;
    }
    let (dir, _) = with_certificates("gelf");
    let (_server, address) = start_gelf_server(&dir, 50, "any");
    let spec = gelf_spec(&address, &settings(&dir, "ca"));
    let mut out = Gelf::open(&spec, 65536);
    let expected: Vec<String> = (0..100).map(|n| format!("{{\"sequence\":{n}}}")).collect();
    for (n, event) in expected.iter().enumerate() {
        out.write_line(format!("{event}\n").as_bytes(), &NO_SIDE)
            .unwrap();
        if n == 49 {
            out.flush().unwrap();
            // The server closes the session after 50 frames: the next
            // event goes over a new one.
            wait_for("the server to close", || {
                lines_in(&dir.join("frames")).len() >= 50
            });
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    out.flush().unwrap();
    wait_for("100 GELF frames", || {
        lines_in(&dir.join("frames")).len() >= 100
    });
    assert_eq!(gelf_messages(&dir), expected);
    assert_eq!(out.reconnects(), 1);
}

#[test]
fn a_server_certificate_for_another_name_is_refused() {
    if !python3() {
        return;
    }
    let (dir, _) = with_certificates("name");
    let (_server, address) = start_gelf_server(&dir, 0, "any");
    let mut tls = settings(&dir, "ca");
    tls.server_name = Some("logs.example.org".to_owned());
    let mut out = Gelf::open(&gelf_spec(&address, &tls), 4096);
    let error = send(&mut out, b"{\"a\":1}\n").unwrap_err().to_string();
    assert!(
        error.contains("not for the name it was reached by (set server_name)"),
        "{error}"
    );
    // The name the certificate carries is accepted.
    tls.server_name = Some("localhost".to_owned());
    let mut out = Gelf::open(&gelf_spec(&address, &tls), 4096);
    send(&mut out, b"{\"a\":2}\n").unwrap();
    wait_for("the frame", || !lines_in(&dir.join("frames")).is_empty());
    assert_eq!(gelf_messages(&dir), ["{\"a\":2}"]);
}

#[test]
fn min_version_1_3_refuses_a_tls_1_2_receiver() {
    if !python3() {
        return;
    }
    let (dir, _) = with_certificates("min-version");
    let (_server, address) = start_gelf_server(&dir, 0, "tls12");
    let mut tls = settings(&dir, "ca");
    tls.min_version = TlsVersion::V1_3;
    let mut out = Gelf::open(&gelf_spec(&address, &tls), 4096);
    let error = send(&mut out, b"{\"a\":1}\n").unwrap_err().to_string();
    assert!(error.starts_with("TLS: "), "{error}");
    assert!(
        error.contains("no TLS version at or above min_version"),
        "{error}"
    );
    // TLS 1.2 is accepted by default.
    let mut out = Gelf::open(&gelf_spec(&address, &settings(&dir, "ca")), 4096);
    send(&mut out, b"{\"a\":2}\n").unwrap();
    wait_for("the frame", || !lines_in(&dir.join("frames")).is_empty());
    assert_eq!(gelf_messages(&dir), ["{\"a\":2}"]);
}

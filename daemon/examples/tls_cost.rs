//! A TLS stream output's work per event: the storm benchmark's event sent
//! by the syslog (RFC 5424, octet-counted) or GELF output over TLS to a
//! rustls receiver on loopback (a thread of this process, which decrypts
//! and drops what it gets), taken line by line and flushed every
//! `FLUSH_EVERY` events, as the output thread flushes when its backlog runs
//! dry. For callgrind (`--separate-threads=yes`: the main thread's file is
//! the output's work, the receiver's is apart) and `strace -c` (without
//! `-f`: the main thread's system calls only):
//!
//! ```text
//! cargo build --release -p raudit --example tls_cost
//! valgrind --tool=callgrind --separate-threads=yes target/release/examples/tls_cost syslog 20000
//! strace -c target/release/examples/tls_cost gelf 100000
//! ```
//!
//! Arguments: the output (`syslog` or `gelf`), the number of events
//! (default 20,000) and how many are taken between flushes (default
//! 1,000). Per event: the totals less a run of 0 events (the handshake).

#[path = "common/storm_event.rs"]
mod storm_event;

use std::io::Read as _;
use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::PrivateKeyDer;
use storm_event::storm_event;

use raudit::output::{
    Gelf, GelfCompression, GelfCompressionType, GelfNetwork, GelfSpec, IpFamily, Output, Syslog,
    SyslogFormat, SyslogNetwork, SyslogSpec, TlsClient, TlsSpec,
};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let output = args.next().unwrap_or_else(|| "syslog".to_owned());
    let events: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let flush_every: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let dir = std::env::temp_dir().join(format!("raudit-tls-cost-{}", std::process::id()));
    let (address, receiver) = match receiver(&dir) {
        Ok(started) => started,
        Err(e) => {
            eprintln!("the loopback receiver: {e}");
            return ExitCode::FAILURE;
        }
    };
    let tls = TlsSpec {
        ca_file: Some(dir.join("ca.pem")),
        ..TlsSpec::default()
    };
    let tls = match TlsClient::new(&tls, &address) {
        Ok(tls) => tls,
        Err(e) => {
            eprintln!("TLS settings: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out: Box<dyn Output> = match output.as_str() {
        "syslog" => {
            let mut spec = SyslogSpec::new(
                SyslogNetwork::Tcp(IpFamily::V4),
                address.clone(),
                132,
                "go-audit".to_owned(),
                SyslogFormat::Rfc5424,
                None,
            );
            spec.tls = Some(tls);
            Box::new(Syslog::open(&spec, 64 << 10))
        }
        "gelf" => {
            let spec = GelfSpec {
                network: GelfNetwork::Tcp,
                address: address.clone(),
                compression: GelfCompression {
                    level: 1,
                    kind: GelfCompressionType::None,
                },
                tls: Some(tls),
                spool: None,
            };
            Box::new(Gelf::with_hostname(&spec, 64 << 10, "bench-host"))
        }
        other => {
            eprintln!("unknown output {other:?}: syslog or gelf");
            return ExitCode::FAILURE;
        }
    };
    let mut line = Vec::new();
    let (mut sent, mut failed) = (0u32, 0u32);
    let cpu_before = thread_cpu();
    for serial in 0..events {
        let side = storm_event(serial, &mut line);
        match out.write_line(&line, &side) {
            Ok(_) => sent += 1,
            Err(_) => failed += 1,
        }
        if (serial + 1) % flush_every == 0 && out.flush().is_err() {
            failed += 1;
        }
    }
    if out.flush().is_err() {
        failed += 1;
    }
    let cpu = thread_cpu()
        .zip(cpu_before)
        .map(|(a, b)| (a.0 - b.0, a.1 - b.1));
    drop(out);
    let received = receiver.join().unwrap_or(0);
    let _ = std::fs::remove_dir_all(&dir);
    println!("{output} over TLS: {sent} sent, {failed} failed, {received} bytes received");
    if let Some((user, system)) = cpu.filter(|_| events > 0) {
        let per = |ticks: u64| ticks as f64 * 10_000.0 / f64::from(events);
        println!(
            "this thread's CPU per event: {:.2} µs user, {:.2} µs system (10 ms ticks)",
            per(user),
            per(system)
        );
    }
    ExitCode::SUCCESS
}

/// This thread's user and system CPU time so far, in clock ticks (USER_HZ,
/// 100 a second), from `/proc/thread-self/stat`.
fn thread_cpu() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // After the command's closing parenthesis: state is field 3, utime 14.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let user = fields.next()?.parse().ok()?;
    let system = fields.next()?.parse().ok()?;
    Some((user, system))
}

/// A rustls server on loopback for one session, its CA in `dir/ca.pem`:
/// its address, and the thread that reads until the client goes (the
/// plaintext bytes it got).
fn receiver(dir: &std::path::Path) -> Result<(String, std::thread::JoinHandle<u64>), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().map_err(|e| e.to_string())?;
    let issuer = CertifiedIssuer::self_signed(ca, ca_key).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("ca.pem"), issuer.pem()).map_err(|e| e.to_string())?;
    let key = KeyPair::generate().map_err(|e| e.to_string())?;
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .and_then(|params| params.signed_by(&key, &issuer))
        .map_err(|e| e.to_string())?;
    let key = PrivateKeyDer::try_from(key.serialize_der()).map_err(str::to_owned)?;
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| {
            b.with_no_client_auth()
                .with_single_cert(vec![leaf.der().clone()], key)
        })
        .map_err(|e| e.to_string())?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let address = listener
        .local_addr()
        .map_err(|e| e.to_string())?
        .to_string();
    let thread = std::thread::spawn(move || {
        let Ok((tcp, _)) = listener.accept() else {
            return 0;
        };
        let Ok(conn) = rustls::ServerConnection::new(Arc::new(config)) else {
            return 0;
        };
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut buf = vec![0; 64 << 10];
        let mut got = 0;
        while let Ok(n @ 1..) = tls.read(&mut buf) {
            got += n as u64;
        }
        got
    });
    Ok((address, thread))
}

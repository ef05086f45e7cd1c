//! A TLS receiver for the cost examples (`tls_cost`, `sink_cost`): a
//! rustls server on loopback, a thread of the example's process, that
//! decrypts one session and drops what it gets.

use std::io::Read as _;
use std::net::TcpListener;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::PrivateKeyDer;

/// A rustls server on loopback for one session, its CA in `dir/ca.pem`:
/// its address, and the thread that reads until the client goes (the
/// plaintext bytes it got).
pub fn receiver(dir: &std::path::Path) -> Result<(String, std::thread::JoinHandle<u64>), String> {
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

/// The syslog (RFC 5424, octet-counted) or GELF (uncompressed) output of
/// `kind` over TLS to the receiver at `address`, whose CA is in
/// `dir/ca.pem`.
pub fn tls_output(
    kind: &str,
    address: &str,
    dir: &std::path::Path,
) -> Result<Box<dyn raudit::output::Output>, String> {
    use raudit::output::{
        Gelf, GelfCompression, GelfCompressionType, GelfNetwork, GelfSpec, IpFamily, Syslog,
        SyslogFormat, SyslogNetwork, SyslogSpec, TlsClient, TlsSpec,
    };
    let tls = TlsSpec {
        ca_file: Some(dir.join("ca.pem")),
        ..TlsSpec::default()
    };
    let tls = TlsClient::new(&tls, address).map_err(|e| format!("TLS settings: {e}"))?;
    match kind {
        "syslog" => {
            let mut spec = SyslogSpec::new(
                SyslogNetwork::Tcp(IpFamily::V4),
                address.to_owned(),
                132,
                "go-audit".to_owned(),
                SyslogFormat::Rfc5424,
                None,
            );
            spec.tls = Some(tls);
            Ok(Box::new(Syslog::open(&spec, 64 << 10)))
        }
        "gelf" => {
            let spec = GelfSpec {
                network: GelfNetwork::Tcp,
                address: address.to_owned(),
                compression: GelfCompression {
                    level: 1,
                    kind: GelfCompressionType::None,
                },
                tls: Some(tls),
                spool: None,
            };
            Ok(Box::new(Gelf::with_hostname(&spec, 64 << 10, "bench-host")))
        }
        other => Err(format!("unknown output {other:?}: syslog or gelf")),
    }
}

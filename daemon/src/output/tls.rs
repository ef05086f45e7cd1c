//! TLS for the stream outputs (syslog over TCP as RFC 5425 asks, GELF
//! over TCP), with rustls's caller-buffer ("unbuffered") API: the
//! connection encrypts what the output gathered from the caller's slice
//! straight into one buffer reserved when it connects, one record per
//! piece of whole messages (at most 16 KiB each), and sends all those
//! records with one `write` ([`TlsStream::write_records`]), so sending
//! allocates nothing of ours and costs one system call per gather, as in
//! clear. A failed write tears the session: the records that went whole
//! are done, the caller learns how much plaintext they carried, and the
//! next write fails with the error, so the output reconnects and sends
//! the rest again.
//!
//! [`TlsClient`] is what the plan builds once from `output.*.tls`: the
//! CA (a file or the system's roots), the optional client certificate and
//! key, the lowest version (TLS 1.2 at least) and the name the server's
//! certificate must carry. Building it reads and parses every file, so a
//! missing, unreadable or malformed one is refused when the config is
//! checked, with the file and what is wrong with it. [`TlsStream`] is one
//! connection; a certificate the server presents that does not verify
//! (another CA, expired, another name) fails the handshake with rustls's
//! reason, which the output reports and counts as for any failed connect.
//! OTLP over `https://` also reads the collector's replies
//! ([`TlsStream::read`], into one plaintext buffer per connection).

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::UnbufferedClientConnection;
use rustls::unbuffered::{ConnectionState, UnbufferedStatus};

mod send;
#[cfg(test)]
mod send_tests;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use send::send_records;

/// `output.syslog.tls` and `output.gelf.tls`, when `enabled`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSpec {
    /// `ca_file`: PEM CAs the server's certificate must chain to; unset:
    /// the system's roots.
    pub ca_file: Option<PathBuf>,
    /// `cert_file`: PEM client certificate (chain), with `key_file`.
    pub cert_file: Option<PathBuf>,
    /// `key_file`: the client certificate's PEM private key.
    pub key_file: Option<PathBuf>,
    /// `server_name`: the name the server's certificate must carry;
    /// unset: the host of `address`.
    pub server_name: Option<String>,
    /// `min_version`: `"1.2"` (the default) or `"1.3"`.
    pub min_version: TlsVersion,
}

impl Default for TlsSpec {
    /// The system's roots, no client certificate, the address's host, TLS
    /// 1.2 or later: `tls: {enabled: true}`.
    fn default() -> TlsSpec {
        TlsSpec {
            ca_file: None,
            cert_file: None,
            key_file: None,
            server_name: None,
            min_version: TlsVersion::V1_2,
        }
    }
}

/// `tls.min_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersion {
    /// TLS 1.2 (and 1.3).
    V1_2,
    /// TLS 1.3 only.
    V1_3,
}

/// Where Debian keeps the system's trusted CAs, one PEM bundle.
const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";
/// The most plaintext one record carries (TLS's limit, 2^14).
pub const RECORD_PLAINTEXT: usize = 16 * 1024;
/// Room for what one write sends: all a stream output gathers, in records
/// (each with its header, tag and padding, well under 1 KiB), or one
/// flight of the client's handshake (hello, certificate chain, finished).
const OUTGOING_ROOM: usize = super::gather::GATHER_BYTES + 16 * 1024;
/// Room for the server's handshake flight (its certificate chain may span
/// several records) and anything it sends after.
const INCOMING_ROOM: usize = 64 * 1024;

/// The settings of one TLS output, files read and checked.
#[derive(Clone)]
pub struct TlsClient {
    settings: TlsSpec,
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    /// Where the trusted CAs come from, for errors.
    trust: Arc<str>,
}

impl fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClient")
            .field("settings", &self.settings)
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

/// Two clients are the same when built from the same settings.
impl PartialEq for TlsClient {
    fn eq(&self, other: &Self) -> bool {
        self.settings == other.settings && self.server_name == other.server_name
    }
}

impl Eq for TlsClient {}

impl TlsClient {
    /// Reads the files of `settings` for a receiver at `address`
    /// (`host:port`, whose host is the name to verify unless
    /// `server_name` is set). The error names the file and the problem.
    pub fn new(settings: &TlsSpec, address: &str) -> Result<TlsClient, String> {
        if settings.cert_file.is_some() != settings.key_file.is_some() {
            return Err("cert_file and key_file go together: set both or neither".into());
        }
        // ring: it builds here with a C compiler alone (aws-lc-rs needs
        // cmake); its lack of post-quantum key exchange is why rustls
        // marks it deprecated, not a flaw in what it does.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&rustls::SupportedProtocolVersion] = match settings.min_version {
            TlsVersion::V1_2 => &[&rustls::version::TLS13, &rustls::version::TLS12],
            TlsVersion::V1_3 => &[&rustls::version::TLS13],
        };
        let builder = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .map_err(|e| format!("TLS versions: {e}"))?
            .with_root_certificates(roots(settings.ca_file.as_deref())?);
        let config = match (&settings.cert_file, &settings.key_file) {
            (Some(cert), Some(key)) => {
                let chain = certificates(cert).map_err(|e| format!("cert_file {e}"))?;
                let key_der = PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| format!("key_file {}: {}", key.display(), pem_problem(&e)))?;
                builder.with_client_auth_cert(chain, key_der).map_err(|e| {
                    format!(
                        "cert_file {} with key_file {}: {e}",
                        cert.display(),
                        key.display()
                    )
                })?
            }
            _ => builder.with_no_client_auth(),
        };
        let name = match &settings.server_name {
            Some(name) => name.clone(),
            None => host_of(address).to_owned(),
        };
        let server_name = ServerName::try_from(name.clone())
            .map_err(|_| format!("server name {name:?} is neither a DNS name nor an IP address"))?;
        let trust = match &settings.ca_file {
            Some(path) => format!("ca_file {}", path.display()),
            None => format!("the system's roots ({SYSTEM_ROOTS})"),
        };
        Ok(TlsClient {
            settings: settings.clone(),
            config: Arc::new(config),
            server_name,
            trust: trust.into(),
        })
    }

    /// Runs the handshake over `sock` (connected, with its timeouts set);
    /// an unverifiable server certificate is an `InvalidData` error that
    /// says why.
    pub fn connect<S: Socket>(&self, sock: S) -> io::Result<TlsStream<S>> {
        sock.set_read_timeout(Some(super::net::SEND_TIMEOUT))?;
        let conn = UnbufferedClientConnection::new(self.config.clone(), self.server_name.clone())
            .map_err(|e| tls_error(e, &self.trust))?;
        let mut stream = TlsStream {
            conn,
            trust: self.trust.clone(),
            sock,
            incoming: vec![0; INCOMING_ROOM].into_boxed_slice(),
            used: 0,
            outgoing: vec![0; OUTGOING_ROOM].into_boxed_slice(),
            plain: Box::new([]),
            plain_at: 0,
            plain_len: 0,
            torn: None,
        };
        stream.pump(None)?;
        stream.settle()?;
        Ok(stream)
    }
}

/// The host part of `host:port` (an IPv6 address without its brackets).
fn host_of(address: &str) -> &str {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// The trust anchors: every certificate of `ca_file`, or the system's.
fn roots(ca_file: Option<&Path>) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let certs = certificates(path).map_err(|e| format!("ca_file {e}"))?;
            for (n, cert) in certs.into_iter().enumerate() {
                store.add(cert).map_err(|e| {
                    format!(
                        "ca_file {}: certificate {} is not a usable CA: {e}",
                        path.display(),
                        n + 1
                    )
                })?;
            }
        }
        None => {
            let path = Path::new(SYSTEM_ROOTS);
            let (added, _) = store.add_parsable_certificates(certificates(path)?);
            if added == 0 {
                return Err(format!(
                    "no usable CA in the system's roots ({SYSTEM_ROOTS}); set ca_file"
                ));
            }
        }
    }
    Ok(store)
}

/// The PEM certificates of `path`, at least one.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {}", path.display(), pem_problem(&e)))?;
    if certs.is_empty() {
        return Err(format!(
            "{}: no certificate in it (expected PEM \"-----BEGIN CERTIFICATE-----\")",
            path.display()
        ));
    }
    Ok(certs)
}

/// What is wrong with a PEM file, in words.
fn pem_problem(e: &rustls_pki_types::pem::Error) -> String {
    use rustls_pki_types::pem::Error;
    match e {
        Error::Io(io) => format!("cannot read it ({io})"),
        Error::NoItemsFound => "no PEM item of the expected kind in it".into(),
        other => format!("not valid PEM ({other:?})"),
    }
}

/// A TLS failure, said in words a user can act on, then rustls's own
/// (`trust`: where the trusted CAs come from).
fn tls_error(e: rustls::Error, trust: &str) -> io::Error {
    use rustls::{CertificateError as C, Error as E};
    let why = match &e {
        E::InvalidCertificate(C::UnknownIssuer) => {
            format!("the receiver's certificate is not signed by a CA of {trust}")
        }
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "the receiver's certificate has expired".to_owned()
        }
        E::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            "the receiver's certificate is not valid yet (check the clock)".to_owned()
        }
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            "the receiver's certificate is not for the name it was reached by (set server_name)"
                .to_owned()
        }
        E::InvalidCertificate(_) => "the receiver's certificate is refused".to_owned(),
        E::AlertReceived(rustls::AlertDescription::ProtocolVersion) => {
            "the receiver speaks no TLS version at or above min_version".to_owned()
        }
        E::AlertReceived(
            rustls::AlertDescription::BadCertificate
            | rustls::AlertDescription::CertificateRequired
            | rustls::AlertDescription::UnknownCA
            | rustls::AlertDescription::CertificateExpired
            | rustls::AlertDescription::CertificateUnknown
            | rustls::AlertDescription::AccessDenied,
        ) => "the receiver refused our certificate (cert_file)".to_owned(),
        E::AlertReceived(_) => "the receiver ended the session".to_owned(),
        _ => "the session failed".to_owned(),
    };
    io::Error::new(io::ErrorKind::InvalidData, format!("TLS: {why}: {e}"))
}

/// What a TLS session runs over: a TCP stream (or, in tests, one that
/// counts or fails its writes).
pub trait Socket: Read + Write + AsFd {
    /// How long a read waits.
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
}

impl Socket for TcpStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
}

/// One TLS connection over TCP, with its buffers.
pub struct TlsStream<S = TcpStream> {
    conn: UnbufferedClientConnection,
    trust: Arc<str>,
    sock: S,
    /// TLS bytes read from the server, not yet processed: `..used`.
    incoming: Box<[u8]>,
    used: usize,
    /// Encrypted bytes to send.
    outgoing: Box<[u8]>,
    /// Decrypted bytes of a record the caller's buffer could not take:
    /// `plain_at..plain_len` (reserved on the first [`TlsStream::read`]:
    /// only OTLP reads replies).
    plain: Box<[u8]>,
    plain_at: usize,
    plain_len: usize,
    /// Why the session is torn (a write failed after records went whole):
    /// the next write returns it.
    torn: Option<Torn>,
}

/// A session a failed write tore: the error, until a write returns it.
enum Torn {
    Error(io::Error),
    Told,
}

/// What [`TlsStream::pump`] does after a state is handled.
enum Next {
    Continue,
    Read,
    Done(usize),
}

/// How long a new TLS 1.3 session waits for the server's verdict on our
/// Finished (and certificate) before the first event goes.
const SETTLE_WAIT: Duration = Duration::from_millis(250);

impl<S: Socket> TlsStream<S> {
    /// Under TLS 1.3 the client's handshake ends before the server has
    /// checked its certificate: a server that refuses it says so with an
    /// alert after, and events written meanwhile would be lost while
    /// counted as sent. So wait up to [`SETTLE_WAIT`] for what the server
    /// sends first (its session tickets, or the alert) and process it: an
    /// alert fails the connect like any refused handshake. Taking the
    /// tickets also leaves no unread bytes that would turn a later close
    /// into a reset.
    fn settle(&mut self) -> io::Result<()> {
        if self.conn.protocol_version() != Some(rustls::ProtocolVersion::TLSv1_3) {
            return Ok(());
        }
        self.sock.set_read_timeout(Some(SETTLE_WAIT))?;
        let room = self.incoming.get_mut(self.used..).unwrap_or_default();
        let read = self.sock.read(room);
        self.sock.set_read_timeout(Some(super::net::SEND_TIMEOUT))?;
        match read {
            Ok(0) => Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "TLS: the receiver closed the session after the handshake \
                 (did it refuse our certificate, cert_file?)",
            )),
            Ok(n) => {
                self.used += n;
                self.pump(None).map(drop)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Encrypts `bytes` and writes them all, one record per 16 KiB, in as
    /// few writes as the buffer allows (one up to 64 KiB).
    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let sent = self.write_records(&mut bytes.chunks(RECORD_PLAINTEXT))?;
        if sent < bytes.len() {
            return Err(self.torn_error());
        }
        Ok(())
    }

    /// Encrypts each of `pieces` as one record (a piece longer than
    /// [`RECORD_PLAINTEXT`] as several) and sends them with one `write`
    /// (more when they do not fit in the buffer together). The plaintext
    /// bytes of the records that went into the socket whole, all of them
    /// unless a write failed part-way: then the session is torn, and the
    /// next write returns the error (none of its bytes are sent). An error
    /// when no record went whole.
    pub fn write_records(&mut self, pieces: &mut dyn Iterator<Item = &[u8]>) -> io::Result<usize> {
        if self.torn.is_some() {
            return Err(self.torn_error());
        }
        self.pump(Some(pieces))
    }

    /// The error that tore the session, the first time it is asked for.
    fn torn_error(&mut self) -> io::Error {
        match self.torn.replace(Torn::Told) {
            Some(Torn::Error(e)) => e,
            _ => io::Error::new(
                io::ErrorKind::BrokenPipe,
                "TLS: the session was torn by a failed write",
            ),
        }
    }

    /// Drives the connection until it can send application data (the
    /// handshake, when `data` is `None`), then encrypts and sends `data`
    /// (see [`TlsStream::write_records`]).
    fn pump(&mut self, mut data: Option<&mut dyn Iterator<Item = &[u8]>>) -> io::Result<usize> {
        let TlsStream {
            conn,
            trust,
            sock,
            incoming,
            used,
            outgoing,
            torn,
            ..
        } = self;
        let mut pending = 0;
        loop {
            let UnbufferedStatus { mut discard, state } =
                conn.process_tls_records(incoming.get_mut(..*used).unwrap_or_default());
            let next = match state.map_err(|e| tls_error(e, trust))? {
                ConnectionState::EncodeTlsData(mut encode) => {
                    let room = outgoing.get_mut(pending..).unwrap_or_default();
                    pending += encode.encode(room).map_err(|e| {
                        io::Error::other(format!("TLS: handshake message too large: {e}"))
                    })?;
                    Next::Continue
                }
                ConnectionState::TransmitTlsData(transmit) => {
                    sock.write_all(outgoing.get(..pending).unwrap_or_default())?;
                    pending = 0;
                    transmit.done();
                    Next::Continue
                }
                ConnectionState::BlockedHandshake => Next::Read,
                ConnectionState::ReadTraffic(mut read) => {
                    // Receivers send no application data; skip any (its
                    // bytes are ours to discard).
                    while let Some(record) = read.next_record() {
                        discard += record.map_err(|e| tls_error(e, trust))?.discard;
                    }
                    Next::Continue
                }
                ConnectionState::WriteTraffic(mut write) => {
                    let mut nothing = std::iter::empty();
                    let pieces = data.take().unwrap_or(&mut nothing);
                    match send_records(&mut write, outgoing, sock, pieces) {
                        Ok(sent) => Next::Done(sent),
                        Err((0, e)) => {
                            *torn = Some(Torn::Told);
                            return Err(e);
                        }
                        Err((sent, e)) => {
                            *torn = Some(Torn::Error(e));
                            Next::Done(sent)
                        }
                    }
                }
                ConnectionState::PeerClosed | ConnectionState::Closed => {
                    return Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "TLS: the receiver closed the session",
                    ));
                }
                _ => {
                    return Err(io::Error::other("TLS: unexpected connection state"));
                }
            };
            let discard = discard.min(*used);
            incoming.copy_within(discard..*used, 0);
            *used -= discard;
            match next {
                Next::Done(sent) => return Ok(sent),
                Next::Continue => {}
                Next::Read => {
                    let room = incoming.get_mut(*used..).unwrap_or_default();
                    if room.is_empty() {
                        return Err(io::Error::other(
                            "TLS: the server's handshake is larger than 64 KiB",
                        ));
                    }
                    let n = sock.read(room)?;
                    if n == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "TLS: the receiver closed the connection during the handshake \
                             (did it refuse our certificate?)",
                        ));
                    }
                    *used += n;
                }
            }
        }
    }
}

impl<S: Socket> TlsStream<S> {
    /// Reads decrypted application data (a receiver's reply) into `buf`:
    /// the bytes read, 0 when the receiver closed the session.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.plain.is_empty() {
            self.plain = vec![0; RECORD_PLAINTEXT].into_boxed_slice();
        }
        if self.plain_at < self.plain_len {
            let left = self
                .plain
                .get(self.plain_at..self.plain_len)
                .unwrap_or_default();
            let n = left.len().min(buf.len());
            buf.get_mut(..n)
                .unwrap_or_default()
                .copy_from_slice(left.get(..n).unwrap_or_default());
            self.plain_at += n;
            return Ok(n);
        }
        let TlsStream {
            conn,
            trust,
            sock,
            incoming,
            used,
            outgoing,
            plain,
            plain_at,
            plain_len,
            ..
        } = self;
        let mut pending = 0;
        loop {
            let UnbufferedStatus { mut discard, state } =
                conn.process_tls_records(incoming.get_mut(..*used).unwrap_or_default());
            let mut got = None;
            let mut read_more = false;
            match state.map_err(|e| tls_error(e, trust))? {
                ConnectionState::ReadTraffic(mut read) => {
                    if let Some(record) = read.next_record() {
                        let record = record.map_err(|e| tls_error(e, trust))?;
                        discard += record.discard;
                        let (now, rest) =
                            record.payload.split_at(record.payload.len().min(buf.len()));
                        buf.get_mut(..now.len())
                            .unwrap_or_default()
                            .copy_from_slice(now);
                        // A record holds at most RECORD_PLAINTEXT bytes.
                        let keep = rest.len().min(plain.len());
                        plain
                            .get_mut(..keep)
                            .unwrap_or_default()
                            .copy_from_slice(rest.get(..keep).unwrap_or_default());
                        *plain_at = 0;
                        *plain_len = keep;
                        got = Some(now.len());
                    }
                }
                // After the handshake rustls may answer (a key update).
                ConnectionState::EncodeTlsData(mut encode) => {
                    let room = outgoing.get_mut(pending..).unwrap_or_default();
                    pending += encode
                        .encode(room)
                        .map_err(|e| io::Error::other(format!("TLS: {e}")))?;
                }
                ConnectionState::TransmitTlsData(transmit) => {
                    sock.write_all(outgoing.get(..pending).unwrap_or_default())?;
                    pending = 0;
                    transmit.done();
                }
                ConnectionState::WriteTraffic(_) | ConnectionState::BlockedHandshake => {
                    read_more = true;
                }
                ConnectionState::PeerClosed | ConnectionState::Closed => got = Some(0),
                _ => return Err(io::Error::other("TLS: unexpected connection state")),
            }
            let discard = discard.min(*used);
            incoming.copy_within(discard..*used, 0);
            *used -= discard;
            if let Some(n) = got {
                return Ok(n);
            }
            if read_more {
                let room = incoming.get_mut(*used..).unwrap_or_default();
                if room.is_empty() {
                    return Err(io::Error::other("TLS: a record larger than 64 KiB"));
                }
                let n = sock.read(room)?;
                if n == 0 {
                    return Ok(0);
                }
                *used += n;
            }
        }
    }

    /// How long a read waits (the handshake sets its own).
    pub fn set_read_timeout(&self, timeout: Duration) -> io::Result<()> {
        self.sock.set_read_timeout(Some(timeout))
    }
}

impl<S: AsFd> AsFd for TlsStream<S> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn settings() -> TlsSpec {
        TlsSpec {
            ca_file: None,
            cert_file: None,
            key_file: None,
            server_name: None,
            min_version: TlsVersion::V1_2,
        }
    }

    #[test]
    fn the_host_of_an_address_is_the_name_to_verify() {
        assert_eq!(host_of("logs.example.org:6514"), "logs.example.org");
        assert_eq!(host_of("[::1]:6514"), "::1");
        assert_eq!(host_of("127.0.0.1:6514"), "127.0.0.1");
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let mut s = settings();
        s.ca_file = Some(PathBuf::from("/nonexistent/ca.pem"));
        let e = TlsClient::new(&s, "127.0.0.1:6514").unwrap_err();
        assert!(
            e.contains("/nonexistent/ca.pem") && e.contains("cannot read"),
            "{e}"
        );
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        let dir = crate::scratch_dir::ScratchDir::new("tls-unit");
        let path = dir.join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let mut s = settings();
        s.ca_file = Some(path.clone());
        let e = TlsClient::new(&s, "127.0.0.1:6514").unwrap_err();
        assert!(
            e.contains("empty.pem") && e.contains("no certificate"),
            "{e}"
        );
    }

    #[test]
    fn a_certificate_needs_its_key() {
        let mut s = settings();
        s.cert_file = Some(PathBuf::from(SYSTEM_ROOTS));
        let e = TlsClient::new(&s, "127.0.0.1:6514").unwrap_err();
        assert!(e.contains("go together"), "{e}");
    }
}

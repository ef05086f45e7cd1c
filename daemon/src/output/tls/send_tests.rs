//! What a gathered write costs and carries over TLS, against a rustls
//! server on loopback: one `write` per gather (not one per 16 KiB record),
//! records cut after whole messages and never over 16 KiB, the plaintext
//! decrypted back exactly (gathers of 16 KiB, 16 KiB + 1 and 64 KiB, in
//! TLS 1.2 and 1.3), and a write failing part-way: the records that went
//! whole are done, the session is torn, and the rest goes whole on the
//! next connection, nothing lost or sent twice.

#![allow(clippy::unwrap_used)]

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{Socket, TlsClient, TlsSpec, TlsStream, RECORD_PLAINTEXT};
use crate::output::gather::{Gathered, GATHER_BYTES};
use crate::scratch_dir::ScratchDir;

/// What the client's socket saw, shared with the test.
#[derive(Default)]
struct Seen {
    writes: Cell<usize>,
    /// Every byte written, to read the records back.
    bytes: RefCell<Vec<u8>>,
    /// Bytes the socket still takes; then writes time out (unset: all).
    budget: Cell<Option<usize>>,
}

/// A TCP stream whose writes are counted, kept, and can be made to fail.
struct Counting {
    tcp: TcpStream,
    seen: Rc<Seen>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.tcp.read(buf)
    }
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.seen.writes.set(self.seen.writes.get() + 1);
        let n = match self.seen.budget.get() {
            None => buf.len(),
            Some(0) => return Err(io::ErrorKind::TimedOut.into()),
            Some(left) => {
                self.seen.budget.set(Some(left - left.min(buf.len())));
                left.min(buf.len())
            }
        };
        let n = self.tcp.write(&buf[..n])?;
        self.seen.bytes.borrow_mut().extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsFd for Counting {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.tcp.as_fd()
    }
}

impl Socket for Counting {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.tcp.set_read_timeout(timeout)
    }
}

/// A CA (`ca.pem` in `dir`) and the server's certificate for 127.0.0.1.
fn certificates(dir: &Path) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    std::fs::write(dir.join("ca.pem"), issuer.pem()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let key = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    (vec![leaf.der().clone()], key)
}

/// A rustls server for one session on loopback, in `version`: its
/// address, and the plaintext it received until the client went away.
fn server(
    dir: &Path,
    version: &'static rustls::SupportedProtocolVersion,
) -> (String, JoinHandle<Vec<u8>>) {
    let (chain, key) = certificates(dir);
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut got = Vec::new();
        let mut buf = vec![0; 64 * 1024];
        // The client never says close_notify: its end (or a torn record)
        // is an error here, after all it sent whole.
        while let Ok(n @ 1..) = tls.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
        got
    });
    (address, handle)
}

/// A client session to `address` over a [`Counting`] socket.
fn client(dir: &Path, address: &str) -> (TlsStream<Counting>, Rc<Seen>) {
    let spec = TlsSpec {
        ca_file: Some(dir.join("ca.pem")),
        ..TlsSpec::default()
    };
    let client = TlsClient::new(&spec, address).unwrap();
    let seen = Rc::new(Seen::default());
    let tcp = TcpStream::connect(address).unwrap();
    let sock = Counting {
        tcp,
        seen: Rc::clone(&seen),
    };
    (client.connect(sock).unwrap(), seen)
}

fn temp_dir(name: &str) -> ScratchDir {
    ScratchDir::new(&format!("tls-send-{name}"))
}

/// Message `i` of `len` bytes (a newline last).
fn message(i: usize, len: usize) -> Vec<u8> {
    let mut m = format!("{i}:").into_bytes();
    m.resize(len - 1, b'a' + (i % 26) as u8);
    m.push(b'\n');
    m
}

/// The lengths of the TLS records in `bytes` (whole records only).
fn record_lengths(bytes: &[u8]) -> Vec<usize> {
    let mut lengths = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + 5) {
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        assert_eq!(header[0], 23, "application data");
        lengths.push(len);
        at += 5 + len;
    }
    assert_eq!(at, bytes.len(), "whole records");
    lengths
}

/// Writes what `g` gathered over `tls`, as the stream outputs do.
fn write_out(g: &mut Gathered, tls: &mut TlsStream<Counting>) -> io::Result<()> {
    g.write_out(|c| tls.write_records(&mut c.records(RECORD_PLAINTEXT)))
}

#[test]
fn a_gather_goes_in_one_write_of_whole_records_and_decrypts_back_exactly() {
    for (version, name) in [
        (&rustls::version::TLS12, "1.2"),
        (&rustls::version::TLS13, "1.3"),
    ] {
        let dir = temp_dir(&format!("one-write-{name}"));
        let (address, received) = server(&dir, version);
        let (mut tls, seen) = client(&dir, &address);
        // Each gather: its messages' lengths and the records they make.
        let gathers: [(Vec<usize>, Vec<usize>); 6] = [
            (vec![RECORD_PLAINTEXT], vec![RECORD_PLAINTEXT]),
            (vec![RECORD_PLAINTEXT + 1], vec![RECORD_PLAINTEXT, 1]),
            (
                vec![RECORD_PLAINTEXT / 2, RECORD_PLAINTEXT / 2 + 1],
                vec![8192, 8193],
            ),
            (vec![GATHER_BYTES], vec![RECORD_PLAINTEXT; 4]),
            (vec![1000; 65], vec![16_000, 16_000, 16_000, 16_000, 1000]),
            (vec![200; 327], vec![16_200, 16_200, 16_200, 16_200, 600]),
        ];
        let mut sent = Vec::new();
        let mut i = 0;
        for (lengths, records) in &gathers {
            let mut g = Gathered::new();
            for len in lengths {
                let m = message(i, *len);
                i += 1;
                assert!(g.push(&m));
                sent.extend_from_slice(&m);
            }
            let (writes, from) = (seen.writes.get(), seen.bytes.borrow().len());
            write_out(&mut g, &mut tls).unwrap();
            assert!(g.is_empty());
            assert_eq!(
                seen.writes.get() - writes,
                1,
                "TLS {name}, messages {lengths:?}"
            );
            let lengths_sent = record_lengths(&seen.bytes.borrow()[from..]);
            assert_eq!(
                lengths_sent.len(),
                records.len(),
                "TLS {name}: {lengths_sent:?}"
            );
            for (cipher, plain) in lengths_sent.iter().zip(records) {
                // Header aside, a record carries its plaintext and less
                // than 64 bytes of nonce, tag and content type.
                assert!(
                    *cipher > *plain && *cipher < plain + 64,
                    "{cipher} for {plain}"
                );
            }
        }
        // Longer than the buffer (sent alone, not gathered): 7 records in
        // two writes.
        let big = message(i, 100_000);
        let writes = seen.writes.get();
        tls.write_all(&big).unwrap();
        sent.extend_from_slice(&big);
        assert_eq!(seen.writes.get() - writes, 2);
        drop(tls);
        assert!(
            received.join().unwrap() == sent,
            "TLS {name}: the plaintext came back exactly"
        );
    }
}

#[test]
fn a_write_failing_part_way_keeps_what_went_in_whole_records_and_sends_the_rest_once() {
    let dir = temp_dir("torn");
    let messages: Vec<Vec<u8>> = (0..65).map(|i| message(i, 1000)).collect();
    let mut g = Gathered::new();
    for m in &messages {
        assert!(g.push(m));
    }
    // The socket takes the first record and half of the second (records
    // of 16 whole messages), then times out.
    let (address, first) = server(&dir, &rustls::version::TLS13);
    let (mut tls, seen) = client(&dir, &address);
    seen.budget.set(Some(16_000 + 64 + 8000));
    let e = write_out(&mut g, &mut tls).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    assert_eq!(g.messages(), 65 - 16);
    // The session is torn: nothing more goes over it.
    let writes = seen.writes.get();
    assert!(write_out(&mut g, &mut tls).is_err());
    assert!(tls.write_all(b"late\n").is_err());
    assert_eq!(seen.writes.get(), writes);
    assert_eq!(g.messages(), 65 - 16);
    drop(tls);
    assert!(first.join().unwrap() == messages[..16].concat());
    // The next connection takes the rest, from the first message not in a
    // whole record.
    let (address, second) = server(&dir, &rustls::version::TLS13);
    let (mut tls, _) = client(&dir, &address);
    write_out(&mut g, &mut tls).unwrap();
    assert!(g.is_empty());
    drop(tls);
    assert!(second.join().unwrap() == messages[16..].concat());
    // A write failing before any record went whole is an error at once,
    // and nothing is done.
    let mut g = Gathered::new();
    for m in &messages[..3] {
        assert!(g.push(m));
    }
    let (address, third) = server(&dir, &rustls::version::TLS12);
    let (mut tls, seen) = client(&dir, &address);
    seen.budget.set(Some(100));
    assert!(write_out(&mut g, &mut tls).is_err());
    assert_eq!(g.messages(), 3);
    drop(tls);
    assert!(third.join().unwrap().is_empty());
}
